/*
 * pipeline.c — fitting the feature pipeline on the training rows.
 *
 * fp_fit works in passes, each over whole columns:
 *   1. plan: decide every column's kind and merged options, check that
 *      every name the options mention exists, and build the input schema
 *      (category maps from the training rows only, in first-seen order);
 *   2. derived columns: compile and evaluate the expressions;
 *   3. outliers: rows outside any "drop" bounds leave the training set
 *      before anything else is learned from it;
 *   4. fit one op per column (per datetime part), in parallel — each op's
 *      statistics come from its own column alone;
 *   5. transform the training rows, then overwrite target-encoded columns
 *      with out-of-fold values, so no row sees its own label;
 *   6. selection (select.c).
 * Numeric ops learn in the order they apply — clip bounds from the raw
 * values, the imputation statistic after clipping and log1p, scaling
 * statistics after imputation, bin edges last — so each statistic
 * describes exactly the values its step will see.
 */
#include "features/pipeline_internal.h"

#include "core/names.h"
#include "core/rng.h"
#include "features/stats.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct col_plan {
    size_t work; /* working column */
    const char *name;
    fp_kind kind;
    fp_column_opts opts;
    bool micros; /* datetime from a timestamp */
} col_plan;

typedef struct fit_ctx {
    const fp_fit_spec *spec;
    const fp_options *o;
    const tbl_table *t;
    fp_pipeline *p;
    col_plan *plans;
    size_t nplans;
    mdl_frame in;     /* the training rows' inputs */
    double **derived; /* values of each derived column over the training rows */
    size_t nderived;  /* how many: selection may prune p's derived columns later */
    double *y;        /* target of the kept rows */
    size_t n;         /* kept rows */
    ml_error *err;
} fit_ctx;

/* ---- small helpers -------------------------------------------------------- */

static int oom(ml_error *err)
{
    return ml_err(err, ML_ENOMEM, "out of memory fitting the feature pipeline");
}

/* "workflow.yaml:12: " or "" */
static const char *where(const fp_fit_spec *spec, int line, char *buf, size_t size)
{
    if (!spec->options_file)
        buf[0] = '\0';
    else if (line > 0)
        snprintf(buf, size, "%s:%d: ", spec->options_file, line);
    else
        snprintf(buf, size, "%s: ", spec->options_file);
    return buf;
}

