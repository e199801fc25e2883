/*
 * learner.c — leaf-wise histogram tree growth (see learner.h).
 *
 * Data layout: bins are row-major uint8 (one row's features are adjacent),
 * so building a histogram for a leaf reads each of its rows once and adds
 * its gradient pair to one slot per feature.  Every feature has 256 slots,
 * which keeps the slot of (feature, bin) a shift and an add.  Leaves own a
 * contiguous range of the row index array; a split partitions the range
 * stably in place (through a scratch buffer, in parallel for big leaves).
 *
 * Histograms sum int64 quantised gradients: sums are exact, so the thread
 * count and the order of rows cannot change a split, and the larger child's
 * histogram (parent minus smaller child) carries no rounding error.
 *
 * Sparse rows.  When most cells hold their feature's most frequent bin (the
 * 0 of one-hot columns, say), every row's pass adds to the same few slots,
 * and those read-modify-writes on one address serialise.  Then each row
 * keeps only its other (feature, bin) entries, the pass adds those and the
 * node's total, and each feature's most frequent bin is recovered as the
 * total minus the feature's other bins — exact, because the sums are
 * integers.  Chosen once per training, when at most half the cells differ
 * from their feature's most frequent bin; the trees are identical either
 * way.
 */
#include "models/gbdt/learner.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { HSTRIDE = 256, PARALLEL_MIN_ROWS = 4096, CHUNK_ROWS = 4096 };

typedef struct hbin {
    int64_t g, h;
} hbin;

typedef struct split {
    double gain; /* -INFINITY: no valid split */
    int feature;
    int threshold; /* numeric: bins 1..threshold go left */
    bool categorical, default_left;
    uint32_t catset[8]; /* categorical: bins that go left */
    int64_t lg, lh;     /* left sums, quantised */
    double left_out, right_out;
} split;

typedef struct leaf_state {
    size_t begin, end;
    int64_t g, h;
    int depth;
    gpair *hist;
    split best;
    double lo, hi; /* output bounds from monotone constraints */
    int parent, side;
} leaf_state;

typedef struct bnode {
    int feature, threshold;
    bool categorical, default_left;
    uint32_t catset[8];
    int child[2]; /* >= 0: node; < 0: ~leaf */
} bnode;

struct learner {
    const binned *data;
    const bin_mapper *mappers;
    tree_params p;
    size_t nf, n;
    uint32_t *idx, *scratch;
    uint8_t *goes_left;
    leaf_state *leaves;
    size_t nleaves;
    bnode *nodes;
    size_t nnodes;
    gpair **hist_free;
    size_t nhist_free, nhist_all;
    gpair **hist_all;
    gpair *thread_hists;
    int nthreads;
    const gpair *g;
    double gscale, hscale;
    const uint8_t *tree_mask;
    uint8_t *node_mask;
    split *feature_best;
    bool sparse;        /* rows as their non-default entries (see the top comment) */
    uint8_t *dflt;      /* per feature: its most frequent bin */
    uint64_t *row_ptr;  /* n + 1: row r's entries are [row_ptr[r], row_ptr[r + 1]) */
    uint32_t *ent_feat; /* entries: feature, */
    uint8_t *ent_bin;   /* and bin */
    double *leaf_values;
    double *split_gain;
    uint64_t *split_count;
    ml_rng *rng;
};

/* Slots of a histogram: HSTRIDE per feature, and in sparse mode one more
 * for the node's total. */
static size_t hist_slots(const learner *L)
{
    return L->nf * HSTRIDE + (L->sparse ? 1 : 0);
}

