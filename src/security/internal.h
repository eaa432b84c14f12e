/* Inside src/security: sub-keys derived from the one key. Not a public header. */
#ifndef PMU_SECURITY_INTERNAL_H
#define PMU_SECURITY_INTERNAL_H

#include "pmu/security.h"

/* Each use gets its own key, derived from the key with crypto_kdf, so that a key
 * for one purpose never doubles as another. */
enum pmu_subkey { PMU_SUBKEY_VAULT = 1, PMU_SUBKEY_AUDIT = 2 };

void pmu_key_derive(const struct pmu_key *key, enum pmu_subkey which, unsigned char out[32]);
/* sodium_init once; false when libsodium cannot start. */
bool pmu_sodium_ready(void);

#endif
