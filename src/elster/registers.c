/* Single registers: energy, maximum demand, date/time, VT/CT ratios, instantaneous
 * values, status words, integration period, and the OBIS codes field systems give
 * them. Every decoder has its encoder beside it, for pmu-sim and round-trip tests. */
#include "internal.h"

#include <string.h>

/* ---- Energy, MD, CMD ------------------------------------------------------------- */

enum pmu_status pmu_elster_energy_decode(const uint8_t p[8], char out[PMU_ELSTER_NUMBER_MAX],
                                         struct pmu_error *err)
{
    uint64_t v;
    enum pmu_status rc = pmu_elster_bcd_le_decode(p, 8, &v, err);
    if (rc != PMU_OK)
        return rc;
    return el_format(v, PMU_ELSTER_ENERGY_SCALER, out, err);
}

enum pmu_status pmu_elster_energy_encode(const char *kwh, uint8_t p[8], struct pmu_error *err)
{
    uint64_t v;
    enum pmu_status rc = pmu_elster_parse_scaled(kwh, PMU_ELSTER_ENERGY_SCALER, &v, err);
    if (rc != PMU_OK)
        return rc;
    return pmu_elster_bcd_le_encode(v, p, 8, err);
}

enum pmu_status pmu_elster_md_decode(const uint8_t p[12], struct pmu_elster_md *out,
                                     struct pmu_error *err)
{
    uint64_t v;
    enum pmu_status rc = pmu_elster_bcd_le_decode(p + 5, 7, &v, err);
    if (rc != PMU_OK)
        return el_rebase(err, rc, 5, "MD value");
    uint32_t t = el_u32_le(p);
    out->has_time = t != 0;
    out->time = t;
    out->source = p[4];
    return el_format(v, PMU_ELSTER_ENERGY_SCALER, out->value, err);
}

enum pmu_status pmu_elster_md_encode(const struct pmu_elster_md *md, uint8_t p[12],
                                     struct pmu_error *err)
{
    uint64_t v;
    enum pmu_status rc = pmu_elster_parse_scaled(md->value, PMU_ELSTER_ENERGY_SCALER, &v, err);
    if (rc != PMU_OK)
        return rc;
    if (md->has_time && (md->time <= 0 || md->time > (int64_t)UINT32_MAX))
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected an MD time after 1970 that fits 32 bits");
    el_put_time(p, md->has_time ? md->time : 0);
    p[4] = md->source;
    return pmu_elster_bcd_le_encode(v, p + 5, 7, err);
}

enum pmu_status pmu_elster_cmd_decode(const uint8_t p[9], struct pmu_elster_cmd *out,
                                      struct pmu_error *err)
{
    uint64_t v;
    enum pmu_status rc = pmu_elster_bcd_le_decode(p, 8, &v, err);
    if (rc != PMU_OK)
        return rc;
    out->source = p[8];
    return el_format(v, PMU_ELSTER_ENERGY_SCALER, out->value, err);
}

enum pmu_status pmu_elster_cmd_encode(const struct pmu_elster_cmd *cmd, uint8_t p[9],
                                      struct pmu_error *err)
{
    uint64_t v;
    enum pmu_status rc = pmu_elster_parse_scaled(cmd->value, PMU_ELSTER_ENERGY_SCALER, &v, err);
    if (rc != PMU_OK)
        return rc;
    p[8] = cmd->source;
    return pmu_elster_bcd_le_encode(v, p, 8, err);
}

/* ---- Date and time (861) ------------------------------------------------------------ */

static int bcd_byte(uint8_t b)
{
    return (b >> 4) > 9 || (b & 0x0F) > 9 ? -1 : (b >> 4) * 10 + (b & 0x0F);
}

