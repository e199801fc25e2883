/*
 * transform.c — applying a fitted pipeline: the op kernels and the two
 * drivers that run them, over whole frames and over one row.
 *
 * One set of kernels serves both paths.  A kernel reads `n` consecutive
 * values of its working column and writes out[slot][off + i]; the frame
 * driver hands it blocks of BLOCK rows (threads take blocks, each with its
 * own scratch for derived columns), the row driver hands it n = 1 with
 * pointers into stack arrays.  So a served row and a batch-scored row go
 * through the same arithmetic and cannot disagree.
 */
#include "features/pipeline_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 2048 };

/* ---- datetime parts --------------------------------------------------- */

/* Proleptic Gregorian date of a day number (days since 1970-01-01), after
 * Howard Hinnant's civil_from_days. */
static void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

static double date_part(double v, int part, bool micros)
{
    if (isnan(v))
        return NAN;
    const double us_per_day = 86400e6;
    double days = micros ? floor(v / us_per_day) : floor(v);
    if (!(fabs(days) < 1e9)) /* beyond any calendar worth computing */
        return NAN;
    int64_t d = (int64_t)days;
    int64_t year;
    int month, mday;
    int dow = (int)(((d + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday (3) */
    double hour = micros ? floor((v - days * us_per_day) / 3600e6) : 0.0;
    const double tau = 6.283185307179586;
    switch (part) {
    case FP_PART_YEAR:
        civil_from_days(d, &year, &month, &mday);
        return (double)year;
    case FP_PART_MONTH:
        civil_from_days(d, &year, &month, &mday);
        return month;
    case FP_PART_DAY:
        civil_from_days(d, &year, &month, &mday);
        return mday;
    case FP_PART_DAYOFWEEK:
        return dow;
    case FP_PART_HOUR:
        return hour;
    case FP_PART_EPOCH_DAYS:
        return micros ? v / us_per_day : v;
    case FP_PART_MONTH_SIN:
    case FP_PART_MONTH_COS:
        civil_from_days(d, &year, &month, &mday);
        return part == FP_PART_MONTH_SIN ? sin(tau * (month - 1) / 12.0)
                                         : cos(tau * (month - 1) / 12.0);
    case FP_PART_DAYOFWEEK_SIN:
        return sin(tau * dow / 7.0);
    case FP_PART_DAYOFWEEK_COS:
        return cos(tau * dow / 7.0);
    case FP_PART_HOUR_SIN:
        return sin(tau * hour / 24.0);
    case FP_PART_HOUR_COS:
        return cos(tau * hour / 24.0);
    default:
        return v;
    }
}

double fp_source_value(const fp_op *op, double v)
{
    return op->part == FP_PART_NONE ? v : date_part(v, op->part, op->micros);
}

/* ---- kernels ------------------------------------------------------------ */

/* The numeric chain for one value (missing as NaN). */
static inline double numeric_value(const fp_op *op, double x)
{
    if (!isnan(x)) {
        if (op->clip)
            x = x < op->lo ? op->lo : x > op->hi ? op->hi : x;
        if (op->log1p)
            x = x > -1.0 ? log1p(x) : NAN;
    }
    if (isnan(x))
        x = op->fill;
    if (op->scale)
        x = (x - op->center) / op->divisor;
    if (op->bins && !isnan(x)) {
        /* numpy.searchsorted(edges[1:-1], x, side="right") */
        uint32_t lo = 1, hi = op->nedges - 1;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (op->edges[mid] <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        x = (double)(lo - 1);
    }
    return x;
}

static void run_numeric(const fp_op *op, const double *src, size_t n, double *const *out,
                        size_t off)
{
    double *dst = op->slot >= 0 ? out[op->slot] + off : NULL;
    double *ind = op->indicator_slot >= 0 ? out[op->indicator_slot] + off : NULL;
    for (size_t i = 0; i < n; i++) {
        double x = fp_source_value(op, src[i]);
        if (ind)
            ind[i] = isnan(x) ? 1.0 : 0.0;
        if (dst)
            dst[i] = numeric_value(op, x);
    }
}

/* A categorical cell as an index into the op's tables: 0..ncodes-1 a
 * category, ncodes missing, ncodes + 1 unseen. */
static inline uint32_t category_index(const fp_op *op, double code)
{
    if (isnan(code)) {
        if (isnan(op->fill_code))
            return op->ncodes;
        code = op->fill_code;
    }
    if (code < 0 || code >= op->ncodes)
        return op->ncodes + 1;
    return (uint32_t)code;
}

static void run_missing_indicator(const fp_op *op, const double *src, size_t n, double *const *out,
                                  size_t off)
{
    if (op->indicator_slot < 0)
        return;
    double *ind = out[op->indicator_slot] + off;
    for (size_t i = 0; i < n; i++)
        ind[i] = isnan(src[i]) ? 1.0 : 0.0;
}

static void run_onehot(const fp_op *op, const double *src, size_t n, double *const *out, size_t off)
{
    for (uint32_t c = 0; c < op->ncodes; c++)
        if (op->slots[c] >= 0)
            memset(out[op->slots[c]] + off, 0, n * sizeof(double));
    if (op->other_slot >= 0)
        memset(out[op->other_slot] + off, 0, n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        uint32_t c = category_index(op, src[i]);
        int32_t slot = c < op->ncodes        ? op->slots[c]
                       : c == op->ncodes + 1 ? (op->unknown_other ? op->other_slot : -1)
                                             : -1;
        if (slot >= 0)
            out[slot][off + i] = 1.0;
    }
    run_missing_indicator(op, src, n, out, off);
}

static void run_lookup(const fp_op *op, const double *src, size_t n, double *const *out, size_t off)
{
    uint32_t w = op->width;
    for (uint32_t k = 0; k < w; k++) {
        if (op->slots[k] < 0)
            continue;
        double *dst = out[op->slots[k]] + off;
        for (size_t i = 0; i < n; i++)
            dst[i] = op->values[(size_t)category_index(op, src[i]) * w + k];
    }
    run_missing_indicator(op, src, n, out, off);
}

static void run_native(const fp_op *op, const double *src, size_t n, double *const *out, size_t off)
{
    if (op->slot >= 0) {
        double *dst = out[op->slot] + off;
        for (size_t i = 0; i < n; i++) {
            uint32_t c = category_index(op, src[i]);
            dst[i] = c < op->ncodes ? (double)c : c == op->ncodes ? NAN : MDL_UNSEEN;
        }
    }
    run_missing_indicator(op, src, n, out, off);
}

void fp_run_op(const fp_op *op, const double *src, size_t n, double *const *out, size_t off)
{
    switch (op->kind) {
    case FP_OP_NUMERIC:
        run_numeric(op, src, n, out, off);
        break;
    case FP_OP_ONEHOT:
        run_onehot(op, src, n, out, off);
        break;
    case FP_OP_LOOKUP:
        run_lookup(op, src, n, out, off);
        break;
    case FP_OP_NATIVE:
        run_native(op, src, n, out, off);
        break;
    }
}

/* ---- drivers -------------------------------------------------------------- */

/* Working columns of rows [b, b + n): inputs point into the frame, derived
 * ones are computed into scratch (nderived * BLOCK doubles). */
static void working_block(const fp_pipeline *p, const mdl_frame *in, size_t b, size_t n,
                          const double **work, double *scratch)
{
    size_t ni = in->ncols;
    for (size_t j = 0; j < ni; j++)
        work[j] = in->cols[j] + b;
    for (size_t d = 0; d < p->nderived; d++) {
        double *dst = scratch + d * BLOCK;
        fx_eval(p->derived[d], work, n, dst);
        work[ni + d] = dst;
    }
}

int fp_transform(const fp_pipeline *p, const mdl_frame *in, mdl_frame *out, ml_error *err)
{
    memset(out, 0, sizeof *out);
    if (in->ncols != p->inputs->nfeatures)
        return ml_err(err, ML_EINVAL, "the input frame has %zu columns, the pipeline needs %zu",
                      in->ncols, p->inputs->nfeatures);
    size_t n = in->nrows;
    int rc = frame_alloc(out, n, p->noutputs, err);
    if (rc)
        return ml_err_prefix(err, "transforming features");
    size_t nw = fp_nworking(p), nblocks = (n + BLOCK - 1) / BLOCK;
    int failed = 0;
#pragma omp parallel if (nblocks > 1)
    {
        const double **work = malloc((nw ? nw : 1) * sizeof *work);
        double *scratch = malloc((p->nderived ? p->nderived : 1) * BLOCK * sizeof(double));
        if (!work || !scratch) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t blk = 0; blk < nblocks; blk++) {
            if (!work || !scratch)
                continue;
            size_t b = blk * BLOCK, len = n - b < BLOCK ? n - b : BLOCK;
            working_block(p, in, b, len, work, scratch);
            for (size_t o = 0; o < p->nops; o++)
                fp_run_op(&p->ops[o], work[p->ops[o].src], len, out->cols, b);
        }
        free(work);
        free(scratch);
    }
    if (failed) {
        frame_free(out);
        return ml_err(err, ML_ENOMEM, "out of memory transforming features");
    }
    return ML_OK;
}

static void transform_row(const fp_pipeline *p, const double *in, double *out, double *work,
                          const double **work_ptr, double **out_ptr)
{
    size_t ni = p->inputs->nfeatures;
    memcpy(work, in, ni * sizeof *work);
    for (size_t d = 0; d < p->nderived; d++)
        work[ni + d] = fx_eval_row(p->derived[d], work);
    for (size_t j = 0; j < ni + p->nderived; j++)
        work_ptr[j] = &work[j];
    for (size_t k = 0; k < p->noutputs; k++)
        out_ptr[k] = &out[k];
    for (size_t o = 0; o < p->nops; o++)
        fp_run_op(&p->ops[o], work_ptr[p->ops[o].src], 1, out_ptr, 0);
}

void fp_transform_row(const fp_pipeline *p, const double *in, double *out)
{
    size_t nw = fp_nworking(p);
    if (nw <= FP_ROW_STACK && p->noutputs <= FP_ROW_STACK) {
        double work[FP_ROW_STACK];
        const double *work_ptr[FP_ROW_STACK];
        double *out_ptr[FP_ROW_STACK];
        transform_row(p, in, out, work, work_ptr, out_ptr);
        return;
    }
    /* Wide pipelines: heap scratch; on out of memory every output is
     * missing rather than garbage. */
    double *work = malloc(nw * sizeof *work);
    const double **work_ptr = malloc(nw * sizeof *work_ptr);
    double **out_ptr = malloc(p->noutputs * sizeof *out_ptr);
    if (work && work_ptr && out_ptr)
        transform_row(p, in, out, work, work_ptr, out_ptr);
    else
        for (size_t k = 0; k < p->noutputs; k++)
            out[k] = NAN;
    free(work);
    free(work_ptr);
    free(out_ptr);
}
