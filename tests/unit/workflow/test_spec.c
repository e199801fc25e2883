/* Unit tests for src/workflow/spec.c: the churn example read field by field,
 * the defaults, every section's rules, --set overrides (scalar, list,
 * mapping, a new intermediate mapping) and their errors, ${NAME} expansion,
 * relative path resolution, and the exact shape of each kind of message
 * (unknown key with a suggestion, bad enum, wrong type, missing key,
 * duplicate key, YAML syntax error with its column). */
#include "test_util.h"

#include "models/model.h"
#include "workflow/spec.h"

#include <math.h>

/* The smallest valid workflow; tests append sections to it. */
#define BASE "name: t\ndata: {source: d.csv}\ntarget: y\n"

static wf_spec *parse_sets(const char *yaml, const char *const *sets, size_t nsets)
{
    ml_error err = {0};
    wf_spec *s = NULL;
    int rc = wf_spec_parse(yaml, strlen(yaml), "w.yaml", sets, nsets, &s, &err);
    if (rc)
        fail_msg("parse failed (%d): %s", rc, err.message);
    assert_non_null(s);
    return s;
}

static wf_spec *parse_ok(const char *yaml)
{
    return parse_sets(yaml, NULL, 0);
}

/* Fails unless parsing yields code and exactly the message want. */
static void expect_sets(const char *yaml, const char *const *sets, size_t nsets, int code,
                        const char *want)
{
    ml_error err = {0};
    wf_spec *s = (wf_spec *)1;
    int rc = wf_spec_parse(yaml, strlen(yaml), "w.yaml", sets, nsets, &s, &err);
    if (rc != code || strcmp(err.message, want))
        fail_msg("yaml:\n%s\nwant %d '%s'\ngot  %d '%s'", yaml, code, want, rc, err.message);
    assert_null(s);
}

static void expect(const char *yaml, const char *want)
{
    expect_sets(yaml, NULL, 0, ML_EINVAL, want);
}

/* The same when only part of the message is fixed (libyaml's texts). */
static void expect_part(const char *yaml, const char *needle)
{
    ml_error err = {0};
    wf_spec *s = NULL;
    int rc = wf_spec_parse(yaml, strlen(yaml), "w.yaml", NULL, 0, &s, &err);
    assert_error(rc, err, ML_EINVAL, needle);
    assert_null(s);
}

static char *cwd_join(const char *rest)
{
    char *cwd = getcwd(NULL, 0), *out = NULL;
    assert_non_null(cwd);
    assert_true(asprintf(&out, "%s%s", cwd, rest) > 0);
    free(cwd);
    return out;
}

/* ---- the example ------------------------------------------------------------------------ */

static void test_churn_example(void **state)
{
    (void)state;
    const char *src = getenv("MLOOP_SOURCE_DIR");
    char path[1024], want[1100];
    snprintf(path, sizeof path, "%s/examples/churn/workflow.yaml", src ? src : "..");
    char *abs = realpath(path, NULL);
    assert_non_null(abs);
    ml_error err = {0};
    wf_spec *s = NULL;
    if (wf_spec_load(abs, NULL, 0, &s, &err))
        fail_msg("%s", err.message);
    assert_string_equal(s->path, abs);
    *strrchr(abs, '/') = '\0';
    assert_string_equal(s->dir, abs);
    assert_string_equal(s->name, "churn");
    snprintf(want, sizeof want, "%s/data/customers.csv", abs);
    assert_string_equal(s->data.source, want);
    assert_null(s->data.query);
    assert_null(s->data.table);
    assert_int_equal(s->data.line, 5);
    assert_string_equal(s->target, "churned");
    assert_int_equal(s->target_line, 6);
    assert_int_equal(s->task, MDL_TASK_BINARY);
    assert_true(s->split.present);
    assert_int_equal(s->split.method, WF_SPLIT_STRATIFIED);
    assert_true(s->split.test == 0.2);
    assert_true(s->split.seed == 42);
    assert_null(s->split.column);
    assert_int_equal(s->split.line, 8);

    const fp_options *o = &s->features;
    assert_int_equal(o->ndrop, 0);
    assert_int_equal(o->nids, 1);
    assert_string_equal(o->ids[0], "customer_id");
    assert_int_equal(o->ids_line, 10);
    assert_int_equal(o->numeric.kind, FP_KIND_NUMERIC);
    assert_int_equal(o->numeric.impute, FP_IMPUTE_MEDIAN);
    assert_true(o->numeric.missing_indicator);
    assert_int_equal(o->numeric.clip, FP_CLIP_IQR);
    assert_true(o->numeric.clip_k == 3);
    assert_int_equal(o->numeric.outlier_action, FP_OUTLIER_CLIP);
    assert_int_equal(o->numeric.scale, FP_SCALE_NONE);
    assert_int_equal(o->numeric.line, 11);
    assert_int_equal(o->categorical.impute, FP_IMPUTE_MOST_FREQUENT);
    assert_int_equal(o->categorical.encode, FP_ENCODE_ONEHOT);
    assert_int_equal(o->categorical.max_categories, 20);
    assert_int_equal(o->categorical.unknown, FP_UNKNOWN_OTHER);
    assert_int_equal(o->categorical.line, 15);
    assert_int_equal(o->datetime.parts,
                     FP_DT_YEAR | FP_DT_MONTH | FP_DT_DAYOFWEEK | FP_DT_EPOCH_DAYS);
    assert_false(o->datetime.cyclic);
    assert_int_equal(o->datetime.line, 16);

    assert_int_equal(o->ncolumns, 3);
    const fp_column_override *city = &o->columns[0], *calls = &o->columns[1], *sat = &o->columns[2];
    assert_string_equal(city->name, "city");
    assert_int_equal(city->opts.set, FP_SET_ENCODE | FP_SET_SMOOTHING);
    assert_int_equal(city->opts.encode, FP_ENCODE_TARGET);
    assert_true(city->opts.smoothing == 20);
    assert_int_equal(city->opts.line, 18);
    assert_string_equal(calls->name, "support_calls");
    assert_int_equal(calls->opts.set, FP_SET_CLIP);
    assert_int_equal(calls->opts.clip, FP_CLIP_QUANTILE);
    assert_true(calls->opts.clip_low == 0 && calls->opts.clip_high == 0.995);
    assert_int_equal(calls->opts.outlier_action, FP_OUTLIER_DROP);
    assert_int_equal(calls->opts.line, 19);
    assert_string_equal(sat->name, "satisfaction");
    assert_int_equal(sat->opts.set, FP_SET_IMPUTE);
    assert_int_equal(sat->opts.impute, FP_IMPUTE_CONSTANT);
    assert_true(sat->opts.impute_value == 3);
    assert_null(sat->opts.fill_value);
    assert_int_equal(sat->opts.line, 20);

    assert_int_equal(o->nderived, 3);
    assert_string_equal(o->derived[0].name, "spend_per_month");
    assert_string_equal(o->derived[0].expr, "total_spend / tenure_months");
    assert_int_equal(o->derived[0].line, 22);
    assert_string_equal(o->derived[1].name, "calls_per_year");
    assert_string_equal(o->derived[1].expr, "12 * support_calls / max(tenure_months, 1)");
    assert_string_equal(o->derived[2].name, "new_monthly");
    assert_string_equal(o->derived[2].expr, "tenure_months < 6 and contract == \"month-to-month\"");
    assert_int_equal(o->derived[2].line, 24);
    assert_true(o->select.drop_constant);
    assert_true(o->select.max_correlation == 0.99);
    assert_true(o->select.near_constant == 0);
    assert_int_equal(o->select.method, FP_SELECT_NONE);
    assert_int_equal(o->select.line, 25);

    assert_int_equal(s->model.kind, MDL_KIND_GBDT);
    assert_int_equal(s->model.line, 26);
    assert_true(s->model.valid_fraction == 0.1);
    assert_int_equal(s->model.nparams, 4);
    static const char *const keys[] = {"learning_rate", "num_leaves", "n_estimators",
                                       "early_stopping"};
    static const char *const values[] = {"0.05", "31", "400", "30"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(s->model.params[i].key, keys[i]);
        assert_string_equal(s->model.params[i].value, values[i]);
        assert_int_equal(s->model.params[i].line, 28);
    }
    assert_false(s->tune.present || s->gate.present || s->deploy.present || s->score.present ||
                 s->monitor.present);
    wf_spec_free(s);
    free(abs);
}

