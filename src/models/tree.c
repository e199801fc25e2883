/*
 * tree.c — storage, inference and serialization of flattened tree
 * ensembles (see tree.h).
 *
 * Inference walks rows in blocks: for each block, every tree is applied to
 * every row of the block before the next tree, so a tree's nodes stay in
 * cache while the block's rows (a few KiB) do too.  Each row still adds its
 * trees in order, so the sums match the one-row path bit for bit.
 */
#include "models/tree.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum {
    ENS_MAX_OUTPUTS = 1 << 16,
    ENS_MAX_TREES = 1 << 24,
    ENS_MAX_NODES = 1 << 30,
    ENS_BLOCK_ROWS = 64,
    ENS_PARALLEL_MIN_ROWS = 1024,
    GROUP = 4, /* trees walked side by side; walk_group names four chains */
};

int ens_create(size_t nfeatures, size_t noutputs, ens_ensemble **out, ml_error *err)
{
    ens_ensemble *e = calloc(1, sizeof *e);
    if (!e || !(e->base = calloc(noutputs ? noutputs : 1, sizeof *e->base)) ||
        !(e->features = calloc(nfeatures ? nfeatures : 1, sizeof *e->features))) {
        ens_free(e);
        *out = NULL;
        return ml_err(err, ML_ENOMEM, "out of memory creating a tree ensemble");
    }
    e->nfeatures = nfeatures;
    e->noutputs = noutputs;
    *out = e;
    return ML_OK;
}

void ens_free(ens_ensemble *e)
{
    if (!e)
        return;
    if (e->features)
        for (size_t j = 0; j < e->nfeatures; j++)
            free(e->features[j].code_bin);
    free(e->features);
    free(e->base);
    free(e->tree_root);
    free(e->nodes);
    free(e->bitsets);
    free(e->fast);
    free(e->leaf_value);
    free(e->tree_categorical);
    free(e);
}

int ens_set_feature_bins(ens_ensemble *e, size_t feature, const uint8_t *code_bin, size_t ncodes,
                         ml_error *err)
{
    ens_feature_bins *fb = &e->features[feature];
    uint8_t *copy = malloc(ncodes ? ncodes : 1);
    if (!copy)
        return ml_err(err, ML_ENOMEM, "out of memory storing category bins");
    if (ncodes)
        memcpy(copy, code_bin, ncodes);
    free(fb->code_bin);
    fb->code_bin = copy;
    fb->ncodes = (uint32_t)ncodes;
    fb->categorical = true;
    return ML_OK;
}

static int grow(void **p, size_t count, size_t elem, ml_error *err)
{
    void *grown = realloc(*p, (count ? count : 1) * elem);
    if (!grown)
        return ml_err(err, ML_ENOMEM, "out of memory growing a tree ensemble");
    *p = grown;
    return ML_OK;
}

int ens_add_tree(ens_ensemble *e, size_t nnodes, size_t nbitsets, size_t *first,
                 size_t *first_bitset, ml_error *err)
{
    if (e->ntrees >= ENS_MAX_TREES || e->nnodes + nnodes > ENS_MAX_NODES)
        return ml_err(err, ML_ELIMIT, "the ensemble would exceed %d trees or %d nodes",
                      ENS_MAX_TREES, ENS_MAX_NODES);
    int rc;
    if ((rc = grow((void **)&e->tree_root, e->ntrees + 1, sizeof *e->tree_root, err)) ||
        (rc = grow((void **)&e->nodes, e->nnodes + nnodes, sizeof *e->nodes, err)) ||
        (rc = grow((void **)&e->bitsets, (e->nbitsets + nbitsets) * 8, sizeof *e->bitsets, err)))
        return rc;
    *first = e->nnodes;
    *first_bitset = e->nbitsets;
    e->tree_root[e->ntrees++] = (uint32_t)e->nnodes;
    memset(e->nodes + e->nnodes, 0, nnodes * sizeof *e->nodes);
    memset(e->bitsets + e->nbitsets * 8, 0, nbitsets * 8 * sizeof *e->bitsets);
    e->nnodes += nnodes;
    e->nbitsets += nbitsets;
    return ML_OK;
}

