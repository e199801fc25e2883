/*
 * frame.c — the boundary between tables and models (see frame.h).
 *
 * Categorical inputs keep the training column's dictionary as the list of
 * categories, so a training frame maps codes one to one.  Any other table
 * has its own dictionary: frame_build translates each of its distinct
 * strings once (a lookup per dictionary entry, not per row), then maps rows
 * through that small array.  A numeric column given for a categorical input
 * (a CSV reader inferring "0"/"1" as integers) is matched by its canonical
 * text, so a model trained on quoted codes still accepts unquoted ones.
 */
#include "models/frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
    SCHEMA_MAX_FEATURES = 1 << 20,
    SCHEMA_MAX_CATEGORIES = INT32_MAX,
    SCHEMA_MAX_NAME = 1 << 16
};

/* A numeric target with at most this many distinct integer values is
 * ambiguous: it could be classes or counts. */
enum { TASK_INFER_MAX_INTEGER_LEVELS = 20 };

const char *mdl_task_name(mdl_task task)
{
    switch (task) {
    case MDL_TASK_BINARY:
        return "binary";
    case MDL_TASK_MULTICLASS:
        return "multiclass";
    case MDL_TASK_REGRESSION:
        return "regression";
    }
    return "unknown";
}

bool mdl_task_is_classification(mdl_task task)
{
    return task == MDL_TASK_BINARY || task == MDL_TASK_MULTICLASS;
}

void schema_free(mdl_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfeatures; i++) {
        free(s->features[i].name);
        tbl_dict_free(s->features[i].categories);
    }
    free(s->features);
    for (size_t k = 0; k < s->nclasses; k++)
        free(s->classes[k]);
    free(s->classes);
    free(s->target);
    free(s);
}

static bool is_numeric_type(tbl_type t)
{
    return t != TBL_STR;
}

static double numeric_cell(const tbl_column *c, size_t row)
{
    if (tbl_is_null(c, row))
        return NAN;
    switch (c->type) {
    case TBL_F64:
        return c->data.f64[row];
    case TBL_I64:
        return (double)c->data.i64[row];
    case TBL_BOOL:
        return c->data.b[row];
    case TBL_DATE:
        return c->data.date[row];
    case TBL_TIMESTAMP:
        return (double)c->data.ts[row];
    case TBL_STR:
        break;
    }
    return NAN;
}

/* Labels sort numerically when the target is numeric or bool, else by text. */
typedef struct class_label {
    double num;
    const char *text;
    size_t len;
} class_label;

static int compare_num_labels(const void *a, const void *b)
{
    double x = ((const class_label *)a)->num, y = ((const class_label *)b)->num;
    return (x > y) - (x < y);
}

static int compare_text_labels(const void *a, const void *b)
{
    return strcmp(((const class_label *)a)->text, ((const class_label *)b)->text);
}

/* Distinct labels of a classification target, sorted, as text. */
static int collect_classes(mdl_schema *s, const tbl_column *c, size_t nrows, ml_error *err)
{
    tbl_dict *seen = tbl_dict_create();
    class_label *labels = NULL;
    size_t nlabels = 0, cap = 0;
    int rc = ML_OK;
    if (!seen)
        return ml_err(err, ML_ENOMEM, "out of memory collecting classes");
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t r = 0; r < nrows; r++) {
        const char *text;
        size_t len = tbl_cell_text(c, r, buf, &text);
        size_t before = tbl_dict_size(seen);
        int32_t code = tbl_dict_intern(seen, text, len);
        if (code < 0) {
            rc = ml_err(err, ML_ENOMEM, "out of memory collecting classes");
            goto done;
        }
        if (tbl_dict_size(seen) == before)
            continue;
        if (nlabels == cap) {
            cap = cap ? cap * 2 : 16;
            class_label *grown = realloc(labels, cap * sizeof *labels);
            if (!grown) {
                rc = ml_err(err, ML_ENOMEM, "out of memory collecting classes");
                goto done;
            }
            labels = grown;
        }
        labels[nlabels].text = tbl_dict_get(seen, code, &labels[nlabels].len);
        labels[nlabels].num = numeric_cell(c, r);
        nlabels++;
    }
    qsort(labels, nlabels, sizeof *labels,
          c->type == TBL_STR ? compare_text_labels : compare_num_labels);
    s->classes = calloc(nlabels ? nlabels : 1, sizeof *s->classes);
    if (!s->classes) {
        rc = ml_err(err, ML_ENOMEM, "out of memory collecting classes");
        goto done;
    }
    for (size_t k = 0; k < nlabels; k++) {
        if (!(s->classes[k] = strndup(labels[k].text, labels[k].len))) {
            rc = ml_err(err, ML_ENOMEM, "out of memory collecting classes");
            goto done;
        }
        s->nclasses++;
    }
