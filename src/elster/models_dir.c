/* Loading the model files of a directory (I/O; the codec itself stays pure). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/elster_session.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 > cap) {
            char *b = realloc(buf, cap = cap * 2 + 8192);
            if (b == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

void pmu_elster_models_free(struct pmu_elster_model *models, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pmu_elster_model_free(&models[i]);
    free(models);
}

enum pmu_status pmu_elster_models_load_dir(const char *dir, struct pmu_elster_model **models, size_t *n,
                                           struct pmu_error *err)
{
    *models = NULL;
    *n = 0;
    DIR *dh = opendir(dir);
    if (dh == NULL)
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET,
                             "cannot open the Elster model directory %s (set PMU_MODELS)", dir);
    char *names[64];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL && count < 64) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && (names[count] = strdup(e->d_name)) != NULL)
            count++;
    }
    closedir(dh);
    qsort(names, count, sizeof names[0], by_name);
    enum pmu_status st = PMU_OK;
    struct pmu_elster_model *m = calloc(count ? count : 1, sizeof *m);
    if (m == NULL)
        st = pmu_error_set(err, PMU_E_NOMEM, PMU_NO_OFFSET, "out of memory");
    size_t loaded = 0;
    for (size_t i = 0; i < count; i++) {
        if (st == PMU_OK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            size_t len = 0;
            char *text = read_all(path, &len);
            if (text == NULL) {
                st = pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "cannot read %s", path);
            } else if ((st = pmu_elster_model_load(text, len, &m[loaded], err)) != PMU_OK) {
                pmu_error_set(err, st, PMU_NO_OFFSET, "%s: %s", path, err->message);
            } else {
                loaded++;
            }
            free(text);
        }
        free(names[i]);
    }
    if (st != PMU_OK) {
        pmu_elster_models_free(m, loaded);
        return st;
    }
    if (loaded == 0) {
        free(m);
        return pmu_error_set(err, PMU_E_IO, PMU_NO_OFFSET, "no model files (*.json) in %s", dir);
    }
    *models = m;
    *n = loaded;
    return PMU_OK;
}
