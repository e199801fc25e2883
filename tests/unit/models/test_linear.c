/* Unit tests for src/models/linear: regression solvers against exact and
 * closed-form answers, logistic regression against scikit-learn's
 * coefficients (tests/fixtures/linear, made by make_reference.py), encoding,
 * serialization and parameter errors. */
#include "test_util.h"

#include "core/rng.h"
#include "models/linear/linear.h"

#include <math.h>

/* A hand-built schema and frame (frame.c builds them from tables). */
typedef struct fixture {
    mdl_schema s;
    mdl_feature f[8];
    mdl_frame X;
    double *cols[8];
    double *y;
} fixture;

static void fx_init(fixture *fx, mdl_task task, size_t nclasses, size_t nrows, size_t nnum,
                    const char *const *cats, size_t ncat)
{
    static const char *names[] = {"x1", "x2", "x3", "x4", "x5", "x6", "x7"};
    memset(fx, 0, sizeof *fx);
    size_t nf = nnum + (ncat ? 1 : 0);
    for (size_t j = 0; j < nnum; j++)
        fx->f[j].name = (char *)names[j];
    if (ncat) {
        fx->f[nnum].name = (char *)"plan";
        fx->f[nnum].categorical = true;
        fx->f[nnum].categories = tbl_dict_create();
        for (size_t c = 0; c < ncat; c++)
            tbl_dict_intern(fx->f[nnum].categories, cats[c], strlen(cats[c]));
    }
    fx->s.nfeatures = nf;
    fx->s.features = fx->f;
    fx->s.task = task;
    fx->s.nclasses = nclasses;
    fx->X.nrows = nrows;
    fx->X.ncols = nf;
    fx->X.cols = fx->cols;
    for (size_t j = 0; j < nf; j++)
        fx->cols[j] = calloc(nrows, sizeof(double));
    fx->y = calloc(nrows, sizeof(double));
}

static void fx_free(fixture *fx)
{
    for (size_t j = 0; j < fx->s.nfeatures; j++) {
        free(fx->cols[j]);
        if (fx->f[j].categories)
            tbl_dict_free(fx->f[j].categories);
    }
    free(fx->y);
}

static lin_model *fit_ok(fixture *fx, const param_kv *kv, size_t nkv, int threads)
{
    ml_error err = {0};
    lin_model *m = NULL;
    int rc = lin_fit(&fx->s, &fx->X, fx->y, NULL, kv, nkv, threads, &m, &err);
    if (rc)
        fail_msg("lin_fit: %s", err.message);
    return m;
}

static double predict1(const lin_model *m, const fixture *fx, size_t i)
{
    double row[8], out[8];
    for (size_t j = 0; j < fx->s.nfeatures; j++)
        row[j] = fx->cols[j][i];
    lin_predict_raw(m, row, out);
    return out[0];
}

static void ols_fits_exactly(void **state)
{
    (void)state;
    const char *cats[] = {"basic", "gold", "silver"};
    fixture fx;
    fx_init(&fx, MDL_TASK_REGRESSION, 0, 200, 2, cats, 3);
    ml_rng r;
    ml_rng_seed(&r, 1);
    const double eff[] = {0.0, 1.5, -1.0};
    for (size_t i = 0; i < 200; i++) {
        fx.cols[0][i] = 40 + 10 * ml_rng_normal(&r);
        fx.cols[1][i] = 0.001 * ml_rng_normal(&r);
        fx.cols[2][i] = (double)(i % 3);
        fx.y[i] = 3 + 2 * fx.cols[0][i] - 500 * fx.cols[1][i] + eff[i % 3];
    }
    lin_model *m = fit_ok(&fx, NULL, 0, 1);
    assert_int_equal(lin_num_terms(m), 5);
    assert_int_equal(lin_noutputs(m), 1);
    assert_true(fabs(lin_coefficient(m, 0, 0) - 2) < 1e-8);
    assert_true(fabs(lin_coefficient(m, 0, 1) + 500) < 1e-5);
    /* Full one-hot is collinear with the intercept: only differences of the
     * category coefficients are identified. */
    double gold = lin_coefficient(m, 0, 3) - lin_coefficient(m, 0, 2);
    double silver = lin_coefficient(m, 0, 4) - lin_coefficient(m, 0, 2);
    assert_true(fabs(gold - 1.5) < 1e-8 && fabs(silver + 1) < 1e-8);
    for (size_t i = 0; i < 200; i += 17)
        assert_true(fabs(predict1(m, &fx, i) - fx.y[i]) < 1e-8);
    char name[32];
    assert_string_equal(lin_term_name(m, 3, name, sizeof name), "plan=gold");
    assert_string_equal(lin_term_name(m, 1, name, sizeof name), "x2");
    lin_free(m);
    fx_free(&fx);
}