static bool listed(const char *name, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

size_t fp_nworking(const fp_pipeline *p)
{
    return p->inputs->nfeatures + p->nderived;
}

const char *fp_working_name(const fp_pipeline *p, size_t j)
{
    size_t ni = p->inputs->nfeatures;
    return j < ni ? p->inputs->features[j].name : p->derived_names[j - ni];
}

void fp_op_clear(fp_op *op)
{
    free(op->edges);
    free(op->values);
    free(op->slots);
    memset(op, 0, sizeof *op);
}

void fp_free(fp_pipeline *p)
{
    if (!p)
        return;
    schema_free(p->inputs);
    for (size_t d = 0; d < p->nderived; d++) {
        free(p->derived_names[d]);
        free(p->derived_texts[d]);
        if (p->derived)
            fx_free(p->derived[d]);
    }
    free(p->derived_names);
    free(p->derived_texts);
    free(p->derived);
    for (size_t o = 0; o < p->nops; o++)
        fp_op_clear(&p->ops[o]);
    free(p->ops);
    for (size_t k = 0; k < p->noutputs; k++)
        free(p->out_names[k]);
    free(p->out_names);
    free(p->out_native);
    for (size_t k = 0; k < p->ndropped; k++) {
        free(p->dropped_names[k]);
        free(p->dropped_why[k]);
    }
    free(p->dropped_names);
    free(p->dropped_why);
    free(p);
}

const mdl_schema *fp_inputs(const fp_pipeline *p)
{
    return p->inputs;
}

size_t fp_noutputs(const fp_pipeline *p)
{
    return p->noutputs;
}

const char *fp_output_name(const fp_pipeline *p, size_t j)
{
    return p->out_names[j];
}

int fp_note_dropped(fp_pipeline *p, const char *name, const char *why, ml_error *err)
{
    char **names = realloc(p->dropped_names, (p->ndropped + 1) * sizeof *names);
    if (!names)
        return oom(err);
    p->dropped_names = names;
    char **whys = realloc(p->dropped_why, (p->ndropped + 1) * sizeof *whys);
    if (!whys)
        return oom(err);
    p->dropped_why = whys;
    names[p->ndropped] = strdup(name);
    whys[p->ndropped] = strdup(why);
    if (!names[p->ndropped] || !whys[p->ndropped]) {
        free(names[p->ndropped]);
        free(whys[p->ndropped]);
        return oom(err);
    }
    p->ndropped++;
    return ML_OK;
}

int fp_compile_derived(fp_pipeline *p, ml_error *err)
{
    size_t ni = p->inputs->nfeatures, nw = ni + p->nderived;
    p->derived = calloc(p->nderived ? p->nderived : 1, sizeof *p->derived);
    const char **names = malloc((nw ? nw : 1) * sizeof *names);
    const tbl_dict **dicts = calloc(nw ? nw : 1, sizeof *dicts);
    int rc = ML_OK;
    if (!p->derived || !names || !dicts) {
        rc = oom(err);
        goto done;
    }
    for (size_t j = 0; j < nw; j++)
        names[j] = fp_working_name(p, j);
    for (size_t j = 0; j < ni; j++)
        if (p->inputs->features[j].categorical)
            dicts[j] = p->inputs->features[j].categories;
    for (size_t d = 0; d < p->nderived && !rc; d++) {
        /* A derived column sees the inputs and the derived columns before it. */
        fx_inputs inputs = {ni + d, names, dicts};
        rc = fx_compile(p->derived_texts[d], &inputs, &p->derived[d], err);
        if (rc)
            ml_err_prefix(err, "derived column '%s'", p->derived_names[d]);
    }
done:
    free(names);
    free(dicts);
    return rc;
}

/* ---- 1. plan ---------------------------------------------------------------- */

static void merge_opts(fp_column_opts *dst, const fp_column_opts *o)
{
    unsigned s = o->set;
    if (s & FP_SET_IMPUTE) {
        dst->impute = o->impute;
        dst->impute_value = o->impute_value;
        dst->fill_value = o->fill_value; /* borrowed */
    }
    if (s & FP_SET_MISSING_INDICATOR)
        dst->missing_indicator = o->missing_indicator;
    if (s & FP_SET_CLIP) {
        dst->clip = o->clip;
        dst->clip_k = o->clip_k;
        dst->clip_low = o->clip_low;
        dst->clip_high = o->clip_high;
        dst->outlier_action = o->outlier_action;
    }
    if (s & FP_SET_SCALE)
        dst->scale = o->scale;
    if (s & FP_SET_LOG1P)
        dst->log1p = o->log1p;
    if (s & FP_SET_BINS) {
        dst->bins = o->bins;
        dst->nbins = o->nbins;
    }
    if (s & FP_SET_ENCODE)
        dst->encode = o->encode;
    if (s & FP_SET_MAX_CATEGORIES)
        dst->max_categories = o->max_categories;
    if (s & FP_SET_MIN_FREQUENCY)
        dst->min_frequency = o->min_frequency;
    if (s & FP_SET_UNKNOWN)
        dst->unknown = o->unknown;
    if (s & FP_SET_SMOOTHING)
        dst->smoothing = o->smoothing;
    if (s & FP_SET_FOLDS)
        dst->folds = o->folds;
    if (s & FP_SET_PARTS)
        dst->parts = o->parts;
    if (s & FP_SET_CYCLIC)
        dst->cyclic = o->cyclic;
    dst->line = o->line;
}

static const fp_column_override *find_override(const fp_options *o, const char *name)
{
    for (size_t i = 0; i < o->ncolumns; i++)
        if (strcmp(o->columns[i].name, name) == 0)
            return &o->columns[i];
    return NULL;
}

static fp_kind auto_kind(tbl_type type)
{
    return type == TBL_STR                             ? FP_KIND_CATEGORICAL
           : type == TBL_DATE || type == TBL_TIMESTAMP ? FP_KIND_DATETIME
                                                       : FP_KIND_NUMERIC;
}

static int plan_column(fit_ctx *c, const char *name, tbl_type type, size_t work, col_plan *plan)
{
    const fp_column_override *ov = find_override(c->o, name);
    fp_kind kind = ov && (ov->opts.set & FP_SET_KIND) ? ov->opts.kind : auto_kind(type);
    plan->work = work;
    plan->name = name;
    plan->kind = kind;
    plan->opts = kind == FP_KIND_CATEGORICAL ? c->o->categorical
                 : kind == FP_KIND_DATETIME  ? c->o->datetime
                                             : c->o->numeric;
    plan->micros = type == TBL_TIMESTAMP;
    if (ov)
        merge_opts(&plan->opts, &ov->opts);
    if (kind == FP_KIND_DATETIME && type != TBL_DATE && type != TBL_TIMESTAMP) {
        char at[512];
        return ml_err(c->err, ML_EINVAL,
                      "%scolumn '%s' is %s; datetime features need a date or timestamp column",
                      where(c->spec, ov ? ov->opts.line : c->o->datetime.line, at, sizeof at), name,
                      tbl_type_name(type));
    }
    if (plan->opts.impute == FP_IMPUTE_NONE && c->spec->linear && kind != FP_KIND_CATEGORICAL)
        plan->opts.impute = FP_IMPUTE_MEDIAN; /* linear models cannot take a missing value */
    return ML_OK;
}

static int check_names(fit_ctx *c)
{
    const fp_options *o = c->o;
    char at[512];
    const char *target = c->spec->base->target;
    for (size_t i = 0; i < o->ndrop; i++)
        if (tbl_find(c->t, o->drop[i]) < 0)
            return ml_err(c->err, ML_EINVAL, "%sfeatures.drop: the data has no column '%s'",
                          where(c->spec, o->drop_line, at, sizeof at), o->drop[i]);
    for (size_t i = 0; i < o->nids; i++)
        if (tbl_find(c->t, o->ids[i]) < 0)
            return ml_err(c->err, ML_EINVAL, "%sfeatures.id: the data has no column '%s'",
                          where(c->spec, o->ids_line, at, sizeof at), o->ids[i]);
    if (listed(target, o->drop, o->ndrop) || listed(target, o->ids, o->nids))
        return ml_err(c->err, ML_EINVAL, "%sthe target '%s' cannot be dropped or be an id",
                      where(c->spec, o->drop_line, at, sizeof at), target);
    for (size_t d = 0; d < o->nderived; d++) {
        const char *name = o->derived[d].name;
        bool clash = tbl_find(c->t, name) >= 0;
        for (size_t e = 0; e < d && !clash; e++)
            clash = strcmp(o->derived[e].name, name) == 0;
        if (clash)
            return ml_err(c->err, ML_EINVAL,
                          "%sfeatures.derived: '%s' is already the name of a column",
                          where(c->spec, o->derived[d].line, at, sizeof at), name);
    }
    for (size_t i = 0; i < o->ncolumns; i++) {
        const char *name = o->columns[i].name;
        bool derived = false;
        for (size_t d = 0; d < o->nderived; d++)
            derived |= strcmp(o->derived[d].name, name) == 0;
        if (tbl_find(c->t, name) >= 0 || derived)
            continue;
        size_t nc = tbl_ncols(c->t);
        const char **names = malloc((nc ? nc : 1) * sizeof *names);
        if (!names)
            return oom(c->err);
        for (size_t j = 0; j < nc; j++)
            names[j] = tbl_col(c->t, j)->name;
        const char *near = ml_closest_name(names, nc, name);
        free(names);
        if (near)
            return ml_err(c->err, ML_EINVAL,
                          "%sfeatures.columns.%s: the data has no such column (did you mean "
                          "'%s'?)",
                          where(c->spec, o->columns[i].opts.line, at, sizeof at), name, near);
        return ml_err(c->err, ML_EINVAL, "%sfeatures.columns.%s: the data has no such column",
                      where(c->spec, o->columns[i].opts.line, at, sizeof at), name);
    }
    return ML_OK;
}

/* The categories of a column over the training rows, in first-seen order. */
static int training_categories(const tbl_column *col, size_t n, tbl_dict **out, ml_error *err)
{
    tbl_dict *d = tbl_dict_create();
    if (!d)
        return oom(err);
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t r = 0; r < n; r++) {
        if (tbl_is_null(col, r))
            continue;
        const char *text;
        size_t len = tbl_cell_text(col, r, buf, &text);
        if (tbl_dict_intern(d, text, len) < 0) {
            tbl_dict_free(d);
            return oom(err);
        }
    }
    *out = d;
    return ML_OK;
}

