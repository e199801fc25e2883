/*
 * profile.c — per-column statistics of a table, and their JSON and binary
 * forms.
 *
 * Computing
 *  Columns are independent, so prof_compute hands one column at a time to
 *  OpenMP threads (`parallel for schedule(dynamic)`: a string column with a
 *  few codes finishes long before a float column that must be sorted, and
 *  dynamic scheduling keeps every core busy).  Each column is computed
 *  serially in a fixed order, so results never depend on the thread count.
 *
 *  - Numeric, date and timestamp columns.  The non-null values (a float NaN
 *    counts as a null) are copied once as order-preserving uint64 keys (the
 *    IEEE bits with the sign handled for floats, -0 folded into +0; the sign
 *    bit flipped for integers) and sorted by an MSD radix sort that looks
 *    only at the bits where the keys of a range still differ (an AND/OR
 *    pass), scatters on up to 11 of them and recurses into buckets that by
 *    then fit in cache, ending in insertion sorts of at most 32 keys.  Small
 *    integer ranges take one scatter; random doubles two or three, against
 *    six passes over the whole column for the LSD sort this replaced (about
 *    1.6× faster on 1M random doubles).  One sort per column gives the
 *    quantiles, min and max, and an exact distinct count by adjacent
 *    comparison (no hash set).  The keys are then decoded to doubles
 *    and mean, std and the histogram are taken over the sorted values:
 *    summing in sorted order makes the profile independent of row order, so
 *    the same data read from CSV, SQLite or PostgreSQL profiles to the bit.
 *    The mean uses Neumaier-compensated summation; std is the corrected
 *    two-pass formula var = (Σd² − (Σd)²/n)/(n−1), d = x − mean, each sum
 *    compensated, which stays accurate for timestamps (µs ≈ 1.7e15) where a
 *    naive Σx² keeps no digit.  std of a single value is NaN (undefined, as
 *    numpy's ddof=1).  Quantiles repeat numpy's default 'linear' method
 *    operation for operation (virtual index (n−1)·q, its lerp that
 *    interpolates from the nearer end), and the histogram repeats
 *    np.histogram's bin assignment (edges as np.linspace, the ±1 correction
 *    at edges, the last bin closed) so both agree with numpy to the bit.
 *    A histogram needs a finite range; a constant column gets one bin.
 *  - Past PROF_SAMPLE_MAX non-null values (default 10M; prof_compute_ex can
 *    lower it) the copy and sort would cost 16 bytes a value per thread.
 *    Instead the column is streamed in chunks: a count pass, a pass for
 *    min/max/sum that also draws a uniform sample of sample_max keys with
 *    Knuth's selection sampling (Algorithm S, fixed seed: deterministic) and
 *    feeds the distinct counters, and a pass for the deviations and the
 *    histogram.  Only the quantiles come from the sample; every other field
 *    sees every value.  Distinct counting there uses a hash set of keys that
 *    gives up at the exact limit, with the HyperLogLog sketch fed alongside.
 *  - Distinct beyond PROF_EXACT_DISTINCT_LIMIT is reported as a HyperLogLog
 *    estimate flagged distinct_estimated: p = 14 (16 KiB of registers, about
 *    0.8% standard error), XXH3 over a key's 8 little-endian bytes or a
 *    string's text, and Ertl's improved estimator (2017), which needs no
 *    bias tables and no switch to linear counting.  For a fully sorted
 *    column the exact count is at hand, but the rule stays the same for
 *    every column type and size (a sampled column cannot count exactly).
 *    The estimate is clamped to (limit, non-null count].
 *  - String columns are counted by dictionary code in an array of counters:
 *    no text is hashed or compared except to break ties; distinct is the
 *    number of codes that occur.  The top categories live in a 10-slot
 *    insertion list (count descending, then bytewise value ascending), so a
 *    candidate that cannot enter costs one comparison.  Bools are two
 *    counters, categories "false" and "true".
 *
 * Serializing
 *  JSON (jansson) is the form people and the CLI read; non-finite doubles,
 *  which JSON lacks, are the strings "nan", "inf", "-inf".  The binary form
 *  is for artifacts: little-endian, fixed field order, doubles as their
 *  IEEE-754 bits.  Version 1:
 *
 *    "MLPROF\0\0"   u32 version   u64 rows   u32 ncols
 *    per column:    u32 name_len, name bytes (no NUL)   u32 type
 *                   u64 count   u64 nulls   u64 distinct
 *                   u8 distinct_estimated   u8 has_stats
 *                   [has_stats]  f64 min max mean std, f64 quantiles[7]
 *                   u32 hist_bins   [hist_bins > 0]  f64 lo hi, u64 counts[hist_bins]
 *                   u32 top_count   per category: u32 len, bytes, u64 count
 *                   u64 other_count
 *
 *  The reader trusts nothing: every length is checked against the bytes
 *  left and every count against its cap before anything is allocated (a
 *  column count must also fit in the bytes left at 50 bytes a column), and
 *  each error says which field at which byte offset.  A later version adds
 *  a layout and keeps this reader for version 1 files.
 *
 *  Fields without meaning (the stats when has_stats is false, histogram
 *  counts past hist_bins, categories past top_count) are zero in computed
 *  and loaded profiles, are not serialized, and prof_equal ignores them.
 *
 * Printing
 *  prof_print writes a summary table (column type nulls distinct min mean
 *  max), a quantile table (std, p1 … p99) and the top categories, aligned
 *  by display width (UTF-8 code points), names and categories cut to 24
 *  columns with an ellipsis, category lists wrapped at 100 columns.  Numbers
 *  use %.6g (an int column's min and max in full), dates ISO dates,
 *  timestamps ISO text cut to the second, and a temporal std a duration
 *  ("3.5d").  Quantile rows with cells wider than 12 columns (timestamps
 *  within ten days of each other) are listed as wrapped "p50 …" items
 *  instead of widening the table past a 120-column terminal.  Everything is
 *  formatted under a thread-local C locale (uselocale), so a host program's
 *  setlocale never turns a '.' into a ','.
 *
 * Speed: 1M rows × 32 mixed columns (12 float, 8 int, 4 timestamp with
 * nulls, 4 string, 4 bool) take about 1.4 s of CPU in all, so about 0.7 s
 * on two cores; the radix sorts are about half of it, memory-bound in their
 * scatter passes.
 */
#include "data/profile.h"

#include "core/rng.h"
#include "data/value.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL /* an 8-byte key hashes in a few instructions, without a call */
#include <xxhash.h>

const double prof_quantile_levels[PROF_QUANTILE_COUNT] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
static const char *const quantile_names[PROF_QUANTILE_COUNT] = {"p1",  "p5",  "p25", "p50",
                                                                "p75", "p95", "p99"};
static const uint8_t prof_magic[8] = {'M', 'L', 'P', 'R', 'O', 'F', 0, 0};

#define MSG_SIZE 256
#define SAMPLE_SEED UINT64_C(0x6d6c6f6f70726f66) /* "mlooprof" */

static char *dup_bytes(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static bool is_temporal(tbl_type type)
{
    return type == TBL_DATE || type == TBL_TIMESTAMP;
}

/* ---- order-preserving keys and the radix sort ----------------------------- */

#define SIGN_BIT (UINT64_C(1) << 63)

static inline uint64_t f64_key(double v)
{
    uint64_t u;
    if (v == 0)
        v = 0; /* -0 and +0 are one value */
    memcpy(&u, &v, sizeof u);
    return (u & SIGN_BIT) ? ~u : u | SIGN_BIT;
}

static inline uint64_t i64_key(int64_t v)
{
    return (uint64_t)v ^ SIGN_BIT;
}

static inline double key_value(uint64_t k, tbl_type type)
{
    if (type == TBL_F64) {
        uint64_t u = (k & SIGN_BIT) ? k & ~SIGN_BIT : ~k;
        double v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    return (double)(int64_t)(k ^ SIGN_BIT);
}

/* Keys of the non-null values of rows [begin, end) into out (at most cap of
 * them); NaNs are skipped and counted in *nan.  Returns how many values there
 * were: more than cap only if the column's null_count is wrong. */
static size_t gather_keys(const tbl_column *c, size_t begin, size_t end, uint64_t *restrict out,
                          size_t cap, uint64_t *nan)
{
    const uint8_t *nulls = c->nulls;
    size_t k = 0;
#define GATHER(KEY)                                                                                \
    for (size_t i = begin; i < end; i++) {                                                         \
        if (nulls && nulls[i])                                                                     \
            continue;                                                                              \
        if (k < cap)                                                                               \
            out[k] = (KEY);                                                                        \
        k++;                                                                                       \
    }
    switch (c->type) {
    case TBL_F64:
        for (size_t i = begin; i < end; i++) {
            if (nulls && nulls[i])
                continue;
            double v = c->data.f64[i];
            if (isnan(v)) {
                (*nan)++;
                continue;
            }
            if (k < cap)
                out[k] = f64_key(v);
            k++;
        }
        break;
    case TBL_I64:
    case TBL_TIMESTAMP:
        GATHER(i64_key(c->data.i64[i]))
        break;
    case TBL_DATE:
        GATHER(i64_key(c->data.date[i]))
        break;
    default:
        break;
    }
#undef GATHER
    return k;
}

static void insertion_sort(uint64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t k = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > k; j--)
            a[j] = a[j - 1];
        a[j] = k;
    }
}

