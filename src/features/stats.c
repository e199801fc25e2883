/*
 * stats.c — see stats.h.
 *
 * Agreement with numpy / scikit-learn is by replaying their arithmetic, not
 * by approximating their results:
 *
 *  - Quantiles (numpy 1.24, method "linear"): h = (m - 1) * q; below the
 *    last index the neighbours are floor(h) and floor(h) + 1 with weight
 *    gamma = h - floor(h); at or past it both neighbours are the last value
 *    and gamma is h + 1 (numpy sets the previous index to -1 before taking
 *    the difference).  The interpolation is numpy's _lerp, a + (b - a) * t,
 *    or b - (b - a) * (1 - t) when t >= 0.5, so the results are the same
 *    doubles numpy returns, infinities' NaNs included.
 *  - The order statistics come from a multi-target quickselect: the wanted
 *    ranks are sorted and a partition sends each rank to the side that holds
 *    it, recursing into both sides, so q quantiles cost a few passes over
 *    the data, never a full sort (1M doubles, 3 quantiles: about 4 ms, five
 *    times faster than np.quantile).  The partition is a branch-free Lomuto
 *    loop (random keys cost no mispredictions), with a second pass that
 *    settles a run of keys equal to the pivot when the pivot is the least
 *    key, so constant or few-valued columns stay linear.  The pivot is aimed
 *    as in Floyd and Rivest's algorithm: from a sorted sample of sqrt(n)
 *    keys, just past a narrow window of wanted ranks (so one partition
 *    discards most of the range) or at the middle wanted rank when they are
 *    spread; small ranges use the median of three or Tukey's ninther.  A
 *    depth limit of 2 log2 n hands a pathological range to heapsort
 *    (introselect).  The ranks go through a fixed array of 128, so
 *    fs_quantiles never allocates; more quantiles are done 64 at a time.
 *    fs_mode sorts with the same partition (introsort).
 *  - KBinsDiscretizer (scikit-learn 1.2.1): quantile edges are
 *    np.percentile(col, np.linspace(0, 100, nbins + 1)), so the probabilities
 *    are rebuilt exactly as linspace and percentile make them (i * (100 /
 *    nbins), last one 100, then / 100); edges are then kept where
 *    np.ediff1d(edges, to_begin=inf) > 1e-8, i.e. each edge is compared with
 *    its original predecessor, not the last edge kept (so a column spread
 *    over less than 1e-8 can keep a single edge: zero bins, and every value
 *    then falls in bin 0, as in scikit-learn).  Uniform edges are
 *    np.linspace(min, max, nbins + 1) including its step == 0 branch.  A
 *    constant column gives [-inf, inf], and so, by our choice, does an
 *    empty one (scikit-learn refuses it); nbins < 1 gives no edges.
 *    transform in 1.2.1 is a plain searchsorted(edges[1:-1], x,
 *    side="right") with no tolerance.
 *  - Mutual information follows _compute_mi_cd / _compute_mi_cc.  In one
 *    dimension a k-d tree is not needed: after one sort the k-th nearest
 *    same-class neighbour is a k-step merge outward from the point's place
 *    in its class's sorted run, and the number of points within the radius
 *    is two binary searches in the globally sorted values, so ties cost
 *    nothing extra.  The radius is nextafter(d_k, 0) and a point counts when
 *    |x_j - x_i| <= radius, which is scikit-learn's test; the searches rely
 *    on fl(x_j - x_i) being monotone in x_j, which IEEE rounding guarantees.
 *    For regression the Chebyshev k-NN on (x, y) uses an implicit 2-d tree
 *    (median splits on x and y in turn, built in place by quickselect),
 *    O(n log n) whatever the dependence: scanning outward in x order, the
 *    simpler alternative, visits O(sqrt(n k)) points per query when x and
 *    y are independent (50k rows: 0.35 s against 0.06 s).  x and y are
 *    first divided by their population standard deviations as
 *    scale(with_mean=False) does (that changes the Chebyshev neighbours);
 *    the classif feature is not scaled since in one dimension it changes
 *    nothing but rounding.  scikit-learn's 1e-10 jitter is skipped: on
 *    tie-free data it changes no neighbour and no count (the fixture
 *    generator checks this), and on tied data it would make the result
 *    depend on a random seed.  Rows with an infinite value are skipped like
 *    NaN there, since the estimators have no meaning for them; labels
 *    outside 0..nclasses-1 are skipped too.
 *  - One known difference: scikit-learn finds the neighbours of a class with
 *    at most 2k + 1 members by brute force, whose Euclidean distances
 *    (|a|^2 - 2ab + |b|^2) are inexact, so the k-th neighbour itself may or
 *    may not fall inside nextafter(d_k, 0) there; we count exactly, as its
 *    k-d tree does for larger classes.  With such a class the estimates can
 *    differ by about 1e-4.
 *  - digamma is the asymptotic series after the recurrence lifts x past 10,
 *    good to about 1e-15 relative for the positive arguments used here.
 */
