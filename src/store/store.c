/* The store's API: opening (backend by connection string, then migrations), the
 * shared helpers, sites and groups. Meters are in meters.c, readings in readings.c,
 * history queries in history.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/grow.h"
#include "internal.h"

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum pmu_status pmu_store_open_with(const char *conn, const struct pmu_store_options *opt, struct pmu_store **out,
                                    struct pmu_error *err)
{
    *out = NULL;
    if (conn == NULL)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "no database given");
    struct pmu_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    s->ops = starts_with(conn, "postgresql://") || starts_with(conn, "postgres://") ? &pmu_store_postgres_ops
                                                                                    : &pmu_store_sqlite_ops;
    enum pmu_status status = s->ops->open(s, conn, err);
    if (status == PMU_OK)
        status = pmu_store_migrate(s, opt != NULL ? opt->schema_version : 0, err);
    if (status != PMU_OK) {
        pmu_store_close(s);
        return status;
    }
    *out = s;
    return PMU_OK;
}

enum pmu_status pmu_store_open(const char *conn, struct pmu_store **out, struct pmu_error *err)
{
    return pmu_store_open_with(conn, NULL, out, err);
}

void pmu_store_close(struct pmu_store *s)
{
    if (s == NULL)
        return;
    if (s->in_transaction)
        s->ops->rollback(s);
    s->ops->close(s);
    free(s);
}

enum pmu_store_backend pmu_store_backend(const struct pmu_store *s)
{
    return s->ops->backend;
}

int pmu_store_schema_version(const struct pmu_store *s)
{
    return s->schema_version;
}

/* ---- helpers ---------------------------------------------------------------------- */

enum pmu_status pmu_store_begin(struct pmu_store *s, struct pmu_error *err)
{
    enum pmu_status status = s->ops->begin(s, false, err);
    if (status == PMU_OK)
        s->in_transaction = true;
    return status;
}

enum pmu_status pmu_store_commit(struct pmu_store *s, struct pmu_error *err)
{
    enum pmu_status status = s->ops->commit(s, err);
    if (status != PMU_OK)
        s->ops->rollback(s);
    s->in_transaction = false;
    return status;
}

void pmu_store_rollback(struct pmu_store *s)
{
    s->ops->rollback(s);
    s->in_transaction = false;
}

struct first_int {
    int64_t value;
    bool found;
};

static enum pmu_status take_int(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct first_int *f = user;
    f->value = s->ops->col_int(row, 0);
    f->found = true;
    return PMU_DONE;
}

enum pmu_status pmu_store_query_int(struct pmu_store *s, const char *sql, const struct pmu_store_arg *args,
                                    size_t n_args, int64_t *out, bool *found, struct pmu_error *err)
{
    struct first_int f = {0, false};
    enum pmu_status status = s->ops->query(s, sql, args, n_args, take_int, &f, NULL, err);
    *out = f.value;
    if (found != NULL)
        *found = f.found;
    return status;
}

enum pmu_status pmu_store_meter_id(struct pmu_store *s, const char *serial, int64_t *id, struct pmu_error *err)
{
    static const char sql[] = "SELECT id FROM meters WHERE serial = $1";
    struct pmu_store_arg a = pmu_arg_text(serial);
    bool found;
    enum pmu_status status = pmu_store_query_int(s, sql, &a, 1, id, &found, err);
    if (status == PMU_OK && !found)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no meter with serial '%s'", serial);
    return status;
}

void pmu_store_utc_text(time_t t, char buf[24])
{
    if (t == 0)
        t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum pmu_status pmu_store_copy_field(char *dst, size_t size, const char *src, const char *what,
                                     struct pmu_error *err)
{
    if (src == NULL)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "%s is %zu characters long; at most %zu fit",
                             what, n, size - 1);
    memcpy(dst, src, n + 1);
    return PMU_OK;
}

/* A column into a fixed field. Values longer than the field only come from a
 * database edited by hand; they are cut rather than refused, so the list still shows. */