enum { MSD_SMALL = 32, MSD_MAX_BITS = 11 };

/* MSD radix sort of a[0..n), t[0..n) being scratch; the result lands in t
 * when out_in_t, else in a.  Each level looks only at the bits where the
 * keys still differ (one AND/OR pass), takes the next few of them as the
 * digit (about n/8 buckets, at most 2^11) and scatters into t; a bucket is
 * then small enough to be sorted in cache, by recursion with the roles of
 * a and t swapped.  Every level consumes at least two bits, so the depth is
 * at most 32 frames of 16 KiB, and under 8 for real data. */
static void msd_sort(uint64_t *restrict a, uint64_t *restrict t, size_t n, bool out_in_t)
{
    if (n <= MSD_SMALL) {
        insertion_sort(a, n);
        if (out_in_t)
            memcpy(t, a, n * sizeof *a);
        return;
    }
    uint64_t all_and = ~UINT64_C(0), all_or = 0;
    for (size_t i = 0; i < n; i++) {
        all_and &= a[i];
        all_or |= a[i];
    }
    uint64_t diff = all_and ^ all_or;
    if (diff == 0) { /* every key equal */
        if (out_in_t)
            memcpy(t, a, n * sizeof *a);
        return;
    }
    unsigned top = 64 - (unsigned)__builtin_clzll(diff); /* bits [0, top) differ somewhere */
    unsigned bits = 63 - (unsigned)__builtin_clzll((uint64_t)n) - 3; /* about 8 keys a bucket */
    if (bits > MSD_MAX_BITS)
        bits = MSD_MAX_BITS;
    if (bits > top)
        bits = top;
    unsigned shift = top - bits;
    size_t mask = ((size_t)1 << bits) - 1;
    size_t pos[(size_t)1 << MSD_MAX_BITS];
    memset(pos, 0, (mask + 1) * sizeof *pos);
    for (size_t i = 0; i < n; i++)
        pos[(a[i] >> shift) & mask]++;
    size_t sum = 0;
    for (size_t d = 0; d <= mask; d++) {
        size_t c = pos[d];
        pos[d] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i];
        t[pos[(k >> shift) & mask]++] = k;
    }
    /* pos[d] is now the end of bucket d in t */
    for (size_t d = 0, begin = 0; d <= mask; begin = pos[d], d++)
        if (pos[d] > begin)
            msd_sort(t + begin, a + begin, pos[d] - begin, !out_in_t);
}

/* Sorts a[0..n) ascending; tmp holds n keys of scratch. */
static int sort_keys(uint64_t *restrict a, uint64_t *restrict tmp, size_t n)
{
    msd_sort(a, tmp, n, false);
    return ML_OK;
}

/* ---- distinct counting: HyperLogLog and a capped hash set ------------------ */

#define HLL_P 14
#define HLL_M (1u << HLL_P)
#define HLL_Q (64 - HLL_P)

static inline uint64_t hash_key(uint64_t k)
{
    /* the key's little-endian bytes, so estimates agree across hosts (a
     * byte-by-byte copy would stall on store forwarding in this hot loop) */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    k = __builtin_bswap64(k);
#endif
    return XXH3_64bits(&k, sizeof k);
}

static inline void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> HLL_Q);
    uint64_t w = h << HLL_P; /* the other q bits, at the top */
    uint8_t rho = w ? (uint8_t)(__builtin_clzll(w) + 1) : (uint8_t)(HLL_Q + 1);
    if (reg[idx] < rho)
        reg[idx] = rho;
}

static double hll_sigma(double x)
{
    if (x == 1)
        return INFINITY;
    double y = 1, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0 || x == 1)
        return 0;
    double y = 1, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1 - x) * (1 - x) * y;
    } while (z != prev);
    return z / 3;
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches". */
static double hll_estimate(const uint8_t *reg)
{
    uint32_t c[HLL_Q + 2] = {0};
    for (uint32_t i = 0; i < HLL_M; i++)
        c[reg[i]]++;
    double m = HLL_M;
    double z = m * hll_tau(1 - c[HLL_Q + 1] / m);
    for (int k = HLL_Q; k >= 1; k--)
        z = 0.5 * (z + c[k]);
    z += m * hll_sigma(c[0] / m);
    return m * m / (2 * log(2)) / z;
}

static uint64_t clamp_estimate(double est, uint64_t nonnull)
{
    uint64_t e = est >= (double)nonnull ? nonnull : (uint64_t)llround(est);
    if (e <= PROF_EXACT_DISTINCT_LIMIT)
        e = PROF_EXACT_DISTINCT_LIMIT + 1;
    return e > nonnull ? nonnull : e;
}

#define KSET_SLOTS (1u << 18) /* > 2 × PROF_EXACT_DISTINCT_LIMIT */

typedef struct kset {
    uint64_t *keys;
    uint8_t *used;
    size_t n;
    bool full;
} kset;

static void kset_add(kset *s, uint64_t h, uint64_t key)
{
    if (s->full)
        return;
    size_t i = h & (KSET_SLOTS - 1);
    while (s->used[i]) {
        if (s->keys[i] == key)
            return;
        i = (i + 1) & (KSET_SLOTS - 1);
    }
    if (s->n == PROF_EXACT_DISTINCT_LIMIT) {
        s->full = true;
        return;
    }
    s->used[i] = 1;
    s->keys[i] = key;
    s->n++;
}

/* ---- numeric statistics ------------------------------------------------------ */

typedef struct ksum {
    double s, c;
} ksum;

static inline void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static inline double ksum_get(const ksum *k)
{
    return isfinite(k->s) ? k->s + k->c : k->s;
}

typedef struct hist_geo {
    uint32_t bins; /* 0: no histogram */
    double lo, hi, norm;
    double edges[PROF_HIST_BINS + 1];
} hist_geo;

/* Bin edges as np.linspace(lo, hi, bins + 1) computes them. */
static void hist_setup(hist_geo *g, double lo, double hi)
{
    memset(g, 0, sizeof *g);
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo))
        return;
    g->lo = lo;
    g->hi = hi;
    if (lo == hi) {
        g->bins = 1;
        return;
    }
    g->bins = PROF_HIST_BINS;
    g->norm = PROF_HIST_BINS / (hi - lo);
    double step = (hi - lo) / PROF_HIST_BINS;
    for (int i = 0; i < PROF_HIST_BINS; i++)
        g->edges[i] = (double)i * step + lo;
    g->edges[PROF_HIST_BINS] = hi;
}

/* np.histogram's assignment: scale, truncate, then fix the ±1 ulp cases. */
static inline uint32_t hist_bin(const hist_geo *g, double x)
{
    if (g->bins == 1)
        return 0;
    double f = (x - g->lo) * g->norm;
    int i = f >= PROF_HIST_BINS ? PROF_HIST_BINS - 1 : f > 0 ? (int)f : 0;
    if (i > 0 && x < g->edges[i])
        i--;
    if (i < PROF_HIST_BINS - 1 && x >= g->edges[i + 1])
        i++;
    return (uint32_t)i;
}

typedef struct num_acc {
    uint64_t n;
    double min, max, mean;
    ksum sum, dev, dev2;
    hist_geo geo;
    uint64_t hist[PROF_HIST_BINS];
} num_acc;

static void acc_init(num_acc *a)
{
    memset(a, 0, sizeof *a);
    a->min = INFINITY;
    a->max = -INFINITY;
}

static void acc_pass1(num_acc *a, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (x < a->min)
            a->min = x;
        if (x > a->max)
            a->max = x;
        ksum_add(&a->sum, x);
    }
    a->n += n;
}

static void acc_finish1(num_acc *a)
{
    a->mean = ksum_get(&a->sum) / (double)a->n;
    if (a->mean < a->min) /* rounding never leaves the range */
        a->mean = a->min;
    if (a->mean > a->max)
        a->mean = a->max;
    hist_setup(&a->geo, a->min, a->max);
}

static void acc_pass2(num_acc *a, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double d = v[i] - a->mean;
        ksum_add(&a->dev, d);
        ksum_add(&a->dev2, d * d);
        if (a->geo.bins)
            a->hist[hist_bin(&a->geo, v[i])]++;
    }
}

static void acc_store(const num_acc *a, prof_column *pc)
{
    pc->has_stats = true;
    pc->min = a->min;
    pc->max = a->max;
    pc->mean = a->mean;
    if (a->n < 2) {
        pc->std = NAN;
    } else {
        double n = (double)a->n, s1 = ksum_get(&a->dev);
        double var = (ksum_get(&a->dev2) - s1 * s1 / n) / (n - 1);
        pc->std = isnan(var) ? var : sqrt(var > 0 ? var : 0);
    }
    pc->hist_bins = a->geo.bins;
    if (a->geo.bins) {
        pc->hist_lo = a->geo.lo;
        pc->hist_hi = a->geo.hi;
        memcpy(pc->hist_counts, a->hist, sizeof pc->hist_counts);
    }
}

