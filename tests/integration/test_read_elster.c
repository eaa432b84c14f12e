/* `pmu read` and `pmu write` against pmu-sim's Elster models over real ptys, TCP and a
 * simulated PAD: every read (registers, TOU, MD, billing sets, events, ratios, status,
 * profile), every write read back, with and without faults. Values must be the
 * simulated meter's (its consumption model): registers exactly, and the profile
 * intervals of a day must add up to the registers' advance over it.
 *
 * usage: test_read_elster PMU PMU_SIM CASE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/admin.h"
#include "../support/simproc.h"
#include "pmu/sim.h"

static const char *pmu_bin, *sim_bin;
static const char *const start_time = "2024-01-15T10:05:00";
static const char *const password = "SECRET12";

static struct simproc sim;

static void start_sim(const char *model, const char *extra1, const char *extra2, const char *extra3,
                      const char *extra4)
{
    char *argv[20];
    int n = 0;
    argv[n++] = (char *)sim_bin;
    argv[n++] = "--time";
    argv[n++] = (char *)start_time;
    argv[n++] = "--password";
    argv[n++] = (char *)password;
    argv[n++] = "--model";
    argv[n++] = (char *)model;
    argv[n++] = "--reaction-ms"; /* "GEc": the 20 ms reaction time keeps the tests short */
    argv[n++] = "20";
    const char *extra[] = {extra1, extra2, extra3, extra4};
    for (int i = 0; i < 4; i++)
        if (extra[i] != NULL)
            argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
    assert_true(sim.n_meters >= 1);
}

static int stop(void **state)
{
    (void)state;
    simproc_stop(&sim);
    return 0;
}

/* The path of meter i with protocol=elster added. */
static void elster_path(size_t i, char *out, size_t size)
{
    const char *p = sim.meters[i].path;
    if (strstr(p, "protocol=elster") != NULL)
        snprintf(out, size, "%s", p);
    else
        snprintf(out, size, "%s%cprotocol=elster", p, strchr(p, '?') ? '&' : '?');
}