done:
    free(labels);
    tbl_dict_free(seen);
    return rc;
}

static int infer_task(const tbl_column *c, size_t nrows, int *task, ml_error *err)
{
    if (c->type == TBL_STR || c->type == TBL_BOOL) {
        *task = -2; /* classification; binary or multiclass once classes are known */
        return ML_OK;
    }
    if (c->type == TBL_F64) {
        bool integral = true;
        for (size_t r = 0; r < nrows && integral; r++)
            integral = tbl_is_null(c, r) || c->data.f64[r] == floor(c->data.f64[r]);
        if (!integral) {
            *task = MDL_TASK_REGRESSION;
            return ML_OK;
        }
    }
    if (c->type == TBL_DATE || c->type == TBL_TIMESTAMP)
        return ml_err(err, ML_EINVAL,
                      "target column '%s' is a %s; mloop predicts classes or "
                      "numbers",
                      c->name, tbl_type_name(c->type));
    /* Integer values: count the levels, stopping once there are too many. */
    double levels[TASK_INFER_MAX_INTEGER_LEVELS + 1];
    size_t nlevels = 0;
    for (size_t r = 0; r < nrows && nlevels <= TASK_INFER_MAX_INTEGER_LEVELS; r++) {
        double v = numeric_cell(c, r);
        if (isnan(v))
            continue;
        size_t k = 0;
        while (k < nlevels && levels[k] != v)
            k++;
        if (k == nlevels)
            levels[nlevels++] = v;
    }
    if (nlevels > TASK_INFER_MAX_INTEGER_LEVELS) {
        *task = MDL_TASK_REGRESSION;
        return ML_OK;
    }
    return ml_err(err, ML_EINVAL,
                  "target column '%s' holds %zu distinct integer values: say whether they are "
                  "classes or quantities with --task binary, --task multiclass or --task "
                  "regression",
                  c->name, nlevels);
}

/* A class seen once cannot be learned or validated: say so instead of
 * training a model that silently never predicts it. */
static int check_class_sizes(const mdl_schema *s, const tbl_table *t, ml_error *err)
{
    double *y;
    int rc = schema_target(s, t, &y, err);
    if (rc)
        return rc;
    size_t *count = calloc(s->nclasses, sizeof *count);
    if (!count) {
        free(y);
        return ml_err(err, ML_ENOMEM, "out of memory counting classes");
    }
    for (size_t r = 0; r < tbl_nrows(t); r++)
        count[(size_t)y[r]]++;
    for (size_t k = 0; k < s->nclasses && !rc; k++)
        if (count[k] == 1)
            rc = ml_err(err, ML_EINVAL,
                        "class '%s' of target column '%s' has a single row: too few to learn; "
                        "drop it or merge it into another class",
                        s->classes[k], s->target);
    free(count);
    free(y);
    return rc;
}

static bool excluded(const char *name, const char *const *exclude, size_t nexclude)
{
    for (size_t i = 0; i < nexclude; i++)
        if (strcmp(name, exclude[i]) == 0)
            return true;
    return false;
}

