/* Scheme files: parsing with lines, every validation rule, canonical emit round
 * trip, field diff, and compiling to meter writes and back (Elster and generic). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pmu/elster.h"
#include "pmu/scheme.h"

#define MODELS PMU_TEST_DATA_DIR "/../../models/"
#define SCHEMES PMU_TEST_DATA_DIR "/../../schemes/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

struct model {
    struct pmu_elster_model elster;
    struct pmu_scheme_caps caps;
};

static void load_model(const char *file, struct model *m)
{
    size_t len;
    char path[512];
    snprintf(path, sizeof path, MODELS "%s", file);
    char *text = slurp(path, &len);
    struct pmu_error err;
    memset(m, 0, sizeof *m);
    if (strstr(text, "openpmu-generic-model/1") != NULL) {
        assert_int_equal(pmu_scheme_caps_load(text, len, &m->caps, &err), PMU_OK);
    } else {
        if (pmu_elster_model_load(text, len, &m->elster, &err) != PMU_OK)
            fail_msg("%s: %s", file, err.message);
        pmu_scheme_caps_from_elster(&m->elster, &m->caps);
    }
    free(text);
}

static void free_model(struct model *m)
{
    if (m->caps.target == PMU_SCHEME_ELSTER)
        pmu_elster_model_free(&m->elster);
}

/* Problems as "LINE: message\n" lines. */
struct collected {
    char text[8192];
    size_t n;
};

static void collect(void *user, unsigned line, const char *message)
{
    struct collected *c = user;
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof c->text - used, "%u: %s\n", line, message);
    c->n++;
}

static const char base[] =
    "name: t\n"                                                         /* 1 */
    "scheme_id: T1\n"                                                   /* 2 */
    "models: [A1700-16TOU]\n"                                           /* 3 */
    "password_level: 3\n"                                               /* 4 */
    "ct: 200/5\n"                                                       /* 5 */
    "vt: 11000/110\n"                                                   /* 6 */
    "rates:\n"                                                          /* 7 */
    "  peak: 1\n"                                                       /* 8 */
    "  off: 2\n"                                                        /* 9 */
    "registers:\n"                                                      /* 10 */
    "  - {register: 1, rate: peak, source: import}\n"                   /* 11 */
    "  - {register: 2, rate: off, source: import}\n"                    /* 12 */
    "day_types:\n"                                                      /* 13 */
    "  wd: [\"00:00 off\", \"07:00 peak\", \"23:00 off\"]\n"            /* 14 */
    "  we: [\"00:00 off\"]\n"                                           /* 15 */
    "seasons:\n"                                                        /* 16 */
    "  - {name: all, start: 01-01, week: [wd, wd, wd, wd, wd, we, we]}\n" /* 17 */
    "special_days:\n"                                                   /* 18 */
    "  - {date: 12-25, day_type: we}\n"                                 /* 19 */
    "maximum_demand: {period: 30, sub_intervals: 3, registers: [import]}\n" /* 20 */
    "load_profile: {interval: 30, channels: [import, export]}\n"        /* 21 */
    "display: [1.8.0]\n";                                               /* 22 */

/* base with `from` replaced by `to` (from must occur). */
static char *variant(const char *from, const char *to)
{
    const char *at = strstr(base, from);
    if (at == NULL)
        fail_msg("'%s' not in the base scheme", from);
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return out;
}

/* Parses and checks text against model_file; returns the problems. */
static void check_text(const char *text, const char *model_file, struct collected *c)
{
    struct pmu_scheme *s;
    struct pmu_error err;
    memset(c, 0, sizeof *c);
    if (pmu_scheme_parse(text, strlen(text), &s, collect, c, &err) != PMU_OK)
        return;
    struct model m;
    load_model(model_file, &m);
    pmu_scheme_check(s, &m.caps, collect, c);
    free_model(&m);
    pmu_scheme_free(s);
}

static void expect_problem(const char *text, const char *model_file, unsigned line, const char *needle)
{
    struct collected c;
    check_text(text, model_file, &c);
    char want[300];
    snprintf(want, sizeof want, "%u: ", line);
    for (const char *p = c.text; (p = strstr(p, want)) != NULL; p++)
        if ((p == c.text || p[-1] == '\n')) {
            const char *end = strchr(p, '\n');
            char one[512];
            snprintf(one, sizeof one, "%.*s", end != NULL ? (int)(end - p) : (int)strlen(p), p);
            if (strstr(one, needle) != NULL)
                return;
        }
    fail_msg("expected line %u: ...%s...; got:\n%s", line, needle, c.text);
}