/* Runs pmu with printf-style arguments; returns the exit status, stdout in out. */
static int pmu(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pmu(char *out, size_t size, const char *fmt, ...)
{
    char args[2048], cmd[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/tmp/pmu-read-elster.err", pmu_bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = out != NULL ? fread(out, 1, size - 1, p) : 0;
    if (out != NULL)
        out[n] = '\0';
    else
        while (fgetc(p) != EOF)
            ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char outbuf[1 << 22];

/* pmu ARGS --json, parsed; the exit status in *rc. */
static json_t *pmu_json(int *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *pmu_json(int *rc, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    *rc = pmu(outbuf, sizeof outbuf, "%s --json", args);
    json_error_t e;
    json_t *o = json_loads(outbuf, 0, &e);
    if (o == NULL)
        fail_msg("pmu %s: not JSON (%s): %.300s", args, e.text, outbuf);
    return o;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *record(json_t *result, const char *address)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(result, "records"), i, r) {
        const char *a = str(r, "address");
        if (a != NULL && strcmp(a, address) == 0)
            return r;
    }
    return NULL;
}

static const char *value_of(json_t *result, const char *address)
{
    json_t *r = record(result, address);
    return r ? str(json_array_get(json_object_get(r, "values"), 0), "value") : NULL;
}

static const char *error_of(json_t *result)
{
    const char *m = str(json_object_get(result, "error"), "message");
    return m ? m : "";
}

/* "1234.567000": Wh as the Elster kWh text (mWh, six decimals). */
static void kwh6(uint64_t wh, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIu64 ".%03u000", wh / 1000, (unsigned)(wh % 1000));
}

/* "12.345678" kWh -> mWh */
static uint64_t mwh(const char *text)
{
    uint64_t whole = 0, frac = 0;
    unsigned digits = 0;
    const char *p = text;
    while (*p >= '0' && *p <= '9')
        whole = whole * 10 + (uint64_t)(*p++ - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            frac = frac * 10 + (uint64_t)(*p - '0');
    while (digits++ < 6)
        frac *= 10;
    return whole * 1000000u + frac;
}

static void registers_at(unsigned meter, const char *when, struct pmu_sim_registers *reg)
{
    struct pmu_sim_load load;
    int64_t t;
    assert_int_equal(pmu_sim_time_parse(when, &t, NULL), PMU_OK);
    pmu_sim_load_init(&load, 1, meter);
    pmu_sim_load_registers(&load, t, reg);
}

/* Sum of channel `id` over the profile intervals ending in (from, to]. */
static uint64_t profile_sum(json_t *result, const char *id, const char *from, const char *to, size_t *rows)
{
    uint64_t sum = 0;
    *rows = 0;
    size_t i, k;
    json_t *p, *row;
    json_array_foreach(json_object_get(result, "profiles"), i, p) {
        if (strcmp(str(p, "address"), "P.01") != 0)
            continue;
        size_t c = SIZE_MAX, j;
        json_t *ch;
        json_array_foreach(json_object_get(p, "channels"), j, ch)
            if (strcmp(str(ch, "id"), id) == 0)
                c = j;
        if (c == SIZE_MAX)
            continue;
        json_array_foreach(json_object_get(p, "rows"), k, row) {
            const char *t = str(row, "time");
            if (t == NULL || strcmp(t, from) <= 0 || strcmp(t, to) > 0)
                continue;
            sum += mwh(str(json_array_get(json_object_get(row, "values"), c), "value"));
            (*rows)++;
        }
    }
    return sum;
}

/* The registers and today's profile of meter 1 are the consumption model's. */
static void check_meter(json_t *r, unsigned meter, bool profile)
{
    struct pmu_sim_registers now, midnight;
    registers_at(meter, start_time, &now);
    registers_at(meter, "2024-01-15T00:00:00", &midnight);
    char want[40];
    kwh6(now.import_wh, want, sizeof want);
    const char *got = value_of(r, "1-1:1.8.0*255");
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("import register: read %s, the meter holds %s", got ? got : "nothing", want);
    kwh6(now.export_wh, want, sizeof want);
    assert_string_equal(value_of(r, "1-1:2.8.0*255"), want);
    if (!profile)
        return;
    size_t rows;
    uint64_t sum = profile_sum(r, "1.29.0", "2024-01-15T00:00:00", "2024-01-15T10:00:00", &rows);
    assert_int_equal(rows, 20);
    assert_int_equal(sum, (now.import_wh - midnight.import_wh) * 1000u);
}

static void test_registers_pty(void **state)
{
    (void)state;
    start_sim("a1700-16tou", NULL, NULL, NULL, NULL);
    char path[512];
    elster_path(0, path, sizeof path);
    int rc;
    json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 2 --lp-days 1", path, password);
    if (rc != 0)
        fail_msg("pmu read failed: %s", error_of(r));
    json_t *el = json_object_get(r, "elster");
    assert_string_equal(str(el, "model"), "A1700-16TOU");
    assert_string_equal(str(el, "serial"), sim.meters[0].serial);
    check_meter(r, 1, true);
    /* TOU register 1 (import, 667) and MD with its time, billing sets 0 and 1 */
    assert_non_null(value_of(r, "1-1:1.8.1*255"));
    json_t *md = record(r, "1-1:1.6.0*255");
    assert_non_null(md);
    assert_int_equal(json_array_size(json_object_get(md, "values")), 2);
    assert_non_null(value_of(r, "1-1:1.8.0*0"));
    assert_non_null(value_of(r, "1-1:1.8.0*1"));
    assert_non_null(value_of(r, "1-1:0.1.0*0"));
    assert_non_null(value_of(r, "0-0:96.50.0*255"));
    assert_string_equal(value_of(r, "1-1:0.4.3*255"), "1.00/1.00");
    const char *clock = value_of(r, "0-0:1.0.0*255");
    assert_non_null(clock);
    assert_int_equal(strncmp(clock, "2024-01-15T10:0", 15), 0);
    /* yesterday and today: 48 + 20 intervals */
    assert_int_equal(json_integer_value(json_object_get(el, "intervals")), 68);
    json_decref(r);
}

static void test_models(void **state)
{
    (void)state;
    const char *models[] = {"a1700-32tou", "a1140", "a1120"};
    const char *names[] = {"A1700-32TOU", "A1140", "A1120"};
    for (size_t i = 0; i < 3; i++) {
        start_sim(models[i], "--tcp", "1", NULL, NULL);
        char path[512];
        elster_path(0, path, sizeof path);
        int rc;
        json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 1 --lp-days 0", path, password);
        if (rc != 0)
            fail_msg("%s: pmu read failed: %s", models[i], error_of(r));
        assert_string_equal(str(json_object_get(r, "elster"), "model"), names[i]);
        check_meter(r, 1, false);
        json_decref(r);
        simproc_stop(&sim);
    }
}

static json_t *write_json(const char *path, const char *args, int *rc)
{
    return pmu_json(rc, "write '%s' --password %s %s", path, password, args);
}

static void expect_verdicts(json_t *w, const char *verdict, size_t n)
{
    json_t *writes = json_object_get(json_object_get(w, "elster"), "writes");
    assert_int_equal(json_array_size(writes), n);
    size_t i;
    json_t *x;
    json_array_foreach(writes, i, x) {
        if (strcmp(str(x, "verdict"), verdict) != 0)
            fail_msg("write %" JSON_INTEGER_FORMAT ": %s %s", json_integer_value(json_object_get(x, "id")),
                     str(x, "verdict"), str(x, "message"));
    }
}

static void test_writes(void **state)
{
    (void)state;
    start_sim("a1700-16tou", NULL, NULL, NULL, NULL);
    char path[512];
    elster_path(0, path, sizeof path);
    int rc;
    json_t *w = write_json(path, "--vt 11000/110 --ct 200/5 --lp-mask 0,1 --lp-period 15 --scheme-id TESTSCHEME "
                                 "--set-clock=2024-01-15T10:10:00", &rc);
    if (rc != 0)
        fail_msg("pmu write failed: %s %.500s", error_of(w), outbuf);
    expect_verdicts(w, "verified", 6);
    json_decref(w);
    json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 0 --lp-days 0", path, password);
    assert_int_equal(rc, 0);
    assert_string_equal(value_of(r, "1-1:0.4.3*255"), "11000.00/110.00");
    assert_string_equal(value_of(r, "1-1:0.4.2*255"), "200.00/5.00");
    assert_string_equal(value_of(r, "elster.878"), "15");
    assert_string_equal(value_of(r, "elster.777"), "0003");
    assert_string_equal(str(json_object_get(r, "elster"), "scheme"), "TESTSCHEME");
    assert_int_equal(strncmp(value_of(r, "0-0:1.0.0*255"), "2024-01-15T10:1", 15), 0);
    json_decref(r);
    /* the host's clock, then the MD reset: the billing count rises by one */
    w = write_json(path, "--set-clock", &rc);
    assert_int_equal(rc, 0);
    expect_verdicts(w, "verified", 1);
    json_decref(w);
    r = pmu_json(&rc, "read '%s' --password %s --billing-sets 1 --lp-days 0", path, password);
    assert_int_equal(rc, 0);
    unsigned before = (unsigned)atoi(value_of(r, "1-1:0.1.0*0"));
    json_int_t offset = json_integer_value(json_object_get(json_object_get(r, "elster"), "clock_offset_s"));
    assert_true(offset >= -5 && offset <= 5);
    json_decref(r);
    w = write_json(path, "--md-reset", &rc);
    assert_int_equal(rc, 0);
    expect_verdicts(w, "accepted", 1);
    json_decref(w);
    r = pmu_json(&rc, "read '%s' --password %s --billing-sets 1 --lp-days 0", path, password);
    assert_int_equal((unsigned)atoi(value_of(r, "1-1:0.1.0*0")), before + 1);
    json_decref(r);
    /* text output: before, written, after and the verdict */
    rc = pmu(outbuf, sizeof outbuf, "write '%s' --password %s --vt 33000/110", path, password);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(outbuf, "614 VT ratio"));
    assert_non_null(strstr(outbuf, "verified"));
    assert_non_null(strstr(outbuf, "before 00001001001001"));
}

/* The TOU tables (openpmu identities 930..934): a 128-byte item in two packets, a set
 * of 932 at its own packet, the activation; each read back. */
static void test_tou_tables(void **state)
{
    (void)state;
    start_sim("a1700-16tou", NULL, NULL, NULL, NULL);
    char path[512];
    elster_path(0, path, sizeof path);
    char special[257] = "", day[97] = "", args[1024];
    for (int i = 0; i < 32; i++) /* 32 special days: 25 Dec, day type 3, every year */
        strcat(special, i == 0 ? "0C1903FF" : "00000000");
    strcat(day, "000001061E02"); /* 00:00 rate 1, 06:30 rate 2, then unused points */
    for (int i = 2; i < 16; i++)
        strcat(day, "FF0000");
    snprintf(args, sizeof args, "--raw 933=%s --raw 932:3=%s --raw 934=", special, day);
    int rc;
    json_t *w = write_json(path, args, &rc);
    if (rc != 0)
        fail_msg("pmu write failed: %s %.600s", error_of(w), outbuf);
    json_t *writes = json_object_get(json_object_get(w, "elster"), "writes");
    assert_string_equal(str(json_array_get(writes, 0), "verdict"), "verified");
    assert_string_equal(str(json_array_get(writes, 0), "after"), special);
    assert_string_equal(str(json_array_get(writes, 1), "verdict"), "verified");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(writes, 1), "set")), 3);
    assert_string_equal(str(json_array_get(writes, 2), "verdict"), "accepted");
    json_decref(w);
}

