/* Line pools: a set of interchangeable lines — modems or PAD ports — shared by meters
 * whose comms path says "pool:NAME>modem:NUMBER" (or ">pad:NUA"). The engine gives each
 * call a free, healthy line of the pool (pmu/engine.h). A pool is defined by one line
 * of text:
 *
 *     NAME=LINE[,LINE]...[;OPTION=VALUE[&OPTION=VALUE]...]
 *     modems=serial:/dev/ttyS0?baud=9600,tcp:10.0.0.9:7001;retries=2&retry_delay_ms=60000
 *
 * Each LINE is the link part of a comms path (serial or tcp, no dialler). Grammar,
 * options and what the engine does with them: docs/comms-paths.md. Pure code. */
#ifndef PMU_POOL_H
#define PMU_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/error.h"
#include "pmu/path.h"

#define PMU_POOL_NAME_MAX 32
#define PMU_POOL_LINES_MAX 256

struct pmu_pool {
    char name[PMU_POOL_NAME_MAX + 1];
    struct pmu_path *lines;        /* where to connect: kind, target, port, baud */
    size_t n_lines, lines_cap;
    unsigned max_calls;            /* calls at once in the pool; 0 = n_lines x calls_per_line */
    unsigned calls_per_line;       /* calls at once on one line (1: a modem makes one call) */
    unsigned retries;              /* more calls after a failure that is not the line's */
    unsigned retry_delay_ms;       /* least wait before such a call */
    unsigned bad_after;            /* line faults in a row that take a line out of service */
};

/* Letters, digits, '-', '_', '.'. */
bool pmu_pool_name_char(char c);

/* Parses one pool definition into *out (free with pmu_pool_free, also after errors). */
enum pmu_status pmu_pool_parse(const char *text, struct pmu_pool *out, struct pmu_error *err);
void pmu_pool_free(struct pmu_pool *p);

/* A line's short name for traces and messages: "serial:/dev/ttyS0", "tcp:host:port". */
void pmu_pool_line_name(const struct pmu_path *line, char *buf, size_t size);

#endif
