/* Every capture in tests/data/captures (copies of ../shared/captures) decodes, and its
 * values are the ones the meter sent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/decode.h"

static struct pmu_capture cap;
static struct pmu_decoded dec;

static enum pmu_status decode(const char *name, enum pmu_checksum ck, bool accept_bad)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PMU_CAPTURES_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(pmu_capture_decode(buf, len, PMU_CAPTURE_AUTO, &cap, NULL), PMU_OK);
    struct pmu_decode_options opt = {.checksum = ck, .accept_bad_bcc = accept_bad};
    return pmu_decode_capture(&cap, &opt, &dec);
}

static int teardown(void **state)
{
    (void)state;
    pmu_decoded_free(&dec);
    pmu_capture_free(&cap);
    return 0;
}

static const struct pmu_record *record(const char *address, size_t nth)
{
    for (size_t i = 0; i < dec.readout.n_records; i++)
        if (strcmp(dec.readout.records[i].address, address) == 0 && nth-- == 0)
            return &dec.readout.records[i];
    fail_msg("no record %s", address);
    return NULL;
}

static void check(const char *address, size_t nth, size_t i, const char *value, const char *unit)
{
    const struct pmu_record *r = record(address, nth);
    assert_true(i < r->n_values);
    assert_string_equal(r->values[i].text, value);
    if (unit == NULL)
        assert_null(r->values[i].unit);
    else
        assert_string_equal(r->values[i].unit, unit);
}

static void check_row(const struct pmu_profile *p, size_t row, const char *time, const char *v0,
                      const char *v5)
{
    char t[32];
    assert_true(row < p->n_rows);
    pmu_timestamp_format(&p->rows[row].time, t, sizeof t);
    assert_string_equal(t, time);
    assert_int_equal(p->rows[row].n_values, 6);
    assert_string_equal(p->rows[row].values[0].text, v0);
    assert_string_equal(p->rows[row].values[5].text, v5);
}

static void test_ace3000_noise(void **state)
{
    (void)state;
    /* Noise, sign-on echo, ident, a readout whose published BCC is wrong. */
    assert_int_equal(decode("ace3000_noise_readout.bin", PMU_CHECKSUM_XOR, false), PMU_E_BCC);
    assert_int_equal(cap.format, PMU_CAPTURE_RAW);
    assert_int_equal(dec.n_frames, 5);
    assert_int_equal(dec.frames[0].frame.kind, PMU_IEC_NOISE);
    assert_int_equal(dec.frames[0].frame.raw_len, 5);
    assert_int_equal(dec.frames[1].frame.kind, PMU_IEC_SIGNON);
    assert_int_equal(dec.frames[3].frame.kind, PMU_IEC_DATA);
    assert_int_equal(dec.frames[3].frame.bcc, PMU_BCC_BAD);
    assert_int_equal(dec.frames[3].frame.bcc_received, 0x46);
    assert_int_equal(dec.frames[3].frame.bcc_computed, 0x4D);
    assert_true(dec.frames[3].frame.readout);
    assert_int_equal(dec.bad_bcc, 1);
    assert_int_equal(dec.readout.n_records, 0); /* a bad frame's data is not accepted */
    assert_non_null(dec.ident);
    assert_string_equal(dec.ident->manufacturer, "ACE");
    assert_int_equal(dec.ident->baud_char, '0');
    assert_string_equal(dec.ident->enhanced, "3");
    assert_string_equal(dec.ident->id, "k260V01.19");
    teardown(NULL);

    /* --no-bcc: the values come out, and the garbage after 1.8.0 is reported. */
    assert_int_equal(decode("ace3000_noise_readout.bin", PMU_CHECKSUM_XOR, true), PMU_E_SYNTAX);
    assert_int_equal(dec.readout.n_records, 4);
    check("F.F", 0, 0, "00", NULL);
    check("C.1", 0, 0, "1126120053322353", NULL);
    check("C.5.0", 0, 0, "00", NULL);
    check("1.8.0", 0, 0, "013925.5", "");
    assert_int_equal(dec.readout.n_errors, 1);
    assert_int_equal(dec.readout.errors[0].offset, 90);
    assert_true(dec.readout.ended);
}

