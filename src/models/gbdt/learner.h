/*
 * learner.h — the histogram tree learner shared by gradient boosting and
 * random forests: grows one tree, leaf by leaf, on binned rows and their
 * gradient pairs, and appends it to an ensemble.
 *
 * Contract
 *  - Gradients arrive quantised: int32 g and h per row with scales
 *    (g_real = g * gscale).  Histograms sum them in int64, so every sum is
 *    exact and independent of the order rows are added in: a tree depends
 *    on the data and the seed, never on the thread count.
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

typedef struct gpair {
    int32_t g, h;
} gpair;

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
    int min_data_per_group; /* many-vs-many: categories with fewer rows stay out */
    double cat_l2;          /* many-vs-many: extra L2 while choosing the split */
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

/* Appends the last grown tree to e. */
int learner_emit(const learner *L, ens_ensemble *e, ml_error *err);

/* Per-feature split counts and total gains over every tree grown so far. */
const double *learner_split_gain(const learner *L);
const uint64_t *learner_split_count(const learner *L);

#endif
