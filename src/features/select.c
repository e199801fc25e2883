/*
 * select.c — feature selection and the pruning that follows it.
 *
 * Selection runs on the training features fp_fit produced, in order of
 * cost: constant columns (every row), near-constant ones, correlated pairs
 * and mutual information (on a deterministic sample of rows, so a 10M-row
 * table costs what a 100k-row one does).  fp_restrict then removes the
 * outputs, the ops that no longer write anything and the inputs and
 * derived columns nothing reads any more — so a model never asks at
 * predict time for a column it does not use.
 */
#include "features/pipeline_internal.h"

#include "core/rng.h"
#include "features/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CORR_SAMPLE = 100000, MI_SAMPLE = 20000, MI_NEIGHBORS = 3, DISCRETE_MAX = 32 };

static int oom(ml_error *err)
{
    return ml_err(err, ML_ENOMEM, "out of memory selecting features");
}

/* ---- restrict and prune ------------------------------------------------------ */

static int32_t remap(int32_t slot, const int32_t *map)
{
    return slot < 0 ? slot : map[slot];
}

static bool op_writes(const fp_op *op)
{
    if (op->slot >= 0 || op->indicator_slot >= 0 || op->other_slot >= 0)
        return true;
    size_t n = op->kind == FP_OP_ONEHOT ? op->ncodes : op->kind == FP_OP_LOOKUP ? op->width : 0;
    for (size_t k = 0; k < n; k++)
        if (op->slots[k] >= 0)
            return true;
    return false;
}

/* Removes the inputs and derived columns no op reads, directly or through
 * a derived column, and renumbers the ops' sources. */
static int prune_working(fp_pipeline *p, ml_error *err)
{
    size_t ni = p->inputs->nfeatures, nw = fp_nworking(p);
    bool *used = calloc(nw ? nw : 1, sizeof *used);
    size_t *map = malloc((nw ? nw : 1) * sizeof *map);
    if (!used || !map) {
        free(used);
        free(map);
        return oom(err);
    }
    for (size_t o = 0; o < p->nops; o++)
        used[p->ops[o].src] = true;
    for (size_t d = p->nderived; d-- > 0;) {
        if (!used[ni + d])
            continue;
        size_t nuses;
        const size_t *uses = fx_uses(p->derived[d], &nuses);
        for (size_t u = 0; u < nuses; u++)
            used[uses[u]] = true;
    }
    size_t keep_inputs = 0, keep_derived = 0;
    for (size_t j = 0; j < nw; j++)
        if (used[j])
            map[j] = j < ni ? keep_inputs++ : ni + keep_derived++; /* fixed below */
    for (size_t j = ni; j < nw; j++)
        if (used[j])
            map[j] = map[j] - ni + keep_inputs;
    mdl_schema *s = p->inputs;
    for (size_t j = 0, k = 0; j < ni; j++) {
        if (used[j]) {
            s->features[k++] = s->features[j];
            continue;
        }
        free(s->features[j].name);
        tbl_dict_free(s->features[j].categories);
    }
    s->nfeatures = keep_inputs;
    for (size_t d = 0, k = 0; d < p->nderived; d++) {
        fx_free(p->derived[d]);
        p->derived[d] = NULL;
        if (used[ni + d]) {
            p->derived_names[k] = p->derived_names[d];
            p->derived_texts[k++] = p->derived_texts[d];
            continue;
        }
        free(p->derived_names[d]);
        free(p->derived_texts[d]);
    }
    p->nderived = keep_derived;
    free(p->derived);
    p->derived = NULL;
    for (size_t o = 0; o < p->nops; o++)
        p->ops[o].src = (uint32_t)map[p->ops[o].src];
    free(used);
    free(map);
    /* Expressions hold input indexes: compile them again by name. */
    return fp_compile_derived(p, err);
}

int fp_restrict(fp_pipeline *p, const bool *keep, mdl_frame *features, ml_error *err)
{
    size_t m = p->noutputs, kept = 0;
    int32_t *map = malloc((m ? m : 1) * sizeof *map);
    if (!map)
        return oom(err);
    for (size_t k = 0; k < m; k++)
        map[k] = keep[k] ? (int32_t)kept++ : -1;
    if (kept == 0) {
        free(map);
        return ml_err(err, ML_EINVAL, "feature selection left no features");
    }
    size_t nops = 0;
    for (size_t o = 0; o < p->nops; o++) {
        fp_op *op = &p->ops[o];
        op->slot = remap(op->slot, map);
        op->indicator_slot = remap(op->indicator_slot, map);
        op->other_slot = remap(op->other_slot, map);
        size_t n = op->kind == FP_OP_ONEHOT ? op->ncodes : op->kind == FP_OP_LOOKUP ? op->width : 0;
        for (size_t k = 0; k < n; k++)
            op->slots[k] = remap(op->slots[k], map);
        if (op_writes(op))
            p->ops[nops++] = *op;
        else
            fp_op_clear(op);
    }
    p->nops = nops;
    for (size_t k = 0; k < m; k++) {
        if (keep[k]) {
            p->out_names[map[k]] = p->out_names[k];
            p->out_native[map[k]] = p->out_native[k];
        } else {
            free(p->out_names[k]);
        }
    }
    p->noutputs = kept;
    if (features && features->cols) {
        for (size_t k = 0; k < m; k++) {
            if (keep[k]) {
                features->cols[map[k]] = features->cols[k];
                features->borrowed[map[k]] = features->borrowed[k];
            } else if (!features->borrowed[k]) {
                free(features->cols[k]);
            }
        }
        features->ncols = kept;
    }
    free(map);
    return prune_working(p, err);
}

