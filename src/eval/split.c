/*
 * split.c — train/test splits (split.h).
 *
 * Every method marks rows as test in a byte mask and then collects both
 * parts in table order, so the parts keep the data's order (which makes
 * time-ordered data stay readable and results reproducible).  Shuffles are
 * Fisher-Yates over the project's seeded generator.
 *
 * Cross-validation (spl_cv) follows scikit-learn's fold rules so scores
 * compare with it: k-fold, stratified and group folds first give every row
 * the fold it is tested in (fold_of), then each fold's parts are collected
 * by one scan in row order; time-series folds rank the rows by time and
 * mark each row train, test or unused per fold.  The cost is O(n) per fold
 * plus one sort, and no allocation per row.
 */
#include "eval/split.h"

#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int spl_split_impl(const tbl_table *t, size_t n, const spl_spec *spec, spl_result *out,
                          ml_error *err);

static int oom(ml_error *err)
{
    return ml_err(err, ML_ENOMEM, "out of memory splitting rows");
}

static void shuffle(size_t *v, size_t n, ml_rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ml_rng_below(rng, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static size_t test_count(double share, size_t n)
{
    return (size_t)ceil(share * (double)n - 1e-9);
}

static int split_random(size_t n, const spl_spec *spec, uint8_t *is_test, ml_error *err)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return oom(err);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    ml_rng rng;
    ml_rng_seed(&rng, spec->seed);
    shuffle(idx, n, &rng);
    size_t k = test_count(spec->test, n);
    for (size_t i = 0; i < k && i < n; i++)
        is_test[idx[i]] = 1;
    free(idx);
    return ML_OK;
}

static int split_stratified(size_t n, const spl_spec *spec, uint8_t *is_test, ml_error *err)
{
    size_t K = spec->nclasses;
    size_t *count = calloc(K + 1, sizeof *count), *start = calloc(K + 1, sizeof *start);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!count || !start || !idx) {
        free(count), free(start), free(idx);
        return oom(err);
    }
    for (size_t r = 0; r < n; r++)
        count[(size_t)spec->y[r]]++;
    for (size_t k = 1; k <= K; k++)
        start[k] = start[k - 1] + count[k - 1];
    size_t *fill = calloc(K, sizeof *fill);
    if (!fill) {
        free(count), free(start), free(idx);
        return oom(err);
    }
    for (size_t r = 0; r < n; r++) {
        size_t k = (size_t)spec->y[r];
        idx[start[k] + fill[k]++] = r;
    }
    ml_rng rng;
    ml_rng_seed(&rng, spec->seed);
    for (size_t k = 0; k < K; k++) {
        size_t m = count[k];
        shuffle(idx + start[k], m, &rng);
        size_t t = (size_t)llround(spec->test * (double)m);
        if (m >= 2 && t == 0)
            t = 1;
        if (m >= 2 && t == m)
            t = m - 1;
        if (m < 2)
            t = 0;
        for (size_t i = 0; i < t; i++)
            is_test[idx[start[k] + i]] = 1;
    }
    free(count), free(start), free(idx), free(fill);
    return ML_OK;
}