/* numpy's 'linear' quantile of sorted x[0..n), n > 0, step for step. */
static double quantile_linear(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    if (h >= (double)(n - 1))
        return x[n - 1];
    double lo = floor(h), g = h - lo;
    size_t i = (size_t)lo;
    double a = x[i], b = x[i + 1], d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

static void store_quantiles(prof_column *pc, const double *sorted, size_t n)
{
    for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
        pc->quantiles[q] = quantile_linear(sorted, n, prof_quantile_levels[q]);
}

static int inconsistent_nulls(const tbl_column *c, char *msg)
{
    snprintf(msg, MSG_SIZE, "column '%s': its null count (%zu) disagrees with its null mask",
             c->name, c->null_count);
    return ML_EINTERNAL;
}

/* Every non-null value is copied, sorted and used. */
static int numeric_full(const tbl_column *c, size_t nrows, size_t cap, prof_column *pc, char *msg)
{
    int rc = ML_OK;
    uint64_t *keys = malloc(cap * sizeof *keys);
    void *tmp = malloc(cap * sizeof(uint64_t)); /* sort scratch, then the decoded values */
    uint8_t *reg = NULL;
    if (!keys || !tmp) {
        rc = ML_ENOMEM;
        goto done;
    }
    uint64_t nan = 0;
    size_t n = gather_keys(c, 0, nrows, keys, cap, &nan);
    if (n > cap) {
        rc = inconsistent_nulls(c, msg);
        goto done;
    }
    pc->nulls = nrows - n;
    if (n == 0)
        goto done;
    if ((rc = sort_keys(keys, tmp, n)))
        goto done;

    uint64_t distinct = 1;
    for (size_t i = 1; i < n; i++)
        distinct += keys[i] != keys[i - 1];
    if (distinct > PROF_EXACT_DISTINCT_LIMIT) {
        if (!(reg = calloc(HLL_M, 1))) {
            rc = ML_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (i == 0 || keys[i] != keys[i - 1])
                hll_add(reg, hash_key(keys[i]));
        pc->distinct = clamp_estimate(hll_estimate(reg), n);
        pc->distinct_estimated = true;
    } else {
        pc->distinct = distinct;
    }

    double *vals = tmp; /* the scratch is free again */
    for (size_t i = 0; i < n; i++)
        vals[i] = key_value(keys[i], c->type);
    num_acc acc;
    acc_init(&acc);
    acc_pass1(&acc, vals, n);
    acc_finish1(&acc);
    acc_pass2(&acc, vals, n);
    acc_store(&acc, pc);
    store_quantiles(pc, vals, n);
done:
    free(keys);
    free(tmp);
    free(reg);
    return rc;
}

enum { CHUNK_ROWS = 4096 };

/* Streams the column; the quantiles come from a sample of sample_max values. */
static int numeric_sampled(const tbl_column *c, size_t nrows, size_t sample_max, prof_column *pc,
                           char *msg)
{
    int rc = ML_OK;
    uint64_t *chunk = malloc(CHUNK_ROWS * sizeof *chunk), *sample = NULL;
    void *tmp = NULL;
    double *vals = malloc(CHUNK_ROWS * sizeof *vals);
    uint8_t *reg = calloc(HLL_M, 1);
    kset set = {.keys = malloc(KSET_SLOTS * sizeof(uint64_t)), .used = calloc(KSET_SLOTS, 1)};
    if (!chunk || !vals || !reg || !set.keys || !set.used) {
        rc = ML_ENOMEM;
        goto done;
    }
    uint64_t n = 0, nan = 0;
    for (size_t b = 0; b < nrows; b += CHUNK_ROWS)
        n += gather_keys(c, b, b + CHUNK_ROWS < nrows ? b + CHUNK_ROWS : nrows, chunk, CHUNK_ROWS,
                         &nan);
    pc->nulls = nrows - n;
    if (n == 0)
        goto done;
    size_t m = n < sample_max ? (size_t)n : sample_max;
    sample = malloc(m * sizeof *sample);
    tmp = malloc(m * sizeof(uint64_t));
    if (!sample || !tmp) {
        rc = ML_ENOMEM;
        goto done;
    }

    ml_rng rng;
    ml_rng_seed(&rng, SAMPLE_SEED);
    uint64_t seen = 0;
    size_t taken = 0;
    num_acc acc;
    acc_init(&acc);
    for (size_t b = 0; b < nrows; b += CHUNK_ROWS) {
        size_t e = b + CHUNK_ROWS < nrows ? b + CHUNK_ROWS : nrows;
        size_t k = gather_keys(c, b, e, chunk, CHUNK_ROWS, &nan);
        for (size_t j = 0; j < k; j++) {
            uint64_t key = chunk[j], h = hash_key(key);
            hll_add(reg, h);
            kset_add(&set, h, key);
            /* Algorithm S: take it with probability (m − taken) / (n − seen). */
            if (taken < m && (double)(n - seen) * ml_rng_uniform(&rng) < (double)(m - taken))
                sample[taken++] = key;
            seen++;
            vals[j] = key_value(key, c->type);
        }
        acc_pass1(&acc, vals, k);
    }
    if (acc.n != n) {
        rc = inconsistent_nulls(c, msg);
        goto done;
    }
    acc_finish1(&acc);
    for (size_t b = 0; b < nrows; b += CHUNK_ROWS) {
        size_t e = b + CHUNK_ROWS < nrows ? b + CHUNK_ROWS : nrows;
        size_t k = gather_keys(c, b, e, chunk, CHUNK_ROWS, &nan);
        for (size_t j = 0; j < k; j++)
            vals[j] = key_value(chunk[j], c->type);
        acc_pass2(&acc, vals, k);
    }
    acc_store(&acc, pc);
    if (set.full) {
        pc->distinct = clamp_estimate(hll_estimate(reg), n);
        pc->distinct_estimated = true;
    } else {
        pc->distinct = set.n;
    }

    if ((rc = sort_keys(sample, tmp, taken)))
        goto done;
    double *svals = tmp;
    for (size_t i = 0; i < taken; i++)
        svals[i] = key_value(sample[i], c->type);
    store_quantiles(pc, svals, taken);
done:
    free(chunk);
    free(vals);
    free(reg);
    free(set.keys);
    free(set.used);
    free(sample);
    free(tmp);
    return rc;
}

/* ---- categories: strings and bools ----------------------------------------- */

typedef struct cand {
    uint64_t count;
    const char *s;
    size_t len;
} cand;

static bool cand_before(const cand *a, const cand *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    return c ? c < 0 : a->len < b->len;
}

static void top_offer(cand *top, uint32_t *k, const cand *x)
{
    if (*k == PROF_TOP_MAX && !cand_before(x, &top[PROF_TOP_MAX - 1]))
        return;
    uint32_t i = *k < PROF_TOP_MAX ? (*k)++ : PROF_TOP_MAX - 1;
    for (; i > 0 && cand_before(x, &top[i - 1]); i--)
        top[i] = top[i - 1];
    top[i] = *x;
}

static int store_top(prof_column *pc, const cand *top, uint32_t k, uint64_t nonnull)
{
    uint64_t in_top = 0;
    for (uint32_t i = 0; i < k; i++) {
        if (!(pc->top[i].value = dup_bytes(top[i].s, top[i].len)))
            return ML_ENOMEM;
        pc->top[i].count = top[i].count;
        pc->top_count = i + 1;
        in_top += top[i].count;
    }
    pc->other_count = nonnull - in_top;
    return ML_OK;
}

static int profile_string(const tbl_column *c, size_t nrows, prof_column *pc, char *msg)
{
    size_t ncodes = c->dict ? tbl_dict_size(c->dict) : 0;
    uint64_t *counts = calloc(ncodes ? ncodes : 1, sizeof *counts);
    uint8_t *reg = NULL;
    if (!counts)
        return ML_ENOMEM;
    int rc = ML_OK;
    const uint8_t *nulls = c->nulls;
    const int32_t *codes = c->data.code;
    uint64_t nonnull = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (nulls && nulls[i])
            continue;
        int32_t code = codes[i];
        if (code < 0 || (size_t)code >= ncodes) {
            snprintf(msg, MSG_SIZE,
                     "column '%s' row %zu: string code %" PRId32
                     " is outside its dictionary of %zu values",
                     c->name, i, code, ncodes);
            rc = ML_EINTERNAL;
            goto done;
        }
        counts[code]++;
        nonnull++;
    }
    pc->nulls = nrows - nonnull;

    cand top[PROF_TOP_MAX];
    uint32_t k = 0;
    uint64_t distinct = 0;
    for (size_t code = 0; code < ncodes; code++) {
        if (!counts[code])
            continue;
        distinct++;
        cand x = {.count = counts[code]};
        x.s = tbl_dict_get(c->dict, (int32_t)code, &x.len);
        top_offer(top, &k, &x);
    }
    if (distinct > PROF_EXACT_DISTINCT_LIMIT) {
        if (!(reg = calloc(HLL_M, 1))) {
            rc = ML_ENOMEM;
            goto done;
        }
        for (size_t code = 0; code < ncodes; code++) {
            if (!counts[code])
                continue;
            size_t len;
            const char *s = tbl_dict_get(c->dict, (int32_t)code, &len);
            hll_add(reg, XXH3_64bits(s, len));
        }
        pc->distinct = clamp_estimate(hll_estimate(reg), nonnull);
        pc->distinct_estimated = true;
    } else {
        pc->distinct = distinct;
    }
    rc = store_top(pc, top, k, nonnull);
done:
    free(counts);
    free(reg);
    return rc;
}

static int profile_bool(const tbl_column *c, size_t nrows, prof_column *pc)
{
    const uint8_t *nulls = c->nulls, *v = c->data.b;
    uint64_t n_true = 0, n_false = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (nulls && nulls[i])
            continue;
        if (v[i])
            n_true++;
        else
            n_false++;
    }
    pc->nulls = nrows - n_true - n_false;
    pc->distinct = (n_true > 0) + (n_false > 0);
    cand top[PROF_TOP_MAX];
    uint32_t k = 0;
    cand f = {n_false, "false", 5}, t = {n_true, "true", 4};
    if (n_false)
        top_offer(top, &k, &f);
    if (n_true)
        top_offer(top, &k, &t);
    return store_top(pc, top, k, n_true + n_false);
}

