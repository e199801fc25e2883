/*
 * bins.c — quantile binning (see bins.h).
 *
 * Numeric bounds are cut on the sorted distinct values of a sample: when a
 * feature has at most max_bin distinct values each gets its own bin (bounds
 * halfway between neighbours); otherwise bins are filled greedily towards
 * an equal share of the remaining rows, never splitting one value across
 * bins.  The sample is every row up to sample_rows, else a seeded random
 * subset, so the bounds depend on the seed alone.
 */
#include "models/gbdt/bins.h"

#include "core/rng.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A bound between two neighbouring distinct values a < b, so that a is
 * below or on it and b above it. */
static double bound_between(double a, double b)
{
    double mid = a + (b - a) / 2;
    if (!(mid >= a && mid < b))
        mid = a;
    return mid;
}

/* The distinct values of v (finite) into out, when there are at most max
 * of them; returns their count, or 0 when there are more.  A column with
 * few values (a flag, a one-hot column, a small count) then needs no sort
 * of all its rows: only its distinct values decide its bins. */
static size_t few_distinct(const double *v, size_t n, size_t max, double *out)
{
    enum { SLOTS = 1024 }; /* a power of two above 2 * BINS_MAX */
    double table[SLOTS];
    bool used[SLOTS] = {false};
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        double x = v[i] + 0.0; /* -0.0 and 0.0 are one value */
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        size_t h = (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 54);
        while (used[h] && table[h] != x)
            h = (h + 1) & (SLOTS - 1);
        if (used[h])
            continue;
        if (nd == max)
            return 0;
        used[h] = true;
        table[h] = x;
        out[nd++] = x;
    }
    return nd;
}

static int fit_numeric(bin_mapper *m, double *values, size_t n, int max_bin, ml_error *err)
{
    double distinct[BINS_MAX];
    size_t few = few_distinct(values, n, (size_t)max_bin, distinct);
    if (few) { /* the same bounds the full sort gives, from the distinct values alone */
        qsort(distinct, few, sizeof *distinct, compare_doubles);
        if (!(m->upper = malloc((size_t)max_bin * sizeof *m->upper)))
            return ml_err(err, ML_ENOMEM, "out of memory binning features");
        int nb = 0;
        for (size_t i = 0; i + 1 < few; i++)
            m->upper[nb++] = bound_between(distinct[i], distinct[i + 1]);
        m->upper[nb++] = INFINITY;
        m->nbins = nb;
        return ML_OK;
    }
    qsort(values, n, sizeof *values, compare_doubles);
    /* Distinct values with their counts, in place. */
    size_t nd = 0;
    size_t *counts = malloc((n ? n : 1) * sizeof *counts);
    if (!counts)
        return ml_err(err, ML_ENOMEM, "out of memory binning features");
    for (size_t i = 0; i < n; i++) {
        if (nd && values[nd - 1] == values[i]) {
            counts[nd - 1]++;
            continue;
        }
        values[nd] = values[i];
        counts[nd++] = 1;
    }
    m->upper = malloc((size_t)max_bin * sizeof *m->upper);
    if (!m->upper) {
        free(counts);
        return ml_err(err, ML_ENOMEM, "out of memory binning features");
    }
    int nb = 0;
    if (nd <= (size_t)max_bin) {
        for (size_t i = 0; i + 1 < nd; i++)
            m->upper[nb++] = bound_between(values[i], values[i + 1]);
    } else {
        size_t remaining = n, acc = 0;
        int bins_left = max_bin;
        for (size_t i = 0; i + 1 < nd && bins_left > 1; i++) {
            acc += counts[i];
            double share = (double)remaining / bins_left;
            /* Cut when this bin has its share, or when the values left are
             * as few as the bins left. */
            if ((double)acc >= share || nd - 1 - i <= (size_t)(bins_left - 1)) {
                m->upper[nb++] = bound_between(values[i], values[i + 1]);
                remaining -= acc;
                acc = 0;
                bins_left--;
            }
        }
    }
    m->upper[nb++] = INFINITY;
    m->nbins = nb;
    free(counts);
    return ML_OK;
}

typedef struct code_count {
    size_t count;
    size_t code;
} code_count;

static int compare_code_counts(const void *a, const void *b)
{
    const code_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->code > y->code) - (x->code < y->code);
}

