/* Programming schemes: what a meter should be set to (TOU tables, rate-to-register
 * mapping, maximum demand, load profile, CT/VT ratios, display list, scheme id), as a
 * human-edited YAML file (docs/schemes.md).
 *
 *   text --pmu_scheme_parse--> struct pmu_scheme (every field keeps its line)
 *        --pmu_scheme_check--> problems as (line, message) against a model's limits
 *        --pmu_scheme_compile--> ordered write items for one model (Elster data
 *                                identities, or W1 address(value) for generic meters)
 *   read-back items --pmu_scheme_decode--> struct pmu_scheme (the meter's view)
 *   two schemes --pmu_scheme_flatten / pmu_scheme_diff--> field-level differences
 *
 * Everything here is pure: no I/O, no clock. The model limits come from an Elster
 * model file (pmu_scheme_caps_from_elster) or a generic model file
 * (pmu_scheme_caps_load, models/generic/generic-iec.json). */
#ifndef PMU_SCHEME_H
#define PMU_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmu/elster.h"
#include "pmu/error.h"

/* Parse limits: generous, so that "more than the model has" is a validation message
 * with a line, not a parse failure. */
#define PMU_SCHEME_TEXT_MAX 32      /* names, with the NUL */
#define PMU_SCHEME_ID_MAX 33        /* scheme id (the A1700 holds 16 characters) */
#define PMU_SCHEME_MAX_MODELS 8
#define PMU_SCHEME_MAX_RATES 64
#define PMU_SCHEME_MAX_REGISTERS 64
#define PMU_SCHEME_MAX_DAY_TYPES 32
#define PMU_SCHEME_MAX_SWITCHES 32
#define PMU_SCHEME_MAX_SEASONS 32
#define PMU_SCHEME_MAX_SPECIAL_DAYS 64
#define PMU_SCHEME_MAX_MD 16
#define PMU_SCHEME_MAX_CHANNELS 32
#define PMU_SCHEME_MAX_DISPLAY 64

struct pmu_scheme_rate {
    char name[PMU_SCHEME_TEXT_MAX];
    unsigned number;                  /* rate number on the meter, 1.. */
    unsigned line;
};

/* A TOU register accumulates energy of `source` while `rate` is in force. */
struct pmu_scheme_register {
    unsigned number;                  /* 1..number of TOU registers */
    char rate[PMU_SCHEME_TEXT_MAX];
    char source[PMU_SCHEME_TEXT_MAX]; /* import, export, q1..q4, apparent, cdr1..5, ext1..4 */
    unsigned line;
};

struct pmu_scheme_switch {
    unsigned hour, minute;
    char rate[PMU_SCHEME_TEXT_MAX];
    unsigned line;
};

struct pmu_scheme_day_type {
    char name[PMU_SCHEME_TEXT_MAX];
    size_t n_switches;
    struct pmu_scheme_switch switches[PMU_SCHEME_MAX_SWITCHES];
    unsigned line;
};

struct pmu_scheme_season {
    char name[PMU_SCHEME_TEXT_MAX];
    unsigned month, day;              /* first day of the season */
    char week[7][PMU_SCHEME_TEXT_MAX];/* day type Monday..Sunday */
    unsigned line;
};

struct pmu_scheme_special_day {
    unsigned year;                    /* 0 = every year */
    unsigned month, day;
    char day_type[PMU_SCHEME_TEXT_MAX];
    unsigned line;
};

/* Line of each top-level section (0 = absent from the file). */
struct pmu_scheme_lines {
    unsigned name, scheme_id, models, password_level, ct, vt, rates, registers, day_types,
        seasons, special_days, maximum_demand, md_period, md_sub_intervals, md_registers,
        load_profile, lp_interval, lp_channels, display;
};

