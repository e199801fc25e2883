/*
 * tune.c — the hyperparameter search engine (tune.h).
 *
 * Design
 *  - Propose first, then run.  Every configuration (the grid, the random
 *    draws, halving's initial candidates) is made up front from one seeded
 *    generator into a flat table of texts, so nothing about the proposals
 *    depends on threads or timing.  A trial only refers to a configuration
 *    by its index (its id) and copies the texts into the result.
 *  - Random draws are distinct.  When the space is finite and small (at
 *    most twice `trials` configurations) it is enumerated and shuffled, and
 *    the first `trials` are taken; otherwise draws are made one by one and a
 *    configuration already seen (same texts, found through a hash set) is
 *    drawn again.  Both are uniform over distinct configurations; the first
 *    avoids the coupon collector's tail when almost the whole space is asked
 *    for.
 *  - Running a batch (one rung) is a shared counter under a mutex: a worker
 *    claims the next slot, runs the objective outside the lock and writes
 *    only into its own slot, so the table's order is fixed by the slots
 *    (ids), not by who finished first.  The claim is also where the time
 *    budget is checked, so an expired budget stops new trials but never
 *    interrupts one.  parallel 1 runs on the caller's thread: an objective
 *    that uses OpenMP keeps the caller's thread pool.
 *  - Successive halving reuses the batch runner rung by rung; ranking is a
 *    sort on (failed, score in the better direction, id).
 */
#include "eval/tune.h"

#include "core/rng.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GRID_INT_ALL 10 /* an INT range with at most this many values is enumerated whole */
#define GRID_INT_STEPS 5
#define MAX_INT_END 9007199254740992.0 /* 2^53: ends beyond it are not exact doubles */
#define BUDGET_EPS 1e-9

static int oom(ml_error *err)
{
    return ml_err(err, ML_ENOMEM, "out of memory in the hyperparameter search");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *method_name(tn_method m)
{
    return m == TN_GRID ? "grid" : m == TN_RANDOM ? "random" : "halving";
}

/* ---- the spec --------------------------------------------------------- */

typedef struct settings {
    double factor, min_budget;
    int parallel, threads;
} settings;

static int check_dim(const wf_tune_dim *d, ml_error *err)
{
    const char *n = d->name;
    switch (d->kind) {
    case WF_TUNE_FLOAT:
    case WF_TUNE_LOG:
    case WF_TUNE_INT:
        if (!isfinite(d->lo) || !isfinite(d->hi) ||
            !(d->lo < d->hi || (d->kind == WF_TUNE_INT && d->lo == d->hi)))
            return ml_err(err, ML_EINVAL, "tune.space.%s: expected finite lo < hi, got [%g, %g]", n,
                          d->lo, d->hi);
        if (d->kind == WF_TUNE_LOG && d->lo <= 0)
            return ml_err(err, ML_EINVAL, "tune.space.%s: a log range needs lo > 0, got %g", n,
                          d->lo);
        if (d->kind == WF_TUNE_INT && (d->lo != floor(d->lo) || d->hi != floor(d->hi) ||
                                       fabs(d->lo) > MAX_INT_END || fabs(d->hi) > MAX_INT_END))
            return ml_err(err, ML_EINVAL,
                          "tune.space.%s: an int range needs integer ends within +-2^53, got "
                          "[%g, %g]",
                          n, d->lo, d->hi);
        return ML_OK;
    case WF_TUNE_CHOICE:
        if (!d->nchoices || !d->choices)
            return ml_err(err, ML_EINVAL, "tune.space.%s: expected at least one choice", n);
        for (size_t j = 0; j < d->nchoices; j++)
            if (!d->choices[j])
                return ml_err(err, ML_EINVAL, "tune.space.%s: choice %zu is missing", n, j);
        return ML_OK;
    }
    return ml_err(err, ML_EINVAL, "tune.space.%s: unknown kind %d", n, (int)d->kind);
}

static int check_spec(const tn_spec *s, tn_objective fn, settings *st, ml_error *err)
{
    if (!fn)
        return ml_err(err, ML_EINVAL, "tune: no objective to score trials with");
    if (s->method != TN_GRID && s->method != TN_RANDOM && s->method != TN_HALVING)
        return ml_err(err, ML_EINVAL, "tune: unknown method %d (expected grid, random or halving)",
                      (int)s->method);
    if (!s->space || !s->nspace)
        return ml_err(err, ML_EINVAL, "tune: the space is empty; give at least one parameter");
    if (s->trials < 1)
        return ml_err(err, ML_EINVAL, "tune: trials must be at least 1, got %d", s->trials);
    for (size_t i = 0; i < s->nspace; i++) {
        const wf_tune_dim *d = &s->space[i];
        if (!d->name || !*d->name)
            return ml_err(err, ML_EINVAL, "tune.space: parameter %zu has no name", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->space[j].name, d->name))
                return ml_err(err, ML_EINVAL, "tune.space.%s: the parameter appears twice",
                              d->name);
        int rc = check_dim(d, err);
        if (rc)
            return rc;
        if (s->method == TN_GRID && (d->kind == WF_TUNE_FLOAT || d->kind == WF_TUNE_LOG))
            return ml_err(err, ML_EINVAL,
                          "tune.space.%s: grid search needs a list of choices or an int range, "
                          "got a %s range",
                          d->name, d->kind == WF_TUNE_LOG ? "log" : "float");
    }
    st->factor = s->factor == 0 ? 3 : s->factor;
    if (!(st->factor > 1) || !isfinite(st->factor))
        return ml_err(err, ML_EINVAL, "tune: factor must be greater than 1, got %g", s->factor);
    if (!(s->min_budget >= 0 && s->min_budget <= 1))
        return ml_err(err, ML_EINVAL, "tune: min_budget must lie in (0, 1], got %g", s->min_budget);
    if (!(s->time_budget_s >= 0) || isinf(s->time_budget_s))
        return ml_err(err, ML_EINVAL, "tune: time_budget_s must be a finite number >= 0, got %g",
                      s->time_budget_s);
    if (s->parallel < 0)
        return ml_err(err, ML_EINVAL, "tune: parallel must be at least 1, got %d", s->parallel);
    if (s->total_threads < 0)
        return ml_err(err, ML_EINVAL, "tune: total_threads must be at least 1, got %d",
                      s->total_threads);
    st->parallel = s->parallel ? s->parallel : 1;
    int total = s->total_threads ? s->total_threads : omp_get_max_threads();
    st->threads = total / st->parallel > 1 ? total / st->parallel : 1;
    st->min_budget = s->min_budget;
    if (st->min_budget == 0) {
        /* factor^-k, k = the halvings that bring `trials` down to one. */
        size_t n = (size_t)s->trials;
        int k = 0;
        while (n > 1) {
            n = (size_t)ceil((double)n / st->factor - BUDGET_EPS);
            k++;
        }
        st->min_budget = pow(st->factor, -k);
    }
    return ML_OK;
}

