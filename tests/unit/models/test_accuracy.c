/* Accuracy against references on ../shared/data (skips when absent):
 * gbdt against XGBoost's hist trees with the same parameters, logistic
 * regression against scikit-learn's.  The reference numbers and the
 * parameters live in tests/fixtures/accuracy/reference.json, made by
 * bench/accuracy_reference.py; the split is the one that script documents.
 *
 * Tolerances (held-out data of a few hundred to a few thousand rows):
 *   AUC            mloop >= XGBoost - 0.01
 *   log loss       mloop <= XGBoost * 1.10 + 0.01
 *   accuracy       mloop >= XGBoost - 0.02
 *   RMSE           mloop <= XGBoost * 1.05
 *   logistic AUC   |mloop - scikit-learn| <= 1e-4 */
#include "test_util.h"

#include "data/source.h"
#include "eval/metrics.h"
#include "models/model.h"

#include <jansson.h>
#include <math.h>

static json_t *reference;

static int load_reference(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/accuracy/reference.json",
             getenv("MLOOP_SOURCE_DIR"));
    json_error_t jerr;
    reference = json_load_file(path, 0, &jerr);
    if (!reference)
        fail_msg("%s: %s", path, jerr.text);
    return 0;
}

static int free_reference(void **state)
{
    (void)state;
    json_decref(reference);
    return 0;
}

typedef struct split_data {
    tbl_table *train_t, *test_t;
    mdl_schema *schema;
    mdl_frame all, train, test;
    double *y_all, *y_train, *y_test;
} split_data;

static void read_table(const char *dir, const char *file, bool no_header, tbl_table **t)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    src_options opts = {.no_header = no_header};
    src_report report;
    ml_error err = {0};
    if (src_read_table(path, &opts, t, &report, &err))
        fail_msg("%s", err.message);
}

static void prepare(const char *dir, const char *name, json_t *entry, split_data *d)
{
    memset(d, 0, sizeof *d);
    ml_error err = {0};
    const char *target = json_string_value(json_object_get(entry, "target"));
    const char *task_name = json_string_value(json_object_get(entry, "task"));
    bool no_header = json_is_true(json_object_get(entry, "no_header"));
    int task = strcmp(task_name, "binary") == 0       ? MDL_TASK_BINARY
               : strcmp(task_name, "multiclass") == 0 ? MDL_TASK_MULTICLASS
                                                      : MDL_TASK_REGRESSION;
    const char *drop[4];
    size_t ndrop = 0;
    json_t *item;
    size_t i;
    json_array_foreach(json_object_get(entry, "drop"), i, item)
    {
        drop[ndrop++] = json_string_value(item);
    }
    char file[256];
    if (no_header) {
        snprintf(file, sizeof file, "%s.train", name);
        read_table(dir, file, true, &d->train_t);
        snprintf(file, sizeof file, "%s.test", name);
        read_table(dir, file, true, &d->test_t);
        assert_int_equal(schema_create(d->train_t, target, drop, ndrop, task, &d->schema, &err),
                         ML_OK);
        assert_int_equal(frame_build(d->schema, d->train_t, &d->train, &err), ML_OK);
        assert_int_equal(frame_build(d->schema, d->test_t, &d->test, &err), ML_OK);
        assert_int_equal(schema_target(d->schema, d->train_t, &d->y_train, &err), ML_OK);
        assert_int_equal(schema_target(d->schema, d->test_t, &d->y_test, &err), ML_OK);
        return;
    }
    snprintf(file, sizeof file, "%s.csv", name);
    read_table(dir, file, false, &d->train_t);
    if (schema_create(d->train_t, target, drop, ndrop, task, &d->schema, &err))
        fail_msg("%s", err.message);
    assert_int_equal(frame_build(d->schema, d->train_t, &d->all, &err), ML_OK);
    assert_int_equal(schema_target(d->schema, d->train_t, &d->y_all, &err), ML_OK);
    size_t n = d->all.nrows, nt = 0, nv = 0;
    size_t *tr = malloc(n * sizeof *tr), *te = malloc(n * sizeof *te);
    for (size_t r = 0; r < n; r++) {
        if (r % 5 == 0)
            te[nv++] = r;
        else
            tr[nt++] = r;
    }
    assert_int_equal(frame_take_rows(&d->all, tr, nt, &d->train, &err), ML_OK);
    assert_int_equal(frame_take_rows(&d->all, te, nv, &d->test, &err), ML_OK);
    d->y_train = malloc(nt * sizeof *d->y_train);
    d->y_test = malloc(nv * sizeof *d->y_test);
    for (size_t k = 0; k < nt; k++)
        d->y_train[k] = d->y_all[tr[k]];
    for (size_t k = 0; k < nv; k++)
        d->y_test[k] = d->y_all[te[k]];
    free(tr);
    free(te);
    assert_int_equal(d->test.nrows, json_integer_value(json_object_get(entry, "test_rows")));
}

static void release(split_data *d)
{
    frame_free(&d->all);
    frame_free(&d->train);
    frame_free(&d->test);
    free(d->y_all);
    free(d->y_train);
    free(d->y_test);
    schema_free(d->schema);
    tbl_free(d->train_t);
    tbl_free(d->test_t);
}

/* Trains on the split (the schema is copied into the model by
 * reloading it, so the split keeps its own). */