/* ---- selection ------------------------------------------------------------------------ */

typedef struct sample {
    size_t n;
    size_t *rows;
} sample;

/* Every row, or `max` rows spread evenly over the table. */
static int make_sample(size_t n, size_t max, sample *s)
{
    s->n = n < max ? n : max;
    if (!(s->rows = malloc((s->n ? s->n : 1) * sizeof *s->rows)))
        return ML_ENOMEM;
    for (size_t i = 0; i < s->n; i++)
        s->rows[i] = s->n == n ? i : (size_t)((double)i * (double)n / (double)s->n);
    return ML_OK;
}

static void gather(const double *col, const sample *s, double *out)
{
    for (size_t i = 0; i < s->n; i++)
        out[i] = col[s->rows[i]];
}

static bool is_constant(const double *v, size_t n)
{
    size_t i = 0;
    while (i < n && isnan(v[i]))
        i++;
    for (size_t j = i + 1; j < n; j++)
        if (!isnan(v[j]) && v[j] != v[i])
            return false;
    return true;
}

/* Share of the most frequent value (missing counts as a value). */
static double top_share(const double *v, size_t n, double *scratch)
{
    size_t m = fs_finite(v, n, scratch), missing = n - m;
    double mode = fs_mode(scratch, m);
    size_t count = 0;
    for (size_t i = 0; i < m; i++)
        count += scratch[i] == mode;
    size_t top = count > missing ? count : missing;
    return n ? (double)top / (double)n : 1.0;
}

/* Distinct values of v as codes 0..d-1 when there are at most max of them
 * and all are integers (a discrete feature); returns d, or 0 otherwise. */
static size_t discrete_codes(const double *v, size_t n, size_t max, int32_t *codes)
{
    double seen[DISCRETE_MAX];
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]) || v[i] != floor(v[i]))
            return 0;
        size_t k = 0;
        while (k < d && seen[k] != v[i])
            k++;
        if (k == d) {
            if (d == max)
                return 0;
            seen[d++] = v[i];
        }
        codes[i] = (int32_t)k;
    }
    return d;
}

/* scikit-learn's tie-breaking: x scaled to unit standard deviation gets
 * 1e-10 * max(1, mean |x|) of Gaussian noise.  Without it a column with many
 * equal values (an imputed median, a clipped bound) has k-th neighbours at
 * distance 0 and its estimate collapses to 0, so an informative column with
 * missing values would lose to noise.  Seeded per column: reproducible. */
static void jitter(double *x, size_t n, uint64_t seed)
{
    double sum = 0, sq = 0, abs_sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            sq += x[i] * x[i];
            abs_sum += fabs(x[i]);
            m++;
        }
    if (m < 2)
        return;
    double mean = sum / (double)m, var = sq / (double)m - mean * mean;
    double sd = var > 0 ? sqrt(var) : 1.0;
    double scale = 1e-10 * fmax(1.0, abs_sum / (double)m / sd) * sd;
    ml_rng rng;
    ml_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        x[i] += scale * ml_rng_normal(&rng);
}

/* x is the caller's scratch copy: continuous columns are jittered in place. */
static int mutual_info(double *x, const double *y, const int32_t *yclass, int nclasses, bool native,
                       size_t n, int32_t *codes, uint64_t seed, double *out, ml_error *err)
{
    size_t d = native ? 0 : discrete_codes(x, n, DISCRETE_MAX, codes);
    if (!d && !native)
        jitter(x, n, seed);
    if (yclass)
        return d || native ? fs_mutual_info_discrete(x, yclass, n, nclasses, out, err)
                           : fs_mutual_info_classif(x, yclass, n, nclasses, MI_NEIGHBORS, out, err);
    if (d) /* discrete feature, continuous target: the roles swap */
        return fs_mutual_info_classif(y, codes, n, (int)d, MI_NEIGHBORS, out, err);
    return fs_mutual_info_regression(x, y, n, MI_NEIGHBORS, out, err);
}

typedef struct ranked {
    double score;
    size_t k;
} ranked;

