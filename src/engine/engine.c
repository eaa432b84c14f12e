/* The engine: libuv loop, links and timers around pure sessions. See pmu/engine.h. */
#include "pmu/engine.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "../core/grow.h"

#include "lines.h"
#include "pmu/link.h"

/* A job waiting for its turn: kept small, since a run may queue tens of thousands. */
struct pending {
    struct pmu_path path;
    struct pmu_read_request req;
    pmu_engine_done_fn done;
    void *user;
    unsigned calls;            /* calls made for this meter so far (pools retry) */
    unsigned meter_failures;   /* of those, failures that were not the line's */
    uint64_t not_before;       /* a retry waits until then; 0 = at once */
};

/* A job that has started: its session, link and libuv handles. */
struct job {
    struct pmu_engine *engine;
    struct pmu_path asked;     /* the path as queued ("pool:NAME>..." for a pool) */
    struct pmu_path path;      /* the path in use: a pool's is resolved to one of its lines */
    struct pmu_read_request req;
    pmu_engine_done_fn done;
    void *user;
    struct pool_run *pool;     /* the pool whose line this call holds, or NULL */
    size_t line;               /* which line of the pool */
    unsigned calls, meter_failures;
    bool link_failed;          /* the link itself failed: the line's fault */
    bool line_held;            /* acquired and not yet released */
    /* running state (allocated when the job starts) */
    struct pmu_session *session;
    struct pmu_link link;
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;
    uint8_t *unsent;           /* bytes the link did not take yet */
    size_t unsent_len;
    size_t unsent_secret_off, unsent_secret_len;
    bool finished;
    unsigned id;
    struct job *prev_running, *next_running;
};

struct pmu_engine {
    struct pmu_engine_options opt;
    uv_loop_t loop;
    struct pending **queue;    /* jobs not started yet, in order (NULL once started) */
    size_t queued, next, cap;
    size_t running;
    struct job *running_list;  /* jobs started and not yet closed */
    uint64_t t0;
    unsigned next_id;
    struct pool_run *pools;
    size_t n_pools, pools_cap;
    uv_timer_t wake;           /* wakes the queue when a retry's wait is over */
    bool wake_ready;
};

#define CONNECT_TIMEOUT_MS 10000

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

/* The host's local civil time in meter-time milliseconds minus the session clock: what
 * sessions need for meter clock offsets and clock writes (pmu_session_set_host_clock). */
static int64_t host_clock_offset(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    struct pmu_timestamp t = {-1, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    return pmu_timestamp_to_seconds(&t) * 1000 + ts.tv_nsec / 1000000 - (int64_t)now_ms();
}

struct pmu_engine *pmu_engine_new(const struct pmu_engine_options *opt, struct pmu_error *err)
{
    struct pmu_engine *e = calloc(1, sizeof *e);
    if (e == NULL) {
        pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        return NULL;
    }
    if (opt != NULL)
        e->opt = *opt;
    if (e->opt.max_parallel == 0)
        e->opt.max_parallel = 256;
    int rc = uv_loop_init(&e->loop);
    if (rc != 0) {
        pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot start the event loop: %s", uv_strerror(rc));
        free(e);
        return NULL;
    }
    e->t0 = now_ms();
    return e;
}

void pmu_engine_free(struct pmu_engine *e)
{
    if (e == NULL)
        return;
    for (size_t i = e->next; i < e->queued; i++)
        free(e->queue[i]); /* NULL for jobs that ran */
    free(e->queue);
    for (size_t i = 0; i < e->n_pools; i++)
        pool_run_free(&e->pools[i]);
    free(e->pools);
    if (e->wake_ready) {
        uv_close((uv_handle_t *)&e->wake, NULL);
        uv_run(&e->loop, UV_RUN_NOWAIT);
    }
    uv_loop_close(&e->loop);
    free(e);
}

static struct pool_run *find_pool(struct pmu_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_pools; i++)
        if (strcmp(e->pools[i].def.name, name) == 0)
            return &e->pools[i];
    return NULL;
}

enum pmu_status pmu_engine_add_pool(struct pmu_engine *e, const struct pmu_pool *pool,
                                    struct pmu_error *err)
{
    if (find_pool(e, pool->name) != NULL)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "pool %s is defined twice", pool->name);
    void *items = e->pools;
    if (!pmu_grow(&items, &e->pools_cap, e->n_pools, sizeof *e->pools))
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    e->pools = items;
    enum pmu_status st = pool_run_init(&e->pools[e->n_pools], pool, err);
    if (st == PMU_OK)
        e->n_pools++;
    return st;
}

