/* The consumption model: how much energy a simulated meter counts, and when.
 *
 * Everything derives from a day total per channel and a shape that splits it into 48
 * half-hours. A day total comes from the meter's mean, the month (season), the
 * weekday and a hash of the day; the shape is one of a few noisy variants of a
 * household curve. Interval k of a day gets floor(D*W[k+1]/W[48]) - floor(D*W[k]/W[48])
 * where W is the shape's running sum, so the intervals of a day add up to D exactly and
 * any prefix of the day is one multiplication: registers (base + every interval that
 * ended) cost one step per day since PMU_SIM_ORIGIN instead of one per interval, and
 * still equal the sum of the profile to the watt-hour. All integers: the same seed
 * gives the same energy on every machine. */
#include "pmu/sim.h"

#include <string.h>

#define VARIANTS 4                 /* noisy versions of the household curve */
#define DAY_S 86400
#define DAY_SLOT 14                /* 07:00: first slot of tariff 1 (day) */
#define NIGHT_SLOT 46              /* 23:00: first slot of tariff 2 (night) again */

/* Tags keep the hashes of different quantities apart. */
enum { TAG_METER = 1, TAG_DAY, TAG_SHAPE, TAG_VOLTAGE };

/* Relative load of each half-hour of a household day, 00:00 first. */
static const uint16_t household[PMU_SIM_SLOTS] = {
    30, 28, 26, 25, 24, 24, 24, 24, 25, 26, 28, 32,                  /* 00:00 night */
    45, 70, 100, 110, 95, 80,                                         /* 06:00 morning */
    60, 55, 55, 55, 60, 65, 65, 60, 55, 55, 55, 60, 65, 70,           /* 09:00 day */
    85, 105, 125, 140, 150, 150, 145, 135, 120, 105, 90, 75,          /* 16:00 evening */
    60, 50, 40, 34};                                                  /* 22:00 */

/* Relative output of a rooftop generator. */
static const uint16_t solar[PMU_SIM_SLOTS] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 3, 6, 10, 15, 21, 28, 35, 42, 48, 53, 57,
    59, 60, 59, 57, 53, 48, 42, 35, 28, 21, 15, 10,
    6, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};

/* Percent of the mean by month: more light and heat in winter, more sun in summer. */
static const uint16_t import_season[12] = {130, 122, 110, 98, 88, 80, 78, 80, 88, 100, 115, 128};
static const uint16_t solar_season[12] = {35, 55, 85, 115, 140, 150, 148, 130, 100, 70, 42, 30};

/* splitmix64's finaliser: a good 64-bit mix, cheap. */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

