/* pmu program: brings a stored meter to a stored scheme version. Reads what the meter
 * holds of every item of the compiled scheme, shows the field-level changes, writes
 * the items that differ, reads each back, and keeps a programming run in the store
 * (docs/programming.md) so that what was and was not written survives a failure and
 * a re-run completes the job. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "cli.h"
#include "elster_cli.h"
#include "pmu/engine.h"
#include "pmu/scheme.h"
#include "pmu/security.h"
#include "pmu/store.h"

#ifndef PMU_MODELS_DEFAULT
#define PMU_MODELS_DEFAULT "models"
#endif

static const char program_usage[] =
    "usage: pmu program SERIAL --scheme NAME [--version N] [--dry-run] [--trace FILE] [--db CONN]\n"
    "       pmu program --status SERIAL [--run ID] [--db CONN]\n"
    "\n"
    "Programs a meter of the meter list with a stored scheme (docs/programming.md): reads\n"
    "what the meter holds of every item of the scheme, prints the changes, writes the items\n"
    "that differ, reads each back and compares, and records the run in the store.\n"
    "\n"
    "  --scheme NAME   the stored scheme (pmu scheme import); --version N a version (latest)\n"
    "  --dry-run       read the meter and print the changes; write nothing, record no run\n"
    "                  (a read: the reader level is enough)\n"
    "  --check         as --dry-run, exit status 1 when the meter does not hold the scheme\n"
    "  --status SERIAL the meter's last programming run, item by item (--run ID: that run)\n"
    "  --trace FILE    timestamped hex dump of the sessions, passwords masked\n"
    "\n"
    "The meter password comes from the vault (pmu meter passwd), else PMU_METER_PASSWORD.\n"
    "Needs the programmer level. Exit status: 0 every item verified, 1 an item was not\n"
    "(the record and the message say which), 2 usage, 3 could not run, 4 denied.\n";

struct program_args {
    const char *serial, *scheme, *db, *trace, *status;
    int version;
    int64_t run;
    bool dry_run, check;
};

/* One item of the compiled scheme and what became of it. */
struct item_state {
    bool differs;         /* to be written */
    bool has_before, has_after;
    uint8_t before[PMU_ELSTER_WRITE_MAX], after[PMU_ELSTER_WRITE_MAX];
    size_t before_len, after_len;
    const char *status;   /* as stored: pending, unchanged, written, verified, mismatch, refused */
    char message[160];
    bool settled;         /* the write's verdict is in (and in the store) */
};

struct job {
    const struct program_args *a;
    struct pmu_store *store;
    struct pmu_cli_actor actor;
    struct pmu_meter_record meter;
    struct pmu_scheme *scheme;
    int version;
    struct pmu_elster_model *models;
    size_t n_models;
    const struct pmu_elster_model *model;  /* NULL for a generic IEC meter (W1 by address) */
    struct pmu_scheme_caps caps;
    struct pmu_scheme_items items;
    struct item_state *state;
    char password[PMU_PASSWORD_MAX];
    struct pmu_path path;
    FILE *trace;
    /* the session in flight */
    struct pmu_elster_write *writes;
    struct pmu_iec_write *iec_writes;   /* generic meters: the writes, or */
    const char **codes;                 /* the R1 reads of what the meter holds */
    size_t n_codes;
    size_t *write_item;   /* item index of each write */
    size_t n_writes;
    enum pmu_status session_status;
    struct pmu_error session_error;
    int64_t run;          /* the programming run in the store; 0 for a dry run */
};