void ens_truncate(ens_ensemble *e, size_t ntrees)
{
    if (ntrees >= e->ntrees)
        return;
    e->ntrees = ntrees;
    /* Trees are stored in order, so everything from the first dropped
     * tree's root on belongs to dropped trees. */
    size_t end_nodes = ntrees ? e->tree_root[ntrees] : 0, end_bitsets = 0;
    for (size_t i = 0; i < end_nodes; i++)
        if ((e->nodes[i].info & (ENS_CATEGORICAL | ENS_LEAF)) == ENS_CATEGORICAL &&
            e->nodes[i].u.bitset + 1 > end_bitsets)
            end_bitsets = e->nodes[i].u.bitset + 1;
    e->nnodes = end_nodes;
    e->nbitsets = end_bitsets;
}

int ens_prepare(ens_ensemble *e, ml_error *err)
{
    free(e->fast);
    free(e->leaf_value);
    free(e->tree_categorical);
    size_t nn = e->nnodes ? e->nnodes : 1, nt = e->ntrees ? e->ntrees : 1;
    e->fast = malloc(nn * sizeof *e->fast);
    e->leaf_value = malloc(nn * sizeof *e->leaf_value);
    e->tree_categorical = calloc(nt, 1);
    if (!e->fast || !e->leaf_value || !e->tree_categorical)
        return ml_err(err, ML_ENOMEM, "out of memory preparing trees");
    for (size_t t = 0; t < e->ntrees; t++) {
        size_t end = t + 1 < e->ntrees ? e->tree_root[t + 1] : e->nnodes;
        for (size_t i = e->tree_root[t]; i < end; i++) {
            ens_node n = e->nodes[i];
            e->leaf_value[i] = 0;
            if (n.info & ENS_LEAF) {
                e->leaf_value[i] = n.u.value;
                n.u.threshold = INFINITY;
                n.info = ENS_LEAF | ENS_DEFAULT_LEFT;
                n.left = (uint32_t)i;
            } else if (n.info & ENS_CATEGORICAL) {
                e->tree_categorical[t] = 1;
            }
            e->fast[i] = n;
        }
    }
    e->lockstep_trees = 0;
    while (e->lockstep_trees + GROUP <= e->ntrees) {
        bool categorical = false;
        for (size_t g = 0; g < GROUP; g++)
            categorical |= e->tree_categorical[e->lockstep_trees + g];
        if (categorical)
            break;
        e->lockstep_trees += GROUP;
    }
    return ML_OK;
}

/* One step down a numeric node (or none from a leaf): NaN fails both
 * comparisons, so it goes left exactly when the node's default is left. */
static inline uint32_t fast_step(const ens_node *n, const double *row)
{
    double x = row[n->info & ENS_FEATURE_MASK], thr = n->u.threshold;
    uint32_t right = (n->info & ENS_DEFAULT_LEFT) ? (x > thr) : !(x <= thr);
    return n->left + right;
}

/* Adds trees [t, t + GROUP) for one row: named chains whose loads overlap
 * (the compiler keeps them in registers); a leaf steps to itself, so the
 * group runs until its deepest path ends.  Four chains measured faster than
 * eight on real trees: fewer steps are wasted waiting for the deepest path,
 * and nothing spills. */
static inline void walk_group(const ens_ensemble *e, size_t t, const double *row, double *out)
{
    const ens_node *fast = e->fast;
    const uint32_t *root = e->tree_root + t;
    uint32_t i0 = root[0], i1 = root[1], i2 = root[2], i3 = root[3];
    uint32_t done;
    do {
        const ens_node *n0 = &fast[i0], *n1 = &fast[i1], *n2 = &fast[i2], *n3 = &fast[i3];
        done = n0->info & n1->info & n2->info & n3->info;
        i0 = fast_step(n0, row);
        i1 = fast_step(n1, row);
        i2 = fast_step(n2, row);
        i3 = fast_step(n3, row);
    } while (!(done & ENS_LEAF));
    const uint32_t idx[GROUP] = {i0, i1, i2, i3};
    size_t K = e->noutputs;
    for (size_t g = 0; g < GROUP; g++)
        out[(t + g) % K] += e->leaf_value[idx[g]];
}

/* Adds trees [t, ntrees) for one row, one at a time. */
static void walk_rest(const ens_ensemble *e, size_t t, const double *row, double *out)
{
    const ens_node *fast = e->fast;
    size_t K = e->noutputs;
    for (; t < e->ntrees; t++) {
        if (e->tree_categorical[t]) {
            out[t % K] += ens_tree_value(e, t, row);
            continue;
        }
        uint32_t i = e->tree_root[t];
        while (!(fast[i].info & ENS_LEAF))
            i = fast_step(&fast[i], row);
        out[t % K] += e->leaf_value[i];
    }
}

