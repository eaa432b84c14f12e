/* Links: the byte transport to a meter. One interface, several backends (serial port
 * through termios, TCP client), each an ops table; all are non-blocking file
 * descriptors that the engine polls. Software 7E1 parity and RS-485 echo discard sit
 * here, below the protocol, so sessions never see them. */
#ifndef PMU_LINK_H
#define PMU_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"
#include "pmu/path.h"

struct pmu_link;

struct pmu_link_ops {
    const char *name;
    /* Starts opening: sets l->fd (non-blocking); may leave l->connecting set. */
    enum pmu_status (*open)(struct pmu_link *l, struct pmu_error *err);
    /* Changes the line rate (no-op where the rate is not ours to change). */
    enum pmu_status (*set_baud)(struct pmu_link *l, unsigned baud, struct pmu_error *err);
    void (*close)(struct pmu_link *l);
};

struct pmu_link {
    const struct pmu_link_ops *ops;
    struct pmu_path path;
    int fd;
    unsigned baud;          /* the current nominal line rate */
    bool connecting;        /* TCP connect in progress: wait until fd is writable */
    uint8_t *echo;          /* RS-485: bytes sent that will come back */
    size_t echo_len, echo_cap;
};

/* Opens the link a path names. On PMU_OK, poll l->fd; when l->connecting, wait for
 * it to become writable and call pmu_link_connected. */
enum pmu_status pmu_link_open(struct pmu_link *l, const struct pmu_path *path,
                              struct pmu_error *err);
enum pmu_status pmu_link_connected(struct pmu_link *l, struct pmu_error *err);

/* Reads what is there: PMU_OK with *got > 0, PMU_AGAIN when nothing is waiting, or
 * PMU_E_IO when the link closed or failed (err says which). Parity bits are
 * stripped and echoes dropped, so *got may be 0 with PMU_OK. */
enum pmu_status pmu_link_read(struct pmu_link *l, uint8_t *buf, size_t cap, size_t *got,
                              struct pmu_error *err);

/* Writes as much as the link takes now (*written may be less than len). */
enum pmu_status pmu_link_write(struct pmu_link *l, const uint8_t *data, size_t len,
                               size_t *written, struct pmu_error *err);

enum pmu_status pmu_link_set_baud(struct pmu_link *l, unsigned baud, struct pmu_error *err);

void pmu_link_close(struct pmu_link *l);

#endif
