/* pmu's access gate: the rule table (which level each command needs), how a user
 * proves who they are, the key, and the audit entries of changes and refusals. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "access.h"
#include "cli.h"

/* Every command that touches the store, and the least level it needs. Commands of
 * other modules join with one row. `changes` marks the audited commands (changes to
 * meters, schemes, users, the meter list): they need the key and a whole audit trail
 * before they change anything. */
static const struct rule {
    const char *command;
    enum pmu_level level;
    bool changes;
} rules[] = {
    {"meter list", PMU_LEVEL_READ_ONLY, false},
    {"meter show", PMU_LEVEL_READ_ONLY, false},
    {"meter export", PMU_LEVEL_READ_ONLY, false},
    {"site list", PMU_LEVEL_READ_ONLY, false},
    {"site show", PMU_LEVEL_READ_ONLY, false},
    {"group list", PMU_LEVEL_READ_ONLY, false},
    {"group show", PMU_LEVEL_READ_ONLY, false},
    {"history", PMU_LEVEL_READ_ONLY, false},
    {"profile", PMU_LEVEL_READ_ONLY, false},
    {"export", PMU_LEVEL_READ_ONLY, false},
    {"audit list", PMU_LEVEL_READ_ONLY, false},
    {"audit show", PMU_LEVEL_READ_ONLY, false},
    {"audit verify", PMU_LEVEL_READ_ONLY, false},
    {"user passwd", PMU_LEVEL_READ_ONLY, true},     /* one's own; another's needs administrator */
    {"read", PMU_LEVEL_READER, false},              /* --meter/--group: stores readings (not audited) */
    {"meter passwd", PMU_LEVEL_PROGRAMMER, true},
    {"meter channel", PMU_LEVEL_PROGRAMMER, true},
    {"write", PMU_LEVEL_PROGRAMMER, true},
    {"program", PMU_LEVEL_PROGRAMMER, true},
    {"program status", PMU_LEVEL_READ_ONLY, false},
    {"program dry-run", PMU_LEVEL_READER, false},   /* reads the meter, changes nothing */
    {"clock set", PMU_LEVEL_PROGRAMMER, true},
    {"billing reset", PMU_LEVEL_PROGRAMMER, true},
    {"scheme list", PMU_LEVEL_READ_ONLY, false},
    {"scheme show", PMU_LEVEL_READ_ONLY, false},
    {"scheme history", PMU_LEVEL_READ_ONLY, false},
    {"scheme diff", PMU_LEVEL_READ_ONLY, false},
    {"scheme compile", PMU_LEVEL_READ_ONLY, false},
    {"scheme import", PMU_LEVEL_PROGRAMMER, true},
    {"scheme rm", PMU_LEVEL_PROGRAMMER, true},
    {"meter add", PMU_LEVEL_ADMINISTRATOR, true},
    {"meter edit", PMU_LEVEL_ADMINISTRATOR, true},
    {"meter rm", PMU_LEVEL_ADMINISTRATOR, true},
    {"meter import", PMU_LEVEL_ADMINISTRATOR, true},
    {"site add", PMU_LEVEL_ADMINISTRATOR, true},
    {"site edit", PMU_LEVEL_ADMINISTRATOR, true},
    {"site rm", PMU_LEVEL_ADMINISTRATOR, true},
    {"group add", PMU_LEVEL_ADMINISTRATOR, true},
    {"group rm", PMU_LEVEL_ADMINISTRATOR, true},
    {"group add-member", PMU_LEVEL_ADMINISTRATOR, true},
    {"group rm-member", PMU_LEVEL_ADMINISTRATOR, true},
    {"user add", PMU_LEVEL_ADMINISTRATOR, true},
    {"user list", PMU_LEVEL_ADMINISTRATOR, false},
    {"user disable", PMU_LEVEL_ADMINISTRATOR, true},
    {"user enable", PMU_LEVEL_ADMINISTRATOR, true},
    {"user level", PMU_LEVEL_ADMINISTRATOR, true},
};

static const struct rule *find_rule(const char *command)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].command, command) == 0)
            return &rules[i];
    return NULL;
}

/* The key without a word said: for refusals, which must not fail for want of it. */
static enum pmu_status find_key(const char *db_option, bool create, struct pmu_key *key, bool *created,
                                const char **where, struct pmu_error *err)
{
    static char path[1024];
    const char *hex = getenv("PMU_KEY"), *file = getenv("PMU_KEY_FILE");
    *created = false;
    if (hex != NULL && hex[0] != '\0') {
        *where = "PMU_KEY";
        return pmu_key_parse(hex, key, err);
    }
    if (file != NULL && file[0] != '\0')
        snprintf(path, sizeof path, "%s", file);
    else
        pmu_key_default_path(pmu_cli_db(db_option), path, sizeof path);
    *where = path;
    return pmu_key_load(path, create, key, created, err);
}

