/* Modem and PAD diallers, and a session through them, driven by a scripted modem. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/dialer.h"
#include "pmu/path.h"
#include "pmu/session.h"

static struct pmu_path path;
static struct pmu_dialer d;

static void setup_dialer(const char *text)
{
    struct pmu_error e;
    if (pmu_path_parse(text, &path, &e) != PMU_OK)
        fail_msg("%s: %s", text, e.message);
    pmu_dialer_init(&d, &path.dial);
}

static void expect_out(const char *text)
{
    if (d.out_len != strlen(text) || memcmp(d.out, text, d.out_len) != 0)
        fail_msg("sent [%.*s], expected [%s]", (int)d.out_len, (const char *)d.out, text);
}

static enum pmu_dialer_result say(uint64_t now, const char *text)
{
    size_t used;
    return pmu_dialer_input(&d, now, (const uint8_t *)text, strlen(text), &used);
}

/* Runs the default init (ATZ, ATE0V1Q0X4&D2&C1) answered OK, up to the dial. */
static void init_ok(void)
{
    assert_int_equal(pmu_dialer_start(&d, 0), PMU_DIALER_WORKING);
    expect_out("ATZ\r");
    assert_int_equal(say(10, "ATZ\r\r\nOK\r\n"), PMU_DIALER_WORKING); /* echo, then OK */
    expect_out("ATE0V1Q0X4&D2&C1\r");
    assert_int_equal(say(20, "\r\nOK\r\n"), PMU_DIALER_WORKING);
}

static void test_modem_connects(void **state)
{
    (void)state;
    setup_dialer("serial:/dev/null?baud=9600>modem:0100000004");
    init_ok();
    expect_out("ATDT0100000004\r");
    assert_int_equal(d.wake_at, 20 + 60000);
    const char *answer = "\r\nCONNECT 9600\r\n/OPM5X\r\n";
    size_t used;
    assert_int_equal(pmu_dialer_input(&d, 5000, (const uint8_t *)answer, strlen(answer), &used), PMU_DIALER_CONNECTED);
    assert_string_equal(d.connect, "CONNECT 9600");
    assert_int_equal(used, 16); /* the meter's bytes are left for the session */
}

static void test_modem_pulse_gsm_and_numeric_codes(void **state)
{
    (void)state;
    setup_dialer("serial:/dev/null>modem:123?dial=pulse&init=ATV0");
    assert_int_equal(pmu_dialer_start(&d, 0), PMU_DIALER_WORKING);
    expect_out("ATV0\r");
    assert_int_equal(say(1, "0\r"), PMU_DIALER_WORKING);
    expect_out("ATDP123\r");
    assert_int_equal(say(2, "7\r"), PMU_DIALER_FAILED); /* 7 = BUSY */
    assert_int_equal(d.status, PMU_E_REFUSED);
    assert_non_null(strstr(d.error.message, "the number 123 is busy"));

    setup_dialer("tcp:127.0.0.1:7000>modem:07700900123?dial=gsm&init=AT&bearer=71,0,1");
    assert_int_equal(pmu_dialer_start(&d, 0), PMU_DIALER_WORKING);
    expect_out("AT\r");
    say(1, "OK\r\n");
    expect_out("AT+CPIN?\r");
    say(2, "+CPIN: READY\r\nOK\r\n");
    expect_out("AT+CREG?\r");
    say(3, "+CREG: 0,5\r\nOK\r\n");
    expect_out("AT+CSQ\r");
    say(4, "+CSQ: 17,99\r\nOK\r\n");
    assert_int_equal(d.signal, 17);
    expect_out("AT+CBST=71,0,1\r");
    say(5, "OK\r\n");
    expect_out("ATD07700900123\r"); /* GSM: no T, no ';' */
    assert_int_equal(say(6, "CONNECT\r\n"), PMU_DIALER_CONNECTED);
}

static void expect_failure(const char *script_path, const char *answer, enum pmu_status code, const char *words)
{
    setup_dialer(script_path);
    init_ok();
    assert_int_equal(say(30, answer), PMU_DIALER_FAILED);
    assert_int_equal(d.status, code);
    if (strstr(d.error.message, words) == NULL)
        fail_msg("'%s' not in '%s'", words, d.error.message);
}