static int profile_column(const tbl_column *c, size_t nrows, size_t sample_max, prof_column *pc,
                          char *msg)
{
    int rc;
    pc->type = c->type;
    pc->count = nrows;
    switch (c->type) {
    case TBL_F64:
    case TBL_I64:
    case TBL_DATE:
    case TBL_TIMESTAMP: {
        size_t cap = c->null_count < nrows ? nrows - c->null_count : 0;
        if (cap == 0) {
            pc->nulls = nrows;
            return ML_OK;
        }
        rc = cap <= sample_max ? numeric_full(c, nrows, cap, pc, msg)
                               : numeric_sampled(c, nrows, sample_max, pc, msg);
        break;
    }
    case TBL_STR:
        rc = profile_string(c, nrows, pc, msg);
        break;
    case TBL_BOOL:
        rc = profile_bool(c, nrows, pc);
        break;
    default:
        snprintf(msg, MSG_SIZE, "column '%s' has an unknown type (%d)", c->name, (int)c->type);
        return ML_EINTERNAL;
    }
    if (rc == ML_ENOMEM && !msg[0])
        snprintf(msg, MSG_SIZE, "out of memory profiling column '%s' (%zu rows)", c->name, nrows);
    return rc;
}

typedef struct col_status {
    int rc;
    char msg[MSG_SIZE];
} col_status;

int prof_compute_ex(const tbl_table *t, const prof_options *opts, prof_profile **out, ml_error *err)
{
    *out = NULL;
    size_t ncols = tbl_ncols(t), nrows = tbl_nrows(t);
    size_t sample_max = opts && opts->sample_max ? opts->sample_max : PROF_SAMPLE_MAX;
    if (ncols > PROF_MAX_COLUMNS)
        return ml_err(err, ML_ELIMIT, "cannot profile %zu columns: a profile holds at most %d",
                      ncols, PROF_MAX_COLUMNS);
    int rc = ML_OK;
    col_status *st = calloc(ncols ? ncols : 1, sizeof *st);
    prof_profile *p = calloc(1, sizeof *p);
    if (!st || !p || !(p->cols = calloc(ncols ? ncols : 1, sizeof *p->cols))) {
        rc = ml_err(err, ML_ENOMEM, "out of memory profiling %zu columns", ncols);
        goto done;
    }
    p->rows = nrows;
    p->ncols = (uint32_t)ncols;
    for (size_t i = 0; i < ncols; i++) {
        if (!(p->cols[i].name = strdup(tbl_col(t, i)->name))) {
            rc = ml_err(err, ML_ENOMEM, "out of memory profiling %zu columns", ncols);
            goto done;
        }
    }

    long n = (long)ncols;
#pragma omp parallel for schedule(dynamic)
    for (long i = 0; i < n; i++)
        st[i].rc = profile_column(tbl_col(t, (size_t)i), nrows, sample_max, &p->cols[i], st[i].msg);

    for (size_t i = 0; i < ncols && !rc; i++)
        if (st[i].rc)
            rc = ml_err(err, st[i].rc, "%s", st[i].msg);
done:
    free(st);
    if (rc) {
        prof_free(p);
        return rc;
    }
    *out = p;
    return ML_OK;
}

int prof_compute(const tbl_table *t, prof_profile **out, ml_error *err)
{
    return prof_compute_ex(t, NULL, out, err);
}

void prof_free(prof_profile *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; p->cols && i < p->ncols; i++) {
        free(p->cols[i].name);
        for (int j = 0; j < PROF_TOP_MAX; j++)
            free(p->cols[i].top[j].value);
    }
    free(p->cols);
    free(p);
}

/* ---- equality ------------------------------------------------------------------ */

static bool same_f64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

static bool same_str(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

static bool column_equal(const prof_column *a, const prof_column *b)
{
    if (!same_str(a->name, b->name) || a->type != b->type || a->count != b->count ||
        a->nulls != b->nulls || a->distinct != b->distinct ||
        a->distinct_estimated != b->distinct_estimated || a->has_stats != b->has_stats ||
        a->hist_bins != b->hist_bins || a->top_count != b->top_count ||
        a->other_count != b->other_count)
        return false;
    if (a->has_stats) {
        if (!same_f64(a->min, b->min) || !same_f64(a->max, b->max) || !same_f64(a->mean, b->mean) ||
            !same_f64(a->std, b->std))
            return false;
        for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
            if (!same_f64(a->quantiles[q], b->quantiles[q]))
                return false;
    }
    if (a->hist_bins) {
        if (!same_f64(a->hist_lo, b->hist_lo) || !same_f64(a->hist_hi, b->hist_hi))
            return false;
        for (uint32_t i = 0; i < a->hist_bins && i < PROF_HIST_BINS; i++)
            if (a->hist_counts[i] != b->hist_counts[i])
                return false;
    }
    for (uint32_t i = 0; i < a->top_count && i < PROF_TOP_MAX; i++)
        if (!same_str(a->top[i].value, b->top[i].value) || a->top[i].count != b->top[i].count)
            return false;
    return true;
}

bool prof_equal(const prof_profile *a, const prof_profile *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->rows != b->rows || a->ncols != b->ncols)
        return false;
    for (uint32_t i = 0; i < a->ncols; i++)
        if (!column_equal(&a->cols[i], &b->cols[i]))
            return false;
    return true;
}

/* ---- text helpers shared by JSON and printing ------------------------------------- */

/* ISO text of a date (days) or timestamp (µs) statistic; false when it is
 * not a finite value in a printable range. */
