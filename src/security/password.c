/* Access levels, Argon2id password hashes and checking a user's password. */
#include <sodium.h>
#include <string.h>

#include "internal.h"

bool pmu_sodium_ready(void)
{
    return sodium_init() >= 0;
}

static const char *const level_names[] = {"none", "read-only", "reader", "programmer", "administrator"};

const char *pmu_level_name(enum pmu_level level)
{
    return (unsigned)level < sizeof level_names / sizeof level_names[0] ? level_names[level] : "?";
}

enum pmu_status pmu_level_parse(const char *text, enum pmu_level *out, struct pmu_error *err)
{
    static const struct {
        const char *name;
        enum pmu_level level;
    } names[] = {{"read-only", PMU_LEVEL_READ_ONLY}, {"readonly", PMU_LEVEL_READ_ONLY},
                 {"reader", PMU_LEVEL_READER},       {"programmer", PMU_LEVEL_PROGRAMMER},
                 {"administrator", PMU_LEVEL_ADMINISTRATOR}, {"admin", PMU_LEVEL_ADMINISTRATOR}};
    for (size_t i = 0; text != NULL && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return PMU_OK;
        }
    return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                         "level '%s' is not one of read-only, reader, programmer, administrator",
                         text != NULL ? text : "");
}

enum pmu_status pmu_password_hash(const char *password, enum pmu_hash_cost cost, char out[PMU_PASSWORD_HASH_MAX],
                                  struct pmu_error *err)
{
    _Static_assert(crypto_pwhash_STRBYTES <= PMU_PASSWORD_HASH_MAX, "hash fits");
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    size_t n = strlen(password);
    if (n == 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "the password is empty");
    if (n >= PMU_PASSWORD_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "the password is longer than %d characters",
                             PMU_PASSWORD_MAX - 1);
    unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (cost == PMU_HASH_MODERATE) {
        ops = crypto_pwhash_OPSLIMIT_MODERATE;
        mem = crypto_pwhash_MEMLIMIT_MODERATE;
    } else if (cost == PMU_HASH_MINIMAL) {
        ops = crypto_pwhash_OPSLIMIT_MIN;
        mem = crypto_pwhash_MEMLIMIT_MIN;
    }
    if (crypto_pwhash_str_alg(out, password, n, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory while hashing the password");
    return PMU_OK;
}

bool pmu_password_verify(const char *hash, const char *password)
{
    if (!pmu_sodium_ready() || hash == NULL || password == NULL || hash[0] == '\0')
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

enum pmu_status pmu_user_authenticate(struct pmu_store *s, const char *name, const char *password,
                                      struct pmu_user_record *out, struct pmu_error *err)
{
    char hash[PMU_PASSWORD_HASH_MAX];
    struct pmu_error e2;
    enum pmu_status status = pmu_store_user_get(s, name, out, hash, &e2);
    if (status != PMU_OK && status != PMU_E_RANGE) {
        if (err != NULL)
            *err = e2;
        return status;
    }
    bool ok = status == PMU_OK && pmu_password_verify(hash, password);
    sodium_memzero(hash, sizeof hash);
    if (!ok)
        return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET, "user '%s': unknown user or wrong password", name);
    if (out->disabled)
        return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                             "user '%s' is disabled: an administrator can enable it (pmu user enable %s)", name,
                             name);
    return PMU_OK;
}
