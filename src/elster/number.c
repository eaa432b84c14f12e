/* Hex text and packed BCD, the two ways the register protocol writes numbers, and the
 * exact decimal text openpmu turns them into. No floating point anywhere: a value is
 * an integer in the meter's unit and the scaler only moves the decimal point. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const char hex_digits[] = "0123456789ABCDEF";

long pmu_elster_hex_encode(const uint8_t *bytes, size_t n, char *out, size_t size)
{
    if (size < 2 * n + 1)
        return PMU_E_TOO_LONG;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 0x0F];
    }
    out[2 * n] = '\0';
    return (long)(2 * n);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

enum pmu_status pmu_elster_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap,
                                      size_t *out_len, struct pmu_error *err)
{
    if (len % 2 != 0)
        return pmu_error_set(err, PMU_E_SYNTAX, len,
                             "expected an even number of hex digits, got %zu", len);
    if (len / 2 > cap)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET,
                             "expected at most %zu bytes of hex data, got %zu", cap, len / 2);
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            char rep[8];
            size_t at = hi < 0 ? i : i + 1;
            return pmu_error_set(err, PMU_E_SYNTAX, at, "expected a hex digit, got %s",
                                 pmu_byte_repr((unsigned char)text[at], rep));
        }
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = len / 2;
    return PMU_OK;
}

enum pmu_status pmu_elster_bcd_le_decode(const uint8_t *p, size_t n, uint64_t *out,
                                         struct pmu_error *err)
{
    if (n > 9)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected at most 9 BCD bytes (18 digits), got %zu", n);
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) {
        unsigned hi = p[i] >> 4, lo = p[i] & 0x0F;
        if (hi > 9 || lo > 9)
            return pmu_error_set(err, PMU_E_SYNTAX, i,
                                 "expected two BCD digits, got 0x%02X", p[i]);
        v = v * 100 + hi * 10 + lo;
    }
    *out = v;
    return PMU_OK;
}

enum pmu_status pmu_elster_bcd_le_encode(uint64_t v, uint8_t *p, size_t n, struct pmu_error *err)
{
    uint64_t rest = v;
    for (size_t i = 0; i < n; i++) {
        unsigned lo = (unsigned)(rest % 10), hi = (unsigned)(rest / 10 % 10);
        p[i] = (uint8_t)(hi << 4 | lo);
        rest /= 100;
    }
    if (rest != 0)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected a value of at most %zu digits", 2 * n);
    return PMU_OK;
}

int pmu_elster_format_scaled(uint64_t v, int scaler, char *out, size_t size)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    /* digits[] holds the number backwards; pad so there is a digit before the point. */
    size_t decimals = scaler < 0 ? (size_t)-scaler : 0;
    size_t zeros = scaler > 0 && !(n == 1 && digits[0] == '0') ? (size_t)scaler : 0;
    if (decimals > 30 || zeros > 30)
        return PMU_E_RANGE;
    size_t width = n > decimals ? n : decimals + 1;
    size_t total = width + zeros + (decimals > 0 ? 1 : 0);
    if (total + 1 > size)
        return PMU_E_TOO_LONG;
    size_t o = 0;
    for (size_t i = width; i-- > 0;) {
        out[o++] = i < n ? digits[i] : '0';
        if (i == decimals && decimals > 0)
            out[o++] = '.';
    }
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '0';
    out[o] = '\0';
    return (int)o;
}

enum pmu_status el_format(uint64_t v, int scaler, char *out, struct pmu_error *err)
{
    if (pmu_elster_format_scaled(v, scaler, out, PMU_ELSTER_NUMBER_MAX) < 0)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "expected a scaler between -9 and 9, got %d", scaler);
    return PMU_OK;
}

enum pmu_status pmu_elster_parse_scaled(const char *text, int scaler, uint64_t *out,
                                        struct pmu_error *err)
{
    size_t decimals_allowed = scaler < 0 ? (size_t)-scaler : 0;
    uint64_t v = 0;
    size_t digits = 0, decimals = 0;
    bool point = false;
    for (const char *s = text; *s; s++) {
        size_t at = (size_t)(s - text);
        if (*s == '.' && !point) {
            point = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            return pmu_error_set(err, PMU_E_SYNTAX, at,
                                 "expected a decimal number such as 123.456, got \"%s\"", text);
        if (point && ++decimals > decimals_allowed)
            return pmu_error_set(err, PMU_E_RANGE, at,
                                 "expected at most %zu decimals in \"%s\"", decimals_allowed,
                                 text);
        if (v > (UINT64_MAX - 9) / 10)
            return pmu_error_set(err, PMU_E_RANGE, at, "number \"%s\" is too large", text);
        v = v * 10 + (uint64_t)(*s - '0');
        digits++;
    }
    if (digits == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected a decimal number such as 123.456, got \"%s\"", text);
    for (size_t i = decimals; i < decimals_allowed; i++) {
        if (v > UINT64_MAX / 10)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "number \"%s\" is too large",
                                 text);
        v *= 10;
    }
    for (int i = 0; i < scaler; i++) {
        if (v % 10 != 0)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                                 "expected a multiple of 10^%d, got \"%s\"", scaler, text);
        v /= 10;
    }
    *out = v;
    return PMU_OK;
}

enum pmu_status el_rebase(struct pmu_error *err, enum pmu_status rc, size_t delta,
                          const char *what)
{
    if (err == NULL)
        return rc;
    char inner[sizeof err->message];
    const char *msg = err->message;
    /* Drop the inner "byte N: " prefix: pmu_error_set writes the new one. */
    if (err->offset != PMU_NO_OFFSET && strncmp(msg, "byte ", 5) == 0 && strstr(msg, ": "))
        msg = strstr(msg, ": ") + 2;
    snprintf(inner, sizeof inner, "%s", msg);
    size_t at = err->offset == PMU_NO_OFFSET ? PMU_NO_OFFSET : err->offset + delta;
    return pmu_error_set(err, rc, at, "%s: %.200s", what, inner);
}
