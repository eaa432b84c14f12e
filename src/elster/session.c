/* Elster session driver: the steps after the identification. See pmu/elster_session.h.
 *
 * The plan becomes a list of steps when the identification names the model: each
 * read of one set of an identity (in 64-byte packets), the load-profile select / size /
 * stream, and each write as "read before, write, read after". next() builds the frame
 * of the current step (or a re-authentication when the password is about to time
 * out); answer() digests the reply and moves on. session_values.c turns completed
 * items into readout values. */
#include "pmu/elster_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "session_internal.h"

const char *pmu_elster_verdict_name(enum pmu_elster_verdict v)
{
    switch (v) {
    case PMU_ELSTER_WRITE_PENDING: return "not done";
    case PMU_ELSTER_WRITE_ACCEPTED: return "accepted";
    case PMU_ELSTER_WRITE_VERIFIED: return "verified";
    case PMU_ELSTER_WRITE_MISMATCH: return "MISMATCH";
    case PMU_ELSTER_WRITE_REFUSED: return "REFUSED";
    }
    return "?";
}

enum pmu_status pmu_elster_driver_init(struct pmu_elster_driver *d, const struct pmu_elster_plan *plan,
                                       struct pmu_readout *out, bool has_host_clock,
                                       int64_t host_offset_ms, struct pmu_error *err)
{
    memset(d, 0, sizeof *d);
    if (plan->password == NULL || strlen(plan->password) != PMU_ELSTER_PASSWORD_LEN)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "an Elster meter password is exactly %d characters (--password)",
                             PMU_ELSTER_PASSWORD_LEN);
    if (plan->n_models == 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "no Elster model files loaded (models/*.json; set PMU_MODELS)");
    for (size_t i = 0; i < plan->n_writes; i++) {
        const struct pmu_elster_write *w = &plan->writes[i];
        if (w->len > PMU_ELSTER_WRITE_MAX)
            return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET,
                                 "write of identity %03u: %zu bytes, at most %d", w->id, w->len,
                                 PMU_ELSTER_WRITE_MAX);
    }
    d->plan = *plan;
    d->out = out;
    d->has_host_clock = has_host_clock;
    d->host_offset_ms = host_offset_ms;
    d->result.writes = calloc(plan->n_writes ? plan->n_writes : 1, sizeof *d->result.writes);
    if (d->result.writes == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    d->result.n_writes = plan->n_writes;
    for (size_t i = 0; i < plan->n_writes; i++) {
        d->result.writes[i].id = plan->writes[i].id;
        d->result.writes[i].set = plan->writes[i].set;
    }
    return PMU_OK;
}

void pmu_elster_driver_free(struct pmu_elster_driver *d)
{
    free(d->steps);
    free(d->item);
    free(d->events);
    free(d->result.writes);
    memset(d, 0, sizeof *d);
}

static bool add_step(struct pmu_elster_driver *d, enum el_step_kind kind, unsigned id, unsigned set,
                     size_t length, size_t write)
{
    if (!pmu_grow((void **)&d->steps, &d->cap_steps, d->n_steps, sizeof *d->steps))
        return false;
    d->steps[d->n_steps++] = (struct pmu_elster_step){kind, id, set, length, write};
    return true;
}

/* A read step for each set of an identity the model has; none when it lacks it. */
static bool plan_read(struct pmu_elster_driver *d, unsigned id, unsigned sets)
{
    const struct pmu_elster_identity *it = pmu_elster_model_identity(d->result.model, id);
    if (it == NULL || !it->readable || it->length == 0)
        return true;
    for (unsigned k = 0; k < sets && k < it->sets; k++)
        if (!add_step(d, EL_READ, id, k, it->length, 0))
            return false;
    return true;
}

