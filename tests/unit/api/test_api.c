/* Unit tests for the public C API (src/api/api.c): load, describe,
 * predict from rows and from named columns, errors, and concurrent predict
 * on one shared handle. */
#include "test_util.h"

#include "../models/model_fixture.h"
#include "mloop.h"
#include "models/model.h"

#include <pthread.h>

static const char *model_path;
static tbl_table *table;
static double *reference; /* mdl_predict_frame on the whole table */
static double *rows;      /* the table's inputs, row-major */
static size_t nrows, ninputs;

static int setup(void **state)
{
    (void)state;
    table = fixture_table(FX_BINARY, 2000, 42, 0.05);
    ml_error err = {0};
    mdl_schema *s;
    mdl_frame f;
    double *y;
    if (schema_create(table, "y", NULL, 0, -1, &s, &err) || schema_target(s, table, &y, &err) ||
        frame_build(s, table, &f, &err))
        return -1;
    param_kv kv[] = {{"n_estimators", "25"}};
    mdl_train_spec spec = {.kind = MDL_KIND_GBDT, .params = kv, .nparams = 1};
    mdl_model *m;
    if (mdl_train(s, &f, y, NULL, NULL, NULL, &spec, &m, &err))
        return -1;
    nrows = f.nrows;
    ninputs = f.ncols;
    reference = malloc(nrows * 2 * sizeof *reference);
    rows = malloc(nrows * ninputs * sizeof *rows);
    frame_rows(&f, 0, nrows, rows);
    mdl_predict_frame(m, &f, reference, &err);
    model_path = TEST_WRITE(0, ".mloop", "");
    int rc = mdl_save(m, model_path, &err);
    mdl_free(m);
    frame_free(&f);
    free(y);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    unlink(model_path);
    tbl_free(table);
    free(reference);
    free(rows);
    return 0;
}

static void test_describe(void **state)
{
    (void)state;
    mloop_model *m;
    mloop_error err = {0};
    assert_int_equal(mloop_model_load(model_path, &m, &err), MLOOP_OK);
    assert_string_equal(mloop_model_task(m), "binary");
    assert_int_equal(mloop_model_num_inputs(m), 4);
    assert_string_equal(mloop_model_input_name(m, 0), "x0");
    assert_int_equal(mloop_model_input_type(m, 0), MLOOP_INPUT_NUMERIC);
    assert_int_equal(mloop_model_input_type(m, 2), MLOOP_INPUT_CATEGORICAL);
    assert_int_equal(mloop_model_input_num_categories(m, 2), 4);
    const char *cat = mloop_model_input_category(m, 2, 1);
    assert_non_null(cat);
    assert_int_equal(mloop_model_category_code(m, 2, cat), 1);
    assert_int_equal(mloop_model_category_code(m, 2, "purple"), -1);
    assert_null(mloop_model_input_category(m, 2, 99));
    assert_null(mloop_model_input_name(m, 99));
    assert_int_equal(mloop_model_num_outputs(m), 2);
    assert_string_equal(mloop_model_output_name(m, 0), "p_no");
    assert_string_equal(mloop_model_output_name(m, 1), "p_yes");
    mloop_model_free(m);
}

static void test_predict_rows_and_columns(void **state)
{
    (void)state;
    mloop_model *m;
    mloop_error err = {0};
    assert_int_equal(mloop_model_load(model_path, &m, &err), MLOOP_OK);
    double *out = malloc(nrows * 2 * sizeof *out);
    assert_int_equal(mloop_predict(m, rows, nrows, out, &err), MLOOP_OK);
    assert_memory_equal(out, reference, nrows * 2 * sizeof *out);
    for (size_t r = 0; r < 50; r++) { /* the one-row path gives the same bits */
        double one[2];
        assert_int_equal(mloop_predict(m, rows + r * ninputs, 1, one, &err), MLOOP_OK);
        assert_memory_equal(one, reference + 2 * r, sizeof one);
    }
    /* Named columns in another order, strings for the category. */
    double *x0 = malloc(nrows * 8), *x1 = malloc(nrows * 8), *noise = malloc(nrows * 8);
    const char **color = malloc(nrows * sizeof *color);
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t r = 0; r < nrows; r++) {
        x0[r] = rows[r * ninputs + 0];
        x1[r] = rows[r * ninputs + 1];
        noise[r] = rows[r * ninputs + 3];
        tbl_cell_text(tbl_col(table, 2), r, buf, &color[r]);
    }
    mloop_column cols[] = {{"noise", noise, NULL},
                           {"color", NULL, color},
                           {"extra", noise, NULL},
                           {"x1", x1, NULL},
                           {"x0", x0, NULL}};
    assert_int_equal(mloop_predict_columns(m, cols, 5, nrows, out, &err), MLOOP_OK);
    assert_memory_equal(out, reference, nrows * 2 * sizeof *out);
    assert_int_equal(mloop_predict_columns(m, cols, 3, nrows, out, &err), MLOOP_EINVAL);
    assert_non_null(strstr(err.message, "'x0'"));
    mloop_column wrong[] = {
        {"x0", NULL, color}, {"x1", x1, NULL}, {"color", NULL, color}, {"noise", noise, NULL}};
    assert_int_equal(mloop_predict_columns(m, wrong, 4, nrows, out, &err), MLOOP_EINVAL);
    assert_non_null(strstr(err.message, "is numeric"));
    free(x0);
    free(x1);
    free(noise);
    free(color);
    free(out);
    mloop_model_free(m);
}

static void test_load_errors(void **state)
{
    (void)state;
    mloop_model *m = (mloop_model *)1;
    mloop_error err = {0};
    assert_int_equal(mloop_model_load("/nonexistent.mloop", &m, &err), MLOOP_EIO);
    assert_null(m);
    const char *junk = TEST_WRITE(1, ".mloop", "this is not a model");
    assert_int_equal(mloop_model_load(junk, &m, &err), MLOOP_EFORMAT);
    assert_non_null(strstr(err.message, junk));
    unlink(junk);
    assert_int_equal(mloop_model_load(NULL, &m, &err), MLOOP_EINVAL);
    mloop_model_free(NULL);
}

typedef struct worker {
    const mloop_model *m;
    int failures;
} worker;

static void *predict_many(void *arg)
{
    worker *w = arg;
    double out[2];
    mloop_error err = {0};
    for (int pass = 0; pass < 3; pass++)
        for (size_t r = 0; r < nrows; r++) {
            if (mloop_predict(w->m, rows + r * ninputs, 1, out, &err) != MLOOP_OK ||
                memcmp(out, reference + 2 * r, sizeof out) != 0)
                w->failures++;
        }
    return NULL;
}

static void test_shared_handle_across_threads(void **state)
{
    (void)state;
    mloop_model *m;
    mloop_error err = {0};
    assert_int_equal(mloop_model_load(model_path, &m, &err), MLOOP_OK);
    pthread_t threads[4];
    worker workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (worker){m, 0};
        pthread_create(&threads[i], NULL, predict_many, &workers[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].failures, 0);
    }
    mloop_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_predict_rows_and_columns),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_shared_handle_across_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
