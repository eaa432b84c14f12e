/* Model files (models/<model>.json): which data identities a meter model has, how long and
 * how encoded each is, which identification selects the model. Reader and pmu-sim
 * both load them, so a new variant is a new file, not new C. The format is described
 * in docs/elster.md; every error names the JSON path of the bad value. */
#include "internal.h"

#include "../core/arena.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const encoding_names[] = {
    [PMU_ELSTER_ENC_ASCII] = "ascii",
    [PMU_ELSTER_ENC_BCD_LE_ENERGY] = "bcd_le_energy",
    [PMU_ELSTER_ENC_MD_RECORD] = "md_record",
    [PMU_ELSTER_ENC_CMD_RECORD] = "cmd_record",
    [PMU_ELSTER_ENC_DATETIME_BCD] = "datetime_bcd",
    [PMU_ELSTER_ENC_RATIO_BCD] = "ratio_bcd",
    [PMU_ELSTER_ENC_U8] = "u8",
    [PMU_ELSTER_ENC_U16_LE] = "u16_le",
    [PMU_ELSTER_ENC_U16_BE] = "u16_be",
    [PMU_ELSTER_ENC_U32_LE] = "u32_le",
    [PMU_ELSTER_ENC_RAW] = "raw",
    [PMU_ELSTER_ENC_BILLING_SET] = "billing_set",
    [PMU_ELSTER_ENC_EVENTS] = "events",
    [PMU_ELSTER_ENC_COUNTER] = "counter",
    [PMU_ELSTER_ENC_INSTANT] = "instant",
    [PMU_ELSTER_ENC_STATUS] = "status",
    [PMU_ELSTER_ENC_CHANNEL_MASK] = "channel_mask",
    [PMU_ELSTER_ENC_PERIOD] = "period",
    [PMU_ELSTER_ENC_LP_SELECTION] = "lp_selection",
    [PMU_ELSTER_ENC_LP_STREAM] = "lp_stream",
    [PMU_ELSTER_ENC_ACTION] = "action",
};
#define N_ENCODINGS (sizeof encoding_names / sizeof encoding_names[0])

const char *pmu_elster_encoding_name(enum pmu_elster_encoding e)
{
    return (size_t)e < N_ENCODINGS ? encoding_names[e] : "unknown";
}

enum pmu_status pmu_elster_encoding_from_name(const char *name, enum pmu_elster_encoding *out)
{
    for (size_t i = 0; i < N_ENCODINGS; i++)
        if (strcmp(name, encoding_names[i]) == 0) {
            *out = (enum pmu_elster_encoding)i;
            return PMU_OK;
        }
    return PMU_E_SYNTAX;
}

/* ---- Reading JSON with paths -------------------------------------------------------- */

struct loader {
    struct pmu_arena *arena;
    struct pmu_error *err;
};

#define PATH_MAX_LEN 96

static enum pmu_status bad(struct loader *l, const char *path, const char *key, const char *what)
{
    if (*path == '\0' && *key == '\0')
        return pmu_error_set(l->err, PMU_E_SYNTAX, PMU_NO_OFFSET, "%s", what);
    return pmu_error_set(l->err, PMU_E_SYNTAX, PMU_NO_OFFSET, "%s%s%s: %s", path,
                         *path && *key ? "." : "", key, what);
}

/* Refuses keys the format does not know, so a typo ("lenght") is not silently
 * ignored. allowed is a NULL-terminated list. */
static enum pmu_status known_keys(struct loader *l, json_t *obj, const char *path,
                                  const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return bad(l, path, key, "unknown key (see docs/elster.md for the model format)");
    }
    return PMU_OK;
}

static enum pmu_status get_string(struct loader *l, json_t *obj, const char *path,
                                  const char *key, bool required, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            return bad(l, path, key, "expected a string (missing)");
        *out = NULL;
        return PMU_OK;
    }
    if (!json_is_string(v))
        return bad(l, path, key, "expected a string");
    *out = pmu_arena_strndup(l->arena, json_string_value(v), json_string_length(v));
    return *out == NULL ? pmu_error_set(l->err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory")
                        : PMU_OK;
}

/* An integer in min..max; def when absent and not required. */
static enum pmu_status get_int(struct loader *l, json_t *obj, const char *path, const char *key,
                               bool required, long long def, long long min, long long max,
                               long long *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required) {
            char what[80];
            snprintf(what, sizeof what, "expected a number %lld..%lld (missing)", min, max);
            return bad(l, path, key, what);
        }
        *out = def;
        return PMU_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char what[80];
        if (min == 1)
            snprintf(what, sizeof what, "expected a positive number up to %lld", max);
        else
            snprintf(what, sizeof what, "expected a whole number %lld..%lld", min, max);
        return bad(l, path, key, what);
    }
    *out = json_integer_value(v);
    return PMU_OK;
}

