/*
 * metrics.h — evaluation metrics over arrays, defined as scikit-learn
 * defines them (the tests compare against its values).
 *
 * Contract
 *  - y holds 0/1 (binary), class indices (multiclass) or values
 *    (regression); w holds sample weights or is NULL (all 1).
 *  - Binary scores are P(class 1); multiclass probabilities are n x K,
 *    row-major.  Probabilities are clipped to [1e-15, 1 - 1e-15] for log
 *    loss, as scikit-learn does.
 *  - Undefined values are NaN: AUC or average precision with one class
 *    present, any metric over zero rows (or zero total weight), R² of a
 *    constant target.
 *  - met_id names a metric for early stopping and reports; its values are
 *    not written to disk.
 */
#ifndef ML_EVAL_METRICS_H
#define ML_EVAL_METRICS_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>

double met_auc(const double *y, const double *score, const double *w, size_t n);
double met_average_precision(const double *y, const double *score, const double *w, size_t n);
double met_logloss_binary(const double *y, const double *p, const double *w, size_t n);
double met_accuracy_binary(const double *y, const double *p, const double *w, size_t n);
double met_logloss_multi(const double *y, const double *prob, size_t K, const double *w, size_t n);
double met_accuracy_multi(const double *y, const double *prob, size_t K, const double *w, size_t n);
double met_rmse(const double *y, const double *pred, const double *w, size_t n);
double met_mae(const double *y, const double *pred, const double *w, size_t n);
double met_r2(const double *y, const double *pred, const double *w, size_t n);
double met_poisson_deviance(const double *y, const double *pred, const double *w, size_t n);
double met_quantile_loss(const double *y, const double *pred, const double *w, size_t n,
                         double alpha);

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
} met_id;

/* auc logloss error multi_logloss multi_error rmse mae r2 poisson quantile
 * (and scikit-learn's roc_auc, log_loss);
 * an unknown name is ML_EINVAL listing them (err may be NULL). */
int met_parse(const char *name, met_id *out, ml_error *err);
const char *met_name(met_id id);
bool met_higher_is_better(met_id id);
/* task: 0 binary, 1 multiclass, 2 regression (mdl_task). */
bool met_valid_for_task(met_id id, int task);
/* pred: P(class 1) for binary (K = 1), n x K probabilities for multiclass,
 * values for regression; alpha: the quantile level of MET_QUANTILE. */
double met_compute(met_id id, const double *y, const double *pred, size_t K, const double *w,
                   size_t n, double alpha);

#endif
