/* libFuzzer target: the line pool definition parser (pmu read --pool, pools files).
 * Any text must give a pool or a clear error with an offset inside the text, never a
 * crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[4096];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct pmu_pool p;
    struct pmu_error err;
    enum pmu_status st = pmu_pool_parse(text, &p, &err);
    if (st != PMU_OK && (err.message[0] == '\0' || (err.offset != PMU_NO_OFFSET && err.offset > size)))
        abort();
    if (st == PMU_OK && (p.n_lines == 0 || p.name[0] == '\0'))
        abort();
    pmu_pool_free(&p);
    return 0;
}
