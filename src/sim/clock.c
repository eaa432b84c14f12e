/* The simulated meter's clock: seconds since 1970-01-01T00:00 of its own local time
 * (pmu_timestamp_to_seconds). Meters know no time zones, so neither does this. */
#include "pmu/sim.h"

#include <string.h>

enum pmu_status pmu_sim_time_parse(const char *text, int64_t *out, struct pmu_error *err)
{
    struct pmu_timestamp ts;
    if (strlen(text) != 19 || text[10] != 'T')
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "time '%s' is not of the form YYYY-MM-DDThh:mm:ss", text);
    enum pmu_status st = pmu_timestamp_parse_iso(text, &ts, err);
    if (st != PMU_OK)
        return st;
    if (text[11] == '2' && text[12] == '4') /* a meter clock never shows 24:00 */
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "time '%s': 24:00:00 is not a time of day", text);
    if (ts.year < 2000 || ts.year > 2099)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "time '%s': the year must be 2000..2099 (meters send two digits)",
                             text);
    *out = pmu_timestamp_to_seconds(&ts);
    return PMU_OK;
}
