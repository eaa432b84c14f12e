/* Line pool definitions: see pmu/pool.h and docs/comms-paths.md. */
#include "pmu/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"

bool pmu_pool_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

void pmu_pool_free(struct pmu_pool *p)
{
    free(p->lines);
    p->lines = NULL;
    p->n_lines = p->lines_cap = 0;
}

void pmu_pool_line_name(const struct pmu_path *line, char *buf, size_t size)
{
    if (line->kind == PMU_LINK_SERIAL)
        snprintf(buf, size, "serial:%s", line->target);
    else if (line->kind == PMU_LINK_TCP)
        snprintf(buf, size, strchr(line->target, ':') ? "tcp:[%s]:%u" : "tcp:%s:%u", line->target, line->port);
    else
        snprintf(buf, size, "pool:%s", line->target);
}

/* The message of an inner error without its "byte N: " (the caller adds its own). */
static const char *bare_message(const struct pmu_error *e)
{
    const char *m = e->message;
    if (e->offset != PMU_NO_OFFSET && strncmp(m, "byte ", 5) == 0) {
        const char *colon = strstr(m, ": ");
        if (colon != NULL)
            return colon + 2;
    }
    return m;
}

static enum pmu_status parse_line(struct pmu_pool *p, const char *text, size_t at, size_t len,
                                  struct pmu_error *err)
{
    size_t k = p->n_lines + 1;
    char buf[1024];
    if (len == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, at, "line %zu is empty: expected serial:DEVICE or tcp:HOST:PORT", k);
    if (len >= sizeof buf)
        return pmu_error_set(err, PMU_E_TOO_LONG, at, "line %zu is longer than %zu characters", k, sizeof buf - 1);
    if (p->n_lines == PMU_POOL_LINES_MAX)
        return pmu_error_set(err, PMU_E_RANGE, at, "a pool has at most %d lines", PMU_POOL_LINES_MAX);
    memcpy(buf, text + at, len);
    buf[len] = '\0';
    if (memchr(buf, '>', len) != NULL)
        return pmu_error_set(err, PMU_E_SYNTAX, at + (size_t)(strchr(buf, '>') - buf),
                             "line %zu: a pool line is the link only; the meter's path says what to dial", k);
    struct pmu_path line;
    struct pmu_error inner;
    if (pmu_path_parse(buf, &line, &inner) != PMU_OK)
        return pmu_error_set(err, inner.code, inner.offset != PMU_NO_OFFSET ? at + inner.offset : at,
                             "line %zu: %s", k, bare_message(&inner));
    if (line.kind == PMU_LINK_POOL)
        return pmu_error_set(err, PMU_E_SYNTAX, at, "line %zu: a pool cannot hold another pool", k);
    for (size_t i = 0; i < p->n_lines; i++) {
        const struct pmu_path *o = &p->lines[i];
        if (o->kind == line.kind && o->port == line.port && strcmp(o->target, line.target) == 0)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "line %zu is line %zu again", k, i + 1);
    }
    void *items = p->lines;
    if (!pmu_grow(&items, &p->lines_cap, p->n_lines, sizeof line))
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    p->lines = items;
    p->lines[p->n_lines++] = line;
    return PMU_OK;
}

struct limit {
    const char *name;
    size_t field;
    unsigned min, max;
};

static const struct limit limits[] = {
    {"max_calls", offsetof(struct pmu_pool, max_calls), 1, 100000},
    {"calls_per_line", offsetof(struct pmu_pool, calls_per_line), 1, 64},
    {"retries", offsetof(struct pmu_pool, retries), 0, 20},
    {"retry_delay_ms", offsetof(struct pmu_pool, retry_delay_ms), 0, 3600000},
    {"bad_after", offsetof(struct pmu_pool, bad_after), 1, 100},
};

static enum pmu_status parse_option(struct pmu_pool *p, const char *text, size_t at, size_t len,
                                    unsigned *seen, struct pmu_error *err)
{
    const char *o = text + at, *eq = memchr(o, '=', len);
    if (eq == NULL || eq == o)
        return pmu_error_set(err, PMU_E_SYNTAX, at, "expected option=value, got '%.*s'", (int)len, o);
    size_t nlen = (size_t)(eq - o), vlen = len - nlen - 1;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (strlen(limits[i].name) != nlen || memcmp(limits[i].name, o, nlen) != 0)
            continue;
        if (*seen & (1u << i))
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option '%s' is given twice", limits[i].name);
        *seen |= 1u << i;
        unsigned long v = 0;
        bool ok = vlen > 0 && vlen <= 9;
        for (size_t k = 0; ok && k < vlen; k++) {
            ok = eq[1 + k] >= '0' && eq[1 + k] <= '9';
            v = v * 10 + (unsigned long)(eq[1 + k] - '0');
        }
        if (!ok || v < limits[i].min || v > limits[i].max)
            return pmu_error_set(err, PMU_E_RANGE, at + nlen + 1, "option '%s': '%.*s' is not a number in %u..%u",
                                 limits[i].name, (int)vlen, eq + 1, limits[i].min, limits[i].max);
        *(unsigned *)(void *)((char *)p + limits[i].field) = (unsigned)v;
        return PMU_OK;
    }
    return pmu_error_set(err, PMU_E_SYNTAX, at,
                         "unknown pool option '%.*s' (known: max_calls, calls_per_line, retries, "
                         "retry_delay_ms, bad_after)", (int)nlen, o);
}

enum pmu_status pmu_pool_parse(const char *text, struct pmu_pool *out, struct pmu_error *err)
{
    memset(out, 0, sizeof *out);
    out->calls_per_line = 1;
    out->retries = 3;
    out->retry_delay_ms = 30000;
    out->bad_after = 3;
    size_t name_len = strcspn(text, "=");
    if (text[name_len] != '=')
        return pmu_error_set(err, PMU_E_SYNTAX, name_len, "expected NAME=LINE,LINE,... (a pool name, then '=')");
    if (name_len == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, 0, "expected a pool name before '='");
    if (name_len > PMU_POOL_NAME_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, 0, "pool name is longer than %d characters", PMU_POOL_NAME_MAX);
    for (size_t i = 0; i < name_len; i++)
        if (!pmu_pool_name_char(text[i]))
            return pmu_error_set(err, PMU_E_SYNTAX, i,
                                 "character '%c' cannot be in a pool name (letters, digits, '-', '_', '.')", text[i]);
    memcpy(out->name, text, name_len);
    out->name[name_len] = '\0';
    size_t pos = name_len + 1, end = pos + strcspn(text + pos, ";");
    for (;;) {
        size_t len = strcspn(text + pos, ",;");
        if (pos + len > end)
            len = end - pos;
        enum pmu_status st = parse_line(out, text, pos, len, err);
        if (st != PMU_OK)
            return st;
        pos += len;
        if (pos >= end)
            break;
        pos++; /* ',' */
    }
    if (text[end] == ';') {
        unsigned seen = 0;
        pos = end + 1;
        if (text[pos] == '\0')
            return pmu_error_set(err, PMU_E_SYNTAX, pos, "expected options after ';'");
        while (text[pos] != '\0') {
            size_t len = strcspn(text + pos, "&");
            enum pmu_status st = parse_option(out, text, pos, len, &seen, err);
            if (st != PMU_OK)
                return st;
            pos += len + (text[pos + len] == '&');
            if (text[pos - 1] == '&' && text[pos] == '\0')
                return pmu_error_set(err, PMU_E_SYNTAX, pos, "expected an option after '&'");
        }
    }
    return PMU_OK;
}