static int add_features(mdl_schema *s, const tbl_table *t, int target_col,
                        const char *const *exclude, size_t nexclude, ml_error *err)
{
    size_t ncols = tbl_ncols(t);
    s->features = calloc(ncols ? ncols : 1, sizeof *s->features);
    if (!s->features)
        return ml_err(err, ML_ENOMEM, "out of memory building the schema");
    for (size_t i = 0; i < ncols; i++) {
        const tbl_column *c = tbl_col(t, i);
        if ((int)i == target_col || excluded(c->name, exclude, nexclude))
            continue;
        mdl_feature *f = &s->features[s->nfeatures];
        if (!(f->name = strdup(c->name)))
            return ml_err(err, ML_ENOMEM, "out of memory building the schema");
        f->type = c->type;
        s->nfeatures++;
        if (c->type != TBL_STR)
            continue;
        f->categorical = true;
        if (!(f->categories = tbl_dict_create()))
            return ml_err(err, ML_ENOMEM, "out of memory building the schema");
        for (size_t k = 0; k < tbl_dict_size(c->dict); k++) {
            size_t len;
            const char *v = tbl_dict_get(c->dict, (int32_t)k, &len);
            if (tbl_dict_intern(f->categories, v, len) != (int32_t)k)
                return ml_err(err, ML_ENOMEM, "out of memory building the schema");
        }
    }
    for (size_t i = 0; i < nexclude; i++)
        if (tbl_find(t, exclude[i]) < 0)
            return ml_err(err, ML_EINVAL, "cannot drop column '%s': the data has no such column",
                          exclude[i]);
    if (s->nfeatures == 0)
        return ml_err(err, ML_EINVAL, "no input columns left besides the target '%s'", s->target);
    return ML_OK;
}

int schema_create(const tbl_table *t, const char *target, const char *const *exclude,
                  size_t nexclude, int task, mdl_schema **out, ml_error *err)
{
    *out = NULL;
    int target_col = tbl_find(t, target);
    if (target_col < 0)
        return ml_err(err, ML_EINVAL, "target column '%s' not found in the data", target);
    if (excluded(target, exclude, nexclude))
        return ml_err(err, ML_EINVAL, "target column '%s' cannot also be dropped", target);
    const tbl_column *tc = tbl_col(t, (size_t)target_col);
    size_t nrows = tbl_nrows(t);
    if (nrows == 0)
        return ml_err(err, ML_EINVAL, "the training data has no rows");
    if (tc->null_count == nrows)
        return ml_err(err, ML_EINVAL, "target column '%s' is all null", target);
    if (tc->null_count > 0) {
        size_t first = 0;
        while (!tbl_is_null(tc, first))
            first++;
        return ml_err(err, ML_EINVAL,
                      "target column '%s' has %zu null values (the first at data row %zu); "
                      "drop or fill them before training",
                      target, tc->null_count, first + 1);
    }
    mdl_schema *s = calloc(1, sizeof *s);
    int rc = ML_ENOMEM;
    if (!s || !(s->target = strdup(target))) {
        free(s);
        return ml_err(err, ML_ENOMEM, "out of memory building the schema");
    }
    s->target_type = tc->type;
    if (task < 0 && (rc = infer_task(tc, nrows, &task, err)))
        goto fail;
    if (task != MDL_TASK_REGRESSION) {
        if (tc->type == TBL_F64) {
            for (size_t r = 0; r < nrows; r++)
                if (tc->data.f64[r] != floor(tc->data.f64[r])) {
                    rc = ml_err(err, ML_EINVAL,
                                "target column '%s' has the fractional value %.17g at data row "
                                "%zu: classification needs labels; use --task regression",
                                target, tc->data.f64[r], r + 1);
                    goto fail;
                }
        }
        if ((rc = collect_classes(s, tc, nrows, err)))
            goto fail;
        if (s->nclasses < 2) {
            rc = ml_err(err, ML_EINVAL,
                        "target column '%s' has a single class '%s': nothing to learn", target,
                        s->classes[0]);
            goto fail;
        }
        if (task == -2)
            task = s->nclasses == 2 ? MDL_TASK_BINARY : MDL_TASK_MULTICLASS;
        if (task == MDL_TASK_BINARY && s->nclasses != 2) {
            rc = ml_err(err, ML_EINVAL,
                        "--task binary needs 2 classes but target column '%s' has %zu; use "
                        "--task multiclass",
                        target, s->nclasses);
            goto fail;
        }
    } else if (tc->type == TBL_STR) {
        rc = ml_err(err, ML_EINVAL,
                    "target column '%s' is text; regression needs numbers (use --task binary "
                    "or multiclass)",
                    target);
        goto fail;
    }
    s->task = (mdl_task)task;
    if (mdl_task_is_classification(s->task) && (rc = check_class_sizes(s, t, err)))
        goto fail;
    if ((rc = add_features(s, t, target_col, exclude, nexclude, err)))
        goto fail;
    *out = s;
    return ML_OK;
fail:
    schema_free(s);
    return rc;
}

