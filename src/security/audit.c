/* The audit trail: an append-only hash chain in audit_log, and an anchor (entry
 * count and head hash, MACed with the audit sub-key) in audit_anchor.
 *
 * A chain alone shows an edited entry, but not a chain recomputed from the edit on,
 * nor a cut-off tail (which is still a valid chain). The anchor covers both: it can
 * only be moved by someone holding the key, which is kept outside the database. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/grow.h"
#include "../store/internal.h"
#include "internal.h"

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

void pmu_audit_digest(const void *data, size_t len, char out[PMU_DIGEST_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, PMU_DIGEST_HEX, h, sizeof h);
}

static void put_field(crypto_hash_sha256_state *st, const char *text)
{
    size_t n = strlen(text);
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                            (unsigned char)n};
    crypto_hash_sha256_update(st, len, sizeof len);
    crypto_hash_sha256_update(st, (const unsigned char *)text, n);
}

void pmu_audit_entry_hash(const char *prev_hash_hex, const struct pmu_audit_entry *e, char out[PMU_DIGEST_HEX])
{
    crypto_hash_sha256_state st;
    char seq[24];
    unsigned char h[crypto_hash_sha256_BYTES];
    snprintf(seq, sizeof seq, "%lld", (long long)e->seq);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)prev_hash_hex, strlen(prev_hash_hex));
    const char *fields[] = {seq, e->at, e->actor, e->action, e->meter, e->scheme_version, e->before_digest,
                            e->after_digest, e->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        put_field(&st, fields[i]);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, PMU_DIGEST_HEX, h, sizeof h);
}

void pmu_audit_anchor_mac(const struct pmu_key *key, int64_t entries, const char *head_hash_hex,
                          char out[PMU_DIGEST_HEX])
{
    unsigned char k[32], mac[crypto_auth_hmacsha256_BYTES];
    char msg[128];
    int n = snprintf(msg, sizeof msg, "openpmu audit anchor v1\n%lld\n%s", (long long)entries, head_hash_hex);
    pmu_key_derive(key, PMU_SUBKEY_AUDIT, k);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, k);
    sodium_memzero(k, sizeof k);
    sodium_bin2hex(out, PMU_DIGEST_HEX, mac, sizeof mac);
}

/* ---- the anchor ---------------------------------------------------------------------- */

struct anchor {
    bool found;
    int64_t entries;
    char head[PMU_DIGEST_HEX];
    char mac[PMU_DIGEST_HEX];
};

static enum pmu_status anchor_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct anchor *a = user;
    a->found = true;
    a->entries = s->ops->col_int(row, 0);
    pmu_store_col_copy(s, row, 1, a->head, sizeof a->head);
    pmu_store_col_copy(s, row, 2, a->mac, sizeof a->mac);
    return PMU_DONE;
}

static enum pmu_status read_anchor(struct pmu_store *s, struct anchor *a, struct pmu_error *err)
{
    static const char sql[] = "SELECT entries, head_hash, mac FROM audit_anchor WHERE id = 1";
    memset(a, 0, sizeof *a);
    return s->ops->query(s, sql, NULL, 0, anchor_row, a, NULL, err);
}

static bool anchor_mac_ok(const struct pmu_key *key, const struct anchor *a)
{
    char mac[PMU_DIGEST_HEX];
    pmu_audit_anchor_mac(key, a->entries, a->head, mac);
    return sodium_memcmp(mac, a->mac, PMU_DIGEST_HEX - 1) == 0 && strlen(a->mac) == PMU_DIGEST_HEX - 1;
}

/* Whether entries can be appended: the anchor is signed by this key and the entry it
 * names is there, with the hash it names (or there is no anchor and no entry). Else
 * appending would sign over tampering. */
