/* Unit tests for src/models/model.c (with frame.c and the artifact): every
 * kind trains from a table, saves, loads and predicts bit-identically;
 * schema errors name the column; a damaged artifact is refused. */
#include "test_util.h"

#include "model_fixture.h"
#include "models/model.h"

#include <math.h>

static mdl_model *train_kind(const tbl_table *t, mdl_kind kind, const param_kv *kv, size_t nkv)
{
    ml_error err = {0};
    mdl_schema *s;
    mdl_frame f;
    double *y;
    assert_int_equal(schema_create(t, "y", NULL, 0, -1, &s, &err), ML_OK);
    assert_int_equal(schema_target(s, t, &y, &err), ML_OK);
    assert_int_equal(frame_build(s, t, &f, &err), ML_OK);
    mdl_train_spec spec = {.kind = kind, .params = kv, .nparams = nkv};
    mdl_model *m;
    if (mdl_train(s, &f, y, NULL, NULL, NULL, &spec, &m, &err))
        fail_msg("%s", err.message);
    frame_free(&f);
    free(y);
    return m;
}

static double *predict_table(const mdl_model *m, const tbl_table *t)
{
    mdl_frame f;
    ml_error err = {0};
    assert_int_equal(frame_build(m->schema, t, &f, &err), ML_OK);
    double *out = malloc(f.nrows * m->noutputs * sizeof *out);
    assert_int_equal(mdl_predict_frame(m, &f, out, &err), ML_OK);
    frame_free(&f);
    return out;
}

static void roundtrip(fixture_kind fk, mdl_kind kind, const param_kv *kv, size_t nkv)
{
    tbl_table *t = fixture_table(fk, 1500, 21, 0.05);
    mdl_model *m = train_kind(t, kind, kv, nkv);
    const char *path = TEST_WRITE(0, ".mloop", "");
    ml_error err = {0};
    mdl_set_metadata(m, strdup("{\"note\":\"test\"}"));
    assert_int_equal(mdl_save(m, path, &err), ML_OK);
    assert_int_equal(strlen(m->sha256), 64);
    mdl_model *back;
    assert_int_equal(mdl_load(path, &back, &err), ML_OK);
    assert_string_equal(back->sha256, m->sha256);
    assert_string_equal(back->metadata, "{\"note\":\"test\"}");
    assert_int_equal(back->noutputs, m->noutputs);
    double *a = predict_table(m, t), *b = predict_table(back, t);
    assert_memory_equal(a, b, tbl_nrows(t) * m->noutputs * sizeof *a);
    if (fk == FX_BINARY) {
        assert_string_equal(m->output_names[1], "p_yes");
        for (size_t i = 0; i < tbl_nrows(t); i++)
            assert_float_equal(a[2 * i] + a[2 * i + 1], 1.0, 1e-12);
    }
    free(a);
    free(b);
    mdl_free(back);
    mdl_free(m);
    tbl_free(t);
    unlink(path);
}

static void test_gbdt_roundtrip(void **state)
{
    (void)state;
    param_kv kv[] = {{"n_estimators", "20"}};
    roundtrip(FX_BINARY, MDL_KIND_GBDT, kv, 1);
    roundtrip(FX_MULTICLASS, MDL_KIND_GBDT, kv, 1);
    roundtrip(FX_REGRESSION, MDL_KIND_GBDT, kv, 1);
}

static void test_forest_roundtrip_and_accuracy(void **state)
{
    (void)state;
    param_kv kv[] = {{"n_estimators", "30"}, {"seed", "3"}};
    roundtrip(FX_BINARY, MDL_KIND_FOREST, kv, 2);
    roundtrip(FX_MULTICLASS, MDL_KIND_FOREST, kv, 2);
    roundtrip(FX_REGRESSION, MDL_KIND_FOREST, kv, 2);
    /* Held-out accuracy of a forest on the binary fixture. */
    tbl_table *train = fixture_table(FX_BINARY, 3000, 31, 0),
              *test = fixture_table(FX_BINARY, 1000, 32, 0);
    mdl_model *m = train_kind(train, MDL_KIND_FOREST, kv, 2);
    double *p = predict_table(m, test), *y;
    ml_error err = {0};
    assert_int_equal(schema_target(m->schema, test, &y, &err), ML_OK);
    size_t ok = 0;
    for (size_t i = 0; i < tbl_nrows(test); i++)
        ok += (p[2 * i + 1] > 0.5) == (y[i] > 0.5);
    assert_true(ok > 0.9 * (double)tbl_nrows(test));
    free(p);
    free(y);
    mdl_free(m);
    tbl_free(train);
    tbl_free(test);
}

