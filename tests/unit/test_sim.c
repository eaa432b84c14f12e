/* pmu-sim's meter state machine, driven byte by byte with explicit times: modes,
 * addresses, readout, programming mode, R1, R5, NAK, timers and each fault.
 * The parsers, the consumption model and the clock are in test_sim_model.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/readout.h"
#include "pmu/sim.h"

/* ---- Helpers ------------------------------------------------------------------ */

/* Everything a meter sent over one or more calls of feed(). */
struct sent {
    uint8_t bytes[1 << 17];
    size_t len;
    size_t n_seg;
    size_t seg_len[8];
    unsigned seg_baud[8], seg_gap[8];
    bool restart, hangup;
    unsigned baud;
    int64_t deadline;
};

static struct sent out;
static struct pmu_sim_config cfg;
static struct pmu_sim_meter meter;
static int64_t t0; /* 2024-01-15T12:34:56, in ms */

static void take(const struct pmu_sim_action *act)
{
    for (size_t i = 0; i < act->n_segments; i++) {
        assert_true(out.len + act->seg[i].len <= sizeof out.bytes);
        memcpy(out.bytes + out.len, act->seg[i].bytes, act->seg[i].len);
        out.len += act->seg[i].len;
        if (out.n_seg < 8) {
            out.seg_len[out.n_seg] = act->seg[i].len;
            out.seg_baud[out.n_seg] = act->seg[i].baud;
            out.seg_gap[out.n_seg] = act->seg[i].gap_ms;
        }
        out.n_seg++;
    }
    out.restart |= act->restart;
    out.hangup |= act->hangup;
    out.baud = act->baud;
    out.deadline = act->deadline_ms;
}

/* Feeds n bytes arriving at `now` (ms); the answer is in `out`. */
static void feed_n(int64_t now, const void *p, size_t n)
{
    memset(&out, 0, sizeof out);
    const uint8_t *b = p;
    do {
        size_t used = 0;
        struct pmu_sim_action act;
        assert_int_equal(pmu_sim_meter_input(&meter, now, b, n, &used, &act), PMU_OK);
        assert_true(used <= n);
        take(&act);
        b += used;
        n -= used;
    } while (n > 0);
}

static void feed(int64_t now, const char *s)
{
    feed_n(now, s, strlen(s));
}

static void timer(int64_t now)
{
    memset(&out, 0, sizeof out);
    struct pmu_sim_action act;
    assert_int_equal(pmu_sim_meter_timer(&meter, now, &act), PMU_OK);
    take(&act);
}

/* SOH cmd STX data ETX BCC, sent at `now`. */
static void command(int64_t now, const char *cmd, const char *data)
{
    uint8_t msg[512];
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, cmd, (const uint8_t *)data,
                                   data ? strlen(data) : 0, msg, sizeof msg);
    assert_true(n > 0);
    feed_n(now, msg, (size_t)n);
}

static void assert_sent(const char *expect)
{
    size_t n = strlen(expect);
    if (out.len != n || memcmp(out.bytes, expect, n) != 0)
        fail_msg("sent %zu bytes \"%.*s\", expected \"%s\"", out.len, (int)out.len,
                 (const char *)out.bytes, expect);
}

/* The meter's answer, parsed as a host would: one data message with a good BCC.
 * Returns its payload as a NUL-terminated string. */
static const char *answer_data(void)
{
    static char text[1 << 17];
    struct pmu_iec_parser p;
    struct pmu_iec_parser_options opt = {.checksum = PMU_CHECKSUM_XOR, .no_option_select = true};
    assert_int_equal(pmu_iec_parser_init(&p, &opt), PMU_OK);
    struct pmu_iec_frame f;
    size_t used;
    assert_int_equal(pmu_iec_parser_feed(&p, out.bytes, out.len, &used, &f, NULL), PMU_OK);
    assert_int_equal(used, out.len);
    assert_int_equal(f.kind, PMU_IEC_DATA);
    assert_int_equal(f.bcc, PMU_BCC_OK);
    assert_true(f.data_len < sizeof text);
    memcpy(text, f.data, f.data_len);
    text[f.data_len] = '\0';
    pmu_iec_parser_free(&p);
    return text;
}

