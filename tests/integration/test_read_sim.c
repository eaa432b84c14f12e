/* `pmu read` against `pmu-sim` over real ptys and TCP sockets: every mode, programming
 * mode, a multi-drop line of 10 meters, and every fault kind. The values read must be
 * exactly what the simulated meter holds (computed from its consumption model), and a
 * read that cannot give them must fail with a clear message: never a wrong value.
 *
 * usage: test_read_sim PMU PMU_SIM CASE   (CASE runs one cmocka test, so CTest can run
 * the slow cases side by side) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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
static const char *const password = "secret12";
/* 00:30 .. 10:00 of the start day: the intervals that have ended by 10:05 */
static const char *const profile_range = "2024-01-15T00:30..2024-01-15T10:00";
#define PROFILE_ROWS 20

static struct simproc sim;

static void start_sim(const char *extra1, const char *extra2, const char *extra3, const char *extra4)
{
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)sim_bin;
    argv[n++] = "--time";
    argv[n++] = (char *)start_time;
    argv[n++] = "--password";
    argv[n++] = (char *)password;
    const char *extra[] = {extra1, extra2, extra3, extra4};
    for (int i = 0; i < 4; i++)
        if (extra[i] != NULL)
            argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
}

static int stop(void **state)
{
    (void)state;
    simproc_stop(&sim);
    return 0;
}

/* Runs `pmu read --list <meters> --json ARGS`; returns the exit status and the JSON
 * objects, one per meter, in *results (an array to json_decref). */
static int read_all(const char *args, json_t **results)
{
    char list[] = "/tmp/pmu-read-sim-XXXXXX";
    int fd = mkstemp(list);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(simproc_write_list(&sim, list), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' read --list %s --json %s 2>/dev/null", pmu_bin, list, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    *results = json_array();
    char line[1 << 16];
    while (fgets(line, sizeof line, p) != NULL) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (o == NULL)
            fail_msg("pmu read printed a line that is not JSON: %s (%s)", line, e.text);
        json_array_append_new(*results, o);
    }
    int st = pclose(p);
    unlink(list);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static unsigned meter_index(json_t *result)
{
    const char *serial = str(result, "meter");
    assert_non_null(serial);
    return (unsigned)strtoul(serial + 3, NULL, 10); /* OPM00000007 -> 7 */
}

/* "001234.567": how the meter writes Wh as kWh with three decimals. */
static void kwh(uint64_t wh, char *buf, size_t size)
{
    wh %= 1000000000u; /* the registers roll over at 1,000,000 kWh */
    snprintf(buf, size, "%06u.%03u", (unsigned)(wh / 1000), (unsigned)(wh % 1000));
}

static const char *value_of(json_t *result, const char *address)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(result, "records"), i, r) {
        const char *a = str(r, "address");
        if (a != NULL && strcmp(a, address) == 0)
            return str(json_array_get(json_object_get(r, "values"), 0), "value");
    }
    return NULL;
}

/* Every register the read returned equals the simulated meter's; at least `min`
 * of the expected ones are there. */
static void check_registers(json_t *result, size_t min)
{
    struct pmu_sim_load load;
    struct pmu_sim_registers reg;
    int64_t t;
    assert_int_equal(pmu_sim_time_parse(start_time, &t, NULL), PMU_OK);
    pmu_sim_load_init(&load, 1, meter_index(result));
    pmu_sim_load_registers(&load, t, &reg);
    const struct { const char *address; uint64_t wh; } expect[] = {
        {"1.8.0", reg.import_wh}, {"1.8.1", reg.import_day_wh}, {"1.8.2", reg.import_night_wh},
        {"2.8.0", reg.export_wh}, {"3.8.0", reg.reactive_import_varh}, {"4.8.0", reg.reactive_export_varh}};
    size_t found = 0;
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const char *got = value_of(result, expect[i].address);
        if (got == NULL)
            continue;
        char want[32];
        kwh(expect[i].wh, want, sizeof want);
        if (strcmp(got, want) != 0)
            fail_msg("meter %s register %s: read %s, the meter holds %s", str(result, "meter"),
                     expect[i].address, got, want);
        found++;
    }
    assert_true(found >= min);
}

