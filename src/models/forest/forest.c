/*
 * forest.c — bagged trees on the boosting learner (see forest.h).
 *
 * A tree fitted to gradients g = -c*y, h = c (c = how many times the
 * bootstrap drew the row) with no regularisation has leaf value
 * sum(c*y)/sum(c): the bootstrap mean, and its gain is the reduction in
 * squared error, which for 0/1 targets is the Gini criterion.  So the
 * histogram learner grows forest trees unchanged; leaves are divided by the
 * number of rounds so the ensemble's sum is the average.
 */
#include "models/forest/forest.h"

#include "core/rng.h"
#include "models/gbdt/bins.h"
#include "models/gbdt/learner.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define P(field) offsetof(forest_params, field)
const param_spec forest_param_specs[] = {
    {"n_estimators", PARAM_INT, P(n_estimators), 1, 100000, NULL, "trees (100)"},
    {"num_leaves", PARAM_INT, P(num_leaves), 2, 131072, NULL, "leaves per tree (4096)"},
    {"max_depth", PARAM_INT, P(max_depth), 0, 64, NULL, "depth limit, 0 = none (0)"},
    {"min_data_in_leaf", PARAM_INT, P(min_data_in_leaf), 1, 1e9, NULL, "rows per leaf (1)"},
    {"max_bin", PARAM_INT, P(max_bin), 2, 255, NULL, "bins per input (255)"},
    {"seed", PARAM_INT, P(seed), 0, 2147483647, NULL, "random seed (0)"},
    {"feature_fraction_bynode", PARAM_DOUBLE, P(feature_fraction_bynode), 0, 1, NULL,
     "share of inputs per split (0 = sqrt for classification, 1 for regression)"},
    {"bagging_fraction", PARAM_DOUBLE, P(bagging_fraction), 1e-9, 1, NULL,
     "bootstrap sample size as a share of rows (1)"},
    {"bootstrap", PARAM_BOOL, P(bootstrap), 0, 1, NULL, "sample rows with replacement (true)"},
};
#undef P
const size_t forest_param_count = sizeof forest_param_specs / sizeof forest_param_specs[0];

void forest_default_params(forest_params *p)
{
    *p = (forest_params){
        .n_estimators = 100,
        .num_leaves = 4096,
        .min_data_in_leaf = 1,
        .max_bin = 255,
        .bagging_fraction = 1,
        .bootstrap = true,
    };
}

void forest_free(forest_model *m)
{
    if (!m)
        return;
    ens_free(m->ens);
    free(m->split_gain);
    free(m->split_count);
    free(m);
}

