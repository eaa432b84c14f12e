/* Capture input decoder: RAW, HEX and TRANSCRIPT capture files to line bytes.
 * The formats and the auto-detection rule are described in docs/capture-formats.md. */
#include "pmu/capture.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One input line: [start, end) without its '\n' and a trailing '\r'. */
struct line {
    size_t start, end, next, number;
};

static bool next_line(const uint8_t *in, size_t len, struct line *ln)
{
    if (ln->next >= len)
        return false;
    size_t i = ln->start = ln->next;
    while (i < len && in[i] != '\n')
        i++;
    ln->next = i < len ? i + 1 : len;
    ln->end = i;
    if (ln->end > ln->start && in[ln->end - 1] == '\r')
        ln->end--;
    ln->number++;
    return true;
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static size_t skip_space(const uint8_t *in, size_t i, size_t end)
{
    while (i < end && is_space(in[i]))
        i++;
    return i;
}

/* Blank lines and lines whose first non-blank character is '#' carry no data. */
static bool is_data_line(const uint8_t *in, const struct line *ln)
{
    size_t i = skip_space(in, ln->start, ln->end);
    return i < ln->end && in[i] != '#';
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t find_byte(const uint8_t *in, size_t i, size_t end, uint8_t c)
{
    while (i < end && in[i] != c)
        i++;
    return i;
}

/* Names what stands at in[i] for an error message ("'g'", "0x80", "end of line"). */
static const char *describe(const uint8_t *in, size_t i, size_t end, char buf[8])
{
    if (i >= end)
        return "end of line";
    return pmu_byte_repr(in[i], buf);
}

static enum pmu_status push_segment(struct pmu_capture *c, const struct pmu_capture_segment *s,
                                    size_t *cap, struct pmu_error *err)
{
    if (c->n_segments == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct pmu_capture_segment *p = realloc(c->segments, n * sizeof *p);
        if (p == NULL)
            return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory for segments");
        c->segments = p;
        *cap = n;
    }
    c->segments[c->n_segments++] = *s;
    return PMU_OK;
}

/* ---- HEX -------------------------------------------------------------------------- */

enum hex_layout { LAYOUT_PLAIN, LAYOUT_XXD, LAYOUT_HEXDUMP };

/* Reads an offset column of 4 to 16 hex digits at i; returns its width, 0 if none. */
static size_t offset_column(const uint8_t *in, size_t i, size_t end, unsigned long long *value)
{
    size_t n = 0;
    unsigned long long v = 0;
    while (i + n < end && n <= 16 && hex_value(in[i + n]) >= 0)
        v = v * 16 + (unsigned)hex_value(in[i + n++]);
    if (n < 4 || n > 16)
        return 0;
    *value = v;
    return n;
}

/* The hex column of an xxd line ends at the two spaces before the ASCII column. */
static size_t find_double_space(const uint8_t *in, size_t i, size_t end)
{
    while (i + 1 < end && !(in[i] == ' ' && in[i + 1] == ' '))
        i++;
    return i + 1 < end ? i : end;
}

static bool is_xxd_line(const uint8_t *in, size_t i, size_t end, size_t *width)
{
    unsigned long long v;
    *width = offset_column(in, i, end, &v);
    return *width > 0 && i + *width < end && in[i + *width] == ':';
}

/* Only hex digits, blanks and "0x" prefixes in [a, b). */
static bool area_is_hex(const uint8_t *in, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        uint8_t c = in[i];
        bool prefix = (c == 'x' || c == 'X') && i > a && in[i - 1] == '0' &&
                      (i - 1 == a || is_space(in[i - 2]));
        if (hex_value(c) < 0 && !is_space(c) && !prefix)
            return false;
    }
    return true;
}

/* Detection: is this data line a plain, xxd or hexdump -C hex dump line? */
static bool line_is_hex_shaped(const uint8_t *in, const struct line *ln)
{
    size_t i = skip_space(in, ln->start, ln->end), w;
    unsigned long long v;
    if (is_xxd_line(in, i, ln->end, &w))
        return area_is_hex(in, i + w + 1, find_double_space(in, i + w + 1, ln->end));
    size_t bar = find_byte(in, i, ln->end, '|');
    w = offset_column(in, i, ln->end, &v);
    if (w > 0 && bar < ln->end)
        return area_is_hex(in, i + w, bar);
    return area_is_hex(in, i, ln->end);
}

/* Decodes hex pairs in [a, b) of a line ending at end, appending to out[*n]. */
static enum pmu_status decode_hex_area(const uint8_t *in, size_t a, size_t b, size_t end,
                                       size_t line, uint8_t *out, size_t *n,
                                       struct pmu_error *err)
{
    char buf[8];
    size_t i = a;
    bool token_start = true;
    while (i < b) {
        if (is_space(in[i])) {
            i++;
            token_start = true;
            continue;
        }
        if (token_start && in[i] == '0' && i + 1 < b && (in[i + 1] == 'x' || in[i + 1] == 'X')) {
            i += 2;
            token_start = false;
            if (i >= b || hex_value(in[i]) < 0)
                return pmu_error_set(err, PMU_E_SYNTAX, i,
                                     "line %zu: expected hex digits after \"0x\", found %s",
                                     line, describe(in, i, end, buf));
            continue;
        }
        token_start = false;
        if (hex_value(in[i]) < 0)
            return pmu_error_set(err, PMU_E_SYNTAX, i, "line %zu: expected a hex digit, found %s",
                                 line, describe(in, i, end, buf));
        if (i + 1 >= b || hex_value(in[i + 1]) < 0)
            return pmu_error_set(err, PMU_E_SYNTAX, i + 1,
                                 "line %zu: expected a second hex digit (hex digits come in "
                                 "pairs), found %s", line, describe(in, i + 1, end, buf));
        out[(*n)++] = (uint8_t)(hex_value(in[i]) * 16 + hex_value(in[i + 1]));
        i += 2;
    }
    return PMU_OK;
}

static enum pmu_status decode_hex(const uint8_t *in, size_t len, struct pmu_capture *c,
                                  struct pmu_error *err)
{
    struct line ln = {0, 0, 0, 0};
    enum hex_layout layout = LAYOUT_PLAIN;
    bool first = true;
    unsigned long long base = 0, off = 0;
    char buf[8];
    while (next_line(in, len, &ln)) {
        if (!is_data_line(in, &ln))
            continue;
        size_t i = skip_space(in, ln.start, ln.end), a = i, b = ln.end, w;
        if (first && is_xxd_line(in, i, ln.end, &w))
            layout = LAYOUT_XXD;
        else if (first && find_byte(in, i, ln.end, '|') < ln.end)
            layout = LAYOUT_HEXDUMP;
        if (layout != LAYOUT_PLAIN) {
            w = offset_column(in, i, ln.end, &off);
            if (in[i] == '*' && layout == LAYOUT_HEXDUMP)
                return pmu_error_set(err, PMU_E_SYNTAX, i,
                                     "line %zu: expected an offset column, found '*' (repeated "
                                     "lines are not supported: use hexdump -v -C)", ln.number);
            if (w == 0)
                return pmu_error_set(err, PMU_E_SYNTAX, i,
                                     "line %zu: expected an offset column of 4 to 16 hex digits "
                                     "like \"%s\", found %s", ln.number,
                                     layout == LAYOUT_XXD ? "00000010:" : "00000010",
                                     describe(in, i, ln.end, buf));
            if (layout == LAYOUT_XXD) {
                if (i + w >= ln.end || in[i + w] != ':')
                    return pmu_error_set(err, PMU_E_SYNTAX, i + w,
                                         "line %zu: expected ':' after the offset column, "
                                         "found %s", ln.number, describe(in, i + w, ln.end, buf));
                a = i + w + 1;
                b = find_double_space(in, a, ln.end);
            } else {
                a = i + w;
                b = find_byte(in, a, ln.end, '|');
            }
            if (first)
                base = off;
            if (off < base || off - base != c->length)
                return pmu_error_set(err, PMU_E_SYNTAX, i,
                                     "line %zu: expected offset 0x%llx (0x%zx bytes after the "
                                     "first line's 0x%llx), found 0x%llx", ln.number,
                                     base + c->length, c->length, base, off);
        }
        first = false;
        enum pmu_status st = decode_hex_area(in, a, b, ln.end, ln.number, c->bytes, &c->length,
                                             err);
        if (st != PMU_OK)
            return st;
    }
    return PMU_OK;
}

/* ---- TRANSCRIPT ------------------------------------------------------------------- */

static bool is_word_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/* Finds the next quote at or after i; *prefix tells whether a b/B prefix stands
 * before it (at the start of a word). Returns end when there is none. */
static size_t find_literal(const uint8_t *in, size_t i, size_t end, bool *prefix)
{
    size_t q = i;
    while (q < end && in[q] != '\'' && in[q] != '"')
        q++;
    *prefix = q < end && q > i && (in[q - 1] | 0x20) == 'b' &&
              (q - 1 == i || !is_word_char(in[q - 2]));
    return q;
}

/* Detection: does the line hold a b'...', b"..." or "..." literal? */
static bool line_has_literal(const uint8_t *in, const struct line *ln)
{
    bool prefix;
    for (size_t i = ln->start; i < ln->end;) {
        size_t q = find_literal(in, i, ln->end, &prefix);
        if (q >= ln->end)
            return false;
        size_t close = find_byte(in, q + 1, ln->end, in[q]);
        if (close < ln->end && (prefix || in[q] == '"'))
            return true;
        i = q + 1;
    }
    return false;
}

static bool starts_with_ci(const uint8_t *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (k > n)
        return false;
    for (size_t i = 0; i < k; i++)
        if ((s[i] | 0x20) != w[i])
            return false;
    return true;
}

/* True when s holds `from -> to` (any case, any blanks around the arrow). */
static bool has_arrow(const uint8_t *s, size_t n, const char *from, const char *to)
{
    for (size_t i = 0; i < n; i++) {
        if (!starts_with_ci(s + i, n - i, from))
            continue;
        size_t j = skip_space(s, i + strlen(from), n);
        if (j + 2 > n || s[j] != '-' || s[j + 1] != '>')
            continue;
        j = skip_space(s, j + 2, n);
        if (starts_with_ci(s + j, n - j, to))
            return true;
    }
    return false;
}

static enum pmu_direction direction_of(const uint8_t *s, size_t n)
{
    if (has_arrow(s, n, "reader", "meter") || has_arrow(s, n, "host", "meter"))
        return PMU_DIR_TO_METER;
    if (has_arrow(s, n, "meter", "reader") || has_arrow(s, n, "meter", "host"))
        return PMU_DIR_FROM_METER;
    return PMU_DIR_UNKNOWN;
}

static void copy_label(char *dst, const uint8_t *s, size_t n)
{
    if (n > PMU_CAPTURE_LABEL_MAX - 1) {
        n = PMU_CAPTURE_LABEL_MAX - 1;
        while (n > 0 && (s[n] & 0xC0) == 0x80)   /* do not cut a UTF-8 sequence */
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static bool is_separator(uint8_t c)
{
    return is_space(c) || c == ';' || c == ',' || c == ':';
}

/* Decodes the escape sequence at in[*i] == '\\' into *out and moves *i past it. */
static enum pmu_status decode_escape(const uint8_t *in, size_t *i, size_t end, size_t line,
                                     uint8_t *out, struct pmu_error *err)
{
    static const char simple[] = "r\rn\nt\t\\\\''\"\"a\ab\bf\fv\v";
    char buf[8];
    size_t p = *i + 1;
    if (p >= end)
        return pmu_error_set(err, PMU_E_SYNTAX, p,
                             "line %zu: expected an escape character after '\\', found end of line",
                             line);
    if (in[p] == 'x') {
        for (size_t k = p + 1; k <= p + 2; k++)
            if (k >= end || hex_value(in[k]) < 0)
                return pmu_error_set(err, PMU_E_SYNTAX, k,
                                     "line %zu: expected two hex digits after \\x, found %s",
                                     line, describe(in, k, end, buf));
        *out = (uint8_t)(hex_value(in[p + 1]) * 16 + hex_value(in[p + 2]));
        *i = p + 3;
        return PMU_OK;
    }
    if (in[p] >= '0' && in[p] <= '7') {
        unsigned v = 0;
        size_t k = p;
        while (k < p + 3 && k < end && in[k] >= '0' && in[k] <= '7')
            v = v * 8 + (unsigned)(in[k++] - '0');
        if (v > 0377)
            return pmu_error_set(err, PMU_E_SYNTAX, *i,
                                 "line %zu: expected an octal escape no larger than \\377, "
                                 "found \\%o", line, v);
        *out = (uint8_t)v;
        *i = k;
        return PMU_OK;
    }
    for (size_t k = 0; simple[k] != '\0'; k += 2) {
        if (in[p] == (uint8_t)simple[k]) {
            *out = (uint8_t)simple[k + 1];
            *i = p + 1;
            return PMU_OK;
        }
    }
    return pmu_error_set(err, PMU_E_SYNTAX, p,
                         "line %zu: expected an escape (\\xHH, \\ooo, \\r \\n \\t \\\\ \\' \\\" "
                         "\\a \\b \\f \\v) after '\\', found %s", line, describe(in, p, end, buf));
}

/* Decodes the literal whose opening quote is at q; *after gets the index past it. */
static enum pmu_status decode_literal(const uint8_t *in, size_t q, size_t end, size_t line,
                                      uint8_t *out, size_t *n, size_t *after,
                                      struct pmu_error *err)
{
    char buf[8];
    size_t i = q + 1;
    while (i < end && in[i] != in[q]) {
        if (in[i] == '\\') {
            enum pmu_status st = decode_escape(in, &i, end, line, &out[*n], err);
            if (st != PMU_OK)
                return st;
            (*n)++;
        } else if (in[i] == '\t' || (in[i] >= 0x20 && in[i] < 0x7F)) {
            out[(*n)++] = in[i++];
        } else {
            return pmu_error_set(err, PMU_E_SYNTAX, i,
                                 "line %zu: expected a printable ASCII character or an escape "
                                 "in the literal, found %s", line, describe(in, i, end, buf));
        }
    }
    if (i >= end)
        return pmu_error_set(err, PMU_E_SYNTAX, end,
                             "line %zu: expected %c to close the literal opened at byte %zu, "
                             "found end of line", line, in[q], q);
    *after = i + 1;
    return PMU_OK;
}

static enum pmu_status decode_transcript_line(const uint8_t *in, const struct line *ln,
                                              struct pmu_capture *c, size_t *cap,
                                              struct pmu_error *err)
{
    size_t i = ln->start, literals = 0;
    for (;;) {
        size_t r = i;
        while (r < ln->end && is_separator(in[r]))
            r++;
        if (literals > 0 && (r == ln->end || in[r] == '#'))
            return PMU_OK;                       /* end of line or a trailing comment */
        bool prefix;
        size_t q = find_literal(in, i, ln->end, &prefix);
        if (q >= ln->end)
            return pmu_error_set(err, PMU_E_SYNTAX, ln->end,
                                 "line %zu: expected a string literal (b'...', \"...\" or "
                                 "'...') after the label, found end of line", ln->number);
        size_t a = r, b = prefix ? q - 1 : q;
        while (b > a && is_separator(in[b - 1]))
            b--;
        struct pmu_capture_segment s;
        memset(&s, 0, sizeof s);
        s.offset = c->length;
        s.line = ln->number;
        if (b > a) {
            copy_label(s.label, in + a, b - a);
            s.dir = direction_of(in + a, b - a);
        } else if (literals > 0) {                /* unlabelled: same as the one before */
            memcpy(s.label, c->segments[c->n_segments - 1].label, sizeof s.label);
            s.dir = c->segments[c->n_segments - 1].dir;
        }
        enum pmu_status st = decode_literal(in, q, ln->end, ln->number, c->bytes, &c->length,
                                            &i, err);
        if (st != PMU_OK)
            return st;
        s.length = c->length - s.offset;
        st = push_segment(c, &s, cap, err);
        if (st != PMU_OK)
            return st;
        literals++;
    }
}

static enum pmu_status decode_transcript(const uint8_t *in, size_t len, struct pmu_capture *c,
                                         struct pmu_error *err)
{
    struct line ln = {0, 0, 0, 0};
    size_t cap = 0;
    while (next_line(in, len, &ln)) {
        if (!is_data_line(in, &ln))
            continue;
        enum pmu_status st = decode_transcript_line(in, &ln, c, &cap, err);
        if (st != PMU_OK)
            return st;
    }
    return PMU_OK;
}

/* ---- public ----------------------------------------------------------------------- */

enum pmu_capture_format pmu_capture_detect(const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!(in[i] == '\t' || in[i] == '\n' || in[i] == '\r' || (in[i] >= 0x20 && in[i] < 0x7F)))
            return PMU_CAPTURE_RAW;
    struct line ln = {0, 0, 0, 0};
    bool all_hex = true, all_literal = true;
    size_t data_lines = 0;
    while (next_line(in, len, &ln)) {
        if (!is_data_line(in, &ln))
            continue;
        data_lines++;
        all_hex = all_hex && line_is_hex_shaped(in, &ln);
        all_literal = all_literal && line_has_literal(in, &ln);
    }
    if (data_lines > 0 && all_hex)
        return PMU_CAPTURE_HEX;
    if (data_lines > 0 && all_literal)
        return PMU_CAPTURE_TRANSCRIPT;
    return PMU_CAPTURE_RAW;
}

enum pmu_status pmu_capture_decode(const uint8_t *in, size_t len, enum pmu_capture_format fmt,
                                   struct pmu_capture *out, struct pmu_error *err)
{
    if (out == NULL)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "expected a capture to fill");
    memset(out, 0, sizeof *out);
    if (in == NULL && len > 0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "expected an input buffer");
    if (fmt == PMU_CAPTURE_AUTO)
        fmt = pmu_capture_detect(in, len);
    if (fmt != PMU_CAPTURE_RAW && fmt != PMU_CAPTURE_HEX && fmt != PMU_CAPTURE_TRANSCRIPT)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "expected a capture format (auto, raw, hex or transcript)");
    out->format = fmt;
    out->bytes = malloc(len > 0 ? len : 1);     /* no format decodes to more than its input */
    if (out->bytes == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory for %zu bytes", len);

    enum pmu_status st = PMU_OK;
    if (fmt == PMU_CAPTURE_RAW) {
        if (len > 0)
            memcpy(out->bytes, in, len);
        out->length = len;
    } else if (fmt == PMU_CAPTURE_HEX) {
        st = decode_hex(in, len, out, err);
    } else {
        st = decode_transcript(in, len, out, err);
    }
    if (st == PMU_OK && fmt != PMU_CAPTURE_TRANSCRIPT) {
        struct pmu_capture_segment whole;
        size_t cap = 0;
        memset(&whole, 0, sizeof whole);
        whole.length = out->length;
        st = push_segment(out, &whole, &cap, err);
    }
    if (st != PMU_OK)
        pmu_capture_free(out);
    return st;
}

void pmu_capture_free(struct pmu_capture *c)
{
    if (c == NULL)
        return;
    free(c->bytes);
    free(c->segments);
    memset(c, 0, sizeof *c);
}

static const char *const format_names[] = {"auto", "raw", "hex", "transcript"};

const char *pmu_capture_format_name(enum pmu_capture_format fmt)
{
    if ((size_t)fmt < sizeof format_names / sizeof format_names[0])
        return format_names[fmt];
    return "?";
}

enum pmu_status pmu_capture_format_from_name(const char *name, enum pmu_capture_format *fmt)
{
    for (size_t i = 0; name != NULL && i < sizeof format_names / sizeof format_names[0]; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *fmt = (enum pmu_capture_format)i;
            return PMU_OK;
        }
    }
    return PMU_E_INVALID;
}
