/*
 * summary.c — train's report of a model (summary.h).
 */
#include "models/summary.h"

#include "eval/metrics.h"

#include <stdbool.h>
#include <stdlib.h>

/* Names of the summary metrics per task. */
static const char *const binary_metrics[] = {"auc", "logloss", "error"};
static const char *const multi_metrics[] = {"multi_logloss", "multi_error"};
static const char *const regression_metrics[] = {"rmse", "mae", "r2"};

json_t *mdl_summary_metrics(const mdl_model *m, const mdl_frame *f, const double *y, ml_error *err)
{
    size_t n = f->nrows, K = m->noutputs;
    double *pred = malloc((n ? n : 1) * K * sizeof *pred);
    if (!pred) {
        ml_err(err, ML_ENOMEM, "out of memory evaluating");
        return NULL;
    }
    if (mdl_predict_frame(m, f, pred, err)) {
        free(pred);
        return NULL;
    }
    const char *const *names = regression_metrics;
    size_t count = 3;
    if (m->schema->task == MDL_TASK_BINARY) {
        names = binary_metrics;
        for (size_t i = 0; i < n; i++)
            pred[i] = pred[2 * i + 1];
        K = 1;
    } else if (m->schema->task == MDL_TASK_MULTICLASS) {
        names = multi_metrics;
        count = 2;
    }
    json_t *o = json_object();
    for (size_t i = 0; i < count; i++) {
        met_id id;
        if (met_parse(names[i], &id, NULL))
            continue;
        json_object_set_new(o, names[i], json_real(met_compute(id, y, pred, K, NULL, n, 0.9)));
    }
    free(pred);
    return o;
}

/* Linear models: intercept and coefficients per output, on the original
 * scale of the inputs ("plan=gold" for a category's one-hot term). */
json_t *mdl_summary_coefficients(const mdl_model *m)
{
    const lin_model *lin = m->linear;
    json_t *outputs = json_array();
    size_t K = lin_noutputs(lin);
    for (size_t k = 0; k < K; k++) {
        json_t *terms = json_object();
        char buf[512];
        for (size_t t = 0; t < lin_num_terms(lin); t++)
            json_object_set_new(terms, lin_term_name(lin, t, buf, sizeof buf),
                                json_real(lin_coefficient(lin, k, t)));
        const char *label = m->schema->task == MDL_TASK_MULTICLASS ? m->schema->classes[k]
                            : m->schema->task == MDL_TASK_BINARY   ? m->schema->classes[1]
                                                                   : m->schema->target;
        json_array_append_new(outputs, json_pack("{s:s, s:f, s:o}", "output", label, "intercept",
                                                 lin_intercept(lin, k), "coefficients", terms));
    }
    return outputs;
}

json_t *mdl_summary_importance(const mdl_model *m)
{
    const double *gain = mdl_importance_gain(m);
    const uint64_t *splits = mdl_importance_splits(m);
    json_t *a = json_array();
    if (!gain)
        return a;
    size_t nf = m->schema->nfeatures;
    /* Sorted by gain, largest first (selection is fine for a few hundred inputs). */
    bool *done = calloc(nf ? nf : 1, 1);
    for (size_t k = 0; done && k < nf; k++) {
        size_t best = SIZE_MAX;
        for (size_t j = 0; j < nf; j++)
            if (!done[j] && (best == SIZE_MAX || gain[j] > gain[best]))
                best = j;
        done[best] = true;
        json_array_append_new(a,
                              json_pack("{s:s, s:f, s:I}", "input", m->schema->features[best].name,
                                        "gain", gain[best], "splits", (json_int_t)splits[best]));
    }
    free(done);
    return a;
}