static int plan_inputs(fit_ctx *c)
{
    const fp_options *o = c->o;
    size_t nc = tbl_ncols(c->t), n = tbl_nrows(c->t);
    mdl_schema *s = calloc(1, sizeof *s);
    c->p->inputs = s;
    c->plans = calloc(nc + o->nderived + 1, sizeof *c->plans);
    if (!s || !c->plans || !(s->features = calloc(nc ? nc : 1, sizeof *s->features)) ||
        !(s->target = strdup(c->spec->base->target)))
        return oom(c->err);
    s->target_type = c->spec->base->target_type;
    s->task = c->spec->base->task;
    /* The classes travel too: the schema is written to the artifact, and a
     * classification schema without them does not read back. */
    const mdl_schema *base = c->spec->base;
    if (base->nclasses && !(s->classes = calloc(base->nclasses, sizeof *s->classes)))
        return oom(c->err);
    for (size_t k = 0; k < base->nclasses; k++, s->nclasses++)
        if (!(s->classes[k] = strdup(base->classes[k])))
            return oom(c->err);
    for (size_t j = 0; j < nc; j++) {
        const tbl_column *col = tbl_col(c->t, j);
        if (strcmp(col->name, s->target) == 0 || listed(col->name, o->drop, o->ndrop) ||
            listed(col->name, o->ids, o->nids))
            continue;
        col_plan *plan = &c->plans[c->nplans];
        int rc = plan_column(c, col->name, col->type, s->nfeatures, plan);
        if (rc)
            return rc;
        mdl_feature *f = &s->features[s->nfeatures];
        if (!(f->name = strdup(col->name)))
            return oom(c->err);
        plan->name = f->name;
        s->nfeatures++;
        c->nplans++;
        f->type = col->type;
        if (plan->kind == FP_KIND_CATEGORICAL) {
            f->categorical = true;
            if ((rc = training_categories(col, n, &f->categories, c->err)))
                return rc;
        } else if (col->type == TBL_STR) {
            f->type = TBL_F64; /* numeric text, coerced at every load */
        }
    }
    return ML_OK;
}

/* ---- 2. derived columns ------------------------------------------------------ */

static int fit_derived(fit_ctx *c)
{
    const fp_options *o = c->o;
    fp_pipeline *p = c->p;
    if (o->nderived == 0)
        return ML_OK;
    p->derived_names = calloc(o->nderived, sizeof(char *));
    p->derived_texts = calloc(o->nderived, sizeof(char *));
    if (!p->derived_names || !p->derived_texts)
        return oom(c->err);
    for (size_t d = 0; d < o->nderived; d++) {
        p->derived_names[d] = strdup(o->derived[d].name);
        p->derived_texts[d] = strdup(o->derived[d].expr);
        p->nderived++;
        if (!p->derived_names[d] || !p->derived_texts[d])
            return oom(c->err);
    }
    int rc = fp_compile_derived(p, c->err);
    if (rc) {
        size_t d = 0; /* the first expression that did not compile */
        while (p->derived && d < o->nderived && p->derived[d])
            d++;
        char at[512];
        where(c->spec, d < o->nderived ? o->derived[d].line : 0, at, sizeof at);
        return ml_err_prefix(c->err, "%sfeatures.derived", at);
    }
    for (size_t d = 0; d < o->nderived; d++) {
        col_plan *plan = &c->plans[c->nplans];
        if ((rc = plan_column(c, p->derived_names[d], TBL_F64, p->inputs->nfeatures + d, plan)))
            return rc;
        if (plan->kind != FP_KIND_NUMERIC) {
            char at[512];
            return ml_err(c->err, ML_EINVAL, "%sderived column '%s' is numeric; it cannot be %s",
                          where(c->spec, plan->opts.line, at, sizeof at), plan->name,
                          plan->kind == FP_KIND_CATEGORICAL ? "categorical" : "a datetime");
        }
        c->nplans++;
    }
    return ML_OK;
}

/* Values of every derived column over the rows of c->in. */
static int eval_derived(fit_ctx *c)
{
    fp_pipeline *p = c->p;
    size_t ni = p->inputs->nfeatures, n = c->in.nrows;
    if (p->nderived == 0)
        return ML_OK;
    const double **cols = malloc(fp_nworking(p) * sizeof *cols);
    c->derived = calloc(p->nderived, sizeof *c->derived);
    if (!cols || !c->derived) {
        free(cols);
        return oom(c->err);
    }
    c->nderived = p->nderived;
    for (size_t j = 0; j < ni; j++)
        cols[j] = c->in.cols[j];
    for (size_t d = 0; d < p->nderived; d++) {
        if (!(c->derived[d] = malloc((n ? n : 1) * sizeof(double)))) {
            free(cols);
            return oom(c->err);
        }
        fx_eval(p->derived[d], cols, n, c->derived[d]);
        cols[ni + d] = c->derived[d];
    }
    free(cols);
    return ML_OK;
}

static const double *working_values(const fit_ctx *c, size_t work)
{
    size_t ni = c->p->inputs->nfeatures;
    return work < ni ? c->in.cols[work] : c->derived[work - ni];
}

static void free_derived_values(fit_ctx *c)
{
    if (!c->derived)
        return;
    for (size_t d = 0; d < c->nderived; d++)
        free(c->derived[d]);
    free(c->derived);
    c->derived = NULL;
    c->nderived = 0;
}

/* ---- 3. outliers ----------------------------------------------------------------- */

