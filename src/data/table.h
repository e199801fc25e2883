/*
 * table.h — the in-memory table every reader fills and every writer, the
 * profiler and (later) the trainer read: named, typed columns of one length.
 *
 * Contract
 *  - Types: float64, int64, bool (uint8 0/1), string (int32 codes into a
 *    per-column dictionary that interns each distinct value once), date
 *    (int32 days since 1970-01-01), timestamp (int64 microseconds since
 *    1970-01-01T00:00:00 UTC).  The enum values are written to disk
 *    (profiles, artifacts): append only.
 *  - Nulls for every type: `nulls` is NULL while a column has none, else one
 *    byte per row (1 = null).  A null cell's value slot holds 0.
 *  - No per-cell allocation: values live in one array per column, strings in
 *    the dictionary's arena.
 *  - Column names are unique within a table; adding a duplicate is ML_EINVAL.
 *  - Readers either adopt whole arrays (tbl_adopt_column, the fast path) or
 *    grow the table (tbl_resize) and write cells with tbl_set_* (SQL readers).
 *  - Consumers read through tbl_col(); the tbl_column fields are read-only to
 *    them.
 */
#ifndef ML_DATA_TABLE_H
#define ML_DATA_TABLE_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tbl_type {
    TBL_F64 = 0,
    TBL_I64 = 1,
    TBL_BOOL = 2,
    TBL_STR = 3,
    TBL_DATE = 4,
    TBL_TIMESTAMP = 5,
} tbl_type;
#define TBL_TYPE_COUNT 6

/* "float", "int", "bool", "string", "date", "timestamp". */
const char *tbl_type_name(tbl_type type);
/* Bytes per value slot of a type. */
size_t tbl_type_width(tbl_type type);

/* ---- string dictionary ------------------------------------------------ */
typedef struct tbl_dict tbl_dict;

tbl_dict *tbl_dict_create(void);
void tbl_dict_free(tbl_dict *d);
/* Code of s, adding it if new; -1 on out of memory or when the dictionary
 * already holds INT32_MAX values. */
int32_t tbl_dict_intern(tbl_dict *d, const char *s, size_t len);
/* Code of s, or -1 when absent. */
int32_t tbl_dict_find(const tbl_dict *d, const char *s, size_t len);
/* NUL-terminated value of a code (len may be NULL); code must be valid. */
const char *tbl_dict_get(const tbl_dict *d, int32_t code, size_t *len);
size_t tbl_dict_size(const tbl_dict *d);

/* ---- columns and tables -------------------------------------------------- */
typedef struct tbl_column {
    char *name;
    tbl_type type;
    union {
        void *raw;
        double *f64;
        int64_t *i64;
        uint8_t *b;
        int32_t *code;
        int32_t *date;
        int64_t *ts;
    } data;
    uint8_t *nulls; /* NULL when no null; else 1 byte per row, 1 = null */
    size_t null_count;
    tbl_dict *dict; /* TBL_STR only */
} tbl_column;

typedef struct tbl_table tbl_table;

tbl_table *tbl_create(void);
void tbl_free(tbl_table *t);

size_t tbl_nrows(const tbl_table *t);
size_t tbl_ncols(const tbl_table *t);
const tbl_column *tbl_col(const tbl_table *t, size_t i);
tbl_column *tbl_col_mut(tbl_table *t, size_t i);
/* Index of the column with this name, or -1. */
int tbl_find(const tbl_table *t, const char *name);

/* Appends an empty-valued column (every existing row null).  Names must be
 * unique and non-empty. */
int tbl_add_column(tbl_table *t, const char *name, tbl_type type, ml_error *err);

/* Appends a column built elsewhere, taking ownership of data (malloc'd,
 * nrows values), nulls (malloc'd or NULL) and dict (TBL_STR, else NULL) —
 * even on failure.  The first column fixes the table's row count; later
 * ones must match it.  null_count is recomputed. */
int tbl_adopt_column(tbl_table *t, const char *name, tbl_type type, void *data, uint8_t *nulls,
                     tbl_dict *dict, size_t nrows, ml_error *err);

/* Sets the row count, growing capacity geometrically; new cells are 0 and
 * non-null.  Shrinking forgets the tail rows. */
int tbl_resize(tbl_table *t, size_t nrows, ml_error *err);

/* Cell writers for readers that fill row by row (row < tbl_nrows). */
int tbl_set_null(tbl_table *t, size_t col, size_t row, ml_error *err);
void tbl_set_f64(tbl_table *t, size_t col, size_t row, double v);
void tbl_set_i64(tbl_table *t, size_t col, size_t row, int64_t v);
void tbl_set_bool(tbl_table *t, size_t col, size_t row, bool v);
void tbl_set_date(tbl_table *t, size_t col, size_t row, int32_t days);
void tbl_set_timestamp(tbl_table *t, size_t col, size_t row, int64_t micros);
int tbl_set_str(tbl_table *t, size_t col, size_t row, const char *s, size_t len, ml_error *err);

static inline bool tbl_is_null(const tbl_column *c, size_t row)
{
    return c->nulls && c->nulls[row];
}

/* Appends every row of src to dst.  An empty dst (no columns) takes src's
 * schema; otherwise names and types must match column for column. */
int tbl_append(tbl_table *dst, const tbl_table *src, ml_error *err);

/* A new table with the rows [begin, end) of t (copies values). */
int tbl_slice(const tbl_table *t, size_t begin, size_t end, tbl_table **out, ml_error *err);

/* A new table with the rows rows[0..n) of t, in that order (copies; a
 * row may repeat).  Text columns get a dictionary of only the values those
 * rows use, in first-seen order, so nothing of the other rows leaks. */
int tbl_take(const tbl_table *t, const size_t *rows, size_t n, tbl_table **out, ml_error *err);

/* Canonical text of a cell (no quoting): *out points at it (into buf, or
 * into the dictionary for strings) and its length is returned; a null gives
 * "" and 0.  Floats use the shortest text that reads back bit-identical;
 * dates are YYYY-MM-DD, timestamps YYYY-MM-DDTHH:MM:SS[.ffffff], bools
 * true/false.  buf must hold TBL_CELL_TEXT_MAX bytes. */
#define TBL_CELL_TEXT_MAX 64
size_t tbl_cell_text(const tbl_column *c, size_t row, char *buf, const char **out);

/* True when both tables have the same names, types, nulls and values
 * (strings compared by text, floats bit for bit with NaN == NaN).  When they
 * differ and why is non-NULL, a description of the first difference. */
bool tbl_equal(const tbl_table *a, const tbl_table *b, char *why, size_t why_size);

#endif
