/*
 * metrics.h — scalar evaluation metrics over arrays, defined as
 * scikit-learn 1.2 defines them (the tests compare against its values to
 * 1e-9 relative on tests/fixtures/metrics/reference*.txt).  Curves,
 * calibration and threshold choice are in eval/curves.h.
 *
 * Contract
 *  - y holds 0/1 (binary), class indices 0..K-1 as doubles (multiclass) or
 *    values (regression); w holds sample weights or is NULL (all 1).
 *  - Binary scores are P(class 1); multiclass probabilities are n x K,
 *    row-major; predicted labels ("pred" of the label metrics) are class
 *    indices as doubles.
 *  - A label outside 0..K-1 (or not an integer) makes a label metric NaN.
 *  - Any metric over zero rows, or zero total weight, is NaN.  Where
 *    scikit-learn would raise, or warn and return nan, the value is NaN;
 *    where it warns and returns 0 by its zero_division default, it is 0.
 *    Each exception is listed at its function.
 *  - Metrics that sort (AUC, average precision, median absolute error)
 *    allocate scratch; on out of memory they return NaN (a scalar has no
 *    room for a status; eval/curves.h functions return ML_ENOMEM instead).
 *    Label metrics keep per-class sums on the stack up to 64 classes and
 *    allocate above that (NaN on out of memory).
 *  - met_id names a metric for early stopping, tuning and reports; its
 *    values are not written to disk and are only ever appended.
 */
#ifndef ML_EVAL_METRICS_H
#define ML_EVAL_METRICS_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- from scores / probabilities (binary: y 0/1, score = P(class 1)) ---- */

/* ROC AUC (roc_auc_score); NaN with one class present. */
double met_auc(const double *y, const double *score, const double *w, size_t n);
/* Average precision (average_precision_score, the step sum
 * sum_k (R_k - R_{k-1}) P_k).  NaN without positives: scikit-learn warns
 * and returns 0 there, which reads as a real score. */
double met_average_precision(const double *y, const double *score, const double *w, size_t n);
/* log_loss(labels=[0, 1]): p clipped to [eps, 1 - eps] with eps the double
 * epsilon (scikit-learn 1.2's eps="auto").  Defined when y holds one class
 * (scikit-learn raises unless labels are given; early stopping needs it). */
double met_logloss_binary(const double *y, const double *p, const double *w, size_t n);
/* accuracy of p > 0.5 (predict()'s argmax over [1 - p, p], ties to 0). */
double met_accuracy_binary(const double *y, const double *p, const double *w, size_t n);
/* log_loss(labels=range(K)): clipped, each row renormalised; defined when
 * some classes are absent from y (scikit-learn raises without labels). */
double met_logloss_multi(const double *y, const double *prob, size_t K, const double *w, size_t n);
/* accuracy of the row argmax (first maximum). */
double met_accuracy_multi(const double *y, const double *prob, size_t K, const double *w, size_t n);
/* brier_score_loss: mean (y - p)^2; NaN if some p is outside [0, 1] or a y
 * is not 0/1 (scikit-learn raises). */
double met_brier(const double *y, const double *p, const double *w, size_t n);

typedef enum met_average {
    MET_AVG_BINARY,   /* class 1 only; needs K == 2 */
    MET_AVG_MACRO,    /* unweighted mean over classes */
    MET_AVG_MICRO,    /* global counts */
    MET_AVG_WEIGHTED, /* mean weighted by each class's (weighted) support */
} met_average;

/* roc_auc_score(multi_class='ovr', average=macro|weighted): one-vs-rest AUC
 * of column k against y == k.  NaN (scikit-learn raises) when some class
 * 0..K-1 has no row in y, a row of prob does not sum to 1 (numpy allclose),
 * avg is not MACRO or WEIGHTED, or a label is not a class; NaN as well when
 * a class's AUC is (its rows all weigh 0) — except under WEIGHTED, where a
 * class of zero weight counts 0, as scikit-learn does.  Zero total weight is
 * NaN (scikit-learn returns 0). */
double met_auc_ovr(const double *y, const double *prob, size_t K, met_average avg, const double *w,
                   size_t n);

/* ---- from predicted labels (class indices 0..K-1; binary is K = 2) ---- */

/* accuracy_score: weighted share of rows with pred == y. */
double met_accuracy(const double *y, const double *pred, const double *w, size_t n);
/* balanced_accuracy_score: mean recall over the classes whose weighted
 * support is nonzero (scikit-learn drops the others with a warning). */
double met_balanced_accuracy(const double *y, const double *pred, size_t K, const double *w,
                             size_t n);

typedef struct met_prf {
    double precision, recall, f1;
} met_prf;

/* precision_recall_fscore_support(average=...), zero_division "warn": a
 * ratio with a zero denominator is 0.  MACRO averages over the classes
 * present in y or pred (scikit-learn's labels=None; a zero-weight row still
 * makes its class present), WEIGHTED weighs them by weighted support (all 0
 * when that sums to 0).  BINARY with K != 2 is NaN (scikit-learn raises). */
met_prf met_precision_recall_f1(const double *y, const double *pred, size_t K, met_average avg,
                                const double *w, size_t n);
/* matthews_corrcoef (binary and multiclass); 0 when y or pred holds a
 * single class, as scikit-learn returns (it does not warn). */