/* ---- configurations ----------------------------------------------------- */

/* nconfigs rows of nspace owned texts. */
typedef struct configs {
    char **text;
    size_t n, cap, nspace;
} configs;

static void configs_free(configs *c)
{
    for (size_t i = 0; i < c->n * c->nspace; i++)
        free(c->text[i]);
    free(c->text);
    memset(c, 0, sizeof *c);
}

/* Appends a row copied from vals. */
static int configs_add(configs *c, char *const *vals)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **t = realloc(c->text, cap * c->nspace * sizeof *t);
        if (!t)
            return ML_ENOMEM;
        c->text = t;
        c->cap = cap;
    }
    char **row = c->text + c->n * c->nspace;
    for (size_t k = 0; k < c->nspace; k++) {
        if (!(row[k] = strdup(vals[k]))) {
            while (k--)
                free(row[k]);
            return ML_ENOMEM;
        }
    }
    c->n++;
    return ML_OK;
}

static char **config_row(const configs *c, size_t i)
{
    return c->text + i * c->nspace;
}

/* %.6g unless the rounding carries the text outside [lo, hi]. */
static void number_text(double v, double lo, double hi, char *buf, size_t size)
{
    v = v < lo ? lo : v > hi ? hi : v; /* exp(log(lo)) may land an ulp outside */
    static const int digits[] = {6, 10, 15, 17};
    for (size_t i = 0; i < sizeof digits / sizeof *digits; i++) {
        snprintf(buf, size, "%.*g", digits[i], v);
        double back = strtod(buf, NULL);
        if (back >= lo && back <= hi)
            return;
    }
}

