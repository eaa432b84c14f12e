/* Generic IEC 62056-21 session: see pmu/session.h.
 *
 * Shape: every event updates the state from what arrived, then run() sends what is due,
 * applies a due rate change, checks the answer deadline, and says when to wake next.
 * A message the host sends goes through one "pending" slot with the time it may
 * leave (the reaction time after the meter's last byte). */
#include "pmu/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/dataset.h"
#include "pmu/elster_session.h"

#include "writes.h"

enum wait {
    W_NONE,
    W_IDENT,      /* identification after the sign-on */
    W_READOUT,    /* data readout */
    W_P0,         /* operand after the option select (programming mode) */
    W_PASSWORD,   /* ACK to P1 */
    W_ANSWER,     /* answer to R1 / R5 */
    W_RESTART,    /* B0 before signing on again */
    W_CLOSE       /* B0 at the end; done once it has left the wire */
};

const char *pmu_session_stage_name(enum pmu_session_stage stage)
{
    switch (stage) {
    case PMU_STAGE_DIAL: return "dial";
    case PMU_STAGE_SIGNON: return "sign-on";
    case PMU_STAGE_READOUT: return "readout";
    case PMU_STAGE_PASSWORD: return "password";
    case PMU_STAGE_REGISTERS: return "registers";
    case PMU_STAGE_PROFILE: return "profile";
    case PMU_STAGE_WRITES: return "writes";
    case PMU_STAGE_CLOSING: return "closing";
    case PMU_STAGE_HANGUP: return "hang-up";
    case PMU_STAGE_DONE: return "done";
    }
    return "?";
}

uint64_t pmu_wire_ms(size_t n, unsigned baud)
{
    if (baud == 0)
        return 0;
    return ((uint64_t)n * 10000u + baud - 1) / baud;
}

static enum pmu_status parser_init(struct pmu_session *s, struct pmu_error *err)
{
    struct pmu_iec_parser_options po = {.checksum = s->path.checksum, .no_option_select = true};
    if (pmu_iec_parser_init(&s->parser, &po) != PMU_OK)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    pmu_readout_init(&s->result);
    pmu_dialer_init(&s->dialer, &s->path.dial);
    s->baud = s->path.baud ? s->path.baud : s->path.kind == PMU_LINK_TCP ? 9600 : 300;
    s->status = PMU_OK;
    pmu_error_clear(&s->error);
    return PMU_OK;
}

/* An Elster meter: programming mode (option Y = 6), the driver does the rest. */
static enum pmu_status elster_init(struct pmu_session *s, struct pmu_error *err)
{
    s->elster = calloc(1, sizeof *s->elster);
    if (s->elster == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    enum pmu_status st = pmu_elster_driver_init(s->elster, s->req.elster, &s->result, false, 0, err);
    if (st == PMU_OK)
        st = parser_init(s, err);
    if (st != PMU_OK) {
        pmu_elster_driver_free(s->elster);
        free(s->elster);
        s->elster = NULL;
        return st;
    }
    s->programming = true;
    return PMU_OK;
}

void pmu_session_set_host_clock(struct pmu_session *s, int64_t offset_ms)
{
    if (s->elster != NULL)
        pmu_elster_driver_host_clock(s->elster, offset_ms);
}

enum pmu_status pmu_session_init(struct pmu_session *s, const struct pmu_path *path,
                                 const struct pmu_read_request *req, struct pmu_error *err)
{
    memset(s, 0, sizeof *s);
    s->path = *path;
    s->req = *req;
    if (req->elster != NULL)
        return elster_init(s, err);
    if (!req->readout && req->n_codes == 0 && !req->profile && req->n_writes == 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "nothing to read: ask for the readout, codes, the profile or writes");
    if ((req->n_codes > 0 || req->profile || req->n_writes > 0) &&
        (req->password == NULL || req->password[0] == '\0'))
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "reading codes or the load profile and writing use programming mode, "
                             "which needs the meter password (--password)");
    if (req->password != NULL && strlen(req->password) > 32)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "the meter password is longer than 32 characters");
    for (size_t i = 0; i < req->n_codes; i++)
        if (strlen(req->codes[i]) > 32)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "code '%s' is longer than 32 characters",
                                 req->codes[i]);
    enum pmu_status st = pmu_session_writes_init(s, err);
    if (st != PMU_OK)
        return st;
    s->programming = !req->readout;
    st = parser_init(s, err);
    if (st != PMU_OK) {
        free(s->writes);
        s->writes = NULL;
    }
    return st;
}

