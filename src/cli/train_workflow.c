/*
 * train_workflow.c — `mloop train WORKFLOW.yaml`: the workflow form of
 * train.  The file is read and validated completely (with the --set
 * overrides) before any data is read, so a typo costs nothing; then the
 * runner trains and this file saves the artifact and reports.
 */
#include "cli/cli.h"

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

static void print_summary(const json_t *s, const char *out, const char *sha)
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
    printf("\ntest metrics:");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json_object_get(s, "test_metrics"), key, value)
    {
        printf("  %s %.6g", key, json_real_value(value));
    }
    const json_t *cv = json_object_get(s, "cv");
    if (cv) {
        printf("\ncross-validation (%lld folds on the training rows):",
               (long long)json_integer_value(json_object_get(cv, "folds")));
        json_object_foreach((json_t *)json_object_get(cv, "mean_std"), key, value)
        {
            printf("  %s %.6g ± %.2g", key, json_real_value(json_object_get(value, "mean")),
                   json_real_value(json_object_get(value, "std")));
        }
    }
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

int cmd_train_workflow(int argc, char **argv)
{
    const char *path = argv[1], *out = NULL;
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
            return cli_usage_error("train", "train: option '%s' needs a value", opt);
        const char *v = argv[++i];
        if (strcmp(opt, "--set") == 0) {
            if (nsets == MAX_SETS)
                return cli_usage_error("train", "--set: at most %d overrides", MAX_SETS);
            sets[nsets++] = v;
        } else if (strcmp(opt, "--out") == 0) {
            out = v;
        } else if (strcmp(opt, "--threads") == 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1024)
                return cli_usage_error("train", "--threads: expected 1..1024, got '%s'", v);
            threads = (int)n;
        } else {
            return cli_usage_error("train",
                                   "train: unknown option '%s' (a workflow takes --set, --out, "
                                   "--threads and --json)",
                                   opt);
        }
    }
    if (threads > 0)
        omp_set_num_threads(threads);
    ml_error err = {0};
    wf_spec *spec = NULL;
    mdl_model *model = NULL;
    json_t *summary = NULL;
    char *default_out = NULL;
    int rc = wf_spec_load(path, sets, nsets, &spec, &err);
    if (rc) /* a workflow that does not validate is an input error */
        return cli_fail(&err);
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
    rc = wf_train(spec, &hooks, &model, &summary, &err);
    cli_progress_done();
    if (rc || (rc = mdl_save(model, out, &err)))
        goto done;
    json_object_set_new(summary, "artifact", json_string(out));
    json_object_set_new(summary, "sha256", json_string(model->sha256));
    if (json) {
        char *text = json_dumps(summary, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (text)
            puts(text);
        free(text);
    } else {
        print_summary(summary, out, model->sha256);
    }
done:
    cli_progress_done();
    json_decref(summary);
    mdl_free(model);
    wf_spec_free(spec);
    free(default_out);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}
