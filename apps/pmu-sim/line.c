/* Lines: transports, wire timing and timers around pure meters. See line.h.
 *
 * Output pacing. Bytes reach the host no earlier than a real line would deliver them:
 * a byte is written once its last bit has left the wire, i.e. byte k of a chunk that
 * starts at S goes out at S + k*10/baud s. Rather than a timer per byte the line wakes
 * every BURST_MS (or every byte at low rates) and writes all bytes that are due, so
 * the long-run rate is exact and 9600 baud costs 50 wake-ups a second, not 960. A
 * per-line "wire free at" time strings chunks together: the next one starts after the
 * previous one has left, plus the silence the meter asked for.
 *
 * Input is timed the same way: bytes from the host occupy the wire too, so a meter
 * sees a message as arriving when its last byte would have, 10/baud s per byte after
 * the wire became free.
 *
 * Modems and PADs reuse this machinery in two ways. A "device" line is a pty or TCP
 * port whose bytes belong to a modem or PAD instead of meters: the device's bytes are
 * paced at its fixed host rate and carry no parity bit of ours. A "far" line is a line
 * of meters with no port of its own: a call attaches it to a device, the host's bytes
 * come in through line_feed and the meters' bytes, once they have left the meters'
 * wire, go to the device (which paces them again at its own rate). */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include "line.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define NS_PER_MS 1000000u
#define BIT_NS_X10 10000000000u   /* 10 bits a byte, in ns: divide by baud */
#define BURST_MS 20

/* Bytes waiting for the wire, all at one rate. */
struct chunk {
    struct chunk *next;
    bool relative;                 /* starts gap_ns after the previous chunk ends */
    uint64_t not_before_ns;        /* otherwise: not before this, nor before the wire is free */
    uint64_t gap_ns;
    unsigned baud;
    bool hangup;                   /* close the connection when it has gone out */
    bool started;
    uint64_t start_ns;
    size_t len, sent;
    uint8_t bytes[];
};

/* A meter on the line and what the line remembers of its last action. */
struct slot {
    struct pmu_sim_meter meter;
    int64_t deadline_ms;
    unsigned baud;                 /* the rate it listens at */
};

enum role { ROLE_METERS, ROLE_FAR, ROLE_DEVICE };

struct line {
    struct sim *sim;
    enum pmu_sim_transport kind;
    enum role role;
    const struct line_far_ops *far_ops;   /* far line: the call it is in, or NULL */
    void *far_ctx;
    const struct line_device_ops *dev_ops; /* device line */
    void *dev_ctx;
    unsigned dev_baud;
    int64_t dev_deadline_ms;
    uv_timer_t timer;
    union {
        uv_poll_t poll;            /* pty master */
        uv_tcp_t listener;
    } h;
    uv_tcp_t *client;              /* the one TCP connection, or NULL */
    int master, slave;             /* pty: our master and the slave we keep open */
    char path[64];                 /* pty slave device */
    int port;                      /* TCP port */
    int open_handles;              /* uv handles not closed yet */
    struct chunk *head, *tail;
    uint64_t wire_free_ns;         /* when the last byte sent has left the wire */
    uint64_t rx_free_ns;           /* when the last byte received has arrived */
    uint64_t tx_next_ns;           /* when the head chunk next has bytes due */
    size_t n;
    struct slot slots[];
};

/* A queued TCP write: the bytes the socket did not take at once. */
struct write_req {
    uv_write_t req;
    uint8_t data[];
};

/* ---- Clock ---------------------------------------------------------------------- */

static int64_t meter_ms(const struct sim *s, uint64_t hr)
{
    return s->clock0_ms + (int64_t)((hr - s->hr0) / NS_PER_MS);
}

static uint64_t hr_of(const struct sim *s, int64_t ms)
{
    return ms <= s->clock0_ms ? s->hr0 : s->hr0 + (uint64_t)(ms - s->clock0_ms) * NS_PER_MS;
}

/* When byte k (1-based) of chunk c has left the wire. */
static uint64_t byte_end(const struct chunk *c, size_t k)
{
    return c->start_ns + ((uint64_t)k * BIT_NS_X10 + c->baud - 1) / c->baud;
}

