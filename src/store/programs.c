/* Programming runs in the store: one row per `pmu program` attempt and one per item
 * of the compiled scheme, updated as the items are confirmed (docs/programming.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "internal.h"

enum pmu_status pmu_store_program_begin(struct pmu_store *s, struct pmu_program_run_record *r,
                                        const struct pmu_program_item_record *items, size_t n,
                                        struct pmu_error *err)
{
    static const char add_run[] =
        "INSERT INTO program_runs (meter, scheme, version, actor, started_at, resumes) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    static const char add_item[] =
        "INSERT INTO program_items (run_id, position, item, what, status, message) VALUES ($1, $2, $3, $4, $5, $6)";
    enum pmu_status st = pmu_store_begin(s, err);
    if (st != PMU_OK)
        return st;
    pmu_store_utc_text(0, r->started_at);
    snprintf(r->outcome, sizeof r->outcome, "running");
    struct pmu_store_arg args[] = {pmu_arg_text(r->meter),   pmu_arg_text(r->scheme),     pmu_arg_int(r->version),
                                   pmu_arg_text(r->actor),   pmu_arg_text(r->started_at), pmu_arg_int(r->resumes)};
    bool found = false;
    if ((st = pmu_store_query_int(s, add_run, args, 6, &r->id, &found, err)) != PMU_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        struct pmu_store_arg ia[] = {pmu_arg_int(r->id),           pmu_arg_int(items[i].position),
                                     pmu_arg_text(items[i].item),  pmu_arg_text(items[i].what),
                                     pmu_arg_text(items[i].status), pmu_arg_text(items[i].message)};
        if ((st = s->ops->query(s, add_item, ia, 6, NULL, NULL, NULL, err)) != PMU_OK)
            goto fail;
    }
    return pmu_store_commit(s, err);
fail:
    pmu_store_rollback(s);
    return st;
}

enum pmu_status pmu_store_program_item(struct pmu_store *s, int64_t id, int position, const char *status,
                                       const char *message, struct pmu_error *err)
{
    static const char sql[] = "UPDATE program_items SET status = $1, message = $2 WHERE run_id = $3 AND position = $4";
    struct pmu_store_arg args[] = {pmu_arg_text(status), pmu_arg_text(message != NULL ? message : ""),
                                   pmu_arg_int(id), pmu_arg_int(position)};
    return s->ops->query(s, sql, args, 4, NULL, NULL, NULL, err);
}

enum pmu_status pmu_store_program_end(struct pmu_store *s, int64_t id, const char *outcome, const char *message,
                                      struct pmu_error *err)
{
    static const char sql[] = "UPDATE program_runs SET outcome = $1, message = $2, ended_at = $3 WHERE id = $4";
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_text(outcome), pmu_arg_text(message != NULL ? message : ""),
                                   pmu_arg_text(now), pmu_arg_int(id)};
    return s->ops->query(s, sql, args, 4, NULL, NULL, NULL, err);
}

struct run_result {
    struct pmu_program_run_record *r;
    bool found;
};

static enum pmu_status run_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct run_result *res = user;
    struct pmu_program_run_record *r = res->r;
    res->found = true;
    r->id = s->ops->col_int(row, 0);
    pmu_store_col_copy(s, row, 1, r->meter, sizeof r->meter);
    pmu_store_col_copy(s, row, 2, r->scheme, sizeof r->scheme);
    r->version = (int)s->ops->col_int(row, 3);
    pmu_store_col_copy(s, row, 4, r->actor, sizeof r->actor);
    pmu_store_col_copy(s, row, 5, r->started_at, sizeof r->started_at);
    pmu_store_col_copy(s, row, 6, r->ended_at, sizeof r->ended_at);
    pmu_store_col_copy(s, row, 7, r->outcome, sizeof r->outcome);
    pmu_store_col_copy(s, row, 8, r->message, sizeof r->message);
    r->resumes = s->ops->col_int(row, 9);
    return PMU_OK;
}

struct item_list {
    struct pmu_program_item_record *items;
    size_t n, cap;
};

static enum pmu_status item_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct item_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    struct pmu_program_item_record *it = &l->items[l->n++];
    memset(it, 0, sizeof *it);
    it->position = (int)s->ops->col_int(row, 0);
    pmu_store_col_copy(s, row, 1, it->item, sizeof it->item);
    pmu_store_col_copy(s, row, 2, it->what, sizeof it->what);
    pmu_store_col_copy(s, row, 3, it->status, sizeof it->status);
    pmu_store_col_copy(s, row, 4, it->message, sizeof it->message);
    return PMU_OK;
}

enum pmu_status pmu_store_program_get(struct pmu_store *s, const char *meter, int64_t id,
                                      struct pmu_program_run_record *r, struct pmu_program_item_record **items,
                                      size_t *n, bool *found, struct pmu_error *err)
{
    static const char run_sql[] =
        "SELECT id, meter, scheme, version, actor, started_at, ended_at, outcome, message, resumes "
        "FROM program_runs WHERE meter = $1 AND ($2 = 0 OR id = $2) ORDER BY id DESC LIMIT 1";
    static const char items_sql[] =
        "SELECT position, item, what, status, message FROM program_items WHERE run_id = $1 ORDER BY position";
    memset(r, 0, sizeof *r);
    *items = NULL;
    *n = 0;
    struct run_result res = {r, false};
    struct pmu_store_arg args[] = {pmu_arg_text(meter), pmu_arg_int(id)};
    enum pmu_status st = s->ops->query(s, run_sql, args, 2, run_row, &res, NULL, err);
    *found = res.found;
    if (st != PMU_OK || !res.found)
        return st;
    struct item_list l = {NULL, 0, 0};
    struct pmu_store_arg ia = pmu_arg_int(r->id);
    st = s->ops->query(s, items_sql, &ia, 1, item_row, &l, NULL, err);
    if (st != PMU_OK) {
        free(l.items);
        return st == PMU_E_NOMEM ? pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory") : st;
    }
    *items = l.items;
    *n = l.n;
    return PMU_OK;
}
