/* The Elster session driver inside the generic session, driven millisecond by
 * millisecond: the test plays an A1700 whose answers are built with the codec's
 * meter-side encoders (pmu_elster_build_p0/reply/meter_error, the LP stream encoders),
 * with the PROTOCOL.md vectors where there are some. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster_session.h"
#include "pmu/session.h"

static struct pmu_elster_model models[2];

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    static char buf[1 << 16];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int load_models(void **state)
{
    (void)state;
    const char *files[] = {"a1700-16tou.json", "a1120.json"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/../../models/%s", PMU_TEST_DATA_DIR, files[i]);
        size_t len;
        char *text = read_text(path, &len);
        struct pmu_error err;
        if (pmu_elster_model_load(text, len, &models[i], &err) != PMU_OK)
            fail_msg("%s: %s", files[i], err.message);
    }
    return 0;
}

static int free_models(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++)
        pmu_elster_model_free(&models[i]);
    return 0;
}

/* ---- the played meter ---------------------------------------------------------------- */

#define N_ITEMS 40
struct item {
    unsigned id;
    uint8_t bytes[2048];
    size_t len;
};

static struct meter {
    const char *ident;
    uint8_t seed[8];
    char password[9];
    bool nak_password;
    unsigned err_once_id, err_once_code; /* answer this ERR once to a read of id */
    unsigned err_id, err_code;           /* always */
    bool ignore_writes;                  /* ACK writes but keep the old value */
    struct item items[N_ITEMS];
    size_t n_items;
    unsigned p2_seen, p1_seen, b0_seen, reads, writes;
    bool logged_in;
    char last_p2[17];
    size_t secret_off, secret_len;       /* of the last password frame the host sent */
    uint8_t lp[4096];
    size_t lp_len;
} m;

static struct pmu_session s;
static struct pmu_session_out out;
static struct pmu_iec_parser meter_parser;
static uint8_t reply[512];
static size_t reply_len;

static struct item *item_of(unsigned id)
{
    for (size_t i = 0; i < m.n_items; i++)
        if (m.items[i].id == id)
            return &m.items[i];
    return NULL;
}

static void set_item(unsigned id, const uint8_t *bytes, size_t len)
{
    struct item *it = item_of(id);
    if (it == NULL) {
        assert_true(m.n_items < N_ITEMS);
        it = &m.items[m.n_items++];
    }
    it->id = id;
    memcpy(it->bytes, bytes, len);
    it->len = len;
}

static void answer_error(int code)
{
    long n = pmu_elster_build_meter_error(code, reply, sizeof reply);
    assert_true(n > 0);
    reply_len = (size_t)n;
}

static void answer_ack(void)
{
    reply[0] = 0x06;
    reply_len = 1;
}

