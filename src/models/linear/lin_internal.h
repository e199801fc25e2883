/*
 * lin_internal.h — what linear.c (encoding, regression, model I/O) and
 * logistic.c (the two logistic solvers) share: the standardized design
 * matrix and the resolved options.  Not for use outside src/models/linear.
 */
#ifndef ML_MODELS_LIN_INTERNAL_H
#define ML_MODELS_LIN_INTERNAL_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Rows per reduction block.  Partial sums are formed per block and the
 * blocks added in index order, so results do not depend on the thread
 * count; the constant must therefore never depend on it either. */
#define LIN_BLOCK 4096

/* The encoded training inputs: column-major, n rows × p columns. */
typedef struct lin_design {
    size_t n, p;
    double *z;       /* z[j*n + i] */
    const double *w; /* sample weights or NULL (all 1) */
    double wsum;     /* Σ w */
} lin_design;

/* Options after defaults and task-specific resolution. */
typedef struct lin_opts {
    double lam1, lam2; /* penalty on standardized β: lam1‖β‖₁ + ½lam2‖β‖² */
    int max_iter;
    double tol;
    bool fit_intercept;
} lin_opts;

/* theta holds nout blocks of (fit_intercept ? 1 : 0) + p values: the
 * intercept first, then the p coefficients; it comes in as the start
 * point (zeros) and leaves as the solution.  nout is 1 for binary (y in
 * {0,1}) and K for multinomial. */
int lin_logistic_lbfgs(const lin_design *d, const double *y, size_t nout, const lin_opts *o,
                       int threads, double *theta, ml_error *err);
int lin_logistic_cd(const lin_design *d, const double *y, size_t nout, const lin_opts *o,
                    int threads, double *theta, ml_error *err);

#endif
