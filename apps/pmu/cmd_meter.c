/* pmu meter: the meter list (add, list, show, edit, rm, import, export, channel). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "pmu/store.h"

static const char meter_usage[] =
    "usage: pmu meter add SERIAL [FIELDS]          add a meter\n"
    "       pmu meter list [--site S] [--group G] [--json]\n"
    "       pmu meter show SERIAL [--json]\n"
    "       pmu meter edit SERIAL [FIELDS] [--serial NEW]   change only the fields given\n"
    "       pmu meter rm SERIAL [--purge]        --purge also deletes its stored readings\n"
    "       pmu meter import FILE.csv [--update]  all rows or none; --update replaces\n"
    "                                             meters already in the store\n"
    "       pmu meter export [FILE]               the meter list as CSV (default: stdout)\n"
    "       pmu meter channel SERIAL CODE [--pulse X] [--direction import|export]\n"
    "       pmu meter passwd SERIAL [--password-file F | --password-stdin | --clear]\n"
    "                                             the meter's password, kept in the vault\n"
    "\n"
    "FIELDS: --make M --model M --site S --path COMMS-PATH --address A --password-ref R\n"
    "        --ct RATIO --vt RATIO --scheme NAME --notes TEXT\n"
    "        (ratios as 40 or 200/5; comms paths as in docs/comms-paths.md)\n"
    "        add and edit also take the meter password: --password-file F or --password-stdin\n"
    "        (never on the command line; it is sealed in the vault, docs/security.md)\n"
    "Every command takes --db CONN (an SQLite file or postgresql://...; default $PMU_DB,\n"
    "else openpmu.db). Exit status: 0 ok, 1 bad data or not found, 2 usage, 3 failure.\n";

enum { O_DB = 256, O_MAKE, O_MODEL, O_SITE, O_PATH, O_ADDRESS, O_PWREF, O_CT, O_VT, O_SCHEME, O_NOTES, O_SERIAL,
       O_GROUP, O_JSON, O_PURGE, O_UPDATE, O_PULSE, O_DIRECTION, O_HELP, O_PWFILE, O_PWSTDIN, O_CLEAR };

static const struct option meter_opts[] = {
    {"db", required_argument, NULL, O_DB},           {"make", required_argument, NULL, O_MAKE},
    {"model", required_argument, NULL, O_MODEL},     {"site", required_argument, NULL, O_SITE},
    {"path", required_argument, NULL, O_PATH},       {"address", required_argument, NULL, O_ADDRESS},
    {"password-ref", required_argument, NULL, O_PWREF}, {"ct", required_argument, NULL, O_CT},
    {"vt", required_argument, NULL, O_VT},           {"scheme", required_argument, NULL, O_SCHEME},
    {"notes", required_argument, NULL, O_NOTES},     {"serial", required_argument, NULL, O_SERIAL},
    {"group", required_argument, NULL, O_GROUP},     {"json", no_argument, NULL, O_JSON},
    {"purge", no_argument, NULL, O_PURGE},           {"update", no_argument, NULL, O_UPDATE},
    {"pulse", required_argument, NULL, O_PULSE},     {"direction", required_argument, NULL, O_DIRECTION},
    {"help", no_argument, NULL, O_HELP},             {"password-file", required_argument, NULL, O_PWFILE},
    {"password-stdin", no_argument, NULL, O_PWSTDIN}, {"clear", no_argument, NULL, O_CLEAR},
    {NULL, 0, NULL, 0}};

struct meter_args {
    const char *db, *site, *group, *pulse, *direction, *new_serial;
    bool json, purge, update;
    const char *password_file;             /* the meter password: a file, or stdin */
    bool password_stdin, clear;
    const struct pmu_cli_actor *actor;     /* who acts (the access gate) */
    /* fields given on the command line, by option code */
    const char *field[O_SERIAL - O_MAKE];
    char **pos;
    int n_pos;
};

