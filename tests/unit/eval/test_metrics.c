/* Unit tests for src/eval/metrics.c and src/eval/curves.c: every metric,
 * curve, calibration and threshold choice against scikit-learn's values on
 * the prediction sets of tests/fixtures/metrics/reference.txt (made by
 * make_reference.py) and reference_full.txt (make_reference_full.py), plus
 * edge cases, error paths and the name registry. */
#include "test_util.h"

#include "eval/curves.h"
#include "eval/metrics.h"

#include <ctype.h>
#include <float.h>
#include <math.h>

static void read_doubles(FILE *f, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        if (fscanf(f, "%lf", &out[i]) != 1)
            fail_msg("fixture: expected %zu numbers", n);
}

static void assert_close(const char *set, const char *metric, double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want))))
        fail_msg("%s %s: got %.17g, scikit-learn %.17g", set, metric, got, want);
}

static void test_against_sklearn(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/metrics/reference.txt",
             getenv("MLOOP_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char name[64];
    size_t K, n, checked = 0;
    while (fscanf(f, "%63s %zu %zu", name, &K, &n) == 3) {
        double *y = malloc(n * sizeof *y), *p = malloc(n * K * sizeof *p), *w = NULL;
        read_doubles(f, n, y);
        read_doubles(f, n * K, p);
        char first[64];
        long pos = ftell(f);
        if (fscanf(f, "%63s", first) == 1 && strcmp(first, "-") != 0) {
            fseek(f, pos, SEEK_SET);
            w = malloc(n * sizeof *w);
            read_doubles(f, n, w);
        }
        char metric[64];
        double want;
        for (;;) {
            pos = ftell(f);
            if (fscanf(f, "%63s %lf", metric, &want) != 2 || isdigit((unsigned char)metric[0])) {
                fseek(f, pos, SEEK_SET);
                break;
            }
            /* The next block starts with a set name and two integers. */
            int c = fgetc(f);
            if (c != '\n' && c != EOF) {
                fseek(f, pos, SEEK_SET);
                break;
            }
            double got = NAN;
            if (!strcmp(metric, "auc"))
                got = met_auc(y, p, w, n);
            else if (!strcmp(metric, "average_precision"))
                got = met_average_precision(y, p, w, n);
            else if (!strcmp(metric, "logloss"))
                got = met_logloss_binary(y, p, w, n);
            else if (!strcmp(metric, "accuracy"))
                got = met_accuracy_binary(y, p, w, n);
            else if (!strcmp(metric, "multi_logloss"))
                got = met_logloss_multi(y, p, K, w, n);
            else if (!strcmp(metric, "multi_accuracy"))
                got = met_accuracy_multi(y, p, K, w, n);
            else if (!strcmp(metric, "rmse"))
                got = met_rmse(y, p, w, n);
            else if (!strcmp(metric, "mae"))
                got = met_mae(y, p, w, n);
            else if (!strcmp(metric, "r2"))
                got = met_r2(y, p, w, n);
            else if (!strcmp(metric, "poisson"))
                got = met_poisson_deviance(y, p, w, n);
            else if (!strcmp(metric, "quantile"))
                got = met_quantile_loss(y, p, w, n, 0.8);
            else
                fail_msg("fixture: unknown metric %s", metric);
            assert_close(name, metric, got, want);
            checked++;
        }
        free(y);
        free(p);
        free(w);
    }
    fclose(f);
    assert_true(checked >= 20);
}

static void test_edge_cases(void **state)
{
    (void)state;
    double y1[] = {1, 1, 1}, s[] = {0.2, 0.5, 0.9};
    assert_true(isnan(met_auc(y1, s, NULL, 3))); /* one class */
    assert_true(isnan(met_rmse(y1, s, NULL, 0)));
    /* A NaN score has no rank: NaN, not a hang in the tie walk. */
    double y01[] = {0, 1, 1}, snan[] = {0.1, NAN, 0.3};
    assert_true(isnan(met_auc(y01, snan, NULL, 3)));
    assert_true(isnan(met_average_precision(y01, snan, NULL, 3)));
    double y[] = {0, 1, 0, 1}, perfect[] = {0.1, 0.9, 0.2, 0.8}, tied[] = {0.5, 0.5, 0.5, 0.5};
    assert_float_equal(met_auc(y, perfect, NULL, 4), 1.0, 0);
    assert_float_equal(met_auc(y, tied, NULL, 4), 0.5, 0);
    double neg[] = {-3, 2, -0.0, 1e300};
    assert_float_equal(met_auc(y, neg, NULL, 4), 1.0, 0); /* negative scores sort right */
    double zero[] = {0, 1, 0, 1};
    assert_true(met_logloss_binary(y, zero, NULL, 4) < 1e-12); /* clipped, finite */
    assert_true(isnan(met_r2(y1, s, NULL, 3)));
}

static void test_registry(void **state)
{
    (void)state;
    met_id id;
    ml_error err = {0};
    assert_int_equal(met_parse("auc", &id, &err), ML_OK);
    assert_int_equal(id, MET_AUC);
    assert_true(met_higher_is_better(id));
    assert_string_equal(met_name(MET_MULTI_LOGLOSS), "multi_logloss");
    assert_error(met_parse("auroc", &id, &err), err, ML_EINVAL,
                 "unknown metric 'auroc' (choose auc, logloss, error, ");
    assert_error(met_parse("auroc", &id, &err), err, ML_EINVAL,
                 "mape, median_ae or explained_variance)");
    assert_int_equal(met_parse("f1", &id, &err), ML_OK);
    assert_int_equal(id, MET_F1);
    assert_true(met_higher_is_better(MET_F1));
    assert_false(met_higher_is_better(MET_BRIER));
    assert_false(met_higher_is_better(MET_MEDIAN_AE));
    assert_int_equal(met_parse("matthews_corrcoef", &id, &err), ML_OK);
    assert_int_equal(id, MET_MCC);
    assert_true(met_valid_for_task(MET_ACCURACY, 0));
    assert_true(met_valid_for_task(MET_ACCURACY, 1));
    assert_false(met_valid_for_task(MET_ACCURACY, 2));
    assert_false(met_valid_for_task(MET_F1, 1));
    assert_true(met_valid_for_task(MET_AUC_OVR, 1));
    assert_true(met_valid_for_task(MET_MAPE, 2));
    assert_false(met_valid_for_task(MET_MAPE, 3));
    /* Every name parses back to its id. */
    for (int i = 0; i <= MET_EXPLAINED_VARIANCE; i++) {
        assert_int_equal(met_parse(met_name((met_id)i), &id, &err), ML_OK);
        assert_int_equal(id, i);
    }
    assert_string_equal(met_name((met_id)999), "unknown");
    assert_true(met_valid_for_task(MET_AUC, 0));
    assert_false(met_valid_for_task(MET_AUC, 2));
    assert_true(met_valid_for_task(MET_RMSE, 2));
    double y[] = {0, 1}, p[] = {0.25, 0.75};
    assert_float_equal(met_compute(MET_ERROR, y, p, 1, NULL, 2, 0), 0.0, 0);
    assert_float_equal(met_compute(MET_MAE, y, p, 1, NULL, 2, 0), 0.25, 1e-15);
}

/* ---- reference_full.txt: every metric of metrics.h and curves.h ---------- */

typedef struct fcase {
    char name[64];
    size_t K, n; /* K: 1 binary, > 1 multiclass, 0 regression */
    double *y, *p, *pred, *w;
} fcase;

/* Numbers after the key on a fixture line, malloc'd into *out. */
static size_t parse_values(const char *s, double **out)
{
    size_t len = 0, cap = 16;
    double *v = malloc(cap * sizeof *v);
    for (;;) {
        char *end;
        double x = strtod(s, &end);
        if (end == s)
            break;
        if (len == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[len++] = x;
        s = end;
    }
    *out = v;
    return len;
}

static size_t classes(const fcase *c)
{
    return c->K == 1 ? 2 : c->K;
}

/* Flattened metric output rows. */
static size_t put_choice(const met_choice *ch, double *out)
{
    const double v[] = {ch->threshold, ch->value, ch->precision, ch->recall, ch->fpr};
    memcpy(out, v, sizeof v);
    return 5;
}

static size_t compute_curve(const fcase *c, const char *key, double *out)
{
    ml_error err = {0};
    size_t len = 0, n = c->n;
    double *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b),
           *t = malloc((n + 1) * sizeof *t);
    int rc = ML_OK;
    if (!strncmp(key, "roc_", 4)) {
        rc = met_roc_curve(c->y, c->p, c->w, n, a, b, t, &len, &err);
        memcpy(out,
               !strcmp(key, "roc_fpr")   ? a
               : !strcmp(key, "roc_tpr") ? b
                                         : t,
               len * sizeof *out);
    } else {
        rc = met_pr_curve(c->y, c->p, c->w, n, a, b, t, &len, &err);
        if (strcmp(key, "pr_thr"))
            len++;
        memcpy(out,
               !strcmp(key, "pr_precision") ? a
               : !strcmp(key, "pr_recall")  ? b
                                            : t,
               len * sizeof *out);
    }
    if (rc)
        fail_msg("%s %s: %s", c->name, key, err.message);
    free(a);
    free(b);
    free(t);
    return len;
}

static size_t compute_binary_extra(const fcase *c, const char *key, double *out)
{
    ml_error err = {0};
    size_t len = 0, bins_n;
    char strategy[16];
    met_choice ch;
    if (!strncmp(key, "roc_", 4) || !strncmp(key, "pr_", 3))
        return compute_curve(c, key, out);
    if (sscanf(key, "calib_%15[a-z]_%zu", strategy, &bins_n) == 2) {
        met_calib_bin *bins = malloc(bins_n * sizeof *bins);
        met_bin_strategy st = strcmp(strategy, "uniform") ? MET_BINS_QUANTILE : MET_BINS_UNIFORM;
        assert_int_equal(
            met_calibration_curve(c->y, c->p, c->w, c->n, bins_n, st, bins, &len, &err), ML_OK);
        memcpy(out, bins, len * sizeof *bins);
        free(bins);
        return 3 * len;
    }
    if (sscanf(key, "ece_%zu", &bins_n) == 1) {
        out[0] = met_ece(c->y, c->p, c->w, c->n, bins_n);
        return 1;
    }
    if (!strncmp(key, "table", 5)) {
        size_t max_rows = key[5] == '_' ? (size_t)atoi(key + 6) : 0;
        met_threshold_row *rows = malloc(c->n * sizeof *rows);
        assert_int_equal(met_threshold_table(c->y, c->p, c->w, c->n, max_rows, rows, &len, &err),
                         ML_OK);
        memcpy(out, rows, len * sizeof *rows);
        free(rows);
        return 4 * len;
    }
    int rc = -1;
    if (!strcmp(key, "choose_f1"))
        rc = met_choose_max_f1(c->y, c->p, c->w, c->n, &ch, &err);
    else if (!strcmp(key, "choose_youden"))
        rc = met_choose_youden(c->y, c->p, c->w, c->n, &ch, &err);
    else if (!strcmp(key, "choose_precision_0.8"))
        rc = met_choose_precision(c->y, c->p, c->w, c->n, 0.8, &ch, &err);
    else if (!strcmp(key, "choose_recall_0.9"))
        rc = met_choose_recall(c->y, c->p, c->w, c->n, 0.9, &ch, &err);
    else if (!strcmp(key, "choose_cost_1_5"))
        rc = met_choose_min_cost(c->y, c->p, c->w, c->n, 1, 5, &ch, &err);
    if (rc == -1)
        fail_msg("fixture: unknown key %s", key);
    assert_int_equal(rc, ML_OK);
    return put_choice(&ch, out);
}

/* Label metrics: "accuracy", "<precision|recall|f1>_<average>", ... */
static bool compute_labels(const fcase *c, const char *key, double *out, size_t *len)
{
    static const char *const avg_names[] = {"binary", "macro", "micro", "weighted"};
    ml_error err = {0};
    size_t K = classes(c);
    *len = 1;
    if (!strcmp(key, "accuracy"))
        out[0] = met_accuracy(c->y, c->pred, c->w, c->n);
    else if (!strcmp(key, "balanced_accuracy"))
        out[0] = met_balanced_accuracy(c->y, c->pred, K, c->w, c->n);
    else if (!strcmp(key, "mcc"))
        out[0] = met_mcc(c->y, c->pred, K, c->w, c->n);
    else if (!strcmp(key, "kappa"))
        out[0] = met_cohen_kappa(c->y, c->pred, K, c->w, c->n);
    else if (!strcmp(key, "confusion")) {
        assert_int_equal(met_confusion_matrix(c->y, c->pred, K, c->w, c->n, out, &err), ML_OK);
        *len = K * K;
    } else if (!strcmp(key, "report")) {
        met_class_row *rows = malloc(K * sizeof *rows);
        assert_int_equal(met_class_report(c->y, c->pred, K, c->w, c->n, rows, &err), ML_OK);
        memcpy(out, rows, K * sizeof *rows);
        free(rows);
        *len = 4 * K;
    } else {
        for (int a = 0; a < 4; a++) {
            const char *u = strchr(key, '_');
            if (!u || strcmp(u + 1, avg_names[a]))
                continue;
            met_prf r = met_precision_recall_f1(c->y, c->pred, K, (met_average)a, c->w, c->n);
            out[0] = !strncmp(key, "precision", 9) ? r.precision
                     : !strncmp(key, "recall", 6)  ? r.recall
                                                   : r.f1;
            return true;
        }
        return false;
    }
    return true;
}

static size_t compute_full(const fcase *c, const char *key, double *out)
{
    size_t len = 1;
    met_id id;
    double q[] = {0.05, 0.25, 0.5, 0.75, 0.95};
    ml_error err = {0};
    if (!strncmp(key, "compute_", 8)) {
        assert_int_equal(met_parse(key + 8, &id, &err), ML_OK);
        out[0] = met_compute(id, c->y, c->p, c->K ? c->K : 1, c->w, c->n, 0.8);
    } else if (c->K >= 1 && compute_labels(c, key, out, &len)) {
        return len;
    } else if (!strcmp(key, "auc"))
        out[0] = met_auc(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "average_precision"))
        out[0] = met_average_precision(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "logloss"))
        out[0] = met_logloss_binary(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "brier"))
        out[0] = met_brier(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "accuracy_p"))
        out[0] = met_accuracy_binary(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "auc_ovr_macro"))
        out[0] = met_auc_ovr(c->y, c->p, c->K, MET_AVG_MACRO, c->w, c->n);
    else if (!strcmp(key, "auc_ovr_weighted"))
        out[0] = met_auc_ovr(c->y, c->p, c->K, MET_AVG_WEIGHTED, c->w, c->n);
    else if (!strcmp(key, "multi_logloss"))
        out[0] = met_logloss_multi(c->y, c->p, c->K, c->w, c->n);
    else if (!strcmp(key, "accuracy_prob"))
        out[0] = met_accuracy_multi(c->y, c->p, c->K, c->w, c->n);
    else if (!strcmp(key, "rmse"))
        out[0] = met_rmse(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "mae"))
        out[0] = met_mae(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "r2"))
        out[0] = met_r2(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "explained_variance"))
        out[0] = met_explained_variance(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "mape"))
        out[0] = met_mape(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "median_ae"))
        out[0] = met_median_ae(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "poisson"))
        out[0] = met_poisson_deviance(c->y, c->p, c->w, c->n);
    else if (!strcmp(key, "quantile"))
        out[0] = met_quantile_loss(c->y, c->p, c->w, c->n, 0.8);
    else if (!strcmp(key, "residual_quantiles")) {
        assert_int_equal(met_residual_quantiles(c->y, c->p, c->n, q, 5, out, &err), ML_OK);
        len = 5;
    } else
        return compute_binary_extra(c, key, out);
    return len;
}

