/* pmu-sim: plays IEC 62056-21 meters on pseudo-terminals and TCP ports, and Hayes
 * modems and X.28 PADs in front of meters that have no port of their own.
 * docs/simulator.md is the contract; this file only turns options into lines. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "line.h"
#include "pmu/elster.h"
#include "pmu/sim.h"
#include "remote.h"

/* How the meters of a group are reached. */
enum via { VIA_PORT, VIA_MODEM, VIA_PAD };

#define MAX_DEVICES 1000u

/* A group of modems or PADs. */
struct device_group {
    unsigned count;
    enum pmu_sim_transport transport;
    struct pmu_sim_call_config cfg;
};

/* What is not in the fleet struct: the devices, and how each group is reached. */
struct remote_plan {
    size_t n_devices;
    struct device_group devices[64];
    size_t n_via_lines;
    size_t via_lines[1024];        /* fleet-file lines of kind dial or nua ... */
    enum via via_kinds[1024];      /* ... and which */
    enum via *via;                 /* per fleet group */
};

struct options {
    struct pmu_sim_config cfg;     /* --mode, --baud, ... : defaults for every group */
    unsigned pty, tcp, multidrop;
    unsigned modems, pads, dial, nua;
    struct pmu_sim_call_config modem_cfg, pad_cfg;
    bool any_meters;               /* --pty, --tcp or --fleet was given */
    const char *fleet;
    bool has_time;
    int64_t time_s;
    const char *models_dir;        /* --models: Elster model files */
};

/* The Elster model files the groups use, loaded once each; they live until exit. */
struct model_files {
    size_t n;
    char names[32][PMU_SIM_MODEL_NAME_MAX + 1];
    struct pmu_elster_model models[32];
};

/* What the signal handlers need to shut down. */
struct app {
    struct sim sim;
    struct line **lines;
    size_t n_lines;
    struct remote *remote;
    uv_signal_t sigint, sigterm;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pmu-sim [OPTIONS]\n"
            "\n"
            "Simulates IEC 62056-21 meters on pseudo-terminals and TCP ports of 127.0.0.1.\n"
            "Prints \"meter <serial> <comms path>\" per meter, then \"ready\"; runs until\n"
            "SIGINT or SIGTERM. Without --pty, --tcp or --fleet: one meter on a pty.\n"
            "\n"
            "  --pty N            N meters on pseudo-terminals\n"
            "  --tcp N            N meters on TCP ports, each behind a fixed-rate gateway\n"
            "  --fleet FILE       the meters listed in FILE (see docs/simulator.md)\n"
            "  --multidrop N      meters sharing each pty or port of --pty/--tcp/--dial/--nua\n"
            "                     (default 1)\n"
            "  --modems N         N Hayes modems on pseudo-terminals (9600 baud 8N1)\n"
            "  --pads N           N X.28 PADs on pseudo-terminals (9600 baud 8N1)\n"
            "  --dial N           N meters reached by dialling through the modems\n"
            "  --nua N            N meters reached by calling their NUA through the PADs\n"
            "  --modem-faults S   call faults, e.g. busy=0.1,no_answer=0.1,no_dialtone=0.1,\n"
            "                     slow_connect=0.1,drop=0.1\n"
            "  --pad-faults S     call faults, e.g. occ=0.1,nc=0.1,der=0.1,slow_connect=0.1,\n"
            "                     drop=0.1\n"
            "  --mode A|B|C       protocol mode (default C)\n"
            "  --baud R           highest rate offered; on TCP the fixed rate (default 9600)\n"
            "  --reaction-ms MS   reaction time (default 200; below 200 the identification\n"
            "                     advertises the 20 ms reaction time)\n"
            "  --password P       programming-mode password (default 00000000); for Elster\n"
            "                     models the level 3 password (reads and writes)\n"
            "  --model NAME       generic (default) or an Elster model: a1700-16tou,\n"
            "                     a1700-32tou, a1700-32tou-5cdr, a1140, a1120\n"
            "  --models DIR       where the Elster model files NAME.json are (default\n"
            "                     $PMU_MODELS_DIR, else the source tree's models/)\n"
            "  --password1 P, --password2 P, --password4 P\n"
            "                     Elster password levels 1 (clear P1, reads), 2 (reads),\n"
            "                     4 (reads and writes); none by default\n"
            "  --password-timeout S  Elster log-in lifetime (default: the model's, 270 s)\n"
            "  --faults SPEC      faults, e.g. corrupt=0.01,drop=0.01,nak=0.05\n"
            "  --seed S           consumption seed (default 1)\n"
            "  --fault-seed S     fault seed (default 1)\n"
            "  --time T           meter clock at start, YYYY-MM-DDThh:mm:ss (default: now)\n"
            "  --help             this text\n");
}

