/*
 * split.c — train/test splits (split.h).
 *
 * Every method marks rows as test in a byte mask and then collects both
 * parts in table order, so the parts keep the data's order (which makes
 * time-ordered data stay readable and results reproducible).  Shuffles are
 * Fisher-Yates over the project's seeded generator.
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

static int split_time(const tbl_table *t, const tbl_column *c, const spl_spec *spec,
                      uint8_t *is_test, ml_error *err)
{
    if (c->type == TBL_STR)
        return ml_err(err, ML_EINVAL,
                      "split column '%s' is text; a time split needs a date, timestamp or number",
                      c->name);
    size_t n = tbl_nrows(t);
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return oom(err);
    for (size_t r = 0; r < n; r++) {
        double v;
        switch (c->type) {
        case TBL_F64:
            v = c->data.f64[r];
            break;
        case TBL_I64:
        case TBL_TIMESTAMP:
            v = (double)c->data.i64[r];
            break;
        case TBL_BOOL:
            v = c->data.b[r];
            break;
        default:
            v = c->data.date[r];
        }
        /* Rows without a time cannot be placed in the future: they train. */
        k[r] = (keyed){tbl_is_null(c, r) || isnan(v) ? -INFINITY : v, r};
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    size_t m = test_count(spec->test, n);
    for (size_t i = n - (m < n ? m : n); i < n; i++)
        is_test[k[i].row] = 1;
    free(k);
    return ML_OK;
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
        rc = ml_err(err, ML_EINVAL,
                    "splitting %zu rows with test share %g leaves the %s part empty", n,
                    spec->test, ntest == 0 ? "test" : "training");
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
