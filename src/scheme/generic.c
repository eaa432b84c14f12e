/* Schemes on generic IEC 62056-21 meters: W1 writes of ADDRESS(VALUE) in programming
 * mode. Standard OBIS addresses where one exists (scheme id 0.2.1, ratios 0.4.x,
 * demand period 0.8.0, profile period 0.8.4); the TOU tables and lists use openpmu's
 * address set under C = 128 (manufacturer-specific range), each table as a count
 * at index 0 and entries 1..n. Table: docs/schemes.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static enum pmu_status nomem(struct pmu_error *err)
{
    return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory compiling a scheme");
}

static enum pmu_status PMU_PRINTF(5, 6)
    put(struct pmu_scheme_items *l, const char *what, const char *address, struct pmu_error *err, const char *fmt, ...)
{
    struct pmu_scheme_item *it = pmu_scheme_items_add(l, what);
    if (it == NULL)
        return nomem(err);
    snprintf(it->address, sizeof it->address, "%.16s", address);
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(it->value, sizeof it->value, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof it->value)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "%s: value longer than 32 characters", address);
    return PMU_OK;
}

static enum pmu_status put_count(struct pmu_scheme_items *l, const char *what, unsigned table, size_t n,
                                 struct pmu_error *err)
{
    char a[48];
    snprintf(a, sizeof a, "128.%u.0", table);
    return put(l, what, a, err, "%zu", n);
}

enum pmu_status pmu_scheme_compile_generic(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                           struct pmu_scheme_items *l, struct pmu_error *err)
{
    (void)caps;
    enum pmu_status st = PMU_OK;
    char a[48], p[32], q[32];
    if (s->ct[0] != '\0') {
        pmu_scheme_ratio_split(s->ct, p, q, sizeof p);
        if ((st = put(l, "CT ratio primary", "0.4.2", err, "%s", p)) != PMU_OK ||
            (st = put(l, "CT ratio secondary", "0.4.5", err, "%s", q)) != PMU_OK)
            return st;
    }
    if (s->vt[0] != '\0') {
        pmu_scheme_ratio_split(s->vt, p, q, sizeof p);
        if ((st = put(l, "VT ratio primary", "0.4.3", err, "%s", p)) != PMU_OK ||
            (st = put(l, "VT ratio secondary", "0.4.6", err, "%s", q)) != PMU_OK)
            return st;
    }
    if (s->n_registers > 0) {
        if ((st = put_count(l, "TOU registers", 1, s->n_registers, err)) != PMU_OK)
            return st;
        for (size_t i = 0; i < s->n_registers && st == PMU_OK; i++) {
            const struct pmu_scheme_register *g = &s->registers[i];
            const struct pmu_scheme_rate *r = pmu_scheme_rate_by_name(s, g->rate);
            snprintf(a, sizeof a, "128.1.%zu", i + 1);
            st = put(l, "TOU register", a, err, "%u,%u,%u", g->number, r != NULL ? r->number : 0,
                     pmu_scheme_source_obis_c(g->source));
        }
    }
    if (st == PMU_OK && s->has_md) {
        if ((st = put(l, "MD integration period", "0.8.0", err, "%u", s->md_period)) != PMU_OK ||
            (st = put(l, "MD sub-intervals", "128.8.1", err, "%u", s->md_sub_intervals)) != PMU_OK ||
            (st = put_count(l, "MD registers", 2, s->n_md_registers, err)) != PMU_OK)
            return st;
        for (size_t i = 0; i < s->n_md_registers && st == PMU_OK; i++) {
            snprintf(a, sizeof a, "128.2.%zu", i + 1);
            st = put(l, "MD register source", a, err, "%u", pmu_scheme_source_obis_c(s->md_registers[i]));
        }
    }
    if (st == PMU_OK && s->has_lp) {
        if ((st = put(l, "load profile interval", "0.8.4", err, "%u", s->lp_interval)) != PMU_OK ||
            (st = put_count(l, "load profile channels", 3, s->n_lp_channels, err)) != PMU_OK)
            return st;
        for (size_t i = 0; i < s->n_lp_channels && st == PMU_OK; i++) {
            snprintf(a, sizeof a, "128.3.%zu", i + 1);
            st = put(l, "load profile channel", a, err, "%u", pmu_scheme_source_obis_c(s->lp_channels[i]));
        }
    }
    if (st == PMU_OK && s->has_display) {
        st = put_count(l, "display list", 4, s->n_display, err);
        for (size_t i = 0; i < s->n_display && st == PMU_OK; i++) {
            snprintf(a, sizeof a, "128.4.%zu", i + 1);
            st = put(l, "display item", a, err, "%s", s->display[i]);
        }
    }
    if (st == PMU_OK && (s->n_day_types > 0 || s->n_seasons > 0)) {
        struct pmu_scheme_weeks w;
        pmu_scheme_weeks(s, &w);
        st = put_count(l, "TOU seasons", 5, s->n_seasons, err);
        for (size_t i = 0; i < s->n_seasons && st == PMU_OK; i++) {
            snprintf(a, sizeof a, "128.5.%zu", i + 1);
            st = put(l, "TOU season", a, err, "%02u-%02u,%zu", s->seasons[i].month, s->seasons[i].day,
                     w.week_of[i] + 1);
        }
        if (st == PMU_OK)
            st = put_count(l, "TOU week profiles", 6, w.n, err);
        for (size_t k = 0; k < w.n && st == PMU_OK; k++) {
            const int *d = w.day_type[k];
            snprintf(a, sizeof a, "128.6.%zu", k + 1);
            st = put(l, "TOU week profile", a, err, "%d,%d,%d,%d,%d,%d,%d", d[0] + 1, d[1] + 1, d[2] + 1, d[3] + 1,
                     d[4] + 1, d[5] + 1, d[6] + 1);
        }
        if (st == PMU_OK)
            st = put_count(l, "TOU day types", 7, s->n_day_types, err);
        for (size_t k = 0; k < s->n_day_types && st == PMU_OK; k++) {
            const struct pmu_scheme_day_type *d = &s->day_types[k];
            snprintf(a, sizeof a, "128.7.%zu.0", k + 1);
            st = put(l, "TOU day type switch points", a, err, "%zu", d->n_switches);
            for (size_t j = 0; j < d->n_switches && st == PMU_OK; j++) {
                const struct pmu_scheme_rate *r = pmu_scheme_rate_by_name(s, d->switches[j].rate);
                snprintf(a, sizeof a, "128.7.%zu.%zu", k + 1, j + 1);
                st = put(l, "TOU switch point", a, err, "%02u:%02u,%u", d->switches[j].hour, d->switches[j].minute,
                         r != NULL ? r->number : 0);
            }
        }
        if (st == PMU_OK)
            st = put_count(l, "TOU special days", 9, s->n_special_days, err);
        for (size_t i = 0; i < s->n_special_days && st == PMU_OK; i++) {
            const struct pmu_scheme_special_day *sd = &s->special_days[i];
            snprintf(a, sizeof a, "128.9.%zu", i + 1);
            int dt = pmu_scheme_day_type_index(s, sd->day_type) + 1;
            st = sd->year != 0 ? put(l, "TOU special day", a, err, "%04u-%02u-%02u,%d", sd->year, sd->month, sd->day, dt)
                               : put(l, "TOU special day", a, err, "%02u-%02u,%d", sd->month, sd->day, dt);
        }
        if (st == PMU_OK)
            st = put(l, "TOU tables activate", "128.0.1", err, "%s", "");
    }
    if (st == PMU_OK)
        st = put(l, "scheme id", "0.2.1", err, "%s", s->scheme_id);
    return st;
}

/* ---- read back -> scheme ----------------------------------------------------------- */

