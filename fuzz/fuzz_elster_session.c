/* libFuzzer target for the Elster session driver inside the generic session: the
 * input is what an A1700 says, as messages: each is a length byte then that many
 * bytes, fed when the session is waiting for an answer (the timer fires between
 * messages). The session must end (no loop), and never crash, whatever it is told. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster_session.h"
#include "pmu/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pmu_elster_model model;
static bool loaded;

static void load(void)
{
    FILE *f = fopen(PMU_MODELS_DIR "/a1700-16tou.json", "rb");
    if (f == NULL)
        abort();
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    if (pmu_elster_model_load(text, n, &model, NULL) != PMU_OK)
        abort();
    loaded = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded)
        load();
    static const uint8_t vt[7] = {0, 0, 0x10, 0x01, 0, 0x10, 0x01};
    struct pmu_elster_write w[2] = {{.id = 614, .data = vt, .len = 7, .verify = true}, {.id = 655}};
    struct pmu_elster_plan plan = {.models = &model, .n_models = 1, .password = "FEDC0003",
                                   .reads = PMU_ELSTER_READ_ALL, .billing_sets = 2, .lp_days = 1,
                                   .writes = w, .n_writes = 2};
    struct pmu_read_request req = {.elster = &plan};
    struct pmu_path path;
    if (pmu_path_parse("serial:/dev/null?retries=1", &path, NULL) != PMU_OK)
        abort();
    struct pmu_session s;
    if (pmu_session_init(&s, &path, &req, NULL) != PMU_OK)
        abort();
    pmu_session_set_host_clock(&s, 1705314600000);
    struct pmu_session_out out;
    uint64_t t = 1000;
    pmu_session_start(&s, t, &out);
    size_t pos = 0;
    for (int steps = 0; !out.done && steps < 10000; steps++) {
        if (pos < size) {
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
    pmu_session_free(&s);
    return 0;
}