static void no_intercept_passes_through_origin(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx, MDL_TASK_REGRESSION, 0, 50, 1, NULL, 0);
    for (size_t i = 0; i < 50; i++) {
        fx.cols[0][i] = 10 + (double)(i % 7);
        fx.y[i] = 2 * fx.cols[0][i];
    }
    param_kv kv[] = {{"fit_intercept", "false"}};
    lin_model *m = fit_ok(&fx, kv, 1, 1);
    assert_true(lin_intercept(m, 0) == 0.0);
    assert_true(fabs(lin_coefficient(m, 0, 0) - 2) < 1e-10);
    lin_free(m);
    fx_free(&fx);
}

static void ridge_matches_closed_form(void **state)
{
    (void)state;
    fixture fx;
    size_t n = 300;
    fx_init(&fx, MDL_TASK_REGRESSION, 0, n, 2, NULL, 0);
    ml_rng r;
    ml_rng_seed(&r, 2);
    for (size_t i = 0; i < n; i++) {
        fx.cols[0][i] = 5 + 2 * ml_rng_normal(&r);
        fx.cols[1][i] = 0.5 * fx.cols[0][i] + ml_rng_normal(&r);
        fx.y[i] = 1 + fx.cols[0][i] - 3 * fx.cols[1][i] + ml_rng_normal(&r);
    }
    /* Closed form on the standardized inputs: (ZᵀZ/n + αI)β = Zᵀ(y − ȳ)/n. */
    double mean[2] = {0}, sd[2] = {0}, ybar = 0;
    for (size_t i = 0; i < n; i++) {
        mean[0] += fx.cols[0][i] / n;
        mean[1] += fx.cols[1][i] / n;
        ybar += fx.y[i] / n;
    }
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 2; j++)
            sd[j] += pow(fx.cols[j][i] - mean[j], 2) / n;
    sd[0] = sqrt(sd[0]);
    sd[1] = sqrt(sd[1]);
    double alpha = 0.7, a = alpha, b = 0, d = alpha, c0 = 0, c1 = 0;
    for (size_t i = 0; i < n; i++) {
        double z0 = (fx.cols[0][i] - mean[0]) / sd[0], z1 = (fx.cols[1][i] - mean[1]) / sd[1];
        a += z0 * z0 / n;
        b += z0 * z1 / n;
        d += z1 * z1 / n;
        c0 += z0 * (fx.y[i] - ybar) / n;
        c1 += z1 * (fx.y[i] - ybar) / n;
    }
    double det = a * d - b * b;
    double beta0 = (d * c0 - b * c1) / det, beta1 = (a * c1 - b * c0) / det;
    param_kv kv[] = {{"penalty", "l2"}, {"alpha", "0.7"}};
    lin_model *m = fit_ok(&fx, kv, 2, 1);
    assert_true(fabs(lin_coefficient(m, 0, 0) - beta0 / sd[0]) < 1e-10);
    assert_true(fabs(lin_coefficient(m, 0, 1) - beta1 / sd[1]) < 1e-10);
    double icpt = ybar - beta0 / sd[0] * mean[0] - beta1 / sd[1] * mean[1];
    assert_true(fabs(lin_intercept(m, 0) - icpt) < 1e-9);
    lin_free(m);
    /* The same objective through coordinate descent (l1_ratio 0 → no L1,
     * so force CD with a tiny L1 part and compare loosely). */
    param_kv kv2[] = {
        {"penalty", "elasticnet"}, {"alpha", "0.7"}, {"l1_ratio", "1e-9"}, {"tol", "1e-12"}};
    m = fit_ok(&fx, kv2, 4, 1);
    assert_true(fabs(lin_coefficient(m, 0, 0) - beta0 / sd[0]) < 1e-6);
    assert_true(fabs(lin_coefficient(m, 0, 1) - beta1 / sd[1]) < 1e-6);
    lin_free(m);
    fx_free(&fx);
}

