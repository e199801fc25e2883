/* Unit tests for src/features/pipeline.c, transform.c, select.c and
 * pipeline_io.c: every transform against scikit-learn's output on the
 * fixtures of tests/fixtures/pipeline (made by make_reference.py), the
 * artifact round trip, row-by-row equal to column-wise, target encoding
 * without leakage, datetime parts, derived columns, outlier rows, and the
 * errors a user can hit. */
#include "test_util.h"

#include "core/rng.h"
#include "data/source.h"
#include "features/pipeline.h"

#include <math.h>

static char *fixture_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/pipeline/%s", getenv("MLOOP_SOURCE_DIR"), name);
    return path;
}

static tbl_table *load(const char *name)
{
    src_options o = {0};
    tbl_table *t = NULL;
    src_report rep;
    ml_error err = {0};
    if (src_read_table(fixture_path(name), &o, &t, &rep, &err))
        fail_msg("%s", err.message);
    return t;
}

/* A pipeline fitted on t with options o (binary target y). */
typedef struct fitted {
    mdl_schema *base;
    double *y;
    fp_pipeline *p;
    mdl_frame features;
    size_t *kept, nkept;
} fitted;

static int fit(const tbl_table *t, const char *target, int task, const fp_options *o, fitted *f,
               ml_error *err)
{
    memset(f, 0, sizeof *f);
    int rc = schema_create(t, target, NULL, 0, task, &f->base, err);
    if (!rc)
        rc = schema_target(f->base, t, &f->y, err);
    if (rc)
        return rc;
    fp_fit_spec spec = {
        .options = o, .base = f->base, .y = f->y, .seed = 7, .options_file = "w.yaml"};
    return fp_fit(&spec, t, &f->p, &f->features, &f->kept, &f->nkept, err);
}

static void fitted_free(fitted *f)
{
    fp_free(f->p);
    frame_free(&f->features);
    schema_free(f->base);
    free(f->y);
    free(f->kept);
}

static void transform(const fp_pipeline *p, const tbl_table *t, mdl_frame *out)
{
    mdl_frame in;
    ml_error err = {0};
    if (frame_build(fp_inputs(p), t, &in, &err) || fp_transform(p, &in, out, &err))
        fail_msg("%s", err.message);
    frame_free(&in);
}

static int output_index(const fp_pipeline *p, const char *name)
{
    for (size_t k = 0; k < fp_noutputs(p); k++)
        if (strcmp(fp_output_name(p, k), name) == 0)
            return (int)k;
    return -1;
}

static bool close_enough(double got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    return fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want));
}

/* Options that keep only `column` (and the target y). */
static void only_column(fp_options *o, const char *column)
{
    static const char *all[] = {"num_a", "num_b", "num_c", "cat_a", "cat_b"};
    fp_options_init(o);
    o->drop = calloc(5, sizeof(char *));
    for (size_t i = 0; i < 5; i++)
        if (strcmp(all[i], column) != 0)
            o->drop[o->ndrop++] = strdup(all[i]);
    o->select.drop_constant = false;
    o->categorical.max_categories = 1000;
}

static void configure(const char *name, fp_options *o)
{
    if (!strncmp(name, "impute_", 7) && strstr(name, "onehot") == NULL) {
        o->numeric.impute = !strcmp(name, "impute_mean")            ? FP_IMPUTE_MEAN
                            : !strcmp(name, "impute_median")        ? FP_IMPUTE_MEDIAN
                            : !strcmp(name, "impute_most_frequent") ? FP_IMPUTE_MOST_FREQUENT
                                                                    : FP_IMPUTE_CONSTANT;
        o->numeric.impute_value = -1;
    } else if (!strncmp(name, "scale_", 6)) {
        o->numeric.scale = !strcmp(name, "scale_standard") ? FP_SCALE_STANDARD
                           : !strcmp(name, "scale_minmax") ? FP_SCALE_MINMAX
                                                           : FP_SCALE_ROBUST;
    } else if (!strncmp(name, "bins_", 5)) {
        o->numeric.bins = strstr(name, "uniform") ? FP_BINS_UNIFORM : FP_BINS_QUANTILE;
        o->numeric.nbins = strstr(name, "ties") ? 10 : atoi(strrchr(name, '_') + 1);
    } else if (!strcmp(name, "log1p")) {
        o->numeric.log1p = true;
    } else if (!strcmp(name, "clip_iqr")) {
        o->numeric.clip = FP_CLIP_IQR;
        o->numeric.clip_k = 1.5;
    } else if (!strcmp(name, "ordinal")) {
        o->categorical.encode = FP_ENCODE_ORDINAL;
    } else if (!strcmp(name, "impute_most_frequent_onehot")) {
        o->categorical.impute = FP_IMPUTE_MOST_FREQUENT;
    }
}

