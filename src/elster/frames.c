/* The register protocol's messages: the P0/P1/P2 password exchange, R1 reads and W1
 * writes of data identities, and the "(hex)" / "(ERRn)" replies. Framing, BCC and
 * parsing of whole frames are pmu_iec_*'s job; this file only builds and reads the
 * payloads the A1xxx meters put inside them. */
#include "internal.h"

#include "pmu/iec62056.h"

#include <stdio.h>
#include <string.h>

/* ---- Passwords ------------------------------------------------------------------- */

enum pmu_status pmu_elster_password_transform(const char *password, const uint8_t seed[8],
                                              uint8_t out[8], struct pmu_error *err)
{
    if (password == NULL || strlen(password) != PMU_ELSTER_PASSWORD_LEN)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected a password of exactly 8 characters");
    uint8_t c[8];
    for (int i = 0; i < 8; i++)
        c[i] = (uint8_t)((uint8_t)password[i] ^ seed[i]);
    /* A running sum that starts from the last byte, so every byte depends on all. */
    uint8_t last = c[7];
    for (int i = 0; i < 8; i++) {
        c[i] = (uint8_t)(c[i] + last);
        last = c[i];
    }
    memcpy(out, c, 8);
    return PMU_OK;
}

void pmu_elster_password_untransform(const uint8_t response[8], const uint8_t seed[8],
                                     uint8_t password[8])
{
    /* Undo the running sum from the end: c0[i] = c[i] - c[i-1] for i >= 1, and byte
     * 0 had c0[7] (now known) added. */
    uint8_t c0[8];
    for (int i = 7; i >= 1; i--)
        c0[i] = (uint8_t)(response[i] - response[i - 1]);
    c0[0] = (uint8_t)(response[0] - c0[7]);
    for (int i = 0; i < 8; i++)
        password[i] = (uint8_t)(c0[i] ^ seed[i]);
}

enum pmu_status pmu_elster_seed_parse(const uint8_t *data, size_t len, uint8_t out[8],
                                      struct pmu_error *err)
{
    if (len != 18 || data[0] != '(' || data[17] != ')')
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected \"(\" 16 hex digits \")\" (%zu bytes received)", len);
    size_t n = 0;
    enum pmu_status rc = pmu_elster_hex_decode((const char *)data + 1, 16, out, 8, &n, err);
    return rc == PMU_OK ? PMU_OK : el_rebase(err, rc, 1, "seed");
}

static long build_paren(const char *cmd, const char *text, uint8_t *buf, size_t size)
{
    char data[PMU_ELSTER_PACKET * 2 + 16];
    int n = snprintf(data, sizeof data, "(%s)", text);
    if (n < 0 || (size_t)n >= sizeof data)
        return PMU_E_TOO_LONG;
    return pmu_iec_build_command(PMU_CHECKSUM_XOR, cmd, (const uint8_t *)data, (size_t)n, buf,
                                 size);
}

long pmu_elster_build_p0(const uint8_t seed[8], uint8_t *buf, size_t size)
{
    char hex[17];
    pmu_elster_hex_encode(seed, 8, hex, sizeof hex);
    return build_paren("P0", hex, buf, size);
}

long pmu_elster_build_p1(const char *password, uint8_t *buf, size_t size)
{
    if (password == NULL || strlen(password) != PMU_ELSTER_PASSWORD_LEN ||
        strpbrk(password, "()") != NULL)
        return PMU_E_INVALID;
    return build_paren("P1", password, buf, size);
}

long pmu_elster_build_p2(const uint8_t response[8], uint8_t *buf, size_t size)
{
    char hex[17];
    pmu_elster_hex_encode(response, 8, hex, sizeof hex);
    return build_paren("P2", hex, buf, size);
}

/* ---- Packets ----------------------------------------------------------------------- */

unsigned pmu_elster_packets(size_t length)
{
    size_t n = (length + PMU_ELSTER_PACKET - 1) / PMU_ELSTER_PACKET;
    return n == 0 ? 1u : (unsigned)n;
}

unsigned pmu_elster_first_packet(size_t length, unsigned set)
{
    return pmu_elster_packets(length) * set + 1;
}

size_t pmu_elster_packet_length(size_t length, unsigned index)
{
    size_t start = (size_t)index * PMU_ELSTER_PACKET;
    if (start >= length)
        return 0;
    size_t rest = length - start;
    return rest < PMU_ELSTER_PACKET ? rest : PMU_ELSTER_PACKET;
}

long pmu_elster_build_read(unsigned id, unsigned packet, size_t count, uint8_t *buf,
                           size_t size)
{
    if (id > 999 || packet < 1 || packet > 0xFFF || count < 1 || count > PMU_ELSTER_PACKET)
        return PMU_E_INVALID;
    char data[16];
    int n = snprintf(data, sizeof data, "%03u%03X(%02X)", id, packet, (unsigned)count);
    return pmu_iec_build_command(PMU_CHECKSUM_XOR, "R1", (const uint8_t *)data, (size_t)n, buf,
                                 size);
}

long pmu_elster_build_write(unsigned id, unsigned packet, const uint8_t *data, size_t len,
                            uint8_t *buf, size_t size)
{
    if (id > 999 || packet < 1 || packet > 0xFFF || len > PMU_ELSTER_PACKET)
        return PMU_E_INVALID;
    char text[8 + 2 * PMU_ELSTER_PACKET + 2];
    int n = snprintf(text, sizeof text, "%03u%03X(", id, packet);
    pmu_elster_hex_encode(data, len, text + n, sizeof text - (size_t)n);
    n += (int)(2 * len);
    text[n++] = ')';
    return pmu_iec_build_command(PMU_CHECKSUM_XOR, "W1", (const uint8_t *)text, (size_t)n, buf,
                                 size);
}

