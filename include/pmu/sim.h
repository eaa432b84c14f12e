/* pmu-sim's meters: pure, I/O-free code. docs/simulator.md is the contract.
 *
 *   clock        meter time: seconds since 1970-01-01T00:00 in the meter's local time
 *                (no time zone, no DST); civil conversions and --time parsing
 *   consumption  deterministic energy per 30-minute interval and the registers that
 *                follow from it, seeded by (seed, meter index)
 *   faults       the --faults spec and the seeded generator that decides when they hit
 *   config/fleet meter options by name, --fleet files
 *   meter        the IEC 62056-21 protocol state machine: "bytes arrived at t" and
 *                "timer at t" in, bytes to send (with their delay and rate) out
 *   model        what a meter says: the generic meter's readout, R1 and R5 answers
 *                (Elster models plug in here later)
 *
 * Nothing here reads the clock, opens a file or keeps global state: the program owns
 * the event loop, the wire timing and the transports. */
#ifndef PMU_SIM_H
#define PMU_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"
#include "pmu/iec62056.h"
#include "pmu/readout.h"

/* ---- Meter clock ----------------------------------------------------------------- */

/* Conversions to and from seconds: pmu_timestamp_to_seconds / _from_seconds. */
/* "YYYY-MM-DDThh:mm:ss" (years 2000..2099, what the protocol's YY can say). */
enum pmu_status pmu_sim_time_parse(const char *text, int64_t *out, struct pmu_error *err);

/* ---- Consumption model ------------------------------------------------------------- */

#define PMU_SIM_INTERVAL_S 1800          /* profile interval: 30 minutes */
#define PMU_SIM_SLOTS 48                 /* intervals per day */
#define PMU_SIM_ORIGIN 946684800         /* 2000-01-01T00:00: energy starts flowing */

/* The three profile channels: 1.29.0 (Wh), 2.29.0 (Wh), 3.29.0 (varh). */
enum { PMU_SIM_IMPORT, PMU_SIM_EXPORT, PMU_SIM_REACTIVE, PMU_SIM_CHANNELS };

struct pmu_sim_load {
    uint64_t key;                  /* seed mixed with the meter index */
    uint32_t daily_wh;             /* mean active import per day */
    uint32_t solar_wh;             /* mean export per day; 0 for meters without generation */
    uint32_t reactive_pct;         /* reactive import as a percentage of active import */
    uint64_t base_day_wh, base_night_wh, base_export_wh;
    uint64_t base_reactive_varh, base_reactive_export_varh;
};

/* Register values at meter time t: base + every interval that ended at or before t. */
struct pmu_sim_registers {
    uint64_t import_wh, import_day_wh, import_night_wh;   /* 1.8.0, 1.8.1, 1.8.2 */
    uint64_t export_wh;                                   /* 2.8.0 */
    uint64_t reactive_import_varh, reactive_export_varh;  /* 3.8.0, 4.8.0 */
    uint32_t max_demand_w;         /* 1.6.0: largest import interval this month x 2 */
    int64_t max_demand_at;         /* end of that interval (month start when none yet) */
    uint32_t billing_resets;       /* 0.1.0: month ends since PMU_SIM_ORIGIN */
    uint32_t voltage_dv;           /* 32.7.0 in 0.1 V */
    uint32_t current_ca;           /* 31.7.0 in 0.01 A */
};

void pmu_sim_load_init(struct pmu_sim_load *l, uint64_t seed, unsigned index);
/* The 48 intervals of day `day` (days since 1970-01-01): out[channel][slot], slot k
 * ending at day*86400 + (k+1)*1800. Zero before PMU_SIM_ORIGIN. */
void pmu_sim_load_day(const struct pmu_sim_load *l, int64_t day,
                      uint32_t out[PMU_SIM_CHANNELS][PMU_SIM_SLOTS]);
/* The interval that ends at `end` (rounded down to a multiple of 30 minutes). */
void pmu_sim_load_interval(const struct pmu_sim_load *l, int64_t end,
                           uint32_t out[PMU_SIM_CHANNELS]);
void pmu_sim_load_registers(const struct pmu_sim_load *l, int64_t t,
                            struct pmu_sim_registers *out);

/* ---- Faults ---------------------------------------------------------------------- */