static void test_base_is_valid(void **state)
{
    (void)state;
    struct collected c;
    check_text(base, "a1700-16tou.json", &c);
    if (c.n != 0)
        fail_msg("%s", c.text);
}

static void test_examples_valid(void **state)
{
    (void)state;
    static const struct {
        const char *scheme, *model;
    } examples[] = {
        {"a1700-commercial.yaml", "a1700-16tou.json"}, {"a1700-commercial.yaml", "a1700-32tou.json"},
        {"a1700-commercial.yaml", "a1700-32tou-5cdr.json"}, {"a1140-domestic.yaml", "a1140.json"},
        {"a1120-single.yaml", "a1120.json"},          {"generic-iec.yaml", "generic/generic-iec.json"},
    };
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        size_t len;
        char path[512];
        snprintf(path, sizeof path, SCHEMES "%s", examples[i].scheme);
        char *text = slurp(path, &len);
        struct collected c;
        check_text(text, examples[i].model, &c);
        if (c.n != 0)
            fail_msg("%s on %s:\n%s", examples[i].scheme, examples[i].model, c.text);
        free(text);
    }
}

static void test_parse_fields_and_lines(void **state)
{
    (void)state;
    struct pmu_scheme *s;
    struct pmu_error err;
    assert_int_equal(pmu_scheme_parse(base, strlen(base), &s, NULL, NULL, &err), PMU_OK);
    assert_string_equal(s->name, "t");
    assert_string_equal(s->ct, "200/5");
    assert_int_equal(s->n_rates, 2);
    assert_int_equal(s->rates[1].number, 2);
    assert_int_equal(s->rates[1].line, 9);
    assert_int_equal(s->registers[1].line, 12);
    assert_int_equal(s->day_types[0].n_switches, 3);
    assert_int_equal(s->day_types[0].switches[1].hour, 7);
    assert_string_equal(s->day_types[0].switches[1].rate, "peak");
    assert_int_equal(s->day_types[0].switches[1].line, 14);
    assert_string_equal(s->seasons[0].week[5], "we");
    assert_int_equal(s->special_days[0].month, 12);
    assert_int_equal(s->md_period, 30);
    assert_int_equal(s->md_sub_intervals, 3);
    assert_int_equal(s->lp_interval, 30);
    assert_string_equal(s->display[0], "1-0:1.8.0*255");
    assert_int_equal(s->lines.load_profile, 21);
    pmu_scheme_free(s);
}

/* Structural problems found by the parser, each with its line. */
static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to;
        unsigned line;
        const char *needle;
    } cases[] = {
        {"rates:\n", "tarrifs: 1\nrates:\n", 7, "unknown key 'tarrifs'"},
        {"\"07:00 peak\"", "\"7:00 peak\"", 14, "write \"HH:MM rate\""},
        {"\"07:00 peak\"", "\"07:60 peak\"", 14, "write \"HH:MM rate\""},
        {"date: 12-25", "date: 02-30", 19, "write MM-DD (every year) or YYYY-MM-DD"},
        {"date: 12-25", "date: 2027-02-29", 19, "YYYY-MM-DD"},
        {"start: 01-01", "start: 13-01", 17, "write MM-DD"},
        {"  off: 2\n", "  off: 2\n  off: 3\n", 10, "given twice"},
        {"[wd, wd, wd, wd, wd, we, we]", "[wd, wd, wd, wd, wd, we]", 17, "list 7, Monday to Sunday"},
        {"ct: 200/5", "ct: 200:5", 5, "CT ratio '200:5'"},
        {"ct: 200/5", "ct: 200/5.001", 5, "at most 2 decimals"},
        {"display: [1.8.0]", "display: [1.8.0, x.y]", 22, "expected an OBIS code"},
        {"password_level: 3", "password_level: three", 4, "expected a whole number"},
        {"ct: 200/5", "ct: [200, 5]", 5, "CT: expected a single value"},
        {"seasons:\n", "seasons: 5\nx:\n", 16, "seasons: expected a list"},
        {"  - {register: 2, rate: off, source: import}", "  - {register: 2, rate: off, sauce: import}", 12,
         "unknown key 'sauce'"},
        {"  we: [\"00:00 off\"]\n", "  we: [\"00:00 off\"\n", 16, "YAML"},
        /* found by fuzz_scheme: a rate name the emitter could not write back */
        {"\"07:00 peak\"", "\"07:00 \\apeak\"", 14, "rate name contains a control character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = variant(cases[i].from, cases[i].to);
        struct pmu_scheme *s;
        struct pmu_error err;
        struct collected c = {{0}, 0};
        assert_int_equal(pmu_scheme_parse(text, strlen(text), &s, collect, &c, &err), PMU_E_SYNTAX);
        assert_null(s);
        char want[32];
        snprintf(want, sizeof want, "line %u: ", cases[i].line);
        if (strncmp(err.message, want, strlen(want)) != 0 || strstr(c.text, cases[i].needle) == NULL)
            fail_msg("case %zu: expected line %u ...%s...; got '%s' / %s", i, cases[i].line, cases[i].needle,
                     err.message, c.text);
        free(text);
    }
}

