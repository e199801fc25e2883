/*
 * logistic.c — the two logistic-regression solvers on the standardized
 * design matrix (see linear.c for the encoding).
 *
 * Design
 *  - Both minimize the weight-averaged objective
 *        f(θ) = (1/W)·Σ wᵢ·logloss(mᵢ, yᵢ) + lam1‖β‖₁ + ½lam2‖β‖²
 *    which is sklearn's C·Σ w·logloss + penalty divided by C·W: the same
 *    minimizer, but gradients of order 1 whatever n is, so one tolerance
 *    fits every data size.  Binary uses one margin and the sigmoid;
 *    multiclass K margins and the softmax (sklearn's "multinomial").
 *  - Smooth objectives (L2 or no penalty) → L-BFGS (liblbfgs, 10 pairs as
 *    scipy's L-BFGS-B that sklearn uses).  Each evaluation is one pass over
 *    the data: rows in fixed blocks of LIN_BLOCK, spread over OpenMP
 *    threads; inside a block, chunks of LG_CHUNK rows small enough for L1/L2
 *    cache compute the margins column by column (unit stride, vectorized),
 *    then the residuals, then the gradient from the same cached chunk.  Each
 *    block writes its partial loss and gradient to its own slot and the
 *    slots are added in block order, so f and ∇f — and thus the whole
 *    L-BFGS path — are bit-identical for any thread count.  Stopping:
 *    max|∇f| ≤ tol (scipy's pgtol test on the averaged objective), or
 *    max_iter iterations, or liblbfgs finding no further decrease.
 *  - L1 and elastic net are not differentiable, so L-BFGS does not apply;
 *    proximal Newton as in glmnet/newGLMNET: for one output at a time, a
 *    quadratic model of the loss (weights p(1−p), floored) is minimized by
 *    cyclic coordinate descent with soft-thresholding, then a backtracking
 *    line search on the true objective accepts the step.  This path is
 *    single-threaded; it exists for sparse models, not for the benchmark.
 */
#include "models/linear/lin_internal.h"

#include <lbfgs.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define LG_CHUNK 256

static double wt(const double *w, size_t i)
{
    return w ? w[i] : 1.0;
}

/* log(1 + e^m) − y·m and σ(m) − y, stable for any m. */
static inline double bin_loss(double m, double y, double *resid)
{
    double e = exp(-fabs(m));
    double sig = m >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    *resid = sig - y;
    return fmax(m, 0.0) + log1p(e) - y * m;
}

/* ---- L-BFGS ------------------------------------------------------------------ */

typedef struct lg_ctx {
    const lin_design *d;
    const double *y;
    const lin_opts *o;
    size_t K, stride, off, nvar, nblocks;
    int nthreads;
    double *part;    /* nblocks × (nvar + 1): partial gradient, then loss */
    double *scratch; /* nthreads × K × LG_CHUNK */
} lg_ctx;

/* Loss and gradient of rows [r0, r1) into part (nvar + 1). */
static void lg_block(const lg_ctx *c, const double *th, size_t r0, size_t r1, double *part,
                     double *mk)
{
    const lin_design *d = c->d;
    size_t n = d->n, p = d->p, K = c->K, off = c->off, st = c->stride;
    memset(part, 0, (c->nvar + 1) * sizeof *part);
    double loss = 0;
    for (size_t c0 = r0; c0 < r1; c0 += LG_CHUNK) {
        size_t len = r1 - c0 < LG_CHUNK ? r1 - c0 : LG_CHUNK;
        for (size_t k = 0; k < K; k++) {
            double *restrict m = mk + k * LG_CHUNK;
            double b = off ? th[k * st] : 0.0;
            for (size_t r = 0; r < len; r++)
                m[r] = b;
            for (size_t j = 0; j < p; j++) {
                double bj = th[k * st + off + j];
                const double *restrict z = d->z + j * n + c0;
#pragma omp simd
                for (size_t r = 0; r < len; r++)
                    m[r] += bj * z[r];
            }
        }
        /* Residuals replace the margins. */
        if (K == 1) {
            for (size_t r = 0; r < len; r++) {
                double wi = wt(d->w, c0 + r), res;
                loss += wi * bin_loss(mk[r], c->y[c0 + r], &res);
                mk[r] = wi * res;
            }
        } else {
            for (size_t r = 0; r < len; r++) {
                double mx = mk[r];
                for (size_t k = 1; k < K; k++)
                    mx = fmax(mx, mk[k * LG_CHUNK + r]);
                double se = 0;
                for (size_t k = 0; k < K; k++)
                    se += exp(mk[k * LG_CHUNK + r] - mx);
                size_t yi = (size_t)c->y[c0 + r];
                double wi = wt(d->w, c0 + r);
                loss += wi * (log(se) + mx - mk[yi * LG_CHUNK + r]);
                for (size_t k = 0; k < K; k++) {
                    double pk = exp(mk[k * LG_CHUNK + r] - mx) / se;
                    mk[k * LG_CHUNK + r] = wi * (pk - (k == yi ? 1.0 : 0.0));
                }
            }
        }
        for (size_t k = 0; k < K; k++) {
            const double *restrict res = mk + k * LG_CHUNK;
            if (off) {
                double s = 0;
#pragma omp simd reduction(+ : s)
                for (size_t r = 0; r < len; r++)
                    s += res[r];
                part[k * st] += s;
            }
            for (size_t j = 0; j < p; j++) {
                const double *restrict z = d->z + j * n + c0;
                double s = 0;
#pragma omp simd reduction(+ : s)
                for (size_t r = 0; r < len; r++)
                    s += res[r] * z[r];
                part[k * st + off + j] += s;
            }
        }
    }
    part[c->nvar] = loss;
}

