/* Typed readout: the data sets of one or more blocks turned into records (address,
 * OBIS code, values with units) and load profiles (VDEW-style P.01 answers).
 *
 * Values stay exact decimal text: nothing passes through binary floating point. */
#ifndef PMU_READOUT_H
#define PMU_READOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"
#include "pmu/obis.h"

/* A meter time "sYYMMDDhhmm[ss]" (season digit optional). */
struct pmu_timestamp {
    int season;                /* -1 absent, 0 normal time, 1 summer time, 2 UTC */
    int year, month, day, hour, minute, second;
};

/* Parses 10..13 digits: YYMMDDhhmm, sYYMMDDhhmm, YYMMDDhhmmss, sYYMMDDhhmmss. */
enum pmu_status pmu_timestamp_parse(const char *text, size_t len, struct pmu_timestamp *out,
                                    struct pmu_error *err);
/* "2022-08-23T16:15:00" (20 bytes with the NUL); returns the length or a negative status. */
int pmu_timestamp_format(const struct pmu_timestamp *t, char *buf, size_t size);
/* Moves t by a number of minutes in civil time (no time zone rules). */
void pmu_timestamp_add_minutes(struct pmu_timestamp *t, long minutes);

/* Meter clocks know no time zones, so openpmu counts a meter time as seconds since
 * 1970-01-01T00:00 of the same civil clock (as timegm would, without the C library):
 * exact, sortable, the same in every store. The season digit is not part of it. */
int64_t pmu_timestamp_to_seconds(const struct pmu_timestamp *t);
void pmu_timestamp_from_seconds(int64_t seconds, struct pmu_timestamp *out);

/* "YYYY-MM-DD", "YYYY-MM-DDThh:mm" or "YYYY-MM-DDThh:mm:ss" (a space may stand for the
 * T; 24:00 is the next day's 00:00), as users type times on the command line. */
enum pmu_status pmu_timestamp_parse_iso(const char *text, struct pmu_timestamp *out,
                                        struct pmu_error *err);

struct pmu_value {
    const char *text;          /* NUL-terminated */
    const char *unit;          /* NULL when the group had no '*'; "" for "(5*)" */
    bool has_time;             /* text is also a valid meter time (see docs) */
    struct pmu_timestamp time;
};

struct pmu_record {
    const char *address;       /* "" for values that came with no address */
    bool has_obis;
    struct pmu_obis obis;
    size_t n_values;
    struct pmu_value *values;
    size_t offset, line, frame; /* where it came from: stream offset, line, frame index */
};

struct pmu_profile_channel {
    const char *id;
    const char *unit;
};

struct pmu_profile_row {
    struct pmu_timestamp time; /* header start + row index x interval */
    size_t n_values;
    struct pmu_value *values;
};

struct pmu_profile {
    const char *address;       /* "P.01" */
    struct pmu_timestamp start;
    uint32_t status;           /* status word (hex in the header) */
    unsigned interval_min;
    size_t n_channels;
    struct pmu_profile_channel *channels;
    size_t n_rows, cap_rows;
    struct pmu_profile_row *rows;
    size_t offset, frame;
};

struct pmu_arena;

struct pmu_readout {
    size_t n_records, cap_records;
    struct pmu_record *records;
    size_t n_profiles, cap_profiles;
    struct pmu_profile *profiles;
    size_t n_errors, cap_errors;
    struct pmu_error *errors;  /* problems found, in input order */
    bool ended;                /* the "!" end-of-data marker was seen */
    int context;               /* what a continuation line continues */
    struct pmu_arena *arena;   /* owns every string and value array */
};

void pmu_readout_init(struct pmu_readout *r);
void pmu_readout_free(struct pmu_readout *r);

/* Decodes one block (data message payload or text). continues is true when the block
 * carries on the previous one (the previous block ended in EOT), so a profile or a
 * record can run across blocks. Problems are appended to r->errors and decoding goes
 * on; returns PMU_OK, the code of the first problem in this block, or PMU_E_NOMEM. */
enum pmu_status pmu_readout_add_block(struct pmu_readout *r, const uint8_t *data, size_t len,
                                      size_t base_offset, size_t frame, bool continues);

/* Building a readout from values a driver decoded itself (e.g. the Elster register
 * protocol), so those meters are rendered and stored like any other. Strings and values
 * are copied. put_row appends to the last profile put, with its own time (interval end,
 * or the event time of a "P.98" event log whose first value is the event code). */
enum pmu_status pmu_readout_put_record(struct pmu_readout *r, const char *address,
                                       const struct pmu_obis *obis, const struct pmu_value *values,
                                       size_t n);
enum pmu_status pmu_readout_put_profile(struct pmu_readout *r, const char *address,
                                        const struct pmu_timestamp *start, uint32_t status,
                                        unsigned interval_min,
                                        const struct pmu_profile_channel *channels, size_t n);
enum pmu_status pmu_readout_put_row(struct pmu_readout *r, const struct pmu_timestamp *time,
                                    const struct pmu_value *values, size_t n);

#endif
