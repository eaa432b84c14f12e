/* libFuzzer target for what the vault reads from outside: sealed meter passwords (a
 * database anyone may have edited) and key text (PMU_KEY, key files). Any input must
 * open or be refused; whatever opens must seal and open again to the same password. */
#include "pmu/security.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[2048];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct pmu_key key, parsed;
    memset(&key, 0x11, sizeof key);
    struct pmu_error err;
    char out[PMU_PASSWORD_MAX], again[PMU_PASSWORD_MAX], sealed[PMU_SEALED_MAX];
    if (pmu_vault_open(&key, text, out, &err) == PMU_OK) {
        if (strlen(out) >= PMU_PASSWORD_MAX || pmu_vault_seal(&key, out, sealed, &err) != PMU_OK ||
            pmu_vault_open(&key, sealed, again, &err) != PMU_OK || strcmp(out, again) != 0)
            abort();
    } else if (out[0] != '\0') {
        abort(); /* a refusal leaves nothing behind */
    }
    if (pmu_key_parse(text, &parsed, &err) != PMU_OK && err.message[0] == '\0')
        abort();
    return 0;
}
