/* libFuzzer target for the data-set tokenizer and the typed readout built on it.
 *
 * The input is one data block. The tokenizer must walk it to PMU_DONE, moving forward
 * after every data set and every error, with values that point into the block and
 * errors that point at a byte of it (or just past its end). The readout of the same
 * block, whole and cut in two blocks where the second continues the first, must hold
 * only NUL-terminated strings and consistent counts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/dataset.h"
#include "pmu/readout.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz_dataset: check failed at line %d: %s\n", __LINE__, \
                    #cond);                                                          \
            abort();                                                                 \
        }                                                                            \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const uint8_t *data, size_t size, const char *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    return b >= data && b <= data + size && n <= (size_t)(data + size - b);
}

/* Walks the tokenizer over the block; returns how many data sets it gave. */
static size_t tokenize(const uint8_t *data, size_t size)
{
    static struct pmu_dataset ds;
    struct pmu_dataset_reader rd;
    struct pmu_error err;
    size_t items = 0, sets = 0, line = 1;
    bool ended = false;

    pmu_dataset_reader_init(&rd, data, size, 0);
    for (;;) {
        size_t before = rd.pos;
        pmu_error_clear(&err);
        enum pmu_status st = pmu_dataset_next(&rd, &ds, &err);
        if (st == PMU_DONE) {
            CHECK(rd.pos == size || size == 0);
            break;
        }
        CHECK(rd.pos > before && rd.pos <= size);   /* progress */
        CHECK(++items <= size + 2);
        if (st != PMU_OK) {
            CHECK(st == PMU_E_SYNTAX || st == PMU_E_TOO_LONG || st == PMU_E_TRUNCATED);
            CHECK(err.code == st);
            CHECK(err.message[0] != '\0' && memchr(err.message, '\0', sizeof err.message));
            CHECK(err.offset != PMU_NO_OFFSET && err.offset <= size);
            continue;
        }
        sets++;
        CHECK(ds.offset < size && ds.line >= line);
        line = ds.line;
        CHECK(inside(data, size, ds.address, ds.address_len));
        CHECK(ds.address_len <= PMU_DATASET_ADDRESS_MAX);
        CHECK(ds.n_values <= PMU_DATASET_MAX_VALUES);
        if (ds.end) {
            CHECK(!ended && ds.n_values == 0 && data[ds.offset] == '!');
            ended = true;
            continue;
        }
        CHECK(!ended);   /* nothing is a data set after the end marker */
        CHECK(ds.continuation == (ds.address_len == 0));
        CHECK(ds.continuation || ds.n_values > 0);
        for (size_t i = 0; i < ds.n_values; i++) {
            const struct pmu_dataset_value *v = &ds.values[i];
            CHECK(inside(data, size, v->text, v->len));
            CHECK(v->len <= PMU_DATASET_VALUE_MAX);
            CHECK(memchr(v->text, '(', v->len) == NULL && memchr(v->text, ')', v->len) == NULL);
            if (v->unit != NULL) {
                CHECK(inside(data, size, v->unit, v->unit_len));
                CHECK(v->unit_len <= PMU_DATASET_UNIT_MAX);
                CHECK(v->unit > v->text);
            } else {
                CHECK(v->unit_len == 0);
            }
        }
    }
    /* After PMU_DONE the reader stays done. */
    CHECK(pmu_dataset_next(&rd, &ds, &err) == PMU_DONE);
    return sets;
}

static void check_time(const struct pmu_timestamp *t)
{
    char buf[32];
    CHECK(t->season >= -1 && t->season <= 2);
    CHECK(t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31);
    CHECK(t->hour >= 0 && t->hour <= 23 && t->minute >= 0 && t->minute <= 59);
    CHECK(t->second >= 0 && t->second <= 59);
    CHECK(pmu_timestamp_format(t, buf, sizeof buf) > 0);
}

static void check_value(const struct pmu_value *v)
{
    CHECK(v->text != NULL && strlen(v->text) <= PMU_DATASET_VALUE_MAX);
    CHECK(v->unit == NULL || strlen(v->unit) <= PMU_DATASET_UNIT_MAX);
    if (v->has_time)
        check_time(&v->time);
}

