/* Writing load-profile intervals as day rows (profile_days: one row per channel and
 * day, packed by days.c), and moving a version-2 database's interval rows into them.
 *
 * A save reads the day rows its intervals fall on (none, for new data), merges the
 * new intervals in and writes back only the days that gained something, through the
 * driver's bulk path (SQLite: a prepared upsert; PostgreSQL: COPY). So an identical
 * re-read writes nothing, and a different value for a stored interval is kept beside
 * the stored one and counted in the row's `conflicts`.
 *
 * Read, merge, write is safe against a second writer of the same channel: SQLite
 * transactions take the write lock first (BEGIN IMMEDIATE), and on PostgreSQL the
 * save's upsert of the channel row (readings.c) locks that row until commit, so a
 * second save of the channel waits there and then reads the first one's day rows. */
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "days.h"
#include "internal.h"

/* Stored day rows of the channels being written, copied out of the result rows. */
struct stored_row {
    int64_t day;
    size_t off, len;
};

struct stored {
    struct pmu_day_buf bytes;
    struct stored_row *rows;
    size_t n, cap;
};

static enum pmu_status stored_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct stored *st = user;
    size_t len;
    int64_t day = s->ops->col_int(row, 0);
    const uint8_t *data = s->ops->col_blob(row, 1, &len);
    if (!pmu_grow((void **)&st->rows, &st->cap, st->n, sizeof *st->rows))
        return PMU_E_NOMEM;
    if (st->bytes.len + len > st->bytes.cap) {
        size_t cap = st->bytes.cap ? st->bytes.cap : 4096;
        while (cap < st->bytes.len + len)
            cap *= 2;
        uint8_t *p = realloc(st->bytes.data, cap);
        if (p == NULL)
            return PMU_E_NOMEM;
        st->bytes.data = p;
        st->bytes.cap = cap;
    }
    if (len > 0)
        memcpy(st->bytes.data + st->bytes.len, data, len);
    st->rows[st->n++] = (struct stored_row){day, st->bytes.len, len};
    st->bytes.len += len;
    return PMU_OK;
}

/* Scratch arrays reused across the days of a save. */
struct work {
    struct pmu_day_entry *old, *merged;
    size_t old_cap, merged_cap;
    struct pmu_day_buf row;
};

/* Writes one channel's day of new entries add[0..n), merged with the stored row. */
static enum pmu_status put_day(struct pmu_store *s, struct work *w, int64_t channel_id, int64_t day,
                               const struct stored_row *have, const uint8_t *bytes, const struct pmu_day_entry *add,
                               size_t n, size_t *n_new, struct pmu_error *err)
{
    size_t n_old = 0, n_merged, added, conflicts;
    struct pmu_error bad;
    enum pmu_status status;
    if (have != NULL &&
        (status = pmu_day_decode(day, bytes + have->off, have->len, &w->old, &n_old, &w->old_cap, &bad)) != PMU_OK)
        return pmu_error_set(err, status == PMU_E_NOMEM ? status : PMU_E_IO, PMU_NO_OFFSET,
                             "profile_days row of channel %lld, day %lld is damaged: %s", (long long)channel_id,
                             (long long)day, bad.message);
    if (pmu_day_merge(w->old, n_old, add, n, &w->merged, &n_merged, &w->merged_cap, &added) != PMU_OK)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    *n_new += added;
    if (added == 0)
        return PMU_OK;
    if ((status = pmu_day_encode(day, w->merged, n_merged, &w->row, &conflicts, err)) != PMU_OK)
        return status;
    struct pmu_day_put put = {channel_id, day, (int64_t)n_merged, (int64_t)conflicts, w->row.data, w->row.len};
    return s->ops->day_put(s, &put, err);
}

/* One channel's entries (sorted), day by day, against its stored rows rows[0..n_rows). */
static enum pmu_status put_channel(struct pmu_store *s, struct work *w, const struct pmu_channel_entries *c,
                                   const struct stored *st, size_t first, size_t last, size_t *n_new,
                                   struct pmu_error *err)
{
    size_t j = first;
    for (size_t a = 0; a < c->n;) {
        int64_t day = pmu_day_of(c->entries[a].end);
        size_t b = a + 1;
        while (b < c->n && pmu_day_of(c->entries[b].end) == day)
            b++;
        while (j < last && st->rows[j].day < day)
            j++;
        const struct stored_row *have = j < last && st->rows[j].day == day ? &st->rows[j] : NULL;
        enum pmu_status status = put_day(s, w, c->channel_id, day, have, st->bytes.data, c->entries + a, b - a,
                                         n_new, err);
        if (status != PMU_OK)
            return status;
        a = b;
    }
    return PMU_OK;
}

