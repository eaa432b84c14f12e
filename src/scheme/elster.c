/* Schemes on Elster A1700 / A1140 / A1120 meters: a checked scheme -> writes of
 * data identities, one item per set (public ones: 795, 614, 616, 667, 668, 777, 878;
 * openpmu's 930..935, 937), and the sets read back -> the scheme fields. Layouts:
 * docs/elster.md and docs/schemes.md. Sizes come from the model file, never from
 * constants here. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "pmu/obis.h"

#define UNUSED_SOURCE 0xFF /* when the model has no "none" source code */
#define BUF_MAX PMU_SCHEME_ITEM_DATA_MAX

static const char *const channel_names[] = {"import", "export", "q1",   "q2",   "q3",   "q4",   "apparent",
                                            "cdr1",   "cdr2",   "cdr3", "ext1", "ext2", "ext3", "ext4"};

int pmu_scheme_elster_channel(const char *name)
{
    for (size_t i = 0; i < sizeof channel_names / sizeof channel_names[0]; i++)
        if (strcmp(channel_names[i], name) == 0)
            return (int)i;
    return -1;
}

static int none_code(const struct pmu_elster_model *m)
{
    for (size_t i = 0; i < m->n_sources; i++)
        if (m->sources[i].obis_c == 0)
            return m->sources[i].code;
    return UNUSED_SOURCE;
}

static int source_code(const struct pmu_elster_model *m, const char *name)
{
    unsigned c = pmu_scheme_source_obis_c(name);
    for (size_t i = 0; i < m->n_sources; i++)
        if (c != 0 && m->sources[i].obis_c == c)
            return m->sources[i].code;
    return -1;
}

static void source_of_code(const struct pmu_elster_model *m, int code, char *out, size_t size)
{
    const struct pmu_elster_source *src = pmu_elster_model_source(m, code);
    const char *name = src != NULL ? pmu_scheme_source_name(src->obis_c) : NULL;
    if (name != NULL)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "source-%d", code);
}

static enum pmu_status nomem(struct pmu_error *err)
{
    return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory compiling a scheme");
}

/* Adds one write: set `set` of identity id, len bytes (the identity's length). */
static enum pmu_status put(struct pmu_scheme_items *l, const struct pmu_scheme_caps *caps, const char *what,
                           unsigned id, unsigned set, const uint8_t *data, size_t len, struct pmu_error *err)
{
    const struct pmu_elster_identity *d = pmu_elster_model_identity(caps->elster, id);
    if (d == NULL || (!d->writable && d->encoding != PMU_ELSTER_ENC_ACTION))
        return pmu_error_set(err, PMU_E_UNSUPPORTED, PMU_NO_OFFSET, "the %s has no writable identity %u (%s)",
                             caps->model, id, what);
    if (len > PMU_SCHEME_ITEM_DATA_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, PMU_NO_OFFSET, "identity %u of the %s is %zu bytes: openpmu "
                             "writes at most %d", id, caps->model, len, PMU_SCHEME_ITEM_DATA_MAX);
    struct pmu_scheme_item *it = pmu_scheme_items_add(l, what);
    if (it == NULL)
        return nomem(err);
    it->id = id;
    it->set = set;
    it->action = d->encoding == PMU_ELSTER_ENC_ACTION;
    it->len = it->action ? 0 : len;
    if (it->len > 0)
        memcpy(it->data, data, len);
    return PMU_OK;
}

static size_t id_length(const struct pmu_scheme_caps *caps, unsigned id)
{
    const struct pmu_elster_identity *d = pmu_elster_model_identity(caps->elster, id);
    return d != NULL && d->length <= PMU_SCHEME_ITEM_DATA_MAX ? d->length : 0;
}

