/* pmu user: users and their access levels (add, passwd, list, disable, enable,
 * level). The first user of a database is its administrator and needs no login. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"

static const char user_usage[] =
    "usage: pmu user add NAME --level LEVEL [--password-file F | --password-stdin] [--cost C]\n"
    "       pmu user passwd [NAME] [--password-file F | --password-stdin]\n"
    "       pmu user list [--json]\n"
    "       pmu user disable NAME | enable NAME\n"
    "       pmu user level NAME LEVEL\n"
    "\n"
    "LEVEL is read-only, reader, programmer or administrator. The new password comes from\n"
    "the file, the first line of standard input, or the terminal (asked twice); never from\n"
    "the command line. --cost interactive (default), moderate, or minimal (tests only).\n"
    "On a database without users, `pmu user add NAME --level administrator` creates the\n"
    "first administrator (and the key file) without a login; after that PMU_USER and its\n"
    "password (PMU_USER_PASSWORD, PMU_USER_PASSWORD_FILE or the terminal) say who acts.\n"
    "Every command takes --db CONN. docs/security.md has the details.\n";

struct user_args {
    const char *db, *level, *password_file, *cost;
    bool password_stdin, json;
    char **pos;
    int n_pos;
};

static int parse(int argc, char **argv, struct user_args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"level", required_argument, NULL, 'l'},
        {"password-file", required_argument, NULL, 'f'}, {"password-stdin", no_argument, NULL, 's'},
        {"cost", required_argument, NULL, 'c'},     {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'l': a->level = optarg; break;
        case 'f': a->password_file = optarg; break;
        case 's': a->password_stdin = true; break;
        case 'c': a->cost = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(user_usage, stdout); return -1;
        default: fputs(user_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    return PMU_EXIT_OK;
}

static int want(const char *sub, const struct user_args *a, int n, const char *what)
{
    if (a->n_pos == n)
        return PMU_EXIT_OK;
    fprintf(stderr, "pmu user %s: give %s\n", sub, what);
    return PMU_EXIT_USAGE;
}

/* The new password, hashed. */
static int new_hash(const char *cmd, const struct user_args *a, const char *name, char hash[PMU_PASSWORD_HASH_MAX])
{
    enum pmu_hash_cost cost = PMU_HASH_INTERACTIVE;
    if (a->cost != NULL) {
        if (strcmp(a->cost, "moderate") == 0)
            cost = PMU_HASH_MODERATE;
        else if (strcmp(a->cost, "minimal") == 0)
            cost = PMU_HASH_MINIMAL;
        else if (strcmp(a->cost, "interactive") != 0) {
            fprintf(stderr, "pmu %s: --cost is interactive, moderate or minimal\n", cmd);
            return PMU_EXIT_USAGE;
        }
    }
    char prompt[128], password[PMU_PASSWORD_MAX];
    snprintf(prompt, sizeof prompt, "new password for %s: ", name);
    int rc = pmu_cli_read_secret(cmd, prompt, a->password_file, a->password_stdin, true, password);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_error err;
    enum pmu_status status = pmu_password_hash(password, cost, hash, &err);
    memset(password, 0, sizeof password);
    return status == PMU_OK ? PMU_EXIT_OK : pmu_cli_fail(cmd, status, &err);
}

static int user_add(struct pmu_store *s, const struct user_args *a, struct pmu_cli_actor *actor, bool bootstrap)
{
    int rc = want("add", a, 1, "the NAME of the new user");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_user_record u;
    struct pmu_error err;
    memset(&u, 0, sizeof u);
    if (a->level == NULL) {
        fprintf(stderr, "pmu user add: give --level (read-only, reader, programmer, administrator)\n");
        return PMU_EXIT_USAGE;
    }
    enum pmu_status status = pmu_level_parse(a->level, &u.level, &err);
    if (status != PMU_OK) {
        fprintf(stderr, "pmu user add: %s\n", err.message);
        return PMU_EXIT_USAGE;
    }
    if (bootstrap && u.level != PMU_LEVEL_ADMINISTRATOR) {
        fprintf(stderr, "pmu user add: the database has no users yet: the first one must be an administrator "
                        "(--level administrator)\n");
        return PMU_EXIT_DENIED;
    }
    if (strlen(a->pos[0]) >= sizeof u.name) {
        fprintf(stderr, "pmu user add: the name is longer than %zu characters\n", sizeof u.name - 1);
        return PMU_EXIT_DATA;
    }
    strcpy(u.name, a->pos[0]);
    char hash[PMU_PASSWORD_HASH_MAX];
    if ((rc = new_hash("user add", a, u.name, hash)) != PMU_EXIT_OK)
        return rc;
    if (bootstrap) {
        /* the first administrator acts as themself, with a key made now if there is none */
        if ((rc = pmu_cli_load_key("user add", a->db, true, &actor->key)) != PMU_EXIT_OK)
            return rc;
        actor->has_key = true;
        actor->user = u;
    }
    if ((status = pmu_store_user_add(s, &u, hash, &err)) != PMU_OK)
        return pmu_cli_fail("user add", status, &err);
    char detail[160];
    snprintf(detail, sizeof detail, "user %s added as %s%s", u.name, pmu_level_name(u.level),
             bootstrap ? " (first administrator)" : "");
    rc = pmu_cli_audit(s, actor, bootstrap ? "user.bootstrap" : "user.add", NULL, NULL, NULL, detail);
    if (rc == PMU_EXIT_OK)
        printf("user %s added (%s)\n", u.name, pmu_level_name(u.level));
    return rc;
}