void pmu_session_free(struct pmu_session *s)
{
    pmu_iec_parser_free(&s->parser);
    pmu_readout_free(&s->result);
    if (s->elster != NULL) {
        pmu_elster_driver_free(s->elster);
        free(s->elster);
        s->elster = NULL;
    }
    free(s->misses);
    s->misses = NULL;
    free(s->writes);
    s->writes = NULL;
    s->n_writes = 0;
}

/* Can we change the line rate? Not on TCP, not on a path with a fixed rate. */
static bool can_switch(const struct pmu_session *s)
{
    return s->path.kind == PMU_LINK_SERIAL && s->path.baud == 0 && s->path.dial.kind == PMU_DIAL_NONE;
}

static unsigned reaction(const struct pmu_session *s)
{
    unsigned r = s->path.reaction_ms;
    return s->has_ident && s->ident.fast_reaction && r > 20 ? 20 : r;
}

/* Queues a message to leave at time `at`. */
static void queue(struct pmu_session *s, const uint8_t *msg, size_t len, uint64_t at,
                  bool expects_answer, size_t secret_off, size_t secret_len)
{
    memcpy(s->pending, msg, len);
    s->pending_len = len;
    s->pending_secret_off = secret_off;
    s->pending_secret_len = secret_len;
    s->pending_expects_answer = expects_answer;
    s->send_at = at;
    s->send_pending = true;
}

static void queue_command(struct pmu_session *s, const char *cmd, const char *data, uint64_t at,
                          bool secret)
{
    uint8_t msg[128];
    long n = pmu_iec_build_command(s->path.checksum, cmd, (const uint8_t *)data,
                                   data ? strlen(data) : 0, msg, sizeof msg);
    if (n < 0)
        return; /* lengths were checked in init */
    /* the secret is the data between STX and ETX */
    bool b0 = strcmp(cmd, "B0") == 0;
    s->b0_sent = s->b0_sent || b0;
    queue(s, msg, (size_t)n, at, !b0, secret ? 4 : 0, secret ? strlen(data) : 0);
}

static void queue_control(struct pmu_session *s, uint8_t c, uint64_t at)
{
    queue(s, &c, 1, at, true, 0, 0);
}

static void start_hangup(struct pmu_session *s);
static bool dialling(const struct pmu_session *s);
static void dialer_result(struct pmu_session *s, enum pmu_dialer_result r, struct pmu_session_out *out);
static void finish_dialer(struct pmu_session *s, struct pmu_session_out *out);

/* The meter session is over: hang up the call if there is one, else done. */
static void end(struct pmu_session *s)
{
    s->awaiting = false;
    s->send_pending = false;
    if (s->connected && s->keep_call) {
        if (!s->b0_sent) { /* the next meter on this line is addressed after a B0 */
            s->stage = PMU_STAGE_CLOSING;
            s->state = W_CLOSE;
            queue_command(s, "B0", NULL, s->now + reaction(s), false);
            return;
        }
        s->stage = PMU_STAGE_DONE; /* the call stays up for the next meter */
        s->state = W_NONE;
        return;
    }
    if (s->connected) {
        start_hangup(s);
        return;
    }
    s->stage = PMU_STAGE_DONE;
    s->state = W_NONE;
}

/* Ends the session with an error. In programming mode the meter is told B0 first. */
static void fail(struct pmu_session *s, enum pmu_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct pmu_session *s, enum pmu_status code, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->status = code;
    pmu_error_set(&s->error, code, PMU_NO_OFFSET, "%s (stage %s)", msg, pmu_session_stage_name(s->stage));
    s->awaiting = false;
    bool line_up = s->path.dial.kind == PMU_DIAL_NONE || s->connected; /* B0 into a lost call helps nobody */
    if (line_up && s->stage >= PMU_STAGE_PASSWORD && s->stage < PMU_STAGE_CLOSING) {
        s->stage = PMU_STAGE_CLOSING;
        s->state = W_CLOSE;
        queue_command(s, "B0", NULL, s->now, false);
    } else {
        end(s);
    }
}

static void schedule_switch(struct pmu_session *s, uint64_t at, unsigned rate)
{
    s->switch_at = at;
    s->switch_to = rate;
    s->switch_pending = true;
}

static void begin_signon(struct pmu_session *s, uint64_t at)
{
    uint8_t msg[64];
    long n = pmu_iec_build_signon(s->path.address, msg, sizeof msg);
    s->stage = PMU_STAGE_SIGNON;
    s->state = W_IDENT;
    s->has_ident = false;
    s->signons++;
    if (can_switch(s) && s->baud != 300)
        schedule_switch(s, at, 300);
    queue(s, msg, (size_t)n, at, true, 0, 0);
}

