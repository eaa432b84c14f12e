/* Typed readouts: records, continuations, load profiles and meter timestamps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/readout.h"

static struct pmu_readout r;

static enum pmu_status add(const char *block, bool continues)
{
    return pmu_readout_add_block(&r, (const uint8_t *)block, strlen(block), 0, 0, continues);
}

static int setup(void **state)
{
    (void)state;
    pmu_readout_init(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pmu_readout_free(&r);
    return 0;
}

static void test_records(void **state)
{
    (void)state;
    assert_int_equal(add("1.8.0(001846.0*kWh)\r\n1.6.0(01.234*kW)(2401151230)\r\nC.1.0(123)\r\n"
                         "0-1:24.3.0(121106150000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(00054.386)\r\n!\r\n",
                         false),
                     PMU_OK);
    assert_true(r.ended);
    assert_int_equal(r.n_records, 4);
    assert_string_equal(r.records[0].address, "1.8.0");
    assert_true(r.records[0].has_obis);
    assert_int_equal(r.records[0].obis.c, 1);
    assert_int_equal(r.records[0].obis.d, 8);
    assert_string_equal(r.records[0].values[0].text, "001846.0");
    assert_string_equal(r.records[0].values[0].unit, "kWh");
    assert_false(r.records[0].values[0].has_time);
    /* the demand's time of occurrence is recognised as a time */
    assert_int_equal(r.records[1].n_values, 2);
    assert_true(r.records[1].values[1].has_time);
    assert_int_equal(r.records[1].values[1].time.year, 2024);
    assert_int_equal(r.records[1].values[1].time.hour, 12);
    assert_int_equal(r.records[1].values[1].time.minute, 30);
    assert_int_equal(r.records[2].obis.c, 96);
    /* a continuation line extends the data set before it */
    assert_int_equal(r.records[3].n_values, 7);
    assert_string_equal(r.records[3].values[6].text, "00054.386");
    assert_null(r.records[3].values[6].unit);
    assert_int_equal(r.records[3].line, 4);
}

