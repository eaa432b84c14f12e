/* Unit tests for the Elster register-protocol codec (pmu/elster.h). The fixed vectors
 * come from PROTOCOL.md section 3 or are built by hand from its layouts; every encoder
 * is checked against the same fixed bytes as its decoder, not only by round trips, so
 * a misunderstanding shared by both directions cannot cancel out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster.h"
#include "pmu/iec62056.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1
#define C(lit) (lit), sizeof(lit) - 1

static void bytes_equal(const uint8_t *got, long n, const uint8_t *want, size_t want_len)
{
    if (n < 0)
        fail_msg("builder failed with %ld", n);
    assert_int_equal((size_t)n, want_len);
    assert_memory_equal(got, want, want_len);
}

/* ---- Passwords and frames ------------------------------------------------------------ */

static const uint8_t SEED[8] = {0xFD, 0x2B, 0xA0, 0xE2, 0x97, 0x31, 0xD2, 0x30};
static const uint8_t RESPONSE[8] = {0xBE, 0x2C, 0x10, 0xB1, 0x58, 0x59, 0x3B, 0x3E};

static void test_password_vector(void **state)
{
    (void)state;
    uint8_t out[8];
    assert_int_equal(pmu_elster_password_transform("FEDC0003", SEED, out, NULL), PMU_OK);
    assert_memory_equal(out, RESPONSE, 8);

    uint8_t back[8];
    pmu_elster_password_untransform(RESPONSE, SEED, back);
    assert_memory_equal(back, "FEDC0003", 8);

    struct pmu_error err;
    assert_int_equal(pmu_elster_password_transform("SHORT", SEED, out, &err), PMU_E_INVALID);
    assert_non_null(strstr(err.message, "exactly 8 characters"));
}