static void lasso_zeroes_irrelevant_inputs(void **state)
{
    (void)state;
    fixture fx;
    size_t n = 500;
    fx_init(&fx, MDL_TASK_REGRESSION, 0, n, 5, NULL, 0);
    ml_rng r;
    ml_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 5; j++)
            fx.cols[j][i] = ml_rng_normal(&r) * (j + 1);
        fx.y[i] = 2 * fx.cols[0][i] - fx.cols[2][i] + 0.1 * ml_rng_normal(&r);
    }
    param_kv kv[] = {{"penalty", "l1"}, {"alpha", "0.1"}};
    lin_model *m = fit_ok(&fx, kv, 2, 1);
    assert_true(lin_coefficient(m, 0, 0) > 1.5);
    assert_true(lin_coefficient(m, 0, 2) < -0.5);
    assert_true(lin_coefficient(m, 0, 1) == 0.0);
    assert_true(lin_coefficient(m, 0, 3) == 0.0);
    assert_true(lin_coefficient(m, 0, 4) == 0.0);
    lin_free(m);
    fx_free(&fx);
}

/* ---- logistic against scikit-learn ---------------------------------------- */

static FILE *open_reference(void)
{
    const char *src = getenv("MLOOP_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/linear/logistic_reference.txt",
             src ? src : "..");
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f)); /* comment */
    return f;
}

static void read_reference(FILE *f, const char *tag, double *C, double *v, size_t nv)
{
    char got[16];
    assert_int_equal(fscanf(f, "%15s %lf", got, C), 2);
    assert_string_equal(got, tag);
    for (size_t i = 0; i < nv; i++)
        assert_int_equal(fscanf(f, "%lf", &v[i]), 1);
}

static void check_coefs(const lin_model *m, size_t k, const double *ref, size_t nterms, double tol)
{
    double scale = 1;
    for (size_t t = 0; t <= nterms; t++)
        scale = fmax(scale, fabs(ref[t]));
    double got = lin_intercept(m, k);
    if (fabs(got - ref[0]) > tol * scale)
        fail_msg("output %zu intercept %.10g, sklearn %.10g", k, got, ref[0]);
    for (size_t t = 0; t < nterms; t++) {
        got = lin_coefficient(m, k, t);
        if (fabs(got - ref[1 + t]) > tol * fmax(1, fabs(ref[1 + t])))
            fail_msg("output %zu term %zu: %.10g, sklearn %.10g", k, t, got, ref[1 + t]);
    }
}

static void binary_logistic_matches_sklearn(void **state)
{
    (void)state;
    FILE *f = open_reference();
    size_t n = 0;
    assert_int_equal(fscanf(f, "binary %zu", &n), 1);
    const char *cats[] = {"a", "b", "c"};
    fixture fx;
    fx_init(&fx, MDL_TASK_BINARY, 2, n, 3, cats, 3);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 4; j++)
            assert_int_equal(fscanf(f, "%lf", &fx.cols[j][i]), 1);
        assert_int_equal(fscanf(f, "%lf", &fx.y[i]), 1);
    }
    double C, ref[7];
    read_reference(f, "l2", &C, ref, 7);
    param_kv kv[] = {{"C", "1"}, {"tol", "1e-9"}, {"max_iter", "1000"}};
    lin_model *m = fit_ok(&fx, kv, 3, 2);
    check_coefs(m, 0, ref, 6, 1e-5);
    lin_free(m);

    read_reference(f, "l1", &C, ref, 7);
    param_kv kv1[] = {{"penalty", "l1"}, {"C", "0.05"}, {"tol", "1e-10"}, {"max_iter", "1000"}};
    m = fit_ok(&fx, kv1, 4, 1);
    check_coefs(m, 0, ref, 6, 1e-4);
    for (size_t t = 0; t < 6; t++)
        if (ref[1 + t] == 0)
            assert_true(lin_coefficient(m, 0, t) == 0.0);
    lin_free(m);
    fx_free(&fx);

    assert_int_equal(fscanf(f, " multi %zu", &n), 1);
    size_t K = 0;
    assert_int_equal(fscanf(f, "%zu", &K), 1);
    fx_init(&fx, MDL_TASK_MULTICLASS, K, n, 2, NULL, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fscanf(f, "%lf %lf %lf", &fx.cols[0][i], &fx.cols[1][i], &fx.y[i]), 3);
    param_kv kvm[] = {{"C", "0.5"}, {"tol", "1e-9"}, {"max_iter", "1000"}};
    m = fit_ok(&fx, kvm, 3, 2);
    assert_int_equal(lin_noutputs(m), K);
    for (size_t k = 0; k < K; k++) {
        read_reference(f, "l2", &C, ref, 3);
        check_coefs(m, k, ref, 2, 1e-5);
    }
    /* Softmax of the raw outputs: probabilities that sum to 1. */
    for (size_t i = 0; i < n; i += 7) {
        double row[2] = {fx.cols[0][i], fx.cols[1][i]}, out[3], sum = 0, mx = -INFINITY;
        lin_predict_raw(m, row, out);
        for (size_t k = 0; k < K; k++)
            mx = fmax(mx, out[k]);
        for (size_t k = 0; k < K; k++)
            sum += exp(out[k] - mx);
        double total = 0;
        for (size_t k = 0; k < K; k++)
            total += exp(out[k] - mx) / sum;
        assert_true(fabs(total - 1) < 1e-12);
    }
    lin_free(m);
    /* L1 multinomial runs and gives finite, sparse-capable output. */
    param_kv kvm1[] = {{"penalty", "elasticnet"}, {"C", "0.05"}, {"l1_ratio", "0.9"}};
    m = fit_ok(&fx, kvm1, 3, 1);
    assert_true(isfinite(lin_coefficient(m, 2, 1)));
    lin_free(m);
    fx_free(&fx);
    fclose(f);
}

