/*
 * evaluate.c — model predictions in the metrics' layout (evaluate.h).
 */
#include "eval/evaluate.h"

#include <stdlib.h>

int ev_scores(const mdl_model *m, const mdl_frame *f, double **out, size_t *K, ml_error *err)
{
    size_t n = f->nrows, k = m->noutputs;
    double *pred = malloc((n ? n : 1) * k * sizeof *pred);
    *out = NULL;
    if (!pred)
        return ml_err(err, ML_ENOMEM, "out of memory scoring %zu rows", n);
    int rc = mdl_predict_frame(m, f, pred, err);
    if (rc) {
        free(pred);
        return rc;
    }
    if (m->schema->task == MDL_TASK_BINARY) { /* p_<first>, p_<second>: keep the second */
        for (size_t i = 0; i < n; i++)
            pred[i] = pred[2 * i + 1];
        k = 1;
    }
    *out = pred;
    *K = k;
    return ML_OK;
}
