/* Line pools, the pure parts: pool definitions (pmu_pool_parse), "pool:NAME" comms
 * paths, and which dialling failures are the line's fault (they take a pool line out
 * of service) rather than the called number's (they are retried on another line). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lines.h" /* src/engine: the pool bookkeeping, pure */
#include "pmu/dialer.h"
#include "pmu/path.h"
#include "pmu/pool.h"

static void test_parse_full(void **state)
{
    (void)state;
    struct pmu_pool p;
    struct pmu_error e;
    assert_int_equal(pmu_pool_parse("modems=serial:/dev/ttyS0?baud=9600,tcp:10.0.0.9:7001,tcp:[::1]:7002;"
                                    "retries=2&retry_delay_ms=60000&bad_after=5&max_calls=2&calls_per_line=1",
                                    &p, &e), PMU_OK);
    assert_string_equal(p.name, "modems");
    assert_int_equal(p.n_lines, 3);
    assert_int_equal(p.lines[0].kind, PMU_LINK_SERIAL);
    assert_string_equal(p.lines[0].target, "/dev/ttyS0");
    assert_int_equal(p.lines[0].baud, 9600);
    assert_int_equal(p.lines[1].kind, PMU_LINK_TCP);
    assert_int_equal(p.lines[1].port, 7001);
    assert_string_equal(p.lines[2].target, "::1");
    assert_int_equal(p.retries, 2);
    assert_int_equal(p.retry_delay_ms, 60000);
    assert_int_equal(p.bad_after, 5);
    assert_int_equal(p.max_calls, 2);
    char name[300];
    pmu_pool_line_name(&p.lines[0], name, sizeof name);
    assert_string_equal(name, "serial:/dev/ttyS0");
    pmu_pool_line_name(&p.lines[2], name, sizeof name);
    assert_string_equal(name, "tcp:[::1]:7002");
    pmu_pool_free(&p);
}

static void test_parse_defaults(void **state)
{
    (void)state;
    struct pmu_pool p;
    assert_int_equal(pmu_pool_parse("a=serial:/dev/ttyS0", &p, NULL), PMU_OK);
    assert_int_equal(p.n_lines, 1);
    assert_int_equal(p.max_calls, 0);
    assert_int_equal(p.calls_per_line, 1);
    assert_int_equal(p.retries, 3);
    assert_int_equal(p.retry_delay_ms, 30000);
    assert_int_equal(p.bad_after, 3);
    pmu_pool_free(&p);
}

