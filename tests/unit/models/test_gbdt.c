/* Unit tests for src/models/gbdt (with bins, learner, tree): learning known
 * structure, missing values and categories, objectives, early stopping,
 * monotone constraints, thread-count determinism, bit-identical scores
 * after serialization, and hostile serialized bytes. */
#include "test_util.h"

#include "model_fixture.h"
#include "models/gbdt/bins.h"
#include "models/gbdt/gbdt.h"

#include <omp.h>

typedef struct prepared {
    tbl_table *t;
    mdl_schema *s;
    mdl_frame f;
    double *y;
} prepared;

static void prepare(prepared *p, fixture_kind kind, size_t n, uint64_t seed, double flip, int task)
{
    ml_error err = {0};
    p->t = fixture_table(kind, n, seed, flip);
    assert_int_equal(schema_create(p->t, "y", NULL, 0, task, &p->s, &err), ML_OK);
    assert_int_equal(schema_target(p->s, p->t, &p->y, &err), ML_OK);
    assert_int_equal(frame_build(p->s, p->t, &p->f, &err), ML_OK);
}

static void release(prepared *p)
{
    frame_free(&p->f);
    free(p->y);
    schema_free(p->s);
    tbl_free(p->t);
}

static gbdt_model *train(const prepared *p, const gbdt_params *params, double *scores)
{
    gbdt_train_input in = {.schema = p->s, .train = &p->f, .y = p->y, .train_scores = scores};
    gbdt_model *m = NULL;
    ml_error err = {0};
    int rc = gbdt_train(&in, params, &m, &err);
    if (rc)
        fail_msg("gbdt_train: %s", err.message);
    return m;
}

static double *predict(const gbdt_model *m, const mdl_frame *f)
{
    size_t K = gbdt_noutputs(m);
    double *rows = malloc(f->nrows * f->ncols * sizeof *rows);
    double *out = malloc(f->nrows * K * sizeof *out);
    frame_rows(f, 0, f->nrows, rows);
    gbdt_predict_rows(m, rows, f->nrows, out);
    free(rows);
    return out;
}

static double accuracy_binary(const double *p, const double *y, size_t n)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += (p[i] > 0.5) == (y[i] > 0.5);
    return (double)ok / (double)n;
}

static void test_bins_numeric_and_categorical(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_BINARY, 2000, 1, 0, -1);
    bin_mapper *m;
    ml_error err = {0};
    assert_int_equal(bins_fit(p.s, &p.f, 16, 100000, 0, &m, &err), ML_OK);
    const bin_mapper *x0 = &m[0];
    assert_false(x0->categorical);
    assert_int_equal(x0->nbins, 16);
    assert_true(isinf(x0->upper[15]));
    /* The defining property: bin <= t exactly when x <= upper[t-1]. */
    for (size_t r = 0; r < p.f.nrows; r++) {
        double x = p.f.cols[0][r];
        uint8_t b = bins_value(x0, x);
        assert_true(b >= 1 && b <= 16);
        assert_true(x <= x0->upper[b - 1]);
        if (b > 1)
            assert_true(x > x0->upper[b - 2]);
    }
    assert_int_equal(bins_value(&m[1], NAN), 0);
    const bin_mapper *color = &m[2];
    assert_true(color->categorical);
    assert_int_equal(color->nbins, 4);
    assert_int_equal(bins_value(color, MDL_UNSEEN), 0);
    assert_int_equal(bins_value(color, NAN), 0);
    bins_free_mappers(m, p.s->nfeatures);
    release(&p);
}

static void test_binary_learns_and_scores_match(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_BINARY, 5000, 2, 0, -1);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 60;
    double *scores = malloc(p.f.nrows * sizeof *scores);
    gbdt_model *m = train(&p, &params, scores);
    double *pred = predict(m, &p.f);
    assert_true(accuracy_binary(pred, p.y, p.f.nrows) > 0.97);
    /* Raw scores from the flattened trees equal the training scores bit
     * for bit. */
    double *rows = malloc(p.f.nrows * p.f.ncols * sizeof *rows), *raw = malloc(p.f.nrows * 8);
    frame_rows(&p.f, 0, p.f.nrows, rows);
    ens_predict_rows(m->ens, rows, p.f.nrows, raw);
    assert_memory_equal(raw, scores, p.f.nrows * sizeof *raw);
    /* The importance ranks the informative inputs above noise. */
    assert_true(m->split_gain[0] > m->split_gain[3]);
    assert_true(m->split_gain[2] > m->split_gain[3]);
    free(rows);
    free(raw);
    free(pred);
    free(scores);
    gbdt_free(m);
    release(&p);
}

