/* Unit tests for src/eval/tune.c: the grid's exact product, reproducible
 * and bounded random draws, successive halving's rungs, parallel runs equal
 * to serial ones, failing trials, the time budget, the reports and the
 * spec errors.  The objectives are synthetic. */
#include "test_util.h"

#include "eval/tune.h"

#include <math.h>
#include <stdatomic.h>
#include <time.h>

/* ---- synthetic objectives ---------------------------------------------- */

typedef struct obj {
    atomic_int calls, running, max_running, max_threads;
    double sleep_s;     /* per call, varied by the configuration when jitter */
    bool jitter;        /* sleep a configuration-dependent time (shuffles finish order) */
    bool first_fast;    /* the first call does not sleep */
    const char *fail_c; /* fail when c equals this */
    bool fail_all;
    bool nan_for_b; /* return NaN when c == "b" */
} obj;

static const char *param(const param_kv *p, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p[i].key, key))
            return p[i].value;
    return NULL;
}

/* A deterministic value in [-1, 1] from the configuration's texts. */
static double config_noise(const param_kv *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        for (const char *s = p[i].value; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (double)(h >> 11) / (double)(1ull << 53) * 2 - 1;
}

static void sleep_for(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* score = -(x - 0.3)^2 - (log10(lr) + 1.5)^2, noisier at small budgets. */
static double true_score(double x, double lr)
{
    return -(x - 0.3) * (x - 0.3) - (log10(lr) + 1.5) * (log10(lr) + 1.5);
}

static int objective(void *vctx, const param_kv *p, size_t n, double budget, int threads,
                     double *score, double *std, ml_error *err)
{
    obj *o = vctx;
    int call = atomic_fetch_add(&o->calls, 1);
    int now = atomic_fetch_add(&o->running, 1) + 1;
    int prev = atomic_load(&o->max_running);
    while (now > prev && !atomic_compare_exchange_weak(&o->max_running, &prev, now))
        ;
    prev = atomic_load(&o->max_threads);
    while (threads > prev && !atomic_compare_exchange_weak(&o->max_threads, &prev, threads))
        ;
    if (o->sleep_s > 0 && !(o->first_fast && call == 0))
        sleep_for(o->jitter ? o->sleep_s * (1.5 + config_noise(p, n)) : o->sleep_s);
    atomic_fetch_sub(&o->running, 1);
    const char *x = param(p, n, "x"), *lr = param(p, n, "lr"), *c = param(p, n, "c");
    if (o->fail_all)
        return ml_err(err, ML_EFORMAT, "cannot fit x=%s", x ? x : "?");
    if (o->fail_c && c && !strcmp(c, o->fail_c))
        return ml_err(err, ML_EINVAL, "c=%s is not allowed", c);
    if (o->nan_for_b && c && !strcmp(c, "b")) {
        *score = NAN;
        return ML_OK;
    }
    double xs = x ? strtod(x, NULL) : 0.3, lrs = lr ? strtod(lr, NULL) : pow(10, -1.5);
    *score = true_score(xs, lrs) + 0.05 * (1 - budget) * config_noise(p, n);
    *std = 0.01 * budget;
    return ML_OK;
}

/* ---- spaces ------------------------------------------------------------ */

static char *abc[] = {"a", "b", "c"};

static wf_tune_dim dim_float(char *name, double lo, double hi)
{
    return (wf_tune_dim){.name = name, .kind = WF_TUNE_FLOAT, .lo = lo, .hi = hi};
}

static wf_tune_dim dim_log(char *name, double lo, double hi)
{
    return (wf_tune_dim){.name = name, .kind = WF_TUNE_LOG, .lo = lo, .hi = hi};
}

static wf_tune_dim dim_int(char *name, double lo, double hi)
{
    return (wf_tune_dim){.name = name, .kind = WF_TUNE_INT, .lo = lo, .hi = hi};
}

static wf_tune_dim dim_choice(char *name, char **choices, size_t n)
{
    return (wf_tune_dim){.name = name, .kind = WF_TUNE_CHOICE, .choices = choices, .nchoices = n};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void assert_same_results(const tn_result *a, const tn_result *b, size_t nspace)
{
    assert_int_equal(a->ntrials, b->ntrials);
    assert_int_equal(a->best, b->best);
    for (size_t i = 0; i < a->ntrials; i++) {
        const tn_trial *x = &a->trials[i], *y = &b->trials[i];
        assert_int_equal(x->id, y->id);
        assert_int_equal(x->rung, y->rung);
        assert_true(x->budget == y->budget);
        assert_true(x->score == y->score || (isnan(x->score) && isnan(y->score)));
        assert_int_equal(x->failed, y->failed);
        for (size_t k = 0; k < nspace; k++)
            assert_string_equal(x->values[k], y->values[k]);
    }
}

/* ---- grid -------------------------------------------------------------- */

static void test_grid_exact_product(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_int("depth", 1, 3), dim_choice("c", abc, 2),
                           dim_int("leaves", 0, 100), dim_int("bins", 1, 10)};
    /* 3 (all) x 2 x 5 (0, 25, 50, 75, 100) x 10 (all: exactly ten) */
    tn_spec s = {.method = TN_GRID, .space = space, .nspace = 4, .trials = 300, .seed = 1};
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 300);
    assert_int_equal(r.nconfigs, 300);
    assert_int_equal(atomic_load(&o.calls), 300);
    static const char *const leaves[] = {"0", "25", "50", "75", "100"};
    size_t i = 0;
    char want[32];
    for (int d = 1; d <= 3; d++)
        for (int c = 0; c < 2; c++)
            for (int l = 0; l < 5; l++)
                for (int b = 1; b <= 10; b++, i++) {
                    const tn_trial *t = &r.trials[i];
                    assert_int_equal(t->id, i);
                    assert_true(t->budget == 1.0);
                    snprintf(want, sizeof want, "%d", d);
                    assert_string_equal(t->values[0], want);
                    assert_string_equal(t->values[1], abc[c]);
                    assert_string_equal(t->values[2], leaves[l]);
                    snprintf(want, sizeof want, "%d", b);
                    assert_string_equal(t->values[3], want);
                }
    tn_result_free(&r);

    /* Eleven values are too many to list: five evenly spaced, rounded. */
    wf_tune_dim eleven[] = {dim_int("n", 0, 10)};
    s = (tn_spec){.method = TN_GRID, .space = eleven, .nspace = 1, .trials = 5};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 5);
    static const char *const pts[] = {"0", "3", "5", "8", "10"};
    for (size_t j = 0; j < 5; j++)
        assert_string_equal(r.trials[j].values[0], pts[j]);
    tn_result_free(&r);
}

