/* The data-set tokenizer: forms of ADDRESS(VALUE*UNIT) and every error path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/dataset.h"

static struct pmu_dataset_reader rd;
static struct pmu_dataset ds;

static void start(const char *block)
{
    pmu_dataset_reader_init(&rd, (const uint8_t *)block, strlen(block), 100);
}

static void check_value(size_t i, const char *text, const char *unit)
{
    assert_true(i < ds.n_values);
    assert_int_equal(ds.values[i].len, strlen(text));
    assert_memory_equal(ds.values[i].text, text, strlen(text));
    if (unit == NULL) {
        assert_null(ds.values[i].unit);
    } else {
        assert_non_null(ds.values[i].unit);
        assert_int_equal(ds.values[i].unit_len, strlen(unit));
        assert_memory_equal(ds.values[i].unit, unit, strlen(unit));
    }
}

static void expect_address(const char *address)
{
    assert_int_equal(ds.address_len, strlen(address));
    assert_memory_equal(ds.address, address, strlen(address));
}

static void test_forms(void **state)
{
    (void)state;
    start("1.8.0(001846.0*kWh)\r\n1.6.0(01.234*kW)(2401151230)\r\n0.0.0( 20000)\r\n"
          "96.13.0()\r\n1.8.0*12(5*)\r\n1.8.0&03(6)\r\n1-0:2.8.1*255(7*kWh)\r\nHELLO(2,CE301,12)\r\n!\r\n");
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("1.8.0");
    assert_int_equal(ds.n_values, 1);
    check_value(0, "001846.0", "kWh");
    assert_int_equal(ds.offset, 100);
    assert_int_equal(ds.line, 1);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("1.6.0");
    assert_int_equal(ds.n_values, 2);
    check_value(0, "01.234", "kW");
    check_value(1, "2401151230", NULL);
    assert_int_equal(ds.line, 2);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    check_value(0, " 20000", NULL);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("96.13.0");
    check_value(0, "", NULL);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("1.8.0*12");
    check_value(0, "5", "");
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("1.8.0&03");
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("1-0:2.8.1*255");
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("HELLO");
    check_value(0, "2,CE301,12", NULL);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    assert_true(ds.end);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_DONE);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_DONE);
}

static void test_several_on_one_line_and_continuation(void **state)
{
    (void)state;
    start("3:14(314*kWh)4:15(415*kWh)\r\n0-1:24.3.0(121106150000)(00)\r\n(00054.386)\n(1)(2)");
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("3:14");
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("4:15");
    check_value(0, "415", "kWh");
    assert_int_equal(ds.offset, 113);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    expect_address("0-1:24.3.0");
    assert_false(ds.continuation);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    assert_true(ds.continuation);
    assert_int_equal(ds.address_len, 0);
    check_value(0, "00054.386", NULL);
    assert_int_equal(ds.line, 3);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK); /* bare LF line ends work */
    assert_true(ds.continuation);
    assert_int_equal(ds.n_values, 2);
    assert_int_equal(ds.line, 4);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_DONE);
}

static void test_max_groups(void **state)
{
    (void)state;
    static char block[1024];
    strcpy(block, "P.01");
    for (int i = 0; i < PMU_DATASET_MAX_VALUES; i++)
        strcat(block, "(1)");
    start(block);
    assert_int_equal(pmu_dataset_next(&rd, &ds, NULL), PMU_OK);
    assert_int_equal(ds.n_values, PMU_DATASET_MAX_VALUES);
    strcat(block, "(1)");
    start(block);
    struct pmu_error e;
    assert_int_equal(pmu_dataset_next(&rd, &ds, &e), PMU_E_TOO_LONG);
    assert_int_equal(e.offset, 100 + 4 + 3 * PMU_DATASET_MAX_VALUES);
}

/* Runs the reader over block and expects the first error at offset (relative to the
 * block) with code and words, then that reading goes on to `after` more items. */
