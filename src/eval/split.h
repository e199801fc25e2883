/*
 * split.h — dividing a table's rows into a training part and a held-out
 * test part, the way the evaluation needs: at random, stratified by class,
 * by time (the latest rows are the test) or by group (rows sharing a key
 * never straddle the parts).
 *
 * Contract
 *  - The test part holds ceil(test * n) rows (random, time), the same share
 *    of every class (stratified: each class with at least two rows puts at
 *    least one row on each side), or whole groups until at least that many
 *    rows (group).  Both parts are returned in table order.
 *  - Deterministic for a seed; time splits do not use it.
 *  - A split that would leave either part empty is ML_EINVAL saying why.
 *  - spl_cv makes cross-validation folds (k-fold, stratified, group, time
 *    series), sized like scikit-learn's; see its comment below.
 */
#ifndef ML_EVAL_SPLIT_H
#define ML_EVAL_SPLIT_H

#include "core/error.h"
#include "data/table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The values match the workflow's split methods. */
typedef enum spl_method {
    SPL_RANDOM = 0,
    SPL_STRATIFIED = 1,
    SPL_TIME = 2,
    SPL_GROUP = 3,
} spl_method;

typedef struct spl_spec {
    spl_method method;
    double test; /* share in (0, 1) */
    uint64_t seed;
    const double *y;    /* stratified: class index per row */
    size_t nclasses;    /* stratified */
    const char *column; /* time and group */
} spl_spec;

typedef struct spl_result {
    size_t *train, *test;
    size_t ntrain, ntest;
} spl_result;

int spl_split(const tbl_table *t, const spl_spec *spec, spl_result *out, ml_error *err);
/* The same for n rows without a table: random and stratified only. */
int spl_split_rows(size_t n, const spl_spec *spec, spl_result *out, ml_error *err);
void spl_result_free(spl_result *r);

/*
 * Cross-validation folds: `folds` (k) train/validation pairs over n rows,
 * each fold's train and test rows in ascending (table) order.  The sizes
 * follow scikit-learn so that scores compare with it; the shuffles use the
 * project's generator (core/rng.h), so shuffled rows differ from numpy's.
 *
 *  SPL_CV_KFOLD       sklearn KFold: the k test blocks have n / k rows, the
 *                     first n % k one more; contiguous in table order, or
 *                     taken from a seeded permutation with `shuffle`.
 *  SPL_CV_STRATIFIED  sklearn StratifiedKFold: every class is dealt over the
 *                     folds so its count in two folds differs by at most one
 *                     and the fold sizes are those of KFold; classes are
 *                     taken in order of first appearance and, without
 *                     `shuffle`, each class's rows go to the folds in table
 *                     order (so the folds equal sklearn's exactly).  y holds
 *                     a class index in [0, nclasses) per row, anything else
 *                     is ML_EINVAL.  A class with fewer rows than folds is
 *                     allowed (sklearn warns): some folds then lack it.
 *  SPL_CV_GROUP       sklearn GroupKFold: rows sharing the value of `column`
 *                     (any type; all nulls form one group) share a fold.
 *                     Groups go largest first (ties: first appearance) to
 *                     the fold with the fewest rows so far (ties: the lower
 *                     fold).  Fewer groups than folds is ML_EINVAL.
 *  SPL_CV_TIME        sklearn TimeSeriesSplit(n_splits=k), an expanding
 *                     window over the rows ordered by `column` (a date,
 *                     timestamp or number; ties keep table order; a row
 *                     without a time is ML_EINVAL): the test blocks have
 *                     n / (k + 1) rows, the first training part also takes
 *                     the remainder, and fold i trains on every row before
 *                     its test block.  The earliest block only ever trains,
 *                     so k + 1 <= n.  Row indices are the table's.
 *
 * repeats > 1 (kfold and stratified only) repeats the k folds with seeds
 * seed, seed + 1, ..., always shuffling (as sklearn's RepeatedKFold and
 * RepeatedStratifiedKFold do) whatever `shuffle` says: nfolds = k * repeats,
 * repeat r's folds at [r * k, (r + 1) * k).  Group and time folds have one
 * fixed answer: they take neither repeats > 1 nor shuffle.
 *
 * Outside time folds every row is in exactly one test fold per repeat.
 * Deterministic for a seed.  ML_EINVAL, with a message naming the problem,
 * for folds < 2, folds > rows, repeats < 1, a missing or unknown column and
 * a table whose row count is not nrows.  t may be NULL for kfold and
 * stratified; on error *out is empty.
 */
typedef enum spl_cv_method {
    SPL_CV_KFOLD = 0,
    SPL_CV_STRATIFIED = 1,
    SPL_CV_GROUP = 2,
    SPL_CV_TIME = 3,
} spl_cv_method;

typedef struct spl_cv_spec {
    spl_cv_method method;
    int folds;          /* k >= 2 */
    int repeats;        /* >= 1 */
    bool shuffle;       /* kfold and stratified */
    uint64_t seed;      /* used when shuffling */
    const double *y;    /* stratified: class index per row */
    size_t nclasses;    /* stratified */
    const char *column; /* group and time */
} spl_cv_spec;

typedef struct spl_folds {
    size_t nfolds;
    spl_result *folds; /* folds[i].test is fold i's validation rows */
} spl_folds;

int spl_cv(const tbl_table *t, size_t nrows, const spl_cv_spec *spec, spl_folds *out,
           ml_error *err);
void spl_folds_free(spl_folds *f);

#endif
