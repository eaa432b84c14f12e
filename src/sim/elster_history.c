/* An Elster meter's memory, replayed: from the history start to now, interval by
 * interval over the meter's own clock, with the writes and the load-profile faults in
 * time order. One pass gives the registers, TOU registers, maximum demands, billing
 * sets and the load-profile stream, so they agree by construction: every record added
 * to the stream is added to the registers too.
 *
 * Energy inside an interval is spread evenly over its 30-minute slot of the
 * consumption model: a cumulative function per day, so any split of an interval
 * (power failure, clock change, configuration change) sums to the whole exactly. */
#include "elster.h"

#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "pmu/readout.h"

/* ---- TOU tables ------------------------------------------------------------------ */

void el_default_tables(uint8_t t[EL_TOU_LEN])
{
    memset(t, 0, EL_TOU_LEN);
    t[EL_TOU_SEASONS + 0] = 1; /* from 1 January: week profile 0 */
    t[EL_TOU_SEASONS + 1] = 1;
    for (unsigned type = 0; type < 16; type++) { /* every day type: night, day, night */
        uint8_t *p = t + EL_TOU_DAYS + 48 * type;
        memset(p, 0, 48);
        for (unsigned k = 3; k < 16; k++)
            p[3 * k] = 0xFF;
        p[0] = 0, p[1] = 0, p[2] = 2;
        p[3] = 7, p[4] = 0, p[5] = 1;
        p[6] = 23, p[7] = 0, p[8] = 2;
    }
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

unsigned el_rate(const uint8_t t[EL_TOU_LEN], int64_t meter_time)
{
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(meter_time, &ts);
    int day_type = -1;
    for (unsigned i = 0; i < 32 && day_type < 0; i++) {
        const uint8_t *s = t + EL_TOU_SPECIAL + 4 * i;
        if (s[0] == ts.month && s[1] == ts.day && (s[3] == 0xFF || s[3] == ts.year - 2000))
            day_type = s[2] & 0x0F;
    }
    if (day_type < 0) {
        /* The season whose start is the latest on or before today, else the latest of
         * the year (seasons wrap over the new year). */
        int best = -1, latest = -1, best_key = -1, latest_key = -1, today = ts.month * 32 + ts.day;
        for (unsigned i = 0; i < 8; i++) {
            const uint8_t *s = t + EL_TOU_SEASONS + 4 * i;
            if (s[0] == 0)
                continue;
            int key = s[0] * 32 + s[1];
            if (key <= today && key > best_key)
                best = (int)i, best_key = key;
            if (key > latest_key)
                latest = (int)i, latest_key = key;
        }
        int season = best >= 0 ? best : latest;
        unsigned week = season >= 0 ? (t[EL_TOU_SEASONS + 4 * season + 2] & 7u) : 0;
        unsigned weekday = (unsigned)((floor_div(meter_time, EL_DAY) + 3) % 7); /* Monday 0 */
        day_type = t[EL_TOU_WEEKS + 7 * week + weekday] & 0x0F;
    }
    const uint8_t *p = t + EL_TOU_DAYS + 48 * day_type;
    unsigned rate = 1, now = (unsigned)(ts.hour * 60 + ts.minute);
    for (unsigned k = 0; k < 16; k++) {
        if (p[3 * k] == 0xFF)
            continue;
        if ((unsigned)(p[3 * k] * 60 + p[3 * k + 1]) <= now && p[3 * k + 2] != 0)
            rate = p[3 * k + 2];
    }
    return rate;
}

/* ---- Sources ---------------------------------------------------------------------- */

int el_source_channel(const struct pmu_elster_model *model, int code)
{
    const struct pmu_elster_source *s = pmu_elster_model_source(model, code);
    if (s == NULL)
        return -1;
    switch (s->obis_c) {
    case 1: return 0;
    case 2: return 1;
    case 5: case 6: case 7: case 8: return s->obis_c - 3;  /* Q1..Q4: 2..5 */
    case 9: return 6;
    default:
        return s->obis_c >= 128 && s->obis_c <= 134 ? s->obis_c - 121 : -1;
    }
}

static int code_of(const struct pmu_elster_model *model, unsigned obis_c)
{
    for (size_t i = 0; i < model->n_sources; i++)
        if (model->sources[i].obis_c == obis_c)
            return model->sources[i].code;
    return -1;
}

void el_default_sources(const struct pmu_elster_model *model, uint8_t tou[EL_MAX_TOU],
                        uint8_t md[EL_MAX_MD])
{
    int none = code_of(model, 0);
    uint8_t n = none >= 0 ? (uint8_t)none : 0xFF;
    memset(tou, n, EL_MAX_TOU);
    memset(md, n, EL_MAX_MD);
    int import = code_of(model, 1);
    if (import >= 0)
        tou[0] = tou[1] = (uint8_t)import;
    static const unsigned md_c[] = {1, 2, 5, 8, 9};
    for (unsigned k = 0, j = 0; k < sizeof md_c / sizeof md_c[0] && j < EL_MAX_MD; k++) {
        int c = code_of(model, md_c[k]);
        if (c >= 0)
            md[j++] = (uint8_t)c;
    }
}

/* ---- The replay ------------------------------------------------------------------- */

struct gen {
    const struct pmu_sim_meter *m;
    struct el_history *h;
    int64_t off;                      /* meter time = pmu-sim time + off */
    int64_t pos;                      /* meter time where the next record starts */
    bool running;
    uint8_t hold;                     /* a split pair is due: its status */
    int64_t last_e4;
    unsigned n_tou, n_md;
    int tou_ch[EL_MAX_TOU], md_ch[EL_MAX_MD];
    const uint8_t *tables;
    int64_t now;                      /* pmu-sim time the history is made for */
    bool capturing;                   /* stream bytes are kept from near the memory start */
    int64_t cached_day;
    uint64_t cum[PMU_SIM_CHANNELS][PMU_SIM_SLOTS + 1]; /* Wh since the day's start */
    enum pmu_status st;
};

static void load_day(struct gen *g, int64_t day)
{
    if (g->cached_day == day)
        return;
    uint32_t v[PMU_SIM_CHANNELS][PMU_SIM_SLOTS];
    pmu_sim_load_day(&g->m->load, day, v);
    for (int c = 0; c < PMU_SIM_CHANNELS; c++) {
        g->cum[c][0] = 0;
        for (unsigned k = 0; k < PMU_SIM_SLOTS; k++)
            g->cum[c][k + 1] = g->cum[c][k] + v[c][k];
    }
    g->cached_day = day;
}

/* Wh of channel c from the start of `day` to meter time t (within that day). */
static uint64_t cum_at(struct gen *g, int c, int64_t day, int64_t t)
{
    load_day(g, day);
    int64_t s = t - day * EL_DAY;
    if (s >= EL_DAY)
        return g->cum[c][PMU_SIM_SLOTS];
    unsigned k = (unsigned)(s / PMU_SIM_INTERVAL_S);
    uint64_t slot = g->cum[c][k + 1] - g->cum[c][k];
    return g->cum[c][k] + slot * (uint64_t)(s - (int64_t)k * PMU_SIM_INTERVAL_S) / PMU_SIM_INTERVAL_S;
}

/* Energy of every channel in [a, b), both inside one meter day, in mWh. */
static void energy(struct gen *g, int64_t a, int64_t b, uint64_t v[EL_CHANNELS])
{
    memset(v, 0, EL_CHANNELS * sizeof v[0]);
    if (b <= a)
        return;
    int64_t day = floor_div(a, EL_DAY);
    uint64_t wh[PMU_SIM_CHANNELS];
    for (int c = 0; c < PMU_SIM_CHANNELS; c++)
        wh[c] = cum_at(g, c, day, b) - cum_at(g, c, day, a);
    v[0] = wh[PMU_SIM_IMPORT] * 1000;
    v[1] = wh[PMU_SIM_EXPORT] * 1000;
    v[2] = wh[PMU_SIM_REACTIVE] * 1000;
    v[5] = wh[PMU_SIM_EXPORT] * g->m->load.reactive_pct / 100 * 1000; /* exporting, leading */
    v[6] = v[0] + v[1];
}

static void put(struct gen *g, const uint8_t *p, long n)
{
    if (n < 0) {
        if (g->st == PMU_OK)
            g->st = (enum pmu_status)n;
        return;
    }
    if (g->capturing && pmu_sim_buf_append(&g->h->stream, p, (size_t)n) != PMU_OK)
        g->st = PMU_E_NOMEM;
}

static void put_marker(struct gen *g, unsigned marker, int64_t t)
{
    uint8_t b[8];
    if (marker == PMU_ELSTER_LP_NEW_DAY || marker == PMU_ELSTER_LP_CONFIG) {
        if (marker == PMU_ELSTER_LP_NEW_DAY) {
            /* Only the last days are kept (trim cuts exactly): start two days early,
             * as the clock offset may still change. */
            int64_t today = floor_div(g->now + g->off, EL_DAY) * EL_DAY;
            if (t >= today - (int64_t)(EL_MEMORY_DAYS + 2) * EL_DAY)
                g->capturing = true;
            struct el_history *h = g->h;
            if (g->capturing) {
                if (pmu_grow((void **)&h->days, &h->cap_days, h->n_days, sizeof h->days[0]))
                    h->days[h->n_days++] = (struct el_day){t, h->stream.len};
                else
                    g->st = PMU_E_NOMEM;
            }
            g->last_e4 = t;
        }
        put(g, b, pmu_elster_lp_put_header(marker, t, g->h->word, g->h->period_min, b, sizeof b));
    } else {
        put(g, b, pmu_elster_lp_put_event(marker, t, b, sizeof b));
    }
}

static void put_values(struct gen *g, uint8_t status, const uint64_t v[EL_CHANNELS])
{
    uint64_t sel[EL_CHANNELS];
    size_t n = 0;
    uint16_t w = g->h->word;
    uint16_t bits = (uint16_t)(((w & 0x7F00u) >> 1) | (w & 0x7Fu));
    for (unsigned c = 0; c < EL_CHANNELS; c++)
        if (bits & (1u << c))
            sel[n++] = pmu_elster_lp_value_round(v[c]);
    uint8_t b[1 + 3 * EL_CHANNELS];
    put(g, b, pmu_elster_lp_put_record(status, sel, n, b, sizeof b));
}

static void add_peak(struct el_peak p[3], uint64_t mw, int64_t at)
{
    for (unsigned i = 0; i < 3; i++) {
        if (mw > p[i].mw) {
            memmove(p + i + 1, p + i, (2 - i) * sizeof p[0]);
            p[i] = (struct el_peak){mw, at};
            return;
        }
    }
}

/* A record of [a, b) enters the stream and the registers. */
static void record(struct gen *g, int64_t a, int64_t b, uint8_t status)
{
    struct el_history *h = g->h;
    uint64_t v[EL_CHANNELS];
    energy(g, a, b, v);
    if (g->hold) {
        static const uint64_t zero[EL_CHANNELS];
        put_values(g, g->hold, zero);
        g->hold = 0;
    }
    put_values(g, status, v);
    for (unsigned c = 0; c < EL_CHANNELS; c++)
        h->ch[c] += v[c];
    unsigned rate = el_rate(g->tables, a);
    if (rate >= 1 && rate <= g->n_tou && g->tou_ch[rate - 1] >= 0)
        h->tou[rate - 1] += v[g->tou_ch[rate - 1]];
    uint64_t period_s = (uint64_t)h->period_min * 60;
    for (unsigned k = 0; k < g->n_md; k++)
        if (g->md_ch[k] >= 0)
            add_peak(h->md[k], v[g->md_ch[k]] * 3600 / period_s, b);
}

static void close_billing(struct gen *g, int64_t at, uint8_t trigger)
{
    struct el_history *h = g->h;
    for (unsigned k = 0; k < g->n_md; k++)
        h->cmd[k] += h->md[k][0].mw;
    memmove(h->sets + 1, h->sets, (EL_SETS - 1) * sizeof h->sets[0]);
    struct el_billing *s = &h->sets[0];
    memset(s, 0, sizeof *s);
    memcpy(s->cum, h->ch, sizeof s->cum);
    memcpy(s->ext, h->ch + EL_CUMULATIVE, sizeof s->ext);
    memcpy(s->tou, h->tou, sizeof s->tou);
    memcpy(s->cmd, h->cmd, sizeof s->cmd);
    memcpy(s->md, h->md, sizeof s->md);
    s->count = ++h->billing_count;
    s->start = h->period_start;
    s->end = at;
    s->trigger = trigger;
    if (h->n_sets < EL_SETS)
        h->n_sets++;
    memset(h->md, 0, sizeof h->md);
    h->period_start = at;
}

/* First instant of the month after meter time t. */
static int64_t next_month(int64_t t)
{
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(t, &ts);
    ts.day = 1;
    ts.hour = ts.minute = ts.second = 0;
    if (++ts.month > 12)
        ts.month = 1, ts.year++;
    return pmu_timestamp_to_seconds(&ts);
}

/* Month ends the meter passed without recording (power off, clock set forward). */
static void month_ends(struct gen *g, int64_t from, int64_t to)
{
    for (int64_t t = next_month(from); t <= to; t = next_month(t))
        if (t > g->h->period_start)
            close_billing(g, t, PMU_ELSTER_TRIGGER_BILLING_DATE);
}

/* Records every interval that ends by meter time `to`. */
static void advance(struct gen *g, int64_t to)
{
    int64_t p = (int64_t)g->h->period_min * 60;
    while (g->running && g->st == PMU_OK) {
        int64_t end = floor_div(g->pos, p) * p + p;
        if (end > to)
            break;
        if (g->pos % EL_DAY == 0 && g->pos != g->last_e4 && !g->hold)
            put_marker(g, PMU_ELSTER_LP_NEW_DAY, g->pos);
        record(g, g->pos, end, 0);
        int64_t before = g->pos;
        g->pos = end;
        /* A month end passed again after a clock set back is not a new one. */
        if (end % EL_DAY == 0 && next_month(before) == end && end > g->h->period_start)
            close_billing(g, end, PMU_ELSTER_TRIGGER_BILLING_DATE);
    }
}

static void on_event(struct gen *g, const struct el_event *ev)
{
    struct el_history *h = g->h;
    int64_t x = ev->at + g->off;
    switch (ev->kind) {
    case EV_POWER_DOWN:
        if (!g->running)
            return;
        if (g->hold && x > g->pos) /* a split pair first, then the marker */
            record(g, g->pos, x, PMU_ELSTER_LP_TRANSIENT_RESET), g->pos = x;
        put_marker(g, PMU_ELSTER_LP_POWER_DOWN, x);
        if (x > g->pos)
            record(g, g->pos, x, PMU_ELSTER_LP_TRANSIENT_RESET);
        g->pos = x;
        g->running = false;
        h->power_fails++;
        memmove(h->power_fail_times + 1, h->power_fail_times, 2 * sizeof h->power_fail_times[0]);
        h->power_fail_times[0] = x;
        break;
    case EV_POWER_UP:
        if (g->running)
            return;
        month_ends(g, g->pos, x);
        put_marker(g, PMU_ELSTER_LP_POWER_UP, x);
        g->running = true;
        g->pos = x;
        g->hold = PMU_ELSTER_LP_TRANSIENT_RESET;
        break;
    case EV_CLOCK:
    case EV_JUMP: {
        if (!g->running)
            return;
        if (x > g->pos)
            record(g, g->pos, x, PMU_ELSTER_LP_TIME_SYNC);
        g->off = ev->kind == EV_JUMP ? g->off + ev->value : ev->value;
        int64_t nx = ev->at + g->off;
        if (nx > x)
            month_ends(g, x, nx);
        put_marker(g, PMU_ELSTER_LP_TIME_CHANGE, nx);
        g->pos = nx;
        g->hold = PMU_ELSTER_LP_TIME_SYNC;
        break;
    }
    case EV_CONFIG:
        if (g->running && x > g->pos)
            record(g, g->pos, x, PMU_ELSTER_LP_DATA_CHANGE);
        h->word = ev->word;
        h->period_min = ev->period_min;
        put_marker(g, PMU_ELSTER_LP_CONFIG, x);
        g->pos = x;
        break;
    case EV_RESET:
        close_billing(g, x, PMU_ELSTER_TRIGGER_SERIAL);
        break;
    case EV_TOU:
        g->tables = ev->tables;
        break;
    }
}

/* ---- Faults by the day -------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

static bool day_hits(double p, uint64_t h)
{
    return p > 0 && (double)(h >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* The fault events of pmu-sim day `day`, at most 3, in time order. */
static size_t day_faults(const struct pmu_sim_meter *m, int64_t day, struct el_event out[3])
{
    const struct pmu_sim_faults *f = &m->cfg->faults;
    uint64_t key = mix(mix(m->cfg->fault_seed ^ 0xE15u) ^ m->index) ^ (uint64_t)day;
    size_t n = 0;
    int64_t down = -1, up = -1;
    uint64_t h = mix(key ^ 1);
    if (day_hits(f->p[PMU_SIM_POWER_FAIL], h)) {
        uint64_t h2 = mix(h);
        down = day * EL_DAY + 60 + (int64_t)(h2 % (EL_DAY - 120));
        up = down + 60 + (int64_t)((h2 >> 32) % 5341); /* 1..90 minutes */
        out[n++] = (struct el_event){.at = down, .kind = EV_POWER_DOWN};
    }
    h = mix(key ^ 2);
    if (day_hits(f->p[PMU_SIM_CLOCK_CHANGE], h)) {
        uint64_t h2 = mix(h);
        int64_t at = day * EL_DAY + 60 + (int64_t)(h2 % (EL_DAY - 120));
        int64_t jump = 60 + (int64_t)((h2 >> 32) % 900); /* 1..15 minutes and seconds */
        if (h2 >> 63)
            jump = -jump;
        if (down < 0 || at < down || at > up) { /* not while the power is off */
            struct el_event ev = {.at = at, .kind = EV_JUMP, .value = jump};
            if (n == 1 && at < down)
                out[1] = out[0], out[0] = ev;
            else
                out[n] = ev;
            n++;
        }
    }
    if (up >= 0)
        out[n++] = (struct el_event){.at = up, .kind = EV_POWER_UP};
    return n;
}

/* ---- Making a history ----------------------------------------------------------------- */

void el_history_free(struct el_history *h)
{
    pmu_sim_buf_free(&h->stream);
    free(h->days);
    memset(h, 0, sizeof *h);
}

static void trim(struct el_history *h)
{
    int64_t today = floor_div(h->meter_now, EL_DAY) * EL_DAY;
    int64_t cut = today - (int64_t)EL_MEMORY_DAYS * EL_DAY;
    size_t first = h->n_days;
    for (size_t i = 0; i < h->n_days && first == h->n_days; i++)
        if (h->days[i].time >= cut)
            first = i;
    if (first == h->n_days)
        first = h->n_days > 0 ? h->n_days - 1 : 0;
    if (first == 0 || h->n_days == 0)
        return;
    size_t base = h->days[first].offset;
    memmove(h->stream.data, h->stream.data + base, h->stream.len - base);
    h->stream.len -= base;
    for (size_t i = first; i < h->n_days; i++)
        h->days[i - first] = (struct el_day){h->days[i].time, h->days[i].offset - base};
    h->n_days -= first;
}

enum pmu_status el_history_make(const struct pmu_sim_meter *m, int64_t now, struct el_history *h)
{
    const struct pmu_sim_elster *e = m->elster;
    const struct pmu_elster_model *model = e->model;
    memset(h, 0, sizeof *h);
    struct gen g;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.h = h;
    g.now = now;
    g.cached_day = INT64_MIN;
    g.running = true;
    g.pos = e->origin;
    g.last_e4 = INT64_MIN;
    g.n_tou = model->tou_registers < EL_MAX_TOU ? model->tou_registers : EL_MAX_TOU;
    g.n_md = model->md_registers < EL_MAX_MD ? model->md_registers : EL_MAX_MD;
    uint8_t tou_src[EL_MAX_TOU], md_src[EL_MAX_MD];
    el_default_sources(model, tou_src, md_src);
    for (unsigned i = 0; i < EL_MAX_TOU; i++)
        g.tou_ch[i] = el_source_channel(model, tou_src[i]);
    for (unsigned i = 0; i < EL_MAX_MD; i++)
        g.md_ch[i] = el_source_channel(model, md_src[i]);
    uint8_t defaults[EL_TOU_LEN];
    el_default_tables(defaults);
    g.tables = defaults;

    struct pmu_sim_registers base;
    pmu_sim_load_registers(&m->load, e->origin, &base);
    h->ch[0] = base.import_wh * 1000;
    h->ch[1] = base.export_wh * 1000;
    h->ch[2] = base.reactive_import_varh * 1000;
    h->ch[5] = base.reactive_export_varh * 1000;
    h->ch[6] = h->ch[0] + h->ch[1];
    h->tou[0] = base.import_day_wh * 1000;
    h->tou[1] = base.import_night_wh * 1000;
    h->billing_count = base.billing_resets;
    h->period_start = e->origin;
    h->word = EL_DEFAULT_WORD;
    h->period_min = EL_DEFAULT_PERIOD;
    h->at = now;

    /* Writes are in time order; fault events come day by day between them. */
    size_t w = 0;
    int64_t first_day = floor_div(e->origin, EL_DAY), last_day = floor_div(now, EL_DAY);
    for (int64_t day = first_day; day <= last_day + 1 && g.st == PMU_OK; day++) {
        struct el_event f[3];
        size_t nf = day <= last_day ? day_faults(m, day, f) : 0, i = 0;
        int64_t day_end = day <= last_day ? (day + 1) * EL_DAY : INT64_MAX;
        while (g.st == PMU_OK) {
            const struct el_event *ev = NULL;
            if (w < e->n_events && e->events[w].at <= now && e->events[w].at < day_end &&
                (i == nf || e->events[w].at <= f[i].at))
                ev = &e->events[w++];
            else if (i < nf && f[i].at <= now)
                ev = &f[i++];
            else
                break;
            if (ev->at < e->origin)
                continue;
            advance(&g, ev->at + g.off);
            on_event(&g, ev);
        }
    }
    advance(&g, now + g.off);
    h->meter_now = now + g.off;
    if (g.st == PMU_OK)
        trim(h);
    if (g.st != PMU_OK)
        el_history_free(h);
    return g.st;
}
