/* Growing arrays: one helper for the many "append one more" places. Internal. */
#ifndef PMU_GROW_H
#define PMU_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Makes room for element n of *items (each `size` bytes, *cap allocated): doubles the
 * allocation when full. False when out of memory (*items is then unchanged). */
bool pmu_grow(void **items, size_t *cap, size_t n, size_t size);

#endif
