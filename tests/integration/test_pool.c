/* A line pool under load: METERS simulated meters behind pmu-sim's modems, read from
 * the store (`pmu read --group`) through one pool of four good modems and two dead
 * lines (a modem without dial tone, a port nobody listens on), with call faults (busy,
 * dropped calls) and meter faults (NAK, corruption, silence) switched on.
 *
 * It shows that
 *   - every meter ends read or with a clear error: the meters whose password is wrong
 *     fail with that message (not retried), every other meter is read, busy numbers
 *     and lost calls being tried again later;
 *   - no line is ever held by two calls at once (from the trace's "line acquire" and
 *     "line release" lines), the four good lines work side by side, and both dead
 *     lines are marked bad and get no call after that;
 *   - what is stored is the simulator's values, and nothing is stored for a meter that
 *     failed.
 *
 * usage: test_pool PMU PMU_SIM METERS   (the ASan build runs fewer meters) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/admin.h"
#include "../support/simproc.h"
#include "pmu/sim.h"
#include "pmu/store.h"

static const char *pmu_bin, *sim_bin;
static unsigned n_meters;
static const char *const start_time = "2024-01-15T10:05:00";
static const char *const password = "secret12";
#define WRONG_PASSWORD_METERS 3
#define GOOD_LINES 4
#define MAX_LINES 8

static struct simproc sim;
static char dir[] = "/tmp/pmu-pool-XXXXXX";

static int stop(void **state)
{
    (void)state;
    simproc_stop(&sim);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return -1;
    return 0;
}

/* Runs a shell command line; returns its exit status. */
static int sh(const char *fmt, ...) PMU_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A TCP port of 127.0.0.1 where nobody listens (bound once, then let go). */
static unsigned dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
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

/* "001234.567": how the meter writes Wh as kWh with three decimals. */
static void kwh(uint64_t wh, char *buf, size_t size)
{
    wh %= 1000000000u;
    snprintf(buf, size, "%06u.%03u", (unsigned)(wh / 1000), (unsigned)(wh % 1000));
}

static void expected(unsigned index, char import[32], char export_[32])
{
    struct pmu_sim_load load;
    struct pmu_sim_registers reg;
    int64_t t;
    assert_int_equal(pmu_sim_time_parse(start_time, &t, NULL), PMU_OK);
    pmu_sim_load_init(&load, 1, index);
    pmu_sim_load_registers(&load, t, &reg);
    kwh(reg.import_wh, import, 32);
    kwh(reg.export_wh, export_, 32);
}

struct stored {
    size_t rows;
    char import[32];
};

static enum pmu_status on_reading(void *user, const struct pmu_reading_row *row)
{
    struct stored *s = user;
    s->rows++;
    if (strcmp(row->register_id, "1.8.0") == 0)
        snprintf(s->import, sizeof s->import, "%s", row->value);
    return PMU_OK;
}

