/* Unit tests for src/eval/report.c: full binary, multiclass and regression
 * reports render every chart they should; hostile labels are escaped;
 * non-finite values never reach the page as "nan"/"inf"; the page is the
 * same under any locale and from run to run; rpt_write_html replaces its
 * target atomically and leaves nothing behind when it fails.
 *
 * With MLOOP_REPORT_OUT set, test_write_for_browser also writes the reports
 * there (binary.html, multiclass.html, regression.html, full.html,
 * empty.html) for tests/integration/report_chromium.sh to open in Chromium. */
#include "test_util.h"

#include "eval/report.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <sys/stat.h>

#define HOSTILE "<script>\"&'"
#define HOSTILE_ESCAPED "&lt;script&gt;&quot;&amp;&#39;"

/* ---- fixtures: all arrays live in one struct per report kind ---------- */

enum { NCURVE = 101, NBINS = 10, NFEAT = 40, NFOLD = 5, NCVM = 3, NTRIAL = 24, NPARAM = 2 };

typedef struct binary_fx {
    double fpr[NCURVE], tpr[NCURVE], rec[NCURVE], prec[NCURVE];
    double thr[NCURVE], tp[NCURVE], tr[NCURVE], tf[NCURVE];
    double cal_x[NBINS], cal_y[NBINS], cal_n[NBINS];
    double imp[NFEAT];
    char names[NFEAT][40];
    const char *name_ptrs[NFEAT];
    double cv[NFOLD * NCVM];
    double params[NTRIAL * NPARAM], score[NTRIAL], sd[NTRIAL], secs[NTRIAL];
    char ptext[NTRIAL][80];
    const char *pptr[NTRIAL];
    rpt_metric metrics[6];
} binary_fx;

static const char *cv_names[NCVM] = {"auc", "log loss", "accuracy"};
static const char *param_names[NPARAM] = {"learning_rate", "max_depth"};
static const bool param_log[NPARAM] = {true, false};

