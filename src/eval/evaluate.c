/*
 * evaluate.c — predictions against the truth (evaluate.h).
 *
 * One pass decides everything a task reports, so `mloop eval`, the test
 * rows of a workflow and each cross-validation fold show the same metrics
 * under the same names.  The arrays behind the curves are kept in the
 * ev_eval, so the report and the JSON read the numbers that were computed
 * once; nothing here is recomputed for display.
 */
#include "eval/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ev_scores(const mdl_model *m, const mdl_frame *f, double **out, size_t *K, ml_error *err)
{
    size_t n = f->nrows, k = m->noutputs;
    double *pred = malloc((n ? n : 1) * k * sizeof *pred);
    *out = NULL;
    if (!pred)
        return ml_err(err, ML_ENOMEM, "out of memory scoring %zu rows", n);
    int rc = mdl_predict_frame(m, f, pred, err);
    if (rc) {
        free(pred);
        return rc;
    }
    if (m->schema->task == MDL_TASK_BINARY) { /* p_<first>, p_<second>: keep the second */
        for (size_t i = 0; i < n; i++)
            pred[i] = pred[2 * i + 1];
        k = 1;
    }
    *out = pred;
    *K = k;
    return ML_OK;
}

static void add(ev_eval *e, const char *name, double value)
{
    if (e->nmetrics < EV_MAX_METRICS) {
        e->metric_names[e->nmetrics] = name;
        e->metric_values[e->nmetrics++] = value;
    }
}

static int oom(ml_error *err)
{
    return ml_err(err, ML_ENOMEM, "out of memory evaluating");
}

static int classification(ev_eval *e, const double *w, ml_error *err)
{
    size_t n = e->n, K = e->nclasses;
    bool binary = e->task == MDL_TASK_BINARY;
    e->labels = malloc((n ? n : 1) * sizeof *e->labels);
    e->confusion = calloc(K * K, sizeof *e->confusion);
    e->per_class = calloc(K, sizeof *e->per_class);
    if (!e->labels || !e->confusion || !e->per_class)
        return oom(err);
    double t = e->threshold == e->threshold ? e->threshold : 0.5;
    for (size_t i = 0; i < n; i++) {
        if (binary) { /* predict()'s rule at 0.5: P(1) > 0.5; a chosen threshold: >= */
            double p = e->pred[i];
            e->labels[i] = e->threshold == e->threshold ? p >= t : p > t;
            continue;
        }
        const double *p = e->pred + i * K;
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (p[k] > p[best])
                best = k;
        e->labels[i] = (double)best;
    }
    const double *y = e->y, *l = e->labels;
    double accuracy = met_accuracy(y, l, w, n);
    if (binary) {
        met_prf prf = met_precision_recall_f1(y, l, 2, MET_AVG_BINARY, w, n);
        add(e, "auc", met_auc(y, e->pred, w, n));
        add(e, "average_precision", met_average_precision(y, e->pred, w, n));
        add(e, "logloss", met_logloss_binary(y, e->pred, w, n));
        add(e, "brier", met_brier(y, e->pred, w, n));
        add(e, "ece", met_ece(y, e->pred, w, n, EV_CALIBRATION_BINS));
        add(e, "accuracy", accuracy);
        add(e, "error", 1 - accuracy);
        add(e, "balanced_accuracy", met_balanced_accuracy(y, l, K, w, n));
        add(e, "precision", prf.precision);
        add(e, "recall", prf.recall);
        add(e, "f1", prf.f1);
    } else {
        met_prf macro = met_precision_recall_f1(y, l, K, MET_AVG_MACRO, w, n);
        met_prf weighted = met_precision_recall_f1(y, l, K, MET_AVG_WEIGHTED, w, n);
        add(e, "multi_logloss", met_logloss_multi(y, e->pred, K, w, n));
        add(e, "roc_auc_ovr", met_auc_ovr(y, e->pred, K, MET_AVG_MACRO, w, n));
        add(e, "roc_auc_ovr_weighted", met_auc_ovr(y, e->pred, K, MET_AVG_WEIGHTED, w, n));
        add(e, "accuracy", accuracy);
        add(e, "multi_error", 1 - accuracy);
        add(e, "balanced_accuracy", met_balanced_accuracy(y, l, K, w, n));
        add(e, "precision_macro", macro.precision);
        add(e, "recall_macro", macro.recall);
        add(e, "f1_macro", macro.f1);
        add(e, "f1_weighted", weighted.f1);
    }
    add(e, "mcc", met_mcc(y, l, K, w, n));
    add(e, "kappa", met_cohen_kappa(y, l, K, w, n));
    int rc = met_confusion_matrix(y, l, K, w, n, e->confusion, err);
    if (!rc)
        rc = met_class_report(y, l, K, w, n, e->per_class, err);
    return rc;
}

