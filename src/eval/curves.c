/*
 * curves.c — see curves.h.
 *
 * Everything here starts from one sweep: rows sorted by score (the stable
 * radix sort of metrics.c), walked from the highest score down, skipping
 * rows of zero weight, with running weighted counts of positives (tp) and
 * negatives (fp); each group of tied scores ends in one point
 * (threshold, tp, fp).  That is scikit-learn's _binary_clf_curve: the same
 * rows in the same order, so the running sums are the same floating-point
 * numbers, and the exact tests built on them (drop_intermediate's second
 * differences, a target precision) decide as scikit-learn does.
 *
 * ROC, precision-recall, the threshold table and the threshold choices are
 * then short loops over those points.  Calibration bins rows by comparing
 * each probability with edges computed as numpy computes them (linspace,
 * percentile), so a probability on an edge lands in the same bin.
 */
#include "eval/curves.h"

#include <math.h>
#include <stdlib.h>

#define WEIGHT(w, i) ((w) ? (w)[i] : 1.0)

typedef struct point {
    double thr, tp, fp;
} point;

/* Checks labels and scores, then the sweep: *out (malloc'd, *m points,
 * threshold decreasing).  what names the caller in messages. */
static int sweep(const char *what, const double *y, const double *score, const double *w, size_t n,
                 point **out, size_t *m, ml_error *err)
{
    *out = NULL;
    *m = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return ml_err(err, ML_EINVAL, "%s: row %zu: label %g is not 0 or 1", what, i, y[i]);
        if (!isfinite(score[i]))
            return ml_err(err, ML_EINVAL, "%s: row %zu: score %g is not finite", what, i, score[i]);
    }
    uint32_t *rows = met_sorted_rows(score, 1, n);
    point *g = malloc((n ? n : 1) * sizeof *g);
    if (!rows || !g) {
        free(rows);
        free(g);
        return ml_err(err, ML_ENOMEM, "%s: out of memory sorting %zu rows", what, n);
    }
    size_t k = 0;
    double tp = 0, fp = 0, cur = 0;
    bool open = false; /* a group of tied scores has started */
    for (size_t i = n; i > 0;) {
        size_t r = rows[--i];
        double wi = WEIGHT(w, r);
        if (wi == 0)
            continue;
        if (open && score[r] != cur)
            g[k++] = (point){cur, tp, fp};
        open = true;
        cur = score[r];
        if (y[r] == 1)
            tp += wi;
        else
            fp += wi;
    }
    free(rows);
    if (open)
        g[k++] = (point){cur, tp, fp};
    if (k == 0) {
        free(g);
        return ml_err(err, ML_EINVAL, "%s: no row of nonzero weight", what);
    }
    *out = g;
    *m = k;
    return ML_OK;
}

int met_roc_curve(const double *y, const double *score, const double *w, size_t n, double *fpr,
                  double *tpr, double *thresholds, size_t *len, ml_error *err)
{
    point *g;
    size_t m, k = 0;
    int rc = sweep("roc curve", y, score, w, n, &g, &m, err);
    if (rc || m == 0)
        return rc ? rc : ML_EINTERNAL;
    fpr[0] = tpr[0] = 0;
    thresholds[0] = g[0].thr + 1;
    for (size_t j = 0; j < m; j++) {
        /* numpy.diff(., 2) != 0 in fps or tps: a corner, kept. */
        bool keep = m <= 2 || j == 0 || j == m - 1 ||
                    (g[j + 1].fp - g[j].fp) - (g[j].fp - g[j - 1].fp) != 0 ||
                    (g[j + 1].tp - g[j].tp) - (g[j].tp - g[j - 1].tp) != 0;
        if (keep) {
            k++;
            fpr[k] = g[j].fp;
            tpr[k] = g[j].tp;
            thresholds[k] = g[j].thr;
        }
    }
    double pos = g[m - 1].tp, neg = g[m - 1].fp;
    for (size_t j = 0; j <= k; j++) {
        fpr[j] = neg > 0 ? fpr[j] / neg : NAN;
        tpr[j] = pos > 0 ? tpr[j] / pos : NAN;
    }
    *len = k + 1;
    free(g);
    return ML_OK;
}

int met_pr_curve(const double *y, const double *score, const double *w, size_t n, double *precision,
                 double *recall, double *thresholds, size_t *len, ml_error *err)
{
    point *g;
    size_t m;
    int rc = sweep("precision-recall curve", y, score, w, n, &g, &m, err);
    if (rc || m == 0)
        return rc ? rc : ML_EINTERNAL;
    double pos = g[m - 1].tp;
    for (size_t j = 0; j < m; j++) {
        size_t r = m - 1 - j; /* increasing thresholds */
        double ps = g[j].tp + g[j].fp;
        precision[r] = ps != 0 ? g[j].tp / ps : 0;
        recall[r] = pos != 0 ? g[j].tp / pos : 1;
        thresholds[r] = g[j].thr;
    }
    precision[m] = 1;
    recall[m] = 0;
    *len = m;
    free(g);
    return ML_OK;
}

