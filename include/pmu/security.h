/* Security: users and access levels, the meter-password vault and the tamper-evident
 * audit trail (docs/security.md).
 *
 *   users     names with an access level and an Argon2id password hash (libsodium);
 *             pmu_user_authenticate checks a password
 *   key       32 random bytes kept outside the database (a key file with mode 0600,
 *             or PMU_KEY); from it come the vault key and the audit anchor key
 *   vault     meter passwords sealed with XSalsa20-Poly1305 (crypto_secretbox), a
 *             random nonce each; the database holds only the sealed text
 *   audit     an append-only chain: entry N's hash is SHA-256(hash N-1 || entry N's
 *             canonical bytes); an anchor (entry count, head hash) is MACed with
 *             the key, so a rewritten or cut-off chain is found by pmu_audit_verify
 *
 * Secrets (passwords, keys) are never put in an error message. */
#ifndef PMU_SECURITY_H
#define PMU_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"
#include "pmu/store.h"

/* ---- access levels -------------------------------------------------------------- */

/* Ordered: each level may do everything the levels below it may. */
enum pmu_level {
    PMU_LEVEL_NONE = 0,            /* no user (only for rules: anyone) */
    PMU_LEVEL_READ_ONLY = 1,       /* look at the meter list, readings, audit trail */
    PMU_LEVEL_READER = 2,          /* also read meters and store what was read */
    PMU_LEVEL_PROGRAMMER = 3,      /* also meter passwords, programming, clocks, schemes */
    PMU_LEVEL_ADMINISTRATOR = 4    /* also users and the meter list (meters, sites, groups) */
};

/* "read-only", "reader", "programmer", "administrator" ("none" for PMU_LEVEL_NONE). */
const char *pmu_level_name(enum pmu_level level);
/* Parses a level name (also "readonly", "admin"); PMU_E_INVALID names the choices. */
enum pmu_status pmu_level_parse(const char *text, enum pmu_level *out, struct pmu_error *err);

/* ---- user passwords (Argon2id) ------------------------------------------------------ */

#define PMU_PASSWORD_HASH_MAX 128  /* crypto_pwhash_STRBYTES, with the NUL */
#define PMU_PASSWORD_MAX 256       /* user and meter passwords, with the NUL */

/* Cost of a new hash: the parameters are kept in the hash, so verifying costs what
 * hashing did. MINIMAL is for tests and demos only (weak against guessing). */
enum pmu_hash_cost { PMU_HASH_INTERACTIVE, PMU_HASH_MODERATE, PMU_HASH_MINIMAL };

enum pmu_status pmu_password_hash(const char *password, enum pmu_hash_cost cost, char out[PMU_PASSWORD_HASH_MAX],
                                  struct pmu_error *err);
/* true when password matches hash. */
bool pmu_password_verify(const char *hash, const char *password);

/* ---- users in the store ------------------------------------------------------------ */

struct pmu_user_record {
    char name[PMU_STORE_NAME_MAX];
    enum pmu_level level;
    bool disabled;
    char created[24], updated[24];
};

/* Adds a user with the hash from pmu_password_hash. */
enum pmu_status pmu_store_user_add(struct pmu_store *s, const struct pmu_user_record *u, const char *hash,
                                   struct pmu_error *err);
/* hash (may be NULL) gets the stored hash. PMU_E_RANGE when there is no such user. */
enum pmu_status pmu_store_user_get(struct pmu_store *s, const char *name, struct pmu_user_record *out,
                                   char hash[PMU_PASSWORD_HASH_MAX], struct pmu_error *err);
/* *out is an array of *n users by name, to free(). */
enum pmu_status pmu_store_user_list(struct pmu_store *s, struct pmu_user_record **out, size_t *n,
                                    struct pmu_error *err);
enum pmu_status pmu_store_user_count(struct pmu_store *s, size_t *n, struct pmu_error *err);
enum pmu_status pmu_store_user_set_password(struct pmu_store *s, const char *name, const char *hash,
                                            struct pmu_error *err);
enum pmu_status pmu_store_user_set_disabled(struct pmu_store *s, const char *name, bool disabled,
                                            struct pmu_error *err);
enum pmu_status pmu_store_user_set_level(struct pmu_store *s, const char *name, enum pmu_level level,
                                         struct pmu_error *err);

/* Checks name and password. PMU_E_REFUSED with one message for an unknown user and a
 * wrong password (so names cannot be probed), another for a disabled user. */
enum pmu_status pmu_user_authenticate(struct pmu_store *s, const char *name, const char *password,
                                      struct pmu_user_record *out, struct pmu_error *err);

/* ---- the key ------------------------------------------------------------------------ */

#define PMU_KEY_BYTES 32

struct pmu_key {
    unsigned char bytes[PMU_KEY_BYTES];
};

/* Reads the key file at path (64 hex digits). A file that group or others may read
 * is refused (PMU_E_REFUSED, saying how to fix it). When the file does not exist and
 * create is true, a new random key is written with mode 0600 (*created says so);
 * otherwise PMU_E_IO "no key file". */
enum pmu_status pmu_key_load(const char *path, bool create, struct pmu_key *out, bool *created,
                             struct pmu_error *err);
/* The key from 64 hex digits (PMU_KEY). */
enum pmu_status pmu_key_parse(const char *hex, struct pmu_key *out, struct pmu_error *err);
/* Where the key of a database lives by default: "FILE.key" beside an SQLite file,
 * $XDG_CONFIG_HOME/openpmu/key (else ~/.config/openpmu/key) for PostgreSQL. */
