/* libFuzzer target for the store's day rows (src/store/days.c): rows are read back
 * from a database file anyone with the file can change, so any bytes must decode or
 * be refused with an offset inside them. What decodes must hold the promises of
 * days.h (ends inside the day and in order, values NUL-terminated inside the input)
 * and survive encode -> decode unchanged; merging a row with itself adds nothing. */
#include "days.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DAY 19723

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pmu_day_entry *e = NULL, *back = NULL, *merged = NULL;
    size_t n = 0, cap = 0, n_back = 0, cap_back = 0, n_merged = 0, cap_merged = 0, n_new, conflicts;
    struct pmu_day_buf buf = {NULL, 0, 0};
    struct pmu_error err;
    pmu_error_clear(&err);
    if (pmu_day_decode(DAY, data, size, &e, &n, &cap, &err) != PMU_OK) {
        if (err.offset == PMU_NO_OFFSET || err.offset > size || err.message[0] == '\0')
            abort();
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = e[i].value;
        if (pmu_day_of(e[i].end) != DAY || v < (const char *)data || v + e[i].value_len >= (const char *)data + size ||
            strlen(v) != e[i].value_len)
            abort();
        if (i > 0 && pmu_day_entry_cmp(&e[i - 1], &e[i]) >= 0)
            abort();
    }
    if (pmu_day_encode(DAY, e, n, &buf, &conflicts, &err) != PMU_OK)
        abort();
    if (pmu_day_decode(DAY, buf.data, buf.len, &back, &n_back, &cap_back, &err) != PMU_OK || n_back != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (back[i].end != e[i].end || back[i].status != e[i].status || back[i].run_id != e[i].run_id ||
            back[i].value_len != e[i].value_len || memcmp(back[i].value, e[i].value, e[i].value_len) != 0)
            abort();
    if (pmu_day_merge(e, n, back, n_back, &merged, &n_merged, &cap_merged, &n_new) != PMU_OK || n_new != 0 ||
        n_merged != n)
        abort();
out:
    free(e);
    free(back);
    free(merged);
    pmu_day_buf_free(&buf);
    return 0;
}
