/* Saving what was read: job runs, and one meter's readout in one transaction
 * (register readings, profile channels and intervals, events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "days.h"
#include "internal.h"
#include "pmu/obis.h"

enum pmu_status pmu_store_begin_run(struct pmu_store *s, const char *job, int64_t *run_id, struct pmu_error *err)
{
    static const char add_job[] =
        "INSERT INTO jobs (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
    static const char find_job[] = "SELECT id FROM jobs WHERE name = $1";
    static const char add_run[] = "INSERT INTO job_runs (job_id, started_at) VALUES ($1, $2) RETURNING id";
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg job_arg = pmu_arg_text(NULL);
    enum pmu_status status;
    if (job != NULL && (status = pmu_store_check_name(job, "job name", err)) != PMU_OK)
        return status;
    if ((status = pmu_store_begin(s, err)) != PMU_OK)
        return status;
    if (job != NULL) {
        struct pmu_store_arg args[] = {pmu_arg_text(job), pmu_arg_text(now)};
        int64_t id;
        if ((status = s->ops->query(s, add_job, args, 2, NULL, NULL, NULL, err)) != PMU_OK ||
            (status = pmu_store_query_int(s, find_job, args, 1, &id, NULL, err)) != PMU_OK)
            goto fail;
        job_arg = pmu_arg_int(id);
    }
    struct pmu_store_arg args[] = {job_arg, pmu_arg_text(now)};
    if ((status = pmu_store_query_int(s, add_run, args, 2, run_id, NULL, err)) != PMU_OK)
        goto fail;
    return pmu_store_commit(s, err);
fail:
    pmu_store_rollback(s);
    return status;
}

enum pmu_status pmu_store_finish_run(struct pmu_store *s, int64_t run_id, const char *outcome, const char *message,
                                     struct pmu_error *err)
{
    static const char sql[] = "UPDATE job_runs SET finished_at = $1, outcome = $2, message = $3 WHERE id = $4";
    if (outcome == NULL || (strcmp(outcome, "ok") != 0 && strcmp(outcome, "partial") != 0 &&
                            strcmp(outcome, "failed") != 0))
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "run outcome '%s': use ok, partial or failed",
                             outcome ? outcome : "(null)");
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_text(now), pmu_arg_text(outcome), pmu_arg_text(message ? message : ""),
                                   pmu_arg_int(run_id)};
    int64_t changed = 0;
    enum pmu_status status = s->ops->query(s, sql, args, 4, NULL, NULL, &changed, err);
    if (status == PMU_OK && changed == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no job run %lld", (long long)run_id);
    return status;
}

/* Flow direction of a channel from its OBIS quantity (value group C): +A, +R, +S are
 * "import" (delivered to the customer), -A, -R, -S "export"; per phase likewise
 * (C + 20, 40, 60). Anything else (quadrants, currents, voltages) is left unknown. */
static const char *direction_of(const char *code)
{
    struct pmu_obis o;
    if (pmu_obis_parse(code, strlen(code), &o, NULL) != PMU_OK)
        return "";
    switch (o.c <= 80 ? o.c % 20 : 0) {
    case 1: case 3: case 9: return "import";
    case 2: case 4: case 10: return "export";
    default: return "";
    }
}

struct saving {
    int64_t meter_id, run_id;
    const char *collected_at;
    struct pmu_save_stats stats;
};