/* Decides the row layout and builds the sparse rows when they pay. */
static int prepare_rows(learner *L)
{
    size_t n = L->n, nf = L->nf;
    if (n == 0 || nf < 2)
        return ML_OK;
    uint64_t *count = calloc(HSTRIDE, sizeof *count);
    if (!(L->dflt = malloc(nf)) || !count) {
        free(count);
        return ML_ENOMEM;
    }
    const uint8_t *by_col = L->data->by_col;
    uint64_t others = 0;
    for (size_t f = 0; f < nf; f++) {
        memset(count, 0, HSTRIDE * sizeof *count);
        const uint8_t *col = by_col + f * n;
        for (size_t r = 0; r < n; r++)
            count[col[r]]++;
        int best = 0;
        for (int b = 1; b < HSTRIDE; b++)
            if (count[b] > count[best])
                best = b;
        L->dflt[f] = (uint8_t)best;
        others += n - count[best];
    }
    free(count);
    if (others > (uint64_t)n * nf / 2)
        return ML_OK; /* dense enough: the plain pass is faster */
    L->row_ptr = malloc((n + 1) * sizeof *L->row_ptr);
    L->ent_feat = malloc((others ? others : 1) * sizeof *L->ent_feat);
    L->ent_bin = malloc(others ? others : 1);
    if (!L->row_ptr || !L->ent_feat || !L->ent_bin)
        return ML_ENOMEM;
    const uint8_t *bins = L->data->bins;
    uint64_t k = 0;
    for (size_t r = 0; r < n; r++) {
        L->row_ptr[r] = k;
        const uint8_t *row = bins + r * nf;
        for (size_t f = 0; f < nf; f++)
            if (row[f] != L->dflt[f]) {
                L->ent_feat[k] = (uint32_t)f;
                L->ent_bin[k++] = row[f];
            }
    }
    L->row_ptr[n] = k;
    L->sparse = true;
    return ML_OK;
}

void learner_free(learner *L)
{
    if (!L)
        return;
    for (size_t i = 0; i < L->nhist_all; i++)
        free(L->hist_all[i]);
    free(L->hist_all);
    free(L->hist_free);
    free(L->thread_hists);
    free(L->idx);
    free(L->scratch);
    free(L->goes_left);
    free(L->leaves);
    free(L->nodes);
    free(L->node_mask);
    free(L->feature_best);
    free(L->leaf_values);
    free(L->split_gain);
    free(L->split_count);
    free(L->dflt);
    free(L->row_ptr);
    free(L->ent_feat);
    free(L->ent_bin);
    free(L);
}

int learner_create(const binned *data, const bin_mapper *mappers, const tree_params *p,
                   learner **out, ml_error *err)
{
    *out = NULL;
    learner *L = calloc(1, sizeof *L);
    if (!L)
        return ml_err(err, ML_ENOMEM, "out of memory creating the tree learner");
    L->data = data;
    L->mappers = mappers;
    L->p = *p;
    L->nf = data->nfeatures;
    L->n = data->nrows;
    L->nthreads = omp_get_max_threads();
    size_t nl = (size_t)p->num_leaves, n = data->nrows ? data->nrows : 1, nf = L->nf;
    L->idx = malloc(n * sizeof *L->idx);
    L->scratch = malloc(n * sizeof *L->scratch);
    L->goes_left = malloc(n);
    L->leaves = calloc(nl, sizeof *L->leaves);
    L->nodes = calloc(nl, sizeof *L->nodes);
    L->hist_all = calloc(nl + 1, sizeof *L->hist_all);
    L->hist_free = calloc(nl + 1, sizeof *L->hist_free);
    L->node_mask = malloc(nf);
    L->feature_best = calloc(nf, sizeof *L->feature_best);
    L->leaf_values = calloc(nl, sizeof *L->leaf_values);
    L->split_gain = calloc(nf, sizeof *L->split_gain);
    L->split_count = calloc(nf, sizeof *L->split_count);
    if (prepare_rows(L) != ML_OK) {
        learner_free(L);
        return ml_err(err, ML_ENOMEM, "out of memory creating the tree learner");
    }
    if (L->nthreads > 1)
        L->thread_hists = malloc((size_t)(L->nthreads - 1) * hist_slots(L) * sizeof(gpair));
    if (!L->idx || !L->scratch || !L->goes_left || !L->leaves || !L->nodes || !L->hist_all ||
        !L->hist_free || !L->node_mask || !L->feature_best || !L->leaf_values || !L->split_gain ||
        !L->split_count || (L->nthreads > 1 && !L->thread_hists)) {
        learner_free(L);
        return ml_err(err, ML_ENOMEM, "out of memory creating the tree learner");
    }
    *out = L;
    return ML_OK;
}

