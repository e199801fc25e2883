/*
 * curves.h — binary-classifier curves, calibration and threshold choice,
 * defined as scikit-learn 1.2 defines them (tests compare to its values).
 *
 * Contract
 *  - y holds 0/1, score the score of class 1 (any finite value; calibration
 *    needs probabilities in [0, 1]), w the sample weights or NULL (all 1).
 *  - A prediction is positive when score >= threshold.
 *  - Rows of zero weight are dropped first, as scikit-learn's curves do, so
 *    their scores never become thresholds.
 *  - Every function sorts (score, row) pairs in malloc'd scratch of about
 *    32 bytes a row and returns ML_ENOMEM when that fails; ML_EINVAL names
 *    the first bad input (a label not 0/1, a score not finite, no row of
 *    nonzero weight, a bad parameter).  Outputs are caller buffers sized as
 *    stated at each function; *len gets the entries written.
 */
#ifndef ML_EVAL_CURVES_H
#define ML_EVAL_CURVES_H

#include "eval/metrics.h"

/* roc_curve(drop_intermediate=True): fpr, tpr and thresholds, each with
 * room for n + 1 entries.  Thresholds decrease; the first is the highest
 * score + 1 (scikit-learn 1.2; 1.3 made it inf) with fpr = tpr = 0.
 * Collinear interior points are dropped by the same exact second-difference
 * test.  fpr is NaN throughout when no negative has weight, tpr when no
 * positive has (scikit-learn warns and does the same). */
int met_roc_curve(const double *y, const double *score, const double *w, size_t n, double *fpr,
                  double *tpr, double *thresholds, size_t *len, ml_error *err);

/* precision_recall_curve: thresholds increase (room for n), precision and
 * recall have *len + 1 entries (room for n + 1), ending with 1 and 0.  A
 * threshold that selects no weight has precision 0; without positives
 * recall is 1 throughout (scikit-learn warns and does the same). */
int met_pr_curve(const double *y, const double *score, const double *w, size_t n, double *precision,
                 double *recall, double *thresholds, size_t *len, ml_error *err);

typedef struct met_threshold_row {
    double threshold, precision, recall, f1;
} met_threshold_row;

/* One row per distinct score, threshold increasing, with precision_score,
 * recall_score and f1_score of score >= threshold (a zero denominator
 * gives 0, scikit-learn's zero_division default).  max_rows 0 keeps every
 * row (room for n); otherwise when there are m > max_rows distinct scores
 * the rows i (m - 1) / (max_rows - 1), i = 0..max_rows-1 (integer
 * division; only row 0 when max_rows is 1) are kept: evenly spread, the
 * lowest and highest thresholds always among them. */
int met_threshold_table(const double *y, const double *score, const double *w, size_t n,
                        size_t max_rows, met_threshold_row *rows, size_t *len, ml_error *err);

/* A chosen threshold: value is the criterion's metric there (F1, Youden's
 * J, precision, recall or expected cost); precision and recall as in the
 * threshold table; fpr the weighted false-positive rate (NaN without
 * negatives).  When no threshold qualifies, threshold and value are NaN
 * and the call still returns ML_OK. */
typedef struct met_choice {
    double threshold, value, precision, recall, fpr;
} met_choice;

/* Candidates are the distinct scores; ties in the criterion go to the
 * highest threshold (the fewest positives). */
int met_choose_max_f1(const double *y, const double *score, const double *w, size_t n,
                      met_choice *out, ml_error *err);
/* Max tpr - fpr; NaN unless both classes have weight. */
int met_choose_youden(const double *y, const double *score, const double *w, size_t n,
                      met_choice *out, ml_error *err);
/* The lowest threshold whose precision >= target (target in [0, 1]). */
int met_choose_precision(const double *y, const double *score, const double *w, size_t n,
                         double target, met_choice *out, ml_error *err);
/* The highest threshold whose recall >= target (target in [0, 1]); NaN
 * without positives. */
int met_choose_recall(const double *y, const double *score, const double *w, size_t n,
                      double target, met_choice *out, ml_error *err);
/* Min (cost_fp FP + cost_fn FN) / total weight, FP and FN weighted counts;
 * costs finite and >= 0.  Predicting nothing positive is a candidate too,
 * as threshold +inf. */
int met_choose_min_cost(const double *y, const double *score, const double *w, size_t n,
                        double cost_fp, double cost_fn, met_choice *out, ml_error *err);

typedef enum met_bin_strategy {
    MET_BINS_UNIFORM,  /* edges i / n_bins, as numpy.linspace(0, 1) */
    MET_BINS_QUANTILE, /* edges numpy.percentile(p, linspace(0, 100)) */
} met_bin_strategy;

typedef struct met_calib_bin {
    double mean_pred, frac_pos, weight; /* weight: the bin's rows (weighted) */
} met_calib_bin;

/* calibration_curve(n_bins, strategy): a row falls in bin b when b inner
 * edges are < p (numpy.searchsorted, side left).  One entry per bin of
 * nonzero weight, in bin order (bins has room for n_bins).  scikit-learn
 * has no sample weights here: with w, means and counts are weighted and
 * quantile edges still come from the unweighted scores. */
int met_calibration_curve(const double *y, const double *p, const double *w, size_t n,
                          size_t n_bins, met_bin_strategy strategy, met_calib_bin *bins,
                          size_t *len, ml_error *err);

/* Expected calibration error over n_bins uniform bins:
 *   ECE = sum_b W_b |frac_pos_b - mean_pred_b| / sum_b W_b
 * with W_b the bin's weight (its row count without w), using the bins of
 * met_calibration_curve.  NaN where that would fail. */
double met_ece(const double *y, const double *p, const double *w, size_t n, size_t n_bins);

#endif
