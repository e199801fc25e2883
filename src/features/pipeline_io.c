/*
 * pipeline_io.c — the pipeline's artifact section, the feature schema the
 * model trains on, and the description `train` prints.
 *
 * Section layout (little-endian, core/buf.h):
 *   u32 version (1)
 *   input schema (frame.c's schema_write)
 *   u32 nderived, then per column: name, expression text
 *   u32 noutputs, then per output: name, u8 native
 *   u32 ndropped, then per dropped output: name, reason
 *   u32 nops, then per op its fields (write_op)
 * Expressions are stored as text and compiled again on load, by name,
 * against the stored inputs: the artifact never holds code.  The reader
 * trusts nothing: every source, slot, part and count is checked, and every
 * output must be written by some op, so a transform can never leave an
 * output uninitialised.
 */
#include "features/pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { FORMAT_VERSION = 1, MAX_NAME = 4096, MAX_COUNT = 1u << 24 };

/* ---- feature schema ------------------------------------------------------------- */

static tbl_dict *dict_copy(const tbl_dict *src)
{
    tbl_dict *d = tbl_dict_create();
    for (size_t k = 0; d && k < tbl_dict_size(src); k++) {
        size_t len;
        const char *v = tbl_dict_get(src, (int32_t)k, &len);
        if (tbl_dict_intern(d, v, len) != (int32_t)k) {
            tbl_dict_free(d);
            return NULL;
        }
    }
    return d;
}

int fp_feature_schema(const fp_pipeline *p, const mdl_schema *base, mdl_schema **out, ml_error *err)
{
    *out = NULL;
    mdl_schema *s = calloc(1, sizeof *s);
    if (!s)
        return ml_err(err, ML_ENOMEM, "out of memory building the feature schema");
    s->features = calloc(p->noutputs ? p->noutputs : 1, sizeof *s->features);
    s->target = strdup(base->target);
    s->classes = calloc(base->nclasses ? base->nclasses : 1, sizeof *s->classes);
    bool ok = s->features && s->target && s->classes;
    s->target_type = base->target_type;
    s->task = base->task;
    for (size_t k = 0; ok && k < base->nclasses; k++, s->nclasses++)
        ok = (s->classes[k] = strdup(base->classes[k])) != NULL;
    for (size_t k = 0; ok && k < p->noutputs; k++, s->nfeatures++) {
        mdl_feature *f = &s->features[k];
        ok = (f->name = strdup(p->out_names[k])) != NULL;
        f->type = TBL_F64;
        if (!ok || !p->out_native[k])
            continue;
        for (size_t o = 0; o < p->nops; o++)
            if (p->ops[o].kind == FP_OP_NATIVE && p->ops[o].slot == (int32_t)k) {
                f->type = TBL_STR;
                f->categorical = true;
                ok = (f->categories = dict_copy(p->inputs->features[p->ops[o].src].categories));
            }
    }
    if (!ok) {
        schema_free(s);
        return ml_err(err, ML_ENOMEM, "out of memory building the feature schema");
    }
    *out = s;
    return ML_OK;
}

/* ---- writing ------------------------------------------------------------------------ */

static void write_op(const fp_op *op, ml_wbuf *w)
{
    wbuf_u8(w, op->kind);
    wbuf_u8(w, op->encode);
    wbuf_u8(w, op->part);
    wbuf_u8(w, op->micros);
    wbuf_u32(w, op->src);
    wbuf_i32(w, op->slot);
    wbuf_i32(w, op->indicator_slot);
    wbuf_u8(w, op->clip);
    wbuf_u8(w, op->log1p);
    wbuf_u8(w, op->scale);
    wbuf_u8(w, op->bins);
    wbuf_f64(w, op->lo);
    wbuf_f64(w, op->hi);
    wbuf_f64(w, op->fill);
    wbuf_f64(w, op->center);
    wbuf_f64(w, op->divisor);
    wbuf_u64(w, op->bins ? op->nedges : 0); /* counts are u64: rbuf_count */
    for (uint32_t k = 0; op->bins && k < op->nedges; k++)
        wbuf_f64(w, op->edges[k]);
    wbuf_f64(w, op->fill_code);
    wbuf_u32(w, op->ncodes);
    wbuf_u32(w, op->width);
    if (op->kind == FP_OP_LOOKUP) {
        for (size_t k = 0; k < (size_t)(op->ncodes + 2) * op->width; k++)
            wbuf_f64(w, op->values[k]);
        for (uint32_t k = 0; k < op->width; k++)
            wbuf_i32(w, op->slots[k]);
    } else if (op->kind == FP_OP_ONEHOT) {
        for (uint32_t k = 0; k < op->ncodes; k++)
            wbuf_i32(w, op->slots[k]);
        wbuf_i32(w, op->other_slot);
        wbuf_u8(w, op->unknown_other);
    }
}

