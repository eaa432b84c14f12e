/* pmu history and pmu profile: what the store holds for one meter. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "pmu/store.h"

static const char history_usage[] =
    "usage: pmu history METER [--register ID] [--limit N] [--json] [--db CONN]\n"
    "\n"
    "Register readings of a meter, newest first: register, value as the meter sent it,\n"
    "unit, the meter's time stamp for values that are times, when it was read, and the\n"
    "job run that read it. Then its events.\n";

static const char profile_usage[] =
    "usage: pmu profile METER [--from TIME] [--to TIME] [--channel CODE] [--conflicts]\n"
    "                   [--json] [--db CONN]\n"
    "\n"
    "Load-profile intervals of a meter: those ending after --from and at or before --to\n"
    "(YYYY-MM-DD, YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss, the meter's clock), e.g.\n"
    "--from 2024-01-01 --to 2024-01-02 is the day of 1 January. An interval read twice\n"
    "with different values shows both, marked 'conflict'; --conflicts shows only those\n"
    "(with no METER: across all meters).\n";

struct reading_out {
    json_t *arr;
    size_t n;
};

static enum pmu_status print_reading(void *user, const struct pmu_reading_row *r)
{
    struct reading_out *o = user;
    if (o->arr != NULL) {
        json_array_append_new(o->arr, json_pack("{s:s, s:o, s:i, s:s, s:o, s:o, s:s, s:I}", "register",
                                                r->register_id, "obis", r->obis ? json_string(r->obis) : json_null(),
                                                "value_index", r->value_index, "value", r->value, "unit",
                                                r->unit ? json_string(r->unit) : json_null(), "meter_time",
                                                r->meter_time ? json_string(r->meter_time) : json_null(),
                                                "collected_at", r->collected_at, "job_run", (json_int_t)r->run_id));
    } else {
        if (o->n == 0)
            printf("%-20s %-14s %-18s %-6s %-19s %s\n", "collected", "register", "value", "unit", "meter time", "run");
        printf("%-20s %-14s %-18s %-6s %-19s %lld\n", r->collected_at, r->register_id, r->value,
               r->unit ? r->unit : "", r->meter_time ? r->meter_time : "", (long long)r->run_id);
    }
    o->n++;
    return PMU_OK;
}

static enum pmu_status print_event(void *user, const struct pmu_event_row *e)
{
    struct reading_out *o = user;
    if (o->arr != NULL)
        json_array_append_new(o->arr, json_pack("{s:o, s:s, s:s, s:s, s:I}", "meter_time",
                                                e->meter_time ? json_string(e->meter_time) : json_null(), "code",
                                                e->code, "detail", e->detail, "collected_at", e->collected_at,
                                                "job_run", (json_int_t)e->run_id));
    else
        printf("%s event %-8s %s%s(read %s, run %lld)\n", e->meter_time ? e->meter_time : "?", e->code, e->detail,
               e->detail[0] ? " " : "", e->collected_at, (long long)e->run_id);
    o->n++;
    return PMU_OK;
}

int pmu_cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {
        {"register", required_argument, NULL, 'r'}, {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},           {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *db = NULL, *reg = NULL;
    size_t limit = 0;
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'r': reg = optarg; break;
        case 'j': json = true; break;
        case 'd': db = optarg; break;
        case 'l':
            limit = (size_t)strtoul(optarg, &end, 10);
            if (*end != '\0' || optarg[0] == '-') {
                fprintf(stderr, "pmu history: --limit wants a number, got '%s'\n", optarg);
                return PMU_EXIT_USAGE;
            }
            break;
        case 'h': fputs(history_usage, stdout); return PMU_EXIT_OK;
        default: fputs(history_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "pmu history: which meter? give one SERIAL\n");
        return PMU_EXIT_USAGE;
    }
    const char *serial = argv[optind];
    struct pmu_store *s;
    int rc = pmu_cli_open_gated("history", db, &s);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct pmu_error err;
    struct reading_out readings = {json ? json_array() : NULL, 0}, events = {json ? json_array() : NULL, 0};
    enum pmu_status status = pmu_store_readings(s, serial, reg, limit, print_reading, &readings, &err);
    if (status == PMU_OK && reg == NULL) {
        if (!json && readings.n > 0)
            putchar('\n');
        status = pmu_store_events(s, serial, limit, print_event, &events, &err);
    }
    if (status == PMU_OK && json) {
        json_t *root = json_pack("{s:s, s:o, s:o}", "meter", serial, "readings", readings.arr, "events", events.arr);
        readings.arr = events.arr = NULL;
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(root);
    } else if (status == PMU_OK && readings.n == 0 && events.n == 0) {
        printf("nothing stored for %s yet\n", serial);
    }
    json_decref(readings.arr);
    json_decref(events.arr);
    rc = status == PMU_OK ? PMU_EXIT_OK : pmu_cli_fail("history", status, &err);
    pmu_store_close(s);
    return rc;
}

struct profile_out {
    json_t *arr;
    size_t n, conflicts;
};

static enum pmu_status print_interval(void *user, const struct pmu_interval_row *r)
{
    struct profile_out *o = user;
    char end[20];
    pmu_store_format_seconds(r->end, end);
    if (o->arr != NULL) {
        json_array_append_new(o->arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:I}", "meter", r->serial,
                                                "channel", r->channel->code, "unit", r->channel->unit, "interval_end",
                                                end, "value", r->value, "status", (json_int_t)r->status, "conflict",
                                                r->conflict, "job_run", (json_int_t)r->run_id));
    } else {
        if (o->n == 0)
            printf("%-12s %-8s %-19s %14s %-6s %8s %s\n", "meter", "channel", "interval end", "value", "unit",
                   "status", "run");
        printf("%-12s %-8s %-19s %14s %-6s %08llX %lld%s\n", r->serial, r->channel->code, end, r->value,
               r->channel->unit, (unsigned long long)r->status, (long long)r->run_id, r->conflict ? "  conflict" : "");
    }
    o->n++;
    o->conflicts += r->conflict;
    return PMU_OK;
}

int pmu_cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},  {"to", required_argument, NULL, 't'},
        {"channel", required_argument, NULL, 'c'}, {"conflicts", no_argument, NULL, 'x'},
        {"json", no_argument, NULL, 'j'},        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    struct pmu_interval_query q;
    memset(&q, 0, sizeof q);
    const char *db = NULL;
    bool json = false;
    struct pmu_error err;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
        case 't':
            if (pmu_store_parse_seconds(optarg, c == 'f' ? &q.from : &q.to, &err) != PMU_OK) {
                fprintf(stderr, "pmu profile: --%s %s\n", c == 'f' ? "from" : "to", err.message);
                return PMU_EXIT_USAGE;
            }
            *(c == 'f' ? &q.has_from : &q.has_to) = true;
            break;
        case 'c': q.channel = optarg; break;
        case 'x': q.conflicts_only = true; break;
        case 'j': json = true; break;
        case 'd': db = optarg; break;
        case 'h': fputs(profile_usage, stdout); return PMU_EXIT_OK;
        default: fputs(profile_usage, stderr); return PMU_EXIT_USAGE;
        }
    }
    if (optind + 1 < argc || (optind == argc && !q.conflicts_only)) {
        fprintf(stderr, "pmu profile: which meter? give one SERIAL (or --conflicts alone for all meters)\n");
        return PMU_EXIT_USAGE;
    }
    q.serial = optind < argc ? argv[optind] : NULL;
    struct pmu_store *s;
    int rc = pmu_cli_open_gated("profile", db, &s);
    if (rc != PMU_EXIT_OK)
        return rc;
    struct profile_out o = {json ? json_array() : NULL, 0, 0};
    enum pmu_status status = pmu_store_intervals(s, &q, print_interval, &o, &err);
    if (status == PMU_OK && json) {
        json_dumpf(o.arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else if (status == PMU_OK) {
        if (o.n == 0)
            printf("%s\n", q.conflicts_only ? "no conflicts" : "no intervals stored in that range");
        else if (o.conflicts > 0)
            printf("%zu value%s in conflict: the meter reported different values for the same interval\n",
                   o.conflicts, o.conflicts == 1 ? "" : "s");
    }
    json_decref(o.arr);
    rc = status == PMU_OK ? PMU_EXIT_OK : pmu_cli_fail("profile", status, &err);
    pmu_store_close(s);
    return rc;
}
