/* Unit tests of the capture input decoder (src/capture/capture.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/capture.h"

/* `xxd ace3000_noise_readout.bin` and `hexdump -C ace3000_noise_readout.bin` */
static const char ace3000_xxd[] =
    "00000000: 7f7f 7f7f 7f2f 3f21 0d0a 2f41 4345 305c  ...../?!../ACE0\\\n"
    "00000010: 336b 3236 3056 3031 2e31 390d 0a02 462e  3k260V01.19...F.\n"
    "00000020: 4628 3030 290d 0a43 2e31 2831 3132 3631  F(00)..C.1(11261\n"
    "00000030: 3230 3035 3333 3232 3335 3329 0d0a 432e  20053322353)..C.\n"
    "00000040: 352e 3028 3030 290d 0a31 2e38 2e30 2830  5.0(00)..1.8.0(0\n"
    "00000050: 3133 3932 352e 352a 2959 0202 0100 210d  13925.5*)Y....!.\n"
    "00000060: 0a03 467f                                ..F.\n";

static const char ace3000_hexdump[] =
    "00000000  7f 7f 7f 7f 7f 2f 3f 21  0d 0a 2f 41 43 45 30 5c  |...../?!../ACE0\\|\n"
    "00000010  33 6b 32 36 30 56 30 31  2e 31 39 0d 0a 02 46 2e  |3k260V01.19...F.|\n"
    "00000020  46 28 30 30 29 0d 0a 43  2e 31 28 31 31 32 36 31  |F(00)..C.1(11261|\n"
    "00000030  32 30 30 35 33 33 32 32  33 35 33 29 0d 0a 43 2e  |20053322353)..C.|\n"
    "00000040  35 2e 30 28 30 30 29 0d  0a 31 2e 38 2e 30 28 30  |5.0(00)..1.8.0(0|\n"
    "00000050  31 33 39 32 35 2e 35 2a  29 59 02 02 01 00 21 0d  |13925.5*)Y....!.|\n"
    "00000060  0a 03 46 7f                                       |..F.|\n"
    "00000064\n";

static const uint8_t ace3000_bytes[100] = {
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x2f, 0x3f, 0x21, 0x0d, 0x0a, 0x2f, 0x41, 0x43, 0x45, 0x30,
    0x5c, 0x33, 0x6b, 0x32, 0x36, 0x30, 0x56, 0x30, 0x31, 0x2e, 0x31, 0x39, 0x0d, 0x0a, 0x02,
    0x46, 0x2e, 0x46, 0x28, 0x30, 0x30, 0x29, 0x0d, 0x0a, 0x43, 0x2e, 0x31, 0x28, 0x31, 0x31,
    0x32, 0x36, 0x31, 0x32, 0x30, 0x30, 0x35, 0x33, 0x33, 0x32, 0x32, 0x33, 0x35, 0x33, 0x29,
    0x0d, 0x0a, 0x43, 0x2e, 0x35, 0x2e, 0x30, 0x28, 0x30, 0x30, 0x29, 0x0d, 0x0a, 0x31, 0x2e,
    0x38, 0x2e, 0x30, 0x28, 0x30, 0x31, 0x33, 0x39, 0x32, 0x35, 0x2e, 0x35, 0x2a, 0x29, 0x59,
    0x02, 0x02, 0x01, 0x00, 0x21, 0x0d, 0x0a, 0x03, 0x46, 0x7f};

static uint8_t *read_capture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PMU_CAPTURES_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(65536);
    assert_non_null(buf);
    *len = fread(buf, 1, 65536, f);
    assert_true(feof(f));
    fclose(f);
    return buf;
}

/* Segments must be in order and cover the bytes exactly. */
static void check_segments(const struct pmu_capture *c)
{
    size_t at = 0;
    assert_non_null(c->bytes);
    for (size_t i = 0; i < c->n_segments; i++) {
        assert_int_equal(c->segments[i].offset, at);
        at += c->segments[i].length;
        assert_true(strlen(c->segments[i].label) < PMU_CAPTURE_LABEL_MAX);
    }
    assert_int_equal(at, c->length);
}

