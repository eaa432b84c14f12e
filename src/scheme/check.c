/* Scheme validation: everything a meter would refuse, and the mistakes it would take
 * silently (a rate nothing accumulates, overlapping switch times, a day type never
 * defined). Each problem is reported with its line and how to fix it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct check {
    const struct pmu_scheme *s;
    const struct pmu_scheme_caps *caps;
    pmu_scheme_report_fn report;
    void *user;
    size_t problems;
};

static void PMU_PRINTF(3, 4) bad(struct check *c, unsigned line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->report != NULL)
        c->report(c->user, line, msg);
}

/* ---- the scheme on its own ------------------------------------------------------------ */

static void check_header(struct check *c)
{
    const struct pmu_scheme *s = c->s;
    if (s->name[0] == '\0')
        bad(c, 1, "no name: add `name: NAME`, the name the scheme is stored under");
    if (s->scheme_id[0] == '\0')
        bad(c, 1, "no scheme_id: add `scheme_id: ID`, the id written to the meter");
    for (const char *p = s->scheme_id; *p != '\0'; p++)
        if ((unsigned char)*p > 0x7E || *p == '(' || *p == ')' || *p == '/' || *p == '!') {
            bad(c, s->lines.scheme_id, "scheme_id '%s': use printable ASCII without ( ) / !", s->scheme_id);
            break;
        }
    size_t id_len = strlen(s->scheme_id);
    if (id_len > 0 && (s->scheme_id[0] == ' ' || s->scheme_id[id_len - 1] == ' '))
        bad(c, s->lines.scheme_id, "scheme_id '%s' starts or ends with a space: the meter pads ids with spaces",
            s->scheme_id);
    if (s->n_models == 0)
        bad(c, 1, "no models: add `models: [A1700-16TOU]`, the models the scheme is for");
    if (s->password_level == 0)
        bad(c, s->lines.password_level != 0 ? s->lines.password_level : 1,
            "password_level: give the meter password level programming needs (1..)");
}

static void check_rates(struct check *c)
{
    const struct pmu_scheme *s = c->s;
    for (size_t i = 0; i < s->n_rates; i++) {
        const struct pmu_scheme_rate *r = &s->rates[i];
        if (r->number == 0)
            bad(c, r->line, "rate '%s': rate numbers start at 1", r->name);
        for (size_t j = 0; j < i; j++)
            if (s->rates[j].number == r->number)
                bad(c, r->line, "rate '%s' has number %u like rate '%s': give each rate its own number", r->name,
                    r->number, s->rates[j].name);
        bool used = false;
        for (size_t j = 0; j < s->n_registers; j++)
            used = used || strcmp(s->registers[j].rate, r->name) == 0;
        if (!used)
            bad(c, r->line, "rate '%s' has no register: add a register with `rate: %s`, or remove the rate",
                r->name, r->name);
    }
    for (size_t i = 0; i < s->n_registers; i++) {
        const struct pmu_scheme_register *g = &s->registers[i];
        for (size_t j = 0; j < i; j++)
            if (s->registers[j].number == g->number)
                bad(c, g->line, "register %u is mapped twice: each TOU register takes one rate and source",
                    g->number);
        if (pmu_scheme_rate_by_name(s, g->rate) == NULL)
            bad(c, g->line, "register %u: rate '%s' is not defined under rates", g->number, g->rate);
        if (pmu_scheme_source_obis_c(g->source) == 0)
            bad(c, g->line, "register %u: unknown source '%s' (import, export, q1..q4, apparent, cdr1..5, "
                "ext1..4)", g->number, g->source);
    }
}

static void check_day_types(struct check *c)
{
    const struct pmu_scheme *s = c->s;
    for (size_t i = 0; i < s->n_day_types; i++) {
        const struct pmu_scheme_day_type *d = &s->day_types[i];
        if (d->n_switches == 0) {
            bad(c, d->line, "day type '%s' has no switch points: start it with \"00:00 RATE\"", d->name);
            continue;
        }
        if (d->switches[0].hour != 0 || d->switches[0].minute != 0)
            bad(c, d->switches[0].line, "day type '%s' starts at %02u:%02u: its first switch point must be 00:00",
                d->name, d->switches[0].hour, d->switches[0].minute);
        for (size_t k = 0; k < d->n_switches; k++) {
            const struct pmu_scheme_switch *sw = &d->switches[k];
            if (pmu_scheme_rate_by_name(s, sw->rate) == NULL)
                bad(c, sw->line, "day type '%s' %02u:%02u: rate '%s' is not defined under rates", d->name,
                    sw->hour, sw->minute, sw->rate);
            if (k > 0) {
                const struct pmu_scheme_switch *prev = &d->switches[k - 1];
                unsigned a = prev->hour * 60 + prev->minute, b = sw->hour * 60 + sw->minute;
                if (b <= a)
                    bad(c, sw->line, "day type '%s': switch time %02u:%02u overlaps %02u:%02u: list switch times "
                        "once each, in time order", d->name, sw->hour, sw->minute, prev->hour, prev->minute);
                else if (strcmp(prev->rate, sw->rate) == 0)
                    bad(c, sw->line, "day type '%s': %02u:%02u switches to '%s', already in force: remove it",
                        d->name, sw->hour, sw->minute, sw->rate);
            }
        }
    }
}

