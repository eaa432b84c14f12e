/* W1 writes with read-back against pmu-sim's generic meter over TCP, through the
 * engine: the example scheme schemes/generic-iec.yaml compiled for the generic model
 * (every address of the set), all verified, also with NAK and corrupted bytes on the
 * line; the values stay for a later session; a refused address; a line cut after the
 * third write leaves the rest pending. Usage: test_generic_writes PMU_SIM SOURCE_DIR CASE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/simproc.h"
#include "pmu/engine.h"
#include "pmu/scheme.h"
#include "pmu/session.h"

static const char *sim_bin, *source_dir;
static const char *const password = "secret12";
static struct simproc sim;

/* The write list: the compiled scheme plus the VT ratio, which the example leaves out. */
static struct pmu_scheme_items items;
static struct pmu_iec_write writes[128];
static size_t n_writes;

/* What the finished session left: copied in the engine's callback. */
static struct pmu_iec_write_result results[128];
static size_t n_results;
static enum pmu_status status;
static char message[256];
static unsigned repeats;
static struct pmu_readout readback;

static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", source_dir, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[2][1 << 16];
    static int which;
    char *b = buf[which++ % 2];
    *len = fread(b, 1, sizeof buf[0] - 1, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static void compile_scheme(void)
{
    size_t yl, jl;
    const char *yaml = slurp("schemes/generic-iec.yaml", &yl);
    const char *json = slurp("models/generic/generic-iec.json", &jl);
    struct pmu_scheme *s = NULL;
    struct pmu_scheme_caps caps;
    struct pmu_error e;
    assert_int_equal(pmu_scheme_parse(yaml, yl, &s, NULL, NULL, &e), PMU_OK);
    assert_int_equal(pmu_scheme_caps_load(json, jl, &caps, &e), PMU_OK);
    assert_int_equal(pmu_scheme_check(s, &caps, NULL, NULL), 0);
    assert_int_equal(pmu_scheme_compile(s, &caps, &items, &e), PMU_OK);
    pmu_scheme_free(s);
    assert_int_equal(items.target, PMU_SCHEME_GENERIC);
    n_writes = 0;
    static const struct pmu_iec_write vt[] = {{"0.4.3", "11000", true}, {"0.4.6", "110", true}};
    for (size_t i = 0; i < 2; i++)
        writes[n_writes++] = vt[i];
    for (size_t i = 0; i < items.n && n_writes < 128; i++)
        writes[n_writes++] = (struct pmu_iec_write){
            .address = items.items[i].address, .value = items.items[i].value, .verify = true};
}

static bool listed(const char *address)
{
    for (size_t i = 0; i < n_writes; i++)
        if (strcmp(writes[i].address, address) == 0)
            return true;
    return false;
}

static void start_sim(const char *faults)
{
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)sim_bin;
    argv[n++] = "--tcp";
    argv[n++] = "1";
    argv[n++] = "--password";
    argv[n++] = (char *)password;
    argv[n++] = "--reaction-ms";
    argv[n++] = "0";
    if (faults != NULL) {
        argv[n++] = "--faults";
        argv[n++] = (char *)faults;
        argv[n++] = "--fault-seed";
        argv[n++] = "7";
    }
    argv[n] = NULL;
    assert_int_equal(simproc_start(&sim, argv, 30), 0);
    assert_int_equal(sim.n_meters, 1);
}

static int stop(void **state)
{
    (void)state;
    simproc_stop(&sim);
    pmu_scheme_items_free(&items);
    pmu_readout_free(&readback);
    memset(&items, 0, sizeof items);
    return 0;
}

static void on_done(void *user, struct pmu_session *s)
{
    (void)user;
    status = s->status;
    repeats = s->repeats;
    snprintf(message, sizeof message, "%s", s->error.message);
    n_results = s->n_writes;
    if (s->n_writes > 0)
        memcpy(results, s->writes, s->n_writes * sizeof *s->writes);
    pmu_readout_free(&readback);
    readback = s->result;
    pmu_readout_init(&s->result); /* taken over */
}

/* One session: the writes (verify as listed), then R1 of codes. */
static void run_session(const struct pmu_iec_write *w, size_t n, const char *const *codes, size_t n_codes,
                        const char *options)
{
    char text[512];
    snprintf(text, sizeof text, "%s&reaction_ms=0&timeout_ms=400%s", sim.meters[0].path, options);
    struct pmu_path path;
    struct pmu_error err;
    assert_int_equal(pmu_path_parse(text, &path, &err), PMU_OK);
    struct pmu_read_request req = {.password = password, .writes = w, .n_writes = n,
                                   .codes = codes, .n_codes = n_codes};
    struct pmu_engine_options eo = {.max_parallel = 1, .trace = getenv("PMU_TEST_TRACE") ? stderr : NULL};
    struct pmu_engine *e = pmu_engine_new(&eo, &err);
    assert_non_null(e);
    n_results = 0;
    assert_int_equal(pmu_engine_add(e, &path, &req, on_done, NULL, &err), PMU_OK);
    assert_int_equal(pmu_engine_run(e, &err), PMU_OK);
    pmu_engine_free(e);
    assert_int_equal(n_results, n);
}

static void expect_all_verified(void)
{
    if (status != PMU_OK)
        fail_msg("session failed: %s", message);
    for (size_t i = 0; i < n_results; i++) {
        if (results[i].verdict != PMU_IEC_WRITE_VERIFIED)
            fail_msg("write %zu %s(%s): %s, %s", i + 1, results[i].address, results[i].written,
                     pmu_iec_verdict_name(results[i].verdict), results[i].message);
        assert_string_equal(results[i].after, writes[i].value);
        assert_true(results[i].has_before);
    }
}