/* Every profile row equals the simulated interval that ends at its time. */
static void check_profile(json_t *result, size_t rows)
{
    struct pmu_sim_load load;
    pmu_sim_load_init(&load, 1, meter_index(result));
    json_t *profiles = json_object_get(result, "profiles");
    size_t total = 0, i, k;
    json_t *p, *row;
    json_array_foreach(profiles, i, p) {
        json_array_foreach(json_object_get(p, "rows"), k, row) {
            int64_t end;
            char when[32];
            snprintf(when, sizeof when, "%s", str(row, "time"));
            assert_int_equal(pmu_sim_time_parse(when, &end, NULL), PMU_OK);
            uint32_t v[PMU_SIM_CHANNELS];
            pmu_sim_load_interval(&load, end, v);
            json_t *values = json_object_get(row, "values");
            assert_int_equal(json_array_size(values), PMU_SIM_CHANNELS);
            for (size_t c = 0; c < PMU_SIM_CHANNELS; c++) {
                char want[32];
                snprintf(want, sizeof want, "%u.%03u", v[c] / 1000, v[c] % 1000);
                const char *got = str(json_array_get(values, c), "value");
                if (got == NULL || strcmp(got, want) != 0)
                    fail_msg("meter %s interval %s channel %zu: read %s, the meter holds %s",
                             str(result, "meter"), when, c, got ? got : "nothing", want);
            }
            total++;
        }
    }
    assert_int_equal(total, rows);
}

static bool ok(json_t *result)
{
    return json_is_true(json_object_get(result, "ok"));
}

static void test_pty_mode_c(void **state)
{
    (void)state;
    start_sim("--pty", "1", NULL, NULL);
    json_t *res;
    char args[256];
    snprintf(args, sizeof args, "--readout --profile %s --password %s", profile_range, password);
    assert_int_equal(read_all(args, &res), 0);
    json_t *r = json_array_get(res, 0);
    assert_true(ok(r));
    assert_string_equal(value_of(r, "C.1.0"), "OPM00000001");
    check_registers(r, 6);
    check_profile(r, PROFILE_ROWS);
    assert_string_equal(str(json_object_get(r, "ident"), "manufacturer"), "OPM");
    json_decref(res);
}

static void test_tcp_programming(void **state)
{
    (void)state;
    start_sim("--tcp", "2", NULL, NULL);
    json_t *res;
    char args[512], trace[] = "/tmp/pmu-read-trace-XXXXXX";
    int fd = mkstemp(trace);
    assert_true(fd >= 0);
    close(fd);
    snprintf(args, sizeof args, "--obis 1.8.0,1.8.1,2.8.0,3.8.0,9.9.9 --profile %s --password %s --trace %s",
             profile_range, password, trace);
    assert_int_equal(read_all(args, &res), 0);
    /* the trace shows P1 with its data masked, and the password nowhere */
    static char text[1 << 20];
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(trace);
    assert_null(strstr(text, password));
    assert_null(strstr(text, "73 65 63 72 65 74")); /* "secret" in hex */
    assert_non_null(strstr(text, "|.P1.**********."));
    assert_int_equal(json_array_size(res), 2);
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        assert_true(ok(r));
        check_registers(r, 4);
        check_profile(r, PROFILE_ROWS);
        json_t *missing = json_object_get(r, "missing");
        assert_int_equal(json_array_size(missing), 1);
        assert_string_equal(str(json_array_get(missing, 0), "code"), "9.9.9");
    }
    json_decref(res);
}

/* On a terminal a long read shows its progress; `script` gives pmu a real tty. */
static void test_progress(void **state)
{
    (void)state;
    start_sim("--tcp", "1", NULL, NULL);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "script -qfec \"'%s' read '%s' --readout --profile %s --password %s\" /dev/null",
             pmu_bin, sim.meters[0].path, profile_range, password);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "bytes in"));       /* the progress line ... */
    assert_non_null(strstr(out, "\r  profile"));    /* ... rewritten in place, by stage */
    assert_non_null(strstr(out, "Load profile P.01")); /* and then the result */
}

