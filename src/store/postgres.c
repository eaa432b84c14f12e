/* The PostgreSQL backend (libpq): a shared database for several users and several
 * pmud workers. The connection string is a libpq URI, postgresql://... or
 * postgres://... (host, port, user, database, and options such as
 * ?host=/run/postgresql for a unix socket).
 *
 * Statements are prepared once per connection (named pmu_1, pmu_2, ...) and sent
 * with text parameters: the server infers the types from the SQL. Day rows of
 * profile intervals go in bulk with binary COPY into a session-private staging table
 * and one INSERT ... SELECT ... ON CONFLICT DO UPDATE, so a meter-year is a handful of
 * round trips instead of one per day. Results come as text, except for statements
 * that return bytea (the day rows), whose results come in binary. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define STMT_CACHE 96
#define COPY_CHUNK (256 * 1024)

struct pg_db {
    PGconn *conn;
    struct {
        const char *sql;
        char name[16];
        bool binary;               /* results in binary format: it returns bytea */
    } prepared[STMT_CACHE];
    size_t n_prepared;
    unsigned next_name;
    char *copy;                    /* COPY data not yet sent */
    size_t copy_len, copy_cap;
    bool copying;                  /* a COPY of day rows is open */
    uint8_t *bytes;                /* the last bytea column read, decoded */
    size_t bytes_cap;
};

struct pmu_store_row {
    PGresult *res;
    int row;
    struct pg_db *d;
};

static struct pg_db *dbof(struct pmu_store *s)
{
    return s->db;
}

/* libpq messages end in a newline; error messages read better without it. */
static void trim(char *m)
{
    size_t n = strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = '\0';
}

static enum pmu_status fail_msg(const char *what, const char *msg, const char *sqlstate, struct pmu_error *err)
{
    char buf[200];
    snprintf(buf, sizeof buf, "%s", msg != NULL ? msg : "unknown error");
    trim(buf);
    /* Class 23: integrity constraint violation (unique, foreign key, not null). */
    enum pmu_status code = sqlstate != NULL && strncmp(sqlstate, "23", 2) == 0 ? PMU_E_INVALID : PMU_E_IO;
    return pmu_error_set(err, code, PMU_NO_OFFSET, "PostgreSQL: %s: %s", what, buf);
}