/* A deterministic uniform in [0, 1). */
static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void fill_binary(binary_fx *fx, rpt_report *r)
{
    memset(r, 0, sizeof *r);
    uint64_t seed = 42;
    for (int i = 0; i < NCURVE; i++) {
        double t = i / (double)(NCURVE - 1);
        fx->fpr[i] = t;
        fx->tpr[i] = 1 - pow(1 - t, 4); /* AUC 0.8 */
        fx->rec[i] = t;
        fx->prec[i] = 0.95 - 0.55 * t * t;
        fx->thr[i] = t;
        fx->tr[i] = 1 - pow(t, 2.2);
        fx->tp[i] = 0.3 + 0.65 * pow(t, 0.6);
        fx->tf[i] = 2 * fx->tp[i] * fx->tr[i] / (fx->tp[i] + fx->tr[i]);
    }
    fx->thr[0] = INFINITY; /* scikit-learn's first ROC threshold */
    for (int i = 0; i < NBINS; i++) {
        fx->cal_x[i] = (i + 0.5) / NBINS;
        fx->cal_y[i] = pow(fx->cal_x[i], 1.25) + 0.03 * (lcg(&seed) - 0.5);
        fx->cal_n[i] = 800 * exp(-i * 0.3) + 20;
    }
    for (int i = 0; i < NFEAT; i++) {
        snprintf(fx->names[i], sizeof fx->names[i], "feature_%02d_%s", i,
                 i % 3 ? "tenure" : "monthly_charges_total");
        fx->name_ptrs[i] = fx->names[i];
        fx->imp[i] = 100 * exp(-i * 0.15) * (0.8 + 0.4 * lcg(&seed));
    }
    for (int f = 0; f < NFOLD; f++) {
        fx->cv[f * NCVM + 0] = 0.8 + 0.02 * lcg(&seed);
        fx->cv[f * NCVM + 1] = 0.42 + 0.03 * lcg(&seed);
        fx->cv[f * NCVM + 2] = 0.78 + 0.02 * lcg(&seed);
    }
    double best = -1;
    for (int t = 0; t < NTRIAL; t++) {
        double lr = pow(10, -3 + 2.5 * lcg(&seed));
        double depth = 2 + (int)(lcg(&seed) * 8);
        fx->params[t * NPARAM] = lr;
        fx->params[t * NPARAM + 1] = depth;
        double z = log10(lr) + 1.3;
        fx->score[t] = 0.84 - 0.03 * z * z - 0.002 * (depth - 6) * (depth - 6) + 0.01 * lcg(&seed);
        fx->sd[t] = 0.004 + 0.006 * lcg(&seed);
        fx->secs[t] = 0.5 + 3 * lcg(&seed);
        snprintf(fx->ptext[t], sizeof fx->ptext[t], "learning_rate=%.4g max_depth=%.0f", lr, depth);
        fx->pptr[t] = fx->ptext[t];
        if (fx->score[t] > best) {
            best = fx->score[t];
            r->tuning.best = (size_t)t;
        }
    }
    fx->metrics[0] = (rpt_metric){"AUC", 0.8, 0.0071};
    fx->metrics[1] = (rpt_metric){"average precision", 0.7712, 0.009};
    fx->metrics[2] = (rpt_metric){"log loss", 0.4312, NAN};
    fx->metrics[3] = (rpt_metric){"accuracy", 0.7934, NAN};
    fx->metrics[4] = (rpt_metric){"F1", 0.6021, NAN};
    fx->metrics[5] = (rpt_metric){"rows", 7043, NAN};

    r->title = "Churn model — evaluation";
    r->subtitle = "Held-out test set, 20% of rows";
    r->model = "gbdt (500 trees)";
    r->task = "binary classification";
    r->data_source = "telco.csv";
    r->date = "2024-05-01";
    r->metrics = fx->metrics;
    r->n_metrics = 6;
    r->roc = (rpt_roc){fx->fpr, fx->tpr, NCURVE, 0.8};
    r->pr = (rpt_pr){fx->rec, fx->prec, NCURVE, 0.7712};
    r->threshold = (rpt_threshold){fx->thr, fx->tp, fx->tr, fx->tf, NCURVE, 0.42};
    r->calibration = (rpt_calibration){fx->cal_x, fx->cal_y, fx->cal_n, NBINS};
    r->importance = (rpt_importance){fx->name_ptrs, fx->imp, NFEAT, "gain"};
    r->cv =
        (rpt_cv){.metric_names = cv_names, .n_metrics = NCVM, .n_folds = NFOLD, .values = fx->cv};
    r->tuning.param_names = param_names;
    r->tuning.n_params = NPARAM;
    r->tuning.param_values = fx->params;
    r->tuning.log_scale = param_log;
    r->tuning.trial_params = fx->pptr;
    r->tuning.score = fx->score;
    r->tuning.score_std = fx->sd;
    r->tuning.seconds = fx->secs;
    r->tuning.n_trials = NTRIAL;
    r->tuning.score_name = "AUC";
    r->tuning.has_best = true;
}

enum { K = 4 };

typedef struct multi_fx {
    double cm[K * K], prec[K], rec[K], f1[K], sup[K], imp[6];
    rpt_metric metrics[3];
} multi_fx;

static const char *class_labels[K] = {"setosa", "versicolor", HOSTILE, "a very long class label"};
static const char *multi_features[6] = {"petal_length", "petal_width", "sepal_length",
                                        "sepal_width",  HOSTILE,       "noise"};

