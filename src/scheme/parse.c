/* Scheme files: YAML (libyaml's document loader) into struct pmu_scheme. Every field
 * keeps the line it came from, so validation can say `file:line: message`. Scalars
 * are taken as written (no YAML type guessing: "1.8.0" and "07:00" stay text). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal.h"

struct ctx {
    yaml_document_t *doc;
    struct pmu_scheme *s;
    pmu_scheme_report_fn report;
    void *user;
    struct pmu_error *err;
    size_t problems;
};

static unsigned line_of(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

static void PMU_PRINTF(3, 4) problem(struct ctx *c, unsigned line, const char *fmt, ...)
{
    char msg[220];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->problems++ == 0)
        pmu_error_set(c->err, PMU_E_SYNTAX, PMU_NO_OFFSET, "line %u: %s", line, msg);
    if (c->report != NULL)
        c->report(c->user, line, msg);
}

static yaml_node_t *node(struct ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

/* The scalar text of n, or NULL (reported) when n is not a plain one-line value. */
static const char *scalar(struct ctx *c, yaml_node_t *n, const char *what)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        problem(c, n != NULL ? line_of(n) : 0, "%s: expected a single value", what);
        return NULL;
    }
    const char *v = (const char *)n->data.scalar.value;
    if (strlen(v) != n->data.scalar.length) {
        problem(c, line_of(n), "%s: contains a NUL character", what);
        return NULL;
    }
    return v;
}

/* Control characters (C0, DEL, C1 as UTF-8, U+FFFE/FFFF) cannot be written back as
 * YAML text, so no name may hold one. */
static bool has_control(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) ||
            (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)))
            return true;
    return false;
}

static bool copy_text(struct ctx *c, yaml_node_t *n, const char *what, char *dst, size_t size)
{
    const char *v = scalar(c, n, what);
    if (v == NULL)
        return false;
    if (strlen(v) >= size) {
        problem(c, line_of(n), "%s: '%s' is too long (at most %zu characters)", what, v, size - 1);
        return false;
    }
    if (has_control(v)) {
        problem(c, line_of(n), "%s: contains a control character", what);
        return false;
    }
    strcpy(dst, v);
    return true;
}

static bool number(struct ctx *c, yaml_node_t *n, const char *what, unsigned max, unsigned *out)
{
    const char *v = scalar(c, n, what);
    if (v == NULL)
        return false;
    if (!pmu_scheme_parse_uint(v, strlen(v), max, out)) {
        problem(c, line_of(n), "%s: expected a whole number from 0 to %u, got '%s'", what, max, v);
        return false;
    }
    return true;
}

static bool expect(struct ctx *c, yaml_node_t *n, yaml_node_type_t type, const char *what)
{
    if (n != NULL && n->type == type)
        return true;
    const char *kind = type == YAML_MAPPING_NODE ? "a mapping (key: value lines)" : "a list";
    problem(c, n != NULL ? line_of(n) : 0, "%s: expected %s", what, kind);
    return false;
}

typedef void (*pair_fn)(struct ctx *c, const char *key, yaml_node_t *key_node, yaml_node_t *value,
                        void *arg);

/* Calls fn for each key of mapping n; refuses duplicate keys. */
static void each_pair(struct ctx *c, yaml_node_t *n, const char *what, pair_fn fn, void *arg)
{
    if (!expect(c, n, YAML_MAPPING_NODE, what))
        return;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        const char *key = scalar(c, k, what);
        if (key == NULL || v == NULL)
            continue;
        bool dup = false;
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = node(c, q->key);
            if (k2 != NULL && k2->type == YAML_SCALAR_NODE && strcmp((const char *)k2->data.scalar.value, key) == 0)
                dup = true;
        }
        if (dup) {
            problem(c, line_of(k), "%s: '%s' is given twice; keep one", what, key);
            continue;
        }
        fn(c, key, k, v, arg);
    }
}