static enum pmu_status fail_res(struct pg_db *d, PGresult *res, const char *what, struct pmu_error *err)
{
    const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(d->conn);
    if (msg == NULL || msg[0] == '\0')
        msg = PQerrorMessage(d->conn);
    return fail_msg(what, msg, res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL, err);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static enum pmu_status pg_open(struct pmu_store *s, const char *conn, struct pmu_error *err)
{
    struct pg_db *d = calloc(1, sizeof *d);
    if (d == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    s->db = d;
    d->conn = PQconnectdb(conn);
    if (d->conn == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    if (PQstatus(d->conn) != CONNECTION_OK) {
        char buf[200];
        snprintf(buf, sizeof buf, "%s", PQerrorMessage(d->conn));
        trim(buf);
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot connect to PostgreSQL: %s", buf);
    }
    /* CREATE ... IF NOT EXISTS and friends send notices; they are not for the user. */
    PQsetNoticeProcessor(d->conn, ignore_notice, NULL);
    return PMU_OK;
}

static void pg_close(struct pmu_store *s)
{
    struct pg_db *d = dbof(s);
    if (d == NULL)
        return;
    if (d->conn != NULL)
        PQfinish(d->conn);
    free(d->copy);
    free(d->bytes);
    free(d);
    s->db = NULL;
}

static enum pmu_status pg_exec(struct pmu_store *s, const char *script, struct pmu_error *err)
{
    struct pg_db *d = dbof(s);
    PGresult *res = PQexec(d->conn, script);
    ExecStatusType st = PQresultStatus(res);
    enum pmu_status status = PMU_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        status = fail_res(d, res, "script", err);
    PQclear(res);
    return status;
}

#define BYTEA_OID 17

/* A statement that returns bytea (day rows) takes its results in binary format: the
 * bytes come as they are, not as hex text twice their size to encode and decode. Its
 * other columns are then binary too (col_int and col_text read both forms). */
static bool returns_bytea(struct pg_db *d, const char *name)
{
    PGresult *res = PQdescribePrepared(d->conn, name);
    bool binary = false;
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
        for (int i = 0; i < PQnfields(res); i++)
            binary = binary || PQftype(res, i) == BYTEA_OID;
    PQclear(res);
    return binary;
}

static enum pmu_status prepare(struct pg_db *d, const char *sql, const char **name, bool *binary,
                               struct pmu_error *err)
{
    for (size_t i = 0; i < d->n_prepared; i++)
        if (d->prepared[i].sql == sql) {
            *name = d->prepared[i].name;
            *binary = d->prepared[i].binary;
            return PMU_OK;
        }
    if (d->n_prepared == STMT_CACHE)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "internal: too many distinct statements");
    size_t k = d->n_prepared;
    snprintf(d->prepared[k].name, sizeof d->prepared[k].name, "pmu_%u", ++d->next_name);
    PGresult *res = PQprepare(d->conn, d->prepared[k].name, sql, 0, NULL);
    enum pmu_status status = PMU_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        status = fail_res(d, res, "preparing a statement", err);
    PQclear(res);
    if (status != PMU_OK)
        return status;
    d->prepared[k].sql = sql;
    d->prepared[k].binary = strstr(sql, "SELECT") != NULL && returns_bytea(d, d->prepared[k].name);
    d->n_prepared++;
    *name = d->prepared[k].name;
    *binary = d->prepared[k].binary;
    return PMU_OK;
}

#define MAX_ARGS 24

static enum pmu_status pg_query(struct pmu_store *s, const char *sql, const struct pmu_store_arg *args,
                                size_t n_args, pmu_store_row_fn fn, void *user, int64_t *changes,
                                struct pmu_error *err)
{
    struct pg_db *d = dbof(s);
    const char *name = NULL;
    bool binary = false;
    enum pmu_status status = prepare(d, sql, &name, &binary, err);
    if (status != PMU_OK)
        return status;
    if (n_args > MAX_ARGS)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "internal: too many parameters");
    char ints[MAX_ARGS][24];
    const char *values[MAX_ARGS];
    for (size_t i = 0; i < n_args; i++) {
        switch (args[i].kind) {
        case PMU_ARG_INT:
            snprintf(ints[i], sizeof ints[i], "%lld", (long long)args[i].i);
            values[i] = ints[i];
            break;
        case PMU_ARG_TEXT: values[i] = args[i].s; break;
        default: values[i] = NULL; break;
        }
    }
    PGresult *res = PQexecPrepared(d->conn, name, (int)n_args, values, NULL, NULL, binary ? 1 : 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK) {
        struct pmu_store_row row = {res, 0, d};
        int n = PQntuples(res);
        for (row.row = 0; row.row < n && fn != NULL; row.row++)
            if ((status = fn(user, s, &row)) != PMU_OK)
                break;
        if (status == PMU_DONE)
            status = PMU_OK;
    } else if (st != PGRES_COMMAND_OK) {
        status = fail_res(d, res, "query", err);
    }
    if (status == PMU_OK && changes != NULL) {
        const char *t = PQcmdTuples(res);
        *changes = t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(res);
    return status;
}

static const char *pg_col_text(const struct pmu_store_row *row, int i, size_t *len)
{
    if (PQgetisnull(row->res, row->row, i)) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = (size_t)PQgetlength(row->res, row->row, i);
    return PQgetvalue(row->res, row->row, i);
}

static int64_t pg_col_int(const struct pmu_store_row *row, int i)
{
    const char *v = PQgetvalue(row->res, row->row, i);
    if (PQfformat(row->res, i) == 0)
        return strtoll(v, NULL, 10);
    /* binary: a big-endian two's complement integer of 2, 4 or 8 bytes */
    int n = PQgetlength(row->res, row->row, i);
    if (n != 2 && n != 4 && n != 8)
        return 0;
    uint64_t u = (unsigned char)v[0] & 0x80 ? UINT64_MAX : 0;
    for (int k = 0; k < n; k++)
        u = u << 8 | (unsigned char)v[k];
    return (int64_t)u;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A bytea in text results is "\x" and two hex digits a byte (bytea_output = hex, the
 * default since PostgreSQL 9.0). NULL (and *len 0) for SQL NULL, another form, or
 * out of memory: the caller then finds the bytes damaged. */
static const uint8_t *pg_col_blob(const struct pmu_store_row *row, int i, size_t *len)
{
    struct pg_db *d = row->d;
    *len = 0;
    if (PQgetisnull(row->res, row->row, i))
        return NULL;
    const char *t = PQgetvalue(row->res, row->row, i);
    size_t n = (size_t)PQgetlength(row->res, row->row, i);
    if (PQfformat(row->res, i) == 1) {
        *len = n;
        return (const uint8_t *)t;
    }
    if (n < 2 || t[0] != '\\' || t[1] != 'x' || n % 2 != 0)
        return NULL;
    size_t out = (n - 2) / 2;
    if (out + 1 > d->bytes_cap) {
        uint8_t *p = realloc(d->bytes, out + 1);
        if (p == NULL)
            return NULL;
        d->bytes = p;
        d->bytes_cap = out + 1;
    }
    for (size_t k = 0; k < out; k++) {
        int hi = hex_digit(t[2 + 2 * k]), lo = hex_digit(t[3 + 2 * k]);
        if (hi < 0 || lo < 0)
            return NULL;
        d->bytes[k] = (uint8_t)(hi << 4 | lo);
    }
    *len = out;
    return d->bytes;
}

/* Migrations take a transaction-scoped advisory lock, so two workers opening a new
 * database at once do not both create the schema: the second waits, then finds it
 * done. The key is arbitrary but fixed ("pmu" in ASCII). */
static enum pmu_status pg_begin(struct pmu_store *s, bool schema, struct pmu_error *err)
{
    return pg_exec(s, schema ? "BEGIN; SELECT pg_advisory_xact_lock(7368053)" : "BEGIN", err);
}

static enum pmu_status pg_commit(struct pmu_store *s, struct pmu_error *err)
{
    return pg_exec(s, "COMMIT", err);
}

static void pg_rollback(struct pmu_store *s)
{
    struct pmu_error ignored;
    struct pg_db *d = dbof(s);
    if (PQtransactionStatus(d->conn) != PQTRANS_IDLE)
        pg_exec(s, "ROLLBACK", &ignored);
}

static enum pmu_status copy_flush(struct pg_db *d, struct pmu_error *err)
{
    if (d->copy_len == 0)
        return PMU_OK;
    if (PQputCopyData(d->conn, d->copy, (int)d->copy_len) != 1)
        return fail_res(d, NULL, "sending intervals", err);
    d->copy_len = 0;
    return PMU_OK;
}

static enum pmu_status pg_days_begin(struct pmu_store *s, struct pmu_error *err)
{
    (void)err;
    dbof(s)->copying = false;      /* opened by the first put: often nothing changes */
    return PMU_OK;
}

static enum pmu_status copy_open(struct pmu_store *s, struct pmu_error *err)
{
    struct pg_db *d = dbof(s);
    enum pmu_status status =
        pg_exec(s, "CREATE TEMP TABLE IF NOT EXISTS pmu_day_staging (channel_id BIGINT, day BIGINT, "
                   "n_values BIGINT, conflicts BIGINT, data BYTEA)", err);
    if (status != PMU_OK)
        return status;
    if (d->copy == NULL) {
        d->copy = malloc(COPY_CHUNK + 4096);
        if (d->copy == NULL)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        d->copy_cap = COPY_CHUNK + 4096;
    }
    /* binary COPY: the signature, flags and header extension length, then tuples */
    static const char header[19] = "PGCOPY\n\377\r\n";
    memcpy(d->copy, header, sizeof header);
    d->copy_len = sizeof header;
    PGresult *res = PQexec(d->conn, "COPY pmu_day_staging FROM STDIN (FORMAT binary)");
    if (PQresultStatus(res) != PGRES_COPY_IN)
        status = fail_res(d, res, "starting COPY", err);
    PQclear(res);
    d->copying = status == PMU_OK;
    return status;
}

static char *put_be(char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        *p++ = (char)(v >> (8 * i) & 0xFF);
    return p;
}

static char *put_bigint(char *p, int64_t v)
{
    p = put_be(p, 8, 4);           /* field length */
    return put_be(p, (uint64_t)v, 8);
}

/* One tuple of binary COPY: a field count, then each field as length and bytes
 * (bigint: 8 bytes big-endian; bytea: the bytes as they are). */
static enum pmu_status pg_day_put(struct pmu_store *s, const struct pmu_day_put *r, struct pmu_error *err)
{
    struct pg_db *d = dbof(s);
    enum pmu_status status;
    if (!d->copying && (status = copy_open(s, err)) != PMU_OK)
        return status;
    if (r->len > INT32_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "a day row of %zu bytes", r->len);
    size_t need = 64 + r->len;
    if (d->copy_len + need > d->copy_cap && (status = copy_flush(d, err)) != PMU_OK)
        return status;
    if (need > d->copy_cap) {
        char *p = realloc(d->copy, need);
        if (p == NULL)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        d->copy = p;
        d->copy_cap = need;
    }
    char *p = d->copy + d->copy_len;
    p = put_be(p, 5, 2);
    p = put_bigint(p, r->channel_id);
    p = put_bigint(p, r->day);
    p = put_bigint(p, r->n_values);
    p = put_bigint(p, r->conflicts);
    p = put_be(p, r->len, 4);
    memcpy(p, r->data, r->len);
    p += r->len;
    d->copy_len = (size_t)(p - d->copy);
    if (d->copy_len >= COPY_CHUNK)
        return copy_flush(d, err);
    return PMU_OK;
}

static enum pmu_status pg_days_end(struct pmu_store *s, struct pmu_error *err)
{
    struct pg_db *d = dbof(s);
    if (!d->copying)
        return PMU_OK;
    d->copying = false;
    put_be(d->copy + d->copy_len, UINT16_MAX, 2);  /* the trailer: a field count of -1 */
    d->copy_len += 2;
    enum pmu_status status = copy_flush(d, err);
    if (PQputCopyEnd(d->conn, status == PMU_OK ? NULL : "openpmu gave up") != 1 && status == PMU_OK)
        status = fail_res(d, NULL, "ending COPY", err);
    PGresult *res;
    while ((res = PQgetResult(d->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && status == PMU_OK)
            status = fail_res(d, res, "COPY", err);
        PQclear(res);
    }
    if (status != PMU_OK)
        return status;
    return pg_exec(s,
                   "INSERT INTO profile_days (channel_id, day, n_values, conflicts, data) "
                   "SELECT channel_id, day, n_values, conflicts, data FROM pmu_day_staging "
                   "ON CONFLICT (channel_id, day) DO UPDATE SET n_values = excluded.n_values, "
                   "conflicts = excluded.conflicts, data = excluded.data; TRUNCATE pmu_day_staging",
                   err);
}

static enum pmu_status found_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    (void)s;
    (void)row;
    *(bool *)user = true;
    return PMU_DONE;
}

static enum pmu_status pg_has_table(struct pmu_store *s, const char *table, bool *out, struct pmu_error *err)
{
    static const char sql[] = "SELECT 1 WHERE to_regclass($1) IS NOT NULL";
    struct pmu_store_arg a = pmu_arg_text(table);
    *out = false;
    return pg_query(s, sql, &a, 1, found_row, out, NULL, err);
}

const struct pmu_store_ops pmu_store_postgres_ops = {
    .name = "postgresql",
    .backend = PMU_STORE_POSTGRES,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .col_blob = pg_col_blob,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .days_begin = pg_days_begin,
    .day_put = pg_day_put,
    .days_end = pg_days_end,
    .has_table = pg_has_table,
};