/* Clip bounds of the finite values among v (scratch: n doubles). */
static void clip_bounds(const fp_column_opts *o, const double *v, size_t n, double *scratch,
                        double *lo, double *hi)
{
    size_t m = fs_finite(v, n, scratch);
    if (m == 0) {
        *lo = -INFINITY;
        *hi = INFINITY;
        return;
    }
    if (o->clip == FP_CLIP_IQR) {
        double qs[2] = {0.25, 0.75}, q[2];
        fs_quantiles(scratch, m, qs, 2, q);
        *lo = q[0] - o->clip_k * (q[1] - q[0]);
        *hi = q[1] + o->clip_k * (q[1] - q[0]);
    } else if (o->clip == FP_CLIP_ZSCORE) {
        double sum = 0, ss = 0;
        for (size_t i = 0; i < m; i++)
            sum += scratch[i];
        double mean = sum / (double)m;
        for (size_t i = 0; i < m; i++)
            ss += (scratch[i] - mean) * (scratch[i] - mean);
        double sd = sqrt(ss / (double)m);
        *lo = mean - o->clip_k * sd;
        *hi = mean + o->clip_k * sd;
    } else {
        double qs[2] = {o->clip_low, o->clip_high}, q[2];
        fs_quantiles(scratch, m, qs, 2, q);
        *lo = q[0];
        *hi = q[1];
    }
    /* Bounds that collapse to one value (an IQR of 0: half the rows share a
     * value, as in a 0/1 flag) would turn the column into a constant; such a
     * column has no outliers this rule can define, so nothing is clipped. */
    if (!(*lo < *hi)) {
        *lo = -INFINITY;
        *hi = INFINITY;
    }
}

static int drop_outliers(fit_ctx *c, size_t **kept, size_t *nkept)
{
    size_t n = c->in.nrows;
    uint8_t *drop = NULL;
    double *scratch = NULL;
    size_t *rows = NULL;
    int rc = ML_OK;
    for (size_t i = 0; i < c->nplans; i++) {
        const col_plan *plan = &c->plans[i];
        if (plan->kind != FP_KIND_NUMERIC || plan->opts.clip == FP_CLIP_NONE ||
            plan->opts.outlier_action != FP_OUTLIER_DROP)
            continue;
        if (!drop && (!(drop = calloc(n ? n : 1, 1)) || !(scratch = malloc((n ? n : 1) * 8)))) {
            rc = oom(c->err);
            goto done;
        }
        const double *v = working_values(c, plan->work);
        double lo, hi;
        clip_bounds(&plan->opts, v, n, scratch, &lo, &hi);
        for (size_t r = 0; r < n; r++)
            drop[r] |= v[r] < lo || v[r] > hi;
    }
    if (!(rows = malloc((n ? n : 1) * sizeof *rows))) {
        rc = oom(c->err);
        goto done;
    }
    size_t m = 0;
    for (size_t r = 0; r < n; r++)
        if (!drop || !drop[r])
            rows[m++] = r;
    if (m == 0) {
        rc = ml_err(c->err, ML_EINVAL, "every training row is an outlier by the clip bounds");
        goto done;
    }
    if (m < n) {
        mdl_frame kept_in;
        if ((rc = frame_take_rows(&c->in, rows, m, &kept_in, c->err)))
            goto done;
        frame_free(&c->in);
        c->in = kept_in;
        free_derived_values(c);
        if ((rc = eval_derived(c)))
            goto done;
    }
    for (size_t i = 0; i < m; i++)
        c->y[i] = c->spec->y[rows[i]];
    c->n = m;
    *kept = rows;
    *nkept = m;
    rows = NULL;
done:
    free(drop);
    free(scratch);
    free(rows);
    return rc;
}

/* ---- 4. fitting ops ---------------------------------------------------------------- */

static double mean_of(const double *v, size_t m)
{
    double s = 0;
    for (size_t i = 0; i < m; i++)
        s += v[i];
    return m ? s / (double)m : NAN;
}

/* Fits a numeric op on v (its source values over the training rows; n
 * values, rewritten in place step by step). */
static void fit_numeric(fp_op *op, const fp_column_opts *o, double *v, size_t n, double *scratch)
{
    if (o->clip != FP_CLIP_NONE && o->outlier_action == FP_OUTLIER_CLIP) {
        op->clip = 1;
        clip_bounds(o, v, n, scratch, &op->lo, &op->hi);
    }
    op->log1p = o->log1p;
    op->fill = NAN;
    op->scale = 0;
    op->center = 0;
    op->divisor = 1;
    for (size_t i = 0; i < n; i++) { /* the values the next steps see */
        double x = v[i];
        if (!isnan(x) && op->clip)
            x = x < op->lo ? op->lo : x > op->hi ? op->hi : x;
        if (!isnan(x) && op->log1p)
            x = x > -1.0 ? log1p(x) : NAN;
        v[i] = x;
    }
    size_t m = fs_finite(v, n, scratch);
    if (o->impute != FP_IMPUTE_NONE) {
        double half = 0.5;
        switch (o->impute) {
        case FP_IMPUTE_MEAN:
            op->fill = mean_of(scratch, m);
            break;
        case FP_IMPUTE_MEDIAN:
            fs_quantiles(scratch, m, &half, 1, &op->fill);
            break;
        case FP_IMPUTE_MOST_FREQUENT:
            op->fill = fs_mode(scratch, m);
            break;
        default:
            op->fill = o->impute_value;
        }
        if (isnan(op->fill)) /* no value was observed: impute 0 rather than nothing */
            op->fill = o->impute == FP_IMPUTE_CONSTANT ? o->impute_value : 0.0;
        for (size_t i = 0; i < n; i++)
            if (isnan(v[i]))
                v[i] = op->fill;
        m = fs_finite(v, n, scratch);
    }
    if (o->scale != FP_SCALE_NONE && m > 0) {
        op->scale = 1;
        if (o->scale == FP_SCALE_STANDARD) {
            double mean = mean_of(scratch, m), ss = 0;
            for (size_t i = 0; i < m; i++)
                ss += (scratch[i] - mean) * (scratch[i] - mean);
            double sd = sqrt(ss / (double)m);
            op->center = mean;
            op->divisor = sd > 0 ? sd : 1.0;
        } else if (o->scale == FP_SCALE_MINMAX) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < m; i++) {
                lo = scratch[i] < lo ? scratch[i] : lo;
                hi = scratch[i] > hi ? scratch[i] : hi;
            }
            op->center = lo;
            op->divisor = hi > lo ? hi - lo : 1.0;
        } else {
            double qs[3] = {0.25, 0.5, 0.75}, q[3];
            fs_quantiles(scratch, m, qs, 3, q);
            op->center = q[1];
            op->divisor = q[2] > q[0] ? q[2] - q[0] : 1.0;
        }
        for (size_t i = 0; i < n; i++)
            v[i] = (v[i] - op->center) / op->divisor;
        m = fs_finite(v, n, scratch);
    }
    if (o->bins != FP_BINS_NONE && m > 0 && (op->edges = malloc((size_t)(o->nbins + 1) * 8))) {
        op->bins = 1;
        op->nedges = (uint32_t)(o->bins == FP_BINS_QUANTILE
                                    ? fs_bin_edges_quantile(scratch, m, o->nbins, op->edges)
                                    : fs_bin_edges_uniform(scratch, m, o->nbins, op->edges));
    }
}

