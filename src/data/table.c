/*
 * table.c — columns as plain arrays plus a per-column string dictionary.
 *
 * The dictionary is an open-addressing hash table (linear probing, power-of-
 * two capacity, load ≤ 1/2) of int32 codes; each entry's bytes live in an
 * arena, so interning a million values costs a handful of mallocs.  Codes
 * are dense and stable: code i is the i-th distinct value seen, which keeps
 * readers deterministic whatever order they merge chunks in.
 *
 * Row-by-row growth (tbl_resize) doubles capacity; null masks are created
 * the first time a column gets a null, sized to the table's capacity.
 */
#include "data/table.h"

#include "core/arena.h"
#include "data/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- dictionary ---------------------------------------------------------- */

typedef struct dict_entry {
    const char *str;
    uint32_t len;
    uint32_t hash;
} dict_entry;

struct tbl_dict {
    ml_arena *arena;
    dict_entry *entries; /* by code */
    size_t count, cap;
    int32_t *slots; /* -1 empty, else code */
    size_t nslots;
};

tbl_dict *tbl_dict_create(void)
{
    tbl_dict *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->arena = ml_arena_create(16 * 1024);
    d->nslots = 64;
    d->slots = malloc(d->nslots * sizeof *d->slots);
    if (!d->arena || !d->slots) {
        tbl_dict_free(d);
        return NULL;
    }
    memset(d->slots, 0xff, d->nslots * sizeof *d->slots);
    return d;
}

void tbl_dict_free(tbl_dict *d)
{
    if (!d)
        return;
    ml_arena_free(d->arena);
    free(d->entries);
    free(d->slots);
    free(d);
}

static uint32_t dict_hash(const char *s, size_t len)
{
    return (uint32_t)XXH3_64bits(s, len);
}

static int32_t dict_lookup(const tbl_dict *d, const char *s, size_t len, uint32_t h,
                           size_t *slot_out)
{
    size_t mask = d->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        int32_t code = d->slots[i];
        if (code < 0) {
            *slot_out = i;
            return -1;
        }
        const dict_entry *e = &d->entries[code];
        if (e->hash == h && e->len == len && memcmp(e->str, s, len) == 0)
            return code;
    }
}

static int dict_grow_slots(tbl_dict *d)
{
    size_t nslots = d->nslots * 2;
    int32_t *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, nslots * sizeof *slots);
    for (size_t c = 0; c < d->count; c++) {
        size_t i = d->entries[c].hash & (nslots - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (nslots - 1);
        slots[i] = (int32_t)c;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = nslots;
    return 0;
}

int32_t tbl_dict_intern(tbl_dict *d, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    uint32_t h = dict_hash(s, len);
    size_t slot;
    int32_t code = dict_lookup(d, s, len, h, &slot);
    if (code >= 0)
        return code;
    if (d->count >= INT32_MAX)
        return -1;
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        dict_entry *e = realloc(d->entries, cap * sizeof *e);
        if (!e)
            return -1;
        d->entries = e;
        d->cap = cap;
    }
    char *copy = ml_arena_strndup(d->arena, s, len);
    if (!copy)
        return -1;
    code = (int32_t)d->count++;
    d->entries[code] = (dict_entry){copy, (uint32_t)len, h};
    d->slots[slot] = code;
    if (d->count * 2 > d->nslots && dict_grow_slots(d) != 0) {
        /* The value is stored and findable; only the table stayed dense. */
    }
    return code;
}

int32_t tbl_dict_find(const tbl_dict *d, const char *s, size_t len)
{
    size_t slot;
    return dict_lookup(d, s, len, dict_hash(s, len), &slot);
}

const char *tbl_dict_get(const tbl_dict *d, int32_t code, size_t *len)
{
    const dict_entry *e = &d->entries[code];
    if (len)
        *len = e->len;
    return e->str;
}

size_t tbl_dict_size(const tbl_dict *d)
{
    return d->count;
}

/* ---- table ----------------------------------------------------------------- */

struct tbl_table {
    tbl_dict *names; /* column names; a name's code is its column index */
    tbl_column *cols;
    size_t ncols, colcap;
    size_t nrows, rowcap;
};

const char *tbl_type_name(tbl_type type)
{
    static const char *names[TBL_TYPE_COUNT] = {"float",  "int",  "bool",
                                                "string", "date", "timestamp"};
    return (unsigned)type < TBL_TYPE_COUNT ? names[type] : "unknown";
}

size_t tbl_type_width(tbl_type type)
{
    switch (type) {
    case TBL_F64:
    case TBL_I64:
    case TBL_TIMESTAMP:
        return 8;
    case TBL_STR:
    case TBL_DATE:
        return 4;
    case TBL_BOOL:
        return 1;
    }
    return 8;
}

