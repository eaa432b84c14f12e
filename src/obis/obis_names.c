/* English names for the common billing codes of IEC 62056-21 readouts.
 *
 * Electricity codes are named by composition: quantity (group C) + measure (D) +
 * tariff (E) + billing period (F), so a handful of small switches cover a few
 * thousand codes. A few service codes have fixed names. Anything else is unknown:
 * a wrong name on an invoice is worse than none, so nothing is guessed. */
#include "pmu/obis.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Codes whose meaning is not compositional, keyed on C.D.E (A must be 0 or 1). */
static const struct {
    uint8_t c, d, e;
    const char *name;
} fixed[] = {
    {0, 0, 0, "Device address"},
    {0, 1, 0, "Billing reset count"},
    {0, 4, 2, "CT ratio"},
    {0, 4, 3, "VT ratio"},
    {0, 9, 1, "Time"},
    {0, 9, 2, "Date"},
    {96, 1, 0, "Serial number"},
    {96, 1, 1, "Equipment identifier"},
    {96, 5, 0, "Status register"},
    {96, 50, 0, "System status"},
    {97, 97, 0, "Error register"},
    {99, 1, 0, "Load profile 1"},
    {99, 2, 0, "Load profile 2"},
    {99, 98, 0, "Event log"},
};

/* Electricity quantity of group C, as two phrases: plain ("active import (+A)") for
 * demands and instantaneous values, and reg ("active energy import (+A)") for the
 * energy register (D = 8). reg is "" for quantities that only have an instantaneous
 * value (voltage, current, power factor, frequency). */
struct quantity {
    char plain[40];
    char reg[48];
};

static bool quantity(uint8_t c, struct quantity *q)
{
    const char *kind = NULL;   /* "active", "reactive", "apparent" or none */
    char w[24];

    q->reg[0] = '\0';
    switch (c) {
    case 1: kind = "active"; snprintf(w, sizeof w, "import (+A)"); break;
    case 2: kind = "active"; snprintf(w, sizeof w, "export (-A)"); break;
    case 3: kind = "reactive"; snprintf(w, sizeof w, "import (+R)"); break;
    case 4: kind = "reactive"; snprintf(w, sizeof w, "export (-R)"); break;
    case 5: case 6: case 7: case 8: kind = "reactive"; snprintf(w, sizeof w, "Q%d", c - 4); break;
    case 9: kind = "apparent"; snprintf(w, sizeof w, "import"); break;
    case 10: kind = "apparent"; snprintf(w, sizeof w, "export"); break;
    case 21: case 41: case 61:
        kind = "active";
        snprintf(w, sizeof w, "import (+A) L%d", (c - 1) / 20);
        break;
    case 128: case 129: case 130: snprintf(w, sizeof w, "CDR %d", c - 127); break;
    case 131: case 132: case 133: case 134:
        snprintf(w, sizeof w, "external input %d", c - 130);
        break;
    /* Instrument quantities: an instantaneous value only, no register. */
    case 13: snprintf(q->plain, sizeof q->plain, "power factor"); return true;
    case 14: snprintf(q->plain, sizeof q->plain, "frequency"); return true;
    case 31: case 51: case 71:
        snprintf(q->plain, sizeof q->plain, "current L%d", (c - 11) / 20);
        return true;
    case 32: case 52: case 72:
        snprintf(q->plain, sizeof q->plain, "voltage L%d", (c - 12) / 20);
        return true;
    default: return false;
    }
    if (kind != NULL) {
        snprintf(q->plain, sizeof q->plain, "%s %s", kind, w);
        snprintf(q->reg, sizeof q->reg, "%s energy %s", kind, w);
    } else {
        snprintf(q->plain, sizeof q->plain, "%s", w);
        snprintf(q->reg, sizeof q->reg, "%s register", w);
    }
    return true;
}

/* Measure of group D, other than the energy register (D = 8). */
static const char *measure(uint8_t d)
{
    switch (d) {
    case 2: return "Cumulative maximum demand";
    case 4: return "Current average demand";
    case 5: return "Last average demand";
    case 6: return "Maximum demand";
    default: return NULL;
    }
}

/* Writes the name of the electricity code C.D.E to tmp; false when unknown. */
static bool electricity(uint8_t c, uint8_t d, uint8_t e, char *tmp, size_t size)
{
    struct quantity q;

    if (!quantity(c, &q))
        return false;
    /* E of an instantaneous value is not a tariff (it selects harmonics etc.). */
    if (d == 7) {
        if (e != 0)
            return false;
        snprintf(tmp, size, "Instantaneous value, %s", q.plain);
        return true;
    }
    /* OBIS tariffs are 1..63; only energy quantities have registers and demands. */
    if (q.reg[0] == '\0' || e > 63)
        return false;
    if (d == 8) {
        snprintf(tmp, size, "%s", q.reg);
        if (tmp[0] >= 'a' && tmp[0] <= 'z')   /* a name starts a sentence */
            tmp[0] = (char)(tmp[0] - 'a' + 'A');
    } else if (measure(d) != NULL) {
        snprintf(tmp, size, "%s, %s", measure(d), q.plain);
    } else {
        return false;
    }
    size_t n = strlen(tmp);
    if (e == 0)
        snprintf(tmp + n, size - n, ", total");
    else
        snprintf(tmp + n, size - n, ", tariff %u", e);
    return true;
}

enum pmu_status pmu_obis_name(const struct pmu_obis *o, char *buf, size_t size)
{
    char tmp[128];
    uint8_t a = pmu_obis_group(o, PMU_OBIS_A);
    uint8_t e = pmu_obis_group(o, PMU_OBIS_E);
    uint8_t f = pmu_obis_group(o, PMU_OBIS_F);
    bool known = false;
    size_t n;

    if (buf != NULL && size > 0)
        buf[0] = '\0';
    /* F: 255 is the current value, 0..99 a billing period; the rest are not used
     * by readouts. */
    if (f > 99 && f != 255)
        return PMU_E_RANGE;
    if (a == 0 || a == 1) {
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && !known; i++) {
            if (fixed[i].c == o->c && fixed[i].d == o->d && fixed[i].e == e) {
                snprintf(tmp, sizeof tmp, "%s", fixed[i].name);
                known = true;
            }
        }
    }
    /* C values of electricity quantities mean something else under other media. */
    if (!known && a == 1)
        known = electricity(o->c, o->d, e, tmp, sizeof tmp);
    if (!known)
        return PMU_E_RANGE;
    n = strlen(tmp);
    if (f != 255)
        snprintf(tmp + n, sizeof tmp - n, ", billing period %u", f);
    n = strlen(tmp);
    if (buf == NULL || n >= size)
        return PMU_E_TOO_LONG;
    memcpy(buf, tmp, n + 1);
    return PMU_OK;
}
