/*
 * buf.h — little-endian binary encoding for everything mloop writes to disk
 * (model sections, profiles inside artifacts): a growable writer and a
 * bounds-checked reader.
 *
 * Contract
 *  - Writer: the put functions never fail one by one; an allocation failure
 *    marks the buffer failed and later puts are ignored, so a serializer
 *    writes everything and checks wbuf_status once at the end.
 *  - Reader: every get checks the bytes remain before it reads and fails
 *    with ML_EFORMAT naming the reader's `what` (e.g. "model section") and
 *    the field being read.  rbuf_count also checks that count elements of
 *    elem_size bytes can still follow, so a hostile count can never drive an
 *    allocation larger than the input.
 */
#ifndef ML_CORE_BUF_H
#define ML_CORE_BUF_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ml_wbuf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} ml_wbuf;

void wbuf_init(ml_wbuf *w);
void wbuf_free(ml_wbuf *w);
void wbuf_bytes(ml_wbuf *w, const void *p, size_t n);
void wbuf_u8(ml_wbuf *w, uint8_t v);
void wbuf_u32(ml_wbuf *w, uint32_t v);
void wbuf_i32(ml_wbuf *w, int32_t v);
void wbuf_u64(ml_wbuf *w, uint64_t v);
void wbuf_f64(ml_wbuf *w, double v);
/* u32 length, then the bytes (no NUL). */
void wbuf_str(ml_wbuf *w, const char *s);
/* ML_OK, or ML_ENOMEM when any put failed. */
int wbuf_status(const ml_wbuf *w, ml_error *err);
/* Hands the bytes to the caller (who frees them) and resets w. */
uint8_t *wbuf_take(ml_wbuf *w, size_t *len);

typedef struct ml_rbuf {
    const uint8_t *p;
    size_t len, pos;
    const char *what; /* names the input in errors */
} ml_rbuf;

void rbuf_init(ml_rbuf *r, const void *p, size_t len, const char *what);
size_t rbuf_remaining(const ml_rbuf *r);
int rbuf_bytes(ml_rbuf *r, void *out, size_t n, const char *field, ml_error *err);
int rbuf_u8(ml_rbuf *r, uint8_t *v, const char *field, ml_error *err);
int rbuf_u32(ml_rbuf *r, uint32_t *v, const char *field, ml_error *err);
int rbuf_i32(ml_rbuf *r, int32_t *v, const char *field, ml_error *err);
int rbuf_u64(ml_rbuf *r, uint64_t *v, const char *field, ml_error *err);
int rbuf_f64(ml_rbuf *r, double *v, const char *field, ml_error *err);
/* A u32-length string copied into a new NUL-terminated malloc'd buffer;
 * embedded NULs and lengths beyond max_len are refused. */
int rbuf_str(ml_rbuf *r, size_t max_len, char **out, const char *field, ml_error *err);
/* Reads a u64 count, refuses one above max or one whose count * elem_size
 * bytes cannot fit in what remains (elem_size may be 0 for no such check). */
int rbuf_count(ml_rbuf *r, uint64_t max, size_t elem_size, size_t *out, const char *field,
               ml_error *err);
/* ML_EFORMAT unless every byte was consumed. */
int rbuf_expect_end(const ml_rbuf *r, ml_error *err);

#endif
