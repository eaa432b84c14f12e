/* The Elster register protocol as a simulated meter speaks it, after the option select
 * in manufacturer mode: the P0 seed, P1/P2 log-in at one of four levels, the password
 * timeout, and R1/W1 of the model file's data identities in packets of 64 bytes.
 * meter.c owns the framing, timing and faults; this file says what to answer. */
#include "elster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct pmu_sim_model pmu_sim_elster = {
    .name = "elster", .manufacturer = "GEC", .ident = "", .readout = NULL, .read = NULL};

int pmu_sim_elster_ident(const struct pmu_elster_model *model, char *buf, size_t size)
{
    const char *device = "001";
    for (size_t i = 0; i < model->n_devices; i++)
        if (strcmp(model->devices[i], "*") != 0) {
            device = model->devices[i];
            break;
        }
    int n = snprintf(buf, size, "%.2s010%.3s0400@000", model->master_unit, device);
    return n > 0 && (size_t)n < size ? n : PMU_E_TOO_LONG;
}

static void session_clear(struct pmu_sim_elster *e)
{
    e->level = 0;
    e->login_at = 0;
    e->selected = false;
    e->select_days = PMU_ELSTER_LP_ALL_DAYS;
    free(e->lp);
    e->lp = NULL;
    e->lp_len = 0;
    el_history_free(&e->hist);
    e->have_history = false;
}

void el_session_end(struct pmu_sim_elster *e)
{
    if (e != NULL)
        session_clear(e);
}

void el_free(struct pmu_sim_elster *e)
{
    if (e == NULL)
        return;
    session_clear(e);
    for (size_t i = 0; i < e->n_events; i++)
        free(e->events[i].tables);
    free(e->events);
    for (size_t i = 0; i < e->n_stored; i++)
        free(e->stored[i].bytes);
    free(e->stored);
    free(e);
}

/* First instant of the month 13 months before t: the start of the meter's history, so
 * twelve month ends are in its billing sets. */
static int64_t history_origin(int64_t t)
{
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(t, &ts);
    ts.day = 1;
    ts.hour = ts.minute = ts.second = 0;
    ts.month -= 13;
    while (ts.month < 1)
        ts.month += 12, ts.year--;
    return pmu_timestamp_to_seconds(&ts);
}

enum pmu_status el_session_start(struct pmu_sim_meter *m, int64_t now, struct pmu_sim_buf *p0)
{
    if (m->elster == NULL) {
        m->elster = calloc(1, sizeof *m->elster);
        if (m->elster == NULL)
            return PMU_E_NOMEM;
        m->elster->model = m->cfg->elster;
        m->elster->word = EL_DEFAULT_WORD;
        m->elster->period[0] = EL_DEFAULT_PERIOD;
        m->elster->period[1] = EL_DEFAULT_PERIOD;
        m->elster->period[2] = 1;
        el_default_tables(m->elster->tables);
    }
    struct pmu_sim_elster *e = m->elster;
    if (!e->started) {
        e->started = true;
        e->origin = history_origin(now);
    }
    session_clear(e);
    for (unsigned i = 0; i < PMU_ELSTER_SEED_LEN; i++)
        e->seed[i] = (uint8_t)(pmu_sim_rng_next(&m->rng) >> 24);
    uint8_t msg[40];
    long n = pmu_elster_build_p0(e->seed, msg, sizeof msg);
    if (n < 0)
        return (enum pmu_status)n;
    return pmu_sim_buf_append(p0, msg, (size_t)n);
}

/* ---- Answers ------------------------------------------------------------------------ */

static enum pmu_status answer_byte(struct pmu_sim_buf *a, uint8_t c)
{
    return pmu_sim_buf_append(a, &c, 1);
}

static enum pmu_status answer_error(struct pmu_sim_buf *a, int code)
{
    uint8_t msg[16];
    long n = pmu_elster_build_meter_error(code, msg, sizeof msg);
    return n < 0 ? (enum pmu_status)n : pmu_sim_buf_append(a, msg, (size_t)n);
}

static enum pmu_status answer_data(struct pmu_sim_buf *a, const uint8_t *p, size_t n)
{
    uint8_t msg[2 * PMU_ELSTER_PACKET + 8];
    long len = pmu_elster_build_reply(p, n, msg, sizeof msg);
    return len < 0 ? (enum pmu_status)len : pmu_sim_buf_append(a, msg, (size_t)len);
}

/* ---- Log-in ------------------------------------------------------------------------- */

static bool same8(const uint8_t *a, const char *b)
{
    return strlen(b) == PMU_ELSTER_PASSWORD_LEN && memcmp(a, b, PMU_ELSTER_PASSWORD_LEN) == 0;
}

