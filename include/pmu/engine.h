/* The engine: one event loop (libuv) that carries many meter sessions at once, like
 * libcurl's multi interface. The caller adds jobs (a comms path and a read request),
 * then runs the loop; each job's callback gets the finished session. Up to
 * max_parallel sessions run at a time; the rest wait in order.
 *
 * Line pools (pmu/pool.h): a job whose path is "pool:NAME>..." gets a free, healthy
 * line of that pool for each call; never a line another call holds. A failure that is
 * the line's fault counts against the line (and the job is queued again); a failure
 * on the meter's side is tried again later, on any line, up to the pool's retries.
 * With a trace, every call writes "line acquire" and "line release" lines. */
#ifndef PMU_ENGINE_H
#define PMU_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "pmu/error.h"
#include "pmu/path.h"
#include "pmu/pool.h"
#include "pmu/session.h"

struct pmu_engine;

/* Called once per job when it ends, with the session (result, status, error); the
 * engine frees the session when the callback returns. */
typedef void (*pmu_engine_done_fn)(void *user, struct pmu_session *s);
/* Called whenever a session received bytes (for progress displays); may be NULL. */
typedef void (*pmu_engine_progress_fn)(void *user, const struct pmu_session *s);

struct pmu_engine_options {
    size_t max_parallel;       /* 0 = 256 */
    FILE *trace;               /* timestamped hex dump of both directions, or NULL */
    pmu_engine_progress_fn progress;
};

struct pmu_engine *pmu_engine_new(const struct pmu_engine_options *opt, struct pmu_error *err);
void pmu_engine_free(struct pmu_engine *e);

/* Makes a line pool known (copied); add pools before the jobs that use them. */
enum pmu_status pmu_engine_add_pool(struct pmu_engine *e, const struct pmu_pool *pool,
                                    struct pmu_error *err);

/* Queues a job. The request's strings must outlive the job. */
enum pmu_status pmu_engine_add(struct pmu_engine *e, const struct pmu_path *path,
                               const struct pmu_read_request *req, pmu_engine_done_fn done,
                               void *user, struct pmu_error *err);

/* Runs until every job has ended. */
enum pmu_status pmu_engine_run(struct pmu_engine *e, struct pmu_error *err);

#endif
