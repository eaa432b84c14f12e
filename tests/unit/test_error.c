/* The error context every module uses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/error.h"

static void test_set_with_offset(void **state)
{
    (void)state;
    struct pmu_error e;
    pmu_error_clear(&e);
    assert_int_equal(e.code, PMU_OK);
    assert_int_equal(pmu_error_set(&e, PMU_E_SYNTAX, 12, "expected '%c'", ')'), PMU_E_SYNTAX);
    assert_int_equal(e.offset, 12);
    assert_string_equal(e.message, "byte 12: expected ')'");
}

static void test_set_without_offset(void **state)
{
    (void)state;
    struct pmu_error e;
    pmu_error_set(&e, PMU_E_IO, PMU_NO_OFFSET, "cannot open %s", "x");
    assert_string_equal(e.message, "cannot open x");
    assert_int_equal(pmu_error_set(NULL, PMU_E_RANGE, 0, "ignored"), PMU_E_RANGE);
}

static void test_long_message_is_cut(void **state)
{
    (void)state;
    struct pmu_error e;
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pmu_error_set(&e, PMU_E_SYNTAX, 1, "%s", big);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pmu_status_name(PMU_OK), "ok");
    assert_string_equal(pmu_status_name(PMU_E_BCC), "bcc");
    assert_string_equal(pmu_status_name(PMU_E_TRUNCATED), "truncated");
    assert_string_equal(pmu_status_name(PMU_DONE), "done");
    assert_string_equal(pmu_status_name(PMU_E_NOT_FOUND), "not_found");
    assert_string_equal(pmu_status_name(PMU_E_EXISTS), "exists");
    assert_string_equal(pmu_status_name((enum pmu_status)-99), "unknown");
    char b[8];
    assert_string_equal(pmu_byte_repr('x', b), "'x'");
    assert_string_equal(pmu_byte_repr(0x02, b), "0x02");
    assert_string_equal(pmu_byte_repr(0xFF, b), "0xFF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_with_offset), cmocka_unit_test(test_set_without_offset),
        cmocka_unit_test(test_long_message_is_cut), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