static void decode_ok(const char *text, enum pmu_capture_format fmt, struct pmu_capture *c)
{
    struct pmu_error err;
    pmu_error_clear(&err);
    enum pmu_status st = pmu_capture_decode((const uint8_t *)text, strlen(text), fmt, c, &err);
    if (st != PMU_OK)
        fail_msg("decode failed: %s", err.message);
    check_segments(c);
}

static void assert_bytes(const struct pmu_capture *c, const void *expected, size_t len)
{
    assert_int_equal(c->length, len);
    assert_memory_equal(c->bytes, expected, len);
}

static void assert_segment(const struct pmu_capture *c, size_t i, const char *bytes, size_t len,
                           enum pmu_direction dir, const char *label)
{
    assert_true(i < c->n_segments);
    const struct pmu_capture_segment *s = &c->segments[i];
    assert_int_equal(s->length, len);
    assert_memory_equal(c->bytes + s->offset, bytes, len);
    assert_int_equal(s->dir, dir);
    assert_string_equal(s->label, label);
}

static void expect_error(const char *text, enum pmu_capture_format fmt, size_t offset,
                         const char *line, const char *expected)
{
    struct pmu_capture c;
    struct pmu_error err;
    pmu_error_clear(&err);
    enum pmu_status st = pmu_capture_decode((const uint8_t *)text, strlen(text), fmt, &c, &err);
    assert_int_equal(st, PMU_E_SYNTAX);
    assert_int_equal(err.code, PMU_E_SYNTAX);
    assert_int_equal(err.offset, offset);
    if (strstr(err.message, line) == NULL || strstr(err.message, expected) == NULL)
        fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err.message, line, expected);
    assert_null(c.bytes);
    assert_null(c.segments);
    assert_int_equal(c.n_segments, 0);
}

/* ---- RAW ---- */

static void test_raw(void **state)
{
    (void)state;
    struct pmu_capture c;
    struct pmu_error err;
    const uint8_t in[] = {0x06, 0x00, 0xFF, 'b', '\''};
    assert_int_equal(pmu_capture_decode(in, sizeof in, PMU_CAPTURE_RAW, &c, &err), PMU_OK);
    assert_int_equal(c.format, PMU_CAPTURE_RAW);
    assert_bytes(&c, in, sizeof in);
    assert_int_equal(c.n_segments, 1);
    assert_int_equal(c.segments[0].dir, PMU_DIR_UNKNOWN);
    assert_string_equal(c.segments[0].label, "");
    check_segments(&c);
    pmu_capture_free(&c);
    assert_null(c.bytes);

    assert_int_equal(pmu_capture_decode(NULL, 0, PMU_CAPTURE_AUTO, &c, &err), PMU_OK);
    assert_int_equal(c.format, PMU_CAPTURE_RAW);
    assert_non_null(c.bytes);
    assert_int_equal(c.length, 0);
    assert_int_equal(c.n_segments, 1);
    pmu_capture_free(&c);
    pmu_capture_free(NULL);
}

/* ---- HEX ---- */

static void test_hex_plain(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "01 52 31 02",
        "01523102",
        "0x01 0x52 0X31 0x02\n",
        "0x01523102",
        "# R1 request\r\n01 52\r\n\r\n   # more\r\n  31\t02\r\n",
        "01\n52\n31\n02",
    };
    const uint8_t expected[] = {0x01, 0x52, 0x31, 0x02};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct pmu_capture c;
        decode_ok(inputs[i], PMU_CAPTURE_HEX, &c);
        assert_int_equal(c.format, PMU_CAPTURE_HEX);
        assert_bytes(&c, expected, sizeof expected);
        assert_int_equal(c.n_segments, 1);
        pmu_capture_free(&c);
    }
    struct pmu_capture c;
    decode_ok("aB Cd\n# nothing else\n", PMU_CAPTURE_HEX, &c);
    assert_bytes(&c, "\xAB\xCD", 2);
    pmu_capture_free(&c);
    decode_ok("# only a comment\n\n", PMU_CAPTURE_HEX, &c);
    assert_int_equal(c.length, 0);
    assert_int_equal(c.n_segments, 1);
    pmu_capture_free(&c);
}

