/* Comms path parser: see pmu/path.h and docs/comms-paths.md. */
#include "pmu/path.h"

#include "pmu/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INIT "ATZ;ATE0V1Q0X4&D2&C1"

static void set_dial_defaults(struct pmu_dial *d, enum pmu_dial_kind kind)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->cug = -1;
    d->connect_timeout_ms = kind == PMU_DIAL_PAD ? 30000 : 60000;
    if (kind == PMU_DIAL_MODEM)
        snprintf(d->init, sizeof d->init, "%s", DEFAULT_INIT);
}

/* Defaults depend on what sits in front of the meter: a modem or PAD line carries
 * 8N1, so 7E1 is done in software; PAKNET forwards by idle timer, so answers are slow. */
static void set_defaults(struct pmu_path *p, enum pmu_link_kind kind, enum pmu_dial_kind dial)
{
    memset(p, 0, sizeof *p);
    set_dial_defaults(&p->dial, dial);
    p->kind = kind;
    p->max_baud = 19200;
    p->parity = kind == PMU_LINK_TCP || dial != PMU_DIAL_NONE ? PMU_PARITY_SOFT : PMU_PARITY_HW;
    p->reaction_ms = 200;
    p->timeout_ms = dial == PMU_DIAL_PAD ? 10000 : 1500;
    p->inter_char_ms = dial == PMU_DIAL_PAD ? 3000 : 1500;
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
    if (IS("protocol")) {
        if (!VIS("iec") && !VIS("elster"))
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'protocol': use iec or elster");
        p->elster = VIS("elster");
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
                         "protocol, reaction_ms, switch_delay_ms, timeout_ms, inter_char_ms, retries, checksum)",
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
                             : p->kind == PMU_LINK_POOL ? "a pool name"
                                                        : "host:port");
    if (p->kind == PMU_LINK_POOL) {
        if (len > PMU_POOL_NAME_MAX)
            return pmu_error_set(err, PMU_E_TOO_LONG, at, "pool name is longer than %d characters",
                                 PMU_POOL_NAME_MAX);
        for (size_t i = 0; i < len; i++)
            if (!pmu_pool_name_char(t[i]))
                return pmu_error_set(err, PMU_E_SYNTAX, at + i,
                                     "character '%c' cannot be in a pool name (letters, digits, '-', '_', '.')",
                                     t[i]);
        memcpy(p->target, t, len);
        p->target[len] = '\0';
        return PMU_OK;
    }
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

static enum pmu_status parse_link(const char *text, size_t end, struct pmu_path *out,
                                  struct pmu_error *err);
static enum pmu_status parse_dial(const char *text, size_t start, struct pmu_path *out,
                                  struct pmu_error *err);

enum pmu_status pmu_path_parse(const char *text, struct pmu_path *out, struct pmu_error *err)
{
    const char *gt = strchr(text, '>');
    size_t end = gt != NULL ? (size_t)(gt - text) : strlen(text);
    enum pmu_status st = parse_link(text, end, out, err);
    if (st == PMU_OK && gt == NULL && out->kind == PMU_LINK_POOL)
        return pmu_error_set(err, PMU_E_SYNTAX, strlen(text),
                             "a pool path needs the call to make: add '>modem:NUMBER' or '>pad:NUA'");
    if (st != PMU_OK || gt == NULL)
        return st;
    return parse_dial(text, end + 1, out, err);
}

/* Calls fn for each name=value of the options text[from..end), rejecting repeats. */
typedef enum pmu_status (*option_fn)(void *ctx, const char *name, size_t nlen, const char *value,
                                     size_t vlen, size_t at, struct pmu_error *err);

static enum pmu_status each_option(const char *text, size_t from, size_t end, option_fn fn,
                                   void *ctx, struct pmu_error *err)
{
    const char *q = text + from;
    for (const char *o = q; o < text + end;) {
        size_t olen = strcspn(o, "&");
        if (o + olen > text + end)
            olen = (size_t)(text + end - o);
        const char *eq = memchr(o, '=', olen);
        size_t at = (size_t)(o - text);
        if (eq == NULL || eq == o)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "expected name=value, got '%.*s'", (int)olen, o);
        size_t nlen = (size_t)(eq - o);
        for (const char *prev = q; prev < o;) {
            size_t plen = strcspn(prev, "&="), skip = strcspn(prev, "&");
            if (plen == nlen && memcmp(prev, o, nlen) == 0)
                return pmu_error_set(err, PMU_E_SYNTAX, at, "option '%.*s' is given twice", (int)nlen, o);
            prev += skip + (prev[skip] == '&');
        }
        enum pmu_status st = fn(ctx, o, nlen, eq + 1, olen - nlen - 1, at, err);
        if (st != PMU_OK)
            return st;
        o += olen + (o + olen < text + end && o[olen] == '&');
    }
    return PMU_OK;
}