static gpair *hist_take(learner *L)
{
    if (L->nhist_free)
        return L->hist_free[--L->nhist_free];
    gpair *h = malloc(hist_slots(L) * sizeof *h);
    if (h)
        L->hist_all[L->nhist_all++] = h;
    return h;
}

static void hist_give(learner *L, gpair *h)
{
    if (h)
        L->hist_free[L->nhist_free++] = h;
}

/* Adds rows [b, e) of idx (or the rows b..e themselves when idx is NULL). */
void learner_levels(size_t nrows, double *g_levels, double *h_levels)
{
    int bits = 0;
    while (bits < 40 && ((size_t)1 << bits) <= nrows)
        bits++;
    /* Sums of up to nrows values below 2^(30-bits) stay below 2^30 in
     * magnitude (g, signed half) and 2^31 (h, unsigned half). */
    int b = bits < 22 ? 30 - bits : 8;
    *g_levels = (double)((int64_t)1 << b) - 1;
    *h_levels = (double)((int64_t)1 << (b + 1)) - 1;
}

static void unpack(const gpair *packed, int n, hbin *out)
{
    for (int b = 0; b < n; b++) {
        out[b].h = (int64_t)(uint32_t)packed[b];
        out[b].g = (packed[b] - out[b].h) / 4294967296LL;
    }
}

/* Adds rows [b, e) of idx (or the rows b..e themselves when idx is NULL). */
static void accumulate(const learner *L, const uint32_t *idx, size_t b, size_t e, gpair *h)
{
    const size_t nf = L->nf;
    const uint8_t *bins = L->data->bins;
    const gpair *g = L->g;
    for (size_t i = b; i < e; i++) {
        uint32_t r = idx ? idx[i] : (uint32_t)i;
        if (idx && i + 16 < e) {
            __builtin_prefetch(bins + (size_t)idx[i + 16] * nf);
            __builtin_prefetch(g + idx[i + 16]);
        }
        const uint8_t *row = bins + (size_t)r * nf;
        const gpair v = g[r];
        gpair *hp = h;
        size_t f = 0;
        for (; f + 4 <= nf; f += 4, hp += 4 * HSTRIDE) {
            hp[row[f]] += v;
            hp[HSTRIDE + row[f + 1]] += v;
            hp[2 * HSTRIDE + row[f + 2]] += v;
            hp[3 * HSTRIDE + row[f + 3]] += v;
        }
        for (; f < nf; f++, hp += HSTRIDE)
            hp[row[f]] += v;
    }
}

/* The sparse pass: each row's non-default entries, and the node's total in
 * the last slot. */
static void accumulate_sparse(const learner *L, const uint32_t *idx, size_t b, size_t e, gpair *h)
{
    const uint64_t *rp = L->row_ptr;
    const uint32_t *ef = L->ent_feat;
    const uint8_t *eb = L->ent_bin;
    const gpair *g = L->g;
    gpair total = 0;
    for (size_t i = b; i < e; i++) {
        uint32_t r = idx ? idx[i] : (uint32_t)i;
        const gpair v = g[r];
        total += v;
        for (uint64_t k = rp[r], end = rp[r + 1]; k < end; k++)
            h[(size_t)ef[k] * HSTRIDE + eb[k]] += v;
    }
    h[L->nf * HSTRIDE] += total;
}

/* Sparse mode: each feature's most frequent bin is the node's total minus
 * its other bins (integer sums: exact). */
static void restore_defaults(const learner *L, gpair *h)
{
    const gpair total = h[L->nf * HSTRIDE];
    for (size_t f = 0; f < L->nf; f++) {
        gpair *hf = h + f * HSTRIDE, others = 0;
        int nb = L->mappers[f].nbins, d = L->dflt[f]; /* bins 0 (missing) .. nbins */
        for (int bin = 0; bin <= nb; bin++)
            if (bin != d)
                others += hf[bin];
        hf[d] = total - others;
    }
}

static void accumulate_rows(const learner *L, const uint32_t *idx, size_t b, size_t e, gpair *h)
{
    if (L->sparse)
        accumulate_sparse(L, idx, b, e, h);
    else
        accumulate(L, idx, b, e, h);
}