/* The value text of `address` in a readout, e.g. "001234.567" for 1.8.0. */
static const char *value_of(const char *block, const char *address, char *buf, size_t size)
{
    char key[40];
    snprintf(key, sizeof key, "\n%s(", address);
    const char *at;
    if (strncmp(block, key + 1, strlen(key) - 1) == 0)
        at = block + strlen(key) - 1;
    else if ((at = strstr(block, key)) != NULL)
        at += strlen(key);
    else
        fail_msg("no %s in the readout", address);
    size_t n = strcspn(at, "*)");
    assert_true(n < size);
    memcpy(buf, at, n);
    buf[n] = '\0';
    return buf;
}

/* "001234.567" -> 1234567 (Wh). */
static uint64_t wh(const char *s)
{
    unsigned long k, f;
    assert_int_equal(sscanf(s, "%lu.%lu", &k, &f), 2);
    return (uint64_t)k * 1000 + f;
}

static void new_meter(unsigned index)
{
    pmu_sim_meter_free(&meter);
    assert_int_equal(pmu_sim_meter_init(&meter, &cfg, index), PMU_OK);
}

static int setup(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(pmu_sim_time_parse("2024-01-15T12:34:56", &t, NULL), PMU_OK);
    t0 = t * 1000;
    pmu_sim_config_init(&cfg);
    memset(&meter, 0, sizeof meter);
    assert_int_equal(pmu_sim_meter_init(&meter, &cfg, 1), PMU_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pmu_sim_meter_free(&meter);
    return 0;
}

static const char ident_c[] = "/OPM5OPENPMU-SIM-1\r\n";

/* Sign-on and option select into programming mode, password accepted. */
static void enter_programming(int64_t now)
{
    feed(now, "/?!\r\n");
    feed(now + 1000, "\x06" "051\r\n");
    command(now + 2000, "P1", "(00000000)");
    assert_sent("\x06");
}

/* ---- Sign-on and modes ------------------------------------------------------------ */

static void test_mode_c_readout(void **state)
{
    (void)state;
    feed(t0, "/?!\r\n");
    assert_sent(ident_c);
    assert_true(out.restart);
    assert_int_equal(out.n_seg, 1);
    assert_int_equal(out.seg_baud[0], 300);
    assert_int_equal(out.seg_gap[0], 200);
    assert_int_equal(out.baud, 300);
    /* waiting for the option select: the inactivity timer runs from the ident's end */
    assert_true(out.deadline > t0 + 60000);

    feed(t0 + 1000, "\x06" "050\r\n");
    assert_int_equal(out.n_seg, 1);
    assert_int_equal(out.seg_baud[0], 9600);
    assert_int_equal(out.seg_gap[0], 200);
    assert_int_equal(out.baud, 300); /* back to waiting for a sign-on */
    const char *block = answer_data();
    /* the lines, in the documented order */
    static const char *const order[] = {"F.F", "C.1.0", "0.0.0", "0.9.1", "0.9.2", "1.8.0",
                                        "1.8.1", "1.8.2", "2.8.0", "3.8.0", "4.8.0", "1.6.0",
                                        "32.7.0", "31.7.0", "0.1.0"};
    const char *p = block;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        assert_true(strncmp(p, order[i], strlen(order[i])) == 0 && p[strlen(order[i])] == '(');
        p = strstr(p, "\r\n") + 2;
    }
    assert_string_equal(p, "!\r\n");
    char a[64], b[64], c[64];
    assert_string_equal(value_of(block, "F.F", a, sizeof a), "00000000");
    assert_string_equal(value_of(block, "C.1.0", a, sizeof a), "OPM00000001");
    assert_string_equal(value_of(block, "0.0.0", a, sizeof a), "00000001");
    assert_string_equal(value_of(block, "0.9.1", a, sizeof a), "123457"); /* +1 s */
    assert_string_equal(value_of(block, "0.9.2", a, sizeof a), "240115");
    value_of(block, "1.8.0", a, sizeof a);
    assert_int_equal(strlen(a), 10);
    assert_int_equal(wh(a), wh(value_of(block, "1.8.1", b, sizeof b)) +
                                wh(value_of(block, "1.8.2", c, sizeof c)));
    assert_non_null(strstr(block, "*kvarh)\r\n4.8.0("));
    /* the readout agrees with the consumption model at that time */
    struct pmu_sim_registers r;
    pmu_sim_load_registers(&meter.load, (t0 + 1000) / 1000, &r);
    assert_int_equal(wh(a), r.import_wh % 1000000000u);
    char md[64];
    struct pmu_timestamp at;
    pmu_timestamp_from_seconds(r.max_demand_at, &at);
    snprintf(md, sizeof md, "\r\n1.6.0(%02u.%03u*kW)(%02d%02d%02d%02d%02d)\r\n",
             r.max_demand_w / 1000, r.max_demand_w % 1000, at.year % 100, at.month, at.day,
             at.hour, at.minute);
    assert_non_null(strstr(block, md));
    /* and libpmu's own readout decoder reads it without complaint */
    struct pmu_readout ro;
    pmu_readout_init(&ro);
    assert_int_equal(pmu_readout_add_block(&ro, (const uint8_t *)block, strlen(block), 0, 0, false),
                     PMU_OK);
    assert_true(ro.ended);
    assert_int_equal(ro.n_records, 15);
    assert_true(ro.records[11].values[1].has_time);
    pmu_readout_free(&ro);
}

