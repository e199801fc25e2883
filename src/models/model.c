/*
 * model.c — dispatch over model kinds, output naming and the artifact
 * sections (see model.h).  The artifact holds three sections: the schema,
 * the model (a kind byte, then the kind's own encoding) and the metadata
 * JSON; the container (artifact.c) adds compression and checksums.
 */
#include "models/model.h"

#include "models/artifact.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"gbdt", "linear", "forest"};
enum { KIND_COUNT = 3, METADATA_MAX = 64 << 20 };

const char *mdl_kind_name(mdl_kind kind)
{
    return (unsigned)kind < KIND_COUNT ? kind_names[kind] : "unknown";
}

int mdl_kind_parse(const char *name, mdl_kind *out, ml_error *err)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (mdl_kind)k;
            return ML_OK;
        }
    return ml_err(err, ML_EINVAL, "unknown model '%s' (choose gbdt, linear or forest)", name);
}

const param_spec *mdl_param_specs(mdl_kind kind, size_t *count)
{
    switch (kind) {
    case MDL_KIND_GBDT:
        *count = gbdt_param_count;
        return gbdt_param_specs;
    case MDL_KIND_LINEAR:
        *count = lin_param_count;
        return lin_param_specs;
    case MDL_KIND_FOREST:
        *count = forest_param_count;
        return forest_param_specs;
    }
    *count = 0;
    return NULL;
}

int mdl_check_params(mdl_kind kind, const param_kv *kv, size_t nkv, ml_error *err)
{
    size_t n;
    const param_spec *specs = mdl_param_specs(kind, &n);
    switch (kind) {
    case MDL_KIND_GBDT: {
        gbdt_params p;
        gbdt_default_params(&p);
        return params_apply(specs, n, kv, nkv, &p, err);
    }
    case MDL_KIND_FOREST: {
        forest_params p;
        forest_default_params(&p);
        return params_apply(specs, n, kv, nkv, &p, err);
    }
    case MDL_KIND_LINEAR:
        break;
    }
    /* Linear parameters are checked by lin_fit itself; apply them to a
     * scratch area large enough for its parameter struct. */
    for (size_t i = 0; i < nkv; i++)
        if (!params_find(specs, n, kv[i].key)) {
            const char *close = params_closest(specs, n, kv[i].key);
            if (close)
                return ml_err(err, ML_EINVAL, "unknown parameter '%s' (did you mean '%s'?)",
                              kv[i].key, close);
            return ml_err(err, ML_EINVAL, "unknown parameter '%s' for a linear model", kv[i].key);
        }
    return ML_OK;
}

void mdl_free(mdl_model *m)
{
    if (!m)
        return;
    gbdt_free(m->gbdt);
    lin_free(m->linear); /* borrows the schema: free it first */
    fp_free(m->pipeline);
    forest_free(m->forest);
    schema_free(m->schema);
    free(m->metadata);
    for (size_t k = 0; k < m->noutputs && m->output_names; k++)
        free(m->output_names[k]);
    free(m->output_names);
    free(m);
}

static int name_outputs(mdl_model *m, ml_error *err)
{
    const mdl_schema *s = m->schema;
    m->noutputs = mdl_task_is_classification(s->task) ? s->nclasses : 1;
    if (!(m->output_names = calloc(m->noutputs, sizeof *m->output_names)))
        return ml_err(err, ML_ENOMEM, "out of memory");
    for (size_t k = 0; k < m->noutputs; k++) {
        int n = mdl_task_is_classification(s->task)
                    ? asprintf(&m->output_names[k], "p_%s", s->classes[k])
                    : asprintf(&m->output_names[k], "prediction");
        if (n < 0) {
            m->output_names[k] = NULL;
            return ml_err(err, ML_ENOMEM, "out of memory");
        }
    }
    return ML_OK;
}

void mdl_set_metadata(mdl_model *m, char *json)
{
    free(m->metadata);
    m->metadata = json;
}

size_t mdl_predicted_class(const mdl_model *m, const double *prob)
{
    if (m->noutputs == 2 && m->threshold == m->threshold) /* binary with a threshold */
        return prob[1] >= m->threshold ? 1 : 0;
    size_t best = 0;
    for (size_t k = 1; k < m->noutputs; k++)
        if (prob[k] > prob[best])
            best = k;
    return best;
}

/* The decision threshold of a binary model's metadata: absent is none; any
 * other value than a probability is a damaged artifact. */
