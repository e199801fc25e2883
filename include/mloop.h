/*
 * mloop.h — the public C API of mloop.
 *
 * Contract: every call that can fail returns an mloop_status and, when the
 * caller passes an mloop_error, fills it with a human message that names the
 * place (file:line:column, field, key).  Status codes are only ever appended.
 * Handles are opaque and come in create/free pairs.
 *
 * A model (`.mloop` artifact) is loaded once and is then immutable:
 * mloop_predict and mloop_predict_columns may be called from any number of
 * threads on one shared handle.
 */
#ifndef MLOOP_H
#define MLOOP_H

#ifdef __cplusplus
extern "C" {
#endif

#define MLOOP_VERSION_MAJOR 0
#define MLOOP_VERSION_MINOR 1
#define MLOOP_VERSION_PATCH 0
#define MLOOP_VERSION_NUM                                                                          \
    (MLOOP_VERSION_MAJOR * 10000 + MLOOP_VERSION_MINOR * 100 + MLOOP_VERSION_PATCH)
#define MLOOP_VERSION_STRING "0.1.0"

/* X(name, value, description).  Append only: values are part of the ABI. */
#define MLOOP_STATUS_MAP(X)                                                                        \
    X(OK, 0, "ok")                                                                                 \
    X(EINVAL, 1, "invalid argument")                                                               \
    X(EIO, 2, "input/output error")                                                                \
    X(ENOMEM, 3, "out of memory")                                                                  \
    X(EFORMAT, 4, "malformed input")                                                               \
    X(ENOTFOUND, 5, "not found")                                                                   \
    X(EDB, 6, "database error")                                                                    \
    X(ELIMIT, 7, "limit exceeded")                                                                 \
    X(EUNSUPPORTED, 8, "unsupported")                                                              \
    X(EINTERNAL, 9, "internal error")                                                              \
    X(ECONNECT, 10, "connection failed")

typedef enum mloop_status {
#define MLOOP_STATUS_ENUM(name, value, text) MLOOP_##name = value,
    MLOOP_STATUS_MAP(MLOOP_STATUS_ENUM)
#undef MLOOP_STATUS_ENUM
} mloop_status;

#define MLOOP_ERROR_MESSAGE_SIZE 1024

/* Caller-owned error record; zero-initialise it (or call nothing): a call
 * that succeeds leaves it untouched. */
typedef struct mloop_error {
    mloop_status code;
    char message[MLOOP_ERROR_MESSAGE_SIZE];
} mloop_error;

/* Library version as "MAJOR.MINOR.PATCH". */
const char *mloop_version(void);
int mloop_version_num(void);

/* Short description of a status ("malformed input"); never NULL. */
const char *mloop_strerror(mloop_status status);
/* Symbolic name of a status ("EFORMAT"); never NULL. */
const char *mloop_status_name(mloop_status status);

/* ---- models ------------------------------------------------------------ */
#include <stddef.h>

typedef struct mloop_model mloop_model;

typedef enum mloop_input_type {
    MLOOP_INPUT_NUMERIC = 0,     /* any number; NaN means missing */
    MLOOP_INPUT_CATEGORICAL = 1, /* a category, given as its code or its string */
} mloop_input_type;

/* Loads and verifies an artifact (checksums, every length and index).  On
 * failure *out is NULL and err says why (MLOOP_EFORMAT for a bad file). */
mloop_status mloop_model_load(const char *path, mloop_model **out, mloop_error *err);
void mloop_model_free(mloop_model *model);

/* "binary", "multiclass" or "regression". */
const char *mloop_model_task(const mloop_model *model);

/* The inputs, in the order mloop_predict expects them. */
size_t mloop_model_num_inputs(const mloop_model *model);
const char *mloop_model_input_name(const mloop_model *model, size_t input);
mloop_input_type mloop_model_input_type(const mloop_model *model, size_t input);
/* Categorical inputs: the categories seen in training; code = index. */
size_t mloop_model_input_num_categories(const mloop_model *model, size_t input);
const char *mloop_model_input_category(const mloop_model *model, size_t input, size_t code);
/* Code of a category string for a categorical input: its index, or -1
 * (unseen; predicts like a missing value). */
double mloop_model_category_code(const mloop_model *model, size_t input, const char *category);

/* Outputs per row: the probability of each class for classification
 * ("p_<class>"), the predicted value for regression ("prediction"). */
size_t mloop_model_num_outputs(const mloop_model *model);
const char *mloop_model_output_name(const mloop_model *model, size_t output);

/* Predicts nrows rows given row-major in `rows` (num_inputs doubles per
 * row; categorical inputs as codes; NaN = missing) into out (nrows *
 * num_outputs, row-major).  Large batches use every core (OpenMP).
 * Allocates nothing when nrows is 1. */
mloop_status mloop_predict(const mloop_model *model, const double *rows, size_t nrows, double *out,
                           mloop_error *err);

/* One named input column: numbers (NaN = missing) or strings (NULL =
 * missing) — strings only for categorical inputs. */
typedef struct mloop_column {
    const char *name;
    const double *numbers;      /* or NULL */
    const char *const *strings; /* or NULL */
} mloop_column;

/* Predicts from named columns in any order (extra columns are ignored); an
 * input with no column is MLOOP_EINVAL naming it. */
mloop_status mloop_predict_columns(const mloop_model *model, const mloop_column *columns,
                                   size_t ncolumns, size_t nrows, double *out, mloop_error *err);

#ifdef __cplusplus
}
#endif
#endif
