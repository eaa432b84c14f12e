/* The simulated meter's side of IEC 62056-21: sign-on, modes A/B/C, option select,
 * programming mode, NAK and the protocol's timers, with faults applied to what it
 * sends. What the meter says (readout, register reads, profiles) comes from its
 * model; how fast the bytes travel is the line's business: this file only says which
 * bytes, at which rate, after how much silence.
 *
 * One event (bytes arrived, or the deadline passed) is one "turn": the meter parses,
 * changes state and collects its answer in m->out as up to two segments (mode A/B
 * send the identification and the readout at different rates). */
#include "pmu/sim.h"

#include "elster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state {
    ST_IDLE,       /* waiting for a sign-on request at the starting rate */
    ST_OPTION,     /* mode C: identification sent, waiting for ACK V Z Y */
    ST_PASSWORD,   /* programming mode: P0 sent, waiting for P1 */
    ST_PROG        /* programming mode, password accepted */
};

/* Host messages are short: anything longer is not for this meter. */
#define MAX_HOST_MESSAGE 1024

struct turn {
    struct pmu_sim_meter *m;
    struct pmu_sim_action *act;
    int64_t now;                   /* ms: when the event happened */
    bool delay, disconnect;        /* faults drawn for this answer */
    bool cut;                      /* cut_after_writes: hang up, answer nothing */
    bool nomem;
};

static unsigned start_rate(const struct pmu_sim_meter *m)
{
    return m->cfg->fixed_rate ? m->cfg->baud : 300;
}

static void go_idle(struct pmu_sim_meter *m)
{
    m->state = ST_IDLE;
    m->baud = start_rate(m);
    el_session_end(m->elster); /* the password and the session's profile go */
}

static void forget_last(struct pmu_sim_meter *m)
{
    m->last.len = 0;
}

enum pmu_status pmu_sim_meter_init(struct pmu_sim_meter *m, const struct pmu_sim_config *cfg,
                                   unsigned index)
{
    memset(m, 0, sizeof *m);
    m->cfg = cfg;
    m->index = index;
    unsigned digits = index % 100000000u; /* serials have 8 digits */
    snprintf(m->address, sizeof m->address, "%08u", digits);
    snprintf(m->serial, sizeof m->serial, "OPM%08u", digits);
    pmu_sim_load_init(&m->load, cfg->seed, index);
    pmu_sim_rng_seed(&m->rng, cfg->fault_seed, index);
    if (cfg->elster_name[0] != '\0' && cfg->elster == NULL)
        return PMU_E_INVALID; /* the program loads the model file first */
    struct pmu_iec_parser_options opt = {
        .checksum = PMU_CHECKSUM_XOR, .strip_parity = true, .max_frame = MAX_HOST_MESSAGE};
    /* strip_parity: hosts on 8-bit links send bit 7 as the parity bit (software 7E1) */
    go_idle(m);
    return pmu_iec_parser_init(&m->parser, &opt);
}

void pmu_sim_meter_free(struct pmu_sim_meter *m)
{
    pmu_iec_parser_free(&m->parser);
    pmu_sim_buf_free(&m->last);
    pmu_sim_buf_free(&m->out);
    el_free(m->elster);
    m->elster = NULL;
    free(m->settings);
    m->settings = NULL;
    m->n_settings = m->cap_settings = 0;
}

void pmu_sim_meter_reset(struct pmu_sim_meter *m)
{
    go_idle(m);
    pmu_iec_parser_reset(&m->parser);
    m->partial = false;
    /* Idle meters keep no message memory: ten thousand of them must stay small. */
    pmu_sim_buf_free(&m->last);
    pmu_sim_buf_free(&m->out);
}

/* ---- Sending ------------------------------------------------------------------- */