static void test_grid_errors(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_int("depth", 1, 3), dim_choice("c", abc, 3)};
    tn_spec s = {.method = TN_GRID, .space = space, .nspace = 2, .trials = 8};
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    assert_error(tn_run(&s, objective, &o, &r, &err), err, ML_EINVAL,
                 "the grid has 9 configurations, more than trials (8)");
    assert_int_equal(r.ntrials, 0);
    assert_int_equal(atomic_load(&o.calls), 0);
    wf_tune_dim fl[] = {dim_int("depth", 1, 3), dim_log("lr", 0.01, 1)};
    s = (tn_spec){.method = TN_GRID, .space = fl, .nspace = 2, .trials = 100};
    assert_error(tn_run(&s, objective, &o, &r, &err), err, ML_EINVAL,
                 "tune.space.lr: grid search needs a list of choices or an int range, got a log "
                 "range");
    wf_tune_dim ff[] = {dim_int("depth", 1, 3), dim_float("x", 0, 1)};
    s.space = ff;
    assert_error(tn_run(&s, objective, &o, &r, &err), err, ML_EINVAL, "got a float range");
}

/* ---- random ------------------------------------------------------------ */

static void test_random_reproducible_and_bounded(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_log("lr", 1e-4, 1), dim_int("n", 1, 5),
                           dim_choice("c", abc, 3)};
    enum { T = 401 };
    tn_spec s = {.method = TN_RANDOM,
                 .space = space,
                 .nspace = 4,
                 .trials = T,
                 .seed = 7,
                 .higher_is_better = true};
    obj o = {0};
    tn_result a, b;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &a, &err), ML_OK);
    assert_int_equal(tn_run(&s, objective, &o, &b, &err), ML_OK);
    assert_same_results(&a, &b, 4);
    assert_int_equal(a.ntrials, T);
    assert_false(a.space_exhausted);
    assert_int_equal(a.rungs, 1);

    static double xs[T], lrs[T];
    int nseen[7] = {0}, cseen[3] = {0};
    for (size_t i = 0; i < T; i++) {
        const tn_trial *t = &a.trials[i];
        assert_int_equal(t->id, i);
        assert_false(t->failed);
        char *end;
        xs[i] = strtod(t->values[0], &end);
        assert_true(*end == '\0' && xs[i] >= 0 && xs[i] <= 1);
        lrs[i] = log10(strtod(t->values[1], &end));
        assert_true(*end == '\0' && lrs[i] >= -4 && lrs[i] <= 0);
        long n = strtol(t->values[2], &end, 10);
        assert_true(*end == '\0' && n >= 1 && n <= 5); /* integer text, in range */
        nseen[n]++;
        for (int c = 0; c < 3; c++)
            cseen[c] += !strcmp(t->values[3], abc[c]);
        /* the best has the highest score */
        assert_true(t->score <= a.trials[a.best].score);
    }
    for (int n = 1; n <= 5; n++)
        assert_true(nseen[n] > 40); /* both ends included, about 80 each */
    for (int c = 0; c < 3; c++)
        assert_true(cseen[c] > 90);
    qsort(xs, T, sizeof *xs, cmp_double);
    qsort(lrs, T, sizeof *lrs, cmp_double);
    assert_true(fabs(xs[T / 2] - 0.5) < 0.1);
    assert_true(fabs(lrs[T / 2] + 2) < 0.4); /* log-uniform: the median is 1e-2, not 0.5 */
    tn_result_free(&b);

    s.seed = 8;
    assert_int_equal(tn_run(&s, objective, &o, &b, &err), ML_OK);
    assert_string_not_equal(a.trials[0].values[0], b.trials[0].values[0]);
    tn_result_free(&a);
    tn_result_free(&b);
}

