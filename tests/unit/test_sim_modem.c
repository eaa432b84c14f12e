/* pmu-sim's Hayes modem and X.28 PAD state machines, driven with explicit times:
 * every AT command and result code, the +++ guard times, hang-up, the PAD's commands,
 * service signals, DLE escape and idle-timer forwarding, and every call fault. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pmu/sim.h"

/* ---- Helpers ------------------------------------------------------------------ */

static struct pmu_sim_call_config cfg;
static struct pmu_sim_modem modem;
static struct pmu_sim_pad pad;
static struct pmu_sim_call_action act;
static char host[4096];            /* what the last event sent the host */
static char far[4096];             /* ... and the far end */
static const int64_t T0 = 1705322096000; /* 2024-01-15T12:34:56 */

/* The phone book: 0100000001 / 23531990100001 answer, ...02 is in another call. */
static enum pmu_sim_callee lookup(void *ctx, const char *number, unsigned *target)
{
    (void)ctx;
    if (strcmp(number, "0100000001") == 0 || strcmp(number, "23531990100001") == 0) {
        *target = 7;
        return PMU_SIM_CALLEE_FREE;
    }
    if (strcmp(number, "0100000002") == 0 || strcmp(number, "23531990100002") == 0)
        return PMU_SIM_CALLEE_BUSY;
    return PMU_SIM_CALLEE_NONE;
}

static void take(enum pmu_status st)
{
    assert_int_equal(st, PMU_OK);
    assert_true(act.host_len < sizeof host && act.far_len < sizeof far);
    if (act.host_len > 0) /* the pointers may be NULL when there is nothing */
        memcpy(host, act.host, act.host_len);
    host[act.host_len] = '\0';
    if (act.far_len > 0)
        memcpy(far, act.far, act.far_len);
    far[act.far_len] = '\0';
}

static void modem_in(int64_t t, const char *s)
{
    take(pmu_sim_modem_input(&modem, t, (const uint8_t *)s, strlen(s), &act));
}

static void modem_timer(int64_t t)
{
    take(pmu_sim_modem_timer(&modem, t, &act));
}

static void pad_in(int64_t t, const char *s)
{
    take(pmu_sim_pad_input(&pad, t, (const uint8_t *)s, strlen(s), &act));
}

static void pad_timer(int64_t t)
{
    take(pmu_sim_pad_timer(&pad, t, &act));
}

static int setup_modem(void **state)
{
    (void)state;
    pmu_sim_call_config_init(&cfg, PMU_SIM_MODEM);
    pmu_sim_modem_init(&modem, &cfg, 1, lookup, NULL);
    return 0;
}

static int teardown_modem(void **state)
{
    (void)state;
    pmu_sim_modem_free(&modem);
    return 0;
}

static int setup_pad(void **state)
{
    (void)state;
    pmu_sim_call_config_init(&cfg, PMU_SIM_PAD);
    pmu_sim_pad_init(&pad, &cfg, 1, lookup, NULL);
    return 0;
}

static int teardown_pad(void **state)
{
    (void)state;
    pmu_sim_pad_free(&pad);
    return 0;
}

/* Dials 0100000001 at t and connects: returns the time of CONNECT. */
static int64_t connect_modem(int64_t t)
{
    modem_in(t, "ATE0\r");
    modem_in(t, "ATDT0100000001\r");
    assert_string_equal(host, "");
    assert_int_equal(act.deadline_ms, t + PMU_SIM_MODEM_CONNECT_MS);
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nCONNECT 9600\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_OPEN);
    assert_int_equal(act.target, 7);
    assert_true(pmu_sim_modem_in_call(&modem));
    return t + PMU_SIM_MODEM_CONNECT_MS;
}

/* ---- Modem: command mode ------------------------------------------------------- */

