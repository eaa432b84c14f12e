/* Inside the store: the backend ops table every database driver fills in, and the
 * helpers the store's files share. Not a public header.
 *
 * Like libmodbus's backends, a driver does only what differs between databases
 * (connecting, binding parameters, reading columns, transactions, the bulk interval
 * path); the SQL text and every rule of the store live once, in store.c and its
 * neighbours. Shared SQL uses $1, $2, ... placeholders, which both SQLite and
 * PostgreSQL accept, numbered in the order they first appear. */
#ifndef PMU_STORE_INTERNAL_H
#define PMU_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/store.h"

enum pmu_store_arg_kind { PMU_ARG_NULL, PMU_ARG_INT, PMU_ARG_TEXT };

/* One query parameter. Text is NUL-terminated. */
struct pmu_store_arg {
    enum pmu_store_arg_kind kind;
    int64_t i;
    const char *s;
};

static inline struct pmu_store_arg pmu_arg_int(int64_t v)
{
    struct pmu_store_arg a = {PMU_ARG_INT, v, NULL};
    return a;
}

/* NULL becomes SQL NULL. */
static inline struct pmu_store_arg pmu_arg_text(const char *v)
{
    struct pmu_store_arg a = {v != NULL ? PMU_ARG_TEXT : PMU_ARG_NULL, 0, v};
    return a;
}

/* A result row, read through the driver's column functions. */
struct pmu_store_row;
typedef enum pmu_status (*pmu_store_row_fn)(void *user, struct pmu_store *s,
                                            const struct pmu_store_row *row);

/* One day row for the bulk path (profile_days; the data format is in days.h). */
struct pmu_day_put {
    int64_t channel_id;
    int64_t day;
    int64_t n_values;
    int64_t conflicts;             /* interval ends with more than one value */
    const uint8_t *data;
    size_t len;
};

struct pmu_store_ops {
    const char *name;              /* "sqlite", "postgresql" */
    enum pmu_store_backend backend;
    enum pmu_status (*open)(struct pmu_store *s, const char *conn, struct pmu_error *err);
    void (*close)(struct pmu_store *s);
    /* Runs a script of statements without parameters or results (migrations). */
    enum pmu_status (*exec)(struct pmu_store *s, const char *script, struct pmu_error *err);
    /* Runs one statement (sql must be a string constant: drivers cache prepared
     * statements by its address). fn is called per row and may be NULL; *changes
     * (may be NULL) gets the rows inserted, updated or deleted. */
    enum pmu_status (*query)(struct pmu_store *s, const char *sql, const struct pmu_store_arg *args,
                             size_t n_args, pmu_store_row_fn fn, void *user, int64_t *changes,
                             struct pmu_error *err);
    /* Column i of a row: text (NULL for SQL NULL, *len may be NULL), integer, or
     * bytes (a BLOB / bytea; valid until the next column call or row). */
    const char *(*col_text)(const struct pmu_store_row *row, int i, size_t *len);
    int64_t (*col_int)(const struct pmu_store_row *row, int i);
    const uint8_t *(*col_blob)(const struct pmu_store_row *row, int i, size_t *len);
    /* Transactions; writer takes the write lock at once (SQLite BEGIN IMMEDIATE, a
     * PostgreSQL advisory lock for migrations). */
    enum pmu_status (*begin)(struct pmu_store *s, bool writer, struct pmu_error *err);
    enum pmu_status (*commit)(struct pmu_store *s, struct pmu_error *err);
    void (*rollback)(struct pmu_store *s);
    /* Bulk day-row upsert inside a transaction: begin, put each, end. A put replaces
     * the stored row of its channel and day. No other query may run between begin
     * and end (PostgreSQL is inside COPY). */
    enum pmu_status (*days_begin)(struct pmu_store *s, struct pmu_error *err);
    enum pmu_status (*day_put)(struct pmu_store *s, const struct pmu_day_put *row, struct pmu_error *err);
    enum pmu_status (*days_end)(struct pmu_store *s, struct pmu_error *err);
    /* Whether a table exists (to tell an empty database from one with a schema). */
    enum pmu_status (*has_table)(struct pmu_store *s, const char *table, bool *out,
                                 struct pmu_error *err);
};

struct pmu_store {
    const struct pmu_store_ops *ops;
    void *db;                      /* the driver's connection state */
    int schema_version;
    bool in_transaction;
};

