/* pmu scheme: programming schemes (validate, import, list, history, show, diff,
 * compile). Scheme files: docs/schemes.md. */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "cli.h"
#include "pmu/scheme.h"
#include "pmu/security.h"
#include "pmu/store.h"

#ifndef PMU_MODELS_DEFAULT
#define PMU_MODELS_DEFAULT "models"
#endif

static const char scheme_usage[] =
    "usage: pmu scheme validate FILE... [--model M]   check files; problems as FILE:LINE: message\n"
    "       pmu scheme import FILE [--name NAME]     validate, then store as the next version\n"
    "       pmu scheme list [--json]                 stored schemes and their latest version\n"
    "       pmu scheme history NAME [--json]         the versions of a scheme\n"
    "       pmu scheme show NAME|FILE [--version N] [--yaml | --original | --json]\n"
    "                                                fields (default), canonical YAML, or the text as imported\n"
    "       pmu scheme diff NAME V1 V2 [--json]      field-level changes between two versions\n"
    "       pmu scheme diff NAME|FILE [--version N] --readback FILE --model M [--json]\n"
    "       pmu scheme diff NAME [--version N] --meter SERIAL   (reads the meter: pmu program --check)\n"
    "                                                the scheme against what a meter holds (read-back items)\n"
    "       pmu scheme compile NAME|FILE [--version N] --model M   the writes programming would send\n"
    "\n"
    "--db CONN: the store (default $PMU_DB, else openpmu.db). --models DIR: model files\n"
    "(default $PMU_MODELS, else the models/ of this openpmu; generic IEC models in DIR/generic).\n"
    "NAME|FILE: a path (with '/' or\n"
    "ending .yaml/.yml) is read as a file, anything else names a stored scheme.\n"
    "Commands that use the store act as PMU_USER (docs/security.md): import needs the\n"
    "programmer level and is audited; the others read-only.\n"
    "Exit status: 0 ok (diff: no differences), 1 problems found (diff: differences), 2 usage,\n"
    "3 failure, 4 denied.\n";

enum { O_DB = 256, O_MODELS, O_MODEL, O_NAME, O_VERSION, O_YAML, O_ORIGINAL, O_READBACK, O_JSON, O_HELP, O_METER };

static const struct option scheme_opts[] = {
    {"db", required_argument, NULL, O_DB},           {"models", required_argument, NULL, O_MODELS},
    {"model", required_argument, NULL, O_MODEL},     {"name", required_argument, NULL, O_NAME},
    {"version", required_argument, NULL, O_VERSION},
    {"yaml", no_argument, NULL, O_YAML},             {"original", no_argument, NULL, O_ORIGINAL},
    {"readback", required_argument, NULL, O_READBACK}, {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, O_HELP},             {"meter", required_argument, NULL, O_METER},
    {NULL, 0, NULL, 0}};

struct args {
    const char *db, *models, *model, *name, *readback, *meter;
    int version;
    bool yaml, original, json;
    char **pos;
    int n_pos;
};

