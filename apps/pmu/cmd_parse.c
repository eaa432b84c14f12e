/* pmu parse: decode a capture and print frames, records and load profiles. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

/* Printable rendering of bytes: text as is, control bytes as <STX>, others as \xHH. */
static void escape(const uint8_t *p, size_t n, char *out, size_t size)
{
    static const char *names[] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                  "BS",  "HT",  "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                                  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK"};
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < size; i++) {
        uint8_t c = p[i];
        int w;
        if (c >= 0x20 && c < 0x7F)
            w = snprintf(out + o, size - o, "%c", c);
        else if (c < sizeof names / sizeof names[0])
            w = snprintf(out + o, size - o, "<%s>", names[c]);
        else
            w = snprintf(out + o, size - o, "\\x%02X", c);
        if (w < 0 || (size_t)w >= size - o)
            break;
        o += (size_t)w;
    }
    out[o] = '\0';
}

static const char *dir_name(enum pmu_direction d)
{
    return d == PMU_DIR_TO_METER ? "to_meter" : d == PMU_DIR_FROM_METER ? "from_meter" : NULL;
}

static json_t *json_str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *json_time(const struct pmu_timestamp *t)
{
    char buf[32];
    pmu_timestamp_format(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *json_ident(const struct pmu_iec_ident *id)
{
    char baud[2] = {id->baud_char, 0};
    return json_pack("{s:s, s:s, s:s, s:i, s:b, s:s, s:s}", "manufacturer", id->manufacturer,
                     "baud_char", baud, "mode", pmu_iec_mode_name(id->mode), "baud",
                     (json_int_t)id->baud, "fast_reaction", id->fast_reaction, "enhanced",
                     id->enhanced, "id", id->id);
}

static json_t *json_values(const struct pmu_value *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:o}", "value", v[i].text, "unit", json_str_or_null(v[i].unit));
        if (v[i].has_time)
            json_object_set_new(o, "time", json_time(&v[i].time));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *json_error(const struct pmu_error *e)
{
    return json_pack("{s:s, s:o, s:s}", "code", pmu_status_name(e->code), "offset",
                     e->offset == PMU_NO_OFFSET ? json_null() : json_integer((json_int_t)e->offset),
                     "message", e->message);
}

static json_t *json_frame(const struct pmu_decoded_frame *df)
{
    const struct pmu_iec_frame *f = &df->frame;
    char text[4096];
    if (df->secret)
        snprintf(text, sizeof text, "(password hidden)");
    else
        escape(f->data, f->data_len, text, sizeof text);
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
        json_object_set_new(o, "ident", json_ident(&df->ident));
    json_object_set_new(o, "direction", json_str_or_null(dir_name(df->dir)));
    if (df->label[0])
        json_object_set_new(o, "label", json_string(df->label));
    return o;
}

static json_t *json_record(const struct pmu_record *r)
{
    char obis[PMU_OBIS_TEXT_MAX], name[PMU_OBIS_NAME_MAX];
    json_t *o = json_pack("{s:s}", "address", r->address);
    bool named = r->has_obis && pmu_obis_name(&r->obis, name, sizeof name) == PMU_OK;
    if (r->has_obis)
        pmu_obis_format_full(&r->obis, obis, sizeof obis);
    json_object_set_new(o, "obis", r->has_obis ? json_string(obis) : json_null());
    json_object_set_new(o, "name", named ? json_string(name) : json_null());
    json_object_set_new(o, "values", json_values(r->values, r->n_values));
    json_object_set_new(o, "frame", json_integer((json_int_t)r->frame));
    json_object_set_new(o, "offset", json_integer((json_int_t)r->offset));
    return o;
}

static json_t *json_profile(const struct pmu_profile *p)
{
    char status[16];
    snprintf(status, sizeof status, "%08X", (unsigned)p->status);
    json_t *channels = json_array(), *rows = json_array();
    for (size_t i = 0; i < p->n_channels; i++)
        json_array_append_new(channels, json_pack("{s:s, s:s}", "id", p->channels[i].id,
                                                  "unit", p->channels[i].unit));
    for (size_t i = 0; i < p->n_rows; i++)
        json_array_append_new(rows, json_pack("{s:o, s:o}", "time", json_time(&p->rows[i].time),
                                              "values", json_values(p->rows[i].values, p->rows[i].n_values)));
    json_t *o = json_pack("{s:s, s:o, s:s, s:I, s:o, s:o, s:I}", "address", p->address, "start",
                          json_time(&p->start), "status", status, "interval_min",
                          (json_int_t)p->interval_min, "channels", channels, "rows", rows,
                          "frame", (json_int_t)p->frame);
    json_object_set_new(o, "season", p->start.season >= 0 ? json_integer(p->start.season) : json_null());
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
        json_array_append_new(records, json_record(&d->readout.records[i]));
    for (size_t i = 0; i < d->readout.n_profiles; i++)
        json_array_append_new(profiles, json_profile(&d->readout.profiles[i]));
    for (size_t i = 0; i < d->n_errors; i++)
        json_array_append_new(errors, json_error(&d->errors[i]));
    for (size_t i = 0; i < d->readout.n_errors; i++)
        json_array_append_new(errors, json_error(&d->readout.errors[i]));
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b}", "input", a->path,
                             "format", pmu_capture_format_name(cap->format), "checksum",
                             pmu_checksum_name(a->checksum), "ident",
                             d->ident ? json_ident(d->ident) : json_null(), "frames", frames,
                             "records", records, "profiles", profiles, "errors", errors, "ok", ok);
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static void print_values(const struct pmu_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s%s", i ? "  " : "", v[i].text);
        if (v[i].unit != NULL && v[i].unit[0])
            printf(" %s", v[i].unit);
    }
}