static void test_hex_xxd(void **state)
{
    (void)state;
    struct pmu_capture c;
    decode_ok(ace3000_xxd, PMU_CAPTURE_HEX, &c);
    assert_bytes(&c, ace3000_bytes, sizeof ace3000_bytes);
    pmu_capture_free(&c);

    size_t len;
    uint8_t *file = read_capture("ace3000_noise_readout.bin", &len);
    decode_ok(ace3000_xxd, PMU_CAPTURE_AUTO, &c);
    assert_int_equal(c.format, PMU_CAPTURE_HEX);
    assert_bytes(&c, file, len);
    pmu_capture_free(&c);
    free(file);

    /* xxd -g1, an ASCII column made of hex digits, offsets not starting at 0, CR LF */
    decode_ok("00000010: 30 31 32 33  0123\r\n00000014: 41 0a  A.\r\n", PMU_CAPTURE_HEX, &c);
    assert_bytes(&c, "0123A\n", 6);
    pmu_capture_free(&c);
    /* no ASCII column */
    decode_ok("00000000: 0102\n00000002: 03\n", PMU_CAPTURE_HEX, &c);
    assert_bytes(&c, "\x01\x02\x03", 3);
    pmu_capture_free(&c);
}

static void test_hex_hexdump(void **state)
{
    (void)state;
    struct pmu_capture c;
    decode_ok(ace3000_hexdump, PMU_CAPTURE_HEX, &c);
    assert_bytes(&c, ace3000_bytes, sizeof ace3000_bytes);
    pmu_capture_free(&c);
    decode_ok(ace3000_hexdump, PMU_CAPTURE_AUTO, &c);
    assert_int_equal(c.format, PMU_CAPTURE_HEX);
    assert_bytes(&c, ace3000_bytes, sizeof ace3000_bytes);
    pmu_capture_free(&c);
}

static void test_hex_errors(void **state)
{
    (void)state;
    expect_error("01 52 3", PMU_CAPTURE_HEX, 7, "line 1:", "expected a second hex digit");
    expect_error("01 523 31", PMU_CAPTURE_HEX, 6, "line 1:", "found ' '");
    expect_error("01\n02 5g", PMU_CAPTURE_HEX, 7, "line 2:", "found 'g'");
    expect_error("# c\n01 zz\n", PMU_CAPTURE_HEX, 7, "line 2:", "expected a hex digit, found 'z'");
    expect_error("01\r\n0\r\n", PMU_CAPTURE_HEX, 5, "line 2:", "found end of line");
    expect_error("01 \x80", PMU_CAPTURE_HEX, 3, "line 1:", "found 0x80");
    expect_error("0x", PMU_CAPTURE_HEX, 2, "line 1:", "expected hex digits after \"0x\"");
    expect_error("0x 01", PMU_CAPTURE_HEX, 2, "line 1:", "found ' '");
    expect_error("010x02", PMU_CAPTURE_HEX, 3, "line 1:", "found 'x'");
    /* xxd layout */
    expect_error("00000000: 0102  ..\n0102 0304\n", PMU_CAPTURE_HEX, 23, "line 2:",
                 "expected ':' after the offset column");
    expect_error("00000000: 0102  ..\nzz\n", PMU_CAPTURE_HEX, 19, "line 2:",
                 "expected an offset column");
    expect_error("00000000: 0102\n00000003: 03\n", PMU_CAPTURE_HEX, 15, "line 2:",
                 "expected offset 0x2");
    expect_error("00000000: 010  ..\n", PMU_CAPTURE_HEX, 13, "line 1:",
                 "expected a second hex digit");
    expect_error("00000000: 01g2  ..\n", PMU_CAPTURE_HEX, 12, "line 1:", "found 'g'");
    /* hexdump -C layout */
    expect_error("00000000  01 02  |..|\n*\n00000010\n", PMU_CAPTURE_HEX, 22, "line 2:",
                 "hexdump -v -C)");
    expect_error("00000000  01 02  |..|\n00000003\n", PMU_CAPTURE_HEX, 22, "line 2:",
                 "expected offset 0x2");
}

