/* A simulated Hayes modem: the AT command set a meter-reading host uses (init, GSM
 * checks, bearer, dial, escape, hang-up) and a transparent data mode.
 *
 * States: command mode (no call), dialling (waiting for the dial's result), data mode
 * (bytes pass both ways) and online command mode (after "+++": AT commands again, the
 * call kept). The modem never looks at a clock: every event brings its time, and the
 * dial result, the escape guard time and the drop fault are deadlines it hands back.
 * The modem's own bytes are plain ASCII: the host line is 8N1. Bit 7 of what the host
 * sends is ignored in command mode, so a host that adds 7E1 parity to its AT commands
 * is understood too. */
#include "pmu/sim.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum state { ST_COMMAND, ST_DIALLING, ST_DATA, ST_ONLINE_COMMAND };

/* Result codes: the verbose text (V1) and the number (V0). */
enum result {
    R_OK, R_CONNECT, R_NO_CARRIER, R_ERROR, R_NO_DIALTONE, R_BUSY, R_NO_ANSWER
};

static const struct {
    int code;
    const char *text;
} results[] = {
    [R_OK] = {0, "OK"},
    [R_CONNECT] = {12, "CONNECT 9600"},
    [R_NO_CARRIER] = {3, "NO CARRIER"},
    [R_ERROR] = {4, "ERROR"},
    [R_NO_DIALTONE] = {6, "NO DIALTONE"},
    [R_BUSY] = {7, "BUSY"},
    [R_NO_ANSWER] = {8, "NO ANSWER"},
};

/* One event: where its output goes and whether memory ran out on the way. */
struct turn {
    struct pmu_sim_modem *m;
    struct pmu_sim_call_action *act;
    int64_t now;
    bool nomem;
};

static void to_host(struct turn *t, const void *p, size_t n)
{
    if (pmu_sim_buf_append(&t->m->host, p, n) != PMU_OK)
        t->nomem = true;
}

static void result(struct turn *t, enum result r)
{
    struct pmu_sim_modem *m = t->m;
    if (m->quiet)
        return;
    enum pmu_status st = m->verbose ? pmu_sim_buf_printf(&m->host, "\r\n%s\r\n", results[r].text)
                                    : pmu_sim_buf_printf(&m->host, "%d\r", results[r].code);
    if (st != PMU_OK)
        t->nomem = true;
}

/* Information text before a result code, e.g. "+CSQ: 18,99". */
static void info(struct turn *t, const char *text)
{
    enum pmu_status st = t->m->verbose ? pmu_sim_buf_printf(&t->m->host, "\r\n%s\r\n", text)
                                       : pmu_sim_buf_printf(&t->m->host, "%s\r\n", text);
    if (st != PMU_OK)
        t->nomem = true;
}

static void begin(struct turn *t, struct pmu_sim_modem *m, int64_t now,
                  struct pmu_sim_call_action *act)
{
    t->m = m;
    t->act = act;
    t->now = now;
    t->nomem = false;
    m->host.len = m->far.len = 0;
    memset(act, 0, sizeof *act);
}

static enum pmu_status finish(struct turn *t)
{
    struct pmu_sim_modem *m = t->m;
    struct pmu_sim_call_action *act = t->act;
    act->host = m->host.data;
    act->host_len = m->host.len;
    act->far = m->far.data;
    act->far_len = m->far.len;
    int64_t next = PMU_SIM_NEVER;
    if (m->state == ST_DIALLING && m->result_ms < next)
        next = m->result_ms;
    if ((m->state == ST_DATA || m->state == ST_ONLINE_COMMAND) && m->drop_ms < next)
        next = m->drop_ms;
    if (m->state == ST_DATA && m->plus == 3 && m->escape_ms < next)
        next = m->escape_ms;
    act->deadline_ms = next;
    return t->nomem ? PMU_E_NOMEM : PMU_OK;
}

static void factory(struct pmu_sim_modem *m)
{
    m->echo = true;
    m->verbose = true;
    m->quiet = false;
}

static void end_call(struct turn *t)
{
    struct pmu_sim_modem *m = t->m;
    if (m->state == ST_DATA || m->state == ST_ONLINE_COMMAND)
        t->act->call = PMU_SIM_CALL_CLOSE;
    m->state = ST_COMMAND;
    m->result_ms = m->drop_ms = m->escape_ms = PMU_SIM_NEVER;
    m->plus = 0;
}