static bool temporal_text(tbl_type type, double v, char *buf)
{
    if (!isfinite(v))
        return false;
    if (type == TBL_DATE) {
        if (fabs(v) > 1e8)
            return false;
        val_format_date((int32_t)llround(v), buf);
        return true;
    }
    if (fabs(v) > 9e18)
        return false;
    val_format_timestamp((int64_t)llround(v), buf);
    return true;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

/* ---- JSON out -------------------------------------------------------------------- */

/* A JSON string; text that is not UTF-8 (a database can hand us anything)
 * gets U+FFFD for each bad byte rather than failing the whole profile. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *fixed = malloc(3 * n + 1);
    if (!fixed)
        return NULL;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t k = utf8_seq(p);
        if (k) {
            memcpy(fixed + o, p, k);
            o += k;
            p += k;
        } else {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    fixed[o] = '\0';
    j = json_string(fixed);
    free(fixed);
    return j;
}

static json_t *jdouble(double v)
{
    if (isnan(v))
        return json_string("nan");
    if (isinf(v))
        return json_string(v < 0 ? "-inf" : "inf");
    return json_real(v);
}

static json_t *jcount(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *column_to_json(const prof_column *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "name", jstr(c->name ? c->name : ""));
    bad |= json_object_set_new(o, "type", json_string(tbl_type_name(c->type)));
    bad |= json_object_set_new(o, "count", jcount(c->count));
    bad |= json_object_set_new(o, "nulls", jcount(c->nulls));
    bad |= json_object_set_new(o, "distinct", jcount(c->distinct));
    bad |= json_object_set_new(o, "distinct_estimated", json_boolean(c->distinct_estimated));
    if (c->has_stats) {
        bad |= json_object_set_new(o, "min", jdouble(c->min));
        bad |= json_object_set_new(o, "max", jdouble(c->max));
        char buf[VAL_TEXT_MAX];
        if (is_temporal(c->type) && temporal_text(c->type, c->min, buf))
            bad |= json_object_set_new(o, "min_text", json_string(buf));
        if (is_temporal(c->type) && temporal_text(c->type, c->max, buf))
            bad |= json_object_set_new(o, "max_text", json_string(buf));
        bad |= json_object_set_new(o, "mean", jdouble(c->mean));
        bad |= json_object_set_new(o, "std", jdouble(c->std));
        json_t *q = json_object();
        for (int i = 0; q && i < PROF_QUANTILE_COUNT; i++)
            bad |= json_object_set_new(q, quantile_names[i], jdouble(c->quantiles[i]));
        bad |= json_object_set_new(o, "quantiles", q);
    }
    if (c->hist_bins) {
        json_t *h = json_object(), *counts = json_array();
        if (h) {
            bad |= json_object_set_new(h, "lo", jdouble(c->hist_lo));
            bad |= json_object_set_new(h, "hi", jdouble(c->hist_hi));
        }
        for (uint32_t i = 0; counts && i < c->hist_bins && i < PROF_HIST_BINS; i++)
            bad |= json_array_append_new(counts, jcount(c->hist_counts[i]));
        if (h)
            bad |= json_object_set_new(h, "counts", counts);
        else
            json_decref(counts);
        bad |= json_object_set_new(o, "histogram", h);
    }
    if (c->top_count || c->other_count) {
        json_t *top = json_array();
        for (uint32_t i = 0; top && i < c->top_count && i < PROF_TOP_MAX; i++) {
            json_t *e = json_object();
            if (e) {
                bad |=
                    json_object_set_new(e, "value", jstr(c->top[i].value ? c->top[i].value : ""));
                bad |= json_object_set_new(e, "count", jcount(c->top[i].count));
            }
            bad |= json_array_append_new(top, e);
        }
        bad |= json_object_set_new(o, "top", top);
        bad |= json_object_set_new(o, "other_count", jcount(c->other_count));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *prof_to_json(const prof_profile *p)
{
    json_t *o = json_object(), *cols = json_array();
    int bad = !o || !cols;
    if (o)
        bad |= json_object_set_new(o, "rows", jcount(p->rows));
    for (uint32_t i = 0; cols && !bad && i < p->ncols; i++)
        bad |= json_array_append_new(cols, column_to_json(&p->cols[i]));
    if (o)
        bad |= json_object_set_new(o, "columns", cols);
    else
        json_decref(cols);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- JSON in --------------------------------------------------------------------- */

#define PATH_SIZE 96 /* "columns[N]" (< 40) plus a sub-field */

static int field_err(ml_error *err, const char *path, const char *key, const char *what)
{
    return ml_err(err, ML_EFORMAT, "%s%s%s: %s", path, *path && *key ? "." : "", key, what);
}

static int get_u64(const json_t *o, const char *path, const char *key, bool required, uint64_t *out,
                   ml_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return required ? field_err(err, path, key, "missing") : ML_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return field_err(err, path, key, "expected a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return ML_OK;
}

static int num_value(const json_t *v, const char *path, const char *key, double *out, ml_error *err)
{
    if (!v)
        return field_err(err, path, key, "missing");
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return ML_OK;
    }
    const char *s = json_string_value(v);
    if (s && strcmp(s, "nan") == 0)
        *out = NAN;
    else if (s && strcmp(s, "inf") == 0)
        *out = INFINITY;
    else if (s && strcmp(s, "-inf") == 0)
        *out = -INFINITY;
    else
        return field_err(err, path, key, "expected a number");
    return ML_OK;
}

static int get_f64(const json_t *o, const char *path, const char *key, double *out, ml_error *err)
{
    return num_value(json_object_get(o, key), path, key, out, err);
}

/* A string field as a fresh copy, within the caps the binary form has. */
static int str_value(const json_t *v, const char *path, const char *key, char **out, ml_error *err)
{
    if (!v)
        return field_err(err, path, key, "missing");
    if (!json_is_string(v))
        return field_err(err, path, key, "expected a string");
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len > PROF_MAX_STRING)
        return field_err(err, path, key, "longer than the cap of 1048576 bytes");
    if (memchr(s, 0, len))
        return field_err(err, path, key, "contains a NUL character");
    if (!(*out = dup_bytes(s, len)))
        return ml_err(err, ML_ENOMEM, "out of memory reading the profile");
    return ML_OK;
}

static int stats_from_json(const json_t *o, const char *path, prof_column *c, ml_error *err)
{
    static const char *const keys[] = {"min", "max", "mean", "std", "quantiles"};
    bool any = false;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        any |= json_object_get(o, keys[i]) != NULL;
    if (!any)
        return ML_OK;
    int rc;
    if ((rc = get_f64(o, path, "min", &c->min, err)) ||
        (rc = get_f64(o, path, "max", &c->max, err)) ||
        (rc = get_f64(o, path, "mean", &c->mean, err)) ||
        (rc = get_f64(o, path, "std", &c->std, err)))
        return rc;
    for (int i = 0; i < 2; i++) {
        const char *key = i ? "max_text" : "min_text";
        const json_t *t = json_object_get(o, key);
        if (t && !json_is_string(t))
            return field_err(err, path, key, "expected a string");
    }
    const json_t *q = json_object_get(o, "quantiles");
    if (!q)
        return field_err(err, path, "quantiles", "missing");
    if (!json_is_object(q))
        return field_err(err, path, "quantiles", "expected an object");
    char qpath[PATH_SIZE];
    snprintf(qpath, sizeof qpath, "%s.quantiles", path);
    for (int i = 0; i < PROF_QUANTILE_COUNT; i++)
        if ((rc = get_f64(q, qpath, quantile_names[i], &c->quantiles[i], err)))
            return rc;
    c->has_stats = true;
    return ML_OK;
}

static int hist_from_json(const json_t *o, const char *path, prof_column *c, ml_error *err)
{
    const json_t *h = json_object_get(o, "histogram");
    if (!h)
        return ML_OK;
    if (!json_is_object(h))
        return field_err(err, path, "histogram", "expected an object");
    char hpath[PATH_SIZE];
    snprintf(hpath, sizeof hpath, "%s.histogram", path);
    int rc;
    if ((rc = get_f64(h, hpath, "lo", &c->hist_lo, err)) ||
        (rc = get_f64(h, hpath, "hi", &c->hist_hi, err)))
        return rc;
    const json_t *counts = json_object_get(h, "counts");
    if (!counts)
        return field_err(err, hpath, "counts", "missing");
    if (!json_is_array(counts))
        return field_err(err, hpath, "counts", "expected an array");
    size_t n = json_array_size(counts);
    if (n == 0 || n > PROF_HIST_BINS)
        return field_err(err, hpath, "counts", "expected 1 to 20 bins");
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(counts, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            char key[32];
            snprintf(key, sizeof key, "counts[%zu]", i);
            return field_err(err, hpath, key, "expected a non-negative integer");
        }
        c->hist_counts[i] = (uint64_t)json_integer_value(v);
    }
    c->hist_bins = (uint32_t)n;
    return ML_OK;
}

static int top_from_json(const json_t *o, const char *path, prof_column *c, ml_error *err)
{
    int rc;
    if ((rc = get_u64(o, path, "other_count", false, &c->other_count, err)))
        return rc;
    const json_t *top = json_object_get(o, "top");
    if (!top)
        return ML_OK;
    if (!json_is_array(top))
        return field_err(err, path, "top", "expected an array");
    if (json_array_size(top) > PROF_TOP_MAX)
        return field_err(err, path, "top", "more than 10 categories");
    for (size_t i = 0; i < json_array_size(top); i++) {
        const json_t *e = json_array_get(top, i);
        char epath[PATH_SIZE];
        snprintf(epath, sizeof epath, "%s.top[%zu]", path, i);
        if (!json_is_object(e))
            return ml_err(err, ML_EFORMAT, "%s: expected an object", epath);
        if ((rc = get_u64(e, epath, "count", true, &c->top[i].count, err)) ||
            (rc = str_value(json_object_get(e, "value"), epath, "value", &c->top[i].value, err)))
            return rc;
        c->top_count = (uint32_t)i + 1;
    }
    return ML_OK;
}

static int column_from_json(const json_t *o, size_t index, prof_column *c, ml_error *err)
{
    char path[40];
    snprintf(path, sizeof path, "columns[%zu]", index);
    if (!json_is_object(o))
        return ml_err(err, ML_EFORMAT, "%s: expected an object", path);
    int rc;
    if ((rc = str_value(json_object_get(o, "name"), path, "name", &c->name, err)))
        return rc;
    const json_t *type = json_object_get(o, "type");
    if (!type)
        return field_err(err, path, "type", "missing");
    const char *tname = json_string_value(type);
    if (!tname)
        return field_err(err, path, "type", "expected a string");
    int t = 0;
    while (t < TBL_TYPE_COUNT && strcmp(tname, tbl_type_name((tbl_type)t)) != 0)
        t++;
    if (t == TBL_TYPE_COUNT)
        return field_err(err, path, "type",
                         "unknown type (expected float, int, bool, string, date or timestamp)");
    c->type = (tbl_type)t;
    if ((rc = get_u64(o, path, "count", true, &c->count, err)) ||
        (rc = get_u64(o, path, "nulls", true, &c->nulls, err)) ||
        (rc = get_u64(o, path, "distinct", true, &c->distinct, err)))
        return rc;
    if (c->nulls > c->count)
        return field_err(err, path, "nulls", "exceeds count");
    const json_t *est = json_object_get(o, "distinct_estimated");
    if (!est)
        return field_err(err, path, "distinct_estimated", "missing");
    if (!json_is_boolean(est))
        return field_err(err, path, "distinct_estimated", "expected true or false");
    c->distinct_estimated = json_is_true(est);
    if ((rc = stats_from_json(o, path, c, err)) || (rc = hist_from_json(o, path, c, err)) ||
        (rc = top_from_json(o, path, c, err)))
        return rc;
    return ML_OK;
}

