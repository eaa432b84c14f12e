/* pmu read: the meters of one run (a path, a list file, or meters from the store) and
 * what the run shares while they are read. */
#ifndef PMU_APP_READ_TARGETS_H
#define PMU_APP_READ_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/path.h"
#include "pmu/security.h"
#include "pmu/session.h"
#include "pmu/store.h"

#define MAX_CODES 256
#define MAX_METERS_ARGS 256

struct read_args {
    const char *path_text;
    struct pmu_path path;
    struct pmu_read_request req;
    const char *codes[MAX_CODES];
    bool json;
    const char *trace;
    const char *list;
    const char *meters[MAX_METERS_ARGS];  /* --meter SERIAL */
    size_t n_meters;
    const char *group;                     /* --group NAME */
    const char *db;                        /* --db CONN */
    const struct pmu_key *key;             /* opens meter passwords from the vault; NULL
                                              when not at hand */
    size_t parallel;
};

struct run;

struct target {
    char serial[64];           /* "" for a single path */
    const char *path_text;     /* parsed again when queued: tens of thousands of parsed
                                  paths would cost more memory than the parsing time */
    const char *password;      /* the meter's own password from the vault, or NULL */
    struct run *run;
};

struct run {
    const struct read_args *args;
    bool tty, many;
    size_t total, done, failed;
    double started;
    struct pmu_store *store;   /* results go here when meters came from the store */
    int64_t run_id;
    size_t stored_readings, stored_intervals, store_failures;
};

/* Meters of a list file: "PATH" or "meter SERIAL PATH" lines. *text owns the strings. */
int read_targets_from_list(const char *file, struct target **out, size_t *n, char **text);

/* Meters of the store: the --meter serials and the members of --group, with their
 * vault passwords when a->key is set. *text owns the path and password strings
 * (free with free()). */
int read_targets_from_store(struct pmu_store *store, const struct read_args *a,
                            struct target **out, size_t *n, char **text);

#endif