static int cmp_ranked_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static int select_mutual_info(fp_pipeline *p, const fp_select *sel, const mdl_schema *base,
                              const double *y, const mdl_frame *f, bool *keep, ml_error *err)
{
    size_t m = p->noutputs, nkept = 0;
    for (size_t k = 0; k < m; k++)
        nkept += keep[k];
    if ((size_t)sel->top_k >= nkept)
        return ML_OK;
    sample s;
    if (make_sample(f->nrows, MI_SAMPLE, &s))
        return oom(err);
    bool classes = mdl_task_is_classification(base->task);
    double *x = malloc(s.n * sizeof *x), *ys = malloc(s.n * sizeof *ys);
    int32_t *yc = malloc(s.n * sizeof *yc), *codes = malloc(s.n * sizeof *codes);
    ranked *rank = malloc(m * sizeof *rank);
    int rc = x && ys && yc && codes && rank ? ML_OK : oom(err);
    for (size_t i = 0; i < s.n && !rc; i++) {
        ys[i] = y[s.rows[i]];
        yc[i] = (int32_t)ys[i];
    }
    if (!rc && !classes) /* a regression target is jittered too, as scikit-learn does */
        jitter(ys, s.n, 0x79u);
    size_t nr = 0;
    for (size_t k = 0; k < m && !rc; k++) {
        if (!keep[k])
            continue;
        gather(f->cols[k], &s, x);
        double mi = 0;
        rc = mutual_info(x, ys, classes ? yc : NULL, (int)base->nclasses, p->out_native[k], s.n,
                         codes, 0x6d69u + k, &mi, err);
        rank[nr++] = (ranked){mi, k};
    }
    if (!rc) {
        qsort(rank, nr, sizeof *rank, cmp_ranked_desc);
        double last = rank[sel->top_k - 1].score;
        for (size_t i = (size_t)sel->top_k; i < nr && !rc; i++) {
            char why[160];
            snprintf(why, sizeof why,
                     "mutual information %.4g, below the top %d (the last kept has %.4g)",
                     rank[i].score, sel->top_k, last);
            keep[rank[i].k] = false;
            rc = fp_note_dropped(p, p->out_names[rank[i].k], why, err);
        }
    }
    free(x), free(ys), free(yc), free(codes), free(rank), free(s.rows);
    return rc;
}

static int select_correlated(fp_pipeline *p, double threshold, const mdl_frame *f, bool *keep,
                             ml_error *err)
{
    size_t m = p->noutputs;
    sample s;
    if (make_sample(f->nrows, CORR_SAMPLE, &s))
        return oom(err);
    double **cols = calloc(m ? m : 1, sizeof *cols);
    int rc = cols ? ML_OK : oom(err);
    for (size_t k = 0; k < m && !rc; k++) {
        if (!keep[k] || p->out_native[k])
            continue;
        if (!(cols[k] = malloc((s.n ? s.n : 1) * sizeof(double))))
            rc = oom(err);
        else
            gather(f->cols[k], &s, cols[k]);
    }
    for (size_t j = 0; j < m && !rc; j++) {
        if (!cols[j])
            continue;
        for (size_t k = 0; k < j; k++) {
            if (!cols[k] || !keep[k])
                continue;
            double r = fs_pearson(cols[k], cols[j], s.n);
            if (fabs(r) > threshold) {
                char why[320];
                snprintf(why, sizeof why, "correlated with '%s' (r = %.4f)", p->out_names[k], r);
                keep[j] = false;
                rc = fp_note_dropped(p, p->out_names[j], why, err);
                break;
            }
        }
    }
    for (size_t k = 0; k < m && cols; k++)
        free(cols[k]);
    free(cols);
    free(s.rows);
    return rc;
}

int fp_select_fitted(fp_pipeline *p, const fp_select *sel, const mdl_schema *base, const double *y,
                     mdl_frame *features, ml_error *err)
{
    size_t m = p->noutputs, n = features->nrows;
    bool *keep = malloc((m ? m : 1) * sizeof *keep);
    double *scratch = malloc((n ? n : 1) * sizeof *scratch);
    int rc = keep && scratch ? ML_OK : oom(err);
    bool any = false;
    for (size_t k = 0; k < m && !rc; k++) {
        keep[k] = true;
        const double *v = features->cols[k];
        char why[64] = "";
        if (sel->drop_constant && is_constant(v, n)) {
            snprintf(why, sizeof why, "constant");
        } else if (sel->near_constant > 0) {
            double share = top_share(v, n, scratch);
            if (share >= sel->near_constant)
                snprintf(why, sizeof why, "near-constant (%.2f%% one value)", 100 * share);
        }
        if (why[0]) {
            keep[k] = false;
            any = true;
            rc = fp_note_dropped(p, p->out_names[k], why, err);
        }
    }
    size_t before = p->ndropped;
    if (!rc && sel->max_correlation > 0)
        rc = select_correlated(p, sel->max_correlation, features, keep, err);
    if (!rc && sel->method == FP_SELECT_MUTUAL_INFO)
        rc = select_mutual_info(p, sel, base, y, features, keep, err);
    any |= p->ndropped > before;
    if (!rc && any)
        rc = fp_restrict(p, keep, features, err);
    free(keep);
    free(scratch);
    return rc;
}