/* Appends a segment to the answer, each byte subject to the corrupt and drop faults. */
static void emit(struct turn *t, const uint8_t *bytes, size_t len, unsigned baud, unsigned gap)
{
    struct pmu_sim_meter *m = t->m;
    struct pmu_sim_action *act = t->act;
    if (act->n_segments == PMU_SIM_MAX_SEGMENTS)
        return;
    size_t start = m->out.len;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = bytes[i];
        if (pmu_sim_fault_hits(&m->cfg->faults, PMU_SIM_CORRUPT, &m->rng))
            c ^= (uint8_t)(1u << (pmu_sim_rng_next(&m->rng) % 7)); /* one of the 7 data bits */
        if (pmu_sim_fault_hits(&m->cfg->faults, PMU_SIM_DROP, &m->rng))
            continue;
        if (pmu_sim_buf_append(&m->out, &c, 1) != PMU_OK) {
            t->nomem = true;
            return;
        }
    }
    struct pmu_sim_segment *s = &act->seg[act->n_segments];
    m->seg_start[act->n_segments++] = start;
    s->len = m->out.len - start;
    s->baud = baud;
    s->gap_ms = gap;
}

/* Sends the message in m->last (the one a NAK repeats) at `baud`. */
static void send_last(struct turn *t, unsigned baud, unsigned gap)
{
    t->m->last_baud = baud;
    emit(t, t->m->last.data, t->m->last.len, baud, gap);
}

/* Makes msg the last message and sends it. */
static void send_message(struct turn *t, const uint8_t *msg, size_t len, unsigned baud)
{
    struct pmu_sim_meter *m = t->m;
    m->last.len = 0;
    if (pmu_sim_buf_append(&m->last, msg, len) != PMU_OK) {
        t->nomem = true;
        return;
    }
    send_last(t, baud, m->cfg->reaction_ms);
}

/* Frames block as STX block ETX BCC in m->last. */
static bool frame_block(struct turn *t, const struct pmu_sim_buf *block)
{
    struct pmu_sim_meter *m = t->m;
    size_t need = block->len + 3;
    uint8_t *framed = malloc(need);
    long n = framed == NULL ? PMU_E_NOMEM
                            : pmu_iec_build_data(PMU_CHECKSUM_XOR, block->data, block->len,
                                                 false, framed, need);
    m->last.len = 0;
    bool ok = n > 0 && pmu_sim_buf_append(&m->last, framed, (size_t)n) == PMU_OK;
    free(framed);
    if (!ok)
        t->nomem = true;
    return ok;
}

/* STX text ETX BCC, remembered and sent at the meter's rate. */
static void send_data(struct turn *t, const struct pmu_sim_buf *block)
{
    if (frame_block(t, block))
        send_last(t, t->m->baud, t->m->cfg->reaction_ms);
}

static void send_error(struct turn *t)
{
    struct pmu_sim_buf block = {(uint8_t *)"(ERROR)", 7, 7};
    send_data(t, &block);
}

static void send_byte(struct turn *t, uint8_t c, bool remember)
{
    if (remember)
        send_message(t, &c, 1, t->m->baud);
    else
        emit(t, &c, 1, t->m->baud, t->m->cfg->reaction_ms);
}

/* The per-answer faults, drawn before the meter acts on a message: a message the
 * meter stays silent to or NAKs changes nothing in it. */
enum verdict { ANSWER, SILENT, REFUSE };

static enum verdict draw_answer(struct turn *t, bool command)
{
    const struct pmu_sim_faults *f = &t->m->cfg->faults;
    struct pmu_sim_rng *r = &t->m->rng;
    if (pmu_sim_fault_hits(f, PMU_SIM_SILENCE, r))
        return SILENT;
    if (command && pmu_sim_fault_hits(f, PMU_SIM_NAK, r))
        return REFUSE;
    t->delay = pmu_sim_fault_hits(f, PMU_SIM_DELAY, r);
    t->disconnect = pmu_sim_fault_hits(f, PMU_SIM_DISCONNECT, r);
    return ANSWER;
}

/* ---- Messages ------------------------------------------------------------------ */