static int parse(int argc, char **argv, struct meter_args *a)
{
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", meter_opts, NULL)) != -1) {
        if (c >= O_MAKE && c < O_SERIAL) {
            a->field[c - O_MAKE] = optarg;
            if (c == O_SITE)
                a->site = optarg;
            continue;
        }
        switch (c) {
        case O_DB: a->db = optarg; break;
        case O_SERIAL: a->new_serial = optarg; break;
        case O_GROUP: a->group = optarg; break;
        case O_JSON: a->json = true; break;
        case O_PURGE: a->purge = true; break;
        case O_UPDATE: a->update = true; break;
        case O_PULSE: a->pulse = optarg; break;
        case O_DIRECTION: a->direction = optarg; break;
        case O_PWFILE: a->password_file = optarg; break;
        case O_PWSTDIN: a->password_stdin = true; break;
        case O_CLEAR: a->clear = true; break;
        case O_HELP: fputs(meter_usage, stdout); return -1;
        default: fputs(meter_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    return PMU_EXIT_OK;
}

static int want_args(const char *cmd, const struct meter_args *a, int n, const char *what)
{
    if (a->n_pos == n)
        return PMU_EXIT_OK;
    fprintf(stderr, "pmu meter %s: %s %s\n", cmd, a->n_pos < n ? "which" : "too many arguments; want", what);
    return PMU_EXIT_USAGE;
}

/* Copies the fields given on the command line into m; a value too long is an error. */
static int apply_fields(const struct meter_args *a, struct pmu_meter_record *m)
{
    struct {
        char *dst;
        size_t size;
        const char *name;
    } f[] = {{m->make, sizeof m->make, "make"},       {m->model, sizeof m->model, "model"},
             {m->site, sizeof m->site, "site"},       {m->path, sizeof m->path, "path"},
             {m->address, sizeof m->address, "address"}, {m->password_ref, sizeof m->password_ref, "password-ref"},
             {m->ct, sizeof m->ct, "ct"},             {m->vt, sizeof m->vt, "vt"},
             {m->scheme, sizeof m->scheme, "scheme"}, {m->notes, sizeof m->notes, "notes"}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        const char *v = a->field[i];
        if (v == NULL)
            continue;
        if (strlen(v) >= f[i].size) {
            fprintf(stderr, "pmu meter: --%s is too long (at most %zu characters)\n", f[i].name, f[i].size - 1);
            return PMU_EXIT_DATA;
        }
        strcpy(f[i].dst, v);
    }
    return PMU_EXIT_OK;
}

static json_t *meter_json(const struct pmu_meter_record *m)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "serial", m->serial,
                     "make", m->make, "model", m->model, "site", m->site, "path", m->path, "address", m->address,
                     "password_ref", m->password_ref, "ct", m->ct, "vt", m->vt, "scheme", m->scheme, "notes",
                     m->notes, "created", m->created, "updated", m->updated);
}

