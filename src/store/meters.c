/* Meters: the rows of the meter list, checked before they go in (comms path grammar,
 * CT/VT ratios, field lengths), and removed only with their history when asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "internal.h"
#include "pmu/path.h"

#define METER_COLUMNS                                                                           \
    "SELECT m.serial, m.make, m.model, COALESCE(s.name, ''), m.comms_path, m.device_address, " \
    "m.password_ref, m.ct_ratio, m.vt_ratio, m.scheme, m.notes, m.created_at, m.updated_at "   \
    "FROM meters m LEFT JOIN sites s ON s.id = m.site_id "

static const char meter_get_sql[] = METER_COLUMNS "WHERE m.serial = $1";
/* Filters are '' when not used. */
static const char meter_list_sql[] =
    METER_COLUMNS "WHERE (COALESCE(s.name, '') = $1 OR $1 = '') AND ($2 = '' OR m.id IN "
                  "(SELECT gm.meter_id FROM meter_group_members gm JOIN meter_groups g ON g.id = gm.group_id "
                  "WHERE g.name = $2)) ORDER BY m.serial";

struct meter_list {
    struct pmu_meter_record *items;
    size_t n, cap;
};

static enum pmu_status meter_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct meter_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    struct pmu_meter_record *m = &l->items[l->n++];
    pmu_store_col_copy(s, row, 0, m->serial, sizeof m->serial);
    pmu_store_col_copy(s, row, 1, m->make, sizeof m->make);
    pmu_store_col_copy(s, row, 2, m->model, sizeof m->model);
    pmu_store_col_copy(s, row, 3, m->site, sizeof m->site);
    pmu_store_col_copy(s, row, 4, m->path, sizeof m->path);
    pmu_store_col_copy(s, row, 5, m->address, sizeof m->address);
    pmu_store_col_copy(s, row, 6, m->password_ref, sizeof m->password_ref);
    pmu_store_col_copy(s, row, 7, m->ct, sizeof m->ct);
    pmu_store_col_copy(s, row, 8, m->vt, sizeof m->vt);
    pmu_store_col_copy(s, row, 9, m->scheme, sizeof m->scheme);
    pmu_store_col_copy(s, row, 10, m->notes, sizeof m->notes);
    pmu_store_col_copy(s, row, 11, m->created, sizeof m->created);
    pmu_store_col_copy(s, row, 12, m->updated, sizeof m->updated);
    return PMU_OK;
}

static enum pmu_status check_text(const char *field, size_t size, const char *what, const char *serial,
                                  struct pmu_error *err)
{
    size_t n = strnlen(field, size);
    if (n == size)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "meter '%s': %s is too long (at most %zu characters)",
                             serial, what, size - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)field[i] < 0x20 && field[i] != '\n' && field[i] != '\t')
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': %s contains a control character",
                                 serial, what);
    return PMU_OK;
}

static enum pmu_status check_ratio(const char *text, const char *what, const char *serial, struct pmu_error *err)
{
    struct pmu_dec d;
    enum pmu_status status = pmu_dec_ratio(text, &d);
    if (status == PMU_E_SYNTAX)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "meter '%s': %s ratio '%s': write a number (40) or primary/secondary (200/5)", serial,
                             what, text);
    if (status == PMU_E_INVALID || (status == PMU_OK && d.n == 0))
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': %s ratio '%s' is zero", serial, what,
                             text);
    if (d.neg)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': %s ratio '%s' is negative", serial,
                             what, text);
    return PMU_OK;
}

enum pmu_status pmu_meter_record_check(const struct pmu_meter_record *m, struct pmu_error *err)
{
    enum pmu_status status = pmu_store_check_name(m->serial, "meter serial", err);
    if (status != PMU_OK)
        return status;
    const char *sn = m->serial;
    if (m->site[0] != '\0' && (status = pmu_store_check_name(m->site, "site name", err)) != PMU_OK)
        return status;
    if ((status = check_text(m->make, sizeof m->make, "make", sn, err)) != PMU_OK ||
        (status = check_text(m->model, sizeof m->model, "model", sn, err)) != PMU_OK ||
        (status = check_text(m->path, sizeof m->path, "comms path", sn, err)) != PMU_OK ||
        (status = check_text(m->address, sizeof m->address, "device address", sn, err)) != PMU_OK ||
        (status = check_text(m->password_ref, sizeof m->password_ref, "password reference", sn, err)) != PMU_OK ||
        (status = check_text(m->ct, sizeof m->ct, "CT ratio", sn, err)) != PMU_OK ||
        (status = check_text(m->vt, sizeof m->vt, "VT ratio", sn, err)) != PMU_OK ||
        (status = check_text(m->scheme, sizeof m->scheme, "scheme", sn, err)) != PMU_OK ||
        (status = check_text(m->notes, sizeof m->notes, "notes", sn, err)) != PMU_OK)
        return status;
    if (m->path[0] != '\0') {
        struct pmu_path p;
        struct pmu_error e2;
        if (pmu_path_parse(m->path, &p, &e2) != PMU_OK)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': comms path '%s': %s", sn, m->path,
                                 e2.message);
    }
    if ((status = check_ratio(m->ct, "CT", sn, err)) != PMU_OK ||
        (status = check_ratio(m->vt, "VT", sn, err)) != PMU_OK)
        return status;
    return PMU_OK;
}

