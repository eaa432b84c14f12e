/* Identification parsing and the message builders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/iec62056.h"

#define U8(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static void test_ident_mode_c(void **state)
{
    (void)state;
    struct pmu_iec_ident id;
    assert_int_equal(pmu_iec_ident_parse(U8("/LGZ52ZMD120APt.G03\r\n"), &id, NULL), PMU_OK);
    assert_string_equal(id.manufacturer, "LGZ");
    assert_int_equal(id.baud_char, '5');
    assert_int_equal(id.mode, PMU_IEC_MODE_C);
    assert_int_equal(id.baud, 9600);
    assert_false(id.fast_reaction);
    assert_string_equal(id.enhanced, "");
    assert_string_equal(id.id, "2ZMD120APt.G03");
}

static void test_ident_enhanced_and_fast(void **state)
{
    (void)state;
    struct pmu_iec_ident id;
    /* "\2" announces mode E; lower-case third letter allows 20 ms reaction time. */
    assert_int_equal(pmu_iec_ident_parse(U8("/Els6\\2EK280\r\n"), &id, NULL), PMU_OK);
    assert_string_equal(id.manufacturer, "Els");
    assert_true(id.fast_reaction);
    assert_int_equal(id.mode, PMU_IEC_MODE_E);
    assert_int_equal(id.baud, 19200);
    assert_string_equal(id.enhanced, "2");
    assert_string_equal(id.id, "EK280");
    /* Other \W values keep mode C; several sequences are collected in order. */
    assert_int_equal(pmu_iec_ident_parse(U8("/ACE0\\3k260V01.19"), &id, NULL), PMU_OK);
    assert_int_equal(id.mode, PMU_IEC_MODE_C);
    assert_int_equal(id.baud, 300);
    assert_string_equal(id.enhanced, "3");
    assert_int_equal(pmu_iec_ident_parse(U8("/ABC5\\1\\2X\r\n"), &id, NULL), PMU_OK);
    assert_string_equal(id.enhanced, "12");
    assert_int_equal(id.mode, PMU_IEC_MODE_E);
}

static void test_ident_modes_a_b(void **state)
{
    (void)state;
    struct pmu_iec_ident id;
    assert_int_equal(pmu_iec_ident_parse(U8("/GEC5090100100400@000\r\n"), &id, NULL), PMU_OK);
    assert_int_equal(id.mode, PMU_IEC_MODE_C);
    assert_string_equal(id.id, "090100100400@000");
    assert_int_equal(pmu_iec_ident_parse(U8("/ISKCME162\r\n"), &id, NULL), PMU_OK);
    assert_int_equal(id.mode, PMU_IEC_MODE_B); /* 'C' = 2400 baud in mode B */
    assert_int_equal(id.baud, 2400);
    assert_int_equal(pmu_iec_ident_parse(U8("/XYZ:meter\r\n"), &id, NULL), PMU_OK);
    assert_int_equal(id.mode, PMU_IEC_MODE_A);
    assert_int_equal(id.baud, 300);
}

static void expect_ident_error(const char *msg, enum pmu_status code, size_t offset)
{
    struct pmu_iec_ident id;
    struct pmu_error e;
    pmu_error_clear(&e);
    assert_int_equal(pmu_iec_ident_parse((const uint8_t *)msg, strlen(msg), &id, &e), code);
    assert_int_equal(e.code, code);
    assert_int_equal(e.offset, offset);
    assert_true(strlen(e.message) > 10);
}

static void test_ident_errors(void **state)
{
    (void)state;
    expect_ident_error("", PMU_E_SYNTAX, 0);
    expect_ident_error("XLGZ5\r\n", PMU_E_SYNTAX, 0);
    expect_ident_error("/LG", PMU_E_TRUNCATED, 3);
    expect_ident_error("/L1Z5x\r\n", PMU_E_SYNTAX, 2);
    expect_ident_error("/LGZ", PMU_E_TRUNCATED, 4);
    expect_ident_error("/LGZ\x01", PMU_E_SYNTAX, 4);
    expect_ident_error("/LGZ5\\", PMU_E_SYNTAX, 6);
    expect_ident_error("/LGZ5\\1\\2\\3\\4\\5\\6\\7\\8X", PMU_E_TOO_LONG, 19);
    expect_ident_error("/LGZ5ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n", PMU_E_TOO_LONG, 37);
    expect_ident_error("/LGZ5AB!C\r\n", PMU_E_SYNTAX, 7);
    expect_ident_error("/LGZ5AB\x7F\r\n", PMU_E_SYNTAX, 7);
}