/* How many values dimension d takes: all of them, or its grid points. */
static double dim_count(const wf_tune_dim *d, bool grid)
{
    if (d->kind == WF_TUNE_CHOICE)
        return (double)d->nchoices;
    if (d->kind != WF_TUNE_INT)
        return INFINITY;
    double all = d->hi - d->lo + 1;
    return grid && all > GRID_INT_ALL ? GRID_INT_STEPS : all;
}

/* The j-th value of a finite dimension (see dim_count). */
static const char *dim_value(const wf_tune_dim *d, bool grid, size_t j, char *buf, size_t size)
{
    if (d->kind == WF_TUNE_CHOICE)
        return d->choices[j];
    double v = d->lo + (double)j;
    if (grid && d->hi - d->lo + 1 > GRID_INT_ALL)
        v = d->lo + round((double)j * (d->hi - d->lo) / (GRID_INT_STEPS - 1));
    snprintf(buf, size, "%lld", (long long)v);
    return buf;
}

/* Every combination, the last dimension fastest. */
static int enumerate(const tn_spec *s, bool grid, size_t total, configs *c)
{
    char bufs[s->nspace][32];
    const char *vals[s->nspace];
    for (size_t i = 0; i < total; i++) {
        size_t rest = i;
        for (size_t k = s->nspace; k-- > 0;) {
            size_t n = (size_t)dim_count(&s->space[k], grid);
            vals[k] = dim_value(&s->space[k], grid, rest % n, bufs[k], sizeof bufs[k]);
            rest /= n;
        }
        if (configs_add(c, (char *const *)vals))
            return ML_ENOMEM;
    }
    return ML_OK;
}

static double space_size(const tn_spec *s, bool grid)
{
    double n = 1;
    for (size_t k = 0; k < s->nspace; k++)
        n *= dim_count(&s->space[k], grid);
    return n;
}

static void draw(const tn_spec *s, ml_rng *rng, char (*bufs)[32], const char **vals)
{
    for (size_t k = 0; k < s->nspace; k++) {
        const wf_tune_dim *d = &s->space[k];
        double u;
        vals[k] = "";
        switch (d->kind) {
        case WF_TUNE_FLOAT:
            u = ml_rng_uniform(rng);
            number_text(d->lo + u * (d->hi - d->lo), d->lo, d->hi, bufs[k], sizeof bufs[k]);
            vals[k] = bufs[k];
            break;
        case WF_TUNE_LOG:
            u = ml_rng_uniform(rng);
            number_text(exp(log(d->lo) + u * (log(d->hi) - log(d->lo))), d->lo, d->hi, bufs[k],
                        sizeof bufs[k]);
            vals[k] = bufs[k];
            break;
        case WF_TUNE_INT:
            snprintf(bufs[k], sizeof bufs[k], "%lld",
                     (long long)d->lo +
                         (long long)ml_rng_below(rng, (uint64_t)(d->hi - d->lo) + 1));
            vals[k] = bufs[k];
            break;
        case WF_TUNE_CHOICE:
            vals[k] = d->choices[ml_rng_below(rng, d->nchoices)];
            break;
        }
    }
}

static uint64_t row_hash(const char *const *vals, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t k = 0; k < n; k++) {
        for (const char *p = vals[k]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0x1f) * 1099511628211ull;
    }
    return h;
}

static bool row_equal(const char *const *a, char *const *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(a[k], b[k]))
            return false;
    return true;
}

