/* bench/parse: throughput of the IEC 62056-21 parser on a large synthetic capture.
 *
 * Builds >= 64 MB of data messages with a realistic line mix (register readouts with
 * energy, demand with timestamps, identity and status lines; load-profile answers
 * with P.01 headers and interval rows), then times on one core:
 *   parse_throughput    frame parser (fed in 4 KiB chunks, as from a link) plus the
 *                       data-set tokenizer over every block: the figure,
 *                       target >= 300 MB/s;
 *   readout_throughput  the same plus typed records and profiles (allocations). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmu/dataset.h"
#include "pmu/iec62056.h"
#include "pmu/readout.h"

#define TARGET_MB_S 300.0

struct buf {
    unsigned char *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 1 << 20;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) {
            perror("bench_parse");
            exit(3);
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

__attribute__((format(printf, 2, 3)))
static void putf(struct buf *b, const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    put(b, line, (size_t)n);
}

static unsigned long rnd(unsigned long *s)
{
    *s = *s * 6364136223846793005ul + 1442695040888963407ul;
    return *s >> 33;
}

/* A register readout of about 4 KiB: the lines a polyphase meter gives. */
static void readout_block(struct buf *b, unsigned long *s)
{
    putf(b, "F.F(%08lu)\r\nC.1.0(%08lu)\r\n", 0ul, rnd(s) % 100000000);
    putf(b, "0.9.1(%06lu)\r\n0.9.2(%06lu)\r\n", 120000 + rnd(s) % 9999, 240115ul);
    for (int rep = 0; rep < 8; rep++) {
        for (unsigned long c = 1; c <= 4; c++)
            for (unsigned long t = 0; t <= 4; t++) {
                putf(b, "%lu.8.%lu", c, t);
                putf(b, "(%06lu.%03lu*kWh)\r\n", rnd(s) % 1000000, rnd(s) % 1000);
            }
        putf(b, "1.6.0(%02lu.%03lu*kW)", rnd(s) % 100, rnd(s) % 1000);
        putf(b, "(24%02lu%02lu1230)\r\n", 1 + rnd(s) % 12, 1 + rnd(s) % 28);
        putf(b, "32.7.0(%03lu.%01lu*V)\r\n", 220 + rnd(s) % 20, rnd(s) % 10);
        putf(b, "31.7.0(%03lu.%02lu*A)\r\n", rnd(s) % 100, rnd(s) % 100);
        putf(b, "0.1.0(%02lu)\r\n1.8.0*%02lu", rnd(s) % 100, 1 + rnd(s) % 12);
        putf(b, "(%06lu.%03lu*kWh)\r\n", rnd(s) % 1000000, rnd(s) % 1000);
    }
    put(b, "!\r\n", 3);
}

/* A load-profile answer: one day of 15-minute intervals on 4 channels. */
static void profile_block(struct buf *b, unsigned long *s)
{
    put(b, "P.01(1240115000000)(00000000)(15)(4)(1.5)(kW)(2.5)(kW)(5.5)(kvar)(8.5)(kvar)\r\n", 78);
    for (int i = 0; i < 96; i++) {
        for (int c = 0; c < 4; c++)
            putf(b, "(%lu.%05lu)", rnd(s) % 10, rnd(s) % 100000);
        put(b, "\r\n", 2);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses the whole capture; with `typed` also builds records and profiles. Returns
 * the number of data sets (or records) seen, so the work cannot be optimised away. */
static size_t run(const unsigned char *in, size_t len, int typed)
{
    struct pmu_iec_parser p;
    struct pmu_iec_parser_options opt = {.checksum = PMU_CHECKSUM_XOR};
    if (pmu_iec_parser_init(&p, &opt) != PMU_OK)
        exit(3);
    static struct pmu_dataset ds;
    size_t items = 0, pos = 0;
    while (pos < len) {
        size_t n = len - pos < 4096 ? len - pos : 4096, used;
        struct pmu_iec_frame f;
        enum pmu_status st = pmu_iec_parser_feed(&p, in + pos, n, &used, &f, NULL);
        pos += used;
        if (st != PMU_OK)
            continue;
        if (typed) {
            struct pmu_readout r;
            pmu_readout_init(&r);
            pmu_readout_add_block(&r, f.data, f.data_len, f.data_offset, 0, false);
            items += r.n_records;
            for (size_t i = 0; i < r.n_profiles; i++)
                items += r.profiles[i].n_rows;
            pmu_readout_free(&r);
        } else {
            struct pmu_dataset_reader rd;
            pmu_dataset_reader_init(&rd, f.data, f.data_len, f.data_offset);
            while (pmu_dataset_next(&rd, &ds, NULL) != PMU_DONE)
                items++;
        }
    }
    pmu_iec_parser_free(&p);
    return items;
}

int main(int argc, char **argv)
{
    size_t target = (argc > 1 ? (size_t)atol(argv[1]) : 64) * 1000 * 1000;
    struct buf cap = {0}, block = {0};
    unsigned long seed = 42;
    unsigned char frame[1 << 16];
    size_t frames = 0;
    while (cap.len < target) {
        block.len = 0;
        if (frames % 5 == 4)
            profile_block(&block, &seed);
        else
            readout_block(&block, &seed);
        long n = pmu_iec_build_data(PMU_CHECKSUM_XOR, block.p, block.len, false, frame, sizeof frame);
        if (n < 0) {
            fprintf(stderr, "bench_parse: block too large\n");
            return 3;
        }
        put(&cap, frame, (size_t)n);
        frames++;
    }
    double mb = (double)cap.len / 1e6;
    printf("parse_input: %.1f MB\nparse_frames: %zu frames\n", mb, frames);

    double best = 1e9, best_typed = 1e9;
    size_t items = 0, records = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        items = run(cap.p, cap.len, 0);
        double t1 = now();
        records = run(cap.p, cap.len, 1);
        double t2 = now();
        if (t1 - t0 < best)
            best = t1 - t0;
        if (t2 - t1 < best_typed)
            best_typed = t2 - t1;
    }
    printf("parse_data_sets: %zu sets\n", items);
    printf("parse_throughput: %.0f MB/s\n", mb / best);
    printf("parse_throughput_ratio_to_target: %.2f (target >= 1.00 at %.0f MB/s)\n",
           mb / best / TARGET_MB_S, TARGET_MB_S);
    printf("readout_records: %zu records and rows\n", records);
    printf("readout_throughput: %.0f MB/s\n", mb / best_typed);
    free(cap.p);
    free(block.p);
    return 0;
}