/* ---- TRANSCRIPT ---- */

static void test_transcript_escapes(void **state)
{
    (void)state;
    struct pmu_capture c;
    decode_ok("b'\\x01\\r\\n\\t\\\\\\'\\\"\\0\\a\\b\\f\\v\\101\\0121\\xfF'", PMU_CAPTURE_TRANSCRIPT,
              &c);
    const uint8_t expected[] = {0x01, 0x0D, 0x0A, 0x09, 0x5C, 0x27, 0x22, 0x00, 0x07,
                                0x08, 0x0C, 0x0B, 0x41, 0x0A, 0x31, 0xFF};
    assert_int_equal(c.format, PMU_CAPTURE_TRANSCRIPT);
    assert_bytes(&c, expected, sizeof expected);
    assert_int_equal(c.n_segments, 1);
    assert_int_equal(c.segments[0].line, 1);
    pmu_capture_free(&c);

    decode_ok("'abc'\n\"it's\"\nB\"x\\377\"\nb''\n'\\\\'", PMU_CAPTURE_TRANSCRIPT, &c);
    assert_int_equal(c.n_segments, 5);
    assert_segment(&c, 0, "abc", 3, PMU_DIR_UNKNOWN, "");
    assert_segment(&c, 1, "it's", 4, PMU_DIR_UNKNOWN, "");
    assert_segment(&c, 2, "x\xFF", 2, PMU_DIR_UNKNOWN, "");
    assert_segment(&c, 3, "", 0, PMU_DIR_UNKNOWN, "");
    assert_segment(&c, 4, "\\", 1, PMU_DIR_UNKNOWN, "");
    pmu_capture_free(&c);
}

static void test_transcript_labels(void **state)
{
    (void)state;
    struct pmu_capture c;
    decode_ok("# a dialogue\r\n"
              "\r\n"
              "host -> meter: \"x\"\r\n"
              "  Meter->Host : 'y'\r\n"
              "foo: b\"z\"\r\n"
              "reader -> meter: b'a' b'b'; next: \"c\"  # it's a comment\r\n"
              "METER  ->  READER: b'\\x06'\r\n"
              "Feb'a'\n",
              PMU_CAPTURE_TRANSCRIPT, &c);
    assert_int_equal(c.n_segments, 8);
    assert_segment(&c, 0, "x", 1, PMU_DIR_TO_METER, "host -> meter");
    assert_int_equal(c.segments[0].line, 3);
    assert_segment(&c, 1, "y", 1, PMU_DIR_FROM_METER, "Meter->Host");
    assert_segment(&c, 2, "z", 1, PMU_DIR_UNKNOWN, "foo");
    assert_segment(&c, 3, "a", 1, PMU_DIR_TO_METER, "reader -> meter");
    assert_segment(&c, 4, "b", 1, PMU_DIR_TO_METER, "reader -> meter");
    assert_segment(&c, 5, "c", 1, PMU_DIR_UNKNOWN, "next");
    assert_int_equal(c.segments[5].line, 6);
    assert_segment(&c, 6, "\x06", 1, PMU_DIR_FROM_METER, "METER  ->  READER");
    assert_segment(&c, 7, "a", 1, PMU_DIR_UNKNOWN, "Feb");
    pmu_capture_free(&c);

    /* a long label is cut to fit, not in the middle of a UTF-8 character */
    char text[200];
    memset(text, 'L', 62);
    memcpy(text + 62, "\xC3\xA9: 'q'", 8);
    decode_ok(text, PMU_CAPTURE_TRANSCRIPT, &c);
    assert_int_equal(strlen(c.segments[0].label), 62);
    pmu_capture_free(&c);
}