static lbfgsfloatval_t lg_evaluate(void *inst, const lbfgsfloatval_t *x, lbfgsfloatval_t *g,
                                   const int nv, const lbfgsfloatval_t step)
{
    (void)nv;
    (void)step;
    const lg_ctx *c = inst;
    size_t n = c->d->n, nb = c->nblocks;
#pragma omp parallel num_threads(c->nthreads)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *mk = c->scratch + (size_t)tid * c->K * LG_CHUNK;
#pragma omp for schedule(static)
        for (size_t b = 0; b < nb; b++) {
            size_t r0 = b * LIN_BLOCK, r1 = r0 + LIN_BLOCK < n ? r0 + LIN_BLOCK : n;
            lg_block(c, x, r0, r1, c->part + b * (c->nvar + 1), mk);
        }
    }
    /* Fixed-order combination: the thread count cannot change the sums. */
    memset(g, 0, c->nvar * sizeof *g);
    double f = 0;
    for (size_t b = 0; b < nb; b++) {
        const double *pt = c->part + b * (c->nvar + 1);
        for (size_t v = 0; v < c->nvar; v++)
            g[v] += pt[v];
        f += pt[c->nvar];
    }
    double invW = 1.0 / c->d->wsum, pen = 0;
    f *= invW;
    for (size_t v = 0; v < c->nvar; v++)
        g[v] *= invW;
    for (size_t k = 0; k < c->K; k++)
        for (size_t j = 0; j < c->d->p; j++) {
            size_t v = k * c->stride + c->off + j;
            pen += x[v] * x[v];
            g[v] += c->o->lam2 * x[v];
        }
    return f + 0.5 * c->o->lam2 * pen;
}

static int lg_progress(void *inst, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
                       const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
                       const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int nv, int k,
                       int ls)
{
    (void)x;
    (void)fx;
    (void)xnorm;
    (void)gnorm;
    (void)step;
    (void)k;
    (void)ls;
    const lg_ctx *c = inst;
    double gmax = 0;
    for (int v = 0; v < nv; v++)
        gmax = fmax(gmax, fabs(g[v]));
    return gmax <= c->o->tol; /* nonzero stops liblbfgs */
}

