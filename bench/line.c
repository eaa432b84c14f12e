/* bench/line: one simulated 9600-baud meter on a pty: the data readout (registers)
 * and one day of 30-minute load profile, read by `pmu read`. Prints the time and its
 * ratio to the lower bound a perfect reader could reach on that line:
 *   every byte's wire time (10 bits at the rate it went at: the sign-ons at 300 baud)
 *   + one minimum reaction time (200 ms) at every turn of the line,
 * both taken from the trace of the run itself. Target: ratio <= 1.10.
 *
 * usage: bench_line PMU PMU_SIM */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/support/simproc.h"
#include "runpmu.h"

#define REACTION_S 0.200
#define TARGET 1.10

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_line PMU PMU_SIM\n");
        return 2;
    }
    char *sim_argv[] = {argv[2], "--pty", "1", "--baud", "9600", "--time", "2024-01-15T10:05:00",
                        "--password", "secret12", NULL};
    struct simproc sim;
    if (simproc_start(&sim, sim_argv, 30) != 0 || sim.n_meters != 1)
        return 1;
    const char *trace = "/tmp/pmu-bench-line.trace";
    char *read_argv[] = {argv[1], "read", sim.meters[0].path, "--readout", "--profile",
                         "2024-01-14T00:30..2024-01-15T00:00", "--password", "secret12",
                         "--trace", (char *)trace, NULL};
    struct run_result r;
    if (run_pmu(read_argv, "/dev/null", NULL, &r) != 0 || r.status != 0) {
        fprintf(stderr, "bench_line: pmu read failed (exit %d)\n", r.status);
        simproc_stop(&sim);
        return 1;
    }
    simproc_stop(&sim);

    struct trace_wire w;
    if (trace_wire_read(trace, &w) != 0)
        return 1;
    double bound = w.wire + (double)w.turns * REACTION_S;
    printf("line_bytes_in: %zu bytes\n", w.bytes_in);
    printf("line_bytes_out: %zu bytes\n", w.bytes_out);
    printf("line_wire_time: %.3f s\n", w.wire);
    printf("line_turnarounds: %zu turns\n", w.turns);
    printf("line_lower_bound: %.3f s\n", bound);
    printf("line_time: %.3f s\n", r.seconds);
    printf("line_ratio_to_bound: %.3f (target <= %.2f)\n", r.seconds / bound, TARGET);
    return 0;
}
