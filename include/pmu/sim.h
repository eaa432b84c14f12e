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
 *   model        what a meter says: the generic meter's readout, R1 and R5 answers;
 *                Elster models (cfg->elster, a loaded model file): P0/P2, R1/W1 of
 *                data identities, a history of registers, billing sets and load profile
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
    PMU_SIM_POWER_FAIL,            /* Elster models, per meter day: a power outage */
    PMU_SIM_CLOCK_CHANGE,          /* Elster models, per meter day: the clock jumps */
    PMU_SIM_FAULT_COUNT
};

#define PMU_SIM_DELAY_MS 2000

struct pmu_sim_faults {
    double p[PMU_SIM_FAULT_COUNT]; /* probability of each, 0..1 */
    /* cut_after_writes=N (a count, not a probability): the generic meter applies the
     * Nth W1 of a programming session, then hangs up without answering it; 0 = never */
    unsigned cut_after_writes;
};

const char *pmu_sim_fault_name(enum pmu_sim_fault f);
/* "corrupt=0.01,nak=0.05,cut_after_writes=3" (empty: no faults). Errors name the byte and the fault. */
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
struct pmu_elster_model;
struct pmu_sim_elster;

#define PMU_SIM_MODEL_NAME_MAX 31       /* Elster model file names: "a1700-32tou-5cdr" */

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
    /* Elster models: the model file's name (empty for the generic meter) and the
     * loaded file, which the program sets (pmu_sim_config_set only keeps the name:
     * this library reads no files). password is level 3; "" = no such level. */
    char elster_name[PMU_SIM_MODEL_NAME_MAX + 1];
    const struct pmu_elster_model *elster;
    char password1[PMU_SIM_PASSWORD_MAX + 1];
    char password2[PMU_SIM_PASSWORD_MAX + 1];
    char password4[PMU_SIM_PASSWORD_MAX + 1];
    unsigned password_timeout_s;   /* 0: the model file's timeout_seconds */
};

void pmu_sim_config_init(struct pmu_sim_config *c);
/* Sets one option by its fleet-file name: model, mode, baud, reaction_ms, password,
 * faults, password1, password2, password4, password_timeout. model is "generic" or an
 * Elster model file name ([a-z0-9._-], kept in elster_name). Messages read "option 'baud': 1234 is not one of 300, ...". */
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

/* A value written to a generic meter with W1 ("ADDRESS(VALUE)", docs/schemes.md). */
#define PMU_SIM_SETTING_MAX 32
struct pmu_sim_setting {
    char address[PMU_SIM_SETTING_MAX + 1];
    char value[PMU_SIM_SETTING_MAX + 1];
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
    struct pmu_sim_elster *elster; /* Elster models: what the meter remembers */
    /* Generic meter: what W1 wrote, kept for the process's life (across sessions and
     * connections, not across pmu_sim_meter_free); R1 answers it. */
    struct pmu_sim_setting *settings;
    size_t n_settings, cap_settings;
    unsigned session_writes;       /* W1s accepted since the password, for cut_after_writes */
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
    /* W1 "ADDRESS(VALUE)" in programming mode; NULL: the model takes no W1.
     * PMU_E_INVALID: the meter answers "(ERROR)" and keeps nothing. */
    enum pmu_status (*write)(struct pmu_sim_meter *m, const uint8_t *data, size_t len);
};

/* Is address one of the generic meter's writable addresses (docs/schemes.md)? */
bool pmu_sim_generic_writable(const char *address);

extern const struct pmu_sim_model pmu_sim_generic;
/* Elster models (cfg->elster): identification and register protocol in elster_*.c. */
extern const struct pmu_sim_model pmu_sim_elster;

/* The identification text an Elster model's meters send after "/GEC" and the baud
 * character: "090100010400@000" (master unit, product range 010, device, issue 04). */
int pmu_sim_elster_ident(const struct pmu_elster_model *model, char *buf, size_t size);

/* The model called name, or NULL. */
const struct pmu_sim_model *pmu_sim_model_find(const char *name);

/* ---- Hayes modems and X.28 PADs ---------------------------------------------------- */

/* A modem or a PAD stands between the host (its own 8N1 line at a fixed rate) and a far
 * end: a line of meters that it calls by number (modem) or NUA (PAD). The machines
 * take "bytes from the host", "bytes from the far end", "the far end went away" and
 * "time passed", each with its time in ms, and answer with bytes for the host (due at
 * once; the program paces them at the host rate), bytes for the far end, a call to
 * open or close, and their next deadline. docs/simulator.md has the dialogues. */