/* The overrides tests/integration/workflow.sh uses, on the example. */
/* DESIGN.md's example workflow, verbatim (the file may be absent from a
 * user's clone, so it is copied here): every key it shows is understood. */
static void test_design_example(void **state)
{
    (void)state;
    static const char design[] =
        "name: churn\n"
        "data:   {source: data/customers.csv}          # or source: postgresql://… + query: "
        "SELECT …\n"
        "target: churned\n"
        "task: binary                                  # inferred when omitted\n"
        "split:  {method: stratified, test: 0.2, seed: 42}   # random | stratified | "
        "time(column) | group(column)\n"
        "features:\n"
        "  drop: [customer_id]\n"
        "  numeric:     {impute: median, clip: {method: iqr, k: 3}, scale: standard}\n"
        "  categorical: {impute: most_frequent, encode: onehot, max_categories: 50}\n"
        "  derived:     [{name: spend_per_month, expr: \"total_spend / tenure_months\"}]\n"
        "  select:      {method: importance, top_k: 30}\n"
        "model:  {type: gbdt, params: {learning_rate: 0.1, num_leaves: 31, n_estimators: 500, "
        "early_stopping: 20}}\n"
        "tune:   {method: halving, trials: 40, cv: 5, metric: roc_auc,\n"
        "         space: {learning_rate: [0.01, 0.3, log], num_leaves: [15, 255, int]}}\n"
        "gate:   {metric: roc_auc, min: 0.75, vs_production: -0.002}   # promote only if this "
        "holds\n"
        "deploy: {alias: production}\n"
        "score:  {to: postgresql://…, table: churn_scores, id: customer_id}\n"
        "monitor: {drift: {method: psi, threshold: 0.2}, schedule: \"0 3 * * *\",\n"
        "          retrain_on: [drift, schedule, \"labels >= 1000\"]}\n";
    wf_spec *s = parse_ok(design);
    assert_int_equal(s->features.select.method, FP_SELECT_IMPORTANCE);
    assert_int_equal(s->features.select.top_k, 30);
    assert_true(s->tune.present && s->tune.trials == 40 && s->tune.nspace == 2);
    assert_int_equal(s->tune.space[0].kind, WF_TUNE_LOG);
    assert_int_equal(s->tune.space[1].kind, WF_TUNE_INT);
    assert_true(s->gate.present && s->gate.has_vs_production);
    assert_string_equal(s->deploy.alias, "production");
    assert_string_equal(s->score.table, "churn_scores");
    assert_string_equal(s->monitor.schedule, "0 3 * * *");
    assert_int_equal(s->monitor.nretrain_on, 3);
    wf_spec_free(s);
}

static void test_churn_integration_sets(void **state)
{
    (void)state;
    const char *src = getenv("MLOOP_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/churn/workflow.yaml", src ? src : "..");
    const char *sets[] = {"features.categorical.encode=native",
                          "features.columns.city.encode=native",
                          "model.type=linear",
                          "model.params={}",
                          "features.numeric.scale=standard",
                          "features.select.method=importance",
                          "features.select.top_k=8"};
    ml_error err = {0};
    wf_spec *s = NULL;
    if (wf_spec_load(path, sets, 7, &s, &err))
        fail_msg("%s", err.message);
    assert_int_equal(s->features.categorical.encode, FP_ENCODE_NATIVE);
    assert_int_equal(s->features.columns[0].opts.encode, FP_ENCODE_NATIVE);
    assert_true(s->features.columns[0].opts.smoothing == 20); /* the file's, kept */
    assert_int_equal(s->features.columns[0].opts.line, 18);   /* the column key is the file's */
    assert_int_equal(s->model.kind, MDL_KIND_LINEAR);
    assert_int_equal(s->model.nparams, 0);
    assert_int_equal(s->features.numeric.scale, FP_SCALE_STANDARD);
    assert_int_equal(s->features.numeric.impute, FP_IMPUTE_MEDIAN);
    assert_int_equal(s->features.select.method, FP_SELECT_IMPORTANCE);
    assert_int_equal(s->features.select.top_k, 8);
    assert_true(s->features.select.max_correlation == 0.99);
    wf_spec_free(s);
}

/* ---- defaults and loading ------------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE);
    assert_int_equal(s->task, -1);
    assert_false(s->split.present);
    assert_int_equal(s->split.method, -1);
    assert_true(s->split.test == 0.2);
    assert_true(s->split.seed == 42);
    assert_int_equal(s->split.line, 0);
    assert_int_equal(s->model.kind, MDL_KIND_GBDT);
    assert_true(s->model.valid_fraction == 0.1);
    assert_int_equal(s->model.nparams, 0);
    assert_int_equal(s->model.line, 0);
    fp_options d;
    fp_options_init(&d);
    const fp_options *o = &s->features;
    assert_int_equal(o->ndrop + o->nids + o->ncolumns + o->nderived, 0);
    assert_memory_equal(&o->numeric, &d.numeric, sizeof d.numeric);
    assert_memory_equal(&o->categorical, &d.categorical, sizeof d.categorical);
    assert_memory_equal(&o->datetime, &d.datetime, sizeof d.datetime);
    assert_memory_equal(&o->select, &d.select, sizeof d.select);
    assert_false(s->tune.present || s->gate.present || s->deploy.present || s->score.present ||
                 s->monitor.present);
    assert_int_equal(s->tune.trials, 20);
    assert_int_equal(s->tune.cv, 5);
    wf_spec_free(s);
    wf_spec_free(NULL);
}

static void test_load_errors(void **state)
{
    (void)state;
    ml_error err = {0};
    wf_spec *s = (wf_spec *)1;
    assert_error(wf_spec_load("/nonexistent/w.yaml", NULL, 0, &s, &err), err, ML_EIO,
                 "/nonexistent/w.yaml: cannot open: No such file or directory");
    assert_null(s);
    const char *p = TEST_WRITE(0, ".yaml", BASE "task: regression\n");
    assert_int_equal(wf_spec_load(p, NULL, 0, &s, &err), ML_OK);
    assert_int_equal(s->task, MDL_TASK_REGRESSION);
    wf_spec_free(s);
    /* Over the cap: refused before parsing. */
    size_t big = (1u << 20) + 1;
    char *text = malloc(big);
    memset(text, '#', big);
    p = test_write_file(1, ".yaml", text, big);
    assert_error(wf_spec_load(p, NULL, 0, &s, &err), err, ML_ELIMIT,
                 "the workflow is larger than the 1024 KiB cap");
    assert_error(wf_spec_parse(text, big, "w.yaml", NULL, 0, &s, &err), err, ML_ELIMIT,
                 "w.yaml: the workflow is larger than the 1024 KiB cap");
    free(text);
    unlink(p);
    unlink(test_write_file(0, ".yaml", "", 0));
}