int prof_from_json(const json_t *j, prof_profile **out, ml_error *err)
{
    *out = NULL;
    if (!json_is_object(j))
        return ml_err(err, ML_EFORMAT, "profile: expected a JSON object");
    uint64_t rows = 0;
    int rc = get_u64(j, "", "rows", true, &rows, err);
    if (rc)
        return rc;
    const json_t *cols = json_object_get(j, "columns");
    if (!cols)
        return field_err(err, "", "columns", "missing");
    if (!json_is_array(cols))
        return field_err(err, "", "columns", "expected an array");
    size_t n = json_array_size(cols);
    if (n > PROF_MAX_COLUMNS)
        return field_err(err, "", "columns", "more than the cap of 1000000 columns");
    prof_profile *p = calloc(1, sizeof *p);
    if (!p || !(p->cols = calloc(n ? n : 1, sizeof *p->cols))) {
        free(p);
        return ml_err(err, ML_ENOMEM, "out of memory reading the profile");
    }
    p->rows = rows;
    p->ncols = (uint32_t)n;
    for (size_t i = 0; i < n && !rc; i++)
        rc = column_from_json(json_array_get(cols, i), i, &p->cols[i], err);
    if (rc) {
        prof_free(p);
        return rc;
    }
    *out = p;
    return ML_OK;
}

/* ---- binary out ------------------------------------------------------------------ */

typedef struct wbuf {
    uint8_t *b;
    size_t len, cap;
    bool oom;
} wbuf;

static void w_raw(wbuf *w, const void *src, size_t n)
{
    if (w->oom)
        return;
    if (w->cap - w->len < n) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap - w->len < n)
            cap *= 2;
        uint8_t *b = realloc(w->b, cap);
        if (!b) {
            w->oom = true;
            return;
        }
        w->b = b;
        w->cap = cap;
    }
    if (n)
        memcpy(w->b + w->len, src, n);
    w->len += n;
}

static void w_u8(wbuf *w, uint8_t v)
{
    w_raw(w, &v, 1);
}

static void w_u32(wbuf *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    w_raw(w, b, sizeof b);
}

static void w_u64(wbuf *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    w_raw(w, b, sizeof b);
}

static void w_f64(wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    w_u64(w, u);
}

static void w_str(wbuf *w, const char *s)
{
    size_t n = strlen(s);
    w_u32(w, (uint32_t)n);
    w_raw(w, s, n);
}

static int check_writable(const prof_profile *p, ml_error *err)
{
    if (p->ncols > PROF_MAX_COLUMNS)
        return ml_err(err, ML_ELIMIT,
                      "cannot serialize the profile: %" PRIu32 " columns, more than the cap of %d",
                      p->ncols, PROF_MAX_COLUMNS);
    if (p->ncols && !p->cols)
        return ml_err(err, ML_EINVAL, "cannot serialize the profile: no columns array");
    for (uint32_t i = 0; i < p->ncols; i++) {
        const prof_column *c = &p->cols[i];
        if (!c->name || strlen(c->name) > PROF_MAX_STRING)
            return ml_err(err, ML_ELIMIT,
                          "cannot serialize the profile: columns[%" PRIu32
                          "].name is missing or longer than %u bytes",
                          i, PROF_MAX_STRING);
        if ((unsigned)c->type >= TBL_TYPE_COUNT || c->hist_bins > PROF_HIST_BINS ||
            c->top_count > PROF_TOP_MAX)
            return ml_err(err, ML_EINVAL,
                          "cannot serialize the profile: columns[%" PRIu32
                          "] has a bad type, hist_bins or top_count",
                          i);
        for (uint32_t k = 0; k < c->top_count; k++)
            if (!c->top[k].value || strlen(c->top[k].value) > PROF_MAX_STRING)
                return ml_err(err, ML_ELIMIT,
                              "cannot serialize the profile: columns[%" PRIu32 "].top[%" PRIu32
                              "].value is missing or longer than %u bytes",
                              i, k, PROF_MAX_STRING);
    }
    return ML_OK;
}

int prof_serialize(const prof_profile *p, uint8_t **buf, size_t *len, ml_error *err)
{
    *buf = NULL;
    *len = 0;
    int rc = check_writable(p, err);
    if (rc)
        return rc;
    wbuf w = {0};
    w_raw(&w, prof_magic, sizeof prof_magic);
    w_u32(&w, PROF_FORMAT_VERSION);
    w_u64(&w, p->rows);
    w_u32(&w, p->ncols);
    for (uint32_t i = 0; i < p->ncols; i++) {
        const prof_column *c = &p->cols[i];
        w_str(&w, c->name);
        w_u32(&w, (uint32_t)c->type);
        w_u64(&w, c->count);
        w_u64(&w, c->nulls);
        w_u64(&w, c->distinct);
        w_u8(&w, c->distinct_estimated);
        w_u8(&w, c->has_stats);
        if (c->has_stats) {
            w_f64(&w, c->min);
            w_f64(&w, c->max);
            w_f64(&w, c->mean);
            w_f64(&w, c->std);
            for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
                w_f64(&w, c->quantiles[q]);
        }
        w_u32(&w, c->hist_bins);
        if (c->hist_bins) {
            w_f64(&w, c->hist_lo);
            w_f64(&w, c->hist_hi);
            for (uint32_t k = 0; k < c->hist_bins; k++)
                w_u64(&w, c->hist_counts[k]);
        }
        w_u32(&w, c->top_count);
        for (uint32_t k = 0; k < c->top_count; k++) {
            w_str(&w, c->top[k].value);
            w_u64(&w, c->top[k].count);
        }
        w_u64(&w, c->other_count);
    }
    if (w.oom) {
        free(w.b);
        return ml_err(err, ML_ENOMEM, "out of memory serializing the profile");
    }
    *buf = w.b;
    *len = w.len;
    return ML_OK;
}

/* ---- binary in ------------------------------------------------------------------- */

/* Smallest encoding of a column: empty name, no stats, histogram or top. */
#define MIN_COLUMN_BYTES (4 + 4 + 3 * 8 + 2 + 4 + 4 + 8)

typedef struct rbuf {
    const uint8_t *b;
    size_t len, pos;
    ml_error *err;
    char ctx[32]; /* "columns[3]." while reading a column */
} rbuf;

static int r_need(rbuf *r, size_t n, const char *field)
{
    if (r->len - r->pos >= n)
        return ML_OK;
    return ml_err(r->err, ML_EFORMAT,
                  "truncated profile: %s%s at byte %zu needs %zu bytes, %zu left", r->ctx, field,
                  r->pos, n, r->len - r->pos);
}

static int r_u32(rbuf *r, const char *field, uint32_t *out)
{
    int rc = r_need(r, 4, field);
    if (rc)
        return rc;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)r->b[r->pos + i] << (8 * i);
    r->pos += 4;
    *out = v;
    return ML_OK;
}

static int r_u64(rbuf *r, const char *field, uint64_t *out)
{
    int rc = r_need(r, 8, field);
    if (rc)
        return rc;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->b[r->pos + i] << (8 * i);
    r->pos += 8;
    *out = v;
    return ML_OK;
}

static int r_f64(rbuf *r, const char *field, double *out)
{
    uint64_t u;
    int rc = r_u64(r, field, &u);
    if (!rc)
        memcpy(out, &u, sizeof *out);
    return rc;
}

static int r_bool(rbuf *r, const char *field, bool *out)
{
    int rc = r_need(r, 1, field);
    if (rc)
        return rc;
    uint8_t v = r->b[r->pos];
    if (v > 1)
        return ml_err(r->err, ML_EFORMAT,
                      "malformed profile: %s%s at byte %zu is %u, expected 0 or 1", r->ctx, field,
                      r->pos, (unsigned)v);
    r->pos++;
    *out = v;
    return ML_OK;
}

static int r_count(rbuf *r, const char *field, uint32_t cap, uint32_t *out)
{
    size_t at = r->pos;
    int rc = r_u32(r, field, out);
    if (!rc && *out > cap)
        rc = ml_err(r->err, ML_EFORMAT,
                    "malformed profile: %s%s %" PRIu32 " at byte %zu exceeds the cap of %" PRIu32,
                    r->ctx, field, *out, at, cap);
    return rc;
}

static int r_str(rbuf *r, const char *field, char **out)
{
    char lfield[48];
    snprintf(lfield, sizeof lfield, "%s length", field);
    uint32_t n;
    int rc = r_count(r, lfield, PROF_MAX_STRING, &n);
    if (rc || (rc = r_need(r, n, field)))
        return rc;
    const char *s = (const char *)r->b + r->pos;
    if (memchr(s, 0, n))
        return ml_err(r->err, ML_EFORMAT, "malformed profile: %s%s at byte %zu contains a NUL byte",
                      r->ctx, field, r->pos);
    if (!(*out = dup_bytes(s, n)))
        return ml_err(r->err, ML_ENOMEM, "out of memory reading the profile");
    r->pos += n;
    return ML_OK;
}