static int fit_categorical(bin_mapper *m, const double *col, size_t n, size_t ncodes, int max_bin,
                           ml_error *err)
{
    code_count *cc = calloc(ncodes ? ncodes : 1, sizeof *cc);
    m->code_bin = calloc(ncodes ? ncodes : 1, 1);
    if (!cc || !m->code_bin) {
        free(cc);
        return ml_err(err, ML_ENOMEM, "out of memory binning categories");
    }
    m->ncodes = ncodes;
    for (size_t k = 0; k < ncodes; k++)
        cc[k].code = k;
    for (size_t r = 0; r < n; r++) {
        double x = col[r];
        if (x >= 0 && x < (double)ncodes)
            cc[(size_t)x].count++;
    }
    qsort(cc, ncodes, sizeof *cc, compare_code_counts);
    int nb = 0;
    for (size_t k = 0; k < ncodes && nb < max_bin && cc[k].count > 0; k++)
        m->code_bin[cc[k].code] = (uint8_t)++nb;
    m->nbins = nb;
    free(cc);
    return ML_OK;
}

void bins_free_mappers(bin_mapper *m, size_t nfeatures)
{
    if (!m)
        return;
    for (size_t j = 0; j < nfeatures; j++) {
        free(m[j].upper);
        free(m[j].code_bin);
    }
    free(m);
}

int bins_fit(const mdl_schema *s, const mdl_frame *f, int max_bin, size_t sample_rows,
             uint64_t seed, bin_mapper **out, ml_error *err)
{
    *out = NULL;
    if (max_bin < 2 || max_bin > BINS_MAX)
        return ml_err(err, ML_EINVAL, "max_bin must be between 2 and %d", BINS_MAX);
    size_t n = f->nrows, ns = n <= sample_rows ? n : sample_rows;
    bin_mapper *m = calloc(f->ncols ? f->ncols : 1, sizeof *m);
    size_t *sample = malloc((ns ? ns : 1) * sizeof *sample);
    int rc = ML_OK;
    if (!m || !sample) {
        free(sample);
        free(m);
        return ml_err(err, ML_ENOMEM, "out of memory binning features");
    }
    if (ns == n) {
        for (size_t i = 0; i < n; i++)
            sample[i] = i;
    } else { /* drawn with replacement: quantiles need no more */
        ml_rng rng;
        ml_rng_seed(&rng, seed ^ 0x9e3779b97f4a7c15ull);
        for (size_t i = 0; i < ns; i++)
            sample[i] = (size_t)ml_rng_below(&rng, n);
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t j = 0; j < f->ncols; j++) {
        ml_error local = {0};
        int frc;
        if (s->features[j].categorical) {
            frc = fit_categorical(&m[j], f->cols[j], n, tbl_dict_size(s->features[j].categories),
                                  max_bin, &local);
            m[j].categorical = true;
        } else {
            double *values = malloc((ns ? ns : 1) * sizeof *values);
            size_t nv = 0;
            if (!values) {
                frc = ml_err(&local, ML_ENOMEM, "out of memory binning features");
            } else {
                for (size_t i = 0; i < ns; i++) {
                    double x = f->cols[j][sample[i]];
                    if (!isnan(x))
                        values[nv++] = x;
                }
                frc = fit_numeric(&m[j], values, nv, max_bin, &local);
                free(values);
            }
        }
        if (frc) {
#pragma omp critical
            if (!rc) {
                rc = frc;
                if (err)
                    *err = local;
            }
        }
    }
    free(sample);
    if (rc) {
        bins_free_mappers(m, f->ncols);
        return rc;
    }
    *out = m;
    return ML_OK;
}

uint8_t bins_value(const bin_mapper *m, double x)
{
    if (m->categorical) {
        if (x >= 0 && x < (double)m->ncodes)
            return m->code_bin[(size_t)x];
        return 0;
    }
    if (isnan(x))
        return 0;
    /* Lower bound: the first b with x <= upper[b]; the last bound is +inf. */
    int lo = 0, hi = m->nbins - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x <= m->upper[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint8_t)(lo + 1);
}

int bins_apply(const bin_mapper *m, const mdl_frame *f, binned *out, ml_error *err)
{
    size_t n = f->nrows, nf = f->ncols;
    out->nrows = n;
    out->nfeatures = nf;
    out->bins = malloc(n * nf > 0 ? n * nf : 1);
    out->by_col = malloc(n * nf > 0 ? n * nf : 1);
    if (!out->bins || !out->by_col) {
        binned_free(out);
        return ml_err(err, ML_ENOMEM, "out of memory binning %zu rows", n);
    }
    enum { BLOCK = 4096 };
    size_t nblocks = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblocks; blk++) {
        size_t end = (blk + 1) * BLOCK < n ? (blk + 1) * BLOCK : n;
        for (size_t j = 0; j < nf; j++) {
            const double *col = f->cols[j];
            uint8_t *by_col = out->by_col + j * n;
            for (size_t r = blk * BLOCK; r < end; r++)
                out->bins[r * nf + j] = by_col[r] = bins_value(&m[j], col[r]);
        }
    }
    return ML_OK;
}

void binned_free(binned *b)
{
    free(b->bins);
    free(b->by_col);
    memset(b, 0, sizeof *b);
}