/* A sign-on got no usable identification: B0, wait 2 s, try again. */
static void restart(struct pmu_session *s, const char *why)
{
    s->repeats++;
    if (s->signons > s->path.retries) {
        fail(s, PMU_E_TIMEOUT, "%s after %u sign-on attempts", why, s->signons);
        return;
    }
    s->state = W_RESTART;
    s->awaiting = false;
    queue_command(s, "B0", NULL, s->now, false);
}

/* sYYMMDDhhmm as R5 wants it; season 0 (normal time) when the time has none. */
static void vdew_time(const struct pmu_timestamp *t, char *buf, size_t size)
{
    snprintf(buf, size, "%d%02d%02d%02d%02d%02d", t->season < 0 ? 0 : t->season, t->year % 100,
             t->month, t->day, t->hour, t->minute);
}

static void next_request(struct pmu_session *s, uint64_t at)
{
    char data[160];
    s->attempts = 0;
    s->block_continues = false;
    if (s->next_write < s->n_writes) {
        const struct pmu_iec_write *w = &s->req.writes[s->next_write];
        s->stage = PMU_STAGE_WRITES;
        s->state = W_ANSWER;
        if (s->write_step == PMU_WRITE_BEFORE && !w->verify)
            s->write_step = PMU_WRITE_SEND;
        if (s->write_step == PMU_WRITE_SEND) {
            snprintf(data, sizeof data, "%s(%s)", w->address, w->value ? w->value : "");
            queue_command(s, "W1", data, at, false);
        } else {
            snprintf(data, sizeof data, "%s()", w->address);
            queue_command(s, "R1", data, at, false);
        }
        return;
    }
    if (s->next_code < s->req.n_codes) {
        s->stage = PMU_STAGE_REGISTERS;
        s->state = W_ANSWER;
        snprintf(data, sizeof data, "%s()", s->req.codes[s->next_code]);
        queue_command(s, "R1", data, at, false);
        return;
    }
    if (s->req.profile && s->stage != PMU_STAGE_PROFILE) {
        char from[64] = "", to[64] = "";
        if (s->req.has_from)
            vdew_time(&s->req.from, from, sizeof from);
        if (s->req.has_to)
            vdew_time(&s->req.to, to, sizeof to);
        snprintf(data, sizeof data, "P.01(%s;%s)", from, to);
        s->stage = PMU_STAGE_PROFILE;
        s->state = W_ANSWER;
        queue_command(s, "R5", data, at, false);
        return;
    }
    s->stage = PMU_STAGE_CLOSING;
    s->state = W_CLOSE;
    queue_command(s, "B0", NULL, at, false);
}

/* The meter's message was damaged or refused with NAK-worthy trouble: ask again. */
static void ask_again(struct pmu_session *s, const char *what)
{
    s->repeats++;
    if (++s->attempts > s->path.retries) {
        fail(s, PMU_E_PROTOCOL, "%s, still after %u repeats", what, s->path.retries);
        return;
    }
    s->receiving = false;
    queue_control(s, PMU_NAK, s->now + reaction(s));
}

static void repeat_request(struct pmu_session *s, const char *what)
{
    s->repeats++;
    if (++s->attempts > s->path.retries) {
        fail(s, PMU_E_TIMEOUT, "%s, still after %u repeats", what, s->path.retries);
        return;
    }
    queue(s, s->last_request, s->last_request_len, s->now + reaction(s), true,
          s->last_secret_off, s->last_secret_len);
}

static void readout_finished(struct pmu_session *s)
{
    s->readout_done = true;
    if (s->req.n_codes == 0 && !s->req.profile && s->n_writes == 0) {
        end(s);
        return;
    }
    /* The meter is back at 300 baud waiting for a sign-on: sign on for programming. */
    s->programming = true;
    s->signons = 0;
    begin_signon(s, s->now + reaction(s));
}

