/* pmu write: set the clock, end the billing period, write VT/CT ratios, the
 * load-profile channel mask and period, or the scheme id of an Elster meter; each
 * write is read back and compared. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "elster_cli.h"
#include "pmu/engine.h"
#include "pmu/store.h"
#include "render.h"

static const char write_usage[] =
    "usage: pmu write PATH|--meter SERIAL --password P [--set-clock[=TIME]] [--md-reset]\n"
    "                 [--vt P/S] [--ct P/S] [--lp-mask CH,...] [--lp-period MIN]\n"
    "                 [--scheme-id ID] [--raw ID[:SET]=HEX]... [--json] [--trace FILE]\n"
    "                 [--db CONN]\n"
    "\n"
    "Writes to an Elster A1700/A1140/A1120 meter (docs/elster.md), reads each value back\n"
    "and compares. PATH is a comms path; protocol=elster is implied.\n"
    "\n"
    "  --set-clock[=TIME]  set the meter clock to the host's time (or TIME,\n"
    "                      YYYY-MM-DDThh:mm:ss, meter time)\n"
    "  --md-reset          end the billing period (MD reset, identity 655)\n"
    "  --vt P/S, --ct P/S  VT / CT ratio, primary/secondary: --vt 11000/110 --ct 200/5\n"
    "  --lp-mask CH,...    load-profile channels 0..13 (0 import W, 1 export W, 2..5 Q1..Q4,\n"
    "                      6 VA, 7..9 CDR1..3, 10..13 external inputs 1..4)\n"
    "  --lp-period MIN     load-profile period: 1, 2, 3, 4, 5, 6, 10, 15, 20, 30 or 60\n"
    "  --scheme-id ID      scheme id text (16 characters on the A1700, 8 on the A1140)\n"
    "  --raw ID[:SET]=HEX  any writable identity, e.g. the TOU tables (930..934,\n"
    "                      docs/elster.md): --raw 932:3=00000100... --raw 934=\n"
    "  --password P        the meter password (or PMU_METER_PASSWORD); 8 characters\n"
    "  --meter SERIAL      a meter of the meter list (its comms path); --db CONN the store\n"
    "  --json              one JSON object with the writes, before and after\n"
    "  --trace FILE        timestamped hex dump, passwords masked\n"
    "\n"
    "Every write changes the meter: it needs a user of the programmer level in the store\n"
    "(--db CONN, PMU_DB or openpmu.db, also with a PATH) and leaves an audit entry per\n"
    "write (clock.set, billing.reset, write) with the before and after digests.\n"
    "\n"
    "Exit status: 0 every write verified, 1 a write was refused or read back different\n"
    "(or the meter could not be reached), 2 usage, 4 denied.\n";

#define MAX_WRITES 8

struct write_args {
    const char *path_text, *meter, *db, *trace, *password;
    bool json;
    struct pmu_store *store;       /* the gate's store: the audit entries go here */
    struct pmu_cli_actor actor;
    struct pmu_elster_write writes[MAX_WRITES];
    size_t n_writes;
    uint8_t data[MAX_WRITES][PMU_ELSTER_WRITE_MAX];
    int rc;
};

static struct pmu_elster_write *add(struct write_args *a, unsigned id)
{
    if (a->n_writes == MAX_WRITES)
        return NULL;
    struct pmu_elster_write *w = &a->writes[a->n_writes];
    memset(w, 0, sizeof *w);
    w->id = id;
    w->verify = true;
    w->data = a->data[a->n_writes];
    a->n_writes++;
    return w;
}

static int bad(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "pmu write: %s '%s': %s\n", opt, arg, want);
    return PMU_EXIT_USAGE;
}