static enum pmu_status link_option(void *ctx, const char *name, size_t nlen, const char *v,
                                   size_t vlen, size_t at, struct pmu_error *err)
{
    return option(ctx, name, nlen, v, vlen, at, err);
}

static enum pmu_status parse_link(const char *text, size_t end, struct pmu_path *out,
                                  struct pmu_error *err)
{
    const char *colon = memchr(text, ':', end);
    if (colon == NULL)
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected a link kind such as 'serial:' or 'tcp:' (see docs/comms-paths.md)");
    size_t klen = (size_t)(colon - text);
    const char *gt = strchr(text, '>');
    enum pmu_dial_kind dial = gt == NULL                        ? PMU_DIAL_NONE
                              : strncmp(gt + 1, "pad:", 4) == 0 ? PMU_DIAL_PAD
                                                                : PMU_DIAL_MODEM;
    if (klen == 6 && memcmp(text, "serial", 6) == 0)
        set_defaults(out, PMU_LINK_SERIAL, dial);
    else if (klen == 3 && memcmp(text, "tcp", 3) == 0)
        set_defaults(out, PMU_LINK_TCP, dial);
    else if (klen == 4 && memcmp(text, "pool", 4) == 0)
        set_defaults(out, PMU_LINK_POOL, dial);
    else
        return pmu_error_set(err, PMU_E_SYNTAX, 0, "unknown link kind '%.*s': use serial or tcp",
                             (int)klen, text);
    const char *t = colon + 1;
    const char *q = memchr(t, '?', (size_t)(text + end - t));
    size_t tlen = q != NULL ? (size_t)(q - t) : (size_t)(text + end - t);
    enum pmu_status st = parse_target(out, t, tlen, (size_t)(t - text), err);
    if (st != PMU_OK || q == NULL)
        return st;
    return each_option(text, (size_t)(q + 1 - text), end, link_option, out, err);
}

/* %XX escapes in a value (init strings hold '&', which separates options). */
static bool percent_decode(const char *v, size_t vlen, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < vlen; i++) {
        char c = v[i];
        if (c == '%') {
            unsigned x;
            char hex[3] = {0};
            if (i + 2 >= vlen)
                return false;
            memcpy(hex, v + i + 1, 2);
            if (sscanf(hex, "%2x", &x) != 1 || x == 0)
                return false;
            c = (char)x;
            i += 2;
        }
        if (n + 1 >= size || (unsigned char)c < 0x20 || (unsigned char)c >= 0x7F)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return true;
}

