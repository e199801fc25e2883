/*
 * eval.c — `mloop eval MODEL --data SRC`: scores labelled data with a model
 * and reports the task's whole metric set, the confusion matrix and
 * per-class report (classification) or the residual quantiles
 * (regression), as a table, as JSON, or as a self-contained HTML report
 * that also draws the curves, the importance and what the artifact's
 * metadata remembers of its training (cross-validation folds, tuning).
 * The data goes through the artifact's own pipeline, as at predict time.
 */
#include "cli/cli.h"

#include "eval/model_report.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_eval_usage[] =
    "usage: mloop eval MODEL --data SRC [--json] [--report FILE.html] [--weight COL]\n"
    "                  [reader options]\n"
    "\n"
    "Scores SRC, which must hold the model's target column, with MODEL (a .mloop\n"
    "file) and prints the metrics of its task: for binary models ROC AUC, average\n"
    "precision, log loss, Brier score, calibration error, accuracy, balanced\n"
    "accuracy, precision, recall, F1, Matthews correlation and Cohen's kappa at the\n"
    "model's decision threshold, plus the confusion matrix and a per-class report;\n"
    "for multiclass models their multiclass forms (one-vs-rest AUC, macro and\n"
    "weighted F1); for regression RMSE, MAE, R², explained variance, MAPE, median\n"
    "absolute error, Poisson deviance and residual quantiles.\n"
    "\n"
    "Options:\n"
    "  --data SRC          labelled rows (file.csv, sqlite:PATH, postgresql://...)\n"
    "  --json              print the evaluation as JSON\n"
    "  --report FILE.html  also write a self-contained HTML report (curves, confusion\n"
    "                      matrix, calibration, threshold, importance, residuals, and\n"
    "                      the training's cross-validation and tuning when recorded)\n"
    "  --weight COL        per-row sample weights (a numeric column)\n"
    "\n" CLI_READER_OPTIONS_HELP;

typedef struct eval_args {
    const char *model, *data, *report, *weight;
    bool json;
    src_options reader;
} eval_args;

static int parse_args(int argc, char **argv, eval_args *a)
{
    for (int i = 1; i < argc;) {
        int r = cli_reader_option(argc, argv, &i, &a->reader);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (opt[0] != '-' || !opt[1]) {
            if (a->model)
                return cli_usage_error("eval", "eval: unexpected argument '%s'", opt);
            a->model = opt;
            i++;
            continue;
        }
        if (strcmp(opt, "--json") == 0) {
            a->json = true;
            i++;
            continue;
        }
        if (!v)
            return cli_usage_error("eval", "eval: '%s' needs a value", opt);
        if (strcmp(opt, "--data") == 0)
            a->data = v;
        else if (strcmp(opt, "--report") == 0)
            a->report = v;
        else if (strcmp(opt, "--weight") == 0)
            a->weight = v;
        else
            return cli_usage_error("eval", "eval: unknown option '%s'", opt);
        i += 2;
    }
    if (!a->model)
        return cli_usage_error("eval", "eval: MODEL is required");
    if (!a->data)
        return cli_usage_error("eval", "eval: --data SRC is required");
    return -1;
}

static void print_table(const ev_eval *e, const mdl_schema *s)
{
    printf("%-22s %s\n", "metric", "value");
    for (size_t i = 0; i < e->nmetrics; i++) {
        double v = e->metric_values[i];
        if (v == v)
            printf("%-22s %.6g\n", e->metric_names[i], v);
        else
            printf("%-22s —\n", e->metric_names[i]);
    }
    if (e->task == MDL_TASK_BINARY)
        printf("(labels at decision threshold %.6g)\n",
               e->threshold == e->threshold ? e->threshold : 0.5);
    if (!e->nclasses) {
        static const char *const q[5] = {"5%", "25%", "50%", "75%", "95%"};
        printf("\nresiduals (actual - predicted):");
        for (size_t i = 0; i < 5; i++)
            printf("  %s %.4g", q[i], e->residual_quantiles[i]);
        printf("\n");
        return;
    }
    size_t K = e->nclasses;
    printf("\nconfusion matrix (rows: actual, columns: predicted)\n%-16s", "");
    for (size_t b = 0; b < K; b++)
        printf(" %12.12s", s->classes[b]);
    for (size_t a = 0; a < K; a++) {
        printf("\n%-16.16s", s->classes[a]);
        for (size_t b = 0; b < K; b++)
            printf(" %12.6g", e->confusion[a * K + b]);
    }
    printf("\n\n%-16s %10s %10s %10s %10s\n", "class", "precision", "recall", "f1", "support");
    for (size_t k = 0; k < K; k++) {
        const met_class_row *c = &e->per_class[k];
        printf("%-16.16s %10.4f %10.4f %10.4f %10.6g\n", s->classes[k], c->precision, c->recall,
               c->f1, c->support);
    }
}

static int write_report(const eval_args *a, const mdl_model *m, const ev_eval *e, ml_error *err)
{
    char title[256];
    const char *slash = strrchr(a->model, '/');
    snprintf(title, sizeof title, "%s — evaluation", slash ? slash + 1 : a->model);
    return ev_write_model_report(m, e, title, a->data, a->report, err);
}

int cmd_eval(int argc, char **argv)
{
    eval_args a = {0};
    int code = parse_args(argc, argv, &a);
    if (code >= 0)
        return code;
    if (a.reader.threads > 0)
        omp_set_num_threads(a.reader.threads);
    ml_error err = {0};
    mdl_model *m = NULL;
    tbl_table *t = NULL;
    src_report report;
    double *y = NULL, *w = NULL, *pred = NULL;
    mdl_frame in = {0};
    ev_eval e = {0};
    size_t K = 1;
    int rc = mdl_load(a.model, &m, &err);
    if (!rc && !(rc = src_read_table(a.data, &a.reader, &t, &report, &err)))
        cli_print_read_report(a.data, &report);
    if (!rc && (rc = schema_target(m->schema, t, &y, &err)))
        ml_err_prefix(&err, "eval needs the true values");
    if (!rc && a.weight)
        rc = cli_read_weights(t, a.weight, &w, &err);
    if (!rc)
        rc = frame_build(mdl_inputs(m), t, &in, &err);
    if (!rc)
        rc = ev_scores(m, &in, &pred, &K, &err);
    if (!rc)
        rc = ev_evaluate(m->schema->task, m->schema->nclasses, y, pred, w, in.nrows, m->threshold,
                         &e, &err);
    if (!rc && a.report)
        rc = write_report(&a, m, &e, &err);
    if (!rc && a.json) {
        json_t *o = ev_json(&e, (const char *const *)m->schema->classes);
        char shown[1024];
        src_display_uri(a.data, shown, sizeof shown);
        json_object_set_new(o, "model", json_string(a.model));
        json_object_set_new(o, "sha256", json_string(m->sha256));
        json_object_set_new(o, "task", json_string(mdl_task_name(m->schema->task)));
        json_object_set_new(o, "data", json_string(shown));
        if (a.report)
            json_object_set_new(o, "report", json_string(a.report));
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (text)
            puts(text);
        free(text);
        json_decref(o);
    } else if (!rc) {
        printf("evaluated %s (%s, %s) on %zu rows of %s\n\n", a.model, mdl_kind_name(m->kind),
               mdl_task_name(m->schema->task), in.nrows, a.data);
        print_table(&e, m->schema);
        if (a.report)
            printf("\nwrote %s\n", a.report);
    }
    ev_free(&e);
    frame_free(&in);
    free(pred);
    free(w);
    free(y);
    tbl_free(t);
    mdl_free(m);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}
