/* Data sets of an IEC 62056-21 data block: ADDRESS(VALUE*UNIT)(VALUE)...
 *
 * A zero-copy tokenizer over a complete block (the payload of a data message, or
 * unframed text). Each call returns one data set; a line that starts with '(' is a
 * continuation: its values belong to the data set before it (a profile entry whose
 * values continue on the next line, or a load-profile interval row).
 *
 * Limits (the standard's are tighter; real meters exceed them): address 32
 * characters, value 128, unit 16, 128 value groups per data set. */
#ifndef PMU_DATASET_H
#define PMU_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"

#define PMU_DATASET_ADDRESS_MAX 32
#define PMU_DATASET_VALUE_MAX 128
#define PMU_DATASET_UNIT_MAX 16
#define PMU_DATASET_MAX_VALUES 128

struct pmu_dataset_value {
    const char *text;          /* points into the block; not NUL-terminated */
    size_t len;
    const char *unit;          /* NULL when the group has no '*' */
    size_t unit_len;
};

struct pmu_dataset {
    size_t offset;             /* stream offset of the first byte */
    size_t line;               /* 1-based line number in the block */
    const char *address;       /* empty for continuations and the end marker */
    size_t address_len;
    bool continuation;         /* line began with '(' */
    bool end;                  /* the "!" end-of-data marker */
    size_t n_values;
    struct pmu_dataset_value values[PMU_DATASET_MAX_VALUES];
};

struct pmu_dataset_reader {
    const uint8_t *data;
    size_t len, pos;
    size_t base;               /* stream offset of data[0], for messages */
    size_t line;
    bool at_line_start;
    bool ended;                /* the end marker has been returned */
};

void pmu_dataset_reader_init(struct pmu_dataset_reader *r, const uint8_t *data, size_t len,
                             size_t base_offset);

/* Returns PMU_OK with the next data set in *out, PMU_DONE at the end of the block, or
 * an error naming the offset and what was expected. After an error the reader has
 * skipped to the next line (or to a following '!'), so calling again continues. */
enum pmu_status pmu_dataset_next(struct pmu_dataset_reader *r, struct pmu_dataset *out,
                                 struct pmu_error *err);

#endif
