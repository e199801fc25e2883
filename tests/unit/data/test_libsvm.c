/* Unit tests for src/data/libsvm.c: the format, every error message, the
 * streaming reader, reading against a schema, and the agaricus files. */
#include "test_util.h"

#include "data/libsvm.h"

#include <math.h>

static tbl_table *read_ok(const char *path)
{
    ml_error err = {0};
    tbl_table *t = NULL;
    int rc = libsvm_read_table(path, NULL, &t, &err);
    if (rc)
        fail_msg("libsvm_read_table(%s): %s", path, err.message);
    assert_non_null(t);
    return t;
}

static double cell(const tbl_table *t, const char *name, size_t row)
{
    int i = tbl_find(t, name);
    if (i < 0)
        fail_msg("no column '%s'", name);
    const tbl_column *c = tbl_col(t, (size_t)i);
    assert_int_equal(c->type, TBL_F64);
    assert_null(c->nulls);
    return c->data.f64[row];
}

/* Reads text that must fail; checks the code and the whole message, with
 * "@" in want standing for the file's path. */
static void expect_error(const char *text, int code, const char *want)
{
    const char *path = test_write_file(1, ".svm", text, strlen(text));
    ml_error err = {0};
    tbl_table *t = NULL;
    int rc = libsvm_read_table(path, NULL, &t, &err);
    char expected[1024];
    const char *at = strchr(want, '@');
    assert_non_null(at);
    snprintf(expected, sizeof expected, "%.*s%s%s", (int)(at - want), want, path, at + 1);
    if (rc != code || strcmp(err.message, expected) != 0)
        fail_msg("for %s: got %d '%s', want %d '%s'", text, rc, err.message, code, expected);
    assert_null(t);
    unlink(path);
}

static void reads_dense_columns(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(0, ".svm", "1 1:0.5 3:2\n0 2:-1.25e2\n");
    tbl_table *t = read_ok(path);
    assert_int_equal(tbl_nrows(t), 2);
    assert_int_equal(tbl_ncols(t), 4);
    assert_string_equal(tbl_col(t, 0)->name, "label");
    assert_string_equal(tbl_col(t, 1)->name, "f1");
    assert_string_equal(tbl_col(t, 2)->name, "f2");
    assert_string_equal(tbl_col(t, 3)->name, "f3");
    assert_true(cell(t, "label", 0) == 1.0);
    assert_true(cell(t, "label", 1) == 0.0);
    assert_true(cell(t, "f1", 0) == 0.5);
    assert_true(cell(t, "f2", 0) == 0.0); /* absent → 0, LIBSVM's convention */
    assert_true(cell(t, "f3", 0) == 2.0);
    assert_true(cell(t, "f1", 1) == 0.0);
    assert_true(cell(t, "f2", 1) == -125.0);
    assert_true(cell(t, "f3", 1) == 0.0);
    tbl_free(t);
    unlink(path);
}

static void columns_span_smallest_to_largest_index(void **state)
{
    (void)state;
    /* f6 never occurs but lies between 5 and 7; index 0 is a feature too. */
    const char *path = TEST_WRITE(0, ".svm", "2 5:1 7:3\n3 5:2\n");
    tbl_table *t = read_ok(path);
    assert_int_equal(tbl_ncols(t), 4);
    assert_string_equal(tbl_col(t, 1)->name, "f5");
    assert_string_equal(tbl_col(t, 2)->name, "f6");
    assert_string_equal(tbl_col(t, 3)->name, "f7");
    assert_true(cell(t, "f7", 0) == 3.0);
    assert_true(cell(t, "f6", 1) == 0.0);
    tbl_free(t);
    unlink(path);

    path = TEST_WRITE(0, ".svm", "1 0:4 2:1\n");
    t = read_ok(path);
    assert_int_equal(tbl_ncols(t), 4);
    assert_string_equal(tbl_col(t, 1)->name, "f0");
    assert_true(cell(t, "f0", 0) == 4.0);
    tbl_free(t);
    unlink(path);
}