static void test_transforms_match_sklearn(void **state)
{
    (void)state;
    tbl_table *train = load("train.csv"), *apply = load("apply.csv");
    FILE *f = fopen(fixture_path("reference.txt"), "r");
    assert_non_null(f);
    char line[65536];
    size_t cases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64], column[64];
        int nout;
        if (sscanf(line, "case %63s %63s %d", name, column, &nout) != 3)
            continue;
        fp_options o;
        only_column(&o, column);
        configure(name, &o);
        fitted fp;
        ml_error err = {0};
        if (fit(train, "y", MDL_TASK_BINARY, &o, &fp, &err))
            fail_msg("%s: %s", name, err.message);
        assert_non_null(fgets(line, sizeof line, f));
        line[strcspn(line, "\n")] = '\0';
        int idx[64];
        char *save, *tok = strtok_r(line, "\t", &save);
        for (int k = 0; k < nout; k++, tok = strtok_r(NULL, "\t", &save)) {
            assert_non_null(tok);
            idx[k] = output_index(fp.p, tok);
            if (idx[k] < 0)
                fail_msg("%s: no output named '%s'", name, tok);
        }
        if ((size_t)nout != fp_noutputs(fp.p))
            fail_msg("%s: %zu outputs, scikit-learn has %d", name, fp_noutputs(fp.p), nout);
        mdl_frame out;
        transform(fp.p, apply, &out);
        for (size_t r = 0; r < out.nrows; r++) {
            for (int k = 0; k < nout; k++) {
                double want;
                if (fscanf(f, "%lf", &want) != 1) {
                    char tokbuf[32];
                    if (fscanf(f, "%31s", tokbuf) != 1 || strcmp(tokbuf, "nan") != 0)
                        fail_msg("%s: bad fixture", name);
                    want = NAN;
                }
                double got = out.cols[idx[k]][r];
                if (!close_enough(got, want))
                    fail_msg("%s row %zu %s: got %.17g, scikit-learn %.17g", name, r,
                             fp_output_name(fp.p, (size_t)idx[k]), got, want);
            }
        }
        frame_free(&out);
        fitted_free(&fp);
        fp_options_free(&o);
        cases++;
    }
    fclose(f);
    assert_true(cases >= 17);
    tbl_free(train);
    tbl_free(apply);
}

static void test_mutual_info_selection_matches_sklearn(void **state)
{
    (void)state;
    tbl_table *t = load("mi.csv");
    FILE *f = fopen(fixture_path("reference.txt"), "r");
    char line[65536], a[64] = "", b[64] = "";
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "mi_top2 %63s %63s", a, b) == 2)
            break;
    fclose(f);
    assert_true(a[0] && b[0]);
    fp_options o;
    fp_options_init(&o);
    o.select.method = FP_SELECT_MUTUAL_INFO;
    o.select.top_k = 2;
    fitted fp;
    ml_error err = {0};
    if (fit(t, "y", MDL_TASK_BINARY, &o, &fp, &err))
        fail_msg("%s", err.message);
    assert_int_equal(fp_noutputs(fp.p), 2);
    assert_true(output_index(fp.p, a) >= 0);
    assert_true(output_index(fp.p, b) >= 0);
    /* The unselected inputs are pruned: predicting needs only the kept ones. */
    assert_int_equal(fp_inputs(fp.p)->nfeatures, 2);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(t);
}