static void test_random_small_space_dedupes(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_int("n", 1, 3), dim_choice("c", abc, 2)};
    tn_spec s = {.method = TN_RANDOM, .space = space, .nspace = 2, .trials = 10, .seed = 3};
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 6);
    assert_int_equal(r.nconfigs, 6);
    assert_true(r.space_exhausted);
    for (size_t i = 0; i < r.ntrials; i++)
        for (size_t j = 0; j < i; j++)
            assert_false(!strcmp(r.trials[i].values[0], r.trials[j].values[0]) &&
                         !strcmp(r.trials[i].values[1], r.trials[j].values[1]));
    tn_result_free(&r);

    /* Asking for fewer than the space holds: distinct, not exhausted. */
    s.trials = 4;
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 4);
    assert_false(r.space_exhausted);
    for (size_t i = 0; i < r.ntrials; i++)
        for (size_t j = 0; j < i; j++)
            assert_false(!strcmp(r.trials[i].values[0], r.trials[j].values[0]) &&
                         !strcmp(r.trials[i].values[1], r.trials[j].values[1]));
    tn_result_free(&r);

    /* A larger finite space drawn one by one still never repeats. */
    wf_tune_dim big[] = {dim_int("n", 1, 20), dim_choice("c", abc, 3)};
    s = (tn_spec){.method = TN_RANDOM, .space = big, .nspace = 2, .trials = 25, .seed = 3};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 25);
    for (size_t i = 0; i < r.ntrials; i++)
        for (size_t j = 0; j < i; j++)
            assert_false(!strcmp(r.trials[i].values[0], r.trials[j].values[0]) &&
                         !strcmp(r.trials[i].values[1], r.trials[j].values[1]));
    tn_result_free(&r);
}