tbl_table *tbl_create(void)
{
    tbl_table *t = calloc(1, sizeof *t);
    if (t && !(t->names = tbl_dict_create())) {
        free(t);
        return NULL;
    }
    return t;
}

static void column_release(tbl_column *c)
{
    free(c->name);
    free(c->data.raw);
    free(c->nulls);
    tbl_dict_free(c->dict);
}

void tbl_free(tbl_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        column_release(&t->cols[i]);
    free(t->cols);
    tbl_dict_free(t->names);
    free(t);
}

size_t tbl_nrows(const tbl_table *t)
{
    return t->nrows;
}

size_t tbl_ncols(const tbl_table *t)
{
    return t->ncols;
}

const tbl_column *tbl_col(const tbl_table *t, size_t i)
{
    return &t->cols[i];
}

tbl_column *tbl_col_mut(tbl_table *t, size_t i)
{
    return &t->cols[i];
}

int tbl_find(const tbl_table *t, const char *name)
{
    return tbl_dict_find(t->names, name, strlen(name));
}

/* Records the new column's name in the index; called last, when nothing
 * else can fail, so that the index and the columns never disagree. */
static int index_name(tbl_table *t, const char *name, ml_error *err)
{
    if (tbl_dict_intern(t->names, name, strlen(name)) != (int32_t)t->ncols)
        return ml_err(err, ML_ENOMEM, "out of memory adding column '%s'", name);
    return ML_OK;
}

static int check_new_name(tbl_table *t, const char *name, ml_error *err)
{
    if (!name || !*name)
        return ml_err(err, ML_EINVAL, "column %zu has an empty name", t->ncols + 1);
    if (tbl_find(t, name) >= 0)
        return ml_err(err, ML_EINVAL, "duplicate column name '%s'", name);
    if (t->ncols == t->colcap) {
        size_t cap = t->colcap ? t->colcap * 2 : 8;
        tbl_column *cols = realloc(t->cols, cap * sizeof *cols);
        if (!cols)
            return ml_err(err, ML_ENOMEM, "out of memory adding column '%s'", name);
        t->cols = cols;
        t->colcap = cap;
    }
    return ML_OK;
}

int tbl_add_column(tbl_table *t, const char *name, tbl_type type, ml_error *err)
{
    int rc = check_new_name(t, name, err);
    if (rc)
        return rc;
    tbl_column c = {.type = type};
    size_t cap = t->rowcap ? t->rowcap : 1;
    c.name = strdup(name);
    c.data.raw = calloc(cap, tbl_type_width(type));
    if (type == TBL_STR)
        c.dict = tbl_dict_create();
    if (t->nrows) {
        c.nulls = malloc(cap);
        if (c.nulls) {
            memset(c.nulls, 1, t->nrows);
            memset(c.nulls + t->nrows, 0, cap - t->nrows);
        }
        c.null_count = t->nrows;
    }
    if (!c.name || !c.data.raw || (type == TBL_STR && !c.dict) || (t->nrows && !c.nulls)) {
        column_release(&c);
        return ml_err(err, ML_ENOMEM, "out of memory adding column '%s'", name);
    }
    if ((rc = index_name(t, name, err)) != ML_OK) {
        column_release(&c);
        return rc;
    }
    t->cols[t->ncols++] = c;
    return ML_OK;
}

int tbl_adopt_column(tbl_table *t, const char *name, tbl_type type, void *data, uint8_t *nulls,
                     tbl_dict *dict, size_t nrows, ml_error *err)
{
    tbl_column c = {.type = type, .data.raw = data, .nulls = nulls, .dict = dict};
    int rc = check_new_name(t, name, err);
    if (!rc && t->ncols && nrows != t->nrows)
        rc = ml_err(err, ML_EINTERNAL, "column '%s' has %zu rows, the table %zu", name, nrows,
                    t->nrows);
    if (!rc && type == TBL_STR && !dict)
        rc = ml_err(err, ML_EINTERNAL, "string column '%s' has no dictionary", name);
    if (!rc && !data && nrows)
        rc = ml_err(err, ML_EINTERNAL, "column '%s' has no data", name);
    if (!rc && !(c.name = strdup(name)))
        rc = ml_err(err, ML_ENOMEM, "out of memory adding column '%s'", name);
    if (!rc)
        rc = index_name(t, name, err);
    if (rc) {
        column_release(&c);
        return rc;
    }
    if (!c.data.raw) /* zero rows: keep a non-NULL array so consumers need no check */
        c.data.raw = malloc(tbl_type_width(type));
    if (nulls) {
        for (size_t i = 0; i < nrows; i++)
            c.null_count += nulls[i] != 0;
        if (!c.null_count) {
            free(c.nulls);
            c.nulls = NULL;
        }
    }
    if (!t->ncols) {
        t->nrows = nrows;
        t->rowcap = nrows;
    }
    t->cols[t->ncols++] = c;
    return ML_OK;
}

