/* OBIS code parsing and formatting. The grammar is small enough for a hand-written
 * scanner; every rejection names the byte and what was expected there, because these
 * codes come from meters and scheme files that people have to fix by hand. */
#include "pmu/obis.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct scan {
    const char *p;
    size_t len, pos;
    struct pmu_error *err;
};

/* One scanned group, not yet range-checked: the group's name (and so its error
 * message) is only known once the byte after the first group has been seen. */
struct tok {
    unsigned value;   /* stops growing once it passes 255 */
    size_t start, end;
    size_t over;      /* offset of the digit that took it past 255, or PMU_NO_OFFSET */
    bool letter;
};

static int peek(const struct scan *s)
{
    return s->pos < s->len ? (unsigned char)s->p[s->pos] : -1;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* "'x'" for a byte, or "end of input", for "got ..." in messages. */
static const char *got(const struct scan *s, char buf[8])
{
    int ch = peek(s);
    if (ch < 0)
        return "end of input";
    return pmu_byte_repr((unsigned char)ch, buf);
}

char pmu_obis_letter(uint8_t v)
{
    switch (v) {
    case 96: return 'C';
    case 97: return 'F';
    case 98: return 'L';
    case 99: return 'P';
    default: return 0;
    }
}

int pmu_obis_letter_value(int ch)
{
    switch (ch) {
    case 'C': return 96;
    case 'F': return 97;
    case 'L': return 98;
    case 'P': return 99;
    default: return -1;
    }
}

/* Scans a group at the cursor: digits, or one EDIS letter when letters_ok. where
 * names the place for messages ("group E", "the code"). */
static enum pmu_status scan_group(struct scan *s, struct tok *t, bool letters_ok,
                                  const char *where)
{
    char rb[8];
    int ch = peek(s);

    t->value = 0;
    t->start = s->pos;
    t->over = PMU_NO_OFFSET;
    t->letter = false;
    if (ch < 0)
        return pmu_error_set(s->err, PMU_E_SYNTAX, s->pos,
                             "input ended where %s was expected", where);
    if (letters_ok && pmu_obis_letter_value(ch) >= 0) {
        t->value = (unsigned)pmu_obis_letter_value(ch);
        t->letter = true;
        t->end = ++s->pos;
        return PMU_OK;
    }
    if (!is_digit(ch))
        return pmu_error_set(s->err, PMU_E_SYNTAX, s->pos,
                             "expected a digit%s at the start of %s, got %s",
                             letters_ok ? " or one of C, F, L, P" : "", where, got(s, rb));
    /* Leading zeros are fine ("P.01"), so the digit count is not limited; the
     * value just stops growing once it is known to be too large. */
    for (; is_digit(peek(s)); s->pos++) {
        if (t->value > 255)
            continue;
        t->value = t->value * 10 + (unsigned)(peek(s) - '0');
        if (t->value > 255)
            t->over = s->pos;
    }
    t->end = s->pos;
    return PMU_OK;
}

/* Range-checks a scanned group and stores it as group bit. */
static enum pmu_status take(struct scan *s, const struct tok *t, char name, unsigned bit,
                            uint8_t *dst, struct pmu_obis *o)
{
    if (t->over != PMU_NO_OFFSET) {
        int n = (int)(t->end - t->start);
        return pmu_error_set(s->err, PMU_E_RANGE, t->over,
                             "group %c value %.*s%s is larger than 255", name,
                             n > 12 ? 12 : n, s->p + t->start, n > 12 ? "..." : "");
    }
    *dst = (uint8_t)t->value;
    o->present |= bit;
    if (t->letter)
        o->letters |= bit;
    return PMU_OK;
}

/* The error for a wrong byte (or the end) where a separator was expected. */
static enum pmu_status want(struct scan *s, const char *expected, const char *after)
{
    char rb[8];
    return pmu_error_set(s->err, PMU_E_SYNTAX, s->pos, "expected %s after %s, got %s",
                         expected, after, got(s, rb));
}

enum pmu_status pmu_obis_parse(const char *text, size_t len, struct pmu_obis *out,
                               struct pmu_error *err)
{
    struct scan s = {text, len, 0, err};
    struct pmu_obis o;
    struct tok t;
    enum pmu_status rc;
    bool full = false;
    int ch;

    if (out == NULL || (text == NULL && len > 0))
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "no OBIS text or result");
    if (len == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, 0, "empty OBIS code");
    memset(&o, 0, sizeof o);

    /* The first group is A when a '-' follows it, otherwise it is C. */
    if ((rc = scan_group(&s, &t, true, "the code")) != PMU_OK)
        return rc;
    if (!t.letter && peek(&s) == '-') {
        full = true;
        if ((rc = take(&s, &t, 'A', PMU_OBIS_A, &o.a, &o)) != PMU_OK)
            return rc;
        s.pos++;
        if ((rc = scan_group(&s, &t, false, "group B")) != PMU_OK ||
            (rc = take(&s, &t, 'B', PMU_OBIS_B, &o.b, &o)) != PMU_OK)
            return rc;
        if (peek(&s) != ':')
            return want(&s, "a digit or ':'", "group B");
        s.pos++;
        if ((rc = scan_group(&s, &t, true, "group C")) != PMU_OK)
            return rc;
    }
    if ((rc = take(&s, &t, 'C', PMU_OBIS_C, &o.c, &o)) != PMU_OK)
        return rc;
    if (peek(&s) != '.') {
        if (t.letter)
            return want(&s, "'.'", "group C");
        return want(&s, full ? "a digit or '.'" : "a digit, '-' or '.'",
                    full ? "group C" : "the first group");
    }
    s.pos++;

    if ((rc = scan_group(&s, &t, true, "group D")) != PMU_OK ||
        (rc = take(&s, &t, 'D', PMU_OBIS_D, &o.d, &o)) != PMU_OK)
        return rc;
    ch = peek(&s);
    if (ch != '.') {
        /* "C.D" is a complete short code; the full form always carries E. */
        if (full && ch < 0)
            return pmu_error_set(err, PMU_E_SYNTAX, s.pos,
                                 "input ended after group D; the form A-B:C.D.E needs group E");
        if (ch >= 0)
            return want(&s, t.letter ? "'.' or end" : "a digit, '.' or end", "group D");
        goto done;
    }
    s.pos++;

    if ((rc = scan_group(&s, &t, false, "group E")) != PMU_OK ||
        (rc = take(&s, &t, 'E', PMU_OBIS_E, &o.e, &o)) != PMU_OK)
        return rc;
    ch = peek(&s);
    if (ch < 0)
        goto done;
    /* Some meters write the full form with a dot before F; a short code with a
     * fourth dotted group has no agreed meaning, so it is refused. */
    if (ch == '.' && !full)
        return pmu_error_set(err, PMU_E_SYNTAX, s.pos,
                             "too many groups: a short code ends at group E; write F as '*F' or '&F'");
    if (ch != '*' && ch != '&' && ch != '.')
        return want(&s, full ? "a digit, '*', '&', '.' or end" : "a digit, '*', '&' or end",
                    "group E");
    o.hist_sep = ch == '&' ? '&' : '*';
    s.pos++;

    if ((rc = scan_group(&s, &t, false, "group F")) != PMU_OK ||
        (rc = take(&s, &t, 'F', PMU_OBIS_F, &o.f, &o)) != PMU_OK)
        return rc;
    ch = peek(&s);
    if (ch >= 0) {
        char rb[8];
        if (ch != 0 && strchr(".*&:-", ch) != NULL)   /* strchr finds the NUL too */
            return pmu_error_set(err, PMU_E_SYNTAX, s.pos,
                                 "too many groups: F is the last group, got %s", got(&s, rb));
        return pmu_error_set(err, PMU_E_SYNTAX, s.pos, "unexpected %s after group F",
                             got(&s, rb));
    }

done:
    o.a = pmu_obis_group(&o, PMU_OBIS_A);
    o.b = pmu_obis_group(&o, PMU_OBIS_B);
    o.e = pmu_obis_group(&o, PMU_OBIS_E);
    o.f = pmu_obis_group(&o, PMU_OBIS_F);
    *out = o;
    return PMU_OK;
}

