/* Comms paths: the string that says how to reach a meter ("serial:/dev/ttyUSB0?...",
 * "tcp:host:port?..."). Grammar and options: docs/comms-paths.md. Pure code. */
#ifndef PMU_PATH_H
#define PMU_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/error.h"
#include "pmu/iec62056.h"

enum pmu_link_kind { PMU_LINK_SERIAL, PMU_LINK_TCP };

enum pmu_parity {
    PMU_PARITY_HW,    /* the port does 7E1 */
    PMU_PARITY_SOFT,  /* 8N1 line: openpmu adds even parity on send, strips bit 7 on receipt */
    PMU_PARITY_NONE   /* bytes pass as they are */
};

#define PMU_PATH_TARGET_MAX 256

struct pmu_path {
    enum pmu_link_kind kind;
    char target[PMU_PATH_TARGET_MAX];  /* device (serial) or host (tcp) */
    unsigned port;                     /* tcp */
    char address[PMU_IEC_ADDRESS_MAX + 1];
    unsigned baud;                     /* fixed rate, 0 = switch as the meter offers */
    unsigned max_baud;
    enum pmu_parity parity;
    bool echo;                         /* RS-485 two-wire: discard our own bytes */
    unsigned reaction_ms;
    unsigned switch_delay_ms;
    unsigned timeout_ms;
    unsigned inter_char_ms;
    unsigned retries;
    enum pmu_checksum checksum;
};

/* Parses text into *out with every option at its default unless given. */
enum pmu_status pmu_path_parse(const char *text, struct pmu_path *out, struct pmu_error *err);

/* Writes the canonical text of a path (only options that differ from the defaults). */
int pmu_path_format(const struct pmu_path *p, char *buf, size_t size);

#endif