static int parse_args(int argc, char **argv, struct args *a)
{
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", scheme_opts, NULL)) != -1) {
        switch (c) {
        case O_DB: a->db = optarg; break;
        case O_MODELS: a->models = optarg; break;
        case O_MODEL: a->model = optarg; break;
        case O_NAME: a->name = optarg; break;
        case O_READBACK: a->readback = optarg; break;
        case O_METER: a->meter = optarg; break;
        case O_YAML: a->yaml = true; break;
        case O_ORIGINAL: a->original = true; break;
        case O_JSON: a->json = true; break;
        case O_VERSION:
            a->version = atoi(optarg);
            if (a->version <= 0) {
                fprintf(stderr, "pmu scheme: --version takes a version number (1, 2, ...)\n");
                return PMU_EXIT_USAGE;
            }
            break;
        case O_HELP: fputs(scheme_usage, stdout); return -1;
        default: fputs(scheme_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    return PMU_EXIT_OK;
}

/* ---- models ------------------------------------------------------------------------ */

struct model {
    struct pmu_elster_model elster;
    bool has_elster;
    struct pmu_scheme_caps caps;
};

static const char *models_dir(const struct args *a)
{
    if (a->models != NULL)
        return a->models;
    const char *env = getenv("PMU_MODELS");
    return env != NULL && env[0] != '\0' ? env : PMU_MODELS_DEFAULT;
}

static void model_free(struct model *m)
{
    if (m->has_elster)
        pmu_elster_model_free(&m->elster);
    m->has_elster = false;
}

/* Looks for model `name` among the *.json files of dir: 0 found, 1 not found. */
static int model_find(const char *dir, const char *name, struct model *out)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return PMU_EXIT_DATA;
    int rc = PMU_EXIT_DATA;
    struct dirent *e;
    while (rc == PMU_EXIT_DATA && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *text = pmu_cli_read_file(path, &len);
        if (text == NULL)
            continue;
        struct pmu_error err;
        if (strstr((const char *)text, "openpmu-generic-model/1") != NULL) {
            if (pmu_scheme_caps_load((const char *)text, len, &out->caps, &err) == PMU_OK &&
                strcasecmp(out->caps.model, name) == 0)
                rc = PMU_EXIT_OK;
        } else if (pmu_elster_model_load((const char *)text, len, &out->elster, &err) == PMU_OK) {
            if (strcasecmp(out->elster.name, name) == 0) {
                out->has_elster = true;
                pmu_scheme_caps_from_elster(&out->elster, &out->caps);
                rc = PMU_EXIT_OK;
            } else {
                pmu_elster_model_free(&out->elster);
            }
        }
        free(text);
    }
    closedir(d);
    return rc;
}

/* Finds model `name` in the model directory (Elster models) or its generic/
 * subdirectory (generic IEC models): 0 found, 1 not found, 3 no directory. */
static int model_load(const struct args *a, const char *name, struct model *out)
{
    const char *dir = models_dir(a);
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "pmu scheme: cannot open the model directory %s (give --models DIR)\n", dir);
        return PMU_EXIT_FAILURE;
    }
    closedir(d);
    if (model_find(dir, name, out) == PMU_EXIT_OK)
        return PMU_EXIT_OK;
    char generic[4096];
    snprintf(generic, sizeof generic, "%s/generic", dir);
    return model_find(generic, name, out);
}

/* ---- reading schemes --------------------------------------------------------------- */

struct reporter {
    const char *file;
    size_t problems;
};

static void report(void *user, unsigned line, const char *message)
{
    struct reporter *r = user;
    r->problems++;
    fprintf(stderr, "%s:%u: %s\n", r->file, line, message);
}

static bool is_file(const char *ref)
{
    size_t n = strlen(ref);
    return strchr(ref, '/') != NULL || (n > 5 && strcmp(ref + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(ref + n - 4, ".yml") == 0);
}

/* Parses and checks text against the scheme itself and each target model (or only
 * `model`). Returns the number of problems; *out (may be NULL) gets the scheme. */
static size_t validate(const struct args *a, const char *file, const char *text, size_t len, struct pmu_scheme **out)
{
    struct reporter r = {file, 0};
    struct pmu_scheme *s;
    struct pmu_error err;
    if (out != NULL)
        *out = NULL;
    if (pmu_scheme_parse(text, len, &s, report, &r, &err) != PMU_OK)
        return r.problems > 0 ? r.problems : 1;
    pmu_scheme_check(s, NULL, report, &r);
    for (size_t i = 0; i < s->n_models; i++) {
        if (a->model != NULL && strcasecmp(a->model, s->models[i]) != 0)
            continue;
        struct model m;
        int rc = model_load(a, s->models[i], &m);
        if (rc != PMU_EXIT_OK) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown model '%s': no model file in %s names it", s->models[i],
                     models_dir(a));
            report(&r, s->lines.models, msg);
            continue;
        }
        pmu_scheme_check_model(s, &m.caps, report, &r);
        model_free(&m);
    }
    if (a->model != NULL) {
        bool listed = false;
        for (size_t i = 0; i < s->n_models; i++)
            listed = listed || strcasecmp(a->model, s->models[i]) == 0;
        if (!listed) {
            char msg[160];
            snprintf(msg, sizeof msg, "the scheme is not for model %s: add it to models", a->model);
            report(&r, s->lines.models ? s->lines.models : 1, msg);
        }
    }
    if (out != NULL && r.problems == 0)
        *out = s;
    else
        pmu_scheme_free(s);
    return r.problems;
}

/* A scheme by NAME (stored; version 0 = latest) or FILE: the text and the parsed
 * scheme. Returns an exit code. */
