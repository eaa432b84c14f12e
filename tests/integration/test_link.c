/* Links over real descriptors: software 7E1 on the wire, RS-485 echo discard, rate
 * changes on a serial port (a pty), TCP connect errors. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "pmu/link.h"

/* A link on one end of a socket pair; the test plays the line at the other end. */
static int pair_link(struct pmu_link *l, const char *options)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    char text[128];
    snprintf(text, sizeof text, "tcp:127.0.0.1:1%s", options);
    memset(l, 0, sizeof *l);
    assert_int_equal(pmu_path_parse(text, &l->path, NULL), PMU_OK);
    l->ops = NULL; /* read/write only: no backend needed */
    l->fd = sv[0];
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    return sv[1];
}

static size_t read_link(struct pmu_link *l, uint8_t *buf, size_t cap)
{
    size_t total = 0, got;
    for (int tries = 0; tries < 50 && total < cap; tries++) {
        struct pollfd p = {l->fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        struct pmu_error e;
        if (pmu_link_read(l, buf + total, cap - total, &got, &e) != PMU_OK)
            break;
        total += got;
    }
    return total;
}

static void test_soft_parity(void **state)
{
    (void)state;
    struct pmu_link l;
    int peer = pair_link(&l, "?parity=soft");
    size_t n;
    assert_int_equal(pmu_link_write(&l, (const uint8_t *)"/?!\r\n", 5, &n, NULL), PMU_OK);
    uint8_t wire[8];
    assert_int_equal(read(peer, wire, sizeof wire), 5);
    /* on the wire: 7E1 characters, bit 7 the even parity bit */
    static const uint8_t expect[] = {0xAF, 0x3F, 0x21, 0x8D, 0x0A};
    assert_memory_equal(wire, expect, 5);
    /* from the wire: parity bits are stripped */
    assert_int_equal(write(peer, expect, 5), 5);
    uint8_t buf[8];
    assert_int_equal(read_link(&l, buf, 5), 5);
    assert_memory_equal(buf, "/?!\r\n", 5);
    close(peer);
    close(l.fd);
}

static void test_echo_discard(void **state)
{
    (void)state;
    struct pmu_link l;
    int peer = pair_link(&l, "?echo=1&parity=none");
    size_t n;
    assert_int_equal(pmu_link_write(&l, (const uint8_t *)"/?12!\r\n", 7, &n, NULL), PMU_OK);
    uint8_t tmp[16];
    assert_int_equal(read(peer, tmp, sizeof tmp), 7);
    /* two-wire RS-485: our own bytes come back first, then the meter's answer; the
     * echo arrives split across reads */
    assert_int_equal(write(peer, "/?1", 3), 3);
    uint8_t buf[32];
    assert_int_equal(read_link(&l, buf, 0 + 1) , 0);
    assert_int_equal(write(peer, "2!\r\n/OPM5X\r\n", 12), 12);
    size_t got = read_link(&l, buf, 8);
    assert_int_equal(got, 8);
    assert_memory_equal(buf, "/OPM5X\r\n", 8);
    /* a garbled echo (collision) is passed on, so the session sees the damage */
    assert_int_equal(pmu_link_write(&l, (const uint8_t *)"AB", 2, &n, NULL), PMU_OK);
    assert_int_equal(read(peer, tmp, sizeof tmp), 2);
    assert_int_equal(write(peer, "AX", 2), 2);
    got = read_link(&l, buf, 1);
    assert_int_equal(got, 1);
    assert_int_equal(buf[0], 'X');
    close(peer);
    pmu_link_close(&l);
}

static void test_serial_rate_change_on_pty(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    char path[128];
    snprintf(path, sizeof path, "serial:%s?parity=soft", ptsname(master));
    struct pmu_path p;
    assert_int_equal(pmu_path_parse(path, &p, NULL), PMU_OK);
    struct pmu_link l;
    struct pmu_error e;
    assert_int_equal(pmu_link_open(&l, &p, &e), PMU_OK);
    assert_int_equal(l.baud, 300);
    struct termios t;
    assert_int_equal(tcgetattr(l.fd, &t), 0);
    assert_int_equal(cfgetospeed(&t), B300);
    assert_int_equal(t.c_cflag & CSIZE, CS8); /* software parity: 8 bits on the port */
    assert_int_equal(pmu_link_set_baud(&l, 9600, &e), PMU_OK);
    assert_int_equal(tcgetattr(l.fd, &t), 0);
    assert_int_equal(cfgetospeed(&t), B9600);
    assert_int_equal(l.baud, 9600);
    pmu_link_close(&l);
    /* hardware 7E1 on a pty: refused with advice, not a bare errno */
    snprintf(path, sizeof path, "serial:%s", ptsname(master));
    assert_int_equal(pmu_path_parse(path, &p, NULL), PMU_OK);
    enum pmu_status st = pmu_link_open(&l, &p, &e);
    if (st != PMU_OK) {
        assert_int_equal(st, PMU_E_UNSUPPORTED);
        assert_non_null(strstr(e.message, "parity=soft"));
    } else {
        pmu_link_close(&l);
    }
    close(master);
    assert_int_equal(pmu_path_parse("serial:/nonexistent/tty", &p, NULL), PMU_OK);
    assert_int_equal(pmu_link_open(&l, &p, &e), PMU_E_IO);
    assert_non_null(strstr(e.message, "cannot open serial port /nonexistent/tty"));
}

static void test_tcp_refused(void **state)
{
    (void)state;
    /* a port nobody listens on: the refusal comes through pmu_link_connected */
    struct pmu_path p;
    assert_int_equal(pmu_path_parse("tcp:127.0.0.1:1", &p, NULL), PMU_OK);
    struct pmu_link l;
    struct pmu_error e;
    enum pmu_status st = pmu_link_open(&l, &p, &e);
    if (st == PMU_OK && l.connecting) {
        struct pollfd pf = {l.fd, POLLOUT, 0};
        assert_true(poll(&pf, 1, 2000) == 1);
        st = pmu_link_connected(&l, &e);
    }
    assert_int_equal(st, PMU_E_IO);
    assert_non_null(strstr(e.message, "cannot connect to 127.0.0.1:1"));
    pmu_link_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soft_parity),
        cmocka_unit_test(test_echo_discard),
        cmocka_unit_test(test_serial_rate_change_on_pty),
        cmocka_unit_test(test_tcp_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