static void test_mode_a(void **state)
{
    (void)state;
    cfg.mode = PMU_IEC_MODE_A;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_int_equal(out.n_seg, 2);
    assert_int_equal(out.seg_len[0], strlen(ident_c));
    assert_memory_equal(out.bytes, "/OPM:OPENPMU-SIM-1\r\n", out.seg_len[0]);
    assert_int_equal(out.seg_baud[0], 300);
    assert_int_equal(out.seg_baud[1], 300);
    assert_int_equal(out.seg_gap[1], 200);
    assert_int_equal(out.bytes[out.seg_len[0]], PMU_STX);
    assert_int_equal(out.baud, 300);
}

static void test_mode_b(void **state)
{
    (void)state;
    cfg.mode = PMU_IEC_MODE_B;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_int_equal(out.n_seg, 2);
    assert_memory_equal(out.bytes, "/OPMEOPENPMU-SIM-1\r\n", out.seg_len[0]);
    assert_int_equal(out.seg_baud[0], 300);
    assert_int_equal(out.seg_baud[1], 9600);
    assert_int_equal(out.seg_gap[1], 200);
    /* a NAK repeats the readout, at the rate it went at */
    size_t readout_len = out.seg_len[1];
    feed(t0 + 5000, "\x15");
    assert_int_equal(out.n_seg, 1);
    assert_int_equal(out.len, readout_len);
    assert_int_equal(out.seg_baud[0], 9600);

    cfg.baud = 2400;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_int_equal(out.bytes[4], 'C');
    assert_int_equal(out.seg_baud[1], 2400);
}

static void test_addresses(void **state)
{
    (void)state;
    new_meter(5);
    feed(t0, "/?00000005!\r\n");
    assert_sent(ident_c);
    feed(t0 + 5000, "/?00000006!\r\n");
    assert_int_equal(out.len, 0);
    assert_false(out.restart);
    feed(t0 + 6000, "/?5!\r\n"); /* addresses are compared as text */
    assert_int_equal(out.len, 0);

    /* on a multi-drop line only the address is answered */
    cfg.addressed_only = true;
    new_meter(5);
    feed(t0, "/?!\r\n");
    assert_int_equal(out.len, 0);
    feed(t0 + 1000, "/?00000005!\r\n");
    assert_sent(ident_c);
}

