/* Elster session driver: completed items into readout values (records, "P.01" profile
 * segments, the "P.98" event log). Addresses are the full OBIS text where field
 * systems give one (PROTOCOL.md 3), else "elster.<id>[.<part>]" (openpmu codes,
 * docs/elster.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../core/grow.h"
#include "internal.h"
#include "session_internal.h"

static enum pmu_status nomem(struct pmu_error *err)
{
    return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
}

/* A record's address: the full OBIS text when there is a code, else the openpmu code. */
static const char *address_of(const struct pmu_obis *obis, const char *code, char buf[PMU_OBIS_TEXT_MAX])
{
    if (obis == NULL)
        return code;
    struct pmu_obis o = *obis;
    o.present = 0x3F; /* every group: A-B:C.D.E*F */
    o.hist_sep = '*';
    pmu_obis_format_full(&o, buf, PMU_OBIS_TEXT_MAX);
    return buf;
}

/* One record: value (with unit) and, when time is given, the time as a second value. */
static enum pmu_status put(struct pmu_elster_driver *d, const char *address, const struct pmu_obis *obis,
                           const char *text, const char *unit, const int64_t *time, struct pmu_error *err)
{
    struct pmu_value v[2];
    memset(v, 0, sizeof v);
    v[0].text = text;
    v[0].unit = unit;
    size_t n = 1;
    char when[24];
    if (time != NULL) {
        pmu_timestamp_from_seconds(*time, &v[1].time);
        pmu_timestamp_format(&v[1].time, when, sizeof when);
        v[1].text = when;
        v[1].has_time = true;
        n = 2;
    }
    char addr[PMU_OBIS_TEXT_MAX];
    return pmu_readout_put_record(d->out, address_of(obis, address, addr), obis, v, n) == PMU_OK ? PMU_OK : nomem(err);
}

static enum pmu_status add_event(struct pmu_elster_driver *d, int64_t time, const char *code, const char *detail,
                                 struct pmu_error *err)
{
    if (!pmu_grow((void **)&d->events, &d->cap_events, d->n_events, sizeof *d->events))
        return nomem(err);
    struct pmu_elster_event_row *e = &d->events[d->n_events++];
    e->time = time;
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->detail, sizeof e->detail, "%s", detail);
    return PMU_OK;
}

static const struct pmu_elster_source *source_of(const struct pmu_elster_driver *d, int code)
{
    const struct pmu_elster_source *s = pmu_elster_model_source(d->result.model, code);
    return s != NULL && s->obis_c != 0 ? s : NULL;
}

static void ascii_text(const uint8_t *p, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size && p[i] != 0; i++)
        out[n++] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '?';
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static void hex_text(const uint8_t *p, size_t len, char *out, size_t size)
{
    if (pmu_elster_hex_encode(p, len, out, size) < 0)
        snprintf(out, size, "(%zu bytes)", len);
}

/* Energy registers (507, 516, 508, and their billing-set copies): element i has source
 * sources[i]; tou_base 0 for cumulative registers, else TOU register i is E = i + 1. */
static enum pmu_status put_energy(struct pmu_elster_driver *d, unsigned id, const uint8_t *p, size_t count,
                                  const int *sources, size_t n_sources, bool tou, int set, struct pmu_error *err)
{
    for (size_t i = 0; i < count; i++) {
        char value[PMU_ELSTER_NUMBER_MAX];
        enum pmu_status st = pmu_elster_energy_decode(p + 8 * i, value, err);
        if (st != PMU_OK) {
            char where[64];
            snprintf(where, sizeof where, "identity %03u register %zu: ", id, i);
            return el_wrap(err, st, where);
        }
        const struct pmu_elster_source *src = i < n_sources ? source_of(d, sources[i]) : NULL;
        char addr[40];
        snprintf(addr, sizeof addr, "elster.%03u.%zu%s", id, i, "");
        if (set >= 0)
            snprintf(addr, sizeof addr, "elster.%03u.%zu*%d", id, i, set);
        struct pmu_obis o;
        if (src != NULL)
            pmu_elster_obis_energy(src->obis_c, tou ? (unsigned)i + 1 : 0, set, &o);
        st = put(d, addr, src ? &o : NULL, value, src ? src->energy_unit : NULL, NULL, err);
        if (st != PMU_OK)
            return st;
    }
    return PMU_OK;
}

