/* Small pieces every part of the scheme module shares: numbers, times, dates and
 * ratios as scheme files write them, source names, lookups and the item list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "internal.h"
#include "pmu/obis.h"

bool pmu_scheme_parse_uint(const char *t, size_t n, unsigned max, unsigned *out)
{
    if (n == 0 || n > 9)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return false;
        v = v * 10 + (unsigned)(t[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

bool pmu_scheme_parse_time(const char *t, size_t n, unsigned *hour, unsigned *minute)
{
    return n == 5 && t[2] == ':' && pmu_scheme_parse_uint(t, 2, 23, hour) &&
           pmu_scheme_parse_uint(t + 3, 2, 59, minute);
}

static unsigned days_in_month(unsigned year, unsigned month)
{
    static const unsigned days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year != 0 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 28;
    return days[month - 1];
}

bool pmu_scheme_parse_date(const char *t, size_t n, unsigned *year, unsigned *month, unsigned *day)
{
    unsigned y = 0;
    if (n == 10) {
        if (t[4] != '-' || !pmu_scheme_parse_uint(t, 4, 9999, &y) || y < 2000 || y > 2254)
            return false;
        t += 5;
        n -= 5;
    }
    unsigned m, d;
    if (n != 5 || t[2] != '-' || !pmu_scheme_parse_uint(t, 2, 12, &m) || m == 0 ||
        !pmu_scheme_parse_uint(t + 3, 2, 31, &d) || d == 0 || d > days_in_month(y, m))
        return false;
    *year = y;
    *month = m;
    *day = d;
    return true;
}

/* "0012.50" -> "12.5"; false when not a number with at most 2 decimals. */
static bool decimal_canon(const char *t, size_t n, char *out, size_t size)
{
    size_t i = 0, int_start, int_len, frac_len = 0;
    while (i < n && t[i] >= '0' && t[i] <= '9')
        i++;
    int_len = i;
    int_start = 0;
    const char *frac = NULL;
    if (i < n && t[i] == '.') {
        frac = t + i + 1;
        for (i++; i < n && t[i] >= '0' && t[i] <= '9'; i++)
            frac_len++;
        if (frac_len == 0)
            return false;
    }
    if (i != n || int_len == 0 || frac_len > 2)
        return false;
    while (int_len > 1 && t[int_start] == '0') {
        int_start++;
        int_len--;
    }
    while (frac_len > 0 && frac[frac_len - 1] == '0')
        frac_len--;
    int w = frac_len > 0 ? snprintf(out, size, "%.*s.%.*s", (int)int_len, t + int_start, (int)frac_len, frac)
                         : snprintf(out, size, "%.*s", (int)int_len, t + int_start);
    return w > 0 && (size_t)w < size && strcmp(out, "0") != 0;
}

bool pmu_scheme_ratio_canon(const char *t, char *out, size_t size)
{
    char p[24], q[24];
    const char *slash = strchr(t, '/');
    size_t n = strlen(t);
    if (slash == NULL) {
        if (!decimal_canon(t, n, p, sizeof p))
            return false;
        strcpy(q, "1");
    } else if (!decimal_canon(t, (size_t)(slash - t), p, sizeof p) ||
               !decimal_canon(slash + 1, strlen(slash + 1), q, sizeof q)) {
        return false;
    }
    int w = snprintf(out, size, "%s/%s", p, q);
    return w > 0 && (size_t)w < size;
}

void pmu_scheme_ratio_split(const char *ratio, char *primary, char *secondary, size_t size)
{
    const char *slash = strchr(ratio, '/');
    size_t n = slash != NULL ? (size_t)(slash - ratio) : strlen(ratio);
    snprintf(primary, size, "%.*s", (int)n, ratio);
    snprintf(secondary, size, "%s", slash != NULL ? slash + 1 : "1");
}

bool pmu_scheme_obis_canon(const char *t, char *out, size_t size)
{
    struct pmu_obis o;
    char buf[PMU_SCHEME_TEXT_MAX];
    if (pmu_obis_parse(t, strlen(t), &o, NULL) != PMU_OK)
        return false;
    o.letters = 0;
    o.hist_sep = '*';
    int w = pmu_obis_format_full(&o, buf, sizeof buf);
    if (w <= 0 || (size_t)w >= size)
        return false;
    memcpy(out, buf, (size_t)w + 1);
    return true;
}

