/* Inside the scheme module: small text helpers shared by the parser, the checks and
 * the compilers. Not a public header. */
#ifndef PMU_SCHEME_INTERNAL_H
#define PMU_SCHEME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "pmu/scheme.h"

/* Decimal digits only, value <= max. */
bool pmu_scheme_parse_uint(const char *t, size_t n, unsigned max, unsigned *out);
/* "HH:MM", 00:00..23:59. */
bool pmu_scheme_parse_time(const char *t, size_t n, unsigned *hour, unsigned *minute);
/* "MM-DD" (year 0) or "YYYY-MM-DD" (2000..2254); the day must exist in the month
 * (29 February only in leap years, or every year). */
bool pmu_scheme_parse_date(const char *t, size_t n, unsigned *year, unsigned *month, unsigned *day);
/* "200/5", "40", "11000.5/110" -> canonical "200/5", "40/1", "11000.5/110" (no
 * trailing zeros, at most 2 decimals, not zero). */
bool pmu_scheme_ratio_canon(const char *t, char *out, size_t size);
/* Splits a canonical ratio into its two numbers. */
void pmu_scheme_ratio_split(const char *ratio, char *primary, char *secondary, size_t size);
/* Any OBIS form pmu_obis_parse takes -> the full form "1-0:1.8.0*255" (in place ok). */
bool pmu_scheme_obis_canon(const char *t, char *out, size_t size);

const struct pmu_scheme_rate *pmu_scheme_rate_by_name(const struct pmu_scheme *s, const char *name);
int pmu_scheme_day_type_index(const struct pmu_scheme *s, const char *name);

/* Elster load-profile channel (0..13) of a source name, -1 for none. */
int pmu_scheme_elster_channel(const char *name);

/* Appends an item (zeroed, what set); NULL when out of memory. */
struct pmu_scheme_item *pmu_scheme_items_add(struct pmu_scheme_items *l, const char *what);

enum pmu_status pmu_scheme_compile_elster(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                          struct pmu_scheme_items *out, struct pmu_error *err);
enum pmu_status pmu_scheme_decode_elster(const struct pmu_scheme_items *rb, const struct pmu_scheme_caps *caps,
                                         const struct pmu_scheme *names, struct pmu_scheme *s,
                                         struct pmu_error *err);
enum pmu_status pmu_scheme_compile_generic(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                           struct pmu_scheme_items *out, struct pmu_error *err);
enum pmu_status pmu_scheme_decode_generic(const struct pmu_scheme_items *rb, const struct pmu_scheme_caps *caps,
                                          const struct pmu_scheme *names, struct pmu_scheme *s,
                                          struct pmu_error *err);
/* Names lent by `names` (or made up: "rate-3", "day-type-2", "season-1"). */
void pmu_scheme_name_rate(const struct pmu_scheme *names, unsigned number, char *out, size_t size);
void pmu_scheme_name_day_type(const struct pmu_scheme *names, size_t index, char *out, size_t size);
void pmu_scheme_name_season(const struct pmu_scheme *names, unsigned month, unsigned day, size_t index,
                            char *out, size_t size);
/* Fills rates from the rate numbers the registers and switch points use. */
void pmu_scheme_rates_from_numbers(struct pmu_scheme *s, const struct pmu_scheme *names,
                                   const unsigned *numbers, size_t n);

/* Week profiles of a scheme: the distinct weeks of its seasons, in order of first
 * use; week_of[i] is season i's profile. */
struct pmu_scheme_weeks {
    size_t n;
    int day_type[PMU_SCHEME_MAX_SEASONS][7];
    size_t week_of[PMU_SCHEME_MAX_SEASONS];
};
void pmu_scheme_weeks(const struct pmu_scheme *s, struct pmu_scheme_weeks *w);

#endif