static uint64_t hash(uint64_t key, uint64_t tag, uint64_t a, uint64_t b)
{
    return mix(mix(mix(key ^ tag) ^ a) ^ b);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void pmu_sim_load_init(struct pmu_sim_load *l, uint64_t seed, unsigned index)
{
    memset(l, 0, sizeof *l);
    l->key = hash(seed, TAG_METER, index, 0);
    uint64_t h = mix(l->key), h2 = mix(h);
    l->daily_wh = (uint32_t)(4000 + h % 12001);                  /* 4..16 kWh a day */
    l->solar_wh = (h >> 20) % 3 == 0 ? (uint32_t)(3000 + (h >> 24) % 9001) : 0;
    l->reactive_pct = (uint32_t)(15 + (h >> 40) % 31);
    l->base_day_wh = 1000000 + h2 % 20000001;                    /* 1..21 MWh so far */
    l->base_night_wh = l->base_day_wh * (35 + (h2 >> 32) % 26) / 100;
    l->base_export_wh = l->solar_wh ? (h2 >> 8) % 2000001 : 0;
    l->base_reactive_varh = (l->base_day_wh + l->base_night_wh) * l->reactive_pct / 100;
    l->base_reactive_export_varh = 10000 + (h2 >> 16) % 490001;
}

/* Running sums of the shapes: cum[v][k] = sum of the first k weights of variant v. */
struct shapes {
    uint32_t household[VARIANTS][PMU_SIM_SLOTS + 1];
    uint32_t solar[PMU_SIM_SLOTS + 1];
};

static void make_shapes(const struct pmu_sim_load *l, struct shapes *s)
{
    for (unsigned v = 0; v < VARIANTS; v++) {
        s->household[v][0] = 0;
        for (unsigned k = 0; k < PMU_SIM_SLOTS; k++) {
            uint32_t noise = (uint32_t)(70 + hash(l->key, TAG_SHAPE, v, k) % 61);
            s->household[v][k + 1] = s->household[v][k] + household[k] * noise;
        }
    }
    s->solar[0] = 0;
    for (unsigned k = 0; k < PMU_SIM_SLOTS; k++)
        s->solar[k + 1] = s->solar[k] + solar[k];
}

/* One day's totals per channel and which household variant shapes it. */
struct day_plan {
    uint32_t total[PMU_SIM_CHANNELS];
    unsigned variant;
};

static void plan_day(const struct pmu_sim_load *l, int64_t day, int month, struct day_plan *p)
{
    memset(p, 0, sizeof *p);
    if (day * DAY_S < PMU_SIM_ORIGIN)
        return;
    uint64_t h = hash(l->key, TAG_DAY, (uint64_t)day, 0);
    int weekday = (int)((day + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    uint64_t weekend = weekday == 0 || weekday == 6 ? 112 : 100;
    uint64_t noise = 75 + (h >> 8) % 51;
    uint64_t import = (uint64_t)l->daily_wh * import_season[month - 1] * weekend * noise / 1000000;
    p->total[PMU_SIM_IMPORT] = (uint32_t)import;
    p->total[PMU_SIM_REACTIVE] = (uint32_t)(import * l->reactive_pct / 100);
    if (l->solar_wh != 0) /* cloudy days make 20%, clear ones 120% */
        p->total[PMU_SIM_EXPORT] =
            (uint32_t)((uint64_t)l->solar_wh * solar_season[month - 1] * (20 + (h >> 24) % 101) / 10000);
    p->variant = (unsigned)(h & (VARIANTS - 1));
}

/* Energy of channel c in the first `slots` intervals of a planned day. */
static uint64_t prefix(const struct shapes *s, const struct day_plan *p, int c, unsigned slots)
{
    const uint32_t *cum = c == PMU_SIM_EXPORT ? s->solar : s->household[p->variant];
    return (uint64_t)p->total[c] * cum[slots] / cum[PMU_SIM_SLOTS];
}

static int month_of_day(int64_t day)
{
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(day * DAY_S, &ts);
    return ts.month;
}

static void day_intervals(const struct pmu_sim_load *l, const struct shapes *s, int64_t day,
                          uint32_t out[PMU_SIM_CHANNELS][PMU_SIM_SLOTS])
{
    struct day_plan p;
    plan_day(l, day, month_of_day(day), &p);
    for (int c = 0; c < PMU_SIM_CHANNELS; c++)
        for (unsigned k = 0; k < PMU_SIM_SLOTS; k++)
            out[c][k] = (uint32_t)(prefix(s, &p, c, k + 1) - prefix(s, &p, c, k));
}

void pmu_sim_load_day(const struct pmu_sim_load *l, int64_t day,
                      uint32_t out[PMU_SIM_CHANNELS][PMU_SIM_SLOTS])
{
    struct shapes s;
    make_shapes(l, &s);
    day_intervals(l, &s, day, out);
}

void pmu_sim_load_interval(const struct pmu_sim_load *l, int64_t end,
                           uint32_t out[PMU_SIM_CHANNELS])
{
    int64_t start = floor_div(end, PMU_SIM_INTERVAL_S) * PMU_SIM_INTERVAL_S - PMU_SIM_INTERVAL_S;
    int64_t day = floor_div(start, DAY_S);
    unsigned slot = (unsigned)((start - day * DAY_S) / PMU_SIM_INTERVAL_S);
    uint32_t all[PMU_SIM_CHANNELS][PMU_SIM_SLOTS];
    pmu_sim_load_day(l, day, all);
    for (int c = 0; c < PMU_SIM_CHANNELS; c++)
        out[c] = all[c][slot];
}

/* Adds every interval that ended at or before t to the registers. One step per day:
 * whole days take their totals, the last day the prefix up to t. */
static void add_energy(const struct pmu_sim_load *l, const struct shapes *s, int64_t t,
                       struct pmu_sim_registers *r)
{
    if (t < PMU_SIM_ORIGIN)
        return;
    int64_t n = (t - PMU_SIM_ORIGIN) / PMU_SIM_INTERVAL_S; /* intervals ended */
    int64_t first = PMU_SIM_ORIGIN / DAY_S, last = first + n / PMU_SIM_SLOTS;
    unsigned rest = (unsigned)(n % PMU_SIM_SLOTS);
    int year = 2000, month = 1, dom = 1; /* the civil date of `day`, kept in step */
    for (int64_t day = first; day <= last; day++) {
        unsigned slots = day < last ? PMU_SIM_SLOTS : rest;
        if (slots > 0) {
            struct day_plan p;
            plan_day(l, day, month, &p);
            unsigned d_end = slots < NIGHT_SLOT ? slots : NIGHT_SLOT;
            unsigned d_start = slots < DAY_SLOT ? slots : DAY_SLOT;
            uint64_t all = prefix(s, &p, PMU_SIM_IMPORT, slots);
            uint64_t day_part = prefix(s, &p, PMU_SIM_IMPORT, d_end) -
                                prefix(s, &p, PMU_SIM_IMPORT, d_start);
            r->import_day_wh += day_part;
            r->import_night_wh += all - day_part;
            r->export_wh += prefix(s, &p, PMU_SIM_EXPORT, slots);
            r->reactive_import_varh += prefix(s, &p, PMU_SIM_REACTIVE, slots);
        }
        if (++dom > month_days(year, month)) {
            dom = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
    }
}

/* 1.6.0: the largest import interval of t's month that has ended, as power. */
static void max_demand(const struct pmu_sim_load *l, const struct shapes *s, int64_t t,
                       struct pmu_sim_registers *r)
{
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(t, &ts);
    ts.day = 1;
    ts.hour = ts.minute = ts.second = 0;
    int64_t month_start = pmu_timestamp_to_seconds(&ts);
    r->max_demand_w = 0;
    r->max_demand_at = month_start;
    r->billing_resets = ts.year >= 2000 ? (uint32_t)((ts.year - 2000) * 12 + ts.month - 1) : 0;
    for (int64_t day = month_start / DAY_S; day * DAY_S < t; day++) {
        uint32_t e[PMU_SIM_CHANNELS][PMU_SIM_SLOTS];
        day_intervals(l, s, day, e);
        for (unsigned k = 0; k < PMU_SIM_SLOTS; k++) {
            int64_t end = day * DAY_S + (int64_t)(k + 1) * PMU_SIM_INTERVAL_S;
            if (end > t)
                break;
            if (2 * e[PMU_SIM_IMPORT][k] > r->max_demand_w) {
                r->max_demand_w = 2 * e[PMU_SIM_IMPORT][k];
                r->max_demand_at = end;
            }
        }
    }
}

/* 32.7.0 and 31.7.0: mains voltage wanders by the minute; the current is the power of
 * the interval now running at that voltage. */
static void instantaneous(const struct pmu_sim_load *l, const struct shapes *s, int64_t t,
                          struct pmu_sim_registers *r)
{
    int64_t day = floor_div(t, DAY_S);
    unsigned slot = (unsigned)((t - day * DAY_S) / PMU_SIM_INTERVAL_S);
    uint32_t e[PMU_SIM_CHANNELS][PMU_SIM_SLOTS];
    day_intervals(l, s, day, e);
    uint64_t watts = 2 * (uint64_t)e[PMU_SIM_IMPORT][slot];
    r->voltage_dv = (uint32_t)(2270 + hash(l->key, TAG_VOLTAGE, (uint64_t)floor_div(t, 60), 0) % 61);
    r->current_ca = (uint32_t)(watts * 1000 / r->voltage_dv);
}

void pmu_sim_load_registers(const struct pmu_sim_load *l, int64_t t,
                            struct pmu_sim_registers *out)
{
    struct shapes s;
    make_shapes(l, &s);
    memset(out, 0, sizeof *out);
    out->import_day_wh = l->base_day_wh;
    out->import_night_wh = l->base_night_wh;
    out->export_wh = l->base_export_wh;
    out->reactive_import_varh = l->base_reactive_varh;
    out->reactive_export_varh = l->base_reactive_export_varh;
    add_energy(l, &s, t, out);
    out->import_wh = out->import_day_wh + out->import_night_wh;
    max_demand(l, &s, t, out);
    instantaneous(l, &s, t, out);
}
