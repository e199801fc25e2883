/*
 * gbdt.h — histogram gradient boosting: parameters, training with early
 * stopping, prediction and serialization.
 *
 * Contract
 *  - gbdt_train learns from a frame (frame.h) and targets; a validation
 *    frame (optional) is scored after every round for the progress report
 *    and early stopping, which keeps the best round's trees.
 *  - Given the same data, parameters and seed, the model is identical
 *    whatever the thread count (exact integer histogram sums; per-row work
 *    only otherwise).
 *  - gbdt_predict writes noutputs per row: the positive class probability
 *    (binary), class probabilities (multiclass) or the prediction.
 *  - train_scores (optional) receives the raw training scores accumulated
 *    during training: a test checks predict reproduces them bit for bit.
 */
#ifndef ML_MODELS_GBDT_GBDT_H
#define ML_MODELS_GBDT_GBDT_H

#include "core/buf.h"
#include "models/frame.h"
#include "models/gbdt/objective.h"
#include "models/params.h"
#include "models/tree.h"

typedef struct gbdt_params {
    int objective; /* obj_id; -1 = from the task */
    double alpha;
    int n_estimators;
    double learning_rate;
    int num_leaves, max_depth, min_data_in_leaf;
    double min_sum_hessian_in_leaf, lambda_l1, lambda_l2, min_gain_to_split, max_delta_step;
    double feature_fraction, feature_fraction_bynode, bagging_fraction;
    int bagging_freq;
    int seed;
    double scale_pos_weight;
    int class_weight; /* 0 none, 1 balanced */
    const char *monotone_constraints;
    int max_bin, max_cat_to_onehot, max_cat_threshold;
    double cat_smooth, cat_l2;
    int min_data_per_group;
    int early_stopping;
    const char *metric;
    int bin_sample_rows;
} gbdt_params;

extern const param_spec gbdt_param_specs[];
extern const size_t gbdt_param_count;
void gbdt_default_params(gbdt_params *p);

/* Called after each round with the round (1-based) and the validation
 * metric (NaN without validation data). */
typedef void (*gbdt_progress_fn)(void *ctx, int round, int rounds, const char *metric,
                                 double valid_value);

typedef struct gbdt_train_input {
    const mdl_schema *schema;
    const mdl_frame *train;
    const double *y, *w;
    const mdl_frame *valid; /* or NULL */
    const double *valid_y, *valid_w;
    gbdt_progress_fn progress;
    void *progress_ctx;
    double *train_scores; /* optional: nrows * noutputs raw scores */
} gbdt_train_input;

typedef struct gbdt_model {
    obj_id objective;
    double alpha;
    ens_ensemble *ens;
    size_t rounds, best_round;
    char metric[32];
    double best_valid; /* NaN without validation data */
    double *split_gain;
    uint64_t *split_count;
} gbdt_model;

int gbdt_train(const gbdt_train_input *in, const gbdt_params *p, gbdt_model **out, ml_error *err);
void gbdt_free(gbdt_model *m);
size_t gbdt_noutputs(const gbdt_model *m);
void gbdt_predict_rows(const gbdt_model *m, const double *rows, size_t nrows, double *out);
void gbdt_write(const gbdt_model *m, ml_wbuf *w);
int gbdt_read(ml_rbuf *r, const mdl_schema *s, gbdt_model **out, ml_error *err);

/* Parses "1,0,-1" (one per input) or "name:1,name2:-1" into dirs. */
int gbdt_parse_monotone(const char *text, const mdl_schema *s, int8_t *dirs, ml_error *err);

#endif
