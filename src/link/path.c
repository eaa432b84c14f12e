/* Comms path parser: see pmu/path.h and docs/comms-paths.md. */
#include "pmu/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_defaults(struct pmu_path *p, enum pmu_link_kind kind)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->max_baud = 19200;
    p->parity = kind == PMU_LINK_TCP ? PMU_PARITY_SOFT : PMU_PARITY_HW;
    p->reaction_ms = 200;
    p->timeout_ms = 1500;
    p->inter_char_ms = 1500;
    p->retries = 3;
    p->checksum = PMU_CHECKSUM_XOR;
}

/* Parses a decimal in [min, max] from text[0..len). */
static bool parse_number(const char *text, size_t len, unsigned long min, unsigned long max,
                         unsigned *out)
{
    if (len == 0 || len > 9)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(text[i] - '0');
    }
    if (v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool is_baud(unsigned v)
{
    return pmu_iec_baud_char(v) != 0;
}

struct option_spec {
    const char *name;
    size_t field;                  /* offsetof into struct pmu_path, for numbers */
    unsigned long min, max;
    const char *allowed;           /* for the message */
};

#define NUM(name, field, min, max, allowed) {name, offsetof(struct pmu_path, field), min, max, allowed}

static const struct option_spec numbers[] = {
    NUM("reaction_ms", reaction_ms, 0, 60000, "0..60000"),
    NUM("switch_delay_ms", switch_delay_ms, 0, 10000, "0..10000"),
    NUM("timeout_ms", timeout_ms, 1, 600000, "1..600000"),
    NUM("inter_char_ms", inter_char_ms, 1, 600000, "1..600000"),
    NUM("retries", retries, 0, 10, "0..10"),
};

static enum pmu_status option(struct pmu_path *p, const char *name, size_t nlen, const char *v,
                              size_t vlen, size_t at, struct pmu_error *err)
{
#define IS(s) (nlen == strlen(s) && memcmp(name, s, nlen) == 0)
#define VIS(s) (vlen == strlen(s) && memcmp(v, s, vlen) == 0)
    if (IS("address")) {
        if (vlen > PMU_IEC_ADDRESS_MAX)
            return pmu_error_set(err, PMU_E_TOO_LONG, at,
                                 "option 'address': longer than %d characters", PMU_IEC_ADDRESS_MAX);
        for (size_t i = 0; i < vlen; i++)
            if (v[i] <= 0x20 || v[i] >= 0x7F || strchr("/!()", v[i]) != NULL)
                return pmu_error_set(err, PMU_E_SYNTAX, at,
                                     "option 'address': character '%c' cannot be sent in a sign-on request", v[i]);
        memcpy(p->address, v, vlen);
        p->address[vlen] = '\0';
        return PMU_OK;
    }
    if (IS("baud") || IS("max_baud")) {
        unsigned rate;
        if (!parse_number(v, vlen, 300, 19200, &rate) || !is_baud(rate))
            return pmu_error_set(err, PMU_E_RANGE, at,
                                 "option '%.*s': '%.*s' is not one of 300, 600, 1200, 2400, 4800, 9600, 19200",
                                 (int)nlen, name, (int)vlen, v);
        *(IS("baud") ? &p->baud : &p->max_baud) = rate;
        return PMU_OK;
    }
    if (IS("parity")) {
        if (VIS("hw"))
            p->parity = PMU_PARITY_HW;
        else if (VIS("soft"))
            p->parity = PMU_PARITY_SOFT;
        else if (VIS("none"))
            p->parity = PMU_PARITY_NONE;
        else
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'parity': '%.*s' is not hw, soft or none",
                                 (int)vlen, v);
        return PMU_OK;
    }
    if (IS("echo")) {
        if (!VIS("0") && !VIS("1"))
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'echo': use 0 or 1");
        p->echo = v[0] == '1';
        return PMU_OK;
    }
    if (IS("checksum")) {
        char tmp[8];
        if (vlen >= sizeof tmp || (memcpy(tmp, v, vlen), tmp[vlen] = '\0',
                                   pmu_checksum_from_name(tmp, &p->checksum) != PMU_OK))
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'checksum': use xor or sum7");
        return PMU_OK;
    }
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        if (!IS(numbers[i].name))
            continue;
        unsigned *field = (unsigned *)(void *)((char *)p + numbers[i].field);
        if (!parse_number(v, vlen, numbers[i].min, numbers[i].max, field))
            return pmu_error_set(err, PMU_E_RANGE, at, "option '%s': '%.*s' is not a number in %s",
                                 numbers[i].name, (int)vlen, v, numbers[i].allowed);
        return PMU_OK;
    }
    return pmu_error_set(err, PMU_E_SYNTAX, at,
                         "unknown option '%.*s' (known: address, baud, max_baud, parity, echo, "
                         "reaction_ms, switch_delay_ms, timeout_ms, inter_char_ms, retries, checksum)",
                         (int)nlen, name);