typedef struct keyed {
    double key;
    size_t row;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

typedef struct keyed_i64 {
    int64_t key;
    size_t row;
} keyed_i64;

static int cmp_keyed_i64(const void *a, const void *b)
{
    const keyed_i64 *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* rank[row] = the row's position in time order (ties: table order).  Integer
 * times sort as integers, so large timestamps never collide in a double.
 * A row without a time ranks first when nulls_first (it cannot be placed in
 * the future, so it trains); otherwise it is an error. */
static int time_ranks(const tbl_column *c, size_t n, bool nulls_first, size_t *rank, ml_error *err)
{
    if (c->type == TBL_STR)
        return ml_err(err, ML_EINVAL,
                      "split column '%s' is text; a time split needs a date, timestamp or number",
                      c->name);
    for (size_t r = 0; r < n && !nulls_first; r++)
        if (tbl_is_null(c, r) || (c->type == TBL_F64 && isnan(c->data.f64[r])))
            return ml_err(err, ML_EINVAL,
                          "split column '%s' has no time at data row %zu; a time-series "
                          "cross-validation needs every row's time",
                          c->name, r + 1);
    if (c->type == TBL_F64) {
        keyed *k = malloc((n ? n : 1) * sizeof *k);
        if (!k)
            return oom(err);
        for (size_t r = 0; r < n; r++)
            k[r] =
                (keyed){tbl_is_null(c, r) || isnan(c->data.f64[r]) ? -INFINITY : c->data.f64[r], r};
        qsort(k, n, sizeof *k, cmp_keyed);
        for (size_t i = 0; i < n; i++)
            rank[k[i].row] = i;
        free(k);
        return ML_OK;
    }
    keyed_i64 *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return oom(err);
    for (size_t r = 0; r < n; r++) {
        int64_t v;
        switch (c->type) {
        case TBL_I64:
        case TBL_TIMESTAMP:
            v = c->data.i64[r];
            break;
        case TBL_BOOL:
            v = c->data.b[r];
            break;
        default:
            v = c->data.date[r];
        }
        k[r] = (keyed_i64){tbl_is_null(c, r) ? INT64_MIN : v, r};
    }
    qsort(k, n, sizeof *k, cmp_keyed_i64);
    for (size_t i = 0; i < n; i++)
        rank[k[i].row] = i;
    free(k);
    return ML_OK;
}

static int split_time(const tbl_table *t, const tbl_column *c, const spl_spec *spec,
                      uint8_t *is_test, ml_error *err)
{
    size_t n = tbl_nrows(t), m = test_count(spec->test, n);
    size_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!rank)
        return oom(err);
    int rc = time_ranks(c, n, true, rank, err);
    for (size_t r = 0; r < n && !rc; r++) /* the latest m rows are the test */
        is_test[r] = rank[r] + (m < n ? m : n) >= n;
    free(rank);
    return rc;
}

static int split_group(const tbl_table *t, const tbl_column *c, const spl_spec *spec,
                       uint8_t *is_test, ml_error *err)
{
    size_t n = tbl_nrows(t);
    tbl_dict *groups = tbl_dict_create();
    int32_t *group = malloc((n ? n : 1) * sizeof *group);
    size_t *sizes = NULL, *order = NULL;
    int rc = groups && group ? ML_OK : oom(err);
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t r = 0; r < n && !rc; r++) {
        const char *text;
        size_t len = tbl_cell_text(c, r, buf, &text);
        if (tbl_is_null(c, r)) { /* all missing keys form one group */
            text = "\x01null";
            len = 5;
        }
        if ((group[r] = tbl_dict_intern(groups, text, len)) < 0)
            rc = oom(err);
    }
    size_t ng = groups ? tbl_dict_size(groups) : 0;
    if (!rc && (!(sizes = calloc(ng ? ng : 1, sizeof *sizes)) ||
                !(order = malloc((ng ? ng : 1) * sizeof *order))))
        rc = oom(err);
    if (!rc && ng < 2)
        rc = ml_err(err, ML_EINVAL,
                    "split column '%s' has a single group: a group split needs at least two",
                    c->name);
    if (!rc) {
        for (size_t r = 0; r < n; r++)
            sizes[group[r]]++;
        for (size_t g = 0; g < ng; g++)
            order[g] = g;
        ml_rng rng;
        ml_rng_seed(&rng, spec->seed);
        shuffle(order, ng, &rng);
        size_t want = test_count(spec->test, n), got = 0;
        uint8_t *test_group = calloc(ng, 1);
        if (!test_group)
            rc = oom(err);
        /* Whole groups until the share is reached, but never every group. */
        for (size_t i = 0; !rc && i + 1 < ng && got < want; i++) {
            test_group[order[i]] = 1;
            got += sizes[order[i]];
        }
        for (size_t r = 0; !rc && r < n; r++)
            is_test[r] = test_group[group[r]];
        free(test_group);
    }
    tbl_dict_free(groups);
    free(group), free(sizes), free(order);
    return rc;
}

