/* pmu-sim's pure helpers: the --faults spec, fleet files and meter options, the
 * consumption model and the meter clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pmu/sim.h"

static struct pmu_sim_config cfg;
static int64_t t0; /* 2024-01-15T12:34:56, in ms */

static int setup(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(pmu_sim_time_parse("2024-01-15T12:34:56", &t, NULL), PMU_OK);
    t0 = t * 1000;
    pmu_sim_config_init(&cfg);
    return 0;
}

static void test_faults_parse(void **state)
{
    (void)state;
    struct pmu_sim_faults f;
    struct pmu_error e;
    assert_int_equal(pmu_sim_faults_parse("corrupt=0.01,drop=0.01,delay=0.02,disconnect=0.001,"
                                          "silence=0.01,wrong_password=1,nak=0.05", &f, &e),
                     PMU_OK);
    assert_true(f.p[PMU_SIM_WRONG_PASSWORD] == 1.0);
    assert_true(f.p[PMU_SIM_DISCONNECT] > 0.00099 && f.p[PMU_SIM_DISCONNECT] < 0.00101);
    assert_int_equal(pmu_sim_faults_parse("", &f, &e), PMU_OK);
    assert_true(f.p[PMU_SIM_NAK] == 0);

    static const struct {
        const char *spec;
        enum pmu_status code;
        size_t offset;
        const char *message;
    } bad[] = {
        {"corupt=0.1", PMU_E_SYNTAX, 0, "unknown fault 'corupt': expected corrupt, drop"},
        {"drop=0.1,nack=1", PMU_E_SYNTAX, 9, "unknown fault 'nack'"},
        {"drop", PMU_E_SYNTAX, 4, "expected '=' and a probability after fault 'drop'"},
        {"drop=1.5", PMU_E_RANGE, 5, "fault 'drop': 1.5 is not a probability between 0 and 1"},
        {"drop=x", PMU_E_SYNTAX, 5, "fault 'drop': 'x' is not a number"},
        {"drop=", PMU_E_SYNTAX, 5, "fault 'drop': '' is not a number"},
        {"drop=-1", PMU_E_SYNTAX, 5, "is not a number"},
        {"drop=0.1,drop=0.2", PMU_E_SYNTAX, 9, "fault 'drop' is given twice"},
        {"drop=0.1,", PMU_E_SYNTAX, 9, "expected another fault after ','"},
        {",drop=0.1", PMU_E_SYNTAX, 0, "expected a fault name"},
        {"=0.1", PMU_E_SYNTAX, 0, "expected a fault name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pmu_error_clear(&e);
        assert_int_equal(pmu_sim_faults_parse(bad[i].spec, &f, &e), bad[i].code);
        assert_int_equal(e.offset, bad[i].offset);
        if (strstr(e.message, bad[i].message) == NULL)
            fail_msg("'%s': message \"%s\" lacks \"%s\"", bad[i].spec, e.message, bad[i].message);
    }
}

/* ---- Fleet files and options ---------------------------------------------------------- */

static void test_fleet(void **state)
{
    (void)state;
    static const char text[] =
        "# count  kind  options\n"
        "10000    tcp   mode=C baud=9600\n"
        "\n"
        "   10    pty   multidrop=10 mode=B baud=2400   # ten on one line\r\n"
        "2 tcp faults=drop=0.5,nak=1 password=secret reaction_ms=20 model=generic";
    struct pmu_sim_fleet f;
    struct pmu_error e;
    pmu_sim_fleet_init(&f);
    assert_int_equal(pmu_sim_fleet_parse(&f, text, strlen(text), &cfg, &e), PMU_OK);
    assert_int_equal(f.n_groups, 3);
    assert_int_equal(f.total, 10012);
    assert_int_equal(f.groups[0].count, 10000);
    assert_int_equal(f.groups[0].transport, PMU_SIM_TCP);
    assert_true(f.groups[0].cfg.fixed_rate);
    assert_false(f.groups[0].cfg.addressed_only);
    assert_int_equal(f.groups[0].line, 2);
    assert_int_equal(f.groups[1].transport, PMU_SIM_PTY);
    assert_int_equal(f.groups[1].multidrop, 10);
    assert_true(f.groups[1].cfg.addressed_only);
    assert_false(f.groups[1].cfg.fixed_rate);
    assert_int_equal(f.groups[1].cfg.mode, PMU_IEC_MODE_B);
    assert_int_equal(f.groups[1].cfg.baud, 2400);
    assert_int_equal(f.groups[1].line, 4);
    assert_string_equal(f.groups[2].cfg.password, "secret");
    assert_int_equal(f.groups[2].cfg.reaction_ms, 20);
    assert_true(f.groups[2].cfg.faults.p[PMU_SIM_NAK] == 1.0);
    assert_true(f.groups[2].cfg.faults.p[PMU_SIM_DROP] == 0.5);
    pmu_sim_fleet_free(&f);

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"10 udp\n", "line 1: unknown kind 'udp': expected tcp or pty"},
        {"# x\n\nten tcp\n", "line 3: expected a meter count of 1..99999999 first, got 'ten'"},
        {"0 tcp\n", "line 1: expected a meter count"},
        {"5\n", "line 1: expected the kind of meter line (tcp or pty) after the count"},
        {"1 tcp\n1 tcp baud=1234\n", "line 2: option 'baud': 1234 is not one of 300, 600, 1200, "
                                     "2400, 4800, 9600, 19200"},
        {"1 tcp mode=E\n", "line 1: option 'mode': 'E' is not one of A, B, C"},
        {"1 tcp colour=red\n", "line 1: unknown option 'colour'"},
        {"1 tcp mode\n", "line 1: expected name=value, got 'mode'"},
        {"1 pty multidrop=0\n", "line 1: option 'multidrop': 0 is not a number of 1..100"},
        {"1 pty mode=B baud=300\n", "line 1: mode B switches to 600..19200 baud"},
        {"1 tcp faults=drop=2\n", "line 1: option 'faults': byte 5: fault 'drop': 2 is not a "
                                  "probability"},
        {"1 tcp password=a(b\n", "line 1: option 'password'"},
        {"1 tcp reaction_ms=2000\n", "line 1: option 'reaction_ms': 2000 is not a number of 0..1500"},
        {"1 tcp model=A1700\n", "line 1: option 'model': 'A1700' is neither generic"},
        {"99999999 tcp\n1 tcp\n", "line 2: 1 meters would make more than 99999999 in all"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pmu_sim_fleet_init(&f);
        pmu_error_clear(&e);
        assert_true(pmu_sim_fleet_parse(&f, bad[i].text, strlen(bad[i].text), &cfg, &e) != PMU_OK);
        if (strstr(e.message, bad[i].message) != e.message)
            fail_msg("fleet \"%s\": message \"%s\" does not start \"%s\"", bad[i].text,
                     e.message, bad[i].message);
        pmu_sim_fleet_free(&f);
    }
}

