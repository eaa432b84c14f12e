/* Incremental IEC 62056-21 message parser.
 *
 * A byte-at-a-time state machine, with bulk scans for the two states where almost all
 * bytes are spent (inside a data block and inside text lines), so it is fast on long
 * readouts and still gives the same messages for any chunking of its input. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum state {
    S_IDLE,
    S_NOISE,
    S_LINE,       /* after '/': sign-on request or identification, up to LF */
    S_ACK,        /* after ACK: alone, or the start of an option select */
    S_OPTION,     /* ACK V Z Y CR LF */
    S_CMD_C,      /* after SOH: command letter */
    S_CMD_D,      /* command type digit */
    S_CMD_SEP,    /* STX, or ETX/EOT for a command without data */
    S_CMD_DATA,   /* command data up to ETX/EOT */
    S_DATA,       /* data block up to ETX/EOT */
    S_BCC,        /* the check character */
    S_TEXT,       /* unframed lines */
    S_SKIP,       /* discarding an over-long framed message up to ETX/EOT */
    S_SKIP_BCC
};

/* How step() disposed of a byte. */
enum step {
    STEP_MORE,        /* consumed, message continues */
    STEP_EMIT,        /* consumed, message complete */
    STEP_EMIT_BEFORE, /* message complete without this byte */
    STEP_FAIL,        /* consumed, error reported */
    STEP_FAIL_BEFORE  /* error reported, byte not consumed */
};

#define LINE_MAX 80            /* "/XXXZ" + enhanced ids + 32-char ident + CR LF */
#define DEFAULT_MAX_FRAME (16u * 1024u * 1024u)

const char *pmu_iec_kind_name(enum pmu_iec_kind k)
{
    switch (k) {
    case PMU_IEC_NOISE: return "noise";
    case PMU_IEC_SIGNON: return "signon";
    case PMU_IEC_IDENT: return "ident";
    case PMU_IEC_OPTION: return "option";
    case PMU_IEC_ACK: return "ack";
    case PMU_IEC_NAK: return "nak";
    case PMU_IEC_COMMAND: return "command";
    case PMU_IEC_DATA: return "data";
    case PMU_IEC_TEXT: return "text";
    }
    return "?";
}

const char *pmu_bcc_verdict_name(enum pmu_bcc_verdict v)
{
    switch (v) {
    case PMU_BCC_ABSENT: return "absent";
    case PMU_BCC_OK: return "ok";
    case PMU_BCC_BAD: return "bad";
    }
    return "?";
}

enum pmu_status pmu_iec_parser_init(struct pmu_iec_parser *p,
                                    const struct pmu_iec_parser_options *opt)
{
    memset(p, 0, sizeof *p);
    if (opt != NULL)
        p->opt = *opt;
    if (p->opt.max_frame == 0)
        p->opt.max_frame = DEFAULT_MAX_FRAME;
    p->cap = 256;
    p->buf = malloc(p->cap);
    if (p->buf == NULL)
        return PMU_E_NOMEM;
    p->state = S_IDLE;
    return PMU_OK;
}

void pmu_iec_parser_free(struct pmu_iec_parser *p)
{
    free(p->buf);
    p->buf = NULL;
    p->cap = p->len = 0;
}

void pmu_iec_parser_reset(struct pmu_iec_parser *p)
{
    p->state = S_IDLE;
    p->len = 0;
    p->pending_reset = false;
}

static uint8_t accumulate(enum pmu_checksum ck, uint8_t acc, const uint8_t *b, size_t n)
{
    if (ck == PMU_CHECKSUM_SUM7) {
        for (size_t i = 0; i < n; i++)
            acc = (uint8_t)(acc + b[i]);
        return acc;
    }
    return (uint8_t)(acc ^ pmu_iec_bcc(PMU_CHECKSUM_XOR, b, n));
}

/* Appends n bytes to the message buffer; false when the message would pass max_frame
 * or memory runs out. */