static void test_modem_failures(void **state)
{
    (void)state;
    const char *p = "serial:/dev/null>modem:555";
    expect_failure(p, "BUSY\r\n", PMU_E_REFUSED, "busy");
    expect_failure(p, "NO ANSWER\r\n", PMU_E_TIMEOUT, "does not answer");
    expect_failure(p, "NO CARRIER\r\n", PMU_E_IO, "no carrier");
    expect_failure(p, "NO DIALTONE\r\n", PMU_E_IO, "no dial tone");
    expect_failure(p, "ERROR\r\n", PMU_E_REFUSED, "ERROR to 'ATDT555'");
    /* connect time-out */
    setup_dialer("serial:/dev/null>modem:555?connect_timeout_ms=30000");
    init_ok();
    assert_int_equal(pmu_dialer_timer(&d, 29000), PMU_DIALER_WORKING);
    assert_int_equal(pmu_dialer_timer(&d, 30020), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "no CONNECT from 555 within 30 s"));
    /* a silent modem */
    setup_dialer(p);
    pmu_dialer_start(&d, 0);
    assert_int_equal(pmu_dialer_timer(&d, 5000), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "did not answer 'ATZ'"));
    /* an init command it refuses */
    setup_dialer(p);
    pmu_dialer_start(&d, 0);
    assert_int_equal(say(1, "ERROR\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "check the init string"));
    /* GSM trouble */
    setup_dialer("serial:/dev/null>modem:1?dial=gsm&init=AT");
    pmu_dialer_start(&d, 0);
    say(1, "OK\r\n");
    assert_int_equal(say(2, "+CPIN: SIM PIN\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "SIM is not ready"));
    setup_dialer("serial:/dev/null>modem:1?dial=gsm&init=AT");
    pmu_dialer_start(&d, 0);
    say(1, "OK\r\n");
    say(2, "+CPIN: READY\r\nOK\r\n");
    assert_int_equal(say(3, "+CREG: 0,2\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "not registered"));
    setup_dialer("serial:/dev/null>modem:1?dial=gsm&init=AT&bearer=7,0,1");
    pmu_dialer_start(&d, 0);
    say(1, "OK\r\n");
    say(2, "OK\r\n");
    say(3, "OK\r\n");
    say(4, "OK\r\n");
    expect_out("AT+CBST=7,0,1\r");
    assert_int_equal(say(5, "ERROR\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "try another bearer"));
}

static void test_modem_hangup(void **state)
{
    (void)state;
    setup_dialer("serial:/dev/null>modem:555");
    init_ok();
    say(100, "CONNECT 9600\r\n");
    assert_int_equal(pmu_dialer_hangup(&d, 1000), PMU_DIALER_WORKING);
    assert_int_equal(d.out_len, 0);
    assert_int_equal(d.wake_at, 2100); /* quiet before "+++" */
    assert_int_equal(pmu_dialer_timer(&d, 2100), PMU_DIALER_WORKING);
    expect_out("+++");
    assert_int_equal(say(3300, "\r\nOK\r\n"), PMU_DIALER_WORKING);
    expect_out("ATH0\r");
    assert_int_equal(say(3400, "OK\r\n"), PMU_DIALER_HUNG_UP);
    /* not confirmed */
    setup_dialer("serial:/dev/null>modem:555");
    init_ok();
    say(100, "CONNECT\r\n");
    pmu_dialer_hangup(&d, 1000);
    pmu_dialer_timer(&d, 2100);
    assert_int_equal(pmu_dialer_timer(&d, 2100 + 1100 + 5000), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "did not confirm the hang-up"));
    /* by DTR: the engine drops it when it closes the port */
    setup_dialer("serial:/dev/null>modem:555?hangup=dtr");
    init_ok();
    say(100, "CONNECT\r\n");
    assert_int_equal(pmu_dialer_hangup(&d, 1000), PMU_DIALER_HUNG_UP);
}

static void test_pad(void **state)
{
    (void)state;
    setup_dialer("serial:/dev/null?baud=9600>pad:23531990100004?nui=AB12&reverse=1&cug=5");
    assert_int_equal(path.timeout_ms, 10000); /* PAKNET answers are slow */
    assert_int_equal(pmu_dialer_start(&d, 0), PMU_DIALER_WORKING);
    expect_out("CALL NAB12,R,G05-23531990100004\r");
    assert_int_equal(say(500, "\r\nCOM\r\n"), PMU_DIALER_CONNECTED);
    assert_int_equal(pmu_dialer_hangup(&d, 9000), PMU_DIALER_WORKING);
    expect_out("\x10");
    assert_int_equal(pmu_dialer_timer(&d, 9200), PMU_DIALER_WORKING);
    expect_out("CLR\r");
    assert_int_equal(say(9300, "CLR CONF\r\n"), PMU_DIALER_HUNG_UP);

    setup_dialer("serial:/dev/null>pad:23531990100004");
    pmu_dialer_start(&d, 0);
    expect_out("CALL 23531990100004\r");
    assert_int_equal(say(1, "CLR OCC\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "the number is busy (CLR OCC)"));
    setup_dialer("serial:/dev/null>pad:1");
    pmu_dialer_start(&d, 0);
    assert_int_equal(say(1, "CLR DER\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "out of order"));
    setup_dialer("serial:/dev/null>pad:1");
    pmu_dialer_start(&d, 0);
    assert_int_equal(say(1, "ERR\r\n"), PMU_DIALER_FAILED);
    assert_non_null(strstr(d.error.message, "rejected the call command"));
    assert_string_equal(pmu_dialer_clear_cause("NP"), "the number is not obtainable");
    assert_null(pmu_dialer_clear_cause("XYZ"));
}

static void test_chained_paths(void **state)
{
    (void)state;
    struct pmu_path p;
    struct pmu_error e;
    char buf[512];
    assert_int_equal(pmu_path_parse("serial:/dev/ttyS0?baud=9600>modem:0123?init=ATZ;AT%26D2&hangup=dtr", &p, &e), PMU_OK);
    assert_int_equal(p.dial.kind, PMU_DIAL_MODEM);
    assert_string_equal(p.dial.init, "ATZ;AT&D2");
    assert_int_equal(p.parity, PMU_PARITY_SOFT); /* a modem line carries 8N1 */
    assert_true(pmu_path_format(&p, buf, sizeof buf) > 0);
    assert_string_equal(buf, "serial:/dev/ttyS0?baud=9600>modem:0123?init=ATZ;AT%26D2&hangup=dtr");
    assert_int_equal(pmu_path_parse("tcp:10.1.1.1:2000>pad:23531990100122?cug=7", &p, &e), PMU_OK);
    assert_int_equal(pmu_path_format(&p, buf, sizeof buf) > 0, 1);
    assert_string_equal(buf, "tcp:10.1.1.1:2000>pad:23531990100122?cug=7");
    assert_int_equal(pmu_path_parse("serial:/dev/x>fax:1", &p, &e), PMU_E_SYNTAX);
    assert_non_null(strstr(e.message, "modem:NUMBER"));
    assert_int_equal(pmu_path_parse("serial:/dev/x>modem:12a", &p, &e), PMU_E_SYNTAX);
    assert_int_equal(e.offset, 22);
    assert_int_equal(pmu_path_parse("serial:/dev/x>pad:12?init=AT", &p, &e), PMU_E_SYNTAX);
    assert_non_null(strstr(e.message, "unknown pad option 'init'"));
    assert_int_equal(pmu_path_parse("serial:/dev/x>modem:1>pad:2", &p, &e), PMU_E_UNSUPPORTED);
    assert_int_equal(pmu_path_parse("serial:/dev/x>modem:1?init=%2", &p, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_path_parse("serial:/dev/x>pad:1?cug=100", &p, &e), PMU_E_RANGE);
}

/* A whole read through a modem: dial, sign on in software 7E1, readout, hang up. */
static void test_session_through_modem(void **state)
{
    (void)state;
    struct pmu_path mp;
    assert_int_equal(pmu_path_parse("serial:/dev/null?baud=9600&address=4>modem:0100000004?init=ATZ", &mp, NULL), PMU_OK);
    struct pmu_read_request req = {.readout = true};
    static struct pmu_session s;
    struct pmu_session_out out;
    assert_int_equal(pmu_session_init(&s, &mp, &req, NULL), PMU_OK);
    pmu_session_start(&s, 0, &out);
    assert_int_equal(out.parity, PMU_PARITY_NONE);
    assert_memory_equal(out.send, "ATZ\r", 4);
    pmu_session_input(&s, 10, (const uint8_t *)"OK\r\n", 4, &out);
    assert_memory_equal(out.send, "ATDT0100000004\r", 15);
    pmu_session_input(&s, 3000, (const uint8_t *)"CONNECT 9600\r\n", 14, &out);
    assert_int_equal(out.parity, PMU_PARITY_SOFT);
    assert_int_equal(out.send_len, 6);
    assert_memory_equal(out.send, "/?4!\r\n", 6);
    assert_int_equal(out.baud, 0); /* the rate behind a modem is fixed */
    pmu_session_input(&s, 3200, (const uint8_t *)"/OPM5SIM\r\n", 10, &out);
    pmu_session_timer(&s, out.wake_at, &out);
    assert_memory_equal(out.send, "\x06" "050\r\n", 6);
    uint8_t frame[64];
    long n = pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)"1.8.0(1)\r\n!\r\n", 13, false, frame, sizeof frame);
    pmu_session_input(&s, 3600, frame, (size_t)n, &out);
    assert_int_equal(s.stage, PMU_STAGE_HANGUP);
    assert_false(out.done);
    pmu_session_timer(&s, out.wake_at, &out);
    assert_int_equal(out.parity, PMU_PARITY_NONE);
    assert_memory_equal(out.send, "+++", 3);
    pmu_session_input(&s, 6000, (const uint8_t *)"OK\r\n", 4, &out);
    assert_memory_equal(out.send, "ATH0\r", 5);
    pmu_session_input(&s, 6100, (const uint8_t *)"OK\r\n", 4, &out);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    assert_true(s.hangup_confirmed);
    assert_int_equal(s.result.n_records, 1);
    pmu_session_free(&s);

    /* the carrier lost in the middle of the readout */
    assert_int_equal(pmu_session_init(&s, &mp, &req, NULL), PMU_OK);
    pmu_session_start(&s, 0, &out);
    pmu_session_input(&s, 10, (const uint8_t *)"OK\r\n", 4, &out);
    pmu_session_input(&s, 3000, (const uint8_t *)"CONNECT 9600\r\n", 14, &out);
    pmu_session_input(&s, 3200, (const uint8_t *)"\r\nNO CARRIER\r\n", 14, &out);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_IO);
    assert_non_null(strstr(s.error.message, "the modem lost the call"));
    pmu_session_free(&s);

    /* a busy number ends the session at the dial stage */
    assert_int_equal(pmu_session_init(&s, &mp, &req, NULL), PMU_OK);
    pmu_session_start(&s, 0, &out);
    pmu_session_input(&s, 10, (const uint8_t *)"OK\r\n", 4, &out);
    pmu_session_input(&s, 900, (const uint8_t *)"BUSY\r\n", 6, &out);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_REFUSED);
    assert_non_null(strstr(s.error.message, "(stage dial)"));
    pmu_session_free(&s);
}

/* Meters sharing one call: the first leaves with B0 and the call up; the next starts
 * on the open call with its own sign-on. */
static void test_session_keeps_the_call(void **state)
{
    (void)state;
    struct pmu_path mp;
    assert_int_equal(pmu_path_parse("serial:/dev/null?baud=9600&address=4>modem:0100000004?init=ATZ", &mp, NULL), PMU_OK);
    struct pmu_read_request req = {.readout = true};
    static struct pmu_session s;
    struct pmu_session_out out;
    assert_int_equal(pmu_session_init(&s, &mp, &req, NULL), PMU_OK);
    s.keep_call = true;
    pmu_session_start(&s, 0, &out);
    pmu_session_input(&s, 10, (const uint8_t *)"OK\r\n", 4, &out);
    pmu_session_input(&s, 3000, (const uint8_t *)"CONNECT 9600\r\n", 14, &out);
    pmu_session_input(&s, 3200, (const uint8_t *)"/OPM5SIM\r\n", 10, &out);
    pmu_session_timer(&s, out.wake_at, &out);
    uint8_t frame[64];
    long n = pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)"1.8.0(1)\r\n!\r\n", 13, false, frame, sizeof frame);
    pmu_session_input(&s, 3600, frame, (size_t)n, &out);
    pmu_session_timer(&s, out.wake_at, &out);
    assert_memory_equal(out.send, "\x01" "B0\x03q", 5); /* B0, not "+++" */
    pmu_session_timer(&s, out.wake_at, &out);
    assert_true(out.done);
    assert_true(s.connected); /* the call is left up */
    assert_int_equal(s.status, PMU_OK);
    pmu_session_free(&s);

    assert_int_equal(pmu_path_parse("serial:/dev/null?baud=9600&address=5>modem:0100000004?init=ATZ", &mp, NULL), PMU_OK);
    assert_int_equal(pmu_session_init(&s, &mp, &req, NULL), PMU_OK);
    pmu_session_start_connected(&s, 5000, &out);
    assert_int_equal(out.parity, PMU_PARITY_SOFT);
    assert_int_equal(out.send_len, 0);
    pmu_session_timer(&s, out.wake_at, &out);
    assert_int_equal(out.send_len, 6);
    assert_memory_equal(out.send, "/?5!\r\n", 6); /* no dialling: straight to the sign-on */
    pmu_session_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modem_connects),   cmocka_unit_test(test_modem_pulse_gsm_and_numeric_codes),
        cmocka_unit_test(test_modem_failures),   cmocka_unit_test(test_modem_hangup),
        cmocka_unit_test(test_pad),              cmocka_unit_test(test_chained_paths),
        cmocka_unit_test(test_session_through_modem),
        cmocka_unit_test(test_session_keeps_the_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
