/*
 * model.h — one interface over every model kind: train, predict, save to and
 * load from a `.mloop` artifact.  The CLI, the C API and (later) the server
 * and the batch scorer all predict through mdl_predict_rows, so they cannot
 * disagree.
 *
 * Contract
 *  - A model owns its schema (the features it was trained on, target,
 *    classes), its metadata JSON and, when trained from a workflow, the
 *    fitted feature pipeline.  Its *inputs* (mdl_inputs) are the raw columns
 *    a caller provides: the pipeline's inputs, or the schema's features when
 *    there is no pipeline.
 *  - Outputs per row: one probability per class (classification, named
 *    "p_<class>") or one value (regression, "prediction").
 *  - mdl_predict_rows and mdl_predict_frame take inputs encoded as frame.h
 *    describes against mdl_inputs (categorical inputs as category codes, NaN
 *    missing) and apply the pipeline first; mdl_predict_rows allocates
 *    nothing when predicting one row and is safe to call from many threads
 *    at once.
 *  - mdl_save writes the artifact atomically; mdl_load verifies every
 *    checksum and every index and fails with ML_EFORMAT on a bad file.
 */
#ifndef ML_MODELS_MODEL_H
#define ML_MODELS_MODEL_H

#include "features/pipeline.h"
#include "models/forest/forest.h"
#include "models/frame.h"
#include "models/gbdt/gbdt.h"
#include "models/linear/linear.h"
#include "models/params.h"

/* Written to disk: append only. */
typedef enum mdl_kind {
    MDL_KIND_GBDT = 0,
    MDL_KIND_LINEAR = 1,
    MDL_KIND_FOREST = 2,
} mdl_kind;

const char *mdl_kind_name(mdl_kind kind);
int mdl_kind_parse(const char *name, mdl_kind *out, ml_error *err);
/* The parameter table of a kind. */
const param_spec *mdl_param_specs(mdl_kind kind, size_t *count);

typedef struct mdl_model {
    mdl_kind kind;
    mdl_schema *schema;
    fp_pipeline *pipeline; /* NULL: the inputs are the features */
    gbdt_model *gbdt;
    lin_model *linear;
    forest_model *forest;
    char *metadata;   /* JSON object text, or NULL */
    double threshold; /* binary: P(class 1) at or above which the predicted class is
                         the second; NAN: the more probable class.  Stored in the
                         metadata as "decision_threshold" (mdl_set_threshold). */
    size_t noutputs;
    char **output_names;
    char sha256[65]; /* of the artifact it was loaded from or saved to */
} mdl_model;

typedef struct mdl_train_spec {
    mdl_kind kind;
    const param_kv *params;
    size_t nparams;
    gbdt_progress_fn progress; /* gbdt: called after each round */
    void *progress_ctx;
    double *train_scores; /* gbdt: optional raw training scores (tests) */
} mdl_train_spec;

/* Checks parameter names and values for a kind without training. */
int mdl_check_params(mdl_kind kind, const param_kv *kv, size_t nkv, ml_error *err);

/* Trains a model; takes ownership of schema (even on failure). valid may be
 * NULL. */
int mdl_train(mdl_schema *schema, const mdl_frame *train, const double *y, const double *w,
              const mdl_frame *valid, const double *valid_y, const mdl_train_spec *spec,
              mdl_model **out, ml_error *err);
void mdl_free(mdl_model *m);

/* The raw columns a caller provides. */
const mdl_schema *mdl_inputs(const mdl_model *m);
/* Takes ownership of a fitted pipeline whose outputs are m's features. */
void mdl_attach_pipeline(mdl_model *m, fp_pipeline *p);

void mdl_predict_rows(const mdl_model *m, const double *rows, size_t nrows, double *out);
/* Predicts every row of an input frame (built with mdl_inputs) into out
 * (nrows * noutputs). */
int mdl_predict_frame(const mdl_model *m, const mdl_frame *f, double *out, ml_error *err);

/* Takes ownership of json (malloc'd text).  Its "decision_threshold", when
 * present, must be a probability; mdl_set_metadata does not check it (the
 * loader does). */
void mdl_set_metadata(mdl_model *m, char *json);

/* The predicted class of one row's probabilities (noutputs of them): the
 * binary threshold when the model has one, else the most probable class
 * (the first on ties). */
size_t mdl_predicted_class(const mdl_model *m, const double *prob);

/* Per-input importance: total gain and split count (tree models), or NULL
 * for linear models. */
const double *mdl_importance_gain(const mdl_model *m);
const uint64_t *mdl_importance_splits(const mdl_model *m);

int mdl_save(mdl_model *m, const char *path, ml_error *err);
/* The raw (uncompressed, verified) contents of an artifact's sections;
 * pipeline and meta may be NULL. */
typedef struct mdl_sections {
    const void *schema, *pipeline, *model;
    size_t schema_len, pipeline_len, model_len;
    const char *meta;
    size_t meta_len;
} mdl_sections;

/* Decodes a model from its sections.  mdl_load uses it after the container
 * checks; the fuzz target calls it directly so that mutations reach the
 * decoders. */
int mdl_decode(const mdl_sections *sections, mdl_model **out, ml_error *err);
int mdl_load(const char *path, mdl_model **out, ml_error *err);
int mdl_load_buffer(const void *data, size_t len, mdl_model **out, ml_error *err);

#endif