void fp_write(const fp_pipeline *p, ml_wbuf *w)
{
    wbuf_u32(w, FORMAT_VERSION);
    schema_write(p->inputs, w);
    wbuf_u64(w, p->nderived);
    for (size_t d = 0; d < p->nderived; d++) {
        wbuf_str(w, p->derived_names[d]);
        wbuf_str(w, p->derived_texts[d]);
    }
    wbuf_u64(w, p->noutputs);
    for (size_t k = 0; k < p->noutputs; k++) {
        wbuf_str(w, p->out_names[k]);
        wbuf_u8(w, p->out_native[k]);
    }
    wbuf_u64(w, p->ndropped);
    for (size_t k = 0; k < p->ndropped; k++) {
        wbuf_str(w, p->dropped_names[k]);
        wbuf_str(w, p->dropped_why[k]);
    }
    wbuf_u64(w, p->nops);
    for (size_t o = 0; o < p->nops; o++)
        write_op(&p->ops[o], w);
}

/* ---- reading ------------------------------------------------------------------------ */

static int bad(ml_error *err, const char *what)
{
    return ml_err(err, ML_EFORMAT, "pipeline section: %s", what);
}

static int read_slot(ml_rbuf *r, const fp_pipeline *p, uint8_t *covered, int32_t *slot,
                     ml_error *err)
{
    int rc = rbuf_i32(r, slot, "pipeline op slot", err);
    if (rc)
        return rc;
    if (*slot < -1 || *slot >= (int32_t)p->noutputs)
        return bad(err, "an op writes an output that does not exist");
    if (*slot >= 0)
        covered[*slot] = 1;
    return ML_OK;
}

static int read_numeric_fields(ml_rbuf *r, fp_op *op, ml_error *err)
{
    int rc = ML_OK;
    uint8_t *flags[4] = {&op->clip, &op->log1p, &op->scale, &op->bins};
    for (int i = 0; i < 4 && !rc; i++)
        if (!(rc = rbuf_u8(r, flags[i], "pipeline op flag", err)) && *flags[i] > 1)
            rc = bad(err, "an op flag is neither 0 nor 1");
    double *vals[5] = {&op->lo, &op->hi, &op->fill, &op->center, &op->divisor};
    for (int i = 0; i < 5 && !rc; i++)
        rc = rbuf_f64(r, vals[i], "pipeline op value", err);
    if (rc)
        return rc;
    size_t nedges;
    if ((rc = rbuf_count(r, 258, sizeof(double), &nedges, "pipeline bin edges", err)))
        return rc;
    op->nedges = (uint32_t)nedges;
    if (op->bins && nedges < 2)
        return bad(err, "binning needs at least two edges");
    if (nedges && !(op->edges = malloc(nedges * sizeof(double))))
        return ml_err(err, ML_ENOMEM, "out of memory reading the pipeline");
    for (size_t k = 0; k < nedges && !rc; k++) {
        rc = rbuf_f64(r, &op->edges[k], "pipeline bin edge", err);
        if (!rc && (isnan(op->edges[k]) || (k > 0 && op->edges[k] < op->edges[k - 1])))
            rc = bad(err, "bin edges are not increasing");
    }
    return rc;
}

static int read_category_fields(ml_rbuf *r, const fp_pipeline *p, fp_op *op, uint8_t *covered,
                                ml_error *err)
{
    int rc = rbuf_f64(r, &op->fill_code, "pipeline fill code", err);
    if (!rc)
        rc = rbuf_u32(r, &op->ncodes, "pipeline category count", err);
    if (!rc)
        rc = rbuf_u32(r, &op->width, "pipeline width", err);
    if (rc)
        return rc;
    const mdl_feature *f = op->src < p->inputs->nfeatures ? &p->inputs->features[op->src] : NULL;
    bool categorical = op->kind != FP_OP_NUMERIC;
    if (categorical && (!f || !f->categorical || op->ncodes != tbl_dict_size(f->categories)))
        return bad(err, "a categorical op does not match its input's categories");
    if (categorical && !isnan(op->fill_code) &&
        !(op->fill_code >= 0 && op->fill_code < op->ncodes &&
          op->fill_code == floor(op->fill_code)))
        return bad(err, "an imputed category is out of range");
    if (op->kind == FP_OP_LOOKUP) {
        if (op->width < 1 || op->width > 256)
            return bad(err, "a lookup op has a bad width");
        size_t nv = ((size_t)op->ncodes + 2) * op->width;
        op->values = malloc(nv * sizeof(double));
        op->slots = malloc(op->width * sizeof *op->slots);
        if (!op->values || !op->slots)
            return ml_err(err, ML_ENOMEM, "out of memory reading the pipeline");
        for (size_t k = 0; k < nv && !rc; k++)
            rc = rbuf_f64(r, &op->values[k], "pipeline lookup value", err);
        for (uint32_t k = 0; k < op->width && !rc; k++)
            rc = read_slot(r, p, covered, &op->slots[k], err);
    } else if (op->kind == FP_OP_ONEHOT) {
        if (!(op->slots = malloc((op->ncodes ? op->ncodes : 1) * sizeof *op->slots)))
            return ml_err(err, ML_ENOMEM, "out of memory reading the pipeline");
        for (uint32_t k = 0; k < op->ncodes && !rc; k++)
            rc = read_slot(r, p, covered, &op->slots[k], err);
        if (!rc)
            rc = read_slot(r, p, covered, &op->other_slot, err);
        if (!rc && !(rc = rbuf_u8(r, &op->unknown_other, "pipeline unknown policy", err)) &&
            op->unknown_other > 1)
            rc = bad(err, "bad unknown-category policy");
    }
    return rc;
}