void pmu_sim_modem_init(struct pmu_sim_modem *m, const struct pmu_sim_call_config *cfg,
                        unsigned index, pmu_sim_lookup_fn lookup, void *lookup_ctx)
{
    memset(m, 0, sizeof *m);
    m->cfg = cfg;
    m->index = index;
    m->lookup = lookup;
    m->lookup_ctx = lookup_ctx;
    pmu_sim_rng_seed(&m->rng, cfg->fault_seed, index);
    factory(m);
    m->state = ST_COMMAND;
    m->result_ms = m->drop_ms = m->escape_ms = PMU_SIM_NEVER;
}

void pmu_sim_modem_free(struct pmu_sim_modem *m)
{
    pmu_sim_buf_free(&m->host);
    pmu_sim_buf_free(&m->far);
}

void pmu_sim_modem_reset(struct pmu_sim_modem *m, struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, m, 0, act);
    end_call(&t);
    factory(m);
    m->cmd_len = 0;
    m->cmd_overflow = false;
    finish(&t);
}

bool pmu_sim_modem_in_call(const struct pmu_sim_modem *m)
{
    return m->state == ST_DATA || m->state == ST_ONLINE_COMMAND;
}

/* ---- Dialling ------------------------------------------------------------------- */

/* Starts a call to m->number: draws the call's faults (always all switched-on ones,
 * in a fixed order, so one fault does not shift the others) and asks the phone book
 * who answers. */
static void dial(struct turn *t)
{
    struct pmu_sim_modem *m = t->m;
    const double *p = m->cfg->faults;
    bool unavailable = pmu_sim_call_chance(p[PMU_SIM_CALL_UNAVAILABLE], &m->rng);
    bool busy = pmu_sim_call_chance(p[PMU_SIM_CALL_BUSY], &m->rng);
    bool no_answer = pmu_sim_call_chance(p[PMU_SIM_CALL_NO_ANSWER], &m->rng);
    bool slow = pmu_sim_call_chance(p[PMU_SIM_CALL_SLOW], &m->rng);
    m->drop_after_ms = 0;
    if (pmu_sim_call_chance(p[PMU_SIM_CALL_DROP], &m->rng))
        m->drop_after_ms = PMU_SIM_DROP_MIN_MS + (unsigned)(pmu_sim_rng_next(&m->rng) %
                                                  (PMU_SIM_DROP_MAX_MS - PMU_SIM_DROP_MIN_MS + 1));
    enum pmu_sim_callee who = m->lookup(m->lookup_ctx, m->number, &m->target);
    m->state = ST_DIALLING;
    if (unavailable) {
        m->outcome = R_NO_DIALTONE;
        m->result_ms = t->now + PMU_SIM_NO_DIALTONE_MS;
    } else if (who != PMU_SIM_CALLEE_NONE && (who == PMU_SIM_CALLEE_BUSY || busy)) {
        m->outcome = R_BUSY;
        m->result_ms = t->now + m->cfg->connect_ms;
    } else if (who == PMU_SIM_CALLEE_NONE || no_answer) {
        m->outcome = R_NO_ANSWER;
        m->result_ms = t->now + PMU_SIM_NO_ANSWER_MS;
    } else {
        m->outcome = R_CONNECT;
        m->result_ms = t->now + (slow ? PMU_SIM_SLOW_CONNECT_MS : m->cfg->connect_ms);
    }
}

static void dial_result(struct turn *t)
{
    struct pmu_sim_modem *m = t->m;
    m->result_ms = PMU_SIM_NEVER;
    if (m->outcome == R_CONNECT) {
        /* Ask again: the line may have been taken by another call meanwhile. */
        if (m->lookup(m->lookup_ctx, m->number, &m->target) != PMU_SIM_CALLEE_FREE) {
            m->state = ST_COMMAND;
            result(t, R_BUSY);
            return;
        }
        m->state = ST_DATA;
        m->last_rx_ms = t->now;
        m->plus = 0;
        m->escape_ms = PMU_SIM_NEVER;
        m->drop_ms = m->drop_after_ms ? t->now + m->drop_after_ms : PMU_SIM_NEVER;
        t->act->call = PMU_SIM_CALL_OPEN;
        t->act->target = m->target;
        result(t, R_CONNECT);
        return;
    }
    m->state = ST_COMMAND;
    result(t, (enum result)m->outcome);
}

/* ---- AT commands ---------------------------------------------------------------- */