static enum pmu_status plan_write(struct pmu_elster_driver *d, size_t i, struct pmu_error *err)
{
    const struct pmu_elster_write *w = &d->plan.writes[i];
    const struct pmu_elster_identity *it = pmu_elster_model_identity(d->result.model, w->id);
    if (it == NULL || !it->writable)
        return pmu_error_set(err, PMU_E_UNSUPPORTED, PMU_NO_OFFSET,
                             "model %s has no writable data identity %03u", d->result.model->name, w->id);
    size_t len = w->clock_now ? 7 : w->len;
    bool action = it->encoding == PMU_ELSTER_ENC_ACTION;
    if (it->encoding == PMU_ELSTER_ENC_ASCII && len <= it->length)
        len = it->length; /* text is padded with spaces to the identity's length */
    if (!action && len != it->length)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "identity %03u (%s) takes %zu bytes, the write has %zu", w->id, it->name,
                             it->length, len);
    if (w->set >= (it->sets ? it->sets : 1))
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "identity %03u has %u sets, not set %u",
                             w->id, it->sets, w->set);
    if (w->read_only) /* nothing to read on an action */
        return action || !it->readable || add_step(d, EL_WRITE_BEFORE, w->id, w->set, len, i)
                   ? PMU_OK
                   : pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    bool verify = w->verify && !action && it->readable;
    if ((verify && !add_step(d, EL_WRITE_BEFORE, w->id, w->set, len, i)) ||
        !add_step(d, EL_WRITE, w->id, w->set, len, i) ||
        (verify && !add_step(d, EL_WRITE_AFTER, w->id, w->set, len, i)))
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    return PMU_OK;
}

static enum pmu_status plan_steps(struct pmu_elster_driver *d, struct pmu_error *err)
{
    const struct pmu_elster_model *m = d->result.model;
    unsigned r = d->plan.reads;
    for (size_t i = 0; i < d->plan.n_writes; i++) {
        enum pmu_status st = plan_write(d, i, err);
        if (st != PMU_OK)
            return st;
    }
    const struct pmu_elster_identity *billing = pmu_elster_model_identity(m, 543);
    bool sets = d->plan.billing_sets > 0 && billing != NULL;
    bool ok = (!(r & PMU_ELSTER_READ_SERIAL) || plan_read(d, 798, 1)) &&
              (!(r & PMU_ELSTER_READ_SCHEME) || plan_read(d, 795, 1)) &&
              (!(r & PMU_ELSTER_READ_FIRMWARE) || plan_read(d, 998, 1)) &&
              (!(r & PMU_ELSTER_READ_CLOCK) || plan_read(d, 861, 1)) &&
              (!(r & PMU_ELSTER_READ_REGISTERS) || plan_read(d, 507, 1)) &&
              (!(r & PMU_ELSTER_READ_TOU) && !sets ? true : plan_read(d, 667, 1)) &&
              (!(r & PMU_ELSTER_READ_TOU) || plan_read(d, 508, 1)) &&
              (!(r & PMU_ELSTER_READ_CMD) || plan_read(d, 509, 1)) &&
              (!(r & PMU_ELSTER_READ_MD) || (plan_read(d, 668, 1) && plan_read(d, 510, 1))) &&
              (!(r & PMU_ELSTER_READ_RATIOS) || (plan_read(d, 614, 1) && plan_read(d, 616, 1))) &&
              (!(r & PMU_ELSTER_READ_STATUS) || plan_read(d, 724, 1)) &&
              (!(r & PMU_ELSTER_READ_EVENTS) || plan_read(d, 544, 1)) &&
              (!(r & PMU_ELSTER_READ_LP_CONFIG) || (plan_read(d, 777, 1) && plan_read(d, 878, 1))) &&
              (!sets || plan_read(d, 543, d->plan.billing_sets));
    if (ok && d->plan.lp_days > 0 && m->load_profile && pmu_elster_model_identity(m, 550) != NULL)
        ok = add_step(d, EL_LP_SELECT, 551, 0, 2, 0) && add_step(d, EL_LP_SIZE, 551, 0, 4, 0) &&
             add_step(d, EL_LP_DATA, 550, 0, 0, 0);
    if (!ok)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    return PMU_OK;
}