static void on_ident(struct pmu_session *s, const struct pmu_iec_frame *f)
{
    if (pmu_iec_ident_parse(f->raw, f->raw_len, &s->ident, NULL) != PMU_OK)
        return;
    s->has_ident = true;
    s->attempts = 0;
    uint64_t at = s->now + reaction(s);
    if (s->ident.mode == PMU_IEC_MODE_A || s->ident.mode == PMU_IEC_MODE_B) {
        if (s->programming) {
            fail(s, PMU_E_UNSUPPORTED, "the meter works in mode %s: it offers the data readout only, "
                 "not programming mode (R1, R5)", pmu_iec_mode_name(s->ident.mode));
            return;
        }
        if (s->ident.mode == PMU_IEC_MODE_B && can_switch(s))
            schedule_switch(s, s->now, s->ident.baud); /* the meter switches right after its identification */
        s->stage = PMU_STAGE_READOUT;
        s->state = W_READOUT;
        s->awaiting = true;
        s->receiving = false;
        s->answer_due = s->now + s->path.timeout_ms;
        return;
    }
    if (s->elster != NULL) {
        struct pmu_error e;
        if (pmu_elster_driver_ident(s->elster, f->raw, f->raw_len, &e) != PMU_OK) {
            fail(s, e.code, "%s", e.message);
            return;
        }
    }
    unsigned rate = s->ident.baud < s->path.max_baud ? s->ident.baud : s->path.max_baud;
    if (s->path.baud)
        rate = s->path.baud;
    uint8_t msg[8];
    long n = pmu_iec_build_option('0', pmu_iec_baud_char(rate),
                                 s->elster ? '6' : s->programming ? '1' : '0', msg, sizeof msg);
    queue(s, msg, (size_t)n, at, true, 0, 0);
    if (can_switch(s)) /* switch once the option select has left the wire at the old rate */
        schedule_switch(s, at + pmu_wire_ms((size_t)n, s->baud) + s->path.switch_delay_ms, rate);
    s->stage = s->programming ? PMU_STAGE_PASSWORD : PMU_STAGE_READOUT;
    s->state = s->programming ? W_P0 : W_READOUT;
}

static bool is_error_answer(const uint8_t *d, size_t n)
{
    return n >= 4 && memcmp(d, "(ERR", 4) == 0;
}

static void record_miss(struct pmu_session *s, const char *code, const uint8_t *d, size_t n)
{
    struct pmu_session_miss *m = realloc(s->misses, (s->n_misses + 1) * sizeof *m);
    if (m == NULL)
        return;
    s->misses = m;
    snprintf(m[s->n_misses].code, sizeof m->code, "%s", code);
    snprintf(m[s->n_misses].answer, sizeof m->answer, "%.*s", (int)(n < 32 ? n : 32), (const char *)d);
    s->n_misses++;
}

/* Does the R1 answer carry the code we asked for? Guards against answers to a
 * different request after a repeat crossed an answer on the line. */
static bool answer_matches(const struct pmu_iec_frame *f, const char *code)
{
    struct pmu_dataset_reader rd;
    struct pmu_dataset ds;
    pmu_dataset_reader_init(&rd, f->data, f->data_len, 0);
    if (pmu_dataset_next(&rd, &ds, NULL) != PMU_OK)
        return false;
    return ds.address_len == strlen(code) && memcmp(ds.address, code, ds.address_len) == 0;
}

/* The Elster driver's next message, or B0 when it is done. */
static void elster_next(struct pmu_session *s, uint64_t at)
{
    uint8_t msg[256];
    size_t n = 0, off = 0, slen = 0;
    struct pmu_error e;
    s->attempts = 0;
    enum pmu_status st = pmu_elster_driver_next(s->elster, at, msg, sizeof msg, &n, &off, &slen, &e);
    if (st == PMU_DONE) {
        s->stage = PMU_STAGE_CLOSING;
        s->state = W_CLOSE;
        queue_command(s, "B0", NULL, at, false);
        return;
    }
    if (st != PMU_OK) {
        fail(s, st, "%s", e.message);
        return;
    }
    s->stage = pmu_elster_driver_in_profile(s->elster) ? PMU_STAGE_PROFILE : PMU_STAGE_REGISTERS;
    s->state = W_ANSWER;
    queue(s, msg, n, at, true, off, slen);
}

/* An answer for the Elster driver: ACK, or a data block. */
static void elster_answer(struct pmu_session *s, const struct pmu_iec_frame *f)
{
    struct pmu_error e;
    bool ack = f->kind == PMU_IEC_ACK;
    s->awaiting = false;
    if (pmu_elster_driver_answer(s->elster, s->now, ack, ack ? NULL : f->data, ack ? 0 : f->data_len, &e) != PMU_OK) {
        fail(s, e.code, "%s", e.message);
        return;
    }
    /* After a repeat the meter may still send a second, late answer: the next request
     * waits a whole answer time-out, and bytes that come meanwhile go unheard. */
    elster_next(s, s->now + (s->attempts > 0 ? s->path.timeout_ms : reaction(s)));
}