#include "features/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small sorts on doubles (no NaN) ---------------------------------- */

static inline void swapd(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void sift_down(double *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (!(v[child] > v[root]))
            return;
        swapd(&v[root], &v[child]);
        root = child;
    }
}

static void heap_sort(double *v, size_t n)
{
    for (size_t i = n / 2; i > 0; i--)
        sift_down(v, i - 1, n);
    for (size_t end = n; end > 1; end--) {
        swapd(&v[0], &v[end - 1]);
        sift_down(v, 0, end - 1);
    }
}

/* Index of the median of v[a], v[b], v[c]. */
static size_t median3(const double *v, size_t a, size_t b, size_t c)
{
    if (v[a] < v[b])
        return v[b] < v[c] ? b : v[a] < v[c] ? c : a;
    return v[a] < v[c] ? a : v[b] < v[c] ? c : b;
}

/* Median of three, or Tukey's ninther on large ranges. */
static size_t choose_pivot(const double *v, size_t lo, size_t hi)
{
    size_t n = hi - lo, mid = lo + n / 2;
    if (n < 1024)
        return median3(v, lo, mid, hi - 1);
    size_t s = n / 8;
    return median3(v, median3(v, lo, lo + s, lo + 2 * s), median3(v, mid - s, mid, mid + s),
                   median3(v, hi - 1 - 2 * s, hi - 1 - s, hi - 1));
}

/* Partitions v[lo, hi) (hi - lo >= 2) around the pivot p = v[pi] and
 * returns in [*a, *b) the keys equal to p, now in their sorted places:
 * v[lo, a) < p, v[a, b) == p, v[b, hi) >= p.
 *
 * The loop is Lomuto's without a branch (every element is swapped, the
 * boundary advances by the comparison's 0 or 1), so random keys cost no
 * mispredictions.  Lomuto alone sends every key equal to p right and would
 * go quadratic on a column of one value; when the left side comes out
 * empty (p is the least key), a second branch-free pass gathers the keys
 * equal to p at the start of the right side, so a run of equal keys is
 * settled in one step.  (Copies of a larger p go right, and are gathered
 * when a later partition of that side picks p again, now its least key.) */
static void partition(double *v, size_t lo, size_t hi, size_t pi, size_t *a, size_t *b)
{
    size_t last = hi - 1;
    double p = v[pi];
    v[pi] = v[last];
    v[last] = p;
    size_t j = lo;
    for (size_t i = lo; i < last; i++) {
        double x = v[i];
        size_t lt = x < p;
        v[i] = v[j];
        v[j] = x;
        j += lt;
    }
    v[last] = v[j];
    v[j] = p;
    size_t e = j + 1;
    if (j == lo) {
        for (size_t i = e; i < hi; i++) {
            double x = v[i];
            size_t eq = !(p < x);
            v[i] = v[e];
            v[e] = x;
            e += eq;
        }
    }
    *a = j;
    *b = e;
}

static int depth_limit(size_t n)
{
    int d = 0;
    while (n > 1) {
        n >>= 1;
        d += 2;
    }
    return d;
}

static void intro_sort(double *v, size_t lo, size_t hi, int depth)
{
    while (hi - lo > 16) {
        if (depth-- == 0) {
            heap_sort(v + lo, hi - lo);
            return;
        }
        size_t a, b;
        partition(v, lo, hi, choose_pivot(v, lo, hi), &a, &b);
        /* Recurse into the smaller side so the stack stays O(log n). */
        if (a - lo < hi - b) {
            intro_sort(v, lo, a, depth);
            lo = b;
        } else {
            intro_sort(v, b, hi, depth);
            hi = a;
        }
    }
    insertion_sort(v + lo, hi - lo);
}

