/* The reader side of an Elster A1700 / A1140 / A1120 session: what follows the
 * identification (see docs/elster.md, "Session driver").
 *
 * The generic session (pmu/session.h) dials, signs on at 300 baud and reads the
 * identification; when its request carries a struct pmu_elster_plan it sends the mode-6
 * option select and hands each step after that to this driver: the password (P2 from
 * the P0 seed, or P1 on level-1 meters), the reads and writes of the plan, the
 * re-authentication before the model's password timeout, and the end (B0). The generic
 * session keeps the timing, repeats and the line; the driver says what to send next
 * and digests each answer. Pure code: no I/O, no clock (times come in as arguments).
 *
 * Results go into a struct pmu_readout like any meter's, so they are rendered and
 * stored the same way: registers as records (address = OBIS text, or an "elster.<id>"
 * code where no OBIS code exists), the load profile as "P.01" segments (a new segment
 * whenever the interval status or the period changes, or intervals are missing), and
 * events as a "P.98" event log. Writes are reported in struct pmu_elster_result. */
#ifndef PMU_ELSTER_SESSION_H
#define PMU_ELSTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/elster.h"
#include "pmu/error.h"
#include "pmu/readout.h"

/* What to read (bits of pmu_elster_plan.reads). */
enum {
    PMU_ELSTER_READ_SERIAL = 1u << 0,     /* 798 */
    PMU_ELSTER_READ_SCHEME = 1u << 1,     /* 795 */
    PMU_ELSTER_READ_FIRMWARE = 1u << 2,   /* 998 */
    PMU_ELSTER_READ_CLOCK = 1u << 3,      /* 861 and the offset against the host */
    PMU_ELSTER_READ_REGISTERS = 1u << 4,  /* 507 cumulative */
    PMU_ELSTER_READ_TOU = 1u << 5,        /* 667 sources + 508 */
    PMU_ELSTER_READ_MD = 1u << 6,         /* 510 maximum demand with times */
    PMU_ELSTER_READ_CMD = 1u << 7,        /* 509 cumulative maximum demand */
    PMU_ELSTER_READ_RATIOS = 1u << 8,     /* 614 VT, 616 CT */
    PMU_ELSTER_READ_STATUS = 1u << 9,     /* 724 */
    PMU_ELSTER_READ_EVENTS = 1u << 10,    /* 544 set 0 */
    PMU_ELSTER_READ_LP_CONFIG = 1u << 11, /* 777 channel mask, 878 period */
    PMU_ELSTER_READ_ALL = (1u << 12) - 1
};

/* One write: the data of one set of an identity, written in packets of 64 bytes from
 * packet pmu_elster_first_packet(length, set), then (verify) read back and compared.
 * The CLI's write options and the scheme compiler produce lists of these. */
#define PMU_ELSTER_WRITE_MAX 256
struct pmu_elster_write {
    unsigned id;
    unsigned set;                 /* historical set / TOU day type; 0 for plain items */
    const uint8_t *data;          /* len 0 for action identities (655, 934) */
    size_t len;
    bool clock_now;               /* 861: write the host's time when the write leaves
                                     (data is ignored) */
    bool verify;                  /* read the set before and after, compare */
    bool read_only;               /* only read the set (into the result's before):
                                     what the meter holds before programming */
};

struct pmu_elster_plan {
    const struct pmu_elster_model *models;  /* to choose from by the identification */
    size_t n_models;
    const char *password;         /* exactly 8 characters */
    bool clear_password;          /* send P1 (level-1 meters) instead of P2 */
    unsigned reads;               /* PMU_ELSTER_READ_* */
    unsigned billing_sets;        /* historical billing sets 0..n-1 (543); 0 none */
    unsigned lp_days;             /* load profile: last N days; PMU_ELSTER_LP_ALL_DAYS; 0 none */
    const struct pmu_elster_write *writes;
    size_t n_writes;
    unsigned reauth_margin_s;     /* re-authenticate this long before the model's
                                     password timeout; 0 = 30 s */
};

enum pmu_elster_verdict {
    PMU_ELSTER_WRITE_PENDING,     /* not reached (the session ended before) */
    PMU_ELSTER_WRITE_ACCEPTED,    /* ACK, nothing to compare (actions, verify off) */
    PMU_ELSTER_WRITE_VERIFIED,    /* read back equal to what was written */
    PMU_ELSTER_WRITE_MISMATCH,    /* read back different */
    PMU_ELSTER_WRITE_REFUSED      /* the meter answered (ERRn) or NAK */
};
const char *pmu_elster_verdict_name(enum pmu_elster_verdict v);

struct pmu_elster_write_result {
    unsigned id, set;
    enum pmu_elster_verdict verdict;
    bool has_before, has_after;
    uint8_t before[PMU_ELSTER_WRITE_MAX], written[PMU_ELSTER_WRITE_MAX], after[PMU_ELSTER_WRITE_MAX];
    size_t before_len, written_len, after_len;
    char message[160];            /* the meter's refusal, or where the read-back differs */
};