static void unknown_key(struct ctx *c, yaml_node_t *k, const char *what, const char *key, const char *known)
{
    problem(c, line_of(k), "%s: unknown key '%s' (expected one of: %s)", what, key, known);
}

/* ---- sections ---------------------------------------------------------------------- */

static void rate_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    (void)arg;
    (void)key;
    struct pmu_scheme *s = c->s;
    if (s->n_rates == PMU_SCHEME_MAX_RATES) {
        problem(c, line_of(k), "rates: more than %d rates", PMU_SCHEME_MAX_RATES);
        return;
    }
    struct pmu_scheme_rate *r = &s->rates[s->n_rates];
    if (!copy_text(c, k, "rate name", r->name, sizeof r->name) ||
        !number(c, v, "rate number", 255, &r->number))
        return;
    r->line = line_of(k);
    s->n_rates++;
}

static void register_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct pmu_scheme_register *r = arg;
    if (strcmp(key, "register") == 0)
        number(c, v, "register", 255, &r->number);
    else if (strcmp(key, "rate") == 0)
        copy_text(c, v, "register rate", r->rate, sizeof r->rate);
    else if (strcmp(key, "source") == 0)
        copy_text(c, v, "register source", r->source, sizeof r->source);
    else
        unknown_key(c, k, "registers", key, "register, rate, source");
}

static void parse_registers(struct ctx *c, yaml_node_t *n)
{
    if (!expect(c, n, YAML_SEQUENCE_NODE, "registers"))
        return;
    struct pmu_scheme *s = c->s;
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = node(c, *i);
        if (s->n_registers == PMU_SCHEME_MAX_REGISTERS) {
            problem(c, line_of(e), "registers: more than %d registers", PMU_SCHEME_MAX_REGISTERS);
            return;
        }
        struct pmu_scheme_register *r = &s->registers[s->n_registers];
        memset(r, 0, sizeof *r);
        r->line = line_of(e);
        size_t before = c->problems;
        each_pair(c, e, "registers", register_pair, r);
        if (c->problems != before)
            continue;
        if (r->number == 0 || r->rate[0] == '\0' || r->source[0] == '\0') {
            problem(c, r->line, "registers: each entry needs register (1..), rate and source");
            continue;
        }
        s->n_registers++;
    }
}

/* "HH:MM rate" */
static void parse_switch(struct ctx *c, yaml_node_t *n, struct pmu_scheme_day_type *d)
{
    const char *v = scalar(c, n, "switch point");
    if (v == NULL)
        return;
    if (d->n_switches == PMU_SCHEME_MAX_SWITCHES) {
        problem(c, line_of(n), "day type '%s': more than %d switch points", d->name, PMU_SCHEME_MAX_SWITCHES);
        return;
    }
    struct pmu_scheme_switch *sw = &d->switches[d->n_switches];
    const char *sp = strchr(v, ' ');
    if (sp == NULL || !pmu_scheme_parse_time(v, (size_t)(sp - v), &sw->hour, &sw->minute)) {
        problem(c, line_of(n), "day type '%s': switch point '%s': write \"HH:MM rate\", e.g. \"07:00 peak\"",
                d->name, v);
        return;
    }
    while (*sp == ' ')
        sp++;
    if (*sp == '\0' || strlen(sp) >= sizeof sw->rate) {
        problem(c, line_of(n), "day type '%s': switch point '%s': name a rate after the time", d->name, v);
        return;
    }
    if (has_control(sp)) {
        problem(c, line_of(n), "day type '%s': switch point: the rate name contains a control character",
                d->name);
        return;
    }
    strcpy(sw->rate, sp);
    sw->line = line_of(n);
    d->n_switches++;
}