static void test_missing_and_unseen_categories(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_BINARY, 5000, 3, 0, -1);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 60;
    gbdt_model *m = train(&p, &params, NULL);
    /* x1 missing acts as +1 in the label rule: a row with x0 = 0.5, red
     * (code of "red"), x1 missing is negative: 0.5 + 1 - 1 = 0.5 > 0.3 →
     * positive; with x1 = -1 it is 2.5 → positive; x0 = -0.8, green,
     * x1 missing → -1.8 → negative. */
    double red = tbl_dict_find(p.s->features[2].categories, "red", 3);
    double green = tbl_dict_find(p.s->features[2].categories, "green", 5);
    double rows[3][4] = {{0.5, NAN, red, 0}, {-0.8, NAN, green, 0}, {0.9, -1, MDL_UNSEEN, 0}};
    double out[3];
    gbdt_predict_rows(m, &rows[0][0], 3, out);
    assert_true(out[0] > 0.5);
    assert_true(out[1] < 0.5);
    assert_true(out[2] > 0.5); /* unseen category: the default way, still clearly positive */
    gbdt_free(m);
    release(&p);
}

static void test_deterministic_across_threads(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_BINARY, 40000, 4, 0.1, -1);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 15;
    params.bagging_fraction = 0.7;
    params.bagging_freq = 1;
    params.feature_fraction = 0.75;
    ml_wbuf a, b;
    wbuf_init(&a);
    wbuf_init(&b);
    omp_set_num_threads(1);
    gbdt_model *m1 = train(&p, &params, NULL);
    omp_set_num_threads(2);
    gbdt_model *m2 = train(&p, &params, NULL);
    gbdt_write(m1, &a);
    gbdt_write(m2, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    wbuf_free(&a);
    wbuf_free(&b);
    gbdt_free(m1);
    gbdt_free(m2);
    release(&p);
}

static double rmse(const double *p, const double *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (p[i] - y[i]) * (p[i] - y[i]);
    return sqrt(s / (double)n);
}

static void test_regression_objectives(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_REGRESSION, 4000, 5, 0, -1);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 100;
    const int objectives[] = {OBJ_L2, OBJ_L1, OBJ_HUBER, OBJ_QUANTILE};
    for (size_t i = 0; i < 4; i++) {
        params.objective = objectives[i];
        params.alpha = objectives[i] == OBJ_QUANTILE ? 0.5 : 1.0;
        gbdt_model *m = train(&p, &params, NULL);
        double *pred = predict(m, &p.f);
        double e = rmse(pred, p.y, p.f.nrows);
        if (e > 0.35)
            fail_msg("objective %s: rmse %g", obj_name((obj_id)objectives[i]), e);
        free(pred);
        gbdt_free(m);
    }
    /* Quantile 0.9: about 90% of targets fall below the prediction. */
    params.objective = OBJ_QUANTILE;
    params.alpha = 0.9;
    gbdt_model *m = train(&p, &params, NULL);
    double *pred = predict(m, &p.f);
    size_t below = 0;
    for (size_t i = 0; i < p.f.nrows; i++)
        below += p.y[i] <= pred[i];
    double share = (double)below / (double)p.f.nrows;
    assert_true(share > 0.85 && share < 0.95);
    free(pred);
    gbdt_free(m);
    release(&p);
}

static void test_poisson_and_weights(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_REGRESSION, 3000, 6, 0, -1);
    for (size_t i = 0; i < p.f.nrows; i++) /* counts with mean exp(x0) */
        p.y[i] = floor(exp(p.f.cols[0][i]) * 2);
    gbdt_params params;
    gbdt_default_params(&params);
    params.objective = OBJ_POISSON;
    params.n_estimators = 80;
    gbdt_model *m = train(&p, &params, NULL);
    double *pred = predict(m, &p.f);
    for (size_t i = 0; i < p.f.nrows; i++)
        assert_true(pred[i] > 0);
    assert_true(rmse(pred, p.y, p.f.nrows) < 1.0);
    free(pred);
    gbdt_free(m);
    p.y[0] = -1;
    ml_error err = {0};
    gbdt_train_input in = {.schema = p.s, .train = &p.f, .y = p.y};
    assert_error(gbdt_train(&in, &params, &m, &err), err, ML_EINVAL, "non-negative");
    release(&p);
}

static void test_multiclass(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_MULTICLASS, 3000, 7, 0, -1);
    assert_int_equal(p.s->task, MDL_TASK_MULTICLASS);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 30;
    gbdt_model *m = train(&p, &params, NULL);
    assert_int_equal(gbdt_noutputs(m), 3);
    assert_int_equal(m->ens->ntrees, 90);
    double *pred = predict(m, &p.f);
    size_t ok = 0;
    for (size_t i = 0; i < p.f.nrows; i++) {
        const double *row = pred + 3 * i;
        assert_float_equal(row[0] + row[1] + row[2], 1.0, 1e-12);
        size_t best = row[1] > row[0] ? 1 : 0;
        best = row[2] > row[best] ? 2 : best;
        ok += best == (size_t)p.y[i];
    }
    assert_true(ok > 0.97 * (double)p.f.nrows);
    free(pred);
    gbdt_free(m);
    release(&p);
}