/* `want` distinct random configurations (fewer when the space runs out). */
static int random_configs(const tn_spec *s, size_t want, configs *c, bool *exhausted)
{
    ml_rng rng;
    ml_rng_seed(&rng, s->seed);
    double size = space_size(s, false);
    if (size <= 2.0 * (double)want) {
        size_t total = (size_t)size;
        configs all = {.nspace = s->nspace};
        size_t *perm = calloc(total, sizeof *perm);
        int rc = perm ? enumerate(s, false, total, &all) : ML_ENOMEM;
        if (!rc) {
            for (size_t i = 0; i < total; i++)
                perm[i] = i;
            for (size_t i = total; i > 1; i--) {
                size_t j = (size_t)ml_rng_below(&rng, i), t = perm[i - 1];
                perm[i - 1] = perm[j];
                perm[j] = t;
            }
            size_t take = total < want ? total : want;
            for (size_t i = 0; i < take && !rc; i++)
                rc = configs_add(c, config_row(&all, perm[i]));
            *exhausted = total < want;
        }
        free(perm);
        configs_free(&all);
        return rc;
    }
    size_t cap = 64;
    while (cap < 2 * want)
        cap *= 2;
    size_t *set = malloc(cap * sizeof *set);
    if (!set)
        return ML_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        set[i] = SIZE_MAX;
    char bufs[s->nspace][32];
    const char *vals[s->nspace];
    int rc = ML_OK;
    /* Collisions are rare for an infinite or large space; the cap on attempts
     * only guards ranges so narrow that their texts repeat. */
    size_t attempts = 100 * want + 1000;
    while (c->n < want && attempts-- > 0) {
        draw(s, &rng, bufs, vals);
        size_t h = (size_t)row_hash(vals, s->nspace) & (cap - 1);
        bool dup = false;
        while (set[h] != SIZE_MAX && !(dup = row_equal(vals, config_row(c, set[h]), s->nspace)))
            h = (h + 1) & (cap - 1);
        if (dup)
            continue;
        if ((rc = configs_add(c, (char *const *)vals)))
            break;
        set[h] = c->n - 1;
    }
    *exhausted = c->n < want;
    free(set);
    return rc;
}

/* ---- running trials ----------------------------------------------------- */

typedef struct slot {
    tn_trial t;
    bool ran;
    int code;
} slot;

typedef struct runner {
    const tn_spec *spec;
    tn_objective fn;
    void *ctx;
    int threads;
    double t0;
    pthread_mutex_t mu;
    size_t next, started; /* started: over the whole search */
    bool stop;
    slot *slots;
    size_t n;
} runner;