int schema_class_index(const mdl_schema *s, const char *label)
{
    for (size_t k = 0; k < s->nclasses; k++)
        if (strcmp(s->classes[k], label) == 0)
            return (int)k;
    return -1;
}

int schema_target(const mdl_schema *s, const tbl_table *t, double **y, ml_error *err)
{
    *y = NULL;
    int col = tbl_find(t, s->target);
    if (col < 0)
        return ml_err(err, ML_EINVAL, "target column '%s' not found in the data", s->target);
    const tbl_column *c = tbl_col(t, (size_t)col);
    size_t n = tbl_nrows(t);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return ml_err(err, ML_ENOMEM, "out of memory reading the target");
    char buf[TBL_CELL_TEXT_MAX];
    /* Class lookups go through the column's dictionary once per distinct value. */
    int32_t *class_of_code = NULL;
    if (c->type == TBL_STR && mdl_task_is_classification(s->task)) {
        size_t nd = tbl_dict_size(c->dict);
        if (!(class_of_code = malloc((nd ? nd : 1) * sizeof *class_of_code))) {
            free(v);
            return ml_err(err, ML_ENOMEM, "out of memory reading the target");
        }
        for (size_t k = 0; k < nd; k++)
            class_of_code[k] = schema_class_index(s, tbl_dict_get(c->dict, (int32_t)k, NULL));
    }
    for (size_t r = 0; r < n; r++) {
        if (tbl_is_null(c, r)) {
            free(v);
            free(class_of_code);
            return ml_err(err, ML_EINVAL, "target column '%s' is null at data row %zu", s->target,
                          r + 1);
        }
        if (!mdl_task_is_classification(s->task)) {
            if (c->type == TBL_STR) {
                free(v);
                return ml_err(err, ML_EINVAL,
                              "target column '%s' is text; the model predicts "
                              "numbers",
                              s->target);
            }
            v[r] = numeric_cell(c, r);
            continue;
        }
        int k;
        if (class_of_code) {
            k = class_of_code[c->data.code[r]];
        } else {
            const char *text;
            size_t len = tbl_cell_text(c, r, buf, &text);
            (void)len;
            k = schema_class_index(s, text);
        }
        if (k < 0) {
            const char *text;
            tbl_cell_text(c, r, buf, &text);
            ml_err(err, ML_EINVAL,
                   "target column '%s' has the label '%s' at data row %zu, which the model "
                   "never saw in training",
                   s->target, text, r + 1);
            free(v);
            free(class_of_code);
            return ML_EINVAL;
        }
        v[r] = k;
    }
    free(class_of_code);
    *y = v;
    return ML_OK;
}

void frame_free(mdl_frame *f)
{
    if (!f->cols)
        return;
    for (size_t j = 0; j < f->ncols; j++)
        if (!f->borrowed[j])
            free(f->cols[j]);
    free(f->cols);
    free(f->borrowed);
    free(f->storage);
    memset(f, 0, sizeof *f);
}

