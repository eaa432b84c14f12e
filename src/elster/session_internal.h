/* Shared by the Elster session driver files. Internal to libpmu. */
#ifndef PMU_ELSTER_SESSION_INTERNAL_H
#define PMU_ELSTER_SESSION_INTERNAL_H

#include "pmu/elster_session.h"

enum el_step_kind {
    EL_READ,          /* one set of an identity, in packets */
    EL_LP_SELECT,     /* W1 551: days */
    EL_LP_SIZE,       /* R1 551: block counts */
    EL_LP_DATA,       /* R1 550 packets, streamed into the decoder */
    EL_WRITE_BEFORE,  /* a write's set read before it */
    EL_WRITE,         /* W1 packets */
    EL_WRITE_AFTER    /* read back */
};

struct pmu_elster_step {
    enum el_step_kind kind;
    unsigned id, set;
    size_t length;    /* bytes of one set (written bytes for writes) */
    size_t write;     /* index into plan.writes */
};

/* session_values.c: a complete item into readout values. */
enum pmu_status el_put_item(struct pmu_elster_driver *d, unsigned id, unsigned set, const uint8_t *p,
                            size_t len, uint64_t now, struct pmu_error *err);
/* One decoded load-profile interval or event. */
enum pmu_status el_put_lp_item(struct pmu_elster_driver *d, const struct pmu_elster_lp_item *item,
                               struct pmu_error *err);
/* The read-back of a write against what was written: the verdict and message. */
void el_compare_write(struct pmu_elster_driver *d, struct pmu_elster_write_result *wr,
                      const struct pmu_elster_write *w);
/* Prefixes err's message (safely: the message is its own source). Returns code. */
enum pmu_status el_wrap(struct pmu_error *err, enum pmu_status code, const char *prefix);
/* Everything read: the event log goes in last. */
enum pmu_status el_finish(struct pmu_elster_driver *d, struct pmu_error *err);

#endif
