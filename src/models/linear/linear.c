/*
 * linear.c — parameters, input encoding, the regression solvers, and the
 * fitted model (prediction, coefficients, serialization).  The logistic
 * solvers live in logistic.c.
 *
 * Design
 *  - Encoding.  The frame is turned once into a column-major matrix of
 *    doubles: numeric inputs standardized ((x − mean)/std, NaN → 0, i.e. the
 *    training mean), categorical inputs as unscaled one-hot columns.
 *    Standardizing makes the penalties treat every input alike (a lasso on
 *    raw "income" and "age" would penalize them by their units) and makes
 *    the problems well conditioned, so L-BFGS and coordinate descent
 *    converge in few iterations.  Column-major storage makes every inner
 *    loop a unit-stride loop over rows that the compiler vectorizes.
 *  - Regression works on the p×p weighted Gram matrix of the centered
 *    columns (built once, O(n·p²), parallel over columns so each entry is
 *    summed by one thread in row order — deterministic).  Without an L1
 *    part (OLS, ridge) the normal equations are solved directly by
 *    Cholesky, with a tiny jitter when the columns are collinear (a full
 *    one-hot block is collinear with the intercept); with an L1 part,
 *    coordinate descent on the Gram matrix (sklearn's "precompute" path)
 *    costs O(p²) per sweep whatever n is.
 *  - Logistic: smooth (L2 or none) → L-BFGS; L1/elastic net is not
 *    differentiable, so → proximal Newton with coordinate descent (glmnet).
 *  - The model keeps only the original-scale coefficients and the
 *    imputation means: prediction is one dot product per output and does
 *    not repeat the standardization.
 */
#include "models/linear/linear.h"
#include "models/linear/lin_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* frame.c's helpers are not needed for so little (and keep this module
 * testable on hand-built schemas). */
static bool is_classification(mdl_task task)
{
    return task != MDL_TASK_REGRESSION;
}

/* ---- parameters ---------------------------------------------------------- */

enum { PEN_AUTO, PEN_NONE, PEN_L2, PEN_L1, PEN_ENET };

typedef struct lin_params {
    int penalty;
    double C;     /* < 0: not given */
    double alpha; /* < 0: not given */
    double l1_ratio;
    int max_iter; /* 0: task default */
    double tol;
    bool fit_intercept;
} lin_params;

const param_spec lin_param_specs[] = {
    {"penalty", PARAM_ENUM, offsetof(lin_params, penalty), 0, 0, "auto|none|l2|l1|elasticnet",
     "penalty on the standardized coefficients (auto: l2 for classification; none for "
     "regression, elasticnet when alpha is given)"},
    {"C", PARAM_DOUBLE, offsetof(lin_params, C), 1e-12, 1e12, NULL,
     "logistic: inverse regularization strength (default 1.0)"},
    {"alpha", PARAM_DOUBLE, offsetof(lin_params, alpha), 0, 1e12, NULL,
     "regression: regularization strength (default 1.0 when a penalty is chosen)"},
    {"l1_ratio", PARAM_DOUBLE, offsetof(lin_params, l1_ratio), 0, 1, NULL,
     "elasticnet: share of the L1 part (default 0.5)"},
    {"max_iter", PARAM_INT, offsetof(lin_params, max_iter), 1, 1e6, NULL,
     "iteration limit (default 100 for logistic, 1000 for regression)"},
    {"tol", PARAM_DOUBLE, offsetof(lin_params, tol), 1e-15, 1, NULL,
     "stopping tolerance (default 1e-4)"},
    {"fit_intercept", PARAM_BOOL, offsetof(lin_params, fit_intercept), 0, 1, NULL,
     "fit an unpenalized intercept (default true)"},
};
const size_t lin_param_count = sizeof lin_param_specs / sizeof lin_param_specs[0];

