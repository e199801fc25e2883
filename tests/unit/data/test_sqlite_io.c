/* Unit tests for src/data/sqlite_io.c: the SQLite reader (declared and
 * inferred types, batches, every error a user can meet) and the
 * transactional writer (fail / replace / append, nothing left on failure). */
#include "test_data.h"

#include "data/sqlite_io.h"

#include <math.h>
#include <sqlite3.h>
#include <sys/stat.h>

static int write_table(const char *path, const char *table, sink_if_exists mode, const tbl_table *t,
                       ml_error *err)
{
    return test_sink_write(sqlite_sink_open, path, table, mode, t, err);
}

/* ---- helpers --------------------------------------------------------------- */

/* A fresh path (nothing there) under $TMPDIR for slot 0..7. */
static const char *db_path(int slot)
{
    static char paths[8][256];
    const char *tmp = getenv("TMPDIR");
    snprintf(paths[slot], sizeof paths[slot], "%s/mloop-sqlite-%d-%d.db", tmp ? tmp : "/tmp",
             (int)getpid(), slot);
    unlink(paths[slot]);
    return paths[slot];
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql failed: %s: %s", sql, msg);
    sqlite3_close(db);
}

/* First column of the first row of a query, as text ("" for none). */
static const char *query_text(const char *path, const char *sql)
{
    static char out[512];
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare failed: %s: %s", sql, sqlite3_errmsg(db));
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* Reads everything through the reader's batches of max_rows; counts batches. */
static int read_all(const char *path, const src_options *opts, size_t max_rows, tbl_table **out,
                    size_t *nbatches, src_report *report, ml_error *err)
{
    const src_reader_ops *ops;
    void *impl;
    int rc = sqlite_reader_open(path, opts, &ops, &impl, err);
    if (rc)
        return rc;
    tbl_table *all = tbl_create();
    size_t n = 0;
    for (;;) {
        tbl_table *b;
        rc = ops->next_batch(impl, max_rows, &b, err);
        if (rc || !b)
            break;
        n++;
        assert_true(tbl_nrows(b) <= max_rows);
        rc = tbl_append(all, b, err);
        tbl_free(b);
        if (rc)
            break;
    }
    if (report)
        *report = *ops->report(impl);
    ops->close(impl);
    if (rc) {
        tbl_free(all);
        return rc;
    }
    if (nbatches)
        *nbatches = n;
    *out = all;
    return ML_OK;
}

static tbl_table *read_table(const char *path, const char *table)
{
    ml_error err = {0};
    src_options opts = {.table = table};
    tbl_table *t = NULL;
    int rc = read_all(path, &opts, 65536, &t, NULL, NULL, &err);
    if (rc)
        fail_msg("read of %s failed: %s", table, err.message);
    return t;
}

static tbl_table *read_query(const char *path, const char *query)
{
    ml_error err = {0};
    src_options opts = {.query = query};
    tbl_table *t = NULL;
    int rc = read_all(path, &opts, 65536, &t, NULL, NULL, &err);
    if (rc)
        fail_msg("query failed: %s", err.message);
    return t;
}

/* Every type, nulls in each column, and awkward values. */
static tbl_table *mixed_table(size_t n)
{
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "f", TBL_F64, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "i", TBL_I64, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "b", TBL_BOOL, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "s", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "d", TBL_DATE, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "ts", TBL_TIMESTAMP, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "odd \"name\"", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_resize(t, n, &err), ML_OK);
    static const char *strs[] = {
        "plain",       "",          "with, comma", "quote \" and ' too", "tab\tnew\nline\r",
        "back\\slash", "ünïcödé ✓", "\\N"};
    static const double fs[] = {0.1,       -2.5e-300,         1e300, INFINITY,
                                -INFINITY, 3.141592653589793, -0.5,  123456.789};
    for (size_t r = 0; r < n; r++) {
        tbl_set_f64(t, 0, r, fs[r % 8] * (double)(r + 1));
        tbl_set_i64(t, 1, r, r % 5 == 1 ? INT64_MIN + (int64_t)r : (int64_t)r * 7919 - 40000);
        tbl_set_bool(t, 2, r, r % 3 == 0);
        const char *s = strs[r % 8];
        assert_int_equal(tbl_set_str(t, 3, r, s, strlen(s), &err), ML_OK);
        tbl_set_date(t, 4, r, (int32_t)r * 37 - 20000);
        tbl_set_timestamp(t, 5, r, (int64_t)r * 86400123457LL - 1000000000000000LL);
        char name[32];
        int len = snprintf(name, sizeof name, "k%zu", r % 13);
        assert_int_equal(tbl_set_str(t, 6, r, name, (size_t)len, &err), ML_OK);
        if (r % 7 == 3) /* one null per row, rotating through the columns */
            assert_int_equal(tbl_set_null(t, (r / 7) % 7, r, &err), ML_OK);
    }
    return t;
}