/* Same model bit for bit with 1 and 2 threads, over several blocks. */
static void fit_is_thread_count_independent(void **state)
{
    (void)state;
    fixture fx;
    size_t n = 20000;
    fx_init(&fx, MDL_TASK_BINARY, 2, n, 4, NULL, 0);
    ml_rng r;
    ml_rng_seed(&r, 4);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) {
            fx.cols[j][i] = ml_rng_normal(&r);
            s += (j - 1.5) * fx.cols[j][i];
        }
        if (i % 11 == 0)
            fx.cols[1][i] = NAN;
        fx.y[i] = ml_rng_uniform(&r) < 1 / (1 + exp(-s)) ? 1 : 0;
    }
    lin_model *a = fit_ok(&fx, NULL, 0, 1), *b = fit_ok(&fx, NULL, 0, 2);
    for (size_t t = 0; t < 4; t++)
        assert_true(lin_coefficient(a, 0, t) == lin_coefficient(b, 0, t));
    assert_true(lin_intercept(a, 0) == lin_intercept(b, 0));
    lin_free(a);
    lin_free(b);
    fx_free(&fx);
}

static void unseen_and_missing_categories_are_zero(void **state)
{
    (void)state;
    const char *cats[] = {"basic", "gold"};
    fixture fx;
    fx_init(&fx, MDL_TASK_BINARY, 2, 100, 1, cats, 2);
    for (size_t i = 0; i < 100; i++) {
        fx.cols[0][i] = (double)(i % 10);
        fx.cols[1][i] = i % 4 == 3 ? MDL_UNSEEN : (double)(i % 2);
        fx.y[i] = (i % 2 == 1) != (i % 7 == 0);
    }
    lin_model *m = fit_ok(&fx, NULL, 0, 1);
    double b = lin_intercept(m, 0), c = lin_coefficient(m, 0, 0);
    double out, row[2] = {4, MDL_UNSEEN};
    lin_predict_raw(m, row, &out);
    assert_true(fabs(out - (b + 4 * c)) < 1e-12);
    row[1] = NAN;
    lin_predict_raw(m, row, &out);
    assert_true(fabs(out - (b + 4 * c)) < 1e-12);
    row[1] = 1;
    lin_predict_raw(m, row, &out);
    assert_true(fabs(out - (b + 4 * c + lin_coefficient(m, 0, 2))) < 1e-12);
    /* A missing numeric value is the training mean (4.5 here). */
    row[0] = NAN;
    row[1] = MDL_UNSEEN;
    lin_predict_raw(m, row, &out);
    assert_true(fabs(out - (b + 4.5 * c)) < 1e-12);
    lin_free(m);
    fx_free(&fx);
}