static enum pmu_status save_records(struct pmu_store *s, struct saving *v, const struct pmu_readout *r,
                                    struct pmu_error *err)
{
    static const char sql[] =
        "INSERT INTO register_readings (meter_id, job_run_id, register_id, obis, value_index, value, unit, "
        "meter_time, collected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    for (size_t i = 0; i < r->n_records; i++) {
        const struct pmu_record *rec = &r->records[i];
        char obis[PMU_OBIS_TEXT_MAX];
        if (rec->has_obis)
            pmu_obis_format_full(&rec->obis, obis, sizeof obis);
        for (size_t k = 0; k < rec->n_values; k++) {
            const struct pmu_value *val = &rec->values[k];
            char when[32];
            if (val->has_time)
                pmu_timestamp_format(&val->time, when, sizeof when);
            struct pmu_store_arg args[] = {
                pmu_arg_int(v->meter_id),          pmu_arg_int(v->run_id),
                pmu_arg_text(rec->address),        pmu_arg_text(rec->has_obis ? obis : NULL),
                pmu_arg_int((int64_t)k),           pmu_arg_text(val->text),
                pmu_arg_text(val->unit),           pmu_arg_text(val->has_time ? when : NULL),
                pmu_arg_text(v->collected_at)};
            enum pmu_status status = s->ops->query(s, sql, args, 9, NULL, NULL, NULL, err);
            if (status != PMU_OK)
                return status;
            v->stats.readings++;
        }
    }
    return PMU_OK;
}

/* An event log (P.98): one event per row, its first value the code. */
static enum pmu_status save_events(struct pmu_store *s, struct saving *v, const struct pmu_profile *p,
                                   struct pmu_error *err)
{
    static const char sql[] = "INSERT INTO events (meter_id, job_run_id, meter_time, code, detail, collected_at) "
                              "VALUES ($1, $2, $3, $4, $5, $6)";
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct pmu_profile_row *row = &p->rows[i];
        char when[32], detail[512] = "";
        size_t o = 0;
        pmu_timestamp_format(&row->time, when, sizeof when);
        for (size_t k = 1; k < row->n_values && o < sizeof detail; k++) {
            int w = snprintf(detail + o, sizeof detail - o, "%s%s", k > 1 ? "," : "", row->values[k].text);
            if (w < 0)
                break;
            o += (size_t)w;
        }
        struct pmu_store_arg args[] = {pmu_arg_int(v->meter_id),
                                       pmu_arg_int(v->run_id),
                                       pmu_arg_text(when),
                                       pmu_arg_text(row->n_values > 0 ? row->values[0].text : ""),
                                       pmu_arg_text(detail),
                                       pmu_arg_text(v->collected_at)};
        enum pmu_status status = s->ops->query(s, sql, args, 6, NULL, NULL, NULL, err);
        if (status != PMU_OK)
            return status;
        v->stats.events++;
    }
    return PMU_OK;
}

/* The profile's values as one list of entries per distinct channel (ids[c] is column
 * c's channel; a profile naming a channel twice gives both columns to the one
 * channel, as two reads of it would). Returns the array the lists share, to free(),
 * or NULL when out of memory; *n_values counts the entries. */
static struct pmu_day_entry *collect_entries(const struct pmu_profile *p, const int64_t *ids, int64_t run_id,
                                             struct pmu_channel_entries groups[64], size_t *n_groups,
                                             size_t *n_values)
{
    size_t group_of[64], width[64] = {0};
    *n_groups = 0;
    *n_values = 0;
    for (size_t c = 0; c < p->n_channels; c++) {
        size_t g = 0;
        while (g < *n_groups && groups[g].channel_id != ids[c])
            g++;
        if (g == *n_groups)
            groups[(*n_groups)++] = (struct pmu_channel_entries){ids[c], NULL, 0};
        group_of[c] = g;
        width[g]++;
    }
    struct pmu_day_entry *all = malloc(p->n_rows * p->n_channels * sizeof *all);
    if (all == NULL)
        return NULL;
    for (size_t g = 0, used = 0; g < *n_groups; g++) {
        groups[g].entries = all + used;
        used += p->n_rows * width[g];
    }
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct pmu_profile_row *row = &p->rows[i];
        int64_t end = pmu_timestamp_to_seconds(&row->time);
        size_t n = row->n_values < p->n_channels ? row->n_values : p->n_channels;
        for (size_t c = 0; c < n; c++) {
            struct pmu_channel_entries *g = &groups[group_of[c]];
            const char *text = row->values[c].text;
            g->entries[g->n++] = (struct pmu_day_entry){end, (int64_t)p->status, run_id, text, strlen(text)};
        }
        *n_values += n;
    }
    return all;
}

