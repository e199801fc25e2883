/*
 * gbdt.c — the boosting loop (see gbdt.h).
 *
 * Each round: gradients from the current raw scores, quantised with
 * unbiased stochastic rounding to as many levels as exact 32-bit sums allow
 * (learner.h; 1,024 levels for a million rows, millions for small data —
 * LightGBM shows far fewer suffice), one tree per output grown by the
 * histogram learner on them, leaf values then recomputed from the exact
 * gradients and scaled by the learning rate, then scores updated through the learner's
 * leaf row ranges (rows out of the bag are routed through the new tree on
 * their raw values, the same path prediction takes).  Validation rows are
 * scored the same way, so early stopping watches exactly what predict will
 * return.
 */
#include "models/gbdt/gbdt.h"

#include "core/rng.h"
#include "eval/metrics.h"
#include "models/gbdt/learner.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define P(field) offsetof(gbdt_params, field)
const param_spec gbdt_param_specs[] = {
    {"objective", PARAM_ENUM, P(objective), 0, 0, OBJ_CHOICES, "loss (default: from the task)"},
    {"alpha", PARAM_DOUBLE, P(alpha), 1e-9, 1e9, NULL, "huber delta / quantile level (0.9)"},
    {"n_estimators", PARAM_INT, P(n_estimators), 1, 1000000, NULL, "boosting rounds (100)"},
    {"learning_rate", PARAM_DOUBLE, P(learning_rate), 1e-9, 1, NULL, "shrinkage (0.1)"},
    {"num_leaves", PARAM_INT, P(num_leaves), 2, 131072, NULL, "leaves per tree (31)"},
    {"max_depth", PARAM_INT, P(max_depth), 0, 64, NULL, "depth limit, 0 = none (0)"},
    {"min_data_in_leaf", PARAM_INT, P(min_data_in_leaf), 1, 1e9, NULL, "rows per leaf (20)"},
    {"min_sum_hessian_in_leaf", PARAM_DOUBLE, P(min_sum_hessian_in_leaf), 0, 1e300, NULL,
     "hessian per leaf (1e-3)"},
    {"lambda_l1", PARAM_DOUBLE, P(lambda_l1), 0, 1e300, NULL, "L1 on leaf values (0)"},
    {"lambda_l2", PARAM_DOUBLE, P(lambda_l2), 0, 1e300, NULL, "L2 on leaf values (0)"},
    {"min_gain_to_split", PARAM_DOUBLE, P(min_gain_to_split), 0, 1e300, NULL,
     "gain a split needs (0)"},
    {"max_delta_step", PARAM_DOUBLE, P(max_delta_step), 0, 1e300, NULL,
     "cap on leaf values, 0 = none (0)"},
    {"feature_fraction", PARAM_DOUBLE, P(feature_fraction), 1e-9, 1, NULL,
     "share of inputs per tree (1)"},
    {"feature_fraction_bynode", PARAM_DOUBLE, P(feature_fraction_bynode), 1e-9, 1, NULL,
     "share of inputs per split (1)"},
    {"bagging_fraction", PARAM_DOUBLE, P(bagging_fraction), 1e-9, 1, NULL,
     "share of rows per bag (1)"},
    {"bagging_freq", PARAM_INT, P(bagging_freq), 0, 1000000, NULL, "rounds per new bag, 0 = off"},
    {"seed", PARAM_INT, P(seed), 0, 2147483647, NULL, "random seed (0)"},
    {"scale_pos_weight", PARAM_DOUBLE, P(scale_pos_weight), 1e-9, 1e9, NULL,
     "weight of positive rows, binary (1)"},
    {"class_weight", PARAM_ENUM, P(class_weight), 0, 0, "none|balanced",
     "balanced: weight classes by inverse frequency"},
    {"monotone_constraints", PARAM_STRING, P(monotone_constraints), 0, 0, NULL,
     "per input -1/0/1: \"1,0,-1\" or \"age:1,debt:-1\""},
    {"max_bin", PARAM_INT, P(max_bin), 2, 255, NULL, "bins per input (255)"},
    {"max_cat_to_onehot", PARAM_INT, P(max_cat_to_onehot), 1, 255, NULL,
     "one-vs-rest splits up to this many categories (4)"},
    {"max_cat_threshold", PARAM_INT, P(max_cat_threshold), 1, 255, NULL,
     "categories on one side of a split (32)"},
    {"cat_smooth", PARAM_DOUBLE, P(cat_smooth), 0, 1e300, NULL, "category ordering prior (10)"},
    {"cat_l2", PARAM_DOUBLE, P(cat_l2), 0, 1e300, NULL, "L2 for many-vs-many category splits (10)"},
    {"min_data_per_group", PARAM_INT, P(min_data_per_group), 1, 1e9, NULL,
     "rows a category needs to join a many-vs-many split (100)"},
    {"early_stopping", PARAM_INT, P(early_stopping), 0, 1000000, NULL,
     "stop after this many rounds without improvement, 0 = off"},
    {"metric", PARAM_STRING, P(metric), 0, 0, NULL, "validation metric (default: by objective)"},
    {"bin_sample_rows", PARAM_INT, P(bin_sample_rows), 1000, 2147483647, NULL,
     "rows sampled for bin bounds (200000)"},
};
#undef P
const size_t gbdt_param_count = sizeof gbdt_param_specs / sizeof gbdt_param_specs[0];