static void test_empty_and_not_a_mapping(void **state)
{
    (void)state;
    expect("", "w.yaml: the workflow is empty");
    expect("# nothing but a comment\n", "w.yaml: the workflow is empty");
    expect("- a\n- b\n", "w.yaml:1: expected a mapping of workflow keys, got a list");
    expect("\n\njust text\n", "w.yaml:3: expected a mapping of workflow keys, got 'just text'");
    expect(BASE "---\nname: u\n", "w.yaml:4:1: a workflow is one YAML document; found a second");
    expect("name: &n t\ndata: {source: d.csv}\ntarget: *n\n",
           "w.yaml:3:9: aliases (*n) are not supported in a workflow");
    expect(BASE "features: {[a]: 1}\n",
           "w.yaml:4:12: a mapping key must be plain text, not a list");
}

/* ---- message shapes ----------------------------------------------------------------------- */

static void test_unknown_keys(void **state)
{
    (void)state;
    expect(BASE "features:\n  numerc: {impute: mean}\n",
           "w.yaml:5: features.numerc: unknown key (did you mean 'numeric'?)");
    expect("nmae: t\ndata: {source: d.csv}\ntarget: y\n",
           "w.yaml:1: nmae: unknown key (did you mean 'name'?)");
    expect(BASE "split: {method: random, sed: 1}\n",
           "w.yaml:4: split.sed: unknown key (did you mean 'seed'?)");
    expect(BASE "data2xyzzy: 1\n",
           "w.yaml:4: data2xyzzy: unknown key (known keys: name, data, target, task, split, "
           "features, model, tune, gate, deploy, score, monitor, cv, threshold)");
    expect(BASE "features:\n  columns:\n    a: {encod: target}\n",
           "w.yaml:6: features.columns.a.encod: unknown key (did you mean 'encode'?)");
}

static void test_bad_enum(void **state)
{
    (void)state;
    expect(BASE "features:\n  numeric:\n    impute: avg\n",
           "w.yaml:6: features.numeric.impute: expected one of "
           "none|mean|median|constant|most_frequent, got 'avg'");
    expect(BASE "task: binray\n",
           "w.yaml:4: task: expected one of binary|multiclass|regression, got 'binray'");
    expect(BASE "model: {type: xgboost}\n",
           "w.yaml:4: model.type: expected one of gbdt|linear|forest, got 'xgboost'");
    expect(BASE "split: {method: [random]}\n",
           "w.yaml:4: split.method: expected one of random|stratified|time|group, got a list");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect(BASE "features:\n  numeric: [a]\n",
           "w.yaml:5: features.numeric: expected a mapping, got a list");
    expect(BASE "split: {test: abc}\n", "w.yaml:4: split.test: expected a number, got 'abc'");
    expect(BASE "split: {test: 0x10}\n", "w.yaml:4: split.test: expected a number, got '0x10'");
    expect(BASE "split: {test: .nan}\n", "w.yaml:4: split.test: expected a number, got '.nan'");
    expect(BASE "features:\n  numeric: {missing_indicator: yes please}\n",
           "w.yaml:5: features.numeric.missing_indicator: expected true or false, got 'yes "
           "please'");
    expect(BASE "features:\n  numeric: {missing_indicator: yes}\n",
           "w.yaml:5: features.numeric.missing_indicator: expected true or false, got 'yes'");
    expect("name: {a: 1}\ndata: {source: d.csv}\ntarget: y\n",
           "w.yaml:1: name: expected a string, got a mapping");
    expect(BASE "tune:\n", "w.yaml:4: tune: expected a mapping, got nothing");
    expect("name: t\ndata: {source: d.csv}\ntarget: ''\n",
           "w.yaml:3: target: expected a non-empty string");
    expect(BASE "tune: {trials: 2.5, space: {learning_rate: [0.1, 0.2]}}\n",
           "w.yaml:4: tune.trials: expected an integer, got '2.5'");
    expect(BASE "tune: {trials: 0, space: {learning_rate: [0.1, 0.2]}}\n",
           "w.yaml:4: tune.trials: expected an integer >= 1, got 0");
    expect("name: my model\ndata: {source: d.csv}\ntarget: y\n",
           "w.yaml:1: name: expected letters, digits, '_', '.' and '-' only, got 'my model'");
    /* Quoted numbers and True/FALSE are fine. */
    wf_spec *s = parse_ok(BASE "split: {test: '0.25'}\nfeatures: {numeric: {log1p: True}}\n");
    assert_true(s->split.test == 0.25);
    assert_true(s->features.numeric.log1p);
    wf_spec_free(s);
}

static void test_missing_required(void **state)
{
    (void)state;
    expect("name: t\ndata: {source: d.csv}\n", "w.yaml: target: required key is missing");
    expect("data: {source: d.csv}\ntarget: y\n", "w.yaml: name: required key is missing");
    expect("name: t\ntarget: y\n", "w.yaml: data: required key is missing");
    expect("name: t\ndata:\n  query: SELECT 1\ntarget: y\n",
           "w.yaml:2: data.source: required key is missing");
    expect(BASE "split:\n  method: time\n", "w.yaml:4: split.column: required key is missing");
    expect(BASE "features:\n  derived:\n    - {name: a}\n",
           "w.yaml:6: features.derived[0].expr: required key is missing");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect(BASE "name: u\n", "w.yaml:4: name: duplicate key (first on line 1)");
    expect(BASE "features:\n  numeric:\n    impute: mean\n    scale: standard\n    impute: "
                "median\n",
           "w.yaml:8: features.numeric.impute: duplicate key (first on line 6)");
    expect(BASE "model: {params: {a: 1, a: 2}}\n",
           "w.yaml:4: model.params.a: duplicate key (first on line 4)");
    expect(BASE "features:\n  derived:\n    - {name: a, expr: b, name: c}\n",
           "w.yaml:6: features.derived[0].name: duplicate key (first on line 6)");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    /* A value indented under a scalar: libyaml stops at line 5, column 8. */
    expect_part(BASE "split:\n  test: 0.2\n   seed: 3\n",
                "w.yaml:6:8: mapping values are not allowed in this context");
    expect_part(BASE "data2: {a: 1\n", "w.yaml:5:1: did not find expected ',' or '}'");
    expect_part(BASE "features:\n\tnumeric: {}\n", "w.yaml:5:1: found character that cannot "
                                                   "start any token");
    /* A stray control character is a reader error: line and column from its offset. */
    expect_part("name: t\ndata: {source: d\x01.csv}\n", "w.yaml:2:17: control characters are "
                                                        "not allowed");
}

/* ---- --set ------------------------------------------------------------------------------- */