static const char *value_at(const struct pmu_scheme_items *rb, const char *address)
{
    for (size_t k = 0; k < rb->n; k++)
        if (strcmp(rb->items[k].address, address) == 0)
            return rb->items[k].value;
    return NULL;
}

/* Entry i of openpmu table 128.T (i = 0: the count). */
static const char *entry(const struct pmu_scheme_items *rb, unsigned table, size_t i)
{
    char a[48];
    snprintf(a, sizeof a, "128.%u.%zu", table, i);
    return value_at(rb, a);
}

/* Switch point j of day type k (j = 0: the count). */
static const char *switch_point(const struct pmu_scheme_items *rb, size_t k, size_t j)
{
    char a[48];
    snprintf(a, sizeof a, "128.7.%zu.%zu", k, j);
    return value_at(rb, a);
}

/* Splits "a,b,c" into up to max unsigned numbers; returns how many. */
static size_t numbers(const char *v, unsigned *out, size_t max)
{
    size_t n = 0;
    while (v != NULL && *v != '\0' && n < max) {
        const char *end = strchr(v, ',');
        size_t len = end != NULL ? (size_t)(end - v) : strlen(v);
        if (!pmu_scheme_parse_uint(v, len, 65535, &out[n]))
            return n;
        n++;
        v = end != NULL ? end + 1 : NULL;
    }
    return n;
}

