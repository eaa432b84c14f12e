/* libFuzzer target: decodes arbitrary input as every capture format and as AUTO, and
 * checks the decoder's promises (see include/pmu/capture.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/capture.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(const uint8_t *data, size_t size, enum pmu_capture_format asked,
                         enum pmu_status st, const struct pmu_capture *c,
                         const struct pmu_error *err)
{
    if (st != PMU_OK) {
        CHECK(st < 0 && err->code == st);
        CHECK(st == PMU_E_SYNTAX || st == PMU_E_NOMEM);
        CHECK(st != PMU_E_SYNTAX || err->offset <= size);
        CHECK(err->message[0] != '\0' && memchr(err->message, '\0', sizeof err->message));
        CHECK(c->bytes == NULL && c->segments == NULL && c->length == 0 && c->n_segments == 0);
        return;
    }
    CHECK(c->format != PMU_CAPTURE_AUTO);
    CHECK(asked == PMU_CAPTURE_AUTO || c->format == asked);
    CHECK(c->bytes != NULL && c->length <= size);

    size_t at = 0, line = 0;
    for (size_t i = 0; i < c->n_segments; i++) {
        const struct pmu_capture_segment *s = &c->segments[i];
        CHECK(s->offset == at && s->length <= c->length - at);
        CHECK(memchr(s->label, '\0', sizeof s->label) != NULL);
        CHECK(s->dir == PMU_DIR_UNKNOWN || s->dir == PMU_DIR_TO_METER ||
              s->dir == PMU_DIR_FROM_METER);
        CHECK(s->line >= line);
        line = s->line;
        at += s->length;
    }
    CHECK(at == c->length);

    if (c->format == PMU_CAPTURE_RAW) {
        CHECK(c->n_segments == 1 && c->length == size);
        CHECK(size == 0 || memcmp(c->bytes, data, size) == 0);
    } else if (c->format == PMU_CAPTURE_HEX) {
        CHECK(c->n_segments == 1 && c->length <= size / 2);
    } else {
        /* every literal spends at least its two quotes */
        CHECK(c->length + 2 * c->n_segments <= size);
        for (size_t i = 0; i < c->n_segments; i++)
            CHECK(c->segments[i].line >= 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum pmu_capture_format formats[] = {PMU_CAPTURE_RAW, PMU_CAPTURE_HEX,
                                                      PMU_CAPTURE_TRANSCRIPT, PMU_CAPTURE_AUTO};
    struct pmu_capture results[4];
    enum pmu_status status[4];

    for (size_t i = 0; i < 4; i++) {
        struct pmu_error err;
        pmu_error_clear(&err);
        status[i] = pmu_capture_decode(data, size, formats[i], &results[i], &err);
        check_result(data, size, formats[i], status[i], &results[i], &err);
    }

    /* AUTO is exactly the decode of the detected format */
    enum pmu_capture_format detected = pmu_capture_detect(data, size);
    CHECK(detected != PMU_CAPTURE_AUTO);
    size_t k = (size_t)detected - 1;
    const struct pmu_capture *a = &results[3], *d = &results[k];
    CHECK(status[3] == status[k]);
    if (status[3] == PMU_OK) {
        CHECK(a->format == detected && a->length == d->length);
        CHECK(a->n_segments == d->n_segments);
        CHECK(a->length == 0 || memcmp(a->bytes, d->bytes, a->length) == 0);
        for (size_t i = 0; i < a->n_segments; i++) {
            const struct pmu_capture_segment *x = &a->segments[i], *y = &d->segments[i];
            CHECK(x->offset == y->offset && x->length == y->length && x->dir == y->dir);
            CHECK(x->line == y->line && strcmp(x->label, y->label) == 0);
        }
    }
    /* only text is ever taken for a hex dump or a transcript */
    if (detected != PMU_CAPTURE_RAW)
        for (size_t i = 0; i < size; i++)
            CHECK(data[i] == '\t' || data[i] == '\n' || data[i] == '\r' ||
                  (data[i] >= 0x20 && data[i] < 0x7F));

    for (size_t i = 0; i < 4; i++)
        pmu_capture_free(&results[i]);
    return 0;
}