int pmu_cli_load_key(const char *cmd, const char *db_option, bool create, struct pmu_key *key)
{
    struct pmu_error err;
    bool created;
    const char *where;
    enum pmu_status status = find_key(db_option, create, key, &created, &where, &err);
    if (status != PMU_OK) {
        fprintf(stderr, "pmu %s: %s%s%s\n", cmd, strcmp(where, "PMU_KEY") == 0 ? "PMU_KEY: " : "", err.message,
                status == PMU_E_IO ? " (every change is audited, and the audit trail needs the key)" : "");
        return pmu_cli_exit_code(status);
    }
    if (created)
        fprintf(stderr, "pmu %s: created the key file %s (mode 0600): keep it, and a copy somewhere safe; "
                        "without it stored meter passwords cannot be opened nor the audit trail checked\n",
                cmd, where);
    return PMU_EXIT_OK;
}

int pmu_cli_audit(struct pmu_store *s, const struct pmu_cli_actor *actor, const char *action, const char *meter,
                  const char *before_digest, const char *after_digest, const char *detail)
{
    struct pmu_audit_record r = {actor->user.name, action, meter, NULL, before_digest, after_digest, detail};
    struct pmu_error err;
    if (!actor->has_key) {
        fprintf(stderr, "pmu: %s was done but not audited: the key is not at hand\n", action);
        return PMU_EXIT_FAILURE;
    }
    enum pmu_status status = pmu_audit_append(s, &actor->key, &r, NULL, &err);
    if (status != PMU_OK) {
        fprintf(stderr, "pmu: %s: cannot write the audit entry: %s\n", action, err.message);
        return PMU_EXIT_FAILURE;
    }
    return PMU_EXIT_OK;
}

void pmu_cli_actor_done(struct pmu_cli_actor *actor)
{
    pmu_key_wipe(&actor->key);
    actor->has_key = false;
}

/* A refusal: said on stderr, and kept in the audit trail when the key is at hand (a
 * refusal must not fail for want of it). */
static int deny(struct pmu_store *s, const char *db_option, const char *command, const char *who, const char *action,
                const char *fmt, ...) PMU_PRINTF(6, 7);
static int deny(struct pmu_store *s, const char *db_option, const char *command, const char *who, const char *action,
                const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pmu %s: denied: %s\n", command, msg);
    struct pmu_key key;
    struct pmu_error err;
    bool created;
    const char *where;
    if (find_key(db_option, false, &key, &created, &where, &err) == PMU_OK) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s: %s", command, msg);
        struct pmu_audit_record r = {who, action, NULL, NULL, NULL, NULL, detail};
        if (pmu_audit_append(s, &key, &r, NULL, &err) != PMU_OK)
            fprintf(stderr, "pmu %s: the refusal was not audited: %s\n", command, err.message);
        pmu_key_wipe(&key);
    }
    return PMU_EXIT_DENIED;
}

/* The acting user's password: PMU_USER_PASSWORD, the file PMU_USER_PASSWORD_FILE,
 * else asked on the terminal. */
static int user_password(const char *command, const char *name, char out[PMU_PASSWORD_MAX])
{
    const char *env = getenv("PMU_USER_PASSWORD"), *file = getenv("PMU_USER_PASSWORD_FILE");
    if (env != NULL) {
        if (strlen(env) >= PMU_PASSWORD_MAX) {
            fprintf(stderr, "pmu %s: PMU_USER_PASSWORD is too long\n", command);
            return PMU_EXIT_USAGE;
        }
        strcpy(out, env);
        return PMU_EXIT_OK;
    }
    char prompt[128];
    snprintf(prompt, sizeof prompt, "password for %s: ", name);
    return pmu_cli_read_secret(command, prompt, file != NULL && file[0] != '\0' ? file : NULL, false, false, out);
}