static void build_hist(learner *L, const uint32_t *idx, size_t b, size_t e, gpair *out)
{
    size_t slots = hist_slots(L), n = e - b;
    int T = L->nthreads;
    if (n < PARALLEL_MIN_ROWS || T == 1) {
        memset(out, 0, slots * sizeof *out);
        accumulate_rows(L, idx, b, e, out);
        if (L->sparse)
            restore_defaults(L, out);
        return;
    }
    if ((size_t)T > n / (PARALLEL_MIN_ROWS / 2))
        T = (int)(n / (PARALLEL_MIN_ROWS / 2));
#pragma omp parallel num_threads(T)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        gpair *h = t == 0 ? out : L->thread_hists + (size_t)(t - 1) * slots;
        memset(h, 0, slots * sizeof *h);
        size_t cb = b + n * (size_t)t / (size_t)nt, ce = b + n * (size_t)(t + 1) / (size_t)nt;
        accumulate_rows(L, idx, cb, ce, h);
#pragma omp barrier
#pragma omp for schedule(static)
        for (size_t s = 0; s < slots; s++)
            for (int k = 1; k < nt; k++)
                out[s] += L->thread_hists[(size_t)(k - 1) * slots + s];
    }
    if (L->sparse)
        restore_defaults(L, out);
}

/* ---- split evaluation ------------------------------------------------- */
static double threshold_l1(double g, double l1)
{
    if (g > l1)
        return g - l1;
    if (g < -l1)
        return g + l1;
    return 0;
}

static double leaf_output(const tree_params *p, double g, double h, double lo, double hi)
{
    double w = -threshold_l1(g, p->lambda_l1) / (h + p->lambda_l2);
    if (p->max_delta_step > 0 && fabs(w) > p->max_delta_step)
        w = copysign(p->max_delta_step, w);
    if (w < lo)
        w = lo;
    if (w > hi)
        w = hi;
    return w;
}

/* Loss reduction of a leaf with output w (twice the second-order gain). */
static double leaf_gain(const tree_params *p, double g, double h, double w)
{
    return -(2 * threshold_l1(g, p->lambda_l1) * w + (h + p->lambda_l2) * w * w);
}

typedef struct eval_ctx {
    const learner *L;
    const tree_params *p; /* the learner's, or a copy with cat_l2 added */
    const leaf_state *leaf;
    double parent_gain, cnt_factor;
    int monotone;
} eval_ctx;

/* Evaluates left sums (lg, lh); updates best when better. */
static void consider(const eval_ctx *c, int64_t lg, int64_t lh, split *best, int feature,
                     int threshold, bool default_left, const uint32_t *catset)
{
    const learner *L = c->L;
    const tree_params *p = c->p;
    int64_t rg = c->leaf->g - lg, rh = c->leaf->h - lh;
    double glr = (double)lg * L->gscale, hlr = (double)lh * L->hscale;
    double grr = (double)rg * L->gscale, hrr = (double)rh * L->hscale;
    if (hlr < p->min_sum_hessian_in_leaf || hrr < p->min_sum_hessian_in_leaf)
        return;
    if ((double)lh * c->cnt_factor < p->min_data_in_leaf ||
        (double)rh * c->cnt_factor < p->min_data_in_leaf)
        return;
    double wl = leaf_output(p, glr, hlr, c->leaf->lo, c->leaf->hi);
    double wr = leaf_output(p, grr, hrr, c->leaf->lo, c->leaf->hi);
    if ((c->monotone > 0 && wl > wr) || (c->monotone < 0 && wl < wr))
        return;
    double gain = leaf_gain(p, glr, hlr, wl) + leaf_gain(p, grr, hrr, wr) - c->parent_gain;
    if (!(gain > best->gain))
        return;
    best->gain = gain;
    best->feature = feature;
    best->threshold = threshold;
    best->default_left = default_left;
    best->categorical = catset != NULL;
    if (catset)
        memcpy(best->catset, catset, sizeof best->catset);
    best->lg = lg;
    best->lh = lh;
    best->left_out = wl;
    best->right_out = wr;
}

static void best_numeric(const eval_ctx *c, int f, const hbin *h, split *best)
{
    int nb = c->L->mappers[f].nbins;
    const hbin miss = h[0];
    int64_t ag = 0, ah = 0;
    for (int t = 1; t < nb; t++) {
        ag += h[t].g;
        ah += h[t].h;
        if (h[t].h == 0 && t > 1)
            continue; /* same partition as t - 1 */
        consider(c, ag, ah, best, f, t, false, NULL);
        if (miss.h != 0)
            consider(c, ag + miss.g, ah + miss.h, best, f, t, true, NULL);
    }
}