#undef IS
#undef VIS
}

static enum pmu_status parse_target(struct pmu_path *p, const char *t, size_t len, size_t at,
                                    struct pmu_error *err)
{
    if (len == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, at, "expected %s after the ':'",
                             p->kind == PMU_LINK_SERIAL ? "a device path such as /dev/ttyUSB0"
                                                        : "host:port");
    if (p->kind == PMU_LINK_SERIAL) {
        if (len >= sizeof p->target)
            return pmu_error_set(err, PMU_E_TOO_LONG, at, "device path is too long");
        for (size_t i = 0; i < len; i++)
            if (t[i] <= 0x20 || t[i] >= 0x7F)
                return pmu_error_set(err, PMU_E_SYNTAX, at + i,
                                     "device path holds a space or control character");
        memcpy(p->target, t, len);
        p->target[len] = '\0';
        return PMU_OK;
    }
    const char *end = t + len, *host = t, *colon;
    size_t host_len;
    if (t[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(t, ']', len);
        if (close == NULL || close + 1 >= end || close[1] != ':')
            return pmu_error_set(err, PMU_E_SYNTAX, at, "expected [address]:port for an IPv6 host");
        host = t + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
        if (memchr(host, ':', host_len) == NULL)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "brackets hold an IPv6 address, which has ':' in it");
    } else {
        colon = end;
        while (colon > t && colon[-1] != ':')
            colon--;
        if (colon == t)
            return pmu_error_set(err, PMU_E_SYNTAX, at + len, "expected ':port' after the host");
        colon--;
        host_len = (size_t)(colon - t);
    }
    if (host_len == 0 || host_len >= sizeof p->target)
        return pmu_error_set(err, PMU_E_SYNTAX, at, "expected a host name or address before ':port'");
    /* names and IPv4: letters, digits, '.', '-', '_'; IPv6 (in brackets): hex, ':', '.', '%' */
    const char *ok = host != t ? "0123456789abcdefABCDEF:.%" : NULL;
    for (size_t i = 0; i < host_len; i++) {
        char c = host[i];
        bool good = ok != NULL ? strchr(ok, c) != NULL
                               : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                     (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        if (!good || c == '\0')
            return pmu_error_set(err, PMU_E_SYNTAX, at + (size_t)(host - t) + i,
                                 "character '%c' cannot appear in a host name or address", c);
    }
    memcpy(p->target, host, host_len);
    p->target[host_len] = '\0';
    size_t port_len = (size_t)(end - colon - 1);
    if (!parse_number(colon + 1, port_len, 1, 65535, &p->port))
        return pmu_error_set(err, PMU_E_RANGE, at + (size_t)(colon + 1 - t),
                             "port '%.*s' is not a number in 1..65535", (int)port_len, colon + 1);
    return PMU_OK;
}

enum pmu_status pmu_path_parse(const char *text, struct pmu_path *out, struct pmu_error *err)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL)
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected a link kind such as 'serial:' or 'tcp:' (see docs/comms-paths.md)");
    size_t klen = (size_t)(colon - text);
    if (klen == 6 && memcmp(text, "serial", 6) == 0)
        set_defaults(out, PMU_LINK_SERIAL);
    else if (klen == 3 && memcmp(text, "tcp", 3) == 0)
        set_defaults(out, PMU_LINK_TCP);
    else
        return pmu_error_set(err, PMU_E_SYNTAX, 0, "unknown link kind '%.*s': use serial or tcp",
                             (int)klen, text);
    const char *t = colon + 1;
    const char *q = strchr(t, '?');
    size_t tlen = q != NULL ? (size_t)(q - t) : strlen(t);
    enum pmu_status st = parse_target(out, t, tlen, (size_t)(t - text), err);
    if (st != PMU_OK)
        return st;
    if (q == NULL)
        return PMU_OK;
    for (const char *o = q + 1; *o != '\0';) {
        size_t olen = strcspn(o, "&");
        const char *eq = memchr(o, '=', olen);
        size_t at = (size_t)(o - text);
        if (eq == NULL || eq == o)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "expected name=value, got '%.*s'", (int)olen, o);
        size_t nlen = (size_t)(eq - o);
        for (const char *prev = q + 1; prev < o;) {
            size_t plen = strcspn(prev, "&="), skip = strcspn(prev, "&");
            if (plen == nlen && memcmp(prev, o, nlen) == 0)
                return pmu_error_set(err, PMU_E_SYNTAX, at, "option '%.*s' is given twice", (int)nlen, o);
            prev += skip + (prev[skip] == '&');
        }
        st = option(out, o, nlen, eq + 1, olen - nlen - 1, at, err);
        if (st != PMU_OK)
            return st;
        o += olen + (o[olen] == '&');
    }
    return PMU_OK;
}

