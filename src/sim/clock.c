/* The simulated meter's clock: seconds since 1970-01-01T00:00 of its own local time.
 * Meters know no time zones, so neither does this: civil time maps to seconds one to
 * one (the calendar of timegm, without asking the C library). */
#include "pmu/sim.h"

#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's
 * well-known algorithms, written out from their description). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t pmu_sim_time_from_civil(const struct pmu_timestamp *ts)
{
    return days_from_civil(ts->year, ts->month, ts->day) * 86400 + ts->hour * 3600 +
           ts->minute * 60 + ts->second;
}

void pmu_sim_time_to_civil(int64_t t, struct pmu_timestamp *out)
{
    int64_t days = floor_div(t, 86400);
    int64_t rest = t - days * 86400;
    memset(out, 0, sizeof *out);
    out->season = -1;
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rest / 3600);
    out->minute = (int)(rest / 60 % 60);
    out->second = (int)(rest % 60);
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int number(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

enum pmu_status pmu_sim_time_parse(const char *text, int64_t *out, struct pmu_error *err)
{
    /* YYYY-MM-DDThh:mm:ss: digits everywhere except the five separators. */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(text);
    bool ok = n == sizeof shape - 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = shape[i] == 'd' ? digits(text + i, 1) : text[i] == shape[i];
    if (!ok)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "time '%s' is not of the form YYYY-MM-DDThh:mm:ss", text);
    struct pmu_timestamp ts = {
        .season = -1, .year = number(text, 4), .month = number(text + 5, 2),
        .day = number(text + 8, 2), .hour = number(text + 11, 2),
        .minute = number(text + 14, 2), .second = number(text + 17, 2)};
    if (ts.year < 2000 || ts.year > 2099)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "time '%s': the year must be 2000..2099 (meters send two digits)",
                             text);
    if (ts.month < 1 || ts.month > 12)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "time '%s': month %d is not 1..12",
                             text, ts.month);
    int64_t month_days = days_from_civil(ts.year + (ts.month == 12), ts.month % 12 + 1, 1) -
                         days_from_civil(ts.year, ts.month, 1);
    if (ts.day < 1 || ts.day > month_days)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "time '%s': day %d does not exist in %04d-%02d", text, ts.day,
                             ts.year, ts.month);
    if (ts.hour > 23 || ts.minute > 59 || ts.second > 59)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET,
                             "time '%s': %02d:%02d:%02d is not a time of day", text, ts.hour,
                             ts.minute, ts.second);
    *out = pmu_sim_time_from_civil(&ts);
    return PMU_OK;
}