static void test_zmd120ap(void **state)
{
    (void)state;
    assert_int_equal(decode("zmd120ap_readout.txt", PMU_CHECKSUM_XOR, false), PMU_OK);
    assert_int_equal(cap.format, PMU_CAPTURE_RAW);
    assert_string_equal(dec.ident->manufacturer, "LGZ");
    assert_int_equal(dec.ident->baud, 9600);
    assert_string_equal(dec.ident->id, "2ZMD120APt.G03");
    assert_int_equal(dec.readout.n_records, 8);
    check("F.F", 0, 0, "00000000", NULL);
    check("0.0.0", 0, 0, " 20000", NULL);
    check("1.8.1", 0, 0, "001846.0", "kWh");
    check("1.8.2", 0, 0, "000000.0", "kWh");
    check("2.8.1", 0, 0, "004329.6", "kWh");
    check("2.8.2", 0, 0, "000000.0", "kWh");
    check("1.8.0", 0, 0, "001846.0", "kWh");
    check("2.8.0", 0, 0, "004329.6", "kWh");
    assert_true(dec.readout.ended);
}

static void test_kamstrup_push(void **state)
{
    (void)state;
    assert_int_equal(decode("kamstrup162_push.txt", PMU_CHECKSUM_XOR, false), PMU_OK);
    assert_string_equal(dec.ident->manufacturer, "KMP");
    assert_string_equal(dec.ident->id, " KA6U001660297912");
    assert_int_equal(dec.readout.n_records, 16);
    check("0-0:96.1.1", 0, 0, "204B413655303031363630323937393132", NULL);
    check("1-0:1.8.1", 0, 0, "00068.000", "kWh");
    check("1-0:2.8.2", 0, 0, "00028.000", "kWh");
    check("1-0:2.7.0", 0, 0, "0000.12", "kW");
    check("0-0:17.0.0", 0, 0, "999", "A");
    check("0-0:96.13.1", 0, 0, "", NULL);
    /* the profile entry continued on the next line */
    const struct pmu_record *r = record("0-1:24.3.0", 0);
    assert_int_equal(r->n_values, 7);
    check("0-1:24.3.0", 0, 0, "121106150000", NULL);
    check("0-1:24.3.0", 0, 4, "0-1:24.2.1", NULL);
    check("0-1:24.3.0", 0, 5, "m3", NULL);
    check("0-1:24.3.0", 0, 6, "00054.386", NULL);
    check("0-1:24.4.0", 0, 0, "1", NULL);
    assert_true(dec.readout.ended);
    assert_true(dec.frames[1].frame.readout);
}

static void test_emh_profile(void **state)
{
    (void)state;
    assert_int_equal(decode("emh_p01_profile.txt", PMU_CHECKSUM_XOR, false), PMU_OK);
    assert_null(dec.ident);
    assert_int_equal(dec.readout.n_profiles, 1);
    const struct pmu_profile *p = &dec.readout.profiles[0];
    char t[32];
    pmu_timestamp_format(&p->start, t, sizeof t);
    assert_string_equal(t, "2022-08-23T16:15:00");
    assert_int_equal(p->start.season, 1);
    assert_int_equal(p->status, 0);
    assert_int_equal(p->interval_min, 15);
    assert_int_equal(p->n_channels, 6);
    static const char *ids[] = {"1.5", "2.5", "5.5", "6.5", "7.5", "8.5"};
    static const char *units[] = {"kW", "kW", "kvar", "kvar", "kvar", "kvar"};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(p->channels[i].id, ids[i]);
        assert_string_equal(p->channels[i].unit, units[i]);
    }
    assert_int_equal(p->n_rows, 2);
    check_row(p, 0, "2022-08-23T16:15:00", "0.18374", "0.02431");
    check_row(p, 1, "2022-08-23T16:30:00", "0.16832", "0.02686");
    assert_string_equal(p->rows[0].values[3].text, "0.00006");
}

static void test_metcom_profile(void **state)
{
    (void)state;
    assert_int_equal(decode("metcom_p01_profile.txt", PMU_CHECKSUM_XOR, false), PMU_OK);
    assert_int_equal(dec.readout.n_profiles, 1);
    const struct pmu_profile *p = &dec.readout.profiles[0];
    char t[32];
    pmu_timestamp_format(&p->start, t, sizeof t);
    assert_string_equal(t, "2022-08-23T15:00:00");
    assert_int_equal(p->status, 0x08);
    assert_int_equal(p->interval_min, 15);
    assert_int_equal(p->n_channels, 6);
    assert_string_equal(p->channels[0].id, "1-0:1.5.0");
    assert_string_equal(p->channels[5].id, "1-0:8.5.0");
    assert_string_equal(p->channels[5].unit, "kvar");
    assert_int_equal(p->n_rows, 4);
    check_row(p, 0, "2022-08-23T15:00:00", "0.00000", "0.00000");
    check_row(p, 1, "2022-08-23T15:15:00", "0.00028", "0.00000");
    check_row(p, 3, "2022-08-23T15:45:00", "0.00006", "0.00000");
    assert_string_equal(p->rows[3].values[3].text, "0.09270");
    assert_string_equal(p->rows[1].values[1].text, "0.06188");
}