static void test_set_overrides(void **state)
{
    (void)state;
    const char *yaml = BASE "split: {method: random, test: 0.2}\nfeatures:\n  drop: x\n"
                            "model:\n  params: {num_leaves: 15}\n";
    const char *sets[] = {
        "split.test=0.3",                                 /* a scalar */
        "features.drop=[a, b]",                           /* a list replaces a string */
        "model.params={learning_rate: 0.2, max_bin: 63}", /* a mapping replaces a mapping */
        "tune.space.learning_rate=[0.01, 0.3, log]",      /* new intermediates */
        "features.columns.age.scale=robust",
    };
    wf_spec *s = parse_sets(yaml, sets, 5);
    assert_true(s->split.test == 0.3);
    assert_int_equal(s->split.method, WF_SPLIT_RANDOM);
    assert_int_equal(s->split.line, 4);
    assert_int_equal(s->features.ndrop, 2);
    assert_string_equal(s->features.drop[0], "a");
    assert_string_equal(s->features.drop[1], "b");
    assert_int_equal(s->features.drop_line, 0); /* overridden: line 0 */
    assert_int_equal(s->model.nparams, 2);
    assert_string_equal(s->model.params[0].key, "learning_rate");
    assert_string_equal(s->model.params[0].value, "0.2");
    assert_int_equal(s->model.params[0].line, 0);
    assert_string_equal(s->model.params[1].key, "max_bin");
    assert_true(s->tune.present);
    assert_int_equal(s->tune.line, 0);
    assert_string_equal(s->tune.method, "random");
    assert_int_equal(s->tune.nspace, 1);
    assert_string_equal(s->tune.space[0].name, "learning_rate");
    assert_int_equal(s->tune.space[0].kind, WF_TUNE_LOG);
    assert_int_equal(s->features.ncolumns, 1);
    assert_string_equal(s->features.columns[0].name, "age");
    assert_int_equal(s->features.columns[0].opts.set, FP_SET_SCALE);
    assert_int_equal(s->features.columns[0].opts.scale, FP_SCALE_ROBUST);
    assert_int_equal(s->features.columns[0].opts.line, 0);
    wf_spec_free(s);

    /* A later --set wins; a null section becomes a mapping; an empty value is nothing. */
    const char *twice[] = {"split.seed=1", "split.seed=7", "tune.space.num_leaves=[8, 64, int]"};
    s = parse_sets(BASE "tune:\n", twice, 3);
    assert_true(s->split.seed == 7);
    assert_true(s->split.present);
    assert_int_equal(s->tune.space[0].kind, WF_TUNE_INT);
    wf_spec_free(s);
}

static void test_set_errors(void **state)
{
    (void)state;
    const char *a[] = {"split.test=2"};
    expect_sets(BASE, a, 1, ML_EINVAL,
                "--set split.test=2: split.test: expected a number in (0, 1), got 2");
    const char *b[] = {"foo"};
    expect_sets(BASE, b, 1, ML_EINVAL, "--set foo: expected key.path=value");
    const char *c[] = {"=1"};
    expect_sets(BASE, c, 1, ML_EINVAL, "--set =1: expected key.path=value");
    const char *d[] = {"a..b=1"};
    expect_sets(BASE, d, 1, ML_EINVAL, "--set a..b=1: expected key.path=value");
    const char *e[] = {"name.x=1"};
    expect_sets(BASE, e, 1, ML_EINVAL, "--set name.x=1: name: expected a mapping, got 't'");
    const char *f[] = {"splt.test=0.1"};
    expect_sets(BASE, f, 1, ML_EINVAL,
                "--set splt.test=0.1: splt: unknown key (did you mean 'split'?)");
    const char *g[] = {"features.drop=[a, "};
    ml_error err = {0};
    wf_spec *s = NULL;
    assert_error(wf_spec_parse(BASE, strlen(BASE), "w.yaml", g, 1, &s, &err), err, ML_EINVAL,
                 "--set features.drop=[a, : did not find expected node content at column");
    const char *h[] = {"target="};
    expect_sets(BASE, h, 1, ML_EINVAL, "--set target=: target: expected a string, got nothing");
    const char *i[] = {"model.params.num_leafs=3"};
    expect_sets(BASE, i, 1, ML_EINVAL,
                "--set model.params.num_leafs=3: model.params.num_leafs: unknown parameter "
                "'num_leafs' (did you mean 'num_leaves'?)");
    const char *j[] = {"model.params={a: 1, a: 2}"};
    expect_sets(BASE, j, 1, ML_EINVAL,
                "--set model.params={a: 1, a: 2}: model.params.a: "
                "duplicate key");
    /* The file's other errors still name the file. */
    const char *k[] = {"split.test=0.5"};
    expect_sets(BASE "split: {seed: -1}\n", k, 1, ML_EINVAL,
                "w.yaml:4: split.seed: expected a non-negative integer, got '-1'");
}

/* ---- data, paths, environment ------------------------------------------------------------- */

static void test_paths(void **state)
{
    (void)state;
    ml_error err = {0};
    wf_spec *s = NULL;
    const char *yaml = "name: t\ndata: {source: data/d.csv}\ntarget: y\nscore: {to: out.csv}\n";
    assert_int_equal(wf_spec_parse(yaml, strlen(yaml), "sub/dir/w.yaml", NULL, 0, &s, &err), 0);
    char *want = cwd_join("/sub/dir");
    assert_string_equal(s->dir, want);
    free(want);
    want = cwd_join("/sub/dir/data/d.csv");
    assert_string_equal(s->data.source, want);
    free(want);
    want = cwd_join("/sub/dir/out.csv");
    assert_string_equal(s->score.to, want);
    free(want);
    wf_spec_free(s);

    yaml = "name: t\ndata: {source: 'sqlite:db.sqlite', table: t}\ntarget: y\n"
           "score: {to: 'sqlite://s.db', table: scores, id: cid}\n";
    assert_int_equal(wf_spec_parse(yaml, strlen(yaml), "./w.yaml", NULL, 0, &s, &err), 0);
    want = cwd_join("");
    assert_string_equal(s->dir, want);
    free(want);
    want = cwd_join("/db.sqlite");
    char *sq;
    assert_true(asprintf(&sq, "sqlite:%s", want) > 0);
    assert_string_equal(s->data.source, sq);
    assert_string_equal(s->data.table, "t");
    free(want);
    free(sq);
    want = cwd_join("/s.db");
    assert_true(asprintf(&sq, "sqlite:%s", want) > 0);
    assert_string_equal(s->score.to, sq);
    assert_string_equal(s->score.table, "scores");
    assert_string_equal(s->score.id, "cid");
    assert_true(s->score.present);
    assert_int_equal(s->score.line, 4);
    free(want);
    free(sq);
    wf_spec_free(s);

    /* Absolute paths and URIs are left alone. */
    yaml = "name: t\ndata: {source: 'sqlite:///var/db.sqlite', query: SELECT 1}\ntarget: y\n"
           "score: {to: 'postgres://u@h/db', table: s}\n";
    assert_int_equal(wf_spec_parse(yaml, strlen(yaml), "/etc/x/w.yaml", NULL, 0, &s, &err), 0);
    assert_string_equal(s->dir, "/etc/x");
    assert_string_equal(s->data.source, "sqlite:///var/db.sqlite");
    assert_string_equal(s->data.query, "SELECT 1");
    assert_string_equal(s->score.to, "postgres://u@h/db");
    wf_spec_free(s);
    yaml = "name: t\ndata: {source: /d.csv}\ntarget: y\n";
    assert_int_equal(wf_spec_parse(yaml, strlen(yaml), "/w.yaml", NULL, 0, &s, &err), 0);
    assert_string_equal(s->dir, "/");
    assert_string_equal(s->data.source, "/d.csv");
    wf_spec_free(s);
}

