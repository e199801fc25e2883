/*
 * runner.c — a workflow's training, end to end (runner.h).
 *
 * The order is what keeps the evaluation honest: the test rows are set
 * aside before anything is learned, so the pipeline's statistics, the
 * early-stopping rows and the feature ranking all come from the training
 * part; the test rows only ever go through the fitted pipeline, exactly as
 * data at predict time will.
 */
#include "workflow/runner.h"

#include "data/source.h"
#include "core/rng.h"
#include "eval/curves.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "eval/split.h"
#include "eval/tune.h"
#include "models/summary.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run {
    const wf_spec *spec;
    const wf_hooks *hooks;
    ml_error *err;
    tbl_table *train, *test;
    mdl_schema *base;
    double *y_train, *y_test;
    fp_pipeline *pipeline;
    mdl_frame features; /* training rows after the pipeline */
    double *y;          /* their targets */
    param_kv *params;   /* the model's parameters: the file's, or a trial's */
    size_t nparams;
    mdl_model *model;
    double *oof;             /* binary, after cross-validation: out-of-fold P(class 1) per
                                training row (NaN for a row no fold tested) */
    double threshold;        /* the decision threshold chosen, or NaN */
    wf_test_rows *keep_test; /* the caller wants the test predictions */
    double *oof_dst;         /* a fold's run: its test rows' P(class 1) go to */
    const size_t *oof_rows;  /* oof_dst[oof_rows[i]] (binary models) */
    size_t nrows, valid_rows, outliers;
    double t_load, t_pipeline, t_train, t_eval, t_cv, t_tune;
} run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void stage(const run *r, const char *what)
{
    if (r->hooks && r->hooks->stage)
        r->hooks->stage(r->hooks->stage_ctx, what);
}

static int at_line(const run *r, int line, const char *key)
{
    char where[1024];
    wf_spec_where(r->spec, line, where, sizeof where);
    return ml_err_prefix(r->err, "%s: %s", where, key);
}

