/* libFuzzer target for the Elster model-file loader (models/<model>.json). Any input
 * must load or be refused with a message; a loaded model must be self-consistent:
 * ids unique and found by lookup, element sizes dividing lengths, every source code
 * of an identity present in the source table. */
#include "pmu/elster.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pmu_elster_model m;
    struct pmu_error err;
    pmu_error_clear(&err);
    if (pmu_elster_model_load((const char *)data, size, &m, &err) != PMU_OK) {
        check(err.message[0] != '\0');
        check(m.arena == NULL);
        return 0;
    }
    check(m.name != NULL && m.family != NULL && m.n_identities > 0 && m.n_devices > 0);
    check(m.packet_size >= 1 && m.packet_size <= PMU_ELSTER_PACKET);
    for (size_t i = 0; i < m.n_identities; i++) {
        const struct pmu_elster_identity *id = &m.identities[i];
        check(pmu_elster_model_identity(&m, id->id) == id);
        check(id->id <= 999 && id->sets >= 1 && id->name != NULL);
        check(id->element == 0 || id->length % id->element == 0);
        check(strcmp(pmu_elster_encoding_name(id->encoding), "unknown") != 0);
        for (size_t k = 0; k < id->n_sources; k++)
            check(id->sources[k] < 0 || pmu_elster_model_source(&m, id->sources[k]) != NULL);
    }
    struct pmu_elster_ident ident;
    if (pmu_elster_ident_parse("/GEC5090100100400@000", 21, &ident, NULL) == PMU_OK) {
        int score = pmu_elster_model_match(&m, &ident);
        check(score >= 0 && score <= 2);
    }
    pmu_elster_model_free(&m);
    return 0;
}
