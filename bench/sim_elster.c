/* bench/sim_elster: what a simulated Elster meter costs pmu-sim per answer.
 *
 * Drives one A1700 meter (pure state machine, no line) through a session and times:
 *   elster_history_ms   one 507 read at a new second: the meter replays its whole
 *                       history (13 months of 30-minute intervals, with the
 *                       power_fail and clock_change faults on every day); bound 5 ms,
 *                       so one pmu-sim core serves 200 such reads a second;
 *   elster_profile_read_ms  the 551 selection (all 40 days) and every 550 packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmu/elster.h"
#include "pmu/sim.h"

#define BOUND_MS 5.0

static struct pmu_sim_meter meter;
static int64_t now_ms;
static uint8_t last[512];
static size_t last_len;

static double clock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void feed(const void *p, size_t n)
{
    const uint8_t *b = p;
    last_len = 0;
    while (n > 0) {
        size_t used;
        struct pmu_sim_action act;
        if (pmu_sim_meter_input(&meter, now_ms, b, n, &used, &act) != PMU_OK) {
            fprintf(stderr, "bench_sim_elster: meter failed\n");
            exit(1);
        }
        for (size_t i = 0; i < act.n_segments && last_len + act.seg[i].len <= sizeof last; i++) {
            memcpy(last + last_len, act.seg[i].bytes, act.seg[i].len);
            last_len += act.seg[i].len;
        }
        b += used;
        n -= used;
    }
}

static void command(const uint8_t *msg, long n)
{
    if (n <= 0)
        exit(1);
    feed(msg, (size_t)n);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "models";
    char path[1024];
    snprintf(path, sizeof path, "%s/a1700-16tou.json", dir);
    FILE *f = fopen(path, "rb");
    static char text[1 << 16];
    size_t len = f ? fread(text, 1, sizeof text, f) : 0;
    if (f)
        fclose(f);
    struct pmu_elster_model model;
    if (pmu_elster_model_load(text, len, &model, NULL) != PMU_OK) {
        fprintf(stderr, "usage: bench_sim_elster [MODELS-DIR]  (cannot load %s)\n", path);
        return 2;
    }
    struct pmu_sim_config cfg;
    pmu_sim_config_init(&cfg);
    pmu_sim_config_set(&cfg, "model", "a1700-16tou", NULL);
    pmu_sim_config_set(&cfg, "faults", "power_fail=1,clock_change=1", NULL);
    cfg.elster = &model;
    cfg.fixed_rate = true;
    pmu_sim_meter_init(&meter, &cfg, 1);
    now_ms = (int64_t)1710072000 * 1000; /* 2024-03-10T12:00 */
    feed("/?!\r\n", 5);
    feed("\x06" "056\r\n", 6);
    uint8_t seed[8], resp[8], msg[256];
    pmu_elster_seed_parse(last + 4, 18, seed, NULL);
    pmu_elster_password_transform("00000000", seed, resp, NULL);
    command(msg, pmu_elster_build_p2(resp, msg, sizeof msg));

    enum { READS = 50 };
    double best = 1e9;
    for (int i = 0; i < READS; i++) {
        now_ms += 1000;
        double t0 = clock_ms();
        command(msg, pmu_elster_build_read(507, 1, 64, msg, sizeof msg));
        double t = clock_ms() - t0;
        if (t < best)
            best = t;
    }
    now_ms += 1000;
    double t0 = clock_ms();
    uint8_t sel[2];
    pmu_elster_lp_select_encode(PMU_ELSTER_LP_ALL_DAYS, sel);
    command(msg, pmu_elster_build_write(551, 1, sel, 2, msg, sizeof msg));
    command(msg, pmu_elster_build_read(551, 1, 4, msg, sizeof msg));
    uint8_t size4[64];
    size_t n;
    int code;
    pmu_elster_reply_parse(last + 1, last_len - 3, size4, sizeof size4, &n, &code, NULL);
    struct pmu_elster_lp_size size;
    pmu_elster_lp_size_decode(size4, &size);
    unsigned packets = pmu_elster_lp_packets(&size);
    for (unsigned p = 1; p <= packets; p++)
        command(msg, pmu_elster_build_read(550, p, 64, msg, sizeof msg));
    double profile = clock_ms() - t0;
    printf("elster_history_ms: %.2f ms\n", best);
    printf("elster_history_ms_ratio_to_bound: %.2f\n", best / BOUND_MS);
    printf("elster_profile_packets: %u packets\n", packets);
    printf("elster_profile_read_ms: %.2f ms\n", profile);
    pmu_sim_meter_free(&meter);
    pmu_elster_model_free(&model);
    return 0;
}