/* A pipeline with a bit of everything, for the round trip and row tests. */
static void rich_options(fp_options *o)
{
    fp_options_init(o);
    o->numeric.impute = FP_IMPUTE_MEDIAN;
    o->numeric.missing_indicator = true;
    o->numeric.clip = FP_CLIP_IQR;
    o->numeric.clip_k = 3;
    o->numeric.scale = FP_SCALE_STANDARD;
    o->categorical.impute = FP_IMPUTE_CONSTANT;
    o->categorical.max_categories = 3;
    o->categorical.unknown = FP_UNKNOWN_OTHER;
    o->columns = calloc(2, sizeof *o->columns);
    o->ncolumns = 2;
    o->columns[0].name = strdup("cat_b");
    fp_column_opts_init(&o->columns[0].opts);
    o->columns[0].opts.set = FP_SET_ENCODE;
    o->columns[0].opts.encode = FP_ENCODE_TARGET;
    o->columns[1].name = strdup("num_c");
    fp_column_opts_init(&o->columns[1].opts);
    o->columns[1].opts.set = FP_SET_BINS | FP_SET_LOG1P;
    o->columns[1].opts.bins = FP_BINS_QUANTILE;
    o->columns[1].opts.nbins = 4;
    o->columns[1].opts.log1p = true;
    o->derived = calloc(1, sizeof *o->derived);
    o->nderived = 1;
    o->derived[0].name = strdup("ratio");
    o->derived[0].expr = strdup("if(cat_a == \"red\", num_a / num_b, -num_b)");
}

static void test_round_trip_and_row_path(void **state)
{
    (void)state;
    tbl_table *train = load("train.csv"), *apply = load("apply.csv");
    fp_options o;
    rich_options(&o);
    fitted fp;
    ml_error err = {0};
    if (fit(train, "y", MDL_TASK_BINARY, &o, &fp, &err))
        fail_msg("%s", err.message);
    ml_wbuf w;
    wbuf_init(&w);
    fp_write(fp.p, &w);
    assert_int_equal(wbuf_status(&w, &err), ML_OK);
    ml_rbuf r;
    rbuf_init(&r, w.data, w.len, "pipeline");
    fp_pipeline *back = NULL;
    if (fp_read(&r, &back, &err))
        fail_msg("%s", err.message);
    assert_int_equal(rbuf_remaining(&r), 0);
    mdl_frame a, b, in;
    transform(fp.p, apply, &a);
    transform(back, apply, &b);
    assert_int_equal(a.ncols, b.ncols);
    for (size_t k = 0; k < a.ncols; k++)
        assert_memory_equal(a.cols[k], b.cols[k], a.nrows * sizeof(double));
    /* One row at a time gives the same bits as whole columns. */
    assert_int_equal(frame_build(fp_inputs(back), apply, &in, &err), ML_OK);
    double row[64], feat[256];
    for (size_t i = 0; i < in.nrows; i++) {
        for (size_t j = 0; j < in.ncols; j++)
            row[j] = in.cols[j][i];
        fp_transform_row(back, row, feat);
        for (size_t k = 0; k < a.ncols; k++)
            assert_memory_equal(&feat[k], &a.cols[k][i], sizeof(double));
    }
    /* Writing again gives the same bytes. */
    ml_wbuf w2;
    wbuf_init(&w2);
    fp_write(back, &w2);
    assert_int_equal(w.len, w2.len);
    assert_memory_equal(w.data, w2.data, w.len);
    /* The unseen categories in apply.csv go to "other". */
    int other = output_index(fp.p, "cat_a=other");
    assert_true(other >= 0);
    assert_true(a.cols[other][0] == 1.0);
    json_t *d = fp_describe(back);
    assert_non_null(d);
    assert_int_equal(json_array_size(json_object_get(d, "features")), fp_noutputs(back));
    json_decref(d);
    frame_free(&a), frame_free(&b), frame_free(&in);
    wbuf_free(&w), wbuf_free(&w2);
    fp_free(back);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(train);
    tbl_free(apply);
}

static void test_truncated_section_is_refused(void **state)
{
    (void)state;
    tbl_table *train = load("train.csv");
    fp_options o;
    rich_options(&o);
    fitted fp;
    ml_error err = {0};
    assert_int_equal(fit(train, "y", MDL_TASK_BINARY, &o, &fp, &err), ML_OK);
    ml_wbuf w;
    wbuf_init(&w);
    fp_write(fp.p, &w);
    for (size_t cut = 0; cut < w.len; cut += 7) {
        ml_rbuf r;
        rbuf_init(&r, w.data, cut, "pipeline");
        fp_pipeline *back = NULL;
        int rc = fp_read(&r, &back, &err);
        if (rc == ML_OK) { /* a prefix can only parse if the reader stops early */
            assert_true(rbuf_remaining(&r) == 0);
            fp_free(back);
            fail_msg("a %zu-byte prefix of %zu parsed", cut, w.len);
        }
        assert_int_equal(rc, ML_EFORMAT);
    }
    wbuf_free(&w);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(train);
}

/* A random, high-cardinality ID carries no signal: encoded out of fold it
 * must not look predictive, though encoded in-fold it would. */