static bool parse_count(const char *s, unsigned long max, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno != 0 || v > max)
        return false;
    *out = (unsigned long)v;
    return true;
}

static bool parse_seed(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno != 0)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* One option and its value; false with a message printed when it is wrong. */
static bool set_option(struct options *o, const char *name, const char *value)
{
    struct pmu_error e;
    unsigned long n;
    if (strcmp(name, "pty") == 0 || strcmp(name, "tcp") == 0 || strcmp(name, "dial") == 0 ||
        strcmp(name, "nua") == 0) {
        if (!parse_count(value, PMU_SIM_MAX_METERS, &n)) {
            fprintf(stderr, "pmu-sim: option '--%s': %s is not a number of 0..%u\n", name, value,
                    PMU_SIM_MAX_METERS);
            return false;
        }
        *(name[0] == 'p' ? &o->pty : name[0] == 't' ? &o->tcp : name[0] == 'd' ? &o->dial
                                                                              : &o->nua) =
            (unsigned)n;
        o->any_meters = true;
    } else if (strcmp(name, "modems") == 0 || strcmp(name, "pads") == 0) {
        if (!parse_count(value, MAX_DEVICES, &n)) {
            fprintf(stderr, "pmu-sim: option '--%s': %s is not a number of 0..%u\n", name, value,
                    MAX_DEVICES);
            return false;
        }
        *(name[0] == 'm' ? &o->modems : &o->pads) = (unsigned)n;
        o->any_meters = true;
    } else if (strcmp(name, "modem-faults") == 0 || strcmp(name, "pad-faults") == 0) {
        struct pmu_sim_call_config *c = name[0] == 'm' ? &o->modem_cfg : &o->pad_cfg;
        if (pmu_sim_call_faults_parse(c->kind, value, c->faults, &e) != PMU_OK) {
            fprintf(stderr, "pmu-sim: option '--%s': %s\n", name, e.message);
            return false;
        }
    } else if (strcmp(name, "multidrop") == 0) {
        if (!parse_count(value, PMU_SIM_MAX_MULTIDROP, &n) || n == 0) {
            fprintf(stderr, "pmu-sim: option '--multidrop': %s is not a number of 1..%d\n",
                    value, PMU_SIM_MAX_MULTIDROP);
            return false;
        }
        o->multidrop = (unsigned)n;
    } else if (strcmp(name, "fleet") == 0) {
        o->fleet = value;
        o->any_meters = true;
    } else if (strcmp(name, "seed") == 0 || strcmp(name, "fault-seed") == 0) {
        if (!parse_seed(value, name[0] == 's' ? &o->cfg.seed : &o->cfg.fault_seed)) {
            fprintf(stderr, "pmu-sim: option '--%s': %s is not a whole number\n", name, value);
            return false;
        }
    } else if (strcmp(name, "models") == 0) {
        o->models_dir = value;
    } else if (strcmp(name, "time") == 0) {
        if (pmu_sim_time_parse(value, &o->time_s, &e) != PMU_OK) {
            fprintf(stderr, "pmu-sim: option '--time': %s\n", e.message);
            return false;
        }
        o->has_time = true;
    } else {
        /* The meter options, named as in fleet files. */
        static const char *const meter_options[][2] = {
            {"mode", "mode"}, {"baud", "baud"}, {"reaction-ms", "reaction_ms"},
            {"password", "password"}, {"faults", "faults"}, {"model", "model"},
            {"password1", "password1"}, {"password2", "password2"}, {"password4", "password4"},
            {"password-timeout", "password_timeout"}};
        for (size_t i = 0; i < sizeof meter_options / sizeof meter_options[0]; i++) {
            if (strcmp(name, meter_options[i][0]) != 0)
                continue;
            if (pmu_sim_config_set(&o->cfg, meter_options[i][1], value, &e) != PMU_OK) {
                fprintf(stderr, "pmu-sim: %s\n", e.message);
                return false;
            }
            return true;
        }
        fprintf(stderr, "pmu-sim: unknown option '--%s' (see --help)\n", name);
        return false;
    }
    return true;
}