static void day_type_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    (void)arg;
    (void)key;
    struct pmu_scheme *s = c->s;
    if (s->n_day_types == PMU_SCHEME_MAX_DAY_TYPES) {
        problem(c, line_of(k), "day_types: more than %d day types", PMU_SCHEME_MAX_DAY_TYPES);
        return;
    }
    struct pmu_scheme_day_type *d = &s->day_types[s->n_day_types];
    memset(d, 0, sizeof *d);
    if (!copy_text(c, k, "day type name", d->name, sizeof d->name))
        return;
    d->line = line_of(k);
    if (!expect(c, v, YAML_SEQUENCE_NODE, "day type switch points"))
        return;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
        parse_switch(c, node(c, *i), d);
    s->n_day_types++;
}

static void parse_week(struct ctx *c, yaml_node_t *n, struct pmu_scheme_season *se)
{
    if (!expect(c, n, YAML_SEQUENCE_NODE, "season week"))
        return;
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count != 7) {
        problem(c, line_of(n), "season '%s': week lists %zu day types; list 7, Monday to Sunday", se->name,
                count);
        return;
    }
    for (size_t d = 0; d < 7; d++)
        copy_text(c, node(c, n->data.sequence.items.start[d]), "season week day", se->week[d],
                  sizeof se->week[d]);
}

static void season_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct pmu_scheme_season *se = arg;
    if (strcmp(key, "name") == 0) {
        copy_text(c, v, "season name", se->name, sizeof se->name);
    } else if (strcmp(key, "start") == 0) {
        const char *t = scalar(c, v, "season start");
        unsigned y;
        if (t != NULL && (!pmu_scheme_parse_date(t, strlen(t), &y, &se->month, &se->day) || y != 0))
            problem(c, line_of(v), "season start '%s': write MM-DD, e.g. 04-01", t);
    } else if (strcmp(key, "week") == 0) {
        parse_week(c, v, se);
    } else {
        unknown_key(c, k, "seasons", key, "name, start, week");
    }
}

static void parse_seasons(struct ctx *c, yaml_node_t *n)
{
    if (!expect(c, n, YAML_SEQUENCE_NODE, "seasons"))
        return;
    struct pmu_scheme *s = c->s;
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = node(c, *i);
        if (s->n_seasons == PMU_SCHEME_MAX_SEASONS) {
            problem(c, line_of(e), "seasons: more than %d seasons", PMU_SCHEME_MAX_SEASONS);
            return;
        }
        struct pmu_scheme_season *se = &s->seasons[s->n_seasons];
        memset(se, 0, sizeof *se);
        se->line = line_of(e);
        size_t before = c->problems;
        each_pair(c, e, "seasons", season_pair, se);
        if (c->problems != before)
            continue;
        if (se->name[0] == '\0' || se->month == 0 || se->week[0][0] == '\0') {
            problem(c, se->line, "seasons: each season needs name, start (MM-DD) and week (7 day types)");
            continue;
        }
        s->n_seasons++;
    }
}

static void special_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    struct pmu_scheme_special_day *sd = arg;
    if (strcmp(key, "date") == 0) {
        const char *t = scalar(c, v, "special day date");
        if (t != NULL && !pmu_scheme_parse_date(t, strlen(t), &sd->year, &sd->month, &sd->day))
            problem(c, line_of(v), "special day date '%s': write MM-DD (every year) or YYYY-MM-DD", t);
    } else if (strcmp(key, "day_type") == 0) {
        copy_text(c, v, "special day day_type", sd->day_type, sizeof sd->day_type);
    } else {
        unknown_key(c, k, "special_days", key, "date, day_type");
    }
}

static void parse_special_days(struct ctx *c, yaml_node_t *n)
{
    if (!expect(c, n, YAML_SEQUENCE_NODE, "special_days"))
        return;
    struct pmu_scheme *s = c->s;
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = node(c, *i);
        if (s->n_special_days == PMU_SCHEME_MAX_SPECIAL_DAYS) {
            problem(c, line_of(e), "special_days: more than %d days", PMU_SCHEME_MAX_SPECIAL_DAYS);
            return;
        }
        struct pmu_scheme_special_day *sd = &s->special_days[s->n_special_days];
        memset(sd, 0, sizeof *sd);
        sd->line = line_of(e);
        size_t before = c->problems;
        each_pair(c, e, "special_days", special_pair, sd);
        if (c->problems != before)
            continue;
        if (sd->month == 0 || sd->day_type[0] == '\0') {
            problem(c, sd->line, "special_days: each entry needs date and day_type");
            continue;
        }
        s->n_special_days++;
    }
}

