/*
 * model.c — dispatch over model kinds, output naming and the artifact
 * sections (see model.h).  The artifact holds three sections: the schema,
 * the model (a kind byte, then the kind's own encoding) and the metadata
 * JSON; the container (artifact.c) adds compression and checksums.
 */
#include "models/model.h"

#include "models/artifact.h"

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

void mdl_predict_rows(const mdl_model *m, const double *rows, size_t nrows, double *out)
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

int mdl_predict_frame(const mdl_model *m, const mdl_frame *f, double *out, ml_error *err)
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
            mdl_predict_rows(m, buf, end - begin, out + begin * K);
        }
        free(buf);
    }
    if (failed)
        return ml_err(err, ML_ENOMEM, "out of memory predicting");
    return ML_OK;
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
    ml_wbuf schema, model;
    wbuf_init(&schema);
    wbuf_init(&model);
    schema_write(m->schema, &schema);
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
    if (!rc) {
        const char *meta = m->metadata ? m->metadata : "{}";
        art_section sections[] = {
            {ART_SCHEMA, schema.data, schema.len},
            {ART_MODEL, model.data, model.len},
            {ART_METADATA, meta, strlen(meta)},
        };
        rc = art_write(path, sections, 3, m->sha256, err);
    }
    wbuf_free(&schema);
    wbuf_free(&model);
    return rc;
}

int mdl_decode(const void *sdata, size_t slen, const void *mdata, size_t mlen, const char *jdata,
               size_t jlen, mdl_model **out, ml_error *err)
{
    *out = NULL;
    mdl_model *m = calloc(1, sizeof *m);
    if (!m)
        return ml_err(err, ML_ENOMEM, "out of memory");
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
    size_t slen, mlen, jlen;
    const void *sdata = art_section_data(f, ART_SCHEMA, &slen);
    const void *mdata = art_section_data(f, ART_MODEL, &mlen);
    const char *jdata = art_section_data(f, ART_METADATA, &jlen);
    if (!sdata || !mdata)
        return ml_err(err, ML_EFORMAT, "the artifact has no %s section",
                      sdata ? "model" : "schema");
    int rc = mdl_decode(sdata, slen, mdata, mlen, jdata, jlen, out, err);
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
