/*
 * libsvm.c — the LIBSVM / SVMlight reader.
 *
 * Format, as XGBoost and LightGBM read it:
 *
 *     label [qid:N] idx:value idx:value …   # comment
 *
 * The label is a number; indices are non-negative integers, strictly
 * increasing within a line; values are numbers.  `qid:N` right after the
 * label is accepted and ignored (ranking groups are not modelled yet).  `#`
 * starts a comment, blank lines are skipped, CRLF line ends are fine.
 *
 * The table is dense: a float column `label`, then one float column `f<idx>`
 * for every index from the smallest to the largest seen in the file (indices
 * that never occur in between still get a column, so f3 is always next to f4
 * whatever the data).  An absent feature is 0.0, LIBSVM's own convention —
 * a sparse file has no way to say "missing", so there are no nulls.
 *
 * Design: one pass over the file (mapped, or read whole when it cannot be
 * mapped) builds growable CSR arrays — a label and an end offset per row, an
 * index and a value per entry — with no allocation per line; only then is
 * the column count known, so the dense columns are allocated once (calloc:
 * the zeros are free) and the entries scattered into them, and the columns
 * handed to the table with tbl_adopt_column.  Peak memory is the file (as
 * page cache when mapped) + 12 bytes per entry + the dense table.
 *
 * Caps: an index above LIBSVM_MAX_INDEX is ML_ELIMIT, which bounds the
 * column count (and so the dense table's width) whatever the file says.
 *
 * When opts->schema is given (reading data for a model trained earlier), the
 * columns are exactly the schema's — each must be `label` or `f<idx>`, float
 * — in its order; a feature index the schema lacks is an error at its
 * line:column, a schema feature the file never mentions is all zeros.
 *
 * Streaming (libsvm_reader_open): the column count is only known after the
 * whole file has been read, so the reader loads the whole table at open and
 * hands out tbl_slice batches of max_rows rows.  LIBSVM files big enough for
 * that to matter are rare; the dense table is the memory cost either way.
 *
 * Parsing is single-threaded; opts->threads is not used.
 */
#include "data/libsvm.h"

#include "core/file.h"
#include "data/value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest feature index accepted: caps the dense table's width. */
#define LIBSVM_MAX_INDEX 10000000u

/* How much of an offending token an error message quotes. */
#define TOKEN_SHOWN 40

/* ---- the file's bytes ----------------------------------------------------- */

/* Loads the file; an empty one is an error here (no rows, no columns). */
static int file_open(const char *path, ml_file *f, ml_error *err)
{
    int rc = ml_file_load(path, f, err);
    if (!rc && f->len == 0) {
        ml_file_release(f);
        rc = ml_err(err, ML_EFORMAT, "%s: empty file", path);
    }
    return rc;
}

/* ---- parsing into CSR arrays ------------------------------------------------ */

typedef struct svm_csr {
    double *labels;  /* one per row */
    size_t *row_end; /* entries of row r are [row_end[r-1], row_end[r]) */
    size_t nrows, rowcap;
    uint32_t *idx; /* feature index per entry */
    double *val;   /* value per entry */
    size_t nnz, nnzcap;
    uint32_t min_idx, max_idx; /* valid when nnz > 0 */
} svm_csr;

static void csr_free(svm_csr *c)
{
    free(c->labels);
    free(c->row_end);
    free(c->idx);
    free(c->val);
    memset(c, 0, sizeof *c);
}

static bool grow_rows(svm_csr *c)
{
    size_t cap = c->rowcap ? c->rowcap * 2 : 1024;
    double *labels = realloc(c->labels, cap * sizeof *labels);
    if (!labels)
        return false;
    c->labels = labels;
    size_t *ends = realloc(c->row_end, cap * sizeof *ends);
    if (!ends)
        return false;
    c->row_end = ends;
    c->rowcap = cap;
    return true;
}

static bool grow_entries(svm_csr *c)
{
    size_t cap = c->nnzcap ? c->nnzcap * 2 : 8192;
    uint32_t *idx = realloc(c->idx, cap * sizeof *idx);
    if (!idx)
        return false;
    c->idx = idx;
    double *val = realloc(c->val, cap * sizeof *val);
    if (!val)
        return false;
    c->val = val;
    c->nnzcap = cap;
    return true;
}

/* Feature index → schema column, when reading against a schema. */
typedef struct svm_schema_map {
    int32_t *col;  /* col[idx] = table column, or -1 */
    uint32_t len;  /* entries in col */
    int label_col; /* -1 when the schema has no label */
} svm_schema_map;

static inline bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