static int read_op(ml_rbuf *r, const fp_pipeline *p, fp_op *op, uint8_t *covered, ml_error *err)
{
    op->slot = op->indicator_slot = op->other_slot = -1;
    int rc = ML_OK;
    uint8_t *head[4] = {&op->kind, &op->encode, &op->part, &op->micros};
    for (int i = 0; i < 4 && !rc; i++)
        rc = rbuf_u8(r, head[i], "pipeline op", err);
    if (!rc)
        rc = rbuf_u32(r, &op->src, "pipeline op source", err);
    if (rc)
        return rc;
    if (op->kind > FP_OP_NATIVE || op->part >= FP_PART_COUNT || op->micros > 1)
        return bad(err, "unknown op kind or datetime part");
    if (op->src >= fp_nworking(p))
        return bad(err, "an op reads a column that does not exist");
    const mdl_feature *f = op->src < p->inputs->nfeatures ? &p->inputs->features[op->src] : NULL;
    if (op->kind == FP_OP_NUMERIC && f && f->categorical)
        return bad(err, "a numeric op reads a categorical input");
    if (op->part != FP_PART_NONE && (!f || f->type != (op->micros ? TBL_TIMESTAMP : TBL_DATE)))
        return bad(err, "a datetime op reads a column that is not a date");
    if ((rc = read_slot(r, p, covered, &op->slot, err)) ||
        (rc = read_slot(r, p, covered, &op->indicator_slot, err)) ||
        (rc = read_numeric_fields(r, op, err)))
        return rc;
    if (op->slot >= 0 && (p->out_native[op->slot] != 0) != (op->kind == FP_OP_NATIVE))
        return bad(err, "an output's kind does not match its op");
    return read_category_fields(r, p, op, covered, err);
}

static int read_strings(ml_rbuf *r, size_t *count, char ***a, char ***b, uint8_t **flags,
                        const char *what, ml_error *err)
{
    int rc = rbuf_count(r, MAX_COUNT, 2, count, what, err);
    if (rc)
        return rc;
    size_t n = *count ? *count : 1;
    *a = calloc(n, sizeof **a);
    if (b)
        *b = calloc(n, sizeof **b);
    if (flags)
        *flags = calloc(n, 1);
    if (!*a || (b && !*b) || (flags && !*flags))
        return ml_err(err, ML_ENOMEM, "out of memory reading the pipeline");
    for (size_t i = 0; i < *count && !rc; i++) {
        rc = rbuf_str(r, MAX_NAME, &(*a)[i], what, err);
        if (!rc && b)
            rc = rbuf_str(r, FX_MAX_LENGTH, &(*b)[i], what, err);
        if (!rc && flags && !(rc = rbuf_u8(r, &(*flags)[i], what, err)) && (*flags)[i] > 1)
            rc = bad(err, "bad output flag");
    }
    return rc;
}