static int read_threshold(mdl_model *m, ml_error *err)
{
    json_t *meta = json_loads(m->metadata, 0, NULL);
    const json_t *t = meta ? json_object_get(meta, "decision_threshold") : NULL;
    int rc = ML_OK;
    if (t) {
        double v = json_is_number(t) ? json_number_value(t) : NAN;
        if (!(v >= 0 && v <= 1) || m->schema->task != MDL_TASK_BINARY)
            rc = ml_err(err, ML_EFORMAT,
                        "the metadata's decision_threshold is not a probability of a binary "
                        "model");
        else
            m->threshold = v;
    }
    json_decref(meta);
    return rc;
}

int mdl_train(mdl_schema *schema, const mdl_frame *train, const double *y, const double *w,
              const mdl_frame *valid, const double *valid_y, const mdl_train_spec *spec,
              mdl_model **out, ml_error *err)
{
    *out = NULL;
    mdl_model *m = calloc(1, sizeof *m);
    if (!m) {
        schema_free(schema);
        return ml_err(err, ML_ENOMEM, "out of memory");
    }
    m->schema = schema;
    m->kind = spec->kind;
    m->threshold = NAN;
    size_t nspecs;
    const param_spec *specs = mdl_param_specs(spec->kind, &nspecs);
    int rc = name_outputs(m, err);
    if (rc)
        goto fail;
    switch (spec->kind) {
    case MDL_KIND_GBDT: {
        gbdt_params p;
        gbdt_default_params(&p);
        if ((rc = params_apply(specs, nspecs, spec->params, spec->nparams, &p, err)))
            goto fail;
        gbdt_train_input in = {
            .schema = schema,
            .train = train,
            .y = y,
            .w = w,
            .valid = valid,
            .valid_y = valid_y,
            .progress = spec->progress,
            .progress_ctx = spec->progress_ctx,
            .train_scores = spec->train_scores,
        };
        rc = gbdt_train(&in, &p, &m->gbdt, err);
        break;
    }
    case MDL_KIND_FOREST: {
        forest_params p;
        forest_default_params(&p);
        if ((rc = params_apply(specs, nspecs, spec->params, spec->nparams, &p, err)))
            goto fail;
        rc = forest_train(schema, train, y, w, &p, &m->forest, err);
        break;
    }
    case MDL_KIND_LINEAR:
        rc = lin_fit(schema, train, y, w, spec->params, spec->nparams, 0, &m->linear, err);
        break;
    }
    if (rc)
        goto fail;
    *out = m;
    return ML_OK;
fail:
    mdl_free(m);
    return rc;
}

/* Binary models compute the positive probability; the caller sees both
 * classes.  Expands in place from the back so no buffer is needed. */
static void expand_binary(double *out, size_t nrows)
{
    for (size_t i = nrows; i-- > 0;) {
        double p = out[i];
        out[2 * i + 1] = p;
        out[2 * i] = 1 - p;
    }
}

const mdl_schema *mdl_inputs(const mdl_model *m)
{
    return m->pipeline ? fp_inputs(m->pipeline) : m->schema;
}

void mdl_attach_pipeline(mdl_model *m, fp_pipeline *p)
{
    fp_free(m->pipeline);
    m->pipeline = p;
}

/* The model proper, on rows of features. */
static void predict_features(const mdl_model *m, const double *rows, size_t nrows, double *out)
{
    switch (m->kind) {
    case MDL_KIND_GBDT:
        gbdt_predict_rows(m->gbdt, rows, nrows, out);
        break;
    case MDL_KIND_FOREST:
        forest_predict_rows(m->forest, rows, nrows, out);
        break;
    case MDL_KIND_LINEAR: {
        size_t K = lin_noutputs(m->linear), nf = m->schema->nfeatures;
        for (size_t i = 0; i < nrows; i++)
            lin_predict_raw(m->linear, rows + i * nf, out + i * K);
        obj_id link = m->schema->task == MDL_TASK_BINARY       ? OBJ_BINARY
                      : m->schema->task == MDL_TASK_MULTICLASS ? OBJ_MULTICLASS
                                                               : OBJ_L2;
        obj_transform(link, out, nrows, K);
        break;
    }
    }
    if (m->schema->task == MDL_TASK_BINARY)
        expand_binary(out, nrows);
}

/* Input rows through the pipeline, a chunk at a time; one row needs no
 * heap when the pipeline is narrow enough for the stack. */
