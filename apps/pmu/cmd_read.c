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

#include "access.h"
#include "cli.h"
#include "pmu/engine.h"
#include "pmu/path.h"
#include "read_targets.h"
#include "render.h"

static const char read_usage[] =
    "usage: pmu read PATH [--readout] [--obis CODE]... [--profile FROM..TO]\n"
    "                [--password P] [--json] [--trace FILE]\n"
    "       pmu read --list FILE [--parallel N] [same options]\n"
    "       pmu read --meter SERIAL... | --group NAME [--db CONN] [same options]\n"
    "\n"
    "Reads one meter over its comms path (docs/comms-paths.md), e.g.\n"
    "  pmu read serial:/dev/ttyUSB0 --readout\n"
    "  pmu read 'tcp:10.0.0.5:4001?address=12345678' --obis 1.8.0 --obis 2.8.0 --password 00000000\n"
    "\n"
    "  --readout          the data readout (the default when nothing else is asked)\n"
    "  --obis CODE        read CODE with R1 in programming mode; repeat, or list a,b,c\n"
    "  --profile FROM..TO load profile P.01 with R5; FROM and TO are YYYY-MM-DD[Thh:mm],\n"
    "                     either may be empty (open range)\n"
    "  --password P       meter password for programming mode (or PMU_METER_PASSWORD);\n"
    "                     meters of the store use their own from the vault when set\n"
    "  --json             one JSON object: ident, records, profiles, missing, error\n"
    "  --trace FILE       timestamped hex dump of both directions, passwords masked\n"
    "  --list FILE        read many meters: one per line, PATH or 'meter SERIAL PATH'\n"
    "                     (what pmu-sim prints); one result line (or JSON line) each\n"
    "  --parallel N       meters read at once with --list (default 256)\n"
    "  --meter SERIAL     a meter of the meter list (repeat for more); its results are\n"
    "                     stored, each meter's in one transaction\n"
    "  --group NAME       every meter of a group, likewise\n"
    "  --db CONN          the store (default $PMU_DB, else openpmu.db)\n"
    "\n"
    "Exit status: 0 read, 1 the meter could not be read (the message says why), 2 usage.\n";