static int resolve_params(const mdl_schema *s, const param_kv *kv, size_t nkv, lin_opts *o,
                          double *wsum_scale_C, ml_error *err)
{
    lin_params p = {PEN_AUTO, -1, -1, 0.5, 0, 1e-4, true};
    int rc = params_apply(lin_param_specs, lin_param_count, kv, nkv, &p, err);
    if (rc)
        return rc;
    bool classify = is_classification(s->task);
    if (classify && p.alpha >= 0)
        return ml_err(err, ML_EINVAL,
                      "parameter 'alpha' applies to regression; use 'C' for classification");
    if (!classify && p.C >= 0)
        return ml_err(err, ML_EINVAL,
                      "parameter 'C' applies to classification; use 'alpha' for regression");
    int pen = p.penalty;
    if (pen == PEN_AUTO)
        pen = classify ? PEN_L2 : (p.alpha >= 0 ? PEN_ENET : PEN_NONE);
    double l1r = pen == PEN_L1 ? 1.0 : pen == PEN_L2 ? 0.0 : p.l1_ratio;
    /* Regression: lam multiplies the penalty directly.  Logistic: the
     * solvers minimize the weight-averaged loss, so C·Σw·loss + pen becomes
     * (1/W)Σw·loss + pen/(C·W); *wsum_scale_C carries 1/C and the caller
     * divides by W once the weights are known. */
    double lam;
    if (classify) {
        lam = pen == PEN_NONE ? 0.0 : 1.0 / (p.C >= 0 ? p.C : 1.0);
        *wsum_scale_C = 1.0;
    } else {
        lam = pen == PEN_NONE ? 0.0 : (p.alpha >= 0 ? p.alpha : 1.0);
        *wsum_scale_C = 0.0;
    }
    o->lam1 = lam * l1r;
    o->lam2 = lam * (1.0 - l1r);
    o->max_iter = p.max_iter ? p.max_iter : (classify ? 100 : 1000);
    o->tol = p.tol;
    o->fit_intercept = p.fit_intercept;
    return ML_OK;
}

/* ---- the model -------------------------------------------------------------- */

struct lin_model {
    const mdl_schema *schema; /* borrowed */
    mdl_task task;
    size_t nfeat, nterms, nout;
    size_t *offset; /* nfeat: first term of each input */
    size_t *ncat;   /* nfeat: categories, 0 for numeric */
    double *fill;   /* nfeat: imputation value (training mean) of numeric inputs */
    double *coef;   /* nout × nterms, original scale */
    double *icpt;   /* nout */
};

void lin_free(lin_model *m)
{
    if (!m)
        return;
    free(m->offset);
    free(m->ncat);
    free(m->fill);
    free(m->coef);
    free(m->icpt);
    free(m);
}

static size_t task_outputs(const mdl_schema *s)
{
    return s->task == MDL_TASK_MULTICLASS ? s->nclasses : 1;
}

/* Allocates a model laid out after the schema (coefficients zeroed). */
static lin_model *model_alloc(const mdl_schema *s)
{
    lin_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->schema = s;
    m->task = s->task;
    m->nfeat = s->nfeatures;
    m->nout = task_outputs(s);
    m->offset = calloc(m->nfeat + 1, sizeof *m->offset);
    m->ncat = calloc(m->nfeat + 1, sizeof *m->ncat);
    m->fill = calloc(m->nfeat + 1, sizeof *m->fill);
    if (!m->offset || !m->ncat || !m->fill)
        goto fail;
    for (size_t j = 0; j < m->nfeat; j++) {
        const mdl_feature *f = &s->features[j];
        m->offset[j] = m->nterms;
        m->ncat[j] = f->categorical ? (f->categories ? tbl_dict_size(f->categories) : 0) : 0;
        m->nterms += f->categorical ? m->ncat[j] : 1;
    }
    m->coef = calloc(m->nout * m->nterms + 1, sizeof *m->coef);
    m->icpt = calloc(m->nout, sizeof *m->icpt);
    if (!m->coef || !m->icpt)
        goto fail;
    return m;
fail:
    lin_free(m);
    return NULL;
}

size_t lin_noutputs(const lin_model *m)
{
    return m->nout;
}

size_t lin_num_terms(const lin_model *m)
{
    return m->nterms;
}

double lin_coefficient(const lin_model *m, size_t output, size_t term)
{
    return m->coef[output * m->nterms + term];
}

