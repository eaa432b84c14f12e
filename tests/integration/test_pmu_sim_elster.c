/* pmu-sim's Elster models end to end: the real program with an A1700 (32 TOU) on a pty
 * and an A1140 behind TCP, read over the line as a reader would: identification at
 * 300 baud, option select in mode 6, P0 seed, P2 log-in, R1 in 64-byte packets, W1
 * read back in a later session, the load profile with the power_fail fault's markers,
 * B0. Also the program's answers to bad model options. */
#define _DEFAULT_SOURCE /* cfmakeraw */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../support/simproc.h"
#include "pmu/elster.h"
#include "pmu/iec62056.h"

static const char *sim_path;
static struct simproc sim;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int start_sim(void **state)
{
    (void)state;
    char *args[] = {(char *)sim_path, "--pty", "1", "--model", "a1700-32tou",
                    "--faults", "power_fail=1", "--time", "2024-03-10T12:00:00",
                    "--password-timeout", "20", "--reaction-ms", "20", NULL};
    return simproc_start(&sim, args, 20);
}

static int stop_sim(void **state)
{
    (void)state;
    simproc_stop(&sim);
    return 0;
}

static int open_meter(const char *path)
{
    char dev[256];
    snprintf(dev, sizeof dev, "%s", path + strlen("serial:"));
    dev[strcspn(dev, "?")] = '\0';
    int fd = open(dev, O_RDWR | O_NOCTTY);
    assert_true(fd >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(fd, &t), 0);
    cfmakeraw(&t);
    assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
    return fd;
}

static void put(int fd, const void *p, size_t n)
{
    assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* Reads one message: a line ending in LF, a single ACK/NAK, or STX/SOH ... ETX BCC.
 * Parity bits are stripped. */
static size_t get(int fd, uint8_t *buf, size_t size)
{
    size_t n = 0;
    double deadline = now_s() + 10;
    while (now_s() < deadline && n < size) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        uint8_t c;
        if (read(fd, &c, 1) != 1)
            break;
        buf[n++] = c & 0x7F;
        if (n == 1 && (buf[0] == 0x06 || buf[0] == 0x15))
            return n;
        if (buf[0] == '/' && buf[n - 1] == '\n')
            return n;
        if ((buf[0] == 0x02 || buf[0] == 0x01) && n >= 2 && buf[n - 2] == 0x03)
            return n;
    }
    fail_msg("no complete answer within 10 s (%zu bytes)", n);
    return n;
}

static void sign_on(int fd, uint8_t seed[8])
{
    uint8_t b[128];
    put(fd, "/?!\r\n", 5);
    size_t n = get(fd, b, sizeof b);
    assert_int_equal(n, 23);
    assert_memory_equal(b, "/GEc5090100100400@000\r\n", 23); /* c: 20 ms reaction */
    put(fd, "\x06" "056\r\n", 6);
    n = get(fd, b, sizeof b);
    assert_int_equal(n, 24);
    assert_memory_equal(b, "\x01P0\x02(", 5);
    assert_int_equal(pmu_elster_seed_parse(b + 4, 18, seed, NULL), PMU_OK);
    uint8_t frame[40];
    assert_int_equal(pmu_elster_build_p0(seed, frame, sizeof frame), 24);
    assert_memory_equal(b, frame, 24); /* the BCC too */
}

static void log_in(int fd, const uint8_t seed[8], const char *password, uint8_t expect)
{
    uint8_t resp[8], msg[40], b[8];
    assert_int_equal(pmu_elster_password_transform(password, seed, resp, NULL), PMU_OK);
    long n = pmu_elster_build_p2(resp, msg, sizeof msg);
    put(fd, msg, (size_t)n);
    assert_int_equal(get(fd, b, sizeof b), 1);
    assert_int_equal(b[0], expect);
}

