/* The generic IEC 62056-21 meter: what it says in a readout, to R1 and to R5 P.01,
 * and the settings W1 writes (openpmu's address set, docs/schemes.md). The values come
 * from the consumption model; the formats are docs/simulator.md's. */
#include "pmu/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"

/* ---- Settings written with W1 ------------------------------------------------------ */

/* Settings that read as something before any write: a new meter's factory values. */
static const struct pmu_sim_setting factory[] = {
    {"0.4.2", "1"}, {"0.4.5", "1"}, {"0.4.3", "1"}, {"0.4.6", "1"}, {"0.8.0", "30"},
    {"128.8.1", "1"}, {"0.8.4", "30"}, {"0.2.1", ""}, {"128.0.1", ""}, {"128.7.0", "0"}};

/* Reads "N" or "N.M" of small decimal numbers (no signs, no spaces); how many it read. */
static int numbers(const char *a, unsigned v[4])
{
    int n = 0;
    while (n < 4) {
        if (*a < '0' || *a > '9')
            return -1;
        unsigned x = 0;
        for (int digits = 0; *a >= '0' && *a <= '9'; a++)
            if (++digits > 3)
                return -1;
            else
                x = x * 10 + (unsigned)(*a - '0');
        v[n++] = x;
        if (*a == '\0')
            return n;
        if (*a++ != '.')
            return -1;
    }
    return -1;
}

bool pmu_sim_generic_writable(const char *address)
{
    for (size_t i = 0; i < sizeof factory / sizeof factory[0]; i++)
        if (strcmp(address, factory[i].address) == 0)
            return true;
    unsigned v[4];
    int n = numbers(address, v);
    if (n == 3 && v[0] == 128) /* tables 128.T.0 (count) and 128.T.K (entries) */
        return (v[1] >= 1 && v[1] <= 6) || v[1] == 9;
    if (n == 4 && v[0] == 128 && v[1] == 7) /* day type K: 128.7.K.0, 128.7.K.J */
        return v[2] >= 1;
    return false;
}

static const struct pmu_sim_setting *find_setting(const struct pmu_sim_meter *m, const char *address)
{
    for (size_t i = 0; i < m->n_settings; i++)
        if (strcmp(m->settings[i].address, address) == 0)
            return &m->settings[i];
    return NULL;
}

/* R1 of a writable address: what was written, else the factory value, "0" for a
 * table's count, "" for its entries. */
static bool setting_value(const struct pmu_sim_meter *m, const char *address, const char **value)
{
    const struct pmu_sim_setting *s = find_setting(m, address);
    if (s != NULL) {
        *value = s->value;
        return true;
    }
    if (!pmu_sim_generic_writable(address))
        return false;
    for (size_t i = 0; i < sizeof factory / sizeof factory[0]; i++)
        if (strcmp(address, factory[i].address) == 0) {
            *value = factory[i].value;
            return true;
        }
    size_t n = strlen(address);
    *value = n >= 2 && strcmp(address + n - 2, ".0") == 0 ? "0" : "";
    return true;
}

/* W1 "ADDRESS(VALUE)": kept when the address is in the set and the value fits. */
static enum pmu_status write_setting(struct pmu_sim_meter *m, const uint8_t *data, size_t len)
{
    const uint8_t *open = memchr(data, '(', len);
    if (open == NULL || len < 2 || data[len - 1] != ')')
        return PMU_E_INVALID;
    size_t alen = (size_t)(open - data), vlen = len - alen - 2;
    if (alen == 0 || alen > PMU_SIM_SETTING_MAX || vlen > PMU_SIM_SETTING_MAX ||
        memchr(open + 1, '(', vlen) != NULL || memchr(open + 1, ')', vlen) != NULL)
        return PMU_E_INVALID;
    char address[PMU_SIM_SETTING_MAX + 1];
    memcpy(address, data, alen);
    address[alen] = '\0';
    if (!pmu_sim_generic_writable(address))
        return PMU_E_INVALID;
    struct pmu_sim_setting *s = (struct pmu_sim_setting *)find_setting(m, address);
    if (s == NULL) {
        if (!pmu_grow((void **)&m->settings, &m->cap_settings, m->n_settings, sizeof *m->settings))
            return PMU_E_NOMEM;
        s = &m->settings[m->n_settings++];
        memcpy(s->address, address, alen + 1);
    }
    memcpy(s->value, open + 1, vlen);
    s->value[vlen] = '\0';
    return PMU_OK;
}

