/*
 * evaluate.h — a model's predictions scored against the truth: the bridge
 * between the model interface (what a model outputs), the metrics (what
 * they take) and the report (what it draws).  Used by `mloop eval`, the
 * workflow's test and cross-validation scores, and tuning.
 *
 * Contract
 *  - ev_scores predicts every row of an input frame (built with
 *    mdl_inputs) into the layout eval/metrics.h takes: binary P(class 1)
 *    with K = 1, multiclass n x K probabilities, regression values with
 *    K = 1.  The caller frees *out.
 *  - ev_evaluate computes the task's whole metric set, and for
 *    classification the confusion matrix and per-class report, for binary
 *    models the ROC, precision-recall, threshold and calibration curves,
 *    for regression the residual quantiles.  Label metrics of a binary
 *    model use `threshold` (NaN: 0.5, predict()'s rule).  y and pred are
 *    borrowed and must outlive the ev_eval.  Any metric that is undefined
 *    on these rows (AUC with one class present) is NaN, shown as null in
 *    JSON and "—" in reports.
 *  - ev_metrics_json gives {name: value}; ev_json the whole evaluation.
 *  - ev_report fills the report's evaluation parts with pointers into e
 *    (and labels), so e must outlive the report's rendering.
 */
#ifndef ML_EVAL_EVALUATE_H
#define ML_EVAL_EVALUATE_H

#include "core/error.h"
#include "eval/curves.h"
#include "eval/report.h"
#include "models/model.h"

#include <jansson.h>
#include <stddef.h>

int ev_scores(const mdl_model *m, const mdl_frame *f, double **out, size_t *K, ml_error *err);

enum { EV_MAX_METRICS = 24, EV_THRESHOLD_ROWS = 200, EV_CALIBRATION_BINS = 10 };

typedef struct ev_eval {
    mdl_task task;
    size_t n, nclasses; /* nclasses: 0 for regression */
    const double *y, *pred;
    double threshold; /* binary: the decision threshold used for labels */
    size_t nmetrics;
    const char *metric_names[EV_MAX_METRICS];
    double metric_values[EV_MAX_METRICS];
    double *labels;                     /* classification: predicted class per row */
    double *confusion;                  /* nclasses x nclasses, rows = true class */
    met_class_row *per_class;           /* nclasses */
    double *fpr, *tpr, *roc_thresholds; /* binary */
    size_t roc_n;
    double *precision, *recall, *pr_thresholds;
    size_t pr_n;
    met_threshold_row *by_threshold;
    size_t threshold_n;
    met_calib_bin *calibration;
    size_t calibration_n;
    double residual_quantiles[5]; /* regression: 5, 25, 50, 75, 95 % of y - pred */
} ev_eval;

int ev_evaluate(mdl_task task, size_t nclasses, const double *y, const double *pred,
                const double *w, size_t n, double threshold, ev_eval *e, ml_error *err);
void ev_free(ev_eval *e);

json_t *ev_metrics_json(const ev_eval *e);
/* The metrics, confusion matrix and per-class report under the class
 * labels, the decision threshold and the residual quantiles. */
json_t *ev_json(const ev_eval *e, const char *const *classes);

/* Fills r's metrics (into metrics[EV_MAX_METRICS]), roc, pr, threshold,
 * calibration, confusion, per_class and regression parts.  The per-column
 * scratch (calibration and threshold columns) lives in *scratch, freed by
 * the caller with free() after rendering. */
int ev_report(const ev_eval *e, const char *const *classes, rpt_report *r, rpt_metric *metrics,
              double **scratch, ml_error *err);

#endif
