/* A simulated X.28 PAD (PAKNET): PAD commands to call an NUA and clear, service
 * signals (COM, CLR <cause>, ERR), a transparent data phase, the DLE escape back to
 * PAD command state, and the idle-timer forwarding that makes PAKNET slow to answer.
 *
 * States: command (no call), calling (waiting for COM or CLR), data (bytes pass;
 * the meter's bytes wait until the line has been idle PMU_SIM_PAD_IDLE_MS or
 * PMU_SIM_PAD_FORWARD_MAX of them have gathered, as a PAD fills a packet) and
 * escaped (PAD command state with the call kept). No prompt and no echo: the host is
 * a program. Like the modem, it never reads a clock. */
#include "pmu/sim.h"

#include <ctype.h>
#include <string.h>

enum state { ST_COMMAND, ST_CALLING, ST_DATA, ST_ESCAPED };

#define DLE 0x10

/* What a call ends in: COM or the cause of a clear. */
enum outcome { O_COM, O_OCC, O_NC, O_NP, O_DER };

static const char *const outcome_text[] = {
    [O_COM] = "COM", [O_OCC] = "CLR OCC", [O_NC] = "CLR NC", [O_NP] = "CLR NP",
    [O_DER] = "CLR DER"};

struct turn {
    struct pmu_sim_pad *p;
    struct pmu_sim_call_action *act;
    int64_t now;
    bool nomem;
};

/* Service signals travel framed by CR LF on both sides. */
static void signal_(struct turn *t, const char *text)
{
    if (pmu_sim_buf_printf(&t->p->host, "\r\n%s\r\n", text) != PMU_OK)
        t->nomem = true;
}

static void begin(struct turn *t, struct pmu_sim_pad *p, int64_t now,
                  struct pmu_sim_call_action *act)
{
    t->p = p;
    t->act = act;
    t->now = now;
    t->nomem = false;
    p->host.len = p->far.len = 0;
    memset(act, 0, sizeof *act);
}

static enum pmu_status finish(struct turn *t)
{
    struct pmu_sim_pad *p = t->p;
    struct pmu_sim_call_action *act = t->act;
    act->host = p->host.data;
    act->host_len = p->host.len;
    act->far = p->far.data;
    act->far_len = p->far.len;
    int64_t next = PMU_SIM_NEVER;
    if (p->state == ST_CALLING && p->result_ms < next)
        next = p->result_ms;
    if ((p->state == ST_DATA || p->state == ST_ESCAPED) && p->drop_ms < next)
        next = p->drop_ms;
    if (p->state == ST_DATA && p->waiting.len > 0 && p->forward_ms < next)
        next = p->forward_ms;
    act->deadline_ms = next;
    return t->nomem ? PMU_E_NOMEM : PMU_OK;
}

static void end_call(struct turn *t)
{
    struct pmu_sim_pad *p = t->p;
    if (p->state == ST_DATA || p->state == ST_ESCAPED)
        t->act->call = PMU_SIM_CALL_CLOSE;
    p->state = ST_COMMAND;
    p->result_ms = p->drop_ms = p->forward_ms = PMU_SIM_NEVER;
    p->waiting.len = 0;
}

/* Hands the meter's waiting bytes to the host. */
static void forward(struct turn *t)
{
    struct pmu_sim_pad *p = t->p;
    if (pmu_sim_buf_append(&p->host, p->waiting.data, p->waiting.len) != PMU_OK)
        t->nomem = true;
    p->waiting.len = 0;
    p->forward_ms = PMU_SIM_NEVER;
}

void pmu_sim_pad_init(struct pmu_sim_pad *p, const struct pmu_sim_call_config *cfg,
                      unsigned index, pmu_sim_lookup_fn lookup, void *lookup_ctx)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->index = index;
    p->lookup = lookup;
    p->lookup_ctx = lookup_ctx;
    pmu_sim_rng_seed(&p->rng, cfg->fault_seed, index);
    p->state = ST_COMMAND;
    p->result_ms = p->drop_ms = p->forward_ms = PMU_SIM_NEVER;
}

void pmu_sim_pad_free(struct pmu_sim_pad *p)
{
    pmu_sim_buf_free(&p->waiting);
    pmu_sim_buf_free(&p->host);
    pmu_sim_buf_free(&p->far);
}

