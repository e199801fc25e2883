/*
 * evaluate.h — a model's predictions scored against the truth: the bridge
 * between the model interface (what a model outputs) and the metrics (what
 * they take).  Used by `mloop eval`, the workflow's test and cross-
 * validation scores, and tuning.
 *
 * Contract
 *  - ev_scores predicts every row of an input frame (built with
 *    mdl_inputs) into the layout eval/metrics.h takes: binary P(class 1)
 *    with K = 1, multiclass n x K probabilities, regression values with
 *    K = 1.  The caller frees *out.
 */
#ifndef ML_EVAL_EVALUATE_H
#define ML_EVAL_EVALUATE_H

#include "core/error.h"
#include "models/model.h"

#include <stddef.h>

int ev_scores(const mdl_model *m, const mdl_frame *f, double **out, size_t *K, ml_error *err);

#endif
