/* Output shared by the pmu commands. */
#ifndef PMU_APP_RENDER_H
#define PMU_APP_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/iec62056.h"
#include "pmu/readout.h"

/* Printable rendering of bytes: text as is, control bytes as <STX>, others as \xHH. */
void render_escape(const uint8_t *p, size_t n, char *out, size_t size);

json_t *render_str_or_null(const char *s);
json_t *render_time(const struct pmu_timestamp *t);
json_t *render_ident(const struct pmu_iec_ident *id);
json_t *render_values(const struct pmu_value *v, size_t n);
json_t *render_error(const struct pmu_error *e);
json_t *render_record(const struct pmu_record *r);
json_t *render_profile(const struct pmu_profile *p);
/* Adds "records" and "profiles" arrays to root; returns root. */
json_t *render_readout_into(json_t *root, const struct pmu_readout *ro);

void render_print_ident(const struct pmu_iec_ident *id);
void render_print_readout(const struct pmu_readout *ro);

#endif
