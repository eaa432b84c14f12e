/* Status codes and error context shared by every libpmu module.
 *
 * Every fallible function returns an enum pmu_status (PMU_OK is 0, errors are
 * negative) and, when the caller passes a struct pmu_error, fills it with the code,
 * the byte offset in the input where the problem was found (when there is one) and a
 * human message that says what was expected. */
#ifndef PMU_ERROR_H
#define PMU_ERROR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define PMU_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PMU_PRINTF(fmt, args)
#endif

enum pmu_status {
    PMU_OK = 0,
    PMU_AGAIN = 1,            /* not an error: more input is needed */
    PMU_DONE = 2,             /* not an error: nothing more to return */
    PMU_E_INVALID = -1,       /* bad argument from the caller */
    PMU_E_NOMEM = -2,         /* allocation failed */
    PMU_E_SYNTAX = -3,        /* input does not follow the grammar */
    PMU_E_BCC = -4,           /* frame checksum does not match */
    PMU_E_TOO_LONG = -5,      /* a field or frame exceeds its limit */
    PMU_E_RANGE = -6,         /* a number is out of its range */
    PMU_E_TRUNCATED = -7,     /* input ended inside an item */
    PMU_E_IO = -8,            /* reading or writing a file or link failed */
    PMU_E_TIMEOUT = -9,       /* the other end did not answer in time */
    PMU_E_PROTOCOL = -10,     /* the meter answered against the protocol */
    PMU_E_REFUSED = -11,      /* the meter refused (password, command) */
    PMU_E_UNSUPPORTED = -12,  /* the meter or link cannot do what was asked */
    PMU_E_NOT_FOUND = -13,    /* no such thing (meter, site, group, run, channel) */
    PMU_E_EXISTS = -14        /* it already exists (a name or membership is taken) */
};

#define PMU_NO_OFFSET ((size_t)-1)

struct pmu_error {
    enum pmu_status code;
    size_t offset;            /* byte offset in the input, or PMU_NO_OFFSET */
    char message[256];        /* "byte 12: expected ')' ..." */
};

/* Short stable name of a status ("syntax", "bcc", ...), for JSON and logs. */
const char *pmu_status_name(enum pmu_status status);

/* Records an error in err (which may be NULL) and returns code, so that callers can
 * write `return pmu_error_set(err, PMU_E_SYNTAX, off, "expected ...");`.
 * When offset is not PMU_NO_OFFSET the message starts with "byte N: ". */
enum pmu_status pmu_error_set(struct pmu_error *err, enum pmu_status code, size_t offset,
                              const char *fmt, ...) PMU_PRINTF(4, 5);

void pmu_error_clear(struct pmu_error *err);

/* Describes byte c for a message: 'x' for printable bytes, 0x01 style otherwise.
 * buf must hold at least 8 bytes; returns buf. */
const char *pmu_byte_repr(unsigned char c, char buf[8]);

#endif