void pmu_key_default_path(const char *conn, char *out, size_t size);
void pmu_key_wipe(struct pmu_key *k);

/* ---- the vault ---------------------------------------------------------------------- */

#define PMU_SEALED_MAX 512         /* sealed text, with the NUL */

/* Seals secret (at most PMU_PASSWORD_MAX - 1 bytes) into printable text
 * "v1:BASE64(nonce || box)"; the length is padded so it does not show. */
enum pmu_status pmu_vault_seal(const struct pmu_key *key, const char *secret, char out[PMU_SEALED_MAX],
                               struct pmu_error *err);
/* Opens sealed text; PMU_E_REFUSED when it was not sealed with this key or was
 * changed, PMU_E_SYNTAX when it is not sealed text at all. */
enum pmu_status pmu_vault_open(const struct pmu_key *key, const char *sealed, char out[PMU_PASSWORD_MAX],
                               struct pmu_error *err);

/* A meter's password in the store, sealed with key. NULL password clears it. */
enum pmu_status pmu_meter_password_set(struct pmu_store *s, const struct pmu_key *key, const char *serial,
                                       const char *password, struct pmu_error *err);
/* *found false (and out "") when the meter has no password. key may be NULL to ask
 * only whether one is set. */
enum pmu_status pmu_meter_password_get(struct pmu_store *s, const struct pmu_key *key, const char *serial,
                                       char out[PMU_PASSWORD_MAX], bool *found, struct pmu_error *err);

/* ---- the audit trail ------------------------------------------------------------------ */

#define PMU_DIGEST_HEX 65          /* SHA-256 as hex, with the NUL */

/* What happened. Strings may be NULL (stored as ""). Never put a secret in them. */
struct pmu_audit_record {
    const char *actor;             /* user name */
    const char *action;            /* "meter.add", "user.passwd", "program", "clock.set",
                                      "billing.reset", "scheme.import", "access.denied" */
    const char *meter;             /* serial, or "" */
    const char *scheme_version;    /* "" when no scheme is involved */
    const char *before_digest;     /* pmu_audit_digest of the state before, or "" */
    const char *after_digest;      /* and after */
    const char *detail;            /* one line for people */
};

struct pmu_audit_entry {
    int64_t seq;                   /* 1, 2, ... */
    char at[24];                   /* "2024-01-15T12:30:00Z" */
    char actor[PMU_STORE_NAME_MAX];
    char action[PMU_STORE_NAME_MAX];
    char meter[PMU_STORE_NAME_MAX];
    char scheme_version[PMU_STORE_NAME_MAX];
    char before_digest[PMU_DIGEST_HEX], after_digest[PMU_DIGEST_HEX];
    char detail[512];
    char prev_hash[PMU_DIGEST_HEX], hash[PMU_DIGEST_HEX];
};

/* SHA-256 of data as lowercase hex. */
void pmu_audit_digest(const void *data, size_t len, char out[PMU_DIGEST_HEX]);
/* The hash entry e must carry: SHA-256(prev_hash || canonical bytes of e), where the
 * canonical bytes are every field but the hashes, each as a 4-byte big-endian length
 * and its bytes, seq as decimal text. Pure. */
void pmu_audit_entry_hash(const char *prev_hash_hex, const struct pmu_audit_entry *e, char out[PMU_DIGEST_HEX]);

/* Whether an entry can be appended: PMU_E_REFUSED when the anchor is missing, not
 * signed by key, or names another head than the log's (someone tampered: appending
 * would sign over it). Callers check before they change anything. */
enum pmu_status pmu_audit_ready(struct pmu_store *s, const struct pmu_key *key, struct pmu_error *err);

/* Appends one entry in its own transaction (serialised with other writers) and
 * moves the anchor; *seq (may be NULL) gets its number. Refused as pmu_audit_ready. */
enum pmu_status pmu_audit_append(struct pmu_store *s, const struct pmu_key *key, const struct pmu_audit_record *r,
                                 int64_t *seq, struct pmu_error *err);

struct pmu_audit_filter {
    const char *meter;             /* NULL: any */
    const char *actor;             /* NULL: any */
    size_t limit;                  /* newest N; 0: all */
};
typedef enum pmu_status (*pmu_audit_fn)(void *user, const struct pmu_audit_entry *e);
/* Entries oldest first (of the newest `limit`). */
enum pmu_status pmu_audit_list(struct pmu_store *s, const struct pmu_audit_filter *f, pmu_audit_fn fn, void *user,
                               struct pmu_error *err);
enum pmu_status pmu_audit_get(struct pmu_store *s, int64_t seq, struct pmu_audit_entry *out, struct pmu_error *err);

struct pmu_audit_verdict {
    size_t entries;                /* entries read */
    bool intact;
    int64_t first_broken;          /* seq of the first broken entry; 0 when intact */
    char problem[256];             /* "entry 7: ..." */
    bool anchor_checked;           /* false when verified without the key */
};

/* Walks the whole chain and checks every link, every hash and the anchor (when key
 * is not NULL). Returns PMU_OK whether or not the chain is intact (see verdict);
 * an error only when the database could not be read. */
enum pmu_status pmu_audit_verify(struct pmu_store *s, const struct pmu_key *key, struct pmu_audit_verdict *v,
                                 struct pmu_error *err);

/* The anchor MAC over (entries, head hash); hex. Pure. */
void pmu_audit_anchor_mac(const struct pmu_key *key, int64_t entries, const char *head_hash_hex,
                          char out[PMU_DIGEST_HEX]);

#endif
