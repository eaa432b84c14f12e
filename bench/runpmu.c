#define _DEFAULT_SOURCE /* wait4 */
#include "runpmu.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int run_pmu(char *const argv[], const char *out_file, const char *err_file, struct run_result *r)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (out_file != NULL) {
            int fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, STDOUT_FILENO);
        }
        if (err_file != NULL) {
            int fd = open(err_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, STDERR_FILENO);
        }
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return -1;
    r->seconds = now() - t0;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->max_rss_kib = ru.ru_maxrss;
    return 0;
}

bool trace_bytes_parse(const char *line, struct trace_bytes *b)
{
    double t;
    int used = 0;
    if (sscanf(line, "%lf #%u %c %u%n", &t, &b->job, &b->dir, &b->baud, &used) != 4 || b->baud == 0 ||
        (b->dir != '<' && b->dir != '>'))
        return false;
    b->n = 0;
    for (const char *c = line + used; *c != '\0' && *c != '|'; c++)
        b->n += c[0] != ' ' && (c[1] == ' ' || c[1] == '|') && c > line + used && c[-1] != ' ';
    b->text = strchr(line + used, '|');
    return true;
}

int trace_wire_read(const char *path, struct trace_wire *w)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[512], last_dir = 0;
    struct trace_bytes b;
    *w = (struct trace_wire){0};
    while (fgets(line, sizeof line, f) != NULL) {
        if (!trace_bytes_parse(line, &b))
            continue;
        w->wire += (double)b.n * 10.0 / b.baud;
        *(b.dir == '>' ? &w->bytes_out : &w->bytes_in) += b.n;
        if (last_dir != 0 && b.dir != last_dir)
            w->turns++;
        last_dir = b.dir;
    }
    fclose(f);
    return 0;
}
