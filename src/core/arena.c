#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
    struct chunk *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct pmu_arena {
    struct chunk *head;
};

/* Chunks start small and double up to 64 KiB: thousands of sessions each hold an
 * arena, most with a short readout, some with months of profile. */
#define FIRST_CHUNK 1024u
#define MAX_CHUNK (64u * 1024u)

struct pmu_arena *pmu_arena_new(void)
{
    return calloc(1, sizeof(struct pmu_arena));
}

void pmu_arena_free(struct pmu_arena *a)
{
    if (a == NULL)
        return;
    for (struct chunk *c = a->head, *next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *pmu_arena_alloc(struct pmu_arena *a, size_t size)
{
    size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    struct chunk *c = a->head;
    if (c == NULL || c->size - c->used < size) {
        size_t grow = c == NULL ? FIRST_CHUNK : c->size * 2 > MAX_CHUNK ? MAX_CHUNK : c->size * 2;
        size_t cap = size > grow ? size : grow;
        c = malloc(sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->size = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

char *pmu_arena_strndup(struct pmu_arena *a, const char *s, size_t n)
{
    char *p = pmu_arena_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