static size_t claim(runner *r)
{
    size_t i = SIZE_MAX;
    pthread_mutex_lock(&r->mu);
    if (!r->stop && r->next < r->n) {
        if (r->spec->time_budget_s > 0 && r->started > 0 &&
            now_s() - r->t0 >= r->spec->time_budget_s)
            r->stop = true;
        else {
            i = r->next++;
            r->started++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return i;
}

static void run_one(runner *r, slot *sl)
{
    const tn_spec *s = r->spec;
    tn_trial *t = &sl->t;
    param_kv kv[s->nspace];
    for (size_t k = 0; k < s->nspace; k++)
        kv[k] = (param_kv){s->space[k].name, t->values[k]};
    ml_error e = {0};
    double score = NAN, sd = 0, start = now_s();
    int rc = r->fn(r->ctx, kv, s->nspace, t->budget, r->threads, &score, &sd, &e);
    t->seconds = now_s() - start;
    sl->ran = true;
    if (rc == ML_OK && !isfinite(score)) {
        rc = ml_err(&e, ML_EINVAL, "the objective returned a non-finite score (%g)", score);
    }
    if (rc != ML_OK) {
        t->failed = true;
        t->score = t->std = NAN;
        sl->code = rc;
        /* NULL on out of memory: tn_run reports that afterwards. */
        t->error = strdup(e.message[0] ? e.message : mloop_strerror((mloop_status)rc));
        return;
    }
    t->score = score;
    t->std = sd;
}

static void *worker(void *arg)
{
    runner *r = arg;
    size_t i;
    while ((i = claim(r)) != SIZE_MAX)
        run_one(r, &r->slots[i]);
    return NULL;
}

static void run_batch(runner *r, slot *slots, size_t n, int parallel)
{
    r->slots = slots;
    r->n = n;
    r->next = 0;
    size_t nthreads = (size_t)parallel < n ? (size_t)parallel : n;
    pthread_t tid[nthreads > 1 ? nthreads - 1 : 1];
    size_t spawned = 0;
    for (size_t k = 1; k < nthreads; k++)
        if (pthread_create(&tid[spawned], NULL, worker, r) == 0)
            spawned++; /* a thread that cannot start only lowers the parallelism */
    worker(r);
    for (size_t k = 0; k < spawned; k++)
        pthread_join(tid[k], NULL);
}

/* ---- the search --------------------------------------------------------- */

typedef struct search {
    const tn_spec *spec;
    settings st;
    runner run;
    tn_result *res;
    size_t cap;
    int first_code;
} search;

static void trial_free(tn_trial *t, size_t nspace)
{
    if (t->values)
        for (size_t k = 0; k < nspace; k++)
            free(t->values[k]);
    free(t->values);
    free(t->error);
}

/* Slots for configurations ids[0..n) at a budget, texts copied. */
static int make_slots(const configs *c, const size_t *ids, size_t n, double budget, int rung,
                      slot **out)
{
    slot *sl = calloc(n ? n : 1, sizeof *sl);
    if (!sl)
        return ML_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        tn_trial *t = &sl[i].t;
        t->id = ids[i];
        t->budget = budget;
        t->rung = rung;
        t->score = t->std = NAN;
        t->values = calloc(c->nspace, sizeof *t->values);
        for (size_t k = 0; t->values && k < c->nspace; k++)
            if (!(t->values[k] = strdup(config_row(c, ids[i])[k]))) {
                trial_free(t, c->nspace);
                t->values = NULL;
            }
        if (!t->values) {
            for (size_t j = 0; j < i; j++)
                trial_free(&sl[j].t, c->nspace);
            free(sl);
            return ML_ENOMEM;
        }
    }
    *out = sl;
    return ML_OK;
}

/* Runs one rung; moves the trials that ran into the result, frees the rest. */
static int run_rung(search *se, slot *sl, size_t n)
{
    size_t nspace = se->spec->nspace;
    run_batch(&se->run, sl, n, se->st.parallel);
    tn_result *res = se->res;
    int rc = ML_OK;
    for (size_t i = 0; i < n; i++) {
        if (!sl[i].ran) {
            res->not_run++;
            trial_free(&sl[i].t, nspace);
            continue;
        }
        if (sl[i].t.failed && !sl[i].t.error)
            rc = ML_ENOMEM;
        if (res->ntrials == se->cap) {
            size_t cap = se->cap ? se->cap * 2 : 16;
            tn_trial *t = realloc(res->trials, cap * sizeof *t);
            if (!t) {
                trial_free(&sl[i].t, nspace);
                rc = ML_ENOMEM;
                continue;
            }
            res->trials = t;
            se->cap = cap;
        }
        if (res->ntrials == 0)
            se->first_code = sl[i].code;
        res->trials[res->ntrials++] = sl[i].t;
    }
    res->timed_out = se->run.stop;
    return rc;
}

typedef struct rank {
    double key; /* lower is better */
    size_t id;
    bool failed;
} rank;

static int rank_cmp(const void *pa, const void *pb)
{
    const rank *a = pa, *b = pb;
    if (a->failed != b->failed)
        return a->failed ? 1 : -1;
    if (!a->failed && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int size_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return a < b ? -1 : a > b;
}

/* The next rung's candidates: the best ceil(n / factor) that succeeded,
 * in id order.  Returns how many. */
static size_t promote(const tn_spec *s, double factor, const tn_trial *t, size_t n, size_t *ids)
{
    rank *rk = malloc(n * sizeof *rk);
    if (!rk)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        rk[i] = (rank){s->higher_is_better ? -t[i].score : t[i].score, t[i].id, t[i].failed};
    qsort(rk, n, sizeof *rk, rank_cmp);
    size_t keep = (size_t)ceil((double)n / factor - BUDGET_EPS), m = 0;
    for (size_t i = 0; i < keep && i < n && !rk[i].failed; i++)
        ids[m++] = rk[i].id;
    free(rk);
    qsort(ids, m, sizeof *ids, size_cmp);
    return m;
}

static int search_halving(search *se, const configs *c)
{
    size_t n = c->n;
    size_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids)
        return ML_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ids[i] = i;
    double budget = se->st.min_budget >= 1 - BUDGET_EPS ? 1 : se->st.min_budget;
    int rc = ML_OK;
    for (int rung = 0;; rung++) {
        slot *sl;
        if ((rc = make_slots(c, ids, n, budget, rung, &sl)))
            break;
        size_t before = se->res->ntrials;
        rc = run_rung(se, sl, n);
        free(sl);
        if (se->res->ntrials > before)
            se->res->rungs = rung + 1;
        if (rc || se->res->timed_out || budget >= 1)
            break;
        size_t ran = se->res->ntrials - before;
        n = promote(se->spec, se->st.factor, se->res->trials + before, ran, ids);
        if (n == SIZE_MAX) {
            rc = ML_ENOMEM;
            break;
        }
        if (n == 0)
            break; /* the whole rung failed */
        budget = se->st.min_budget * pow(se->st.factor, rung + 1);
        if (n == 1 || budget >= 1 - BUDGET_EPS)
            budget = 1;
    }
    free(ids);
    return rc;
}

static int search_flat(search *se, const configs *c)
{
    size_t *ids = malloc((c->n ? c->n : 1) * sizeof *ids);
    if (!ids)
        return ML_ENOMEM;
    for (size_t i = 0; i < c->n; i++)
        ids[i] = i;
    slot *sl;
    int rc = make_slots(c, ids, c->n, 1.0, 0, &sl);
    free(ids);
    if (rc)
        return rc;
    rc = run_rung(se, sl, c->n);
    free(sl);
    se->res->rungs = se->res->ntrials > 0;
    return rc;
}

/* Best score at the highest rung with a success; ties by id. */
static size_t find_best(const tn_spec *s, const tn_result *r)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < r->ntrials; i++) {
        const tn_trial *t = &r->trials[i];
        if (t->failed)
            continue;
        if (best == SIZE_MAX || t->rung > r->trials[best].rung) {
            best = i;
            continue;
        }
        const tn_trial *b = &r->trials[best];
        if (t->rung < b->rung)
            continue;
        bool better = s->higher_is_better ? t->score > b->score : t->score < b->score;
        if (better || (t->score == b->score && t->id < b->id))
            best = i;
    }
    return best;
}