/* ---- Output ------------------------------------------------------------------------ */

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void transmit(struct line *l, const uint8_t *p, size_t n)
{
    if (l->role == ROLE_FAR) {
        if (l->far_ops != NULL)
            l->far_ops->data(l->far_ctx, p, n);
        return;
    }
    if (l->kind == PMU_SIM_PTY) {
        /* Non-blocking: when nobody reads the slave and its buffer is full the bytes
         * are lost, as on a serial line nobody listens to. */
        ssize_t w = write(l->master, p, n);
        (void)w;
        return;
    }
    if (l->client == NULL)
        return;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int w = uv_try_write((uv_stream_t *)l->client, &b, 1);
    if (w == UV_EAGAIN)
        w = 0;
    if (w < 0 || (size_t)w == n)
        return; /* an error shows up on the read side too */
    struct write_req *r = malloc(sizeof *r + n - (size_t)w);
    if (r == NULL)
        return;
    memcpy(r->data, p + w, n - (size_t)w);
    b = uv_buf_init((char *)r->data, (unsigned)(n - (size_t)w));
    if (uv_write(&r->req, (uv_stream_t *)l->client, &b, 1, on_written) != 0)
        free(r);
}

static void flush_output(struct line *l, uint64_t now)
{
    for (struct chunk *c = l->head, *next; c != NULL; c = next) {
        next = c->next;
        if (c->started && c->sent < c->len && l->wire_free_ns < now)
            l->wire_free_ns = now; /* cut off mid-chunk: the wire is free from now */
        free(c);
    }
    l->head = l->tail = NULL;
}

