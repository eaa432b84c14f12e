/* bench/elster: one simulated Elster A1700 at 9600 baud on a pty: registers, the 12
 * historical billing sets and 31 days of 30-minute load profile on 4 channels, read by
 * `pmu read`. Prints the time and its ratio to the lower bound a perfect reader could
 * reach on that line:
 *   every byte's wire time (10 bits at the rate it went at: the sign-on at 300 baud)
 *   + one minimum reaction time (20 ms: the meter announces "GEc") at every turn,
 * both from the trace of the run itself (target: ratio <= 1.10), and the load-profile
 * bytes per interval.
 *
 * usage: bench_elster PMU PMU_SIM */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/support/simproc.h"
#include "runpmu.h"

#define REACTION_S 0.020
#define TARGET 1.10

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_elster PMU PMU_SIM\n");
        return 2;
    }
    char *sim_argv[] = {argv[2], "--pty", "1", "--baud", "9600", "--time", "2024-02-15T10:05:00",
                        "--password", "SECRET12", "--model", "a1700-16tou", "--reaction-ms", "20", NULL};
    struct simproc sim;
    if (simproc_start(&sim, sim_argv, 30) != 0 || sim.n_meters != 1)
        return 1;
    char path[512];
    snprintf(path, sizeof path, "%s%cprotocol=elster", sim.meters[0].path, strchr(sim.meters[0].path, '?') ? '&' : '?');
    const char *trace = "/tmp/pmu-bench-elster.trace", *out = "/tmp/pmu-bench-elster.out";
    char *read_argv[] = {argv[1], "read", path, "--password", "SECRET12", "--billing-sets", "12", "--lp-days", "31",
                         "--trace", (char *)trace, NULL};
    struct run_result r;
    if (run_pmu(read_argv, out, NULL, &r) != 0 || r.status != 0) {
        fprintf(stderr, "bench_elster: pmu read failed (exit %d)\n", r.status);
        simproc_stop(&sim);
        return 1;
    }
    simproc_stop(&sim);

    struct trace_wire w;
    if (trace_wire_read(trace, &w) != 0)
        return 1;
    char line[512];
    FILE *f;
    size_t intervals = 0, markers = 0, lp_bytes = 0;
    if ((f = fopen(out, "r")) != NULL) {
        while (fgets(line, sizeof line, f) != NULL)
            if (sscanf(line, " load profile %zu intervals, %zu markers, %zu bytes", &intervals, &markers, &lp_bytes) == 3)
                break;
        fclose(f);
    }
    double bound = w.wire + (double)w.turns * REACTION_S;
    printf("elster_bytes_in: %zu bytes\n", w.bytes_in);
    printf("elster_bytes_out: %zu bytes\n", w.bytes_out);
    printf("elster_wire_time: %.3f s\n", w.wire);
    printf("elster_turnarounds: %zu turns\n", w.turns);
    printf("elster_intervals: %zu intervals\n", intervals);
    printf("elster_lp_bytes_per_interval: %.2f bytes\n", intervals ? (double)lp_bytes / (double)intervals : 0.0);
    printf("elster_lower_bound: %.3f s\n", bound);
    printf("elster_time: %.3f s\n", r.seconds);
    printf("elster_ratio_to_bound: %.3f (target <= %.2f)\n", r.seconds / bound, TARGET);
    return intervals > 0 ? 0 : 1;
}
