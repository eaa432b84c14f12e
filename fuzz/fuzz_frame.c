/* libFuzzer target for the incremental IEC 62056-21 frame parser.
 *
 * Input layout: byte 0 chooses the parser options and the chunking mode, byte 1 seeds
 * the chunk sizes, the rest is the byte stream. The stream is parsed twice, once in a
 * single feed and once cut into chunks (1-byte chunks, empty feeds, sizes taken from a
 * seeded generator or from the data itself); both runs must give the same messages and
 * errors, since the parser promises the same result for any chunking. Along the way
 * every result is checked against the promises of include/pmu/iec62056.h, and data and
 * text payloads go on through the data-set tokenizer and the typed readout.
 *
 *   byte 0  bit 0     checksum: 0 XOR, 1 SUM7
 *           bit 1     strip_parity
 *           bit 2     no_option_select
 *           bits 3-5  max_frame: 0..2 default, 3 -> 1, 4 -> 2, 5 -> 5, 6 -> 20,
 *                     7 -> 100
 *           bits 6-7  chunking: 0 one byte, 1 seeded 1..16, 2 from the data 0..6,
 *                     3 seeded 0..255 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/dataset.h"
#include "pmu/iec62056.h"
#include "pmu/readout.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz_frame: check failed at line %d: %s\n", __LINE__,   \
                    #cond);                                                          \
            abort();                                                                 \
        }                                                                            \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one parser call returned, reduced to comparable fields. */
struct summary {
    int status;
    int kind;                  /* -1 when the call returned no message */
    int bcc;
    size_t offset, raw_len, data_len, data_offset;
    uint64_t raw_hash, data_hash;
    char cmd[2];
    bool has_data, partial, readout;
    uint8_t bcc_received, bcc_computed;
    size_t err_offset;
    uint64_t msg_hash;
};

struct run {
    struct summary *items;
    size_t n, cap;
    size_t frames_end;         /* first stream byte after the last message returned */
    size_t last_offset;        /* offset of the last message, for the order check */
    bool any_frame;
    size_t zero_used;          /* consecutive calls that consumed nothing */
    /* deeper decoding, only in the first run */
    bool decode;
    struct pmu_readout readout;
    size_t n_blocks;
    bool prev_partial;
};

static uint64_t hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211u;
    }
    return h;
}

static bool is_frame_status(enum pmu_status st, bool finish)
{
    return st == PMU_OK || st == PMU_E_BCC || (finish && st == PMU_E_TRUNCATED);
}

static void check_error(const struct pmu_error *err, enum pmu_status st, size_t total,
                        size_t frames_end)
{
    CHECK(err->code == st);
    CHECK(err->message[0] != '\0');
    CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    CHECK(strstr(err->message, "(null)") == NULL);   /* a NULL string was formatted */
    CHECK(err->offset != PMU_NO_OFFSET);
    CHECK(err->offset <= total);
    CHECK(err->offset >= frames_end);
}

/* The tokenizer must walk any payload to its end, always moving forward. */
static void tokenize(const struct pmu_iec_frame *f)
{
    static struct pmu_dataset ds;
    struct pmu_dataset_reader rd;
    struct pmu_error err;
    size_t items = 0;
    pmu_dataset_reader_init(&rd, f->data, f->data_len, f->data_offset);
    for (;;) {
        size_t before = rd.pos;
        pmu_error_clear(&err);
        enum pmu_status st = pmu_dataset_next(&rd, &ds, &err);
        if (st == PMU_DONE)
            break;
        CHECK(rd.pos > before && rd.pos <= f->data_len);
        CHECK(++items <= f->data_len + 2);
        if (st != PMU_OK) {
            CHECK(st == err.code && err.message[0] != '\0');
            CHECK(err.offset >= f->data_offset && err.offset <= f->data_offset + f->data_len);
            continue;
        }
        CHECK(ds.n_values <= PMU_DATASET_MAX_VALUES);
        for (size_t i = 0; i < ds.n_values; i++) {
            const struct pmu_dataset_value *v = &ds.values[i];
            CHECK((const uint8_t *)v->text >= f->data &&
                  (const uint8_t *)v->text + v->len <= f->data + f->data_len);
        }
    }
}