/* Puts a job at the back of the queue. */
static enum pmu_status enqueue(struct pmu_engine *e, struct pending *p, struct pmu_error *err)
{
    if (e->queued == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        struct pending **q = realloc(e->queue, cap * sizeof *q);
        if (q == NULL)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        e->queue = q;
        e->cap = cap;
    }
    e->queue[e->queued++] = p;
    return PMU_OK;
}

enum pmu_status pmu_engine_add(struct pmu_engine *e, const struct pmu_path *path,
                               const struct pmu_read_request *req, pmu_engine_done_fn done,
                               void *user, struct pmu_error *err)
{
    if (path->kind == PMU_LINK_POOL && find_pool(e, path->target) == NULL)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "the path names pool '%s', which is not defined (pmu read --pool %s=LINE,LINE...)",
                             path->target, path->target);
    struct pending *p = calloc(1, sizeof *p);
    if (p == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    p->path = *path;
    p->req = *req;
    p->done = done;
    p->user = user;
    enum pmu_status st = enqueue(e, p, err);
    if (st != PMU_OK)
        free(p);
    return st;
}

/* ---- trace ----------------------------------------------------------------------- */

static void trace(struct job *j, char dir, const uint8_t *b, size_t n, size_t secret_off,
                  size_t secret_len)
{
    FILE *f = j->engine->opt.trace;
    if (f == NULL || n == 0)
        return;
    double t = (double)(now_ms() - j->engine->t0) / 1000.0;
    for (size_t row = 0; row < n; row += 16) {
        char hex[16 * 3 + 1] = "", text[17] = "";
        size_t k = 0;
        for (; k < 16 && row + k < n; k++) {
            size_t i = row + k;
            bool secret = i >= secret_off && i < secret_off + secret_len;
            uint8_t c = secret ? '*' : b[i];
            snprintf(hex + 3 * k, 4, "%02X ", c);
            text[k] = c >= 0x20 && c < 0x7F ? (char)c : '.';
        }
        text[k] = '\0';
        fprintf(f, "%10.3f #%u %c %5u %-48s |%s|\n", t, j->id, dir, j->link.baud, hex, text);
    }
    fflush(f);
}

/* An event of the engine's own in the trace: "  1.234 #7 line acquire tcp:...". */
static void trace_event(struct pmu_engine *e, unsigned id, const char *fmt, ...) PMU_PRINTF(3, 4);
static void trace_event(struct pmu_engine *e, unsigned id, const char *fmt, ...)
{
    FILE *f = e->opt.trace;
    if (f == NULL)
        return;
    fprintf(f, "%10.3f #%u ", (double)(now_ms() - e->t0) / 1000.0, id);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
}

/* "tcp:127.0.0.1:4001 pool=modems" or "serial:/dev/ttyS0": the line a job holds. */
static void line_label(const struct job *j, char *buf, size_t size)
{
    char name[PMU_PATH_TARGET_MAX + 16];
    pmu_pool_line_name(&j->path, name, sizeof name);
    if (j->pool != NULL)
        snprintf(buf, size, "%s pool=%s", name, j->pool->def.name);
    else
        snprintf(buf, size, "%s", name);
}

/* ---- job life -------------------------------------------------------------------- */

static void start_next(struct pmu_engine *e);
static void apply(struct job *j, const struct pmu_session_out *out);

static void on_handle_closed(uv_handle_t *h)
{
    struct job *j = h->data;
    if (--j->open_handles > 0)
        return;
    struct pmu_engine *e = j->engine;
    if (j->prev_running != NULL)
        j->prev_running->next_running = j->next_running;
    else
        e->running_list = j->next_running;
    if (j->next_running != NULL)
        j->next_running->prev_running = j->prev_running;
    free(j->unsent);
    free(j);
    e->running--;
    start_next(e);
}

static bool same_line(const struct pmu_path *a, const struct pmu_path *b)
{
    return a->kind == b->kind && a->port == b->port && strcmp(a->target, b->target) == 0;
}

/* The path a pool job uses on line i: the line says where to connect (and its rate,
 * when the meter's path fixes none); everything else is the meter's. */
