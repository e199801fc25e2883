/*
 * tree.h — an ensemble of decision trees flattened for inference, shared by
 * gradient boosting and random forests.
 *
 * Contract
 *  - All trees live in one node array.  A node is 16 bytes: a threshold (or
 *    a leaf's value, or a categorical node's bitset index), the feature
 *    index with flags, and the index of its left child; the right child is
 *    always left + 1, so one comparison picks the next node.
 *  - Numeric split: x <= threshold goes left; NaN goes the learned default
 *    way.  Categorical split: the category code maps to a bin through the
 *    feature's code→bin table (ens_feature_bins); bins in the node's 256-bit
 *    set go left; bin 0 (missing, unseen or too rare to have a bin) goes the
 *    default way.
 *  - Tree t adds its leaf value to output t % noutputs; each output starts
 *    at base[k].  The order of additions is fixed (tree 0 first), so the
 *    same model and inputs give bit-identical raw scores everywhere.
 *  - ens_read validates every index (features, children, bitsets, trees)
 *    so that traversal of a loaded ensemble can never leave its arrays or
 *    loop forever (children always point forward).
 */
#ifndef ML_MODELS_TREE_H
#define ML_MODELS_TREE_H

#include "core/buf.h"
#include "core/error.h"
#include "models/frame.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENS_LEAF 0x80000000u
#define ENS_DEFAULT_LEFT 0x40000000u
#define ENS_CATEGORICAL 0x20000000u
#define ENS_FEATURE_MASK 0x1fffffffu

typedef struct ens_node {
    union {
        double threshold; /* numeric split */
        double value;     /* leaf */
        uint64_t bitset;  /* categorical split: index into bitsets (8 words each) */
    } u;
    uint32_t info; /* flags | feature */
    uint32_t left; /* right = left + 1 */
} ens_node;

typedef struct ens_feature_bins {
    bool categorical;
    uint32_t ncodes;   /* categorical: codes 0..ncodes-1 map through code_bin */
    uint8_t *code_bin; /* bin of each code; 0 = no bin of its own */
} ens_feature_bins;

typedef struct ens_ensemble {
    size_t nfeatures, noutputs;
    double *base; /* noutputs starting scores */
    size_t ntrees, nnodes, nbitsets;
    uint32_t *tree_root; /* ntrees node indices */
    ens_node *nodes;
    uint32_t *bitsets; /* nbitsets * 8 words */
    ens_feature_bins *features;
    /* Inference form, built by ens_prepare: leaves loop to themselves with
     * a +inf threshold (so stepping from a leaf stays on it) and keep their
     * value in leaf_value; groups of trees are then walked in lockstep
     * without a branch per node.  tree_categorical marks trees that need
     * the general walk. */
    ens_node *fast;
    double *leaf_value;
    uint8_t *tree_categorical;
    size_t lockstep_trees; /* leading trees walked in groups (no categorical split) */
} ens_ensemble;

/* ---- building ------------------------------------------------------------ */
int ens_create(size_t nfeatures, size_t noutputs, ens_ensemble **out, ml_error *err);
void ens_free(ens_ensemble *e);
/* Sets a categorical feature's code→bin table (copied). */
int ens_set_feature_bins(ens_ensemble *e, size_t feature, const uint8_t *code_bin, size_t ncodes,
                         ml_error *err);
/* Appends room for a tree of nnodes nodes and nbitsets bitsets; returns the
 * index of its first node (the root) through *first and of its first
 * bitset through *first_bitset.  Nodes must be filled by the caller. */
int ens_add_tree(ens_ensemble *e, size_t nnodes, size_t nbitsets, size_t *first,
                 size_t *first_bitset, ml_error *err);
/* Keeps the first ntrees trees (early stopping's best iteration). */
void ens_truncate(ens_ensemble *e, size_t ntrees);
/* Builds the inference form; call after the last tree is added (ens_read
 * calls it).  ens_predict_* need it. */
int ens_prepare(ens_ensemble *e, ml_error *err);

/* ---- inference ------------------------------------------------------------ */
static inline bool ens_goes_left(const ens_ensemble *e, const ens_node *n, double x)
{
    if (n->info & ENS_CATEGORICAL) {
        const ens_feature_bins *fb = &e->features[n->info & ENS_FEATURE_MASK];
        unsigned bin = 0;
        if (x >= 0 && x < (double)fb->ncodes)
            bin = fb->code_bin[(uint32_t)x];
        if (bin == 0)
            return (n->info & ENS_DEFAULT_LEFT) != 0;
        const uint32_t *set = e->bitsets + n->u.bitset * 8;
        return (set[bin >> 5] >> (bin & 31)) & 1u;
    }
    if (isnan(x))
        return (n->info & ENS_DEFAULT_LEFT) != 0;
    return x <= n->u.threshold;
}

/* Leaf value of tree t for a row given row-major. */
static inline double ens_tree_value(const ens_ensemble *e, size_t t, const double *row)
{
    const ens_node *nodes = e->nodes;
    uint32_t i = e->tree_root[t];
    while (!(nodes[i].info & ENS_LEAF)) {
        const ens_node *n = &nodes[i];
        i = n->left + !ens_goes_left(e, n, row[n->info & ENS_FEATURE_MASK]);
    }
    return nodes[i].u.value;
}

/* Leaf value of tree t for row r of column-major data. */
static inline double ens_tree_value_cols(const ens_ensemble *e, size_t t, const double *const *cols,
                                         size_t r)
{
    const ens_node *nodes = e->nodes;
    uint32_t i = e->tree_root[t];
    while (!(nodes[i].info & ENS_LEAF)) {
        const ens_node *n = &nodes[i];
        i = n->left + !ens_goes_left(e, n, cols[n->info & ENS_FEATURE_MASK][r]);
    }
    return nodes[i].u.value;
}

/* Raw scores (noutputs per row) of nrows row-major rows.  Single rows and
 * small batches allocate nothing; large batches run on OpenMP threads over
 * blocks of rows. */
void ens_predict_rows(const ens_ensemble *e, const double *rows, size_t nrows, double *out);
/* The same for column-major data (a frame's columns). */
void ens_predict_cols(const ens_ensemble *e, const double *const *cols, size_t nrows, double *out);

void ens_write(const ens_ensemble *e, ml_wbuf *w);
/* Reads an ensemble whose inputs must be the schema's (categorical ones
 * with at most their category count in code bins) and whose outputs must
 * number `noutputs`. */
int ens_read_for_schema(ml_rbuf *r, const mdl_schema *s, size_t noutputs, ens_ensemble **out,
                        ml_error *err);

/* Per-input importance of tree models: total gain and split count. */
void ens_write_importance(const double *gain, const uint64_t *count, size_t n, ml_wbuf *w);
int ens_read_importance(ml_rbuf *r, size_t n, double **gain, uint64_t **count, ml_error *err);

/* categorical_input[j] and ncategories[j] describe input j of the schema. */
int ens_read(ml_rbuf *r, size_t nfeatures, const bool *categorical_input, const size_t *ncategories,
             ens_ensemble **out, ml_error *err);

#endif
