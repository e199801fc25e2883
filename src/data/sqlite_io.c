/*
 * sqlite_io.c — SQLite as a source (one prepared statement stepped in
 * batches) and as a sink (one transaction, one prepared INSERT).
 *
 * Reading.  The database is opened read-only (a missing file is an error,
 * never a new empty database).  `--table T` becomes SELECT * FROM "T";
 * `--query` must be one read-only statement.  Column types come from the
 * declared types, by the same substring rules SQLite uses for affinity
 * (BOOL, INT, REAL/FLOA/DOUB/NUMERIC/DECIMAL, DATETIME/TIMESTAMP, DATE,
 * TEXT/CHAR/CLOB).  Expressions have no declared type: for those the first
 * batch is staged (storage class plus value, strings interned in a per-column
 * dictionary — no per-cell allocation) and the column takes the type its
 * values have: any TEXT → string, else any REAL → float, else any INTEGER →
 * int, all NULL → float.  Later batches keep that schema.  A value that does
 * not fit its column (text in an INTEGER column, a malformed date) stops the
 * read with the row and column, or becomes null under --coerce.
 *
 * Writing.  BEGIN IMMEDIATE takes the write lock before we look at the
 * table, so the existence check, DROP (replace) and CREATE are one atomic
 * unit with the rows.  Dates and timestamps are stored as ISO text under the
 * declared types DATE and TIMESTAMP, booleans as 0/1 under BOOLEAN, so a
 * table read back has the types it was written with.  Any failure rolls the
 * transaction back and, when this writer created the database file, removes
 * it: nothing partial is ever left.  Two floats do not survive SQLite itself:
 * NaN is stored as NULL (SQLite's rule; the CSV reader also reads "NaN" as
 * null) and -0.0 reads back as 0.0 (SQLite drops the sign of zero).
 */
#include "data/sqlite_io.h"

#include "data/value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_BUSY_TIMEOUT_MS 5000

/* Table type of a declared column type, or false when the declaration says
 * nothing we map (no type, BLOB, JSON, …). */
static bool sq_decl_type(const char *decl, tbl_type *out)
{
    if (!decl || !*decl)
        return false;
    char up[128];
    size_t n = 0;
    for (; n < sizeof up - 1 && decl[n]; n++)
        up[n] = (char)toupper((unsigned char)decl[n]);
    up[n] = '\0';
    if (strstr(up, "BOOL"))
        *out = TBL_BOOL;
    else if (strstr(up, "INT"))
        *out = TBL_I64;
    else if (strstr(up, "DATETIME") || strstr(up, "TIMESTAMP"))
        *out = TBL_TIMESTAMP;
    else if (strstr(up, "DATE"))
        *out = TBL_DATE;
    else if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB") ||
             strstr(up, "NUMERIC") || strstr(up, "DECIMAL"))
        *out = TBL_F64;
    else if (strstr(up, "TEXT") || strstr(up, "CHAR") || strstr(up, "CLOB"))
        *out = TBL_STR;
    else
        return false;
    return true;
}

/* ======================================================================== */
/* reader                                                                   */
/* ======================================================================== */

/* One cell as SQLite stores it. */
typedef struct sq_val {
    int cls; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL */
    int64_t i;
    double d;
    const char *s;
    size_t len;
} sq_val;

typedef union sq_slot {
    int64_t i;
    double d;
    int32_t code;
} sq_slot;

typedef struct sq_col {
    char *name;
    tbl_type type;
    bool inferred; /* no usable declared type: the first batch's values decide */
    size_t coerced;
    /* first batch, when some column is inferred: storage class and value */
    uint8_t *cls;
    sq_slot *slot;
    tbl_dict *dict;
} sq_col;

typedef struct sq_reader {
    sqlite3 *db;
    sqlite3_stmt *stmt;
    char *path;
    bool coerce;
    bool any_inferred;
    bool started; /* the first batch (which fixes the schema) was returned */
    bool done;    /* sqlite3_step said SQLITE_DONE: never step again */
    bool failed;
    int ncols;
    sq_col *cols;
    size_t rows; /* rows returned so far */
    size_t stage_cap;
    src_report report;
} sq_reader;

