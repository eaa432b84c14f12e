/* libFuzzer target for scheme files and read-back items. Any input must parse or be
 * refused with a line; a scheme that parses must survive canonical emit (parses back
 * to the same fields); one that passes validation for a model must compile, and its
 * writes, read back, must decode to the same meter fields (Elster and generic). The
 * same bytes are also fed to the read-back parser and decoder of both targets. */
#include "pmu/elster.h"
#include "pmu/scheme.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* models/a1700-16tou.json with only the identities programming uses */
static const char elster_json[] =
    "{\"format\":\"openpmu-elster-model/1\",\"model\":\"A1700-16TOU\",\"family\":\"A1700\",\"confidence\":\"H\",\"identifi"
    "cation\":{\"maker\":\"GEC\",\"master_unit\":\"09\",\"devices\":[\"*\"]},\"tou_registers\":16,\"md_registers\":8,\"cdr_"
    "count\":3,\"packet_size\":64,\"password\":{\"levels\":4,\"length\":8,\"timeout_seconds\":270},\"load_profile\":{\""
    "present\":true,\"channels\":14,\"scaler\":-6,\"unit\":\"kWh\",\"confidence\":\"L\"},\"sources\":[{\"code\":0,\"name\":\""
    "none\"},{\"code\":1,\"name\":\"import active\",\"obis_c\":1,\"energy_unit\":\"kWh\",\"demand_unit\":\"kW\"},{\"code\":2"
    ",\"name\":\"export active\",\"obis_c\":2,\"energy_unit\":\"kWh\",\"demand_unit\":\"kW\"},{\"code\":3,\"name\":\"reactiv"
    "e Q1\",\"obis_c\":5,\"energy_unit\":\"kvarh\",\"demand_unit\":\"kvar\"},{\"code\":4,\"name\":\"reactive Q2\",\"obis_c\""
    ":6,\"energy_unit\":\"kvarh\",\"demand_unit\":\"kvar\"},{\"code\":5,\"name\":\"reactive Q3\",\"obis_c\":7,\"energy_uni"
    "t\":\"kvarh\",\"demand_unit\":\"kvar\"},{\"code\":6,\"name\":\"reactive Q4\",\"obis_c\":8,\"energy_unit\":\"kvarh\",\"de"
    "mand_unit\":\"kvar\"},{\"code\":7,\"name\":\"apparent\",\"obis_c\":9,\"energy_unit\":\"kVAh\",\"demand_unit\":\"kVA\"},"
    "{\"code\":8,\"name\":\"CDR1\",\"obis_c\":128},{\"code\":9,\"name\":\"CDR2\",\"obis_c\":129},{\"code\":10,\"name\":\"CDR3\""
    ",\"obis_c\":130},{\"code\":11,\"name\":\"external input 1\",\"obis_c\":131},{\"code\":12,\"name\":\"external input "
    "2\",\"obis_c\":132},{\"code\":13,\"name\":\"external input 3\",\"obis_c\":133},{\"code\":14,\"name\":\"external inpu"
    "t 4\",\"obis_c\":134}],\"identities\":[{\"id\":795,\"name\":\"scheme id\",\"length\":16,\"encoding\":\"ascii\",\"write"
    "\":true,\"obis\":\"1-0:0.0.1*255\"},{\"id\":614,\"name\":\"VT ratio\",\"length\":7,\"encoding\":\"ratio_bcd\",\"write\""
    ":true,\"obis\":\"1-1:0.4.3*255\"},{\"id\":616,\"name\":\"CT ratio\",\"length\":6,\"encoding\":\"ratio_bcd\",\"write\":"
    "true,\"obis\":\"1-1:0.4.2*255\"},{\"id\":667,\"name\":\"TOU register sources\",\"write\":true,\"length\":16,\"encod"
    "ing\":\"u8\",\"element\":1},{\"id\":668,\"name\":\"MD register sources\",\"write\":true,\"length\":8,\"encoding\":\"u8"
    "\",\"element\":1},{\"id\":777,\"name\":\"load profile channel mask\",\"length\":2,\"encoding\":\"channel_mask\",\"wr"
    "ite\":true},{\"id\":878,\"name\":\"integration period\",\"length\":3,\"encoding\":\"period\",\"write\":true},{\"id\":"
    "930,\"name\":\"TOU seasons\",\"length\":32,\"encoding\":\"u8\",\"element\":4,\"write\":true,\"openpmu_choice\":true,"
    "\"confidence\":\"L\"},{\"id\":931,\"name\":\"TOU week profiles\",\"length\":56,\"encoding\":\"u8\",\"element\":7,\"writ"
    "e\":true,\"openpmu_choice\":true,\"confidence\":\"L\"},{\"id\":932,\"name\":\"TOU day types\",\"length\":48,\"encodi"
    "ng\":\"u8\",\"sets\":16,\"element\":3,\"write\":true,\"openpmu_choice\":true,\"confidence\":\"L\"},{\"id\":933,\"name\""
    ":\"TOU special days\",\"length\":128,\"encoding\":\"u8\",\"element\":4,\"write\":true,\"openpmu_choice\":true,\"con"
    "fidence\":\"L\"},{\"id\":934,\"name\":\"TOU tables activate\",\"encoding\":\"action\",\"openpmu_choice\":true,\"conf"
    "idence\":\"L\"},{\"id\":935,\"name\":\"TOU register rates\",\"length\":16,\"encoding\":\"u8\",\"element\":1,\"write\":t"
    "rue,\"openpmu_choice\":true,\"confidence\":\"L\"},{\"id\":937,\"name\":\"display list\",\"length\":192,\"encoding\":"
    "\"u8\",\"element\":6,\"write\":true,\"openpmu_choice\":true,\"confidence\":\"L\"}]}";