static void test_data_rules(void **state)
{
    (void)state;
    expect("name: t\ndata: {source: d.csv, query: SELECT 1}\ntarget: y\n",
           "w.yaml:2: data.query: only for database sources (sqlite:PATH, postgresql://...); the "
           "source is a file");
    expect("name: t\ndata: {source: 'sqlite:x.db'}\ntarget: y\n",
           "w.yaml:2: data: a database source needs query or table");
    expect("name: t\ndata: {source: 'postgresql://h/db', query: q, table: t}\ntarget: y\n",
           "w.yaml:2: data.table: give query or table, not both");
    expect("name: t\ndata: {source: 'mysql://h/db'}\ntarget: y\n",
           "w.yaml:2: data.source: mysql://h/db: unsupported URI scheme 'mysql' (use a file "
           "path, sqlite:PATH or postgresql://…)");
    expect(BASE "score: {to: 'postgresql://h/db'}\n", "w.yaml:4: score.table: required key is "
                                                      "missing");
    expect(BASE "score: {to: s.csv, table: x}\n",
           "w.yaml:4: score.table: only for database destinations (sqlite:PATH, "
           "postgresql://...); score.to is a file");
}

static void test_env_expansion(void **state)
{
    (void)state;
    setenv("MLOOP_SPEC_DIR", "/srv/data", 1);
    setenv("MLOOP_SPEC_PG", "postgresql://u@h/db", 1);
    setenv("MLOOP_SPEC_T", "customers", 1);
    unsetenv("MLOOP_SPEC_UNSET");
    const char *yaml = "name: t\ndata:\n  source: ${MLOOP_SPEC_PG}\n"
                       "  query: SELECT * FROM ${MLOOP_SPEC_T}\ntarget: y\n"
                       "score: {to: '${MLOOP_SPEC_DIR}/s.csv'}\n";
    wf_spec *s = parse_ok(yaml);
    assert_string_equal(s->data.source, "postgresql://u@h/db");
    assert_string_equal(s->data.query, "SELECT * FROM customers");
    assert_string_equal(s->score.to, "/srv/data/s.csv");
    wf_spec_free(s);
    expect("name: t\ndata:\n  source: ${MLOOP_SPEC_UNSET}/x.csv\ntarget: y\n",
           "w.yaml:3: data.source: environment variable 'MLOOP_SPEC_UNSET' is not set");
    expect("name: t\ndata: {source: '${MLOOP_SPEC_DIR'}\ntarget: y\n",
           "w.yaml:2: data.source: '${' must be followed by a variable name and '}'");
    /* Expansion happens before resolution: a relative result resolves. */
    setenv("MLOOP_SPEC_REL", "rel.csv", 1);
    s = parse_ok("name: t\ndata: {source: '${MLOOP_SPEC_REL}'}\ntarget: y\n");
    char *want = cwd_join("/rel.csv");
    assert_string_equal(s->data.source, want);
    free(want);
    wf_spec_free(s);
    /* Only data.source, data.query and score.to expand. */
    s = parse_ok("name: t\ndata: {source: d.csv}\ntarget: ${X}\n");
    assert_string_equal(s->target, "${X}");
    wf_spec_free(s);
}

/* ---- features ----------------------------------------------------------------------------- */

static void test_section_keys(void **state)
{
    (void)state;
    expect(BASE "features:\n  numeric: {encode: onehot}\n",
           "w.yaml:5: features.numeric.encode: 'encode' is a categorical option; it belongs under "
           "features.categorical or features.columns.<name>");
    expect(BASE "features:\n  categorical: {scale: standard}\n",
           "w.yaml:5: features.categorical.scale: 'scale' is a numeric option; it belongs under "
           "features.numeric, features.datetime or features.columns.<name>");
    expect(BASE "features:\n  numeric: {parts: [year]}\n",
           "w.yaml:5: features.numeric.parts: 'parts' is a datetime option; it belongs under "
           "features.datetime or features.columns.<name>");
    expect(BASE "features:\n  categorical: {cyclic: true}\n",
           "w.yaml:5: features.categorical.cyclic: 'cyclic' is a datetime option; it belongs "
           "under features.datetime or features.columns.<name>");
    expect(BASE "features:\n  numeric: {fill_value: x}\n",
           "w.yaml:5: features.numeric.fill_value: 'fill_value' is a categorical option; it "
           "belongs under features.categorical or features.columns.<name> (numeric constants "
           "use value)");
    expect(BASE "features:\n  categorical: {value: 1}\n",
           "w.yaml:5: features.categorical.value: 'value' is a numeric option; it belongs under "
           "features.numeric, features.datetime or features.columns.<name> (categorical "
           "constants use fill_value)");
    expect(BASE "features:\n  numeric: {type: categorical}\n",
           "w.yaml:5: features.numeric.type: 'type' belongs under features.columns.<name> only");
    expect(BASE "features:\n  categorical: {impute: median}\n",
           "w.yaml:5: features.categorical.impute: median needs numbers; a categorical column "
           "takes none, constant or most_frequent");
    expect(BASE "features:\n  columns:\n    c: {type: categorical, impute: mean}\n",
           "w.yaml:6: features.columns.c.impute: mean needs numbers; a categorical column takes "
           "none, constant or most_frequent");
    expect(BASE "features:\n  columns:\n    c: {type: auto}\n",
           "w.yaml:6: features.columns.c.type: expected one of numeric|categorical|datetime, got "
           "'auto'");
    /* The datetime section takes the numeric steps (its parts are numbers). */
    wf_spec *s = parse_ok(BASE "features:\n  datetime: {scale: minmax, cyclic: true, impute: "
                               "median}\n");
    assert_int_equal(s->features.datetime.scale, FP_SCALE_MINMAX);
    assert_true(s->features.datetime.cyclic);
    assert_int_equal(s->features.datetime.impute, FP_IMPUTE_MEDIAN);
    wf_spec_free(s);
}