static void on_block(struct pmu_session *s, const struct pmu_iec_frame *f)
{
    uint64_t at = s->now + reaction(s);
    bool registers = s->stage == PMU_STAGE_REGISTERS;
    const char *code = registers ? s->req.codes[s->next_code] : "P.01";
    if (s->state == W_ANSWER && is_error_answer(f->data, f->data_len)) {
        record_miss(s, code, f->data, f->data_len);
    } else if (s->state == W_ANSWER && !s->block_continues && registers && !answer_matches(f, code)) {
        ask_again(s, "the answer does not carry the code asked for");
        return;
    } else {
        pmu_readout_add_block(&s->result, f->data, f->data_len, f->data_offset, s->exchanges,
                              s->block_continues);
    }
    s->awaiting = false;
    if (f->partial) { /* more blocks follow: acknowledge this one */
        s->block_continues = true;
        s->awaiting = true;
        s->receiving = false;
        s->attempts = 0;
        queue_control(s, PMU_ACK, at);
        return;
    }
    s->block_continues = false;
    if (s->state == W_READOUT) {
        readout_finished(s);
        return;
    }
    if (registers)
        s->next_code++;
    next_request(s, at);
}

/* A refused or mismatched write: the rest stay pending, B0 ends the session. */
static void stop_writes(struct pmu_session *s, enum pmu_status code)
{
    const struct pmu_iec_write_result *r = &s->writes[s->next_write];
    fail(s, code, "write %zu of %zu, %s(%s): %s; the writes after it were not sent", s->next_write + 1,
         s->n_writes, r->address, r->written, r->message);
}

/* The meter's answer to one of the write steps: R1 before, W1, R1 after. */
static void write_answer(struct pmu_session *s, bool bad, const struct pmu_iec_frame *f)
{
    if (bad) {
        ask_again(s, "the meter's answer during a write had a bad check character");
        return;
    }
    switch (pmu_session_write_answer(s, f)) {
    case PMU_WRITE_IGNORE:
        return;
    case PMU_WRITE_ASK_AGAIN:
        ask_again(s, "the answer does not carry the address asked for");
        return;
    case PMU_WRITE_REPEAT:
        repeat_request(s, "the meter keeps answering NAK");
        return;
    case PMU_WRITE_NEXT:
        s->awaiting = false;
        next_request(s, s->now + reaction(s));
        return;
    case PMU_WRITE_STOP_REFUSED:
        s->awaiting = false;
        stop_writes(s, PMU_E_REFUSED);
        return;
    case PMU_WRITE_STOP_MISMATCH:
        s->awaiting = false;
        stop_writes(s, PMU_E_PROTOCOL);
        return;
    }
}

/* In data mode a modem reports a lost call as "NO CARRIER" and a PAD as "CLR <cause>":
 * text a meter never sends. Looked for in the raw bytes, across chunk boundaries. */
static bool call_lost(struct pmu_session *s, const uint8_t *in, size_t len)
{
    if (!s->connected)
        return false;
    const char *needle = s->path.dial.kind == PMU_DIAL_PAD ? "CLR " : "NO CARRIER";
    size_t n = strlen(needle);
    char window[64];
    size_t w = s->carrier_tail_len;
    memcpy(window, s->carrier_tail, w);
    size_t take = len < sizeof window - w ? len : sizeof window - w;
    memcpy(window + w, in, take);
    bool lost = false;
    for (size_t i = 0; !lost && i + n <= w + take; i++)
        lost = memcmp(window + i, needle, n) == 0;
    for (size_t i = 0; !lost && i + n <= len; i++)
        lost = memcmp(in + i, needle, n) == 0;
    /* keep the last n-1 bytes for the next call */
    size_t keep = n - 1;
    if (len >= keep) {
        memcpy(s->carrier_tail, in + len - keep, keep);
        s->carrier_tail_len = keep;
    } else {
        size_t old = s->carrier_tail_len + len > keep ? s->carrier_tail_len + len - keep : 0;
        memmove(s->carrier_tail, s->carrier_tail + old, s->carrier_tail_len - old);
        memcpy(s->carrier_tail + s->carrier_tail_len - old, in, len);
        s->carrier_tail_len = s->carrier_tail_len - old + len;
    }
    if (lost) {
        s->connected = false; /* nothing left to hang up */
        fail(s, PMU_E_IO, "the %s lost the call to %s", s->path.dial.kind == PMU_DIAL_PAD ? "PAD" : "modem",
             s->path.dial.number);
    }
    return lost;
}

