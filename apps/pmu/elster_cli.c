/* pmu read / pmu write for Elster meters: see elster_cli.h. */
#include "elster_cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef PMU_MODELS_DEFAULT
#define PMU_MODELS_DEFAULT "models"
#endif

int elster_cli_prepare(const char *cmd, struct elster_cli *c, const struct pmu_read_request *base)
{
    if (c->models == NULL) {
        const char *dir = getenv("PMU_MODELS_DIR");
        struct pmu_error err;
        if (pmu_elster_models_load_dir(dir && dir[0] ? dir : PMU_MODELS_DEFAULT, &c->models, &c->n_models, &err) !=
            PMU_OK) {
            fprintf(stderr, "pmu %s: %s\n", cmd, err.message);
            return PMU_EXIT_FAILURE;
        }
    }
    c->plan.models = c->models;
    c->plan.n_models = c->n_models;
    c->plan.password = base->password;
    if (c->plan.password == NULL || strlen(c->plan.password) != PMU_ELSTER_PASSWORD_LEN) {
        fprintf(stderr, "pmu %s: an Elster meter needs its 8-character password (--password or "
                        "PMU_METER_PASSWORD)\n", cmd);
        return PMU_EXIT_USAGE;
    }
    c->req = *base;
    c->req.elster = &c->plan;
    return PMU_EXIT_OK;
}

void elster_cli_free(struct elster_cli *c)
{
    pmu_elster_models_free(c->models, c->n_models);
    c->models = NULL;
    c->n_models = 0;
}

static void hex(const uint8_t *p, size_t n, char *out, size_t size)
{
    if (pmu_elster_hex_encode(p, n, out, size) < 0)
        snprintf(out, size, "(%zu bytes)", n);
}

void elster_cli_print(const struct pmu_session *s)
{
    if (s->elster == NULL || !s->elster->result.has_model)
        return;
    const struct pmu_elster_result *r = &s->elster->result;
    printf("Elster %s: maker %s, master unit %s, product range %s, device %s, issue %s\n", r->model->name,
           r->ident.maker, r->ident.master_unit, r->ident.product_range, r->ident.device, r->ident.issue);
    if (r->serial[0])
        printf("  serial number   %s\n", r->serial);
    if (r->firmware[0])
        printf("  firmware        %s\n", r->firmware);
    if (r->scheme[0])
        printf("  scheme id       %s\n", r->scheme);
    if (r->has_clock) {
        char m[24], h[24];
        struct pmu_timestamp t;
        pmu_timestamp_from_seconds(r->meter_time, &t);
        pmu_timestamp_format(&t, m, sizeof m);
        pmu_timestamp_from_seconds(r->host_time, &t);
        pmu_timestamp_format(&t, h, sizeof h);
        printf("  meter clock     %s (host %s, offset %+" PRId64 " s)\n", m, h, r->meter_time - r->host_time);
    }
    if (r->intervals > 0 || r->lp_bytes > 0)
        printf("  load profile    %zu intervals, %zu markers, %zu bytes\n", r->intervals, r->lp_events, r->lp_bytes);
    if (r->reauths > 0)
        printf("  re-authenticated %u times\n", r->reauths);
    for (size_t i = 0; i < r->n_missing; i++)
        printf("  identity %03u    not on this meter (ERR2)\n", r->missing[i]);
    if (r->n_writes > 0)
        printf("\nWrites\n");
    for (size_t i = 0; i < r->n_writes; i++) {
        const struct pmu_elster_write_result *w = &r->writes[i];
        const struct pmu_elster_identity *it = pmu_elster_model_identity(r->model, w->id);
        char b[2 * PMU_ELSTER_WRITE_MAX + 1] = "-", wr[2 * PMU_ELSTER_WRITE_MAX + 1] = "", a[2 * PMU_ELSTER_WRITE_MAX + 1] = "-";
        if (w->has_before)
            hex(w->before, w->before_len, b, sizeof b);
        hex(w->written, w->written_len, wr, sizeof wr);
        if (w->has_after)
            hex(w->after, w->after_len, a, sizeof a);
        printf("  %03u %-28s %s%s%s\n", w->id, it ? it->name : "", pmu_elster_verdict_name(w->verdict),
               w->message[0] ? ": " : "", w->message);
        if (w->has_before || w->written_len > 0)
            printf("      before %s\n      wrote  %s\n      after  %s\n", b, wr[0] ? wr : "(action)", a);
    }
}

json_t *elster_cli_json(const struct pmu_session *s)
{
    if (s->elster == NULL || !s->elster->result.has_model)
        return json_null();
    const struct pmu_elster_result *r = &s->elster->result;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "model", r->model->name, "device", r->ident.device,
                          "serial", r->serial, "firmware", r->firmware, "scheme", r->scheme);
    if (r->has_clock)
        json_object_set_new(o, "clock_offset_s", json_integer((json_int_t)(r->meter_time - r->host_time)));
    json_object_set_new(o, "intervals", json_integer((json_int_t)r->intervals));
    json_object_set_new(o, "lp_bytes", json_integer((json_int_t)r->lp_bytes));
    json_object_set_new(o, "reauths", json_integer((json_int_t)r->reauths));
    json_t *writes = json_array();
    for (size_t i = 0; i < r->n_writes; i++) {
        const struct pmu_elster_write_result *w = &r->writes[i];
        char b[2 * PMU_ELSTER_WRITE_MAX + 1] = "", wr[2 * PMU_ELSTER_WRITE_MAX + 1] = "", a[2 * PMU_ELSTER_WRITE_MAX + 1] = "";
        hex(w->before, w->before_len, b, sizeof b);
        hex(w->written, w->written_len, wr, sizeof wr);
        hex(w->after, w->after_len, a, sizeof a);
        json_array_append_new(writes, json_pack("{s:i, s:i, s:s, s:o, s:s, s:o, s:s}", "id", (int)w->id, "set",
                                                (int)w->set, "verdict", pmu_elster_verdict_name(w->verdict), "before",
                                                w->has_before ? json_string(b) : json_null(), "written", wr, "after",
                                                w->has_after ? json_string(a) : json_null(), "message", w->message));
    }
    json_object_set_new(o, "writes", writes);
    json_t *missing = json_array();
    for (size_t i = 0; i < r->n_missing; i++)
        json_array_append_new(missing, json_integer((json_int_t)r->missing[i]));
    json_object_set_new(o, "missing", missing);
    return o;
}

bool elster_cli_writes_failed(const struct pmu_session *s)
{
    if (s->elster == NULL)
        return false;
    const struct pmu_elster_result *r = &s->elster->result;
    for (size_t i = 0; i < r->n_writes; i++)
        if (r->writes[i].verdict != PMU_ELSTER_WRITE_VERIFIED && r->writes[i].verdict != PMU_ELSTER_WRITE_ACCEPTED)
            return true;
    return false;
}
