/* Shared by the pmu commands that use the store (meter, site, group, history,
 * profile, export): which database to open, and how a store status becomes an exit
 * code. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "pmu/store.h"

const char *pmu_cli_db(const char *option)
{
    if (option != NULL)
        return option;
    const char *env = getenv("PMU_DB");
    return env != NULL && env[0] != '\0' ? env : "openpmu.db";
}

int pmu_cli_exit_code(enum pmu_status status)
{
    switch (status) {
    case PMU_OK:
    case PMU_DONE:
        return PMU_EXIT_OK;
    case PMU_E_IO:
    case PMU_E_NOMEM:
    case PMU_E_UNSUPPORTED:
        return PMU_EXIT_FAILURE;
    default:
        return PMU_EXIT_DATA;
    }
}

int pmu_cli_fail(const char *cmd, enum pmu_status status, const struct pmu_error *err)
{
    fprintf(stderr, "pmu %s: %s\n", cmd, err->message);
    return pmu_cli_exit_code(status);
}

int pmu_cli_open_store(const char *cmd, const char *db_option, struct pmu_store **out)
{
    struct pmu_error err;
    enum pmu_status status = pmu_store_open(pmu_cli_db(db_option), out, &err);
    if (status != PMU_OK)
        return pmu_cli_fail(cmd, status, &err);
    return PMU_EXIT_OK;
}
