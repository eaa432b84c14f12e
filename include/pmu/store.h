/* The store: the meter list (sites, meters, groups) and everything read from the
 * meters (register readings, load-profile intervals, events), with the job run that
 * read each value. One API, two backends chosen by the connection string:
 *
 *   "openpmu.db", "/var/lib/openpmu/site.db"       an SQLite file (created if missing)
 *   "postgresql://user@host/db", "postgres://..."  a PostgreSQL database (libpq URI)
 *
 * Opening a database creates or upgrades its schema (numbered migrations, one
 * transaction); a database written by a newer openpmu is refused. Values are kept as
 * the exact decimal text the meter sent ("000123.4560" stays exactly that): nothing
 * passes through binary floating point. Details: docs/store.md.
 *
 * A struct pmu_store is one connection: use it from one thread at a time. Functions
 * that take a callback must not be called again on the same store from inside it.
 *
 * Status codes: PMU_E_IO the database failed (cannot open, disk full, connection
 * lost); PMU_E_NOT_FOUND no such meter, site, group, run or channel; PMU_E_EXISTS
 * the name is taken (meter, site, group, group member); PMU_E_INVALID a rule was
 * broken (bad comms path, site still in use); PMU_E_TOO_LONG a
 * field is longer than its record allows; PMU_E_SYNTAX a file to import is malformed;
 * PMU_E_UNSUPPORTED the schema is newer than this openpmu. err->message says which. */
#ifndef PMU_STORE_H
#define PMU_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pmu/error.h"
#include "pmu/readout.h"

/* The schema version this openpmu writes (see src/store/migrations.c). */
#define PMU_STORE_SCHEMA_VERSION 6

struct pmu_store;

enum pmu_store_backend { PMU_STORE_SQLITE, PMU_STORE_POSTGRES };

struct pmu_store_options {
    int schema_version;        /* migrate no further than this; 0 = the latest */
};

/* Opens (and creates or upgrades) the database named by conn. */
enum pmu_status pmu_store_open(const char *conn, struct pmu_store **out, struct pmu_error *err);
enum pmu_status pmu_store_open_with(const char *conn, const struct pmu_store_options *opt,
                                    struct pmu_store **out, struct pmu_error *err);
void pmu_store_close(struct pmu_store *s);

enum pmu_store_backend pmu_store_backend(const struct pmu_store *s);
/* The schema version of the open database. */
int pmu_store_schema_version(const struct pmu_store *s);

/* ---- Sites: where meters are installed ---------------------------------------- */

#define PMU_STORE_NAME_MAX 64      /* names and serials, with the NUL */
#define PMU_STORE_NOTES_MAX 1024

struct pmu_site_record {
    char name[PMU_STORE_NAME_MAX];
    char nmi[16];                  /* connection point id (AEMO NMI, 10 characters); "" none */
    char address[256];
    char notes[PMU_STORE_NOTES_MAX];
    size_t n_meters;               /* filled by get and list */
};

enum pmu_status pmu_store_site_add(struct pmu_store *s, const struct pmu_site_record *site,
                                   struct pmu_error *err);
/* Replaces every field of site `name` (site->name may rename it). */
enum pmu_status pmu_store_site_update(struct pmu_store *s, const char *name,
                                      const struct pmu_site_record *site, struct pmu_error *err);
enum pmu_status pmu_store_site_get(struct pmu_store *s, const char *name,
                                   struct pmu_site_record *out, struct pmu_error *err);
/* *out is an array of *n sites by name, to free() (NULL when there are none). */
enum pmu_status pmu_store_site_list(struct pmu_store *s, struct pmu_site_record **out, size_t *n,
                                    struct pmu_error *err);
/* Refused while meters are at the site. */
enum pmu_status pmu_store_site_remove(struct pmu_store *s, const char *name, struct pmu_error *err);

/* ---- Meters --------------------------------------------------------------------- */

struct pmu_meter_record {
    char serial[PMU_STORE_NAME_MAX];  /* unique; the meter's name everywhere */
    char make[PMU_STORE_NAME_MAX];
    char model[PMU_STORE_NAME_MAX];
    char site[PMU_STORE_NAME_MAX];    /* "" none; a new site name creates the site */
    char path[512];                   /* comms path (docs/comms-paths.md); "" none */
    char address[33];                 /* device address on a shared line; "" none */
    char password_ref[128];           /* where the password is kept, never the password */
    char ct[32];                      /* CT ratio: "" (none), "40" or "200/5" */
    char vt[32];                      /* VT ratio, same forms: "11000/110" */
    char scheme[128];                 /* assigned programming scheme; "" none */
    char notes[PMU_STORE_NOTES_MAX];
    char created[24], updated[24];    /* "2024-01-15T12:30:00Z", set by the store */
};

