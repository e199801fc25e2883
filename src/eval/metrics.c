/*
 * metrics.c — see metrics.h.
 *
 * Every metric is one or two passes over the arrays, accumulating weighted
 * sums, so that a metric costs little next to the predictions it scores
 * (early stopping calls met_compute after every boosting round).
 *
 * Ranking metrics sort (score, row) pairs once — a radix sort on the
 * order-preserving integer image of each double, O(n), since evaluation
 * runs on millions of rows — then sweep the sorted scores from the
 * highest, one step per group of tied scores, which is how scikit-learn's
 * roc_curve treats ties.  The sort is stable and the sweep walks it
 * backwards, which visits tied rows in the order scikit-learn's reversed
 * mergesort does: the running sums are the same floating-point sums.
 *
 * Label metrics (precision, recall, F1, balanced accuracy, MCC, kappa) all
 * derive from four per-class sums — true positives, predicted, true and
 * "present" — filled in one pass by csums_fill; the confusion matrix is
 * never needed for them.  The predicted class comes from a pred_src, which
 * reads either labels or probabilities (p > 0.5, row argmax), so that
 * met_compute scores probabilities without a temporary label array.
 *
 * Degenerate sums follow scikit-learn's arithmetic where it matters: MCC
 * and kappa take the totals of the true and of the predicted sums
 * separately, so a single-class y gives exactly 0 where scikit-learn's
 * confusion-matrix sums do.
 */
#include "eval/metrics.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEIGHT(w, i) ((w) ? (w)[i] : 1.0)

/* Poisson deviance's floor on the predicted mean (kept from the start). */
static const double POISSON_FLOOR = 1e-15;

/* ---- sorting ---------------------------------------------------------- */

/* Sort key that orders like the double (NaN last). */
static uint64_t sort_key(double x)
{
    uint64_t u;
    x += 0.0; /* -0.0 becomes 0.0: they tie, as in numpy's sort */
    memcpy(&u, &x, 8);
    return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

typedef struct keyed {
    uint64_t key;
    uint32_t row;
} keyed;

/* LSD radix sort of a[0..n) by key, 16 bits per pass, stable; b is scratch
 * of the same size.  Returns the array holding the result. */
static keyed *radix_sort(keyed *a, keyed *b, size_t *count, size_t n)
{
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
    return a;
}

uint32_t *met_sorted_rows(const double *key, size_t stride, size_t n)
{
    if (n > UINT32_MAX)
        return NULL;
    size_t cap = n ? n : 1;
    keyed *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    uint32_t *rows = malloc(cap * sizeof *rows);
    size_t *count = malloc(65537 * sizeof *count);
    if (a && b && rows && count) {
        for (size_t i = 0; i < n; i++) {
            a[i].key = sort_key(key[i * stride]);
            a[i].row = (uint32_t)i;
        }
        keyed *s = n ? radix_sort(a, b, count, n) : a;
        for (size_t i = 0; i < n; i++)
            rows[i] = s[i].row;
    } else {
        free(rows);
        rows = NULL;
    }
    free(a);
    free(b);
    free(count);
    return rows;
}

double met_quantile_sorted(const double *sorted, size_t n, double q)
{
    /* numpy's _quantile, method "linear": virtual index (n - 1) q, then
     * _lerp, which interpolates from the nearer end. */
    double vi = (double)(n - 1) * q;
    if (!(vi < (double)(n - 1)))
        return sorted[n - 1];
    if (vi < 0)
        return sorted[0];
    double below = floor(vi), g = vi - below;
    size_t i = (size_t)below;
    double a = sorted[i], b = sorted[i + 1], d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

/* ---- ranking metrics ---------------------------------------------------- */

/* A binary problem seen through a score column: row i is positive when
 * y[i] > 0.5 (cls < 0) or y[i] == cls (one-vs-rest), its score is
 * s[i * stride]. */
typedef struct bview {
    const double *y, *s, *w;
    size_t stride, n;
    double cls;
} bview;

static bool bv_pos(const bview *v, size_t i)
{
    return v->cls < 0 ? v->y[i] > 0.5 : v->y[i] == v->cls;
}

/* True when a score is NaN: it has no rank (scikit-learn refuses it), and
 * the tie-group walks below would never leave it. */
static bool any_nan(const double *s, size_t stride, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i * stride] != s[i * stride])
            return true;
    return false;
}

