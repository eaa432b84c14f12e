/* Exact decimal arithmetic for the few sums openpmu does on meter values: CT and VT
 * ratios ("200/5" is 40) and the meter multiplier applied in exports. Values are
 * digit strings with a scale, never binary floating point, so "000123.4560" x 40 is
 * exactly 4938.24. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void pmu_dec_one(struct pmu_dec *out)
{
    memset(out, 0, sizeof *out);
    out->n = 1;
    out->d[0] = 1;
}

bool pmu_dec_is_one(const struct pmu_dec *v)
{
    /* 1 followed by scale zeros */
    if (v->neg || v->n != (size_t)v->scale + 1 || v->d[0] != 1)
        return false;
    for (size_t i = 1; i < v->n; i++)
        if (v->d[i] != 0)
            return false;
    return true;
}

enum pmu_status pmu_dec_parse(const char *text, size_t len, struct pmu_dec *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        out->neg = text[i++] == '-';
    bool any = false, point = false;
    for (; i < len; i++) {
        char c = text[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            return PMU_E_SYNTAX;
        any = true;
        if (point)
            out->scale++;
        if (out->n == 0 && c == '0')
            continue;          /* a leading zero: the scale still counts its place */
        if (out->n == PMU_DEC_DIGITS)
            return PMU_E_RANGE;
        out->d[out->n++] = (unsigned char)(c - '0');
    }
    if (!any)
        return PMU_E_SYNTAX;
    if (out->n == 0)
        out->neg = false;
    return PMU_OK;
}

/* The digits as an integer, when they fit in 18 decimal digits. */
static bool to_u64(const struct pmu_dec *v, uint64_t *out)
{
    if (v->n > 18)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v->n; i++)
        x = x * 10 + v->d[i];
    *out = x;
    return true;
}

static void from_digits(struct pmu_dec *out, const char *digits, int scale)
{
    memset(out, 0, sizeof *out);
    out->scale = scale;
    for (const char *p = digits; *p; p++) {
        if (out->n == 0 && *p == '0')
            continue;
        out->d[out->n++] = (unsigned char)(*p - '0');
    }
}

static uint64_t pow10u(int k)
{
    uint64_t p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

enum pmu_status pmu_dec_ratio(const char *text, struct pmu_dec *out)
{
    if (text == NULL || text[0] == '\0') {
        pmu_dec_one(out);
        return PMU_OK;
    }
    const char *slash = strchr(text, '/');
    if (slash == NULL)
        return pmu_dec_parse(text, strlen(text), out);
    struct pmu_dec p, s;
    if (pmu_dec_parse(text, (size_t)(slash - text), &p) != PMU_OK ||
        pmu_dec_parse(slash + 1, strlen(slash + 1), &s) != PMU_OK || p.neg || s.neg)
        return PMU_E_SYNTAX;
    if (s.n == 0)
        return PMU_E_INVALID;
    /* (p / 10^sp) / (s / 10^ss) = (p * 10^ss) / (s * 10^sp), in 64-bit integers:
     * ratios are a few digits long, so a limit of 15 digits and scale 3 is ample. */
    uint64_t pn, sn;
    if (!to_u64(&p, &pn) || !to_u64(&s, &sn) || p.n > 15 || s.n > 15 || p.scale > 3 || s.scale > 3)
        return PMU_E_RANGE;
    uint64_t num = pn * pow10u(s.scale), den = sn * pow10u(p.scale);
    char digits[48];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(num / den));
    uint64_t r = num % den;
    int scale = 0;
    while (r != 0 && scale < 12) {
        r *= 10;
        digits[len++] = (char)('0' + r / den);
        r %= den;
        scale++;
    }
    digits[len] = '\0';
    enum pmu_status status = PMU_OK;
    if (r != 0) {
        /* Does not end within 12 places: round half up, and say so. */
        status = PMU_E_RANGE;
        if (r * 10 / den >= 5) {
            int i = len - 1;
            while (i >= 0 && digits[i] == '9')
                digits[i--] = '0';
            if (i >= 0) {
                digits[i]++;
            } else {
                memmove(digits + 1, digits, (size_t)len + 1);
                digits[0] = '1';
            }
        }
    }
    from_digits(out, digits, scale);
    return status;
}

enum pmu_status pmu_dec_mul(const struct pmu_dec *a, const struct pmu_dec *b, struct pmu_dec *out)
{
    unsigned acc[2 * PMU_DEC_DIGITS] = {0};
    size_t n = a->n + b->n;
    if (a->n == 0 || b->n == 0) {
        memset(out, 0, sizeof *out);
        out->scale = a->scale + b->scale;
        return PMU_OK;
    }
    for (size_t i = a->n; i-- > 0;)
        for (size_t j = b->n; j-- > 0;)
            acc[i + j + 1] += (unsigned)a->d[i] * b->d[j];
    for (size_t k = n; k-- > 1;) {
        acc[k - 1] += acc[k] / 10;
        acc[k] %= 10;
    }
    size_t skip = 0;
    while (skip < n && acc[skip] == 0)
        skip++;
    if (n - skip > PMU_DEC_DIGITS)
        return PMU_E_RANGE;
    memset(out, 0, sizeof *out);
    out->neg = a->neg != b->neg;
    out->scale = a->scale + b->scale;
    for (size_t k = skip; k < n; k++)
        out->d[out->n++] = (unsigned char)acc[k];
    return PMU_OK;
}

void pmu_dec_format(const struct pmu_dec *v, char *buf, size_t size)
{
    /* digits are the value's significant digits ending at 10^-scale: lay them out
     * in a fixed buffer of integer and fraction places, then trim. */
    char tmp[2 * PMU_DEC_DIGITS + 8];
    size_t o = 0;
    size_t n = v->n, scale = (size_t)v->scale;
    if (v->neg && n > 0)
        tmp[o++] = '-';
    if (n <= scale) {
        tmp[o++] = '0';
        if (n > 0 || scale > 0) {
            tmp[o++] = '.';
            for (size_t i = n; i < scale; i++)
                tmp[o++] = '0';
            for (size_t i = 0; i < n; i++)
                tmp[o++] = (char)('0' + v->d[i]);
        }
    } else {
        for (size_t i = 0; i < n - scale; i++)
            tmp[o++] = (char)('0' + v->d[i]);
        if (scale > 0) {
            tmp[o++] = '.';
            for (size_t i = n - scale; i < n; i++)
                tmp[o++] = (char)('0' + v->d[i]);
        }
    }
    tmp[o] = '\0';
    if (strchr(tmp, '.') != NULL) {
        while (o > 0 && tmp[o - 1] == '0')
            tmp[--o] = '\0';
        if (o > 0 && tmp[o - 1] == '.')
            tmp[--o] = '\0';
    }
    if (strcmp(tmp, "-0") == 0 || tmp[0] == '\0')
        snprintf(buf, size, "0");
    else
        snprintf(buf, size, "%s", tmp);
}
