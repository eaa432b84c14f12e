/* The parts every link shares: reading and writing the descriptor, software parity
 * and RS-485 echo discard. Backends are in serial.c and tcp.c. */
#include "pmu/link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

enum pmu_status pmu_link_open(struct pmu_link *l, const struct pmu_path *path,
                              struct pmu_error *err)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->path = *path;
    if (path->kind == PMU_LINK_POOL)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "pool:%s is a line pool: the engine picks one of its lines for each call",
                             path->target);
    l->ops = path->kind == PMU_LINK_TCP ? &pmu_link_tcp_ops : &pmu_link_serial_ops;
    return l->ops->open(l, err);
}

enum pmu_status pmu_link_set_baud(struct pmu_link *l, unsigned baud, struct pmu_error *err)
{
    return l->ops->set_baud(l, baud, err);
}

void pmu_link_close(struct pmu_link *l)
{
    if (l->ops != NULL && l->fd >= 0)
        l->ops->close(l);
    l->fd = -1;
    free(l->echo);
    l->echo = NULL;
    l->echo_len = l->echo_cap = 0;
}

/* Drops the start of buf that is the echo of what we sent. A byte that differs from
 * the expected echo means a collision or a garbled echo: the rest of the expected echo
 * is forgotten and the bytes pass, so the session sees the damage and retries. */
static size_t drop_echo(struct pmu_link *l, uint8_t *buf, size_t n)
{
    size_t k = 0;
    while (k < n && k < l->echo_len && buf[k] == l->echo[k])
        k++;
    if (k < n && k < l->echo_len) {
        l->echo_len = 0;
    } else {
        memmove(l->echo, l->echo + k, l->echo_len - k);
        l->echo_len -= k;
    }
    memmove(buf, buf + k, n - k);
    return n - k;
}

enum pmu_status pmu_link_read(struct pmu_link *l, uint8_t *buf, size_t cap, size_t *got,
                              struct pmu_error *err)
{
    *got = 0;
    ssize_t n = read(l->fd, buf, cap);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return PMU_AGAIN;
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "%s link: read failed: %s",
                             l->ops->name, strerror(errno));
    }
    if (n == 0)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "%s link closed by the other end",
                             l->ops->name);
    size_t len = (size_t)n;
    if (l->path.parity == PMU_PARITY_SOFT)
        for (size_t i = 0; i < len; i++)
            buf[i] &= 0x7F;
    if (l->echo_len > 0)
        len = drop_echo(l, buf, len);
    *got = len;
    return PMU_OK;
}

enum pmu_status pmu_link_write(struct pmu_link *l, const uint8_t *data, size_t len,
                               size_t *written, struct pmu_error *err)
{
    uint8_t tmp[512];
    const uint8_t *p = data;
    *written = 0;
    if (l->path.parity == PMU_PARITY_SOFT) {
        if (len > sizeof tmp)
            len = sizeof tmp;
        for (size_t i = 0; i < len; i++)
            tmp[i] = pmu_iec_parity_add(data[i]);
        p = tmp;
    }
    ssize_t n = write(l->fd, p, len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return PMU_AGAIN;
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "%s link: write failed: %s",
                             l->ops->name, strerror(errno));
    }
    if (l->path.echo && n > 0) {
        size_t need = l->echo_len + (size_t)n;
        if (need > l->echo_cap) {
            uint8_t *e = realloc(l->echo, need);
            if (e == NULL)
                return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
            l->echo = e;
            l->echo_cap = need;
        }
        memcpy(l->echo + l->echo_len, data, (size_t)n); /* compared after parity is stripped */
        l->echo_len += (size_t)n;
    }
    *written = (size_t)n;
    return PMU_OK;
}