/* Every validation rule, against the A1700-16TOU unless the case names a model. */
static void test_validation_rules(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to, *model;
        unsigned line;
        const char *needle;
    } cases[] = {
        /* the scheme itself */
        {"name: t\n", "", NULL, 1, "no name"},
        {"scheme_id: T1\n", "", NULL, 1, "no scheme_id"},
        {"scheme_id: T1", "scheme_id: T(1)", NULL, 2, "without ( ) / !"},
        {"models: [A1700-16TOU]\n", "", NULL, 1, "no models"},
        {"password_level: 3\n", "", NULL, 1, "password_level: give"},
        {"  off: 2\n", "  off: 2\n  spare: 3\n", NULL, 10, "rate 'spare' has no register"},
        {"  off: 2\n", "  off: 1\n", NULL, 9, "has number 1 like rate 'peak'"},
        {"  off: 2\n", "  off: 0\n", NULL, 9, "rate numbers start at 1"},
        {"rate: off, source: import}", "rate: of, source: import}", NULL, 12, "rate 'of' is not defined"},
        {"rate: off, source: import}", "rate: off, source: imports}", NULL, 12, "unknown source 'imports'"},
        {"{register: 2, rate: off", "{register: 1, rate: off", NULL, 12, "register 1 is mapped twice"},
        {"\"07:00 peak\", \"23:00 off\"", "\"07:00 peak\", \"07:00 off\"", NULL, 14, "07:00 overlaps 07:00"},
        {"\"07:00 peak\", \"23:00 off\"", "\"23:00 peak\", \"07:00 off\"", NULL, 14, "07:00 overlaps 23:00"},
        {"we: [\"00:00 off\"]", "we: [\"01:00 off\"]", NULL, 15, "first switch point must be 00:00"},
        {"we: [\"00:00 off\"]", "we: []", NULL, 15, "has no switch points"},
        {"\"07:00 peak\"", "\"07:00 peek\"", NULL, 14, "rate 'peek' is not defined"},
        {"\"07:00 peak\", \"23:00 off\"", "\"07:00 off\", \"23:00 peak\"", NULL, 14, "already in force"},
        {"seasons:\n  - {name: all, start: 01-01, week: [wd, wd, wd, wd, wd, we, we]}\n", "", NULL, 13,
         "day types but no seasons"},
        {"week: [wd, wd, wd, wd, wd, we, we]", "week: [wd, wd, wd, wd, wd, we, sun]", NULL, 17,
         "day type 'sun' is not defined"},
        {"week: [wd, wd, wd, wd, wd, we, we]}\n",
         "week: [wd, wd, wd, wd, wd, we, we]}\n  - {name: b, start: 01-01, week: [we, we, we, we, we, we, we]}\n",
         NULL, 18, "give each its own start"},
        {"week: [wd, wd, wd, wd, wd, we, we]}\n",
         "week: [wd, wd, wd, wd, wd, we, we]}\n  - {name: b, start: 01-01, week: [we, we, we, we, we, we, we]}\n",
         NULL, 18, "starts on 01-01"},
        {"start: 01-01, week: [wd, wd, wd, wd, wd, we, we]}\n",
         "start: 06-01, week: [wd, wd, wd, wd, wd, we, we]}\n  - {name: b, start: 01-01, week: [we, we, we, we, we, "
         "we, we]}\n",
         NULL, 18, "list seasons in date order"},
        {"day_type: we}", "day_type: xmas}", NULL, 19, "day type 'xmas' is not defined"},
        {"  - {date: 12-25, day_type: we}\n", "  - {date: 12-25, day_type: we}\n  - {date: 12-25, day_type: wd}\n",
         NULL, 20, "listed twice"},
        {"sub_intervals: 3", "sub_intervals: 4", NULL, 20, "do not divide"},
        {"period: 30, ", "", NULL, 20, "give the integration period"},
        {"registers: [import]}", "registers: [imprt]}", NULL, 20, "unknown source 'imprt'"},
        {"channels: [import, export]", "channels: [import, import]", NULL, 21, "listed twice"},
        {"channels: [import, export]", "channels: []", NULL, 21, "at least one channel"},
        {"display: [1.8.0]", "display: [1.8.0, 1-0:1.8.0*255]", NULL, 22, "listed twice"},
        /* against the model */
        {"{register: 2, rate: off", "{register: 17, rate: off", NULL, 12, "TOU registers 1..16"},
        {"  off: 2\n", "  off: 20\n", NULL, 9, "has rates 1..16"},
        {"interval: 30", "interval: 7", NULL, 21, "interval 7 minutes: the A1700-16TOU has 1, 2, 3, 4, 5, 6, 10"},
        {"interval: 30", "interval: 15", NULL, 21, "at the maximum-demand integration period (878): make it 30"},
        {"interval: 30", "interval: 15", "generic/generic-iec.json", 21, ""},   /* generic meters: two periods */
        {"models: [A1700-16TOU]", "models: [A1120]", "a1120.json", 21, "has no load profile"},
        {"models: [A1700-16TOU]", "models: [A1120]", "a1120.json", 20, "no writable maximum-demand"},
        {"period: 30", "period: 25", NULL, 20, "period 25 minutes"},
        {"sub_intervals: 3", "sub_intervals: 30", NULL, 20, "takes at most 15"},
        {"registers: [import]}", "registers: [import, export, q1, q2, q3, q4, apparent, cdr1, cdr2]}", NULL, 20,
         "9 maximum-demand registers: the A1700-16TOU has 8"},
        {"channels: [import, export]", "channels: [import, cdr4]", NULL, 21, "channel 'cdr4'"},
        {"scheme_id: T1", "scheme_id: T123456789", "a1140.json", 2, "the A1140 holds 8"},
        {"password_level: 3", "password_level: 5", NULL, 4, "has levels 1..4"},
        {"ct: 200/5", "ct: 200/100", NULL, 5, "secondary up to 99.99"},
        {"vt: 11000/110", "vt: 1000000/110", NULL, 6, "primary up to 999999.99"},
        {"source: import}\n  - {register: 2", "source: ext4}\n  - {register: 2", "generic/generic-iec.json", 11, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = variant(cases[i].from, cases[i].to);
        if (cases[i].needle[0] == '\0') { /* a case that must pass */
            struct collected c;
            check_text(text, cases[i].model, &c);
            if (c.n != 0)
                fail_msg("case %zu should pass:\n%s", i, c.text);
        } else {
            expect_problem(text, cases[i].model != NULL ? cases[i].model : "a1700-16tou.json", cases[i].line,
                           cases[i].needle);
        }
        free(text);
    }
}