static void check_value(const struct pmu_value *v)
{
    CHECK(v->text != NULL);
    (void)strlen(v->text);
    if (v->unit != NULL)
        (void)strlen(v->unit);
    if (v->has_time)
        CHECK(v->time.month >= 1 && v->time.month <= 12 && v->time.day >= 1 &&
              v->time.day <= 31 && v->time.hour <= 23 && v->time.minute <= 59);
}

static void walk_readout(const struct pmu_readout *r)
{
    for (size_t i = 0; i < r->n_records; i++) {
        const struct pmu_record *rec = &r->records[i];
        CHECK(rec->address != NULL);
        for (size_t k = 0; k < rec->n_values; k++)
            check_value(&rec->values[k]);
    }
    for (size_t i = 0; i < r->n_profiles; i++) {
        const struct pmu_profile *p = &r->profiles[i];
        CHECK(p->address != NULL && p->n_rows <= p->cap_rows);
        for (size_t k = 0; k < p->n_channels; k++)
            CHECK(p->channels[k].id != NULL && p->channels[k].unit != NULL);
        for (size_t k = 0; k < p->n_rows; k++)
            for (size_t j = 0; j < p->rows[k].n_values; j++)
                check_value(&p->rows[k].values[j]);
    }
    for (size_t i = 0; i < r->n_errors; i++)
        CHECK(r->errors[i].code < 0 && r->errors[i].message[0] != '\0');
}

static bool ends_with_crlf(const struct pmu_iec_frame *f)
{
    return f->raw_len >= 2 && f->raw[f->raw_len - 2] == PMU_CR &&
           f->raw[f->raw_len - 1] == PMU_LF;
}

static void check_frame(const struct pmu_iec_frame *f, const struct pmu_iec_parser_options *opt)
{
    CHECK(f->raw != NULL && f->raw_len > 0);
    CHECK(f->data >= f->raw && f->data_len <= f->raw_len &&
          (size_t)(f->data - f->raw) <= f->raw_len - f->data_len);
    CHECK(f->data_offset == f->offset + (size_t)(f->data - f->raw));
    /* max_frame is the longest message accepted */
    CHECK(opt->max_frame == 0 || f->raw_len <= opt->max_frame);
    switch (f->kind) {
    case PMU_IEC_SIGNON:
    case PMU_IEC_IDENT:
        CHECK(f->raw[0] == '/' && f->bcc == PMU_BCC_ABSENT && ends_with_crlf(f));
        break;
    case PMU_IEC_OPTION:
        CHECK(f->raw[0] == PMU_ACK && f->raw_len == 6 && f->data_len == 3 && ends_with_crlf(f));
        break;
    case PMU_IEC_ACK:
        CHECK(f->raw[0] == PMU_ACK && f->raw_len == 1 && f->data_len == 0);
        break;
    case PMU_IEC_NAK:
        CHECK(f->raw[0] == PMU_NAK && f->raw_len == 1 && f->data_len == 0);
        break;
    case PMU_IEC_COMMAND:
    case PMU_IEC_DATA:
        CHECK(f->raw[0] == (f->kind == PMU_IEC_COMMAND ? PMU_SOH : PMU_STX));
        CHECK(f->bcc != PMU_BCC_ABSENT);
        CHECK((f->bcc == PMU_BCC_OK) == (f->bcc_received == f->bcc_computed));
        /* the whole message, check character included; it covers raw[1..ETX] */
        CHECK(f->raw_len >= 3);
        CHECK(f->raw[f->raw_len - 2] == PMU_ETX || f->raw[f->raw_len - 2] == PMU_EOT);
        CHECK(f->bcc_received == f->raw[f->raw_len - 1]);
        CHECK(f->bcc_computed == pmu_iec_bcc(opt->checksum, f->raw + 1, f->raw_len - 2));
        CHECK(f->partial == (f->raw[f->raw_len - 2] == PMU_EOT));
        break;
    case PMU_IEC_TEXT:
    case PMU_IEC_NOISE:
        CHECK(f->bcc == PMU_BCC_ABSENT);
        break;
    default:
        CHECK(false);   /* unknown frame kind */
    }
    if (opt->strip_parity)
        for (size_t i = 0; i < f->raw_len; i++)
            CHECK(f->raw[i] < 0x80);
    if (f->kind == PMU_IEC_IDENT) {
        struct pmu_iec_ident id;
        CHECK(pmu_iec_ident_parse(f->raw, f->raw_len, &id, NULL) == PMU_OK);
        CHECK(memchr(id.id, '\0', sizeof id.id) != NULL);
    }
}

