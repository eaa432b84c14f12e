/* libFuzzer target: pmu-sim's fleet files and --faults specs, text users write. Any
 * input gives a fleet (whose groups are all valid) or a clear error, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pmu_error err;
    /* the whole input as a fleet file */
    struct pmu_sim_config defaults;
    pmu_sim_config_init(&defaults);
    struct pmu_sim_fleet fleet;
    pmu_sim_fleet_init(&fleet);
    if (pmu_sim_fleet_parse(&fleet, (const char *)data, size, &defaults, &err) == PMU_OK) {
        unsigned total = 0;
        for (size_t i = 0; i < fleet.n_groups; i++) {
            if (pmu_sim_config_check(&fleet.groups[i].cfg, &err) != PMU_OK || fleet.groups[i].count == 0)
                abort();
            total += fleet.groups[i].count;
        }
        if (total != fleet.total)
            abort();
    } else if (err.message[0] == '\0') {
        abort();
    }
    pmu_sim_fleet_free(&fleet);
    /* the input as a --faults spec */
    char spec[512];
    if (size < sizeof spec) {
        memcpy(spec, data, size);
        spec[size] = '\0';
        struct pmu_sim_faults f;
        if (pmu_sim_faults_parse(spec, &f, &err) == PMU_OK) {
            for (int i = 0; i < PMU_SIM_FAULT_COUNT; i++)
                if (!(f.p[i] >= 0.0 && f.p[i] <= 1.0))
                    abort();
        } else if (err.message[0] == '\0') {
            abort();
        }
    }
    return 0;
}
