/* Unit tests for src/eval/split.c: sizes, stratification, time order,
 * groups kept whole, determinism and the errors. */
#include "test_util.h"

#include "eval/split.h"

#include <math.h>

static tbl_table *table(size_t n)
{
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "when", TBL_DATE, &err);
    tbl_add_column(t, "user", TBL_STR, &err);
    tbl_resize(t, n, &err);
    for (size_t r = 0; r < n; r++) {
        tbl_set_date(t, 0, r, (int32_t)((r * 7919) % n)); /* a permutation of days */
        char u[16];
        int len = snprintf(u, sizeof u, "u%zu", r % 37);
        tbl_set_str(t, 1, r, u, (size_t)len, &err);
    }
    return t;
}

static void test_random_sizes_and_order(void **state)
{
    (void)state;
    tbl_table *t = table(1000);
    spl_spec s = {.method = SPL_RANDOM, .test = 0.2, .seed = 42};
    spl_result a, b;
    ml_error err = {0};
    assert_int_equal(spl_split(t, &s, &a, &err), ML_OK);
    assert_int_equal(a.ntest, 200);
    assert_int_equal(a.ntrain, 800);
    for (size_t i = 1; i < a.ntest; i++)
        assert_true(a.test[i] > a.test[i - 1]);
    assert_int_equal(spl_split(t, &s, &b, &err), ML_OK);
    assert_memory_equal(a.test, b.test, a.ntest * sizeof *a.test);
    spl_result_free(&b);
    s.seed = 43;
    assert_int_equal(spl_split(t, &s, &b, &err), ML_OK);
    assert_true(memcmp(a.test, b.test, a.ntest * sizeof *a.test) != 0);
    spl_result_free(&a);
    spl_result_free(&b);
    tbl_free(t);
}

static void test_stratified_keeps_class_shares(void **state)
{
    (void)state;
    enum { N = 1003 };
    double y[N];
    for (size_t r = 0; r < N; r++)
        y[r] = r % 10 == 0 ? 1 : r % 10 < 4 ? 2 : 0; /* 10 %, 30 %, 60 % */
    y[N - 1] = 3;                                   /* a class of one row stays in training */
    spl_spec s = {.method = SPL_STRATIFIED, .test = 0.25, .seed = 1, .y = y, .nclasses = 4};
    spl_result res;
    ml_error err = {0};
    assert_int_equal(spl_split_rows(N, &s, &res, &err), ML_OK);
    size_t all[4] = {0}, test[4] = {0};
    for (size_t r = 0; r < N; r++)
        all[(size_t)y[r]]++;
    for (size_t i = 0; i < res.ntest; i++)
        test[(size_t)y[res.test[i]]]++;
    for (size_t k = 0; k < 3; k++)
        assert_true(fabs((double)test[k] - 0.25 * (double)all[k]) <= 1.0);
    assert_int_equal(test[3], 0);
    spl_result_free(&res);
}

static void test_time_puts_the_latest_rows_in_test(void **state)
{
    (void)state;
    tbl_table *t = table(500);
    spl_spec s = {.method = SPL_TIME, .test = 0.1, .column = "when"};
    spl_result res;
    ml_error err = {0};
    assert_int_equal(spl_split(t, &s, &res, &err), ML_OK);
    assert_int_equal(res.ntest, 50);
    const tbl_column *c = tbl_col(t, 0);
    int32_t newest_train = INT32_MIN, oldest_test = INT32_MAX;
    for (size_t i = 0; i < res.ntrain; i++)
        newest_train = c->data.date[res.train[i]] > newest_train ? c->data.date[res.train[i]]
                                                                 : newest_train;
    for (size_t i = 0; i < res.ntest; i++)
        oldest_test = c->data.date[res.test[i]] < oldest_test ? c->data.date[res.test[i]]
                                                              : oldest_test;
    assert_true(newest_train < oldest_test);
    spl_result_free(&res);
    tbl_free(t);
}

static void test_group_keeps_groups_whole(void **state)
{
    (void)state;
    tbl_table *t = table(740);
    spl_spec s = {.method = SPL_GROUP, .test = 0.3, .seed = 5, .column = "user"};
    spl_result res;
    ml_error err = {0};
    assert_int_equal(spl_split(t, &s, &res, &err), ML_OK);
    assert_true(res.ntest >= 222 && res.ntest < 740);
    const tbl_column *c = tbl_col(t, 1);
    uint8_t side[64] = {0};
    for (size_t i = 0; i < res.ntest; i++)
        side[c->data.code[res.test[i]]] = 1;
    for (size_t i = 0; i < res.ntrain; i++)
        assert_int_equal(side[c->data.code[res.train[i]]], 0);
    spl_result_free(&res);
    tbl_free(t);
}

static void test_errors(void **state)
{
    (void)state;
    tbl_table *t = table(10);
    spl_result res;
    ml_error err = {0};
    spl_spec s = {.method = SPL_TIME, .test = 0.2, .column = "nope"};
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message, "split column 'nope' not found in the data");
    s.column = "user";
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message,
                        "split column 'user' is text; a time split needs a date, timestamp or "
                        "number");
    s = (spl_spec){.method = SPL_RANDOM, .test = 0.01};
    tbl_free(t);
    t = table(3);
    assert_int_equal(spl_split(t, &s, &res, &err), ML_OK); /* ceil: one test row */
    assert_int_equal(res.ntest, 1);
    spl_result_free(&res);
    s.test = 0.99;
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message,
                        "splitting 3 rows with test share 0.99 leaves the training part empty");
    s.test = 1.5;
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message, "the test share must be in (0, 1), got 1.5");
    s = (spl_spec){.method = SPL_GROUP, .test = 0.5, .column = "when"};
    tbl_free(t);
    t = tbl_create();
    tbl_add_column(t, "when", TBL_F64, &err);
    tbl_resize(t, 4, &err);
    assert_int_equal(spl_split(t, &s, &res, &err), ML_EINVAL);
    assert_string_equal(err.message,
                        "split column 'when' has a single group: a group split needs at least two");
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sizes_and_order),
        cmocka_unit_test(test_stratified_keeps_class_shares),
        cmocka_unit_test(test_time_puts_the_latest_rows_in_test),
        cmocka_unit_test(test_group_keeps_groups_whole),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