/* A block of rows goes through each group of trees before the next group,
 * so the group's nodes stay in L1 while the block's rows pass; each row
 * still adds its trees in order (bit-identical to one row at a time). */
static void predict_block_rows(const ens_ensemble *e, const double *rows, size_t nrows, double *out)
{
    size_t K = e->noutputs, m = e->nfeatures;
    for (size_t r = 0; r < nrows; r++)
        for (size_t k = 0; k < K; k++)
            out[r * K + k] = e->base[k];
    for (size_t t = 0; t < e->lockstep_trees; t += GROUP)
        for (size_t r = 0; r < nrows; r++)
            walk_group(e, t, rows + r * m, out + r * K);
    for (size_t r = 0; r < nrows; r++)
        walk_rest(e, e->lockstep_trees, rows + r * m, out + r * K);
}

void ens_predict_rows(const ens_ensemble *e, const double *rows, size_t nrows, double *out)
{
    size_t m = e->nfeatures, K = e->noutputs;
    if (nrows < ENS_PARALLEL_MIN_ROWS) {
        for (size_t b = 0; b < nrows; b += ENS_BLOCK_ROWS) {
            size_t n = nrows - b < ENS_BLOCK_ROWS ? nrows - b : ENS_BLOCK_ROWS;
            predict_block_rows(e, rows + b * m, n, out + b * K);
        }
        return;
    }
    size_t nblocks = (nrows + ENS_BLOCK_ROWS - 1) / ENS_BLOCK_ROWS;
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t blk = 0; blk < nblocks; blk++) {
        size_t b = blk * ENS_BLOCK_ROWS;
        size_t n = nrows - b < ENS_BLOCK_ROWS ? nrows - b : ENS_BLOCK_ROWS;
        predict_block_rows(e, rows + b * m, n, out + b * K);
    }
}

static void predict_block_cols(const ens_ensemble *e, const double *const *cols, size_t begin,
                               size_t end, double *out)
{
    size_t K = e->noutputs;
    for (size_t r = begin; r < end; r++)
        for (size_t k = 0; k < K; k++)
            out[r * K + k] = e->base[k];
    for (size_t t = 0; t < e->ntrees; t++) {
        size_t k = t % K;
        for (size_t r = begin; r < end; r++)
            out[r * K + k] += ens_tree_value_cols(e, t, cols, r);
    }
}

void ens_predict_cols(const ens_ensemble *e, const double *const *cols, size_t nrows, double *out)
{
    size_t nblocks = (nrows + ENS_BLOCK_ROWS - 1) / ENS_BLOCK_ROWS;
#pragma omp parallel for schedule(dynamic, 16) if (nrows >= ENS_PARALLEL_MIN_ROWS)
    for (size_t blk = 0; blk < nblocks; blk++) {
        size_t b = blk * ENS_BLOCK_ROWS;
        size_t end = nrows - b < ENS_BLOCK_ROWS ? nrows : b + ENS_BLOCK_ROWS;
        predict_block_cols(e, cols, b, end, out);
    }
}

void ens_write(const ens_ensemble *e, ml_wbuf *w)
{
    wbuf_u64(w, e->nfeatures);
    wbuf_u64(w, e->noutputs);
    for (size_t k = 0; k < e->noutputs; k++)
        wbuf_f64(w, e->base[k]);
    for (size_t j = 0; j < e->nfeatures; j++) {
        const ens_feature_bins *fb = &e->features[j];
        wbuf_u8(w, fb->categorical);
        if (!fb->categorical)
            continue;
        wbuf_u64(w, fb->ncodes);
        wbuf_bytes(w, fb->code_bin, fb->ncodes);
    }
    wbuf_u64(w, e->ntrees);
    for (size_t t = 0; t < e->ntrees; t++)
        wbuf_u32(w, e->tree_root[t]);
    wbuf_u64(w, e->nnodes);
    for (size_t i = 0; i < e->nnodes; i++) {
        uint64_t bits;
        memcpy(&bits, &e->nodes[i].u, 8);
        wbuf_u64(w, bits);
        wbuf_u32(w, e->nodes[i].info);
        wbuf_u32(w, e->nodes[i].left);
    }
    wbuf_u64(w, e->nbitsets);
    for (size_t i = 0; i < e->nbitsets * 8; i++)
        wbuf_u32(w, e->bitsets[i]);
}

