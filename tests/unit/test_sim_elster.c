/* pmu-sim's Elster meters, driven message by message with explicit times: the
 * identification, the P0 seed and P1/P2 log-in at each level, the password timeout,
 * R1 packets of at most 64 bytes and the meter errors, registers against the
 * consumption model and the load profile (decoded with the reader's decoder), billing
 * sets at month ends, writes read back, and the load-profile faults' markers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster.h"
#include "pmu/readout.h"
#include "pmu/sim.h"

/* ---- Helpers ------------------------------------------------------------------ */

static uint8_t out[1 << 14];
static size_t out_len;
static struct pmu_sim_config cfg;
static struct pmu_sim_meter meter;
static struct pmu_elster_model model;
static uint8_t seed[8];
static int64_t now_ms;

static int64_t at(const char *iso)
{
    int64_t s;
    assert_int_equal(pmu_sim_time_parse(iso, &s, NULL), PMU_OK);
    return s * 1000;
}

static void load_model(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/../../models/%s.json", PMU_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_int_equal(pmu_elster_model_load(text, n, &model, NULL), PMU_OK);
}

/* A meter of model `name`; options given as "name=value" pairs, NULL-terminated. */
static void start(const char *name, ...)
{
    pmu_sim_config_init(&cfg);
    assert_int_equal(pmu_sim_config_set(&cfg, "model", name, NULL), PMU_OK);
    va_list ap;
    va_start(ap, name);
    for (const char *opt; (opt = va_arg(ap, const char *)) != NULL;) {
        char key[32];
        const char *eq = strchr(opt, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - opt), opt);
        assert_int_equal(pmu_sim_config_set(&cfg, key, eq + 1, NULL), PMU_OK);
    }
    va_end(ap);
    assert_int_equal(pmu_sim_config_check(&cfg, NULL), PMU_OK);
    load_model(name);
    cfg.elster = &model;
    assert_int_equal(pmu_sim_meter_init(&meter, &cfg, 1), PMU_OK);
}

static int teardown(void **state)
{
    (void)state;
    pmu_sim_meter_free(&meter);
    pmu_elster_model_free(&model);
    return 0;
}

static void feed_n(const void *p, size_t n)
{
    out_len = 0;
    const uint8_t *b = p;
    while (n > 0) {
        size_t used = 0;
        struct pmu_sim_action act;
        assert_int_equal(pmu_sim_meter_input(&meter, now_ms, b, n, &used, &act), PMU_OK);
        for (size_t i = 0; i < act.n_segments; i++) {
            assert_true(out_len + act.seg[i].len <= sizeof out);
            memcpy(out + out_len, act.seg[i].bytes, act.seg[i].len);
            out_len += act.seg[i].len;
        }
        b += used;
        n -= used;
    }
}

static void feed(const char *s)
{
    feed_n(s, strlen(s));
}

/* Sign-on, option select in mode 6, P0: the seed. */
static void sign_on(void)
{
    feed("/?!\r\n");
    feed("\x06" "056\r\n");
    assert_true(out_len == 24 && out[0] == 0x01 && memcmp(out + 1, "P0\x02(", 4) == 0);
    assert_int_equal(pmu_elster_seed_parse(out + 4, 18, seed, NULL), PMU_OK);
}

static void log_in(const char *password, uint8_t expect)
{
    uint8_t resp[8], msg[64];
    assert_int_equal(pmu_elster_password_transform(password, seed, resp, NULL), PMU_OK);
    long n = pmu_elster_build_p2(resp, msg, sizeof msg);
    feed_n(msg, (size_t)n);
    assert_int_equal(out_len, 1);
    assert_int_equal(out[0], expect);
}

static void session(void)
{
    sign_on();
    log_in("00000000", 0x06);
}

/* R1; returns the bytes (PMU_OK) or the meter error (PMU_E_REFUSED, *code). */
static enum pmu_status read_packet(unsigned id, unsigned packet, size_t count, uint8_t *bytes,
                                   size_t *len, int *code)
{
    uint8_t msg[64];
    long n = pmu_elster_build_read(id, packet, count, msg, sizeof msg);
    assert_true(n > 0);
    feed_n(msg, (size_t)n);
    /* STX ( ... ) ETX BCC, the BCC right, at most 64 bytes of data. */
    assert_true(out_len >= 5 && out[0] == 0x02 && out[out_len - 2] == 0x03);
    uint8_t bcc = 0;
    for (size_t i = 1; i < out_len - 1; i++)
        bcc ^= out[i];
    assert_int_equal(bcc, out[out_len - 1]);
    assert_true(out_len <= 2 * PMU_ELSTER_PACKET + 5);
    return pmu_elster_reply_parse(out + 1, out_len - 3, bytes, PMU_ELSTER_PACKET, len, code,
                                  NULL);
}