static void test_mode(const char *mode)
{
    start_sim("--pty", "1", "--mode", mode);
    json_t *res;
    assert_int_equal(read_all("--readout", &res), 0);
    json_t *r = json_array_get(res, 0);
    assert_true(ok(r));
    check_registers(r, 6);
    assert_string_equal(str(json_object_get(r, "ident"), "mode"), mode);
    json_decref(res);
    /* programming mode needs mode C: a clear refusal, exit 1 */
    char args[64];
    snprintf(args, sizeof args, "--obis 1.8.0 --password %s", password);
    assert_int_equal(read_all(args, &res), 1);
    r = json_array_get(res, 0);
    assert_false(ok(r));
    assert_non_null(strstr(str(json_object_get(r, "error"), "message"), "offers the data readout only"));
    json_decref(res);
}

static void test_mode_a(void **state)
{
    (void)state;
    test_mode("A");
}

static void test_mode_b(void **state)
{
    (void)state;
    test_mode("B");
}

static void test_multidrop(void **state)
{
    (void)state;
    start_sim("--pty", "10", "--multidrop", "10");
    assert_int_equal(sim.n_meters, 10);
    for (size_t i = 1; i < sim.n_meters; i++) /* all on one line */
        assert_int_equal(strncmp(sim.meters[i].path, sim.meters[0].path, strcspn(sim.meters[0].path, "?")), 0);
    json_t *res;
    char args[256];
    snprintf(args, sizeof args, "--obis 1.8.0,2.8.0 --password %s", password);
    assert_int_equal(read_all(args, &res), 0);
    assert_int_equal(json_array_size(res), 10);
    unsigned seen = 0;
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        assert_true(ok(r));
        check_registers(r, 2);
        seen |= 1u << meter_index(r);
    }
    assert_int_equal(seen, 0x7FEu); /* meters 1..10, each once */
    json_decref(res);
}

/* Reads 12 TCP meters with one fault switched on. */
static void with_fault(const char *spec, bool all_fail, const char *words)
{
    char faults[64];
    snprintf(faults, sizeof faults, "%s", spec);
    start_sim("--tcp", "12", "--faults", faults);
    json_t *res;
    char args[256];
    snprintf(args, sizeof args, "--obis 1.8.0,2.8.0,3.8.0 --profile %s --password %s --parallel 12",
             "2024-01-15T08:00..2024-01-15T10:00", password);
    int rc = read_all(args, &res);
    assert_int_equal(json_array_size(res), 12);
    size_t good = 0, bad = 0, repeats = 0, i;
    json_t *r;
    json_array_foreach(res, i, r) {
        repeats += (size_t)json_integer_value(json_object_get(r, "repeats"));
        if (ok(r)) {
            check_registers(r, 3);
            check_profile(r, 5);
            good++;
        } else {
            const char *msg = str(json_object_get(r, "error"), "message");
            assert_non_null(msg);
            assert_true(strlen(msg) > 20);
            if (words != NULL && strstr(msg, words) == NULL)
                fail_msg("fault %s: message '%s' lacks '%s'", spec, msg, words);
            bad++;
        }
    }
    assert_int_equal(rc, bad > 0 ? 1 : 0);
    if (repeats + bad == 0)
        fail_msg("fault %s: no read failed and none needed a repeat: did the fault hit?", spec);
    if (all_fail)
        assert_int_equal(good, 0);
    else
        assert_true(good > 0); /* retries carry most reads through */
    json_decref(res);
}

