/* bench/pool: a pool of 4 simulated modems (9600 baud, on TCP like a modem server)
 * serving 200 meters: one `pmu read --list --readout --profile` (one day of 30-minute
 * intervals) with every meter's path saying "pool:modems>modem:NUMBER". Prints the
 * total time and its ratio to the lower bound four perfect lines could reach:
 *   the sum over all calls of
 *     call set-up (pmu-sim's connect time, 2 s)
 *     + every byte's wire time at the rate it went at (AT dialogue included)
 *     + one minimum reaction time (200 ms) at every turn of the line with the meter,
 *   divided by the number of modems. Wire time and turns come from the run's trace.
 * Target: ratio <= 1.25.
 *
 * usage: bench_pool PMU PMU_SIM [METERS] [MODEMS] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/support/simproc.h"
#include "runpmu.h"

#define REACTION_S 0.200
#define CONNECT_S 2.0
#define TARGET 1.25
#define MAX_JOBS 65536

struct job_wire {
    char last_dir;
    bool meter;   /* the call is through: the meter's part has begun */
};

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: bench_pool PMU PMU_SIM [METERS] [MODEMS]\n");
        return 2;
    }
    unsigned meters = argc > 3 ? (unsigned)atoi(argv[3]) : 200;
    unsigned modems = argc > 4 ? (unsigned)atoi(argv[4]) : 4;
    if (meters == 0 || meters > 10000 || modems == 0 || modems > 16) {
        fprintf(stderr, "bench_pool: METERS 1..10000, MODEMS 1..16\n");
        return 2;
    }
    const char *fleet = "/tmp/pmu-bench-pool.fleet", *list = "/tmp/pmu-bench-pool.list",
               *trace = "/tmp/pmu-bench-pool.trace";
    FILE *f = fopen(fleet, "w");
    if (f == NULL) {
        perror(fleet);
        return 1;
    }
    fprintf(f, "%u modem port=tcp connect_ms=%d\n%u dial mode=C baud=9600\n", modems, (int)(CONNECT_S * 1000),
            meters);
    fclose(f);
    char *sim_argv[] = {argv[2], "--fleet", (char *)fleet, "--time", "2024-01-15T10:05:00", "--password",
                        "secret12", NULL};
    struct simproc sim;
    if (simproc_start(&sim, sim_argv, 60) != 0 || sim.n_meters != meters || sim.n_devices != modems)
        return 1;
    static char pool[8192];
    size_t n = (size_t)snprintf(pool, sizeof pool, "modems=");
    for (size_t d = 0; d < sim.n_devices; d++)
        n += (size_t)snprintf(pool + n, sizeof pool - n, "%s%.*s", d ? "," : "",
                              (int)strcspn(sim.devices[d].path, "?"), sim.devices[d].path);
    snprintf(pool + n, sizeof pool - n, ";retries=0");
    f = fopen(list, "w");
    if (f == NULL) {
        perror(list);
        simproc_stop(&sim);
        return 1;
    }
    for (size_t i = 0; i < sim.n_meters; i++)
        fprintf(f, "meter %s pool:modems?address=%s>modem:%s?hangup=dtr\n", sim.meters[i].serial,
                sim.meters[i].address, sim.meters[i].number);
    fclose(f);
    char *read_argv[] = {argv[1], "read", "--list", (char *)list, "--readout", "--profile",
                         "2024-01-14T00:30..2024-01-15T00:00", "--password", "secret12", "--pool", pool,
                         "--trace", (char *)trace, NULL};
    struct run_result r;
    if (run_pmu(read_argv, "/dev/null", NULL, &r) != 0 || r.status != 0) {
        fprintf(stderr, "bench_pool: pmu read failed (exit %d)\n", r.status);
        simproc_stop(&sim);
        return 1;
    }
    simproc_stop(&sim);

    /* the trace: "  seconds #job DIR BAUD hex... |text|", and "#job line acquire ..." */
    f = fopen(trace, "r");
    if (f == NULL) {
        perror(trace);
        return 1;
    }
    static struct job_wire jobs[MAX_JOBS];
    char line[512];
    double wire = 0;
    size_t bytes = 0, turns = 0, calls = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        double t;
        unsigned job;
        struct trace_bytes b;
        if (sscanf(line, "%lf #%u line acquire", &t, &job) == 2 && strstr(line, " line acquire ") != NULL) {
            calls++;
            continue;
        }
        if (!trace_bytes_parse(line, &b))
            continue;
        struct job_wire *w = &jobs[b.job % MAX_JOBS];
        wire += (double)b.n * 10.0 / b.baud;
        bytes += b.n;
        if (!w->meter && b.dir == '>' && b.text != NULL && strncmp(b.text + 1, "/?", 2) == 0)
            w->meter = true; /* the first sign-on: the modem's part is over */
        if (w->meter && w->last_dir != 0 && b.dir != w->last_dir)
            turns++;
        if (w->meter)
            w->last_dir = b.dir;
    }
    fclose(f);
    double setup = (double)calls * CONNECT_S;
    double bound = (setup + wire + (double)turns * REACTION_S) / modems;
    printf("pool_meters: %u meters\n", meters);
    printf("pool_modems: %u modems\n", modems);
    printf("pool_calls: %zu calls\n", calls);
    printf("pool_bytes: %zu bytes\n", bytes);
    printf("pool_wire_time: %.3f s\n", wire);
    printf("pool_turnarounds: %zu turns\n", turns);
    printf("pool_call_setup_time: %.3f s\n", setup);
    printf("pool_lower_bound: %.3f s\n", bound);
    printf("pool_time: %.3f s\n", r.seconds);
    printf("pool_ratio_to_bound: %.3f (target <= %.2f)\n", r.seconds / bound, TARGET);
    return 0;
}