struct pmu_scheme {
    char name[64];                    /* the name it is stored under */
    char description[256];
    char scheme_id[PMU_SCHEME_ID_MAX];/* written to the meter */
    size_t n_models;
    char models[PMU_SCHEME_MAX_MODELS][64];
    unsigned password_level;          /* meter password level programming needs; 0 = not given */
    char ct[32], vt[32];              /* "primary/secondary", canonical ("200/5"); "" = not set */
    size_t n_rates;
    struct pmu_scheme_rate rates[PMU_SCHEME_MAX_RATES];
    size_t n_registers;
    struct pmu_scheme_register registers[PMU_SCHEME_MAX_REGISTERS];
    size_t n_day_types;
    struct pmu_scheme_day_type day_types[PMU_SCHEME_MAX_DAY_TYPES];
    size_t n_seasons;
    struct pmu_scheme_season seasons[PMU_SCHEME_MAX_SEASONS];
    size_t n_special_days;
    struct pmu_scheme_special_day special_days[PMU_SCHEME_MAX_SPECIAL_DAYS];
    bool has_md;
    unsigned md_period, md_sub_intervals;      /* minutes; count of sub-intervals */
    size_t n_md_registers;
    char md_registers[PMU_SCHEME_MAX_MD][PMU_SCHEME_TEXT_MAX]; /* source of each MD register */
    unsigned md_register_lines[PMU_SCHEME_MAX_MD];
    bool has_lp;
    unsigned lp_interval;                      /* minutes */
    size_t n_lp_channels;
    char lp_channels[PMU_SCHEME_MAX_CHANNELS][PMU_SCHEME_TEXT_MAX];
    unsigned lp_channel_lines[PMU_SCHEME_MAX_CHANNELS];
    bool has_display;
    size_t n_display;
    char display[PMU_SCHEME_MAX_DISPLAY][PMU_SCHEME_TEXT_MAX]; /* OBIS, full form */
    unsigned display_lines[PMU_SCHEME_MAX_DISPLAY];
    struct pmu_scheme_lines lines;
};

/* Problems are reported one at a time with the line they concern (0: the whole file). */
typedef void (*pmu_scheme_report_fn)(void *user, unsigned line, const char *message);

/* Parses scheme text into *out (heap: the struct is large; free with
 * pmu_scheme_free). Structural problems (YAML syntax, unknown keys, wrong types,
 * malformed times or dates) are reported through report (may be NULL); the first one
 * is also in err as "line N: ...". Returns PMU_E_SYNTAX when any was found. */
enum pmu_status pmu_scheme_parse(const char *text, size_t len, struct pmu_scheme **out,
                                 pmu_scheme_report_fn report, void *user, struct pmu_error *err);
void pmu_scheme_free(struct pmu_scheme *s);

/* ---- Model limits --------------------------------------------------------------- */

enum pmu_scheme_target { PMU_SCHEME_ELSTER, PMU_SCHEME_GENERIC };

/* Elster data identities that openpmu defines for programming (openpmu choice,
 * docs/elster.md and docs/schemes.md): TOU tables, register rates and the display
 * list. */
enum {
    PMU_SCHEME_ID_SEASONS = 930,
    PMU_SCHEME_ID_WEEKS = 931,
    PMU_SCHEME_ID_DAY_TYPES = 932,
    PMU_SCHEME_ID_SPECIAL_DAYS = 933,
    PMU_SCHEME_ID_ACTIVATE = 934,
    PMU_SCHEME_ID_REGISTER_RATES = 935,
    PMU_SCHEME_ID_DISPLAY = 937
};

struct pmu_scheme_caps {
    char model[64];
    enum pmu_scheme_target target;
    const struct pmu_elster_model *elster; /* the model file, for PMU_SCHEME_ELSTER */
    unsigned tou_registers, md_registers, lp_channels;
    unsigned rates;                   /* highest rate number */
    unsigned day_types, switch_points, seasons, week_profiles, special_days, display_items;
    unsigned password_levels;
    size_t scheme_id_length;
    bool has_tou, has_md, has_lp, has_display, has_ratios;
    size_t n_lp_intervals, n_md_periods;
    unsigned lp_intervals[16], md_periods[16];
    unsigned md_sub_intervals_max;
    bool lp_at_md_period;             /* one period for both (Elster 878) */
};

/* The limits of an Elster model: counts from the model file, the TOU table sizes
 * from its openpmu-choice identities (930..935, 937), a section is available only
 * when the model has writable identities for it. The load profile records at the
 * integration period (878), so a scheme with both gives them the same period. */
void pmu_scheme_caps_from_elster(const struct pmu_elster_model *m, struct pmu_scheme_caps *out);
/* A generic IEC 62056-21 model file ("format": "openpmu-generic-model/1"). */
enum pmu_status pmu_scheme_caps_load(const char *json_text, size_t len, struct pmu_scheme_caps *out,
                                     struct pmu_error *err);

