/* Users, levels, the vault and the audit trail through the real `pmu`, on SQLite files
 * in a fresh directory:
 *   - the first administrator, and what is refused before and without a login
 *   - the role matrix: every command that touches the store x every level, allowed
 *     (its usual exit code) or denied (exit 4, saying who, what and which level)
 *   - the vault: a meter password known to the test is found in no output, no trace
 *     and no database file, and pmu read --meter uses it
 *   - pmu audit verify after each kind of tampering names the first broken entry
 * test_cli_security PMU PMU-SIM WORK-DIR CASE (one CTest test per case, so they run
 * side by side). */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/simproc.h"

static const char *pmu, *sim_bin, *dir;
/* Set for runs whose code paths other runs already leak-check: an ASan build's leak
 * check at exit costs more than the command itself. */
static bool skip_leak_check;
static char out[1 << 17];

/* Runs `pmu ARGS` in dir as user `as` (NULL: no user), stderr joined to stdout. */
static int run_as(const char *as, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run_as(const char *as, const char *fmt, ...)
{
    char args[2048], cmd[4096], who[128] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    if (as != NULL)
        snprintf(who, sizeof who, "PMU_USER='%s' PMU_USER_PASSWORD='pw-%s'", as, as);
    snprintf(cmd, sizeof cmd, "cd '%s' && env -u PMU_USER -u PMU_USER_PASSWORD -u PMU_METER_PASSWORD %s %s "
                              "PMU_DB=cli.db '%s' %s 2>&1 </dev/null", dir, who,
             skip_leak_check ? "ASAN_OPTIONS=detect_leaks=0" : "", pmu, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define ADMIN "ad"

static void write_file(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void must(int rc, int want, const char *what)
{
    if (rc != want)
        fail_msg("%s: exit %d, want %d:\n%s", what, rc, want, out);
}

static int setup(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        return -1;
    const char *users[] = {"ro", "rd", "pg", "ad", "spare"};
    for (size_t i = 0; i < 5; i++) {
        char name[32], text[32];
        snprintf(name, sizeof name, "pw-%s.txt", users[i]);
        snprintf(text, sizeof text, "pw-%s\n", users[i]);
        write_file(name, text);
    }
    return 0;
}

/* The first administrator, then one user per level and some meter list to act on. */
static int setup_users(void **state)
{
    if (setup(state) != 0)
        return -1;
    if (run_as(NULL, "user add ad --level administrator --password-file pw-ad.txt --cost minimal") != 0)
        return -1;
    const char *users[][2] = {{"ro", "read-only"}, {"rd", "reader"}, {"pg", "programmer"}, {"spare", "reader"}};
    for (size_t i = 0; i < 4; i++)
        if (run_as(ADMIN, "user add %s --level %s --password-file pw-%s.txt --cost minimal", users[i][0],
                   users[i][1], users[i][0]) != 0)
            return -1;
    write_file("m.csv", "serial,path\nM1,tcp:127.0.0.1:1\n");
    write_file("mpw.txt", "m3ter-pw\n");
    if (run_as(ADMIN, "meter add M1 --path tcp:127.0.0.1:1?retries=0") != 0 ||
        run_as(ADMIN, "site add S1") != 0 || run_as(ADMIN, "group add G1") != 0)
        return -1;
    return 0;
}

/* ---- the first administrator, and refusals ---------------------------------------------- */

static void test_bootstrap(void **state)
{
    (void)state;
    must(run_as(NULL, "meter list"), 4, "meter list on an empty database");
    assert_non_null(strstr(out, "no users yet"));
    must(run_as(NULL, "user add bob --level reader --password-file pw-rd.txt --cost minimal"), 4,
         "a first user that is not an administrator");
    assert_non_null(strstr(out, "the first one must be an administrator"));
    must(run_as(NULL, "user add ad --level administrator --password-file pw-ad.txt --cost minimal"), 0,
         "the first administrator");
    assert_non_null(strstr(out, "created the key file"));
    char key[1024];
    snprintf(key, sizeof key, "%s/cli.db.key", dir);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* from now on: who is asking, with which password */
    must(run_as(NULL, "user add x --level reader --password-file pw-rd.txt"), 4, "a second add without a login");
    assert_non_null(strstr(out, "Set PMU_USER"));
    must(run_as(NULL, "meter list"), 4, "no user");
    must(run_as("ad", "meter list"), 0, "the administrator");
    must(run_as("nobody", "meter list"), 4, "an unknown user");
    assert_non_null(strstr(out, "unknown user or wrong password"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && PMU_USER=ad PMU_USER_PASSWORD=wrong PMU_DB=cli.db '%s' meter list 2>&1", dir,
             pmu);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    assert_int_equal(WEXITSTATUS(pclose(p)), 4);
    assert_non_null(strstr(out, "unknown user or wrong password"));
    /* the password from a file (PMU_USER_PASSWORD_FILE) */
    snprintf(cmd, sizeof cmd, "cd '%s' && env -u PMU_USER_PASSWORD PMU_USER=ad PMU_USER_PASSWORD_FILE=pw-ad.txt "
                              "PMU_DB=cli.db '%s' meter list >/dev/null 2>&1", dir, pmu);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    /* a disabled user is refused, and says so */
    must(run_as("ad", "user add spare --level reader --password-file pw-spare.txt --cost minimal"), 0, "add spare");
    must(run_as("ad", "user disable spare"), 0, "disable");
    must(run_as("spare", "meter list"), 4, "disabled user");
    assert_non_null(strstr(out, "disabled"));
    must(run_as("ad", "user enable spare"), 0, "enable");
    must(run_as("spare", "meter list"), 0, "enabled again");
    must(run_as("ad", "user disable ad"), 1, "disabling oneself");
    /* a key file others may read is refused, with the fix */
    chmod(key, 0644);
    must(run_as("ad", "site add X"), 1, "key readable by others");
    assert_non_null(strstr(out, "chmod 600"));
    chmod(key, 0600);
    /* refusals are in the trail */
    must(run_as("ad", "audit list --user nobody"), 0, "audit list");
    assert_non_null(strstr(out, "auth.failed"));
    must(run_as("ad", "audit verify"), 0, "audit verify");
    assert_non_null(strstr(out, "audit trail intact"));
}

/* ---- the role matrix ---------------------------------------------------------------------- */

enum { RO = 1, RD, PG, AD };

static const struct row {
    const char *command;           /* %s: the acting user's name, where names must differ */
    int level;                     /* least level that may */
    const char *prepare;           /* run first as administrator so the command can succeed */
    int allowed_rc;                /* exit status when allowed */
    const char *rule;              /* the name in the denial */
} matrix[] = {
    {"meter list", RO, NULL, 0, "meter list"},
    {"meter show M1", RO, NULL, 0, "meter show"},
    {"meter export", RO, NULL, 0, "meter export"},
    {"site list", RO, NULL, 0, "site list"},
    {"site show S1", RO, NULL, 0, "site show"},
    {"group list", RO, NULL, 0, "group list"},
    {"group show G1", RO, NULL, 0, "group show"},
    {"history M1", RO, NULL, 0, "history"},
    {"profile M1", RO, NULL, 0, "profile"},
    {"export --format csv", RO, NULL, 0, "export"},
    {"audit list", RO, NULL, 0, "audit list"},
    {"audit show 1", RO, NULL, 0, "audit show"},
    {"audit verify", RO, NULL, 0, "audit verify"},
    {"user passwd --password-file pw-%s.txt --cost minimal", RO, NULL, 0, "user passwd"},
    {"read --meter M1", RD, NULL, 1, "read"},                        /* allowed; nobody answers */
    {"meter passwd M1 --password-file mpw.txt", PG, NULL, 0, "meter passwd"},
    {"write --meter M1 --set-clock --password 00000000", PG, NULL, 1, "write"},  /* allowed; nobody answers */
    {"program M1 --scheme no-such-scheme", PG, NULL, 1, "program"},            /* allowed; no such scheme */
    {"program --status M1", RO, NULL, 1, "program status"},                     /* allowed; no run yet */
    {"program M1 --scheme no-such-scheme --dry-run", RD, NULL, 1, "program dry-run"}, /* allowed; no scheme */
    {"meter channel M1 1.5 --pulse 2", PG, NULL, 1, "meter channel"},  /* allowed; no such channel */
    {"meter add MX-%s --path tcp:127.0.0.1:1", AD, NULL, 0, "meter add"},
    {"meter edit M1 --notes cabinet", AD, NULL, 0, "meter edit"},
    {"meter rm MX", AD, "meter add MX", 0, "meter rm"},
    {"meter import m.csv --update", AD, NULL, 0, "meter import"},
    {"site add SX-%s", AD, NULL, 0, "site add"},
    {"site edit S1 --notes yard", AD, NULL, 0, "site edit"},
    {"site rm SX", AD, "site add SX", 0, "site rm"},
    {"group add GX-%s", AD, NULL, 0, "group add"},
    {"group rm GX", AD, "group add GX", 0, "group rm"},
    {"group add-member G1 M1", AD, "group rm-member G1 M1", 0, "group add-member"},
    {"group rm-member G1 M1", AD, "group add-member G1 M1", 0, "group rm-member"},
    {"user add new-%s --level reader --password-file pw-spare.txt --cost minimal", AD, NULL, 0, "user add"},
    {"user list", AD, NULL, 0, "user list"},
    {"user disable spare", AD, "user enable spare", 0, "user disable"},
    {"user enable spare", AD, "user disable spare", 0, "user enable"},
    {"user level spare reader", AD, NULL, 0, "user level"},
    {"user passwd spare --password-file pw-spare.txt --cost minimal", AD, NULL, 0, "another user's password"},
};

/* The row's command with %s replaced by the user's name. */
static void expand(const char *templ, const char *name, char *buf, size_t size)
{
    const char *at = strstr(templ, "%s");
    if (at == NULL)
        snprintf(buf, size, "%s", templ);
    else
        snprintf(buf, size, "%.*s%s%s", (int)(at - templ), templ, name, at + 2);
}

static void test_role_matrix(void **state)
{
    (void)state;
    static const struct {
        const char *name, *level;
        int rank;
    } users[] = {{"ro", "read-only", RO}, {"rd", "reader", RD}, {"pg", "programmer", PG}, {"ad", "administrator", AD}};
    static const char *const level_names[] = {"", "read-only", "reader", "programmer", "administrator"};
    for (size_t r = 0; r < sizeof matrix / sizeof matrix[0]; r++) {
        for (size_t u = 0; u < 4; u++) {
            char command[256], what[400];
            expand(matrix[r].command, users[u].name, command, sizeof command);
            snprintf(what, sizeof what, "'%s' as %s (%s)", command, users[u].name, users[u].level);
            if (matrix[r].prepare != NULL && users[u].rank >= matrix[r].level) /* refused before it matters */
                run_as(ADMIN, "%s", matrix[r].prepare);
            /* the same gate for every row: leak-check each row's first run and first allowed run */
            skip_leak_check = u > 0 && users[u].rank != matrix[r].level;
            int rc = run_as(users[u].name, "%s", command);
            skip_leak_check = false;
            if (users[u].rank >= matrix[r].level) {
                must(rc, matrix[r].allowed_rc, what);
                if (strstr(out, "denied") != NULL)
                    fail_msg("%s: allowed, but says denied:\n%s", what, out);
                continue;
            }
            must(rc, 4, what);
            char who[128], needs[128];
            snprintf(who, sizeof who, "user '%s' is %s;", users[u].name, users[u].level);
            snprintf(needs, sizeof needs, "%s needs %s", matrix[r].rule, level_names[matrix[r].level]);
            if (strstr(out, "denied: ") == NULL || strstr(out, who) == NULL || strstr(out, needs) == NULL)
                fail_msg("%s: the refusal should say '%s ... %s':\n%s", what, who, needs, out);
        }
    }
    /* every refusal is in the audit trail, and the trail is whole */
    must(run_as(ADMIN, "audit list --user ro"), 0, "audit list --user ro");
    size_t denials = 0;
    for (const char *p = out; (p = strstr(p, "access.denied")) != NULL; p++)
        denials++;
    size_t want = 0;
    for (size_t r = 0; r < sizeof matrix / sizeof matrix[0]; r++)
        want += matrix[r].level > RO;
    assert_int_equal(denials, want);
    must(run_as(ADMIN, "audit verify"), 0, "audit verify");
    /* changes are there with who made them */
    must(run_as(ADMIN, "audit list --meter M1"), 0, "audit list --meter M1");
    assert_non_null(strstr(out, "meter.password.set"));
    assert_non_null(strstr(out, "meter.edit"));
    assert_non_null(strstr(out, "group.add-member"));
}

/* ---- the vault ------------------------------------------------------------------------------ */

static const char meter_password[] = "Vq8#kT2m";
static struct simproc sp;
static bool sim_running;

static int stop_sim(void **state)
{
    (void)state;
    if (sim_running)
        simproc_stop(&sp);
    sim_running = false;
    return 0;
}

/* Whether the password is anywhere in the file. */
static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, n, needle, strlen(needle)) != NULL;
}

static void test_vault(void **state)
{
    (void)state;
    char *argv[] = {(char *)sim_bin, "--tcp", "1", "--password", (char *)meter_password, NULL};
    assert_int_equal(simproc_start(&sp, argv, 10), 0);
    sim_running = true;
    char pwfile[40];
    snprintf(pwfile, sizeof pwfile, "meter.pw");
    char line[64];
    snprintf(line, sizeof line, "%s\n", meter_password);
    write_file(pwfile, line);
    static char all[1 << 20];
    size_t n_all = 0;
#define RUN(want, ...)                                                            \
    do {                                                                          \
        must(run_as(ADMIN, __VA_ARGS__), (want), #__VA_ARGS__);                   \
        size_t n_ = strlen(out);                                                  \
        if (n_all + n_ < sizeof all) {                                            \
            memcpy(all + n_all, out, n_);                                         \
            n_all += n_;                                                          \
        }                                                                         \
    } while (0)
    const char *serial = sp.meters[0].serial;
    RUN(0, "meter add %s --path '%s' --password-file meter.pw", serial, sp.meters[0].path);
    RUN(0, "meter add OTHER --path '%s'", sp.meters[0].path);
    RUN(0, "meter show %s", serial);
    assert_non_null(strstr(out, "password      set (in the vault)"));
    RUN(0, "meter show OTHER");
    assert_non_null(strstr(out, "password      not set"));
    RUN(0, "meter show %s --json", serial);
    RUN(0, "meter list --json");
    RUN(0, "meter export");
    /* a read with the programming-mode password only the vault holds */
    RUN(1, "read --meter OTHER --obis 1.8.0 --trace other.trace");
    RUN(0, "read --meter %s --obis 1.8.0 --json --trace read.trace", serial);
    assert_true(strstr(out, "\"ok\":true") != NULL || strstr(out, "\"ok\": true") != NULL);
    RUN(0, "history %s --json", serial);
    RUN(0, "meter passwd %s --password-file meter.pw", serial);
    RUN(0, "read --meter %s --obis 1.8.0 --trace read2.trace", serial);
    RUN(0, "meter edit OTHER --password-file meter.pw");
    RUN(0, "read --meter OTHER --obis 1.8.0");        /* now it has one too */
    RUN(0, "meter edit %s --notes moved --serial %s-B", serial, serial);
    RUN(0, "read --meter %s-B --obis 1.8.0", serial);  /* the password went with the rename */
    RUN(0, "audit list --json");
    RUN(0, "audit show 3");
    RUN(0, "audit verify");
    stop_sim(NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/meter.pw", dir);
    unlink(path);
    all[n_all] = '\0';
    assert_null(memmem(all, n_all, meter_password, strlen(meter_password)));
    /* and in no file the commands left: database (with WAL), traces, key */
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (file_has(path, meter_password))
            fail_msg("the meter password is in %s", path);
        files++;
    }
    closedir(d);
    assert_true(files >= 4);
    snprintf(path, sizeof path, "%s/read.trace", dir);
    assert_true(file_has(path, "R1"));        /* the trace is there, and has the exchange */
    assert_true(file_has(path, "P1"));
}

/* ---- tampering ------------------------------------------------------------------------------ */

/* Runs SQL on database `name` in dir, as someone with access to the file would. */
static void sql(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg);
    sqlite3_close(db);
}

/* Each kind of tampering on its own copy of the database (and key) that setup_users
 * left: 8 entries (bootstrap, 4 users, meter, site, group). */
static void test_tampering(void **state)
{
    (void)state;
    static const struct {
        const char *name, *tamper, *want;
        bool stops_changes;        /* the trail's end no longer matches its anchor */
    } kinds[] = {
        {"edit", "UPDATE audit_log SET detail = 'nothing' WHERE seq = 6", "entry 6: its contents", false},
        {"delete", "DELETE FROM audit_log WHERE seq = 4", "entry 4: missing (deleted)", false},
        {"reorder",
         "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3;"
         " UPDATE audit_log SET seq = 3 WHERE seq = -1",
         "entry 2: does not link to entry 1", false},
        {"truncate", "DELETE FROM audit_log WHERE seq >= 7", "entry 7: missing (cut off)", true},
        {"anchor", "DELETE FROM audit_log WHERE seq = 8; UPDATE audit_anchor SET entries = 7,"
                   " head_hash = (SELECT hash FROM audit_log WHERE seq = 7)",
         "MAC does not match", true},
    };
    must(run_as(ADMIN, "audit verify"), 0, "audit verify before");
    assert_non_null(strstr(out, "intact: 8 entries"));
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char cmd[2048], db[64];
        snprintf(db, sizeof db, "%s.db", kinds[i].name);
        snprintf(cmd, sizeof cmd, "cd '%s' && cp -p cli.db %s && cp -p cli.db.key %s.key", dir, db, db);
        assert_int_equal(system(cmd), 0);
        sql(db, kinds[i].tamper);
        int rc = run_as(ADMIN, "audit verify --db %s", db);
        if (rc != 1 || strstr(out, kinds[i].want) == NULL)
            fail_msg("after %s, verify should exit 1 saying '%s', got %d:\n%s", kinds[i].name, kinds[i].want, rc,
                     out);
        if (!kinds[i].stops_changes)
            continue;
        /* nothing more is changed on top of a cut or forged trail */
        must(run_as(ADMIN, "site add Late --db %s", db), 1, "a change after tampering");
        assert_non_null(strstr(out, "nothing changed"));
        must(run_as(ADMIN, "site show Late --db %s", db), 1, "the site that was refused");
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_cli_security PMU PMU-SIM WORK-DIR bootstrap|matrix|vault|tampering\n");
        return 2;
    }
    pmu = argv[1];
    sim_bin = argv[2];
    static char work[1024];
    snprintf(work, sizeof work, "%s/%s", argv[3], argv[4]);
    dir = work;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bootstrap, setup),
        cmocka_unit_test_setup(test_role_matrix, setup_users),
        cmocka_unit_test_setup_teardown(test_vault, setup_users, stop_sim),
        cmocka_unit_test_setup(test_tampering, setup_users),
    };
    static const char *const cases[] = {"bootstrap", "matrix", "vault", "tampering"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(argv[4], cases[i]) == 0)
            return _cmocka_run_group_tests(cases[i], &tests[i], 1, NULL, NULL);
    fprintf(stderr, "test_cli_security: no case '%s'\n", argv[4]);
    return 2;
}