static void test_option_select_rules(void **state)
{
    (void)state;
    cfg.baud = 4800;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_sent("/OPM4OPENPMU-SIM-1\r\n");
    feed(t0 + 500, "\x06" "050\r\n"); /* 9600 was not offered: the meter gives up */
    assert_int_equal(out.len, 0);
    assert_int_equal(out.deadline, PMU_SIM_NEVER);
    feed(t0 + 1000, "\x06" "040\r\n"); /* and no longer waits for an option select */
    assert_int_equal(out.len, 0);
    feed(t0 + 2000, "/?!\r\n");
    feed(t0 + 3000, "\x06" "030\r\n"); /* a lower rate is fine */
    assert_int_equal(out.seg_baud[0], 2400);

    /* behind a fixed-rate gateway everything goes at its rate */
    cfg.baud = 9600;
    cfg.fixed_rate = true;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_sent(ident_c);
    assert_int_equal(out.seg_baud[0], 9600);
    assert_int_equal(out.baud, 9600);
    feed(t0 + 500, "\x06" "060\r\n");
    assert_int_equal(out.seg_baud[0], 9600);
    assert_int_equal(out.bytes[0], PMU_STX);
}

static void test_fast_reaction(void **state)
{
    (void)state;
    cfg.reaction_ms = 20;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_sent("/OPm5OPENPMU-SIM-1\r\n");
    assert_int_equal(out.seg_gap[0], 20);
}

static void test_signon_restarts(void **state)
{
    (void)state;
    enter_programming(t0);
    feed(t0 + 3000, "/?!\r\n");
    assert_true(out.restart);
    assert_sent(ident_c);
    command(t0 + 4000, "R1", "1.8.0()"); /* no longer in programming mode */
    assert_int_equal(out.len, 0);
}

/* ---- Programming mode -------------------------------------------------------------- */

static void test_programming(void **state)
{
    (void)state;
    feed(t0, "/?!\r\n");
    feed(t0 + 1000, "\x06" "051\r\n");
    assert_sent("\x01P0\x02(OPM00000001)\x03" "3");
    assert_int_equal(out.seg_baud[0], 9600);
    assert_int_equal(out.baud, 9600);
    /* a read before the password */
    command(t0 + 2000, "R1", "1.8.0()");
    assert_string_equal(answer_data(), "(ERROR)");
    /* wrong password: (ERROR), and the meter still waits for one */
    command(t0 + 3000, "P1", "(12345678)");
    assert_string_equal(answer_data(), "(ERROR)");
    command(t0 + 4000, "P1", "(00000000)");
    assert_sent("\x06");
    assert_int_equal(out.deadline, t0 + 4000 + 200 + 2 + 60000);
    /* B0 ends it */
    command(t0 + 5000, "B0", NULL);
    assert_int_equal(out.len, 0);
    assert_int_equal(out.baud, 300);
    command(t0 + 6000, "R1", "1.8.0()");
    assert_int_equal(out.len, 0);
}

static void test_r1(void **state)
{
    (void)state;
    enter_programming(t0);
    command(t0 + 3000, "R1", "1.8.0()");
    const char *a = answer_data();
    struct pmu_sim_registers r;
    pmu_sim_load_registers(&meter.load, (t0 + 3000) / 1000, &r);
    char expect[64];
    snprintf(expect, sizeof expect, "1.8.0(%06u.%03u*kWh)",
             (unsigned)(r.import_wh % 1000000000u / 1000), (unsigned)(r.import_wh % 1000));
    assert_string_equal(a, expect);
    command(t0 + 4000, "R1", "1.6.0()");
    a = answer_data();
    assert_true(strncmp(a, "1.6.0(", 6) == 0);
    assert_non_null(strstr(a, "*kW)(2401"));
    assert_int_equal(strlen(a), strlen("1.6.0(01.234*kW)(2401151230)"));
    command(t0 + 5000, "R1", "C.1.0()");
    assert_string_equal(answer_data(), "C.1.0(OPM00000001)");
    command(t0 + 6000, "R1", "9.9.9()");
    assert_string_equal(answer_data(), "(ERROR)");
    command(t0 + 7000, "R1", "1.8.0(5)"); /* R1 takes an empty value */
    assert_string_equal(answer_data(), "(ERROR)");
    command(t0 + 8000, "W1", "1.8.0(5)"); /* not a writable address */
    assert_string_equal(answer_data(), "(ERROR)");
}