/* Checks a parsed scheme against itself (every rate has a register, switch times in
 * order, known day types ...) and, when caps is not NULL, against a model (counts,
 * intervals, ratio sizes, ...). Reports each problem; returns the number found. */
size_t pmu_scheme_check(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                        pmu_scheme_report_fn report, void *user);
/* Only the rules about the model (to check one scheme against several models
 * without repeating its own problems). */
size_t pmu_scheme_check_model(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                              pmu_scheme_report_fn report, void *user);

/* Source names ("import", "q1", "cdr2", "ext4") and their OBIS group C (1, 5, 129,
 * 134); 0 for an unknown name / NULL for an unknown C. */
unsigned pmu_scheme_source_obis_c(const char *name);
const char *pmu_scheme_source_name(unsigned obis_c);

/* ---- Canonical text and comparison --------------------------------------------- */

/* Writes the scheme as canonical YAML (docs/schemes.md): parses back equal. */
enum pmu_status pmu_scheme_emit(const struct pmu_scheme *s, FILE *out, struct pmu_error *err);

/* The scheme as "path: value" lines, one per field, in a fixed order: the basis of
 * show, diff and verify. meter_only keeps the fields a meter holds (drops name,
 * description, models, password level and season names). *out is one heap string of
 * lines (free()). */
enum pmu_status pmu_scheme_flatten(const struct pmu_scheme *s, bool meter_only, char **out,
                                   struct pmu_error *err);

/* Field-level differences from a to b, one per call of fn: path, old value (NULL =
 * only in b), new value (NULL = only in a). Returns the number of differences, or -1
 * when out of memory. */
typedef void (*pmu_scheme_diff_fn)(void *user, const char *path, const char *old_value,
                                   const char *new_value);
long pmu_scheme_diff(const struct pmu_scheme *a, const struct pmu_scheme *b, bool meter_only,
                     pmu_scheme_diff_fn fn, void *user);

/* ---- Compiling to meter writes ------------------------------------------------- */

#define PMU_SCHEME_ITEM_DATA_MAX 256

/* One write (or, as read back, one read) of a compiled scheme. */
struct pmu_scheme_item {
    const char *what;                 /* "scheme id", "TOU day type 2", ... (static) */
    /* Elster: the data of one set of an identity, as struct pmu_elster_write of the
     * session driver takes it (sent as W1 packets of the model's packet size from
     * pmu_elster_first_packet(len, set)) */
    unsigned id, set;
    size_t len;
    uint8_t data[PMU_SCHEME_ITEM_DATA_MAX];
    bool action;                      /* written with empty data (934) */
    /* generic IEC: W1 ADDRESS(VALUE) */
    char address[17];
    char value[33];
};

struct pmu_scheme_items {
    enum pmu_scheme_target target;
    size_t n, cap;
    struct pmu_scheme_item *items;
};
void pmu_scheme_items_free(struct pmu_scheme_items *l);

/* Compiles a checked scheme for one model into the writes, in the order to send
 * them (tables, then the activation, then the scheme id last, so a meter shows the
 * new id only when everything else went in). Fails with a message (line N: ...)
 * when the scheme does not fit the model; run pmu_scheme_check first for all of
 * them. */
enum pmu_status pmu_scheme_compile(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                   struct pmu_scheme_items *out, struct pmu_error *err);

/* The inverse: the items read back from a meter (the compiled items with the data
 * the meter answered; action items are ignored) -> the scheme fields the meter
 * holds. names (may be NULL) lends names the meter does not keep: rate, day type and
 * season names are taken from it by number/position. */
enum pmu_status pmu_scheme_decode(const struct pmu_scheme_items *readback,
                                  const struct pmu_scheme_caps *caps, const struct pmu_scheme *names,
                                  struct pmu_scheme **out, struct pmu_error *err);

/* Read-back text, one item a line, as `pmu scheme diff --readback` takes it:
 * Elster "III(HEX)" for set 0 and "III.S(HEX)" for set S (the whole set), generic
 * "ADDRESS(VALUE)"; '#' starts a comment. */
enum pmu_status pmu_scheme_items_parse(const char *text, size_t len, enum pmu_scheme_target target,
                                       struct pmu_scheme_items *out, struct pmu_error *err);
enum pmu_status pmu_scheme_items_write(const struct pmu_scheme_items *l, FILE *out,
                                       struct pmu_error *err);

#endif