enum pmu_status pmu_store_put_intervals(struct pmu_store *s, struct pmu_channel_entries *channels, size_t n_channels,
                                        size_t *n_new, struct pmu_error *err)
{
    static const char days_sql[] =
        "SELECT day, data FROM profile_days WHERE channel_id = $1 AND day >= $2 AND day <= $3 ORDER BY day";
    struct stored st;
    struct work w;
    memset(&st, 0, sizeof st);
    memset(&w, 0, sizeof w);
    *n_new = 0;
    enum pmu_status status = PMU_OK;
    size_t *first = calloc(n_channels + 1, sizeof *first);
    if (first == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    /* First every read (PostgreSQL cannot query while a COPY is open), then the writes. */
    for (size_t c = 0; c < n_channels && status == PMU_OK; c++) {
        struct pmu_channel_entries *ch = &channels[c];
        first[c] = st.n;
        if (ch->n == 0)
            continue;
        pmu_day_sort(ch->entries, ch->n);
        struct pmu_store_arg args[] = {pmu_arg_int(ch->channel_id), pmu_arg_int(pmu_day_of(ch->entries[0].end)),
                                       pmu_arg_int(pmu_day_of(ch->entries[ch->n - 1].end))};
        status = s->ops->query(s, days_sql, args, 3, stored_row, &st, NULL, err);
        if (status == PMU_E_NOMEM)
            pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    }
    first[n_channels] = st.n;
    if (status == PMU_OK && (status = s->ops->days_begin(s, err)) == PMU_OK) {
        for (size_t c = 0; c < n_channels && status == PMU_OK; c++)
            status = put_channel(s, &w, &channels[c], &st, first[c], first[c + 1], n_new, err);
        enum pmu_status end = s->ops->days_end(s, status == PMU_OK ? err : NULL);
        if (status == PMU_OK)
            status = end;
    }
    free(first);
    free(st.rows);
    pmu_day_buf_free(&st.bytes);
    free(w.old);
    free(w.merged);
    pmu_day_buf_free(&w.row);
    return status;
}

/* ---- migration 3 ------------------------------------------------------------------ */

struct id_list {
    int64_t *ids;
    size_t n, cap;
};

static enum pmu_status id_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct id_list *l = user;
    if (!pmu_grow((void **)&l->ids, &l->cap, l->n, sizeof *l->ids))
        return PMU_E_NOMEM;
    l->ids[l->n++] = s->ops->col_int(row, 0);
    return PMU_OK;
}

/* One channel's interval rows; values are kept as offsets into text until all are
 * read (text moves as it grows). */
struct old_rows {
    struct pmu_day_entry *e;
    size_t n, cap;
    struct pmu_day_buf text;
};

static enum pmu_status old_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct old_rows *o = user;
    size_t len;
    const char *value = s->ops->col_text(row, 1, &len);
    if (!pmu_grow((void **)&o->e, &o->cap, o->n, sizeof *o->e))
        return PMU_E_NOMEM;
    if (o->text.len + len + 1 > o->text.cap) {
        size_t cap = o->text.cap ? o->text.cap : 4096;
        while (cap < o->text.len + len + 1)
            cap *= 2;
        uint8_t *p = realloc(o->text.data, cap);
        if (p == NULL)
            return PMU_E_NOMEM;
        o->text.data = p;
        o->text.cap = cap;
    }
    if (len > 0)
        memcpy(o->text.data + o->text.len, value, len);
    o->text.data[o->text.len + len] = 0;
    o->e[o->n++] = (struct pmu_day_entry){s->ops->col_int(row, 0), s->ops->col_int(row, 2), s->ops->col_int(row, 3),
                                          (const char *)(uintptr_t)o->text.len, len};
    o->text.len += len + 1;
    return PMU_OK;
}

enum pmu_status pmu_store_move_intervals_to_days(struct pmu_store *s, struct pmu_error *err)
{
    static const char channels_sql[] = "SELECT id FROM channels ORDER BY id";
    static const char rows_sql[] = "SELECT interval_end, value, status, job_run_id FROM profile_intervals "
                                   "WHERE channel_id = $1 ORDER BY interval_end";
    struct id_list ids = {NULL, 0, 0};
    struct old_rows o;
    memset(&o, 0, sizeof o);
    enum pmu_status status = s->ops->query(s, channels_sql, NULL, 0, id_row, &ids, NULL, err);
    for (size_t i = 0; i < ids.n && status == PMU_OK; i++) {
        o.n = 0;
        o.text.len = 0;
        struct pmu_store_arg a = pmu_arg_int(ids.ids[i]);
        if ((status = s->ops->query(s, rows_sql, &a, 1, old_row, &o, NULL, err)) != PMU_OK)
            break;
        for (size_t k = 0; k < o.n; k++)
            o.e[k].value = (const char *)o.text.data + (uintptr_t)o.e[k].value;
        struct pmu_channel_entries one = {ids.ids[i], o.e, o.n};
        size_t n_new;
        status = pmu_store_put_intervals(s, &one, 1, &n_new, err);
    }
    if (status == PMU_E_NOMEM)
        pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    if (status == PMU_OK)
        status = s->ops->exec(s, "DROP VIEW profile_conflicts; DROP TABLE profile_intervals", err);
    free(ids.ids);
    free(o.e);
    pmu_day_buf_free(&o.text);
    return status;
}