/* A whole item (all its sets), packet by packet. */
static size_t read_item(unsigned id, uint8_t *bytes, size_t cap)
{
    const struct pmu_elster_identity *ident = pmu_elster_model_identity(&model, id);
    assert_non_null(ident);
    unsigned packets = pmu_elster_packets(ident->length) * ident->sets;
    size_t total = 0;
    for (unsigned p = 1; p <= packets; p++) {
        size_t n;
        int code;
        assert_int_equal(read_packet(id, p, PMU_ELSTER_PACKET, bytes + total, &n, &code), PMU_OK);
        total += n;
        assert_true(total <= cap);
    }
    assert_int_equal(total, ident->length * ident->sets);
    return total;
}

static int read_error(unsigned id, unsigned packet, size_t count)
{
    uint8_t b[64];
    size_t n;
    int code = 0;
    assert_int_equal(read_packet(id, packet, count, b, &n, &code), PMU_E_REFUSED);
    return code;
}

static void write_item(unsigned id, unsigned packet, const uint8_t *data, size_t len,
                       int expect_error)
{
    uint8_t msg[256];
    long n = pmu_elster_build_write(id, packet, data, len, msg, sizeof msg);
    assert_true(n > 0);
    feed_n(msg, (size_t)n);
    if (expect_error == 0) {
        assert_int_equal(out_len, 1);
        assert_int_equal(out[0], 0x06);
        return;
    }
    uint8_t b[8];
    size_t blen;
    int code = 0;
    assert_true(out_len > 3);
    assert_int_equal(pmu_elster_reply_parse(out + 1, out_len - 3, b, sizeof b, &blen, &code, NULL),
                     PMU_E_REFUSED);
    assert_int_equal(code, expect_error);
}

static void end_session(void)
{
    uint8_t msg[8];
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "B0", NULL, 0, msg, sizeof msg);
    feed_n(msg, (size_t)n);
    assert_int_equal(out_len, 0);
}

static uint64_t energy(const uint8_t *p)
{
    uint64_t v;
    assert_int_equal(pmu_elster_bcd_le_decode(p, 8, &v, NULL), PMU_OK);
    return v;
}

/* The load-profile stream of the last `days` days (551), read as a reader does. */
static size_t read_profile(unsigned days, uint8_t *stream, size_t cap)
{
    uint8_t sel[2];
    pmu_elster_lp_select_encode(days, sel);
    write_item(551, 1, sel, 2, 0);
    uint8_t b[64];
    size_t n;
    int code;
    assert_int_equal(read_packet(551, 1, 4, b, &n, &code), PMU_OK);
    assert_int_equal(n, 4);
    struct pmu_elster_lp_size size;
    pmu_elster_lp_size_decode(b, &size);
    unsigned packets = pmu_elster_lp_packets(&size);
    size_t total = 0;
    for (unsigned p = 1; p <= packets; p++) {
        assert_int_equal(read_packet(550, p, 64, stream + total, &n, &code), PMU_OK);
        assert_int_equal(n, 64);
        total += n;
        assert_true(total <= cap);
    }
    assert_int_equal(read_error(550, packets + 1, 64), PMU_ELSTER_ERR_PACKET);
    /* The end marker lies in the last packet, FF padding after it. */
    assert_int_equal(stream[total - 1], 0xFF);
    assert_int_equal(size.blocks64, (packets - 1));
    return total;
}

struct lp_sum {
    uint64_t import;                  /* channel 0 over every interval */
    uint64_t ch[PMU_ELSTER_MAX_CHANNELS]; /* every channel */
    unsigned intervals, markers[256];
    unsigned status_or;
    int64_t first_day;                /* time of the first E4 */
    unsigned period_min;
};

