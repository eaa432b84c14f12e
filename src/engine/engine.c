/* The engine: libuv loop, links and timers around pure sessions. See pmu/engine.h. */
#include "pmu/engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "pmu/link.h"

/* A job waiting for its turn: kept small, since a run may queue tens of thousands. */
struct pending {
    struct pmu_path path;
    struct pmu_read_request req;
    pmu_engine_done_fn done;
    void *user;
};

/* A job that has started: its session, link and libuv handles. */
struct job {
    struct pmu_engine *engine;
    struct pmu_path path;
    struct pmu_read_request req;
    pmu_engine_done_fn done;
    void *user;
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
    uv_loop_close(&e->loop);
    free(e);
}

enum pmu_status pmu_engine_add(struct pmu_engine *e, const struct pmu_path *path,
                               const struct pmu_read_request *req, pmu_engine_done_fn done,
                               void *user, struct pmu_error *err)
{
    if (e->queued == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        struct pending **q = realloc(e->queue, cap * sizeof *q);
        if (q == NULL)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        e->queue = q;
        e->cap = cap;
    }
    struct pending *p = malloc(sizeof *p);
    if (p == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    p->path = *path;
    p->req = *req;
    p->done = done;
    p->user = user;
    e->queue[e->queued++] = p;
    return PMU_OK;
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

/* A queued job that calls the same number over the same line as p (meters of one
 * multi-drop line behind a modem or PAD): index into the queue, or -1. */
static long same_call(const struct pmu_engine *e, const struct pmu_path *p)
{
    if (p->dial.kind == PMU_DIAL_NONE)
        return -1;
    for (size_t i = e->next; i < e->queued; i++) {
        const struct pending *q = e->queue[i];
        if (q != NULL && same_line(&q->path, p) && q->path.dial.kind == p->dial.kind &&
            strcmp(q->path.dial.number, p->dial.number) == 0)
            return (long)i;
    }
    return -1;
}

/* The call is up and another meter waits behind it: hand the line to that job, so the
 * number is dialled once for the whole multi-drop line. */
static bool continue_call(struct job *j)
{
    struct pmu_engine *e = j->engine;
    long next = same_call(e, &j->path);
    if (next < 0)
        return false;
    struct pending *p = e->queue[next];
    e->queue[next] = NULL;
    if (j->done != NULL)
        j->done(j->user, j->session);
    pmu_session_free(j->session);
    j->path = p->path;
    j->req = p->req;
    j->done = p->done;
    j->user = p->user;
    free(p);
    struct pmu_error err;
    struct pmu_session_out out;
    if (pmu_session_init(j->session, &j->path, &j->req, &err) != PMU_OK) {
        j->session->status = err.code;
        j->session->error = err;
        j->session->stage = PMU_STAGE_DONE;
        return false; /* reported by finish(); the call is dropped with the port */
    }
    j->session->keep_call = same_call(e, &j->path) >= 0;
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
    if (j->done != NULL)
        j->done(j->user, j->session);
    pmu_session_free(j->session);
    free(j->session);
    j->session = NULL;
    uv_poll_stop(&j->poll);
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->poll, on_handle_closed);
    uv_close((uv_handle_t *)&j->timer, on_handle_closed);
    pmu_link_close(&j->link); /* safe: the poll handle is stopped */
}

static void link_failed(struct job *j, const struct pmu_error *err)
{
    struct pmu_session_out out;
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

/* Starts one job; on failure to even begin, reports it through the callback. */
static void start(struct pmu_engine *e, struct pending *p)
{
    struct pmu_error err;
    struct job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        struct pmu_session failed;
        memset(&failed, 0, sizeof failed);
        failed.status = pmu_error_set(&failed.error, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        failed.stage = PMU_STAGE_DONE;
        if (p->done != NULL)
            p->done(p->user, &failed);
        free(p);
        return;
    }
    j->engine = e;
    j->path = p->path;
    j->req = p->req;
    j->done = p->done;
    j->user = p->user;
    j->id = ++e->next_id;
    j->link.fd = -1;
    free(p);
    e->running++;
    j->next_running = e->running_list;
    if (e->running_list != NULL)
        e->running_list->prev_running = j;
    e->running_list = j;
    j->session = calloc(1, sizeof *j->session);
    uv_timer_init(&e->loop, &j->timer);
    j->timer.data = j;
    j->open_handles = 1;
    enum pmu_status st = j->session == NULL ? PMU_E_NOMEM
                                            : pmu_session_init(j->session, &j->path, &j->req, &err);
    if (st == PMU_OK)
        st = pmu_link_open(&j->link, &j->path, &err);
    if (st == PMU_OK && uv_poll_init(&e->loop, &j->poll, j->link.fd) != 0)
        st = pmu_error_set(&err, PMU_E_IO, PMU_NO_OFFSET, "cannot watch the link's descriptor");
    if (st != PMU_OK) {
        /* the session never ran: report why through the callback, then tidy up */
        if (j->session != NULL) {
            j->session->status = st;
            j->session->error = err;
            j->session->stage = PMU_STAGE_DONE;
            if (j->done != NULL)
                j->done(j->user, j->session);
            pmu_session_free(j->session);
            free(j->session);
            j->session = NULL;
        }
        pmu_link_close(&j->link);
        j->finished = true;
        uv_close((uv_handle_t *)&j->timer, on_handle_closed);
        return;
    }
    j->session->keep_call = same_call(e, &j->path) >= 0;
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
 * (same port or device, other addresses) are read one after the other. */
static bool line_busy(const struct pmu_engine *e, const struct pmu_path *p)
{
    for (const struct job *r = e->running_list; r != NULL; r = r->next_running)
        if (same_line(&r->path, p))
            return true;
    return false;
}

/* How far past the first waiting job start_next looks for one whose line is free. */
#define LOOKAHEAD 4096

static void start_next(struct pmu_engine *e)
{
    for (size_t i = e->next; i < e->queued && i < e->next + LOOKAHEAD; i++) {
        if (e->running >= e->opt.max_parallel)
            break;
        struct pending *p = e->queue[i];
        if (p == NULL || line_busy(e, &p->path))
            continue;
        e->queue[i] = NULL;
        start(e, p);
    }
    while (e->next < e->queued && e->queue[e->next] == NULL)
        e->next++;
}

enum pmu_status pmu_engine_run(struct pmu_engine *e, struct pmu_error *err)
{
    start_next(e);
    int rc = uv_run(&e->loop, UV_RUN_DEFAULT);
    if (rc < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "event loop failed: %s", uv_strerror(rc));
    /* every job has run: forget them */
    e->queued = e->next = 0;
    return PMU_OK;
}