static int grow_rows(tbl_table *t, size_t need, ml_error *err)
{
    if (need <= t->rowcap)
        return ML_OK;
    size_t cap = t->rowcap ? t->rowcap : 64;
    while (cap < need)
        cap *= 2;
    for (size_t i = 0; i < t->ncols; i++) {
        tbl_column *c = &t->cols[i];
        size_t w = tbl_type_width(c->type);
        void *d = realloc(c->data.raw, cap * w);
        if (!d)
            return ml_err(err, ML_ENOMEM, "out of memory growing column '%s' to %zu rows", c->name,
                          cap);
        c->data.raw = d;
        if (c->nulls) {
            uint8_t *n = realloc(c->nulls, cap);
            if (!n)
                return ml_err(err, ML_ENOMEM, "out of memory growing column '%s'", c->name);
            memset(n + t->rowcap, 0, cap - t->rowcap);
            c->nulls = n;
        }
    }
    t->rowcap = cap;
    return ML_OK;
}

int tbl_resize(tbl_table *t, size_t nrows, ml_error *err)
{
    int rc = grow_rows(t, nrows, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < t->ncols; i++) {
        tbl_column *c = &t->cols[i];
        size_t w = tbl_type_width(c->type);
        if (nrows > t->nrows) {
            memset((char *)c->data.raw + t->nrows * w, 0, (nrows - t->nrows) * w);
            if (c->nulls)
                memset(c->nulls + t->nrows, 0, nrows - t->nrows);
        } else if (c->nulls) {
            for (size_t r = nrows; r < t->nrows; r++)
                c->null_count -= c->nulls[r];
            memset(c->nulls + nrows, 0, t->nrows - nrows);
        }
    }
    t->nrows = nrows;
    return ML_OK;
}

int tbl_set_null(tbl_table *t, size_t col, size_t row, ml_error *err)
{
    tbl_column *c = &t->cols[col];
    if (!c->nulls) {
        c->nulls = calloc(t->rowcap ? t->rowcap : 1, 1);
        if (!c->nulls)
            return ml_err(err, ML_ENOMEM, "out of memory marking a null in '%s'", c->name);
    }
    if (!c->nulls[row]) {
        c->nulls[row] = 1;
        c->null_count++;
    }
    size_t w = tbl_type_width(c->type);
    memset((char *)c->data.raw + row * w, 0, w);
    return ML_OK;
}

static void clear_null(tbl_column *c, size_t row)
{
    if (c->nulls && c->nulls[row]) {
        c->nulls[row] = 0;
        c->null_count--;
    }
}

void tbl_set_f64(tbl_table *t, size_t col, size_t row, double v)
{
    clear_null(&t->cols[col], row);
    t->cols[col].data.f64[row] = v;
}

void tbl_set_i64(tbl_table *t, size_t col, size_t row, int64_t v)
{
    clear_null(&t->cols[col], row);
    t->cols[col].data.i64[row] = v;
}

void tbl_set_bool(tbl_table *t, size_t col, size_t row, bool v)
{
    clear_null(&t->cols[col], row);
    t->cols[col].data.b[row] = v;
}

void tbl_set_date(tbl_table *t, size_t col, size_t row, int32_t days)
{
    clear_null(&t->cols[col], row);
    t->cols[col].data.date[row] = days;
}

void tbl_set_timestamp(tbl_table *t, size_t col, size_t row, int64_t micros)
{
    clear_null(&t->cols[col], row);
    t->cols[col].data.ts[row] = micros;
}

int tbl_set_str(tbl_table *t, size_t col, size_t row, const char *s, size_t len, ml_error *err)
{
    tbl_column *c = &t->cols[col];
    int32_t code = tbl_dict_intern(c->dict, s, len);
    if (code < 0)
        return ml_err(err, ML_ENOMEM, "out of memory storing a value of '%s'", c->name);
    clear_null(c, row);
    c->data.code[row] = code;
    return ML_OK;
}

