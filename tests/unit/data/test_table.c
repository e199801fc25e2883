/* Unit tests for src/data/table.c: columns, dictionaries, append, equality. */
#include "test_util.h"

#include "data/table.h"

static void dictionary_interns_once(void **state)
{
    (void)state;
    tbl_dict *d = tbl_dict_create();
    assert_non_null(d);
    assert_int_equal(tbl_dict_intern(d, "a", 1), 0);
    assert_int_equal(tbl_dict_intern(d, "b", 1), 1);
    assert_int_equal(tbl_dict_intern(d, "a", 1), 0);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(tbl_dict_intern(d, key, (size_t)n), i + 2);
    }
    assert_int_equal(tbl_dict_find(d, "k9999", 5), 10001);
    assert_int_equal(tbl_dict_find(d, "zz", 2), -1);
    size_t len;
    assert_string_equal(tbl_dict_get(d, 1, &len), "b");
    assert_int_equal(tbl_dict_size(d), 10002);
    tbl_dict_free(d);
}

static tbl_table *small_table(void)
{
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "x", TBL_F64, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "name", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "when", TBL_DATE, &err), ML_OK);
    assert_int_equal(tbl_resize(t, 3, &err), ML_OK);
    tbl_set_f64(t, 0, 0, 1.5);
    assert_int_equal(tbl_set_null(t, 0, 1, &err), ML_OK);
    tbl_set_f64(t, 0, 2, -2);
    assert_int_equal(tbl_set_str(t, 1, 0, "alpha", 5, &err), ML_OK);
    assert_int_equal(tbl_set_str(t, 1, 1, "beta", 4, &err), ML_OK);
    assert_int_equal(tbl_set_str(t, 1, 2, "alpha", 5, &err), ML_OK);
    tbl_set_date(t, 2, 0, 0);
    tbl_set_date(t, 2, 1, 365);
    assert_int_equal(tbl_set_null(t, 2, 2, &err), ML_OK);
    return t;
}

static void builds_rows_with_nulls(void **state)
{
    (void)state;
    tbl_table *t = small_table();
    assert_int_equal(tbl_nrows(t), 3);
    const tbl_column *x = tbl_col(t, 0);
    assert_int_equal(x->null_count, 1);
    assert_true(tbl_is_null(x, 1));
    assert_false(tbl_is_null(x, 0));
    assert_int_equal(tbl_dict_size(tbl_col(t, 1)->dict), 2);
    assert_int_equal(tbl_find(t, "when"), 2);
    assert_int_equal(tbl_find(t, "nope"), -1);
    char buf[TBL_CELL_TEXT_MAX];
    const char *text;
    assert_int_equal(tbl_cell_text(tbl_col(t, 2), 1, buf, &text), 10);
    assert_string_equal(text, "1971-01-01");
    tbl_free(t);
}

static void rejects_duplicate_and_empty_names(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "a", TBL_I64, &err), ML_OK);
    int rc = tbl_add_column(t, "a", TBL_F64, &err);
    assert_error(rc, err, ML_EINVAL, "duplicate column name 'a'");
    rc = tbl_add_column(t, "", TBL_F64, &err);
    assert_error(rc, err, ML_EINVAL, "empty name");
    tbl_free(t);
}

static void appends_and_slices(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *a = small_table(), *b = small_table();
    tbl_table *all = tbl_create();
    assert_int_equal(tbl_append(all, a, &err), ML_OK);
    assert_int_equal(tbl_append(all, b, &err), ML_OK);
    assert_int_equal(tbl_nrows(all), 6);
    assert_int_equal(tbl_col(all, 0)->null_count, 2);
    tbl_table *tail;
    assert_int_equal(tbl_slice(all, 3, 6, &tail, &err), ML_OK);
    char why[256];
    assert_true(tbl_equal(tail, a, why, sizeof why));
    tbl_set_f64(tail, 0, 2, 9);
    assert_false(tbl_equal(tail, a, why, sizeof why));
    assert_non_null(strstr(why, "column 'x' row 3"));
    tbl_table *wrong = tbl_create();
    assert_int_equal(tbl_add_column(wrong, "y", TBL_F64, &err), ML_OK);
    int rc = tbl_append(all, wrong, &err);
    assert_error(rc, err, ML_EINVAL, "cannot append");
    tbl_free(wrong);
    tbl_free(tail);
    tbl_free(all);
    tbl_free(a);
    tbl_free(b);
}

static void adopts_prepared_arrays(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = tbl_create();
    double *v = malloc(4 * sizeof *v);
    uint8_t *nulls = calloc(4, 1);
    nulls[3] = 1;
    assert_int_equal(tbl_adopt_column(t, "v", TBL_F64, v, nulls, NULL, 4, &err), ML_OK);
    assert_int_equal(tbl_col(t, 0)->null_count, 1);
    int64_t *w = calloc(3, sizeof *w);
    int rc = tbl_adopt_column(t, "w", TBL_I64, w, NULL, NULL, 3, &err);
    assert_error(rc, err, ML_EINTERNAL, "3 rows");
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dictionary_interns_once),
        cmocka_unit_test(builds_rows_with_nulls),
        cmocka_unit_test(rejects_duplicate_and_empty_names),
        cmocka_unit_test(appends_and_slices),
        cmocka_unit_test(adopts_prepared_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
