/* Typed readout: data sets -> records and load profiles. See pmu/readout.h. */
#include "pmu/readout.h"

#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/grow.h"
#include "pmu/dataset.h"

enum context { CTX_NONE, CTX_RECORD, CTX_PROFILE };

void pmu_readout_init(struct pmu_readout *r)
{
    memset(r, 0, sizeof *r);
}

void pmu_readout_free(struct pmu_readout *r)
{
    for (size_t i = 0; i < r->n_profiles; i++)
        free(r->profiles[i].rows);
    free(r->records);
    free(r->profiles);
    free(r->errors);
    pmu_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}

static enum pmu_status note(struct pmu_readout *r, const struct pmu_error *e)
{
    if (!pmu_grow((void **)&r->errors, &r->cap_errors, r->n_errors, sizeof *r->errors))
        return PMU_E_NOMEM;
    r->errors[r->n_errors++] = *e;
    return e->code;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* Copies the values of a data set into the arena, after `keep` values already there. */
static struct pmu_value *copy_values(struct pmu_arena *a, const struct pmu_value *keep,
                                     size_t n_keep, const struct pmu_dataset *ds, bool times)
{
    struct pmu_value *v = pmu_arena_alloc(a, (n_keep + ds->n_values + 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    if (n_keep > 0)
        memcpy(v, keep, n_keep * sizeof *v);
    for (size_t i = 0; i < ds->n_values; i++) {
        const struct pmu_dataset_value *src = &ds->values[i];
        struct pmu_value *dst = &v[n_keep + i];
        dst->text = pmu_arena_strndup(a, src->text, src->len);
        dst->unit = src->unit ? pmu_arena_strndup(a, src->unit, src->unit_len) : NULL;
        if (dst->text == NULL || (src->unit && dst->unit == NULL))
            return NULL;
        /* A later group of 10..13 digits that is a valid meter time is a timestamp,
         * as in 1.6.0(01.234*kW)(2401151230). */
        dst->has_time = times && n_keep + i > 0 && src->unit == NULL &&
                        src->len >= 10 && src->len <= 13 && all_digits(src->text, src->len) &&
                        pmu_timestamp_parse(src->text, src->len, &dst->time, NULL) == PMU_OK;
    }
    return v;
}

static bool is_profile_address(const struct pmu_record *rec)
{
    return rec->has_obis && rec->obis.c == 99 && (rec->obis.letters & PMU_OBIS_C) &&
           !(rec->obis.present & PMU_OBIS_E);
}

static bool parse_uint(const char *s, int base, unsigned long max, unsigned long *out)
{
    if (*s == '\0')
        return false;
    char *end;
    unsigned long v = strtoul(s, &end, base);
    if (*end != '\0' || v > max || *s == '-' || *s == '+' || *s == ' ')
        return false;
    *out = v;
    return true;
}

/* A P.xx header: (start)(status)(interval)(n)(id1)(unit1)...(idn)(unitn). Returns
 * false (with *e set) when the values do not have that shape. */
static bool profile_header(struct pmu_readout *r, const struct pmu_record *rec,
                           const struct pmu_dataset *ds, struct pmu_profile *p,
                           struct pmu_error *e)
{
    const struct pmu_value *v = rec->values;
    unsigned long status, interval, n;
    memset(p, 0, sizeof *p);
    if (rec->n_values < 4) {
        pmu_error_set(e, PMU_E_SYNTAX, ds->offset,
                      "line %zu: profile header %s has %zu values: expected (start)(status)"
                      "(interval)(channels) and a (id)(unit) pair per channel",
                      ds->line, rec->address, rec->n_values);
        return false;
    }
    if (pmu_timestamp_parse(v[0].text, strlen(v[0].text), &p->start, NULL) != PMU_OK) {
        pmu_error_set(e, PMU_E_SYNTAX, ds->offset,
                      "line %zu: profile start \"%s\" is not a time sYYMMDDhhmm[ss]",
                      ds->line, v[0].text);
        return false;
    }
    if (!parse_uint(v[1].text, 16, 0xFFFFFFFFul, &status) ||
        !parse_uint(v[2].text, 10, 1440, &interval) || interval == 0 ||
        !parse_uint(v[3].text, 10, 64, &n) || rec->n_values != 4 + 2 * n) {
        pmu_error_set(e, PMU_E_SYNTAX, ds->offset,
                      "line %zu: profile header %s: expected hex status, interval of 1..1440 "
                      "minutes, channel count and that many (id)(unit) pairs",
                      ds->line, rec->address);
        return false;
    }
    p->address = rec->address;
    p->status = (uint32_t)status;
    p->interval_min = (unsigned)interval;
    p->n_channels = n;
    p->channels = pmu_arena_alloc(r->arena, (n + 1) * sizeof *p->channels);
    if (p->channels == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        p->channels[i].id = v[4 + 2 * i].text;
        p->channels[i].unit = v[5 + 2 * i].text;
    }
    p->offset = rec->offset;
    p->frame = rec->frame;
    return true;
}

static enum pmu_status add_row(struct pmu_readout *r, const struct pmu_dataset *ds)
{
    struct pmu_profile *p = &r->profiles[r->n_profiles - 1];
    if (!pmu_grow((void **)&p->rows, &p->cap_rows, p->n_rows, sizeof *p->rows))
        return PMU_E_NOMEM;
    struct pmu_profile_row *row = &p->rows[p->n_rows];
    row->values = copy_values(r->arena, NULL, 0, ds, false);
    if (row->values == NULL)
        return PMU_E_NOMEM;
    row->n_values = ds->n_values;
    row->time = p->start;
    pmu_timestamp_add_minutes(&row->time, (long)(p->n_rows * p->interval_min));
    p->n_rows++;
    if (ds->n_values != p->n_channels) {
        struct pmu_error e;
        pmu_error_set(&e, PMU_E_SYNTAX, ds->offset,
                      "line %zu: interval row has %zu values, the %s header announced %zu channels",
                      ds->line, ds->n_values, p->address, p->n_channels);
        return note(r, &e);
    }
    return PMU_OK;
}

static enum pmu_status add_record(struct pmu_readout *r, const struct pmu_dataset *ds,
                                  size_t frame)
{
    if (!pmu_grow((void **)&r->records, &r->cap_records, r->n_records, sizeof *r->records))
        return PMU_E_NOMEM;
    struct pmu_record *rec = &r->records[r->n_records];
    memset(rec, 0, sizeof *rec);
    rec->address = pmu_arena_strndup(r->arena, ds->address, ds->address_len);
    rec->values = copy_values(r->arena, NULL, 0, ds, true);
    if (rec->address == NULL || rec->values == NULL)
        return PMU_E_NOMEM;
    rec->n_values = ds->n_values;
    rec->has_obis = ds->address_len > 0 &&
                    pmu_obis_parse(ds->address, ds->address_len, &rec->obis, NULL) == PMU_OK;
    rec->offset = ds->offset;
    rec->line = ds->line;
    rec->frame = frame;

    if (is_profile_address(rec)) {
        struct pmu_profile p;
        struct pmu_error e;
        pmu_error_clear(&e);
        if (profile_header(r, rec, ds, &p, &e)) {
            if (!pmu_grow((void **)&r->profiles, &r->cap_profiles, r->n_profiles, sizeof *r->profiles))
                return PMU_E_NOMEM;
            r->profiles[r->n_profiles++] = p;
            r->context = CTX_PROFILE;
            return PMU_OK;
        }
        if (p.channels == NULL && e.code == PMU_OK)
            return PMU_E_NOMEM;
        r->n_records++;
        r->context = CTX_RECORD;
        return note(r, &e);
    }
    r->n_records++;
    r->context = CTX_RECORD;
    return PMU_OK;
}

static enum pmu_status add_continuation(struct pmu_readout *r, const struct pmu_dataset *ds,
                                        size_t frame)
{
    if (r->context == CTX_PROFILE)
        return add_row(r, ds);
    if (r->context == CTX_RECORD) {
        struct pmu_record *rec = &r->records[r->n_records - 1];
        struct pmu_value *v = copy_values(r->arena, rec->values, rec->n_values, ds, true);
        if (v == NULL)
            return PMU_E_NOMEM;
        rec->values = v;
        rec->n_values += ds->n_values;
        return PMU_OK;
    }
    /* Values with no address, such as an "(ERROR)" answer. */
    return add_record(r, ds, frame);
}

enum pmu_status pmu_readout_add_block(struct pmu_readout *r, const uint8_t *data, size_t len,
                                      size_t base_offset, size_t frame, bool continues)
{
    if (r->arena == NULL && (r->arena = pmu_arena_new()) == NULL)
        return PMU_E_NOMEM;
    if (!continues)
        r->context = CTX_NONE;
    struct pmu_dataset_reader rd;
    struct pmu_dataset ds;
    struct pmu_error e;
    enum pmu_status first = PMU_OK, st;
    pmu_dataset_reader_init(&rd, data, len, base_offset);
    while ((st = pmu_dataset_next(&rd, &ds, &e)) != PMU_DONE) {
        if (st != PMU_OK) {
            st = note(r, &e);
        } else if (ds.end) {
            r->ended = true;
            r->context = CTX_NONE;
            continue;
        } else if (ds.continuation) {
            st = add_continuation(r, &ds, frame);
        } else {
            st = add_record(r, &ds, frame);
        }
        if (st == PMU_E_NOMEM)
            return st;
        if (first == PMU_OK)
            first = st;
    }
    return first;
}