/* The model works in whole seconds of meter time. */
static int64_t seconds(int64_t ms)
{
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static bool readout_block(struct turn *t, struct pmu_sim_buf *block)
{
    if (t->m->cfg->model->readout(t->m, seconds(t->now), block) != PMU_OK) {
        t->nomem = true;
        return false;
    }
    return true;
}

/* Sends the readout at `baud`, a reaction time after whatever went before. */
static void send_readout(struct turn *t, unsigned baud)
{
    struct pmu_sim_buf block = {0};
    if (readout_block(t, &block) && frame_block(t, &block))
        send_last(t, baud, t->m->cfg->reaction_ms);
    pmu_sim_buf_free(&block);
}

static void on_signon(struct turn *t, const struct pmu_iec_frame *f)
{
    struct pmu_sim_meter *m = t->m;
    const struct pmu_sim_config *cfg = m->cfg;
    bool mine = f->data_len == 0 ? !cfg->addressed_only
                                 : f->data_len == strlen(m->address) &&
                                       memcmp(f->data, m->address, f->data_len) == 0;
    /* Any sign-on ends the session this meter was in: the host has started over, or
     * is talking to another meter on the line. */
    go_idle(m);
    forget_last(m);
    if (!mine)
        return;
    t->act->restart = true;
    m->active_ms = t->now;
    if (draw_answer(t, false) != ANSWER)
        return;

    struct pmu_iec_ident id;
    memset(&id, 0, sizeof id);
    snprintf(id.manufacturer, sizeof id.manufacturer, "%s", cfg->model->manufacturer);
    if (cfg->reaction_ms < PMU_SIM_REACTION_MS) /* lower-case third letter: 20 ms allowed */
        id.manufacturer[2] = (char)(id.manufacturer[2] | 0x20);
    snprintf(id.id, sizeof id.id, "%s", cfg->model->ident);
    if (cfg->elster != NULL && pmu_sim_elster_ident(cfg->elster, id.id, sizeof id.id) < 0) {
        t->nomem = true;
        return;
    }
    id.baud_char = cfg->mode == PMU_IEC_MODE_A ? ':'
                   : cfg->mode == PMU_IEC_MODE_B ? (char)(pmu_iec_baud_char(cfg->baud) - '0' + 'A' - 1)
                                                 : pmu_iec_baud_char(cfg->baud);
    uint8_t ident[80];
    long n = pmu_iec_build_ident(&id, ident, sizeof ident);
    if (n < 0) {
        t->nomem = true;
        return;
    }
    if (cfg->mode == PMU_IEC_MODE_C) {
        send_message(t, ident, (size_t)n, m->baud);
        m->state = ST_OPTION;
        return;
    }
    /* Modes A and B: the readout follows the identification by itself, in mode B at
     * the announced rate. The meter is idle again once it is sent. */
    emit(t, ident, (size_t)n, m->baud, cfg->reaction_ms);
    send_readout(t, cfg->mode == PMU_IEC_MODE_B ? cfg->baud : m->baud);
}

/* ACK V Z Y CR LF, data "VZY". */
static void on_option(struct turn *t, const struct pmu_iec_frame *f)
{
    struct pmu_sim_meter *m = t->m;
    const struct pmu_sim_config *cfg = m->cfg;
    char v = (char)f->data[0], z = (char)f->data[1], y = (char)f->data[2];
    unsigned rate = z >= '0' && z <= '6' ? pmu_iec_baud_rate(z) : 0;
    bool elster = cfg->elster != NULL; /* manufacturer mode 6 (or 1): the register protocol */
    bool ok = (v == '0' || v == '1') && rate != 0 && (cfg->fixed_rate || rate <= cfg->baud) &&
              (elster ? (y == '6' || y == '1') : (y == '0' || y == '1'));
    if (!ok) { /* not an option this meter offers: it gives up on the session */
        go_idle(m);
        forget_last(m);
        return;
    }
    m->active_ms = t->now;
    if (draw_answer(t, false) != ANSWER)
        return;
    unsigned speed = cfg->fixed_rate ? cfg->baud : rate;
    if (y == '0') {
        send_readout(t, speed);
        go_idle(m);
        return;
    }
    m->baud = speed;
    m->state = ST_PASSWORD;
    if (elster) {
        struct pmu_sim_buf p0 = {0};
        if (el_session_start(m, seconds(t->now), &p0) == PMU_OK)
            send_message(t, p0.data, p0.len, m->baud);
        else
            t->nomem = true;
        pmu_sim_buf_free(&p0);
        return;
    }
    struct pmu_sim_buf operand = {0};
    if (pmu_sim_buf_printf(&operand, "(%s)", m->serial) != PMU_OK) {
        t->nomem = true;
        return;
    }
    uint8_t msg[64];
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "P0", operand.data, operand.len, msg,
                                   sizeof msg);
    pmu_sim_buf_free(&operand);
    if (n > 0)
        send_message(t, msg, (size_t)n, m->baud);
}