void pmu_store_col_copy(struct pmu_store *s, const struct pmu_store_row *row, int i, char *dst, size_t size)
{
    size_t n;
    const char *t = s->ops->col_text(row, i, &n);
    if (t == NULL)
        n = 0;
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

enum pmu_status pmu_store_check_name(const char *name, const char *what, struct pmu_error *err)
{
    if (name == NULL || name[0] == '\0')
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "%s is empty", what);
    size_t n = strlen(name);
    if (n >= PMU_STORE_NAME_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "%s '%.20s...' is %zu characters long; at most %d fit",
                             what, name, n, PMU_STORE_NAME_MAX - 1);
    /* spaces at either end would be invisible in every list */
    if (name[0] == ' ' || name[n - 1] == ' ')
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "%s '%s' starts or ends with a space", what, name);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "%s contains a control character", what);
    return PMU_OK;
}

/* ---- sites ------------------------------------------------------------------------------ */

static const char site_get_sql[] =
    "SELECT s.name, s.nmi, s.address, s.notes, (SELECT COUNT(*) FROM meters m WHERE m.site_id = s.id) "
    "FROM sites s WHERE s.name = $1";
static const char site_list_sql[] =
    "SELECT s.name, s.nmi, s.address, s.notes, (SELECT COUNT(*) FROM meters m WHERE m.site_id = s.id) "
    "FROM sites s ORDER BY s.name";

/* A growing list of rows. get() points one at the caller's record with room for one,
 * so the same row function fills a single record without allocating. */
struct site_list {
    struct pmu_site_record *items;
    size_t n, cap;
};

static enum pmu_status site_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct site_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    struct pmu_site_record *r = &l->items[l->n++];
    pmu_store_col_copy(s, row, 0, r->name, sizeof r->name);
    pmu_store_col_copy(s, row, 1, r->nmi, sizeof r->nmi);
    pmu_store_col_copy(s, row, 2, r->address, sizeof r->address);
    pmu_store_col_copy(s, row, 3, r->notes, sizeof r->notes);
    r->n_meters = (size_t)s->ops->col_int(row, 4);
    return PMU_OK;
}

static enum pmu_status check_site(const struct pmu_site_record *site, struct pmu_error *err)
{
    enum pmu_status status = pmu_store_check_name(site->name, "site name", err);
    if (status != PMU_OK)
        return status;
    if (strnlen(site->nmi, sizeof site->nmi) >= sizeof site->nmi ||
        strnlen(site->address, sizeof site->address) >= sizeof site->address ||
        strnlen(site->notes, sizeof site->notes) >= sizeof site->notes)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "site '%s': a field is not terminated", site->name);
    for (const char *p = site->nmi; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')))
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "site '%s': NMI '%s' may hold only digits and capital letters", site->name,
                                 site->nmi);
    return PMU_OK;
}

enum pmu_status pmu_store_site_get(struct pmu_store *s, const char *name, struct pmu_site_record *out,
                                   struct pmu_error *err)
{
    struct site_list l = {out, 0, 1};
    struct pmu_store_arg a = pmu_arg_text(name);
    enum pmu_status status = s->ops->query(s, site_get_sql, &a, 1, site_row, &l, NULL, err);
    if (status == PMU_E_NOMEM)
        return pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    if (status == PMU_OK && l.n == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no site named '%s'", name);
    return status;
}

enum pmu_status pmu_store_site_list(struct pmu_store *s, struct pmu_site_record **out, size_t *n,
                                    struct pmu_error *err)
{
    struct site_list l = {NULL, 0, 0};
    enum pmu_status status = s->ops->query(s, site_list_sql, NULL, 0, site_row, &l, NULL, err);
    return pmu_store_list_done(status, l.items, l.n, (void **)out, n, err);
}

enum pmu_status pmu_store_site_add(struct pmu_store *s, const struct pmu_site_record *site, struct pmu_error *err)
{
    static const char sql[] = "INSERT INTO sites (name, nmi, address, notes, created_at, updated_at) "
                              "VALUES ($1, $2, $3, $4, $5, $5)";
    static const char exists[] = "SELECT id FROM sites WHERE name = $1";
    enum pmu_status status = check_site(site, err);
    if (status != PMU_OK)
        return status;
    struct pmu_store_arg a = pmu_arg_text(site->name);
    int64_t id;
    bool found;
    if ((status = pmu_store_query_int(s, exists, &a, 1, &id, &found, err)) != PMU_OK)
        return status;
    if (found)
        return pmu_error_set(err, PMU_E_EXISTS, PMU_NO_OFFSET, "site '%s' already exists", site->name);
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_text(site->name), pmu_arg_text(site->nmi), pmu_arg_text(site->address),
                                   pmu_arg_text(site->notes), pmu_arg_text(now)};
    return s->ops->query(s, sql, args, 5, NULL, NULL, NULL, err);
}