/* Checks a record as add/update would (path grammar, ratios, lengths) without
 * touching the database. */
enum pmu_status pmu_meter_record_check(const struct pmu_meter_record *m, struct pmu_error *err);

enum pmu_status pmu_store_meter_add(struct pmu_store *s, const struct pmu_meter_record *m,
                                    struct pmu_error *err);
/* Replaces every field of meter `serial` (m->serial may rename it). */
enum pmu_status pmu_store_meter_update(struct pmu_store *s, const char *serial,
                                       const struct pmu_meter_record *m, struct pmu_error *err);
enum pmu_status pmu_store_meter_get(struct pmu_store *s, const char *serial,
                                    struct pmu_meter_record *out, struct pmu_error *err);

struct pmu_meter_filter {
    const char *site;              /* NULL: any */
    const char *group;             /* NULL: any */
};
/* *out is an array of *n meters by serial, to free(). filter may be NULL. */
enum pmu_status pmu_store_meter_list(struct pmu_store *s, const struct pmu_meter_filter *filter,
                                     struct pmu_meter_record **out, size_t *n, struct pmu_error *err);
/* Refused while the meter has stored readings, unless purge (which deletes them). */
enum pmu_status pmu_store_meter_remove(struct pmu_store *s, const char *serial, bool purge,
                                       struct pmu_error *err);

/* The meter list as CSV (docs/store.md): a header line, then one meter a line. */
enum pmu_status pmu_store_meters_export_csv(struct pmu_store *s, FILE *out, struct pmu_error *err);

/* Called once per bad row of an import: line is where the row starts. */
typedef void (*pmu_import_report_fn)(void *user, size_t line, const char *message);

/* Imports a meter list written by pmu_store_meters_export_csv (or by hand: columns in
 * any order, serial required). Every row is checked first; if any is bad, each
 * problem is reported and nothing is imported (returns the first problem's code:
 * PMU_E_SYNTAX, PMU_E_INVALID or PMU_E_EXISTS). Otherwise all rows go in one
 * transaction. A serial already in the store is an error unless update is true
 * (then the row replaces it). */
enum pmu_status pmu_store_meters_import_csv(struct pmu_store *s, const char *text, size_t len,
                                            bool update, pmu_import_report_fn report, void *user,
                                            size_t *n_imported, struct pmu_error *err);

/* ---- Groups: named sets of meters, read together --------------------------------- */

struct pmu_group_record {
    char name[PMU_STORE_NAME_MAX];
    char description[256];
    size_t n_members;
};

enum pmu_status pmu_store_group_add(struct pmu_store *s, const char *name, const char *description,
                                    struct pmu_error *err);
enum pmu_status pmu_store_group_get(struct pmu_store *s, const char *name,
                                    struct pmu_group_record *out, struct pmu_error *err);
enum pmu_status pmu_store_group_list(struct pmu_store *s, struct pmu_group_record **out, size_t *n,
                                     struct pmu_error *err);
/* Removes the group; its meters stay. */
enum pmu_status pmu_store_group_remove(struct pmu_store *s, const char *name, struct pmu_error *err);
/* Adding a member twice is PMU_E_EXISTS, removing a non-member PMU_E_NOT_FOUND. */
enum pmu_status pmu_store_group_add_member(struct pmu_store *s, const char *group,
                                           const char *serial, struct pmu_error *err);
enum pmu_status pmu_store_group_remove_member(struct pmu_store *s, const char *group,
                                              const char *serial, struct pmu_error *err);

/* ---- Saving what was read -----------------------------------------------------------
 *
 * How a reader calls it (one run, many meters, each meter atomic):
 *
 *     int64_t run;
 *     pmu_store_begin_run(store, "nightly", &run, &err);      // or NULL for ad hoc
 *     for each meter read (e.g. in the engine's on_done callback):
 *         pmu_store_save_readout(store, run, serial, &session->result, time(NULL),
 *                                &stats, &err);                // one transaction
 *     pmu_store_finish_run(store, run, "ok", "", &err);
 *
 * A meter whose save fails (or whose process dies during it) leaves nothing of that
 * meter's readout behind; meters saved before it stay saved. */

/* Starts a job run (committed at once) and returns its id. job names a row of the
 * jobs table (created if missing), or is NULL for an ad hoc run such as `pmu read`. */