static void print_json(json_t *root)
{
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static int meter_add(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("add", a, 1, "SERIAL");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_meter_record m;
    memset(&m, 0, sizeof m);
    if (strlen(a->pos[0]) >= sizeof m.serial) {
        fprintf(stderr, "pmu meter add: the serial is too long\n");
        return PMU_EXIT_DATA;
    }
    strcpy(m.serial, a->pos[0]);
    if ((rc = apply_fields(a, &m)) != PMU_EXIT_OK)
        return rc;
    char password[PMU_PASSWORD_MAX] = "";
    bool with_password = a->password_file != NULL || a->password_stdin;
    if (with_password &&
        (rc = pmu_cli_read_secret("meter add", "meter password: ", a->password_file, a->password_stdin, false,
                                  password)) != PMU_EXIT_OK)
        return rc;
    struct pmu_error err;
    enum pmu_status status = pmu_store_meter_add(s, &m, &err);
    if (status == PMU_OK && with_password &&
        (status = pmu_meter_password_set(s, &a->actor->key, m.serial, password, &err)) != PMU_OK)
        pmu_store_meter_remove(s, m.serial, false, NULL); /* all or nothing */
    memset(password, 0, sizeof password);
    if (status != PMU_OK)
        return pmu_cli_fail("meter add", status, &err);
    char after[PMU_DIGEST_HEX];
    pmu_cli_meter_digest(&m, after);
    return pmu_cli_audit(s, a->actor, "meter.add", m.serial, NULL, after,
                         with_password ? "meter added, with a password in the vault" : "meter added");
}

static int meter_passwd(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("passwd", a, 1, "SERIAL");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_meter_record m;
    struct pmu_error err;
    enum pmu_status status = pmu_store_meter_get(s, a->pos[0], &m, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("meter passwd", status, &err);
    char password[PMU_PASSWORD_MAX] = "";
    if (!a->clear && (rc = pmu_cli_read_secret("meter passwd", "meter password: ", a->password_file,
                                               a->password_stdin, true, password)) != PMU_EXIT_OK)
        return rc;
    status = pmu_meter_password_set(s, &a->actor->key, m.serial, a->clear ? NULL : password, &err);
    memset(password, 0, sizeof password);
    if (status != PMU_OK)
        return pmu_cli_fail("meter passwd", status, &err);
    return pmu_cli_audit(s, a->actor, a->clear ? "meter.password.clear" : "meter.password.set", m.serial, NULL,
                         NULL, a->clear ? "meter password removed from the vault" : "meter password set in the vault");
}

static int meter_edit(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("edit", a, 1, "SERIAL");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_meter_record m;
    struct pmu_error err;
    enum pmu_status status = pmu_store_meter_get(s, a->pos[0], &m, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("meter edit", status, &err);
    char before[PMU_DIGEST_HEX], after[PMU_DIGEST_HEX];
    pmu_cli_meter_digest(&m, before);
    if ((rc = apply_fields(a, &m)) != PMU_EXIT_OK)
        return rc;
    if (a->new_serial != NULL) {
        if (strlen(a->new_serial) >= sizeof m.serial) {
            fprintf(stderr, "pmu meter edit: the new serial is too long\n");
            return PMU_EXIT_DATA;
        }
        strcpy(m.serial, a->new_serial);
    }
    char password[PMU_PASSWORD_MAX] = "";
    bool with_password = a->password_file != NULL || a->password_stdin;
    if (with_password &&
        (rc = pmu_cli_read_secret("meter edit", "meter password: ", a->password_file, a->password_stdin, false,
                                  password)) != PMU_EXIT_OK)
        return rc;
    status = pmu_store_meter_update(s, a->pos[0], &m, &err);
    if (status == PMU_OK && with_password &&
        (status = pmu_meter_password_set(s, &a->actor->key, m.serial, password, &err)) != PMU_OK)
        fprintf(stderr, "pmu meter edit: the meter was changed, but not its password\n");
    memset(password, 0, sizeof password);
    if (status != PMU_OK)
        return pmu_cli_fail("meter edit", status, &err);
    pmu_cli_meter_digest(&m, after);
    char detail[200];
    if (strcmp(a->pos[0], m.serial) != 0)
        snprintf(detail, sizeof detail, "meter %s renamed %s", a->pos[0], m.serial);
    else
        snprintf(detail, sizeof detail, "meter %s edited", m.serial);
    if (with_password)
        strncat(detail, ", with a new password in the vault", sizeof detail - strlen(detail) - 1);
    return pmu_cli_audit(s, a->actor, "meter.edit", m.serial, before, after, detail);
}

static int meter_list(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("list", a, 0, "nothing");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_meter_filter f = {a->site, a->group};
    struct pmu_meter_record *list;
    size_t n;
    struct pmu_error err;
    enum pmu_status status = pmu_store_meter_list(s, &f, &list, &n, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("meter list", status, &err);
    if (a->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, meter_json(&list[i]));
        print_json(arr);
    } else {
        if (n > 0)
            printf("%-16s %-10s %-10s %-16s %s\n", "serial", "make", "model", "site", "path");
        for (size_t i = 0; i < n; i++)
            printf("%-16s %-10s %-10s %-16s %s\n", list[i].serial, list[i].make, list[i].model, list[i].site,
                   list[i].path);
        if (n == 0)
            printf("no meters%s\n", a->site || a->group ? " match" : " yet: add one with pmu meter add SERIAL");
    }
    free(list);
    return PMU_EXIT_OK;
}

static int meter_show(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("show", a, 1, "SERIAL");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_meter_record m;
    struct pmu_error err;
    enum pmu_status status = pmu_store_meter_get(s, a->pos[0], &m, &err);
    struct pmu_channel_record *ch = NULL;
    size_t n = 0;
    bool has_password = false;
    char unused[PMU_PASSWORD_MAX];
    if (status == PMU_OK)
        status = pmu_meter_password_get(s, NULL, m.serial, unused, &has_password, &err);
    if (status == PMU_OK)
        status = pmu_store_channels(s, m.serial, &ch, &n, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("meter show", status, &err);
    if (a->json) {
        json_t *root = meter_json(&m), *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "profile", ch[i].profile, "code",
                                                 ch[i].code, "unit", ch[i].unit, "interval_min",
                                                 (json_int_t)ch[i].interval_min, "pulse_multiplier",
                                                 ch[i].pulse_multiplier, "direction", ch[i].direction));
        json_object_set_new(root, "password", json_string(has_password ? "set" : "not set"));
        json_object_set_new(root, "channels", arr);
        print_json(root);
    } else {
        printf("serial        %s\nmake, model   %s %s\nsite          %s\ncomms path    %s\naddress       %s\n"
               "password ref  %s\nCT ratio      %s\nVT ratio      %s\nscheme        %s\nnotes         %s\n"
               "created       %s\nupdated       %s\n",
               m.serial, m.make, m.model, m.site, m.path, m.address, m.password_ref, m.ct, m.vt, m.scheme, m.notes,
               m.created, m.updated);
        printf("password      %s\n", has_password ? "set (in the vault)" : "not set");
        for (size_t i = 0; i < n; i++)
            printf("channel       %s %s [%s] %u min, pulse x%s, %s\n", ch[i].profile, ch[i].code, ch[i].unit,
                   ch[i].interval_min, ch[i].pulse_multiplier, ch[i].direction[0] ? ch[i].direction : "direction ?");
    }
    free(ch);
    return PMU_EXIT_OK;
}

static int meter_rm(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("rm", a, 1, "SERIAL");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_error err;
    struct pmu_meter_record m;
    char before[PMU_DIGEST_HEX] = "";
    if (pmu_store_meter_get(s, a->pos[0], &m, &err) == PMU_OK)
        pmu_cli_meter_digest(&m, before);
    enum pmu_status status = pmu_store_meter_remove(s, a->pos[0], a->purge, &err);
    if (status != PMU_OK) {
        rc = pmu_cli_fail("meter rm", status, &err);
        if (status == PMU_E_INVALID && !a->purge)
            fprintf(stderr, "pmu meter rm: add --purge to delete the meter and its stored readings\n");
        return rc;
    }
    return pmu_cli_audit(s, a->actor, "meter.rm", a->pos[0], before, NULL,
                         a->purge ? "meter removed with its stored readings" : "meter removed");
}

struct import_report {
    const char *file;
};

static void print_problem(void *user, size_t line, const char *message)
{
    const struct import_report *r = user;
    fprintf(stderr, "%s:%zu: %s\n", r->file, line, message);
}

static int meter_import(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("import", a, 1, "FILE.csv");
    if (rc != PMU_EXIT_OK)
        return rc;
    size_t len, n = 0;
    uint8_t *text = pmu_cli_read_file(a->pos[0], &len);
    if (text == NULL)
        return PMU_EXIT_FAILURE;
    struct import_report r = {strcmp(a->pos[0], "-") == 0 ? "stdin" : a->pos[0]};
    struct pmu_error err;
    char digest[PMU_DIGEST_HEX];
    pmu_audit_digest(text, len, digest);
    enum pmu_status status =
        pmu_store_meters_import_csv(s, (const char *)text, len, a->update, print_problem, &r, &n, &err);
    free(text);
    if (status == PMU_E_SYNTAX || status == PMU_E_INVALID || status == PMU_E_TOO_LONG) {
        fprintf(stderr, "pmu meter import: nothing imported from %s\n", r.file);
        return PMU_EXIT_DATA;
    }
    if (status != PMU_OK)
        return pmu_cli_fail("meter import", status, &err);
    printf("imported %zu meter%s from %s\n", n, n == 1 ? "" : "s", r.file);
    char detail[300];
    snprintf(detail, sizeof detail, "imported %zu meters from %s%s (after digest: the file)", n, r.file,
             a->update ? ", replacing those already there" : "");
    return pmu_cli_audit(s, a->actor, "meter.import", NULL, NULL, digest, detail);
}

static int meter_export(struct pmu_store *s, const struct meter_args *a)
{
    if (a->n_pos > 1)
        return want_args("export", a, 1, "[FILE]");
    const char *path = a->n_pos == 1 ? a->pos[0] : "-";
    FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (out == NULL) {
        perror(path);
        return PMU_EXIT_FAILURE;
    }
    struct pmu_error err;
    enum pmu_status status = pmu_store_meters_export_csv(s, out, &err);
    if (out != stdout && fclose(out) != 0 && status == PMU_OK)
        status = pmu_error_set(&err, PMU_E_IO, PMU_NO_OFFSET, "cannot write %s", path);
    if (status != PMU_OK)
        return pmu_cli_fail("meter export", status, &err);
    return PMU_EXIT_OK;
}

static int meter_channel(struct pmu_store *s, const struct meter_args *a)
{
    int rc = want_args("channel", a, 2, "SERIAL CODE");
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_error err;
    enum pmu_status status = pmu_store_channel_set(s, a->pos[0], a->pos[1], a->pulse, a->direction, &err);
    if (status != PMU_OK)
        return pmu_cli_fail("meter channel", status, &err);
    char detail[200];
    snprintf(detail, sizeof detail, "channel %s:%s%s%s%s", a->pos[1], a->pulse ? " pulse x" : "",
             a->pulse ? a->pulse : "", a->direction ? " direction " : "", a->direction ? a->direction : "");
    return pmu_cli_audit(s, a->actor, "meter.channel", a->pos[0], NULL, NULL, detail);
}

int pmu_cmd_meter(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct pmu_store *, const struct meter_args *);
    } subs[] = {{"add", meter_add},       {"list", meter_list},     {"show", meter_show},
                {"edit", meter_edit},     {"rm", meter_rm},         {"import", meter_import},
                {"export", meter_export}, {"channel", meter_channel}, {"passwd", meter_passwd}};
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(meter_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) != 0)
            continue;
        struct meter_args a;
        int rc = parse(argc - 1, argv + 1, &a);
        if (rc != PMU_EXIT_OK)
            return rc < 0 ? PMU_EXIT_OK : rc;
        struct pmu_store *s;
        if ((rc = pmu_cli_open_store("meter", a.db, &s)) != PMU_EXIT_OK)
            return rc;
        struct pmu_cli_actor actor;
        char command[32];
        snprintf(command, sizeof command, "meter %s", subs[i].name);
        if ((rc = pmu_cli_gate(s, a.db, command, &actor)) == PMU_EXIT_OK) {
            a.actor = &actor;
            rc = subs[i].run(s, &a);
        }
        pmu_cli_actor_done(&actor);
        pmu_store_close(s);
        return rc;
    }
    fprintf(stderr, "pmu meter: unknown command '%s'\n%s", argv[1], meter_usage);
    return PMU_EXIT_USAGE;
}