/* Rules about counts, with tables grown past the model's size. */
static void test_validation_counts(void **state)
{
    (void)state;
    char text[16384];
    /* 17 day types: the A1700 holds 16 */
    size_t at = (size_t)snprintf(text, sizeof text, "%s", base);
    char *p = strstr(text, "seasons:");
    char tail[4096];
    snprintf(tail, sizeof tail, "%s", p);
    at = (size_t)(p - text);
    for (int k = 0; k < 15; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, "  d%d: [\"00:00 off\"]\n", k);
    snprintf(text + at, sizeof text - at, "%s", tail);
    expect_problem(text, "a1700-16tou.json", 13, "17 day types: the A1700-16TOU holds 16");

    /* 17 switch points in a day */
    at = (size_t)snprintf(text, sizeof text, "%s", base);
    p = strstr(text, "  we: ");
    snprintf(tail, sizeof tail, "%s", p);
    at = (size_t)(p - text);
    at += (size_t)snprintf(text + at, sizeof text - at, "  many: [\"00:00 off\"");
    for (int k = 1; k < 17; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, ", \"%02d:00 %s\"", k, k % 2 ? "peak" : "off");
    at += (size_t)snprintf(text + at, sizeof text - at, "]\n");
    snprintf(text + at, sizeof text - at, "%s", tail);
    expect_problem(text, "a1700-16tou.json", 15, "has 17 switch points: the A1700-16TOU holds 16");

    /* 9 seasons, 9 different weeks, 33 special days, 33 display items */
    at = (size_t)snprintf(text, sizeof text, "%s", base);
    p = strstr(text, "special_days:");
    snprintf(tail, sizeof tail, "%s", p);
    at = (size_t)(p - text);
    for (int k = 2; k <= 9; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, "  - {name: s%d, start: %02d-01, week: [wd, wd, wd, wd, "
                               "%s, %s, we]}\n", k, k, k % 2 ? "wd" : "we", k > 5 ? "wd" : "we");
    snprintf(text + at, sizeof text - at, "%s", tail);
    expect_problem(text, "a1700-16tou.json", 16, "9 seasons: the A1700-16TOU holds 8");

    at = (size_t)snprintf(text, sizeof text, "%s", base);
    p = strstr(text, "maximum_demand:");
    snprintf(tail, sizeof tail, "%s", p);
    at = (size_t)(p - text);
    for (int k = 1; k <= 32; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, "  - {date: 2027-%02d-%02d, day_type: we}\n", k % 12 + 1,
                               k / 12 + 1);
    snprintf(text + at, sizeof text - at, "%s", tail);
    expect_problem(text, "a1700-16tou.json", 18, "33 special days: the A1700-16TOU holds 32");

    at = (size_t)snprintf(text, sizeof text, "%s", base);
    p = strstr(text, "display:");
    at = (size_t)(p - text);
    at += (size_t)snprintf(text + at, sizeof text - at, "display: [1.8.0");
    for (int k = 1; k <= 32; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, ", 1.8.%d", k);
    snprintf(text + at, sizeof text - at, "]\n");
    expect_problem(text, "a1700-16tou.json", 22, "33 display items: the A1700-16TOU shows at most 32");

    /* more TOU registers than the model has: 9 on the A1140 (8) */
    at = (size_t)snprintf(text, sizeof text, "%s", base);
    p = strstr(text, "day_types:");
    snprintf(tail, sizeof tail, "%s", p);
    at = (size_t)(p - text);
    for (int k = 3; k <= 9; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, "  - {register: %d, rate: off, source: export}\n", k);
    snprintf(text + at, sizeof text - at, "%s", tail);
    expect_problem(text, "a1140.json", 10, "9 TOU registers mapped: the A1140 has 8");
}