/* ---- Consumption model and clock ------------------------------------------------------- */

static void test_consumption(void **state)
{
    (void)state;
    struct pmu_sim_load a, b;
    pmu_sim_load_init(&a, 7, 1);
    pmu_sim_load_init(&b, 7, 1);
    assert_memory_equal(&a, &b, sizeof a);
    pmu_sim_load_init(&b, 7, 2);
    assert_true(a.key != b.key);

    /* every interval is the advance of the registers across it */
    int64_t t = t0 / 1000 / 1800 * 1800;
    struct pmu_sim_registers r1, r2;
    pmu_sim_load_registers(&a, t, &r1);
    for (int k = 1; k <= 96; k++) {
        uint32_t e[PMU_SIM_CHANNELS];
        pmu_sim_load_interval(&a, t + k * 1800, e);
        pmu_sim_load_registers(&a, t + k * 1800, &r2);
        assert_int_equal(r2.import_wh - r1.import_wh, e[PMU_SIM_IMPORT]);
        assert_int_equal(r2.export_wh - r1.export_wh, e[PMU_SIM_EXPORT]);
        assert_int_equal(r2.reactive_import_varh - r1.reactive_import_varh, e[PMU_SIM_REACTIVE]);
        assert_int_equal(r2.import_wh, r2.import_day_wh + r2.import_night_wh);
        /* tariff 1 counts the intervals that start from 07:00 to before 23:00 */
        int64_t start_min = ((t + (k - 1) * 1800) % 86400) / 60;
        bool day = start_min >= 7 * 60 && start_min < 23 * 60;
        assert_int_equal(r2.import_day_wh - r1.import_day_wh, day ? e[PMU_SIM_IMPORT] : 0);
        assert_true(e[PMU_SIM_IMPORT] > 0);
        /* between interval ends nothing changes */
        struct pmu_sim_registers mid;
        pmu_sim_load_registers(&a, t + k * 1800 - 1, &mid);
        assert_int_equal(mid.import_wh, r1.import_wh);
        r1 = r2;
    }

    /* maximum demand: the largest interval of the month so far, x 2 */
    pmu_sim_load_registers(&a, t0 / 1000, &r1);
    int64_t month_start;
    assert_int_equal(pmu_sim_time_parse("2024-01-01T00:00:00", &month_start, NULL), PMU_OK);
    uint32_t best = 0;
    int64_t best_at = 0;
    for (int64_t end = month_start + 1800; end <= t0 / 1000; end += 1800) {
        uint32_t e[PMU_SIM_CHANNELS];
        pmu_sim_load_interval(&a, end, e);
        if (2 * e[PMU_SIM_IMPORT] > best) {
            best = 2 * e[PMU_SIM_IMPORT];
            best_at = end;
        }
    }
    assert_int_equal(r1.max_demand_w, best);
    assert_int_equal(r1.max_demand_at, best_at);
    assert_int_equal(r1.billing_resets, 24 * 12);
    assert_true(r1.voltage_dv >= 2270 && r1.voltage_dv <= 2330);
    /* at the first instant of a month nothing has been recorded yet */
    pmu_sim_load_registers(&a, month_start, &r1);
    assert_int_equal(r1.max_demand_w, 0);
    assert_int_equal(r1.max_demand_at, month_start);
    /* before the origin the registers hold their base */
    pmu_sim_load_registers(&a, PMU_SIM_ORIGIN - 5000, &r1);
    assert_int_equal(r1.import_wh, a.base_day_wh + a.base_night_wh);
}