/* E of a CMD or MD register: its position among earlier registers of the same source. */
static unsigned same_source_before(const int *codes, size_t k)
{
    unsigned e = 0;
    for (size_t j = 0; j < k; j++)
        e += codes[j] == codes[k];
    return e;
}

static enum pmu_status put_cmd(struct pmu_elster_driver *d, const uint8_t *p, size_t count, int set,
                               struct pmu_error *err)
{
    int codes[16];
    for (size_t k = 0; k < count && k < 16; k++) {
        struct pmu_elster_cmd c;
        enum pmu_status st = pmu_elster_cmd_decode(p + 9 * k, &c, err);
        if (st != PMU_OK)
            return st;
        codes[k] = c.source;
        const struct pmu_elster_source *src = source_of(d, c.source);
        char addr[40];
        snprintf(addr, sizeof addr, set < 0 ? "elster.509.%zu" : "elster.509.%zu*%d", k, set);
        struct pmu_obis o;
        if (src != NULL)
            pmu_elster_obis_cmd(src->obis_c, same_source_before(codes, k), set, &o);
        if ((st = put(d, addr, src ? &o : NULL, c.value, src ? src->demand_unit : NULL, NULL, err)) != PMU_OK)
            return st;
    }
    return PMU_OK;
}

/* MD registers: 3 records each (highest first); the register's source from 668 when
 * read, else from its first record. */
static enum pmu_status put_md(struct pmu_elster_driver *d, const uint8_t *p, size_t records, int set,
                              struct pmu_error *err)
{
    int codes[16];
    for (size_t k = 0; k < records / 3 && k < 16; k++) {
        struct pmu_elster_md md[3];
        for (unsigned peak = 0; peak < 3; peak++) {
            enum pmu_status st = pmu_elster_md_decode(p + 12 * (3 * k + peak), &md[peak], err);
            if (st != PMU_OK)
                return st;
        }
        codes[k] = k < d->n_md_sources ? d->md_sources[k] : md[0].source;
        const struct pmu_elster_source *src = source_of(d, codes[k]);
        unsigned e = same_source_before(codes, k);
        for (unsigned peak = 0; peak < 3; peak++) {
            char addr[40];
            snprintf(addr, sizeof addr, set < 0 ? "elster.510.%zu.%u" : "elster.510.%zu.%u*%d", k, peak + 1, set);
            struct pmu_obis o;
            if (src != NULL)
                pmu_elster_obis_md(src->obis_c, peak + 1, e, set, &o);
            enum pmu_status st = put(d, addr, src ? &o : NULL, md[peak].value, src ? src->demand_unit : NULL,
                                     md[peak].has_time ? &md[peak].time : NULL, err);
            if (st != PMU_OK)
                return st;
        }
    }
    return PMU_OK;
}