/* An optional one-digit parameter (missing means 0); -1 when it is not a digit. */
static int param(const char **p)
{
    if (**p >= '0' && **p <= '9')
        return *(*p)++ - '0';
    return **p == '\0' || isalpha((unsigned char)**p) || **p == '&' || **p == '+' ? 0 : -1;
}

/* The dial string after D: an optional T or P, then digits; the punctuation people
 * write in numbers is skipped. ';' (a voice call) and other letters are errors. */
static bool dial_string(struct pmu_sim_modem *m, const char *p)
{
    if (*p == 'T' || *p == 'P')
        p++;
    size_t n = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            m->number[n++] = *p;
        else if (strchr(",W-().", *p) == NULL)
            return false;
    }
    m->number[n] = '\0';
    return n > 0;
}

/* One extended (+) command, up to ';' or the end; false: ERROR. */
static bool extended(struct turn *t, const char **pp)
{
    const char *p = *pp;
    size_t n = strcspn(p, ";");
    char cmd[PMU_SIM_COMMAND_MAX + 1], line[40];
    memcpy(cmd, p, n);
    cmd[n] = '\0';
    *pp = p + n + (p[n] == ';');
    if (strcmp(cmd, "+CPIN?") == 0) {
        info(t, "+CPIN: READY");
    } else if (strcmp(cmd, "+CREG?") == 0) {
        info(t, "+CREG: 0,1");
    } else if (strcmp(cmd, "+CSQ") == 0) {
        /* A steady, fair signal that differs from modem to modem. */
        snprintf(line, sizeof line, "+CSQ: %u,99", 10 + (t->m->index * 7) % 21);
        info(t, line);
    } else if (strcmp(cmd, "+CBST=7,0,1") == 0 || strcmp(cmd, "+CBST=71,0,1") == 0) {
        /* V.32 9600 and V.110 9600: the bearers meters answer on */
    } else {
        return false;
    }
    return true;
}

/* Runs the commands of one line after "AT"; every command's effect stays even when a
 * later one fails, as on real modems. */
static void run(struct turn *t, const char *p)
{
    struct pmu_sim_modem *m = t->m;
    bool in_call = m->state == ST_ONLINE_COMMAND;
    while (*p) {
        char c = *p++;
        int n;
        switch (c) {
        case 'E':
        case 'V':
        case 'Q':
            if ((n = param(&p)) < 0 || n > 1)
                goto error;
            if (c == 'E')
                m->echo = n == 1;
            else if (c == 'V')
                m->verbose = n == 1;
            else
                m->quiet = n == 1;
            break;
        case 'X':
            if ((n = param(&p)) < 0 || n > 4)
                goto error;
            break;
        case '&':
            c = *p++;
            n = c == '\0' ? -1 : param(&p);
            if (c == 'D' && n >= 0 && n <= 3)
                break;
            if (c == 'C' && (n == 0 || n == 1))
                break;
            if (c == 'F' && n == 0) {
                factory(m);
                break;
            }
            goto error;
        case 'S':
            /* S-registers (S0=0, S7=60): accepted, they change nothing here. */
            if (!isdigit((unsigned char)*p))
                goto error;
            while (isdigit((unsigned char)*p))
                p++;
            if (*p++ != '=' || !isdigit((unsigned char)*p))
                goto error;
            while (isdigit((unsigned char)*p))
                p++;
            break;
        case 'Z':
            if ((n = param(&p)) != 0)
                goto error;
            end_call(t);
            factory(m);
            result(t, R_OK);
            return; /* the rest of the line is not read */
        case 'H':
            if ((n = param(&p)) != 0)
                goto error;
            end_call(t);
            in_call = false;
            break;
        case 'O':
            if ((n = param(&p)) != 0)
                goto error;
            if (!in_call) {
                result(t, R_NO_CARRIER);
                return;
            }
            m->state = ST_DATA;
            m->last_rx_ms = t->now;
            m->plus = 0;
            result(t, R_CONNECT);
            return;
        case 'D':
            if (in_call || !dial_string(m, p))
                goto error;
            dial(t);
            return; /* the result comes when the call does */
        case '+':
            p--;
            if (!extended(t, &p))
                goto error;
            break;
        default:
            goto error;
        }
    }
    result(t, R_OK);
    return;
error:
    result(t, R_ERROR);
}

/* A complete command line (without its CR). Lines that do not start with AT are not
 * for the modem and get no answer, as on real modems. */
