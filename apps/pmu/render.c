/* Output shared by the pmu commands: JSON objects (jansson) and text tables for
 * identifications, records, load profiles and errors. Formats: docs/parse-json.md. */
#include "render.h"

#include <stdio.h>
#include <string.h>

#include "pmu/obis.h"

/* Printable rendering of bytes: text as is, control bytes as <STX>, others as \xHH. */
void render_escape(const uint8_t *p, size_t n, char *out, size_t size)
{
    static const char *names[] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                  "BS",  "HT",  "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                                  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK"};
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < size; i++) {
        uint8_t c = p[i];
        int w;
        if (c >= 0x20 && c < 0x7F)
            w = snprintf(out + o, size - o, "%c", c);
        else if (c < sizeof names / sizeof names[0])
            w = snprintf(out + o, size - o, "<%s>", names[c]);
        else
            w = snprintf(out + o, size - o, "\\x%02X", c);
        if (w < 0 || (size_t)w >= size - o)
            break;
        o += (size_t)w;
    }
    out[o] = '\0';
}

json_t *render_str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *render_time(const struct pmu_timestamp *t)
{
    char buf[32];
    pmu_timestamp_format(t, buf, sizeof buf);
    return json_string(buf);
}

json_t *render_ident(const struct pmu_iec_ident *id)
{
    char baud[2] = {id->baud_char, 0};
    return json_pack("{s:s, s:s, s:s, s:i, s:b, s:s, s:s}", "manufacturer", id->manufacturer,
                     "baud_char", baud, "mode", pmu_iec_mode_name(id->mode), "baud",
                     (json_int_t)id->baud, "fast_reaction", id->fast_reaction, "enhanced",
                     id->enhanced, "id", id->id);
}

json_t *render_values(const struct pmu_value *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:o}", "value", v[i].text, "unit", render_str_or_null(v[i].unit));
        if (v[i].has_time)
            json_object_set_new(o, "time", render_time(&v[i].time));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *render_error(const struct pmu_error *e)
{
    return json_pack("{s:s, s:o, s:s}", "code", pmu_status_name(e->code), "offset",
                     e->offset == PMU_NO_OFFSET ? json_null() : json_integer((json_int_t)e->offset),
                     "message", e->message);
}

json_t *render_record(const struct pmu_record *r)
{
    char obis[PMU_OBIS_TEXT_MAX], name[PMU_OBIS_NAME_MAX];
    json_t *o = json_pack("{s:s}", "address", r->address);
    bool named = r->has_obis && pmu_obis_name(&r->obis, name, sizeof name) == PMU_OK;
    if (r->has_obis)
        pmu_obis_format_full(&r->obis, obis, sizeof obis);
    json_object_set_new(o, "obis", r->has_obis ? json_string(obis) : json_null());
    json_object_set_new(o, "name", named ? json_string(name) : json_null());
    json_object_set_new(o, "values", render_values(r->values, r->n_values));
    json_object_set_new(o, "frame", json_integer((json_int_t)r->frame));
    json_object_set_new(o, "offset", json_integer((json_int_t)r->offset));
    return o;
}

json_t *render_profile(const struct pmu_profile *p)
{
    char status[16];
    snprintf(status, sizeof status, "%08X", (unsigned)p->status);
    json_t *channels = json_array(), *rows = json_array();
    for (size_t i = 0; i < p->n_channels; i++)
        json_array_append_new(channels, json_pack("{s:s, s:s}", "id", p->channels[i].id,
                                                  "unit", p->channels[i].unit));
    for (size_t i = 0; i < p->n_rows; i++)
        json_array_append_new(rows, json_pack("{s:o, s:o}", "time", render_time(&p->rows[i].time),
                                              "values", render_values(p->rows[i].values, p->rows[i].n_values)));
    json_t *o = json_pack("{s:s, s:o, s:s, s:I, s:o, s:o, s:I}", "address", p->address, "start",
                          render_time(&p->start), "status", status, "interval_min",
                          (json_int_t)p->interval_min, "channels", channels, "rows", rows,
                          "frame", (json_int_t)p->frame);
    json_object_set_new(o, "season", p->start.season >= 0 ? json_integer(p->start.season) : json_null());
    return o;
}

static void print_values(const struct pmu_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s%s", i ? "  " : "", v[i].text);
        if (v[i].unit != NULL && v[i].unit[0])
            printf(" %s", v[i].unit);
    }
}


void render_print_ident(const struct pmu_iec_ident *id)
{
    printf("Identification: manufacturer %s, mode %s, up to %u baud (character '%c')%s%s%s, id \"%s\"\n",
           id->manufacturer, pmu_iec_mode_name(id->mode), id->baud, id->baud_char,
           id->fast_reaction ? ", 20 ms reaction" : "", id->enhanced[0] ? ", enhanced \\" : "",
           id->enhanced, id->id);
}

void render_print_readout(const struct pmu_readout *ro)
{
    if (ro->n_records > 0) {
        printf("\nRecords\n  %-16s %-22s %-44s %s\n", "address", "OBIS", "name", "values");
        for (size_t i = 0; i < ro->n_records; i++) {
            const struct pmu_record *r = &ro->records[i];
            char obis[PMU_OBIS_TEXT_MAX] = "", name[PMU_OBIS_NAME_MAX] = "";
            if (r->has_obis) {
                pmu_obis_format_full(&r->obis, obis, sizeof obis);
                pmu_obis_name(&r->obis, name, sizeof name);
            }
            printf("  %-16s %-22s %-44s ", r->address, obis, name);
            print_values(r->values, r->n_values);
            putchar('\n');
        }
    }
    for (size_t i = 0; i < ro->n_profiles; i++) {
        const struct pmu_profile *p = &ro->profiles[i];
        char start[32];
        pmu_timestamp_format(&p->start, start, sizeof start);
        printf("\nLoad profile %s from %s (season %d), status %08X, %u-minute intervals, %zu rows\n  %-20s",
               p->address, start, p->start.season, (unsigned)p->status, p->interval_min, p->n_rows, "time");
        for (size_t c = 0; c < p->n_channels; c++) {
            char head[40];
            snprintf(head, sizeof head, "%s [%s]", p->channels[c].id, p->channels[c].unit);
            printf(" %14s", head);
        }
        putchar('\n');
        for (size_t r = 0; r < p->n_rows; r++) {
            char t[32];
            pmu_timestamp_format(&p->rows[r].time, t, sizeof t);
            printf("  %-20s", t);
            for (size_t c = 0; c < p->rows[r].n_values; c++)
                printf(" %14s", p->rows[r].values[c].text);
            putchar('\n');
        }
    }
}

json_t *render_readout_into(json_t *root, const struct pmu_readout *ro)
{
    json_t *records = json_array(), *profiles = json_array();
    for (size_t i = 0; i < ro->n_records; i++)
        json_array_append_new(records, render_record(&ro->records[i]));
    for (size_t i = 0; i < ro->n_profiles; i++)
        json_array_append_new(profiles, render_profile(&ro->profiles[i]));
    json_object_set_new(root, "records", records);
    json_object_set_new(root, "profiles", profiles);
    return root;
}