static void accepts_qid_comments_blank_lines_and_crlf(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(0, ".svm",
                                  "# a header comment\r\n"
                                  "\r\n"
                                  "+1 qid:7 1:1.5 4:2 # trailing comment\r\n"
                                  "   \t  \n"
                                  "-1\tqid:7\t2:3   \n"
                                  "0.5 3:1e-3\n"
                                  "7\n" /* a row with no feature */
                                  "# done\n"
                                  "1 1:-inf 4:1"); /* no final newline */
    tbl_table *t = read_ok(path);
    assert_int_equal(tbl_nrows(t), 5);
    assert_int_equal(tbl_ncols(t), 5);
    assert_true(cell(t, "label", 0) == 1.0);
    assert_true(cell(t, "label", 1) == -1.0);
    assert_true(cell(t, "label", 2) == 0.5);
    assert_true(cell(t, "label", 3) == 7.0);
    assert_true(cell(t, "f1", 0) == 1.5);
    assert_true(cell(t, "f4", 0) == 2.0);
    assert_true(cell(t, "f2", 1) == 3.0);
    assert_true(cell(t, "f3", 2) == 1e-3);
    for (int f = 1; f <= 4; f++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", f);
        assert_true(cell(t, name, 3) == 0.0);
    }
    assert_true(isinf(cell(t, "f1", 4)) && cell(t, "f1", 4) < 0);
    tbl_free(t);
    unlink(path);
}

static void labels_only_give_one_column(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(0, ".svm", "1\n0 qid:3\n");
    tbl_table *t = read_ok(path);
    assert_int_equal(tbl_nrows(t), 2);
    assert_int_equal(tbl_ncols(t), 1);
    assert_true(cell(t, "label", 1) == 0.0);
    tbl_free(t);
    unlink(path);
}

static void reports_every_error_with_its_place(void **state)
{
    (void)state;
    expect_error("", ML_EFORMAT, "@: empty file");
    expect_error("# nothing\n\n  \n", ML_EFORMAT,
                 "@: no data lines (only blank lines and comments)");
    expect_error("1 1:1\nyes 2:1\n", ML_EFORMAT, "@:2:1: bad label 'yes'");
    expect_error("3:1 4:1\n", ML_EFORMAT, "@:1:1: bad label '3:1'");
    expect_error("1 1:1 5:1 3:1\n", ML_EFORMAT,
                 "@:1:11: feature index 3 is not greater than the previous one (5)");
    expect_error("1 2:1 2:1\n", ML_EFORMAT,
                 "@:1:7: feature index 2 is not greater than the previous one (2)");
    expect_error("1 1:1\n0  2\n", ML_EFORMAT, "@:2:4: expected idx:value, got '2'");
    expect_error("1 2:abc\n", ML_EFORMAT, "@:1:5: bad value 'abc' for feature 2");
    expect_error("1 2:\n", ML_EFORMAT, "@:1:5: bad value '' for feature 2");
    expect_error("1 2:1:3\n", ML_EFORMAT, "@:1:5: bad value '1:3' for feature 2");
    expect_error("1 -3:1\n", ML_EFORMAT, "@:1:3: negative feature index -3");
    expect_error("1 x3:1\n", ML_EFORMAT, "@:1:3: bad feature index in 'x3:1'");
    expect_error("1 :1\n", ML_EFORMAT, "@:1:3: missing feature index in ':1'");
    expect_error("1 qid:x 1:1\n", ML_EFORMAT, "@:1:3: bad query id 'qid:x'");
    /* qid is only recognised right after the label */
    expect_error("1 1:1 qid:2\n", ML_EFORMAT, "@:1:7: bad feature index in 'qid:2'");
    expect_error("1 10000001:1\n", ML_ELIMIT,
                 "@:1:3: feature index 10000001 is over the limit of 10000000 (LIBSVM_MAX_INDEX)");
    expect_error("1 99999999999999999999999:1\n", ML_ELIMIT,
                 "@:1:3: feature index 99999999999999999999999 is over the limit of 10000000 "
                 "(LIBSVM_MAX_INDEX)");
    /* long tokens are cut in the message */
    expect_error("1 1:1234567890123456789012345678901234567890xyz\n", ML_EFORMAT,
                 "@:1:5: bad value '1234567890123456789012345678901234567890…' for feature 1");
    /* CRLF: the column still counts bytes from the line start */
    expect_error("1 1:1\r\n0 1:2 bad\r\n", ML_EFORMAT, "@:2:7: expected idx:value, got 'bad'");
}

