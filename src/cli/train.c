/*
 * train.c — `mloop train`: read data, fix the schema, train, measure on the
 * validation rows, write the artifact.  Bad options and parameters are
 * refused before any data is read, so a typo never costs a long load.
 */
#include "cli/cli.h"

#include "core/rng.h"
#include "eval/metrics.h"
#include "models/model.h"
#include "models/summary.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char cmd_train_usage[] =
    "usage: mloop train WORKFLOW.yaml [--set key.path=value]... [--out FILE.mloop] [--json]\n"
    "                   [--report FILE.html] [--threads N]\n"
    "       mloop train --data SRC --target COL --out FILE.mloop [options]\n"
    "\n"
    "Trains a model and writes it as a .mloop artifact.\n"
    "\n"
    "The workflow form reads the data, splits off the test rows, fits the\n"
    "feature pipeline on the training rows, trains, evaluates on the test rows\n"
    "and writes the model with its pipeline (default FILE: <name>.mloop).\n"
    "--set overrides any key of the file (--set model.params.num_leaves=63).\n"
    "--report writes the test rows' evaluation as a self-contained HTML file\n"
    "(curves, confusion matrix, importance, cross-validation and tuning trials).\n"
    "\n"
    "The flag form trains on the columns as they are:\n"
    "\n"
    "Options:\n"
    "  --data SRC            training data (file.csv, sqlite:PATH, postgresql://...)\n"
    "  --target COL          the column to predict\n"
    "  --task T              binary, multiclass or regression (default: inferred)\n"
    "  --model M             gbdt (default), linear or forest\n"
    "  --param K=V           a model parameter (repeatable); --param help lists them\n"
    "  --valid SRC           validation data, read like --data\n"
    "  --valid-fraction F    hold out this share of the rows (0 < F < 1) for validation\n"
    "  --drop COL            do not use this column as an input (repeatable)\n"
    "  --weight COL          per-row sample weights (not an input)\n"
    "  --out FILE.mloop      the artifact to write (atomically)\n"
    "  --json                print the summary as JSON on stdout\n"
    "\n" CLI_READER_OPTIONS_HELP "  (--threads also sets the training threads)\n"
    "\n"
    "A terminal shows a progress line (round, validation metric, rows/s, ETA).\n";

enum { MAX_PARAMS = 128, MAX_DROPS = 256 };

typedef struct train_args {
    const char *data, *target, *valid, *out, *weight;
    const char *drops[MAX_DROPS];
    size_t ndrops;
    int task;
    mdl_kind kind;
    param_kv params[MAX_PARAMS];
    char *param_text[MAX_PARAMS];
    size_t nparams;
    double valid_fraction;
    bool json;
    src_options reader;
} train_args;

static void free_args(train_args *a)
{
    for (size_t i = 0; i < a->nparams; i++)
        free(a->param_text[i]);
}

static int parse_task(const char *v, int *task)
{
    if (strcmp(v, "binary") == 0)
        *task = MDL_TASK_BINARY;
    else if (strcmp(v, "multiclass") == 0)
        *task = MDL_TASK_MULTICLASS;
    else if (strcmp(v, "regression") == 0)
        *task = MDL_TASK_REGRESSION;
    else
        return -1;
    return 0;
}

static int print_param_help(mdl_kind kind)
{
    size_t n;
    const param_spec *specs = mdl_param_specs(kind, &n);
    printf("Parameters of --model %s:\n", mdl_kind_name(kind));
    params_describe(specs, n, stdout);
    return CLI_EXIT_OK;
}