static double auc_view(const bview *v)
{
    if (v->n == 0 || any_nan(v->s, v->stride, v->n))
        return NAN;
    uint32_t *rows = met_sorted_rows(v->s, v->stride, v->n);
    if (!rows)
        return NAN;
    double tp = 0, fp = 0, area = 0;
    /* From the highest score down: each tie group moves the ROC point by
     * (dfp, dtp); the area under that segment is a trapezoid. */
    for (size_t i = v->n; i > 0;) {
        double s = v->s[rows[i - 1] * v->stride], dtp = 0, dfp = 0;
        while (i > 0 && v->s[rows[i - 1] * v->stride] == s) {
            size_t r = rows[--i];
            if (bv_pos(v, r))
                dtp += WEIGHT(v->w, r);
            else
                dfp += WEIGHT(v->w, r);
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

double met_auc(const double *y, const double *score, const double *w, size_t n)
{
    bview v = {y, score, w, 1, n, -1};
    return auc_view(&v);
}

double met_average_precision(const double *y, const double *score, const double *w, size_t n)
{
    if (n == 0 || any_nan(score, 1, n))
        return NAN;
    uint32_t *rows = met_sorted_rows(score, 1, n);
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

/* Doubles from a stack buffer when few, else the heap (NULL on failure);
 * zeroed either way. */
typedef struct dbuf {
    double *p;
    double stack[256];
} dbuf;

static double *dbuf_get(dbuf *b, size_t len)
{
    b->p = len <= 256 ? b->stack : malloc(len * sizeof *b->p);
    if (b->p)
        memset(b->p, 0, len * sizeof *b->p);
    return b->p;
}

static void dbuf_free(dbuf *b)
{
    if (b->p != b->stack)
        free(b->p);
    b->p = NULL;
}

/* v as a class index below K, or false. */
static bool class_of(double v, size_t K, size_t *out)
{
    if (!(v >= 0 && v < (double)K) || v != floor(v))
        return false;
    *out = (size_t)v;
    return true;
}

/* numpy.allclose(1, s): |1 - s| <= 1e-8 + 1e-5 |s|. */
static bool sums_to_one(const double *row, size_t K)
{
    double s = 0;
    for (size_t k = 0; k < K; k++)
        s += row[k];
    return fabs(1 - s) <= 1e-8 + 1e-5 * fabs(s);
}

double met_auc_ovr(const double *y, const double *prob, size_t K, met_average avg, const double *w,
                   size_t n)
{
    if (n == 0 || K < 2 || (avg != MET_AVG_MACRO && avg != MET_AVG_WEIGHTED))
        return NAN;
    dbuf buf;
    double *rows_in = dbuf_get(&buf, 2 * K), out = NAN;
    if (!rows_in)
        return NAN;
    double *support = rows_in + K;
    for (size_t i = 0; i < n; i++) {
        size_t c;
        if (!class_of(y[i], K, &c) || !sums_to_one(prob + i * K, K))
            goto done;
        rows_in[c]++;
        support[c] += WEIGHT(w, i);
    }
    double sum = 0, total = 0;
    for (size_t k = 0; k < K; k++) {
        if (rows_in[k] == 0)
            goto done; /* scikit-learn: classes in y_true != columns */
        bview v = {y, prob + k, w, K, n, (double)k};
        double a = auc_view(&v);
        if (avg == MET_AVG_MACRO) {
            sum += a;
            total += 1;
        } else if (support[k] != 0) {
            sum += a * support[k];
            total += support[k];
        }
    }
    out = total > 0 ? sum / total : NAN;
done:
    dbuf_free(&buf);
    return out;
}

/* ---- probability metrics ------------------------------------------------ */

/* scikit-learn 1.2 clips to the dtype's epsilon (eps="auto"). */
static double clip(double p)
{
    return p < DBL_EPSILON ? DBL_EPSILON : p > 1 - DBL_EPSILON ? 1 - DBL_EPSILON : p;
}

double met_logloss_binary(const double *y, const double *p, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        /* Clipped, then [1 - q, q] renormalised, as scikit-learn does. */
        double q = clip(p[i]), total = (1 - q) + q, wi = WEIGHT(w, i);
        s -= wi * log((y[i] > 0.5 ? q : 1 - q) / total);
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
        double q = c < K ? clip(row[c]) / total : DBL_EPSILON, wi = WEIGHT(w, i);
        s -= wi * log(q);
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

/* First maximum of a row, as numpy's argmax. */
static size_t argmax(const double *row, size_t K)
{
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (row[k] > row[best])
            best = k;
    return best;
}

double met_accuracy_multi(const double *y, const double *prob, size_t K, const double *w, size_t n)
{
    double ok = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        ok += argmax(prob + i * K, K) == (size_t)y[i] ? wi : 0;
        sw += wi;
    }
    return sw > 0 ? ok / sw : NAN;
}

double met_brier(const double *y, const double *p, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] >= 0 && p[i] <= 1) || (y[i] != 0 && y[i] != 1))
            return NAN;
        double d = y[i] - p[i], wi = WEIGHT(w, i);
        s += wi * d * d;
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

/* ---- label metrics -------------------------------------------------------- */

/* Where the predicted class comes from. */
typedef enum { SRC_LABELS, SRC_PROB1, SRC_PROBK } src_kind;

typedef struct pred_src {
    const double *v;
    size_t K; /* columns of v for SRC_PROBK */
    src_kind kind;
} pred_src;

static bool pred_class(const pred_src *s, size_t i, size_t K, size_t *out)
{
    switch (s->kind) {
    case SRC_PROB1:
        *out = s->v[i] > 0.5;
        return true;
    case SRC_PROBK:
        *out = argmax(s->v + i * s->K, s->K);
        return *out < K;
    default:
        return class_of(s->v[i], K, out);
    }
}

/* Per-class weighted sums: tp (pred == y == k), ps (pred == k), ts (y == k),
 * and seen (k occurs in y or pred, whatever its weight). */
typedef struct csums {
    dbuf buf;
    double *tp, *ps, *ts, *seen, total;
    size_t K;
} csums;

/* false (nothing to free) for no rows, zero weight, a bad label or out of
 * memory. */
static bool csums_fill(csums *c, const double *y, const pred_src *src, size_t K, const double *w,
                       size_t n)
{
    if (n == 0 || K == 0 || !dbuf_get(&c->buf, 4 * K))
        return false;
    c->K = K;
    c->tp = c->buf.p;
    c->ps = c->tp + K;
    c->ts = c->ps + K;
    c->seen = c->ts + K;
    c->total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t t, p;
        if (!class_of(y[i], K, &t) || !pred_class(src, i, K, &p)) {
            dbuf_free(&c->buf);
            return false;
        }
        double wi = WEIGHT(w, i);
        c->ts[t] += wi;
        c->ps[p] += wi;
        c->tp[t] += t == p ? wi : 0;
        c->seen[t] = c->seen[p] = 1;
        c->total += wi;
    }
    if (!(c->total > 0)) {
        dbuf_free(&c->buf);
        return false;
    }
    return true;
}

static met_prf prf_of(double tp, double pred, double truth)
{
    met_prf r;
    r.precision = pred != 0 ? tp / pred : 0;
    r.recall = truth != 0 ? tp / truth : 0;
    double d = r.precision + r.recall;
    r.f1 = d != 0 ? 2 * r.precision * r.recall / d : 0;
    return r;
}

static met_prf prf_average(const csums *c, met_average avg)
{
    met_prf r = {NAN, NAN, NAN}, sum = {0, 0, 0};
    double tp = 0, ps = 0, ts = 0, count = 0;
    switch (avg) {
    case MET_AVG_BINARY:
        return c->K == 2 ? prf_of(c->tp[1], c->ps[1], c->ts[1]) : r;
    case MET_AVG_MICRO:
        for (size_t k = 0; k < c->K; k++) {
            tp += c->tp[k];
            ps += c->ps[k];
            ts += c->ts[k];
        }
        return prf_of(tp, ps, ts);
    case MET_AVG_MACRO:
    case MET_AVG_WEIGHTED:
        for (size_t k = 0; k < c->K; k++) {
            if (!c->seen[k])
                continue;
            met_prf one = prf_of(c->tp[k], c->ps[k], c->ts[k]);
            double wk = avg == MET_AVG_MACRO ? 1 : c->ts[k];
            sum.precision += one.precision * wk;
            sum.recall += one.recall * wk;
            sum.f1 += one.f1 * wk;
            count += wk;
        }
        if (count == 0) /* weighted, no support: zero_division */
            return sum;
        r.precision = sum.precision / count;
        r.recall = sum.recall / count;
        r.f1 = sum.f1 / count;
        return r;
    }
    return r;
}

static met_prf prf_src(const double *y, const pred_src *src, size_t K, met_average avg,
                       const double *w, size_t n)
{
    csums c;
    met_prf r = {NAN, NAN, NAN};
    if (!csums_fill(&c, y, src, K, w, n))
        return r;
    r = prf_average(&c, avg);
    dbuf_free(&c.buf);
    return r;
}

met_prf met_precision_recall_f1(const double *y, const double *pred, size_t K, met_average avg,
                                const double *w, size_t n)
{
    pred_src src = {pred, 0, SRC_LABELS};
    return prf_src(y, &src, K, avg, w, n);
}

double met_accuracy(const double *y, const double *pred, const double *w, size_t n)
{
    double ok = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        ok += pred[i] == y[i] ? wi : 0;
        sw += wi;
    }
    return sw > 0 ? ok / sw : NAN;
}