double lin_intercept(const lin_model *m, size_t output)
{
    return m->icpt[output];
}

const char *lin_term_name(const lin_model *m, size_t term, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t j = 0; j < m->nfeat; j++) {
        const mdl_feature *f = &m->schema->features[j];
        size_t width = f->categorical ? m->ncat[j] : 1;
        if (term >= m->offset[j] && term < m->offset[j] + width) {
            if (f->categorical)
                snprintf(buf, size, "%s=%s", f->name,
                         tbl_dict_get(f->categories, (int32_t)(term - m->offset[j]), NULL));
            else
                snprintf(buf, size, "%s", f->name);
            break;
        }
    }
    return buf;
}

void lin_predict_raw(const lin_model *m, const double *row, double *out)
{
    for (size_t k = 0; k < m->nout; k++)
        out[k] = m->icpt[k];
    for (size_t j = 0; j < m->nfeat; j++) {
        double x = row[j];
        if (!m->schema->features[j].categorical) {
            if (isnan(x))
                x = m->fill[j];
            for (size_t k = 0; k < m->nout; k++)
                out[k] += m->coef[k * m->nterms + m->offset[j]] * x;
        } else if (x >= 0 && x < (double)m->ncat[j]) { /* NaN and unseen fail both */
            size_t t = m->offset[j] + (size_t)x;
            for (size_t k = 0; k < m->nout; k++)
                out[k] += m->coef[k * m->nterms + t];
        }
    }
}

/* ---- serialization ------------------------------------------------------------ */

#define LIN_MAGIC 0x4e494c4dU /* "MLIN" */
#define LIN_FORMAT 1

void lin_write(const lin_model *m, ml_wbuf *w)
{
    wbuf_u32(w, LIN_MAGIC);
    wbuf_u32(w, LIN_FORMAT);
    wbuf_u32(w, (uint32_t)m->task);
    wbuf_u64(w, m->nout);
    wbuf_u64(w, m->nfeat);
    for (size_t j = 0; j < m->nfeat; j++) {
        wbuf_u8(w, m->schema->features[j].categorical);
        wbuf_u64(w, m->ncat[j]);
        wbuf_f64(w, m->fill[j]);
    }
    wbuf_u64(w, m->nterms);
    for (size_t i = 0; i < m->nout * m->nterms; i++)
        wbuf_f64(w, m->coef[i]);
    for (size_t k = 0; k < m->nout; k++)
        wbuf_f64(w, m->icpt[k]);
}

static int read_finite(ml_rbuf *r, double *v, const char *field, ml_error *err)
{
    int rc = rbuf_f64(r, v, field, err);
    if (rc)
        return rc;
    if (!isfinite(*v))
        return ml_err(err, ML_EFORMAT, "%s: %s is not finite", r->what, field);
    return ML_OK;
}