static double auc(const double *score, const double *y, size_t n)
{
    double pos = 0, neg = 0, wins = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] == 1 && y[j] == 0) {
                wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
            }
    for (size_t i = 0; i < n; i++)
        y[i] == 1 ? pos++ : neg++;
    return wins / (pos * neg);
}

static void test_target_encoding_does_not_leak(void **state)
{
    (void)state;
    enum { N = 1500 };
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "user", TBL_STR, &err);
    tbl_add_column(t, "y", TBL_STR, &err);
    tbl_resize(t, N, &err);
    ml_rng rng;
    ml_rng_seed(&rng, 3);
    for (size_t r = 0; r < N; r++) {
        char id[32];
        int len = snprintf(id, sizeof id, "u%llu", (unsigned long long)ml_rng_below(&rng, 700));
        tbl_set_str(t, 0, r, id, (size_t)len, &err);
        bool yes = ml_rng_uniform(&rng) < 0.5;
        tbl_set_str(t, 1, r, yes ? "yes" : "no", yes ? 3 : 2, &err);
    }
    fp_options o;
    fp_options_init(&o);
    o.categorical.encode = FP_ENCODE_TARGET;
    o.categorical.smoothing = 1;
    fitted fp;
    if (fit(t, "y", -1, &o, &fp, &err))
        fail_msg("%s", err.message);
    assert_int_equal(fp_noutputs(fp.p), 1);
    double out_of_fold = auc(fp.features.cols[0], fp.y, N);
    mdl_frame in_fold;
    transform(fp.p, t, &in_fold);
    double leaky = auc(in_fold.cols[0], fp.y, N);
    assert_true(fabs(out_of_fold - 0.5) < 0.06);
    assert_true(leaky > 0.75); /* shows the test could fail */
    frame_free(&in_fold);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(t);
}

static void test_datetime_parts(void **state)
{
    (void)state;
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "when", TBL_TIMESTAMP, &err);
    tbl_add_column(t, "y", TBL_F64, &err);
    tbl_resize(t, 3, &err);
    /* 2024-02-29T13:30:00 (a Thursday), 1969-12-31T23:00:00 (Wednesday), null */
    tbl_set_timestamp(t, 0, 0, (19782LL * 86400 + 13 * 3600 + 1800) * 1000000LL);
    tbl_set_timestamp(t, 0, 1, -3600LL * 1000000LL);
    tbl_set_null(t, 0, 2, &err);
    for (size_t r = 0; r < 3; r++)
        tbl_set_f64(t, 1, r, (double)r);
    fp_options o;
    fp_options_init(&o);
    o.datetime.cyclic = true;
    o.select.drop_constant = false;
    fitted fp;
    if (fit(t, "y", MDL_TASK_REGRESSION, &o, &fp, &err))
        fail_msg("%s", err.message);
    static const struct {
        const char *name;
        double v0, v1;
    } want[] = {{"when_year", 2024, 1969}, {"when_month", 2, 12},
                {"when_day", 29, 31},      {"when_dayofweek", 3, 2},
                {"when_hour", 13, 23},     {"when_epoch_days", 19782.5625, -1.0 / 24}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int k = output_index(fp.p, want[i].name);
        if (k < 0)
            fail_msg("no output %s", want[i].name);
        assert_true(close_enough(fp.features.cols[k][0], want[i].v0));
        assert_true(close_enough(fp.features.cols[k][1], want[i].v1));
        assert_true(isnan(fp.features.cols[k][2]));
    }
    int s = output_index(fp.p, "when_hour_sin");
    assert_true(s >= 0 && close_enough(fp.features.cols[s][0], sin(6.283185307179586 * 13 / 24)));
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(t);
}

static void test_outlier_rows_dropped_at_training_only(void **state)
{
    (void)state;
    tbl_table *t = load("train.csv");
    fp_options o;
    fp_options_init(&o);
    o.columns = calloc(1, sizeof *o.columns);
    o.ncolumns = 1;
    o.columns[0].name = strdup("num_b");
    fp_column_opts_init(&o.columns[0].opts);
    o.columns[0].opts.set = FP_SET_CLIP;
    o.columns[0].opts.clip = FP_CLIP_IQR;
    o.columns[0].opts.clip_k = 1.5;
    o.columns[0].opts.outlier_action = FP_OUTLIER_DROP;
    fitted fp;
    ml_error err = {0};
    assert_int_equal(fit(t, "y", MDL_TASK_BINARY, &o, &fp, &err), ML_OK);
    assert_true(fp.nkept < tbl_nrows(t) && fp.nkept > tbl_nrows(t) / 2);
    assert_int_equal(fp.features.nrows, fp.nkept);
    /* At predict time nothing is clipped: the largest value passes through. */
    mdl_frame all;
    transform(fp.p, t, &all);
    int k = output_index(fp.p, "num_b");
    const tbl_column *c = tbl_col(t, (size_t)tbl_find(t, "num_b"));
    for (size_t r = 0; r < tbl_nrows(t); r++)
        assert_true(all.cols[k][r] == c->data.f64[r]);
    frame_free(&all);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(t);
}