/* Returns -1 to continue, else an exit code. */
static int parse_args(int argc, char **argv, train_args *a)
{
    ml_error err = {0};
    bool param_help = false;
    a->task = -1;
    a->kind = MDL_KIND_GBDT;
    for (int i = 1; i < argc;) {
        int r = cli_reader_option(argc, argv, &i, &a->reader);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        const char *opt = argv[i];
        bool has_value = i + 1 < argc;
        const char *v = has_value ? argv[i + 1] : NULL;
        if (strcmp(opt, "--json") == 0) {
            a->json = true;
            i++;
            continue;
        }
        if (!has_value || opt[0] != '-')
            return cli_usage_error("train", "train: unexpected argument or missing value '%s'",
                                   opt);
        if (strcmp(opt, "--data") == 0) {
            a->data = v;
        } else if (strcmp(opt, "--target") == 0) {
            a->target = v;
        } else if (strcmp(opt, "--valid") == 0) {
            a->valid = v;
        } else if (strcmp(opt, "--out") == 0) {
            a->out = v;
        } else if (strcmp(opt, "--weight") == 0) {
            a->weight = v;
        } else if (strcmp(opt, "--drop") == 0) {
            if (a->ndrops == MAX_DROPS)
                return cli_usage_error("train", "--drop: at most %d columns", MAX_DROPS);
            a->drops[a->ndrops++] = v;
        } else if (strcmp(opt, "--task") == 0) {
            if (parse_task(v, &a->task) != 0)
                return cli_usage_error(
                    "train", "--task: expected binary, multiclass or regression, got '%s'", v);
        } else if (strcmp(opt, "--model") == 0) {
            if (mdl_kind_parse(v, &a->kind, &err))
                return cli_usage_error("train", "--model: %s", err.message);
        } else if (strcmp(opt, "--valid-fraction") == 0) {
            char *end;
            a->valid_fraction = strtod(v, &end);
            if (*end || !(a->valid_fraction > 0 && a->valid_fraction < 1))
                return cli_usage_error("train",
                                       "--valid-fraction: expected a number between 0 "
                                       "and 1 (exclusive), got '%s'",
                                       v);
        } else if (strcmp(opt, "--param") == 0) {
            if (strcmp(v, "help") == 0) {
                param_help = true;
                i += 2;
                continue;
            }
            if (a->nparams == MAX_PARAMS)
                return cli_usage_error("train", "--param: at most %d parameters", MAX_PARAMS);
            char *buf = malloc(strlen(v) + 1);
            if (!buf)
                return CLI_EXIT_RUNTIME;
            a->param_text[a->nparams] = buf;
            if (param_kv_parse(v, buf, &a->params[a->nparams], &err)) {
                a->nparams++;
                return cli_usage_error("train", "--param: %s", err.message);
            }
            a->nparams++;
        } else {
            return cli_usage_error("train", "train: unknown option '%s'", opt);
        }
        i += 2;
    }
    if (param_help)
        return print_param_help(a->kind);
    if (!a->data)
        return cli_usage_error("train", "train: --data SRC is required");
    if (!a->target)
        return cli_usage_error("train", "train: --target COL is required");
    if (!a->out)
        return cli_usage_error("train", "train: --out FILE.mloop is required");
    if (a->valid && a->valid_fraction > 0)
        return cli_usage_error("train", "train: give --valid or --valid-fraction, not both");
    if (mdl_check_params(a->kind, a->params, a->nparams, &err)) {
        fprintf(stderr, "mloop: %s\n", err.message);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

typedef struct progress_state {
    double start;
    size_t rows;
} progress_state;

static void on_round(void *ctx, int round, int rounds, const char *metric, double valid)
{
    progress_state *ps = ctx;
    double elapsed = cli_now() - ps->start;
    double rate = elapsed > 0 ? (double)ps->rows * round / elapsed : 0;
    double eta = round > 0 ? elapsed / round * (rounds - round) : 0;
    if (isnan(valid))
        cli_progress("round %d/%d  %.3g rows/s  ETA %.0fs", round, rounds, rate, eta);
    else
        cli_progress("round %d/%d  valid %s %.6g  %.3g rows/s  ETA %.0fs", round, rounds, metric,
                     valid, rate, eta);
}

static int split_validation(const mdl_frame *all, const double *y, const double *w, double fraction,
                            mdl_frame *train, double **ty, double **tw, mdl_frame *valid,
                            double **vy, ml_error *err)
{
    size_t n = all->nrows;
    size_t *tr = malloc((n ? n : 1) * sizeof *tr), *va = malloc((n ? n : 1) * sizeof *va);
    size_t nt = 0, nv = 0;
    int rc = ML_OK;
    if (!tr || !va) {
        rc = ml_err(err, ML_ENOMEM, "out of memory splitting rows");
        goto done;
    }
    ml_rng rng;
    ml_rng_seed(&rng, 0x6d6c6f6f70ull); /* fixed: the same data gives the same split */
    for (size_t i = 0; i < n; i++) {
        if (ml_rng_uniform(&rng) < fraction)
            va[nv++] = i;
        else
            tr[nt++] = i;
    }
    if (nt == 0 || nv == 0) {
        rc = ml_err(err, ML_EINVAL,
                    "--valid-fraction leaves %zu training and %zu validation "
                    "rows; both need some",
                    nt, nv);
        goto done;
    }
    *ty = malloc(nt * sizeof **ty);
    *vy = malloc(nv * sizeof **vy);
    *tw = w ? malloc(nt * sizeof **tw) : NULL;
    if (!*ty || !*vy || (w && !*tw)) {
        rc = ml_err(err, ML_ENOMEM, "out of memory splitting rows");
        goto done;
    }
    for (size_t i = 0; i < nt; i++) {
        (*ty)[i] = y[tr[i]];
        if (w)
            (*tw)[i] = w[tr[i]];
    }
    for (size_t i = 0; i < nv; i++)
        (*vy)[i] = y[va[i]];
    if ((rc = frame_take_rows(all, tr, nt, train, err)))
        goto done;
    rc = frame_take_rows(all, va, nv, valid, err);
done:
    free(tr);
    free(va);
    return rc;
}

static char *iso_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int cmd_train(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] != '-')
        return cmd_train_workflow(argc, argv);
    train_args a = {0};
    int code = parse_args(argc, argv, &a);
    if (code >= 0) {
        free_args(&a);
        return code;
    }
    if (a.reader.threads > 0)
        omp_set_num_threads(a.reader.threads);
    ml_error err = {0};
    tbl_table *t = NULL, *vt = NULL;
    mdl_schema *schema = NULL;
    mdl_model *model = NULL;
    mdl_frame all = {0}, train = {0}, valid = {0};
    double *y = NULL, *w = NULL, *ty = NULL, *tw = NULL, *vy = NULL;
    json_t *summary = NULL;
    int rc;
    double t0 = cli_now();
    src_report report;
    if ((rc = src_read_table(a.data, &a.reader, &t, &report, &err)))
        goto done;
    cli_print_read_report(a.data, &report);
    const char *excluded[MAX_DROPS + 1];
    size_t nexcluded = a.ndrops;
    memcpy(excluded, a.drops, a.ndrops * sizeof *excluded);
    if (a.weight)
        excluded[nexcluded++] = a.weight;
    if ((rc = schema_create(t, a.target, excluded, nexcluded, a.task, &schema, &err)) ||
        (rc = schema_target(schema, t, &y, &err)) ||
        (a.weight && (rc = cli_read_weights(t, a.weight, &w, &err))) ||
        (rc = frame_build(schema, t, &all, &err)))
        goto done;
    if (a.valid) {
        src_report vreport;
        if ((rc = src_read_table(a.valid, &a.reader, &vt, &vreport, &err)) ||
            (rc = frame_build(schema, vt, &valid, &err)) ||
            (rc = schema_target(schema, vt, &vy, &err))) {
            ml_err_prefix(&err, "validation data");
            goto done;
        }
        cli_print_read_report(a.valid, &vreport);
    } else if (a.valid_fraction > 0) {
        if ((rc = split_validation(&all, y, w, a.valid_fraction, &train, &ty, &tw, &valid, &vy,
                                   &err)))
            goto done;
    }
    const mdl_frame *train_frame = a.valid_fraction > 0 ? &train : &all;
    const double *train_y = a.valid_fraction > 0 ? ty : y;
    const double *train_w = a.valid_fraction > 0 ? tw : w;
    bool has_valid = a.valid || a.valid_fraction > 0;
    double t_load = cli_now() - t0;

    progress_state ps = {.start = cli_now(), .rows = train_frame->nrows};
    mdl_train_spec spec = {
        .kind = a.kind,
        .params = a.params,
        .nparams = a.nparams,
        .progress = on_round,
        .progress_ctx = &ps,
    };
    size_t nfeatures = schema->nfeatures;
    mdl_task task = schema->task;
    mdl_schema *owned = schema;
    schema = NULL;
    rc = mdl_train(owned, train_frame, train_y, train_w, has_valid ? &valid : NULL, vy, &spec,
                   &model, &err);
    cli_progress_done();
    if (rc)
        goto done;
    double t_train = cli_now() - ps.start;

    summary = json_object();
    json_t *params = json_object();
    for (size_t i = 0; i < a.nparams; i++)
        json_object_set_new(params, a.params[i].key, json_string(a.params[i].value));
    char when[32], shown[512];
    src_display_uri(a.data, shown, sizeof shown);
    json_object_set_new(summary, "mloop_version", json_string(mloop_version()));
    json_object_set_new(summary, "created", json_string(iso_now(when, sizeof when)));
    json_object_set_new(summary, "model", json_string(mdl_kind_name(a.kind)));
    json_object_set_new(summary, "task", json_string(mdl_task_name(task)));
    json_object_set_new(summary, "target", json_string(a.target));
    json_object_set_new(summary, "data", json_string(shown));
    json_object_set_new(summary, "inputs", json_integer((json_int_t)nfeatures));
    json_object_set_new(summary, "train_rows", json_integer((json_int_t)train_frame->nrows));
    json_object_set_new(summary, "valid_rows",
                        json_integer((json_int_t)(has_valid ? valid.nrows : 0)));
    json_object_set_new(summary, "params", params);
    if (model->gbdt) {
        json_object_set_new(summary, "rounds", json_integer((json_int_t)model->gbdt->rounds));
        json_object_set_new(summary, "best_round",
                            json_integer((json_int_t)model->gbdt->best_round));
    }
    json_t *metrics = has_valid ? mdl_summary_metrics(model, &valid, vy, &err)
                                : mdl_summary_metrics(model, train_frame, train_y, &err);
    if (!metrics) {
        rc = err.code ? err.code : ML_ENOMEM;
        goto done;
    }
    json_object_set_new(summary, has_valid ? "valid_metrics" : "train_metrics", metrics);
    json_object_set_new(summary, "importance", mdl_summary_importance(model));
    if (model->linear)
        json_object_set_new(summary, "coefficients", mdl_summary_coefficients(model));
    json_t *timings = json_pack("{s:f, s:f}", "load_s", t_load, "train_s", t_train);
    json_object_set_new(summary, "timings", timings);
    char *meta = json_dumps(summary, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!meta) {
        rc = ml_err(&err, ML_ENOMEM, "out of memory");
        goto done;
    }
    mdl_set_metadata(model, meta);
    double t_save0 = cli_now();
    if ((rc = mdl_save(model, a.out, &err)))
        goto done;
    json_object_set_new(timings, "save_s", json_real(cli_now() - t_save0));
    json_object_set_new(summary, "artifact", json_string(a.out));
    json_object_set_new(summary, "sha256", json_string(model->sha256));
    if (a.json) {
        char *text = json_dumps(summary, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (text)
            puts(text);
        free(text);
    } else {
        printf("trained %s (%s) on %zu rows x %zu inputs in %.2f s", mdl_kind_name(a.kind),
               mdl_task_name(task), train_frame->nrows, nfeatures, t_train);
        if (model->gbdt)
            printf(", %zu rounds (best %zu)", model->gbdt->rounds, model->gbdt->best_round);
        printf("\n%s metrics:", has_valid ? "validation" : "training");
        const char *key;
        json_t *value;
        json_object_foreach(metrics, key, value)
        {
            printf("  %s %.6g", key, json_real_value(value));
        }
        json_t *imp = json_object_get(summary, "importance");
        if (json_array_size(imp) > 0) {
            printf("\ntop inputs by gain:");
            for (size_t i = 0; i < json_array_size(imp) && i < 5; i++) {
                json_t *e = json_array_get(imp, i);
                printf("%s %s (%.4g, %lld splits)", i ? "," : "",
                       json_string_value(json_object_get(e, "input")),
                       json_real_value(json_object_get(e, "gain")),
                       (long long)json_integer_value(json_object_get(e, "splits")));
            }
        }
        printf("\nwrote %s (sha256 %.12s...)\n", a.out, model->sha256);
    }
done:
    cli_progress_done();
    json_decref(summary);
    mdl_free(model);
    schema_free(schema);
    frame_free(&all);
    frame_free(&train);
    frame_free(&valid);
    free(y);
    free(w);
    free(ty);
    free(tw);
    free(vy);
    tbl_free(t);
    tbl_free(vt);
    free_args(&a);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}