static void on_request(const struct pmu_iec_frame *f)
{
    if (f->kind == PMU_IEC_SIGNON) {
        reply_len = (size_t)snprintf((char *)reply, sizeof reply, "%s\r\n", m.ident);
    } else if (f->kind == PMU_IEC_OPTION || (f->kind == PMU_IEC_ACK && f->data_len > 0)) {
        long n = pmu_elster_build_p0(m.seed, reply, sizeof reply);
        reply_len = (size_t)n;
    } else if (f->kind == PMU_IEC_COMMAND && strcmp(f->cmd, "B0") == 0) {
        m.b0_seen++;
    } else if (f->kind == PMU_IEC_COMMAND && (strcmp(f->cmd, "P2") == 0 || strcmp(f->cmd, "P1") == 0)) {
        bool p2 = f->cmd[1] == '2';
        m.p2_seen += p2;
        m.p1_seen += !p2;
        bool ok;
        if (p2) {
            uint8_t resp[8], pwd[8];
            assert_int_equal(pmu_elster_seed_parse(f->data, f->data_len, resp, NULL), PMU_OK);
            snprintf(m.last_p2, sizeof m.last_p2, "%.16s", (const char *)f->data + 1);
            pmu_elster_password_untransform(resp, m.seed, pwd);
            ok = memcmp(pwd, m.password, 8) == 0;
        } else {
            ok = f->data_len == 10 && memcmp(f->data + 1, m.password, 8) == 0;
        }
        if (m.nak_password)
            ok = false;
        m.logged_in = ok;
        if (ok)
            answer_ack();
        else
            reply[0] = 0x15, reply_len = 1;
    } else if (f->kind == PMU_IEC_COMMAND) {
        struct pmu_elster_request rq;
        assert_int_equal(pmu_elster_request_parse(f->cmd, f->data, f->data_len, &rq, NULL), PMU_OK);
        if (!m.logged_in) {
            answer_error(PMU_ELSTER_ERR_LOCKED);
            return;
        }
        if (rq.id == m.err_id) {
            answer_error((int)m.err_code);
            return;
        }
        if (rq.id == m.err_once_id && m.err_once_code) {
            answer_error((int)m.err_once_code);
            m.err_once_code = 0;
            m.logged_in = false; /* as after a password time-out */
            return;
        }
        if (rq.write) {
            m.writes++;
            if (rq.id == 551) {
                answer_ack();
                return;
            }
            struct item *it = item_of(rq.id);
            size_t off = (rq.packet - 1) * 64;
            if (it != NULL && !m.ignore_writes && off + rq.data_len <= sizeof it->bytes)
                memcpy(it->bytes + off, rq.data, rq.data_len);
            answer_ack();
            return;
        }
        m.reads++;
        if (rq.id == 550) {
            size_t off = (rq.packet - 1) * 64;
            uint8_t pkt[64];
            memset(pkt, 0xFF, sizeof pkt);
            if (off < m.lp_len)
                memcpy(pkt, m.lp + off, m.lp_len - off < 64 ? m.lp_len - off : 64);
            reply_len = (size_t)pmu_elster_build_reply(pkt, rq.count, reply, sizeof reply);
            return;
        }
        if (rq.id == 551) {
            struct pmu_elster_lp_size size = {(unsigned)(m.lp_len / 64), (unsigned)(m.lp_len / 256)};
            uint8_t p[4];
            pmu_elster_lp_size_encode(&size, p);
            reply_len = (size_t)pmu_elster_build_reply(p, 4, reply, sizeof reply);
            return;
        }
        struct item *it = item_of(rq.id);
        if (it == NULL) {
            answer_error(PMU_ELSTER_ERR_IDENTITY);
            return;
        }
        size_t off = (rq.packet - 1) * 64;
        if (off + rq.count > it->len) {
            answer_error(PMU_ELSTER_ERR_PACKET);
            return;
        }
        reply_len = (size_t)pmu_elster_build_reply(it->bytes + off, rq.count, reply, sizeof reply);
    }
}

/* Runs the session to its end: each host message is answered 50 ms after it left. */
static void init_session(void);

static void run_session(uint64_t limit_ms)
{
    init_session();
    uint64_t t = 1000;
    pmu_session_start(&s, t, &out);
    while (!out.done) {
        uint64_t answer_at = 0;
        reply_len = 0;
        if (out.send_len > 0) {
            if (out.secret_len > 0) {
                m.secret_off = out.secret_off;
                m.secret_len = out.secret_len;
            }
            size_t pos = 0;
            while (pos < out.send_len) {
                struct pmu_iec_frame f;
                size_t used = 0;
                enum pmu_status st = pmu_iec_parser_feed(&meter_parser, out.send + pos, out.send_len - pos, &used, &f, NULL);
                pos += used;
                if (st == PMU_AGAIN)
                    break;
                if (st == PMU_OK)
                    on_request(&f);
            }
            answer_at = t + pmu_wire_ms(out.send_len, 9600) + 50;
        }
        if (reply_len > 0 && (out.wake_at == 0 || answer_at <= out.wake_at)) {
            t = answer_at;
            uint8_t copy[512];
            memcpy(copy, reply, reply_len);
            pmu_session_input(&s, t, copy, reply_len, &out);
        } else {
            assert_true(out.wake_at != 0);
            t = out.wake_at;
            pmu_session_timer(&s, t, &out);
        }
        assert_true(t < limit_ms);
    }
}

