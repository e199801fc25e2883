/*
 * tune.h — hyperparameter search: grid, random and successive halving over
 * a space of named dimensions.  The engine knows nothing about models or
 * data: it proposes configurations, asks a caller-supplied objective to
 * score each one at a budget, and returns every trial as a table.
 *
 * Contract
 *  - Values.  FLOAT: uniform in [lo, hi]; LOG: log-uniform in [lo, hi]
 *    (lo > 0); INT: uniform integer in [lo, hi], both ends included; CHOICE:
 *    uniform among the choices.  The objective sees every value as text:
 *    numbers as "%.6g" (falling back to more digits only when the rounded
 *    text would leave [lo, hi]), integers as "%lld", choices verbatim.  The
 *    text never depends on the locale.
 *  - Reproducible.  All configurations are drawn from core/rng.h seeded with
 *    `seed` before anything runs, so a seed gives the same configurations in
 *    the same order whatever `parallel` is, and the results (scores, order,
 *    best) are the same as long as the objective is deterministic.
 *  - TN_GRID: the Cartesian product of the dimensions in space order, the
 *    last dimension varying fastest.  An INT range enumerates every integer
 *    when it has at most 10, else 5 evenly spaced ones, rounded to the
 *    nearest (both ends included: [0, 100] gives 0, 25, 50, 75, 100); a CHOICE all its choices;
 * FLOAT and LOG are refused. `trials` caps the grid: a larger one is ML_EINVAL naming its size.
 *    Every grid point runs at budget 1.
 *  - TN_RANDOM: `trials` distinct configurations at budget 1.  When the space
 *    is finite (only INT and CHOICE) and has fewer than `trials`
 *    configurations, each one runs once and `space_exhausted` is set
 *    (ntrials < trials); a repeated draw is redrawn, never run twice.
 *  - TN_HALVING (successive halving, as scikit-learn's
 *    HalvingRandomSearchCV): rung 0 runs `trials` random candidates (drawn as
 *    for TN_RANDOM) at budget `min_budget`.  After each rung the best
 *    ceil(n / factor) of its n trials go on (ties by id; failed trials rank
 *    last and never go on) and the budget is multiplied by `factor`, capped
 *    at 1.  The rung at budget 1 is the last; when one candidate is left
 *    before that, it runs at budget 1 directly.  min_budget 0 picks
 *    factor^-k with k the number of rungs that bring `trials` down to one
 *    (27 trials, factor 3: rungs of 27, 9, 3, 1 at 1/27, 1/9, 1/3, 1).
 *    Each rung's trials are separate rows (same id, another rung and
 *    budget).
 *  - Best: the best score (`higher_is_better`), ties by the lower id, among
 *    the successful trials — for halving, of the highest rung that has one.
 *  - Parallel.  Up to `parallel` objective calls run at once on threads;
 *    each gets threads = max(1, total_threads / parallel) (total_threads 0:
 *    OpenMP's maximum).  parallel 1 calls the objective on the calling
 *    thread.  Results land in preallocated slots: the table is ordered by
 *    rung, then id, whatever the timing.
 *  - Time budget.  time_budget_s > 0 stops starting trials once that many
 *    seconds have passed since tn_run began (the first trial always runs);
 *    trials already running finish and count.  Trials never started are
 *    left out of the table and counted in `not_run`, with `timed_out` set;
 *    halving then runs no further rung.
 *  - Failures.  A trial whose objective returns non-ML_OK (or a non-finite
 *    score) is recorded with failed = true and the objective's message, and
 *    the search goes on.  When no trial succeeds, tn_run fails with the
 *    first trial's code and "every trial failed; the first: <its message>".
 *  - Bad specs (empty space, lo >= hi, log lo <= 0, no choices, factor <= 1,
 *    min_budget outside (0, 1], trials < 1, ...) are ML_EINVAL naming the
 *    field or dimension; nothing runs.
 */
#ifndef ML_EVAL_TUNE_H
#define ML_EVAL_TUNE_H

#include "core/error.h"
#include "models/params.h"
#include "workflow/spec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The order of the workflow's tune.method names (grid|random|halving). */
typedef enum tn_method { TN_GRID = 0, TN_RANDOM = 1, TN_HALVING = 2 } tn_method;

typedef struct tn_spec {
    tn_method method;
    const wf_tune_dim *space; /* borrowed; read during tn_run only */
    size_t nspace;
    int trials; /* random: configurations; halving: initial candidates; grid: cap */
    uint64_t seed;
    bool higher_is_better;
    double factor;        /* halving: keep 1/factor each rung; 0 = 3 */
    double min_budget;    /* halving: rung 0's budget in (0, 1]; 0 = see above */
    double time_budget_s; /* 0 = none */
    int parallel;         /* trials at once; 0 = 1 */
    int total_threads;    /* shared among the running trials; 0 = omp_get_max_threads() */
} tn_spec;

typedef struct tn_trial {
    size_t id;         /* the configuration's index in proposal order */
    char **values;     /* nspace texts, owned */
    double budget;     /* in (0, 1] */
    double score, std; /* NaN when failed */
    double seconds;    /* wall time of the objective call */
    int rung;          /* 0 except in halving */
    bool failed;
    char *error; /* failed: the objective's message, owned; else NULL */
} tn_trial;

typedef struct tn_result {
    tn_trial *trials; /* by rung, then id */
    size_t ntrials;
    size_t nspace;        /* values per trial */
    size_t best;          /* index into trials; SIZE_MAX when none succeeded */
    size_t nconfigs;      /* distinct configurations proposed */
    bool space_exhausted; /* random/halving: the space had fewer than `trials` */
    int rungs;            /* rungs in which a trial ran (1 for grid and random) */
    size_t not_run;       /* trials skipped because time_budget_s ran out */
    bool timed_out;
} tn_result;

/* Scores one configuration: params[i] = {space[i].name, value text}, budget
 * in (0, 1] (a fraction of rows or rounds: the caller decides), threads to
 * use.  Sets *score (and *std, which starts at 0) and returns ML_OK, or
 * returns a code and fills err.  Called from several threads at once when
 * parallel > 1. */
typedef int (*tn_objective)(void *ctx, const param_kv *params, size_t nparams, double budget,
                            int threads, double *score, double *std, ml_error *err);

/* Runs the search.  On ML_OK, *out holds the trials (free with
 * tn_result_free); on failure *out is empty. */
int tn_run(const tn_spec *spec, tn_objective fn, void *ctx, tn_result *out, ml_error *err);
void tn_result_free(tn_result *r);

/* {"method", "higher_is_better", "trials": [{"id", "rung", "budget",
 * "params": {name: number or string}, "score", "std", "seconds", "failed",
 * "error", "best"}], "best": index or null, "best_params", "best_score",
 * "nconfigs", "space_exhausted", "rungs", "not_run", "timed_out"}; NULL when out of
 * memory.  INT values are JSON integers, FLOAT and LOG reals, CHOICE
 * strings; non-finite numbers are null. */
json_t *tn_result_json(const tn_spec *spec, const tn_result *r);

/* A plain-text table, one row per trial (halving adds rung and budget
 * columns; a failed trial shows "failed: <error>" for its score), the best
 * marked with '*', then a line naming the best configuration and, when they
 * apply, lines on an exhausted space and on the time budget.  Returns ML_OK
 * or ML_EIO. */
int tn_result_print(const tn_spec *spec, const tn_result *r, FILE *out);

#endif