static enum pmu_status compile_ratio(const struct pmu_scheme_caps *caps, const char *ratio, unsigned id, unsigned line,
                                     struct pmu_scheme_items *l, struct pmu_error *err)
{
    struct pmu_elster_ratio r;
    uint8_t b[8];
    struct pmu_error e2;
    pmu_scheme_ratio_split(ratio, r.primary, r.secondary, sizeof r.primary);
    size_t len = id == 614 ? 7 : 6;
    if (pmu_elster_ratio_encode(&r, b, len, &e2) != PMU_OK)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: %s ratio %s: %s", line,
                             id == 614 ? "VT" : "CT", ratio, e2.message);
    return put(l, caps, id == 614 ? "VT ratio" : "CT ratio", id, 0, b, len, err);
}

static enum pmu_status compile_registers(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                         struct pmu_scheme_items *l, struct pmu_error *err)
{
    uint8_t sources[BUF_MAX], rates[BUF_MAX];
    size_t n_src = id_length(caps, 667), n_rate = id_length(caps, PMU_SCHEME_ID_REGISTER_RATES);
    memset(sources, none_code(caps->elster), sizeof sources);
    memset(rates, 0, sizeof rates);
    for (size_t i = 0; i < s->n_registers; i++) {
        const struct pmu_scheme_register *g = &s->registers[i];
        const struct pmu_scheme_rate *r = pmu_scheme_rate_by_name(s, g->rate);
        int code = source_code(caps->elster, g->source);
        if (g->number == 0 || g->number > n_src || g->number > n_rate || r == NULL || code < 0)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: register %u does not fit the %s (run "
                                 "pmu scheme validate)", g->line, g->number, caps->model);
        sources[g->number - 1] = (uint8_t)code;
        rates[g->number - 1] = (uint8_t)r->number;
    }
    enum pmu_status st = put(l, caps, "TOU register sources", 667, 0, sources, n_src, err);
    return st == PMU_OK ? put(l, caps, "TOU register rates", PMU_SCHEME_ID_REGISTER_RATES, 0, rates, n_rate, err) : st;
}

static enum pmu_status compile_md_sources(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                          struct pmu_scheme_items *l, struct pmu_error *err)
{
    uint8_t sources[BUF_MAX];
    size_t n = id_length(caps, 668);
    memset(sources, none_code(caps->elster), sizeof sources);
    if (s->n_md_registers > n)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: the %s has %zu MD registers",
                             s->lines.md_registers, caps->model, n);
    for (size_t i = 0; i < s->n_md_registers; i++) {
        int code = source_code(caps->elster, s->md_registers[i]);
        if (code < 0)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: the %s has no source '%s'",
                                 s->md_register_lines[i], caps->model, s->md_registers[i]);
        sources[i] = (uint8_t)code;
    }
    return put(l, caps, "MD register sources", 668, 0, sources, n, err);
}

/* 878: the integration period, which is also the load-profile period. A scheme with
 * a load profile and no maximum demand sets block demand at the profile's period. */
static enum pmu_status compile_period(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                      struct pmu_scheme_items *l, struct pmu_error *err)
{
    unsigned period = s->has_md ? s->md_period : s->lp_interval, count = s->has_md ? s->md_sub_intervals : 1;
    if (s->has_md && s->has_lp && s->lp_interval != s->md_period)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: the %s records the load profile at the "
                             "integration period (%u minutes)", s->lines.lp_interval, caps->model, s->md_period);
    struct pmu_elster_period p = {period, period / (count ? count : 1), count};
    uint8_t b[3];
    enum pmu_status st = pmu_elster_period_encode(&p, b, err);
    return st == PMU_OK ? put(l, caps, "integration period", 878, 0, b, 3, err) : st;
}

static enum pmu_status compile_lp(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                  struct pmu_scheme_items *l, struct pmu_error *err)
{
    uint8_t channels[PMU_SCHEME_MAX_CHANNELS];
    for (size_t i = 0; i < s->n_lp_channels; i++) {
        int ch = pmu_scheme_elster_channel(s->lp_channels[i]);
        if (ch < 0)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: the %s records no channel '%s'",
                                 s->lp_channel_lines[i], caps->model, s->lp_channels[i]);
        channels[i] = (uint8_t)ch;
    }
    uint16_t cfg;
    enum pmu_status st = pmu_elster_mask_from_channels(channels, s->n_lp_channels, &cfg, err);
    if (st != PMU_OK)
        return st;
    uint8_t mask[2] = {(uint8_t)(cfg >> 8), (uint8_t)cfg};
    return put(l, caps, "load profile channels", 777, 0, mask, 2, err);
}

