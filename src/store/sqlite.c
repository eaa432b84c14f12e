/* The SQLite backend: a database file on the local disk, the default.
 *
 * Settings, chosen for a collector that writes one transaction per meter and may be
 * killed at any moment (docs/store.md):
 *   journal_mode=WAL     readers (pmu history, exports) never block the writer, and a
 *                        commit is one append to the log;
 *   synchronous=NORMAL   in WAL mode a commit survives the process dying (SIGKILL,
 *                        crash) and the file is never corrupted; a power cut may lose
 *                        the last few commits, which the next run reads again from
 *                        the meters. FULL would cost one fsync per meter;
 *   foreign_keys=ON      SQLite leaves them off unless asked;
 *   busy_timeout=10 s    a second writer waits for the first instead of failing;
 *   page_size=8192       set before the first table: fewer b-tree levels for the
 *                        interval table, which holds almost all of the rows.
 * Connections are opened with SQLITE_OPEN_NOMUTEX: a store is used by one thread at a
 * time, so SQLite's per-call mutex would only cost time. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define STMT_CACHE 64

struct sqlite_db {
    sqlite3 *db;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
    size_t n_cache;
    sqlite3_stmt *put;             /* the day-row upsert, during a bulk write */
};

struct pmu_store_row {
    sqlite3_stmt *st;
};

static const char day_upsert_sql[] =
    "INSERT INTO profile_days (channel_id, day, n_values, conflicts, data) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (channel_id, day) DO UPDATE SET n_values = excluded.n_values, conflicts = excluded.conflicts, "
    "data = excluded.data";

static struct sqlite_db *dbof(struct pmu_store *s)
{
    return s->db;
}

static enum pmu_status fail(struct sqlite_db *d, int rc, const char *what, struct pmu_error *err)
{
    int base = rc & 0xFF;
    enum pmu_status code = base == SQLITE_CONSTRAINT ? PMU_E_INVALID : PMU_E_IO;
    return pmu_error_set(err, code, PMU_NO_OFFSET, "SQLite: %s: %s", what,
                         d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
}

static enum pmu_status sqlite_exec(struct pmu_store *s, const char *script, struct pmu_error *err)
{
    struct sqlite_db *d = dbof(s);
    char *msg = NULL;
    int rc = sqlite3_exec(d->db, script, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        enum pmu_status st = pmu_error_set(err, (rc & 0xFF) == SQLITE_CONSTRAINT ? PMU_E_INVALID : PMU_E_IO,
                                           PMU_NO_OFFSET, "SQLite: %s", msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return st;
    }
    return PMU_OK;
}

/* The connection string is a file name, optionally written "sqlite:FILE". */
static enum pmu_status sqlite_open(struct pmu_store *s, const char *conn, struct pmu_error *err)
{
    if (strncmp(conn, "sqlite:", 7) == 0)
        conn += 7;
    if (conn[0] == '\0')
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "empty database file name");
    struct sqlite_db *d = calloc(1, sizeof *d);
    if (d == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    s->db = d;
    int rc = sqlite3_open_v2(conn, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        enum pmu_status st = pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot open database %s: %s", conn,
                                           d->db != NULL ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
        return st;
    }
    sqlite3_extended_result_codes(d->db, 1);
    sqlite3_busy_timeout(d->db, 10000);
    /* page_size only takes effect on a new, empty file; journal_mode is the first
     * statement that reads the file, so a file that is not a database fails here. */
    struct pmu_error e2;
    if (sqlite_exec(s, "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768;",
                    &e2) != PMU_OK)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot open database %s: %s", conn,
                             sqlite3_errmsg(d->db));
    return PMU_OK;
}

static void sqlite_close(struct pmu_store *s)
{
    struct sqlite_db *d = dbof(s);
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_cache; i++)
        sqlite3_finalize(d->cache[i].st);
    sqlite3_close(d->db);
    free(d);
    s->db = NULL;
}

/* Prepared statements are kept for the life of the connection, looked up by the
 * address of their (constant) SQL text. The placeholders must be $1, $2, ... in
 * order of first appearance, as the shared SQL promises: checked once here. */
static enum pmu_status prepare(struct sqlite_db *d, const char *sql, sqlite3_stmt **out, struct pmu_error *err)
{
    for (size_t i = 0; i < d->n_cache; i++)
        if (d->cache[i].sql == sql) {
            *out = d->cache[i].st;
            return PMU_OK;
        }
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(d, rc, "preparing a statement", err);
    for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
        char want[16];
        snprintf(want, sizeof want, "$%d", i);
        const char *name = sqlite3_bind_parameter_name(st, i);
        if (name == NULL || strcmp(name, want) != 0) {
            sqlite3_finalize(st);
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "internal: placeholders out of order in \"%.60s\"", sql);
        }
    }
    if (d->n_cache < STMT_CACHE) {
        d->cache[d->n_cache].sql = sql;
        d->cache[d->n_cache].st = st;
        d->n_cache++;
    } else {
        /* More distinct statements than slots: should not happen; forget the oldest. */
        sqlite3_finalize(d->cache[0].st);
        memmove(&d->cache[0], &d->cache[1], sizeof d->cache[0] * (STMT_CACHE - 1));
        d->cache[STMT_CACHE - 1].sql = sql;
        d->cache[STMT_CACHE - 1].st = st;
    }
    *out = st;
    return PMU_OK;
}

