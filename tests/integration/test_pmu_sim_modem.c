/* pmu-sim's modems and PADs end to end: starts the real program with a modem and a
 * PAD on ptys, a modem on TCP, and meters behind them (one of them a multi-drop line
 * of three), then talks AT and X.28 over the ports, dials, signs on, reads the
 * identification and hangs up, as docs/simulator.md describes. */
#define _DEFAULT_SOURCE /* cfmakeraw, usleep */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
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
static char modem_pty[200], pad_pty[200];
static int modem_port;
static char dial_single[20], dial_line[20], nua_single[20];
static char fleet_file[] = "/tmp/test_pmu_sim_modem_XXXXXX";

static const char ident[] = "/OPM5OPENPMU-SIM-1\r\n";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* "serial:/dev/pts/3?baud=9600&parity=none" -> "/dev/pts/3" */
static void device_of(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s", path + strlen("serial:"));
    out[strcspn(out, "?")] = '\0';
}

static int start_sim(void **state)
{
    (void)state;
    int fd = mkstemp(fleet_file);
    if (fd < 0)
        return -1;
    const char fleet[] = "# a modem on TCP that connects fast, and a multi-drop line behind it\n"
                         "1 modem port=tcp connect_ms=300\n"
                         "3 dial multidrop=3\n";
    if (write(fd, fleet, strlen(fleet)) != (ssize_t)strlen(fleet))
        return -1;
    close(fd);
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
        execl(sim_path, sim_path, "--modems", "1", "--pads", "1", "--dial", "1", "--nua", "1",
              "--fleet", fleet_file, "--time", "2024-01-15T12:00:00", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[256], a[64], b[64], c[200], d[64];
    (void)d;
    bool ready = false;
    while (!ready && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        int n = sscanf(line, "%63s %63s %199s %63s", a, b, c, d);
        if (strcmp(line, "ready") == 0)
            ready = true;
        else if (n == 3 && strcmp(a, "modem") == 0 && strncmp(c, "serial:", 7) == 0)
            device_of(c, modem_pty, sizeof modem_pty);
        else if (n == 3 && strcmp(a, "modem") == 0 && strncmp(c, "tcp:127.0.0.1:", 14) == 0)
            modem_port = atoi(c + 14);
        else if (n == 3 && strcmp(a, "pad") == 0)
            device_of(c, pad_pty, sizeof pad_pty);
        else if (n == 4 && strcmp(a, "meter") == 0) {
            /* meter SERIAL dial|nua NUMBER address=ADDRESS */
            char kind[8], number[16], addr[40];
            if (sscanf(line, "meter %*s %7s %15s %39s", kind, number, addr) != 3)
                return -1;
            if (strcmp(b, "OPM00000001") == 0 && strcmp(kind, "dial") == 0)
                snprintf(dial_single, sizeof dial_single, "%s", number);
            else if (strcmp(b, "OPM00000002") == 0 && strcmp(kind, "nua") == 0)
                snprintf(nua_single, sizeof nua_single, "%s", number);
            else if (strcmp(b, "OPM00000004") == 0 && strcmp(kind, "dial") == 0)
                snprintf(dial_line, sizeof dial_line, "%s", number);
        }
    }
    fclose(f);
    if (!ready || !modem_pty[0] || !pad_pty[0] || modem_port <= 0 || !dial_single[0] ||
        !dial_line[0] || !nua_single[0]) {
        fprintf(stderr, "pmu-sim did not print the expected lines\n");
        return -1;
    }
    return 0;
}

static int stop_sim(void **state)
{
    (void)state;
    int status;
    unlink(fleet_file);
    kill(sim_pid, SIGTERM);
    if (waitpid(sim_pid, &status, 0) != sim_pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

static int open_pty(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY);
    assert_true(fd >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(fd, &t), 0);
    cfmakeraw(&t);
    cfsetispeed(&t, B9600);
    cfsetospeed(&t, B9600);
    assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
    return fd;
}

static int open_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void put(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Reads until `expect` has arrived (bit 7 stripped, as it may carry 7E1 parity) or
 * timeout_s passed; fails with what did arrive otherwise. */
static void expect(int fd, const char *want, double timeout_s)
{
    char buf[512];
    size_t n = 0;
    double deadline = now_s() + timeout_s;
    while (now_s() < deadline && n < sizeof buf - 1) {
        buf[n] = '\0';
        if (strstr(buf, want) != NULL)
            return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            buf[n + (size_t)i] &= 0x7F;
        n += (size_t)r;
    }
    buf[n] = '\0';
    if (strstr(buf, want) == NULL)
        fail_msg("expected '%s', got '%s'", want, buf);
}

/* Nothing at all arrives for s seconds. */
static void quiet(int fd, double s)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, (int)(s * 1000)), 0);
}

/* The sign-on request in 7E1 characters: bit 7 is the even parity bit. */
static void sign_on(int fd, const char *address)
{
    char msg[64];
    snprintf(msg, sizeof msg, "/?%s!\r\n", address);
    for (size_t i = 0; msg[i]; i++)
        msg[i] = (char)pmu_iec_parity_add((uint8_t)msg[i]);
    put(fd, msg);
}