static enum pmu_status compile_display(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                       struct pmu_scheme_items *l, struct pmu_error *err)
{
    uint8_t b[BUF_MAX];
    size_t len = id_length(caps, PMU_SCHEME_ID_DISPLAY);
    memset(b, 0, sizeof b);
    if (s->n_display * 6 > len)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: the %s shows %zu display items",
                             s->lines.display, caps->model, len / 6);
    for (size_t i = 0; i < s->n_display; i++) {
        struct pmu_obis o;
        if (pmu_obis_parse(s->display[i], strlen(s->display[i]), &o, err) != PMU_OK)
            return PMU_E_SYNTAX;
        uint8_t *p = b + 6 * i;
        p[0] = o.a, p[1] = o.b, p[2] = o.c, p[3] = o.d, p[4] = o.e, p[5] = o.f;
    }
    return put(l, caps, "display list", PMU_SCHEME_ID_DISPLAY, 0, b, len, err);
}

static enum pmu_status compile_tou(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                   struct pmu_scheme_items *l, struct pmu_error *err)
{
    static const char *const day_what[] = {
        "TOU day type 1",  "TOU day type 2",  "TOU day type 3",  "TOU day type 4",  "TOU day type 5",
        "TOU day type 6",  "TOU day type 7",  "TOU day type 8",  "TOU day type 9",  "TOU day type 10",
        "TOU day type 11", "TOU day type 12", "TOU day type 13", "TOU day type 14", "TOU day type 15",
        "TOU day type 16", "TOU day type"};
    uint8_t b[BUF_MAX];
    struct pmu_scheme_weeks w;
    pmu_scheme_weeks(s, &w);
    size_t n_seasons = id_length(caps, PMU_SCHEME_ID_SEASONS) / 4, n_weeks = id_length(caps, PMU_SCHEME_ID_WEEKS) / 7,
           n_special = id_length(caps, PMU_SCHEME_ID_SPECIAL_DAYS) / 4;
    if (s->n_seasons > n_seasons || w.n > n_weeks || s->n_special_days > n_special ||
        s->n_day_types > caps->day_types)
        return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: the TOU tables do not fit the %s (run pmu "
                             "scheme validate)", s->lines.seasons, caps->model);
    memset(b, 0, sizeof b);
    for (size_t i = 0; i < s->n_seasons; i++) {
        b[4 * i] = (uint8_t)s->seasons[i].month;
        b[4 * i + 1] = (uint8_t)s->seasons[i].day;
        b[4 * i + 2] = (uint8_t)w.week_of[i];
    }
    enum pmu_status st = put(l, caps, "TOU seasons", PMU_SCHEME_ID_SEASONS, 0, b, n_seasons * 4, err);
    if (st != PMU_OK)
        return st;
    memset(b, 0, sizeof b);
    for (size_t k = 0; k < w.n; k++)
        for (size_t d = 0; d < 7; d++)
            b[7 * k + d] = (uint8_t)(w.day_type[k][d] < 0 ? 0 : w.day_type[k][d]);
    if ((st = put(l, caps, "TOU week profiles", PMU_SCHEME_ID_WEEKS, 0, b, n_weeks * 7, err)) != PMU_OK)
        return st;
    size_t set_len = id_length(caps, PMU_SCHEME_ID_DAY_TYPES);
    for (size_t k = 0; k < caps->day_types; k++) {
        memset(b, 0, set_len);
        for (size_t j = 0; j < set_len / 3; j++)
            b[3 * j] = 0xFF;
        if (k < s->n_day_types) {
            const struct pmu_scheme_day_type *d = &s->day_types[k];
            if (d->n_switches > set_len / 3)
                return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: day type '%s' has more switch "
                                     "points than the %s holds", d->line, d->name, caps->model);
            for (size_t j = 0; j < d->n_switches; j++) {
                const struct pmu_scheme_rate *r = pmu_scheme_rate_by_name(s, d->switches[j].rate);
                b[3 * j] = (uint8_t)d->switches[j].hour;
                b[3 * j + 1] = (uint8_t)d->switches[j].minute;
                b[3 * j + 2] = (uint8_t)(r != NULL ? r->number : 0);
            }
        }
        const char *what = day_what[k < 16 ? k : 16];
        if ((st = put(l, caps, what, PMU_SCHEME_ID_DAY_TYPES, (unsigned)k, b, set_len, err)) != PMU_OK)
            return st;
    }
    memset(b, 0, sizeof b);
    for (size_t i = 0; i < s->n_special_days; i++) {
        const struct pmu_scheme_special_day *sd = &s->special_days[i];
        b[4 * i] = (uint8_t)sd->month;
        b[4 * i + 1] = (uint8_t)sd->day;
        b[4 * i + 2] = (uint8_t)pmu_scheme_day_type_index(s, sd->day_type);
        b[4 * i + 3] = (uint8_t)(sd->year == 0 ? 0xFF : sd->year - 2000);
    }
    if ((st = put(l, caps, "TOU special days", PMU_SCHEME_ID_SPECIAL_DAYS, 0, b, n_special * 4, err)) != PMU_OK)
        return st;
    return put(l, caps, "TOU tables activate", PMU_SCHEME_ID_ACTIVATE, 0, NULL, 0, err);
}

