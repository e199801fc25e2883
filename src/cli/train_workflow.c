/*
 * train_workflow.c — `mloop train WORKFLOW.yaml`: the workflow form of
 * train.  The file is read and validated completely (with the --set
 * overrides) before any data is read, so a typo costs nothing; then the
 * runner trains and this file saves the artifact and reports.
 */
#include "cli/cli.h"

#include "eval/model_report.h"
#include "workflow/runner.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SETS = 256 };

typedef struct wf_progress {
    double start;
} wf_progress;

static void on_stage(void *ctx, const char *what)
{
    (void)ctx;
    cli_progress("%s", what);
}

static void on_round(void *ctx, int round, int rounds, const char *metric, double valid)
{
    wf_progress *ps = ctx;
    double elapsed = cli_now() - ps->start;
    double eta = round > 0 ? elapsed / round * (rounds - round) : 0;
    if (isnan(valid))
        cli_progress("training: round %d/%d  ETA %.0fs", round, rounds, eta);
    else
        cli_progress("training: round %d/%d  valid %s %.6g  ETA %.0fs", round, rounds, metric,
                     valid, eta);
}

/* The search's trials, the last rung first (at most
 * `limit` rows; 0: all). */
static void print_trials(const json_t *tune, size_t limit)
{
    const json_t *trials = json_object_get(tune, "trials");
    size_t n = json_array_size(trials), shown = 0;
    printf("\ntuning: %s search, %zu trials, %s by %lld-fold cv; best %.6g with",
           json_string_value(json_object_get(tune, "method")), n,
           json_string_value(json_object_get(tune, "metric")),
           (long long)json_integer_value(json_object_get(tune, "cv")),
           json_real_value(json_object_get(tune, "best_score")));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json_object_get(tune, "best_params"), key, value)
    {
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        printf(" %s=%s", key, text ? text : "?");
        free(text);
    }
    printf("\n  %4s %4s %7s  %-40s %s\n", "id", "rung", "budget", "params", "score ± std (s)");
    for (size_t i = n; i-- > 0 && (!limit || shown < limit); shown++) {
        const json_t *t = json_array_get(trials, i);
        char params[512] = "";
        size_t used = 0;
        json_object_foreach((json_t *)json_object_get(t, "params"), key, value)
        {
            char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
            int w = snprintf(params + used, sizeof params - used, "%s%s=%s", used ? " " : "", key,
                             text ? text : "?");
            free(text);
            if (w > 0 && (size_t)w < sizeof params - used)
                used += (size_t)w;
        }
        printf("%s %4lld %4lld %7.3g  %-40s ", json_is_true(json_object_get(t, "best")) ? "*" : " ",
               (long long)json_integer_value(json_object_get(t, "id")),
               (long long)json_integer_value(json_object_get(t, "rung")),
               json_real_value(json_object_get(t, "budget")), params);
        if (json_is_true(json_object_get(t, "failed")))
            printf("failed: %s\n", json_string_value(json_object_get(t, "error")));
        else
            printf("%.6g ± %.2g (%.2fs)\n", json_real_value(json_object_get(t, "score")),
                   json_real_value(json_object_get(t, "std")),
                   json_real_value(json_object_get(t, "seconds")));
    }
    if (shown < n)
        printf("  (%zu more in --json)\n", n - shown);
}

static void print_summary(const json_t *s, const char *out, const char *sha, bool all_trials)
{
    const json_t *split = json_object_get(s, "split");
    printf("trained %s (%s) for '%s' on %lld of %lld rows (%s split, %lld test rows)\n",
           json_string_value(json_object_get(s, "model")),
           json_string_value(json_object_get(s, "task")),
           json_string_value(json_object_get(s, "name")),
           (long long)json_integer_value(json_object_get(split, "train_rows")),
           (long long)json_integer_value(json_object_get(s, "rows")),
           json_string_value(json_object_get(split, "method")),
           (long long)json_integer_value(json_object_get(split, "test_rows")));
    const json_t *pipe = json_object_get(s, "pipeline");
    printf("pipeline: %zu input columns -> %lld features",
           json_array_size(json_object_get(pipe, "inputs")),
           (long long)json_integer_value(json_object_get(s, "features")));
    size_t dropped = json_array_size(json_object_get(pipe, "dropped"));
    if (dropped)
        printf(" (%zu dropped by selection)", dropped);
    long long outliers = (long long)json_integer_value(json_object_get(s, "outliers_dropped"));
    if (outliers)
        printf(", %lld outlier rows dropped", outliers);
    const json_t *tune = json_object_get(s, "tune");
    if (tune)
        print_trials(tune, all_trials ? 0 : 5);
    const json_t *cv = json_object_get(s, "cv");
    const json_t *folds = json_object_get(cv, "mean_std");
    printf("\n%-20s %10s", "metric", "test");
    if (cv)
        printf("   cv mean ± std (%lld folds of the %lld training rows)",
               (long long)json_integer_value(json_object_get(cv, "folds")),
               (long long)json_integer_value(json_object_get(split, "train_rows")));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json_object_get(s, "test_metrics"), key, value)
    {
        printf("\n%-20s %10.6g", key, json_is_number(value) ? json_number_value(value) : NAN);
        const json_t *f = json_object_get(folds, key);
        if (f)
            printf("   %.6g ± %.2g", json_real_value(json_object_get(f, "mean")),
                   json_real_value(json_object_get(f, "std")));
    }
    const json_t *th = json_object_get(s, "threshold");
    if (th)
        printf("\ndecision threshold %.6g (%s, chosen on %s)",
               json_real_value(json_object_get(th, "value")),
               json_string_value(json_object_get(th, "method")),
               json_string_value(json_object_get(th, "chosen_on")));
    const json_t *imp = json_object_get(s, "importance");
    if (json_array_size(imp) > 0) {
        printf("\ntop features by gain:");
        for (size_t i = 0; i < json_array_size(imp) && i < 5; i++) {
            const json_t *e = json_array_get(imp, i);
            printf("%s %s (%.4g)", i ? "," : "", json_string_value(json_object_get(e, "input")),
                   json_real_value(json_object_get(e, "gain")));
        }
    }
    printf("\nwrote %s (sha256 %.12s...)\n", out, sha);
}

