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

/* ---- Modems and PADs (remote.c) ---------------------------------------------------- */

/* A far line: meters without a port of their own, reached through a modem or PAD. */
struct line_far_ops {
    /* The meters' bytes, as they leave the meters' wire (7E1 parity in bit 7). */
    void (*data)(void *ctx, const uint8_t *p, size_t n);
    /* A meter hung up (the disconnect fault); the line is detached already. */
    void (*gone)(void *ctx);
};

struct line *line_open_far(struct sim *sim, const struct pmu_sim_config *cfg, unsigned first,
                           unsigned n, struct pmu_error *err);
/* A call reaches the far line: its meters start afresh and talk to ops. */
void line_attach(struct line *l, const struct line_far_ops *ops, void *ctx);
/* The call ends: queued output is dropped, the meters start afresh. */
void line_detach(struct line *l);
/* Bytes from the host through the call; they take wire time at the meters' rate. */
void line_feed(struct line *l, const uint8_t *p, size_t n);

/* A device line: a pty or TCP port whose bytes belong to a modem or PAD. */
struct line_device_ops {
    /* Bytes from the host, the last of them arriving at at_ms (meter time). */
    void (*input)(void *ctx, int64_t at_ms, const uint8_t *p, size_t n);
    /* The deadline set with line_set_deadline has come. */
    void (*timer)(void *ctx, int64_t now_ms);
    /* The host's TCP connection ended or a new one began (what DTR is to a port). */
    void (*closed)(void *ctx, int64_t now_ms);
};

struct line *line_open_device(struct sim *sim, enum pmu_sim_transport kind, unsigned baud,
                              const struct line_device_ops *ops, void *ctx,
                              struct pmu_error *err);
/* Queues the device's bytes for the host, not before at_ms, paced at its rate. */
void line_send(struct line *l, const uint8_t *p, size_t n, int64_t at_ms);
void line_set_deadline(struct line *l, int64_t deadline_ms);
int64_t line_now_ms(const struct line *l);
size_t line_meters(const struct line *l);
const struct pmu_sim_meter *line_meter(const struct line *l, size_t i);
/* The device's comms path: "serial:/dev/pts/3?baud=9600&parity=none" or
 * "tcp:127.0.0.1:40123?parity=none". */
void line_describe(const struct line *l, char *out, size_t size);

#endif
