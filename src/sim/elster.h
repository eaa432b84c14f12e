/* pmu-sim's Elster meters, inside libpmu: what one meter remembers (writes, its clock,
 * its TOU tables) and the history replayed from it (registers, billing sets, the
 * load-profile stream). docs/simulator.md "Elster models" is the contract. */
#ifndef PMU_SIM_ELSTER_INTERNAL_H
#define PMU_SIM_ELSTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/elster.h"
#include "pmu/sim.h"

#define EL_CHANNELS PMU_ELSTER_MAX_CHANNELS
#define EL_CUMULATIVE 10              /* 507: import, export, Q1..Q4, VA, CDR1..3 */
#define EL_MAX_TOU 64
#define EL_MAX_MD 8
#define EL_SETS 12                    /* billing sets kept */
#define EL_MEMORY_DAYS 40             /* load-profile memory before today */
#define EL_DAY 86400

/* TOU tables (openpmu choice identities 930..933, docs/elster.md), back to back. */
#define EL_TOU_SEASONS 0
#define EL_TOU_WEEKS 32
#define EL_TOU_DAYS (32 + 56)
#define EL_TOU_SPECIAL (32 + 56 + 768)
#define EL_TOU_LEN (32 + 56 + 768 + 128)

enum el_event_kind {
    EV_CLOCK,                         /* 861 write: value = the new offset */
    EV_JUMP,                          /* clock_change fault: value = seconds jumped */
    EV_CONFIG,                        /* 777 / 878: word, period */
    EV_RESET,                         /* 655: a billing period ends */
    EV_TOU,                           /* 934: tables take effect */
    EV_POWER_DOWN,                    /* power_fail fault */
    EV_POWER_UP
};

struct el_event {
    int64_t at;                       /* pmu-sim time, seconds */
    enum el_event_kind kind;
    int64_t value;
    uint16_t word;
    unsigned period_min;
    uint8_t *tables;                  /* EV_TOU: EL_TOU_LEN bytes (owned) */
};

/* A written item that has no behaviour beyond being read back. */
struct el_stored {
    unsigned id;
    size_t len;
    uint8_t *bytes;                   /* all sets */
};

struct el_peak {
    uint64_t mw;
    int64_t at;
};

struct el_billing {
    uint64_t cum[EL_CUMULATIVE];
    uint64_t ext[4];
    uint64_t tou[EL_MAX_TOU];
    uint64_t cmd[EL_MAX_MD];
    struct el_peak md[EL_MAX_MD][3];
    unsigned count;
    int64_t start, end;
    uint8_t trigger;
};

/* Everything the meter's memory says at one moment. */
struct el_history {
    int64_t at;                       /* pmu-sim time it was made for */
    unsigned generation;              /* the meter's write count it saw */
    int64_t meter_now;                /* the meter's clock then */
    uint64_t ch[EL_CHANNELS];         /* registers, mWh (all channels) */
    uint64_t tou[EL_MAX_TOU];
    uint64_t cmd[EL_MAX_MD];
    struct el_peak md[EL_MAX_MD][3];
    struct el_billing sets[EL_SETS];  /* sets[0] most recent */
    unsigned n_sets;
    unsigned billing_count;
    int64_t period_start;
    unsigned power_fails;
    int64_t power_fail_times[3];      /* newest first */
    uint16_t word;
    unsigned period_min;
    struct pmu_sim_buf stream;        /* the load-profile memory, without the end byte */
    size_t n_days, cap_days;
    struct el_day { int64_t time; size_t offset; } *days; /* E4 entries in stream */
};

struct pmu_sim_elster {
    const struct pmu_elster_model *model;
    bool started;
    int64_t origin;                   /* history start (pmu-sim time = meter time then) */
    struct el_event *events;
    size_t n_events, cap_events;
    struct el_stored *stored;
    size_t n_stored, cap_stored;
    uint8_t tables[EL_TOU_LEN];       /* 930..933 as written, active after 934 */
    unsigned writes;                  /* 680 counter */
    int64_t write_times[3];
    uint16_t word;                    /* 777 and 878 as written last */
    uint8_t period[3];
    /* session */
    uint8_t seed[8];
    int level;                        /* 0 = not logged in */
    int64_t login_at;
    bool selected;
    unsigned select_days;
    bool have_history;
    struct el_history hist;
    uint8_t *lp;                      /* the stream fixed for this session, with FF */
    size_t lp_len;
};

/* Defaults */
#define EL_DEFAULT_WORD 0x0027u       /* import, export, Q1, Q4 */
#define EL_DEFAULT_PERIOD 30u

/* elster_history.c */
void el_default_tables(uint8_t t[EL_TOU_LEN]);
unsigned el_rate(const uint8_t t[EL_TOU_LEN], int64_t meter_time);
/* The clock offset at pmu-sim time t (writes and clock_change faults). */
int64_t el_offset(const struct pmu_sim_meter *m, int64_t t);
enum pmu_status el_history_make(const struct pmu_sim_meter *m, int64_t now,
                                struct el_history *h);
void el_history_free(struct el_history *h);
/* Channel (0..13) of a model's source code, -1 for none. */
int el_source_channel(const struct pmu_elster_model *model, int code);
/* Default sources: 667 (TOU registers) and 668 (MD registers). */
void el_default_sources(const struct pmu_elster_model *model, uint8_t tou[EL_MAX_TOU],
                        uint8_t md[EL_MAX_MD]);

/* elster_items.c: the bytes of one identity (all sets) now. PMU_E_UNSUPPORTED when it
 * has no content (550: use the session stream). */
enum pmu_status el_item_bytes(struct pmu_sim_meter *m, int64_t now,
                              const struct pmu_elster_identity *id, uint8_t **out,
                              size_t *len);
/* Applies a W1; returns 0 or an ERRn code. */
int el_item_write(struct pmu_sim_meter *m, int64_t now, const struct pmu_elster_identity *id,
                  unsigned packet, const uint8_t *data, size_t len);
/* elster_meter.c: the session, for meter.c. */
enum pmu_status el_session_start(struct pmu_sim_meter *m, int64_t now, struct pmu_sim_buf *p0);
enum pmu_status el_command(struct pmu_sim_meter *m, int64_t now, const struct pmu_iec_frame *f,
                           struct pmu_sim_buf *answer);
void el_session_end(struct pmu_sim_elster *e);
void el_free(struct pmu_sim_elster *e);

const struct el_history *el_history_now(struct pmu_sim_meter *m, int64_t now,
                                        enum pmu_status *st);
enum pmu_status el_add_event(struct pmu_sim_elster *e, const struct el_event *ev);

#endif