static void on_frame(struct pmu_session *s, enum pmu_status st, const struct pmu_iec_frame *f)
{
    bool bad = st != PMU_OK;
    if (!bad && (f->kind == PMU_IEC_NOISE || f->kind == PMU_IEC_TEXT))
        return; /* line noise between messages: ignore */
    s->receiving = false;
    switch ((enum wait)s->state) {
    case W_IDENT:
        if (!bad && f->kind == PMU_IEC_IDENT)
            on_ident(s, f);
        return; /* anything else: the time-out restarts the sign-on */
    case W_READOUT:
    case W_ANSWER:
        if (s->stage == PMU_STAGE_WRITES) {
            write_answer(s, bad, f);
            return;
        }
        if (s->elster != NULL && !bad && (f->kind == PMU_IEC_DATA || f->kind == PMU_IEC_ACK)) {
            elster_answer(s, f);
            return;
        }
        if (bad) {
            ask_again(s, "the meter's answer had a bad check character");
        } else if (f->kind == PMU_IEC_DATA) {
            on_block(s, f);
        } else if (f->kind == PMU_IEC_NAK) {
            repeat_request(s, "the meter keeps answering NAK");
        }
        return;
    case W_P0:
        if (bad) {
            ask_again(s, "the meter's operand had a bad check character");
        } else if (f->kind == PMU_IEC_COMMAND && strcmp(f->cmd, "P0") == 0 && s->elster != NULL) {
            uint8_t msg[64];
            size_t n = 0, off = 0, slen = 0;
            struct pmu_error e;
            if (pmu_elster_driver_seed(s->elster, f->data, f->data_len, msg, sizeof msg, &n, &off, &slen, &e) != PMU_OK) {
                fail(s, e.code, "%s", e.message);
                return;
            }
            s->attempts = 0;
            s->state = W_PASSWORD;
            queue(s, msg, n, s->now + reaction(s), true, off, slen);
        } else if (f->kind == PMU_IEC_COMMAND && strcmp(f->cmd, "P0") == 0) {
            snprintf(s->operand, sizeof s->operand, "%.*s", (int)f->data_len, (const char *)f->data);
            char data[40];
            snprintf(data, sizeof data, "(%s)", s->req.password);
            s->attempts = 0;
            s->state = W_PASSWORD;
            queue_command(s, "P1", data, s->now + reaction(s), true);
        }
        return;
    case W_PASSWORD:
        if (bad) {
            ask_again(s, "the meter's answer to the password had a bad check character");
        } else if (s->elster != NULL && f->kind == PMU_IEC_NAK && s->attempts < s->path.retries) {
            /* a wrong password is answered NAK, so is a damaged frame: try again, then give up */
            repeat_request(s, "the meter keeps answering NAK to the password");
        } else if (s->elster != NULL && (f->kind == PMU_IEC_ACK || f->kind == PMU_IEC_NAK ||
                                         f->kind == PMU_IEC_DATA)) {
            /* PROTOCOL.md 3: NAK or (ERRn) to the password means refused */
            struct pmu_error e;
            s->awaiting = false;
            if (pmu_elster_driver_answer(s->elster, s->now, f->kind == PMU_IEC_ACK,
                                         f->kind == PMU_IEC_DATA ? f->data : (const uint8_t *)"NAK",
                                         f->kind == PMU_IEC_DATA ? f->data_len : 3, &e) != PMU_OK)
                fail(s, e.code, "%s", e.message);
            else
                elster_next(s, s->now + reaction(s));
        } else if (f->kind == PMU_IEC_ACK) {
            next_request(s, s->now + reaction(s));
        } else if (f->kind == PMU_IEC_NAK) {
            repeat_request(s, "the meter keeps answering NAK to the password");
        } else if (f->kind == PMU_IEC_DATA || f->kind == PMU_IEC_COMMAND) {
            fail(s, PMU_E_REFUSED, "the meter refused the password (it answered %.*s)",
                 (int)(f->data_len < 20 ? f->data_len : 20), (const char *)f->data);
        }
        return;
    case W_NONE:
    case W_RESTART:
    case W_CLOSE:
        return;
    }
}

static uint64_t answer_deadline(const struct pmu_session *s)
{
    return s->receiving ? s->last_rx + s->path.inter_char_ms : s->answer_due;
}

static void on_timeout(struct pmu_session *s)
{
    s->awaiting = false;
    s->receiving = false;
    pmu_iec_parser_reset(&s->parser);
    switch ((enum wait)s->state) {
    case W_IDENT:
        restart(s, "no identification from the meter");
        return;
    case W_READOUT:
        restart(s, "no data readout from the meter");
        return;
    case W_P0:
        repeat_request(s, "no operand (P0) after the option select");
        return;
    case W_PASSWORD:
        repeat_request(s, "no answer to the password");
        return;
    case W_ANSWER:
        repeat_request(s, s->stage == PMU_STAGE_PROFILE  ? "no answer to the load-profile request"
                          : s->stage == PMU_STAGE_WRITES ? "no answer during a write"
                                                         : "no answer to the register request");
        return;
    default:
        return;
    }
}