static double balanced_src(const double *y, const pred_src *src, size_t K, const double *w,
                           size_t n)
{
    csums c;
    if (!csums_fill(&c, y, src, K, w, n))
        return NAN;
    double sum = 0, count = 0;
    for (size_t k = 0; k < K; k++)
        if (c.ts[k] != 0) {
            sum += c.tp[k] / c.ts[k];
            count++;
        }
    dbuf_free(&c.buf);
    return count > 0 ? sum / count : NAN;
}

double met_balanced_accuracy(const double *y, const double *pred, size_t K, const double *w,
                             size_t n)
{
    pred_src src = {pred, 0, SRC_LABELS};
    return balanced_src(y, &src, K, w, n);
}

static double mcc_src(const double *y, const pred_src *src, size_t K, const double *w, size_t n)
{
    csums c;
    if (!csums_fill(&c, y, src, K, w, n))
        return NAN;
    double correct = 0, nt = 0, np_ = 0, tp_dot = 0, pp_dot = 0, tt_dot = 0;
    for (size_t k = 0; k < K; k++) {
        correct += c.tp[k];
        nt += c.ts[k];
        np_ += c.ps[k];
        tp_dot += c.ts[k] * c.ps[k];
        pp_dot += c.ps[k] * c.ps[k];
        tt_dot += c.ts[k] * c.ts[k];
    }
    dbuf_free(&c.buf);
    /* Each total from its own sums: a single class then cancels exactly. */
    double cov_tp = correct * np_ - tp_dot, cov_pp = np_ * np_ - pp_dot, cov_tt = nt * nt - tt_dot;
    return cov_pp * cov_tt == 0 ? 0.0 : cov_tp / sqrt(cov_tt * cov_pp);
}