enum pmu_status pmu_elster_driver_ident(struct pmu_elster_driver *d, const uint8_t *ident, size_t len,
                                        struct pmu_error *err)
{
    /* A lower-case third letter ("GEc") only announces the 20 ms reaction time: the
     * maker is the same. */
    char text[64];
    if (len >= sizeof text)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "identification of %zu characters", len);
    memcpy(text, ident, len);
    size_t slash = text[0] == '/' ? 1 : 0;
    if (len > slash + 2 && text[slash + 2] >= 'a' && text[slash + 2] <= 'z')
        text[slash + 2] = (char)(text[slash + 2] - 'a' + 'A');
    size_t index;
    enum pmu_status st = pmu_elster_model_select(d->plan.models, d->plan.n_models, text, len, &index, err);
    if (st != PMU_OK)
        return st;
    if ((st = pmu_elster_ident_parse(text, len, &d->result.ident, err)) != PMU_OK)
        return st;
    d->result.model = &d->plan.models[index];
    d->result.has_model = true;
    return plan_steps(d, err);
}

/* P2 (or P1) with the session's seed: the first log-in and every re-authentication. */
static enum pmu_status password_frame(struct pmu_elster_driver *d, uint8_t *buf, size_t size, size_t *out_len,
                                      size_t *secret_off, size_t *secret_len, struct pmu_error *err)
{
    long n;
    if (d->plan.clear_password) {
        n = pmu_elster_build_p1(d->plan.password, buf, size);
    } else {
        uint8_t response[8];
        enum pmu_status st = pmu_elster_password_transform(d->plan.password, d->seed, response, err);
        if (st != PMU_OK)
            return st;
        n = pmu_elster_build_p2(response, buf, size);
    }
    if (n < 0)
        return pmu_error_set(err, (enum pmu_status)n, PMU_NO_OFFSET, "cannot build the password frame");
    *out_len = (size_t)n;
    *secret_off = 4; /* SOH P x STX, then "(...)" up to ETX */
    *secret_len = (size_t)n - 6;
    return PMU_OK;
}

enum pmu_status pmu_elster_driver_seed(struct pmu_elster_driver *d, const uint8_t *data, size_t len,
                                       uint8_t *buf, size_t size, size_t *out_len, size_t *secret_off,
                                       size_t *secret_len, struct pmu_error *err)
{
    if (!d->plan.clear_password) {
        enum pmu_status st = pmu_elster_seed_parse(data, len, d->seed, err);
        if (st != PMU_OK)
            return el_wrap(err, st, "the meter's P0 seed: ");
    }
    return password_frame(d, buf, size, out_len, secret_off, secret_len, err);
}

/* err's message with a prefix (the message is copied first: it is also the source). */
enum pmu_status el_wrap(struct pmu_error *err, enum pmu_status code, const char *prefix)
{
    char inner[sizeof err->message];
    snprintf(inner, sizeof inner, "%s", err->message);
    return pmu_error_set(err, code, PMU_NO_OFFSET, "%s%s", prefix, inner);
}

static uint64_t reauth_due(const struct pmu_elster_driver *d)
{
    unsigned timeout = d->result.model->password_timeout_s;
    unsigned margin = d->plan.reauth_margin_s ? d->plan.reauth_margin_s : 30;
    unsigned after = timeout > margin ? timeout - margin : timeout / 2;
    return d->login_at + (uint64_t)after * 1000u;
}

/* 861 data for "now" on the host clock. */
static enum pmu_status clock_now_bytes(const struct pmu_elster_driver *d, uint64_t now, uint8_t p[7],
                                       struct pmu_error *err)
{
    if (!d->has_host_clock)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "setting the clock to the host's time needs the host clock");
    struct pmu_timestamp t;
    pmu_timestamp_from_seconds(((int64_t)now + d->host_offset_ms) / 1000, &t);
    t.season = -1;
    return pmu_elster_datetime_encode(&t, p, err);
}