static void test_seed_parse(void **state)
{
    (void)state;
    uint8_t seed[8];
    struct pmu_error err;
    assert_int_equal(pmu_elster_seed_parse(S("(FD2BA0E29731D230)"), seed, &err), PMU_OK);
    assert_memory_equal(seed, SEED, 8);
    assert_int_equal(pmu_elster_seed_parse(S("(fd2ba0e29731d230)"), seed, &err), PMU_OK);
    assert_memory_equal(seed, SEED, 8);
    assert_int_equal(pmu_elster_seed_parse(S("(FD2BA0E29731D23)"), seed, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_elster_seed_parse(S("(FD2BA0E29731DX30)"), seed, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 14);
}

static void test_password_frames(void **state)
{
    (void)state;
    uint8_t buf[64];
    bytes_equal(buf, pmu_elster_build_p0(SEED, buf, sizeof buf),
                S("\x01P0\x02(FD2BA0E29731D230)\x03m"));
    bytes_equal(buf, pmu_elster_build_p2(RESPONSE, buf, sizeof buf),
                S("\x01P2\x02(BE2C10B158593B3E)\x03`"));
    long n = pmu_elster_build_p1("FEDC0003", buf, sizeof buf);
    assert_true(n > 0);
    assert_memory_equal(buf, "\x01P1\x02(FEDC0003)\x03", 15);
    assert_int_equal(buf[15], pmu_iec_bcc(PMU_CHECKSUM_XOR, buf + 1, 14));
    assert_int_equal(pmu_elster_build_p1("1234567", buf, sizeof buf), PMU_E_INVALID);
    assert_int_equal(pmu_elster_build_p0(SEED, buf, 10), PMU_E_TOO_LONG);
}

static void test_packets(void **state)
{
    (void)state;
    assert_int_equal(pmu_elster_packets(16), 1);
    assert_int_equal(pmu_elster_packets(64), 1);
    assert_int_equal(pmu_elster_packets(65), 2);
    assert_int_equal(pmu_elster_packets(615), 10);
    assert_int_equal(pmu_elster_first_packet(615, 0), 1);
    assert_int_equal(pmu_elster_first_packet(615, 3), 31);
    assert_int_equal(pmu_elster_first_packet(66, 2), 5);
    assert_int_equal(pmu_elster_packet_length(615, 0), 64);
    assert_int_equal(pmu_elster_packet_length(615, 9), 39);
    assert_int_equal(pmu_elster_packet_length(615, 10), 0);
}

static void test_read_write_frames(void **state)
{
    (void)state;
    uint8_t buf[200];
    bytes_equal(buf, pmu_elster_build_read(798, 1, 16, buf, sizeof buf),
                S("\x01R1\x02" "798001(10)\x03" "e"));
    /* Historical billing set 3 of a 16-TOU A1700: packet 31 = 0x01F, 64 bytes. */
    long n = pmu_elster_build_read(543, 31, 64, buf, sizeof buf);
    assert_true(n > 0);
    assert_memory_equal(buf + 4, "54301F(40)", 10);
    const uint8_t when[7] = {0x30, 0x15, 0x14, 0x23, 0x08, 0x00, 0x22};
    bytes_equal(buf, pmu_elster_build_write(861, 1, when, 7, buf, sizeof buf),
                S("\x01W1\x02" "861001(30151423080022)\x03" "c"));
    bytes_equal(buf, pmu_elster_build_write(655, 1, NULL, 0, buf, sizeof buf),
                S("\x01W1\x02" "655001()\x03" "a"));
    assert_int_equal(pmu_elster_build_read(1000, 1, 1, buf, sizeof buf), PMU_E_INVALID);
    assert_int_equal(pmu_elster_build_read(798, 0, 1, buf, sizeof buf), PMU_E_INVALID);
    assert_int_equal(pmu_elster_build_read(798, 1, 65, buf, sizeof buf), PMU_E_INVALID);
}

static void test_request_parse(void **state)
{
    (void)state;
    struct pmu_elster_request rq;
    struct pmu_error err;
    assert_int_equal(pmu_elster_request_parse("R1", S("79801F(10)"), &rq, &err), PMU_OK);
    assert_false(rq.write);
    assert_int_equal(rq.id, 798);
    assert_int_equal(rq.packet, 31);
    assert_int_equal(rq.count, 16);
    assert_int_equal(pmu_elster_request_parse("W1", S("861001(30151423080022)"), &rq, &err),
                     PMU_OK);
    assert_true(rq.write);
    assert_int_equal(rq.data_len, 7);
    assert_int_equal(rq.data[6], 0x22);
    assert_int_equal(pmu_elster_request_parse("W1", S("655001()"), &rq, &err), PMU_OK);
    assert_int_equal(rq.data_len, 0);
    assert_int_equal(pmu_elster_request_parse("R1", S("798001(41)"), &rq, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_elster_request_parse("R1", S("79X001(10)"), &rq, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_elster_request_parse("W1", S("861001(3G)"), &rq, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 8);
    assert_int_equal(pmu_elster_request_parse("R5", S("798001(10)"), &rq, &err),
                     PMU_E_UNSUPPORTED);
}

static void test_replies(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t n;
    int code;
    struct pmu_error err;
    assert_int_equal(pmu_elster_reply_parse(S("(41313730300A)"), out, sizeof out, &n, &code, &err),
                     PMU_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "A1700\n", 6);
    assert_int_equal(code, 0);

    static const char *const words[] = {NULL, "invalid command", "does not exist",
                                        "invalid packet", "not described", "password timed out",
                                        "communications"};
    for (int i = 1; i <= 6; i++) {
        char text[8];
        snprintf(text, sizeof text, "(ERR%d)", i);
        assert_int_equal(pmu_elster_reply_parse((const uint8_t *)text, 6, out, sizeof out, &n,
                                                &code, &err),
                         PMU_E_REFUSED);
        assert_int_equal(code, i);
        assert_non_null(strstr(err.message, words[i]));
        char name[8];
        snprintf(name, sizeof name, "ERR%d", i);
        assert_non_null(strstr(err.message, name));
    }
    assert_int_equal(pmu_elster_reply_parse(S("(ERR0)"), out, sizeof out, &n, &code, &err),
                     PMU_E_SYNTAX);
    assert_int_equal(code, 0);
    assert_int_equal(pmu_elster_reply_parse(S("(ABC)"), out, sizeof out, &n, &code, &err),
                     PMU_E_SYNTAX);
    assert_int_equal(pmu_elster_reply_parse(S("ABCD"), out, sizeof out, &n, &code, &err),
                     PMU_E_SYNTAX);
    assert_int_equal(pmu_elster_reply_parse(S("(ABCD)"), out, 1, &n, &code, &err), PMU_E_TOO_LONG);

    uint8_t buf[160];
    bytes_equal(buf, pmu_elster_build_meter_error(5, buf, sizeof buf), S("\x02(ERR5)\x03r"));
    const uint8_t data[2] = {0x12, 0xAB};
    long len = pmu_elster_build_reply(data, 2, buf, sizeof buf);
    assert_int_equal(len, 9);
    assert_memory_equal(buf, "\x02(12AB)\x03", 8);
    assert_int_equal(buf[8], pmu_iec_bcc(PMU_CHECKSUM_XOR, buf + 1, 7));
}

static void test_ident(void **state)
{
    (void)state;
    struct pmu_elster_ident id;
    struct pmu_error err;
    assert_int_equal(pmu_elster_ident_parse(C("/GEC5090100100400@000\r\n"), &id, &err), PMU_OK);
    assert_string_equal(id.maker, "GEC");
    assert_int_equal(id.baud_char, '5');
    assert_int_equal(id.baud, 9600);
    assert_string_equal(id.master_unit, "09");
    assert_string_equal(id.product_range, "010");
    assert_string_equal(id.device, "010");
    assert_string_equal(id.issue, "04");
    assert_string_equal(id.rest, "00@000");
    char text[40];
    assert_int_equal(pmu_elster_ident_format(&id, text, sizeof text), 21);
    assert_string_equal(text, "/GEC5090100100400@000");
    assert_int_equal(pmu_elster_ident_parse(C("/GEC509010"), &id, &err), PMU_E_TRUNCATED);
    assert_int_equal(pmu_elster_ident_parse(C("GEC5090100100400"), &id, &err), PMU_E_SYNTAX);
}

/* ---- Numbers and registers -------------------------------------------------------------- */

static void test_energy(void **state)
{
    (void)state;
    char text[PMU_ELSTER_NUMBER_MAX];
    struct pmu_error err;
    const uint8_t reg[8] = {0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00};
    assert_int_equal(pmu_elster_energy_decode(reg, text, &err), PMU_OK);
    assert_string_equal(text, "123.456789");
    const uint8_t zero[8] = {0};
    pmu_elster_energy_decode(zero, text, &err);
    assert_string_equal(text, "0.000000");
    const uint8_t small[8] = {0x05, 0x00, 0, 0, 0, 0, 0, 0};
    pmu_elster_energy_decode(small, text, &err);
    assert_string_equal(text, "0.000005");
    const uint8_t max[8] = {0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99};
    pmu_elster_energy_decode(max, text, &err);
    assert_string_equal(text, "9999999999.999999");
    const uint8_t bad[8] = {0x89, 0x67, 0x4A, 0x23, 0x01, 0, 0, 0};
    assert_int_equal(pmu_elster_energy_decode(bad, text, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 2);

    uint8_t back[8];
    assert_int_equal(pmu_elster_energy_encode("123.456789", back, &err), PMU_OK);
    assert_memory_equal(back, reg, 8);
    assert_int_equal(pmu_elster_energy_encode("123.4567890", back, &err), PMU_E_RANGE);
    assert_int_equal(pmu_elster_energy_encode("12x", back, &err), PMU_E_SYNTAX);
    assert_int_equal(pmu_elster_energy_encode("10000000000", back, &err), PMU_E_RANGE);
    assert_int_equal(pmu_elster_energy_encode("5", back, &err), PMU_OK);
    const uint8_t five[8] = {0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0};
    assert_memory_equal(back, five, 8);

    assert_int_equal(pmu_elster_format_scaled(1234, 2, text, sizeof text), 6);
    assert_string_equal(text, "123400");
    assert_int_equal(pmu_elster_format_scaled(1234, 0, text, sizeof text), 4);
    assert_string_equal(text, "1234");
    pmu_elster_format_scaled(0, 3, text, sizeof text);
    assert_string_equal(text, "0");
}

static void test_md_cmd(void **state)
{
    (void)state;
    struct pmu_error err;
    /* 2065-01-24T05:20:00 = 3000000000 = 0xB2D05E00, source 1 (import), 12.345 kW. */
    const uint8_t md[12] = {0x00, 0x5E, 0xD0, 0xB2, 0x01, 0x00, 0x50, 0x34, 0x12, 0, 0, 0};
    struct pmu_elster_md m;
    assert_int_equal(pmu_elster_md_decode(md, &m, &err), PMU_OK);
    assert_true(m.has_time);
    assert_int_equal(m.time, 3000000000LL);
    struct pmu_timestamp t;
    pmu_timestamp_from_seconds(m.time, &t);
    assert_int_equal(t.year, 2065);
    assert_int_equal(t.hour, 5);
    assert_int_equal(m.source, 1);
    assert_string_equal(m.value, "12.345000");
    uint8_t back[12];
    assert_int_equal(pmu_elster_md_encode(&m, back, &err), PMU_OK);
    assert_memory_equal(back, md, 12);
    const uint8_t bad[12] = {0, 0, 0, 0, 1, 0x00, 0x50, 0x3F, 0, 0, 0, 0};
    assert_int_equal(pmu_elster_md_decode(bad, &m, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 7);

    const uint8_t cmd[9] = {0x00, 0x00, 0x00, 0x50, 0x02, 0x00, 0x00, 0x00, 0x07};
    struct pmu_elster_cmd c;
    assert_int_equal(pmu_elster_cmd_decode(cmd, &c, &err), PMU_OK);
    assert_int_equal(c.source, 7);
    assert_string_equal(c.value, "250.000000");
    uint8_t cback[9];
    assert_int_equal(pmu_elster_cmd_encode(&c, cback, &err), PMU_OK);
    assert_memory_equal(cback, cmd, 9);
}

static void test_datetime(void **state)
{
    (void)state;
    struct pmu_error err;
    const uint8_t p[7] = {0x30, 0x15, 0x14, 0x23, 0x08, 0x00, 0x22};
    struct pmu_timestamp t;
    assert_int_equal(pmu_elster_datetime_decode(p, &t, &err), PMU_OK);
    char text[24];
    pmu_timestamp_format(&t, text, sizeof text);
    assert_string_equal(text, "2022-08-23T14:15:30");
    uint8_t back[7];
    assert_int_equal(pmu_elster_datetime_encode(&t, back, &err), PMU_OK);
    assert_memory_equal(back, p, 7);
    const uint8_t bad_month[7] = {0x30, 0x15, 0x14, 0x23, 0x13, 0x00, 0x22};
    assert_int_equal(pmu_elster_datetime_decode(bad_month, &t, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 4);
    assert_non_null(strstr(err.message, "month"));
    const uint8_t feb30[7] = {0, 0, 0, 0x30, 0x02, 0x00, 0x24};
    assert_int_equal(pmu_elster_datetime_decode(feb30, &t, &err), PMU_E_RANGE);
    const uint8_t leap[7] = {0, 0, 0, 0x29, 0x02, 0x00, 0x24};
    assert_int_equal(pmu_elster_datetime_decode(leap, &t, &err), PMU_OK);
}

static void test_ratio(void **state)
{
    (void)state;
    struct pmu_error err;
    struct pmu_elster_ratio r;
    const uint8_t vt[7] = {0x00, 0x00, 0x10, 0x01, 0x00, 0x10, 0x01};
    assert_int_equal(pmu_elster_ratio_decode(vt, 7, &r, &err), PMU_OK);
    assert_string_equal(r.primary, "11000.00");
    assert_string_equal(r.secondary, "110.00");
    uint8_t back[7];
    assert_int_equal(pmu_elster_ratio_encode(&r, back, 7, &err), PMU_OK);
    assert_memory_equal(back, vt, 7);
    const uint8_t ct[6] = {0x00, 0x00, 0x02, 0x00, 0x00, 0x05};
    assert_int_equal(pmu_elster_ratio_decode(ct, 6, &r, &err), PMU_OK);
    assert_string_equal(r.primary, "200.00");
    assert_string_equal(r.secondary, "5.00");
    assert_int_equal(pmu_elster_ratio_encode(&r, back, 6, &err), PMU_OK);
    assert_memory_equal(back, ct, 6);
    const uint8_t bad[6] = {0x00, 0x00, 0x02, 0x00, 0x0A, 0x05};
    assert_int_equal(pmu_elster_ratio_decode(bad, 6, &r, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 4);
    assert_int_equal(pmu_elster_ratio_decode(vt, 5, &r, &err), PMU_E_INVALID);
}

static void test_instant(void **state)
{
    (void)state;
    struct pmu_error err;
    struct pmu_elster_instant v;
    const uint8_t p[7] = {0x00, 0x00, 0x00, 0x02, 0x13, 0x23, 0x63};
    assert_int_equal(pmu_elster_instant_decode(p, &v, &err), PMU_OK);
    assert_true(v.available);
    assert_string_equal(v.value, "213.2363");
    uint8_t back[7];
    assert_int_equal(pmu_elster_instant_encode(&v, back, &err), PMU_OK);
    assert_memory_equal(back, p, 7);
    const uint8_t neg[7] = {0x82, 0x00, 0x00, 0x00, 0x00, 0x49, 0x98};
    assert_int_equal(pmu_elster_instant_decode(neg, &v, &err), PMU_OK);
    assert_string_equal(v.value, "-49.98");
    assert_int_equal(pmu_elster_instant_encode(&v, back, &err), PMU_OK);
    assert_memory_equal(back, neg, 7);
    const uint8_t na[7] = {0xFF, 0, 0, 0, 0, 0, 0};
    pmu_elster_instant_decode(na, &v, &err);
    assert_false(v.available);
    const uint8_t over[7] = {0x07, 0, 0, 0, 0, 0, 0};
    pmu_elster_instant_decode(over, &v, &err);
    assert_true(v.overflow);
    assert_int_equal(pmu_elster_instant_request(0, PMU_ELSTER_Q_VOLTAGE), 0x02);
    assert_int_equal(pmu_elster_instant_request(3, PMU_ELSTER_Q_ACTIVE), 0x44);
    assert_int_equal(pmu_elster_instant_request(4, PMU_ELSTER_Q_ACTIVE), -1);
    assert_true(pmu_elster_instant_ready(0x82));
    assert_string_equal(pmu_elster_quantity_unit(PMU_ELSTER_Q_FREQUENCY), "Hz");
}

static void test_status(void **state)
{
    (void)state;
    const uint8_t p[4] = {0x01, 0x01, 0x00, 0x80};
    uint32_t w = pmu_elster_status_decode(p);
    assert_int_equal(w, 0x80000101u);
    const char *names[8];
    assert_int_equal(pmu_elster_status_names(w, names, 8), 3);
    assert_string_equal(names[0], "transient reset");
    assert_string_equal(names[1], "phase A failure");
    assert_string_equal(names[2], "backup registers corrupt");
    assert_null(pmu_elster_status_bit_name(3));
    uint8_t back[4];
    pmu_elster_status_encode(w, back);
    assert_memory_equal(back, p, 4);
}

static void test_counters_events(void **state)
{
    (void)state;
    struct pmu_error err;
    /* count 3, times 0x65A47580 (newest), 0x65A00000, 0 (no date), phases 1 2 3 */
    const uint8_t c[17] = {0x03, 0x00, 0x80, 0x75, 0xA4, 0x65, 0x00, 0x00, 0xA0, 0x65,
                           0, 0, 0, 0, 1, 2, 3};
    struct pmu_elster_counter k;
    assert_int_equal(pmu_elster_counter_decode(c, 17, &k, &err), PMU_OK);
    assert_int_equal(k.count, 3);
    assert_int_equal(k.times[0], 1705276800);
    assert_int_equal(k.times[1], 0x65A00000);
    assert_int_equal(k.times[2], 0);
    assert_true(k.has_phases);
    assert_int_equal(k.phases[2], 3);
    uint8_t back[17];
    assert_int_equal(pmu_elster_counter_encode(&k, back, 17, &err), PMU_OK);
    assert_memory_equal(back, c, 17);
    assert_int_equal(pmu_elster_counter_decode(c, 14, &k, &err), PMU_OK);
    assert_false(k.has_phases);
    assert_int_equal(pmu_elster_counter_decode(c, 15, &k, &err), PMU_E_INVALID);

    uint8_t ev[66] = {0};
    ev[0] = 2;                                  /* phase failures */
    ev[2] = 0x80, ev[3] = 0x75, ev[4] = 0xA4, ev[5] = 0x65;
    ev[14] = 3;
    ev[17] = 0x10, ev[18] = 0x01;               /* 272 power failures */
    ev[31] = 1;                                 /* reverse run */
    ev[33] = 0x01;
    ev[45] = 4;                                 /* over-current */
    ev[59] = 2;
    ev[62] = 0x00, ev[63] = 0x10;               /* 4096 s battery */
    struct pmu_elster_events e;
    assert_int_equal(pmu_elster_events_decode(ev, 66, &e, &err), PMU_OK);
    assert_int_equal(e.phase_fail_count, 2);
    assert_int_equal(e.phase_fail_times[0], 1705276800);
    assert_int_equal(e.phase_fail_phases[0], 3);
    assert_int_equal(e.power_fail_count, 272);
    assert_int_equal(e.reverse_run_count, 1);
    assert_int_equal(e.reverse_run_times[0], 1);
    assert_int_equal(e.over_current_count, 4);
    assert_int_equal(e.over_current_phases[0], 2);
    assert_int_equal(e.battery_seconds_left, 4096);
    uint8_t eback[66];
    pmu_elster_events_encode(&e, eback);
    assert_memory_equal(eback, ev, 66);
}

static void test_channels_period_selection(void **state)
{
    (void)state;
    struct pmu_error err;
    uint8_t ch[PMU_ELSTER_MAX_CHANNELS];
    const uint8_t word[2] = {0x01, 0x83};      /* big-endian 0x0183 */
    uint16_t cfg = pmu_elster_u16_be(word);
    assert_int_equal(cfg, 0x0183);
    size_t n = pmu_elster_mask_channels(cfg, ch);
    assert_int_equal(n, 3);                     /* 0x80 is the DST bit, no channel */
    assert_int_equal(ch[0], 0);
    assert_int_equal(ch[1], 1);
    assert_int_equal(ch[2], 7);
    assert_string_equal(pmu_elster_channel_name(ch[2]), "CDR1");
    uint16_t back;
    assert_int_equal(pmu_elster_mask_from_channels(ch, n, &back, &err), PMU_OK);
    assert_int_equal(back, 0x0103);
    assert_int_equal(pmu_elster_mask_channels(0x7F7F, ch), 14);
    assert_int_equal(ch[13], 13);
    const uint8_t bad = 14;
    assert_int_equal(pmu_elster_mask_from_channels(&bad, 1, &back, &err), PMU_E_RANGE);

    const uint8_t per[3] = {30, 5, 6};
    struct pmu_elster_period p;
    assert_int_equal(pmu_elster_period_decode(per, &p, &err), PMU_OK);
    assert_int_equal(p.period, 30);
    assert_int_equal(p.sub_interval, 5);
    assert_int_equal(p.sub_count, 6);
    uint8_t pback[3];
    assert_int_equal(pmu_elster_period_encode(&p, pback, &err), PMU_OK);
    assert_memory_equal(pback, per, 3);

    uint8_t sel[2];
    pmu_elster_lp_select_encode(10, sel);
    assert_int_equal(sel[0], 10);
    assert_int_equal(sel[1], 0);
    pmu_elster_lp_select_encode(PMU_ELSTER_LP_ALL_DAYS, sel);
    assert_int_equal(sel[0], 0xFF);
    assert_int_equal(pmu_elster_lp_select_decode(sel), 0xFFFF);
    const uint8_t size[4] = {0x01, 0x02, 0x00, 0x41};
    struct pmu_elster_lp_size s;
    pmu_elster_lp_size_decode(size, &s);
    assert_int_equal(s.blocks64, 258);
    assert_int_equal(s.blocks256, 65);
    assert_int_equal(pmu_elster_lp_packets(&s), 259);
    uint8_t sback[4];
    pmu_elster_lp_size_encode(&s, sback);
    assert_memory_equal(sback, size, 4);
}

static void test_billing(void **state)
{
    (void)state;
    struct pmu_error err;
    assert_int_equal(pmu_elster_billing_length(16, false), 615);
    assert_int_equal(pmu_elster_billing_length(32, false), 743);
    assert_int_equal(pmu_elster_billing_length(32, true), 863);
    assert_int_equal(pmu_elster_billing_length(8, false), 0);

    uint8_t set[615] = {0};
    set[0] = 0x89, set[1] = 0x67, set[2] = 0x45, set[3] = 0x23, set[4] = 0x01; /* import */
    set[80 + 8 * 15 + 3] = 0x42;               /* TOU 16: 42 kWh... in mWh: 42000000 */
    set[208 + 24] = 0x01;                       /* external 4 */
    set[240 + 8] = 2;                           /* CMD 1 source export */
    set[312 + 4] = 1;                           /* MD 1 source import */
    set[312 + 5] = 0x99;                        /* 0.000099 kW */
    set[312 + 23 * 12 + 0] = 0x80;             /* MD 24 time */
    set[600] = 0x0C;                            /* billing count 12 */
    set[602] = 0x80, set[603] = 0x75, set[604] = 0xA4, set[605] = 0x65;
    set[610] = PMU_ELSTER_TRIGGER_SERIAL | PMU_ELSTER_TRIGGER_POWER_UP;
    set[611] = 0x01;
    struct pmu_elster_billing *b = malloc(sizeof *b);
    assert_int_equal(pmu_elster_billing_decode(set, 615, 16, false, b, &err), PMU_OK);
    assert_string_equal(b->cumulative[0], "123.456789");
    assert_string_equal(b->cumulative[9], "0.000000");
    assert_string_equal(b->tou[15], "42.000000");
    assert_string_equal(b->external[3], "0.000001");
    assert_int_equal(b->cmd[0].source, 2);
    assert_int_equal(b->md[0].source, 1);
    assert_string_equal(b->md[0].value, "0.000099");
    assert_false(b->md[0].has_time);
    assert_int_equal(b->md[23].time, 0x80);
    assert_int_equal(b->billing_count, 12);
    assert_int_equal(b->period_start, 1705276800);
    assert_int_equal(b->trigger, 0x88);
    assert_int_equal(b->reset_time, 1);
    uint8_t back[615];
    assert_int_equal(pmu_elster_billing_encode(b, back, sizeof back, &err), PMU_OK);
    assert_memory_equal(back, set, 615);
    assert_int_equal(pmu_elster_billing_decode(set, 614, 16, false, b, &err), PMU_E_INVALID);
    set[80 + 8 * 3] = 0xAB;
    assert_int_equal(pmu_elster_billing_decode(set, 615, 16, false, b, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 104);

    uint8_t big[863] = {0};
    big[863 - 15 - 120] = 0x5A;                /* first coincident-MD byte */
    big[863 - 15] = 7;
    assert_int_equal(pmu_elster_billing_decode(big, 863, 32, true, b, &err), PMU_OK);
    assert_int_equal(b->coincident[0], 0x5A);
    assert_int_equal(b->billing_count, 7);
    free(b);
}

static void test_obis(void **state)
{
    (void)state;
    struct pmu_obis o;
    char text[PMU_OBIS_TEXT_MAX];
    pmu_elster_obis_energy(1, 0, -1, &o);
    pmu_obis_format_full(&o, text, sizeof text);
    assert_string_equal(text, "1-1:1.8.0*255");
    pmu_elster_obis_energy(5, 3, 2, &o);
    pmu_obis_format_full(&o, text, sizeof text);
    assert_string_equal(text, "1-1:5.8.3*2");
    pmu_elster_obis_cmd(2, 0, -1, &o);
    pmu_obis_format_full(&o, text, sizeof text);
    assert_string_equal(text, "1-1:2.2.0*255");
    pmu_elster_obis_md(9, 3, 0, 11, &o);
    pmu_obis_format_full(&o, text, sizeof text);
    assert_string_equal(text, "1-3:9.6.0*11");
}

/* ---- Load profile -------------------------------------------------------------------------- */

#define T0 1705276800u /* 2024-01-15T00:00:00, 0x65A47580 */

/* Hand-built entries, written here rather than with the library's encoders. */
struct stream {
    uint8_t b[1024];
    size_t n;
};

static void put_time(struct stream *s, uint32_t t)
{
    for (int i = 0; i < 4; i++)
        s->b[s->n++] = (uint8_t)(t >> (8 * i));
}

static void day(struct stream *s, uint8_t type, uint32_t t, uint16_t word, uint8_t code)
{
    s->b[s->n++] = type;
    put_time(s, t);
    s->b[s->n++] = (uint8_t)(word >> 8);
    s->b[s->n++] = (uint8_t)word;
    s->b[s->n++] = code;
}

static void marker(struct stream *s, uint8_t type, uint32_t t)
{
    s->b[s->n++] = type;
    put_time(s, t);
}

/* A record of 3-byte values given as 6-digit hex literals (mantissa digits + exponent). */
static void rec(struct stream *s, uint8_t status, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    s->b[s->n++] = status;
    for (int i = 0; i < n; i++) {
        unsigned v = va_arg(ap, unsigned);
        s->b[s->n++] = (uint8_t)(v >> 16);
        s->b[s->n++] = (uint8_t)(v >> 8);
        s->b[s->n++] = (uint8_t)v;
    }
    va_end(ap);
}

struct lp_result {
    struct pmu_elster_lp_item items[64];
    size_t n;
    enum pmu_status end;
    struct pmu_error err;
};

/* Decodes s in pieces of chunk bytes, then finishes. */
static void lp_run(const uint8_t *s, size_t len, size_t chunk, int scaler, struct lp_result *r)
{
    struct pmu_elster_lp d;
    pmu_elster_lp_init(&d, scaler);
    memset(r, 0, sizeof *r);
    pmu_error_clear(&r->err);
    enum pmu_status rc = PMU_AGAIN;
    for (size_t at = 0; at < len && rc != PMU_DONE;) {
        size_t n = len - at < chunk ? len - at : chunk;
        const uint8_t *p = s + at;
        at += n;
        for (;;) {
            size_t used;
            struct pmu_elster_lp_item it;
            rc = pmu_elster_lp_feed(&d, p, n, &used, &it, &r->err);
            assert_true(used <= n);
            p += used;
            n -= used;
            if (rc != PMU_OK)
                break;
            assert_true(r->n < 64);
            r->items[r->n++] = it;
        }
        if (rc < 0) {
            r->end = rc;
            return;
        }
    }
    for (;;) {
        struct pmu_elster_lp_item it;
        rc = pmu_elster_lp_finish(&d, &it, &r->err);
        if (rc != PMU_OK)
            break;
        assert_true(r->n < 64);
        r->items[r->n++] = it;
    }
    r->end = rc;
}

static void same_results(const struct lp_result *a, const struct lp_result *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->end, b->end);
    if (a->end < 0) {
        assert_int_equal(a->err.offset, b->err.offset);
        assert_string_equal(a->err.message, b->err.message);
    }
    for (size_t i = 0; i < a->n; i++)
        assert_memory_equal(&a->items[i], &b->items[i], sizeof a->items[i]);
}

/* Decodes whole, then in every chunk size that matters, and checks they agree. */
static struct lp_result *lp_decode(const struct stream *s, int scaler)
{
    struct lp_result *whole = malloc(sizeof *whole), *other = malloc(sizeof *other);
    lp_run(s->b, s->n, s->n ? s->n : 1, scaler, whole);
    static const size_t chunks[] = {1, 2, 3, 5, 7, 8, 13, 64};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        lp_run(s->b, s->n, chunks[i], scaler, other);
        same_results(whole, other);
    }
    free(other);
    return whole;
}

static void interval_is(const struct pmu_elster_lp_item *it, uint32_t end, uint8_t status,
                        unsigned records, const char *v0, const char *v1)
{
    assert_int_equal(it->kind, PMU_ELSTER_LP_INTERVAL);
    assert_int_equal(it->time, end);
    assert_int_equal(it->status, status);
    assert_int_equal(it->records, records);
    assert_string_equal(it->value[0], v0);
    if (v1 != NULL)
        assert_string_equal(it->value[1], v1);
}

static void event_is(const struct pmu_elster_lp_item *it, unsigned marker, uint32_t t)
{
    assert_int_equal(it->kind, PMU_ELSTER_LP_EVENT);
    assert_int_equal(it->marker, marker);
    assert_int_equal(it->time, t);
}

static void test_lp_values(void **state)
{
    (void)state;
    uint64_t v;
    const uint8_t a[3] = {0x12, 0x34, 0x53};
    assert_int_equal(pmu_elster_lp_value_decode(a, &v, NULL), PMU_OK);
    assert_int_equal(v, 12345000);
    uint8_t back[3];
    assert_int_equal(pmu_elster_lp_value_encode(12345000, back, NULL), PMU_OK);
    assert_memory_equal(back, a, 3);
    const uint8_t b[3] = {0x00, 0x12, 0x30};
    assert_int_equal(pmu_elster_lp_value_decode(b, &v, NULL), PMU_OK);
    assert_int_equal(v, 123);
    assert_int_equal(pmu_elster_lp_value_encode(123, back, NULL), PMU_OK);
    assert_memory_equal(back, b, 3);
    /* The same number may come with a larger exponent; the encoder writes the smallest. */
    const uint8_t c[3] = {0x00, 0x45, 0x61};
    assert_int_equal(pmu_elster_lp_value_decode(c, &v, NULL), PMU_OK);
    assert_int_equal(v, 4560);
    assert_int_equal(pmu_elster_lp_value_encode(4560, back, NULL), PMU_OK);
    const uint8_t c_min[3] = {0x04, 0x56, 0x00};
    assert_memory_equal(back, c_min, 3);
    const uint8_t top[3] = {0x99, 0x99, 0x99};
    assert_int_equal(pmu_elster_lp_value_decode(top, &v, NULL), PMU_OK);
    assert_int_equal(v, 99999000000000ULL);
    assert_int_equal(pmu_elster_lp_value_encode(123456, back, NULL), PMU_E_RANGE);
    assert_int_equal(pmu_elster_lp_value_round(123456), 123450);
    assert_int_equal(pmu_elster_lp_value_round(99999), 99999);
    const uint8_t bad[3] = {0x12, 0xC4, 0x53};
    struct pmu_error err;
    assert_int_equal(pmu_elster_lp_value_decode(bad, &v, &err), PMU_E_SYNTAX);
    assert_int_equal(err.offset, 1);
    assert_int_equal(pmu_elster_lp_period_minutes(9), 30);
    assert_int_equal(pmu_elster_lp_period_minutes(0x2A), 60);
    assert_int_equal(pmu_elster_lp_period_minutes(11), 0);
    assert_int_equal(pmu_elster_lp_period_code(15), 7);
}

/* E4, two records, FF + padding: the plain case, with the exact bytes written out. */
static void test_lp_basic(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {
        0xE4, 0x80, 0x75, 0xA4, 0x65, 0x00, 0x03, 0x09,   /* new day, import+export, 30 min */
        0x00, 0x00, 0x12, 0x30, 0x04, 0x56, 0x00,         /* 123, 4560 */
        0x41, 0x12, 0x34, 0x53, 0x00, 0x00, 0x00,         /* phase fail + reset: 12345000, 0 */
        0xFF, 0xFF, 0xFF, 0xFF};                          /* end, padding */
    struct stream s;
    memcpy(s.b, bytes, sizeof bytes);
    s.n = sizeof bytes;
    struct lp_result *r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_DONE);
    assert_int_equal(r->n, 3);
    event_is(&r->items[0], PMU_ELSTER_LP_NEW_DAY, T0);
    assert_int_equal(r->items[0].period_min, 30);
    assert_false(r->items[0].dst);
    interval_is(&r->items[1], T0 + 1800, 0x00, 1, "123", "4560");
    assert_int_equal(r->items[1].n_channels, 2);
    assert_int_equal(r->items[1].channel[1], 1);
    assert_int_equal(r->items[1].offset, 8);
    interval_is(&r->items[2], T0 + 3600, 0x41, 1, "12345000", "0");
    assert_true((r->items[2].status & PMU_ELSTER_LP_PHASE_FAIL) != 0);
    free(r);

    /* The same stream in mWh shown as kWh. */
    r = lp_decode(&s, -6);
    interval_is(&r->items[1], T0 + 1800, 0x00, 1, "0.000123", "0.004560");
    interval_is(&r->items[2], T0 + 3600, 0x41, 1, "12.345000", "0.000000");
    free(r);

    /* The encoders write exactly these bytes. */
    uint8_t enc[64];
    size_t n = 0;
    n += (size_t)pmu_elster_lp_put_header(0xE4, T0, 0x0003, 30, enc + n, sizeof enc - n);
    const uint64_t v1[2] = {123, 4560}, v2[2] = {12345000, 0};
    n += (size_t)pmu_elster_lp_put_record(0x00, v1, 2, enc + n, sizeof enc - n);
    n += (size_t)pmu_elster_lp_put_record(0x41, v2, 2, enc + n, sizeof enc - n);
    n += (size_t)pmu_elster_lp_put_end(enc + n, sizeof enc - n);
    assert_int_equal(n, sizeof bytes - 3);
    assert_memory_equal(enc, bytes, n);
}

/* E5 after E6: the record after E6 stands alone; the record after E5 is held and
 * summed into the next one, stamped from the power-up time rounded down. */
static void test_lp_power(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    day(&s, 0xE4, T0, 0x0001, 9);
    rec(&s, 0x00, 1, 0x001000u);                     /* 100 -> ends 00:30 */
    marker(&s, 0xE6, T0 + 2000);                     /* power down 00:33:20 */
    rec(&s, 0x00, 1, 0x000200u);                     /* 20, stored as is -> 01:00 */
    marker(&s, 0xE5, T0 + 4000);                     /* power up 01:06:40 -> clock 01:00 */
    rec(&s, 0x01, 1, 0x000300u);                     /* 30, held */
    rec(&s, 0x00, 1, 0x000500u);                     /* 50 + 30 -> 01:30 */
    rec(&s, 0x00, 1, 0x000700u);                     /* 70 -> 02:00 */
    s.b[s.n++] = 0xFF;
    struct lp_result *r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_DONE);
    assert_int_equal(r->n, 7);
    event_is(&r->items[0], 0xE4, T0);
    event_is(&r->items[1], 0xE6, T0 + 2000);
    interval_is(&r->items[2], T0 + 1800, 0, 1, "100", NULL);
    event_is(&r->items[3], 0xE5, T0 + 4000);
    interval_is(&r->items[4], T0 + 3600, 0, 1, "20", NULL);
    interval_is(&r->items[5], T0 + 5400, 0x01, 2, "80", NULL);
    interval_is(&r->items[6], T0 + 7200, 0, 1, "70", NULL);
    free(r);

    /* Encoders give the same bytes. */
    uint8_t enc[128];
    size_t n = 0;
    n += (size_t)pmu_elster_lp_put_header(0xE4, T0, 1, 30, enc + n, sizeof enc - n);
    uint64_t v = 100;
    n += (size_t)pmu_elster_lp_put_record(0, &v, 1, enc + n, sizeof enc - n);
    n += (size_t)pmu_elster_lp_put_event(0xE6, T0 + 2000, enc + n, sizeof enc - n);
    v = 20;
    n += (size_t)pmu_elster_lp_put_record(0, &v, 1, enc + n, sizeof enc - n);
    n += (size_t)pmu_elster_lp_put_event(0xE5, T0 + 4000, enc + n, sizeof enc - n);
    assert_memory_equal(enc, s.b, n);
}

/* E9 forced end, EB profile cleared: both split the next interval like E5. */
static void test_lp_forced_end_and_cleared(void **state)
{
    (void)state;
    static const uint8_t markers[] = {0xE9, 0xEB};
    for (size_t m = 0; m < 2; m++) {
        struct stream s = {.n = 0};
        day(&s, 0xE4, T0, 0x0001, 9);
        rec(&s, 0x00, 1, 0x001000u);                 /* -> 00:30 */
        marker(&s, markers[m], T0 + 2400);           /* 00:40 -> clock 00:30 */
        rec(&s, 0x04, 1, 0x000100u);                 /* 10 held */
        rec(&s, 0x00, 1, 0x000900u);                 /* 90 + 10 -> 01:00 */
        s.b[s.n++] = 0xFF;
        struct lp_result *r = lp_decode(&s, 0);
        assert_int_equal(r->n, 4);
        event_is(&r->items[1], markers[m], T0 + 2400);
        interval_is(&r->items[2], T0 + 1800, 0, 1, "100", NULL);
        interval_is(&r->items[3], T0 + 3600, 0x04, 2, "100", NULL);
        free(r);
    }
}

/* EA time change back into the interval still held back: the split record lands on
 * the same end and everything is summed, status ORed. */
static void test_lp_time_change_same_interval(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    day(&s, 0xE4, T0, 0x0003, 9);
    rec(&s, 0x02, 2, 0x001000u, 0x000010u);          /* 100, 1 -> 00:30 */
    marker(&s, 0xEA, T0 + 900);                      /* clock set back to 00:15 -> 00:00 */
    rec(&s, 0x20, 2, 0x000050u, 0x000000u);          /* 5 held */
    rec(&s, 0x00, 2, 0x000150u, 0x000020u);          /* 15 + 5 -> 00:30 again */
    rec(&s, 0x00, 2, 0x000100u, 0x000000u);          /* -> 01:00 */
    s.b[s.n++] = 0xFF;
    struct lp_result *r = lp_decode(&s, 0);
    assert_int_equal(r->n, 4);
    event_is(&r->items[1], 0xEA, T0 + 900);
    interval_is(&r->items[2], T0 + 1800, 0x22, 3, "120", "3");
    interval_is(&r->items[3], T0 + 3600, 0, 1, "10", "0");
    free(r);
}

/* E8 configuration change: new channels and period from then on. */
static void test_lp_config_change(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    day(&s, 0xE4, T0, 0x0003, 9);
    rec(&s, 0x00, 2, 0x000010u, 0x000020u);          /* -> 00:30 */
    day(&s, 0xE8, T0 + 1800, 0x0100, 7);             /* CDR1 only, 15 minutes */
    rec(&s, 0x00, 1, 0x000030u);                     /* -> 00:45 */
    rec(&s, 0x00, 1, 0x000040u);                     /* -> 01:00 */
    s.b[s.n++] = 0xFF;
    struct lp_result *r = lp_decode(&s, 0);
    assert_int_equal(r->n, 5);
    event_is(&r->items[1], 0xE8, T0 + 1800);
    assert_int_equal(r->items[1].period_min, 15);
    interval_is(&r->items[2], T0 + 1800, 0, 1, "1", "2");
    interval_is(&r->items[3], T0 + 2700, 0, 1, "3", NULL);
    assert_int_equal(r->items[3].n_channels, 1);
    assert_int_equal(r->items[3].channel[0], 7);
    interval_is(&r->items[4], T0 + 3600, 0, 1, "4", NULL);
    free(r);
}

/* ED daylight saving is reported and moves no clock; the DST bit of the next day's
 * channel word is carried by the intervals. E2 external data is skipped whole. */
static void test_lp_dst_external(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    day(&s, 0xE4, T0, 0x0081, 10);                   /* import, DST in force, 60 min */
    rec(&s, 0x00, 1, 0x000010u);                     /* -> 01:00 */
    marker(&s, 0xED, T0 + 5000);
    s.b[s.n++] = 0xE2;                               /* external: 3 bytes, one of them E2 */
    s.b[s.n++] = 0x03;
    s.b[s.n++] = 0x00;
    s.b[s.n++] = 0xAA;
    s.b[s.n++] = 0xE2;
    s.b[s.n++] = 0xFF;
    s.b[s.n++] = 0xE2;
    rec(&s, 0x08, 1, 0x000020u);                     /* -> 02:00 */
    s.b[s.n++] = 0xFF;
    struct lp_result *r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_DONE);
    assert_int_equal(r->n, 5);
    assert_true(r->items[0].dst);
    event_is(&r->items[1], 0xED, T0 + 5000);
    assert_int_equal(r->items[2].kind, PMU_ELSTER_LP_EVENT);
    assert_int_equal(r->items[2].marker, 0xE2);
    assert_int_equal(r->items[2].external_len, 3);
    interval_is(&r->items[3], T0 + 3600, 0, 1, "1", NULL);
    assert_true(r->items[3].dst);
    interval_is(&r->items[4], T0 + 7200, PMU_ELSTER_LP_BATTERY_FAIL, 1, "2", NULL);
    free(r);

    uint8_t enc[16];
    const uint8_t data[3] = {0xAA, 0xE2, 0xFF};
    assert_int_equal(pmu_elster_lp_put_external(data, 3, enc, sizeof enc), 7);
    assert_memory_equal(enc, s.b + 17, 7);
}

/* A new day rounds the clock down; timestamps are interval ends. */
static void test_lp_new_day_rounding(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    day(&s, 0xE4, T0 + 86400 + 10, 0x0001, 8);      /* 20-minute period, marker 00:00:10 */
    rec(&s, 0x00, 1, 0x000010u);
    struct lp_result *r = lp_decode(&s, 0);          /* no FF: finish reports it */
    assert_int_equal(r->end, PMU_DONE);
    assert_int_equal(r->n, 2);
    interval_is(&r->items[1], T0 + 86400 + 1200, 0, 1, "1", NULL);
    free(r);
}

static void test_lp_errors(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    rec(&s, 0x00, 0);
    struct lp_result *r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_E_SYNTAX);
    assert_int_equal(r->err.offset, 0);
    assert_non_null(strstr(r->err.message, "0xE4"));
    free(r);

    s.n = 0;
    day(&s, 0xE4, T0, 0x0001, 9);
    s.b[s.n++] = 0xE3;
    r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_E_SYNTAX);
    assert_int_equal(r->err.offset, 8);
    assert_non_null(strstr(r->err.message, "0xE3"));
    free(r);

    s.n = 0;
    day(&s, 0xE4, T0, 0x0001, 9);
    rec(&s, 0x00, 1, 0x0000A0u);
    r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_E_SYNTAX);
    assert_int_equal(r->err.offset, 11);
    free(r);

    s.n = 0;
    day(&s, 0xE4, T0, 0x0001, 11);
    r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_E_RANGE);
    assert_int_equal(r->err.offset, 7);
    free(r);

    /* Cut inside a record: the complete interval first, then the truncation. */
    s.n = 0;
    day(&s, 0xE4, T0, 0x0001, 9);
    rec(&s, 0x00, 1, 0x000010u);
    rec(&s, 0x00, 1, 0x000010u);
    s.n -= 2;
    r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_E_TRUNCATED);
    assert_int_equal(r->n, 2);
    interval_is(&r->items[1], T0 + 1800, 0, 1, "1", NULL);
    free(r);

    /* External data not closed by E2. */
    s.n = 0;
    day(&s, 0xE4, T0, 0x0001, 9);
    s.b[s.n++] = 0xE2;
    s.b[s.n++] = 0x01;
    s.b[s.n++] = 0x00;
    s.b[s.n++] = 0x11;
    s.b[s.n++] = 0x22;
    r = lp_decode(&s, 0);
    assert_int_equal(r->end, PMU_E_SYNTAX);
    assert_int_equal(r->err.offset, 12);
    free(r);
}

