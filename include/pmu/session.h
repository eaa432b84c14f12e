/* A session with one generic IEC 62056-21 meter, as a non-blocking state machine.
 *
 * The session does no I/O and reads no clock: the engine (or a test) tells it what
 * happened — started, bytes arrived, the timer fired, the link closed — with the
 * current time in milliseconds, and the session answers in a struct pmu_session_out:
 * bytes to send now, a line-rate change, the time it next wants to be woken, or that
 * it is done. One engine runs thousands of these on one loop.
 *
 * What it does: sign-on (with the device address), identification, mode A/B/C as the
 * identification says, option select sent at the old rate then the rate switch, data
 * readout; programming mode with the P1 password, R1 reads by address, R5 P.01 load
 * profile for a time range, W1 writes with read-back (struct pmu_iec_write), B0 at the
 * end. NAK, bad check characters and time-outs are retried as ../shared/PROTOCOL.md
 * says, then reported with a clear message. */
#ifndef PMU_SESSION_H
#define PMU_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/dialer.h"
#include "pmu/error.h"
#include "pmu/iec62056.h"
#include "pmu/path.h"
#include "pmu/readout.h"

struct pmu_elster_plan;
struct pmu_elster_driver;

/* Values written and read back are at most this many characters (docs/schemes.md). */
#define PMU_IEC_VALUE_MAX 32

/* One W1 write in programming mode: SOH W1 STX ADDRESS(VALUE) ETX BCC. With verify the
 * session reads ADDRESS with R1 before, writes, reads it back and compares exactly. */
struct pmu_iec_write {
    const char *address;            /* e.g. "0.4.2", at most 32 characters */
    const char *value;              /* without brackets; "" for an action (128.0.1) */
    bool verify;                    /* R1 before and after; false: the ACK is all */
};

/* Same meanings as enum pmu_elster_verdict. */
enum pmu_iec_verdict {
    PMU_IEC_WRITE_PENDING,          /* not reached (the session ended or stopped before) */
    PMU_IEC_WRITE_ACCEPTED,         /* ACK, nothing compared (verify off) */
    PMU_IEC_WRITE_VERIFIED,         /* read back exactly what was written */
    PMU_IEC_WRITE_MISMATCH,         /* read back something else */
    PMU_IEC_WRITE_REFUSED           /* the meter answered an error (ERROR...) or kept
                                       answering NAK */
};
/* "pending", "accepted", "verified", "mismatch", "refused" */
const char *pmu_iec_verdict_name(enum pmu_iec_verdict v);

/* The result of writes[i] of the request is pmu_session.writes[i]. */
struct pmu_iec_write_result {
    char address[PMU_IEC_VALUE_MAX + 1];
    enum pmu_iec_verdict verdict;
    bool has_before, has_after;     /* the R1 answers arrived (and were not errors) */
    char before[PMU_IEC_VALUE_MAX + 1];   /* value inside the brackets, before the write */
    char written[PMU_IEC_VALUE_MAX + 1];
    char after[PMU_IEC_VALUE_MAX + 1];    /* read back after the write */
    char message[160];              /* the meter's refusal, or how the read-back differs */
};

struct pmu_read_request {
    bool readout;                   /* the data readout (readout mode) */
    const char *const *codes;       /* addresses to read with R1 (programming mode) */
    size_t n_codes;
    bool profile;                   /* R5 P.01 (programming mode) */
    bool has_from, has_to;          /* open range when absent */
    struct pmu_timestamp from, to;
    const char *password;           /* P1 password for programming mode */
    /* W1 writes in programming mode, in order, before the R1 codes and R5. A refused
     * or mismatched write stops the rest (they stay pending): the session sends B0 and
     * ends with status PMU_E_REFUSED or PMU_E_PROTOCOL and an error naming the write. */
    const struct pmu_iec_write *writes;
    size_t n_writes;
    /* Elster A1xxx meters: after the identification the session hands over to the
     * Elster driver with this plan (pmu/elster_session.h); NULL for IEC meters. */
    const struct pmu_elster_plan *elster;
};

/* One code the meter could not give (it answered (ERROR) to R1). */
struct pmu_session_miss {
    char code[33];
    char answer[33];
};

struct pmu_session_out {
    const uint8_t *send;            /* bytes to write now (valid until the next call) */
    size_t send_len;
    size_t secret_off, secret_len;  /* part of send that must never be shown (password) */
    unsigned baud;                  /* switch the line to this rate before sending; 0 = keep */
    int parity;                     /* switch the link to this enum pmu_parity first; -1 = keep */
    uint64_t wake_at;               /* call pmu_session_timer at this time; 0 = no timer
                                       (the engine's clock never reads 0) */
    bool done;                      /* finished: see status and result */
};