static void decode_profile(const uint8_t *stream, size_t len, struct lp_sum *s)
{
    memset(s, 0, sizeof *s);
    struct pmu_elster_lp d;
    pmu_elster_lp_init(&d, -6);
    struct pmu_elster_lp_item item;
    size_t off = 0;
    enum pmu_status st;
    bool first = true;
    for (;;) {
        size_t used = 0;
        st = pmu_elster_lp_feed(&d, stream + off, len - off, &used, &item, NULL);
        off += used;
        if (st == PMU_OK) {
            if (item.kind == PMU_ELSTER_LP_EVENT) {
                s->markers[item.marker]++;
                if (first && item.marker == PMU_ELSTER_LP_NEW_DAY)
                    s->first_day = item.time, first = false;
                if (item.marker == PMU_ELSTER_LP_NEW_DAY || item.marker == PMU_ELSTER_LP_CONFIG)
                    s->period_min = item.period_min;
            } else {
                s->intervals++;
                s->status_or |= item.status;
                for (size_t c = 0; c < item.n_channels; c++) {
                    s->ch[item.channel[c]] += item.raw[c];
                    if (item.channel[c] == 0)
                        s->import += item.raw[c];
                }
            }
            continue;
        }
        if (st == PMU_DONE)
            break;
        fail_msg("decoder stopped with %d at %zu", st, off);
    }
    /* The decoder may hold intervals back until it sees the end: ask for them. */
    while ((st = pmu_elster_lp_finish(&d, &item, NULL)) == PMU_OK)
        if (item.kind == PMU_ELSTER_LP_INTERVAL) {
            s->intervals++;
            for (size_t c = 0; c < item.n_channels; c++) {
                s->ch[item.channel[c]] += item.raw[c];
                if (item.channel[c] == 0)
                    s->import += item.raw[c];
            }
        }
    assert_int_equal(st, PMU_DONE);
}

/* ---- Tests --------------------------------------------------------------------------- */

static void test_identification(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a1700-16tou", "/GEC5090100010400@000\r\n"},
        {"a1700-32tou", "/GEC5090100100400@000\r\n"},
        {"a1700-32tou-5cdr", "/GEC5090100260400@000\r\n"},
        {"a1140", "/GEC5140100010400@000\r\n"},
        {"a1120", "/GEC5120100010400@000\r\n"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        start(cases[i][0], NULL);
        now_ms = at("2024-03-10T12:00:00");
        feed("/?!\r\n");
        assert_int_equal(out_len, strlen(cases[i][1]));
        assert_memory_equal(out, cases[i][1], out_len);
        /* The reader's model selection picks this model back from the ident. */
        struct pmu_elster_ident id;
        assert_int_equal(pmu_elster_ident_parse((const char *)out, out_len, &id, NULL), PMU_OK);
        assert_int_equal(pmu_elster_model_match(&model, &id), model.n_devices > 0 &&
                                                                  strcmp(model.devices[0], "*") != 0
                                                              ? 2 : 1);
        teardown(NULL);
    }
    /* Elster models speak mode C only, with 8-character passwords. */
    pmu_sim_config_init(&cfg);
    assert_int_equal(pmu_sim_config_set(&cfg, "model", "a1140", NULL), PMU_OK);
    assert_int_equal(pmu_sim_config_set(&cfg, "mode", "A", NULL), PMU_OK);
    assert_int_equal(pmu_sim_config_check(&cfg, NULL), PMU_E_INVALID);
    assert_int_equal(pmu_sim_config_set(&cfg, "model", "A1140!", NULL), PMU_E_INVALID);
    /* Meters refuse to start without the loaded model file. */
    pmu_sim_config_init(&cfg);
    assert_int_equal(pmu_sim_config_set(&cfg, "model", "a1140", NULL), PMU_OK);
    assert_int_equal(pmu_sim_meter_init(&meter, &cfg, 1), PMU_E_INVALID);
    pmu_sim_meter_free(&meter);
}

static void test_seed_and_password(void **state)
{
    (void)state;
    start("a1700-16tou", NULL);
    now_ms = at("2024-03-10T12:00:00");
    feed("/?!\r\n");
    feed("\x06" "056\r\n");
    /* SOH P0 STX (16 hex) ETX BCC: the seed is the meter's generator's next 8 draws. */
    struct pmu_sim_rng r;
    pmu_sim_rng_seed(&r, cfg.fault_seed, 1);
    uint8_t expect[8], frame[40];
    for (int i = 0; i < 8; i++)
        expect[i] = (uint8_t)(pmu_sim_rng_next(&r) >> 24);
    long n = pmu_elster_build_p0(expect, frame, sizeof frame);
    assert_int_equal(out_len, (size_t)n);
    assert_memory_equal(out, frame, out_len);
    assert_int_equal(pmu_elster_seed_parse(out + 4, 18, seed, NULL), PMU_OK);
    /* Wrong password: NAK, and the session waits for another. */
    log_in("12345678", 0x15);
    log_in("00000000", 0x06);
    /* A NAK from the host repeats the ACK. */
    feed("\x15");
    assert_int_equal(out_len, 1);
    assert_int_equal(out[0], 0x06);
    end_session();
    /* A new session has a new seed; the old response is refused. */
    uint8_t old[8];
    memcpy(old, seed, 8);
    now_ms += 1000;
    sign_on();
    assert_memory_not_equal(old, seed, 8);
    uint8_t resp[8], msg[64];
    pmu_elster_password_transform("00000000", old, resp, NULL);
    n = pmu_elster_build_p2(resp, msg, sizeof msg);
    feed_n(msg, (size_t)n);
    assert_int_equal(out[0], 0x15);
    teardown(NULL);

    /* The PROTOCOL.md vector: password FEDC0003 and seed FD2BA0E29731D230 give the
     * response BE2C10B158593B3E, which the meter undoes back to the password. */
    static const uint8_t vseed[8] = {0xFD, 0x2B, 0xA0, 0xE2, 0x97, 0x31, 0xD2, 0x30};
    static const uint8_t vresp[8] = {0xBE, 0x2C, 0x10, 0xB1, 0x58, 0x59, 0x3B, 0x3E};
    uint8_t pwd[8];
    pmu_elster_password_untransform(vresp, vseed, pwd);
    assert_memory_equal(pwd, "FEDC0003", 8);
    start("a1700-16tou", "password=FEDC0003", NULL);
    now_ms = at("2024-03-10T12:00:00");
    sign_on();
    log_in("00000000", 0x15);
    log_in("FEDC0003", 0x06);
    teardown(NULL);
}

