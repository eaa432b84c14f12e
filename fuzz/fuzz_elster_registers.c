/* libFuzzer target for the Elster register and record decoders (pmu/elster.h).
 * Byte 0 picks the decoder, the rest is its input. Whatever decodes must encode back
 * to the same bytes where the layout has one spelling per value (BCD registers, MD,
 * dates, ratios, counters, events, billing sets), and decode again to the same values
 * where it has several (instantaneous values). Parsers of text (replies, requests,
 * identification, seeds) must accept or refuse with a message, never crash. */
#include "pmu/elster.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void terminated(const char *s, size_t cap)
{
    check(memchr(s, '\0', cap) != NULL);
}

static void energy(const uint8_t *p, size_t n)
{
    char text[PMU_ELSTER_NUMBER_MAX];
    uint8_t back[8];
    if (n < 8 || pmu_elster_energy_decode(p, text, NULL) != PMU_OK)
        return;
    terminated(text, sizeof text);
    check(pmu_elster_energy_encode(text, back, NULL) == PMU_OK);
    check(memcmp(back, p, 8) == 0);
}

static void md(const uint8_t *p, size_t n)
{
    struct pmu_elster_md m;
    struct pmu_elster_cmd c;
    uint8_t back[12];
    if (n >= 12 && pmu_elster_md_decode(p, &m, NULL) == PMU_OK) {
        check(pmu_elster_md_encode(&m, back, NULL) == PMU_OK);
        check(memcmp(back, p, 12) == 0);
    }
    if (n >= 9 && pmu_elster_cmd_decode(p, &c, NULL) == PMU_OK) {
        check(pmu_elster_cmd_encode(&c, back, NULL) == PMU_OK);
        check(memcmp(back, p, 9) == 0);
    }
}

static void datetime(const uint8_t *p, size_t n)
{
    struct pmu_timestamp t;
    uint8_t back[7];
    if (n < 7 || pmu_elster_datetime_decode(p, &t, NULL) != PMU_OK)
        return;
    check(pmu_elster_datetime_encode(&t, back, NULL) == PMU_OK);
    check(memcmp(back, p, 7) == 0);
}

static void ratio(const uint8_t *p, size_t n)
{
    struct pmu_elster_ratio r;
    uint8_t back[7];
    size_t len = n >= 7 ? 7 : 6;
    if (n < 6 || pmu_elster_ratio_decode(p, len, &r, NULL) != PMU_OK)
        return;
    check(pmu_elster_ratio_encode(&r, back, len, NULL) == PMU_OK);
    check(memcmp(back, p, len) == 0);
}

static void instant(const uint8_t *p, size_t n)
{
    struct pmu_elster_instant v, again;
    uint8_t back[7];
    if (n < 7 || pmu_elster_instant_decode(p, &v, NULL) != PMU_OK)
        return;
    terminated(v.value, sizeof v.value);
    enum pmu_status rc = pmu_elster_instant_encode(&v, back, NULL);
    /* Formats 5 and 6 scale up (no decimals): their text needs no more than 4. */
    check(rc == PMU_OK || rc == PMU_E_RANGE);
    if (rc != PMU_OK)
        return;
    check(pmu_elster_instant_decode(back, &again, NULL) == PMU_OK);
    check(v.available == again.available && v.overflow == again.overflow);
    if (v.available && !v.overflow) {
        /* The same number, though perhaps written with other decimals ("0" / "0.0000"). */
        const char *x = v.value[0] == '-' ? v.value + 1 : v.value;
        const char *y = again.value[0] == '-' ? again.value + 1 : again.value;
        uint64_t a, b;
        check((x == v.value) == (y == again.value));
        check(pmu_elster_parse_scaled(x, -4, &a, NULL) == PMU_OK);
        check(pmu_elster_parse_scaled(y, -4, &b, NULL) == PMU_OK);
        check(a == b);
    }
}