enum pmu_status pmu_elster_driver_next(struct pmu_elster_driver *d, uint64_t now, uint8_t *buf, size_t size,
                                       size_t *out_len, size_t *secret_off, size_t *secret_len,
                                       struct pmu_error *err)
{
    *secret_off = *secret_len = 0;
    if (d->step >= d->n_steps)
        return el_finish(d, err) == PMU_OK ? PMU_DONE : err->code;
    if (d->logged_in && (d->reauth_now || now >= reauth_due(d))) {
        d->reauth_out = true;
        d->reauth_now = false;
        return password_frame(d, buf, size, out_len, secret_off, secret_len, err);
    }
    const struct pmu_elster_step *s = &d->steps[d->step];
    long n = -1;
    switch (s->kind) {
    case EL_READ:
    case EL_WRITE_BEFORE:
    case EL_WRITE_AFTER:
        n = pmu_elster_build_read(s->id, pmu_elster_first_packet(s->length, s->set) + d->packet,
                                  pmu_elster_packet_length(s->length, d->packet), buf, size);
        break;
    case EL_LP_SELECT: {
        uint8_t days[2];
        pmu_elster_lp_select_encode(d->plan.lp_days, days);
        n = pmu_elster_build_write(551, 1, days, 2, buf, size);
        break;
    }
    case EL_LP_SIZE:
        n = pmu_elster_build_read(551, 1, 4, buf, size);
        break;
    case EL_LP_DATA:
        n = pmu_elster_build_read(550, d->packet + 1, PMU_ELSTER_PACKET, buf, size);
        break;
    case EL_WRITE: {
        const struct pmu_elster_write *w = &d->plan.writes[s->write];
        struct pmu_elster_write_result *wr = &d->result.writes[s->write];
        if (d->packet == 0) { /* what is written, fixed when the first packet leaves */
            if (w->clock_now) {
                enum pmu_status st = clock_now_bytes(d, now, wr->written, err);
                if (st != PMU_OK)
                    return st;
            } else {
                memset(wr->written, ' ', s->length);
                if (w->len > 0)
                    memcpy(wr->written, w->data, w->len);
            }
            wr->written_len = s->length;
        }
        size_t off = (size_t)d->packet * PMU_ELSTER_PACKET;
        size_t chunk = s->length == 0 ? 0 : pmu_elster_packet_length(s->length, d->packet);
        n = pmu_elster_build_write(s->id, pmu_elster_first_packet(s->length, s->set) + d->packet,
                                   wr->written + off, chunk, buf, size);
        break;
    }
    }
    if (n < 0)
        return pmu_error_set(err, (enum pmu_status)n, PMU_NO_OFFSET, "cannot build the request for identity %03u",
                             s->id);
    *out_len = (size_t)n;
    return PMU_OK;
}

static void next_step(struct pmu_elster_driver *d)
{
    d->step++;
    d->packet = 0;
    d->item_len = 0;
    d->err5_retried = false;
}

/* A write failed: the rest of its steps are skipped. */
static void write_refused(struct pmu_elster_driver *d, const char *what, const char *why)
{
    size_t w = d->steps[d->step].write;
    struct pmu_elster_write_result *wr = &d->result.writes[w];
    wr->verdict = PMU_ELSTER_WRITE_REFUSED;
    snprintf(wr->message, sizeof wr->message, "%s: %.120s", what, why);
    while (d->step < d->n_steps && d->steps[d->step].write == w &&
           (d->steps[d->step].kind == EL_WRITE_BEFORE || d->steps[d->step].kind == EL_WRITE ||
            d->steps[d->step].kind == EL_WRITE_AFTER))
        next_step(d);
}

static bool is_write_step(enum el_step_kind k)
{
    return k == EL_WRITE_BEFORE || k == EL_WRITE || k == EL_WRITE_AFTER;
}