/* A profile range end as the user wrote it; meters send two-digit years. */
static bool parse_when(const char *s, size_t n, struct pmu_timestamp *t)
{
    char buf[32];
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return pmu_timestamp_parse_iso(buf, t, NULL) == PMU_OK && t->year >= 2000 && t->year <= 2099;
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
        {"meter", required_argument, NULL, 'm'},   {"group", required_argument, NULL, 'g'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c, rc;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->req.readout = true; break;
        case 'j': a->json = true; break;
        case 't': a->trace = optarg; break;
        case 'l': a->list = optarg; break;
        case 'g': a->group = optarg; break;
        case 'd': a->db = optarg; break;
        case 'm':
            if (a->n_meters == MAX_METERS_ARGS) {
                fprintf(stderr, "pmu read: at most %d --meter options; use --group\n", MAX_METERS_ARGS);
                return PMU_EXIT_USAGE;
            }
            a->meters[a->n_meters++] = optarg;
            break;
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
    bool from_store = a->n_meters > 0 || a->group != NULL;
    if (from_store && a->list != NULL) {
        fprintf(stderr, "pmu read: give meters from the store (--meter, --group) or a --list, not both\n");
        return PMU_EXIT_USAGE;
    }
    if (a->list == NULL && !from_store) {
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
        a->parallel = a->list != NULL || from_store ? 256 : 1;
    a->req.codes = a->codes;
    if (!a->req.readout && a->req.n_codes == 0 && !a->req.profile)
        a->req.readout = true;
    if (a->req.password == NULL)
        a->req.password = getenv("PMU_METER_PASSWORD");
    return PMU_EXIT_OK;
}

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
    if (s->path.dial.kind != PMU_DIAL_NONE) { /* how the call went, for line-quality records */
        json_t *call = json_pack("{s:s, s:s, s:b}", "number", s->path.dial.number, "connect",
                                 s->dialer.connect, "hangup_confirmed", s->hangup_confirmed);
        json_object_set_new(call, "signal", s->dialer.signal >= 0 ? json_integer(s->dialer.signal) : json_null());
        json_object_set_new(root, "call", call);
    }
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

/* Stores a finished read: only a read that succeeded, so a meter's results are all
 * there or not at all. */
static void save(struct run *r, const struct target *t, struct pmu_session *s)
{
    if (r->store == NULL || s->status != PMU_OK)
        return;
    struct pmu_save_stats st;
    struct pmu_error err;
    if (pmu_store_save_readout(r->store, r->run_id, t->serial, &s->result, time(NULL), &st, &err) != PMU_OK) {
        fprintf(stderr, "pmu read: %s: read, but not stored: %s\n", t->serial, err.message);
        r->store_failures++;
        s->status = PMU_E_IO; /* counts as a failed meter */
        s->error = err;
        return;
    }
    r->stored_readings += st.readings;
    r->stored_intervals += st.intervals_new;
}

static void on_done(void *user, struct pmu_session *s)
{
    struct target *t = user;
    struct run *r = t->run;
    save(r, t, s);
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
    struct pmu_store *store = NULL;
    static struct pmu_cli_actor actor; /* storing readings needs a reader; the key opens the vault */
    if (a.n_meters > 0 || a.group != NULL) {
        if ((rc = pmu_cli_open_store("read", a.db, &store)) != PMU_EXIT_OK)
            return rc;
        if ((rc = pmu_cli_gate(store, a.db, "read", &actor)) != PMU_EXIT_OK) {
            pmu_store_close(store);
            return rc;
        }
        a.key = actor.has_key ? &actor.key : NULL;
        if ((rc = read_targets_from_store(store, &a, &targets, &n, &list_text)) != PMU_EXIT_OK) {
            pmu_cli_actor_done(&actor);
            pmu_store_close(store);
            return rc;
        }
    } else if (a.list != NULL) {
        if ((rc = read_targets_from_list(a.list, &targets, &n, &list_text)) != PMU_EXIT_OK)
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
    struct run r = {&a, isatty(STDERR_FILENO) != 0, targets != &single, n, 0, 0, seconds(), store, 0, 0, 0, 0};
    a.parallel = fit_descriptors(a.parallel < n ? a.parallel : n);
    struct pmu_engine_options eo = {.max_parallel = a.parallel, .trace = trace, .progress = show_progress};
    struct pmu_error err;
    if (store != NULL && pmu_store_begin_run(store, NULL, &r.run_id, &err) != PMU_OK) {
        rc = pmu_cli_fail("read", err.code, &err);
        if (trace != NULL)
            fclose(trace);
        goto out;
    }
    struct pmu_engine *e = pmu_engine_new(&eo, &err);
    rc = e == NULL ? PMU_EXIT_FAILURE : PMU_EXIT_OK;
    for (size_t i = 0; i < n && rc == PMU_EXIT_OK; i++) {
        struct pmu_path path;
        struct pmu_read_request req = a.req;
        if (targets[i].password != NULL)
            req.password = targets[i].password;
        targets[i].run = &r;
        if (pmu_path_parse(targets[i].path_text, &path, &err) != PMU_OK ||
            pmu_engine_add(e, &path, &req, on_done, &targets[i], &err) != PMU_OK)
            rc = PMU_EXIT_FAILURE;
    }
    if (rc == PMU_EXIT_OK && pmu_engine_run(e, &err) != PMU_OK)
        rc = PMU_EXIT_FAILURE;
    if (rc != PMU_EXIT_OK)
        fprintf(stderr, "pmu read: %s\n", err.message);
    else
        rc = r.failed > 0 ? PMU_EXIT_DATA : PMU_EXIT_OK;
    fflush(stdout); /* results before the summary, also when stdout is a pipe */
    if (store != NULL) {
        const char *outcome = r.failed == 0 ? "ok" : r.failed < r.total ? "partial" : "failed";
        char msg[128];
        snprintf(msg, sizeof msg, "%zu of %zu meters read", r.done - r.failed, r.total);
        if (pmu_store_finish_run(store, r.run_id, outcome, msg, &err) != PMU_OK)
            fprintf(stderr, "pmu read: %s\n", err.message);
        fprintf(stderr, "stored %zu register values and %zu new interval values (run %lld)\n",
                r.stored_readings, r.stored_intervals, (long long)r.run_id);
    }
    if (r.many) {
        double t = seconds() - r.started;
        fprintf(stderr, "%sread %zu of %zu meters in %.1f s (%.1f meters/s), %zu failed\n", r.tty ? "\r" : "",
                r.done - r.failed, r.total, t, t > 0 ? (double)r.done / t : 0.0, r.failed);
    }
    pmu_engine_free(e);
    if (trace != NULL)
        fclose(trace);
out:
    if (targets != &single)
        free(targets);
    free(list_text);
    pmu_cli_actor_done(&actor);
    pmu_store_close(store);
    return rc;
}