/* The id of site `name`, created when it does not exist yet; 0 and SQL NULL for "". */
static enum pmu_status site_id(struct pmu_store *s, const char *name, struct pmu_store_arg *out,
                               struct pmu_error *err)
{
    static const char find[] = "SELECT id FROM sites WHERE name = $1";
    if (name[0] == '\0') {
        *out = pmu_arg_text(NULL);
        return PMU_OK;
    }
    struct pmu_store_arg a = pmu_arg_text(name);
    int64_t id;
    bool found;
    enum pmu_status status = pmu_store_query_int(s, find, &a, 1, &id, &found, err);
    if (status == PMU_OK && !found) {
        struct pmu_site_record site;
        memset(&site, 0, sizeof site);
        snprintf(site.name, sizeof site.name, "%s", name);
        if ((status = pmu_store_site_add(s, &site, err)) == PMU_OK)
            status = pmu_store_query_int(s, find, &a, 1, &id, &found, err);
    }
    *out = pmu_arg_int(id);
    return status;
}

static enum pmu_status meter_exists(struct pmu_store *s, const char *serial, bool *exists, struct pmu_error *err)
{
    static const char sql[] = "SELECT id FROM meters WHERE serial = $1";
    struct pmu_store_arg a = pmu_arg_text(serial);
    int64_t id;
    return pmu_store_query_int(s, sql, &a, 1, &id, exists, err);
}

/* Add and update without a transaction of their own, so that an import can run many
 * of them in one. */
enum pmu_status pmu_store_meter_put(struct pmu_store *s, const char *old_serial, const struct pmu_meter_record *m,
                                    struct pmu_error *err)
{
    static const char insert[] =
        "INSERT INTO meters (serial, make, model, site_id, comms_path, device_address, password_ref, ct_ratio, "
        "vt_ratio, scheme, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "$12, $12)";
    static const char update[] =
        "UPDATE meters SET serial = $1, make = $2, model = $3, site_id = $4, comms_path = $5, device_address = $6, "
        "password_ref = $7, ct_ratio = $8, vt_ratio = $9, scheme = $10, notes = $11, updated_at = $12 "
        "WHERE serial = $13";
    enum pmu_status status = pmu_meter_record_check(m, err);
    if (status != PMU_OK)
        return status;
    bool exists;
    if (old_serial != NULL) {
        if ((status = meter_exists(s, old_serial, &exists, err)) != PMU_OK)
            return status;
        if (!exists)
            return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no meter with serial '%s'", old_serial);
    }
    if (old_serial == NULL || strcmp(old_serial, m->serial) != 0) {
        if ((status = meter_exists(s, m->serial, &exists, err)) != PMU_OK)
            return status;
        if (exists)
            return pmu_error_set(err, PMU_E_EXISTS, PMU_NO_OFFSET, "meter '%s' already exists", m->serial);
    }
    struct pmu_store_arg site;
    if ((status = site_id(s, m->site, &site, err)) != PMU_OK)
        return status;
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {
        pmu_arg_text(m->serial), pmu_arg_text(m->make),  pmu_arg_text(m->model),        site,
        pmu_arg_text(m->path),   pmu_arg_text(m->address), pmu_arg_text(m->password_ref), pmu_arg_text(m->ct),
        pmu_arg_text(m->vt),     pmu_arg_text(m->scheme), pmu_arg_text(m->notes),       pmu_arg_text(now),
        pmu_arg_text(old_serial)};
    if (old_serial == NULL)
        return s->ops->query(s, insert, args, 12, NULL, NULL, NULL, err);
    return s->ops->query(s, update, args, 13, NULL, NULL, NULL, err);
}

