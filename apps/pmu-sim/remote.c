/* Modems, PADs and the meters behind them. See remote.h.
 *
 * A call joins a device to a far line. Bytes from the host reach the device line,
 * go through the pure machine and, in data mode, on to the far line (line_feed),
 * where they take wire time at the meters' rate. The meters' bytes leave the far line
 * paced at the meters' rate, go through the machine again (a PAD holds them for its
 * idle timer) and are paced once more at the device's host rate. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

struct far;

struct device {
    struct remote *r;
    enum pmu_sim_call_kind kind;
    unsigned index;                /* 1.. within its kind */
    struct line *line;
    struct far *far;               /* the far line it is in a call with, or NULL */
    union {
        struct pmu_sim_modem modem;
        struct pmu_sim_pad pad;
    } u;
};

struct far {
    struct line *line;
    enum pmu_sim_call_kind via;
    unsigned first;                /* index of its first meter: its number derives from it */
    struct device *caller;         /* in a call with, or NULL */
};

struct remote {
    struct sim *sim;
    size_t n_devices, cap_devices;
    struct device **devices;
    size_t n_fars, cap_fars;
    struct far *fars;
    unsigned n_kind[2];            /* modems and PADs so far, for their numbers */
};

static bool grow(void **array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*array, ncap * size);
    if (p == NULL)
        return false;
    *array = p;
    *cap = ncap;
    return true;
}

/* ---- The phone book ---------------------------------------------------------------- */

static enum pmu_sim_callee lookup(struct device *d, const char *number, unsigned *target)
{
    struct remote *r = d->r;
    unsigned index = d->kind == PMU_SIM_MODEM ? pmu_sim_dial_index(number)
                                              : pmu_sim_nua_index(number);
    if (index == 0)
        return PMU_SIM_CALLEE_NONE;
    /* Far lines are added in order of their first meter. */
    size_t lo = 0, hi = r->n_fars;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->fars[mid].first < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == r->n_fars || r->fars[lo].first != index || r->fars[lo].via != d->kind)
        return PMU_SIM_CALLEE_NONE;
    *target = (unsigned)lo;
    return r->fars[lo].caller != NULL ? PMU_SIM_CALLEE_BUSY : PMU_SIM_CALLEE_FREE;
}

static enum pmu_sim_callee lookup_cb(void *ctx, const char *number, unsigned *target)
{
    return lookup(ctx, number, target);
}

/* ---- Carrying out what a machine asks -------------------------------------------- */

static void far_data(void *ctx, const uint8_t *p, size_t n);
static void far_gone(void *ctx);
static const struct line_far_ops far_ops = {far_data, far_gone};

static void hang_up(struct device *d)
{
    struct far *f = d->far;
    if (f == NULL)
        return;
    d->far = NULL;
    f->caller = NULL;
    line_detach(f->line);
}

static void carry_out(struct device *d, const struct pmu_sim_call_action *act, int64_t at_ms,
                      enum pmu_status st)
{
    if (st != PMU_OK)
        fprintf(stderr, "pmu-sim: %s %u: out of memory\n",
                d->kind == PMU_SIM_MODEM ? "modem" : "pad", d->index);
    /* The deadline first: feeding the far line below can run this device's machine
     * again (the meters answer), and that newer deadline must win. */
    line_set_deadline(d->line, act->deadline_ms);
    line_send(d->line, act->host, act->host_len, at_ms);
    if (act->call == PMU_SIM_CALL_OPEN && d->far == NULL) {
        struct far *f = &d->r->fars[act->target];
        if (f->caller == NULL) {
            f->caller = d;
            d->far = f;
            line_attach(f->line, &far_ops, f);
        }
    }
    const uint8_t *bytes = act->far;
    size_t len = act->far_len;
    if (d->far != NULL && len > 0)
        line_feed(d->far->line, bytes, len);
    if (act->call == PMU_SIM_CALL_CLOSE)
        hang_up(d);
}

static void far_data(void *ctx, const uint8_t *p, size_t n)
{
    struct far *f = ctx;
    struct device *d = f->caller;
    if (d == NULL)
        return;
    struct pmu_sim_call_action act;
    int64_t now = line_now_ms(d->line);
    enum pmu_status st = d->kind == PMU_SIM_MODEM
                             ? pmu_sim_modem_far_input(&d->u.modem, now, p, n, &act)
                             : pmu_sim_pad_far_input(&d->u.pad, now, p, n, &act);
    carry_out(d, &act, now, st);
}

static void far_gone(void *ctx)
{
    struct far *f = ctx;
    struct device *d = f->caller;
    if (d == NULL)
        return;
    d->far = NULL;
    f->caller = NULL;
    struct pmu_sim_call_action act;
    int64_t now = line_now_ms(d->line);
    enum pmu_status st = d->kind == PMU_SIM_MODEM ? pmu_sim_modem_far_gone(&d->u.modem, now, &act)
                                                  : pmu_sim_pad_far_gone(&d->u.pad, now, &act);
    carry_out(d, &act, now, st);
}