enum pmu_sim_fault {
    PMU_SIM_CORRUPT,               /* per byte sent: the byte is changed */
    PMU_SIM_DROP,                  /* per byte sent: the byte is lost */
    PMU_SIM_DELAY,                 /* per answer: starts 2 s late */
    PMU_SIM_DISCONNECT,            /* per answer: cut short, then hang up */
    PMU_SIM_SILENCE,               /* per answer: not sent */
    PMU_SIM_WRONG_PASSWORD,        /* per password: refused */
    PMU_SIM_NAK,                   /* per command: answered with NAK */
    PMU_SIM_FAULT_COUNT
};

#define PMU_SIM_DELAY_MS 2000

struct pmu_sim_faults {
    double p[PMU_SIM_FAULT_COUNT]; /* probability of each, 0..1 */
};

const char *pmu_sim_fault_name(enum pmu_sim_fault f);
/* "corrupt=0.01,nak=0.05" (empty: no faults). Errors name the byte and the fault. */
enum pmu_status pmu_sim_faults_parse(const char *spec, struct pmu_sim_faults *out,
                                     struct pmu_error *err);

/* The fault generator: each meter has its own, seeded by (fault seed, meter index). */
struct pmu_sim_rng {
    uint64_t state;
};

void pmu_sim_rng_seed(struct pmu_sim_rng *r, uint64_t seed, unsigned index);
uint64_t pmu_sim_rng_next(struct pmu_sim_rng *r);
/* Does fault f hit now? Draws from r only when f's probability is above 0, so
 * switching one fault on does not change when the others hit. */
bool pmu_sim_fault_hits(const struct pmu_sim_faults *f, enum pmu_sim_fault which,
                        struct pmu_sim_rng *r);

/* ---- Meter options and fleet files -------------------------------------------------- */

#define PMU_SIM_PASSWORD_MAX 32
#define PMU_SIM_REACTION_MS 200
#define PMU_SIM_INTER_CHAR_MS 1500
#define PMU_SIM_INACTIVITY_MS 60000
#define PMU_SIM_PROFILE_DAYS 40         /* depth of the load-profile memory */

struct pmu_sim_model;

/* Options shared by a group of meters; meters keep a pointer to theirs. */
struct pmu_sim_config {
    const struct pmu_sim_model *model;
    enum pmu_iec_mode mode;        /* A, B or C */
    unsigned baud;                 /* highest rate offered (B, C); the fixed rate on TCP */
    unsigned reaction_ms;          /* below 200 the identification advertises 20 ms */
    bool fixed_rate;               /* behind a fixed-rate gateway (TCP): never switch */
    bool addressed_only;           /* multi-drop line: answer only its own address */
    char password[PMU_SIM_PASSWORD_MAX + 1];
    uint64_t seed;                 /* consumption generator */
    uint64_t fault_seed;
    struct pmu_sim_faults faults;
};

void pmu_sim_config_init(struct pmu_sim_config *c);
/* Sets one option by its fleet-file name: model, mode, baud, reaction_ms, password,
 * faults. Messages read "option 'baud': 1234 is not one of 300, ...". */
enum pmu_status pmu_sim_config_set(struct pmu_sim_config *c, const char *name,
                                   const char *value, struct pmu_error *err);
/* Checks options that depend on each other (mode B needs a rate of 600 or more). */
enum pmu_status pmu_sim_config_check(const struct pmu_sim_config *c, struct pmu_error *err);

enum pmu_sim_transport { PMU_SIM_PTY, PMU_SIM_TCP };

struct pmu_sim_group {
    size_t line;                   /* fleet-file line; 0 for command-line groups */
    unsigned count;                /* meters */
    enum pmu_sim_transport transport;
    unsigned multidrop;            /* meters per line (pty or TCP port) */
    struct pmu_sim_config cfg;
};

#define PMU_SIM_MAX_METERS 99999999u /* serial numbers have 8 digits */
#define PMU_SIM_MAX_MULTIDROP 100

struct pmu_sim_fleet {
    size_t n_groups, cap_groups;
    struct pmu_sim_group *groups;
    unsigned total;                /* meters in all groups */
};

void pmu_sim_fleet_init(struct pmu_sim_fleet *f);
void pmu_sim_fleet_free(struct pmu_sim_fleet *f);
/* Appends a group (fills cfg.fixed_rate and cfg.addressed_only from it). */
enum pmu_status pmu_sim_fleet_add(struct pmu_sim_fleet *f, const struct pmu_sim_group *g,
                                  struct pmu_error *err);
/* Appends the groups of a fleet file; defaults are the command-line options. Errors
 * read "line 3: ...". */
enum pmu_status pmu_sim_fleet_parse(struct pmu_sim_fleet *f, const char *text, size_t len,
                                    const struct pmu_sim_config *defaults,
                                    struct pmu_error *err);