/* Copies rows [begin, end) of src's column sc into dst's column at row at. */
static int copy_cells(tbl_table *dst, size_t col, size_t at, const tbl_column *sc, size_t begin,
                      size_t end, ml_error *err)
{
    tbl_column *dc = &dst->cols[col];
    size_t w = tbl_type_width(sc->type);
    if (sc->type != TBL_STR) {
        memcpy((char *)dc->data.raw + at * w, (const char *)sc->data.raw + begin * w,
               (end - begin) * w);
    } else {
        /* Remap codes through a table so each distinct value is hashed once. */
        size_t n = tbl_dict_size(sc->dict);
        int32_t *map = malloc((n ? n : 1) * sizeof *map);
        if (!map)
            return ml_err(err, ML_ENOMEM, "out of memory copying column '%s'", sc->name);
        for (size_t k = 0; k < n; k++) {
            size_t len;
            const char *s = tbl_dict_get(sc->dict, (int32_t)k, &len);
            map[k] = tbl_dict_intern(dc->dict, s, len);
            if (map[k] < 0) {
                free(map);
                return ml_err(err, ML_ENOMEM, "out of memory copying column '%s'", sc->name);
            }
        }
        for (size_t r = begin; r < end; r++)
            dc->data.code[at + r - begin] = tbl_is_null(sc, r) ? 0 : map[sc->data.code[r]];
        free(map);
    }
    if (sc->nulls) {
        for (size_t r = begin; r < end; r++) {
            if (sc->nulls[r]) {
                int rc = tbl_set_null(dst, col, at + r - begin, err);
                if (rc)
                    return rc;
            }
        }
    }
    return ML_OK;
}

static int append_rows(tbl_table *dst, const tbl_table *src, size_t begin, size_t end,
                       ml_error *err)
{
    if (!dst->ncols) {
        for (size_t i = 0; i < src->ncols; i++) {
            int rc = tbl_add_column(dst, src->cols[i].name, src->cols[i].type, err);
            if (rc)
                return rc;
        }
    } else {
        if (dst->ncols != src->ncols)
            return ml_err(err, ML_EINVAL, "cannot append a table of %zu columns to one of %zu",
                          src->ncols, dst->ncols);
        for (size_t i = 0; i < src->ncols; i++) {
            if (strcmp(dst->cols[i].name, src->cols[i].name) != 0 ||
                dst->cols[i].type != src->cols[i].type)
                return ml_err(err, ML_EINVAL,
                              "cannot append: column %zu is '%s' (%s) here, '%s' (%s) there", i + 1,
                              dst->cols[i].name, tbl_type_name(dst->cols[i].type),
                              src->cols[i].name, tbl_type_name(src->cols[i].type));
        }
    }
    size_t at = dst->nrows;
    int rc = tbl_resize(dst, at + (end - begin), err);
    for (size_t i = 0; !rc && i < src->ncols; i++)
        rc = copy_cells(dst, i, at, &src->cols[i], begin, end, err);
    return rc;
}

int tbl_append(tbl_table *dst, const tbl_table *src, ml_error *err)
{
    return append_rows(dst, src, 0, src->nrows, err);
}

int tbl_slice(const tbl_table *t, size_t begin, size_t end, tbl_table **out, ml_error *err)
{
    if (begin > end || end > t->nrows)
        return ml_err(err, ML_EINVAL, "slice [%zu, %zu) is outside the table's %zu rows", begin,
                      end, t->nrows);
    tbl_table *s = tbl_create();
    if (!s)
        return ml_err(err, ML_ENOMEM, "out of memory slicing a table");
    int rc = append_rows(s, t, begin, end, err);
    if (rc) {
        tbl_free(s);
        return rc;
    }
    *out = s;
    return ML_OK;
}

static int take_column(tbl_table *dst, const tbl_column *c, const size_t *rows, size_t n,
                       ml_error *err)
{
    size_t width = tbl_type_width(c->type);
    uint8_t *data = malloc((n ? n : 1) * width);
    uint8_t *nulls = c->nulls ? malloc(n ? n : 1) : NULL;
    tbl_dict *dict = c->type == TBL_STR ? tbl_dict_create() : NULL;
    if (!data || (c->nulls && !nulls) || (c->type == TBL_STR && !dict)) {
        free(data);
        free(nulls);
        tbl_dict_free(dict);
        return ml_err(err, ML_ENOMEM, "out of memory taking rows of '%s'", c->name);
    }
    const uint8_t *src = c->data.raw;
    for (size_t i = 0; i < n; i++) {
        size_t r = rows[i];
        if (nulls)
            nulls[i] = c->nulls[r];
        if (c->type != TBL_STR) {
            memcpy(data + i * width, src + r * width, width);
            continue;
        }
        int32_t code = 0;
        if (!tbl_is_null(c, r)) {
            size_t len;
            const char *v = tbl_dict_get(c->dict, c->data.code[r], &len);
            code = tbl_dict_intern(dict, v, len);
        }
        memcpy(data + i * width, &code, sizeof code);
        if (code < 0) {
            free(data);
            free(nulls);
            tbl_dict_free(dict);
            return ml_err(err, ML_ENOMEM, "out of memory taking rows of '%s'", c->name);
        }
    }
    return tbl_adopt_column(dst, c->name, c->type, data, nulls, dict, n, err);
}