static void test_profile(void **state)
{
    (void)state;
    assert_int_equal(add("P.01(1220823150000)(08)(15)(2)(1.5)(kW)(2.5)(kW)\r\n"
                         "(0.1)(0.2)\r\n(0.3)(0.4)\r\n(0.5)(0.6)\r\n"
                         "P.01(0221231234500)(0)(30)(1)(1.5)(kW)\r\n(1)\r\n(2)\r\n",
                         false),
                     PMU_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(r.n_profiles, 2);
    const struct pmu_profile *p = &r.profiles[0];
    assert_string_equal(p->address, "P.01");
    assert_int_equal(p->start.season, 1);
    assert_int_equal(p->status, 8);
    assert_int_equal(p->interval_min, 15);
    assert_int_equal(p->n_channels, 2);
    assert_string_equal(p->channels[1].id, "2.5");
    assert_string_equal(p->channels[1].unit, "kW");
    assert_int_equal(p->n_rows, 3);
    assert_string_equal(p->rows[2].values[1].text, "0.6");
    char t[32];
    pmu_timestamp_format(&p->rows[2].time, t, sizeof t);
    assert_string_equal(t, "2022-08-23T15:30:00");
    /* a repeated header starts a new block; rows step across midnight and year end */
    p = &r.profiles[1];
    assert_int_equal(p->start.season, 0);
    assert_int_equal(p->n_rows, 2);
    pmu_timestamp_format(&p->rows[1].time, t, sizeof t);
    assert_string_equal(t, "2023-01-01T00:15:00");
}

static void test_profile_across_blocks(void **state)
{
    (void)state;
    /* partial blocks (EOT): rows continue in the next block */
    add("P.01(2240115000000)(0)(15)(1)(1.5)(kW)\r\n(1)\r\n", false);
    add("(2)\r\n(3)\r\n", true);
    assert_int_equal(r.profiles[0].n_rows, 3);
    /* an unrelated answer does not continue it */
    add("(ERROR)\r\n", false);
    assert_int_equal(r.profiles[0].n_rows, 3);
    assert_int_equal(r.n_records, 1);
    assert_string_equal(r.records[0].address, "");
    assert_string_equal(r.records[0].values[0].text, "ERROR");
}

static void test_profile_problems(void **state)
{
    (void)state;
    assert_int_equal(add("P.01(1220823150000)(08)(15)(2)(1.5)(kW)(2.5)(kW)\r\n(1)\r\n", false),
                     PMU_E_SYNTAX);
    assert_int_equal(r.n_errors, 1);
    assert_non_null(strstr(r.errors[0].message, "interval row has 1 values, the P.01 header announced 2"));
    assert_int_equal(r.errors[0].offset, 50);
    /* malformed headers stay records, with a message each */
    static const char *bad[] = {
        "P.01(1)(2)(3)\r\n",
        "P.01(12208231500)(zz)(15)(0)\r\n",
        "P.01(1221323150000)(0)(15)(0)\r\n",
        "P.01(1220823150000)(0)(0)(0)\r\n",
        "P.01(1220823150000)(0)(15)(2)(1.5)(kW)\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(add(bad[i], false), PMU_E_SYNTAX);
    assert_int_equal(r.n_errors, 6);
    assert_int_equal(r.n_records, 5);
    assert_non_null(strstr(r.errors[1].message, "expected (start)(status)"));
    assert_non_null(strstr(r.errors[2].message, "expected hex status"));
    assert_non_null(strstr(r.errors[3].message, "is not a time"));
}

static void test_dataset_errors_are_collected(void **state)
{
    (void)state;
    assert_int_equal(add("1.8.0(1)\r\n2.8.0 (2)\r\n3.8.0(3)\r\n", false), PMU_E_SYNTAX);
    assert_int_equal(r.n_records, 2);
    assert_int_equal(r.n_errors, 1);
    assert_int_equal(r.errors[0].offset, 15);
}

static void test_timestamps(void **state)
{
    (void)state;
    struct pmu_timestamp t;
    struct pmu_error e;
    char buf[32];
    assert_int_equal(pmu_timestamp_parse("2401151230", 10, &t, &e), PMU_OK);
    assert_int_equal(t.season, -1);
    assert_int_equal(pmu_timestamp_parse("12401151230", 11, &t, &e), PMU_OK);
    assert_int_equal(t.season, 1);
    assert_int_equal(pmu_timestamp_parse("240229235959", 12, &t, &e), PMU_OK);
    assert_int_equal(t.second, 59);
    assert_int_equal(pmu_timestamp_parse("2240229235959", 13, &t, &e), PMU_OK);
    assert_int_equal(t.season, 2);
    pmu_timestamp_add_minutes(&t, 1);
    pmu_timestamp_format(&t, buf, sizeof buf);
    assert_string_equal(buf, "2024-03-01T00:00:59");
    pmu_timestamp_add_minutes(&t, -1441);
    pmu_timestamp_format(&t, buf, sizeof buf);
    assert_string_equal(buf, "2024-02-28T23:59:59");
    assert_int_equal(pmu_timestamp_format(&t, buf, 5), PMU_E_TOO_LONG);

    assert_int_equal(pmu_timestamp_parse("123", 3, &t, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_timestamp_parse("24011512x0", 10, &t, &e), PMU_E_SYNTAX);
    assert_int_equal(e.offset, 8);
    assert_int_equal(pmu_timestamp_parse("52401151230", 11, &t, &e), PMU_E_RANGE);
    assert_int_equal(pmu_timestamp_parse("2413151230", 10, &t, &e), PMU_E_RANGE);
    assert_int_equal(e.offset, 2);
    assert_int_equal(pmu_timestamp_parse("2302291230", 10, &t, &e), PMU_E_RANGE);
    assert_non_null(strstr(e.message, "day 29 does not exist in 2023-02"));
    assert_int_equal(pmu_timestamp_parse("2301012460", 10, &t, &e), PMU_E_RANGE);
    assert_int_equal(e.offset, 6);
}

static void test_seconds_and_iso(void **state)
{
    (void)state;
    struct pmu_timestamp t;
    struct pmu_error e;
    assert_int_equal(pmu_timestamp_parse_iso("2024-02-29T23:59:59", &t, &e), PMU_OK);
    int64_t s = pmu_timestamp_to_seconds(&t);
    assert_int_equal(s, 1709251199); /* what timegm gives for that UTC time */
    struct pmu_timestamp back;
    pmu_timestamp_from_seconds(s, &back);
    assert_int_equal(back.day, 29);
    assert_int_equal(back.second, 59);
    pmu_timestamp_from_seconds(-1, &back); /* before 1970 still works */
    assert_int_equal(back.year, 1969);
    assert_int_equal(back.hour, 23);
    assert_int_equal(pmu_timestamp_parse_iso("2024-01-15", &t, &e), PMU_OK);
    assert_int_equal(t.hour, 0);
    assert_int_equal(pmu_timestamp_parse_iso("2024-01-15 12:30", &t, &e), PMU_OK);
    assert_int_equal(t.minute, 30);
    assert_int_equal(pmu_timestamp_parse_iso("2024-12-31T24:00", &t, &e), PMU_OK);
    assert_int_equal(t.year, 2025); /* the end of the day is the next day's start */
    assert_int_equal(t.day, 1);
    assert_int_equal(pmu_timestamp_parse_iso("2024-1-15", &t, &e), PMU_E_SYNTAX);
    assert_non_null(strstr(e.message, "YYYY-MM-DD"));
    assert_int_equal(pmu_timestamp_parse_iso("2024-13-01", &t, &e), PMU_E_RANGE);
    assert_int_equal(pmu_timestamp_parse_iso("2023-02-29", &t, &e), PMU_E_RANGE);
    assert_int_equal(pmu_timestamp_parse_iso("2024-01-01T24:01", &t, &e), PMU_E_RANGE);
    assert_int_equal(pmu_timestamp_parse_iso("2024-01-01T12:60", &t, &e), PMU_E_RANGE);
    assert_int_equal(pmu_timestamp_parse_iso("2024-01-01X12:00", &t, &e), PMU_E_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_across_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dataset_errors_are_collected, setup, teardown),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_seconds_and_iso),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
