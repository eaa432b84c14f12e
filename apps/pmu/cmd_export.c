/* pmu export: interval data out of the store as CSV, JSON lines or AEMO NEM12. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "pmu/export.h"
#include "pmu/store.h"

static const char export_usage[] =
    "usage: pmu export --format csv|jsonl|nem12 [--meter SERIAL]... [--group NAME]\n"
    "                  [--channel CODE] [--from TIME] [--to TIME] [--output FILE]\n"
    "                  [--from-participant ID] [--to-participant ID] [--db CONN]\n"
    "\n"
    "Writes stored load-profile intervals (all meters unless --meter or --group) ending\n"
    "after --from and at or before --to. Formats, field by field: docs/exports.md.\n"
    "  csv    one interval a row, with its channel's unit, interval length, pulse and\n"
    "         CT x VT multipliers and flow direction\n"
    "  jsonl  the same as one JSON object a line\n"
    "  nem12  AEMO MDFF: 100, 200 per channel, 300 per day, 400 for partial days, 900;\n"
    "         needs each meter's site NMI (pmu site edit SITE --nmi ...)\n";

#define MAX_METERS 1024

int pmu_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'F'},  {"meter", required_argument, NULL, 'm'},
        {"group", required_argument, NULL, 'g'},   {"channel", required_argument, NULL, 'c'},
        {"from", required_argument, NULL, 'f'},    {"to", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},  {"from-participant", required_argument, NULL, 'P'},
        {"to-participant", required_argument, NULL, 'Q'}, {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static const char *serials[MAX_METERS];
    struct pmu_export_options o;
    memset(&o, 0, sizeof o);
    o.meters = serials;
    const char *db = NULL, *output = NULL, *format = NULL;
    struct pmu_error err;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'F': format = optarg; break;
        case 'm':
            if (o.n_meters == MAX_METERS) {
                fprintf(stderr, "pmu export: at most %d --meter options; use a group\n", MAX_METERS);
                return PMU_EXIT_USAGE;
            }
            serials[o.n_meters++] = optarg;
            break;
        case 'g': o.group = optarg; break;
        case 'c': o.channel = optarg; break;
        case 'f':
        case 't':
            if (pmu_store_parse_seconds(optarg, c == 'f' ? &o.from : &o.to, &err) != PMU_OK) {
                fprintf(stderr, "pmu export: --%s %s\n", c == 'f' ? "from" : "to", err.message);
                return PMU_EXIT_USAGE;
            }
            *(c == 'f' ? &o.has_from : &o.has_to) = true;
            break;
        case 'o': output = optarg; break;
        case 'P': o.from_participant = optarg; break;
        case 'Q': o.to_participant = optarg; break;
        case 'd': db = optarg; break;
        case 'h': fputs(export_usage, stdout); return PMU_EXIT_OK;
        default: fputs(export_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pmu export: unexpected '%s' (meters are given with --meter)\n", argv[optind]);
        return PMU_EXIT_USAGE;
    }
    if (format == NULL) {
        fprintf(stderr, "pmu export: which format? --format csv, jsonl or nem12\n");
        return PMU_EXIT_USAGE;
    }
    if (pmu_export_parse_format(format, &o.format, &err) != PMU_OK) {
        fprintf(stderr, "pmu export: %s\n", err.message);
        return PMU_EXIT_USAGE;
    }
    if (o.group != NULL && o.n_meters > 0) {
        fprintf(stderr, "pmu export: --meter or --group, not both\n");
        return PMU_EXIT_USAGE;
    }
    struct pmu_store *s;
    int rc = pmu_cli_open_gated("export", db, &s);
    if (rc != PMU_EXIT_OK)
        return rc;
    /* Written to a temporary file and renamed, so a failed export leaves no half file. */
    char tmp[4096];
    FILE *out = stdout;
    if (output != NULL && strcmp(output, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.partial", output);
        if ((out = fopen(tmp, "w")) == NULL) {
            perror(tmp);
            pmu_store_close(s);
            return PMU_EXIT_FAILURE;
        }
    }
    enum pmu_status status = pmu_export_write(s, &o, out, &err);
    if (out != stdout) {
        if (fclose(out) != 0 && status == PMU_OK)
            status = pmu_error_set(&err, PMU_E_IO, PMU_NO_OFFSET, "cannot write %s", tmp);
        if (status == PMU_OK && rename(tmp, output) != 0)
            status = pmu_error_set(&err, PMU_E_IO, PMU_NO_OFFSET, "cannot rename %s to %s", tmp, output);
        if (status != PMU_OK)
            remove(tmp);
    }
    rc = status == PMU_OK ? PMU_EXIT_OK : pmu_cli_fail("export", status, &err);
    pmu_store_close(s);
    return rc;
}