static void test_clock(void **state)
{
    (void)state;
    int64_t t;
    struct pmu_error e;
    assert_int_equal(pmu_sim_time_parse("2000-01-01T00:00:00", &t, &e), PMU_OK);
    assert_int_equal(t, PMU_SIM_ORIGIN);
    assert_int_equal(pmu_sim_time_parse("2024-02-29T23:59:59", &t, &e), PMU_OK);
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(t, &ts);
    assert_int_equal(ts.year, 2024);
    assert_int_equal(ts.month, 2);
    assert_int_equal(ts.day, 29);
    assert_int_equal(ts.second, 59);
    assert_int_equal(pmu_timestamp_to_seconds(&ts), t);
    assert_int_equal(pmu_sim_time_parse("2023-02-29T00:00:00", &t, &e), PMU_E_RANGE);
    assert_string_equal(e.message, "time '2023-02-29T00:00:00': day 29 does not exist in 2023-02");
    assert_int_equal(pmu_sim_time_parse("2024-01-01 00:00:00", &t, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_time_parse("1999-12-31T00:00:00", &t, &e), PMU_E_RANGE);
    assert_int_equal(pmu_sim_time_parse("2024-01-01T24:00:00", &t, &e), PMU_E_RANGE);
}

static void test_config(void **state)
{
    (void)state;
    struct pmu_error e;
    assert_int_equal(pmu_sim_config_set(&cfg, "baud", "19200", &e), PMU_OK);
    assert_int_equal(cfg.baud, 19200);
    assert_int_equal(pmu_sim_config_set(&cfg, "baud", "96OO", &e), PMU_E_INVALID);
    assert_int_equal(pmu_sim_config_set(&cfg, "password", "", &e), PMU_E_INVALID);
    assert_non_null(pmu_sim_model_find("generic"));
    assert_null(pmu_sim_model_find("nope"));
    cfg.mode = PMU_IEC_MODE_B;
    cfg.baud = 300;
    assert_int_equal(pmu_sim_config_check(&cfg, &e), PMU_E_INVALID);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_faults_parse), T(test_fleet),  T(test_consumption),
        T(test_clock),        T(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