/* ---- reading ----------------------------------------------------------------- */

static void round_trips_every_type(void **state)
{
    (void)state;
    const char *path = db_path(0);
    tbl_table *t = mixed_table(500);
    ml_error err = {0};
    assert_int_equal(write_table(path, "mixed", SINK_FAIL, t, &err), ML_OK);
    tbl_table *back = read_table(path, "mixed");
    assert_tables_equal(t, back);
    /* Declared types say what the columns are, for any SQLite client. */
    const char *ddl = query_text(path, "SELECT sql FROM sqlite_master WHERE name = 'mixed'");
    assert_non_null(strstr(ddl, "\"f\" REAL"));
    assert_non_null(strstr(ddl, "\"i\" INTEGER"));
    assert_non_null(strstr(ddl, "\"b\" BOOLEAN"));
    assert_non_null(strstr(ddl, "\"s\" TEXT"));
    assert_non_null(strstr(ddl, "\"d\" DATE"));
    assert_non_null(strstr(ddl, "\"ts\" TIMESTAMP"));
    /* Booleans are 0/1, dates and timestamps ISO text. */
    assert_string_equal(query_text(path, "SELECT typeof(b) || ':' || b FROM mixed LIMIT 1"),
                        "integer:1");
    assert_string_equal(query_text(path, "SELECT d FROM mixed LIMIT 1"), "1915-03-31");
    assert_string_equal(query_text(path, "SELECT ts FROM mixed LIMIT 1"), "1938-04-24T22:13:20");
    tbl_free(back);
    tbl_free(t);
    unlink(path);
}

