/* OBIS codes (IEC 62056-61) as IEC 62056-21 readouts write them.
 *
 * Meters write the full form "A-B:C.D.E*F" or, much more often, a short form such as
 * "1.8.0", "1.8.0*12" or old EDIS letters ("C.1.0", "F.F", "P.01"). The parser keeps
 * all six values filled in (missing groups get the defaults below) and remembers how
 * the code was written, so a short form can be given back as the meter wrote it.
 * Pure code: no I/O, no allocation, no global state. See docs/obis.md. */
#ifndef PMU_OBIS_H
#define PMU_OBIS_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"

/* Bits of pmu_obis.present and pmu_obis.letters, one per value group. */
#define PMU_OBIS_A 0x01u
#define PMU_OBIS_B 0x02u
#define PMU_OBIS_C 0x04u
#define PMU_OBIS_D 0x08u
#define PMU_OBIS_E 0x10u
#define PMU_OBIS_F 0x20u
#define PMU_OBIS_ALL 0x3Fu

/* Buffer size that holds any text the format functions produce, with its NUL
 * ("255-255:255.255.255*255"). */
#define PMU_OBIS_TEXT_MAX 24

struct pmu_obis {
    uint8_t a, b, c, d, e, f;
    unsigned present;   /* PMU_OBIS_* bits: groups that appeared in the text */
    unsigned letters;   /* PMU_OBIS_C / PMU_OBIS_D: group was an EDIS letter */
    char hist_sep;      /* '*' or '&' written before F, 0 when F was not written */
};

/* Parses len bytes of text (no NUL needed). Accepts A-B:C.D.E, A-B:C.D.E*F,
 * A-B:C.D.E.F, C.D, C.D.E, C.D.E*F and C.D.E&F, with letters C F L P for 96..99 in
 * groups C and D. On success every value is set: groups missing from the text get
 * pmu_obis_group()'s default. On error *out is untouched and err says where. */
enum pmu_status pmu_obis_parse(const char *text, size_t len, struct pmu_obis *out,
                               struct pmu_error *err);

/* Value of one group (a PMU_OBIS_* bit), or its default when it is not in present:
 * A = 0 for C 96..99 (abstract service, error, list and profile data), else 1;
 * B = 0; E = 0; F = 255 (current value, not a billing period). C and D have no
 * default and read as 0. */
uint8_t pmu_obis_group(const struct pmu_obis *o, unsigned group);

/* "A-B:C.D.E*F", all six groups in decimal, defaults filled in. Returns the length
 * written (NUL not counted), or PMU_E_TOO_LONG when buf is too small (buf then holds
 * "" if size > 0). */
int pmu_obis_format_full(const struct pmu_obis *o, char *buf, size_t size);

/* Readout style "C.D[.E][*F]" without A and B: C and D are written as letters when
 * the text used letters there; D is written with two digits after a letter P
 * ("P.01"); E appears when it was written or F is shown; F appears, as two digits
 * at least, after the separator the text used ('*' by default), when it is not 255.
 * Returns as pmu_obis_format_full(). */
int pmu_obis_format_short(const struct pmu_obis *o, char *buf, size_t size);

/* EDIS letter for 96..99 ('C', 'F', 'L', 'P'), or 0 for any other value. */
char pmu_obis_letter(uint8_t v);

/* Value 96..99 of an EDIS letter (upper case only), or -1. */
int pmu_obis_letter_value(int ch);

/* English name of a common billing code ("Active energy import (+A), tariff 1").
 * PMU_E_RANGE when openpmu knows no name for the code (buf then holds ""), or
 * PMU_E_TOO_LONG when buf is too small. PMU_OBIS_NAME_MAX bytes hold every name. */
#define PMU_OBIS_NAME_MAX 80
enum pmu_status pmu_obis_name(const struct pmu_obis *o, char *buf, size_t size);

#endif