/* Precision, recall and F1 at a point, zero denominators giving 0. */
static met_threshold_row row_at(const point *p, double pos)
{
    met_threshold_row r = {p->thr, 0, 0, 0};
    double ps = p->tp + p->fp;
    r.precision = ps != 0 ? p->tp / ps : 0;
    r.recall = pos != 0 ? p->tp / pos : 0;
    double d = r.precision + r.recall;
    r.f1 = d != 0 ? 2 * r.precision * r.recall / d : 0;
    return r;
}

int met_threshold_table(const double *y, const double *score, const double *w, size_t n,
                        size_t max_rows, met_threshold_row *rows, size_t *len, ml_error *err)
{
    point *g;
    size_t m;
    int rc = sweep("threshold table", y, score, w, n, &g, &m, err);
    if (rc || m == 0)
        return rc ? rc : ML_EINTERNAL;
    size_t count = max_rows && m > max_rows ? max_rows : m;
    for (size_t i = 0; i < count; i++) {
        size_t a = count == m ? i : count == 1 ? 0 : i * (m - 1) / (count - 1);
        rows[i] = row_at(&g[m - 1 - a], g[m - 1].tp); /* a counts from the lowest */
    }
    *len = count;
    free(g);
    return ML_OK;
}

typedef enum { BY_F1, BY_YOUDEN, BY_PRECISION, BY_RECALL, BY_COST } criterion;

typedef struct chooser {
    criterion by;
    double target, cost_fp, cost_fn;
} chooser;

static met_choice choice_at(const point *p, double pos, double neg, double value)
{
    met_threshold_row r = row_at(p, pos);
    return (met_choice){p->thr, value, r.precision, r.recall, neg != 0 ? p->fp / neg : NAN};
}

/* The criterion at p, NaN where p does not qualify. */
static double criterion_at(const chooser *c, const point *p, double pos, double neg)
{
    met_threshold_row r = row_at(p, pos);
    switch (c->by) {
    case BY_F1:
        return r.f1;
    case BY_YOUDEN:
        return p->tp / pos - p->fp / neg;
    case BY_PRECISION:
        return r.precision >= c->target ? r.precision : NAN;
    case BY_RECALL:
        return r.recall >= c->target ? r.recall : NAN;
    case BY_COST:
        return (c->cost_fp * p->fp + c->cost_fn * (pos - p->tp)) / (pos + neg);
    }
    return NAN;
}

/* Is a better than b for c (b NaN: anything qualifying is)?  Points come
 * from the highest threshold down, so keeping the first of equals prefers
 * the highest threshold — except for a target precision, which wants the
 * lowest qualifying one. */
static bool better(const chooser *c, double a, double b)
{
    if (isnan(a))
        return false;
    if (isnan(b))
        return true;
    switch (c->by) {
    case BY_PRECISION:
        return true;
    case BY_RECALL:
        return false;
    case BY_COST:
        return a < b;
    default:
        return a > b;
    }
}

static int choose(const char *what, const chooser *c, const double *y, const double *score,
                  const double *w, size_t n, met_choice *out, ml_error *err)
{
    point *g;
    size_t m;
    int rc = sweep(what, y, score, w, n, &g, &m, err);
    if (rc || m == 0)
        return rc ? rc : ML_EINTERNAL;
    double pos = g[m - 1].tp, neg = g[m - 1].fp, best = NAN;
    point none = {INFINITY, 0, 0};
    *out = (met_choice){NAN, NAN, NAN, NAN, NAN};
    bool defined =
        !((c->by == BY_YOUDEN && (pos == 0 || neg == 0)) || (c->by == BY_RECALL && pos == 0));
    if (defined && c->by == BY_COST) {
        best = criterion_at(c, &none, pos, neg);
        *out = choice_at(&none, pos, neg, best);
    }
    for (size_t j = 0; defined && j < m; j++) {
        double v = criterion_at(c, &g[j], pos, neg);
        if (better(c, v, best)) {
            best = v;
            *out = choice_at(&g[j], pos, neg, v);
        }
    }
    free(g);
    return ML_OK;
}

int met_choose_max_f1(const double *y, const double *score, const double *w, size_t n,
                      met_choice *out, ml_error *err)
{
    chooser c = {BY_F1, 0, 0, 0};
    return choose("max f1 threshold", &c, y, score, w, n, out, err);
}

int met_choose_youden(const double *y, const double *score, const double *w, size_t n,
                      met_choice *out, ml_error *err)
{
    chooser c = {BY_YOUDEN, 0, 0, 0};
    return choose("youden threshold", &c, y, score, w, n, out, err);
}

int met_choose_precision(const double *y, const double *score, const double *w, size_t n,
                         double target, met_choice *out, ml_error *err)
{
    if (!(target >= 0 && target <= 1))
        return ml_err(err, ML_EINVAL, "precision threshold: target %g is outside [0, 1]", target);
    chooser c = {BY_PRECISION, target, 0, 0};
    return choose("precision threshold", &c, y, score, w, n, out, err);
}