static void sort_doubles(double *v, size_t n)
{
    intro_sort(v, 0, n, depth_limit(n));
}

/* The pivot for select_many, after Floyd and Rivest: from a sorted sample
 * of sqrt(n) keys, the one whose rank lies just past a narrow window of
 * wanted ranks, on the side of the larger remainder, so that one partition
 * discards most of the range; for ranks spread wide, the sample's estimate
 * of the middle wanted rank, which splits them in halves. */
static size_t aim_pivot(double *v, size_t lo, size_t hi, const size_t *ks, size_t nk)
{
    size_t n = hi - lo;
    if (n < 4096)
        return choose_pivot(v, lo, hi);
    size_t s = (size_t)sqrt((double)n), stride = n / s;
    for (size_t i = 0; i < s; i++)
        swapd(&v[lo + i], &v[lo + i * stride]);
    intro_sort(v, lo, lo + s, depth_limit(s));
    size_t kmin = ks[0] - lo, kmax = ks[nk - 1] - lo, margin = 2 * (size_t)sqrt((double)s) + 1;
    size_t r;
    if (kmax - kmin >= n / 16)
        r = (ks[nk / 2] - lo) * s / n;
    else if (kmin + kmax < n) /* cut above the window */
        r = kmax * s / n + margin < s ? kmax * s / n + margin : s - 1;
    else /* cut below it */
        r = kmin * s / n > margin ? kmin * s / n - margin : 0;
    return lo + r;
}

/* Puts the k-th smallest value of v at v[k] for every k of the sorted,
 * distinct ranks ks[0..nk), all in [lo, hi). */
static void select_many(double *v, size_t lo, size_t hi, const size_t *ks, size_t nk, int depth)
{
    while (nk > 0) {
        if (hi - lo <= 16) {
            insertion_sort(v + lo, hi - lo);
            return;
        }
        if (depth-- == 0) {
            heap_sort(v + lo, hi - lo);
            return;
        }
        size_t a, b, i = 0;
        partition(v, lo, hi, aim_pivot(v, lo, hi, ks, nk), &a, &b);
        while (i < nk && ks[i] < a)
            i++;
        if (i > 0)
            select_many(v, lo, a, ks, i, depth);
        while (i < nk && ks[i] < b) /* in the band of keys equal to the pivot */
            i++;
        ks += i;
        nk -= i;
        lo = b;
    }
}

/* Moves the non-NaN values of v to its front and returns their count. */
static size_t drop_nan(double *v, size_t m)
{
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    return k;
}

/* ---- quantiles ----------------------------------------------------------- */

size_t fs_finite(const double *x, size_t n, double *scratch)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            scratch[k++] = x[i];
    return k;
}

/* numpy's _lerp, operation for operation. */
static double lerp(double a, double b, double t)
{
    double diff = b - a;
    double r = a + diff * t;
    if (t >= 0.5)
        r = b - diff * (1 - t);
    return r;
}

enum { QCHUNK = 64 };

/* The quantiles of the m >= 1 non-NaN values v.  out may alias qs: each
 * chunk reads all its probabilities before writing any result. */
static void quantiles_of(double *v, size_t m, const double *qs, size_t nq, double *out)
{
    for (size_t c0 = 0; c0 < nq; c0 += QCHUNK) {
        size_t nc = nq - c0 < QCHUNK ? nq - c0 : QCHUNK;
        size_t lo[QCHUNK], hi[QCHUNK], ks[2 * QCHUNK], nk = 0;
        double gamma[QCHUNK];
        double last = (double)(m - 1);
        for (size_t i = 0; i < nc; i++) {
            double h = last * qs[c0 + i];
            if (h >= last || isnan(h)) {
                lo[i] = hi[i] = m - 1;
                gamma[i] = h + 1; /* numpy's previous index is -1 here */
            } else if (h < 0) {
                lo[i] = hi[i] = 0;
                gamma[i] = h;
            } else {
                double f = floor(h);
                lo[i] = (size_t)f;
                hi[i] = lo[i] + 1;
                gamma[i] = h - f;
            }
            ks[nk++] = lo[i];
            if (hi[i] != lo[i])
                ks[nk++] = hi[i];
        }
        /* Sort and dedupe the ranks (a few dozen at most). */
        for (size_t i = 1; i < nk; i++) {
            size_t x = ks[i], j = i;
            while (j > 0 && ks[j - 1] > x) {
                ks[j] = ks[j - 1];
                j--;
            }
            ks[j] = x;
        }
        size_t nu = 1; /* nk >= 1: the chunk is not empty */
        for (size_t i = 1; i < nk; i++)
            if (ks[i] != ks[nu - 1])
                ks[nu++] = ks[i];
        select_many(v, 0, m, ks, nu, depth_limit(m));
        for (size_t i = 0; i < nc; i++)
            out[c0 + i] = lerp(v[lo[i]], v[hi[i]], gamma[i]);
    }
}