/* R1; PMU_OK with the bytes, or PMU_E_REFUSED with the meter's error number. */
static enum pmu_status r1(int fd, unsigned id, unsigned packet, size_t count, uint8_t *out,
                          size_t *len, int *code)
{
    uint8_t msg[40], b[256];
    long n = pmu_elster_build_read(id, packet, count, msg, sizeof msg);
    put(fd, msg, (size_t)n);
    size_t got = get(fd, b, sizeof b);
    assert_true(got >= 5 && b[0] == 0x02);
    uint8_t bcc = 0;
    for (size_t i = 1; i < got - 1; i++)
        bcc ^= b[i];
    assert_int_equal(bcc, b[got - 1]);
    return pmu_elster_reply_parse(b + 1, got - 3, out, 64, len, code, NULL);
}

static void b0(int fd)
{
    uint8_t msg[8];
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "B0", NULL, 0, msg, sizeof msg);
    put(fd, msg, (size_t)n);
}

static void test_session_pty(void **state)
{
    (void)state;
    assert_int_equal(sim.n_meters, 1);
    int fd = open_meter(sim.meters[0].path);
    uint8_t seed[8], b[64];
    size_t n;
    int code;
    sign_on(fd, seed);
    log_in(fd, seed, "11111111", 0x15); /* refused: NAK */
    assert_int_equal(r1(fd, 798, 1, 16, b, &n, &code), PMU_E_REFUSED);
    assert_int_equal(code, PMU_ELSTER_ERR_LOCKED);
    log_in(fd, seed, "00000000", 0x06);
    assert_int_equal(r1(fd, 798, 1, 16, b, &n, &code), PMU_OK);
    assert_int_equal(n, 16);
    assert_memory_equal(b, sim.meters[0].serial, strlen(sim.meters[0].serial));
    assert_int_equal(r1(fd, 999, 1, 16, b, &n, &code), PMU_E_REFUSED);
    assert_int_equal(code, PMU_ELSTER_ERR_IDENTITY);
    /* 508 of a 32-TOU meter: 256 bytes = 4 packets; a fifth is ERR3. */
    for (unsigned p = 1; p <= 4; p++) {
        assert_int_equal(r1(fd, 508, p, 64, b, &n, &code), PMU_OK);
        assert_int_equal(n, 64);
    }
    assert_int_equal(r1(fd, 508, 5, 64, b, &n, &code), PMU_E_REFUSED);
    assert_int_equal(code, PMU_ELSTER_ERR_PACKET);
    /* W1: the CT ratio, read back in the next session. */
    static const uint8_t ct[6] = {0x00, 0x20, 0x00, 0x00, 0x00, 0x05};
    uint8_t msg[64];
    long len = pmu_elster_build_write(616, 1, ct, 6, msg, sizeof msg);
    put(fd, msg, (size_t)len);
    assert_int_equal(get(fd, b, sizeof b), 1);
    assert_int_equal(b[0], 0x06);
    /* The load profile of today: the power_fail fault put E6/E5 into it. */
    uint8_t sel[2];
    pmu_elster_lp_select_encode(1, sel);
    len = pmu_elster_build_write(551, 1, sel, 2, msg, sizeof msg);
    put(fd, msg, (size_t)len);
    assert_int_equal(get(fd, b, sizeof b), 1);
    assert_int_equal(r1(fd, 551, 1, 4, b, &n, &code), PMU_OK);
    struct pmu_elster_lp_size size;
    pmu_elster_lp_size_decode(b, &size);
    unsigned packets = pmu_elster_lp_packets(&size);
    static uint8_t stream[1 << 13];
    size_t total = 0;
    for (unsigned p = 1; p <= packets; p++) {
        assert_int_equal(r1(fd, 550, p, 64, stream + total, &n, &code), PMU_OK);
        total += n;
    }
    struct pmu_elster_lp d;
    pmu_elster_lp_init(&d, -6);
    struct pmu_elster_lp_item item;
    unsigned downs = 0, ups = 0, intervals = 0;
    size_t off = 0, used;
    enum pmu_status st;
    while ((st = pmu_elster_lp_feed(&d, stream + off, total - off, &used, &item, NULL)) == PMU_OK) {
        off += used;
        if (item.kind == PMU_ELSTER_LP_INTERVAL)
            intervals++;
        else if (item.marker == PMU_ELSTER_LP_POWER_DOWN)
            downs++;
        else if (item.marker == PMU_ELSTER_LP_POWER_UP)
            ups++;
    }
    assert_int_equal(st, PMU_DONE);
    assert_true(intervals >= 48);
    assert_true(downs >= 1 && downs == ups);
    b0(fd);

    usleep(300000);
    sign_on(fd, seed);
    log_in(fd, seed, "00000000", 0x06);
    assert_int_equal(r1(fd, 616, 1, 6, b, &n, &code), PMU_OK);
    assert_memory_equal(b, ct, 6);
    b0(fd);
    close(fd);
}