static void test_ce301_sum7(void **state)
{
    (void)state;
    assert_int_equal(decode("ce301_programming_session.txt", PMU_CHECKSUM_SUM7, false), PMU_OK);
    assert_int_equal(cap.format, PMU_CAPTURE_TRANSCRIPT);
    assert_int_equal(dec.n_frames, 30);
    size_t ok = 0;
    for (size_t i = 0; i < dec.n_frames; i++)
        ok += dec.frames[i].frame.bcc == PMU_BCC_OK;
    assert_int_equal(ok, 26);
    assert_int_equal(dec.frames[1].dir, PMU_DIR_FROM_METER);
    assert_int_equal(dec.frames[2].frame.kind, PMU_IEC_OPTION);
    assert_int_equal(dec.frames[2].dir, PMU_DIR_TO_METER);
    assert_string_equal(dec.frames[4].frame.cmd, "P1");
    assert_true(dec.frames[4].secret);
    assert_string_equal(dec.ident->manufacturer, "EKT");
    assert_string_equal(dec.ident->id, "CE301v12");
    assert_int_equal(dec.readout.n_records, 43);
    check("HELLO", 0, 0, "2,CE301,12,00123456,dummy", NULL);
    check("ET0PE", 0, 0, "16907.9477764", NULL);
    check("ET0PE", 3, 0, "1775.2903887", NULL);
    check("ENMPE", 1, 0, "11295.733509", NULL);
    check("VOLTA", 2, 0, "234.796", NULL);
    check("CURRE", 1, 0, "2.8716", NULL);
    check("FREQU", 0, 0, "49.96", NULL);
    teardown(NULL);
    /* with the standard XOR every framed message fails, and nothing is accepted */
    assert_int_equal(decode("ce301_programming_session.txt", PMU_CHECKSUM_XOR, false), PMU_E_BCC);
    assert_int_equal(dec.bad_bcc, 26);
    assert_int_equal(dec.readout.n_records, 0);
}

static void test_framing_vectors(void **state)
{
    (void)state;
    assert_int_equal(decode("framing_vectors.txt", PMU_CHECKSUM_XOR, false), PMU_E_BCC);
    assert_int_equal(cap.format, PMU_CAPTURE_TRANSCRIPT);
    assert_int_equal(dec.bad_bcc, 1);
    size_t bad = 0, good = 0;
    for (size_t i = 0; i < dec.n_frames; i++) {
        const struct pmu_iec_frame *f = &dec.frames[i].frame;
        if (f->bcc == PMU_BCC_BAD) {
            bad++;
            assert_int_equal(f->bcc_received, 0x11);
            assert_int_equal(f->bcc_computed, 0x12);
        }
        good += f->bcc == PMU_BCC_OK;
    }
    assert_int_equal(bad, 1);
    assert_int_equal(good, 6);
    check("3:171.0", 0, 0, "0", NULL);
    check("3:14", 0, 0, "314", "kWh");
    check("4:15", 1, 0, "415", "kWh");
    assert_string_equal(dec.ident->manufacturer, "Els");
    assert_int_equal(dec.ident->mode, PMU_IEC_MODE_E);
    assert_string_equal(dec.ident->id, "EK280");
    bool signon = false;
    for (size_t i = 0; i < dec.n_frames; i++) {
        const struct pmu_iec_frame *f = &dec.frames[i].frame;
        if (f->kind == PMU_IEC_SIGNON) {
            assert_int_equal(f->data_len, 8);
            assert_memory_equal(f->data, "45678903", 8);
            signon = true;
        }
    }
    assert_true(signon);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_ace3000_noise, teardown),
        cmocka_unit_test_teardown(test_zmd120ap, teardown),
        cmocka_unit_test_teardown(test_kamstrup_push, teardown),
        cmocka_unit_test_teardown(test_emh_profile, teardown),
        cmocka_unit_test_teardown(test_metcom_profile, teardown),
        cmocka_unit_test_teardown(test_ce301_sum7, teardown),
        cmocka_unit_test_teardown(test_framing_vectors, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