static int parse_args(int argc, char **argv, struct program_args *a)
{
    static const struct option opts[] = {
        {"scheme", required_argument, NULL, 's'}, {"version", required_argument, NULL, 'v'},
        {"dry-run", no_argument, NULL, 'n'},      {"status", required_argument, NULL, 'S'},
        {"run", required_argument, NULL, 'r'},    {"trace", required_argument, NULL, 't'},
        {"db", required_argument, NULL, 'd'},     {"help", no_argument, NULL, 'h'},
        {"check", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* glibc: start afresh (pmu scheme diff --meter comes here after its own parse) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->scheme = optarg; break;
        case 'v': a->version = atoi(optarg); break;
        case 'n': a->dry_run = true; break;
        case 'c': a->dry_run = a->check = true; break;
        case 'S': a->status = optarg; break;
        case 'r': a->run = atoll(optarg); break;
        case 't': a->trace = optarg; break;
        case 'd': a->db = optarg; break;
        case 'h': fputs(program_usage, stdout); return -1;
        default: fputs(program_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    if (a->status != NULL)
        return optind == argc ? PMU_EXIT_OK : (fputs(program_usage, stderr), PMU_EXIT_USAGE);
    if (optind + 1 != argc || a->scheme == NULL || a->version < 0) {
        fprintf(stderr, "pmu program: give one meter SERIAL and --scheme NAME\n");
        return PMU_EXIT_USAGE;
    }
    a->serial = argv[optind];
    return PMU_EXIT_OK;
}

/* ---- --status ------------------------------------------------------------------------ */

static int show_status(const struct program_args *a)
{
    struct pmu_store *store;
    int rc = pmu_cli_open_gated("program status", a->db, &store);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_program_run_record r;
    struct pmu_program_item_record *items;
    size_t n;
    bool found;
    struct pmu_error err;
    enum pmu_status st = pmu_store_program_get(store, a->status, a->run, &r, &items, &n, &found, &err);
    pmu_store_close(store);
    if (st != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    if (!found) {
        fprintf(stderr, "pmu program: meter %s has no programming run%s\n", a->status, a->run ? " of that id" : "");
        return PMU_EXIT_DATA;
    }
    printf("run %lld: meter %s, scheme %s version %d, by %s\n", (long long)r.id, r.meter, r.scheme, r.version,
           r.actor);
    printf("  started %s, ended %s, outcome %s%s%s\n", r.started_at, r.ended_at[0] ? r.ended_at : "-", r.outcome,
           r.message[0] ? ": " : "", r.message);
    if (r.resumes != 0)
        printf("  completes run %lld\n", (long long)r.resumes);
    for (size_t i = 0; i < n; i++)
        printf("  %3d %-8s %-28s %-9s %s\n", items[i].position, items[i].item, items[i].what, items[i].status,
               items[i].message);
    free(items);
    return strcmp(r.outcome, "verified") == 0 ? PMU_EXIT_OK : PMU_EXIT_DATA;
}

/* ---- the meter, the scheme, the model ---------------------------------------------------- */

/* A generic IEC model file (dir/generic/ *.json) naming model. */
static bool generic_model(const char *models_dir, const char *model, struct pmu_scheme_caps *caps)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/generic", models_dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *text = pmu_cli_read_file(path, &len);
        struct pmu_error err;
        found = text != NULL && pmu_scheme_caps_load((const char *)text, len, caps, &err) == PMU_OK &&
                strcasecmp(caps->model, model) == 0;
        free(text);
    }
    closedir(d);
    return found;
}

static int load_job(struct job *j)
{
    const struct program_args *a = j->a;
    struct pmu_error err;
    enum pmu_status st = pmu_store_meter_get(j->store, a->serial, &j->meter, &err);
    if (st != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    char *text = NULL;
    j->version = a->version;
    if ((st = pmu_store_scheme_get(j->store, a->scheme, &j->version, &text, &err)) != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    st = pmu_scheme_parse(text, strlen(text), &j->scheme, NULL, NULL, &err);
    free(text);
    if (st != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    snprintf(j->scheme->name, sizeof j->scheme->name, "%s", a->scheme);
    if (j->meter.model[0] == '\0') {
        fprintf(stderr, "pmu program: meter %s has no model in the meter list: pmu meter edit %s --model M\n",
                j->meter.serial, j->meter.serial);
        return PMU_EXIT_DATA;
    }
    bool listed = false;
    for (size_t i = 0; i < j->scheme->n_models; i++)
        listed = listed || strcasecmp(j->scheme->models[i], j->meter.model) == 0;
    if (!listed) {
        fprintf(stderr, "pmu program: scheme %s is not for model %s (meter %s): its models are", a->scheme,
                j->meter.model, j->meter.serial);
        for (size_t i = 0; i < j->scheme->n_models; i++)
            fprintf(stderr, " %s", j->scheme->models[i]);
        fprintf(stderr, "\n");
        return PMU_EXIT_DATA;
    }
    const char *dir = getenv("PMU_MODELS_DIR");
    if (pmu_elster_models_load_dir(dir && dir[0] ? dir : PMU_MODELS_DEFAULT, &j->models, &j->n_models, &err) !=
        PMU_OK) {
        fprintf(stderr, "pmu program: %s\n", err.message);
        return PMU_EXIT_FAILURE;
    }
    for (size_t i = 0; i < j->n_models; i++)
        if (strcasecmp(j->models[i].name, j->meter.model) == 0)
            j->model = &j->models[i];
    if (j->model != NULL)
        pmu_scheme_caps_from_elster(j->model, &j->caps);
    else if (!generic_model(dir && dir[0] ? dir : PMU_MODELS_DEFAULT, j->meter.model, &j->caps)) {
        fprintf(stderr, "pmu program: no model file in %s names model %s (meter %s)\n",
                dir && dir[0] ? dir : PMU_MODELS_DEFAULT, j->meter.model, j->meter.serial);
        return PMU_EXIT_DATA;
    }
    size_t problems = pmu_scheme_check(j->scheme, &j->caps, NULL, NULL);
    if (problems > 0) {
        fprintf(stderr, "pmu program: scheme %s version %d has %zu problems for model %s: pmu scheme validate\n",
                a->scheme, j->version, problems, j->caps.model);
        return PMU_EXIT_DATA;
    }
    if ((st = pmu_scheme_compile(j->scheme, &j->caps, &j->items, &err)) != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    j->state = calloc(j->items.n ? j->items.n : 1, sizeof *j->state);
    j->writes = calloc(j->items.n ? j->items.n : 1, sizeof *j->writes);
    j->write_item = calloc(j->items.n ? j->items.n : 1, sizeof *j->write_item);
    j->iec_writes = calloc(j->items.n ? j->items.n : 1, sizeof *j->iec_writes);
    j->codes = calloc(j->items.n ? j->items.n : 1, sizeof *j->codes);
    if (j->state == NULL || j->writes == NULL || j->write_item == NULL || j->iec_writes == NULL ||
        j->codes == NULL) {
        fprintf(stderr, "pmu program: out of memory\n");
        return PMU_EXIT_FAILURE;
    }
    for (size_t i = 0; i < j->items.n; i++)
        j->state[i].status = "pending";
    /* the password: the vault, else the environment; never printed */
    bool found = false;
    if ((st = pmu_meter_password_get(j->store, j->actor.has_key ? &j->actor.key : NULL, j->meter.serial,
                                     j->password, &found, &err)) != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    if (found && !j->actor.has_key) {
        fprintf(stderr, "pmu program: meter %s has its password in the vault, but the key is not at hand "
                        "(PMU_KEY_FILE or PMU_KEY; docs/security.md)\n", j->meter.serial);
        return PMU_EXIT_FAILURE;
    }
    const char *env = getenv("PMU_METER_PASSWORD");
    if (!found && env != NULL && strlen(env) < sizeof j->password)
        snprintf(j->password, sizeof j->password, "%s", env);
    if (j->model != NULL && strlen(j->password) != PMU_ELSTER_PASSWORD_LEN) {
        fprintf(stderr, "pmu program: meter %s needs its 8-character password: pmu meter passwd %s (or "
                        "PMU_METER_PASSWORD)\n", j->meter.serial, j->meter.serial);
        return PMU_EXIT_USAGE;
    }
    if (j->meter.path[0] == '\0' || pmu_path_parse(j->meter.path, &j->path, &err) != PMU_OK) {
        fprintf(stderr, "pmu program: meter %s: comms path '%s': %s\n", j->meter.serial, j->meter.path,
                j->meter.path[0] ? err.message : "none: pmu meter edit SERIAL --path ...");
        return PMU_EXIT_DATA;
    }
    if (j->meter.address[0] && !j->path.address[0])
        snprintf(j->path.address, sizeof j->path.address, "%s", j->meter.address);
    return PMU_EXIT_OK;
}

/* ---- sessions ---------------------------------------------------------------------------- */

/* A write's verdict, into the item's state and, as soon as it is known, the store:
 * a pmu killed midway leaves every item it saw confirmed on record. */
static void take_write(struct job *j, size_t w, const struct pmu_elster_write_result *wr)
{
    struct item_state *is = &j->state[j->write_item[w]];
    if (j->writes[w].read_only) {
        if ((is->has_before = wr->has_before)) {
            memcpy(is->before, wr->before, wr->before_len);
            is->before_len = wr->before_len;
        }
        return;
    }
    if (is->settled || wr->verdict == PMU_ELSTER_WRITE_PENDING)
        return;
    if ((is->has_after = wr->has_after)) {
        memcpy(is->after, wr->after, wr->after_len);
        is->after_len = wr->after_len;
    }
    switch (wr->verdict) {
    case PMU_ELSTER_WRITE_VERIFIED: is->status = "verified"; break;
    case PMU_ELSTER_WRITE_ACCEPTED: is->status = "written"; break;
    case PMU_ELSTER_WRITE_MISMATCH: is->status = "mismatch"; break;
    case PMU_ELSTER_WRITE_REFUSED: is->status = "refused"; break;
    case PMU_ELSTER_WRITE_PENDING: break;
    }
    snprintf(is->message, sizeof is->message, "%s", wr->message);
    is->settled = true;
    struct pmu_error err;
    if (j->run != 0 &&
        pmu_store_program_item(j->store, j->run, (int)j->write_item[w], is->status, is->message, &err) != PMU_OK)
        fprintf(stderr, "pmu program: recording item %zu: %s\n", j->write_item[w], err.message);
}

/* The same for a generic meter's W1 write. */
static void take_iec_write(struct job *j, size_t w, const struct pmu_iec_write_result *wr)
{
    struct item_state *is = &j->state[j->write_item[w]];
    if (is->settled || wr->verdict == PMU_IEC_WRITE_PENDING)
        return;
    struct pmu_elster_write_result as = {.has_after = wr->has_after, .after_len = strlen(wr->after)};
    memcpy(as.after, wr->after, as.after_len);
    snprintf(as.message, sizeof as.message, "%s", wr->message);
    as.verdict = (enum pmu_elster_verdict)wr->verdict; /* the same meanings, in the same order */
    take_write(j, w, &as);
}

/* What a generic meter answered to the R1 reads. */
static void take_readings(struct job *j, const struct pmu_readout *r)
{
    for (size_t k = 0; k < r->n_records; k++)
        for (size_t i = 0; i < j->items.n; i++) {
            struct item_state *is = &j->state[i];
            if (strcmp(j->items.items[i].address, r->records[k].address) != 0)
                continue;
            /* the value as the meter sent it: a '*' in it (an OBIS code) parses as a unit */
            const struct pmu_value *v = r->records[k].n_values > 0 ? &r->records[k].values[0] : NULL;
            int len = snprintf((char *)is->before, sizeof is->before, "%s%s%s", v ? v->text : "",
                               v && v->unit ? "*" : "", v && v->unit ? v->unit : "");
            if (len < 0 || (size_t)len >= sizeof is->before)
                continue;
            is->before_len = (size_t)len;
            is->has_before = true;
        }
}

static void on_progress(void *user, const struct pmu_session *s)
{
    struct job *j = user;
    if (j->model == NULL) {
        /* a write's verdict is final once the session has moved past it */
        for (size_t w = 0; w < s->n_writes && w < j->n_writes && w < s->next_write && j->n_codes == 0; w++)
            take_iec_write(j, w, &s->writes[w]);
        return;
    }
    if (s->elster == NULL)
        return;
    const struct pmu_elster_result *r = &s->elster->result;
    for (size_t w = 0; w < r->n_writes && w < j->n_writes; w++)
        if (!j->writes[w].read_only)
            take_write(j, w, &r->writes[w]);
}

static void on_done(void *user, struct pmu_session *s)
{
    struct job *j = user;
    j->session_status = s->status;
    j->session_error = s->error;
    if (j->model == NULL) {
        if (j->n_codes > 0)
            take_readings(j, &s->result);
        for (size_t w = 0; w < s->n_writes && w < j->n_writes && j->n_codes == 0; w++)
            take_iec_write(j, w, &s->writes[w]);
        return;
    }
    if (s->elster == NULL)
        return;
    const struct pmu_elster_result *r = &s->elster->result;
    for (size_t w = 0; w < r->n_writes && w < j->n_writes; w++)
        take_write(j, w, &r->writes[w]);
}

/* Runs one session with j->writes[0..n_writes). */
static int run_session(struct job *j)
{
    struct pmu_elster_plan plan = {.models = j->models, .n_models = j->n_models, .password = j->password,
                                   .writes = j->writes, .n_writes = j->n_writes};
    struct pmu_read_request req = {.password = j->password, .elster = j->model != NULL ? &plan : NULL};
    if (j->model == NULL) {
        req.codes = j->n_codes > 0 ? j->codes : NULL;
        req.n_codes = j->n_codes;
        req.writes = j->n_codes > 0 ? NULL : j->iec_writes;
        req.n_writes = j->n_codes > 0 ? 0 : j->n_writes;
    }
    struct pmu_engine_options eo = {.max_parallel = 1, .trace = j->trace, .progress = on_progress};
    struct pmu_error err;
    struct pmu_engine *e = pmu_engine_new(&eo, &err);
    j->session_status = PMU_E_IO;
    snprintf(j->session_error.message, sizeof j->session_error.message, "the session did not run");
    int rc = PMU_EXIT_OK;
    if (e == NULL || pmu_engine_add(e, &j->path, &req, on_done, j, &err) != PMU_OK ||
        pmu_engine_run(e, &err) != PMU_OK) {
        fprintf(stderr, "pmu program: %s\n", err.message);
        rc = PMU_EXIT_FAILURE;
    }
    pmu_engine_free(e);
    return rc;
}

/* The compiled item's bytes as the meter holds them: text padded with spaces. */
static bool item_equal(const struct job *j, const struct pmu_scheme_item *it, const uint8_t *p, size_t len)
{
    if (j->model == NULL)
        return strlen(it->value) == len && memcmp(it->value, p, len) == 0;
    const struct pmu_elster_identity *id = pmu_elster_model_identity(j->model, it->id);
    if (id != NULL && id->encoding == PMU_ELSTER_ENC_ASCII && it->len <= len) {
        for (size_t k = it->len; k < len; k++)
            if (p[k] != ' ')
                return false;
        return memcmp(it->data, p, it->len) == 0;
    }
    return it->len == len && memcmp(it->data, p, len) == 0;
}

/* An item with what the meter holds: Elster bytes or a generic value. */
static void put_value(const struct job *j, struct pmu_scheme_item *it, const uint8_t *p, size_t len)
{
    if (j->model == NULL) {
        if (len >= sizeof it->value)
            len = sizeof it->value - 1;
        memcpy(it->value, p, len);
        it->value[len] = '\0';
        return;
    }
    it->len = len;
    memcpy(it->data, p, len);
}

/* SHA-256 of an item list with the given bytes (the meter's before or after). */
static void items_digest(const struct job *j, bool after, char out[PMU_DIGEST_HEX])
{
    struct pmu_scheme_items l = j->items;
    struct pmu_scheme_item *copy = calloc(l.n ? l.n : 1, sizeof *copy);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (copy != NULL && f != NULL) {
        for (size_t i = 0; i < l.n; i++) {
            copy[i] = l.items[i];
            const struct item_state *s = &j->state[i];
            bool use_after = after && s->has_after;
            put_value(j, &copy[i], use_after ? s->after : s->before,
                      use_after ? s->after_len : s->has_before ? s->before_len : 0);
        }
        l.items = copy;
        struct pmu_error err;
        pmu_scheme_items_write(&l, f, &err);
    }
    if (f != NULL)
        fclose(f);
    pmu_audit_digest(text != NULL ? text : "", text != NULL ? len : 0, out);
    free(text);
    free(copy);
}

static void print_change(void *user, const char *path, const char *old_value, const char *new_value)
{
    (void)user;
    if (old_value == NULL)
        printf("  + %s: %s\n", path, new_value);
    else if (new_value == NULL)
        printf("  - %s: %s\n", path, old_value);
    else
        printf("  ~ %s: %s -> %s\n", path, old_value, new_value);
}

/* The field-level changes from what the meter holds to the scheme. */
static void show_changes(const struct job *j)
{
    struct pmu_scheme_items back = j->items;
    struct pmu_scheme_item *copy = calloc(back.n ? back.n : 1, sizeof *copy);
    if (copy == NULL)
        return;
    size_t n = 0;
    for (size_t i = 0; i < back.n; i++)
        if (j->state[i].has_before) {
            copy[n] = back.items[i];
            put_value(j, &copy[n++], j->state[i].before, j->state[i].before_len);
        }
    back.items = copy;
    back.n = n;
    struct pmu_scheme *held = NULL;
    struct pmu_error err;
    printf("Changes to meter %s (scheme %s version %d):\n", j->meter.serial, j->a->scheme, j->version);
    if (pmu_scheme_decode(&back, &j->caps, j->scheme, &held, &err) != PMU_OK)
        printf("  (what the meter holds does not decode as a scheme: %s)\n", err.message);
    else if (pmu_scheme_diff(held, j->scheme, true, print_change, NULL) == 0)
        printf("  none: the meter holds the scheme\n");
    pmu_scheme_free(held);
    free(copy);
}

/* Written with nothing to read back: Elster 934, generic 128.0.1 (an empty value). */
static bool is_action(const struct job *j, const struct pmu_scheme_item *it)
{
    return it->action || (j->model == NULL && it->value[0] == '\0');
}

/* ---- the run ------------------------------------------------------------------------------- */

static const char *item_key(const struct pmu_scheme_item *it, char *buf, size_t size)
{
    if (it->address[0] != '\0')
        snprintf(buf, size, "%s", it->address);
    else if (it->set != 0)
        snprintf(buf, size, "%03u.%u", it->id, it->set);
    else
        snprintf(buf, size, "%03u", it->id);
    return buf;
}

/* An earlier run of this scheme version left unfinished: the items it did not
 * confirm. Actions (934) cannot be read back, so only the record knows whether one
 * still has to be sent. */
static int64_t unfinished_run(struct job *j, bool **unconfirmed)
{
    struct pmu_program_run_record r;
    struct pmu_program_item_record *items;
    size_t n;
    bool found;
    struct pmu_error err;
    *unconfirmed = NULL;
    if (pmu_store_program_get(j->store, j->meter.serial, 0, &r, &items, &n, &found, &err) != PMU_OK || !found)
        return 0;
    int64_t id = 0;
    if (strcmp(r.outcome, "verified") != 0) {
        if (strcmp(r.scheme, j->a->scheme) != 0 || r.version != j->version) {
            printf("Run %lld (scheme %s version %d) was left %s; this run replaces it\n", (long long)r.id, r.scheme,
                   r.version, r.outcome);
        } else {
            size_t done = 0;
            *unconfirmed = calloc(j->items.n ? j->items.n : 1, sizeof **unconfirmed);
            for (size_t i = 0; i < n; i++) {
                bool confirmed = strcmp(items[i].status, "verified") == 0 ||
                                 strcmp(items[i].status, "unchanged") == 0 || strcmp(items[i].status, "written") == 0;
                done += confirmed;
                if (*unconfirmed != NULL && !confirmed && items[i].position >= 0 &&
                    (size_t)items[i].position < j->items.n)
                    (*unconfirmed)[items[i].position] = true;
            }
            printf("Completing run %lld of %s (%s): %zu of %zu items were confirmed; reading the meter for the "
                   "rest\n", (long long)r.id, r.started_at, r.outcome, done, n);
            id = r.id;
        }
    }
    free(items);
    return id;
}

static int store_items(struct job *j, int64_t run)
{
    struct pmu_error err;
    for (size_t i = 0; i < j->items.n; i++) {
        enum pmu_status st =
            pmu_store_program_item(j->store, run, (int)i, j->state[i].status, j->state[i].message, &err);
        if (st != PMU_OK)
            return pmu_cli_fail("program", st, &err);
    }
    return PMU_EXIT_OK;
}

static int begin_run(struct job *j, int64_t resumes, int64_t *run)
{
    struct pmu_program_run_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.meter, sizeof r.meter, "%s", j->meter.serial);
    snprintf(r.scheme, sizeof r.scheme, "%s", j->a->scheme);
    snprintf(r.actor, sizeof r.actor, "%s", j->actor.user.name);
    r.version = j->version;
    r.resumes = resumes;
    struct pmu_program_item_record *items = calloc(j->items.n ? j->items.n : 1, sizeof *items);
    if (items == NULL)
        return PMU_EXIT_FAILURE;
    char key[32];
    for (size_t i = 0; i < j->items.n; i++) {
        items[i].position = (int)i;
        snprintf(items[i].item, sizeof items[i].item, "%s", item_key(&j->items.items[i], key, sizeof key));
        snprintf(items[i].what, sizeof items[i].what, "%s", j->items.items[i].what);
        snprintf(items[i].status, sizeof items[i].status, "%s", j->state[i].status);
    }
    struct pmu_error err;
    enum pmu_status st = pmu_store_program_begin(j->store, &r, items, j->items.n, &err);
    free(items);
    if (st != PMU_OK)
        return pmu_cli_fail("program", st, &err);
    *run = r.id;
    return PMU_EXIT_OK;
}

/* Ends the run in the store and the audit trail; prints what was and was not done. */
static int end_run(struct job *j, int64_t run, bool session_ok)
{
    size_t verified = 0, unchanged = 0, failed = 0;
    for (size_t i = 0; i < j->items.n; i++) {
        const char *s = j->state[i].status;
        if (strcmp(s, "unchanged") == 0)
            unchanged++;
        else if (strcmp(s, "verified") == 0 || strcmp(s, "written") == 0)
            verified++;
        else
            failed++;
    }
    bool ok = failed == 0; /* every item confirmed: a line lost at the sign-off does not matter */
    char msg[512];
    if (ok)
        snprintf(msg, sizeof msg, "%zu written and verified, %zu already held", verified, unchanged);
    else
        snprintf(msg, sizeof msg, "%zu written and verified, %zu already held, %zu not written or not verified%s%s",
                 verified, unchanged, failed, session_ok ? "" : ": ", session_ok ? "" : j->session_error.message);
    int rc = store_items(j, run);
    struct pmu_error err;
    enum pmu_status st = pmu_store_program_end(j->store, run, ok ? "verified" : "failed", msg, &err);
    if (st != PMU_OK && rc == PMU_EXIT_OK)
        rc = pmu_cli_fail("program", st, &err);
    char before[PMU_DIGEST_HEX], after[PMU_DIGEST_HEX], version[96], detail[640];
    items_digest(j, false, before);
    items_digest(j, true, after);
    snprintf(version, sizeof version, "%s v%d", j->a->scheme, j->version);
    snprintf(detail, sizeof detail, "run %lld %s: %s", (long long)run, ok ? "verified" : "failed", msg);
    struct pmu_audit_record ar = {j->actor.user.name, "program", j->meter.serial, version, before, after, detail};
    if (pmu_audit_append(j->store, &j->actor.key, &ar, NULL, &err) != PMU_OK) {
        fprintf(stderr, "pmu program: cannot write the audit entry: %s\n", err.message);
        rc = PMU_EXIT_FAILURE;
    }
    printf("\nItems\n");
    for (size_t i = 0; i < j->items.n; i++) {
        char key[32];
        printf("  %-8s %-28s %s%s%s\n", item_key(&j->items.items[i], key, sizeof key), j->items.items[i].what,
               j->state[i].status, j->state[i].message[0] ? ": " : "", j->state[i].message);
    }
    if (ok) {
        printf("\nmeter %s holds scheme %s version %d: %s (run %lld)\n", j->meter.serial, j->a->scheme, j->version,
               msg, (long long)run);
        return rc;
    }
    fprintf(stderr, "pmu program: meter %s is NOT fully programmed (run %lld): %s\n", j->meter.serial,
            (long long)run, msg);
    fprintf(stderr, "  not written or not verified:");
    for (size_t i = 0; i < j->items.n; i++) {
        const char *s = j->state[i].status;
        if (strcmp(s, "unchanged") != 0 && strcmp(s, "verified") != 0 && strcmp(s, "written") != 0)
            fprintf(stderr, " %s(%s)", j->items.items[i].what, s);
    }
    fprintf(stderr, "\n  run `pmu program %s --scheme %s --version %d` again to complete it\n", j->meter.serial,
            j->a->scheme, j->version);
    return rc == PMU_EXIT_OK ? PMU_EXIT_DATA : rc;
}

static int program(struct job *j)
{
    const struct program_args *a = j->a;
    int rc;
    bool *unconfirmed = NULL;
    int64_t resumes = a->dry_run ? 0 : unfinished_run(j, &unconfirmed);
    int64_t run = 0;
    if (!a->dry_run && (rc = begin_run(j, resumes, &run)) != PMU_EXIT_OK) {
        free(unconfirmed);
        return rc;
    }
    j->run = run;
    /* 1: what the meter holds */
    j->n_writes = j->n_codes = 0;
    for (size_t i = 0; i < j->items.n && j->model == NULL; i++)
        if (!is_action(j, &j->items.items[i]))
            j->codes[j->n_codes++] = j->items.items[i].address;
    for (size_t i = 0; i < j->items.n && j->model != NULL; i++) {
        const struct pmu_scheme_item *it = &j->items.items[i];
        struct pmu_elster_write *w = &j->writes[j->n_writes];
        memset(w, 0, sizeof *w);
        *w = (struct pmu_elster_write){.id = it->id, .set = it->set, .data = it->data, .len = it->len,
                                       .read_only = true};
        j->write_item[j->n_writes++] = i;
    }
    if ((rc = run_session(j)) != PMU_EXIT_OK || j->session_status != PMU_OK) {
        fprintf(stderr, "pmu program: meter %s: reading it failed: %s\n", j->meter.serial,
                j->session_error.message);
        free(unconfirmed);
        return a->dry_run ? (rc ? rc : PMU_EXIT_DATA) : end_run(j, run, false);
    }
    /* 2: the changes; which items to write */
    show_changes(j);
    size_t to_write = 0;
    bool any_before = false;
    for (size_t i = 0; i < j->items.n; i++) {
        const struct pmu_scheme_item *it = &j->items.items[i];
        struct item_state *s = &j->state[i];
        if (is_action(j, it)) /* after any table it activates, or when a run before did not confirm it */
            s->differs = any_before || (unconfirmed != NULL && unconfirmed[i]);
        else
            s->differs = !s->has_before || !item_equal(j, it, s->before, s->before_len);
        any_before = any_before || s->differs;
        s->status = s->differs ? "pending" : "unchanged";
        to_write += s->differs;
    }
    free(unconfirmed);
    printf("%zu of %zu items to write", to_write, j->items.n);
    char key[32];
    for (size_t i = 0; i < j->items.n; i++)
        if (j->state[i].differs)
            printf(" %s", item_key(&j->items.items[i], key, sizeof key));
    printf("\n");
    if (a->dry_run) {
        printf("dry run: nothing written\n");
        return a->check && to_write > 0 ? PMU_EXIT_DATA : PMU_EXIT_OK;
    }
    if ((rc = store_items(j, run)) != PMU_EXIT_OK)
        return rc;
    /* 3: write what differs, each read back */
    j->n_writes = j->n_codes = 0;
    for (size_t i = 0; i < j->items.n; i++) {
        const struct pmu_scheme_item *it = &j->items.items[i];
        if (!j->state[i].differs)
            continue;
        j->iec_writes[j->n_writes] = (struct pmu_iec_write){.address = it->address, .value = it->value,
                                                            .verify = !is_action(j, it)};
        j->writes[j->n_writes] = (struct pmu_elster_write){.id = it->id, .set = it->set, .data = it->data,
                                                           .len = it->len, .verify = !is_action(j, it)};
        j->write_item[j->n_writes++] = i;
    }
    bool session_ok = true;
    if (j->n_writes > 0) {
        rc = run_session(j);
        session_ok = rc == PMU_EXIT_OK && j->session_status == PMU_OK;
    }
    return end_run(j, run, session_ok);
}

int pmu_cmd_program(int argc, char **argv)
{
    static struct program_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != PMU_EXIT_OK)
        return rc < 0 ? PMU_EXIT_OK : rc;
    if (a.status != NULL)
        return show_status(&a);
    static struct job j;
    memset(&j, 0, sizeof j);
    j.a = &a;
    if ((rc = pmu_cli_open_store("program", a.db, &j.store)) != PMU_EXIT_OK)
        return rc;
    if ((rc = pmu_cli_gate(j.store, a.db, a.dry_run ? "program dry-run" : "program", &j.actor)) == PMU_EXIT_OK &&
        (rc = load_job(&j)) == PMU_EXIT_OK) {
        if (a.trace != NULL && (j.trace = fopen(a.trace, "w")) == NULL) {
            fprintf(stderr, "pmu program: cannot write the trace %s: %s\n", a.trace, strerror(errno));
            rc = PMU_EXIT_FAILURE;
        } else {
            rc = program(&j);
        }
    }
    if (j.trace != NULL)
        fclose(j.trace);
    sodium_memzero(j.password, sizeof j.password);
    pmu_cli_actor_done(&j.actor);
    pmu_scheme_items_free(&j.items);
    pmu_scheme_free(j.scheme);
    pmu_elster_models_free(j.models, j.n_models);
    free(j.state);
    free(j.writes);
    free(j.write_item);
    free(j.iec_writes);
    free(j.codes);
    pmu_store_close(j.store);
    return rc;
}
