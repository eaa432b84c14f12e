/* Modem and PAD diallers: see pmu/dialer.h. */
#include "pmu/dialer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state {
    D_IDLE,
    D_INIT,          /* an init command is out, OK expected */
    D_GSM,           /* a GSM check is out */
    D_DIAL,          /* ATD / CALL is out, CONNECT / COM expected */
    D_DATA,          /* connected */
    D_GUARD_BEFORE,  /* quiet before "+++" */
    D_ESCAPE,        /* "+++" sent: quiet after it, then OK */
    D_HANGUP,        /* ATH0 / CLR sent */
    D_PAD_ESCAPE,    /* DLE sent, CLR follows */
    D_DONE
};

#define COMMAND_TIMEOUT_MS 5000
#define GUARD_MS 1100      /* Hayes guard time is 1 s (S12 = 50); a little more is safe */
#define DLE 0x10

void pmu_dialer_init(struct pmu_dialer *d, const struct pmu_dial *dial)
{
    memset(d, 0, sizeof *d);
    d->dial = dial;
    d->signal = -1;
    d->status = PMU_OK;
    pmu_error_clear(&d->error);
}

static void send_line(struct pmu_dialer *d, uint64_t now, const char *cmd, uint64_t timeout)
{
    snprintf(d->sent, sizeof d->sent, "%s", cmd);
    int n = snprintf((char *)d->out, sizeof d->out, "%s\r", cmd);
    d->out_len = n > 0 ? (size_t)n : 0;
    d->line_len = 0;
    d->last_tx = now;
    d->wake_at = now + timeout;
}