/* A default A1700 with known registers. */
static void meter_reset(void)
{
    memset(&m, 0, sizeof m);
    m.ident = "/GEC5090101000400@000"; /* device 100: 16 TOU */
    memcpy(m.seed, "\xFD\x2B\xA0\xE2\x97\x31\xD2\x30", 8); /* PROTOCOL.md vector */
    strcpy(m.password, "FEDC0003");
    uint8_t serial[16];
    memset(serial, ' ', 16);
    memcpy(serial, "12345678", 8);
    set_item(798, serial, 16);
    uint8_t regs[80] = {0};
    memcpy(regs, "\x89\x67\x45\x23\x01\x00\x00\x00", 8); /* 123.456789 kWh */
    memcpy(regs + 8, "\x00\x00\x00\x00\x10\x00\x00\x00", 8); /* 1000.000000 kWh export */
    set_item(507, regs, 80);
    struct pmu_timestamp t = {-1, 2024, 1, 15, 12, 30, 40};
    uint8_t clock[7];
    assert_int_equal(pmu_elster_datetime_encode(&t, clock, NULL), PMU_OK);
    set_item(861, clock, 7);
    uint8_t md[288] = {0}, src[8] = {1, 1, 2, 3, 4, 5, 6, 7};
    struct pmu_elster_md rec = {true, pmu_timestamp_to_seconds(&t) - 3600, 1, "12.345000"};
    for (unsigned k = 0; k < 24; k++) {
        rec.source = src[k / 3];
        assert_int_equal(pmu_elster_md_encode(&rec, md + 12 * k, NULL), PMU_OK);
    }
    set_item(510, md, 288);
    set_item(668, src, 8);
    uint8_t vt[7];
    struct pmu_elster_ratio r = {"11000.00", "110.00"};
    assert_int_equal(pmu_elster_ratio_encode(&r, vt, 7, NULL), PMU_OK);
    set_item(614, vt, 7);
    uint8_t period[3] = {30, 5, 6};
    set_item(878, period, 3);
    pmu_iec_parser_free(&meter_parser);
    struct pmu_iec_parser_options po = {.checksum = PMU_CHECKSUM_XOR};
    assert_int_equal(pmu_iec_parser_init(&meter_parser, &po), PMU_OK);
}

static struct pmu_elster_plan plan;

static struct pmu_path path;

/* The plan of the next session; tests change it before run_session. */
static void start(const char *path_text, unsigned reads)
{
    memset(&plan, 0, sizeof plan);
    plan.models = models;
    plan.n_models = 2;
    plan.password = "FEDC0003";
    plan.reads = reads;
    assert_int_equal(pmu_path_parse(path_text, &path, NULL), PMU_OK);
}

static void init_session(void)
{
    struct pmu_read_request req = {.elster = &plan};
    struct pmu_error err;
    if (pmu_session_init(&s, &path, &req, &err) != PMU_OK)
        fail_msg("%s", err.message);
    /* host clock: session ms 1000 is 2024-01-15T12:30:00 */
    struct pmu_timestamp t = {-1, 2024, 1, 15, 12, 30, 0};
    pmu_session_set_host_clock(&s, pmu_timestamp_to_seconds(&t) * 1000 - 1000);
}

static int teardown(void **state)
{
    (void)state;
    pmu_session_free(&s);
    pmu_iec_parser_free(&meter_parser);
    memset(&meter_parser, 0, sizeof meter_parser);
    return 0;
}

