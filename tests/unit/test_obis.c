/* Unit tests for the OBIS module: every form PROTOCOL.md section 2 mentions must
 * round-trip, every rejection must say where and why, names must be exact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/obis.h"

static struct pmu_obis parse_ok(const char *text)
{
    struct pmu_obis o;
    struct pmu_error err;
    pmu_error_clear(&err);
    enum pmu_status rc = pmu_obis_parse(text, strlen(text), &o, &err);
    if (rc != PMU_OK)
        fail_msg("%s: %s", text, err.message);
    return o;
}

/* text, the six values after parsing, its short form and its full form. */
struct form {
    const char *text;
    uint8_t a, b, c, d, e, f;
    const char *shrt, *full;
};

static const struct form forms[] = {
    /* energy registers, totals and tariffs */
    {"1.8.0", 1, 0, 1, 8, 0, 255, "1.8.0", "1-0:1.8.0*255"},
    {"1.8.1", 1, 0, 1, 8, 1, 255, "1.8.1", "1-0:1.8.1*255"},
    {"1.8.2", 1, 0, 1, 8, 2, 255, "1.8.2", "1-0:1.8.2*255"},
    {"1.8.3", 1, 0, 1, 8, 3, 255, "1.8.3", "1-0:1.8.3*255"},
    {"1.8.4", 1, 0, 1, 8, 4, 255, "1.8.4", "1-0:1.8.4*255"},
    {"2.8.0", 1, 0, 2, 8, 0, 255, "2.8.0", "1-0:2.8.0*255"},
    {"2.8.1", 1, 0, 2, 8, 1, 255, "2.8.1", "1-0:2.8.1*255"},
    {"2.8.4", 1, 0, 2, 8, 4, 255, "2.8.4", "1-0:2.8.4*255"},
    {"3.8.0", 1, 0, 3, 8, 0, 255, "3.8.0", "1-0:3.8.0*255"},
    {"3.8.1", 1, 0, 3, 8, 1, 255, "3.8.1", "1-0:3.8.1*255"},
    {"4.8.0", 1, 0, 4, 8, 0, 255, "4.8.0", "1-0:4.8.0*255"},
    {"4.8.2", 1, 0, 4, 8, 2, 255, "4.8.2", "1-0:4.8.2*255"},
    {"5.8.0", 1, 0, 5, 8, 0, 255, "5.8.0", "1-0:5.8.0*255"},
    {"6.8.0", 1, 0, 6, 8, 0, 255, "6.8.0", "1-0:6.8.0*255"},
    {"7.8.0", 1, 0, 7, 8, 0, 255, "7.8.0", "1-0:7.8.0*255"},
    {"8.8.0", 1, 0, 8, 8, 0, 255, "8.8.0", "1-0:8.8.0*255"},
    {"5.8", 1, 0, 5, 8, 0, 255, "5.8", "1-0:5.8.0*255"},
    {"8.8", 1, 0, 8, 8, 0, 255, "8.8", "1-0:8.8.0*255"},
    {"9.8", 1, 0, 9, 8, 0, 255, "9.8", "1-0:9.8.0*255"},
    {"10.8", 1, 0, 10, 8, 0, 255, "10.8", "1-0:10.8.0*255"},
    {"9.8.0", 1, 0, 9, 8, 0, 255, "9.8.0", "1-0:9.8.0*255"},
    {"10.8.1", 1, 0, 10, 8, 1, 255, "10.8.1", "1-0:10.8.1*255"},
    /* demand, power, phases */
    {"1.6.0", 1, 0, 1, 6, 0, 255, "1.6.0", "1-0:1.6.0*255"},
    {"1.2.0", 1, 0, 1, 2, 0, 255, "1.2.0", "1-0:1.2.0*255"},
    {"1.7.0", 1, 0, 1, 7, 0, 255, "1.7.0", "1-0:1.7.0*255"},
    {"21.7.0", 1, 0, 21, 7, 0, 255, "21.7.0", "1-0:21.7.0*255"},
    {"41.7.0", 1, 0, 41, 7, 0, 255, "41.7.0", "1-0:41.7.0*255"},
    {"61.7.0", 1, 0, 61, 7, 0, 255, "61.7.0", "1-0:61.7.0*255"},
    {"31.7.0", 1, 0, 31, 7, 0, 255, "31.7.0", "1-0:31.7.0*255"},
    {"51.7.0", 1, 0, 51, 7, 0, 255, "51.7.0", "1-0:51.7.0*255"},
    {"71.7.0", 1, 0, 71, 7, 0, 255, "71.7.0", "1-0:71.7.0*255"},
    {"32.7.0", 1, 0, 32, 7, 0, 255, "32.7.0", "1-0:32.7.0*255"},
    {"52.7.0", 1, 0, 52, 7, 0, 255, "52.7.0", "1-0:52.7.0*255"},
    {"72.7.0", 1, 0, 72, 7, 0, 255, "72.7.0", "1-0:72.7.0*255"},
    /* service codes */
    {"0.0.0", 1, 0, 0, 0, 0, 255, "0.0.0", "1-0:0.0.0*255"},
    {"0.9.1", 1, 0, 0, 9, 1, 255, "0.9.1", "1-0:0.9.1*255"},
    {"0.9.2", 1, 0, 0, 9, 2, 255, "0.9.2", "1-0:0.9.2*255"},
    {"0.1.0", 1, 0, 0, 1, 0, 255, "0.1.0", "1-0:0.1.0*255"},
    /* EDIS letters */
    {"C.1.0", 0, 0, 96, 1, 0, 255, "C.1.0", "0-0:96.1.0*255"},
    {"C.5.0", 0, 0, 96, 5, 0, 255, "C.5.0", "0-0:96.5.0*255"},
    {"F.F", 0, 0, 97, 97, 0, 255, "F.F", "0-0:97.97.0*255"},
    {"P.01", 0, 0, 99, 1, 0, 255, "P.01", "0-0:99.1.0*255"},
    {"P.02", 0, 0, 99, 2, 0, 255, "P.02", "0-0:99.2.0*255"},
    {"P.98", 0, 0, 99, 98, 0, 255, "P.98", "0-0:99.98.0*255"},
    {"L.1", 0, 0, 98, 1, 0, 255, "L.1", "0-0:98.1.0*255"},
    /* digits for 96..99 stay digits */
    {"96.1.0", 0, 0, 96, 1, 0, 255, "96.1.0", "0-0:96.1.0*255"},
    {"99.1", 0, 0, 99, 1, 0, 255, "99.1", "0-0:99.1.0*255"},
    /* historical values, both separators */
    {"1.8.0*12", 1, 0, 1, 8, 0, 12, "1.8.0*12", "1-0:1.8.0*12"},
    {"1.8.0&12", 1, 0, 1, 8, 0, 12, "1.8.0&12", "1-0:1.8.0*12"},
    {"1.8.1*05", 1, 0, 1, 8, 1, 5, "1.8.1*05", "1-0:1.8.1*5"},
    {"2.8.0&01", 1, 0, 2, 8, 0, 1, "2.8.0&01", "1-0:2.8.0*1"},
    {"1.6.0*00", 1, 0, 1, 6, 0, 0, "1.6.0*00", "1-0:1.6.0*0"},
    /* full forms, with and without F, dot before F */
    {"1-0:1.8.0*255", 1, 0, 1, 8, 0, 255, "1.8.0", "1-0:1.8.0*255"},
    {"1-0:1.8.0", 1, 0, 1, 8, 0, 255, "1.8.0", "1-0:1.8.0*255"},
    {"1-1:1.6.0.3", 1, 1, 1, 6, 0, 3, "1.6.0*03", "1-1:1.6.0*3"},
    {"1-0:2.8.1*12", 1, 0, 2, 8, 1, 12, "2.8.1*12", "1-0:2.8.1*12"},
    {"1-0:1.8.0&7", 1, 0, 1, 8, 0, 7, "1.8.0&07", "1-0:1.8.0*7"},
    {"0-0:96.1.1", 0, 0, 96, 1, 1, 255, "96.1.1", "0-0:96.1.1*255"},
    {"0-0:C.1.0", 0, 0, 96, 1, 0, 255, "C.1.0", "0-0:96.1.0*255"},
    {"0-1:24.2.1", 0, 1, 24, 2, 1, 255, "24.2.1", "0-1:24.2.1*255"},
    {"255-255:255.255.255*255", 255, 255, 255, 255, 255, 255, "255.255.255",
     "255-255:255.255.255*255"},
    {"1-0:0.0.0.0", 1, 0, 0, 0, 0, 0, "0.0.0*00", "1-0:0.0.0*0"},
    /* non-canonical spellings and their canonical form */
    {"P.1", 0, 0, 99, 1, 0, 255, "P.01", "0-0:99.1.0*255"},
    {"001.008.000", 1, 0, 1, 8, 0, 255, "1.8.0", "1-0:1.8.0*255"},
    {"1.8.0*255", 1, 0, 1, 8, 0, 255, "1.8.0", "1-0:1.8.0*255"},
    {"1.8.0*5", 1, 0, 1, 8, 0, 5, "1.8.0*05", "1-0:1.8.0*5"},
};