int pmu_cli_gate(struct pmu_store *s, const char *db_option, const char *command, struct pmu_cli_actor *actor)
{
    memset(actor, 0, sizeof *actor);
    const struct rule *rule = find_rule(command);
    const char *name = getenv("PMU_USER");
    const char *who = name != NULL && name[0] != '\0' ? name : "(nobody)";
    if (rule == NULL)
        return deny(s, db_option, command, who, "access.denied", "no access rule for '%s'", command);
    struct pmu_error err;
    size_t n_users = 0;
    enum pmu_status status = pmu_store_user_count(s, &n_users, &err);
    if (status != PMU_OK)
        return pmu_cli_fail(command, status, &err);
    if (n_users == 0) {
        fprintf(stderr, "pmu %s: denied: the database has no users yet: create the first administrator with "
                        "`pmu user add NAME --level administrator`, then set PMU_USER\n",
                command);
        return PMU_EXIT_DENIED;
    }
    if (name == NULL || name[0] == '\0') {
        fprintf(stderr, "pmu %s: denied: who is asking? Set PMU_USER to your user name (the password comes from "
                        "PMU_USER_PASSWORD, PMU_USER_PASSWORD_FILE or the terminal); it needs %s\n",
                command, pmu_level_name(rule->level));
        return PMU_EXIT_DENIED;
    }
    char password[PMU_PASSWORD_MAX];
    int rc = user_password(command, name, password);
    if (rc != PMU_EXIT_OK)
        return rc;
    status = pmu_user_authenticate(s, name, password, &actor->user, &err);
    memset(password, 0, sizeof password);
    if (status == PMU_E_REFUSED)
        return deny(s, db_option, command, name, "auth.failed", "%s", err.message);
    if (status != PMU_OK)
        return pmu_cli_fail(command, status, &err);
    if (actor->user.level < rule->level)
        return deny(s, db_option, command, name, "access.denied", "user '%s' is %s; %s needs %s", name,
                    pmu_level_name(actor->user.level), command, pmu_level_name(rule->level));
    /* changes leave an audit entry: have the key before anything changes */
    if (rule->changes) {
        if ((rc = pmu_cli_load_key(command, db_option, false, &actor->key)) != PMU_EXIT_OK)
            return rc;
        actor->has_key = true;
        /* a change whose audit entry could not be written must not happen */
        if ((status = pmu_audit_ready(s, &actor->key, &err)) != PMU_OK) {
            fprintf(stderr, "pmu %s: nothing changed: %s\n", command, err.message);
            return pmu_cli_exit_code(status);
        }
    } else {
        bool created;
        const char *where;
        actor->has_key = find_key(db_option, false, &actor->key, &created, &where, &err) == PMU_OK;
    }
    return PMU_EXIT_OK;
}

int pmu_cli_open_gated(const char *command, const char *db_option, struct pmu_store **out)
{
    int rc = pmu_cli_open_store(command, db_option, out);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_cli_actor actor;
    rc = pmu_cli_gate(*out, db_option, command, &actor);
    pmu_cli_actor_done(&actor);
    if (rc != PMU_EXIT_OK) {
        pmu_store_close(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- secrets from outside argv --------------------------------------------------- */

static bool read_line(FILE *f, char out[PMU_PASSWORD_MAX])
{
    if (fgets(out, PMU_PASSWORD_MAX, f) == NULL)
        return false;
    out[strcspn(out, "\r\n")] = '\0';
    return true;
}

static bool ask(FILE *tty, const char *prompt, char out[PMU_PASSWORD_MAX])
{
    struct termios old, quiet;
    int fd = fileno(tty);
    fputs(prompt, tty);
    fflush(tty);
    bool echo_off = tcgetattr(fd, &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    bool ok = read_line(tty, out);
    if (echo_off)
        tcsetattr(fd, TCSAFLUSH, &old);
    fputc('\n', tty);
    return ok;
}

int pmu_cli_read_secret(const char *cmd, const char *prompt, const char *file, bool from_stdin, bool confirm,
                        char out[PMU_PASSWORD_MAX])
{
    out[0] = '\0';
    bool ok;
    if (file != NULL || from_stdin) {
        FILE *f = from_stdin ? stdin : fopen(file, "r");
        if (f == NULL) {
            fprintf(stderr, "pmu %s: cannot open %s: %s\n", cmd, file, strerror(errno));
            return PMU_EXIT_FAILURE;
        }
        ok = read_line(f, out);
        if (f != stdin)
            fclose(f);
    } else {
        FILE *tty = fopen("/dev/tty", "r+");
        if (tty == NULL) {
            fprintf(stderr, "pmu %s: no terminal to ask for the password: set it in a file "
                            "(see docs/security.md)\n",
                    cmd);
            return PMU_EXIT_USAGE;
        }
        ok = ask(tty, prompt, out);
        if (ok && confirm) {
            char again[PMU_PASSWORD_MAX];
            ok = ask(tty, "again: ", again);
            if (ok && strcmp(again, out) != 0) {
                fclose(tty);
                memset(again, 0, sizeof again);
                fprintf(stderr, "pmu %s: the two passwords differ\n", cmd);
                return PMU_EXIT_DATA;
            }
            memset(again, 0, sizeof again);
        }
        fclose(tty);
    }
    if (!ok || out[0] == '\0') {
        fprintf(stderr, "pmu %s: no password given (an empty line)\n", cmd);
        return PMU_EXIT_DATA;
    }
    return PMU_EXIT_OK;
}

void pmu_cli_meter_digest(const struct pmu_meter_record *m, char out[PMU_DIGEST_HEX])
{
    char text[4096];
    int n = snprintf(text, sizeof text, "serial=%s\nmake=%s\nmodel=%s\nsite=%s\npath=%s\naddress=%s\n"
                                        "password_ref=%s\nct=%s\nvt=%s\nscheme=%s\nnotes=%s\n",
                     m->serial, m->make, m->model, m->site, m->path, m->address, m->password_ref, m->ct, m->vt,
                     m->scheme, m->notes);
    pmu_audit_digest(text, n > 0 && (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, out);
}
