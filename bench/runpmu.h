/* Shared by the benchmarks: run `pmu` as a child, timing it and measuring its peak
 * memory, and read the wire time back from its --trace. */
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

#include <stdbool.h>
#include <stddef.h>

/* One byte line of a pmu --trace: "  seconds #job DIR BAUD hex... |text|". */
struct trace_bytes {
    unsigned job, baud;
    char dir;            /* '>' sent, '<' received */
    size_t n;            /* bytes (hex pairs up to the text column) */
    const char *text;    /* the "|text|" column inside the line, or NULL */
};

/* false for lines that are not byte lines (line acquire, retries, ...). */
bool trace_bytes_parse(const char *line, struct trace_bytes *b);

/* A whole trace of one meter's session: every byte's wire time at its rate, and the
 * changes of direction (each costs the meter's reaction time). */
struct trace_wire {
    double wire;         /* seconds */
    size_t bytes_in, bytes_out, turns;
};

/* -1 when the file cannot be read (perror says why). */
int trace_wire_read(const char *path, struct trace_wire *w);

#endif
