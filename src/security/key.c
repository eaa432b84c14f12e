/* The key kept outside the database: a file of 64 hex digits with mode 0600, or
 * PMU_KEY. Everything secret the store holds (sealed meter passwords, the audit
 * anchor's MAC) depends on it, so it is created once and refused when others may
 * read it. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void pmu_key_wipe(struct pmu_key *k)
{
    sodium_memzero(k, sizeof *k);
}

void pmu_key_derive(const struct pmu_key *key, enum pmu_subkey which, unsigned char out[32])
{
    _Static_assert(crypto_kdf_KEYBYTES == PMU_KEY_BYTES, "the key is a crypto_kdf key");
    crypto_kdf_derive_from_key(out, 32, (uint64_t)which, "openpmu_", key->bytes);
}

enum pmu_status pmu_key_parse(const char *hex, struct pmu_key *out, struct pmu_error *err)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    if (sodium_hex2bin(out->bytes, sizeof out->bytes, hex, strlen(hex), " \r\n", &bin_len, &end) != 0 ||
        bin_len != PMU_KEY_BYTES || (end != NULL && *end != '\0')) {
        pmu_key_wipe(out);
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "a key is 64 hexadecimal digits");
    }
    return PMU_OK;
}

void pmu_key_default_path(const char *conn, char *out, size_t size)
{
    if (strncmp(conn, "postgresql://", 13) != 0 && strncmp(conn, "postgres://", 11) != 0) {
        snprintf(out, size, "%s.key", conn);
        return;
    }
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg != NULL && xdg[0] != '\0')
        snprintf(out, size, "%s/openpmu/key", xdg);
    else
        snprintf(out, size, "%s/.config/openpmu/key", home != NULL ? home : ".");
}

static enum pmu_status create_key(const char *path, struct pmu_key *out, struct pmu_error *err)
{
    /* the folder of a default path under ~/.config may not exist yet */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0700);
    }
    randombytes_buf(out->bytes, sizeof out->bytes);
    char hex[2 * PMU_KEY_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, out->bytes, sizeof out->bytes);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot create the key file %s: %s", path,
                             strerror(errno));
    hex[2 * PMU_KEY_BYTES] = '\n';
    bool ok = write(fd, hex, sizeof hex) == (ssize_t)sizeof hex && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    sodium_memzero(hex, sizeof hex);
    if (!ok) {
        unlink(path);
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot write the key file %s", path);
    }
    return PMU_OK;
}

enum pmu_status pmu_key_load(const char *path, bool create, struct pmu_key *out, bool *created,
                             struct pmu_error *err)
{
    if (created != NULL)
        *created = false;
    if (!pmu_sodium_ready())
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "libsodium could not start");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && create) {
        enum pmu_status status = create_key(path, out, err);
        if (status == PMU_OK && created != NULL)
            *created = true;
        return status;
    }
    if (fd < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET,
                             "no key file %s (%s): give the database's key with PMU_KEY_FILE or PMU_KEY", path,
                             strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "the key file %s is not a regular file", path);
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        return pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET,
                             "the key file %s may be read by others (mode %04o): chmod 600 %s", path,
                             (unsigned)(st.st_mode & 07777), path);
    }
    char hex[2 * PMU_KEY_BYTES + 8];
    ssize_t n = read(fd, hex, sizeof hex - 1);
    close(fd);
    if (n < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot read the key file %s", path);
    hex[n] = '\0';
    enum pmu_status status = pmu_key_parse(hex, out, err);
    sodium_memzero(hex, sizeof hex);
    if (status != PMU_OK)
        return pmu_error_set(err, status, PMU_NO_OFFSET, "the key file %s does not hold a key (64 hex digits)",
                             path);
    return PMU_OK;
}
