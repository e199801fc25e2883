/*
 * profile.h — a per-column statistical summary of a table: what
 * `mloop data profile` prints, and the reference a model artifact carries
 * so that drift can be measured against the training data later.
 *
 * Per column: type, count (rows), nulls, distinct (exact up to
 * PROF_EXACT_DISTINCT_LIMIT values, then a HyperLogLog estimate, flagged),
 * for numeric/date/timestamp columns min, max, mean, std (sample, n-1) and
 * the quantiles p1 p5 p25 p50 p75 p95 p99 (linear interpolation, as numpy's
 * default) and an equal-width histogram; for string and bool columns the
 * top categories with counts (ties broken by value, so output is stable).
 *
 * A profile is a plain value: it serializes to a stable little-endian
 * binary form (magic, format version, checked lengths; the loader trusts
 * nothing) and to JSON, and both read back to an equal profile.
 */
#ifndef ML_DATA_PROFILE_H
#define ML_DATA_PROFILE_H

#include "data/table.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROF_EXACT_DISTINCT_LIMIT 100000
#define PROF_QUANTILE_COUNT 7 /* p1 p5 p25 p50 p75 p95 p99 */
#define PROF_TOP_MAX 10
#define PROF_HIST_BINS 20

extern const double prof_quantile_levels[PROF_QUANTILE_COUNT];

typedef struct prof_category {
    char *value; /* string value, or "true"/"false" */
    uint64_t count;
} prof_category;

typedef struct prof_column {
    char *name;
    tbl_type type;
    uint64_t count;    /* rows */
    uint64_t nulls;    /* a NaN in a float column counts as a null */
    uint64_t distinct; /* non-null values; estimated past PROF_EXACT_DISTINCT_LIMIT */
    bool distinct_estimated;
    /* numeric, date (days) and timestamp (microseconds) columns, over non-null values */
    bool has_stats;
    double min, max, mean, std; /* std: sample (n − 1), NaN for a single value */
    double quantiles[PROF_QUANTILE_COUNT];
    uint32_t hist_bins;      /* 0 when there is no histogram */
    double hist_lo, hist_hi; /* bin i covers [lo + i·w, lo + (i+1)·w), the last one closed */
    uint64_t hist_counts[PROF_HIST_BINS];
    /* string and bool columns */
    uint32_t top_count;
    prof_category top[PROF_TOP_MAX];
    uint64_t other_count; /* non-null values outside the top categories */
} prof_column;

typedef struct prof_profile {
    uint64_t rows;
    uint32_t ncols;
    prof_column *cols;
} prof_profile;

int prof_compute(const tbl_table *t, prof_profile **out, ml_error *err);
void prof_free(prof_profile *p);

/* Above this many non-null values in one column, the quantiles of a
 * numeric, date or timestamp column come from a uniform sample of this many
 * values (fixed seed, so still deterministic); count, nulls, distinct, min,
 * max, mean, std and the histogram always see every value. */
#define PROF_SAMPLE_MAX 10000000

typedef struct prof_options {
    size_t sample_max; /* 0: PROF_SAMPLE_MAX */
} prof_options;

/* prof_compute with options (opts may be NULL: the defaults). */
int prof_compute_ex(const tbl_table *t, const prof_options *opts, prof_profile **out,
                    ml_error *err);

/* JSON object {"rows":…, "columns":[{…}, …]}; NULL on out of memory.
 * Finite doubles are JSON numbers (dump with JSON_REAL_PRECISION(17) to keep
 * every bit); NaN and the infinities, which JSON lacks, are the strings
 * "nan", "inf" and "-inf".  prof_from_json names the offending field path
 * in its errors ("columns[3].quantiles.p50: expected a number"). */
json_t *prof_to_json(const prof_profile *p);
int prof_from_json(const json_t *j, prof_profile **out, ml_error *err);

/* Stable binary form (malloc'd buffer): the 8-byte magic "MLPROF\0\0", a
 * u32 format version, then the fields (layout in profile.c).  Readers keep
 * loading every older version. */
#define PROF_FORMAT_VERSION 1
#define PROF_MAX_COLUMNS 1000000
#define PROF_MAX_STRING (1u << 20) /* bytes of one name or category */
int prof_serialize(const prof_profile *p, uint8_t **buf, size_t *len, ml_error *err);
int prof_deserialize(const uint8_t *buf, size_t len, prof_profile **out, ml_error *err);

/* True when both describe the same thing (floats compared exactly). */
bool prof_equal(const prof_profile *a, const prof_profile *b);

/* Human-readable tables (one summary row per column, then top categories). */
void prof_print(const prof_profile *p, const char *source, FILE *out);

#endif
