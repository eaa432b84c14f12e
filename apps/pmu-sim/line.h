/* A line: one pseudo-terminal or one TCP port, with the meters that sit on it.
 *
 * The line owns what the pure meters leave to their surroundings: the transport, the
 * wire timing (each byte takes 10/baud seconds, in both directions), the reaction
 * delays the meters ask for, and the timers their deadlines need. */
#ifndef PMU_SIM_LINE_H
#define PMU_SIM_LINE_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "pmu/sim.h"

/* What every line shares: the loop, the meter clock and a read buffer. */
struct sim {
    uv_loop_t *loop;
    uint64_t hr0;                  /* uv_hrtime() when the meter clock was set */
    int64_t clock0_ms;             /* meter time then (ms since 1970, local) */
    uint8_t rbuf[65536];           /* reads land here and are handled at once */
};

struct line;

/* Opens a line of n meters numbered first, first+1, ... that use cfg (which must
 * outlive the line). NULL with err set on failure. */
struct line *line_open(struct sim *sim, enum pmu_sim_transport kind,
                       const struct pmu_sim_config *cfg, unsigned first, unsigned n,
                       struct pmu_error *err);
/* Prints "meter <serial> <comms path>" for each meter. */
void line_print(const struct line *l, FILE *out);
/* Closes the line's handles; the line frees itself once the loop has closed them. */
void line_close(struct line *l);

#endif