enum pmu_session_stage {
    PMU_STAGE_DIAL, PMU_STAGE_SIGNON, PMU_STAGE_READOUT, PMU_STAGE_PASSWORD, PMU_STAGE_REGISTERS,
    PMU_STAGE_PROFILE, PMU_STAGE_WRITES, PMU_STAGE_CLOSING, PMU_STAGE_HANGUP, PMU_STAGE_DONE
};

struct pmu_session {
    /* set up by pmu_session_init */
    struct pmu_path path;
    struct pmu_read_request req;
    struct pmu_iec_parser parser;
    /* progress */
    int state;
    enum pmu_session_stage stage;
    bool programming;               /* this sign-on is for programming mode */
    bool readout_done;
    size_t next_code;
    size_t next_write;              /* index into req.writes */
    int write_step;                 /* read before, write, read back */
    unsigned baud;                  /* the current line rate */
    unsigned attempts;              /* repeats of the current request */
    unsigned signons;               /* sign-on attempts */
    bool awaiting;                  /* a request is out and its answer not complete */
    bool receiving;                 /* bytes of the answer have arrived */
    bool block_continues;           /* last block ended in EOT */
    uint64_t now;
    uint64_t answer_due;            /* first byte expected by then */
    uint64_t last_rx;
    bool send_pending, switch_pending;
    uint64_t send_at;               /* when the pending message may leave */
    uint64_t switch_at;             /* when the pending rate change is due */
    unsigned switch_to;
    uint8_t pending[256];           /* message waiting for send_at */
    size_t pending_len, pending_secret_off, pending_secret_len;
    bool pending_expects_answer;
    uint8_t last_request[256];      /* for repeats */
    size_t last_request_len, last_secret_off, last_secret_len;
    uint8_t out_buf[256];
    /* a modem or PAD in front of the meter */
    struct pmu_dialer dialer;
    bool connected;                 /* the call is through */
    bool hangup_confirmed;          /* the modem or PAD confirmed the hang-up */
    bool keep_call;                 /* another meter follows on this call: end with B0,
                                       leave the call up (set by the engine) */
    bool b0_sent;
    char carrier_tail[16];          /* last bytes seen, to spot "NO CARRIER" split in two */
    size_t carrier_tail_len;
    /* results */
    bool has_ident;
    struct pmu_iec_ident ident;
    char operand[64];               /* P0 data */
    struct pmu_readout result;
    struct pmu_session_miss *misses;
    size_t n_misses;
    struct pmu_iec_write_result *writes; /* req.n_writes results, writes[i] for req.writes[i] */
    size_t n_writes;
    struct pmu_elster_driver *elster; /* the Elster driver when req.elster is set */
    size_t bytes_in, bytes_out;     /* counted for progress and benchmarks */
    unsigned exchanges;             /* request/answer pairs, for the timing bound */
    unsigned repeats;               /* NAKs sent, requests repeated, sign-ons restarted */
    enum pmu_status status;
    struct pmu_error error;
};

/* The request's strings must stay valid for the session's life. */
enum pmu_status pmu_session_init(struct pmu_session *s, const struct pmu_path *path,
                                 const struct pmu_read_request *req, struct pmu_error *err);
void pmu_session_free(struct pmu_session *s);
/* The host's clock, for meter clock offsets and clock writes: host meter-time
 * milliseconds (civil local time as pmu_timestamp_to_seconds counts it) = session
 * time + offset_ms. The engine sets it before starting a session. */
void pmu_session_set_host_clock(struct pmu_session *s, int64_t offset_ms);

void pmu_session_start(struct pmu_session *s, uint64_t now, struct pmu_session_out *out);
/* Starts on a call the session before it left up (keep_call): no dialling, straight to
 * the sign-on of this meter's address. */
void pmu_session_start_connected(struct pmu_session *s, uint64_t now, struct pmu_session_out *out);
void pmu_session_input(struct pmu_session *s, uint64_t now, const uint8_t *bytes, size_t len,
                       struct pmu_session_out *out);
void pmu_session_timer(struct pmu_session *s, uint64_t now, struct pmu_session_out *out);
/* The link failed or closed: the session ends with that error unless it was done. */
void pmu_session_link_error(struct pmu_session *s, uint64_t now, const struct pmu_error *e,
                            struct pmu_session_out *out);

const char *pmu_session_stage_name(enum pmu_session_stage stage);

/* Milliseconds n characters take on the wire at baud (10 bits each, rounded up). */
uint64_t pmu_wire_ms(size_t n, unsigned baud);

#endif