static void sq_fetch(sqlite3_stmt *st, int i, sq_val *v)
{
    v->cls = sqlite3_column_type(st, i);
    switch (v->cls) {
    case SQLITE_INTEGER:
        v->i = sqlite3_column_int64(st, i);
        break;
    case SQLITE_FLOAT:
        v->d = sqlite3_column_double(st, i);
        break;
    case SQLITE_TEXT:
        v->s = (const char *)sqlite3_column_text(st, i);
        v->len = (size_t)sqlite3_column_bytes(st, i);
        break;
    case SQLITE_BLOB:
        v->s = sqlite3_column_blob(st, i);
        v->len = (size_t)sqlite3_column_bytes(st, i);
        break;
    default:
        v->cls = SQLITE_NULL;
        break;
    }
    if ((v->cls == SQLITE_TEXT || v->cls == SQLITE_BLOB) && !v->s) {
        v->s = "";
        v->len = 0;
    }
}

/* The value as an error message shows it: 'text' (shortened), or a blob's size. */
static void sq_describe(const sq_val *v, char *buf, size_t size)
{
    char num[VAL_TEXT_MAX];
    switch (v->cls) {
    case SQLITE_INTEGER:
        val_format_i64(v->i, num);
        snprintf(buf, size, "'%s'", num);
        break;
    case SQLITE_FLOAT:
        val_format_f64(v->d, num);
        snprintf(buf, size, "'%s'", num);
        break;
    case SQLITE_TEXT:
        if (v->len > 40)
            snprintf(buf, size, "'%.40s…'", v->s);
        else
            snprintf(buf, size, "'%.*s'", (int)v->len, v->s);
        break;
    case SQLITE_BLOB:
        snprintf(buf, size, "a blob of %zu bytes", v->len);
        break;
    default:
        snprintf(buf, size, "null");
        break;
    }
}

static bool sq_to_i64(const sq_val *v, int64_t *out)
{
    switch (v->cls) {
    case SQLITE_INTEGER:
        *out = v->i;
        return true;
    case SQLITE_FLOAT:
        /* SQLite keeps 3.0 as REAL in some expressions: integral values fit. */
        if (v->d == floor(v->d) && v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0) {
            *out = (int64_t)v->d;
            return true;
        }
        return false;
    case SQLITE_TEXT:
        return val_parse_i64(v->s, v->len, out);
    default:
        return false;
    }
}

/* Writes one cell into the batch, converting to the column's type. */
static int sq_store(sq_reader *r, tbl_table *t, int c, size_t row, const sq_val *v, ml_error *err)
{
    sq_col *col = &r->cols[c];
    if (v->cls == SQLITE_NULL)
        return tbl_set_null(t, (size_t)c, row, err);
    bool ok = false;
    switch (col->type) {
    case TBL_F64: {
        double d = 0;
        if (v->cls == SQLITE_INTEGER) {
            d = (double)v->i;
            ok = true;
        } else if (v->cls == SQLITE_FLOAT) {
            d = v->d;
            ok = true;
        } else if (v->cls == SQLITE_TEXT) {
            ok = val_parse_f64(v->s, v->len, &d);
        }
        if (ok)
            tbl_set_f64(t, (size_t)c, row, d);
        break;
    }
    case TBL_I64: {
        int64_t i;
        ok = sq_to_i64(v, &i);
        if (ok)
            tbl_set_i64(t, (size_t)c, row, i);
        break;
    }
    case TBL_BOOL: {
        bool b = false;
        int64_t i;
        if (v->cls == SQLITE_TEXT && val_parse_bool(v->s, v->len, &b))
            ok = true;
        else if (sq_to_i64(v, &i) && (i == 0 || i == 1)) {
            b = i == 1;
            ok = true;
        }
        if (ok)
            tbl_set_bool(t, (size_t)c, row, b);
        break;
    }
    case TBL_STR: {
        char num[VAL_TEXT_MAX];
        const char *s = num;
        size_t len;
        if (v->cls == SQLITE_INTEGER) {
            len = val_format_i64(v->i, num);
        } else if (v->cls == SQLITE_FLOAT) {
            len = val_format_f64(v->d, num);
        } else {
            s = v->s;
            len = v->len;
        }
        return tbl_set_str(t, (size_t)c, row, s, len, err);
    }
    case TBL_DATE: {
        int32_t days;
        ok = v->cls == SQLITE_TEXT && val_parse_date(v->s, v->len, &days);
        if (ok)
            tbl_set_date(t, (size_t)c, row, days);
        break;
    }
    case TBL_TIMESTAMP: {
        int64_t us = 0;
        int32_t days;
        if (v->cls == SQLITE_TEXT) {
            if (val_parse_timestamp(v->s, v->len, &us)) {
                ok = true;
            } else if (val_parse_date(v->s, v->len, &days)) {
                us = (int64_t)days * 86400 * 1000000;
                ok = true;
            }
        }
        if (ok)
            tbl_set_timestamp(t, (size_t)c, row, us);
        break;
    }
    }
    if (ok)
        return ML_OK;
    if (r->coerce) {
        col->coerced++;
        r->report.cells_coerced++;
        return tbl_set_null(t, (size_t)c, row, err);
    }
    char found[128];
    sq_describe(v, found, sizeof found);
    return ml_err(err, ML_EFORMAT, "sqlite:%s: row %zu, column '%s': expected %s, found %s",
                  r->path, r->rows + row + 1, col->name, tbl_type_name(col->type), found);
}