static void expect_error(const char *block, enum pmu_status code, size_t offset, const char *words,
                         int after)
{
    struct pmu_error e;
    pmu_error_clear(&e);
    start(block);
    enum pmu_status st;
    while ((st = pmu_dataset_next(&rd, &ds, &e)) == PMU_OK)
        ;
    assert_int_equal(st, code);
    assert_int_equal(e.code, code);
    assert_int_equal(e.offset, 100 + offset);
    if (strstr(e.message, words) == NULL)
        fail_msg("\"%s\" not in \"%s\"", words, e.message);
    int items = 0;
    while ((st = pmu_dataset_next(&rd, &ds, NULL)) != PMU_DONE)
        items += st == PMU_OK;
    assert_int_equal(items, after);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("1.8.0 (5)\r\n2.8.0(1)\r\n", PMU_E_SYNTAX, 5, "expected '(' after the address", 1);
    expect_error("1.8.0\r\n2.8.0(1)\r\n", PMU_E_SYNTAX, 5, "expected '(' after the address", 1);
    expect_error("1.8.0", PMU_E_TRUNCATED, 5, "got the end of the block", 0);
    expect_error("1.8.0(12\r\n2.8.0(1)\r\n", PMU_E_SYNTAX, 8, "expected ')' to close", 1);
    expect_error("1.8.0(12", PMU_E_TRUNCATED, 8, "expected ')'", 0);
    expect_error("1.8.0(1(2)\r\n", PMU_E_SYNTAX, 7, "expected ')'", 0);
    expect_error("1.8.0(1)\x02x\r\n2(1)\r\n", PMU_E_SYNTAX, 8, "expected CR LF, '!' or another data set", 1);
    expect_error(")(1)\r\n", PMU_E_SYNTAX, 0, "expected a data-set address", 0);
    expect_error("1.8.0(1) (2)\r\n", PMU_E_SYNTAX, 8, "expected CR LF", 0);
    expect_error("a(1)(2)(3)b(4)c\x01(5)\r\n!\r\n", PMU_E_SYNTAX, 15, "expected '(' after the address", 1);
    expect_error("0123456789012345678901234567890123(1)\r\n", PMU_E_TOO_LONG, 32, "address longer than 32", 0);
    expect_error("1(01234567890123456789012345678901234567890123456789012345678901234567890123456789"
                 "012345678901234567890123456789012345678901234567890123456789)\r\n",
                 PMU_E_TOO_LONG, 130, "value longer than 128", 0);
    expect_error("1(5*kilowatthours_per_hour)\r\n", PMU_E_TOO_LONG, 20, "unit longer than 16", 0);
    expect_error("1(5)\r\n!\r\n2(6)\r\n", PMU_E_SYNTAX, 9, "expected nothing after the '!'", 0);
    expect_error("1(5)(6)\r\nx(1)(2)(\r\n", PMU_E_SYNTAX, 17, "expected ')'", 0);
}

static void test_noise_in_block_like_ace3000(void **state)
{
    (void)state;
    /* From the ACE3000 capture: garbage after the last value, then the end marker. */
    static const char block[] = "1.8.0(013925.5*)Y\x02\x02\x01\x00!\r\n";
    pmu_dataset_reader_init(&rd, (const uint8_t *)block, sizeof block - 1, 0);
    struct pmu_error e;
    assert_int_equal(pmu_dataset_next(&rd, &ds, &e), PMU_OK);
    check_value(0, "013925.5", "");
    assert_int_equal(pmu_dataset_next(&rd, &ds, &e), PMU_E_SYNTAX);
    assert_int_equal(e.offset, 17);
    assert_int_equal(pmu_dataset_next(&rd, &ds, &e), PMU_OK);
    assert_true(ds.end);
    assert_int_equal(pmu_dataset_next(&rd, &ds, &e), PMU_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_several_on_one_line_and_continuation),
        cmocka_unit_test(test_max_groups),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_noise_in_block_like_ace3000),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
