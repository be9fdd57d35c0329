/* Per-run bump allocator: after the first runs of a plan, one block holds a
 * whole run's intermediates, so a step does no malloc. */
#include <stdlib.h>

#include "core.h"

struct tfci_arena_block {
    tfci_arena_block *next;
    size_t size, used;
    _Alignas(64) unsigned char data[];
};

#define ARENA_ALIGN 64
#define ARENA_MIN_BLOCK (64 * 1024)

void *tfci_arena_alloc(tfci_arena *a, size_t bytes)
{
    size_t need = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < bytes) return NULL;
    tfci_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > ARENA_MIN_BLOCK ? need : ARENA_MIN_BLOCK;
        if (b && size < b->size * 2 && b->size * 2 > b->size) size = b->size * 2;
        tfci_arena_block *nb = NULL;
        if (size > SIZE_MAX - sizeof *nb) return NULL;
        if (posix_memalign((void **)&nb, ARENA_ALIGN, sizeof *nb + size) != 0 || !nb) return NULL;
        nb->next = b;
        nb->size = size;
        nb->used = 0;
        a->head = nb;
        a->capacity_total += size;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used_total += need;
    return p;
}

void tfci_arena_reset(tfci_arena *a)
{
    if (a->head && a->head->next) {
        /* Several blocks: replace them by one that fits the whole high-water mark. */
        size_t want = a->used_total + a->used_total / 4;
        tfci_arena_destroy(a);
        tfci_arena_block *nb = NULL;
        if (posix_memalign((void **)&nb, ARENA_ALIGN, sizeof *nb + want) == 0 && nb) {
            nb->next = NULL;
            nb->size = want;
            nb->used = 0;
            a->head = nb;
            a->capacity_total = want;
        }
    } else if (a->head) {
        a->head->used = 0;
    }
    a->used_total = 0;
}

void tfci_arena_destroy(tfci_arena *a)
{
    tfci_arena_block *b = a->head;
    while (b) {
        tfci_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
    a->capacity_total = 0;
}