int frame_alloc(mdl_frame *f, size_t nrows, size_t ncols, ml_error *err)
{
    enum { HUGE_PAGE = 2u << 20 };
    memset(f, 0, sizeof *f);
    size_t rows = nrows ? nrows : 1, cols = ncols ? ncols : 1;
    if (rows > SIZE_MAX / sizeof(double) / cols)
        return ml_err(err, ML_ENOMEM, "a frame of %zu x %zu values is too large", nrows, ncols);
    size_t bytes = rows * cols * sizeof(double);
    void *block = NULL;
    f->cols = calloc(cols, sizeof *f->cols);
    f->borrowed = calloc(cols, sizeof *f->borrowed);
    if (!f->cols || !f->borrowed || posix_memalign(&block, HUGE_PAGE, bytes) != 0) {
        free(f->cols);
        free(f->borrowed);
        memset(f, 0, sizeof *f);
        return ml_err(err, ML_ENOMEM, "out of memory for %zu rows x %zu features", nrows, ncols);
    }
    /* Advice only: without transparent huge pages this is a plain block. */
    (void)madvise(block, bytes, MADV_HUGEPAGE);
    f->storage = block;
    f->nrows = nrows;
    f->ncols = ncols;
    for (size_t j = 0; j < ncols; j++) {
        f->cols[j] = f->storage + j * rows;
        f->borrowed[j] = true;
    }
    return ML_OK;
}

static int convert_categorical(const mdl_feature *feat, const tbl_column *c, size_t n, double *out,
                               ml_error *err)
{
    char buf[TBL_CELL_TEXT_MAX];
    if (c->type != TBL_STR) {
        for (size_t r = 0; r < n; r++) {
            if (tbl_is_null(c, r)) {
                out[r] = NAN;
                continue;
            }
            const char *text;
            size_t len = tbl_cell_text(c, r, buf, &text);
            int32_t code = tbl_dict_find(feat->categories, text, len);
            out[r] = code < 0 ? MDL_UNSEEN : code;
        }
        return ML_OK;
    }
    size_t nd = tbl_dict_size(c->dict);
    double *map = malloc((nd ? nd : 1) * sizeof *map);
    if (!map)
        return ml_err(err, ML_ENOMEM, "out of memory mapping categories of '%s'", feat->name);
    for (size_t k = 0; k < nd; k++) {
        size_t len;
        const char *v = tbl_dict_get(c->dict, (int32_t)k, &len);
        int32_t code = tbl_dict_find(feat->categories, v, len);
        map[k] = code < 0 ? MDL_UNSEEN : code;
    }
    for (size_t r = 0; r < n; r++)
        out[r] = tbl_is_null(c, r) ? NAN : map[c->data.code[r]];
    free(map);
    return ML_OK;
}

/* Text cells of a numeric input (a CSV column that read as text because of
 * one odd cell, say): each distinct text is parsed once; an empty one is
 * missing; anything else that is not a number is an error naming the row. */
static int coerce_numeric_text(const mdl_feature *feat, const tbl_column *c, size_t n, double *out,
                               ml_error *err)
{
    size_t nd = tbl_dict_size(c->dict);
    double *map = malloc((nd ? nd : 1) * sizeof *map);
    uint8_t *bad = calloc(nd ? nd : 1, 1);
    if (!map || !bad) {
        free(map);
        free(bad);
        return ml_err(err, ML_ENOMEM, "out of memory converting '%s'", feat->name);
    }
    for (size_t k = 0; k < nd; k++) {
        const char *v = tbl_dict_get(c->dict, (int32_t)k, NULL), *p = v;
        while (*p == ' ' || *p == '\t')
            p++;
        char *end;
        map[k] = *p ? strtod(p, &end) : NAN;
        if (*p) {
            while (*end == ' ' || *end == '\t')
                end++;
            bad[k] = *end != '\0' || end == p;
        }
    }
    int rc = ML_OK;
    for (size_t r = 0; r < n && !rc; r++) {
        if (tbl_is_null(c, r)) {
            out[r] = NAN;
            continue;
        }
        int32_t code = c->data.code[r];
        if (bad[code])
            rc = ml_err(err, ML_EINVAL,
                        "input column '%s' row %zu: '%s' is not a number (the model was trained "
                        "on a %s column)",
                        feat->name, r + 1, tbl_dict_get(c->dict, code, NULL),
                        tbl_type_name(feat->type));
        out[r] = map[code];
    }
    free(map);
    free(bad);
    return rc;
}