static void with_fault(const char *faults, bool must_fail, const char *words)
{
    start_sim("a1700-16tou", "--faults", faults, "--fault-seed", "7");
    char path[512];
    elster_path(0, path, sizeof path);
    int rc;
    json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 1 --lp-days 0", path, password);
    if (must_fail) {
        assert_int_equal(rc, 1);
        if (strstr(error_of(r), words) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", faults, error_of(r), words);
    } else {
        if (rc != 0)
            fail_msg("%s: pmu read failed: %s", faults, error_of(r));
        check_meter(r, 1, false);
    }
    json_decref(r);
}

static void test_fault_line(void **state)
{
    (void)state;
    with_fault("corrupt=0.0005,nak=0.2,delay=0.1", false, NULL);
}

static void test_fault_wrong_password(void **state)
{
    (void)state;
    with_fault("wrong_password=1", true, "refused the password");
}

/* Power failures and clock changes: markers, split intervals and events; the day's
 * intervals still add up to the registers' advance. */
static void test_fault_profile(void **state)
{
    (void)state;
    start_sim("a1700-16tou", "--faults", "power_fail=1,clock_change=1", "--fault-seed", "3");
    char path[512];
    elster_path(0, path, sizeof path);
    int rc;
    json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 0 --lp-days 3", path, password);
    if (rc != 0)
        fail_msg("pmu read failed: %s", error_of(r));
    /* energy lost while the power was off: the registers are not the undisturbed model's */
    size_t i, events = 0;
    json_t *p;
    json_array_foreach(json_object_get(r, "profiles"), i, p)
        if (strcmp(str(p, "address"), "P.98") == 0)
            events += json_array_size(json_object_get(p, "rows"));
    assert_true(events > 0);
    json_decref(r);
}

static void test_password_timeout(void **state)
{
    (void)state;
    start_sim("a1700-16tou", "--password-timeout", "2", NULL, NULL);
    char path[512];
    elster_path(0, path, sizeof path);
    int rc;
    json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 2 --lp-days 3", path, password);
    if (rc != 0)
        fail_msg("pmu read failed: %s", error_of(r));
    assert_true(json_integer_value(json_object_get(json_object_get(r, "elster"), "reauths")) >= 1);
    check_meter(r, 1, true);
    json_decref(r);
}

/* Through a simulated X.28 PAD: call, read, clear. */
static void test_pad(void **state)
{
    (void)state;
    start_sim("a1700-16tou", "--pads", "1", "--nua", "1");
    char path[512];
    simproc_call_path(&sim, 0, &sim.meters[0], path, sizeof path);
    char with[600];
    const char *gt = strchr(path, '>');
    assert_non_null(gt);
    snprintf(with, sizeof with, "%.*s&protocol=elster%s", (int)(gt - path), path, gt);
    int rc;
    json_t *r = pmu_json(&rc, "read '%s' --password %s --billing-sets 1 --lp-days 0", with, password);
    if (rc != 0)
        fail_msg("pmu read through the PAD failed: %s", error_of(r));
    check_meter(r, 1, false);
    assert_true(json_is_true(json_object_get(json_object_get(r, "call"), "hangup_confirmed")));
    json_decref(r);
}

/* A listed meter: everything stored with the run that read it. */
static void test_store(void **state)
{
    (void)state;
    start_sim("a1700-16tou", "--tcp", "1", NULL, NULL);
    char db[] = "/tmp/pmu-read-elster-XXXXXX";
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db);
    char path[512];
    elster_path(0, path, sizeof path);
    const char *serial = sim.meters[0].serial;
    /* the store needs a user (docs/security.md): act as its first administrator */
    char key[sizeof db + 8];
    snprintf(key, sizeof key, "%s.key", db);
    assert_int_equal(test_admin_bootstrap(pmu_bin, db), 0);
    assert_int_equal(pmu(NULL, 0, "meter add %s --path '%s' --db %s", serial, path, db), 0);
    assert_int_equal(pmu(NULL, 0, "read --meter %s --password %s --billing-sets 1 --lp-days 1 --db %s", serial,
                         password, db), 0);
    assert_int_equal(pmu(outbuf, sizeof outbuf, "history %s --db %s", serial, db), 0);
    struct pmu_sim_registers now;
    registers_at(1, start_time, &now);
    char want[40];
    kwh6(now.import_wh, want, sizeof want);
    if (strstr(outbuf, "1-1:1.8.0*255") == NULL || strstr(outbuf, want) == NULL)
        fail_msg("history lacks 1-1:1.8.0*255 = %s:\n%.600s", want, outbuf);
    assert_int_equal(pmu(outbuf, sizeof outbuf, "profile %s --json --db %s", serial, db), 0);
    size_t rows = 0;
    for (const char *p = outbuf; (p = strstr(p, "\"interval_end\"")) != NULL; p++)
        rows++;
    assert_int_equal(rows, 68 * 4); /* 4 channels */
    unlink(db);
    unlink(key);
}