static double *train_predict(split_data *d, mdl_kind kind, const param_kv *kv, size_t nkv)
{
    ml_wbuf w;
    wbuf_init(&w);
    schema_write(d->schema, &w);
    ml_rbuf r;
    rbuf_init(&r, w.data, w.len, "schema");
    mdl_schema *copy;
    ml_error err = {0};
    assert_int_equal(schema_read(&r, &copy, &err), ML_OK);
    wbuf_free(&w);
    mdl_train_spec spec = {.kind = kind, .params = kv, .nparams = nkv};
    mdl_model *m;
    if (mdl_train(copy, &d->train, d->y_train, NULL, NULL, NULL, &spec, &m, &err))
        fail_msg("train: %s", err.message);
    double *pred = malloc(d->test.nrows * m->noutputs * sizeof *pred);
    assert_int_equal(mdl_predict_frame(m, &d->test, pred, &err), ML_OK);
    mdl_free(m);
    return pred;
}

static void check_dataset(const char *name)
{
    const char *dir = test_shared_data();
    if (!dir)
        skip();
    json_t *entry = json_object_get(json_object_get(reference, "datasets"), name);
    assert_non_null(entry);
    split_data d;
    prepare(dir, name, entry, &d);
    /* The fixture's mloop parameters, as --param would give them. */
    param_kv kv[16];
    char values[16][64];
    size_t nkv = 0;
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(reference, "mloop_params"), key, value)
    {
        if (json_is_integer(value))
            snprintf(values[nkv], sizeof values[nkv], "%lld", (long long)json_integer_value(value));
        else
            snprintf(values[nkv], sizeof values[nkv], "%.17g", json_number_value(value));
        kv[nkv].key = key;
        kv[nkv].value = values[nkv];
        nkv++;
    }
    json_t *xgb = json_object_get(entry, "xgboost");
    size_t n = d.test.nrows;
    double *pred = train_predict(&d, MDL_KIND_GBDT, kv, nkv);
    mdl_task task = d.schema->task;
    if (task == MDL_TASK_BINARY) {
        double *p1 = malloc(n * sizeof *p1);
        for (size_t i = 0; i < n; i++)
            p1[i] = pred[2 * i + 1];
        double auc = met_auc(d.y_test, p1, NULL, n), ll = met_logloss_binary(d.y_test, p1, NULL, n);
        double ref_auc = json_real_value(json_object_get(xgb, "auc"));
        double ref_ll = json_real_value(json_object_get(xgb, "logloss"));
        printf("%s: auc %.4f (xgboost %.4f) logloss %.4f (xgboost %.4f)\n", name, auc, ref_auc, ll,
               ref_ll);
        assert_true(auc >= ref_auc - 0.01);
        assert_true(ll <= ref_ll * 1.10 + 0.01);
        free(p1);
        json_t *lr = json_object_get(entry, "logreg");
        if (lr) {
            param_kv lkv[] = {{"C", "1"}, {"max_iter", "10000"}, {"tol", "1e-10"}};
            double *lp = train_predict(&d, MDL_KIND_LINEAR, lkv, 3);
            double *q = malloc(n * sizeof *q);
            for (size_t i = 0; i < n; i++)
                q[i] = lp[2 * i + 1];
            double lauc = met_auc(d.y_test, q, NULL, n);
            double ref = json_real_value(json_object_get(lr, "auc"));
            printf("%s: logistic auc %.6f (scikit-learn %.6f)\n", name, lauc, ref);
            assert_true(fabs(lauc - ref) <= 1e-4);
            free(q);
            free(lp);
        }
    } else if (task == MDL_TASK_MULTICLASS) {
        size_t K = d.schema->nclasses;
        double ll = met_logloss_multi(d.y_test, pred, K, NULL, n);
        double acc = met_accuracy_multi(d.y_test, pred, K, NULL, n);
        double ref_ll = json_real_value(json_object_get(xgb, "multi_logloss"));
        double ref_acc = json_real_value(json_object_get(xgb, "accuracy"));
        printf("%s: multi_logloss %.4f (xgboost %.4f) accuracy %.4f (xgboost %.4f)\n", name, ll,
               ref_ll, acc, ref_acc);
        assert_true(ll <= ref_ll * 1.10 + 0.01);
        assert_true(acc >= ref_acc - 0.02);
    } else {
        double e = met_rmse(d.y_test, pred, NULL, n);
        double ref = json_real_value(json_object_get(xgb, "rmse"));
        printf("%s: rmse %.4f (xgboost %.4f)\n", name, e, ref);
        assert_true(e <= ref * 1.05);
    }
    free(pred);
    release(&d);
}

static void test_lgb_binary(void **state)
{
    (void)state;
    check_dataset("lgb_binary");
}

static void test_lgb_multiclass(void **state)
{
    (void)state;
    check_dataset("lgb_multiclass");
}

static void test_telco_churn(void **state)
{
    (void)state;
    check_dataset("telco_churn");
}

static void test_breast_cancer(void **state)
{
    (void)state;
    check_dataset("breast_cancer");
}

static void test_diabetes(void **state)
{
    (void)state;
    check_dataset("diabetes");
}

static void test_boston_housing(void **state)
{
    (void)state;
    check_dataset("mlbench_BostonHousing2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lgb_binary),  cmocka_unit_test(test_lgb_multiclass),
        cmocka_unit_test(test_telco_churn), cmocka_unit_test(test_breast_cancer),
        cmocka_unit_test(test_diabetes),    cmocka_unit_test(test_boston_housing),
    };
    return cmocka_run_group_tests(tests, load_reference, free_reference);
}