static void test_column_options(void **state)
{
    (void)state;
    const char *yaml =
        BASE "features:\n"
             "  drop: [a, b]\n"
             "  numeric: {impute: constant, value: -1, clip: zscore, bins: quantile}\n"
             "  categorical: {impute: constant, fill_value: '', min_frequency: 0.01, folds: 3}\n"
             "  columns:\n"
             "    n1: {type: numeric, impute: constant, log1p: true, scale: minmax}\n"
             "    c1: {type: categorical, encode: frequency, max_categories: 7, unknown: other}\n"
             "    d1: {type: datetime, parts: [hour, epoch_days], cyclic: true}\n"
             "    v1: {value: 2.5, missing_indicator: false, bins: {method: uniform, n: 16}}\n"
             "    f1: {fill_value: none, smoothing: 0}\n"
             "    k1: {clip: {method: iqr, k: 2, action: clip}}\n";
    wf_spec *s = parse_ok(yaml);
    const fp_options *o = &s->features;
    assert_int_equal(o->ndrop, 2);
    assert_int_equal(o->drop_line, 5);
    assert_int_equal(o->numeric.impute, FP_IMPUTE_CONSTANT);
    assert_true(o->numeric.impute_value == -1);
    assert_int_equal(o->numeric.clip, FP_CLIP_ZSCORE);
    assert_true(o->numeric.clip_k == 3); /* zscore's default */
    assert_int_equal(o->numeric.bins, FP_BINS_QUANTILE);
    assert_int_equal(o->numeric.nbins, 5);
    assert_string_equal(o->categorical.fill_value, "");
    assert_true(o->categorical.min_frequency == 0.01);
    assert_int_equal(o->categorical.folds, 3);
    assert_int_equal(o->ncolumns, 6);
    const fp_column_opts *n1 = &o->columns[0].opts;
    assert_int_equal(n1->set, FP_SET_KIND | FP_SET_IMPUTE | FP_SET_LOG1P | FP_SET_SCALE);
    assert_int_equal(n1->kind, FP_KIND_NUMERIC);
    assert_true(n1->impute_value == -1); /* the section's constant */
    assert_string_equal(n1->fill_value, "");
    assert_true(n1->log1p);
    const fp_column_opts *c1 = &o->columns[1].opts;
    assert_int_equal(c1->set, FP_SET_KIND | FP_SET_ENCODE | FP_SET_MAX_CATEGORIES | FP_SET_UNKNOWN);
    assert_int_equal(c1->encode, FP_ENCODE_FREQUENCY);
    assert_int_equal(c1->max_categories, 7);
    const fp_column_opts *d1 = &o->columns[2].opts;
    assert_int_equal(d1->set, FP_SET_KIND | FP_SET_PARTS | FP_SET_CYCLIC);
    assert_int_equal(d1->kind, FP_KIND_DATETIME);
    assert_int_equal(d1->parts, FP_DT_HOUR | FP_DT_EPOCH_DAYS);
    const fp_column_opts *v1 = &o->columns[3].opts;
    assert_int_equal(v1->set, FP_SET_IMPUTE | FP_SET_MISSING_INDICATOR | FP_SET_BINS);
    assert_int_equal(v1->impute, FP_IMPUTE_CONSTANT); /* implied by value */
    assert_true(v1->impute_value == 2.5);
    assert_int_equal(v1->bins, FP_BINS_UNIFORM);
    assert_int_equal(v1->nbins, 16);
    const fp_column_opts *f1 = &o->columns[4].opts;
    assert_int_equal(f1->set, FP_SET_IMPUTE | FP_SET_SMOOTHING);
    assert_string_equal(f1->fill_value, "none");
    assert_true(f1->impute_value == -1);
    assert_true(f1->smoothing == 0);
    const fp_column_opts *k1 = &o->columns[5].opts;
    assert_int_equal(k1->set, FP_SET_CLIP);
    assert_int_equal(k1->clip, FP_CLIP_IQR);
    assert_true(k1->clip_k == 2);
    assert_int_equal(k1->line, 14);
    wf_spec_free(s);

    expect(BASE "features:\n  numeric: {impute: median, value: 0}\n",
           "w.yaml:5: features.numeric.value: only used with impute: constant (impute is median)");
    expect(BASE "features:\n  numeric: {clip: {method: quantile, k: 2}}\n",
           "w.yaml:5: features.numeric.clip.k: only used with method iqr or zscore");
    expect(BASE "features:\n  numeric: {clip: {method: iqr, low: 0.1}}\n",
           "w.yaml:5: features.numeric.clip.low: only used with method quantile");
    expect(BASE "features:\n  numeric: {clip: {method: quantile, low: 0.9, high: 0.1}}\n",
           "w.yaml:5: features.numeric.clip.high: expected low < high, got low 0.9 and high 0.1");
    expect(BASE "features:\n  numeric: {clip: {method: quantile, high: 1.5}}\n",
           "w.yaml:5: features.numeric.clip.high: expected a number in [0, 1], got 1.5");
    expect(BASE "features:\n  numeric: {clip: {k: 2}}\n",
           "w.yaml:5: features.numeric.clip.method: required key is missing");
    expect(BASE "features:\n  numeric: {clip: {method: iqr, k: 0}}\n",
           "w.yaml:5: features.numeric.clip.k: expected a number > 0, got 0");
    expect(BASE "features:\n  numeric: {clip: {method: iqr, action: cap}}\n",
           "w.yaml:5: features.numeric.clip.action: expected one of clip|drop, got 'cap'");
    expect(BASE "features:\n  numeric: {bins: {method: uniform, n: 300}}\n",
           "w.yaml:5: features.numeric.bins.n: expected an integer in [2, 256], got 300");
    expect(BASE "features:\n  datetime: {parts: [year, year]}\n",
           "w.yaml:5: features.datetime.parts[1]: 'year' is listed twice");
    expect(BASE "features:\n  datetime: {parts: [year, week]}\n",
           "w.yaml:5: features.datetime.parts[1]: expected one of "
           "year|month|day|dayofweek|hour|epoch_days, got 'week'");
    expect(BASE "features:\n  categorical: {min_frequency: 1}\n",
           "w.yaml:5: features.categorical.min_frequency: expected a number in [0, 1), got 1");
    expect(BASE "features:\n  categorical: {folds: 1}\n",
           "w.yaml:5: features.categorical.folds: expected an integer >= 2, got 1");
    expect(BASE "features:\n  drop: [a, {b: 1}]\n",
           "w.yaml:5: features.drop[1]: expected a string, got a mapping");
    expect(BASE "features:\n  columns: [a]\n",
           "w.yaml:5: features.columns: expected a mapping, got a list");
}

static void test_derived_and_select(void **state)
{
    (void)state;
    expect(BASE "features:\n  derived:\n    - {name: a, expr: x + 1}\n    - {name: b, expr: "
                "y}\n    - {name: a, expr: z}\n",
           "w.yaml:8: features.derived[2].name: 'a' is already defined on line 6");
    expect(BASE "features:\n  derived: {name: a, expr: b}\n",
           "w.yaml:5: features.derived: expected a list, got a mapping");
    expect(BASE "features:\n  select: {method: mutual_info}\n",
           "w.yaml:5: features.select.top_k: required key is missing");
    expect(BASE "features:\n  select: {top_k: 3}\n",
           "w.yaml:5: features.select.top_k: only used with a method (mutual_info or "
           "importance)");
    expect(BASE "features:\n  select: {near_constant: 0}\n",
           "w.yaml:5: features.select.near_constant: expected a number in (0, 1], got 0");
    wf_spec *s = parse_ok(BASE "features:\n  select: {drop_constant: false, near_constant: 0.99, "
                               "method: mutual_info, top_k: 10}\n");
    const fp_select *sel = &s->features.select;
    assert_false(sel->drop_constant);
    assert_true(sel->near_constant == 0.99);
    assert_int_equal(sel->method, FP_SELECT_MUTUAL_INFO);
    assert_int_equal(sel->top_k, 10);
    assert_int_equal(sel->line, 5);
    wf_spec_free(s);
}

/* ---- split, model, tune, gate, deploy, monitor ------------------------------------------- */

static void test_split_and_model(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE "split: {method: group, column: store, seed: "
                               "18446744073709551615, test: 0.5}\n");
    assert_int_equal(s->split.method, WF_SPLIT_GROUP);
    assert_string_equal(s->split.column, "store");
    assert_true(s->split.seed == UINT64_MAX);
    wf_spec_free(s);
    expect(BASE "split: {method: random, column: store}\n",
           "w.yaml:4: split.column: only used with method time or group");
    expect(BASE "split: {column: store}\n",
           "w.yaml:4: split.column: only used with method time or group");
    expect(BASE "task: regression\nsplit: {method: stratified}\n",
           "w.yaml:5: split.method: stratified needs a classification task; this one is "
           "regression (use random, time or group)");
    expect(BASE "split: {seed: 18446744073709551616}\n",
           "w.yaml:4: split.seed: expected an integer below 2^64, got 18446744073709551616");
    expect(BASE "split: {test: 1}\n", "w.yaml:4: split.test: expected a number in (0, 1), got 1");

    s = parse_ok(BASE "model:\n  type: forest\n  valid_fraction: 0\n  params:\n"
                      "    n_estimators: 50\n    max_depth: 6\n");
    assert_int_equal(s->model.kind, MDL_KIND_FOREST);
    assert_true(s->model.valid_fraction == 0);
    assert_int_equal(s->model.nparams, 2);
    assert_int_equal(s->model.params[1].line, 9);
    wf_spec_free(s);
    expect(BASE "model:\n  params:\n    learning_rate: 0.1\n    num_leafs: 31\n",
           "w.yaml:7: model.params.num_leafs: unknown parameter 'num_leafs' (did you mean "
           "'num_leaves'?)");
    expect(BASE "model:\n  params: {learning_rate: [0.1]}\n",
           "w.yaml:5: model.params.learning_rate: expected a single value, got a list");
    expect(BASE "model: {valid_fraction: 1}\n",
           "w.yaml:4: model.valid_fraction: expected a number in [0, 1), got 1");
    ml_error err = {0};
    wf_spec *bad = NULL;
    const char *yaml = BASE "model: {params: {learning_rate: fast}}\n";
    assert_error(wf_spec_parse(yaml, strlen(yaml), "w.yaml", NULL, 0, &bad, &err), err, ML_EINVAL,
                 "w.yaml:4: model.params.learning_rate: ");
}

