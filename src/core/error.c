#include "pmu/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pmu_status_name(enum pmu_status status)
{
    switch (status) {
    case PMU_OK: return "ok";
    case PMU_AGAIN: return "again";
    case PMU_DONE: return "done";
    case PMU_E_INVALID: return "invalid";
    case PMU_E_NOMEM: return "nomem";
    case PMU_E_SYNTAX: return "syntax";
    case PMU_E_BCC: return "bcc";
    case PMU_E_TOO_LONG: return "too_long";
    case PMU_E_RANGE: return "range";
    case PMU_E_TRUNCATED: return "truncated";
    case PMU_E_IO: return "io";
    case PMU_E_TIMEOUT: return "timeout";
    case PMU_E_PROTOCOL: return "protocol";
    case PMU_E_REFUSED: return "refused";
    case PMU_E_UNSUPPORTED: return "unsupported";
    case PMU_E_NOT_FOUND: return "not_found";
    case PMU_E_EXISTS: return "exists";
    }
    return "unknown";
}

enum pmu_status pmu_error_set(struct pmu_error *err, enum pmu_status code, size_t offset,
                              const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->offset = offset;
    int n = 0;
    if (offset != PMU_NO_OFFSET)
        n = snprintf(err->message, sizeof err->message, "byte %zu: ", offset);
    if (n < 0)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

void pmu_error_clear(struct pmu_error *err)
{
    if (err == NULL)
        return;
    err->code = PMU_OK;
    err->offset = PMU_NO_OFFSET;
    err->message[0] = '\0';
}

const char *pmu_byte_repr(unsigned char c, char buf[8])
{
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", c);
    return buf;
}