static bool password_matches(const struct pmu_sim_meter *m, const struct pmu_iec_frame *f)
{
    size_t n = strlen(m->cfg->password);
    return f->has_data && f->data_len == n + 2 && f->data[0] == '(' &&
           f->data[n + 1] == ')' && memcmp(f->data + 1, m->cfg->password, n) == 0;
}

/* A command in programming mode, check character good. */
static void on_command(struct turn *t, const struct pmu_iec_frame *f)
{
    struct pmu_sim_meter *m = t->m;
    if (strcmp(f->cmd, "B0") == 0) { /* break: no answer, back to the start */
        go_idle(m);
        forget_last(m);
        return;
    }
    enum verdict v = draw_answer(t, true);
    if (v == SILENT)
        return;
    if (v == REFUSE) {
        send_byte(t, PMU_NAK, false);
        return;
    }
    if (m->cfg->elster != NULL) { /* every answer is remembered: a NAK repeats it */
        struct pmu_sim_buf answer = {0};
        if (el_command(m, seconds(t->now), f, &answer) == PMU_OK)
            send_message(t, answer.data, answer.len, m->baud);
        else
            t->nomem = true;
        pmu_sim_buf_free(&answer);
        return;
    }
    if (strcmp(f->cmd, "P1") == 0) {
        bool ok = password_matches(m, f) &&
                  !pmu_sim_fault_hits(&m->cfg->faults, PMU_SIM_WRONG_PASSWORD, &m->rng);
        if (ok) {
            m->state = ST_PROG;
            m->session_writes = 0;
            send_byte(t, PMU_ACK, true);
        } else {
            send_error(t);
        }
        return;
    }
    if (m->state == ST_PROG && strcmp(f->cmd, "W1") == 0 && m->cfg->model->write != NULL) {
        enum pmu_status st = m->cfg->model->write(m, f->data, f->data_len);
        if (st == PMU_E_NOMEM) {
            t->nomem = true;
        } else if (st != PMU_OK) {
            send_error(t);
        } else if (++m->session_writes == m->cfg->faults.cut_after_writes) {
            t->cut = true; /* written, but the line goes before the ACK */
        } else {
            send_byte(t, PMU_ACK, true);
        }
        return;
    }
    if (m->state != ST_PROG || f->cmd[0] != 'R') {
        send_error(t);
        return;
    }
    struct pmu_sim_buf answer = {0};
    enum pmu_status st =
        m->cfg->model->read(m, seconds(t->now), f->cmd, f->data, f->data_len, &answer);
    if (st == PMU_OK)
        send_data(t, &answer);
    else if (st == PMU_E_NOMEM)
        t->nomem = true;
    else
        send_error(t);
    pmu_sim_buf_free(&answer);
}

static void on_message(struct turn *t, const struct pmu_iec_frame *f, bool bad_bcc)
{
    struct pmu_sim_meter *m = t->m;
    switch (f->kind) {
    case PMU_IEC_SIGNON:
        on_signon(t, f);
        break;
    case PMU_IEC_OPTION:
        if (m->state == ST_OPTION)
            on_option(t, f);
        break;
    case PMU_IEC_NAK:
        /* The host did not get the last message: send it again, at its own rate. */
        if (m->last.len > 0 && draw_answer(t, false) == ANSWER)
            send_last(t, m->last_baud, m->cfg->reaction_ms);
        break;
    case PMU_IEC_COMMAND:
        if (m->state != ST_PASSWORD && m->state != ST_PROG)
            break;
        m->active_ms = t->now;
        if (bad_bcc)
            send_byte(t, PMU_NAK, false);
        else
            on_command(t, f);
        break;
    default:
        /* ACK, data, identification, text, noise: nothing a meter answers. */
        break;
    }
}

/* ---- Turns ----------------------------------------------------------------------- */

static void begin(struct turn *t, struct pmu_sim_meter *m, struct pmu_sim_action *act,
                  int64_t now)
{
    memset(t, 0, sizeof *t);
    memset(act, 0, sizeof *act);
    t->m = m;
    t->act = act;
    t->now = now;
    m->out.len = 0;
}

