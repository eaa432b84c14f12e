/* Day rows: packing and unpacking one channel-day of intervals (format in days.h). */
#include "days.h"

#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"

int64_t pmu_day_of(int64_t end)
{
    int64_t d = end / PMU_DAY_SECONDS;
    return end % PMU_DAY_SECONDS < 0 ? d - 1 : d;
}

int pmu_day_entry_cmp(const struct pmu_day_entry *a, const struct pmu_day_entry *b)
{
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    size_t n = a->value_len < b->value_len ? a->value_len : b->value_len;
    int c = n > 0 ? memcmp(a->value, b->value, n) : 0;
    if (c != 0)
        return c;
    return a->value_len < b->value_len ? -1 : a->value_len > b->value_len;
}

static int cmp_entries(const void *a, const void *b)
{
    return pmu_day_entry_cmp(a, b);
}

void pmu_day_sort(struct pmu_day_entry *e, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (pmu_day_entry_cmp(&e[i - 1], &e[i]) > 0) {
            qsort(e, n, sizeof *e, cmp_entries);
            return;
        }
}

void pmu_day_buf_free(struct pmu_day_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static bool reserve(struct pmu_day_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

static void put_varint(struct pmu_day_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
}

#define FLAG_STATUS 0x01
#define FLAG_RUN 0x02

enum pmu_status pmu_day_encode(int64_t day, const struct pmu_day_entry *e, size_t n, struct pmu_day_buf *out,
                               size_t *conflicts, struct pmu_error *err)
{
    int64_t start = day * PMU_DAY_SECONDS, prev = start;
    *conflicts = 0;
    out->len = 0;
    if (!reserve(out, 1 + n * 16))
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    out->data[out->len++] = PMU_DAY_FORMAT;
    for (size_t i = 0; i < n; i++) {
        const struct pmu_day_entry *x = &e[i];
        if (x->end < start || x->end - start >= PMU_DAY_SECONDS)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "internal: interval end %lld is not in day %lld",
                                 (long long)x->end, (long long)day);
        if (i > 0 && pmu_day_entry_cmp(&e[i - 1], x) >= 0)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "internal: day row entries out of order");
        if (x->value_len > PMU_DAY_VALUE_MAX)
            return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET,
                                 "interval value of %zu bytes: at most %d are stored", x->value_len,
                                 PMU_DAY_VALUE_MAX);
        if (x->value_len > 0 && memchr(x->value, '\0', x->value_len) != NULL)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "interval value contains a NUL byte");
        if (!reserve(out, 32 + x->value_len))
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        unsigned flags = 0;
        if (i == 0 || x->status != e[i - 1].status)
            flags |= FLAG_STATUS;
        if (i == 0 || x->run_id != e[i - 1].run_id)
            flags |= FLAG_RUN;
        /* the first value of an interval that has a second one counts once */
        if (i > 0 && x->end == e[i - 1].end && (i < 2 || e[i - 2].end != x->end))
            (*conflicts)++;
        put_varint(out, (uint64_t)(x->end - prev));
        out->data[out->len++] = (uint8_t)flags;
        if (flags & FLAG_STATUS)
            put_varint(out, (uint64_t)x->status);
        if (flags & FLAG_RUN)
            put_varint(out, (uint64_t)x->run_id);
        put_varint(out, x->value_len);
        if (x->value_len > 0)
            memcpy(out->data + out->len, x->value, x->value_len);
        out->len += x->value_len;
        out->data[out->len++] = 0;
        prev = x->end;
    }
    return PMU_OK;
}

/* Reads a varint at *pos; false when the row ends inside it or it is longer than 10
 * bytes. */
