/* Users, the vault and the audit trail against a real database: the same tests on an
 * SQLite file or PostgreSQL (test_security_store CONNECTION-STRING [PG-SCHEMA]); each
 * test starts from an empty database. The tampering tests change the tables with
 * plain SQL, as someone with access to the database would, and pmu_audit_verify must
 * name the first broken entry. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "pmu/security.h"
#include "pmu/store.h"

static const char *conn, *schema;
static bool postgres;
static struct pmu_store *st;
static struct pmu_error err;
static struct pmu_key key, other_key;

#define OK(call)                                                                      \
    do {                                                                              \
        enum pmu_status ok_status_ = (call);                                          \
        if (ok_status_ != PMU_OK)                                                     \
            fail_msg("%s: %s (%s)", #call, err.message, pmu_status_name(ok_status_)); \
    } while (0)

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
    /* its own schema, so that it may run beside the store tests on the same server */
    PGconn *c = PQconnectdb(conn);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", conn, PQerrorMessage(c));
    char sql[256];
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
             schema, schema);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("cannot empty the schema: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static void exec(const char *sql)
{
    if (st->ops->exec(st, sql, &err) != PMU_OK)
        fail_msg("%s: %s", sql, err.message);
}

static void append(const char *actor, const char *action, const char *meter, const char *detail)
{
    struct pmu_audit_record r = {actor, action, meter, "", "", "", detail};
    OK(pmu_audit_append(st, &key, &r, NULL, &err));
}

static int setup(void **state)
{
    (void)state;
    wipe();
    OK(pmu_store_open(conn, &st, &err));
    memset(&key, 0x5A, sizeof key);
    memset(&other_key, 0xA5, sizeof other_key);
    return 0;
}

/* A chain of six entries. */
static int setup_chain(void **state)
{
    setup(state);
    append("admin", "user.bootstrap", "", "first administrator");
    append("admin", "meter.add", "E1", "meter added");
    append("alice", "meter.password.set", "E1", "meter password set in the vault");
    append("bob", "program", "E1", "scheme tou-3 written");
    append("bob", "clock.set", "E1", "clock set");
    append("admin", "meter.rm", "E1", "meter removed");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pmu_store_close(st);
    st = NULL;
    return 0;
}

static struct pmu_audit_verdict verify(const struct pmu_key *k)
{
    struct pmu_audit_verdict v;
    OK(pmu_audit_verify(st, k, &v, &err));
    return v;
}

#define BROKEN_AT(seq, words)                                                                   \
    do {                                                                                        \
        struct pmu_audit_verdict v_ = verify(&key);                                             \
        if (v_.intact || v_.first_broken != (seq) || strstr(v_.problem, (words)) == NULL)      \
            fail_msg("want entry %d broken (%s), got intact=%d first=%lld: %s", (seq), (words), \
                     v_.intact, (long long)v_.first_broken, v_.problem);                        \
    } while (0)

/* ---- users ------------------------------------------------------------------------- */

static void test_users(void **state)
{
    (void)state;
    size_t n;
    OK(pmu_store_user_count(st, &n, &err));
    assert_int_equal(n, 0);
    char hash[PMU_PASSWORD_HASH_MAX];
    OK(pmu_password_hash("pw-alice", PMU_HASH_MINIMAL, hash, &err));
    struct pmu_user_record u = {.name = "alice", .level = PMU_LEVEL_PROGRAMMER};
    OK(pmu_store_user_add(st, &u, hash, &err));
    assert_int_equal(pmu_store_user_add(st, &u, hash, &err), PMU_E_INVALID);
    assert_non_null(strstr(err.message, "already exists"));
    u.level = PMU_LEVEL_NONE;
    strcpy(u.name, "nobody");
    assert_int_equal(pmu_store_user_add(st, &u, hash, &err), PMU_E_INVALID);

    struct pmu_user_record got;
    char stored[PMU_PASSWORD_HASH_MAX];
    OK(pmu_store_user_get(st, "alice", &got, stored, &err));
    assert_int_equal(got.level, PMU_LEVEL_PROGRAMMER);
    assert_false(got.disabled);
    assert_string_equal(stored, hash);
    OK(pmu_user_authenticate(st, "alice", "pw-alice", &got, &err));
    char wrong[256], unknown[256];
    assert_int_equal(pmu_user_authenticate(st, "alice", "pw-bob", &got, &err), PMU_E_REFUSED);
    snprintf(wrong, sizeof wrong, "%s", strchr(err.message, ':'));
    assert_int_equal(pmu_user_authenticate(st, "mallory", "pw-alice", &got, &err), PMU_E_REFUSED);
    snprintf(unknown, sizeof unknown, "%s", strchr(err.message, ':'));
    assert_string_equal(wrong, unknown); /* names cannot be probed */

    OK(pmu_store_user_set_disabled(st, "alice", true, &err));
    assert_int_equal(pmu_user_authenticate(st, "alice", "pw-alice", &got, &err), PMU_E_REFUSED);
    assert_non_null(strstr(err.message, "disabled"));
    OK(pmu_store_user_set_disabled(st, "alice", false, &err));
    OK(pmu_password_hash("new-pw", PMU_HASH_MINIMAL, hash, &err));
    OK(pmu_store_user_set_password(st, "alice", hash, &err));
    assert_int_equal(pmu_user_authenticate(st, "alice", "pw-alice", &got, &err), PMU_E_REFUSED);
    OK(pmu_user_authenticate(st, "alice", "new-pw", &got, &err));
    OK(pmu_store_user_set_level(st, "alice", PMU_LEVEL_READER, &err));
    assert_int_equal(pmu_store_user_set_level(st, "zed", PMU_LEVEL_READER, &err), PMU_E_RANGE);

    struct pmu_user_record *list;
    OK(pmu_store_user_list(st, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].level, PMU_LEVEL_READER);
    free(list);
    /* a level the database was edited to hold grants nothing */
    exec("UPDATE users SET level = 'superuser'");
    OK(pmu_store_user_get(st, "alice", &got, NULL, &err));
    assert_int_equal(got.level, PMU_LEVEL_NONE);
}

/* ---- vault -------------------------------------------------------------------------- */

static int64_t count(const char *sql)
{
    int64_t n;
    OK(pmu_store_query_int(st, sql, NULL, 0, &n, NULL, &err));
    return n;
}

static void test_vault(void **state)
{
    (void)state;
    struct pmu_meter_record m;
    memset(&m, 0, sizeof m);
    strcpy(m.serial, "E1");
    OK(pmu_store_meter_add(st, &m, &err));
    char out[PMU_PASSWORD_MAX];
    bool found;
    OK(pmu_meter_password_get(st, &key, "E1", out, &found, &err));
    assert_false(found);
    OK(pmu_meter_password_set(st, &key, "E1", "Zq7-meter-pw", &err));
    OK(pmu_meter_password_get(st, &key, "E1", out, &found, &err));
    assert_true(found);
    assert_string_equal(out, "Zq7-meter-pw");
    OK(pmu_meter_password_get(st, NULL, "E1", out, &found, &err)); /* only: is there one? */
    assert_true(found);
    assert_string_equal(out, "");
    assert_int_equal(count("SELECT COUNT(*) FROM meter_secrets WHERE sealed LIKE '%Zq7%'"), 0);
    assert_int_equal(count("SELECT COUNT(*) FROM meter_secrets WHERE sealed LIKE 'v1:%'"), 1);
    assert_int_equal(pmu_meter_password_get(st, &other_key, "E1", out, &found, &err), PMU_E_REFUSED);
    assert_non_null(strstr(err.message, "meter 'E1'"));
    assert_null(strstr(err.message, "Zq7"));
    assert_int_equal(pmu_meter_password_set(st, &key, "E9", "x", &err), PMU_E_RANGE);

    /* the password follows the meter through a rename, and goes with it */
    struct pmu_meter_record renamed = m;
    strcpy(renamed.serial, "E2");
    OK(pmu_store_meter_update(st, "E1", &renamed, &err));
    OK(pmu_meter_password_get(st, &key, "E2", out, &found, &err));
    assert_string_equal(out, "Zq7-meter-pw");
    OK(pmu_meter_password_set(st, &key, "E2", NULL, &err));
    OK(pmu_meter_password_get(st, &key, "E2", out, &found, &err));
    assert_false(found);
    OK(pmu_meter_password_set(st, &key, "E2", "again", &err));
    OK(pmu_store_meter_remove(st, "E2", false, &err));
    assert_int_equal(count("SELECT COUNT(*) FROM meter_secrets"), 0);
}

/* ---- audit ----------------------------------------------------------------------------- */

static void test_audit_intact(void **state)
{
    (void)state;
    struct pmu_audit_verdict v = verify(&key);
    assert_true(v.intact);
    assert_true(v.anchor_checked);
    assert_int_equal(v.entries, 6);
    v = verify(NULL);
    assert_true(v.intact);
    assert_false(v.anchor_checked);
    struct pmu_audit_entry e;
    OK(pmu_audit_get(st, 4, &e, &err));
    assert_string_equal(e.actor, "bob");
    assert_string_equal(e.action, "program");
    char h[PMU_DIGEST_HEX];
    pmu_audit_entry_hash(e.prev_hash, &e, h);
    assert_string_equal(h, e.hash);
    assert_int_equal(pmu_audit_get(st, 99, &e, &err), PMU_E_RANGE);
    /* the wrong key does not sign this anchor, and cannot append */
    v = verify(&other_key);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "MAC"));
    struct pmu_audit_record r = {"eve", "meter.add", "E9", "", "", "", ""};
    assert_int_equal(pmu_audit_append(st, &other_key, &r, NULL, &err), PMU_E_REFUSED);
    assert_int_equal(count("SELECT COUNT(*) FROM audit_log"), 6);
}

