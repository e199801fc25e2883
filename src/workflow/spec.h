/*
 * spec.h — the workflow file: YAML read with libyaml, overridden by
 * `--set key.path=value`, validated against the schema below and turned
 * into a typed wf_spec.  Nothing runs here; workflow/runner.c runs it.
 *
 * Contract
 *  - Every key of the file is understood or rejected.  Unknown keys, wrong
 *    types, out-of-range values and missing required keys fail with
 *    ML_EINVAL and a message that names the file, the line and the key path:
 *      "workflow.yaml:14: features.numeric.impute: expected one of
 *       none|mean|median|constant|most_frequent, got 'avg'"
 *    An unknown key suggests the closest known one.  A YAML syntax error
 *    names the line and column.  An error in a --set value names it:
 *      "--set split.test=2: split.test: expected a number in (0, 1), got 2"
 *  - --set paths are dotted key paths; the value is parsed as YAML (so
 *    `--set features.drop=[a,b]` works); a missing intermediate mapping is
 *    created; a path through a non-mapping is an error.
 *  - `${NAME}` in data.source, data.query and score.to expands to the
 *    environment variable (an unset one is an error naming the key and
 *    line).  Relative file paths in data.source and score.to (plain paths
 *    and the PATH of sqlite:PATH) resolve against the workflow file's
 *    folder; URIs (postgresql://…) are left alone.
 *  - Sections that later commands act on (tune, gate, deploy, score,
 *    monitor) are validated now so a typo is found before a long run; each
 *    has `present` set when it appears.
 *  - wf_spec owns every string; wf_spec_free releases it all.
 */
#ifndef ML_WORKFLOW_SPEC_H
#define ML_WORKFLOW_SPEC_H

#include "core/error.h"
#include "features/options.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wf_split_method {
    WF_SPLIT_RANDOM = 0,
    WF_SPLIT_STRATIFIED = 1, /* default for classification */
    WF_SPLIT_TIME = 2,       /* the latest `test` share of rows by `column` is the test part */
    WF_SPLIT_GROUP = 3,      /* rows sharing a `column` value stay on one side */
} wf_split_method;

typedef enum wf_cv_method {
    WF_CV_KFOLD = 0,
    WF_CV_STRATIFIED = 1,
    WF_CV_GROUP = 2, /* rows sharing a `column` value stay in one fold */
    WF_CV_TIME = 3,  /* expanding window over `column`: train on the past, test on the next block */
} wf_cv_method;

typedef enum wf_threshold_method {
    WF_THRESHOLD_FIXED = 0,     /* `threshold: 0.3` */
    WF_THRESHOLD_F1 = 1,        /* max F1 */
    WF_THRESHOLD_YOUDEN = 2,    /* max tpr - fpr */
    WF_THRESHOLD_PRECISION = 3, /* the lowest reaching `target` precision */
    WF_THRESHOLD_RECALL = 4,    /* the highest reaching `target` recall */
    WF_THRESHOLD_COST = 5,      /* min fp * FP + fn * FN */
} wf_threshold_method;

typedef struct wf_param {
    char *key, *value; /* value as the YAML scalar's text */
    int line;
} wf_param;

typedef enum wf_tune_kind {
    WF_TUNE_FLOAT = 0, /* [lo, hi] */
    WF_TUNE_LOG = 1,   /* [lo, hi, log], lo > 0 */
    WF_TUNE_INT = 2,   /* [lo, hi, int] */
    WF_TUNE_CHOICE = 3 /* any other list: the values to choose among */
} wf_tune_kind;

typedef struct wf_tune_dim {
    char *name;
    wf_tune_kind kind;
    double lo, hi;
    char **choices;
    size_t nchoices;
    int line;
} wf_tune_dim;

typedef struct wf_spec {
    char *path; /* the workflow file as given */
    char *dir;  /* its folder (absolute) */
    char *name; /* required; [A-Za-z0-9_.-]+ */
    struct {
        char *source; /* required; expanded and resolved */
        char *query;  /* database sources: exactly one of query or table */
        char *table;
        int line;
    } data;
    char *target; /* required */
    int target_line;
    int task; /* -1 inferred, else mdl_task */
    struct {
        bool present;
        int method;    /* wf_split_method, or -1 when not given: stratified for
                          classification, random for regression */
        double test;   /* share in (0, 1); default 0.2 */
        uint64_t seed; /* default 42 */
        char *column;  /* time and group: required; others: refused */
        int line;
    } split;
    fp_options features;
    struct {
        bool present; /* `cv: 5` or `cv: {folds, method, column, repeats, shuffle}` */
        int folds;    /* >= 2; default 5 */
        int method;   /* wf_cv_method, or -1: stratified for classification, else kfold */
        int repeats;  /* >= 1; default 1 (kfold and stratified only) */
        bool shuffle; /* default true (kfold and stratified) */
        char *column; /* group and time: required; others: refused */
        int line;
    } cv; /* cross-validation on the training part, the whole pipeline fitted per fold */
    struct {
        bool present;            /* binary only: the decision threshold stored with the model */
        int method;              /* wf_threshold_method */
        double value;            /* FIXED */
        double target;           /* PRECISION, RECALL: in (0, 1] */
        double cost_fp, cost_fn; /* COST: >= 0, not both 0 (default 1 and 1) */
        int line;
    } threshold;
    struct {
        int kind; /* mdl_kind; default gbdt */
        wf_param *params;
        size_t nparams;
        double valid_fraction; /* share of the training part held out for early stopping; default
                                  0.1 */
        int line;
    } model;
    struct {
        bool present;
        char *method;       /* grid|random|halving */
        int trials;         /* >= 1, default 20 */
        int cv;             /* >= 2, default 5 */
        char *metric;       /* a metric name (eval/metrics.h met_parse); NULL: the task's default */
        double time_budget; /* seconds; 0: none (no new trial starts after it) */
        int parallel;       /* trials at once; 0: chosen from the data's size and the cores */
        bool budget_rounds; /* halving's budget: boosting rounds (gbdt) instead of rows */
        wf_tune_dim *space;
        size_t nspace;
        int line;
    } tune;
    struct {
        bool present;
        char *metric;
        bool has_min, has_max, has_vs_production;
        double min, max, vs_production;
        int line;
    } gate;
    struct {
        bool present;
        char *alias;
        int line;
    } deploy;
    struct {
        bool present;
        char *to; /* expanded and resolved */
        char *table;
        char *id;
        int line;
    } score;
    struct {
        bool present;
        char *drift_method; /* psi|ks|chi2|wasserstein */
        double drift_threshold;
        char *schedule; /* five-field cron text */
        char **retrain_on;
        size_t nretrain_on;
        int line;
    } monitor;
} wf_spec;

/* Reads and validates path with the --set overrides ("key.path=value"). */
int wf_spec_load(const char *path, const char *const *sets, size_t nsets, wf_spec **out,
                 ml_error *err);
/* The same from text in memory; path is used in messages and for the
 * folder relative paths resolve against. */
int wf_spec_parse(const char *text, size_t len, const char *path, const char *const *sets,
                  size_t nsets, wf_spec **out, ml_error *err);
void wf_spec_free(wf_spec *s);

/* "workflow.yaml:14" for messages about a key found later (line 0: the
 * path alone). */
void wf_spec_where(const wf_spec *s, int line, char *buf, size_t size);

#endif