enum pmu_status pmu_scheme_compile_elster(const struct pmu_scheme *s, const struct pmu_scheme_caps *caps,
                                          struct pmu_scheme_items *l, struct pmu_error *err)
{
    enum pmu_status st = PMU_OK;
    if (st == PMU_OK && s->ct[0] != '\0')
        st = compile_ratio(caps, s->ct, 616, s->lines.ct, l, err);
    if (st == PMU_OK && s->vt[0] != '\0')
        st = compile_ratio(caps, s->vt, 614, s->lines.vt, l, err);
    if (st == PMU_OK && s->n_registers > 0)
        st = compile_registers(s, caps, l, err);
    if (st == PMU_OK && s->has_md)
        st = compile_md_sources(s, caps, l, err);
    if (st == PMU_OK && (s->has_md || s->has_lp))
        st = compile_period(s, caps, l, err);
    if (st == PMU_OK && s->has_lp)
        st = compile_lp(s, caps, l, err);
    if (st == PMU_OK && s->has_display)
        st = compile_display(s, caps, l, err);
    if (st == PMU_OK && (s->n_day_types > 0 || s->n_seasons > 0))
        st = compile_tou(s, caps, l, err);
    if (st == PMU_OK) {
        uint8_t id[PMU_SCHEME_ID_MAX + 32];
        size_t len = id_length(caps, 795);
        if (strlen(s->scheme_id) > len || len > sizeof id)
            return pmu_error_set(err, PMU_E_RANGE, PMU_NO_OFFSET, "line %u: scheme_id '%s' is longer than the %zu "
                                 "characters the %s holds", s->lines.scheme_id, s->scheme_id, len, caps->model);
        memset(id, ' ', len);
        memcpy(id, s->scheme_id, strlen(s->scheme_id));
        st = put(l, caps, "scheme id", 795, 0, id, len, err);
    }
    return st;
}

/* ---- read back -> scheme ----------------------------------------------------------- */

/* Set `set` of identity id as read back, when it has the model's length. */
static bool item(const struct pmu_scheme_items *rb, const struct pmu_scheme_caps *caps, unsigned id, unsigned set,
                 uint8_t *buf, size_t *len)
{
    size_t want = id_length(caps, id);
    for (size_t i = 0; i < rb->n; i++) {
        const struct pmu_scheme_item *it = &rb->items[i];
        if (it->id == id && it->set == set && !it->action) {
            if (want == 0 || it->len != want)
                return false;
            memcpy(buf, it->data, it->len);
            *len = it->len;
            return true;
        }
    }
    return false;
}

