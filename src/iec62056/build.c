/* Message builders: used by sessions (host side) and pmu-sim (meter side). */
#include "internal.h"

#include <string.h>

/* A small writer that remembers overflow, so builders read as straight-line code. */
struct out {
    uint8_t *buf;
    size_t size, len;
};

static void put(struct out *o, const void *p, size_t n)
{
    if (o->len + n <= o->size)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void put_byte(struct out *o, uint8_t c)
{
    put(o, &c, 1);
}

static long finish(const struct out *o)
{
    return o->len <= o->size ? (long)o->len : PMU_E_TOO_LONG;
}

static bool valid_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!pmu_iec_is_printable((uint8_t)s[i]) || s[i] == '/' || s[i] == '!')
            return false;
    return true;
}

long pmu_iec_build_signon(const char *address, uint8_t *buf, size_t size)
{
    if (address == NULL)
        address = "";
    if (!valid_text(address, PMU_IEC_ADDRESS_MAX))
        return PMU_E_INVALID;
    struct out o = {buf, size, 0};
    put(&o, "/?", 2);
    put(&o, address, strlen(address));
    put(&o, "!\r\n", 3);
    return finish(&o);
}

long pmu_iec_build_ident(const struct pmu_iec_ident *id, uint8_t *buf, size_t size)
{
    if (strlen(id->manufacturer) != 3 || !pmu_iec_is_printable((uint8_t)id->baud_char) ||
        !valid_text(id->id, PMU_IEC_IDENT_MAX))
        return PMU_E_INVALID;
    struct out o = {buf, size, 0};
    put_byte(&o, '/');
    put(&o, id->manufacturer, 3);
    put_byte(&o, (uint8_t)id->baud_char);
    for (const char *w = id->enhanced; *w; w++) {
        put_byte(&o, '\\');
        put_byte(&o, (uint8_t)*w);
    }
    put(&o, id->id, strlen(id->id));
    put(&o, "\r\n", 2);
    return finish(&o);
}

long pmu_iec_build_option(char protocol, char baud_char, char mode, uint8_t *buf, size_t size)
{
    if (protocol < '0' || protocol > '9' || mode < '0' || mode > '9' ||
        !pmu_iec_is_printable((uint8_t)baud_char))
        return PMU_E_INVALID;
    struct out o = {buf, size, 0};
    uint8_t msg[6] = {PMU_ACK, (uint8_t)protocol, (uint8_t)baud_char, (uint8_t)mode, PMU_CR, PMU_LF};
    put(&o, msg, sizeof msg);
    return finish(&o);
}

static bool valid_block(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] == PMU_ETX || data[i] == PMU_EOT)
            return false;
    return true;
}

long pmu_iec_build_command(enum pmu_checksum ck, const char *cmd, const uint8_t *data,
                           size_t len, uint8_t *buf, size_t size)
{
    if (cmd == NULL || strlen(cmd) != 2 || strchr("PWREB", cmd[0]) == NULL ||
        cmd[1] < '0' || cmd[1] > '9' || (data != NULL && !valid_block(data, len)))
        return PMU_E_INVALID;
    struct out o = {buf, size, 0};
    put_byte(&o, PMU_SOH);
    put(&o, cmd, 2);
    if (data != NULL) {
        put_byte(&o, PMU_STX);
        put(&o, data, len);
    }
    put_byte(&o, PMU_ETX);
    if (o.len <= size)
        put_byte(&o, pmu_iec_bcc(ck, buf + 1, o.len - 1));
    return finish(&o);
}

long pmu_iec_build_data(enum pmu_checksum ck, const uint8_t *data, size_t len, bool partial,
                        uint8_t *buf, size_t size)
{
    if (!valid_block(data, len))
        return PMU_E_INVALID;
    struct out o = {buf, size, 0};
    put_byte(&o, PMU_STX);
    put(&o, data, len);
    put_byte(&o, partial ? PMU_EOT : PMU_ETX);
    if (o.len <= size)
        put_byte(&o, pmu_iec_bcc(ck, buf + 1, o.len - 1));
    return finish(&o);
}