#define PMU_SIM_HOST_BAUD 9600           /* host side of every modem and PAD, 8N1 */
#define PMU_SIM_MODEM_CONNECT_MS 2000    /* default: ATD to CONNECT */
#define PMU_SIM_PAD_CONNECT_MS 1000      /* default: CALL to COM or CLR */
#define PMU_SIM_SLOW_CONNECT_MS 30000    /* the slow_connect fault */
#define PMU_SIM_NO_ANSWER_MS 10000       /* ATD to NO ANSWER */
#define PMU_SIM_NO_DIALTONE_MS 1000      /* ATD to NO DIALTONE */
#define PMU_SIM_GUARD_MS 1000            /* silence before and after "+++" */
#define PMU_SIM_DROP_MIN_MS 1000         /* the drop fault: 1..10 s after connecting */
#define PMU_SIM_DROP_MAX_MS 10000
#define PMU_SIM_PAD_IDLE_MS 50           /* PAD forwards meter bytes after this much idle */
#define PMU_SIM_PAD_FORWARD_MAX 128      /* ... or when this many are waiting */
#define PMU_SIM_COMMAND_MAX 80           /* longest command line; longer ones are errors */

enum pmu_sim_call_kind { PMU_SIM_MODEM, PMU_SIM_PAD };

/* Faults of a call, drawn at every dial or CALL in this order (each only when
 * switched on). Their names differ by kind: see pmu_sim_call_fault_name. */
enum pmu_sim_call_fault {
    PMU_SIM_CALL_UNAVAILABLE,      /* modem "no_dialtone": NO DIALTONE; PAD "der": CLR DER */
    PMU_SIM_CALL_BUSY,             /* modem "busy": BUSY; PAD "occ": CLR OCC */
    PMU_SIM_CALL_NO_ANSWER,        /* modem "no_answer": NO ANSWER; PAD "nc": CLR NC */
    PMU_SIM_CALL_SLOW,             /* "slow_connect": connected after 30 s */
    PMU_SIM_CALL_DROP,             /* "drop": NO CARRIER / CLR DER 1..10 s after connecting */
    PMU_SIM_CALL_FAULT_COUNT
};

/* Options of a group of modems or PADs; the machines keep a pointer to theirs. */
struct pmu_sim_call_config {
    enum pmu_sim_call_kind kind;
    unsigned connect_ms;           /* dial or CALL to CONNECT or COM */
    uint64_t fault_seed;           /* each machine: seeded by (fault_seed, its index) */
    double faults[PMU_SIM_CALL_FAULT_COUNT];
};

void pmu_sim_call_config_init(struct pmu_sim_call_config *c, enum pmu_sim_call_kind kind);
/* Options by name: connect_ms (0..60000), faults ("busy=0.1,drop=0.05"). */
enum pmu_status pmu_sim_call_config_set(struct pmu_sim_call_config *c, const char *name,
                                        const char *value, struct pmu_error *err);
const char *pmu_sim_call_fault_name(enum pmu_sim_call_kind kind, enum pmu_sim_call_fault f);
enum pmu_status pmu_sim_call_faults_parse(enum pmu_sim_call_kind kind, const char *spec,
                                          double out[PMU_SIM_CALL_FAULT_COUNT],
                                          struct pmu_error *err);

/* The program's phone book: who answers a number or NUA (digits only). */
enum pmu_sim_callee { PMU_SIM_CALLEE_NONE, PMU_SIM_CALLEE_FREE, PMU_SIM_CALLEE_BUSY };
typedef enum pmu_sim_callee (*pmu_sim_lookup_fn)(void *ctx, const char *number,
                                                 unsigned *target);

enum pmu_sim_call_event {
    PMU_SIM_CALL_NONE,
    PMU_SIM_CALL_OPEN,             /* connect the far end `target`; it starts afresh */
    PMU_SIM_CALL_CLOSE             /* after the far bytes: the call ends */
};

struct pmu_sim_call_action {
    const uint8_t *host;           /* to the host, due now; valid until the next call */
    size_t host_len;
    const uint8_t *far;            /* to the far end, before the call event */
    size_t far_len;
    enum pmu_sim_call_event call;
    unsigned target;               /* with PMU_SIM_CALL_OPEN */
    int64_t deadline_ms;           /* call the timer function then; PMU_SIM_NEVER */
};

/* Does a fault of probability p hit now? Draws only when p > 0. */
bool pmu_sim_call_chance(double p, struct pmu_sim_rng *r);