double met_mcc(const double *y, const double *pred, size_t K, const double *w, size_t n)
{
    pred_src src = {pred, 0, SRC_LABELS};
    return mcc_src(y, &src, K, w, n);
}

static double kappa_src(const double *y, const pred_src *src, size_t K, const double *w, size_t n)
{
    csums c;
    if (!csums_fill(&c, y, src, K, w, n))
        return NAN;
    /* 1 - observed / expected disagreement; expected off the diagonal of
     * outer(pred sums, true sums) / N, summed term by term (K is small). */
    double observed = 0, expected = 0, np_ = 0;
    for (size_t k = 0; k < K; k++) {
        observed += c.ps[k] - c.tp[k];
        np_ += c.ps[k];
        for (size_t j = 0; j < K; j++)
            expected += j != k ? c.ps[k] * c.ts[j] : 0;
    }
    dbuf_free(&c.buf);
    return 1 - observed / (expected / np_);
}

double met_cohen_kappa(const double *y, const double *pred, size_t K, const double *w, size_t n)
{
    pred_src src = {pred, 0, SRC_LABELS};
    return kappa_src(y, &src, K, w, n);
}

int met_confusion_matrix(const double *y, const double *pred, size_t K, const double *w, size_t n,
                         double *cm, ml_error *err)
{
    if (K == 0)
        return ml_err(err, ML_EINVAL, "confusion matrix: no classes");
    memset(cm, 0, K * K * sizeof *cm);
    for (size_t i = 0; i < n; i++) {
        size_t t, p;
        if (!class_of(y[i], K, &t) || !class_of(pred[i], K, &p)) {
            double bad = class_of(y[i], K, &t) ? pred[i] : y[i];
            return ml_err(err, ML_EINVAL,
                          "confusion matrix: row %zu: label %g is not a class index below %zu", i,
                          bad, K);
        }
        cm[t * K + p] += WEIGHT(w, i);
    }
    return ML_OK;
}