static int64_t deadline(const struct pmu_sim_meter *m)
{
    int64_t d = PMU_SIM_NEVER;
    if (m->partial)
        d = m->last_rx_ms + PMU_SIM_INTER_CHAR_MS;
    if (m->state != ST_IDLE && m->active_ms + PMU_SIM_INACTIVITY_MS < d)
        d = m->active_ms + PMU_SIM_INACTIVITY_MS;
    return d;
}

/* Wire time of n bytes at baud, in whole ms rounded up. */
static int64_t wire_ms(size_t n, unsigned baud)
{
    return (int64_t)(((uint64_t)n * 10000 + baud - 1) / baud);
}

/* Turns segment offsets into pointers, applies the delay and disconnect faults and
 * fills in what the line needs to know. */
static enum pmu_status finish(struct turn *t)
{
    struct pmu_sim_meter *m = t->m;
    struct pmu_sim_action *act = t->act;
    static const uint8_t nothing[1] = {0}; /* segments whose every byte was dropped */
    size_t total = 0;
    for (size_t i = 0; i < act->n_segments; i++) {
        act->seg[i].bytes = m->out.data != NULL ? m->out.data + m->seg_start[i] : nothing;
        total += act->seg[i].len;
    }
    if (t->cut) {
        act->n_segments = 0;
        act->hangup = true;
        go_idle(m);
        forget_last(m);
    }
    if (t->delay && act->n_segments > 0)
        act->seg[0].gap_ms += PMU_SIM_DELAY_MS;
    if (t->disconnect && act->n_segments > 0) {
        /* Cut somewhere inside the answer and hang up; the session is lost. */
        size_t keep = total > 0 ? (size_t)(pmu_sim_rng_next(&m->rng) % total) : 0;
        for (size_t i = 0; i < act->n_segments; i++) {
            if (act->seg[i].len >= keep) {
                act->seg[i].len = keep;
                act->n_segments = i + 1;
                break;
            }
            keep -= act->seg[i].len;
        }
        act->hangup = true;
        go_idle(m);
        forget_last(m);
    }
    if (act->n_segments > 0) {
        int64_t end = t->now;
        for (size_t i = 0; i < act->n_segments; i++)
            end += act->seg[i].gap_ms + wire_ms(act->seg[i].len, act->seg[i].baud);
        if (end > m->active_ms)
            m->active_ms = end;
    }
    act->baud = m->baud;
    act->deadline_ms = deadline(m);
    return t->nomem ? PMU_E_NOMEM : PMU_OK;
}

/* Is the parser in the middle of a message? Its buffer holds bytes that were not
 * handed out as a message yet. */
static bool mid_message(const struct pmu_iec_parser *p)
{
    return p->len > 0 && !p->pending_reset;
}

enum pmu_status pmu_sim_meter_input(struct pmu_sim_meter *m, int64_t now_ms,
                                    const uint8_t *in, size_t len, size_t *used,
                                    struct pmu_sim_action *act)
{
    struct turn t;
    begin(&t, m, act, now_ms);
    m->last_rx_ms = now_ms;
    size_t off = 0;
    while (off < len && act->n_segments == 0 && !act->restart && !act->hangup) {
        size_t n = 0;
        struct pmu_iec_frame f;
        enum pmu_status st = pmu_iec_parser_feed(&m->parser, in + off, len - off, &n, &f, NULL);
        off += n;
        if (st == PMU_AGAIN)
            break;
        if (st == PMU_OK || st == PMU_E_BCC)
            on_message(&t, &f, st == PMU_E_BCC);
        /* Malformed messages get no answer, as from a real meter. */
    }
    *used = off;
    m->partial = mid_message(&m->parser);
    return finish(&t);
}

enum pmu_status pmu_sim_meter_timer(struct pmu_sim_meter *m, int64_t now_ms,
                                    struct pmu_sim_action *act)
{
    struct turn t;
    begin(&t, m, act, now_ms);
    if (m->partial && now_ms >= m->last_rx_ms + PMU_SIM_INTER_CHAR_MS) {
        pmu_iec_parser_reset(&m->parser); /* forget the half-received message */
        m->partial = false;
    }
    if (m->state != ST_IDLE && now_ms >= m->active_ms + PMU_SIM_INACTIVITY_MS) {
        go_idle(m);
        forget_last(m);
    }
    return finish(&t);
}
