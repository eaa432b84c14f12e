/* Pure parts of src/security: levels, Argon2id hashes, the vault's sealing, the audit
 * chain's hashing and the anchor MAC; and the key file's permission rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmu/security.h"

static struct pmu_key key_a, key_b;

static int setup(void **state)
{
    (void)state;
    memset(&key_a, 0x11, sizeof key_a);
    memset(&key_b, 0x22, sizeof key_b);
    return 0;
}

static void test_levels(void **state)
{
    (void)state;
    enum pmu_level l;
    struct pmu_error err;
    assert_int_equal(pmu_level_parse("read-only", &l, &err), PMU_OK);
    assert_int_equal(l, PMU_LEVEL_READ_ONLY);
    assert_int_equal(pmu_level_parse("admin", &l, &err), PMU_OK);
    assert_int_equal(l, PMU_LEVEL_ADMINISTRATOR);
    assert_int_equal(pmu_level_parse("root", &l, &err), PMU_E_INVALID);
    assert_non_null(strstr(err.message, "read-only, reader, programmer, administrator"));
    assert_true(PMU_LEVEL_READ_ONLY < PMU_LEVEL_READER && PMU_LEVEL_READER < PMU_LEVEL_PROGRAMMER &&
                PMU_LEVEL_PROGRAMMER < PMU_LEVEL_ADMINISTRATOR);
    for (int i = PMU_LEVEL_READ_ONLY; i <= PMU_LEVEL_ADMINISTRATOR; i++) {
        assert_int_equal(pmu_level_parse(pmu_level_name((enum pmu_level)i), &l, NULL), PMU_OK);
        assert_int_equal(l, i);
    }
}

static void test_password_hash(void **state)
{
    (void)state;
    char h1[PMU_PASSWORD_HASH_MAX], h2[PMU_PASSWORD_HASH_MAX];
    struct pmu_error err;
    assert_int_equal(pmu_password_hash("correct horse", PMU_HASH_MINIMAL, h1, &err), PMU_OK);
    assert_int_equal(pmu_password_hash("correct horse", PMU_HASH_MINIMAL, h2, &err), PMU_OK);
    assert_true(strncmp(h1, "$argon2id$", 10) == 0);
    assert_string_not_equal(h1, h2); /* salted */
    assert_null(strstr(h1, "correct horse"));
    assert_true(pmu_password_verify(h1, "correct horse"));
    assert_false(pmu_password_verify(h1, "correct horse "));
    assert_false(pmu_password_verify(h1, ""));
    assert_false(pmu_password_verify("", "correct horse"));
    assert_int_equal(pmu_password_hash("", PMU_HASH_MINIMAL, h1, &err), PMU_E_INVALID);
}

