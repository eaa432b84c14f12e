/* pmu read: read one meter over its comms path and print what it gave. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pmu/engine.h"
#include "pmu/path.h"
#include "render.h"

static const char read_usage[] =
    "usage: pmu read PATH [--readout] [--obis CODE]... [--profile FROM..TO]\n"
    "                [--password P] [--json] [--trace FILE]\n"
    "       pmu read --list FILE [--parallel N] [same options]\n"
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
    "  --list FILE        read many meters: one per line, PATH or 'meter SERIAL PATH'\n"
    "                     (what pmu-sim prints); one result line (or JSON line) each\n"
    "  --parallel N       meters read at once with --list (default 256)\n"
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
    const char *list;
    size_t parallel;
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
        {"list", required_argument, NULL, 'l'},    {"parallel", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c, rc;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->req.readout = true; break;
        case 'j': a->json = true; break;
        case 't': a->trace = optarg; break;
        case 'l': a->list = optarg; break;
        case 'n': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end != '\0' || v == 0 || v > 100000) {
                fprintf(stderr, "pmu read: --parallel wants a number in 1..100000, got '%s'\n", optarg);
                return PMU_EXIT_USAGE;
            }
            a->parallel = (size_t)v;
            break;
        }
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
    if (a->list == NULL) {
        if (optind >= argc) {
            fprintf(stderr, "pmu read: which meter? Give its comms path, e.g. serial:/dev/ttyUSB0, "
                            "or --list FILE\n");
            return PMU_EXIT_USAGE;
        }
        a->path_text = argv[optind++];
        struct pmu_error err;
        if (pmu_path_parse(a->path_text, &a->path, &err) != PMU_OK) {
            fprintf(stderr, "pmu read: comms path '%s': %s\n", a->path_text, err.message);
            return PMU_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pmu read: one comms path at a time (or --list FILE), got '%s' too\n", argv[optind]);
        return PMU_EXIT_USAGE;
    }
    if (a->parallel == 0)
        a->parallel = a->list != NULL ? 256 : 1;
    a->req.codes = a->codes;
    if (!a->req.readout && a->req.n_codes == 0 && !a->req.profile)
        a->req.readout = true;
    if (a->req.password == NULL)
        a->req.password = getenv("PMU_METER_PASSWORD");
    return PMU_EXIT_OK;
}

/* One meter to read, and where the results of the whole run go. */
struct run;

struct target {
    char serial[40];           /* from a list file; "" for a single path */
    const char *path_text;     /* parsed again when queued: tens of thousands of parsed
                                  paths would cost more memory than the parsing time */
    struct run *run;
};