typedef struct cat_stat {
    double ratio;
    int bin;
} cat_stat;

static int compare_cat_stats(const void *a, const void *b)
{
    const cat_stat *x = a, *y = b;
    if (x->ratio != y->ratio)
        return x->ratio < y->ratio ? -1 : 1;
    return x->bin - y->bin;
}

static void best_categorical(const eval_ctx *c, int f, const hbin *h, split *best)
{
    const learner *L = c->L;
    const tree_params *p = &L->p;
    int nb = L->mappers[f].nbins;
    const hbin miss = h[0];
    uint32_t set[8];
    if (nb <= p->max_cat_to_onehot) {
        for (int b = 1; b <= nb; b++) {
            if (h[b].h == 0)
                continue;
            memset(set, 0, sizeof set);
            set[b >> 5] |= 1u << (b & 31);
            consider(c, h[b].g, h[b].h, best, f, 0, false, set);
            if (miss.h != 0)
                consider(c, h[b].g + miss.g, h[b].h + miss.h, best, f, 0, true, set);
        }
        return;
    }
    /* Sorting categories by gradient ratio overfits small groups: LightGBM's
     * guards (min_data_per_group, cat_l2) keep it honest. */
    tree_params regularised = *p;
    regularised.lambda_l2 += p->cat_l2;
    eval_ctx rc = *c;
    rc.p = &regularised;
    double g0 = (double)c->leaf->g * L->gscale, h0 = (double)c->leaf->h * L->hscale;
    rc.parent_gain = leaf_gain(&regularised, g0, h0,
                               leaf_output(&regularised, g0, h0, c->leaf->lo, c->leaf->hi));
    c = &rc;
    cat_stat stats[BINS_MAX + 1];
    int ns = 0;
    for (int b = 1; b <= nb; b++) {
        if (h[b].h == 0 || (double)h[b].h * c->cnt_factor < p->min_data_per_group)
            continue;
        double gr = (double)h[b].g * L->gscale, hr = (double)h[b].h * L->hscale;
        stats[ns].ratio = gr / (hr + p->cat_smooth);
        stats[ns++].bin = b;
    }
    qsort(stats, (size_t)ns, sizeof *stats, compare_cat_stats);
    int limit = ns - 1 < p->max_cat_threshold ? ns - 1 : p->max_cat_threshold;
    for (int dir = 0; dir < 2; dir++) {
        memset(set, 0, sizeof set);
        int64_t ag = 0, ah = 0;
        for (int i = 0; i < limit; i++) {
            int b = stats[dir == 0 ? i : ns - 1 - i].bin;
            set[b >> 5] |= 1u << (b & 31);
            ag += h[b].g;
            ah += h[b].h;
            consider(c, ag, ah, best, f, 0, false, set);
            if (miss.h != 0)
                consider(c, ag + miss.g, ah + miss.h, best, f, 0, true, set);
        }
    }
}