static void roundtrip_and_hostile_bytes(void **state)
{
    (void)state;
    const char *cats[] = {"basic", "gold", "silver"};
    fixture fx;
    fx_init(&fx, MDL_TASK_MULTICLASS, 3, 150, 2, cats, 3);
    for (size_t i = 0; i < 150; i++) {
        fx.cols[0][i] = (double)(i % 13);
        fx.cols[1][i] = sin((double)i);
        fx.cols[2][i] = (double)(i % 3);
        fx.y[i] = (double)((i / 5) % 3);
    }
    lin_model *m = fit_ok(&fx, NULL, 0, 1);
    ml_wbuf w;
    wbuf_init(&w);
    lin_write(m, &w);
    assert_int_equal(wbuf_status(&w, NULL), ML_OK);
    ml_error err = {0};
    lin_model *back = NULL;
    ml_rbuf r;
    rbuf_init(&r, w.data, w.len, "model section");
    assert_int_equal(lin_read(&r, &fx.s, &back, &err), ML_OK);
    assert_int_equal(rbuf_expect_end(&r, &err), ML_OK);
    for (size_t i = 0; i < 150; i++) {
        double row[3] = {fx.cols[0][i], fx.cols[1][i], fx.cols[2][i]}, o1[3], o2[3];
        lin_predict_raw(m, row, o1);
        lin_predict_raw(back, row, o2);
        assert_memory_equal(o1, o2, sizeof o1);
    }
    lin_free(back);
    for (size_t len = 0; len < w.len; len++) {
        rbuf_init(&r, w.data, len, "model section");
        back = NULL;
        assert_int_equal(lin_read(&r, &fx.s, &back, &err), ML_EFORMAT);
        assert_null(back);
    }
    /* Every byte set to hostile values: an error or a model, never a crash. */
    uint8_t *copy = malloc(w.len);
    const uint8_t evil[] = {0xff, 0x00, 0x7f, 0x80};
    for (size_t pos = 0; pos < w.len; pos++)
        for (size_t e = 0; e < sizeof evil; e++) {
            memcpy(copy, w.data, w.len);
            copy[pos] = evil[e];
            rbuf_init(&r, copy, w.len, "model section");
            back = NULL;
            int rc = lin_read(&r, &fx.s, &back, &err);
            assert_true(rc == ML_OK || rc == ML_EFORMAT);
            lin_free(back);
        }
    /* A schema with another number of categories refuses the section. */
    tbl_dict_intern(fx.f[2].categories, "platinum", 8);
    rbuf_init(&r, w.data, w.len, "model section");
    assert_error(lin_read(&r, &fx.s, &back, &err), err, ML_EFORMAT, "does not match the schema");
    free(copy);
    wbuf_free(&w);
    lin_free(m);
    fx_free(&fx);
}

static void bad_params_are_einval(void **state)
{
    (void)state;
    fixture fx;
    fx_init(&fx, MDL_TASK_BINARY, 2, 10, 1, NULL, 0);
    for (size_t i = 0; i < 10; i++) {
        fx.cols[0][i] = (double)i;
        fx.y[i] = i % 2;
    }
    struct {
        param_kv kv;
        const char *needle;
    } cases[] = {
        {{"alpah", "1"}, "alpah"},
        {{"alpha", "1"}, "alpha"},
        {{"C", "-1"}, "C"},
        {{"penalty", "l3"}, "penalty"},
        {{"l1_ratio", "2"}, "l1_ratio"},
        {{"max_iter", "abc"}, "max_iter"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ml_error err = {0};
        lin_model *m = NULL;
        int rc = lin_fit(&fx.s, &fx.X, fx.y, NULL, &cases[c].kv, 1, 1, &m, &err);
        assert_error(rc, err, ML_EINVAL, cases[c].needle);
        assert_null(m);
    }
    ml_error err = {0};
    lin_model *m = NULL;
    fx.y[3] = 2; /* not a class of a binary task */
    assert_error(lin_fit(&fx.s, &fx.X, fx.y, NULL, NULL, 0, 1, &m, &err), err, ML_EINVAL, "row 4");
    fx_free(&fx);
    fx_init(&fx, MDL_TASK_REGRESSION, 0, 10, 1, NULL, 0);
    param_kv kv = {"C", "1"};
    assert_error(lin_fit(&fx.s, &fx.X, fx.y, NULL, &kv, 1, 1, &m, &err), err, ML_EINVAL, "'C'");
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ols_fits_exactly),
        cmocka_unit_test(no_intercept_passes_through_origin),
        cmocka_unit_test(ridge_matches_closed_form),
        cmocka_unit_test(lasso_zeroes_irrelevant_inputs),
        cmocka_unit_test(binary_logistic_matches_sklearn),
        cmocka_unit_test(fit_is_thread_count_independent),
        cmocka_unit_test(unseen_and_missing_categories_are_zero),
        cmocka_unit_test(roundtrip_and_hostile_bytes),
        cmocka_unit_test(bad_params_are_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
