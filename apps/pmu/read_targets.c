/* pmu read's meter sources: list files and the store. */
#include "read_targets.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A list file: one meter per line, "PATH" or "meter SERIAL PATH" as pmu-sim prints;
 * blank lines, '#' comments and pmu-sim's "ready" line are skipped. */
int read_targets_from_list(const char *file, struct target **out, size_t *n, char **text_out)
{
    size_t len;
    uint8_t *text = pmu_cli_read_file(file, &len);
    if (text == NULL)
        return PMU_EXIT_FAILURE;
    size_t cap = 0, count = 0, lineno = 0;
    struct target *ts = NULL;
    for (char *line = strtok((char *)text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#' || strcmp(line, "ready") == 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            struct target *g = realloc(ts, cap * sizeof *ts);
            if (g == NULL) {
                free(ts);
                free(text);
                fprintf(stderr, "pmu read: out of memory\n");
                return PMU_EXIT_FAILURE;
            }
            ts = g;
        }
        struct target *t = &ts[count];
        memset(t, 0, sizeof *t);
        t->path_text = line;
        if (strncmp(line, "meter ", 6) == 0) {
            char *serial = line + 6, *sp = strchr(serial, ' ');
            if (sp == NULL) {
                fprintf(stderr, "%s:%zu: expected 'meter SERIAL PATH'\n", file, lineno);
                free(ts);
                free(text);
                return PMU_EXIT_DATA;
            }
            *sp = '\0';
            snprintf(t->serial, sizeof t->serial, "%s", serial);
            t->path_text = sp + 1;
        }
        struct pmu_error err;
        struct pmu_path check;
        if (pmu_path_parse(t->path_text, &check, &err) != PMU_OK) {
            fprintf(stderr, "%s:%zu: comms path '%s': %s\n", file, lineno, t->path_text, err.message);
            free(ts);
            free(text);
            return PMU_EXIT_DATA;
        }
        if (t->serial[0] == '\0')
            snprintf(t->serial, sizeof t->serial, "#%zu", lineno);
        count++;
    }
    *out = ts;
    *n = count;
    *text_out = (char *)text;
    return PMU_EXIT_OK;
}

/* Appends a string to the text buffer. Returns its offset, or (size_t)-1. */
static size_t add_text(char **text, size_t *len, size_t *cap, const char *path)
{
    size_t n = strlen(path) + 1;
    if (*len + n > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < *len + n)
            c *= 2;
        char *t = realloc(*text, c);
        if (t == NULL)
            return (size_t)-1;
        *text = t;
        *cap = c;
    }
    memcpy(*text + *len, path, n);
    *len += n;
    return *len - n;
}

/* Appends "PATH" for a stored meter, adding its device address when the path has
 * none. */
static size_t add_path(char **text, size_t *len, size_t *cap, const struct pmu_meter_record *m)
{
    char path[640];
    bool has_address = strstr(m->path, "address=") != NULL;
    if (m->address[0] != '\0' && !has_address)
        snprintf(path, sizeof path, "%s%caddress=%s", m->path, strchr(m->path, '?') ? '&' : '?', m->address);
    else
        snprintf(path, sizeof path, "%s", m->path);
    return add_text(text, len, cap, path);
}


int read_targets_from_store(struct pmu_store *store, const struct read_args *a,
                            struct target **out, size_t *n, char **text_out)
{
    struct pmu_meter_record *records = NULL;
    size_t n_records = 0;
    struct pmu_error err;
    enum pmu_status st;
    if (a->group != NULL) {
        struct pmu_meter_filter filter = {.group = a->group};
        struct pmu_group_record g;
        if ((st = pmu_store_group_get(store, a->group, &g, &err)) != PMU_OK)
            return pmu_cli_fail("read", st, &err);
        if ((st = pmu_store_meter_list(store, &filter, &records, &n_records, &err)) != PMU_OK)
            return pmu_cli_fail("read", st, &err);
        if (n_records == 0) {
            fprintf(stderr, "pmu read: group '%s' has no meters\n", a->group);
            free(records);
            return PMU_EXIT_DATA;
        }
    }
    size_t total = n_records + a->n_meters;
    struct pmu_meter_record *all = realloc(records, (total ? total : 1) * sizeof *all);
    if (all == NULL) {
        free(records);
        return PMU_EXIT_FAILURE;
    }
    for (size_t i = 0; i < a->n_meters; i++)
        if ((st = pmu_store_meter_get(store, a->meters[i], &all[n_records + i], &err)) != PMU_OK) {
            free(all);
            return pmu_cli_fail("read", st, &err);
        }
    struct target *ts = calloc(total, sizeof *ts);
    size_t *offsets = calloc(total, sizeof *offsets), *pw_offsets = calloc(total, sizeof *pw_offsets);
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = ts == NULL || offsets == NULL || pw_offsets == NULL ? PMU_EXIT_FAILURE : PMU_EXIT_OK;
    for (size_t i = 0; i < total && rc == PMU_EXIT_OK; i++) {
        if (all[i].path[0] == '\0') {
            fprintf(stderr, "pmu read: meter %s has no comms path: pmu meter edit %s --path ...\n",
                    all[i].serial, all[i].serial);
            rc = PMU_EXIT_DATA;
            break;
        }
        snprintf(ts[i].serial, sizeof ts[i].serial, "%s", all[i].serial);
        if ((offsets[i] = add_path(&text, &len, &cap, &all[i])) == (size_t)-1)
            rc = PMU_EXIT_FAILURE;
        char password[PMU_PASSWORD_MAX];
        bool found = false;
        pw_offsets[i] = (size_t)-1;
        if (rc == PMU_EXIT_OK &&
            (st = pmu_meter_password_get(store, a->key, all[i].serial, password, &found, &err)) != PMU_OK)
            rc = pmu_cli_fail("read", st, &err);
        if (rc == PMU_EXIT_OK && found && a->key == NULL) {
            fprintf(stderr, "pmu read: meter %s has its password in the vault, but the key is not at hand "
                            "(PMU_KEY_FILE or PMU_KEY; docs/security.md)\n", all[i].serial);
            rc = PMU_EXIT_FAILURE;
        }
        if (found && (pw_offsets[i] = add_text(&text, &len, &cap, password)) == (size_t)-1)
            rc = PMU_EXIT_FAILURE;
        sodium_memzero(password, sizeof password);
    }
    /* the text moved while it grew: point at it only now */
    for (size_t i = 0; i < total && rc == PMU_EXIT_OK; i++) {
        ts[i].path_text = text + offsets[i];
        ts[i].password = pw_offsets[i] != (size_t)-1 ? text + pw_offsets[i] : NULL;
    }
    free(offsets);
    free(pw_offsets);
    free(all);
    if (rc != PMU_EXIT_OK) {
        free(ts);
        free(text);
        return rc;
    }
    *out = ts;
    *n = total;
    *text_out = text;
    return PMU_EXIT_OK;
}