static void reads_in_small_batches(void **state)
{
    (void)state;
    const char *path = db_path(0);
    tbl_table *t = mixed_table(1000);
    ml_error err = {0};
    assert_int_equal(write_table(path, "mixed", SINK_FAIL, t, &err), ML_OK);
    src_options opts = {.table = "mixed"};
    tbl_table *back;
    size_t nb = 0;
    assert_int_equal(read_all(path, &opts, 7, &back, &nb, NULL, &err), ML_OK);
    assert_int_equal(nb, (1000 + 6) / 7);
    assert_tables_equal(t, back);
    tbl_free(back);

    /* A table of exactly one batch: the next call says "end", and keeps saying it. */
    const src_reader_ops *ops;
    void *impl;
    assert_int_equal(sqlite_reader_open(path, &opts, &ops, &impl, &err), ML_OK);
    tbl_table *b;
    assert_int_equal(ops->next_batch(impl, 1000, &b, &err), ML_OK);
    assert_int_equal(tbl_nrows(b), 1000);
    tbl_free(b);
    assert_int_equal(ops->next_batch(impl, 1000, &b, &err), ML_OK);
    assert_null(b);
    assert_int_equal(ops->next_batch(impl, 1000, &b, &err), ML_OK);
    assert_null(b);
    ops->close(impl);

    /* Closing in the middle of a read is fine. */
    assert_int_equal(sqlite_reader_open(path, &opts, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->next_batch(impl, 10, &b, &err), ML_OK);
    assert_int_equal(tbl_nrows(b), 10);
    tbl_free(b);
    ops->close(impl);
    tbl_free(t);
    unlink(path);
}

static void maps_declared_types(void **state)
{
    (void)state;
    const char *path = db_path(0);
    exec_sql(path,
             "CREATE TABLE t (a BOOL, b BOOLEAN, c INT, d INTEGER, e BIGINT, f TINYINT, g REAL, "
             "h FLOAT, i DOUBLE, j DOUBLE PRECISION, k NUMERIC, l DECIMAL(10,2), m DATE, "
             "n DATETIME, o TIMESTAMP, p TEXT, q CHAR(3), r VARCHAR(20), s CLOB, "
             "u NVARCHAR(9), v);"
             "INSERT INTO t VALUES (1, 'false', 42, -7, 9007199254740993, 3, 1.5, 2.25, -0.125, "
             "1e10, 12.5, 99.99, '2024-02-29', '2024-02-29 13:14:15', "
             "'2024-02-29T13:14:15.25Z', 'text', 'abc', 'var', 'clob', 'nv', 11);"
             "INSERT INTO t VALUES (0, 1, NULL, NULL, NULL, NULL, 3, NULL, NULL, NULL, 7, NULL, "
             "NULL, '2024-03-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL);");
    tbl_table *t = read_table(path, "t");
    static const tbl_type want[] = {
        TBL_BOOL,      TBL_BOOL, TBL_I64, TBL_I64, TBL_I64, TBL_I64,  TBL_F64,
        TBL_F64,       TBL_F64,  TBL_F64, TBL_F64, TBL_F64, TBL_DATE, TBL_TIMESTAMP,
        TBL_TIMESTAMP, TBL_STR,  TBL_STR, TBL_STR, TBL_STR, TBL_STR,  TBL_I64};
    assert_int_equal(tbl_ncols(t), sizeof want / sizeof *want);
    for (size_t i = 0; i < tbl_ncols(t); i++) {
        if (tbl_col(t, i)->type != want[i])
            fail_msg("column %s is %s, expected %s", tbl_col(t, i)->name,
                     tbl_type_name(tbl_col(t, i)->type), tbl_type_name(want[i]));
    }
    assert_int_equal(tbl_col(t, 0)->data.b[0], 1);
    assert_int_equal(tbl_col(t, 1)->data.b[0], 0);
    assert_int_equal(tbl_col(t, 1)->data.b[1], 1);
    assert_int_equal(tbl_col(t, 4)->data.i64[0], 9007199254740993LL);
    assert_true(tbl_is_null(tbl_col(t, 2), 1));
    assert_true(tbl_col(t, 6)->data.f64[1] == 3.0); /* an INTEGER stored in a REAL column */
    assert_true(tbl_col(t, 10)->data.f64[0] == 12.5);
    assert_true(tbl_col(t, 11)->data.f64[0] == 99.99);
    char buf[TBL_CELL_TEXT_MAX];
    const char *text;
    tbl_cell_text(tbl_col(t, 12), 0, buf, &text);
    assert_string_equal(text, "2024-02-29");
    tbl_cell_text(tbl_col(t, 13), 0, buf, &text);
    assert_string_equal(text, "2024-02-29T13:14:15");
    tbl_cell_text(tbl_col(t, 13), 1, buf, &text); /* a bare date in a DATETIME column */
    assert_string_equal(text, "2024-03-01T00:00:00");
    tbl_cell_text(tbl_col(t, 14), 0, buf, &text);
    assert_string_equal(text, "2024-02-29T13:14:15.250000");
    tbl_cell_text(tbl_col(t, 16), 0, buf, &text);
    assert_string_equal(text, "abc");
    assert_int_equal(tbl_col(t, 20)->data.i64[0], 11); /* untyped: from the values */
    tbl_free(t);
    unlink(path);
}

static void infers_types_of_expressions(void **state)
{
    (void)state;
    const char *path = db_path(0);
    exec_sql(path, "CREATE TABLE t (x INTEGER, y REAL, z TEXT);"
                   "INSERT INTO t VALUES (1, 0.5, 'a'), (2, 1.5, 'b'), (3, NULL, 'c');");
    tbl_table *t = read_query(path, "SELECT x + 1 AS xi, x * 0.5 AS xf, "
                                    "CASE WHEN x = 2 THEN 2.5 ELSE x END AS mixed, "
                                    "z || '!' AS zs, NULL AS nada, "
                                    "CASE WHEN x = 1 THEN 'one' ELSE x END AS textnum, "
                                    "y AS y2, count(*) OVER () AS n FROM t ORDER BY x;");
    assert_int_equal(tbl_nrows(t), 3);
    assert_int_equal(tbl_col(t, 0)->type, TBL_I64);
    assert_int_equal(tbl_col(t, 0)->data.i64[2], 4);
    assert_int_equal(tbl_col(t, 1)->type, TBL_F64);
    assert_true(tbl_col(t, 1)->data.f64[0] == 0.5);
    assert_int_equal(tbl_col(t, 2)->type, TBL_F64); /* int and real mixed */
    assert_true(tbl_col(t, 2)->data.f64[0] == 1.0);
    assert_true(tbl_col(t, 2)->data.f64[1] == 2.5);
    assert_int_equal(tbl_col(t, 3)->type, TBL_STR);
    assert_int_equal(tbl_col(t, 4)->type, TBL_F64); /* all null */
    assert_int_equal(tbl_col(t, 4)->null_count, 3);
    assert_int_equal(tbl_col(t, 5)->type, TBL_STR); /* text and int mixed */
    char buf[TBL_CELL_TEXT_MAX];
    const char *text;
    tbl_cell_text(tbl_col(t, 5), 1, buf, &text);
    assert_string_equal(text, "2");
    assert_int_equal(tbl_col(t, 6)->type, TBL_F64); /* a column keeps its declared type */
    assert_int_equal(tbl_col(t, 7)->type, TBL_I64);
    tbl_free(t);

    /* An empty result still has its columns. */
    t = read_query(path, "SELECT x, y, z, x + 1 AS e FROM t WHERE 0");
    assert_int_equal(tbl_nrows(t), 0);
    assert_int_equal(tbl_ncols(t), 4);
    assert_int_equal(tbl_col(t, 0)->type, TBL_I64);
    assert_int_equal(tbl_col(t, 2)->type, TBL_STR);
    assert_int_equal(tbl_col(t, 3)->type, TBL_F64);
    tbl_free(t);
    unlink(path);
}

static void first_batch_fixes_inferred_types(void **state)
{
    (void)state;
    const char *path = db_path(0);
    exec_sql(path, "CREATE TABLE t (x INTEGER);"
                   "WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 30) "
                   "INSERT INTO t SELECT k FROM c;");
    const char *q = "SELECT CASE WHEN x = 25 THEN x + 0.5 ELSE x END AS v FROM t ORDER BY x";
    src_options opts = {.query = q};
    tbl_table *t;
    ml_error err = {0};
    int rc = read_all(path, &opts, 10, &t, NULL, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, "row 25, column 'v': expected int, found '25.5'");
    /* In one batch the same query is a float column. */
    assert_int_equal(read_all(path, &opts, 100, &t, NULL, NULL, &err), ML_OK);
    assert_int_equal(tbl_col(t, 0)->type, TBL_F64);
    tbl_free(t);
    /* With --coerce the odd cell becomes null and is counted. */
    opts.coerce = true;
    src_report report;
    assert_int_equal(read_all(path, &opts, 10, &t, NULL, &report, &err), ML_OK);
    assert_int_equal(tbl_col(t, 0)->type, TBL_I64);
    assert_true(tbl_is_null(tbl_col(t, 0), 24));
    assert_int_equal(report.cells_coerced, 1);
    assert_string_equal(report.coerced_detail, "v: 1");
    tbl_free(t);
    unlink(path);
}

static void bad_values_name_row_and_column(void **state)
{
    (void)state;
    const char *path = db_path(0);
    exec_sql(path, "CREATE TABLE people (name TEXT, age INTEGER, born DATE, ok BOOLEAN);"
                   "WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 20) "
                   "INSERT INTO people SELECT 'p' || k, k, '2000-01-01', 1 FROM c;"
                   "UPDATE people SET age = 'abc' WHERE name = 'p17';"
                   "UPDATE people SET born = '2024-13-45' WHERE name = 'p5';"
                   "UPDATE people SET ok = 'maybe' WHERE name = 'p9';");
    ml_error err = {0};
    tbl_table *t;
    src_options opts = {.table = "people"};
    int rc = read_all(path, &opts, 4, &t, NULL, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, "row 5, column 'born': expected date, found '2024-13-45'");
    assert_non_null(strstr(err.message, path));
    opts.query = "SELECT name, age FROM people";
    opts.table = NULL;
    rc = read_all(path, &opts, 1000, &t, NULL, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, "row 17, column 'age': expected int, found 'abc'");
    opts.query = "SELECT ok FROM people";
    rc = read_all(path, &opts, 1000, &t, NULL, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, "row 9, column 'ok': expected bool, found 'maybe'");

    opts.query = NULL;
    opts.table = "people";
    opts.coerce = true;
    src_report report;
    assert_int_equal(read_all(path, &opts, 3, &t, NULL, &report, &err), ML_OK);
    assert_int_equal(tbl_nrows(t), 20);
    assert_true(tbl_is_null(tbl_col(t, 1), 16));
    assert_true(tbl_is_null(tbl_col(t, 2), 4));
    assert_true(tbl_is_null(tbl_col(t, 3), 8));
    assert_int_equal(report.cells_coerced, 3);
    assert_string_equal(report.coerced_detail, "age: 1, born: 1, ok: 1");
    tbl_free(t);
    unlink(path);
}

static void reader_errors(void **state)
{
    (void)state;
    const char *path = db_path(0);
    exec_sql(path, "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);"
                   "CREATE TABLE \"we\"\"ird name\" (b TEXT); "
                   "INSERT INTO \"we\"\"ird name\" VALUES ('x');");
    const src_reader_ops *ops;
    void *impl;
    ml_error err = {0};
    src_options opts = {0};

    int rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "give --table or --query");
    assert_non_null(strstr(err.message, path));
    opts = (src_options){.table = "t", .query = "SELECT 1"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "give --table or --query, not both");

    opts = (src_options){.table = "foo"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "no such table: foo");
    assert_non_null(strstr(err.message, "sqlite:"));

    opts = (src_options){.query = "SELEC 1"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "near \"SELEC\": syntax error");

    opts = (src_options){.query = "SELECT a, a + 1 AS a FROM t"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EFORMAT, "two columns named 'a'");

    opts = (src_options){.query = "SELECT 1; DROP TABLE t"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "single statement");
    opts = (src_options){.query = "DELETE FROM t"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "must only read");
    opts = (src_options){.query = "  -- nothing\n"};
    rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "the query is empty");
    assert_string_equal(query_text(path, "SELECT count(*) FROM t"), "1");

    /* A trailing semicolon and comment are fine; quoted names are quoted. */
    tbl_table *t = read_query(path, "SELECT a FROM t; -- done");
    assert_int_equal(tbl_nrows(t), 1);
    tbl_free(t);
    t = read_table(path, "we\"ird name");
    assert_int_equal(tbl_nrows(t), 1);
    assert_string_equal(tbl_col(t, 0)->name, "b");
    tbl_free(t);
    unlink(path);
}