static struct pmu_path on_line(const struct pmu_path *asked, const struct pool_run *pool, size_t i)
{
    const struct pmu_path *line = &pool->def.lines[i];
    struct pmu_path p = *asked;
    p.kind = line->kind;
    memcpy(p.target, line->target, sizeof p.target);
    p.port = line->port;
    if (p.baud == 0)
        p.baud = line->baud;
    return p;
}

/* A queued job, ready to go now, that calls the same number over the same line or pool
 * as p (meters of one multi-drop line behind a modem or PAD): index into the queue, or -1. */
static long same_call(const struct pmu_engine *e, const struct pmu_path *p)
{
    if (p->dial.kind == PMU_DIAL_NONE)
        return -1;
    uint64_t now = now_ms();
    for (size_t i = e->next; i < e->queued; i++) {
        const struct pending *q = e->queue[i];
        if (q != NULL && q->not_before <= now && same_line(&q->path, p) &&
            q->path.dial.kind == p->dial.kind && strcmp(q->path.dial.number, p->dial.number) == 0)
            return (long)i;
    }
    return -1;
}

/* Appends " (N calls)" to a final failure's message when the pool tried more than once. */
static void note_calls(struct pmu_session *s, unsigned calls)
{
    if (calls < 2 || s->status == PMU_OK)
        return;
    size_t n = strlen(s->error.message);
    snprintf(s->error.message + n, sizeof s->error.message - n, " (%u calls)", calls);
}

/* A pool job's session failed: queue the meter again, at the back, when the pool's
 * rules allow. True when queued (the failure is then not reported). */
static bool retry_later(struct job *j, enum call_outcome outcome)
{
    struct pmu_engine *e = j->engine;
    struct pool_run *pool = j->pool;
    if (pool == NULL || outcome == CALL_OK || outcome == CALL_FINAL)
        return false;
    unsigned meter_failures = j->meter_failures + (outcome == CALL_RETRY);
    /* line faults are not the meter's, but a meter never waits forever on sick lines */
    unsigned most_calls = pool->def.retries + 1 + (unsigned)pool->def.n_lines * pool->def.bad_after;
    if (meter_failures > pool->def.retries || j->calls >= most_calls)
        return false;
    struct pending *p = calloc(1, sizeof *p);
    if (p == NULL)
        return false;
    p->path = j->asked;
    p->req = j->req;
    p->done = j->done;
    p->user = j->user;
    p->calls = j->calls;
    p->meter_failures = meter_failures;
    unsigned delay = outcome == CALL_RETRY ? pool->def.retry_delay_ms : 0;
    p->not_before = now_ms() + delay;
    struct pmu_error err;
    if (enqueue(e, p, &err) != PMU_OK) {
        free(p);
        return false;
    }
    trace_event(e, j->id, "retry call %u in %u ms: %s", j->calls + 1, delay, j->session->error.message);
    return true;
}

/* The job's call is over: the line goes back to the pool (or out of service). */
static void release_line(struct job *j, enum call_outcome outcome)
{
    if (!j->line_held)
        return;
    j->line_held = false;
    char label[PMU_PATH_TARGET_MAX + 64];
    line_label(j, label, sizeof label);
    const struct pmu_session *s = j->session;
    trace_event(j->engine, j->id, "line release %s %s", label,
                outcome == CALL_OK           ? "ok"
                : outcome == CALL_LINE_FAULT ? "line-fault"
                : outcome == CALL_RETRY      ? "failed"
                                             : "failed-final");
    if (j->pool != NULL && pool_release(j->pool, j->line, outcome, s->error.message))
        trace_event(j->engine, j->id, "line bad %s after %u faults in a row: %s", label,
                    j->pool->def.bad_after, s->error.message);
}

/* The session is over (and its call, unless kept for the next meter): report it, or
 * queue the meter again when its pool says so. */
static void report(struct job *j, bool call_over)
{
    enum call_outcome outcome = pool_judge(j->session, j->link_failed);
    if (call_over)
        release_line(j, outcome);
    if (retry_later(j, outcome))
        return;
    note_calls(j->session, j->calls);
    if (j->done != NULL)
        j->done(j->user, j->session);
}

/* The call is up and another meter waits behind it: hand the line to that job, so the
 * number is dialled once for the whole multi-drop line. */