static void test_linear_roundtrip(void **state)
{
    (void)state;
    roundtrip(FX_BINARY, MDL_KIND_LINEAR, NULL, 0);
    roundtrip(FX_MULTICLASS, MDL_KIND_LINEAR, NULL, 0);
    roundtrip(FX_REGRESSION, MDL_KIND_LINEAR, NULL, 0);
}

static void test_schema_errors(void **state)
{
    (void)state;
    tbl_table *t = fixture_table(FX_BINARY, 50, 1, 0);
    ml_error err = {0};
    mdl_schema *s;
    assert_error(schema_create(t, "nope", NULL, 0, -1, &s, &err), err, ML_EINVAL,
                 "target column 'nope' not found");
    assert_error(schema_create(t, "y", NULL, 0, MDL_TASK_REGRESSION, &s, &err), err, ML_EINVAL,
                 "is text; regression needs numbers");
    const char *drop[] = {"missing"};
    assert_error(schema_create(t, "y", drop, 1, -1, &s, &err), err, ML_EINVAL,
                 "cannot drop column 'missing'");
    /* An integer target with few values must say which task it is. */
    tbl_table *ints = tbl_create();
    tbl_add_column(ints, "a", TBL_F64, &err);
    tbl_add_column(ints, "label", TBL_I64, &err);
    tbl_resize(ints, 10, &err);
    for (size_t r = 0; r < 10; r++)
        tbl_set_i64(ints, 1, r, (int64_t)(r % 3));
    assert_error(schema_create(ints, "label", NULL, 0, -1, &s, &err), err, ML_EINVAL,
                 "--task binary, --task multiclass or --task regression");
    assert_error(schema_create(ints, "label", NULL, 0, MDL_TASK_BINARY, &s, &err), err, ML_EINVAL,
                 "needs 2 classes but target column 'label' has 3");
    for (size_t r = 0; r < 10; r++) /* classes 0 x5, 1 x4, 2 once */
        tbl_set_i64(ints, 1, r, r < 5 ? 0 : r < 9 ? 1 : 2);
    assert_error(schema_create(ints, "label", NULL, 0, MDL_TASK_MULTICLASS, &s, &err), err,
                 ML_EINVAL, "class '2' of target column 'label' has a single row");
    for (size_t r = 0; r < 10; r++)
        tbl_set_i64(ints, 1, r, 7);
    assert_error(schema_create(ints, "label", NULL, 0, MDL_TASK_MULTICLASS, &s, &err), err,
                 ML_EINVAL, "single class '7'");
    tbl_set_null(ints, 1, 4, &err);
    assert_error(schema_create(ints, "label", NULL, 0, MDL_TASK_MULTICLASS, &s, &err), err,
                 ML_EINVAL, "first at data row 5");
    tbl_free(ints);
    /* Predicting a table that lacks an input, or has text for a number. */
    assert_int_equal(schema_create(t, "y", NULL, 0, -1, &s, &err), ML_OK);
    tbl_table *other = tbl_create();
    tbl_add_column(other, "x0", TBL_F64, &err);
    mdl_frame f;
    assert_error(frame_build(s, other, &f, &err), err, ML_EINVAL,
                 "input column 'x1' that the model needs is missing");
    tbl_add_column(other, "x1", TBL_STR, &err);
    tbl_resize(other, 1, &err);
    /* Numeric text is coerced (test_pipeline); other text is reported with its row. */
    tbl_set_str(other, 1, 0, "abc", 3, &err);
    assert_error(frame_build(s, other, &f, &err), err, ML_EINVAL,
                 "input column 'x1' row 1: 'abc' is not a number");
    tbl_free(other);
    schema_free(s);
    tbl_free(t);
}

