/* The generic session state machine, driven directly: the test plays the meter byte
 * for byte and the clock millisecond for millisecond. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pmu/session.h"

static struct pmu_session s;
static struct pmu_session_out out;
static uint8_t frame[512];

static void setup_session(const char *path_text, const struct pmu_read_request *req)
{
    struct pmu_path path;
    assert_int_equal(pmu_path_parse(path_text, &path, NULL), PMU_OK);
    assert_int_equal(pmu_session_init(&s, &path, req, NULL), PMU_OK);
}

static int teardown(void **state)
{
    (void)state;
    pmu_session_free(&s);
    return 0;
}

static void expect_send(const void *bytes, size_t len)
{
    if (out.send_len != len || memcmp(out.send, bytes, len) != 0)
        fail_msg("sent %zu bytes [%.*s], expected %zu [%.*s]", out.send_len, (int)out.send_len,
                 (const char *)out.send, len, (int)len, (const char *)bytes);
}

#define EXPECT_SEND(lit) expect_send(lit, sizeof(lit) - 1)

static void meter(uint64_t t, const void *bytes, size_t len)
{
    pmu_session_input(&s, t, bytes, len, &out);
}

#define METER(t, lit) meter(t, lit, sizeof(lit) - 1)

/* The meter sends STX data ETX BCC (or EOT when partial). */
static void meter_data(uint64_t t, const char *data, bool partial)
{
    long n = pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)data, strlen(data), partial,
                                frame, sizeof frame);
    meter(t, frame, (size_t)n);
}

static void meter_command(uint64_t t, const char *cmd, const char *data)
{
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, cmd, (const uint8_t *)data,
                                   data ? strlen(data) : 0, frame, sizeof frame);
    meter(t, frame, (size_t)n);
}

static void tick(uint64_t t)
{
    pmu_session_timer(&s, t, &out);
}

/* Runs the timer at each wake-up until something is sent or the session ends. */
static uint64_t run_until_send(void)
{
    uint64_t t = 0;
    for (int i = 0; i < 10; i++) {
        assert_true(out.wake_at != 0);
        t = out.wake_at;
        tick(t);
        if (out.send_len > 0 || out.done)
            break;
    }
    return t;
}

static void expect_command(const char *cmd, const char *data)
{
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, cmd, (const uint8_t *)data,
                                   data ? strlen(data) : 0, frame, sizeof frame);
    expect_send(frame, (size_t)n);
}

static void test_mode_c_readout(void **state)
{
    (void)state;
    struct pmu_read_request req = {.readout = true};
    setup_session("serial:/dev/null?address=12345678", &req);
    pmu_session_start(&s, 1000, &out);
    EXPECT_SEND("/?12345678!\r\n");
    assert_int_equal(out.baud, 0);
    assert_int_equal(out.wake_at, 1000 + pmu_wire_ms(13, 300) + 1500);
    METER(1700, "/OPM5SIM\r\n");
    assert_int_equal(out.send_len, 0);
    assert_int_equal(out.wake_at, 1900); /* the reaction time */
    tick(1900);
    EXPECT_SEND("\x06" "050\r\n");       /* readout at 9600, sent at the old rate */
    assert_int_equal(out.baud, 0);
    assert_int_equal(out.wake_at, 1900 + 200);
    tick(2100);
    assert_int_equal(out.baud, 9600);    /* switched once the option select has left */
    meter_data(2400, "1.8.0(001234.567*kWh)\r\n0.9.1(120000)\r\n!\r\n", false);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    assert_true(s.has_ident);
    assert_string_equal(s.ident.manufacturer, "OPM");
    assert_int_equal(s.result.n_records, 2);
    assert_string_equal(s.result.records[0].values[0].text, "001234.567");
    assert_true(s.result.ended);
}

static void signon_to_p0(uint64_t *t)
{
    pmu_session_start(&s, 0, &out);
    EXPECT_SEND("/?!\r\n");
    METER(500, "/OPM5SIM\r\n");
    tick(700);
    EXPECT_SEND("\x06" "051\r\n");
    tick(900);
    assert_int_equal(out.baud, 9600);
    meter_command(1100, "P0", "(OPM00000001)");
    assert_int_equal(out.wake_at, 1300);
    tick(1300);
    expect_command("P1", "(secret12)");
    assert_int_equal(out.secret_off, 4);
    assert_int_equal(out.secret_len, 10);
    *t = 1300;
}

