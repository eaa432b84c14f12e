/* The incremental frame parser: message kinds, chunking invariance, parity, noise,
 * check characters and every error path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/iec62056.h"

#ifndef PMU_CAPTURES_DIR
#define PMU_CAPTURES_DIR "tests/data/captures"
#endif

/* One line per parser result, so two runs compare as strings. */
struct log {
    char text[1 << 16];
    size_t len;
};

static void logf_(struct log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct log *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof l->text - l->len);
    l->len += (size_t)n;
}

static void log_result(struct log *l, enum pmu_status st, const struct pmu_iec_frame *f,
                       const struct pmu_error *e)
{
    if (st == PMU_OK || st == PMU_E_BCC || st == PMU_E_TRUNCATED) {
        logf_(l, "%s %s @%zu+%zu cmd=%s p=%d r=%d data=[%.*s]", pmu_status_name(st),
              pmu_iec_kind_name(f->kind), f->offset, f->raw_len, f->cmd, f->partial, f->readout,
              (int)f->data_len, (const char *)f->data);
        if (f->bcc != PMU_BCC_ABSENT)
            logf_(l, " bcc=%s/%02X/%02X", pmu_bcc_verdict_name(f->bcc), f->bcc_received, f->bcc_computed);
        logf_(l, "\n");
    }
    if (st != PMU_OK)
        logf_(l, "error %s at %zu: %s\n", pmu_status_name(e->code), e->offset, e->message);
}

/* Parses in with chunk sizes from next_chunk (0 = everything at once). */
static void run(const uint8_t *in, size_t len, const struct pmu_iec_parser_options *opt,
                unsigned seed, struct log *l)
{
    struct pmu_iec_parser p;
    assert_int_equal(pmu_iec_parser_init(&p, opt), PMU_OK);
    l->len = 0;
    l->text[0] = '\0';
    size_t pos = 0;
    unsigned s = seed;
    while (pos < len) {
        size_t chunk = len - pos;
        if (seed == 1)
            chunk = 1;
        else if (seed > 1) {
            s = s * 1103515245u + 12345u;
            chunk = 1 + (s >> 16) % 17;
            if (chunk > len - pos)
                chunk = len - pos;
        }
        size_t end = pos + chunk;
        while (pos < end) {
            struct pmu_iec_frame f;
            struct pmu_error e;
            size_t used = 0;
            enum pmu_status st = pmu_iec_parser_feed(&p, in + pos, end - pos, &used, &f, &e);
            assert_true(used <= end - pos);
            pos += used;
            if (st == PMU_AGAIN) {
                assert_int_equal(pos, end);
                break;
            }
            log_result(l, st, &f, &e);
        }
    }
    for (;;) {
        struct pmu_iec_frame f;
        struct pmu_error e;
        enum pmu_status st = pmu_iec_parser_finish(&p, &f, &e);
        if (st == PMU_DONE)
            break;
        log_result(l, st, &f, &e);
    }
    pmu_iec_parser_free(&p);
}

/* Every chunking gives the same log; returns it for further checks. */
static void check_chunking(const uint8_t *in, size_t len, const struct pmu_iec_parser_options *opt,
                           struct log *whole)
{
    static struct log other;
    run(in, len, opt, 0, whole);
    for (unsigned seed = 1; seed < 40; seed++) {
        run(in, len, opt, seed, &other);
        assert_string_equal(other.text, whole->text);
    }
}

static uint8_t *read_capture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PMU_CAPTURES_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static struct log lg;