static uint8_t to_bcd(int v)
{
    return (uint8_t)((v / 10) << 4 | v % 10);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

enum pmu_status pmu_elster_datetime_decode(const uint8_t p[7], struct pmu_timestamp *out,
                                           struct pmu_error *err)
{
    static const char *const names[] = {"seconds", "minutes", "hours", "day", "month",
                                        "byte 5", "year"};
    static const int max[] = {59, 59, 23, 31, 12, 0, 99};
    int v[7];
    for (size_t i = 0; i < 7; i++) {
        v[i] = bcd_byte(p[i]);
        if (v[i] < 0 || v[i] > max[i] || ((i == 3 || i == 4) && v[i] == 0))
            return pmu_error_set(err, PMU_E_SYNTAX, i,
                                 "expected %s as BCD 00..%02d, got 0x%02X", names[i], max[i],
                                 p[i]);
    }
    struct pmu_timestamp t = {.season = -1, .year = 2000 + v[6], .month = v[4], .day = v[3],
                              .hour = v[2], .minute = v[1], .second = v[0]};
    if (t.day > month_days(t.year, t.month))
        return pmu_error_set(err, PMU_E_RANGE, 3, "day %d does not exist in %04d-%02d", t.day,
                             t.year, t.month);
    *out = t;
    return PMU_OK;
}

enum pmu_status pmu_elster_datetime_encode(const struct pmu_timestamp *t, uint8_t p[7],
                                           struct pmu_error *err)
{
    if (t->year < 2000 || t->year > 2099 || t->month < 1 || t->month > 12 || t->day < 1 ||
        t->day > month_days(t->year, t->month) || t->hour < 0 || t->hour > 23 ||
        t->minute < 0 || t->minute > 59 || t->second < 0 || t->second > 59)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected a valid date and time in 2000..2099");
    p[0] = to_bcd(t->second);
    p[1] = to_bcd(t->minute);
    p[2] = to_bcd(t->hour);
    p[3] = to_bcd(t->day);
    p[4] = to_bcd(t->month);
    p[5] = 0;
    p[6] = to_bcd(t->year - 2000);
    return PMU_OK;
}

/* ---- VT / CT ratios (614 / 616) --------------------------------------------------- */

enum pmu_status pmu_elster_ratio_decode(const uint8_t *p, size_t len, struct pmu_elster_ratio *out,
                                        struct pmu_error *err)
{
    if (len != 6 && len != 7)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected 7 bytes (VT ratio) or 6 bytes (CT ratio), got %zu", len);
    uint64_t primary, secondary;
    enum pmu_status rc = pmu_elster_bcd_le_decode(p, 4, &primary, err);
    if (rc != PMU_OK)
        return el_rebase(err, rc, 0, "ratio primary");
    rc = pmu_elster_bcd_le_decode(p + 4, len - 4, &secondary, err);
    if (rc != PMU_OK)
        return el_rebase(err, rc, 4, "ratio secondary");
    el_format(primary, -2, out->primary, NULL);
    el_format(secondary, -2, out->secondary, NULL);
    return PMU_OK;
}

enum pmu_status pmu_elster_ratio_encode(const struct pmu_elster_ratio *r, uint8_t *p, size_t len,
                                        struct pmu_error *err)
{
    if (len != 6 && len != 7)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected 7 bytes (VT ratio) or 6 bytes (CT ratio), got %zu", len);
    uint64_t primary, secondary;
    enum pmu_status rc = pmu_elster_parse_scaled(r->primary, -2, &primary, err);
    if (rc == PMU_OK)
        rc = pmu_elster_parse_scaled(r->secondary, -2, &secondary, err);
    if (rc == PMU_OK)
        rc = pmu_elster_bcd_le_encode(primary, p, 4, err);
    if (rc == PMU_OK)
        rc = pmu_elster_bcd_le_encode(secondary, p + 4, len - 4, err);
    return rc;
}

/* ---- Instantaneous values (605 / 606) ---------------------------------------------- */

const char *pmu_elster_quantity_unit(enum pmu_elster_quantity q)
{
    switch (q) {
    case PMU_ELSTER_Q_CURRENT: return "A";
    case PMU_ELSTER_Q_VOLTAGE: return "V";
    case PMU_ELSTER_Q_POWER_FACTOR: return "";
    case PMU_ELSTER_Q_ACTIVE: return "kW";
    case PMU_ELSTER_Q_REACTIVE: return "kvar";
    case PMU_ELSTER_Q_APPARENT: return "kVA";
    case PMU_ELSTER_Q_ROTATION: return "";
    case PMU_ELSTER_Q_FREQUENCY: return "Hz";
    case PMU_ELSTER_Q_ANGLE: return "deg";
    }
    return "";
}

int pmu_elster_instant_request(unsigned phase, enum pmu_elster_quantity q)
{
    static const int phase_bits[] = {0x00, 0x10, 0x20, 0x40};
    if (phase > 3 || q < PMU_ELSTER_Q_CURRENT || q > PMU_ELSTER_Q_ANGLE)
        return -1;
    return phase_bits[phase] | (int)q;
}

bool pmu_elster_instant_ready(uint8_t b)
{
    return (b & 0x80) != 0;
}

enum pmu_status pmu_elster_instant_decode(const uint8_t p[7], struct pmu_elster_instant *out,
                                          struct pmu_error *err)
{
    memset(out, 0, sizeof *out);
    if (p[0] == 0xFF)
        return PMU_OK;
    out->available = true;
    unsigned d = p[0] & 0x07;
    if (d == 7) {
        out->overflow = true;
        return PMU_OK;
    }
    /* 12 digits, most significant first: reverse into the LE reader. */
    uint8_t le[6];
    for (int i = 0; i < 6; i++)
        le[i] = p[6 - i];
    uint64_t v;
    if (pmu_elster_bcd_le_decode(le, 6, &v, NULL) != PMU_OK) {
        size_t at = 1;
        while (at < 7 && bcd_byte(p[at]) >= 0)
            at++;
        return pmu_error_set(err, PMU_E_SYNTAX, at, "expected two BCD digits, got 0x%02X",
                             p[at]);
    }
    size_t o = 0;
    if ((p[0] & 0x80) != 0 && v != 0)
        out->value[o++] = '-';
    el_format(v, (int)d - 4, out->value + o, NULL);
    return PMU_OK;
}

enum pmu_status pmu_elster_instant_encode(const struct pmu_elster_instant *v, uint8_t p[7],
                                          struct pmu_error *err)
{
    memset(p, 0, 7);
    if (!v->available) {
        p[0] = 0xFF;
        return PMU_OK;
    }
    if (v->overflow) {
        p[0] = 0x07;
        return PMU_OK;
    }
    const char *text = v->value;
    bool negative = text[0] == '-';
    if (negative)
        text++;
    const char *point = strchr(text, '.');
    size_t decimals = point != NULL ? strlen(point + 1) : 0;
    if (decimals > 4)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected at most 4 decimals in an instantaneous value, got \"%s\"",
                             v->value);
    uint64_t raw;
    enum pmu_status rc = pmu_elster_parse_scaled(text, -(int)decimals, &raw, err);
    if (rc != PMU_OK)
        return rc;
    uint8_t le[6];
    if ((rc = pmu_elster_bcd_le_encode(raw, le, 6, err)) != PMU_OK)
        return rc;
    for (int i = 0; i < 6; i++)
        p[6 - i] = le[i];
    p[0] = (uint8_t)((negative ? 0x80 : 0) | (4 - decimals));
    return PMU_OK;
}

