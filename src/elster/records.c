/* Multi-field records: event counters, the historical events set (544), the
 * historical billing set (543), the load-profile channel word (777) and the
 * load-profile selection (551). Offsets are PROTOCOL.md section 3 "Detailed layouts". */
#include "internal.h"

#include <string.h>

/* ---- Counters (680 / 693 / 694 / 695) ------------------------------------------- */

enum pmu_status pmu_elster_counter_decode(const uint8_t *p, size_t len,
                                          struct pmu_elster_counter *out, struct pmu_error *err)
{
    if (len != 14 && len != 17)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected a 14-byte counter (17 with phases), got %zu bytes", len);
    memset(out, 0, sizeof *out);
    out->count = el_u16_le(p);
    for (int i = 0; i < 3; i++)
        out->times[i] = el_u32_le(p + 2 + 4 * i);
    out->has_phases = len == 17;
    if (out->has_phases)
        memcpy(out->phases, p + 14, 3);
    return PMU_OK;
}

enum pmu_status pmu_elster_counter_encode(const struct pmu_elster_counter *c, uint8_t *p,
                                          size_t len, struct pmu_error *err)
{
    if (len != (c->has_phases ? 17u : 14u))
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected %u bytes for this counter, got %zu",
                             c->has_phases ? 17u : 14u, len);
    if (c->count > 0xFFFF)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected a count of at most 65535, got %u", c->count);
    el_put_u16_le(p, c->count);
    for (int i = 0; i < 3; i++)
        el_put_time(p + 2 + 4 * i, c->times[i]);
    if (c->has_phases)
        memcpy(p + 14, c->phases, 3);
    return PMU_OK;
}

/* ---- Historical events (544) --------------------------------------------------------- */

static void get_times(const uint8_t *p, int64_t t[3])
{
    for (int i = 0; i < 3; i++)
        t[i] = el_u32_le(p + 4 * i);
}

static void put_times(uint8_t *p, const int64_t t[3])
{
    for (int i = 0; i < 3; i++)
        el_put_time(p + 4 * i, t[i]);
}

enum pmu_status pmu_elster_events_decode(const uint8_t *p, size_t len,
                                         struct pmu_elster_events *out, struct pmu_error *err)
{
    if (len != PMU_ELSTER_EVENTS_LEN)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected a 66-byte events set, got %zu bytes", len);
    memset(out, 0, sizeof *out);
    out->phase_fail_count = el_u16_le(p);
    get_times(p + 2, out->phase_fail_times);
    memcpy(out->phase_fail_phases, p + 14, 3);
    out->power_fail_count = el_u16_le(p + 17);
    get_times(p + 19, out->power_fail_times);
    out->reverse_run_count = el_u16_le(p + 31);
    get_times(p + 33, out->reverse_run_times);
    out->over_current_count = el_u16_le(p + 45);
    get_times(p + 47, out->over_current_times);
    memcpy(out->over_current_phases, p + 59, 3);
    out->battery_seconds_left = el_u32_le(p + 62);
    return PMU_OK;
}

void pmu_elster_events_encode(const struct pmu_elster_events *e, uint8_t p[66])
{
    el_put_u16_le(p, e->phase_fail_count & 0xFFFF);
    put_times(p + 2, e->phase_fail_times);
    memcpy(p + 14, e->phase_fail_phases, 3);
    el_put_u16_le(p + 17, e->power_fail_count & 0xFFFF);
    put_times(p + 19, e->power_fail_times);
    el_put_u16_le(p + 31, e->reverse_run_count & 0xFFFF);
    put_times(p + 33, e->reverse_run_times);
    el_put_u16_le(p + 45, e->over_current_count & 0xFFFF);
    put_times(p + 47, e->over_current_times);
    memcpy(p + 59, e->over_current_phases, 3);
    el_put_u32_le(p + 62, e->battery_seconds_left);
}

/* ---- Load-profile channels (777) and selection (551) ------------------------------- */

const char *pmu_elster_channel_name(unsigned channel)
{
    static const char *const names[PMU_ELSTER_MAX_CHANNELS] = {
        "import W", "export W", "Q1", "Q2", "Q3", "Q4", "VA", "CDR1", "CDR2", "CDR3",
        "external 1", "external 2", "external 3", "external 4"};
    return channel < PMU_ELSTER_MAX_CHANNELS ? names[channel] : NULL;
}

size_t pmu_elster_mask_channels(uint16_t cfg, uint8_t channels[PMU_ELSTER_MAX_CHANNELS])
{
    unsigned bits = ((cfg & 0x7F00u) >> 1) | (cfg & 0x7Fu);
    size_t n = 0;
    for (unsigned ch = 0; ch < PMU_ELSTER_MAX_CHANNELS; ch++)
        if ((bits >> ch & 1u) != 0)
            channels[n++] = (uint8_t)ch;
    return n;
}

enum pmu_status pmu_elster_mask_from_channels(const uint8_t *channels, size_t n, uint16_t *cfg,
                                              struct pmu_error *err)
{
    unsigned word = 0;
    for (size_t i = 0; i < n; i++) {
        if (channels[i] >= PMU_ELSTER_MAX_CHANNELS)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                                 "expected load-profile channels 0..13, got %u", channels[i]);
        /* Channels 0..6 sit in bits 0..6, channels 7..13 in bits 8..14. */
        word |= channels[i] < 7 ? 1u << channels[i] : 1u << (channels[i] + 1);
    }
    *cfg = (uint16_t)word;
    return PMU_OK;
}

uint16_t pmu_elster_u16_be(const uint8_t p[2])
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

void pmu_elster_lp_select_encode(unsigned days, uint8_t p[2])
{
    el_put_u16_le(p, days > 0xFFFF ? 0xFFFF : days);
}

