/* libFuzzer target for the OBIS parser: any input must parse or be refused with an
 * offset inside it, and whatever parses must survive format -> parse unchanged. */
#include "pmu/obis.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct pmu_obis *x, const struct pmu_obis *y, bool with_ab)
{
    if (x->c != y->c || x->d != y->d || x->e != y->e || x->f != y->f)
        abort();
    if (with_ab && (x->a != y->a || x->b != y->b))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pmu_obis o, back;
    struct pmu_error err;
    char full[PMU_OBIS_TEXT_MAX], shrt[PMU_OBIS_TEXT_MAX], again[PMU_OBIS_TEXT_MAX];
    char name[PMU_OBIS_NAME_MAX];
    int n;

    pmu_error_clear(&err);
    if (pmu_obis_parse((const char *)data, size, &o, &err) != PMU_OK) {
        if (err.offset == PMU_NO_OFFSET || err.offset > size)
            abort();   /* an error points into the input, or just past its end */
        return 0;
    }

    /* The full form keeps every group. */
    n = pmu_obis_format_full(&o, full, sizeof full);
    if (n < 0 || (size_t)n != strlen(full))
        abort();
    if (pmu_obis_parse(full, (size_t)n, &back, NULL) != PMU_OK)
        abort();
    same(&o, &back, true);

    /* The short form drops A and B, which only matters when they were written. */
    n = pmu_obis_format_short(&o, shrt, sizeof shrt);
    if (n < 0 || pmu_obis_parse(shrt, (size_t)n, &back, NULL) != PMU_OK)
        abort();
    same(&o, &back, (o.present & (PMU_OBIS_A | PMU_OBIS_B)) == 0);
    n = pmu_obis_format_short(&back, again, sizeof again);
    if (n < 0 || strcmp(shrt, again) != 0)
        abort();

    /* Names must fit their documented buffer and be terminated either way. */
    enum pmu_status rc = pmu_obis_name(&o, name, sizeof name);
    if ((rc != PMU_OK && rc != PMU_E_RANGE) || strlen(name) >= sizeof name)
        abort();
    return 0;
}