static const struct pmu_record *record(const char *address)
{
    for (size_t i = 0; i < s.result.n_records; i++)
        if (strcmp(s.result.records[i].address, address) == 0)
            return &s.result.records[i];
    fail_msg("no record %s", address);
    return NULL;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_signon_p2_vector_and_registers(void **state)
{
    (void)state;
    meter_reset();
    start("serial:/dev/null", PMU_ELSTER_READ_SERIAL | PMU_ELSTER_READ_REGISTERS | PMU_ELSTER_READ_CLOCK);
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    /* P2 from the PROTOCOL.md vector, and it is the secret part of the frame */
    assert_string_equal(m.last_p2, "BE2C10B158593B3E");
    assert_int_equal(m.secret_off, 4);
    assert_int_equal(m.secret_len, 18);
    assert_int_equal(m.b0_seen, 1);
    const struct pmu_elster_result *r = &s.elster->result;
    assert_string_equal(r->model->name, "A1700-16TOU");
    assert_string_equal(r->ident.device, "100");
    assert_string_equal(r->serial, "12345678");
    assert_string_equal(record("0-0:96.1.0*255")->values[0].text, "12345678");
    const struct pmu_record *imp = record("1-1:1.8.0*255");
    assert_string_equal(imp->values[0].text, "123.456789");
    assert_string_equal(imp->values[0].unit, "kWh");
    assert_true(imp->has_obis);
    assert_string_equal(record("1-1:2.8.0*255")->values[0].text, "1000.000000");
    /* clock 12:30:40 against the host's 12:30:00 + the time the session took */
    assert_true(r->has_clock);
    assert_string_equal(record("0-0:1.0.0*255")->values[0].text, "2024-01-15T12:30:40");
    int64_t offset = r->meter_time - r->host_time;
    assert_true(offset > 30 && offset <= 40);
}

static void test_md_ratios_period(void **state)
{
    (void)state;
    meter_reset();
    start("serial:/dev/null", PMU_ELSTER_READ_MD | PMU_ELSTER_READ_RATIOS | PMU_ELSTER_READ_LP_CONFIG);
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    /* MD register 0 (import), 1st highest: 1-1:1.6.0; register 1 also import: E = 1 */
    const struct pmu_record *md = record("1-1:1.6.0*255");
    assert_string_equal(md->values[0].text, "12.345000");
    assert_string_equal(md->values[0].unit, "kW");
    assert_int_equal(md->n_values, 2);
    assert_true(md->values[1].has_time);
    assert_string_equal(md->values[1].text, "2024-01-15T11:30:40");
    record("1-3:1.6.1*255");
    assert_string_equal(record("1-1:0.4.3*255")->values[0].text, "11000.00/110.00");
    assert_string_equal(record("elster.878")->values[0].text, "30");
    /* 616 and 777 are not in this meter: ERR2, noted and passed over */
    assert_int_equal(s.elster->result.n_missing, 2);
}

static void lp_stream(void)
{
    struct pmu_timestamp day = {-1, 2024, 1, 14, 0, 0, 0};
    int64_t t0 = pmu_timestamp_to_seconds(&day);
    uint8_t *p = m.lp;
    size_t n = 0;
    uint64_t v2[2] = {100, 20};
    n += (size_t)pmu_elster_lp_put_header(PMU_ELSTER_LP_NEW_DAY, t0, 0x0003, 30, p + n, sizeof m.lp - n);
    for (int i = 0; i < 4; i++)
        n += (size_t)pmu_elster_lp_put_record(0, v2, 2, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_event(PMU_ELSTER_LP_POWER_DOWN, t0 + 7300, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_record(0, v2, 2, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_event(PMU_ELSTER_LP_POWER_UP, t0 + 3 * 3600 + 300, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_record(1, v2, 2, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_record(0, v2, 2, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_record(0, v2, 2, p + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_end(p + n, sizeof m.lp - n);
    m.lp_len = n;
}

static void test_load_profile(void **state)
{
    (void)state;
    meter_reset();
    lp_stream();
    start("serial:/dev/null", 0);
    plan.lp_days = 2;
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    /* 4 intervals 00:30..02:00, one 02:30 after the power-down, then a split one
     * (03:30, status 01, two records summed) and 04:00 */
    assert_int_equal(s.elster->result.intervals, 7);
    assert_true(s.result.n_profiles >= 3);
    const struct pmu_profile *p = &s.result.profiles[0];
    assert_string_equal(p->address, "P.01");
    assert_int_equal(p->interval_min, 30);
    assert_int_equal(p->n_channels, 2);
    assert_string_equal(p->channels[0].id, "1.29.0");
    assert_string_equal(p->channels[0].unit, "kWh");
    assert_string_equal(p->channels[1].id, "2.29.0");
    assert_int_equal(p->n_rows, 5);
    char when[24];
    pmu_timestamp_format(&p->rows[0].time, when, sizeof when);
    assert_string_equal(when, "2024-01-14T00:30:00");
    assert_string_equal(p->rows[0].values[0].text, "0.000100");
    const struct pmu_profile *split = &s.result.profiles[1];
    assert_int_equal(split->status, 1);
    pmu_timestamp_format(&split->rows[0].time, when, sizeof when);
    assert_string_equal(when, "2024-01-14T03:30:00");
    assert_string_equal(split->rows[0].values[0].text, "0.000200");
    /* the events: power down and up, in the P.98 log */
    const struct pmu_profile *ev = &s.result.profiles[s.result.n_profiles - 1];
    assert_string_equal(ev->address, "P.98");
    assert_int_equal(ev->n_rows, 2);
    assert_string_equal(ev->rows[0].values[0].text, "power down");
}

static void test_reauth_before_timeout(void **state)
{
    (void)state;
    meter_reset();
    start("serial:/dev/null", PMU_ELSTER_READ_REGISTERS);
    plan.lp_days = 1;
    plan.reauth_margin_s = 269; /* re-authenticate after 1 s */
    uint64_t v[1] = {5};
    struct pmu_timestamp day = {-1, 2024, 1, 14, 0, 0, 0};
    size_t n = (size_t)pmu_elster_lp_put_header(PMU_ELSTER_LP_NEW_DAY, pmu_timestamp_to_seconds(&day), 0x0001, 30,
                                                m.lp, sizeof m.lp);
    for (int i = 0; i < 48 * 3; i++) /* 3 days: 10 packets */
        n += (size_t)pmu_elster_lp_put_record(0, v, 1, m.lp + n, sizeof m.lp - n);
    n += (size_t)pmu_elster_lp_put_end(m.lp + n, sizeof m.lp - n);
    m.lp_len = n;
    run_session(120000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    assert_true(m.p2_seen >= 2);
    assert_int_equal(s.elster->result.reauths, m.p2_seen - 1);
    assert_int_equal(s.elster->result.intervals, 48 * 3);
}

static void test_err5_signs_in_again(void **state)
{
    (void)state;
    meter_reset();
    m.err_once_id = 507;
    m.err_once_code = PMU_ELSTER_ERR_LOCKED;
    start("serial:/dev/null", PMU_ELSTER_READ_REGISTERS);
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    assert_int_equal(m.p2_seen, 2);
    assert_string_equal(record("1-1:1.8.0*255")->values[0].text, "123.456789");
}

static void test_meter_errors_in_words(void **state)
{
    (void)state;
    meter_reset();
    m.err_id = 507;
    m.err_code = PMU_ELSTER_ERR_COMMS;
    start("serial:/dev/null", PMU_ELSTER_READ_REGISTERS);
    run_session(60000);
    assert_int_equal(s.status, PMU_E_REFUSED);
    assert_non_null(strstr(s.error.message, "identity 507"));
    assert_non_null(strstr(s.error.message, "general communications error"));
    assert_int_equal(m.b0_seen, 1);
}

static void test_password_refused(void **state)
{
    (void)state;
    meter_reset();
    m.nak_password = true;
    start("serial:/dev/null", PMU_ELSTER_READ_REGISTERS);
    run_session(60000);
    assert_int_equal(s.status, PMU_E_REFUSED);
    assert_non_null(strstr(s.error.message, "refused the password"));
    assert_int_equal(m.reads, 0);
}

static void test_clear_password_p1(void **state)
{
    (void)state;
    meter_reset();
    start("serial:/dev/null", PMU_ELSTER_READ_SERIAL);
    plan.clear_password = true;
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    assert_int_equal(m.p1_seen, 1);
    assert_int_equal(m.p2_seen, 0);
    assert_int_equal(m.secret_len, 10);
}

static void test_writes_read_back(void **state)
{
    (void)state;
    meter_reset();
    uint8_t vt[7];
    struct pmu_elster_ratio r = {"33000.00", "110.00"};
    assert_int_equal(pmu_elster_ratio_encode(&r, vt, 7, NULL), PMU_OK);
    struct pmu_elster_write w[3] = {
        {.id = 614, .data = vt, .len = 7, .verify = true},
        {.id = 861, .clock_now = true, .verify = true},
        {.id = 655},
    };
    start("serial:/dev/null", 0);
    plan.writes = w;
    plan.n_writes = 3;
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    const struct pmu_elster_result *res = &s.elster->result;
    assert_int_equal(res->writes[0].verdict, PMU_ELSTER_WRITE_VERIFIED);
    assert_true(res->writes[0].has_before);
    assert_int_equal(res->writes[0].before[3], 0x01); /* 11000.00 before */
    assert_int_equal(res->writes[1].verdict, PMU_ELSTER_WRITE_VERIFIED);
    struct pmu_timestamp t;
    assert_int_equal(pmu_elster_datetime_decode(res->writes[1].written, &t, NULL), PMU_OK);
    assert_int_equal(t.year, 2024);
    assert_int_equal(t.hour, 12);
    assert_int_equal(res->writes[2].verdict, PMU_ELSTER_WRITE_ACCEPTED);
}

static void test_write_mismatch_and_refusal(void **state)
{
    (void)state;
    meter_reset();
    m.ignore_writes = true;
    m.err_id = 878;
    m.err_code = PMU_ELSTER_ERR_LOCKED;
    uint8_t vt[7] = {0, 0, 0x10, 0x02, 0, 0x10, 0x01}; /* 21000.00 / 110.00 */
    uint8_t period[3] = {15, 5, 3};
    struct pmu_elster_write w[2] = {{.id = 614, .data = vt, .len = 7, .verify = true},
                                    {.id = 878, .data = period, .len = 3, .verify = true}};
    start("serial:/dev/null", 0);
    plan.writes = w;
    plan.n_writes = 2;
    run_session(60000);
    if (s.status != PMU_OK)
        fail_msg("%s", s.error.message);
    const struct pmu_elster_result *res = &s.elster->result;
    assert_int_equal(res->writes[0].verdict, PMU_ELSTER_WRITE_MISMATCH);
    assert_non_null(strstr(res->writes[0].message, "byte 3"));
    assert_int_equal(res->writes[1].verdict, PMU_ELSTER_WRITE_REFUSED);
    assert_non_null(strstr(res->writes[1].message, "locked"));
}

static void test_unknown_model(void **state)
{
    (void)state;
    meter_reset();
    m.ident = "/GEC5990100100400@000";
    start("serial:/dev/null", PMU_ELSTER_READ_SERIAL);
    run_session(60000);
    assert_int_equal(s.status, PMU_E_UNSUPPORTED);
    assert_non_null(strstr(s.error.message, "99"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_signon_p2_vector_and_registers, teardown),
        cmocka_unit_test_teardown(test_md_ratios_period, teardown),
        cmocka_unit_test_teardown(test_load_profile, teardown),
        cmocka_unit_test_teardown(test_reauth_before_timeout, teardown),
        cmocka_unit_test_teardown(test_err5_signs_in_again, teardown),
        cmocka_unit_test_teardown(test_meter_errors_in_words, teardown),
        cmocka_unit_test_teardown(test_password_refused, teardown),
        cmocka_unit_test_teardown(test_clear_password_p1, teardown),
        cmocka_unit_test_teardown(test_writes_read_back, teardown),
        cmocka_unit_test_teardown(test_write_mismatch_and_refusal, teardown),
        cmocka_unit_test_teardown(test_unknown_model, teardown),
    };
    return cmocka_run_group_tests(tests, load_models, free_models);
}
