/* pmu site: where meters are installed (add, list, show, edit, rm). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "pmu/store.h"

static const char site_usage[] =
    "usage: pmu site add NAME [--nmi NMI] [--address TEXT] [--notes TEXT]\n"
    "       pmu site list [--json]\n"
    "       pmu site show NAME [--json]        the site and its meters\n"
    "       pmu site edit NAME [--name NEW] [--nmi NMI] [--address TEXT] [--notes TEXT]\n"
    "       pmu site rm NAME                   only when no meter is at the site\n"
    "\n"
    "--nmi is the connection point's identifier (the AEMO NMI that NEM12 exports need).\n"
    "Every command takes --db CONN (default $PMU_DB, else openpmu.db).\n";

struct site_args {
    const char *db, *name, *nmi, *address, *notes;
    bool json;
    char **pos;
    int n_pos;
};

static int parse(int argc, char **argv, struct site_args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},      {"name", required_argument, NULL, 'n'},
        {"nmi", required_argument, NULL, 'm'},     {"address", required_argument, NULL, 'a'},
        {"notes", required_argument, NULL, 't'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'n': a->name = optarg; break;
        case 'm': a->nmi = optarg; break;
        case 'a': a->address = optarg; break;
        case 't': a->notes = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(site_usage, stdout); return -1;
        default: fputs(site_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    return PMU_EXIT_OK;
}

static bool put(char *dst, size_t size, const char *src, const char *what)
{
    if (src == NULL)
        return true;
    if (strlen(src) >= size) {
        fprintf(stderr, "pmu site: %s is too long (at most %zu characters)\n", what, size - 1);
        return false;
    }
    strcpy(dst, src);
    return true;
}

static bool apply(const struct site_args *a, struct pmu_site_record *r)
{
    return put(r->name, sizeof r->name, a->name, "--name") && put(r->nmi, sizeof r->nmi, a->nmi, "--nmi") &&
           put(r->address, sizeof r->address, a->address, "--address") &&
           put(r->notes, sizeof r->notes, a->notes, "--notes");
}

static json_t *site_json(const struct pmu_site_record *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", r->name, "nmi", r->nmi, "address", r->address, "notes",
                     r->notes, "meters", (json_int_t)r->n_meters);
}

static int run(struct pmu_store *s, const char *sub, const struct site_args *a, const struct pmu_cli_actor *actor)
{
    struct pmu_error err;
    struct pmu_site_record r;
    enum pmu_status status = PMU_OK;
    memset(&r, 0, sizeof r);
    bool list = strcmp(sub, "list") == 0;
    if (a->n_pos != (list ? 0 : 1)) {
        fprintf(stderr, "pmu site %s: %s\n", sub, list ? "takes no arguments" : "which site? give its NAME");
        return PMU_EXIT_USAGE;
    }
    if (strcmp(sub, "add") == 0) {
        if (!put(r.name, sizeof r.name, a->pos[0], "the name") || !apply(a, &r))
            return PMU_EXIT_DATA;
        status = pmu_store_site_add(s, &r, &err);
    } else if (strcmp(sub, "edit") == 0) {
        if ((status = pmu_store_site_get(s, a->pos[0], &r, &err)) == PMU_OK) {
            if (!apply(a, &r))
                return PMU_EXIT_DATA;
            status = pmu_store_site_update(s, a->pos[0], &r, &err);
        }
    } else if (strcmp(sub, "rm") == 0) {
        status = pmu_store_site_remove(s, a->pos[0], &err);
    } else if (list) {
        struct pmu_site_record *sites;
        size_t n;
        if ((status = pmu_store_site_list(s, &sites, &n, &err)) != PMU_OK)
            return pmu_cli_fail("site list", status, &err);
        json_t *arr = a->json ? json_array() : NULL;
        for (size_t i = 0; i < n; i++) {
            if (arr != NULL)
                json_array_append_new(arr, site_json(&sites[i]));
            else
                printf("%-24s %-12s %4zu meter%s  %s\n", sites[i].name, sites[i].nmi, sites[i].n_meters,
                       sites[i].n_meters == 1 ? " " : "s", sites[i].address);
        }
        if (arr != NULL) {
            json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(arr);
        } else if (n == 0) {
            printf("no sites yet: add one with pmu site add NAME\n");
        }
        free(sites);
    } else if (strcmp(sub, "show") == 0) {
        struct pmu_meter_record *meters = NULL;
        size_t n = 0;
        if ((status = pmu_store_site_get(s, a->pos[0], &r, &err)) == PMU_OK) {
            struct pmu_meter_filter f = {r.name, NULL};
            status = pmu_store_meter_list(s, &f, &meters, &n, &err);
        }
        if (status != PMU_OK)
            return pmu_cli_fail("site show", status, &err);
        if (a->json) {
            json_t *root = site_json(&r), *arr = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_string(meters[i].serial));
            json_object_set_new(root, "serials", arr);
            json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(root);
        } else {
            printf("site     %s\nNMI      %s\naddress  %s\nnotes    %s\nmeters  ", r.name, r.nmi, r.address, r.notes);
            for (size_t i = 0; i < n; i++)
                printf(" %s", meters[i].serial);
            printf("%s\n", n == 0 ? " none" : "");
        }
        free(meters);
    } else {
        fprintf(stderr, "pmu site: unknown command '%s'\n%s", sub, site_usage);
        return PMU_EXIT_USAGE;
    }
    if (status != PMU_OK) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "site %s", sub);
        return pmu_cli_fail(cmd, status, &err);
    }
    if (strcmp(sub, "add") == 0 || strcmp(sub, "edit") == 0 || strcmp(sub, "rm") == 0) {
        char action[16], detail[200], digest[PMU_DIGEST_HEX] = "";
        snprintf(action, sizeof action, "site.%s", sub);
        snprintf(detail, sizeof detail, "site %s %s", a->pos[0],
                 sub[0] == 'a' ? "added" : sub[0] == 'e' ? "edited" : "removed");
        if (strcmp(sub, "rm") != 0) {
            char text[2048];
            int n = snprintf(text, sizeof text, "name=%s\nnmi=%s\naddress=%s\nnotes=%s\n", r.name, r.nmi,
                             r.address, r.notes);
            pmu_audit_digest(text, n > 0 && (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, digest);
        }
        return pmu_cli_audit(s, actor, action, NULL, NULL, digest, detail);
    }
    return PMU_EXIT_OK;
}

int pmu_cmd_site(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(site_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    struct site_args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    struct pmu_store *s;
    if ((rc = pmu_cli_open_store("site", a.db, &s)) != PMU_EXIT_OK)
        return rc;
    struct pmu_cli_actor actor;
    char command[32];
    snprintf(command, sizeof command, "site %s", argv[1]);
    if ((rc = pmu_cli_gate(s, a.db, command, &actor)) == PMU_EXIT_OK)
        rc = run(s, argv[1], &a, &actor);
    pmu_cli_actor_done(&actor);
    pmu_store_close(s);
    return rc;
}