static void test_audit_edit(void **state)
{
    (void)state;
    exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4");
    BROKEN_AT(4, "do not match its hash");
}

static void test_audit_delete(void **state)
{
    (void)state;
    exec("DELETE FROM audit_log WHERE seq = 3");
    BROKEN_AT(3, "missing (deleted)");
}

static void test_audit_reorder(void **state)
{
    (void)state;
    exec("UPDATE audit_log SET seq = -1 WHERE seq = 3");
    exec("UPDATE audit_log SET seq = 3 WHERE seq = 4");
    exec("UPDATE audit_log SET seq = 4 WHERE seq = -1");
    BROKEN_AT(3, "does not link to entry 2");
}

static void test_audit_truncate(void **state)
{
    (void)state;
    exec("DELETE FROM audit_log WHERE seq >= 5");
    BROKEN_AT(5, "cut off");
    /* moving the anchor back by hand needs the key */
    exec("UPDATE audit_anchor SET entries = 4, head_hash = (SELECT hash FROM audit_log WHERE seq = 4)");
    BROKEN_AT(4, "MAC does not match");
    /* and nothing is appended onto a forged anchor */
    struct pmu_audit_record r = {"eve", "meter.add", "E9", "", "", "", ""};
    assert_int_equal(pmu_audit_append(st, &key, &r, NULL, &err), PMU_E_REFUSED);
    assert_non_null(strstr(err.message, "pmu audit verify"));
}