/* The highest level whose password this is, 0 for none. */
static int level_of(const struct pmu_sim_config *c, const uint8_t pwd[8])
{
    if (same8(pwd, c->password4))
        return 4;
    if (same8(pwd, c->password))
        return 3;
    if (same8(pwd, c->password2))
        return 2;
    if (same8(pwd, c->password1))
        return 1;
    return 0;
}

static enum pmu_status log_in(struct pmu_sim_meter *m, int64_t now, int level,
                              struct pmu_sim_buf *a)
{
    struct pmu_sim_elster *e = m->elster;
    if (level > 0 && pmu_sim_fault_hits(&m->cfg->faults, PMU_SIM_WRONG_PASSWORD, &m->rng))
        level = 0;
    if (level == 0) /* refused: the session waits for another password */
        return answer_byte(a, PMU_NAK);
    e->level = level;
    e->login_at = now;
    return answer_byte(a, PMU_ACK);
}

static enum pmu_status on_p1(struct pmu_sim_meter *m, int64_t now, const struct pmu_iec_frame *f,
                             struct pmu_sim_buf *a)
{
    const char *pw1 = m->cfg->password1;
    bool ok = pw1[0] != '\0' && f->has_data && f->data_len == PMU_ELSTER_PASSWORD_LEN + 2 &&
              f->data[0] == '(' && f->data[PMU_ELSTER_PASSWORD_LEN + 1] == ')' &&
              same8(f->data + 1, pw1);
    return log_in(m, now, ok ? 1 : 0, a);
}

static enum pmu_status on_p2(struct pmu_sim_meter *m, int64_t now, const struct pmu_iec_frame *f,
                             struct pmu_sim_buf *a)
{
    uint8_t response[8], pwd[8];
    if (!f->has_data || pmu_elster_seed_parse(f->data, f->data_len, response, NULL) != PMU_OK)
        return log_in(m, now, 0, a);
    pmu_elster_password_untransform(response, m->elster->seed, pwd);
    return log_in(m, now, level_of(m->cfg, pwd), a);
}

/* ---- Reads and writes --------------------------------------------------------------- */

static unsigned timeout_s(const struct pmu_sim_meter *m)
{
    if (m->cfg->password_timeout_s > 0)
        return m->cfg->password_timeout_s;
    return m->elster->model->password_timeout_s > 0 ? m->elster->model->password_timeout_s : 270;
}

/* Fixes the load-profile stream this session reads: the selected days, then FF. */
static enum pmu_status fix_profile(struct pmu_sim_meter *m, int64_t now)
{
    struct pmu_sim_elster *e = m->elster;
    if (e->lp != NULL)
        return PMU_OK;
    enum pmu_status st;
    const struct el_history *h = el_history_now(m, now, &st);
    if (h == NULL)
        return st;
    size_t from = 0;
    if (e->select_days != PMU_ELSTER_LP_ALL_DAYS) {
        int64_t today = h->meter_now - (h->meter_now % EL_DAY + EL_DAY) % EL_DAY;
        int64_t cut = today - (int64_t)e->select_days * EL_DAY;
        from = h->stream.len;
        for (size_t i = 0; i < h->n_days; i++)
            if (h->days[i].time >= cut) {
                from = h->days[i].offset;
                break;
            }
    }
    size_t n = h->stream.len - from;
    e->lp = malloc(n + 1);
    if (e->lp == NULL)
        return PMU_E_NOMEM;
    if (n > 0)
        memcpy(e->lp, h->stream.data + from, n);
    e->lp[n] = PMU_ELSTER_LP_END;
    e->lp_len = n + 1;
    return PMU_OK;
}

static enum pmu_status read_profile(struct pmu_sim_meter *m, int64_t now,
                                    const struct pmu_elster_request *r, struct pmu_sim_buf *a)
{
    struct pmu_sim_elster *e = m->elster;
    enum pmu_status st = fix_profile(m, now);
    if (st != PMU_OK)
        return st;
    struct pmu_elster_lp_size size = {(unsigned)(e->lp_len / PMU_ELSTER_PACKET),
                                      (unsigned)(e->lp_len / 256)};
    if (r->id == 551) {
        if (r->packet != 1)
            return answer_error(a, PMU_ELSTER_ERR_PACKET);
        uint8_t p[4];
        pmu_elster_lp_size_encode(&size, p);
        return answer_data(a, p, r->count < 4 ? r->count : 4);
    }
    if (r->packet > pmu_elster_lp_packets(&size))
        return answer_error(a, PMU_ELSTER_ERR_PACKET);
    uint8_t block[PMU_ELSTER_PACKET];
    memset(block, PMU_ELSTER_LP_END, sizeof block);
    size_t at = (size_t)(r->packet - 1) * PMU_ELSTER_PACKET;
    if (at < e->lp_len)
        memcpy(block, e->lp + at, e->lp_len - at < sizeof block ? e->lp_len - at : sizeof block);
    return answer_data(a, block, r->count);
}

