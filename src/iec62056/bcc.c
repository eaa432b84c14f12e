/* Block check character, software parity and the baud-rate characters. */
#include "pmu/iec62056.h"

#include <string.h>

const char *pmu_checksum_name(enum pmu_checksum c)
{
    return c == PMU_CHECKSUM_SUM7 ? "sum7" : "xor";
}

enum pmu_status pmu_checksum_from_name(const char *name, enum pmu_checksum *out)
{
    if (strcmp(name, "xor") == 0)
        *out = PMU_CHECKSUM_XOR;
    else if (strcmp(name, "sum7") == 0)
        *out = PMU_CHECKSUM_SUM7;
    else
        return PMU_E_INVALID;
    return PMU_OK;
}

uint8_t pmu_iec_bcc(enum pmu_checksum c, const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    if (c == PMU_CHECKSUM_SUM7) {
        for (size_t i = 0; i < n; i++)
            acc = (uint8_t)(acc + p[i]);
        return (uint8_t)(acc & 0x7F);
    }
    /* Written as a plain reduction so the compiler vectorises it: readouts are long. */
    for (size_t i = 0; i < n; i++)
        acc ^= p[i];
    return acc;
}

uint8_t pmu_iec_parity_add(uint8_t c)
{
    uint8_t low = (uint8_t)(c & 0x7F), ones = 0;
    for (uint8_t b = low; b != 0; b = (uint8_t)(b >> 1))
        ones ^= (uint8_t)(b & 1);
    return (uint8_t)(low | (ones << 7));
}

bool pmu_iec_parity_ok(uint8_t c)
{
    return pmu_iec_parity_add(c) == c;
}

const char *pmu_iec_mode_name(enum pmu_iec_mode m)
{
    switch (m) {
    case PMU_IEC_MODE_A: return "A";
    case PMU_IEC_MODE_B: return "B";
    case PMU_IEC_MODE_C: return "C";
    case PMU_IEC_MODE_E: return "E";
    }
    return "?";
}

static const unsigned baud_rates[] = {300, 600, 1200, 2400, 4800, 9600, 19200};

unsigned pmu_iec_baud_rate(char z)
{
    if (z >= '0' && z <= '6')
        return baud_rates[z - '0'];
    if (z >= 'A' && z <= 'F')
        return baud_rates[z - 'A' + 1];
    return 0;
}

char pmu_iec_baud_char(unsigned rate)
{
    for (size_t i = 0; i < sizeof baud_rates / sizeof baud_rates[0]; i++)
        if (baud_rates[i] == rate)
            return (char)('0' + i);
    return 0;
}
