/* Whole-capture decoding: see pmu/decode.h. */
#include "pmu/decode.h"

#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/grow.h"


static enum pmu_status note(struct pmu_decoded *d, const struct pmu_error *e)
{
    if (!pmu_grow((void **)&d->errors, &d->cap_errors, d->n_errors, sizeof *d->errors))
        return PMU_E_NOMEM;
    d->errors[d->n_errors++] = *e;
    return PMU_OK;
}

/* Keeps a frame: its bytes are copied, since the parser reuses its buffer. */
static enum pmu_status keep(struct pmu_decoded *d, const struct pmu_iec_frame *f,
                            const struct pmu_capture_segment *seg)
{
    if (!pmu_grow((void **)&d->frames, &d->cap_frames, d->n_frames, sizeof *d->frames))
        return PMU_E_NOMEM;
    struct pmu_decoded_frame *df = &d->frames[d->n_frames];
    memset(df, 0, sizeof *df);
    df->frame = *f;
    uint8_t *raw = pmu_arena_alloc(d->arena, f->raw_len + 1);
    if (raw == NULL)
        return PMU_E_NOMEM;
    memcpy(raw, f->raw, f->raw_len);
    df->frame.raw = raw;
    df->frame.data = raw + (f->data - f->raw);
    df->dir = seg->dir;
    df->label = seg->label;
    df->secret = f->kind == PMU_IEC_COMMAND && f->cmd[0] == 'P' && (f->cmd[1] == '1' || f->cmd[1] == '2');
    if (f->kind == PMU_IEC_IDENT)
        df->has_ident = pmu_iec_ident_parse(f->raw, f->raw_len, &df->ident, NULL) == PMU_OK;
    d->n_frames++;
    return PMU_OK;
}

static enum pmu_status decode_segment(struct pmu_decoded *d, struct pmu_iec_parser *p,
                                      const struct pmu_capture *cap, size_t si,
                                      const struct pmu_decode_options *opt, bool *continues)
{
    const struct pmu_capture_segment *seg = &cap->segments[si];
    const uint8_t *in = cap->bytes + seg->offset;
    size_t left = seg->length;
    for (;;) {
        struct pmu_iec_frame f;
        struct pmu_error e;
        enum pmu_status st;
        pmu_error_clear(&e);
        if (left > 0) {
            size_t used = 0;
            st = pmu_iec_parser_feed(p, in, left, &used, &f, &e);
            in += used;
            left -= used;
            if (st == PMU_AGAIN)
                continue;
        } else {
            st = pmu_iec_parser_finish(p, &f, &e);
            if (st == PMU_DONE)
                break;
        }
        bool have_frame = st == PMU_OK || st == PMU_E_BCC || st == PMU_E_TRUNCATED;
        if (st != PMU_OK && note(d, &e) != PMU_OK)
            return PMU_E_NOMEM;
        if (!have_frame)
            continue;
        if (keep(d, &f, seg) != PMU_OK)
            return PMU_E_NOMEM;
        if (st == PMU_E_BCC)
            d->bad_bcc++;
        bool block = f.kind == PMU_IEC_DATA || f.kind == PMU_IEC_TEXT;
        if (block && (f.bcc != PMU_BCC_BAD || opt->accept_bad_bcc)) {
            if (pmu_readout_add_block(&d->readout, f.data, f.data_len, f.data_offset,
                                      d->n_frames - 1, *continues) == PMU_E_NOMEM)
                return PMU_E_NOMEM;
        }
        if (block)
            *continues = f.partial;
    }
    return PMU_OK;
}

enum pmu_status pmu_decode_capture(const struct pmu_capture *cap,
                                   const struct pmu_decode_options *opt,
                                   struct pmu_decoded *out)
{
    memset(out, 0, sizeof *out);
    pmu_readout_init(&out->readout);
    out->arena = pmu_arena_new();
    if (out->arena == NULL)
        return PMU_E_NOMEM;
    struct pmu_iec_parser_options po = {
        .checksum = opt->checksum, .strip_parity = opt->strip_parity};
    struct pmu_iec_parser p;
    if (pmu_iec_parser_init(&p, &po) != PMU_OK)
        return PMU_E_NOMEM;
    bool continues = false;
    enum pmu_status st = PMU_OK;
    for (size_t i = 0; i < cap->n_segments && st == PMU_OK; i++)
        st = decode_segment(out, &p, cap, i, opt, &continues);
    pmu_iec_parser_free(&p);
    if (st != PMU_OK)
        return st;
    /* Set only now: the frame array moves while it grows. */
    for (size_t i = 0; i < out->n_frames && out->ident == NULL; i++)
        if (out->frames[i].has_ident)
            out->ident = &out->frames[i].ident;
    for (size_t i = 0; i < out->n_errors; i++)
        if (out->errors[i].code != PMU_E_BCC)
            return out->errors[i].code;
    if (out->readout.n_errors > 0)
        return out->readout.errors[0].code;
    return out->bad_bcc > 0 ? PMU_E_BCC : PMU_OK;
}

void pmu_decoded_free(struct pmu_decoded *d)
{
    free(d->frames);
    free(d->errors);
    pmu_readout_free(&d->readout);
    pmu_arena_free(d->arena);
    memset(d, 0, sizeof *d);
}