static enum pmu_status put_billing(struct pmu_elster_driver *d, const struct pmu_elster_identity *it,
                                   unsigned set, const uint8_t *p, size_t len, struct pmu_error *err)
{
    const struct pmu_elster_model *m = d->result.model;
    struct pmu_elster_billing b;
    enum pmu_status st = pmu_elster_billing_decode(p, len, m->tou_registers, m->cdr_count == 5, &b, err);
    if (st != PMU_OK) {
        char where[24];
        snprintf(where, sizeof where, "billing set %u: ", set);
        return el_wrap(err, st, where);
    }
    const struct pmu_elster_identity *cum = pmu_elster_model_identity(m, 507);
    const struct pmu_elster_identity *ext = pmu_elster_model_identity(m, 516);
    int tou_src[64];
    for (size_t i = 0; i < m->tou_registers && i < 64; i++)
        tou_src[i] = i < d->n_tou_sources ? d->tou_sources[i] : -1;
    /* The set's registers are re-encoded from the decoded text only to reuse put_energy's
     * naming; the values themselves are the decoded text. */
    int s = (int)set;
    for (size_t i = 0; i < 10; i++) {
        const struct pmu_elster_source *src = cum && i < cum->n_sources ? source_of(d, cum->sources[i]) : NULL;
        char addr[40];
        snprintf(addr, sizeof addr, "elster.543.507.%zu*%d", i, s);
        struct pmu_obis o;
        if (src)
            pmu_elster_obis_energy(src->obis_c, 0, s, &o);
        if ((st = put(d, addr, src ? &o : NULL, b.cumulative[i], src ? src->energy_unit : NULL, NULL, err)) != PMU_OK)
            return st;
    }
    for (size_t i = 0; i < b.n_tou; i++) {
        const struct pmu_elster_source *src = source_of(d, tou_src[i]);
        char addr[40];
        snprintf(addr, sizeof addr, "elster.543.508.%zu*%d", i, s);
        struct pmu_obis o;
        if (src)
            pmu_elster_obis_energy(src->obis_c, (unsigned)i + 1, s, &o);
        if ((st = put(d, addr, src ? &o : NULL, b.tou[i], src ? src->energy_unit : NULL, NULL, err)) != PMU_OK)
            return st;
    }
    for (size_t i = 0; i < 4; i++) {
        const struct pmu_elster_source *src = ext && i < ext->n_sources ? source_of(d, ext->sources[i]) : NULL;
        char addr[40];
        snprintf(addr, sizeof addr, "elster.543.516.%zu*%d", i, s);
        struct pmu_obis o;
        if (src)
            pmu_elster_obis_energy(src->obis_c, 0, s, &o);
        if ((st = put(d, addr, src ? &o : NULL, b.external[i], src ? src->energy_unit : NULL, NULL, err)) != PMU_OK)
            return st;
    }
    size_t cmd_at = 80 + 8 * b.n_tou + 32, md_at = cmd_at + 72;
    if ((st = put_cmd(d, p + cmd_at, 8, s, err)) != PMU_OK || (st = put_md(d, p + md_at, 24, s, err)) != PMU_OK)
        return st;
    char count[16];
    snprintf(count, sizeof count, "%u", b.billing_count);
    struct pmu_obis o;
    pmu_obis_parse("1-1:0.1.0", 9, &o, NULL);
    o.f = (uint8_t)s;
    if ((st = put(d, "elster.543.count", &o, count, NULL, b.period_end ? &b.period_end : NULL, err)) != PMU_OK)
        return st;
    char trig[8];
    snprintf(trig, sizeof trig, "%02X", b.trigger);
    char addr[40];
    snprintf(addr, sizeof addr, "elster.543.trigger*%d", s);
    (void)it;
    return put(d, addr, NULL, trig, NULL, b.reset_time ? &b.reset_time : NULL, err);
}

static enum pmu_status put_events(struct pmu_elster_driver *d, const uint8_t *p, size_t len, struct pmu_error *err)
{
    struct pmu_elster_events e;
    enum pmu_status st = pmu_elster_events_decode(p, len, &e, err);
    if (st != PMU_OK)
        return st;
    char detail[48];
    for (int i = 0; i < 3 && st == PMU_OK; i++) {
        if (e.phase_fail_times[i]) {
            snprintf(detail, sizeof detail, "phase %u", e.phase_fail_phases[i]);
            st = add_event(d, e.phase_fail_times[i], "phase failure", detail, err);
        }
        if (st == PMU_OK && e.power_fail_times[i])
            st = add_event(d, e.power_fail_times[i], "power failure", "", err);
        if (st == PMU_OK && e.reverse_run_times[i])
            st = add_event(d, e.reverse_run_times[i], "reverse run", "", err);
        if (st == PMU_OK && e.over_current_times[i]) {
            snprintf(detail, sizeof detail, "phase %u", e.over_current_phases[i] + 1u);
            st = add_event(d, e.over_current_times[i], "over-current", detail, err);
        }
    }
    char text[24];
    snprintf(text, sizeof text, "%u", e.phase_fail_count);
    if (st == PMU_OK)
        st = put(d, "elster.544.phase_failures", NULL, text, NULL, NULL, err);
    snprintf(text, sizeof text, "%u", e.power_fail_count);
    if (st == PMU_OK)
        st = put(d, "elster.544.power_failures", NULL, text, NULL, NULL, err);
    snprintf(text, sizeof text, "%u", e.reverse_run_count);
    if (st == PMU_OK)
        st = put(d, "elster.544.reverse_runs", NULL, text, NULL, NULL, err);
    snprintf(text, sizeof text, "%u", e.over_current_count);
    if (st == PMU_OK)
        st = put(d, "elster.544.over_currents", NULL, text, NULL, NULL, err);
    snprintf(text, sizeof text, "%" PRIu32, e.battery_seconds_left);
    if (st == PMU_OK)
        st = put(d, "elster.544.battery_left", NULL, text, "s", NULL, err);
    return st;
}

