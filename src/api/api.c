/*
 * api.c — the public C API (include/mloop.h) over the internal model
 * interface.  A handle wraps an immutable mdl_model; predict never writes to
 * it, which is what makes one handle safe to share between threads.
 */
#include "mloop.h"

#include "core/error.h"
#include "models/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mloop_model {
    mdl_model *model;
};

mloop_status mloop_model_load(const char *path, mloop_model **out, mloop_error *err)
{
    if (!out)
        return (mloop_status)ml_err(err, ML_EINVAL, "mloop_model_load: out is NULL");
    *out = NULL;
    if (!path)
        return (mloop_status)ml_err(err, ML_EINVAL, "mloop_model_load: path is NULL");
    mloop_model *h = calloc(1, sizeof *h);
    if (!h)
        return (mloop_status)ml_err(err, ML_ENOMEM, "out of memory");
    int rc = mdl_load(path, &h->model, err);
    if (rc) {
        free(h);
        return (mloop_status)rc;
    }
    *out = h;
    return MLOOP_OK;
}

void mloop_model_free(mloop_model *model)
{
    if (!model)
        return;
    mdl_free(model->model);
    free(model);
}

const char *mloop_model_task(const mloop_model *model)
{
    return mdl_task_name(model->model->schema->task);
}

size_t mloop_model_num_inputs(const mloop_model *model)
{
    return mdl_inputs(model->model)->nfeatures;
}

static const mdl_feature *input(const mloop_model *model, size_t i)
{
    const mdl_schema *s = mdl_inputs(model->model);
    return i < s->nfeatures ? &s->features[i] : NULL;
}

const char *mloop_model_input_name(const mloop_model *model, size_t i)
{
    const mdl_feature *f = input(model, i);
    return f ? f->name : NULL;
}

mloop_input_type mloop_model_input_type(const mloop_model *model, size_t i)
{
    const mdl_feature *f = input(model, i);
    return f && f->categorical ? MLOOP_INPUT_CATEGORICAL : MLOOP_INPUT_NUMERIC;
}

size_t mloop_model_input_num_categories(const mloop_model *model, size_t i)
{
    const mdl_feature *f = input(model, i);
    return f && f->categorical ? tbl_dict_size(f->categories) : 0;
}

const char *mloop_model_input_category(const mloop_model *model, size_t i, size_t code)
{
    const mdl_feature *f = input(model, i);
    if (!f || !f->categorical || code >= tbl_dict_size(f->categories))
        return NULL;
    return tbl_dict_get(f->categories, (int32_t)code, NULL);
}

double mloop_model_category_code(const mloop_model *model, size_t i, const char *category)
{
    const mdl_feature *f = input(model, i);
    if (!f || !f->categorical || !category)
        return MDL_UNSEEN;
    int32_t code = tbl_dict_find(f->categories, category, strlen(category));
    return code < 0 ? MDL_UNSEEN : code;
}

size_t mloop_model_num_outputs(const mloop_model *model)
{
    return model->model->noutputs;
}

const char *mloop_model_output_name(const mloop_model *model, size_t output)
{
    return output < model->model->noutputs ? model->model->output_names[output] : NULL;
}

mloop_status mloop_predict(const mloop_model *model, const double *rows, size_t nrows, double *out,
                           mloop_error *err)
{
    if (!model || (!rows && nrows) || (!out && nrows))
        return (mloop_status)ml_err(err, ML_EINVAL, "mloop_predict: NULL argument");
    mdl_predict_rows(model->model, rows, nrows, out);
    return MLOOP_OK;
}

mloop_status mloop_predict_columns(const mloop_model *model, const mloop_column *columns,
                                   size_t ncolumns, size_t nrows, double *out, mloop_error *err)
{
    if (!model || (!columns && ncolumns) || (!out && nrows))
        return (mloop_status)ml_err(err, ML_EINVAL, "mloop_predict_columns: NULL argument");
    const mdl_schema *s = mdl_inputs(model->model);
    size_t nf = s->nfeatures;
    const mloop_column **by_input = calloc(nf ? nf : 1, sizeof *by_input);
    if (!by_input)
        return (mloop_status)ml_err(err, ML_ENOMEM, "out of memory");
    int rc = ML_OK;
    for (size_t j = 0; j < nf && !rc; j++) {
        for (size_t c = 0; c < ncolumns; c++)
            if (columns[c].name && strcmp(columns[c].name, s->features[j].name) == 0)
                by_input[j] = &columns[c];
        const mloop_column *col = by_input[j];
        if (!col)
            rc = ml_err(err, ML_EINVAL, "input column '%s' that the model needs is missing",
                        s->features[j].name);
        else if (col->strings && !s->features[j].categorical)
            rc = ml_err(err, ML_EINVAL, "input column '%s' is numeric; pass numbers",
                        s->features[j].name);
        else if (!col->strings && !col->numbers && nrows)
            rc = ml_err(err, ML_EINVAL, "input column '%s' has no values", s->features[j].name);
    }
    enum { BLOCK = 256 };
    double *buf = rc ? NULL : malloc(BLOCK * (nf ? nf : 1) * sizeof *buf);
    if (!rc && !buf)
        rc = ml_err(err, ML_ENOMEM, "out of memory");
    for (size_t b = 0; !rc && b < nrows; b += BLOCK) {
        size_t n = nrows - b < BLOCK ? nrows - b : BLOCK;
        for (size_t j = 0; j < nf; j++) {
            const mloop_column *col = by_input[j];
            for (size_t i = 0; i < n; i++) {
                double v;
                if (col->strings) {
                    const char *str = col->strings[b + i];
                    v = str ? mloop_model_category_code(model, j, str) : NAN;
                } else {
                    v = col->numbers[b + i];
                }
                buf[i * nf + j] = v;
            }
        }
        mdl_predict_rows(model->model, buf, n, out + b * model->model->noutputs);
    }
    free(buf);
    free(by_input);
    return (mloop_status)rc;
}