void pmu_sim_pad_reset(struct pmu_sim_pad *p, struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, p, 0, act);
    end_call(&t);
    p->cmd_len = 0;
    p->cmd_overflow = false;
    finish(&t);
}

bool pmu_sim_pad_in_call(const struct pmu_sim_pad *p)
{
    return p->state == ST_DATA || p->state == ST_ESCAPED;
}

/* ---- Calls ---------------------------------------------------------------------- */

/* "[facility{,facility}-]NUA" with facilities N<NUI> (1..16 letters or digits), R
 * (reverse charge) and G<nn> (closed user group). The facilities are checked, then
 * ignored: the simulated network charges nobody. */
static bool call_request(struct pmu_sim_pad *p, const char *s)
{
    const char *dash = strchr(s, '-');
    if (dash == s)
        return false; /* a '-' needs facilities before it */
    if (dash != NULL) {
        for (const char *f = s; f < dash;) {
            const char *end = memchr(f, ',', (size_t)(dash - f));
            if (end == NULL)
                end = dash;
            size_t n = (size_t)(end - f);
            if (n == 1 && f[0] == 'R') {
                /* reverse charge */
            } else if (n == 3 && f[0] == 'G' && isdigit((unsigned char)f[1]) &&
                       isdigit((unsigned char)f[2])) {
                /* closed user group */
            } else if (n >= 2 && n <= 17 && f[0] == 'N') {
                for (size_t i = 1; i < n; i++)
                    if (!isalnum((unsigned char)f[i]))
                        return false;
            } else {
                return false;
            }
            f = end + (end < dash);
        }
        s = dash + 1;
    }
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof p->nua)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    memcpy(p->nua, s, n + 1);
    return true;
}

/* Starts the call to p->nua: draws the call's faults (all switched-on ones, in a
 * fixed order) and asks the phone book who answers. */
static void call(struct turn *t)
{
    struct pmu_sim_pad *p = t->p;
    const double *f = p->cfg->faults;
    bool der = pmu_sim_call_chance(f[PMU_SIM_CALL_UNAVAILABLE], &p->rng);
    bool occ = pmu_sim_call_chance(f[PMU_SIM_CALL_BUSY], &p->rng);
    bool nc = pmu_sim_call_chance(f[PMU_SIM_CALL_NO_ANSWER], &p->rng);
    bool slow = pmu_sim_call_chance(f[PMU_SIM_CALL_SLOW], &p->rng);
    p->drop_after_ms = 0;
    if (pmu_sim_call_chance(f[PMU_SIM_CALL_DROP], &p->rng))
        p->drop_after_ms = PMU_SIM_DROP_MIN_MS + (unsigned)(pmu_sim_rng_next(&p->rng) %
                                                  (PMU_SIM_DROP_MAX_MS - PMU_SIM_DROP_MIN_MS + 1));
    enum pmu_sim_callee who = p->lookup(p->lookup_ctx, p->nua, &p->target);
    p->state = ST_CALLING;
    p->result_ms = t->now + p->cfg->connect_ms;
    if (der)
        p->outcome = O_DER;
    else if (who == PMU_SIM_CALLEE_NONE)
        p->outcome = O_NP;
    else if (who == PMU_SIM_CALLEE_BUSY || occ)
        p->outcome = O_OCC;
    else if (nc)
        p->outcome = O_NC;
    else {
        p->outcome = O_COM;
        if (slow)
            p->result_ms = t->now + PMU_SIM_SLOW_CONNECT_MS;
    }
}

static void call_result(struct turn *t)
{
    struct pmu_sim_pad *p = t->p;
    p->result_ms = PMU_SIM_NEVER;
    p->state = ST_COMMAND;
    if (p->outcome == O_COM &&
        p->lookup(p->lookup_ctx, p->nua, &p->target) != PMU_SIM_CALLEE_FREE)
        p->outcome = O_OCC; /* taken by another call meanwhile */
    if (p->outcome == O_COM) {
        p->state = ST_DATA;
        p->drop_ms = p->drop_after_ms ? t->now + p->drop_after_ms : PMU_SIM_NEVER;
        t->act->call = PMU_SIM_CALL_OPEN;
        t->act->target = p->target;
    }
    signal_(t, outcome_text[p->outcome]);
}

/* ---- PAD commands --------------------------------------------------------------- */