double met_mcc(const double *y, const double *pred, size_t K, const double *w, size_t n);
/* cohen_kappa_score (unweighted kappa); NaN when y and pred hold the same
 * single class (0/0; scikit-learn warns and returns nan). */
double met_cohen_kappa(const double *y, const double *pred, size_t K, const double *w, size_t n);
/* confusion_matrix(labels=range(K)): cm (K x K, row-major, rows = true
 * class) gets the weighted counts.  ML_EINVAL names the first bad label. */
int met_confusion_matrix(const double *y, const double *pred, size_t K, const double *w, size_t n,
                         double *cm, ml_error *err);

typedef struct met_class_row {
    double precision, recall, f1, support; /* support: weighted count in y */
} met_class_row;

/* classification_report's numbers for every class 0..K-1 (labels=range(K),
 * zero_division 0): rows has K entries.  ML_EINVAL for a bad label, no
 * rows or zero total weight; ML_ENOMEM above 64 classes when allocation
 * fails. */
int met_class_report(const double *y, const double *pred, size_t K, const double *w, size_t n,
                     met_class_row *rows, ml_error *err);

/* ---- regression ---- */

double met_rmse(const double *y, const double *pred, const double *w, size_t n);
double met_mae(const double *y, const double *pred, const double *w, size_t n);
/* r2_score; NaN for a constant y (scikit-learn's default force_finite
 * returns 1.0 for perfect and 0.0 for other predictions there). */
double met_r2(const double *y, const double *pred, const double *w, size_t n);
/* explained_variance_score; NaN for a constant y, as met_r2. */
double met_explained_variance(const double *y, const double *pred, const double *w, size_t n);
/* mean_absolute_percentage_error: mean |pred - y| / max(|y|, DBL_EPSILON)
 * (a zero in y gives a huge, finite term, as in scikit-learn). */
double met_mape(const double *y, const double *pred, const double *w, size_t n);
/* median_absolute_error: unweighted, numpy's median (mean of the two middle
 * values for even n); weighted, scikit-learn 1.2's _weighted_percentile at
 * 50: the smallest |error| whose cumulative weight (ascending) reaches half
 * the total — no interpolation. */
double met_median_ae(const double *y, const double *pred, const double *w, size_t n);
/* mean_poisson_deviance; pred <= 0 is clamped to 1e-15 (scikit-learn
 * raises), so early stopping on a raw model never sees NaN. */
double met_poisson_deviance(const double *y, const double *pred, const double *w, size_t n);
/* mean_pinball_loss(alpha). */
double met_quantile_loss(const double *y, const double *pred, const double *w, size_t n,
                         double alpha);
/* Quantiles of the residuals y - pred, unweighted, numpy's default linear
 * interpolation: out[j] = np.quantile(y - pred, q[j]), q[j] in [0, 1].
 * ML_EINVAL for no rows or q outside [0, 1], ML_ENOMEM for the sort. */
int met_residual_quantiles(const double *y, const double *pred, size_t n, const double *q,
                           size_t nq, double *out, ml_error *err);

/* ---- names for early stopping, tuning and reports ---- */

typedef enum met_id {
    MET_AUC,
    MET_LOGLOSS,
    MET_ERROR,
    MET_MULTI_LOGLOSS,
    MET_MULTI_ERROR,
    MET_RMSE,
    MET_MAE,
    MET_R2,
    MET_POISSON,
    MET_QUANTILE,
    /* appended; label metrics on probabilities use p > 0.5 / the argmax */
    MET_ACCURACY,
    MET_BALANCED_ACCURACY,
    MET_F1,
    MET_PRECISION,
    MET_RECALL,
    MET_F1_MACRO,
    MET_F1_WEIGHTED,
    MET_AVERAGE_PRECISION,
    MET_BRIER,
    MET_MCC,
    MET_KAPPA,
    MET_AUC_OVR,
    MET_AUC_OVR_WEIGHTED,
    MET_MAPE,
    MET_MEDIAN_AE,
    MET_EXPLAINED_VARIANCE,
} met_id;

/* Names (met_name): auc logloss error multi_logloss multi_error rmse mae r2
 * poisson quantile accuracy balanced_accuracy f1 precision recall f1_macro
 * f1_weighted average_precision brier mcc kappa roc_auc_ovr
 * roc_auc_ovr_weighted mape median_ae explained_variance; aliases roc_auc,
 * log_loss, matthews_corrcoef, cohen_kappa, brier_score.  An unknown name is
 * ML_EINVAL listing them (err may be NULL). */
int met_parse(const char *name, met_id *out, ml_error *err);
const char *met_name(met_id id);
bool met_higher_is_better(met_id id);
/* task: 0 binary, 1 multiclass, 2 regression (mdl_task). */
bool met_valid_for_task(met_id id, int task);
/* pred: P(class 1) for binary (K = 1), n x K probabilities for multiclass,
 * values for regression; alpha: the quantile level of MET_QUANTILE. */
double met_compute(met_id id, const double *y, const double *pred, size_t K, const double *w,
                   size_t n, double alpha);

/* ---- shared with eval/curves.c ---- */

/* Rows ordered by key[i * stride] ascending, stable (NaN last); NULL on out
 * of memory or n > UINT32_MAX.  The caller frees. */
uint32_t *met_sorted_rows(const double *key, size_t stride, size_t n);
/* numpy.quantile(sorted[0..n), q), method "linear", bit for bit. */
double met_quantile_sorted(const double *sorted, size_t n, double q);

#endif