int fp_read(ml_rbuf *r, fp_pipeline **out, ml_error *err)
{
    *out = NULL;
    fp_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return ml_err(err, ML_ENOMEM, "out of memory reading the pipeline");
    uint32_t version;
    uint8_t *covered = NULL;
    int rc = rbuf_u32(r, &version, "pipeline version", err);
    if (!rc && version != FORMAT_VERSION)
        rc = ml_err(err, ML_EFORMAT, "pipeline section version %u is not supported", version);
    if (!rc)
        rc = schema_read(r, &p->inputs, err);
    if (!rc)
        rc = read_strings(r, &p->nderived, &p->derived_names, &p->derived_texts, NULL,
                          "pipeline derived column", err);
    if (!rc)
        rc = read_strings(r, &p->noutputs, &p->out_names, NULL, &p->out_native, "pipeline output",
                          err);
    if (!rc)
        rc = read_strings(r, &p->ndropped, &p->dropped_names, &p->dropped_why, NULL,
                          "pipeline dropped feature", err);
    if (!rc && (rc = fp_compile_derived(p, err)))
        rc = ml_err(err, ML_EFORMAT, "pipeline section: %s", err->message);
    size_t nops = 0;
    if (!rc)
        rc = rbuf_count(r, MAX_COUNT, 16, &nops, "pipeline ops", err);
    if (!rc && (!(p->ops = calloc(nops ? nops : 1, sizeof *p->ops)) ||
                !(covered = calloc(p->noutputs ? p->noutputs : 1, 1))))
        rc = ml_err(err, ML_ENOMEM, "out of memory reading the pipeline");
    for (size_t o = 0; o < nops && !rc; o++, p->nops++)
        rc = read_op(r, p, &p->ops[o], covered, err);
    for (size_t k = 0; k < p->noutputs && !rc; k++)
        if (!covered[k])
            rc = bad(err, "an output is written by no op");
    free(covered);
    if (rc) {
        fp_free(p);
        return rc;
    }
    *out = p;
    return ML_OK;
}

/* ---- description ------------------------------------------------------------------------ */

static const char *encode_name(uint8_t e)
{
    static const char *names[] = {"onehot", "ordinal", "frequency", "target", "native"};
    return e < 5 ? names[e] : "?";
}

/* A number, or null where JSON has none (NaN, infinities). */
static json_t *number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *op_steps(const fp_op *op)
{
    json_t *steps = json_array();
    if (op->kind != FP_OP_NUMERIC) {
        json_array_append_new(steps, json_pack("{s:s}", "encode", encode_name(op->encode)));
        if (!isnan(op->fill_code))
            json_array_append_new(steps, json_pack("{s:s}", "impute", "category"));
        return steps;
    }
    if (op->clip)
        json_array_append_new(steps,
                              json_pack("{s:[o,o]}", "clip", number(op->lo), number(op->hi)));
    if (op->log1p)
        json_array_append_new(steps, json_pack("{s:b}", "log1p", 1));
    if (!isnan(op->fill))
        json_array_append_new(steps, json_pack("{s:o}", "impute", number(op->fill)));
    if (op->scale)
        json_array_append_new(steps, json_pack("{s:o,s:o}", "center", number(op->center), "divisor",
                                               number(op->divisor)));
    if (op->bins)
        json_array_append_new(steps, json_pack("{s:i}", "bins", (int)op->nedges - 1));
    return steps;
}

json_t *fp_describe(const fp_pipeline *p)
{
    json_t *features = json_array(), *dropped = json_array(), *derived = json_array();
    for (size_t k = 0; k < p->noutputs; k++) {
        for (size_t o = 0; o < p->nops; o++) {
            const fp_op *op = &p->ops[o];
            bool mine = op->slot == (int32_t)k || op->indicator_slot == (int32_t)k ||
                        op->other_slot == (int32_t)k;
            size_t ns = op->kind == FP_OP_ONEHOT   ? op->ncodes
                        : op->kind == FP_OP_LOOKUP ? op->width
                                                   : 0;
            for (size_t s = 0; s < ns && !mine; s++)
                mine = op->slots[s] == (int32_t)k;
            if (!mine)
                continue;
            json_array_append_new(features,
                                  json_pack("{s:s,s:s,s:o}", "name", p->out_names[k], "from",
                                            fp_working_name(p, op->src), "steps",
                                            op->indicator_slot == (int32_t)k
                                                ? json_pack("[{s:b}]", "missing_indicator", 1)
                                                : op_steps(op)));
            break;
        }
    }
    for (size_t k = 0; k < p->ndropped; k++)
        json_array_append_new(
            dropped, json_pack("{s:s,s:s}", "name", p->dropped_names[k], "why", p->dropped_why[k]));
    for (size_t d = 0; d < p->nderived; d++)
        json_array_append_new(derived, json_pack("{s:s,s:s}", "name", p->derived_names[d], "expr",
                                                 p->derived_texts[d]));
    json_t *inputs = json_array();
    for (size_t j = 0; j < p->inputs->nfeatures; j++)
        json_array_append_new(inputs, json_string(p->inputs->features[j].name));
    return json_pack("{s:o,s:o,s:o,s:o}", "inputs", inputs, "derived", derived, "features",
                     features, "dropped", dropped);
}
