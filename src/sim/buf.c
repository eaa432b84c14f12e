/* Growable byte buffers for the messages a simulated meter builds. */
#include "pmu/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum pmu_status reserve(struct pmu_sim_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return PMU_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL)
        return PMU_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return PMU_OK;
}

enum pmu_status pmu_sim_buf_append(struct pmu_sim_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return PMU_OK;
    if (reserve(b, n) != PMU_OK)
        return PMU_E_NOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return PMU_OK;
}

enum pmu_status pmu_sim_buf_printf(struct pmu_sim_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return PMU_E_INVALID;
    if ((size_t)n < sizeof small)
        return pmu_sim_buf_append(b, small, (size_t)n);
    /* Longer than the stack buffer: format again straight into the buffer. */
    if (reserve(b, (size_t)n + 1) != PMU_OK)
        return PMU_E_NOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return PMU_OK;
}

void pmu_sim_buf_free(struct pmu_sim_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