/* Category statistics over the training rows. */
typedef struct cat_stats {
    size_t ncodes;
    double *count; /* per code, after imputation */
    double nmissing;
} cat_stats;

static int compare_by_name(const tbl_dict *d, int32_t a, int32_t b)
{
    return strcmp(tbl_dict_get(d, a, NULL), tbl_dict_get(d, b, NULL));
}

typedef struct named_code {
    const char *name;
    int32_t code;
} named_code;

static int cmp_named_code(const void *a, const void *b)
{
    return strcmp(((const named_code *)a)->name, ((const named_code *)b)->name);
}

/* Sorts codes[0..m) by their category text (byte order, as Python sorts
 * str). */
static int sort_codes_by_name(const tbl_dict *dict, int32_t *codes, size_t m)
{
    named_code *tmp = malloc((m ? m : 1) * sizeof *tmp);
    if (!tmp)
        return ML_ENOMEM;
    for (size_t i = 0; i < m; i++)
        tmp[i] = (named_code){tbl_dict_get(dict, codes[i], NULL), codes[i]};
    qsort(tmp, m, sizeof *tmp, cmp_named_code);
    for (size_t i = 0; i < m; i++)
        codes[i] = tmp[i].code;
    free(tmp);
    return ML_OK;
}

/* Codes with a training count, sorted by their text; SIZE_MAX on out of
 * memory. */
static size_t sorted_codes(const cat_stats *st, const tbl_dict *dict, int32_t *codes)
{
    size_t m = 0;
    for (size_t k = 0; k < st->ncodes; k++)
        if (st->count[k] > 0)
            codes[m++] = (int32_t)k;
    return sort_codes_by_name(dict, codes, m) ? SIZE_MAX : m;
}

static int fit_onehot(fp_op *op, const fp_column_opts *o, const cat_stats *st, const tbl_dict *dict,
                      double n, int32_t *codes)
{
    size_t m = sorted_codes(st, dict, codes);
    if (m == SIZE_MAX)
        return ML_ENOMEM;
    op->slots = malloc((st->ncodes ? st->ncodes : 1) * sizeof *op->slots);
    if (!op->slots)
        return ML_ENOMEM;
    for (size_t k = 0; k < st->ncodes; k++)
        op->slots[k] = -1;
    /* Keep the most frequent categories (ties: by name), rarer ones share "other". */
    size_t keep = (size_t)o->max_categories;
    bool other = false;
    if (m > keep) {
        keep = keep > 1 ? keep - 1 : 1; /* "other" counts among max_categories */
        other = true;
    }
    int32_t *by_count = codes + m; /* second half of the scratch */
    memcpy(by_count, codes, m * sizeof *codes);
    for (size_t i = 1; i < m; i++) { /* insertion sort: stable, so names break ties */
        int32_t c = by_count[i];
        size_t j = i;
        while (j > 0 && st->count[by_count[j - 1]] < st->count[c]) {
            by_count[j] = by_count[j - 1];
            j--;
        }
        by_count[j] = c;
    }
    for (size_t i = 0; i < m; i++) {
        int32_t c = by_count[i];
        bool rare = i >= keep || st->count[c] / n < o->min_frequency;
        op->slots[c] = rare ? -2 : 0; /* mark: -2 other, 0 kept */
        other |= rare;
    }
    op->unknown_other = o->unknown == FP_UNKNOWN_OTHER;
    op->other_slot = other || op->unknown_other ? 0 : -1;
    return ML_OK;
}

static int fit_lookup(fp_op *op, const fp_column_opts *o, const cat_stats *st, const tbl_dict *dict,
                      double n, int32_t *codes)
{
    size_t nc = st->ncodes;
    double *val = op->values;
    if (o->encode == FP_ENCODE_ORDINAL) {
        for (size_t k = 0; k < nc + 2; k++)
            val[k] = NAN;
        size_t m = sorted_codes(st, dict, codes);
        if (m == SIZE_MAX)
            return ML_ENOMEM;
        for (size_t i = 0; i < m; i++)
            val[codes[i]] = (double)i;
    } else { /* frequency */
        for (size_t k = 0; k < nc; k++)
            val[k] = st->count[k] / n;
        val[nc] = st->nmissing / n;
        val[nc + 1] = 0.0;
    }
    return ML_OK;
}

/* Target statistics of a categorical column: per code (and missing) the
 * count and the sum of y (per class for multiclass). */
typedef struct te_sums {
    size_t width;
    double *sum;   /* (ncodes + 1) * width */
    double *count; /* ncodes + 1 */
} te_sums;

static inline size_t te_index(const fp_op *op, double code)
{
    uint32_t c = isnan(code) && !isnan(op->fill_code) ? (uint32_t)op->fill_code
                 : isnan(code)                        ? op->ncodes
                                                      : (uint32_t)code;
    return c;
}

static void te_encode(const double *sum, const double *count, const double *prior, size_t w,
                      double m, double *out)
{
    for (size_t k = 0; k < w; k++)
        out[k] = (sum[k] + m * prior[k]) / (*count + m);
}

