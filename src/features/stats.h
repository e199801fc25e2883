/*
 * stats.h — the statistics the feature pipeline fits, written to agree with
 * numpy and scikit-learn to 1e-9 on the same data: quantiles with numpy's
 * default (linear) interpolation, KBinsDiscretizer's bin edges, the mode,
 * Pearson correlation, and the nearest-neighbour mutual-information
 * estimators behind mutual_info_classif / mutual_info_regression.
 *
 * Contract
 *  - Missing values are NaN; every function ignores them (pairwise for the
 *    two-column ones) and says what it returns when nothing is left.
 *  - No function keeps a pointer to its inputs; scratch is the caller's so
 *    hot paths do not allocate per column.
 *  - The quantile and mode functions run in O(n log nq) / O(n log n) on
 *    1M-row columns; callers subsample for the O(n log n)-per-feature
 *    mutual-information estimates on large tables.
 */
#ifndef ML_FEATURES_STATS_H
#define ML_FEATURES_STATS_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

/* Copies the non-NaN values of x into scratch (n slots) and returns how
 * many there were. */
size_t fs_finite(const double *x, size_t n, double *scratch);

/* numpy.quantile(v, qs[i]) (method "linear") for each of the nq
 * probabilities qs (each in [0, 1], any order) over the m values v, which
 * are reordered in place (partially sorted).  m == 0 gives NaN for each. */
void fs_quantiles(double *v, size_t m, const double *qs, size_t nq, double *out);

/* The most frequent value of the m values v (reordered in place); ties go
 * to the smallest value, as SimpleImputer(strategy="most_frequent") does.
 * m == 0 gives NaN. */
double fs_mode(double *v, size_t m);

/* KBinsDiscretizer(n_bins=nbins, strategy="quantile"|"uniform") edges of
 * the m values v (reordered in place): writes at most nbins + 1 increasing
 * edges into edges and returns how many; quantile edges closer than 1e-8
 * are merged as scikit-learn does.  A constant column gives the two edges
 * -inf, +inf (one bin), as scikit-learn does. */
size_t fs_bin_edges_quantile(double *v, size_t m, int nbins, double *edges);
size_t fs_bin_edges_uniform(const double *v, size_t m, int nbins, double *edges);

/* The bin of x for nedges edges: numpy.searchsorted(edges[1:-1], x,
 * side="right"), i.e. 0..nedges-2; NaN stays NaN. */
double fs_bin_index(const double *edges, size_t nedges, double x);

/* Pearson correlation of the rows where both are non-NaN; 0 when fewer
 * than two such rows or either side is constant. */
double fs_pearson(const double *x, const double *y, size_t n);

/* mutual_info_classif(x, y, discrete_features=False, n_neighbors=k) for
 * one feature, without scikit-learn's 1e-10 jitter (which only breaks
 * ties): x continuous (NaN rows skipped), y class indices 0..nclasses-1.
 * Returns the estimate clipped at 0.  Fails only on out of memory. */
int fs_mutual_info_classif(const double *x, const int32_t *y, size_t n, int nclasses, int k,
                           double *out, ml_error *err);

/* mutual_info_classif with discrete_features=True for one feature: the
 * plug-in estimate (sklearn.metrics.mutual_info_score) of x's distinct
 * values (NaN rows skipped) against the classes. */
int fs_mutual_info_discrete(const double *x, const int32_t *y, size_t n, int nclasses,
                            double *out, ml_error *err);

/* mutual_info_regression(x, y, discrete_features=False, n_neighbors=k) for
 * one feature without the jitter: the Kraskov estimator with the
 * Chebyshev metric on (x, y), both continuous (rows with a NaN skipped). */
int fs_mutual_info_regression(const double *x, const double *y, size_t n, int k, double *out,
                              ml_error *err);

#endif
