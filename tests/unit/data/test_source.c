/* Unit tests for src/data/source.c: URI dispatch and what may be shown of a URI. */
#include "test_util.h"

#include "data/source.h"

static void classifies_uris(void **state)
{
    (void)state;
    ml_error err = {0};
    src_kind kind;
    const char *loc;
    assert_int_equal(src_parse_uri("data/x.csv", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_CSV);
    assert_string_equal(loc, "data/x.csv");
    assert_int_equal(src_parse_uri("x.TSV.gz", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_CSV);
    assert_int_equal(src_parse_uri("a.train", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_CSV);
    assert_int_equal(src_parse_uri("agaricus.libsvm", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_LIBSVM);
    assert_int_equal(src_parse_uri("sqlite:/tmp/a.db", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_SQLITE);
    assert_string_equal(loc, "/tmp/a.db");
    assert_int_equal(src_parse_uri("sqlite:///tmp/a.db", &kind, &loc, &err), ML_OK);
    assert_string_equal(loc, "/tmp/a.db");
    assert_int_equal(src_parse_uri("postgresql://u@h/db", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_POSTGRES);
    assert_string_equal(loc, "postgresql://u@h/db");
    assert_int_equal(src_parse_uri("postgres://h/db", &kind, &loc, &err), ML_OK);
    assert_int_equal(kind, SRC_POSTGRES);
}

static void rejects_bad_uris(void **state)
{
    (void)state;
    ml_error err = {0};
    src_kind kind;
    const char *loc;
    int rc = src_parse_uri("", &kind, &loc, &err);
    assert_error(rc, err, ML_EINVAL, "empty data source");
    rc = src_parse_uri("s3://bucket/x.csv", &kind, &loc, &err);
    assert_error(rc, err, ML_EINVAL, "unsupported URI scheme 's3'");
    rc = src_parse_uri("sqlite:", &kind, &loc, &err);
    assert_error(rc, err, ML_EINVAL, "sqlite source without a path");
}

static void hides_passwords(void **state)
{
    (void)state;
    char buf[256];
    src_display_uri("postgresql://me:s3cret@db:5432/x", buf, sizeof buf);
    assert_string_equal(buf, "postgresql://me:***@db:5432/x");
    src_display_uri("postgresql://me@db/x", buf, sizeof buf);
    assert_string_equal(buf, "postgresql://me@db/x");
    src_display_uri("postgresql://db/x?user=a", buf, sizeof buf);
    assert_string_equal(buf, "postgresql://db/x?user=a");
    src_display_uri("file.csv", buf, sizeof buf);
    assert_string_equal(buf, "file.csv");
}

static void libsvm_cannot_be_written(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "a", TBL_F64, &err), ML_OK);
    sink_writer *w;
    int rc = sink_open("/tmp/never.svm", NULL, t, &w, &err);
    assert_error(rc, err, ML_EUNSUPPORTED, "cannot write LIBSVM");
    assert_int_equal(access("/tmp/never.svm", F_OK), -1);
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classifies_uris),
        cmocka_unit_test(rejects_bad_uris),
        cmocka_unit_test(hides_passwords),
        cmocka_unit_test(libsvm_cannot_be_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