/* Runs `pmu ARGS` and returns its exit status; standard output into out (if given). */
static int pmu(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pmu(char *out, size_t size, const char *fmt, ...)
{
    char args[1024], cmd[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", pmu_bin, args);
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

/* Meters from the meter list, read into the store: one group, two runs whose profile
 * ranges overlap. The overlap is stored once, and the values are the meter's. */
static void test_store(void **state)
{
    (void)state;
    start_sim("--tcp", "3", NULL, NULL);
    char db[] = "/tmp/pmu-read-store-XXXXXX";
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db); /* the store creates it */
    /* the store needs a user (docs/security.md): act as its first administrator */
    char key[sizeof db + 8];
    snprintf(key, sizeof key, "%s.key", db);
    assert_int_equal(test_admin_bootstrap(pmu_bin, db), 0);
    assert_int_equal(pmu(NULL, 0, "group add nightly --db %s", db), 0);
    for (size_t i = 0; i < sim.n_meters; i++) {
        assert_int_equal(pmu(NULL, 0, "meter add %s --path '%s' --db %s", sim.meters[i].serial,
                             sim.meters[i].path, db), 0);
        assert_int_equal(pmu(NULL, 0, "group add-member nightly %s --db %s", sim.meters[i].serial, db), 0);
    }
    assert_int_equal(pmu(NULL, 0, "read --group nightly --obis 1.8.0,2.8.0 --profile 2024-01-15T00:30..2024-01-15T06:00 "
                                  "--password %s --db %s", password, db), 0);
    assert_int_equal(pmu(NULL, 0, "read --group nightly --obis 1.8.0,2.8.0 --profile 2024-01-15T04:30..2024-01-15T10:00 "
                                  "--password %s --db %s", password, db), 0);
    static char out[1 << 20];
    for (size_t i = 0; i < sim.n_meters; i++) {
        assert_int_equal(pmu(out, sizeof out, "profile %s --json --db %s", sim.meters[i].serial, db), 0);
        /* 20 intervals x 3 channels, each once, although 4 were read twice */
        size_t rows = 0;
        for (const char *p = out; (p = strstr(p, "\"interval_end\"")) != NULL; p++)
            rows++;
        assert_int_equal(rows, 60);
        assert_null(strstr(out, "\"conflict\": true"));
        assert_int_equal(pmu(out, sizeof out, "history %s --json --db %s", sim.meters[i].serial, db), 0);
        struct pmu_sim_load load;
        struct pmu_sim_registers reg;
        int64_t t;
        pmu_sim_time_parse(start_time, &t, NULL);
        pmu_sim_load_init(&load, 1, (unsigned)(i + 1));
        pmu_sim_load_registers(&load, t, &reg);
        char want[32];
        kwh(reg.import_wh, want, sizeof want);
        if (strstr(out, want) == NULL)
            fail_msg("history of %s lacks 1.8.0 = %s:\n%.400s", sim.meters[i].serial, want, out);
    }
    unlink(db);
    unlink(key);
}

/* Reads the meters behind pmu-sim's modem or PAD number d (all its meters, or just
 * `only` when not NULL) with --list; returns the exit status and the JSON lines. */
static int read_remote(size_t d, const char *only_serial, const char *number_override,
                       const char *dial_options, const char *args, json_t **results)
{
    char list[] = "/tmp/pmu-read-remote-XXXXXX";
    int fd = mkstemp(list);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    const char *kind = sim.devices[d].kind;
    for (size_t i = 0; i < sim.n_meters; i++) {
        struct simproc_meter m = sim.meters[i];
        if (m.via[0] == '\0' || strcmp(m.via, strcmp(kind, "modem") == 0 ? "dial" : "nua") != 0 ||
            (only_serial != NULL && strcmp(m.serial, only_serial) != 0))
            continue;
        if (number_override != NULL)
            snprintf(m.number, sizeof m.number, "%s", number_override);
        char path[512];
        simproc_call_path(&sim, d, &m, path, sizeof path);
        fprintf(f, "meter %s %s%s\n", m.serial, path, dial_options);
    }
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' read --list %s --json %s 2>/dev/null", pmu_bin, list, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    *results = json_array();
    static char line[1 << 16];
    while (fgets(line, sizeof line, p) != NULL)
        json_array_append_new(*results, json_loads(line, 0, NULL));
    int st = pclose(p);
    unlink(list);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Meters behind a modem and a PAD: dial, read, hang up; the second meter behind the
 * same modem waits for the first call to end (one line, one call). */
static void test_remote(void **state)
{
    (void)state;
    start_sim("--modems", "1", "--dial", "2");
    json_t *res;
    char args[256];
    snprintf(args, sizeof args, "--obis 1.8.0,2.8.0 --profile 2024-01-15T08:00..2024-01-15T10:00 --password %s",
             password);
    assert_int_equal(read_remote(0, NULL, NULL, "", args, &res), 0);
    assert_int_equal(json_array_size(res), 2);
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        assert_true(ok(r));
        check_registers(r, 2);
        check_profile(r, 5);
        json_t *call = json_object_get(r, "call");
        assert_string_equal(str(call, "connect"), "CONNECT 9600");
        assert_true(json_is_true(json_object_get(call, "hangup_confirmed")));
    }
    json_decref(res);
    /* a GSM modem: SIM, network and signal checked, bearer set, signal recorded */
    assert_int_equal(read_remote(0, sim.meters[0].serial, NULL, "?dial=gsm&bearer=71,0,1", args, &res), 0);
    r = json_array_get(res, 0);
    assert_true(ok(r));
    assert_true(json_is_integer(json_object_get(json_object_get(r, "call"), "signal")));
    json_decref(res);
    simproc_stop(&sim);

    char *pad_argv[] = {(char *)sim_bin, "--time", (char *)start_time, "--password", (char *)password,
                        "--pads", "1", "--nua", "1", NULL};
    assert_int_equal(simproc_start(&sim, pad_argv, 30), 0);
    assert_int_equal(read_remote(0, NULL, NULL, "", args, &res), 0);
    r = json_array_get(res, 0);
    assert_true(ok(r));
    check_registers(r, 2);
    check_profile(r, 5);
    json_decref(res);
}

/* A multi-drop line of 10 meters behind one modem: dialled once, each meter addressed
 * in turn after a B0, hung up once. */
static void test_modem_multidrop(void **state)
{
    (void)state;
    char *argv[] = {(char *)sim_bin, "--time", (char *)start_time, "--password", (char *)password,
                    "--modems", "1", "--dial", "10", "--multidrop", "10", NULL};
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
    char trace[] = "/tmp/pmu-read-md-XXXXXX";
    int fd = mkstemp(trace);
    assert_true(fd >= 0);
    close(fd);
    char args[512];
    snprintf(args, sizeof args, "--obis 1.8.0,2.8.0 --password %s --trace %s", password, trace);
    json_t *res;
    assert_int_equal(read_remote(0, NULL, NULL, "", args, &res), 0);
    assert_int_equal(json_array_size(res), 10);
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        assert_true(ok(r));
        check_registers(r, 2);
    }
    json_decref(res);
    static char text[1 << 20];
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(trace);
    size_t dials = 0, breaks = 0, hangups = 0, signons = 0;
    for (const char *p = text; (p = strstr(p, "|ATDT")) != NULL; p++)
        dials++;
    for (const char *p = text; (p = strstr(p, "|.B0.q|")) != NULL; p++)
        breaks++;
    for (const char *p = text; (p = strstr(p, "|ATH0.|")) != NULL; p++)
        hangups++;
    for (const char *p = text; (p = strstr(p, "|/?")) != NULL; p++)
        signons++;
    assert_int_equal(dials, 1);
    assert_int_equal(hangups, 1);
    assert_int_equal(signons, 10);
    assert_int_equal(breaks, 10); /* each meter is left with B0 before the next is addressed */
}

/* Each failure signal of a call ends the read with its own message. */
static void remote_failure(const char *device, const char *faults, const char *number, const char *options,
                           const char *words)
{
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)sim_bin;
    argv[n++] = "--time";
    argv[n++] = (char *)start_time;
    argv[n++] = "--password";
    argv[n++] = (char *)password;
    argv[n++] = strcmp(device, "modem") == 0 ? "--modems" : "--pads";
    argv[n++] = "1";
    argv[n++] = strcmp(device, "modem") == 0 ? "--dial" : "--nua";
    argv[n++] = "1";
    if (faults != NULL) {
        argv[n++] = strcmp(device, "modem") == 0 ? "--modem-faults" : "--pad-faults";
        argv[n++] = (char *)faults;
    }
    argv[n] = NULL;
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
    json_t *res;
    char args[256];
    /* ten days of profile: long enough for a call dropped 1..10 s after connecting */
    snprintf(args, sizeof args, "--obis 1.8.0 --profile 2024-01-05..2024-01-15T10:00 --password %s", password);
    assert_int_equal(read_remote(0, NULL, number, options, args, &res), 1);
    json_t *r = json_array_get(res, 0);
    assert_false(ok(r));
    const char *msg = str(json_object_get(r, "error"), "message");
    if (msg == NULL || strstr(msg, words) == NULL)
        fail_msg("%s %s: message '%s' lacks '%s'", device, faults ? faults : number, msg ? msg : "", words);
    json_decref(res);
}