int met_class_report(const double *y, const double *pred, size_t K, const double *w, size_t n,
                     met_class_row *rows, ml_error *err)
{
    if (n == 0 || K == 0)
        return ml_err(err, ML_EINVAL, "class report: no %s", n == 0 ? "rows" : "classes");
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        if (!class_of(y[i], K, &k) || !class_of(pred[i], K, &k))
            return ml_err(err, ML_EINVAL,
                          "class report: row %zu: a label is not a class index below %zu", i, K);
        total += WEIGHT(w, i);
    }
    if (!(total > 0))
        return ml_err(err, ML_EINVAL, "class report: the weights sum to zero");
    csums c;
    pred_src src = {pred, 0, SRC_LABELS};
    if (!csums_fill(&c, y, &src, K, w, n))
        return ml_err(err, ML_ENOMEM, "class report: out of memory for %zu classes", K);
    for (size_t k = 0; k < K; k++) {
        met_prf r = prf_of(c.tp[k], c.ps[k], c.ts[k]);
        rows[k] = (met_class_row){r.precision, r.recall, r.f1, c.ts[k]};
    }
    dbuf_free(&c.buf);
    return ML_OK;
}

/* ---- regression ------------------------------------------------------------ */

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

/* Weighted mean of y, or of y - pred when pred is not NULL. */
static double wmean(const double *y, const double *pred, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        s += WEIGHT(w, i) * (pred ? y[i] - pred[i] : y[i]);
        sw += WEIGHT(w, i);
    }
    return sw > 0 ? s / sw : NAN;
}

double met_r2(const double *y, const double *pred, const double *w, size_t n)
{
    double mean = wmean(y, NULL, w, n);
    if (isnan(mean))
        return NAN;
    double ss_res = 0, ss_tot = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        ss_res += wi * (y[i] - pred[i]) * (y[i] - pred[i]);
        ss_tot += wi * (y[i] - mean) * (y[i] - mean);
    }
    return ss_tot > 0 ? 1 - ss_res / ss_tot : NAN;
}

double met_explained_variance(const double *y, const double *pred, const double *w, size_t n)
{
    double mean = wmean(y, NULL, w, n), diff_mean = wmean(y, pred, w, n);
    if (isnan(mean))
        return NAN;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i), r = y[i] - pred[i] - diff_mean;
        num += wi * r * r;
        den += wi * (y[i] - mean) * (y[i] - mean);
    }
    return den > 0 ? 1 - num / den : NAN;
}

double met_mape(const double *y, const double *pred, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = WEIGHT(w, i);
        s += wi * (fabs(pred[i] - y[i]) / fmax(fabs(y[i]), DBL_EPSILON));
        sw += wi;
    }
    return sw > 0 ? s / sw : NAN;
}

/* Sorted copy of y - pred (absolute: |pred - y|), with the sorting order
 * in *order when wanted; NULL on out of memory. */