static void decode_payload(struct run *run, const struct pmu_iec_frame *f)
{
    if (f->kind != PMU_IEC_DATA && f->kind != PMU_IEC_TEXT)
        return;
    tokenize(f);
    enum pmu_status st = pmu_readout_add_block(&run->readout, f->data, f->data_len,
                                               f->data_offset, run->n_blocks++,
                                               run->prev_partial);
    CHECK(st == PMU_OK || (st < 0 && st != PMU_E_NOMEM));
    run->prev_partial = f->kind == PMU_IEC_DATA && f->partial;
}

static void record(struct run *run, enum pmu_status st, bool finish, size_t total,
                   const struct pmu_iec_frame *f, const struct pmu_error *err,
                   const struct pmu_iec_parser_options *opt)
{
    struct summary s;
    memset(&s, 0, sizeof s);
    s.status = (int)st;
    s.kind = -1;
    s.err_offset = PMU_NO_OFFSET;
    if (is_frame_status(st, finish)) {
        check_frame(f, opt);
        CHECK(st != PMU_E_BCC || f->bcc == PMU_BCC_BAD);
        CHECK(st != PMU_OK || f->bcc != PMU_BCC_BAD);
        CHECK(st != PMU_E_TRUNCATED || f->kind == PMU_IEC_NOISE);
        /* messages come in stream order and do not overlap */
        CHECK(!run->any_frame || f->offset > run->last_offset);
        CHECK(f->offset >= run->frames_end && f->offset < total);
        run->any_frame = true;
        run->last_offset = f->offset;
        s.kind = (int)f->kind;
        s.bcc = (int)f->bcc;
        s.offset = f->offset;
        s.raw_len = f->raw_len;
        s.data_len = f->data_len;
        s.data_offset = f->data_offset;
        s.raw_hash = hash(f->raw, f->raw_len);
        s.data_hash = hash(f->data, f->data_len);
        s.cmd[0] = f->cmd[0];
        s.cmd[1] = f->cmd[1];
        s.has_data = f->has_data;
        s.partial = f->partial;
        s.readout = f->readout;
        s.bcc_received = f->bcc_received;
        s.bcc_computed = f->bcc_computed;
        if (run->decode)
            decode_payload(run, f);
    }
    if (st < 0) {
        check_error(err, st, total, run->frames_end);
        s.err_offset = err->offset;
        s.msg_hash = hash(err->message, strlen(err->message));
    }
    if (is_frame_status(st, finish))
        run->frames_end = f->offset + f->raw_len;
    if (run->n == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 64;
        struct summary *items = realloc(run->items, cap * sizeof *items);
        CHECK(items != NULL);
        run->items = items;
        run->cap = cap;
    }
    run->items[run->n++] = s;
    /* every result but the last of a run consumes a byte or is followed by one that does */
    CHECK(run->n <= 2 * total + 4);
}

/* Feeds len bytes until the parser asks for more. */
static void feed(struct run *run, struct pmu_iec_parser *p, const uint8_t *in, size_t len,
                 size_t total, const struct pmu_iec_parser_options *opt)
{
    size_t pos = 0;
    for (;;) {
        struct pmu_iec_frame f;
        struct pmu_error err;
        size_t used = (size_t)-1;
        pmu_error_clear(&err);
        enum pmu_status st = pmu_iec_parser_feed(p, in + pos, len - pos, &used, &f, &err);
        CHECK(used <= len - pos);
        CHECK(st == PMU_OK || st == PMU_AGAIN || st == PMU_E_BCC || st == PMU_E_SYNTAX ||
              st == PMU_E_TOO_LONG);
        pos += used;
        if (st == PMU_AGAIN) {
            CHECK(pos == len);
            run->zero_used = 0;
            return;
        }
        run->zero_used = used == 0 ? run->zero_used + 1 : 0;
        CHECK(run->zero_used <= 3);   /* no progress: the parser would spin for ever */
        record(run, st, false, total, &f, &err, opt);
    }
}

static void finish(struct run *run, struct pmu_iec_parser *p, size_t total,
                   const struct pmu_iec_parser_options *opt)
{
    for (int i = 0;; i++) {
        struct pmu_iec_frame f;
        struct pmu_error err;
        pmu_error_clear(&err);
        enum pmu_status st = pmu_iec_parser_finish(p, &f, &err);
        CHECK(st == PMU_OK || st == PMU_DONE || st == PMU_E_TRUNCATED);
        if (st == PMU_DONE)
            break;
        CHECK(i < 2);   /* at most one pending message */
        record(run, st, true, total, &f, &err, opt);
    }
}