#define IN(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static void test_session_kinds(void **state)
{
    (void)state;
    static const char dialogue[] =
        "/?12345678!\r\n/LGZ52ZMD120APt.G03\r\n\x06" "051\r\n"
        "\x01P0\x02(1234567)\x03P\x01P1\x02(pw)\x03" "f\x06"
        "\x01R1\x02" "1.8.0(1)\x03k\x02" "3:171.0(0)\x03\x12\x15\x01" "B0\x03q";
    struct pmu_iec_parser_options opt = {0};
    check_chunking(IN(dialogue), &opt, &lg);
    const char *expect =
        "ok signon @0+13 cmd= p=0 r=0 data=[12345678]\n"
        "ok ident @13+21 cmd= p=0 r=0 data=[/LGZ52ZMD120APt.G03]\n"
        "ok option @34+6 cmd= p=0 r=0 data=[051]\n"
        "ok command @40+15 cmd=P0 p=0 r=0 data=[(1234567)] bcc=ok/50/50\n";
    assert_memory_equal(lg.text, expect, strlen(expect));
    assert_non_null(strstr(lg.text, "ok command @55+10 cmd=P1 p=0 r=0 data=[(pw)] bcc="));
    assert_non_null(strstr(lg.text, "ok ack @65+1"));
    assert_non_null(strstr(lg.text, "ok command @66+14 cmd=R1 p=0 r=0 data=[1.8.0(1)] bcc=ok/6B/6B\n"));
    assert_non_null(strstr(lg.text, "ok data @80+13 cmd= p=0 r=0 data=[3:171.0(0)] bcc=ok/12/12\n"));
    assert_non_null(strstr(lg.text, "ok nak @93+1"));
    assert_non_null(strstr(lg.text, "ok command @94+5 cmd=B0 p=0 r=0 data=[] bcc=ok/71/71\n"));
}

static void test_readout_and_partial(void **state)
{
    (void)state;
    static const char in[] = "\x02" "3:14(314*kWh)4:15(415*kWh)\r\n!\r\n\x03\"" "\x02(0102)\x04?";
    uint8_t bcc = pmu_iec_bcc(PMU_CHECKSUM_XOR, (const uint8_t *)"(0102)\x04", 7);
    uint8_t buf[64];
    memcpy(buf, in, sizeof in - 1);
    buf[sizeof in - 2] = bcc;
    struct pmu_iec_parser_options opt = {0};
    check_chunking(buf, sizeof in - 1, &opt, &lg);
    assert_non_null(strstr(lg.text, "ok data @0+34 cmd= p=0 r=1 "));
    assert_non_null(strstr(lg.text, "ok data @34+9 cmd= p=1 r=0 data=[(0102)]"));
}

static void test_ack_alone_and_from_meter(void **state)
{
    (void)state;
    struct pmu_iec_parser_options opt = {0};
    check_chunking(IN("\x06\x06\x01" "B0\x03q\x06"), &opt, &lg);
    assert_string_equal(lg.text, "ok ack @0+1 cmd= p=0 r=0 data=[]\n"
                                 "ok ack @1+1 cmd= p=0 r=0 data=[]\n"
                                 "ok command @2+5 cmd=B0 p=0 r=0 data=[] bcc=ok/71/71\n"
                                 "ok ack @7+1 cmd= p=0 r=0 data=[]\n");
    /* From a meter an ACK is reported at once, without waiting for more bytes. */
    struct pmu_iec_parser p;
    opt.no_option_select = true;
    pmu_iec_parser_init(&p, &opt);
    struct pmu_iec_frame f;
    size_t used;
    assert_int_equal(pmu_iec_parser_feed(&p, IN("\x06"), &used, &f, NULL), PMU_OK);
    assert_int_equal(f.kind, PMU_IEC_ACK);
    assert_int_equal(used, 1);
    pmu_iec_parser_free(&p);
}

static void test_noise_resync(void **state)
{
    (void)state;
    /* 0x7F noise, wake-up NULs, stray ETX, high bytes, then a clean message. */
    struct pmu_iec_parser_options opt = {0};
    check_chunking(IN("\x7F\x7F\x00\x00\x03\xFE/?!\r\n\xFF\x02" "3:171.0(0)\x03\x12\x7F"), &opt, &lg);
    assert_string_equal(lg.text,
                        "ok noise @0+6 cmd= p=0 r=0 data=[\x7F\x7F]\n"
                        "ok signon @6+5 cmd= p=0 r=0 data=[]\n"
                        "ok noise @11+1 cmd= p=0 r=0 data=[\xFF]\n"
                        "ok data @12+13 cmd= p=0 r=0 data=[3:171.0(0)] bcc=ok/12/12\n"
                        "ok noise @25+1 cmd= p=0 r=0 data=[\x7F]\n");
}

