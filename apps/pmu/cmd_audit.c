/* pmu audit: the audit trail (list, show, verify). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"

static const char audit_usage[] =
    "usage: pmu audit list [--meter SERIAL] [--user NAME] [--limit N] [--json]\n"
    "       pmu audit show SEQ [--json]\n"
    "       pmu audit verify      checks every link, hash and the signed anchor\n"
    "\n"
    "verify exits 0 when the trail is intact, 1 naming the first broken entry.\n"
    "Every command takes --db CONN (default $PMU_DB, else openpmu.db).\n";

struct audit_args {
    const char *db, *meter, *user;
    size_t limit;
    bool json;
    char **pos;
    int n_pos;
};

static int parse(int argc, char **argv, struct audit_args *a)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},   {"meter", required_argument, NULL, 'm'},
                                         {"user", required_argument, NULL, 'u'}, {"limit", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},       {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'm': a->meter = optarg; break;
        case 'u': a->user = optarg; break;
        case 'n': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end != '\0' || v == 0) {
                fprintf(stderr, "pmu audit: --limit wants a positive number, got '%s'\n", optarg);
                return PMU_EXIT_USAGE;
            }
            a->limit = v;
            break;
        }
        case 'j': a->json = true; break;
        case 'h': fputs(audit_usage, stdout); return -1;
        default: fputs(audit_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    return PMU_EXIT_OK;
}

static json_t *entry_json(const struct pmu_audit_entry *e)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e->seq, "at", e->at,
                     "actor", e->actor, "action", e->action, "meter", e->meter, "scheme_version", e->scheme_version,
                     "before_digest", e->before_digest, "after_digest", e->after_digest, "detail", e->detail,
                     "prev_hash", e->prev_hash, "hash", e->hash);
}

struct printer {
    bool json;
    json_t *arr;
};

static enum pmu_status print_entry(void *user, const struct pmu_audit_entry *e)
{
    struct printer *p = user;
    if (p->json)
        json_array_append_new(p->arr, entry_json(e));
    else
        printf("%6lld  %s  %-12s %-16s %-12s %s\n", (long long)e->seq, e->at, e->actor, e->action,
               e->meter[0] ? e->meter : "-", e->detail);
    return PMU_OK;
}

static void dump(json_t *root)
{
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static int run(struct pmu_store *s, const char *sub, const struct audit_args *a, const struct pmu_cli_actor *actor)
{
    struct pmu_error err;
    enum pmu_status status;
    if (strcmp(sub, "list") == 0) {
        struct pmu_audit_filter f = {a->meter, a->user, a->limit};
        struct printer p = {a->json, a->json ? json_array() : NULL};
        if ((status = pmu_audit_list(s, &f, print_entry, &p, &err)) != PMU_OK) {
            json_decref(p.arr);
            return pmu_cli_fail("audit list", status, &err);
        }
        if (p.arr != NULL)
            dump(p.arr);
        return PMU_EXIT_OK;
    }
    if (strcmp(sub, "show") == 0) {
        char *end = NULL;
        long long seq = a->n_pos == 1 ? strtoll(a->pos[0], &end, 10) : 0;
        if (a->n_pos != 1 || *end != '\0' || seq <= 0) {
            fprintf(stderr, "pmu audit show: give the entry's number (SEQ, as audit list shows it)\n");
            return PMU_EXIT_USAGE;
        }
        struct pmu_audit_entry e;
        if ((status = pmu_audit_get(s, seq, &e, &err)) != PMU_OK)
            return pmu_cli_fail("audit show", status, &err);
        if (a->json)
            dump(entry_json(&e));
        else
            printf("entry           %lld\nat              %s\nwho             %s\naction          %s\n"
                   "meter           %s\nscheme version  %s\nbefore digest   %s\nafter digest    %s\n"
                   "detail          %s\nprevious hash   %s\nhash            %s\n",
                   (long long)e.seq, e.at, e.actor, e.action, e.meter, e.scheme_version, e.before_digest,
                   e.after_digest, e.detail, e.prev_hash, e.hash);
        return PMU_EXIT_OK;
    }
    /* verify */
    struct pmu_audit_verdict v;
    if ((status = pmu_audit_verify(s, actor->has_key ? &actor->key : NULL, &v, &err)) != PMU_OK)
        return pmu_cli_fail("audit verify", status, &err);
    if (!v.intact) {
        printf("audit trail BROKEN: %s\n", v.problem);
        return PMU_EXIT_DATA;
    }
    printf("audit trail intact: %zu entries%s\n", v.entries,
           v.anchor_checked ? ", anchor signature good"
                            : "; the anchor was NOT checked (no key: set PMU_KEY_FILE or PMU_KEY)");
    return v.anchor_checked ? PMU_EXIT_OK : PMU_EXIT_DATA;
}

int pmu_cmd_audit(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(audit_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "verify") != 0) {
        fprintf(stderr, "pmu audit: unknown command '%s'\n%s", sub, audit_usage);
        return PMU_EXIT_USAGE;
    }
    struct audit_args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    if (strcmp(sub, "show") != 0 && a.n_pos != 0) {
        fprintf(stderr, "pmu audit %s: takes no arguments\n", sub);
        return PMU_EXIT_USAGE;
    }
    struct pmu_store *s;
    if ((rc = pmu_cli_open_store("audit", a.db, &s)) != PMU_EXIT_OK)
        return rc;
    struct pmu_cli_actor actor;
    char command[32];
    snprintf(command, sizeof command, "audit %s", sub);
    if ((rc = pmu_cli_gate(s, a.db, command, &actor)) == PMU_EXIT_OK)
        rc = run(s, sub, &a, &actor);
    pmu_cli_actor_done(&actor);
    pmu_store_close(s);
    return rc;
}