void fs_quantiles(double *v, size_t m, const double *qs, size_t nq, double *out)
{
    m = drop_nan(v, m);
    if (m == 0) {
        for (size_t i = 0; i < nq; i++)
            out[i] = NAN;
        return;
    }
    quantiles_of(v, m, qs, nq, out);
}

double fs_mode(double *v, size_t m)
{
    m = drop_nan(v, m);
    if (m == 0)
        return NAN;
    sort_doubles(v, m);
    double best = v[0];
    size_t best_n = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && v[j] == v[i])
            j++;
        if (j - i > best_n) { /* strictly more: ties keep the smaller value */
            best_n = j - i;
            best = v[i];
        }
        i = j;
    }
    return best;
}

/* ---- KBinsDiscretizer ------------------------------------------------------ */

static size_t infinite_edges(double *edges)
{
    edges[0] = -INFINITY;
    edges[1] = INFINITY;
    return 2;
}

/* min and max of m >= 1 non-NaN values. */
static void min_max(const double *v, size_t m, double *lo, double *hi)
{
    double a = v[0], b = v[0];
    for (size_t i = 1; i < m; i++) {
        a = v[i] < a ? v[i] : a;
        b = v[i] > b ? v[i] : b;
    }
    *lo = a;
    *hi = b;
}

/* np.linspace(start, stop, n + 1) into y. */
static void linspace(double start, double stop, int n, double *y)
{
    double delta = stop - start, step = delta / n;
    for (int i = 0; i <= n; i++)
        y[i] = (step == 0 ? ((double)i / n) * delta : (double)i * step) + start;
    y[n] = stop;
}

size_t fs_bin_edges_quantile(double *v, size_t m, int nbins, double *edges)
{
    if (nbins < 1)
        return 0;
    m = drop_nan(v, m);
    if (m == 0)
        return infinite_edges(edges);
    double lo, hi;
    min_max(v, m, &lo, &hi);
    if (lo == hi)
        return infinite_edges(edges);
    /* np.percentile(col, np.linspace(0, 100, nbins + 1)): the percents, then
     * their true_divide by 100, computed in place of the edges. */
    linspace(0.0, 100.0, nbins, edges);
    for (int i = 0; i <= nbins; i++)
        edges[i] /= 100;
    quantiles_of(v, m, edges, (size_t)nbins + 1, edges);
    /* Keep an edge when it exceeds its original predecessor by > 1e-8. */
    size_t kept = 1;
    double prev = edges[0];
    for (int i = 1; i <= nbins; i++) {
        double e = edges[i];
        if (e - prev > 1e-8)
            edges[kept++] = e;
        prev = e;
    }
    return kept;
}

size_t fs_bin_edges_uniform(const double *v, size_t m, int nbins, double *edges)
{
    if (nbins < 1)
        return 0;
    double lo = NAN, hi = NAN;
    for (size_t i = 0; i < m; i++) {
        if (isnan(v[i]))
            continue;
        if (isnan(lo) || v[i] < lo)
            lo = v[i];
        if (isnan(hi) || v[i] > hi)
            hi = v[i];
    }
    if (isnan(lo) || lo == hi)
        return infinite_edges(edges);
    linspace(lo, hi, nbins, edges);
    return (size_t)nbins + 1;
}

