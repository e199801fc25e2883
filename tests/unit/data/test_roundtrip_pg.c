/* End-to-end round trip through every backend with the public source/sink
 * API: a mixed table in memory → CSV → SQLite → PostgreSQL → CSV, read back
 * with src_read_table after each hop and compared with tbl_equal.  Needs the
 * `postgres` CTest fixture ($MLOOP_PG_URI_FILE); skipped (exit 77) without. */
#include "test_data.h"

#include "data/source.h"

#include <libpq-fe.h>
#include <math.h>
#include <sys/stat.h>

static char g_uri[1024];
static char g_dir[512];

/* Values that survive every format unchanged: no NaN (CSV and SQLite read it
 * as null), no -0.0 (SQLite drops the sign), no empty or null-token strings
 * (CSV reads them as null), every float column with a fraction somewhere (so
 * CSV infers float), every string with a letter (so CSV infers string). */
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
    assert_int_equal(tbl_add_column(t, "odd \"name\", too", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_resize(t, n, &err), ML_OK);
    static const char *strs[] = {
        "plain",     "with, comma",         "quote \" and ' too", "\"fully quoted\"",
        "new\nline", "tab\there",           "back\\slash",        "\\N",
        "ünïcödé ✓", "comma,\"quote\"\nnl", "a\\tb\\nc",          "x;y|z",
    };
    static const double fs[] = {0.1,  -2.5e-300,  1e300, INFINITY, -INFINITY, 3.141592653589793,
                                -0.5, 123456.789, 1.0,   2.0};
    size_t nstr = sizeof strs / sizeof *strs, nf = sizeof fs / sizeof *fs;
    for (size_t r = 0; r < n; r++) {
        double f = fs[r % nf];
        tbl_set_f64(t, 0, r, isfinite(f) ? f * (double)(r + 1) : f);
        tbl_set_i64(t, 1, r,
                    r % 11 == 1   ? INT64_MIN + (int64_t)r
                    : r % 11 == 2 ? INT64_MAX - (int64_t)r
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

/* Writes t to uri (a table name for databases), reads it back, compares. */
static tbl_table *hop(const char *label, const char *uri, const char *table, const tbl_table *t)
{
    ml_error err = {0};
    sink_options so = {.table = table};
    if (sink_write_table(uri, &so, t, &err))
        fail_msg("%s: writing failed: %s", label, err.message);
    src_options opts = {.table = table};
    tbl_table *back = NULL;
    if (src_read_table(uri, &opts, &back, NULL, &err))
        fail_msg("%s: reading back failed: %s", label, err.message);
    char why[512];
    if (!tbl_equal(t, back, why, sizeof why))
        fail_msg("%s: the table read back differs: %s", label, why);
    return back;
}

static void drop_pg_table(const char *table)
{
    PGconn *conn = PQconnectdb(g_uri);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", g_uri, PQerrorMessage(conn));
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    char *quoted = PQescapeIdentifier(conn, table, strlen(table));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", quoted);
    PQfreemem(quoted);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

static void csv_sqlite_postgres_csv(void **state)
{
    (void)state;
    tbl_table *t = mixed_table(2500);
    char csv1[600], csv2[600], db[600], sqlite_uri[620], table[64];
    snprintf(csv1, sizeof csv1, "%s/x.csv", g_dir);
    snprintf(csv2, sizeof csv2, "%s/y.csv", g_dir);
    snprintf(db, sizeof db, "%s/x.db", g_dir);
    snprintf(sqlite_uri, sizeof sqlite_uri, "sqlite:%s", db);
    snprintf(table, sizeof table, "roundtrip_%d", (int)getpid());
    drop_pg_table(table);

    tbl_table *a = hop("csv", csv1, NULL, t);
    tbl_table *b = hop("sqlite", sqlite_uri, "t", a);
    tbl_table *c = hop("postgresql", g_uri, table, b);
    tbl_table *d = hop("csv again", csv2, NULL, c);

    /* The two CSV files are byte-identical. */
    FILE *f1 = fopen(csv1, "rb"), *f2 = fopen(csv2, "rb");
    assert_non_null(f1);
    assert_non_null(f2);
    int c1, c2;
    size_t at = 0;
    do {
        c1 = getc(f1);
        c2 = getc(f2);
        if (c1 != c2)
            fail_msg("%s and %s differ at byte %zu", csv1, csv2, at);
        at++;
    } while (c1 != EOF);
    fclose(f1);
    fclose(f2);

    /* Streaming through every backend gives the same rows, in small batches. */
    const char *uris[] = {csv1, sqlite_uri, g_uri};
    const char *tables[] = {NULL, "t", table};
    for (size_t k = 0; k < 3; k++) {
        ml_error err = {0};
        src_options opts = {.table = tables[k], .schema = t};
        src_reader *r;
        if (src_open(uris[k], &opts, &r, &err))
            fail_msg("%s: open failed: %s", uris[k], err.message);
        tbl_table *all = tbl_create();
        for (;;) {
            tbl_table *batch;
            if (src_next_batch(r, 97, &batch, &err))
                fail_msg("%s: batch failed: %s", uris[k], err.message);
            if (!batch)
                break;
            assert_true(tbl_nrows(batch) <= 97);
            assert_int_equal(tbl_append(all, batch, &err), ML_OK);
            tbl_free(batch);
        }
        src_close(r);
        char why[512];
        if (!tbl_equal(t, all, why, sizeof why))
            fail_msg("%s: streamed table differs: %s", uris[k], why);
        tbl_free(all);
    }

    /* A second write to the same database table is refused. */
    ml_error err = {0};
    sink_options so = {.table = table};
    int rc = sink_write_table(g_uri, &so, t, &err);
    assert_error(rc, err, ML_EINVAL, "already exists");
    so.if_exists = SINK_REPLACE;
    assert_int_equal(sink_write_table(g_uri, &so, a, &err), ML_OK);
    drop_pg_table(table);

    unlink(csv1);
    unlink(csv2);
    unlink(db);
    tbl_free(d);
    tbl_free(c);
    tbl_free(b);
    tbl_free(a);
    tbl_free(t);
}

int main(void)
{
    if (!test_pg_uri(g_uri, sizeof g_uri))
        return 77;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/mloop-roundtrip-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_sqlite_postgres_csv),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(g_dir);
    return failed;
}
