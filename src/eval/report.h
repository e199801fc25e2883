/*
 * report.h — an evaluation report as one self-contained HTML file: inline
 * CSS, hand-written SVG charts, no script, nothing loaded from the network.
 *
 * Contract
 *  - The module renders what it is given; it computes no metrics.  (It does
 *    sort feature importances for the top 30, subsample scatters, and fill
 *    in a CV table's mean ± std row when the caller gives none.)
 *  - Every array is owned by the caller and only read.  Every part of
 *    rpt_report is optional: a NULL pointer or a zero count leaves its
 *    section out, so `rpt_report r = {0}` is a valid (empty) report.
 *  - Optional scalars use NAN for "absent" (the AUC in the ROC legend, the
 *    chosen threshold, a metric's std); indexes use a has_ flag.
 *  - Non-finite values are skipped in charts (a line breaks there) and shown
 *    as "—" in tables.  Every text from the caller is HTML-escaped.
 *  - Numbers are printed the same under every locale (%.4g shape, '.').
 *  - Each chart is `<svg class="chart" data-chart="KIND">` with KIND one of
 *    roc, pr, threshold, calibration, confusion, importance, residuals,
 *    pred_actual, trials (one per tuned parameter); tables carry
 *    data-table="metrics|per_class|cv|trials".
 */
#ifndef ML_EVAL_REPORT_H
#define ML_EVAL_REPORT_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Points drawn at most in the residual and predicted-vs-actual scatters;
 * larger inputs are subsampled evenly (deterministic). */
#define RPT_MAX_SCATTER 5000
/* Features shown at most in the importance chart (largest |value| first). */
#define RPT_MAX_IMPORTANCE 30

typedef struct rpt_metric {
    const char *name;
    double value;
    double std; /* NAN: no "± std" */
} rpt_metric;

typedef struct rpt_roc {
    const double *fpr, *tpr;
    size_t n;
    double auc; /* shown in the legend; NAN: not shown */
} rpt_roc;

typedef struct rpt_pr {
    const double *recall, *precision;
    size_t n;
    double ap; /* average precision for the legend; NAN: not shown */
} rpt_pr;

typedef struct rpt_threshold {
    const double *threshold, *precision, *recall, *f1; /* any of the last three may be NULL */
    size_t n;
    double chosen; /* marked with a vertical line; NAN: none */
} rpt_threshold;

typedef struct rpt_calibration {
    const double *mean_pred, *frac_pos;
    const double *count; /* per bin, may be NULL; drawn as a histogram underneath */
    size_t nbins;
} rpt_calibration;

typedef struct rpt_confusion {
    const double *m;           /* k x k, row-major, row = true class, column = predicted */
    const char *const *labels; /* k names, may be NULL (then 0..k-1) */
    size_t k;
} rpt_confusion;

typedef struct rpt_per_class {
    const char *const *labels;                       /* k names, may be NULL (then 0..k-1) */
    const double *precision, *recall, *f1, *support; /* each may be NULL (column left out) */
    size_t k;
} rpt_per_class;

typedef struct rpt_importance {
    const char *const *names;
    const double *values;
    size_t n;
    const char *kind; /* axis label, e.g. "gain"; NULL: "importance" */
} rpt_importance;

typedef struct rpt_cv {
    const char *const *metric_names; /* n_metrics column titles */
    size_t n_metrics;
    size_t n_folds;
    const double *values; /* n_folds x n_metrics, row-major */
    const int *fold;      /* n_folds fold numbers; NULL: 1..n_folds */
    /* n_metrics each; NULL: the mean and the population std (ddof 0, as
     * scikit-learn's cv_results_) of the finite fold values */
    const double *mean, *std;
} rpt_cv;

typedef struct rpt_regression {
    const double *pred;
    const double *actual;   /* NULL: no predicted-vs-actual chart */
    const double *residual; /* NULL: actual - pred when actual is given */
    size_t n;
} rpt_regression;

typedef struct rpt_tuning {
    const char *const *param_names; /* n_params; one score-vs-value chart each */
    size_t n_params;
    const double *param_values;      /* n_trials x n_params, row-major; NAN: not numeric/not set */
    const bool *log_scale;           /* n_params, may be NULL: log x-axis where true */
    const char *const *trial_params; /* n_trials texts for the table, may be NULL */
    const double *score;             /* n_trials */
    const double *score_std;         /* n_trials, may be NULL */
    const double *seconds;           /* n_trials, may be NULL */
    size_t n_trials;
    const char *score_name; /* NULL: "score" */
    bool has_best;
    size_t best; /* highlighted trial when has_best */
} rpt_tuning;

typedef struct rpt_report {
    const char *title; /* NULL: "Evaluation report" */
    const char *subtitle;
    const char *model, *task, *data_source, *date; /* header facts */
    const rpt_metric *metrics;
    size_t n_metrics;
    rpt_roc roc;
    rpt_pr pr;
    rpt_threshold threshold;
    rpt_calibration calibration;
    rpt_confusion confusion;
    rpt_per_class per_class;
    rpt_importance importance;
    rpt_cv cv;
    rpt_regression regression;
    rpt_tuning tuning;
} rpt_report;

/* Renders the whole page into a new malloc'd NUL-terminated buffer (*len
 * bytes without the NUL).  ML_EINVAL when a part is inconsistent (a count
 * without its arrays, best out of range), ML_ENOMEM. */
int rpt_render(const rpt_report *r, char **html, size_t *len, ml_error *err);

/* Renders and writes path atomically: a temporary file beside it, fsync,
 * rename.  On failure nothing is left behind and the message names path. */
int rpt_write_html(const rpt_report *r, const char *path, ml_error *err);

#endif