int spl_split_rows(size_t n, const spl_spec *spec, spl_result *out, ml_error *err)
{
    if (spec->method == SPL_TIME || spec->method == SPL_GROUP)
        return ml_err(err, ML_EINVAL, "a %s split needs the table's column",
                      spec->method == SPL_TIME ? "time" : "group");
    return spl_split_impl(NULL, n, spec, out, err);
}

int spl_split(const tbl_table *t, const spl_spec *spec, spl_result *out, ml_error *err)
{
    return spl_split_impl(t, tbl_nrows(t), spec, out, err);
}

static int spl_split_impl(const tbl_table *t, size_t n, const spl_spec *spec, spl_result *out,
                          ml_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(spec->test > 0 && spec->test < 1))
        return ml_err(err, ML_EINVAL, "the test share must be in (0, 1), got %g", spec->test);
    const tbl_column *c = NULL;
    if (spec->method == SPL_TIME || spec->method == SPL_GROUP) {
        int col = spec->column ? tbl_find(t, spec->column) : -1;
        if (col < 0)
            return ml_err(err, ML_EINVAL, "split column '%s' not found in the data",
                          spec->column ? spec->column : "");
        c = tbl_col(t, (size_t)col);
    }
    uint8_t *is_test = calloc(n ? n : 1, 1);
    if (!is_test)
        return oom(err);
    int rc;
    switch (spec->method) {
    case SPL_STRATIFIED:
        rc = split_stratified(n, spec, is_test, err);
        break;
    case SPL_TIME:
        rc = split_time(t, c, spec, is_test, err);
        break;
    case SPL_GROUP:
        rc = split_group(t, c, spec, is_test, err);
        break;
    default:
        rc = split_random(n, spec, is_test, err);
    }
    size_t ntest = 0;
    for (size_t r = 0; r < n; r++)
        ntest += is_test[r];
    if (!rc && (ntest == 0 || ntest == n))
        rc =
            ml_err(err, ML_EINVAL, "splitting %zu rows with test share %g leaves the %s part empty",
                   n, spec->test, ntest == 0 ? "test" : "training");
    if (!rc && (!(out->train = malloc((n - ntest + 1) * sizeof *out->train)) ||
                !(out->test = malloc((ntest + 1) * sizeof *out->test))))
        rc = oom(err);
    for (size_t r = 0; r < n && !rc; r++) {
        if (is_test[r])
            out->test[out->ntest++] = r;
        else
            out->train[out->ntrain++] = r;
    }
    free(is_test);
    if (rc)
        spl_result_free(out);
    return rc;
}

void spl_result_free(spl_result *r)
{
    free(r->train);
    free(r->test);
    memset(r, 0, sizeof *r);
}

/* ---- cross-validation folds ---------------------------------------------- */

enum { SIDE_NONE = 0, SIDE_TRAIN = 1, SIDE_TEST = 2 };

static const char *cv_name(spl_cv_method m)
{
    switch (m) {
    case SPL_CV_STRATIFIED:
        return "stratified";
    case SPL_CV_GROUP:
        return "group";
    case SPL_CV_TIME:
        return "time-series";
    default:
        return "k-fold";
    }
}

/* Collects one fold from a per-row side mask; scanning rows in order keeps
 * both parts ascending. */
static int emit_fold(const uint8_t *side, size_t n, spl_result *r, ml_error *err)
{
    size_t ntrain = 0, ntest = 0;
    for (size_t i = 0; i < n; i++) {
        ntrain += side[i] == SIDE_TRAIN;
        ntest += side[i] == SIDE_TEST;
    }
    if (!(r->train = malloc((ntrain + 1) * sizeof *r->train)) ||
        !(r->test = malloc((ntest + 1) * sizeof *r->test)))
        return oom(err);
    for (size_t i = 0; i < n; i++) {
        if (side[i] == SIDE_TRAIN)
            r->train[r->ntrain++] = i;
        else if (side[i] == SIDE_TEST)
            r->test[r->ntest++] = i;
    }
    return ML_OK;
}