static void fill_multi(multi_fx *fx, rpt_report *r)
{
    memset(r, 0, sizeof *r);
    static const double cm[K * K] = {48, 2, 0, 0, 3, 41, 6, 0, 0, 5, 44, 1, 2, 0, 3, 25};
    memcpy(fx->cm, cm, sizeof cm);
    for (int i = 0; i < K; i++) {
        double row = 0, col = 0;
        for (int j = 0; j < K; j++) {
            row += cm[i * K + j];
            col += cm[j * K + i];
        }
        fx->prec[i] = cm[i * K + i] / col;
        fx->rec[i] = cm[i * K + i] / row;
        fx->f1[i] = 2 * fx->prec[i] * fx->rec[i] / (fx->prec[i] + fx->rec[i]);
        fx->sup[i] = row;
    }
    static const double imp[6] = {0.41, 0.33, 0.12, 0.08, -0.03, 0.01};
    memcpy(fx->imp, imp, sizeof imp);
    fx->metrics[0] = (rpt_metric){"accuracy", 0.88, NAN};
    fx->metrics[1] = (rpt_metric){"macro F1", 0.8712, NAN};
    fx->metrics[2] = (rpt_metric){HOSTILE, 1.5, 0.25};
    r->title = "Iris " HOSTILE;
    r->model = HOSTILE;
    r->task = "multiclass";
    r->metrics = fx->metrics;
    r->n_metrics = 3;
    r->confusion = (rpt_confusion){fx->cm, class_labels, K};
    r->per_class = (rpt_per_class){class_labels, fx->prec, fx->rec, fx->f1, fx->sup, K};
    r->importance = (rpt_importance){multi_features, fx->imp, 6, "coefficient"};
}

enum { NREG = 12000 };

typedef struct reg_fx {
    double pred[NREG], actual[NREG];
    double cv[NFOLD * 2];
    rpt_metric metrics[3];
} reg_fx;

static const char *reg_cv_names[2] = {"rmse", "r2"};

static void fill_regression(reg_fx *fx, rpt_report *r)
{
    memset(r, 0, sizeof *r);
    uint64_t seed = 7;
    for (int i = 0; i < NREG; i++) {
        double x = 10 + 90 * lcg(&seed);
        double noise = (lcg(&seed) + lcg(&seed) + lcg(&seed) - 1.5) * (2 + 0.08 * x);
        fx->actual[i] = x + noise;
        fx->pred[i] = x;
    }
    fx->pred[3] = NAN; /* skipped in the charts */
    for (int f = 0; f < NFOLD; f++) {
        fx->cv[f * 2] = 4.1 + 0.3 * lcg(&seed);
        fx->cv[f * 2 + 1] = 0.9 + 0.02 * lcg(&seed);
    }
    fx->cv[3] = NAN;
    fx->metrics[0] = (rpt_metric){"RMSE", 4.213, 0.12};
    fx->metrics[1] = (rpt_metric){"MAE", 3.301, NAN};
    fx->metrics[2] = (rpt_metric){"R²", 0.9134, NAN};
    r->title = "House prices";
    r->model = "linear (ridge)";
    r->task = "regression";
    r->metrics = fx->metrics;
    r->n_metrics = 3;
    r->regression = (rpt_regression){.pred = fx->pred, .actual = fx->actual, .n = NREG};
    r->cv =
        (rpt_cv){.metric_names = reg_cv_names, .n_metrics = 2, .n_folds = NFOLD, .values = fx->cv};
}

/* ---- helpers ----------------------------------------------------------- */