static int sq_new_table(const sq_reader *r, tbl_table **out, ml_error *err)
{
    tbl_table *t = tbl_create();
    if (!t)
        return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", r->path);
    for (int c = 0; c < r->ncols; c++) {
        int rc = tbl_add_column(t, r->cols[c].name, r->cols[c].type, err);
        if (rc) {
            tbl_free(t);
            return ml_err_prefix(err, "sqlite:%s", r->path);
        }
    }
    *out = t;
    return ML_OK;
}

static void sq_free_stage(sq_reader *r)
{
    for (int c = 0; c < r->ncols; c++) {
        free(r->cols[c].cls);
        free(r->cols[c].slot);
        tbl_dict_free(r->cols[c].dict);
        r->cols[c].cls = NULL;
        r->cols[c].slot = NULL;
        r->cols[c].dict = NULL;
    }
    r->stage_cap = 0;
}

/* Keeps the current row's cells (first batch of an inferred schema). */
static int sq_stage_row(sq_reader *r, size_t row, ml_error *err)
{
    if (row == r->stage_cap) {
        size_t cap = r->stage_cap ? r->stage_cap * 2 : 256;
        for (int c = 0; c < r->ncols; c++) {
            sq_col *col = &r->cols[c];
            uint8_t *cls = realloc(col->cls, cap);
            if (cls)
                col->cls = cls;
            sq_slot *slot = realloc(col->slot, cap * sizeof *slot);
            if (slot)
                col->slot = slot;
            if (!cls || !slot)
                return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory reading %zu rows", r->path,
                              cap);
        }
        r->stage_cap = cap;
    }
    for (int c = 0; c < r->ncols; c++) {
        sq_col *col = &r->cols[c];
        sq_val v;
        sq_fetch(r->stmt, c, &v);
        col->cls[row] = (uint8_t)v.cls;
        if (v.cls == SQLITE_INTEGER) {
            col->slot[row].i = v.i;
        } else if (v.cls == SQLITE_FLOAT) {
            col->slot[row].d = v.d;
        } else if (v.cls == SQLITE_TEXT || v.cls == SQLITE_BLOB) {
            if (!col->dict && !(col->dict = tbl_dict_create()))
                return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", r->path);
            col->slot[row].code = tbl_dict_intern(col->dict, v.s, v.len);
            if (col->slot[row].code < 0)
                return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory storing column '%s'",
                              r->path, col->name);
        }
    }
    return ML_OK;
}