static int read_column(rbuf *r, uint32_t index, prof_column *c)
{
    snprintf(r->ctx, sizeof r->ctx, "columns[%" PRIu32 "].", index);
    int rc;
    uint32_t type;
    if ((rc = r_str(r, "name", &c->name)) || (rc = r_u32(r, "type", &type)))
        return rc;
    if (type >= TBL_TYPE_COUNT)
        return ml_err(r->err, ML_EFORMAT,
                      "malformed profile: %stype %" PRIu32
                      " at byte %zu is not a known column type",
                      r->ctx, type, r->pos - 4);
    c->type = (tbl_type)type;
    size_t at_nulls = r->pos + 8;
    if ((rc = r_u64(r, "count", &c->count)) || (rc = r_u64(r, "nulls", &c->nulls)) ||
        (rc = r_u64(r, "distinct", &c->distinct)))
        return rc;
    if (c->nulls > c->count)
        return ml_err(r->err, ML_EFORMAT,
                      "malformed profile: %snulls %" PRIu64 " at byte %zu exceeds count %" PRIu64,
                      r->ctx, c->nulls, at_nulls, c->count);
    if ((rc = r_bool(r, "distinct_estimated", &c->distinct_estimated)) ||
        (rc = r_bool(r, "has_stats", &c->has_stats)))
        return rc;
    if (c->has_stats) {
        if ((rc = r_f64(r, "min", &c->min)) || (rc = r_f64(r, "max", &c->max)) ||
            (rc = r_f64(r, "mean", &c->mean)) || (rc = r_f64(r, "std", &c->std)))
            return rc;
        for (int q = 0; q < PROF_QUANTILE_COUNT; q++) {
            char field[24];
            snprintf(field, sizeof field, "quantiles.%s", quantile_names[q]);
            if ((rc = r_f64(r, field, &c->quantiles[q])))
                return rc;
        }
    }
    uint32_t bins;
    if ((rc = r_count(r, "hist_bins", PROF_HIST_BINS, &bins)))
        return rc;
    if (bins) {
        if ((rc = r_f64(r, "histogram.lo", &c->hist_lo)) ||
            (rc = r_f64(r, "histogram.hi", &c->hist_hi)))
            return rc;
        for (uint32_t k = 0; k < bins; k++) {
            char field[32];
            snprintf(field, sizeof field, "histogram.counts[%" PRIu32 "]", k);
            if ((rc = r_u64(r, field, &c->hist_counts[k])))
                return rc;
        }
    }
    c->hist_bins = bins;
    uint32_t ntop;
    if ((rc = r_count(r, "top_count", PROF_TOP_MAX, &ntop)))
        return rc;
    for (uint32_t k = 0; k < ntop; k++) {
        char field[32];
        snprintf(field, sizeof field, "top[%" PRIu32 "].value", k);
        if ((rc = r_str(r, field, &c->top[k].value)))
            return rc;
        c->top_count = k + 1;
        snprintf(field, sizeof field, "top[%" PRIu32 "].count", k);
        if ((rc = r_u64(r, field, &c->top[k].count)))
            return rc;
    }
    return r_u64(r, "other_count", &c->other_count);
}

int prof_deserialize(const uint8_t *buf, size_t len, prof_profile **out, ml_error *err)
{
    *out = NULL;
    if (!buf || len < sizeof prof_magic)
        return ml_err(err, ML_EFORMAT, "not a profile: %zu bytes, shorter than the 8-byte magic",
                      buf ? len : 0);
    if (memcmp(buf, prof_magic, sizeof prof_magic) != 0)
        return ml_err(err, ML_EFORMAT,
                      "not a profile: bad magic at byte 0 (expected \"MLPROF\\0\\0\")");
    rbuf r = {.b = buf, .len = len, .pos = sizeof prof_magic, .err = err};
    uint32_t version, ncols;
    uint64_t rows;
    int rc = r_u32(&r, "format version", &version);
    if (rc)
        return rc;
    if (version < 1 || version > PROF_FORMAT_VERSION)
        return ml_err(err, ML_EFORMAT,
                      "unsupported profile format version %" PRIu32
                      " at byte 8 (this build reads versions 1 to %d)",
                      version, PROF_FORMAT_VERSION);
    if ((rc = r_u64(&r, "rows", &rows)) ||
        (rc = r_count(&r, "column count", PROF_MAX_COLUMNS, &ncols)))
        return rc;
    if ((uint64_t)ncols * MIN_COLUMN_BYTES > r.len - r.pos)
        return ml_err(err, ML_EFORMAT,
                      "truncated profile: %" PRIu32 " columns at byte %zu need at least %" PRIu64
                      " bytes, %zu left",
                      ncols, r.pos, (uint64_t)ncols * MIN_COLUMN_BYTES, r.len - r.pos);
    prof_profile *p = calloc(1, sizeof *p);
    if (!p || !(p->cols = calloc(ncols ? ncols : 1, sizeof *p->cols))) {
        free(p);
        return ml_err(err, ML_ENOMEM, "out of memory reading the profile");
    }
    p->rows = rows;
    p->ncols = ncols;
    for (uint32_t i = 0; i < ncols && !rc; i++)
        rc = read_column(&r, i, &p->cols[i]);
    if (!rc && r.pos != r.len)
        rc = ml_err(err, ML_EFORMAT, "malformed profile: %zu trailing byte%s at byte %zu",
                    r.len - r.pos, r.len - r.pos == 1 ? "" : "s", r.pos);
    if (rc) {
        prof_free(p);
        return rc;
    }
    *out = p;
    return ML_OK;
}

/* ---- printing -------------------------------------------------------------------- */

#define NAME_COLS 24  /* widest column name shown */
#define VALUE_COLS 24 /* widest category shown */
#define WRAP_COLS 100 /* where lists of labelled values wrap */
#define TABLE_CELL 12 /* quantile rows with wider cells are listed instead */
#define CELL_SIZE 112 /* bytes of one formatted cell: 24 columns of UTF-8 plus slack */

/* Terminal columns of UTF-8 text (one per code point). */
static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* s for display in at most max columns: control characters become '?', and
 * longer text keeps max − 1 columns and ends in an ellipsis. */
static void display_text(const char *s, size_t max, char *out)
{
    bool cut = disp_width(s) > max;
    size_t keep = cut ? max - 1 : max, cols = 0, o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < CELL_SIZE; p++) {
        if ((*p & 0xC0) != 0x80 && cols++ == keep)
            break;
        out[o++] = (char)(*p < 0x20 || *p == 0x7f ? '?' : *p);
    }
    if (cut) {
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = '\0';
}

static void fmt_g(double v, char *buf)
{
    if (isnan(v))
        snprintf(buf, CELL_SIZE, "nan");
    else if (isinf(v))
        snprintf(buf, CELL_SIZE, v < 0 ? "-inf" : "inf");
    else
        snprintf(buf, CELL_SIZE, "%.6g", v);
}

/* A statistic in the column's terms: dates as ISO dates, timestamps as ISO
 * text to the second (date_only: as their date), with exact_int an int
 * column's integral values in full, the rest with %.6g. */
static void fmt_stat(tbl_type type, double v, char *buf, bool exact_int, bool date_only)
{
    char text[VAL_TEXT_MAX];
    if (type == TBL_TIMESTAMP && isfinite(v))
        v = floor(v / 1e6) * 1e6; /* the second it falls in, as clocks show it */
    if (is_temporal(type) && temporal_text(type, v, text)) {
        char *t = strchr(text, 'T');
        if (t && date_only)
            *t = '\0';
        snprintf(buf, CELL_SIZE, "%s", text);
    } else if (exact_int && type == TBL_I64 && isfinite(v) && fabs(v) < 1e12 && v == floor(v)) {
        snprintf(buf, CELL_SIZE, "%.0f", v);
    } else {
        fmt_g(v, buf);
    }
}

/* A spread: plain for numbers, a duration for dates (days) and timestamps (µs). */
static void fmt_spread(tbl_type type, double v, char *buf)
{
    if (!is_temporal(type) || !isfinite(v)) {
        fmt_g(v, buf);
        return;
    }
    double s = type == TBL_DATE ? v * 86400 : v / 1e6;
    if (s >= 86400)
        snprintf(buf, CELL_SIZE, "%.4gd", s / 86400);
    else if (s >= 3600)
        snprintf(buf, CELL_SIZE, "%.4gh", s / 3600);
    else if (s >= 60)
        snprintf(buf, CELL_SIZE, "%.4gmin", s / 60);
    else
        snprintf(buf, CELL_SIZE, "%.4gs", s);
}

typedef struct line {
    char b[2048];
    size_t n;
} line;

static void line_put(line *l, const char *s)
{
    size_t k = strlen(s);
    if (k > sizeof l->b - 1 - l->n)
        k = sizeof l->b - 1 - l->n;
    memcpy(l->b + l->n, s, k);
    l->n += k;
}