static void fit_target(fp_op *op, const fp_column_opts *o, const double *codes, const double *y,
                       size_t n, size_t width, bool multiclass)
{
    size_t nc = op->ncodes;
    double *sum = calloc((nc + 1) * width, sizeof *sum);
    double *count = calloc(nc + 1, sizeof *count);
    double prior[256] = {0};
    if (!sum || !count) {
        free(sum);
        free(count);
        for (size_t k = 0; k < (nc + 2) * width; k++)
            op->values[k] = NAN;
        return;
    }
    for (size_t r = 0; r < n; r++) {
        size_t c = te_index(op, codes[r]);
        count[c] += 1;
        if (multiclass)
            sum[c * width + (size_t)y[r]] += 1;
        else
            sum[c * width] += y[r];
    }
    for (size_t c = 0; c <= nc; c++)
        for (size_t k = 0; k < width; k++)
            prior[k] += sum[c * width + k];
    for (size_t k = 0; k < width; k++)
        prior[k] /= (double)n;
    for (size_t c = 0; c <= nc; c++)
        te_encode(sum + c * width, count + c, prior, width, o->smoothing, op->values + c * width);
    for (size_t k = 0; k < width; k++)
        op->values[(nc + 1) * width + k] = prior[k];
    free(sum);
    free(count);
}

static int fit_categorical(fit_ctx *c, fp_op *op, const col_plan *plan, int32_t *codes_scratch)
{
    mdl_feature *f = &c->p->inputs->features[plan->work];
    const double *v = c->in.cols[plan->work];
    size_t n = c->n;
    op->fill_code = NAN;
    if (plan->opts.impute == FP_IMPUTE_CONSTANT) {
        const char *fill = plan->opts.fill_value ? plan->opts.fill_value : "missing";
        int32_t code;
#pragma omp critical(fp_intern)
        code = tbl_dict_intern(f->categories, fill, strlen(fill));
        if (code < 0)
            return ML_ENOMEM;
        op->fill_code = code;
    }
    size_t nc = tbl_dict_size(f->categories);
    op->ncodes = (uint32_t)nc;
    cat_stats st = {nc, calloc(nc ? nc : 1, sizeof(double)), 0};
    if (!st.count)
        return ML_ENOMEM;
    for (size_t r = 0; r < n; r++) {
        if (isnan(v[r]))
            st.nmissing += 1;
        else
            st.count[(size_t)v[r]] += 1;
    }
    if (plan->opts.impute == FP_IMPUTE_MOST_FREQUENT && st.nmissing < (double)n) {
        size_t best = SIZE_MAX;
        for (size_t k = 0; k < nc; k++)
            if (st.count[k] > 0 &&
                (best == SIZE_MAX || st.count[k] > st.count[best] ||
                 (st.count[k] == st.count[best] &&
                  compare_by_name(f->categories, (int32_t)k, (int32_t)best) < 0)))
                best = k;
        op->fill_code = (double)best;
    }
    if (!isnan(op->fill_code)) {
        st.count[(size_t)op->fill_code] += st.nmissing;
        st.nmissing = 0;
    }
    int rc = ML_OK;
    op->encode = (uint8_t)plan->opts.encode;
    switch (plan->opts.encode) {
    case FP_ENCODE_ONEHOT:
        op->kind = FP_OP_ONEHOT;
        rc = fit_onehot(op, &plan->opts, &st, f->categories, (double)n, codes_scratch);
        break;
    case FP_ENCODE_NATIVE:
        op->kind = FP_OP_NATIVE;
        break;
    default: {
        bool multiclass =
            plan->opts.encode == FP_ENCODE_TARGET && c->spec->base->task == MDL_TASK_MULTICLASS;
        op->kind = FP_OP_LOOKUP;
        op->width = multiclass ? (uint32_t)c->spec->base->nclasses : 1;
        op->values = malloc((nc + 2) * op->width * sizeof(double));
        op->slots = malloc(op->width * sizeof *op->slots);
        if (!op->values || !op->slots) {
            rc = ML_ENOMEM;
            break;
        }
        if (plan->opts.encode == FP_ENCODE_TARGET)
            fit_target(op, &plan->opts, v, c->y, n, op->width, multiclass);
        else
            rc = fit_lookup(op, &plan->opts, &st, f->categories, (double)n, codes_scratch);
    }
    }
    free(st.count);
    return rc;
}

/* The ops of one plan: a datetime column gives one per part. */
static size_t plan_nops(const col_plan *plan)
{
    if (plan->kind != FP_KIND_DATETIME)
        return 1;
    unsigned parts = plan->opts.parts;
    if (!plan->micros)
        parts &= ~(unsigned)FP_DT_HOUR;
    size_t n = (size_t)__builtin_popcount(parts);
    if (plan->opts.cyclic)
        n += plan->micros ? 6 : 4;
    return n;
}