static void enqueue(struct line *l, const uint8_t *bytes, size_t len, unsigned baud,
                    bool relative, uint64_t at_ns, bool hangup)
{
    struct chunk *c = malloc(sizeof *c + len);
    if (c == NULL) {
        fprintf(stderr, "pmu-sim: out of memory; %zu bytes not sent\n", len);
        return;
    }
    memset(c, 0, sizeof *c);
    c->relative = relative;
    if (relative)
        c->gap_ns = at_ns;
    else
        c->not_before_ns = at_ns;
    c->baud = baud;
    c->hangup = hangup;
    c->len = len;
    /* The line carries 7E1 characters on an 8-bit transport (pty, TCP): bit 7 is the
     * even parity bit, as an 8N1 port sees a 7E1 meter. A device speaks 8N1 and
     * passes the meters' characters on as they came. */
    for (size_t i = 0; i < len; i++)
        c->bytes[i] = l->role == ROLE_DEVICE ? bytes[i] : pmu_iec_parity_add(bytes[i]);
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void reset_meters(struct line *l)
{
    for (size_t i = 0; i < l->n; i++) {
        pmu_sim_meter_reset(&l->slots[i].meter);
        l->slots[i].deadline_ms = PMU_SIM_NEVER;
        l->slots[i].baud = l->slots[i].meter.baud;
    }
}

static void on_client_closed(uv_handle_t *h)
{
    free(h);
}

/* A new connection, or the end of one: the meters start afresh, nothing is queued. */
static void fresh_session(struct line *l, uint64_t now)
{
    flush_output(l, now);
    reset_meters(l);
    l->rx_free_ns = 0;
    /* A new host on a device's port, or the old one gone: like DTR dropping. */
    if (l->role == ROLE_DEVICE)
        l->dev_ops->closed(l->dev_ctx, meter_ms(l->sim, now));
}

/* A meter behind a modem or PAD hung up (the disconnect fault): the call is over. */
static void far_hangup(struct line *l, uint64_t now)
{
    const struct line_far_ops *ops = l->far_ops;
    void *ctx = l->far_ctx;
    fresh_session(l, now);
    l->far_ops = NULL;
    if (ops != NULL)
        ops->gone(ctx);
}

/* The TCP connection ends (host closed it, an error, or the disconnect fault). */
static void drop_client(struct line *l, uint64_t now)
{
    if (l->client != NULL) {
        uv_close((uv_handle_t *)l->client, on_client_closed);
        l->client = NULL;
    }
    fresh_session(l, now);
}

/* Writes every byte that is due; leaves tx_next_ns at the next time one will be. */
static void pump(struct line *l, uint64_t now)
{
    while (l->head != NULL) {
        struct chunk *c = l->head;
        if (!c->started) {
            uint64_t start = c->relative ? l->wire_free_ns + c->gap_ns : c->not_before_ns;
            if (!c->relative && start < l->wire_free_ns)
                start = l->wire_free_ns;
            c->start_ns = start;
            c->started = true;
        }
        size_t due = 0;
        if (now >= c->start_ns) {
            uint64_t bytes = (now - c->start_ns) * c->baud / BIT_NS_X10;
            due = bytes < c->len ? (size_t)bytes : c->len;
            while (due < c->len && byte_end(c, due + 1) <= now) /* rounding */
                due++;
            while (due > 0 && byte_end(c, due) > now)
                due--;
        }
        if (due > c->sent) {
            transmit(l, c->bytes + c->sent, due - c->sent);
            c->sent = due;
        }
        if (c->sent < c->len || now < c->start_ns) {
            size_t burst = c->baud * BURST_MS / 10000;
            size_t k = c->sent + (burst > 0 ? burst : 1);
            l->tx_next_ns = c->len == 0 ? c->start_ns : byte_end(c, k < c->len ? k : c->len);
            return;
        }
        l->wire_free_ns = byte_end(c, c->len);
        l->head = c->next;
        if (l->head == NULL)
            l->tail = NULL;
        bool hangup = c->hangup;
        free(c);
        if (hangup && l->role == ROLE_FAR) {
            far_hangup(l, now);
            return;
        }
        if (hangup && l->kind == PMU_SIM_TCP) {
            drop_client(l, now);
            return;
        }
    }
}

/* Arms the line's timer for the next byte due or the nearest meter deadline. */
static void schedule(struct line *l, uint64_t now);

static void on_timer(uv_timer_t *t);

/* Carries out what a meter asked for after an event at at_ms. */
static void apply(struct line *l, struct slot *s, const struct pmu_sim_action *act,
                  int64_t at_ms, uint64_t now)
{
    s->deadline_ms = act->deadline_ms;
    s->baud = act->baud;
    if (act->restart) {
        /* A new session: what is still queued from the old one is not wanted, nor is
         * anything the previous reader of the pty left unread. */
        flush_output(l, now);
        if (l->kind == PMU_SIM_PTY)
            tcflush(l->slave, TCIFLUSH);
    }
    for (size_t i = 0; i < act->n_segments; i++) {
        const struct pmu_sim_segment *g = &act->seg[i];
        uint64_t gap = (uint64_t)g->gap_ms * NS_PER_MS;
        bool last = i + 1 == act->n_segments;
        if (i == 0)
            enqueue(l, g->bytes, g->len, g->baud, false, hr_of(l->sim, at_ms) + gap,
                    act->hangup && last);
        else
            enqueue(l, g->bytes, g->len, g->baud, true, gap, act->hangup && last);
    }
    if (act->hangup && act->n_segments == 0)
        enqueue(l, NULL, 0, act->baud, false, hr_of(l->sim, at_ms), true);
}

/* The rate the line runs at: a meter in a session listens faster than idle ones. */
static unsigned line_rate(const struct line *l)
{
    if (l->role == ROLE_DEVICE)
        return l->dev_baud;
    unsigned rate = 300;
    for (size_t i = 0; i < l->n; i++)
        if (l->slots[i].baud > rate)
            rate = l->slots[i].baud;
    return rate;
}

/* Bytes from the host. */
static void input(struct line *l, const uint8_t *p, size_t n)
{
    uint64_t now = uv_hrtime();
    uint64_t begin = l->rx_free_ns > now ? l->rx_free_ns : now;
    l->rx_free_ns = begin + (uint64_t)n * BIT_NS_X10 / line_rate(l);
    int64_t at = meter_ms(l->sim, l->rx_free_ns);
    if (l->role == ROLE_DEVICE) {
        l->dev_ops->input(l->dev_ctx, at, p, n);
        pump(l, now);
        schedule(l, now);
        return;
    }
    /* Every meter on the line hears every byte; only the addressed one answers. */
    for (size_t i = 0; i < l->n; i++) {
        struct slot *s = &l->slots[i];
        size_t off = 0;
        while (off < n) {
            size_t used = 0;
            struct pmu_sim_action act;
            if (pmu_sim_meter_input(&s->meter, at, p + off, n - off, &used, &act) != PMU_OK)
                fprintf(stderr, "pmu-sim: meter %s: out of memory\n", s->meter.serial);
            apply(l, s, &act, at, now);
            if (used == 0)
                break;
            off += used;
        }
    }
    pump(l, now);
    schedule(l, now);
}

static void schedule(struct line *l, uint64_t now)
{
    uint64_t next = l->head != NULL ? l->tx_next_ns : UINT64_MAX;
    if (l->role == ROLE_DEVICE && l->dev_deadline_ms != PMU_SIM_NEVER &&
        hr_of(l->sim, l->dev_deadline_ms) < next)
        next = hr_of(l->sim, l->dev_deadline_ms);
    for (size_t i = 0; i < l->n; i++)
        if (l->slots[i].deadline_ms != PMU_SIM_NEVER) {
            uint64_t at = hr_of(l->sim, l->slots[i].deadline_ms);
            if (at < next)
                next = at;
        }
    if (next == UINT64_MAX) {
        uv_timer_stop(&l->timer);
        return;
    }
    uint64_t ms = next > now ? (next - now + NS_PER_MS - 1) / NS_PER_MS : 0;
    uv_timer_start(&l->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *t)
{
    struct line *l = t->data;
    uint64_t now = uv_hrtime();
    int64_t ms = meter_ms(l->sim, now);
    if (l->role == ROLE_DEVICE && l->dev_deadline_ms <= ms) {
        l->dev_deadline_ms = PMU_SIM_NEVER;
        l->dev_ops->timer(l->dev_ctx, ms); /* sets the next deadline itself */
    }
    for (size_t i = 0; i < l->n; i++) {
        struct slot *s = &l->slots[i];
        if (s->deadline_ms > ms)
            continue;
        struct pmu_sim_action act;
        pmu_sim_meter_timer(&s->meter, ms, &act);
        apply(l, s, &act, ms, now);
    }
    pump(l, now);
    schedule(l, now);
}

/* ---- Pseudo-terminals ----------------------------------------------------------------- */

static void on_pty(uv_poll_t *h, int status, int events)
{
    struct line *l = h->data;
    if (status < 0 || !(events & UV_READABLE)) {
        if (status < 0) {
            fprintf(stderr, "pmu-sim: %s: %s; line stopped\n", l->path, uv_strerror(status));
            uv_poll_stop(h);
        }
        return;
    }
    for (;;) {
        ssize_t n = read(l->master, l->sim->rbuf, sizeof l->sim->rbuf);
        if (n > 0) {
            input(l, l->sim->rbuf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* all read */
        /* EIO cannot happen while we hold the slave open; if it does, do not spin. */
        fprintf(stderr, "pmu-sim: %s: %s; line stopped\n", l->path,
                n == 0 ? "end of file" : strerror(errno));
        uv_poll_stop(h);
        return;
    }
}

/* Raw 8-bit bytes at 300 baud, no echo, no line editing, no signals: a serial line. */
static int make_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return -1;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8 | CREAD | CLOCAL;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, B300);
    cfsetospeed(&t, B300);
    return tcsetattr(fd, TCSANOW, &t);
}

static enum pmu_status open_pty(struct line *l, struct pmu_error *err)
{
    l->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (l->master < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot open a pseudo-terminal: %s",
                             strerror(errno));
    const char *name;
    if (grantpt(l->master) != 0 || unlockpt(l->master) != 0 ||
        (name = ptsname(l->master)) == NULL || strlen(name) >= sizeof l->path)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot set up a pseudo-terminal: %s",
                             strerror(errno));
    strcpy(l->path, name);
    /* Our own slave descriptor keeps the pty alive while readers come and go: with it
     * open the master never sees a hang-up. We never read it. */
    l->slave = open(l->path, O_RDWR | O_NOCTTY);
    if (l->slave < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot open %s: %s", l->path,
                             strerror(errno));
    int flags = fcntl(l->master, F_GETFL);
    if (make_raw(l->slave) != 0 || flags < 0 ||
        fcntl(l->master, F_SETFL, flags | O_NONBLOCK) != 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot configure %s: %s", l->path,
                             strerror(errno));
    int rc = uv_poll_init(l->sim->loop, &l->h.poll, l->master);
    if (rc == 0) {
        l->open_handles++;
        l->h.poll.data = l;
        rc = uv_poll_start(&l->h.poll, UV_READABLE, on_pty);
    }
    if (rc != 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot watch %s: %s", l->path,
                             uv_strerror(rc));
    return PMU_OK;
}

/* ---- TCP ----------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct line *l = h->data;
    *buf = uv_buf_init((char *)l->sim->rbuf, sizeof l->sim->rbuf);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct line *l = stream->data;
    if (n > 0)
        input(l, (const uint8_t *)buf->base, (size_t)n);
    else if (n < 0) /* the host hung up, or the connection broke */
        drop_client(l, uv_hrtime());
}

