/* libFuzzer target for generic W1 writes, both ends.
 *
 * Byte 0 even: the generic session with a write list (read before, write, read back)
 * is told what a meter says: messages of a length byte then that many bytes, each fed
 * once the session waits for an answer (its timer runs until then). The session
 * must end by itself and never crash; every write's verdict stays in range.
 * Byte 0 odd: a pmu-sim generic meter, logged in, gets records [kind, length,
 * bytes...] as W1 (kind even) or R1 (kind odd) data; it answers one ACK, one NAK or
 * one data message with a right BCC, and keeps at most what fits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/session.h"
#include "pmu/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void session_side(const uint8_t *data, size_t size)
{
    static const struct pmu_iec_write w[] = {
        {"0.4.2", "400", true}, {"128.4.1", "1-0:1.8.0*255", true}, {"128.0.1", "", false}};
    static const char *codes[] = {"1.8.0"};
    struct pmu_read_request req = {.password = "secret12", .writes = w, .n_writes = 3,
                                   .codes = codes, .n_codes = 1};
    struct pmu_path path;
    if (pmu_path_parse("serial:/dev/null?retries=1", &path, NULL) != PMU_OK)
        abort();
    struct pmu_session s;
    if (pmu_session_init(&s, &path, &req, NULL) != PMU_OK)
        abort();
    struct pmu_session_out out;
    uint64_t t = 1000;
    pmu_session_start(&s, t, &out);
    size_t pos = 0;
    for (int steps = 0; !out.done && steps < 10000; steps++) {
        bool listening = s.awaiting && !s.send_pending; /* feed answers, not interruptions */
        if (pos < size && (listening || out.wake_at == 0)) {
            size_t n = data[pos++];
            if (n > size - pos)
                n = size - pos;
            t += 30;
            pmu_session_input(&s, t, data + pos, n, &out);
            pos += n;
        } else if (out.wake_at != 0) {
            t = out.wake_at > t ? out.wake_at : t + 1;
            pmu_session_timer(&s, t, &out);
        } else {
            break;
        }
    }
    if (!out.done && pos >= size)
        abort(); /* out of input, the session must have ended by its time-outs */
    for (size_t i = 0; i < s.n_writes; i++)
        if (s.writes[i].verdict > PMU_IEC_WRITE_REFUSED || strlen(s.writes[i].after) > PMU_IEC_VALUE_MAX)
            abort();
    pmu_session_free(&s);
}

static void check_answer(const uint8_t *b, size_t n)
{
    if (n == 0)
        return; /* a message with a bad BCC from the host is not fuzzed here */
    if (n == 1 && (b[0] == 0x06 || b[0] == 0x15))
        return;
    if (n < 3 || b[0] != 0x02 || b[n - 2] != 0x03)
        abort();
    uint8_t bcc = 0;
    for (size_t i = 1; i + 1 < n; i++)
        bcc ^= b[i];
    if (bcc != b[n - 1] || n - 3 > 2 * PMU_SIM_SETTING_MAX + 2 + 128)
        abort();
}

static void feed(struct pmu_sim_meter *m, int64_t now, const uint8_t *msg, size_t len, uint8_t *ans,
                 size_t *ans_len)
{
    *ans_len = 0;
    while (len > 0) {
        size_t used = 0;
        struct pmu_sim_action act;
        if (pmu_sim_meter_input(m, now, msg, len, &used, &act) != PMU_OK)
            abort();
        for (size_t i = 0; i < act.n_segments; i++) {
            if (*ans_len + act.seg[i].len > 4096)
                abort();
            memcpy(ans + *ans_len, act.seg[i].bytes, act.seg[i].len);
            *ans_len += act.seg[i].len;
        }
        msg += used;
        len -= used;
        if (used == 0)
            break;
    }
}

static void sim_side(const uint8_t *data, size_t size)
{
    struct pmu_sim_config cfg;
    pmu_sim_config_init(&cfg);
    snprintf(cfg.password, sizeof cfg.password, "00000000");
    struct pmu_sim_meter m;
    if (pmu_sim_meter_init(&m, &cfg, 1) != PMU_OK)
        abort();
    static uint8_t ans[4096], msg[600];
    size_t n;
    int64_t now = 1705314600000;
    feed(&m, now, (const uint8_t *)"/?!\r\n", 5, ans, &n);
    feed(&m, now + 1000, (const uint8_t *)"\x06" "051\r\n", 6, ans, &n);
    long len = pmu_iec_build_command(PMU_CHECKSUM_XOR, "P1", (const uint8_t *)"(00000000)", 10, msg, sizeof msg);
    feed(&m, now + 2000, msg, (size_t)len, ans, &n);
    if (n != 1 || ans[0] != 0x06)
        abort();
    size_t pos = 0;
    for (int k = 0; pos + 2 <= size && k < 200; k++) {
        uint8_t kind = data[pos], l = data[pos + 1];
        pos += 2;
        size_t take = l < size - pos ? l : size - pos;
        uint8_t text[256]; /* printable 7-bit data: control bytes would split the frame */
        for (size_t i = 0; i < take; i++) {
            uint8_t c = data[pos + i] & 0x7f;
            text[i] = c < 0x20 || c == 0x7f ? '.' : c;
        }
        len = pmu_iec_build_command(PMU_CHECKSUM_XOR, kind % 2 ? "R1" : "W1", text, take, msg, sizeof msg);
        pos += take;
        if (len < 0)
            continue;
        now += 1000;
        feed(&m, now, msg, (size_t)len, ans, &n);
        check_answer(ans, n);
    }
    for (size_t i = 0; i < m.n_settings; i++)
        if (!pmu_sim_generic_writable(m.settings[i].address) || strlen(m.settings[i].value) > PMU_SIM_SETTING_MAX)
            abort();
    pmu_sim_meter_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        session_side(data + 1, size - 1);
    else
        sim_side(data + 1, size - 1);
    return 0;
}