/* A list of short names (sources, OBIS codes) into a fixed array. */
static void name_list(struct ctx *c, yaml_node_t *n, const char *what, size_t max, char (*dst)[PMU_SCHEME_TEXT_MAX],
                      unsigned *lines, size_t *count)
{
    if (!expect(c, n, YAML_SEQUENCE_NODE, what))
        return;
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = node(c, *i);
        if (*count == max) {
            problem(c, line_of(e), "%s: more than %zu entries", what, max);
            return;
        }
        if (copy_text(c, e, what, dst[*count], PMU_SCHEME_TEXT_MAX))
            lines[(*count)++] = line_of(e);
    }
}

static void md_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    (void)arg;
    struct pmu_scheme *s = c->s;
    if (strcmp(key, "period") == 0) {
        s->lines.md_period = line_of(v);
        number(c, v, "maximum_demand period", 255, &s->md_period);
    } else if (strcmp(key, "sub_intervals") == 0) {
        s->lines.md_sub_intervals = line_of(v);
        number(c, v, "maximum_demand sub_intervals", 255, &s->md_sub_intervals);
    } else if (strcmp(key, "registers") == 0) {
        s->lines.md_registers = line_of(v);
        name_list(c, v, "maximum_demand registers", PMU_SCHEME_MAX_MD, s->md_registers, s->md_register_lines,
                  &s->n_md_registers);
    } else {
        unknown_key(c, k, "maximum_demand", key, "period, sub_intervals, registers");
    }
}

static void lp_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    (void)arg;
    struct pmu_scheme *s = c->s;
    if (strcmp(key, "interval") == 0) {
        s->lines.lp_interval = line_of(v);
        number(c, v, "load_profile interval", 255, &s->lp_interval);
    } else if (strcmp(key, "channels") == 0) {
        s->lines.lp_channels = line_of(v);
        name_list(c, v, "load_profile channels", PMU_SCHEME_MAX_CHANNELS, s->lp_channels, s->lp_channel_lines,
                  &s->n_lp_channels);
    } else {
        unknown_key(c, k, "load_profile", key, "interval, channels");
    }
}

static void ratio(struct ctx *c, yaml_node_t *v, const char *what, char *dst, size_t size)
{
    const char *t = scalar(c, v, what);
    if (t != NULL && !pmu_scheme_ratio_canon(t, dst, size))
        problem(c, line_of(v), "%s ratio '%s': write primary/secondary (200/5) or one number (40), "
                "at most 2 decimals", what, t);
}

