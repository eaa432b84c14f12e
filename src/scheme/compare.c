/* A scheme as "path: value" lines (show, diff, verify) and as canonical YAML. Both
 * put every list in the order that makes equal schemes equal text: rates and
 * registers by number, special days by date, load-profile channels by OBIS group C
 * (the meter keeps a channel set, not an order). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct sb {
    char *p;
    size_t n, cap;
    bool failed;
};

static void PMU_PRINTF(2, 3) sb_printf(struct sb *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p != NULL ? b->p + b->n : NULL, b->p != NULL ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->failed = true;
            return;
        }
        if (b->p != NULL && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + (size_t)w + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* Index order of a list by a key. */
static void order(size_t n, size_t *idx, const unsigned *key)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && key[idx[j - 1]] > key[idx[j]]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}

static void sorted_channels(const struct pmu_scheme *s, size_t *idx)
{
    unsigned key[PMU_SCHEME_MAX_CHANNELS];
    for (size_t i = 0; i < s->n_lp_channels; i++)
        key[i] = pmu_scheme_source_obis_c(s->lp_channels[i]);
    order(s->n_lp_channels, idx, key);
}

static void flatten(const struct pmu_scheme *s, bool meter_only, struct sb *b)
{
    size_t idx[PMU_SCHEME_MAX_SPECIAL_DAYS];
    unsigned key[PMU_SCHEME_MAX_SPECIAL_DAYS] = {0};
    if (!meter_only) {
        sb_printf(b, "name: %s\n", s->name);
        if (s->description[0] != '\0')
            sb_printf(b, "description: %s\n", s->description);
        sb_printf(b, "models: ");
        for (size_t i = 0; i < s->n_models; i++)
            sb_printf(b, "%s%s", i ? ", " : "", s->models[i]);
        sb_printf(b, "\npassword_level: %u\n", s->password_level);
    }
    sb_printf(b, "scheme_id: %s\n", s->scheme_id);
    if (s->ct[0] != '\0')
        sb_printf(b, "ct: %s\n", s->ct);
    if (s->vt[0] != '\0')
        sb_printf(b, "vt: %s\n", s->vt);
    for (size_t i = 0; i < s->n_rates; i++)
        key[i] = s->rates[i].number;
    order(s->n_rates, idx, key);
    for (size_t i = 0; i < s->n_rates; i++)
        sb_printf(b, "rates.%s: %u\n", s->rates[idx[i]].name, s->rates[idx[i]].number);
    for (size_t i = 0; i < s->n_registers; i++)
        key[i] = s->registers[i].number;
    order(s->n_registers, idx, key);
    for (size_t i = 0; i < s->n_registers; i++) {
        const struct pmu_scheme_register *g = &s->registers[idx[i]];
        sb_printf(b, "registers.%u: rate %s, source %s\n", g->number, g->rate, g->source);
    }
    for (size_t i = 0; i < s->n_day_types; i++) {
        const struct pmu_scheme_day_type *d = &s->day_types[i];
        sb_printf(b, "day_types.%s: ", d->name);
        for (size_t j = 0; j < d->n_switches; j++)
            sb_printf(b, "%s%02u:%02u %s", j ? ", " : "", d->switches[j].hour, d->switches[j].minute,
                      d->switches[j].rate);
        sb_printf(b, "\n");
    }
    for (size_t i = 0; i < s->n_seasons; i++) {
        const struct pmu_scheme_season *se = &s->seasons[i];
        if (!meter_only)
            sb_printf(b, "seasons.%02u-%02u.name: %s\n", se->month, se->day, se->name);
        sb_printf(b, "seasons.%02u-%02u.week: %s, %s, %s, %s, %s, %s, %s\n", se->month, se->day, se->week[0],
                  se->week[1], se->week[2], se->week[3], se->week[4], se->week[5], se->week[6]);
    }
    for (size_t i = 0; i < s->n_special_days; i++) {
        const struct pmu_scheme_special_day *sd = &s->special_days[i];
        key[i] = sd->year * 10000 + sd->month * 100 + sd->day;
    }
    order(s->n_special_days, idx, key);
    for (size_t i = 0; i < s->n_special_days; i++) {
        const struct pmu_scheme_special_day *sd = &s->special_days[idx[i]];
        if (sd->year != 0)
            sb_printf(b, "special_days.%04u-%02u-%02u: %s\n", sd->year, sd->month, sd->day, sd->day_type);
        else
            sb_printf(b, "special_days.%02u-%02u: %s\n", sd->month, sd->day, sd->day_type);
    }
    if (s->has_md) {
        sb_printf(b, "maximum_demand.period: %u\nmaximum_demand.sub_intervals: %u\nmaximum_demand.registers: ",
                  s->md_period, s->md_sub_intervals);
        for (size_t i = 0; i < s->n_md_registers; i++)
            sb_printf(b, "%s%s", i ? ", " : "", s->md_registers[i]);
        sb_printf(b, "\n");
    }
    if (s->has_lp) {
        sb_printf(b, "load_profile.interval: %u\nload_profile.channels: ", s->lp_interval);
        sorted_channels(s, idx);
        for (size_t i = 0; i < s->n_lp_channels; i++)
            sb_printf(b, "%s%s", i ? ", " : "", s->lp_channels[idx[i]]);
        sb_printf(b, "\n");
    }
    if (s->has_display) {
        sb_printf(b, "display: ");
        for (size_t i = 0; i < s->n_display; i++)
            sb_printf(b, "%s%s", i ? ", " : "", s->display[i]);
        sb_printf(b, "\n");
    }
}