static bool append(struct pmu_iec_parser *p, const uint8_t *b, size_t n)
{
    if (p->len + n > p->opt.max_frame)
        return false;
    if (p->len + n > p->cap) {
        size_t cap = p->cap;
        while (cap < p->len + n)
            cap *= 2;
        uint8_t *nb = realloc(p->buf, cap);
        if (nb == NULL)
            return false;
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, b, n);
    p->len += n;
    return true;
}

static void begin(struct pmu_iec_parser *p, int state)
{
    p->state = state;
    p->start = p->offset;
    p->len = 0;
    p->data_start = 0;
    p->acc = 0;
}

/* Fills *out from the collected bytes; the payload is buf[data_start .. data_end). */
static void emit(struct pmu_iec_parser *p, enum pmu_iec_kind kind, size_t data_end,
                 struct pmu_iec_frame *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->offset = p->start;
    out->raw = p->buf;
    out->raw_len = p->len;
    out->data = p->buf + p->data_start;
    out->data_len = data_end - p->data_start;
    out->data_offset = p->start + p->data_start;
    out->bcc = PMU_BCC_ABSENT;
    p->state = S_IDLE;
    p->pending_reset = true;
}

static bool ends_with_readout_end(const uint8_t *d, size_t n)
{
    return (n >= 3 && d[n - 3] == '!' && d[n - 2] == PMU_CR && d[n - 1] == PMU_LF) ||
           (n >= 1 && d[n - 1] == '!' && (n == 1 || d[n - 2] == PMU_LF));
}

static bool is_text_byte(uint8_t c)
{
    return pmu_iec_is_printable(c) || c == PMU_CR || c == PMU_LF;
}

/* Does byte c, seen between messages, begin one? */
static bool starts_message(uint8_t c)
{
    return c == '/' || c == PMU_ACK || c == PMU_NAK || c == PMU_SOH || c == PMU_STX ||
           is_text_byte(c);
}

static enum step fail(struct pmu_iec_parser *p, enum step how, enum pmu_status code,
                      struct pmu_error *err, size_t at, const char *what, uint8_t c)
{
    char b[8];
    pmu_error_set(err, code, at, "%s, got %s (message began at byte %zu)", what,
                  pmu_byte_repr(c, b), p->start);
    p->error = code;
    p->state = S_IDLE;
    p->len = 0;
    return how;
}

static enum step too_long(struct pmu_iec_parser *p, struct pmu_error *err, size_t at, int next)
{
    pmu_error_set(err, PMU_E_TOO_LONG, at,
                  "message that began at byte %zu is longer than %zu bytes; skipped",
                  p->start, p->opt.max_frame);
    p->error = PMU_E_TOO_LONG;
    p->len = 0;
    p->state = next;
    return STEP_FAIL;
}

static enum step on_text(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out,
                         struct pmu_error *err);

static enum step on_idle(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out)
{
    switch (c) {
    case '/':
        begin(p, S_LINE);
        break;
    case PMU_ACK:
        begin(p, S_ACK);
        if (p->opt.no_option_select) {
            append(p, &c, 1);
            emit(p, PMU_IEC_ACK, 0, out);
            return STEP_EMIT;
        }
        break;
    case PMU_NAK:
        begin(p, S_IDLE);
        append(p, &c, 1);
        emit(p, PMU_IEC_NAK, 0, out);
        return STEP_EMIT;
    case PMU_SOH:
        begin(p, S_CMD_C);
        break;
    case PMU_STX:
        begin(p, S_DATA);
        p->data_start = 1;
        break;
    case PMU_CR:
    case PMU_LF:
        return STEP_MORE; /* stray line ends between messages carry nothing */
    default:
        if (pmu_iec_is_printable(c)) {
            begin(p, S_TEXT);
            p->at_line_start = true;
            return on_text(p, c, out, NULL);
        }
        begin(p, S_NOISE);
        break;
    }
    append(p, &c, 1);
    return STEP_MORE;
}

