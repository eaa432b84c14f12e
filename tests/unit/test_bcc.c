/* Check characters, software parity and baud characters, against the vectors of
 * ../shared/PROTOCOL.md and the captures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/iec62056.h"

/* BCC of a whole message: bytes after the leading SOH/STX through ETX/EOT. */
static uint8_t bcc_of(enum pmu_checksum ck, const char *msg, size_t len)
{
    return pmu_iec_bcc(ck, (const uint8_t *)msg + 1, len - 1);
}

#define BCC(ck, lit) bcc_of(ck, lit, sizeof(lit) - 1)

static void test_protocol_vectors(void **state)
{
    (void)state;
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x01" "B0\x03"), 0x71);
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x01R1\x02" "1.8.0(1)\x03"), 0x6B);
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x01P0\x02(1234567)\x03"), 0x50);
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x02" "3:171.0(0)\x03"), 0x12);
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x02" "3:14(314*kWh)4:15(415*kWh)\r\n\x03"), 0x04);
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x02" "3:14(314*kWh)4:15(415*kWh)\r\n!\r\n\x03"), 0x22);
    /* Elster A1700 frames: P0 seed 'm', P2 password 'e', R1 serial number 'e'. */
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x01P0\x02(FD2BA0E29731D230)\x03"), 'm');
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x01P2\x02(BE2C10B158593B3E)\x03"), '`');
    assert_int_equal(BCC(PMU_CHECKSUM_XOR, "\x01R1\x02" "798001(10)\x03"), 'e');
}

static void test_sum7_vectors(void **state)
{
    (void)state;
    /* Energomera CE301 frames from the capture. */
    assert_int_equal(BCC(PMU_CHECKSUM_SUM7, "\x01P0\x02(777777)\x03"), 0x20);
    assert_int_equal(BCC(PMU_CHECKSUM_SUM7, "\x01P1\x02(dummy)\x03"), 0x03);
    assert_int_equal(BCC(PMU_CHECKSUM_SUM7, "\x01R1\x02HELLO()\x03"), 'M');
    assert_int_equal(BCC(PMU_CHECKSUM_SUM7, "\x02" "FREQU(49.96)\r\n\x03"), 'x');
    assert_int_equal(BCC(PMU_CHECKSUM_SUM7, "\x02VNULL(0)\r\n\x03"), ',');
    /* and the XOR of the same frame differs, which is why the option exists */
    assert_int_not_equal(BCC(PMU_CHECKSUM_XOR, "\x01R1\x02HELLO()\x03"), 'M');
}

static void test_checksum_names(void **state)
{
    (void)state;
    enum pmu_checksum c;
    assert_int_equal(pmu_checksum_from_name("xor", &c), PMU_OK);
    assert_int_equal(c, PMU_CHECKSUM_XOR);
    assert_int_equal(pmu_checksum_from_name("sum7", &c), PMU_OK);
    assert_int_equal(c, PMU_CHECKSUM_SUM7);
    assert_int_equal(pmu_checksum_from_name("crc", &c), PMU_E_INVALID);
    assert_string_equal(pmu_checksum_name(PMU_CHECKSUM_SUM7), "sum7");
    assert_string_equal(pmu_checksum_name(PMU_CHECKSUM_XOR), "xor");
}

static void test_parity(void **state)
{
    (void)state;
    assert_int_equal(pmu_iec_parity_add('/'), 0xAF); /* 0x2F has 5 ones */
    assert_int_equal(pmu_iec_parity_add('?'), 0x3F); /* 6 ones: even already */
    assert_int_equal(pmu_iec_parity_add(0x01), 0x81);
    assert_int_equal(pmu_iec_parity_add(0x00), 0x00);
    for (unsigned c = 0; c < 128; c++) {
        uint8_t p = pmu_iec_parity_add((uint8_t)c);
        assert_true(pmu_iec_parity_ok(p));
        assert_false(pmu_iec_parity_ok((uint8_t)(p ^ 0x80)));
        assert_int_equal(p & 0x7F, c);
    }
}

static void test_baud(void **state)
{
    (void)state;
    assert_int_equal(pmu_iec_baud_rate('0'), 300);
    assert_int_equal(pmu_iec_baud_rate('5'), 9600);
    assert_int_equal(pmu_iec_baud_rate('6'), 19200);
    assert_int_equal(pmu_iec_baud_rate('A'), 600);
    assert_int_equal(pmu_iec_baud_rate('E'), 9600);
    assert_int_equal(pmu_iec_baud_rate('F'), 19200);
    assert_int_equal(pmu_iec_baud_rate('7'), 0);
    assert_int_equal(pmu_iec_baud_rate('G'), 0);
    assert_int_equal(pmu_iec_baud_char(9600), '5');
    assert_int_equal(pmu_iec_baud_char(300), '0');
    assert_int_equal(pmu_iec_baud_char(1234), 0);
    assert_string_equal(pmu_iec_mode_name(PMU_IEC_MODE_E), "E");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocol_vectors), cmocka_unit_test(test_sum7_vectors),
        cmocka_unit_test(test_checksum_names),   cmocka_unit_test(test_parity),
        cmocka_unit_test(test_baud),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