enum pmu_status pmu_scheme_flatten(const struct pmu_scheme *s, bool meter_only, char **out, struct pmu_error *err)
{
    struct sb b = {NULL, 0, 0, false};
    flatten(s, meter_only, &b);
    sb_printf(&b, "%s", "");
    if (b.failed) {
        free(b.p);
        *out = NULL;
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory showing a scheme");
    }
    *out = b.p;
    return PMU_OK;
}

/* Finds the line for path in text (lines "path: value"); *value and *len get the value. */
static bool find_path(const char *text, const char *path, size_t path_len, const char **value, size_t *len)
{
    for (const char *l = text; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
        if (n >= path_len + 2 && memcmp(l, path, path_len) == 0 && l[path_len] == ':' && l[path_len + 1] == ' ') {
            *value = l + path_len + 2;
            *len = n - path_len - 2;
            return true;
        }
        l += n + (nl != NULL);
    }
    return false;
}

/* Calls fn for each line of a not matched in b: changed (b has the path) or only in
 * a. swapped reports the pair the other way round. */
static long one_way(const char *a, const char *b, bool swapped, pmu_scheme_diff_fn fn, void *user)
{
    long n = 0;
    for (const char *l = a; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t len = nl != NULL ? (size_t)(nl - l) : strlen(l);
        const char *colon = memchr(l, ':', len);
        while (colon != NULL && (size_t)(colon - l) + 1 < len && colon[1] != ' ')
            colon = memchr(colon + 1, ':', len - (size_t)(colon + 1 - l));
        if (colon != NULL) {
            size_t plen = (size_t)(colon - l);
            const char *va = colon + 2, *vb;
            size_t la = len - plen - 2, lb;
            bool found = find_path(b, l, plen, &vb, &lb);
            if (!found || (!swapped && (la != lb || memcmp(va, vb, la) != 0))) {
                char *path = strndup(l, plen), *x = strndup(va, la), *y = found ? strndup(vb, lb) : NULL;
                if (path == NULL || x == NULL || (found && y == NULL)) {
                    free(path), free(x), free(y);
                    return -1;
                }
                if (swapped)
                    fn(user, path, NULL, x);
                else
                    fn(user, path, x, y);
                n++;
                free(path), free(x), free(y);
            }
        }
        l += len + (nl != NULL);
    }
    return n;
}

long pmu_scheme_diff(const struct pmu_scheme *a, const struct pmu_scheme *b, bool meter_only, pmu_scheme_diff_fn fn,
                     void *user)
{
    char *ta, *tb;
    if (pmu_scheme_flatten(a, meter_only, &ta, NULL) != PMU_OK)
        return -1;
    if (pmu_scheme_flatten(b, meter_only, &tb, NULL) != PMU_OK) {
        free(ta);
        return -1;
    }
    long n1 = one_way(ta, tb, false, fn, user);
    long n2 = n1 < 0 ? -1 : one_way(tb, ta, true, fn, user);
    free(ta);
    free(tb);
    return n2 < 0 ? -1 : n1 + n2;
}

/* ---- canonical YAML ---------------------------------------------------------------- */

static void quoted(struct sb *b, const char *t)
{
    sb_printf(b, "\"");
    for (; *t != '\0'; t++) {
        if (*t == '"' || *t == '\\')
            sb_printf(b, "\\%c", *t);
        else
            sb_printf(b, "%c", *t);
    }
    sb_printf(b, "\"");
}

static void quoted_list(struct sb *b, char (*items)[PMU_SCHEME_TEXT_MAX], size_t n, const size_t *idx)
{
    sb_printf(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_printf(b, ", ");
        quoted(b, items[idx != NULL ? idx[i] : i]);
    }
    sb_printf(b, "]\n");
}