static double *sorted_residuals(const double *y, const double *pred, bool absolute, size_t n,
                                uint32_t **order)
{
    double *r = calloc(n ? n : 1, sizeof *r), *s = malloc((n ? n : 1) * sizeof *s);
    uint32_t *rows = NULL;
    if (r && s) {
        for (size_t i = 0; i < n; i++)
            r[i] = absolute ? fabs(pred[i] - y[i]) : y[i] - pred[i];
        rows = met_sorted_rows(r, 1, n);
    }
    if (rows)
        for (size_t i = 0; i < n; i++)
            s[i] = r[rows[i]];
    free(r);
    if (!rows) {
        free(s);
        return NULL;
    }
    if (order)
        *order = rows;
    else
        free(rows);
    return s;
}

double met_median_ae(const double *y, const double *pred, const double *w, size_t n)
{
    if (n == 0)
        return NAN;
    uint32_t *rows = NULL;
    double *e = sorted_residuals(y, pred, true, n, &rows), out = NAN;
    if (!e)
        return NAN;
    if (!w) {
        out = n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
    } else {
        /* scikit-learn's _weighted_percentile: the first sorted value whose
         * running weight reaches half the total (the search is "left"). */
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += w[rows[i]];
        double half = 0.5 * total, cdf = 0;
        size_t i = 0;
        for (; i < n; i++) {
            cdf += w[rows[i]];
            if (cdf >= half)
                break;
        }
        out = total > 0 ? e[i < n ? i : n - 1] : NAN;
    }
    free(rows);
    free(e);
    return out;
}

int met_residual_quantiles(const double *y, const double *pred, size_t n, const double *q,
                           size_t nq, double *out, ml_error *err)
{
    if (n == 0)
        return ml_err(err, ML_EINVAL, "residual quantiles: no rows");
    for (size_t j = 0; j < nq; j++)
        if (!(q[j] >= 0 && q[j] <= 1))
            return ml_err(err, ML_EINVAL, "residual quantiles: level %g is outside [0, 1]", q[j]);
    double *r = sorted_residuals(y, pred, false, n, NULL);
    if (!r)
        return ml_err(err, ML_ENOMEM, "residual quantiles: out of memory sorting %zu rows", n);
    for (size_t j = 0; j < nq; j++)
        out[j] = met_quantile_sorted(r, n, q[j]);
    free(r);
    return ML_OK;
}

