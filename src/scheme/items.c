/* Compiled schemes as lists of items: compile/decode by target, and the one-item-a-
 * line text form of a read-back ("III(HEX)" / "III.SET(HEX)" for Elster, the whole
 * set; "ADDRESS(VALUE)" for generic meters, as a W1/R1 request carries it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum pmu_status pmu_scheme_compile(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                   struct pmu_scheme_items *out, struct pmu_error *err)
{
    memset(out, 0, sizeof *out);
    out->target = caps->target;
    enum pmu_status st = caps->target == PMU_SCHEME_ELSTER ? pmu_scheme_compile_elster(s, caps, out, err)
                                                           : pmu_scheme_compile_generic(s, caps, out, err);
    if (st != PMU_OK)
        pmu_scheme_items_free(out);
    return st;
}

enum pmu_status pmu_scheme_decode(const struct pmu_scheme_items *readback, const struct pmu_scheme_caps *caps,
                                  const struct pmu_scheme *names, struct pmu_scheme **out, struct pmu_error *err)
{
    *out = NULL;
    struct pmu_scheme *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory for a scheme");
    if (names != NULL) {
        memcpy(s->name, names->name, sizeof s->name);
        memcpy(s->description, names->description, sizeof s->description);
        memcpy(s->models, names->models, sizeof s->models);
        s->n_models = names->n_models;
        s->password_level = names->password_level;
    }
    enum pmu_status st = caps->target == PMU_SCHEME_ELSTER ? pmu_scheme_decode_elster(readback, caps, names, s, err)
                                                           : pmu_scheme_decode_generic(readback, caps, names, s, err);
    if (st != PMU_OK) {
        free(s);
        return st;
    }
    *out = s;
    return PMU_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static enum pmu_status parse_elster(const char *l, size_t n, size_t line, struct pmu_scheme_item *it,
                                    struct pmu_error *err)
{
    unsigned id, set = 0;
    const char *open = memchr(l, '(', n);
    if (open == NULL || l[n - 1] != ')' || open - l < 3 || !pmu_scheme_parse_uint(l, 3, 999, &id) ||
        (open - l > 3 && (l[3] != '.' || !pmu_scheme_parse_uint(l + 4, (size_t)(open - l - 4), 255, &set))))
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "line %zu: expected III(HEX) or III.SET(HEX), e.g. 795(41) or 932.3(0000FF)", line);
    const char *hex = open + 1;
    size_t digits = (size_t)(l + n - 1 - hex);
    if (digits % 2 != 0 || digits / 2 > PMU_SCHEME_ITEM_DATA_MAX)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "line %zu: expected up to %d bytes as hex pairs", line,
                             PMU_SCHEME_ITEM_DATA_MAX);
    for (size_t i = 0; i < digits / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "line %zu: '%.2s' is not a hex byte", line,
                                 hex + 2 * i);
        it->data[i] = (uint8_t)(hi * 16 + lo);
    }
    it->id = id;
    it->set = set;
    it->len = digits / 2;
    it->action = it->len == 0;
    return PMU_OK;
}

static enum pmu_status parse_generic(const char *l, size_t n, size_t line, struct pmu_scheme_item *it,
                                     struct pmu_error *err)
{
    const char *open = memchr(l, '(', n);
    if (open == NULL || l[n - 1] != ')' || open == l || (size_t)(open - l) >= sizeof it->address ||
        (size_t)(l + n - 1 - open - 1) >= sizeof it->value)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "line %zu: expected ADDRESS(VALUE), address up to 16 and value up to 32 characters", line);
    memcpy(it->address, l, (size_t)(open - l));
    memcpy(it->value, open + 1, (size_t)(l + n - 1 - open - 1));
    if (memchr(it->value, '(', strlen(it->value)) != NULL)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "line %zu: a value cannot hold '('", line);
    return PMU_OK;
}

enum pmu_status pmu_scheme_items_parse(const char *text, size_t len, enum pmu_scheme_target target,
                                       struct pmu_scheme_items *out, struct pmu_error *err)
{
    memset(out, 0, sizeof *out);
    out->target = target;
    size_t line = 0;
    for (size_t at = 0; at < len;) {
        const char *l = text + at;
        const char *nl = memchr(l, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - l) : len - at;
        at += n + (nl != NULL);
        line++;
        while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
            n--;
        while (n > 0 && (*l == ' ' || *l == '\t'))
            l++, n--;
        if (n == 0 || *l == '#')
            continue;
        for (size_t k = n; k > 0; k--)      /* "...)  # comment" as items_write puts it */
            if (l[k - 1] == ')') {
                size_t j = k;
                while (j < n && (l[j] == ' ' || l[j] == '\t'))
                    j++;
                if (j < n && l[j] == '#')
                    n = k;
                break;
            }
        struct pmu_scheme_item *it = pmu_scheme_items_add(out, "read back");
        if (it == NULL) {
            pmu_scheme_items_free(out);
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory reading items");
        }
        enum pmu_status st = target == PMU_SCHEME_ELSTER ? parse_elster(l, n, line, it, err)
                                                         : parse_generic(l, n, line, it, err);
        if (st != PMU_OK) {
            pmu_scheme_items_free(out);
            return st;
        }
    }
    return PMU_OK;
}

enum pmu_status pmu_scheme_items_write(const struct pmu_scheme_items *l, FILE *out, struct pmu_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct pmu_scheme_item *it = &l->items[i];
        if (l->target == PMU_SCHEME_ELSTER) {
            if (it->set == 0)
                fprintf(out, "%03u(", it->id);
            else
                fprintf(out, "%03u.%u(", it->id, it->set);
            for (size_t k = 0; k < it->len; k++)
                fprintf(out, "%02X", it->data[k]);
            fprintf(out, ")");
        } else {
            fprintf(out, "%s(%s)", it->address, it->value);
        }
        fprintf(out, "  # %s\n", it->what != NULL ? it->what : "");
    }
    if (ferror(out))
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot write the items");
    return PMU_OK;
}
