/* pmu group: named sets of meters that are read together. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "pmu/store.h"

static const char group_usage[] =
    "usage: pmu group add NAME [--description TEXT]\n"
    "       pmu group list [--json]\n"
    "       pmu group show NAME [--json]          the group and its meters\n"
    "       pmu group rm NAME                     the meters stay\n"
    "       pmu group add-member NAME SERIAL...\n"
    "       pmu group rm-member NAME SERIAL...\n"
    "\n"
    "Every command takes --db CONN (default $PMU_DB, else openpmu.db).\n";

struct group_args {
    const char *db, *description;
    bool json;
    char **pos;
    int n_pos;
};

static int parse(int argc, char **argv, struct group_args *a)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"description", required_argument, NULL, 'D'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'D': a->description = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(group_usage, stdout); return -1;
        default: fputs(group_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    return PMU_EXIT_OK;
}

static void dump(json_t *root)
{
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static int show(struct pmu_store *s, const struct group_args *a, struct pmu_error *err, enum pmu_status *status)
{
    struct pmu_group_record g;
    struct pmu_meter_record *meters = NULL;
    size_t n = 0;
    if ((*status = pmu_store_group_get(s, a->pos[0], &g, err)) == PMU_OK) {
        struct pmu_meter_filter f = {NULL, g.name};
        *status = pmu_store_meter_list(s, &f, &meters, &n, err);
    }
    if (*status != PMU_OK)
        return -1;
    if (a->json) {
        json_t *root = json_pack("{s:s, s:s}", "name", g.name, "description", g.description), *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_string(meters[i].serial));
        json_object_set_new(root, "serials", arr);
        dump(root);
    } else {
        printf("group    %s\n%s%s%smeters  ", g.name, g.description[0] ? "about    " : "", g.description,
               g.description[0] ? "\n" : "");
        for (size_t i = 0; i < n; i++)
            printf(" %s", meters[i].serial);
        printf("%s\n", n == 0 ? " none" : "");
    }
    free(meters);
    return 0;
}

static int run(struct pmu_store *s, const char *sub, const struct group_args *a, const struct pmu_cli_actor *actor)
{
    struct pmu_error err;
    enum pmu_status status = PMU_OK;
    bool list = strcmp(sub, "list") == 0, members = strstr(sub, "-member") != NULL;
    if ((list && a->n_pos != 0) || (!list && !members && a->n_pos != 1) || (members && a->n_pos < 2)) {
        fprintf(stderr, "pmu group %s: %s\n", sub,
                list ? "takes no arguments" : members ? "give the group NAME and one or more SERIALs"
                                                      : "which group? give its NAME");
        return PMU_EXIT_USAGE;
    }
    if (strcmp(sub, "add") == 0) {
        status = pmu_store_group_add(s, a->pos[0], a->description, &err);
    } else if (strcmp(sub, "rm") == 0) {
        status = pmu_store_group_remove(s, a->pos[0], &err);
    } else if (strcmp(sub, "add-member") == 0 || strcmp(sub, "rm-member") == 0) {
        bool add = sub[0] == 'a';
        int rc = PMU_EXIT_OK;
        for (int i = 1; i < a->n_pos; i++) {
            status = add ? pmu_store_group_add_member(s, a->pos[0], a->pos[i], &err)
                         : pmu_store_group_remove_member(s, a->pos[0], a->pos[i], &err);
            if (status != PMU_OK) {
                int r = pmu_cli_fail(add ? "group add-member" : "group rm-member", status, &err);
                rc = r > rc ? r : rc;
                continue;
            }
            char detail[200];
            snprintf(detail, sizeof detail, "meter %s %s group %s", a->pos[i], add ? "added to" : "removed from",
                     a->pos[0]);
            int r = pmu_cli_audit(s, actor, add ? "group.add-member" : "group.rm-member", a->pos[i], NULL, NULL,
                                  detail);
            rc = r > rc ? r : rc;
        }
        return rc;
    } else if (list) {
        struct pmu_group_record *groups;
        size_t n;
        if ((status = pmu_store_group_list(s, &groups, &n, &err)) != PMU_OK)
            return pmu_cli_fail("group list", status, &err);
        json_t *arr = a->json ? json_array() : NULL;
        for (size_t i = 0; i < n; i++) {
            if (arr != NULL)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "name", groups[i].name, "description",
                                                     groups[i].description, "meters", (json_int_t)groups[i].n_members));
            else
                printf("%-24s %4zu meter%s  %s\n", groups[i].name, groups[i].n_members,
                       groups[i].n_members == 1 ? " " : "s", groups[i].description);
        }
        if (arr != NULL)
            dump(arr);
        else if (n == 0)
            printf("no groups yet: add one with pmu group add NAME\n");
        free(groups);
    } else if (strcmp(sub, "show") == 0) {
        if (show(s, a, &err, &status) != 0)
            return pmu_cli_fail("group show", status, &err);
    } else {
        fprintf(stderr, "pmu group: unknown command '%s'\n%s", sub, group_usage);
        return PMU_EXIT_USAGE;
    }
    if (status != PMU_OK) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "group %s", sub);
        return pmu_cli_fail(cmd, status, &err);
    }
    if (strcmp(sub, "add") == 0 || strcmp(sub, "rm") == 0) {
        char detail[200];
        snprintf(detail, sizeof detail, "group %s %s", a->pos[0], sub[0] == 'a' ? "added" : "removed");
        return pmu_cli_audit(s, actor, sub[0] == 'a' ? "group.add" : "group.rm", NULL, NULL, NULL, detail);
    }
    return PMU_EXIT_OK;
}

int pmu_cmd_group(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(group_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    struct group_args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    struct pmu_store *s;
    if ((rc = pmu_cli_open_store("group", a.db, &s)) != PMU_EXIT_OK)
        return rc;
    struct pmu_cli_actor actor;
    char command[32];
    snprintf(command, sizeof command, "group %s", argv[1]);
    if ((rc = pmu_cli_gate(s, a.db, command, &actor)) == PMU_EXIT_OK)
        rc = run(s, argv[1], &a, &actor);
    pmu_cli_actor_done(&actor);
    pmu_store_close(s);
    return rc;
}