static enum pmu_dialer_result failed(struct pmu_dialer *d, enum pmu_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum pmu_dialer_result failed(struct pmu_dialer *d, enum pmu_status code, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->status = code;
    pmu_error_set(&d->error, code, PMU_NO_OFFSET, "%s", msg);
    d->line_fault = d->line_fault || d->state == D_INIT || d->state == D_GSM;
    d->state = D_DONE;
    d->wake_at = 0;
    return PMU_DIALER_FAILED;
}

/* The init string's command number i ("ATZ;ATE0..." split at ';'), or false. */
static bool init_command(const struct pmu_dial *dial, size_t i, char *out, size_t size)
{
    const char *p = dial->init;
    for (size_t k = 0; k < i && p != NULL; k++) {
        p = strchr(p, ';');
        if (p != NULL)
            p++;
    }
    if (p == NULL || *p == '\0')
        return false;
    size_t n = strcspn(p, ";");
    snprintf(out, size, "%.*s", (int)n, p);
    return n > 0;
}

static const char *const gsm_checks[] = {"AT+CPIN?", "AT+CREG?", "AT+CSQ"};

static enum pmu_dialer_result dial_now(struct pmu_dialer *d, uint64_t now)
{
    char cmd[96];
    const struct pmu_dial *dl = d->dial;
    if (dl->kind == PMU_DIAL_PAD) {
        /* X.28: facilities first, separated from the address by '-' */
        char fac[48] = "";
        size_t n = 0;
        if (dl->nui[0])
            n += (size_t)snprintf(fac + n, sizeof fac - n, "%sN%s", n ? "," : "", dl->nui);
        if (dl->reverse_charge)
            n += (size_t)snprintf(fac + n, sizeof fac - n, "%sR", n ? "," : "");
        if (dl->cug >= 0)
            n += (size_t)snprintf(fac + n, sizeof fac - n, "%sG%02d", n ? "," : "", dl->cug);
        snprintf(cmd, sizeof cmd, "CALL %s%s%s", fac, n ? "-" : "", dl->number);
    } else {
        const char *how = dl->mode == PMU_DIAL_PULSE ? "ATDP" : dl->mode == PMU_DIAL_GSM ? "ATD" : "ATDT";
        snprintf(cmd, sizeof cmd, "%s%s", how, dl->number);
    }
    d->state = D_DIAL;
    send_line(d, now, cmd, dl->connect_timeout_ms);
    return PMU_DIALER_WORKING;
}

/* After init command `step` was answered OK: the next init command, the GSM checks,
 * the bearer, then the dial. */
static enum pmu_dialer_result next_setup(struct pmu_dialer *d, uint64_t now)
{
    char cmd[144];
    if (d->state == D_INIT || d->state == D_IDLE) {
        if (init_command(d->dial, d->step, cmd, sizeof cmd)) {
            d->state = D_INIT;
            send_line(d, now, cmd, COMMAND_TIMEOUT_MS);
            return PMU_DIALER_WORKING;
        }
        d->step = 0;
        d->state = D_GSM;
    }
    if (d->dial->mode == PMU_DIAL_GSM) {
        size_t n_checks = sizeof gsm_checks / sizeof gsm_checks[0];
        if (d->step < n_checks) {
            send_line(d, now, gsm_checks[d->step], COMMAND_TIMEOUT_MS);
            return PMU_DIALER_WORKING;
        }
        if (d->step == n_checks && d->dial->bearer[0]) {
            snprintf(cmd, sizeof cmd, "AT+CBST=%s", d->dial->bearer);
            send_line(d, now, cmd, COMMAND_TIMEOUT_MS);
            return PMU_DIALER_WORKING;
        }
    }
    return dial_now(d, now);
}

enum pmu_dialer_result pmu_dialer_start(struct pmu_dialer *d, uint64_t now)
{
    d->out_len = 0;
    if (d->dial->kind == PMU_DIAL_PAD)
        return dial_now(d, now);
    d->state = D_IDLE;
    d->step = 0;
    return next_setup(d, now);
}

/* Hayes result codes, verbose or numeric (ATV0). */
static const char *result_word(const char *line)
{
    static const char *const numeric[] = {"OK", "CONNECT", "RING", "NO CARRIER", "ERROR", NULL,
                                          "NO DIALTONE", "BUSY", "NO ANSWER"};
    if (line[0] >= '0' && line[0] <= '8' && line[1] == '\0')
        return numeric[line[0] - '0'] != NULL ? numeric[line[0] - '0'] : line;
    return line;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *pmu_dialer_clear_cause(const char *code)
{
    static const struct { const char *code, *words; } causes[] = {
        {"OCC", "the number is busy"},
        {"NP", "the number is not obtainable"},
        {"DER", "the called PAD is out of order"},
        {"NC", "the network is congested"},
        {"NA", "access to the number is barred"},
        {"RNA", "the called end does not accept reverse charging"},
        {"INV", "a facility asked for is not valid"},
        {"RPE", "the called end made a procedure error"},
        {"ERR", "a local procedure error"},
        {"DTE", "the called end cleared the call"},
        {"PAD", "the PAD cleared the call"},
        {"CONF", "the call is cleared, as asked"},
    };
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (strcmp(code, causes[i].code) == 0)
            return causes[i].words;
    return NULL;
}

/* One complete answer line (without CR LF). */
static enum pmu_dialer_result on_line(struct pmu_dialer *d, uint64_t now, const char *line)
{
    if (line[0] == '\0' || strcmp(line, d->sent) == 0)
        return PMU_DIALER_WORKING; /* blank, or the modem echoing our command */
    bool pad = d->dial->kind == PMU_DIAL_PAD;
    const char *w = pad ? line : result_word(line);
    switch ((enum state)d->state) {
    case D_INIT:
        if (strcmp(w, "OK") == 0) {
            d->step++;
            return next_setup(d, now);
        }
        if (strcmp(w, "ERROR") == 0)
            return failed(d, PMU_E_REFUSED, "the modem answered ERROR to '%s': check the init string", d->sent);
        return PMU_DIALER_WORKING;
    case D_GSM:
        if (starts(w, "+CPIN:") && strstr(w, "READY") == NULL)
            return failed(d, PMU_E_REFUSED, "the GSM modem's SIM is not ready (%s)", w);
        if (starts(w, "+CREG:")) {
            const char *comma = strchr(w, ',');
            if (comma == NULL || (comma[1] != '1' && comma[1] != '5'))
                return failed(d, PMU_E_REFUSED, "the GSM modem is not registered on a network (%s)", w);
        }
        if (starts(w, "+CSQ:"))
            d->signal = atoi(w + 5);
        if (strcmp(w, "ERROR") == 0)
            return failed(d, PMU_E_REFUSED, "the GSM modem answered ERROR to '%s'%s", d->sent,
                          starts(d->sent, "AT+CBST") ? ": try another bearer (7,0,1 or 71,0,1)" : "");
        if (strcmp(w, "OK") == 0) {
            d->step++;
            return next_setup(d, now);
        }
        return PMU_DIALER_WORKING;
    case D_DIAL:
        if (pad) {
            if (strcmp(w, "COM") == 0) {
                snprintf(d->connect, sizeof d->connect, "COM");
                d->state = D_DATA;
                d->wake_at = 0;
                return PMU_DIALER_CONNECTED;
            }
            if (starts(w, "CLR")) {
                const char *cause = w[3] == ' ' ? w + 4 : "";
                const char *words = pmu_dialer_clear_cause(cause);
                return failed(d, PMU_E_REFUSED, "the PAD cleared the call to %s: %s (%s)", d->dial->number,
                              words ? words : "no reason given", w);
            }
            if (strcmp(w, "ERR") == 0)
                return failed(d, PMU_E_REFUSED, "the PAD rejected the call command '%s'", d->sent);
            return PMU_DIALER_WORKING;
        }
        if (starts(w, "CONNECT")) {
            snprintf(d->connect, sizeof d->connect, "%.31s", w);
            d->state = D_DATA;
            d->wake_at = 0;
            return PMU_DIALER_CONNECTED;
        }
        if (strcmp(w, "BUSY") == 0)
            return failed(d, PMU_E_REFUSED, "the number %s is busy", d->dial->number);
        if (strcmp(w, "NO ANSWER") == 0)
            return failed(d, PMU_E_TIMEOUT, "the number %s does not answer", d->dial->number);
        if (strcmp(w, "NO CARRIER") == 0)
            return failed(d, PMU_E_IO, "no carrier: the far modem did not connect (%s)", d->dial->number);
        if (strcmp(w, "NO DIALTONE") == 0) {
            d->line_fault = true;
            return failed(d, PMU_E_IO, "no dial tone: is the modem's telephone line plugged in?");
        }
        if (strcmp(w, "ERROR") == 0)
            return failed(d, PMU_E_REFUSED, "the modem answered ERROR to '%s'", d->sent);
        return PMU_DIALER_WORKING;
    case D_ESCAPE:
    case D_HANGUP:
        if (pad ? starts(w, "CLR") : strcmp(w, "OK") == 0) {
            if (d->state == D_ESCAPE) { /* back in command mode: hang up */
                d->state = D_HANGUP;
                send_line(d, now, "ATH0", COMMAND_TIMEOUT_MS);
                return PMU_DIALER_WORKING;
            }
            d->state = D_DONE;
            d->wake_at = 0;
            return PMU_DIALER_HUNG_UP;
        }
        if (!pad && strcmp(w, "NO CARRIER") == 0) { /* the far end went first */
            d->state = D_DONE;
            d->wake_at = 0;
            return PMU_DIALER_HUNG_UP;
        }
        return PMU_DIALER_WORKING;
    default:
        return PMU_DIALER_WORKING;
    }
}

enum pmu_dialer_result pmu_dialer_input(struct pmu_dialer *d, uint64_t now, const uint8_t *in,
                                        size_t len, size_t *used)
{
    d->out_len = 0;
    size_t i = 0;
    enum pmu_dialer_result r = PMU_DIALER_WORKING;
    while (i < len && r == PMU_DIALER_WORKING && d->state != D_DATA && d->state != D_DONE) {
        uint8_t c = in[i++];
        if (c == '\r' || c == '\n') {
            d->line[d->line_len] = '\0';
            r = on_line(d, now, d->line);
            d->line_len = 0;
            if (r == PMU_DIALER_CONNECTED && c == '\r' && i < len && in[i] == '\n')
                i++; /* the rest of CONNECT's line end */
        } else if (d->line_len + 1 < sizeof d->line && c >= 0x20 && c < 0x7F) {
            d->line[d->line_len++] = (char)c;
        }
    }
    *used = i;
    return r;
}

enum pmu_dialer_result pmu_dialer_timer(struct pmu_dialer *d, uint64_t now)
{
    d->out_len = 0;
    if (d->wake_at == 0 || now < d->wake_at)
        return PMU_DIALER_WORKING;
    switch ((enum state)d->state) {
    case D_INIT:
    case D_GSM:
        return failed(d, PMU_E_TIMEOUT, "the modem did not answer '%s' within %d s: is it on, and at the "
                      "port's rate?", d->sent, COMMAND_TIMEOUT_MS / 1000);
    case D_DIAL:
        return failed(d, PMU_E_TIMEOUT, "no %s from %s within %u s", d->dial->kind == PMU_DIAL_PAD ? "COM" : "CONNECT",
                      d->dial->number, d->dial->connect_timeout_ms / 1000);
    case D_GUARD_BEFORE:
        d->state = D_ESCAPE;
        memcpy(d->out, "+++", 3);
        d->out_len = 3;
        d->sent[0] = '\0';
        d->line_len = 0;
        d->last_tx = now;
        d->wake_at = now + GUARD_MS + COMMAND_TIMEOUT_MS;
        return PMU_DIALER_WORKING;
    case D_PAD_ESCAPE:
        d->state = D_HANGUP;
        send_line(d, now, "CLR", COMMAND_TIMEOUT_MS);
        return PMU_DIALER_WORKING;
    case D_ESCAPE:
    case D_HANGUP:
        return failed(d, PMU_E_TIMEOUT, "the %s did not confirm the hang-up ('%s' unanswered)",
                      d->dial->kind == PMU_DIAL_PAD ? "PAD" : "modem", d->state == D_ESCAPE ? "+++" : d->sent);
    default:
        return PMU_DIALER_WORKING;
    }
}

enum pmu_dialer_result pmu_dialer_hangup(struct pmu_dialer *d, uint64_t now)
{
    d->out_len = 0;
    d->line_len = 0;
    if (d->dial->kind == PMU_DIAL_PAD) {
        d->out[0] = DLE; /* to PAD command mode, then CLR */
        d->out_len = 1;
        d->state = D_PAD_ESCAPE;
        d->wake_at = now + 200;
        return PMU_DIALER_WORKING;
    }
    if (d->dial->hangup == PMU_HANGUP_DTR) {
        d->state = D_DONE;
        return PMU_DIALER_HUNG_UP; /* the engine drops DTR when it closes the port */
    }
    d->state = D_GUARD_BEFORE; /* the caller waited for its last bytes to leave */
    d->wake_at = now + GUARD_MS;
    return PMU_DIALER_WORKING;
}