static void ratio_text(const uint8_t *b, size_t len, char *out, size_t size)
{
    struct pmu_elster_ratio r;
    char joined[2 * PMU_ELSTER_NUMBER_MAX + 2];
    if (pmu_elster_ratio_decode(b, len, &r, NULL) != PMU_OK) {
        snprintf(out, size, "(bad BCD)");
        return;
    }
    snprintf(joined, sizeof joined, "%s/%s", r.primary, r.secondary);
    if (!pmu_scheme_ratio_canon(joined, out, size))
        snprintf(out, size, "%.31s", joined);
}

static void decode_tou(const struct pmu_scheme_items *rb, const struct pmu_scheme_caps *caps,
                       const struct pmu_scheme *names, struct pmu_scheme *s, unsigned *rate_numbers, size_t *n_numbers)
{
    uint8_t seasons[BUF_MAX], weeks[BUF_MAX], special[BUF_MAX], day[BUF_MAX];
    size_t ls, lw, lsp, ld;
    if (!item(rb, caps, PMU_SCHEME_ID_SEASONS, 0, seasons, &ls) || !item(rb, caps, PMU_SCHEME_ID_WEEKS, 0, weeks, &lw))
        return;
    size_t set_len = id_length(caps, PMU_SCHEME_ID_DAY_TYPES);
    for (size_t k = 0; k < caps->day_types && s->n_day_types < PMU_SCHEME_MAX_DAY_TYPES; k++) {
        if (!item(rb, caps, PMU_SCHEME_ID_DAY_TYPES, (unsigned)k, day, &ld) || day[0] == 0xFF)
            break;
        struct pmu_scheme_day_type *d = &s->day_types[s->n_day_types++];
        pmu_scheme_name_day_type(names, k, d->name, sizeof d->name);
        for (size_t j = 0; j < set_len / 3 && day[3 * j] != 0xFF && d->n_switches < PMU_SCHEME_MAX_SWITCHES; j++) {
            struct pmu_scheme_switch *sw = &d->switches[d->n_switches++];
            sw->hour = day[3 * j];
            sw->minute = day[3 * j + 1];
            pmu_scheme_name_rate(names, day[3 * j + 2], sw->rate, sizeof sw->rate);
            if (*n_numbers < 1024)
                rate_numbers[(*n_numbers)++] = day[3 * j + 2];
        }
    }
    for (size_t i = 0; i + 4 <= ls && s->n_seasons < PMU_SCHEME_MAX_SEASONS; i += 4) {
        if (seasons[i] == 0)
            continue;
        struct pmu_scheme_season *se = &s->seasons[s->n_seasons];
        se->month = seasons[i];
        se->day = seasons[i + 1];
        pmu_scheme_name_season(names, se->month, se->day, s->n_seasons, se->name, sizeof se->name);
        size_t wk = seasons[i + 2];
        for (size_t d = 0; d < 7; d++)
            pmu_scheme_name_day_type(names, 7 * wk + d < lw ? weeks[7 * wk + d] : 0xFF, se->week[d],
                                     sizeof se->week[d]);
        s->n_seasons++;
    }
    if (item(rb, caps, PMU_SCHEME_ID_SPECIAL_DAYS, 0, special, &lsp))
        for (size_t i = 0; i + 4 <= lsp && s->n_special_days < PMU_SCHEME_MAX_SPECIAL_DAYS; i += 4) {
            if (special[i] == 0)
                continue;
            struct pmu_scheme_special_day *sd = &s->special_days[s->n_special_days++];
            sd->month = special[i];
            sd->day = special[i + 1];
            pmu_scheme_name_day_type(names, special[i + 2], sd->day_type, sizeof sd->day_type);
            sd->year = special[i + 3] == 0xFF ? 0 : 2000u + special[i + 3];
        }
}