static void test_transcript_errors(void **state)
{
    (void)state;
    expect_error("reader -> meter: b'abc\n", PMU_CAPTURE_TRANSCRIPT, 22, "line 1:",
                 "expected ' to close the literal opened at byte 18");
    expect_error("# x\n\"abc'\r\n", PMU_CAPTURE_TRANSCRIPT, 9, "line 2:", "expected \" to close");
    expect_error("b'\\q'", PMU_CAPTURE_TRANSCRIPT, 3, "line 1:", "found 'q'");
    expect_error("b'\\u0041'", PMU_CAPTURE_TRANSCRIPT, 3, "line 1:", "expected an escape");
    expect_error("b'\\x4g'", PMU_CAPTURE_TRANSCRIPT, 5, "line 1:",
                 "expected two hex digits after \\x, found 'g'");
    expect_error("\"\\x4", PMU_CAPTURE_TRANSCRIPT, 4, "line 1:", "found end of line");
    expect_error("b'\\777'", PMU_CAPTURE_TRANSCRIPT, 2, "line 1:", "no larger than \\377");
    expect_error("b'\\", PMU_CAPTURE_TRANSCRIPT, 3, "line 1:", "escape character after");
    expect_error("b'\x80'", PMU_CAPTURE_TRANSCRIPT, 2, "line 1:", "found 0x80");
    expect_error("reader -> meter: b'\\x06'\nhello\n", PMU_CAPTURE_TRANSCRIPT, 30, "line 2:",
                 "expected a string literal");
    expect_error("\"a\"; trailing words", PMU_CAPTURE_TRANSCRIPT, 19, "line 1:",
                 "expected a string literal");
    /* AUTO reports the error of the format it chose */
    expect_error("reader -> meter: b'\\q'\n", PMU_CAPTURE_AUTO, 20, "line 1:", "found 'q'");
}

static void test_transcript_ce301(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = read_capture("ce301_programming_session.txt", &len);
    struct pmu_capture c;
    struct pmu_error err;
    assert_int_equal(pmu_capture_decode(in, len, PMU_CAPTURE_AUTO, &c, &err), PMU_OK);
    assert_int_equal(c.format, PMU_CAPTURE_TRANSCRIPT);
    check_segments(&c);
    assert_int_equal(c.n_segments, 30);
    for (size_t i = 0; i < c.n_segments; i++) {
        assert_int_equal(c.segments[i].dir, i % 2 == 0 ? PMU_DIR_TO_METER : PMU_DIR_FROM_METER);
        assert_int_equal(c.segments[i].line, 35 + i);
    }
    assert_segment(&c, 0, "/?!\r\n", 5, PMU_DIR_TO_METER, "reader -> meter");
    assert_segment(&c, 1, "/EKT5CE301v12\r\n", 15, PMU_DIR_FROM_METER, "meter  -> reader");
    assert_segment(&c, 2, "\x06" "051\r\n", 6, PMU_DIR_TO_METER, "reader -> meter");
    assert_segment(&c, 3, "\x01P0\x02(777777)\x03 ", 14, PMU_DIR_FROM_METER, "meter  -> reader");
    assert_segment(&c, 4, "\x01P1\x02(dummy)\x03\x03", 13, PMU_DIR_TO_METER, "reader -> meter");
    assert_segment(&c, 5, "\x06", 1, PMU_DIR_FROM_METER, "meter  -> reader");
    assert_segment(&c, 21, "\x02POWEP(0.5266)\r\n\x03'", 18, PMU_DIR_FROM_METER,
                   "meter  -> reader");
    assert_segment(&c, 28, "\x01R1\x02" "FREQU()\x03\\", 13, PMU_DIR_TO_METER, "reader -> meter");
    pmu_capture_free(&c);
    free(in);
}