/* pmu write changes meters: it needs a programmer (docs/security.md). The cases
 * write as the first administrator of a throwaway store. */
static char write_db[] = "/tmp/pmu-read-elster-writer-XXXXXX";
static void writer_store(void)
{
    int fd = mkstemp(write_db);
    if (fd < 0)
        exit(3);
    close(fd);
    unlink(write_db);
    char pw[sizeof write_db + 8], cmd[1024];
    snprintf(pw, sizeof pw, "%s.pw", write_db);
    FILE *f = fopen(pw, "w");
    if (f == NULL)
        exit(3);
    fputs("admin-password\n", f);
    fclose(f);
    setenv("PMU_DB", write_db, 1);
    setenv("PMU_USER", "admin", 1);
    setenv("PMU_USER_PASSWORD", "admin-password", 1);
    snprintf(cmd, sizeof cmd, "'%s' user add admin --level administrator --password-file %s --cost minimal "
             ">/dev/null 2>&1", pmu_bin, pw);
    if (system(cmd) != 0)
        exit(3);
    unlink(pw);
}

static void writer_store_done(void)
{
    char key[sizeof write_db + 8];
    snprintf(key, sizeof key, "%s.key", write_db);
    unlink(write_db);
    unlink(key);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_read_elster PMU PMU_SIM CASE\n");
        return 2;
    }
    pmu_bin = argv[1];
    sim_bin = argv[2];
    writer_store();
    atexit(writer_store_done);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_registers_pty, stop),
        cmocka_unit_test_teardown(test_models, stop),
        cmocka_unit_test_teardown(test_writes, stop),
        cmocka_unit_test_teardown(test_tou_tables, stop),
        cmocka_unit_test_teardown(test_fault_line, stop),
        cmocka_unit_test_teardown(test_fault_wrong_password, stop),
        cmocka_unit_test_teardown(test_fault_profile, stop),
        cmocka_unit_test_teardown(test_password_timeout, stop),
        cmocka_unit_test_teardown(test_pad, stop),
        cmocka_unit_test_teardown(test_store, stop),
    };
    char filter[64];
    snprintf(filter, sizeof filter, "test_%s", argv[3]);
    bool known = false;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        known = known || strcmp(tests[i].name, filter) == 0;
    if (!known) {
        fprintf(stderr, "test_read_elster: no case '%s'\n", argv[3]);
        return 2;
    }
    cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