int tn_run(const tn_spec *spec, tn_objective fn, void *ctx, tn_result *out, ml_error *err)
{
    if (!out)
        return ml_err(err, ML_EINVAL, "tune: no result to fill");
    memset(out, 0, sizeof *out);
    out->best = SIZE_MAX;
    if (!spec)
        return ml_err(err, ML_EINVAL, "tune: no spec");
    out->nspace = spec->nspace;
    search se = {.spec = spec, .res = out};
    int rc = check_spec(spec, fn, &se.st, err);
    if (rc)
        return rc;
    configs c = {.nspace = spec->nspace};
    if (spec->method == TN_GRID) {
        double size = space_size(spec, true);
        if (size > (double)spec->trials)
            return ml_err(err, ML_EINVAL,
                          "tune: the grid has %.0f configurations, more than trials (%d); raise "
                          "trials or narrow the space",
                          size, spec->trials);
        rc = enumerate(spec, true, (size_t)size, &c);
    } else {
        rc = random_configs(spec, (size_t)spec->trials, &c, &out->space_exhausted);
    }
    if (rc) {
        configs_free(&c);
        return oom(err);
    }
    out->nconfigs = c.n;
    se.run = (runner){.spec = spec, .fn = fn, .ctx = ctx, .threads = se.st.threads, .t0 = now_s()};
    pthread_mutex_init(&se.run.mu, NULL);
    rc = spec->method == TN_HALVING ? search_halving(&se, &c) : search_flat(&se, &c);
    pthread_mutex_destroy(&se.run.mu);
    configs_free(&c);
    if (rc) {
        tn_result_free(out);
        return oom(err);
    }
    out->best = find_best(spec, out);
    if (out->best == SIZE_MAX) {
        if (!out->ntrials) {
            tn_result_free(out);
            return ml_err(err, ML_EINTERNAL, "tune: no trial ran");
        }
        ml_err(err, se.first_code, "%s", out->trials[0].error);
        tn_result_free(out);
        return ml_err_prefix(err, "every trial failed; the first");
    }
    return ML_OK;
}

void tn_result_free(tn_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ntrials; i++)
        trial_free(&r->trials[i], r->nspace);
    free(r->trials);
    memset(r, 0, sizeof *r);
    r->best = SIZE_MAX;
}

/* ---- reporting ---------------------------------------------------------- */