static enum pmu_status put_clock(struct pmu_elster_driver *d, const uint8_t *p, uint64_t now, struct pmu_error *err)
{
    struct pmu_timestamp t;
    enum pmu_status st = pmu_elster_datetime_decode(p, &t, err);
    if (st != PMU_OK)
        return st;
    d->result.has_clock = true;
    d->result.meter_time = pmu_timestamp_to_seconds(&t);
    char text[24];
    pmu_timestamp_format(&t, text, sizeof text);
    struct pmu_obis o;
    pmu_obis_parse("0-0:1.0.0*255", 13, &o, NULL);
    if ((st = put(d, "elster.861", &o, text, NULL, NULL, err)) != PMU_OK || !d->has_host_clock)
        return st;
    /* the host's time when the answer arrived, to the second (rounded down) */
    d->result.host_time = ((int64_t)now + d->host_offset_ms) / 1000;
    char offset[24];
    snprintf(offset, sizeof offset, "%+" PRId64, d->result.meter_time - d->result.host_time);
    return put(d, "elster.861.offset", NULL, offset, "s", NULL, err);
}

enum pmu_status el_put_item(struct pmu_elster_driver *d, unsigned id, unsigned set, const uint8_t *p,
                            size_t len, uint64_t now, struct pmu_error *err)
{
    const struct pmu_elster_identity *it = pmu_elster_model_identity(d->result.model, id);
    char text[PMU_ELSTER_NUMBER_MAX * 2], addr[32];
    snprintf(addr, sizeof addr, "elster.%03u", id);
    switch (id) {
    case 667:
        d->n_tou_sources = len < sizeof d->tou_sources ? len : sizeof d->tou_sources;
        memcpy(d->tou_sources, p, d->n_tou_sources);
        return PMU_OK;
    case 668:
        d->n_md_sources = len < sizeof d->md_sources ? len : sizeof d->md_sources;
        memcpy(d->md_sources, p, d->n_md_sources);
        return PMU_OK;
    case 508: {
        int src[64];
        for (size_t i = 0; i < 64; i++)
            src[i] = i < d->n_tou_sources ? d->tou_sources[i] : -1;
        return put_energy(d, id, p, len / 8, src, len / 8 < 64 ? len / 8 : 64, true, -1, err);
    }
    case 509:
        return put_cmd(d, p, len / 9, -1, err);
    case 510:
        return put_md(d, p, len / 12, -1, err);
    case 861:
        return put_clock(d, p, now, err);
    default:
        break;
    }
    const struct pmu_obis *obis = it->has_obis ? &it->obis : NULL;
    switch (it->encoding) {
    case PMU_ELSTER_ENC_ASCII: {
        ascii_text(p, len, text, sizeof text);
        char *keep = id == 798 ? d->result.serial : id == 795 ? d->result.scheme : id == 998 ? d->result.firmware : NULL;
        if (keep != NULL)
            snprintf(keep, sizeof d->result.serial, "%.32s", text);
        return put(d, addr, obis, text, NULL, NULL, err);
    }
    case PMU_ELSTER_ENC_BCD_LE_ENERGY:
        return put_energy(d, id, p, len / 8, it->sources, it->n_sources, false, -1, err);
    case PMU_ELSTER_ENC_BILLING_SET:
        return put_billing(d, it, set, p, len, err);
    case PMU_ELSTER_ENC_EVENTS:
        return put_events(d, p, len, err);
    case PMU_ELSTER_ENC_RATIO_BCD: {
        struct pmu_elster_ratio r;
        enum pmu_status st = pmu_elster_ratio_decode(p, len, &r, err);
        if (st != PMU_OK)
            return st;
        snprintf(text, sizeof text, "%s/%s", r.primary, r.secondary);
        return put(d, addr, obis, text, NULL, NULL, err);
    }
    case PMU_ELSTER_ENC_STATUS: {
        uint32_t word = pmu_elster_status_decode(p);
        const char *names[32];
        size_t n = pmu_elster_status_names(word, names, 32);
        char all[512] = "";
        for (size_t i = 0, o = 0; i < n && o < sizeof all; i++)
            o += (size_t)snprintf(all + o, sizeof all - o, "%s%s", i ? ", " : "", names[i]);
        snprintf(text, sizeof text, "%08" PRIX32, word);
        struct pmu_value v[2] = {{.text = text}, {.text = all}};
        char a[PMU_OBIS_TEXT_MAX];
        enum pmu_status st = pmu_readout_put_record(d->out, address_of(obis, addr, a), obis, v, n ? 2 : 1);
        return st == PMU_OK ? PMU_OK : nomem(err);
    }
    case PMU_ELSTER_ENC_CHANNEL_MASK: {
        uint16_t word = pmu_elster_u16_be(p);
        uint8_t ch[PMU_ELSTER_MAX_CHANNELS];
        size_t n = pmu_elster_mask_channels(word, ch);
        char all[256] = "";
        for (size_t i = 0, o = 0; i < n && o < sizeof all; i++)
            o += (size_t)snprintf(all + o, sizeof all - o, "%s%s", i ? ", " : "", pmu_elster_channel_name(ch[i]));
        snprintf(text, sizeof text, "%04X", word);
        struct pmu_value v[2] = {{.text = text}, {.text = all}};
        char a[PMU_OBIS_TEXT_MAX];
        return pmu_readout_put_record(d->out, address_of(obis, addr, a), obis, v, 2) == PMU_OK ? PMU_OK : nomem(err);
    }
    case PMU_ELSTER_ENC_PERIOD: {
        struct pmu_elster_period per;
        enum pmu_status st = pmu_elster_period_decode(p, &per, err);
        if (st != PMU_OK)
            return st;
        snprintf(text, sizeof text, "%u", per.period);
        return put(d, addr, obis, text, "min", NULL, err);
    }
    default:
        break;
    }
    char hex[2 * 1024 + 1];
    hex_text(p, len, hex, sizeof hex);
    if (it->sets > 1)
        snprintf(addr, sizeof addr, "elster.%03u*%u", id, set);
    return put(d, addr, obis, hex, NULL, NULL, err);
}