double fs_bin_index(const double *edges, size_t nedges, double x)
{
    if (isnan(x))
        return NAN;
    if (nedges < 3)
        return 0;
    /* Upper bound of x among the inner edges edges[1 .. nedges-2]. */
    size_t a = 1, b = nedges - 1;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (edges[mid] <= x)
            a = mid + 1;
        else
            b = mid;
    }
    return (double)(a - 1);
}

/* ---- Pearson ------------------------------------------------------------- */

double fs_pearson(const double *x, const double *y, size_t n)
{
    size_t k = 0;
    double sx = 0, sy = 0, xlo = 0, xhi = 0, ylo = 0, yhi = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        if (k == 0) {
            xlo = xhi = x[i];
            ylo = yhi = y[i];
        }
        xlo = x[i] < xlo ? x[i] : xlo;
        xhi = x[i] > xhi ? x[i] : xhi;
        ylo = y[i] < ylo ? y[i] : ylo;
        yhi = y[i] > yhi ? y[i] : yhi;
        sx += x[i];
        sy += y[i];
        k++;
    }
    /* Constancy is tested on the values: a mean that is off by an ulp would
     * otherwise turn a constant column into a correlated one. */
    if (k < 2 || xlo == xhi || ylo == yhi)
        return 0;
    double mx = sx / (double)k, my = sy / (double)k, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    double r = sxy / sqrt(sxx) / sqrt(syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

/* ---- mutual information ---------------------------------------------------- */

/* psi(x) for x > 0. */
static double digamma(double x)
{
    double r = 0;
    while (x < 10) {
        r -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    double t =
        f *
        (-1.0 / 12 +
         f * (1.0 / 120 +
              f * (-1.0 / 252 +
                   f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12)))))));
    return r + log(x) - 0.5 / x + t;
}

/* Neumaier's compensated sum: the estimates are differences of O(log n)
 * terms, so the means are kept to the last bit or two. */
typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static double ksum_get(const ksum *k)
{
    return k->s + k->c;
}

typedef struct keyed {
    uint64_t key;
    size_t row;
} keyed;

/* Unsigned key that orders like the double. */
static uint64_t sort_key(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

/* LSD radix sort of a[0..n) by key, 8 bits a pass, skipping the passes
 * whose byte is the same everywhere; tmp has n slots.  Returns the array
 * that holds the result (a or tmp). */
static keyed *radix_sort(keyed *a, keyed *tmp, size_t n)
{
    size_t count[8][257];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 8; d++)
            count[d][((a[i].key >> (8 * d)) & 0xff) + 1]++;
    for (int d = 0; d < 8; d++) {
        size_t *c = count[d];
        if (n == 0 || c[((a[0].key >> (8 * d)) & 0xff) + 1] == n)
            continue;
        for (int b = 0; b < 256; b++)
            c[b + 1] += c[b];
        for (size_t i = 0; i < n; i++)
            tmp[c[(a[i].key >> (8 * d)) & 0xff]++] = a[i];
        keyed *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Number of the sorted values s[0..n) within radius of x: the j with
 * -radius <= fl(s[j] - x) <= radius, a contiguous range. */
static size_t count_within(const double *s, size_t n, double x, double radius)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (s[mid] - x >= -radius)
            b = mid;
        else
            a = mid + 1;
    }
    size_t first = a;
    b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (s[mid] - x > radius)
            b = mid;
        else
            a = mid + 1;
    }
    return a - first;
}

/* Distance from xc[p] to its kk-th nearest neighbour among the sorted
 * xc[0..n), itself excluded (kk <= n - 1). */
static double kth_distance_1d(const double *xc, size_t n, size_t p, size_t kk)
{
    double xi = xc[p], d = 0;
    size_t l = p, r = p + 1; /* next candidates: xc[l - 1], xc[r] */
    for (size_t s = 0; s < kk; s++) {
        double dl = l > 0 ? xi - xc[l - 1] : INFINITY;
        double dr = r < n ? xc[r] - xi : INFINITY;
        if (dl <= dr) {
            d = dl;
            l--;
        } else {
            d = dr;
            r++;
        }
    }
    return d;
}

