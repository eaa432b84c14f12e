/* The bytes of each data identity of a simulated Elster meter, and what a W1 to it
 * does. Values come from the replayed history (elster_history.c); layouts are the
 * codec's (pmu/elster.h), so the reader's decoders read back what is written here. */
#include "elster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"

const struct el_history *el_history_now(struct pmu_sim_meter *m, int64_t now,
                                        enum pmu_status *st)
{
    struct pmu_sim_elster *e = m->elster;
    *st = PMU_OK;
    if (e->have_history && e->hist.at == now && e->hist.generation == e->n_events)
        return &e->hist;
    el_history_free(&e->hist);
    e->have_history = false;
    *st = el_history_make(m, now, &e->hist);
    if (*st != PMU_OK)
        return NULL;
    e->hist.generation = (unsigned)e->n_events;
    e->have_history = true;
    return &e->hist;
}

enum pmu_status el_add_event(struct pmu_sim_elster *e, const struct el_event *ev)
{
    if (!pmu_grow((void **)&e->events, &e->cap_events, e->n_events, sizeof e->events[0]))
        return PMU_E_NOMEM;
    e->events[e->n_events++] = *ev;
    return PMU_OK;
}

static struct el_stored *stored(const struct pmu_sim_elster *e, unsigned id)
{
    for (size_t i = 0; i < e->n_stored; i++)
        if (e->stored[i].id == id)
            return &e->stored[i];
    return NULL;
}

static void text_item(uint8_t *p, size_t len, const char *text)
{
    memset(p, ' ', len);
    size_t n = strlen(text);
    memcpy(p, text, n < len ? n : len);
}

static void bcd(uint64_t v, uint8_t *p, size_t n)
{
    if (pmu_elster_bcd_le_encode(v, p, n, NULL) != PMU_OK)
        memset(p, 0x99, n); /* past the register's digits: shows all nines */
}

static void u32le(uint8_t *p, int64_t v)
{
    uint32_t u = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
    p[0] = (uint8_t)u, p[1] = (uint8_t)(u >> 8), p[2] = (uint8_t)(u >> 16), p[3] = (uint8_t)(u >> 24);
}

static void md_record(const struct el_peak *pk, uint8_t source, uint8_t p[12])
{
    u32le(p, pk->mw > 0 ? pk->at : 0);
    p[4] = source;
    bcd(pk->mw, p + 5, 7);
}

static void cmd_record(uint64_t mw, uint8_t source, uint8_t p[9])
{
    bcd(mw, p, 8);
    p[8] = source;
}

static void counter(unsigned count, const int64_t times[3], uint8_t *p, size_t len)
{
    memset(p, 0, len);
    p[0] = (uint8_t)count, p[1] = (uint8_t)(count >> 8);
    for (unsigned i = 0; i < 3 && len >= 14; i++)
        u32le(p + 2 + 4 * i, times[i]);
}

/* 543, A1700 layout, through the codec's encoder. */
static enum pmu_status billing_set(const struct pmu_elster_model *model,
                                   const struct el_billing *s, uint8_t *p, size_t len)
{
    struct pmu_elster_billing b;
    memset(&b, 0, sizeof b);
    b.n_tou = model->tou_registers;
    b.cdr5 = model->cdr_count == 5;
    if (pmu_elster_billing_length(b.n_tou, b.cdr5) != len)
        return PMU_E_UNSUPPORTED;
    uint8_t tou_src[EL_MAX_TOU], md_src[EL_MAX_MD];
    el_default_sources(model, tou_src, md_src);
    for (unsigned i = 0; i < 10; i++)
        pmu_elster_format_scaled(s->cum[i], -6, b.cumulative[i], sizeof b.cumulative[i]);
    for (unsigned i = 0; i < b.n_tou && i < 32; i++)
        pmu_elster_format_scaled(s->tou[i], -6, b.tou[i], sizeof b.tou[i]);
    for (unsigned i = 0; i < 4; i++)
        pmu_elster_format_scaled(s->ext[i], -6, b.external[i], sizeof b.external[i]);
    for (unsigned k = 0; k < 8; k++) {
        b.cmd[k].source = md_src[k];
        pmu_elster_format_scaled(s->cmd[k], -6, b.cmd[k].value, sizeof b.cmd[k].value);
        for (unsigned j = 0; j < 3; j++) {
            struct pmu_elster_md *md = &b.md[3 * k + j];
            md->source = md_src[k];
            md->has_time = s->md[k][j].mw > 0;
            md->time = md->has_time ? s->md[k][j].at : 0;
            pmu_elster_format_scaled(s->md[k][j].mw, -6, md->value, sizeof md->value);
        }
    }
    b.billing_count = s->count;
    b.period_start = s->start;
    b.period_end = s->end;
    b.reset_time = s->end;
    b.trigger = s->trigger;
    return pmu_elster_billing_encode(&b, p, len, NULL);
}