/* A fleet file's Elster meters on TCP (fixed rate: no baud switch): model= and the
 * password levels from the fleet line. */
static void test_fleet_tcp(void **state)
{
    (void)state;
    char fleet[] = "/tmp/pmu-sim-elster-XXXXXX";
    int ffd = mkstemp(fleet);
    assert_true(ffd >= 0);
    static const char text[] = "2 tcp model=a1140 password2=READONLY faults=clock_change=1\n";
    assert_int_equal(write(ffd, text, strlen(text)), (ssize_t)strlen(text));
    close(ffd);
    struct simproc sp;
    char *args[] = {(char *)sim_path, "--fleet", fleet, "--time", "2024-03-10T12:00:00", NULL};
    assert_int_equal(simproc_start(&sp, args, 20), 0);
    unlink(fleet);
    assert_int_equal(sp.n_meters, 2);
    const char *at = strstr(sp.meters[1].path, "tcp:127.0.0.1:");
    assert_non_null(at);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(at + 14))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    uint8_t b[128], seed[8];
    put(fd, "/?00000002!\r\n", 13);
    size_t n = get(fd, b, sizeof b);
    assert_int_equal(n, 23);
    assert_memory_equal(b, "/GEC5140100010400@000\r\n", 23);
    put(fd, "\x06" "056\r\n", 6);
    n = get(fd, b, sizeof b);
    assert_int_equal(n, 24);
    assert_int_equal(pmu_elster_seed_parse(b + 4, 18, seed, NULL), PMU_OK);
    log_in(fd, seed, "READONLY", 0x06);
    int code;
    assert_int_equal(r1(fd, 507, 1, 64, b, &n, &code), PMU_OK);
    assert_int_equal(n, 64);
    uint8_t msg[64];
    static const uint8_t ct[6] = {0x00, 0x20, 0x00, 0x00, 0x00, 0x05};
    long len = pmu_elster_build_write(616, 1, ct, 6, msg, sizeof msg);
    put(fd, msg, (size_t)len);
    n = get(fd, b, sizeof b);
    assert_memory_equal(b, "\x02(ERR5)\x03", 8); /* level 2 reads only */
    b0(fd);
    close(fd);
    simproc_stop(&sp);
}

/* Runs pmu-sim with args and returns its exit status (it must end by itself). */
static int run_sim(const char *a1, const char *a2, const char *a3, const char *a4)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execl(sim_path, sim_path, a1, a2, a3, a4, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_bad_options(void **state)
{
    (void)state;
    assert_int_equal(run_sim("--model", "no-such-model", "--pty", "1"), 1);
    assert_int_equal(run_sim("--model", "A1700", "--pty", "1"), 2);
    assert_int_equal(run_sim("--model", "a1140", "--mode", "A"), 2);
    assert_int_equal(run_sim("--model", "a1140", "--password", "1234"), 2);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_pmu_sim_elster PATH-TO-PMU-SIM\n");
        return 2;
    }
    sim_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_pty),
        cmocka_unit_test(test_fleet_tcp),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, start_sim, stop_sim);
}