static void missing_or_bad_files(void **state)
{
    (void)state;
    const char *path = db_path(1);
    const src_reader_ops *ops;
    void *impl;
    ml_error err = {0};
    src_options opts = {.table = "t"};
    int rc = sqlite_reader_open(path, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EIO, "cannot open: No such file or directory");
    assert_non_null(strstr(err.message, path));
    assert_false(file_exists(path)); /* never creates one */

    const char *junk = TEST_WRITE(2, ".db", "this is not a database, just some text\n");
    rc = sqlite_reader_open(junk, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "file is not a database");
    unlink(junk);

    tbl_table *t = mixed_table(3);
    rc = write_table("/nonexistent-dir/x.db", "t", SINK_FAIL, t, &err);
    assert_error(rc, err, ML_EIO, "sqlite:/nonexistent-dir/x.db: cannot open");
    tbl_free(t);
}

/* ---- writing ------------------------------------------------------------------- */

static void sink_needs_a_table_and_columns(void **state)
{
    (void)state;
    const char *path = db_path(0);
    tbl_table *t = mixed_table(3);
    const sink_writer_ops *ops;
    void *impl;
    ml_error err = {0};
    sink_options so = {0};
    int rc = sqlite_sink_open(path, &so, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "name the table to write");
    rc = sqlite_sink_open(path, NULL, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "name the table to write");
    tbl_table *empty = tbl_create();
    so.table = "x";
    rc = sqlite_sink_open(path, &so, empty, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "the data has no columns");
    assert_false(file_exists(path));
    tbl_free(empty);
    tbl_free(t);
}