static int load_scheme(const struct args *a, const char *command, struct pmu_store **store, const char *ref,
                       int version, char **text, struct pmu_scheme **s, int *got_version)
{
    size_t len;
    *text = NULL;
    *s = NULL;
    *got_version = 0;
    if (is_file(ref)) {
        uint8_t *t = pmu_cli_read_file(ref, &len);
        if (t == NULL)
            return PMU_EXIT_FAILURE;
        *text = (char *)t;
    } else {
        struct pmu_error err;
        if (*store == NULL) {
            int rc = pmu_cli_open_gated(command, a->db, store);
            if (rc != PMU_EXIT_OK)
                return rc;
        }
        *got_version = version;
        enum pmu_status st = pmu_store_scheme_get(*store, ref, got_version, text, &err);
        if (st != PMU_OK)
            return pmu_cli_fail("scheme", st, &err);
        len = strlen(*text);
    }
    struct reporter r = {ref, 0};
    struct pmu_error err;
    if (pmu_scheme_parse(*text, len, s, report, &r, &err) != PMU_OK) {
        free(*text);
        *text = NULL;
        return PMU_EXIT_DATA;
    }
    return PMU_EXIT_OK;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static json_t *versions_json(const struct pmu_scheme_version_record *v, size_t n, bool with_count)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:i, s:s, s:s}", "name", v[i].name, "version", v[i].version, "imported_by",
                              v[i].imported_by, "imported_at", v[i].imported_at);
        if (with_count)
            json_object_set_new(o, "versions", json_integer((json_int_t)v[i].n_versions));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (text == NULL) {
        fprintf(stderr, "pmu scheme: out of memory\n");
        return PMU_EXIT_FAILURE;
    }
    puts(text);
    free(text);
    return PMU_EXIT_OK;
}

/* The "path: value" lines of a flattened scheme as one JSON object. */
static json_t *fields_json(const char *flat)
{
    json_t *o = json_object();
    for (const char *l = flat; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
        const char *sep = strstr(l, ": ");
        if (sep != NULL && sep < l + n) {
            char *key = strndup(l, (size_t)(sep - l)), *val = strndup(sep + 2, n - (size_t)(sep - l) - 2);
            if (key != NULL && val != NULL)
                json_object_set_new(o, key, json_string(val));
            free(key);
            free(val);
        }
        l += n + (nl != NULL);
    }
    return o;
}

/* ---- commands ---------------------------------------------------------------------- */

static int cmd_validate(const struct args *a)
{
    if (a->n_pos < 1) {
        fputs(scheme_usage, stderr);
        return PMU_EXIT_USAGE;
    }
    int rc = PMU_EXIT_OK;
    for (int i = 0; i < a->n_pos; i++) {
        size_t len;
        uint8_t *text = pmu_cli_read_file(a->pos[i], &len);
        if (text == NULL)
            return PMU_EXIT_FAILURE;
        size_t problems = validate(a, a->pos[i], (const char *)text, len, NULL);
        free(text);
        if (problems == 0)
            printf("%s: ok\n", a->pos[i]);
        else
            rc = PMU_EXIT_DATA;
    }
    return rc;
}

/* Stores text as the next version of `name` for the actor, and audits it: the
 * entry names the scheme version and the digest of the text. */
static int import_as(struct pmu_store *store, const struct pmu_cli_actor *actor, const char *name, const char *text,
                     size_t len)
{
    int version;
    bool unchanged;
    struct pmu_error err;
    enum pmu_status st = pmu_store_scheme_import(store, name, text, actor->user.name, &version, &unchanged, &err);
    if (st != PMU_OK)
        return pmu_cli_fail("scheme import", st, &err);
    if (unchanged) {
        printf("scheme %s unchanged: version %d\n", name, version);
        return PMU_EXIT_OK;
    }
    char ref[PMU_STORE_NAME_MAX + 16], detail[PMU_STORE_NAME_MAX + 48], digest[PMU_DIGEST_HEX];
    snprintf(ref, sizeof ref, "%s@%d", name, version);
    snprintf(detail, sizeof detail, "scheme %s version %d imported", name, version);
    pmu_audit_digest(text, len, digest);
    struct pmu_audit_record r = {actor->user.name, "scheme.import", "", ref, "", digest, detail};
    if (!actor->has_key || pmu_audit_append(store, &actor->key, &r, NULL, &err) != PMU_OK) {
        fprintf(stderr, "pmu scheme import: version %d stored but not audited: %s\n", version,
                actor->has_key ? err.message : "the key is not at hand");
        return PMU_EXIT_FAILURE;
    }
    printf("scheme %s version %d imported\n", name, version);
    return PMU_EXIT_OK;
}