static void test_cv(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE);
    assert_false(s->cv.present);
    assert_true(s->cv.folds == 5 && s->cv.method == -1 && s->cv.repeats == 1 && s->cv.shuffle);
    wf_spec_free(s);
    s = parse_ok(BASE "cv: 3\n");
    assert_true(s->cv.present && s->cv.folds == 3 && s->cv.line == 4);
    wf_spec_free(s);
    s = parse_ok(BASE "cv: {folds: 4, method: group, column: customer}\n");
    assert_int_equal(s->cv.method, WF_CV_GROUP);
    assert_string_equal(s->cv.column, "customer");
    wf_spec_free(s);
    s = parse_ok(BASE "cv: {method: stratified, repeats: 3, shuffle: false}\n");
    assert_true(s->cv.method == WF_CV_STRATIFIED && s->cv.repeats == 3 && !s->cv.shuffle);
    wf_spec_free(s);
    expect(BASE "cv: 1\n", "w.yaml:4: cv: expected an integer >= 2, got 1");
    expect(BASE "cv: {method: time}\n", "w.yaml:4: cv.column: required key is missing");
    expect(BASE "cv: {method: kfold, column: t}\n",
           "w.yaml:4: cv.column: only used with method group or time");
    expect(BASE "cv: {method: time, column: t, repeats: 2}\n",
           "w.yaml:4: cv.repeats: repeats need method kfold or stratified");
    expect(BASE "cv: {fold: 3}\n", "w.yaml:4: cv.fold: unknown key (did you mean 'folds'?)");
    expect(BASE "cv: {method: loo}\n",
           "w.yaml:4: cv.method: expected one of kfold|stratified|group|time, got 'loo'");
}

static void test_threshold(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE "threshold: 0.35\n");
    assert_true(s->threshold.present && s->threshold.method == WF_THRESHOLD_FIXED);
    assert_true(s->threshold.value == 0.35);
    wf_spec_free(s);
    s = parse_ok(BASE "threshold: {method: cost, fp: 1, fn: 5}\n");
    assert_int_equal(s->threshold.method, WF_THRESHOLD_COST);
    assert_true(s->threshold.cost_fp == 1 && s->threshold.cost_fn == 5);
    wf_spec_free(s);
    s = parse_ok(BASE "threshold: {method: precision, target: 0.9}\n");
    assert_true(s->threshold.method == WF_THRESHOLD_PRECISION && s->threshold.target == 0.9);
    wf_spec_free(s);
    expect(BASE "threshold: 1.5\n", "w.yaml:4: threshold: expected a number in [0, 1], got 1.5");
    expect(BASE "threshold: {method: recall}\n",
           "w.yaml:4: threshold.target: required key is missing");
    expect(BASE "threshold: {method: f1, target: 0.5}\n",
           "w.yaml:4: threshold.target: only used with method precision or recall");
    expect(BASE "threshold: {method: youden, fp: 2}\n",
           "w.yaml:4: threshold.fp: only used with method cost");
    expect(BASE "threshold: {method: cost, fp: 0, fn: 0}\n",
           "w.yaml:4: threshold.fp: fp and fn cannot both be 0");
    expect(BASE "threshold: {method: best}\n",
           "w.yaml:4: threshold.method: expected one of fixed|f1|youden|precision|recall|cost, "
           "got 'best'");
    expect(BASE "task: regression\nthreshold: 0.5\n",
           "w.yaml:5: threshold: a decision threshold needs a binary task");
}

static void test_tune_budget(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE "tune: {method: halving, budget: rounds, time_budget: 60, "
                               "parallel: 2, space: {num_leaves: [8, 64, int]}}\n");
    assert_true(s->tune.budget_rounds && s->tune.time_budget == 60 && s->tune.parallel == 2);
    wf_spec_free(s);
    s = parse_ok(BASE "tune: {space: {num_leaves: [8, 64, int]}}\n");
    assert_false(s->tune.budget_rounds);
    wf_spec_free(s);
    expect(BASE "model: {type: linear}\ntune: {budget: rounds, space: {C: [0.1, 10, log]}}\n",
           "w.yaml:5: tune.budget: rounds are a budget of gbdt models only");
    expect(BASE "tune: {budget: trees, space: {num_leaves: [8, 64, int]}}\n",
           "w.yaml:4: tune.budget: expected one of rows|rounds, got 'trees'");
    expect(BASE "tune: {time_budget: 0, space: {num_leaves: [8, 64, int]}}\n",
           "w.yaml:4: tune.time_budget: expected a number in (0, 1e+09], got 0");
}

