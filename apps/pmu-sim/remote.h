/* Modems and PADs: the simulated phone network and PAKNET between the host and the
 * meters that have no port of their own. The pure machines (pmu_sim_modem,
 * pmu_sim_pad) decide what happens; this module wires them to their device lines and
 * to the far lines of meters they call, and keeps the phone book. */
#ifndef PMU_SIM_REMOTE_H
#define PMU_SIM_REMOTE_H

#include <stdio.h>

#include "line.h"
#include "pmu/sim.h"

struct remote;

struct remote *remote_new(struct sim *sim);
/* n modems or PADs on ptys or TCP ports, with cfg (which must outlive them). */
bool remote_add_devices(struct remote *r, enum pmu_sim_transport transport, unsigned n,
                        const struct pmu_sim_call_config *cfg, struct pmu_error *err);
/* A line of n meters numbered first.. that `via` calls by one number or NUA. Lines
 * must be added in increasing order of first. */
bool remote_add_meters(struct remote *r, enum pmu_sim_call_kind via,
                       const struct pmu_sim_config *cfg, unsigned first, unsigned n,
                       struct pmu_error *err);
/* "modem N PATH", "pad N PATH", then "meter SERIAL dial NUMBER address=ADDRESS" and
 * "meter SERIAL nua NUA address=ADDRESS". */
void remote_print(const struct remote *r, FILE *out);
/* Closes every line; call remote_free once the loop has finished. */
void remote_close(struct remote *r);
void remote_free(struct remote *r);

#endif