static void emit(const struct pmu_scheme *s, struct sb *b)
{
    size_t idx[PMU_SCHEME_MAX_SPECIAL_DAYS];
    unsigned key[PMU_SCHEME_MAX_SPECIAL_DAYS] = {0};
    sb_printf(b, "# openpmu scheme, canonical form (docs/schemes.md)\nname: ");
    quoted(b, s->name);
    if (s->description[0] != '\0') {
        sb_printf(b, "\ndescription: ");
        quoted(b, s->description);
    }
    sb_printf(b, "\nscheme_id: ");
    quoted(b, s->scheme_id);
    sb_printf(b, "\nmodels: ");
    sb_printf(b, "[");
    for (size_t i = 0; i < s->n_models; i++) {
        if (i)
            sb_printf(b, ", ");
        quoted(b, s->models[i]);
    }
    sb_printf(b, "]\npassword_level: %u\n", s->password_level);
    if (s->ct[0] != '\0') {
        sb_printf(b, "ct: ");
        quoted(b, s->ct);
        sb_printf(b, "\n");
    }
    if (s->vt[0] != '\0') {
        sb_printf(b, "vt: ");
        quoted(b, s->vt);
        sb_printf(b, "\n");
    }
    if (s->n_rates > 0 || s->lines.rates != 0) {
        for (size_t i = 0; i < s->n_rates; i++)
            key[i] = s->rates[i].number;
        order(s->n_rates, idx, key);
        sb_printf(b, "rates:%s\n", s->n_rates ? "" : " {}");
        for (size_t i = 0; i < s->n_rates; i++) {
            sb_printf(b, "  ");
            quoted(b, s->rates[idx[i]].name);
            sb_printf(b, ": %u\n", s->rates[idx[i]].number);
        }
    }
    if (s->n_registers > 0) {
        for (size_t i = 0; i < s->n_registers; i++)
            key[i] = s->registers[i].number;
        order(s->n_registers, idx, key);
        sb_printf(b, "registers:\n");
        for (size_t i = 0; i < s->n_registers; i++) {
            const struct pmu_scheme_register *g = &s->registers[idx[i]];
            sb_printf(b, "  - {register: %u, rate: ", g->number);
            quoted(b, g->rate);
            sb_printf(b, ", source: ");
            quoted(b, g->source);
            sb_printf(b, "}\n");
        }
    }
    if (s->n_day_types > 0) {
        sb_printf(b, "day_types:\n");
        for (size_t i = 0; i < s->n_day_types; i++) {
            const struct pmu_scheme_day_type *d = &s->day_types[i];
            sb_printf(b, "  ");
            quoted(b, d->name);
            sb_printf(b, ": [");
            for (size_t j = 0; j < d->n_switches; j++) {
                char sw[48];
                snprintf(sw, sizeof sw, "%02u:%02u %s", d->switches[j].hour, d->switches[j].minute,
                         d->switches[j].rate);
                sb_printf(b, "%s", j ? ", " : "");
                quoted(b, sw);
            }
            sb_printf(b, "]\n");
        }
    }
    if (s->n_seasons > 0) {
        sb_printf(b, "seasons:\n");
        for (size_t i = 0; i < s->n_seasons; i++) {
            const struct pmu_scheme_season *se = &s->seasons[i];
            sb_printf(b, "  - name: ");
            quoted(b, se->name);
            sb_printf(b, "\n    start: \"%02u-%02u\"\n    week: ", se->month, se->day);
            quoted_list(b, (char (*)[PMU_SCHEME_TEXT_MAX])se->week, 7, NULL);
        }
    }
    if (s->n_special_days > 0) {
        for (size_t i = 0; i < s->n_special_days; i++)
            key[i] = s->special_days[i].year * 10000 + s->special_days[i].month * 100 + s->special_days[i].day;
        order(s->n_special_days, idx, key);
        sb_printf(b, "special_days:\n");
        for (size_t i = 0; i < s->n_special_days; i++) {
            const struct pmu_scheme_special_day *sd = &s->special_days[idx[i]];
            if (sd->year != 0)
                sb_printf(b, "  - {date: \"%04u-%02u-%02u\", day_type: ", sd->year, sd->month, sd->day);
            else
                sb_printf(b, "  - {date: \"%02u-%02u\", day_type: ", sd->month, sd->day);
            quoted(b, sd->day_type);
            sb_printf(b, "}\n");
        }
    }
    if (s->has_md) {
        sb_printf(b, "maximum_demand:\n  period: %u\n  sub_intervals: %u\n  registers: ", s->md_period,
                  s->md_sub_intervals);
        quoted_list(b, (char (*)[PMU_SCHEME_TEXT_MAX])s->md_registers, s->n_md_registers, NULL);
    }
    if (s->has_lp) {
        sb_printf(b, "load_profile:\n  interval: %u\n  channels: ", s->lp_interval);
        sorted_channels(s, idx);
        quoted_list(b, (char (*)[PMU_SCHEME_TEXT_MAX])s->lp_channels, s->n_lp_channels, idx);
    }
    if (s->has_display) {
        sb_printf(b, "display: ");
        quoted_list(b, (char (*)[PMU_SCHEME_TEXT_MAX])s->display, s->n_display, NULL);
    }
}

enum pmu_status pmu_scheme_emit(const struct pmu_scheme *s, FILE *out, struct pmu_error *err)
{
    struct sb b = {NULL, 0, 0, false};
    emit(s, &b);
    if (b.failed) {
        free(b.p);
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory writing a scheme");
    }
    size_t w = fwrite(b.p, 1, b.n, out);
    free(b.p);
    if (w != b.n)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot write the scheme");
    return PMU_OK;
}
