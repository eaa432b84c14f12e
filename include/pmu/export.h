/* Interval-data exports from the store: CSV with channel metadata, JSON lines, and
 * AEMO NEM12 (100/200/300/400/900 records). Exact field mappings and openpmu's
 * choices: docs/exports.md. Values are written from the stored decimal text; NEM12
 * multiplies them by the channel and meter multipliers in exact decimal arithmetic. */
#ifndef PMU_EXPORT_H
#define PMU_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pmu/error.h"
#include "pmu/store.h"

enum pmu_export_format { PMU_EXPORT_CSV, PMU_EXPORT_JSONL, PMU_EXPORT_NEM12 };

struct pmu_export_options {
    enum pmu_export_format format;
    const char *const *meters;     /* serials to export; none: the group's, or every meter */
    size_t n_meters;
    const char *group;             /* NULL: no group */
    const char *channel;           /* NULL: every channel; else a code ("1.5") */
    bool has_from, has_to;
    int64_t from, to;              /* from < interval end <= to, meter clock seconds */
    const char *from_participant;  /* NEM12 100 record; NULL: "OPENPMU" */
    const char *to_participant;    /* NEM12 100 record; NULL: "" */
    time_t created;                /* when the file is made (NEM12 DateTime, UpdateDateTime); 0 = now */
};

/* "csv", "jsonl" or "nem12". */
enum pmu_status pmu_export_parse_format(const char *name, enum pmu_export_format *out, struct pmu_error *err);

/* Writes the intervals chosen by o to out. PMU_E_INVALID when the data cannot be said
 * in the format (a NEM12 meter whose site has no NMI, a channel with no direction). */
enum pmu_status pmu_export_write(struct pmu_store *s, const struct pmu_export_options *o, FILE *out,
                                 struct pmu_error *err);

#endif
