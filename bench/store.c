/* bench_store [SQLITE-FILE]: the store's two hot paths, through the public API.
 *
 *   ingest   143 meters x one meter-year of 30-minute intervals x 4 channels
 *            (10,021,440 values), one pmu_store_save_readout (one transaction) per
 *            meter, as a collection run would. Target on SQLite: 1,000,000 values/s.
 *   fetch    one meter-year x 4 channels (70,080 intervals) back through
 *            pmu_store_intervals, median of 7 warm runs. Target: 5 ms.
 *
 * Runs on an SQLite file (default: openpmu-bench.db in $TMPDIR or /tmp, removed
 * before and after, unless PMU_BENCH_KEEP is set), then, when PMU_BENCH_PG holds a connection string, on that
 * PostgreSQL database (its BENCH-* meters are replaced). Prints `name: value unit`
 * lines and each figure's ratio to its target (above 1 is better than the target). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pmu/readout.h"
#include "pmu/store.h"

#define METERS 143
#define ROWS 17520                 /* 365 days of 30-minute intervals */
#define CHANNELS 4
#define POOL 997                   /* distinct value texts */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const struct pmu_error *err)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, err->message);
    exit(1);
}

static char pool[POOL][16];
static struct pmu_value values[ROWS][CHANNELS];
static struct pmu_profile_row rows[ROWS];
static struct pmu_profile_channel channels[CHANNELS] = {
    {"1.5", "kWh"}, {"2.5", "kWh"}, {"3.5", "kvarh"}, {"4.5", "kvarh"}};

/* A readout with one P.01 profile; meter m gets its own mix of values. */
static void fill(struct pmu_readout *r, struct pmu_profile *p, int m)
{
    for (int i = 0; i < ROWS; i++)
        for (int c = 0; c < CHANNELS; c++)
            values[i][c].text = pool[(i * CHANNELS + c + m * 7) % POOL];
    memset(r, 0, sizeof *r);
    r->profiles = p;
    r->n_profiles = 1;
}

static void build(struct pmu_profile *p)
{
    for (int k = 0; k < POOL; k++)
        snprintf(pool[k], sizeof pool[k], "%05d.%03d", (k * 7919) % 100000, (k * 31) % 1000);
    struct pmu_timestamp t = {0, 2024, 1, 1, 0, 30, 0};
    for (int i = 0; i < ROWS; i++) {
        rows[i].time = t;
        rows[i].n_values = CHANNELS;
        rows[i].values = values[i];
        pmu_timestamp_add_minutes(&t, 30);
    }
    memset(p, 0, sizeof *p);
    p->address = "P.01";
    p->start = rows[0].time;
    p->interval_min = 30;
    p->n_channels = CHANNELS;
    p->channels = channels;
    p->n_rows = p->cap_rows = ROWS;
    p->rows = rows;
}

static enum pmu_status count(void *user, const struct pmu_interval_row *row)
{
    size_t *n = user;
    *n += row->value_len > 0;
    return PMU_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run(const char *name, const char *conn, bool target)
{
    struct pmu_store *s;
    struct pmu_error err;
    if (pmu_store_open(conn, &s, &err) != PMU_OK)
        die("open", &err);
    for (int m = 0; m < METERS; m++) {
        struct pmu_meter_record rec;
        memset(&rec, 0, sizeof rec);
        snprintf(rec.serial, sizeof rec.serial, "BENCH-%04d", m);
        pmu_store_meter_remove(s, rec.serial, true, &err);
        if (pmu_store_meter_add(s, &rec, &err) != PMU_OK)
            die("meter add", &err);
    }
    struct pmu_profile p;
    struct pmu_readout r;
    build(&p);
    int64_t run_id;
    if (pmu_store_begin_run(s, "bench", &run_id, &err) != PMU_OK)
        die("begin run", &err);
    double spent = 0;
    size_t total = 0;
    for (int m = 0; m < METERS; m++) {
        char serial[32];
        snprintf(serial, sizeof serial, "BENCH-%04d", m);
        fill(&r, &p, m);
        struct pmu_save_stats st;
        double t0 = now();
        if (pmu_store_save_readout(s, run_id, serial, &r, 0, &st, &err) != PMU_OK)
            die("save", &err);
        spent += now() - t0;
        total += st.intervals_new;
    }
    pmu_store_finish_run(s, run_id, "ok", "", &err);
    double rate = (double)total / spent;
    printf("%s_ingest_values: %zu values\n", name, total);
    printf("%s_ingest_rate: %.0f values/s\n", name, rate);
    if (target)
        printf("%s_ingest_rate_ratio_to_target: %.2f\n", name, rate / 1e6);

    double ms[7];
    struct pmu_interval_query q = {"BENCH-0071", NULL, false, false, 0, 0, false};
    for (int k = 0; k < 7; k++) {
        size_t n = 0;
        double t0 = now();
        if (pmu_store_intervals(s, &q, count, &n, &err) != PMU_OK)
            die("fetch", &err);
        ms[k] = (now() - t0) * 1e3;
        if (n != (size_t)ROWS * CHANNELS) {
            fprintf(stderr, "bench_store: fetched %zu intervals, expected %d\n", n, ROWS * CHANNELS);
            exit(1);
        }
    }
    qsort(ms, 7, sizeof ms[0], cmp_double);
    printf("%s_fetch_meter_year_ms: %.2f ms\n", name, ms[3]);
    printf("%s_fetch_meter_year_best_ms: %.2f ms\n", name, ms[0]);
    if (target)
        printf("%s_fetch_meter_year_ratio_to_target: %.2f\n", name, 5.0 / ms[3]);
    pmu_store_close(s);
}

static void remove_db(const char *path)
{
    char name[4096];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

int main(int argc, char **argv)
{
    char path[4096];
    const char *tmp = getenv("TMPDIR");
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else
        snprintf(path, sizeof path, "%s/openpmu-bench.db", tmp != NULL ? tmp : "/tmp");
    remove_db(path);
    run("sqlite", path, true);
    if (getenv("PMU_BENCH_KEEP") == NULL)
        remove_db(path);
    const char *pg = getenv("PMU_BENCH_PG");
    if (pg != NULL && pg[0] != '\0')
        run("postgres", pg, true);
    return 0;
}
