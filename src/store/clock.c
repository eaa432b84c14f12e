/* Meter clock seconds: interval ends are stored as the seconds from 1970-01-01T00:00
 * of the meter's own civil clock, as if it ran on UTC. No time zone or daylight rule
 * is applied (a meter's clock has none that openpmu could know), the value is exact,
 * sorts by time, and is the same integer in SQLite and PostgreSQL. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

void pmu_store_format_seconds(int64_t seconds, char buf[20])
{
    struct pmu_timestamp t;
    pmu_timestamp_from_seconds(seconds, &t);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", t.year % 10000, t.month, t.day, t.hour, t.minute,
             t.second);
    memcpy(buf, tmp, 19);
    buf[19] = '\0';
}

enum pmu_status pmu_store_parse_seconds(const char *text, int64_t *out, struct pmu_error *err)
{
    struct pmu_timestamp t;
    enum pmu_status st = pmu_timestamp_parse_iso(text, &t, err);
    if (st == PMU_OK)
        *out = pmu_timestamp_to_seconds(&t);
    return st;
}
