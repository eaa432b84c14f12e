/* AEMO NEM12 (Meter Data File Format): one 100 header, per meter channel a 200
 * record (NMI data details) followed by one 300 record per day (IntervalDate and
 * 1440/IntervalLength values), 400 records marking which intervals of a partial day
 * are missing, and the 900 end record. The mapping from openpmu's data to each
 * field, and what openpmu chose where the format leaves room, is in docs/exports.md. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export_internal.h"

#define EOL "\r\n"                 /* NEM12 files are CSV with CR LF line ends */

struct uom {
    const char *unit, *nem, kind; /* kind: 'P' active, 'Q' reactive */
};

static const struct uom uoms[] = {
    {"Wh", "WH", 'P'},     {"kWh", "KWH", 'P'},     {"MWh", "MWH", 'P'}, {"W", "W", 'P'},
    {"kW", "KW", 'P'},     {"MW", "MW", 'P'},       {"varh", "VARH", 'Q'}, {"kvarh", "KVARH", 'Q'},
    {"var", "VAR", 'Q'},   {"kvar", "KVAR", 'Q'},
};

struct stream {
    const struct pmu_channel_record *ch;
    const char *uom;
    char suffix[4];
};

struct day {
    FILE *out;
    const char *serial;
    const struct pmu_channel_record *ch;
    int slots;
    int64_t day;                   /* day being gathered, or -1 */
    char (*values)[72];
    int64_t *run;                  /* run of each slot's value; 0 = missing */
    struct pmu_dec mult;           /* pulse multiplier x CT x VT */
    char update[16];               /* UpdateDateTime, CCYYMMDDhhmmss */
    struct pmu_error *err;
};

static void date8(int64_t day, char buf[9])
{
    struct pmu_timestamp t;
    pmu_timestamp_from_seconds(day * 86400, &t);
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04d%02d%02d", t.year % 10000, t.month % 100, t.day % 100);
    memcpy(buf, tmp, 8);
    buf[8] = '\0';
}

static void flush_day(struct day *d)
{
    if (d->day < 0)
        return;
    char date[9];
    date8(d->day, date);
    fprintf(d->out, "300,%s", date);
    bool full = true;
    for (int i = 0; i < d->slots; i++) {
        fprintf(d->out, ",%s", d->run[i] ? d->values[i] : "0");
        full &= d->run[i] != 0;
    }
    fprintf(d->out, ",%s,,,%s," EOL, full ? "A" : "V", d->update);
    /* A partial day: runs of actual (A) and missing (N, written as 0) intervals. */
    for (int i = 0; !full && i < d->slots;) {
        int j = i;
        while (j + 1 < d->slots && (d->run[j + 1] != 0) == (d->run[i] != 0))
            j++;
        fprintf(d->out, "400,%d,%d,%s,," EOL, i + 1, j + 1, d->run[i] ? "A" : "N");
        i = j + 1;
    }
    d->day = -1;
    memset(d->run, 0, sizeof d->run[0] * (size_t)d->slots);
}

static enum pmu_status day_row(void *user, const struct pmu_interval_row *r)
{
    struct day *d = user;
    int64_t len = (int64_t)r->channel->interval_min * 60, start = r->end - len;
    int64_t day = start >= 0 ? start / 86400 : -1;
    if (day < 0 || start % len != 0) {
        char when[20];
        pmu_store_format_seconds(r->end, when);
        return pmu_error_set(d->err, PMU_E_INVALID, PMU_NO_OFFSET,
                             "meter '%s' channel %s: the interval ending %s is not on a %u-minute boundary", d->serial,
                             r->channel->code, when, r->channel->interval_min);
    }
    if (day != d->day) {
        flush_day(d);
        d->day = day;
    }
    int slot = (int)((start - day * 86400) / len);
    /* Two values for one interval (a conflict): the later run's value is exported. */
    if (d->run[slot] != 0 && d->run[slot] >= r->run_id)
        return PMU_OK;
    struct pmu_dec v, scaled;
    if (pmu_dec_parse(r->value, r->value_len, &v) != PMU_OK || pmu_dec_mul(&v, &d->mult, &scaled) != PMU_OK)
        return pmu_error_set(d->err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s' channel %s: value '%s' is not a number",
                             d->serial, r->channel->code, r->value);
    pmu_dec_format(&scaled, d->values[slot], sizeof d->values[slot]);
    d->run[slot] = r->run_id;
    return PMU_OK;
}

