/* Shared by the pmu subcommands: exit codes and small helpers. */
#ifndef PMU_CLI_H
#define PMU_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"

/* Exit codes of every pmu command. */
enum {
    PMU_EXIT_OK = 0,
    PMU_EXIT_DATA = 1,     /* the command ran; the input or meter had problems */
    PMU_EXIT_USAGE = 2,    /* bad command line */
    PMU_EXIT_FAILURE = 3,  /* could not run: file, memory, ... */
    PMU_EXIT_DENIED = 4    /* who is asking may not do this (docs/security.md) */
};

/* Reads a whole file ("-" = standard input). Prints the reason and returns NULL on
 * failure. The buffer is one byte longer than *len and NUL-terminated. */
uint8_t *pmu_cli_read_file(const char *path, size_t *len);

/* Store commands (store_cli.c): the database is --db CONN, else $PMU_DB, else
 * openpmu.db in the current directory. */
struct pmu_store;
const char *pmu_cli_db(const char *option);
int pmu_cli_open_store(const char *cmd, const char *db_option, struct pmu_store **out);
/* Exit code for a store status: 1 for data problems, 3 when the database failed. */
int pmu_cli_exit_code(enum pmu_status status);
/* Prints "pmu CMD: message" and returns the exit code. */
int pmu_cli_fail(const char *cmd, enum pmu_status status, const struct pmu_error *err);

int pmu_cmd_parse(int argc, char **argv);
int pmu_cmd_read(int argc, char **argv);
int pmu_cmd_write(int argc, char **argv);
int pmu_cmd_meter(int argc, char **argv);
int pmu_cmd_site(int argc, char **argv);
int pmu_cmd_group(int argc, char **argv);
int pmu_cmd_history(int argc, char **argv);
int pmu_cmd_profile(int argc, char **argv);
int pmu_cmd_export(int argc, char **argv);
int pmu_cmd_user(int argc, char **argv);
int pmu_cmd_audit(int argc, char **argv);
int pmu_cmd_scheme(int argc, char **argv);
int pmu_cmd_program(int argc, char **argv);

#endif