enum pmu_status pmu_store_begin_run(struct pmu_store *s, const char *job, int64_t *run_id,
                                    struct pmu_error *err);

struct pmu_save_stats {
    size_t readings;               /* register values stored */
    size_t intervals;              /* interval values in the readout */
    size_t intervals_new;          /* of which were not stored yet */
    size_t events;
};

/* Stores one meter's readout in one transaction: every record value as a register
 * reading, every load profile (P.01, P.02) value as a profile interval of its channel,
 * event logs (P.98) as events. collected_at is when it was read (0 = now). An
 * interval already stored with the same value is not stored again; one stored with a
 * different value is kept beside it and listed as a conflict. stats may be NULL. */
enum pmu_status pmu_store_save_readout(struct pmu_store *s, int64_t run_id, const char *serial,
                                       const struct pmu_readout *r, time_t collected_at,
                                       struct pmu_save_stats *stats, struct pmu_error *err);

/* Closes a run: outcome is "ok", "partial" or "failed"; message may be "". */
enum pmu_status pmu_store_finish_run(struct pmu_store *s, int64_t run_id, const char *outcome,
                                     const char *message, struct pmu_error *err);

/* ---- History ------------------------------------------------------------------------ */

/* Row callbacks: pointers are valid during the call only. Return PMU_OK to go on,
 * PMU_DONE to stop early (the query then returns PMU_OK), or an error to abort. */

struct pmu_reading_row {
    int64_t run_id;
    const char *register_id;       /* the address as the meter wrote it: "1.8.0" */
    const char *obis;              /* "1-0:1.8.0*255", or NULL */
    int value_index;               /* position in the data set: 0, 1, ... */
    const char *value;             /* exact decimal text */
    const char *unit;              /* NULL when the meter sent none */
    int scaler;                    /* value x 10^scaler; 0 for IEC 62056-21 */
    int64_t status;
    const char *meter_time;        /* "2024-01-15T12:30:00" when the value is a time */
    const char *collected_at;      /* "2024-01-15T12:31:07Z" */
};
typedef enum pmu_status (*pmu_reading_fn)(void *user, const struct pmu_reading_row *row);

/* Readings of one meter, newest collection first, then in readout order.
 * register_id (NULL: all) keeps one register; limit 0 means no limit. */
enum pmu_status pmu_store_readings(struct pmu_store *s, const char *serial, const char *register_id,
                                   size_t limit, pmu_reading_fn fn, void *user, struct pmu_error *err);

struct pmu_channel_record {
    char profile[16];              /* "P.01" */
    char code[32];                 /* channel id as the meter wrote it: "1.5" */
    char unit[16];                 /* "kWh", "kW", ... */
    unsigned interval_min;
    char pulse_multiplier[32];     /* exact decimal, "1" unless set */
    char direction[16];            /* "import", "export" or "" unknown */
};

/* Load-profile channels of a meter, by profile and code; *out to free(). */
enum pmu_status pmu_store_channels(struct pmu_store *s, const char *serial,
                                   struct pmu_channel_record **out, size_t *n, struct pmu_error *err);
/* Sets what a channel's values mean downstream (NULL leaves a field as it is). */
enum pmu_status pmu_store_channel_set(struct pmu_store *s, const char *serial, const char *code,
                                      const char *pulse_multiplier, const char *direction,
                                      struct pmu_error *err);

struct pmu_interval_row {
    const char *serial;
    const struct pmu_channel_record *channel;
    int64_t end;                   /* interval end, seconds since 1970-01-01T00:00 of the
                                      meter's clock (no time zone) */
    const char *value;             /* exact decimal text */
    size_t value_len;
    int64_t status;                /* the profile's status word */
    int64_t run_id;
    bool conflict;                 /* another value is stored for this channel and end */
};
typedef enum pmu_status (*pmu_interval_fn)(void *user, const struct pmu_interval_row *row);

struct pmu_interval_query {
    const char *serial;            /* NULL: every meter (conflicts_only) */
    const char *channel;           /* NULL: every channel; else a code ("1.5") */
    bool has_from, has_to;
    int64_t from, to;              /* from < end <= to, in the seconds above */
    bool conflicts_only;
};

/* Intervals by meter, channel, end, value. */
enum pmu_status pmu_store_intervals(struct pmu_store *s, const struct pmu_interval_query *q,
                                    pmu_interval_fn fn, void *user, struct pmu_error *err);

struct pmu_event_row {
    int64_t run_id;
    const char *meter_time;
    const char *code;
    const char *detail;
    const char *collected_at;
};
typedef enum pmu_status (*pmu_event_fn)(void *user, const struct pmu_event_row *row);