static int ratio(struct write_args *a, unsigned id, const char *arg)
{
    struct pmu_elster_ratio r;
    const char *slash = strchr(arg, '/');
    if (slash == NULL || (size_t)(slash - arg) >= sizeof r.primary || strlen(slash + 1) >= sizeof r.secondary)
        return bad(id == 614 ? "--vt" : "--ct", arg, "expected PRIMARY/SECONDARY, e.g. 11000/110");
    snprintf(r.primary, sizeof r.primary, "%.*s", (int)(slash - arg), arg);
    snprintf(r.secondary, sizeof r.secondary, "%s", slash + 1);
    struct pmu_elster_write *w = add(a, id);
    size_t len = id == 614 ? 7 : 6;
    struct pmu_error err;
    if (w == NULL || pmu_elster_ratio_encode(&r, (uint8_t *)w->data, len, &err) != PMU_OK)
        return bad(id == 614 ? "--vt" : "--ct", arg, w ? err.message : "too many writes");
    w->len = len;
    return PMU_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct write_args *a)
{
    static const struct option opts[] = {
        {"set-clock", optional_argument, NULL, 'c'}, {"md-reset", no_argument, NULL, 'r'},
        {"vt", required_argument, NULL, 'v'},        {"ct", required_argument, NULL, 'C'},
        {"lp-mask", required_argument, NULL, 'm'},   {"lp-period", required_argument, NULL, 'p'},
        {"scheme-id", required_argument, NULL, 's'}, {"password", required_argument, NULL, 'w'},
        {"meter", required_argument, NULL, 'M'},     {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},            {"trace", required_argument, NULL, 't'},
        {"raw", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    int c, rc;
    struct pmu_elster_write *w;
    struct pmu_error err;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if ((w = add(a, 861)) == NULL)
                return bad("--set-clock", "", "too many writes");
            if (optarg == NULL) {
                w->clock_now = true;
            } else {
                struct pmu_timestamp t;
                if (pmu_timestamp_parse_iso(optarg, &t, &err) != PMU_OK ||
                    pmu_elster_datetime_encode(&t, (uint8_t *)w->data, &err) != PMU_OK)
                    return bad("--set-clock", optarg, err.message);
                w->len = 7;
            }
            break;
        case 'r':
            if ((w = add(a, 655)) == NULL)
                return bad("--md-reset", "", "too many writes");
            w->verify = false;
            break;
        case 'v':
        case 'C':
            if ((rc = ratio(a, c == 'v' ? 614 : 616, optarg)) != PMU_EXIT_OK)
                return rc;
            break;
        case 'm': {
            uint8_t ch[PMU_ELSTER_MAX_CHANNELS];
            size_t n = 0;
            char copy[128];
            snprintf(copy, sizeof copy, "%s", optarg);
            for (char *tok = strtok(copy, ","); tok != NULL; tok = strtok(NULL, ",")) {
                char *end;
                unsigned long v = strtoul(tok, &end, 10);
                if (*end != '\0' || v > 13 || n == PMU_ELSTER_MAX_CHANNELS)
                    return bad("--lp-mask", optarg, "expected channel numbers 0..13, e.g. 0,1,2,5");
                ch[n++] = (uint8_t)v;
            }
            uint16_t word;
            if (n == 0 || pmu_elster_mask_from_channels(ch, n, &word, &err) != PMU_OK || (w = add(a, 777)) == NULL)
                return bad("--lp-mask", optarg, "expected channel numbers 0..13, e.g. 0,1,2,5");
            uint8_t *d = (uint8_t *)w->data;
            d[0] = (uint8_t)(word >> 8);
            d[1] = (uint8_t)(word & 0xFF);
            w->len = 2;
            break;
        }
        case 'p': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end != '\0' || v > 60 || pmu_elster_lp_period_code((unsigned)v) < 0 || (w = add(a, 878)) == NULL)
                return bad("--lp-period", optarg, "expected 1, 2, 3, 4, 5, 6, 10, 15, 20, 30 or 60 minutes");
            uint8_t *d = (uint8_t *)w->data; /* sub-interval = the period, one of them */
            d[0] = d[1] = (uint8_t)v;
            d[2] = 1;
            w->len = 3;
            break;
        }
        case 's':
            if (strlen(optarg) > 16 || (w = add(a, 795)) == NULL)
                return bad("--scheme-id", optarg, "at most 16 characters");
            memcpy((uint8_t *)w->data, optarg, strlen(optarg));
            w->len = strlen(optarg);
            break;
        case 'R': {
            char *end;
            unsigned long id = strtoul(optarg, &end, 10), set = 0;
            if (*end == ':')
                set = strtoul(end + 1, &end, 10);
            const char *eq = end;
            size_t n = 0;
            if (*eq != '=' || id > 999 || set > 255 || (w = add(a, (unsigned)id)) == NULL ||
                pmu_elster_hex_decode(eq + 1, strlen(eq + 1), (uint8_t *)w->data, PMU_ELSTER_WRITE_MAX, &n, &err) !=
                    PMU_OK)
                return bad("--raw", optarg, "expected ID[:SET]=HEX, e.g. 934= or 932:3=000001...");
            w->set = (unsigned)set;
            w->len = n;
            w->verify = n > 0;
            break;
        }
        case 'w': a->password = optarg; break;
        case 'M': a->meter = optarg; break;
        case 'd': a->db = optarg; break;
        case 'j': a->json = true; break;
        case 't': a->trace = optarg; break;
        case 'h':
            fputs(write_usage, stdout);
            return -1;
        default:
            fputs(write_usage, stderr);
            return PMU_EXIT_USAGE;
        }
    }
    if (a->meter == NULL) {
        if (optind >= argc) {
            fprintf(stderr, "pmu write: which meter? Give its comms path or --meter SERIAL\n");
            return PMU_EXIT_USAGE;
        }
        a->path_text = argv[optind++];
    }
    if (optind < argc) {
        fprintf(stderr, "pmu write: one meter at a time, got '%s' too\n", argv[optind]);
        return PMU_EXIT_USAGE;
    }
    if (a->n_writes == 0) {
        fprintf(stderr, "pmu write: nothing to write: give --set-clock, --md-reset, --vt, --ct, --lp-mask, "
                        "--lp-period or --scheme-id\n");
        return PMU_EXIT_USAGE;
    }
    if (a->password == NULL)
        a->password = getenv("PMU_METER_PASSWORD");
    return PMU_EXIT_OK;
}