const char cmd_tune_usage[] =
    "usage: mloop tune WORKFLOW.yaml [--set key.path=value]... [--out FILE.mloop] [--json]\n"
    "                  [--report FILE.html] [--threads N]\n"
    "\n"
    "Searches the workflow's tune.space (grid, random or successive halving) by\n"
    "cross-validation on the training part, the whole pipeline fitted inside each\n"
    "fold; prints every trial, refits the best configuration on the whole training\n"
    "part, evaluates it on the test rows and writes the artifact (default FILE:\n"
    "<name>.mloop).  `mloop train` does the same when the file has a tune section,\n"
    "printing only the best trials.\n";

/* The HTML report of the test rows (eval/model_report.h). */
static int write_report(const wf_spec *spec, const mdl_model *m, const wf_test_rows *test,
                        const char *path, ml_error *err)
{
    ev_eval e;
    const mdl_schema *s = m->schema;
    int rc = ev_evaluate(s->task, s->nclasses, test->y, test->pred, NULL, test->n, m->threshold, &e,
                         err);
    if (rc)
        return rc;
    char title[256];
    snprintf(title, sizeof title, "%s — held-out test rows", spec->name);
    rc = ev_write_model_report(m, &e, title, spec->data.source, path, err);
    ev_free(&e);
    return rc;
}

static int run_workflow(int argc, char **argv, bool tune_command)
{
    const char *cmd = tune_command ? "tune" : "train";
    const char *path = argv[1], *out = NULL, *report = NULL;
    const char *sets[MAX_SETS] = {0}; /* zeroed: gcc 12 cannot see that only [0, nsets) is read */
    size_t nsets = 0;
    bool json = false;
    int threads = 0;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--json") == 0) {
            json = true;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error(cmd, "%s: option '%s' needs a value", cmd, opt);
        const char *v = argv[++i];
        if (strcmp(opt, "--set") == 0) {
            if (nsets == MAX_SETS)
                return cli_usage_error(cmd, "--set: at most %d overrides", MAX_SETS);
            sets[nsets++] = v;
        } else if (strcmp(opt, "--out") == 0) {
            out = v;
        } else if (strcmp(opt, "--report") == 0) {
            report = v;
        } else if (strcmp(opt, "--threads") == 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1024)
                return cli_usage_error(cmd, "--threads: expected 1..1024, got '%s'", v);
            threads = (int)n;
        } else {
            return cli_usage_error(cmd,
                                   "%s: unknown option '%s' (a workflow takes --set, --out, "
                                   "--report, --threads and --json)",
                                   cmd, opt);
        }
    }
    if (threads > 0)
        omp_set_num_threads(threads);
    ml_error err = {0};
    wf_spec *spec = NULL;
    mdl_model *model = NULL;
    json_t *summary = NULL;
    char *default_out = NULL;
    wf_test_rows test = {0};
    int rc = wf_spec_load(path, sets, nsets, &spec, &err);
    if (rc) /* a workflow that does not validate is an input error */
        return cli_fail(&err);
    if (tune_command && !spec->tune.present) {
        wf_spec_free(spec);
        return cli_usage_error("tune",
                               "tune: %s has no tune section (tune: {method, trials, cv, "
                               "metric, space})",
                               path);
    }
    if (!out) {
        if (asprintf(&default_out, "%s.mloop", spec->name) < 0) {
            default_out = NULL;
            rc = ml_err(&err, ML_ENOMEM, "out of memory");
            goto done;
        }
        out = default_out;
    }
    wf_progress ps = {.start = cli_now()};
    wf_hooks hooks = {on_round, &ps, on_stage, NULL};
    rc = wf_train(spec, &hooks, &model, &summary, report ? &test : NULL, &err);
    cli_progress_done();
    if (rc || (rc = mdl_save(model, out, &err)) ||
        (report && (rc = write_report(spec, model, &test, report, &err))))
        goto done;
    json_object_set_new(summary, "artifact", json_string(out));
    json_object_set_new(summary, "sha256", json_string(model->sha256));
    if (json) {
        char *text = json_dumps(summary, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (text)
            puts(text);
        free(text);
    } else {
        print_summary(summary, out, model->sha256, tune_command);
    }
done:
    cli_progress_done();
    json_decref(summary);
    mdl_free(model);
    wf_spec_free(spec);
    free(default_out);
    free(test.y);
    free(test.pred);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}

int cmd_train_workflow(int argc, char **argv)
{
    return run_workflow(argc, argv, false);
}

int cmd_tune(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage_error("tune", "tune: expected a workflow file first");
    return run_workflow(argc, argv, true);
}