static char *emit_text(const struct pmu_scheme *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct pmu_error err;
    assert_int_equal(pmu_scheme_emit(s, f, &err), PMU_OK);
    fclose(f);
    return buf;
}

static char *flat(const struct pmu_scheme *s, bool meter_only)
{
    char *t;
    struct pmu_error err;
    assert_int_equal(pmu_scheme_flatten(s, meter_only, &t, &err), PMU_OK);
    return t;
}

/* file -> canonical YAML -> parse: the same fields; and the canonical text is stable. */
static void test_emit_round_trip(void **state)
{
    (void)state;
    static const char *const files[] = {"a1700-commercial.yaml", "a1140-domestic.yaml", "a1120-single.yaml",
                                        "generic-iec.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char path[512];
        snprintf(path, sizeof path, SCHEMES "%s", files[i]);
        char *text = slurp(path, &len);
        struct pmu_scheme *a, *b;
        struct pmu_error err;
        assert_int_equal(pmu_scheme_parse(text, len, &a, NULL, NULL, &err), PMU_OK);
        char *canon = emit_text(a);
        if (pmu_scheme_parse(canon, strlen(canon), &b, NULL, NULL, &err) != PMU_OK)
            fail_msg("%s: canonical form does not parse: %s\n%s", files[i], err.message, canon);
        char *fa = flat(a, false), *fb = flat(b, false);
        assert_string_equal(fa, fb);
        char *canon2 = emit_text(b);
        assert_string_equal(canon, canon2);
        free(fa), free(fb), free(canon), free(canon2), free(text);
        pmu_scheme_free(a);
        pmu_scheme_free(b);
    }
}

struct diffs {
    char text[4096];
};

static void on_diff(void *user, const char *path, const char *old_value, const char *new_value)
{
    struct diffs *d = user;
    size_t used = strlen(d->text);
    snprintf(d->text + used, sizeof d->text - used, "%s: %s -> %s\n", path, old_value ? old_value : "(none)",
             new_value ? new_value : "(none)");
}