/* Fixes the inferred columns' types from the staged rows and builds the batch. */
static int sq_build_staged(sq_reader *r, size_t nrows, tbl_table **out, ml_error *err)
{
    for (int c = 0; c < r->ncols; c++) {
        sq_col *col = &r->cols[c];
        if (!col->inferred)
            continue;
        bool text = false, real = false, integer = false;
        for (size_t i = 0; i < nrows; i++) {
            text |= col->cls[i] == SQLITE_TEXT || col->cls[i] == SQLITE_BLOB;
            real |= col->cls[i] == SQLITE_FLOAT;
            integer |= col->cls[i] == SQLITE_INTEGER;
        }
        col->type = text ? TBL_STR : real ? TBL_F64 : integer ? TBL_I64 : TBL_F64;
        col->inferred = false;
    }
    tbl_table *t;
    int rc = sq_new_table(r, &t, err);
    if (!rc)
        rc = tbl_resize(t, nrows, err);
    for (size_t i = 0; !rc && i < nrows; i++) {
        for (int c = 0; !rc && c < r->ncols; c++) {
            const sq_col *col = &r->cols[c];
            sq_val v = {.cls = col->cls[i]};
            if (v.cls == SQLITE_INTEGER)
                v.i = col->slot[i].i;
            else if (v.cls == SQLITE_FLOAT)
                v.d = col->slot[i].d;
            else if (v.cls == SQLITE_TEXT || v.cls == SQLITE_BLOB)
                v.s = tbl_dict_get(col->dict, col->slot[i].code, &v.len);
            rc = sq_store(r, t, c, i, &v, err);
        }
    }
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return ML_OK;
}

static void sq_report_update(sq_reader *r)
{
    r->report.coerced_detail[0] = '\0';
    for (int c = 0; c < r->ncols; c++)
        src_report_note_coerced(&r->report, r->cols[c].name, r->cols[c].coerced);
}

static int sq_next_batch(void *impl, size_t max_rows, tbl_table **batch, ml_error *err)
{
    sq_reader *r = impl;
    *batch = NULL;
    if (r->failed)
        return ml_err(err, ML_EINVAL, "sqlite:%s: reading after an error", r->path);
    if (r->done && r->started)
        return ML_OK;
    if (!max_rows)
        max_rows = 1;
    bool stage = !r->started && r->any_inferred;
    tbl_table *t = NULL;
    size_t n = 0;
    int rc = stage ? ML_OK : sq_new_table(r, &t, err);
    while (!rc && !r->done && n < max_rows) {
        int s = sqlite3_step(r->stmt);
        if (s == SQLITE_DONE) {
            r->done = true;
            break;
        }
        if (s != SQLITE_ROW) {
            rc = ml_err(err, ML_EDB, "sqlite:%s: %s", r->path, sqlite3_errmsg(r->db));
            break;
        }
        if (stage) {
            rc = sq_stage_row(r, n, err);
        } else {
            rc = tbl_resize(t, n + 1, err);
            for (int c = 0; !rc && c < r->ncols; c++) {
                sq_val v;
                sq_fetch(r->stmt, c, &v);
                rc = sq_store(r, t, c, n, &v, err);
            }
        }
        if (!rc)
            n++;
    }
    if (!rc && stage)
        rc = sq_build_staged(r, n, &t, err);
    if (stage)
        sq_free_stage(r);
    sq_report_update(r);
    r->rows += rc ? 0 : n;
    return src_batch_finish(rc, t, n, &r->started, &r->failed, batch);
}

static const src_report *sq_report(const void *impl)
{
    return &((const sq_reader *)impl)->report;
}

static void sq_close(void *impl)
{
    sq_reader *r = impl;
    if (!r)
        return;
    sqlite3_finalize(r->stmt);
    sqlite3_close_v2(r->db);
    if (r->cols) {
        sq_free_stage(r);
        for (int c = 0; c < r->ncols; c++)
            free(r->cols[c].name);
        free(r->cols);
    }
    free(r->path);
    free(r);
}

static const src_reader_ops sq_reader_ops = {
    .next_batch = sq_next_batch,
    .report = sq_report,
    .close = sq_close,
};

/* Prepares the one statement to read; anything after it but comments is an error. */
static int sq_prepare(sq_reader *r, const char *sql, ml_error *err)
{
    const char *tail = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &r->stmt, &tail) != SQLITE_OK)
        return ml_err(err, ML_EDB, "sqlite:%s: %s", r->path, sqlite3_errmsg(r->db));
    if (!r->stmt)
        return ml_err(err, ML_EINVAL, "sqlite:%s: the query is empty", r->path);
    if (tail && *tail) {
        sqlite3_stmt *next = NULL;
        int rc = sqlite3_prepare_v2(r->db, tail, -1, &next, NULL);
        bool more = rc != SQLITE_OK || next;
        sqlite3_finalize(next);
        if (more)
            return ml_err(err, ML_EINVAL,
                          "sqlite:%s: --query must be a single statement; it has more after "
                          "the first ';'",
                          r->path);
    }
    if (!sqlite3_stmt_readonly(r->stmt))
        return ml_err(err, ML_EINVAL, "sqlite:%s: --query must only read (a SELECT)", r->path);
    if (sqlite3_column_count(r->stmt) == 0)
        return ml_err(err, ML_EINVAL, "sqlite:%s: the query returns no columns", r->path);
    return ML_OK;
}

