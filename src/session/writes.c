/* W1 writes of the generic session: see writes.h and docs/reading.md. No I/O. */
#include "writes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/dataset.h"

const char *pmu_iec_verdict_name(enum pmu_iec_verdict v)
{
    switch (v) {
    case PMU_IEC_WRITE_PENDING: return "pending";
    case PMU_IEC_WRITE_ACCEPTED: return "accepted";
    case PMU_IEC_WRITE_VERIFIED: return "verified";
    case PMU_IEC_WRITE_MISMATCH: return "mismatch";
    case PMU_IEC_WRITE_REFUSED: return "refused";
    }
    return "?";
}

/* Checks the write list and sets up one pending result per write. */
enum pmu_status pmu_session_writes_init(struct pmu_session *s, struct pmu_error *err)
{
    const struct pmu_read_request *req = &s->req;
    for (size_t i = 0; i < req->n_writes; i++) {
        const struct pmu_iec_write *w = &req->writes[i];
        if (w->address == NULL || w->address[0] == '\0' || strlen(w->address) > PMU_IEC_VALUE_MAX)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "write %zu: the address must have 1 to %d characters", i + 1,
                                 PMU_IEC_VALUE_MAX);
        const char *v = w->value ? w->value : "";
        if (strlen(v) > PMU_IEC_VALUE_MAX)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "write %zu (%s): the value is longer than %d characters", i + 1,
                                 w->address, PMU_IEC_VALUE_MAX);
        if (strpbrk(w->address, "()*/!") != NULL || strpbrk(v, "()") != NULL)
            return pmu_error_set(err, PMU_E_INVALID, PMU_NO_OFFSET,
                                 "write %zu (%s): the address may not contain ( ) * / ! and the value "
                                 "not ( )", i + 1, w->address);
    }
    if (req->n_writes == 0)
        return PMU_OK;
    s->writes = calloc(req->n_writes, sizeof *s->writes);
    if (s->writes == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    s->n_writes = req->n_writes;
    for (size_t i = 0; i < req->n_writes; i++) {
        snprintf(s->writes[i].address, sizeof s->writes[i].address, "%s", req->writes[i].address);
        snprintf(s->writes[i].written, sizeof s->writes[i].written, "%s",
                 req->writes[i].value ? req->writes[i].value : "");
    }
    return PMU_OK;
}

static bool is_error_answer(const uint8_t *d, size_t n)
{
    return n >= 4 && memcmp(d, "(ERR", 4) == 0;
}

/* Splits an R1 answer "ADDRESS(VALUE)" into its parts, the value as sent (a '*' in
 * it is not taken as a unit: the read-back is compared exactly). */
static bool split_answer(const uint8_t *d, size_t n, char *addr, size_t addr_size, char *value,
                         size_t value_size, size_t *value_len)
{
    const uint8_t *open = memchr(d, '(', n);
    if (open == NULL)
        return false;
    const uint8_t *close = memchr(open, ')', n - (size_t)(open - d));
    if (close == NULL)
        return false;
    size_t a = (size_t)(open - d), start = 0;
    while (start < a && (d[start] == '\r' || d[start] == '\n' || d[start] == ' '))
        start++;
    if (a - start >= addr_size)
        return false;
    memcpy(addr, d + start, a - start);
    addr[a - start] = '\0';
    *value_len = (size_t)(close - open) - 1;
    size_t keep = *value_len < value_size ? *value_len : value_size - 1;
    memcpy(value, open + 1, keep);
    value[keep] = '\0';
    return true;
}

static void quote(char *buf, size_t size, const char *what, const struct pmu_iec_frame *f)
{
    snprintf(buf, size, "%s: %.*s", what, (int)(f->data_len < 64 ? f->data_len : 64), (const char *)f->data);
}

static enum pmu_write_next write_done(struct pmu_session *s)
{
    s->next_write++;
    s->write_step = PMU_WRITE_BEFORE;
    return PMU_WRITE_NEXT;
}

enum pmu_write_next pmu_session_write_answer(struct pmu_session *s, const struct pmu_iec_frame *f)
{
    struct pmu_iec_write_result *r = &s->writes[s->next_write];
    if (f->kind == PMU_IEC_NAK && s->write_step == PMU_WRITE_SEND && s->attempts >= s->path.retries) {
        snprintf(r->message, sizeof r->message, "the meter answered NAK %u times", s->attempts + 1);
        r->verdict = PMU_IEC_WRITE_REFUSED;
        return PMU_WRITE_STOP_REFUSED;
    }
    if (f->kind == PMU_IEC_NAK)
        return PMU_WRITE_REPEAT;
    if (s->write_step == PMU_WRITE_SEND) {
        if (f->kind == PMU_IEC_ACK) {
            r->verdict = PMU_IEC_WRITE_ACCEPTED;
            if (!s->req.writes[s->next_write].verify)
                return write_done(s);
            s->write_step = PMU_WRITE_AFTER;
            return PMU_WRITE_NEXT;
        }
        if (f->kind != PMU_IEC_DATA)
            return PMU_WRITE_IGNORE;
        quote(r->message, sizeof r->message, "the meter refused it", f);
        r->verdict = PMU_IEC_WRITE_REFUSED;
        return PMU_WRITE_STOP_REFUSED;
    }
    if (f->kind != PMU_IEC_DATA)
        return PMU_WRITE_IGNORE;
    char addr[PMU_DATASET_ADDRESS_MAX + 1], value[PMU_IEC_VALUE_MAX + 1];
    size_t value_len = 0;
    bool error = is_error_answer(f->data, f->data_len);
    if (!error && (!split_answer(f->data, f->data_len, addr, sizeof addr, value, sizeof value, &value_len) ||
                   strcmp(addr, r->address) != 0))
        return PMU_WRITE_ASK_AGAIN;
    if (s->write_step == PMU_WRITE_BEFORE) {
        if (error) { /* e.g. a write-only action: write anyway, the W1 answer decides */
            quote(r->message, sizeof r->message, "the read before the write was refused", f);
        } else {
            r->has_before = true;
            memcpy(r->before, value, sizeof r->before);
        }
        s->write_step = PMU_WRITE_SEND;
        return PMU_WRITE_NEXT;
    }
    if (error) {
        quote(r->message, sizeof r->message, "the read-back was refused", f);
        r->verdict = PMU_IEC_WRITE_MISMATCH;
        return PMU_WRITE_STOP_MISMATCH;
    }
    r->has_after = true;
    memcpy(r->after, value, sizeof r->after);
    if (value_len != strlen(r->written) || strcmp(value, r->written) != 0) {
        snprintf(r->message, sizeof r->message, "read back (%.32s%s), not the value written (%.32s)",
                 value, value_len > PMU_IEC_VALUE_MAX ? "..." : "", r->written);
        r->verdict = PMU_IEC_WRITE_MISMATCH;
        return PMU_WRITE_STOP_MISMATCH;
    }
    r->verdict = PMU_IEC_WRITE_VERIFIED;
    return write_done(s);
}
