/*
 * options.h — what a workflow asks of the feature pipeline, before anything
 * is fitted: per-type defaults, per-column overrides, derived columns and
 * feature selection.  The workflow parser (workflow/spec.c) fills it; the
 * pipeline (features/pipeline.c) fits a pipeline from it.
 *
 * Contract
 *  - Plain data, owned by whoever filled it; fp_options_free releases the
 *    strings and arrays.  fp_options_init gives the defaults listed below.
 *  - A per-column override (fp_column_opts) only changes the fields whose
 *    FP_SET_* bit is set in `set`; the others come from the type's defaults.
 *  - `line` fields hold the workflow file's line of the key (0 when the
 *    option did not come from a file) so that errors found while fitting
 *    (a column that does not exist, a bad expression) can name it.
 *  - The enums are written to artifacts: append only.
 */
#ifndef ML_FEATURES_OPTIONS_H
#define ML_FEATURES_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum fp_impute {
    FP_IMPUTE_NONE = 0, /* leave missing values missing (trees handle NaN) */
    FP_IMPUTE_MEAN = 1,
    FP_IMPUTE_MEDIAN = 2,
    FP_IMPUTE_CONSTANT = 3,      /* numeric: `value`; categorical: `fill_value` */
    FP_IMPUTE_MOST_FREQUENT = 4, /* categorical (and numeric: the mode) */
} fp_impute;

/* Bounds that collapse to one value (an IQR of 0, as for a 0/1 flag) clip
 * nothing: clipping would make the column constant. */
typedef enum fp_clip {
    FP_CLIP_NONE = 0,
    FP_CLIP_IQR = 1,      /* [q1 - k*iqr, q3 + k*iqr] */
    FP_CLIP_ZSCORE = 2,   /* [mean - k*std, mean + k*std] (population std) */
    FP_CLIP_QUANTILE = 3, /* [quantile(low), quantile(high)] */
} fp_clip;

typedef enum fp_outlier_action {
    FP_OUTLIER_CLIP = 0, /* clamp into the bounds, at training and at predict */
    FP_OUTLIER_DROP = 1, /* drop training rows outside the bounds; predict clamps nothing */
} fp_outlier_action;

typedef enum fp_scale {
    FP_SCALE_NONE = 0,
    FP_SCALE_STANDARD = 1, /* (x - mean) / std, population std; std 0 → 1 */
    FP_SCALE_MINMAX = 2,   /* (x - min) / (max - min); range 0 → 1 */
    FP_SCALE_ROBUST = 3,   /* (x - median) / (q75 - q25); iqr 0 → 1 */
} fp_scale;

typedef enum fp_bins {
    FP_BINS_NONE = 0,
    FP_BINS_QUANTILE = 1, /* KBinsDiscretizer(strategy="quantile", encode="ordinal") */
    FP_BINS_UNIFORM = 2,  /* KBinsDiscretizer(strategy="uniform", encode="ordinal") */
} fp_bins;

typedef enum fp_encode {
    FP_ENCODE_ONEHOT = 0,
    FP_ENCODE_ORDINAL = 1,   /* sorted categories → 0..n-1; unknown → missing */
    FP_ENCODE_FREQUENCY = 2, /* share of training rows; unknown → 0 */
    FP_ENCODE_TARGET = 3,    /* smoothed target mean, out-of-fold on training rows */
    FP_ENCODE_NATIVE = 4,    /* passed to the model as a categorical input */
} fp_encode;

typedef enum fp_unknown {
    FP_UNKNOWN_ZEROS = 0, /* one-hot: an unseen category sets no column */
    FP_UNKNOWN_OTHER = 1, /* one-hot: an unseen category sets the "other" column */
} fp_unknown;

typedef enum fp_kind {
    FP_KIND_AUTO = 0, /* from the column's type: string → categorical, date/timestamp → datetime */
    FP_KIND_NUMERIC = 1,
    FP_KIND_CATEGORICAL = 2,
    FP_KIND_DATETIME = 3,
} fp_kind;

/* Datetime parts, a bit each. */
enum {
    FP_DT_YEAR = 1u << 0,
    FP_DT_MONTH = 1u << 1,
    FP_DT_DAY = 1u << 2,
    FP_DT_DAYOFWEEK = 1u << 3, /* Monday 0 … Sunday 6 (pandas' dayofweek) */
    FP_DT_HOUR = 1u << 4,
    FP_DT_EPOCH_DAYS = 1u << 5, /* days since 1970-01-01, fractional for timestamps */
};