static const char generic_json[] =
    "{\"format\":\"openpmu-generic-model/1\",\"model\":\"GENERIC-IEC\",\"notes\":\"A generic IEC 62056-21 meter prog"
    "rammed with W1 ADDRESS(VALUE) in programming mode, using openpmu's address set (docs/schemes.md). Th"
    "e limits are openpmu's defaults (L): change them to what your meters accept.\",\"tou_registers\":8,\"md_"
    "registers\":4,\"lp_channels\":8,\"day_types\":8,\"switch_points\":8,\"seasons\":4,\"week_profiles\":4,\"special_"
    "days\":16,\"display_items\":24,\"password_levels\":3,\"scheme_id_length\":16,\"lp_intervals\":[5,10,15,30,60]"
    ",\"md_periods\":[15,30,60],\"md_sub_intervals_max\":6}";

static struct pmu_elster_model elster;
static struct pmu_scheme_caps caps[2];
static bool loaded;

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void load(void)
{
    if (loaded)
        return;
    struct pmu_error err;
    check(pmu_elster_model_load(elster_json, strlen(elster_json), &elster, &err) == PMU_OK);
    pmu_scheme_caps_from_elster(&elster, &caps[0]);
    check(pmu_scheme_caps_load(generic_json, strlen(generic_json), &caps[1], &err) == PMU_OK);
    loaded = true;
}

static void on_diff(void *user, const char *path, const char *a, const char *b)
{
    (void)user, (void)path, (void)a, (void)b;
}

static void scheme_properties(const struct pmu_scheme *s)
{
    struct pmu_error err;
    char *text = NULL, *fa, *fb;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    check(f != NULL);
    check(pmu_scheme_emit(s, f, &err) == PMU_OK);
    fclose(f);
    struct pmu_scheme *again;
    check(pmu_scheme_parse(text, len, &again, NULL, NULL, &err) == PMU_OK);
    check(pmu_scheme_flatten(s, false, &fa, &err) == PMU_OK);
    check(pmu_scheme_flatten(again, false, &fb, &err) == PMU_OK);
    check(strcmp(fa, fb) == 0);
    free(fa), free(fb), free(text);
    pmu_scheme_free(again);
    for (int k = 0; k < 2; k++) {
        if (pmu_scheme_check(s, &caps[k], NULL, NULL) != 0)
            continue;
        struct pmu_scheme_items items;
        check(pmu_scheme_compile(s, &caps[k], &items, &err) == PMU_OK);
        struct pmu_scheme *back;
        check(pmu_scheme_decode(&items, &caps[k], s, &back, &err) == PMU_OK);
        check(pmu_scheme_diff(s, back, true, on_diff, NULL) == 0);
        pmu_scheme_free(back);
        pmu_scheme_items_free(&items);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load();
    struct pmu_scheme *s;
    struct pmu_error err;
    pmu_error_clear(&err);
    if (pmu_scheme_parse((const char *)data, size, &s, NULL, NULL, &err) == PMU_OK) {
        scheme_properties(s);
        pmu_scheme_free(s);
    } else {
        check(strncmp(err.message, "line ", 5) == 0);
    }
    for (int k = 0; k < 2; k++) {
        struct pmu_scheme_items items;
        if (pmu_scheme_items_parse((const char *)data, size, caps[k].target, &items, &err) != PMU_OK)
            continue;
        struct pmu_scheme *back;
        if (pmu_scheme_decode(&items, &caps[k], NULL, &back, &err) == PMU_OK) {
            char *flat;
            check(pmu_scheme_flatten(back, true, &flat, &err) == PMU_OK);
            free(flat);
            pmu_scheme_free(back);
        }
        pmu_scheme_items_free(&items);
    }
    return 0;
}
