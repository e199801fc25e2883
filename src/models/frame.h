/*
 * frame.h — what every model sees: the input schema fixed at training, and
 * a table's feature columns converted to one array of doubles per feature.
 *
 * Contract
 *  - mdl_schema lists the model's inputs in a fixed order.  Numeric inputs
 *    (float, int, bool, date as days, timestamp as microseconds) become
 *    their value as a double.  Categorical inputs (string columns) become the
 *    training code of the category as a double: 0..ncat-1 for categories
 *    seen in training, MDL_UNSEEN (-1) for any other string.  A null cell is
 *    NaN for every kind.
 *  - Categories are stored in first-seen order of the training table; the
 *    code of a category is its index.  Models never see strings.
 *  - frame_build finds inputs by name, so a predict table may have extra
 *    columns and any column order; a missing input or a type that cannot be
 *    converted (text for a numeric input) fails with ML_EINVAL naming it.
 *  - The target: classification targets become class indices 0..K-1 over
 *    the sorted distinct labels (as text); regression targets their value.
 */
#ifndef ML_MODELS_FRAME_H
#define ML_MODELS_FRAME_H

#include "core/buf.h"
#include "core/error.h"
#include "data/table.h"

#include <stdbool.h>
#include <stddef.h>

#define MDL_UNSEEN (-1.0)

/* Written to disk: append only. */
typedef enum mdl_task {
    MDL_TASK_BINARY = 0,
    MDL_TASK_MULTICLASS = 1,
    MDL_TASK_REGRESSION = 2,
} mdl_task;

const char *mdl_task_name(mdl_task task);
bool mdl_task_is_classification(mdl_task task);

typedef struct mdl_feature {
    char *name;
    tbl_type type; /* the column's type at training */
    bool categorical;
    tbl_dict *categories; /* categorical only: code = index */
} mdl_feature;

typedef struct mdl_schema {
    size_t nfeatures;
    mdl_feature *features;
    char *target;
    tbl_type target_type;
    mdl_task task;
    size_t nclasses; /* classification only */
    char **classes;  /* sorted labels as text */
} mdl_schema;

typedef struct mdl_frame {
    size_t nrows, ncols;
    double **cols;   /* ncols arrays of nrows values */
    bool *borrowed;  /* cols[j] points into the source table (float columns
                        without nulls are not copied): keep the table alive */
    double *storage; /* frame_alloc's one block behind every column (those
                        are marked borrowed); NULL otherwise */
} mdl_frame;

/* Builds the schema from a training table: every column except the target
 * and the excluded names becomes an input.  task < 0 infers it (string or
 * bool target → classification; float → regression; integers with at most
 * 20 distinct values → an error asking for --task).  Fills y (class index
 * or value, malloc'd, nrows) for the training table. */
int schema_create(const tbl_table *t, const char *target, const char *const *exclude,
                  size_t nexclude, int task, mdl_schema **out, ml_error *err);
void schema_free(mdl_schema *s);

/* Index of the class whose label text is `label`, or -1. */
int schema_class_index(const mdl_schema *s, const char *label);

/* Target values of t for this schema (class indices or values); a label
 * not seen in training or a null target is ML_EINVAL naming the row. */
int schema_target(const mdl_schema *s, const tbl_table *t, double **y, ml_error *err);

/* Converts t's input columns.  Frees with frame_free. */
int frame_build(const mdl_schema *s, const tbl_table *t, mdl_frame *f, ml_error *err);
/* A frame of ncols uninitialised columns of nrows values, carved from one
 * block that asks the kernel for huge pages: a wide frame (a million rows
 * of a hundred one-hot features) then costs a few hundred page faults
 * instead of a few hundred thousand. */
int frame_alloc(mdl_frame *f, size_t nrows, size_t ncols, ml_error *err);
/* A new frame holding rows[0..n) of f, in that order (copies). */
int frame_take_rows(const mdl_frame *f, const size_t *rows, size_t n, mdl_frame *out,
                    ml_error *err);
/* Row-major copy of rows [begin, end) into out ((end-begin) * ncols). */
void frame_rows(const mdl_frame *f, size_t begin, size_t end, double *out);
void frame_free(mdl_frame *f);

void schema_write(const mdl_schema *s, ml_wbuf *w);
int schema_read(ml_rbuf *r, mdl_schema **out, ml_error *err);

#endif