static void test_transcript_framing_vectors(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = read_capture("framing_vectors.txt", &len);
    struct pmu_capture c;
    struct pmu_error err;
    assert_int_equal(pmu_capture_decode(in, len, PMU_CAPTURE_AUTO, &c, &err), PMU_OK);
    assert_int_equal(c.format, PMU_CAPTURE_TRANSCRIPT);
    check_segments(&c);
    assert_int_equal(c.n_segments, 10);
    assert_segment(&c, 0, "\x02" "3:171.0(0)\x03\x12", 13, PMU_DIR_UNKNOWN, "AnswerDataMessage ok");
    const uint8_t bad[] = {0x02, 0x33, 0x3A, 0x31, 0x37, 0x31, 0x2E, 0x30, 0x28, 0x30, 0x29,
                           0x03, 0x11};
    assert_segment(&c, 1, (const char *)bad, sizeof bad, PMU_DIR_UNKNOWN,
                   "AnswerDataMessage bad (expected to fail)");
    assert_segment(&c, 3, "\x02" "3:14(314*kWh)4:15(415*kWh)\r\n!\r\n\x03\"", 34, PMU_DIR_UNKNOWN,
                   "ReadoutDataMessage");
    assert_segment(&c, 4, "\x01R1\x02" "1.8.0(1)\x03k", 14, PMU_DIR_UNKNOWN, "R1 1.8.0(1)");
    assert_segment(&c, 5, "\x01P0\x02(1234567)\x03P", 15, PMU_DIR_UNKNOWN, "P0 (1234567)");
    assert_segment(&c, 6, "\x01" "B0\x03q", 5, PMU_DIR_UNKNOWN, "B0 break");
    assert_segment(&c, 7, "/Els6\\2EK280\r\n", 14, PMU_DIR_UNKNOWN, "Identification");
    assert_segment(&c, 8, "\x06" "051\r\n", 6, PMU_DIR_UNKNOWN, "ACK option select");
    assert_segment(&c, 9, "/?45678903!\r\n", 13, PMU_DIR_UNKNOWN, "request");
    for (size_t i = 7; i < 10; i++)
        assert_int_equal(c.segments[i].line, 19);
    pmu_capture_free(&c);
    free(in);
}

/* ---- AUTO ---- */

static void test_auto_files(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum pmu_capture_format fmt;
    } files[] = {
        {"ace3000_noise_readout.bin", PMU_CAPTURE_RAW},
        {"zmd120ap_readout.txt", PMU_CAPTURE_RAW},
        {"kamstrup162_push.txt", PMU_CAPTURE_RAW},
        {"emh_p01_profile.txt", PMU_CAPTURE_RAW},
        {"metcom_p01_profile.txt", PMU_CAPTURE_RAW},
        {"ce301_programming_session.txt", PMU_CAPTURE_TRANSCRIPT},
        {"framing_vectors.txt", PMU_CAPTURE_TRANSCRIPT},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        uint8_t *in = read_capture(files[i].name, &len);
        if (pmu_capture_detect(in, len) != files[i].fmt)
            fail_msg("%s: detected %s", files[i].name,
                     pmu_capture_format_name(pmu_capture_detect(in, len)));
        struct pmu_capture c;
        struct pmu_error err;
        assert_int_equal(pmu_capture_decode(in, len, PMU_CAPTURE_AUTO, &c, &err), PMU_OK);
        assert_int_equal(c.format, files[i].fmt);
        check_segments(&c);
        if (files[i].fmt == PMU_CAPTURE_RAW)
            assert_bytes(&c, in, len);
        pmu_capture_free(&c);
        free(in);
    }
}