int forest_train(const mdl_schema *s, const mdl_frame *X, const double *y, const double *w,
                 const forest_params *p, forest_model **out, ml_error *err)
{
    *out = NULL;
    size_t n = X->nrows, nf = s->nfeatures;
    size_t K = s->task == MDL_TASK_MULTICLASS ? s->nclasses : 1;
    if (n == 0)
        return ml_err(err, ML_EINVAL, "no training rows");
    if (n > UINT32_MAX)
        return ml_err(err, ML_ELIMIT, "forests train on at most %u rows", UINT32_MAX);
    forest_model *m = calloc(1, sizeof *m);
    bin_mapper *mappers = NULL;
    binned data = {0};
    learner *L = NULL;
    gpair *gp = malloc(n * sizeof *gp);
    uint32_t *counts = malloc(n * sizeof *counts), *rows = malloc(n * sizeof *rows);
    double *g = malloc(n * sizeof *g), *h = malloc(n * sizeof *h);
    int rc = ML_OK;
    if (!m || !gp || !counts || !rows || !g || !h) {
        rc = ml_err(err, ML_ENOMEM, "out of memory for %zu training rows", n);
        goto done;
    }
    m->task = s->task;
    double frac = p->feature_fraction_bynode;
    if (frac <= 0)
        frac = mdl_task_is_classification(s->task) ? sqrt((double)nf) / (double)nf : 1.0;
    tree_params tp = {
        .num_leaves = p->num_leaves,
        .max_depth = p->max_depth,
        .min_data_in_leaf = p->min_data_in_leaf,
        .max_cat_to_onehot = 4,
        .max_cat_threshold = 32,
        .cat_smooth = 10,
        .cat_l2 = 10,
        .min_data_per_group = 100,
        .feature_fraction_bynode = frac,
    };
    if ((rc = bins_fit(s, X, p->max_bin, 200000, (uint64_t)p->seed, &mappers, err)) ||
        (rc = bins_apply(mappers, X, &data, err)) ||
        (rc = learner_create(&data, mappers, &tp, &L, err)) ||
        (rc = ens_create(nf, K, &m->ens, err)))
        goto done;
    for (size_t j = 0; j < nf; j++)
        if (mappers[j].categorical &&
            (rc = ens_set_feature_bins(m->ens, j, mappers[j].code_bin, mappers[j].ncodes, err)))
            goto done;
    ml_rng rng;
    ml_rng_seed(&rng, (uint64_t)p->seed);
    size_t draws = (size_t)ceil(p->bagging_fraction * (double)n);
    /* Quantisation: targets are 0/1 indicators or values up to max |y|;
     * counts are small integers, so h is exact. */
    double ymax = 0;
    for (size_t i = 0; i < n; i++)
        ymax = fmax(ymax, fabs(y[i]) * (w ? w[i] : 1));
    double wmax = 0;
    for (size_t i = 0; i < n; i++)
        wmax = fmax(wmax, w ? w[i] : 1);
    for (int round = 0; round < p->n_estimators; round++) {
        memset(counts, 0, n * sizeof *counts);
        if (p->bootstrap) {
            for (size_t d = 0; d < draws; d++)
                counts[ml_rng_below(&rng, n)]++;
        } else {
            for (size_t i = 0; i < n; i++)
                counts[i] = ml_rng_uniform(&rng) < p->bagging_fraction;
        }
        size_t nrows = 0, maxc = 1;
        for (size_t i = 0; i < n; i++)
            if (counts[i]) {
                rows[nrows++] = (uint32_t)i;
                maxc = counts[i] > maxc ? counts[i] : maxc;
            }
        double target_max = mdl_task_is_classification(s->task) ? wmax : ymax;
        double glevels, hlevels;
        learner_levels(draws > n ? draws : n, &glevels, &hlevels);
        double gscale = target_max > 0 ? target_max * (double)maxc / glevels : 1;
        double hscale = wmax > 0 ? wmax * (double)maxc / hlevels : 1;
        for (size_t k = 0; k < K; k++) {
            for (size_t i = 0; i < n; i++) {
                double wi = (w ? w[i] : 1) * counts[i];
                double t = s->task == MDL_TASK_REGRESSION ? y[i]
                           : s->task == MDL_TASK_BINARY   ? y[i]
                                                          : ((size_t)y[i] == k);
                gp[i] = gpair_pack((int32_t)lrint(-t * wi / gscale), (uint32_t)lrint(wi / hscale));
            }
            if ((rc = learner_grow(L, gp, gscale, hscale, rows, nrows, NULL, &rng, err)))
                goto done;
            for (size_t i = 0; i < n; i++) {
                double wi = (w ? w[i] : 1) * counts[i];
                double t = s->task == MDL_TASK_MULTICLASS ? ((size_t)y[i] == k) : y[i];
                g[i] = -t * wi;
                h[i] = wi;
            }
            learner_refit_exact(L, g, h);
            double *values = learner_leaf_values(L);
            for (size_t l = 0; l < learner_num_leaves(L); l++)
                values[l] /= p->n_estimators;
            if ((rc = learner_emit(L, m->ens, err)))
                goto done;
        }
    }
    if ((rc = ens_prepare(m->ens, err)))
        goto done;
    m->split_gain = malloc((nf ? nf : 1) * sizeof *m->split_gain);
    m->split_count = malloc((nf ? nf : 1) * sizeof *m->split_count);
    if (!m->split_gain || !m->split_count) {
        rc = ml_err(err, ML_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(m->split_gain, learner_split_gain(L), nf * sizeof *m->split_gain);
    memcpy(m->split_count, learner_split_count(L), nf * sizeof *m->split_count);
done:
    learner_free(L);
    binned_free(&data);
    bins_free_mappers(mappers, nf);
    free(gp);
    free(counts);
    free(rows);
    free(g);
    free(h);
    if (rc) {
        forest_free(m);
        return rc;
    }
    *out = m;
    return ML_OK;
}

void forest_predict_rows(const forest_model *m, const double *rows, size_t nrows, double *out)
{
    size_t K = m->ens->noutputs;
    ens_predict_rows(m->ens, rows, nrows, out);
    if (m->task == MDL_TASK_REGRESSION)
        return;
    for (size_t i = 0; i < nrows; i++) {
        double *row = out + i * K, sum = 0;
        for (size_t k = 0; k < K; k++) {
            row[k] = fmin(fmax(row[k], 0), 1);
            sum += row[k];
        }
        if (K > 1 && sum > 0)
            for (size_t k = 0; k < K; k++)
                row[k] /= sum;
    }
}

enum { FOREST_FORMAT = 1 };

void forest_write(const forest_model *m, ml_wbuf *w)
{
    wbuf_u32(w, FOREST_FORMAT);
    ens_write(m->ens, w);
    ens_write_importance(m->split_gain, m->split_count, m->ens->nfeatures, w);
}

int forest_read(ml_rbuf *r, const mdl_schema *s, forest_model **out, ml_error *err)
{
    *out = NULL;
    forest_model *m = calloc(1, sizeof *m);
    uint32_t format;
    int rc = ML_OK;
    if (!m)
        return ml_err(err, ML_ENOMEM, "out of memory loading the model");
    m->task = s->task;
    if ((rc = rbuf_u32(r, &format, "forest format", err)))
        goto done;
    if (format != FOREST_FORMAT) {
        rc = ml_err(err, ML_EUNSUPPORTED, "%s: forest format %u is not supported", r->what, format);
        goto done;
    }
    size_t outputs = s->task == MDL_TASK_MULTICLASS ? s->nclasses : 1;
    if ((rc = ens_read_for_schema(r, s, outputs, &m->ens, err)))
        goto done;
    rc = ens_read_importance(r, s->nfeatures, &m->split_gain, &m->split_count, err);
done:
    if (rc) {
        forest_free(m);
        return rc;
    }
    *out = m;
    return ML_OK;
}
