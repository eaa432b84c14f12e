/* Helpers shared by the Elster codec files. Internal to libpmu. */
#ifndef PMU_ELSTER_INTERNAL_H
#define PMU_ELSTER_INTERNAL_H

#include "pmu/elster.h"

#include <stdint.h>

static inline uint16_t el_u16_le(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t el_u32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void el_put_u16_le(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)(v >> 8 & 0xFF);
}

static inline void el_put_u32_le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i) & 0xFF);
}

/* A meter time (uint32, 0 = no date) from/to meter-time seconds; out of range
 * seconds are written as 0. */
static inline void el_put_time(uint8_t *p, int64_t t)
{
    el_put_u32_le(p, t > 0 && t <= (int64_t)UINT32_MAX ? (uint32_t)t : 0);
}

/* Formats a decoded integer with the given scaler into out, which callers size to
 * PMU_ELSTER_NUMBER_MAX: any uint64 fits with up to 9 decimals. */
enum pmu_status el_format(uint64_t v, int scaler, char *out, struct pmu_error *err);

/* Moves an error found in a part of the input (a field, the inside of brackets) to
 * the whole input: offset + delta, message "what: <inner message>". Returns rc. */
enum pmu_status el_rebase(struct pmu_error *err, enum pmu_status rc, size_t delta,
                          const char *what);

#endif
