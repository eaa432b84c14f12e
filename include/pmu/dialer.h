/* Diallers: what happens on the line before and after the meter session when a Hayes
 * modem or an X.28 PAD stands in front of the meter. Pure state machines, driven like
 * sessions: started, bytes arrived, timer fired, with the time in milliseconds; each
 * call leaves bytes to send in out/out_len and a time to be woken in wake_at.
 *
 * Modem: init commands (each answered OK), GSM checks (AT+CPIN?, AT+CREG?, AT+CSQ,
 * AT+CBST), ATDT/ATDP/ATD, CONNECT [speed]; hang-up by guarded "+++" and ATH0 (each
 * answered OK) or by dropping DTR. PAD: CALL with facilities, COM, CLR <cause>;
 * clearing by DLE and CLR, answered CLR CONF. Every failure has its own code and a
 * message in words. */
#ifndef PMU_DIALER_H
#define PMU_DIALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"
#include "pmu/path.h"

enum pmu_dialer_result {
    PMU_DIALER_WORKING,      /* call again on input or at wake_at */
    PMU_DIALER_CONNECTED,    /* the line is through to the meter */
    PMU_DIALER_HUNG_UP,      /* the call is cleared (verified, or by DTR) */
    PMU_DIALER_FAILED        /* see status and error */
};

struct pmu_dialer {
    const struct pmu_dial *dial;
    int state;
    size_t step;                    /* which init command, which GSM check */
    char line[128];                 /* the answer line being received */
    size_t line_len;
    char sent[160];                 /* the last command, to recognise its echo */
    uint8_t out[160];
    size_t out_len;
    uint64_t wake_at;
    uint64_t last_tx;               /* for the guard time around "+++" */
    int signal;                     /* AT+CSQ rssi 0..31, 99 unknown, -1 not asked */
    char connect[32];               /* the CONNECT line, e.g. "CONNECT 9600" */
    enum pmu_status status;
    struct pmu_error error;
    bool line_fault;                /* the failure is the modem's or its line's (no answer to AT,
                                       no dial tone, SIM), not the called number's */
};

void pmu_dialer_init(struct pmu_dialer *d, const struct pmu_dial *dial);
enum pmu_dialer_result pmu_dialer_start(struct pmu_dialer *d, uint64_t now);
/* Consumes bytes up to and including the line that connected; *used says how many,
 * so bytes after CONNECT / COM go to the meter session. */
enum pmu_dialer_result pmu_dialer_input(struct pmu_dialer *d, uint64_t now, const uint8_t *in,
                                        size_t len, size_t *used);
enum pmu_dialer_result pmu_dialer_timer(struct pmu_dialer *d, uint64_t now);
/* Starts clearing the call (after the meter session, or after a failure). */
enum pmu_dialer_result pmu_dialer_hangup(struct pmu_dialer *d, uint64_t now);

/* Words for an X.28 clearing cause ("OCC" -> "the number is busy"), or NULL. */
const char *pmu_dialer_clear_cause(const char *code);

#endif