void gbdt_default_params(gbdt_params *p)
{
    *p = (gbdt_params){
        .objective = -1,
        .alpha = 0.9,
        .n_estimators = 100,
        .learning_rate = 0.1,
        .num_leaves = 31,
        .min_data_in_leaf = 20,
        .min_sum_hessian_in_leaf = 1e-3,
        .feature_fraction = 1,
        .feature_fraction_bynode = 1,
        .bagging_fraction = 1,
        .scale_pos_weight = 1,
        .max_bin = 255,
        .max_cat_to_onehot = 4,
        .max_cat_threshold = 32,
        .cat_smooth = 10,
        .cat_l2 = 10,
        .min_data_per_group = 100,
        .bin_sample_rows = 200000,
    };
}

void gbdt_free(gbdt_model *m)
{
    if (!m)
        return;
    ens_free(m->ens);
    free(m->split_gain);
    free(m->split_count);
    free(m);
}

size_t gbdt_noutputs(const gbdt_model *m)
{
    return m->ens->noutputs;
}

int gbdt_parse_monotone(const char *text, const mdl_schema *s, int8_t *dirs, ml_error *err)
{
    memset(dirs, 0, s->nfeatures);
    bool named = strchr(text, ':') != NULL;
    size_t pos = 0;
    const char *p = text;
    while (*p) {
        const char *end = p + strcspn(p, ",");
        char item[512];
        size_t len = (size_t)(end - p);
        if (len >= sizeof item)
            return ml_err(err, ML_EINVAL, "monotone_constraints: item too long");
        memcpy(item, p, len);
        item[len] = '\0';
        const char *value = item;
        size_t feature = pos;
        if (named) {
            char *colon = strrchr(item, ':');
            if (!colon)
                return ml_err(err, ML_EINVAL, "monotone_constraints: '%s' is not name:direction",
                              item);
            *colon = '\0';
            value = colon + 1;
            for (feature = 0; feature < s->nfeatures; feature++)
                if (strcmp(s->features[feature].name, item) == 0)
                    break;
            if (feature == s->nfeatures)
                return ml_err(err, ML_EINVAL, "monotone_constraints: no input named '%s'", item);
        } else if (feature >= s->nfeatures) {
            return ml_err(err, ML_EINVAL, "monotone_constraints: %zu values for %zu inputs",
                          pos + 1, s->nfeatures);
        }
        int d;
        if (strcmp(value, "1") == 0 || strcmp(value, "+1") == 0)
            d = 1;
        else if (strcmp(value, "-1") == 0)
            d = -1;
        else if (strcmp(value, "0") == 0)
            d = 0;
        else
            return ml_err(err, ML_EINVAL, "monotone_constraints: '%s' is not -1, 0 or 1", value);
        if (d && s->features[feature].categorical)
            return ml_err(err, ML_EINVAL,
                          "monotone_constraints: input '%s' is categorical; only numeric inputs "
                          "can be monotone",
                          s->features[feature].name);
        dirs[feature] = (int8_t)d;
        pos++;
        p = *end ? end + 1 : end;
    }
    if (!named && pos != s->nfeatures)
        return ml_err(err, ML_EINVAL, "monotone_constraints: %zu values for %zu inputs", pos,
                      s->nfeatures);
    return ML_OK;
}