static char *render(const rpt_report *r, size_t *len)
{
    ml_error err;
    char *html = NULL;
    size_t n = 0;
    int rc = rpt_render(r, &html, &n, &err);
    if (rc)
        fail_msg("rpt_render: %s", err.message);
    assert_int_equal(strlen(html), n);
    if (len)
        *len = n;
    return html;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void assert_has(const char *html, const char *needle)
{
    if (!strstr(html, needle))
        fail_msg("the page lacks '%s'", needle);
}

/* Whether "nan" or "inf" appears as a word (printf's spellings). */
static bool has_nonfinite_word(const char *s)
{
    static const char *words[] = {"nan", "inf", "NaN", "Infinity"};
    for (size_t w = 0; w < 4; w++) {
        size_t n = strlen(words[w]);
        for (const char *p = strstr(s, words[w]); p; p = strstr(p + 1, words[w])) {
            bool before = p > s && isalnum((unsigned char)p[-1]);
            bool after = isalnum((unsigned char)p[n]);
            if (!before && !after)
                return true;
        }
    }
    return false;
}

/* A rough structural check: one document, balanced containers, nothing
 * fetched, no script, no non-finite numbers. */
static void assert_page(const char *html)
{
    assert_true(strncmp(html, "<!DOCTYPE html>\n<html", 21) == 0);
    size_t n = strlen(html);
    assert_true(n > 16 && strcmp(html + n - 8, "</html>\n") == 0);
    static const char *pairs[][2] = {
        {"<svg", "</svg>"}, {"<table", "</table>"}, {"<section", "</section>"}, {"<div", "</div>"},
        {"<g", "</g>"},     {"<text", "</text>"},   {"<title>", "</title>"},    {"<tr", "</tr>"}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        size_t open = count(html, pairs[i][0]), close = count(html, pairs[i][1]);
        if (open != close)
            fail_msg("%zu '%s' but %zu '%s'", open, pairs[i][0], close, pairs[i][1]);
    }
    assert_int_equal(count(html, "<html"), 1);
    assert_int_equal(count(html, "<body>"), 1);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "http:"));
    assert_null(strstr(html, "https:"));
    assert_null(strstr(html, "url(http"));
    if (has_nonfinite_word(html))
        fail_msg("a non-finite number reached the page");
}

static void assert_charts(const char *html, const char *const *kinds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "<svg class=\"chart\" data-chart=\"%s\"", kinds[i]);
        assert_has(html, needle);
    }
}

/* The part of html from the chart of this kind to its </svg>. */
static char *chart_of(const char *html, const char *kind)
{
    char needle[64];
    snprintf(needle, sizeof needle, "data-chart=\"%s\"", kind);
    const char *a = strstr(html, needle);
    assert_non_null(a);
    const char *b = strstr(a, "</svg>");
    assert_non_null(b);
    return strndup(a, (size_t)(b - a));
}

/* ---- tests ------------------------------------------------------------- */

static void test_binary_report(void **state)
{
    (void)state;
    binary_fx *fx = calloc(1, sizeof *fx);
    rpt_report r;
    fill_binary(fx, &r);
    char *html = render(&r, NULL);
    assert_page(html);
    static const char *kinds[] = {"roc", "pr", "threshold", "calibration", "importance", "trials"};
    assert_charts(html, kinds, 6);
    assert_null(strstr(html, "data-chart=\"confusion\""));
    assert_null(strstr(html, "data-chart=\"residuals\""));
    /* one scatter per tuned parameter, the best trial highlighted */
    assert_int_equal(count(html, "data-chart=\"trials\""), NPARAM);
    assert_has(html, "<tr class=\"best\">");
    assert_has(html, "data-table=\"metrics\"");
    assert_has(html, "data-table=\"cv\"");
    assert_has(html, "data-table=\"trials\"");
    assert_has(html, "mean \u00b1 std");
    /* legends carry the given AUC/AP; the chosen threshold is marked */
    assert_has(html, "ROC (AUC 0.8)");
    assert_has(html, "PR (AP 0.7712)");
    assert_has(html, "t = 0.42");
    assert_has(html, "<b>model</b>gbdt (500 trees)");
    /* top 30 of 40 features */
    char *imp = chart_of(html, "importance");
    assert_int_equal(count(imp, "<g class=\"bar\">"), RPT_MAX_IMPORTANCE);
    assert_has(imp, "feature_00_monthly_charges_total");
    assert_null(strstr(imp, "feature_39_"));
    free(imp);
    /* a log axis labels decades */
    char *tr = chart_of(html, "trials");
    assert_has(tr, ">0.001</text>");
    assert_has(tr, ">0.1</text>");
    free(tr);
    free(html);
    free(fx);
}