static void test_modem_commands(void **state)
{
    (void)state;
    modem_in(T0, "AT\r");
    assert_string_equal(host, "AT\r\r\nOK\r\n"); /* echo on by default */
    modem_in(T0, "ATZ\r");
    assert_string_equal(host, "ATZ\r\r\nOK\r\n");
    modem_in(T0, "ATE0V1Q0X4&D2&C1\r");
    assert_string_equal(host, "ATE0V1Q0X4&D2&C1\r\r\nOK\r\n"); /* echoed before E0 */
    modem_in(T0, "AT\r");
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "at&d2 &c1 x4\r"); /* case and spaces do not matter */
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "ATH\r");
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "ATH0\r");
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "ATS0=0S7=60\r");
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "AT+CPIN?\r");
    assert_string_equal(host, "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    modem_in(T0, "AT+CREG?\r");
    assert_string_equal(host, "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    modem_in(T0, "AT+CSQ\r");
    assert_string_equal(host, "\r\n+CSQ: 17,99\r\n\r\nOK\r\n");
    modem_in(T0, "AT+CBST=7,0,1\r");
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "AT+CBST=71,0,1\r");
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "AT+CBST=1,0,1\r");
    assert_string_equal(host, "\r\nERROR\r\n");
    /* the bytes of a command may come one by one, with parity in bit 7 */
    const uint8_t parity_at[] = {0x41, 0xD4, 0x8D}; /* 'A' 'T' CR, 7E1 */
    take(pmu_sim_modem_input(&modem, T0, parity_at, sizeof parity_at, &act));
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(T0, "A");
    modem_in(T0, "TX\bE0\r"); /* backspace edits the line */
    assert_string_equal(host, "\r\nOK\r\n");
}

static void test_modem_errors(void **state)
{
    (void)state;
    modem_in(T0, "ATE0\r");
    const char *bad[] = {"ATFOO\r", "ATH1\r", "ATE2\r", "AT&D9\r", "AT&Q0\r", "AT+CXYZ\r",
                         "ATD\r", "ATDT\r", "ATDT0100000001;\r", "ATDTABC\r", "ATS=1\r"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        modem_in(T0, bad[i]);
        assert_string_equal(host, "\r\nERROR\r\n");
        assert_false(pmu_sim_modem_in_call(&modem));
    }
    /* a line that is not a command gets no answer; an overlong one is an error */
    modem_in(T0, "hello\r");
    assert_string_equal(host, "");
    modem_in(T0, "\r");
    assert_string_equal(host, "");
    char lng[200] = "AT";
    memset(lng + 2, 'E', 150);
    lng[152] = '\r';
    lng[153] = '\0';
    modem_in(T0, lng);
    assert_string_equal(host, "\r\nERROR\r\n");
    modem_in(T0, "ATO\r"); /* no call to go back to */
    assert_string_equal(host, "\r\nNO CARRIER\r\n");
}

static void test_modem_numeric(void **state)
{
    (void)state;
    modem_in(T0, "ATE0V0\r");
    assert_string_equal(host, "ATE0V0\r0\r"); /* echoed before E0 took effect */
    modem_in(T0, "ATFOO\r");
    assert_string_equal(host, "4\r");
    modem_in(T0, "AT+CSQ\r");
    assert_string_equal(host, "+CSQ: 17,99\r\n0\r");
    modem_in(T0, "ATD0100000001\r");
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "12\r");
    take(pmu_sim_modem_far_gone(&modem, T0 + 5000, &act));
    assert_string_equal(host, "3\r");
    modem_in(T0 + 6000, "ATD0100000002\r");
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "7\r");
    modem_in(T0 + 9000, "ATD0177\r");
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "8\r");
    modem_in(T0 + 30000, "ATQ1\r"); /* quiet: no result codes at all */
    assert_string_equal(host, "");
    modem_in(T0 + 30000, "ATFOO\r");
    assert_string_equal(host, "");
    modem_in(T0 + 30000, "ATQ0Z\r");
    assert_string_equal(host, "\r\nOK\r\n"); /* ATZ: words again ... */
    modem_in(T0 + 30000, "AT\r");
    assert_string_equal(host, "AT\r\r\nOK\r\n"); /* ... and echo */
}

/* ---- Modem: calls ------------------------------------------------------------------ */