static enum pmu_status get_bool(struct loader *l, json_t *obj, const char *path, const char *key,
                                bool def, bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        *out = def;
        return PMU_OK;
    }
    if (!json_is_boolean(v))
        return bad(l, path, key, "expected true or false");
    *out = json_is_true(v);
    return PMU_OK;
}

static enum pmu_status get_confidence(struct loader *l, json_t *obj, const char *path,
                                      char *out)
{
    const char *c;
    enum pmu_status rc = get_string(l, obj, path, "confidence", false, &c);
    if (rc != PMU_OK)
        return rc;
    if (c == NULL) {
        *out = 'H';
        return PMU_OK;
    }
    if (strcmp(c, "H") != 0 && strcmp(c, "M") != 0 && strcmp(c, "L") != 0)
        return bad(l, path, "confidence", "expected \"H\", \"M\" or \"L\"");
    *out = c[0];
    return PMU_OK;
}

static json_t *get_array(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

/* ---- Sections --------------------------------------------------------------------- */

static enum pmu_status load_source(struct loader *l, json_t *v, const char *path,
                                   struct pmu_elster_source *s)
{
    static const char *const keys[] = {"code", "name", "obis_c", "energy_unit", "demand_unit",
                                       NULL};
    if (!json_is_object(v))
        return bad(l, path, "", "expected an object");
    long long code, c;
    enum pmu_status rc = known_keys(l, v, path, keys);
    if (rc == PMU_OK)
        rc = get_int(l, v, path, "code", true, 0, 0, 255, &code);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "name", true, &s->name);
    if (rc == PMU_OK)
        rc = get_int(l, v, path, "obis_c", false, 0, 0, 255, &c);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "energy_unit", false, &s->energy_unit);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "demand_unit", false, &s->demand_unit);
    if (rc != PMU_OK)
        return rc;
    s->code = (int)code;
    s->obis_c = (uint8_t)c;
    return PMU_OK;
}