static void on_connection(uv_stream_t *server, int status)
{
    struct line *l = server->data;
    if (status < 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    if (c == NULL || uv_tcp_init(l->sim->loop, c) != 0) {
        free(c);
        return;
    }
    if (uv_accept(server, (uv_stream_t *)c) != 0 || l->client != NULL) {
        /* One connection at a time, like a gateway port: a second one is refused. */
        uv_close((uv_handle_t *)c, on_client_closed);
        return;
    }
    c->data = l;
    uv_tcp_nodelay(c, 1); /* bursts are small and timed: do not let Nagle hold them */
    fresh_session(l, uv_hrtime());
    l->client = c;
    if (uv_read_start((uv_stream_t *)c, on_alloc, on_read) != 0)
        drop_client(l, uv_hrtime());
}

static enum pmu_status open_tcp(struct line *l, struct pmu_error *err)
{
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    int rc = uv_tcp_init(l->sim->loop, &l->h.listener);
    if (rc == 0) {
        l->open_handles++;
        l->h.listener.data = l;
        uv_ip4_addr("127.0.0.1", 0, &addr);
        rc = uv_tcp_bind(&l->h.listener, (const struct sockaddr *)&addr, 0);
    }
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->h.listener, 16, on_connection);
    if (rc == 0)
        rc = uv_tcp_getsockname(&l->h.listener, (struct sockaddr *)&bound, &len);
    if (rc != 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET,
                             "cannot listen on 127.0.0.1: %s", uv_strerror(rc));
    l->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return PMU_OK;
}