static obj_id default_objective(mdl_task task)
{
    switch (task) {
    case MDL_TASK_BINARY:
        return OBJ_BINARY;
    case MDL_TASK_MULTICLASS:
        return OBJ_MULTICLASS;
    case MDL_TASK_REGRESSION:
        break;
    }
    return OBJ_L2;
}

static const char *default_metric(obj_id id)
{
    switch (id) {
    case OBJ_BINARY:
        return "logloss";
    case OBJ_MULTICLASS:
        return "multi_logloss";
    case OBJ_L1:
        return "mae";
    case OBJ_QUANTILE:
        return "quantile";
    case OBJ_POISSON:
        return "poisson";
    default:
        return "rmse";
    }
}

static int check_objective(obj_id id, mdl_task task, const double *y, size_t n, ml_error *err)
{
    bool ok = (task == MDL_TASK_BINARY && id == OBJ_BINARY) ||
              (task == MDL_TASK_MULTICLASS && id == OBJ_MULTICLASS) ||
              (task == MDL_TASK_REGRESSION && id != OBJ_BINARY && id != OBJ_MULTICLASS);
    if (!ok)
        return ml_err(err, ML_EINVAL, "objective '%s' does not fit a %s task", obj_name(id),
                      mdl_task_name(task));
    if (id == OBJ_POISSON)
        for (size_t i = 0; i < n; i++)
            if (y[i] < 0)
                return ml_err(err, ML_EINVAL,
                              "objective 'poisson' needs non-negative targets; data row %zu has "
                              "%.17g",
                              i + 1, y[i]);
    return ML_OK;
}

/* 64 random bits from a key: splitmix64's finaliser.  Counter based, so
 * each row's draw is the same whichever thread makes it. */