/* The streams (200 records) of one meter, with their NMI suffixes. */
static enum pmu_status plan_streams(const struct pmu_meter_record *m, const struct pmu_channel_record *ch, size_t n,
                                    const char *only, struct stream *out, size_t *n_out, struct pmu_error *err)
{
    int count[4] = {0};            /* E B Q K */
    static const char letters[] = "EBQK";
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        if (only != NULL && strcmp(ch[i].code, only) != 0)
            continue;
        const struct uom *u = NULL;
        for (size_t k = 0; k < sizeof uoms / sizeof uoms[0]; k++)
            if (strcasecmp(ch[i].unit, uoms[k].unit) == 0)
                u = &uoms[k];
        if (u == NULL)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "meter '%s' channel %s: unit '%s' has no NEM12 unit of measure", m->serial,
                                 ch[i].code, ch[i].unit);
        bool import = strcmp(ch[i].direction, "import") == 0, export = strcmp(ch[i].direction, "export") == 0;
        if (!import && !export)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "meter '%s' channel %s: direction unknown; set it (pmu meter channel %s %s "
                                 "--direction import|export)",
                                 m->serial, ch[i].code, m->serial, ch[i].code);
        if (ch[i].interval_min != 5 && ch[i].interval_min != 15 && ch[i].interval_min != 30)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "meter '%s' channel %s: NEM12 intervals are 5, 15 or 30 minutes, not %u", m->serial,
                                 ch[i].code, ch[i].interval_min);
        if (strlen(ch[i].code) > 10)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "meter '%s' channel %s: a NEM12 RegisterID has at most 10 characters", m->serial,
                                 ch[i].code);
        int k = (u->kind == 'P' ? 0 : 2) + (import ? 0 : 1);
        if (++count[k] > 9)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': more than 9 %c channels", m->serial,
                                 letters[k]);
        out[*n_out].ch = &ch[i];
        out[*n_out].uom = u->nem;
        out[*n_out].suffix[0] = letters[k];
        out[*n_out].suffix[1] = (char)('0' + count[k]);
        out[*n_out].suffix[2] = '\0';
        (*n_out)++;
    }
    return PMU_OK;
}

static enum pmu_status export_meter(struct pmu_store *s, const struct pmu_export_options *o,
                                    const struct pmu_meter_record *m, struct day *d, FILE *out, struct pmu_error *err)
{
    struct pmu_channel_record *ch = NULL;
    size_t n;
    struct stream *streams = NULL;
    enum pmu_status status = pmu_store_channels(s, m->serial, &ch, &n, err);
    if (status != PMU_OK || n == 0)
        return status;
    struct pmu_site_record site = {0};
    if (m->site[0] != '\0' && (status = pmu_store_site_get(s, m->site, &site, err)) != PMU_OK)
        goto done;
    if (strlen(site.nmi) != 10) {
        status = pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                               "meter '%s': NEM12 needs the 10-character NMI of its site (pmu site edit SITE --nmi ...)",
                               m->serial);
        goto done;
    }
    if (strlen(m->serial) > 12) {
        status = pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                               "meter '%s': a NEM12 MeterSerialNumber has at most 12 characters", m->serial);
        goto done;
    }
    streams = calloc(n, sizeof *streams);
    size_t ns;
    struct pmu_dec meter_mult;
    if (streams == NULL) {
        status = pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        goto done;
    }
    if ((status = plan_streams(m, ch, n, o->channel, streams, &ns, err)) != PMU_OK ||
        (status = pmu_export_meter_multiplier(m, &meter_mult, err)) != PMU_OK)
        goto done;
    char config[64] = "";
    for (size_t i = 0; i < ns && strlen(config) + 3 < sizeof config; i++)
        strcat(config, streams[i].suffix);
    for (size_t i = 0; i < ns; i++) {
        const struct pmu_channel_record *c = streams[i].ch;
        struct pmu_dec pulse;
        if (pmu_dec_parse(c->pulse_multiplier, strlen(c->pulse_multiplier), &pulse) != PMU_OK)
            pmu_dec_one(&pulse);
        if (pmu_dec_mul(&pulse, &meter_mult, &d->mult) != PMU_OK) {
            status = pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "meter '%s': multiplier too long", m->serial);
            goto done;
        }
        fprintf(out, "200,%s,%s,%s,%s,%s,%s,%s,%u," EOL, site.nmi, config, c->code, streams[i].suffix,
                streams[i].suffix, m->serial, streams[i].uom, c->interval_min);
        d->serial = m->serial;
        d->ch = c;
        d->slots = (int)(1440 / c->interval_min);
        d->day = -1;
        memset(d->run, 0, sizeof d->run[0] * 288);
        struct pmu_interval_query q = {m->serial, c->code, o->has_from, o->has_to, o->from, o->to, false};
        if ((status = pmu_store_intervals(s, &q, day_row, d, err)) != PMU_OK)
            goto done;
        flush_day(d);
    }
done:
    free(streams);
    free(ch);
    return status;
}

enum pmu_status pmu_export_nem12(struct pmu_store *s, const struct pmu_export_options *o,
                                 const struct pmu_meter_record *meters, size_t n, FILE *out, struct pmu_error *err)
{
    time_t now = o->created ? o->created : time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[16];
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M", &tm);
    struct day d = {.out = out, .err = err, .day = -1};
    strftime(d.update, sizeof d.update, "%Y%m%d%H%M%S", &tm);
    d.values = calloc(288, sizeof *d.values);   /* 288: 5-minute intervals in a day */
    d.run = calloc(288, sizeof *d.run);
    if (d.values == NULL || d.run == NULL) {
        free(d.values);
        free(d.run);
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    }
    fprintf(out, "100,NEM12,%s,%s,%s" EOL, stamp, o->from_participant ? o->from_participant : "OPENPMU",
            o->to_participant ? o->to_participant : "");
    enum pmu_status status = PMU_OK;
    for (size_t i = 0; i < n && status == PMU_OK; i++)
        status = export_meter(s, o, &meters[i], &d, out, err);
    if (status == PMU_OK)
        fputs("900" EOL, out);
    free(d.values);
    free(d.run);
    return status;
}
