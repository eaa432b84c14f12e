/* Day rows: one channel's load-profile intervals of one day, packed into one value
 * (the `data` column of profile_days, docs/store.md "Day rows"). Pure code: no I/O.
 *
 * A meter-year of 30-minute data on 4 channels is 1,460 day rows instead of 70,080
 * interval rows, which is what lets a fetch take a few milliseconds: the database
 * steps a few rows and this file unpacks them.
 *
 * Format 1 (all integers are unsigned LEB128 varints, at most 10 bytes):
 *
 *   byte 0x01                      the format
 *   then per interval, in order of end, then value bytes (memcmp; shorter first):
 *     varint  seconds after the previous interval's end (the first: after the day's
 *             start, day * 86400); 0 for a second value of the same interval
 *     byte    flags: 0x01 a status follows, 0x02 a job run id follows; without them
 *             the previous interval's apply (the first interval has both)
 *     varint  status (the profile's status word, as a 64-bit two's complement)
 *     varint  job run id
 *     varint  value length L (1..1024), then the L bytes of the value's exact
 *             decimal text, then a 0 byte (so the text is a C string in place)
 *
 * No two intervals have the same end and value; two with the same end and
 * different values are a conflict and both stay. */
#ifndef PMU_STORE_DAYS_H
#define PMU_STORE_DAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"

#define PMU_DAY_SECONDS 86400
#define PMU_DAY_FORMAT 1
#define PMU_DAY_VALUE_MAX 1024

/* One interval. value is NUL-terminated where it comes from a decoded row. */
struct pmu_day_entry {
    int64_t end;                   /* meter clock seconds (pmu_store_seconds) */
    int64_t status;
    int64_t run_id;
    const char *value;
    size_t value_len;
};

/* The day an interval end falls in: floor(end / 86400). */
int64_t pmu_day_of(int64_t end);

/* Order of entries in a row: end, then value bytes. */
int pmu_day_entry_cmp(const struct pmu_day_entry *a, const struct pmu_day_entry *b);

/* Sorts entries into row order unless they already are (the usual case). */
void pmu_day_sort(struct pmu_day_entry *e, size_t n);

/* A growing byte buffer for encoded rows. */
struct pmu_day_buf {
    uint8_t *data;
    size_t len, cap;
};
void pmu_day_buf_free(struct pmu_day_buf *b);

/* Encodes n entries of one day, in row order with no two equal, into out (replacing
 * its contents). *conflicts gets the number of interval ends with more than one
 * value. PMU_E_INVALID when an entry is outside the day, out of order or its value
 * is empty or longer than PMU_DAY_VALUE_MAX; PMU_E_NOMEM. */
enum pmu_status pmu_day_encode(int64_t day, const struct pmu_day_entry *e, size_t n, struct pmu_day_buf *out,
                               size_t *conflicts, struct pmu_error *err);

/* Decodes a row of day `day` into *entries (grown with pmu_grow; *cap its size),
 * replacing them: *n entries whose values point into data. A damaged row is
 * PMU_E_SYNTAX with "byte N: ..." saying where and what. */
enum pmu_status pmu_day_decode(int64_t day, const uint8_t *data, size_t len, struct pmu_day_entry **entries,
                               size_t *n, size_t *cap, struct pmu_error *err);

/* Merges sorted entries `add` (may repeat one another) into the sorted, distinct
 * entries `old`, writing the union to *out (grown like pmu_day_decode): an entry
 * equal in end and value to one already there is dropped, the stored one (its status
 * and run) stays. *n_new counts the entries that were not there. */
enum pmu_status pmu_day_merge(const struct pmu_day_entry *old, size_t n_old, const struct pmu_day_entry *add,
                              size_t n_add, struct pmu_day_entry **out, size_t *n_out, size_t *cap,
                              size_t *n_new);

#endif