/* Sends what is due, applies a due rate change, handles a passed deadline, and sets
 * out->wake_at. */
static void run(struct pmu_session *s, struct pmu_session_out *out)
{
    for (int guard = 0; guard < 4; guard++) {
        if (s->switch_pending && s->now >= s->switch_at) {
            out->baud = s->switch_to;
            s->baud = s->switch_to;
            s->switch_pending = false;
        }
        if (s->send_pending && s->now >= s->send_at && out->send_len == 0) {
            memcpy(s->out_buf, s->pending, s->pending_len);
            out->send = s->out_buf;
            out->send_len = s->pending_len;
            out->secret_off = s->pending_secret_off;
            out->secret_len = s->pending_secret_len;
            s->bytes_out += s->pending_len;
            s->send_pending = false;
            uint64_t left_wire = s->now + pmu_wire_ms(s->pending_len, s->baud);
            if (s->pending_expects_answer) {
                if (s->pending_len > 1) { /* a request, not ACK/NAK: keep it for repeats */
                    memcpy(s->last_request, s->pending, s->pending_len);
                    s->last_request_len = s->pending_len;
                    s->last_secret_off = s->pending_secret_off;
                    s->last_secret_len = s->pending_secret_len;
                    s->exchanges++;
                }
                s->awaiting = true;
                s->receiving = false;
                s->answer_due = left_wire + s->path.timeout_ms;
                pmu_iec_parser_reset(&s->parser);
            } else if (s->state == W_RESTART) {
                begin_signon(s, left_wire + 2000);
                if (can_switch(s))
                    schedule_switch(s, left_wire, 300);
            } else if (s->state == W_CLOSE) {
                s->answer_due = left_wire; /* done once B0 has left */
            }
            continue;
        }
        if (s->state == W_CLOSE && !s->send_pending && s->now >= s->answer_due)
            end(s);
        if (s->awaiting && s->now >= answer_deadline(s)) {
            on_timeout(s);
            continue;
        }
        break;
    }
    uint64_t wake = UINT64_MAX;
    if (s->send_pending && s->send_at < wake)
        wake = s->send_at;
    if (s->switch_pending && s->switch_at < wake)
        wake = s->switch_at;
    if (s->awaiting && answer_deadline(s) < wake)
        wake = answer_deadline(s);
    if (s->state == W_CLOSE && !s->send_pending && s->answer_due < wake)
        wake = s->answer_due;
    if (dialling(s)) { /* the meter session ended: the dialler hangs up */
        if (out->send_len == 0)
            dialer_result(s, PMU_DIALER_WORKING, out);
        finish_dialer(s, out);
        return;
    }
    if (s->state == W_NONE && s->stage != PMU_STAGE_DONE)
        s->stage = PMU_STAGE_DONE;
    out->done = s->stage == PMU_STAGE_DONE;
    out->wake_at = out->done || wake == UINT64_MAX ? 0 : wake;
}

static void begin(struct pmu_session *s, uint64_t now, struct pmu_session_out *out)
{
    memset(out, 0, sizeof *out);
    out->parity = -1;
    s->now = now;
}

static void start_hangup(struct pmu_session *s)
{
    s->stage = PMU_STAGE_HANGUP;
    s->state = W_NONE;
    s->awaiting = false;
    s->connected = false;
    if (pmu_dialer_hangup(&s->dialer, s->now) == PMU_DIALER_HUNG_UP) {
        s->hangup_confirmed = true; /* DTR: the engine drops it when it closes the port */
        s->stage = PMU_STAGE_DONE;
    }
}

/* Copies what the dialler wants sent into out and follows its result. */
static void dialer_result(struct pmu_session *s, enum pmu_dialer_result r, struct pmu_session_out *out)
{
    if (s->dialer.out_len > 0) {
        memcpy(s->out_buf, s->dialer.out, s->dialer.out_len);
        out->send = s->out_buf;
        out->send_len = s->dialer.out_len;
        s->bytes_out += s->dialer.out_len;
        s->dialer.out_len = 0;
    }
    if (s->stage == PMU_STAGE_DIAL) {
        if (r == PMU_DIALER_CONNECTED) {
            s->connected = true;
            out->parity = (int)s->path.parity; /* from now on the meter's 7E1 characters */
            begin_signon(s, s->now);
        } else if (r == PMU_DIALER_FAILED) {
            s->status = s->dialer.status;
            pmu_error_set(&s->error, s->dialer.status, PMU_NO_OFFSET, "%s (stage dial)", s->dialer.error.message);
            s->stage = PMU_STAGE_DONE;
        }
    } else if (s->stage == PMU_STAGE_HANGUP) {
        out->parity = PMU_PARITY_NONE; /* "+++", ATH0, CLR are plain 8-bit text */
        if (r == PMU_DIALER_HUNG_UP || r == PMU_DIALER_FAILED) {
            s->hangup_confirmed = r == PMU_DIALER_HUNG_UP;
            s->stage = PMU_STAGE_DONE;
        }
    }
}