/* Someone edits entry 2 and recomputes every hash after it: the chain is whole, but
 * its head is not the one the anchor signed. */
static void test_audit_rehash(void **state)
{
    (void)state;
    exec("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2");
    char prev[PMU_DIGEST_HEX];
    struct pmu_audit_entry e;
    OK(pmu_audit_get(st, 1, &e, &err));
    strcpy(prev, e.hash);
    for (int seq = 2; seq <= 6; seq++) {
        OK(pmu_audit_get(st, seq, &e, &err));
        char h[PMU_DIGEST_HEX], sql[400];
        pmu_audit_entry_hash(prev, &e, h);
        snprintf(sql, sizeof sql, "UPDATE audit_log SET prev_hash = '%s', hash = '%s' WHERE seq = %d", prev, h, seq);
        exec(sql);
        strcpy(prev, h);
    }
    struct pmu_audit_verdict v = verify(NULL); /* without the key it looks whole... */
    assert_false(v.intact);                    /* ...but the unsigned head still differs */
    BROKEN_AT(6, "rewritten and re-hashed");
    /* with the anchor moved to the new head too, only the key tells */
    char sql[300];
    snprintf(sql, sizeof sql, "UPDATE audit_anchor SET head_hash = '%s'", prev);
    exec(sql);
    v = verify(NULL);
    assert_true(v.intact);
    assert_false(v.anchor_checked);
    BROKEN_AT(6, "MAC does not match");
}

static void test_audit_anchor_deleted(void **state)
{
    (void)state;
    exec("DELETE FROM audit_anchor");
    BROKEN_AT(1, "anchor is missing");
    struct pmu_audit_record r = {"eve", "meter.add", "E9", "", "", "", ""};
    assert_int_equal(pmu_audit_append(st, &key, &r, NULL, &err), PMU_E_REFUSED);
}

struct seen {
    int64_t seqs[16];
    size_t n;
};

static enum pmu_status collect(void *user, const struct pmu_audit_entry *e)
{
    struct seen *s = user;
    if (s->n < 16)
        s->seqs[s->n++] = e->seq;
    return PMU_OK;
}

static void test_audit_list(void **state)
{
    (void)state;
    struct seen seen = {{0}, 0};
    struct pmu_audit_filter f = {"E1", NULL, 3};
    OK(pmu_audit_list(st, &f, collect, &seen, &err)); /* the newest 3 of meter E1, oldest first */
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.seqs[0], 4);
    assert_int_equal(seen.seqs[2], 6);
    struct pmu_audit_filter by_actor = {NULL, "admin", 0};
    seen.n = 0;
    OK(pmu_audit_list(st, &by_actor, collect, &seen, &err));
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.seqs[0], 1);
    seen.n = 0;
    OK(pmu_audit_list(st, NULL, collect, &seen, &err));
    assert_int_equal(seen.n, 6);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_security_store CONNECTION-STRING [PG-SCHEMA]\n");
        return 2;
    }
    conn = argv[1];
    schema = argc > 2 ? argv[2] : "public";
    postgres = strncmp(conn, "postgres", 8) == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_intact, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_edit, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_delete, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_reorder, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_truncate, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_rehash, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_anchor_deleted, setup_chain, teardown),
        cmocka_unit_test_setup_teardown(test_audit_list, setup_chain, teardown),
    };
    return cmocka_run_group_tests_name(postgres ? "security store (postgresql)" : "security store (sqlite)", tests,
                                       NULL, NULL);
}