static void test_levels(void **state)
{
    (void)state;
    start("a1700-32tou", "password1=LEVEL001", "password2=LEVEL002", "password4=LEVEL004", NULL);
    now_ms = at("2024-03-10T12:00:00");
    static const uint8_t ratio[7] = {0x00, 0x00, 0x10, 0x01, 0x00, 0x10, 0x01};
    uint8_t b[64];
    size_t n;
    int code;
    /* Level 1: the clear password P1 logs in, reads only. */
    sign_on();
    uint8_t msg[64];
    long len = pmu_elster_build_p1("LEVEL001", msg, sizeof msg);
    feed_n(msg, (size_t)len);
    assert_int_equal(out[0], 0x06);
    assert_int_equal(read_packet(798, 1, 16, b, &n, &code), PMU_OK);
    write_item(614, 1, ratio, 7, PMU_ELSTER_ERR_LOCKED);
    /* P1 with any other password is refused, even a good level-3 one. */
    len = pmu_elster_build_p1("00000000", msg, sizeof msg);
    feed_n(msg, (size_t)len);
    assert_int_equal(out[0], 0x15);
    end_session();
    /* Level 2: reads only. Levels 3 and 4: writes. */
    sign_on();
    log_in("LEVEL002", 0x06);
    assert_int_equal(read_packet(798, 1, 16, b, &n, &code), PMU_OK);
    write_item(614, 1, ratio, 7, PMU_ELSTER_ERR_LOCKED);
    log_in("LEVEL004", 0x06);
    write_item(614, 1, ratio, 7, 0);
    log_in("00000000", 0x06);
    write_item(614, 1, ratio, 7, 0);
    end_session();
    teardown(NULL);

    /* Without password1 the meter takes no P1. */
    start("a1700-16tou", NULL);
    now_ms = at("2024-03-10T12:00:00");
    sign_on();
    len = pmu_elster_build_p1("00000000", msg, sizeof msg);
    feed_n(msg, (size_t)len);
    assert_int_equal(out[0], 0x15);
    teardown(NULL);
}

static void test_errors_and_timeout(void **state)
{
    (void)state;
    start("a1700-16tou", "password_timeout=30", NULL);
    now_ms = at("2024-03-10T12:00:00");
    sign_on();
    /* Before a password: ERR5. */
    assert_int_equal(read_error(798, 1, 16), PMU_ELSTER_ERR_LOCKED);
    log_in("00000000", 0x06);
    assert_int_equal(read_error(999, 1, 16), PMU_ELSTER_ERR_IDENTITY);
    assert_int_equal(read_error(798, 2, 16), PMU_ELSTER_ERR_PACKET);
    assert_int_equal(read_error(655, 1, 1), PMU_ELSTER_ERR_COMMAND);
    /* LL above 0x40. */
    static const char big[] = "798001(41)";
    uint8_t msg[64];
    long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "R1", (const uint8_t *)big, strlen(big), msg,
                                   sizeof msg);
    feed_n(msg, (size_t)n);
    assert_memory_equal(out, "\x02(ERR3)\x03", 8);
    /* Unknown commands: ERR1; W1 to a read-only identity: ERR1. */
    n = pmu_iec_build_command(PMU_CHECKSUM_XOR, "E2", (const uint8_t *)"x", 1, msg, sizeof msg);
    feed_n(msg, (size_t)n);
    assert_memory_equal(out, "\x02(ERR1)\x03", 8);
    uint8_t zeros[16] = {0};
    write_item(798, 1, zeros, 16, PMU_ELSTER_ERR_COMMAND);
    write_item(861, 1, zeros, 6, PMU_ELSTER_ERR_COMMAND);
    /* 64-byte packets: 510 is 288 bytes = 4 x 64 + 32. */
    uint8_t b[64];
    size_t len;
    int code;
    for (unsigned p = 1; p <= 4; p++) {
        assert_int_equal(read_packet(510, p, 64, b, &len, &code), PMU_OK);
        assert_int_equal(len, 64);
    }
    assert_int_equal(read_packet(510, 5, 64, b, &len, &code), PMU_OK);
    assert_int_equal(len, 32);
    assert_int_equal(read_error(510, 6, 64), PMU_ELSTER_ERR_PACKET);
    assert_int_equal(read_packet(510, 1, 12, b, &len, &code), PMU_OK);
    assert_int_equal(len, 12);
    /* 798 byte for byte: the 16-byte serial number. */
    assert_int_equal(read_packet(798, 1, 16, b, &len, &code), PMU_OK);
    assert_memory_equal(out, "\x02(4F504D30303030303030312020202020)\x03", 36);
    assert_memory_equal(b, "OPM00000001     ", 16);
    /* The password times out 30 s after the log-in; a new P2 renews it. */
    now_ms += 29000;
    assert_int_equal(read_packet(798, 1, 16, b, &len, &code), PMU_OK);
    now_ms += 1000;
    assert_int_equal(read_error(798, 1, 16), PMU_ELSTER_ERR_LOCKED);
    log_in("00000000", 0x06);
    assert_int_equal(read_packet(798, 1, 16, b, &len, &code), PMU_OK);
    teardown(NULL);
}