struct pmu_elster_result {
    bool has_model;
    struct pmu_elster_ident ident;
    const struct pmu_elster_model *model;
    char serial[33], scheme[33], firmware[33];
    bool has_clock;
    int64_t meter_time, host_time;    /* meter-time seconds when 861 was answered */
    size_t n_writes;
    struct pmu_elster_write_result *writes;
    size_t intervals, lp_events, lp_bytes;
    unsigned reauths;
    size_t n_missing;                 /* identities the meter answered ERR2 to */
    unsigned missing[32];
};

/* Driver state; the session owns it. Treat as opaque. */
struct pmu_elster_step;
struct pmu_elster_event_row {
    int64_t time;
    char code[32];
    char detail[48];
};
struct pmu_elster_driver {
    struct pmu_elster_plan plan;
    struct pmu_readout *out;          /* results go here */
    struct pmu_elster_result result;
    struct pmu_elster_step *steps;
    size_t n_steps, cap_steps, step;
    unsigned packet;                  /* packet index inside the current step */
    uint8_t *item;                    /* bytes of the item being read */
    size_t item_len, item_cap;
    uint8_t seed[PMU_ELSTER_SEED_LEN];
    bool logged_in, reauth_out, reauth_now, err5_retried;
    uint64_t login_at;                /* session ms of the last accepted password */
    int64_t host_offset_ms;           /* host meter-time ms = session ms + this */
    bool has_host_clock;
    uint8_t tou_sources[64], md_sources[16];
    size_t n_tou_sources, n_md_sources;
    struct pmu_elster_lp lp;
    unsigned lp_packets;
    bool lp_done;
    int64_t lp_last_end;              /* last interval put in the readout, or 0 */
    uint8_t lp_status;
    unsigned lp_period;
    size_t lp_channels;
    uint8_t lp_channel[PMU_ELSTER_MAX_CHANNELS];
    struct pmu_elster_event_row *events;  /* "P.98" rows, put at the end */
    size_t n_events, cap_events;
};

/* out receives the values; host_offset_ms maps session times to the host's clock in
 * meter-time milliseconds (has_host_clock false: unknown, no clock offset, and
 * clock_now writes are refused). The plan's strings and arrays must outlive the driver. */
enum pmu_status pmu_elster_driver_init(struct pmu_elster_driver *d, const struct pmu_elster_plan *plan,
                                       struct pmu_readout *out, bool has_host_clock,
                                       int64_t host_offset_ms, struct pmu_error *err);
void pmu_elster_driver_free(struct pmu_elster_driver *d);

/* The identification line (as received): chooses the model and plans the steps.
 * PMU_E_UNSUPPORTED when no model fits. */
enum pmu_status pmu_elster_driver_ident(struct pmu_elster_driver *d, const uint8_t *ident, size_t len,
                                        struct pmu_error *err);

/* The P0 payload "(seed)": fills buf with the P2 (or P1) frame; *secret_off/len mark
 * the password part. */
enum pmu_status pmu_elster_driver_seed(struct pmu_elster_driver *d, const uint8_t *data, size_t len,
                                       uint8_t *buf, size_t size, size_t *out_len, size_t *secret_off,
                                       size_t *secret_len, struct pmu_error *err);

/* The next message at session time now: PMU_OK with a frame in buf, PMU_DONE when all
 * is done (the session sends B0), or an error. */
enum pmu_status pmu_elster_driver_next(struct pmu_elster_driver *d, uint64_t now, uint8_t *buf,
                                       size_t size, size_t *out_len, size_t *secret_off,
                                       size_t *secret_len, struct pmu_error *err);

/* The answer to the last message: ack true for an ACK, else the STX payload.
 * PMU_OK: go on with pmu_elster_driver_next; an error ends the session with err. */
enum pmu_status pmu_elster_driver_answer(struct pmu_elster_driver *d, uint64_t now, bool ack,
                                         const uint8_t *data, size_t len, struct pmu_error *err);

/* The host clock became known (the engine sets it when the session starts). */
void pmu_elster_driver_host_clock(struct pmu_elster_driver *d, int64_t host_offset_ms);
/* The current step belongs to the load profile (for progress displays). */
bool pmu_elster_driver_in_profile(const struct pmu_elster_driver *d);

/* Loads every models/<name>.json of dir (sorted by name). *models to free with
 * pmu_elster_models_free. I/O: not for pure code. */
enum pmu_status pmu_elster_models_load_dir(const char *dir, struct pmu_elster_model **models,
                                           size_t *n, struct pmu_error *err);
void pmu_elster_models_free(struct pmu_elster_model *models, size_t n);

/* OBIS C of load-profile channel 0..13 (import W 1, export W 2, Q1..Q4 5..8, VA 9,
 * CDR1..3 128..130, external 1..4 131..134). */
uint8_t pmu_elster_channel_obis_c(unsigned channel);

#endif