static void test_modem_busy(void **state) { (void)state; remote_failure("modem", "busy=1", NULL, "", "is busy"); }
static void test_modem_no_dialtone(void **state) { (void)state; remote_failure("modem", "no_dialtone=1", NULL, "", "no dial tone"); }
static void test_modem_no_answer(void **state) { (void)state; remote_failure("modem", NULL, "0199999999", "", "does not answer"); }
static void test_modem_drop(void **state) { (void)state; remote_failure("modem", "drop=1", NULL, "", "lost the call"); }
static void test_modem_slow(void **state)
{
    (void)state;
    remote_failure("modem", "slow_connect=1", NULL, "?connect_timeout_ms=5000", "no CONNECT from");
}
static void test_modem_error(void **state)
{
    (void)state;
    remote_failure("modem", NULL, NULL, "?init=ATZ;AT%2BBOGUS", "ERROR to 'AT+BOGUS'");
}
static void test_pad_occ(void **state) { (void)state; remote_failure("pad", "occ=1", NULL, "", "busy (CLR OCC)"); }
static void test_pad_np(void **state) { (void)state; remote_failure("pad", NULL, "23531990999999", "", "not obtainable"); }
static void test_pad_der(void **state) { (void)state; remote_failure("pad", "der=1", NULL, "", "out of order"); }
static void test_pad_drop(void **state) { (void)state; remote_failure("pad", "drop=1", NULL, "", "lost the call"); }

