/*
 * runner.h — runs a workflow's training: load the data → split it → fit the
 * feature pipeline on the training part only → train (selecting features
 * by importance when asked: fit, rank, refit) → evaluate on the held-out
 * part → a model carrying its pipeline and a summary of all of it.
 *
 * Contract
 *  - Nothing is written: the caller saves the model.  The summary (also the
 *    model's metadata) holds the data, the split, the pipeline's
 *    description, the parameters, the held-out metrics, importance and
 *    timings.
 *  - Errors found while running name the workflow's key and line where one
 *    is to blame ("workflow.yaml:9: features.columns.agee: ...").
 */
#ifndef ML_WORKFLOW_RUNNER_H
#define ML_WORKFLOW_RUNNER_H

#include "models/model.h"
#include "workflow/spec.h"

#include <jansson.h>

typedef struct wf_hooks {
    gbdt_progress_fn progress; /* per boosting round; may be NULL */
    void *progress_ctx;
    void (*stage)(void *ctx, const char *what); /* "reading", "fitting the pipeline", ... */
    void *stage_ctx;
} wf_hooks;

/* The test rows' truth and the final model's predictions of them, in the
 * metrics' layout (eval/evaluate.h ev_scores), for a report.  The caller
 * frees y and pred. */
typedef struct wf_test_rows {
    double *y, *pred;
    size_t n, K;
} wf_test_rows;

/* test may be NULL. */
int wf_train(const wf_spec *spec, const wf_hooks *hooks, mdl_model **model, json_t **summary,
             wf_test_rows *test, ml_error *err);

#endif