static void test_all_verified(void **state)
{
    (void)state;
    compile_scheme();
    /* every address of the set (docs/schemes.md) is in the list */
    static const char *const set[] = {"0.4.2", "0.4.5", "0.4.3", "0.4.6", "128.1.0", "128.1.1",
                                      "0.8.0", "128.8.1", "128.2.0", "128.2.1", "0.8.4", "128.3.0",
                                      "128.3.1", "128.4.0", "128.4.1", "128.5.0", "128.5.1",
                                      "128.6.0", "128.6.1", "128.7.0", "128.7.1.0", "128.7.1.1",
                                      "128.9.0", "128.9.1", "128.0.1", "0.2.1"};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (!listed(set[i]))
            fail_msg("%s is not in the compiled write list", set[i]);
    assert_string_equal(writes[n_writes - 1].address, "0.2.1"); /* the scheme id last */
    start_sim(NULL);
    run_session(writes, n_writes, NULL, 0, "");
    expect_all_verified();
    assert_string_equal(results[0].before, "1");                /* the factory VT ratio */
    /* a later session of the same pmu-sim reads what was written */
    static const char *codes[] = {"0.4.2", "0.2.1", "128.7.1.1"};
    run_session(NULL, 0, codes, 3, "");
    assert_int_equal(status, PMU_OK);
    assert_int_equal(readback.n_records, 3);
    assert_string_equal(readback.records[0].values[0].text, "400");
    assert_string_equal(readback.records[1].values[0].text, "GEN2R-01");
}

static void test_faults_still_verified(void **state)
{
    (void)state;
    compile_scheme();
    start_sim("nak=0.1,corrupt=0.002");
    run_session(writes, n_writes, NULL, 0, "&retries=8");
    expect_all_verified();
    assert_true(repeats >= 3); /* the faults did hit */
}

static void test_refused_address(void **state)
{
    (void)state;
    static const struct pmu_iec_write w[] = {
        {"0.4.2", "200", true}, {"0.4.5", "5", true}, {"96.1.0", "X", true}, {"0.2.1", "S-1", true}};
    start_sim(NULL);
    run_session(w, 4, NULL, 0, "");
    assert_int_equal(status, PMU_E_REFUSED);
    assert_non_null(strstr(message, "write 3 of 4, 96.1.0(X)"));
    assert_int_equal(results[0].verdict, PMU_IEC_WRITE_VERIFIED);
    assert_int_equal(results[1].verdict, PMU_IEC_WRITE_VERIFIED);
    assert_int_equal(results[2].verdict, PMU_IEC_WRITE_REFUSED);
    assert_false(results[2].has_before);                    /* its R1 was refused too */
    assert_non_null(strstr(results[2].message, "(ERROR)"));
    assert_int_equal(results[3].verdict, PMU_IEC_WRITE_PENDING);
    /* the session ended with B0: the meter takes the next one at once */
    static const char *codes[] = {"0.4.2", "0.2.1"};
    run_session(NULL, 0, codes, 2, "");
    assert_int_equal(status, PMU_OK);
    assert_string_equal(readback.records[0].values[0].text, "200");
    assert_string_equal(readback.records[1].values[0].text, "");   /* never written */
}

static void test_interrupted(void **state)
{
    (void)state;
    static const struct pmu_iec_write w[] = {
        {"0.8.0", "15", true}, {"0.8.4", "15", true}, {"128.8.1", "3", true}, {"0.2.1", "S-2", true}};
    start_sim("cut_after_writes=3");
    run_session(w, 4, NULL, 0, "&retries=1");
    assert_int_not_equal(status, PMU_OK);
    assert_non_null(strstr(message, "stage writes"));
    assert_int_equal(results[0].verdict, PMU_IEC_WRITE_VERIFIED);
    assert_int_equal(results[1].verdict, PMU_IEC_WRITE_VERIFIED);
    assert_int_equal(results[2].verdict, PMU_IEC_WRITE_PENDING); /* sent, never answered */
    assert_true(results[2].has_before);
    assert_int_equal(results[3].verdict, PMU_IEC_WRITE_PENDING);
    assert_false(results[3].has_before);
}

static void test_wrong_password(void **state)
{
    (void)state;
    static const struct pmu_iec_write w[] = {{"0.4.2", "200", true}};
    start_sim("wrong_password=1");
    run_session(w, 1, NULL, 0, "");
    assert_int_equal(status, PMU_E_REFUSED);
    assert_non_null(strstr(message, "refused the password"));
    assert_int_equal(results[0].verdict, PMU_IEC_WRITE_PENDING);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_generic_writes PMU_SIM SOURCE_DIR CASE\n");
        return 2;
    }
    sim_bin = argv[1];
    source_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_all_verified, stop),
        cmocka_unit_test_teardown(test_faults_still_verified, stop),
        cmocka_unit_test_teardown(test_refused_address, stop),
        cmocka_unit_test_teardown(test_interrupted, stop),
        cmocka_unit_test_teardown(test_wrong_password, stop),
    };
    char filter[64];
    snprintf(filter, sizeof filter, "test_%s", argv[3]);
    bool known = false; /* a misspelt case must fail, not run nothing and pass */
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        known = known || strcmp(tests[i].name, filter) == 0;
    if (!known) {
        fprintf(stderr, "test_generic_writes: no case '%s'\n", argv[3]);
        return 2;
    }
    cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