static void test_modem_dial(void **state)
{
    (void)state;
    int64_t t = connect_modem(T0);
    /* data mode: bytes pass both ways, AT means nothing */
    modem_in(t + 100, "/?!\r\n");
    assert_string_equal(far, "/?!\r\n");
    assert_string_equal(host, "");
    modem_in(t + 150, "AT\r");
    assert_string_equal(far, "AT\r");
    take(pmu_sim_modem_far_input(&modem, t + 400, (const uint8_t *)"/OPM5", 5, &act));
    assert_string_equal(host, "/OPM5");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    /* the far end hangs up */
    take(pmu_sim_modem_far_gone(&modem, t + 500, &act));
    assert_string_equal(host, "\r\nNO CARRIER\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_false(pmu_sim_modem_in_call(&modem));
    /* ATDP and ATD dial too */
    modem_in(t + 1000, "ATDP0100000001\r");
    modem_timer(t + 1000 + PMU_SIM_MODEM_CONNECT_MS);
    assert_string_equal(host, "\r\nCONNECT 9600\r\n");
    take(pmu_sim_modem_far_gone(&modem, t + 4000, &act));
    modem_in(t + 5000, "ATD0100000001\r");
    modem_timer(t + 5000 + PMU_SIM_MODEM_CONNECT_MS - 1); /* early: nothing */
    assert_string_equal(host, "");
    modem_timer(t + 5000 + PMU_SIM_MODEM_CONNECT_MS);
    assert_string_equal(host, "\r\nCONNECT 9600\r\n");
    /* dialling while in a call is refused */
    int64_t e = t + 8000;
    modem_in(e, "+++");
    modem_timer(e + PMU_SIM_GUARD_MS);
    modem_in(e + 1100, "ATD0100000001\r");
    assert_string_equal(host, "\r\nERROR\r\n");
}

static void test_modem_no_answer_busy_abort(void **state)
{
    (void)state;
    modem_in(T0, "ATE0\r");
    modem_in(T0, "ATDT0199999999\r"); /* nobody has this number */
    assert_int_equal(act.deadline_ms, T0 + PMU_SIM_NO_ANSWER_MS);
    modem_timer(T0 + PMU_SIM_NO_ANSWER_MS);
    assert_string_equal(host, "\r\nNO ANSWER\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_NONE);
    modem_in(T0 + 20000, "ATDT0100000002\r"); /* in another call */
    assert_int_equal(act.deadline_ms, T0 + 20000 + PMU_SIM_MODEM_CONNECT_MS);
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nBUSY\r\n");
    modem_in(T0 + 30000, "ATDT0100000001\r");
    modem_in(T0 + 30500, "x"); /* a key aborts the dial */
    assert_string_equal(host, "\r\nNO CARRIER\r\n");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    modem_in(T0 + 31000, "AT\r");
    assert_string_equal(host, "\r\nOK\r\n");
}

static void test_modem_escape(void **state)
{
    (void)state;
    int64_t t = connect_modem(T0);
    /* too soon after CONNECT: not an escape, the '+' go to the meter */
    modem_in(t + 500, "+++");
    assert_string_equal(far, "+++");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    /* a second of silence, +++, a second of silence: command mode, call kept */
    t += 2000;
    modem_in(t, "+++");
    assert_int_equal(act.deadline_ms, t + PMU_SIM_GUARD_MS);
    modem_timer(t + PMU_SIM_GUARD_MS - 1);
    assert_string_equal(host, "");
    modem_timer(t + PMU_SIM_GUARD_MS);
    assert_string_equal(host, "\r\nOK\r\n");
    assert_true(pmu_sim_modem_in_call(&modem));
    take(pmu_sim_modem_far_input(&modem, t + 1100, (const uint8_t *)"x", 1, &act));
    assert_string_equal(host, ""); /* the meter is not heard in command mode */
    modem_in(t + 1200, "ATO\r");
    assert_string_equal(host, "\r\nCONNECT 9600\r\n");
    modem_in(t + 1300, "data");
    assert_string_equal(far, "data");
    /* the '+' one by one, each within the guard time of the last */
    t += 5000;
    modem_in(t, "+");
    modem_in(t + 300, "+");
    modem_in(t + 600, "+");
    assert_int_equal(act.deadline_ms, t + 600 + PMU_SIM_GUARD_MS);
    /* a byte inside the guard time after: no escape */
    modem_in(t + 900, "B");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    modem_timer(t + 1600);
    assert_string_equal(host, "");
    /* a gap of a guard time between '+': no escape either */
    t += 5000;
    modem_in(t, "+");
    modem_in(t + PMU_SIM_GUARD_MS, "++");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    /* four '+' are not three */
    t += 5000;
    modem_in(t, "++++");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    /* now escape and hang up with ATH0 */
    t += 5000;
    modem_in(t, "+++");
    modem_timer(t + PMU_SIM_GUARD_MS);
    assert_string_equal(host, "\r\nOK\r\n");
    modem_in(t + 1500, "ATH0\r");
    assert_string_equal(host, "\r\nOK\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_false(pmu_sim_modem_in_call(&modem));
    modem_in(t + 1600, "ATO\r");
    assert_string_equal(host, "\r\nNO CARRIER\r\n");
}

static void test_modem_reset(void **state)
{
    (void)state;
    int64_t t = connect_modem(T0);
    pmu_sim_modem_reset(&modem, &act); /* the host's connection went (DTR) */
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_int_equal(act.host_len, 0);
    assert_false(pmu_sim_modem_in_call(&modem));
    modem_in(t, "AT\r");
    assert_string_equal(host, "AT\r\r\nOK\r\n"); /* factory settings: echo on */
    /* ATZ in online command mode hangs up too */
    t = connect_modem(t + 1000);
    modem_in(t + 2000, "+++");
    modem_timer(t + 3000);
    modem_in(t + 3100, "ATZ\r");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_string_equal(host, "\r\nOK\r\n");
}

/* ---- Modem: faults --------------------------------------------------------------- */

static void test_modem_faults(void **state)
{
    (void)state;
    modem_in(T0, "ATE0\r");
    cfg.faults[PMU_SIM_CALL_UNAVAILABLE] = 1;
    modem_in(T0, "ATDT0100000001\r");
    assert_int_equal(act.deadline_ms, T0 + PMU_SIM_NO_DIALTONE_MS);
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nNO DIALTONE\r\n");
    cfg.faults[PMU_SIM_CALL_UNAVAILABLE] = 0;

    cfg.faults[PMU_SIM_CALL_BUSY] = 1;
    modem_in(T0, "ATDT0100000001\r");
    assert_int_equal(act.deadline_ms, T0 + PMU_SIM_MODEM_CONNECT_MS);
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nBUSY\r\n");
    cfg.faults[PMU_SIM_CALL_BUSY] = 0;

    cfg.faults[PMU_SIM_CALL_NO_ANSWER] = 1;
    modem_in(T0, "ATDT0100000001\r");
    assert_int_equal(act.deadline_ms, T0 + PMU_SIM_NO_ANSWER_MS);
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nNO ANSWER\r\n");
    cfg.faults[PMU_SIM_CALL_NO_ANSWER] = 0;

    cfg.faults[PMU_SIM_CALL_SLOW] = 1;
    modem_in(T0, "ATDT0100000001\r");
    assert_int_equal(act.deadline_ms, T0 + PMU_SIM_SLOW_CONNECT_MS);
    modem_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nCONNECT 9600\r\n");
    take(pmu_sim_modem_far_gone(&modem, T0 + 40000, &act));
    cfg.faults[PMU_SIM_CALL_SLOW] = 0;

    cfg.faults[PMU_SIM_CALL_DROP] = 1;
    int64_t t = T0 + 50000;
    modem_in(t, "ATDT0100000001\r");
    modem_timer(t + PMU_SIM_MODEM_CONNECT_MS);
    assert_string_equal(host, "\r\nCONNECT 9600\r\n");
    int64_t drop = act.deadline_ms, connected = t + PMU_SIM_MODEM_CONNECT_MS;
    assert_true(drop >= connected + PMU_SIM_DROP_MIN_MS && drop <= connected + PMU_SIM_DROP_MAX_MS);
    modem_in(connected + 10, "data");
    assert_int_equal(act.deadline_ms, drop);
    modem_timer(drop);
    assert_string_equal(host, "\r\nNO CARRIER\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_false(pmu_sim_modem_in_call(&modem));

    /* the same seed and traffic drop the call at the same moment */
    int64_t drops[2];
    for (int k = 0; k < 2; k++) {
        struct pmu_sim_modem m;
        pmu_sim_modem_init(&m, &cfg, 5, lookup, NULL);
        take(pmu_sim_modem_input(&m, T0, (const uint8_t *)"ATD0100000001\r", 14, &act));
        take(pmu_sim_modem_timer(&m, T0 + PMU_SIM_MODEM_CONNECT_MS, &act));
        drops[k] = act.deadline_ms;
        pmu_sim_modem_free(&m);
    }
    assert_int_equal(drops[0], drops[1]);
}

static void test_call_faults_parse(void **state)
{
    (void)state;
    double p[PMU_SIM_CALL_FAULT_COUNT];
    struct pmu_error e;
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM,
                                               "busy=0.1,no_answer=0.2,no_dialtone=1,"
                                               "slow_connect=0.05,drop=0",
                                               p, &e),
                     PMU_OK);
    assert_true(p[PMU_SIM_CALL_BUSY] == 0.1 && p[PMU_SIM_CALL_UNAVAILABLE] == 1);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_PAD, "occ=1,nc=0.5,der=0.1,drop=1", p, &e),
                     PMU_OK);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM, "", p, &e), PMU_OK);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM, "occ=1", p, &e), PMU_E_SYNTAX);
    assert_non_null(strstr(e.message, "unknown modem fault 'occ'"));
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_PAD, "busy=1", p, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM, "busy=2", p, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM, "busy", p, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM, "busy=1,busy=1", p, &e),
                     PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_call_faults_parse(PMU_SIM_MODEM, "busy=1,", p, &e), PMU_E_SYNTAX);
    struct pmu_sim_call_config c;
    pmu_sim_call_config_init(&c, PMU_SIM_MODEM);
    assert_int_equal(pmu_sim_call_config_set(&c, "connect_ms", "500", &e), PMU_OK);
    assert_int_equal(c.connect_ms, 500);
    assert_int_equal(pmu_sim_call_config_set(&c, "connect_ms", "70000", &e), PMU_E_INVALID);
    assert_int_equal(pmu_sim_call_config_set(&c, "baud", "1", &e), PMU_E_INVALID);
    assert_string_equal(pmu_sim_call_fault_name(PMU_SIM_PAD, PMU_SIM_CALL_BUSY), "occ");
}