int lin_read(ml_rbuf *r, const mdl_schema *s, lin_model **out, ml_error *err)
{
    *out = NULL;
    uint32_t magic = 0, version = 0, task = 0;
    size_t nout = 0, nfeat = 0, nterms = 0;
    int rc;
    if ((rc = rbuf_u32(r, &magic, "linear magic", err)))
        return rc;
    if (magic != LIN_MAGIC)
        return ml_err(err, ML_EFORMAT, "%s: not a linear model section", r->what);
    if ((rc = rbuf_u32(r, &version, "linear format version", err)))
        return rc;
    if (version != LIN_FORMAT)
        return ml_err(err, ML_EFORMAT, "%s: linear model format %u is not supported (want %d)",
                      r->what, version, LIN_FORMAT);
    if ((rc = rbuf_u32(r, &task, "linear task", err)))
        return rc;
    if (task != (uint32_t)s->task)
        return ml_err(err, ML_EFORMAT, "%s: linear model task %u does not match the schema's %u",
                      r->what, task, (unsigned)s->task);
    if ((rc = rbuf_count(r, SIZE_MAX, 0, &nout, "linear outputs", err)))
        return rc;
    if (nout != task_outputs(s))
        return ml_err(err, ML_EFORMAT, "%s: linear model has %zu outputs, the schema wants %zu",
                      r->what, nout, task_outputs(s));
    if ((rc = rbuf_count(r, SIZE_MAX, 17, &nfeat, "linear inputs", err)))
        return rc;
    if (nfeat != s->nfeatures)
        return ml_err(err, ML_EFORMAT, "%s: linear model has %zu inputs, the schema has %zu",
                      r->what, nfeat, s->nfeatures);
    lin_model *m = model_alloc(s);
    if (!m)
        return ml_err(err, ML_ENOMEM, "out of memory reading a linear model");
    for (size_t j = 0; j < nfeat; j++) {
        uint8_t cat = 0;
        size_t ncat = 0;
        if ((rc = rbuf_u8(r, &cat, "linear input kind", err)) ||
            (rc = rbuf_count(r, SIZE_MAX, 0, &ncat, "linear input categories", err)) ||
            (rc = read_finite(r, &m->fill[j], "linear input mean", err)))
            goto fail;
        if (cat > 1 || (bool)cat != s->features[j].categorical || ncat != m->ncat[j]) {
            rc = ml_err(err, ML_EFORMAT,
                        "%s: linear model input %zu ('%s') does not match the schema", r->what, j,
                        s->features[j].name);
            goto fail;
        }
    }
    if ((rc = rbuf_count(r, SIZE_MAX, 8, &nterms, "linear terms", err)))
        goto fail;
    if (nterms != m->nterms) {
        rc = ml_err(err, ML_EFORMAT, "%s: linear model has %zu terms, the schema gives %zu",
                    r->what, nterms, m->nterms);
        goto fail;
    }
    for (size_t i = 0; i < nout * nterms; i++)
        if ((rc = read_finite(r, &m->coef[i], "linear coefficient", err)))
            goto fail;
    for (size_t k = 0; k < nout; k++)
        if ((rc = read_finite(r, &m->icpt[k], "linear intercept", err)))
            goto fail;
    *out = m;
    return ML_OK;
fail:
    lin_free(m);
    return rc;
}

/* ---- encoding ----------------------------------------------------------------- */

static int threads_or_default(int threads)
{
#ifdef _OPENMP
    return threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads;
    return 1;
#endif
}

/* Checks the inputs and computes the weighted mean and scale of each
 * numeric input (over its non-missing rows). */
static int check_inputs(const mdl_schema *s, const mdl_frame *X, const double *y, const double *w,
                        lin_model *m, double *center, double *scale, double *wsum, ml_error *err)
{
    size_t n = X->nrows;
    if (X->ncols != s->nfeatures)
        return ml_err(err, ML_EINVAL, "linear: the frame has %zu columns, the schema %zu", X->ncols,
                      s->nfeatures);
    if (n == 0)
        return ml_err(err, ML_EINVAL, "linear: no training rows");
    if (s->task == MDL_TASK_BINARY && s->nclasses != 2)
        return ml_err(err, ML_EINVAL, "linear: a binary task needs 2 classes, the schema has %zu",
                      s->nclasses);
    if (s->task == MDL_TASK_MULTICLASS && s->nclasses < 2)
        return ml_err(err, ML_EINVAL, "linear: a multiclass task needs at least 2 classes");
    double W = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi >= 0 && isfinite(wi)))
            return ml_err(err, ML_EINVAL, "linear: row %zu: weight %g is not a finite value >= 0",
                          i + 1, wi);
        W += wi;
        if (is_classification(s->task)) {
            if (!(y[i] >= 0 && y[i] < (double)s->nclasses && y[i] == floor(y[i])))
                return ml_err(err, ML_EINVAL, "linear: row %zu: class index %g is out of range",
                              i + 1, y[i]);
        } else if (!isfinite(y[i])) {
            return ml_err(err, ML_EINVAL, "linear: row %zu: the target is missing or not finite",
                          i + 1);
        }
    }
    if (!(W > 0))
        return ml_err(err, ML_EINVAL, "linear: the sample weights sum to 0");
    *wsum = W;
    for (size_t j = 0; j < s->nfeatures; j++) {
        const double *x = X->cols[j];
        if (s->features[j].categorical) {
            for (size_t i = 0; i < n; i++)
                if (!isnan(x[i]) && x[i] != MDL_UNSEEN &&
                    !(x[i] >= 0 && x[i] < (double)m->ncat[j] && x[i] == floor(x[i])))
                    return ml_err(err, ML_EINVAL,
                                  "linear: input '%s' row %zu: bad category code %g",
                                  s->features[j].name, i + 1, x[i]);
            continue;
        }
        double sw = 0, sx = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(x[i]))
                continue;
            if (!isfinite(x[i]))
                return ml_err(err, ML_EINVAL, "linear: input '%s' row %zu: value is infinite",
                              s->features[j].name, i + 1);
            double wi = w ? w[i] : 1.0;
            sw += wi;
            sx += wi * x[i];
        }
        double mean = sw > 0 ? sx / sw : 0.0, ss = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(x[i])) {
                double d = x[i] - mean;
                ss += (w ? w[i] : 1.0) * d * d;
            }
        double sd = sw > 0 ? sqrt(ss / sw) : 0.0;
        m->fill[j] = mean;
        center[j] = mean;
        /* A constant column (up to rounding) is left unscaled: it is then 0
         * everywhere once centered and its coefficient stays 0. */
        scale[j] = sd > 1e-12 * fmax(1.0, fabs(mean)) ? sd : 1.0;
    }
    return ML_OK;
}