/* Every node of tree t lies in [root, end) and children point forward, so
 * traversal terminates and stays inside the tree. */
static int check_tree(const ens_ensemble *e, ml_rbuf *r, size_t t, ml_error *err)
{
    size_t root = e->tree_root[t];
    size_t end = t + 1 < e->ntrees ? e->tree_root[t + 1] : e->nnodes;
    if (root >= end || end > e->nnodes)
        return ml_err(err, ML_EFORMAT, "%s: tree %zu is empty, out of order or out of range",
                      r->what, t);
    for (size_t i = root; i < end; i++) {
        const ens_node *n = &e->nodes[i];
        if (n->info & ENS_LEAF) {
            if (!isfinite(n->u.value))
                return ml_err(err, ML_EFORMAT, "%s: tree %zu has a non-finite leaf value", r->what,
                              t);
            continue;
        }
        size_t f = n->info & ENS_FEATURE_MASK;
        if (f >= e->nfeatures)
            return ml_err(err, ML_EFORMAT, "%s: tree %zu node %zu uses feature %zu of %zu", r->what,
                          t, i - root, f, e->nfeatures);
        if (n->left <= i || (size_t)n->left + 1 >= end)
            return ml_err(err, ML_EFORMAT, "%s: tree %zu node %zu has an invalid child", r->what, t,
                          i - root);
        bool categorical = (n->info & ENS_CATEGORICAL) != 0;
        if (categorical != e->features[f].categorical)
            return ml_err(err, ML_EFORMAT,
                          "%s: tree %zu node %zu splits feature %zu the wrong "
                          "way",
                          r->what, t, i - root, f);
        if (categorical && n->u.bitset >= e->nbitsets)
            return ml_err(err, ML_EFORMAT, "%s: tree %zu node %zu has an invalid category set",
                          r->what, t, i - root);
        if (!categorical && isnan(n->u.threshold))
            return ml_err(err, ML_EFORMAT, "%s: tree %zu node %zu has a NaN threshold", r->what, t,
                          i - root);
    }
    return ML_OK;
}

