/* libFuzzer target: a simulated Elster meter (pmu-sim) fed host messages nobody
 * controls, logged in or not. The meter parses R1/W1 data (identities, packets, hex,
 * dates, ratios, TOU tables, masks, periods) and replays its history on every clock
 * step. Every answer must be one ACK, one NAK or one data message "(hex)" of at most
 * 64 bytes or "(ERRn)", with a right BCC.
 *
 * Input: byte 0 options (bit 0 model a1140 instead of a1700-16tou, bit 1 the
 * power_fail and clock_change faults, bit 2 log in first); then records
 * [kind, length, bytes...]: kind % 3 = 0 a command frame (its first 2 bytes are the
 * command, the rest the data), 1 raw bytes, 2 the clock moves on by length x 97 s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster.h"
#include "pmu/sim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pmu_elster_model models[2];

static void load(const char *name, struct pmu_elster_model *m)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", PMU_MODELS_DIR, name);
    FILE *f = fopen(path, "rb");
    static char text[1 << 16];
    size_t n = f ? fread(text, 1, sizeof text, f) : 0;
    if (f)
        fclose(f);
    if (pmu_elster_model_load(text, n, m, NULL) != PMU_OK) {
        fprintf(stderr, "fuzz_sim_elster: cannot load %s\n", path);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    load("a1700-16tou", &models[0]);
    load("a1140", &models[1]);
    return 0;
}

static struct pmu_sim_meter meter;
static int64_t now;
static uint8_t seed[8];

/* Feeds bytes; checks each answer; returns the last answer's first bytes. */
static void feed(const uint8_t *p, size_t n, uint8_t *first, size_t *first_len)
{
    while (n > 0) {
        size_t used = 0;
        struct pmu_sim_action act;
        if (pmu_sim_meter_input(&meter, now, p, n, &used, &act) != PMU_OK || used > n)
            abort();
        for (size_t i = 0; i < act.n_segments; i++) {
            const uint8_t *b = act.seg[i].bytes;
            size_t len = act.seg[i].len;
            if (first != NULL && len <= 64) {
                memcpy(first, b, len);
                *first_len = len;
            }
            if (len == 0 || b[0] == '/' || (len == 1 && (b[0] == 0x06 || b[0] == 0x15)))
                continue;
            if (b[0] == 0x01 && len == 24 && memcmp(b + 1, "P0", 2) == 0)
                continue;
            /* STX (...) ETX BCC */
            if (len < 5 || b[0] != 0x02 || b[len - 2] != 0x03)
                abort();
            uint8_t bcc = 0;
            for (size_t k = 1; k < len - 1; k++)
                bcc ^= b[k];
            uint8_t out[PMU_ELSTER_PACKET];
            size_t out_len;
            int code;
            enum pmu_status st =
                pmu_elster_reply_parse(b + 1, len - 3, out, sizeof out, &out_len, &code, NULL);
            if (bcc != b[len - 1] || (st != PMU_OK && st != PMU_E_REFUSED))
                abort();
        }
        p += used;
        n -= used;
        now += 1000;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct pmu_sim_config cfg;
    pmu_sim_config_init(&cfg);
    pmu_sim_config_set(&cfg, "model", data[0] & 1 ? "a1140" : "a1700-16tou", NULL);
    cfg.elster = &models[data[0] & 1];
    cfg.fixed_rate = true;
    if (data[0] & 2)
        pmu_sim_faults_parse("power_fail=0.5,clock_change=0.5", &cfg.faults, NULL);
    if (pmu_sim_meter_init(&meter, &cfg, 7) != PMU_OK)
        abort();
    now = (int64_t)1710072000 * 1000; /* 2024-03-10T12:00 */
    feed((const uint8_t *)"/?!\r\n", 5, NULL, NULL);
    uint8_t first[64];
    size_t first_len = 0;
    feed((const uint8_t *)"\x06" "056\r\n", 6, first, &first_len);
    if (first_len != 24 || pmu_elster_seed_parse(first + 4, 18, seed, NULL) != PMU_OK)
        abort();
    if (data[0] & 4) {
        uint8_t resp[8], msg[40];
        pmu_elster_password_transform("00000000", seed, resp, NULL);
        long n = pmu_elster_build_p2(resp, msg, sizeof msg);
        feed(msg, (size_t)n, first, &first_len);
        if (first_len != 1 || first[0] != 0x06)
            abort();
    }
    size_t i = 1;
    while (i + 2 <= size) {
        unsigned kind = data[i] % 3;
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        const uint8_t *p = data + i;
        i += len;
        if (kind == 2) {
            now += (int64_t)len * 97000;
            struct pmu_sim_action act;
            if (pmu_sim_meter_timer(&meter, now, &act) != PMU_OK)
                abort();
        } else if (kind == 1) {
            feed(p, len, NULL, NULL);
        } else if (len >= 2) {
            char cmd[3] = {(char)(p[0] & 0x7F), (char)(p[1] & 0x7F), 0};
            uint8_t msg[600];
            long n = pmu_iec_build_command(PMU_CHECKSUM_XOR, cmd, p + 2, len - 2, msg, sizeof msg);
            if (n > 0)
                feed(msg, (size_t)n, NULL, NULL);
        }
    }
    pmu_sim_meter_free(&meter);
    return 0;
}
