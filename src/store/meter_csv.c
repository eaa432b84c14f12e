/* The meter list as CSV (RFC 4180: comma-separated, fields with commas, quotes or
 * line breaks in double quotes, "" for a quote inside). Export writes every column;
 * import checks every row before it writes any, and then writes all of them in one
 * transaction, so a file with one bad row changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum column { C_SERIAL, C_MAKE, C_MODEL, C_SITE, C_PATH, C_ADDRESS, C_PASSWORD_REF, C_CT, C_VT, C_SCHEME, C_NOTES,
              N_COLUMNS };

static const char *const column_names[N_COLUMNS] = {"serial", "make",  "model", "site",   "path", "address",
                                                    "password_ref", "ct", "vt",    "scheme", "notes"};

static char *field_of(struct pmu_meter_record *m, enum column c, size_t *size)
{
#define F(x) (*size = sizeof m->x, m->x)
    switch (c) {
    case C_SERIAL: return F(serial);
    case C_MAKE: return F(make);
    case C_MODEL: return F(model);
    case C_SITE: return F(site);
    case C_PATH: return F(path);
    case C_ADDRESS: return F(address);
    case C_PASSWORD_REF: return F(password_ref);
    case C_CT: return F(ct);
    case C_VT: return F(vt);
    case C_SCHEME: return F(scheme);
    default: return F(notes);
    }
#undef F
}

static void write_field(FILE *out, const char *s)
{
    bool quote = s[0] == ' ' || (s[0] != '\0' && s[strlen(s) - 1] == ' ') || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

enum pmu_status pmu_store_meters_export_csv(struct pmu_store *s, FILE *out, struct pmu_error *err)
{
    struct pmu_meter_record *list;
    size_t n;
    enum pmu_status status = pmu_store_meter_list(s, NULL, &list, &n, err);
    if (status != PMU_OK)
        return status;
    for (int c = 0; c < N_COLUMNS; c++)
        fprintf(out, "%s%s", c ? "," : "", column_names[c]);
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < N_COLUMNS; c++) {
            size_t size;
            if (c)
                fputc(',', out);
            write_field(out, field_of(&list[i], (enum column)c, &size));
        }
        fputc('\n', out);
    }
    free(list);
    if (ferror(out))
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "writing the meter list failed");
    return PMU_OK;
}

/* ---- reading ------------------------------------------------------------------------- */

#define MAX_FIELDS 32
#define FIELD_MAX 2048

struct csv {
    const char *p, *end;
    size_t line;                   /* line of the next byte */
};

struct csv_row {
    size_t line;                   /* where the row starts */
    size_t n;
    char fields[MAX_FIELDS][FIELD_MAX];
    const char *problem;           /* set when the row could not be split */
};

/* Splits the next row; false at the end of the text. */
static bool next_row(struct csv *c, struct csv_row *row)
{
    /* blank lines between rows are skipped */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
    if (c->p >= c->end)
        return false;
    row->line = c->line;
    row->n = 0;
    row->problem = NULL;
    for (;;) {
        char *f = row->n < MAX_FIELDS ? row->fields[row->n] : NULL;
        size_t len = 0;
        bool quoted = c->p < c->end && *c->p == '"';
        if (quoted) {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    row->problem = "a quoted field never ends (missing \")";
                    return true;
                }
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') {
                        c->p++;
                    } else {
                        break;
                    }
                }
                if (ch == '\n')
                    c->line++;
                if (f != NULL && len + 1 < FIELD_MAX)
                    f[len++] = ch;
                else if (row->problem == NULL)
                    row->problem = "a field is too long";
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r' && row->problem == NULL)
                row->problem = "text after a closing quote (write \"\" for a quote inside a quoted field)";
        }
        while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
            char ch = *c->p++;
            if (ch == '\r' && (c->p >= c->end || *c->p == '\n'))
                continue;
            if (ch == '"' && row->problem == NULL && !quoted)
                row->problem = "a quote inside an unquoted field (quote the whole field)";
            if (f != NULL && len + 1 < FIELD_MAX)
                f[len++] = ch;
            else if (row->problem == NULL)
                row->problem = "a field is too long";
        }
        if (f != NULL)
            f[len] = '\0';
        if (row->n < MAX_FIELDS)
            row->n++;
        else if (row->problem == NULL)
            row->problem = "too many fields";
        if (c->p >= c->end)
            return true;
        if (*c->p++ == '\n') {
            c->line++;
            return true;
        }
    }
}

struct importer {
    pmu_import_report_fn report;
    void *user;
    size_t problems;
    enum pmu_status first;
    struct pmu_error *err;
};

static void problem(struct importer *im, size_t line, enum pmu_status code, const char *message)
{
    if (im->problems++ == 0) {
        im->first = code;
        pmu_error_set(im->err, code, PMU_NO_OFFSET, "line %zu: %s", line, message);
    }
    if (im->report != NULL)
        im->report(im->user, line, message);
}

static int column_index(const char *name)
{
    for (int c = 0; c < N_COLUMNS; c++)
        if (strcmp(name, column_names[c]) == 0)
            return c;
    return -1;
}

