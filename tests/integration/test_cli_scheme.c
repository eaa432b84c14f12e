/* pmu scheme end to end: the real `pmu` on an SQLite file in a fresh directory, the
 * shipped example schemes and model files. Checks output, FILE:LINE messages and
 * exit codes (0 ok / no differences, 1 problems / differences, 2 usage, 3 failure,
 * 4 denied). Store commands act as a user (docs/security.md): setup creates the first
 * administrator; the import is audited.
 * test_cli_scheme PMU-BINARY WORK-DIR SCHEMES-DIR MODELS-DIR */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *pmu, *dir, *schemes, *models;
static char out[1 << 16];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && PMU_DB=cli.db PMU_MODELS='%s' '%s' %s 2>&1", dir, models, pmu, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(const char *needle)
{
    if (strstr(out, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, out);
}

static void write_file(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        return -1;
    write_file("admin.pw", "admin-password\n");
    setenv("PMU_USER", "admin", 1);
    setenv("PMU_USER_PASSWORD", "admin-password", 1);
    return run("user add admin --level administrator --password-file admin.pw --cost minimal") == 0 ? 0 : -1;
}

static const char bad[] = "name: bad\n"
                          "scheme_id: B1\n"
                          "models: [A1700-16TOU]\n"
                          "password_level: 3\n"
                          "rates: {peak: 1, off: 2, spare: 3}\n"
                          "registers:\n"
                          "  - {register: 1, rate: peak, source: import}\n"
                          "  - {register: 17, rate: off, source: import}\n"
                          "day_types:\n"
                          "  wd: [\"00:00 off\", \"07:00 peak\", \"06:00 off\"]\n"
                          "seasons:\n"
                          "  - {name: all, start: 01-01, week: [wd, wd, wd, wd, wd, wd, wd]}\n"
                          "load_profile: {interval: 7, channels: [import]}\n";

static void test_validate(void **state)
{
    (void)state;
    assert_int_equal(run("scheme validate %s/a1700-commercial.yaml %s/a1140-domestic.yaml %s/a1120-single.yaml "
                         "%s/generic-iec.yaml", schemes, schemes, schemes, schemes), 0);
    expect("a1700-commercial.yaml: ok");
    expect("generic-iec.yaml: ok");

    write_file("bad.yaml", bad);
    assert_int_equal(run("scheme validate bad.yaml"), 1);
    expect("bad.yaml:5: rate 'spare' has no register");
    expect("bad.yaml:10: day type 'wd': switch time 06:00 overlaps 07:00");
    expect("bad.yaml:8: register 17: the A1700-16TOU has TOU registers 1..16");
    expect("bad.yaml:13: load_profile interval 7 minutes: the A1700-16TOU has 1, 2, 3, 4, 5, 6, 10, 15, 20, 30, 60");

    /* a problem of the scheme itself is reported once, not once per model */
    write_file("twice.yaml", "name: t\nscheme_id: T\nmodels: [A1700-16TOU, A1700-32TOU]\npassword_level: 3\n"
                             "rates: {peak: 1, spare: 2}\nregisters:\n  - {register: 1, rate: peak, source: import}\n");
    assert_int_equal(run("scheme validate twice.yaml"), 1);
    const char *first = strstr(out, "twice.yaml:5: rate 'spare' has no register");
    assert_non_null(first);
    assert_null(strstr(strchr(first, '\n'), "rate 'spare'"));

    write_file("tab.yaml", "name: x\nrates:\n\tpeak: 1\n");
    assert_int_equal(run("scheme validate tab.yaml"), 1);
    expect("tab.yaml:3: YAML: ");
    expect("(indent with spaces, not tabs)");

    write_file("syntax.yaml", "name: x\nrates:\n  peak: [1\n");
    assert_int_equal(run("scheme validate syntax.yaml"), 1);
    expect("syntax.yaml:4: YAML:");

    write_file("unknown.yaml", "name: u\nscheme_id: U\nmodels: [A9999]\npassword_level: 1\n");
    assert_int_equal(run("scheme validate unknown.yaml"), 1);
    expect("unknown.yaml:3: unknown model 'A9999'");

    /* only the model asked for */
    assert_int_equal(run("scheme validate %s/a1700-commercial.yaml --model A1140", schemes), 1);
    expect("the scheme is not for model A1140");
    assert_int_equal(run("scheme validate"), 2);
}

static void test_versions(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/a1700-commercial.yaml", schemes);
    char *original = read_file(path);

    write_file("bad.yaml", bad);
    assert_int_equal(run("scheme import bad.yaml"), 1);
    expect("not imported");
    assert_int_equal(run("scheme list"), 0);
    assert_null(strstr(out, "bad"));

    assert_int_equal(run("scheme import %s", path), 0);
    expect("scheme a1700-commercial version 1 imported");
    assert_int_equal(run("scheme import %s", path), 0);
    expect("unchanged: version 1");

    /* a changed copy becomes version 2 */
    char *changed = strdup(original);
    char *at = strstr(changed, "sub_intervals: 3");
    assert_non_null(at);
    memcpy(at, "sub_intervals: 2", 16);
    write_file("changed.yaml", changed);
    write_file("bob.pw", "bob-password\n");
    assert_int_equal(run("user add bob --level programmer --password-file bob.pw --cost minimal"), 0);
    write_file("eve.pw", "eve-password\n");
    assert_int_equal(run("user add eve --level read-only --password-file eve.pw --cost minimal"), 0);
    setenv("PMU_USER", "eve", 1);
    setenv("PMU_USER_PASSWORD", "eve-password", 1);
    assert_int_equal(run("scheme import changed.yaml --name a1700-commercial"), 4);   /* read-only may not */
    assert_int_equal(run("scheme history a1700-commercial"), 0);                     /* but may look */
    setenv("PMU_USER", "bob", 1);
    setenv("PMU_USER_PASSWORD", "bob-password", 1);
    assert_int_equal(run("scheme import changed.yaml --name a1700-commercial"), 0);
    expect("version 2 imported");
    setenv("PMU_USER", "admin", 1);
    setenv("PMU_USER_PASSWORD", "admin-password", 1);
    assert_int_equal(run("audit list"), 0);
    expect("scheme.import");
    assert_int_equal(run("audit verify"), 0);

    assert_int_equal(run("scheme list"), 0);
    expect("a1700-commercial");
    assert_int_equal(run("scheme list --json"), 0);
    expect("\"version\": 2");
    expect("\"versions\": 2");
    assert_int_equal(run("scheme history a1700-commercial"), 0);
    expect("admin");
    expect("bob");

    assert_int_equal(run("scheme diff a1700-commercial 1 2"), 1);
    expect("~ maximum_demand.sub_intervals: 3 -> 2");
    assert_int_equal(run("scheme diff a1700-commercial 2 2"), 0);
    expect("no differences");

    /* file -> store -> file: the text as imported, comments and all */
    assert_int_equal(run("scheme show a1700-commercial --version 1 --original"), 0);
    assert_string_equal(out, original);
    /* and the canonical form reads back to the same fields */
    assert_int_equal(run("scheme show a1700-commercial --version 1 --yaml > canon.yaml"), 0);
    assert_int_equal(run("scheme validate canon.yaml"), 0);
    assert_int_equal(run("scheme show canon.yaml"), 0);
    char *from_file = strdup(out);
    assert_int_equal(run("scheme show a1700-commercial --version 1"), 0);
    expect("version: 1\n");
    assert_string_equal(strstr(out, "\n") + 1, from_file);

    assert_int_equal(run("scheme show nothing-here"), 1);
    expect("no scheme 'nothing-here'");
    assert_int_equal(run("scheme diff a1700-commercial 1 7"), 1);
    expect("has no version 7");
    free(from_file);
    free(changed);
    free(original);
}

/* compile -> what a meter would hold -> diff against the meter. */
static void test_compile_and_meter_diff(void **state)
{
    (void)state;
    assert_int_equal(run("scheme compile %s/a1700-commercial.yaml --model A1700-32TOU > writes.txt", schemes), 0);
    assert_int_equal(run("scheme compile %s/a1700-commercial.yaml --model A1700-32TOU", schemes), 0);
    expect("878(1E0A03)  # integration period");
    expect("795(434F4D4D32522D323032374120202020)  # scheme id");
    assert_int_equal(run("scheme diff %s/a1700-commercial.yaml --readback writes.txt --model A1700-32TOU", schemes),
                     0);
    expect("the meter holds the scheme");
    /* the meter has a 15-minute period and another CT ratio */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && sed -e 's/^878(1E0A03)/878(0F0503)/' "
             "-e 's/^616([0-9A-F]*)/616(000010000005)/' writes.txt > meter.txt", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(run("scheme diff %s/a1700-commercial.yaml --readback meter.txt --model A1700-32TOU", schemes), 1);
    expect("~ ct: 200/5 -> 1000/5");
    expect("~ maximum_demand.period: 30 -> 15");

    assert_int_equal(run("scheme compile %s/generic-iec.yaml --model GENERIC-IEC > g.txt", schemes), 0);
    assert_int_equal(run("scheme diff %s/generic-iec.yaml --readback g.txt --model GENERIC-IEC", schemes), 0);

    /* a model the scheme is not for, or does not fit, is not compiled */
    assert_int_equal(run("scheme compile %s/a1700-commercial.yaml --model A1120", schemes), 1);
    expect("is not for model A1120");
    write_file("for-a1120.yaml", "name: x\nscheme_id: X\nmodels: [A1120]\npassword_level: 1\n"
                                 "load_profile: {interval: 30, channels: [import]}\n");
    assert_int_equal(run("scheme compile for-a1120.yaml --model A1120"), 1);
    expect("for-a1120.yaml:5: the A1120 has no load profile");

    /* JSON for programs */
    assert_int_equal(run("scheme diff %s/a1700-commercial.yaml --readback meter.txt --model A1700-32TOU --json",
                         schemes), 1);
    expect("\"path\": \"maximum_demand.period\"");
    expect("\"old\": \"30\"");
    assert_int_equal(run("scheme show %s/generic-iec.yaml --json", schemes), 0);
    expect("\"registers.2\": \"rate low, source import\"");
    assert_int_equal(run("scheme compile %s/a1700-commercial.yaml", schemes), 2);
    expect("give --model");
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_cli_scheme PMU WORK-DIR SCHEMES-DIR MODELS-DIR\n");
        return 2;
    }
    pmu = argv[1];
    dir = argv[2];
    schemes = argv[3];
    models = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_validate, setup),
        cmocka_unit_test_setup(test_versions, setup),
        cmocka_unit_test_setup(test_compile_and_meter_diff, setup),
    };
    return cmocka_run_group_tests_name("pmu scheme", tests, NULL, NULL);
}