static enum pmu_status check_head(struct pmu_store *s, const struct pmu_key *key, struct anchor *a,
                                  struct pmu_error *err)
{
    static const char count[] = "SELECT COUNT(*) FROM audit_log";
    static const char head[] = "SELECT COUNT(*) FROM audit_log WHERE seq = $1 AND hash = $2 AND "
                               "NOT EXISTS (SELECT 1 FROM audit_log WHERE seq > $1)";
    enum pmu_status status = read_anchor(s, a, err);
    if (status != PMU_OK)
        return status;
    int64_t n = 0;
    if (!a->found) {
        if ((status = pmu_store_query_int(s, count, NULL, 0, &n, NULL, err)) != PMU_OK)
            return status;
        if (n > 0)
            return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                                 "the audit trail has %lld entries but no anchor (tampered): run pmu audit verify",
                                 (long long)n);
        return PMU_OK;
    }
    if (!anchor_mac_ok(key, a))
        return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                             "the audit trail's anchor does not match this key (tampered, or the wrong key "
                             "file): run pmu audit verify");
    struct pmu_store_arg args[] = {pmu_arg_int(a->entries), pmu_arg_text(a->head)};
    if ((status = pmu_store_query_int(s, head, args, 2, &n, NULL, err)) != PMU_OK)
        return status;
    if (n != 1)
        return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                             "the audit trail does not end at the entry its anchor names (%lld): tampered; run "
                             "pmu audit verify",
                             (long long)a->entries);
    return PMU_OK;
}

enum pmu_status pmu_audit_ready(struct pmu_store *s, const struct pmu_key *key, struct pmu_error *err)
{
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    struct anchor a;
    return check_head(s, key, &a, err);
}

/* ---- append ---------------------------------------------------------------------------- */

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src != NULL ? src : "");
}

enum pmu_status pmu_audit_append(struct pmu_store *s, const struct pmu_key *key, const struct pmu_audit_record *r,
                                 int64_t *seq, struct pmu_error *err)
{
    static const char insert[] =
        "INSERT INTO audit_log (seq, at, actor, action, meter, scheme_version, before_digest, after_digest, "
        "detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    static const char move[] = "UPDATE audit_anchor SET entries = $1, head_hash = $2, mac = $3 WHERE id = 1";
    static const char first[] = "INSERT INTO audit_anchor (id, entries, head_hash, mac) VALUES (1, $1, $2, $3)";
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    struct pmu_audit_entry e;
    memset(&e, 0, sizeof e);
    pmu_store_utc_text(0, e.at);
    copy(e.actor, sizeof e.actor, r->actor);
    copy(e.action, sizeof e.action, r->action);
    copy(e.meter, sizeof e.meter, r->meter);
    copy(e.scheme_version, sizeof e.scheme_version, r->scheme_version);
    copy(e.before_digest, sizeof e.before_digest, r->before_digest);
    copy(e.after_digest, sizeof e.after_digest, r->after_digest);
    copy(e.detail, sizeof e.detail, r->detail);

    /* the write lock first: two writers must not both take the same head */
    enum pmu_status status = s->ops->begin(s, true, err);
    if (status != PMU_OK)
        return status;
    s->in_transaction = true;
    struct anchor a;
    /* moving a forged anchor would sign it: stop until someone looks */
    if ((status = check_head(s, key, &a, err)) != PMU_OK)
        goto fail;
    if (!a.found)
        copy(a.head, sizeof a.head, zero_hash);
    e.seq = a.entries + 1;
    copy(e.prev_hash, sizeof e.prev_hash, a.head);
    pmu_audit_entry_hash(e.prev_hash, &e, e.hash);
    struct pmu_store_arg args[] = {pmu_arg_int(e.seq),           pmu_arg_text(e.at),
                                   pmu_arg_text(e.actor),        pmu_arg_text(e.action),
                                   pmu_arg_text(e.meter),        pmu_arg_text(e.scheme_version),
                                   pmu_arg_text(e.before_digest), pmu_arg_text(e.after_digest),
                                   pmu_arg_text(e.detail),       pmu_arg_text(e.prev_hash),
                                   pmu_arg_text(e.hash)};
    if ((status = s->ops->query(s, insert, args, 11, NULL, NULL, NULL, err)) != PMU_OK)
        goto fail;
    char mac[PMU_DIGEST_HEX];
    pmu_audit_anchor_mac(key, e.seq, e.hash, mac);
    struct pmu_store_arg aargs[] = {pmu_arg_int(e.seq), pmu_arg_text(e.hash), pmu_arg_text(mac)};
    if ((status = s->ops->query(s, a.found ? move : first, aargs, 3, NULL, NULL, NULL, err)) != PMU_OK)
        goto fail;
    if ((status = pmu_store_commit(s, err)) != PMU_OK)
        return status;
    if (seq != NULL)
        *seq = e.seq;
    return PMU_OK;
fail:
    pmu_store_rollback(s);
    return status;
}