int fs_mutual_info_classif(const double *x, const int32_t *y, size_t n, int nclasses, int k,
                           double *out, ml_error *err)
{
    *out = 0;
    if (k < 1 || nclasses < 1)
        return ml_err(err, ML_EINVAL,
                      "mutual information: k (%d) and the number of classes (%d) "
                      "must be positive",
                      k, nclasses);
    int rc = ML_OK;
    size_t *count = calloc((size_t)nclasses + 1, sizeof *count);
    size_t *start = calloc((size_t)nclasses + 1, sizeof *start);
    size_t *fill = malloc((size_t)nclasses * sizeof *fill);
    keyed *a = malloc((n ? n : 1) * sizeof *a), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    double *xs = malloc((n ? n : 1) * sizeof *xs), *xc = malloc((n ? n : 1) * sizeof *xc);
    size_t *gpos = malloc((n ? n : 1) * sizeof *gpos);
    if (!count || !start || !fill || !a || !tmp || !xs || !xc || !gpos) {
        rc = ml_err(err, ML_ENOMEM, "mutual information: out of memory for %zu rows", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && y[i] >= 0 && y[i] < nclasses)
            count[y[i]]++;
    /* Classes with a single member take no part, as in _compute_mi_cd. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && y[i] >= 0 && y[i] < nclasses && count[y[i]] > 1) {
            a[m].key = sort_key(x[i]);
            a[m].row = i;
            m++;
        }
    if (m == 0)
        goto done;
    keyed *sorted = radix_sort(a, tmp, m);
    for (int c = 0; c < nclasses; c++)
        start[c + 1] = start[c] + (count[c] > 1 ? count[c] : 0);
    /* xc: each class's values in sorted order, back to back; gpos: where
     * each of them sits in the global order xs. */
    memcpy(fill, start, (size_t)nclasses * sizeof *fill);
    for (size_t j = 0; j < m; j++) {
        size_t row = sorted[j].row;
        xs[j] = x[row];
        size_t slot = fill[y[row]]++;
        xc[slot] = x[row];
        gpos[slot] = j;
    }
    ksum sum_k = {0, 0}, sum_label = {0, 0}, sum_m = {0, 0};
    for (int c = 0; c < nclasses; c++) {
        size_t cc = start[c + 1] - start[c];
        if (cc < 2)
            continue;
        size_t kk = (size_t)k < cc - 1 ? (size_t)k : cc - 1;
        ksum_add(&sum_k, (double)cc * digamma((double)kk));
        ksum_add(&sum_label, (double)cc * digamma((double)cc));
        const double *run = xc + start[c];
        for (size_t p = 0; p < cc; p++) {
            double radius = nextafter(kth_distance_1d(run, cc, p, kk), 0);
            size_t within = count_within(xs, m, xs[gpos[start[c] + p]], radius);
            ksum_add(&sum_m, digamma((double)within));
        }
    }
    double mi = digamma((double)m) + ksum_get(&sum_k) / (double)m -
                ksum_get(&sum_label) / (double)m - ksum_get(&sum_m) / (double)m;
    *out = mi > 0 ? mi : 0;
done:
    free(count);
    free(start);
    free(fill);
    free(a);
    free(tmp);
    free(xs);
    free(xc);
    free(gpos);
    return rc;
}

int fs_mutual_info_discrete(const double *x, const int32_t *y, size_t n, int nclasses, double *out,
                            ml_error *err)
{
    *out = 0;
    if (nclasses < 1)
        return ml_err(err, ML_EINVAL,
                      "mutual information: the number of classes (%d) must be positive", nclasses);
    int rc = ML_OK;
    size_t *pj = calloc((size_t)nclasses, sizeof *pj), *nij = calloc((size_t)nclasses, sizeof *nij);
    keyed *a = malloc((n ? n : 1) * sizeof *a), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!pj || !nij || !a || !tmp) {
        rc = ml_err(err, ML_ENOMEM, "mutual information: out of memory for %zu rows", n);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && y[i] >= 0 && y[i] < nclasses) {
            /* -0.0 and 0.0 are one label to numpy's unique. */
            a[m].key = sort_key(x[i] == 0 ? 0.0 : x[i]);
            a[m].row = i;
            pj[y[i]]++;
            m++;
        }
    size_t nx = 0, ny = 0;
    for (int c = 0; c < nclasses; c++)
        ny += pj[c] > 0;
    keyed *s = radix_sort(a, tmp, m);
    for (size_t j = 0; j < m; j++)
        nx += j == 0 || s[j].key != s[j - 1].key;
    if (nx <= 1 || ny <= 1)
        goto done; /* one label on either side: MI is 0 */
    /* mutual_info_score's sum over the nonzero cells of the contingency
     * table, one run of equal x at a time. */
    double total = (double)m, log_total = log(total);
    ksum mi = {0, 0};
    for (size_t j = 0; j < m;) {
        size_t e = j;
        while (e < m && s[e].key == s[j].key)
            nij[y[s[e++].row]]++;
        double pi = (double)(e - j);
        for (size_t r = j; r < e; r++) {
            int c = y[s[r].row];
            if (nij[c] == 0)
                continue; /* cell done */
            double nz = (double)nij[c], p = nz / total;
            double log_outer = -log(pi * (double)pj[c]) + log_total + log_total;
            double v = p * (log(nz) - log_total) + p * log_outer;
            if (fabs(v) >= DBL_EPSILON)
                ksum_add(&mi, v);
            nij[c] = 0;
        }
        j = e;
    }
    double v = ksum_get(&mi);
    *out = v > 0 ? v : 0;
done:
    free(pj);
    free(nij);
    free(a);
    free(tmp);
    return rc;
}