/* One audit entry per write the session reached: what the meter held before and
 * after as digests of the bytes. */
static int audit_writes(struct write_args *a, const struct pmu_session *s)
{
    if (s->elster == NULL)
        return PMU_EXIT_OK;
    const struct pmu_elster_result *r = &s->elster->result;
    int rc = PMU_EXIT_OK;
    for (size_t i = 0; i < r->n_writes; i++) {
        const struct pmu_elster_write_result *w = &r->writes[i];
        if (w->verdict == PMU_ELSTER_WRITE_PENDING)
            continue;
        char before[PMU_DIGEST_HEX] = "", after[PMU_DIGEST_HEX] = "", detail[256];
        if (w->has_before)
            pmu_audit_digest(w->before, w->before_len, before);
        if (w->has_after)
            pmu_audit_digest(w->after, w->after_len, after);
        snprintf(detail, sizeof detail, "identity %03u set %u: %s%s%s (%s)", w->id, w->set,
                 pmu_elster_verdict_name(w->verdict), w->message[0] ? ": " : "", w->message, a->path_text);
        const char *action = w->id == 861 ? "clock.set" : w->id == 655 ? "billing.reset" : "write";
        if (pmu_cli_audit(a->store, &a->actor, action, a->meter != NULL ? a->meter : r->serial, before, after,
                          detail) != PMU_EXIT_OK)
            rc = PMU_EXIT_FAILURE;
    }
    return rc;
}

static void on_done(void *user, struct pmu_session *s)
{
    struct write_args *a = user;
    if (a->json) {
        json_t *root = json_pack("{s:s, s:o, s:o, s:b}", "path", a->path_text, "elster", elster_cli_json(s), "error",
                                 s->status == PMU_OK ? json_null() : render_error(&s->error), "ok",
                                 s->status == PMU_OK && !elster_cli_writes_failed(s));
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(root);
    } else {
        elster_cli_print(s);
    }
    if (s->status != PMU_OK)
        fprintf(stderr, "pmu write: %s: %s\n", a->path_text, s->error.message);
    a->rc = s->status != PMU_OK || elster_cli_writes_failed(s) ? PMU_EXIT_DATA : PMU_EXIT_OK;
    if (audit_writes(a, s) != PMU_EXIT_OK && a->rc == PMU_EXIT_OK)
        a->rc = PMU_EXIT_FAILURE;
}

static int write_done(struct write_args *a, int rc)
{
    pmu_cli_actor_done(&a->actor);
    pmu_store_close(a->store);
    a->store = NULL;
    return rc;
}

int pmu_cmd_write(int argc, char **argv)
{
    static struct write_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    static struct pmu_meter_record meter;
    /* a change to a meter: the writer proves who they are, with or without --meter */
    if ((rc = pmu_cli_open_store("write", a.db, &a.store)) != PMU_EXIT_OK)
        return rc;
    if ((rc = pmu_cli_gate(a.store, a.db, "write", &a.actor)) != PMU_EXIT_OK)
        return write_done(&a, rc);
    if (a.meter != NULL) {
        struct pmu_error err;
        enum pmu_status st = pmu_store_meter_get(a.store, a.meter, &meter, &err);
        if (st != PMU_OK)
            return write_done(&a, pmu_cli_fail("write", st, &err));
        a.path_text = meter.path;
    }
    struct pmu_path path;
    struct pmu_error err;
    if (pmu_path_parse(a.path_text, &path, &err) != PMU_OK) {
        fprintf(stderr, "pmu write: comms path '%s': %s\n", a.path_text, err.message);
        return write_done(&a, PMU_EXIT_USAGE);
    }
    if (a.meter != NULL && meter.address[0] && !path.address[0])
        snprintf(path.address, sizeof path.address, "%s", meter.address);
    static struct elster_cli ec;
    memset(&ec, 0, sizeof ec);
    struct pmu_read_request base = {.password = a.password};
    ec.plan.writes = a.writes;
    ec.plan.n_writes = a.n_writes;
    if ((rc = elster_cli_prepare("write", &ec, &base)) != PMU_EXIT_OK)
        return write_done(&a, rc);
    FILE *trace = NULL;
    if (a.trace != NULL && (trace = fopen(a.trace, "w")) == NULL) {
        fprintf(stderr, "pmu write: cannot write the trace %s: %s\n", a.trace, strerror(errno));
        elster_cli_free(&ec);
        return write_done(&a, PMU_EXIT_FAILURE);
    }
    struct pmu_engine_options eo = {.max_parallel = 1, .trace = trace};
    struct pmu_engine *e = pmu_engine_new(&eo, &err);
    a.rc = PMU_EXIT_DATA;
    if (e == NULL || pmu_engine_add(e, &path, &ec.req, on_done, &a, &err) != PMU_OK ||
        pmu_engine_run(e, &err) != PMU_OK) {
        fprintf(stderr, "pmu write: %s\n", err.message);
        a.rc = PMU_EXIT_FAILURE;
    }
    pmu_engine_free(e);
    elster_cli_free(&ec);
    if (trace != NULL)
        fclose(trace);
    return write_done(&a, a.rc);
}