/* ---- reading ---------------------------------------------------------------------------- */

#define ENTRY_COLUMNS                                                                                \
    "SELECT seq, at, actor, action, meter, scheme_version, before_digest, after_digest, detail, " \
    "prev_hash, hash FROM audit_log "

static void entry_from_row(struct pmu_store *s, const struct pmu_store_row *row, struct pmu_audit_entry *e)
{
    e->seq = s->ops->col_int(row, 0);
    pmu_store_col_copy(s, row, 1, e->at, sizeof e->at);
    pmu_store_col_copy(s, row, 2, e->actor, sizeof e->actor);
    pmu_store_col_copy(s, row, 3, e->action, sizeof e->action);
    pmu_store_col_copy(s, row, 4, e->meter, sizeof e->meter);
    pmu_store_col_copy(s, row, 5, e->scheme_version, sizeof e->scheme_version);
    pmu_store_col_copy(s, row, 6, e->before_digest, sizeof e->before_digest);
    pmu_store_col_copy(s, row, 7, e->after_digest, sizeof e->after_digest);
    pmu_store_col_copy(s, row, 8, e->detail, sizeof e->detail);
    pmu_store_col_copy(s, row, 9, e->prev_hash, sizeof e->prev_hash);
    pmu_store_col_copy(s, row, 10, e->hash, sizeof e->hash);
}

struct entry_list {
    struct pmu_audit_entry *items;
    size_t n, cap;
};

static enum pmu_status list_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct entry_list *l = user;
    if (!pmu_grow((void **)&l->items, &l->cap, l->n, sizeof *l->items))
        return PMU_E_NOMEM;
    entry_from_row(s, row, &l->items[l->n++]);
    return PMU_OK;
}

enum pmu_status pmu_audit_list(struct pmu_store *s, const struct pmu_audit_filter *f, pmu_audit_fn fn, void *user,
                               struct pmu_error *err)
{
    static const char sql[] = ENTRY_COLUMNS "WHERE ($1 = '' OR meter = $1) AND ($2 = '' OR actor = $2) "
                                            "ORDER BY seq DESC LIMIT $3";
    struct pmu_store_arg args[] = {pmu_arg_text(f != NULL && f->meter != NULL ? f->meter : ""),
                                   pmu_arg_text(f != NULL && f->actor != NULL ? f->actor : ""),
                                   pmu_arg_int(f != NULL && f->limit > 0 ? (int64_t)f->limit : INT64_MAX)};
    struct entry_list l = {NULL, 0, 0};
    enum pmu_status status = s->ops->query(s, sql, args, 3, list_row, &l, NULL, err);
    if (status == PMU_E_NOMEM)
        pmu_error_set(err, status, PMU_NO_OFFSET, "out of memory");
    for (size_t i = l.n; status == PMU_OK && i > 0; i--) {
        status = fn(user, &l.items[i - 1]);
        if (status == PMU_DONE) {
            status = PMU_OK;
            break;
        }
    }
    free(l.items);
    return status;
}

