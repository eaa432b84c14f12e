/* Comms paths: the string that says how to reach a meter ("serial:/dev/ttyUSB0?...",
 * "tcp:host:port?..."). Grammar and options: docs/comms-paths.md. Pure code. */
#ifndef PMU_PATH_H
#define PMU_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/error.h"
#include "pmu/iec62056.h"

/* PMU_LINK_POOL: "pool:NAME", any free line of a line pool (pmu/pool.h); the engine
 * picks the line per call, so a pool path always has a dialler. */
enum pmu_link_kind { PMU_LINK_SERIAL, PMU_LINK_TCP, PMU_LINK_POOL };

enum pmu_parity {
    PMU_PARITY_HW,    /* the port does 7E1 */
    PMU_PARITY_SOFT,  /* 8N1 line: openpmu adds even parity on send, strips bit 7 on receipt */
    PMU_PARITY_NONE   /* bytes pass as they are */
};

#define PMU_PATH_TARGET_MAX 256

/* A dialler in front of the meter: the path's second element, after '>'. */
enum pmu_dial_kind { PMU_DIAL_NONE, PMU_DIAL_MODEM, PMU_DIAL_PAD };
enum pmu_dial_mode { PMU_DIAL_TONE, PMU_DIAL_PULSE, PMU_DIAL_GSM };
enum pmu_hangup { PMU_HANGUP_ESCAPE, PMU_HANGUP_DTR };

struct pmu_dial {
    enum pmu_dial_kind kind;
    char number[33];                   /* phone number, or the PAD's NUA */
    char init[128];                    /* modem: commands separated by ';' */
    enum pmu_dial_mode mode;
    char bearer[16];                   /* GSM: AT+CBST value, "" = leave as is */
    enum pmu_hangup hangup;
    unsigned connect_timeout_ms;
    char nui[17];                      /* PAD: network user identity */
    bool reverse_charge;
    int cug;                           /* PAD: closed user group, -1 = none */
};

struct pmu_path {
    enum pmu_link_kind kind;
    char target[PMU_PATH_TARGET_MAX];  /* device (serial), host (tcp) or pool name (pool) */
    unsigned port;                     /* tcp */
    char address[PMU_IEC_ADDRESS_MAX + 1];
    unsigned baud;                     /* fixed rate, 0 = switch as the meter offers */
    unsigned max_baud;
    enum pmu_parity parity;
    bool echo;                         /* RS-485 two-wire: discard our own bytes */
    bool elster;                       /* protocol=elster: an Elster A1xxx meter (docs/elster.md) */
    unsigned reaction_ms;
    unsigned switch_delay_ms;
    unsigned timeout_ms;
    unsigned inter_char_ms;
    unsigned retries;
    enum pmu_checksum checksum;
    struct pmu_dial dial;
};

/* Parses text into *out with every option at its default unless given. */
enum pmu_status pmu_path_parse(const char *text, struct pmu_path *out, struct pmu_error *err);

/* Writes the canonical text of a path (only options that differ from the defaults). */
int pmu_path_format(const struct pmu_path *p, char *buf, size_t size);

#endif
