#define _DEFAULT_SOURCE /* kill, fdopen with pipe2-free code paths */
#include "simproc.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int simproc_start(struct simproc *sp, char *const argv[], int timeout_s)
{
    int fds[2];
    memset(sp, 0, sizeof *sp);
    if (pipe(fds) != 0)
        return -1;
    sp->pid = fork();
    if (sp->pid < 0)
        return -1;
    if (sp->pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    close(fds[1]);
    /* Read with read(2), not stdio: poll() cannot see lines stdio has buffered. */
    size_t cap = 0, have = 0;
    char buf[8192];
    time_t deadline = time(NULL) + timeout_s;
    for (;;) {
        char *nl;
        while ((nl = memchr(buf, '\n', have)) != NULL) {
            *nl = '\0';
            if (strcmp(buf, "ready") == 0) {
                sp->out = fdopen(fds[0], "r");
                return 0;
            }
            char serial[40], path[256], number[40], address[48];
            struct simproc_device *dev = &sp->devices[sp->n_devices];
            if (sp->n_devices < 16 && (sscanf(buf, "modem %*u %255s", dev->path) == 1 ||
                                       sscanf(buf, "pad %*u %255s", dev->path) == 1)) {
                snprintf(dev->kind, sizeof dev->kind, "%s", buf[0] == 'm' ? "modem" : "pad");
                sp->n_devices++;
            } else if (sscanf(buf, "meter %39s %255s", serial, path) == 2) {
                if (sp->n_meters == cap) {
                    cap = cap ? cap * 2 : 16;
                    sp->meters = realloc(sp->meters, cap * sizeof *sp->meters);
                    if (sp->meters == NULL)
                        abort();
                }
                struct simproc_meter *m = &sp->meters[sp->n_meters++];
                memset(m, 0, sizeof *m);
                snprintf(m->serial, sizeof m->serial, "%s", serial);
                if ((strcmp(path, "dial") == 0 || strcmp(path, "nua") == 0) &&
                    sscanf(buf, "meter %*s %*s %39s address=%47s", number, address) == 2) {
                    snprintf(m->via, sizeof m->via, "%.7s", path);
                    snprintf(m->number, sizeof m->number, "%s", number);
                    snprintf(m->address, sizeof m->address, "%.39s", address);
                } else {
                    snprintf(m->path, sizeof m->path, "%s", path);
                }
            }
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, have - used);
            have -= used;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int left = (int)(deadline - time(NULL));
        ssize_t n = 0;
        if (left > 0 && poll(&p, 1, left * 1000) > 0)
            n = read(fds[0], buf + have, sizeof buf - 1 - have);
        if (n <= 0) {
            fprintf(stderr, "simproc: %s %s\n", argv[0],
                    left > 0 && n == 0 ? "ended before saying ready" : "did not say ready in time");
            close(fds[0]);
            simproc_stop(sp);
            return -1;
        }
        have += (size_t)n;
    }
}

void simproc_stop(struct simproc *sp)
{
    if (sp->pid > 0) {
        kill(sp->pid, SIGTERM);
        waitpid(sp->pid, NULL, 0);
        sp->pid = 0;
    }
    if (sp->out != NULL)
        fclose(sp->out);
    sp->out = NULL;
    free(sp->meters);
    sp->meters = NULL;
    sp->n_meters = 0;
}

void simproc_call_path(const struct simproc *sp, size_t d, const struct simproc_meter *m,
                       char *out, size_t size)
{
    char dev[256];
    snprintf(dev, sizeof dev, "%s", sp->devices[d].path);
    char *p = strstr(dev, "parity=none");
    if (p != NULL) {
        size_t cut = strlen("parity=none");
        if (p[-1] == '&') { /* "...&parity=none" */
            p--;
            cut++;
        } else if (p[cut] == '&') { /* "?parity=none&..." */
            cut++;
        }
        memmove(p, p + cut, strlen(p + cut) + 1);
        size_t n = strlen(dev);
        if (n > 0 && dev[n - 1] == '?')
            dev[n - 1] = '\0';
    }
    snprintf(out, size, "%s%caddress=%s>%s:%s", dev, strchr(dev, '?') ? '&' : '?', m->address,
             strcmp(sp->devices[d].kind, "modem") == 0 ? "modem" : "pad", m->number);
}

int simproc_write_list(const struct simproc *sp, const char *file)
{
    FILE *f = fopen(file, "w");
    if (f == NULL)
        return -1;
    for (size_t i = 0; i < sp->n_meters; i++)
        if (sp->meters[i].path[0] != '\0')
            fprintf(f, "meter %s %s\n", sp->meters[i].serial, sp->meters[i].path);
    return fclose(f);
}