/* Reads P.01(range) and decodes it with libpmu's readout decoder. */
static void read_profile(int64_t now, const char *range, struct pmu_readout *ro)
{
    char data[64];
    snprintf(data, sizeof data, "P.01(%s)", range);
    command(now, "R5", data);
    const char *a = answer_data();
    pmu_readout_init(ro);
    assert_int_equal(pmu_readout_add_block(ro, (const uint8_t *)a, strlen(a), 0, 0, false), PMU_OK);
}

static uint64_t row_wh(const struct pmu_profile_row *row, size_t channel)
{
    return wh(row->values[channel].text);
}

static void test_r5_sums(void **state)
{
    (void)state;
    enter_programming(t0);
    /* between two readings on interval ends, the profile adds up to the advance */
    int64_t t1, t2;
    assert_int_equal(pmu_sim_time_parse("2024-01-10T06:30:00", &t1, NULL), PMU_OK);
    assert_int_equal(pmu_sim_time_parse("2024-01-14T21:00:00", &t2, NULL), PMU_OK);
    struct pmu_readout ro;
    read_profile(t0 + 3000, "02401100700;02401142100", &ro);
    assert_int_equal(ro.n_profiles, 1);
    const struct pmu_profile *p = &ro.profiles[0];
    assert_int_equal(p->interval_min, 30);
    assert_int_equal(p->n_channels, 3);
    assert_string_equal(p->channels[0].id, "1.29.0");
    assert_string_equal(p->channels[2].unit, "kvarh");
    assert_int_equal(p->start.day, 10);
    assert_int_equal(p->start.hour, 7);
    assert_int_equal(p->start.minute, 0);
    assert_int_equal(p->n_rows, (size_t)(t2 - t1) / 1800);
    uint64_t sum[3] = {0, 0, 0};
    for (size_t i = 0; i < p->n_rows; i++)
        for (size_t c = 0; c < 3; c++)
            sum[c] += row_wh(&p->rows[i], c);
    struct pmu_sim_registers r1, r2;
    pmu_sim_load_registers(&meter.load, t1, &r1);
    pmu_sim_load_registers(&meter.load, t2, &r2);
    assert_int_equal(sum[0], r2.import_wh - r1.import_wh);
    assert_int_equal(sum[1], r2.export_wh - r1.export_wh);
    assert_int_equal(sum[2], r2.reactive_import_varh - r1.reactive_import_varh);
    assert_true(sum[0] > 0);
    /* the last row is the interval that ended at t2 */
    uint32_t last[PMU_SIM_CHANNELS];
    pmu_sim_load_interval(&meter.load, t2, last);
    assert_int_equal(row_wh(&p->rows[p->n_rows - 1], 0), last[PMU_SIM_IMPORT]);
    pmu_readout_free(&ro);

    /* a start between interval ends begins at the next end; seconds and season work */
    read_profile(t0 + 4000, "1240114101500;240114110000", &ro);
    assert_int_equal(ro.profiles[0].start.hour, 10);
    assert_int_equal(ro.profiles[0].start.minute, 30);
    assert_int_equal(ro.profiles[0].n_rows, 2);
    pmu_readout_free(&ro);
}