/* The trace's pool lines: no line held twice, dead lines out of service for good. */
static void check_trace(const char *file, const char *const lines[], size_t n_lines, size_t dead_from)
{
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    unsigned held[MAX_LINES] = {0}, acquired[MAX_LINES] = {0};
    bool bad[MAX_LINES] = {false};
    unsigned holder[MAX_LINES] = {0};
    size_t busy = 0, most_busy = 0, retries = 0;
    static char row[4096];
    while (fgets(row, sizeof row, f) != NULL) {
        double t;
        unsigned job;
        char what[32], line[300];
        if (sscanf(row, "%lf #%u retry %31s", &t, &job, what) == 3) {
            retries++;
            continue;
        }
        if (sscanf(row, "%lf #%u line %31s %299s", &t, &job, what, line) != 4)
            continue;
        size_t k = 0;
        while (k < n_lines && strcmp(lines[k], line) != 0)
            k++;
        if (k == n_lines)
            fail_msg("the trace names a line outside the pool: %s", row);
        if (strcmp(what, "acquire") == 0) {
            if (bad[k])
                fail_msg("line %s got a call after it was marked bad: %s", line, row);
            if (held[k] != 0)
                fail_msg("line %s double-booked: job #%u holds it, job #%u acquires it", line, holder[k], job);
            held[k]++;
            acquired[k]++;
            holder[k] = job;
            busy++;
            most_busy = busy > most_busy ? busy : most_busy;
        } else if (strcmp(what, "release") == 0) {
            if (held[k] != 1 || holder[k] != job)
                fail_msg("line %s released by job #%u, which does not hold it", line, job);
            held[k]--;
            busy--;
        } else if (strcmp(what, "bad") == 0) {
            bad[k] = true;
        }
    }
    fclose(f);
    for (size_t k = 0; k < n_lines; k++) {
        assert_int_equal(held[k], 0);
        if (k < dead_from) {
            assert_false(bad[k]);
            assert_true(acquired[k] > 0);
        } else if (!bad[k]) {
            fail_msg("dead line %s was not marked bad", lines[k]);
        }
    }
    assert_true(most_busy >= GOOD_LINES); /* the good lines worked side by side */
    assert_true(retries > 0);             /* busy numbers and dead lines were tried again */
}