/* ---- load profile ------------------------------------------------------------------- */

static enum pmu_status new_segment(struct pmu_elster_driver *d, const struct pmu_elster_lp_item *item,
                                   struct pmu_error *err)
{
    struct pmu_profile_channel ch[PMU_ELSTER_MAX_CHANNELS];
    char ids[PMU_ELSTER_MAX_CHANNELS][16];
    for (size_t i = 0; i < item->n_channels; i++) {
        uint8_t c = pmu_elster_channel_obis_c(item->channel[i]);
        snprintf(ids[i], sizeof ids[i], "%u.29.0", c);
        ch[i].id = ids[i];
        ch[i].unit = d->result.model->lp_unit;
        for (size_t k = 0; k < d->result.model->n_sources; k++)
            if (d->result.model->sources[k].obis_c == c)
                ch[i].unit = d->result.model->sources[k].energy_unit;
    }
    struct pmu_timestamp start;
    pmu_timestamp_from_seconds(item->time, &start);
    if (pmu_readout_put_profile(d->out, "P.01", &start, item->status, d->lp.period_min, ch, item->n_channels) != PMU_OK)
        return nomem(err);
    d->lp_status = item->status;
    d->lp_period = d->lp.period_min;
    d->lp_channels = item->n_channels;
    memcpy(d->lp_channel, item->channel, item->n_channels);
    return PMU_OK;
}

