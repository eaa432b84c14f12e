/* The load-profile stream of identity 550: an incremental decoder (bytes arrive in
 * 64-byte packets, or in any pieces) and the encoders pmu-sim writes it with.
 *
 * The stream is a list of entries whose first byte says what they are: markers
 * (0xE2..0xFF) and interval records (any byte below 0xE2 is a record's status). Times
 * are implicit: markers E4/E5/E8/E9/EA/EB set a clock to their time rounded down to
 * the period, and each stored record moves it one period on and is stamped with the
 * new value: the END of its interval. After E5/E9/EA/EB the next record is only the
 * first part of a split interval: it is held and summed into the record after it.
 * After E6 nothing is held (a held part is stored on its own). Records that land on
 * the interval the decoder is still holding back are summed into it. docs/elster.md
 * has the rules with examples. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum { ST_START, ST_ENTRIES, ST_END, ST_FINISHING, ST_FAILED };

static const unsigned period_table[11] = {1, 2, 3, 4, 5, 6, 10, 15, 20, 30, 60};

unsigned pmu_elster_lp_period_minutes(uint8_t code)
{
    unsigned i = code & 0x0Fu;
    return i < 11 ? period_table[i] : 0;
}

int pmu_elster_lp_period_code(unsigned minutes)
{
    for (int i = 0; i < 11; i++)
        if (period_table[i] == minutes)
            return i;
    return -1;
}

const char *pmu_elster_marker_name(unsigned marker)
{
    switch (marker) {
    case PMU_ELSTER_LP_EXTERNAL: return "external data";
    case PMU_ELSTER_LP_NEW_DAY: return "new day";
    case PMU_ELSTER_LP_POWER_UP: return "power up";
    case PMU_ELSTER_LP_POWER_DOWN: return "power down";
    case PMU_ELSTER_LP_CONFIG: return "configuration change";
    case PMU_ELSTER_LP_FORCED_END: return "forced end of demand";
    case PMU_ELSTER_LP_TIME_CHANGE: return "time change";
    case PMU_ELSTER_LP_CLEARED: return "profile cleared";
    case PMU_ELSTER_LP_DST: return "daylight saving";
    case PMU_ELSTER_LP_END: return "end of data";
    }
    return NULL;
}

/* ---- Values ------------------------------------------------------------------------ */

static uint64_t pow10u(unsigned e)
{
    uint64_t v = 1;
    while (e-- > 0)
        v *= 10;
    return v;
}

enum pmu_status pmu_elster_lp_value_decode(const uint8_t p[3], uint64_t *out,
                                           struct pmu_error *err)
{
    unsigned digits[6];
    for (int i = 0; i < 3; i++) {
        digits[2 * i] = p[i] >> 4;
        digits[2 * i + 1] = p[i] & 0x0Fu;
        if (digits[2 * i] > 9 || digits[2 * i + 1] > 9)
            return pmu_error_set(err, PMU_E_SYNTAX, (size_t)i,
                                 "expected two BCD digits in a profile value, got 0x%02X", p[i]);
    }
    uint64_t mantissa = 0;
    for (int i = 0; i < 5; i++)
        mantissa = mantissa * 10 + digits[i];
    *out = mantissa * pow10u(digits[5]);
    return PMU_OK;
}

enum pmu_status pmu_elster_lp_value_encode(uint64_t v, uint8_t p[3], struct pmu_error *err)
{
    uint64_t m = v;
    unsigned e = 0;
    while (m > 99999 && e < 9 && m % 10 == 0) {
        m /= 10;
        e++;
    }
    if (m > 99999)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "profile value %llu needs more than 5 significant digits",
                             (unsigned long long)v);
    unsigned d = (unsigned)(m * 10 + e);
    for (int i = 2; i >= 0; i--) {
        p[i] = (uint8_t)((d / 10 % 10) << 4 | d % 10);
        d /= 100;
    }
    return PMU_OK;
}