static size_t count(const struct pmu_scheme_items *rb, unsigned table, size_t max)
{
    unsigned n;
    const char *v = entry(rb, table, 0);
    if (v == NULL || !pmu_scheme_parse_uint(v, strlen(v), 9999, &n))
        return 0;
    return n < max ? n : max;
}

static void source_text(unsigned c, char *out)
{
    const char *name = pmu_scheme_source_name(c);
    if (name != NULL)
        snprintf(out, PMU_SCHEME_TEXT_MAX, "%s", name);
    else
        snprintf(out, PMU_SCHEME_TEXT_MAX, "obis-c-%u", c);
}

static void decode_tou(const struct pmu_scheme_items *rb, const struct pmu_scheme *names, struct pmu_scheme *s,
                       unsigned *rates, size_t *n_rates)
{
    unsigned v[8];
    size_t n_days = count(rb, 7, PMU_SCHEME_MAX_DAY_TYPES);
    for (size_t k = 0; k < n_days; k++) {
        struct pmu_scheme_day_type *d = &s->day_types[s->n_day_types++];
        pmu_scheme_name_day_type(names, k, d->name, sizeof d->name);
        const char *nv = switch_point(rb, k + 1, 0);
        unsigned n_sw = 0;
        if (nv == NULL || !pmu_scheme_parse_uint(nv, strlen(nv), PMU_SCHEME_MAX_SWITCHES, &n_sw))
            n_sw = 0;
        for (size_t j = 0; j < n_sw; j++) {
            const char *sv = switch_point(rb, k + 1, j + 1);
            struct pmu_scheme_switch *sw = &d->switches[d->n_switches];
            if (sv == NULL || strlen(sv) < 7 || sv[5] != ',' || !pmu_scheme_parse_time(sv, 5, &sw->hour, &sw->minute) ||
                numbers(sv + 6, v, 1) != 1)
                continue;
            pmu_scheme_name_rate(names, v[0], sw->rate, sizeof sw->rate);
            if (*n_rates < 1024)
                rates[(*n_rates)++] = v[0];
            d->n_switches++;
        }
    }
    size_t n_weeks = count(rb, 6, PMU_SCHEME_MAX_SEASONS);
    unsigned weeks[PMU_SCHEME_MAX_SEASONS][7];
    memset(weeks, 0, sizeof weeks);
    for (size_t k = 0; k < n_weeks; k++)
        numbers(entry(rb, 6, k + 1), weeks[k], 7);
    size_t n_seasons = count(rb, 5, PMU_SCHEME_MAX_SEASONS);
    for (size_t i = 0; i < n_seasons; i++) {
        const char *sv = entry(rb, 5, i + 1);
        struct pmu_scheme_season *se = &s->seasons[s->n_seasons];
        unsigned y, wk;
        if (sv == NULL || strlen(sv) < 7 || sv[5] != ',' || !pmu_scheme_parse_date(sv, 5, &y, &se->month, &se->day) ||
            numbers(sv + 6, &wk, 1) != 1 || wk == 0 || wk > n_weeks)
            continue;
        pmu_scheme_name_season(names, se->month, se->day, s->n_seasons, se->name, sizeof se->name);
        for (size_t d = 0; d < 7; d++)
            pmu_scheme_name_day_type(names, weeks[wk - 1][d] > 0 ? weeks[wk - 1][d] - 1 : 999, se->week[d],
                                     sizeof se->week[d]);
        s->n_seasons++;
    }
    size_t n_special = count(rb, 9, PMU_SCHEME_MAX_SPECIAL_DAYS);
    for (size_t i = 0; i < n_special; i++) {
        const char *sv = entry(rb, 9, i + 1);
        const char *comma = sv != NULL ? strchr(sv, ',') : NULL;
        struct pmu_scheme_special_day *sd = &s->special_days[s->n_special_days];
        unsigned dt;
        if (comma == NULL || !pmu_scheme_parse_date(sv, (size_t)(comma - sv), &sd->year, &sd->month, &sd->day) ||
            numbers(comma + 1, &dt, 1) != 1 || dt == 0)
            continue;
        pmu_scheme_name_day_type(names, dt - 1, sd->day_type, sizeof sd->day_type);
        s->n_special_days++;
    }
}