int frame_build(const mdl_schema *s, const tbl_table *t, mdl_frame *f, ml_error *err)
{
    memset(f, 0, sizeof *f);
    size_t n = tbl_nrows(t);
    f->cols = calloc(s->nfeatures ? s->nfeatures : 1, sizeof *f->cols);
    f->borrowed = calloc(s->nfeatures ? s->nfeatures : 1, sizeof *f->borrowed);
    if (!f->cols || !f->borrowed) {
        free(f->cols);
        free(f->borrowed);
        f->cols = NULL;
        return ml_err(err, ML_ENOMEM, "out of memory converting the inputs");
    }
    f->ncols = s->nfeatures;
    f->nrows = n;
    for (size_t j = 0; j < s->nfeatures; j++) {
        const mdl_feature *feat = &s->features[j];
        int col = tbl_find(t, feat->name);
        if (col < 0) {
            frame_free(f);
            return ml_err(err, ML_EINVAL, "input column '%s' that the model needs is missing",
                          feat->name);
        }
        const tbl_column *c = tbl_col(t, (size_t)col);
        if (!feat->categorical && c->type == TBL_F64 && !c->nulls) {
            f->cols[j] = c->data.f64;
            f->borrowed[j] = true;
            continue;
        }
        double *out = malloc((n ? n : 1) * sizeof *out);
        if (!out) {
            frame_free(f);
            return ml_err(err, ML_ENOMEM, "out of memory converting the inputs");
        }
        f->cols[j] = out;
        if (c->null_count == n && n > 0) { /* an all-null column fits any input */
            for (size_t r = 0; r < n; r++)
                out[r] = NAN;
            continue;
        }
        if (feat->categorical) {
            int rc = convert_categorical(feat, c, n, out, err);
            if (rc) {
                frame_free(f);
                return rc;
            }
            continue;
        }
        if (c->type == TBL_STR && is_numeric_type(feat->type)) {
            int rc = coerce_numeric_text(feat, c, n, out, err);
            if (rc) {
                frame_free(f);
                return rc;
            }
            continue;
        }
        if (!is_numeric_type(c->type)) {
            frame_free(f);
            return ml_err(err, ML_EINVAL,
                          "input column '%s' is text but the model was trained on a %s column",
                          feat->name, tbl_type_name(feat->type));
        }
        for (size_t r = 0; r < n; r++)
            out[r] = numeric_cell(c, r);
    }
    return ML_OK;
}

void frame_rows(const mdl_frame *f, size_t begin, size_t end, double *out)
{
    size_t m = f->ncols;
    for (size_t j = 0; j < m; j++) {
        const double *col = f->cols[j];
        for (size_t r = begin; r < end; r++)
            out[(r - begin) * m + j] = col[r];
    }
}

void schema_write(const mdl_schema *s, ml_wbuf *w)
{
    wbuf_u64(w, s->nfeatures);
    for (size_t i = 0; i < s->nfeatures; i++) {
        const mdl_feature *f = &s->features[i];
        wbuf_str(w, f->name);
        wbuf_u8(w, (uint8_t)f->type);
        wbuf_u8(w, f->categorical);
        if (!f->categorical)
            continue;
        size_t nc = tbl_dict_size(f->categories);
        wbuf_u64(w, nc);
        for (size_t k = 0; k < nc; k++)
            wbuf_str(w, tbl_dict_get(f->categories, (int32_t)k, NULL));
    }
    wbuf_str(w, s->target);
    wbuf_u8(w, (uint8_t)s->target_type);
    wbuf_u8(w, (uint8_t)s->task);
    wbuf_u64(w, s->nclasses);
    for (size_t k = 0; k < s->nclasses; k++)
        wbuf_str(w, s->classes[k]);
}

static int read_type(ml_rbuf *r, tbl_type *type, const char *field, ml_error *err)
{
    uint8_t v;
    int rc = rbuf_u8(r, &v, field, err);
    if (rc)
        return rc;
    if (v >= TBL_TYPE_COUNT)
        return ml_err(err, ML_EFORMAT, "%s: %s %u is not a known column type", r->what, field, v);
    *type = (tbl_type)v;
    return ML_OK;
}