static void find_best_split(learner *L, leaf_state *leaf)
{
    leaf->best.gain = -INFINITY;
    const tree_params *p = &L->p;
    size_t n = leaf->end - leaf->begin;
    if ((p->max_depth > 0 && leaf->depth >= p->max_depth) || n < 2 * (size_t)p->min_data_in_leaf ||
        n < 2 || leaf->h <= 0)
        return;
    double g = (double)leaf->g * L->gscale, h = (double)leaf->h * L->hscale;
    if (h < 2 * p->min_sum_hessian_in_leaf)
        return;
    eval_ctx base = {.L = L, .p = p, .leaf = leaf, .cnt_factor = (double)n / (double)leaf->h};
    base.parent_gain = leaf_gain(p, g, h, leaf_output(p, g, h, leaf->lo, leaf->hi));
    /* Per-node feature sampling draws from the tree's features in order. */
    memset(L->node_mask, 1, L->nf);
    if (L->tree_mask)
        memcpy(L->node_mask, L->tree_mask, L->nf);
    if (p->feature_fraction_bynode < 1.0) {
        for (size_t f = 0; f < L->nf; f++)
            if (L->node_mask[f] && ml_rng_uniform(L->rng) >= p->feature_fraction_bynode)
                L->node_mask[f] = 0;
    }
    int nf = (int)L->nf;
    /* Split search costs the same for any leaf size (features x bins), so
     * it is always worth sharing out. */
#pragma omp parallel for schedule(dynamic, 1) if (nf >= 4)
    for (int f = 0; f < nf; f++) {
        split *best = &L->feature_best[f];
        best->gain = -INFINITY;
        if (!L->node_mask[f] || L->mappers[f].nbins < 2)
            continue;
        eval_ctx c = base;
        c.monotone = p->monotone ? p->monotone[f] : 0;
        hbin hist[HSTRIDE];
        unpack(leaf->hist + (size_t)f * HSTRIDE, L->mappers[f].nbins + 1, hist);
        if (L->mappers[f].categorical)
            best_categorical(&c, f, hist, best);
        else
            best_numeric(&c, f, hist, best);
    }
    for (int f = 0; f < nf; f++)
        if (L->feature_best[f].gain > leaf->best.gain)
            leaf->best = L->feature_best[f];
    if (leaf->best.gain <= p->min_gain_to_split)
        leaf->best.gain = -INFINITY;
}

static bool split_goes_left(const split *s, uint8_t bin)
{
    if (bin == 0)
        return s->default_left;
    if (s->categorical)
        return (s->catset[bin >> 5] >> (bin & 31)) & 1u;
    return bin <= s->threshold;
}

/* Stable partition of idx[begin, end) by the split; returns the left count. */
static size_t partition(learner *L, const leaf_state *leaf)
{
    const split *s = &leaf->best;
    const size_t f = (size_t)s->feature;
    const uint8_t *bins = L->data->by_col + f * L->n;
    size_t b = leaf->begin, n = leaf->end - leaf->begin;
    uint32_t *idx = L->idx + b;
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = v <= L->mappers[f].nbins ? split_goes_left(s, (uint8_t)v) : 0;
    size_t nchunks = (n + CHUNK_ROWS - 1) / CHUNK_ROWS;
    size_t counts[1024];
    if (nchunks > 1024 || n < PARALLEL_MIN_ROWS) {
        /* Branch-free: which side a row goes is a coin toss to the
         * predictor, so pick the destination with a conditional move. */
        size_t nl = 0, nr = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t r = idx[i];
            uint8_t gl = lut[bins[r]];
            uint32_t *dst = gl ? &idx[nl] : &L->scratch[nr];
            *dst = r;
            nl += gl;
            nr += (size_t)(gl ^ 1);
        }
        memcpy(idx + nl, L->scratch, nr * sizeof *idx);
        return nl;
    }
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < nchunks; c++) {
        size_t e = (c + 1) * CHUNK_ROWS < n ? (c + 1) * CHUNK_ROWS : n, cnt = 0;
        for (size_t i = c * CHUNK_ROWS; i < e; i++) {
            uint8_t gl = lut[bins[idx[i]]];
            L->goes_left[b + i] = gl;
            cnt += gl;
        }
        counts[c] = cnt;
    }
    size_t total_left = 0;
    for (size_t c = 0; c < nchunks; c++)
        total_left += counts[c];
    size_t left_off[1024], right_off[1024], lo = 0, ro = total_left;
    for (size_t c = 0; c < nchunks; c++) {
        left_off[c] = lo;
        right_off[c] = ro;
        size_t len = ((c + 1) * CHUNK_ROWS < n ? CHUNK_ROWS : n - c * CHUNK_ROWS);
        lo += counts[c];
        ro += len - counts[c];
    }
    uint32_t *out = L->scratch + b;
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < nchunks; c++) {
        size_t e = (c + 1) * CHUNK_ROWS < n ? (c + 1) * CHUNK_ROWS : n;
        size_t l = left_off[c], r = right_off[c];
        for (size_t i = c * CHUNK_ROWS; i < e; i++) {
            uint8_t gl = L->goes_left[b + i];
            out[gl ? l : r] = idx[i];
            l += gl;
            r += (size_t)(gl ^ 1);
        }
    }
    memcpy(idx, out, n * sizeof *idx);
    return total_left;
}