int ens_read(ml_rbuf *r, size_t nfeatures, const bool *categorical_input, const size_t *ncategories,
             ens_ensemble **out, ml_error *err)
{
    *out = NULL;
    size_t nf, K, n;
    int rc;
    if ((rc = rbuf_count(r, SIZE_MAX, 0, &nf, "feature count", err)) ||
        (rc = rbuf_count(r, ENS_MAX_OUTPUTS, 8, &K, "output count", err)))
        return rc;
    if (nf != nfeatures || K == 0)
        return ml_err(err, ML_EFORMAT,
                      "%s: the trees expect %zu inputs and %zu outputs, the "
                      "schema has %zu inputs",
                      r->what, nf, K, nfeatures);
    ens_ensemble *e;
    if ((rc = ens_create(nf, K, &e, err)))
        return rc;
    for (size_t k = 0; k < K && !rc; k++)
        rc = rbuf_f64(r, &e->base[k], "base score", err);
    for (size_t j = 0; j < nf && !rc; j++) {
        uint8_t categorical;
        if ((rc = rbuf_u8(r, &categorical, "feature kind", err)))
            break;
        if (categorical != (categorical_input[j] ? 1 : 0)) {
            rc = ml_err(err, ML_EFORMAT, "%s: feature %zu kind does not match the schema", r->what,
                        j);
            break;
        }
        if (!categorical)
            continue;
        size_t ncodes;
        if ((rc = rbuf_count(r, UINT32_MAX, 1, &ncodes, "category bin count", err)))
            break;
        if (ncodes > ncategories[j]) {
            rc = ml_err(err, ML_EFORMAT, "%s: feature %zu maps %zu categories, the schema has %zu",
                        r->what, j, ncodes, ncategories[j]);
            break;
        }
        ens_feature_bins *fb = &e->features[j];
        fb->categorical = true;
        fb->ncodes = (uint32_t)ncodes;
        if (!(fb->code_bin = malloc(ncodes ? ncodes : 1))) {
            rc = ml_err(err, ML_ENOMEM, "out of memory loading trees");
            break;
        }
        rc = rbuf_bytes(r, fb->code_bin, ncodes, "category bins", err);
    }
    if (rc)
        goto fail;
    if ((rc = rbuf_count(r, ENS_MAX_TREES, 4, &n, "tree count", err)))
        goto fail;
    e->ntrees = n;
    if (!(e->tree_root = malloc((n ? n : 1) * sizeof *e->tree_root))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory loading trees");
        goto fail;
    }
    for (size_t t = 0; t < n && !rc; t++)
        rc = rbuf_u32(r, &e->tree_root[t], "tree root", err);
    if (rc || (rc = rbuf_count(r, ENS_MAX_NODES, 16, &e->nnodes, "node count", err)))
        goto fail;
    if (!(e->nodes = malloc((e->nnodes ? e->nnodes : 1) * sizeof *e->nodes))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory loading trees");
        goto fail;
    }
    for (size_t i = 0; i < e->nnodes && !rc; i++) {
        uint64_t bits;
        if (!(rc = rbuf_u64(r, &bits, "node value", err)))
            memcpy(&e->nodes[i].u, &bits, 8);
        if (!rc)
            rc = rbuf_u32(r, &e->nodes[i].info, "node feature", err);
        if (!rc)
            rc = rbuf_u32(r, &e->nodes[i].left, "node child", err);
    }
    if (rc || (rc = rbuf_count(r, ENS_MAX_NODES, 32, &e->nbitsets, "category set count", err)))
        goto fail;
    if (!(e->bitsets = malloc((e->nbitsets ? e->nbitsets : 1) * 32))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory loading trees");
        goto fail;
    }
    for (size_t i = 0; i < e->nbitsets * 8 && !rc; i++)
        rc = rbuf_u32(r, &e->bitsets[i], "category set", err);
    if (rc)
        goto fail;
    if (e->ntrees && e->tree_root[0] != 0) {
        rc = ml_err(err, ML_EFORMAT, "%s: the first tree does not start at node 0", r->what);
        goto fail;
    }
    for (size_t t = 0; t < e->ntrees && !rc; t++)
        rc = check_tree(e, r, t, err);
    if (rc || (rc = ens_prepare(e, err)))
        goto fail;
    *out = e;
    return ML_OK;
fail:
    ens_free(e);
    return rc;
}

int ens_read_for_schema(ml_rbuf *r, const mdl_schema *s, size_t noutputs, ens_ensemble **out,
                        ml_error *err)
{
    *out = NULL;
    size_t nf = s->nfeatures;
    bool *categorical = calloc(nf ? nf : 1, sizeof *categorical);
    size_t *ncat = calloc(nf ? nf : 1, sizeof *ncat);
    int rc = ML_OK;
    if (!categorical || !ncat) {
        rc = ml_err(err, ML_ENOMEM, "out of memory loading trees");
        goto done;
    }
    for (size_t j = 0; j < nf; j++) {
        categorical[j] = s->features[j].categorical;
        ncat[j] = categorical[j] ? tbl_dict_size(s->features[j].categories) : 0;
    }
    if ((rc = ens_read(r, nf, categorical, ncat, out, err)))
        goto done;
    if ((*out)->noutputs != noutputs) {
        rc =
            ml_err(err, ML_EFORMAT, "%s: the trees have %zu outputs, the model's %s task needs %zu",
                   r->what, (*out)->noutputs, mdl_task_name(s->task), noutputs);
        ens_free(*out);
        *out = NULL;
    }
done:
    free(categorical);
    free(ncat);
    return rc;
}

void ens_write_importance(const double *gain, const uint64_t *count, size_t n, ml_wbuf *w)
{
    for (size_t j = 0; j < n; j++) {
        wbuf_f64(w, gain[j]);
        wbuf_u64(w, count[j]);
    }
}

int ens_read_importance(ml_rbuf *r, size_t n, double **gain, uint64_t **count, ml_error *err)
{
    *gain = malloc((n ? n : 1) * sizeof **gain);
    *count = malloc((n ? n : 1) * sizeof **count);
    if (!*gain || !*count)
        return ml_err(err, ML_ENOMEM, "out of memory loading the model");
    int rc = ML_OK;
    for (size_t j = 0; j < n && !rc; j++) {
        rc = rbuf_f64(r, &(*gain)[j], "split gain", err);
        if (!rc)
            rc = rbuf_u64(r, &(*count)[j], "split count", err);
    }
    return rc;
}
