/*
 * options.c — defaults and cleanup for the pipeline's options (options.h).
 */
#include "features/options.h"

#include <stdlib.h>
#include <string.h>

void fp_column_opts_init(fp_column_opts *c)
{
    memset(c, 0, sizeof(*c));
    c->kind = FP_KIND_AUTO;
    c->impute = FP_IMPUTE_NONE;
    c->clip = FP_CLIP_NONE;
    c->clip_k = 1.5;
    c->clip_low = 0.01;
    c->clip_high = 0.99;
    c->outlier_action = FP_OUTLIER_CLIP;
    c->scale = FP_SCALE_NONE;
    c->bins = FP_BINS_NONE;
    c->nbins = 5;
    c->encode = FP_ENCODE_ONEHOT;
    c->max_categories = 50;
    c->min_frequency = 0.0;
    c->unknown = FP_UNKNOWN_ZEROS;
    c->smoothing = 10.0;
    c->folds = 5;
    c->parts = FP_DT_YEAR | FP_DT_MONTH | FP_DT_DAY | FP_DT_DAYOFWEEK | FP_DT_HOUR | FP_DT_EPOCH_DAYS;
    c->cyclic = false;
}

void fp_options_init(fp_options *o)
{
    memset(o, 0, sizeof(*o));
    fp_column_opts_init(&o->numeric);
    fp_column_opts_init(&o->categorical);
    fp_column_opts_init(&o->datetime);
    o->numeric.kind = FP_KIND_NUMERIC;
    o->categorical.kind = FP_KIND_CATEGORICAL;
    o->datetime.kind = FP_KIND_DATETIME;
    o->select.drop_constant = true;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void fp_options_free(fp_options *o)
{
    if (!o)
        return;
    free_strings(o->drop, o->ndrop);
    free_strings(o->ids, o->nids);
    free(o->numeric.fill_value);
    free(o->categorical.fill_value);
    free(o->datetime.fill_value);
    for (size_t i = 0; i < o->ncolumns; i++) {
        free(o->columns[i].name);
        free(o->columns[i].opts.fill_value);
    }
    free(o->columns);
    for (size_t i = 0; i < o->nderived; i++) {
        free(o->derived[i].name);
        free(o->derived[i].expr);
    }
    free(o->derived);
    memset(o, 0, sizeof(*o));
}
