/* Meter timestamps "sYYMMDDhhmm[ss]" as used in load profiles and maximum-demand
 * values, and the civil-calendar arithmetic to step through profile intervals. */
#include "pmu/readout.h"

#include <stdio.h>
#include <string.h>

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

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (the era /
 * day-of-era method: years counted from March put the leap day at a year's end). */
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

int64_t pmu_timestamp_to_seconds(const struct pmu_timestamp *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->minute * 60 +
           t->second;
}

void pmu_timestamp_from_seconds(int64_t seconds, struct pmu_timestamp *out)
{
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rest = seconds - days * 86400;
    out->season = -1;
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rest / 3600);
    out->minute = (int)(rest / 60 % 60);
    out->second = (int)(rest % 60);
}

void pmu_timestamp_add_minutes(struct pmu_timestamp *t, long minutes)
{
    int season = t->season;
    pmu_timestamp_from_seconds(pmu_timestamp_to_seconds(t) + (int64_t)minutes * 60, t);
    t->season = season;
}

/* n digits at s as a number, or -1 when one is not a digit. */
static int number(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

enum pmu_status pmu_timestamp_parse_iso(const char *text, struct pmu_timestamp *out,
                                        struct pmu_error *err)
{
    size_t n = strlen(text);
    struct pmu_timestamp t = {.season = -1};
    bool ok = (n == 10 || n == 16 || n == 19) && text[4] == '-' && text[7] == '-' &&
              (t.year = number(text, 4)) >= 0 && (t.month = number(text + 5, 2)) >= 0 &&
              (t.day = number(text + 8, 2)) >= 0;
    if (ok && n > 10)
        ok = (text[10] == 'T' || text[10] == ' ') && text[13] == ':' &&
             (t.hour = number(text + 11, 2)) >= 0 && (t.minute = number(text + 14, 2)) >= 0 &&
             (n == 16 || (text[16] == ':' && (t.second = number(text + 17, 2)) >= 0));
    if (!ok)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "time '%s' is not of the form YYYY-MM-DD, YYYY-MM-DDThh:mm or "
                             "YYYY-MM-DDThh:mm:ss", text);
    if (t.year < 1970 || t.month < 1 || t.month > 12)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "time '%s': month %d is not 1..12", text, t.month);
    if (t.day < 1 || t.day > days_in_month(t.year, t.month))
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "time '%s': day %d does not exist in %04d-%02d",
                             text, t.day, t.year, t.month);
    /* 24:00 is the end of a day, as interval ends are written */
    if (t.minute > 59 || t.second > 59 || t.hour > 24 || (t.hour == 24 && (t.minute || t.second)))
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "time '%s': %02d:%02d:%02d is not a time of day",
                             text, t.hour, t.minute, t.second);
    if (t.hour == 24)
        pmu_timestamp_from_seconds(pmu_timestamp_to_seconds(&t), &t);
    *out = t;
    return PMU_OK;
}