static int take_target(const double *y, const size_t *rows, size_t n, double **out, ml_error *err)
{
    if (!(*out = malloc((n ? n : 1) * sizeof **out)))
        return ml_err(err, ML_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        (*out)[i] = y[rows[i]];
    return ML_OK;
}

/* Reads the data, fixes the task and classes, and splits off the test rows. */
static int load_and_split(run *r)
{
    const wf_spec *s = r->spec;
    const fp_options *o = &s->features;
    src_options so = {0};
    so.query = s->data.query;
    so.table = s->data.table;
    tbl_table *t = NULL;
    src_report report;
    double *y = NULL;
    spl_result split = {0};
    stage(r, "reading the data");
    double t0 = now();
    int rc = src_read_table(s->data.source, &so, &t, &report, r->err);
    if (rc)
        return at_line(r, s->data.line, "data.source");
    r->nrows = tbl_nrows(t);
    size_t nexclude = o->ndrop + o->nids;
    const char **exclude = malloc((nexclude ? nexclude : 1) * sizeof *exclude);
    if (!exclude) {
        tbl_free(t);
        return ml_err(r->err, ML_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < o->ndrop; i++)
        exclude[i] = o->drop[i];
    for (size_t i = 0; i < o->nids; i++)
        exclude[o->ndrop + i] = o->ids[i];
    if ((rc = schema_create(t, s->target, exclude, nexclude, s->task, &r->base, r->err)) ||
        (rc = schema_target(r->base, t, &y, r->err))) {
        at_line(r, s->target_line, "target");
        goto done;
    }
    bool classification = mdl_task_is_classification(r->base->task);
    spl_spec ss = {
        .method = s->split.method < 0 ? (classification ? SPL_STRATIFIED : SPL_RANDOM)
                                      : (spl_method)s->split.method,
        .test = s->split.test,
        .seed = s->split.seed,
        .y = y,
        .nclasses = r->base->nclasses,
        .column = s->split.column,
    };
    if (ss.method == SPL_STRATIFIED && !classification) {
        rc = ml_err(r->err, ML_EINVAL,
                    "split.method: stratified needs a classification target; '%s' is a "
                    "regression target (use random, time or group)",
                    s->target);
        at_line(r, s->split.line, "split");
        goto done;
    }
    if ((rc = spl_split(t, &ss, &split, r->err))) {
        at_line(r, s->split.line, "split");
        goto done;
    }
    if ((rc = tbl_take(t, split.train, split.ntrain, &r->train, r->err)) ||
        (rc = tbl_take(t, split.test, split.ntest, &r->test, r->err)) ||
        (rc = take_target(y, split.train, split.ntrain, &r->y_train, r->err)) ||
        (rc = take_target(y, split.test, split.ntest, &r->y_test, r->err)))
        goto done;
    r->t_load = now() - t0;
done:
    free(exclude);
    free(y);
    spl_result_free(&split);
    tbl_free(t);
    return rc;
}

static bool early_stopping_on(const run *r)
{
    if (r->spec->model.kind != MDL_KIND_GBDT || r->spec->model.valid_fraction <= 0)
        return false;
    for (size_t i = 0; i < r->nparams; i++) /* values were checked: integers */
        if (strcmp(r->params[i].key, "early_stopping") == 0)
            return atoi(r->params[i].value) > 0;
    return false;
}

/* Trains on r->features, holding out valid_fraction of the rows for early
 * stopping when it is on. */
static int train_model(run *r, mdl_model **out)
{
    const wf_spec *s = r->spec;
    mdl_schema *schema = NULL;
    mdl_frame fit = {0}, valid = {0};
    double *fit_y = NULL, *valid_y = NULL;
    spl_result split = {0};
    int rc = fp_feature_schema(r->pipeline, r->base, &schema, r->err);
    if (rc)
        return rc;
    bool holdout = early_stopping_on(r);
    if (holdout) {
        bool classification = mdl_task_is_classification(r->base->task);
        spl_spec ss = {classification ? SPL_STRATIFIED : SPL_RANDOM,
                       s->model.valid_fraction,
                       s->split.seed + 1,
                       r->y,
                       r->base->nclasses,
                       NULL};
        if ((rc = spl_split_rows(r->features.nrows, &ss, &split, r->err)) ||
            (rc = frame_take_rows(&r->features, split.train, split.ntrain, &fit, r->err)) ||
            (rc = frame_take_rows(&r->features, split.test, split.ntest, &valid, r->err)) ||
            (rc = take_target(r->y, split.train, split.ntrain, &fit_y, r->err)) ||
            (rc = take_target(r->y, split.test, split.ntest, &valid_y, r->err))) {
            schema_free(schema);
            goto done;
        }
        r->valid_rows = split.ntest;
    }
    mdl_train_spec ts = {
        .kind = (mdl_kind)s->model.kind,
        .params = r->params,
        .nparams = r->nparams,
        .progress = r->hooks ? r->hooks->progress : NULL,
        .progress_ctx = r->hooks ? r->hooks->progress_ctx : NULL,
    };
    rc = mdl_train(schema, holdout ? &fit : &r->features, holdout ? fit_y : r->y, NULL,
                   holdout ? &valid : NULL, valid_y, &ts, out, r->err);
    if (rc)
        at_line(r, s->model.line, "model");
done:
    frame_free(&fit);
    frame_free(&valid);
    free(fit_y);
    free(valid_y);
    spl_result_free(&split);
    return rc;
}

typedef struct ranked {
    double score;
    size_t k;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* Importance of each feature: the model's total gain, or, for a linear
 * model (which has none), the gain of a default gbdt fitted to rank. */
static int importance(run *r, mdl_model *m, double *score)
{
    const double *gain = mdl_importance_gain(m);
    mdl_model *ranker = NULL;
    if (!gain) {
        mdl_schema *schema;
        int rc = fp_feature_schema(r->pipeline, r->base, &schema, r->err);
        mdl_train_spec ts = {.kind = MDL_KIND_GBDT};
        if (rc ||
            (rc = mdl_train(schema, &r->features, r->y, NULL, NULL, NULL, &ts, &ranker, r->err)))
            return rc;
        gain = mdl_importance_gain(ranker);
    }
    for (size_t k = 0; k < fp_noutputs(r->pipeline); k++)
        score[k] = gain[k];
    mdl_free(ranker);
    return ML_OK;
}

/* Selection by importance: fit, keep the top k, refit. */
static int select_by_importance(run *r)
{
    const fp_select *sel = &r->spec->features.select;
    size_t m = fp_noutputs(r->pipeline);
    if (sel->method != FP_SELECT_IMPORTANCE || (size_t)sel->top_k >= m)
        return ML_OK;
    double *score = malloc(m * sizeof *score);
    ranked *rank = malloc(m * sizeof *rank);
    bool *keep = malloc(m * sizeof *keep);
    int rc = score && rank && keep ? ML_OK : ml_err(r->err, ML_ENOMEM, "out of memory");
    if (!rc)
        rc = importance(r, r->model, score);
    if (!rc) {
        for (size_t k = 0; k < m; k++)
            rank[k] = (ranked){score[k], k};
        qsort(rank, m, sizeof *rank, cmp_ranked);
        for (size_t k = 0; k < m; k++)
            keep[k] = false;
        for (size_t i = 0; i < (size_t)sel->top_k; i++)
            keep[rank[i].k] = true;
        for (size_t i = (size_t)sel->top_k; i < m && !rc; i++) {
            char why[160];
            snprintf(why, sizeof why, "importance %.4g, below the top %d", rank[i].score,
                     sel->top_k);
            rc = fp_note_dropped(r->pipeline, fp_output_name(r->pipeline, rank[i].k), why, r->err);
        }
    }
    if (!rc)
        rc = fp_restrict(r->pipeline, keep, &r->features, r->err);
    if (!rc) {
        mdl_free(r->model);
        r->model = NULL;
        rc = train_model(r, &r->model);
    }
    free(score);
    free(rank);
    free(keep);
    return rc;
}

static int fit_pipeline(run *r)
{
    const wf_spec *s = r->spec;
    stage(r, "fitting the feature pipeline");
    double t0 = now();
    fp_fit_spec fs = {
        .options = &s->features,
        .base = r->base,
        .y = r->y_train,
        .linear = s->model.kind == MDL_KIND_LINEAR,
        .seed = s->split.seed,
        .options_file = s->path,
    };
    size_t *kept = NULL, nkept = 0;
    int rc = fp_fit(&fs, r->train, &r->pipeline, &r->features, &kept, &nkept, r->err);
    if (!rc)
        rc = take_target(r->y_train, kept, nkept, &r->y, r->err);
    r->outliers = tbl_nrows(r->train) - nkept;
    free(kept);
    r->t_pipeline = now() - t0;
    return rc;
}

static json_t *params_json(const run *r)
{
    json_t *o = json_object();
    for (size_t i = 0; i < r->nparams; i++)
        json_object_set_new(o, r->params[i].key, json_string(r->params[i].value));
    return o;
}

static json_t *summary_json(run *r, json_t *metrics)
{
    const wf_spec *s = r->spec;
    static const char *methods[] = {"random", "stratified", "time", "group"};
    int method = s->split.method >= 0                        ? s->split.method
                 : mdl_task_is_classification(r->base->task) ? SPL_STRATIFIED
                                                             : SPL_RANDOM;
    char when[32], shown[1024];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    src_display_uri(s->data.source, shown, sizeof shown);
    json_t *split =
        json_pack("{s:s,s:f,s:I,s:I,s:I}", "method", methods[method], "test", s->split.test, "seed",
                  (json_int_t)s->split.seed, "train_rows", (json_int_t)tbl_nrows(r->train),
                  "test_rows", (json_int_t)tbl_nrows(r->test));
    if (s->split.column)
        json_object_set_new(split, "column", json_string(s->split.column));
    const mdl_model *m = r->model;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "mloop_version", json_string(mloop_version()));
    json_object_set_new(o, "created", json_string(when));
    json_object_set_new(o, "workflow", json_string(s->path));
    json_object_set_new(o, "model", json_string(mdl_kind_name(m->kind)));
    json_object_set_new(o, "task", json_string(mdl_task_name(m->schema->task)));
    json_object_set_new(o, "target", json_string(s->target));
    json_object_set_new(o, "data", json_string(shown));
    json_object_set_new(o, "rows", json_integer((json_int_t)r->nrows));
    json_object_set_new(o, "split", split);
    json_object_set_new(o, "outliers_dropped", json_integer((json_int_t)r->outliers));
    json_object_set_new(o, "inputs", json_integer((json_int_t)mdl_inputs(m)->nfeatures));
    json_object_set_new(o, "features", json_integer((json_int_t)m->schema->nfeatures));
    json_object_set_new(o, "train_rows", json_integer((json_int_t)r->features.nrows));
    json_object_set_new(o, "valid_rows", json_integer((json_int_t)r->valid_rows));
    json_object_set_new(o, "params", params_json(r));
    if (m->gbdt) {
        json_object_set_new(o, "rounds", json_integer((json_int_t)m->gbdt->rounds));
        json_object_set_new(o, "best_round", json_integer((json_int_t)m->gbdt->best_round));
    }
    json_object_set_new(o, "test_metrics", metrics);
    json_object_set_new(o, "importance", mdl_summary_importance(m));
    if (m->linear)
        json_object_set_new(o, "coefficients", mdl_summary_coefficients(m));
    json_object_set_new(o, "pipeline", fp_describe(m->pipeline));
    json_object_set_new(o, "timings",
                        json_pack("{s:f,s:f,s:f,s:f}", "load_s", r->t_load, "pipeline_s",
                                  r->t_pipeline, "train_s", r->t_train, "evaluate_s", r->t_eval));
    json_t *timings = json_object_get(o, "timings");
    if (r->spec->cv.present || r->t_cv > 0)
        json_object_set_new(timings, "cv_s", json_real(r->t_cv));
    if (r->spec->tune.present)
        json_object_set_new(timings, "tune_s", json_real(r->t_tune));
    return o;
}

/* The test rows through the model: the task's metrics, and when details
 * is non-NULL the confusion matrix, per-class report or residual
 * quantiles too. */
static int evaluate(run *r, json_t **metrics, json_t **details)
{
    stage(r, "evaluating on the test rows");
    double t0 = now();
    mdl_frame in = {0};
    double *pred = NULL;
    size_t K = 1;
    ev_eval e = {0};
    const mdl_schema *s = r->model->schema;
    int rc = frame_build(mdl_inputs(r->model), r->test, &in, r->err);
    if (!rc)
        rc = ev_scores(r->model, &in, &pred, &K, r->err);
    for (size_t i = 0; !rc && r->oof_dst && K == 1 && i < in.nrows; i++)
        r->oof_dst[r->oof_rows[i]] = pred[i];
    if (!rc)
        rc = ev_evaluate(s->task, s->nclasses, r->y_test, pred, NULL, in.nrows, r->model->threshold,
                         &e, r->err);
    if (!rc) {
        *metrics = ev_metrics_json(&e);
        if (details)
            *details = ev_json(&e, (const char *const *)s->classes);
        if (!*metrics || (details && !*details))
            rc = ml_err(r->err, ML_ENOMEM, "out of memory");
    }
    ev_free(&e);
    if (!rc && r->keep_test) { /* the report's arrays: handed over, not copied */
        *r->keep_test = (wf_test_rows){r->y_test, pred, in.nrows, K};
        r->y_test = NULL;
        pred = NULL;
    }
    free(pred);
    frame_free(&in);
    r->t_eval = now() - t0;
    return rc;
}

/* Fits the pipeline on r->train, trains (selecting by importance when
 * asked: fit, rank, refit) and hands the pipeline to the model. */
static int fit_all(run *r)
{
    int rc = fit_pipeline(r);
    if (rc)
        return rc;
    stage(r, "training");
    double t0 = now();
    if ((rc = train_model(r, &r->model)) || (rc = select_by_importance(r)))
        return rc;
    r->t_train = now() - t0;
    mdl_attach_pipeline(r->model, r->pipeline);
    r->pipeline = NULL;
    return ML_OK;
}

/* Frees what a run owns; a fold's run borrows base and params. */
static void run_release(run *r, bool borrowed)
{
    mdl_free(r->model);
    fp_free(r->pipeline);
    frame_free(&r->features);
    tbl_free(r->train);
    tbl_free(r->test);
    free(r->y_train);
    free(r->y_test);
    free(r->y);
    free(r->oof);
    if (!borrowed) {
        schema_free(r->base);
        free(r->params);
    }
    memset(r, 0, sizeof *r);
}

/* k folds of the rows of t (targets y) by the spec's cv method. */
static int make_folds(const run *r, const tbl_table *t, const double *y, int k, spl_folds *folds)
{
    const wf_spec *s = r->spec;
    bool classification = mdl_task_is_classification(r->base->task);
    static const spl_cv_method methods[] = {SPL_CV_KFOLD, SPL_CV_STRATIFIED, SPL_CV_GROUP,
                                            SPL_CV_TIME};
    spl_cv_spec cs = {
        .method = s->cv.method >= 0 ? methods[s->cv.method]
                  : classification  ? SPL_CV_STRATIFIED
                                    : SPL_CV_KFOLD,
        .folds = k,
        .repeats = s->cv.repeats,
        .shuffle = false, /* set below: group and time folds have one answer */
        .seed = s->split.seed,
        .y = y,
        .nclasses = r->base->nclasses,
        .column = s->cv.column,
    };
    cs.shuffle = s->cv.shuffle && (cs.method == SPL_CV_KFOLD || cs.method == SPL_CV_STRATIFIED);
    if (cs.method == SPL_CV_STRATIFIED && !classification) {
        ml_err(r->err, ML_EINVAL, "method: stratified folds need a classification target");
        return at_line(r, s->cv.line, "cv");
    }
    int rc = spl_cv(t, tbl_nrows(t), &cs, folds, r->err);
    return rc ? at_line(r, s->cv.line, "cv") : ML_OK;
}

/* Mean and population standard deviation of each metric over the folds. */
static json_t *fold_summary(const json_t *folds)
{
    json_t *out = json_object();
    const json_t *first = json_object_get(json_array_get(folds, 0), "metrics");
    const char *key;
    json_t *unused;
    json_object_foreach((json_t *)first, key, unused)
    {
        double sum = 0, sq = 0;
        size_t n = json_array_size(folds);
        for (size_t i = 0; i < n; i++) {
            double v = json_real_value(
                json_object_get(json_object_get(json_array_get(folds, i), "metrics"), key));
            sum += v;
            sq += v * v;
        }
        double mean = sum / (double)n, var = sq / (double)n - mean * mean;
        json_object_set_new(out, key,
                            json_pack("{s:f,s:f}", "mean", mean, "std", var > 0 ? sqrt(var) : 0.0));
    }
    return out;
}

/* A fold's run: the rows of t (targets y) that fold names, the whole
 * pipeline fitted on its training rows.  fr borrows base and params. */
static int fit_fold(const run *r, const tbl_table *t, const double *y, const spl_result *fold,
                    run *fr)
{
    *fr = (run){.spec = r->spec,
                .hooks = r->hooks,
                .err = r->err,
                .base = r->base,
                .params = r->params,
                .nparams = r->nparams};
    int rc;
    if ((rc = tbl_take(t, fold->train, fold->ntrain, &fr->train, r->err)) ||
        (rc = tbl_take(t, fold->test, fold->ntest, &fr->test, r->err)) ||
        (rc = take_target(y, fold->train, fold->ntrain, &fr->y_train, r->err)) ||
        (rc = take_target(y, fold->test, fold->ntest, &fr->y_test, r->err)))
        return rc;
    return fit_all(fr);
}

/* Work runs side by side (each with a share of the cores) on small data; on
 * large data one piece at a time, with every core training. */
static int side_by_side(const run *r, int wanted)
{
    double cells = (double)tbl_nrows(r->train) * (double)tbl_ncols(r->train);
    int cores = omp_get_max_threads();
    int n = wanted > 0 ? wanted : cells <= 2e6 ? cores : 1;
    return n < 1 ? 1 : n;
}

/* One fold: fit on its training rows, score its held-out rows. */
static int run_fold(const run *r, const spl_folds *folds, size_t f, bool quiet, json_t **metrics,
                    ml_error *err)
{
    run parent = *r, fr;
    parent.err = err;
    if (quiet)
        parent.hooks = NULL;
    const spl_result *fold = &folds->folds[f];
    /* The first repeat's held-out predictions are where a threshold is
     * chosen; folds write disjoint rows, so they may run side by side. */
    bool first_repeat = f < folds->nfolds / (size_t)r->spec->cv.repeats;
    int rc = fit_fold(&parent, r->train, r->y_train, fold, &fr);
    if (!rc) {
        fr.oof_dst = first_repeat ? r->oof : NULL;
        fr.oof_rows = fold->test;
        rc = evaluate(&fr, metrics, NULL);
    }
    run_release(&fr, true);
    return rc;
}

/* Cross-validation on the training part: for each fold the whole pipeline
 * is fitted on the fold's training rows only and the model scored on the
 * rest, exactly as the final model is on the test rows. */
static int cross_validate(run *r, json_t **out)
{
    double t0 = now();
    spl_folds folds = {0};
    json_t **metrics = NULL, *rows = json_array();
    ml_error *errs = NULL;
    int *codes = NULL;
    int rc = rows ? make_folds(r, r->train, r->y_train, r->spec->cv.folds, &folds)
                  : ml_err(r->err, ML_ENOMEM, "out of memory");
    size_t nf = folds.nfolds, n = tbl_nrows(r->train);
    if (!rc &&
        (!(metrics = calloc(nf, sizeof *metrics)) || !(errs = calloc(nf, sizeof *errs)) ||
         !(codes = calloc(nf, sizeof *codes)) ||
         (r->base->task == MDL_TASK_BINARY && !(r->oof = malloc((n ? n : 1) * sizeof *r->oof)))))
        rc = ml_err(r->err, ML_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && r->oof && i < n; i++)
        r->oof[i] = NAN;
    int at_once = rc ? 1 : side_by_side(r, 0);
    if (at_once > (int)nf)
        at_once = (int)nf;
    if (!rc && at_once > 1) {
        char what[96];
        snprintf(what, sizeof what, "cross-validation: %zu folds, %d at once", nf, at_once);
        stage(r, what);
    }
    /* Side by side, each fold trains on one core (nested regions are
     * serial); one at a time, each fold uses them all. */
#pragma omp parallel for num_threads(at_once) schedule(dynamic, 1) if (at_once > 1)
    for (size_t f = 0; f < nf; f++) {
        if (rc)
            continue;
        if (at_once == 1) {
            char what[96];
            snprintf(what, sizeof what, "cross-validation: fold %zu of %zu", f + 1, nf);
            stage(r, what);
        }
        codes[f] = run_fold(r, &folds, f, at_once > 1, &metrics[f], &errs[f]);
    }
    for (size_t f = 0; !rc && f < nf; f++)
        if (codes[f]) {
            *r->err = errs[f];
            rc = ml_err_prefix(r->err, "cross-validation fold %zu", f + 1);
        }
    for (size_t f = 0; f < nf; f++) {
        const spl_result *fold = &folds.folds[f];
        if (!rc)
            json_array_append_new(rows,
                                  json_pack("{s:I,s:I,s:I,s:o}", "fold", (json_int_t)f + 1,
                                            "train_rows", (json_int_t)fold->ntrain, "test_rows",
                                            (json_int_t)fold->ntest, "metrics", metrics[f]));
        else
            json_decref(metrics ? metrics[f] : NULL);
    }
    spl_folds_free(&folds);
    free(metrics);
    free(errs);
    free(codes);
    if (rc) {
        json_decref(rows);
        return rc;
    }
    *out = json_pack("{s:I,s:o,s:o}", "folds", (json_int_t)json_array_size(rows), "mean_std",
                     fold_summary(rows), "per_fold", rows);
    r->t_cv = now() - t0;
    return *out ? ML_OK : ml_err(r->err, ML_ENOMEM, "out of memory");
}

/* ---- the decision threshold ------------------------------------------------------ */

/* Chooses the binary decision threshold the spec asks for on the
 * out-of-fold predictions of the training part (never on the test rows,
 * whose metrics would then be optimistic). */
static int choose_threshold(run *r, json_t **out)
{
    const wf_spec *s = r->spec;
    static const char *const names[] = {"fixed", "f1", "youden", "precision", "recall", "cost"};
    if (r->base->task != MDL_TASK_BINARY) {
        ml_err(r->err, ML_EINVAL, "a decision threshold needs a binary target; '%s' is %s",
               s->target, mdl_task_name(r->base->task));
        return at_line(r, s->threshold.line, "threshold");
    }
    met_choice c = {
        .threshold = s->threshold.value, .value = NAN, .precision = NAN, .recall = NAN, .fpr = NAN};
    int rc = ML_OK;
    if (s->threshold.method != WF_THRESHOLD_FIXED) {
        size_t n = tbl_nrows(r->train), m = 0;
        double *y = malloc((n ? n : 1) * sizeof *y), *p = malloc((n ? n : 1) * sizeof *p);
        if (!y || !p)
            rc = ml_err(r->err, ML_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < n; i++)
            if (r->oof[i] == r->oof[i]) {
                y[m] = r->y_train[i];
                p[m++] = r->oof[i];
            }
        switch (rc ? -1 : s->threshold.method) {
        case WF_THRESHOLD_F1:
            rc = met_choose_max_f1(y, p, NULL, m, &c, r->err);
            break;
        case WF_THRESHOLD_YOUDEN:
            rc = met_choose_youden(y, p, NULL, m, &c, r->err);
            break;
        case WF_THRESHOLD_PRECISION:
            rc = met_choose_precision(y, p, NULL, m, s->threshold.target, &c, r->err);
            break;
        case WF_THRESHOLD_RECALL:
            rc = met_choose_recall(y, p, NULL, m, s->threshold.target, &c, r->err);
            break;
        case WF_THRESHOLD_COST:
            rc = met_choose_min_cost(y, p, NULL, m, s->threshold.cost_fp, s->threshold.cost_fn, &c,
                                     r->err);
            break;
        default:
            break;
        }
        free(y);
        free(p);
        if (rc)
            return at_line(r, s->threshold.line, "threshold");
        if (!(c.threshold >= 0 && c.threshold <= 1)) {
            ml_err(r->err, ML_EINVAL,
                   "no threshold reaches the %s asked for on the out-of-fold predictions",
                   names[s->threshold.method]);
            return at_line(r, s->threshold.line, "threshold");
        }
    }
    r->threshold = c.threshold;
    *out = json_pack(
        "{s:s,s:f,s:s}", "method", names[s->threshold.method], "value", c.threshold, "chosen_on",
        s->threshold.method == WF_THRESHOLD_FIXED ? "the workflow"
                                                  : "out-of-fold predictions of the training part");
    if (*out && s->threshold.method != WF_THRESHOLD_FIXED)
        json_object_update_new(*out,
                               json_pack("{s:f,s:f,s:f,s:f}", "criterion", c.value, "precision",
                                         c.precision, "recall", c.recall, "fpr", c.fpr));
    return *out ? ML_OK : ml_err(r->err, ML_ENOMEM, "out of memory");
}

/* ---- tuning ------------------------------------------------------------------- */

typedef struct tune_ctx {
    const run *r; /* the training part: read only while trials run */
    met_id metric;
    size_t *order; /* a seeded permutation of its rows: a budget takes a prefix */
} tune_ctx;

/* The file's parameters with a trial's values over them, by name; keys and
 * values are borrowed. */
static param_kv *merge_params(const run *r, const param_kv *over, size_t nover, size_t *n)
{
    param_kv *kv = malloc((r->nparams + nover + 1) * sizeof *kv);
    if (!kv)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < r->nparams; i++) {
        bool replaced = false;
        for (size_t j = 0; j < nover && !replaced; j++)
            replaced = strcmp(r->params[i].key, over[j].key) == 0;
        if (!replaced)
            kv[m++] = r->params[i];
    }
    for (size_t j = 0; j < nover; j++)
        kv[m++] = over[j];
    *n = m;
    return kv;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The metric on a fitted fold's held-out rows. */
static int fold_score(run *fr, met_id metric, double *score)
{
    mdl_frame in = {0};
    double *pred = NULL;
    size_t K = 1;
    int rc = frame_build(mdl_inputs(fr->model), fr->test, &in, fr->err);
    if (!rc)
        rc = ev_scores(fr->model, &in, &pred, &K, fr->err);
    if (!rc)
        *score = met_compute(metric, fr->y_test, pred, K, NULL, in.nrows, 0.5);
    free(pred);
    frame_free(&in);
    return rc;
}

/* The search's objective: the metric's mean and standard deviation over
 * tune.cv folds of the first budget share of the (shuffled) training rows,
 * with the trial's parameters.  Thread-safe: everything it changes is its
 * own. */
static int tune_objective(void *ctx, const param_kv *params, size_t nparams, double budget,
                          int threads, double *score, double *sd, ml_error *err)
{
    const tune_ctx *tc = ctx;
    const run *r = tc->r;
    omp_set_num_threads(threads);
    size_t n = tbl_nrows(r->train), k = (size_t)r->spec->tune.cv;
    /* The budget is a share of the rows, or of the boosting rounds. */
    param_kv rounds[1];
    char rounds_text[32];
    if (r->spec->tune.budget_rounds) {
        long full = 100; /* gbdt's default n_estimators */
        for (size_t i = 0; i < r->nparams; i++)
            if (strcmp(r->params[i].key, "n_estimators") == 0)
                full = atol(r->params[i].value);
        for (size_t i = 0; i < nparams; i++)
            if (strcmp(params[i].key, "n_estimators") == 0)
                full = atol(params[i].value);
        long use = (long)ceil(budget * (double)full);
        snprintf(rounds_text, sizeof rounds_text, "%ld", use < 1 ? 1 : use);
        rounds[0] = (param_kv){"n_estimators", rounds_text};
        budget = 1.0;
    }
    size_t m = (size_t)ceil(budget * (double)n);
    m = m < 4 * k ? (n < 4 * k ? n : 4 * k) : m;
    run sub = {.spec = r->spec, .err = err, .base = r->base};
    spl_folds folds = {0};
    size_t *rows = malloc(m * sizeof *rows);
    sub.params = merge_params(r, params, nparams, &sub.nparams);
    if (sub.params && r->spec->tune.budget_rounds) { /* the rounds override goes last */
        run tmp = {.params = sub.params, .nparams = sub.nparams};
        param_kv *with_rounds = merge_params(&tmp, rounds, 1, &sub.nparams);
        free(sub.params);
        sub.params = with_rounds;
    }
    int rc = rows && sub.params ? ML_OK : ml_err(err, ML_ENOMEM, "out of memory");
    if (!rc) {
        memcpy(rows, tc->order, m * sizeof *rows);
        qsort(rows, m, sizeof *rows, cmp_size); /* table order, as time folds need */
        if (!(rc = tbl_take(r->train, rows, m, &sub.train, err)) &&
            !(rc = take_target(r->y_train, rows, m, &sub.y_train, err)))
            rc = make_folds(&sub, sub.train, sub.y_train, (int)k, &folds);
    }
    double sum = 0, sq = 0;
    for (size_t f = 0; f < folds.nfolds && !rc; f++) {
        run fr;
        double v = NAN;
        if (!(rc = fit_fold(&sub, sub.train, sub.y_train, &folds.folds[f], &fr)))
            rc = fold_score(&fr, tc->metric, &v);
        run_release(&fr, true);
        sum += v;
        sq += v * v;
    }
    if (!rc) {
        double nf = (double)folds.nfolds, mean = sum / nf, var = sq / nf - mean * mean;
        *score = mean;
        *sd = var > 0 ? sqrt(var) : 0.0;
    }
    spl_folds_free(&folds);
    free(rows);
    free(sub.params);
    sub.params = NULL;
    run_release(&sub, true);
    return rc;
}

static met_id default_metric(mdl_task task)
{
    return task == MDL_TASK_BINARY       ? MET_AUC
           : task == MDL_TASK_MULTICLASS ? MET_MULTI_LOGLOSS
                                         : MET_RMSE;
}

static int trials_at_once(const run *r)
{
    return side_by_side(r, r->spec->tune.parallel);
}

/* Searches the spec's space, then leaves the best parameters in r->params
 * (values borrowed from *result, which the caller frees after the refit). */
static int tune(run *r, tn_result *result, json_t **out)
{
    const wf_spec *s = r->spec;
    static const char *const methods[] = {"grid", "random", "halving"};
    tune_ctx tc = {.r = r, .metric = default_metric(r->base->task)};
    if (s->tune.metric && met_parse(s->tune.metric, &tc.metric, r->err))
        return at_line(r, s->tune.line, "tune.metric");
    tn_spec ts = {.space = s->tune.space,
                  .nspace = s->tune.nspace,
                  .trials = s->tune.trials,
                  .seed = s->split.seed,
                  .higher_is_better = met_higher_is_better(tc.metric),
                  .time_budget_s = s->tune.time_budget,
                  .parallel = trials_at_once(r),
                  /* scikit-learn's min_resources="exhaust": the last rung, at the
                   * whole budget, still compares ceil(trials / 3^k) candidates */
                  .factor = 3,
                  .min_budget = pow(3.0, -floor(log((double)s->tune.trials) / log(3.0) + 1e-9)),
                  .total_threads = omp_get_max_threads()};
    for (int i = 0; i < 3; i++)
        if (strcmp(s->tune.method, methods[i]) == 0)
            ts.method = (tn_method)i;
    size_t n = tbl_nrows(r->train);
    if (!(tc.order = malloc((n ? n : 1) * sizeof *tc.order)))
        return ml_err(r->err, ML_ENOMEM, "out of memory");
    ml_rng rng;
    ml_rng_seed(&rng, s->split.seed ^ 0x74756e65u);
    for (size_t i = 0; i < n; i++) {
        size_t j = (size_t)ml_rng_below(&rng, i + 1);
        tc.order[i] = tc.order[j];
        tc.order[j] = i;
    }
    char what[160];
    snprintf(what, sizeof what, "tuning: %s search, %d trials, %d-fold cv, %d at once",
             s->tune.method, s->tune.trials, s->tune.cv, ts.parallel);
    stage(r, what);
    double t0 = now();
    int rc = tn_run(&ts, tune_objective, &tc, result, r->err);
    r->t_tune = now() - t0;
    omp_set_num_threads(ts.total_threads);
    free(tc.order);
    if (rc)
        return at_line(r, s->tune.line, "tune");
    const tn_trial *best = &result->trials[result->best];
    param_kv *over = malloc((s->tune.nspace ? s->tune.nspace : 1) * sizeof *over);
    if (!over)
        return ml_err(r->err, ML_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->tune.nspace; i++)
        over[i] = (param_kv){s->tune.space[i].name, best->values[i]};
    size_t np;
    param_kv *merged = merge_params(r, over, s->tune.nspace, &np);
    free(over);
    if (!merged)
        return ml_err(r->err, ML_ENOMEM, "out of memory");
    free(r->params);
    r->params = merged;
    r->nparams = np;
    json_t *o = tn_result_json(&ts, result);
    if (o) {
        json_object_set_new(o, "metric", json_string(met_name(tc.metric)));
        json_object_set_new(o, "method", json_string(s->tune.method));
        json_object_set_new(o, "cv", json_integer(s->tune.cv));
        json_t *logs = json_array(); /* for reports: which axes are logarithmic */
        for (size_t i = 0; i < s->tune.nspace; i++)
            if (s->tune.space[i].kind == WF_TUNE_LOG)
                json_array_append_new(logs, json_string(s->tune.space[i].name));
        json_object_set_new(o, "log", logs);
    }
    *out = o;
    return o ? ML_OK : ml_err(r->err, ML_ENOMEM, "out of memory");
}

int wf_train(const wf_spec *spec, const wf_hooks *hooks, mdl_model **model, json_t **summary,
             wf_test_rows *test, ml_error *err)
{
    if (test)
        *test = (wf_test_rows){0};
    *model = NULL;
    *summary = NULL;
    run r = {.spec = spec, .hooks = hooks, .err = err, .threshold = NAN};
    /* A chosen threshold comes from out-of-fold predictions: cross-validation
     * runs for it even when the file does not ask for it. */
    bool needs_cv = spec->cv.present ||
                    (spec->threshold.present && spec->threshold.method != WF_THRESHOLD_FIXED);
    json_t *metrics = NULL, *details = NULL, *cv = NULL, *tuned = NULL, *threshold = NULL;
    tn_result trials = {0};
    int rc = (r.params = calloc(spec->model.nparams + 1, sizeof *r.params))
                 ? ML_OK
                 : ml_err(err, ML_ENOMEM, "out of memory");
    for (size_t i = 0; i < spec->model.nparams && !rc; i++)
        r.params[i] = (param_kv){spec->model.params[i].key, spec->model.params[i].value};
    r.nparams = spec->model.nparams;
    if (rc || (rc = load_and_split(&r)) ||
        (spec->tune.present && (rc = tune(&r, &trials, &tuned))) ||
        (needs_cv && (rc = cross_validate(&r, &cv))) ||
        (spec->threshold.present && (rc = choose_threshold(&r, &threshold))) || (rc = fit_all(&r)))
        goto done;
    r.model->threshold = r.threshold;
    r.keep_test = test;
    if ((rc = evaluate(&r, &metrics, &details)))
        goto done;
    json_t *o = summary_json(&r, metrics);
    if (o && cv)
        json_object_set(o, "cv", cv);
    if (o && details)
        json_object_set(o, "test_evaluation", details);
    if (o && tuned)
        json_object_set(o, "tune", tuned);
    if (o && threshold) {
        json_object_set(o, "threshold", threshold);
        json_object_set_new(o, "decision_threshold", json_real(r.threshold));
    }
    char *meta = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if (!meta) {
        json_decref(o);
        rc = ml_err(err, ML_ENOMEM, "out of memory");
        goto done;
    }
    mdl_set_metadata(r.model, meta);
    *summary = o;
    *model = r.model;
    r.model = NULL;
done:
    json_decref(cv);
    json_decref(tuned);
    json_decref(threshold);
    json_decref(details);
    run_release(&r, false);
    tn_result_free(&trials);
    return rc;
}