static inline uint64_t key_bits(uint64_t key)
{
    uint64_t z = key + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Quantises g and h against their largest magnitudes to the levels the
 * learner allows for n rows, rounding stochastically (unbiased: small
 * gradients keep their expected value instead of vanishing), and packs
 * them.  salt makes the draws differ between rounds and outputs. */
static void quantise(const double *g, const double *h, size_t n, uint64_t salt, gpair *out,
                     double *gscale, double *hscale)
{
    double gmax = 0, hmax = 0, glevels, hlevels;
#pragma omp parallel for schedule(static) reduction(max : gmax, hmax) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        double a = fabs(g[i]);
        gmax = a > gmax ? a : gmax;
        hmax = h[i] > hmax ? h[i] : hmax;
    }
    learner_levels(n, &glevels, &hlevels);
    *gscale = gmax > 0 ? gmax / glevels : 1;
    *hscale = hmax > 0 ? hmax / hlevels : 1;
    double gi = 1 / *gscale, hi = 1 / *hscale;
    uint64_t base = salt * 0x100000001b3ull;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        /* One draw gives both uniforms: 32 bits each is plenty for
         * rounding to at most 2^31 levels. */
        uint64_t bits = key_bits(base ^ i);
        double qg = floor(g[i] * gi + (double)(bits >> 32) * 0x1.0p-32);
        double qh = floor(h[i] * hi + (double)(uint32_t)bits * 0x1.0p-32);
        qg = qg < -glevels ? -glevels : qg > glevels ? glevels : qg;
        qh = qh < 0 ? 0 : qh > hlevels ? hlevels : qh;
        out[i] = gpair_pack((int32_t)qg, (uint32_t)qh);
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* L1 and quantile: each leaf's value becomes the alpha-quantile of its
 * rows' residuals (the exact minimiser), as LightGBM does. */
static void refit_leaves(learner *L, const double *y, const double *score, size_t K, size_t k,
                         double q, double *buf)
{
    double *values = learner_leaf_values(L);
    const uint32_t *rows = learner_rows(L);
    for (size_t l = 0; l < learner_num_leaves(L); l++) {
        size_t b, e;
        learner_leaf_range(L, l, &b, &e);
        if (e == b)
            continue;
        for (size_t i = b; i < e; i++)
            buf[i - b] = y[rows[i]] - score[(size_t)rows[i] * K + k];
        size_t n = e - b;
        qsort(buf, n, sizeof *buf, compare_doubles);
        double pos = q * (double)(n - 1);
        size_t lo = (size_t)pos;
        double v = buf[lo];
        if (lo + 1 < n)
            v += (pos - (double)lo) * (buf[lo + 1] - buf[lo]);
        values[l] = v;
    }
}

typedef struct train_state {
    size_t n, K;
    double *score, *g, *h, *wbuf, *refit;
    gpair *gp;
    uint32_t *bag;
    uint8_t *in_bag, *feature_mask;
    int8_t *monotone;
    double *valid_score, *valid_pred;
    bin_mapper *mappers;
    binned data;
    learner *L;
} train_state;

static void free_state(train_state *st, size_t nfeatures)
{
    free(st->score);
    free(st->g);
    free(st->h);
    free(st->wbuf);
    free(st->refit);
    free(st->gp);
    free(st->bag);
    free(st->in_bag);
    free(st->feature_mask);
    free(st->monotone);
    free(st->valid_score);
    free(st->valid_pred);
    bins_free_mappers(st->mappers, nfeatures);
    binned_free(&st->data);
    learner_free(st->L);
}

/* Sample weights combining the user's, scale_pos_weight is applied in the
 * gradients; class_weight=balanced multiplies by n / (K * n_class). */
static int effective_weights(const gbdt_train_input *in, const gbdt_params *p, train_state *st,
                             const double **w, ml_error *err)
{
    *w = in->w;
    if (p->class_weight != 1 || !mdl_task_is_classification(in->schema->task))
        return ML_OK;
    size_t nc = in->schema->nclasses, n = st->n;
    double *counts = calloc(nc, sizeof *counts);
    if (!counts || !(st->wbuf = malloc(n * sizeof *st->wbuf))) {
        free(counts);
        return ml_err(err, ML_ENOMEM, "out of memory weighting classes");
    }
    for (size_t i = 0; i < n; i++)
        counts[(size_t)in->y[i]] += 1;
    for (size_t i = 0; i < n; i++)
        st->wbuf[i] = (in->w ? in->w[i] : 1) * (double)n / ((double)nc * counts[(size_t)in->y[i]]);
    free(counts);
    *w = st->wbuf;
    return ML_OK;
}

static void draw_bag(train_state *st, double fraction, ml_rng *rng, size_t *nbag)
{
    size_t m = 0;
    for (size_t i = 0; i < st->n; i++) {
        st->in_bag[i] = ml_rng_uniform(rng) < fraction;
        if (st->in_bag[i])
            st->bag[m++] = (uint32_t)i;
    }
    *nbag = m;
}

static void draw_features(uint8_t *mask, size_t nf, double fraction, ml_rng *rng)
{
    size_t want = (size_t)ceil(fraction * (double)nf), have = 0;
    memset(mask, 0, nf);
    /* Selection sampling: exactly `want` features, each subset equally likely. */
    for (size_t f = 0; f < nf && have < want; f++)
        if ((double)(want - have) > ml_rng_uniform(rng) * (double)(nf - f)) {
            mask[f] = 1;
            have++;
        }
}

static int setup(const gbdt_train_input *in, const gbdt_params *p, gbdt_model *m, train_state *st,
                 ml_error *err)
{
    const mdl_schema *s = in->schema;
    size_t n = st->n, K = st->K, nf = s->nfeatures;
    int rc;
    if ((rc = bins_fit(s, in->train, p->max_bin, (size_t)p->bin_sample_rows, (uint64_t)p->seed,
                       &st->mappers, err)) ||
        (rc = bins_apply(st->mappers, in->train, &st->data, err)))
        return rc;
    tree_params tp = {
        .num_leaves = p->num_leaves,
        .max_depth = p->max_depth,
        .min_data_in_leaf = p->min_data_in_leaf,
        .min_sum_hessian_in_leaf = p->min_sum_hessian_in_leaf,
        .lambda_l1 = p->lambda_l1,
        .lambda_l2 = p->lambda_l2,
        .min_gain_to_split = p->min_gain_to_split,
        .max_delta_step = p->max_delta_step,
        .max_cat_to_onehot = p->max_cat_to_onehot,
        .max_cat_threshold = p->max_cat_threshold,
        .cat_smooth = p->cat_smooth,
        .cat_l2 = p->cat_l2,
        .min_data_per_group = p->min_data_per_group,
        .feature_fraction_bynode = p->feature_fraction_bynode,
    };
    if (p->monotone_constraints) {
        if (!(st->monotone = malloc(nf)))
            return ml_err(err, ML_ENOMEM, "out of memory");
        if ((rc = gbdt_parse_monotone(p->monotone_constraints, s, st->monotone, err)))
            return rc;
        tp.monotone = st->monotone;
    }
    if ((rc = learner_create(&st->data, st->mappers, &tp, &st->L, err)))
        return rc;
    st->score = malloc(n * K * sizeof *st->score);
    st->g = malloc(n * sizeof *st->g);
    st->h = malloc(n * sizeof *st->h);
    st->gp = malloc(n * sizeof *st->gp);
    st->bag = malloc(n * sizeof *st->bag);
    st->in_bag = malloc(n);
    st->feature_mask = malloc(nf ? nf : 1);
    if (obj_refits_leaves(m->objective))
        st->refit = malloc(n * sizeof *st->refit);
    if (in->valid) {
        size_t nv = in->valid->nrows ? in->valid->nrows : 1;
        st->valid_score = malloc(nv * K * sizeof *st->valid_score);
        st->valid_pred = malloc(nv * K * sizeof *st->valid_pred);
    }
    if (!st->score || !st->g || !st->h || !st->gp || !st->bag || !st->in_bag || !st->feature_mask ||
        (obj_refits_leaves(m->objective) && !st->refit) ||
        (in->valid && (!st->valid_score || !st->valid_pred)))
        return ml_err(err, ML_ENOMEM, "out of memory for %zu training rows", n);
    if ((rc = ens_create(nf, K, &m->ens, err)))
        return rc;
    for (size_t j = 0; j < nf; j++)
        if (st->mappers[j].categorical &&
            (rc = ens_set_feature_bins(m->ens, j, st->mappers[j].code_bin, st->mappers[j].ncodes,
                                       err)))
            return rc;
    return ML_OK;
}

/* Adds the newest tree (index t) to the training scores of output k. */
static void update_scores(train_state *st, const gbdt_train_input *in, const ens_ensemble *e,
                          size_t t, size_t k, bool bagged)
{
    learner *L = st->L;
    const double *values = learner_leaf_values(L);
    const uint32_t *rows = learner_rows(L);
    size_t K = st->K, nleaves = learner_num_leaves(L);
    /* Leaves own disjoint rows, so they can be updated side by side. */
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t l = 0; l < nleaves; l++) {
        size_t b, e2;
        learner_leaf_range(L, l, &b, &e2);
        double v = values[l];
        for (size_t i = b; i < e2; i++)
            st->score[(size_t)rows[i] * K + k] += v;
    }
    if (!bagged)
        return;
    const double *const *cols = (const double *const *)in->train->cols;
#pragma omp parallel for schedule(static) if (st->n > 65536)
    for (size_t i = 0; i < st->n; i++)
        if (!st->in_bag[i])
            st->score[i * K + k] += ens_tree_value_cols(e, t, cols, i);
}

