/*
 * objective.c — see objective.h.  The formulas follow the usual second-order
 * boosting conventions (XGBoost's and LightGBM's): softmax uses the
 * 2p(1-p) hessian, Poisson boosts log(mean) with hessian exp(score + 0.7)
 * as XGBoost's max_delta_step default does, and the robust losses (L1,
 * quantile) take a unit hessian and refit their leaves afterwards.
 */
#include "models/gbdt/objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[OBJ_COUNT] = {"binary", "multiclass", "regression", "l1",
                                             "huber",  "quantile",   "poisson"};

const char *obj_name(obj_id id)
{
    return (unsigned)id < OBJ_COUNT ? names[id] : "unknown";
}

bool obj_refits_leaves(obj_id id)
{
    return id == OBJ_L1 || id == OBJ_QUANTILE;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile_of(const double *y, size_t n, double q)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v || n == 0) {
        free(v);
        return 0;
    }
    memcpy(v, y, n * sizeof *v);
    qsort(v, n, sizeof *v, compare_doubles);
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo, r = v[lo];
    if (lo + 1 < n)
        r += frac * (v[lo + 1] - v[lo]);
    free(v);
    return r;
}

void obj_base_score(obj_id id, const double *y, const double *w, size_t n, size_t K, double alpha,
                    double *base)
{
    double sw = 0, swy = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        sw += wi;
        swy += wi * y[i];
    }
    double mean = sw > 0 ? swy / sw : 0;
    for (size_t k = 0; k < K; k++)
        base[k] = 0;
    switch (id) {
    case OBJ_BINARY: {
        double p = fmin(fmax(mean, 1e-15), 1 - 1e-15);
        base[0] = log(p / (1 - p));
        break;
    }
    case OBJ_MULTICLASS:
        break;
    case OBJ_L2:
    case OBJ_HUBER:
        base[0] = mean;
        break;
    case OBJ_L1:
        base[0] = quantile_of(y, n, 0.5);
        break;
    case OBJ_QUANTILE:
        base[0] = quantile_of(y, n, alpha);
        break;
    case OBJ_POISSON:
        base[0] = log(fmax(mean, 1e-15));
        break;
    }
}

void obj_gradients(obj_id id, const double *y, const double *w, const double *score, size_t n,
                   size_t K, size_t k, double alpha, double pos_weight, double *g, double *h)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1, s = score[i * K + k], gi, hi;
        switch (id) {
        case OBJ_BINARY: {
            double p = 1 / (1 + exp(-s));
            if (y[i] > 0.5)
                wi *= pos_weight;
            gi = p - y[i];
            hi = fmax(p * (1 - p), 1e-16);
            break;
        }
        case OBJ_MULTICLASS: {
            const double *row = score + i * K;
            double mx = row[0];
            for (size_t c = 1; c < K; c++)
                mx = row[c] > mx ? row[c] : mx;
            double sum = 0;
            for (size_t c = 0; c < K; c++)
                sum += exp(row[c] - mx);
            double p = exp(s - mx) / sum;
            gi = p - ((size_t)y[i] == k ? 1 : 0);
            hi = fmax(2 * p * (1 - p), 1e-16);
            break;
        }
        case OBJ_L2:
            gi = s - y[i];
            hi = 1;
            break;
        case OBJ_L1:
            gi = (s > y[i]) - (s < y[i]);
            hi = 1;
            break;
        case OBJ_HUBER: {
            double r = s - y[i];
            gi = fabs(r) <= alpha ? r : copysign(alpha, r);
            hi = 1;
            break;
        }
        case OBJ_QUANTILE:
            gi = s >= y[i] ? 1 - alpha : -alpha;
            hi = 1;
            break;
        case OBJ_POISSON:
            gi = exp(s) - y[i];
            hi = exp(s + 0.7);
            break;
        default:
            gi = 0, hi = 1;
        }
        g[i] = gi * wi;
        h[i] = hi * wi;
    }
}

void obj_transform(obj_id id, double *score, size_t n, size_t K)
{
    switch (id) {
    case OBJ_BINARY:
        for (size_t i = 0; i < n; i++)
            score[i] = 1 / (1 + exp(-score[i]));
        break;
    case OBJ_MULTICLASS:
        for (size_t i = 0; i < n; i++) {
            double *row = score + i * K, mx = row[0], sum = 0;
            for (size_t c = 1; c < K; c++)
                mx = row[c] > mx ? row[c] : mx;
            for (size_t c = 0; c < K; c++)
                sum += (row[c] = exp(row[c] - mx));
            for (size_t c = 0; c < K; c++)
                row[c] /= sum;
        }
        break;
    case OBJ_POISSON:
        for (size_t i = 0; i < n; i++)
            score[i] = exp(score[i]);
        break;
    default:
        break;
    }
}