static int cmd_import(const struct args *a)
{
    if (a->n_pos != 1) {
        fputs(scheme_usage, stderr);
        return PMU_EXIT_USAGE;
    }
    size_t len;
    uint8_t *text = pmu_cli_read_file(a->pos[0], &len);
    if (text == NULL)
        return PMU_EXIT_FAILURE;
    struct pmu_scheme *s;
    size_t problems = validate(a, a->pos[0], (const char *)text, len, &s);
    if (problems > 0 || strlen((const char *)text) != len) {
        fprintf(stderr, "pmu scheme import: %s not imported: fix the problems above\n", a->pos[0]);
        free(text);
        return PMU_EXIT_DATA;
    }
    const char *name = a->name != NULL ? a->name : s->name;
    struct pmu_store *store;
    struct pmu_cli_actor actor;
    int rc = pmu_cli_open_store("scheme import", a->db, &store);
    if (rc == PMU_EXIT_OK) {
        if ((rc = pmu_cli_gate(store, a->db, "scheme import", &actor)) == PMU_EXIT_OK)
            rc = import_as(store, &actor, name, (const char *)text, len);
        pmu_cli_actor_done(&actor);
        pmu_store_close(store);
    }
    pmu_scheme_free(s);
    free(text);
    return rc;
}

static int cmd_list(const struct args *a)
{
    struct pmu_store *store;
    int rc = pmu_cli_open_gated("scheme list", a->db, &store);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_scheme_version_record *v;
    size_t n;
    struct pmu_error err;
    enum pmu_status st = pmu_store_scheme_list(store, &v, &n, &err);
    if (st != PMU_OK) {
        rc = pmu_cli_fail("scheme list", st, &err);
    } else if (a->json) {
        rc = print_json(versions_json(v, n, true));
        free(v);
    } else {
        printf("%-24s %7s %8s  %-20s  %s\n", "NAME", "LATEST", "VERSIONS", "IMPORTED", "BY");
        for (size_t i = 0; i < n; i++)
            printf("%-24s %7d %8zu  %-20s  %s\n", v[i].name, v[i].version, v[i].n_versions, v[i].imported_at,
                   v[i].imported_by);
        free(v);
    }
    pmu_store_close(store);
    return rc;
}

static int cmd_history(const struct args *a)
{
    if (a->n_pos != 1) {
        fputs(scheme_usage, stderr);
        return PMU_EXIT_USAGE;
    }
    struct pmu_store *store;
    int rc = pmu_cli_open_gated("scheme history", a->db, &store);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_scheme_version_record *v;
    size_t n;
    struct pmu_error err;
    enum pmu_status st = pmu_store_scheme_history(store, a->pos[0], &v, &n, &err);
    if (st != PMU_OK) {
        rc = pmu_cli_fail("scheme history", st, &err);
    } else if (a->json) {
        rc = print_json(versions_json(v, n, false));
        free(v);
    } else {
        printf("%7s  %-20s  %s\n", "VERSION", "IMPORTED", "BY");
        for (size_t i = 0; i < n; i++)
            printf("%7d  %-20s  %s\n", v[i].version, v[i].imported_at, v[i].imported_by);
        free(v);
    }
    pmu_store_close(store);
    return rc;
}

static int cmd_show(const struct args *a)
{
    if (a->n_pos != 1) {
        fputs(scheme_usage, stderr);
        return PMU_EXIT_USAGE;
    }
    struct pmu_store *store = NULL;
    char *text;
    struct pmu_scheme *s;
    int version;
    int rc = load_scheme(a, "scheme show", &store, a->pos[0], a->version, &text, &s, &version);
    if (rc == PMU_EXIT_OK) {
        struct pmu_error err;
        char *flat;
        if (a->original) {
            fputs(text, stdout);
        } else if (a->yaml) {
            if (pmu_scheme_emit(s, stdout, &err) != PMU_OK)
                rc = pmu_cli_fail("scheme show", err.code, &err);
        } else if (pmu_scheme_flatten(s, false, &flat, &err) != PMU_OK) {
            rc = pmu_cli_fail("scheme show", err.code, &err);
        } else if (a->json) {
            json_t *o = json_object();
            if (version > 0)
                json_object_set_new(o, "version", json_integer(version));
            json_object_set_new(o, "fields", fields_json(flat));
            free(flat);
            rc = print_json(o);
        } else {
            if (version > 0)
                printf("version: %d\n", version);
            fputs(flat, stdout);
            free(flat);
        }
        pmu_scheme_free(s);
        free(text);
    }
    if (store != NULL)
        pmu_store_close(store);
    return rc;
}

