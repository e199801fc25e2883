/* Unit tests for src/data/synth.c: the generated data is deterministic and untidy as promised. */
#include "test_util.h"

#include "data/synth.h"

static void same_seed_same_table(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *a, *b, *c;
    assert_int_equal(synth_customers(2000, 7, &a, &err), ML_OK);
    assert_int_equal(synth_customers(2000, 7, &b, &err), ML_OK);
    assert_int_equal(synth_customers(2000, 8, &c, &err), ML_OK);
    assert_true(tbl_equal(a, b, NULL, 0));
    assert_false(tbl_equal(a, c, NULL, 0));
    tbl_free(a);
    tbl_free(b);
    tbl_free(c);
}

static void has_nulls_outliers_and_a_learnable_label(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t;
    assert_int_equal(synth_customers(20000, 42, &t, &err), ML_OK);
    assert_int_equal(tbl_ncols(t), 12);
    const tbl_column *age = tbl_col(t, (size_t)tbl_find(t, "age"));
    const tbl_column *total = tbl_col(t, (size_t)tbl_find(t, "total_charges"));
    assert_true(age->null_count > 300 && age->null_count < 900);
    assert_true(total->null_count > 100);
    const tbl_column *monthly = tbl_col(t, (size_t)tbl_find(t, "monthly_charges"));
    size_t outliers = 0;
    for (size_t r = 0; r < tbl_nrows(t); r++)
        outliers += monthly->data.f64[r] > 500;
    assert_true(outliers > 20 && outliers < 250);
    const tbl_column *churned = tbl_col(t, (size_t)tbl_find(t, "churned"));
    int32_t yes = tbl_dict_find(churned->dict, "yes", 3);
    const tbl_column *tenure = tbl_col(t, (size_t)tbl_find(t, "tenure_months"));
    size_t churn = 0, churn_short = 0, n_short = 0;
    for (size_t r = 0; r < tbl_nrows(t); r++) {
        bool is_yes = churned->data.code[r] == yes;
        churn += is_yes;
        if (tenure->data.i64[r] < 12) {
            n_short++;
            churn_short += is_yes;
        }
    }
    double rate = (double)churn / (double)tbl_nrows(t);
    assert_true(rate > 0.1 && rate < 0.5);
    /* Short-tenure customers churn more: the label depends on the features. */
    assert_true((double)churn_short / (double)n_short > rate * 1.3);
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_table),
        cmocka_unit_test(has_nulls_outliers_and_a_learnable_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