/* Emits k folds whose test parts are the rows with fold_of[row] == f. */
static int emit_assigned(const size_t *fold_of, size_t n, size_t k, uint8_t *side,
                         spl_result *folds, ml_error *err)
{
    for (size_t f = 0; f < k; f++) {
        for (size_t r = 0; r < n; r++)
            side[r] = fold_of[r] == f ? SIDE_TEST : SIDE_TRAIN;
        int rc = emit_fold(side, n, &folds[f], err);
        if (rc)
            return rc;
    }
    return ML_OK;
}

/* KFold's block f of k over n positions starts here: n / k positions per
 * block, the first n % k blocks one more. */
static size_t kfold_start(size_t n, size_t k, size_t f)
{
    return f * (n / k) + (f < n % k ? f : n % k);
}

static void cv_kfold(size_t n, size_t k, bool shuffled, uint64_t seed, size_t *perm,
                     size_t *fold_of)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    if (shuffled) {
        ml_rng rng;
        ml_rng_seed(&rng, seed);
        shuffle(perm, n, &rng);
    }
    for (size_t f = 0; f < k; f++)
        for (size_t i = kfold_start(n, k, f); i < kfold_start(n, k, f + 1); i++)
            fold_of[perm[i]] = f;
}

/* Positions in [0, x) congruent to f modulo k. */
static size_t dealt_below(size_t x, size_t k, size_t f)
{
    return x / k + (x % k > f);
}

/*
 * StratifiedKFold's allocation: sort the rows by class (classes in order of
 * first appearance) and deal the sorted list round-robin over the folds.
 * A class holding sorted positions [a, b) gets dealt_below(b) -
 * dealt_below(a) rows in fold f, so class counts per fold differ by at most
 * one and the fold sizes are KFold's.  Within a class the fold labels are
 * laid out in fold order and, when shuffling, permuted; the class's rows
 * take them in table order.  perm and labels hold n entries.
 */
static int cv_stratified(size_t n, size_t k, const spl_cv_spec *spec, bool shuffled, uint64_t seed,
                         size_t *perm, size_t *labels, size_t *fold_of, ml_error *err)
{
    size_t K = spec->nclasses;
    size_t *enc = malloc((K ? K : 1) * sizeof *enc), *start = calloc(K + 2, sizeof *start);
    size_t *fill = calloc(K + 1, sizeof *fill);
    if (!enc || !start || !fill) {
        free(enc), free(start), free(fill);
        return oom(err);
    }
    size_t C = 0;
    for (size_t c = 0; c < K; c++)
        enc[c] = SIZE_MAX;
    for (size_t r = 0; r < n; r++) {
        size_t c = (size_t)spec->y[r];
        if (enc[c] == SIZE_MAX)
            enc[c] = C++;
        start[enc[c] + 1]++;
    }
    for (size_t c = 1; c <= C; c++)
        start[c] += start[c - 1];
    for (size_t r = 0; r < n; r++) {
        size_t c = enc[(size_t)spec->y[r]];
        perm[start[c] + fill[c]++] = r;
    }
    ml_rng rng;
    ml_rng_seed(&rng, seed);
    for (size_t c = 0; c < C; c++) {
        size_t a = start[c], b = start[c + 1], m = 0;
        for (size_t f = 0; f < k; f++)
            for (size_t j = dealt_below(b, k, f) - dealt_below(a, k, f); j > 0; j--)
                labels[m++] = f;
        if (shuffled)
            shuffle(labels, m, &rng);
        for (size_t j = 0; j < m; j++)
            fold_of[perm[a + j]] = labels[j];
    }
    free(enc), free(start), free(fill);
    return ML_OK;
}

typedef struct group_order {
    size_t size, first; /* rows in the group; its first appearance */
} group_order;