double met_poisson_deviance(const double *y, const double *pred, const double *w, size_t n)
{
    double s = 0, sw = 0;
    for (size_t i = 0; i < n; i++) {
        double mu = pred[i] > 0 ? pred[i] : POISSON_FLOOR, wi = WEIGHT(w, i);
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

/* ---- registry ---------------------------------------------------------------- */

/* Which tasks a metric applies to: bits 1 << task. */
enum { BIN = 1, MULTI = 2, REG = 4 };

static const struct {
    const char *name;
    unsigned tasks;
    bool higher;
} table[] = {
    [MET_AUC] = {"auc", BIN, true},
    [MET_LOGLOSS] = {"logloss", BIN, false},
    [MET_ERROR] = {"error", BIN, false},
    [MET_MULTI_LOGLOSS] = {"multi_logloss", MULTI, false},
    [MET_MULTI_ERROR] = {"multi_error", MULTI, false},
    [MET_RMSE] = {"rmse", REG, false},
    [MET_MAE] = {"mae", REG, false},
    [MET_R2] = {"r2", REG, true},
    [MET_POISSON] = {"poisson", REG, false},
    [MET_QUANTILE] = {"quantile", REG, false},
    [MET_ACCURACY] = {"accuracy", BIN | MULTI, true},
    [MET_BALANCED_ACCURACY] = {"balanced_accuracy", BIN | MULTI, true},
    [MET_F1] = {"f1", BIN, true},
    [MET_PRECISION] = {"precision", BIN, true},
    [MET_RECALL] = {"recall", BIN, true},
    [MET_F1_MACRO] = {"f1_macro", BIN | MULTI, true},
    [MET_F1_WEIGHTED] = {"f1_weighted", BIN | MULTI, true},
    [MET_AVERAGE_PRECISION] = {"average_precision", BIN, true},
    [MET_BRIER] = {"brier", BIN, false},
    [MET_MCC] = {"mcc", BIN | MULTI, true},
    [MET_KAPPA] = {"kappa", BIN | MULTI, true},
    [MET_AUC_OVR] = {"roc_auc_ovr", MULTI, true},
    [MET_AUC_OVR_WEIGHTED] = {"roc_auc_ovr_weighted", MULTI, true},
    [MET_MAPE] = {"mape", REG, false},
    [MET_MEDIAN_AE] = {"median_ae", REG, false},
    [MET_EXPLAINED_VARIANCE] = {"explained_variance", REG, true},
};
enum { MET_COUNT = sizeof table / sizeof table[0] };

int met_parse(const char *name, met_id *out, ml_error *err)
{
    /* scikit-learn's names, which workflows borrow. */
    static const struct {
        const char *alias;
        met_id id;
    } aliases[] = {{"roc_auc", MET_AUC},
                   {"log_loss", MET_LOGLOSS},
                   {"matthews_corrcoef", MET_MCC},
                   {"cohen_kappa", MET_KAPPA},
                   {"brier_score", MET_BRIER}};
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(name, aliases[i].alias) == 0) {
            *out = aliases[i].id;
            return ML_OK;
        }
    for (int i = 0; i < MET_COUNT; i++)
        if (strcmp(name, table[i].name) == 0) {
            *out = (met_id)i;
            return ML_OK;
        }
    char list[512];
    size_t len = 0;
    for (int i = 0; i < MET_COUNT && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i == 0               ? ""
                                : i == MET_COUNT - 1 ? " or "
                                                     : ", ",
                                table[i].name);
    return ml_err(err, ML_EINVAL, "unknown metric '%s' (choose %s)", name, list);
}

const char *met_name(met_id id)
{
    return (unsigned)id < MET_COUNT ? table[id].name : "unknown";
}

bool met_higher_is_better(met_id id)
{
    return (unsigned)id < MET_COUNT && table[id].higher;
}

bool met_valid_for_task(met_id id, int task)
{
    return (unsigned)id < MET_COUNT && task >= 0 && task <= 2 && (table[id].tasks >> task & 1);
}

/* Label metrics on probabilities: p > 0.5 for binary (K = 1), else the
 * row argmax. */
static double label_metric(met_id id, const double *y, const double *pred, size_t K,
                           const double *w, size_t n)
{
    pred_src src = {pred, K, K == 1 ? SRC_PROB1 : SRC_PROBK};
    size_t classes = K == 1 ? 2 : K;
    switch (id) {
    case MET_ACCURACY:
        return K == 1 ? met_accuracy_binary(y, pred, w, n) : met_accuracy_multi(y, pred, K, w, n);
    case MET_BALANCED_ACCURACY:
        return balanced_src(y, &src, classes, w, n);
    case MET_F1:
        return prf_src(y, &src, classes, MET_AVG_BINARY, w, n).f1;
    case MET_PRECISION:
        return prf_src(y, &src, classes, MET_AVG_BINARY, w, n).precision;
    case MET_RECALL:
        return prf_src(y, &src, classes, MET_AVG_BINARY, w, n).recall;
    case MET_F1_MACRO:
        return prf_src(y, &src, classes, MET_AVG_MACRO, w, n).f1;
    case MET_F1_WEIGHTED:
        return prf_src(y, &src, classes, MET_AVG_WEIGHTED, w, n).f1;
    case MET_MCC:
        return mcc_src(y, &src, classes, w, n);
    case MET_KAPPA:
        return kappa_src(y, &src, classes, w, n);
    default:
        return NAN;
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
    case MET_AVERAGE_PRECISION:
        return met_average_precision(y, pred, w, n);
    case MET_BRIER:
        return met_brier(y, pred, w, n);
    case MET_AUC_OVR:
        return met_auc_ovr(y, pred, K, MET_AVG_MACRO, w, n);
    case MET_AUC_OVR_WEIGHTED:
        return met_auc_ovr(y, pred, K, MET_AVG_WEIGHTED, w, n);
    case MET_MAPE:
        return met_mape(y, pred, w, n);
    case MET_MEDIAN_AE:
        return met_median_ae(y, pred, w, n);
    case MET_EXPLAINED_VARIANCE:
        return met_explained_variance(y, pred, w, n);
    default:
        return label_metric(id, y, pred, K, w, n);
    }
}
