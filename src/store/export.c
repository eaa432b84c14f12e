/* Interval exports: choosing the meters, CSV and JSON lines. NEM12 is in nem12.c.
 * Every row carries its channel's metadata (unit, interval, pulse multiplier, meter
 * multiplier CT x VT, direction), so a row read alone still says what it means.
 * Field by field: docs/exports.md. */
#include <stdlib.h>
#include <string.h>

#include "export_internal.h"

enum pmu_status pmu_export_parse_format(const char *name, enum pmu_export_format *out, struct pmu_error *err)
{
    if (strcmp(name, "csv") == 0)
        *out = PMU_EXPORT_CSV;
    else if (strcmp(name, "jsonl") == 0)
        *out = PMU_EXPORT_JSONL;
    else if (strcmp(name, "nem12") == 0)
        *out = PMU_EXPORT_NEM12;
    else
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "export format '%s': use csv, jsonl or nem12", name);
    return PMU_OK;
}

enum pmu_status pmu_export_meter_multiplier(const struct pmu_meter_record *m, struct pmu_dec *out,
                                            struct pmu_error *err)
{
    struct pmu_dec ct, vt;
    enum pmu_status a = pmu_dec_ratio(m->ct, &ct), b = pmu_dec_ratio(m->vt, &vt);
    /* A ratio that does not end within 12 places (415/110) is used rounded. */
    if ((a != PMU_OK && a != PMU_E_RANGE) || (b != PMU_OK && b != PMU_E_RANGE) || pmu_dec_mul(&ct, &vt, out) != PMU_OK)
        return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET, "meter '%s': CT '%s' x VT '%s' is not a number",
                             m->serial, m->ct, m->vt);
    return PMU_OK;
}

static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

struct flat {
    FILE *out;
    enum pmu_export_format format;
    const struct pmu_meter_record *meter;
    char multiplier[80];
};

static enum pmu_status flat_row(void *user, const struct pmu_interval_row *r)
{
    struct flat *f = user;
    const struct pmu_channel_record *c = r->channel;
    char end[20];
    pmu_store_format_seconds(r->end, end);
    unsigned per_hour = c->interval_min > 0 && 60 % c->interval_min == 0 ? 60 / c->interval_min : 0;
    if (f->format == PMU_EXPORT_CSV) {
        csv_field(f->out, f->meter->serial);
        fputc(',', f->out);
        csv_field(f->out, f->meter->site);
        fputc(',', f->out);
        csv_field(f->out, c->profile);
        fputc(',', f->out);
        csv_field(f->out, c->code);
        fputc(',', f->out);
        csv_field(f->out, c->unit);
        fprintf(f->out, ",%u,%u,%s,%s,%s,%s,", c->interval_min, per_hour, c->pulse_multiplier, f->multiplier,
                c->direction, end);
        csv_field(f->out, r->value);
        fprintf(f->out, ",%lld,%d,%lld\n", (long long)r->status, r->conflict ? 1 : 0, (long long)r->run_id);
    } else {
        fputs("{\"meter\":", f->out);
        json_string(f->out, f->meter->serial);
        fputs(",\"site\":", f->out);
        json_string(f->out, f->meter->site);
        fputs(",\"profile\":", f->out);
        json_string(f->out, c->profile);
        fputs(",\"channel\":", f->out);
        json_string(f->out, c->code);
        fputs(",\"unit\":", f->out);
        json_string(f->out, c->unit);
        fprintf(f->out, ",\"interval_min\":%u,\"intervals_per_hour\":%u,\"pulse_multiplier\":\"%s\","
                        "\"meter_multiplier\":\"%s\",\"direction\":\"%s\",\"interval_end\":\"%s\",\"value\":",
                c->interval_min, per_hour, c->pulse_multiplier, f->multiplier, c->direction, end);
        json_string(f->out, r->value);
        fprintf(f->out, ",\"status\":%lld,\"conflict\":%s,\"job_run\":%lld}\n", (long long)r->status,
                r->conflict ? "true" : "false", (long long)r->run_id);
    }
    return ferror(f->out) ? PMU_E_IO : PMU_OK;
}

static enum pmu_status export_flat(struct pmu_store *s, const struct pmu_export_options *o,
                                   const struct pmu_meter_record *meters, size_t n, FILE *out, struct pmu_error *err)
{
    if (o->format == PMU_EXPORT_CSV)
        fputs("meter,site,profile,channel,unit,interval_min,intervals_per_hour,pulse_multiplier,meter_multiplier,"
              "direction,interval_end,value,status,conflict,job_run\n",
              out);
    for (size_t i = 0; i < n; i++) {
        struct flat f = {out, o->format, &meters[i], ""};
        struct pmu_dec mult;
        enum pmu_status status = pmu_export_meter_multiplier(&meters[i], &mult, err);
        if (status != PMU_OK)
            return status;
        pmu_dec_format(&mult, f.multiplier, sizeof f.multiplier);
        struct pmu_interval_query q = {meters[i].serial, NULL, o->has_from, o->has_to, o->from, o->to, false};
        if (o->channel != NULL) {
            /* a meter without that channel is skipped rather than an error */
            struct pmu_channel_record *ch;
            size_t nch;
            bool has = false;
            if ((status = pmu_store_channels(s, meters[i].serial, &ch, &nch, err)) != PMU_OK)
                return status;
            for (size_t k = 0; k < nch; k++)
                has |= strcmp(ch[k].code, o->channel) == 0;
            free(ch);
            if (!has)
                continue;
            q.channel = o->channel;
        }
        status = pmu_store_intervals(s, &q, flat_row, &f, err);
        if (status == PMU_E_IO && ferror(out))
            return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "writing the export failed");
        if (status != PMU_OK)
            return status;
    }
    return PMU_OK;
}

enum pmu_status pmu_export_meters(struct pmu_store *s, const struct pmu_export_options *o,
                                  struct pmu_meter_record **out, size_t *n, struct pmu_error *err)
{
    if (o->n_meters == 0) {
        struct pmu_meter_filter f = {NULL, o->group};
        return pmu_store_meter_list(s, &f, out, n, err);
    }
    struct pmu_meter_record *list = calloc(o->n_meters, sizeof *list);
    if (list == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < o->n_meters; i++) {
        enum pmu_status status = pmu_store_meter_get(s, o->meters[i], &list[i], err);
        if (status != PMU_OK) {
            free(list);
            return status;
        }
    }
    *out = list;
    *n = o->n_meters;
    return PMU_OK;
}

enum pmu_status pmu_export_write(struct pmu_store *s, const struct pmu_export_options *o, FILE *out,
                                 struct pmu_error *err)
{
    struct pmu_meter_record *meters;
    size_t n;
    enum pmu_status status = pmu_export_meters(s, o, &meters, &n, err);
    if (status != PMU_OK)
        return status;
    if (o->format == PMU_EXPORT_NEM12)
        status = pmu_export_nem12(s, o, meters, n, out, err);
    else
        status = export_flat(s, o, meters, n, out, err);
    free(meters);
    if (status == PMU_OK && (fflush(out) != 0 || ferror(out)))
        status = pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "writing the export failed");
    return status;
}