/* ---- Readout, registers, load profile ------------------------------------------- */

/* Registers roll over at 1 000 000 kWh, like a six-digit display. */
#define ROLLOVER_WH 1000000000u

static unsigned kwh_int(uint64_t wh)
{
    return (unsigned)(wh % ROLLOVER_WH / 1000);
}

static unsigned kwh_frac(uint64_t wh)
{
    return (unsigned)(wh % 1000);
}

static enum pmu_status readout(const struct pmu_sim_meter *m, int64_t t, struct pmu_sim_buf *out)
{
    struct pmu_sim_registers r;
    struct pmu_timestamp now, md;
    pmu_sim_load_registers(&m->load, t, &r);
    pmu_timestamp_from_seconds(t, &now);
    pmu_timestamp_from_seconds(r.max_demand_at, &md);
    static const char *const energy[] = {"1.8.0", "1.8.1", "1.8.2", "2.8.0", "3.8.0", "4.8.0"};
    static const char *const units[] = {"kWh", "kWh", "kWh", "kWh", "kvarh", "kvarh"};
    uint64_t values[] = {r.import_wh, r.import_day_wh, r.import_night_wh, r.export_wh,
                         r.reactive_import_varh, r.reactive_export_varh};
    enum pmu_status st = pmu_sim_buf_printf(
        out, "F.F(00000000)\r\nC.1.0(%s)\r\n0.0.0(%s)\r\n0.9.1(%02d%02d%02d)\r\n"
             "0.9.2(%02d%02d%02d)\r\n",
        m->serial, m->address, now.hour, now.minute, now.second, now.year % 100, now.month,
        now.day);
    for (size_t i = 0; st == PMU_OK && i < sizeof values / sizeof values[0]; i++)
        st = pmu_sim_buf_printf(out, "%s(%06u.%03u*%s)\r\n", energy[i], kwh_int(values[i]),
                                kwh_frac(values[i]), units[i]);
    if (st == PMU_OK)
        st = pmu_sim_buf_printf(
            out, "1.6.0(%02u.%03u*kW)(%02d%02d%02d%02d%02d)\r\n32.7.0(%03u.%u*V)\r\n"
                 "31.7.0(%03u.%02u*A)\r\n0.1.0(%u)\r\n!\r\n",
            r.max_demand_w / 1000, r.max_demand_w % 1000, md.year % 100, md.month, md.day,
            md.hour, md.minute, r.voltage_dv / 10, r.voltage_dv % 10, r.current_ca / 100,
            r.current_ca % 100, r.billing_resets);
    return st;
}

/* R1 "ADDRESS()": the readout line with that address, without its CR LF. */
static enum pmu_status read_register(const struct pmu_sim_meter *m, int64_t t,
                                     const uint8_t *data, size_t len, struct pmu_sim_buf *out)
{
    const uint8_t *paren = memchr(data, '(', len);
    size_t alen = paren ? (size_t)(paren - data) : len;
    if (alen == 0 || (paren && (size_t)(paren - data) + 2 != len) || (paren && paren[1] != ')'))
        return PMU_E_INVALID;
    char address[PMU_SIM_SETTING_MAX + 1];
    const char *value;
    if (alen <= PMU_SIM_SETTING_MAX) {
        memcpy(address, data, alen);
        address[alen] = '\0';
        if (setting_value(m, address, &value))
            return pmu_sim_buf_printf(out, "%s(%s)", address, value);
    }
    struct pmu_sim_buf all = {0};
    enum pmu_status st = readout(m, t, &all);
    size_t pos = 0;
    while (st == PMU_OK && pos < all.len) {
        const uint8_t *eol = memchr(all.data + pos, '\r', all.len - pos);
        size_t line_len = eol ? (size_t)(eol - (all.data + pos)) : all.len - pos;
        const uint8_t *line = all.data + pos;
        if (line_len > alen && memcmp(line, data, alen) == 0 && line[alen] == '(') {
            st = pmu_sim_buf_append(out, line, line_len);
            pmu_sim_buf_free(&all);
            return st;
        }
        pos += line_len + 2;
    }
    pmu_sim_buf_free(&all);
    return st == PMU_OK ? PMU_E_INVALID : st;
}