uint64_t pmu_elster_lp_value_round(uint64_t v)
{
    unsigned e = 0;
    while (v > 99999 && e < 9) {
        v /= 10;
        e++;
    }
    if (v > 99999)
        v = 99999;
    return v * pow10u(e);
}

/* ---- Decoder ------------------------------------------------------------------------ */

void pmu_elster_lp_init(struct pmu_elster_lp *d, int scaler)
{
    memset(d, 0, sizeof *d);
    d->scaler = scaler < -9 ? -9 : scaler > 9 ? 9 : scaler;
    d->state = ST_START;
}

static struct pmu_elster_lp_item *queue_slot(struct pmu_elster_lp *d)
{
    struct pmu_elster_lp_item *it = &d->queue[(d->q_head + d->q_len) % 3];
    d->q_len++;
    memset(it, 0, sizeof *it);
    return it;
}

static void queue_event(struct pmu_elster_lp *d, unsigned marker, int64_t time)
{
    struct pmu_elster_lp_item *it = queue_slot(d);
    it->kind = PMU_ELSTER_LP_EVENT;
    it->offset = d->entry_offset;
    it->marker = marker;
    it->time = time;
    it->dst = d->dst;
    it->channel_word = d->channel_word;
    it->period_min = d->period_min;
}

static void queue_interval(struct pmu_elster_lp *d, const struct pmu_elster_lp_pending *p)
{
    struct pmu_elster_lp_item *it = queue_slot(d);
    it->kind = PMU_ELSTER_LP_INTERVAL;
    it->offset = p->offset;
    it->time = p->end;
    it->dst = p->dst;
    it->status = p->status;
    it->records = p->records;
    it->period_min = p->period_min;
    for (unsigned ch = 0; ch < PMU_ELSTER_MAX_CHANNELS; ch++) {
        if ((p->channels >> ch & 1u) == 0)
            continue;
        size_t i = it->n_channels++;
        it->channel[i] = (uint8_t)ch;
        it->raw[i] = p->raw[ch];
        /* el_format cannot fail: the scaler is clamped to -9..9 at init. */
        el_format(p->raw[ch], d->scaler, it->value[i], NULL);
    }
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void sum_into(struct pmu_elster_lp_pending *dst, const struct pmu_elster_lp_pending *src)
{
    for (unsigned ch = 0; ch < PMU_ELSTER_MAX_CHANNELS; ch++)
        if ((src->channels >> ch & 1u) != 0)
            dst->raw[ch] = add_sat((dst->channels >> ch & 1u) != 0 ? dst->raw[ch] : 0,
                                   src->raw[ch]);
    dst->channels |= src->channels;
    dst->status |= src->status;
    dst->records += src->records;
}

/* Stores a record (or a completed split interval): stamps it with the next interval
 * end and sums it into the interval held back when both end at the same time. */
static void store(struct pmu_elster_lp *d, struct pmu_elster_lp_pending rec)
{
    d->clock += (int64_t)d->period_min * 60;
    rec.end = d->clock;
    rec.dst = d->dst;
    rec.period_min = d->period_min;
    rec.used = true;
    if (d->pending.used && d->pending.end == rec.end) {
        sum_into(&d->pending, &rec);
        return;
    }
    if (d->pending.used)
        queue_interval(d, &d->pending);
    d->pending = rec;
}

static void flush_held(struct pmu_elster_lp *d)
{
    if (d->held.used) {
        struct pmu_elster_lp_pending h = d->held;
        d->held.used = false;
        store(d, h);
    }
}

static void flush_all(struct pmu_elster_lp *d)
{
    flush_held(d);
    if (d->pending.used) {
        queue_interval(d, &d->pending);
        d->pending.used = false;
    }
}

static enum pmu_status fail(struct pmu_elster_lp *d, enum pmu_status code, size_t offset,
                            const char *what, struct pmu_error *err)
{
    d->state = ST_FAILED;
    d->failure = code;
    pmu_error_set(&d->failure_err, code, offset, "load profile: %s", what);
    if (err != NULL)
        *err = d->failure_err;
    return code;
}

static void set_clock(struct pmu_elster_lp *d, int64_t t)
{
    int64_t p = (int64_t)d->period_min * 60;
    d->clock = t - t % p;
}

/* Bytes an entry takes, from its first byte; 0 for a byte that starts no entry. */
static size_t entry_size(const struct pmu_elster_lp *d, uint8_t type)
{
    if (type < PMU_ELSTER_LP_EXTERNAL)
        return 1 + 3 * d->n_channels;
    switch (type) {
    case PMU_ELSTER_LP_EXTERNAL: return 3;
    case PMU_ELSTER_LP_NEW_DAY:
    case PMU_ELSTER_LP_CONFIG: return 8;
    case PMU_ELSTER_LP_POWER_UP:
    case PMU_ELSTER_LP_POWER_DOWN:
    case PMU_ELSTER_LP_FORCED_END:
    case PMU_ELSTER_LP_TIME_CHANGE:
    case PMU_ELSTER_LP_CLEARED:
    case PMU_ELSTER_LP_DST: return 5;
    case PMU_ELSTER_LP_END: return 1;
    }
    return 0;
}

/* Acts on a complete entry in d->entry. */
static enum pmu_status process(struct pmu_elster_lp *d, struct pmu_error *err)
{
    const uint8_t *e = d->entry;
    uint8_t type = e[0];
    int64_t t = d->entry_need >= 5 ? (int64_t)el_u32_le(e + 1) : 0;

    if (type < PMU_ELSTER_LP_EXTERNAL) {
        struct pmu_elster_lp_pending rec = {.used = true, .offset = d->entry_offset,
                                            .status = type, .records = 1};
        for (size_t i = 0; i < d->n_channels; i++) {
            uint64_t v;
            struct pmu_error verr;
            if (pmu_elster_lp_value_decode(e + 1 + 3 * i, &v, &verr) != PMU_OK)
                return fail(d, PMU_E_SYNTAX, d->entry_offset + 1 + 3 * i + verr.offset,
                            "expected a 3-byte BCD interval value", err);
            rec.raw[d->channel[i]] = v;
            rec.channels |= (uint16_t)(1u << d->channel[i]);
        }
        if (d->held.used) {
            /* The second part of a split interval: the held part goes into it. */
            sum_into(&rec, &d->held);
            rec.offset = d->held.offset;
            d->held.used = false;
        }
        if (d->merge_next) {
            d->merge_next = false;
            d->held = rec;
        } else {
            store(d, rec);
        }
        return PMU_OK;
    }

    switch (type) {
    case PMU_ELSTER_LP_NEW_DAY:
    case PMU_ELSTER_LP_CONFIG: {
        unsigned minutes = pmu_elster_lp_period_minutes(e[7]);
        if (minutes == 0)
            return fail(d, PMU_E_RANGE, d->entry_offset + 7,
                        "expected a period code 0..10 (1..60 minutes)", err);
        d->period_min = minutes;
        d->channel_word = pmu_elster_u16_be(e + 5);
        d->dst = (d->channel_word & 0x80u) != 0;
        d->n_channels = pmu_elster_mask_channels(d->channel_word, d->channel);
        set_clock(d, t);
        break;
    }
    case PMU_ELSTER_LP_POWER_UP:
    case PMU_ELSTER_LP_FORCED_END:
    case PMU_ELSTER_LP_TIME_CHANGE:
    case PMU_ELSTER_LP_CLEARED:
        set_clock(d, t);
        d->merge_next = true;
        break;
    case PMU_ELSTER_LP_POWER_DOWN:
        flush_held(d);
        d->merge_next = false;
        break;
    default: /* DST: reported, the clock stays */
        break;
    }
    queue_event(d, type, t);
    return PMU_OK;
}

static bool pop(struct pmu_elster_lp *d, struct pmu_elster_lp_item *out)
{
    if (d->q_len == 0)
        return false;
    *out = d->queue[d->q_head];
    d->q_head = (d->q_head + 1) % 3;
    d->q_len--;
    return true;
}

enum pmu_status pmu_elster_lp_feed(struct pmu_elster_lp *d, const uint8_t *in, size_t len,
                                   size_t *used, struct pmu_elster_lp_item *out,
                                   struct pmu_error *err)
{
    *used = 0;
    if (pop(d, out))
        return PMU_OK;
    if (d->state == ST_FAILED || d->state == ST_FINISHING) {
        *used = len;
        if (d->state == ST_FINISHING)
            return PMU_DONE;
        if (err != NULL)
            *err = d->failure_err;
        return d->failure;
    }
    size_t i = 0;
    while (i < len && d->state != ST_END) {
        uint8_t b = in[i];
        if (d->in_external) {
            if (d->skip > 0) {
                size_t n = len - i < d->skip ? len - i : d->skip;
                d->skip -= n;
                d->offset += n;
                i += n;
                continue;
            }
            if (b != PMU_ELSTER_LP_EXTERNAL) {
                *used = i + 1;
                return fail(d, PMU_E_SYNTAX, d->offset,
                            "expected 0xE2 closing the external data", err);
            }
            d->in_external = false;
            d->offset++;
            i++;
            queue_event(d, PMU_ELSTER_LP_EXTERNAL, 0);
            d->queue[(d->q_head + d->q_len - 1) % 3].external_len = el_u16_le(d->entry + 1);
        } else {
            if (d->entry_len == 0) {
                size_t need = entry_size(d, b);
                if (d->state == ST_START && b != PMU_ELSTER_LP_NEW_DAY) {
                    *used = i + 1;
                    return fail(d, PMU_E_SYNTAX, d->offset,
                                "expected the stream to start with a new-day marker 0xE4", err);
                }
                if (need == 0) {
                    char msg[128];
                    snprintf(msg, sizeof msg,
                             "expected a marker E2/E4/E5/E6/E8/E9/EA/EB/ED/FF or a status byte "
                             "below 0xE2, got 0x%02X",
                             b);
                    *used = i + 1;
                    return fail(d, PMU_E_SYNTAX, d->offset, msg, err);
                }
                d->entry_need = need;
                d->entry_offset = d->offset;
                d->state = ST_ENTRIES;
            }
            d->entry[d->entry_len++] = b;
            d->offset++;
            i++;
            if (d->entry_len < d->entry_need)
                continue;
            d->entry_len = 0;
            if (d->entry[0] == PMU_ELSTER_LP_END) {
                d->state = ST_END;
                flush_all(d);
            } else if (d->entry[0] == PMU_ELSTER_LP_EXTERNAL) {
                d->in_external = true;
                d->skip = el_u16_le(d->entry + 1);
                d->entry_len = 0;
                /* entry[1..2] keep the length for the event */
            } else if (process(d, err) != PMU_OK) {
                *used = i;
                return d->failure;
            }
        }
        if (d->q_len > 0) {
            *used = i;
            pop(d, out);
            return PMU_OK;
        }
    }
    *used = len;
    if (d->state == ST_END) {
        d->offset += len - i;
        return PMU_DONE;
    }
    return PMU_AGAIN;
}

enum pmu_status pmu_elster_lp_finish(struct pmu_elster_lp *d, struct pmu_elster_lp_item *out,
                                     struct pmu_error *err)
{
    if (pop(d, out))
        return PMU_OK;
    if (d->state == ST_FAILED) {
        if (err != NULL)
            *err = d->failure_err;
        return d->failure;
    }
    if (d->state == ST_END || d->state == ST_FINISHING)
        return PMU_DONE;
    bool cut = d->entry_len > 0 || d->in_external;
    d->state = ST_FINISHING;
    flush_all(d);
    if (cut) {
        /* Report what was complete first; the failure comes when the queue is empty. */
        if (pop(d, out)) {
            d->state = ST_FAILED;
            d->failure = PMU_E_TRUNCATED;
            pmu_error_set(&d->failure_err, PMU_E_TRUNCATED, d->offset,
                          "load profile: input ended inside an entry");
            return PMU_OK;
        }
        return fail(d, PMU_E_TRUNCATED, d->offset, "input ended inside an entry", err);
    }
    return pop(d, out) ? PMU_OK : PMU_DONE;
}

/* ---- Encoders -------------------------------------------------------------------------- */

static bool time_ok(int64_t t)
{
    return t >= 0 && t <= (int64_t)UINT32_MAX;
}

long pmu_elster_lp_put_header(unsigned marker, int64_t time, uint16_t channel_word,
                              unsigned period_min, uint8_t *buf, size_t size)
{
    int code = pmu_elster_lp_period_code(period_min);
    if ((marker != PMU_ELSTER_LP_NEW_DAY && marker != PMU_ELSTER_LP_CONFIG) || code < 0)
        return PMU_E_INVALID;
    if (!time_ok(time))
        return PMU_E_RANGE;
    if (size < 8)
        return PMU_E_TOO_LONG;
    buf[0] = (uint8_t)marker;
    el_put_u32_le(buf + 1, (uint32_t)time);
    buf[5] = (uint8_t)(channel_word >> 8);
    buf[6] = (uint8_t)(channel_word & 0xFF);
    buf[7] = (uint8_t)code;
    return 8;
}

long pmu_elster_lp_put_event(unsigned marker, int64_t time, uint8_t *buf, size_t size)
{
    if (marker < PMU_ELSTER_LP_EXTERNAL || marker == PMU_ELSTER_LP_NEW_DAY ||
        marker == PMU_ELSTER_LP_CONFIG || marker == PMU_ELSTER_LP_EXTERNAL ||
        marker == PMU_ELSTER_LP_END || pmu_elster_marker_name(marker) == NULL)
        return PMU_E_INVALID;
    if (!time_ok(time))
        return PMU_E_RANGE;
    if (size < 5)
        return PMU_E_TOO_LONG;
    buf[0] = (uint8_t)marker;
    el_put_u32_le(buf + 1, (uint32_t)time);
    return 5;
}

long pmu_elster_lp_put_record(uint8_t status, const uint64_t *values, size_t n, uint8_t *buf,
                              size_t size)
{
    if (status >= PMU_ELSTER_LP_EXTERNAL || n > PMU_ELSTER_MAX_CHANNELS)
        return PMU_E_INVALID;
    if (size < 1 + 3 * n)
        return PMU_E_TOO_LONG;
    buf[0] = status;
    for (size_t i = 0; i < n; i++)
        if (pmu_elster_lp_value_encode(values[i], buf + 1 + 3 * i, NULL) != PMU_OK)
            return PMU_E_RANGE;
    return (long)(1 + 3 * n);
}

long pmu_elster_lp_put_external(const uint8_t *data, size_t len, uint8_t *buf, size_t size)
{
    if (len > 0xFFFF)
        return PMU_E_INVALID;
    if (size < len + 4)
        return PMU_E_TOO_LONG;
    buf[0] = PMU_ELSTER_LP_EXTERNAL;
    el_put_u16_le(buf + 1, (unsigned)len);
    if (len > 0)
        memcpy(buf + 3, data, len);
    buf[3 + len] = PMU_ELSTER_LP_EXTERNAL;
    return (long)(len + 4);
}

long pmu_elster_lp_put_end(uint8_t *buf, size_t size)
{
    if (size < 1)
        return PMU_E_TOO_LONG;
    buf[0] = PMU_ELSTER_LP_END;
    return 1;
}