static void top_pair(struct ctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
    (void)arg;
    struct pmu_scheme *s = c->s;
    struct pmu_scheme_lines *l = &s->lines;
    unsigned ln = line_of(k);
    if (strcmp(key, "name") == 0) {
        l->name = ln;
        copy_text(c, v, "name", s->name, sizeof s->name);
    } else if (strcmp(key, "description") == 0) {
        copy_text(c, v, "description", s->description, sizeof s->description);
    } else if (strcmp(key, "scheme_id") == 0) {
        l->scheme_id = ln;
        copy_text(c, v, "scheme_id", s->scheme_id, sizeof s->scheme_id);
    } else if (strcmp(key, "models") == 0) {
        l->models = ln;
        if (v->type == YAML_SCALAR_NODE) {
            if (copy_text(c, v, "models", s->models[0], sizeof s->models[0]))
                s->n_models = 1;
        } else if (expect(c, v, YAML_SEQUENCE_NODE, "models")) {
            for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
                if (s->n_models == PMU_SCHEME_MAX_MODELS) {
                    problem(c, ln, "models: more than %d models", PMU_SCHEME_MAX_MODELS);
                    break;
                }
                if (copy_text(c, node(c, *i), "models", s->models[s->n_models], sizeof s->models[0]))
                    s->n_models++;
            }
        }
    } else if (strcmp(key, "password_level") == 0) {
        l->password_level = ln;
        number(c, v, "password_level", 99, &s->password_level);
    } else if (strcmp(key, "ct") == 0) {
        l->ct = ln;
        ratio(c, v, "CT", s->ct, sizeof s->ct);
    } else if (strcmp(key, "vt") == 0) {
        l->vt = ln;
        ratio(c, v, "VT", s->vt, sizeof s->vt);
    } else if (strcmp(key, "rates") == 0) {
        l->rates = ln;
        each_pair(c, v, "rates", rate_pair, NULL);
    } else if (strcmp(key, "registers") == 0) {
        l->registers = ln;
        parse_registers(c, v);
    } else if (strcmp(key, "day_types") == 0) {
        l->day_types = ln;
        each_pair(c, v, "day_types", day_type_pair, NULL);
    } else if (strcmp(key, "seasons") == 0) {
        l->seasons = ln;
        parse_seasons(c, v);
    } else if (strcmp(key, "special_days") == 0) {
        l->special_days = ln;
        parse_special_days(c, v);
    } else if (strcmp(key, "maximum_demand") == 0) {
        l->maximum_demand = ln;
        s->has_md = true;
        each_pair(c, v, "maximum_demand", md_pair, NULL);
    } else if (strcmp(key, "load_profile") == 0) {
        l->load_profile = ln;
        s->has_lp = true;
        each_pair(c, v, "load_profile", lp_pair, NULL);
    } else if (strcmp(key, "display") == 0) {
        l->display = ln;
        s->has_display = true;
        name_list(c, v, "display", PMU_SCHEME_MAX_DISPLAY, s->display, s->display_lines, &s->n_display);
        for (size_t i = 0; i < s->n_display; i++)
            if (!pmu_scheme_obis_canon(s->display[i], s->display[i], sizeof s->display[i]))
                problem(c, s->display_lines[i], "display item '%s': expected an OBIS code such as 1.8.0 or "
                        "1-0:1.8.0*255", s->display[i]);
    } else {
        unknown_key(c, k, "scheme", key,
                    "name, description, scheme_id, models, password_level, ct, vt, rates, registers, "
                    "day_types, seasons, special_days, maximum_demand, load_profile, display");
    }
}

enum pmu_status pmu_scheme_parse(const char *text, size_t len, struct pmu_scheme **out,
                                 pmu_scheme_report_fn report, void *user, struct pmu_error *err)
{
    *out = NULL;
    struct pmu_scheme *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory for a scheme");
    struct ctx c = {NULL, s, report, user, err, 0};
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        free(s);
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory for the YAML parser");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        unsigned line = (unsigned)parser.problem_mark.line + 1;
        const char *what = parser.problem != NULL ? parser.problem : "malformed";
        bool tab = parser.problem_mark.index < len && text[parser.problem_mark.index] == '\t';
        problem(&c, line, "YAML: %s%s%s%s", what, parser.context != NULL ? " " : "",
                parser.context != NULL ? parser.context : "", tab ? " (indent with spaces, not tabs)" : "");
        yaml_parser_delete(&parser);
        free(s);
        return PMU_E_SYNTAX;
    }
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL)
        problem(&c, 1, "the file is empty: a scheme needs at least name and models");
    else
        each_pair(&c, root, "scheme", top_pair, NULL);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (c.problems > 0) {
        free(s);
        return PMU_E_SYNTAX;
    }
    *out = s;
    return PMU_OK;
}

void pmu_scheme_free(struct pmu_scheme *s)
{
    free(s);
}
