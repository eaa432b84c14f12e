/* Shared by the export writers (export.c, nem12.c). Not a public header. */
#ifndef PMU_EXPORT_INTERNAL_H
#define PMU_EXPORT_INTERNAL_H

#include "internal.h"
#include "pmu/export.h"

/* CT x VT of a meter, exactly. */
enum pmu_status pmu_export_meter_multiplier(const struct pmu_meter_record *m, struct pmu_dec *out,
                                            struct pmu_error *err);
/* The meters an export covers; *out to free(). */
enum pmu_status pmu_export_meters(struct pmu_store *s, const struct pmu_export_options *o,
                                  struct pmu_meter_record **out, size_t *n, struct pmu_error *err);
enum pmu_status pmu_export_nem12(struct pmu_store *s, const struct pmu_export_options *o,
                                 const struct pmu_meter_record *meters, size_t n, FILE *out, struct pmu_error *err);

#endif