static void test_registers_and_profile(void **state)
{
    (void)state;
    start("a1700-16tou", NULL);
    int64_t t1 = at("2024-03-10T12:10:00");
    now_ms = t1;
    session();
    uint8_t r[80];
    read_item(507, r, sizeof r);
    struct pmu_sim_registers reg;
    pmu_sim_load_registers(&meter.load, t1 / 1000, &reg);
    /* Without faults the registers are the consumption model's (generic 1.8.0 ...). */
    assert_true(energy(r) == reg.import_wh * 1000);
    assert_true(energy(r + 8) == reg.export_wh * 1000);
    assert_true(energy(r + 16) == reg.reactive_import_varh * 1000);
    uint8_t tou[128];
    read_item(508, tou, sizeof tou);
    assert_true(energy(tou) == reg.import_day_wh * 1000);
    assert_true(energy(tou + 8) == reg.import_night_wh * 1000);
    uint64_t import1 = energy(r);
    static uint8_t lp1[1 << 15], lp2[1 << 15];
    size_t n1 = read_profile(3, lp1, sizeof lp1);
    struct lp_sum s1;
    decode_profile(lp1, n1, &s1);
    assert_int_equal(s1.first_day, at("2024-03-07T00:00:00") / 1000);
    assert_int_equal(s1.intervals, 3 * 48 + 24);
    assert_int_equal(s1.markers[PMU_ELSTER_LP_NEW_DAY], 4);
    assert_int_equal(s1.period_min, 30);
    end_session();
    /* Two days later: the register advance is the profile's sum over those days. */
    now_ms = t1 + 2 * 86400000LL;
    session();
    read_item(507, r, sizeof r);
    size_t n2 = read_profile(5, lp2, sizeof lp2);
    struct lp_sum s2;
    decode_profile(lp2, n2, &s2);
    assert_int_equal(s2.first_day, s1.first_day);
    assert_true(energy(r) - import1 == s2.import - s1.import);
    /* The interval ending 2024-03-11T00:30 is the consumption model's. */
    uint32_t iv[PMU_SIM_CHANNELS];
    pmu_sim_load_interval(&meter.load, at("2024-03-11T00:30:00") / 1000, iv);
    assert_true(iv[PMU_SIM_IMPORT] > 0);
    /* All days (FFFF): 40 days before today plus today. */
    size_t n3 = read_profile(PMU_ELSTER_LP_ALL_DAYS, lp2, sizeof lp2);
    struct lp_sum s3;
    decode_profile(lp2, n3, &s3);
    assert_int_equal(s3.markers[PMU_ELSTER_LP_NEW_DAY], 41);
    teardown(NULL);
}