enum pmu_status pmu_scheme_decode_generic(const struct pmu_scheme_items *rb, const struct pmu_scheme_caps *caps,
                                          const struct pmu_scheme *names, struct pmu_scheme *s, struct pmu_error *err)
{
    (void)caps;
    (void)err;
    unsigned v[8], rates[1024];
    size_t n_rates = 0;
    const char *t;
    char joined[80];
    if ((t = value_at(rb, "0.2.1")) != NULL)
        snprintf(s->scheme_id, sizeof s->scheme_id, "%s", t);
    const char *ct_p = value_at(rb, "0.4.2"), *ct_s = value_at(rb, "0.4.5");
    if (ct_p != NULL && ct_s != NULL) {
        snprintf(joined, sizeof joined, "%s/%s", ct_p, ct_s);
        if (!pmu_scheme_ratio_canon(joined, s->ct, sizeof s->ct))
            snprintf(s->ct, sizeof s->ct, "%.31s", joined);
    }
    const char *vt_p = value_at(rb, "0.4.3"), *vt_s = value_at(rb, "0.4.6");
    if (vt_p != NULL && vt_s != NULL) {
        snprintf(joined, sizeof joined, "%s/%s", vt_p, vt_s);
        if (!pmu_scheme_ratio_canon(joined, s->vt, sizeof s->vt))
            snprintf(s->vt, sizeof s->vt, "%.31s", joined);
    }
    size_t n = count(rb, 1, PMU_SCHEME_MAX_REGISTERS);
    for (size_t i = 0; i < n; i++) {
        if (numbers(entry(rb, 1, i + 1), v, 3) != 3)
            continue;
        struct pmu_scheme_register *g = &s->registers[s->n_registers++];
        g->number = v[0];
        pmu_scheme_name_rate(names, v[1], g->rate, sizeof g->rate);
        source_text(v[2], g->source);
        rates[n_rates++] = v[1];
    }
    if ((t = value_at(rb, "0.8.0")) != NULL) {
        s->has_md = true;
        numbers(t, &s->md_period, 1);
        numbers(value_at(rb, "128.8.1"), &s->md_sub_intervals, 1);
        n = count(rb, 2, PMU_SCHEME_MAX_MD);
        for (size_t i = 0; i < n; i++)
            if (numbers(entry(rb, 2, i + 1), v, 1) == 1)
                source_text(v[0], s->md_registers[s->n_md_registers++]);
    }
    if ((t = value_at(rb, "0.8.4")) != NULL) {
        s->has_lp = true;
        numbers(t, &s->lp_interval, 1);
        n = count(rb, 3, PMU_SCHEME_MAX_CHANNELS);
        for (size_t i = 0; i < n; i++)
            if (numbers(entry(rb, 3, i + 1), v, 1) == 1)
                source_text(v[0], s->lp_channels[s->n_lp_channels++]);
    }
    if (value_at(rb, "128.4.0") != NULL) {
        s->has_display = true;
        n = count(rb, 4, PMU_SCHEME_MAX_DISPLAY);
        for (size_t i = 0; i < n; i++)
            if ((t = entry(rb, 4, i + 1)) != NULL &&
                pmu_scheme_obis_canon(t, s->display[s->n_display], PMU_SCHEME_TEXT_MAX))
                s->n_display++;
    }
    decode_tou(rb, names, s, rates, &n_rates);
    pmu_scheme_rates_from_numbers(s, names, rates, n_rates);
    return PMU_OK;
}