static void test_pool(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    char fleet[256], db[256], trace[256], csv[256], out[256];
    snprintf(fleet, sizeof fleet, "%s/fleet", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    snprintf(trace, sizeof trace, "%s/trace", dir);
    snprintf(csv, sizeof csv, "%s/meters.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(fleet, "w");
    assert_non_null(f);
    fprintf(f, "%d modem port=tcp connect_ms=150 faults=busy=0.08,drop=0.05\n", GOOD_LINES);
    fprintf(f, "1 modem port=tcp connect_ms=150 faults=no_dialtone=1\n");
    fprintf(f, "%u dial mode=C baud=9600 reaction_ms=20 faults=nak=0.02,corrupt=0.0005,silence=0.003\n",
            n_meters - WRONG_PASSWORD_METERS);
    fprintf(f, "%d dial mode=C baud=9600 reaction_ms=20 faults=wrong_password=1\n", WRONG_PASSWORD_METERS);
    fclose(f);
    char *argv[] = {(char *)sim_bin, "--fleet", fleet, "--time", (char *)start_time, "--password",
                    (char *)password, NULL};
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
    assert_int_equal(sim.n_meters, n_meters);
    assert_int_equal(sim.n_devices, GOOD_LINES + 1);

    /* the pool: pmu-sim's modems (the last one has no dial tone) and a dead port */
    static char lines_text[MAX_LINES][300];
    const char *lines[MAX_LINES];
    size_t n_lines = 0;
    for (size_t d = 0; d < sim.n_devices; d++, n_lines++) {
        snprintf(lines_text[n_lines], sizeof lines_text[n_lines], "%.*s", (int)strcspn(sim.devices[d].path, "?"),
                 sim.devices[d].path);
        lines[n_lines] = lines_text[n_lines];
    }
    snprintf(lines_text[n_lines], sizeof lines_text[n_lines], "tcp:127.0.0.1:%u", dead_port());
    lines[n_lines] = lines_text[n_lines];
    n_lines++;
    char pool[2048] = "modems=";
    for (size_t k = 0; k < n_lines; k++)
        snprintf(pool + strlen(pool), sizeof pool - strlen(pool), "%s%s", k ? "," : "", lines[k]);
    strcat(pool, ";retries=3&retry_delay_ms=200&bad_after=2");

    /* the store needs a user (docs/security.md): act as its first administrator */
    assert_int_equal(test_admin_bootstrap(pmu_bin, db), 0);

    /* the meter list: every meter's path names the pool, not a line */
    f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "serial,path,address\n");
    for (size_t i = 0; i < sim.n_meters; i++)
        fprintf(f, "%s,pool:modems>modem:%s?hangup=dtr,%s\n", sim.meters[i].serial, sim.meters[i].number,
                sim.meters[i].address);
    fclose(f);
    assert_int_equal(sh("'%s' meter import %s --db %s >/dev/null", pmu_bin, csv, db), 0);
    static char members[16384];
    size_t n = 0;
    for (size_t i = 0; i < sim.n_meters; i++)
        n += (size_t)snprintf(members + n, sizeof members - n, " %s", sim.meters[i].serial);
    assert_int_equal(sh("'%s' group add pooled --db %s && '%s' group add-member pooled%s --db %s", pmu_bin, db,
                        pmu_bin, members, db), 0);

    /* exit 1: the wrong-password meters could not be read */
    assert_int_equal(sh("'%s' read --group pooled --obis 1.8.0,2.8.0 --password %s --pool '%s' --trace %s "
                        "--json --db %s >%s 2>/dev/null",
                        pmu_bin, password, pool, trace, db, out), 1);

    struct pmu_store *store;
    assert_int_equal(pmu_store_open(db, &store, NULL), PMU_OK);
    f = fopen(out, "r");
    assert_non_null(f);
    static char row[1 << 16];
    bool seen[1024] = {false};
    size_t results = 0, read_ok = 0;
    while (fgets(row, sizeof row, f) != NULL) {
        json_t *r = json_loads(row, 0, NULL);
        assert_non_null(r);
        const char *serial = str(r, "meter");
        assert_non_null(serial);
        unsigned index = (unsigned)strtoul(serial + 3, NULL, 10); /* OPM00000007 -> 7 */
        assert_true(index >= 1 && index <= n_meters);
        if (seen[index])
            fail_msg("meter %s reported twice", serial);
        seen[index] = true;
        results++;
        bool wrong_password = index > n_meters - WRONG_PASSWORD_METERS;
        struct stored st = {0, ""};
        assert_int_equal(pmu_store_readings(store, serial, NULL, 0, on_reading, &st, NULL), PMU_OK);
        if (json_is_true(json_object_get(r, "ok"))) {
            assert_false(wrong_password);
            char import[32], export_[32];
            expected(index, import, export_);
            const char *got = value_of(r, "1.8.0"), *got2 = value_of(r, "2.8.0");
            if (got == NULL || got2 == NULL || strcmp(got, import) != 0 || strcmp(got2, export_) != 0)
                fail_msg("meter %s: read 1.8.0=%s 2.8.0=%s, the meter holds %s and %s", serial,
                         got ? got : "-", got2 ? got2 : "-", import, export_);
            if (strcmp(st.import, import) != 0)
                fail_msg("meter %s: stored 1.8.0 is '%s', the meter holds %s", serial, st.import, import);
            assert_int_equal(st.rows, 2);
            read_ok++;
        } else {
            const char *message = str(json_object_get(r, "error"), "message");
            assert_non_null(message);
            if (!wrong_password)
                fail_msg("meter %s was not read: %s", serial, message);
            if (strstr(message, "password") == NULL)
                fail_msg("meter %s: expected the password refused, got: %s", serial, message);
            assert_int_equal(st.rows, 0); /* nothing stored for a failed read */
        }
        json_decref(r);
    }
    fclose(f);
    pmu_store_close(store);
    assert_int_equal(results, n_meters);
    assert_int_equal(read_ok, n_meters - WRONG_PASSWORD_METERS);
    check_trace(trace, lines, n_lines, GOOD_LINES);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_pool PMU PMU_SIM METERS\n");
        return 2;
    }
    pmu_bin = argv[1];
    sim_bin = argv[2];
    n_meters = (unsigned)strtoul(argv[3], NULL, 10);
    if (n_meters <= WRONG_PASSWORD_METERS || n_meters > 1000) {
        fprintf(stderr, "test_pool: METERS in %d..1000\n", WRONG_PASSWORD_METERS + 1);
        return 2;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(test_pool, stop)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
