/*
 * learner.h — the histogram tree learner shared by gradient boosting and
 * random forests: grows one tree, leaf by leaf, on binned rows and their
 * gradient pairs, and appends it to an ensemble.
 *
 * Contract
 *  - Gradients arrive quantised and packed: one int64 per row holding
 *    g * 2^32 + h (h >= 0), with scales (g_real = g * gscale).  The levels
 *    are bounded (learner_levels) so that the sums of any set of rows still
 *    fit each half, so a histogram slot is one 64-bit add per row and
 *    feature, sums are exact, and a tree depends on the data and the seed,
 *    never on the thread count or the order rows are added in.
 *  - Growth is leaf-wise (best gain first) up to num_leaves, bounded by
 *    max_depth (0 = none); histograms are built for the smaller child and
 *    the larger one is the parent minus it.
 *  - After learner_grow, leaf l covers the rows idx[leaf_begin[l] ..
 *    leaf_end[l]) of learner_rows(), and leaf_value[l] is its raw output
 *    (before any learning rate); the caller scales the values and then calls
 *    learner_emit to append the tree to an ensemble.
 */
#ifndef ML_MODELS_GBDT_LEARNER_H
#define ML_MODELS_GBDT_LEARNER_H

#include "core/error.h"
#include "core/rng.h"
#include "models/gbdt/bins.h"
#include "models/tree.h"

#include <stdint.h>

typedef int64_t gpair;

static inline gpair gpair_pack(int32_t g, uint32_t h)
{
    return (gpair)((uint64_t)(int64_t)g << 32) + (gpair)h;
}

/* Largest |g| and h levels for nrows rows: nrows * levels fits 31 bits. */
void learner_levels(size_t nrows, double *g_levels, double *h_levels);

typedef struct tree_params {
    int num_leaves;
    int max_depth; /* 0 = unlimited */
    int min_data_in_leaf;
    double min_sum_hessian_in_leaf;
    double lambda_l1, lambda_l2;
    double min_gain_to_split;
    double max_delta_step; /* 0 = none */
    int max_cat_to_onehot;
    int max_cat_threshold;
    double cat_smooth;
    int min_data_per_group;         /* many-vs-many: categories with fewer rows stay out */
    double cat_l2;                  /* many-vs-many: extra L2 while choosing the split */
    double feature_fraction_bynode; /* 1 = every feature at every node */
    const int8_t *monotone;         /* per feature -1/0/+1, or NULL */
} tree_params;

typedef struct learner learner;

int learner_create(const binned *data, const bin_mapper *mappers, const tree_params *p,
                   learner **out, ml_error *err);
void learner_free(learner *L);

/* Grows a tree on rows[0..nrows) (NULL = every row) with gradients g.
 * feature_mask (NULL = all) excludes features for the whole tree. */
int learner_grow(learner *L, const gpair *g, double gscale, double hscale, const uint32_t *rows,
                 size_t nrows, const uint8_t *feature_mask, ml_rng *rng, ml_error *err);

size_t learner_num_leaves(const learner *L);
const uint32_t *learner_rows(const learner *L);
void learner_leaf_range(const learner *L, size_t leaf, size_t *begin, size_t *end);
/* Raw leaf outputs, writable so the caller can scale or refit them. */
double *learner_leaf_values(learner *L);

/* Replaces each leaf's value by the one its rows' exact gradients give
 * (the split search used the quantised ones), within the leaf's bounds. */
void learner_refit_exact(learner *L, const double *g, const double *h);

/* Appends the last grown tree to e. */
int learner_emit(const learner *L, ens_ensemble *e, ml_error *err);

/* Per-feature split counts and total gains over every tree grown so far. */
const double *learner_split_gain(const learner *L);
const uint64_t *learner_split_count(const learner *L);

#endif
