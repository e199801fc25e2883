/*
 * arena.h — a bump allocator for memory whose lifetime is one load, batch or
 * request: many small allocations, one free.  Blocks grow geometrically; an
 * allocation larger than a block gets a block of its own.  Not thread-safe:
 * give each thread its own arena.
 */
#ifndef ML_CORE_ARENA_H
#define ML_CORE_ARENA_H

#include <stddef.h>

typedef struct ml_arena ml_arena;

/* block_size 0 picks a default (64 KiB). NULL on out of memory. */
ml_arena *ml_arena_create(size_t block_size);
void ml_arena_free(ml_arena *a);

/* 16-byte aligned memory from the arena; NULL on out of memory. */
void *ml_arena_alloc(ml_arena *a, size_t size);
/* Copy of [s, s+len) with a terminating NUL; NULL on out of memory. */
char *ml_arena_strndup(ml_arena *a, const char *s, size_t len);
/* Forget every allocation but keep the first block for reuse. */
void ml_arena_reset(ml_arena *a);
/* Bytes handed out since creation or the last reset. */
size_t ml_arena_used(const ml_arena *a);

#endif
