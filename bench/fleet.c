/* bench/fleet: 10,000 simulated TCP meters (one pmu-sim process), each read by one
 * `pmu read --list` process: the data readout (registers) and one day of 30-minute
 * load profile. Prints meters per second and the reader's peak memory.
 * Targets: <= 60 s wall on 2 cores, <= 64 MiB peak RSS for the reader.
 *
 * usage: bench_fleet PMU PMU_SIM [METERS] [PARALLEL] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/support/simproc.h"
#include "runpmu.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_fleet PMU PMU_SIM [METERS] [PARALLEL]\n");
        return 2;
    }
    unsigned meters = argc > 3 ? (unsigned)atoi(argv[3]) : 10000;
    const char *parallel = argc > 4 ? argv[4] : "2000";
    const char *fleet = "/tmp/pmu-bench-fleet.txt", *list = "/tmp/pmu-bench-fleet.list";
    FILE *f = fopen(fleet, "w");
    if (f == NULL)
        return 1;
    fprintf(f, "%u tcp mode=C baud=9600\n", meters);
    fclose(f);
    char *sim_argv[] = {argv[2], "--fleet", (char *)fleet, "--time", "2024-01-15T10:05:00",
                        "--password", "secret12", NULL};
    struct simproc sim;
    if (simproc_start(&sim, sim_argv, 120) != 0)
        return 1;
    simproc_write_list(&sim, list);
    char *read_argv[] = {argv[1], "read", "--list", (char *)list, "--readout", "--profile",
                         "2024-01-14T00:30..2024-01-15T00:00", "--password", "secret12",
                         "--parallel", (char *)parallel, NULL};
    struct run_result r;
    const char *out = "/tmp/pmu-bench-fleet.out";
    int rc = run_pmu(read_argv, out, "/tmp/pmu-bench-fleet.err", &r);
    simproc_stop(&sim);
    if (rc != 0)
        return 1;
    size_t ok = 0, failed = 0;
    char line[1024];
    FILE *o = fopen(out, "r");
    while (o != NULL && fgets(line, sizeof line, o) != NULL) {
        if (strstr(line, " ok ") != NULL)
            ok++;
        else if (strstr(line, " failed ") != NULL)
            failed++;
    }
    if (o != NULL)
        fclose(o);
    double mib = (double)r.max_rss_kib / 1024.0;
    printf("fleet_meters: %u meters\n", meters);
    printf("fleet_read_ok: %zu meters\n", ok);
    printf("fleet_read_failed: %zu meters\n", failed);
    printf("fleet_parallel: %s sessions\n", parallel);
    printf("fleet_time: %.1f s\n", r.seconds);
    printf("fleet_time_ratio_to_target: %.2f (target <= 1.00 at 60 s)\n", r.seconds / 60.0);
    printf("fleet_meters_per_second: %.0f meters/s\n", (double)ok / r.seconds);
    printf("fleet_reader_peak_rss: %.1f MiB\n", mib);
    printf("fleet_rss_ratio_to_target: %.2f (target <= 1.00 at 64 MiB)\n", mib / 64.0);
    return failed == 0 && ok == meters ? 0 : 1;
}