static void test_multiclass_report_escapes(void **state)
{
    (void)state;
    multi_fx fx;
    rpt_report r;
    fill_multi(&fx, &r);
    char *html = render(&r, NULL);
    assert_page(html);
    static const char *kinds[] = {"confusion", "importance"};
    assert_charts(html, kinds, 2);
    assert_has(html, "data-table=\"per_class\"");
    assert_null(strstr(html, HOSTILE));
    assert_null(strstr(html, "<script"));
    assert_has(html, "<title>Iris " HOSTILE_ESCAPED "</title>");
    assert_has(html, "<b>model</b>" HOSTILE_ESCAPED);
    /* the hostile label in the matrix, the table, a tooltip and a tile */
    char *cm = chart_of(html, "confusion");
    assert_int_equal(count(cm, "<g class=\"cell\">"), K * K);
    assert_has(cm, HOSTILE_ESCAPED);
    assert_has(cm, "<title>true setosa \u2192 predicted setosa: 48 (96.0% of the row)</title>");
    assert_has(cm, "a very long cla\u2026"); /* cut to 16 code points */
    free(cm);
    assert_has(html, "<td>" HOSTILE_ESCAPED "</td>");
    assert_has(html, "title=\"" HOSTILE_ESCAPED "\">" HOSTILE_ESCAPED "</div>");
    /* a negative importance is drawn, in its own colour */
    char *imp = chart_of(html, "importance");
    assert_has(imp, ">-0.03</text>");
    free(imp);
    free(html);
}