/* ---- System status (724 / 691) ------------------------------------------------------ */

uint32_t pmu_elster_status_decode(const uint8_t p[4])
{
    return el_u32_le(p);
}

void pmu_elster_status_encode(uint32_t word, uint8_t p[4])
{
    el_put_u32_le(p, word);
}

const char *pmu_elster_status_bit_name(unsigned bit)
{
    static const char *const names[32] = {
        [0] = "transient reset", [1] = "time sync", [2] = "comms write",
        [8] = "phase A failure", [9] = "phase B failure", [10] = "phase C failure",
        [11] = "phase A over-current", [12] = "phase B over-current",
        [13] = "phase C over-current", [14] = "reverse run", [15] = "comms write session",
        [16] = "module A hot-swap", [17] = "module B hot-swap", [18] = "RTC failure",
        [19] = "RTC not incrementing", [20] = "ASIC failure",
        [22] = "battery failure (elapsed)", [23] = "battery failure at power-up",
        [24] = "billing reset", [25] = "last power-down incomplete", [26] = "power-down",
        [27] = "other device or battery failure (27)",
        [28] = "other device or battery failure (28)",
        [29] = "other device or battery failure (29)", [30] = "backup registers used",
        [31] = "backup registers corrupt"};
    return bit < 32 ? names[bit] : NULL;
}

size_t pmu_elster_status_names(uint32_t word, const char **names, size_t cap)
{
    size_t n = 0;
    for (unsigned bit = 0; bit < 32; bit++) {
        const char *name = pmu_elster_status_bit_name(bit);
        if ((word >> bit & 1u) != 0 && name != NULL) {
            if (n < cap)
                names[n] = name;
            n++;
        }
    }
    return n < cap ? n : cap;
}

/* ---- Integration period (878) ------------------------------------------------------- */

enum pmu_status pmu_elster_period_decode(const uint8_t p[3], struct pmu_elster_period *out,
                                         struct pmu_error *err)
{
    if (p[0] == 0)
        return pmu_error_set(err, PMU_E_RANGE, 0, "expected a non-zero integration period");
    out->period = p[0];
    out->sub_interval = p[1];
    out->sub_count = p[2];
    return PMU_OK;
}

enum pmu_status pmu_elster_period_encode(const struct pmu_elster_period *v, uint8_t p[3],
                                         struct pmu_error *err)
{
    if (v->period == 0 || v->period > 255 || v->sub_interval > 255 || v->sub_count > 255)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected period 1..255 and sub-interval values 0..255");
    p[0] = (uint8_t)v->period;
    p[1] = (uint8_t)v->sub_interval;
    p[2] = (uint8_t)v->sub_count;
    return PMU_OK;
}

/* ---- OBIS ----------------------------------------------------------------------------- */

static void obis(uint8_t b, uint8_t c, uint8_t d, unsigned e, int set, struct pmu_obis *out)
{
    memset(out, 0, sizeof *out);
    out->a = 1;
    out->b = b;
    out->c = c;
    out->d = d;
    out->e = (uint8_t)(e > 255 ? 255 : e);
    out->f = set < 0 || set > 254 ? 255 : (uint8_t)set;
    out->present = PMU_OBIS_ALL;
    out->hist_sep = '*';
}

void pmu_elster_obis_energy(uint8_t c, unsigned tou, int set, struct pmu_obis *out)
{
    obis(1, c, 8, tou, set, out);
}

void pmu_elster_obis_cmd(uint8_t c, unsigned e, int set, struct pmu_obis *out)
{
    obis(1, c, 2, e, set, out);
}

void pmu_elster_obis_md(uint8_t c, unsigned peak, unsigned e, int set, struct pmu_obis *out)
{
    obis((uint8_t)(peak > 255 ? 255 : peak), c, 6, e, set, out);
}