static enum step on_line(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out,
                         struct pmu_error *err)
{
    if (c != PMU_CR && c != PMU_LF && !pmu_iec_is_printable(c))
        return fail(p, STEP_FAIL_BEFORE, PMU_E_SYNTAX, err, p->offset,
                    "expected CR LF to end the identification or sign-on line", c);
    if (p->len >= LINE_MAX || !append(p, &c, 1))
        return fail(p, STEP_FAIL_BEFORE, PMU_E_TOO_LONG, err, p->offset,
                    "identification or sign-on line is too long: expected CR LF", c);
    if (c != PMU_LF)
        return STEP_MORE;
    size_t n = p->len;
    if (n < 2 || p->buf[n - 2] != PMU_CR)
        return fail(p, STEP_FAIL, PMU_E_SYNTAX, err, p->offset - 1,
                    "expected CR before LF", n >= 2 ? p->buf[n - 2] : c);
    bool signon = n >= 2 && p->buf[1] == '?';
    enum pmu_status st;
    if (signon) {
        st = pmu_iec_signon_check_at(p->buf, n, p->start, err);
    } else {
        struct pmu_iec_ident id;
        st = pmu_iec_ident_parse_at(p->buf, n, p->start, &id, err);
    }
    if (st != PMU_OK) {
        /* A line cut short ("/AB" CR LF) is malformed here, not truncated input. */
        p->error = st == PMU_E_TRUNCATED ? PMU_E_SYNTAX : st;
        if (err != NULL)
            err->code = p->error;
        p->state = S_IDLE;
        p->len = 0;
        return STEP_FAIL;
    }
    if (signon) {
        p->data_start = 2;
        emit(p, PMU_IEC_SIGNON, n - 3, out);
    } else {
        emit(p, PMU_IEC_IDENT, n - 2, out);
    }
    return STEP_EMIT;
}

/* ACK V Z Y CR LF: each position has its own rule, checked as the byte arrives. */
static enum step on_option(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out,
                           struct pmu_error *err)
{
    static const char *const expected[] = {
        NULL, NULL, "expected baud rate character Z of the option select",
        "expected mode control digit Y of the option select",
        "expected CR after the option select", "expected LF after the option select"};
    size_t at = p->len;
    bool ok = (at == 2 && pmu_iec_is_printable(c)) || (at == 3 && c >= '0' && c <= '9') ||
              (at == 4 && c == PMU_CR) || (at == 5 && c == PMU_LF);
    if (!ok)
        return fail(p, STEP_FAIL_BEFORE, PMU_E_SYNTAX, err, p->offset, expected[at], c);
    if (!append(p, &c, 1))
        return too_long(p, err, p->offset, S_IDLE);
    if (c != PMU_LF)
        return STEP_MORE;
    p->data_start = 1;
    emit(p, PMU_IEC_OPTION, 4, out);
    return STEP_EMIT;
}

static enum step on_bcc(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out,
                        struct pmu_error *err)
{
    uint8_t computed = p->opt.checksum == PMU_CHECKSUM_SUM7 ? (uint8_t)(p->acc & 0x7F) : p->acc;
    bool command = p->buf[0] == PMU_SOH;
    uint8_t end = p->buf[p->len - 1];
    size_t data_end = p->len - 1;
    if (!append(p, &c, 1))
        return too_long(p, err, p->offset, S_IDLE);
    emit(p, command ? PMU_IEC_COMMAND : PMU_IEC_DATA, data_end, out);
    if (command) {
        out->cmd[0] = (char)p->buf[1];
        out->cmd[1] = (char)p->buf[2];
        out->has_data = p->buf[3] == PMU_STX;
        if (!out->has_data)
            out->data_len = 0;
    }
    out->partial = end == PMU_EOT;
    out->readout = !command && ends_with_readout_end(out->data, out->data_len);
    out->bcc_received = c;
    out->bcc_computed = computed;
    out->bcc = c == computed ? PMU_BCC_OK : PMU_BCC_BAD;
    if (out->bcc == PMU_BCC_BAD) {
        p->error = PMU_E_BCC;
        pmu_error_set(err, PMU_E_BCC, p->offset,
                      "block check character 0x%02X does not match the computed 0x%02X (%s) "
                      "of the message that began at byte %zu",
                      c, computed, pmu_checksum_name(p->opt.checksum), p->start);
        return STEP_FAIL;
    }
    return STEP_EMIT;
}

