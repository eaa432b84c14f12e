/* Programming schemes in the store: each scheme a name, each import a numbered
 * version holding the text exactly as written. Two imports racing for the same
 * version number are kept apart by UNIQUE (scheme_id, version): the loser fails and
 * stores nothing. */
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "internal.h"

static const char latest_sql[] =
    "SELECT v.version, v.body FROM scheme_versions v JOIN schemes s ON s.id = v.scheme_id "
    "WHERE s.name = $1 AND ($2 = 0 OR v.version = $2) ORDER BY v.version DESC LIMIT 1";

struct text_result {
    bool found;
    int version;
    char *text;
    bool nomem;
};

static enum pmu_status text_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct text_result *r = user;
    size_t len = 0;
    const char *t = s->ops->col_text(row, 1, &len);
    r->found = true;
    r->version = (int)s->ops->col_int(row, 0);
    free(r->text);
    r->text = malloc(len + 1);
    if (r->text == NULL) {
        r->nomem = true;
        return PMU_E_NOMEM;
    }
    if (t != NULL)
        memcpy(r->text, t, len);
    r->text[len] = '\0';
    return PMU_OK;
}

static enum pmu_status get_text(struct pmu_store *s, const char *name, int version, struct text_result *r,
                                struct pmu_error *err)
{
    struct pmu_store_arg args[] = {pmu_arg_text(name), pmu_arg_int(version)};
    memset(r, 0, sizeof *r);
    enum pmu_status st = s->ops->query(s, latest_sql, args, 2, text_row, r, NULL, err);
    if (r->nomem)
        st = pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory reading scheme '%s'", name);
    if (st != PMU_OK) {
        free(r->text);
        r->text = NULL;
    }
    return st;
}

enum pmu_status pmu_store_scheme_import(struct pmu_store *s, const char *name, const char *text,
                                        const char *imported_by, int *version, bool *unchanged,
                                        struct pmu_error *err)
{
    static const char find[] = "SELECT id FROM schemes WHERE name = $1";
    static const char add_scheme[] = "INSERT INTO schemes (name, created_at) VALUES ($1, $2)";
    static const char add_version[] =
        "INSERT INTO scheme_versions (scheme_id, version, body, imported_by, imported_at) VALUES ($1, $2, $3, $4, $5)";
    enum pmu_status st = pmu_store_check_name(name, "scheme name", err);
    if (st != PMU_OK)
        return st;
    *unchanged = false;
    if ((st = pmu_store_begin(s, err)) != PMU_OK)
        return st;
    char now[24];
    pmu_store_utc_text(0, now);
    struct text_result latest;
    int64_t id;
    bool found;
    struct pmu_store_arg a = pmu_arg_text(name);
    if ((st = get_text(s, name, 0, &latest, err)) != PMU_OK)
        goto fail;
    if (latest.found && strcmp(latest.text, text) == 0) {
        free(latest.text);
        *version = latest.version;
        *unchanged = true;
        pmu_store_rollback(s);
        return PMU_OK;
    }
    free(latest.text);
    if ((st = pmu_store_query_int(s, find, &a, 1, &id, &found, err)) != PMU_OK)
        goto fail;
    if (!found) {
        struct pmu_store_arg args[] = {pmu_arg_text(name), pmu_arg_text(now)};
        if ((st = s->ops->query(s, add_scheme, args, 2, NULL, NULL, NULL, err)) != PMU_OK ||
            (st = pmu_store_query_int(s, find, &a, 1, &id, &found, err)) != PMU_OK)
            goto fail;
    }
    int next = latest.found ? latest.version + 1 : 1;
    struct pmu_store_arg args[] = {pmu_arg_int(id), pmu_arg_int(next), pmu_arg_text(text),
                                   pmu_arg_text(imported_by != NULL ? imported_by : ""), pmu_arg_text(now)};
    if ((st = s->ops->query(s, add_version, args, 5, NULL, NULL, NULL, err)) != PMU_OK)
        goto fail;
    if ((st = pmu_store_commit(s, err)) != PMU_OK)
        return st;
    *version = next;
    return PMU_OK;
fail:
    pmu_store_rollback(s);
    return st;
}

enum pmu_status pmu_store_scheme_get(struct pmu_store *s, const char *name, int *version, char **text,
                                     struct pmu_error *err)
{
    struct text_result r;
    *text = NULL;
    enum pmu_status st = get_text(s, name, *version, &r, err);
    if (st != PMU_OK)
        return st;
    if (!r.found) {
        if (*version != 0)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "scheme '%s' has no version %d (see pmu scheme "
                                 "history %s)", name, *version, name);
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "no scheme '%s' (see pmu scheme list)", name);
    }
    *version = r.version;
    *text = r.text;
    return PMU_OK;
}

struct version_list {
    struct pmu_scheme_version_record *items;
    size_t n, cap;
};

static enum pmu_status version_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct version_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    struct pmu_scheme_version_record *v = &l->items[l->n++];
    memset(v, 0, sizeof *v);
    pmu_store_col_copy(s, row, 0, v->name, sizeof v->name);
    v->version = (int)s->ops->col_int(row, 1);
    pmu_store_col_copy(s, row, 2, v->imported_by, sizeof v->imported_by);
    pmu_store_col_copy(s, row, 3, v->imported_at, sizeof v->imported_at);
    v->n_versions = (size_t)s->ops->col_int(row, 4);
    return PMU_OK;
}

enum pmu_status pmu_store_scheme_list(struct pmu_store *s, struct pmu_scheme_version_record **out, size_t *n,
                                      struct pmu_error *err)
{
    static const char sql[] =
        "SELECT s.name, v.version, v.imported_by, v.imported_at, "
        "(SELECT COUNT(*) FROM scheme_versions c WHERE c.scheme_id = s.id) "
        "FROM schemes s JOIN scheme_versions v ON v.scheme_id = s.id "
        "WHERE v.version = (SELECT MAX(m.version) FROM scheme_versions m WHERE m.scheme_id = s.id) ORDER BY s.name";
    struct version_list l = {NULL, 0, 0};
    enum pmu_status st = s->ops->query(s, sql, NULL, 0, version_row, &l, NULL, err);
    return pmu_store_list_done(st, l.items, l.n, (void **)out, n, err);
}

enum pmu_status pmu_store_scheme_history(struct pmu_store *s, const char *name,
                                         struct pmu_scheme_version_record **out, size_t *n,
                                         struct pmu_error *err)
{
    static const char sql[] = "SELECT s.name, v.version, v.imported_by, v.imported_at, 0 FROM schemes s "
                              "JOIN scheme_versions v ON v.scheme_id = s.id WHERE s.name = $1 ORDER BY v.version";
    struct version_list l = {NULL, 0, 0};
    struct pmu_store_arg a = pmu_arg_text(name);
    enum pmu_status st = s->ops->query(s, sql, &a, 1, version_row, &l, NULL, err);
    if (st == PMU_OK && l.n == 0) {
        free(l.items);
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "no scheme '%s' (see pmu scheme list)", name);
    }
    return pmu_store_list_done(st, l.items, l.n, (void **)out, n, err);
}