static void test_diff_fields(void **state)
{
    (void)state;
    char *t2 = variant("period: 30", "period: 15");
    char *t3 = variant("  - {date: 12-25, day_type: we}\n", "  - {date: 12-26, day_type: we}\n");
    struct pmu_scheme *a, *b, *c;
    struct pmu_error err;
    assert_int_equal(pmu_scheme_parse(base, strlen(base), &a, NULL, NULL, &err), PMU_OK);
    assert_int_equal(pmu_scheme_parse(t2, strlen(t2), &b, NULL, NULL, &err), PMU_OK);
    assert_int_equal(pmu_scheme_parse(t3, strlen(t3), &c, NULL, NULL, &err), PMU_OK);
    struct diffs d = {{0}};
    assert_int_equal(pmu_scheme_diff(a, a, false, on_diff, &d), 0);
    assert_int_equal(pmu_scheme_diff(a, b, false, on_diff, &d), 1);
    assert_string_equal(d.text, "maximum_demand.period: 30 -> 15\n");
    memset(&d, 0, sizeof d);
    assert_int_equal(pmu_scheme_diff(a, c, false, on_diff, &d), 2);
    assert_non_null(strstr(d.text, "special_days.12-25: we -> (none)\n"));
    assert_non_null(strstr(d.text, "special_days.12-26: (none) -> we\n"));
    pmu_scheme_free(a), pmu_scheme_free(b), pmu_scheme_free(c);
    free(t2), free(t3);
}

static struct pmu_scheme_item *find_item(struct pmu_scheme_items *l, unsigned id, unsigned set)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].id == id && l->items[i].set == set)
            return &l->items[i];
    fail_msg("no item %u set %u", id, set);
    return NULL;
}

static void expect_bytes(struct pmu_scheme_items *l, unsigned id, unsigned set, const char *hex)
{
    struct pmu_scheme_item *it = find_item(l, id, set);
    char got[2 * PMU_SCHEME_ITEM_DATA_MAX + 1] = "";
    for (size_t i = 0; i < it->len; i++)
        snprintf(got + 2 * i, 3, "%02X", it->data[i]);
    assert_string_equal(got, hex);
}

/* Compiled bytes of the base scheme on an A1700-16TOU, item by item. */
static void test_compile_elster_bytes(void **state)
{
    (void)state;
    struct model m;
    load_model("a1700-16tou.json", &m);
    struct pmu_scheme *s;
    struct pmu_error err;
    assert_int_equal(pmu_scheme_parse(base, strlen(base), &s, NULL, NULL, &err), PMU_OK);
    struct pmu_scheme_items l;
    const char *hx;
    assert_int_equal(pmu_scheme_compile(s, &m.caps, &l, &err), PMU_OK);
    assert_int_equal(l.target, PMU_SCHEME_ELSTER);
    expect_bytes(&l, 616, 0, "000002000005");            /* CT 200.00 / 5.00, LE BCD hundredths */
    expect_bytes(&l, 614, 0, "00001001001001");          /* VT 11000.00 / 110.00 */
    expect_bytes(&l, 667, 0, "01010000000000000000000000000000"); /* registers 1, 2: import */
    expect_bytes(&l, 935, 0, "01020000000000000000000000000000"); /* register 1 peak, 2 off */
    expect_bytes(&l, 668, 0, "0100000000000000");
    expect_bytes(&l, 878, 0, "1E0A03");                  /* 30 min, 10-min sub-intervals, 3; the profile too */
    expect_bytes(&l, 777, 0, "0003");                    /* import + export */
    expect_bytes(&l, 930, 0, "0101000000000000000000000000000000000000000000000000000000000000");
    expect_bytes(&l, 931, 0,
                 "00000000000101000000000000000000000000000000000000000000"
                 "00000000000000000000000000000000000000000000000000000000");
    expect_bytes(&l, 932, 0, "000002070001170002FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF"
                             "0000FF0000FF0000");
    expect_bytes(&l, 932, 1, "000002FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF"
                             "0000FF0000FF0000");
    expect_bytes(&l, 933, 0, "0C1901FF000000000000000000000000000000000000000000000000000000000000000000000000"
                             "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                             "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                             "0000000000000000");
    assert_true(find_item(&l, 934, 0)->action);
    hx = "0100010800FF";                                 /* display: 1-0:1.8.0*255, then 31 unused */
    char display[2 * 192 + 1];
    snprintf(display, sizeof display, "%s%0372d", hx, 0);
    expect_bytes(&l, 937, 0, display);
    expect_bytes(&l, 795, 0, "54312020202020202020202020202020"); /* "T1" space padded to 16 */
    assert_int_equal(l.items[l.n - 1].id, 795);          /* the scheme id goes last */
    assert_int_equal(l.items[l.n - 2].id, 934);          /* after the activation */
    pmu_scheme_items_free(&l);
    pmu_scheme_free(s);
    free_model(&m);
}

