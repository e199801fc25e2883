/*
 * model.h — one interface over every model kind: train, predict, save to and
 * load from a `.mloop` artifact.  The CLI, the C API and (later) the server
 * and the batch scorer all predict through mdl_predict_rows, so they cannot
 * disagree.
 *
 * Contract
 *  - A model owns its schema (inputs, target, classes) and its metadata JSON.
 *  - Outputs per row: one probability per class (classification, named
 *    "p_<class>") or one value (regression, "prediction").
 *  - mdl_predict_rows takes rows encoded as frame.h describes (categorical
 *    inputs as category codes, NaN missing); it allocates nothing when
 *    predicting one row and is safe to call from many threads at once.
 *  - mdl_save writes the artifact atomically; mdl_load verifies every
 *    checksum and every index and fails with ML_EFORMAT on a bad file.
 */
#ifndef ML_MODELS_MODEL_H
#define ML_MODELS_MODEL_H

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
    gbdt_model *gbdt;
    lin_model *linear;
    forest_model *forest;
    char *metadata; /* JSON object text, or NULL */
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

void mdl_predict_rows(const mdl_model *m, const double *rows, size_t nrows, double *out);
/* Predicts every row of a frame into out (nrows * noutputs). */
int mdl_predict_frame(const mdl_model *m, const mdl_frame *f, double *out, ml_error *err);

/* Takes ownership of json (malloc'd text). */
void mdl_set_metadata(mdl_model *m, char *json);

/* Per-input importance: total gain and split count (tree models), or NULL
 * for linear models. */
const double *mdl_importance_gain(const mdl_model *m);
const uint64_t *mdl_importance_splits(const mdl_model *m);

int mdl_save(mdl_model *m, const char *path, ml_error *err);
/* Decodes a model from the raw (uncompressed, verified) section contents;
 * meta may be NULL.  mdl_load uses it after the container checks; the fuzz
 * target calls it directly so that mutations reach the decoders. */
int mdl_decode(const void *schema, size_t schema_len, const void *model, size_t model_len,
               const char *meta, size_t meta_len, mdl_model **out, ml_error *err);
int mdl_load(const char *path, mdl_model **out, ml_error *err);
int mdl_load_buffer(const void *data, size_t len, mdl_model **out, ml_error *err);

#endif