static void index_at_the_cap_is_accepted(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(0, ".svm", "1 9999999:1 10000000:2\n");
    tbl_table *t = read_ok(path);
    assert_int_equal(tbl_ncols(t), 3);
    assert_string_equal(tbl_col(t, 2)->name, "f10000000");
    tbl_free(t);
    unlink(path);
}

static void cannot_open_names_the_reason(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = NULL;
    int rc = libsvm_read_table("/nonexistent/dir/x.svm", NULL, &t, &err);
    assert_int_equal(rc, ML_EIO);
    assert_string_equal(err.message,
                        "/nonexistent/dir/x.svm: cannot open: No such file or directory");
    rc = libsvm_read_table("/tmp", NULL, &t, &err);
    assert_int_equal(rc, ML_EIO);
    assert_string_equal(err.message, "/tmp: cannot open: Is a directory");

    const src_reader_ops *ops = NULL;
    void *impl = NULL;
    rc = libsvm_reader_open("/nonexistent/dir/x.svm", NULL, &ops, &impl, &err);
    assert_int_equal(rc, ML_EIO);
    assert_null(impl);
}

static void streams_batches_of_max_rows(void **state)
{
    (void)state;
    const char *path = TEST_WRITE(0, ".svm", "1 1:1\n2 2:2\n3 1:3\n4 3:4\n5 2:5\n");
    ml_error err = {0};
    const src_reader_ops *ops = NULL;
    void *impl = NULL;
    assert_int_equal(libsvm_reader_open(path, NULL, &ops, &impl, &err), ML_OK);
    size_t sizes[4] = {0}, nbatches = 0;
    double label_sum = 0;
    for (;;) {
        tbl_table *b = NULL;
        assert_int_equal(ops->next_batch(impl, 2, &b, &err), ML_OK);
        if (!b)
            break;
        assert_true(nbatches < 4);
        assert_int_equal(tbl_ncols(b), 4); /* the whole file's schema in every batch */
        sizes[nbatches++] = tbl_nrows(b);
        for (size_t r = 0; r < tbl_nrows(b); r++)
            label_sum += cell(b, "label", r);
        tbl_free(b);
    }
    assert_int_equal(nbatches, 3);
    assert_int_equal(sizes[0], 2);
    assert_int_equal(sizes[1], 2);
    assert_int_equal(sizes[2], 1);
    assert_true(label_sum == 15.0);
    const src_report *rep = ops->report(impl);
    assert_int_equal(rep->rows_skipped, 0);
    ops->close(impl);
    unlink(path);
}

static tbl_table *schema_of(const char *const *names, size_t n, tbl_type type)
{
    ml_error err = {0};
    tbl_table *s = tbl_create();
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tbl_add_column(s, names[i], type, &err), ML_OK);
    return s;
}