typedef struct svm_where {
    const char *path;
    size_t line;
    const char *line_start;
} svm_where;

#define WHERE_FMT "%s:%zu:%zu: "
#define WHERE_ARGS(w, at) (w)->path, (w)->line, (size_t)((at) - (w)->line_start) + 1

static int token_error(ml_error *err, const svm_where *w, const char *at, const char *what,
                       const char *tok, size_t len)
{
    return ml_err(err, ML_EFORMAT, WHERE_FMT "%s '%.*s%s'", WHERE_ARGS(w, at), what,
                  (int)(len > TOKEN_SHOWN ? TOKEN_SHOWN : len), tok, len > TOKEN_SHOWN ? "…" : "");
}

/* One `idx:value` token (colon at tok + klen). */
static int parse_entry(svm_csr *c, const svm_schema_map *map, const svm_where *w, const char *tok,
                       size_t len, size_t klen, int64_t *prev, ml_error *err)
{
    if (klen == 0)
        return token_error(err, w, tok, "missing feature index in", tok, len);
    if (tok[0] == '-') {
        bool digits = klen > 1;
        for (size_t i = 1; i < klen; i++)
            digits &= (unsigned)(tok[i] - '0') <= 9;
        if (digits)
            return ml_err(err, ML_EFORMAT, WHERE_FMT "negative feature index %.*s",
                          WHERE_ARGS(w, tok), (int)(klen > TOKEN_SHOWN ? TOKEN_SHOWN : klen), tok);
    }
    uint64_t index = 0;
    for (size_t i = 0; i < klen; i++) {
        unsigned d = (unsigned)(tok[i] - '0');
        if (d > 9)
            return token_error(err, w, tok, "bad feature index in", tok, len);
        if (index <= LIBSVM_MAX_INDEX) /* saturate: stays above the cap */
            index = index * 10 + d;
    }
    if (index > LIBSVM_MAX_INDEX)
        return ml_err(err, ML_ELIMIT,
                      WHERE_FMT "feature index %.*s is over the limit of %u (LIBSVM_MAX_INDEX)",
                      WHERE_ARGS(w, tok), (int)(klen > TOKEN_SHOWN ? TOKEN_SHOWN : klen), tok,
                      LIBSVM_MAX_INDEX);
    if ((int64_t)index <= *prev)
        return ml_err(err, ML_EFORMAT,
                      WHERE_FMT "feature index %" PRIu64
                                " is not greater than the previous one (%" PRId64 ")",
                      WHERE_ARGS(w, tok), index, *prev);
    *prev = (int64_t)index;
    const char *vs = tok + klen + 1;
    size_t vlen = len - klen - 1;
    double v;
    if (!val_parse_f64(vs, vlen, &v))
        return ml_err(err, ML_EFORMAT, WHERE_FMT "bad value '%.*s%s' for feature %" PRIu64,
                      WHERE_ARGS(w, vs), (int)(vlen > TOKEN_SHOWN ? TOKEN_SHOWN : vlen), vs,
                      vlen > TOKEN_SHOWN ? "…" : "", index);
    if (map && (index >= map->len || map->col[index] < 0))
        return ml_err(err, ML_EFORMAT,
                      WHERE_FMT "feature index %" PRIu64
                                " is not in the schema (no column f%" PRIu64 ")",
                      WHERE_ARGS(w, tok), index, index);
    if (c->nnz == c->nnzcap && !grow_entries(c))
        return ml_err(err, ML_ENOMEM, "%s: out of memory after %zu entries", w->path, c->nnz);
    uint32_t i32 = (uint32_t)index;
    if (c->nnz == 0 || i32 < c->min_idx)
        c->min_idx = i32;
    if (c->nnz == 0 || i32 > c->max_idx)
        c->max_idx = i32;
    c->idx[c->nnz] = i32;
    c->val[c->nnz] = v;
    c->nnz++;
    return ML_OK;
}

static bool is_qid(const char *tok, size_t len, size_t klen)
{
    if (klen != 3 || memcmp(tok, "qid", 3) != 0)
        return false;
    int64_t q;
    return val_parse_i64(tok + 4, len - 4, &q);
}