/* Fills d->z (column-major) from the frame. */
static void encode(const mdl_schema *s, const mdl_frame *X, const lin_model *m,
                   const double *center, const double *scale, bool fit_intercept, lin_design *d,
                   int nthreads)
{
    size_t n = X->nrows;
    memset(d->z, 0, d->n * d->p * sizeof *d->z);
#pragma omp parallel for schedule(dynamic) num_threads(nthreads)
    for (size_t j = 0; j < s->nfeatures; j++) {
        const double *x = X->cols[j];
        if (s->features[j].categorical) {
            for (size_t i = 0; i < n; i++)
                if (x[i] >= 0 && x[i] < (double)m->ncat[j])
                    d->z[(m->offset[j] + (size_t)x[i]) * n + i] = 1.0;
            continue;
        }
        double c = fit_intercept ? center[j] : 0.0, inv = 1.0 / scale[j];
        double fillz = (m->fill[j] - c) * inv;
        double *restrict z = d->z + m->offset[j] * n;
        for (size_t i = 0; i < n; i++)
            z[i] = isnan(x[i]) ? fillz : (x[i] - c) * inv;
    }
}

/* ---- regression ----------------------------------------------------------------- */

/* Solves (A) x = b in place for symmetric positive semi-definite A (p×p,
 * destroyed) by Cholesky, adding a growing jitter to the diagonal when a
 * pivot collapses (collinear columns). */
static int solve_spd(double *A, double *b, size_t p)
{
    double *L = malloc((p * p + 1) * sizeof *L);
    if (!L)
        return ML_ENOMEM;
    double tr = 0;
    for (size_t j = 0; j < p; j++)
        tr += A[j * p + j];
    double jitter = 0;
    for (int attempt = 0; attempt < 12; attempt++) {
        bool ok = true;
        for (size_t j = 0; j < p && ok; j++) {
            for (size_t k = 0; k <= j; k++) {
                double sum = A[j * p + k] + (j == k ? jitter : 0.0);
                for (size_t t = 0; t < k; t++)
                    sum -= L[j * p + t] * L[k * p + t];
                if (j == k) {
                    if (!(sum > 1e-13 * (tr / (double)p + 1e-300))) {
                        ok = false;
                        break;
                    }
                    L[j * p + j] = sqrt(sum);
                } else {
                    L[j * p + k] = sum / L[k * p + k];
                }
            }
        }
        if (ok) {
            for (size_t j = 0; j < p; j++) { /* L y = b */
                double sum = b[j];
                for (size_t t = 0; t < j; t++)
                    sum -= L[j * p + t] * b[t];
                b[j] = sum / L[j * p + j];
            }
            for (size_t j = p; j-- > 0;) { /* Lᵀ x = y */
                double sum = b[j];
                for (size_t t = j + 1; t < p; t++)
                    sum -= L[t * p + j] * b[t];
                b[j] = sum / L[j * p + j];
            }
            free(L);
            return ML_OK;
        }
        jitter = jitter == 0 ? 1e-10 * (tr / (double)p + 1e-12) : jitter * 10;
    }
    free(L);
    return ML_EINVAL;
}

