/* Shared between the files of src/iec62056; not part of the public API. */
#ifndef PMU_IEC62056_INTERNAL_H
#define PMU_IEC62056_INTERNAL_H

#include "pmu/iec62056.h"

/* The parsers below report offsets as base + index into msg, so the stream parser
 * can name stream offsets while the public functions name message offsets. */
enum pmu_status pmu_iec_ident_parse_at(const uint8_t *msg, size_t len, size_t base,
                                       struct pmu_iec_ident *out, struct pmu_error *err);
enum pmu_status pmu_iec_signon_check_at(const uint8_t *msg, size_t len, size_t base,
                                        struct pmu_error *err);

/* Bytes allowed in addresses, identifications and values: printable ASCII. */
static inline int pmu_iec_is_printable(uint8_t c)
{
    return c >= 0x20 && c < 0x7F;
}

#endif