int pmu_path_format(const struct pmu_path *p, char *buf, size_t size)
{
    struct pmu_path d;
    set_defaults(&d, p->kind);
    char opts[512] = "";
    size_t n = 0;
#define ADD(...)                                                                         \
    do {                                                                                 \
        int w = snprintf(opts + n, sizeof opts - n, "%s", n ? "&" : "?");               \
        n += (size_t)w;                                                                  \
        w = snprintf(opts + n, sizeof opts - n, __VA_ARGS__);                            \
        n += (size_t)w;                                                                  \
    } while (0)
    if (p->address[0])
        ADD("address=%s", p->address);
    if (p->baud)
        ADD("baud=%u", p->baud);
    if (p->max_baud != d.max_baud)
        ADD("max_baud=%u", p->max_baud);
    if (p->parity != d.parity)
        ADD("parity=%s", p->parity == PMU_PARITY_HW ? "hw" : p->parity == PMU_PARITY_SOFT ? "soft" : "none");
    if (p->echo)
        ADD("echo=1");
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        unsigned v = *(const unsigned *)(const void *)((const char *)p + numbers[i].field);
        unsigned dv = *(const unsigned *)(const void *)((const char *)&d + numbers[i].field);
        if (v != dv)
            ADD("%s=%u", numbers[i].name, v);
    }
    if (p->checksum != d.checksum)
        ADD("checksum=%s", pmu_checksum_name(p->checksum));
#undef ADD
    int w;
    if (p->kind == PMU_LINK_SERIAL)
        w = snprintf(buf, size, "serial:%s%s", p->target, opts);
    else if (strchr(p->target, ':') != NULL)
        w = snprintf(buf, size, "tcp:[%s]:%u%s", p->target, p->port, opts);
    else
        w = snprintf(buf, size, "tcp:%s:%u%s", p->target, p->port, opts);
    return w < 0 || (size_t)w >= size ? PMU_E_TOO_LONG : w;
}