static double soft(double x, double t)
{
    return x > t ? x - t : x < -t ? x + t : 0.0;
}

/* β (p) and the intercept on the standardized scale. */
static int fit_regression(const lin_design *d, const double *y, const lin_opts *o, int nthreads,
                          double *beta, double *b0, ml_error *err)
{
    size_t n = d->n, p = d->p;
    const double *w = d->w;
    double W = d->wsum;
    double *G = malloc((p * p + 1) * sizeof *G);
    double *c = malloc((p + 1) * sizeof *c);
    double *mu = malloc((p + 1) * sizeof *mu);
    double *q = calloc(p + 1, sizeof *q);
    int rc = ML_OK;
    if (!G || !c || !mu || !q) {
        rc = ml_err(err, ML_ENOMEM, "out of memory fitting a linear regression");
        goto done;
    }
    double ybar = 0;
    for (size_t i = 0; i < n; i++)
        ybar += (w ? w[i] : 1.0) * y[i];
    ybar = o->fit_intercept ? ybar / W : 0.0;
    /* Each entry is one thread's sum over rows in order: deterministic. */
#pragma omp parallel for schedule(dynamic) num_threads(nthreads)
    for (size_t j = 0; j < p; j++) {
        const double *zj = d->z + j * n;
        double sm = 0, sy = 0;
        for (size_t i = 0; i < n; i++) {
            double wz = (w ? w[i] : 1.0) * zj[i];
            sm += wz;
            sy += wz * (y[i] - ybar);
        }
        mu[j] = o->fit_intercept ? sm / W : 0.0;
        c[j] = sy / W;
        for (size_t k = 0; k <= j; k++) {
            const double *zk = d->z + k * n;
            double s = 0;
            if (w) {
#pragma omp simd reduction(+ : s)
                for (size_t i = 0; i < n; i++)
                    s += w[i] * zj[i] * zk[i];
            } else {
#pragma omp simd reduction(+ : s)
                for (size_t i = 0; i < n; i++)
                    s += zj[i] * zk[i];
            }
            G[j * p + k] = s / W;
        }
    }
    /* Center: Σw(z_j − μ_j)(z_k − μ_k)/W = Σw z_j z_k/W − μ_j μ_k.  c was
     * formed against y − ȳ, which already centers it. */
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k <= j; k++) {
            G[j * p + k] -= mu[j] * mu[k];
            G[k * p + j] = G[j * p + k];
        }
    if (o->lam1 == 0) {
        for (size_t j = 0; j < p; j++) {
            G[j * p + j] += o->lam2;
            beta[j] = c[j];
        }
        if (p > 0 && solve_spd(G, beta, p)) {
            rc = ml_err(err, ML_EINVAL, "linear: the normal equations could not be solved");
            goto done;
        }
    } else {
        /* Coordinate descent on ½βᵀGβ − cᵀβ + lam1‖β‖₁ + ½lam2‖β‖², keeping
         * q = Gβ; stops when the largest step is below tol·max|β| (sklearn's
         * first test). */
        memset(beta, 0, p * sizeof *beta);
        for (int it = 0; it < o->max_iter; it++) {
            double dmax = 0, bmax = 0;
            for (size_t j = 0; j < p; j++) {
                double gjj = G[j * p + j];
                if (gjj <= 0)
                    continue;
                double old = beta[j];
                double nb = soft(c[j] - q[j] + gjj * old, o->lam1) / (gjj + o->lam2);
                double delta = nb - old;
                if (delta != 0) {
                    beta[j] = nb;
                    const double *gj = G + j * p;
                    for (size_t k = 0; k < p; k++)
                        q[k] += gj[k] * delta;
                }
                dmax = fmax(dmax, fabs(delta));
                bmax = fmax(bmax, fabs(nb));
            }
            if (dmax <= o->tol * bmax || bmax == 0)
                break;
        }
    }
    double b = ybar;
    for (size_t j = 0; j < p; j++)
        b -= beta[j] * mu[j];
    *b0 = b;