static json_t *number_json(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *params_json(const tn_spec *s, char *const *values)
{
    json_t *o = json_object();
    for (size_t k = 0; o && k < s->nspace; k++) {
        const wf_tune_dim *d = &s->space[k];
        json_t *v = d->kind == WF_TUNE_CHOICE ? json_string(values[k])
                    : d->kind == WF_TUNE_INT  ? json_integer(strtoll(values[k], NULL, 10))
                                              : number_json(strtod(values[k], NULL));
        if (json_object_set_new(o, d->name, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *trial_json(const tn_spec *s, const tn_result *r, size_t i)
{
    const tn_trial *t = &r->trials[i];
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "id", json_integer((json_int_t)t->id)) |
              json_object_set_new(o, "rung", json_integer(t->rung)) |
              json_object_set_new(o, "budget", number_json(t->budget)) |
              json_object_set_new(o, "params", params_json(s, t->values)) |
              json_object_set_new(o, "score", number_json(t->score)) |
              json_object_set_new(o, "std", number_json(t->std)) |
              json_object_set_new(o, "seconds", number_json(t->seconds)) |
              json_object_set_new(o, "failed", json_boolean(t->failed)) |
              json_object_set_new(o, "error", t->error ? json_string(t->error) : json_null()) |
              json_object_set_new(o, "best", json_boolean(i == r->best));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *tn_result_json(const tn_spec *s, const tn_result *r)
{
    json_t *o = json_object(), *trials = json_array();
    if (!o || !trials || json_object_set_new(o, "trials", trials)) {
        json_decref(o);
        return NULL;
    }
    for (size_t i = 0; i < r->ntrials; i++)
        if (json_array_append_new(trials, trial_json(s, r, i))) {
            json_decref(o);
            return NULL;
        }
    bool has = r->best < r->ntrials;
    const tn_trial *b = has ? &r->trials[r->best] : NULL;
    int bad =
        json_object_set_new(o, "method", json_string(method_name(s->method))) |
        json_object_set_new(o, "higher_is_better", json_boolean(s->higher_is_better)) |
        json_object_set_new(o, "best", has ? json_integer((json_int_t)r->best) : json_null()) |
        json_object_set_new(o, "best_params", has ? params_json(s, b->values) : json_null()) |
        json_object_set_new(o, "best_score", has ? number_json(b->score) : json_null()) |
        json_object_set_new(o, "nconfigs", json_integer((json_int_t)r->nconfigs)) |
        json_object_set_new(o, "space_exhausted", json_boolean(r->space_exhausted)) |
        json_object_set_new(o, "rungs", json_integer(r->rungs)) |
        json_object_set_new(o, "not_run", json_integer((json_int_t)r->not_run)) |
        json_object_set_new(o, "timed_out", json_boolean(r->timed_out));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int tn_result_print(const tn_spec *s, const tn_result *r, FILE *out)
{
    bool halving = s->method == TN_HALVING;
    size_t width[s->nspace ? s->nspace : 1];
    for (size_t k = 0; k < s->nspace; k++) {
        width[k] = strlen(s->space[k].name);
        for (size_t i = 0; i < r->ntrials; i++) {
            size_t w = strlen(r->trials[i].values[k]);
            width[k] = w > width[k] ? w : width[k];
        }
    }
    fprintf(out, "  %5s", "id");
    if (halving)
        fprintf(out, " %4s %8s", "rung", "budget");
    for (size_t k = 0; k < s->nspace; k++)
        fprintf(out, "  %-*s", (int)width[k], s->space[k].name);
    fprintf(out, "  %9s  score\n", "seconds");
    for (size_t i = 0; i < r->ntrials; i++) {
        const tn_trial *t = &r->trials[i];
        fprintf(out, "%c %5zu", i == r->best ? '*' : ' ', t->id);
        if (halving)
            fprintf(out, " %4d %8.4g", t->rung, t->budget);
        for (size_t k = 0; k < s->nspace; k++)
            fprintf(out, "  %-*s", (int)width[k], t->values[k]);
        fprintf(out, "  %9.3f  ", t->seconds);
        if (t->failed)
            fprintf(out, "failed: %s\n", t->error ? t->error : "");
        else
            fprintf(out, "%.6g ± %.2g\n", t->score, t->std);
    }
    if (r->best < r->ntrials) {
        const tn_trial *b = &r->trials[r->best];
        fprintf(out, "best (%s, %s): id %zu", method_name(s->method),
                s->higher_is_better ? "higher is better" : "lower is better", b->id);
        if (halving)
            fprintf(out, " at rung %d", b->rung);
        for (size_t k = 0; k < s->nspace; k++)
            fprintf(out, "%s %s=%s", k ? "" : ":", s->space[k].name, b->values[k]);
        fprintf(out, ", score %.6g ± %.2g\n", b->score, b->std);
    } else {
        fprintf(out, "best: none (no trial succeeded)\n");
    }
    if (r->space_exhausted)
        fprintf(out, "the space has only %zu distinct configurations; all were tried\n",
                r->nconfigs);
    if (r->timed_out)
        fprintf(out, "the time budget (%g s) ran out: %zu trials not run\n", s->time_budget_s,
                r->not_run);
    return ferror(out) ? ML_EIO : ML_OK;
}