static void test_programming_registers_and_profile(void **state)
{
    (void)state;
    static const char *codes[] = {"1.8.0", "9.9.9"};
    struct pmu_read_request req = {.codes = codes, .n_codes = 2, .profile = true,
                                   .password = "secret12", .has_from = true};
    pmu_timestamp_parse("2401150000", 10, &req.from, NULL);
    setup_session("serial:/dev/null", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    tick(1600);
    expect_command("R1", "1.8.0()");
    meter_data(1700, "1.8.0(000100.000*kWh)", false);
    tick(1900);
    expect_command("R1", "9.9.9()");
    meter_data(2000, "(ERROR)", false);
    tick(2200);
    expect_command("R5", "P.01(02401150000;)");
    /* the profile comes in two blocks: the first is acknowledged */
    meter_data(2300, "P.01(02401150030)(00)(30)(1)(1.29.0)(kWh)\r\n(0.100)\r\n", true);
    tick(2500);
    EXPECT_SEND("\x06");
    meter_data(2600, "(0.200)\r\n", false);
    tick(2800);
    expect_command("B0", NULL);
    assert_false(out.done);
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    assert_int_equal(s.result.n_records, 1);
    assert_int_equal(s.n_misses, 1);
    assert_string_equal(s.misses[0].code, "9.9.9");
    assert_int_equal(s.result.n_profiles, 1);
    assert_int_equal(s.result.profiles[0].n_rows, 2);
    assert_string_equal(s.result.profiles[0].rows[1].values[0].text, "0.200");
}

static void test_wrong_password(void **state)
{
    (void)state;
    static const char *codes[] = {"1.8.0"};
    struct pmu_read_request req = {.codes = codes, .n_codes = 1, .password = "secret12"};
    setup_session("serial:/dev/null", &req);
    uint64_t t;
    signon_to_p0(&t);
    meter_data(1400, "(ERROR)", false);
    expect_command("B0", NULL); /* told at once, no reaction wait needed */
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_REFUSED);
    assert_non_null(strstr(s.error.message, "refused the password"));
}

static void test_bad_bcc_then_good(void **state)
{
    (void)state;
    struct pmu_read_request req = {.readout = true};
    setup_session("serial:/dev/null", &req);
    pmu_session_start(&s, 0, &out);
    METER(500, "/OPM5SIM\r\n");
    tick(700);
    tick(900);
    meter(1000, "\x02" "1.8.0(1)\r\n!\r\n\x03" "Z", 16); /* wrong BCC */
    assert_int_equal(out.wake_at, 1200);
    tick(1200);
    EXPECT_SEND("\x15");                                /* NAK: repeat, please */
    meter_data(1500, "1.8.0(1)\r\n!\r\n", false);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    assert_int_equal(s.result.n_records, 1);
}

static void test_timeouts_give_up_with_b0(void **state)
{
    (void)state;
    static const char *codes[] = {"1.8.0"};
    struct pmu_read_request req = {.codes = codes, .n_codes = 1, .password = "secret12"};
    setup_session("serial:/dev/null?retries=2", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    tick(1600);
    expect_command("R1", "1.8.0()");
    for (int i = 0; i < 2; i++) { /* silence: the request is repeated twice */
        run_until_send();
        expect_command("R1", "1.8.0()");
    }
    run_until_send();
    expect_command("B0", NULL);
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_TIMEOUT);
    assert_non_null(strstr(s.error.message, "no answer to the register request"));
}

static void test_no_ident_restarts_then_fails(void **state)
{
    (void)state;
    struct pmu_read_request req = {.readout = true};
    setup_session("serial:/dev/null?retries=1", &req);
    pmu_session_start(&s, 0, &out);
    EXPECT_SEND("/?!\r\n");
    uint64_t t = run_until_send();
    expect_command("B0", NULL);         /* after a failed sign-on: B0 ... */
    uint64_t t2 = run_until_send();
    EXPECT_SEND("/?!\r\n");             /* ... then 2 s, then sign on again */
    assert_true(t2 >= t + 2000);
    run_until_send();
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_TIMEOUT);
    assert_non_null(strstr(s.error.message, "no identification"));
}