static void test_regression_report_subsamples(void **state)
{
    (void)state;
    reg_fx *fx = calloc(1, sizeof *fx);
    rpt_report r;
    fill_regression(fx, &r);
    size_t len1, len2;
    char *html = render(&r, &len1);
    assert_page(html);
    static const char *kinds[] = {"residuals", "pred_actual"};
    assert_charts(html, kinds, 2);
    assert_has(html, "5000 of 12000 points shown");
    char *res = chart_of(html, "residuals");
    size_t pts = count(res, "<circle");
    assert_true(pts <= RPT_MAX_SCATTER && pts >= RPT_MAX_SCATTER - 2);
    free(res);
    char *pa = chart_of(html, "pred_actual");
    assert_true(count(pa, "<circle") <= RPT_MAX_SCATTER + 1); /* + the legend's dot */
    free(pa);
    /* the fold with a NaN shows a dash; mean ± std uses the finite folds */
    assert_has(html, "<td class=\"num\">\u2014</td>");
    /* deterministic: the same bytes twice */
    char *again = render(&r, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(html, again, len1);
    free(again);
    free(html);
    free(fx);
}

static void test_nan_handling(void **state)
{
    (void)state;
    binary_fx *fx = calloc(1, sizeof *fx);
    rpt_report r;
    fill_binary(fx, &r);
    fx->tpr[10] = NAN;
    fx->fpr[20] = INFINITY;
    fx->prec[5] = -INFINITY;
    fx->cal_y[3] = NAN;
    fx->cal_n[4] = NAN;
    fx->imp[0] = NAN;
    fx->cv[1] = NAN;
    fx->score[2] = NAN;
    fx->sd[3] = NAN;
    fx->params[4 * NPARAM] = NAN;
    fx->metrics[0].value = NAN;
    fx->metrics[1].std = INFINITY;
    r.roc.auc = NAN;
    r.threshold.chosen = NAN;
    char *html = render(&r, NULL);
    assert_page(html);
    static const char *kinds[] = {"roc", "pr", "threshold", "calibration", "importance", "trials"};
    assert_charts(html, kinds, 6);
    assert_has(html, "<div class=\"v\">\u2014</div>");
    assert_has(html, "<td class=\"num\">\u2014</td>");
    assert_null(strstr(html, "AUC \u2014")); /* no AUC in the legend */
    assert_null(strstr(html, "t = "));       /* no chosen threshold */
    /* the broken ROC line restarts after each skipped point */
    char *roc = chart_of(html, "roc");
    char *line = strstr(roc, "<path class=\"ln\"");
    assert_non_null(line);
    char *end = strstr(line, "\">");
    size_t moves = 0;
    for (char *p = line; p < end; p++)
        moves += *p == 'M';
    assert_int_equal(moves, 3);
    free(roc);
    /* the NaN feature is left out: 30 of the 39 finite */
    assert_has(html, "the 30 largest of 39 features");
    free(html);

    /* all-NaN curves still draw their axes */
    for (int i = 0; i < NCURVE; i++)
        fx->tpr[i] = NAN;
    html = render(&r, NULL);
    assert_page(html);
    assert_has(html, "data-chart=\"roc\"");
    free(html);
    free(fx);
}

static void test_empty_report_is_a_page(void **state)
{
    (void)state;
    rpt_report r = {0};
    char *html = render(&r, NULL);
    assert_page(html);
    assert_null(strstr(html, "data-chart="));
    assert_null(strstr(html, "<section"));
    assert_has(html, "<title>Evaluation report</title>");
    assert_has(html, "nothing to show");
    free(html);

    /* an empty array omits its chart even when its pointers are set */
    double x[1] = {0.5};
    r.roc = (rpt_roc){x, x, 0, 0.5};
    r.regression = (rpt_regression){.pred = x, .actual = x, .n = 0};
    html = render(&r, NULL);
    assert_null(strstr(html, "data-chart="));
    free(html);
}

static void test_inconsistent_input(void **state)
{
    (void)state;
    ml_error err;
    char *html;
    size_t len;
    rpt_report r = {0};
    r.roc.n = 5;
    assert_error(rpt_render(&r, &html, &len, &err), err, ML_EINVAL, "roc: 5 points");
    assert_null(html);

    double s[2] = {0.5, 0.6};
    rpt_report t = {0};
    t.tuning = (rpt_tuning){.score = s, .n_trials = 2, .has_best = true, .best = 2};
    assert_error(rpt_render(&t, &html, &len, &err), err, ML_EINVAL, "best trial 2 of 2");

    rpt_report c = {0};
    c.confusion.k = 500;
    c.confusion.m = s;
    assert_error(rpt_render(&c, &html, &len, &err), err, ML_ELIMIT, "500 classes");

    rpt_report g = {0};
    g.regression = (rpt_regression){.pred = s, .n = 2};
    assert_error(rpt_render(&g, &html, &len, &err), err, ML_EINVAL,
                 "neither actual values nor residuals");
}

/* The page does not depend on LC_NUMERIC (when a comma locale exists here). */
static void test_locale_independent(void **state)
{
    (void)state;
    binary_fx *fx = calloc(1, sizeof *fx);
    rpt_report r;
    fill_binary(fx, &r);
    size_t a_len, b_len;
    char *a = render(&r, &a_len);
    static const char *comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < 4 && !got; i++)
        got = setlocale(LC_NUMERIC, comma[i]);
    if (got) {
        char *b = render(&r, &b_len);
        setlocale(LC_NUMERIC, "C");
        assert_int_equal(a_len, b_len);
        assert_memory_equal(a, b, a_len);
        free(b);
    } else {
        fprintf(stderr, "note: no comma-decimal locale installed; checked the C locale only\n");
    }
    assert_has(a, ">0.8</div>"); /* '.' either way */
    free(a);
    free(fx);
}

/* ---- atomic writes ----------------------------------------------------- */

static char *temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/mloop-report-XXXXXX", tmp ? tmp : "/tmp");
    char *d = mkdtemp(buf);
    assert_non_null(d);
    return strdup(d);
}

/* Entries in dir other than . and .. (names joined by spaces into out). */
static size_t dir_entries(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    out[0] = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        strncat(out, e->d_name, cap - strlen(out) - 2);
        strcat(out, " ");
    }
    closedir(d);
    return n;
}