/* The meter's bytes -> scheme: a read-back written by hand decodes to the fields. */
static void test_decode_elster_bytes(void **state)
{
    (void)state;
    struct model m;
    load_model("a1700-16tou.json", &m);
    static const char readback[] = "# read back from a meter\n"
                                   "795001(4D4554455231000000000000000000)00\n";
    struct pmu_scheme_items l;
    struct pmu_error err;
    /* a malformed line is refused with its line */
    assert_int_equal(pmu_scheme_items_parse(readback, strlen(readback), PMU_SCHEME_ELSTER, &l, &err), PMU_E_SYNTAX);
    assert_non_null(strstr(err.message, "line 2"));
    static const char good[] = "795(4D455445523120202020202020202020)  # scheme id\n"
                               "616(000010000005)\n"
                               "878(0F0503)\n"
                               "668(0207000000000000)\n"
                               "777(0121)\n"
                               "932.2(000001FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000FF0000"
                               "FF0000FF0000FF0000)\n";
    assert_int_equal(pmu_scheme_items_parse(good, strlen(good), PMU_SCHEME_ELSTER, &l, &err), PMU_OK);
    struct pmu_scheme *s;
    assert_int_equal(pmu_scheme_decode(&l, &m.caps, NULL, &s, &err), PMU_OK);
    assert_string_equal(s->scheme_id, "METER1");
    assert_string_equal(s->ct, "1000/5");
    assert_true(s->has_md);
    assert_int_equal(s->md_period, 15);
    assert_int_equal(s->md_sub_intervals, 3);
    assert_int_equal(s->n_md_registers, 2);
    assert_string_equal(s->md_registers[0], "export");
    assert_string_equal(s->md_registers[1], "apparent");
    assert_true(s->has_lp);
    assert_int_equal(s->lp_interval, 15);
    assert_int_equal(s->n_lp_channels, 3); /* 0x0121: bits 0, 5 and 0x100 (channel 7) */
    assert_string_equal(s->lp_channels[0], "import");
    assert_string_equal(s->lp_channels[1], "q4");
    assert_string_equal(s->lp_channels[2], "cdr1");
    pmu_scheme_free(s);
    /* a scheme with a profile and no maximum demand: 878 is the profile's period */
    struct pmu_scheme names;
    memset(&names, 0, sizeof names);
    names.has_lp = true;
    assert_int_equal(pmu_scheme_decode(&l, &m.caps, &names, &s, &err), PMU_OK);
    assert_false(s->has_md);
    assert_int_equal(s->lp_interval, 15);
    pmu_scheme_free(s);
    pmu_scheme_items_free(&l);
    free_model(&m);
}

/* scheme -> writes -> (a meter that stored them) -> scheme: equal for every model
 * and example; a changed byte shows up as a field difference. */