static void test_r5_ranges(void **state)
{
    (void)state;
    enter_programming(t0); /* meter clock 2024-01-15 12:34:5x */
    struct pmu_readout ro;
    /* open end: up to the last interval that has ended (12:30) */
    read_profile(t0 + 3000, "2401151000;", &ro);
    assert_int_equal(ro.profiles[0].n_rows, 6); /* 10:00 .. 12:30 */
    assert_int_equal(ro.profiles[0].start.hour, 10);
    assert_int_equal(ro.profiles[0].start.minute, 0);
    pmu_readout_free(&ro);
    /* open start: from the oldest interval in memory, 40 days back */
    int64_t oldest, to;
    assert_int_equal(pmu_sim_time_parse("2023-12-06T13:00:00", &oldest, NULL), PMU_OK);
    assert_int_equal(pmu_sim_time_parse("2024-01-01T01:00:00", &to, NULL), PMU_OK);
    read_profile(t0 + 4000, ";2401010100", &ro);
    assert_int_equal(ro.profiles[0].n_rows, (size_t)(to - oldest) / 1800 + 1);
    assert_int_equal(ro.profiles[0].start.month, 12);
    assert_int_equal(ro.profiles[0].start.day, 6);
    assert_int_equal(ro.profiles[0].start.hour, 13);
    pmu_readout_free(&ro);
    /* both open: all 40 days */
    read_profile(t0 + 5000, ";", &ro);
    assert_int_equal(ro.profiles[0].n_rows, PMU_SIM_PROFILE_DAYS * 48);
    assert_int_equal(ro.profiles[0].start.month, 12);
    assert_int_equal(ro.profiles[0].start.day, 6);
    assert_int_equal(ro.profiles[0].start.hour, 13);
    pmu_readout_free(&ro);

    /* empty ranges: reversed, in the future, older than the memory */
    command(t0 + 6000, "R5", "P.01(2401151000;2401150900)");
    assert_string_equal(answer_data(), "P.01(ERROR)");
    command(t0 + 7000, "R5", "P.01(2401160000;)");
    assert_string_equal(answer_data(), "P.01(ERROR)");
    command(t0 + 8000, "R5", "P.01(;2311010000)");
    assert_string_equal(answer_data(), "P.01(ERROR)");
    command(t0 + 9000, "R5", "P.01(2401151001;2401151029)");
    assert_string_equal(answer_data(), "P.01(ERROR)");
    /* malformed requests */
    command(t0 + 10000, "R5", "P.01(24011510;)");
    assert_string_equal(answer_data(), "(ERROR)");
    command(t0 + 11000, "R5", "P.02(;)");
    assert_string_equal(answer_data(), "(ERROR)");
    command(t0 + 12000, "R5", "P.01(2413151000;)");
    assert_string_equal(answer_data(), "(ERROR)");
}

/* ---- Errors on the line and timers -------------------------------------------------- */

static void test_nak_and_bad_bcc(void **state)
{
    (void)state;
    enter_programming(t0);
    command(t0 + 3000, "R1", "C.1.0()");
    size_t n = out.len;
    uint8_t first[128];
    memcpy(first, out.bytes, n);
    feed(t0 + 4000, "\x15");
    assert_int_equal(out.len, n);
    assert_memory_equal(out.bytes, first, n);
    assert_int_equal(out.seg_baud[0], 9600);
    /* two NAKs in one read: two repeats */
    feed(t0 + 5000, "\x15\x15");
    assert_int_equal(out.len, 2 * n);
    /* a command with a bad check character is answered with NAK */
    feed(t0 + 6000, "\x01R1\x02" "C.1.0()\x03X");
    assert_sent("\x15");
    /* and a NAK after that still repeats the last real message */
    feed(t0 + 7000, "\x15");
    assert_int_equal(out.len, n);
}

static void test_inter_char_reset(void **state)
{
    (void)state;
    feed(t0, "/?");
    assert_int_equal(out.len, 0);
    assert_int_equal(out.deadline, t0 + 1500);
    feed(t0 + 1000, "!\r\n"); /* within 1500 ms: one message */
    assert_sent(ident_c);

    new_meter(1);
    feed(t0, "/?");
    timer(t0 + 1499);
    assert_int_equal(out.deadline, t0 + 1500);
    timer(t0 + 1500);
    assert_int_equal(out.deadline, PMU_SIM_NEVER);
    feed(t0 + 1600, "!\r\n"); /* the start was forgotten */
    assert_int_equal(out.len, 0);
    feed(t0 + 1700, "/?!\r\n");
    assert_sent(ident_c);
}

static void test_inactivity(void **state)
{
    (void)state;
    enter_programming(t0);
    int64_t dl = out.deadline;
    assert_true(dl > t0 + 2000 + 60000);
    timer(dl - 1);
    assert_int_equal(out.deadline, dl);
    timer(dl);
    assert_int_equal(out.baud, 300);
    assert_int_equal(out.deadline, PMU_SIM_NEVER);
    command(dl + 100, "R1", "1.8.0()");
    assert_int_equal(out.len, 0);
    /* a valid message restarts the count */
    enter_programming(t0 + 100000);
    command(t0 + 150000, "R1", "C.1.0()");
    timer(t0 + 102000 + 60500);
    command(t0 + 163000, "R1", "C.1.0()");
    assert_string_equal(answer_data(), "C.1.0(OPM00000001)");
}