static void test_tune(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE "tune:\n  method: halving\n  trials: 40\n  cv: 3\n"
                               "  metric: roc_auc\n  space:\n"
                               "    learning_rate: [0.01, 0.3, log]\n"
                               "    num_leaves: [15, 255, int]\n"
                               "    min_data_in_leaf: [1, 50]\n"
                               "    lambda_l2: [0, 0.1, 1]\n"
                               "    objective: [binary]\n"
                               "    max_bin: ['63', '255']\n");
    assert_true(s->tune.present);
    assert_string_equal(s->tune.method, "halving");
    assert_int_equal(s->tune.trials, 40);
    assert_int_equal(s->tune.cv, 3);
    assert_string_equal(s->tune.metric, "roc_auc");
    assert_int_equal(s->tune.line, 4);
    assert_int_equal(s->tune.nspace, 6);
    const wf_tune_dim *d = s->tune.space;
    assert_string_equal(d[0].name, "learning_rate");
    assert_int_equal(d[0].kind, WF_TUNE_LOG);
    assert_true(d[0].lo == 0.01 && d[0].hi == 0.3);
    assert_int_equal(d[0].line, 10);
    assert_int_equal(d[1].kind, WF_TUNE_INT);
    assert_true(d[1].lo == 15 && d[1].hi == 255);
    assert_int_equal(d[2].kind, WF_TUNE_FLOAT);
    assert_int_equal(d[3].kind, WF_TUNE_CHOICE);
    assert_int_equal(d[3].nchoices, 3);
    assert_string_equal(d[3].choices[2], "1");
    assert_int_equal(d[4].kind, WF_TUNE_CHOICE);
    assert_int_equal(d[4].nchoices, 1);
    assert_string_equal(d[4].choices[0], "binary");
    assert_int_equal(d[5].kind, WF_TUNE_CHOICE); /* quoted numbers are choices */
    assert_int_equal(d[5].nchoices, 2);
    wf_spec_free(s);

    s = parse_ok(BASE "tune: {method: grid, space: {num_leaves: [8, 16, int], max_bin: [63, "
                      "127, 255]}}\n");
    assert_int_equal(s->tune.trials, 20);
    assert_int_equal(s->tune.cv, 5);
    assert_null(s->tune.metric);
    wf_spec_free(s);

    expect(BASE "tune: {space: {learning_rate: [0.3, 0.01]}}\n",
           "w.yaml:4: tune.space.learning_rate: expected lo < hi, got [0.3, 0.01]");
    expect(BASE "tune: {space: {learning_rate: [0, 0.3, log]}}\n",
           "w.yaml:4: tune.space.learning_rate: a log range needs lo > 0, got 0");
    expect(BASE "tune: {space: {num_leaves: [1.5, 8, int]}}\n",
           "w.yaml:4: tune.space.num_leaves: an int range needs integer ends, got [1.5, 8]");
    expect(BASE "tune: {space: {num_leafs: [8, 16, int]}}\n",
           "w.yaml:4: tune.space.num_leafs: not a parameter of gbdt (did you mean "
           "'num_leaves'?)");
    expect(BASE "tune: {space: {num_leaves: 8}}\n",
           "w.yaml:4: tune.space.num_leaves: expected a list, got '8'");
    expect(BASE "tune: {space: {num_leaves: []}}\n",
           "w.yaml:4: tune.space.num_leaves: expected [lo, hi], [lo, hi, log], [lo, hi, int] or "
           "a list of choices, got an empty list");
    expect(BASE "tune: {method: grid, space: {learning_rate: [0.01, 0.3]}}\n",
           "w.yaml:4: tune.space.learning_rate: grid search needs a list of choices or an int "
           "range");
    expect(BASE "tune: {method: bayes, space: {num_leaves: [8]}}\n",
           "w.yaml:4: tune.method: expected one of grid|random|halving, got 'bayes'");
    expect(BASE "tune: {cv: 1, space: {num_leaves: [8]}}\n",
           "w.yaml:4: tune.cv: expected an integer >= 2, got 1");
    expect(BASE "tune: {metric: auroc, space: {num_leaves: [8]}}\n",
           "w.yaml:4: tune.metric: unknown metric 'auroc' (choose auc, logloss, error, "
           "multi_logloss, multi_error, rmse, mae, r2, poisson, quantile, accuracy, "
           "balanced_accuracy, f1, precision, recall, f1_macro, f1_weighted, average_precision, "
           "brier, mcc, kappa, roc_auc_ovr, roc_auc_ovr_weighted, mape, median_ae or "
           "explained_variance)");
    expect(BASE "task: binary\ntune: {metric: rmse, space: {num_leaves: [8]}}\n",
           "w.yaml:5: tune.metric: rmse does not apply to a binary task");
    expect(BASE "tune: {trials: 5}\n", "w.yaml:4: tune.space: required key is missing");
}

static void test_gate_deploy(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE "gate: {metric: auc, min: 0.75, vs_production: -0.002}\n"
                               "deploy: {alias: production}\n");
    assert_true(s->gate.present);
    assert_string_equal(s->gate.metric, "auc");
    assert_true(s->gate.has_min && !s->gate.has_max && s->gate.has_vs_production);
    assert_true(s->gate.min == 0.75 && s->gate.vs_production == -0.002);
    assert_true(s->deploy.present);
    assert_string_equal(s->deploy.alias, "production");
    assert_int_equal(s->deploy.line, 5);
    wf_spec_free(s);
    expect(BASE "gate: {metric: auc}\n", "w.yaml:4: gate: give min, max or vs_production");
    expect(BASE "gate: {min: 0.5}\n", "w.yaml:4: gate.metric: required key is missing");
    expect(BASE "gate: {metric: rmse, min: 2, max: 1}\n",
           "w.yaml:4: gate.max: expected max >= min, got min 2 and max 1");
    expect(BASE "deploy: {}\n", "w.yaml:4: deploy.alias: required key is missing");
}

static void test_monitor(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE "monitor:\n  drift: {method: psi, threshold: 0.2}\n"
                               "  schedule: \"0 3 * * *\"\n"
                               "  retrain_on: [drift, schedule, \"labels >= 1000\"]\n");
    assert_true(s->monitor.present);
    assert_string_equal(s->monitor.drift_method, "psi");
    assert_true(s->monitor.drift_threshold == 0.2);
    assert_string_equal(s->monitor.schedule, "0 3 * * *");
    assert_int_equal(s->monitor.nretrain_on, 3);
    assert_string_equal(s->monitor.retrain_on[2], "labels >= 1000");
    assert_int_equal(s->monitor.line, 4);
    wf_spec_free(s);
    static const char *const good[] = {"*/15 0-6,18-23 1 jan-mar mon-fri", "59 23 31 12 7",
                                       "0 0 1,15 * SUN", "5-10/2 * * * *"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, BASE "monitor: {schedule: '%s'}\n", good[i]);
        wf_spec_free(parse_ok(yaml));
    }
    expect(BASE "monitor: {schedule: '0 3 * *'}\n",
           "w.yaml:4: monitor.schedule: expected five cron fields (minute hour day-of-month "
           "month day-of-week), got 4 in '0 3 * *'");
    static const struct {
        const char *cron, *want;
    } bad[] = {
        {"60 * * * *", "minute field '60' is not valid (expected *, N, N-M, lists and /STEP "
                       "within 0-59)"},
        {"* 24 * * *", "hour field '24'"},
        {"* * 0 * *", "day of month field '0'"},
        {"* * * 13 *", "month field '13'"},
        {"* * * * 8", "day of week field '8'"},
        {"5-1 * * * *", "minute field '5-1'"},
        {"*/0 * * * *", "minute field '*/0'"},
        {"1, * * * *", "minute field '1,'"},
        {"* * * foo *", "month field 'foo'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, BASE "monitor: {schedule: '%s'}\n", bad[i].cron);
        expect_part(yaml, bad[i].want);
    }
    expect(BASE "monitor: {drift: {method: psi}}\n",
           "w.yaml:4: monitor.drift.threshold: required key is missing");
    expect(BASE "monitor: {drift: {method: kl, threshold: 1}}\n",
           "w.yaml:4: monitor.drift.method: expected one of psi|ks|chi2|wasserstein, got 'kl'");
    expect(BASE "monitor: {drift: {method: ks, threshold: 0}}\n",
           "w.yaml:4: monitor.drift.threshold: expected a number > 0, got 0");
    expect(BASE "monitor: {retrain_on: [drift]}\n",
           "w.yaml:4: monitor.retrain_on[0]: 'drift' needs monitor.drift");
    expect(BASE "monitor: {schedule: '* * * * *', retrain_on: [schedule, sometimes]}\n",
           "w.yaml:4: monitor.retrain_on[1]: expected drift, schedule or 'labels >= N', got "
           "'sometimes'");
}

static void test_where(void **state)
{
    (void)state;
    wf_spec *s = parse_ok(BASE);
    char buf[64];
    wf_spec_where(s, 14, buf, sizeof buf);
    assert_string_equal(buf, "w.yaml:14");
    wf_spec_where(s, 0, buf, sizeof buf);
    assert_string_equal(buf, "w.yaml");
    wf_spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn_example),
        cmocka_unit_test(test_design_example),
        cmocka_unit_test(test_churn_integration_sets),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_empty_and_not_a_mapping),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_bad_enum),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_data_rules),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_section_keys),
        cmocka_unit_test(test_column_options),
        cmocka_unit_test(test_derived_and_select),
        cmocka_unit_test(test_split_and_model),
        cmocka_unit_test(test_cv),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_tune_budget),
        cmocka_unit_test(test_tune),
        cmocka_unit_test(test_gate_deploy),
        cmocka_unit_test(test_monitor),
        cmocka_unit_test(test_where),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