static void reads_against_a_schema(void **state)
{
    (void)state;
    const char *names[] = {"label", "f1", "f2", "f9"};
    tbl_table *schema = schema_of(names, 4, TBL_F64);
    src_options opts = {.schema = schema};
    ml_error err = {0};
    tbl_table *t = NULL;

    const char *path = TEST_WRITE(0, ".svm", "1 2:5\n0 1:1 9:2\n");
    assert_int_equal(libsvm_read_table(path, &opts, &t, &err), ML_OK);
    assert_int_equal(tbl_ncols(t), 4);
    assert_string_equal(tbl_col(t, 3)->name, "f9");
    assert_true(cell(t, "f2", 0) == 5.0);
    assert_true(cell(t, "f9", 0) == 0.0);
    assert_true(cell(t, "f9", 1) == 2.0);
    assert_true(cell(t, "label", 1) == 0.0);
    tbl_free(t);

    path = TEST_WRITE(0, ".svm", "1 2:5\n0 1:1 3:2\n");
    int rc = libsvm_read_table(path, &opts, &t, &err);
    char want[512];
    snprintf(want, sizeof want, "%s:2:7: feature index 3 is not in the schema (no column f3)",
             path);
    assert_int_equal(rc, ML_EFORMAT);
    assert_string_equal(err.message, want);
    tbl_free(schema);

    const char *bad_names[] = {"label", "x"};
    schema = schema_of(bad_names, 2, TBL_F64);
    opts.schema = schema;
    rc = libsvm_read_table(path, &opts, &t, &err);
    assert_error(rc, err, ML_EINVAL,
                 "schema column 'x' cannot come from a LIBSVM file (label or f<idx>, idx at "
                 "most 10000000)");
    tbl_free(schema);

    const char *int_names[] = {"label"};
    schema = schema_of(int_names, 1, TBL_I64);
    opts.schema = schema;
    rc = libsvm_read_table(path, &opts, &t, &err);
    assert_error(rc, err, ML_EINVAL, "schema column 'label' is int; LIBSVM columns are float");
    tbl_free(schema);

    /* no label in the schema: features only, in the schema's order */
    path = TEST_WRITE(0, ".svm", "1 1:5\n0 1:1 3:2\n");
    const char *feat_names[] = {"f3", "f1"};
    schema = schema_of(feat_names, 2, TBL_F64);
    opts.schema = schema;
    assert_int_equal(libsvm_read_table(path, &opts, &t, &err), ML_OK);
    assert_int_equal(tbl_ncols(t), 2);
    assert_string_equal(tbl_col(t, 0)->name, "f3");
    assert_true(cell(t, "f3", 1) == 2.0);
    tbl_free(t);
    tbl_free(schema);
    unlink(path);
}

static void check_agaricus(const char *dir, const char *file, size_t rows, double label_sum,
                           double value_sum)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    tbl_table *t = read_ok(path);
    assert_int_equal(tbl_nrows(t), rows);
    /* label + f1..f126: the files' indices run from 1 to 126 */
    assert_int_equal(tbl_ncols(t), 127);
    assert_string_equal(tbl_col(t, 1)->name, "f1");
    assert_string_equal(tbl_col(t, 126)->name, "f126");
    double ls = 0, vs = 0;
    for (size_t r = 0; r < rows; r++)
        ls += tbl_col(t, 0)->data.f64[r];
    for (size_t c = 1; c < tbl_ncols(t); c++)
        for (size_t r = 0; r < rows; r++)
            vs += tbl_col(t, c)->data.f64[r];
    assert_true(ls == label_sum);
    assert_true(vs == value_sum);
    tbl_free(t);
}

static void reads_agaricus(void **state)
{
    (void)state;
    const char *dir = test_shared_data();
    if (!dir)
        skip();
    check_agaricus(dir, "agaricus.train.libsvm", 6513, 3140, 143286);
    check_agaricus(dir, "agaricus.test.libsvm", 1611, 776, 35442);

    char path[1024];
    snprintf(path, sizeof path, "%s/agaricus.train.libsvm", dir);
    tbl_table *t = read_ok(path);
    /* first line: "1 3:1 10:1 11:1 21:1 …" */
    assert_true(cell(t, "label", 0) == 1.0);
    assert_true(cell(t, "f3", 0) == 1.0);
    assert_true(cell(t, "f10", 0) == 1.0);
    assert_true(cell(t, "f1", 0) == 0.0);
    assert_true(cell(t, "f4", 0) == 0.0);
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_dense_columns),
        cmocka_unit_test(columns_span_smallest_to_largest_index),
        cmocka_unit_test(accepts_qid_comments_blank_lines_and_crlf),
        cmocka_unit_test(labels_only_give_one_column),
        cmocka_unit_test(reports_every_error_with_its_place),
        cmocka_unit_test(index_at_the_cap_is_accepted),
        cmocka_unit_test(cannot_open_names_the_reason),
        cmocka_unit_test(streams_batches_of_max_rows),
        cmocka_unit_test(reads_against_a_schema),
        cmocka_unit_test(reads_agaricus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