static bool get_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70 && *pos < len; shift += 7) {
        uint8_t b = data[(*pos)++];
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

enum pmu_status pmu_day_decode(int64_t day, const uint8_t *data, size_t len, struct pmu_day_entry **entries,
                               size_t *n, size_t *cap, struct pmu_error *err)
{
    *n = 0;
    if (len == 0 || data[0] != PMU_DAY_FORMAT)
        return pmu_error_set(err, PMU_E_SYNTAX, 0, "day row format %d: this openpmu reads format %d",
                             len > 0 ? data[0] : -1, PMU_DAY_FORMAT);
    int64_t start = day * PMU_DAY_SECONDS;
    uint64_t offset = 0;           /* seconds after the day's start */
    int64_t status = 0, run = 0;
    size_t pos = 1;
    while (pos < len) {
        size_t at = pos;
        uint64_t delta, v, vlen;
        if (!get_varint(data, len, &pos, &delta))
            return pmu_error_set(err, PMU_E_SYNTAX, at, "interval %zu: bad end", *n);
        if (delta >= PMU_DAY_SECONDS || offset + delta >= PMU_DAY_SECONDS)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "interval %zu ends after the day", *n);
        offset += delta;
        if (pos >= len)
            return pmu_error_set(err, PMU_E_SYNTAX, pos, "interval %zu: row ends before its flags", *n);
        unsigned flags = data[pos++];
        if ((flags & ~(unsigned)(FLAG_STATUS | FLAG_RUN)) != 0 || (*n == 0 && flags != (FLAG_STATUS | FLAG_RUN)))
            return pmu_error_set(err, PMU_E_SYNTAX, pos - 1, "interval %zu: bad flags 0x%02X", *n, flags);
        if (flags & FLAG_STATUS) {
            if (!get_varint(data, len, &pos, &v))
                return pmu_error_set(err, PMU_E_SYNTAX, pos, "interval %zu: bad status", *n);
            status = (int64_t)v;
        }
        if (flags & FLAG_RUN) {
            if (!get_varint(data, len, &pos, &v))
                return pmu_error_set(err, PMU_E_SYNTAX, pos, "interval %zu: bad job run", *n);
            run = (int64_t)v;
        }
        size_t vat = pos;
        if (!get_varint(data, len, &pos, &vlen) || vlen > PMU_DAY_VALUE_MAX || vlen + 1 > len - pos)
            return pmu_error_set(err, PMU_E_SYNTAX, vat, "interval %zu: bad value length", *n);
        const char *value = (const char *)data + pos;
        if (value[vlen] != '\0' || (vlen > 0 && memchr(value, '\0', vlen) != NULL))
            return pmu_error_set(err, PMU_E_SYNTAX, pos, "interval %zu: value is not a text", *n);
        pos += vlen + 1;
        if (!pmu_grow((void **)entries, cap, *n, sizeof **entries))
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        struct pmu_day_entry *x = &(*entries)[*n];
        *x = (struct pmu_day_entry){start + (int64_t)offset, status, run, value, vlen};
        if (*n > 0 && pmu_day_entry_cmp(&(*entries)[*n - 1], x) >= 0)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "interval %zu is out of order", *n);
        (*n)++;
    }
    return PMU_OK;
}

static bool append(struct pmu_day_entry **out, size_t *n, size_t *cap, const struct pmu_day_entry *e)
{
    if (!pmu_grow((void **)out, cap, *n, sizeof **out))
        return false;
    (*out)[(*n)++] = *e;
    return true;
}

enum pmu_status pmu_day_merge(const struct pmu_day_entry *old, size_t n_old, const struct pmu_day_entry *add,
                              size_t n_add, struct pmu_day_entry **out, size_t *n_out, size_t *cap,
                              size_t *n_new)
{
    size_t i = 0, k = 0;
    *n_out = 0;
    *n_new = 0;
    while (i < n_old || k < n_add) {
        int c = i == n_old ? 1 : k == n_add ? -1 : pmu_day_entry_cmp(&old[i], &add[k]);
        if (c <= 0) {
            if (!append(out, n_out, cap, &old[i++]))
                return PMU_E_NOMEM;
            if (c == 0)
                k++;
            continue;
        }
        /* a repeat of the entry just taken (the same interval twice in one read) */
        if (*n_out > 0 && pmu_day_entry_cmp(&(*out)[*n_out - 1], &add[k]) == 0) {
            k++;
            continue;
        }
        if (!append(out, n_out, cap, &add[k++]))
            return PMU_E_NOMEM;
        (*n_new)++;
    }
    return PMU_OK;
}