/* Does the text end with a line holding only "!" (the end of a push telegram)? */
static bool ends_with_bang_line(const uint8_t *d, size_t n)
{
    return n >= 3 && d[n - 3] == '!' && d[n - 2] == PMU_CR && d[n - 1] == PMU_LF &&
           (n == 3 || d[n - 4] == PMU_LF);
}

static bool text_is_telegram(const uint8_t *d, size_t n)
{
    return ends_with_bang_line(d, n) || (n >= 1 && d[n - 1] == '!' && (n == 1 || d[n - 2] == PMU_LF));
}

static enum step on_text(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out,
                         struct pmu_error *err)
{
    bool ends = !is_text_byte(c) || (p->at_line_start && c == '/');
    if (ends) {
        emit(p, PMU_IEC_TEXT, p->len, out);
        out->readout = text_is_telegram(out->data, out->data_len);
        return STEP_EMIT_BEFORE;
    }
    if (!append(p, &c, 1))
        return too_long(p, err, p->offset, S_IDLE);
    p->at_line_start = c == PMU_LF;
    if (c == PMU_LF && ends_with_bang_line(p->buf, p->len)) {
        emit(p, PMU_IEC_TEXT, p->len, out);
        out->readout = true;
        return STEP_EMIT;
    }
    return STEP_MORE;
}

static enum step step(struct pmu_iec_parser *p, uint8_t c, struct pmu_iec_frame *out,
                      struct pmu_error *err)
{
    switch ((enum state)p->state) {
    case S_IDLE:
        return on_idle(p, c, out);
    case S_NOISE:
        if (starts_message(c) || p->len >= LINE_MAX || !append(p, &c, 1)) {
            emit(p, PMU_IEC_NOISE, p->len, out);
            return STEP_EMIT_BEFORE;
        }
        return STEP_MORE;
    case S_LINE:
        return on_line(p, c, out, err);
    case S_ACK:
        if (c >= '0' && c <= '9') {
            p->state = S_OPTION;
            return append(p, &c, 1) ? STEP_MORE : too_long(p, err, p->offset, S_IDLE);
        }
        emit(p, PMU_IEC_ACK, 0, out);
        return STEP_EMIT_BEFORE;
    case S_OPTION:
        return on_option(p, c, out, err);
    case S_CMD_C:
        if (strchr("PWREB", c) == NULL || c == 0)
            return fail(p, STEP_FAIL_BEFORE, PMU_E_SYNTAX, err, p->offset,
                        "expected command letter P, W, R, E or B after SOH", c);
        p->state = S_CMD_D;
        break;
    case S_CMD_D:
        if (c < '0' || c > '9')
            return fail(p, STEP_FAIL_BEFORE, PMU_E_SYNTAX, err, p->offset,
                        "expected command type digit after the command letter", c);
        p->state = S_CMD_SEP;
        break;
    case S_CMD_SEP:
        if (c == PMU_STX) {
            p->state = S_CMD_DATA;
            p->data_start = 4;
        } else if (c == PMU_ETX || c == PMU_EOT) {
            p->state = S_BCC;
            p->data_start = 3;
        } else {
            return fail(p, STEP_FAIL_BEFORE, PMU_E_SYNTAX, err, p->offset,
                        "expected STX or ETX after the command", c);
        }
        break;
    case S_CMD_DATA:
    case S_DATA:
        if (c == PMU_ETX || c == PMU_EOT)
            p->state = S_BCC;
        break;
    case S_BCC:
        return on_bcc(p, c, out, err);
    case S_TEXT:
        return on_text(p, c, out, err);
    case S_SKIP:
        if (c == PMU_ETX || c == PMU_EOT)
            p->state = S_SKIP_BCC;
        return STEP_MORE;
    case S_SKIP_BCC:
        p->state = S_IDLE;
        return STEP_MORE;
    }
    /* Framed states: the byte joins the message and the checksum. */
    p->acc = accumulate(p->opt.checksum, p->acc, &c, 1);
    if (!append(p, &c, 1))
        return too_long(p, err, p->offset, c == PMU_ETX || c == PMU_EOT ? S_SKIP_BCC : S_SKIP);
    return STEP_MORE;
}