static void existing_table_fail_replace_append(void **state)
{
    (void)state;
    const char *path = db_path(0);
    tbl_table *t = mixed_table(50);
    ml_error err = {0};
    assert_int_equal(write_table(path, "t", SINK_FAIL, t, &err), ML_OK);

    int rc = write_table(path, "t", SINK_FAIL, t, &err);
    assert_error(rc, err, ML_EINVAL,
                 "table 't' already exists (use --if-exists replace or append)");
    rc = write_table(path, "T", SINK_FAIL, t, &err); /* SQLite names ignore case */
    assert_error(rc, err, ML_EINVAL, "already exists");
    assert_string_equal(query_text(path, "SELECT count(*) FROM t"), "50");

    tbl_table *small = mixed_table(5);
    assert_int_equal(write_table(path, "t", SINK_REPLACE, small, &err), ML_OK);
    tbl_table *back = read_table(path, "t");
    assert_tables_equal(small, back);
    tbl_free(back);

    assert_int_equal(write_table(path, "t", SINK_APPEND, t, &err), ML_OK);
    back = read_table(path, "t");
    tbl_table *want = tbl_create();
    assert_int_equal(tbl_append(want, small, &err), ML_OK);
    assert_int_equal(tbl_append(want, t, &err), ML_OK);
    assert_tables_equal(want, back);
    tbl_free(back);
    tbl_free(want);

    /* Appending to a missing table creates it. */
    assert_int_equal(write_table(path, "fresh", SINK_APPEND, small, &err), ML_OK);
    assert_string_equal(query_text(path, "SELECT count(*) FROM fresh"), "5");

    /* Appending data of another shape is refused before anything is written. */
    tbl_table *other = tbl_create();
    assert_int_equal(tbl_add_column(other, "f", TBL_F64, &err), ML_OK);
    rc = write_table(path, "t", SINK_APPEND, other, &err);
    assert_error(rc, err, ML_EINVAL,
                 "cannot append to table 't': its column 'i' is not in the data");
    tbl_col_mut(other, 0)->type = TBL_I64; /* same width: 'f' now claims to be int */
    rc = write_table(path, "t", SINK_APPEND, other, &err);
    assert_error(rc, err, ML_EINVAL, "column 'f' is REAL there, int in the data");
    tbl_table *retyped = mixed_table(2);
    tbl_col_mut(retyped, 1)->type = TBL_F64; /* same width: 'i' now claims to be float */
    rc = write_table(path, "t", SINK_APPEND, retyped, &err);
    assert_error(rc, err, ML_EINVAL, "column 'i' is INTEGER there, float in the data");
    assert_string_equal(query_text(path, "SELECT count(*) FROM t"), "55");

    /* A view is not a table to replace. */
    exec_sql(path, "CREATE VIEW v AS SELECT 1 AS one");
    rc = write_table(path, "v", SINK_REPLACE, small, &err);
    assert_error(rc, err, ML_EINVAL, "'v' is a view, not a table");

    tbl_free(retyped);
    tbl_free(other);
    tbl_free(small);
    tbl_free(t);
    unlink(path);
}