uint8_t pmu_obis_group(const struct pmu_obis *o, unsigned group)
{
    bool given = (o->present & group) != 0;

    switch (group) {
    case PMU_OBIS_A:
        /* Readouts come from electricity meters, so a bare "1.8.0" is A = 1; the
         * service, error, list and profile groups (96..99) are abstract (A = 0),
         * as in 0-0:96.1.0 serial number. */
        return given ? o->a : (o->c >= 96 && o->c <= 99) ? 0 : 1;
    case PMU_OBIS_B: return given ? o->b : 0;
    case PMU_OBIS_C: return o->c;
    case PMU_OBIS_D: return o->d;
    case PMU_OBIS_E: return given ? o->e : 0;
    case PMU_OBIS_F: return given ? o->f : 255;
    default: return 0;
    }
}

/* Copies the n bytes built in tmp to buf, or reports that they do not fit. */
static int finish(const char *tmp, size_t n, char *buf, size_t size)
{
    if (buf == NULL || n >= size) {
        if (buf != NULL && size > 0)
            buf[0] = '\0';
        return PMU_E_TOO_LONG;
    }
    memcpy(buf, tmp, n + 1);
    return (int)n;
}

int pmu_obis_format_full(const struct pmu_obis *o, char *buf, size_t size)
{
    char tmp[PMU_OBIS_TEXT_MAX];
    int n = snprintf(tmp, sizeof tmp, "%u-%u:%u.%u.%u*%u",
                     pmu_obis_group(o, PMU_OBIS_A), pmu_obis_group(o, PMU_OBIS_B),
                     o->c, o->d, pmu_obis_group(o, PMU_OBIS_E), pmu_obis_group(o, PMU_OBIS_F));
    return finish(tmp, (size_t)n, buf, size);
}

/* Appends group value v as its letter when the text used one. */
static size_t put_group(char *p, size_t room, uint8_t v, bool letter, bool two_digits)
{
    char l = letter ? pmu_obis_letter(v) : 0;
    if (l != 0)
        return (size_t)snprintf(p, room, "%c", l);
    return (size_t)snprintf(p, room, two_digits ? "%02u" : "%u", v);
}

int pmu_obis_format_short(const struct pmu_obis *o, char *buf, size_t size)
{
    char tmp[PMU_OBIS_TEXT_MAX];
    size_t n = 0;
    bool c_letter = (o->letters & PMU_OBIS_C) && pmu_obis_letter(o->c) != 0;
    uint8_t f = pmu_obis_group(o, PMU_OBIS_F);
    bool show_f = (o->present & PMU_OBIS_F) && f != 255;

    n += put_group(tmp + n, sizeof tmp - n, o->c, c_letter, false);
    tmp[n++] = '.';
    /* Profiles are conventionally numbered with two digits: P.01, P.02, P.98. */
    n += put_group(tmp + n, sizeof tmp - n, o->d, (o->letters & PMU_OBIS_D) != 0,
                   c_letter && o->c == 99);
    if ((o->present & PMU_OBIS_E) || show_f)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, ".%u", pmu_obis_group(o, PMU_OBIS_E));
    if (show_f)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%c%02u",
                              o->hist_sep == '&' ? '&' : '*', f);
    return finish(tmp, n, buf, size);
}