static void test_mode_b_and_a(void **state)
{
    (void)state;
    struct pmu_read_request req = {.readout = true};
    setup_session("serial:/dev/null", &req);
    pmu_session_start(&s, 0, &out);
    METER(500, "/OPME SIM\r\n");          /* mode B, 9600 */
    assert_int_equal(out.baud, 9600);      /* switch at once, no option select */
    assert_int_equal(out.send_len, 0);
    meter_data(900, "1.8.0(5)\r\n!\r\n", false);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    teardown(NULL);

    static const char *codes[] = {"1.8.0"};
    struct pmu_read_request prog = {.codes = codes, .n_codes = 1, .password = "x"};
    setup_session("serial:/dev/null", &prog);
    pmu_session_start(&s, 0, &out);
    METER(500, "/OPM:SIM\r\n");           /* mode A: readout only */
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_UNSUPPORTED);
    assert_non_null(strstr(s.error.message, "mode A"));
}

static void test_tcp_never_switches(void **state)
{
    (void)state;
    struct pmu_read_request req = {.readout = true};
    setup_session("tcp:127.0.0.1:1?address=7", &req);
    pmu_session_start(&s, 0, &out);
    EXPECT_SEND("/?7!\r\n");
    METER(100, "/OPM5SIM\r\n");
    tick(300);
    EXPECT_SEND("\x06" "050\r\n");
    assert_int_equal(out.wake_at, 300 + pmu_wire_ms(6, 9600) + 1500); /* no switch pending */
    meter_data(600, "1.8.0(5)\r\n!\r\n", false);
    assert_true(out.done);
    assert_int_equal(out.baud, 0);
}