static void line_pad(line *l, size_t cols)
{
    for (; cols && l->n < sizeof l->b - 1; cols--)
        l->b[l->n++] = ' ';
}

/* A cell padded to width columns, after a two-space gap unless first. */
static void line_cell(line *l, const char *s, size_t width, bool right)
{
    if (l->n)
        line_pad(l, 2);
    size_t w = disp_width(s), pad = w < width ? width - w : 0;
    if (right)
        line_pad(l, pad);
    line_put(l, s);
    if (!right)
        line_pad(l, pad);
}

static void line_emit(line *l, FILE *out)
{
    while (l->n && l->b[l->n - 1] == ' ')
        l->n--;
    l->b[l->n] = '\0';
    fputs(l->b, out);
    fputc('\n', out);
    l->n = 0;
}

/* "name  item item …" with sep blanks between items, wrapped at WRAP_COLS
 * under the first item. */
static void print_items(const char *name, size_t name_w, char (*items)[CELL_SIZE + 48], size_t n,
                        size_t sep, FILE *out)
{
    line l = {.n = 0};
    line_cell(&l, name, name_w, false);
    size_t used = name_w;
    for (size_t k = 0; k < n; k++) {
        size_t w = disp_width(items[k]), gap = used == name_w ? 2 : sep;
        if (used > name_w && used + gap + w > WRAP_COLS) {
            line_emit(&l, out);
            line_pad(&l, name_w);
            used = name_w;
            gap = 2;
        }
        line_pad(&l, gap);
        line_put(&l, items[k]);
        used += gap + w;
    }
    line_emit(&l, out);
}

enum { F_NAME, F_TYPE, F_NULLS, F_DISTINCT, F_MIN, F_MEAN, F_MAX, F_COUNT };

static void summary_cells(const prof_column *c, char cells[F_COUNT][CELL_SIZE])
{
    display_text(c->name ? c->name : "", NAME_COLS, cells[F_NAME]);
    snprintf(cells[F_TYPE], CELL_SIZE, "%s", tbl_type_name(c->type));
    snprintf(cells[F_NULLS], CELL_SIZE, "%" PRIu64, c->nulls);
    snprintf(cells[F_DISTINCT], CELL_SIZE, "%s%" PRIu64, c->distinct_estimated ? "~" : "",
             c->distinct);
    cells[F_MIN][0] = cells[F_MEAN][0] = cells[F_MAX][0] = '\0';
    if (c->has_stats) {
        fmt_stat(c->type, c->min, cells[F_MIN], true, false);
        fmt_stat(c->type, c->mean, cells[F_MEAN], false, false);
        fmt_stat(c->type, c->max, cells[F_MAX], true, false);
    }
}

static void print_summary(const prof_profile *p, size_t name_w, FILE *out)
{
    static const char *const heads[F_COUNT] = {"column", "type", "nulls", "distinct",
                                               "min",    "mean", "max"};
    size_t width[F_COUNT];
    char cells[F_COUNT][CELL_SIZE];
    for (int f = 0; f < F_COUNT; f++)
        width[f] = strlen(heads[f]);
    width[F_NAME] = name_w;
    for (uint32_t i = 0; i < p->ncols; i++) {
        summary_cells(&p->cols[i], cells);
        for (int f = 1; f < F_COUNT; f++) {
            size_t w = disp_width(cells[f]);
            if (w > width[f])
                width[f] = w;
        }
    }
    line l = {.n = 0};
    for (int f = 0; f < F_COUNT; f++)
        line_cell(&l, heads[f], width[f], f >= F_NULLS);
    line_emit(&l, out);
    for (uint32_t i = 0; i < p->ncols; i++) {
        summary_cells(&p->cols[i], cells);
        for (int f = 0; f < F_COUNT; f++)
            line_cell(&l, cells[f], width[f], f >= F_NULLS);
        line_emit(&l, out);
    }
}

enum { NQ = 1 + PROF_QUANTILE_COUNT }; /* std, then the quantiles */

/* The std and quantile cells of a column; returns the widest one's width. */
static size_t quantile_cells(const prof_column *c, char cells[NQ][CELL_SIZE])
{
    /* Timestamps spread over ten days or more show their quantiles as dates. */
    bool date_only = c->type == TBL_TIMESTAMP && c->max - c->min >= 864e9;
    fmt_spread(c->type, c->std, cells[0]);
    for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
        fmt_stat(c->type, c->quantiles[q], cells[1 + q], false, date_only);
    size_t widest = 0;
    for (int f = 0; f < NQ; f++) {
        size_t w = disp_width(cells[f]);
        widest = w > widest ? w : widest;
    }
    return widest;
}

/* One aligned row per column whose cells are narrow enough, then the others
 * (timestamps within a few days, extreme numbers) as wrapped lists. */
static void print_quantiles(const prof_profile *p, size_t name_w, FILE *out)
{
    size_t width[NQ];
    char cells[NQ][CELL_SIZE], name[CELL_SIZE];
    width[0] = 3; /* "std" */
    for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
        width[1 + q] = strlen(quantile_names[q]);
    size_t in_table = 0, listed = 0;
    for (uint32_t i = 0; i < p->ncols; i++) {
        if (!p->cols[i].has_stats)
            continue;
        if (quantile_cells(&p->cols[i], cells) > TABLE_CELL) {
            listed++;
            continue;
        }
        in_table++;
        for (int f = 0; f < NQ; f++) {
            size_t w = disp_width(cells[f]);
            if (w > width[f])
                width[f] = w;
        }
    }
    if (!in_table && !listed)
        return;
    fputc('\n', out);
    line l = {.n = 0};
    if (in_table) {
        line_cell(&l, "column", name_w, false);
        line_cell(&l, "std", width[0], true);
        for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
            line_cell(&l, quantile_names[q], width[1 + q], true);
        line_emit(&l, out);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < p->ncols; i++) {
            const prof_column *c = &p->cols[i];
            if (!c->has_stats || (quantile_cells(c, cells) > TABLE_CELL) != (pass == 1))
                continue;
            display_text(c->name ? c->name : "", NAME_COLS, name);
            if (pass == 0) {
                line_cell(&l, name, name_w, false);
                for (int f = 0; f < NQ; f++)
                    line_cell(&l, cells[f], width[f], true);
                line_emit(&l, out);
                continue;
            }
            char items[NQ][CELL_SIZE + 48];
            for (int f = 0; f < NQ; f++)
                snprintf(items[f], sizeof items[f], "%s %.*s", f ? quantile_names[f - 1] : "std",
                         CELL_SIZE, cells[f]);
            print_items(name, name_w, items, NQ, 2, out);
        }
    }
}

static void print_top(const prof_profile *p, size_t name_w, FILE *out)
{
    bool any = false;
    for (uint32_t i = 0; i < p->ncols && !any; i++)
        any = p->cols[i].top_count > 0;
    if (!any)
        return;
    fputs("\ntop values\n", out);
    char name[CELL_SIZE], value[CELL_SIZE], items[PROF_TOP_MAX + 1][CELL_SIZE + 48];
    for (uint32_t i = 0; i < p->ncols; i++) {
        const prof_column *c = &p->cols[i];
        if (!c->top_count)
            continue;
        display_text(c->name ? c->name : "", NAME_COLS, name);
        uint32_t ntop = c->top_count < PROF_TOP_MAX ? c->top_count : PROF_TOP_MAX;
        size_t n = 0;
        for (uint32_t k = 0; k < ntop; k++) {
            const char *v = c->top[k].value ? c->top[k].value : "";
            if (*v)
                display_text(v, VALUE_COLS, value);
            else
                snprintf(value, sizeof value, "\"\"");
            snprintf(items[n++], sizeof items[0], "%s (%" PRIu64 ")%s", value, c->top[k].count,
                     k + 1 < ntop || c->other_count ? "," : "");
        }
        if (c->other_count)
            snprintf(items[n++], sizeof items[0], "others (%" PRIu64 ")", c->other_count);
        print_items(name, name_w, items, n, 1, out);
    }
}

static void print_body(const prof_profile *p, const char *source, FILE *out)
{
    fprintf(out, "%s: %" PRIu64 " row%s, %" PRIu32 " column%s\n", source ? source : "profile",
            p->rows, p->rows == 1 ? "" : "s", p->ncols, p->ncols == 1 ? "" : "s");
    if (!p->ncols || !p->cols)
        return;
    size_t name_w = strlen("column");
    char name[CELL_SIZE];
    for (uint32_t i = 0; i < p->ncols; i++) {
        display_text(p->cols[i].name ? p->cols[i].name : "", NAME_COLS, name);
        size_t w = disp_width(name);
        if (w > name_w)
            name_w = w;
    }
    fputc('\n', out);
    print_summary(p, name_w, out);
    print_quantiles(p, name_w, out);
    print_top(p, name_w, out);
}

void prof_print(const prof_profile *p, const char *source, FILE *out)
{
    locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t previous = c_locale ? uselocale(c_locale) : (locale_t)0;
    print_body(p, source, out);
    if (c_locale) {
        uselocale(previous);
        freelocale(c_locale);
    }
}