enum pmu_status pmu_audit_get(struct pmu_store *s, int64_t seq, struct pmu_audit_entry *out, struct pmu_error *err)
{
    static const char sql[] = ENTRY_COLUMNS "WHERE seq = $1";
    struct entry_list l = {out, 0, 1};
    struct pmu_store_arg a = pmu_arg_int(seq);
    enum pmu_status status = s->ops->query(s, sql, &a, 1, list_row, &l, NULL, err);
    if (status == PMU_OK && l.n == 0)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "no audit entry %lld", (long long)seq);
    return status;
}

/* ---- verify ----------------------------------------------------------------------------- */

struct walk {
    struct pmu_audit_verdict *v;
    char prev[PMU_DIGEST_HEX];
};

static void broken(struct pmu_audit_verdict *v, int64_t seq, const char *fmt, ...) PMU_PRINTF(3, 4);
static void broken(struct pmu_audit_verdict *v, int64_t seq, const char *fmt, ...)
{
    if (!v->intact)
        return;
    v->intact = false;
    v->first_broken = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->problem, sizeof v->problem, fmt, ap);
    va_end(ap);
}

static enum pmu_status walk_row(void *user, struct pmu_store *s, const struct pmu_store_row *row)
{
    struct walk *w = user;
    struct pmu_audit_entry e;
    entry_from_row(s, row, &e);
    int64_t expected = (int64_t)w->v->entries + 1;
    w->v->entries++;
    if (!w->v->intact)
        return PMU_OK;
    if (e.seq != expected) {
        broken(w->v, expected, "entry %lld: missing (deleted); the chain goes from entry %lld to entry %lld",
               (long long)expected, (long long)expected - 1, (long long)e.seq);
        return PMU_OK;
    }
    if (strcmp(e.prev_hash, w->prev) != 0) {
        broken(w->v, e.seq,
               "entry %lld: does not link to entry %lld (entries deleted, inserted or reordered before it)",
               (long long)e.seq, (long long)e.seq - 1);
        return PMU_OK;
    }
    char h[PMU_DIGEST_HEX];
    pmu_audit_entry_hash(e.prev_hash, &e, h);
    if (strcmp(h, e.hash) != 0) {
        broken(w->v, e.seq, "entry %lld: its contents do not match its hash (edited after it was written)",
               (long long)e.seq);
        return PMU_OK;
    }
    copy(w->prev, sizeof w->prev, e.hash);
    return PMU_OK;
}

enum pmu_status pmu_audit_verify(struct pmu_store *s, const struct pmu_key *key, struct pmu_audit_verdict *v,
                                 struct pmu_error *err)
{
    static const char sql[] = ENTRY_COLUMNS "ORDER BY seq";
    memset(v, 0, sizeof *v);
    v->intact = true;
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    struct anchor a;
    struct walk w;
    w.v = v;
    copy(w.prev, sizeof w.prev, zero_hash);
    enum pmu_status status = read_anchor(s, &a, err);
    if (status == PMU_OK)
        status = s->ops->query(s, sql, NULL, 0, walk_row, &w, NULL, err);
    if (status != PMU_OK)
        return status;
    int64_t n = (int64_t)v->entries;
    v->anchor_checked = key != NULL;
    if (!a.found) {
        if (n > 0)
            broken(v, 1, "the anchor is missing (deleted): the chain of %lld entries cannot be trusted",
                   (long long)n);
        return PMU_OK;
    }
    if (key != NULL && !anchor_mac_ok(key, &a))
        broken(v, a.entries > 0 ? a.entries : 1,
               "the anchor's MAC does not match: the anchor was edited, or this is not the database's key");
    if (a.entries > n)
        broken(v, n + 1, "entry %lld: missing (cut off); the chain ends at entry %lld but the anchor says %lld",
               (long long)n + 1, (long long)n, (long long)a.entries);
    else if (a.entries < n)
        broken(v, a.entries + 1, "entry %lld: added without the key (the anchor ends at entry %lld)",
               (long long)a.entries + 1, (long long)a.entries);
    else if (strcmp(a.head, w.prev) != 0)
        broken(v, n, "entry %lld: the chain head does not match the anchor (entries rewritten and re-hashed)",
               (long long)n);
    return PMU_OK;
}