static int cmp_group_order(const void *a, const void *b)
{
    const group_order *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* GroupKFold: groups largest first, each to the fold with the fewest rows so
 * far.  Groups are numbered by first appearance, so `first` is the group. */
static int cv_group(const tbl_column *c, size_t n, size_t k, size_t *fold_of, ml_error *err)
{
    tbl_dict *groups = tbl_dict_create();
    int32_t *group = malloc((n ? n : 1) * sizeof *group);
    group_order *order = NULL;
    size_t *load = NULL, *fold_of_group = NULL;
    int rc = groups && group ? ML_OK : oom(err);
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t r = 0; r < n && !rc; r++) {
        const char *text;
        size_t len = tbl_cell_text(c, r, buf, &text);
        if (tbl_is_null(c, r)) { /* all missing keys form one group */
            text = "\x01null";
            len = 5;
        }
        if ((group[r] = tbl_dict_intern(groups, text, len)) < 0)
            rc = oom(err);
    }
    size_t ng = groups ? tbl_dict_size(groups) : 0;
    if (!rc && ng < k)
        rc = ml_err(err, ML_EINVAL, "split column '%s' has %zu groups, fewer than the %zu folds",
                    c->name, ng, k);
    if (!rc && (!(order = calloc(ng, sizeof *order)) || !(load = calloc(k, sizeof *load)) ||
                !(fold_of_group = malloc(ng * sizeof *fold_of_group))))
        rc = oom(err);
    if (!rc) {
        for (size_t g = 0; g < ng; g++)
            order[g].first = g;
        for (size_t r = 0; r < n; r++)
            order[group[r]].size++;
        qsort(order, ng, sizeof *order, cmp_group_order);
        for (size_t i = 0; i < ng; i++) {
            size_t lightest = 0;
            for (size_t f = 1; f < k; f++)
                if (load[f] < load[lightest])
                    lightest = f;
            load[lightest] += order[i].size;
            fold_of_group[order[i].first] = lightest;
        }
        for (size_t r = 0; r < n; r++)
            fold_of[r] = fold_of_group[group[r]];
    }
    tbl_dict_free(groups);
    free(group), free(order), free(load), free(fold_of_group);
    return rc;
}

/* TimeSeriesSplit: k test blocks of n / (k + 1) rows at the end of the time
 * order; fold i trains on every row before its block. */
static int cv_time(const tbl_column *c, size_t n, size_t k, size_t *rank, uint8_t *side,
                   spl_result *folds, ml_error *err)
{
    int rc = time_ranks(c, n, false, rank, err);
    size_t block = n / (k + 1), first = n - k * block;
    for (size_t f = 0; f < k && !rc; f++) {
        size_t lo = first + f * block, hi = lo + block;
        for (size_t r = 0; r < n; r++)
            side[r] = rank[r] < lo ? SIDE_TRAIN : rank[r] < hi ? SIDE_TEST : SIDE_NONE;
        rc = emit_fold(side, n, &folds[f], err);
    }
    return rc;
}

/* Everything that can be said wrong about a request before touching rows
 * (and the column it names, in *col). */
