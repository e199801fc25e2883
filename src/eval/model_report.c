/*
 * model_report.c — a model's evaluation as an HTML report (model_report.h).
 *
 * The report module draws what it is given; this file gathers it: the
 * evaluation's arrays go in as they are (ev_report), and the parts that
 * come from the artifact — importance from the model, cross-validation
 * folds and tuning trials from the training's metadata JSON — are turned
 * into the report's arrays here.  Missing or malformed metadata just
 * leaves its section out: a report never fails for want of history.
 */
#include "eval/model_report.h"

#include "data/source.h"
#include "eval/report.h"
#include "models/summary.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the report shows besides the evaluation, and the memory behind it. */
typedef struct extras {
    json_t *meta, *importance;
    const char **names, **cv_names;
    double *values, *cv_values;
    const char **param_names, **trial_text;
    double *param_values, *trial_numbers; /* trial_numbers: score, std, seconds per trial */
    bool *log_scale;
    char *trial_text_buf;
} extras;

static void extras_free(extras *x)
{
    json_decref(x->meta);
    json_decref(x->importance);
    free(x->names);
    free(x->values);
    free(x->cv_names);
    free(x->cv_values);
    free(x->param_names);
    free(x->param_values);
    free(x->log_scale);
    free(x->trial_text);
    free(x->trial_text_buf);
    free(x->trial_numbers);
}

static void add_importance(const mdl_model *m, rpt_report *r, extras *x)
{
    x->importance = mdl_summary_importance(m);
    size_t n = json_array_size(x->importance);
    x->names = calloc(n ? n : 1, sizeof *x->names);
    x->values = calloc(n ? n : 1, sizeof *x->values);
    if (x->names && x->values) {
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(x->importance, i);
            x->names[i] = json_string_value(json_object_get(e, "input"));
            x->values[i] = json_real_value(json_object_get(e, "gain"));
        }
        r->importance = (rpt_importance){x->names, x->values, n, "gain"};
    }
}

/* The training's cross-validation folds, from the metadata. */
static void add_cv(rpt_report *r, extras *x)
{
    const json_t *folds = json_object_get(json_object_get(x->meta, "cv"), "per_fold");
    size_t nf = json_array_size(folds);
    const json_t *first = json_object_get(json_array_get(folds, 0), "metrics");
    size_t nm = json_object_size(first);
    if (!nf || !nm || !(x->cv_names = calloc(nm, sizeof *x->cv_names)) ||
        !(x->cv_values = calloc(nf * nm, sizeof *x->cv_values)))
        return;
    const char *key;
    json_t *unused;
    size_t k = 0;
    json_object_foreach((json_t *)first, key, unused)
    {
        x->cv_names[k] = key;
        for (size_t f = 0; f < nf; f++) {
            const json_t *v =
                json_object_get(json_object_get(json_array_get(folds, f), "metrics"), key);
            x->cv_values[f * nm + k] = json_is_number(v) ? json_number_value(v) : NAN;
        }
        k++;
    }
    r->cv = (rpt_cv){
        .metric_names = x->cv_names, .n_metrics = nm, .n_folds = nf, .values = x->cv_values};
}

/* The tuning trials from the metadata: one chart per numeric parameter. */
static void add_tuning(rpt_report *r, extras *x)
{
    const json_t *tune = json_object_get(x->meta, "tune");
    const json_t *trials = json_object_get(tune, "trials");
    const json_t *best = json_object_get(tune, "best_params");
    size_t nt = json_array_size(trials), np = json_object_size(best);
    if (!nt || !np)
        return;
    x->param_names = calloc(np, sizeof *x->param_names);
    x->log_scale = calloc(np, sizeof *x->log_scale);
    x->param_values = calloc(nt * np, sizeof *x->param_values);
    x->trial_numbers = calloc(3 * nt, sizeof *x->trial_numbers);
    x->trial_text = calloc(nt, sizeof *x->trial_text);
    x->trial_text_buf = calloc(nt, 256);
    if (!x->param_names || !x->log_scale || !x->param_values || !x->trial_numbers ||
        !x->trial_text || !x->trial_text_buf)
        return;
    const char *key;
    json_t *value;
    size_t p = 0;
    const json_t *logs = json_object_get(tune, "log");
    json_object_foreach((json_t *)best, key, value)
    {
        x->param_names[p] = key;
        for (size_t i = 0; i < json_array_size(logs); i++)
            if (json_is_string(json_array_get(logs, i)) &&
                strcmp(json_string_value(json_array_get(logs, i)), key) == 0)
                x->log_scale[p] = true;
        p++;
    }
    size_t best_trial = nt;
    for (size_t t = 0; t < nt; t++) {
        const json_t *trial = json_array_get(trials, t), *params = json_object_get(trial, "params");
        char *text = x->trial_text_buf + 256 * t;
        size_t used = 0;
        for (p = 0; p < np; p++) {
            const json_t *v = json_object_get(params, x->param_names[p]);
            x->param_values[t * np + p] = json_is_number(v) ? json_number_value(v) : NAN;
            char shown[64] = "?";
            if (json_is_string(v))
                snprintf(shown, sizeof shown, "%s", json_string_value(v));
            else if (json_is_number(v))
                snprintf(shown, sizeof shown, "%.6g", json_number_value(v));
            int w = snprintf(text + used, 256 - used, "%s%s=%s", p ? " " : "", x->param_names[p],
                             shown);
            if (w > 0 && (size_t)w < 256 - used)
                used += (size_t)w;
        }
        x->trial_text[t] = text;
        const json_t *score = json_object_get(trial, "score"), *sd = json_object_get(trial, "std");
        x->trial_numbers[t] = json_is_number(score) ? json_number_value(score) : NAN;
        x->trial_numbers[nt + t] = json_is_number(sd) ? json_number_value(sd) : NAN;
        x->trial_numbers[2 * nt + t] = json_real_value(json_object_get(trial, "seconds"));
        if (json_is_true(json_object_get(trial, "best")))
            best_trial = t;
    }
    r->tuning = (rpt_tuning){.param_names = x->param_names,
                             .n_params = np,
                             .param_values = x->param_values,
                             .log_scale = x->log_scale,
                             .trial_params = x->trial_text,
                             .score = x->trial_numbers,
                             .score_std = x->trial_numbers + nt,
                             .seconds = x->trial_numbers + 2 * nt,
                             .n_trials = nt,
                             .score_name = json_string_value(json_object_get(tune, "metric")),
                             .has_best = best_trial < nt,
                             .best = best_trial < nt ? best_trial : 0};
}

int ev_write_model_report(const mdl_model *m, const ev_eval *e, const char *title, const char *data,
                          const char *path, ml_error *err)
{
    rpt_report r = {0};
    rpt_metric metrics[EV_MAX_METRICS];
    double *scratch = NULL;
    extras x = {0};
    char shown[1024], when[32];
    src_display_uri(data, shown, sizeof shown);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    r.title = title;
    r.model = mdl_kind_name(m->kind);
    r.task = mdl_task_name(m->schema->task);
    r.data_source = shown;
    r.date = when;
    int rc = ev_report(e, (const char *const *)m->schema->classes, &r, metrics, &scratch, err);
    if (!rc) {
        add_importance(m, &r, &x);
        x.meta = m->metadata ? json_loads(m->metadata, 0, NULL) : NULL;
        add_cv(&r, &x);
        add_tuning(&r, &x);
        rc = rpt_write_html(&r, path, err);
    }
    extras_free(&x);
    free(scratch);
    return rc;
}