static void test_fault_corrupt(void **state) { (void)state; with_fault("corrupt=0.002", false, NULL); }
static void test_fault_drop(void **state) { (void)state; with_fault("drop=0.002", false, NULL); }
static void test_fault_delay(void **state) { (void)state; with_fault("delay=0.2", false, NULL); }
static void test_fault_disconnect(void **state) { (void)state; with_fault("disconnect=0.05", false, NULL); }
static void test_fault_silence(void **state) { (void)state; with_fault("silence=0.2", false, NULL); }
static void test_fault_nak(void **state) { (void)state; with_fault("nak=0.3", false, NULL); }
static void test_fault_wrong_password(void **state)
{
    (void)state;
    with_fault("wrong_password=1", true, "refused the password");
}
static void test_fault_storm(void **state)
{
    (void)state;
    /* a NAK storm: the reader gives up with a message instead of looping */
    with_fault("nak=1", true, "NAK");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_read_sim PMU PMU_SIM CASE\n");
        return 2;
    }
    pmu_bin = argv[1];
    sim_bin = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pty_mode_c, stop),
        cmocka_unit_test_teardown(test_tcp_programming, stop),
        cmocka_unit_test_teardown(test_progress, stop),
        cmocka_unit_test_teardown(test_mode_a, stop),
        cmocka_unit_test_teardown(test_mode_b, stop),
        cmocka_unit_test_teardown(test_multidrop, stop),
        cmocka_unit_test_teardown(test_store, stop),
        cmocka_unit_test_teardown(test_remote, stop),
        cmocka_unit_test_teardown(test_modem_multidrop, stop),
        cmocka_unit_test_teardown(test_modem_busy, stop),
        cmocka_unit_test_teardown(test_modem_no_dialtone, stop),
        cmocka_unit_test_teardown(test_modem_no_answer, stop),
        cmocka_unit_test_teardown(test_modem_drop, stop),
        cmocka_unit_test_teardown(test_modem_slow, stop),
        cmocka_unit_test_teardown(test_modem_error, stop),
        cmocka_unit_test_teardown(test_pad_occ, stop),
        cmocka_unit_test_teardown(test_pad_np, stop),
        cmocka_unit_test_teardown(test_pad_der, stop),
        cmocka_unit_test_teardown(test_pad_drop, stop),
        cmocka_unit_test_teardown(test_fault_corrupt, stop),
        cmocka_unit_test_teardown(test_fault_drop, stop),
        cmocka_unit_test_teardown(test_fault_delay, stop),
        cmocka_unit_test_teardown(test_fault_disconnect, stop),
        cmocka_unit_test_teardown(test_fault_silence, stop),
        cmocka_unit_test_teardown(test_fault_nak, stop),
        cmocka_unit_test_teardown(test_fault_wrong_password, stop),
        cmocka_unit_test_teardown(test_fault_storm, stop),
    };
    char filter[64];
    snprintf(filter, sizeof filter, "test_%s", argv[3]);
    bool known = false; /* a misspelt case must fail, not run nothing and pass */
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        known = known || strcmp(tests[i].name, filter) == 0;
    if (!known) {
        fprintf(stderr, "test_read_sim: no case '%s'\n", argv[3]);
        return 2;
    }
    cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
