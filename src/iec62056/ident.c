/* Identification, sign-on request and option-select messages: the short lines that
 * open a session. */
#include "internal.h"

#include <ctype.h>
#include <string.h>

static size_t line_length(const uint8_t *msg, size_t len)
{
    /* The trailing CR LF is optional for callers that already split lines. */
    if (len >= 2 && msg[len - 2] == PMU_CR && msg[len - 1] == PMU_LF)
        return len - 2;
    return len;
}

enum pmu_status pmu_iec_ident_parse_at(const uint8_t *msg, size_t len, size_t base,
                                       struct pmu_iec_ident *out, struct pmu_error *err)
{
    char b[8];
    size_t n = line_length(msg, len);
    memset(out, 0, sizeof *out);
    if (n == 0 || msg[0] != '/')
        return pmu_error_set(err, PMU_E_SYNTAX, base, "expected '/' to start the identification");
    for (size_t i = 1; i <= 3; i++) {
        if (i >= n)
            return pmu_error_set(err, PMU_E_TRUNCATED, base + i,
                                 "identification ends inside the manufacturer id: expected 3 letters");
        if (!isalpha(msg[i]))
            return pmu_error_set(err, PMU_E_SYNTAX, base + i,
                                 "expected a letter of the manufacturer id, got %s",
                                 pmu_byte_repr(msg[i], b));
        out->manufacturer[i - 1] = (char)msg[i];
    }
    out->fast_reaction = islower(msg[3]) != 0;
    if (n < 5)
        return pmu_error_set(err, PMU_E_TRUNCATED, base + n,
                             "identification ends before the baud rate character");
    if (!pmu_iec_is_printable(msg[4]))
        return pmu_error_set(err, PMU_E_SYNTAX, base + 4,
                             "expected the baud rate character, got %s", pmu_byte_repr(msg[4], b));
    out->baud_char = (char)msg[4];
    size_t i = 5, w = 0;
    while (i < n && msg[i] == '\\') {
        if (i + 1 >= n || !pmu_iec_is_printable(msg[i + 1]))
            return pmu_error_set(err, PMU_E_SYNTAX, base + i + 1,
                                 "expected an enhanced-id character after '\\'");
        if (w + 1 >= sizeof out->enhanced)
            return pmu_error_set(err, PMU_E_TOO_LONG, base + i,
                                 "more than %zu enhanced-id sequences", sizeof out->enhanced - 1);
        out->enhanced[w++] = (char)msg[i + 1];
        i += 2;
    }
    size_t id_len = n - i;
    if (id_len > PMU_IEC_IDENT_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, base + i + PMU_IEC_IDENT_MAX,
                             "identification text is longer than %d characters", PMU_IEC_IDENT_MAX);
    for (size_t k = i; k < n; k++)
        if (!pmu_iec_is_printable(msg[k]) || msg[k] == '/' || msg[k] == '!')
            return pmu_error_set(err, PMU_E_SYNTAX, base + k,
                                 "expected a printable identification character or CR LF, got %s",
                                 pmu_byte_repr(msg[k], b));
    memcpy(out->id, msg + i, id_len);
    out->id[id_len] = '\0';

    unsigned rate = pmu_iec_baud_rate(out->baud_char);
    if (out->baud_char >= '0' && out->baud_char <= '6')
        out->mode = strchr(out->enhanced, '2') ? PMU_IEC_MODE_E : PMU_IEC_MODE_C;
    else if (rate != 0)
        out->mode = PMU_IEC_MODE_B;
    else
        out->mode = PMU_IEC_MODE_A;
    out->baud = rate != 0 ? rate : 300;
    return PMU_OK;
}

enum pmu_status pmu_iec_ident_parse(const uint8_t *msg, size_t len, struct pmu_iec_ident *out,
                                    struct pmu_error *err)
{
    return pmu_iec_ident_parse_at(msg, len, 0, out, err);
}

enum pmu_status pmu_iec_signon_check_at(const uint8_t *msg, size_t len, size_t base,
                                        struct pmu_error *err)
{
    char b[8];
    size_t n = line_length(msg, len);
    if (n < 3 || msg[0] != '/' || msg[1] != '?')
        return pmu_error_set(err, PMU_E_SYNTAX, base, "expected \"/?\" to start a sign-on request");
    if (msg[n - 1] != '!')
        return pmu_error_set(err, PMU_E_SYNTAX, base + n - 1,
                             "expected '!' before CR LF to end the sign-on request, got %s",
                             pmu_byte_repr(msg[n - 1], b));
    size_t addr = n - 3;
    if (addr > PMU_IEC_ADDRESS_MAX)
        return pmu_error_set(err, PMU_E_TOO_LONG, base + 2 + PMU_IEC_ADDRESS_MAX,
                             "device address is longer than %d characters", PMU_IEC_ADDRESS_MAX);
    for (size_t k = 2; k < n - 1; k++)
        if (!pmu_iec_is_printable(msg[k]) || strchr("/!()", msg[k]) != NULL)
            return pmu_error_set(err, PMU_E_SYNTAX, base + k,
                                 "expected a device address character, got %s",
                                 pmu_byte_repr(msg[k], b));
    return PMU_OK;
}