static void test_bad_bcc_is_an_error(void **state)
{
    (void)state;
    struct pmu_iec_parser p;
    struct pmu_iec_parser_options opt = {0};
    pmu_iec_parser_init(&p, &opt);
    struct pmu_iec_frame f;
    struct pmu_error e;
    size_t used;
    assert_int_equal(pmu_iec_parser_feed(&p, IN("\x02" "3:171.0(0)\x03\x11\x06"), &used, &f, &e), PMU_E_BCC);
    assert_int_equal(used, 13);
    assert_int_equal(f.kind, PMU_IEC_DATA);
    assert_int_equal(f.bcc, PMU_BCC_BAD);
    assert_int_equal(f.bcc_received, 0x11);
    assert_int_equal(f.bcc_computed, 0x12);
    assert_int_equal(e.offset, 12);
    assert_non_null(strstr(e.message, "0x11"));
    /* and the parser goes on with the next message */
    assert_int_equal(pmu_iec_parser_finish(&p, &f, &e), PMU_DONE);
    /* the status does not depend on the caller passing an error context */
    assert_int_equal(pmu_iec_parser_feed(&p, IN("\x02" "3:171.0(0)\x03\x11"), &used, &f, NULL), PMU_E_BCC);
    assert_int_equal(pmu_iec_parser_feed(&p, IN("\x02" "12345678901234567890"), &used, &f, NULL), PMU_AGAIN);
    pmu_iec_parser_free(&p);
}

static void test_tiny_max_frame(void **state)
{
    (void)state;
    /* Regressions found by fuzz_frame: messages that cannot fit are errors, never
     * frames cut short. */
    struct pmu_iec_parser_options opt = {.max_frame = 5};
    check_chunking(IN("\x06" "051\r\n"), &opt, &lg);
    assert_non_null(strstr(lg.text, "error too_long at 5: "));
    assert_null(strstr(lg.text, "ok option"));
    check_chunking(IN("\x02" "abc\x03" "c"), &opt, &lg);
    assert_non_null(strstr(lg.text, "error too_long at 5: "));
    assert_null(strstr(lg.text, "ok data"));
    opt.max_frame = 1;
    check_chunking(IN("\x06" "051\r\n"), &opt, &lg);
    assert_non_null(strstr(lg.text, "error too_long at 1: "));
    assert_null(strstr(lg.text, "(null)"));
    /* an identification line cut short is a syntax error of the stream */
    struct pmu_iec_parser_options none = {0};
    check_chunking(IN("/\r\n/AB\r\n"), &none, &lg);
    assert_non_null(strstr(lg.text, "error syntax at 1: "));
    assert_non_null(strstr(lg.text, "error syntax at 6: "));
}

static void test_strip_parity(void **state)
{
    (void)state;
    static const char plain[] = "/?!\r\n/LGZ52ZMD120APt.G03\r\n\x02" "3:171.0(0)\x03\x12";
    uint8_t wire[sizeof plain];
    for (size_t i = 0; i + 1 < sizeof plain; i++)
        wire[i] = pmu_iec_parity_add((uint8_t)plain[i]);
    struct pmu_iec_parser_options opt = {.strip_parity = true};
    static struct log stripped;
    check_chunking(wire, sizeof plain - 1, &opt, &stripped);
    struct pmu_iec_parser_options none = {0};
    run((const uint8_t *)plain, sizeof plain - 1, &none, 0, &lg);
    assert_string_equal(stripped.text, lg.text);
    assert_non_null(strstr(lg.text, "bcc=ok/12/12"));
}