static int cv_check(const tbl_table *t, size_t n, const spl_cv_spec *spec, const tbl_column **col,
                    ml_error *err)
{
    spl_cv_method m = spec->method;
    const char *name = cv_name(m);
    bool by_column = m == SPL_CV_GROUP || m == SPL_CV_TIME;
    if (m != SPL_CV_KFOLD && m != SPL_CV_STRATIFIED && !by_column)
        return ml_err(err, ML_EINVAL, "unknown cross-validation method %d", (int)m);
    if (spec->folds < 2)
        return ml_err(err, ML_EINVAL, "cross-validation needs at least 2 folds, got %d",
                      spec->folds);
    if (spec->repeats < 1)
        return ml_err(err, ML_EINVAL, "cross-validation repeats must be at least 1, got %d",
                      spec->repeats);
    if (by_column && spec->repeats > 1)
        return ml_err(err, ML_EINVAL,
                      "a %s cross-validation cannot be repeated (repeats %d): its folds do "
                      "not depend on a seed; repeats are for k-fold and stratified",
                      name, spec->repeats);
    if (by_column && spec->shuffle)
        return ml_err(err, ML_EINVAL, "a %s cross-validation cannot shuffle: %s", name,
                      m == SPL_CV_TIME ? "its folds follow the time order"
                                       : "its groups go to folds by size");
    if (t && tbl_nrows(t) != n)
        return ml_err(err, ML_EINVAL,
                      "cross-validation over %zu rows was given a table of %zu rows", n,
                      tbl_nrows(t));
    if (by_column) {
        if (!spec->column)
            return ml_err(err, ML_EINVAL, "a %s cross-validation needs a split column", name);
        if (!t)
            return ml_err(err, ML_EINVAL,
                          "a %s cross-validation needs the table holding split column '%s'", name,
                          spec->column);
        int c = tbl_find(t, spec->column);
        if (c < 0)
            return ml_err(err, ML_EINVAL, "split column '%s' not found in the data", spec->column);
        *col = tbl_col(t, (size_t)c);
    }
    if ((size_t)spec->folds > n)
        return ml_err(err, ML_EINVAL, "cannot make %d cross-validation folds from %zu rows",
                      spec->folds, n);
    if (m == SPL_CV_TIME && (size_t)spec->folds + 1 > n)
        return ml_err(err, ML_EINVAL,
                      "a time-series cross-validation with %d folds needs at least %d rows "
                      "(the earliest block only trains), got %zu",
                      spec->folds, spec->folds + 1, n);
    if (m == SPL_CV_STRATIFIED) {
        if (!spec->y)
            return ml_err(err, ML_EINVAL,
                          "a stratified cross-validation needs the class of every row");
        for (size_t r = 0; r < n; r++) {
            double v = spec->y[r];
            if (!(v >= 0 && v < (double)spec->nclasses && v == floor(v)))
                return ml_err(err, ML_EINVAL,
                              "a stratified cross-validation needs class indices in [0, %zu); "
                              "data row %zu has %g",
                              spec->nclasses, r + 1, v);
        }
    }
    return ML_OK;
}

int spl_cv(const tbl_table *t, size_t nrows, const spl_cv_spec *spec, spl_folds *out, ml_error *err)
{
    memset(out, 0, sizeof *out);
    const tbl_column *col = NULL;
    int rc = cv_check(t, nrows, spec, &col, err);
    if (rc)
        return rc;
    size_t n = nrows, k = (size_t)spec->folds, reps = (size_t)spec->repeats;
    /* Repeating unshuffled folds would repeat the same folds. */
    bool shuffled = spec->shuffle || reps > 1;
    size_t *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
    size_t *fold_of = malloc((n ? n : 1) * sizeof *fold_of);
    uint8_t *side = malloc(n ? n : 1);
    out->folds = calloc(k * reps, sizeof *out->folds);
    if (!a || !b || !fold_of || !side || !out->folds)
        rc = oom(err);
    else
        out->nfolds = k * reps;
    for (size_t rep = 0; rep < reps && !rc; rep++) {
        spl_result *folds = out->folds + rep * k;
        uint64_t seed = spec->seed + rep;
        switch (spec->method) {
        case SPL_CV_STRATIFIED:
            rc = cv_stratified(n, k, spec, shuffled, seed, a, b, fold_of, err);
            break;
        case SPL_CV_GROUP:
            rc = cv_group(col, n, k, fold_of, err);
            break;
        case SPL_CV_TIME:
            rc = cv_time(col, n, k, a, side, folds, err);
            break;
        default:
            cv_kfold(n, k, shuffled, seed, a, fold_of);
        }
        if (!rc && spec->method != SPL_CV_TIME)
            rc = emit_assigned(fold_of, n, k, side, folds, err);
    }
    free(a), free(b), free(fold_of), free(side);
    if (rc)
        spl_folds_free(out);
    return rc;
}

void spl_folds_free(spl_folds *f)
{
    for (size_t i = 0; i < f->nfolds; i++)
        spl_result_free(&f->folds[i]);
    free(f->folds);
    memset(f, 0, sizeof *f);
}
