/* Meter timestamps "sYYMMDDhhmm[ss]" as used in load profiles and maximum-demand
 * values, and the civil-calendar arithmetic to step through profile intervals. */
#include "pmu/readout.h"

#include <stdio.h>

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

enum pmu_status pmu_timestamp_parse(const char *text, size_t len, struct pmu_timestamp *out,
                                    struct pmu_error *err)
{
    if (len < 10 || len > 13)
        return pmu_error_set(err, PMU_E_SYNTAX, 0,
                             "expected a time of 10 to 13 digits (sYYMMDDhhmmss), got %zu characters", len);
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return pmu_error_set(err, PMU_E_SYNTAX, i, "expected a digit of the time");
    const char *s = text;
    out->season = -1;
    if (len == 11 || len == 13) {
        out->season = s[0] - '0';
        s++;
        if (out->season > 2)
            return pmu_error_set(err, PMU_E_RANGE, 0,
                                 "season digit %d is not 0 (normal), 1 (summer) or 2 (UTC)", out->season);
    }
    out->year = 2000 + two(s);
    out->month = two(s + 2);
    out->day = two(s + 4);
    out->hour = two(s + 6);
    out->minute = two(s + 8);
    out->second = (len == 12 || len == 13) ? two(s + 10) : 0;
    size_t at = (size_t)(s - text);
    if (out->month < 1 || out->month > 12)
        return pmu_error_set(err, PMU_E_RANGE, at + 2, "month %d is not 1..12", out->month);
    if (out->day < 1 || out->day > days_in_month(out->year, out->month))
        return pmu_error_set(err, PMU_E_RANGE, at + 4, "day %d does not exist in %04d-%02d",
                             out->day, out->year, out->month);
    if (out->hour > 23 || out->minute > 59 || out->second > 59)
        return pmu_error_set(err, PMU_E_RANGE, at + 6, "time of day %02d:%02d:%02d is not valid",
                             out->hour, out->minute, out->second);
    return PMU_OK;
}

int pmu_timestamp_format(const struct pmu_timestamp *t, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", t->year, t->month, t->day,
                     t->hour, t->minute, t->second);
    return n < 0 || (size_t)n >= size ? PMU_E_TOO_LONG : n;
}

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void pmu_timestamp_add_minutes(struct pmu_timestamp *t, long minutes)
{
    long total = days_from_civil(t->year, t->month, t->day) * 1440 + t->hour * 60 + t->minute + minutes;
    long days = total >= 0 ? total / 1440 : -((-total + 1439) / 1440);
    long rest = total - days * 1440;
    civil_from_days(days, &t->year, &t->month, &t->day);
    t->hour = (int)(rest / 60);
    t->minute = (int)(rest % 60);
}
