/* History queries: register readings, profile channels and intervals (with conflict
 * flags), events. Rows go to a callback as they come from the database, so a
 * meter-year of intervals is never copied into a list first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "days.h"
#include "internal.h"

/* LIMIT for "no limit", accepted by both databases. */
#define NO_LIMIT ((int64_t)1 << 62)

struct readings_ctx {
    pmu_reading_fn fn;
    void *user;
};

static enum pmu_status reading_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct readings_ctx *c = user;
    const struct pmu_store_ops *o = s->ops;
    struct pmu_reading_row r = {
        .run_id = o->col_int(row, 0),
        .register_id = o->col_text(row, 1, NULL),
        .obis = o->col_text(row, 2, NULL),
        .value_index = (int)o->col_int(row, 3),
        .value = o->col_text(row, 4, NULL),
        .unit = o->col_text(row, 5, NULL),
        .scaler = (int)o->col_int(row, 6),
        .status = o->col_int(row, 7),
        .meter_time = o->col_text(row, 8, NULL),
        .collected_at = o->col_text(row, 9, NULL),
    };
    return c->fn(c->user, &r);
}

enum pmu_status pmu_store_readings(struct pmu_store *s, const char *serial, const char *register_id, size_t limit,
                                   pmu_reading_fn fn, void *user, struct pmu_error *err)
{
    static const char sql[] =
        "SELECT job_run_id, register_id, obis, value_index, value, unit, scaler, status, meter_time, collected_at "
        "FROM register_readings WHERE meter_id = $1 AND (register_id = $2 OR $2 = '') "
        "ORDER BY collected_at DESC, job_run_id DESC, id LIMIT $3";
    int64_t id;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status != PMU_OK)
        return status;
    struct readings_ctx c = {fn, user};
    struct pmu_store_arg args[] = {pmu_arg_int(id), pmu_arg_text(register_id ? register_id : ""),
                                   pmu_arg_int(limit ? (int64_t)limit : NO_LIMIT)};
    return s->ops->query(s, sql, args, 3, reading_row, &c, NULL, err);
}

struct event_ctx {
    pmu_event_fn fn;
    void *user;
};

static enum pmu_status event_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct event_ctx *c = user;
    struct pmu_event_row e = {s->ops->col_int(row, 0), s->ops->col_text(row, 1, NULL), s->ops->col_text(row, 2, NULL),
                              s->ops->col_text(row, 3, NULL), s->ops->col_text(row, 4, NULL)};
    return c->fn(c->user, &e);
}

enum pmu_status pmu_store_events(struct pmu_store *s, const char *serial, size_t limit, pmu_event_fn fn, void *user,
                                 struct pmu_error *err)
{
    static const char sql[] = "SELECT job_run_id, meter_time, code, detail, collected_at FROM events "
                              "WHERE meter_id = $1 ORDER BY collected_at DESC, id LIMIT $2";
    int64_t id;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status != PMU_OK)
        return status;
    struct event_ctx c = {fn, user};
    struct pmu_store_arg args[] = {pmu_arg_int(id), pmu_arg_int(limit ? (int64_t)limit : NO_LIMIT)};
    return s->ops->query(s, sql, args, 2, event_row, &c, NULL, err);
}

/* ---- channels ------------------------------------------------------------------------- */

struct channel_list {
    struct pmu_channel_record *items;
    int64_t *ids;
    size_t n, cap;
};

static enum pmu_status channel_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct channel_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct pmu_channel_record *p = realloc(l->items, cap * sizeof *p);
        if (p != NULL)
            l->items = p;
        int64_t *q = realloc(l->ids, cap * sizeof *q);
        if (q != NULL)
            l->ids = q;
        if (p == NULL || q == NULL)
            return PMU_E_NOMEM;
        l->cap = cap;
    }
    struct pmu_channel_record *c = &l->items[l->n];
    l->ids[l->n++] = s->ops->col_int(row, 0);
    pmu_store_col_copy(s, row, 1, c->profile, sizeof c->profile);
    pmu_store_col_copy(s, row, 2, c->code, sizeof c->code);
    pmu_store_col_copy(s, row, 3, c->unit, sizeof c->unit);
    c->interval_min = (unsigned)s->ops->col_int(row, 4);
    pmu_store_col_copy(s, row, 5, c->pulse_multiplier, sizeof c->pulse_multiplier);
    pmu_store_col_copy(s, row, 6, c->direction, sizeof c->direction);
    return PMU_OK;
}

