/*
 * buf.c — see buf.h.  Values are written byte by byte in little-endian order
 * through memcpy of a fixed-width integer, which compilers turn into single
 * stores on x86 and keeps the format independent of the host.
 */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void wbuf_init(ml_wbuf *w)
{
    memset(w, 0, sizeof *w);
}

void wbuf_free(ml_wbuf *w)
{
    free(w->data);
    memset(w, 0, sizeof *w);
}

void wbuf_bytes(ml_wbuf *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->len < n) {
            if (cap > SIZE_MAX / 2) {
                w->failed = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *grown = realloc(w->data, cap);
        if (!grown) {
            w->failed = true;
            return;
        }
        w->data = grown;
        w->cap = cap;
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void put_le(ml_wbuf *w, uint64_t v, size_t width)
{
    uint8_t b[8];
    for (size_t i = 0; i < width; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    wbuf_bytes(w, b, width);
}

void wbuf_u8(ml_wbuf *w, uint8_t v)
{
    wbuf_bytes(w, &v, 1);
}

void wbuf_u32(ml_wbuf *w, uint32_t v)
{
    put_le(w, v, 4);
}

void wbuf_i32(ml_wbuf *w, int32_t v)
{
    put_le(w, (uint32_t)v, 4);
}

void wbuf_u64(ml_wbuf *w, uint64_t v)
{
    put_le(w, v, 8);
}

void wbuf_f64(ml_wbuf *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    put_le(w, bits, 8);
}

void wbuf_str(ml_wbuf *w, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        w->failed = true;
        return;
    }
    wbuf_u32(w, (uint32_t)n);
    wbuf_bytes(w, s, n);
}

int wbuf_status(const ml_wbuf *w, ml_error *err)
{
    if (w->failed)
        return ml_err(err, ML_ENOMEM, "out of memory while encoding (%zu bytes so far)", w->len);
    return ML_OK;
}

uint8_t *wbuf_take(ml_wbuf *w, size_t *len)
{
    uint8_t *data = w->data;
    *len = w->len;
    memset(w, 0, sizeof *w);
    return data;
}

void rbuf_init(ml_rbuf *r, const void *p, size_t len, const char *what)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->what = what;
}

size_t rbuf_remaining(const ml_rbuf *r)
{
    return r->len - r->pos;
}

int rbuf_bytes(ml_rbuf *r, void *out, size_t n, const char *field, ml_error *err)
{
    if (n > rbuf_remaining(r))
        return ml_err(err, ML_EFORMAT, "%s truncated: %s needs %zu bytes at offset %zu, %zu remain",
                      r->what, field, n, r->pos, rbuf_remaining(r));
    if (n)
        memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return ML_OK;
}

static int get_le(ml_rbuf *r, uint64_t *v, size_t width, const char *field, ml_error *err)
{
    uint8_t b[8];
    int rc = rbuf_bytes(r, b, width, field, err);
    if (rc)
        return rc;
    uint64_t x = 0;
    for (size_t i = 0; i < width; i++)
        x |= (uint64_t)b[i] << (8 * i);
    *v = x;
    return ML_OK;
}

int rbuf_u8(ml_rbuf *r, uint8_t *v, const char *field, ml_error *err)
{
    return rbuf_bytes(r, v, 1, field, err);
}

int rbuf_u32(ml_rbuf *r, uint32_t *v, const char *field, ml_error *err)
{
    uint64_t x = 0;
    int rc = get_le(r, &x, 4, field, err);
    *v = (uint32_t)x;
    return rc;
}

int rbuf_i32(ml_rbuf *r, int32_t *v, const char *field, ml_error *err)
{
    uint32_t x = 0;
    int rc = rbuf_u32(r, &x, field, err);
    memcpy(v, &x, 4);
    return rc;
}

int rbuf_u64(ml_rbuf *r, uint64_t *v, const char *field, ml_error *err)
{
    return get_le(r, v, 8, field, err);
}

int rbuf_f64(ml_rbuf *r, double *v, const char *field, ml_error *err)
{
    uint64_t x = 0;
    int rc = get_le(r, &x, 8, field, err);
    memcpy(v, &x, 8);
    return rc;
}

int rbuf_str(ml_rbuf *r, size_t max_len, char **out, const char *field, ml_error *err)
{
    *out = NULL;
    uint32_t n;
    int rc = rbuf_u32(r, &n, field, err);
    if (rc)
        return rc;
    if (n > max_len || n > rbuf_remaining(r))
        return ml_err(err, ML_EFORMAT, "%s: %s has an impossible length %u at offset %zu", r->what,
                      field, n, r->pos - 4);
    if (memchr(r->p + r->pos, 0, n))
        return ml_err(err, ML_EFORMAT, "%s: %s contains a NUL byte", r->what, field);
    char *s = malloc((size_t)n + 1);
    if (!s)
        return ml_err(err, ML_ENOMEM, "out of memory reading %s", field);
    memcpy(s, r->p + r->pos, n);
    s[n] = '\0';
    r->pos += n;
    *out = s;
    return ML_OK;
}

int rbuf_count(ml_rbuf *r, uint64_t max, size_t elem_size, size_t *out, const char *field,
               ml_error *err)
{
    uint64_t n;
    int rc = rbuf_u64(r, &n, field, err);
    if (rc)
        return rc;
    if (n > max || (elem_size && n > rbuf_remaining(r) / elem_size))
        return ml_err(err, ML_EFORMAT, "%s: %s %llu is out of range at offset %zu", r->what, field,
                      (unsigned long long)n, r->pos - 8);
    *out = (size_t)n;
    return ML_OK;
}

int rbuf_expect_end(const ml_rbuf *r, ml_error *err)
{
    if (r->pos != r->len)
        return ml_err(err, ML_EFORMAT, "%s: %zu unexpected bytes after the end at offset %zu",
                      r->what, rbuf_remaining(r), r->pos);
    return ML_OK;
}
