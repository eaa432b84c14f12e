/* Comms path grammar: every option, defaults, canonical text and each error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/path.h"

static void test_serial_defaults(void **state)
{
    (void)state;
    struct pmu_path p;
    assert_int_equal(pmu_path_parse("serial:/dev/ttyUSB0", &p, NULL), PMU_OK);
    assert_int_equal(p.kind, PMU_LINK_SERIAL);
    assert_string_equal(p.target, "/dev/ttyUSB0");
    assert_int_equal(p.baud, 0);
    assert_int_equal(p.max_baud, 19200);
    assert_int_equal(p.parity, PMU_PARITY_HW);
    assert_int_equal(p.reaction_ms, 200);
    assert_int_equal(p.timeout_ms, 1500);
    assert_int_equal(p.retries, 3);
    assert_false(p.echo);
    assert_string_equal(p.address, "");
}

static void test_tcp_and_options(void **state)
{
    (void)state;
    struct pmu_path p;
    assert_int_equal(pmu_path_parse("tcp:10.0.0.5:4001?address=12345678&retries=5&echo=1&parity=none"
                                    "&baud=9600&max_baud=4800&reaction_ms=20&switch_delay_ms=50"
                                    "&timeout_ms=3000&inter_char_ms=900&checksum=sum7",
                                    &p, NULL),
                     PMU_OK);
    assert_int_equal(p.kind, PMU_LINK_TCP);
    assert_string_equal(p.target, "10.0.0.5");
    assert_int_equal(p.port, 4001);
    assert_string_equal(p.address, "12345678");
    assert_int_equal(p.retries, 5);
    assert_true(p.echo);
    assert_int_equal(p.parity, PMU_PARITY_NONE);
    assert_int_equal(p.baud, 9600);
    assert_int_equal(p.max_baud, 4800);
    assert_int_equal(p.reaction_ms, 20);
    assert_int_equal(p.switch_delay_ms, 50);
    assert_int_equal(p.timeout_ms, 3000);
    assert_int_equal(p.inter_char_ms, 900);
    assert_int_equal(p.checksum, PMU_CHECKSUM_SUM7);
    assert_int_equal(pmu_path_parse("tcp:[::1]:4059", &p, NULL), PMU_OK);
    assert_string_equal(p.target, "::1");
    assert_int_equal(p.port, 4059);
    assert_int_equal(p.parity, PMU_PARITY_SOFT); /* TCP gateways carry 8N1 */
}

static void test_format_round_trip(void **state)
{
    (void)state;
    static const char *paths[] = {"serial:/dev/ttyUSB0", "serial:/dev/pts/3?address=42&baud=9600",
                                  "tcp:127.0.0.1:40000?address=00000002", "tcp:[::1]:7?retries=0",
                                  "serial:/dev/ttyS0?parity=soft&echo=1&timeout_ms=100",
                                  "serial:/dev/ttyS0?echo=1&protocol=elster"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct pmu_path p;
        char buf[512];
        assert_int_equal(pmu_path_parse(paths[i], &p, NULL), PMU_OK);
        assert_true(pmu_path_format(&p, buf, sizeof buf) > 0);
        assert_string_equal(buf, paths[i]);
    }
    struct pmu_path p;
    char small[8];
    pmu_path_parse(paths[0], &p, NULL);
    assert_int_equal(pmu_path_format(&p, small, sizeof small), PMU_E_TOO_LONG);
}

static void expect_error(const char *text, enum pmu_status code, size_t offset, const char *words)
{
    struct pmu_path p;
    struct pmu_error e;
    pmu_error_clear(&e);
    assert_int_equal(pmu_path_parse(text, &p, &e), code);
    assert_int_equal(e.offset, offset);
    if (strstr(e.message, words) == NULL)
        fail_msg("'%s' not in '%s'", words, e.message);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("serial:/dev/ttyS0?protocol=dlms", PMU_E_SYNTAX, 18, "use iec or elster");
    expect_error("/dev/ttyUSB0", PMU_E_SYNTAX, 0, "expected a link kind");
    expect_error("modem:123", PMU_E_SYNTAX, 0, "unknown link kind 'modem'");
    expect_error("serial:", PMU_E_SYNTAX, 7, "device path");
    expect_error("tcp:host", PMU_E_SYNTAX, 8, "expected ':port'");
    expect_error("tcp::80", PMU_E_SYNTAX, 4, "host name");
    expect_error("tcp:h:99999", PMU_E_RANGE, 6, "not a number in 1..65535");
    expect_error("tcp:h:8x", PMU_E_RANGE, 6, "port '8x'");
    expect_error("tcp:[::1:80", PMU_E_SYNTAX, 4, "IPv6");
    expect_error("serial:/dev/x?baud=1234", PMU_E_RANGE, 14, "not one of 300");
    expect_error("serial:/dev/x?bogus=1", PMU_E_SYNTAX, 14, "unknown option 'bogus'");
    expect_error("serial:/dev/x?baud", PMU_E_SYNTAX, 14, "expected name=value");
    expect_error("serial:/dev/x?retries=11", PMU_E_RANGE, 14, "0..10");
    expect_error("serial:/dev/x?parity=odd", PMU_E_SYNTAX, 14, "hw, soft or none");
    expect_error("serial:/dev/x?echo=2", PMU_E_SYNTAX, 14, "use 0 or 1");
    expect_error("serial:/dev/x?checksum=crc", PMU_E_SYNTAX, 14, "xor or sum7");
    expect_error("serial:/dev/x?address=a!b", PMU_E_SYNTAX, 14, "cannot be sent");
    expect_error("serial:/dev/x?address=123456789012345678901234567890123", PMU_E_TOO_LONG, 14, "32");
    expect_error("serial:/dev/x?retries=1&retries=2", PMU_E_SYNTAX, 24, "given twice");
    /* found by fuzz_path: hosts that could not be written back */
    expect_error("tcp:`::1]:4059", PMU_E_SYNTAX, 4, "cannot appear in a host");
    expect_error("tcp:[%1]:59", PMU_E_SYNTAX, 4, "IPv6 address");
    expect_error("serial:/dev/tty S0", PMU_E_SYNTAX, 15, "space or control");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_defaults), cmocka_unit_test(test_tcp_and_options),
        cmocka_unit_test(test_format_round_trip), cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
