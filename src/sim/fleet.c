/* Meter options by name and fleet files: the two ways pmu-sim is told what to play.
 *
 * Command-line options and fleet-file options go through the same setter, so both
 * accept the same values and say the same thing about bad ones. */
#include "pmu/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster.h"

static const unsigned rates[] = {300, 600, 1200, 2400, 4800, 9600, 19200};
#define RATE_LIST "300, 600, 1200, 2400, 4800, 9600, 19200"

/* The meter models pmu-sim can play, by the name fleet files use. */
static const struct pmu_sim_model *const models[] = {&pmu_sim_generic};

const struct pmu_sim_model *pmu_sim_model_find(const char *name)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (strcmp(models[i]->name, name) == 0)
            return models[i];
    return NULL;
}

void pmu_sim_config_init(struct pmu_sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->model = &pmu_sim_generic;
    c->mode = PMU_IEC_MODE_C;
    c->baud = 9600;
    c->reaction_ms = PMU_SIM_REACTION_MS;
    strcpy(c->password, "00000000");
    c->seed = 1;
    c->fault_seed = 1;
}

/* A decimal number without sign or spaces, at most max. */
static bool parse_unsigned(const char *s, unsigned long max, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

/* An Elster model file name: models/<name>.json. */
static bool model_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PMU_SIM_MODEL_NAME_MAX || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s) != NULL))
            return false;
    return true;
}

static bool password_ok(const char *s)
{
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7E || strchr("()/!", *s) != NULL)
            return false;
    return true;
}

enum pmu_status pmu_sim_config_set(struct pmu_sim_config *c, const char *name,
                                   const char *value, struct pmu_error *err)
{
    unsigned long n;
    if (strcmp(name, "model") == 0) {
        const struct pmu_sim_model *m = pmu_sim_model_find(value);
        if (m == NULL && !model_name_ok(value))
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option 'model': '%s' is neither generic nor the name of an "
                                 "Elster model file (1..%d of a-z 0-9 . _ -, e.g. a1700-16tou)",
                                 value, PMU_SIM_MODEL_NAME_MAX);
        c->model = m != NULL ? m : &pmu_sim_elster;
        snprintf(c->elster_name, sizeof c->elster_name, "%s", m != NULL ? "" : value);
        c->elster = NULL; /* the program loads the file */
    } else if (strcmp(name, "password1") == 0 || strcmp(name, "password2") == 0 ||
               strcmp(name, "password4") == 0) {
        if (strlen(value) != PMU_ELSTER_PASSWORD_LEN || !password_ok(value))
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option '%s': expected 8 printable characters other than "
                                 "( ) / !", name);
        char *slot = name[8] == '1' ? c->password1 : name[8] == '2' ? c->password2 : c->password4;
        strcpy(slot, value);
    } else if (strcmp(name, "password_timeout") == 0) {
        if (!parse_unsigned(value, 3600, &n) || n == 0)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option 'password_timeout': %s is not a number of seconds "
                                 "1..3600", value);
        c->password_timeout_s = (unsigned)n;
    } else if (strcmp(name, "mode") == 0) {
        if (strcmp(value, "A") == 0)
            c->mode = PMU_IEC_MODE_A;
        else if (strcmp(value, "B") == 0)
            c->mode = PMU_IEC_MODE_B;
        else if (strcmp(value, "C") == 0)
            c->mode = PMU_IEC_MODE_C;
        else
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option 'mode': '%s' is not one of A, B, C", value);
    } else if (strcmp(name, "baud") == 0) {
        bool ok = parse_unsigned(value, 19200, &n);
        for (size_t i = 0; ok && i < sizeof rates / sizeof rates[0]; i++)
            if (rates[i] == n) {
                c->baud = (unsigned)n;
                return PMU_OK;
            }
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "option 'baud': %s is not one of " RATE_LIST, value);
    } else if (strcmp(name, "reaction_ms") == 0) {
        if (!parse_unsigned(value, 1500, &n))
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option 'reaction_ms': %s is not a number of 0..1500", value);
        c->reaction_ms = (unsigned)n;
    } else if (strcmp(name, "password") == 0) {
        if (strlen(value) == 0 || strlen(value) > PMU_SIM_PASSWORD_MAX || !password_ok(value))
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option 'password': expected 1..%d printable characters "
                                 "other than ( ) / !", PMU_SIM_PASSWORD_MAX);
        strcpy(c->password, value);
    } else if (strcmp(name, "faults") == 0) {
        struct pmu_error e;
        if (pmu_sim_faults_parse(value, &c->faults, &e) != PMU_OK)
            return pmu_error_set(err, e.code, PMU_NO_OFFSET, "option 'faults': %s", e.message);
    } else {
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "unknown option '%s': expected model, mode, baud, reaction_ms, "
                             "password, faults, password1, password2, password4 or "
                             "password_timeout", name);
    }
    return PMU_OK;
}

enum pmu_status pmu_sim_config_check(const struct pmu_sim_config *c, struct pmu_error *err)
{
    if (c->elster_name[0] != '\0' && c->mode != PMU_IEC_MODE_C)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "model '%s' speaks mode C only: option 'mode' must be C",
                             c->elster_name);
    if (c->elster_name[0] != '\0' && strlen(c->password) != PMU_ELSTER_PASSWORD_LEN)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "model '%s' takes 8-character passwords: option 'password' has %zu",
                             c->elster_name, strlen(c->password));
    if (c->mode == PMU_IEC_MODE_B && c->baud < 600)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "mode B switches to 600..19200 baud: option 'baud' %u does not fit",
                             c->baud);
    return PMU_OK;
}