struct diff_out {
    long n;
    json_t *json;                  /* array when --json */
};

static void print_diff(void *user, const char *path, const char *old_value, const char *new_value)
{
    struct diff_out *d = user;
    d->n++;
    if (d->json != NULL) {
        json_t *o = json_pack("{s:s}", "path", path);
        json_object_set_new(o, "old", old_value != NULL ? json_string(old_value) : json_null());
        json_object_set_new(o, "new", new_value != NULL ? json_string(new_value) : json_null());
        json_array_append_new(d->json, o);
        return;
    }
    if (old_value == NULL)
        printf("+ %s: %s\n", path, new_value);
    else if (new_value == NULL)
        printf("- %s: %s\n", path, old_value);
    else
        printf("~ %s: %s -> %s\n", path, old_value, new_value);
}

/* The meter's view of scheme s: the read-back file decoded for model m. */
static int meter_view(const struct args *a, const struct pmu_scheme *s, struct model *m, struct pmu_scheme **out)
{
    size_t len;
    uint8_t *text = pmu_cli_read_file(a->readback, &len);
    if (text == NULL)
        return PMU_EXIT_FAILURE;
    struct pmu_scheme_items items;
    struct pmu_error err;
    enum pmu_status st = pmu_scheme_items_parse((const char *)text, len, m->caps.target, &items, &err);
    free(text);
    if (st != PMU_OK) {
        fprintf(stderr, "%s: %s\n", a->readback, err.message);
        return PMU_EXIT_DATA;
    }
    st = pmu_scheme_decode(&items, &m->caps, s, out, &err);
    pmu_scheme_items_free(&items);
    return st == PMU_OK ? PMU_EXIT_OK : pmu_cli_fail("scheme diff", st, &err);
}

/* Refuses a model the scheme does not name: it was never validated for it. */
static int for_model(const struct pmu_scheme *s, const char *model)
{
    for (size_t i = 0; i < s->n_models; i++)
        if (strcasecmp(s->models[i], model) == 0)
            return PMU_EXIT_OK;
    fprintf(stderr, "pmu scheme: scheme %s is not for model %s (its models:", s->name, model);
    for (size_t i = 0; i < s->n_models; i++)
        fprintf(stderr, " %s", s->models[i]);
    fprintf(stderr, ")\n");
    return PMU_EXIT_DATA;
}

static int need_model(const struct args *a, struct model *m)
{
    if (a->model == NULL) {
        fprintf(stderr, "pmu scheme: give --model MODEL (e.g. A1700-16TOU)\n");
        return PMU_EXIT_USAGE;
    }
    int rc = model_load(a, a->model, m);
    if (rc == PMU_EXIT_DATA)
        fprintf(stderr, "pmu scheme: no model file in %s names model %s\n", models_dir(a), a->model);
    return rc;
}

/* Against the live meter: what pmu program --check reads and prints
 * (docs/programming.md). */
static int diff_meter(const struct args *a)
{
    if (a->n_pos != 1 || is_file(a->pos[0])) {
        fprintf(stderr, "pmu scheme diff --meter: give a stored scheme NAME (pmu scheme import FILE first)\n");
        return PMU_EXIT_USAGE;
    }
    char version[16];
    char *argv[10] = {"program", (char *)a->meter, "--scheme", a->pos[0], "--check"};
    int argc = 5;
    if (a->version > 0) {
        snprintf(version, sizeof version, "%d", a->version);
        argv[argc++] = "--version";
        argv[argc++] = version;
    }
    if (a->db != NULL) {
        argv[argc++] = "--db";
        argv[argc++] = (char *)a->db;
    }
    argv[argc] = NULL;
    return pmu_cmd_program(argc, argv);
}