static void test_every_identity(void **state)
{
    (void)state;
    static const char *const names[] = {"a1700-16tou", "a1700-32tou", "a1700-32tou-5cdr",
                                        "a1140", "a1120"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        start(names[k], NULL);
        now_ms = at("2024-03-10T12:00:00");
        session();
        for (size_t i = 0; i < model.n_identities; i++) {
            const struct pmu_elster_identity *id = &model.identities[i];
            if (id->encoding == PMU_ELSTER_ENC_LP_STREAM || id->id == 551)
                continue; /* read through the selection: test_registers_and_profile */
            if (!id->readable) {
                assert_int_equal(read_error(id->id, 1, 64), PMU_ELSTER_ERR_COMMAND);
                continue;
            }
            static uint8_t item[16384];
            read_item(id->id, item, sizeof item); /* every packet, all sets, full length */
            unsigned past = pmu_elster_packets(id->length) * id->sets + 1;
            assert_int_equal(read_error(id->id, past, 64), PMU_ELSTER_ERR_PACKET);
            if (id->encoding == PMU_ELSTER_ENC_BILLING_SET) {
                struct pmu_elster_billing b;
                assert_int_equal(pmu_elster_billing_decode(item, id->length, model.tou_registers,
                                                           model.cdr_count == 5, &b, NULL),
                                 PMU_OK);
                assert_true(b.billing_count > 0);
            }
        }
        /* The A1120 has no load profile: 550 is ERR2. */
        if (pmu_elster_model_identity(&model, 550) == NULL)
            assert_int_equal(read_error(550, 1, 64), PMU_ELSTER_ERR_IDENTITY);
        teardown(NULL);
    }
}

static void test_billing(void **state)
{
    (void)state;
    start("a1700-32tou", NULL);
    now_ms = at("2024-03-10T12:00:00");
    session();
    const struct pmu_elster_identity *id = pmu_elster_model_identity(&model, 543);
    static uint8_t sets[12 * 743];
    read_item(543, sets, sizeof sets);
    struct pmu_elster_billing b0, b1;
    assert_int_equal(pmu_elster_billing_decode(sets, id->length, 32, false, &b0, NULL), PMU_OK);
    assert_int_equal(pmu_elster_billing_decode(sets + id->length, id->length, 32, false, &b1, NULL),
                     PMU_OK);
    int64_t march = at("2024-03-01T00:00:00") / 1000, feb = at("2024-02-01T00:00:00") / 1000;
    assert_int_equal(b0.period_end, march);
    assert_int_equal(b0.period_start, feb);
    assert_int_equal(b0.trigger, PMU_ELSTER_TRIGGER_BILLING_DATE);
    assert_int_equal(b1.period_end, feb);
    assert_int_equal(b0.billing_count, b1.billing_count + 1);
    /* The set holds the registers at the month end. */
    struct pmu_sim_registers reg;
    pmu_sim_load_registers(&meter.load, march, &reg);
    char text[32];
    pmu_elster_format_scaled(reg.import_wh * 1000, -6, text, sizeof text);
    assert_string_equal(b0.cumulative[0], text);
    assert_true(b0.md[0].has_time);
    /* 655 ends a billing period now: a new set 0, triggered by the serial port. */
    now_ms += 60000;
    write_item(655, 1, NULL, 0, 0);
    read_item(543, sets, sizeof sets);
    struct pmu_elster_billing c0;
    assert_int_equal(pmu_elster_billing_decode(sets, id->length, 32, false, &c0, NULL), PMU_OK);
    assert_int_equal(c0.trigger, PMU_ELSTER_TRIGGER_SERIAL);
    assert_int_equal(c0.period_end, now_ms / 1000);
    assert_int_equal(c0.billing_count, b0.billing_count + 1);
    /* MD restarts: no peak in the new period yet. */
    uint8_t md[288];
    read_item(510, md, sizeof md);
    struct pmu_elster_md m;
    assert_int_equal(pmu_elster_md_decode(md, &m, NULL), PMU_OK);
    assert_false(m.has_time);
    teardown(NULL);
}

