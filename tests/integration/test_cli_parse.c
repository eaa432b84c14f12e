/* `pmu parse` end to end: runs the real program on every capture and checks its JSON
 * output (docs/parse-json.md) and exit status. */
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

static const char *pmu, *captures;
static char out[1 << 20];

/* Runs `pmu ARGS` through the shell; returns the exit status, output in `out`. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>/dev/null", captures, pmu, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static json_t *run_json(int expect_exit, const char *args)
{
    int rc = run("parse %s --json", args);
    assert_int_equal(rc, expect_exit);
    json_error_t e;
    json_t *root = json_loads(out, 0, &e);
    if (root == NULL)
        fail_msg("pmu parse %s: output is not JSON: %s\n%s", args, e.text, out);
    return root;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static json_t *array(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_array(v));
    return v;
}

/* The nth record with this address. */
static json_t *record(json_t *root, const char *address, size_t nth)
{
    size_t i;
    json_t *r;
    json_array_foreach(array(root, "records"), i, r)
        if (strcmp(str(r, "address"), address) == 0 && nth-- == 0)
            return r;
    fail_msg("no record %s", address);
    return NULL;
}

static void check_value(json_t *root, const char *address, size_t i, const char *value, const char *unit)
{
    json_t *v = json_array_get(array(record(root, address, 0), "values"), i);
    assert_non_null(v);
    assert_string_equal(str(v, "value"), value);
    json_t *u = json_object_get(v, "unit");
    if (unit == NULL)
        assert_true(json_is_null(u));
    else
        assert_string_equal(json_string_value(u), unit);
}

/* Every frame has a kind and a bcc verdict of the three allowed. */
static size_t count_bcc(json_t *root, const char *verdict)
{
    size_t i, n = 0;
    json_t *f;
    json_array_foreach(array(root, "frames"), i, f) {
        str(f, "kind");
        const char *b = str(f, "bcc");
        assert_true(strcmp(b, "ok") == 0 || strcmp(b, "bad") == 0 || strcmp(b, "absent") == 0);
        n += strcmp(b, verdict) == 0;
    }
    return n;
}

static void test_ace3000(void **state)
{
    (void)state;
    json_t *root = run_json(1, "ace3000_noise_readout.bin");
    json_t *ident = json_object_get(root, "ident");
    assert_string_equal(str(ident, "manufacturer"), "ACE");
    assert_string_equal(str(ident, "baud_char"), "0");
    assert_string_equal(str(ident, "id"), "k260V01.19");
    assert_int_equal(count_bcc(root, "bad"), 1);
    assert_int_equal(json_array_size(array(root, "records")), 0);
    assert_false(json_is_true(json_object_get(root, "ok")));
    json_decref(root);
    /* --no-bcc decodes the data; the garbage in the block still makes it exit 1 */
    root = run_json(1, "ace3000_noise_readout.bin --no-bcc");
    check_value(root, "C.1", 0, "1126120053322353", NULL);
    check_value(root, "1.8.0", 0, "013925.5", "");
    assert_string_equal(str(record(root, "1.8.0", 0), "name"), "Active energy import (+A), total");
    assert_int_equal(json_array_size(array(root, "errors")), 2);
    json_decref(root);
}

static void test_zmd120ap(void **state)
{
    (void)state;
    json_t *root = run_json(0, "zmd120ap_readout.txt");
    assert_string_equal(str(json_object_get(root, "ident"), "manufacturer"), "LGZ");
    check_value(root, "1.8.1", 0, "001846.0", "kWh");
    check_value(root, "2.8.0", 0, "004329.6", "kWh");
    check_value(root, "0.0.0", 0, " 20000", NULL);
    assert_string_equal(str(record(root, "1.8.1", 0), "obis"), "1-0:1.8.1*255");
    assert_true(json_is_true(json_object_get(root, "ok")));
    json_decref(root);
}

static void test_kamstrup(void **state)
{
    (void)state;
    json_t *root = run_json(0, "kamstrup162_push.txt");
    json_t *gas = array(record(root, "0-1:24.3.0", 0), "values");
    assert_int_equal(json_array_size(gas), 7);
    assert_string_equal(str(json_array_get(gas, 6), "value"), "00054.386");
    check_value(root, "1-0:1.8.2", 0, "00024.000", "kWh");
    json_decref(root);
}

