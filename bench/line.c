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

    /* the trace: "  seconds #job DIR BAUD hex... |text|" */
    FILE *f = fopen(trace, "r");
    if (f == NULL) {
        perror(trace);
        return 1;
    }
    char line[512], last_dir = 0;
    double wire = 0;
    size_t bytes_in = 0, bytes_out = 0, turns = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        double t;
        unsigned job, baud;
        char dir;
        int used = 0;
        if (sscanf(line, "%lf #%u %c %u%n", &t, &job, &dir, &baud, &used) != 4)
            continue;
        size_t n = 0; /* hex pairs up to the text column */
        for (const char *c = line + used; *c != '\0' && *c != '|'; c++)
            n += c[0] != ' ' && (c[1] == ' ' || c[1] == '|') && c > line + used && c[-1] != ' ';
        wire += (double)n * 10.0 / baud;
        *(dir == '>' ? &bytes_out : &bytes_in) += n;
        if (last_dir != 0 && dir != last_dir)
            turns++;
        last_dir = dir;
    }
    fclose(f);
    double bound = wire + (double)turns * REACTION_S;
    printf("line_bytes_in: %zu bytes\n", bytes_in);
    printf("line_bytes_out: %zu bytes\n", bytes_out);
    printf("line_wire_time: %.3f s\n", wire);
    printf("line_turnarounds: %zu turns\n", turns);
    printf("line_lower_bound: %.3f s\n", bound);
    printf("line_time: %.3f s\n", r.seconds);
    printf("line_ratio_to_bound: %.3f (target <= %.2f)\n", r.seconds / bound, TARGET);
    return 0;
}