void pmu_sim_fleet_init(struct pmu_sim_fleet *f)
{
    memset(f, 0, sizeof *f);
}

void pmu_sim_fleet_free(struct pmu_sim_fleet *f)
{
    free(f->groups);
    memset(f, 0, sizeof *f);
}

enum pmu_status pmu_sim_fleet_add(struct pmu_sim_fleet *f, const struct pmu_sim_group *g,
                                  struct pmu_error *err)
{
    if (g->count == 0 || g->count > PMU_SIM_MAX_METERS - f->total)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "%u meters would make more than %u in all", g->count,
                             PMU_SIM_MAX_METERS);
    if (g->multidrop == 0 || g->multidrop > PMU_SIM_MAX_MULTIDROP)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "multidrop %u is not 1..%d", g->multidrop, PMU_SIM_MAX_MULTIDROP);
    enum pmu_status st = pmu_sim_config_check(&g->cfg, err);
    if (st != PMU_OK)
        return st;
    if (f->n_groups == f->cap_groups) {
        size_t cap = f->cap_groups ? f->cap_groups * 2 : 8;
        struct pmu_sim_group *ng = realloc(f->groups, cap * sizeof *ng);
        if (ng == NULL)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        f->groups = ng;
        f->cap_groups = cap;
    }
    struct pmu_sim_group *dst = &f->groups[f->n_groups++];
    *dst = *g;
    dst->cfg.fixed_rate = g->transport == PMU_SIM_TCP;
    dst->cfg.addressed_only = g->multidrop > 1;
    f->total += g->count;
    return PMU_OK;
}

/* The next word of a line: runs of bytes other than space and tab. */
static bool next_word(const char **p, const char *end, char *buf, size_t size, bool *too_long)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    if (*p == end)
        return false;
    size_t n = 0;
    *too_long = false;
    while (*p < end && **p != ' ' && **p != '\t') {
        if (n + 1 < size)
            buf[n++] = **p;
        else
            *too_long = true;
        (*p)++;
    }
    buf[n] = '\0';
    return true;
}

/* One non-empty line: count kind [name=value ...]. */
static enum pmu_status parse_line(struct pmu_sim_fleet *f, const char *p, const char *end,
                                  size_t line, const struct pmu_sim_config *defaults,
                                  struct pmu_error *err)
{
    char word[256];
    bool too_long;
    unsigned long n;
    struct pmu_sim_group g = {.line = line, .multidrop = 1, .cfg = *defaults};
    struct pmu_error e;

    next_word(&p, end, word, sizeof word, &too_long);
    if (!parse_unsigned(word, PMU_SIM_MAX_METERS, &n) || n == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "line %zu: expected a meter count of 1..%u first, got '%s'", line,
                             PMU_SIM_MAX_METERS, word);
    g.count = (unsigned)n;
    if (!next_word(&p, end, word, sizeof word, &too_long))
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "line %zu: expected the kind of meter line (tcp or pty) after the count",
                             line);
    if (strcmp(word, "tcp") == 0)
        g.transport = PMU_SIM_TCP;
    else if (strcmp(word, "pty") == 0)
        g.transport = PMU_SIM_PTY;
    else
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "line %zu: unknown kind '%s': expected tcp or pty", line, word);
    while (next_word(&p, end, word, sizeof word, &too_long)) {
        char *eq = strchr(word, '=');
        if (too_long)
            return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET,
                                 "line %zu: option '%.20s...' is too long", line, word);
        if (eq == NULL || eq == word)
            return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                                 "line %zu: expected name=value, got '%s'", line, word);
        *eq = '\0';
        const char *value = eq + 1;
        if (strcmp(word, "multidrop") == 0) {
            if (!parse_unsigned(value, PMU_SIM_MAX_MULTIDROP, &n) || n == 0)
                return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                     "line %zu: option 'multidrop': %s is not a number of 1..%d",
                                     line, value, PMU_SIM_MAX_MULTIDROP);
            g.multidrop = (unsigned)n;
        } else if (pmu_sim_config_set(&g.cfg, word, value, &e) != PMU_OK) {
            return pmu_error_set(err, e.code, PMU_NO_OFFSET, "line %zu: %s", line, e.message);
        }
    }
    if (pmu_sim_fleet_add(f, &g, &e) != PMU_OK)
        return pmu_error_set(err, e.code, PMU_NO_OFFSET, "line %zu: %s", line, e.message);
    return PMU_OK;
}

enum pmu_status pmu_sim_fleet_parse(struct pmu_sim_fleet *f, const char *text, size_t len,
                                    const struct pmu_sim_config *defaults,
                                    struct pmu_error *err)
{
    const char *p = text, *end = text + len;
    for (size_t line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *stop = eol ? eol : end;
        const char *hash = memchr(p, '#', (size_t)(stop - p)); /* comment to end of line */
        const char *content_end = hash ? hash : stop;
        while (content_end > p && (content_end[-1] == '\r' || content_end[-1] == ' ' ||
                                   content_end[-1] == '\t'))
            content_end--;
        const char *q = p;
        while (q < content_end && (*q == ' ' || *q == '\t'))
            q++;
        if (memchr(q, '\0', (size_t)(content_end - q)) != NULL)
            return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                                 "line %zu: unexpected NUL byte", line);
        if (q < content_end) {
            enum pmu_status st = parse_line(f, q, content_end, line, defaults, err);
            if (st != PMU_OK)
                return st;
        }
        p = eol ? eol + 1 : end;
    }
    return PMU_OK;
}
