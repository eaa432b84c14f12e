/* Line pools while the engine runs: see lines.h. */
#include "lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pmu_status pool_run_init(struct pool_run *r, const struct pmu_pool *def, struct pmu_error *err)
{
    memset(r, 0, sizeof *r);
    r->def = *def;
    r->def.lines = malloc(def->n_lines * sizeof *def->lines);
    r->def.lines_cap = def->n_lines;
    r->lines = calloc(def->n_lines, sizeof *r->lines);
    if (def->n_lines == 0 || r->def.lines == NULL || r->lines == NULL) {
        pool_run_free(r);
        return pmu_error_set(err, def->n_lines == 0 ? PMU_E_INVALID : PMU_E_NOMEM, PMU_NO_OFFSET,
                             def->n_lines == 0 ? "pool %s has no lines" : "out of memory", def->name);
    }
    memcpy(r->def.lines, def->lines, def->n_lines * sizeof *def->lines);
    if (r->def.calls_per_line == 0)
        r->def.calls_per_line = 1;
    if (r->def.bad_after == 0)
        r->def.bad_after = 1;
    for (size_t i = 0; i < def->n_lines; i++)
        pmu_pool_line_name(&def->lines[i], r->lines[i].name, sizeof r->lines[i].name);
    return PMU_OK;
}

void pool_run_free(struct pool_run *r)
{
    free(r->def.lines);
    free(r->lines);
    r->def.lines = NULL;
    r->lines = NULL;
}

long pool_pick(struct pool_run *r, bool (*taken)(void *ctx, const struct pmu_path *line), void *ctx)
{
    size_t n = r->def.n_lines, healthy = 0;
    for (size_t i = 0; i < n; i++)
        healthy += !r->lines[i].bad;
    if (healthy == 0)
        return -2;
    if (r->def.max_calls != 0 && r->calls >= r->def.max_calls)
        return -1;
    for (size_t k = 0; k < n; k++) {
        size_t i = (r->next_line + k) % n;
        struct pool_line *l = &r->lines[i];
        if (l->bad || l->calls >= r->def.calls_per_line || taken(ctx, &r->def.lines[i]))
            continue;
        l->calls++;
        r->calls++;
        r->next_line = (i + 1) % n;
        return (long)i;
    }
    return -1;
}

enum call_outcome pool_judge(const struct pmu_session *s, bool link_failed)
{
    if (s->status == PMU_OK)
        return CALL_OK;
    if (link_failed || s->dialer.line_fault)
        return CALL_LINE_FAULT;
    /* the number was dialled and the call did not come up: busy, no answer, no carrier */
    bool call_failed = s->path.dial.kind != PMU_DIAL_NONE && s->dialer.status != PMU_OK &&
                       s->dialer.connect[0] == '\0';
    switch (s->status) {
    case PMU_E_IO:        /* the call was lost */
    case PMU_E_TIMEOUT:   /* the meter went quiet */
    case PMU_E_BCC:       /* a noisy call */
    case PMU_E_TRUNCATED:
        return CALL_RETRY;
    default:
        return call_failed ? CALL_RETRY : CALL_FINAL;
    }
}

bool pool_release(struct pool_run *r, size_t i, enum call_outcome outcome, const char *why)
{
    struct pool_line *l = &r->lines[i];
    l->calls--;
    r->calls--;
    if (outcome != CALL_LINE_FAULT) {
        l->faults = 0; /* the line carried a call (or at least a dial) to the far end */
        return false;
    }
    l->faults++;
    snprintf(l->why, sizeof l->why, "%s", why);
    if (l->bad || l->faults < r->def.bad_after)
        return false;
    l->bad = true;
    return true;
}

void pool_all_bad_message(const struct pool_run *r, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "pool %s: every line is out of service", r->def.name);
    for (size_t i = 0; i < r->def.n_lines && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s %s: %s", i == 0 ? " —" : ";", r->lines[i].name,
                              r->lines[i].why);
}