static void check_profile(const char *file, const char *start, const char *status, size_t rows,
                          const char *ch0, const char *last_row_v0)
{
    json_t *root = run_json(0, file);
    json_t *p = json_array_get(array(root, "profiles"), 0);
    assert_non_null(p);
    assert_string_equal(str(p, "start"), start);
    assert_string_equal(str(p, "status"), status);
    assert_int_equal(json_integer_value(json_object_get(p, "interval_min")), 15);
    json_t *ch = array(p, "channels");
    assert_int_equal(json_array_size(ch), 6);
    assert_string_equal(str(json_array_get(ch, 0), "id"), ch0);
    assert_string_equal(str(json_array_get(ch, 0), "unit"), "kW");
    json_t *r = array(p, "rows");
    assert_int_equal(json_array_size(r), rows);
    json_t *last = json_array_get(r, rows - 1);
    assert_string_equal(str(json_array_get(array(last, "values"), 0), "value"), last_row_v0);
    json_decref(root);
}

static void test_profiles(void **state)
{
    (void)state;
    check_profile("emh_p01_profile.txt", "2022-08-23T16:15:00", "00000000", 2, "1.5", "0.16832");
    check_profile("metcom_p01_profile.txt", "2022-08-23T15:00:00", "00000008", 4, "1-0:1.5.0", "0.00006");
}

static void test_ce301(void **state)
{
    (void)state;
    json_t *root = run_json(1, "ce301_programming_session.txt");
    assert_int_equal(count_bcc(root, "bad"), 26);
    json_decref(root);
    root = run_json(0, "ce301_programming_session.txt --checksum sum7");
    assert_int_equal(count_bcc(root, "ok"), 26);
    assert_int_equal(count_bcc(root, "bad"), 0);
    check_value(root, "FREQU", 0, "49.96", NULL);
    /* the P1 password is never printed */
    json_t *p1 = json_array_get(array(root, "frames"), 4);
    assert_string_equal(str(p1, "command"), "P1");
    assert_string_equal(str(p1, "data"), "(password hidden)");
    assert_string_equal(str(p1, "direction"), "to_meter");
    json_decref(root);
}

static void test_framing_vectors(void **state)
{
    (void)state;
    json_t *root = run_json(1, "framing_vectors.txt");
    assert_int_equal(count_bcc(root, "bad"), 1);
    json_decref(root);
    root = run_json(0, "framing_vectors.txt --no-bcc");
    check_value(root, "3:14", 0, "314", "kWh");
    assert_string_equal(str(json_object_get(root, "ident"), "mode"), "E");
    json_decref(root);
}

static void test_hex_and_stdin(void **state)
{
    (void)state;
    char path[] = "/tmp/pmu-test-hexXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# sign-on and a readout as a plain hex dump\n"
          "2f 3f 21 0d 0a\n"
          "02 33 3a 31 37 31 2e 30 28 30 29 03 12\n", f);
    fclose(f);
    json_t *root = run_json(0, path);
    assert_string_equal(str(root, "format"), "hex");
    check_value(root, "3:171.0", 0, "0", NULL);
    json_decref(root);
    char args[256];
    snprintf(args, sizeof args, "--hex - < %s", path);
    root = run_json(0, args);
    assert_int_equal(count_bcc(root, "ok"), 1);
    json_decref(root);
    unlink(path);
    /* the text output names the records too */
    assert_int_equal(run("parse zmd120ap_readout.txt"), 0);
    assert_non_null(strstr(out, "Active energy import (+A), tariff 1"));
    assert_int_equal(run("parse emh_p01_profile.txt"), 0);
    assert_non_null(strstr(out, "Load profile P.01 from 2022-08-23T16:15:00"));
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(run("parse --checksum crc zmd120ap_readout.txt"), 2);
    assert_int_equal(run("parse --format pdf zmd120ap_readout.txt"), 2);
    assert_int_equal(run("parse a b"), 2);
    assert_int_equal(run("parse --bogus"), 2);
    assert_int_equal(run("parse /nonexistent/file"), 3);
    assert_int_equal(run("nosuchcommand"), 2);
    assert_int_equal(run("parse --help"), 0);
    assert_non_null(strstr(out, "usage: pmu parse"));
    assert_int_equal(run("--version"), 0);
    assert_int_equal(run("parse --hex ace3000_noise_readout.bin"), 1); /* not a hex dump */
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_cli_parse PMU CAPTURES_DIR\n");
        return 2;
    }
    pmu = argv[1];
    captures = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ace3000),   cmocka_unit_test(test_zmd120ap),
        cmocka_unit_test(test_kamstrup),  cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_ce301),     cmocka_unit_test(test_framing_vectors),
        cmocka_unit_test(test_hex_and_stdin), cmocka_unit_test(test_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
