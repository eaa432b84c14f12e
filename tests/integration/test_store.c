/* The store against a real database: test_store CONNECTION-STRING runs the same
 * tests on an SQLite file ("/tmp/x.db") or a PostgreSQL database
 * ("postgresql:///openpmu_test?host=..."). Each test starts from an empty database.
 *
 * Covers: migrations (create, upgrade from version 1, upgrade from version 2 with its
 * intervals moved into day rows, refuse newer), every API call, exact decimal text,
 * identical re-reads storing nothing, conflicting values kept and flagged, day rows
 * (midnights, ranges, merges, damaged rows), CSV import errors (line numbers, nothing
 * imported), meter list round trip, the three export formats against hand-checked
 * files in tests/data/exports, two writers of one meter's day rows at once (nothing
 * lost), and crash safety (a writer killed with SIGKILL mid-ingest leaves whole
 * meters only). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "pmu/export.h"
#include "pmu/readout.h"
#include "pmu/scheme.h"
#include "pmu/store.h"

static const char *conn;
static bool postgres;
static struct pmu_store *st;
static struct pmu_error err;

/* ---- fixtures -------------------------------------------------------------------------- */

static void wipe(void)
{
    if (!postgres) {
        char path[1024];
        const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s%s", conn, suffixes[i]);
            unlink(path);
        }
        return;
    }
    PGconn *c = PQconnectdb(conn);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", conn, PQerrorMessage(c));
    PGresult *r = PQexec(c, "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("cannot empty the database: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static void open_store(void)
{
    if (pmu_store_open(conn, &st, &err) != PMU_OK)
        fail_msg("open %s: %s", conn, err.message);
}

static int setup(void **state)
{
    (void)state;
    wipe();
    open_store();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pmu_store_close(st);
    st = NULL;
    return 0;
}

#define OK(call)                                                                      \
    do {                                                                              \
        enum pmu_status ok_status_ = (call);                                          \
        if (ok_status_ != PMU_OK)                                                     \
            fail_msg("%s: %s (%s)", #call, err.message, pmu_status_name(ok_status_)); \
    } while (0)

static struct pmu_meter_record meter(const char *serial, const char *site, const char *path)
{
    struct pmu_meter_record m;
    memset(&m, 0, sizeof m);
    snprintf(m.serial, sizeof m.serial, "%s", serial);
    snprintf(m.site, sizeof m.site, "%s", site);
    snprintf(m.path, sizeof m.path, "%s", path);
    snprintf(m.make, sizeof m.make, "Elster");
    snprintf(m.model, sizeof m.model, "A1700");
    return m;
}

static void readout_from(struct pmu_readout *r, const char *text)
{
    pmu_readout_init(r);
    enum pmu_status status = pmu_readout_add_block(r, (const uint8_t *)text, strlen(text), 0, 0, false);
    if (status != PMU_OK)
        fail_msg("readout: %s", r->n_errors ? r->errors[0].message : "?");
}

/* Saves text as meter serial's readout in a new run; returns the run. */
static int64_t save(const char *serial, const char *text, struct pmu_save_stats *stats)
{
    struct pmu_readout r;
    int64_t run;
    readout_from(&r, text);
    OK(pmu_store_begin_run(st, NULL, &run, &err));
    OK(pmu_store_save_readout(st, run, serial, &r, 1705320000, stats, &err));
    OK(pmu_store_finish_run(st, run, "ok", "", &err));
    pmu_readout_free(&r);
    return run;
}

struct collected {
    size_t n, conflicts;
    char text[64][96];
};

static enum pmu_status collect_interval(void *user, const struct pmu_interval_row *row)
{
    struct collected *c = user;
    char end[20];
    pmu_store_format_seconds(row->end, end);
    if (c->n < 64)
        snprintf(c->text[c->n], sizeof c->text[0], "%s %s %s%s", row->channel->code, end, row->value,
                 row->conflict ? " conflict" : "");
    c->n++;
    c->conflicts += row->conflict;
    return PMU_OK;
}

static struct collected intervals(const char *serial, const char *channel, bool conflicts_only)
{
    struct collected c;
    memset(&c, 0, sizeof c);
    struct pmu_interval_query q = {serial, channel, false, false, 0, 0, conflicts_only};
    OK(pmu_store_intervals(st, &q, collect_interval, &c, &err));
    return c;
}

/* ---- migrations ------------------------------------------------------------------------- */

static void test_create(void **state)
{
    (void)state;
    assert_int_equal(pmu_store_schema_version(st), PMU_STORE_SCHEMA_VERSION);
    assert_int_equal(pmu_store_backend(st), postgres ? PMU_STORE_POSTGRES : PMU_STORE_SQLITE);
    /* opening again finds it current and changes nothing */
    pmu_store_close(st);
    open_store();
    assert_int_equal(pmu_store_schema_version(st), PMU_STORE_SCHEMA_VERSION);
    int64_t n;
    OK(pmu_store_query_int(st, "SELECT COUNT(*) FROM schema_version", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, PMU_STORE_SCHEMA_VERSION);
}

static void test_upgrade_from_v1(void **state)
{
    (void)state;
    pmu_store_close(st);
    wipe();
    struct pmu_store_options opt = {1};
    OK(pmu_store_open_with(conn, &opt, &st, &err));
    assert_int_equal(pmu_store_schema_version(st), 1);
    bool has;
    OK(st->ops->has_table(st, "profile_days", &has, &err));
    assert_false(has);
    struct pmu_meter_record m = meter("OLD-1", "Depot", "serial:/dev/ttyUSB0");
    OK(pmu_store_meter_add(st, &m, &err));
    pmu_store_close(st);

    open_store();  /* upgrades to the latest */
    assert_int_equal(pmu_store_schema_version(st), PMU_STORE_SCHEMA_VERSION);
    OK(st->ops->has_table(st, "profile_days", &has, &err));
    assert_true(has);
    struct pmu_meter_record got;
    OK(pmu_store_meter_get(st, "OLD-1", &got, &err));
    assert_string_equal(got.site, "Depot");
    struct pmu_save_stats stats;
    save("OLD-1", "1.8.0(000123.4560*kWh)\r\n!\r\n", &stats);
    assert_int_equal(stats.readings, 1);
}

static enum pmu_status first_provenance(void *user, const struct pmu_interval_row *row)
{
    int64_t *out = user;
    if (out[0] == 0) {
        out[0] = row->status;
        out[1] = row->run_id;
    }
    return PMU_OK;
}

/* A version-2 database keeps intervals one row each; the upgrade packs them into day
 * rows and nothing changes for the reader: values, status, runs, conflicts. */
static void test_upgrade_from_v2(void **state)
{
    (void)state;
    pmu_store_close(st);
    wipe();
    struct pmu_store_options opt = {2};
    OK(pmu_store_open_with(conn, &opt, &st, &err));
    struct pmu_meter_record m = meter("V2-1", "", "");
    OK(pmu_store_meter_add(st, &m, &err));
    int64_t run, meter_id;
    OK(pmu_store_begin_run(st, NULL, &run, &err));
    OK(pmu_store_meter_id(st, "V2-1", &meter_id, &err));
    static const char *const ends[] = {"2024-01-01T23:30", "2024-01-02T00:00", "2024-01-02T00:30",
                                       "2024-01-02T00:30", "2024-01-02T01:00"};
    static const char *const values[] = {"000.1250", "000.2500", "000.3750", "000.3751", "-0.0010"};
    char sql[2048];
    size_t o = (size_t)snprintf(sql, sizeof sql,
                                "INSERT INTO channels (meter_id, profile, code, unit, interval_min, direction) "
                                "VALUES (%lld, 'P.01', '1.5', 'kWh', 30, 'import'), "
                                "(%lld, 'P.01', '2.5', 'kWh', 30, 'export');\n",
                                (long long)meter_id, (long long)meter_id);
    for (int i = 0; i < 5; i++) {
        int64_t end;
        OK(pmu_store_parse_seconds(ends[i], &end, &err));
        o += (size_t)snprintf(sql + o, sizeof sql - o,
                              "INSERT INTO profile_intervals (channel_id, interval_end, value, status, job_run_id) "
                              "SELECT id, %lld, '%s', 8, %lld FROM channels WHERE code = '%s';\n",
                              (long long)end, values[i], (long long)run, i == 4 ? "2.5" : "1.5");
    }
    OK(st->ops->exec(st, sql, &err));
    pmu_store_close(st);

    open_store();  /* upgrades to the latest: the rows move into day rows */
    assert_int_equal(pmu_store_schema_version(st), PMU_STORE_SCHEMA_VERSION);
    bool has;
    OK(st->ops->has_table(st, "profile_intervals", &has, &err));
    assert_false(has);
    int64_t n;
    OK(pmu_store_query_int(st, "SELECT COUNT(*) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 3);  /* 1.5 on two days, 2.5 on one */
    OK(pmu_store_query_int(st, "SELECT SUM(conflicts) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 1);
    struct collected c = intervals("V2-1", NULL, false);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.text[0], "1.5 2024-01-01T23:30:00 000.1250");
    assert_string_equal(c.text[1], "1.5 2024-01-02T00:00:00 000.2500");
    assert_string_equal(c.text[2], "1.5 2024-01-02T00:30:00 000.3750 conflict");
    assert_string_equal(c.text[3], "1.5 2024-01-02T00:30:00 000.3751 conflict");
    assert_string_equal(c.text[4], "2.5 2024-01-02T01:00:00 -0.0010");
    int64_t provenance[2] = {0, 0};
    struct pmu_interval_query q = {"V2-1", NULL, false, false, 0, 0, false};
    OK(pmu_store_intervals(st, &q, first_provenance, provenance, &err));
    assert_int_equal(provenance[0], 8);
    assert_int_equal(provenance[1], run);
    c = intervals("V2-1", NULL, true);
    assert_int_equal(c.n, 2);
    /* reading the same again stores nothing new */
    struct pmu_save_stats stats;
    save("V2-1", "P.01(0240101233000)(08)(30)(1)(1.5)(kWh)\r\n(000.1250)\r\n(000.2500)\r\n", &stats);
    assert_int_equal(stats.intervals, 2);
    assert_int_equal(stats.intervals_new, 0);
}

static void test_refuse_newer(void **state)
{
    (void)state;
    OK(st->ops->exec(st, "INSERT INTO schema_version (version, applied_at, description) "
                         "VALUES (99, '2030-01-01T00:00:00Z', 'from the future')", &err));
    pmu_store_close(st);
    st = NULL;
    assert_int_equal(pmu_store_open(conn, &st, &err), PMU_E_UNSUPPORTED);
    assert_null(st);
    char want[128];
    snprintf(want, sizeof want, "database schema version 99 is newer than this openpmu (%d): upgrade openpmu",
             PMU_STORE_SCHEMA_VERSION);
    assert_string_equal(err.message, want);
    /* refused untouched: still 99, and opening again refuses again */
    assert_int_equal(pmu_store_open(conn, &st, &err), PMU_E_UNSUPPORTED);
}

/* ---- sites, meters, groups ------------------------------------------------------------ */

static void test_sites(void **state)
{
    (void)state;
    struct pmu_site_record site = {"Depot", "NCDE001234", "1 Main St", "gate code 42", 0};
    OK(pmu_store_site_add(st, &site, &err));
    assert_int_equal(pmu_store_site_add(st, &site, &err), PMU_E_EXISTS);
    assert_string_equal(err.message, "site 'Depot' already exists");
    struct pmu_site_record bad = {"Bad", "nmi-1", "", "", 0};
    assert_int_equal(pmu_store_site_add(st, &bad, &err), PMU_E_INVALID);
    struct pmu_site_record empty = {"", "", "", "", 0};
    assert_int_equal(pmu_store_site_add(st, &empty, &err), PMU_E_INVALID);

    struct pmu_meter_record m = meter("M1", "Depot", "");
    OK(pmu_store_meter_add(st, &m, &err));
    struct pmu_site_record got;
    OK(pmu_store_site_get(st, "Depot", &got, &err));
    assert_string_equal(got.nmi, "NCDE001234");
    assert_string_equal(got.notes, "gate code 42");
    assert_int_equal(got.n_meters, 1);
    assert_int_equal(pmu_store_site_remove(st, "Depot", &err), PMU_E_INVALID);
    assert_string_equal(err.message, "site 'Depot' still has 1 meter: move or remove them first");

    struct pmu_site_record renamed = got;
    snprintf(renamed.name, sizeof renamed.name, "North Depot");
    OK(pmu_store_site_update(st, "Depot", &renamed, &err));
    OK(pmu_store_meter_get(st, "M1", &m, &err));
    assert_string_equal(m.site, "North Depot");
    assert_int_equal(pmu_store_site_get(st, "Depot", &got, &err), PMU_E_NOT_FOUND);
    assert_int_equal(pmu_store_site_update(st, "Nowhere", &renamed, &err), PMU_E_NOT_FOUND);

    struct pmu_site_record other = {"Substation 7", "", "", "", 0};
    OK(pmu_store_site_add(st, &other, &err));
    struct pmu_site_record *list;
    size_t n;
    OK(pmu_store_site_list(st, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "North Depot");
    assert_string_equal(list[1].name, "Substation 7");
    free(list);
    OK(pmu_store_site_remove(st, "Substation 7", &err));
    assert_int_equal(pmu_store_site_remove(st, "Substation 7", &err), PMU_E_NOT_FOUND);
}

static void test_meters(void **state)
{
    (void)state;
    struct pmu_meter_record m = meter("E123456", "Depot", "tcp:10.0.0.5:4001?address=12345678");
    snprintf(m.ct, sizeof m.ct, "200/5");
    snprintf(m.vt, sizeof m.vt, "11000/110");
    snprintf(m.password_ref, sizeof m.password_ref, "vault:meters/E123456");
    snprintf(m.notes, sizeof m.notes, "north wall, cabinet 3");
    OK(pmu_store_meter_add(st, &m, &err));  /* creates site Depot */
    assert_int_equal(pmu_store_meter_add(st, &m, &err), PMU_E_EXISTS);
    assert_string_equal(err.message, "meter 'E123456' already exists");

    struct pmu_meter_record bad = meter("X1", "", "bogus:path");
    assert_int_equal(pmu_store_meter_add(st, &bad, &err), PMU_E_INVALID);
    assert_non_null(strstr(err.message, "comms path 'bogus:path'"));
    bad = meter("X1", "", "");
    snprintf(bad.ct, sizeof bad.ct, "two hundred");
    assert_int_equal(pmu_store_meter_add(st, &bad, &err), PMU_E_INVALID);
    assert_string_equal(err.message,
                        "meter 'X1': CT ratio 'two hundred': write a number (40) or primary/secondary (200/5)");
    snprintf(bad.ct, sizeof bad.ct, "200/0");
    assert_int_equal(pmu_store_meter_add(st, &bad, &err), PMU_E_INVALID);
    bad = meter(" X1", "", "");
    assert_int_equal(pmu_store_meter_add(st, &bad, &err), PMU_E_INVALID);
    assert_int_equal(pmu_meter_record_check(&m, &err), PMU_OK);

    struct pmu_meter_record got;
    OK(pmu_store_meter_get(st, "E123456", &got, &err));
    assert_string_equal(got.path, "tcp:10.0.0.5:4001?address=12345678");
    assert_string_equal(got.ct, "200/5");
    assert_string_equal(got.vt, "11000/110");
    assert_string_equal(got.site, "Depot");
    assert_string_equal(got.password_ref, "vault:meters/E123456");
    assert_int_equal(strlen(got.created), 20);
    assert_int_equal(pmu_store_meter_get(st, "nope", &got, &err), PMU_E_NOT_FOUND);
    assert_string_equal(err.message, "no meter with serial 'nope'");

    /* edit: rename and move to no site */
    got.site[0] = '\0';
    snprintf(got.serial, sizeof got.serial, "E123457");
    OK(pmu_store_meter_update(st, "E123456", &got, &err));
    assert_int_equal(pmu_store_meter_get(st, "E123456", &got, &err), PMU_E_NOT_FOUND);
    OK(pmu_store_meter_get(st, "E123457", &got, &err));
    assert_string_equal(got.site, "");
    assert_int_equal(pmu_store_meter_update(st, "nope", &got, &err), PMU_E_NOT_FOUND);

    struct pmu_meter_record m2 = meter("A2", "Depot", "serial:/dev/ttyUSB1");
    OK(pmu_store_meter_add(st, &m2, &err));
    struct pmu_meter_record *list;
    size_t n;
    OK(pmu_store_meter_list(st, NULL, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].serial, "A2");
    assert_string_equal(list[1].serial, "E123457");
    free(list);
    struct pmu_meter_filter f = {"Depot", NULL};
    OK(pmu_store_meter_list(st, &f, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].serial, "A2");
    free(list);
    f.site = "Nowhere";
    assert_int_equal(pmu_store_meter_list(st, &f, &list, &n, &err), PMU_E_NOT_FOUND);

    /* a meter with history is removed only with it */
    save("A2", "1.8.0(1.0*kWh)\r\n!\r\n", NULL);
    assert_int_equal(pmu_store_meter_remove(st, "A2", false, &err), PMU_E_INVALID);
    OK(pmu_store_meter_get(st, "A2", &got, &err));
    OK(pmu_store_meter_remove(st, "A2", true, &err));
    OK(pmu_store_meter_remove(st, "E123457", false, &err));
    assert_int_equal(pmu_store_meter_remove(st, "E123457", false, &err), PMU_E_NOT_FOUND);
    OK(pmu_store_meter_list(st, NULL, &list, &n, &err));
    assert_int_equal(n, 0);
    free(list);
}

static void test_groups(void **state)
{
    (void)state;
    struct pmu_meter_record a = meter("A", "", ""), b = meter("B", "", ""), c = meter("C", "", "");
    OK(pmu_store_meter_add(st, &a, &err));
    OK(pmu_store_meter_add(st, &b, &err));
    OK(pmu_store_meter_add(st, &c, &err));
    OK(pmu_store_group_add(st, "nightly", "read every night", &err));
    OK(pmu_store_group_add(st, "feeders", NULL, &err));
    assert_int_equal(pmu_store_group_add(st, "nightly", "", &err), PMU_E_EXISTS);
    OK(pmu_store_group_add_member(st, "nightly", "A", &err));
    OK(pmu_store_group_add_member(st, "nightly", "C", &err));
    OK(pmu_store_group_add_member(st, "feeders", "C", &err));
    assert_int_equal(pmu_store_group_add_member(st, "nightly", "A", &err), PMU_E_EXISTS);
    assert_string_equal(err.message, "meter 'A' is already in group 'nightly'");
    assert_int_equal(pmu_store_group_add_member(st, "nightly", "Z", &err), PMU_E_NOT_FOUND);
    assert_int_equal(pmu_store_group_add_member(st, "daily", "A", &err), PMU_E_NOT_FOUND);

    struct pmu_group_record *groups;
    size_t n;
    OK(pmu_store_group_list(st, &groups, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(groups[0].name, "feeders");
    assert_int_equal(groups[0].n_members, 1);
    assert_string_equal(groups[1].name, "nightly");
    assert_string_equal(groups[1].description, "read every night");
    assert_int_equal(groups[1].n_members, 2);
    free(groups);

    struct pmu_meter_filter f = {NULL, "nightly"};
    struct pmu_meter_record *list;
    OK(pmu_store_meter_list(st, &f, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].serial, "A");
    assert_string_equal(list[1].serial, "C");
    free(list);

    OK(pmu_store_group_remove_member(st, "nightly", "A", &err));
    assert_int_equal(pmu_store_group_remove_member(st, "nightly", "A", &err), PMU_E_NOT_FOUND);
    struct pmu_group_record g;
    OK(pmu_store_group_get(st, "nightly", &g, &err));
    assert_int_equal(g.n_members, 1);
    /* removing a meter takes it out of its groups */
    OK(pmu_store_meter_remove(st, "C", false, &err));
    OK(pmu_store_group_get(st, "nightly", &g, &err));
    assert_int_equal(g.n_members, 0);
    OK(pmu_store_group_remove(st, "nightly", &err));
    assert_int_equal(pmu_store_group_get(st, "nightly", &g, &err), PMU_E_NOT_FOUND);
    assert_int_equal(pmu_store_group_remove(st, "nightly", &err), PMU_E_NOT_FOUND);
    OK(pmu_store_meter_get(st, "A", &a, &err));
}

/* ---- readings ---------------------------------------------------------------------------- */

static const char registers[] = "0.9.1(123456)\r\n1.8.0(000123.4560*kWh)\r\n1.8.1(-0.0010*kWh)\r\n"
                                "1.6.0(01.234*kW)(2401151230)\r\nC.1.0(12345678)\r\n!\r\n";

struct readings {
    size_t n;
    char text[16][128];
};

static enum pmu_status collect_reading(void *user, const struct pmu_reading_row *r)
{
    struct readings *c = user;
    if (c->n < 16)
        snprintf(c->text[c->n], sizeof c->text[0], "%s|%s|%d|%s|%s|%s|%s", r->register_id, r->obis ? r->obis : "-",
                 r->value_index, r->value, r->unit ? r->unit : "-", r->meter_time ? r->meter_time : "-",
                 r->collected_at);
    c->n++;
    return PMU_OK;
}

static void test_exact_decimals(void **state)
{
    (void)state;
    struct pmu_meter_record m = meter("M1", "", "");
    OK(pmu_store_meter_add(st, &m, &err));
    struct pmu_save_stats stats;
    int64_t run = save("M1", registers, &stats);
    assert_true(run > 0);
    assert_int_equal(stats.readings, 6);
    struct readings c = {0};
    OK(pmu_store_readings(st, "M1", NULL, 0, collect_reading, &c, &err));
    assert_int_equal(c.n, 6);
    assert_string_equal(c.text[0], "0.9.1|1-0:0.9.1*255|0|123456|-|-|2024-01-15T12:00:00Z");
    assert_string_equal(c.text[1], "1.8.0|1-0:1.8.0*255|0|000123.4560|kWh|-|2024-01-15T12:00:00Z");
    assert_string_equal(c.text[2], "1.8.1|1-0:1.8.1*255|0|-0.0010|kWh|-|2024-01-15T12:00:00Z");
    assert_string_equal(c.text[3], "1.6.0|1-0:1.6.0*255|0|01.234|kW|-|2024-01-15T12:00:00Z");
    assert_string_equal(c.text[4], "1.6.0|1-0:1.6.0*255|1|2401151230|-|2024-01-15T12:30:00|2024-01-15T12:00:00Z");
    assert_string_equal(c.text[5], "C.1.0|0-0:96.1.0*255|0|12345678|-|-|2024-01-15T12:00:00Z");

    /* filter and limit */
    memset(&c, 0, sizeof c);
    OK(pmu_store_readings(st, "M1", "1.8.0", 0, collect_reading, &c, &err));
    assert_int_equal(c.n, 1);
    memset(&c, 0, sizeof c);
    OK(pmu_store_readings(st, "M1", NULL, 2, collect_reading, &c, &err));
    assert_int_equal(c.n, 2);
    assert_int_equal(pmu_store_readings(st, "nope", NULL, 0, collect_reading, &c, &err), PMU_E_NOT_FOUND);
}

/* Two 30-minute channels; the first row ends at 2024-01-01 00:30. */
static const char profile_a[] = "P.01(0240101003000)(00)(30)(2)(1.5)(kWh)(2.5)(kWh)\r\n"
                                "(000.1250)(0.000)\r\n(000.2500)(0.000)\r\n(000.3750)(0.010)\r\n";
/* Re-read of the last two intervals plus one more; the 01:30 value differs. */
static const char profile_b[] = "P.01(0240101010000)(00)(30)(2)(1.5)(kWh)(2.5)(kWh)\r\n"
                                "(000.2500)(0.000)\r\n(000.3751)(0.010)\r\n(000.5000)(0.000)\r\n";

static void test_profiles_and_conflicts(void **state)
{
    (void)state;
    struct pmu_meter_record m = meter("M1", "", "");
    OK(pmu_store_meter_add(st, &m, &err));
    struct pmu_save_stats stats;
    save("M1", profile_a, &stats);
    assert_int_equal(stats.intervals, 6);
    assert_int_equal(stats.intervals_new, 6);
    save("M1", profile_a, &stats);  /* identical re-read: nothing new */
    assert_int_equal(stats.intervals, 6);
    assert_int_equal(stats.intervals_new, 0);
    struct collected c = intervals("M1", NULL, false);
    assert_int_equal(c.n, 6);
    assert_int_equal(c.conflicts, 0);
    assert_string_equal(c.text[0], "1.5 2024-01-01T00:30:00 000.1250");
    assert_string_equal(c.text[3], "2.5 2024-01-01T00:30:00 0.000");

    int64_t run_b = save("M1", profile_b, &stats);
    assert_int_equal(stats.intervals, 6);
    assert_int_equal(stats.intervals_new, 3);  /* 01:30 on 1.5 differs; 02:00 on both is new */
    c = intervals("M1", "1.5", false);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.text[2], "1.5 2024-01-01T01:30:00 000.3750 conflict");
    assert_string_equal(c.text[3], "1.5 2024-01-01T01:30:00 000.3751 conflict");
    assert_string_equal(c.text[4], "1.5 2024-01-01T02:00:00 000.5000");
    assert_int_equal(c.conflicts, 2);
    c = intervals("M1", NULL, true);
    assert_int_equal(c.n, 2);
    c = intervals(NULL, NULL, true);  /* across meters */
    assert_int_equal(c.n, 2);

    /* a range: from < end <= to */
    struct collected r;
    memset(&r, 0, sizeof r);
    struct pmu_interval_query q = {"M1", "2.5", true, true, 0, 0, false};
    OK(pmu_store_parse_seconds("2024-01-01T00:30", &q.from, &err));
    OK(pmu_store_parse_seconds("2024-01-01T01:30", &q.to, &err));
    OK(pmu_store_intervals(st, &q, collect_interval, &r, &err));
    assert_int_equal(r.n, 2);
    assert_string_equal(r.text[0], "2.5 2024-01-01T01:00:00 0.000");
    q.channel = "9.9";
    assert_int_equal(pmu_store_intervals(st, &q, collect_interval, &r, &err), PMU_E_NOT_FOUND);

    /* channels, with direction from the OBIS quantity */
    struct pmu_channel_record *ch;
    size_t n;
    OK(pmu_store_channels(st, "M1", &ch, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(ch[0].profile, "P.01");
    assert_string_equal(ch[0].code, "1.5");
    assert_string_equal(ch[0].unit, "kWh");
    assert_int_equal(ch[0].interval_min, 30);
    assert_string_equal(ch[0].pulse_multiplier, "1");
    assert_string_equal(ch[0].direction, "import");
    assert_string_equal(ch[1].direction, "export");
    free(ch);
    OK(pmu_store_channel_set(st, "M1", "2.5", "0.5", NULL, &err));
    assert_int_equal(pmu_store_channel_set(st, "M1", "2.5", "-1", NULL, &err), PMU_E_INVALID);
    assert_int_equal(pmu_store_channel_set(st, "M1", "2.5", NULL, "sideways", &err), PMU_E_INVALID);
    assert_int_equal(pmu_store_channel_set(st, "M1", "7.5", "2", NULL, &err), PMU_E_NOT_FOUND);
    OK(pmu_store_channels(st, "M1", &ch, &n, &err));
    assert_string_equal(ch[1].pulse_multiplier, "0.5");
    assert_string_equal(ch[1].direction, "export");
    free(ch);
    (void)run_b;
}

/* A profile of n 30-minute rows on one channel (1.5) whose first row ends at first;
 * values are "<base + i>.0". */
static void profile_text(char *text, size_t size, const char *first, int n, int base)
{
    size_t o = (size_t)snprintf(text, size, "P.01(%s)(00)(30)(1)(1.5)(kWh)\r\n", first);
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, size - o, "(%d.0)\r\n", base + i);
}

static struct collected range(const char *from, const char *to)
{
    struct collected c;
    memset(&c, 0, sizeof c);
    struct pmu_interval_query q = {"M1", NULL, from != NULL, to != NULL, 0, 0, false};
    if (from != NULL)
        OK(pmu_store_parse_seconds(from, &q.from, &err));
    if (to != NULL)
        OK(pmu_store_parse_seconds(to, &q.to, &err));
    OK(pmu_store_intervals(st, &q, collect_interval, &c, &err));
    return c;
}

/* Intervals are kept as one row per channel and day: days split where the meter's
 * clock passes midnight, ranges cut inside days, re-reads merge into stored days,
 * repeats inside one read, and a damaged row is reported, not misread. */
static void test_profile_days(void **state)
{
    (void)state;
    struct pmu_meter_record m = meter("M1", "", "");
    OK(pmu_store_meter_add(st, &m, &err));
    static char text[16384];
    struct pmu_save_stats stats;
    /* 2024-01-01 23:00 .. 2024-01-03 01:00: 53 intervals over three days */
    profile_text(text, sizeof text, "0240101230000", 53, 0);
    save("M1", text, &stats);
    assert_int_equal(stats.intervals_new, 53);
    int64_t n;
    OK(pmu_store_query_int(st, "SELECT COUNT(*) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 3);
    OK(pmu_store_query_int(st, "SELECT SUM(n_values) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 53);
    struct collected c = range(NULL, NULL);
    assert_int_equal(c.n, 53);
    assert_string_equal(c.text[0], "1.5 2024-01-01T23:00:00 0.0");
    assert_string_equal(c.text[2], "1.5 2024-01-02T00:00:00 2.0");
    assert_string_equal(c.text[52], "1.5 2024-01-03T01:00:00 52.0");
    /* from < end <= to, across the midnights */
    c = range("2024-01-01T23:30", "2024-01-02T00:00");
    assert_int_equal(c.n, 1);
    assert_string_equal(c.text[0], "1.5 2024-01-02T00:00:00 2.0");
    c = range("2024-01-02T00:00", "2024-01-03T00:00");
    assert_int_equal(c.n, 48);
    assert_string_equal(c.text[0], "1.5 2024-01-02T00:30:00 3.0");
    assert_string_equal(c.text[47], "1.5 2024-01-03T00:00:00 50.0");
    c = range("2024-01-03T01:00", NULL);
    assert_int_equal(c.n, 0);

    /* a re-read overlapping the last day and going on into a fourth: only the new
     * intervals are stored; a changed one is kept beside the stored one */
    profile_text(text, sizeof text, "0240103003000", 50, 51);
    save("M1", text, &stats);
    assert_int_equal(stats.intervals, 50);
    assert_int_equal(stats.intervals_new, 48);  /* 00:30 and 01:00 were stored with the same values */
    OK(pmu_store_query_int(st, "SELECT COUNT(*) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 4);
    profile_text(text, sizeof text, "0240102120000", 1, 999);
    save("M1", text, &stats);
    assert_int_equal(stats.intervals_new, 1);
    c = range("2024-01-02T11:30", "2024-01-02T12:00");
    assert_int_equal(c.n, 2);
    assert_string_equal(c.text[0], "1.5 2024-01-02T12:00:00 26.0 conflict");
    assert_string_equal(c.text[1], "1.5 2024-01-02T12:00:00 999.0 conflict");
    OK(pmu_store_query_int(st, "SELECT SUM(conflicts) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 1);

    /* one read that gives an interval twice (a clock set back): the same value is
     * stored once, a different one is a conflict */
    save("M1", "P.01(0240105003000)(00)(30)(1)(1.5)(kWh)\r\n(7.0)\r\n"
               "P.01(0240105003000)(00)(30)(1)(1.5)(kWh)\r\n(7.0)\r\n"
               "P.01(0240105003000)(00)(30)(1)(1.5)(kWh)\r\n(7.5)\r\n", &stats);
    assert_int_equal(stats.intervals, 3);
    assert_int_equal(stats.intervals_new, 2);
    c = range("2024-01-05T00:00", "2024-01-05T00:30");
    assert_int_equal(c.n, 2);
    assert_string_equal(c.text[0], "1.5 2024-01-05T00:30:00 7.0 conflict");
    assert_string_equal(c.text[1], "1.5 2024-01-05T00:30:00 7.5 conflict");

    /* a damaged row: an error that says where, never made-up intervals */
    OK(st->ops->exec(st, postgres ? "UPDATE profile_days SET data = decode('01ff', 'hex')"
                                  : "UPDATE profile_days SET data = X'01ff'", &err));
    memset(&c, 0, sizeof c);
    struct pmu_interval_query q = {"M1", NULL, false, false, 0, 0, false};
    assert_int_equal(pmu_store_intervals(st, &q, collect_interval, &c, &err), PMU_E_IO);
    assert_int_equal(c.n, 0);
    assert_non_null(strstr(err.message, "is damaged: byte 1: interval 0"));
    /* removing the meter with its history takes its day rows */
    OK(pmu_store_meter_remove(st, "M1", true, &err));
    OK(pmu_store_query_int(st, "SELECT COUNT(*) FROM profile_days", NULL, 0, &n, NULL, &err));
    assert_int_equal(n, 0);
}

static enum pmu_status count_event(void *user, const struct pmu_event_row *e)
{
    size_t *n = user;
    if (*n == 0) {
        assert_string_equal(e->meter_time, "2024-01-02T03:04:00");
        assert_string_equal(e->code, "0040");
        assert_string_equal(e->detail, "1,2");
    }
    (*n)++;
    return PMU_OK;
}

static void test_runs_and_events(void **state)
{
    (void)state;
    struct pmu_meter_record m = meter("M1", "", "");
    OK(pmu_store_meter_add(st, &m, &err));
    int64_t run1, run2;
    OK(pmu_store_begin_run(st, "nightly", &run1, &err));
    OK(pmu_store_begin_run(st, "nightly", &run2, &err));
    assert_true(run2 > run1);
    int64_t jobs;
    OK(pmu_store_query_int(st, "SELECT COUNT(*) FROM jobs", NULL, 0, &jobs, NULL, &err));
    assert_int_equal(jobs, 1);
    struct pmu_readout r;
    readout_from(&r, "P.98(0240102030400)(00)(1)(3)(x)()(y)()(z)()\r\n(0040)(1)(2)\r\n(0080)(3)(4)\r\n");
    struct pmu_save_stats stats;
    assert_int_equal(pmu_store_save_readout(st, 999999, "M1", &r, 0, &stats, &err), PMU_E_NOT_FOUND);
    assert_int_equal(pmu_store_save_readout(st, run1, "nope", &r, 0, &stats, &err), PMU_E_NOT_FOUND);
    OK(pmu_store_save_readout(st, run1, "M1", &r, 0, &stats, &err));
    pmu_readout_free(&r);
    assert_int_equal(stats.events, 2);
    size_t n = 0;
    OK(pmu_store_events(st, "M1", 0, count_event, &n, &err));
    assert_int_equal(n, 2);
    OK(pmu_store_finish_run(st, run1, "partial", "1 meter did not answer", &err));
    assert_int_equal(pmu_store_finish_run(st, run1, "fine", "", &err), PMU_E_INVALID);
    assert_int_equal(pmu_store_finish_run(st, 999999, "ok", "", &err), PMU_E_NOT_FOUND);
}

/* ---- the meter list as CSV ------------------------------------------------------------ */

struct problems {
    size_t n;
    char text[8][200];
};

static void report(void *user, size_t line, const char *message)
{
    struct problems *p = user;
    if (p->n < 8)
        snprintf(p->text[p->n], sizeof p->text[0], "%zu: %s", line, message);
    p->n++;
}

static void test_import_errors(void **state)
{
    (void)state;
    static const char text[] = "serial,make,model,site,path,ct\n"
                               "M1,Elster,A1700,Depot,tcp:10.0.0.5:4001,200/5\n"
                               "M2,Elster,A1700,Depot,bogus:path,200/5\n"
                               "\"M3\",\"Landis, Gyr\",\"ZMD\n120\",Depot,,40\n"
                               "M1,x,y,,,\n"
                               "M4,a,b,c,d\n"
                               "M5,a,b,,,two hundred\n";
    struct problems p = {0};
    size_t n = 99;
    assert_int_equal(pmu_store_meters_import_csv(st, text, strlen(text), false, report, &p, &n, &err), PMU_E_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(p.n, 4);
    assert_string_equal(p.text[0], "3: meter 'M2': comms path 'bogus:path': "
                                   "byte 0: unknown link kind 'bogus': use serial or tcp");
    assert_string_equal(p.text[1], "6: meter 'M1' appears twice in the file");
    assert_string_equal(p.text[2], "7: 5 fields, but the header names 6 columns");
    assert_string_equal(p.text[3], "8: meter 'M5': CT ratio 'two hundred': write a number (40) or "
                                   "primary/secondary (200/5)");
    assert_string_equal(err.message, "line 3: meter 'M2': comms path 'bogus:path': "
                                     "byte 0: unknown link kind 'bogus': use serial or tcp");
    struct pmu_meter_record *list;
    size_t count;
    OK(pmu_store_meter_list(st, NULL, &list, &count, &err));
    assert_int_equal(count, 0);  /* nothing imported */
    free(list);
    struct pmu_site_record site;
    assert_int_equal(pmu_store_site_get(st, "Depot", &site, &err), PMU_E_NOT_FOUND);

    static const char header[] = "serial,colour\nM1,red\n";
    memset(&p, 0, sizeof p);
    assert_int_equal(pmu_store_meters_import_csv(st, header, strlen(header), false, report, &p, &n, &err),
                     PMU_E_SYNTAX);
    assert_int_equal(p.n, 1);
    assert_non_null(strstr(p.text[0], "1: unknown column 'colour'"));
    static const char quote[] = "serial,make\nM1,\"Elster\n";
    memset(&p, 0, sizeof p);
    assert_int_equal(pmu_store_meters_import_csv(st, quote, strlen(quote), false, report, &p, &n, &err),
                     PMU_E_SYNTAX);
    assert_string_equal(p.text[0], "2: a quoted field never ends (missing \")");
}

static char *export_meters(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    OK(pmu_store_meters_export_csv(st, f, &err));
    fclose(f);
    return buf;
}

static void test_meter_csv_round_trip(void **state)
{
    (void)state;
    static const char text[] =
        "serial,make,model,site,path,address,password_ref,ct,vt,scheme,notes\n"
        "M1,Elster,A1700,Depot,tcp:10.0.0.5:4001,,vault:m1,200/5,11000/110,tou-2024,\"cabinet 3, \"\"top\"\" shelf\"\n"
        "M2,Landis,ZMD120,,serial:/dev/ttyUSB0,12345678,,,,,\"two\nlines\"\n"
        "M3,,,Depot,,,,40,, , ends in a space \n";
    struct problems p = {0};
    size_t n;
    OK(pmu_store_meters_import_csv(st, text, strlen(text), false, report, &p, &n, &err));
    assert_int_equal(n, 3);
    struct pmu_meter_record m;
    OK(pmu_store_meter_get(st, "M1", &m, &err));
    assert_string_equal(m.notes, "cabinet 3, \"top\" shelf");
    OK(pmu_store_meter_get(st, "M3", &m, &err));
    assert_string_equal(m.scheme, " ");
    assert_string_equal(m.notes, " ends in a space ");
    char *first = export_meters();

    /* again into an empty store: the export is the same, byte for byte */
    pmu_store_close(st);
    wipe();
    open_store();
    OK(pmu_store_meters_import_csv(st, first, strlen(first), false, report, &p, &n, &err));
    assert_int_equal(n, 3);
    char *second = export_meters();
    assert_string_equal(first, second);
    /* importing over existing meters needs update */
    assert_int_equal(pmu_store_meters_import_csv(st, first, strlen(first), false, report, &p, &n, &err),
                     PMU_E_EXISTS);
    OK(pmu_store_meters_import_csv(st, first, strlen(first), true, report, &p, &n, &err));
    free(first);
    free(second);
}

/* ---- exports --------------------------------------------------------------------------- */

/* One site with an NMI, one meter (CT 200/5: multiplier 40), two channels, a whole day
 * (2024-01-01) and three intervals of the next, and one interval re-read with a
 * different value by a later run. */
static void export_fixture(void)
{
    struct pmu_site_record site = {"Depot", "NCDE001234", "", "", 0};
    OK(pmu_store_site_add(st, &site, &err));
    struct pmu_meter_record m = meter("A1700-01", "Depot", "tcp:10.0.0.5:4001");
    snprintf(m.ct, sizeof m.ct, "200/5");
    OK(pmu_store_meter_add(st, &m, &err));
    char text[8192];
    size_t o = (size_t)snprintf(text, sizeof text, "P.01(0240101003000)(00)(30)(2)(1.5)(kWh)(2.5)(kWh)\r\n");
    for (int i = 0; i < 51; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "(%03d.%04d)(0.%03d)\r\n", i / 10, (i * 125) % 10000,
                              i % 4 == 0 ? 5 * i : 0);
    save("A1700-01", text, NULL);
    save("A1700-01", "P.01(0240101010000)(00)(30)(1)(1.5)(kWh)\r\n(000.9999)\r\n", NULL);
}

static void check_export(enum pmu_export_format format, const char *expected_file)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct pmu_export_options o = {.format = format, .created = 1705320000, .to_participant = "RETAILER"};
    OK(pmu_export_write(st, &o, f, &err));
    fclose(f);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", PMU_EXPORTS_DIR, expected_file);
    FILE *e = fopen(path, "rb");
    if (e == NULL || getenv("PMU_WRITE_EXPORTS") != NULL) {
        /* PMU_WRITE_EXPORTS=1 writes what came out, for a person to check by hand */
        FILE *w = fopen(path, "wb");
        assert_non_null(w);
        fwrite(buf, 1, len, w);
        fclose(w);
        if (e != NULL)
            fclose(e);
        free(buf);
        fail_msg("%s written: check it by hand", path);
    }
    static char want[1 << 20];
    size_t n = fread(want, 1, sizeof want - 1, e);
    want[n] = '\0';
    fclose(e);
    if (n != len || memcmp(want, buf, n) != 0)
        fail_msg("export differs from %s:\n%s", path, buf);
    free(buf);
}

static void test_export_csv(void **state)
{
    (void)state;
    export_fixture();
    check_export(PMU_EXPORT_CSV, "intervals.csv");
}

static void test_export_jsonl(void **state)
{
    (void)state;
    export_fixture();
    check_export(PMU_EXPORT_JSONL, "intervals.jsonl");
}

static void test_export_nem12(void **state)
{
    (void)state;
    export_fixture();
    check_export(PMU_EXPORT_NEM12, "intervals.nem12");
    /* a meter whose site has no NMI cannot be said in NEM12 */
    struct pmu_site_record site;
    OK(pmu_store_site_get(st, "Depot", &site, &err));
    site.nmi[0] = '\0';
    OK(pmu_store_site_update(st, "Depot", &site, &err));
    struct pmu_export_options o = {.format = PMU_EXPORT_NEM12};
    FILE *f = fopen("/dev/null", "w");
    assert_int_equal(pmu_export_write(st, &o, f, &err), PMU_E_INVALID);
    fclose(f);
    assert_non_null(strstr(err.message, "NMI"));
}

/* ---- two writers --------------------------------------------------------------------- */

#define SHARED_DAYS 60

/* Saves one hourly profile per day on channel 1.5 of meter SHARED, the hours ending
 * at minute `minute` (30 or 0): two writers fill the same day rows between them. */
static enum pmu_status write_days(struct pmu_store *s, int minute, struct pmu_error *e)
{
    int64_t run;
    enum pmu_status status = pmu_store_begin_run(s, NULL, &run, e);
    for (int d = 0; d < SHARED_DAYS && status == PMU_OK; d++) {
        char text[2048];
        size_t o = (size_t)snprintf(text, sizeof text, "P.01(024%02d%02d%02d%02d00)(00)(60)(1)(1.5)(kWh)\r\n",
                                    1 + d / 28, 1 + d % 28, minute == 0 ? 1 : 0, minute);
        for (int h = 0; h < 24; h++)
            o += (size_t)snprintf(text + o, sizeof text - o, "(%d.%02d)\r\n", d, minute == 0 ? h : 50 + h);
        struct pmu_readout r;
        pmu_readout_init(&r);
        pmu_readout_add_block(&r, (const uint8_t *)text, o, 0, 0, false);
        status = pmu_store_save_readout(s, run, "SHARED", &r, 0, NULL, e);
        pmu_readout_free(&r);
    }
    return status;
}

/* Two processes write the same meter's day rows at once; every interval of both
 * must be there afterwards (a read-merge-write without locking would lose some). */
static void test_two_writers(void **state)
{
    (void)state;
    struct pmu_meter_record m = meter("SHARED", "", "");
    OK(pmu_store_meter_add(st, &m, &err));
    /* the channel exists before the race, as it does after a meter's first read */
    save("SHARED", "P.01(0231231003000)(00)(60)(1)(1.5)(kWh)\r\n(0.00)\r\n", NULL);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct pmu_store *s;
        struct pmu_error e;
        close(ready[0]);
        if (pmu_store_open(conn, &s, &e) != PMU_OK || write(ready[1], "r", 1) != 1 ||
            write_days(s, 0, &e) != PMU_OK) {
            fprintf(stderr, "second writer: %s\n", e.message);
            _exit(1);
        }
        pmu_store_close(s);
        _exit(0);
    }
    close(ready[1]);
    char c0;
    assert_int_equal(read(ready[0], &c0, 1), 1);  /* both start together */
    close(ready[0]);
    OK(write_days(st, 30, &err));
    int wst;
    waitpid(pid, &wst, 0);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    struct collected c = intervals("SHARED", NULL, false);
    assert_int_equal(c.n, 1 + SHARED_DAYS * 48);
    assert_int_equal(c.conflicts, 0);
}

/* ---- crash safety ------------------------------------------------------------------------ */

#define CRASH_METERS 100          /* more than a writer commits before it is killed */
#define CRASH_ROWS 1500            /* x 4 channels = 6000 values a meter */

static void crash_child(int fd)
{
    struct pmu_store *s;
    struct pmu_error e;
    if (pmu_store_open(conn, &s, &e) != PMU_OK)
        _exit(10);
    size_t cap = 64 + (size_t)CRASH_ROWS * 48;
    char *text = malloc(cap);
    int64_t run;
    if (text == NULL || pmu_store_begin_run(s, "crash", &run, &e) != PMU_OK)
        _exit(11);
    for (int m = 0; m < CRASH_METERS; m++) {
        size_t o = (size_t)snprintf(text, cap, "1.8.0(%06d.%03d*kWh)\r\nP.01(0240101003000)(00)(30)(4)"
                                               "(1.5)(kWh)(2.5)(kWh)(3.5)(kvarh)(4.5)(kvarh)\r\n", m, m);
        for (int i = 0; i < CRASH_ROWS; i++)
            o += (size_t)snprintf(text + o, cap - o, "(%d.%03d)(0.%03d)(1.%03d)(2.%03d)\r\n", m, i % 1000, i % 1000,
                                  m, i % 7);
        struct pmu_readout r;
        pmu_readout_init(&r);
        pmu_readout_add_block(&r, (const uint8_t *)text, o, 0, 0, false);
        char serial[32];
        snprintf(serial, sizeof serial, "CRASH-%02d", m);
        if (pmu_store_save_readout(s, run, serial, &r, 0, NULL, &e) != PMU_OK)
            _exit(12);
        pmu_readout_free(&r);
        if (write(fd, "x", 1) != 1)
            _exit(13);
    }
    _exit(0);
}

static enum pmu_status count_reading(void *user, const struct pmu_reading_row *r)
{
    (void)r;
    (*(size_t *)user)++;
    return PMU_OK;
}

static void test_crash_safety(void **state)
{
    (void)state;
    for (int m = 0; m < CRASH_METERS; m++) {
        char serial[32];
        snprintf(serial, sizeof serial, "CRASH-%02d", m);
        struct pmu_meter_record rec = meter(serial, "", "");
        OK(pmu_store_meter_add(st, &rec, &err));
    }
    pmu_store_close(st);
    st = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        crash_child(fds[1]);
    }
    close(fds[1]);
    /* let a few meters commit, then kill the writer in the middle of the next one */
    char c;
    for (int i = 0; i < 3; i++)
        if (read(fds[0], &c, 1) != 1)
            fail_msg("the writer died before committing 3 meters");
    struct timespec pause = {0, 15 * 1000 * 1000};
    nanosleep(&pause, NULL);
    kill(pid, SIGKILL);
    int wst;
    waitpid(pid, &wst, 0);
    close(fds[0]);
    assert_true(WIFSIGNALED(wst));

    open_store();
    size_t whole = 0, absent = 0;
    for (int m = 0; m < CRASH_METERS; m++) {
        char serial[32];
        snprintf(serial, sizeof serial, "CRASH-%02d", m);
        struct collected iv;
        memset(&iv, 0, sizeof iv);
        struct pmu_interval_query q = {serial, NULL, false, false, 0, 0, false};
        struct pmu_channel_record *ch;
        size_t nch, readings = 0;
        OK(pmu_store_channels(st, serial, &ch, &nch, &err));
        free(ch);
        if (nch > 0)
            OK(pmu_store_intervals(st, &q, collect_interval, &iv, &err));
        OK(pmu_store_readings(st, serial, NULL, 0, count_reading, &readings, &err));
        if (iv.n == (size_t)CRASH_ROWS * 4 && nch == 4 && readings == 1)
            whole++;
        else if (iv.n == 0 && nch == 0 && readings == 0)
            absent++;
        else
            fail_msg("meter %s is half there: %zu intervals, %zu channels, %zu readings", serial, iv.n, nch, readings);
    }
    assert_true(whole >= 3);
    assert_true(absent >= 1);
    print_message("crash: %zu meters whole, %zu absent, none half\n", whole, absent);
}

/* ---- programming schemes ------------------------------------------------------------ */

static const char scheme_v1[] = "# a comment the store keeps\n"
                                "name: s1   # trailing comment\n"
                                "scheme_id: S1\nmodels: [A1700-16TOU]\npassword_level: 3\n"
                                "rates: {peak: 1, 'off peak': 2}\n"
                                "registers:\n  - {register: 1, rate: peak, source: import}\n"
                                "  - {register: 2, rate: off peak, source: export}\n"
                                "day_types:\n  d: [\"00:00 off peak\", \"07:00 peak\"]\n"
                                "seasons:\n  - {name: all, start: 01-01, week: [d, d, d, d, d, d, d]}\n"
                                "maximum_demand: {period: 30, sub_intervals: 1, registers: [import]}\n";

/* Versions: file -> store -> file gives the same text, and its canonical form
 * parses back to the same scheme. */
static void test_schemes(void **state)
{
    (void)state;
    int version;
    bool unchanged;
    OK(pmu_store_scheme_import(st, "s1", scheme_v1, "alice", &version, &unchanged, &err));
    assert_int_equal(version, 1);
    assert_false(unchanged);
    OK(pmu_store_scheme_import(st, "s1", scheme_v1, "bob", &version, &unchanged, &err));
    assert_int_equal(version, 1);
    assert_true(unchanged);
    char *v2 = strdup(scheme_v1);
    *strstr(v2, "period: 30") = 'x';
    memcpy(strstr(v2, "xeriod: 30"), "period: 15", 10);
    OK(pmu_store_scheme_import(st, "s1", v2, "bob", &version, &unchanged, &err));
    assert_int_equal(version, 2);
    OK(pmu_store_scheme_import(st, "other", scheme_v1, "", &version, &unchanged, &err));
    assert_int_equal(version, 1);

    char *text;
    version = 1;
    OK(pmu_store_scheme_get(st, "s1", &version, &text, &err));
    assert_string_equal(text, scheme_v1);   /* exactly as imported, comments and all */
    struct pmu_scheme *a, *b;
    OK(pmu_scheme_parse(text, strlen(text), &a, NULL, NULL, &err));
    free(text);
    version = 0;
    OK(pmu_store_scheme_get(st, "s1", &version, &text, &err));
    assert_int_equal(version, 2);
    assert_string_equal(text, v2);
    free(text);

    /* canonical emit parses back to the same fields */
    char *canon = NULL, *fa, *fb;
    size_t clen = 0;
    FILE *f = open_memstream(&canon, &clen);
    OK(pmu_scheme_emit(a, f, &err));
    fclose(f);
    OK(pmu_scheme_parse(canon, clen, &b, NULL, NULL, &err));
    OK(pmu_scheme_flatten(a, false, &fa, &err));
    OK(pmu_scheme_flatten(b, false, &fb, &err));
    assert_string_equal(fa, fb);
    free(fa), free(fb), free(canon);
    pmu_scheme_free(a), pmu_scheme_free(b);

    struct pmu_scheme_version_record *list;
    size_t n;
    OK(pmu_store_scheme_list(st, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "other");
    assert_string_equal(list[1].name, "s1");
    assert_int_equal(list[1].version, 2);
    assert_int_equal(list[1].n_versions, 2);
    free(list);
    OK(pmu_store_scheme_history(st, "s1", &list, &n, &err));
    assert_int_equal(n, 2);
    assert_int_equal(list[0].version, 1);
    assert_string_equal(list[0].imported_by, "alice");
    assert_string_equal(list[1].imported_by, "bob");
    free(list);

    version = 3;
    assert_int_equal(pmu_store_scheme_get(st, "s1", &version, &text, &err), PMU_E_RANGE);
    assert_non_null(strstr(err.message, "no version 3"));
    version = 0;
    assert_int_equal(pmu_store_scheme_get(st, "nope", &version, &text, &err), PMU_E_RANGE);
    assert_int_equal(pmu_store_scheme_history(st, "nope", &list, &n, &err), PMU_E_RANGE);
    assert_int_equal(pmu_store_scheme_import(st, " bad", scheme_v1, "", &version, &unchanged, &err), PMU_E_INVALID);
    free(v2);
}

/* Programming runs (migration 6): a run with its items, statuses set one by one, the
 * end, and the latest run of a meter read back whole. */
static void test_program_runs(void **state)
{
    (void)state;
    struct pmu_program_run_record r = {0};
    snprintf(r.meter, sizeof r.meter, "M1");
    snprintf(r.scheme, sizeof r.scheme, "s1");
    snprintf(r.actor, sizeof r.actor, "alice");
    r.version = 2;
    struct pmu_program_item_record items[3] = {{0, "616", "CT ratio", "pending", ""},
                                               {1, "932.3", "TOU day type 4", "pending", ""},
                                               {2, "795", "scheme id", "pending", ""}};
    OK(pmu_store_program_begin(st, &r, items, 3, &err));
    assert_true(r.id > 0);
    OK(pmu_store_program_item(st, r.id, 0, "verified", NULL, &err));
    OK(pmu_store_program_item(st, r.id, 1, "mismatch", "byte 3 differs", &err));
    struct pmu_program_run_record got;
    struct pmu_program_item_record *back;
    size_t n;
    bool found;
    OK(pmu_store_program_get(st, "M1", 0, &got, &back, &n, &found, &err));
    assert_true(found);
    assert_string_equal(got.outcome, "running");
    assert_int_equal(n, 3);
    assert_string_equal(back[0].status, "verified");
    assert_string_equal(back[1].item, "932.3");
    assert_string_equal(back[1].message, "byte 3 differs");
    assert_string_equal(back[2].status, "pending");
    free(back);
    struct pmu_program_run_record r2 = r;
    r2.resumes = r.id;
    OK(pmu_store_program_begin(st, &r2, items, 1, &err));
    OK(pmu_store_program_end(st, r2.id, "verified", "1 written", &err));
    OK(pmu_store_program_get(st, "M1", 0, &got, &back, &n, &found, &err));
    assert_int_equal(got.id, r2.id);
    assert_int_equal(got.resumes, r.id);
    assert_string_equal(got.outcome, "verified");
    assert_true(got.ended_at[0] != '\0');
    assert_int_equal(n, 1);
    free(back);
    OK(pmu_store_program_get(st, "M1", r.id, &got, &back, &n, &found, &err));
    assert_int_equal(got.id, r.id);
    free(back);
    OK(pmu_store_program_get(st, "M2", 0, &got, &back, &n, &found, &err));
    assert_false(found);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_store CONNECTION-STRING\n");
        return 2;
    }
    conn = argv[1];
    postgres = strncmp(conn, "postgres", 8) == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profiles_and_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meter_csv_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_jsonl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_nem12, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_safety, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schemes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_program_runs, setup, teardown),
    };
    return cmocka_run_group_tests_name(postgres ? "store (PostgreSQL)" : "store (SQLite)", tests, NULL, NULL);
}