/* Returns 0 to go on, 1 after --help, 2 on a bad option. */
static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    pmu_sim_config_init(&o->cfg);
    pmu_sim_call_config_init(&o->modem_cfg, PMU_SIM_MODEM);
    pmu_sim_call_config_init(&o->pad_cfg, PMU_SIM_PAD);
    o->multidrop = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            fprintf(stderr, "pmu-sim: unexpected argument '%s' (see --help)\n", arg);
            return 2;
        }
        char name[32];
        const char *eq = strchr(arg, '='), *value;
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof name) {
            fprintf(stderr, "pmu-sim: unknown option '%s' (see --help)\n", arg);
            return 2;
        }
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "pmu-sim: option '--%s' needs a value (see --help)\n", name);
            return 2;
        }
        if (!set_option(o, name, value))
            return 2;
    }
    struct pmu_error e;
    if (pmu_sim_config_check(&o->cfg, &e) != PMU_OK) {
        fprintf(stderr, "pmu-sim: %s\n", e.message);
        return 2;
    }
    if (!o->any_meters)
        o->pty = 1;
    o->modem_cfg.fault_seed = o->pad_cfg.fault_seed = o->cfg.fault_seed;
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || ferror(f))
            break;
        char *nb = realloc(buf, cap * 2);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    bool failed = buf == NULL || ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        free(buf);
        errno = saved ? saved : ENOMEM;
        return NULL;
    }
    *len = n;
    return buf;
}

/* The next word of [*p, end): runs of bytes other than space and tab. */
static bool next_word(char **p, char *end, char **word, size_t *len)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    if (*p == end)
        return false;
    *word = *p;
    while (*p < end && **p != ' ' && **p != '\t')
        (*p)++;
    *len = (size_t)(*p - *word);
    return true;
}

static bool word_is(const char *w, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* A fleet-file line "COUNT modem|pad [port=pty|tcp] [connect_ms=MS] [faults=SPEC]". */
static bool device_line(struct remote_plan *plan, const struct options *o, char *p, char *end,
                        size_t line, enum pmu_sim_call_kind kind, unsigned count)
{
    if (plan->n_devices == sizeof plan->devices / sizeof plan->devices[0]) {
        fprintf(stderr, "pmu-sim: %s: line %zu: more than 64 lines of modems and PADs\n",
                o->fleet, line);
        return false;
    }
    struct device_group *g = &plan->devices[plan->n_devices++];
    g->count = count;
    g->transport = PMU_SIM_PTY;
    g->cfg = kind == PMU_SIM_MODEM ? o->modem_cfg : o->pad_cfg;
    char *w;
    size_t n;
    while (next_word(&p, end, &w, &n)) {
        char name[32], value[256];
        char *eq = memchr(w, '=', n);
        if (eq == NULL || eq == w || (size_t)(eq - w) >= sizeof name ||
            n - (size_t)(eq - w) > sizeof value) {
            fprintf(stderr, "pmu-sim: %s: line %zu: expected name=value, got '%.*s'\n",
                    o->fleet, line,
                    (int)n, w);
            return false;
        }
        memcpy(name, w, (size_t)(eq - w));
        name[eq - w] = '\0';
        memcpy(value, eq + 1, n - (size_t)(eq - w) - 1);
        value[n - (size_t)(eq - w) - 1] = '\0';
        struct pmu_error e;
        if (strcmp(name, "port") == 0) {
            if (strcmp(value, "pty") != 0 && strcmp(value, "tcp") != 0) {
                fprintf(stderr, "pmu-sim: %s: line %zu: option 'port': '%s' is not pty or tcp\n",
                        o->fleet, line, value);
                return false;
            }
            g->transport = value[0] == 'p' ? PMU_SIM_PTY : PMU_SIM_TCP;
        } else if (strcmp(name, "connect_ms") != 0 && strcmp(name, "faults") != 0) {
            fprintf(stderr, "pmu-sim: %s: line %zu: unknown %s option '%s': expected port, "
                    "connect_ms or faults\n", o->fleet, line,
                    kind == PMU_SIM_MODEM ? "modem" : "PAD", name);
            return false;
        } else if (pmu_sim_call_config_set(&g->cfg, name, value, &e) != PMU_OK) {
            fprintf(stderr, "pmu-sim: %s: line %zu: %s\n", o->fleet, line, e.message);
            return false;
        }
    }
    return true;
}

/* Fleet files add four kinds to pmu_sim_fleet_parse's tcp and pty: "modem" and "pad"
 * lines are devices, read here and blanked; "dial" and "nua" lines are meter groups
 * like "pty" ones, so the kind is rewritten to "pty" (same options) and the line
 * remembered. */
static bool split_fleet(char *text, size_t len, const struct options *o,
                        struct remote_plan *plan)
{
    char *p = text, *end = text + len;
    for (size_t line = 1; p < end; line++) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        char *stop = eol ? eol : end;
        char *hash = memchr(p, '#', (size_t)(stop - p));
        char *content_end = hash ? hash : stop;
        while (content_end > p && content_end[-1] == '\r')
            content_end--;
        char *q = p, *count_w, *kind_w;
        size_t count_n, kind_n;
        unsigned long count;
        if (next_word(&q, content_end, &count_w, &count_n) &&
            next_word(&q, content_end, &kind_w, &kind_n)) {
            bool device = word_is(kind_w, kind_n, "modem") || word_is(kind_w, kind_n, "pad");
            bool behind = word_is(kind_w, kind_n, "dial") || word_is(kind_w, kind_n, "nua");
            if (device) {
                char num[16];
                snprintf(num, sizeof num, "%.*s", (int)(count_n < 15 ? count_n : 15), count_w);
                if (!parse_count(num, MAX_DEVICES, &count) || count == 0 || count_n > 15) {
                    fprintf(stderr, "pmu-sim: %s: line %zu: expected a count of 1..%u %ss\n",
                            o->fleet, line,
                            MAX_DEVICES, kind_w[0] == 'm' ? "modem" : "PAD");
                    return false;
                }
                if (!device_line(plan, o, q, content_end, line,
                                 kind_w[0] == 'm' ? PMU_SIM_MODEM : PMU_SIM_PAD,
                                 (unsigned)count))
                    return false;
                memset(p, ' ', (size_t)(stop - p)); /* not a meter line */
            } else if (behind) {
                if (plan->n_via_lines == sizeof plan->via_lines / sizeof plan->via_lines[0]) {
                    fprintf(stderr, "pmu-sim: %s: line %zu: more than 1024 dial and nua lines\n",
                            o->fleet, line);
                    return false;
                }
                plan->via_lines[plan->n_via_lines] = line;
                plan->via_kinds[plan->n_via_lines++] = kind_w[0] == 'd' ? VIA_MODEM : VIA_PAD;
                memcpy(kind_w, kind_n == 4 ? "pty " : "pty", kind_n);
            }
        }
        p = eol ? eol + 1 : end;
    }
    return true;
}