/* Population standard deviation, or 1 where scale() would find it zero. */
static double scale_of(const double *v, size_t n)
{
    ksum s = {0, 0};
    for (size_t i = 0; i < n; i++)
        ksum_add(&s, v[i]);
    double mean = ksum_get(&s) / (double)n;
    ksum q = {0, 0};
    for (size_t i = 0; i < n; i++)
        ksum_add(&q, (v[i] - mean) * (v[i] - mean));
    double sd = sqrt(ksum_get(&q) / (double)n);
    return sd < 10 * DBL_EPSILON ? 1.0 : sd;
}

/* Keeps best[0..*nb) the (at most k) smallest distances seen, ascending. */
static void keep_smallest(double *best, int *nb, int k, double d)
{
    int i;
    if (*nb < k)
        i = (*nb)++;
    else if (d < best[k - 1])
        i = k - 1;
    else
        return;
    while (i > 0 && best[i - 1] > d) {
        best[i] = best[i - 1];
        i--;
    }
    best[i] = d;
}

/* ---- a 2-d tree for the Chebyshev k nearest neighbours -------------------- */

typedef struct pt {
    double c[2]; /* x, y */
} pt;

enum { KD_LEAF = 12 };

static int cmp_pt_x(const void *a, const void *b)
{
    double u = ((const pt *)a)->c[0], w = ((const pt *)b)->c[0];
    return (u > w) - (u < w);
}

static int cmp_pt_y(const void *a, const void *b)
{
    double u = ((const pt *)a)->c[1], w = ((const pt *)b)->c[1];
    return (u > w) - (u < w);
}

/* Reorders p[lo, hi) so that p[k] holds the k-th smallest coordinate d,
 * no larger one before it and no smaller one after: quickselect with a
 * Hoare partition that stops on equal keys (ties split evenly), and a full
 * sort of the range should its depth run out. */
static void pt_select(pt *p, size_t lo, size_t hi, size_t k, int d, int depth)
{
    while (hi - lo > 2) {
        if (depth-- == 0) {
            qsort(p + lo, hi - lo, sizeof *p, d ? cmp_pt_y : cmp_pt_x);
            return;
        }
        size_t mid = lo + (hi - lo) / 2, last = hi - 1;
        pt t;
#define PT_SWAP(a, b) (t = p[a], p[a] = p[b], p[b] = t)
        if (p[mid].c[d] < p[lo].c[d])
            PT_SWAP(mid, lo);
        if (p[last].c[d] < p[mid].c[d]) {
            PT_SWAP(last, mid);
            if (p[mid].c[d] < p[lo].c[d])
                PT_SWAP(mid, lo);
        }
        PT_SWAP(mid, lo + 1);
        double pivot = p[lo + 1].c[d];
        size_t i = lo + 1, j = last;
        for (;;) {
            do
                i++;
            while (p[i].c[d] < pivot);
            do
                j--;
            while (p[j].c[d] > pivot);
            if (i >= j)
                break;
            PT_SWAP(i, j);
        }
        PT_SWAP(lo + 1, j);
#undef PT_SWAP
        if (j == k)
            return;
        if (k < j)
            hi = j;
        else
            lo = j + 1;
    }
    if (hi - lo == 2 && p[lo + 1].c[d] < p[lo].c[d]) {
        pt t = p[lo];
        p[lo] = p[lo + 1];
        p[lo + 1] = t;
    }
}