static enum pmu_status on_refusal(struct pmu_elster_driver *d, int code, struct pmu_error *err)
{
    const struct pmu_elster_step *s = &d->steps[d->step];
    if (code == PMU_ELSTER_ERR_LOCKED && !d->err5_retried) {
        d->err5_retried = true; /* password timed out: sign in again, then repeat */
        d->reauth_now = true;
        return PMU_OK;
    }
    if (is_write_step(s->kind)) {
        write_refused(d, s->kind == EL_WRITE ? "write" : "read-back", err->message);
        return PMU_OK;
    }
    if (code == PMU_ELSTER_ERR_IDENTITY && s->kind == EL_READ) {
        if (d->result.n_missing < sizeof d->result.missing / sizeof d->result.missing[0])
            d->result.missing[d->result.n_missing++] = s->id;
        unsigned id = s->id;
        while (d->step < d->n_steps && d->steps[d->step].kind == EL_READ && d->steps[d->step].id == id)
            next_step(d);
        return PMU_OK;
    }
    char where[48];
    snprintf(where, sizeof where, "identity %03u packet %u: ", s->id,
             pmu_elster_first_packet(s->length ? s->length : 64, s->set) + d->packet);
    return el_wrap(err, PMU_E_REFUSED, where);
}

static enum pmu_status item_append(struct pmu_elster_driver *d, const uint8_t *p, size_t n)
{
    while (d->item_len + n > d->item_cap) {
        size_t cap = d->item_cap ? d->item_cap * 2 : 1024;
        uint8_t *b = realloc(d->item, cap);
        if (b == NULL)
            return PMU_E_NOMEM;
        d->item = b;
        d->item_cap = cap;
    }
    memcpy(d->item + d->item_len, p, n);
    d->item_len += n;
    return PMU_OK;
}

static enum pmu_status on_lp_packet(struct pmu_elster_driver *d, const uint8_t *p, size_t n,
                                    struct pmu_error *err)
{
    d->result.lp_bytes += n;
    size_t pos = 0;
    while (!d->lp_done && pos < n) {
        struct pmu_elster_lp_item item;
        size_t used = 0;
        enum pmu_status st = pmu_elster_lp_feed(&d->lp, p + pos, n - pos, &used, &item, err);
        pos += used;
        if (st == PMU_AGAIN)
            break;
        if (st == PMU_DONE) {
            d->lp_done = true;
            break;
        }
        if (st != PMU_OK)
            return el_wrap(err, st, "load profile: ");
        if ((st = el_put_lp_item(d, &item, err)) != PMU_OK)
            return st;
    }
    if (++d->packet < d->lp_packets && !d->lp_done)
        return PMU_OK;
    for (;;) { /* the stream is complete: what the decoder still holds */
        struct pmu_elster_lp_item item;
        enum pmu_status st = pmu_elster_lp_finish(&d->lp, &item, err);
        if (st == PMU_DONE)
            break;
        if (st != PMU_OK)
            return el_wrap(err, st, "load profile: ");
        if ((st = el_put_lp_item(d, &item, err)) != PMU_OK)
            return st;
    }
    next_step(d);
    return PMU_OK;
}

static enum pmu_status on_item(struct pmu_elster_driver *d, uint64_t now, struct pmu_error *err)
{
    const struct pmu_elster_step *s = &d->steps[d->step];
    if (s->kind == EL_READ) {
        enum pmu_status st = el_put_item(d, s->id, s->set, d->item, d->item_len, now, err);
        if (st != PMU_OK)
            return st;
    } else {
        struct pmu_elster_write_result *wr = &d->result.writes[s->write];
        bool before = s->kind == EL_WRITE_BEFORE;
        memcpy(before ? wr->before : wr->after, d->item, d->item_len);
        *(before ? &wr->before_len : &wr->after_len) = d->item_len;
        *(before ? &wr->has_before : &wr->has_after) = true;
        if (!before)
            el_compare_write(d, wr, &d->plan.writes[s->write]);
    }
    next_step(d);
    return PMU_OK;
}