static void ratio_default(uint8_t *p, size_t len)
{
    struct pmu_elster_ratio r = {"1.00", "1.00"};
    pmu_elster_ratio_encode(&r, p, len, NULL);
}

static uint64_t isqrt(uint64_t v)
{
    uint64_t r = 0;
    for (uint64_t bit = 1ull << 62; bit != 0; bit >>= 2) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
    }
    return r;
}

/* 606 for the 605 request `req` (phase bits 0x70, quantity 0x0F) at meter time t: the
 * consumption model's voltage and running power, spread evenly over three phases;
 * reactive power at the meter's reactive share. Phase angle: not available. */
static enum pmu_status instant(const struct pmu_sim_meter *m, int64_t t, uint8_t req, uint8_t p[7])
{
    struct pmu_sim_registers r;
    pmu_sim_load_registers(&m->load, t, &r);
    unsigned phases = (req & 0x70) != 0 ? 1 : 3;
    uint64_t w = (uint64_t)r.current_ca * r.voltage_dv / 1000 * phases / 3; /* W */
    uint64_t var = w * m->load.reactive_pct / 100, va = isqrt(w * w + var * var);
    uint64_t ca = (uint64_t)r.current_ca * phases / 3;
    struct pmu_elster_instant v = {.available = true};
    switch (req & 0x0F) {
    case PMU_ELSTER_Q_CURRENT:
        snprintf(v.value, sizeof v.value, "%u.%02u", (unsigned)(ca / 100), (unsigned)(ca % 100));
        break;
    case PMU_ELSTER_Q_VOLTAGE:
        snprintf(v.value, sizeof v.value, "%u.%u", r.voltage_dv / 10, r.voltage_dv % 10);
        break;
    case PMU_ELSTER_Q_POWER_FACTOR: {
        unsigned pf = va > 0 ? (unsigned)(w * 10000 / va) : 10000;
        snprintf(v.value, sizeof v.value, "%u.%04u", pf / 10000, pf % 10000);
        break;
    }
    case PMU_ELSTER_Q_ACTIVE: case PMU_ELSTER_Q_REACTIVE: case PMU_ELSTER_Q_APPARENT: {
        uint64_t x = (req & 0x0F) == PMU_ELSTER_Q_ACTIVE ? w
                     : (req & 0x0F) == PMU_ELSTER_Q_REACTIVE ? var : va;
        snprintf(v.value, sizeof v.value, "%u.%03u", (unsigned)(x / 1000), (unsigned)(x % 1000));
        break;
    }
    case PMU_ELSTER_Q_ROTATION: snprintf(v.value, sizeof v.value, "123"); break;
    case PMU_ELSTER_Q_FREQUENCY: snprintf(v.value, sizeof v.value, "50.00"); break;
    default: v.available = false; break;
    }
    return pmu_elster_instant_encode(&v, p, NULL);
}