static void check_calendar(struct check *c)
{
    const struct pmu_scheme *s = c->s;
    if (s->n_day_types > 0 && s->n_seasons == 0)
        bad(c, s->lines.day_types, "day types but no seasons: add a season that says which day type runs on "
            "which weekday");
    if (s->n_seasons > 0 && s->n_registers == 0)
        bad(c, s->lines.seasons, "TOU tables but no registers: map each rate to a TOU register");
    for (size_t i = 0; i < s->n_seasons; i++) {
        const struct pmu_scheme_season *se = &s->seasons[i];
        for (size_t d = 0; d < 7; d++)
            if (pmu_scheme_day_type_index(s, se->week[d]) < 0)
                bad(c, se->line, "season '%s': day type '%s' is not defined under day_types", se->name,
                    se->week[d]);
        if (i > 0) {
            const struct pmu_scheme_season *prev = &s->seasons[i - 1];
            unsigned a = prev->month * 100 + prev->day, b = se->month * 100 + se->day;
            if (b == a)
                bad(c, se->line, "season '%s' starts on %02u-%02u like season '%s': give each its own start",
                    se->name, se->month, se->day, prev->name);
            else if (b < a)
                bad(c, se->line, "season '%s' (%02u-%02u) is listed after '%s' (%02u-%02u): list seasons in date "
                    "order", se->name, se->month, se->day, prev->name, prev->month, prev->day);
        }
    }
    for (size_t i = 0; i < s->n_special_days; i++) {
        const struct pmu_scheme_special_day *sd = &s->special_days[i];
        if (pmu_scheme_day_type_index(s, sd->day_type) < 0)
            bad(c, sd->line, "special day: day type '%s' is not defined under day_types", sd->day_type);
        for (size_t j = 0; j < i; j++) {
            const struct pmu_scheme_special_day *o = &s->special_days[j];
            if (o->year == sd->year && o->month == sd->month && o->day == sd->day)
                bad(c, sd->line, "special day %02u-%02u is listed twice", sd->month, sd->day);
        }
    }
}

static void check_md_lp_display(struct check *c)
{
    const struct pmu_scheme *s = c->s;
    if (s->has_md) {
        unsigned line = s->lines.maximum_demand;
        if (s->md_period == 0)
            bad(c, line, "maximum_demand: give the integration period in minutes (period: 30)");
        if (s->md_sub_intervals == 0)
            bad(c, s->lines.md_sub_intervals ? s->lines.md_sub_intervals : line,
                "maximum_demand: give sub_intervals, the number of sub-intervals (1 = block demand)");
        else if (s->md_period != 0 && s->md_period % s->md_sub_intervals != 0)
            bad(c, s->lines.md_sub_intervals, "maximum_demand: %u sub-intervals do not divide the %u-minute "
                "period into whole minutes", s->md_sub_intervals, s->md_period);
        for (size_t i = 0; i < s->n_md_registers; i++)
            if (pmu_scheme_source_obis_c(s->md_registers[i]) == 0)
                bad(c, s->md_register_lines[i], "maximum_demand register %zu: unknown source '%s'", i + 1,
                    s->md_registers[i]);
    }
    if (s->has_lp) {
        if (s->lp_interval == 0)
            bad(c, s->lines.load_profile, "load_profile: give the interval in minutes (interval: 30)");
        if (s->n_lp_channels == 0)
            bad(c, s->lines.load_profile, "load_profile: list at least one channel (channels: [import])");
        for (size_t i = 0; i < s->n_lp_channels; i++) {
            if (pmu_scheme_source_obis_c(s->lp_channels[i]) == 0)
                bad(c, s->lp_channel_lines[i], "load_profile channel '%s': unknown source", s->lp_channels[i]);
            for (size_t j = 0; j < i; j++)
                if (strcmp(s->lp_channels[j], s->lp_channels[i]) == 0)
                    bad(c, s->lp_channel_lines[i], "load_profile channel '%s' is listed twice", s->lp_channels[i]);
        }
    }
    for (size_t i = 0; i < s->n_display; i++)
        if (strcmp(s->display[i], "0-0:0.0.0*0") == 0)
            bad(c, s->display_lines[i], "display item 0-0:0.0.0*0 marks an unused entry: remove it");
    for (size_t i = 0; i < s->n_display; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->display[j], s->display[i]) == 0)
                bad(c, s->display_lines[i], "display item %s is listed twice", s->display[i]);
}