static enum pmu_status dial_option(void *ctx, const char *name, size_t nlen, const char *v,
                                   size_t vlen, size_t at, struct pmu_error *err)
{
    struct pmu_dial *d = ctx;
    bool modem = d->kind == PMU_DIAL_MODEM;
#define IS(s) (nlen == strlen(s) && memcmp(name, s, nlen) == 0)
#define VIS(s) (vlen == strlen(s) && memcmp(v, s, vlen) == 0)
    if (IS("connect_timeout_ms")) {
        if (!parse_number(v, vlen, 1000, 600000, &d->connect_timeout_ms))
            return pmu_error_set(err, PMU_E_RANGE, at, "option 'connect_timeout_ms': use 1000..600000");
        return PMU_OK;
    }
    if (modem && IS("init")) {
        if (!percent_decode(v, vlen, d->init, sizeof d->init))
            return pmu_error_set(err, PMU_E_SYNTAX, at,
                                 "option 'init': AT commands separated by ';', '&' written %%26, "
                                 "at most %zu characters", sizeof d->init - 1);
        return PMU_OK;
    }
    if (modem && IS("dial")) {
        if (VIS("tone"))
            d->mode = PMU_DIAL_TONE;
        else if (VIS("pulse"))
            d->mode = PMU_DIAL_PULSE;
        else if (VIS("gsm"))
            d->mode = PMU_DIAL_GSM;
        else
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'dial': use tone, pulse or gsm");
        return PMU_OK;
    }
    if (modem && IS("bearer")) {
        bool ok = vlen > 0 && vlen < sizeof d->bearer;
        for (size_t i = 0; ok && i < vlen; i++)
            ok = (v[i] >= '0' && v[i] <= '9') || v[i] == ',';
        if (!ok)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'bearer': digits and commas, e.g. 71,0,1");
        memcpy(d->bearer, v, vlen);
        d->bearer[vlen] = '\0';
        return PMU_OK;
    }
    if (modem && IS("hangup")) {
        if (VIS("escape"))
            d->hangup = PMU_HANGUP_ESCAPE;
        else if (VIS("dtr"))
            d->hangup = PMU_HANGUP_DTR;
        else
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'hangup': use escape or dtr");
        return PMU_OK;
    }
    if (!modem && IS("nui")) {
        bool ok = vlen > 0 && vlen < sizeof d->nui;
        for (size_t i = 0; ok && i < vlen; i++)
            ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z');
        if (!ok)
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'nui': letters and digits, at most 16");
        memcpy(d->nui, v, vlen);
        d->nui[vlen] = '\0';
        return PMU_OK;
    }
    if (!modem && IS("reverse")) {
        if (!VIS("0") && !VIS("1"))
            return pmu_error_set(err, PMU_E_SYNTAX, at, "option 'reverse': use 0 or 1");
        d->reverse_charge = v[0] == '1';
        return PMU_OK;
    }
    if (!modem && IS("cug")) {
        unsigned cug;
        if (!parse_number(v, vlen, 0, 99, &cug))
            return pmu_error_set(err, PMU_E_RANGE, at, "option 'cug': a closed user group 0..99");
        d->cug = (int)cug;
        return PMU_OK;
    }
    return pmu_error_set(err, PMU_E_SYNTAX, at, "unknown %s option '%.*s' (known: %s)", modem ? "modem" : "pad",
                         (int)nlen, name,
                         modem ? "init, dial, bearer, hangup, connect_timeout_ms"
                               : "nui, reverse, cug, connect_timeout_ms");
#undef IS
#undef VIS
}

static enum pmu_status parse_dial(const char *text, size_t start, struct pmu_path *out,
                                  struct pmu_error *err)
{
    const char *d = text + start;
    bool modem = strncmp(d, "modem:", 6) == 0, pad = strncmp(d, "pad:", 4) == 0;
    if (!modem && !pad)
        return pmu_error_set(err, PMU_E_SYNTAX, start, "after '>' expected 'modem:NUMBER' or 'pad:NUA'");
    const char *num = d + (modem ? 6 : 4);
    size_t nlen = strcspn(num, "?>");
    size_t at = (size_t)(num - text);
    const char *allowed = modem ? "0123456789+*#,WwPpTt" : "0123456789";
    if (nlen == 0 || nlen >= sizeof out->dial.number)
        return pmu_error_set(err, PMU_E_SYNTAX, at, "expected a %s of 1..%zu characters", modem ? "number to dial" : "NUA",
                             sizeof out->dial.number - 1);
    for (size_t i = 0; i < nlen; i++)
        if (strchr(allowed, num[i]) == NULL || num[i] == '\0')
            return pmu_error_set(err, PMU_E_SYNTAX, at + i, "character '%c' cannot be in a %s", num[i],
                                 modem ? "number to dial" : "NUA (digits only)");
    memcpy(out->dial.number, num, nlen);
    out->dial.number[nlen] = '\0';
    const char *rest = num + nlen;
    if (*rest == '>')
        return pmu_error_set(err, PMU_E_UNSUPPORTED, (size_t)(rest - text),
                             "one dialler per path for now (a modem or a PAD)");
    if (*rest == '\0')
        return PMU_OK;
    return each_option(text, (size_t)(rest + 1 - text), strlen(text), dial_option, &out->dial, err);
}

