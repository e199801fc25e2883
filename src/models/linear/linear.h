/*
 * linear.h — linear and logistic regression: ordinary least squares, ridge,
 * lasso and elastic net for regression; binary and multinomial (softmax)
 * logistic regression with L2, L1 or elastic-net penalties.
 *
 * Contract
 *  - Inputs are encoded automatically.  A numeric input is standardized with
 *    the (weighted) mean and standard deviation of the training rows; a
 *    constant column gets scale 1 (its coefficient ends up 0).  A missing
 *    numeric value (NaN) is imputed with the training mean, i.e. 0 after
 *    standardization.  A categorical input with ncat categories becomes ncat
 *    one-hot 0/1 columns (code c → column c), left unscaled; an unseen (-1)
 *    or missing (NaN) category gives all zeros.
 *  - Penalties act on the standardized coefficients (as glmnet does with
 *    standardize=TRUE); the intercept is never penalized.  Coefficients are
 *    reported on the original scale of the inputs.
 *  - Objectives (W = Σ weights, sklearn's conventions):
 *      regression:  1/(2W)·Σ w(y−Xβ)² + alpha·l1_ratio·‖β‖₁
 *                   + ½·alpha·(1−l1_ratio)·‖β‖²   (ElasticNet; alpha=0: OLS)
 *      logistic:    C·Σ w·logloss + ½‖β‖² (l2) | ‖β‖₁ (l1)
 *                   | l1_ratio‖β‖₁ + ½(1−l1_ratio)‖β‖² (elasticnet)
 *    Multiclass uses K softmax outputs, each with its own coefficients.
 *  - Parameters (lin_param_specs):
 *      penalty   auto|none|l2|l1|elasticnet  (auto: l2 for classification;
 *                for regression none, or elasticnet when alpha is given)
 *      C         logistic only, > 0, default 1.0
 *      alpha     regression only, ≥ 0, default 1.0 when a penalty is chosen
 *      l1_ratio  [0, 1], default 0.5 (elasticnet only)
 *      max_iter  default 100 (logistic) / 1000 (regression)
 *      tol       default 1e-4
 *      fit_intercept  default true; false: numeric inputs are scaled but not
 *                centered, so the model passes through the origin
 *    A parameter that does not apply to the task (C for regression, alpha for
 *    classification) is ML_EINVAL.
 *  - Fitting is deterministic: the same inputs give bit-identical models
 *    whatever the thread count.
 *  - A model borrows its schema (for term names and validation); the schema
 *    must outlive it.  lin_predict_raw is thread-safe and allocates nothing.
 */
#ifndef ML_MODELS_LINEAR_H
#define ML_MODELS_LINEAR_H

#include "core/buf.h"
#include "core/error.h"
#include "models/frame.h"
#include "models/params.h"

#include <stddef.h>

typedef struct lin_model lin_model;

extern const param_spec lin_param_specs[];
extern const size_t lin_param_count;

/* Fits on X (schema s gives categorical info and task/nclasses); y is the
 * class index (0..K-1) for classification or the value for regression; w
 * are sample weights or NULL.  threads: OpenMP threads (0 = default). */
int lin_fit(const mdl_schema *s, const mdl_frame *X, const double *y, const double *w,
            const param_kv *kv, size_t nkv, int threads, lin_model **out, ml_error *err);

/* Raw outputs per row: 1 for binary and regression, K for multiclass. */
size_t lin_noutputs(const lin_model *m);

/* Raw margin(s) for one row of ncols doubles in schema order (the frame's
 * encoding): the value for regression, the log-odds for binary, the K
 * softmax logits for multiclass.  Allocates nothing; thread-safe. */
void lin_predict_raw(const lin_model *m, const double *row, double *out);

void lin_write(const lin_model *m, ml_wbuf *w);
/* Validates every count against the schema; hostile bytes give ML_EFORMAT. */
int lin_read(ml_rbuf *r, const mdl_schema *s, lin_model **out, ml_error *err);
void lin_free(lin_model *m);

/* Terms on the original scale: one per numeric input ("age") and one per
 * (categorical input, category) ("plan=gold"), in schema order. */
size_t lin_num_terms(const lin_model *m);
/* Writes the term's name into buf (truncated to size) and returns buf. */
const char *lin_term_name(const lin_model *m, size_t term, char *buf, size_t size);
double lin_coefficient(const lin_model *m, size_t output, size_t term);
double lin_intercept(const lin_model *m, size_t output);

#endif
