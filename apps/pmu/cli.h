/* Shared by the pmu subcommands: exit codes and small helpers. */
#ifndef PMU_CLI_H
#define PMU_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes of every pmu command. */
enum {
    PMU_EXIT_OK = 0,
    PMU_EXIT_DATA = 1,     /* the command ran; the input or meter had problems */
    PMU_EXIT_USAGE = 2,    /* bad command line */
    PMU_EXIT_FAILURE = 3   /* could not run: file, memory, ... */
};

/* Reads a whole file ("-" = standard input). Prints the reason and returns NULL on
 * failure. The buffer is one byte longer than *len and NUL-terminated. */
uint8_t *pmu_cli_read_file(const char *path, size_t *len);

int pmu_cmd_parse(int argc, char **argv);
int pmu_cmd_read(int argc, char **argv);

#endif