static void child_bounds(const leaf_state *parent, int monotone, leaf_state *left,
                         leaf_state *right)
{
    left->lo = right->lo = parent->lo;
    left->hi = right->hi = parent->hi;
    if (monotone == 0)
        return;
    double mid = (parent->best.left_out + parent->best.right_out) / 2;
    if (monotone > 0) {
        left->hi = mid < left->hi ? mid : left->hi;
        right->lo = mid > right->lo ? mid : right->lo;
    } else {
        left->lo = mid > left->lo ? mid : left->lo;
        right->hi = mid < right->hi ? mid : right->hi;
    }
}

static int split_leaf(learner *L, size_t li, ml_error *err)
{
    leaf_state *parent = &L->leaves[li];
    split s = parent->best;
    size_t nleft = partition(L, parent);
    size_t ri = L->nleaves++;
    leaf_state *left = &L->leaves[li], *right = &L->leaves[ri];
    leaf_state old = *parent;

    bnode *node = &L->nodes[L->nnodes];
    int ni = (int)L->nnodes++;
    memset(node, 0, sizeof *node);
    node->feature = s.feature;
    node->threshold = s.threshold;
    node->categorical = s.categorical;
    node->default_left = s.default_left;
    memcpy(node->catset, s.catset, sizeof node->catset);
    node->child[0] = ~(int)li;
    node->child[1] = ~(int)ri;
    if (old.parent >= 0)
        L->nodes[old.parent].child[old.side] = ni;
    L->split_gain[s.feature] += s.gain;
    L->split_count[s.feature]++;

    memset(right, 0, sizeof *right);
    left->begin = old.begin;
    left->end = old.begin + nleft;
    right->begin = left->end;
    right->end = old.end;
    left->g = s.lg;
    left->h = s.lh;
    right->g = old.g - s.lg;
    right->h = old.h - s.lh;
    left->depth = right->depth = old.depth + 1;
    left->parent = right->parent = ni;
    left->side = 0;
    right->side = 1;
    child_bounds(&old, L->p.monotone ? L->p.monotone[s.feature] : 0, left, right);

    /* Build the smaller child's histogram, derive the larger one's. */
    bool left_smaller = nleft <= old.end - old.begin - nleft;
    leaf_state *small = left_smaller ? left : right, *large = left_smaller ? right : left;
    gpair *fresh = hist_take(L);
    if (!fresh)
        return ml_err(err, ML_ENOMEM, "out of memory for histograms");
    large->hist = old.hist;
    small->hist = fresh;
    build_hist(L, L->idx, small->begin, small->end, small->hist);
    size_t slots = hist_slots(L);
    for (size_t k = 0; k < slots; k++)
        large->hist[k] -= small->hist[k];
    find_best_split(L, left);
    find_best_split(L, right);
    for (int side = 0; side < 2; side++) {
        leaf_state *child = side ? right : left;
        if (child->best.gain == -INFINITY) {
            hist_give(L, child->hist);
            child->hist = NULL;
        }
    }
    return ML_OK;
}

