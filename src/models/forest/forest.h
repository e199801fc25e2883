/*
 * forest.h — random forests on the histogram tree learner: each tree sees a
 * bootstrap sample of the rows and a random share of the inputs at every
 * split; predictions average the trees.
 *
 * Contract
 *  - Regression leaves hold the mean target of their bootstrap rows.
 *  - Classification leaves hold class frequencies: binary forests grow one
 *    tree per round on the positive indicator; multiclass forests grow one
 *    tree per class per round on that class's indicator (one-vs-rest), and
 *    predictions are the averaged frequencies normalised to sum to 1.
 *  - Deterministic for a seed, whatever the thread count.
 */
#ifndef ML_MODELS_FOREST_FOREST_H
#define ML_MODELS_FOREST_FOREST_H

#include "core/buf.h"
#include "models/frame.h"
#include "models/params.h"
#include "models/tree.h"

typedef struct forest_params {
    int n_estimators, num_leaves, max_depth, min_data_in_leaf, max_bin, seed;
    double feature_fraction_bynode; /* 0 = sqrt(inputs)/inputs for classification, 1 otherwise */
    double bagging_fraction;        /* bootstrap sample size as a share of the rows */
    bool bootstrap;
} forest_params;

extern const param_spec forest_param_specs[];
extern const size_t forest_param_count;
void forest_default_params(forest_params *p);

typedef struct forest_model {
    mdl_task task;
    ens_ensemble *ens;
    double *split_gain;
    uint64_t *split_count;
} forest_model;

int forest_train(const mdl_schema *s, const mdl_frame *X, const double *y, const double *w,
                 const forest_params *p, forest_model **out, ml_error *err);
void forest_free(forest_model *m);
/* Outputs: 1 per row for binary (positive probability) and regression, K
 * for multiclass. */
void forest_predict_rows(const forest_model *m, const double *rows, size_t nrows, double *out);
void forest_write(const forest_model *m, ml_wbuf *w);
int forest_read(ml_rbuf *r, const mdl_schema *s, forest_model **out, ml_error *err);

#endif