int gbdt_train(const gbdt_train_input *in, const gbdt_params *p, gbdt_model **out, ml_error *err)
{
    *out = NULL;
    const mdl_schema *s = in->schema;
    train_state st = {.n = in->train->nrows};
    if (st.n == 0)
        return ml_err(err, ML_EINVAL, "no training rows");
    if (st.n > UINT32_MAX)
        return ml_err(err, ML_ELIMIT, "gbdt trains on at most %u rows", UINT32_MAX);
    gbdt_model *m = calloc(1, sizeof *m);
    if (!m)
        return ml_err(err, ML_ENOMEM, "out of memory");
    m->objective = p->objective >= 0 ? (obj_id)p->objective : default_objective(s->task);
    m->alpha = p->alpha;
    m->best_valid = NAN;
    st.K = m->objective == OBJ_MULTICLASS ? s->nclasses : 1;
    const char *metric_name = p->metric ? p->metric : default_metric(m->objective);
    met_id metric;
    const double *w = NULL;
    int rc;
    if ((rc = check_objective(m->objective, s->task, in->y, st.n, err)) ||
        (rc = met_parse(metric_name, &metric, err)))
        goto done;
    if (!met_valid_for_task(metric, (int)s->task)) {
        rc = ml_err(err, ML_EINVAL, "metric '%s' does not apply to a %s task", metric_name,
                    mdl_task_name(s->task));
        goto done;
    }
    snprintf(m->metric, sizeof m->metric, "%s", met_name(metric));
    if (p->early_stopping > 0 && !in->valid) {
        rc = ml_err(err, ML_EINVAL,
                    "early_stopping needs validation data (--valid or --valid-fraction)");
        goto done;
    }
    if ((rc = setup(in, p, m, &st, err)) || (rc = effective_weights(in, p, &st, &w, err)))
        goto done;
    size_t n = st.n, K = st.K, nf = s->nfeatures;
    obj_base_score(m->objective, in->y, w, n, K, m->alpha, m->ens->base);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++)
            st.score[i * K + k] = m->ens->base[k];
    size_t nv = in->valid ? in->valid->nrows : 0;
    for (size_t i = 0; i < nv; i++)
        for (size_t k = 0; k < K; k++)
            st.valid_score[i * K + k] = m->ens->base[k];
    ml_rng rng;
    ml_rng_seed(&rng, (uint64_t)p->seed);
    bool bagging = p->bagging_fraction < 1 && p->bagging_freq > 0;
    size_t nbag = n, since_best = 0;
    bool higher = met_higher_is_better(metric);
    for (int round = 0; round < p->n_estimators; round++) {
        if (bagging && round % p->bagging_freq == 0)
            draw_bag(&st, p->bagging_fraction, &rng, &nbag);
        draw_features(st.feature_mask, nf, p->feature_fraction, &rng);
        for (size_t k = 0; k < K; k++) {
            double gscale, hscale;
            obj_gradients(m->objective, in->y, w, st.score, n, K, k, m->alpha, p->scale_pos_weight,
                          st.g, st.h);
            if (bagging) /* rows out of the bag must not set the quantisation scale */
                for (size_t i = 0; i < n; i++)
                    if (!st.in_bag[i])
                        st.g[i] = st.h[i] = 0;
            uint64_t salt = ((uint64_t)(uint32_t)p->seed << 32) ^ ((uint64_t)round * K + k);
            quantise(st.g, st.h, n, salt, st.gp, &gscale, &hscale);
            if ((rc = learner_grow(st.L, st.gp, gscale, hscale, bagging ? st.bag : NULL, nbag,
                                   st.feature_mask, &rng, err)))
                goto done;
            learner_refit_exact(st.L, st.g, st.h);
            if (obj_refits_leaves(m->objective))
                refit_leaves(st.L, in->y, st.score, K, k, m->objective == OBJ_L1 ? 0.5 : m->alpha,
                             st.refit);
            double *values = learner_leaf_values(st.L);
            for (size_t l = 0; l < learner_num_leaves(st.L); l++)
                values[l] *= p->learning_rate;
            if ((rc = learner_emit(st.L, m->ens, err)))
                goto done;
            size_t t = m->ens->ntrees - 1;
            update_scores(&st, in, m->ens, t, k, bagging);
            const double *const *vcols = in->valid ? (const double *const *)in->valid->cols : NULL;
#pragma omp parallel for schedule(static) if (nv > 65536)
            for (size_t i = 0; i < nv; i++)
                st.valid_score[i * K + k] += ens_tree_value_cols(m->ens, t, vcols, i);
        }
        m->rounds = (size_t)round + 1;
        double value = NAN;
        if (in->valid) {
            memcpy(st.valid_pred, st.valid_score, nv * K * sizeof *st.valid_pred);
            obj_transform(m->objective, st.valid_pred, nv, K);
            value = met_compute(metric, in->valid_y, st.valid_pred, K, in->valid_w, nv, m->alpha);
            bool better =
                isnan(m->best_valid) || (higher ? value > m->best_valid : value < m->best_valid);
            if (better) {
                m->best_valid = value;
                m->best_round = m->rounds;
                since_best = 0;
            } else {
                since_best++;
            }
        } else {
            m->best_round = m->rounds;
        }
        if (in->progress)
            in->progress(in->progress_ctx, round + 1, p->n_estimators, m->metric, value);
        if (p->early_stopping > 0 && since_best >= (size_t)p->early_stopping)
            break;
    }
    if (p->early_stopping > 0 && m->best_round < m->rounds)
        ens_truncate(m->ens, m->best_round * K);
    if ((rc = ens_prepare(m->ens, err)))
        goto done;
    if (!(m->split_gain = malloc(nf * sizeof *m->split_gain)) ||
        !(m->split_count = malloc(nf * sizeof *m->split_count))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(m->split_gain, learner_split_gain(st.L), nf * sizeof *m->split_gain);
    memcpy(m->split_count, learner_split_count(st.L), nf * sizeof *m->split_count);
    if (in->train_scores && m->best_round == m->rounds)
        memcpy(in->train_scores, st.score, n * K * sizeof *st.score);
done:
    free_state(&st, s->nfeatures);
    if (rc) {
        gbdt_free(m);
        return rc;
    }
    *out = m;
    return ML_OK;
}