static bool continue_call(struct job *j)
{
    struct pmu_engine *e = j->engine;
    long next = same_call(e, &j->asked);
    if (next < 0)
        return false;
    struct pending *p = e->queue[next];
    e->queue[next] = NULL;
    report(j, false);
    pmu_session_free(j->session);
    j->asked = p->path;
    j->path = j->pool != NULL ? on_line(&p->path, j->pool, j->line) : p->path;
    j->req = p->req;
    j->done = p->done;
    j->user = p->user;
    j->calls = p->calls + 1;
    j->meter_failures = p->meter_failures;
    free(p);
    trace_event(e, j->id, "call continues to address %s", j->path.address);
    struct pmu_error err;
    struct pmu_session_out out;
    if (pmu_session_init(j->session, &j->path, &j->req, &err) != PMU_OK) {
        j->session->status = err.code;
        j->session->error = err;
        j->session->stage = PMU_STAGE_DONE;
        return false; /* reported by finish(); the call is dropped with the port */
    }
    j->session->keep_call = same_call(e, &j->asked) >= 0;
    pmu_session_set_host_clock(j->session, host_clock_offset());
    pmu_session_start_connected(j->session, now_ms(), &out);
    apply(j, &out);
    return true;
}

static void finish(struct job *j)
{
    if (j->finished)
        return;
    if (j->session->connected && j->session->keep_call &&
        continue_call(j))
        return;
    j->finished = true;
    uv_poll_stop(&j->poll);
    uv_timer_stop(&j->timer);
    pmu_link_close(&j->link); /* safe: the poll handle is stopped */
    report(j, true);
    pmu_session_free(j->session);
    free(j->session);
    j->session = NULL;
    uv_close((uv_handle_t *)&j->poll, on_handle_closed);
    uv_close((uv_handle_t *)&j->timer, on_handle_closed);
}

static void link_failed(struct job *j, const struct pmu_error *err)
{
    struct pmu_session_out out;
    j->link_failed = j->session->stage != PMU_STAGE_DONE;
    pmu_session_link_error(j->session, now_ms(), err, &out);
    apply(j, &out);
}
static void on_timer(uv_timer_t *t)
{
    struct job *j = t->data;
    struct pmu_session_out out;
    if (j->link.connecting) {
        struct pmu_error err;
        pmu_error_set(&err, PMU_E_TIMEOUT, PMU_NO_OFFSET, "no connection to %s:%u within %d s",
                      j->path.target, j->path.port, CONNECT_TIMEOUT_MS / 1000);
        link_failed(j, &err);
        return;
    }
    pmu_session_timer(j->session, now_ms(), &out);
    apply(j, &out);
}

static void on_poll(uv_poll_t *h, int status, int events);

static void watch(struct job *j)
{
    int events = UV_READABLE;
    if (j->link.connecting || j->unsent_len > 0)
        events |= UV_WRITABLE;
    uv_poll_start(&j->poll, events, on_poll);
}

static bool flush(struct job *j)
{
    while (j->unsent_len > 0) {
        size_t n = 0;
        struct pmu_error err;
        enum pmu_status st = pmu_link_write(&j->link, j->unsent, j->unsent_len, &n, &err);
        if (st == PMU_AGAIN)
            break;
        if (st != PMU_OK) {
            link_failed(j, &err);
            return false;
        }
        memmove(j->unsent, j->unsent + n, j->unsent_len - n);
        j->unsent_len -= n;
    }
    return true;
}