static void test_number_text(void **state)
{
    (void)state;
    /* %.6g, unless rounding would step outside the range. */
    wf_tune_dim space[] = {dim_float("x", 0.12345678, 0.12345679)};
    tn_spec s = {.method = TN_RANDOM, .space = space, .nspace = 1, .trials = 20, .seed = 5};
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    for (size_t i = 0; i < r.ntrials; i++) {
        double v = strtod(r.trials[i].values[0], NULL);
        assert_true(v >= 0.12345678 && v <= 0.12345679);
    }
    tn_result_free(&r);
    wf_tune_dim plain[] = {dim_float("x", 0, 1000)};
    s.space = plain;
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    for (size_t i = 0; i < r.ntrials; i++) {
        const char *dot = strchr(r.trials[i].values[0], '.');
        assert_true(!dot || strlen(r.trials[i].values[0]) <= 7); /* six significant digits */
    }
    tn_result_free(&r);
}

/* ---- halving ----------------------------------------------------------- */

static size_t count_rung(const tn_result *r, int rung, double budget)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ntrials; i++)
        if (r->trials[i].rung == rung) {
            assert_true(fabs(r->trials[i].budget - budget) < 1e-12);
            n++;
        }
    return n;
}

static const tn_trial *find_trial(const tn_result *r, int rung, size_t id)
{
    for (size_t i = 0; i < r->ntrials; i++)
        if (r->trials[i].rung == rung && r->trials[i].id == id)
            return &r->trials[i];
    return NULL;
}

static void test_halving_rungs(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_log("lr", 1e-4, 1)};
    tn_spec s = {.method = TN_HALVING,
                 .space = space,
                 .nspace = 2,
                 .trials = 27,
                 .seed = 11,
                 .higher_is_better = true,
                 .factor = 3};
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    /* min_budget 0: 27 -> 9 -> 3 -> 1 at 1/27, 1/9, 1/3, 1. */
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.rungs, 4);
    assert_int_equal(r.ntrials, 27 + 9 + 3 + 1);
    assert_int_equal(count_rung(&r, 0, 1.0 / 27), 27);
    assert_int_equal(count_rung(&r, 1, 1.0 / 9), 9);
    assert_int_equal(count_rung(&r, 2, 1.0 / 3), 3);
    assert_int_equal(count_rung(&r, 3, 1.0), 1);
    assert_int_equal(r.best, r.ntrials - 1);
    assert_int_equal(r.trials[r.best].rung, 3);
    /* Ordered by rung then id; each rung keeps the previous one's best. */
    for (size_t i = 1; i < r.ntrials; i++) {
        const tn_trial *p = &r.trials[i - 1], *t = &r.trials[i];
        assert_true(p->rung < t->rung || (p->rung == t->rung && p->id < t->id));
        if (t->rung == 0)
            continue;
        const tn_trial *before = find_trial(&r, t->rung - 1, t->id);
        assert_non_null(before);
        assert_string_equal(before->values[0], t->values[0]);
        size_t better = 0; /* trials of the previous rung that beat it */
        for (size_t j = 0; j < r.ntrials; j++)
            better += r.trials[j].rung == t->rung - 1 && r.trials[j].score > before->score;
        size_t kept = count_rung(&r, t->rung, t->budget);
        assert_true(better < kept);
    }
    /* The winner is among the three best configurations by the true score. */
    double truth[27], won = 0;
    for (size_t i = 0; i < 27; i++) {
        const tn_trial *t = &r.trials[i];
        truth[i] = true_score(strtod(t->values[0], NULL), strtod(t->values[1], NULL));
    }
    const tn_trial *b = &r.trials[r.best];
    won = true_score(strtod(b->values[0], NULL), strtod(b->values[1], NULL));
    qsort(truth, 27, sizeof *truth, cmp_double);
    assert_true(won >= truth[24]);
    assert_true(fabs(strtod(b->values[0], NULL) - 0.3) < 0.3);
    assert_true(fabs(log10(strtod(b->values[1], NULL)) + 1.5) < 1);
    tn_result_free(&r);

    /* min_budget 1/9: 27 -> 9 -> 3, the last at budget 1. */
    s.min_budget = 1.0 / 9;
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.rungs, 3);
    assert_int_equal(count_rung(&r, 0, 1.0 / 9), 27);
    assert_int_equal(count_rung(&r, 1, 1.0 / 3), 9);
    assert_int_equal(count_rung(&r, 2, 1.0), 3);
    assert_int_equal(r.trials[r.best].rung, 2);
    tn_result_free(&r);

    /* Lower is better ranks the other way. */
    s.higher_is_better = false;
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    for (size_t i = 0; i < r.ntrials; i++)
        if (r.trials[i].rung == 2)
            assert_true(r.trials[i].score >= r.trials[r.best].score);
    tn_result_free(&r);

    /* One candidate left early jumps to budget 1. */
    s = (tn_spec){.method = TN_HALVING,
                  .space = space,
                  .nspace = 2,
                  .trials = 3,
                  .seed = 2,
                  .min_budget = 0.01};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.rungs, 2);
    assert_int_equal(count_rung(&r, 0, 0.01), 3);
    assert_int_equal(count_rung(&r, 1, 1.0), 1);
    tn_result_free(&r);
}