enum pmu_status pmu_store_meters_import_csv(struct pmu_store *s, const char *text, size_t len, bool update,
                                            pmu_import_report_fn report, void *user, size_t *n_imported,
                                            struct pmu_error *err)
{
    struct importer im = {report, user, 0, PMU_OK, err};
    struct csv c = {text, text + len, 1};
    *n_imported = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c.p += 3;                  /* a byte-order mark from spreadsheet programs */
    struct csv_row *row = malloc(sizeof *row);
    struct pmu_meter_record *meters = NULL;
    size_t *lines = NULL;          /* where each good row starts */
    size_t n = 0, cap = 0;
    int map[MAX_FIELDS];
    enum pmu_status status = PMU_OK;
    if (row == NULL)
        return pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    if (!next_row(&c, row)) {
        problem(&im, 1, PMU_E_SYNTAX, "the file is empty: the first line names the columns (serial,make,...)");
        goto out;
    }
    bool seen[N_COLUMNS] = {false};
    for (size_t i = 0; i < row->n; i++) {
        map[i] = column_index(row->fields[i]);
        char msg[256];
        if (map[i] < 0) {
            snprintf(msg, sizeof msg, "unknown column '%.40s' (columns: serial, make, model, site, path, address, "
                     "password_ref, ct, vt, scheme, notes)", row->fields[i]);
            problem(&im, row->line, PMU_E_SYNTAX, msg);
        } else if (seen[map[i]]) {
            snprintf(msg, sizeof msg, "column '%s' appears twice", row->fields[i]);
            problem(&im, row->line, PMU_E_SYNTAX, msg);
        } else {
            seen[map[i]] = true;
        }
    }
    if (row->problem != NULL)
        problem(&im, row->line, PMU_E_SYNTAX, row->problem);
    if (!seen[C_SERIAL] && im.problems == 0)
        problem(&im, row->line, PMU_E_SYNTAX, "no 'serial' column");
    if (im.problems > 0)
        goto out;
    size_t n_columns = row->n;

    while (next_row(&c, row)) {
        char msg[300];
        if (row->problem != NULL) {
            problem(&im, row->line, PMU_E_SYNTAX, row->problem);
            continue;
        }
        if (row->n != n_columns) {
            snprintf(msg, sizeof msg, "%zu field%s, but the header names %zu columns", row->n, row->n == 1 ? "" : "s",
                     n_columns);
            problem(&im, row->line, PMU_E_SYNTAX, msg);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct pmu_meter_record *p = realloc(meters, cap * sizeof *p);
            if (p != NULL)
                meters = p;
            size_t *q = realloc(lines, cap * sizeof *q);
            if (q != NULL)
                lines = q;
            if (p == NULL || q == NULL) {
                status = pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
                goto out;
            }
        }
        struct pmu_meter_record *m = &meters[n];
        memset(m, 0, sizeof *m);
        bool ok = true;
        for (size_t i = 0; i < n_columns && ok; i++) {
            size_t size;
            char *dst = field_of(m, (enum column)map[i], &size);
            if (strlen(row->fields[i]) >= size) {
                snprintf(msg, sizeof msg, "%s is too long (at most %zu characters)", column_names[map[i]], size - 1);
                problem(&im, row->line, PMU_E_INVALID, msg);
                ok = false;
            } else {
                strcpy(dst, row->fields[i]);
            }
        }
        if (!ok)
            continue;
        struct pmu_error e2;
        if (pmu_meter_record_check(m, &e2) != PMU_OK) {
            problem(&im, row->line, PMU_E_INVALID, e2.message);
            continue;
        }
        for (size_t k = 0; k < n && ok; k++)
            if (strcmp(meters[k].serial, m->serial) == 0) {
                snprintf(msg, sizeof msg, "meter '%s' appears twice in the file", m->serial);
                problem(&im, row->line, PMU_E_INVALID, msg);
                ok = false;
            }
        struct pmu_meter_record old;
        enum pmu_status found = ok ? pmu_store_meter_get(s, m->serial, &old, &e2) : PMU_E_NOT_FOUND;
        if (ok && found == PMU_OK && !update) {
            snprintf(msg, sizeof msg, "meter '%s' is already in the store (import with update to replace it)",
                     m->serial);
            problem(&im, row->line, PMU_E_EXISTS, msg);
            ok = false;
        } else if (ok && found != PMU_OK && found != PMU_E_NOT_FOUND) {
            status = pmu_error_set(err, found, PMU_NO_OFFSET, "%s", e2.message);
            goto out;
        }
        if (ok)
            lines[n++] = row->line;
    }
    if (im.problems > 0)
        goto out;

    if ((status = pmu_store_begin(s, err)) != PMU_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct pmu_meter_record old;
        struct pmu_error e2;
        bool exists = pmu_store_meter_get(s, meters[i].serial, &old, &e2) == PMU_OK;
        status = pmu_store_meter_put(s, exists ? meters[i].serial : NULL, &meters[i], &e2);
        if (status != PMU_OK) {
            problem(&im, lines[i], status, e2.message);
            pmu_store_rollback(s);
            goto out;
        }
    }
    if ((status = pmu_store_commit(s, err)) == PMU_OK)
        *n_imported = n;
out:
    free(row);
    free(meters);
    free(lines);
    if (status == PMU_OK && im.problems > 0)
        status = im.first;
    return status;
}
