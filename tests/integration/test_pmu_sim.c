/* pmu-sim end to end: starts the real program with one pty meter and one TCP meter,
 * signs on to each and checks the identification arrives no faster than the wire
 * allows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pmu/iec62056.h"

static const char *sim_path;
static pid_t sim_pid;
static char pty_path[128];
static int tcp_port;

static const char ident[] = "/OPM5OPENPMU-SIM-1\r\n";
static const char signon[] = "/?!\r\n";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Starts pmu-sim and reads its meter lines up to "ready". */
static int start_sim(void **state)
{
    (void)state;
    int out[2];
    if (pipe(out) != 0)
        return -1;
    sim_pid = fork();
    if (sim_pid < 0)
        return -1;
    if (sim_pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl(sim_path, sim_path, "--pty", "1", "--tcp", "1", "--time", "2024-01-15T12:00:00",
              (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[256];
    bool ready = false;
    while (!ready && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *at;
        if ((at = strstr(line, " serial:")) != NULL) {
            snprintf(pty_path, sizeof pty_path, "%s", at + 8);
            pty_path[strcspn(pty_path, "?")] = '\0'; /* options such as parity=soft */
        }
        else if ((at = strstr(line, " tcp:127.0.0.1:")) != NULL)
            tcp_port = atoi(at + 15);
        else if (strcmp(line, "ready") == 0)
            ready = true;
        else
            fprintf(stderr, "unexpected line from pmu-sim: %s\n", line);
    }
    fclose(f);
    return ready && pty_path[0] == '/' && tcp_port > 0 ? 0 : -1;
}

static int stop_sim(void **state)
{
    (void)state;
    int status;
    kill(sim_pid, SIGTERM);
    if (waitpid(sim_pid, &status, 0) != sim_pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

/* Reads until `expect` has arrived (or 5 s passed); returns the bytes read. */
static size_t read_answer(int fd, char *buf, size_t size, size_t expect)
{
    size_t n = 0;
    double deadline = now_s() + 5;
    while (n < expect && now_s() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(fd, buf + n, size - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

/* Signs on and checks the identification and how long it took: at least 90% of the
 * wire time of request and answer at `baud`. */
static void sign_on(int fd, unsigned baud)
{
    char buf[256];
    double wire = (double)(strlen(signon) + strlen(ident)) * 10.0 / baud;
    double t0 = now_s();
    assert_int_equal(write(fd, signon, strlen(signon)), (ssize_t)strlen(signon));
    size_t n = read_answer(fd, buf, sizeof buf, strlen(ident));
    double elapsed = now_s() - t0;
    assert_int_equal(n, strlen(ident));
    /* 7E1 on an 8-bit line: every byte carries its even parity bit */
    for (size_t i = 0; i < n; i++) {
        assert_true(pmu_iec_parity_ok((uint8_t)buf[i]));
        buf[i] = (char)(buf[i] & 0x7F);
    }
    assert_memory_equal(buf, ident, n);
    if (elapsed < 0.9 * wire)
        fail_msg("identification took %.3f s, the wire needs %.3f s", elapsed, wire);
    /* and not much more than wire + 200 ms reaction */
    if (elapsed > wire + 0.2 + 1.0)
        fail_msg("identification took %.3f s, expected about %.3f s", elapsed, wire + 0.2);
}

static int open_pty(void)
{
    int fd = open(pty_path, O_RDWR | O_NOCTTY);
    assert_true(fd >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(fd, &t), 0);
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, B300);
    cfsetospeed(&t, B300);
    assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
    return fd;
}

static void test_pty(void **state)
{
    (void)state;
    int fd = open_pty();
    sign_on(fd, 300);
    close(fd);
    /* a reader that comes back later finds the meter waiting, nothing stale */
    fd = open_pty();
    sign_on(fd, 300);
    close(fd);
}

static void test_tcp(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tcp_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    sign_on(fd, 9600); /* the default gateway rate */
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_pmu_sim PATH-TO-PMU-SIM\n");
        return 2;
    }
    sim_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pty),
        cmocka_unit_test(test_tcp),
    };
    return cmocka_run_group_tests(tests, start_sim, stop_sim);
}