/* Parses one line [s, e) (comment already cut off, may be blank). */
static int parse_line(svm_csr *c, const svm_schema_map *map, const svm_where *w, const char *s,
                      const char *e, ml_error *err)
{
    const char *p = s;
    while (p < e && is_blank(*p))
        p++;
    if (p == e)
        return ML_OK;
    const char *tok = p;
    while (p < e && !is_blank(*p))
        p++;
    double label;
    if (!val_parse_f64(tok, (size_t)(p - tok), &label))
        return token_error(err, w, tok, "bad label", tok, (size_t)(p - tok));
    if (c->nrows == c->rowcap && !grow_rows(c))
        return ml_err(err, ML_ENOMEM, "%s: out of memory after %zu rows", w->path, c->nrows);
    int64_t prev = -1;
    bool first = true;
    for (;;) {
        while (p < e && is_blank(*p))
            p++;
        if (p == e)
            break;
        tok = p;
        while (p < e && !is_blank(*p))
            p++;
        size_t len = (size_t)(p - tok);
        const char *colon = memchr(tok, ':', len);
        if (!colon)
            return token_error(err, w, tok, "expected idx:value, got", tok, len);
        size_t klen = (size_t)(colon - tok);
        if (first && klen == 3 && memcmp(tok, "qid", 3) == 0) {
            if (!is_qid(tok, len, klen))
                return token_error(err, w, tok, "bad query id", tok, len);
            first = false;
            continue;
        }
        first = false;
        int rc = parse_entry(c, map, w, tok, len, klen, &prev, err);
        if (rc)
            return rc;
    }
    c->labels[c->nrows] = label;
    c->row_end[c->nrows] = c->nnz;
    c->nrows++;
    return ML_OK;
}

static int parse_file(const char *path, const ml_file *f, const svm_schema_map *map, svm_csr *c,
                      ml_error *err)
{
    svm_where w = {.path = path};
    const char *p = f->data, *end = f->data + f->len;
    while (p < end) {
        w.line++;
        w.line_start = p;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(le - p));
        int rc = parse_line(c, map, &w, p, hash ? hash : le, err);
        if (rc)
            return rc;
        p = nl ? nl + 1 : end;
    }
    if (c->nrows == 0)
        return ml_err(err, ML_EFORMAT, "%s: no data lines (only blank lines and comments)", path);
    return ML_OK;
}

/* ---- the dense table ---------------------------------------------------------- */

/* Adopts columns[0..n) into t under names[i]; frees the ones not adopted on failure. */
static int adopt_all(tbl_table *t, double **columns, char (*names)[24], size_t n, size_t nrows,
                     ml_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = tbl_adopt_column(t, names[i], TBL_F64, columns[i], NULL, NULL, nrows, err);
        columns[i] = NULL;
        if (rc) {
            for (size_t j = i + 1; j < n; j++) {
                free(columns[j]);
                columns[j] = NULL;
            }
            return rc;
        }
    }
    return ML_OK;
}

/* Builds the table from CSR arrays: schema columns when map is given, else
 * label + f<min>..f<max>. */
static int build_table(const char *path, const svm_csr *c, const svm_schema_map *map,
                       const tbl_table *schema, tbl_table **out, ml_error *err)
{
    size_t ncols;
    if (map)
        ncols = tbl_ncols(schema);
    else
        ncols = (c->nnz ? (size_t)(c->max_idx - c->min_idx) + 1 : 0) + 1;
    double **columns = calloc(ncols ? ncols : 1, sizeof *columns);
    char(*names)[24] = calloc(ncols ? ncols : 1, sizeof *names);
    tbl_table *t = tbl_create();
    int rc = ML_OK;
    if (!columns || !names || !t) {
        rc = ml_err(err, ML_ENOMEM, "%s: out of memory building the table", path);
        goto done;
    }
    for (size_t i = 0; i < ncols; i++) {
        columns[i] = calloc(c->nrows ? c->nrows : 1, sizeof(double)); /* nrows > 0 here */
        if (!columns[i]) {
            rc = ml_err(err, ML_ENOMEM, "%s: out of memory for a table of %zu rows × %zu columns",
                        path, c->nrows, ncols);
            goto done;
        }
        if (map)
            snprintf(names[i], sizeof names[i], "%s", tbl_col(schema, i)->name);
        else if (i == 0)
            snprintf(names[i], sizeof names[i], "label");
        else
            snprintf(names[i], sizeof names[i], "f%u", (unsigned)(c->min_idx + i - 1));
    }
    double *label = map ? (map->label_col >= 0 ? columns[map->label_col] : NULL) : columns[0];
    if (label)
        memcpy(label, c->labels, c->nrows * sizeof *label);
    size_t k = 0;
    for (size_t r = 0; r < c->nrows; r++) {
        for (; k < c->row_end[r]; k++) {
            size_t col = map ? (size_t)map->col[c->idx[k]] : (size_t)(c->idx[k] - c->min_idx) + 1;
            columns[col][r] = c->val[k];
        }
    }
    rc = adopt_all(t, columns, names, ncols, c->nrows, err);
done:
    if (rc) {
        if (columns)
            for (size_t i = 0; i < ncols; i++)
                free(columns[i]);
        tbl_free(t);
        t = NULL;
    }
    free(columns);
    free(names);
    if (!rc)
        *out = t;
    return rc;
}

