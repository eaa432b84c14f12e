/* Capture input: turns a capture file into the bytes that went over the line.
 *
 * A capture comes in one of three formats (docs/capture-formats.md):
 *   RAW         the bytes as received;
 *   HEX         a hex dump: plain pairs ("01 52 31 02"), `xxd` or `hexdump -C` layout;
 *   TRANSCRIPT  lines of string literals, each with an optional label:
 *                   reader -> meter: b'/?!\r\n'
 * The decoder is pure: it works on a memory buffer, does no I/O and keeps no state.
 * The result is the decoded bytes plus segments that cut them into pieces: one
 * segment for RAW and HEX, one per string literal for TRANSCRIPT. */
#ifndef PMU_CAPTURE_H
#define PMU_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"

enum pmu_capture_format {
    PMU_CAPTURE_AUTO,        /* let pmu_capture_detect choose one of the others */
    PMU_CAPTURE_RAW,
    PMU_CAPTURE_HEX,
    PMU_CAPTURE_TRANSCRIPT
};

/* Which way a segment travelled, from its label ("reader -> meter", ...). */
enum pmu_direction {
    PMU_DIR_UNKNOWN,
    PMU_DIR_TO_METER,
    PMU_DIR_FROM_METER
};

#define PMU_CAPTURE_LABEL_MAX 64

struct pmu_capture_segment {
    size_t offset;                       /* start in pmu_capture.bytes */
    size_t length;
    enum pmu_direction dir;
    size_t line;                         /* 1-based input line of a literal; 0 for RAW, HEX */
    char label[PMU_CAPTURE_LABEL_MAX];   /* "reader -> meter"; "" when none; may be cut */
};

struct pmu_capture {
    enum pmu_capture_format format;      /* the format decoded, never AUTO */
    uint8_t *bytes;                      /* not NULL after success, even when length is 0 */
    size_t length;
    struct pmu_capture_segment *segments;  /* in order; together they cover bytes exactly */
    size_t n_segments;
};

/* Guesses the format of in (never returns AUTO): HEX when every non-blank,
 * non-comment line is shaped like a hex dump line, else TRANSCRIPT when every such
 * line holds a b'...', b"..." or "..." literal, else RAW. Only text input (tab, CR,
 * LF and 0x20..0x7E) can be HEX or TRANSCRIPT. */
enum pmu_capture_format pmu_capture_detect(const uint8_t *in, size_t len);

/* Decodes in (len bytes; in may be NULL when len is 0) as fmt into out, which the
 * caller frees with pmu_capture_free. On error out holds nothing to free and err says
 * at which byte offset and line the input broke and what was expected there. */
enum pmu_status pmu_capture_decode(const uint8_t *in, size_t len, enum pmu_capture_format fmt,
                                   struct pmu_capture *out, struct pmu_error *err);

/* Frees what pmu_capture_decode allocated and zeroes c; c may be NULL. */
void pmu_capture_free(struct pmu_capture *c);

/* "auto", "raw", "hex" or "transcript" ("?" for a value outside the enum). */
const char *pmu_capture_format_name(enum pmu_capture_format fmt);

/* Parses one of the names above into *fmt; PMU_E_INVALID (fmt untouched) for any
 * other name or NULL. */
enum pmu_status pmu_capture_format_from_name(const char *name, enum pmu_capture_format *fmt);

#endif