static void apply(struct job *j, const struct pmu_session_out *out)
{
    if (j->finished)
        return;
    if (out->parity >= 0)
        j->link.path.parity = (enum pmu_parity)out->parity; /* 7E1 in software from now on, or not */
    if (out->baud != 0) {
        struct pmu_error err;
        if (pmu_link_set_baud(&j->link, out->baud, &err) != PMU_OK) {
            link_failed(j, &err);
            return;
        }
    }
    if (out->send_len > 0) {
        trace(j, '>', out->send, out->send_len, out->secret_off, out->secret_len);
        uint8_t *b = realloc(j->unsent, j->unsent_len + out->send_len);
        if (b == NULL) {
            struct pmu_error err;
            pmu_error_set(&err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
            link_failed(j, &err);
            return;
        }
        j->unsent = b;
        memcpy(j->unsent + j->unsent_len, out->send, out->send_len);
        j->unsent_len += out->send_len;
        if (!flush(j))
            return;
    }
    if (out->done) {
        finish(j);
        return;
    }
    watch(j);
    if (out->wake_at != 0) {
        uint64_t now = now_ms();
        uv_timer_start(&j->timer, on_timer, out->wake_at > now ? out->wake_at - now : 0, 0);
    } else {
        uv_timer_stop(&j->timer);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct job *j = h->data;
    struct pmu_error err;
    if (status < 0) {
        /* libuv reports a socket error as EBADF: a refused connect says more itself */
        if (!j->link.connecting || pmu_link_connected(&j->link, &err) == PMU_OK)
            pmu_error_set(&err, PMU_E_IO, PMU_NO_OFFSET, "%s link: %s", j->link.ops->name, uv_strerror(status));
        link_failed(j, &err);
        return;
    }
    if (j->link.connecting && (events & UV_WRITABLE)) {
        if (pmu_link_connected(&j->link, &err) != PMU_OK) {
            link_failed(j, &err);
            return;
        }
        struct pmu_session_out out;
        pmu_session_start(j->session, now_ms(), &out);
        apply(j, &out);
        return;
    }
    if ((events & UV_WRITABLE) && j->unsent_len > 0) {
        if (!flush(j))
            return;
        watch(j);
    }
    if (!(events & UV_READABLE))
        return;
    uint8_t buf[4096];
    for (int rounds = 0; rounds < 16 && !j->finished; rounds++) {
        size_t got = 0;
        enum pmu_status st = pmu_link_read(&j->link, buf, sizeof buf, &got, &err);
        if (st == PMU_AGAIN)
            break;
        if (st != PMU_OK) {
            link_failed(j, &err);
            return;
        }
        trace(j, '<', buf, got, 0, 0);
        struct pmu_session_out out;
        pmu_session_input(j->session, now_ms(), buf, got, &out);
        if (j->engine->opt.progress != NULL)
            j->engine->opt.progress(j->user, j->session);
        apply(j, &out);
        if (got < sizeof buf)
            break;
    }
}

/* Reports a job that cannot start, with a session that never ran. */
static void fail_pending(struct pending *p, enum pmu_status code, const char *message)
{
    struct pmu_session *s = calloc(1, sizeof *s);
    if (s != NULL) {
        s->path = p->path;
        s->dialer.signal = -1;
        s->stage = PMU_STAGE_DONE;
        s->status = pmu_error_set(&s->error, code, PMU_NO_OFFSET, "%s", message);
        note_calls(s, p->calls);
        if (p->done != NULL)
            p->done(p->user, s);
        free(s);
    }
    free(p);
}

/* Starts one job (on line `line` of `pool` when it has one); on failure to even begin,
 * reports it through the callback. */
static void start(struct pmu_engine *e, struct pending *p, struct pool_run *pool, size_t line)
{
    struct pmu_error err;
    struct job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        if (pool != NULL)
            pool_release(pool, line, CALL_OK, "");
        fail_pending(p, PMU_E_NOMEM, "out of memory");
        return;
    }
    j->engine = e;
    j->asked = p->path;
    j->pool = pool;
    j->line = line;
    j->path = pool != NULL ? on_line(&p->path, pool, line) : p->path;
    j->req = p->req;
    j->done = p->done;
    j->user = p->user;
    j->calls = p->calls + 1;
    j->meter_failures = p->meter_failures;
    j->id = ++e->next_id;
    j->link.fd = -1;
    free(p);
    e->running++;
    j->next_running = e->running_list;
    if (e->running_list != NULL)
        e->running_list->prev_running = j;
    e->running_list = j;
    char label[PMU_PATH_TARGET_MAX + 64];
    line_label(j, label, sizeof label);
    j->line_held = true;
    if (j->path.dial.kind != PMU_DIAL_NONE)
        trace_event(e, j->id, "line acquire %s call %s address %s", label, j->path.dial.number,
                    j->path.address[0] ? j->path.address : "-");
    else
        trace_event(e, j->id, "line acquire %s address %s", label, j->path.address[0] ? j->path.address : "-");
    j->session = calloc(1, sizeof *j->session);
    uv_timer_init(&e->loop, &j->timer);
    j->timer.data = j;
    j->open_handles = 1;
    enum pmu_status st = j->session == NULL ? PMU_E_NOMEM
                                            : pmu_session_init(j->session, &j->path, &j->req, &err);
    if (st == PMU_OK && (st = pmu_link_open(&j->link, &j->path, &err)) != PMU_OK)
        j->link_failed = true;
    if (st == PMU_OK && uv_poll_init(&e->loop, &j->poll, j->link.fd) != 0)
        st = pmu_error_set(&err, PMU_E_IO, PMU_NO_OFFSET, "cannot watch the link's descriptor");
    if (st != PMU_OK) {
        /* the session never ran: report why through the callback, then tidy up */
        pmu_link_close(&j->link);
        if (j->session != NULL) {
            j->session->status = st;
            j->session->error = err;
            j->session->stage = PMU_STAGE_DONE;
            report(j, true);
            pmu_session_free(j->session);
            free(j->session);
            j->session = NULL;
        } else if (pool != NULL) {
            pool_release(pool, line, CALL_OK, "");
        }
        j->finished = true;
        uv_close((uv_handle_t *)&j->timer, on_handle_closed);
        return;
    }
    j->session->keep_call = same_call(e, &j->asked) >= 0;
    pmu_session_set_host_clock(j->session, host_clock_offset());
    j->poll.data = j;
    j->open_handles = 2;
    uv_poll_start(&j->poll, UV_READABLE, on_poll);
    if (j->link.connecting) {
        watch(j);
        uv_timer_start(&j->timer, on_timer, CONNECT_TIMEOUT_MS, 0);
        return;
    }
    struct pmu_session_out out;
    pmu_session_start(j->session, now_ms(), &out);
    apply(j, &out);
}

/* Is the line this path uses taken by a running job? Meters on one multi-drop line
 * (same port or device, other addresses) are read one after the other. Pool calls
 * count too: a line may be in a pool and named directly. */
static bool line_busy(const struct pmu_engine *e, const struct pmu_path *p)
{
    for (const struct job *r = e->running_list; r != NULL; r = r->next_running)
        if (same_line(&r->path, p) && (r->line_held || r->pool == NULL))
            return true;
    return false;
}

/* For pools: is the line held by a job that is not the pool's? */
static bool taken_outside_pool(void *ctx, const struct pmu_path *line)
{
    const struct pmu_engine *e = ctx;
    for (const struct job *r = e->running_list; r != NULL; r = r->next_running)
        if (r->pool == NULL && same_line(&r->path, line))
            return true;
    return false;
}

static void on_wake(uv_timer_t *t)
{
    start_next(t->data);
}

/* How far past the first waiting job start_next looks for one whose line is free. */
#define LOOKAHEAD 4096

/* Starts waiting jobs in queue order (first come, first served; retries went to the
 * back) while there is room, skipping those whose line is busy or whose retry must
 * still wait. */
static void start_next(struct pmu_engine *e)
{
    uint64_t now = now_ms(), wake_at = 0;
    for (size_t i = e->next; i < e->queued && i < e->next + LOOKAHEAD; i++) {
        if (e->running >= e->opt.max_parallel)
            break;
        struct pending *p = e->queue[i];
        if (p == NULL)
            continue;
        if (p->not_before > now) {
            wake_at = wake_at == 0 || p->not_before < wake_at ? p->not_before : wake_at;
            continue;
        }
        struct pool_run *pool = NULL;
        long line = 0;
        if (p->path.kind == PMU_LINK_POOL) {
            pool = find_pool(e, p->path.target);
            line = pool_pick(pool, taken_outside_pool, e);
            if (line == -2) {
                char msg[256];
                pool_all_bad_message(pool, msg, sizeof msg);
                e->queue[i] = NULL;
                fail_pending(p, PMU_E_IO, msg);
                continue;
            }
            if (line < 0)
                continue;
        } else if (line_busy(e, &p->path)) {
            continue;
        }
        e->queue[i] = NULL;
        start(e, p, pool, (size_t)line);
    }
    while (e->next < e->queued && e->queue[e->next] == NULL)
        e->next++;
    if (wake_at != 0 && e->wake_ready)
        uv_timer_start(&e->wake, on_wake, wake_at - now, 0);
}

enum pmu_status pmu_engine_run(struct pmu_engine *e, struct pmu_error *err)
{
    if (!e->wake_ready) {
        uv_timer_init(&e->loop, &e->wake);
        e->wake.data = e;
        e->wake_ready = true;
    }
    start_next(e);
    int rc = uv_run(&e->loop, UV_RUN_DEFAULT);
    if (rc < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "event loop failed: %s", uv_strerror(rc));
    /* every job has run: forget them */
    e->queued = e->next = 0;
    return PMU_OK;
}