static void command_line(struct turn *t)
{
    struct pmu_sim_pad *p = t->p;
    char line[PMU_SIM_COMMAND_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < p->cmd_len; i++)
        if (p->cmd[i] != ' ')
            line[n++] = (char)toupper((unsigned char)p->cmd[i]);
    line[n] = '\0';
    bool overflow = p->cmd_overflow;
    p->cmd_len = 0;
    p->cmd_overflow = false;
    bool engaged = p->state == ST_ESCAPED;
    if (overflow) {
        signal_(t, "ERR");
    } else if (n == 0) {
        if (engaged) /* an empty command goes back to the call */
            p->state = ST_DATA;
    } else if (strcmp(line, "CLR") == 0) {
        end_call(t);
        signal_(t, "CLR CONF");
    } else if (strcmp(line, "STAT") == 0) {
        signal_(t, engaged ? "ENGAGED" : "FREE");
    } else if (!engaged && call_request(p, strncmp(line, "CALL", 4) == 0 ? line + 4 : line)) {
        call(t);
    } else {
        signal_(t, "ERR");
    }
}

static void command_byte(struct turn *t, uint8_t b)
{
    struct pmu_sim_pad *p = t->p;
    char c = (char)(b & 0x7F);
    if (c == '\r') {
        command_line(t);
    } else if (c == '\b' || c == 0x7F) {
        if (p->cmd_len > 0)
            p->cmd_len--;
    } else if (c < 0x20) {
        /* LF and other controls: ignored */
    } else if (p->cmd_len < PMU_SIM_COMMAND_MAX) {
        p->cmd[p->cmd_len++] = c;
    } else {
        p->cmd_overflow = true;
    }
}

enum pmu_status pmu_sim_pad_input(struct pmu_sim_pad *p, int64_t now_ms, const uint8_t *in,
                                  size_t len, struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, p, now_ms, act);
    for (size_t i = 0; i < len; i++) {
        switch (p->state) {
        case ST_CALLING:
            break; /* nothing is read while the call is being set up */
        case ST_DATA:
            if ((in[i] & 0x7F) == DLE) {
                /* PAD command state; the meter's bytes are not shown there */
                p->state = ST_ESCAPED;
                p->waiting.len = 0;
                p->forward_ms = PMU_SIM_NEVER;
            } else if (pmu_sim_buf_append(&p->far, &in[i], 1) != PMU_OK) {
                t.nomem = true;
            }
            break;
        default:
            command_byte(&t, in[i]);
            break;
        }
    }
    return finish(&t);
}

enum pmu_status pmu_sim_pad_far_input(struct pmu_sim_pad *p, int64_t now_ms,
                                      const uint8_t *in, size_t len,
                                      struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, p, now_ms, act);
    if (p->state == ST_DATA) {
        if (pmu_sim_buf_append(&p->waiting, in, len) != PMU_OK)
            t.nomem = true;
        /* A full packet leaves at once; the rest waits for the line to go quiet. */
        if (p->waiting.len >= PMU_SIM_PAD_FORWARD_MAX)
            forward(&t);
        else
            p->forward_ms = now_ms + PMU_SIM_PAD_IDLE_MS;
    }
    return finish(&t);
}

enum pmu_status pmu_sim_pad_far_gone(struct pmu_sim_pad *p, int64_t now_ms,
                                     struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, p, now_ms, act);
    if (p->state == ST_DATA && p->waiting.len > 0)
        forward(&t); /* what arrived before the clear is delivered first */
    if (p->state == ST_CALLING) {
        p->state = ST_COMMAND;
        p->result_ms = PMU_SIM_NEVER;
        signal_(&t, "CLR OCC");
    } else if (p->state != ST_COMMAND) {
        end_call(&t);
        signal_(&t, "CLR DTE");
    }
    return finish(&t);
}

enum pmu_status pmu_sim_pad_timer(struct pmu_sim_pad *p, int64_t now_ms,
                                  struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, p, now_ms, act);
    if (p->state == ST_CALLING && now_ms >= p->result_ms)
        call_result(&t);
    if (pmu_sim_pad_in_call(p) && now_ms >= p->drop_ms) {
        end_call(&t); /* bytes still waiting are lost with the call */
        signal_(&t, "CLR DER");
    }
    if (p->state == ST_DATA && p->waiting.len > 0 && now_ms >= p->forward_ms)
        forward(&t);
    return finish(&t);
}
