/* Link backends, shared between the files of src/link. */
#ifndef PMU_LINK_INTERNAL_H
#define PMU_LINK_INTERNAL_H

#include "pmu/link.h"

extern const struct pmu_link_ops pmu_link_serial_ops;
extern const struct pmu_link_ops pmu_link_tcp_ops;

#endif