enum pmu_status pmu_store_events(struct pmu_store *s, const char *serial, size_t limit,
                                 pmu_event_fn fn, void *user, struct pmu_error *err);

/* ---- Programming schemes (docs/schemes.md) ---------------------------------------
 * Each import of a scheme whose text differs from its latest version stores version
 * n + 1; the text is kept exactly as imported. */

struct pmu_scheme_version_record {
    char name[PMU_STORE_NAME_MAX];
    int version;                   /* 1, 2, ...; in a list: the latest */
    char imported_by[PMU_STORE_NAME_MAX];
    char imported_at[24];
    size_t n_versions;             /* filled by pmu_store_scheme_list */
};

/* Stores text as the next version of scheme `name` (created at version 1). Text equal
 * to the latest version stores nothing: *version is then that version and
 * *unchanged true. imported_by may be "" (no user). */
enum pmu_status pmu_store_scheme_import(struct pmu_store *s, const char *name, const char *text,
                                        const char *imported_by, int *version, bool *unchanged,
                                        struct pmu_error *err);
/* The text of a version (0 = the latest), to free(); *version gets its number.
 * PMU_E_RANGE when the scheme or version does not exist. */
enum pmu_status pmu_store_scheme_get(struct pmu_store *s, const char *name, int *version, char **text,
                                     struct pmu_error *err);
/* Schemes by name with their latest version; *out to free(). */
enum pmu_status pmu_store_scheme_list(struct pmu_store *s, struct pmu_scheme_version_record **out, size_t *n,
                                      struct pmu_error *err);
/* Versions of one scheme, oldest first; *out to free(). PMU_E_RANGE for no scheme. */
enum pmu_status pmu_store_scheme_history(struct pmu_store *s, const char *name,
                                         struct pmu_scheme_version_record **out, size_t *n,
                                         struct pmu_error *err);

/* ---- Programming runs (docs/programming.md) ---------------------------------------
 * One run per `pmu program` attempt, with the status of every item of the compiled
 * scheme: "pending" (not confirmed on the meter), "unchanged" (the meter already
 * held it), "written" (accepted, nothing to read back), "verified", "mismatch",
 * "refused". A run's outcome is "running" until it ends ("verified", "failed",
 * "dry-run"); one left "running" was interrupted. */

struct pmu_program_run_record {
    int64_t id;
    char meter[PMU_STORE_NAME_MAX];
    char scheme[PMU_STORE_NAME_MAX];
    int version;
    char actor[PMU_STORE_NAME_MAX];
    char started_at[24], ended_at[24];
    char outcome[16];
    char message[256];
    int64_t resumes;               /* the unfinished run this one completes, or 0 */
};

struct pmu_program_item_record {
    int position;                  /* 0.. in the order written */
    char item[32];                 /* "795", "932.3", or a generic address */
    char what[64];
    char status[16];
    char message[160];
};

/* Starts a run (r->id is set) with its items, all in one transaction. */
enum pmu_status pmu_store_program_begin(struct pmu_store *s, struct pmu_program_run_record *r,
                                        const struct pmu_program_item_record *items, size_t n,
                                        struct pmu_error *err);
/* Sets the status (and message) of item `position` of run id. */
enum pmu_status pmu_store_program_item(struct pmu_store *s, int64_t id, int position, const char *status,
                                       const char *message, struct pmu_error *err);
/* Ends run id with its outcome and message (ended_at = now). */
enum pmu_status pmu_store_program_end(struct pmu_store *s, int64_t id, const char *outcome, const char *message,
                                      struct pmu_error *err);
/* The latest run of a meter (id 0: the latest; else that run) with its items
 * (*items to free()); *found false when there is none. */
enum pmu_status pmu_store_program_get(struct pmu_store *s, const char *meter, int64_t id,
                                      struct pmu_program_run_record *r, struct pmu_program_item_record **items,
                                      size_t *n, bool *found, struct pmu_error *err);

/* ---- Meter clock seconds -------------------------------------------------------------
 * Interval ends are kept as seconds of the meter's civil clock
 * (pmu_timestamp_to_seconds): exact, sortable and the same in both backends. */
/* "2024-01-15T12:30:00" (20 bytes with the NUL). */
void pmu_store_format_seconds(int64_t seconds, char buf[20]);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDThh:mm" or "YYYY-MM-DDThh:mm:ss" (or a space for T). */
enum pmu_status pmu_store_parse_seconds(const char *text, int64_t *out, struct pmu_error *err);

#endif
