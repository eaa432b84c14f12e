/* pmu: the openpmu command-line tool. Each subcommand is a thin layer over libpmu. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"parse", pmu_cmd_parse, "decode an IEC 62056-21 capture (frames, data sets, load profiles)"},
    {"read", pmu_cmd_read, "read one meter over its comms path (readout, registers, load profile)"},
    {"write", pmu_cmd_write, "write to an Elster meter (clock, MD reset, ratios, profile setup), read back"},
    {"meter", pmu_cmd_meter, "the meter list: add, list, show, edit, rm, import, export"},
    {"site", pmu_cmd_site, "sites where meters are installed"},
    {"group", pmu_cmd_group, "groups of meters read together"},
    {"history", pmu_cmd_history, "register readings and events stored for a meter"},
    {"profile", pmu_cmd_profile, "load-profile intervals stored for a meter (--conflicts)"},
    {"export", pmu_cmd_export, "interval data as CSV, JSON lines or AEMO NEM12"},
    {"user", pmu_cmd_user, "users and their access levels: add, passwd, list, disable"},
    {"audit", pmu_cmd_audit, "the audit trail: list, show, verify"},
    {"scheme", pmu_cmd_scheme, "programming schemes: validate, import, list, history, show, diff, compile"},
    {"program", pmu_cmd_program, "program a meter with a scheme: read, show changes, write, verify, record"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: pmu COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`pmu COMMAND --help` describes a command.\n");
}

uint8_t *pmu_cli_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "pmu: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f) || feof(f))
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int failed = buf == NULL || ferror(f);
    if (failed)
        fprintf(stderr, "pmu: cannot read %s: %s\n", path, buf == NULL ? "out of memory" : strerror(errno));
    if (f != stdin)
        fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("pmu (openpmu) %s\n", PMU_VERSION);
        return PMU_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pmu: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return PMU_EXIT_USAGE;
}