static void test_sum7_option(void **state)
{
    (void)state;
    struct pmu_iec_parser_options opt = {.checksum = PMU_CHECKSUM_SUM7};
    check_chunking(IN("\x01P0\x02(777777)\x03 \x02VNULL(0)\r\n\x03,"), &opt, &lg);
    assert_non_null(strstr(lg.text, "cmd=P0 p=0 r=0 data=[(777777)] bcc=ok/20/20"));
    assert_non_null(strstr(lg.text, "data=[VNULL(0)\r\n] bcc=ok/2C/2C"));
}

static void test_text_and_push(void **state)
{
    (void)state;
    struct pmu_iec_parser_options opt = {0};
    check_chunking(IN("/KMP5 KA6U001660297912\r\n\r\n1.8.1(1*kWh)\r\n(2)\r\n!\r\n1.8.0(5)"), &opt, &lg);
    assert_string_equal(lg.text,
                        "ok ident @0+24 cmd= p=0 r=0 data=[/KMP5 KA6U001660297912]\n"
                        "ok text @26+22 cmd= p=0 r=1 data=[1.8.1(1*kWh)\r\n(2)\r\n!\r\n]\n"
                        "ok text @48+8 cmd= p=0 r=0 data=[1.8.0(5)]\n");
    /* A '/' starting a line ends the text: it is the next identification. */
    check_chunking(IN("a(1)\r\n/ABC5X\r\n"), &opt, &lg);
    assert_string_equal(lg.text, "ok text @0+6 cmd= p=0 r=0 data=[a(1)\r\n]\n"
                                 "ok ident @6+8 cmd= p=0 r=0 data=[/ABC5X]\n");
}

static void expect_error(const char *in, size_t len, enum pmu_status code, size_t offset,
                         const char *words)
{
    struct pmu_iec_parser_options opt = {.max_frame = 64};
    check_chunking((const uint8_t *)in, len, &opt, &lg);
    char want[128];
    snprintf(want, sizeof want, "error %s at %zu: ", pmu_status_name(code), offset);
    if (strstr(lg.text, want) == NULL || strstr(lg.text, words) == NULL)
        fail_msg("expected \"%s...%s\" in:\n%s", want, words, lg.text);
}

#define EXPECT_ERROR(lit, code, off, words) expect_error(lit, sizeof(lit) - 1, code, off, words)

static void test_error_paths(void **state)
{
    (void)state;
    EXPECT_ERROR("\x01X1\x03q", PMU_E_SYNTAX, 1, "expected command letter");
    EXPECT_ERROR("\x01RX\x03q", PMU_E_SYNTAX, 2, "expected command type digit");
    EXPECT_ERROR("\x01R1Z", PMU_E_SYNTAX, 3, "expected STX or ETX");
    EXPECT_ERROR("/LGZ5abc\x01", PMU_E_SYNTAX, 8, "expected CR LF to end");
    EXPECT_ERROR("/LGZ5abc\n", PMU_E_SYNTAX, 7, "expected CR before LF");
    EXPECT_ERROR("/LGZ5ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEF\r\n",
                 PMU_E_TOO_LONG, 64, "too long");
    EXPECT_ERROR("/?abc\r\n", PMU_E_SYNTAX, 4, "expected '!'");
    EXPECT_ERROR("/?a(b!\r\n", PMU_E_SYNTAX, 3, "device address character");
    EXPECT_ERROR("/L1Z5\r\n", PMU_E_SYNTAX, 2, "manufacturer");
    EXPECT_ERROR("\x06" "05\x01", PMU_E_SYNTAX, 3, "mode control digit");
    EXPECT_ERROR("\x06" "0\x01" "1\r\n", PMU_E_SYNTAX, 2, "baud rate character Z");
    EXPECT_ERROR("\x06" "05x\r\n", PMU_E_SYNTAX, 3, "mode control digit");
    EXPECT_ERROR("\x06" "0512\r\n", PMU_E_SYNTAX, 4, "expected CR after");
    EXPECT_ERROR("\x06" "051\rX", PMU_E_SYNTAX, 5, "expected LF after");
    EXPECT_ERROR("\x02" "0123456789012345678901234567890123456789012345678901234567890123456789\x03\x00",
                 PMU_E_TOO_LONG, 64, "longer than 64 bytes");
    EXPECT_ERROR("\x02" "1.8.0(1)", PMU_E_TRUNCATED, 9, "input ends inside");
    EXPECT_ERROR("\x01R1\x02" "1.8.0(1)\x03", PMU_E_TRUNCATED, 13, "input ends inside");
    EXPECT_ERROR("\x02" "3:171.0(0)\x03\x11", PMU_E_BCC, 12, "does not match");
}