static void predict_through_pipeline(const mdl_model *m, const double *rows, size_t nrows,
                                     double *out)
{
    enum { CHUNK = 64 };
    size_t ni = fp_inputs(m->pipeline)->nfeatures, nf = fp_noutputs(m->pipeline);
    size_t K = m->noutputs;
    if (nrows == 1 && nf <= FP_ROW_STACK) {
        double features[FP_ROW_STACK];
        fp_transform_row(m->pipeline, rows, features);
        predict_features(m, features, 1, out);
        return;
    }
    double *features = malloc(CHUNK * (nf ? nf : 1) * sizeof *features);
    for (size_t b = 0; b < nrows; b += CHUNK) {
        size_t len = nrows - b < CHUNK ? nrows - b : CHUNK;
        if (!features) { /* out of memory: row by row on the heap-free path */
            for (size_t i = 0; i < len; i++)
                predict_through_pipeline(m, rows + (b + i) * ni, 1, out + (b + i) * K);
            continue;
        }
        for (size_t i = 0; i < len; i++)
            fp_transform_row(m->pipeline, rows + (b + i) * ni, features + i * nf);
        predict_features(m, features, len, out + b * K);
    }
    free(features);
}

void mdl_predict_rows(const mdl_model *m, const double *rows, size_t nrows, double *out)
{
    if (m->pipeline)
        predict_through_pipeline(m, rows, nrows, out);
    else
        predict_features(m, rows, nrows, out);
}