static void rm_rf(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_write_atomic(void **state)
{
    (void)state;
    multi_fx fx;
    rpt_report r;
    fill_multi(&fx, &r);
    char *dir = temp_dir(), path[1024], names[1024];
    snprintf(path, sizeof path, "%s/report.html", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old contents", f);
    fclose(f);

    ml_error err;
    assert_int_equal(rpt_write_html(&r, path, &err), ML_OK);
    size_t len;
    char *want = render(&r, &len);
    f = fopen(path, "rb");
    assert_non_null(f);
    char *got = malloc(len + 1);
    assert_int_equal(fread(got, 1, len + 1, f), len);
    fclose(f);
    assert_memory_equal(got, want, len);
    free(got);
    free(want);
    /* replaced in place; no temporary left beside it */
    assert_int_equal(dir_entries(dir, names, sizeof names), 1);
    assert_string_equal(names, "report.html ");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask); /* not mkstemp's 0600 */
    rm_rf(dir);
    free(dir);
}

static void test_write_failures_leave_nothing(void **state)
{
    (void)state;
    rpt_report r = {0};
    ml_error err;
    char *dir = temp_dir(), path[1024], names[1024];

    /* a directory that does not exist */
    snprintf(path, sizeof path, "%s/missing/report.html", dir);
    assert_error(rpt_write_html(&r, path, &err), err, ML_EIO, path);
    assert_int_equal(dir_entries(dir, names, sizeof names), 0);

    /* a "directory" that is a regular file */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/file/report.html", dir);
    assert_error(rpt_write_html(&r, path, &err), err, ML_EIO, path);
    assert_int_equal(dir_entries(dir, names, sizeof names), 1);

    /* the target is a directory: the temporary is written, the rename
     * fails, and the temporary is removed */
    snprintf(path, sizeof path, "%s/report.html", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_error(rpt_write_html(&r, path, &err), err, ML_EIO, path);
    assert_true(strstr(err.message, "rename") != NULL);
    assert_int_equal(dir_entries(dir, names, sizeof names), 2);
    assert_null(strstr(names, ".tmp."));

    /* an unwritable directory (root writes anywhere, so only as a user) */
    if (geteuid() != 0) {
        char ro[512];
        snprintf(ro, sizeof ro, "%s/ro", dir);
        assert_int_equal(mkdir(ro, 0555), 0);
        snprintf(path, sizeof path, "%s/report.html", ro);
        assert_error(rpt_write_html(&r, path, &err), err, ML_EIO, path);
        assert_int_equal(dir_entries(ro, names, sizeof names), 0);
        chmod(ro, 0755);
    }
    /* a render error is prefixed with the path and writes nothing */
    r.roc.n = 3;
    snprintf(path, sizeof path, "%s/bad.html", dir);
    assert_error(rpt_write_html(&r, path, &err), err, ML_EINVAL, path);
    assert_int_equal(access(path, F_OK), -1);
    rm_rf(dir);
    free(dir);
}

/* ---- reports for the browser test -------------------------------------- */

static void write_one(const char *dir, const char *name, const rpt_report *r)
{
    char path[1024];
    ml_error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (rpt_write_html(r, path, &err) != ML_OK)
        fail_msg("%s", err.message);
}

static void test_write_for_browser(void **state)
{
    (void)state;
    const char *dir = getenv("MLOOP_REPORT_OUT");
    if (!dir || !*dir)
        return;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        fail_msg("%s: cannot create: %s", dir, strerror(errno));
    binary_fx *bf = calloc(1, sizeof *bf);
    multi_fx mf;
    reg_fx *rf = calloc(1, sizeof *rf);
    rpt_report b, m, g, full, empty = {0};
    fill_binary(bf, &b);
    fill_multi(&mf, &m);
    fill_regression(rf, &g);
    write_one(dir, "binary.html", &b);
    write_one(dir, "multiclass.html", &m);
    write_one(dir, "regression.html", &g);
    write_one(dir, "empty.html", &empty);
    full = b;
    full.title = "Everything at once";
    full.confusion = m.confusion;
    full.per_class = m.per_class;
    full.regression = g.regression;
    write_one(dir, "full.html", &full);
    free(bf);
    free(rf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_report),
        cmocka_unit_test(test_multiclass_report_escapes),
        cmocka_unit_test(test_regression_report_subsamples),
        cmocka_unit_test(test_nan_handling),
        cmocka_unit_test(test_empty_report_is_a_page),
        cmocka_unit_test(test_inconsistent_input),
        cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_write_failures_leave_nothing),
        cmocka_unit_test(test_write_for_browser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
