/* Starting pmu-sim from tests and benchmarks: runs it with the given arguments, reads
 * its "meter SERIAL PATH" lines up to "ready", and stops it again. */
#ifndef PMU_TEST_SIMPROC_H
#define PMU_TEST_SIMPROC_H

#include <stdio.h>
#include <sys/types.h>

struct simproc_meter {
    char serial[40];
    char path[256];            /* direct meters; "" for meters behind a modem or PAD */
    char via[8];               /* "dial" or "nua" for meters behind a modem or PAD */
    char number[40];           /* the number or NUA to call */
    char address[40];          /* the device address behind the call */
};

/* A modem or PAD of pmu-sim: "modem 1 serial:/dev/pts/9?baud=9600&parity=none". */
struct simproc_device {
    char kind[8];
    char path[256];
};

struct simproc {
    pid_t pid;
    FILE *out;                 /* pmu-sim's standard output */
    size_t n_meters;
    struct simproc_meter *meters;
    size_t n_devices;
    struct simproc_device devices[16];
};

/* The comms path to meter m through device d: the device's path (without its
 * parity=none: the meter's characters are 7E1, done in software) and the call. */
void simproc_call_path(const struct simproc *sp, size_t d, const struct simproc_meter *m,
                       char *out, size_t size);

/* argv[0] is the pmu-sim binary; argv ends with NULL. Returns 0, or -1 with a message
 * on stderr when pmu-sim did not start or did not say "ready" within timeout_s. */
int simproc_start(struct simproc *sp, char *const argv[], int timeout_s);
void simproc_stop(struct simproc *sp);

/* Writes the meter lines to a file for `pmu read --list`. */
int simproc_write_list(const struct simproc *sp, const char *file);

#endif
