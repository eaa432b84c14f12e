/* Model limits for schemes: from an Elster model file (its counts and the sizes of
 * the writable identities), or from a generic IEC 62056-21 model file. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const unsigned lp_periods[] = {1, 2, 3, 4, 5, 6, 10, 15, 20, 30, 60};
static const unsigned md_periods[] = {5, 10, 15, 20, 30, 60};

static const struct pmu_elster_identity *writable(const struct pmu_elster_model *m, unsigned id)
{
    const struct pmu_elster_identity *d = pmu_elster_model_identity(m, id);
    return d != NULL && d->writable ? d : NULL;
}

void pmu_scheme_caps_from_elster(const struct pmu_elster_model *m, struct pmu_scheme_caps *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->model, sizeof out->model, "%s", m->name);
    out->target = PMU_SCHEME_ELSTER;
    out->elster = m;
    out->tou_registers = m->tou_registers;
    out->rates = m->tou_registers;
    out->md_registers = m->md_registers;
    out->password_levels = m->password_levels;
    const struct pmu_elster_identity *id795 = writable(m, 795);
    out->scheme_id_length = id795 != NULL ? id795->length : 0;
    out->has_ratios = writable(m, 614) != NULL && writable(m, 616) != NULL;
    const struct pmu_elster_identity *seasons = writable(m, PMU_SCHEME_ID_SEASONS),
                                     *weeks = writable(m, PMU_SCHEME_ID_WEEKS),
                                     *days = writable(m, PMU_SCHEME_ID_DAY_TYPES),
                                     *special = writable(m, PMU_SCHEME_ID_SPECIAL_DAYS),
                                     *rates = writable(m, PMU_SCHEME_ID_REGISTER_RATES),
                                     *sources = writable(m, 667);
    out->has_tou = seasons != NULL && weeks != NULL && days != NULL && special != NULL && rates != NULL &&
                   sources != NULL && pmu_elster_model_identity(m, PMU_SCHEME_ID_ACTIVATE) != NULL;
    if (out->has_tou) {
        out->seasons = (unsigned)(seasons->length / 4);
        out->week_profiles = (unsigned)(weeks->length / 7);
        out->day_types = days->sets;
        out->switch_points = (unsigned)(days->length / 3);
        out->special_days = (unsigned)(special->length / 4);
    }
    out->has_md = writable(m, 878) != NULL && writable(m, 668) != NULL;
    if (out->has_md) {
        out->n_md_periods = sizeof md_periods / sizeof md_periods[0];
        memcpy(out->md_periods, md_periods, sizeof md_periods);
        out->md_sub_intervals_max = 15;
    }
    out->has_lp = m->load_profile && writable(m, 777) != NULL && writable(m, 878) != NULL;
    out->lp_at_md_period = true;
    if (out->has_lp) {
        out->lp_channels = m->lp_channels;
        out->n_lp_intervals = sizeof lp_periods / sizeof lp_periods[0];
        memcpy(out->lp_intervals, lp_periods, sizeof lp_periods);
    }
    const struct pmu_elster_identity *display = writable(m, PMU_SCHEME_ID_DISPLAY);
    out->has_display = display != NULL;
    if (display != NULL)
        out->display_items = (unsigned)(display->length / 6);
}

static enum pmu_status need_uint(json_t *root, const char *key, unsigned max, unsigned *out,
                                 struct pmu_error *err)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "%s: expected a whole number from 0 to %u", key, max);
    *out = (unsigned)json_integer_value(v);
    return PMU_OK;
}

static enum pmu_status uint_list(json_t *root, const char *key, unsigned *dst, size_t *n, struct pmu_error *err)
{
    json_t *a = json_object_get(root, key), *v;
    size_t i;
    *n = 0;
    if (!json_is_array(a) || json_array_size(a) > 16)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "%s: expected a list of up to 16 numbers", key);
    json_array_foreach(a, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 255)
            return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "%s[%zu]: expected minutes 1..255", key, i);
        dst[(*n)++] = (unsigned)json_integer_value(v);
    }
    return PMU_OK;
}

enum pmu_status pmu_scheme_caps_load(const char *json_text, size_t len, struct pmu_scheme_caps *out,
                                     struct pmu_error *err)
{
    static const char *const known[] = {"format", "model", "notes", "tou_registers", "md_registers", "lp_channels",
                                        "day_types", "switch_points", "seasons", "week_profiles", "special_days",
                                        "display_items", "password_levels", "scheme_id_length", "lp_intervals",
                                        "md_periods", "md_sub_intervals_max"};
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(json_text, len, 0, &jerr);
    if (root == NULL)
        return pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "line %d: %s", jerr.line, jerr.text);
    enum pmu_status st = PMU_OK;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(known[i], key) == 0;
        if (!ok) {
            st = pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "%s: unknown key", key);
            goto done;
        }
    }
    const char *format = json_string_value(json_object_get(root, "format"));
    const char *model = json_string_value(json_object_get(root, "model"));
    if (format == NULL || strcmp(format, "openpmu-generic-model/1") != 0) {
        st = pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "format: expected \"openpmu-generic-model/1\"");
        goto done;
    }
    if (model == NULL || strlen(model) >= sizeof out->model || model[0] == '\0') {
        st = pmu_error_set(err, PMU_E_SYNTAX, PMU_NO_OFFSET, "model: expected a name");
        goto done;
    }
    strcpy(out->model, model);
    out->target = PMU_SCHEME_GENERIC;
    unsigned id_len = 0;
    if ((st = need_uint(root, "tou_registers", 64, &out->tou_registers, err)) != PMU_OK ||
        (st = need_uint(root, "md_registers", 16, &out->md_registers, err)) != PMU_OK ||
        (st = need_uint(root, "lp_channels", 32, &out->lp_channels, err)) != PMU_OK ||
        (st = need_uint(root, "day_types", 32, &out->day_types, err)) != PMU_OK ||
        (st = need_uint(root, "switch_points", 32, &out->switch_points, err)) != PMU_OK ||
        (st = need_uint(root, "seasons", 32, &out->seasons, err)) != PMU_OK ||
        (st = need_uint(root, "week_profiles", 32, &out->week_profiles, err)) != PMU_OK ||
        (st = need_uint(root, "special_days", 64, &out->special_days, err)) != PMU_OK ||
        (st = need_uint(root, "display_items", 64, &out->display_items, err)) != PMU_OK ||
        (st = need_uint(root, "password_levels", 9, &out->password_levels, err)) != PMU_OK ||
        (st = need_uint(root, "scheme_id_length", 32, &id_len, err)) != PMU_OK ||
        (st = need_uint(root, "md_sub_intervals_max", 255, &out->md_sub_intervals_max, err)) != PMU_OK ||
        (st = uint_list(root, "lp_intervals", out->lp_intervals, &out->n_lp_intervals, err)) != PMU_OK ||
        (st = uint_list(root, "md_periods", out->md_periods, &out->n_md_periods, err)) != PMU_OK)
        goto done;
    out->scheme_id_length = id_len;
    out->rates = out->tou_registers;
    out->has_ratios = true;
    out->has_tou = out->tou_registers > 0 && out->day_types > 0;
    out->has_md = out->n_md_periods > 0;
    out->has_lp = out->n_lp_intervals > 0 && out->lp_channels > 0;
    out->has_display = out->display_items > 0;
done:
    json_decref(root);
    return st;
}