static void test_forms_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const struct form *t = &forms[i];
        char buf[PMU_OBIS_TEXT_MAX];
        struct pmu_obis o = parse_ok(t->text);
        if (o.a != t->a || o.b != t->b || o.c != t->c || o.d != t->d || o.e != t->e ||
            o.f != t->f)
            fail_msg("%s: parsed %u-%u:%u.%u.%u*%u", t->text, o.a, o.b, o.c, o.d, o.e, o.f);
        assert_int_equal(pmu_obis_format_short(&o, buf, sizeof buf), strlen(t->shrt));
        assert_string_equal(buf, t->shrt);
        assert_int_equal(pmu_obis_format_full(&o, buf, sizeof buf), strlen(t->full));
        assert_string_equal(buf, t->full);

        /* The full text parses back to the same six values; the short text gives
         * back the same short text. */
        struct pmu_obis back = parse_ok(t->full);
        assert_memory_equal(&back.a, &o.a, 6);
        back = parse_ok(t->shrt);
        assert_int_equal(pmu_obis_format_short(&back, buf, sizeof buf), strlen(t->shrt));
        assert_string_equal(buf, t->shrt);
    }
}

static void test_present_letters_separator(void **state)
{
    (void)state;
    struct pmu_obis o = parse_ok("1.8.0");
    assert_int_equal(o.present, PMU_OBIS_C | PMU_OBIS_D | PMU_OBIS_E);
    assert_int_equal(o.letters, 0);
    assert_int_equal(o.hist_sep, 0);

    o = parse_ok("1-0:1.8.0*255");
    assert_int_equal(o.present, PMU_OBIS_ALL);
    assert_int_equal(o.hist_sep, '*');

    o = parse_ok("1-0:1.8.0.3");   /* a dot before F means the same as '*' */
    assert_int_equal(o.hist_sep, '*');

    o = parse_ok("1.8.0&3");
    assert_int_equal(o.present, PMU_OBIS_C | PMU_OBIS_D | PMU_OBIS_E | PMU_OBIS_F);
    assert_int_equal(o.hist_sep, '&');

    o = parse_ok("F.F");
    assert_int_equal(o.present, PMU_OBIS_C | PMU_OBIS_D);
    assert_int_equal(o.letters, PMU_OBIS_C | PMU_OBIS_D);

    o = parse_ok("P.98");
    assert_int_equal(o.letters, PMU_OBIS_C);

    o = parse_ok("99.F");
    assert_int_equal(o.letters, PMU_OBIS_D);
}