static int sq_describe_columns(sq_reader *r, const tbl_table *schema, ml_error *err)
{
    int n = sqlite3_column_count(r->stmt);
    r->cols = calloc((size_t)n, sizeof *r->cols);
    if (!r->cols)
        return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", r->path);
    r->ncols = n;
    for (int c = 0; c < n; c++) {
        sq_col *col = &r->cols[c];
        const char *name = sqlite3_column_name(r->stmt, c);
        if (!name)
            return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", r->path);
        if (!*name)
            return ml_err(err, ML_EFORMAT,
                          "sqlite:%s: result column %d has an empty name (name it with AS)",
                          r->path, c + 1);
        for (int k = 0; k < c; k++) {
            if (strcmp(r->cols[k].name, name) == 0)
                return ml_err(err, ML_EFORMAT,
                              "sqlite:%s: the result has two columns named '%s' (columns %d "
                              "and %d); rename one with AS",
                              r->path, name, k + 1, c + 1);
        }
        if (!(col->name = strdup(name)))
            return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", r->path);
        int si = schema ? tbl_find(schema, name) : -1;
        if (si >= 0)
            col->type = tbl_col(schema, (size_t)si)->type;
        else if (!sq_decl_type(sqlite3_column_decltype(r->stmt, c), &col->type))
            col->inferred = true;
        r->any_inferred |= col->inferred;
    }
    return ML_OK;
}