static int binary_curves(ev_eval *e, const double *w, ml_error *err)
{
    size_t n = e->n;
    e->fpr = malloc((n + 1) * sizeof(double));
    e->tpr = malloc((n + 1) * sizeof(double));
    e->roc_thresholds = malloc((n + 1) * sizeof(double));
    e->precision = malloc((n + 1) * sizeof(double));
    e->recall = malloc((n + 1) * sizeof(double));
    e->pr_thresholds = malloc((n + 1) * sizeof(double));
    e->by_threshold = malloc(EV_THRESHOLD_ROWS * sizeof *e->by_threshold);
    e->calibration = malloc(EV_CALIBRATION_BINS * sizeof *e->calibration);
    if (!e->fpr || !e->tpr || !e->roc_thresholds || !e->precision || !e->recall ||
        !e->pr_thresholds || !e->by_threshold || !e->calibration)
        return oom(err);
    const double *y = e->y, *p = e->pred;
    int rc = met_roc_curve(y, p, w, n, e->fpr, e->tpr, e->roc_thresholds, &e->roc_n, err);
    if (!rc)
        rc = met_pr_curve(y, p, w, n, e->precision, e->recall, e->pr_thresholds, &e->pr_n, err);
    if (!rc)
        rc = met_threshold_table(y, p, w, n, EV_THRESHOLD_ROWS, e->by_threshold, &e->threshold_n,
                                 err);
    if (!rc)
        rc = met_calibration_curve(y, p, w, n, EV_CALIBRATION_BINS, MET_BINS_UNIFORM,
                                   e->calibration, &e->calibration_n, err);
    if (!rc)
        e->pr_n++; /* precision and recall have one entry more than the thresholds */
    return rc;
}

static int regression(ev_eval *e, const double *w, ml_error *err)
{
    const double *y = e->y, *p = e->pred;
    size_t n = e->n;
    add(e, "rmse", met_rmse(y, p, w, n));
    add(e, "mae", met_mae(y, p, w, n));
    add(e, "r2", met_r2(y, p, w, n));
    add(e, "explained_variance", met_explained_variance(y, p, w, n));
    add(e, "mape", met_mape(y, p, w, n));
    add(e, "median_ae", met_median_ae(y, p, w, n));
    bool counts = true; /* Poisson deviance needs y >= 0 and pred > 0 */
    for (size_t i = 0; i < n && counts; i++)
        counts = y[i] >= 0 && p[i] > 0;
    add(e, "poisson_deviance", counts ? met_poisson_deviance(y, p, w, n) : NAN);
    static const double q[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    return met_residual_quantiles(y, p, n, q, 5, e->residual_quantiles, err);
}

int ev_evaluate(mdl_task task, size_t nclasses, const double *y, const double *pred,
                const double *w, size_t n, double threshold, ev_eval *e, ml_error *err)
{
    memset(e, 0, sizeof *e);
    e->task = task;
    e->n = n;
    e->nclasses = mdl_task_is_classification(task) ? nclasses : 0;
    e->y = y;
    e->pred = pred;
    e->threshold = task == MDL_TASK_BINARY ? threshold : NAN;
    if (n == 0)
        return ml_err(err, ML_EINVAL, "no rows to evaluate");
    int rc;
    if (!mdl_task_is_classification(task)) {
        rc = regression(e, w, err);
    } else {
        rc = classification(e, w, err);
        if (!rc && task == MDL_TASK_BINARY)
            rc = binary_curves(e, w, err);
    }
    if (rc)
        ev_free(e);
    return rc;
}

void ev_free(ev_eval *e)
{
    free(e->labels);
    free(e->confusion);
    free(e->per_class);
    free(e->fpr);
    free(e->tpr);
    free(e->roc_thresholds);
    free(e->precision);
    free(e->recall);
    free(e->pr_thresholds);
    free(e->by_threshold);
    free(e->calibration);
    memset(e, 0, sizeof *e);
}

/* NaN and infinities are not JSON: null. */
static json_t *number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *ev_metrics_json(const ev_eval *e)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < e->nmetrics; i++)
        json_object_set_new(o, e->metric_names[i], number(e->metric_values[i]));
    return o;
}