static enum pmu_status on_read(struct pmu_sim_meter *m, int64_t now,
                               const struct pmu_elster_identity *id,
                               const struct pmu_elster_request *r, struct pmu_sim_buf *a)
{
    if (!id->readable)
        return answer_error(a, PMU_ELSTER_ERR_COMMAND);
    if (id->encoding == PMU_ELSTER_ENC_LP_STREAM || id->id == 551)
        return read_profile(m, now, r, a);
    unsigned per_set = pmu_elster_packets(id->length), sets = id->sets ? id->sets : 1;
    if (r->packet > per_set * sets)
        return answer_error(a, PMU_ELSTER_ERR_PACKET);
    uint8_t *bytes;
    size_t len;
    enum pmu_status st = el_item_bytes(m, now, id, &bytes, &len);
    if (st == PMU_OK) {
        unsigned set = (r->packet - 1) / per_set, part = (r->packet - 1) % per_set;
        size_t at = (size_t)set * id->length + (size_t)part * PMU_ELSTER_PACKET;
        size_t n = pmu_elster_packet_length(id->length, part);
        st = answer_data(a, bytes + at, r->count < n ? r->count : n);
    } else if (st == PMU_E_UNSUPPORTED) {
        st = answer_error(a, PMU_ELSTER_ERR_IDENTITY);
    }
    free(bytes);
    return st;
}

static enum pmu_status on_write(struct pmu_sim_meter *m, int64_t now,
                                const struct pmu_elster_identity *id,
                                const struct pmu_elster_request *r, struct pmu_sim_buf *a)
{
    struct pmu_sim_elster *e = m->elster;
    if (e->level < 3)
        return answer_error(a, PMU_ELSTER_ERR_LOCKED);
    if (!id->writable)
        return answer_error(a, PMU_ELSTER_ERR_COMMAND);
    if (id->id == 551) { /* the day selection: this session's stream */
        if (r->packet != 1 || r->data_len != 2)
            return answer_error(a, PMU_ELSTER_ERR_COMMAND);
        e->select_days = pmu_elster_lp_select_decode(r->data);
        free(e->lp);
        e->lp = NULL;
        enum pmu_status st = fix_profile(m, now);
        return st != PMU_OK ? st : answer_byte(a, PMU_ACK);
    }
    int code = el_item_write(m, now, id, r->packet, r->data, r->data_len);
    return code == 0 ? answer_byte(a, PMU_ACK) : answer_error(a, code);
}

/* R1 "IIIPPP(LL)" with LL past 40 hex: ERR3; anything else that does not parse: ERR1. */
static int parse_error_code(const struct pmu_iec_frame *f)
{
    if (strcmp(f->cmd, "R1") != 0 || f->data_len != 10 || f->data[6] != '(' || f->data[9] != ')')
        return PMU_ELSTER_ERR_COMMAND;
    return PMU_ELSTER_ERR_PACKET;
}

enum pmu_status el_command(struct pmu_sim_meter *m, int64_t now, const struct pmu_iec_frame *f,
                           struct pmu_sim_buf *a)
{
    struct pmu_sim_elster *e = m->elster;
    if (strcmp(f->cmd, "P1") == 0)
        return on_p1(m, now, f, a);
    if (strcmp(f->cmd, "P2") == 0)
        return on_p2(m, now, f, a);
    if (strcmp(f->cmd, "R1") != 0 && strcmp(f->cmd, "W1") != 0)
        return answer_error(a, PMU_ELSTER_ERR_COMMAND);
    struct pmu_elster_request r;
    if (pmu_elster_request_parse(f->cmd, f->data, f->data_len, &r, NULL) != PMU_OK)
        return answer_error(a, parse_error_code(f));
    if (e->level == 0 || now - e->login_at >= (int64_t)timeout_s(m))
        return answer_error(a, PMU_ELSTER_ERR_LOCKED);
    const struct pmu_elster_identity *id = pmu_elster_model_identity(e->model, r.id);
    if (id == NULL)
        return answer_error(a, PMU_ELSTER_ERR_IDENTITY);
    return r.write ? on_write(m, now, id, &r, a) : on_read(m, now, id, &r, a);
}
