/* Day rows (src/store/days.c): the packed form of one channel-day of intervals.
 * Encode and decode give back every field (ends, status words, job runs, exact value
 * text); merges keep stored entries and add only new ones; damaged rows are refused
 * with the byte where the damage is. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "days.h"

#define DAY 19723                  /* 2024-01-01 */
#define T(sec) ((int64_t)DAY * PMU_DAY_SECONDS + (sec))

static struct pmu_day_entry entry(int64_t end, const char *value, int64_t status, int64_t run)
{
    struct pmu_day_entry e = {end, status, run, value, strlen(value)};
    return e;
}

static void test_day_of(void **state)
{
    (void)state;
    assert_int_equal(pmu_day_of(0), 0);
    assert_int_equal(pmu_day_of(86399), 0);
    assert_int_equal(pmu_day_of(86400), 1);
    assert_int_equal(pmu_day_of(-1), -1);
    assert_int_equal(pmu_day_of(-86400), -1);
    assert_int_equal(pmu_day_of(-86401), -2);
    assert_int_equal(pmu_day_of(T(1800)), DAY);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct pmu_day_entry in[] = {
        entry(T(0), "000123.4560", 0, 7),          /* midnight: the first second of the day */
        entry(T(1800), "", 0, 7),                  /* an empty value is kept */
        entry(T(3600), "-0.0010", 0, 7),
        entry(T(3600), "-0.0011", 0x80, 9),        /* a conflict, from another run */
        entry(T(86399), "9", -1, INT64_MAX),       /* the last second; extreme status and run */
    };
    struct pmu_day_buf buf = {NULL, 0, 0};
    size_t conflicts, n = 0, cap = 0;
    struct pmu_error err;
    assert_int_equal(pmu_day_encode(DAY, in, 5, &buf, &conflicts, &err), PMU_OK);
    assert_int_equal(conflicts, 1);
    assert_int_equal(buf.data[0], PMU_DAY_FORMAT);
    struct pmu_day_entry *out = NULL;
    assert_int_equal(pmu_day_decode(DAY, buf.data, buf.len, &out, &n, &cap, &err), PMU_OK);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(out[i].end, in[i].end);
        assert_int_equal(out[i].status, in[i].status);
        assert_int_equal(out[i].run_id, in[i].run_id);
        assert_int_equal(out[i].value_len, in[i].value_len);
        assert_string_equal(out[i].value, in[i].value);  /* NUL-terminated in place */
    }
    /* 30-minute data with one status and run is small: flags carry the repeats */
    struct pmu_day_entry day[48];
    char text[48][16];
    for (int i = 0; i < 48; i++) {
        snprintf(text[i], sizeof text[i], "%05d.%03d", i * 37, i);
        day[i] = entry(T((i + 1) * 1800 - (i == 47 ? 1 : 0)), text[i], 0, 123456);
    }
    assert_int_equal(pmu_day_encode(DAY, day, 48, &buf, &conflicts, &err), PMU_OK);
    assert_int_equal(conflicts, 0);
    assert_true(buf.len <= 48 * 14 + 5);  /* per interval: end 2, flags 1, length 1, text 9, NUL 1 */
    pmu_day_buf_free(&buf);
    free(out);
}

static void test_encode_refuses(void **state)
{
    (void)state;
    struct pmu_day_buf buf = {NULL, 0, 0};
    size_t conflicts;
    struct pmu_error err;
    struct pmu_day_entry outside = entry(T(86400), "1", 0, 1);
    assert_int_equal(pmu_day_encode(DAY, &outside, 1, &buf, &conflicts, &err), PMU_E_INVALID);
    struct pmu_day_entry twice[] = {entry(T(1800), "1", 0, 1), entry(T(1800), "1", 0, 1)};
    assert_int_equal(pmu_day_encode(DAY, twice, 2, &buf, &conflicts, &err), PMU_E_INVALID);
    static char longer[PMU_DAY_VALUE_MAX + 2];
    memset(longer, '1', PMU_DAY_VALUE_MAX + 1);
    struct pmu_day_entry big = entry(T(1800), longer, 0, 1);
    assert_int_equal(pmu_day_encode(DAY, &big, 1, &buf, &conflicts, &err), PMU_E_TOO_LONG);
    pmu_day_buf_free(&buf);
}