/* 1e-9 relative, 1e-12 absolute near 0; NaN matches NaN, inf matches inf. */
static bool close_enough(double got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    return fabs(got - want) <= fmax(1e-9 * fabs(want), 1e-12);
}

static void check_line(const fcase *c, const char *key, const double *want, size_t nwant)
{
    double *got = malloc((8 * c->n * (c->K + 2) + 64) * sizeof *got);
    size_t ngot = compute_full(c, key, got);
    if (ngot != nwant)
        fail_msg("%s %s: %zu values, scikit-learn %zu", c->name, key, ngot, nwant);
    for (size_t i = 0; i < nwant; i++)
        if (!close_enough(got[i], want[i]))
            fail_msg("%s %s[%zu]: got %.17g, scikit-learn %.17g", c->name, key, i, got[i], want[i]);
    free(got);
}

static void test_against_sklearn_full(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/metrics/reference_full.txt",
             getenv("MLOOP_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = NULL, key[64];
    size_t cap = 0, checked = 0, cases = 0;
    fcase c = {0};
    while (getline(&buf, &cap, f) > 0) {
        int used = 0;
        if (sscanf(buf, "%63s %n", key, &used) != 1)
            continue;
        double *v = NULL;
        size_t nv = 0;
        if (!strcmp(key, "case")) {
            assert_int_equal(sscanf(buf, "case %63s %zu %zu", c.name, &c.K, &c.n), 3);
            continue;
        }
        if (!strcmp(key, "end")) {
            free(c.y);
            free(c.p);
            free(c.pred);
            free(c.w);
            c = (fcase){0};
            cases++;
            continue;
        }
        if (strcmp(buf + used, "-\n") != 0)
            nv = parse_values(buf + used, &v);
        if (!strcmp(key, "y"))
            c.y = v;
        else if (!strcmp(key, "p"))
            c.p = v;
        else if (!strcmp(key, "pred"))
            c.pred = v;
        else if (!strcmp(key, "w"))
            c.w = v;
        else {
            check_line(&c, key, v, nv);
            checked++;
            free(v);
        }
    }
    free(buf);
    fclose(f);
    assert_int_equal(cases, 11);
    assert_true(checked >= 380);
}

/* ---- edge cases and error paths ----------------------------------------------- */

static void test_label_edges(void **state)
{
    (void)state;
    double y[] = {0, 1, 1, 0}, pred[] = {0, 1, 0, 0}, zero[] = {0, 0, 0, 0};
    /* zero rows, zero weight, bad labels: NaN */
    assert_true(isnan(met_accuracy(y, pred, NULL, 0)));
    assert_true(isnan(met_accuracy(y, pred, zero, 4)));
    assert_true(isnan(met_balanced_accuracy(y, pred, 2, zero, 4)));
    assert_true(isnan(met_mcc(y, pred, 2, NULL, 0)));
    assert_true(isnan(met_precision_recall_f1(y, pred, 2, MET_AVG_MACRO, zero, 4).f1));
    double bad[] = {0, 1, 2, 0}, frac[] = {0, 1, 0.5, 0};
    assert_true(isnan(met_mcc(y, bad, 2, NULL, 4)));
    assert_true(isnan(met_cohen_kappa(y, frac, 2, NULL, 4)));
    assert_true(isnan(met_precision_recall_f1(y, pred, 3, MET_AVG_BINARY, NULL, 4).precision));
    /* all one class: MCC 0, kappa NaN (0/0), precision 0 by zero_division */
    double ones[] = {1, 1, 1, 1};
    assert_float_equal(met_mcc(ones, ones, 2, NULL, 4), 0.0, 0);
    assert_true(isnan(met_cohen_kappa(ones, ones, 2, NULL, 4)));
    met_prf r = met_precision_recall_f1(zero, zero, 2, MET_AVG_BINARY, NULL, 4);
    assert_float_equal(r.precision, 0.0, 0);
    assert_float_equal(r.recall, 0.0, 0);
    assert_float_equal(r.f1, 0.0, 0);
    assert_float_equal(met_balanced_accuracy(ones, ones, 2, NULL, 4), 1.0, 0);
    /* micro-averaged F1 of single-label multiclass is accuracy */
    double y3[] = {0, 1, 2, 2, 1}, p3[] = {0, 2, 2, 1, 1}, w3[] = {1, 2, 0.5, 1, 3};
    assert_float_equal(met_precision_recall_f1(y3, p3, 3, MET_AVG_MICRO, w3, 5).f1,
                       met_accuracy(y3, p3, w3, 5), 1e-15);
    /* many classes take the heap path */
    double yb[] = {0, 99, 50}, pb[] = {0, 99, 49};
    assert_float_equal(met_balanced_accuracy(yb, pb, 100, NULL, 3), 2.0 / 3, 1e-15);
}

static void test_label_errors(void **state)
{
    (void)state;
    ml_error err = {0};
    double y[] = {0, 1, 2}, pred[] = {0, 1, 3}, cm[9];
    met_class_row rows[3];
    assert_error(met_confusion_matrix(y, pred, 3, NULL, 3, cm, &err), err, ML_EINVAL,
                 "confusion matrix: row 2: label 3 is not a class index below 3");
    assert_error(met_confusion_matrix(y, pred, 0, NULL, 3, cm, &err), err, ML_EINVAL,
                 "confusion matrix: no classes");
    assert_error(met_class_report(y, pred, 3, NULL, 3, rows, &err), err, ML_EINVAL,
                 "class report: row 2: a label is not a class index below 3");
    assert_error(met_class_report(y, pred, 3, NULL, 0, rows, &err), err, ML_EINVAL,
                 "class report: no rows");
    double zero[] = {0, 0, 0};
    assert_error(met_class_report(y, y, 3, zero, 3, rows, &err), err, ML_EINVAL,
                 "class report: the weights sum to zero");
    assert_int_equal(met_confusion_matrix(y, y, 3, NULL, 0, cm, &err), ML_OK);
    for (int i = 0; i < 9; i++)
        assert_float_equal(cm[i], 0.0, 0);
}

/* K = 2 probabilities [1 - p, p] score as the binary metrics of p. */
static void test_binary_multiclass_consistency(void **state)
{
    (void)state;
    enum { N = 64 };
    double y[N], p[N], prob[2 * N], w[N];
    for (int i = 0; i < N; i++) {
        y[i] = (i * 7 + i / 5) % 3 == 0;
        p[i] = (double)((i * 13 + 5 * (int)y[i]) % 16) / 16; /* exact 1 - p, ties */
        prob[2 * i] = 1 - p[i];
        prob[2 * i + 1] = p[i];
        w[i] = 0.25 + (i % 4);
    }
    const double *ws[] = {NULL, w};
    for (int k = 0; k < 2; k++) {
        double auc = met_auc(y, p, ws[k], N);
        assert_float_equal(met_auc_ovr(y, prob, 2, MET_AVG_MACRO, ws[k], N), auc, 1e-15);
        assert_float_equal(met_auc_ovr(y, prob, 2, MET_AVG_WEIGHTED, ws[k], N), auc, 1e-15);
        assert_float_equal(met_logloss_multi(y, prob, 2, ws[k], N),
                           met_logloss_binary(y, p, ws[k], N), 1e-15);
        assert_float_equal(met_compute(MET_MCC, y, prob, 2, ws[k], N, 0),
                           met_compute(MET_MCC, y, p, 1, ws[k], N, 0), 1e-15);
        assert_float_equal(met_compute(MET_F1_MACRO, y, prob, 2, ws[k], N, 0),
                           met_compute(MET_F1_MACRO, y, p, 1, ws[k], N, 0), 1e-15);
    }
    /* p > 0.5 vs argmax: at p = 0.5 both say class 0 */
    double yh[] = {1}, ph[] = {0.5}, probh[] = {0.5, 0.5};
    assert_float_equal(met_compute(MET_ACCURACY, yh, ph, 1, NULL, 1, 0), 0.0, 0);
    assert_float_equal(met_compute(MET_ACCURACY, yh, probh, 2, NULL, 1, 0), 0.0, 0);
    /* rows that do not sum to 1, a missing class, a bad average: NaN */
    double bad[] = {0.5, 0.6, 0.5, 0.5}, y01[] = {0, 1}, y00[] = {0, 0};
    assert_true(isnan(met_auc_ovr(y01, bad, 2, MET_AVG_MACRO, NULL, 2)));
    assert_true(isnan(met_auc_ovr(y00, probh, 2, MET_AVG_MACRO, NULL, 1)));
    assert_true(isnan(met_auc_ovr(y01, prob, 2, MET_AVG_MICRO, NULL, 2)));
}

static void test_score_edges(void **state)
{
    (void)state;
    double y[] = {0, 1, 0, 1}, p[] = {0.1, 0.9, 0.2, 1.5}, zero[] = {0, 0, 0, 0};
    assert_true(isnan(met_brier(y, p, NULL, 4))); /* p above 1 */
    double y2[] = {0, 2}, p2[] = {0.1, 0.9};
    assert_true(isnan(met_brier(y2, p2, NULL, 2))); /* not a 0/1 label */
    assert_true(isnan(met_brier(y, p, zero, 3)));
    assert_true(isnan(met_average_precision(zero, p, NULL, 4))); /* no positives */
    /* log loss clips exact 0/1 to the double epsilon (scikit-learn 1.2) */
    double y1[] = {1}, p0[] = {0};
    assert_float_equal(met_logloss_binary(y1, p0, NULL, 1), -log(DBL_EPSILON), 1e-12);
    assert_true(isnan(met_ece(y, p, NULL, 4, 10))); /* p outside [0, 1] */
    assert_true(isnan(met_ece(y, p, NULL, 0, 10)));
}

static void test_curve_errors(void **state)
{
    (void)state;
    ml_error err = {0};
    double y[] = {0, 1, 2}, s[] = {0.1, NAN, 0.3}, a[4], b[4], t[4], zero[] = {0, 0, 0};
    size_t len = 99;
    assert_error(met_roc_curve(y, s, NULL, 3, a, b, t, &len, &err), err, ML_EINVAL,
                 "roc curve: row 1: score nan is not finite");
    double y01[] = {0, 1, 1}, s01[] = {0.1, 0.2, 0.3};
    assert_error(met_pr_curve(y, s01, NULL, 3, a, b, t, &len, &err), err, ML_EINVAL,
                 "precision-recall curve: row 2: label 2 is not 0 or 1");
    assert_error(met_roc_curve(y01, s01, zero, 3, a, b, t, &len, &err), err, ML_EINVAL,
                 "roc curve: no row of nonzero weight");
    assert_error(met_roc_curve(y01, s01, NULL, 0, a, b, t, &len, &err), err, ML_EINVAL,
                 "roc curve: no row of nonzero weight");
    met_threshold_row rows[3];
    assert_error(met_threshold_table(y01, s01, zero, 3, 0, rows, &len, &err), err, ML_EINVAL,
                 "threshold table: no row of nonzero weight");
    met_choice ch;
    assert_error(met_choose_precision(y01, s01, NULL, 3, 1.5, &ch, &err), err, ML_EINVAL,
                 "precision threshold: target 1.5 is outside [0, 1]");
    assert_error(met_choose_recall(y01, s01, NULL, 3, -0.1, &ch, &err), err, ML_EINVAL,
                 "recall threshold: target -0.1 is outside [0, 1]");
    assert_error(met_choose_min_cost(y01, s01, NULL, 3, -1, 1, &ch, &err), err, ML_EINVAL,
                 "cost threshold: costs must be finite and >= 0, got fp -1 and fn 1");
    assert_error(met_choose_max_f1(y, s01, NULL, 3, &ch, &err), err, ML_EINVAL,
                 "max f1 threshold: row 2: label 2 is not 0 or 1");
    met_calib_bin bins[4];
    double big[] = {0.1, 1.2, 0.3};
    assert_error(met_calibration_curve(y01, big, NULL, 3, 4, MET_BINS_UNIFORM, bins, &len, &err),
                 err, ML_EINVAL, "calibration curve: row 1: probability 1.2 is outside [0, 1]");
    assert_error(met_calibration_curve(y01, s01, NULL, 3, 0, MET_BINS_UNIFORM, bins, &len, &err),
                 err, ML_EINVAL, "calibration curve: need n_bins >= 1");
    assert_error(met_calibration_curve(y01, s01, NULL, 0, 4, MET_BINS_UNIFORM, bins, &len, &err),
                 err, ML_EINVAL, "calibration curve: no rows");
    double q[] = {0.5, 2};
    assert_error(met_residual_quantiles(y01, s01, 3, q, 2, a, &err), err, ML_EINVAL,
                 "residual quantiles: level 2 is outside [0, 1]");
    assert_error(met_residual_quantiles(y01, s01, 0, q, 1, a, &err), err, ML_EINVAL,
                 "residual quantiles: no rows");
}

static void test_curve_edges(void **state)
{
    (void)state;
    ml_error err = {0};
    /* one distinct score: ROC (0,0) -> (1,1), thresholds s + 1 and s */
    double y[] = {0, 1, 1}, s[] = {0.4, 0.4, 0.4}, a[4], b[4], t[4];
    size_t len = 0;
    assert_int_equal(met_roc_curve(y, s, NULL, 3, a, b, t, &len, &err), ML_OK);
    assert_int_equal(len, 2);
    assert_float_equal(t[0], 1.4, 1e-15);
    assert_float_equal(a[1], 1.0, 0);
    assert_float_equal(b[1], 1.0, 0);
    /* zero-weight rows never become thresholds */
    double s2[] = {0.9, 0.5, 0.1}, w2[] = {0, 1, 1};
    assert_int_equal(met_pr_curve(y, s2, w2, 3, a, b, t, &len, &err), ML_OK);
    assert_int_equal(len, 2);
    assert_float_equal(t[1], 0.5, 0);
    /* table subsampling: at most N rows, first and last kept */
    enum { N = 50 };
    double yy[N], ss[N];
    for (int i = 0; i < N; i++) {
        yy[i] = i % 3 == 0;
        ss[i] = i / 100.0;
    }
    met_threshold_row rows[N];
    assert_int_equal(met_threshold_table(yy, ss, NULL, N, 5, rows, &len, &err), ML_OK);
    assert_int_equal(len, 5);
    assert_float_equal(rows[0].threshold, 0.0, 0);
    assert_float_equal(rows[4].threshold, 0.49, 0);
    assert_int_equal(met_threshold_table(yy, ss, NULL, N, 1, rows, &len, &err), ML_OK);
    assert_int_equal(len, 1);
    assert_int_equal(met_threshold_table(yy, ss, NULL, N, 0, rows, &len, &err), ML_OK);
    assert_int_equal(len, N);
    /* min cost: when every positive is cheap to miss, predict nothing */
    met_choice ch;
    assert_int_equal(met_choose_min_cost(yy, ss, NULL, N, 10, 0.01, &ch, &err), ML_OK);
    assert_true(isinf(ch.threshold));
    /* calibration: one bin holds everything; ECE of a perfect bin is 0 */
    met_calib_bin bins[1];
    double yc[] = {0, 1}, pc[] = {0.5, 0.5};
    assert_int_equal(met_calibration_curve(yc, pc, NULL, 2, 1, MET_BINS_QUANTILE, bins, &len, &err),
                     ML_OK);
    assert_int_equal(len, 1);
    assert_float_equal(bins[0].frac_pos, 0.5, 0);
    assert_float_equal(met_ece(yc, pc, NULL, 2, 10), 0.0, 0);
}

static void test_regression_edges(void **state)
{
    (void)state;
    double y[] = {2, 2, 2}, p[] = {1, 2, 3}, zero[] = {0, 0, 0};
    assert_true(isnan(met_explained_variance(y, p, NULL, 3))); /* constant y */
    assert_true(isnan(met_median_ae(y, p, zero, 3)));
    assert_true(isnan(met_median_ae(y, p, NULL, 0)));
    assert_true(isnan(met_mape(y, p, zero, 3)));
    double y4[] = {1, 2, 3, 4}, p4[] = {1, 1, 1, 1}, w4[] = {0, 0, 1, 1};
    assert_float_equal(met_median_ae(y4, p4, NULL, 4), 1.5, 0); /* mean of the middle two */
    assert_float_equal(met_median_ae(y4, p4, w4, 4), 2.0, 0);   /* no interpolation */
    double q[] = {0, 1, 0.5}, out[3];
    ml_error err = {0};
    assert_int_equal(met_residual_quantiles(y4, p4, 4, q, 3, out, &err), ML_OK);
    assert_float_equal(out[0], 0.0, 0);
    assert_float_equal(out[1], 3.0, 0);
    assert_float_equal(out[2], 1.5, 0);
    double yz[] = {0}, pz[] = {1};
    assert_float_equal(met_mape(yz, pz, NULL, 1), 1 / DBL_EPSILON, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_sklearn),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_against_sklearn_full),
        cmocka_unit_test(test_label_edges),
        cmocka_unit_test(test_label_errors),
        cmocka_unit_test(test_binary_multiclass_consistency),
        cmocka_unit_test(test_score_edges),
        cmocka_unit_test(test_curve_errors),
        cmocka_unit_test(test_curve_edges),
        cmocka_unit_test(test_regression_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
