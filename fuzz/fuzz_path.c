/* libFuzzer target: the comms path parser. Paths come from users, CSV imports and the
 * API, so any text must give a path or a clear error, never a crash; a parsed path
 * formats to a canonical text that parses back to the same path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct pmu_path p, back;
    struct pmu_error err;
    if (pmu_path_parse(text, &p, &err) != PMU_OK) {
        if (err.message[0] == '\0' || (err.offset != PMU_NO_OFFSET && err.offset > size))
            abort();
        return 0;
    }
    char canon[2048];
    if (pmu_path_format(&p, canon, sizeof canon) < 0)
        abort();
    if (pmu_path_parse(canon, &back, &err) != PMU_OK)
        abort();
    char again[2048];
    if (pmu_path_format(&back, again, sizeof again) < 0 || strcmp(canon, again) != 0)
        abort();
    return 0;
}