json_t *ev_json(const ev_eval *e, const char *const *classes)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "rows", json_integer((json_int_t)e->n));
    json_object_set_new(o, "metrics", ev_metrics_json(e));
    if (e->task == MDL_TASK_BINARY)
        json_object_set_new(o, "decision_threshold",
                            number(e->threshold == e->threshold ? e->threshold : 0.5));
    if (e->nclasses) {
        size_t K = e->nclasses;
        json_t *labels = json_array(), *cm = json_array(), *report = json_array();
        for (size_t a = 0; a < K; a++) {
            json_array_append_new(labels, json_string(classes[a]));
            json_t *row = json_array();
            for (size_t b = 0; b < K; b++)
                json_array_append_new(row, number(e->confusion[a * K + b]));
            json_array_append_new(cm, row);
            const met_class_row *c = &e->per_class[a];
            json_array_append_new(report, json_pack("{s:s,s:o,s:o,s:o,s:o}", "class", classes[a],
                                                    "precision", number(c->precision), "recall",
                                                    number(c->recall), "f1", number(c->f1),
                                                    "support", number(c->support)));
        }
        json_object_set_new(o, "confusion_matrix",
                            json_pack("{s:o,s:o}", "labels", labels, "counts", cm));
        json_object_set_new(o, "per_class", report);
    } else {
        static const char *const names[5] = {"p5", "p25", "p50", "p75", "p95"};
        json_t *q = json_object();
        for (size_t i = 0; i < 5; i++)
            json_object_set_new(q, names[i], number(e->residual_quantiles[i]));
        json_object_set_new(o, "residual_quantiles", q);
    }
    return o;
}

int ev_report(const ev_eval *e, const char *const *classes, rpt_report *r, rpt_metric *metrics,
              double **scratch, ml_error *err)
{
    *scratch = NULL;
    for (size_t i = 0; i < e->nmetrics; i++)
        metrics[i] = (rpt_metric){e->metric_names[i], e->metric_values[i], NAN};
    r->metrics = metrics;
    r->n_metrics = e->nmetrics;
    if (!e->nclasses) {
        r->regression = (rpt_regression){.pred = e->pred, .actual = e->y, .n = e->n};
        return ML_OK;
    }
    size_t K = e->nclasses, nt = e->threshold_n, nc = e->calibration_n;
    double *s = malloc((4 * K + 4 * nt + 3 * nc + 1) * sizeof *s);
    if (!(*scratch = s))
        return oom(err);
    double *prec = s, *rec = s + K, *f1 = s + 2 * K, *support = s + 3 * K;
    for (size_t k = 0; k < K; k++) {
        prec[k] = e->per_class[k].precision;
        rec[k] = e->per_class[k].recall;
        f1[k] = e->per_class[k].f1;
        support[k] = e->per_class[k].support;
    }
    r->confusion = (rpt_confusion){e->confusion, classes, K};
    r->per_class = (rpt_per_class){classes, prec, rec, f1, support, K};
    if (e->task != MDL_TASK_BINARY)
        return ML_OK;
    double *t = s + 4 * K, *tp = t + nt, *tr = tp + nt, *tf = tr + nt;
    for (size_t i = 0; i < nt; i++) {
        t[i] = e->by_threshold[i].threshold;
        tp[i] = e->by_threshold[i].precision;
        tr[i] = e->by_threshold[i].recall;
        tf[i] = e->by_threshold[i].f1;
    }
    double *cm = s + 4 * K + 4 * nt, *cf = cm + nc, *cc = cf + nc;
    for (size_t b = 0; b < nc; b++) {
        cm[b] = e->calibration[b].mean_pred;
        cf[b] = e->calibration[b].frac_pos;
        cc[b] = e->calibration[b].weight;
    }
    /* classification() adds auc, then average_precision, first */
    r->roc = (rpt_roc){e->fpr, e->tpr, e->roc_n, e->metric_values[0]};
    r->pr = (rpt_pr){e->recall, e->precision, e->pr_n, e->metric_values[1]};
    r->threshold = (rpt_threshold){t, tp, tr, tf, nt, e->threshold};
    r->calibration = (rpt_calibration){cm, cf, cc, nc};
    return ML_OK;
}