static void expect_damaged(const uint8_t *row, size_t len, size_t offset, const char *message)
{
    struct pmu_day_entry *out = NULL;
    size_t n, cap = 0;
    struct pmu_error err;
    assert_int_equal(pmu_day_decode(DAY, row, len, &out, &n, &cap, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, offset);
    if (strstr(err.message, message) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, message);
    free(out);
}

static void test_decode_refuses(void **state)
{
    (void)state;
    static const uint8_t empty[] = {0};
    expect_damaged(empty, 0, 0, "day row format -1");
    static const uint8_t format2[] = {2};
    expect_damaged(format2, 1, 0, "day row format 2");
    static const uint8_t after_day[] = {1, 0x80, 0xA3, 0x05, 3, 0, 1, 1, '1', 0};  /* 86400 s */
    expect_damaged(after_day, sizeof after_day, 1, "ends after the day");
    static const uint8_t no_flags[] = {1, 0x10};
    expect_damaged(no_flags, sizeof no_flags, 2, "before its flags");
    static const uint8_t first_without_run[] = {1, 0x10, 1, 0, 1, '1', 0};
    expect_damaged(first_without_run, sizeof first_without_run, 2, "bad flags 0x01");
    static const uint8_t unknown_flag[] = {1, 0x10, 7, 0, 1, 1, '1', 0};
    expect_damaged(unknown_flag, sizeof unknown_flag, 2, "bad flags 0x07");
    static const uint8_t cut_value[] = {1, 0x10, 3, 0, 1, 5, '1', '2'};
    expect_damaged(cut_value, sizeof cut_value, 5, "bad value length");
    static const uint8_t no_nul[] = {1, 0x10, 3, 0, 1, 1, '1', 'x'};
    expect_damaged(no_nul, sizeof no_nul, 6, "not a text");
    static const uint8_t nul_inside[] = {1, 0x10, 3, 0, 1, 2, 0, '1', 0};
    expect_damaged(nul_inside, sizeof nul_inside, 6, "not a text");
    static const uint8_t endless_varint[] = {1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0};
    expect_damaged(endless_varint, sizeof endless_varint, 1, "bad end");
    /* the same end and value twice, then a value before the one already given */
    static const uint8_t repeated[] = {1, 0x10, 3, 0, 1, 1, '1', 0, 0, 0, 1, '1', 0};
    expect_damaged(repeated, sizeof repeated, 8, "out of order");
    static const uint8_t backwards[] = {1, 0x10, 3, 0, 1, 1, '2', 0, 0, 0, 1, '1', 0};
    expect_damaged(backwards, sizeof backwards, 8, "out of order");
}

static void test_merge(void **state)
{
    (void)state;
    struct pmu_day_entry old[] = {entry(T(1800), "1.0", 0, 1), entry(T(3600), "2.0", 0, 1)};
    /* a re-read: 00:30 the same (from another run), 01:00 different, 01:30 new twice */
    struct pmu_day_entry add[] = {entry(T(1800), "1.0", 4, 2), entry(T(3600), "2.5", 4, 2),
                                  entry(T(5400), "3.0", 4, 2), entry(T(5400), "3.0", 4, 2)};
    struct pmu_day_entry *out = NULL;
    size_t n, cap = 0, n_new;
    assert_int_equal(pmu_day_merge(old, 2, add, 4, &out, &n, &cap, &n_new), PMU_OK);
    assert_int_equal(n_new, 2);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].run_id, 1);  /* the stored one stays, with its provenance */
    assert_int_equal(out[0].status, 0);
    assert_string_equal(out[1].value, "2.0");
    assert_string_equal(out[2].value, "2.5");
    assert_string_equal(out[3].value, "3.0");
    /* nothing new: the union is the old row */
    assert_int_equal(pmu_day_merge(old, 2, add, 1, &out, &n, &cap, &n_new), PMU_OK);
    assert_int_equal(n_new, 0);
    assert_int_equal(n, 2);
    free(out);
}

static void test_sort(void **state)
{
    (void)state;
    struct pmu_day_entry e[] = {entry(T(3600), "2", 0, 1), entry(T(1800), "10", 0, 1), entry(T(1800), "1", 0, 1),
                                entry(T(1800), "09", 0, 1)};
    pmu_day_sort(e, 4);
    assert_string_equal(e[0].value, "09");  /* bytes, shorter first: "09" < "1" < "10" */
    assert_string_equal(e[1].value, "1");
    assert_string_equal(e[2].value, "10");
    assert_int_equal(e[3].end, T(3600));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_of),          cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_refuses),  cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_merge),           cmocka_unit_test(test_sort),
    };
    return cmocka_run_group_tests_name("store day rows", tests, NULL, NULL);
}
