/* Users in the store: name, access level, Argon2id hash (never the password),
 * disabled flag. Levels are kept by name so the table reads plainly. */
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "internal.h"
#include "pmu/security.h"

#define USER_COLUMNS "SELECT name, level, disabled, created_at, updated_at, password_hash FROM users "

struct user_list {
    struct pmu_user_record *items;
    size_t n, cap;
    char *hash;                    /* get: where the hash goes, or NULL */
};

static enum pmu_status user_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct user_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    struct pmu_user_record *u = &l->items[l->n++];
    char level[32];
    pmu_store_col_copy(s, row, 0, u->name, sizeof u->name);
    pmu_store_col_copy(s, row, 1, level, sizeof level);
    /* an unknown level (a database edited by hand) grants nothing */
    if (pmu_level_parse(level, &u->level, NULL) != PMU_OK)
        u->level = PMU_LEVEL_NONE;
    u->disabled = s->ops->col_int(row, 2) != 0;
    pmu_store_col_copy(s, row, 3, u->created, sizeof u->created);
    pmu_store_col_copy(s, row, 4, u->updated, sizeof u->updated);
    if (l->hash != NULL)
        pmu_store_col_copy(s, row, 5, l->hash, PMU_PASSWORD_HASH_MAX);
    return PMU_OK;
}

enum pmu_status pmu_store_user_get(struct pmu_store *s, const char *name, struct pmu_user_record *out,
                                   char hash[PMU_PASSWORD_HASH_MAX], struct pmu_error *err)
{
    static const char sql[] = USER_COLUMNS "WHERE name = $1";
    struct user_list l = {out, 0, 1, hash};
    struct pmu_store_arg a = pmu_arg_text(name);
    if (hash != NULL)
        hash[0] = '\0';
    enum pmu_status status = s->ops->query(s, sql, &a, 1, user_row, &l, NULL, err);
    if (status == PMU_OK && l.n == 0)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "no user named '%s'", name);
    return status;
}

enum pmu_status pmu_store_user_list(struct pmu_store *s, struct pmu_user_record **out, size_t *n,
                                    struct pmu_error *err)
{
    static const char sql[] = USER_COLUMNS "ORDER BY name";
    struct user_list l = {NULL, 0, 0, NULL};
    enum pmu_status status = s->ops->query(s, sql, NULL, 0, user_row, &l, NULL, err);
    return pmu_store_list_done(status, l.items, l.n, (void **)out, n, err);
}

enum pmu_status pmu_store_user_count(struct pmu_store *s, size_t *n, struct pmu_error *err)
{
    static const char sql[] = "SELECT COUNT(*) FROM users";
    int64_t v = 0;
    enum pmu_status status = pmu_store_query_int(s, sql, NULL, 0, &v, NULL, err);
    *n = (size_t)v;
    return status;
}

enum pmu_status pmu_store_user_add(struct pmu_store *s, const struct pmu_user_record *u, const char *hash,
                                   struct pmu_error *err)
{
    static const char sql[] = "INSERT INTO users (name, level, password_hash, disabled, created_at, updated_at) "
                              "VALUES ($1, $2, $3, $4, $5, $5)";
    enum pmu_status status = pmu_store_check_name(u->name, "user name", err);
    if (status != PMU_OK)
        return status;
    if (u->level < PMU_LEVEL_READ_ONLY || u->level > PMU_LEVEL_ADMINISTRATOR)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "user '%s': no such level", u->name);
    struct pmu_user_record old;
    struct pmu_error e2;
    if (pmu_store_user_get(s, u->name, &old, NULL, &e2) == PMU_OK)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "user '%s' already exists", u->name);
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_text(u->name), pmu_arg_text(pmu_level_name(u->level)),
                                   pmu_arg_text(hash), pmu_arg_int(u->disabled), pmu_arg_text(now)};
    return s->ops->query(s, sql, args, 5, NULL, NULL, NULL, err);
}

static enum pmu_status update(struct pmu_store *s, const char *sql, const char *name, struct pmu_store_arg value,
                              struct pmu_error *err)
{
    char now[24];
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {value, pmu_arg_text(now), pmu_arg_text(name)};
    int64_t changed = 0;
    enum pmu_status status = s->ops->query(s, sql, args, 3, NULL, NULL, &changed, err);
    if (status == PMU_OK && changed == 0)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "no user named '%s'", name);
    return status;
}

enum pmu_status pmu_store_user_set_password(struct pmu_store *s, const char *name, const char *hash,
                                            struct pmu_error *err)
{
    static const char sql[] = "UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3";
    return update(s, sql, name, pmu_arg_text(hash), err);
}

enum pmu_status pmu_store_user_set_disabled(struct pmu_store *s, const char *name, bool disabled,
                                            struct pmu_error *err)
{
    static const char sql[] = "UPDATE users SET disabled = $1, updated_at = $2 WHERE name = $3";
    return update(s, sql, name, pmu_arg_int(disabled), err);
}

enum pmu_status pmu_store_user_set_level(struct pmu_store *s, const char *name, enum pmu_level level,
                                         struct pmu_error *err)
{
    static const char sql[] = "UPDATE users SET level = $1, updated_at = $2 WHERE name = $3";
    if (level < PMU_LEVEL_READ_ONLY || level > PMU_LEVEL_ADMINISTRATOR)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "user '%s': no such level", name);
    return update(s, sql, name, pmu_arg_text(pmu_level_name(level)), err);
}
