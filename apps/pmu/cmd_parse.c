/* pmu parse: decode a capture and print frames, records and load profiles. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"
#include "pmu/decode.h"
#include "pmu/obis.h"

static const char parse_usage[] =
    "usage: pmu parse [FILE|-] [--json] [--hex] [--format auto|raw|hex|transcript]\n"
    "                 [--checksum xor|sum7] [--no-bcc] [--strip-parity]\n"
    "\n"
    "Decodes an IEC 62056-21 capture: identification, every frame with its check\n"
    "character verdict, data sets (address, OBIS name, values, units) and load profiles.\n"
    "FILE holds raw bytes as received, a hex dump (--hex) or a transcript of string\n"
    "literals; the format is detected when not given. Without FILE, reads standard input.\n"
    "\n"
    "  --json            print one JSON object (format in docs/parse-json.md)\n"
    "  --hex             the input is a hex dump (same as --format hex)\n"
    "  --format F        auto (default), raw, hex or transcript\n"
    "  --checksum C      xor (standard, default) or sum7 (sum & 0x7F, Energomera)\n"
    "  --no-bcc          decode frames whose check character is wrong, exit 0 for them\n"
    "  --strip-parity    clear bit 7 of every byte (7E1 captured as 8N1)\n"
    "\n"
    "Exit status: 0 clean, 1 bad check characters or malformed data, 2 usage,\n"
    "3 the file could not be read.\n";

struct parse_args {
    const char *path;
    bool json, strip_parity, accept_bad_bcc;
    enum pmu_capture_format format;
    enum pmu_checksum checksum;
};

static int parse_args(int argc, char **argv, struct parse_args *a)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},         {"hex", no_argument, NULL, 'x'},
        {"format", required_argument, NULL, 'f'}, {"checksum", required_argument, NULL, 'c'},
        {"no-bcc", no_argument, NULL, 'n'},       {"strip-parity", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->path = "-";
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j': a->json = true; break;
        case 'x': a->format = PMU_CAPTURE_HEX; break;
        case 'n': a->accept_bad_bcc = true; break;
        case 'p': a->strip_parity = true; break;
        case 'f':
            if (pmu_capture_format_from_name(optarg, &a->format) != PMU_OK) {
                fprintf(stderr, "pmu parse: unknown format '%s': use auto, raw, hex or transcript\n", optarg);
                return PMU_EXIT_USAGE;
            }
            break;
        case 'c':
            if (pmu_checksum_from_name(optarg, &a->checksum) != PMU_OK) {
                fprintf(stderr, "pmu parse: unknown checksum '%s': use xor or sum7\n", optarg);
                return PMU_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(parse_usage, stdout);
            return -1;
        default:
            fputs(parse_usage, stderr);
            return PMU_EXIT_USAGE;
        }
    }
    if (optind < argc)
        a->path = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "pmu parse: one input file at most, got '%s' too\n", argv[optind]);
        return PMU_EXIT_USAGE;
    }
    return PMU_EXIT_OK;
}

static const char *dir_name(enum pmu_direction d)
{
    return d == PMU_DIR_TO_METER ? "to_meter" : d == PMU_DIR_FROM_METER ? "from_meter" : NULL;
}

static json_t *json_frame(const struct pmu_decoded_frame *df)
{
    const struct pmu_iec_frame *f = &df->frame;
    char text[4096];
    if (df->secret)
        snprintf(text, sizeof text, "(password hidden)");
    else
        render_escape(f->data, f->data_len, text, sizeof text);
    json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s}", "kind", pmu_iec_kind_name(f->kind),
                          "offset", (json_int_t)f->offset, "length", (json_int_t)f->raw_len,
                          "bcc", pmu_bcc_verdict_name(f->bcc), "data", text);
    if (f->bcc != PMU_BCC_ABSENT) {
        json_object_set_new(o, "bcc_received", json_integer(f->bcc_received));
        json_object_set_new(o, "bcc_computed", json_integer(f->bcc_computed));
    }
    if (f->kind == PMU_IEC_COMMAND)
        json_object_set_new(o, "command", json_string(f->cmd));
    if (f->kind == PMU_IEC_DATA || f->kind == PMU_IEC_COMMAND)
        json_object_set_new(o, "partial", json_boolean(f->partial));
    if (f->kind == PMU_IEC_DATA || f->kind == PMU_IEC_TEXT)
        json_object_set_new(o, "readout", json_boolean(f->readout));
    if (df->has_ident)
        json_object_set_new(o, "ident", render_ident(&df->ident));
    json_object_set_new(o, "direction", render_str_or_null(dir_name(df->dir)));
    if (df->label[0])
        json_object_set_new(o, "label", json_string(df->label));
    return o;
}

static void print_json(const struct parse_args *a, const struct pmu_capture *cap,
                       const struct pmu_decoded *d, bool ok)
{
    json_t *frames = json_array(), *records = json_array(), *profiles = json_array(),
           *errors = json_array();
    for (size_t i = 0; i < d->n_frames; i++)
        json_array_append_new(frames, json_frame(&d->frames[i]));
    for (size_t i = 0; i < d->readout.n_records; i++)
        json_array_append_new(records, render_record(&d->readout.records[i]));
    for (size_t i = 0; i < d->readout.n_profiles; i++)
        json_array_append_new(profiles, render_profile(&d->readout.profiles[i]));
    for (size_t i = 0; i < d->n_errors; i++)
        json_array_append_new(errors, render_error(&d->errors[i]));
    for (size_t i = 0; i < d->readout.n_errors; i++)
        json_array_append_new(errors, render_error(&d->readout.errors[i]));
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b}", "input", a->path,
                             "format", pmu_capture_format_name(cap->format), "checksum",
                             pmu_checksum_name(a->checksum), "ident",
                             d->ident ? render_ident(d->ident) : json_null(), "frames", frames,
                             "records", records, "profiles", profiles, "errors", errors, "ok", ok);
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static void print_text(const struct parse_args *a, const struct pmu_capture *cap,
                       const struct pmu_decoded *d)
{
    printf("%s: %s capture, %zu bytes, %zu frames, %zu records, %zu profiles, %zu problems\n",
           a->path, pmu_capture_format_name(cap->format), cap->length, d->n_frames,
           d->readout.n_records, d->readout.n_profiles, d->n_errors + d->readout.n_errors);
    if (d->ident != NULL) {
        putchar('\n');
        render_print_ident(d->ident);
    }
    printf("\nFrames\n  %-4s %-8s %-10s %-7s %s\n", "#", "offset", "kind", "bcc", "content");
    for (size_t i = 0; i < d->n_frames; i++) {
        const struct pmu_decoded_frame *df = &d->frames[i];
        const struct pmu_iec_frame *f = &df->frame;
        char text[72], kind[16];
        if (df->secret)
            snprintf(text, sizeof text, "(password hidden)");
        else
            render_escape(f->data, f->data_len, text, sizeof text);
        snprintf(kind, sizeof kind, "%s%s%s", pmu_iec_kind_name(f->kind), f->cmd[0] ? " " : "", f->cmd);
        printf("  %-4zu %-8zu %-10s %-7s %s%s%s\n", i, f->offset, kind, pmu_bcc_verdict_name(f->bcc),
               f->partial ? "[partial] " : "", text, f->data_len > 60 ? " ..." : "");
    }
    render_print_readout(&d->readout);
    if (d->n_errors + d->readout.n_errors > 0) {
        printf("\nProblems\n");
        for (size_t i = 0; i < d->n_errors; i++)
            printf("  %s\n", d->errors[i].message);
        for (size_t i = 0; i < d->readout.n_errors; i++)
            printf("  %s\n", d->readout.errors[i].message);
        if (d->bad_bcc > 0 && !a->accept_bad_bcc)
            printf("  (data of frames with a bad check character is not decoded; --no-bcc decodes it)\n");
    }
}

int pmu_cmd_parse(int argc, char **argv)
{
    struct parse_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    size_t len = 0;
    uint8_t *in = pmu_cli_read_file(a.path, &len);
    if (in == NULL)
        return PMU_EXIT_FAILURE;
    struct pmu_capture cap;
    struct pmu_error err;
    pmu_error_clear(&err);
    if (pmu_capture_decode(in, len, a.format, &cap, &err) != PMU_OK) {
        fprintf(stderr, "pmu parse: %s: %s\n", a.path, err.message);
        free(in);
        return PMU_EXIT_DATA;
    }
    free(in);
    struct pmu_decode_options opt = {a.checksum, a.strip_parity, a.accept_bad_bcc};
    struct pmu_decoded d;
    enum pmu_status st = pmu_decode_capture(&cap, &opt, &d);
    if (st == PMU_E_NOMEM) {
        fprintf(stderr, "pmu parse: out of memory\n");
        rc = PMU_EXIT_FAILURE;
    } else {
        bool ok = st == PMU_OK || (st == PMU_E_BCC && a.accept_bad_bcc);
        if (a.json)
            print_json(&a, &cap, &d, ok);
        else
            print_text(&a, &cap, &d);
        rc = ok ? PMU_EXIT_OK : PMU_EXIT_DATA;
    }
    pmu_decoded_free(&d);
    pmu_capture_free(&cap);
    return rc;
}
