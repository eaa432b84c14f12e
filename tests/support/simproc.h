/* Starting pmu-sim from tests and benchmarks: runs it with the given arguments, reads
 * its "meter SERIAL PATH" lines up to "ready", and stops it again. */
#ifndef PMU_TEST_SIMPROC_H
#define PMU_TEST_SIMPROC_H

#include <stdio.h>
#include <sys/types.h>

struct simproc_meter {
    char serial[40];
    char path[256];
};

struct simproc {
    pid_t pid;
    FILE *out;                 /* pmu-sim's standard output */
    size_t n_meters;
    struct simproc_meter *meters;
};

/* argv[0] is the pmu-sim binary; argv ends with NULL. Returns 0, or -1 with a message
 * on stderr when pmu-sim did not start or did not say "ready" within timeout_s. */
int simproc_start(struct simproc *sp, char *const argv[], int timeout_s);
void simproc_stop(struct simproc *sp);

/* Writes the meter lines to a file for `pmu read --list`. */
int simproc_write_list(const struct simproc *sp, const char *file);

#endif