static void test_early_stopping_keeps_best_round(void **state)
{
    (void)state;
    prepared p, v;
    prepare(&p, FX_BINARY, 3000, 8, 0.3, -1);
    prepare(&v, FX_BINARY, 2000, 9, 0.3, -1);
    double *vy;
    ml_error err = {0};
    assert_int_equal(schema_target(p.s, v.t, &vy, &err), ML_OK);
    mdl_frame vf;
    assert_int_equal(frame_build(p.s, v.t, &vf, &err), ML_OK);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 400;
    params.num_leaves = 63;
    params.min_data_in_leaf = 2;
    params.learning_rate = 0.3;
    params.early_stopping = 10;
    gbdt_train_input in = {.schema = p.s, .train = &p.f, .y = p.y, .valid = &vf, .valid_y = vy};
    gbdt_model *m;
    assert_int_equal(gbdt_train(&in, &params, &m, &err), ML_OK);
    assert_true(m->rounds < 400);
    assert_int_equal(m->rounds, m->best_round + 10);
    assert_int_equal(m->ens->ntrees, m->best_round);
    assert_string_equal(m->metric, "logloss");
    gbdt_free(m);
    params.early_stopping = 5;
    in.valid = NULL;
    assert_error(gbdt_train(&in, &params, &m, &err), err, ML_EINVAL, "validation data");
    frame_free(&vf);
    free(vy);
    release(&p);
    release(&v);
}

static void test_monotone_constraint(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_REGRESSION, 3000, 10, 0, -1);
    /* Make y decrease in x0 locally so that an unconstrained model would
     * follow it; the constraint forces non-decreasing predictions. */
    for (size_t i = 0; i < p.f.nrows; i++)
        p.y[i] = p.f.cols[0][i] + 0.8 * sin(8 * p.f.cols[0][i]);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 100;
    params.monotone_constraints = "x0:1";
    gbdt_model *m = train(&p, &params, NULL);
    double red = 0, prev = -INFINITY;
    for (int i = 0; i <= 200; i++) {
        double row[4] = {-1 + i / 100.0, 0.2, red, 0}, out;
        gbdt_predict_rows(m, row, 1, &out);
        assert_true(out >= prev);
        prev = out;
    }
    gbdt_free(m);
    ml_error err = {0};
    int8_t dirs[4];
    assert_error(gbdt_parse_monotone("x0:1,nope:1", p.s, dirs, &err), err, ML_EINVAL, "nope");
    assert_error(gbdt_parse_monotone("1,0", p.s, dirs, &err), err, ML_EINVAL, "2 values for 4");
    assert_error(gbdt_parse_monotone("color:1", p.s, dirs, &err), err, ML_EINVAL, "categorical");
    assert_error(gbdt_parse_monotone("x0:2", p.s, dirs, &err), err, ML_EINVAL, "not -1, 0 or 1");
    assert_int_equal(gbdt_parse_monotone("1,0,0,-1", p.s, dirs, &err), ML_OK);
    assert_int_equal(dirs[3], -1);
    release(&p);
}

static void test_serialization_roundtrip_and_hostile_bytes(void **state)
{
    (void)state;
    prepared p;
    prepare(&p, FX_BINARY, 1500, 11, 0.05, -1);
    gbdt_params params;
    gbdt_default_params(&params);
    params.n_estimators = 5;
    params.num_leaves = 6;
    gbdt_model *m = train(&p, &params, NULL);
    ml_wbuf w;
    wbuf_init(&w);
    gbdt_write(m, &w);
    ml_rbuf r;
    rbuf_init(&r, w.data, w.len, "model section");
    gbdt_model *back;
    ml_error err = {0};
    assert_int_equal(gbdt_read(&r, p.s, &back, &err), ML_OK);
    assert_int_equal(rbuf_remaining(&r), 0);
    double *a = predict(m, &p.f), *b = predict(back, &p.f);
    assert_memory_equal(a, b, p.f.nrows * sizeof *a);
    free(a);
    free(b);
    gbdt_free(back);
    for (size_t len = 0; len < w.len; len++) {
        rbuf_init(&r, w.data, len, "model section");
        assert_int_equal(gbdt_read(&r, p.s, &back, &err), ML_EFORMAT);
    }
    /* Every byte flipped: either refused or a model whose traversal stays
     * in bounds (ASan checks the latter). */
    double row[4] = {0.1, NAN, 0, 0.5}, out;
    for (size_t i = 0; i < w.len; i++) {
        uint8_t saved = w.data[i];
        w.data[i] ^= 0xff;
        rbuf_init(&r, w.data, w.len, "model section");
        if (gbdt_read(&r, p.s, &back, &err) == ML_OK) {
            gbdt_predict_rows(back, row, 1, &out);
            gbdt_free(back);
        }
        w.data[i] = saved;
    }
    wbuf_free(&w);
    gbdt_free(m);
    release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bins_numeric_and_categorical),
        cmocka_unit_test(test_binary_learns_and_scores_match),
        cmocka_unit_test(test_missing_and_unseen_categories),
        cmocka_unit_test(test_deterministic_across_threads),
        cmocka_unit_test(test_regression_objectives),
        cmocka_unit_test(test_poisson_and_weights),
        cmocka_unit_test(test_multiclass),
        cmocka_unit_test(test_early_stopping_keeps_best_round),
        cmocka_unit_test(test_monotone_constraint),
        cmocka_unit_test(test_serialization_roundtrip_and_hostile_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
