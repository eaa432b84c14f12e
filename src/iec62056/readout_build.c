/* Building a readout from values a driver decoded itself (the Elster register
 * protocol), so such meters are rendered and stored like any other. See pmu/readout.h. */
#include <string.h>

#include "../core/arena.h"
#include "../core/grow.h"
#include "pmu/readout.h"

static bool have_arena(struct pmu_readout *r)
{
    return r->arena != NULL || (r->arena = pmu_arena_new()) != NULL;
}

static const char *copy(struct pmu_arena *a, const char *s)
{
    return s == NULL ? NULL : pmu_arena_strndup(a, s, strlen(s));
}

static struct pmu_value *copy_values(struct pmu_arena *a, const struct pmu_value *v, size_t n)
{
    struct pmu_value *out = pmu_arena_alloc(a, (n + 1) * sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = v[i];
        out[i].text = copy(a, v[i].text ? v[i].text : "");
        out[i].unit = copy(a, v[i].unit);
        if (out[i].text == NULL || (v[i].unit != NULL && out[i].unit == NULL))
            return NULL;
    }
    return out;
}

enum pmu_status pmu_readout_put_record(struct pmu_readout *r, const char *address,
                                       const struct pmu_obis *obis, const struct pmu_value *values,
                                       size_t n)
{
    if (!have_arena(r) || !pmu_grow((void **)&r->records, &r->cap_records, r->n_records, sizeof *r->records))
        return PMU_E_NOMEM;
    struct pmu_record *rec = &r->records[r->n_records];
    memset(rec, 0, sizeof *rec);
    rec->address = copy(r->arena, address);
    rec->values = copy_values(r->arena, values, n);
    if (rec->address == NULL || rec->values == NULL)
        return PMU_E_NOMEM;
    rec->n_values = n;
    rec->has_obis = obis != NULL;
    if (obis != NULL)
        rec->obis = *obis;
    rec->frame = r->n_records;
    r->n_records++;
    return PMU_OK;
}

enum pmu_status pmu_readout_put_profile(struct pmu_readout *r, const char *address,
                                        const struct pmu_timestamp *start, uint32_t status,
                                        unsigned interval_min,
                                        const struct pmu_profile_channel *channels, size_t n)
{
    if (!have_arena(r) || !pmu_grow((void **)&r->profiles, &r->cap_profiles, r->n_profiles, sizeof *r->profiles))
        return PMU_E_NOMEM;
    struct pmu_profile *p = &r->profiles[r->n_profiles];
    memset(p, 0, sizeof *p);
    p->address = copy(r->arena, address);
    p->channels = pmu_arena_alloc(r->arena, (n + 1) * sizeof *p->channels);
    if (p->address == NULL || p->channels == NULL)
        return PMU_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        p->channels[i].id = copy(r->arena, channels[i].id);
        p->channels[i].unit = copy(r->arena, channels[i].unit);
        if (p->channels[i].id == NULL || (channels[i].unit && p->channels[i].unit == NULL))
            return PMU_E_NOMEM;
    }
    p->n_channels = n;
    p->start = *start;
    p->status = status;
    p->interval_min = interval_min;
    p->frame = r->n_profiles;
    r->n_profiles++;
    return PMU_OK;
}

enum pmu_status pmu_readout_put_row(struct pmu_readout *r, const struct pmu_timestamp *time,
                                    const struct pmu_value *values, size_t n)
{
    if (r->n_profiles == 0)
        return PMU_E_INVALID;
    struct pmu_profile *p = &r->profiles[r->n_profiles - 1];
    if (!pmu_grow((void **)&p->rows, &p->cap_rows, p->n_rows, sizeof *p->rows))
        return PMU_E_NOMEM;
    struct pmu_profile_row *row = &p->rows[p->n_rows];
    row->values = copy_values(r->arena, values, n);
    if (row->values == NULL)
        return PMU_E_NOMEM;
    row->n_values = n;
    row->time = *time;
    p->n_rows++;
    return PMU_OK;
}
