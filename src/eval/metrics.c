/*
 * metrics.c — see metrics.h.
 *
 * AUC sorts (score, row) pairs once — a radix sort on the order-preserving
 * integer image of each double, O(n), since evaluation runs on millions of
 * rows and after every boosting round with early stopping — then sweeps
 * the sorted scores from the highest, adding one trapezoid per group of tied
 * scores, which is how scikit-learn's roc_auc_score treats ties.
 */
#include "eval/metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WEIGHT(w, i) ((w) ? (w)[i] : 1.0)

static const double EPS = 1e-15;

/* Sort key that orders like the double (NaN last). */
static uint64_t sort_key(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

typedef struct keyed {
    uint64_t key;
    uint32_t row;
} keyed;

/* Rows sorted by score ascending; NULL on out of memory. */
static uint32_t *sorted_rows(const double *score, size_t n)
{
    keyed *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    size_t *count = malloc(65537 * sizeof *count);
    if (!a || !b || !rows || !count) {
        free(a);
        free(b);
        free(rows);
        free(count);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        a[i].key = sort_key(score[i]);
        a[i].row = (uint32_t)i;
    }
    /* LSD radix sort, 16 bits per pass, stable. */
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((a[i].key >> shift) & 0xffff) + 1]++;
        if (count[((a[0].key >> shift) & 0xffff) + 1] == n)
            continue; /* every key shares these bits */
        for (size_t d = 0; d < 65536; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            b[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        keyed *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = a[i].row;
    free(a);
    free(b);
    free(count);
    return rows;
}

double met_auc(const double *y, const double *score, const double *w, size_t n)
{
    if (n == 0 || n > UINT32_MAX)
        return NAN;
    uint32_t *rows = sorted_rows(score, n);
    if (!rows)
        return NAN;
    double tp = 0, fp = 0, area = 0;
    /* From the highest score down: each tie group moves the ROC point by
     * (dfp, dtp); the area under that segment is a trapezoid. */
    for (size_t i = n; i > 0;) {
        double s = score[rows[i - 1]], dtp = 0, dfp = 0;
        while (i > 0 && score[rows[i - 1]] == s) {
            size_t r = rows[--i];
            if (y[r] > 0.5)
                dtp += WEIGHT(w, r);
            else
                dfp += WEIGHT(w, r);
        }
        area += dfp * (tp + dtp / 2);
        tp += dtp;
        fp += dfp;
    }
    free(rows);
    if (tp == 0 || fp == 0)
        return NAN;
    return area / (tp * fp);
}

double met_average_precision(const double *y, const double *score, const double *w, size_t n)
{
    if (n == 0 || n > UINT32_MAX)
        return NAN;
    uint32_t *rows = sorted_rows(score, n);
    if (!rows)
        return NAN;
    double total_pos = 0;
    for (size_t i = 0; i < n; i++)
        total_pos += y[i] > 0.5 ? WEIGHT(w, i) : 0;
    double tp = 0, fp = 0, ap = 0, prev_recall = 0;
    for (size_t i = n; i > 0;) {
        double s = score[rows[i - 1]];
        while (i > 0 && score[rows[i - 1]] == s) {
            size_t r = rows[--i];
            if (y[r] > 0.5)
                tp += WEIGHT(w, r);
            else
                fp += WEIGHT(w, r);
        }
        double recall = total_pos > 0 ? tp / total_pos : 0;
        double precision = tp + fp > 0 ? tp / (tp + fp) : 1;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    free(rows);
    return total_pos > 0 ? ap : NAN;
}

static double clip(double p)
{
    return p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
}

double met_logloss_binary(const double *y, const double *p, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double q = clip(p[i]), wi = WEIGHT(w, i);
        s -= wi * (y[i] > 0.5 ? log(q) : log(1 - q));
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

double met_accuracy_binary(const double *y, const double *p, const double *w, size_t n)
{
    double ok = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        ok += ((p[i] > 0.5) == (y[i] > 0.5)) ? wi : 0;
        sw += wi;
    }
    return sw > 0 ? ok / sw : NAN;
}

double met_logloss_multi(const double *y, const double *prob, size_t K, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = prob + i * K;
        /* scikit-learn clips, then renormalises each row. */
        double total = 0;
        for (size_t k = 0; k < K; k++)
            total += clip(row[k]);
        size_t c = (size_t)y[i];
        double q = c < K ? clip(row[c]) / total : EPS, wi = WEIGHT(w, i);
        s -= wi * log(q);
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

double met_accuracy_multi(const double *y, const double *prob, size_t K, const double *w, size_t n)
{
    double ok = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = prob + i * K;
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (row[k] > row[best])
                best = k;
        double wi = WEIGHT(w, i);
        ok += best == (size_t)y[i] ? wi : 0;
        sw += wi;
    }
    return sw > 0 ? ok / sw : NAN;
}

double met_rmse(const double *y, const double *pred, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double d = pred[i] - y[i], wi = WEIGHT(w, i);
        s += wi * d * d;
        sw += wi;
    }
    return sw > 0 ? sqrt(s / sw) : NAN;
}

double met_mae(const double *y, const double *pred, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        s += wi * fabs(pred[i] - y[i]);
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

double met_r2(const double *y, const double *pred, const double *w, size_t n)
{
    double sw = 0, mean = 0;
    for (size_t i = 0; i < n; i++) {
        sw += WEIGHT(w, i);
        mean += WEIGHT(w, i) * y[i];
    }
    if (!(sw > 0))
        return NAN;
    mean /= sw;
    double ss_res = 0, ss_tot = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        ss_res += wi * (y[i] - pred[i]) * (y[i] - pred[i]);
        ss_tot += wi * (y[i] - mean) * (y[i] - mean);
    }
    return ss_tot > 0 ? 1 - ss_res / ss_tot : NAN;
}

double met_poisson_deviance(const double *y, const double *pred, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double mu = pred[i] > 0 ? pred[i] : EPS, wi = WEIGHT(w, i);
        double term = y[i] > 0 ? y[i] * log(y[i] / mu) : 0;
        s += wi * 2 * (term - y[i] + mu);
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

double met_quantile_loss(const double *y, const double *pred, const double *w, size_t n,
                         double alpha)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double d = y[i] - pred[i], wi = WEIGHT(w, i);
        s += wi * (d >= 0 ? alpha * d : (alpha - 1) * d);
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

static const char *const names[] = {"auc",  "logloss", "error", "multi_logloss", "multi_error",
                                    "rmse", "mae",     "r2",    "poisson",       "quantile"};
enum { MET_COUNT = sizeof names / sizeof names[0] };

int met_parse(const char *name, met_id *out, ml_error *err)
{
    /* scikit-learn's scorer names, which workflows borrow. */
    static const struct {
        const char *alias;
        met_id id;
    } aliases[] = {{"roc_auc", MET_AUC}, {"log_loss", MET_LOGLOSS}};
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(name, aliases[i].alias) == 0) {
            *out = aliases[i].id;
            return ML_OK;
        }
    for (int i = 0; i < MET_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (met_id)i;
            return ML_OK;
        }
    return ml_err(err, ML_EINVAL,
                  "unknown metric '%s' (choose auc, logloss, error, multi_logloss, multi_error, "
                  "rmse, mae, r2, poisson or quantile)",
                  name);
}

const char *met_name(met_id id)
{
    return (unsigned)id < MET_COUNT ? names[id] : "unknown";
}

bool met_higher_is_better(met_id id)
{
    return id == MET_AUC || id == MET_R2;
}

bool met_valid_for_task(met_id id, int task)
{
    switch (id) {
    case MET_AUC:
    case MET_LOGLOSS:
    case MET_ERROR:
        return task == 0;
    case MET_MULTI_LOGLOSS:
    case MET_MULTI_ERROR:
        return task == 1;
    default:
        return task == 2;
    }
}

double met_compute(met_id id, const double *y, const double *pred, size_t K, const double *w,
                   size_t n, double alpha)
{
    switch (id) {
    case MET_AUC:
        return met_auc(y, pred, w, n);
    case MET_LOGLOSS:
        return met_logloss_binary(y, pred, w, n);
    case MET_ERROR:
        return 1 - met_accuracy_binary(y, pred, w, n);
    case MET_MULTI_LOGLOSS:
        return met_logloss_multi(y, pred, K, w, n);
    case MET_MULTI_ERROR:
        return 1 - met_accuracy_multi(y, pred, K, w, n);
    case MET_RMSE:
        return met_rmse(y, pred, w, n);
    case MET_MAE:
        return met_mae(y, pred, w, n);
    case MET_R2:
        return met_r2(y, pred, w, n);
    case MET_POISSON:
        return met_poisson_deviance(y, pred, w, n);
    case MET_QUANTILE:
        return met_quantile_loss(y, pred, w, n, alpha);
    }
    return NAN;
}
