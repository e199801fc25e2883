/*
 * pipeline_internal.h — the fitted pipeline's representation, shared by
 * the files that fit (pipeline.c), select (select.c) and store
 * (pipeline_io.c) it.  Not for use outside src/features/.
 *
 * A pipeline is a list of ops.  Each op reads one *working column* — a raw
 * input (0..ninputs-1) or a derived column (ninputs + d) — and writes one
 * or more *output slots* (feature columns).  A slot of -1 is an output that
 * selection removed; an op whose slots are all -1 is removed with it.
 */
#ifndef ML_FEATURES_PIPELINE_INTERNAL_H
#define ML_FEATURES_PIPELINE_INTERNAL_H

#include "features/expr.h"
#include "features/pipeline.h"

#include <stdint.h>

/* Written to artifacts: append only. */
typedef enum fp_op_kind {
    FP_OP_NUMERIC = 0, /* impute, clip, log1p, scale, bins (+ missing indicator) */
    FP_OP_ONEHOT = 1,  /* one slot per kept category, plus "other" */
    FP_OP_LOOKUP = 2,  /* a table of `width` values per code: ordinal, frequency, target */
    FP_OP_NATIVE = 3,  /* the category code itself, for models with categorical splits */
} fp_op_kind;

/* Datetime parts a numeric op can extract from its source first.  Written
 * to artifacts: append only. */
typedef enum fp_dt_part {
    FP_PART_NONE = 0,
    FP_PART_YEAR,
    FP_PART_MONTH,
    FP_PART_DAY,
    FP_PART_DAYOFWEEK,
    FP_PART_HOUR,
    FP_PART_EPOCH_DAYS,
    FP_PART_MONTH_SIN,
    FP_PART_MONTH_COS,
    FP_PART_DAYOFWEEK_SIN,
    FP_PART_DAYOFWEEK_COS,
    FP_PART_HOUR_SIN,
    FP_PART_HOUR_COS,
    FP_PART_COUNT
} fp_dt_part;

typedef struct fp_op {
    uint8_t kind;    /* fp_op_kind */
    uint8_t encode;  /* fp_encode of a categorical op (describe only) */
    uint8_t part;    /* fp_dt_part */
    uint8_t micros;  /* the source is a timestamp in microseconds (else days) */
    uint32_t src;    /* working column */
    int32_t slot;    /* NUMERIC and NATIVE: the output, or -1 */
    int32_t indicator_slot; /* NUMERIC and categorical: "<col>_missing", or -1 */
    /* NUMERIC, in this order: clip, log1p, impute, scale, bins */
    uint8_t clip, log1p, scale, bins;
    double lo, hi;
    double fill; /* NaN: no imputation */
    double center, divisor;
    uint32_t nedges;
    double *edges;
    /* categorical */
    double fill_code; /* NaN: no imputation, else the code a missing value takes */
    uint32_t ncodes;  /* the input's category count */
    uint32_t width;   /* LOOKUP: values per code (K for multiclass target encoding) */
    double *values;   /* LOOKUP: (ncodes + 2) * width; row ncodes is missing, ncodes+1 unseen */
    int32_t *slots;   /* LOOKUP: width output slots; ONEHOT: per code, its slot or -1 */
    int32_t other_slot;    /* ONEHOT: rare (and, if unknown_other, unseen) categories */
    uint8_t unknown_other; /* ONEHOT */
} fp_op;

struct fp_pipeline {
    mdl_schema *inputs;
    size_t nderived;
    char **derived_names;
    char **derived_texts;
    fx_expr **derived;
    size_t nops;
    fp_op *ops;
    size_t noutputs;
    char **out_names;
    uint8_t *out_native; /* the output is a category code (FP_OP_NATIVE) */
    size_t ndropped;     /* outputs removed by selection, and why */
    char **dropped_names;
    char **dropped_why;
};

size_t fp_nworking(const fp_pipeline *p);
const char *fp_working_name(const fp_pipeline *p, size_t j);

/* Compiles the derived expressions from derived_names/derived_texts. */
int fp_compile_derived(fp_pipeline *p, ml_error *err);

/* The value an op reads from its source cell (a datetime part, or the
 * value itself). */
double fp_source_value(const fp_op *op, double v);

/* Runs one op over n rows of its working column src, writing
 * out[slot][off + i] (transform.c). */
void fp_run_op(const fp_op *op, const double *src, size_t n, double *const *out, size_t off);

/* Frees an op's arrays. */
void fp_op_clear(fp_op *op);


/* Selection inside fp_fit: drops constant, near-constant and correlated
 * outputs and keeps the top-k by mutual information, as `sel` asks. */
int fp_select_fitted(fp_pipeline *p, const fp_select *sel, const mdl_schema *base,
                     const double *y, mdl_frame *features, ml_error *err);

#endif