/* ---- Lines ------------------------------------------------------------------------------ */

static void free_line(struct line *l)
{
    flush_output(l, 0);
    for (size_t i = 0; i < l->n; i++)
        pmu_sim_meter_free(&l->slots[i].meter);
    if (l->master >= 0)
        close(l->master);
    if (l->slave >= 0)
        close(l->slave);
    free(l);
}

static void on_line_handle_closed(uv_handle_t *h)
{
    struct line *l = h->data;
    if (--l->open_handles == 0)
        free_line(l);
}

/* A line of n meters (n may be 0) with its timer, without a transport yet. */
static struct line *new_line(struct sim *sim, enum pmu_sim_transport kind,
                             const struct pmu_sim_config *cfg, unsigned first, unsigned n,
                             struct pmu_error *err)
{
    struct line *l = calloc(1, sizeof *l + n * sizeof l->slots[0]);
    if (l == NULL) {
        pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        return NULL;
    }
    l->sim = sim;
    l->kind = kind;
    l->role = ROLE_METERS;
    l->dev_deadline_ms = PMU_SIM_NEVER;
    l->master = l->slave = -1;
    for (unsigned i = 0; i < n; i++) {
        if (pmu_sim_meter_init(&l->slots[i].meter, cfg, first + i) != PMU_OK) {
            pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
            l->n = i + 1;
            free_line(l);
            return NULL;
        }
        l->slots[i].deadline_ms = PMU_SIM_NEVER;
        l->slots[i].baud = l->slots[i].meter.baud;
    }
    l->n = n;
    uv_timer_init(sim->loop, &l->timer);
    l->timer.data = l;
    l->open_handles = 1;
    return l;
}

static struct line *open_transport(struct line *l, struct pmu_error *err)
{
    enum pmu_status st = l->kind == PMU_SIM_PTY ? open_pty(l, err) : open_tcp(l, err);
    if (st != PMU_OK) {
        line_close(l);
        return NULL;
    }
    return l;
}

