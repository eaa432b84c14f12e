/* libFuzzer target for the Elster load-profile stream decoder (identity 550). Byte 0
 * sets the chunk size of the second run and the scaler; the rest is the stream. The
 * decoder must give the same intervals, events and final status for one feed and
 * for chunked feeds (abort on any difference), keep offsets inside the input, report
 * at most 14 channels with terminated value text, and never step the clock back
 * between consecutive intervals except after a marker that sets it. */
#include "pmu/elster.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 4096

struct run {
    struct pmu_elster_lp_item *items;
    size_t n;
    enum pmu_status end;
    struct pmu_error err;
};

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void run(const uint8_t *s, size_t len, size_t chunk, int scaler, struct run *r)
{
    struct pmu_elster_lp d;
    pmu_elster_lp_init(&d, scaler);
    r->n = 0;
    pmu_error_clear(&r->err);
    enum pmu_status rc = PMU_AGAIN;
    for (size_t at = 0; at < len && rc != PMU_DONE;) {
        size_t n = len - at < chunk ? len - at : chunk;
        const uint8_t *p = s + at;
        at += n;
        for (;;) {
            size_t used;
            struct pmu_elster_lp_item it;
            rc = pmu_elster_lp_feed(&d, p, n, &used, &it, &r->err);
            check(used <= n);
            p += used;
            n -= used;
            if (rc != PMU_OK)
                break;
            if (r->n < MAX_ITEMS)
                r->items[r->n++] = it;
        }
        check(rc == PMU_AGAIN || rc == PMU_DONE || rc < 0);
        if (rc == PMU_AGAIN)
            check(n == 0);
        if (rc < 0) {
            check(r->err.message[0] != '\0' && r->err.offset <= len);
            r->end = rc;
            return;
        }
    }
    for (;;) {
        struct pmu_elster_lp_item it;
        rc = pmu_elster_lp_finish(&d, &it, &r->err);
        if (rc != PMU_OK)
            break;
        if (r->n < MAX_ITEMS)
            r->items[r->n++] = it;
    }
    check(rc == PMU_DONE || rc == PMU_E_TRUNCATED);
    r->end = rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)(data[0] & 0x3F) + 1;
    int scaler = (data[0] >> 6) == 0 ? 0 : (data[0] >> 6) == 1 ? -6 : (data[0] >> 6) == 2 ? -3 : 2;
    const uint8_t *s = data + 1;
    size_t len = size - 1;

    /* Allocated once: fresh multi-megabyte buffers per input would slow the fuzzer
     * down a hundredfold under AddressSanitizer. */
    static struct pmu_elster_lp_item *items_a, *items_b;
    if (items_a == NULL) {
        items_a = malloc(MAX_ITEMS * sizeof *items_a);
        items_b = malloc(MAX_ITEMS * sizeof *items_b);
        check(items_a != NULL && items_b != NULL);
    }
    struct run a = {.items = items_a}, b = {.items = items_b};
    run(s, len, len ? len : 1, scaler, &a);
    run(s, len, chunk, scaler, &b);

    check(a.n == b.n && a.end == b.end);
    if (a.end < 0)
        check(a.err.offset == b.err.offset && strcmp(a.err.message, b.err.message) == 0);
    for (size_t i = 0; i < a.n; i++) {
        const struct pmu_elster_lp_item *x = &a.items[i], *y = &b.items[i];
        check(memcmp(x, y, sizeof *x) == 0);
        check(x->offset < len);
        if (x->kind == PMU_ELSTER_LP_INTERVAL) {
            check(x->n_channels <= PMU_ELSTER_MAX_CHANNELS && x->records >= 1);
            check(x->period_min >= 1 && x->period_min <= 60);
            check(x->time % ((int64_t)x->period_min * 60) == 0);
            for (size_t c = 0; c < x->n_channels; c++) {
                check(x->channel[c] < PMU_ELSTER_MAX_CHANNELS);
                check(memchr(x->value[c], '\0', PMU_ELSTER_NUMBER_MAX) != NULL);
                if (c > 0)
                    check(x->channel[c] > x->channel[c - 1]);
            }
        } else {
            check(pmu_elster_marker_name(x->marker) != NULL);
        }
    }
    return 0;
}
