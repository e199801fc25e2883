/* Unit tests for src/data/pg_io.c against a throwaway PostgreSQL (the
 * `postgres` CTest fixture; $MLOOP_PG_URI_FILE names the file holding its
 * URI).  Without one the test is skipped (exit 77).  Covers the reader (OID
 * mapping, COPY streaming in batches, server errors), the transactional
 * writer (fail / replace / append, nothing left on failure) and the URI and
 * connection errors a user can meet. */
#include "test_data.h"

#include "data/pg_io.h"

#include <libpq-fe.h>
#include <math.h>

static char g_uri[1024];

static int write_table(const char *table, sink_if_exists mode, const tbl_table *t, ml_error *err)
{
    return test_sink_write(pg_sink_open, g_uri, table, mode, t, err);
}

/* ---- helpers --------------------------------------------------------------- */

/* A table name unique to this process, so parallel runs share a server. */
static const char *tname(int slot, const char *base)
{
    static char names[8][96];
    snprintf(names[slot], sizeof names[slot], "mlt_%d_%s", (int)getpid(), base);
    return names[slot];
}

static PGconn *connect_db(void)
{
    PGconn *c = PQconnectdb(g_uri);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", g_uri, PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void exec_sql(const char *sql)
{
    PGconn *c = connect_db();
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("sql failed: %s: %s", sql, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
}

/* First column of the first row of a query, as text ("" for none or null). */
static const char *query_text(const char *sql)
{
    static char out[512];
    PGconn *c = connect_db();
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("query failed: %s: %s", sql, PQerrorMessage(c));
    out[0] = '\0';
    if (PQntuples(res) > 0)
        snprintf(out, sizeof out, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(c);
    return out;
}

static bool table_exists(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT to_regclass('\"%s\"') IS NOT NULL", name);
    return strcmp(query_text(sql), "t") == 0;
}

static void drop_table(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS \"%s\"", name);
    exec_sql(sql);
}

static size_t count_rows(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", name);
    return (size_t)strtoull(query_text(sql), NULL, 10);
}

/* Reads everything through the reader's batches of max_rows; counts batches. */
static int read_all(const char *uri, const src_options *opts, size_t max_rows, tbl_table **out,
                    size_t *nbatches, src_report *report, ml_error *err)
{
    const src_reader_ops *ops;
    void *impl;
    int rc = pg_reader_open(uri, opts, &ops, &impl, err);
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

static tbl_table *read_table(const char *table)
{
    ml_error err = {0};
    src_options opts = {.table = table};
    tbl_table *t = NULL;
    if (read_all(g_uri, &opts, 65536, &t, NULL, NULL, &err))
        fail_msg("read of %s failed: %s", table, err.message);
    return t;
}

static tbl_table *read_query(const char *query)
{
    ml_error err = {0};
    src_options opts = {.query = query};
    tbl_table *t = NULL;
    if (read_all(g_uri, &opts, 65536, &t, NULL, NULL, &err))
        fail_msg("query failed: %s", err.message);
    return t;
}

/* Every type, nulls in each column, and awkward values (COPY escapes, NaN,
 * infinities, -0, extreme ints, old dates, microseconds). */
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
    assert_int_equal(tbl_add_column(t, "Odd \"name\"", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_resize(t, n, &err), ML_OK);
    static const char *strs[] = {
        "plain",       "",          "with, comma", "quote \" and ' too", "tab\tnew\nline\r",
        "back\\slash", "ünïcödé ✓", "\\N",         "\b\f\v ctl",         "\\.",
        "a\\tb"};
    static const double fs[] = {0.1, -2.5e-300,         1e300, INFINITY,  -INFINITY,
                                NAN, 3.141592653589793, -0.0,  123456.789};
    size_t nstr = sizeof strs / sizeof *strs, nf = sizeof fs / sizeof *fs;
    for (size_t r = 0; r < n; r++) {
        double f = fs[r % nf];
        tbl_set_f64(t, 0, r, isfinite(f) && f != 0 ? f * (double)(r + 1) : f);
        tbl_set_i64(t, 1, r,
                    r % 5 == 1   ? INT64_MIN + (int64_t)r
                    : r % 5 == 2 ? INT64_MAX - (int64_t)r
                                 : (int64_t)r * 7919 - 40000);
        tbl_set_bool(t, 2, r, r % 3 == 0);
        const char *s = strs[r % nstr];
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

/* ---- reading and writing ---------------------------------------------------- */

static void round_trips_every_type(void **state)
{
    (void)state;
    const char *name = tname(0, "mixed");
    drop_table(name);
    tbl_table *t = mixed_table(600);
    ml_error err = {0};
    int rc = write_table(name, SINK_FAIL, t, &err);
    if (rc)
        fail_msg("write failed: %s", err.message);
    tbl_table *back = read_table(name);
    assert_tables_equal(t, back);
    tbl_free(back);

    /* The column types a PostgreSQL client sees. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) "
             "FROM pg_attribute WHERE attrelid = '\"%s\"'::regclass AND attnum > 0",
             name);
    assert_string_equal(query_text(sql),
                        "double precision,bigint,boolean,text,date,timestamp without time "
                        "zone,text");
    snprintf(sql, sizeof sql, "SELECT s FROM \"%s\" WHERE i = -40000 + 7919 * 4", name);
    assert_string_equal(query_text(sql), "tab\tnew\nline\r");
    snprintf(sql, sizeof sql, "SELECT s FROM \"%s\" WHERE i = -40000 + 7919 * 18", name);
    assert_string_equal(query_text(sql), "\\N");

    /* The same rows through a query, and through schema.table. */
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\";  ", name);
    back = read_query(sql);
    assert_tables_equal(t, back);
    tbl_free(back);
    char qualified[128];
    snprintf(qualified, sizeof qualified, "public.%s", name);
    back = read_table(qualified);
    assert_int_equal(tbl_nrows(back), 600);
    tbl_free(back);

    drop_table(name);
    tbl_free(t);
}

static void maps_type_oids(void **state)
{
    (void)state;
    const char *name = tname(0, "oids");
    char sql[2048];
    drop_table(name);
    snprintf(sql, sizeof sql,
             "CREATE TABLE \"%s\" (a int2, b int4, c int8, d float4, e float8, f numeric(12,3), "
             "g bool, h text, i varchar(20), j char(3), k date, l timestamp, m timestamptz, "
             "n name, o uuid, p interval, q int4[]);"
             "INSERT INTO \"%s\" VALUES (-32768, 2147483647, -9223372036854775808, 1.5, "
             "0.1, 12345.678, true, 'tëxt', 'var', 'ab', '2024-02-29', "
             "'2024-02-29 13:14:15.123456', '2024-02-29 13:14:15+02', 'nm', "
             "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:00:00', '{1,2}');"
             "INSERT INTO \"%s\" VALUES (NULL, NULL, NULL, 'NaN', '-Infinity', NULL, false, "
             "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
             name, name, name);
    exec_sql(sql);
    tbl_table *t = read_table(name);
    static const tbl_type want[] = {TBL_I64,  TBL_I64,       TBL_I64,       TBL_F64, TBL_F64,
                                    TBL_F64,  TBL_BOOL,      TBL_STR,       TBL_STR, TBL_STR,
                                    TBL_DATE, TBL_TIMESTAMP, TBL_TIMESTAMP, TBL_STR, TBL_STR,
                                    TBL_STR,  TBL_STR};
    assert_int_equal(tbl_ncols(t), sizeof want / sizeof *want);
    assert_int_equal(tbl_nrows(t), 2);
    for (size_t i = 0; i < tbl_ncols(t); i++) {
        if (tbl_col(t, i)->type != want[i])
            fail_msg("column %s is %s, expected %s", tbl_col(t, i)->name,
                     tbl_type_name(tbl_col(t, i)->type), tbl_type_name(want[i]));
    }
    assert_int_equal(tbl_col(t, 0)->data.i64[0], -32768);
    assert_int_equal(tbl_col(t, 1)->data.i64[0], 2147483647);
    assert_true(tbl_col(t, 2)->data.i64[0] == INT64_MIN);
    assert_true(tbl_col(t, 3)->data.f64[0] == 1.5);
    assert_true(tbl_col(t, 3)->data.f64[1] != tbl_col(t, 3)->data.f64[1]); /* NaN */
    assert_true(tbl_col(t, 4)->data.f64[0] == 0.1);
    assert_true(tbl_col(t, 4)->data.f64[1] == -INFINITY);
    assert_true(tbl_col(t, 5)->data.f64[0] == 12345.678);
    assert_int_equal(tbl_col(t, 6)->data.b[0], 1);
    assert_int_equal(tbl_col(t, 6)->data.b[1], 0);
    for (size_t i = 0; i < tbl_ncols(t); i++) {
        if (i != 3 && i != 4 && i != 6 && !tbl_is_null(tbl_col(t, i), 1))
            fail_msg("column %s: row 2 should be null", tbl_col(t, i)->name);
    }
    static const char *const texts[][2] = {
        {"h", "tëxt"},
        {"i", "var"},
        {"j", "ab "},
        {"k", "2024-02-29"},
        {"l", "2024-02-29T13:14:15.123456"},
        {"m", "2024-02-29T11:14:15"}, /* timestamptz: the UTC instant */
        {"n", "nm"},
        {"o", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        {"p", "1 day 02:00:00"},
        {"q", "{1,2}"},
    };
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        const char *text;
        tbl_cell_text(tbl_col(t, (size_t)tbl_find(t, texts[k][0])), 0, buf, &text);
        if (strcmp(text, texts[k][1]) != 0)
            fail_msg("column %s: '%s', expected '%s'", texts[k][0], text, texts[k][1]);
    }
    tbl_free(t);

    /* Expressions have types too; an empty result still has its columns. */
    t = read_query("SELECT 1 AS one, 2.5::float8 AS x, 'a'::text AS s, now()::date AS d "
                   "WHERE false");
    assert_int_equal(tbl_nrows(t), 0);
    assert_int_equal(tbl_ncols(t), 4);
    assert_int_equal(tbl_col(t, 0)->type, TBL_I64);
    assert_int_equal(tbl_col(t, 1)->type, TBL_F64);
    assert_int_equal(tbl_col(t, 2)->type, TBL_STR);
    assert_int_equal(tbl_col(t, 3)->type, TBL_DATE);
    tbl_free(t);
    drop_table(name);
}

static void streams_in_small_batches(void **state)
{
    (void)state;
    const char *name = tname(0, "batches");
    drop_table(name);
    tbl_table *t = mixed_table(1000);
    ml_error err = {0};
    sink_options so = {.table = name};
    const sink_writer_ops *wops;
    void *w;
    /* Written in several batches too. */
    assert_int_equal(pg_sink_open(g_uri, &so, t, &wops, &w, &err), ML_OK);
    for (size_t at = 0; at < 1000; at += 300) {
        tbl_table *part;
        assert_int_equal(tbl_slice(t, at, at + 300 > 1000 ? 1000 : at + 300, &part, &err), ML_OK);
        assert_int_equal(wops->write(w, part, &err), ML_OK);
        tbl_free(part);
    }
    assert_false(table_exists(name)); /* nothing visible before the commit */
    assert_int_equal(wops->commit(w, &err), ML_OK);

    src_options opts = {.table = name};
    tbl_table *back;
    size_t nb = 0;
    assert_int_equal(read_all(g_uri, &opts, 7, &back, &nb, NULL, &err), ML_OK);
    assert_int_equal(nb, (1000 + 6) / 7);
    assert_tables_equal(t, back);
    tbl_free(back);

    /* Exactly one batch: the next call says "end", and keeps saying it. */
    const src_reader_ops *ops;
    void *impl;
    assert_int_equal(pg_reader_open(g_uri, &opts, &ops, &impl, &err), ML_OK);
    tbl_table *b;
    assert_int_equal(ops->next_batch(impl, 1000, &b, &err), ML_OK);
    assert_int_equal(tbl_nrows(b), 1000);
    tbl_free(b);
    assert_int_equal(ops->next_batch(impl, 1000, &b, &err), ML_OK);
    assert_null(b);
    assert_int_equal(ops->next_batch(impl, 1000, &b, &err), ML_OK);
    assert_null(b);
    ops->close(impl);

    /* Closing in the middle of a large read returns promptly. */
    opts = (src_options){.query = "SELECT g AS n FROM generate_series(1, 5000000) g"};
    assert_int_equal(pg_reader_open(g_uri, &opts, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->next_batch(impl, 10, &b, &err), ML_OK);
    assert_int_equal(tbl_nrows(b), 10);
    assert_int_equal(tbl_col(b, 0)->data.i64[9], 10);
    tbl_free(b);
    ops->close(impl);
    tbl_free(t);
    drop_table(name);
}

static void writes_large_tables_in_chunks(void **state)
{
    (void)state;
    /* ~6 MB of COPY text: several 1 MiB chunks. */
    const char *name = tname(0, "large");
    drop_table(name);
    tbl_table *t = mixed_table(60000);
    ml_error err = {0};
    int rc = write_table(name, SINK_FAIL, t, &err);
    if (rc)
        fail_msg("write failed: %s", err.message);
    assert_int_equal(count_rows(name), 60000);
    src_options opts = {.table = name};
    tbl_table *back;
    size_t nb = 0;
    assert_int_equal(read_all(g_uri, &opts, 4096, &back, &nb, NULL, &err), ML_OK);
    assert_int_equal(nb, (60000 + 4095) / 4096);
    assert_tables_equal(t, back);
    tbl_free(back);
    tbl_free(t);
    drop_table(name);
}

static void bad_values_name_row_and_column(void **state)
{
    (void)state;
    /* A schema that overrides the server's type: text that is not an int. */
    ml_error err = {0};
    tbl_table *schema = tbl_create();
    assert_int_equal(tbl_add_column(schema, "age", TBL_I64, &err), ML_OK);
    src_options opts = {.query = "SELECT CASE WHEN g = 17 THEN 'abc' ELSE g::text END AS age "
                                 "FROM generate_series(1, 20) g",
                        .schema = schema};
    tbl_table *t;
    int rc = read_all(g_uri, &opts, 5, &t, NULL, NULL, &err);
    assert_error(rc, err, ML_EFORMAT, "row 17, column 'age': expected int, found 'abc'");
    assert_non_null(strstr(err.message, "postgresql://"));
    opts.coerce = true;
    src_report report;
    assert_int_equal(read_all(g_uri, &opts, 5, &t, NULL, &report, &err), ML_OK);
    assert_int_equal(tbl_col(t, 0)->type, TBL_I64);
    assert_true(tbl_is_null(tbl_col(t, 0), 16));
    assert_int_equal(tbl_col(t, 0)->data.i64[17], 18);
    assert_int_equal(report.cells_coerced, 1);
    assert_string_equal(report.coerced_detail, "age: 1");
    tbl_free(t);
    tbl_free(schema);
}

static void reader_errors(void **state)
{
    (void)state;
    const src_reader_ops *ops;
    void *impl;
    ml_error err = {0};
    src_options opts = {0};
    int rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "give --table or --query");
    opts = (src_options){.table = "x", .query = "SELECT 1"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "not both");

    opts = (src_options){.query = "SELEC 1"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "ERROR:  syntax error at or near \"SELEC\"");
    assert_non_null(strstr(err.message, "postgresql://"));

    opts = (src_options){.table = "mloop_no_such_table"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "relation \"mloop_no_such_table\" does not exist");

    opts = (src_options){.query = "SELECT 1 AS a, 2 AS a"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EFORMAT, "two columns named 'a'");

    /* An error raised while the rows stream arrives through next_batch. */
    opts = (src_options){.query = "SELECT 10 / (g - 50) AS q FROM generate_series(1, 100) g"};
    tbl_table *t;
    rc = read_all(g_uri, &opts, 1000, &t, NULL, NULL, &err);
    assert_error(rc, err, ML_EDB, "division by zero");

    /* The session only reads. */
    opts = (src_options){.query = "DELETE FROM pg_class RETURNING relname"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "read-only transaction");

    opts = (src_options){.query = "SELECT FROM generate_series(1, 3)"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "the query returns no columns");

    /* Two statements cannot be one prepared query. */
    opts = (src_options){.query = "SELECT 1 AS a; SELECT 2 AS b"};
    rc = pg_reader_open(g_uri, &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EDB, "multiple commands");
}

static void uri_and_connection_errors(void **state)
{
    (void)state;
    const src_reader_ops *ops;
    void *impl;
    ml_error err = {0};
    src_options opts = {.table = "t"};

    int rc = pg_reader_open("postgresql://u@127.0.0.1:notaport/db", &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "invalid connection URI: port 'notaport'");
    rc = pg_reader_open("postgresql://[::1/db", &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "invalid connection URI");
    rc = pg_reader_open("postgresql://h/db?bogus_option=1", &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "bogus_option");
    rc = pg_reader_open("postgresql://u:secret@h:99999/db", &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "postgresql://u:***@h:99999/db");
    assert_null(strstr(err.message, "secret"));

    rc = pg_reader_open("postgresql://nobody:secret@127.0.0.1:1/x", &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_ECONNECT, "postgresql://nobody:***@127.0.0.1:1/x: cannot connect");
    assert_null(strstr(err.message, "secret"));
    rc = pg_reader_open("postgresql://nobody@127.0.0.1:1/x?password=secret&connect_timeout=5",
                        &opts, &ops, &impl, &err);
    assert_error(rc, err, ML_ECONNECT, "password=***&connect_timeout=5");
    assert_null(strstr(err.message, "secret"));

    tbl_table *t = mixed_table(2);
    sink_options so = {.table = "t"};
    const sink_writer_ops *wops;
    rc = pg_sink_open("postgresql://nobody:secret@127.0.0.1:1/x", &so, t, &wops, &impl, &err);
    assert_error(rc, err, ML_ECONNECT, "cannot connect");
    assert_null(strstr(err.message, "secret"));
    rc = pg_sink_open("postgresql://u@127.0.0.1:notaport/db", &so, t, &wops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "invalid connection URI");
    tbl_free(t);
}

static void sink_needs_a_table_and_columns(void **state)
{
    (void)state;
    tbl_table *t = mixed_table(3);
    const sink_writer_ops *ops;
    void *impl;
    ml_error err = {0};
    sink_options so = {0};
    int rc = pg_sink_open(g_uri, &so, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "name the table to write");
    rc = pg_sink_open(g_uri, NULL, t, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "name the table to write");
    tbl_table *empty = tbl_create();
    so.table = tname(0, "x");
    rc = pg_sink_open(g_uri, &so, empty, &ops, &impl, &err);
    assert_error(rc, err, ML_EINVAL, "the data has no columns");
    tbl_free(empty);
    tbl_free(t);
}

static void existing_table_fail_replace_append(void **state)
{
    (void)state;
    const char *name = tname(0, "exists");
    drop_table(name);
    tbl_table *t = mixed_table(50);
    ml_error err = {0};
    assert_int_equal(write_table(name, SINK_FAIL, t, &err), ML_OK);

    int rc = write_table(name, SINK_FAIL, t, &err);
    assert_error(rc, err, ML_EINVAL, "already exists (use --if-exists replace or append)");
    assert_int_equal(count_rows(name), 50);

    tbl_table *small = mixed_table(5);
    assert_int_equal(write_table(name, SINK_REPLACE, small, &err), ML_OK);
    tbl_table *back = read_table(name);
    assert_tables_equal(small, back);
    tbl_free(back);

    assert_int_equal(write_table(name, SINK_APPEND, t, &err), ML_OK);
    back = read_table(name);
    tbl_table *want = tbl_create();
    assert_int_equal(tbl_append(want, small, &err), ML_OK);
    assert_int_equal(tbl_append(want, t, &err), ML_OK);
    assert_int_equal(tbl_nrows(back), 55);
    /* COPY appends in order on a fresh table; compare as sets would be overkill. */
    assert_tables_equal(want, back);
    tbl_free(back);
    tbl_free(want);

    /* Replace or append to a table that is not there creates it. */
    const char *fresh = tname(1, "fresh");
    drop_table(fresh);
    assert_int_equal(write_table(fresh, SINK_APPEND, small, &err), ML_OK);
    assert_int_equal(count_rows(fresh), 5);
    drop_table(fresh);
    assert_int_equal(write_table(fresh, SINK_REPLACE, small, &err), ML_OK);
    assert_int_equal(count_rows(fresh), 5);
    drop_table(fresh);

    /* Appending data of another shape is refused before anything is written. */
    tbl_table *other = tbl_create();
    assert_int_equal(tbl_add_column(other, "zzz", TBL_F64, &err), ML_OK);
    rc = write_table(name, SINK_APPEND, other, &err);
    assert_error(rc, err, ML_EINVAL, "it has no column 'zzz'");
    tbl_table *retyped = mixed_table(2);
    tbl_col_mut(retyped, 1)->type = TBL_F64; /* same width: 'i' now claims to be float */
    rc = write_table(name, SINK_APPEND, retyped, &err);
    assert_error(rc, err, ML_EINVAL, "column 'i' is int there, float in the data");
    assert_int_equal(count_rows(name), 55);

    /* A row the server refuses (a constraint) fails the commit; nothing is appended. */
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER TABLE \"%s\" ADD CHECK (i <> 12345)", name);
    exec_sql(sql);
    tbl_table *bad = mixed_table(3);
    tbl_set_i64(bad, 1, 2, 12345);
    rc = write_table(name, SINK_APPEND, bad, &err);
    assert_error(rc, err, ML_EDB, "violates check constraint");
    assert_int_equal(count_rows(name), 55);

    tbl_free(bad);
    tbl_free(retyped);
    tbl_free(other);
    tbl_free(small);
    tbl_free(t);
    drop_table(name);
}

static void abort_and_failure_leave_nothing(void **state)
{
    (void)state;
    const char *name = tname(0, "aborted");
    drop_table(name);
    tbl_table *t = mixed_table(100);
    tbl_table *other = tbl_create();
    ml_error err = {0};
    assert_int_equal(tbl_add_column(other, "zzz", TBL_I64, &err), ML_OK);
    sink_options so = {.table = name};
    const sink_writer_ops *ops;
    void *impl;

    /* Plain abort after rows were sent. */
    assert_int_equal(pg_sink_open(g_uri, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    ops->abort(impl);
    assert_false(table_exists(name));

    /* A batch of another schema midway, then abort. */
    assert_int_equal(pg_sink_open(g_uri, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    tbl_table *retyped = mixed_table(2);
    tbl_col_mut(retyped, 1)->type = TBL_F64;
    int rc = ops->write(impl, retyped, &err);
    assert_error(rc, err, ML_EINVAL, "the batch's column 2 is 'i' (float), the table's 'i' (int)");
    rc = ops->write(impl, t, &err);
    assert_error(rc, err, ML_EINVAL, "writing after an error");
    ops->abort(impl);
    assert_false(table_exists(name));

    /* Commit after a failed write fails too, and leaves nothing. */
    assert_int_equal(pg_sink_open(g_uri, &so, t, &ops, &impl, &err), ML_OK);
    rc = ops->write(impl, other, &err);
    assert_error(rc, err, ML_EINVAL, "a batch of 1 columns for a table of 7");
    rc = ops->commit(impl, &err);
    assert_error(rc, err, ML_EINVAL, "committing after an error");
    assert_false(table_exists(name));

    /* A replace that is aborted keeps the old table whole. */
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE TABLE \"%s\" (x bigint); INSERT INTO \"%s\" VALUES (42)",
             name, name);
    exec_sql(sql);
    so.if_exists = SINK_REPLACE;
    assert_int_equal(pg_sink_open(g_uri, &so, t, &ops, &impl, &err), ML_OK);
    assert_int_equal(ops->write(impl, t, &err), ML_OK);
    ops->abort(impl);
    snprintf(sql, sizeof sql, "SELECT x FROM \"%s\"", name);
    assert_string_equal(query_text(sql), "42");

    tbl_free(retyped);
    tbl_free(other);
    tbl_free(t);
    drop_table(name);
}

/* Values PostgreSQL refuses: a NUL byte (caught before sending) and a value
 * the server rejects while copying (reported at commit with the COPY line);
 * neither leaves a table or a row behind. */
static void rejected_values_leave_nothing(void **state)
{
    (void)state;
    const char *name = tname(0, "rejected");
    drop_table(name);
    ml_error err = {0};
    tbl_table *nul = tbl_create();
    assert_int_equal(tbl_add_column(nul, "s", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_resize(nul, 2, &err), ML_OK);
    assert_int_equal(tbl_set_str(nul, 0, 0, "ok", 2, &err), ML_OK);
    assert_int_equal(tbl_set_str(nul, 0, 1, "a\0b", 3, &err), ML_OK);
    int rc = write_table(name, SINK_FAIL, nul, &err);
    assert_error(rc, err, ML_EFORMAT, "row 2, column 's': the string holds a NUL byte");
    assert_false(table_exists(name));

    /* Appending bigints to an int4 column: the server says which COPY line. */
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE TABLE \"%s\" (n int4)", name);
    exec_sql(sql);
    tbl_table *big = tbl_create();
    assert_int_equal(tbl_add_column(big, "n", TBL_I64, &err), ML_OK);
    assert_int_equal(tbl_resize(big, 2, &err), ML_OK);
    tbl_set_i64(big, 0, 0, 1);
    tbl_set_i64(big, 0, 1, INT64_C(1) << 40);
    rc = write_table(name, SINK_APPEND, big, &err);
    assert_error(rc, err, ML_EDB, "out of range for type integer");
    assert_non_null(strstr(err.message, "line 2, column n"));
    assert_int_equal(count_rows(name), 0);

    tbl_free(big);
    tbl_free(nul);
    drop_table(name);
}

int main(void)
{
    if (!test_pg_uri(g_uri, sizeof g_uri))
        return 77;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips_every_type),
        cmocka_unit_test(maps_type_oids),
        cmocka_unit_test(streams_in_small_batches),
        cmocka_unit_test(writes_large_tables_in_chunks),
        cmocka_unit_test(bad_values_name_row_and_column),
        cmocka_unit_test(reader_errors),
        cmocka_unit_test(uri_and_connection_errors),
        cmocka_unit_test(sink_needs_a_table_and_columns),
        cmocka_unit_test(existing_table_fail_replace_append),
        cmocka_unit_test(abort_and_failure_leave_nothing),
        cmocka_unit_test(rejected_values_leave_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