static int user_passwd(struct pmu_store *s, const struct user_args *a, struct pmu_cli_actor *actor)
{
    if (a->n_pos > 1)
        return want("passwd", a, 1, "at most one NAME");
    const char *name = a->n_pos == 1 ? a->pos[0] : actor->user.name;
    struct pmu_error err;
    if (strcmp(name, actor->user.name) != 0 && actor->user.level < PMU_LEVEL_ADMINISTRATOR) {
        char detail[200];
        snprintf(detail, sizeof detail, "user passwd %s: user '%s' is %s; another user's password needs %s", name,
                 actor->user.name, pmu_level_name(actor->user.level), pmu_level_name(PMU_LEVEL_ADMINISTRATOR));
        fprintf(stderr, "pmu user passwd: denied: %s\n", detail);
        pmu_cli_audit(s, actor, "access.denied", NULL, NULL, NULL, detail);
        return PMU_EXIT_DENIED;
    }
    struct pmu_user_record u;
    enum pmu_status status = pmu_store_user_get(s, name, &u, NULL, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("user passwd", status, &err);
    char hash[PMU_PASSWORD_HASH_MAX];
    int rc = new_hash("user passwd", a, name, hash);
    if (rc != PMU_EXIT_OK)
        return rc;
    if ((status = pmu_store_user_set_password(s, name, hash, &err)) != PMU_OK)
        return pmu_cli_fail("user passwd", status, &err);
    char detail[160];
    snprintf(detail, sizeof detail, "password of user %s changed", name);
    return pmu_cli_audit(s, actor, "user.passwd", NULL, NULL, NULL, detail);
}

static int user_list(struct pmu_store *s, const struct user_args *a)
{
    int rc = want("list", a, 0, "no arguments");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_user_record *users;
    size_t n;
    struct pmu_error err;
    enum pmu_status status = pmu_store_user_list(s, &users, &n, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("user list", status, &err);
    json_t *arr = a->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (arr != NULL)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s, s:s}", "name", users[i].name, "level",
                                                 pmu_level_name(users[i].level), "disabled", users[i].disabled,
                                                 "created", users[i].created, "updated", users[i].updated));
        else
            printf("%-24s %-14s %s\n", users[i].name, pmu_level_name(users[i].level),
                   users[i].disabled ? "disabled" : "");
    }
    if (arr != NULL) {
        json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(arr);
    }
    free(users);
    return PMU_EXIT_OK;
}

static int user_change(struct pmu_store *s, const char *sub, const struct user_args *a,
                       struct pmu_cli_actor *actor)
{
    bool level = strcmp(sub, "level") == 0;
    int rc = want(sub, a, level ? 2 : 1, level ? "NAME LEVEL" : "the user's NAME");
    if (rc != PMU_EXIT_OK)
        return rc;
    const char *name = a->pos[0];
    struct pmu_error err;
    enum pmu_status status;
    char detail[160];
    if (level) {
        enum pmu_level l;
        if ((status = pmu_level_parse(a->pos[1], &l, &err)) != PMU_OK) {
            fprintf(stderr, "pmu user level: %s\n", err.message);
            return PMU_EXIT_USAGE;
        }
        status = pmu_store_user_set_level(s, name, l, &err);
        snprintf(detail, sizeof detail, "user %s is now %s", name, pmu_level_name(l));
    } else {
        bool disable = strcmp(sub, "disable") == 0;
        if (disable && strcmp(name, actor->user.name) == 0) {
            fprintf(stderr, "pmu user disable: you cannot disable yourself\n");
            return PMU_EXIT_DATA;
        }
        status = pmu_store_user_set_disabled(s, name, disable, &err);
        snprintf(detail, sizeof detail, "user %s %s", name, disable ? "disabled" : "enabled");
    }
    if (status != PMU_OK) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "user %s", sub);
        return pmu_cli_fail(cmd, status, &err);
    }
    char action[32];
    snprintf(action, sizeof action, "user.%s", sub);
    return pmu_cli_audit(s, actor, action, NULL, NULL, NULL, detail);
}

int pmu_cmd_user(int argc, char **argv)
{
    static const char *const subs[] = {"add", "passwd", "list", "disable", "enable", "level"};
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(user_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    const char *sub = argv[1];
    bool known = false;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        known = known || strcmp(sub, subs[i]) == 0;
    if (!known) {
        fprintf(stderr, "pmu user: unknown command '%s'\n%s", sub, user_usage);
        return PMU_EXIT_USAGE;
    }
    struct user_args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    struct pmu_store *s;
    if ((rc = pmu_cli_open_store("user", a.db, &s)) != PMU_EXIT_OK)
        return rc;
    struct pmu_cli_actor actor;
    memset(&actor, 0, sizeof actor);
    char command[32];
    snprintf(command, sizeof command, "user %s", sub);
    size_t n_users = 0;
    struct pmu_error err;
    enum pmu_status status = pmu_store_user_count(s, &n_users, &err);
    bool bootstrap = status == PMU_OK && n_users == 0 && strcmp(sub, "add") == 0;
    if (status != PMU_OK)
        rc = pmu_cli_fail(command, status, &err);
    else if (!bootstrap)
        rc = pmu_cli_gate(s, a.db, command, &actor);
    if (rc == PMU_EXIT_OK) {
        if (strcmp(sub, "add") == 0)
            rc = user_add(s, &a, &actor, bootstrap);
        else if (strcmp(sub, "passwd") == 0)
            rc = user_passwd(s, &a, &actor);
        else if (strcmp(sub, "list") == 0)
            rc = user_list(s, &a);
        else
            rc = user_change(s, sub, &a, &actor);
    }
    pmu_cli_actor_done(&actor);
    pmu_store_close(s);
    return rc;
}
