/* Meter clock seconds: interval ends are stored as the seconds from 1970-01-01T00:00
 * of the meter's own civil clock, as if it ran on UTC. No time zone or daylight rule
 * is applied (a meter's clock has none that openpmu could know), the value is exact,
 * sorts by time, and is the same integer in SQLite and PostgreSQL. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Days from 1970-01-01 to a proleptic Gregorian date (the well-known era/day-of-era
 * method: March-based years make the leap day the last day of the year). */
static int64_t days_from_civil(int64_t y, int m, int d)
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

int64_t pmu_store_seconds(const struct pmu_timestamp *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
}

void pmu_store_timestamp(int64_t seconds, struct pmu_timestamp *out)
{
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rest = seconds - days * 86400;
    memset(out, 0, sizeof *out);
    out->season = -1;
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rest / 3600);
    out->minute = (int)(rest / 60 % 60);
    out->second = (int)(rest % 60);
}

void pmu_store_format_seconds(int64_t seconds, char buf[20])
{
    struct pmu_timestamp t;
    pmu_store_timestamp(seconds, &t);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", t.year % 10000, t.month, t.day, t.hour, t.minute,
             t.second);
    memcpy(buf, tmp, 19);
    buf[19] = '\0';
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

enum pmu_status pmu_store_parse_seconds(const char *text, int64_t *out, struct pmu_error *err)
{
    int y, mo, d, h = 0, mi = 0, s = 0, used = 0;
    size_t n = strlen(text);
    bool ok = n >= 10 && sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && used == 10;
    if (ok && n > 10) {
        ok = (text[10] == 'T' || text[10] == ' ') &&
             ((n == 16 && sscanf(text + 11, "%2d:%2d%n", &h, &mi, &used) == 2 && used == 5) ||
              (n == 19 && sscanf(text + 11, "%2d:%2d:%2d%n", &h, &mi, &s, &used) == 3 && used == 8));
    }
    for (size_t i = 0; ok && i < n; i++)
        if (!(text[i] >= '0' && text[i] <= '9') && i != 4 && i != 7 && i != 10 && i != 13 && i != 16)
            ok = false;
    if (ok)
        ok = y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h <= 24 &&
             mi <= 59 && s <= 59 && (h < 24 || (mi == 0 && s == 0));
    if (!ok)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET,
                             "'%s' is not a time: write YYYY-MM-DD, YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss", text);
    struct pmu_timestamp t = {-1, y, mo, d, h, mi, s};
    *out = pmu_store_seconds(&t);
    return PMU_OK;
}