static void test_numbers(void **state)
{
    (void)state;
    char n[16];
    pmu_sim_dial_number(4, n);
    assert_string_equal(n, "0100000004");
    assert_int_equal(pmu_sim_dial_index(n), 4);
    pmu_sim_nua(4, n);
    assert_string_equal(n, "23531990100004");
    assert_int_equal(pmu_sim_nua_index(n), 4);
    assert_int_equal(pmu_sim_dial_index("010000000"), 0);
    assert_int_equal(pmu_sim_dial_index("0200000004"), 0);
    assert_int_equal(pmu_sim_nua_index("23531991100004"), 0);
    assert_int_equal(pmu_sim_nua_index("23531990100000"), 0);
}

/* ---- PAD ------------------------------------------------------------------------------- */

/* Calls 23531990100001 at t with `request`; returns the time of COM. */
static int64_t call_pad(int64_t t, const char *request)
{
    pad_in(t, request);
    assert_string_equal(host, ""); /* no echo, no prompt */
    assert_int_equal(act.deadline_ms, t + PMU_SIM_PAD_CONNECT_MS);
    pad_timer(act.deadline_ms);
    assert_string_equal(host, "\r\nCOM\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_OPEN);
    assert_int_equal(act.target, 7);
    assert_true(pmu_sim_pad_in_call(&pad));
    return t + PMU_SIM_PAD_CONNECT_MS;
}

static void test_pad_call_and_clear(void **state)
{
    (void)state;
    int64_t t = call_pad(T0, "CALL 23531990100001\r");
    pad_in(t + 10, "/?!\r\n");
    assert_string_equal(far, "/?!\r\n");
    /* DLE: PAD command state; CLR clears */
    pad_in(t + 100, "\x10");
    assert_string_equal(far, "");
    assert_true(pmu_sim_pad_in_call(&pad));
    pad_in(t + 110, "STAT\r");
    assert_string_equal(host, "\r\nENGAGED\r\n");
    pad_in(t + 120, "\r"); /* an empty command goes back to the call */
    assert_string_equal(host, "");
    pad_in(t + 130, "B0");
    assert_string_equal(far, "B0");
    pad_in(t + 140, "\x10" "CLR\r");
    assert_string_equal(host, "\r\nCLR CONF\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_false(pmu_sim_pad_in_call(&pad));
    pad_in(t + 200, "STAT\r");
    assert_string_equal(host, "\r\nFREE\r\n");
    pad_in(t + 210, "CLR\r"); /* no call: confirmed all the same */
    assert_string_equal(host, "\r\nCLR CONF\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_NONE);
    /* a bare NUA, facilities, lower case */
    t = call_pad(t + 1000, "23531990100001\r");
    pad_in(t, "\x10" "clr\r");
    t = call_pad(t + 1000, "call n12345678,r,g01-23531990100001\r");
    pad_in(t, "\x10");
    pad_in(t, "23531990100001\r"); /* engaged: no second call */
    assert_string_equal(host, "\r\nERR\r\n");
    pad_in(t, "CLR\r");
}

static void test_pad_errors_and_clears(void **state)
{
    (void)state;
    const char *bad[] = {"HELLO\r", "CALL\r", "CALL 2353X\r", "Q-23531990100001\r",
                         "G1-23531990100001\r", "N-23531990100001\r", "-23531990100001\r",
                         "R-\r", "1234567890123456\r"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pad_in(T0, bad[i]);
        assert_string_equal(host, "\r\nERR\r\n");
    }
    pad_in(T0, "\r"); /* empty: nothing */
    assert_string_equal(host, "");
    pad_in(T0, "23531990199999\r"); /* nobody */
    pad_timer(T0 + PMU_SIM_PAD_CONNECT_MS);
    assert_string_equal(host, "\r\nCLR NP\r\n");
    pad_in(T0, "23531990100002\r"); /* in another call */
    pad_in(T0 + 10, "ignored while calling\r");
    assert_string_equal(host, "");
    pad_timer(T0 + PMU_SIM_PAD_CONNECT_MS);
    assert_string_equal(host, "\r\nCLR OCC\r\n");
    /* the meter hangs up: CLR DTE, after what it had sent */
    int64_t t = call_pad(T0 + 5000, "23531990100001\r");
    take(pmu_sim_pad_far_input(&pad, t + 10, (const uint8_t *)"abc", 3, &act));
    take(pmu_sim_pad_far_gone(&pad, t + 20, &act));
    assert_string_equal(host, "abc\r\nCLR DTE\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
}

static void test_pad_forwarding(void **state)
{
    (void)state;
    int64_t t = call_pad(T0, "23531990100001\r");
    take(pmu_sim_pad_far_input(&pad, t + 100, (const uint8_t *)"/OPM", 4, &act));
    assert_string_equal(host, "");
    assert_int_equal(act.deadline_ms, t + 100 + PMU_SIM_PAD_IDLE_MS);
    take(pmu_sim_pad_far_input(&pad, t + 120, (const uint8_t *)"5OPEN", 5, &act));
    assert_int_equal(act.deadline_ms, t + 120 + PMU_SIM_PAD_IDLE_MS); /* restarts */
    pad_timer(t + 169);
    assert_string_equal(host, "");
    pad_timer(t + 170);
    assert_string_equal(host, "/OPM5OPEN");
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    /* a full packet leaves at once */
    uint8_t block[PMU_SIM_PAD_FORWARD_MAX];
    memset(block, 'x', sizeof block);
    take(pmu_sim_pad_far_input(&pad, t + 300, block, 100, &act));
    assert_int_equal(act.host_len, 0);
    take(pmu_sim_pad_far_input(&pad, t + 310, block, 28, &act));
    assert_int_equal(act.host_len, PMU_SIM_PAD_FORWARD_MAX);
    assert_int_equal(act.deadline_ms, PMU_SIM_NEVER);
    /* in PAD command state the meter is not heard */
    pad_in(t + 400, "\x10");
    take(pmu_sim_pad_far_input(&pad, t + 410, (const uint8_t *)"zz", 2, &act));
    pad_timer(t + 500);
    assert_string_equal(host, "");
}

static void test_pad_faults(void **state)
{
    (void)state;
    const struct {
        enum pmu_sim_call_fault f;
        const char *signal;
    } at_call[] = {{PMU_SIM_CALL_UNAVAILABLE, "\r\nCLR DER\r\n"},
                   {PMU_SIM_CALL_BUSY, "\r\nCLR OCC\r\n"},
                   {PMU_SIM_CALL_NO_ANSWER, "\r\nCLR NC\r\n"}};
    for (size_t i = 0; i < 3; i++) {
        cfg.faults[at_call[i].f] = 1;
        pad_in(T0, "23531990100001\r");
        pad_timer(T0 + PMU_SIM_PAD_CONNECT_MS);
        assert_string_equal(host, at_call[i].signal);
        assert_int_equal(act.call, PMU_SIM_CALL_NONE);
        cfg.faults[at_call[i].f] = 0;
    }
    cfg.faults[PMU_SIM_CALL_SLOW] = 1;
    pad_in(T0, "23531990100001\r");
    assert_int_equal(act.deadline_ms, T0 + PMU_SIM_SLOW_CONNECT_MS);
    pad_timer(T0 + PMU_SIM_SLOW_CONNECT_MS);
    assert_string_equal(host, "\r\nCOM\r\n");
    pad_in(T0 + 31000, "\x10" "CLR\r");
    cfg.faults[PMU_SIM_CALL_SLOW] = 0;
    /* cleared mid-session: CLR DER, waiting bytes are lost with the call */
    cfg.faults[PMU_SIM_CALL_DROP] = 1;
    int64_t t = call_pad(T0 + 40000, "23531990100001\r");
    int64_t drop = act.deadline_ms;
    assert_true(drop >= t + PMU_SIM_DROP_MIN_MS && drop <= t + PMU_SIM_DROP_MAX_MS);
    take(pmu_sim_pad_far_input(&pad, drop - 10, (const uint8_t *)"abc", 3, &act));
    pad_timer(drop);
    assert_string_equal(host, "\r\nCLR DER\r\n");
    assert_int_equal(act.call, PMU_SIM_CALL_CLOSE);
    assert_false(pmu_sim_pad_in_call(&pad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_modem_commands, setup_modem, teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_errors, setup_modem, teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_numeric, setup_modem, teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_dial, setup_modem, teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_no_answer_busy_abort, setup_modem,
                                        teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_escape, setup_modem, teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_reset, setup_modem, teardown_modem),
        cmocka_unit_test_setup_teardown(test_modem_faults, setup_modem, teardown_modem),
        cmocka_unit_test(test_call_faults_parse),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test_setup_teardown(test_pad_call_and_clear, setup_pad, teardown_pad),
        cmocka_unit_test_setup_teardown(test_pad_errors_and_clears, setup_pad, teardown_pad),
        cmocka_unit_test_setup_teardown(test_pad_forwarding, setup_pad, teardown_pad),
        cmocka_unit_test_setup_teardown(test_pad_faults, setup_pad, teardown_pad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