static void print_text(const struct parse_args *a, const struct pmu_capture *cap,
                       const struct pmu_decoded *d)
{
    printf("%s: %s capture, %zu bytes, %zu frames, %zu records, %zu profiles, %zu problems\n",
           a->path, pmu_capture_format_name(cap->format), cap->length, d->n_frames,
           d->readout.n_records, d->readout.n_profiles, d->n_errors + d->readout.n_errors);
    if (d->ident != NULL) {
        const struct pmu_iec_ident *id = d->ident;
        printf("\nIdentification: manufacturer %s, mode %s, up to %u baud (character '%c')%s%s%s, id \"%s\"\n",
               id->manufacturer, pmu_iec_mode_name(id->mode), id->baud, id->baud_char,
               id->fast_reaction ? ", 20 ms reaction" : "", id->enhanced[0] ? ", enhanced \\" : "",
               id->enhanced, id->id);
    }
    printf("\nFrames\n  %-4s %-8s %-10s %-7s %s\n", "#", "offset", "kind", "bcc", "content");
    for (size_t i = 0; i < d->n_frames; i++) {
        const struct pmu_decoded_frame *df = &d->frames[i];
        const struct pmu_iec_frame *f = &df->frame;
        char text[72], kind[16];
        if (df->secret)
            snprintf(text, sizeof text, "(password hidden)");
        else
            escape(f->data, f->data_len, text, sizeof text);
        snprintf(kind, sizeof kind, "%s%s%s", pmu_iec_kind_name(f->kind), f->cmd[0] ? " " : "", f->cmd);
        printf("  %-4zu %-8zu %-10s %-7s %s%s%s\n", i, f->offset, kind, pmu_bcc_verdict_name(f->bcc),
               f->partial ? "[partial] " : "", text, f->data_len > 60 ? " ..." : "");
    }
    if (d->readout.n_records > 0) {
        printf("\nRecords\n  %-16s %-22s %-44s %s\n", "address", "OBIS", "name", "values");
        for (size_t i = 0; i < d->readout.n_records; i++) {
            const struct pmu_record *r = &d->readout.records[i];
            char obis[PMU_OBIS_TEXT_MAX] = "", name[PMU_OBIS_NAME_MAX] = "";
            if (r->has_obis) {
                pmu_obis_format_full(&r->obis, obis, sizeof obis);
                pmu_obis_name(&r->obis, name, sizeof name);
            }
            printf("  %-16s %-22s %-44s ", r->address, obis, name);
            print_values(r->values, r->n_values);
            putchar('\n');
        }
    }
    for (size_t i = 0; i < d->readout.n_profiles; i++) {
        const struct pmu_profile *p = &d->readout.profiles[i];
        char start[32];
        pmu_timestamp_format(&p->start, start, sizeof start);
        printf("\nLoad profile %s from %s (season %d), status %08X, %u-minute intervals, %zu rows\n  %-20s",
               p->address, start, p->start.season, (unsigned)p->status, p->interval_min, p->n_rows, "time");
        for (size_t c = 0; c < p->n_channels; c++) {
            char head[40];
            snprintf(head, sizeof head, "%s [%s]", p->channels[c].id, p->channels[c].unit);
            printf(" %14s", head);
        }
        putchar('\n');
        for (size_t r = 0; r < p->n_rows; r++) {
            char t[32];
            pmu_timestamp_format(&p->rows[r].time, t, sizeof t);
            printf("  %-20s", t);
            for (size_t c = 0; c < p->rows[r].n_values; c++)
                printf(" %14s", p->rows[r].values[c].text);
            putchar('\n');
        }
    }
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