int lin_logistic_lbfgs(const lin_design *d, const double *y, size_t nout, const lin_opts *o,
                       int threads, double *theta, ml_error *err)
{
    lg_ctx c = {.d = d, .y = y, .o = o, .K = nout, .off = o->fit_intercept ? 1 : 0};
    c.stride = d->p + c.off;
    c.nvar = nout * c.stride;
    c.nblocks = (d->n + LIN_BLOCK - 1) / LIN_BLOCK;
    c.nthreads = threads > 0 ? threads : 1;
    if (c.nvar > (size_t)INT32_MAX)
        return ml_err(err, ML_EINVAL, "linear: %zu coefficients are too many", c.nvar);
    int rc = ML_OK;
    c.part = malloc(c.nblocks * (c.nvar + 1) * sizeof *c.part);
    c.scratch = malloc((size_t)c.nthreads * nout * LG_CHUNK * sizeof *c.scratch);
    lbfgsfloatval_t *x = lbfgs_malloc((int)c.nvar);
    if (!c.part || !c.scratch || !x) {
        rc = ml_err(err, ML_ENOMEM, "out of memory fitting a logistic regression");
        goto done;
    }
    for (size_t v = 0; v < c.nvar; v++)
        x[v] = theta[v];
    lbfgs_parameter_t prm;
    lbfgs_parameter_init(&prm);
    prm.m = 10;
    prm.epsilon = 0; /* our own max|g| test in lg_progress */
    prm.max_iterations = o->max_iter;
    lbfgsfloatval_t fx = 0;
    int ret = lbfgs((int)c.nvar, x, &fx, lg_evaluate, lg_progress, &c, &prm);
    if (ret == LBFGSERR_OUTOFMEMORY) {
        rc = ml_err(err, ML_ENOMEM, "out of memory in L-BFGS");
        goto done;
    }
    /* Other negative codes (iteration limit, line search finding no
     * decrease near the optimum) leave x at the best point reached. */
    if (!isfinite(fx)) {
        rc = ml_err(err, ML_EINVAL, "linear: logistic regression diverged (code %d)", ret);
        goto done;
    }
    for (size_t v = 0; v < c.nvar; v++)
        theta[v] = x[v];
done:
    lbfgs_free(x);
    free(c.part);
    free(c.scratch);
    return rc;
}

/* ---- proximal Newton + coordinate descent (L1, elastic net) ----------------- */

/* Mean loss with output k's margins shifted by t·dm (dm may be NULL). */
static double cd_loss(const lin_design *d, const double *y, const double *M, size_t K, size_t k,
                      const double *dm, double t)
{
    double loss = 0, res;
    for (size_t i = 0; i < d->n; i++) {
        double wi = wt(d->w, i), li;
        if (K == 1) {
            li = bin_loss(M[i] + (dm ? t * dm[i] : 0.0), y[i], &res);
        } else {
            const double *mi = M + i * K;
            double mx = -INFINITY;
            for (size_t c = 0; c < K; c++)
                mx = fmax(mx, mi[c] + (c == k && dm ? t * dm[i] : 0.0));
            double se = 0;
            for (size_t c = 0; c < K; c++)
                se += exp(mi[c] + (c == k && dm ? t * dm[i] : 0.0) - mx);
            size_t yi = (size_t)y[i];
            li = log(se) + mx - (mi[yi] + (yi == k && dm ? t * dm[i] : 0.0));
        }
        loss += wi * li;
    }
    return loss / d->wsum;
}

static double cd_penalty(const lin_opts *o, const double *beta, size_t p)
{
    double l1 = 0, l2 = 0;
    for (size_t j = 0; j < p; j++) {
        l1 += fabs(beta[j]);
        l2 += beta[j] * beta[j];
    }
    return o->lam1 * l1 + 0.5 * o->lam2 * l2;
}

static double soft_t(double x, double t)
{
    return x > t ? x - t : x < -t ? x + t : 0.0;
}