enum pmu_status el_put_lp_item(struct pmu_elster_driver *d, const struct pmu_elster_lp_item *item,
                               struct pmu_error *err)
{
    if (item->kind == PMU_ELSTER_LP_EVENT) {
        const char *name = pmu_elster_marker_name(item->marker);
        char detail[48] = "";
        if (item->marker == PMU_ELSTER_LP_NEW_DAY || item->marker == PMU_ELSTER_LP_CONFIG)
            snprintf(detail, sizeof detail, "channels %04X, %u min%s", item->channel_word, item->period_min,
                     item->dst ? ", DST" : "");
        else if (item->marker == PMU_ELSTER_LP_EXTERNAL)
            snprintf(detail, sizeof detail, "%zu bytes", item->external_len);
        d->result.lp_events++;
        if (item->marker == PMU_ELSTER_LP_NEW_DAY)
            return PMU_OK; /* one a day, no news: kept out of the event log */
        return add_event(d, item->time, name ? name : "marker", detail, err);
    }
    unsigned period = d->lp.period_min;
    bool same = d->lp_last_end != 0 && item->status == d->lp_status && period == d->lp_period &&
                item->n_channels == d->lp_channels && memcmp(item->channel, d->lp_channel, item->n_channels) == 0 &&
                item->time == d->lp_last_end + (int64_t)period * 60;
    enum pmu_status st;
    if (!same && (st = new_segment(d, item, err)) != PMU_OK)
        return st;
    struct pmu_value v[PMU_ELSTER_MAX_CHANNELS];
    memset(v, 0, sizeof v);
    for (size_t i = 0; i < item->n_channels; i++)
        v[i].text = item->value[i];
    struct pmu_timestamp t;
    pmu_timestamp_from_seconds(item->time, &t);
    if (pmu_readout_put_row(d->out, &t, v, item->n_channels) != PMU_OK)
        return nomem(err);
    d->lp_last_end = item->time;
    d->result.intervals++;
    return PMU_OK;
}

/* ---- writes ------------------------------------------------------------------------- */

void el_compare_write(struct pmu_elster_driver *d, struct pmu_elster_write_result *wr,
                      const struct pmu_elster_write *w)
{
    (void)d;
    if (w->id == 861 && wr->after_len == 7) { /* the clock has moved on since: allow 10 s */
        struct pmu_timestamp a, b;
        if (pmu_elster_datetime_decode(wr->written, &a, NULL) == PMU_OK &&
            pmu_elster_datetime_decode(wr->after, &b, NULL) == PMU_OK) {
            int64_t diff = pmu_timestamp_to_seconds(&b) - pmu_timestamp_to_seconds(&a);
            wr->verdict = diff >= 0 && diff <= 10 ? PMU_ELSTER_WRITE_VERIFIED : PMU_ELSTER_WRITE_MISMATCH;
            if (wr->verdict == PMU_ELSTER_WRITE_MISMATCH)
                snprintf(wr->message, sizeof wr->message, "the clock reads %+" PRId64 " s from the time written",
                         diff);
            return;
        }
    }
    if (wr->after_len == wr->written_len && memcmp(wr->after, wr->written, wr->written_len) == 0) {
        wr->verdict = PMU_ELSTER_WRITE_VERIFIED;
        return;
    }
    wr->verdict = PMU_ELSTER_WRITE_MISMATCH;
    size_t i = 0;
    while (i < wr->after_len && i < wr->written_len && wr->after[i] == wr->written[i])
        i++;
    snprintf(wr->message, sizeof wr->message, "read back differs from byte %zu on (wrote %02X, read %02X)", i,
             i < wr->written_len ? wr->written[i] : 0, i < wr->after_len ? wr->after[i] : 0);
}

enum pmu_status el_finish(struct pmu_elster_driver *d, struct pmu_error *err)
{
    if (d->n_events == 0)
        return PMU_OK;
    struct pmu_timestamp start;
    pmu_timestamp_from_seconds(d->events[0].time, &start);
    if (pmu_readout_put_profile(d->out, "P.98", &start, 0, 0, NULL, 0) != PMU_OK)
        return nomem(err);
    for (size_t i = 0; i < d->n_events; i++) {
        struct pmu_value v[2] = {{.text = d->events[i].code}, {.text = d->events[i].detail}};
        struct pmu_timestamp t;
        pmu_timestamp_from_seconds(d->events[i].time, &t);
        if (pmu_readout_put_row(d->out, &t, v, d->events[i].detail[0] ? 2 : 1) != PMU_OK)
            return nomem(err);
    }
    d->n_events = 0;
    return PMU_OK;
}
