/* Fault injection: the --faults spec and the generator that decides when faults hit.
 *
 * Each meter draws from its own generator (seeded by the fault seed and its index), so
 * a run with the same seeds and the same traffic breaks in the same places. */
#include "pmu/sim.h"

#include <string.h>

static const char *const names[PMU_SIM_FAULT_COUNT] = {
    [PMU_SIM_CORRUPT] = "corrupt",       [PMU_SIM_DROP] = "drop",
    [PMU_SIM_DELAY] = "delay",           [PMU_SIM_DISCONNECT] = "disconnect",
    [PMU_SIM_SILENCE] = "silence",       [PMU_SIM_WRONG_PASSWORD] = "wrong_password",
    [PMU_SIM_NAK] = "nak",               [PMU_SIM_POWER_FAIL] = "power_fail",
    [PMU_SIM_CLOCK_CHANGE] = "clock_change"};

const char *pmu_sim_fault_name(enum pmu_sim_fault f)
{
    return (unsigned)f < PMU_SIM_FAULT_COUNT ? names[f] : "?";
}

/* A probability written as digits with an optional fraction: "1", "0.05", "0.001".
 * Parsed by hand so the result does not depend on the C locale's decimal point. */
static bool parse_probability(const char *s, size_t n, double *out)
{
    double v = 0, scale = 1;
    size_t i = 0;
    bool any = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true)
        v = v * 10 + (s[i] - '0');
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
            scale /= 10;
            v += (s[i] - '0') * scale;
        }
    }
    if (!any || i != n)
        return false;
    *out = v;
    return true;
}

/* cut_after_writes=N: a count of writes from 1, not a probability. */
static enum pmu_status parse_cut(const char *spec, size_t pos, size_t end, bool seen, unsigned *out,
                                 struct pmu_error *err)
{
    size_t vpos = pos + 17;
    if (seen)
        return pmu_error_set(err, PMU_E_SYNTAX, pos, "fault 'cut_after_writes' is given twice");
    if (vpos > end || spec[vpos - 1] != '=')
        return pmu_error_set(err, PMU_E_SYNTAX, vpos - 1,
                             "expected '=' and a number of writes after fault 'cut_after_writes'");
    unsigned n = 0;
    size_t i = vpos;
    for (; i < end && spec[i] >= '0' && spec[i] <= '9' && n < 100000; i++)
        n = n * 10 + (unsigned)(spec[i] - '0');
    if (i == vpos || i != end || n == 0)
        return pmu_error_set(err, PMU_E_SYNTAX, vpos,
                             "fault 'cut_after_writes': '%.*s' is not a number of writes from 1",
                             (int)(end - vpos), spec + vpos);
    *out = n;
    return PMU_OK;
}

enum pmu_status pmu_sim_faults_parse(const char *spec, struct pmu_sim_faults *out,
                                     struct pmu_error *err)
{
    struct pmu_sim_faults f;
    bool seen[PMU_SIM_FAULT_COUNT] = {false}, seen_cut = false;
    memset(&f, 0, sizeof f);
    size_t pos = 0, len = strlen(spec);
    while (pos < len) {
        size_t end = pos;
        while (end < len && spec[end] != ',')
            end++;
        const char *item = spec + pos, *eq = memchr(item, '=', end - pos);
        size_t name_len = eq ? (size_t)(eq - item) : end - pos;
        if (name_len == 0)
            return pmu_error_set(err, PMU_E_SYNTAX, pos,
                                 "expected a fault name such as corrupt=0.01");
        if (name_len == 16 && memcmp(item, "cut_after_writes", 16) == 0) {
            enum pmu_status st = parse_cut(spec, pos, end, seen_cut, &f.cut_after_writes, err);
            if (st != PMU_OK)
                return st;
            seen_cut = true;
            if (end < len && end + 1 == len)
                return pmu_error_set(err, PMU_E_SYNTAX, end + 1, "expected another fault after ','");
            pos = end + 1;
            continue;
        }
        int which = -1;
        for (int k = 0; k < PMU_SIM_FAULT_COUNT; k++)
            if (strlen(names[k]) == name_len && memcmp(names[k], item, name_len) == 0)
                which = k;
        if (which < 0)
            return pmu_error_set(err, PMU_E_SYNTAX, pos,
                                 "unknown fault '%.*s': expected corrupt, drop, delay, "
                                 "disconnect, silence, wrong_password, nak, power_fail, clock_change "
                                 "or cut_after_writes",
                                 (int)name_len, item);
        if (eq == NULL)
            return pmu_error_set(err, PMU_E_SYNTAX, end,
                                 "expected '=' and a probability after fault '%s'", names[which]);
        if (seen[which])
            return pmu_error_set(err, PMU_E_SYNTAX, pos, "fault '%s' is given twice",
                                 names[which]);
        seen[which] = true;
        size_t vpos = pos + name_len + 1;
        double p;
        if (!parse_probability(spec + vpos, end - vpos, &p))
            return pmu_error_set(err, PMU_E_SYNTAX, vpos,
                                 "fault '%s': '%.*s' is not a number such as 0.05",
                                 names[which], (int)(end - vpos), spec + vpos);
        if (p > 1)
            return pmu_error_set(err, PMU_E_RANGE, vpos,
                                 "fault '%s': %.*s is not a probability between 0 and 1",
                                 names[which], (int)(end - vpos), spec + vpos);
        f.p[which] = p;
        if (end < len && end + 1 == len)
            return pmu_error_set(err, PMU_E_SYNTAX, end + 1,
                                 "expected another fault after ','");
        pos = end + 1;
    }
    *out = f;
    return PMU_OK;
}

void pmu_sim_rng_seed(struct pmu_sim_rng *r, uint64_t seed, unsigned index)
{
    /* Spread (seed, index) over the whole state so neighbouring meters differ. */
    r->state = seed * 0x9E3779B97F4A7C15u ^ ((uint64_t)index << 32 | index);
    pmu_sim_rng_next(r);
}

/* splitmix64: one 64-bit word of state, passes the usual statistical tests, and its
 * state is a plain counter, so seeding cannot land in a bad cycle. */
uint64_t pmu_sim_rng_next(struct pmu_sim_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

bool pmu_sim_fault_hits(const struct pmu_sim_faults *f, enum pmu_sim_fault which,
                        struct pmu_sim_rng *r)
{
    double p = f->p[which];
    if (p <= 0)
        return false;
    /* 53 random bits as a double in [0, 1): p = 1 always hits. */
    double u = (double)(pmu_sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return u < p;
}