enum pmu_status pmu_store_site_update(struct pmu_store *s, const char *name, const struct pmu_site_record *site,
                                      struct pmu_error *err)
{
    static const char sql[] = "UPDATE sites SET name = $1, nmi = $2, address = $3, notes = $4, updated_at = $5 "
                              "WHERE name = $6";
    static const char exists[] = "SELECT id FROM sites WHERE name = $1";
    enum pmu_status status = check_site(site, err);
    if (status != PMU_OK)
        return status;
    struct pmu_site_record current;
    if ((status = pmu_store_site_get(s, name, &current, err)) != PMU_OK)
        return status;
    if (strcmp(name, site->name) != 0) {
        struct pmu_store_arg a = pmu_arg_text(site->name);
        int64_t id;
        bool found;
        if ((status = pmu_store_query_int(s, exists, &a, 1, &id, &found, err)) != PMU_OK)
            return status;
        if (found)
            return pmu_error_set(err, PMU_E_EXISTS, PMU_NO_OFFSET, "site '%s' already exists", site->name);
    }
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_text(site->name), pmu_arg_text(site->nmi), pmu_arg_text(site->address),
                                   pmu_arg_text(site->notes), pmu_arg_text(now), pmu_arg_text(name)};
    int64_t changed = 0;
    status = s->ops->query(s, sql, args, 6, NULL, NULL, &changed, err);
    if (status == PMU_OK && changed == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no site named '%s'", name);
    return status;
}

enum pmu_status pmu_store_site_remove(struct pmu_store *s, const char *name, struct pmu_error *err)
{
    static const char sql[] = "DELETE FROM sites WHERE name = $1";
    struct pmu_site_record site;
    enum pmu_status status = pmu_store_site_get(s, name, &site, err);
    if (status != PMU_OK)
        return status;
    if (site.n_meters > 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "site '%s' still has %zu meter%s: move or remove them first", name, site.n_meters,
                             site.n_meters == 1 ? "" : "s");
    struct pmu_store_arg a = pmu_arg_text(name);
    return s->ops->query(s, sql, &a, 1, NULL, NULL, NULL, err);
}

/* ---- groups ----------------------------------------------------------------------------- */

static const char group_list_sql[] =
    "SELECT g.name, g.description, (SELECT COUNT(*) FROM meter_group_members gm WHERE gm.group_id = g.id) "
    "FROM meter_groups g ORDER BY g.name";
static const char group_get_sql[] =
    "SELECT g.name, g.description, (SELECT COUNT(*) FROM meter_group_members gm WHERE gm.group_id = g.id) "
    "FROM meter_groups g WHERE g.name = $1";

struct group_list {
    struct pmu_group_record *items;
    size_t n, cap;
};

static enum pmu_status group_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct group_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    struct pmu_group_record *g = &l->items[l->n++];
    pmu_store_col_copy(s, row, 0, g->name, sizeof g->name);
    pmu_store_col_copy(s, row, 1, g->description, sizeof g->description);
    g->n_members = (size_t)s->ops->col_int(row, 2);
    return PMU_OK;
}

enum pmu_status pmu_store_group_get(struct pmu_store *s, const char *name, struct pmu_group_record *out,
                                    struct pmu_error *err)
{
    struct group_list l = {out, 0, 1};
    struct pmu_store_arg a = pmu_arg_text(name);
    enum pmu_status status = s->ops->query(s, group_get_sql, &a, 1, group_row, &l, NULL, err);
    if (status == PMU_OK && l.n == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no group named '%s'", name);
    return status;
}

enum pmu_status pmu_store_group_list(struct pmu_store *s, struct pmu_group_record **out, size_t *n,
                                     struct pmu_error *err)
{
    struct group_list l = {NULL, 0, 0};
    enum pmu_status status = s->ops->query(s, group_list_sql, NULL, 0, group_row, &l, NULL, err);
    return pmu_store_list_done(status, l.items, l.n, (void **)out, n, err);
}

enum pmu_status pmu_store_group_add(struct pmu_store *s, const char *name, const char *description,
                                    struct pmu_error *err)
{
    static const char sql[] = "INSERT INTO meter_groups (name, description, created_at) VALUES ($1, $2, $3)";
    enum pmu_status status = pmu_store_check_name(name, "group name", err);
    if (status != PMU_OK)
        return status;
    if (description != NULL && strlen(description) >= sizeof ((struct pmu_group_record *)0)->description)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "group description is too long");
    struct pmu_group_record g;
    struct pmu_error e2;
    if (pmu_store_group_get(s, name, &g, &e2) == PMU_OK)
        return pmu_error_set(err, PMU_E_EXISTS, PMU_NO_OFFSET, "group '%s' already exists", name);
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_text(name), pmu_arg_text(description ? description : ""),
                                   pmu_arg_text(now)};
    return s->ops->query(s, sql, args, 3, NULL, NULL, NULL, err);
}