done:
    free(G);
    free(c);
    free(mu);
    free(q);
    return rc;
}

/* ---- fitting -------------------------------------------------------------------- */

int lin_fit(const mdl_schema *s, const mdl_frame *X, const double *y, const double *w,
            const param_kv *kv, size_t nkv, int threads, lin_model **out, ml_error *err)
{
    *out = NULL;
    lin_opts o;
    double logistic = 0;
    int rc = resolve_params(s, kv, nkv, &o, &logistic, err);
    if (rc)
        return rc;
    lin_model *m = model_alloc(s);
    double *center = calloc(s->nfeatures + 1, sizeof *center);
    double *scale = calloc(s->nfeatures + 1, sizeof *scale);
    double *theta = NULL;
    lin_design d = {0};
    if (!m || !center || !scale) {
        rc = ml_err(err, ML_ENOMEM, "out of memory fitting a linear model");
        goto done;
    }
    if ((rc = check_inputs(s, X, y, w, m, center, scale, &d.wsum, err)))
        goto done;
    int nthreads = threads_or_default(threads);
    d.n = X->nrows;
    d.p = m->nterms;
    d.w = w;
    if (d.p && d.n > SIZE_MAX / sizeof(double) / d.p) {
        rc = ml_err(err, ML_ENOMEM, "linear: the design matrix is too large");
        goto done;
    }
    d.z = malloc(d.n * d.p * sizeof *d.z + 1);
    size_t stride = d.p + (o.fit_intercept ? 1 : 0);
    theta = calloc(m->nout * stride + 1, sizeof *theta);
    if (!d.z || !theta) {
        rc = ml_err(err, ML_ENOMEM, "out of memory for the %zu×%zu design matrix", d.n, d.p);
        goto done;
    }
    encode(s, X, m, center, scale, o.fit_intercept, &d, nthreads);

    if (logistic != 0) {
        o.lam1 /= d.wsum;
        o.lam2 /= d.wsum;
        rc = o.lam1 > 0 ? lin_logistic_cd(&d, y, m->nout, &o, nthreads, theta, err)
                        : lin_logistic_lbfgs(&d, y, m->nout, &o, nthreads, theta, err);
    } else {
        double b0 = 0;
        rc = fit_regression(&d, y, &o, nthreads, theta + (o.fit_intercept ? 1 : 0), &b0, err);
        if (o.fit_intercept)
            theta[0] = b0;
    }
    if (rc)
        goto done;

    /* Back to the original scale: b + Σβ(x − c)/s = (b − Σβc/s) + Σ(β/s)x. */
    for (size_t k = 0; k < m->nout; k++) {
        const double *th = theta + k * stride;
        const double *beta = th + (o.fit_intercept ? 1 : 0);
        double b = o.fit_intercept ? th[0] : 0.0;
        for (size_t j = 0; j < s->nfeatures; j++) {
            size_t t = m->offset[j];
            if (s->features[j].categorical) {
                for (size_t c = 0; c < m->ncat[j]; c++)
                    m->coef[k * m->nterms + t + c] = beta[t + c];
            } else {
                double cj = beta[t] / scale[j];
                m->coef[k * m->nterms + t] = cj;
                if (o.fit_intercept)
                    b -= cj * center[j];
            }
        }
        m->icpt[k] = b;
        for (size_t t = 0; t < m->nterms; t++)
            if (!isfinite(m->coef[k * m->nterms + t]) || !isfinite(b)) {
                rc = ml_err(err, ML_EINVAL, "linear: the fit diverged (non-finite coefficients)");
                goto done;
            }
    }
    *out = m;
    m = NULL;
done:
    lin_free(m);
    free(center);
    free(scale);
    free(theta);
    free(d.z);
    return rc;
}
