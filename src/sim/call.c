/* What simulated modems and PADs share: their options, their call faults and the
 * numbers that reach the meters behind them.
 *
 * A modem and a PAD fail in the same few ways (the far end is busy, does not answer,
 * cannot be reached, is slow to connect, or the call drops later); only the words
 * they use differ, so the faults are one list with a name per kind. */
#include "pmu/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fault_names[2][PMU_SIM_CALL_FAULT_COUNT] = {
    [PMU_SIM_MODEM] = {"no_dialtone", "busy", "no_answer", "slow_connect", "drop"},
    [PMU_SIM_PAD] = {"der", "occ", "nc", "slow_connect", "drop"},
};

static const char *const fault_lists[2] = {
    [PMU_SIM_MODEM] = "no_dialtone, busy, no_answer, slow_connect or drop",
    [PMU_SIM_PAD] = "der, occ, nc, slow_connect or drop",
};

const char *pmu_sim_call_fault_name(enum pmu_sim_call_kind kind, enum pmu_sim_call_fault f)
{
    if ((unsigned)kind > PMU_SIM_PAD || (unsigned)f >= PMU_SIM_CALL_FAULT_COUNT)
        return "?";
    return fault_names[kind][f];
}

void pmu_sim_call_config_init(struct pmu_sim_call_config *c, enum pmu_sim_call_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->connect_ms = kind == PMU_SIM_MODEM ? PMU_SIM_MODEM_CONNECT_MS : PMU_SIM_PAD_CONNECT_MS;
    c->fault_seed = 1;
}

/* "0.05", "1": digits with an optional fraction, read without the C locale. */
static bool parse_probability(const char *s, size_t n, double *out)
{
    double v = 0, scale = 1;
    size_t i = 0;
    bool any = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true)
        v = v * 10 + (s[i] - '0');
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
            scale /= 10;
            v += (s[i] - '0') * scale;
        }
    if (!any || i != n || v > 1)
        return false;
    *out = v;
    return true;
}

enum pmu_status pmu_sim_call_faults_parse(enum pmu_sim_call_kind kind, const char *spec,
                                          double out[PMU_SIM_CALL_FAULT_COUNT],
                                          struct pmu_error *err)
{
    double p[PMU_SIM_CALL_FAULT_COUNT] = {0};
    bool seen[PMU_SIM_CALL_FAULT_COUNT] = {false};
    size_t pos = 0, len = strlen(spec);
    while (pos < len) {
        size_t end = pos;
        while (end < len && spec[end] != ',')
            end++;
        const char *item = spec + pos, *eq = memchr(item, '=', end - pos);
        size_t name_len = eq ? (size_t)(eq - item) : end - pos;
        int which = -1;
        for (int k = 0; k < PMU_SIM_CALL_FAULT_COUNT; k++)
            if (strlen(fault_names[kind][k]) == name_len &&
                memcmp(fault_names[kind][k], item, name_len) == 0)
                which = k;
        if (which < 0)
            return pmu_error_set(err, PMU_E_SYNTAX, pos, "unknown %s fault '%.*s': expected %s",
                                 kind == PMU_SIM_MODEM ? "modem" : "PAD", (int)name_len, item,
                                 fault_lists[kind]);
        if (seen[which])
            return pmu_error_set(err, PMU_E_SYNTAX, pos, "fault '%s' is given twice",
                                 fault_names[kind][which]);
        seen[which] = true;
        size_t vpos = pos + name_len + 1;
        if (eq == NULL || !parse_probability(spec + vpos, end - vpos, &p[which]))
            return pmu_error_set(err, PMU_E_SYNTAX, eq ? vpos : end,
                                 "fault '%s': expected '=' and a probability of 0..1 such as 0.05",
                                 fault_names[kind][which]);
        if (end + 1 == len)
            return pmu_error_set(err, PMU_E_SYNTAX, end + 1, "expected another fault after ','");
        pos = end + 1;
    }
    memcpy(out, p, sizeof p);
    return PMU_OK;
}

enum pmu_status pmu_sim_call_config_set(struct pmu_sim_call_config *c, const char *name,
                                        const char *value, struct pmu_error *err)
{
    if (strcmp(name, "connect_ms") == 0) {
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (*value < '0' || *value > '9' || *end != '\0' || v > 60000)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "option 'connect_ms': %s is not a number of 0..60000", value);
        c->connect_ms = (unsigned)v;
        return PMU_OK;
    }
    if (strcmp(name, "faults") == 0) {
        struct pmu_error e;
        if (pmu_sim_call_faults_parse(c->kind, value, c->faults, &e) != PMU_OK)
            return pmu_error_set(err, e.code, PMU_NO_OFFSET, "option 'faults': %s", e.message);
        return PMU_OK;
    }
    return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                         "unknown %s option '%s': expected connect_ms or faults",
                         c->kind == PMU_SIM_MODEM ? "modem" : "PAD", name);
}

bool pmu_sim_call_chance(double p, struct pmu_sim_rng *r)
{
    if (p <= 0)
        return false;
    double u = (double)(pmu_sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return u < p;
}

/* ---- Numbers ----------------------------------------------------------------------- */

void pmu_sim_dial_number(unsigned index, char out[11])
{
    snprintf(out, 11, "01%08u", index % 100000000u);
}

void pmu_sim_nua(unsigned index, char out[15])
{
    snprintf(out, 15, "23531990%06u", (100000u + index) % 1000000u);
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

unsigned pmu_sim_dial_index(const char *number)
{
    if (!all_digits(number, 10) || memcmp(number, "01", 2) != 0)
        return 0;
    return (unsigned)strtoul(number + 2, NULL, 10);
}

unsigned pmu_sim_nua_index(const char *nua)
{
    if (!all_digits(nua, 14) || memcmp(nua, "23531990", 8) != 0)
        return 0;
    unsigned port = (unsigned)strtoul(nua + 8, NULL, 10);
    return port > 100000u ? port - 100000u : 0;
}
