/* Decoding a whole capture: frames, identification, records and load profiles, with
 * every problem found. This is what `pmu parse` prints; the API will serve the same.
 * Pure code over memory buffers. */
#ifndef PMU_DECODE_H
#define PMU_DECODE_H

#include <stdbool.h>

#include "pmu/capture.h"
#include "pmu/iec62056.h"
#include "pmu/readout.h"

struct pmu_decode_options {
    enum pmu_checksum checksum;
    bool strip_parity;
    bool accept_bad_bcc;       /* decode the data of frames whose BCC is wrong */
};

struct pmu_decoded_frame {
    struct pmu_iec_frame frame;     /* raw and data point into memory the result owns */
    enum pmu_direction dir;         /* from the capture segment */
    const char *label;              /* segment label, "" when none */
    bool has_ident;
    struct pmu_iec_ident ident;     /* for PMU_IEC_IDENT frames */
    bool secret;                    /* P1/P2 password: never show its data */
};

struct pmu_decoded {
    size_t n_frames, cap_frames;
    struct pmu_decoded_frame *frames;
    struct pmu_readout readout;     /* records, profiles and data-set problems */
    size_t n_errors, cap_errors;
    struct pmu_error *errors;       /* framing problems (bad BCC, syntax, truncation) */
    size_t bad_bcc;                 /* frames whose check character did not match */
    const struct pmu_iec_ident *ident; /* the first identification, or NULL */
    struct pmu_arena *arena;
};

/* Decodes every segment of a capture (each segment is parsed to its end on its own,
 * so a message never runs from one side of a dialogue into the other). Returns PMU_OK
 * when the input is clean, PMU_E_BCC when only check characters were bad, the code of
 * the first other problem otherwise (details in errors and readout.errors), or
 * PMU_E_NOMEM. *out is always initialised and must be freed. */
enum pmu_status pmu_decode_capture(const struct pmu_capture *cap,
                                   const struct pmu_decode_options *opt,
                                   struct pmu_decoded *out);

void pmu_decoded_free(struct pmu_decoded *d);

#endif