int tbl_take(const tbl_table *t, const size_t *rows, size_t n, tbl_table **out, ml_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= t->nrows)
            return ml_err(err, ML_EINVAL, "row %zu is outside the table's %zu rows", rows[i],
                          t->nrows);
    tbl_table *s = tbl_create();
    if (!s)
        return ml_err(err, ML_ENOMEM, "out of memory taking rows");
    for (size_t j = 0; j < t->ncols; j++) {
        int rc = take_column(s, &t->cols[j], rows, n, err);
        if (rc) {
            tbl_free(s);
            return rc;
        }
    }
    *out = s;
    return ML_OK;
}

size_t tbl_cell_text(const tbl_column *c, size_t row, char *buf, const char **out)
{
    *out = buf;
    buf[0] = '\0';
    if (tbl_is_null(c, row))
        return 0;
    switch (c->type) {
    case TBL_F64:
        return val_format_f64(c->data.f64[row], buf);
    case TBL_I64:
        return val_format_i64(c->data.i64[row], buf);
    case TBL_BOOL:
        *out = c->data.b[row] ? "true" : "false";
        return c->data.b[row] ? 4 : 5;
    case TBL_STR: {
        size_t len;
        *out = tbl_dict_get(c->dict, c->data.code[row], &len);
        return len;
    }
    case TBL_DATE:
        return val_format_date(c->data.date[row], buf);
    case TBL_TIMESTAMP:
        return val_format_timestamp(c->data.ts[row], buf);
    }
    return 0;
}

static bool cells_equal(const tbl_column *a, const tbl_column *b, size_t r)
{
    bool na = tbl_is_null(a, r), nb = tbl_is_null(b, r);
    if (na || nb)
        return na == nb;
    switch (a->type) {
    case TBL_F64: {
        double x = a->data.f64[r], y = b->data.f64[r];
        return memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y));
    }
    case TBL_I64:
    case TBL_TIMESTAMP:
        return a->data.i64[r] == b->data.i64[r];
    case TBL_BOOL:
        return a->data.b[r] == b->data.b[r];
    case TBL_DATE:
        return a->data.date[r] == b->data.date[r];
    case TBL_STR: {
        size_t la, lb;
        const char *sa = tbl_dict_get(a->dict, a->data.code[r], &la);
        const char *sb = tbl_dict_get(b->dict, b->data.code[r], &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
    }
    return false;
}

bool tbl_equal(const tbl_table *a, const tbl_table *b, char *why, size_t why_size)
{
    char dummy[1];
    if (!why) {
        why = dummy;
        why_size = sizeof dummy;
    }
    if (a->ncols != b->ncols) {
        snprintf(why, why_size, "%zu columns vs %zu", a->ncols, b->ncols);
        return false;
    }
    if (a->nrows != b->nrows) {
        snprintf(why, why_size, "%zu rows vs %zu", a->nrows, b->nrows);
        return false;
    }
    for (size_t i = 0; i < a->ncols; i++) {
        const tbl_column *ca = &a->cols[i], *cb = &b->cols[i];
        if (strcmp(ca->name, cb->name) != 0 || ca->type != cb->type) {
            snprintf(why, why_size, "column %zu is '%s' (%s) vs '%s' (%s)", i + 1, ca->name,
                     tbl_type_name(ca->type), cb->name, tbl_type_name(cb->type));
            return false;
        }
        for (size_t r = 0; r < a->nrows; r++) {
            if (!cells_equal(ca, cb, r)) {
                char ba[TBL_CELL_TEXT_MAX], bb[TBL_CELL_TEXT_MAX];
                const char *ta, *tb;
                size_t la = tbl_cell_text(ca, r, ba, &ta), lb = tbl_cell_text(cb, r, bb, &tb);
                snprintf(why, why_size, "column '%s' row %zu: '%.*s'%s vs '%.*s'%s", ca->name,
                         r + 1, (int)(la > 200 ? 200 : la), ta, tbl_is_null(ca, r) ? " (null)" : "",
                         (int)(lb > 200 ? 200 : lb), tb, tbl_is_null(cb, r) ? " (null)" : "");
                return false;
            }
        }
    }
    return true;
}