static void walk(const struct pmu_readout *r, enum pmu_status st, size_t size, size_t sets,
                 size_t first_error)
{
    CHECK(st == PMU_OK || st == PMU_E_SYNTAX || st == PMU_E_TOO_LONG ||
          st == PMU_E_TRUNCATED);
    CHECK(r->n_records <= r->cap_records && r->n_profiles <= r->cap_profiles &&
          r->n_errors <= r->cap_errors);
    CHECK(r->n_records + r->n_profiles <= sets);
    CHECK(st != PMU_OK || r->n_errors == first_error);
    CHECK(st == PMU_OK || (r->n_errors > first_error && r->errors[first_error].code == st));
    for (size_t i = 0; i < r->n_errors; i++) {
        const struct pmu_error *e = &r->errors[i];
        CHECK(e->code < 0 && e->code != PMU_E_NOMEM);
        CHECK(e->message[0] != '\0' && memchr(e->message, '\0', sizeof e->message));
        CHECK(e->offset <= size);
    }
    for (size_t i = 0; i < r->n_records; i++) {
        const struct pmu_record *rec = &r->records[i];
        CHECK(rec->address != NULL && strlen(rec->address) <= PMU_DATASET_ADDRESS_MAX);
        CHECK(rec->offset < size && rec->line >= 1);
        CHECK(rec->n_values == 0 || rec->values != NULL);
        for (size_t k = 0; k < rec->n_values; k++)
            check_value(&rec->values[k]);
    }
    for (size_t i = 0; i < r->n_profiles; i++) {
        const struct pmu_profile *p = &r->profiles[i];
        CHECK(p->address != NULL && strlen(p->address) <= PMU_DATASET_ADDRESS_MAX);
        CHECK(p->offset < size);
        CHECK(p->interval_min >= 1 && p->interval_min <= 1440);
        CHECK(p->n_channels <= 64 && (p->n_channels == 0 || p->channels != NULL));
        CHECK(p->n_rows <= p->cap_rows);
        check_time(&p->start);
        for (size_t k = 0; k < p->n_channels; k++)
            CHECK(p->channels[k].id != NULL && p->channels[k].unit != NULL &&
                  strlen(p->channels[k].id) <= PMU_DATASET_VALUE_MAX &&
                  strlen(p->channels[k].unit) <= PMU_DATASET_VALUE_MAX);
        for (size_t k = 0; k < p->n_rows; k++) {
            const struct pmu_profile_row *row = &p->rows[k];
            check_time(&row->time);
            CHECK(row->n_values <= PMU_DATASET_MAX_VALUES);
            CHECK(row->n_values == 0 || row->values != NULL);
            for (size_t j = 0; j < row->n_values; j++)
                check_value(&row->values[j]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sets = tokenize(data, size);

    /* the whole input as one block */
    struct pmu_readout r;
    pmu_readout_init(&r);
    enum pmu_status st = pmu_readout_add_block(&r, data, size, 0, 0, false);
    CHECK(st != PMU_E_NOMEM);
    walk(&r, st, size, sets, 0);
    pmu_readout_free(&r);

    /* cut in two at a point the data chooses; the second block continues the first */
    if (size >= 2) {
        size_t cut = 1 + data[0] % (size - 1);
        size_t sets1 = tokenize(data, cut), sets2 = tokenize(data + cut, size - cut);
        pmu_readout_init(&r);
        st = pmu_readout_add_block(&r, data, cut, 0, 0, false);
        CHECK(st != PMU_E_NOMEM);
        walk(&r, st, size, sets1, 0);
        size_t errors = r.n_errors;
        st = pmu_readout_add_block(&r, data + cut, size - cut, cut, 1, true);
        CHECK(st != PMU_E_NOMEM);
        walk(&r, st, size, sets1 + sets2, errors);
        pmu_readout_free(&r);
    }
    return 0;
}