/* Checks a schema and maps its feature columns; map->col is malloc'd. */
static int schema_map_build(const tbl_table *schema, svm_schema_map *map, ml_error *err)
{
    memset(map, 0, sizeof *map);
    map->label_col = -1;
    size_t n = tbl_ncols(schema);
    if (n == 0)
        return ml_err(err, ML_EINVAL, "the schema has no columns");
    uint32_t max_idx = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const tbl_column *col = tbl_col(schema, i);
        if (col->type != TBL_F64)
            return ml_err(err, ML_EINVAL, "schema column '%s' is %s; LIBSVM columns are float",
                          col->name, tbl_type_name(col->type));
        if (strcmp(col->name, "label") == 0) {
            map->label_col = (int)i;
            continue;
        }
        const char *s = col->name;
        uint64_t index = 0;
        bool ok = s[0] == 'f' && s[1] && (s[1] != '0' || !s[2]);
        for (size_t j = 1; ok && s[j]; j++) {
            unsigned d = (unsigned)(s[j] - '0');
            ok = d <= 9 && index <= LIBSVM_MAX_INDEX;
            index = index * 10 + d;
        }
        if (!ok || index > LIBSVM_MAX_INDEX)
            return ml_err(err, ML_EINVAL,
                          "schema column '%s' cannot come from a LIBSVM file (label or f<idx>, "
                          "idx at most %u)",
                          col->name, LIBSVM_MAX_INDEX);
        if (!any || index > max_idx)
            max_idx = (uint32_t)index;
        any = true;
    }
    map->len = any ? max_idx + 1 : 0;
    map->col = malloc((map->len ? map->len : 1) * sizeof *map->col);
    if (!map->col)
        return ml_err(err, ML_ENOMEM, "out of memory mapping the schema");
    for (uint32_t i = 0; i < map->len; i++)
        map->col[i] = -1;
    for (size_t i = 0; i < n; i++) {
        const char *s = tbl_col(schema, i)->name;
        if ((int)i != map->label_col)
            map->col[strtoul(s + 1, NULL, 10)] = (int32_t)i;
    }
    return ML_OK;
}

int libsvm_read_table(const char *path, const src_options *opts, tbl_table **out, ml_error *err)
{
    const tbl_table *schema = opts ? opts->schema : NULL;
    svm_schema_map map = {0};
    ml_file f = {0};
    svm_csr c = {0};
    int rc = ML_OK;
    if (schema && (rc = schema_map_build(schema, &map, err)))
        goto done;
    if ((rc = file_open(path, &f, err)))
        goto done;
    if ((rc = parse_file(path, &f, schema ? &map : NULL, &c, err)))
        goto done;
    ml_file_release(&f); /* the page cache is no longer needed while the table is built */
    rc = build_table(path, &c, schema ? &map : NULL, schema, out, err);
done:
    ml_file_release(&f);
    csr_free(&c);
    free(map.col);
    return rc;
}

/* ---- streaming: batches sliced from the whole table ------------------------------ */

typedef struct svm_reader {
    tbl_table *table;
    size_t next;
} svm_reader;

/* A LIBSVM read never skips rows or coerces cells. */
static const src_report no_report;

static int reader_next(void *impl, size_t max_rows, tbl_table **batch, ml_error *err)
{
    svm_reader *r = impl;
    *batch = NULL;
    size_t n = tbl_nrows(r->table);
    if (r->next >= n)
        return ML_OK;
    size_t end = max_rows && max_rows < n - r->next ? r->next + max_rows : n;
    int rc = tbl_slice(r->table, r->next, end, batch, err);
    if (!rc)
        r->next = end;
    return rc;
}

static const src_report *reader_report(const void *impl)
{
    (void)impl;
    return &no_report;
}

static void reader_close(void *impl)
{
    svm_reader *r = impl;
    if (!r)
        return;
    tbl_free(r->table);
    free(r);
}

static const src_reader_ops reader_ops = {
    .next_batch = reader_next,
    .report = reader_report,
    .close = reader_close,
};

int libsvm_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                       void **impl, ml_error *err)
{
    svm_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ml_err(err, ML_ENOMEM, "%s: out of memory opening the reader", path);
    int rc = libsvm_read_table(path, opts, &r->table, err);
    if (rc) {
        free(r);
        return rc;
    }
    *ops = &reader_ops;
    *impl = r;
    return ML_OK;
}
