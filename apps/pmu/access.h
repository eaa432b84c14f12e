/* pmu's access gate: who runs a command (PMU_USER and a password), whether their
 * level allows it (one rule table, access.c), the database's key, and the audit
 * entry a change leaves. docs/security.md describes it for users. */
#ifndef PMU_APP_ACCESS_H
#define PMU_APP_ACCESS_H

#include <stdbool.h>

#include "pmu/security.h"
#include "pmu/store.h"

struct pmu_cli_actor {
    struct pmu_user_record user;   /* who is acting */
    bool has_key;                  /* key loaded (always for commands that change things) */
    struct pmu_key key;
};

/* The one gate every store command passes, with one line:
 *     if ((rc = pmu_cli_gate(store, db_option, "meter add", &actor)) != PMU_EXIT_OK) ...
 * command names a rule of the table in access.c (a command without a rule is
 * refused). Authenticates the user, checks the level, loads the key. A refusal is
 * printed (who, which command, which level it needs), audited when the key is at
 * hand, and returns PMU_EXIT_DENIED. */
int pmu_cli_gate(struct pmu_store *s, const char *db_option, const char *command, struct pmu_cli_actor *actor);

/* pmu_cli_open_store, then the gate for `command`, for commands that only look:
 * the store is closed again when the gate refuses. */
int pmu_cli_open_gated(const char *command, const char *db_option, struct pmu_store **out);

/* The database's key: PMU_KEY (hex), else the file PMU_KEY_FILE, else the default
 * beside the database (pmu_key_default_path). Prints why on failure. */
int pmu_cli_load_key(const char *cmd, const char *db_option, bool create, struct pmu_key *key);

/* Appends an audit entry for a change the actor made. Prints the reason and returns
 * PMU_EXIT_FAILURE when it cannot be written. Strings may be NULL. */
int pmu_cli_audit(struct pmu_store *s, const struct pmu_cli_actor *actor, const char *action, const char *meter,
                  const char *before_digest, const char *after_digest, const char *detail);

/* Wipes the key. */
void pmu_cli_actor_done(struct pmu_cli_actor *actor);

/* Reads a secret without it ever being in argv: the first line of file (when not
 * NULL), of standard input (from_stdin), else from the terminal with echo off
 * (asked twice when confirm). Prints why on failure and returns an exit code. */
int pmu_cli_read_secret(const char *cmd, const char *prompt, const char *file, bool from_stdin, bool confirm,
                        char out[PMU_PASSWORD_MAX]);

/* SHA-256 of a meter record's fields (what the meter list says about it), hex. */
void pmu_cli_meter_digest(const struct pmu_meter_record *m, char out[PMU_DIGEST_HEX]);

#endif
