/* Bump allocator for data that lives and dies together (one readout's strings and
 * value arrays): cheap to fill, freed in one call. Internal to libpmu. */
#ifndef PMU_ARENA_H
#define PMU_ARENA_H

#include <stddef.h>

struct pmu_arena;

struct pmu_arena *pmu_arena_new(void);
void pmu_arena_free(struct pmu_arena *a);
/* Memory aligned for any type, or NULL when out of memory. */
void *pmu_arena_alloc(struct pmu_arena *a, size_t size);
/* A NUL-terminated copy of n bytes. */
char *pmu_arena_strndup(struct pmu_arena *a, const char *s, size_t n);

#endif
