/*
 * arena.c — singly linked blocks, newest first.  Reset keeps only the oldest
 * block so a per-request arena stops calling malloc once it is warm.
 */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} arena_block;

struct ml_arena {
    arena_block *head;
    size_t block_size;
    size_t used;
};

static arena_block *block_new(size_t size)
{
    arena_block *b = malloc(sizeof *b + size);
    if (b) {
        b->next = NULL;
        b->size = size;
        b->used = 0;
    }
    return b;
}

ml_arena *ml_arena_create(size_t block_size)
{
    ml_arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    return a;
}

void ml_arena_free(ml_arena *a)
{
    if (!a)
        return;
    for (arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *ml_arena_alloc(ml_arena *a, size_t size)
{
    size_t need = (size + 15) & ~(size_t)15;
    if (need < size)
        return NULL;
    arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t bsize = a->block_size;
        if (a->head && bsize < SIZE_MAX / 2 && a->head->size >= bsize)
            bsize = a->head->size * 2 > bsize * 64 ? bsize * 64 : a->head->size * 2;
        if (bsize < need)
            bsize = need;
        b = block_new(bsize);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used += size;
    return p;
}

char *ml_arena_strndup(ml_arena *a, const char *s, size_t len)
{
    char *p = ml_arena_alloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void ml_arena_reset(ml_arena *a)
{
    arena_block *b = a->head;
    if (!b)
        return;
    while (b->next) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    a->head = b;
    a->used = 0;
}

size_t ml_arena_used(const ml_arena *a)
{
    return a->used;
}