static void test_writes_read_back(void **state)
{
    (void)state;
    start("a1700-16tou", NULL);
    now_ms = at("2024-03-10T12:10:00");
    session();
    uint8_t r[80];
    read_item(507, r, sizeof r);
    uint64_t import1 = energy(r);
    static uint8_t lp[1 << 15];
    struct lp_sum before;
    decode_profile(lp, read_profile(0, lp, sizeof lp), &before);
    uint8_t b[128];
    static const uint8_t vt[7] = {0x00, 0x00, 0x10, 0x01, 0x00, 0x10, 0x01};
    static const uint8_t ct[6] = {0x00, 0x20, 0x00, 0x00, 0x00, 0x05};
    write_item(614, 1, vt, 7, 0);
    write_item(616, 1, ct, 6, 0);
    static const uint8_t scheme[16] = "SCHEME-42       ";
    write_item(795, 1, scheme, 16, 0);
    static const uint8_t mask[2] = {0x01, 0x03}; /* import, export, CDR1 (channel 7) */
    write_item(777, 1, mask, 2, 0);
    static const uint8_t period[3] = {15, 15, 1};
    write_item(878, 1, period, 3, 0);
    static const uint8_t bad_period[3] = {7, 7, 1};
    write_item(878, 1, bad_period, 3, PMU_ELSTER_ERR_COMMAND);
    /* TOU tables: a season, a week profile, day type 3 (packet 4), special days. */
    uint8_t seasons[32] = {1, 1, 2, 0}, week[56] = {0}, day3[48], special[128] = {0};
    memset(day3, 0xFF, sizeof day3);
    day3[0] = 0, day3[1] = 0, day3[2] = 3;
    for (int i = 14; i < 21; i++)
        week[i] = 3;
    special[0] = 12, special[1] = 25, special[2] = 3, special[3] = 0xFF;
    write_item(930, 1, seasons, 32, 0);
    write_item(931, 1, week, 56, 0);
    write_item(932, 4, day3, 48, 0);
    write_item(933, 1, special, 64, 0);
    write_item(933, 2, special + 64, 64, 0);
    write_item(934, 1, NULL, 0, 0);
    /* The clock: one hour on. */
    struct pmu_timestamp ts;
    pmu_timestamp_from_seconds(now_ms / 1000 + 3600, &ts);
    uint8_t clock[7];
    pmu_elster_datetime_encode(&ts, clock, NULL);
    write_item(861, 1, clock, 7, 0);
    end_session();

    /* Another session, 2 hours later: everything reads back. */
    now_ms += 2 * 3600000LL;
    session();
    size_t n;
    int code;
    assert_int_equal(read_packet(614, 1, 7, b, &n, &code), PMU_OK);
    assert_memory_equal(b, vt, 7);
    assert_int_equal(read_packet(616, 1, 6, b, &n, &code), PMU_OK);
    assert_memory_equal(b, ct, 6);
    assert_int_equal(read_packet(795, 1, 16, b, &n, &code), PMU_OK);
    assert_memory_equal(b, scheme, 16);
    assert_int_equal(read_packet(777, 1, 2, b, &n, &code), PMU_OK);
    assert_memory_equal(b, mask, 2);
    assert_int_equal(read_packet(878, 1, 3, b, &n, &code), PMU_OK);
    assert_memory_equal(b, period, 3);
    assert_int_equal(read_packet(930, 1, 32, b, &n, &code), PMU_OK);
    assert_memory_equal(b, seasons, 32);
    assert_int_equal(read_packet(932, 4, 48, b, &n, &code), PMU_OK);
    assert_memory_equal(b, day3, 48);
    assert_int_equal(read_packet(933, 2, 64, b, &n, &code), PMU_OK);
    assert_memory_equal(b, special + 64, 64);
    assert_int_equal(read_packet(861, 1, 7, b, &n, &code), PMU_OK);
    struct pmu_timestamp back;
    assert_int_equal(pmu_elster_datetime_decode(b, &back, NULL), PMU_OK);
    assert_int_equal(pmu_timestamp_to_seconds(&back), now_ms / 1000 + 3600);
    /* Instantaneous values: 605 asks, reads back ready, 606 answers. */
    uint8_t req = (uint8_t)pmu_elster_instant_request(0, PMU_ELSTER_Q_VOLTAGE);
    write_item(605, 1, &req, 1, 0);
    assert_int_equal(read_packet(605, 1, 1, b, &n, &code), PMU_OK);
    assert_true(pmu_elster_instant_ready(b[0]));
    assert_int_equal(read_packet(606, 1, 7, b, &n, &code), PMU_OK);
    struct pmu_elster_instant inst;
    assert_int_equal(pmu_elster_instant_decode(b, &inst, NULL), PMU_OK);
    assert_true(inst.available);
    double volts = atof(inst.value);
    assert_true(volts >= 227.0 && volts <= 233.0);
    /* The programming counter counted the writes; the status says "comms write". */
    assert_int_equal(read_packet(680, 1, 14, b, &n, &code), PMU_OK);
    struct pmu_elster_counter cnt;
    assert_int_equal(pmu_elster_counter_decode(b, 14, &cnt, NULL), PMU_OK);
    assert_int_equal(cnt.count, 12);
    /* The profile shows E8 twice, the time change, and 15-minute intervals after. */
    size_t len = read_profile(0, lp, sizeof lp);
    struct lp_sum s;
    decode_profile(lp, len, &s);
    assert_int_equal(s.markers[PMU_ELSTER_LP_CONFIG], 2);
    assert_int_equal(s.markers[PMU_ELSTER_LP_TIME_CHANGE], 1);
    assert_int_equal(s.period_min, 15);
    assert_true(s.status_or & PMU_ELSTER_LP_TIME_SYNC);
    assert_int_equal(s.first_day, before.first_day);
    /* The register's advance since the first session is the profile's, through the
     * clock change and the new channels and period. */
    read_item(507, r, sizeof r);
    assert_true(energy(r) - import1 == s.import - before.import);
    assert_true(cnt.times[0] == now_ms / 1000 - 2 * 3600 + 3600); /* meter clock of the 861 write */
    teardown(NULL);
}

