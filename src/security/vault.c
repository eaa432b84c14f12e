/* The meter-password vault: each password sealed with crypto_secretbox under the
 * vault sub-key and a fresh random nonce, padded to a block so its length does not
 * show, and kept as text "v1:BASE64(nonce || box)" in meter_secrets. */
#include <sodium.h>
#include <string.h>

#include "../store/internal.h"
#include "internal.h"

#define PAD_BLOCK 64
#define PAD_MAX (PMU_PASSWORD_MAX + PAD_BLOCK)
#define PREFIX "v1:"

_Static_assert(sizeof PREFIX - 1 + (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PAD_MAX) * 4 / 3 + 8 <
                   PMU_SEALED_MAX,
               "sealed text fits");

enum pmu_status pmu_vault_seal(const struct pmu_key *key, const char *secret, char out[PMU_SEALED_MAX],
                               struct pmu_error *err)
{
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    size_t n = strlen(secret);
    if (n >= PMU_PASSWORD_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "the password is longer than %d characters",
                             PMU_PASSWORD_MAX - 1);
    unsigned char plain[PAD_MAX], box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PAD_MAX];
    unsigned char k[32];
    size_t padded;
    memcpy(plain, secret, n);
    if (sodium_pad(&padded, plain, n, PAD_BLOCK, sizeof plain) != 0)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "the password is too long");
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    pmu_key_derive(key, PMU_SUBKEY_VAULT, k);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, padded, box, k);
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(k, sizeof k);
    memcpy(out, PREFIX, sizeof PREFIX - 1);
    sodium_bin2base64(out + sizeof PREFIX - 1, PMU_SEALED_MAX - (sizeof PREFIX - 1), box,
                      crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + padded,
                      sodium_base64_VARIANT_ORIGINAL);
    return PMU_OK;
}

enum pmu_status pmu_vault_open(const struct pmu_key *key, const char *sealed, char out[PMU_PASSWORD_MAX],
                               struct pmu_error *err)
{
    out[0] = '\0';
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    if (strncmp(sealed, PREFIX, sizeof PREFIX - 1) != 0)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "a sealed password starts with '" PREFIX "'");
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PAD_MAX], plain[PAD_MAX];
    size_t len = 0;
    const char *b64 = sealed + sizeof PREFIX - 1;
    if (sodium_base642bin(box, sizeof box, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PAD_BLOCK ||
        (len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES) % PAD_BLOCK != 0)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "the sealed password is damaged (bad length or base64)");
    size_t clen = len - crypto_secretbox_NONCEBYTES;
    unsigned char k[32];
    pmu_key_derive(key, PMU_SUBKEY_VAULT, k);
    int bad = crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES, clen, box, k);
    sodium_memzero(k, sizeof k);
    size_t n = 0;
    if (bad != 0)
        return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                             "the sealed password does not open with this key (wrong key file, or changed)");
    if (sodium_unpad(&n, plain, clen - crypto_secretbox_MACBYTES, PAD_BLOCK) != 0 || n >= PMU_PASSWORD_MAX ||
        memchr(plain, '\0', n) != NULL) {
        sodium_memzero(plain, sizeof plain);
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "the sealed password has bad padding");
    }
    memcpy(out, plain, n);
    out[n] = '\0';
    sodium_memzero(plain, sizeof plain);
    return PMU_OK;
}

enum pmu_status pmu_meter_password_set(struct pmu_store *s, const struct pmu_key *key, const char *serial,
                                       const char *password, struct pmu_error *err)
{
    static const char put[] = "INSERT INTO meter_secrets (meter_id, sealed, updated_at) VALUES ($1, $2, $3) "
                              "ON CONFLICT (meter_id) DO UPDATE SET sealed = excluded.sealed, "
                              "updated_at = excluded.updated_at";
    static const char clear[] = "DELETE FROM meter_secrets WHERE meter_id = $1";
    int64_t id;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status != PMU_OK)
        return status;
    if (password == NULL) {
        struct pmu_store_arg a = pmu_arg_int(id);
        return s->ops->query(s, clear, &a, 1, NULL, NULL, NULL, err);
    }
    if (password[0] == '\0')
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': the password is empty", serial);
    char sealed[PMU_SEALED_MAX], now[24];
    if ((status = pmu_vault_seal(key, password, sealed, err)) != PMU_OK)
        return status;
    pmu_store_utc_text(0, now);
    struct pmu_store_arg args[] = {pmu_arg_int(id), pmu_arg_text(sealed), pmu_arg_text(now)};
    return s->ops->query(s, put, args, 3, NULL, NULL, NULL, err);
}

struct sealed_row {
    char text[PMU_SEALED_MAX];
    bool found;
};

static enum pmu_status take_sealed(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct sealed_row *r = user;
    pmu_store_col_copy(s, row, 0, r->text, sizeof r->text);
    r->found = true;
    return PMU_DONE;
}

enum pmu_status pmu_meter_password_get(struct pmu_store *s, const struct pmu_key *key, const char *serial,
                                       char out[PMU_PASSWORD_MAX], bool *found, struct pmu_error *err)
{
    static const char sql[] = "SELECT sealed FROM meter_secrets WHERE meter_id = $1";
    out[0] = '\0';
    *found = false;
    int64_t id;
    enum pmu_status status = pmu_store_meter_id(s, serial, &id, err);
    if (status != PMU_OK)
        return status;
    struct sealed_row r = {"", false};
    struct pmu_store_arg a = pmu_arg_int(id);
    if ((status = s->ops->query(s, sql, &a, 1, take_sealed, &r, NULL, err)) != PMU_OK)
        return status;
    *found = r.found;
    if (!r.found || key == NULL)
        return PMU_OK;
    struct pmu_error e2;
    if ((status = pmu_vault_open(key, r.text, out, &e2)) != PMU_OK)
        return pmu_error_set(err, status, PMU_NO_OFFSET, "meter '%s': %s", serial, e2.message);
    return PMU_OK;
}
