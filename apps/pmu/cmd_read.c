/* pmu read: read one meter over its comms path and print what it gave. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pmu/engine.h"
#include "pmu/path.h"
#include "render.h"

static const char read_usage[] =
    "usage: pmu read PATH [--readout] [--obis CODE]... [--profile FROM..TO]\n"
    "                [--password P] [--json] [--trace FILE]\n"
    "\n"
    "Reads one meter over its comms path (docs/comms-paths.md), e.g.\n"
    "  pmu read serial:/dev/ttyUSB0 --readout\n"
    "  pmu read 'tcp:10.0.0.5:4001?address=12345678' --obis 1.8.0 --obis 2.8.0 --password 00000000\n"
    "\n"
    "  --readout          the data readout (the default when nothing else is asked)\n"
    "  --obis CODE        read CODE with R1 in programming mode; repeat, or list a,b,c\n"
    "  --profile FROM..TO load profile P.01 with R5; FROM and TO are YYYY-MM-DD[Thh:mm],\n"
    "                     either may be empty (open range)\n"
    "  --password P       meter password for programming mode (or PMU_METER_PASSWORD)\n"
    "  --json             one JSON object: ident, records, profiles, missing, error\n"
    "  --trace FILE       timestamped hex dump of both directions, passwords masked\n"
    "\n"
    "Exit status: 0 read, 1 the meter could not be read (the message says why), 2 usage.\n";

#define MAX_CODES 256

struct read_args {
    const char *path_text;
    struct pmu_path path;
    struct pmu_read_request req;
    const char *codes[MAX_CODES];
    bool json;
    const char *trace;
};

/* "2024-01-15" or "2024-01-15T12:30" (or a space instead of T) into a meter time. */
static bool parse_when(const char *s, size_t n, struct pmu_timestamp *t)
{
    unsigned y, mo, d, h = 0, mi = 0;
    char buf[32];
    int used = 0;
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%4u-%2u-%2u%n", &y, &mo, &d, &used) != 3)
        return false;
    if (buf[used] == 'T' || buf[used] == ' ') {
        int more = 0;
        if (sscanf(buf + used + 1, "%2u:%2u%n", &h, &mi, &more) != 2 || buf[used + 1 + more] != '\0')
            return false;
    } else if (buf[used] != '\0') {
        return false;
    }
    char digits[16];
    snprintf(digits, sizeof digits, "%02u%02u%02u%02u%02u", y % 100, mo % 100, d % 100, h % 100, mi % 100);
    if (y < 2000 || y > 2099 || pmu_timestamp_parse(digits, 10, t, NULL) != PMU_OK)
        return false;
    return true;
}

static int parse_range(const char *arg, struct pmu_read_request *req)
{
    const char *dots = strstr(arg, "..");
    if (dots == NULL) {
        fprintf(stderr, "pmu read: --profile wants FROM..TO (either may be empty), got '%s'\n", arg);
        return PMU_EXIT_USAGE;
    }
    req->profile = true;
    size_t flen = (size_t)(dots - arg);
    const char *to = dots + 2;
    req->has_from = flen > 0;
    req->has_to = *to != '\0';
    if ((req->has_from && !parse_when(arg, flen, &req->from)) ||
        (req->has_to && !parse_when(to, strlen(to), &req->to))) {
        fprintf(stderr, "pmu read: --profile '%s': dates are YYYY-MM-DD or YYYY-MM-DDThh:mm\n", arg);
        return PMU_EXIT_USAGE;
    }
    return PMU_EXIT_OK;
}