/* Every mistake is refused with a message that says where and what. */
static void bad(const char *text, size_t offset, const char *words)
{
    struct pmu_pool p;
    struct pmu_error e;
    enum pmu_status st = pmu_pool_parse(text, &p, &e);
    pmu_pool_free(&p);
    if (st == PMU_OK)
        fail_msg("'%s' was accepted", text);
    if (strstr(e.message, words) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", text, e.message, words);
    if (e.offset != offset)
        fail_msg("'%s': offset %zu, expected %zu (%s)", text, e.offset, offset, e.message);
}

static void test_parse_errors(void **state)
{
    (void)state;
    bad("modems", 6, "NAME=LINE");
    bad("=serial:/dev/x", 0, "pool name");
    bad("mo dems=serial:/dev/x", 2, "cannot be in a pool name");
    bad("m=", 2, "line 1 is empty");
    bad("m=serial:/dev/a,,serial:/dev/b", 16, "line 2 is empty");
    bad("m=serial:/dev/a,serial:/dev/a", 16, "line 2 is line 1 again");
    bad("m=tcp:host", 10, "line 1: expected ':port'");
    bad("m=serial:/dev/a?baud=1234", 16, "line 1: option 'baud'");
    bad("m=serial:/dev/a>modem:123", 15, "link only");
    bad("m=serial:/dev/a;retries=99", 24, "0..20");
    bad("m=serial:/dev/a;retries=1&retries=2", 26, "given twice");
    bad("m=serial:/dev/a;colour=red", 16, "unknown pool option 'colour'");
    bad("m=serial:/dev/a;", 16, "options after ';'");
    bad("m=serial:/dev/a;retries=1&", 26, "option after '&'");
    bad("m=serial:/dev/a;bad_after=0", 26, "1..100");
}

static void test_pool_paths(void **state)
{
    (void)state;
    struct pmu_path p;
    struct pmu_error e;
    assert_int_equal(pmu_path_parse("pool:modems?address=00000003>modem:0100000003?hangup=dtr", &p, &e), PMU_OK);
    assert_int_equal(p.kind, PMU_LINK_POOL);
    assert_string_equal(p.target, "modems");
    assert_string_equal(p.address, "00000003");
    assert_int_equal(p.parity, PMU_PARITY_SOFT);
    assert_int_equal(p.dial.hangup, PMU_HANGUP_DTR);
    char text[512];
    assert_true(pmu_path_format(&p, text, sizeof text) > 0);
    assert_string_equal(text, "pool:modems?address=00000003>modem:0100000003?hangup=dtr");
    assert_int_equal(pmu_path_parse("pool:pads>pad:23531990100001", &p, &e), PMU_OK);
    assert_int_equal(p.dial.kind, PMU_DIAL_PAD);
    assert_int_equal(pmu_path_parse("pool:modems", &p, &e), PMU_E_SYNTAX);
    assert_non_null(strstr(e.message, "needs the call to make"));
    assert_int_equal(pmu_path_parse("pool:mo/dems>modem:1", &p, &e), PMU_E_SYNTAX);
    assert_int_equal(e.offset, 7);
    assert_int_equal(pmu_path_parse("pool:>modem:1", &p, &e), PMU_E_SYNTAX);
    assert_non_null(strstr(e.message, "pool name"));
}

static struct pmu_path path;
static struct pmu_dialer d;

static enum pmu_dialer_result say(uint64_t now, const char *text)
{
    size_t used;
    return pmu_dialer_input(&d, now, (const uint8_t *)text, strlen(text), &used);
}

/* Dials up to ATDT, then the modem answers `answer`. */
static void dial_then(const char *answer, bool line_fault)
{
    assert_int_equal(pmu_path_parse("serial:/dev/null>modem:0100000001", &path, NULL), PMU_OK);
    pmu_dialer_init(&d, &path.dial);
    pmu_dialer_start(&d, 0);
    say(10, "\r\nOK\r\n");
    say(20, "\r\nOK\r\n");
    assert_int_equal(say(30, answer), PMU_DIALER_FAILED);
    if (d.line_fault != line_fault)
        fail_msg("%s: line_fault %d, expected %d", answer, d.line_fault, line_fault);
}

static void test_line_faults(void **state)
{
    (void)state;
    dial_then("\r\nNO DIALTONE\r\n", true);  /* the modem's telephone line */
    dial_then("\r\nBUSY\r\n", false);        /* the number's */
    dial_then("\r\nNO ANSWER\r\n", false);
    dial_then("\r\nNO CARRIER\r\n", false);
    /* a modem that does not answer AT, or refuses the init string, is the line's fault */
    assert_int_equal(pmu_path_parse("serial:/dev/null>modem:0100000001", &path, NULL), PMU_OK);
    pmu_dialer_init(&d, &path.dial);
    pmu_dialer_start(&d, 0);
    assert_int_equal(pmu_dialer_timer(&d, 60000), PMU_DIALER_FAILED);
    assert_true(d.line_fault);
    pmu_dialer_init(&d, &path.dial);
    pmu_dialer_start(&d, 0);
    assert_int_equal(say(10, "\r\nERROR\r\n"), PMU_DIALER_FAILED);
    assert_true(d.line_fault);
}

static bool nobody_else(void *ctx, const struct pmu_path *line)
{
    (void)line;
    return ctx != NULL && strcmp(ctx, line->target) == 0; /* ctx: a device held outside */
}

/* Which line a call gets: free, healthy, in turn; the pool and line limits hold. */
static void test_pick(void **state)
{
    (void)state;
    struct pmu_pool def;
    struct pool_run r;
    assert_int_equal(pmu_pool_parse("m=serial:/dev/a,serial:/dev/b,serial:/dev/c;max_calls=2&bad_after=2", &def, NULL),
                     PMU_OK);
    assert_int_equal(pool_run_init(&r, &def, NULL), PMU_OK);
    pmu_pool_free(&def);
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 0);
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 1);
    assert_int_equal(pool_pick(&r, nobody_else, NULL), -1); /* max_calls=2 */
    assert_false(pool_release(&r, 0, CALL_OK, ""));
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 2);  /* in turn: c before a */
    assert_int_equal(pool_pick(&r, nobody_else, NULL), -1);
    assert_false(pool_release(&r, 1, CALL_LINE_FAULT, "no dial tone"));
    assert_false(pool_release(&r, 2, CALL_OK, ""));
    assert_int_equal(pool_pick(&r, nobody_else, "/dev/a"), 1); /* a is held outside the pool */
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 2);
    assert_true(pool_release(&r, 1, CALL_LINE_FAULT, "no dial tone")); /* 2 in a row: b is bad */
    assert_false(pool_release(&r, 2, CALL_OK, ""));
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 0);
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 2);  /* b is skipped */
    assert_false(pool_release(&r, 0, CALL_LINE_FAULT, "x"));
    assert_false(pool_release(&r, 2, CALL_LINE_FAULT, "x"));
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 0);
    assert_false(pool_release(&r, 0, CALL_RETRY, "busy"));  /* the far end answered: a's count resets */
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 2);
    assert_true(pool_release(&r, 2, CALL_LINE_FAULT, "x"));
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 0);
    assert_false(pool_release(&r, 0, CALL_LINE_FAULT, "x"));
    assert_int_equal(pool_pick(&r, nobody_else, NULL), 0);
    assert_true(pool_release(&r, 0, CALL_LINE_FAULT, "the port is gone"));
    assert_int_equal(pool_pick(&r, nobody_else, NULL), -2); /* every line out of service */
    char msg[256];
    pool_all_bad_message(&r, msg, sizeof msg);
    assert_non_null(strstr(msg, "pool m: every line is out of service"));
    assert_non_null(strstr(msg, "serial:/dev/a: the port is gone"));
    pool_run_free(&r);
}