static void round_trip_meter(const char *scheme_file, const char *model_file)
{
    size_t len;
    char path[512];
    snprintf(path, sizeof path, SCHEMES "%s", scheme_file);
    char *text = slurp(path, &len);
    struct model m;
    load_model(model_file, &m);
    struct pmu_scheme *s, *back;
    struct pmu_error err;
    assert_int_equal(pmu_scheme_parse(text, len, &s, NULL, NULL, &err), PMU_OK);
    struct pmu_scheme_items l, parsed;
    if (pmu_scheme_compile(s, &m.caps, &l, &err) != PMU_OK)
        fail_msg("%s on %s: %s", scheme_file, model_file, err.message);
    /* through the text form the CLI reads back */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    assert_int_equal(pmu_scheme_items_write(&l, f, &err), PMU_OK);
    fclose(f);
    assert_int_equal(pmu_scheme_items_parse(buf, blen, m.caps.target, &parsed, &err), PMU_OK);
    assert_int_equal(pmu_scheme_decode(&parsed, &m.caps, s, &back, &err), PMU_OK);
    struct diffs d = {{0}};
    if (pmu_scheme_diff(s, back, true, on_diff, &d) != 0)
        fail_msg("%s on %s:\n%s", scheme_file, model_file, d.text);
    /* without names the meter's view still has every field, with made-up names */
    pmu_scheme_free(back);
    assert_int_equal(pmu_scheme_decode(&parsed, &m.caps, NULL, &back, &err), PMU_OK);
    assert_int_equal(back->n_day_types, s->n_day_types);
    assert_int_equal(back->n_registers, s->n_registers);
    pmu_scheme_free(back);
    /* a meter that holds something else: the scheme id differs */
    for (size_t i = 0; i < parsed.n; i++) {
        if (parsed.items[i].id == 795)
            parsed.items[i].data[0] ^= 0x01;
        if (strcmp(parsed.items[i].address, "0.2.1") == 0)
            parsed.items[i].value[0] ^= 0x01;
    }
    assert_int_equal(pmu_scheme_decode(&parsed, &m.caps, s, &back, &err), PMU_OK);
    memset(&d, 0, sizeof d);
    assert_int_equal(pmu_scheme_diff(s, back, true, on_diff, &d), 1);
    assert_non_null(strstr(d.text, "scheme_id: "));
    pmu_scheme_free(back);
    pmu_scheme_items_free(&parsed);
    pmu_scheme_items_free(&l);
    pmu_scheme_free(s);
    free(buf);
    free(text);
    free_model(&m);
}

static void test_meter_round_trip(void **state)
{
    (void)state;
    round_trip_meter("a1700-commercial.yaml", "a1700-16tou.json");
    round_trip_meter("a1700-commercial.yaml", "a1700-32tou.json");
    round_trip_meter("a1700-commercial.yaml", "a1700-32tou-5cdr.json");
    round_trip_meter("a1140-domestic.yaml", "a1140.json");
    round_trip_meter("a1120-single.yaml", "a1120.json");
    round_trip_meter("generic-iec.yaml", "generic/generic-iec.json");
}

/* Generic meters: the documented address set, value by value. */
static void test_compile_generic(void **state)
{
    (void)state;
    struct model m;
    load_model("generic/generic-iec.json", &m);
    char *text = variant("models: [A1700-16TOU]", "models: [GENERIC-IEC]");
    struct pmu_scheme *s;
    struct pmu_error err;
    assert_int_equal(pmu_scheme_parse(text, strlen(text), &s, NULL, NULL, &err), PMU_OK);
    struct pmu_scheme_items l;
    assert_int_equal(pmu_scheme_compile(s, &m.caps, &l, &err), PMU_OK);
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    assert_int_equal(pmu_scheme_items_write(&l, f, &err), PMU_OK);
    fclose(f);
    static const char *const expected[] = {
        "0.4.2(200)",         "0.4.5(5)",           "0.4.3(11000)",          "0.4.6(110)",
        "128.1.0(2)",         "128.1.1(1,1,1)",     "128.1.2(2,2,1)",        "0.8.0(30)",
        "128.8.1(3)",         "128.2.1(1)",         "0.8.4(30)",             "128.3.2(2)",
        "128.4.1(1-0:1.8.0*255)", "128.5.1(01-01,1)", "128.6.1(1,1,1,1,1,2,2)", "128.7.0(2)",
        "128.7.1.0(3)",       "128.7.1.2(07:00,1)", "128.9.1(12-25,2)",      "128.0.1()",
        "0.2.1(T1)",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (strstr(buf, expected[i]) == NULL)
            fail_msg("missing %s in\n%s", expected[i], buf);
    assert_string_equal(l.items[l.n - 1].address, "0.2.1");
    free(buf);
    pmu_scheme_items_free(&l);
    pmu_scheme_free(s);
    free(text);
    free_model(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_is_valid),         cmocka_unit_test(test_examples_valid),
        cmocka_unit_test(test_parse_fields_and_lines), cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_validation_rules),      cmocka_unit_test(test_validation_counts),
        cmocka_unit_test(test_emit_round_trip),       cmocka_unit_test(test_diff_fields),
        cmocka_unit_test(test_compile_elster_bytes),  cmocka_unit_test(test_decode_elster_bytes),
        cmocka_unit_test(test_meter_round_trip),      cmocka_unit_test(test_compile_generic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