static void test_letters(void **state)
{
    (void)state;
    assert_int_equal(pmu_obis_letter(96), 'C');
    assert_int_equal(pmu_obis_letter(97), 'F');
    assert_int_equal(pmu_obis_letter(98), 'L');
    assert_int_equal(pmu_obis_letter(99), 'P');
    assert_int_equal(pmu_obis_letter(95), 0);
    assert_int_equal(pmu_obis_letter(100), 0);
    assert_int_equal(pmu_obis_letter(0), 0);
    assert_int_equal(pmu_obis_letter_value('C'), 96);
    assert_int_equal(pmu_obis_letter_value('F'), 97);
    assert_int_equal(pmu_obis_letter_value('L'), 98);
    assert_int_equal(pmu_obis_letter_value('P'), 99);
    assert_int_equal(pmu_obis_letter_value('p'), -1);
    assert_int_equal(pmu_obis_letter_value('A'), -1);
    assert_int_equal(pmu_obis_letter_value(-1), -1);
}

/* A struct built in code (not parsed) gets its defaults from present. */
static void test_defaults(void **state)
{
    (void)state;
    struct pmu_obis o = {0};
    char buf[PMU_OBIS_TEXT_MAX];
    o.present = PMU_OBIS_C | PMU_OBIS_D;

    o.c = 1;
    o.d = 8;
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_C), 1);
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_D), 8);
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_A), 1);
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_B), 0);
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_E), 0);
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_F), 255);
    o.c = 0;
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_A), 1);
    o.c = 95;
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_A), 1);
    for (unsigned c = 96; c <= 99; c++) {
        o.c = (uint8_t)c;
        assert_int_equal(pmu_obis_group(&o, PMU_OBIS_A), 0);
    }
    o.c = 100;
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_A), 1);
    o.c = 128;
    assert_int_equal(pmu_obis_group(&o, PMU_OBIS_A), 1);
    assert_int_equal(pmu_obis_group(&o, 0x40u), 0);   /* not a group */

    /* Values of groups missing from present are ignored. */
    o.c = 1;
    o.d = 8;
    o.a = 7;
    o.e = 3;
    o.f = 9;
    pmu_obis_format_full(&o, buf, sizeof buf);
    assert_string_equal(buf, "1-0:1.8.0*255");
    pmu_obis_format_short(&o, buf, sizeof buf);
    assert_string_equal(buf, "1.8");

    /* A letter bit on a value without a letter is ignored. */
    o.letters = PMU_OBIS_C | PMU_OBIS_D;
    pmu_obis_format_short(&o, buf, sizeof buf);
    assert_string_equal(buf, "1.8");

    /* F shown without E written: E is written as its default. */
    o.letters = 0;
    o.present = PMU_OBIS_C | PMU_OBIS_D | PMU_OBIS_F;
    o.hist_sep = 0;
    pmu_obis_format_short(&o, buf, sizeof buf);
    assert_string_equal(buf, "1.8.0*09");
}