/* Bulk scan of a data block: consumes bytes up to (not including) ETX/EOT, or up to
 * and including the first byte past max_frame, exactly as step() would. */
static size_t scan_block(struct pmu_iec_parser *p, const uint8_t *in, size_t n,
                         struct pmu_error *err, bool *failed)
{
    const uint8_t *etx = memchr(in, PMU_ETX, n);
    size_t end = etx != NULL ? (size_t)(etx - in) : n;
    const uint8_t *eot = memchr(in, PMU_EOT, end);
    if (eot != NULL)
        end = (size_t)(eot - in);
    size_t room = p->opt.max_frame - p->len;
    if (end > room || !append(p, in, end)) {
        size_t fits = end > room ? room : 0;
        append(p, in, fits);
        too_long(p, err, p->offset + fits, S_SKIP);
        *failed = true;
        return fits + 1;
    }
    p->acc = accumulate(p->opt.checksum, p->acc, in, end);
    return end;
}

/* Bulk scan of text: consumes bytes of the current line up to (not including) LF or a
 * byte that is not text. */
static size_t scan_text(struct pmu_iec_parser *p, const uint8_t *in, size_t n)
{
    size_t i = 0;
    while (i < n && ((in[i] >= 0x20 && in[i] < 0x7F) || in[i] == PMU_CR))
        i++;
    if (i > 0)
        append(p, in, i);
    return i;
}

enum pmu_status pmu_iec_parser_feed(struct pmu_iec_parser *p, const uint8_t *in, size_t len,
                                    size_t *used, struct pmu_iec_frame *out,
                                    struct pmu_error *err)
{
    if (p->pending_reset) {
        p->len = 0;
        p->pending_reset = false;
    }
    size_t i = 0;
    while (i < len) {
        if (!p->opt.strip_parity) {
            size_t n = 0;
            bool failed = false;
            if (p->state == S_DATA || p->state == S_CMD_DATA)
                n = scan_block(p, in + i, len - i, err, &failed);
            else if (p->state == S_TEXT && !p->at_line_start && p->len + (len - i) <= p->opt.max_frame)
                n = scan_text(p, in + i, len - i);
            i += n;
            p->offset += n;
            if (failed) {
                *used = i;
                return PMU_E_TOO_LONG;
            }
            if (i == len)
                break;
        }
        uint8_t c = p->opt.strip_parity ? (uint8_t)(in[i] & 0x7F) : in[i];
        enum step r = step(p, c, out, err);
        if (r == STEP_MORE) {
            i++;
            p->offset++;
            continue;
        }
        if (r == STEP_EMIT || r == STEP_FAIL) {
            i++;
            p->offset++;
        }
        *used = i;
        if (r == STEP_FAIL || r == STEP_FAIL_BEFORE)
            return p->error;
        return PMU_OK;
    }
    *used = len;
    return PMU_AGAIN;
}

enum pmu_status pmu_iec_parser_finish(struct pmu_iec_parser *p, struct pmu_iec_frame *out,
                                      struct pmu_error *err)
{
    if (p->pending_reset) {
        p->len = 0;
        p->pending_reset = false;
    }
    switch ((enum state)p->state) {
    case S_IDLE:
    case S_SKIP:
    case S_SKIP_BCC:
        p->state = S_IDLE;
        return PMU_DONE;
    case S_NOISE:
        emit(p, PMU_IEC_NOISE, p->len, out);
        return PMU_OK;
    case S_ACK:
        emit(p, PMU_IEC_ACK, 0, out);
        return PMU_OK;
    case S_TEXT:
        emit(p, PMU_IEC_TEXT, p->len, out);
        out->readout = text_is_telegram(out->data, out->data_len);
        return PMU_OK;
    default:
        break;
    }
    size_t start = p->start;
    emit(p, PMU_IEC_NOISE, p->len, out);
    return pmu_error_set(err, PMU_E_TRUNCATED, p->offset,
                         "input ends inside the message that began at byte %zu: "
                         "expected the rest of it", start);
}