struct run {
    const struct read_args *args;
    bool tty, many;
    size_t total, done, failed;
    double started;
};

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_progress(void *user, const struct pmu_session *s)
{
    struct target *t = user;
    if (!t->run->tty || t->run->many)
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

static void print_json(const struct target *t, const struct pmu_session *s, bool compact)
{
    json_t *root = json_pack("{s:s, s:o}", "path", t->path_text, "ident",
                             s->has_ident ? render_ident(&s->ident) : json_null());
    if (t->serial[0])
        json_object_set_new(root, "meter", json_string(t->serial));
    render_readout_into(root, &s->result);
    json_t *missing = json_array();
    for (size_t i = 0; i < s->n_misses; i++)
        json_array_append_new(missing, json_pack("{s:s, s:s}", "code", s->misses[i].code,
                                                 "answer", s->misses[i].answer));
    json_object_set_new(root, "missing", missing);
    json_object_set_new(root, "error", s->status == PMU_OK ? json_null() : render_error(&s->error));
    json_object_set_new(root, "bytes_in", json_integer((json_int_t)s->bytes_in));
    json_object_set_new(root, "bytes_out", json_integer((json_int_t)s->bytes_out));
    json_object_set_new(root, "repeats", json_integer((json_int_t)s->repeats));
    json_object_set_new(root, "ok", json_boolean(s->status == PMU_OK));
    json_dumpf(root, stdout, compact ? JSON_COMPACT | JSON_PRESERVE_ORDER : JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static void print_line(const struct target *t, const struct pmu_session *s)
{
    size_t rows = 0;
    for (size_t i = 0; i < s->result.n_profiles; i++)
        rows += s->result.profiles[i].n_rows;
    if (s->status == PMU_OK)
        printf("%-14s ok      %zu records, %zu profile rows, %zu missing, %zu bytes, %u repeats\n",
               t->serial, s->result.n_records, rows, s->n_misses, s->bytes_in, s->repeats);
    else
        printf("%-14s failed  %s\n", t->serial, s->error.message);
}

static void on_done(void *user, struct pmu_session *s)
{
    struct target *t = user;
    struct run *r = t->run;
    r->done++;
    r->failed += s->status != PMU_OK;
    if (r->tty)
        fprintf(stderr, "\r%60s\r", "");
    if (r->args->json)
        print_json(t, s, r->many);
    else if (r->many)
        print_line(t, s);
    else if (s->status == PMU_OK)
        print_text(s);
    if (s->status != PMU_OK && !r->many)
        fprintf(stderr, "pmu read: %s: %s\n", t->path_text, s->error.message);
    if (r->tty && r->many)
        fprintf(stderr, "\r  %zu/%zu meters read, %zu failed ", r->done, r->total, r->failed);
}

/* A list file: one meter per line, "PATH" or "meter SERIAL PATH" as pmu-sim prints;
 * blank lines, '#' comments and pmu-sim's "ready" line are skipped. */
static int load_list(const char *file, struct target **out, size_t *n, char **text_out)
{
    size_t len;
    uint8_t *text = pmu_cli_read_file(file, &len);
    if (text == NULL)
        return PMU_EXIT_FAILURE;
    size_t cap = 0, count = 0, lineno = 0;
    struct target *ts = NULL;
    for (char *line = strtok((char *)text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#' || strcmp(line, "ready") == 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            struct target *g = realloc(ts, cap * sizeof *ts);
            if (g == NULL) {
                free(ts);
                free(text);
                fprintf(stderr, "pmu read: out of memory\n");
                return PMU_EXIT_FAILURE;
            }
            ts = g;
        }
        struct target *t = &ts[count];
        memset(t, 0, sizeof *t);
        t->path_text = line;
        if (strncmp(line, "meter ", 6) == 0) {
            char *serial = line + 6, *sp = strchr(serial, ' ');
            if (sp == NULL) {
                fprintf(stderr, "%s:%zu: expected 'meter SERIAL PATH'\n", file, lineno);
                free(ts);
                free(text);
                return PMU_EXIT_DATA;
            }
            *sp = '\0';
            snprintf(t->serial, sizeof t->serial, "%s", serial);
            t->path_text = sp + 1;
        }
        struct pmu_error err;
        struct pmu_path check;
        if (pmu_path_parse(t->path_text, &check, &err) != PMU_OK) {
            fprintf(stderr, "%s:%zu: comms path '%s': %s\n", file, lineno, t->path_text, err.message);
            free(ts);
            free(text);
            return PMU_EXIT_DATA;
        }
        if (t->serial[0] == '\0')
            snprintf(t->serial, sizeof t->serial, "#%zu", lineno);
        count++;
    }
    *out = ts;
    *n = count;
    *text_out = (char *)text;
    return PMU_EXIT_OK;
}

/* Each meter read at once holds a descriptor: raise the soft limit as far as the hard
 * one allows, and read fewer at once when even that is too low. */
static size_t fit_descriptors(size_t parallel)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return parallel;
    if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < parallel + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && parallel + 64 > rl.rlim_cur) {
        size_t fit = rl.rlim_cur > 128 ? (size_t)rl.rlim_cur - 64 : 64;
        fprintf(stderr, "pmu read: the open-file limit (%llu) allows %zu meters at once, not %zu\n",
                (unsigned long long)rl.rlim_cur, fit, parallel);
        return fit;
    }
    return parallel;
}

int pmu_cmd_read(int argc, char **argv)
{
    static struct read_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    struct target single, *targets = &single;
    size_t n = 1;
    char *list_text = NULL;
    if (a.list != NULL) {
        if ((rc = load_list(a.list, &targets, &n, &list_text)) != PMU_EXIT_OK)
            return rc;
    } else {
        memset(&single, 0, sizeof single);
        single.path_text = a.path_text;
    }
    FILE *trace = NULL;
    if (a.trace != NULL && (trace = fopen(a.trace, "w")) == NULL) {
        fprintf(stderr, "pmu read: cannot write the trace %s: %s\n", a.trace, strerror(errno));
        rc = PMU_EXIT_FAILURE;
        goto out;
    }
    struct run r = {&a, isatty(STDERR_FILENO) != 0, a.list != NULL, n, 0, 0, seconds()};
    a.parallel = fit_descriptors(a.parallel < n ? a.parallel : n);
    struct pmu_engine_options eo = {.max_parallel = a.parallel, .trace = trace, .progress = show_progress};
    struct pmu_error err;
    struct pmu_engine *e = pmu_engine_new(&eo, &err);
    rc = e == NULL ? PMU_EXIT_FAILURE : PMU_EXIT_OK;
    for (size_t i = 0; i < n && rc == PMU_EXIT_OK; i++) {
        struct pmu_path path;
        targets[i].run = &r;
        if (pmu_path_parse(targets[i].path_text, &path, &err) != PMU_OK ||
            pmu_engine_add(e, &path, &a.req, on_done, &targets[i], &err) != PMU_OK)
            rc = PMU_EXIT_FAILURE;
    }
    if (rc == PMU_EXIT_OK && pmu_engine_run(e, &err) != PMU_OK)
        rc = PMU_EXIT_FAILURE;
    if (rc != PMU_EXIT_OK)
        fprintf(stderr, "pmu read: %s\n", err.message);
    else
        rc = r.failed > 0 ? PMU_EXIT_DATA : PMU_EXIT_OK;
    if (r.many) {
        double t = seconds() - r.started;
        fprintf(stderr, "%sread %zu of %zu meters in %.1f s (%.0f meters/s), %zu failed\n", r.tty ? "\r" : "",
                r.done - r.failed, r.total, t, t > 0 ? (double)r.done / t : 0.0, r.failed);
    }
    pmu_engine_free(e);
    if (trace != NULL)
        fclose(trace);
out:
    if (targets != &single)
        free(targets);
    free(list_text);
    return rc;
}