int lin_logistic_cd(const lin_design *d, const double *y, size_t nout, const lin_opts *o,
                    int threads, double *theta, ml_error *err)
{
    (void)threads;
    size_t n = d->n, p = d->p, K = nout, off = o->fit_intercept ? 1 : 0, st = p + off;
    double *M = calloc(n * K + 1, sizeof *M);
    double *g = malloc((n + 1) * sizeof *g), *h = malloc((n + 1) * sizeof *h);
    double *dm = malloc((n + 1) * sizeof *dm);
    double *A = malloc((p + 1) * sizeof *A), *dth = malloc((st + 1) * sizeof *dth);
    double *trial = malloc((st + 1) * sizeof *trial);
    int rc = ML_OK;
    if (!M || !g || !h || !dm || !A || !dth || !trial) {
        rc = ml_err(err, ML_ENOMEM, "out of memory fitting a logistic regression");
        goto done;
    }
    double invW = 1.0 / d->wsum;
    double pen_total = 0;
    for (size_t k = 0; k < K; k++)
        pen_total += cd_penalty(o, theta + k * st + off, p);
    double F = cd_loss(d, y, M, K, 0, NULL, 0) + pen_total;
    for (int it = 0; it < o->max_iter; it++) {
        double change = 0;
        for (size_t k = 0; k < K; k++) {
            double *th = theta + k * st;
            for (size_t i = 0; i < n; i++) {
                double pk, yk;
                if (K == 1) {
                    double res;
                    bin_loss(M[i], y[i], &res);
                    yk = y[i];
                    pk = res + yk;
                } else {
                    const double *mi = M + i * K;
                    double mx = mi[0], se = 0;
                    for (size_t c = 1; c < K; c++)
                        mx = fmax(mx, mi[c]);
                    for (size_t c = 0; c < K; c++)
                        se += exp(mi[c] - mx);
                    pk = exp(mi[k] - mx) / se;
                    yk = (size_t)y[i] == k ? 1.0 : 0.0;
                }
                double wi = wt(d->w, i) * invW;
                g[i] = wi * (pk - yk);
                h[i] = wi * fmax(pk * (1.0 - pk), 1e-5);
                dm[i] = 0;
            }
            double Ah = 0;
            for (size_t i = 0; i < n; i++)
                Ah += h[i];
            for (size_t j = 0; j < p; j++) {
                const double *z = d->z + j * n;
                double s = 0;
                for (size_t i = 0; i < n; i++)
                    s += h[i] * z[i] * z[i];
                A[j] = s;
            }
            memset(dth, 0, st * sizeof *dth);
            /* Coordinate descent on the quadratic model. */
            for (int sweep = 0; sweep < 200; sweep++) {
                double dmax = 0;
                if (off) {
                    double G = 0;
                    for (size_t i = 0; i < n; i++)
                        G += g[i] + h[i] * dm[i];
                    double step = -G / Ah;
                    dth[0] += step;
                    for (size_t i = 0; i < n; i++)
                        dm[i] += step;
                    dmax = fmax(dmax, fabs(step) * sqrt(Ah));
                }
                for (size_t j = 0; j < p; j++) {
                    if (A[j] <= 0)
                        continue;
                    const double *z = d->z + j * n;
                    double G = 0;
                    for (size_t i = 0; i < n; i++)
                        G += (g[i] + h[i] * dm[i]) * z[i];
                    double u = th[off + j] + dth[off + j];
                    double nb = soft_t(A[j] * u - G, o->lam1) / (A[j] + o->lam2);
                    double delta = nb - u;
                    if (delta != 0) {
                        dth[off + j] += delta;
                        for (size_t i = 0; i < n; i++)
                            dm[i] += delta * z[i];
                    }
                    dmax = fmax(dmax, fabs(delta) * sqrt(A[j]));
                }
                if (dmax <= 0.1 * o->tol)
                    break;
            }
            /* Backtracking (Armijo with the proximal decrement). */
            double pen_k = cd_penalty(o, th + off, p);
            double lin = 0;
            for (size_t i = 0; i < n; i++)
                lin += g[i] * dm[i];
            for (size_t v = 0; v < st; v++)
                trial[v] = th[v] + dth[v];
            double D = lin + cd_penalty(o, trial + off, p) - pen_k;
            double t = 1, Fnew = F;
            bool accepted = false;
            for (int ls = 0; ls < 30; ls++, t *= 0.5) {
                for (size_t v = 0; v < st; v++)
                    trial[v] = th[v] + t * dth[v];
                double pen_new = cd_penalty(o, trial + off, p);
                Fnew = cd_loss(d, y, M, K, k, dm, t) + (pen_total - pen_k + pen_new);
                if (Fnew <= F + 0.01 * t * fmin(D, 0.0)) {
                    accepted = true;
                    pen_total += pen_new - pen_k;
                    break;
                }
            }
            if (!accepted)
                continue;
            for (size_t v = 0; v < st; v++) {
                double step = t * dth[v];
                th[v] += step;
                double curv = v < off ? Ah : A[v - off];
                change = fmax(change, fabs(step) * sqrt(curv));
            }
            for (size_t i = 0; i < n; i++)
                M[i * K + k] += t * dm[i];
            F = Fnew;
        }
        if (change <= o->tol)
            break;
    }
    if (!isfinite(F))
        rc = ml_err(err, ML_EINVAL, "linear: logistic regression diverged");
done:
    free(M);
    free(g);
    free(h);
    free(dm);
    free(A);
    free(dth);
    free(trial);
    return rc;
}