/* ">modem:NUMBER?..." with the options that differ from the defaults. */
static void format_dial(const struct pmu_dial *dl, char *buf, size_t size)
{
    struct pmu_dial d;
    if (dl->kind == PMU_DIAL_NONE)
        return;
    set_dial_defaults(&d, dl->kind);
    size_t n = (size_t)snprintf(buf, size, ">%s:%s", dl->kind == PMU_DIAL_MODEM ? "modem" : "pad", dl->number);
    char sep = '?';
#define ADD(...)                                                                  \
    do {                                                                          \
        if (n + 1 < size) {                                                       \
            buf[n++] = sep;                                                       \
            sep = '&';                                                            \
            int w_ = snprintf(buf + n, size - n, __VA_ARGS__);                    \
            n += w_ > 0 ? (size_t)w_ : 0;                                         \
        }                                                                         \
    } while (0)
    if (strcmp(dl->init, d.init) != 0) {
        char enc[3 * sizeof dl->init] = "";
        size_t k = 0;
        for (const char *c = dl->init; *c; c++)
            k += (size_t)snprintf(enc + k, sizeof enc - k, *c == '&' || *c == '%' ? "%%%02X" : "%c", *c);
        ADD("init=%s", enc);
    }
    if (dl->mode != d.mode)
        ADD("dial=%s", dl->mode == PMU_DIAL_PULSE ? "pulse" : dl->mode == PMU_DIAL_GSM ? "gsm" : "tone");
    if (dl->bearer[0])
        ADD("bearer=%s", dl->bearer);
    if (dl->hangup != d.hangup)
        ADD("hangup=%s", dl->hangup == PMU_HANGUP_DTR ? "dtr" : "escape");
    if (dl->connect_timeout_ms != d.connect_timeout_ms)
        ADD("connect_timeout_ms=%u", dl->connect_timeout_ms);
    if (dl->nui[0])
        ADD("nui=%s", dl->nui);
    if (dl->reverse_charge)
        ADD("reverse=1");
    if (dl->cug >= 0)
        ADD("cug=%d", dl->cug);
#undef ADD
}

int pmu_path_format(const struct pmu_path *p, char *buf, size_t size)
{
    struct pmu_path d;
    set_defaults(&d, p->kind, p->dial.kind);
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
    if (p->elster)
        ADD("protocol=elster");
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        unsigned v = *(const unsigned *)(const void *)((const char *)p + numbers[i].field);
        unsigned dv = *(const unsigned *)(const void *)((const char *)&d + numbers[i].field);
        if (v != dv)
            ADD("%s=%u", numbers[i].name, v);
    }
    if (p->checksum != d.checksum)
        ADD("checksum=%s", pmu_checksum_name(p->checksum));
#undef ADD
    char dial[512] = "";
    format_dial(&p->dial, dial, sizeof dial);
    int w;
    if (p->kind == PMU_LINK_SERIAL)
        w = snprintf(buf, size, "serial:%s%s%s", p->target, opts, dial);
    else if (p->kind == PMU_LINK_POOL)
        w = snprintf(buf, size, "pool:%s%s%s", p->target, opts, dial);
    else if (strchr(p->target, ':') != NULL)
        w = snprintf(buf, size, "tcp:[%s]:%u%s%s", p->target, p->port, opts, dial);
    else
        w = snprintf(buf, size, "tcp:%s:%u%s%s", p->target, p->port, opts, dial);
    return w < 0 || (size_t)w >= size ? PMU_E_TOO_LONG : w;
}
