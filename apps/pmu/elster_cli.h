/* pmu read / pmu write for Elster A1xxx meters (paths with protocol=elster): the model
 * files, the plan of a read, and what is printed beside the readout. */
#ifndef PMU_APP_ELSTER_CLI_H
#define PMU_APP_ELSTER_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "pmu/elster_session.h"
#include "pmu/session.h"

struct elster_cli {
    struct pmu_elster_model *models;
    size_t n_models;
    struct pmu_elster_plan plan;
    struct pmu_read_request req;      /* the base request with .elster = &plan */
};

/* Loads the model files ($PMU_MODELS_DIR, else the source tree's models/) once and
 * sets up c->req from base; reads/billing sets/days come from c->plan as the caller set
 * them. Prints the reason and returns an exit code on failure. */
int elster_cli_prepare(const char *cmd, struct elster_cli *c, const struct pmu_read_request *base);
void elster_cli_free(struct elster_cli *c);

/* Model, serial, firmware, the clock offset, the writes with before/after. */
void elster_cli_print(const struct pmu_session *s);
json_t *elster_cli_json(const struct pmu_session *s);
/* Any write not verified (mismatch, refused, not done)? */
bool elster_cli_writes_failed(const struct pmu_session *s);

#endif