void gbdt_predict_rows(const gbdt_model *m, const double *rows, size_t nrows, double *out)
{
    ens_predict_rows(m->ens, rows, nrows, out);
    obj_transform(m->objective, out, nrows, m->ens->noutputs);
}

enum { GBDT_FORMAT = 1 };

void gbdt_write(const gbdt_model *m, ml_wbuf *w)
{
    wbuf_u32(w, GBDT_FORMAT);
    wbuf_u8(w, (uint8_t)m->objective);
    wbuf_f64(w, m->alpha);
    wbuf_u64(w, m->rounds);
    wbuf_u64(w, m->best_round);
    wbuf_str(w, m->metric);
    wbuf_f64(w, m->best_valid);
    ens_write(m->ens, w);
    ens_write_importance(m->split_gain, m->split_count, m->ens->nfeatures, w);
}

int gbdt_read(ml_rbuf *r, const mdl_schema *s, gbdt_model **out, ml_error *err)
{
    *out = NULL;
    gbdt_model *m = calloc(1, sizeof *m);
    int rc = ML_OK;
    uint32_t format;
    uint8_t objective;
    char *metric = NULL;
    if (!m)
        return ml_err(err, ML_ENOMEM, "out of memory loading the model");
    if ((rc = rbuf_u32(r, &format, "gbdt format", err)))
        goto done;
    if (format != GBDT_FORMAT) {
        rc = ml_err(err, ML_EUNSUPPORTED, "%s: gbdt format %u is not supported", r->what, format);
        goto done;
    }
    if ((rc = rbuf_u8(r, &objective, "objective", err)) ||
        (rc = rbuf_f64(r, &m->alpha, "alpha", err)) ||
        (rc = rbuf_u64(r, (uint64_t *)&m->rounds, "rounds", err)) ||
        (rc = rbuf_u64(r, (uint64_t *)&m->best_round, "best round", err)) ||
        (rc = rbuf_str(r, sizeof m->metric - 1, &metric, "metric", err)) ||
        (rc = rbuf_f64(r, &m->best_valid, "best validation value", err)))
        goto done;
    snprintf(m->metric, sizeof m->metric, "%s", metric);
    if (objective >= OBJ_COUNT || (objective == OBJ_BINARY) != (s->task == MDL_TASK_BINARY) ||
        (objective == OBJ_MULTICLASS) != (s->task == MDL_TASK_MULTICLASS)) {
        rc = ml_err(err, ML_EFORMAT, "%s: objective %u does not fit the model's %s task", r->what,
                    objective, mdl_task_name(s->task));
        goto done;
    }
    m->objective = (obj_id)objective;
    size_t outputs = m->objective == OBJ_MULTICLASS ? s->nclasses : 1;
    if ((rc = ens_read_for_schema(r, s, outputs, &m->ens, err)))
        goto done;
    rc = ens_read_importance(r, s->nfeatures, &m->split_gain, &m->split_count, err);
done:
    free(metric);
    if (rc) {
        gbdt_free(m);
        return rc;
    }
    *out = m;
    return ML_OK;
}