static void test_damaged_artifact(void **state)
{
    (void)state;
    tbl_table *t = fixture_table(FX_BINARY, 300, 5, 0);
    param_kv kv[] = {{"n_estimators", "3"}};
    mdl_model *m = train_kind(t, MDL_KIND_GBDT, kv, 1);
    const char *path = TEST_WRITE(1, ".mloop", "");
    ml_error err = {0};
    assert_int_equal(mdl_save(m, path, &err), ML_OK);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *bytes = malloc((size_t)len);
    assert_int_equal(fread(bytes, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    mdl_model *back;
    for (long cut = 0; cut < len; cut += 7)
        assert_int_equal(mdl_load_buffer(bytes, (size_t)cut, &back, &err), ML_EFORMAT);
    bytes[len / 2] ^= 0x5a;
    assert_int_equal(mdl_load_buffer(bytes, (size_t)len, &back, &err), ML_EFORMAT);
    assert_error(mdl_load("/nonexistent/model.mloop", &back, &err), err, ML_EIO,
                 "/nonexistent/model.mloop");
    free(bytes);
    mdl_free(m);
    tbl_free(t);
    unlink(path);
}

/* The decision threshold travels in the metadata: a binary model predicts
 * the second class from it; a value that is not a probability, or one on
 * a model that is not binary, is a damaged artifact. */
static void test_decision_threshold(void **state)
{
    (void)state;
    tbl_table *t = fixture_table(FX_BINARY, 400, 5, 0.05);
    param_kv kv[] = {{"n_estimators", "5"}};
    mdl_model *m = train_kind(t, MDL_KIND_GBDT, kv, 1);
    ml_error err = {0};
    const double p[2] = {0.7, 0.3};
    assert_true(isnan(m->threshold));
    assert_int_equal(mdl_predicted_class(m, p), 0);
    const char *path = TEST_WRITE(0, ".mloop", "");
    mdl_set_metadata(m, strdup("{\"decision_threshold\":0.25}"));
    assert_int_equal(mdl_save(m, path, &err), ML_OK);
    mdl_model *back;
    assert_int_equal(mdl_load(path, &back, &err), ML_OK);
    assert_true(back->threshold == 0.25);
    assert_int_equal(mdl_predicted_class(back, p), 1);
    mdl_free(back);
    mdl_set_metadata(m, strdup("{\"decision_threshold\":1.5}"));
    assert_int_equal(mdl_save(m, path, &err), ML_OK);
    assert_error(mdl_load(path, &back, &err), err, ML_EFORMAT,
                 "decision_threshold is not a probability");
    mdl_free(m);
    tbl_free(t);
    t = fixture_table(FX_REGRESSION, 200, 5, 0.0);
    m = train_kind(t, MDL_KIND_GBDT, kv, 1);
    mdl_set_metadata(m, strdup("{\"decision_threshold\":0.5}"));
    assert_int_equal(mdl_save(m, path, &err), ML_OK);
    assert_error(mdl_load(path, &back, &err), err, ML_EFORMAT, "of a binary model");
    mdl_free(m);
    tbl_free(t);
    unlink(path);
}

/* frame_alloc: one block behind every column, released by frame_free (ASan
 * checks), and a size that cannot exist refused instead of overflowing. */
static void test_frame_alloc(void **state)
{
    (void)state;
    ml_error err = {0};
    mdl_frame f, g;
    assert_int_equal(frame_alloc(&f, 5, 3, &err), ML_OK);
    assert_non_null(f.storage);
    for (size_t j = 0; j < 3; j++) {
        assert_true(f.borrowed[j]);
        for (size_t i = 0; i < 5; i++)
            f.cols[j][i] = (double)(10 * j + i);
    }
    size_t rows[] = {4, 0, 4};
    assert_int_equal(frame_take_rows(&f, rows, 3, &g, &err), ML_OK);
    assert_true(g.cols[2][0] == 24 && g.cols[2][1] == 20 && g.cols[1][2] == 14);
    frame_free(&g);
    frame_free(&f);
    assert_null(f.cols);
    assert_int_equal(frame_alloc(&f, SIZE_MAX / 4, 3, &err), ML_ENOMEM);
    assert_non_null(strstr(err.message, "too large"));
    assert_null(f.cols);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gbdt_roundtrip),
        cmocka_unit_test(test_forest_roundtrip_and_accuracy),
        cmocka_unit_test(test_linear_roundtrip),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_frame_alloc),
        cmocka_unit_test(test_decision_threshold),
        cmocka_unit_test(test_damaged_artifact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