enum pmu_status pmu_store_group_remove(struct pmu_store *s, const char *name, struct pmu_error *err)
{
    static const char members[] =
        "DELETE FROM meter_group_members WHERE group_id = (SELECT id FROM meter_groups WHERE name = $1)";
    static const char group[] = "DELETE FROM meter_groups WHERE name = $1";
    struct pmu_group_record g;
    enum pmu_status status = pmu_store_group_get(s, name, &g, err);
    if (status != PMU_OK)
        return status;
    struct pmu_store_arg a = pmu_arg_text(name);
    if ((status = pmu_store_begin(s, err)) != PMU_OK)
        return status;
    if ((status = s->ops->query(s, members, &a, 1, NULL, NULL, NULL, err)) != PMU_OK ||
        (status = s->ops->query(s, group, &a, 1, NULL, NULL, NULL, err)) != PMU_OK) {
        pmu_store_rollback(s);
        return status;
    }
    return pmu_store_commit(s, err);
}

static enum pmu_status group_id(struct pmu_store *s, const char *name, int64_t *id, struct pmu_error *err)
{
    static const char sql[] = "SELECT id FROM meter_groups WHERE name = $1";
    struct pmu_store_arg a = pmu_arg_text(name);
    bool found;
    enum pmu_status status = pmu_store_query_int(s, sql, &a, 1, id, &found, err);
    if (status == PMU_OK && !found)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "no group named '%s'", name);
    return status;
}

enum pmu_status pmu_store_group_add_member(struct pmu_store *s, const char *group, const char *serial,
                                           struct pmu_error *err)
{
    static const char sql[] =
        "INSERT INTO meter_group_members (group_id, meter_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    int64_t gid, mid, changed = 0;
    enum pmu_status status;
    if ((status = group_id(s, group, &gid, err)) != PMU_OK || (status = pmu_store_meter_id(s, serial, &mid, err)) != PMU_OK)
        return status;
    struct pmu_store_arg args[] = {pmu_arg_int(gid), pmu_arg_int(mid)};
    status = s->ops->query(s, sql, args, 2, NULL, NULL, &changed, err);
    if (status == PMU_OK && changed == 0)
        return pmu_error_set(err, PMU_E_EXISTS, PMU_NO_OFFSET, "meter '%s' is already in group '%s'", serial, group);
    return status;
}

enum pmu_status pmu_store_group_remove_member(struct pmu_store *s, const char *group, const char *serial,
                                              struct pmu_error *err)
{
    static const char sql[] = "DELETE FROM meter_group_members WHERE group_id = $1 AND meter_id = $2";
    int64_t gid, mid, changed = 0;
    enum pmu_status status;
    if ((status = group_id(s, group, &gid, err)) != PMU_OK || (status = pmu_store_meter_id(s, serial, &mid, err)) != PMU_OK)
        return status;
    struct pmu_store_arg args[] = {pmu_arg_int(gid), pmu_arg_int(mid)};
    status = s->ops->query(s, sql, args, 2, NULL, NULL, &changed, err);
    if (status == PMU_OK && changed == 0)
        return pmu_error_set(err, PMU_E_NOT_FOUND, PMU_NO_OFFSET, "meter '%s' is not in group '%s'", serial, group);
    return status;
}

enum pmu_status pmu_store_list_done(enum pmu_status status, void *items, size_t n, void **out,
                                    size_t *out_n, struct pmu_error *err)
{
    if (status != PMU_OK) {
        free(items);
        items = NULL;
        n = 0;
        if (status == PMU_E_NOMEM)
            pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    }
    *out = items;
    *out_n = n;
    return status;
}