/* An implicit tree: the node over p[lo, hi) splits at its middle point on
 * coordinate d (x and y in turn), the halves are its children, and ranges
 * of KD_LEAF points or fewer are leaves. */
static void kd_build(pt *p, size_t lo, size_t hi, int d)
{
    while (hi - lo > KD_LEAF) {
        size_t mid = lo + (hi - lo) / 2;
        pt_select(p, lo, hi, mid, d, depth_limit(hi - lo));
        kd_build(p, lo, mid, !d);
        lo = mid + 1;
        d = !d;
    }
}

static inline double cheb(const pt *a, const pt *b)
{
    double dx = fabs(a->c[0] - b->c[0]), dy = fabs(a->c[1] - b->c[1]);
    return dx > dy ? dx : dy;
}

/* The k smallest Chebyshev distances from p[self] to the other points of
 * the node over p[lo, hi).  A far child is skipped when the query's
 * distance to the split, a lower bound on the distance to every point
 * beyond it, cannot improve the k-th best. */
static void kd_knn(const pt *p, size_t lo, size_t hi, int d, size_t self, double *best, int *nb,
                   int k)
{
    const pt *q = &p[self];
    while (hi - lo > KD_LEAF) {
        size_t mid = lo + (hi - lo) / 2;
        if (mid != self)
            keep_smallest(best, nb, k, cheb(q, &p[mid]));
        double diff = q->c[d] - p[mid].c[d];
        size_t nlo = lo, nhi = mid, flo = mid + 1, fhi = hi;
        if (diff >= 0) {
            nlo = mid + 1;
            nhi = hi;
            flo = lo;
            fhi = mid;
        }
        kd_knn(p, nlo, nhi, !d, self, best, nb, k);
        if (*nb == k && fabs(diff) >= best[k - 1])
            return;
        lo = flo;
        hi = fhi;
        d = !d;
    }
    for (size_t i = lo; i < hi; i++)
        if (i != self)
            keep_smallest(best, nb, k, cheb(q, &p[i]));
}

int fs_mutual_info_regression(const double *x, const double *y, size_t n, int k, double *out,
                              ml_error *err)
{
    *out = 0;
    if (k < 1)
        return ml_err(err, ML_EINVAL, "mutual information: k (%d) must be positive", k);
    int rc = ML_OK;
    size_t cap = n ? n : 1;
    double *xs = malloc(cap * sizeof *xs), *ys = malloc(cap * sizeof *ys);
    double *best = malloc((size_t)k * sizeof *best);
    pt *p = malloc(cap * sizeof *p);
    if (!xs || !ys || !best || !p) {
        rc = ml_err(err, ML_ENOMEM, "mutual information: out of memory for %zu rows", n);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            xs[m] = x[i];
            ys[m] = y[i];
            m++;
        }
    if (m <= (size_t)k)
        goto done; /* fewer than k neighbours: no estimate */
    /* scale(with_mean=False) on each side. */
    double sx = scale_of(xs, m), sy = scale_of(ys, m);
    for (size_t i = 0; i < m; i++) {
        p[i].c[0] = xs[i] /= sx;
        p[i].c[1] = ys[i] /= sy;
    }
    sort_doubles(xs, m);
    sort_doubles(ys, m);
    kd_build(p, 0, m, 0);
    ksum sum = {0, 0};
    for (size_t j = 0; j < m; j++) {
        int nb = 0;
        kd_knn(p, 0, m, 0, j, best, &nb, k);
        double radius = nextafter(best[k - 1], 0);
        ksum_add(&sum, digamma((double)count_within(xs, m, p[j].c[0], radius)));
        ksum_add(&sum, digamma((double)count_within(ys, m, p[j].c[1], radius)));
    }
    double mi = digamma((double)m) + digamma((double)k) - ksum_get(&sum) / (double)m;
    *out = mi > 0 ? mi : 0;
done:
    free(xs);
    free(ys);
    free(best);
    free(p);
    return rc;
}
