/* `pmu program` against pmu-sim's Elster models and generic meter over TCP: the example schemes
 * programmed and verified into every model and a generic IEC meter (a re-run then finds nothing to write),
 * with line faults, a pmu killed midway (the record says what was written, a re-run
 * completes it), a dry run that writes nothing, refusals below the programmer
 * level, the audit trail whole, and the meter password in no output.
 *
 * usage: test_program PMU PMU_SIM SOURCE_DIR CASE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../support/simproc.h"
#include "pmu/store.h"

static const char *pmu_bin, *sim_bin, *source_dir;
static const char *const meter_password = "SECRET12";
static struct simproc sim;
static char db[] = "/tmp/pmu-program-XXXXXX";
static char outbuf[1 << 20], errbuf[1 << 16];

static void start_sim(const char *model, const char *faults)
{
    char file[64]; /* pmu-sim names models by their file */
    size_t i = 0;
    for (; model[i] != '\0' && i + 1 < sizeof file; i++)
        file[i] = (char)(model[i] >= 'A' && model[i] <= 'Z' ? model[i] - 'A' + 'a' : model[i]);
    file[i] = '\0';
    bool generic = strcmp(model, "GENERIC-IEC") == 0; /* pmu-sim's own meter */
    char *argv[] = {(char *)sim_bin, "--tcp", "1", generic ? "--reaction-ms" : "--model", generic ? "20" : file, "--password", (char *)meter_password,
                    "--time", "2024-01-15T10:05:00", "--reaction-ms", "20", "--fault-seed", "5",
                    faults ? "--faults" : NULL, (char *)faults, NULL};
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
    assert_true(sim.n_meters == 1);
}