static bool build_fleet(const struct options *o, struct pmu_sim_fleet *fleet,
                        struct remote_plan *plan)
{
    struct pmu_error e;
    struct pmu_sim_group g = {.multidrop = o->multidrop, .cfg = o->cfg};
    enum via cli_via[4] = {VIA_PORT, VIA_PORT, VIA_MODEM, VIA_PAD};
    unsigned cli_count[4] = {o->pty, o->tcp, o->dial, o->nua};
    enum via via[4];
    size_t n_cli = 0;
    pmu_sim_fleet_init(fleet);
    memset(plan, 0, sizeof *plan);
    for (int k = 0; k < 4; k++) {
        g.transport = k == 1 ? PMU_SIM_TCP : PMU_SIM_PTY;
        g.count = cli_count[k];
        if (g.count == 0)
            continue;
        if (pmu_sim_fleet_add(fleet, &g, &e) != PMU_OK) {
            fprintf(stderr, "pmu-sim: %s\n", e.message);
            return false;
        }
        via[n_cli++] = cli_via[k];
    }
    struct device_group cli_devices[2] = {
        {.count = o->modems, .transport = PMU_SIM_PTY, .cfg = o->modem_cfg},
        {.count = o->pads, .transport = PMU_SIM_PTY, .cfg = o->pad_cfg}};
    for (int k = 0; k < 2; k++)
        if (cli_devices[k].count > 0)
            plan->devices[plan->n_devices++] = cli_devices[k];
    if (o->fleet != NULL) {
        size_t len;
        char *text = read_file(o->fleet, &len);
        if (text == NULL) {
            fprintf(stderr, "pmu-sim: cannot read %s: %s\n", o->fleet, strerror(errno));
            return false;
        }
        if (!split_fleet(text, len, o, plan)) {
            free(text);
            return false;
        }
        enum pmu_status st = pmu_sim_fleet_parse(fleet, text, len, &o->cfg, &e);
        free(text);
        if (st != PMU_OK) {
            fprintf(stderr, "pmu-sim: %s: %s\n", o->fleet, e.message);
            return false;
        }
    }
    plan->via = calloc(fleet->n_groups + 1, sizeof *plan->via);
    if (plan->via == NULL) {
        fprintf(stderr, "pmu-sim: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < fleet->n_groups; i++) {
        struct pmu_sim_group *fg = &fleet->groups[i];
        plan->via[i] = i < n_cli ? via[i] : VIA_PORT;
        for (size_t k = 0; fg->line > 0 && k < plan->n_via_lines; k++)
            if (plan->via_lines[k] == fg->line)
                plan->via[i] = plan->via_kinds[k];
        /* Behind a modem or PAD the meter's own link runs at a fixed rate. */
        if (plan->via[i] != VIA_PORT)
            fg->cfg.fixed_rate = true;
    }
    if (fleet->total == 0 && plan->n_devices == 0) {
        fprintf(stderr, "pmu-sim: no meters to simulate\n");
        return false;
    }
    return true;
}

/* Loads the model file of every group playing an Elster model and points the group's
 * options at it. */
static bool load_models(const struct options *o, struct pmu_sim_fleet *fleet,
                        struct model_files *files)
{
    const char *dir = o->models_dir;
    if (dir == NULL)
        dir = getenv("PMU_MODELS_DIR");
    if (dir == NULL || dir[0] == '\0')
        dir = PMU_MODELS_DIR;
    for (size_t i = 0; i < fleet->n_groups; i++) {
        struct pmu_sim_config *cfg = &fleet->groups[i].cfg;
        if (cfg->elster_name[0] == '\0')
            continue;
        size_t k = 0;
        while (k < files->n && strcmp(files->names[k], cfg->elster_name) != 0)
            k++;
        if (k == files->n) {
            if (files->n == sizeof files->names / sizeof files->names[0]) {
                fprintf(stderr, "pmu-sim: more than 32 Elster models\n");
                return false;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.json", dir, cfg->elster_name);
            size_t len;
            char *text = read_file(path, &len);
            if (text == NULL) {
                fprintf(stderr, "pmu-sim: model '%s': cannot read %s: %s (see --models)\n",
                        cfg->elster_name, path, strerror(errno));
                return false;
            }
            struct pmu_error e;
            enum pmu_status st = pmu_elster_model_load(text, len, &files->models[k], &e);
            free(text);
            if (st != PMU_OK) {
                fprintf(stderr, "pmu-sim: %s: %s\n", path, e.message);
                return false;
            }
            snprintf(files->names[k], sizeof files->names[k], "%s", cfg->elster_name);
            files->n++;
        }
        cfg->elster = &files->models[k];
    }
    return true;
}

static void free_models(struct model_files *files)
{
    for (size_t i = 0; i < files->n; i++)
        pmu_elster_model_free(&files->models[i]);
    files->n = 0;
}

static size_t lines_of(const struct pmu_sim_group *g)
{
    return (g->count + g->multidrop - 1) / g->multidrop;
}

/* Raises the open-file limit as far as allowed and checks the fleet fits in it: a
 * pty line holds a master and a slave, a TCP line its listener, plus one for each
 * connection while it is open (some slack is kept for those). */
static bool enough_files(const struct pmu_sim_fleet *fleet, const struct remote_plan *plan)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    uint64_t need = 64;
    for (size_t i = 0; i < fleet->n_groups; i++)
        if (plan->via[i] == VIA_PORT) /* meters behind a modem or PAD hold no file */
            need += (fleet->groups[i].transport == PMU_SIM_PTY ? 2u : 1u) *
                    (uint64_t)lines_of(&fleet->groups[i]);
    for (size_t i = 0; i < plan->n_devices; i++)
        need += 2u * plan->devices[i].count;
    if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
        fprintf(stderr,
                "pmu-sim: %u meters need about %llu open files; the limit is %llu "
                "(raise it with ulimit -n, or use --multidrop)\n",
                fleet->total, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        return false;
    }
    return true;
}

static void meter_clock(const struct options *o, struct sim *sim)
{
    sim->hr0 = uv_hrtime();
    if (o->has_time) {
        sim->clock0_ms = o->time_s * 1000;
        return;
    }
    /* Meters keep local time: read the wall clock as civil time in our zone. */
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    struct pmu_timestamp ts = {.season = -1, .year = tm.tm_year + 1900, .month = tm.tm_mon + 1,
                               .day = tm.tm_mday, .hour = tm.tm_hour, .minute = tm.tm_min,
                               .second = tm.tm_sec};
    sim->clock0_ms = pmu_timestamp_to_seconds(&ts) * 1000 + now.tv_nsec / 1000000;
}

static void shut_down(struct app *app)
{
    for (size_t i = 0; i < app->n_lines; i++)
        line_close(app->lines[i]);
    app->n_lines = 0;
    if (app->remote != NULL)
        remote_close(app->remote);
    if (!uv_is_closing((uv_handle_t *)&app->sigint)) {
        uv_close((uv_handle_t *)&app->sigint, NULL);
        uv_close((uv_handle_t *)&app->sigterm, NULL);
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    shut_down(h->data);
}

static bool open_lines(struct app *app, const struct pmu_sim_fleet *fleet,
                       const struct remote_plan *plan)
{
    app->remote = remote_new(&app->sim);
    if (app->remote == NULL) {
        fprintf(stderr, "pmu-sim: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < plan->n_devices; i++) {
        const struct device_group *d = &plan->devices[i];
        struct pmu_error e;
        if (!remote_add_devices(app->remote, d->transport, d->count, &d->cfg, &e)) {
            fprintf(stderr, "pmu-sim: %s: %s\n", d->cfg.kind == PMU_SIM_MODEM ? "modem" : "PAD",
                    e.message);
            return false;
        }
    }
    size_t total = 0;
    for (size_t i = 0; i < fleet->n_groups; i++)
        total += lines_of(&fleet->groups[i]);
    app->lines = calloc(total + 1, sizeof *app->lines);
    if (app->lines == NULL) {
        fprintf(stderr, "pmu-sim: out of memory\n");
        return false;
    }
    unsigned index = 1;
    for (size_t i = 0; i < fleet->n_groups; i++) {
        const struct pmu_sim_group *g = &fleet->groups[i];
        for (unsigned left = g->count; left > 0;) {
            unsigned n = left < g->multidrop ? left : g->multidrop;
            struct pmu_error e;
            if (plan->via[i] != VIA_PORT) {
                enum pmu_sim_call_kind kind = plan->via[i] == VIA_MODEM ? PMU_SIM_MODEM
                                                                         : PMU_SIM_PAD;
                if (!remote_add_meters(app->remote, kind, &g->cfg, index, n, &e)) {
                    fprintf(stderr, "pmu-sim: meter %u: %s\n", index, e.message);
                    return false;
                }
                index += n;
                left -= n;
                continue;
            }
            struct line *l = line_open(&app->sim, g->transport, &g->cfg, index, n, &e);
            if (l == NULL) {
                fprintf(stderr, "pmu-sim: meter %u: %s\n", index, e.message);
                return false;
            }
            app->lines[app->n_lines++] = l;
            index += n;
            left -= n;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    struct options opt;
    int rc = parse_args(argc, argv, &opt);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    struct pmu_sim_fleet fleet;
    struct remote_plan plan; /* lives as long as the devices */
    static struct model_files models; /* lives as long as the meters */
    if (!build_fleet(&opt, &fleet, &plan) || !load_models(&opt, &fleet, &models) ||
        !enough_files(&fleet, &plan)) {
        pmu_sim_fleet_free(&fleet);
        free(plan.via);
        free_models(&models);
        return 1;
    }
    /* A host that hangs up while we write must not kill us. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, NULL);

    struct app *app = calloc(1, sizeof *app); /* holds a big read buffer */
    uv_loop_t loop;
    if (app == NULL || uv_loop_init(&loop) != 0) {
        fprintf(stderr, "pmu-sim: cannot start the event loop\n");
        free(app);
        pmu_sim_fleet_free(&fleet);
        free(plan.via);
        return 1;
    }
    app->sim.loop = &loop;
    uv_signal_init(&loop, &app->sigint);
    uv_signal_init(&loop, &app->sigterm);
    app->sigint.data = app->sigterm.data = app;
    uv_signal_start(&app->sigint, on_signal, SIGINT);
    uv_signal_start(&app->sigterm, on_signal, SIGTERM);

    bool ok = open_lines(app, &fleet, &plan);
    if (ok) {
        for (size_t i = 0; i < app->n_lines; i++)
            line_print(app->lines[i], stdout);
        remote_print(app->remote, stdout);
        meter_clock(&opt, &app->sim);
        printf("ready\n");
        fflush(stdout);
    } else {
        shut_down(app);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(app->lines);
    remote_free(app->remote);
    free(app);
    pmu_sim_fleet_free(&fleet);
    free(plan.via);
    free_models(&models);
    return ok ? 0 : 1;
}
