/* Data-set tokenizer: see pmu/dataset.h. */
#include "pmu/dataset.h"

#include <string.h>

void pmu_dataset_reader_init(struct pmu_dataset_reader *r, const uint8_t *data, size_t len,
                             size_t base_offset)
{
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
    r->base = base_offset;
    r->line = 1;
    r->at_line_start = true;
}

static bool is_address_byte(uint8_t c)
{
    return c > 0x20 && c < 0x7F && c != '(' && c != ')' && c != '/' && c != '!';
}

/* Value bytes: printable ASCII except the brackets. '/' is accepted although the
 * standard forbids it, since some meters put dates like 24/01/15 in values. */
static bool is_value_byte(uint8_t c)
{
    return c >= 0x20 && c < 0x7F && c != '(' && c != ')';
}

/* After an error at pos: skip to the start of the next line, or to a '!' that may be
 * the end marker, always moving past the item that failed. */
static void resync(struct pmu_dataset_reader *r, size_t item_start, size_t pos)
{
    size_t i = pos > item_start ? pos : item_start + 1;
    while (i < r->len && r->data[i] != '\n' && r->data[i] != '!')
        i++;
    if (i < r->len && r->data[i] == '\n') {
        i++;
        r->line++;
        r->at_line_start = true;
    } else {
        r->at_line_start = false;
    }
    r->pos = i < r->len ? i : r->len;
}

static enum pmu_status fail(struct pmu_dataset_reader *r, struct pmu_error *err,
                            enum pmu_status code, size_t item_start, size_t pos,
                            const char *what)
{
    char b[8];
    if (pos < r->len)
        pmu_error_set(err, code, r->base + pos, "line %zu: %s, got %s", r->line, what,
                      pmu_byte_repr(r->data[pos], b));
    else
        pmu_error_set(err, code, r->base + pos, "line %zu: %s, got the end of the block",
                      r->line, what);
    resync(r, item_start, pos);
    return code;
}

/* Reads "(value[*unit])" groups starting at r->pos. */
static enum pmu_status read_groups(struct pmu_dataset_reader *r, size_t start,
                                   struct pmu_dataset *out, struct pmu_error *err)
{
    const uint8_t *d = r->data;
    size_t i = r->pos;
    while (i < r->len && d[i] == '(') {
        if (out->n_values == PMU_DATASET_MAX_VALUES)
            return fail(r, err, PMU_E_TOO_LONG, start, i,
                        "more than 128 value groups in one data set");
        struct pmu_dataset_value *v = &out->values[out->n_values];
        size_t vs = ++i;
        while (i < r->len && is_value_byte(d[i]) && d[i] != '*')
            i++;
        v->text = (const char *)d + vs;
        v->len = i - vs;
        v->unit = NULL;
        v->unit_len = 0;
        if (v->len > PMU_DATASET_VALUE_MAX)
            return fail(r, err, PMU_E_TOO_LONG, start, vs + PMU_DATASET_VALUE_MAX,
                        "value longer than 128 characters: expected ')'");
        if (i < r->len && d[i] == '*') {
            size_t us = ++i;
            while (i < r->len && is_value_byte(d[i]))
                i++;
            v->unit = (const char *)d + us;
            v->unit_len = i - us;
            if (v->unit_len > PMU_DATASET_UNIT_MAX)
                return fail(r, err, PMU_E_TOO_LONG, start, us + PMU_DATASET_UNIT_MAX,
                            "unit longer than 16 characters: expected ')'");
        }
        if (i >= r->len || d[i] != ')')
            return fail(r, err, i >= r->len ? PMU_E_TRUNCATED : PMU_E_SYNTAX, start, i,
                        "expected ')' to close the value");
        i++;
        out->n_values++;
    }
    r->pos = i;
    r->at_line_start = false;
    /* What may follow a data set: a line end, the end marker, the end of the block, or
     * the address of another data set on the same line. */
    if (i < r->len && d[i] != '\r' && d[i] != '\n' && d[i] != '!' && !is_address_byte(d[i]))
        return fail(r, err, PMU_E_SYNTAX, start, i,
                    "expected CR LF, '!' or another data set after the values");
    return PMU_OK;
}

enum pmu_status pmu_dataset_next(struct pmu_dataset_reader *r, struct pmu_dataset *out,
                                 struct pmu_error *err)
{
    const uint8_t *d = r->data;
    while (r->pos < r->len && (d[r->pos] == '\r' || d[r->pos] == '\n')) {
        if (d[r->pos] == '\n') {
            r->line++;
            r->at_line_start = true;
        }
        r->pos++;
    }
    if (r->pos >= r->len)
        return PMU_DONE;
    size_t start = r->pos;
    out->offset = r->base + start;
    out->line = r->line;
    out->address = (const char *)d + start;
    out->address_len = 0;
    out->continuation = false;
    out->end = false;
    out->n_values = 0;

    if (r->ended)
        return fail(r, err, PMU_E_SYNTAX, start, start,
                    "expected nothing after the '!' end-of-data line");
    if (d[start] == '!') {
        r->pos++;
        r->ended = true;
        out->end = true;
        return PMU_OK;
    }
    if (d[start] == '(') {
        if (!r->at_line_start)
            return fail(r, err, PMU_E_SYNTAX, start, start, "expected an address before '('");
        out->continuation = true;
        return read_groups(r, start, out, err);
    }
    size_t i = start;
    while (i < r->len && is_address_byte(d[i]))
        i++;
    out->address_len = i - start;
    if (out->address_len == 0)
        return fail(r, err, PMU_E_SYNTAX, start, i, "expected a data-set address");
    if (out->address_len > PMU_DATASET_ADDRESS_MAX)
        return fail(r, err, PMU_E_TOO_LONG, start, start + PMU_DATASET_ADDRESS_MAX,
                    "address longer than 32 characters: expected '('");
    if (i >= r->len || d[i] != '(')
        return fail(r, err, i >= r->len ? PMU_E_TRUNCATED : PMU_E_SYNTAX, start, i,
                    "expected '(' after the address");
    r->pos = i;
    return read_groups(r, start, out, err);
}
