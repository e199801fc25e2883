/*
 * model_report.h — the HTML report of a model's evaluation: what
 * ev_evaluate computed (metrics, curves, confusion matrix, residuals) with
 * what the model itself knows — its feature importance and, from the
 * artifact's metadata, its training's cross-validation folds and tuning
 * trials.  Shared by `mloop eval --report` and `mloop train --report`.
 */
#ifndef ML_EVAL_MODEL_REPORT_H
#define ML_EVAL_MODEL_REPORT_H

#include "eval/evaluate.h"

/* Writes the report atomically to path; data names the rows evaluated
 * (shown without a password). */
int ev_write_model_report(const mdl_model *m, const ev_eval *e, const char *title, const char *data,
                          const char *path, ml_error *err);

#endif