static void test_halving_failures_rank_last(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_choice("c", abc, 3)};
    tn_spec s = {.method = TN_HALVING,
                 .space = space,
                 .nspace = 2,
                 .trials = 30,
                 .seed = 4,
                 .higher_is_better = true};
    obj o = {.fail_c = "a"};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    for (size_t i = 0; i < r.ntrials; i++)
        if (r.trials[i].rung > 0)
            assert_string_not_equal(r.trials[i].values[1], "a");
    assert_false(r.trials[r.best].failed);
    tn_result_free(&r);
}

/* ---- parallel ---------------------------------------------------------- */

static void test_parallel_equals_serial(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_log("lr", 1e-4, 1), dim_choice("c", abc, 3)};
    static const tn_method methods[] = {TN_RANDOM, TN_HALVING};
    for (size_t m = 0; m < 2; m++) {
        tn_spec s = {.method = methods[m],
                     .space = space,
                     .nspace = 3,
                     .trials = 24,
                     .seed = 99,
                     .higher_is_better = true,
                     .total_threads = 8,
                     .parallel = 1};
        obj o1 = {.sleep_s = 0.002, .jitter = true, .fail_c = "c"};
        obj o2 = o1, o3 = o1;
        tn_result a, b, c;
        ml_error err = {0};
        assert_int_equal(tn_run(&s, objective, &o1, &a, &err), ML_OK);
        assert_int_equal(atomic_load(&o1.max_running), 1);
        assert_int_equal(atomic_load(&o1.max_threads), 8);
        s.parallel = 2;
        assert_int_equal(tn_run(&s, objective, &o2, &b, &err), ML_OK);
        assert_int_equal(atomic_load(&o2.max_running), 2);
        assert_int_equal(atomic_load(&o2.max_threads), 4);
        s.parallel = 5;
        assert_int_equal(tn_run(&s, objective, &o3, &c, &err), ML_OK);
        assert_true(atomic_load(&o3.max_running) <= 5);
        assert_int_equal(atomic_load(&o3.max_threads), 1);
        assert_same_results(&a, &b, 3);
        assert_same_results(&a, &c, 3);
        tn_result_free(&a);
        tn_result_free(&b);
        tn_result_free(&c);
    }
}

/* ---- failures ---------------------------------------------------------- */

