/* The store commands end to end: runs the real `pmu` on an SQLite file in a fresh
 * directory and checks output, messages and exit codes (0 ok, 1 data, 2 usage,
 * 3 failure). Every store command needs a user (docs/security.md): setup creates the
 * first administrator, and the commands run as that user.
 * test_cli_store PMU-BINARY WORK-DIR */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *pmu, *dir;
static char out[1 << 16];

/* Runs `pmu ARGS` in dir with stderr joined to stdout; returns the exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && PMU_DB=cli.db '%s' %s 2>&1", dir, pmu, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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

static void test_meters(void **state)
{
    (void)state;
    assert_int_equal(run("meter add E1 --make Elster --model A1700 --site Depot --path tcp:10.0.0.5:4001 "
                         "--ct 200/5"), 0);
    assert_int_equal(run("meter add E1"), 1);
    assert_non_null(strstr(out, "pmu meter add: meter 'E1' already exists"));
    assert_int_equal(run("meter add E2 --path bogus"), 1);
    assert_non_null(strstr(out, "comms path 'bogus'"));
    assert_int_equal(run("meter add"), 2);
    assert_int_equal(run("meter frobnicate"), 2);
    assert_int_equal(run("meter list --json"), 0);
    assert_non_null(strstr(out, "\"serial\": \"E1\""));
    assert_non_null(strstr(out, "\"ct\": \"200/5\""));
    assert_int_equal(run("meter edit E1 --notes 'cabinet 3' --serial E1X"), 0);
    assert_int_equal(run("meter show E1X"), 0);
    assert_non_null(strstr(out, "notes         cabinet 3"));
    assert_int_equal(run("meter show E1"), 1);
    assert_non_null(strstr(out, "no meter with serial 'E1'"));
    assert_int_equal(run("site edit Depot --nmi NCDE001234"), 0);
    assert_int_equal(run("site list --json"), 0);
    assert_non_null(strstr(out, "\"nmi\": \"NCDE001234\""));
    assert_int_equal(run("site rm Depot"), 1);
    assert_int_equal(run("group add nightly --description 'every night'"), 0);
    assert_int_equal(run("group add-member nightly E1X"), 0);
    assert_int_equal(run("group add-member nightly E1X"), 1);
    assert_int_equal(run("meter list --group nightly"), 0);
    assert_non_null(strstr(out, "E1X"));
    assert_int_equal(run("group show nightly --json"), 0);
    assert_non_null(strstr(out, "\"E1X\""));
    assert_int_equal(run("history E1X"), 0);
    assert_non_null(strstr(out, "nothing stored for E1X yet"));
    assert_int_equal(run("profile E1X --from 2024-13-01"), 2);
    assert_int_equal(run("profile --conflicts"), 0);
    assert_int_equal(run("meter rm E1X"), 0);
    assert_int_equal(run("meter rm E1X"), 1);
}

static void test_import_export(void **state)
{
    (void)state;
    write_file("bad.csv", "serial,make,path,ct\n"
                          "M1,Elster,serial:/dev/ttyUSB0,200/5\n"
                          "M2,Elster,bogus:x,\n"
                          "\"M3\",\"two\nlines\",,40\n"
                          "M4,a,,x/y\n");
    assert_int_equal(run("meter import bad.csv"), 1);
    assert_non_null(strstr(out, "bad.csv:3: meter 'M2': comms path 'bogus:x'"));
    assert_non_null(strstr(out, "bad.csv:6: meter 'M4': CT ratio 'x/y'"));
    assert_non_null(strstr(out, "nothing imported from bad.csv"));
    assert_int_equal(run("meter list"), 0);
    assert_non_null(strstr(out, "no meters yet"));

    write_file("good.csv", "serial,make,model,site,path,address,password_ref,ct,vt,scheme,notes\n"
                           "M1,Elster,A1700,Depot,serial:/dev/ttyUSB0,,vault:m1,200/5,11000/110,,\"a, b\"\n"
                           "M2,Landis,ZMD120,,tcp:10.0.0.5:4001,12345678,,,,tou,\n");
    assert_int_equal(run("meter import good.csv"), 0);
    assert_non_null(strstr(out, "imported 2 meters from good.csv"));
    assert_int_equal(run("meter export out.csv"), 0);
    assert_int_equal(run("--db other.db meter list"), 2);  /* --db goes after the command */
    assert_int_equal(run("meter list --db other.db"), 4);  /* no users there yet */
    assert_non_null(strstr(out, "no users yet"));
    assert_int_equal(run("user add admin --level administrator --password-file admin.pw --cost minimal "
                         "--db other.db"), 0);
    assert_int_equal(run("meter import out.csv --db other.db"), 0);
    assert_int_equal(run("meter export out2.csv --db other.db"), 0);
    assert_int_equal(run("meter import good.csv"), 1);      /* already there */
    assert_int_equal(run("meter import good.csv --update"), 0);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/out.csv' '%s/out2.csv' && cmp -s '%s/good.csv' '%s/out.csv'", dir, dir,
             dir, dir);
    assert_int_equal(system(cmd), 0);

    /* exports: no data is no rows; NEM12 needs the site's NMI */
    assert_int_equal(run("export --format csv"), 0);
    assert_non_null(strstr(out, "meter,site,profile,channel,unit"));
    assert_int_equal(run("export --format xml"), 2);
    assert_int_equal(run("export"), 2);
    assert_int_equal(run("export --format nem12 --meter nope"), 1);
    assert_int_equal(run("meter list --db /nonexistent/dir/x.db"), 3);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_cli_store PMU WORK-DIR\n");
        return 2;
    }
    pmu = argv[1];
    dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_meters, setup),
        cmocka_unit_test_setup(test_import_export, setup),
    };
    return cmocka_run_group_tests_name("pmu store commands", tests, NULL, NULL);
}