struct bad {
    const char *text;
    size_t len;         /* 0: strlen(text) */
    enum pmu_status code;
    size_t offset;
    const char *message;
};

static const struct bad bads[] = {
    {"", 0, PMU_E_SYNTAX, 0, "byte 0: empty OBIS code"},
    {"x", 0, PMU_E_SYNTAX, 0,
     "byte 0: expected a digit or one of C, F, L, P at the start of the code, got 'x'"},
    {"p.01", 0, PMU_E_SYNTAX, 0,
     "byte 0: expected a digit or one of C, F, L, P at the start of the code, got 'p'"},
    {" 1.8.0", 0, PMU_E_SYNTAX, 0,
     "byte 0: expected a digit or one of C, F, L, P at the start of the code, got ' '"},
    /* ranges, one per group */
    {"300-0:1.8.0", 0, PMU_E_RANGE, 2, "byte 2: group A value 300 is larger than 255"},
    {"1-256:1.8.0", 0, PMU_E_RANGE, 4, "byte 4: group B value 256 is larger than 255"},
    {"1-0:1000.8.0", 0, PMU_E_RANGE, 7, "byte 7: group C value 1000 is larger than 255"},
    {"256.8.0", 0, PMU_E_RANGE, 2, "byte 2: group C value 256 is larger than 255"},
    {"30000.8.0", 0, PMU_E_RANGE, 2, "byte 2: group C value 30000 is larger than 255"},
    {"300x", 0, PMU_E_RANGE, 2, "byte 2: group C value 300 is larger than 255"},
    {"1.256.0", 0, PMU_E_RANGE, 4, "byte 4: group D value 256 is larger than 255"},
    {"1.8.999", 0, PMU_E_RANGE, 6, "byte 6: group E value 999 is larger than 255"},
    {"1.8.0*256", 0, PMU_E_RANGE, 8, "byte 8: group F value 256 is larger than 255"},
    {"1.8.0*000000000000000300", 0, PMU_E_RANGE, 23,
     "byte 23: group F value 000000000000... is larger than 255"},
    /* group B and its ':' */
    {"1-x:1.8.0", 0, PMU_E_SYNTAX, 2,
     "byte 2: expected a digit at the start of group B, got 'x'"},
    {"1-", 0, PMU_E_SYNTAX, 2, "byte 2: input ended where group B was expected"},
    {"1-0", 0, PMU_E_SYNTAX, 3,
     "byte 3: expected a digit or ':' after group B, got end of input"},
    {"1-0.1.8.0", 0, PMU_E_SYNTAX, 3, "byte 3: expected a digit or ':' after group B, got '.'"},
    /* group C */
    {"1-0:", 0, PMU_E_SYNTAX, 4, "byte 4: input ended where group C was expected"},
    {"1-0:x.8.0", 0, PMU_E_SYNTAX, 4,
     "byte 4: expected a digit or one of C, F, L, P at the start of group C, got 'x'"},
    {"1-0:1x", 0, PMU_E_SYNTAX, 5, "byte 5: expected a digit or '.' after group C, got 'x'"},
    {"1-0:1", 0, PMU_E_SYNTAX, 5,
     "byte 5: expected a digit or '.' after group C, got end of input"},
    {"1-0:C1.0", 0, PMU_E_SYNTAX, 5, "byte 5: expected '.' after group C, got '1'"},
    {"1", 0, PMU_E_SYNTAX, 1,
     "byte 1: expected a digit, '-' or '.' after the first group, got end of input"},
    {"3:171.0", 0, PMU_E_SYNTAX, 1,
     "byte 1: expected a digit, '-' or '.' after the first group, got ':'"},
    {"C-0:1.8.0", 0, PMU_E_SYNTAX, 1, "byte 1: expected '.' after group C, got '-'"},
    {"C", 0, PMU_E_SYNTAX, 1, "byte 1: expected '.' after group C, got end of input"},
    /* group D */
    {"1.", 0, PMU_E_SYNTAX, 2, "byte 2: input ended where group D was expected"},
    {"1..0", 0, PMU_E_SYNTAX, 2,
     "byte 2: expected a digit or one of C, F, L, P at the start of group D, got '.'"},
    {"1.8x", 0, PMU_E_SYNTAX, 3, "byte 3: expected a digit, '.' or end after group D, got 'x'"},
    {"F.F1", 0, PMU_E_SYNTAX, 3, "byte 3: expected '.' or end after group D, got '1'"},
    {"1.8*12", 0, PMU_E_SYNTAX, 3,
     "byte 3: expected a digit, '.' or end after group D, got '*'"},
    {"1-0:1.8", 0, PMU_E_SYNTAX, 7,
     "byte 7: input ended after group D; the form A-B:C.D.E needs group E"},
    /* group E */
    {"1.8.", 0, PMU_E_SYNTAX, 4, "byte 4: input ended where group E was expected"},
    {"1.8.F", 0, PMU_E_SYNTAX, 4, "byte 4: expected a digit at the start of group E, got 'F'"},
    {"C.C.C", 0, PMU_E_SYNTAX, 4, "byte 4: expected a digit at the start of group E, got 'C'"},
    {"1.8.0x", 0, PMU_E_SYNTAX, 5,
     "byte 5: expected a digit, '*', '&' or end after group E, got 'x'"},
    {"1.8.0 ", 0, PMU_E_SYNTAX, 5,
     "byte 5: expected a digit, '*', '&' or end after group E, got ' '"},
    {"1.8\0", 4, PMU_E_SYNTAX, 3,
     "byte 3: expected a digit, '.' or end after group D, got 0x00"},
    {"1-0:1.8.0x", 0, PMU_E_SYNTAX, 9,
     "byte 9: expected a digit, '*', '&', '.' or end after group E, got 'x'"},
    {"1.8.0.1", 0, PMU_E_SYNTAX, 5,
     "byte 5: too many groups: a short code ends at group E; write F as '*F' or '&F'"},
    /* group F and after it */
    {"1.8.0*", 0, PMU_E_SYNTAX, 6, "byte 6: input ended where group F was expected"},
    {"1.8.0&x", 0, PMU_E_SYNTAX, 6, "byte 6: expected a digit at the start of group F, got 'x'"},
    {"1.8.0*12*3", 0, PMU_E_SYNTAX, 8, "byte 8: too many groups: F is the last group, got '*'"},
    {"1-0:1.8.0.255.1", 0, PMU_E_SYNTAX, 13,
     "byte 13: too many groups: F is the last group, got '.'"},
    {"1.8.0*12x", 0, PMU_E_SYNTAX, 8, "byte 8: unexpected 'x' after group F"},
    {"1.8.0*12\0", 9, PMU_E_SYNTAX, 8, "byte 8: unexpected 0x00 after group F"},
    {"1.8.0*12(", 0, PMU_E_SYNTAX, 8, "byte 8: unexpected '(' after group F"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        const struct bad *t = &bads[i];
        struct pmu_obis o, before;
        struct pmu_error err;
        size_t len = t->len ? t->len : strlen(t->text);

        memset(&o, 0xAB, sizeof o);
        before = o;
        pmu_error_clear(&err);
        enum pmu_status rc = pmu_obis_parse(t->text, len, &o, &err);
        if (rc != t->code || err.code != t->code || err.offset != t->offset ||
            strcmp(err.message, t->message) != 0)
            fail_msg("%s: got %d at %zu \"%s\"", t->text, rc, err.offset, err.message);
        assert_memory_equal(&o, &before, sizeof o);   /* untouched on error */
        /* Without an error context the status is the same. */
        assert_int_equal(pmu_obis_parse(t->text, len, &o, NULL), t->code);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct pmu_obis o;
    struct pmu_error err;

    pmu_error_clear(&err);
    assert_int_equal(pmu_obis_parse(NULL, 3, &o, &err), PMU_E_INVALID);
    assert_int_equal(err.offset, PMU_NO_OFFSET);
    pmu_error_clear(&err);
    assert_int_equal(pmu_obis_parse("1.8.0", 5, NULL, &err), PMU_E_INVALID);
    assert_int_equal(err.offset, PMU_NO_OFFSET);
    /* NULL with length 0 is just empty input. */
    assert_int_equal(pmu_obis_parse(NULL, 0, &o, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 0);
    /* Only len bytes count: "1.8.0" of "1.8.0x". */
    struct pmu_obis p;
    assert_int_equal(pmu_obis_parse("1.8.0x", 5, &p, &err), PMU_OK);
    assert_int_equal(p.e, 0);
}

static void test_buffer_too_small(void **state)
{
    (void)state;
    struct pmu_obis o = parse_ok("1.8.0*12");
    char buf[PMU_OBIS_TEXT_MAX];

    /* "1-0:1.8.0*12" is 12 bytes and needs 13. */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(pmu_obis_format_full(&o, buf, 12), PMU_E_TOO_LONG);
    assert_string_equal(buf, "");
    assert_int_equal(pmu_obis_format_full(&o, buf, 13), 12);
    assert_string_equal(buf, "1-0:1.8.0*12");
    assert_int_equal(pmu_obis_format_full(&o, NULL, 0), PMU_E_TOO_LONG);
    buf[0] = 'x';
    assert_int_equal(pmu_obis_format_full(&o, buf, 0), PMU_E_TOO_LONG);
    assert_int_equal(buf[0], 'x');   /* size 0: nothing written */

    memset(buf, 'x', sizeof buf);
    assert_int_equal(pmu_obis_format_short(&o, buf, 8), PMU_E_TOO_LONG);
    assert_string_equal(buf, "");
    assert_int_equal(pmu_obis_format_short(&o, buf, 9), 8);
    assert_string_equal(buf, "1.8.0*12");
    assert_int_equal(pmu_obis_format_short(&o, NULL, 0), PMU_E_TOO_LONG);

    /* The largest code fits PMU_OBIS_TEXT_MAX exactly. */
    o = parse_ok("255-255:255.255.255*255");
    assert_int_equal(pmu_obis_format_full(&o, buf, sizeof buf), PMU_OBIS_TEXT_MAX - 1);
    o = parse_ok("P.255.255&254");
    assert_int_equal(pmu_obis_format_short(&o, buf, sizeof buf), 13);
    assert_string_equal(buf, "P.255.255&254");

    char name[PMU_OBIS_NAME_MAX];
    o = parse_ok("1.8.1");   /* "Active energy import (+A), tariff 1": 35 bytes */
    memset(name, 'x', sizeof name);
    assert_int_equal(pmu_obis_name(&o, name, 35), PMU_E_TOO_LONG);
    assert_string_equal(name, "");
    assert_int_equal(pmu_obis_name(&o, name, 36), PMU_OK);
    assert_int_equal(pmu_obis_name(&o, NULL, 0), PMU_E_TOO_LONG);

    /* The longest name fits PMU_OBIS_NAME_MAX. */
    o = parse_ok("1-0:21.2.63*99");
    assert_int_equal(pmu_obis_name(&o, name, sizeof name), PMU_OK);
    assert_string_equal(name,
                        "Cumulative maximum demand, active import (+A) L1, tariff 63, billing period 99");
}

static const struct {
    const char *text, *name;
} names[] = {
    {"1.8.0", "Active energy import (+A), total"},
    {"1.8.1", "Active energy import (+A), tariff 1"},
    {"1.8.4", "Active energy import (+A), tariff 4"},
    {"2.8.2", "Active energy export (-A), tariff 2"},
    {"3.8.0", "Reactive energy import (+R), total"},
    {"4.8.1", "Reactive energy export (-R), tariff 1"},
    {"5.8.0", "Reactive energy Q1, total"},
    {"8.8", "Reactive energy Q4, total"},
    {"9.8.0", "Apparent energy import, total"},
    {"10.8.0", "Apparent energy export, total"},
    {"1.6.0", "Maximum demand, active import (+A), total"},
    {"2.6.2", "Maximum demand, active export (-A), tariff 2"},
    {"1.2.0", "Cumulative maximum demand, active import (+A), total"},
    {"1.4.0", "Current average demand, active import (+A), total"},
    {"1.5.0", "Last average demand, active import (+A), total"},
    {"1.7.0", "Instantaneous value, active import (+A)"},
    {"21.7.0", "Instantaneous value, active import (+A) L1"},
    {"61.7.0", "Instantaneous value, active import (+A) L3"},
    {"41.8.0", "Active energy import (+A) L2, total"},
    {"31.7.0", "Instantaneous value, current L1"},
    {"51.7.0", "Instantaneous value, current L2"},
    {"32.7.0", "Instantaneous value, voltage L1"},
    {"72.7.0", "Instantaneous value, voltage L3"},
    {"13.7.0", "Instantaneous value, power factor"},
    {"14.7.0", "Instantaneous value, frequency"},
    {"128.8.0", "CDR 1 register, total"},
    {"130.8.2", "CDR 3 register, tariff 2"},
    {"134.6.0", "Maximum demand, external input 4, total"},
    {"1.8.0*12", "Active energy import (+A), total, billing period 12"},
    {"1.6.1&03", "Maximum demand, active import (+A), tariff 1, billing period 3"},
    {"1-0:1.8.0*255", "Active energy import (+A), total"},
    {"1-1:1.8.0*0", "Active energy import (+A), total, billing period 0"},
    {"0.0.0", "Device address"},
    {"C.1.0", "Serial number"},
    {"0-0:96.1.0", "Serial number"},
    {"96.1.1", "Equipment identifier"},
    {"0.9.1", "Time"},
    {"0.9.2", "Date"},
    {"0.1.0", "Billing reset count"},
    {"F.F", "Error register"},
    {"P.01", "Load profile 1"},
    {"P.02", "Load profile 2"},
    {"P.98", "Event log"},
    {"C.5.0", "Status register"},
    {"96.5.0", "Status register"},
};

static void test_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char buf[PMU_OBIS_NAME_MAX];
        struct pmu_obis o = parse_ok(names[i].text);
        if (pmu_obis_name(&o, buf, sizeof buf) != PMU_OK)
            fail_msg("%s: no name", names[i].text);
        assert_string_equal(buf, names[i].name);
    }
}

/* No name is made up for codes outside the known set. */
static void test_unknown_names(void **state)
{
    (void)state;
    static const char *const unknown[] = {
        "1.99.0",        /* unknown measure */
        "1.3.0",
        "7-0:1.8.0",     /* another medium: C=1 is not active energy there */
        "0-0:1.8.0",     /* abstract objects */
        "1.8.64",        /* not a tariff */
        "1.7.1",         /* E of an instantaneous value is no tariff */
        "32.8.0",        /* voltages have no energy register */
        "13.6.0",
        "11.8.0",
        "200.8.0",
        "1.8.0*100",     /* not a billing period */
        "L.1",
        "P.03",
        "C.1.2",
        "2-0:0.0.0",
    };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        char buf[PMU_OBIS_NAME_MAX];
        struct pmu_obis o = parse_ok(unknown[i]);
        memset(buf, 'x', sizeof buf);
        if (pmu_obis_name(&o, buf, sizeof buf) != PMU_E_RANGE)
            fail_msg("%s: named \"%s\"", unknown[i], buf);
        assert_string_equal(buf, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_round_trip),
        cmocka_unit_test(test_present_letters_separator),
        cmocka_unit_test(test_letters),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_unknown_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