static bool dialling(const struct pmu_session *s)
{
    return s->stage == PMU_STAGE_DIAL || s->stage == PMU_STAGE_HANGUP;
}

static void finish_dialer(struct pmu_session *s, struct pmu_session_out *out)
{
    out->done = s->stage == PMU_STAGE_DONE;
    out->wake_at = out->done ? 0 : s->dialer.wake_at;
}

void pmu_session_start(struct pmu_session *s, uint64_t now, struct pmu_session_out *out)
{
    begin(s, now, out);
    if (s->path.dial.kind != PMU_DIAL_NONE) {
        s->stage = PMU_STAGE_DIAL;
        out->parity = PMU_PARITY_NONE; /* AT commands and X.28 are plain 8-bit text */
        dialer_result(s, pmu_dialer_start(&s->dialer, now), out);
        if (dialling(s) || s->stage == PMU_STAGE_DONE) {
            finish_dialer(s, out);
            return;
        }
    } else {
        begin_signon(s, now);
    }
    run(s, out);
}

void pmu_session_start_connected(struct pmu_session *s, uint64_t now, struct pmu_session_out *out)
{
    begin(s, now, out);
    s->connected = true;
    out->parity = (int)s->path.parity;
    begin_signon(s, now + s->path.reaction_ms);
    run(s, out);
}

void pmu_session_input(struct pmu_session *s, uint64_t now, const uint8_t *bytes, size_t len,
                       struct pmu_session_out *out)
{
    begin(s, now, out);
    s->bytes_in += len;
    if (dialling(s)) {
        size_t used = 0;
        enum pmu_dialer_result r = pmu_dialer_input(&s->dialer, now, bytes, len, &used);
        bool was_dial = s->stage == PMU_STAGE_DIAL;
        dialer_result(s, r, out);
        if (dialling(s) || s->stage == PMU_STAGE_DONE || !was_dial) {
            finish_dialer(s, out);
            return;
        }
        bytes += used; /* connected: what follows is the meter's */
        len -= used;
        if (out->send_len == 0)
            run(s, out); /* sends the sign-on */
        if (len == 0 || out->send_len > 0)
            return;
    }
    if (call_lost(s, bytes, len)) {
        run(s, out);
        return;
    }
    if (s->stage != PMU_STAGE_DONE && s->awaiting && len > 0) {
        s->last_rx = now;
        s->receiving = true;
        size_t pos = 0;
        while (pos < len && s->awaiting) {
            struct pmu_iec_frame f;
            size_t used = 0;
            enum pmu_status st = pmu_iec_parser_feed(&s->parser, bytes + pos, len - pos, &used, &f, NULL);
            pos += used;
            if (st == PMU_AGAIN)
                break;
            on_frame(s, st, &f);
        }
    }
    run(s, out);
}

void pmu_session_timer(struct pmu_session *s, uint64_t now, struct pmu_session_out *out)
{
    begin(s, now, out);
    if (dialling(s)) {
        bool was_dial = s->stage == PMU_STAGE_DIAL;
        dialer_result(s, pmu_dialer_timer(&s->dialer, now), out);
        if (dialling(s) || s->stage == PMU_STAGE_DONE || !was_dial) {
            finish_dialer(s, out);
            return;
        }
    }
    run(s, out);
}

void pmu_session_link_error(struct pmu_session *s, uint64_t now, const struct pmu_error *e,
                            struct pmu_session_out *out)
{
    begin(s, now, out);
    if (s->stage != PMU_STAGE_DONE && !(s->state == W_CLOSE && s->status == PMU_OK)) {
        s->status = e->code;
        pmu_error_set(&s->error, e->code, PMU_NO_OFFSET, "%s (stage %s)", e->message,
                      pmu_session_stage_name(s->stage));
    }
    s->stage = PMU_STAGE_DONE;
    s->state = W_NONE;
    s->send_pending = false;
    s->awaiting = false;
    run(s, out);
}