enum pmu_status pmu_elster_driver_answer(struct pmu_elster_driver *d, uint64_t now, bool ack,
                                         const uint8_t *data, size_t len, struct pmu_error *err)
{
    if (d->reauth_out || !d->logged_in) { /* the answer to a password */
        bool again = d->reauth_out;
        d->reauth_out = false;
        if (!ack)
            return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                                 "the meter refused the password%s (it answered %.*s)",
                                 again ? " on re-authentication" : "", (int)(len < 20 ? len : 20),
                                 (const char *)data);
        d->logged_in = true;
        d->login_at = now;
        d->result.reauths += again;
        return PMU_OK;
    }
    if (d->step >= d->n_steps)
        return pmu_error_set(err, PMU_E_PROTOCOL, PMU_NO_OFFSET, "an answer nobody asked for");
    const struct pmu_elster_step *s = &d->steps[d->step];
    bool writing = s->kind == EL_WRITE || s->kind == EL_LP_SELECT;
    uint8_t bytes[PMU_ELSTER_PACKET];
    size_t n = 0;
    if (!ack) {
        int meter_error = 0;
        enum pmu_status st = pmu_elster_reply_parse(data, len, bytes, sizeof bytes, &n, &meter_error, err);
        if (st == PMU_E_REFUSED)
            return on_refusal(d, meter_error, err);
        if (st != PMU_OK)
        {
            char where[24];
            snprintf(where, sizeof where, "identity %03u: ", s->id);
            return el_wrap(err, PMU_E_PROTOCOL, where);
        }
    }
    d->err5_retried = false; /* an answer: a later ERR5 may sign in again */
    if (writing != ack)
        return pmu_error_set(err, PMU_E_PROTOCOL, PMU_NO_OFFSET, "identity %03u: the meter answered %s to a %s",
                             s->id, ack ? "ACK" : "data", writing ? "write" : "read");
    switch (s->kind) {
    case EL_LP_SELECT:
        next_step(d);
        return PMU_OK;
    case EL_LP_SIZE: {
        if (n < 4)
            return pmu_error_set(err, PMU_E_PROTOCOL, PMU_NO_OFFSET,
                                 "load-profile size (551): %zu bytes, expected 4", n);
        struct pmu_elster_lp_size size;
        pmu_elster_lp_size_decode(bytes, &size);
        d->lp_packets = pmu_elster_lp_packets(&size);
        pmu_elster_lp_init(&d->lp, d->result.model->lp_scaler);
        d->lp_done = false;
        next_step(d);
        return PMU_OK;
    }
    case EL_LP_DATA:
        return on_lp_packet(d, bytes, n, err);
    case EL_WRITE: {
        unsigned packets = s->length == 0 ? 1 : pmu_elster_packets(s->length);
        if (++d->packet < packets)
            return PMU_OK;
        struct pmu_elster_write_result *wr = &d->result.writes[s->write];
        if (!(d->step + 1 < d->n_steps && d->steps[d->step + 1].kind == EL_WRITE_AFTER))
            wr->verdict = PMU_ELSTER_WRITE_ACCEPTED;
        next_step(d);
        return PMU_OK;
    }
    case EL_READ:
    case EL_WRITE_BEFORE:
    case EL_WRITE_AFTER: {
        size_t want = pmu_elster_packet_length(s->length, d->packet);
        if (n != want)
            return pmu_error_set(err, PMU_E_PROTOCOL, PMU_NO_OFFSET,
                                 "identity %03u packet %u: %zu bytes, expected %zu", s->id,
                                 pmu_elster_first_packet(s->length, s->set) + d->packet, n, want);
        if (item_append(d, bytes, n) != PMU_OK)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        if (++d->packet < pmu_elster_packets(s->length))
            return PMU_OK;
        return on_item(d, now, err);
    }
    }
    return PMU_OK;
}

uint8_t pmu_elster_channel_obis_c(unsigned channel)
{
    static const uint8_t c[PMU_ELSTER_MAX_CHANNELS] = {1, 2, 5, 6, 7, 8, 9, 128, 129, 130, 131, 132, 133, 134};
    return channel < PMU_ELSTER_MAX_CHANNELS ? c[channel] : 0;
}

void pmu_elster_driver_host_clock(struct pmu_elster_driver *d, int64_t host_offset_ms)
{
    d->has_host_clock = true;
    d->host_offset_ms = host_offset_ms;
}

bool pmu_elster_driver_in_profile(const struct pmu_elster_driver *d)
{
    return d->step < d->n_steps && (d->steps[d->step].kind == EL_LP_SELECT || d->steps[d->step].kind == EL_LP_SIZE ||
                                     d->steps[d->step].kind == EL_LP_DATA);
}