/* The item as it stands (all sets), into a fresh buffer. */
enum pmu_status el_item_bytes(struct pmu_sim_meter *m, int64_t now,
                              const struct pmu_elster_identity *id, uint8_t **out, size_t *len)
{
    struct pmu_sim_elster *e = m->elster;
    const struct pmu_elster_model *model = e->model;
    size_t n = id->length * (id->sets ? id->sets : 1);
    *out = NULL;
    *len = 0;
    if (id->encoding == PMU_ELSTER_ENC_LP_STREAM || id->encoding == PMU_ELSTER_ENC_ACTION)
        return PMU_E_UNSUPPORTED;
    uint8_t *p = calloc(n ? n : 1, 1);
    if (p == NULL)
        return PMU_E_NOMEM;
    *out = p;
    *len = n;
    const struct el_stored *s = stored(e, id->id);
    if (s != NULL) {
        memcpy(p, s->bytes, s->len < n ? s->len : n);
        if (id->id == 605 && p[0] != 0)
            p[0] |= 0x80; /* the value asked for is ready at once */
        return PMU_OK;
    }
    if (id->id >= 930 && id->id <= 933) {
        static const size_t at[] = {EL_TOU_SEASONS, EL_TOU_WEEKS, EL_TOU_DAYS, EL_TOU_SPECIAL};
        size_t room = EL_TOU_LEN - at[id->id - 930];
        memcpy(p, e->tables + at[id->id - 930], n < room ? n : room);
        return PMU_OK;
    }
    uint8_t tou_src[EL_MAX_TOU], md_src[EL_MAX_MD];
    el_default_sources(model, tou_src, md_src);
    enum pmu_status st = PMU_OK;
    const struct el_history *h = NULL;
    switch (id->id) {
    case 798: {
        text_item(p, n, m->serial);
        return PMU_OK;
    }
    case 795: text_item(p, n, "OPENPMU-SIM"); return PMU_OK;
    case 998: text_item(p, n, "OPM-SIM 1.0"); return PMU_OK;
    case 614: case 616: ratio_default(p, n); return PMU_OK;
    case 667: memcpy(p, tou_src, n < EL_MAX_TOU ? n : EL_MAX_TOU); return PMU_OK;
    case 668: memcpy(p, md_src, n < EL_MAX_MD ? n : EL_MAX_MD); return PMU_OK;
    case 680: counter(e->writes, e->write_times, p, n); return PMU_OK;
    case 878:
        if (n >= 3)
            memcpy(p, e->period, 3);
        return PMU_OK;
    case 691: case 724:
        if (n >= 4)
            pmu_elster_status_encode(e->writes > 0 ? 0x4u : 0, p);
        return PMU_OK;
    default:
        break;
    }
    h = el_history_now(m, now, &st);
    if (h == NULL)
        return st;
    switch (id->id) {
    case 861: {
        struct pmu_timestamp ts;
        pmu_timestamp_from_seconds(h->meter_now, &ts);
        if (n >= 7)
            st = pmu_elster_datetime_encode(&ts, p, NULL);
        break;
    }
    case 507:
        for (size_t i = 0; i < n / 8 && i < EL_CUMULATIVE; i++)
            bcd(h->ch[i], p + 8 * i, 8);
        break;
    case 508:
        for (size_t i = 0; i < n / 8 && i < EL_MAX_TOU; i++)
            bcd(h->tou[i], p + 8 * i, 8);
        break;
    case 516:
        for (size_t i = 0; i < n / 8 && i < 4; i++)
            bcd(h->ch[EL_CUMULATIVE + i], p + 8 * i, 8);
        break;
    case 509:
        for (size_t k = 0; k < n / 9 && k < EL_MAX_MD; k++)
            cmd_record(h->cmd[k], md_src[k], p + 9 * k);
        break;
    case 510:
        for (size_t r = 0; r < n / 12 && r / 3 < EL_MAX_MD; r++)
            md_record(&h->md[r / 3][r % 3], md_src[r / 3], p + 12 * r);
        break;
    case 543:
        if (id->encoding == PMU_ELSTER_ENC_BILLING_SET)
            for (unsigned k = 0; k < id->sets && k < h->n_sets && st == PMU_OK; k++)
                st = billing_set(model, &h->sets[k], p + k * id->length, id->length);
        break;
    case 544:
        if (id->length == PMU_ELSTER_EVENTS_LEN) {
            struct pmu_elster_events ev;
            memset(&ev, 0, sizeof ev);
            ev.power_fail_count = h->power_fails;
            memcpy(ev.power_fail_times, h->power_fail_times, sizeof ev.power_fail_times);
            ev.battery_seconds_left = 0x00FFFFFFu;
            pmu_elster_events_encode(&ev, p);
        }
        break;
    case 546:
        if (n >= 12) {
            u32le(p, e->origin);
            u32le(p + 4, 0x00FFFFFF);
            u32le(p + 8, 0x00FFFFFF);
        }
        break;
    case 695:
        counter(h->power_fails, h->power_fail_times, p, n);
        break;
    case 606: {
        const struct el_stored *req = stored(e, 605);
        st = n >= 7 ? instant(m, h->meter_now, req != NULL ? req->bytes[0] : 0, p) : PMU_OK;
        break;
    }
    case 777:
        if (n >= 2)
            p[0] = (uint8_t)(h->word >> 8), p[1] = (uint8_t)h->word;
        break;
    default:
        break; /* everything else reads as zeros */
    }
    return st;
}

/* ---- Writes -------------------------------------------------------------------------- */

static enum pmu_status store_bytes(struct pmu_sim_meter *m, int64_t now,
                                   const struct pmu_elster_identity *id, size_t at,
                                   const uint8_t *data, size_t len)
{
    struct pmu_sim_elster *e = m->elster;
    struct el_stored *s = stored(e, id->id);
    if (s == NULL) {
        uint8_t *bytes;
        size_t n;
        enum pmu_status st = el_item_bytes(m, now, id, &bytes, &n);
        if (st != PMU_OK) {
            free(bytes);
            return st;
        }
        if (!pmu_grow((void **)&e->stored, &e->cap_stored, e->n_stored, sizeof e->stored[0])) {
            free(bytes);
            return PMU_E_NOMEM;
        }
        s = &e->stored[e->n_stored++];
        *s = (struct el_stored){id->id, n, bytes};
    }
    if (at + len <= s->len)
        memcpy(s->bytes + at, data, len);
    return PMU_OK;
}