static void test_reset(void **state)
{
    (void)state;
    enter_programming(t0);
    pmu_sim_meter_reset(&meter);
    command(t0 + 3000, "R1", "1.8.0()");
    assert_int_equal(out.len, 0);
    feed(t0 + 4000, "\x15"); /* nothing left to repeat */
    assert_int_equal(out.len, 0);
}

/* ---- Faults ------------------------------------------------------------------------ */

static void set_faults(const char *spec)
{
    assert_int_equal(pmu_sim_faults_parse(spec, &cfg.faults, NULL), PMU_OK);
    cfg.fault_seed = 42;
    new_meter(1);
}

static void test_fault_corrupt_drop(void **state)
{
    (void)state;
    set_faults("corrupt=1");
    feed(t0, "/?!\r\n");
    assert_int_equal(out.len, strlen(ident_c));
    for (size_t i = 0; i < out.len; i++) {
        uint8_t diff = (uint8_t)(out.bytes[i] ^ (uint8_t)ident_c[i]);
        assert_true(diff != 0 && (diff & (diff - 1)) == 0 && diff < 0x80); /* one data bit */
    }

    set_faults("drop=1");
    feed(t0, "/?!\r\n");
    assert_int_equal(out.n_seg, 1);
    assert_int_equal(out.len, 0);

    /* half the bytes, the same half for the same seed, another for another seed */
    set_faults("drop=0.5");
    feed(t0, "/?!\r\n");
    uint8_t a[64];
    size_t na = out.len;
    memcpy(a, out.bytes, na);
    assert_true(na > 2 && na < strlen(ident_c) - 2);
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_int_equal(out.len, na);
    assert_memory_equal(out.bytes, a, na);
    cfg.fault_seed = 43;
    new_meter(1);
    feed(t0, "/?!\r\n");
    assert_true(out.len != na || memcmp(out.bytes, a, na) != 0);
}

static void test_fault_delay_silence(void **state)
{
    (void)state;
    set_faults("delay=1");
    feed(t0, "/?!\r\n");
    assert_sent(ident_c);
    assert_int_equal(out.seg_gap[0], 2200);

    set_faults("silence=1");
    feed(t0, "/?!\r\n");
    assert_int_equal(out.len, 0);
    assert_int_equal(out.n_seg, 0);
}

static void test_fault_disconnect(void **state)
{
    (void)state;
    set_faults("disconnect=1");
    feed(t0, "/?!\r\n");
    assert_true(out.hangup);
    assert_true(out.len < strlen(ident_c));
    assert_memory_equal(out.bytes, ident_c, out.len);
    /* the session is gone */
    feed(t0 + 1000, "\x06" "050\r\n");
    assert_int_equal(out.len, 0);
}

static void test_fault_password_nak(void **state)
{
    (void)state;
    set_faults("wrong_password=1");
    feed(t0, "/?!\r\n");
    feed(t0 + 1000, "\x06" "051\r\n");
    command(t0 + 2000, "P1", "(00000000)");
    assert_string_equal(answer_data(), "(ERROR)");

    set_faults("nak=1");
    feed(t0, "/?!\r\n");
    assert_sent(ident_c); /* sign-on and option select are not commands */
    feed(t0 + 1000, "\x06" "051\r\n");
    command(t0 + 2000, "P1", "(00000000)");
    assert_sent("\x15");
    feed(t0 + 3000, "\x15"); /* the host's NAK still gets the P0 again */
    assert_memory_equal(out.bytes, "\x01P0", 3);
}

/* ---- W1 writes (generic meter) ---------------------------------------------------- */

