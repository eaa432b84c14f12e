/* TCP client: raw IEC 62056-21 over a terminal server or GPRS modem. The far end's
 * line rate is not ours to change, so a baud switch only updates the nominal rate. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link_internal.h"

static enum pmu_status tcp_open(struct pmu_link *l, struct pmu_error *err)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%u", l->path.port);
    int rc = getaddrinfo(l->path.target, port, &hints, &res);
    if (rc != 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot resolve %s: %s",
                             l->path.target, gai_strerror(rc));
    l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        freeaddrinfo(res);
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot create a socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* short messages: no Nagle delay */
    rc = connect(l->fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(l->fd);
        l->fd = -1;
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot connect to %s:%u: %s",
                             l->path.target, l->path.port, strerror(e));
    }
    l->connecting = rc != 0;
    l->baud = l->path.baud ? l->path.baud : 9600;
    return PMU_OK;
}

static enum pmu_status tcp_set_baud(struct pmu_link *l, unsigned baud, struct pmu_error *err)
{
    (void)err;
    l->baud = baud;
    return PMU_OK;
}

static void tcp_close(struct pmu_link *l)
{
    close(l->fd);
}

enum pmu_status pmu_link_connected(struct pmu_link *l, struct pmu_error *err)
{
    int e = 0;
    socklen_t len = sizeof e;
    l->connecting = false;
    if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e != 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot connect to %s:%u: %s",
                             l->path.target, l->path.port, strerror(e));
    return PMU_OK;
}

const struct pmu_link_ops pmu_link_tcp_ops = {"tcp", tcp_open, tcp_set_baud, tcp_close};