int sqlite_reader_open(const char *path, const src_options *opts, const src_reader_ops **ops,
                       void **impl, ml_error *err)
{
    static const src_options none;
    if (!opts)
        opts = &none;
    bool has_table = opts->table && *opts->table, has_query = opts->query && *opts->query;
    if (!has_table && !has_query)
        return ml_err(err, ML_EINVAL, "sqlite:%s: give --table or --query", path);
    if (has_table && has_query)
        return ml_err(err, ML_EINVAL, "sqlite:%s: give --table or --query, not both", path);

    struct stat st;
    if (stat(path, &st) != 0)
        return ml_err(err, ML_EIO, "sqlite:%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ml_err(err, ML_EIO, "sqlite:%s: cannot open: is a directory", path);

    sq_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", path);
    }
    r->coerce = opts->coerce;
    char *sql = NULL;
    int rc = ML_OK;
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = ml_err(err, ML_EIO, "sqlite:%s: cannot open: %s", path,
                    r->db ? sqlite3_errmsg(r->db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(r->db, SQ_BUSY_TIMEOUT_MS);
    if (has_table) {
        sql = sqlite3_mprintf("SELECT * FROM \"%w\"", opts->table);
        if (!sql) {
            rc = ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", path);
            goto done;
        }
    }
    rc = sq_prepare(r, sql ? sql : opts->query, err);
    if (!rc)
        rc = sq_describe_columns(r, opts->schema, err);
done:
    sqlite3_free(sql);
    if (rc) {
        sq_close(r);
        return rc;
    }
    *ops = &sq_reader_ops;
    *impl = r;
    return ML_OK;
}

/* ======================================================================== */
/* sink                                                                     */
/* ======================================================================== */

typedef struct sq_sink {
    sqlite3 *db; /* NULL once rolled back after a failure */
    sqlite3_stmt *insert;
    char *path;
    char *table;
    bool created; /* the database file did not exist before this writer */
    size_t ncols;
    char **names;
    tbl_type *types;
    char (*text)[VAL_TEXT_MAX]; /* per column: a date or timestamp as bound text */
    size_t rows;                /* rows inserted so far */
} sq_sink;

static const char *sq_decl_name(tbl_type type)
{
    switch (type) {
    case TBL_F64:
        return "REAL";
    case TBL_I64:
        return "INTEGER";
    case TBL_BOOL:
        return "BOOLEAN";
    case TBL_STR:
        return "TEXT";
    case TBL_DATE:
        return "DATE";
    case TBL_TIMESTAMP:
        return "TIMESTAMP";
    }
    return "";
}

/* Rolls back (when asked), closes, and removes a database file this writer
 * created.  Leaves the struct's memory for sq_sink_free. */
static void sq_sink_release(sq_sink *s, bool rollback)
{
    if (!s->db)
        return;
    if (s->insert) {
        sqlite3_reset(s->insert);
        sqlite3_finalize(s->insert);
        s->insert = NULL;
    }
    if (rollback && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close_v2(s->db);
    s->db = NULL;
    if (rollback && s->created) {
        static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
        char p[4096];
        for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
            snprintf(p, sizeof p, "%s%s", s->path, suffixes[i]);
            unlink(p);
        }
    }
}

static void sq_sink_free(sq_sink *s)
{
    if (!s)
        return;
    sq_sink_release(s, true);
    if (s->names) {
        for (size_t i = 0; i < s->ncols; i++)
            free(s->names[i]);
        free(s->names);
    }
    free(s->types);
    free(s->text);
    free(s->table);
    free(s->path);
    free(s);
}

static int sq_exec(sq_sink *s, const char *sql, ml_error *err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return ml_err(err, ML_EDB, "sqlite:%s: %s", s->path, sqlite3_errmsg(s->db));
    return ML_OK;
}

/* The existing table must have the writer's columns, with types that read back the same. */
static int sq_check_append(sq_sink *s, ml_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = ML_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT name, type FROM pragma_table_info(?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return ml_err(err, ML_EDB, "sqlite:%s: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, s->table, -1, SQLITE_STATIC);
    size_t have = 0;
    bool *seen = calloc(s->ncols ? s->ncols : 1, sizeof *seen);
    if (!seen) {
        sqlite3_finalize(st);
        return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", s->path);
    }
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *decl = (const char *)sqlite3_column_text(st, 1);
        have++;
        size_t i = 0;
        while (i < s->ncols && sqlite3_stricmp(s->names[i], name ? name : "") != 0)
            i++;
        if (i == s->ncols) {
            rc = ml_err(err, ML_EINVAL,
                        "sqlite:%s: cannot append to table '%s': its column '%s' is not in "
                        "the data",
                        s->path, s->table, name ? name : "");
            break;
        }
        seen[i] = true;
        tbl_type t;
        if (sq_decl_type(decl, &t) && t != s->types[i])
            rc = ml_err(err, ML_EINVAL,
                        "sqlite:%s: cannot append to table '%s': column '%s' is %s there, %s "
                        "in the data",
                        s->path, s->table, s->names[i], decl, tbl_type_name(s->types[i]));
    }
    if (!rc && step != SQLITE_DONE)
        rc = ml_err(err, ML_EDB, "sqlite:%s: %s", s->path, sqlite3_errmsg(s->db));
    for (size_t i = 0; !rc && i < s->ncols; i++) {
        if (!seen[i])
            rc = ml_err(err, ML_EINVAL,
                        "sqlite:%s: cannot append to table '%s': it has no column '%s' "
                        "(%zu columns there, %zu in the data)",
                        s->path, s->table, s->names[i], have, s->ncols);
    }
    free(seen);
    sqlite3_finalize(st);
    return rc;
}

/* 1: table, 2: view, 0: neither; negative on error. */
static int sq_table_kind(sq_sink *s, ml_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT type FROM sqlite_master WHERE name = ?1 COLLATE NOCASE "
                           "AND type IN ('table', 'view')",
                           -1, &st, NULL) != SQLITE_OK) {
        ml_err(err, ML_EDB, "sqlite:%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, s->table, -1, SQLITE_STATIC);
    int kind = 0, step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        kind = type && strcmp(type, "view") == 0 ? 2 : 1;
    } else if (step != SQLITE_DONE) {
        ml_err(err, ML_EDB, "sqlite:%s: %s", s->path, sqlite3_errmsg(s->db));
        kind = -1;
    }
    sqlite3_finalize(st);
    return kind;
}

/* CREATE TABLE (unless appending to an existing one) and the INSERT to reuse. */
static int sq_prepare_table(sq_sink *s, bool create, ml_error *err)
{
    int rc = ML_OK;
    sqlite3_str *ddl = sqlite3_str_new(s->db), *ins = sqlite3_str_new(s->db);
    sqlite3_str_appendf(ddl, "CREATE TABLE \"%w\" (", s->table);
    sqlite3_str_appendf(ins, "INSERT INTO \"%w\" (", s->table);
    for (size_t i = 0; i < s->ncols; i++) {
        sqlite3_str_appendf(ddl, "%s\"%w\" %s", i ? ", " : "", s->names[i],
                            sq_decl_name(s->types[i]));
        sqlite3_str_appendf(ins, "%s\"%w\"", i ? ", " : "", s->names[i]);
    }
    sqlite3_str_appendall(ddl, ")");
    sqlite3_str_appendall(ins, ") VALUES (");
    for (size_t i = 0; i < s->ncols; i++)
        sqlite3_str_appendall(ins, i ? ", ?" : "?");
    sqlite3_str_appendall(ins, ")");
    char *ddl_sql = sqlite3_str_finish(ddl), *ins_sql = sqlite3_str_finish(ins);
    if (!ddl_sql || !ins_sql)
        rc = ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", s->path);
    if (!rc && create)
        rc = sq_exec(s, ddl_sql, err);
    if (!rc && sqlite3_prepare_v2(s->db, ins_sql, -1, &s->insert, NULL) != SQLITE_OK)
        rc = ml_err(err, ML_EDB, "sqlite:%s: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_free(ddl_sql);
    sqlite3_free(ins_sql);
    return rc;
}

static int sq_sink_check_batch(const sq_sink *s, const tbl_table *b, ml_error *err)
{
    if (tbl_ncols(b) != s->ncols)
        return ml_err(err, ML_EINVAL, "sqlite:%s: a batch of %zu columns for a table of %zu",
                      s->path, tbl_ncols(b), s->ncols);
    for (size_t i = 0; i < s->ncols; i++) {
        const tbl_column *c = tbl_col(b, i);
        if (strcmp(c->name, s->names[i]) != 0 || c->type != s->types[i])
            return ml_err(err, ML_EINVAL,
                          "sqlite:%s: the batch's column %zu is '%s' (%s), the table's '%s' (%s)",
                          s->path, i + 1, c->name, tbl_type_name(c->type), s->names[i],
                          tbl_type_name(s->types[i]));
    }
    return ML_OK;
}

static int sq_bind_row(sq_sink *s, const tbl_table *b, size_t row)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const tbl_column *c = tbl_col(b, i);
        int p = (int)i + 1;
        if (tbl_is_null(c, row)) {
            rc = sqlite3_bind_null(s->insert, p);
            continue;
        }
        switch (c->type) {
        case TBL_F64:
            rc = sqlite3_bind_double(s->insert, p, c->data.f64[row]);
            break;
        case TBL_I64:
            rc = sqlite3_bind_int64(s->insert, p, c->data.i64[row]);
            break;
        case TBL_BOOL:
            rc = sqlite3_bind_int(s->insert, p, c->data.b[row] ? 1 : 0);
            break;
        case TBL_STR: {
            size_t len;
            const char *str = tbl_dict_get(c->dict, c->data.code[row], &len);
            rc = sqlite3_bind_text64(s->insert, p, str, len, SQLITE_STATIC, SQLITE_UTF8);
            break;
        }
        case TBL_DATE: {
            size_t len = val_format_date(c->data.date[row], s->text[i]);
            rc = sqlite3_bind_text(s->insert, p, s->text[i], (int)len, SQLITE_STATIC);
            break;
        }
        case TBL_TIMESTAMP: {
            size_t len = val_format_timestamp(c->data.ts[row], s->text[i]);
            rc = sqlite3_bind_text(s->insert, p, s->text[i], (int)len, SQLITE_STATIC);
            break;
        }
        }
    }
    return rc;
}

static int sq_sink_write(void *impl, const tbl_table *b, ml_error *err)
{
    sq_sink *s = impl;
    if (!s->db)
        return ml_err(err, ML_EINVAL, "sqlite:%s: writing after an error (nothing was kept)",
                      s->path);
    int rc = sq_sink_check_batch(s, b, err);
    size_t n = tbl_nrows(b);
    for (size_t row = 0; !rc && row < n; row++) {
        int src = sq_bind_row(s, b, row);
        if (src == SQLITE_OK)
            src = sqlite3_step(s->insert);
        if (src != SQLITE_DONE) {
            rc = ml_err(err, ML_EDB, "sqlite:%s: table '%s', row %zu: %s", s->path, s->table,
                        s->rows + row + 1, sqlite3_errmsg(s->db));
            break;
        }
        sqlite3_reset(s->insert);
    }
    if (rc) {
        sq_sink_release(s, true);
        return rc;
    }
    s->rows += n;
    return ML_OK;
}

static int sq_sink_commit(void *impl, ml_error *err)
{
    sq_sink *s = impl;
    int rc = ML_OK;
    if (!s->db) {
        rc = ml_err(err, ML_EINVAL, "sqlite:%s: committing after an error (nothing was kept)",
                    s->path);
    } else {
        sqlite3_finalize(s->insert);
        s->insert = NULL;
        rc = sq_exec(s, "COMMIT", err);
        sq_sink_release(s, rc != ML_OK);
    }
    sq_sink_free(s);
    return rc;
}

static void sq_sink_abort(void *impl)
{
    sq_sink_free(impl);
}

static const sink_writer_ops sq_sink_ops = {
    .write = sq_sink_write,
    .commit = sq_sink_commit,
    .abort = sq_sink_abort,
};

static int sq_sink_copy_schema(sq_sink *s, const tbl_table *schema, ml_error *err)
{
    s->ncols = tbl_ncols(schema);
    s->names = calloc(s->ncols, sizeof *s->names);
    s->types = calloc(s->ncols, sizeof *s->types);
    s->text = calloc(s->ncols, sizeof *s->text);
    if (!s->names || !s->types || !s->text)
        return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", s->path);
    for (size_t i = 0; i < s->ncols; i++) {
        s->types[i] = tbl_col(schema, i)->type;
        if (!(s->names[i] = strdup(tbl_col(schema, i)->name)))
            return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", s->path);
    }
    return ML_OK;
}

int sqlite_sink_open(const char *path, const sink_options *opts, const tbl_table *schema,
                     const sink_writer_ops **ops, void **impl, ml_error *err)
{
    if (!opts || !opts->table || !*opts->table)
        return ml_err(err, ML_EINVAL, "sqlite:%s: name the table to write (--to-table)", path);
    if (!schema || tbl_ncols(schema) == 0)
        return ml_err(err, ML_EINVAL, "sqlite:%s: nothing to write: the data has no columns", path);
    sq_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path)) || !(s->table = strdup(opts->table))) {
        sq_sink_free(s);
        return ml_err(err, ML_ENOMEM, "sqlite:%s: out of memory", path);
    }
    int rc = sq_sink_copy_schema(s, schema, err);
    if (rc)
        goto done;

    struct stat st;
    s->created = stat(path, &st) != 0 && errno == ENOENT;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = ml_err(err, ML_EIO, "sqlite:%s: cannot open: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
    rc = sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc)
        goto done;
    int kind = sq_table_kind(s, err);
    bool create = true;
    if (kind < 0) {
        rc = err ? (int)err->code : ML_EDB;
    } else if (kind == 2) {
        rc = ml_err(err, ML_EINVAL, "sqlite:%s: '%s' is a view, not a table", path, s->table);
    } else if (kind == 1) {
        switch (opts->if_exists) {
        case SINK_FAIL:
            rc = ml_err(err, ML_EINVAL,
                        "sqlite:%s: table '%s' already exists (use --if-exists replace or "
                        "append)",
                        path, s->table);
            break;
        case SINK_REPLACE: {
            char *drop = sqlite3_mprintf("DROP TABLE \"%w\"", s->table);
            rc = drop ? sq_exec(s, drop, err) : ml_err(err, ML_ENOMEM, "out of memory");
            sqlite3_free(drop);
            break;
        }
        case SINK_APPEND:
            rc = sq_check_append(s, err);
            create = false;
            break;
        }
    }
    if (!rc)
        rc = sq_prepare_table(s, create, err);
done:
    if (rc) {
        sq_sink_free(s);
        return rc;
    }
    *ops = &sq_sink_ops;
    *impl = s;
    return ML_OK;
}
