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
 */
#ifndef ML_EVAL_SPLIT_H
#define ML_EVAL_SPLIT_H

#include "core/error.h"
#include "data/table.h"

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
    double test;      /* share in (0, 1) */
    uint64_t seed;
    const double *y;  /* stratified: class index per row */
    size_t nclasses;  /* stratified */
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

#endif