static void records(const uint8_t *p, size_t n)
{
    struct pmu_elster_counter c;
    uint8_t back[66];
    for (size_t len = 14; len <= 17; len += 3)
        if (n >= len && pmu_elster_counter_decode(p, len, &c, NULL) == PMU_OK) {
            check(pmu_elster_counter_encode(&c, back, len, NULL) == PMU_OK);
            check(memcmp(back, p, len) == 0);
        }
    struct pmu_elster_events e;
    if (n >= 66 && pmu_elster_events_decode(p, 66, &e, NULL) == PMU_OK) {
        pmu_elster_events_encode(&e, back);
        check(memcmp(back, p, 66) == 0);
    }
    if (n >= 4) {
        uint32_t w = pmu_elster_status_decode(p);
        const char *names[32];
        size_t k = pmu_elster_status_names(w, names, 32);
        check(k <= 32);
        uint8_t ch[PMU_ELSTER_MAX_CHANNELS];
        uint16_t cfg;
        size_t m = pmu_elster_mask_channels(pmu_elster_u16_be(p), ch);
        check(m <= PMU_ELSTER_MAX_CHANNELS);
        check(pmu_elster_mask_from_channels(ch, m, &cfg, NULL) == PMU_OK);
        check(pmu_elster_mask_channels(cfg, ch) == m);
        struct pmu_elster_lp_size s;
        pmu_elster_lp_size_decode(p, &s);
        pmu_elster_lp_size_encode(&s, back);
        check(memcmp(back, p, 4) == 0);
    }
}

static void billing(const uint8_t *p, size_t n)
{
    static const struct { unsigned tou; bool cdr5; } kinds[] = {{16, false}, {32, false},
                                                                 {32, true}};
    struct pmu_elster_billing *b = malloc(sizeof *b);
    uint8_t *back = malloc(863);
    check(b != NULL && back != NULL);
    for (size_t k = 0; k < 3; k++) {
        size_t len = pmu_elster_billing_length(kinds[k].tou, kinds[k].cdr5);
        struct pmu_error err;
        enum pmu_status rc = pmu_elster_billing_decode(p, n < len ? n : len, kinds[k].tou,
                                                       kinds[k].cdr5, b, &err);
        if (rc != PMU_OK) {
            check(err.message[0] != '\0');
            check(err.offset == PMU_NO_OFFSET || err.offset < len);
            continue;
        }
        check(pmu_elster_billing_encode(b, back, 863, NULL) == PMU_OK);
        check(memcmp(back, p, len) == 0);
    }
    free(back);
    free(b);
}

static void text(const uint8_t *p, size_t n)
{
    uint8_t out[PMU_ELSTER_PACKET];
    size_t len;
    int code;
    struct pmu_error err;
    enum pmu_status rc = pmu_elster_reply_parse(p, n, out, sizeof out, &len, &code, &err);
    check(rc == PMU_OK || err.message[0] != '\0');
    check(len <= sizeof out);
    check(rc != PMU_E_REFUSED || code != 0);
    if (rc == PMU_OK) {
        uint8_t frame[2 * PMU_ELSTER_PACKET + 8];
        check(pmu_elster_build_reply(out, len, frame, sizeof frame) == (long)(2 * len + 5));
    }
    struct pmu_elster_request rq;
    rc = pmu_elster_request_parse(n > 0 && (p[0] & 1) ? "W1" : "R1", p, n, &rq, &err);
    check(rc == PMU_OK || err.message[0] != '\0');
    if (rc == PMU_OK) {
        uint8_t frame[200];
        long m = rq.write ? pmu_elster_build_write(rq.id, rq.packet, rq.data, rq.data_len, frame,
                                                   sizeof frame)
                          : pmu_elster_build_read(rq.id, rq.packet, rq.count, frame, sizeof frame);
        check(m > 0 || rq.packet > 0xFFF);
    }
    struct pmu_elster_ident id;
    if (pmu_elster_ident_parse((const char *)p, n, &id, &err) == PMU_OK) {
        char again[64];
        check(pmu_elster_ident_format(&id, again, sizeof again) > 0);
    }
    uint8_t seed[8], pw[8], resp[8];
    if (pmu_elster_seed_parse(p, n, seed, NULL) == PMU_OK) {
        check(pmu_elster_password_transform("ABCDEFGH", seed, resp, NULL) == PMU_OK);
        pmu_elster_password_untransform(resp, seed, pw);
        check(memcmp(pw, "ABCDEFGH", 8) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 8) {
    case 0: energy(p, n); break;
    case 1: md(p, n); break;
    case 2: datetime(p, n); break;
    case 3: ratio(p, n); break;
    case 4: instant(p, n); break;
    case 5: records(p, n); break;
    case 6: billing(p, n); break;
    default: text(p, n); break;
    }
    return 0;
}