/* Splits "a,b,c" in place (argv strings are ours to modify) into the code list. */
static int add_codes(struct read_args *a, char *list)
{
    for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
        if (a->req.n_codes == MAX_CODES) {
            fprintf(stderr, "pmu read: at most %d codes per read\n", MAX_CODES);
            return PMU_EXIT_USAGE;
        }
        a->codes[a->req.n_codes++] = tok;
    }
    return PMU_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct read_args *a)
{
    static const struct option opts[] = {
        {"readout", no_argument, NULL, 'r'},       {"obis", required_argument, NULL, 'o'},
        {"profile", required_argument, NULL, 'p'}, {"password", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},          {"trace", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c, rc;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->req.readout = true; break;
        case 'j': a->json = true; break;
        case 't': a->trace = optarg; break;
        case 'w': a->req.password = optarg; break;
        case 'o':
            if ((rc = add_codes(a, optarg)) != PMU_EXIT_OK)
                return rc;
            break;
        case 'p':
            if ((rc = parse_range(optarg, &a->req)) != PMU_EXIT_OK)
                return rc;
            break;
        case 'h':
            fputs(read_usage, stdout);
            return -1;
        default:
            fputs(read_usage, stderr);
            return PMU_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "pmu read: which meter? Give its comms path, e.g. serial:/dev/ttyUSB0\n");
        return PMU_EXIT_USAGE;
    }
    a->path_text = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "pmu read: one comms path at a time, got '%s' too\n", argv[optind]);
        return PMU_EXIT_USAGE;
    }
    struct pmu_error err;
    if (pmu_path_parse(a->path_text, &a->path, &err) != PMU_OK) {
        fprintf(stderr, "pmu read: comms path '%s': %s\n", a->path_text, err.message);
        return PMU_EXIT_USAGE;
    }
    a->req.codes = a->codes;
    if (!a->req.readout && a->req.n_codes == 0 && !a->req.profile)
        a->req.readout = true;
    if (a->req.password == NULL)
        a->req.password = getenv("PMU_METER_PASSWORD");
    return PMU_EXIT_OK;
}

struct outcome {
    const struct read_args *args;
    bool tty;
    int rc;
    uint64_t started;
};

static void show_progress(void *user, const struct pmu_session *s)
{
    struct outcome *o = user;
    if (!o->tty)
        return;
    fprintf(stderr, "\r  %-10s %8zu bytes in, %6zu out ", pmu_session_stage_name(s->stage), s->bytes_in,
            s->bytes_out);
}

static void print_text(const struct pmu_session *s)
{
    if (s->has_ident)
        render_print_ident(&s->ident);
    render_print_readout(&s->result);
    if (s->n_misses > 0) {
        printf("\nNot available\n");
        for (size_t i = 0; i < s->n_misses; i++)
            printf("  %-16s meter answered %s\n", s->misses[i].code, s->misses[i].answer);
    }
    for (size_t i = 0; i < s->result.n_errors; i++)
        printf("  problem: %s\n", s->result.errors[i].message);
}

static void print_json(const struct read_args *a, const struct pmu_session *s)
{
    json_t *root = json_pack("{s:s, s:o}", "path", a->path_text, "ident",
                             s->has_ident ? render_ident(&s->ident) : json_null());
    render_readout_into(root, &s->result);
    json_t *missing = json_array();
    for (size_t i = 0; i < s->n_misses; i++)
        json_array_append_new(missing, json_pack("{s:s, s:s}", "code", s->misses[i].code,
                                                 "answer", s->misses[i].answer));
    json_object_set_new(root, "missing", missing);
    json_object_set_new(root, "error", s->status == PMU_OK ? json_null() : render_error(&s->error));
    json_object_set_new(root, "bytes_in", json_integer((json_int_t)s->bytes_in));
    json_object_set_new(root, "bytes_out", json_integer((json_int_t)s->bytes_out));
    json_object_set_new(root, "ok", json_boolean(s->status == PMU_OK));
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static void on_done(void *user, struct pmu_session *s)
{
    struct outcome *o = user;
    if (o->tty)
        fprintf(stderr, "\r%60s\r", "");
    if (o->args->json)
        print_json(o->args, s);
    else if (s->status == PMU_OK)
        print_text(s);
    if (s->status != PMU_OK)
        fprintf(stderr, "pmu read: %s: %s\n", o->args->path_text, s->error.message);
    o->rc = s->status == PMU_OK ? PMU_EXIT_OK : PMU_EXIT_DATA;
}

int pmu_cmd_read(int argc, char **argv)
{
    static struct read_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    FILE *trace = NULL;
    if (a.trace != NULL && (trace = fopen(a.trace, "w")) == NULL) {
        perror(a.trace);
        return PMU_EXIT_FAILURE;
    }
    struct outcome o = {&a, isatty(STDERR_FILENO) != 0, PMU_EXIT_FAILURE, 0};
    struct pmu_engine_options eo = {.max_parallel = 1, .trace = trace, .progress = show_progress};
    struct pmu_error err;
    struct pmu_engine *e = pmu_engine_new(&eo, &err);
    if (e == NULL || pmu_engine_add(e, &a.path, &a.req, on_done, &o, &err) != PMU_OK ||
        pmu_engine_run(e, &err) != PMU_OK) {
        fprintf(stderr, "pmu read: %s\n", err.message);
        rc = PMU_EXIT_FAILURE;
    } else {
        rc = o.rc;
    }
    pmu_engine_free(e);
    if (trace != NULL)
        fclose(trace);
    return rc;
}