/* A 0/1 flag has an IQR of 0: IQR clipping must leave it alone rather than
 * flatten it to a constant (the flag is often the most useful column). */
static void test_clip_spares_flags(void **state)
{
    (void)state;
    tbl_table *t = tbl_create();
    ml_error err = {0};
    tbl_add_column(t, "flag", TBL_F64, &err);
    tbl_add_column(t, "wide", TBL_F64, &err);
    tbl_add_column(t, "y", TBL_F64, &err);
    tbl_resize(t, 100, &err);
    for (size_t r = 0; r < 100; r++) {
        tbl_set_f64(t, 0, r, r % 10 == 0);
        tbl_set_f64(t, 1, r, r == 99 ? 1e6 : (double)r);
        tbl_set_f64(t, 2, r, (double)r);
    }
    fp_options o;
    fp_options_init(&o);
    o.numeric.clip = FP_CLIP_IQR;
    o.numeric.clip_k = 1.5;
    fitted fp;
    if (fit(t, "y", MDL_TASK_REGRESSION, &o, &fp, &err))
        fail_msg("%s", err.message);
    int flag = output_index(fp.p, "flag"), wide = output_index(fp.p, "wide");
    assert_true(flag >= 0 && wide >= 0);
    assert_true(fp.features.cols[flag][0] == 1.0 && fp.features.cols[flag][1] == 0.0);
    /* The ordinary column is still clipped: q3 + 1.5 iqr = 74.25 + 1.5 * 49.5. */
    assert_true(close_enough(fp.features.cols[wide][99], 74.25 + 1.5 * 49.5));
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(t);
}

/* A derived column that selection drops is pruned from the pipeline; its
 * training values are still freed (ASan checks), and predicting no longer
 * needs the inputs only it read. */
static void test_pruned_derived_column(void **state)
{
    (void)state;
    tbl_table *t = load("train.csv");
    fp_options o;
    fp_options_init(&o);
    o.derived = calloc(2, sizeof *o.derived);
    o.nderived = 2;
    o.derived[0].name = strdup("flat");
    o.derived[0].expr = strdup("coalesce(num_c * 0, 0) + 7");
    o.derived[1].name = strdup("sum");
    o.derived[1].expr = strdup("num_a + num_b");
    fitted fp;
    ml_error err = {0};
    if (fit(t, "y", MDL_TASK_BINARY, &o, &fp, &err))
        fail_msg("%s", err.message);
    assert_int_equal(output_index(fp.p, "flat"), -1);
    assert_true(output_index(fp.p, "sum") >= 0);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(t);
}

static void expect_fit_error(fp_options *o, const char *message)
{
    tbl_table *t = load("train.csv");
    fitted fp;
    ml_error err = {0};
    int rc = fit(t, "y", MDL_TASK_BINARY, o, &fp, &err);
    assert_int_equal(rc, ML_EINVAL);
    if (!strstr(err.message, message))
        fail_msg("expected '%s' in '%s'", message, err.message);
    fitted_free(&fp);
    fp_options_free(o);
    tbl_free(t);
}