static int digits_value(const uint8_t *p, size_t n, int base)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        int d;
        if (p[i] >= '0' && p[i] <= '9')
            d = p[i] - '0';
        else if (base == 16 && p[i] >= 'A' && p[i] <= 'F')
            d = p[i] - 'A' + 10;
        else if (base == 16 && p[i] >= 'a' && p[i] <= 'f')
            d = p[i] - 'a' + 10;
        else
            return -1;
        v = v * base + d;
    }
    return v;
}

enum pmu_status pmu_elster_request_parse(const char *cmd, const uint8_t *data, size_t len,
                                         struct pmu_elster_request *out, struct pmu_error *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(cmd, "R1") == 0)
        out->write = false;
    else if (strcmp(cmd, "W1") == 0)
        out->write = true;
    else
        return pmu_error_set(err, PMU_E_UNSUPPORTED, PMU_NO_OFFSET,
                             "expected an R1 or W1 command, got \"%.2s\"", cmd);
    if (len < 8 || data[6] != '(' || data[len - 1] != ')')
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected IIIPPP(...): 3 decimal digits of identity, 3 hex "
                             "digits of packet, then data in brackets");
    int id = digits_value(data, 3, 10), packet = digits_value(data + 3, 3, 16);
    if (id < 0)
        return pmu_error_set(err, PMU_E_SYNTAX, 0, "expected a 3-digit decimal identity");
    if (packet < 1)
        return pmu_error_set(err, PMU_E_SYNTAX, 3,
                             "expected a 3-digit hex packet number from 001");
    out->id = (unsigned)id;
    out->packet = (unsigned)packet;
    const uint8_t *inner = data + 7;
    size_t inner_len = len - 8;
    if (!out->write) {
        int count = inner_len == 2 ? digits_value(inner, 2, 16) : -1;
        if (count < 1 || count > PMU_ELSTER_PACKET)
            return pmu_error_set(err, PMU_E_SYNTAX, 7,
                                 "expected a byte count of 2 hex digits, 01..40");
        out->count = (size_t)count;
        return PMU_OK;
    }
    enum pmu_status rc = pmu_elster_hex_decode((const char *)inner, inner_len, out->data,
                                               sizeof out->data, &out->data_len, err);
    return rc == PMU_OK ? PMU_OK : el_rebase(err, rc, 7, "W1 data");
}

/* ---- Replies ------------------------------------------------------------------------ */

const char *pmu_elster_meter_error_text(int code)
{
    switch (code) {
    case PMU_ELSTER_ERR_COMMAND: return "invalid command";
    case PMU_ELSTER_ERR_IDENTITY: return "data identity does not exist on this meter";
    case PMU_ELSTER_ERR_PACKET: return "invalid packet number";
    case PMU_ELSTER_ERR_4: return "error 4 (not described by any public source)";
    case PMU_ELSTER_ERR_LOCKED:
        return "data identity locked or password timed out (sign on again)";
    case PMU_ELSTER_ERR_COMMS: return "general communications error";
    }
    return "unknown meter error";
}

enum pmu_status pmu_elster_reply_parse(const uint8_t *data, size_t len, uint8_t *out,
                                       size_t cap, size_t *out_len, int *meter_error,
                                       struct pmu_error *err)
{
    *meter_error = 0;
    *out_len = 0;
    if (len < 2 || data[0] != '(' || data[len - 1] != ')')
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected a reply \"(hex data)\" or \"(ERRn)\"");
    if (len >= 5 && memcmp(data + 1, "ERR", 3) == 0) {
        int code = len == 6 ? digits_value(data + 4, 1, 10) : -1;
        if (code < 1)
            return pmu_error_set(err, PMU_E_SYNTAX, 4, "expected one digit 1..9 after \"(ERR\"");
        *meter_error = code;
        pmu_error_set(err, PMU_E_REFUSED, PMU_NO_OFFSET, "meter answered ERR%d: %s", code,
                      pmu_elster_meter_error_text(code));
        return PMU_E_REFUSED;
    }
    enum pmu_status rc =
        pmu_elster_hex_decode((const char *)data + 1, len - 2, out, cap, out_len, err);
    return rc == PMU_OK ? PMU_OK : el_rebase(err, rc, 1, "reply data");
}

long pmu_elster_build_reply(const uint8_t *bytes, size_t n, uint8_t *buf, size_t size)
{
    if (n > PMU_ELSTER_PACKET)
        return PMU_E_INVALID;
    char text[2 * PMU_ELSTER_PACKET + 3];
    text[0] = '(';
    pmu_elster_hex_encode(bytes, n, text + 1, sizeof text - 1);
    text[2 * n + 1] = ')';
    return pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)text, 2 * n + 2, false, buf,
                              size);
}

long pmu_elster_build_meter_error(int code, uint8_t *buf, size_t size)
{
    if (code < 1 || code > 9)
        return PMU_E_INVALID;
    char text[8];
    int n = snprintf(text, sizeof text, "(ERR%d)", code);
    return pmu_iec_build_data(PMU_CHECKSUM_XOR, (const uint8_t *)text, (size_t)n, false, buf,
                              size);
}