struct line *line_open(struct sim *sim, enum pmu_sim_transport kind,
                       const struct pmu_sim_config *cfg, unsigned first, unsigned n,
                       struct pmu_error *err)
{
    struct line *l = new_line(sim, kind, cfg, first, n, err);
    return l == NULL ? NULL : open_transport(l, err);
}

struct line *line_open_far(struct sim *sim, const struct pmu_sim_config *cfg, unsigned first,
                           unsigned n, struct pmu_error *err)
{
    struct line *l = new_line(sim, PMU_SIM_TCP, cfg, first, n, err);
    if (l != NULL)
        l->role = ROLE_FAR;
    return l;
}

struct line *line_open_device(struct sim *sim, enum pmu_sim_transport kind, unsigned baud,
                              const struct line_device_ops *ops, void *ctx,
                              struct pmu_error *err)
{
    struct line *l = new_line(sim, kind, NULL, 0, 0, err);
    if (l == NULL)
        return NULL;
    l->role = ROLE_DEVICE;
    l->dev_ops = ops;
    l->dev_ctx = ctx;
    l->dev_baud = baud;
    return open_transport(l, err);
}

void line_attach(struct line *l, const struct line_far_ops *ops, void *ctx)
{
    fresh_session(l, uv_hrtime());
    l->far_ops = ops;
    l->far_ctx = ctx;
}

void line_detach(struct line *l)
{
    if (l->far_ops == NULL)
        return;
    uint64_t now = uv_hrtime();
    l->far_ops = NULL;
    fresh_session(l, now);
    schedule(l, now);
}

void line_feed(struct line *l, const uint8_t *p, size_t n)
{
    if (l->role == ROLE_FAR && l->far_ops != NULL && n > 0)
        input(l, p, n);
}

void line_send(struct line *l, const uint8_t *p, size_t n, int64_t at_ms)
{
    if (n == 0)
        return;
    uint64_t now = uv_hrtime();
    enqueue(l, p, n, l->dev_baud, false, hr_of(l->sim, at_ms), false);
    pump(l, now);
    schedule(l, now);
}

void line_set_deadline(struct line *l, int64_t deadline_ms)
{
    l->dev_deadline_ms = deadline_ms;
    schedule(l, uv_hrtime());
}

int64_t line_now_ms(const struct line *l)
{
    return meter_ms(l->sim, uv_hrtime());
}

size_t line_meters(const struct line *l)
{
    return l->n;
}

const struct pmu_sim_meter *line_meter(const struct line *l, size_t i)
{
    return &l->slots[i].meter;
}

void line_describe(const struct line *l, char *out, size_t size)
{
    if (l->kind == PMU_SIM_PTY)
        snprintf(out, size, "serial:%s?baud=%u&parity=none", l->path, l->dev_baud);
    else
        snprintf(out, size, "tcp:127.0.0.1:%d?parity=none", l->port);
}

void line_print(const struct line *l, FILE *out)
{
    if (l->role != ROLE_METERS)
        return; /* modems, PADs and the meters behind them: see remote.c */
    for (size_t i = 0; i < l->n; i++) {
        const struct pmu_sim_meter *m = &l->slots[i].meter;
        /* parity=soft: see enqueue(); TCP paths have it by default */
        if (l->kind == PMU_SIM_TCP)
            fprintf(out, "meter %s tcp:127.0.0.1:%d?address=%s\n", m->serial, l->port, m->address);
        else if (l->n > 1 || m->cfg->addressed_only)
            fprintf(out, "meter %s serial:%s?address=%s&parity=soft\n", m->serial, l->path, m->address);
        else
            fprintf(out, "meter %s serial:%s?parity=soft\n", m->serial, l->path);
    }
}

void line_close(struct line *l)
{
    if (l->client != NULL) {
        uv_close((uv_handle_t *)l->client, on_client_closed);
        l->client = NULL;
    }
    /* open_handles counts the handles that were initialised: the timer always, the
     * pty poll or TCP listener when it got that far. */
    bool transport = l->open_handles > 1;
    uv_close((uv_handle_t *)&l->timer, on_line_handle_closed);
    if (transport)
        uv_close((uv_handle_t *)&l->h, on_line_handle_closed);
}