extern const struct pmu_store_ops pmu_store_sqlite_ops;
extern const struct pmu_store_ops pmu_store_postgres_ops;

/* migrations.c: brings the schema to target (0 = latest) in one transaction. */
enum pmu_status pmu_store_migrate(struct pmu_store *s, int target, struct pmu_error *err);

/* profile_days.c: stores intervals of channels as day rows, inside the caller's
 * transaction. Each channel's entries (ends, values, status, run) are merged with
 * the day rows already stored: an interval stored with the same value is kept as it
 * is, one with a different value is added beside it (a conflict). The entries are
 * sorted in place. *n_new counts the entries that were not stored yet. */
struct pmu_day_entry;
struct pmu_channel_entries {
    int64_t channel_id;
    struct pmu_day_entry *entries;
    size_t n;
};
enum pmu_status pmu_store_put_intervals(struct pmu_store *s, struct pmu_channel_entries *channels, size_t n_channels,
                                        size_t *n_new, struct pmu_error *err);
/* Migration 3: moves profile_intervals (version 2) into profile_days. */
enum pmu_status pmu_store_move_intervals_to_days(struct pmu_store *s, struct pmu_error *err);

/* store.c helpers shared with the other store files. */
enum pmu_status pmu_store_begin(struct pmu_store *s, struct pmu_error *err);
enum pmu_status pmu_store_commit(struct pmu_store *s, struct pmu_error *err);
void pmu_store_rollback(struct pmu_store *s);
/* Runs a query whose first row's first column is an integer; *found says if a row came. */
enum pmu_status pmu_store_query_int(struct pmu_store *s, const char *sql, const struct pmu_store_arg *args,
                                    size_t n_args, int64_t *out, bool *found, struct pmu_error *err);
/* The id of meter `serial`, or PMU_E_RANGE "no meter ...". */
enum pmu_status pmu_store_meter_id(struct pmu_store *s, const char *serial, int64_t *id,
                                   struct pmu_error *err);
/* Adds (old_serial NULL) or replaces a meter, inside the caller's transaction. */
enum pmu_status pmu_store_meter_put(struct pmu_store *s, const char *old_serial, const struct pmu_meter_record *m,
                                    struct pmu_error *err);
/* "2024-01-15T12:30:00Z" for t (0 = now). */
void pmu_store_utc_text(time_t t, char buf[24]);
/* Copies src into a fixed field; PMU_E_TOO_LONG naming `what` when it does not fit. */
enum pmu_status pmu_store_copy_field(char *dst, size_t size, const char *src, const char *what,
                                     struct pmu_error *err);

/* Names of sites, groups and serials: not empty, no control characters, no spaces at
 * either end. */
enum pmu_status pmu_store_check_name(const char *name, const char *what, struct pmu_error *err);
/* Column i of row into a fixed field, cut to fit. */
void pmu_store_col_copy(struct pmu_store *s, const struct pmu_store_row *row, int i, char *dst, size_t size);

/* Exact decimals (decimal.c). A decimal is a sign, up to PMU_DEC_DIGITS significant
 * digits and a scale (digits after the point). */
#define PMU_DEC_DIGITS 60
struct pmu_dec {
    bool neg;
    int scale;
    size_t n;                      /* digits used, most significant first */
    unsigned char d[PMU_DEC_DIGITS];
};
/* Parses "[-+]digits[.digits]". */
enum pmu_status pmu_dec_parse(const char *text, size_t len, struct pmu_dec *out);
/* Parses a ratio "" (= 1), "40" or "200/5" into its exact value; PMU_E_RANGE when the
 * quotient does not end within 12 decimal places (it is then rounded half up). */
enum pmu_status pmu_dec_ratio(const char *text, struct pmu_dec *out);
void pmu_dec_one(struct pmu_dec *out);
/* out = a * b exactly. */
enum pmu_status pmu_dec_mul(const struct pmu_dec *a, const struct pmu_dec *b, struct pmu_dec *out);
/* Shortest text: no leading zeros before the point, no trailing zeros after it. */
void pmu_dec_format(const struct pmu_dec *v, char *buf, size_t size);
bool pmu_dec_is_one(const struct pmu_dec *v);


/* Ends a list query: on success hands the collected array to the caller, on failure
 * frees it (naming an out-of-memory failure) and hands over nothing. */
enum pmu_status pmu_store_list_done(enum pmu_status status, void *items, size_t n, void **out,
                                    size_t *out_n, struct pmu_error *err);

#endif
