/* W1 writes of the generic session: the write list, the per-write results and what
 * each answer means. Internal to src/session; session.c sends and repeats. */
#ifndef PMU_SESSION_WRITES_H
#define PMU_SESSION_WRITES_H

#include "pmu/iec62056.h"
#include "pmu/session.h"

/* pmu_session.write_step: where the current write is. */
enum { PMU_WRITE_BEFORE, PMU_WRITE_SEND, PMU_WRITE_AFTER };

/* What the session does after an answer during the writes. */
enum pmu_write_next {
    PMU_WRITE_IGNORE,         /* nothing to act on (keep waiting) */
    PMU_WRITE_ASK_AGAIN,      /* not the answer asked for: NAK, the meter repeats */
    PMU_WRITE_REPEAT,         /* the meter answered NAK: send the request again */
    PMU_WRITE_NEXT,           /* step done: the next step, write or request */
    PMU_WRITE_STOP_REFUSED,   /* the current write was refused: stop the writes */
    PMU_WRITE_STOP_MISMATCH   /* the read-back differs: stop the writes */
};

/* Checks req.writes and sets up one pending result per write. */
enum pmu_status pmu_session_writes_init(struct pmu_session *s, struct pmu_error *err);

/* Takes a good frame that answers the current step: fills in the result, moves
 * write_step / next_write on and says what to do next. */
enum pmu_write_next pmu_session_write_answer(struct pmu_session *s, const struct pmu_iec_frame *f);

#endif