static void plan_parts(const col_plan *plan, uint8_t *parts)
{
    static const struct {
        unsigned bit;
        uint8_t part;
    } map[] = {{FP_DT_YEAR, FP_PART_YEAR}, {FP_DT_MONTH, FP_PART_MONTH},
               {FP_DT_DAY, FP_PART_DAY},   {FP_DT_DAYOFWEEK, FP_PART_DAYOFWEEK},
               {FP_DT_HOUR, FP_PART_HOUR}, {FP_DT_EPOCH_DAYS, FP_PART_EPOCH_DAYS}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if ((plan->opts.parts & map[i].bit) && (plan->micros || map[i].bit != FP_DT_HOUR))
            parts[n++] = map[i].part;
    if (plan->opts.cyclic) {
        parts[n++] = FP_PART_MONTH_SIN;
        parts[n++] = FP_PART_MONTH_COS;
        parts[n++] = FP_PART_DAYOFWEEK_SIN;
        parts[n++] = FP_PART_DAYOFWEEK_COS;
        if (plan->micros) {
            parts[n++] = FP_PART_HOUR_SIN;
            parts[n++] = FP_PART_HOUR_COS;
        }
    }
}

static int fit_ops(fit_ctx *c, size_t *op_plan)
{
    fp_pipeline *p = c->p;
    size_t nops = 0;
    for (size_t i = 0; i < c->nplans; i++)
        nops += plan_nops(&c->plans[i]);
    if (!(p->ops = calloc(nops ? nops : 1, sizeof *p->ops)))
        return oom(c->err);
    p->nops = nops;
    for (size_t i = 0, o = 0; i < c->nplans; i++) {
        uint8_t parts[16] = {0};
        if (c->plans[i].kind == FP_KIND_DATETIME)
            plan_parts(&c->plans[i], parts);
        for (size_t k = 0; k < plan_nops(&c->plans[i]); k++, o++) {
            p->ops[o].src = (uint32_t)c->plans[i].work;
            p->ops[o].part = parts[k];
            p->ops[o].micros = c->plans[i].micros;
            p->ops[o].slot = p->ops[o].indicator_slot = p->ops[o].other_slot = -1;
            op_plan[o] = i;
        }
    }
    size_t n = c->n;
    int failed = 0;
#pragma omp parallel
    {
        double *v = malloc((n ? n : 1) * sizeof *v);
        double *scratch = malloc((n ? n : 1) * sizeof *scratch);
        int32_t *codes = NULL;
#pragma omp for schedule(dynamic, 1)
        for (size_t o = 0; o < nops; o++) {
            fp_op *op = &p->ops[o];
            const col_plan *plan = &c->plans[op_plan[o]];
            int rc = v && scratch ? ML_OK : ML_ENOMEM;
            if (!rc && plan->kind == FP_KIND_CATEGORICAL) {
                size_t nc = tbl_dict_size(p->inputs->features[plan->work].categories) + 1;
                int32_t *grown = realloc(codes, 2 * nc * sizeof *codes);
                rc = grown ? fit_categorical(c, op, plan, codes = grown) : ML_ENOMEM;
            } else if (!rc) {
                const double *src = working_values(c, plan->work);
                for (size_t r = 0; r < n; r++)
                    v[r] = fp_source_value(op, src[r]);
                op->kind = FP_OP_NUMERIC;
                fit_numeric(op, &plan->opts, v, n, scratch);
            }
            if (rc) {
#pragma omp atomic write
                failed = 1;
            }
        }
        free(v);
        free(scratch);
        free(codes);
    }
    return failed ? oom(c->err) : ML_OK;
}

/* ---- outputs ---------------------------------------------------------------------------- */

static const char *part_suffix(uint8_t part)
{
    static const char *names[FP_PART_COUNT] = {
        "",           "year",      "month",     "day",           "dayofweek",     "hour",
        "epoch_days", "month_sin", "month_cos", "dayofweek_sin", "dayofweek_cos", "hour_sin",
        "hour_cos"};
    return part < FP_PART_COUNT ? names[part] : "";
}

static int add_output(fp_pipeline *p, size_t *cap, bool native, ml_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int add_output(fp_pipeline *p, size_t *cap, bool native, ml_error *err, const char *fmt, ...)
{
    if (p->noutputs == *cap) {
        size_t grow = *cap ? 2 * *cap : 64;
        char **names = realloc(p->out_names, grow * sizeof *names);
        if (!names)
            return oom(err);
        p->out_names = names;
        uint8_t *nat = realloc(p->out_native, grow);
        if (!nat)
            return oom(err);
        p->out_native = nat;
        *cap = grow;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&p->out_names[p->noutputs], fmt, ap);
    va_end(ap);
    if (len < 0)
        return oom(err);
    p->out_native[p->noutputs] = native;
    p->noutputs++;
    return ML_OK;
}

/* Names every output and assigns the slots, op by op. */
static int name_outputs(fit_ctx *c, const size_t *op_plan)
{
    fp_pipeline *p = c->p;
    size_t cap = 0;
    int rc = ML_OK;
    for (size_t o = 0; o < p->nops && !rc; o++) {
        fp_op *op = &p->ops[o];
        const col_plan *plan = &c->plans[op_plan[o]];
        const char *col = plan->name;
        const tbl_dict *dict =
            plan->kind == FP_KIND_CATEGORICAL ? p->inputs->features[plan->work].categories : NULL;
        switch (op->kind) {
        case FP_OP_NUMERIC:
            op->slot = (int32_t)p->noutputs;
            rc = op->part ? add_output(p, &cap, false, c->err, "%s_%s", col, part_suffix(op->part))
                          : add_output(p, &cap, false, c->err, "%s", col);
            break;
        case FP_OP_NATIVE:
            op->slot = (int32_t)p->noutputs;
            rc = add_output(p, &cap, true, c->err, "%s", col);
            break;
        case FP_OP_LOOKUP:
            for (uint32_t k = 0; k < op->width && !rc; k++) {
                op->slots[k] = (int32_t)p->noutputs;
                rc = op->width == 1 ? add_output(p, &cap, false, c->err, "%s", col)
                                    : add_output(p, &cap, false, c->err, "%s_te_%s", col,
                                                 c->spec->base->classes[k]);
            }
            break;
        case FP_OP_ONEHOT: {
            int32_t *codes = malloc((op->ncodes + 1) * sizeof *codes);
            if (!codes)
                return oom(c->err);
            size_t m = 0;
            for (uint32_t k = 0; k < op->ncodes; k++)
                if (op->slots[k] == 0)
                    codes[m++] = (int32_t)k;
            if (sort_codes_by_name(dict, codes, m)) {
                free(codes);
                return oom(c->err);
            }
            for (uint32_t k = 0; k < op->ncodes; k++)
                if (op->slots[k] == -2)
                    op->slots[k] = -3; /* rare: resolved to the other slot below */
            for (size_t i = 0; i < m && !rc; i++) {
                op->slots[codes[i]] = (int32_t)p->noutputs;
                rc = add_output(p, &cap, false, c->err, "%s=%s", col,
                                tbl_dict_get(dict, codes[i], NULL));
            }
            free(codes);
            if (!rc && op->other_slot == 0) {
                op->other_slot = (int32_t)p->noutputs;
                rc = add_output(p, &cap, false, c->err, "%s=other", col);
            }
            for (uint32_t k = 0; k < op->ncodes; k++)
                if (op->slots[k] == -3)
                    op->slots[k] = op->other_slot;
            break;
        }
        }
        bool first_of_plan = o == 0 || op_plan[o - 1] != op_plan[o];
        if (!rc && plan->opts.missing_indicator && first_of_plan) {
            op->indicator_slot = (int32_t)p->noutputs;
            rc = add_output(p, &cap, false, c->err, "%s_missing", col);
        }
    }
    return rc;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_unique_outputs(const fp_pipeline *p, ml_error *err)
{
    if (p->noutputs < 2)
        return ML_OK;
    char **names = malloc(p->noutputs * sizeof *names);
    if (!names)
        return oom(err);
    memcpy(names, p->out_names, p->noutputs * sizeof *names);
    qsort(names, p->noutputs, sizeof *names, cmp_str_ptr);
    int rc = ML_OK;
    for (size_t k = 1; k < p->noutputs && !rc; k++)
        if (strcmp(names[k - 1], names[k]) == 0)
            rc = ml_err(err, ML_EINVAL,
                        "two features would both be named '%s'; rename a column or a derived "
                        "feature",
                        names[k]);
    free(names);
    return rc;
}

/* ---- 5. out-of-fold target encoding ------------------------------------------------- */

static int target_out_of_fold(fit_ctx *c, const fp_op *op, const col_plan *plan, mdl_frame *f)
{
    size_t n = c->n, nc = op->ncodes, w = op->width, folds = (size_t)plan->opts.folds;
    bool multiclass = w > 1;
    if (folds > n)
        folds = n;
    if (folds < 2)
        return ML_OK;
    const double *codes = c->in.cols[op->src];
    uint8_t *fold = malloc(n ? n : 1);
    double *sum = calloc((folds + 1) * (nc + 1) * w, sizeof *sum);
    double *count = calloc((folds + 1) * (nc + 1), sizeof *count);
    double *ysum = calloc((folds + 1) * w, sizeof *ysum);
    double *ny = calloc(folds + 1, sizeof *ny);
    if (!fold || !sum || !count || !ysum || !ny) {
        free(fold), free(sum), free(count), free(ysum), free(ny);
        return oom(c->err);
    }
    ml_rng rng;
    ml_rng_seed(&rng, c->spec->seed ^ (0x9e3779b97f4a7c15ULL * (op->src + 1)));
    /* Slot `folds` holds the totals; slot f the sums of fold f. */
    for (size_t r = 0; r < n; r++) {
        size_t fr = (size_t)ml_rng_below(&rng, folds);
        fold[r] = (uint8_t)fr;
        size_t ci = te_index(op, codes[r]);
        size_t k = multiclass ? (size_t)c->y[r] : 0;
        double yv = multiclass ? 1.0 : c->y[r];
        for (size_t s = 0; s < 2; s++) {
            size_t slot = s ? folds : fr;
            count[slot * (nc + 1) + ci] += 1;
            sum[(slot * (nc + 1) + ci) * w + k] += yv;
            ysum[slot * w + k] += yv;
            ny[slot] += 1;
        }
    }
    double prior[256], osum[256], ocount;
    for (size_t r = 0; r < n; r++) {
        size_t fr = fold[r], ci = te_index(op, codes[r]);
        double rest = ny[folds] - ny[fr];
        for (size_t k = 0; k < w; k++) {
            prior[k] = rest > 0 ? (ysum[folds * w + k] - ysum[fr * w + k]) / rest : 0.0;
            osum[k] = sum[(folds * (nc + 1) + ci) * w + k] - sum[(fr * (nc + 1) + ci) * w + k];
        }
        ocount = count[folds * (nc + 1) + ci] - count[fr * (nc + 1) + ci];
        double enc[256];
        te_encode(osum, &ocount, prior, w, plan->opts.smoothing, enc);
        for (size_t k = 0; k < w; k++)
            if (op->slots[k] >= 0)
                f->cols[op->slots[k]][r] = enc[k];
    }
    free(fold), free(sum), free(count), free(ysum), free(ny);
    return ML_OK;
}

/* ---- fp_fit -------------------------------------------------------------------------- */

static int check_target_width(const fp_fit_spec *spec, ml_error *err)
{
    if (spec->base->task == MDL_TASK_MULTICLASS && spec->base->nclasses > 256)
        return ml_err(err, ML_EINVAL,
                      "target encoding supports up to 256 classes; the target has %zu",
                      spec->base->nclasses);
    return ML_OK;
}

int fp_fit(const fp_fit_spec *spec, const tbl_table *train, fp_pipeline **out, mdl_frame *features,
           size_t **kept, size_t *nkept, ml_error *err)
{
    *out = NULL;
    *kept = NULL;
    *nkept = 0;
    memset(features, 0, sizeof *features);
    size_t n = tbl_nrows(train);
    fit_ctx c = {.spec = spec, .o = spec->options, .t = train, .err = err, .n = n};
    size_t *op_plan = NULL;
    int rc = check_target_width(spec, err);
    if (rc)
        return rc;
    if (!(c.p = calloc(1, sizeof *c.p)) || !(c.y = malloc((n ? n : 1) * sizeof *c.y))) {
        free(c.p);
        return oom(err);
    }
    if ((rc = check_names(&c)) || (rc = plan_inputs(&c)) || (rc = fit_derived(&c)))
        goto done;
    if (c.nplans == 0) {
        rc = ml_err(err, ML_EINVAL, "no input columns left besides the target '%s'",
                    spec->base->target);
        goto done;
    }
    if ((rc = frame_build(c.p->inputs, train, &c.in, err)) || (rc = eval_derived(&c)) ||
        (rc = drop_outliers(&c, kept, nkept)))
        goto done;
    size_t nops = 0;
    for (size_t i = 0; i < c.nplans; i++)
        nops += plan_nops(&c.plans[i]);
    if (!(op_plan = malloc((nops ? nops : 1) * sizeof *op_plan))) {
        rc = oom(err);
        goto done;
    }
    if ((rc = fit_ops(&c, op_plan)) || (rc = name_outputs(&c, op_plan)) ||
        (rc = check_unique_outputs(c.p, err)))
        goto done;
    if ((rc = fp_transform(c.p, &c.in, features, err)))
        goto done;
    for (size_t o = 0; o < c.p->nops && !rc; o++)
        if (c.p->ops[o].kind == FP_OP_LOOKUP && c.p->ops[o].encode == FP_ENCODE_TARGET)
            rc = target_out_of_fold(&c, &c.p->ops[o], &c.plans[op_plan[o]], features);
    if (!rc)
        rc = fp_select_fitted(c.p, &spec->options->select, spec->base, c.y, features, err);
done:
    free(op_plan);
    free(c.plans);
    free(c.y);
    free_derived_values(&c);
    frame_free(&c.in);
    if (rc) {
        frame_free(features);
        free(*kept);
        *kept = NULL;
        *nkept = 0;
        fp_free(c.p);
        return rc;
    }
    *out = c.p;
    return ML_OK;
}