static int read_feature(ml_rbuf *r, mdl_feature *f, ml_error *err)
{
    uint8_t categorical;
    int rc;
    if ((rc = rbuf_str(r, SCHEMA_MAX_NAME, &f->name, "input name", err)) ||
        (rc = read_type(r, &f->type, "input type", err)) ||
        (rc = rbuf_u8(r, &categorical, "input kind", err)))
        return rc;
    if (categorical > 1 || (categorical != (f->type == TBL_STR)))
        return ml_err(err, ML_EFORMAT, "%s: input '%s' has an inconsistent kind", r->what, f->name);
    f->categorical = categorical;
    if (!categorical)
        return ML_OK;
    size_t nc;
    if ((rc = rbuf_count(r, SCHEMA_MAX_CATEGORIES, 4, &nc, "category count", err)))
        return rc;
    if (!(f->categories = tbl_dict_create()))
        return ml_err(err, ML_ENOMEM, "out of memory loading categories");
    for (size_t k = 0; k < nc; k++) {
        char *v;
        if ((rc = rbuf_str(r, SCHEMA_MAX_NAME, &v, "category", err)))
            return rc;
        int32_t code = tbl_dict_intern(f->categories, v, strlen(v));
        free(v);
        if (code != (int32_t)k)
            return ml_err(err, ML_EFORMAT, "%s: input '%s' repeats a category", r->what, f->name);
    }
    return ML_OK;
}

int schema_read(ml_rbuf *r, mdl_schema **out, ml_error *err)
{
    *out = NULL;
    mdl_schema *s = calloc(1, sizeof *s);
    if (!s)
        return ml_err(err, ML_ENOMEM, "out of memory loading the schema");
    size_t n;
    uint8_t task;
    int rc = rbuf_count(r, SCHEMA_MAX_FEATURES, 6, &n, "input count", err);
    if (rc)
        goto fail;
    if (n == 0) {
        rc = ml_err(err, ML_EFORMAT, "%s: the model has no inputs", r->what);
        goto fail;
    }
    if (!(s->features = calloc(n, sizeof *s->features))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory loading the schema");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        s->nfeatures++;
        if ((rc = read_feature(r, &s->features[i], err)))
            goto fail;
    }
    if ((rc = rbuf_str(r, SCHEMA_MAX_NAME, &s->target, "target name", err)) ||
        (rc = read_type(r, &s->target_type, "target type", err)) ||
        (rc = rbuf_u8(r, &task, "task", err)))
        goto fail;
    if (task > MDL_TASK_REGRESSION) {
        rc = ml_err(err, ML_EFORMAT, "%s: unknown task %u", r->what, task);
        goto fail;
    }
    s->task = (mdl_task)task;
    size_t nclasses;
    if ((rc = rbuf_count(r, SCHEMA_MAX_CATEGORIES, 4, &nclasses, "class count", err)))
        goto fail;
    bool classification = mdl_task_is_classification(s->task);
    if ((classification && nclasses < 2) || (!classification && nclasses != 0) ||
        (s->task == MDL_TASK_BINARY && nclasses != 2)) {
        rc = ml_err(err, ML_EFORMAT, "%s: %zu classes do not fit a %s task", r->what, nclasses,
                    mdl_task_name(s->task));
        goto fail;
    }
    if (nclasses && !(s->classes = calloc(nclasses, sizeof *s->classes))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory loading the schema");
        goto fail;
    }
    for (size_t k = 0; k < nclasses; k++) {
        s->nclasses++;
        if ((rc = rbuf_str(r, SCHEMA_MAX_NAME, &s->classes[k], "class label", err)))
            goto fail;
    }
    *out = s;
    return ML_OK;
fail:
    schema_free(s);
    return rc;
}

int frame_take_rows(const mdl_frame *f, const size_t *rows, size_t n, mdl_frame *out, ml_error *err)
{
    int rc = frame_alloc(out, n, f->ncols, err);
    if (rc)
        return ml_err_prefix(err, "selecting rows");
    for (size_t j = 0; j < f->ncols; j++)
        for (size_t i = 0; i < n; i++)
            out->cols[j][i] = f->cols[j][rows[i]];
    return ML_OK;
}