static void test_build_signon(void **state)
{
    (void)state;
    uint8_t b[64];
    assert_int_equal(pmu_iec_build_signon(NULL, b, sizeof b), 5);
    assert_memory_equal(b, "/?!\r\n", 5);
    assert_int_equal(pmu_iec_build_signon("45678903", b, sizeof b), 13);
    assert_memory_equal(b, "/?45678903!\r\n", 13);
    assert_int_equal(pmu_iec_build_signon("bad!", b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_signon("123456789012345678901234567890123", b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_signon("1234", b, 5), PMU_E_TOO_LONG);
}

static void test_build_ident_round_trip(void **state)
{
    (void)state;
    struct pmu_iec_ident id = {.manufacturer = "GEC", .baud_char = '5', .id = "090100100400@000"};
    uint8_t b[64];
    long n = pmu_iec_build_ident(&id, b, sizeof b);
    assert_int_equal(n, 23);
    assert_memory_equal(b, "/GEC5090100100400@000\r\n", 23);
    struct pmu_iec_ident back;
    assert_int_equal(pmu_iec_ident_parse(b, (size_t)n, &back, NULL), PMU_OK);
    assert_string_equal(back.id, id.id);
    strcpy(id.enhanced, "2");
    n = pmu_iec_build_ident(&id, b, sizeof b);
    assert_memory_equal(b, "/GEC5\\2090100100400@000\r\n", (size_t)n);
    strcpy(id.manufacturer, "GE");
    assert_int_equal(pmu_iec_build_ident(&id, b, sizeof b), PMU_E_INVALID);
}

static void test_build_option(void **state)
{
    (void)state;
    uint8_t b[8];
    assert_int_equal(pmu_iec_build_option('0', '5', '1', b, sizeof b), 6);
    assert_memory_equal(b, "\x06" "051\r\n", 6);
    assert_int_equal(pmu_iec_build_option('0', '5', '6', b, sizeof b), 6);
    assert_memory_equal(b, "\x06" "056\r\n", 6);
    assert_int_equal(pmu_iec_build_option('x', '5', '1', b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_option('0', '5', '1', b, 5), PMU_E_TOO_LONG);
}

static void test_build_commands(void **state)
{
    (void)state;
    uint8_t b[64];
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "B0", NULL, 0, b, sizeof b);
    assert_int_equal(n, 5);
    assert_memory_equal(b, "\x01" "B0\x03q", 5);
    n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "R1", (const uint8_t *)"1.8.0(1)", 8, b, sizeof b);
    assert_memory_equal(b, "\x01R1\x02" "1.8.0(1)\x03k", (size_t)n);
    n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "P2", (const uint8_t *)"(BE2C10B158593B3E)", 18, b, sizeof b);
    assert_int_equal(b[n - 1], '`');
    n = pmu_iec_build_command(PMU_CHECKSUM_SUM7, "P1", (const uint8_t *)"(dummy)", 7, b, sizeof b);
    assert_memory_equal(b, "\x01P1\x02(dummy)\x03\x03", (size_t)n);
    assert_int_equal(pmu_iec_build_command(PMU_CHECKSUM_XOR, "X1", NULL, 0, b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_command(PMU_CHECKSUM_XOR, "R", NULL, 0, b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_command(PMU_CHECKSUM_XOR, "RX", NULL, 0, b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_command(PMU_CHECKSUM_XOR, "W1", (const uint8_t *)"a\x03", 2, b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_command(PMU_CHECKSUM_XOR, "R1", (const uint8_t *)"1.8.0(1)", 8, b, 12), PMU_E_TOO_LONG);
}

static void test_build_data(void **state)
{
    (void)state;
    uint8_t b[64];
    long n = pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)"3:171.0(0)", 10, false, b, sizeof b);
    assert_int_equal(n, 13);
    assert_memory_equal(b, "\x02" "3:171.0(0)\x03\x12", 13);
    n = pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)"(0102)", 6, true, b, sizeof b);
    assert_int_equal(b[n - 2], 0x04);
    assert_int_equal(b[n - 1], pmu_iec_bcc(PMU_CHECKSUM_XOR, b + 1, (size_t)n - 2));
    assert_int_equal(pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)"\x04", 1, false, b, sizeof b), PMU_E_INVALID);
    assert_int_equal(pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)"abc", 3, false, b, 4), PMU_E_TOO_LONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident_mode_c),       cmocka_unit_test(test_ident_enhanced_and_fast),
        cmocka_unit_test(test_ident_modes_a_b),    cmocka_unit_test(test_ident_errors),
        cmocka_unit_test(test_build_signon),       cmocka_unit_test(test_build_ident_round_trip),
        cmocka_unit_test(test_build_option),       cmocka_unit_test(test_build_commands),
        cmocka_unit_test(test_build_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