static enum pmu_status load_channels(struct pmu_store *s, int64_t meter_id, struct channel_list *l,
                                     struct pmu_error *err)
{
    static const char sql[] = "SELECT id, profile, code, unit, interval_min, pulse_multiplier, direction "
                              "FROM channels WHERE meter_id = $1 ORDER BY profile, code";
    struct pmu_store_arg a = pmu_arg_int(meter_id);
    memset(l, 0, sizeof *l);
    enum pmu_status status = s->ops->query(s, sql, &a, 1, channel_row, l, NULL, err);
    if (status == PMU_E_NOMEM)
        pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    if (status != PMU_OK) {
        free(l->items);
        free(l->ids);
        memset(l, 0, sizeof *l);
    }
    return status;
}

enum pmu_status pmu_store_channels(struct pmu_store *s, const char *serial, struct pmu_channel_record **out,
                                   size_t *n, struct pmu_error *err)
{
    int64_t id;
    struct channel_list l;
    *out = NULL;
    *n = 0;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status == PMU_OK)
        status = load_channels(s, id, &l, err);
    if (status != PMU_OK)
        return status;
    free(l.ids);
    *out = l.items;
    *n = l.n;
    return PMU_OK;
}

enum pmu_status pmu_store_channel_set(struct pmu_store *s, const char *serial, const char *code,
                                      const char *pulse_multiplier, const char *direction, struct pmu_error *err)
{
    static const char sql[] = "UPDATE channels SET pulse_multiplier = COALESCE($1, pulse_multiplier), "
                              "direction = COALESCE($2, direction) WHERE meter_id = $3 AND code = $4";
    if (pulse_multiplier != NULL) {
        struct pmu_dec d;
        if (pmu_dec_parse(pulse_multiplier, strlen(pulse_multiplier), &d) != PMU_OK || d.neg || d.n == 0 ||
            strlen(pulse_multiplier) >= sizeof ((struct pmu_channel_record *)0)->pulse_multiplier)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "pulse multiplier '%s' is not a positive decimal number", pulse_multiplier);
    }
    if (direction != NULL && strcmp(direction, "import") != 0 && strcmp(direction, "export") != 0 &&
        direction[0] != '\0')
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "direction '%s': use import, export or \"\"",
                             direction);
    int64_t id, changed = 0;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status != PMU_OK)
        return status;
    struct pmu_store_arg args[] = {pmu_arg_text(pulse_multiplier), pmu_arg_text(direction), pmu_arg_int(id),
                                   pmu_arg_text(code)};
    status = s->ops->query(s, sql, args, 4, NULL, NULL, &changed, err);
    if (status == PMU_OK && changed == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "meter '%s' has no channel '%s'", serial, code);
    return status;
}

/* ---- intervals -------------------------------------------------------------------------
 * Each channel's intervals come as day rows (profile_days, one per channel and day,
 * packed by days.c) in day order; a row unpacks into its intervals in order of end
 * and value, so two values for one interval are neighbours in the same row. */

struct interval_ctx {
    pmu_interval_fn fn;
    void *user;
    struct pmu_error *err;
    struct channel_list channels;
    int64_t from, to;              /* from < end <= to */
    bool conflicts_only;
    struct pmu_interval_row row;
    struct pmu_day_entry *entries;
    size_t entries_cap;
};

static enum pmu_status day_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct interval_ctx *c = user;
    int64_t day = s->ops->col_int(row, 0);
    size_t len, n;
    const uint8_t *data = s->ops->col_blob(row, 1, &len);
    struct pmu_error bad;
    enum pmu_status status = pmu_day_decode(day, data, len, &c->entries, &n, &c->entries_cap, &bad);
    if (status != PMU_OK)
        return pmu_error_set(c->err, status == PMU_E_NOMEM ? status : PMU_E_IO, PMU_NO_OFFSET,
                             "meter '%s' channel %s: the stored row of day %lld is damaged: %s", c->row.serial,
                             c->row.channel->code, (long long)day, bad.message);
    const struct pmu_day_entry *e = c->entries;
    for (size_t i = 0; i < n; i++) {
        if (e[i].end <= c->from || e[i].end > c->to)
            continue;
        bool conflict = (i > 0 && e[i - 1].end == e[i].end) || (i + 1 < n && e[i + 1].end == e[i].end);
        if (c->conflicts_only && !conflict)
            continue;
        c->row.end = e[i].end;
        c->row.value = e[i].value;
        c->row.value_len = e[i].value_len;
        c->row.status = e[i].status;
        c->row.run_id = e[i].run_id;
        c->row.conflict = conflict;
        if ((status = c->fn(c->user, &c->row)) != PMU_OK)
            return status;
    }
    return PMU_OK;
}

