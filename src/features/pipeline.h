/*
 * pipeline.h — the fitted feature pipeline: what was learned from the
 * training rows (imputation values, clip bounds, scales, bin edges,
 * category maps, target statistics, the selected features), stored in the
 * artifact and applied identically wherever the model predicts.
 *
 * Data flow
 *   raw table ──frame_build(fp_inputs(p))──► input frame ──fp_transform──►
 *   feature frame ──► model
 *  The input frame encodes cells as frame.h says (numbers as doubles,
 *  categories as codes into the pipeline's dictionaries, dates as days,
 *  timestamps as microseconds, NaN missing); the feature frame is what the
 *  model's schema (fp_feature_schema) describes.
 *
 * Contract
 *  - fp_fit fits on the training table only and returns the training rows'
 *    features.  Those equal fp_transform of the same rows except for
 *    target-encoded columns, which are computed out-of-fold so that a row's
 *    own label never reaches its features.  Rows dropped as outliers
 *    (clip action "drop") are left out; *kept lists the rows that remain.
 *  - Columns: the target, `drop` and `id` columns are never inputs; every
 *    other column is, by its kind (numeric, categorical, datetime) with
 *    the type defaults merged under its per-column overrides.  Derived
 *    columns are computed first, from the raw values, and then treated as
 *    numeric columns.  An option naming a column the data lacks is an
 *    error naming the option's line.
 *  - Selection (drop constant / near-constant / correlated, top-k by
 *    mutual information) happens inside fp_fit; selection by importance
 *    needs a model, so the caller ranks and calls fp_restrict.
 *  - fp_transform and fp_transform_row never fail on values: unseen
 *    categories follow the encoder's policy, missing values their
 *    imputation.  fp_transform_row allocates nothing for pipelines of up
 *    to FP_ROW_STACK working columns and outputs, and is thread-safe.
 *  - fp_write/fp_read round-trip bit for bit; fp_read validates every
 *    index, count and code against the inputs (ML_EFORMAT otherwise).
 */
#ifndef ML_FEATURES_PIPELINE_H
#define ML_FEATURES_PIPELINE_H

#include "core/buf.h"
#include "core/error.h"
#include "features/options.h"
#include "models/frame.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define FP_ROW_STACK 1024

typedef struct fp_pipeline fp_pipeline;

typedef struct fp_fit_spec {
    const fp_options *options;
    const mdl_schema *base; /* target, task and classes (schema_create on the training table) */
    const double *y;        /* training target: class index or value, one per row */
    bool linear;            /* numeric columns without an impute option get the median */
    uint64_t seed;          /* out-of-fold assignment for target encoding */
    /* Where option lines point ("workflow.yaml"); NULL for none. */
    const char *options_file;
} fp_fit_spec;

int fp_fit(const fp_fit_spec *spec, const tbl_table *train, fp_pipeline **out, mdl_frame *features,
           size_t **kept, size_t *nkept, ml_error *err);
void fp_free(fp_pipeline *p);

/* The raw columns a table must provide (names, types, category maps). */
const mdl_schema *fp_inputs(const fp_pipeline *p);
size_t fp_noutputs(const fp_pipeline *p);
const char *fp_output_name(const fp_pipeline *p, size_t j);

/* The schema of the features, for the model: outputs as inputs (native
 * categoricals carry their categories), target and classes from base. */
int fp_feature_schema(const fp_pipeline *p, const mdl_schema *base, mdl_schema **out,
                      ml_error *err);

/* Keeps the outputs with keep[j] true (in order); features, when non-NULL,
 * loses the other columns too. */
int fp_restrict(fp_pipeline *p, const bool *keep, mdl_frame *features, ml_error *err);

/* Records why an output was dropped by selection (kept in the artifact and
 * described by fp_describe); takes copies. */
int fp_note_dropped(fp_pipeline *p, const char *name, const char *why, ml_error *err);

/* Features of every row of an input frame built with fp_inputs(p). */
int fp_transform(const fp_pipeline *p, const mdl_frame *in, mdl_frame *out, ml_error *err);

/* Features of one row: in has fp_inputs(p)->nfeatures values, out
 * fp_noutputs(p). */
void fp_transform_row(const fp_pipeline *p, const double *in, double *out);

/* What was fitted, for `train --json` and the summary: per output its
 * source column and transform; the columns dropped by selection and why. */
json_t *fp_describe(const fp_pipeline *p);

void fp_write(const fp_pipeline *p, ml_wbuf *w);
int fp_read(ml_rbuf *r, fp_pipeline **out, ml_error *err);

#endif