/* A put in a transaction of its own (it may create a site as well). */
static enum pmu_status put_one(struct pmu_store *s, const char *old_serial, const struct pmu_meter_record *m,
                               struct pmu_error *err)
{
    enum pmu_status status = pmu_store_begin(s, err);
    if (status != PMU_OK)
        return status;
    if ((status = pmu_store_meter_put(s, old_serial, m, err)) != PMU_OK) {
        pmu_store_rollback(s);
        return status;
    }
    return pmu_store_commit(s, err);
}

enum pmu_status pmu_store_meter_add(struct pmu_store *s, const struct pmu_meter_record *m, struct pmu_error *err)
{
    return put_one(s, NULL, m, err);
}

enum pmu_status pmu_store_meter_update(struct pmu_store *s, const char *serial, const struct pmu_meter_record *m,
                                       struct pmu_error *err)
{
    return put_one(s, serial, m, err);
}

enum pmu_status pmu_store_meter_get(struct pmu_store *s, const char *serial, struct pmu_meter_record *out,
                                    struct pmu_error *err)
{
    struct meter_list l = {out, 0, 1};
    struct pmu_store_arg a = pmu_arg_text(serial);
    enum pmu_status status = s->ops->query(s, meter_get_sql, &a, 1, meter_row, &l, NULL, err);
    if (status == PMU_OK && l.n == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no meter with serial '%s'", serial);
    return status;
}

enum pmu_status pmu_store_meter_list(struct pmu_store *s, const struct pmu_meter_filter *filter,
                                     struct pmu_meter_record **out, size_t *n, struct pmu_error *err)
{
    const char *site = filter != NULL && filter->site != NULL ? filter->site : "";
    const char *group = filter != NULL && filter->group != NULL ? filter->group : "";
    *out = NULL;
    *n = 0;
    enum pmu_status status;
    if (site[0] != '\0') {
        struct pmu_site_record r;
        if ((status = pmu_store_site_get(s, site, &r, err)) != PMU_OK)
            return status;
    }
    if (group[0] != '\0') {
        struct pmu_group_record g;
        if ((status = pmu_store_group_get(s, group, &g, err)) != PMU_OK)
            return status;
    }
    struct meter_list l = {NULL, 0, 0};
    struct pmu_store_arg args[] = {pmu_arg_text(site), pmu_arg_text(group)};
    status = s->ops->query(s, meter_list_sql, args, 2, meter_row, &l, NULL, err);
    return pmu_store_list_done(status, l.items, l.n, (void **)out, n, err);
}

enum pmu_status pmu_store_meter_remove(struct pmu_store *s, const char *serial, bool purge, struct pmu_error *err)
{
    static const char count_sql[] =
        "SELECT (SELECT COUNT(*) FROM register_readings WHERE meter_id = $1) + "
        "(SELECT COUNT(*) FROM channels WHERE meter_id = $1) + (SELECT COUNT(*) FROM events WHERE meter_id = $1)";
    static const char *const purge_sql[] = {
        "DELETE FROM profile_days WHERE channel_id IN (SELECT id FROM channels WHERE meter_id = $1)",
        "DELETE FROM channels WHERE meter_id = $1",
        "DELETE FROM register_readings WHERE meter_id = $1",
        "DELETE FROM events WHERE meter_id = $1",
    };
    static const char members_sql[] = "DELETE FROM meter_group_members WHERE meter_id = $1";
    static const char meter_sql[] = "DELETE FROM meters WHERE id = $1";
    int64_t id;
    enum pmu_status status = pmu_store_begin(s, err);
    if (status != PMU_OK)
        return status;
    if ((status = pmu_store_meter_id(s, serial, &id, err)) != PMU_OK)
        goto fail;
    struct pmu_store_arg a = pmu_arg_int(id);
    bool has_history = false;
    if (s->schema_version >= 2) {
        int64_t n;
        if ((status = pmu_store_query_int(s, count_sql, &a, 1, &n, NULL, err)) != PMU_OK)
            goto fail;
        has_history = n > 0;
    }
    if (has_history && !purge) {
        status = pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                               "meter '%s' has stored readings: remove it with its history (purge) or keep it",
                               serial);
        goto fail;
    }
    for (size_t i = 0; has_history && i < sizeof purge_sql / sizeof purge_sql[0]; i++)
        if ((status = s->ops->query(s, purge_sql[i], &a, 1, NULL, NULL, NULL, err)) != PMU_OK)
            goto fail;
    if ((status = s->ops->query(s, members_sql, &a, 1, NULL, NULL, NULL, err)) != PMU_OK ||
        (status = s->ops->query(s, meter_sql, &a, 1, NULL, NULL, NULL, err)) != PMU_OK)
        goto fail;
    return pmu_store_commit(s, err);
fail:
    pmu_store_rollback(s);
    return status;
}