static void command_line(struct turn *t)
{
    struct pmu_sim_modem *m = t->m;
    char line[PMU_SIM_COMMAND_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < m->cmd_len; i++)
        if (m->cmd[i] != ' ') /* Hayes modems skip spaces */
            line[n++] = (char)toupper((unsigned char)m->cmd[i]);
    line[n] = '\0';
    bool overflow = m->cmd_overflow;
    m->cmd_len = 0;
    m->cmd_overflow = false;
    if (n < 2 || line[0] != 'A' || line[1] != 'T')
        return;
    if (overflow)
        result(t, R_ERROR);
    else
        run(t, line + 2);
}

static void command_byte(struct turn *t, uint8_t b)
{
    struct pmu_sim_modem *m = t->m;
    if (m->echo)
        to_host(t, &b, 1);
    char c = (char)(b & 0x7F);
    if (c == '\r') {
        command_line(t);
    } else if (c == '\b' || c == 0x7F) {
        if (m->cmd_len > 0)
            m->cmd_len--;
    } else if (c == '\n' || c < 0x20) {
        /* LF after CR and other controls: ignored */
    } else if (m->cmd_len < PMU_SIM_COMMAND_MAX) {
        m->cmd[m->cmd_len++] = c;
    } else {
        m->cmd_overflow = true;
    }
}

/* Data mode: the byte goes to the far end; "+++" framed by guard times escapes. The
 * bytes of one event all arrived at t->now (the line's timing is fine enough: a
 * chunk at 9600 baud spans milliseconds, the guard a second). */
static void data_byte(struct turn *t, uint8_t b)
{
    struct pmu_sim_modem *m = t->m;
    bool plus = (b & 0x7F) == '+';
    int64_t guard = PMU_SIM_GUARD_MS;
    if (plus && m->plus < 3 &&
        (m->plus == 0 ? t->now - m->last_rx_ms >= guard : t->now - m->plus_ms < guard)) {
        m->plus++;
        m->plus_ms = t->now;
        m->escape_ms = m->plus == 3 ? t->now + guard : PMU_SIM_NEVER;
    } else {
        m->plus = 0;
        m->escape_ms = PMU_SIM_NEVER;
    }
    m->last_rx_ms = t->now;
    /* Like real modems, the '+' go through too: the escape is only known later. */
    if (pmu_sim_buf_append(&m->far, &b, 1) != PMU_OK)
        t->nomem = true;
}

enum pmu_status pmu_sim_modem_input(struct pmu_sim_modem *m, int64_t now_ms,
                                    const uint8_t *in, size_t len,
                                    struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, m, now_ms, act);
    for (size_t i = 0; i < len; i++) {
        switch (m->state) {
        case ST_DIALLING:
            /* Any key aborts a dial, and is used up doing it. */
            m->state = ST_COMMAND;
            m->result_ms = PMU_SIM_NEVER;
            result(&t, R_NO_CARRIER);
            break;
        case ST_DATA:
            data_byte(&t, in[i]);
            break;
        default:
            command_byte(&t, in[i]);
            break;
        }
    }
    return finish(&t);
}

enum pmu_status pmu_sim_modem_far_input(struct pmu_sim_modem *m, int64_t now_ms,
                                        const uint8_t *in, size_t len,
                                        struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, m, now_ms, act);
    if (m->state == ST_DATA)
        to_host(&t, in, len);
    return finish(&t);
}

enum pmu_status pmu_sim_modem_far_gone(struct pmu_sim_modem *m, int64_t now_ms,
                                       struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, m, now_ms, act);
    if (m->state != ST_COMMAND) {
        end_call(&t);
        result(&t, R_NO_CARRIER);
    }
    return finish(&t);
}

enum pmu_status pmu_sim_modem_timer(struct pmu_sim_modem *m, int64_t now_ms,
                                    struct pmu_sim_call_action *act)
{
    struct turn t;
    begin(&t, m, now_ms, act);
    if (m->state == ST_DIALLING && now_ms >= m->result_ms)
        dial_result(&t);
    if (pmu_sim_modem_in_call(m) && now_ms >= m->drop_ms) {
        end_call(&t);
        result(&t, R_NO_CARRIER);
    }
    if (m->state == ST_DATA && m->plus == 3 && now_ms >= m->escape_ms) {
        m->state = ST_ONLINE_COMMAND;
        m->plus = 0;
        m->escape_ms = PMU_SIM_NEVER;
        result(&t, R_OK);
    }
    return finish(&t);
}