/* ---- The meter protocol state machine ------------------------------------------- */

/* A growable byte buffer. */
struct pmu_sim_buf {
    uint8_t *data;
    size_t len, cap;
};

enum pmu_status pmu_sim_buf_append(struct pmu_sim_buf *b, const void *p, size_t n);
enum pmu_status pmu_sim_buf_printf(struct pmu_sim_buf *b, const char *fmt, ...) PMU_PRINTF(2, 3);
void pmu_sim_buf_free(struct pmu_sim_buf *b);

#define PMU_SIM_NEVER INT64_MAX
#define PMU_SIM_MAX_SEGMENTS 2

/* Bytes the meter puts on the wire, all at one rate. */
struct pmu_sim_segment {
    const uint8_t *bytes;          /* valid until the next call on the meter */
    size_t len;
    unsigned baud;
    /* Silence before the first byte: counted from the event's time for the first
     * segment, from the end of the previous segment on the wire for the others. */
    unsigned gap_ms;
};

/* What the meter asks of its line after an event. */
struct pmu_sim_action {
    size_t n_segments;
    struct pmu_sim_segment seg[PMU_SIM_MAX_SEGMENTS];
    bool restart;                  /* a new session began: drop output still queued */
    bool hangup;                   /* after the segments: close the connection */
    unsigned baud;                 /* the rate the meter listens at afterwards */
    int64_t deadline_ms;           /* call pmu_sim_meter_timer then; PMU_SIM_NEVER */
};

struct pmu_sim_meter {
    const struct pmu_sim_config *cfg;
    unsigned index;                /* 1.. ; serial and address derive from it */
    char serial[12];               /* "OPM00000001" */
    char address[9];               /* "00000001" */
    struct pmu_sim_load load;
    struct pmu_sim_rng rng;
    struct pmu_iec_parser parser;
    int state;
    unsigned baud;                 /* rate it listens and answers at */
    bool partial;                  /* the parser holds part of a message */
    int64_t last_rx_ms;            /* last byte received */
    int64_t active_ms;             /* last valid message or end of own output */
    struct pmu_sim_buf last;       /* last message sent: a NAK repeats it */
    unsigned last_baud;
    struct pmu_sim_buf out;        /* bytes of the current action, faults applied */
    size_t seg_start[PMU_SIM_MAX_SEGMENTS];
};

enum pmu_status pmu_sim_meter_init(struct pmu_sim_meter *m, const struct pmu_sim_config *cfg,
                                   unsigned index);
void pmu_sim_meter_free(struct pmu_sim_meter *m);
/* Back to waiting for a sign-on at the starting rate, message memory released
 * (a new TCP connection, a hang-up). */
void pmu_sim_meter_reset(struct pmu_sim_meter *m);

/* Bytes that arrived, the last of them at now_ms (ms since 1970, meter local time).
 * Consumes up to and including the first message the meter acts on and says how
 * many bytes in *used: call again with the rest. Returns PMU_OK or PMU_E_NOMEM. */
enum pmu_status pmu_sim_meter_input(struct pmu_sim_meter *m, int64_t now_ms,
                                    const uint8_t *in, size_t len, size_t *used,
                                    struct pmu_sim_action *act);
/* Time passed: at or after act->deadline_ms of the last call. */
enum pmu_status pmu_sim_meter_timer(struct pmu_sim_meter *m, int64_t now_ms,
                                    struct pmu_sim_action *act);

/* ---- Meter models ------------------------------------------------------------------ */

/* What distinguishes one kind of meter; the protocol machinery around it is shared. */
struct pmu_sim_model {
    const char *name;              /* "generic" */
    const char *manufacturer;      /* three letters of the identification */
    const char *ident;             /* identification text after the baud character */
    /* The data block of a readout at meter time t (seconds): lines, then "!" CR LF. */
    enum pmu_status (*readout)(const struct pmu_sim_meter *m, int64_t t,
                               struct pmu_sim_buf *out);
    /* The data of the answer to a programming-mode read (R1..R6) at time t.
     * PMU_E_INVALID: the meter answers "(ERROR)". */
    enum pmu_status (*read)(const struct pmu_sim_meter *m, int64_t t, const char *cmd,
                            const uint8_t *data, size_t len, struct pmu_sim_buf *out);
};

extern const struct pmu_sim_model pmu_sim_generic;

/* The model called name, or NULL. */
const struct pmu_sim_model *pmu_sim_model_find(const char *name);

#endif