static void failure_midway_leaves_nothing(void **state)
{
    (void)state;
    const char *path = db_path(0);
    tbl_table *t = mixed_table(100);
    tbl_table *other = tbl_create();
    ml_error err = {0};
    assert_int_equal(tbl_add_column(other, "zzz", TBL_I64, &err), ML_OK);
    sink_options so = {.table = "t"};
    const sink_writer_ops *ops;
    void *impl;

    /* A new file: a good batch, then a batch of another schema, then abort. */
    assert_int_equal(sqlite_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    tbl_table *retyped = mixed_table(2);
    tbl_col_mut(retyped, 1)->type = TBL_F64; /* same width: 'i' now claims to be float */
    int rc = ops->write(impl, retyped, &err);
    assert_error(rc, err, ML_EINVAL, "the batch's column 2 is 'i' (float), the table's 'i' (int)");
    tbl_free(retyped);
    rc = ops->write(impl, t, &err);
    assert_error(rc, err, ML_EINVAL, "writing after an error");
    ops->abort(impl);
    assert_false(file_exists(path));

    /* Commit after a failed write fails too, and still leaves nothing. */
    assert_int_equal(sqlite_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
    rc = ops->write(impl, other, &err);
    assert_error(rc, err, ML_EINVAL, "a batch of 1 columns for a table of 7");
    rc = ops->commit(impl, &err);
    assert_error(rc, err, ML_EINVAL, "committing after an error");
    assert_false(file_exists(path));

    /* Plain abort of a new file. */
    assert_int_equal(sqlite_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    ops->abort(impl);
    assert_false(file_exists(path));

    /* An existing file keeps what it had: the new table never appears, and a
     * replaced one comes back whole. */
    exec_sql(path, "CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (42);");
    assert_int_equal(sqlite_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    ops->abort(impl);
    assert_true(file_exists(path));
    assert_string_equal(query_text(path, "SELECT count(*) FROM sqlite_master WHERE name = 't'"),
                        "0");
    so = (sink_options){.table = "keep", .if_exists = SINK_REPLACE};
    assert_int_equal(sqlite_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    assert_int_equal(ops->write(impl, other, &err), ML_EINVAL);
    ops->abort(impl);
    assert_string_equal(query_text(path, "SELECT x FROM keep"), "42");

    tbl_free(other);
    tbl_free(t);
    unlink(path);
}

static void writes_in_several_batches(void **state)
{
    (void)state;
    const char *path = db_path(0);
    tbl_table *t = mixed_table(1000);
    ml_error err = {0};
    sink_options so = {.table = "t"};
    const sink_writer_ops *ops;
    void *impl;
    assert_int_equal(sqlite_sink_open(path, &so, t, &ops, &impl, &err), ML_OK);
    for (size_t at = 0; at < 1000; at += 300) {
        tbl_table *part;
        assert_int_equal(tbl_slice(t, at, at + 300 > 1000 ? 1000 : at + 300, &part, &err), ML_OK);
        assert_int_equal(ops->write(impl, part, &err), ML_OK);
        tbl_free(part);
    }
    /* Nothing is visible to another connection before the commit. */
    assert_string_equal(query_text(path, "SELECT count(*) FROM sqlite_master"), "0");
    assert_int_equal(ops->commit(impl, &err), ML_OK);
    tbl_table *back = read_table(path, "t");
    assert_tables_equal(t, back);
    tbl_free(back);
    tbl_free(t);
    unlink(path);
}

static void nan_is_stored_as_null(void **state)
{
    (void)state;
    const char *path = db_path(0);
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "x", TBL_F64, &err), ML_OK);
    assert_int_equal(tbl_resize(t, 2, &err), ML_OK);
    tbl_set_f64(t, 0, 0, NAN);
    tbl_set_f64(t, 0, 1, 1.25);
    assert_int_equal(write_table(path, "t", SINK_FAIL, t, &err), ML_OK);
    tbl_table *back = read_table(path, "t");
    assert_true(tbl_is_null(tbl_col(back, 0), 0));
    assert_true(tbl_col(back, 0)->data.f64[1] == 1.25);
    tbl_free(back);
    tbl_free(t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips_every_type),
        cmocka_unit_test(reads_in_small_batches),
        cmocka_unit_test(maps_declared_types),
        cmocka_unit_test(infers_types_of_expressions),
        cmocka_unit_test(first_batch_fixes_inferred_types),
        cmocka_unit_test(bad_values_name_row_and_column),
        cmocka_unit_test(reader_errors),
        cmocka_unit_test(missing_or_bad_files),
        cmocka_unit_test(sink_needs_a_table_and_columns),
        cmocka_unit_test(existing_table_fail_replace_append),
        cmocka_unit_test(failure_midway_leaves_nothing),
        cmocka_unit_test(writes_in_several_batches),
        cmocka_unit_test(nan_is_stored_as_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
