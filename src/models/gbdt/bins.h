/*
 * bins.h — features discretised to uint8 bins for histogram tree learning.
 *
 * Contract
 *  - Bin 0 of every feature holds missing values (and, for categorical
 *    features, categories too rare to get a bin of their own or unseen in
 *    training); bins 1..nbins hold values.
 *  - Numeric: bin b (1-based) holds values in (upper[b-2], upper[b-1]];
 *    upper[nbins-1] is +inf.  So "bin <= t" is exactly "x <= upper[t-1]",
 *    which is why a tree learned on bins predicts identically on raw values.
 *    Bounds come from quantiles of a deterministic sample of rows.
 *  - Categorical: the max_bin most frequent categories get bins 1.. in
 *    order of decreasing frequency; code_bin maps every training code.
 *  - bins_apply lays bins out row-major (row r's features are contiguous),
 *    the order histogram construction reads them in, and column-major, the
 *    order a split reads one feature of a leaf's (ascending) rows in.
 */
#ifndef ML_MODELS_GBDT_BINS_H
#define ML_MODELS_GBDT_BINS_H

#include "core/error.h"
#include "models/frame.h"

#include <stdint.h>

#define BINS_MAX 255

typedef struct bin_mapper {
    bool categorical;
    int nbins;
    double *upper;     /* numeric: nbins bounds */
    uint8_t *code_bin; /* categorical: ncodes entries */
    size_t ncodes;
} bin_mapper;

typedef struct binned {
    size_t nrows, nfeatures;
    uint8_t *bins;   /* nrows * nfeatures, row-major: histogram construction */
    uint8_t *by_col; /* nfeatures * nrows, column-major: partitioning rows on a split */
} binned;

/* Fits one mapper per input.  max_bin in [2, 255]; sample_rows bounds the
 * rows used for numeric quantiles. */
int bins_fit(const mdl_schema *s, const mdl_frame *f, int max_bin, size_t sample_rows,
             uint64_t seed, bin_mapper **out, ml_error *err);
void bins_free_mappers(bin_mapper *m, size_t nfeatures);

/* Bin of one value (NaN → 0). */
uint8_t bins_value(const bin_mapper *m, double x);

int bins_apply(const bin_mapper *m, const mdl_frame *f, binned *out, ml_error *err);
void binned_free(binned *b);

#endif