/* Whose fault a finished session is. */
static void test_judge(void **state)
{
    (void)state;
    static struct pmu_session s;
    memset(&s, 0, sizeof s);
    assert_int_equal(pmu_path_parse("serial:/dev/null>modem:0100000001", &s.path, NULL), PMU_OK);
    assert_int_equal(pool_judge(&s, false), CALL_OK);
    s.status = PMU_E_IO;
    assert_int_equal(pool_judge(&s, true), CALL_LINE_FAULT);   /* the link broke */
    assert_int_equal(pool_judge(&s, false), CALL_RETRY);       /* a lost call */
    s.status = s.dialer.status = PMU_E_REFUSED;                /* BUSY */
    assert_int_equal(pool_judge(&s, false), CALL_RETRY);
    s.dialer.line_fault = true;                                /* ERROR to the init string */
    assert_int_equal(pool_judge(&s, false), CALL_LINE_FAULT);
    s.dialer.line_fault = false;
    s.dialer.status = PMU_OK;                                  /* connected; password refused */
    strcpy(s.dialer.connect, "CONNECT 9600");
    assert_int_equal(pool_judge(&s, false), CALL_FINAL);
    s.status = PMU_E_TIMEOUT;                                  /* the meter went quiet */
    assert_int_equal(pool_judge(&s, false), CALL_RETRY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),   cmocka_unit_test(test_parse_defaults),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_pool_paths),
        cmocka_unit_test(test_line_faults),  cmocka_unit_test(test_pick),
        cmocka_unit_test(test_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