static enum pmu_status load_identity(struct loader *l, json_t *v, const char *path,
                                     struct pmu_elster_identity *d)
{
    static const char *const keys[] = {"id", "name", "length", "sets", "element", "encoding",
                                       "read", "write", "unit", "scaler", "obis", "sources",
                                       "confidence", "openpmu_choice", "layout", "notes", NULL};
    if (!json_is_object(v))
        return bad(l, path, "", "expected an object");
    enum pmu_status rc = known_keys(l, v, path, keys);
    long long id, length, sets, element, scaler;
    const char *enc, *obis;
    if (rc == PMU_OK)
        rc = get_int(l, v, path, "id", true, 0, 0, 999, &id);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "name", true, &d->name);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "encoding", true, &enc);
    if (rc != PMU_OK)
        return rc;
    if (pmu_elster_encoding_from_name(enc, &d->encoding) != PMU_OK)
        return bad(l, path, "encoding",
                   "expected one of ascii, bcd_le_energy, md_record, cmd_record, datetime_bcd, "
                   "ratio_bcd, u8, u16_le, u16_be, u32_le, raw, billing_set, events, counter, "
                   "instant, status, channel_mask, period, lp_selection, lp_stream, action");
    /* Streams and actions have no fixed length; everything else has one. */
    bool lengthless = d->encoding == PMU_ELSTER_ENC_LP_STREAM ||
                      d->encoding == PMU_ELSTER_ENC_ACTION;
    rc = get_int(l, v, path, "length", !lengthless, 0, lengthless ? 0 : 1, 65535, &length);
    if (rc == PMU_OK)
        rc = get_int(l, v, path, "sets", false, 1, 1, 4095, &sets);
    if (rc == PMU_OK)
        rc = get_int(l, v, path, "element", false, 0, 0, 65535, &element);
    if (rc == PMU_OK)
        rc = get_bool(l, v, path, "read", d->encoding != PMU_ELSTER_ENC_ACTION, &d->readable);
    if (rc == PMU_OK)
        rc = get_bool(l, v, path, "write", d->encoding == PMU_ELSTER_ENC_ACTION, &d->writable);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "unit", false, &d->unit);
    if (rc == PMU_OK)
        rc = get_int(l, v, path, "scaler", false, 0, -9, 9, &scaler);
    if (rc == PMU_OK)
        rc = get_string(l, v, path, "obis", false, &obis);
    if (rc == PMU_OK)
        rc = get_confidence(l, v, path, &d->confidence);
    if (rc == PMU_OK)
        rc = get_bool(l, v, path, "openpmu_choice", false, &d->openpmu_choice);
    if (rc != PMU_OK)
        return rc;
    json_t *notes = json_object_get(v, "notes"), *layout = json_object_get(v, "layout");
    if ((notes != NULL && !json_is_string(notes)) || (layout != NULL && !json_is_string(layout)))
        return bad(l, path, notes != NULL && !json_is_string(notes) ? "notes" : "layout",
                   "expected a string");
    d->id = (unsigned)id;
    d->length = (size_t)length;
    d->sets = (unsigned)sets;
    d->element = (size_t)element;
    d->scaler = (int)scaler;
    if (d->element != 0 && d->length % d->element != 0)
        return bad(l, path, "element", "expected a size that divides length");
    if (obis != NULL) {
        struct pmu_error oerr;
        if (pmu_obis_parse(obis, strlen(obis), &d->obis, &oerr) != PMU_OK) {
            char what[300];
            snprintf(what, sizeof what, "expected an OBIS code such as \"1-1:1.8.0*255\": %.200s",
                     oerr.message);
            return bad(l, path, "obis", what);
        }
        d->has_obis = true;
    }
    json_t *src = json_object_get(v, "sources");
    if (src != NULL) {
        if (!json_is_array(src))
            return bad(l, path, "sources", "expected an array of source codes");
        size_t n = json_array_size(src);
        size_t elements = d->element != 0 ? d->length / d->element : 1;
        if (n != elements) {
            char what[96];
            snprintf(what, sizeof what, "expected %zu source codes, one per element", elements);
            return bad(l, path, "sources", what);
        }
        int *codes = pmu_arena_alloc(l->arena, (n ? n : 1) * sizeof *codes);
        if (codes == NULL)
            return pmu_error_set(l->err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *c = json_array_get(src, i);
            if (!json_is_integer(c) || json_integer_value(c) < -1 ||
                json_integer_value(c) > 255) {
                char key[32];
                snprintf(key, sizeof key, "sources[%zu]", i);
                return bad(l, path, key, "expected a source code -1..255 (-1: none)");
            }
            codes[i] = (int)json_integer_value(c);
        }
        d->sources = codes;
        d->n_sources = n;
    }
    return PMU_OK;
}

static enum pmu_status load_top(struct loader *l, json_t *root, struct pmu_elster_model *m)
{
    static const char *const keys[] = {"format", "model", "family", "confidence", "notes",
                                       "identification", "tou_registers", "md_registers",
                                       "cdr_count", "packet_size", "password", "load_profile",
                                       "sources", "identities", NULL};
    static const char *const ident_keys[] = {"maker", "master_unit", "devices", "notes", NULL};
    static const char *const pw_keys[] = {"levels", "length", "timeout_seconds", "notes", NULL};
    static const char *const lp_keys[] = {"present", "channels", "scaler", "unit", "confidence",
                                          "notes", NULL};
    if (!json_is_object(root))
        return bad(l, "", "", "expected a JSON object at the top level");
    const char *format;
    long long v;
    enum pmu_status rc = known_keys(l, root, "", keys);
    if (rc == PMU_OK)
        rc = get_string(l, root, "", "format", true, &format);
    if (rc == PMU_OK && strcmp(format, "openpmu-elster-model/1") != 0)
        return bad(l, "", "format", "expected \"openpmu-elster-model/1\"");
    if (rc == PMU_OK)
        rc = get_string(l, root, "", "model", true, &m->name);
    if (rc == PMU_OK)
        rc = get_string(l, root, "", "family", true, &m->family);
    if (rc == PMU_OK)
        rc = get_confidence(l, root, "", &m->confidence);
    if (rc == PMU_OK && (rc = get_int(l, root, "", "tou_registers", true, 0, 1, 64, &v)) == PMU_OK)
        m->tou_registers = (unsigned)v;
    if (rc == PMU_OK && (rc = get_int(l, root, "", "md_registers", false, 8, 0, 64, &v)) == PMU_OK)
        m->md_registers = (unsigned)v;
    if (rc == PMU_OK && (rc = get_int(l, root, "", "cdr_count", false, 3, 0, 5, &v)) == PMU_OK)
        m->cdr_count = (unsigned)v;
    if (rc == PMU_OK &&
        (rc = get_int(l, root, "", "packet_size", true, 0, 1, PMU_ELSTER_PACKET, &v)) == PMU_OK)
        m->packet_size = (size_t)v;
    if (rc != PMU_OK)
        return rc;