static enum pmu_status save_profile(struct pmu_store *s, struct saving *v, const struct pmu_profile *p,
                                    struct pmu_error *err)
{
    static const char channel_sql[] =
        "INSERT INTO channels (meter_id, profile, code, unit, interval_min, direction) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (meter_id, profile, code) "
        "DO UPDATE SET unit = excluded.unit, interval_min = excluded.interval_min RETURNING id";
    if (p->n_channels == 0 || p->n_rows == 0)
        return PMU_OK;
    if (p->interval_min == 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "profile %s has no interval length", p->address);
    int64_t ids[64];
    if (p->n_channels > sizeof ids / sizeof ids[0])
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "profile %s has %zu channels; at most 64 are stored",
                             p->address, p->n_channels);
    for (size_t c = 0; c < p->n_channels; c++) {
        const struct pmu_profile_channel *ch = &p->channels[c];
        struct pmu_store_arg args[] = {pmu_arg_int(v->meter_id),     pmu_arg_text(p->address),
                                       pmu_arg_text(ch->id),          pmu_arg_text(ch->unit ? ch->unit : ""),
                                       pmu_arg_int(p->interval_min), pmu_arg_text(direction_of(ch->id))};
        enum pmu_status status = pmu_store_query_int(s, channel_sql, args, 6, &ids[c], NULL, err);
        if (status != PMU_OK)
            return status;
    }
    struct pmu_channel_entries groups[64];
    size_t n_groups, n_values, n_new = 0;
    struct pmu_day_entry *all = collect_entries(p, ids, v->run_id, groups, &n_groups, &n_values);
    if (all == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    enum pmu_status status = pmu_store_put_intervals(s, groups, n_groups, &n_new, err);
    free(all);
    v->stats.intervals += n_values;
    v->stats.intervals_new += n_new;
    return status;
}

static bool is_event_log(const char *address)
{
    return strcmp(address, "P.98") == 0;
}

enum pmu_status pmu_store_save_readout(struct pmu_store *s, int64_t run_id, const char *serial,
                                       const struct pmu_readout *r, time_t collected_at,
                                       struct pmu_save_stats *stats, struct pmu_error *err)
{
    static const char run_sql[] = "SELECT id FROM job_runs WHERE id = $1";
    char when[24];
    pmu_store_utc_text(collected_at, when);
    struct saving v = {0, run_id, when, {0, 0, 0, 0}};
    if (stats != NULL)
        memset(stats, 0, sizeof *stats);
    enum pmu_status status = pmu_store_begin(s, err);
    if (status != PMU_OK)
        return status;
    struct pmu_store_arg a = pmu_arg_int(run_id);
    int64_t id;
    bool found;
    if ((status = pmu_store_meter_id(s, serial, &v.meter_id, err)) != PMU_OK ||
        (status = pmu_store_query_int(s, run_sql, &a, 1, &id, &found, err)) != PMU_OK)
        goto fail;
    if (!found) {
        status = pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no job run %lld: start one with pmu_store_begin_run",
                               (long long)run_id);
        goto fail;
    }
    if ((status = save_records(s, &v, r, err)) != PMU_OK)
        goto fail;
    for (size_t i = 0; i < r->n_profiles; i++) {
        const struct pmu_profile *p = &r->profiles[i];
        status = is_event_log(p->address) ? save_events(s, &v, p, err) : save_profile(s, &v, p, err);
        if (status != PMU_OK)
            goto fail;
    }
    if ((status = pmu_store_commit(s, err)) != PMU_OK)
        return status;
    if (stats != NULL)
        *stats = v.stats;
    return PMU_OK;
fail:
    pmu_store_rollback(s);
    return status;
}
