/* The A1xxx identification line: fixed columns after "/GEC5" say which meter this is
 * (master unit, product range, device number, issue), and the device number picks the
 * model file (see model.c). */
#include "internal.h"

#include "pmu/iec62056.h"

#include <stdio.h>
#include <string.h>

static void copy_field(char *dst, const char *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

enum pmu_status pmu_elster_ident_parse(const char *text, size_t len, struct pmu_elster_ident *out,
                                       struct pmu_error *err)
{
    while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == '\n'))
        len--;
    if (len == 0 || text[0] != '/')
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected an identification starting with '/'");
    if (len < 15)
        return pmu_error_set(err, PMU_E_TRUNCATED, len,
                             "expected at least 15 characters (\"/GEC5090100100400\"), got %zu",
                             len);
    if (len - 15 >= sizeof out->rest)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET,
                             "expected an identification of at most %zu characters",
                             15 + sizeof out->rest - 1);
    for (size_t i = 1; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7E)
            return pmu_error_set(err, PMU_E_SYNTAX, i,
                                 "expected printable characters in the identification");
    memset(out, 0, sizeof *out);
    copy_field(out->maker, text + 1, 3);
    out->baud_char = text[4];
    out->baud = out->baud_char >= '0' && out->baud_char <= '6' ? pmu_iec_baud_rate(out->baud_char)
                                                               : 0;
    copy_field(out->master_unit, text + 5, 2);
    copy_field(out->product_range, text + 7, 3);
    copy_field(out->device, text + 10, 3);
    copy_field(out->issue, text + 13, 2);
    copy_field(out->rest, text + 15, len - 15);
    return PMU_OK;
}

int pmu_elster_ident_format(const struct pmu_elster_ident *id, char *buf, size_t size)
{
    if (strlen(id->maker) != 3 || strlen(id->master_unit) != 2 ||
        strlen(id->product_range) != 3 || strlen(id->device) != 3 || strlen(id->issue) != 2 ||
        id->baud_char == '\0')
        return PMU_E_INVALID;
    int n = snprintf(buf, size, "/%s%c%s%s%s%s%s", id->maker, id->baud_char, id->master_unit,
                     id->product_range, id->device, id->issue, id->rest);
    if (n < 0 || (size_t)n >= size)
        return PMU_E_TOO_LONG;
    return n;
}