static void test_wrong_code_in_answer_is_not_accepted(void **state)
{
    (void)state;
    static const char *codes[] = {"1.8.0"};
    struct pmu_read_request req = {.codes = codes, .n_codes = 1, .password = "secret12"};
    setup_session("serial:/dev/null", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    tick(1600);
    meter_data(1700, "2.8.0(000100.000*kWh)", false);
    tick(1900);
    EXPECT_SEND("\x15");
    meter_data(2000, "1.8.0(000100.000*kWh)", false);
    assert_int_equal(s.result.n_records, 1);
    assert_string_equal(s.result.records[0].address, "1.8.0");
}

static void test_init_errors(void **state)
{
    (void)state;
    struct pmu_path path;
    struct pmu_error e;
    pmu_path_parse("serial:/dev/null", &path, NULL);
    struct pmu_read_request none = {0};
    assert_int_equal(pmu_session_init(&s, &path, &none, &e), PMU_E_INVALID);
    assert_non_null(strstr(e.message, "nothing to read"));
    static const char *codes[] = {"1.8.0"};
    struct pmu_read_request nopw = {.codes = codes, .n_codes = 1};
    assert_int_equal(pmu_session_init(&s, &path, &nopw, &e), PMU_E_INVALID);
    assert_non_null(strstr(e.message, "password"));
    pmu_session_free(&s);
    memset(&s, 0, sizeof s);
}

/* ---- W1 writes with read-back ---- */

static void expect_write_step(uint64_t t, const char *cmd, const char *data)
{
    tick(t);
    expect_command(cmd, data);
}

static void test_writes_verified_then_reads(void **state)
{
    (void)state;
    static const char *codes[] = {"1.8.0"};
    static const struct pmu_iec_write writes[] = {
        {.address = "0.4.2", .value = "400", .verify = true},
        {.address = "128.4.1", .value = "1-0:1.8.0*255", .verify = true},
        {.address = "128.0.1", .value = "", .verify = false},
    };
    struct pmu_read_request req = {.codes = codes, .n_codes = 1, .password = "secret12",
                                   .writes = writes, .n_writes = 3};
    setup_session("serial:/dev/null", &req);
    assert_int_equal(s.n_writes, 3);
    assert_int_equal(s.writes[2].verdict, PMU_IEC_WRITE_PENDING);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    expect_write_step(1600, "R1", "0.4.2()");              /* the value before */
    assert_int_equal(s.stage, PMU_STAGE_WRITES);
    meter_data(1700, "0.4.2(200)", false);
    expect_write_step(1900, "W1", "0.4.2(400)");
    METER(2000, "\x06");
    assert_int_equal(s.writes[0].verdict, PMU_IEC_WRITE_ACCEPTED);
    expect_write_step(2200, "R1", "0.4.2()");              /* read back */
    meter_data(2300, "0.4.2(400)", false);
    assert_int_equal(s.writes[0].verdict, PMU_IEC_WRITE_VERIFIED);
    expect_write_step(2500, "R1", "128.4.1()");
    meter_data(2600, "(ERROR)", false);                    /* no value before: write anyway */
    expect_write_step(2800, "W1", "128.4.1(1-0:1.8.0*255)");
    METER(2900, "\x06");
    expect_write_step(3100, "R1", "128.4.1()");
    meter_data(3200, "128.4.1(1-0:1.8.0*255)", false);    /* '*' is part of the value */
    expect_write_step(3400, "W1", "128.0.1()");            /* verify off: no reads */
    METER(3500, "\x06");
    expect_write_step(3700, "R1", "1.8.0()");              /* then the reads */
    meter_data(3800, "1.8.0(000100.000*kWh)", false);
    expect_write_step(4000, "B0", NULL);
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    assert_true(s.writes[0].has_before);
    assert_string_equal(s.writes[0].before, "200");
    assert_string_equal(s.writes[0].written, "400");
    assert_string_equal(s.writes[0].after, "400");
    assert_false(s.writes[1].has_before);
    assert_non_null(strstr(s.writes[1].message, "ERROR"));
    assert_int_equal(s.writes[1].verdict, PMU_IEC_WRITE_VERIFIED);
    assert_int_equal(s.writes[2].verdict, PMU_IEC_WRITE_ACCEPTED);
    assert_false(s.writes[2].has_after);
    assert_int_equal(s.result.n_records, 1);
    assert_string_equal(pmu_iec_verdict_name(s.writes[1].verdict), "verified");
}

static void test_write_refused_stops_the_rest(void **state)
{
    (void)state;
    static const struct pmu_iec_write writes[] = {
        {.address = "0.8.0", .value = "30", .verify = false},
        {.address = "9.9.9", .value = "1", .verify = false},
        {.address = "0.2.1", .value = "S1", .verify = false},
    };
    struct pmu_read_request req = {.password = "secret12", .writes = writes, .n_writes = 3};
    setup_session("serial:/dev/null", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    expect_write_step(1600, "W1", "0.8.0(30)");
    METER(1700, "\x06");
    expect_write_step(1900, "W1", "9.9.9(1)");
    meter_data(2000, "(ERROR)", false);
    expect_command("B0", NULL);                            /* at once, the session ends cleanly */
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_REFUSED);
    assert_non_null(strstr(s.error.message, "write 2 of 3, 9.9.9(1)"));
    assert_int_equal(s.writes[0].verdict, PMU_IEC_WRITE_ACCEPTED);
    assert_int_equal(s.writes[1].verdict, PMU_IEC_WRITE_REFUSED);
    assert_non_null(strstr(s.writes[1].message, "(ERROR)"));
    assert_int_equal(s.writes[2].verdict, PMU_IEC_WRITE_PENDING);
}

static void test_write_mismatch_stops_the_rest(void **state)
{
    (void)state;
    static const struct pmu_iec_write writes[] = {
        {.address = "0.8.4", .value = "15", .verify = true},
        {.address = "0.2.1", .value = "S1", .verify = true},
    };
    struct pmu_read_request req = {.password = "secret12", .writes = writes, .n_writes = 2};
    setup_session("serial:/dev/null", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    expect_write_step(1600, "R1", "0.8.4()");
    meter_data(1700, "0.8.4(30)", false);
    expect_write_step(1900, "W1", "0.8.4(15)");
    METER(2000, "\x06");
    expect_write_step(2200, "R1", "0.8.4()");
    meter_data(2300, "0.8.4(015)", false);                /* not exactly what was written */
    expect_command("B0", NULL);
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_PROTOCOL);
    assert_int_equal(s.writes[0].verdict, PMU_IEC_WRITE_MISMATCH);
    assert_string_equal(s.writes[0].before, "30");
    assert_string_equal(s.writes[0].after, "015");
    assert_non_null(strstr(s.writes[0].message, "read back (015)"));
    assert_int_equal(s.writes[1].verdict, PMU_IEC_WRITE_PENDING);
}

static void test_write_nak_bad_bcc_and_timeout_repeat(void **state)
{
    (void)state;
    static const struct pmu_iec_write writes[] = {{.address = "0.4.5", .value = "5", .verify = true}};
    struct pmu_read_request req = {.password = "secret12", .writes = writes, .n_writes = 1};
    setup_session("serial:/dev/null?retries=2", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    expect_write_step(1600, "R1", "0.4.5()");
    meter_data(1700, "0.4.5(1)", false);
    expect_write_step(1900, "W1", "0.4.5(5)");
    METER(2000, "\x15");                                   /* NAK: the write is repeated */
    expect_write_step(2200, "W1", "0.4.5(5)");
    t = run_until_send();                                  /* silence: the write goes again */
    expect_command("W1", "0.4.5(5)");
    METER(t + 100, "\x06");
    tick(t + 300);
    expect_command("R1", "0.4.5()");
    meter(t + 400, "\x02" "0.4.5(5)\x03" "Z", 11);         /* bad BCC: NAK */
    tick(t + 600);
    EXPECT_SEND("\x15");
    meter_data(t + 700, "0.4.5(5)", false);
    tick(t + 900);
    expect_command("B0", NULL);
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_OK);
    assert_int_equal(s.writes[0].verdict, PMU_IEC_WRITE_VERIFIED);
    assert_int_equal(s.repeats, 3);
}

static void test_write_refused_after_naks(void **state)
{
    (void)state;
    static const struct pmu_iec_write writes[] = {{.address = "0.4.5", .value = "5", .verify = false},
                                                  {.address = "0.2.1", .value = "S", .verify = false}};
    struct pmu_read_request req = {.password = "secret12", .writes = writes, .n_writes = 2};
    setup_session("serial:/dev/null?retries=1", &req);
    uint64_t t;
    signon_to_p0(&t);
    METER(1400, "\x06");
    expect_write_step(1600, "W1", "0.4.5(5)");
    METER(1700, "\x15");
    expect_write_step(1900, "W1", "0.4.5(5)");
    METER(2000, "\x15");                                   /* retries used up: refused */
    expect_command("B0", NULL);
    tick(out.wake_at);
    assert_true(out.done);
    assert_int_equal(s.status, PMU_E_REFUSED);
    assert_int_equal(s.writes[0].verdict, PMU_IEC_WRITE_REFUSED);
    assert_non_null(strstr(s.writes[0].message, "NAK 2 times"));
    assert_int_equal(s.writes[1].verdict, PMU_IEC_WRITE_PENDING);
}

static void test_write_init_errors(void **state)
{
    (void)state;
    struct pmu_path path;
    struct pmu_error e;
    pmu_path_parse("serial:/dev/null", &path, NULL);
    static const struct pmu_iec_write w[] = {{.address = "0.2.1", .value = "123456789012345678901234567890123"}};
    struct pmu_read_request nopw = {.writes = w, .n_writes = 1};
    assert_int_equal(pmu_session_init(&s, &path, &nopw, &e), PMU_E_INVALID);
    assert_non_null(strstr(e.message, "password"));
    struct pmu_read_request toolong = {.writes = w, .n_writes = 1, .password = "x"};
    assert_int_equal(pmu_session_init(&s, &path, &toolong, &e), PMU_E_INVALID);
    assert_non_null(strstr(e.message, "longer than 32"));
    static const struct pmu_iec_write paren[] = {{.address = "0.2.1", .value = "a)b"}};
    struct pmu_read_request bad = {.writes = paren, .n_writes = 1, .password = "x"};
    assert_int_equal(pmu_session_init(&s, &path, &bad, &e), PMU_E_INVALID);
    memset(&s, 0, sizeof s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_mode_c_readout, teardown),
        cmocka_unit_test_teardown(test_programming_registers_and_profile, teardown),
        cmocka_unit_test_teardown(test_wrong_password, teardown),
        cmocka_unit_test_teardown(test_bad_bcc_then_good, teardown),
        cmocka_unit_test_teardown(test_timeouts_give_up_with_b0, teardown),
        cmocka_unit_test_teardown(test_no_ident_restarts_then_fails, teardown),
        cmocka_unit_test_teardown(test_mode_b_and_a, teardown),
        cmocka_unit_test_teardown(test_tcp_never_switches, teardown),
        cmocka_unit_test_teardown(test_wrong_code_in_answer_is_not_accepted, teardown),
        cmocka_unit_test_teardown(test_init_errors, teardown),
        cmocka_unit_test_teardown(test_writes_verified_then_reads, teardown),
        cmocka_unit_test_teardown(test_write_refused_stops_the_rest, teardown),
        cmocka_unit_test_teardown(test_write_mismatch_stops_the_rest, teardown),
        cmocka_unit_test_teardown(test_write_nak_bad_bcc_and_timeout_repeat, teardown),
        cmocka_unit_test_teardown(test_write_refused_after_naks, teardown),
        cmocka_unit_test_teardown(test_write_init_errors, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