static void test_w1_settings(void **state)
{
    (void)state;
    feed(t0, "/?!\r\n");
    feed(t0 + 1000, "\x06" "051\r\n");
    command(t0 + 1500, "W1", "0.4.2(400)");            /* before the password */
    assert_string_equal(answer_data(), "(ERROR)");
    command(t0 + 2000, "P1", "(00000000)");
    command(t0 + 3000, "R1", "0.4.2()");               /* factory value */
    assert_string_equal(answer_data(), "0.4.2(1)");
    command(t0 + 3100, "R1", "128.3.0()");             /* a table's count */
    assert_string_equal(answer_data(), "128.3.0(0)");
    static const char *const good[] = {"0.4.2(400)", "0.4.5(5)", "0.4.3(11000)", "0.4.6(110)",
                                       "0.8.0(30)", "128.8.1(3)", "0.8.4(15)", "128.1.0(2)",
                                       "128.1.1(1,1,1)", "128.4.1(1-0:1.8.0*255)",
                                       "128.7.2.3(22:00,2)", "128.9.16(2024-12-25,2)",
                                       "128.0.1()", "0.2.1(GEN2R-01)"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        command(t0 + 4000 + (int64_t)i * 100, "W1", good[i]);
        assert_sent("\x06");
        char addr[40];
        snprintf(addr, sizeof addr, "%.*s()", (int)strcspn(good[i], "("), good[i]);
        command(t0 + 4050 + (int64_t)i * 100, "R1", addr);
        assert_string_equal(answer_data(), good[i]);
    }
    static const char *const bad[] = {"9.9.9(1)", "128.7.3(1)", "128.8.2(1)", "1.8.0(5)",
                                      "0.4.2", "0.4.2(1(2))", "0.2.1(123456789012345678901234567890123)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        command(t0 + 6000 + (int64_t)i * 100, "W1", bad[i]);
        assert_string_equal(answer_data(), "(ERROR)");
    }
    command(t0 + 7000, "W1", "0.4.2(200)");            /* a second write replaces the first */
    command(t0 + 7100, "B0", NULL);
    pmu_sim_meter_reset(&meter);                        /* a new connection: settings stay */
    enter_programming(t0 + 8000);
    command(t0 + 11000, "R1", "0.4.2()");
    assert_string_equal(answer_data(), "0.4.2(200)");
    command(t0 + 11100, "R1", "9.9.9()");
    assert_string_equal(answer_data(), "(ERROR)");
    assert_true(pmu_sim_generic_writable("128.7.1.0"));
    assert_false(pmu_sim_generic_writable("128.7.0.1"));
}

static void test_fault_cut_after_writes(void **state)
{
    (void)state;
    set_faults("cut_after_writes=2,nak=0");
    assert_int_equal(cfg.faults.cut_after_writes, 2);
    enter_programming(t0);
    command(t0 + 3000, "W1", "0.8.0(15)");
    assert_sent("\x06");
    command(t0 + 3100, "W1", "0.8.4(15)");             /* applied, then the line goes */
    assert_int_equal(out.len, 0);
    assert_true(out.hangup);
    enter_programming(t0 + 4000);                       /* counted per session */
    command(t0 + 7000, "R1", "0.8.4()");
    assert_string_equal(answer_data(), "0.8.4(15)");
    command(t0 + 7100, "W1", "0.8.4(30)");
    assert_sent("\x06");
    struct pmu_error e;
    assert_int_equal(pmu_sim_faults_parse("cut_after_writes=0", &cfg.faults, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_faults_parse("cut_after_writes=1,cut_after_writes=2", &cfg.faults, &e),
                     PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_faults_parse("cut_after_writes", &cfg.faults, &e), PMU_E_SYNTAX);
    assert_int_equal(pmu_sim_faults_parse("cut_after_writes=x", &cfg.faults, &e), PMU_E_SYNTAX);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_mode_c_readout),   T(test_mode_a),          T(test_mode_b),
        T(test_addresses),        T(test_option_select_rules), T(test_fast_reaction),
        T(test_signon_restarts),  T(test_programming),     T(test_r1),
        T(test_r5_sums),          T(test_r5_ranges),       T(test_nak_and_bad_bcc),
        T(test_inter_char_reset), T(test_inactivity),      T(test_reset),
        T(test_fault_corrupt_drop), T(test_fault_delay_silence), T(test_fault_disconnect),
        T(test_fault_password_nak), T(test_w1_settings),   T(test_fault_cut_after_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
