/* Shared by the line and fleet benchmarks: run `pmu` as a child, timing it and
 * measuring its peak memory. */
#ifndef PMU_BENCH_RUNPMU_H
#define PMU_BENCH_RUNPMU_H

struct run_result {
    int status;          /* exit status, -1 if it did not exit */
    double seconds;      /* wall time */
    long max_rss_kib;    /* peak resident memory of the child */
};

/* Runs argv (argv[0] a path) with stdout and stderr sent to the given files (NULL
 * keeps them); waits for it. */
int run_pmu(char *const argv[], const char *out_file, const char *err_file, struct run_result *r);

#endif