static void test_failing_trials_recorded(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_choice("c", abc, 3)};
    tn_spec s = {.method = TN_RANDOM,
                 .space = space,
                 .nspace = 2,
                 .trials = 30,
                 .seed = 1,
                 .higher_is_better = true};
    obj o = {.fail_c = "b", .nan_for_b = false};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 30);
    size_t failed = 0;
    for (size_t i = 0; i < r.ntrials; i++) {
        const tn_trial *t = &r.trials[i];
        bool b = !strcmp(t->values[1], "b");
        assert_int_equal(t->failed, b);
        if (b) {
            failed++;
            assert_string_equal(t->error, "c=b is not allowed");
            assert_true(isnan(t->score));
        } else {
            assert_null(t->error);
        }
    }
    assert_true(failed > 0 && failed < 30);
    assert_false(r.trials[r.best].failed);
    tn_result_free(&r);

    /* A non-finite score is a failure too. */
    obj nan = {.nan_for_b = true};
    assert_int_equal(tn_run(&s, objective, &nan, &r, &err), ML_OK);
    for (size_t i = 0; i < r.ntrials; i++)
        if (!strcmp(r.trials[i].values[1], "b")) {
            assert_true(r.trials[i].failed);
            assert_non_null(strstr(r.trials[i].error, "non-finite score"));
        }
    tn_result_free(&r);
}

static void test_every_trial_failed(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1)};
    tn_spec s = {.method = TN_RANDOM, .space = space, .nspace = 1, .trials = 5, .seed = 1};
    obj o = {.fail_all = true};
    tn_result r, first;
    ml_error err = {0};
    /* The first trial's values, from a run that succeeds. */
    obj ok = {0};
    assert_int_equal(tn_run(&s, objective, &ok, &first, &err), ML_OK);
    char want[128];
    snprintf(want, sizeof want, "every trial failed; the first: cannot fit x=%s",
             first.trials[0].values[0]);
    tn_result_free(&first);
    assert_error(tn_run(&s, objective, &o, &r, &err), err, ML_EFORMAT, want);
    assert_int_equal(r.ntrials, 0);
    assert_null(r.trials);
    assert_int_equal(atomic_load(&o.calls), 5);
    tn_result_free(&r); /* harmless on an empty result */

    /* Halving stops after a rung where everything failed. */
    s.method = TN_HALVING;
    s.trials = 9;
    s.parallel = 3;
    assert_error(tn_run(&s, objective, &o, &r, &err), err, ML_EFORMAT,
                 "every trial failed; the first: cannot fit x=");
    assert_int_equal(atomic_load(&o.calls), 5 + 9);
}

/* ---- time budget ------------------------------------------------------- */

static void test_time_budget_stops_early(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_log("lr", 1e-4, 1)};
    tn_spec s = {.method = TN_RANDOM,
                 .space = space,
                 .nspace = 2,
                 .trials = 50,
                 .seed = 1,
                 .time_budget_s = 0.0001,
                 .higher_is_better = true};
    obj o = {.sleep_s = 0.002};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 1); /* the first trial always runs */
    assert_int_equal(r.not_run, 49);
    assert_true(r.timed_out);
    assert_int_equal(r.best, 0);
    assert_int_equal(r.trials[0].id, 0);
    tn_result_free(&r);

    s.parallel = 4;
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_true(r.ntrials >= 1 && r.ntrials <= 4);
    assert_int_equal(r.ntrials + r.not_run, 50);
    assert_true(r.timed_out);
    tn_result_free(&r);

    /* Halving runs no further rung. */
    s = (tn_spec){.method = TN_HALVING,
                  .space = space,
                  .nspace = 2,
                  .trials = 9,
                  .seed = 1,
                  .time_budget_s = 0.0001};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.rungs, 1);
    assert_int_equal(r.ntrials, 1);
    assert_int_equal(r.not_run, 8);
    tn_result_free(&r);

    /* Time runs out between rungs: the second rung never starts. */
    tn_spec two = {.method = TN_HALVING,
                   .space = space,
                   .nspace = 2,
                   .trials = 2,
                   .seed = 1,
                   .min_budget = 0.5,
                   .time_budget_s = 0.1};
    obj slow = {.sleep_s = 0.2, .first_fast = true};
    assert_int_equal(tn_run(&two, objective, &slow, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 2);
    assert_int_equal(r.rungs, 1);
    assert_int_equal(r.not_run, 1);
    assert_true(r.timed_out);
    assert_int_equal(r.trials[r.best].rung, 0);
    tn_result_free(&r);

    /* A generous budget changes nothing. */
    s.time_budget_s = 3600;
    o.sleep_s = 0;
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_false(r.timed_out);
    assert_int_equal(r.not_run, 0);
    assert_int_equal(r.ntrials, 9 + 3 + 1);
    tn_result_free(&r);
}