int learner_grow(learner *L, const gpair *g, double gscale, double hscale, const uint32_t *rows,
                 size_t nrows, const uint8_t *feature_mask, ml_rng *rng, ml_error *err)
{
    L->g = g;
    L->gscale = gscale;
    L->hscale = hscale;
    L->tree_mask = feature_mask;
    L->rng = rng;
    L->nleaves = 1;
    L->nnodes = 0;
    for (size_t i = 0; i < L->nhist_all; i++)
        L->hist_free[i] = L->hist_all[i];
    L->nhist_free = L->nhist_all;
    size_t n = rows ? nrows : L->n;
    if (rows)
        memcpy(L->idx, rows, n * sizeof *rows);
    else
        for (size_t i = 0; i < n; i++)
            L->idx[i] = (uint32_t)i;
    leaf_state *root = &L->leaves[0];
    memset(root, 0, sizeof *root);
    root->end = n;
    root->parent = -1;
    root->lo = -INFINITY;
    root->hi = INFINITY;
    if (!(root->hist = hist_take(L)))
        return ml_err(err, ML_ENOMEM, "out of memory for histograms");
    build_hist(L, rows ? L->idx : NULL, 0, n, root->hist);
    /* Leaf totals from any one feature's histogram (every row is in one bin). */
    hbin first[HSTRIDE];
    unpack(root->hist, HSTRIDE, first);
    for (int b = 0; b < HSTRIDE; b++) {
        root->g += first[b].g;
        root->h += first[b].h;
    }
    find_best_split(L, root);
    while (L->nleaves < (size_t)L->p.num_leaves) {
        size_t best = SIZE_MAX;
        double best_gain = -INFINITY;
        for (size_t l = 0; l < L->nleaves; l++)
            if (L->leaves[l].best.gain > best_gain) {
                best_gain = L->leaves[l].best.gain;
                best = l;
            }
        if (best == SIZE_MAX)
            break;
        int rc = split_leaf(L, best, err);
        if (rc)
            return rc;
    }
    for (size_t l = 0; l < L->nleaves; l++) {
        const leaf_state *leaf = &L->leaves[l];
        L->leaf_values[l] = leaf_output(&L->p, (double)leaf->g * gscale, (double)leaf->h * hscale,
                                        leaf->lo, leaf->hi);
    }
    return ML_OK;
}

void learner_refit_exact(learner *L, const double *g, const double *h)
{
    /* One leaf per task: each leaf's sum keeps its row order. */
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t l = 0; l < L->nleaves; l++) {
        const leaf_state *leaf = &L->leaves[l];
        double sg = 0, sh = 0;
        for (size_t i = leaf->begin; i < leaf->end; i++) {
            sg += g[L->idx[i]];
            sh += h[L->idx[i]];
        }
        L->leaf_values[l] = leaf_output(&L->p, sg, sh, leaf->lo, leaf->hi);
    }
}

size_t learner_num_leaves(const learner *L)
{
    return L->nleaves;
}

const uint32_t *learner_rows(const learner *L)
{
    return L->idx;
}

void learner_leaf_range(const learner *L, size_t leaf, size_t *begin, size_t *end)
{
    *begin = L->leaves[leaf].begin;
    *end = L->leaves[leaf].end;
}

double *learner_leaf_values(learner *L)
{
    return L->leaf_values;
}

const double *learner_split_gain(const learner *L)
{
    return L->split_gain;
}

const uint64_t *learner_split_count(const learner *L)
{
    return L->split_count;
}

/* Lays the tree out breadth first so that every node's children are
 * adjacent (right = left + 1). */
int learner_emit(const learner *L, ens_ensemble *e, ml_error *err)
{
    size_t total = 2 * L->nleaves - 1, ncat = 0;
    for (size_t i = 0; i < L->nnodes; i++)
        ncat += L->nodes[i].categorical;
    size_t first, first_bitset;
    int rc = ens_add_tree(e, total, ncat, &first, &first_bitset, err);
    if (rc)
        return rc;
    int queue[2 * 4096 + 1];
    int *q = total <= sizeof queue / sizeof queue[0] ? queue : malloc(total * sizeof *q);
    if (!q)
        return ml_err(err, ML_ENOMEM, "out of memory laying out a tree");
    q[0] = L->nnodes ? 0 : ~0;
    size_t next = 1, bitset = first_bitset;
    for (size_t pos = 0; pos < total; pos++) {
        int ref = q[pos];
        ens_node *out = &e->nodes[first + pos];
        if (ref < 0) {
            out->u.value = L->leaf_values[~ref];
            out->info = ENS_LEAF;
            out->left = 0;
            continue;
        }
        const bnode *b = &L->nodes[ref];
        out->info = (uint32_t)b->feature | (b->default_left ? ENS_DEFAULT_LEFT : 0);
        if (b->categorical) {
            out->info |= ENS_CATEGORICAL;
            out->u.bitset = bitset;
            memcpy(e->bitsets + bitset * 8, b->catset, sizeof b->catset);
            bitset++;
        } else {
            out->u.threshold = L->mappers[b->feature].upper[b->threshold - 1];
        }
        out->left = (uint32_t)(first + next);
        q[next++] = b->child[0];
        q[next++] = b->child[1];
    }
    if (q != queue)
        free(q);
    return ML_OK;
}