/* The identification, no faster than the 9600-baud wire and the 200 ms reaction. */
static void identification(int fd)
{
    double t0 = now_s();
    expect(fd, ident, 3);
    double wire = (double)(strlen("/?00000001!\r\n") + strlen(ident)) * 10.0 / 9600 + 0.2;
    if (now_s() - t0 < 0.9 * wire)
        fail_msg("identification after %.3f s, the wire needs %.3f s", now_s() - t0, wire);
}

/* +++ framed by a second of silence on each side, then OK. */
static void escape(int fd)
{
    usleep(1100 * 1000);
    put(fd, "+++");
    expect(fd, "\r\nOK\r\n", 2.5);
}

static void test_modem_pty(void **state)
{
    (void)state;
    int fd = open_pty(modem_pty);
    put(fd, "AT\r");
    expect(fd, "AT\r\r\nOK\r\n", 1); /* echo is on */
    put(fd, "ATZ\r");
    expect(fd, "\r\nOK\r\n", 1);
    put(fd, "ATE0V1Q0X4&D2&C1\r");
    expect(fd, "\r\nOK\r\n", 1);
    put(fd, "AT+CPIN?\r");
    expect(fd, "\r\n+CPIN: READY\r\n\r\nOK\r\n", 1);
    put(fd, "AT+CREG?\r");
    expect(fd, "\r\n+CREG: 0,1\r\n\r\nOK\r\n", 1);
    put(fd, "AT+CSQ\r");
    expect(fd, ",99\r\n\r\nOK\r\n", 1);
    put(fd, "AT+CBST=71,0,1\r");
    expect(fd, "\r\nOK\r\n", 1);
    put(fd, "AT+CBST=0,0,1\r");
    expect(fd, "\r\nERROR\r\n", 1);
    char dial[40];
    snprintf(dial, sizeof dial, "ATDT%s\r", dial_single);
    double t0 = now_s();
    put(fd, dial);
    expect(fd, "\r\nCONNECT 9600\r\n", 5);
    assert_true(now_s() - t0 >= 1.9); /* the default connect time is 2 s */
    sign_on(fd, "00000001");
    identification(fd);
    /* the meter is in this call: another modem gets BUSY */
    int other = open_tcp(modem_port);
    put(other, "ATE0\r");
    expect(other, "\r\nOK\r\n", 1);
    put(other, dial);
    expect(other, "\r\nBUSY\r\n", 3);
    close(other);
    escape(fd);
    put(fd, "ATH0\r");
    expect(fd, "\r\nOK\r\n", 1);
    /* the line is free again */
    put(fd, dial);
    expect(fd, "\r\nCONNECT 9600\r\n", 5);
    escape(fd);
    put(fd, "ATH0\r");
    expect(fd, "\r\nOK\r\n", 1);
    close(fd);
}

static void test_modem_tcp_multidrop(void **state)
{
    (void)state;
    int fd = open_tcp(modem_port);
    put(fd, "ATE0\r");
    expect(fd, "\r\nOK\r\n", 1);
    char dial[40];
    snprintf(dial, sizeof dial, "ATD%s\r", dial_line);
    put(fd, dial);
    expect(fd, "\r\nCONNECT 9600\r\n", 2);
    /* a multi-drop line: each meter answers its own address only */
    sign_on(fd, "00000004");
    identification(fd);
    sign_on(fd, "00000005");
    identification(fd);
    sign_on(fd, "");
    quiet(fd, 0.6);
    /* closing the connection hangs up (what DTR is to a port): the line is free */
    close(fd);
    usleep(200 * 1000);
    fd = open_tcp(modem_port);
    put(fd, "ATE0\r");
    expect(fd, "\r\nOK\r\n", 1);
    put(fd, dial);
    expect(fd, "\r\nCONNECT 9600\r\n", 2);
    sign_on(fd, "00000003");
    identification(fd);
    close(fd);
}

static void test_pad(void **state)
{
    (void)state;
    int fd = open_pty(pad_pty);
    put(fd, "HELLO\r");
    expect(fd, "\r\nERR\r\n", 1);
    put(fd, "23531990999999\r");
    expect(fd, "\r\nCLR NP\r\n", 3);
    char call[80];
    snprintf(call, sizeof call, "CALL N12345678,R-%s\r", nua_single);
    put(fd, call);
    expect(fd, "\r\nCOM\r\n", 3);
    sign_on(fd, "00000002");
    identification(fd);
    put(fd, "\x10" "CLR\r");
    expect(fd, "\r\nCLR CONF\r\n", 1);
    snprintf(call, sizeof call, "%s\r", nua_single); /* a bare NUA calls too */
    put(fd, call);
    expect(fd, "\r\nCOM\r\n", 3);
    put(fd, "\x10" "CLR\r");
    expect(fd, "\r\nCLR CONF\r\n", 1);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_pmu_sim_modem PATH-TO-PMU-SIM\n");
        return 2;
    }
    sim_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modem_pty),
        cmocka_unit_test(test_modem_tcp_multidrop),
        cmocka_unit_test(test_pad),
    };
    return cmocka_run_group_tests(tests, start_sim, stop_sim);
}