static void test_vault(void **state)
{
    (void)state;
    char s1[PMU_SEALED_MAX], s2[PMU_SEALED_MAX], s3[PMU_SEALED_MAX], out[PMU_PASSWORD_MAX];
    struct pmu_error err;
    assert_int_equal(pmu_vault_seal(&key_a, "00000000", s1, &err), PMU_OK);
    assert_int_equal(pmu_vault_seal(&key_a, "00000000", s2, &err), PMU_OK);
    assert_int_equal(pmu_vault_seal(&key_a, "x", s3, &err), PMU_OK);
    assert_string_not_equal(s1, s2);                 /* a fresh nonce each time */
    assert_int_equal(strlen(s1), strlen(s3));       /* the length does not show */
    assert_null(strstr(s1, "00000000"));
    assert_int_equal(pmu_vault_open(&key_a, s1, out, &err), PMU_OK);
    assert_string_equal(out, "00000000");
    assert_int_equal(pmu_vault_open(&key_a, s3, out, &err), PMU_OK);
    assert_string_equal(out, "x");
    /* another key, a changed byte, or no sealed text at all */
    assert_int_equal(pmu_vault_open(&key_b, s1, out, &err), PMU_E_REFUSED);
    assert_string_equal(out, "");
    s1[10] = s1[10] == 'A' ? 'B' : 'A';
    assert_int_equal(pmu_vault_open(&key_a, s1, out, &err), PMU_E_REFUSED);
    assert_int_equal(pmu_vault_open(&key_a, "00000000", out, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_vault_open(&key_a, "v1:!!!", out, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_vault_open(&key_a, "v1:", out, &err), PMU_E_SYNTAX);
    char big[PMU_PASSWORD_MAX + 1];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(pmu_vault_seal(&key_a, big, s1, &err), PMU_E_TOO_LONG);
    big[PMU_PASSWORD_MAX - 1] = '\0';                /* the longest that fits */
    assert_int_equal(pmu_vault_seal(&key_a, big, s1, &err), PMU_OK);
    assert_int_equal(pmu_vault_open(&key_a, s1, out, &err), PMU_OK);
    assert_string_equal(out, big);
}

static void entry(struct pmu_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    e->seq = 7;
    strcpy(e->at, "2024-01-15T12:30:00Z");
    strcpy(e->actor, "alice");
    strcpy(e->action, "meter.edit");
    strcpy(e->meter, "E1");
    strcpy(e->scheme_version, "tou-3");
    strcpy(e->before_digest, "aa");
    strcpy(e->after_digest, "bb");
    strcpy(e->detail, "meter E1 edited");
}

static void test_audit_hash(void **state)
{
    (void)state;
    struct pmu_audit_entry e;
    char prev[PMU_DIGEST_HEX], h[PMU_DIGEST_HEX], h2[PMU_DIGEST_HEX];
    pmu_audit_digest("", 0, prev);
    /* SHA-256 of nothing */
    assert_string_equal(prev, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    entry(&e);
    pmu_audit_entry_hash(prev, &e, h);
    pmu_audit_entry_hash(prev, &e, h2);
    assert_string_equal(h, h2);
    /* every field, the number and the previous hash count */
    char *fields[] = {e.at, e.actor, e.action, e.meter, e.scheme_version, e.before_digest, e.after_digest, e.detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        entry(&e);
        fields[i][0] ^= 1;
        pmu_audit_entry_hash(prev, &e, h2);
        assert_string_not_equal(h, h2);
    }
    entry(&e);
    e.seq = 8;
    pmu_audit_entry_hash(prev, &e, h2);
    assert_string_not_equal(h, h2);
    entry(&e);
    pmu_audit_entry_hash(h, &e, h2);
    assert_string_not_equal(h, h2);
    /* lengths are framed: moving a character from one field to the next changes it */
    entry(&e);
    strcpy(e.before_digest, "aab");
    strcpy(e.after_digest, "b");
    pmu_audit_entry_hash(prev, &e, h2);
    assert_string_not_equal(h, h2);
}

static void test_anchor_mac(void **state)
{
    (void)state;
    char m1[PMU_DIGEST_HEX], m2[PMU_DIGEST_HEX];
    pmu_audit_anchor_mac(&key_a, 5, "abc", m1);
    pmu_audit_anchor_mac(&key_a, 5, "abc", m2);
    assert_string_equal(m1, m2);
    pmu_audit_anchor_mac(&key_b, 5, "abc", m2);
    assert_string_not_equal(m1, m2);
    pmu_audit_anchor_mac(&key_a, 4, "abc", m2);
    assert_string_not_equal(m1, m2);
    pmu_audit_anchor_mac(&key_a, 5, "abd", m2);
    assert_string_not_equal(m1, m2);
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/pmu-key-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/db.key", dir);
    struct pmu_key k1, k2;
    struct pmu_error err;
    bool created;
    assert_int_equal(pmu_key_load(path, false, &k1, &created, &err), PMU_E_IO);
    assert_non_null(strstr(err.message, "no key file"));
    assert_int_equal(pmu_key_load(path, true, &k1, &created, &err), PMU_OK);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(pmu_key_load(path, true, &k2, &created, &err), PMU_OK);
    assert_false(created);
    assert_memory_equal(k1.bytes, k2.bytes, PMU_KEY_BYTES);
    chmod(path, 0640);
    assert_int_equal(pmu_key_load(path, false, &k2, &created, &err), PMU_E_REFUSED);
    assert_non_null(strstr(err.message, "chmod 600"));
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    chmod(path, 0600);
    assert_int_equal(pmu_key_load(path, false, &k2, &created, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_key_parse("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", &k2, &err),
                     PMU_OK);
    assert_int_equal(k2.bytes[1], 0x11);
    assert_int_equal(pmu_key_parse("0011", &k2, &err), PMU_E_SYNTAX);
    char def[256];
    pmu_key_default_path("/var/lib/openpmu/site.db", def, sizeof def);
    assert_string_equal(def, "/var/lib/openpmu/site.db.key");
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),     cmocka_unit_test(test_password_hash), cmocka_unit_test(test_vault),
        cmocka_unit_test(test_audit_hash), cmocka_unit_test(test_anchor_mac),    cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests_name("security", tests, setup, NULL);
}