static int predict_feature_frame(const mdl_model *m, const mdl_frame *f, double *out, ml_error *err)
{
    enum { BLOCK = 512 };
    size_t n = f->nrows, nf = f->ncols, K = m->noutputs;
    size_t nblocks = (n + BLOCK - 1) / BLOCK;
    int failed = 0;
#pragma omp parallel
    {
        double *buf = malloc(BLOCK * (nf ? nf : 1) * sizeof *buf);
        if (!buf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (size_t b = 0; b < nblocks; b++) {
            if (!buf)
                continue;
            size_t begin = b * BLOCK, end = begin + BLOCK < n ? begin + BLOCK : n;
            frame_rows(f, begin, end, buf);
            predict_features(m, buf, end - begin, out + begin * K);
        }
        free(buf);
    }
    if (failed)
        return ml_err(err, ML_ENOMEM, "out of memory predicting");
    return ML_OK;
}

int mdl_predict_frame(const mdl_model *m, const mdl_frame *f, double *out, ml_error *err)
{
    if (!m->pipeline)
        return predict_feature_frame(m, f, out, err);
    mdl_frame features;
    int rc = fp_transform(m->pipeline, f, &features, err);
    if (rc)
        return rc;
    rc = predict_feature_frame(m, &features, out, err);
    frame_free(&features);
    return rc;
}

const double *mdl_importance_gain(const mdl_model *m)
{
    return m->gbdt ? m->gbdt->split_gain : m->forest ? m->forest->split_gain : NULL;
}

const uint64_t *mdl_importance_splits(const mdl_model *m)
{
    return m->gbdt ? m->gbdt->split_count : m->forest ? m->forest->split_count : NULL;
}

int mdl_save(mdl_model *m, const char *path, ml_error *err)
{
    ml_wbuf schema, model, pipeline;
    wbuf_init(&schema);
    wbuf_init(&model);
    wbuf_init(&pipeline);
    schema_write(m->schema, &schema);
    if (m->pipeline)
        fp_write(m->pipeline, &pipeline);
    wbuf_u8(&model, (uint8_t)m->kind);
    switch (m->kind) {
    case MDL_KIND_GBDT:
        gbdt_write(m->gbdt, &model);
        break;
    case MDL_KIND_LINEAR:
        lin_write(m->linear, &model);
        break;
    case MDL_KIND_FOREST:
        forest_write(m->forest, &model);
        break;
    }
    int rc = wbuf_status(&schema, err);
    if (!rc)
        rc = wbuf_status(&model, err);
    if (!rc)
        rc = wbuf_status(&pipeline, err);
    if (!rc) {
        const char *meta = m->metadata ? m->metadata : "{}";
        art_section sections[] = {
            {ART_SCHEMA, schema.data, schema.len},
            {ART_MODEL, model.data, model.len},
            {ART_METADATA, meta, strlen(meta)},
            {ART_PIPELINE, pipeline.data, pipeline.len},
        };
        rc = art_write(path, sections, m->pipeline ? 4 : 3, m->sha256, err);
    }
    wbuf_free(&schema);
    wbuf_free(&model);
    wbuf_free(&pipeline);
    return rc;
}

/* The pipeline's outputs must be exactly the model's features. */
static int check_pipeline_fits(const mdl_model *m, ml_error *err)
{
    const mdl_schema *s = m->schema;
    if (fp_noutputs(m->pipeline) != s->nfeatures)
        return ml_err(err, ML_EFORMAT, "the pipeline makes %zu features but the model takes %zu",
                      fp_noutputs(m->pipeline), s->nfeatures);
    for (size_t j = 0; j < s->nfeatures; j++)
        if (strcmp(fp_output_name(m->pipeline, j), s->features[j].name) != 0)
            return ml_err(err, ML_EFORMAT, "pipeline feature %zu is '%s' but the model's is '%s'",
                          j, fp_output_name(m->pipeline, j), s->features[j].name);
    return ML_OK;
}

int mdl_decode(const mdl_sections *sec, mdl_model **out, ml_error *err)
{
    const void *sdata = sec->schema, *mdata = sec->model;
    size_t slen = sec->schema_len, mlen = sec->model_len, jlen = sec->meta_len;
    const char *jdata = sec->meta;
    *out = NULL;
    mdl_model *m = calloc(1, sizeof *m);
    if (!m)
        return ml_err(err, ML_ENOMEM, "out of memory");
    m->threshold = NAN;
    ml_rbuf r;
    rbuf_init(&r, sdata, slen, "schema section");
    int rc = schema_read(&r, &m->schema, err);
    if (!rc)
        rc = rbuf_expect_end(&r, err);
    if (rc)
        goto fail;
    rbuf_init(&r, mdata, mlen, "model section");
    uint8_t kind;
    if ((rc = rbuf_u8(&r, &kind, "model kind", err)))
        goto fail;
    m->kind = (mdl_kind)kind;
    switch (kind) {
    case MDL_KIND_GBDT:
        rc = gbdt_read(&r, m->schema, &m->gbdt, err);
        break;
    case MDL_KIND_LINEAR:
        rc = lin_read(&r, m->schema, &m->linear, err);
        break;
    case MDL_KIND_FOREST:
        rc = forest_read(&r, m->schema, &m->forest, err);
        break;
    default:
        rc = ml_err(err, ML_EUNSUPPORTED, "model kind %u is not known to this mloop", kind);
    }
    if (!rc)
        rc = rbuf_expect_end(&r, err);
    if (!rc && sec->pipeline) {
        rbuf_init(&r, sec->pipeline, sec->pipeline_len, "pipeline section");
        rc = fp_read(&r, &m->pipeline, err);
        if (!rc)
            rc = rbuf_expect_end(&r, err);
        if (!rc)
            rc = check_pipeline_fits(m, err);
    }
    if (rc)
        goto fail;
    if (jdata && jlen) {
        if (jlen > METADATA_MAX || memchr(jdata, 0, jlen)) {
            rc = ml_err(err, ML_EFORMAT, "the metadata section is not JSON text");
            goto fail;
        }
        if (!(m->metadata = strndup(jdata, jlen))) {
            rc = ml_err(err, ML_ENOMEM, "out of memory");
            goto fail;
        }
        if ((rc = read_threshold(m, err)))
            goto fail;
    }
    if ((rc = name_outputs(m, err)))
        goto fail;
    *out = m;
    return ML_OK;
fail:
    mdl_free(m);
    return rc;
}

static int load_sections(const art_file *f, mdl_model **out, ml_error *err)
{
    *out = NULL;
    mdl_sections s = {0};
    s.schema = art_section_data(f, ART_SCHEMA, &s.schema_len);
    s.model = art_section_data(f, ART_MODEL, &s.model_len);
    s.pipeline = art_section_data(f, ART_PIPELINE, &s.pipeline_len);
    s.meta = art_section_data(f, ART_METADATA, &s.meta_len);
    if (!s.schema || !s.model)
        return ml_err(err, ML_EFORMAT, "the artifact has no %s section",
                      s.schema ? "model" : "schema");
    int rc = mdl_decode(&s, out, err);
    if (!rc)
        snprintf((*out)->sha256, sizeof(*out)->sha256, "%s", art_sha256(f));
    return rc;
}

int mdl_load(const char *path, mdl_model **out, ml_error *err)
{
    art_file *f;
    int rc = art_read(path, &f, err);
    if (rc) {
        *out = NULL;
        return rc;
    }
    rc = load_sections(f, out, err);
    art_file_free(f);
    if (rc)
        ml_err_prefix(err, "%s", path);
    return rc;
}

int mdl_load_buffer(const void *data, size_t len, mdl_model **out, ml_error *err)
{
    art_file *f;
    int rc = art_read_buffer(data, len, &f, err);
    if (rc) {
        *out = NULL;
        return rc;
    }
    rc = load_sections(f, out, err);
    art_file_free(f);
    return rc;
}