static void test_errors_name_the_option(void **state)
{
    (void)state;
    fp_options o;
    fp_options_init(&o);
    o.columns = calloc(1, sizeof *o.columns);
    o.ncolumns = 1;
    o.columns[0].name = strdup("num_bb");
    fp_column_opts_init(&o.columns[0].opts);
    o.columns[0].opts.line = 12;
    expect_fit_error(&o, "w.yaml:12: features.columns.num_bb: the data has no such column (did "
                         "you mean 'num_b'?)");

    fp_options_init(&o);
    o.drop = calloc(1, sizeof(char *));
    o.drop[o.ndrop++] = strdup("nope");
    o.drop_line = 4;
    expect_fit_error(&o, "w.yaml:4: features.drop: the data has no column 'nope'");

    fp_options_init(&o);
    o.derived = calloc(1, sizeof *o.derived);
    o.nderived = 1;
    o.derived[0].name = strdup("bad");
    o.derived[0].expr = strdup("num_a / num_bx");
    o.derived[0].line = 9;
    expect_fit_error(&o, "w.yaml:9: features.derived: derived column 'bad': 1:9: unknown column "
                         "'num_bx'");

    fp_options_init(&o);
    o.derived = calloc(1, sizeof *o.derived);
    o.nderived = 1;
    o.derived[0].name = strdup("num_a");
    o.derived[0].expr = strdup("1");
    o.derived[0].line = 3;
    expect_fit_error(&o, "w.yaml:3: features.derived: 'num_a' is already the name of a column");

    fp_options_init(&o);
    o.columns = calloc(1, sizeof *o.columns);
    o.ncolumns = 1;
    o.columns[0].name = strdup("cat_a");
    fp_column_opts_init(&o.columns[0].opts);
    o.columns[0].opts.set = FP_SET_KIND;
    o.columns[0].opts.kind = FP_KIND_DATETIME;
    o.columns[0].opts.line = 5;
    expect_fit_error(&o, "w.yaml:5: column 'cat_a' is string; datetime features need a date or "
                         "timestamp column");

    fp_options_init(&o);
    o.select.method = FP_SELECT_MUTUAL_INFO;
    o.select.top_k = 1;
    o.select.near_constant = 0.0001; /* everything is "near-constant" */
    expect_fit_error(&o, "feature selection left no features");
}

static void test_missing_input_at_predict(void **state)
{
    (void)state;
    tbl_table *train = load("train.csv");
    fp_options o;
    fp_options_init(&o);
    fitted fp;
    ml_error err = {0};
    assert_int_equal(fit(train, "y", MDL_TASK_BINARY, &o, &fp, &err), ML_OK);
    tbl_table *t = tbl_create();
    tbl_add_column(t, "num_a", TBL_F64, &err);
    mdl_frame in;
    assert_int_equal(frame_build(fp_inputs(fp.p), t, &in, &err), ML_EINVAL);
    assert_string_equal(err.message, "input column 'num_b' that the model needs is missing");
    tbl_free(t);
    /* Numbers that arrive as text (one odd cell made the column text) are
     * coerced; blank text is missing; other text is refused with its row. */
    t = tbl_create();
    const char *names[] = {"num_a", "num_b", "num_c", "cat_a", "cat_b"};
    const char *row1[] = {" 1.5", "", "2", "blue", "s"}, *row2[] = {"3", "oops", "1", "red", "s"};
    for (size_t j = 0; j < 5; j++)
        tbl_add_column(t, names[j], TBL_STR, &err);
    tbl_resize(t, 1, &err);
    for (size_t j = 0; j < 5; j++)
        tbl_set_str(t, j, 0, row1[j], strlen(row1[j]), &err);
    assert_int_equal(frame_build(fp_inputs(fp.p), t, &in, &err), ML_OK);
    assert_true(in.cols[0][0] == 1.5 && isnan(in.cols[1][0]) && in.cols[2][0] == 2.0);
    frame_free(&in);
    tbl_resize(t, 2, &err);
    for (size_t j = 0; j < 5; j++)
        tbl_set_str(t, j, 1, row2[j], strlen(row2[j]), &err);
    assert_int_equal(frame_build(fp_inputs(fp.p), t, &in, &err), ML_EINVAL);
    assert_non_null(strstr(err.message, "input column 'num_b' row 2: 'oops' is not a number"));
    tbl_free(t);
    fitted_free(&fp);
    fp_options_free(&o);
    tbl_free(train);
}

int main(void)
{
    if (!getenv("MLOOP_SOURCE_DIR"))
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transforms_match_sklearn),
        cmocka_unit_test(test_mutual_info_selection_matches_sklearn),
        cmocka_unit_test(test_round_trip_and_row_path),
        cmocka_unit_test(test_truncated_section_is_refused),
        cmocka_unit_test(test_target_encoding_does_not_leak),
        cmocka_unit_test(test_datetime_parts),
        cmocka_unit_test(test_outlier_rows_dropped_at_training_only),
        cmocka_unit_test(test_clip_spares_flags),
        cmocka_unit_test(test_pruned_derived_column),
        cmocka_unit_test(test_errors_name_the_option),
        cmocka_unit_test(test_missing_input_at_predict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
