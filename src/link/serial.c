/* Serial ports through termios: 7E1 (or 8N1 for software parity), raw, non-blocking,
 * rate changes mid-session. */
#define _DEFAULT_SOURCE /* cfmakeraw, CRTSCTS */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "link_internal.h"

static speed_t speed_of(unsigned baud)
{
    switch (baud) {
    case 300: return B300;
    case 600: return B600;
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    default: return B0;
    }
}

static enum pmu_status configure(struct pmu_link *l, unsigned baud, struct pmu_error *err)
{
    struct termios t;
    speed_t sp = speed_of(baud);
    if (sp == B0)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "serial link: %u baud is not supported", baud);
    if (tcgetattr(l->fd, &t) != 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "serial link %s: cannot read its settings: %s",
                             l->path.target, strerror(errno));
    cfmakeraw(&t);
    t.c_cflag &= (tcflag_t)~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    t.c_cflag |= CLOCAL | CREAD;
    /* 7E1 in the port, or 8N1 with parity done by pmu_link_read/write. */
    t.c_cflag |= l->path.parity == PMU_PARITY_HW ? (CS7 | PARENB) : CS8;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, sp);
    cfsetospeed(&t, sp);
    if (tcsetattr(l->fd, TCSANOW, &t) != 0) {
        if (errno == EINVAL && l->path.parity == PMU_PARITY_HW)
            return pmu_error_set(err, PMU_E_UNSUPPORTED, PMU_NO_OFFSET,
                                 "serial port %s cannot do 7E1 in hardware (a pseudo-terminal or a "
                                 "converter that carries 8N1 only): add parity=soft to the comms path",
                                 l->path.target);
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "serial link %s: cannot set %u baud: %s",
                             l->path.target, baud, strerror(errno));
    }
    l->baud = baud;
    return PMU_OK;
}

static enum pmu_status serial_open(struct pmu_link *l, struct pmu_error *err)
{
    l->fd = open(l->path.target, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (l->fd < 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot open serial port %s: %s",
                             l->path.target, strerror(errno));
    enum pmu_status st = configure(l, l->path.baud ? l->path.baud : 300, err);
    if (st != PMU_OK) {
        close(l->fd);
        l->fd = -1;
        return st;
    }
    tcflush(l->fd, TCIOFLUSH); /* nothing stale from an earlier session */
    return PMU_OK;
}

static enum pmu_status serial_set_baud(struct pmu_link *l, unsigned baud, struct pmu_error *err)
{
    if (baud == l->baud)
        return PMU_OK;
    return configure(l, baud, err);
}

static void serial_close(struct pmu_link *l)
{
    close(l->fd);
}

const struct pmu_link_ops pmu_link_serial_ops = {"serial", serial_open, serial_set_baud, serial_close};