/* Runs pmu as user `who`; stdout in outbuf, stderr in errbuf; returns the exit status. */
static int pmu_as(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pmu_as(const char *who, const char *fmt, ...)
{
    char args[2048], cmd[2600], errfile[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(errfile, sizeof errfile, "%s.err", db);
    snprintf(cmd, sizeof cmd, "PMU_USER=%s PMU_USER_PASSWORD=%s-password '%s' %s 2>%s", who, who, pmu_bin, args,
             errfile);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(outbuf, 1, sizeof outbuf - 1, p);
    outbuf[n] = '\0';
    int st = pclose(p);
    FILE *e = fopen(errfile, "r");
    n = e != NULL ? fread(errbuf, 1, sizeof errbuf - 1, e) : 0;
    errbuf[n] = '\0';
    if (e != NULL)
        fclose(e);
    if (strstr(outbuf, meter_password) != NULL || strstr(errbuf, meter_password) != NULL)
        fail_msg("pmu %s: the meter password is in the output", args);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
#define pmu(...) pmu_as("admin", __VA_ARGS__)

/* A store with an administrator, a programmer, a reader and a read-only user, the
 * simulated meter (model, path, vault password) and the scheme imported. */
static void setup_store(const char *model, const char *scheme_file)
{
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db);
    setenv("PMU_DB", db, 1);
    char models[1024];
    snprintf(models, sizeof models, "%s/models", source_dir);
    setenv("PMU_MODELS_DIR", models, 1);
    static const char *const users[][2] = {
        {"admin", "administrator"}, {"prog", "programmer"}, {"rd", "reader"}, {"ro", "read-only"}};
    char file[64];
    snprintf(file, sizeof file, "%s.pw", db);
    for (size_t i = 0; i < 4; i++) {
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fprintf(f, "%s-password\n", users[i][0]);
        fclose(f);
        assert_int_equal(pmu("user add %s --level %s --password-file %s --cost minimal", users[i][0], users[i][1],
                             file), 0);
    }
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", meter_password);
    fclose(f);
    const char *p = sim.meters[0].path;
    assert_int_equal(pmu("meter add %s --model %s --path '%s%cprotocol=elster' --password-file %s",
                         sim.meters[0].serial, model, p, strchr(p, '?') ? '&' : '?', file), 0);
    unlink(file);
    assert_int_equal(pmu("scheme import %s/schemes/%s --name test-scheme", source_dir, scheme_file), 0);
}

static int teardown(void **state)
{
    (void)state;
    simproc_stop(&sim);
    char path[64];
    static const char *const ext[] = {"", ".key", ".err"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", db, ext[i]);
        unlink(path);
    }
    strcpy(db, "/tmp/pmu-program-XXXXXX");
    return 0;
}

static void expect(int rc, int want, const char *what)
{
    if (rc != want)
        fail_msg("%s: exit %d, want %d\nstdout:\n%.3000s\nstderr:\n%.2000s", what, rc, want, outbuf, errbuf);
}

/* Programmed, then the meter holds it: a dry run finds no change and a re-run writes
 * nothing. */
static void program_and_check(const char *who)
{
    const char *serial = sim.meters[0].serial;
    char trace[64];
    snprintf(trace, sizeof trace, "%s.trace", db);
    expect(pmu_as(who, "program %s --scheme test-scheme --trace %s", serial, trace), 0, "program");
    if (strstr(outbuf, "verified") == NULL || strstr(outbuf, "holds scheme test-scheme version 1") == NULL)
        fail_msg("program output lacks the verdicts:\n%.3000s", outbuf);
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(trace);
    assert_true(n > 0);
    if (strstr(text, meter_password) != NULL)
        fail_msg("the meter password is in the trace");
    /* the meter holds it: field by field and item by item */
    expect(pmu_as("rd", "scheme diff test-scheme --meter %s", serial), 0, "scheme diff --meter after programming");
    if (strstr(outbuf, "none: the meter holds the scheme") == NULL || strstr(outbuf, "\n0 of ") == NULL)
        fail_msg("the meter does not hold the scheme after programming:\n%.3000s", outbuf);
    expect(pmu("program --status %s", serial), 0, "status");
    if (strstr(outbuf, "outcome verified") == NULL || strstr(outbuf, "pending") != NULL)
        fail_msg("status after programming:\n%.3000s", outbuf);
    expect(pmu("audit verify"), 0, "audit verify");
    expect(pmu("audit list"), 0, "audit list");
    if (strstr(outbuf, "program ") == NULL)
        fail_msg("no program entry in the audit trail:\n%.2000s", outbuf);
}

static void model_case(const char *model, const char *scheme, const char *faults)
{
    start_sim(model, faults);
    setup_store(model, scheme);
    program_and_check("prog");
}

/* Every model without faults, then with NAKs and corrupted characters on the line
 * (repeats, still every item verified). */
#define LINE_FAULTS "nak=0.05,corrupt=0.0005"
static void test_a1700_16tou(void **state) { (void)state; model_case("A1700-16TOU", "a1700-commercial.yaml", NULL); }
static void test_a1700_32tou(void **state) { (void)state; model_case("A1700-32TOU", "a1700-commercial.yaml", NULL); }
static void test_a1700_5cdr(void **state) { (void)state; model_case("A1700-32TOU-5CDR", "a1700-commercial.yaml", NULL); }
static void test_a1140(void **state) { (void)state; model_case("A1140", "a1140-domestic.yaml", NULL); }
static void test_a1120(void **state) { (void)state; model_case("A1120", "a1120-single.yaml", NULL); }
static void test_generic(void **state) { (void)state; model_case("GENERIC-IEC", "generic-iec.yaml", NULL); }
static void test_faults_a1700_16tou(void **state)
{
    (void)state;
    model_case("A1700-16TOU", "a1700-commercial.yaml", LINE_FAULTS);
}
static void test_faults_a1700_32tou(void **state)
{
    (void)state;
    model_case("A1700-32TOU", "a1700-commercial.yaml", LINE_FAULTS);
}
static void test_faults_a1700_5cdr(void **state)
{
    (void)state;
    model_case("A1700-32TOU-5CDR", "a1700-commercial.yaml", LINE_FAULTS);
}
static void test_faults_a1140(void **state) { (void)state; model_case("A1140", "a1140-domestic.yaml", LINE_FAULTS); }
static void test_faults_a1120(void **state) { (void)state; model_case("A1120", "a1120-single.yaml", LINE_FAULTS); }
static void test_faults_generic(void **state) { (void)state; model_case("GENERIC-IEC", "generic-iec.yaml", LINE_FAULTS); }

/* Dry run: the changes are shown, nothing is written (a second dry run shows the
 * same), no run is recorded; reader and read-only users are refused. */
static void test_dry_run_and_denied(void **state)
{
    (void)state;
    start_sim("A1140", NULL);
    setup_store("A1140", "a1140-domestic.yaml");
    const char *serial = sim.meters[0].serial;
    expect(pmu_as("prog", "program %s --scheme test-scheme --dry-run", serial), 0, "dry run");
    if (strstr(outbuf, "dry run: nothing written") == NULL || strstr(outbuf, "~ scheme_id:") == NULL)
        fail_msg("dry run output:\n%.3000s", outbuf);
    static char first[sizeof outbuf];
    memcpy(first, outbuf, sizeof first);
    expect(pmu_as("prog", "program %s --scheme test-scheme --dry-run", serial), 0, "second dry run");
    assert_string_equal(first, outbuf);
    expect(pmu_as("rd", "scheme diff test-scheme --meter %s", serial), 1, "scheme diff --meter by a reader");
    if (strstr(outbuf, "~ scheme_id:") == NULL)
        fail_msg("scheme diff --meter:\n%.3000s", outbuf);
    expect(pmu("program --status %s", serial), 1, "status after dry runs");
    for (int i = 0; i < 2; i++) {
        const char *who = i == 0 ? "rd" : "ro";
        expect(pmu_as(who, "program %s --scheme test-scheme", serial), 4, "program below programmer");
        if (strstr(errbuf, "program needs programmer") == NULL)
            fail_msg("refusal: %s", errbuf);
        expect(pmu_as(who, "write --meter %s --password %s --scheme-id X", serial, meter_password), 4,
               "write below programmer");
    }
    expect(pmu_as("prog", "program %s --scheme test-scheme --dry-run", serial), 0, "dry run after refusals");
    assert_string_equal(first, outbuf);
    expect(pmu("audit list"), 0, "audit list");
    if (strstr(outbuf, "access.denied") == NULL)
        fail_msg("refusals not audited:\n%.2000s", outbuf);
    expect(pmu("audit verify"), 0, "audit verify");
}

/* Items of the latest run with a status. */
static size_t count_status(const char *serial, const char *status, char *outcome, size_t size)
{
    struct pmu_store *s;
    struct pmu_error err;
    if (pmu_store_open(db, &s, &err) != PMU_OK)
        return 0;
    struct pmu_program_run_record r;
    struct pmu_program_item_record *items = NULL;
    size_t n = 0, count = 0;
    bool found = false;
    if (pmu_store_program_get(s, serial, 0, &r, &items, &n, &found, &err) == PMU_OK && found) {
        for (size_t i = 0; i < n; i++)
            count += strcmp(items[i].status, status) == 0;
        snprintf(outcome, size, "%s", r.outcome);
    }
    free(items);
    pmu_store_close(s);
    return count;
}

/* pmu killed in the middle of writing: the record keeps the items already verified
 * and the rest pending; the re-run says it completes that run, writes only what is
 * missing and ends verified. */
static void test_interrupted(void **state)
{
    (void)state;
    start_sim("A1700-16TOU", NULL);
    setup_store("A1700-16TOU", "a1700-commercial.yaml");
    const char *serial = sim.meters[0].serial;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("PMU_USER", "prog", 1);
        setenv("PMU_USER_PASSWORD", "prog-password", 1);
        freopen("/dev/null", "w", stdout);
        execl(pmu_bin, pmu_bin, "program", serial, "--scheme", "test-scheme", (char *)NULL);
        _exit(127);
    }
    char outcome[16] = "";
    size_t verified = 0;
    for (int i = 0; i < 600 && verified < 3; i++) { /* up to 60 s */
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        verified = count_status(serial, "verified", outcome, sizeof outcome);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    verified = count_status(serial, "verified", outcome, sizeof outcome);
    size_t pending = count_status(serial, "pending", outcome, sizeof outcome);
    if (verified < 3 || pending == 0 || strcmp(outcome, "running") != 0)
        fail_msg("after the kill: %zu verified, %zu pending, outcome %s", verified, pending, outcome);
    expect(pmu_as("prog", "program %s --scheme test-scheme", serial), 0, "re-run");
    if (strstr(outbuf, "Completing run 1") == NULL)
        fail_msg("the re-run does not say it completes run 1:\n%.3000s", outbuf);
    expect(pmu("program --status %s", serial), 0, "status");
    if (strstr(outbuf, "completes run 1") == NULL || strstr(outbuf, "outcome verified") == NULL ||
        strstr(outbuf, "unchanged") == NULL)
        fail_msg("status after the re-run:\n%.3000s", outbuf);
    expect(pmu("program %s --scheme test-scheme --dry-run", serial), 0, "dry run after the re-run");
    if (strstr(outbuf, "none: the meter holds the scheme") == NULL)
        fail_msg("the meter does not hold the scheme after the re-run:\n%.3000s", outbuf);
    expect(pmu("audit verify"), 0, "audit verify");
}

/* The line cut in the middle of writing (pmu-sim's cut_after_writes on the generic
 * meter): exit 1 with what was and was not written, a failed run on record, and a
 * re-run that completes it. */
static void test_cut(void **state)
{
    (void)state;
    start_sim("GENERIC-IEC", "cut_after_writes=20");
    setup_store("GENERIC-IEC", "generic-iec.yaml");
    const char *serial = sim.meters[0].serial;
    expect(pmu_as("prog", "program %s --scheme test-scheme", serial), 1, "program cut midway");
    if (strstr(errbuf, "NOT fully programmed") == NULL || strstr(errbuf, "(pending)") == NULL ||
        strstr(errbuf, "again to complete it") == NULL)
        fail_msg("the failure should say what was not written and how to complete:\n%.2000s", errbuf);
    char outcome[16] = "";
    size_t verified = count_status(serial, "verified", outcome, sizeof outcome);
    size_t pending = count_status(serial, "pending", outcome, sizeof outcome);
    if (verified < 19 || pending == 0 || strcmp(outcome, "failed") != 0)
        fail_msg("after the cut: %zu verified, %zu pending, outcome %s", verified, pending, outcome);
    expect(pmu_as("prog", "program %s --scheme test-scheme", serial), 0, "re-run");
    if (strstr(outbuf, "Completing run 1") == NULL)
        fail_msg("the re-run does not say it completes run 1:\n%.3000s", outbuf);
    expect(pmu_as("rd", "scheme diff test-scheme --meter %s", serial), 0, "scheme diff --meter after the re-run");
    expect(pmu("audit verify"), 0, "audit verify");
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_program PMU PMU_SIM SOURCE_DIR CASE\n");
        return 2;
    }
    pmu_bin = argv[1];
    sim_bin = argv[2];
    source_dir = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_a1700_16tou, teardown), cmocka_unit_test_teardown(test_a1700_32tou, teardown),
        cmocka_unit_test_teardown(test_a1700_5cdr, teardown),  cmocka_unit_test_teardown(test_a1140, teardown),
        cmocka_unit_test_teardown(test_a1120, teardown),
        cmocka_unit_test_teardown(test_faults_a1700_16tou, teardown),
        cmocka_unit_test_teardown(test_faults_a1700_32tou, teardown),
        cmocka_unit_test_teardown(test_faults_a1700_5cdr, teardown),
        cmocka_unit_test_teardown(test_faults_a1140, teardown),
        cmocka_unit_test_teardown(test_faults_a1120, teardown),
        cmocka_unit_test_teardown(test_faults_generic, teardown),
        cmocka_unit_test_teardown(test_dry_run_and_denied, teardown),
        cmocka_unit_test_teardown(test_interrupted, teardown),
        cmocka_unit_test_teardown(test_generic, teardown),
        cmocka_unit_test_teardown(test_cut, teardown),
    };
    char filter[64];
    snprintf(filter, sizeof filter, "test_%s", argv[4]);
    bool known = false;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        known = known || strcmp(tests[i].name, filter) == 0;
    if (!known) {
        fprintf(stderr, "test_program: no case '%s'\n", argv[4]);
        return 2;
    }
    cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