static void test_oversized_frame_is_skipped(void **state)
{
    (void)state;
    /* After a message longer than max_frame the parser skips to its ETX and BCC and
     * finds the next message intact. */
    char in[256];
    size_t n = 0;
    in[n++] = 0x02;
    for (int i = 0; i < 100; i++)
        in[n++] = 'a';
    in[n++] = 0x03;
    in[n++] = 'q';
    memcpy(in + n, "\x02" "3:171.0(0)\x03\x12", 13);
    n += 13;
    struct pmu_iec_parser_options opt = {.max_frame = 64};
    check_chunking((const uint8_t *)in, n, &opt, &lg);
    assert_non_null(strstr(lg.text, "error too_long"));
    assert_non_null(strstr(lg.text, "ok data @103+13 cmd= p=0 r=0 data=[3:171.0(0)] bcc=ok/12/12\n"));
}

static void test_captures_chunking(void **state)
{
    (void)state;
    static const char *files[] = {"ace3000_noise_readout.bin", "zmd120ap_readout.txt",
                                  "kamstrup162_push.txt", "emh_p01_profile.txt",
                                  "metcom_p01_profile.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        const uint8_t *in = read_capture(files[i], &len);
        struct pmu_iec_parser_options opt = {0};
        check_chunking(in, len, &opt, &lg);
        assert_true(lg.len > 0);
    }
    size_t len;
    const uint8_t *in = read_capture("ace3000_noise_readout.bin", &len);
    struct pmu_iec_parser_options opt = {0};
    run(in, len, &opt, 0, &lg);
    assert_non_null(strstr(lg.text, "error bcc at 98: "));
}

static void test_reset(void **state)
{
    (void)state;
    struct pmu_iec_parser p;
    pmu_iec_parser_init(&p, NULL);
    struct pmu_iec_frame f;
    size_t used;
    assert_int_equal(pmu_iec_parser_feed(&p, IN("\x02" "half"), &used, &f, NULL), PMU_AGAIN);
    pmu_iec_parser_reset(&p);
    assert_int_equal(pmu_iec_parser_feed(&p, IN("\x01" "B0\x03q"), &used, &f, NULL), PMU_OK);
    assert_int_equal(f.kind, PMU_IEC_COMMAND);
    assert_int_equal(pmu_iec_parser_finish(&p, &f, NULL), PMU_DONE);
    pmu_iec_parser_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_kinds),     cmocka_unit_test(test_readout_and_partial),
        cmocka_unit_test(test_ack_alone_and_from_meter), cmocka_unit_test(test_noise_resync),
        cmocka_unit_test(test_bad_bcc_is_an_error), cmocka_unit_test(test_strip_parity),
        cmocka_unit_test(test_sum7_option),       cmocka_unit_test(test_text_and_push),
        cmocka_unit_test(test_error_paths),       cmocka_unit_test(test_oversized_frame_is_skipped),
        cmocka_unit_test(test_captures_chunking), cmocka_unit_test(test_reset),
        cmocka_unit_test(test_tiny_max_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