/* ---- Models --------------------------------------------------------------------------------- */

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static const char *const model_files[] = {"a1700-16tou.json", "a1700-32tou.json",
                                          "a1700-32tou-5cdr.json", "a1140.json", "a1120.json"};
#define N_MODELS (sizeof model_files / sizeof model_files[0])

static void load_models(struct pmu_elster_model *m)
{
    for (size_t i = 0; i < N_MODELS; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/../../models/%s", PMU_TEST_DATA_DIR, model_files[i]);
        size_t len;
        char *text = read_text(path, &len);
        struct pmu_error err;
        if (pmu_elster_model_load(text, len, &m[i], &err) != PMU_OK)
            fail_msg("%s: %s", model_files[i], err.message);
        free(text);
    }
}

static void test_models_shipped(void **state)
{
    (void)state;
    struct pmu_elster_model m[N_MODELS];
    load_models(m);
    assert_string_equal(m[0].name, "A1700-16TOU");
    assert_int_equal(m[0].tou_registers, 16);
    assert_int_equal(m[0].packet_size, 64);
    assert_int_equal(m[0].password_levels, 4);
    assert_int_equal(m[0].password_timeout_s, 270);
    assert_true(m[0].load_profile);
    assert_int_equal(m[0].lp_scaler, -6);

    const struct pmu_elster_identity *id = pmu_elster_model_identity(&m[0], 507);
    assert_non_null(id);
    assert_int_equal(id->length, 80);
    assert_int_equal(id->element, 8);
    assert_int_equal(id->encoding, PMU_ELSTER_ENC_BCD_LE_ENERGY);
    assert_int_equal(id->n_sources, 10);
    const struct pmu_elster_source *src = pmu_elster_model_source(&m[0], id->sources[2]);
    assert_string_equal(src->name, "reactive Q1");
    assert_int_equal(src->obis_c, 5);
    assert_string_equal(src->energy_unit, "kvarh");
    id = pmu_elster_model_identity(&m[0], 543);
    assert_int_equal(id->length, pmu_elster_billing_length(16, false));
    assert_int_equal(id->sets, 12);
    assert_int_equal(pmu_elster_model_identity(&m[1], 543)->length,
                     pmu_elster_billing_length(32, false));
    assert_int_equal(pmu_elster_model_identity(&m[2], 543)->length,
                     pmu_elster_billing_length(32, true));
    id = pmu_elster_model_identity(&m[0], 798);
    assert_true(id->has_obis);
    assert_int_equal(id->obis.c, 96);
    id = pmu_elster_model_identity(&m[0], 932);
    assert_true(id->openpmu_choice);
    assert_true(id->writable);
    assert_int_equal(id->sets, 16);
    assert_int_equal(pmu_elster_model_identity(&m[0], 655)->encoding, PMU_ELSTER_ENC_ACTION);
    assert_true(pmu_elster_model_identity(&m[0], 655)->writable);
    assert_false(pmu_elster_model_identity(&m[0], 655)->readable);
    assert_null(pmu_elster_model_identity(&m[0], 123));

    assert_int_equal(m[3].tou_registers, 8);
    assert_int_equal(pmu_elster_model_source(&m[3], 0)->obis_c, 1);
    assert_false(m[4].load_profile);
    assert_int_equal(m[4].confidence, 'L');
    assert_null(pmu_elster_model_identity(&m[4], 550));
    assert_non_null(pmu_elster_model_identity(&m[3], 550));

    size_t index = 99;
    struct pmu_error err;
    assert_int_equal(pmu_elster_model_select(m, N_MODELS, "/GEC5090100100400@000", 21, &index,
                                             &err),
                     PMU_OK);
    assert_int_equal(index, 1);                     /* device 010: 32 TOU */
    assert_int_equal(pmu_elster_model_select(m, N_MODELS, "/GEC5090100110400@000", 21, &index,
                                             &err),
                     PMU_OK);
    assert_int_equal(index, 0);                     /* device 011: 16 TOU */
    assert_int_equal(pmu_elster_model_select(m, N_MODELS, "/GEC5090100260400@000", 21, &index,
                                             &err),
                     PMU_OK);
    assert_int_equal(index, 2);                     /* device 026: 5 CDRs */
    assert_int_equal(pmu_elster_model_select(m, N_MODELS, "/LGZ5090100100400@000", 21, &index,
                                             &err),
                     PMU_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "LGZ"));
    for (size_t i = 0; i < N_MODELS; i++)
        pmu_elster_model_free(&m[i]);
}