static void test_auto_rule(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum pmu_capture_format fmt;
    } cases[] = {
        {"", PMU_CAPTURE_RAW},
        {"# only a comment\n\n", PMU_CAPTURE_RAW},
        {"01 52 31 02\n", PMU_CAPTURE_HEX},
        {"# SOH R1\n0x01 0x52\n", PMU_CAPTURE_HEX},
        {"00000000: 0102 0304  ....\n", PMU_CAPTURE_HEX},
        {"00000000  01 02  |..|\n00000002\n", PMU_CAPTURE_HEX},
        {"00000000: 2722 2722  '\"'\"\n", PMU_CAPTURE_HEX},
        {"3:14(314*kWh)\r\n", PMU_CAPTURE_RAW},
        {"0000:1.8.0(1)\r\n", PMU_CAPTURE_RAW},
        {"1.8.1(001846.0*kWh)\r\n!\r\n", PMU_CAPTURE_RAW},
        {"/?!\r\n", PMU_CAPTURE_RAW},
        {"reader -> meter: b'/?!\\r\\n'\n", PMU_CAPTURE_TRANSCRIPT},
        {"x: \"a\"\n# c\ny: b\"b\"\n", PMU_CAPTURE_TRANSCRIPT},
        {"'abc'\n", PMU_CAPTURE_RAW},
        {"reader -> meter: b'abc\n", PMU_CAPTURE_RAW},
        {"b'a'\nplain line\n", PMU_CAPTURE_RAW},
        {"b'a'\x01\n", PMU_CAPTURE_RAW},
        {"01 02\n\xff", PMU_CAPTURE_RAW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum pmu_capture_format got =
            pmu_capture_detect((const uint8_t *)cases[i].text, strlen(cases[i].text));
        if (got != cases[i].fmt)
            fail_msg("case %zu: detected %s, expected %s", i, pmu_capture_format_name(got),
                     pmu_capture_format_name(cases[i].fmt));
    }
}

/* ---- names and arguments ---- */

static void test_names(void **state)
{
    (void)state;
    static const enum pmu_capture_format all[] = {PMU_CAPTURE_AUTO, PMU_CAPTURE_RAW,
                                                  PMU_CAPTURE_HEX, PMU_CAPTURE_TRANSCRIPT};
    for (size_t i = 0; i < 4; i++) {
        enum pmu_capture_format f = PMU_CAPTURE_RAW;
        assert_int_equal(pmu_capture_format_from_name(pmu_capture_format_name(all[i]), &f),
                         PMU_OK);
        assert_int_equal(f, all[i]);
    }
    assert_string_equal(pmu_capture_format_name(PMU_CAPTURE_TRANSCRIPT), "transcript");
    assert_string_equal(pmu_capture_format_name((enum pmu_capture_format)42), "?");
    enum pmu_capture_format f = PMU_CAPTURE_HEX;
    assert_int_equal(pmu_capture_format_from_name("xxd", &f), PMU_E_INVALID);
    assert_int_equal(pmu_capture_format_from_name("RAW", &f), PMU_E_INVALID);
    assert_int_equal(pmu_capture_format_from_name(NULL, &f), PMU_E_INVALID);
    assert_int_equal(f, PMU_CAPTURE_HEX);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    struct pmu_capture c;
    struct pmu_error err;
    memset(&c, 0xAA, sizeof c);
    assert_int_equal(pmu_capture_decode(NULL, 3, PMU_CAPTURE_RAW, &c, &err), PMU_E_INVALID);
    assert_null(c.bytes);
    assert_int_equal(pmu_capture_decode((const uint8_t *)"01", 2, PMU_CAPTURE_HEX, NULL, &err),
                     PMU_E_INVALID);
    assert_int_equal(pmu_capture_decode((const uint8_t *)"01", 2, (enum pmu_capture_format)9, &c,
                                        &err),
                     PMU_E_INVALID);
    assert_null(c.bytes);
    assert_non_null(strstr(err.message, "expected a capture format"));
    assert_int_equal(pmu_capture_decode((const uint8_t *)"0", 1, PMU_CAPTURE_HEX, &c, NULL),
                     PMU_E_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_hex_plain),
        cmocka_unit_test(test_hex_xxd),
        cmocka_unit_test(test_hex_hexdump),
        cmocka_unit_test(test_hex_errors),
        cmocka_unit_test(test_transcript_escapes),
        cmocka_unit_test(test_transcript_labels),
        cmocka_unit_test(test_transcript_errors),
        cmocka_unit_test(test_transcript_ce301),
        cmocka_unit_test(test_transcript_framing_vectors),
        cmocka_unit_test(test_auto_files),
        cmocka_unit_test(test_auto_rule),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