/* Which fields of an fp_column_opts were given (per-column overrides). */
enum {
    FP_SET_KIND = 1u << 0,
    FP_SET_IMPUTE = 1u << 1,        /* impute, impute_value / fill_value */
    FP_SET_MISSING_INDICATOR = 1u << 2,
    FP_SET_CLIP = 1u << 3,          /* clip, clip_k, clip_low, clip_high, outlier_action */
    FP_SET_SCALE = 1u << 4,
    FP_SET_LOG1P = 1u << 5,
    FP_SET_BINS = 1u << 6,          /* bins, nbins */
    FP_SET_ENCODE = 1u << 7,
    FP_SET_MAX_CATEGORIES = 1u << 8,
    FP_SET_MIN_FREQUENCY = 1u << 9,
    FP_SET_UNKNOWN = 1u << 10,
    FP_SET_SMOOTHING = 1u << 11,
    FP_SET_FOLDS = 1u << 12,
    FP_SET_PARTS = 1u << 13,
    FP_SET_CYCLIC = 1u << 14,
};

typedef struct fp_column_opts {
    unsigned set; /* FP_SET_* bits: meaningful for overrides only */
    fp_kind kind;
    /* numeric */
    fp_impute impute;
    double impute_value;    /* FP_IMPUTE_CONSTANT, numeric */
    char *fill_value;       /* FP_IMPUTE_CONSTANT, categorical (malloc'd; default "missing") */
    bool missing_indicator; /* add "<col>_missing" (1 when the input was missing) */
    fp_clip clip;
    double clip_k;                 /* IQR and z-score (default 1.5 and 3) */
    double clip_low, clip_high;    /* FP_CLIP_QUANTILE, in [0, 1] (default 0.01, 0.99) */
    fp_outlier_action outlier_action;
    fp_scale scale;
    bool log1p; /* applied after clipping, before scaling; x <= -1 → missing */
    fp_bins bins;
    int nbins; /* 2..256, default 5 (sklearn's) */
    /* categorical */
    fp_encode encode;
    int max_categories;   /* one-hot: keep the most frequent N (default 50) */
    double min_frequency; /* one-hot: categories rarer than this share go to "other" (default 0) */
    fp_unknown unknown;
    double smoothing; /* target encoding: prior weight m in (n*mean + m*prior)/(n + m) (default 10) */
    int folds;        /* target encoding: out-of-fold folds at training (default 5, >= 2) */
    /* datetime */
    unsigned parts; /* FP_DT_* (default year|month|day|dayofweek|hour|epoch_days) */
    bool cyclic;    /* add sin/cos of month, day of week and hour */
    int line;
} fp_column_opts;

typedef struct fp_column_override {
    char *name;
    fp_column_opts opts;
} fp_column_override;

typedef struct fp_derived {
    char *name;
    char *expr;
    int line;
} fp_derived;

typedef enum fp_select_method {
    FP_SELECT_NONE = 0,
    FP_SELECT_MUTUAL_INFO = 1, /* top_k by mutual information with the target */
    FP_SELECT_IMPORTANCE = 2,  /* fit the model, keep the top_k by importance, refit */
} fp_select_method;

typedef struct fp_select {
    bool drop_constant;     /* default true */
    double near_constant;   /* drop when one value holds at least this share of rows; 0 = off (default) */
    double max_correlation; /* drop one of each pair with |pearson r| above this; 0 = off (default) */
    fp_select_method method;
    int top_k; /* required with a method */
    int line;
} fp_select;

typedef struct fp_options {
    char **drop;
    size_t ndrop;
    char **ids; /* kept for output, never features */
    size_t nids;
    fp_column_opts numeric, categorical, datetime; /* per-type defaults */
    fp_column_override *columns;
    size_t ncolumns;
    fp_derived *derived;
    size_t nderived;
    fp_select select;
    int drop_line, ids_line;
} fp_options;

/* Defaults: numeric impute none (median when the model is linear: the
 * runner decides), no clipping, no scaling; categorical impute none (a
 * missing category is its own level for encoders), encode onehot with 50
 * categories, unknown zeros, smoothing 10, folds 5; datetime all parts,
 * not cyclic; select drop_constant only. */
void fp_options_init(fp_options *o);
void fp_column_opts_init(fp_column_opts *c);
void fp_options_free(fp_options *o);

#endif