static void test_profile_faults(void **state)
{
    (void)state;
    start("a1700-16tou", "faults=power_fail=0.5,clock_change=0.5", NULL);
    int64_t t1 = at("2024-03-10T12:10:00");
    now_ms = t1;
    session();
    uint8_t r[80], r1[80];
    read_item(507, r, sizeof r);
    memcpy(r1, r, sizeof r1);
    uint64_t import1 = energy(r);
    static uint8_t lp1[1 << 15], lp2[1 << 15];
    size_t n1 = read_profile(6, lp1, sizeof lp1);
    struct lp_sum s1;
    decode_profile(lp1, n1, &s1);
    end_session();
    now_ms = t1 + 3 * 86400000LL;
    session();
    read_item(507, r, sizeof r);
    size_t n2 = read_profile(9, lp2, sizeof lp2);
    struct lp_sum s2;
    decode_profile(lp2, n2, &s2);
    assert_int_equal(s2.first_day, s1.first_day);
    /* Markers of both faults, split intervals flagged ... */
    assert_true(s2.markers[PMU_ELSTER_LP_POWER_DOWN] > 0);
    assert_int_equal(s2.markers[PMU_ELSTER_LP_POWER_DOWN], s2.markers[PMU_ELSTER_LP_POWER_UP]);
    assert_true(s2.markers[PMU_ELSTER_LP_TIME_CHANGE] > 0);
    assert_true(s2.status_or & PMU_ELSTER_LP_TRANSIENT_RESET);
    assert_true(s2.status_or & PMU_ELSTER_LP_TIME_SYNC);
    /* ... and still: register advance = profile sum, on every channel the profile
     * carries (import, export, Q1, Q4). */
    assert_true(energy(r) - import1 == s2.import - s1.import);
    static const unsigned carried[] = {0, 1, 2, 5};
    for (size_t k = 0; k < 4; k++) {
        unsigned c = carried[k];
        assert_true(energy(r + 8 * c) - energy(r1 + 8 * c) == s2.ch[c] - s1.ch[c]);
    }
    assert_true(s2.ch[5] > 0 || s2.ch[1] == 0); /* Q4 follows export */
    /* The events and the power-down counter count the outages. */
    uint8_t ev[66 * 12];
    read_item(544, ev, sizeof ev);
    struct pmu_elster_events e;
    assert_int_equal(pmu_elster_events_decode(ev, 66, &e, NULL), PMU_OK);
    assert_true(e.power_fail_count >= s2.markers[PMU_ELSTER_LP_POWER_DOWN]);
    teardown(NULL);

    /* Without the faults: no such markers, and the same seeds give the same stream. */
    start("a1700-16tou", NULL);
    now_ms = t1;
    session();
    n1 = read_profile(6, lp1, sizeof lp1);
    decode_profile(lp1, n1, &s1);
    assert_int_equal(s1.markers[PMU_ELSTER_LP_POWER_DOWN], 0);
    assert_int_equal(s1.markers[PMU_ELSTER_LP_TIME_CHANGE], 0);
    teardown(NULL);
}

static void test_comms_faults(void **state)
{
    (void)state;
    /* nak: a good command is answered with NAK and has no effect. */
    start("a1700-16tou", "faults=nak=1", NULL);
    now_ms = at("2024-03-10T12:00:00");
    sign_on();
    uint8_t resp[8], msg[64];
    pmu_elster_password_transform("00000000", seed, resp, NULL);
    long n = pmu_elster_build_p2(resp, msg, sizeof msg);
    feed_n(msg, (size_t)n);
    assert_int_equal(out_len, 1);
    assert_int_equal(out[0], 0x15);
    teardown(NULL);
    /* wrong_password: a correct password is refused. */
    start("a1700-16tou", "faults=wrong_password=1", NULL);
    now_ms = at("2024-03-10T12:00:00");
    sign_on();
    log_in("00000000", 0x15);
    teardown(NULL);
    /* silence: no answer at all. */
    start("a1700-16tou", "faults=silence=1", NULL);
    now_ms = at("2024-03-10T12:00:00");
    feed("/?!\r\n");
    assert_int_equal(out_len, 0);
    teardown(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identification),
        cmocka_unit_test(test_seed_and_password),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_errors_and_timeout),
        cmocka_unit_test(test_registers_and_profile),
        cmocka_unit_test(test_every_identity),
        cmocka_unit_test(test_billing),
        cmocka_unit_test(test_writes_read_back),
        cmocka_unit_test(test_profile_faults),
        cmocka_unit_test(test_comms_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