    json_t *ident = json_object_get(root, "identification");
    if (!json_is_object(ident))
        return bad(l, "", "identification", "expected an object with maker, master_unit, devices");
    if ((rc = known_keys(l, ident, "identification", ident_keys)) != PMU_OK ||
        (rc = get_string(l, ident, "identification", "maker", true, &m->maker)) != PMU_OK ||
        (rc = get_string(l, ident, "identification", "master_unit", true, &m->master_unit)) !=
            PMU_OK)
        return rc;
    if (strlen(m->maker) != 3)
        return bad(l, "identification", "maker", "expected 3 characters such as \"GEC\"");
    if (strlen(m->master_unit) != 2)
        return bad(l, "identification", "master_unit", "expected 2 characters such as \"09\"");
    json_t *devs = get_array(ident, "devices");
    if (devs == NULL || json_array_size(devs) == 0)
        return bad(l, "identification", "devices",
                   "expected a non-empty array of 3-character device numbers or \"*\"");
    m->n_devices = json_array_size(devs);
    m->devices = pmu_arena_alloc(l->arena, m->n_devices * sizeof *m->devices);
    if (m->devices == NULL)
        return pmu_error_set(l->err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < m->n_devices; i++) {
        json_t *d = json_array_get(devs, i);
        const char *s = json_is_string(d) ? json_string_value(d) : NULL;
        if (s == NULL || (strlen(s) != 3 && strcmp(s, "*") != 0)) {
            char key[32];
            snprintf(key, sizeof key, "devices[%zu]", i);
            return bad(l, "identification", key,
                       "expected a 3-character device number such as \"010\" or \"*\"");
        }
        m->devices[i] = pmu_arena_strndup(l->arena, s, strlen(s));
        if (m->devices[i] == NULL)
            return pmu_error_set(l->err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    }

    json_t *pw = json_object_get(root, "password");
    if (!json_is_object(pw))
        return bad(l, "", "password", "expected an object with levels and timeout_seconds");
    if ((rc = known_keys(l, pw, "password", pw_keys)) != PMU_OK ||
        (rc = get_int(l, pw, "password", "levels", true, 0, 1, 8, &v)) != PMU_OK)
        return rc;
    m->password_levels = (unsigned)v;
    if ((rc = get_int(l, pw, "password", "length", false, 8, 8, 8, &v)) != PMU_OK ||
        (rc = get_int(l, pw, "password", "timeout_seconds", true, 0, 1, 3600, &v)) != PMU_OK)
        return rc;
    m->password_timeout_s = (unsigned)v;

    json_t *lp = json_object_get(root, "load_profile");
    if (!json_is_object(lp))
        return bad(l, "", "load_profile", "expected an object with present, channels, scaler");
    char lp_conf;
    if ((rc = known_keys(l, lp, "load_profile", lp_keys)) != PMU_OK ||
        (rc = get_bool(l, lp, "load_profile", "present", false, &m->load_profile)) != PMU_OK ||
        (rc = get_int(l, lp, "load_profile", "channels", false, 0, 0, PMU_ELSTER_MAX_CHANNELS,
                      &v)) != PMU_OK)
        return rc;
    m->lp_channels = (unsigned)v;
    if ((rc = get_int(l, lp, "load_profile", "scaler", false, 0, -9, 9, &v)) != PMU_OK ||
        (rc = get_string(l, lp, "load_profile", "unit", false, &m->lp_unit)) != PMU_OK ||
        (rc = get_confidence(l, lp, "load_profile", &lp_conf)) != PMU_OK)
        return rc;
    m->lp_scaler = (int)v;
    return PMU_OK;
}

enum pmu_status pmu_elster_model_load(const char *json_text, size_t len,
                                      struct pmu_elster_model *out, struct pmu_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(json_text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return pmu_error_set(err, PMU_E_SYNTAX, jerr.position < 0 ? PMU_NO_OFFSET
                                                                 : (size_t)jerr.position,
                             "line %d: %s", jerr.line, jerr.text);
    struct loader l = {pmu_arena_new(), err};
    if (l.arena == NULL) {
        json_decref(root);
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    }
    out->arena = l.arena;
    enum pmu_status rc = load_top(&l, root, out);

    json_t *src = rc == PMU_OK ? json_object_get(root, "sources") : NULL;
    if (rc == PMU_OK && src != NULL && !json_is_array(src))
        rc = bad(&l, "", "sources", "expected an array");
    if (rc == PMU_OK && src != NULL) {
        out->n_sources = json_array_size(src);
        out->sources = pmu_arena_alloc(l.arena, (out->n_sources + 1) * sizeof *out->sources);
        if (out->sources == NULL)
            rc = pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        for (size_t i = 0; rc == PMU_OK && i < out->n_sources; i++) {
            char path[PATH_MAX_LEN];
            snprintf(path, sizeof path, "sources[%zu]", i);
            rc = load_source(&l, json_array_get(src, i), path, &out->sources[i]);
            for (size_t j = 0; rc == PMU_OK && j < i; j++)
                if (out->sources[j].code == out->sources[i].code)
                    rc = bad(&l, path, "code", "expected a code not used by an earlier source");
        }
    }

    json_t *ids = rc == PMU_OK ? json_object_get(root, "identities") : NULL;
    if (rc == PMU_OK && (!json_is_array(ids) || json_array_size(ids) == 0))
        rc = bad(&l, "", "identities", "expected a non-empty array");
    if (rc == PMU_OK) {
        out->n_identities = json_array_size(ids);
        out->identities = pmu_arena_alloc(l.arena, out->n_identities * sizeof *out->identities);
        if (out->identities == NULL)
            rc = pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
        else
            memset(out->identities, 0, out->n_identities * sizeof *out->identities);
        for (size_t i = 0; rc == PMU_OK && i < out->n_identities; i++) {
            char path[PATH_MAX_LEN];
            snprintf(path, sizeof path, "identities[%zu]", i);
            rc = load_identity(&l, json_array_get(ids, i), path, &out->identities[i]);
            for (size_t j = 0; rc == PMU_OK && j < i; j++)
                if (out->identities[j].id == out->identities[i].id)
                    rc = bad(&l, path, "id", "expected an id not used by an earlier identity");
            for (size_t k = 0; rc == PMU_OK && k < out->identities[i].n_sources; k++) {
                int code = out->identities[i].sources[k];
                if (code >= 0 && pmu_elster_model_source(out, code) == NULL) {
                    char key[32];
                    snprintf(key, sizeof key, "sources[%zu]", k);
                    rc = bad(&l, path, key, "expected a code listed in the top-level sources");
                }
            }
        }
    }
    json_decref(root);
    if (rc != PMU_OK)
        pmu_elster_model_free(out);
    return rc;
}

void pmu_elster_model_free(struct pmu_elster_model *m)
{
    if (m == NULL)
        return;
    pmu_arena_free(m->arena);
    memset(m, 0, sizeof *m);
}

/* ---- Lookups ------------------------------------------------------------------------- */

const struct pmu_elster_identity *pmu_elster_model_identity(const struct pmu_elster_model *m,
                                                            unsigned id)
{
    for (size_t i = 0; i < m->n_identities; i++)
        if (m->identities[i].id == id)
            return &m->identities[i];
    return NULL;
}

const struct pmu_elster_source *pmu_elster_model_source(const struct pmu_elster_model *m,
                                                        int code)
{
    for (size_t i = 0; i < m->n_sources; i++)
        if (m->sources[i].code == code)
            return &m->sources[i];
    return NULL;
}

int pmu_elster_model_match(const struct pmu_elster_model *m, const struct pmu_elster_ident *id)
{
    if (strcmp(m->maker, id->maker) != 0 || strcmp(m->master_unit, id->master_unit) != 0)
        return 0;
    int best = 0;
    for (size_t i = 0; i < m->n_devices; i++) {
        if (strcmp(m->devices[i], id->device) == 0)
            return 2;
        if (strcmp(m->devices[i], "*") == 0)
            best = 1;
    }
    return best;
}

enum pmu_status pmu_elster_model_select(const struct pmu_elster_model *models, size_t n,
                                        const char *ident, size_t len, size_t *index,
                                        struct pmu_error *err)
{
    struct pmu_elster_ident id;
    enum pmu_status rc = pmu_elster_ident_parse(ident, len, &id, err);
    if (rc != PMU_OK)
        return rc;
    int best = 0;
    for (size_t i = 0; i < n; i++) {
        int score = pmu_elster_model_match(&models[i], &id);
        if (score > best) {
            best = score;
            *index = i;
        }
    }
    if (best == 0)
        return pmu_error_set(err, PMU_E_UNSUPPORTED, PMU_NO_OFFSET,
                             "no model file fits maker %s, master unit %s, device %s: expected "
                             "a models/<model>.json listing them",
                             id.maker, id.master_unit, id.device);
    return PMU_OK;
}
