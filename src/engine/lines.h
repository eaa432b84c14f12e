/* Line pools while the engine runs: which line of a pool is free, busy or out of
 * service, and what a finished call says about its line and its meter. Internal to the
 * engine (src/engine); no I/O. */
#ifndef PMU_ENGINE_LINES_H
#define PMU_ENGINE_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/pool.h"
#include "pmu/session.h"

struct pool_line {
    char name[PMU_PATH_TARGET_MAX + 16];  /* "tcp:host:port", for traces and messages */
    unsigned calls;                       /* calls holding it now */
    unsigned faults;                      /* line faults in a row */
    bool bad;                             /* out of service: gets no more calls */
    char why[200];                        /* its last fault */
};

struct pool_run {
    struct pmu_pool def;                  /* a copy; def.lines[i] goes with lines[i] */
    struct pool_line *lines;
    unsigned calls;                       /* calls in the pool now */
    size_t next_line;                     /* where the next search starts: spreads the calls */
};

enum call_outcome {
    CALL_OK,
    CALL_LINE_FAULT,   /* the link or the modem failed: count it against the line */
    CALL_RETRY,        /* the call or the meter failed (busy, no answer, lost call, time-out) */
    CALL_FINAL         /* trying again would not help (password refused, protocol error) */
};

enum pmu_status pool_run_init(struct pool_run *r, const struct pmu_pool *def, struct pmu_error *err);
void pool_run_free(struct pool_run *r);

/* A free, healthy line for one more call: its index, -1 when every healthy line is
 * taken or the pool is at max_calls, -2 when every line is out of service. taken()
 * says whether a job outside the pool holds the line. */
long pool_pick(struct pool_run *r, bool (*taken)(void *ctx, const struct pmu_path *line), void *ctx);

/* What a finished session says; link_failed: the engine saw the link itself fail. */
enum call_outcome pool_judge(const struct pmu_session *s, bool link_failed);

/* Books the end of a call on line i; true when this fault took the line out of service. */
bool pool_release(struct pool_run *r, size_t i, enum call_outcome outcome, const char *why);

/* "every line is out of service (tcp:...: no dial tone ...)" for the jobs left waiting. */
void pool_all_bad_message(const struct pool_run *r, char *buf, size_t size);

#endif