static int cmd_diff(const struct args *a)
{
    if (a->meter != NULL)
        return diff_meter(a);
    bool against_meter = a->readback != NULL;
    if ((against_meter && a->n_pos != 1) || (!against_meter && a->n_pos != 3)) {
        fputs(scheme_usage, stderr);
        return PMU_EXIT_USAGE;
    }
    struct pmu_store *store = NULL;
    char *ta = NULL, *tb = NULL;
    struct pmu_scheme *sa = NULL, *sb = NULL;
    int va, vb, rc;
    struct model m = {0};
    if (against_meter) {
        if ((rc = need_model(a, &m)) == PMU_EXIT_OK &&
            (rc = load_scheme(a, "scheme diff", &store, a->pos[0], a->version, &ta, &sa, &va)) == PMU_EXIT_OK &&
            (rc = for_model(sa, a->model)) == PMU_EXIT_OK)
            rc = meter_view(a, sa, &m, &sb);
    } else {
        int v1 = atoi(a->pos[1]), v2 = atoi(a->pos[2]);
        if (v1 <= 0 || v2 <= 0) {
            fprintf(stderr, "pmu scheme diff: versions are numbers 1, 2, ...\n");
            return PMU_EXIT_USAGE;
        }
        if ((rc = load_scheme(a, "scheme diff", &store, a->pos[0], v1, &ta, &sa, &va)) == PMU_EXIT_OK)
            rc = load_scheme(a, "scheme diff", &store, a->pos[0], v2, &tb, &sb, &vb);
    }
    if (rc == PMU_EXIT_OK) {
        struct diff_out d = {0, a->json ? json_array() : NULL};
        long n = pmu_scheme_diff(sa, sb, against_meter, print_diff, &d);
        if (n < 0) {
            fprintf(stderr, "pmu scheme diff: out of memory\n");
            json_decref(d.json);
            rc = PMU_EXIT_FAILURE;
        } else if (d.json != NULL) {
            rc = print_json(d.json);
            if (rc == PMU_EXIT_OK && n > 0)
                rc = PMU_EXIT_DATA;
        } else if (n == 0) {
            printf(against_meter ? "the meter holds the scheme\n" : "no differences\n");
        } else {
            rc = PMU_EXIT_DATA;
        }
    }
    pmu_scheme_free(sa);
    pmu_scheme_free(sb);
    free(ta);
    free(tb);
    model_free(&m);
    if (store != NULL)
        pmu_store_close(store);
    return rc;
}

static int cmd_compile(const struct args *a)
{
    if (a->n_pos != 1) {
        fputs(scheme_usage, stderr);
        return PMU_EXIT_USAGE;
    }
    struct model m = {0};
    struct pmu_store *store = NULL;
    char *text = NULL;
    struct pmu_scheme *s = NULL;
    int version;
    int rc = need_model(a, &m);
    if (rc == PMU_EXIT_OK)
        rc = load_scheme(a, "scheme compile", &store, a->pos[0], a->version, &text, &s, &version);
    if (rc == PMU_EXIT_OK)
        rc = for_model(s, a->model);
    if (rc == PMU_EXIT_OK) {
        struct reporter r = {a->pos[0], 0};
        if (pmu_scheme_check(s, &m.caps, report, &r) > 0) {
            rc = PMU_EXIT_DATA;
        } else {
            struct pmu_scheme_items items;
            struct pmu_error err;
            enum pmu_status st = pmu_scheme_compile(s, &m.caps, &items, &err);
            if (st == PMU_OK) {
                printf("# %s for %s: %zu writes\n", s->name, m.caps.model, items.n);
                st = pmu_scheme_items_write(&items, stdout, &err);
                pmu_scheme_items_free(&items);
            }
            if (st != PMU_OK)
                rc = pmu_cli_fail("scheme compile", st, &err);
        }
    }
    pmu_scheme_free(s);
    free(text);
    model_free(&m);
    if (store != NULL)
        pmu_store_close(store);
    return rc;
}

int pmu_cmd_scheme(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(scheme_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PMU_EXIT_USAGE : PMU_EXIT_OK;
    }
    const char *sub = argv[1];
    struct args a;
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    if (strcmp(sub, "validate") == 0)
        return cmd_validate(&a);
    if (strcmp(sub, "import") == 0)
        return cmd_import(&a);
    if (strcmp(sub, "list") == 0)
        return cmd_list(&a);
    if (strcmp(sub, "history") == 0)
        return cmd_history(&a);
    if (strcmp(sub, "show") == 0)
        return cmd_show(&a);
    if (strcmp(sub, "diff") == 0)
        return cmd_diff(&a);
    if (strcmp(sub, "compile") == 0)
        return cmd_compile(&a);
    fprintf(stderr, "pmu scheme: unknown command '%s'\n", sub);
    fputs(scheme_usage, stderr);
    return PMU_EXIT_USAGE;
}