unsigned pmu_elster_lp_select_decode(const uint8_t p[2])
{
    return el_u16_le(p);
}

void pmu_elster_lp_size_decode(const uint8_t p[4], struct pmu_elster_lp_size *out)
{
    out->blocks64 = pmu_elster_u16_be(p);
    out->blocks256 = pmu_elster_u16_be(p + 2);
}

void pmu_elster_lp_size_encode(const struct pmu_elster_lp_size *s, uint8_t p[4])
{
    unsigned a = s->blocks64 > 0xFFFF ? 0xFFFF : s->blocks64;
    unsigned b = s->blocks256 > 0xFFFF ? 0xFFFF : s->blocks256;
    p[0] = (uint8_t)(a >> 8);
    p[1] = (uint8_t)(a & 0xFF);
    p[2] = (uint8_t)(b >> 8);
    p[3] = (uint8_t)(b & 0xFF);
}

unsigned pmu_elster_lp_packets(const struct pmu_elster_lp_size *s)
{
    return s->blocks64 + 1;
}

/* ---- Historical billing set (543) --------------------------------------------------- */

size_t pmu_elster_billing_length(unsigned n_tou, bool cdr5)
{
    if (n_tou != 16 && n_tou != 32)
        return 0;
    return 80 + 8 * (size_t)n_tou + 32 + 72 + 288 + (cdr5 ? 120u : 0u) + 15;
}

/* Decodes n energy registers; on error the offset is made absolute. */
static enum pmu_status energies(const uint8_t *base, size_t at, size_t n,
                                char (*out)[PMU_ELSTER_NUMBER_MAX], struct pmu_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t off = at + 8 * i;
        if (pmu_elster_energy_decode(base + off, out[i], NULL) != PMU_OK)
            return pmu_error_set(err, PMU_E_SYNTAX, off,
                                 "expected an 8-byte BCD energy register");
    }
    return PMU_OK;
}

enum pmu_status pmu_elster_billing_decode(const uint8_t *p, size_t len, unsigned n_tou,
                                          bool cdr5, struct pmu_elster_billing *out,
                                          struct pmu_error *err)
{
    size_t want = pmu_elster_billing_length(n_tou, cdr5);
    if (want == 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected 16 or 32 TOU registers, got %u", n_tou);
    if (len != want)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected a %zu-byte billing set for %u TOU registers%s, got %zu",
                             want, n_tou, cdr5 ? " and 5 CDRs" : "", len);
    memset(out, 0, sizeof *out);
    out->n_tou = n_tou;
    out->cdr5 = cdr5;
    size_t at = 0;
    enum pmu_status rc = energies(p, at, 10, out->cumulative, err);
    at += 80;
    if (rc == PMU_OK)
        rc = energies(p, at, n_tou, out->tou, err);
    at += 8 * (size_t)n_tou;
    if (rc == PMU_OK)
        rc = energies(p, at, 4, out->external, err);
    at += 32;
    for (size_t i = 0; rc == PMU_OK && i < 8; i++, at += 9)
        if (pmu_elster_cmd_decode(p + at, &out->cmd[i], NULL) != PMU_OK)
            rc = pmu_error_set(err, PMU_E_SYNTAX, at, "expected a 9-byte cumulative MD record");
    for (size_t i = 0; rc == PMU_OK && i < 24; i++, at += 12)
        if (pmu_elster_md_decode(p + at, &out->md[i], NULL) != PMU_OK)
            rc = pmu_error_set(err, PMU_E_SYNTAX, at, "expected a 12-byte MD record");
    if (rc != PMU_OK)
        return rc;
    if (cdr5) {
        memcpy(out->coincident, p + at, 120);
        at += 120;
    }
    out->billing_count = el_u16_le(p + at);
    out->period_start = el_u32_le(p + at + 2);
    out->period_end = el_u32_le(p + at + 6);
    out->trigger = p[at + 10];
    out->reset_time = el_u32_le(p + at + 11);
    return PMU_OK;
}

enum pmu_status pmu_elster_billing_encode(const struct pmu_elster_billing *b, uint8_t *p,
                                          size_t size, struct pmu_error *err)
{
    size_t want = pmu_elster_billing_length(b->n_tou, b->cdr5);
    if (want == 0 || size < want)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected 16 or 32 TOU registers and %zu bytes of room", want);
    size_t at = 0;
    enum pmu_status rc = PMU_OK;
    for (size_t i = 0; rc == PMU_OK && i < 10; i++, at += 8)
        rc = pmu_elster_energy_encode(b->cumulative[i], p + at, err);
    for (size_t i = 0; rc == PMU_OK && i < b->n_tou; i++, at += 8)
        rc = pmu_elster_energy_encode(b->tou[i], p + at, err);
    for (size_t i = 0; rc == PMU_OK && i < 4; i++, at += 8)
        rc = pmu_elster_energy_encode(b->external[i], p + at, err);
    for (size_t i = 0; rc == PMU_OK && i < 8; i++, at += 9)
        rc = pmu_elster_cmd_encode(&b->cmd[i], p + at, err);
    for (size_t i = 0; rc == PMU_OK && i < 24; i++, at += 12)
        rc = pmu_elster_md_encode(&b->md[i], p + at, err);
    if (rc != PMU_OK)
        return rc;
    if (b->cdr5) {
        memcpy(p + at, b->coincident, 120);
        at += 120;
    }
    if (b->billing_count > 0xFFFF)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected a billing count of at most 65535");
    el_put_u16_le(p + at, b->billing_count);
    el_put_time(p + at + 2, b->period_start);
    el_put_time(p + at + 6, b->period_end);
    p[at + 10] = b->trigger;
    el_put_time(p + at + 11, b->reset_time);
    return PMU_OK;
}
