/* Unit tests for src/eval/metrics.c: every metric against scikit-learn's
 * value on the prediction sets of tests/fixtures/metrics/reference.txt
 * (made by make_reference.py), plus edge cases and the name registry. */
#include "test_util.h"

#include "eval/metrics.h"

#include <ctype.h>
#include <math.h>

static void read_doubles(FILE *f, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        if (fscanf(f, "%lf", &out[i]) != 1)
            fail_msg("fixture: expected %zu numbers", n);
}

static void assert_close(const char *set, const char *metric, double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want))))
        fail_msg("%s %s: got %.17g, scikit-learn %.17g", set, metric, got, want);
}

static void test_against_sklearn(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/metrics/reference.txt",
             getenv("MLOOP_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char name[64];
    size_t K, n, checked = 0;
    while (fscanf(f, "%63s %zu %zu", name, &K, &n) == 3) {
        double *y = malloc(n * sizeof *y), *p = malloc(n * K * sizeof *p), *w = NULL;
        read_doubles(f, n, y);
        read_doubles(f, n * K, p);
        char first[64];
        long pos = ftell(f);
        if (fscanf(f, "%63s", first) == 1 && strcmp(first, "-") != 0) {
            fseek(f, pos, SEEK_SET);
            w = malloc(n * sizeof *w);
            read_doubles(f, n, w);
        }
        char metric[64];
        double want;
        for (;;) {
            pos = ftell(f);
            if (fscanf(f, "%63s %lf", metric, &want) != 2 || isdigit((unsigned char)metric[0])) {
                fseek(f, pos, SEEK_SET);
                break;
            }
            /* The next block starts with a set name and two integers. */
            int c = fgetc(f);
            if (c != '\n' && c != EOF) {
                fseek(f, pos, SEEK_SET);
                break;
            }
            double got = NAN;
            if (!strcmp(metric, "auc"))
                got = met_auc(y, p, w, n);
            else if (!strcmp(metric, "average_precision"))
                got = met_average_precision(y, p, w, n);
            else if (!strcmp(metric, "logloss"))
                got = met_logloss_binary(y, p, w, n);
            else if (!strcmp(metric, "accuracy"))
                got = met_accuracy_binary(y, p, w, n);
            else if (!strcmp(metric, "multi_logloss"))
                got = met_logloss_multi(y, p, K, w, n);
            else if (!strcmp(metric, "multi_accuracy"))
                got = met_accuracy_multi(y, p, K, w, n);
            else if (!strcmp(metric, "rmse"))
                got = met_rmse(y, p, w, n);
            else if (!strcmp(metric, "mae"))
                got = met_mae(y, p, w, n);
            else if (!strcmp(metric, "r2"))
                got = met_r2(y, p, w, n);
            else if (!strcmp(metric, "poisson"))
                got = met_poisson_deviance(y, p, w, n);
            else if (!strcmp(metric, "quantile"))
                got = met_quantile_loss(y, p, w, n, 0.8);
            else
                fail_msg("fixture: unknown metric %s", metric);
            assert_close(name, metric, got, want);
            checked++;
        }
        free(y);
        free(p);
        free(w);
    }
    fclose(f);
    assert_true(checked >= 20);
}

static void test_edge_cases(void **state)
{
    (void)state;
    double y1[] = {1, 1, 1}, s[] = {0.2, 0.5, 0.9};
    assert_true(isnan(met_auc(y1, s, NULL, 3))); /* one class */
    assert_true(isnan(met_rmse(y1, s, NULL, 0)));
    double y[] = {0, 1, 0, 1}, perfect[] = {0.1, 0.9, 0.2, 0.8}, tied[] = {0.5, 0.5, 0.5, 0.5};
    assert_float_equal(met_auc(y, perfect, NULL, 4), 1.0, 0);
    assert_float_equal(met_auc(y, tied, NULL, 4), 0.5, 0);
    double neg[] = {-3, 2, -0.0, 1e300};
    assert_float_equal(met_auc(y, neg, NULL, 4), 1.0, 0); /* negative scores sort right */
    double zero[] = {0, 1, 0, 1};
    assert_true(met_logloss_binary(y, zero, NULL, 4) < 1e-12); /* clipped, finite */
    assert_true(isnan(met_r2(y1, s, NULL, 3)));
}

static void test_registry(void **state)
{
    (void)state;
    met_id id;
    ml_error err = {0};
    assert_int_equal(met_parse("auc", &id, &err), ML_OK);
    assert_int_equal(id, MET_AUC);
    assert_true(met_higher_is_better(id));
    assert_string_equal(met_name(MET_MULTI_LOGLOSS), "multi_logloss");
    assert_error(met_parse("f1", &id, &err), err, ML_EINVAL, "unknown metric 'f1'");
    assert_true(met_valid_for_task(MET_AUC, 0));
    assert_false(met_valid_for_task(MET_AUC, 2));
    assert_true(met_valid_for_task(MET_RMSE, 2));
    double y[] = {0, 1}, p[] = {0.25, 0.75};
    assert_float_equal(met_compute(MET_ERROR, y, p, 1, NULL, 2, 0), 0.0, 0);
    assert_float_equal(met_compute(MET_MAE, y, p, 1, NULL, 2, 0), 0.25, 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_sklearn),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