enum pmu_status pmu_scheme_decode_elster(const struct pmu_scheme_items *rb, const struct pmu_scheme_caps *caps,
                                         const struct pmu_scheme *names, struct pmu_scheme *s, struct pmu_error *err)
{
    (void)err;
    uint8_t b[BUF_MAX], b2[BUF_MAX];
    size_t len, len2;
    unsigned rate_numbers[1024];
    size_t n_numbers = 0;
    int none = none_code(caps->elster);
    if (item(rb, caps, 795, 0, b, &len)) {
        while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == 0))
            len--;
        for (size_t i = 0; i < len && i + 1 < sizeof s->scheme_id; i++)
            s->scheme_id[i] = b[i] >= 0x20 && b[i] < 0x7F ? (char)b[i] : '?';
    }
    if (item(rb, caps, 616, 0, b, &len))
        ratio_text(b, len, s->ct, sizeof s->ct);
    if (item(rb, caps, 614, 0, b, &len))
        ratio_text(b, len, s->vt, sizeof s->vt);
    if (item(rb, caps, 667, 0, b, &len) && item(rb, caps, PMU_SCHEME_ID_REGISTER_RATES, 0, b2, &len2))
        for (size_t i = 0; i < len && i < len2 && s->n_registers < PMU_SCHEME_MAX_REGISTERS; i++) {
            if (b[i] == none && b2[i] == 0)
                continue;
            struct pmu_scheme_register *g = &s->registers[s->n_registers++];
            g->number = (unsigned)i + 1;
            pmu_scheme_name_rate(names, b2[i], g->rate, sizeof g->rate);
            source_of_code(caps->elster, b[i], g->source, sizeof g->source);
            rate_numbers[n_numbers++] = b2[i];
        }
    /* 878 serves maximum demand and the load profile; which of them the scheme has
     * comes from `names` (without it: maximum demand) and 777 */
    uint8_t period[BUF_MAX];
    size_t period_len;
    bool has_period = item(rb, caps, 878, 0, period, &period_len);
    if (has_period && (names == NULL || names->has_md)) {
        s->has_md = true;
        s->md_period = period[0];
        s->md_sub_intervals = period[2];
        if (item(rb, caps, 668, 0, b, &len)) {
            while (len > 0 && b[len - 1] == none)
                len--;
            for (size_t i = 0; i < len && s->n_md_registers < PMU_SCHEME_MAX_MD; i++)
                source_of_code(caps->elster, b[i], s->md_registers[s->n_md_registers++], PMU_SCHEME_TEXT_MAX);
        }
    }
    if (item(rb, caps, 777, 0, b, &len)) {
        uint8_t ch[PMU_ELSTER_MAX_CHANNELS];
        size_t n = pmu_elster_mask_channels(pmu_elster_u16_be(b), ch);
        s->has_lp = true;
        s->lp_interval = has_period ? period[0] : 0;
        for (size_t i = 0; i < n && ch[i] < sizeof channel_names / sizeof channel_names[0]; i++)
            snprintf(s->lp_channels[s->n_lp_channels++], PMU_SCHEME_TEXT_MAX, "%s", channel_names[ch[i]]);
    }
    if (item(rb, caps, PMU_SCHEME_ID_DISPLAY, 0, b, &len)) {
        s->has_display = true;
        for (size_t i = 0; i + 6 <= len && s->n_display < PMU_SCHEME_MAX_DISPLAY; i += 6) {
            static const uint8_t zero[6];
            if (memcmp(b + i, zero, 6) == 0)
                continue;
            struct pmu_obis o = {b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], 0x3F, 0, '*'};
            pmu_obis_format_full(&o, s->display[s->n_display++], PMU_SCHEME_TEXT_MAX);
        }
    }
    decode_tou(rb, caps, names, s, rate_numbers, &n_numbers);
    pmu_scheme_rates_from_numbers(s, names, rate_numbers, n_numbers);
    return PMU_OK;
}