/* ---- sources ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    unsigned c;
} source_names[] = {
    {"import", 1}, {"export", 2}, {"q1", 5},       {"q2", 6},       {"q3", 7},       {"q4", 8},
    {"apparent", 9}, {"cdr1", 128}, {"cdr2", 129}, {"cdr3", 130}, {"ext1", 131}, {"ext2", 132},
    {"ext3", 133}, {"ext4", 134},   {"cdr4", 135}, {"cdr5", 136},
};

unsigned pmu_scheme_source_obis_c(const char *name)
{
    for (size_t i = 0; i < sizeof source_names / sizeof source_names[0]; i++)
        if (strcmp(source_names[i].name, name) == 0)
            return source_names[i].c;
    return 0;
}

const char *pmu_scheme_source_name(unsigned obis_c)
{
    for (size_t i = 0; i < sizeof source_names / sizeof source_names[0]; i++)
        if (source_names[i].c == obis_c)
            return source_names[i].name;
    return NULL;
}

/* ---- lookups and names --------------------------------------------------------------- */

const struct pmu_scheme_rate *pmu_scheme_rate_by_name(const struct pmu_scheme *s, const char *name)
{
    for (size_t i = 0; i < s->n_rates; i++)
        if (strcmp(s->rates[i].name, name) == 0)
            return &s->rates[i];
    return NULL;
}

int pmu_scheme_day_type_index(const struct pmu_scheme *s, const char *name)
{
    for (size_t i = 0; i < s->n_day_types; i++)
        if (strcmp(s->day_types[i].name, name) == 0)
            return (int)i;
    return -1;
}

void pmu_scheme_name_rate(const struct pmu_scheme *names, unsigned number, char *out, size_t size)
{
    if (names != NULL)
        for (size_t i = 0; i < names->n_rates; i++)
            if (names->rates[i].number == number) {
                snprintf(out, size, "%s", names->rates[i].name);
                return;
            }
    snprintf(out, size, "rate-%u", number);
}

void pmu_scheme_name_day_type(const struct pmu_scheme *names, size_t index, char *out, size_t size)
{
    if (names != NULL && index < names->n_day_types)
        snprintf(out, size, "%s", names->day_types[index].name);
    else
        snprintf(out, size, "day-type-%zu", index + 1);
}

void pmu_scheme_name_season(const struct pmu_scheme *names, unsigned month, unsigned day, size_t index,
                            char *out, size_t size)
{
    if (names != NULL)
        for (size_t i = 0; i < names->n_seasons; i++)
            if (names->seasons[i].month == month && names->seasons[i].day == day) {
                snprintf(out, size, "%s", names->seasons[i].name);
                return;
            }
    snprintf(out, size, "season-%zu", index + 1);
}

void pmu_scheme_rates_from_numbers(struct pmu_scheme *s, const struct pmu_scheme *names, const unsigned *numbers,
                                   size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (numbers[i] == 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < s->n_rates; j++)
            seen = seen || s->rates[j].number == numbers[i];
        if (seen || s->n_rates == PMU_SCHEME_MAX_RATES)
            continue;
        struct pmu_scheme_rate *r = &s->rates[s->n_rates++];
        r->number = numbers[i];
        pmu_scheme_name_rate(names, numbers[i], r->name, sizeof r->name);
    }
}

void pmu_scheme_weeks(const struct pmu_scheme *s, struct pmu_scheme_weeks *w)
{
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < s->n_seasons; i++) {
        int week[7];
        for (size_t d = 0; d < 7; d++)
            week[d] = pmu_scheme_day_type_index(s, s->seasons[i].week[d]);
        size_t k = 0;
        while (k < w->n && memcmp(w->day_type[k], week, sizeof week) != 0)
            k++;
        if (k == w->n)
            memcpy(w->day_type[w->n++], week, sizeof week);
        w->week_of[i] = k;
    }
}

/* ---- items ------------------------------------------------------------------------------ */

struct pmu_scheme_item *pmu_scheme_items_add(struct pmu_scheme_items *l, const char *what)
{
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return NULL;
    struct pmu_scheme_item *it = &l->items[l->n++];
    memset(it, 0, sizeof *it);
    it->what = what;
    return it;
}

void pmu_scheme_items_free(struct pmu_scheme_items *l)
{
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}