/* ---- reports ----------------------------------------------------------- */

static void test_json_and_print(void **state)
{
    (void)state;
    wf_tune_dim space[] = {dim_float("x", 0, 1), dim_int("n", 1, 50), dim_choice("c", abc, 3)};
    tn_spec s = {.method = TN_HALVING,
                 .space = space,
                 .nspace = 3,
                 .trials = 9,
                 .seed = 21,
                 .higher_is_better = true};
    obj o = {.fail_c = "c"};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);

    json_t *j = tn_result_json(&s, &r);
    assert_non_null(j);
    json_t *trials = json_object_get(j, "trials");
    assert_int_equal(json_array_size(trials), r.ntrials);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "halving");
    assert_int_equal(json_integer_value(json_object_get(j, "best")), r.best);
    for (size_t i = 0; i < r.ntrials; i++) {
        const tn_trial *t = &r.trials[i];
        json_t *e = json_array_get(trials, i);
        assert_int_equal(json_integer_value(json_object_get(e, "id")), t->id);
        assert_int_equal(json_integer_value(json_object_get(e, "rung")), t->rung);
        json_t *p = json_object_get(e, "params");
        assert_true(json_is_real(json_object_get(p, "x")));
        assert_int_equal(json_integer_value(json_object_get(p, "n")), atoi(t->values[1]));
        assert_string_equal(json_string_value(json_object_get(p, "c")), t->values[2]);
        assert_int_equal(json_is_true(json_object_get(e, "best")), i == r.best);
        assert_int_equal(json_is_true(json_object_get(e, "failed")), t->failed);
        if (t->failed) {
            assert_true(json_is_null(json_object_get(e, "score")));
            assert_string_equal(json_string_value(json_object_get(e, "error")), t->error);
        } else {
            assert_true(json_real_value(json_object_get(e, "score")) == t->score);
        }
    }
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "best_params"), "c")),
                        r.trials[r.best].values[2]);
    char *dump = json_dumps(j, JSON_COMPACT);
    assert_non_null(dump);
    free(dump);
    json_decref(j);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(tn_result_print(&s, &r, f), ML_OK);
    fclose(f);
    /* a header, one line per trial, the best line */
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + r.ntrials + 1);
    const char *line = strchr(text, '\n') + 1;
    for (size_t i = 0; i < r.ntrials; i++) {
        const char *end = strchr(line, '\n');
        char row[512];
        snprintf(row, sizeof row, "%.*s", (int)(end - line), line);
        assert_int_equal(row[0] == '*', i == r.best);
        for (size_t k = 0; k < 3; k++)
            assert_non_null(strstr(row, r.trials[i].values[k]));
        assert_non_null(strstr(row, r.trials[i].failed ? "failed: c=c is not allowed" : "±"));
        line = end + 1;
    }
    assert_non_null(strstr(line, "best (halving, higher is better): id "));
    free(text);
    tn_result_free(&r);
}

/* ---- spec errors ------------------------------------------------------- */

static void expect_spec_error(const tn_spec *s, const char *needle)
{
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    assert_error(tn_run(s, objective, &o, &r, &err), err, ML_EINVAL, needle);
    assert_int_equal(atomic_load(&o.calls), 0);
    assert_int_equal(r.ntrials, 0);
}