/* One query per channel: the primary key (channel_id, day) gives the day rows in
 * order with nothing to join or sort. A meter-year of 30-minute data on 4 channels is
 * 1,460 rows to step, which is what makes it fast. */
static enum pmu_status meter_intervals(struct pmu_store *s, const struct pmu_interval_query *q, const char *serial,
                                       struct interval_ctx *c, struct pmu_error *err)
{
    static const char sql[] =
        "SELECT day, data FROM profile_days WHERE channel_id = $1 AND day >= $2 AND day <= $3 ORDER BY day";
    static const char conflicts_sql[] =
        "SELECT day, data FROM profile_days WHERE channel_id = $1 AND day >= $2 AND day <= $3 AND conflicts > 0 "
        "ORDER BY day";
    int64_t id;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status != PMU_OK)
        return status;
    if ((status = load_channels(s, id, &c->channels, err)) != PMU_OK)
        return status;
    c->from = q->has_from ? q->from : INT64_MIN;
    c->to = q->has_to ? q->to : INT64_MAX;
    /* days that can hold an end in (from, to] */
    int64_t first_day = c->from == INT64_MIN ? INT64_MIN : pmu_day_of(c->from + 1);
    int64_t last_day = pmu_day_of(c->to);
    bool known = q->channel == NULL;
    for (size_t i = 0; i < c->channels.n && status == PMU_OK; i++) {
        if (q->channel != NULL && strcmp(c->channels.items[i].code, q->channel) != 0)
            continue;
        known = true;
        c->row = (struct pmu_interval_row){serial, &c->channels.items[i], 0, NULL, 0, 0, 0, false};
        struct pmu_store_arg args[] = {pmu_arg_int(c->channels.ids[i]), pmu_arg_int(first_day),
                                       pmu_arg_int(last_day)};
        status = s->ops->query(s, q->conflicts_only ? conflicts_sql : sql, args, 3, day_row, c, NULL, err);
    }
    if (status == PMU_OK && !known)
        status = pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "meter '%s' has no channel '%s'", serial,
                               q->channel);
    if (status == PMU_E_NOMEM)
        pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    free(c->channels.items);
    free(c->channels.ids);
    memset(&c->channels, 0, sizeof c->channels);
    return status;
}

struct name_list {
    char (*names)[PMU_STORE_NAME_MAX];
    size_t n, cap;
};

static enum pmu_status name_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct name_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char(*p)[PMU_STORE_NAME_MAX] = realloc(l->names, cap * sizeof *p);
        if (p == NULL)
            return PMU_E_NOMEM;
        l->names = p;
        l->cap = cap;
    }
    pmu_store_col_copy(s, row, 0, l->names[l->n++], PMU_STORE_NAME_MAX);
    return PMU_OK;
}

enum pmu_status pmu_store_intervals(struct pmu_store *s, const struct pmu_interval_query *q, pmu_interval_fn fn,
                                    void *user, struct pmu_error *err)
{
    static const char meters_sql[] =
        "SELECT DISTINCT m.serial FROM meters m JOIN channels c ON c.meter_id = m.id ORDER BY m.serial";
    struct interval_ctx c;
    memset(&c, 0, sizeof c);
    c.fn = fn;
    c.user = user;
    c.err = err;
    c.conflicts_only = q->conflicts_only;
    enum pmu_status status;
    if (q->serial != NULL) {
        status = meter_intervals(s, q, q->serial, &c, err);
    } else if (!q->conflicts_only) {
        status = pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "which meter? (only conflicts span meters)");
    } else {
        struct name_list l = {NULL, 0, 0};
        status = s->ops->query(s, meters_sql, NULL, 0, name_row, &l, NULL, err);
        for (size_t i = 0; status == PMU_OK && i < l.n; i++) {
            struct pmu_interval_query one = *q;
            one.channel = NULL;
            status = meter_intervals(s, &one, l.names[i], &c, err);
        }
        free(l.names);
    }
    free(c.entries);
    return status;
}