/* One end of a P.01 range: empty, or a meter time of 10..13 digits. */
static bool range_end(const uint8_t *p, size_t n, bool *given, int64_t *t)
{
    struct pmu_timestamp ts;
    *given = n > 0;
    if (n == 0)
        return true;
    if (pmu_timestamp_parse((const char *)p, n, &ts, NULL) != PMU_OK)
        return false;
    *t = pmu_timestamp_to_seconds(&ts); /* the season digit is read and ignored */
    return true;
}

static int64_t floor_to(int64_t t, int64_t step)
{
    return (t >= 0 ? t / step : -((-t + step - 1) / step)) * step;
}

static enum pmu_status append_row(struct pmu_sim_buf *out, const uint32_t v[PMU_SIM_CHANNELS])
{
    return pmu_sim_buf_printf(out, "(%u.%03u)(%u.%03u)(%u.%03u)\r\n", v[0] / 1000, v[0] % 1000,
                              v[1] / 1000, v[1] % 1000, v[2] / 1000, v[2] % 1000);
}

/* R5 "P.01(from;to)": every interval whose end lies in [from, to], has passed, and is
 * still in the meter's memory of PMU_SIM_PROFILE_DAYS days. */
static enum pmu_status read_profile(const struct pmu_sim_meter *m, int64_t now,
                                    const uint8_t *data, size_t len, struct pmu_sim_buf *out)
{
    if (len < 7 || memcmp(data, "P.01(", 5) != 0 || data[len - 1] != ')')
        return PMU_E_INVALID;
    const uint8_t *inner = data + 5, *semi = memchr(inner, ';', len - 6);
    if (semi == NULL)
        return PMU_E_INVALID;
    bool has_from, has_to;
    int64_t from = 0, to = 0;
    if (!range_end(inner, (size_t)(semi - inner), &has_from, &from) ||
        !range_end(semi + 1, (size_t)(data + len - 1 - (semi + 1)), &has_to, &to))
        return PMU_E_INVALID;

    const int64_t step = PMU_SIM_INTERVAL_S;
    int64_t newest = floor_to(now, step);
    int64_t oldest = newest - (int64_t)(PMU_SIM_PROFILE_DAYS * PMU_SIM_SLOTS - 1) * step;
    if (oldest < PMU_SIM_ORIGIN + step)
        oldest = PMU_SIM_ORIGIN + step;
    int64_t lo = has_from ? floor_to(from + step - 1, step) : oldest; /* first end >= from */
    int64_t hi = has_to ? floor_to(to, step) : newest;
    if (lo < oldest)
        lo = oldest;
    if (hi > newest)
        hi = newest;
    if (lo > hi)
        return pmu_sim_buf_printf(out, "P.01(ERROR)");

    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(lo, &ts);
    enum pmu_status st = pmu_sim_buf_printf(
        out, "P.01(0%02d%02d%02d%02d%02d00)(00)(30)(3)(1.29.0)(kWh)(2.29.0)(kWh)(3.29.0)(kvarh)\r\n",
        ts.year % 100, ts.month, ts.day, ts.hour, ts.minute);
    /* A day at a time: the model hands out whole days. */
    uint32_t day[PMU_SIM_CHANNELS][PMU_SIM_SLOTS];
    int64_t have = INT64_MIN;
    for (int64_t end = lo; st == PMU_OK && end <= hi; end += step) {
        int64_t start = end - step, d = floor_to(start, 86400) / 86400;
        if (d != have) {
            pmu_sim_load_day(&m->load, d, day);
            have = d;
        }
        unsigned slot = (unsigned)((start - d * 86400) / step);
        uint32_t v[PMU_SIM_CHANNELS] = {day[0][slot], day[1][slot], day[2][slot]};
        st = append_row(out, v);
    }
    return st;
}

static enum pmu_status read_command(const struct pmu_sim_meter *m, int64_t t, const char *cmd,
                                    const uint8_t *data, size_t len, struct pmu_sim_buf *out)
{
    if (strcmp(cmd, "R1") == 0)
        return read_register(m, t, data, len, out);
    if (strcmp(cmd, "R5") == 0)
        return read_profile(m, t, data, len, out);
    return PMU_E_INVALID;
}

const struct pmu_sim_model pmu_sim_generic = {
    .name = "generic",
    .manufacturer = "OPM",
    .ident = "OPENPMU-SIM-1",
    .readout = readout,
    .read = read_command,
    .write = write_setting,
};