/* ---- against a model ------------------------------------------------------------------ */

static bool model_has_source(const struct pmu_scheme_caps *caps, const char *name)
{
    if (caps->elster == NULL)
        return true;
    unsigned c = pmu_scheme_source_obis_c(name);
    for (size_t i = 0; i < caps->elster->n_sources; i++)
        if (caps->elster->sources[i].obis_c == c)
            return true;
    return false;
}

static bool in_list(const unsigned *list, size_t n, unsigned v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

static void list_text(const unsigned *list, size_t n, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at < size; i++) {
        int w = snprintf(buf + at, size - at, "%s%u", i ? ", " : "", list[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

/* The largest number a ratio field of the Elster BCD layout holds, in hundredths. */
static bool ratio_fits(const char *number, unsigned digits)
{
    const char *dot = strchr(number, '.');
    size_t int_digits = dot != NULL ? (size_t)(dot - number) : strlen(number);
    return int_digits + 2 <= digits;
}

static void check_model(struct check *c)
{
    const struct pmu_scheme *s = c->s;
    const struct pmu_scheme_caps *m = c->caps;
    const char *mn = m->model;
    if (s->password_level > m->password_levels)
        bad(c, s->lines.password_level, "password_level %u: the %s has levels 1..%u", s->password_level, mn,
            m->password_levels);
    if (strlen(s->scheme_id) > m->scheme_id_length)
        bad(c, s->lines.scheme_id, "scheme_id '%s' is %zu characters: the %s holds %zu", s->scheme_id,
            strlen(s->scheme_id), mn, m->scheme_id_length);
    if ((s->ct[0] != '\0' || s->vt[0] != '\0') && !m->has_ratios)
        bad(c, s->lines.ct ? s->lines.ct : s->lines.vt, "the %s has no writable CT/VT ratios: remove ct and vt", mn);
    if (m->target == PMU_SCHEME_ELSTER && m->has_ratios) {
        char p[32], q[32];
        const char *which[2] = {s->ct, s->vt};
        const unsigned lines[2] = {s->lines.ct, s->lines.vt}, sec_digits[2] = {4, 6};
        for (int k = 0; k < 2; k++) {
            if (which[k][0] == '\0')
                continue;
            pmu_scheme_ratio_split(which[k], p, q, sizeof p);
            if (!ratio_fits(p, 8) || !ratio_fits(q, sec_digits[k]))
                bad(c, lines[k], "%s ratio %s: the %s holds a primary up to 999999.99 and a secondary up to %s",
                    k == 0 ? "CT" : "VT", which[k], mn, k == 0 ? "99.99" : "9999.99");
        }
    }
    if (s->n_registers > 0 || s->n_day_types > 0) {
        if (!m->has_tou) {
            bad(c, s->lines.registers ? s->lines.registers : s->lines.day_types,
                "the %s has no writable TOU tables: remove rates, registers, day_types, seasons", mn);
        } else {
            if (s->n_registers > m->tou_registers)
                bad(c, s->lines.registers, "%zu TOU registers mapped: the %s has %u", s->n_registers, mn,
                    m->tou_registers);
            for (size_t i = 0; i < s->n_registers; i++) {
                const struct pmu_scheme_register *g = &s->registers[i];
                if (g->number > m->tou_registers)
                    bad(c, g->line, "register %u: the %s has TOU registers 1..%u", g->number, mn, m->tou_registers);
                if (!model_has_source(m, g->source))
                    bad(c, g->line, "register %u: the %s has no source '%s'", g->number, mn, g->source);
            }
            for (size_t i = 0; i < s->n_rates; i++)
                if (s->rates[i].number > m->rates)
                    bad(c, s->rates[i].line, "rate '%s' number %u: the %s has rates 1..%u", s->rates[i].name,
                        s->rates[i].number, mn, m->rates);
            if (s->n_day_types > m->day_types)
                bad(c, s->lines.day_types, "%zu day types: the %s holds %u", s->n_day_types, mn, m->day_types);
            for (size_t i = 0; i < s->n_day_types; i++)
                if (s->day_types[i].n_switches > m->switch_points)
                    bad(c, s->day_types[i].line, "day type '%s' has %zu switch points: the %s holds %u a day",
                        s->day_types[i].name, s->day_types[i].n_switches, mn, m->switch_points);
            if (s->n_seasons > m->seasons)
                bad(c, s->lines.seasons, "%zu seasons: the %s holds %u", s->n_seasons, mn, m->seasons);
            struct pmu_scheme_weeks w;
            pmu_scheme_weeks(s, &w);
            if (w.n > m->week_profiles)
                bad(c, s->lines.seasons, "the seasons use %zu different weeks: the %s holds %u week profiles", w.n,
                    mn, m->week_profiles);
            if (s->n_special_days > m->special_days)
                bad(c, s->lines.special_days, "%zu special days: the %s holds %u", s->n_special_days, mn,
                    m->special_days);
        }
    }
    char allowed[96];
    if (s->has_md) {
        if (!m->has_md) {
            bad(c, s->lines.maximum_demand, "the %s has no writable maximum-demand settings: remove maximum_demand",
                mn);
        } else {
            list_text(m->md_periods, m->n_md_periods, allowed, sizeof allowed);
            if (s->md_period != 0 && !in_list(m->md_periods, m->n_md_periods, s->md_period))
                bad(c, s->lines.md_period, "maximum_demand period %u minutes: the %s has %s", s->md_period, mn,
                    allowed);
            if (s->md_sub_intervals > m->md_sub_intervals_max)
                bad(c, s->lines.md_sub_intervals, "maximum_demand sub_intervals %u: the %s takes at most %u",
                    s->md_sub_intervals, mn, m->md_sub_intervals_max);
            if (s->n_md_registers > m->md_registers)
                bad(c, s->lines.md_registers, "%zu maximum-demand registers: the %s has %u", s->n_md_registers, mn,
                    m->md_registers);
            for (size_t i = 0; i < s->n_md_registers; i++)
                if (!model_has_source(m, s->md_registers[i]))
                    bad(c, s->md_register_lines[i], "maximum_demand register %zu: the %s has no source '%s'", i + 1,
                        mn, s->md_registers[i]);
        }
    }
    if (s->has_lp) {
        if (!m->has_lp) {
            bad(c, s->lines.load_profile, "the %s has no load profile: remove load_profile", mn);
        } else {
            list_text(m->lp_intervals, m->n_lp_intervals, allowed, sizeof allowed);
            if (s->lp_interval != 0 && !in_list(m->lp_intervals, m->n_lp_intervals, s->lp_interval))
                bad(c, s->lines.lp_interval, "load_profile interval %u minutes: the %s has %s", s->lp_interval, mn,
                    allowed);
            if (m->lp_at_md_period && s->has_md && s->lp_interval != 0 && s->lp_interval != s->md_period)
                bad(c, s->lines.lp_interval, "load_profile interval %u minutes: the %s records its load profile at the "
                    "maximum-demand integration period (878): make it %u", s->lp_interval, mn, s->md_period);
            if (s->n_lp_channels > m->lp_channels)
                bad(c, s->lines.lp_channels, "%zu load-profile channels: the %s records %u", s->n_lp_channels, mn,
                    m->lp_channels);
            for (size_t i = 0; i < s->n_lp_channels; i++)
                if (m->target == PMU_SCHEME_ELSTER && pmu_scheme_elster_channel(s->lp_channels[i]) < 0)
                    bad(c, s->lp_channel_lines[i], "load_profile channel '%s': the %s records import, export, "
                        "q1..q4, apparent, cdr1..3, ext1..4", s->lp_channels[i], mn);
        }
    }
    if (s->has_display) {
        if (!m->has_display)
            bad(c, s->lines.display, "the %s has no writable display list: remove display", mn);
        else if (s->n_display > m->display_items)
            bad(c, s->lines.display, "%zu display items: the %s shows at most %u", s->n_display, mn,
                m->display_items);
    }
}

size_t pmu_scheme_check(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                        pmu_scheme_report_fn report, void *user)
{
    struct check c = {s, caps, report, user, 0};
    check_header(&c);
    check_rates(&c);
    check_day_types(&c);
    check_calendar(&c);
    check_md_lp_display(&c);
    if (caps != NULL)
        check_model(&c);
    return c.problems;
}

size_t pmu_scheme_check_model(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                              pmu_scheme_report_fn report, void *user)
{
    struct check c = {s, caps, report, user, 0};
    check_model(&c);
    return c.problems;
}
