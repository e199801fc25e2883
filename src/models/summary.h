/*
 * summary.h — what `mloop train` reports about a trained model, as JSON:
 * the held-out metrics of its task, the inputs ranked by importance and a
 * linear model's coefficients.  Shared by the flag-driven and the workflow
 * forms of train, which store it in the artifact's metadata.
 */
#ifndef ML_MODELS_SUMMARY_H
#define ML_MODELS_SUMMARY_H

#include "models/model.h"

#include <jansson.h>

/* The task's metrics (binary: auc, logloss, error; multiclass:
 * multi_logloss, multi_error; regression: rmse, mae, r2) of m's
 * predictions for an input frame against y; NULL with err set on failure. */
json_t *mdl_summary_metrics(const mdl_model *m, const mdl_frame *f, const double *y, ml_error *err);

/* Features by total gain, largest first: [{input, gain, splits}]; empty for
 * linear models. */
json_t *mdl_summary_importance(const mdl_model *m);

/* Linear models: intercept and coefficients per output on the original
 * scale of the features ("plan=gold" for a category's one-hot term). */
json_t *mdl_summary_coefficients(const mdl_model *m);

#endif