static void expect_model_error(const char *json, const char *message)
{
    struct pmu_elster_model m;
    struct pmu_error err;
    if (pmu_elster_model_load(json, strlen(json), &m, &err) == PMU_OK)
        fail_msg("accepted: %s", json);
    if (strstr(err.message, message) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.message, message);
}

#define HEAD                                                                                   \
    "{\"format\":\"openpmu-elster-model/1\",\"model\":\"X\",\"family\":\"A1700\","             \
    "\"identification\":{\"maker\":\"GEC\",\"master_unit\":\"09\",\"devices\":[\"*\"]},"       \
    "\"tou_registers\":16,\"packet_size\":64,"                                                 \
    "\"password\":{\"levels\":4,\"timeout_seconds\":270},\"load_profile\":{\"present\":false},"

static void test_model_errors(void **state)
{
    (void)state;
    struct pmu_elster_model m;
    struct pmu_error err;
    const char *ok = HEAD "\"sources\":[{\"code\":1,\"name\":\"import\",\"obis_c\":1}],"
                          "\"identities\":[{\"id\":798,\"name\":\"serial\",\"length\":16,"
                          "\"encoding\":\"ascii\"},{\"id\":507,\"name\":\"c\",\"length\":8,"
                          "\"element\":8,\"encoding\":\"bcd_le_energy\",\"sources\":[1]}]}";
    assert_int_equal(pmu_elster_model_load(ok, strlen(ok), &m, &err), PMU_OK);
    pmu_elster_model_free(&m);

    expect_model_error(HEAD "\"identities\":[{\"id\":1,\"name\":\"a\",\"length\":1,"
                            "\"encoding\":\"raw\"},{\"id\":2,\"name\":\"b\",\"length\":0,"
                            "\"encoding\":\"raw\"}]}",
                       "identities[1].length: expected a positive number");
    expect_model_error(HEAD "\"identities\":[{\"id\":1,\"name\":\"a\",\"lenght\":1,"
                            "\"encoding\":\"raw\"}]}",
                       "identities[0].lenght: unknown key");
    expect_model_error(HEAD "\"identities\":[{\"id\":1,\"name\":\"a\",\"length\":1,"
                            "\"encoding\":\"bcd\"}]}",
                       "identities[0].encoding: expected one of ascii");
    expect_model_error(HEAD "\"identities\":[{\"id\":1000,\"name\":\"a\",\"length\":1,"
                            "\"encoding\":\"raw\"}]}",
                       "identities[0].id: expected a whole number 0..999");
    expect_model_error(HEAD "\"identities\":[{\"id\":1,\"name\":\"a\",\"length\":1,"
                            "\"encoding\":\"raw\"},{\"id\":1,\"name\":\"b\",\"length\":1,"
                            "\"encoding\":\"raw\"}]}",
                       "identities[1].id: expected an id not used");
    expect_model_error(HEAD "\"identities\":[{\"id\":1,\"name\":\"a\",\"length\":8,"
                            "\"element\":8,\"encoding\":\"raw\",\"sources\":[3]}]}",
                       "identities[0].sources[0]: expected a code listed");
    expect_model_error(HEAD "\"identities\":[{\"id\":1,\"name\":\"a\",\"length\":1,"
                            "\"encoding\":\"raw\",\"obis\":\"1.x\"}]}",
                       "identities[0].obis: expected an OBIS code");
    expect_model_error(HEAD "\"identities\":[]}", "identities: expected a non-empty array");
    expect_model_error("{\"format\":\"other\"}", "format: expected \"openpmu-elster-model/1\"");
    expect_model_error("{\"format\":", "line 1");
    expect_model_error("[1]", "expected a JSON object");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_vector),
        cmocka_unit_test(test_seed_parse),
        cmocka_unit_test(test_password_frames),
        cmocka_unit_test(test_packets),
        cmocka_unit_test(test_read_write_frames),
        cmocka_unit_test(test_request_parse),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_ident),
        cmocka_unit_test(test_energy),
        cmocka_unit_test(test_md_cmd),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_instant),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_counters_events),
        cmocka_unit_test(test_channels_period_selection),
        cmocka_unit_test(test_billing),
        cmocka_unit_test(test_obis),
        cmocka_unit_test(test_lp_values),
        cmocka_unit_test(test_lp_basic),
        cmocka_unit_test(test_lp_power),
        cmocka_unit_test(test_lp_forced_end_and_cleared),
        cmocka_unit_test(test_lp_time_change_same_interval),
        cmocka_unit_test(test_lp_config_change),
        cmocka_unit_test(test_lp_dst_external),
        cmocka_unit_test(test_lp_new_day_rounding),
        cmocka_unit_test(test_lp_errors),
        cmocka_unit_test(test_models_shipped),
        cmocka_unit_test(test_model_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
