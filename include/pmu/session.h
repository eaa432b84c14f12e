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
 * profile for a time range, B0 at the end. NAK, bad check characters and time-outs
 * are retried as ../shared/PROTOCOL.md says, then reported with a clear message. */
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

struct pmu_read_request {
    bool readout;                   /* the data readout (readout mode) */
    const char *const *codes;       /* addresses to read with R1 (programming mode) */
    size_t n_codes;
    bool profile;                   /* R5 P.01 (programming mode) */
    bool has_from, has_to;          /* open range when absent */
    struct pmu_timestamp from, to;
    const char *password;           /* P1 password for programming mode */
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
    PMU_STAGE_PROFILE, PMU_STAGE_CLOSING, PMU_STAGE_HANGUP, PMU_STAGE_DONE
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