/* A Hayes modem: AT commands in command mode, transparent in data mode. */
struct pmu_sim_modem {
    const struct pmu_sim_call_config *cfg;
    unsigned index;                /* 1.. */
    pmu_sim_lookup_fn lookup;
    void *lookup_ctx;
    struct pmu_sim_rng rng;
    int state;
    bool echo, verbose, quiet;
    char cmd[PMU_SIM_COMMAND_MAX + 1];
    size_t cmd_len;
    bool cmd_overflow;
    char number[PMU_SIM_COMMAND_MAX + 1]; /* being dialled */
    int outcome;                   /* what the dial ends in */
    unsigned drop_after_ms;        /* the drop fault: how long the call lasts; 0: no drop */
    unsigned target;
    int64_t result_ms;             /* dial result due; PMU_SIM_NEVER */
    int64_t drop_ms;               /* the drop fault ends the call; PMU_SIM_NEVER */
    int64_t escape_ms;             /* "+++" and its guard time complete */
    int64_t last_rx_ms;            /* last byte from the host in data mode */
    int64_t plus_ms;               /* last '+' of a possible escape */
    unsigned plus;                 /* '+' counted so far */
    struct pmu_sim_buf host, far;  /* the current action's bytes */
};

void pmu_sim_modem_init(struct pmu_sim_modem *m, const struct pmu_sim_call_config *cfg,
                        unsigned index, pmu_sim_lookup_fn lookup, void *lookup_ctx);
void pmu_sim_modem_free(struct pmu_sim_modem *m);
/* Factory settings, call closed without a word (the host's connection went, DTR). */
void pmu_sim_modem_reset(struct pmu_sim_modem *m, struct pmu_sim_call_action *act);
/* Bytes from the host, the last of them at now_ms. All are consumed. */
enum pmu_status pmu_sim_modem_input(struct pmu_sim_modem *m, int64_t now_ms,
                                    const uint8_t *in, size_t len,
                                    struct pmu_sim_call_action *act);
/* Bytes from the far end: passed to the host in data mode, dropped otherwise. */
enum pmu_status pmu_sim_modem_far_input(struct pmu_sim_modem *m, int64_t now_ms,
                                        const uint8_t *in, size_t len,
                                        struct pmu_sim_call_action *act);
/* The far end hung up (or could not be connected): NO CARRIER. */
enum pmu_status pmu_sim_modem_far_gone(struct pmu_sim_modem *m, int64_t now_ms,
                                       struct pmu_sim_call_action *act);
enum pmu_status pmu_sim_modem_timer(struct pmu_sim_modem *m, int64_t now_ms,
                                    struct pmu_sim_call_action *act);
/* In a call (data mode or online command mode). */
bool pmu_sim_modem_in_call(const struct pmu_sim_modem *m);

/* An X.28 PAD: PAD commands (no prompt, no echo), transparent after COM. */
struct pmu_sim_pad {
    const struct pmu_sim_call_config *cfg;
    unsigned index;
    pmu_sim_lookup_fn lookup;
    void *lookup_ctx;
    struct pmu_sim_rng rng;
    int state;
    char cmd[PMU_SIM_COMMAND_MAX + 1];
    size_t cmd_len;
    bool cmd_overflow;
    char nua[16];                  /* being called */
    int outcome;
    unsigned drop_after_ms;
    unsigned target;
    int64_t result_ms, drop_ms, forward_ms;
    struct pmu_sim_buf waiting;    /* meter bytes held for the idle timer */
    struct pmu_sim_buf host, far;
};

void pmu_sim_pad_init(struct pmu_sim_pad *p, const struct pmu_sim_call_config *cfg,
                      unsigned index, pmu_sim_lookup_fn lookup, void *lookup_ctx);
void pmu_sim_pad_free(struct pmu_sim_pad *p);
void pmu_sim_pad_reset(struct pmu_sim_pad *p, struct pmu_sim_call_action *act);
enum pmu_status pmu_sim_pad_input(struct pmu_sim_pad *p, int64_t now_ms, const uint8_t *in,
                                  size_t len, struct pmu_sim_call_action *act);
enum pmu_status pmu_sim_pad_far_input(struct pmu_sim_pad *p, int64_t now_ms,
                                      const uint8_t *in, size_t len,
                                      struct pmu_sim_call_action *act);
/* The far end hung up: CLR DTE. */
enum pmu_status pmu_sim_pad_far_gone(struct pmu_sim_pad *p, int64_t now_ms,
                                     struct pmu_sim_call_action *act);
enum pmu_status pmu_sim_pad_timer(struct pmu_sim_pad *p, int64_t now_ms,
                                  struct pmu_sim_call_action *act);
bool pmu_sim_pad_in_call(const struct pmu_sim_pad *p);

/* Phone numbers and NUAs of the meter line whose first meter has index i:
 * "01" + 8 digits, and "2353" "1990" + (100000 + i) (i up to PMU_SIM_MAX_NUA_INDEX). */
#define PMU_SIM_MAX_NUA_INDEX 899999u
void pmu_sim_dial_number(unsigned index, char out[11]);
void pmu_sim_nua(unsigned index, char out[15]);
/* The index a number or NUA stands for, or 0. */
unsigned pmu_sim_dial_index(const char *number);
unsigned pmu_sim_nua_index(const char *nua);

#endif