static void dev_input(void *ctx, int64_t at_ms, const uint8_t *p, size_t n)
{
    struct device *d = ctx;
    struct pmu_sim_call_action act;
    enum pmu_status st = d->kind == PMU_SIM_MODEM
                             ? pmu_sim_modem_input(&d->u.modem, at_ms, p, n, &act)
                             : pmu_sim_pad_input(&d->u.pad, at_ms, p, n, &act);
    carry_out(d, &act, at_ms, st);
}

static void dev_timer(void *ctx, int64_t now_ms)
{
    struct device *d = ctx;
    struct pmu_sim_call_action act;
    enum pmu_status st = d->kind == PMU_SIM_MODEM ? pmu_sim_modem_timer(&d->u.modem, now_ms, &act)
                                                  : pmu_sim_pad_timer(&d->u.pad, now_ms, &act);
    carry_out(d, &act, now_ms, st);
}

static void dev_closed(void *ctx, int64_t now_ms)
{
    struct device *d = ctx;
    struct pmu_sim_call_action act;
    if (d->kind == PMU_SIM_MODEM)
        pmu_sim_modem_reset(&d->u.modem, &act);
    else
        pmu_sim_pad_reset(&d->u.pad, &act);
    carry_out(d, &act, now_ms, PMU_OK);
}

static const struct line_device_ops device_ops = {dev_input, dev_timer, dev_closed};

/* ---- Building and printing -------------------------------------------------------- */

struct remote *remote_new(struct sim *sim)
{
    struct remote *r = calloc(1, sizeof *r);
    if (r != NULL)
        r->sim = sim;
    return r;
}

bool remote_add_devices(struct remote *r, enum pmu_sim_transport transport, unsigned n,
                        const struct pmu_sim_call_config *cfg, struct pmu_error *err)
{
    for (unsigned i = 0; i < n; i++) {
        struct device *d = calloc(1, sizeof *d);
        if (d == NULL ||
            !grow((void **)&r->devices, &r->cap_devices, r->n_devices, sizeof *r->devices)) {
            free(d);
            pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
            return false;
        }
        d->r = r;
        d->kind = cfg->kind;
        d->index = ++r->n_kind[cfg->kind];
        if (d->kind == PMU_SIM_MODEM)
            pmu_sim_modem_init(&d->u.modem, cfg, d->index, lookup_cb, d);
        else
            pmu_sim_pad_init(&d->u.pad, cfg, d->index, lookup_cb, d);
        r->devices[r->n_devices++] = d;
        d->line = line_open_device(r->sim, transport, PMU_SIM_HOST_BAUD, &device_ops, d, err);
        if (d->line == NULL)
            return false;
    }
    return true;
}

bool remote_add_meters(struct remote *r, enum pmu_sim_call_kind via,
                       const struct pmu_sim_config *cfg, unsigned first, unsigned n,
                       struct pmu_error *err)
{
    if (via == PMU_SIM_PAD && first + n - 1 > PMU_SIM_MAX_NUA_INDEX) {
        pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                      "meters behind PADs are numbered up to %u (their NUA's port has 6 digits)",
                      PMU_SIM_MAX_NUA_INDEX);
        return false;
    }
    if (!grow((void **)&r->fars, &r->cap_fars, r->n_fars, sizeof *r->fars)) {
        pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        return false;
    }
    struct line *l = line_open_far(r->sim, cfg, first, n, err);
    if (l == NULL)
        return false;
    r->fars[r->n_fars++] = (struct far){.line = l, .via = via, .first = first};
    return true;
}

void remote_print(const struct remote *r, FILE *out)
{
    char path[160];
    for (size_t i = 0; i < r->n_devices; i++) {
        const struct device *d = r->devices[i];
        if (d->line == NULL)
            continue;
        line_describe(d->line, path, sizeof path);
        fprintf(out, "%s %u %s\n", d->kind == PMU_SIM_MODEM ? "modem" : "pad", d->index, path);
    }
    for (size_t i = 0; i < r->n_fars; i++) {
        const struct far *f = &r->fars[i];
        char number[16];
        if (f->via == PMU_SIM_MODEM)
            pmu_sim_dial_number(f->first, number);
        else
            pmu_sim_nua(f->first, number);
        for (size_t k = 0; k < line_meters(f->line); k++) {
            const struct pmu_sim_meter *m = line_meter(f->line, k);
            fprintf(out, "meter %s %s %s address=%s\n", m->serial,
                    f->via == PMU_SIM_MODEM ? "dial" : "nua", number, m->address);
        }
    }
}

void remote_close(struct remote *r)
{
    for (size_t i = 0; i < r->n_devices; i++)
        if (r->devices[i]->line != NULL) {
            line_close(r->devices[i]->line);
            r->devices[i]->line = NULL;
        }
    for (size_t i = 0; i < r->n_fars; i++)
        if (r->fars[i].line != NULL) {
            line_close(r->fars[i].line);
            r->fars[i].line = NULL;
        }
}

void remote_free(struct remote *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_devices; i++) {
        struct device *d = r->devices[i];
        if (d->kind == PMU_SIM_MODEM)
            pmu_sim_modem_free(&d->u.modem);
        else
            pmu_sim_pad_free(&d->u.pad);
        free(d);
    }
    free(r->devices);
    free(r->fars);
    free(r);
}