static int config_event(struct pmu_sim_elster *e, int64_t now)
{
    struct el_event ev = {.at = now, .kind = EV_CONFIG, .word = e->word,
                          .period_min = e->period[0]};
    return el_add_event(e, &ev) == PMU_OK ? 0 : PMU_ELSTER_ERR_COMMS;
}

int el_item_write(struct pmu_sim_meter *m, int64_t now, const struct pmu_elster_identity *id,
                  unsigned packet, const uint8_t *data, size_t len)
{
    struct pmu_sim_elster *e = m->elster;
    size_t at = 0;
    if (id->encoding == PMU_ELSTER_ENC_ACTION) {
        if (len != 0 || packet != 1)
            return PMU_ELSTER_ERR_COMMAND;
    } else {
        unsigned per_set = pmu_elster_packets(id->length);
        unsigned sets = id->sets ? id->sets : 1;
        if (packet > per_set * sets)
            return PMU_ELSTER_ERR_PACKET;
        unsigned set = (packet - 1) / per_set, part = (packet - 1) % per_set;
        if (id->length == 0 || len != pmu_elster_packet_length(id->length, part))
            return PMU_ELSTER_ERR_COMMAND;
        at = (size_t)set * id->length + (size_t)part * PMU_ELSTER_PACKET;
    }
    enum pmu_status st = PMU_OK;
    switch (id->id) {
    case 861: {
        struct pmu_timestamp ts;
        if (len != 7 || pmu_elster_datetime_decode(data, &ts, NULL) != PMU_OK)
            return PMU_ELSTER_ERR_COMMAND;
        struct el_event ev = {.at = now, .kind = EV_CLOCK,
                              .value = pmu_timestamp_to_seconds(&ts) - now};
        st = el_add_event(e, &ev);
        break;
    }
    case 655: {
        struct el_event ev = {.at = now, .kind = EV_RESET};
        st = el_add_event(e, &ev);
        break;
    }
    case 777: {
        uint16_t w = (uint16_t)(data[0] << 8 | data[1]);
        if ((w & ~0x7F7Fu) != 0 || w == 0)
            return PMU_ELSTER_ERR_COMMAND;
        e->word = w;
        if (config_event(e, now) != 0)
            return PMU_ELSTER_ERR_COMMS;
        break;
    }
    case 878:
        if (pmu_elster_lp_period_code(data[0]) < 0)
            return PMU_ELSTER_ERR_COMMAND;
        memcpy(e->period, data, 3);
        if (config_event(e, now) != 0)
            return PMU_ELSTER_ERR_COMMS;
        break;
    case 930: case 931: case 932: case 933: {
        static const size_t base[] = {EL_TOU_SEASONS, EL_TOU_WEEKS, EL_TOU_DAYS, EL_TOU_SPECIAL};
        size_t off = base[id->id - 930] + at;
        if (off + len > EL_TOU_LEN)
            return PMU_ELSTER_ERR_COMMAND;
        memcpy(e->tables + off, data, len);
        break;
    }
    case 934: {
        struct el_event ev = {.at = now, .kind = EV_TOU, .tables = malloc(EL_TOU_LEN)};
        if (ev.tables == NULL)
            return PMU_ELSTER_ERR_COMMS;
        memcpy(ev.tables, e->tables, EL_TOU_LEN);
        st = el_add_event(e, &ev);
        if (st != PMU_OK)
            free(ev.tables);
        break;
    }
    case 614: case 616: {
        struct pmu_elster_ratio r;
        if (pmu_elster_ratio_decode(data, len, &r, NULL) != PMU_OK)
            return PMU_ELSTER_ERR_COMMAND;
        st = store_bytes(m, now, id, at, data, len);
        break;
    }
    default:
        st = store_bytes(m, now, id, at, data, len);
        break;
    }
    if (st != PMU_OK)
        return PMU_ELSTER_ERR_COMMS;
    if (id->id != 605) { /* the programming counter counts configuration writes */
        const struct el_history *h = el_history_now(m, now, &st);
        e->writes++;
        memmove(e->write_times + 1, e->write_times, 2 * sizeof e->write_times[0]);
        e->write_times[0] = h != NULL ? h->meter_now : now; /* on the meter's clock */
    }
    return 0;
}