static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static size_t chunk_size(unsigned mode, uint32_t *rng, const uint8_t *in, size_t len,
                         size_t k)
{
    switch (mode) {
    case 0:
        return 1;
    case 1:
        return 1 + next_rand(rng) % 16;
    case 2:
        return len > 0 ? in[k % len] % 7u : 1;
    default:
        return next_rand(rng) % 256;
    }
}

static bool same(const struct summary *x, const struct summary *y)
{
    return x->status == y->status && x->kind == y->kind && x->bcc == y->bcc &&
           x->offset == y->offset && x->raw_len == y->raw_len &&
           x->data_len == y->data_len && x->data_offset == y->data_offset &&
           x->raw_hash == y->raw_hash && x->data_hash == y->data_hash &&
           x->cmd[0] == y->cmd[0] && x->cmd[1] == y->cmd[1] && x->has_data == y->has_data &&
           x->partial == y->partial && x->readout == y->readout &&
           x->bcc_received == y->bcc_received && x->bcc_computed == y->bcc_computed &&
           x->err_offset == y->err_offset && x->msg_hash == y->msg_hash;
}

/* Aborts, saying where, unless both runs gave the same results. */
static void compare(const struct run *a, const struct run *b, size_t len)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        const struct summary *x = &a->items[i], *y = &b->items[i];
        if (same(x, y))
            continue;
        fprintf(stderr,
                "fuzz_frame: result %zu differs between one feed and chunked feeds\n"
                "  whole:   status %d kind %d offset %zu raw_len %zu data_len %zu "
                "err_offset %zu\n"
                "  chunked: status %d kind %d offset %zu raw_len %zu data_len %zu "
                "err_offset %zu\n  stream of %zu bytes\n",
                i, x->status, x->kind, x->offset, x->raw_len, x->data_len, x->err_offset,
                y->status, y->kind, y->offset, y->raw_len, y->data_len, y->err_offset, len);
        abort();
    }
    if (a->n != b->n) {
        fprintf(stderr, "fuzz_frame: one feed gave %zu results, chunked feeds %zu\n", a->n,
                b->n);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t max_frames[8] = {0, 0, 0, 1, 2, 5, 20, 100};
    if (size < 2)
        return 0;
    uint8_t sel = data[0];
    struct pmu_iec_parser_options opt;
    memset(&opt, 0, sizeof opt);
    opt.checksum = (sel & 1) ? PMU_CHECKSUM_SUM7 : PMU_CHECKSUM_XOR;
    opt.strip_parity = (sel & 2) != 0;
    opt.no_option_select = (sel & 4) != 0;
    opt.max_frame = max_frames[(sel >> 3) & 7];
    unsigned mode = (unsigned)(sel >> 6);
    uint32_t rng = 0x9E3779B9u ^ ((uint32_t)data[1] * 0x01000193u) ^ (uint32_t)size;
    if (rng == 0)
        rng = 1;
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    struct pmu_iec_parser p;
    struct run whole, chunked;
    memset(&whole, 0, sizeof whole);
    memset(&chunked, 0, sizeof chunked);

    /* (a) everything in one call */
    whole.decode = true;
    pmu_readout_init(&whole.readout);
    CHECK(pmu_iec_parser_init(&p, &opt) == PMU_OK);
    feed(&whole, &p, in, len, len, &opt);
    finish(&whole, &p, len, &opt);
    pmu_iec_parser_free(&p);
    walk_readout(&whole.readout);
    pmu_readout_free(&whole.readout);

    /* (b) the same bytes in chunks */
    CHECK(pmu_iec_parser_init(&p, &opt) == PMU_OK);
    size_t pos = 0, prev = 1;
    for (size_t k = 0; pos < len; k++) {
        size_t n = chunk_size(mode, &rng, in, len, k);
        if (n == 0 && prev == 0)
            n = 1;   /* an empty feed now and then, never two in a row */
        if (n > len - pos)
            n = len - pos;
        feed(&chunked, &p, in + pos, n, len, &opt);
        pos += n;
        prev = n;
    }
    finish(&chunked, &p, len, &opt);
    pmu_iec_parser_free(&p);

    compare(&whole, &chunked, len);
    free(whole.items);
    free(chunked.items);
    return 0;
}