static enum pmu_status bind(struct sqlite_db *d, sqlite3_stmt *st, const struct pmu_store_arg *args, size_t n,
                            struct pmu_error *err)
{
    if ((int)n != sqlite3_bind_parameter_count(st))
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "internal: %zu arguments for %d placeholders",
                             n, sqlite3_bind_parameter_count(st));
    for (size_t i = 0; i < n; i++) {
        int rc, k = (int)i + 1;
        switch (args[i].kind) {
        case PMU_ARG_INT: rc = sqlite3_bind_int64(st, k, args[i].i); break;
        case PMU_ARG_TEXT: rc = sqlite3_bind_text(st, k, args[i].s, -1, SQLITE_STATIC); break;
        default: rc = sqlite3_bind_null(st, k); break;
        }
        if (rc != SQLITE_OK)
            return fail(d, rc, "binding a parameter", err);
    }
    return PMU_OK;
}

static enum pmu_status sqlite_query(struct pmu_store *s, const char *sql, const struct pmu_store_arg *args,
                                    size_t n_args, pmu_store_row_fn fn, void *user, int64_t *changes,
                                    struct pmu_error *err)
{
    struct sqlite_db *d = dbof(s);
    sqlite3_stmt *st;
    enum pmu_status status = prepare(d, sql, &st, err);
    if (status != PMU_OK)
        return status;
    if ((status = bind(d, st, args, n_args, err)) != PMU_OK)
        goto done;
    struct pmu_store_row row = {st};
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            status = fail(d, rc, "query", err);
            break;
        }
        if (fn != NULL && (status = fn(user, s, &row)) != PMU_OK)
            break;
    }
    if (status == PMU_DONE)
        status = PMU_OK;
    if (status == PMU_OK && changes != NULL)
        *changes = sqlite3_changes64(d->db);
done:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return status;
}

static const char *sqlite_col_text(const struct pmu_store_row *row, int i, size_t *len)
{
    /* NULL for SQL NULL (or out of memory, which the next step reports) */
    const char *t = (const char *)sqlite3_column_text(row->st, i);
    if (len != NULL)
        *len = t != NULL ? (size_t)sqlite3_column_bytes(row->st, i) : 0;
    return t;
}

static int64_t sqlite_col_int(const struct pmu_store_row *row, int i)
{
    return sqlite3_column_int64(row->st, i);
}

static const uint8_t *sqlite_col_blob(const struct pmu_store_row *row, int i, size_t *len)
{
    const uint8_t *b = sqlite3_column_blob(row->st, i);
    *len = b != NULL ? (size_t)sqlite3_column_bytes(row->st, i) : 0;
    return b;
}

/* Every openpmu transaction writes, so it takes the write lock at once: a deferred
 * transaction that later wants to write can fail with SQLITE_BUSY without waiting. */
static enum pmu_status sqlite_begin(struct pmu_store *s, bool schema, struct pmu_error *err)
{
    (void)schema;
    return sqlite_exec(s, "BEGIN IMMEDIATE", err);
}

static enum pmu_status sqlite_commit(struct pmu_store *s, struct pmu_error *err)
{
    return sqlite_exec(s, "COMMIT", err);
}

static void sqlite_rollback(struct pmu_store *s)
{
    struct pmu_error ignored;
    if (!sqlite3_get_autocommit(dbof(s)->db))
        sqlite_exec(s, "ROLLBACK", &ignored);
}

static enum pmu_status sqlite_days_begin(struct pmu_store *s, struct pmu_error *err)
{
    struct sqlite_db *d = dbof(s);
    return prepare(d, day_upsert_sql, &d->put, err);
}

/* The hot path of an ingest: a prepared upsert, bound and stepped per channel-day. */
static enum pmu_status sqlite_day_put(struct pmu_store *s, const struct pmu_day_put *r, struct pmu_error *err)
{
    struct sqlite_db *d = dbof(s);
    sqlite3_stmt *st = d->put;
    sqlite3_bind_int64(st, 1, r->channel_id);
    sqlite3_bind_int64(st, 2, r->day);
    sqlite3_bind_int64(st, 3, r->n_values);
    sqlite3_bind_int64(st, 4, r->conflicts);
    sqlite3_bind_blob(st, 5, r->data, (int)r->len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return fail(d, rc, "storing intervals", err);
    return PMU_OK;
}

static enum pmu_status sqlite_days_end(struct pmu_store *s, struct pmu_error *err)
{
    (void)err;
    sqlite3_clear_bindings(dbof(s)->put);
    return PMU_OK;
}

static enum pmu_status found_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    (void)s;
    (void)row;
    *(bool *)user = true;
    return PMU_DONE;
}

static enum pmu_status sqlite_has_table(struct pmu_store *s, const char *table, bool *out, struct pmu_error *err)
{
    static const char sql[] = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1";
    struct pmu_store_arg a = pmu_arg_text(table);
    *out = false;
    return sqlite_query(s, sql, &a, 1, found_row, out, NULL, err);
}

const struct pmu_store_ops pmu_store_sqlite_ops = {
    .name = "sqlite",
    .backend = PMU_STORE_SQLITE,
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .query = sqlite_query,
    .col_text = sqlite_col_text,
    .col_int = sqlite_col_int,
    .col_blob = sqlite_col_blob,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .days_begin = sqlite_days_begin,
    .day_put = sqlite_day_put,
    .days_end = sqlite_days_end,
    .has_table = sqlite_has_table,
};