int met_choose_recall(const double *y, const double *score, const double *w, size_t n,
                      double target, met_choice *out, ml_error *err)
{
    if (!(target >= 0 && target <= 1))
        return ml_err(err, ML_EINVAL, "recall threshold: target %g is outside [0, 1]", target);
    chooser c = {BY_RECALL, target, 0, 0};
    return choose("recall threshold", &c, y, score, w, n, out, err);
}

int met_choose_min_cost(const double *y, const double *score, const double *w, size_t n,
                        double cost_fp, double cost_fn, met_choice *out, ml_error *err)
{
    if (!(cost_fp >= 0 && cost_fn >= 0 && isfinite(cost_fp) && isfinite(cost_fn)))
        return ml_err(err, ML_EINVAL,
                      "cost threshold: costs must be finite and >= 0, got fp %g and fn %g", cost_fp,
                      cost_fn);
    chooser c = {BY_COST, 0, cost_fp, cost_fn};
    return choose("cost threshold", &c, y, score, w, n, out, err);
}

/* ---- calibration ---------------------------------------------------------- */

/* Inner bin edges e[1..n_bins-1] into e (room for n_bins + 1). */
static int bin_edges(const double *p, size_t n, size_t n_bins, met_bin_strategy strategy, double *e,
                     ml_error *err)
{
    double step = 1.0 / (double)n_bins; /* numpy.linspace(0, 1, n_bins + 1) */
    if (strategy == MET_BINS_UNIFORM) {
        for (size_t i = 1; i < n_bins; i++)
            e[i] = (double)i * step;
        return ML_OK;
    }
    uint32_t *rows = met_sorted_rows(p, 1, n);
    double *s = malloc(n * sizeof *s);
    if (!rows || !s) {
        free(rows);
        free(s);
        return ml_err(err, ML_ENOMEM, "calibration curve: out of memory sorting %zu rows", n);
    }
    for (size_t i = 0; i < n; i++)
        s[i] = p[rows[i]];
    /* numpy.percentile(p, linspace * 100) divides the levels by 100 again. */
    for (size_t i = 1; i < n_bins; i++)
        e[i] = met_quantile_sorted(s, n, (double)i * step * 100.0 / 100.0);
    free(rows);
    free(s);
    return ML_OK;
}

/* numpy.searchsorted(e[1..n_bins-1], x, side="left"). */
static size_t bin_of(const double *e, size_t n_bins, double x)
{
    size_t lo = 1, hi = n_bins; /* first edge >= x in [lo, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

int met_calibration_curve(const double *y, const double *p, const double *w, size_t n,
                          size_t n_bins, met_bin_strategy strategy, met_calib_bin *bins,
                          size_t *len, ml_error *err)
{
    if (n == 0)
        return ml_err(err, ML_EINVAL, "calibration curve: no rows");
    if (n_bins == 0 || (strategy != MET_BINS_UNIFORM && strategy != MET_BINS_QUANTILE))
        return ml_err(err, ML_EINVAL, "calibration curve: need n_bins >= 1 and a known strategy");
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return ml_err(err, ML_EINVAL, "calibration curve: row %zu: label %g is not 0 or 1", i,
                          y[i]);
        if (!(p[i] >= 0 && p[i] <= 1))
            return ml_err(err, ML_EINVAL,
                          "calibration curve: row %zu: probability %g is outside [0, 1]", i, p[i]);
    }
    double *e = malloc((n_bins + 1) * sizeof *e);
    if (!e)
        return ml_err(err, ML_ENOMEM, "calibration curve: out of memory for %zu bins", n_bins);
    int rc = bin_edges(p, n, n_bins, strategy, e, err);
    if (rc) {
        free(e);
        return rc;
    }
    for (size_t b = 0; b < n_bins; b++)
        bins[b] = (met_calib_bin){0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        met_calib_bin *b = &bins[bin_of(e, n_bins, p[i])];
        double wi = WEIGHT(w, i);
        b->mean_pred += wi * p[i];
        b->frac_pos += wi * y[i];
        b->weight += wi;
    }
    free(e);
    size_t k = 0;
    for (size_t b = 0; b < n_bins; b++)
        if (bins[b].weight > 0)
            bins[k++] = (met_calib_bin){bins[b].mean_pred / bins[b].weight,
                                        bins[b].frac_pos / bins[b].weight, bins[b].weight};
    *len = k;
    return ML_OK;
}

double met_ece(const double *y, const double *p, const double *w, size_t n, size_t n_bins)
{
    met_calib_bin *bins = malloc((n_bins ? n_bins : 1) * sizeof *bins);
    size_t k = 0;
    if (!bins || met_calibration_curve(y, p, w, n, n_bins, MET_BINS_UNIFORM, bins, &k, NULL)) {
        free(bins);
        return NAN;
    }
    double sum = 0, total = 0;
    for (size_t b = 0; b < k; b++) {
        sum += bins[b].weight * fabs(bins[b].frac_pos - bins[b].mean_pred);
        total += bins[b].weight;
    }
    free(bins);
    return total > 0 ? sum / total : NAN;
}