static void test_spec_errors(void **state)
{
    (void)state;
    wf_tune_dim ok[] = {dim_float("x", 0, 1)};
    tn_spec s = {.method = TN_RANDOM, .space = ok, .nspace = 0, .trials = 5};
    expect_spec_error(&s, "tune: the space is empty");
    s.nspace = 1;
    s.trials = 0;
    expect_spec_error(&s, "tune: trials must be at least 1, got 0");
    s.trials = 5;
    s.factor = 1;
    expect_spec_error(&s, "tune: factor must be greater than 1, got 1");
    s.factor = 0;
    s.min_budget = 1.5;
    expect_spec_error(&s, "tune: min_budget must lie in (0, 1], got 1.5");
    s.min_budget = 0;
    s.time_budget_s = -1;
    expect_spec_error(&s, "tune: time_budget_s must be a finite number >= 0, got -1");
    s.time_budget_s = 0;
    s.parallel = -2;
    expect_spec_error(&s, "tune: parallel must be at least 1, got -2");
    s.parallel = 0;
    s.method = (tn_method)7;
    expect_spec_error(&s, "tune: unknown method 7");
    s.method = TN_RANDOM;

    static const struct {
        wf_tune_dim dim;
        const char *message;
    } bad[] = {
        {{.name = "lr", .kind = WF_TUNE_LOG, .lo = 0, .hi = 1},
         "tune.space.lr: a log range needs lo > 0, got 0"},
        {{.name = "x", .kind = WF_TUNE_FLOAT, .lo = 1, .hi = 1},
         "tune.space.x: expected finite lo < hi, got [1, 1]"},
        {{.name = "x", .kind = WF_TUNE_FLOAT, .lo = 0, .hi = INFINITY},
         "tune.space.x: expected finite lo < hi, got [0, inf]"},
        {{.name = "n", .kind = WF_TUNE_INT, .lo = 1, .hi = 2.5},
         "tune.space.n: an int range needs integer ends"},
        {{.name = "c", .kind = WF_TUNE_CHOICE}, "tune.space.c: expected at least one choice"},
        {{.name = "", .kind = WF_TUNE_FLOAT, .lo = 0, .hi = 1},
         "tune.space: parameter 0 has no name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s.space = &bad[i].dim;
        expect_spec_error(&s, bad[i].message);
    }
    wf_tune_dim twice[] = {dim_float("x", 0, 1), dim_int("x", 1, 3)};
    s.space = twice;
    s.nspace = 2;
    expect_spec_error(&s, "tune.space.x: the parameter appears twice");

    tn_result r;
    ml_error err = {0};
    s.space = ok;
    s.nspace = 1;
    assert_error(tn_run(&s, NULL, NULL, &r, &err), err, ML_EINVAL, "no objective");
}

/* An INT range of one value and a single choice are fine. */
static void test_degenerate_dims(void **state)
{
    (void)state;
    char *one[] = {"only"};
    wf_tune_dim space[] = {dim_int("n", 4, 4), dim_choice("c", one, 1)};
    tn_spec s = {.method = TN_RANDOM, .space = space, .nspace = 2, .trials = 3};
    obj o = {0};
    tn_result r;
    ml_error err = {0};
    assert_int_equal(tn_run(&s, objective, &o, &r, &err), ML_OK);
    assert_int_equal(r.ntrials, 1);
    assert_true(r.space_exhausted);
    assert_string_equal(r.trials[0].values[0], "4");
    assert_string_equal(r.trials[0].values[1], "only");
    tn_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_exact_product),
        cmocka_unit_test(test_grid_errors),
        cmocka_unit_test(test_random_reproducible_and_bounded),
        cmocka_unit_test(test_random_small_space_dedupes),
        cmocka_unit_test(test_number_text),
        cmocka_unit_test(test_halving_rungs),
        cmocka_unit_test(test_halving_failures_rank_last),
        cmocka_unit_test(test_parallel_equals_serial),
        cmocka_unit_test(test_failing_trials_recorded),
        cmocka_unit_test(test_every_trial_failed),
        cmocka_unit_test(test_time_budget_stops_early),
        cmocka_unit_test(test_json_and_print),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_degenerate_dims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
