/* Unit tests for src/data/profile.c: statistics of every column type against
 * numpy (tests/fixtures/profile), distinct counting exact and estimated,
 * sampling, the JSON and binary forms with every error a reader can hit,
 * and the printed table. */
#include "test_util.h"

#include "core/rng.h"
#include "data/profile.h"
#include "data/synth.h"
#include "data/value.h"

#include <inttypes.h>
#include <math.h>

/* ---- helpers ---------------------------------------------------------------- */

static void assert_close(double got, double want, const char *what)
{
    if (got == want || (isnan(got) && isnan(want)))
        return;
    if (!(fabs(got - want) <= 1e-12 * fmax(fabs(got), fabs(want))))
        fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

static prof_profile *compute(const tbl_table *t)
{
    ml_error err = {0};
    prof_profile *p = NULL;
    int rc = prof_compute(t, &p, &err);
    if (rc)
        fail_msg("prof_compute: %s", err.message);
    assert_non_null(p);
    return p;
}

static const prof_column *col_named(const prof_profile *p, const char *name)
{
    for (uint32_t i = 0; i < p->ncols; i++)
        if (strcmp(p->cols[i].name, name) == 0)
            return &p->cols[i];
    fail_msg("no column '%s' in the profile", name);
    return NULL;
}

/* A table of one int64 column holding v[i] = f(i). */
static tbl_table *int_table(size_t n, int64_t mul, int64_t mod)
{
    ml_error err = {0};
    tbl_table *t = tbl_create();
    int64_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = mod ? (int64_t)i * mul % mod : (int64_t)i * mul;
    assert_int_equal(tbl_adopt_column(t, "v", TBL_I64, v, NULL, NULL, n, &err), ML_OK);
    return t;
}

static tbl_table *f64_table(const double *values, const uint8_t *null_mask, size_t n)
{
    ml_error err = {0};
    tbl_table *t = tbl_create();
    double *v = malloc((n ? n : 1) * sizeof *v);
    uint8_t *nulls = NULL;
    if (n)
        memcpy(v, values, n * sizeof *v);
    if (null_mask) {
        nulls = malloc(n);
        memcpy(nulls, null_mask, n);
        for (size_t i = 0; i < n; i++)
            if (nulls[i])
                v[i] = 0;
    }
    assert_int_equal(tbl_adopt_column(t, "x", TBL_F64, v, nulls, NULL, n, &err), ML_OK);
    return t;
}

/* A string column from texts (NULL = null). */
static void add_str_column(tbl_table *t, const char *name, const char *const *texts, size_t n)
{
    ml_error err = {0};
    size_t col = tbl_ncols(t);
    assert_int_equal(tbl_add_column(t, name, TBL_STR, &err), ML_OK);
    if (tbl_nrows(t) < n)
        assert_int_equal(tbl_resize(t, n, &err), ML_OK);
    for (size_t i = 0; i < n; i++) {
        if (texts[i])
            assert_int_equal(tbl_set_str(t, col, i, texts[i], strlen(texts[i]), &err), ML_OK);
        else
            assert_int_equal(tbl_set_null(t, col, i, &err), ML_OK);
    }
}

/* A table with one column of every type and a null in each. */
static tbl_table *every_type_table(void)
{
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "f", TBL_F64, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "i", TBL_I64, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "b", TBL_BOOL, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "d", TBL_DATE, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "ts", TBL_TIMESTAMP, &err), ML_OK);
    assert_int_equal(tbl_resize(t, 4, &err), ML_OK);
    tbl_set_f64(t, 0, 0, 1.5);
    tbl_set_f64(t, 0, 1, -2);
    assert_int_equal(tbl_set_null(t, 0, 2, &err), ML_OK);
    tbl_set_f64(t, 0, 3, 4);
    tbl_set_i64(t, 1, 0, 3);
    tbl_set_i64(t, 1, 1, 3);
    tbl_set_i64(t, 1, 2, 7);
    assert_int_equal(tbl_set_null(t, 1, 3, &err), ML_OK);
    tbl_set_bool(t, 2, 0, true);
    tbl_set_bool(t, 2, 1, false);
    tbl_set_bool(t, 2, 2, true);
    assert_int_equal(tbl_set_null(t, 2, 3, &err), ML_OK);
    tbl_set_date(t, 3, 0, 0);
    tbl_set_date(t, 3, 1, 365);
    assert_int_equal(tbl_set_null(t, 3, 2, &err), ML_OK);
    tbl_set_date(t, 3, 3, 19000);
    tbl_set_timestamp(t, 4, 0, 0);
    tbl_set_timestamp(t, 4, 1, 1500000);
    tbl_set_timestamp(t, 4, 2, INT64_C(86400000000));
    assert_int_equal(tbl_set_null(t, 4, 3, &err), ML_OK);
    const char *s[] = {"a", "b", "a", NULL};
    add_str_column(t, "s", s, 4);
    return t;
}

static const char *fixture_path(const char *file)
{
    static char path[2048];
    const char *root = getenv("MLOOP_SOURCE_DIR");
    if (root) {
        snprintf(path, sizeof path, "%s/tests/fixtures/profile/%s", root, file);
    } else {
        const char *src = __FILE__, *cut = strstr(src, "tests/unit/data/test_profile.c");
        int keep = cut ? (int)(cut - src) : 0;
        snprintf(path, sizeof path, "%.*stests/fixtures/profile/%s", keep, src, file);
    }
    return path;
}

/* ---- the numpy reference ----------------------------------------------------- */

/* Reads tests/fixtures/profile/input.csv (x float, n int, s string, b bool,
 * d date; an empty cell is a null; no quoting) into a table by hand, so the
 * test does not depend on the CSV reader. */
static tbl_table *load_fixture(void)
{
    FILE *f = fopen(fixture_path("input.csv"), "r");
    if (!f)
        fprintf(stderr, "cannot open %s\n", fixture_path("input.csv"));
    assert_non_null(f);
    size_t cap = 1024, n = 0;
    double *x = malloc(cap * sizeof *x);
    int64_t *iv = malloc(cap * sizeof *iv);
    int32_t *s = malloc(cap * sizeof *s), *d = malloc(cap * sizeof *d);
    uint8_t *b = malloc(cap), *xn = calloc(cap, 1), *sn = calloc(cap, 1), *bn = calloc(cap, 1),
            *dn = calloc(cap, 1);
    tbl_dict *dict = tbl_dict_create();
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "x,n,s,b,d\n");
    while (fgets(line, sizeof line, f)) {
        assert_true(n < cap);
        line[strcspn(line, "\n")] = '\0';
        char *cell[5], *p = line;
        for (int k = 0; k < 5; k++) {
            cell[k] = p;
            p = strchr(p, ',');
            if (k < 4) {
                assert_non_null(p);
                *p++ = '\0';
            }
        }
        if (*cell[0]) {
            char *end;
            x[n] = strtod(cell[0], &end);
            assert_true(*end == '\0');
        } else {
            x[n] = 0;
            xn[n] = 1;
        }
        assert_true(val_parse_i64(cell[1], strlen(cell[1]), &iv[n]));
        if (*cell[2])
            s[n] = tbl_dict_intern(dict, cell[2], strlen(cell[2]));
        else
            s[n] = 0, sn[n] = 1;
        bool bv = false;
        if (*cell[3])
            assert_true(val_parse_bool(cell[3], strlen(cell[3]), &bv));
        else
            bn[n] = 1;
        b[n] = bv;
        if (*cell[4])
            assert_true(val_parse_date(cell[4], strlen(cell[4]), &d[n]));
        else
            d[n] = 0, dn[n] = 1;
        n++;
    }
    fclose(f);
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_adopt_column(t, "x", TBL_F64, x, xn, NULL, n, &err), ML_OK);
    assert_int_equal(tbl_adopt_column(t, "n", TBL_I64, iv, NULL, NULL, n, &err), ML_OK);
    assert_int_equal(tbl_adopt_column(t, "s", TBL_STR, s, sn, dict, n, &err), ML_OK);
    assert_int_equal(tbl_adopt_column(t, "b", TBL_BOOL, b, bn, NULL, n, &err), ML_OK);
    assert_int_equal(tbl_adopt_column(t, "d", TBL_DATE, d, dn, NULL, n, &err), ML_OK);
    return t;
}

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("expected.json: '%s' is not a number", key);
    return json_number_value(v);
}

static uint64_t jint(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("expected.json: '%s' is not an integer", key);
    return (uint64_t)json_integer_value(v);
}

static void matches_numpy_reference(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *want = json_load_file(fixture_path("expected.json"), 0, &jerr);
    if (!want)
        fail_msg("expected.json: %s (line %d)", jerr.text, jerr.line);
    tbl_table *t = load_fixture();
    prof_profile *p = compute(t);
    assert_int_equal(p->rows, jint(want, "rows"));
    assert_int_equal(p->ncols, 5);

    const char *name;
    json_t *w;
    json_object_foreach(json_object_get(want, "columns"), name, w)
    {
        const prof_column *c = col_named(p, name);
        char what[64];
        assert_string_equal(tbl_type_name(c->type), json_string_value(json_object_get(w, "type")));
        assert_int_equal(c->count, jint(w, "count"));
        assert_int_equal(c->nulls, jint(w, "nulls"));
        assert_int_equal(c->distinct, jint(w, "distinct"));
        assert_false(c->distinct_estimated);
        if (json_object_get(w, "mean")) {
            assert_true(c->has_stats);
            snprintf(what, sizeof what, "%s.min", name);
            assert_close(c->min, jnum(w, "min"), what);
            snprintf(what, sizeof what, "%s.max", name);
            assert_close(c->max, jnum(w, "max"), what);
            snprintf(what, sizeof what, "%s.mean", name);
            assert_close(c->mean, jnum(w, "mean"), what);
            snprintf(what, sizeof what, "%s.std", name);
            assert_close(c->std, jnum(w, "std"), what);
            static const char *qn[] = {"p1", "p5", "p25", "p50", "p75", "p95", "p99"};
            for (int q = 0; q < PROF_QUANTILE_COUNT; q++) {
                snprintf(what, sizeof what, "%s.%s", name, qn[q]);
                assert_close(c->quantiles[q], jnum(json_object_get(w, "quantiles"), qn[q]), what);
            }
            const json_t *h = json_object_get(w, "histogram"), *hc = json_object_get(h, "counts");
            assert_int_equal(c->hist_bins, json_array_size(hc));
            snprintf(what, sizeof what, "%s.histogram.lo", name);
            assert_close(c->hist_lo, jnum(h, "lo"), what);
            snprintf(what, sizeof what, "%s.histogram.hi", name);
            assert_close(c->hist_hi, jnum(h, "hi"), what);
            for (uint32_t k = 0; k < c->hist_bins; k++)
                assert_int_equal(c->hist_counts[k], json_integer_value(json_array_get(hc, k)));
            assert_int_equal(c->top_count, 0);
        } else {
            assert_false(c->has_stats);
            const json_t *top = json_object_get(w, "top");
            assert_int_equal(c->top_count, json_array_size(top));
            for (uint32_t k = 0; k < c->top_count; k++) {
                const json_t *e = json_array_get(top, k);
                assert_string_equal(c->top[k].value, json_string_value(json_array_get(e, 0)));
                assert_int_equal(c->top[k].count, json_integer_value(json_array_get(e, 1)));
            }
            assert_int_equal(c->other_count, jint(w, "other_count"));
        }
    }
    prof_free(p);
    tbl_free(t);
    json_decref(want);
}

/* ---- statistics ---------------------------------------------------------------- */

static void profiles_every_type(void **state)
{
    (void)state;
    tbl_table *t = every_type_table();
    prof_profile *p = compute(t);
    assert_int_equal(p->rows, 4);
    assert_int_equal(p->ncols, 6);

    const prof_column *f = col_named(p, "f");
    assert_int_equal(f->type, TBL_F64);
    assert_int_equal(f->count, 4);
    assert_int_equal(f->nulls, 1);
    assert_int_equal(f->distinct, 3);
    assert_true(f->has_stats);
    assert_close(f->min, -2, "f.min");
    assert_close(f->max, 4, "f.max");
    double mean = (1.5 - 2 + 4) / 3;
    assert_close(f->mean, mean, "f.mean");
    double ss = (1.5 - mean) * (1.5 - mean) + (-2 - mean) * (-2 - mean) + (4 - mean) * (4 - mean);
    assert_close(f->std, sqrt(ss / 2), "f.std");
    assert_close(f->quantiles[3], 1.5, "f.p50");
    assert_int_equal(f->hist_bins, PROF_HIST_BINS);
    assert_int_equal(f->top_count, 0);

    const prof_column *i = col_named(p, "i");
    assert_int_equal(i->nulls, 1);
    assert_int_equal(i->distinct, 2);
    assert_close(i->min, 3, "i.min");
    assert_close(i->max, 7, "i.max");
    assert_close(i->quantiles[2], 3, "i.p25");
    assert_close(i->quantiles[4], 5, "i.p75");
    assert_close(i->mean, 13.0 / 3, "i.mean");

    const prof_column *b = col_named(p, "b");
    assert_false(b->has_stats);
    assert_int_equal(b->nulls, 1);
    assert_int_equal(b->distinct, 2);
    assert_int_equal(b->top_count, 2);
    assert_string_equal(b->top[0].value, "true");
    assert_int_equal(b->top[0].count, 2);
    assert_string_equal(b->top[1].value, "false");
    assert_int_equal(b->other_count, 0);

    const prof_column *d = col_named(p, "d");
    assert_int_equal(d->type, TBL_DATE);
    assert_int_equal(d->distinct, 3);
    assert_close(d->min, 0, "d.min");
    assert_close(d->max, 19000, "d.max");
    assert_close(d->mean, 19365.0 / 3, "d.mean");

    const prof_column *ts = col_named(p, "ts");
    assert_close(ts->min, 0, "ts.min");
    assert_close(ts->max, 86400000000.0, "ts.max");
    assert_close(ts->quantiles[3], 1500000, "ts.p50");

    const prof_column *s = col_named(p, "s");
    assert_int_equal(s->distinct, 2);
    assert_int_equal(s->nulls, 1);
    assert_string_equal(s->top[0].value, "a");
    assert_int_equal(s->top[0].count, 2);
    assert_string_equal(s->top[1].value, "b");

    /* Dates and timestamps also carry ISO text in JSON. */
    json_t *j = prof_to_json(p);
    assert_non_null(j);
    json_t *cols = json_object_get(j, "columns");
    json_t *dj = json_array_get(cols, 3), *tj = json_array_get(cols, 4);
    assert_string_equal(json_string_value(json_object_get(dj, "type")), "date");
    assert_string_equal(json_string_value(json_object_get(dj, "min_text")), "1970-01-01");
    assert_string_equal(json_string_value(json_object_get(dj, "max_text")), "2022-01-08");
    assert_string_equal(json_string_value(json_object_get(tj, "type")), "timestamp");
    assert_string_equal(json_string_value(json_object_get(tj, "max_text")), "1970-01-02T00:00:00");
    assert_null(json_object_get(json_array_get(cols, 0), "min_text"));
    assert_null(json_object_get(json_array_get(cols, 2), "min")); /* bool: no stats keys */
    assert_non_null(json_object_get(json_array_get(cols, 2), "top"));
    json_decref(j);
    prof_free(p);
    tbl_free(t);
}

static void nan_counts_as_null(void **state)
{
    (void)state;
    double v[] = {NAN, 1, 0, 2, -NAN, 3, -0.0, 0.0};
    uint8_t nulls[] = {0, 0, 1, 0, 0, 0, 0, 0};
    tbl_table *t = f64_table(v, nulls, 8);
    prof_profile *p = compute(t);
    const prof_column *c = &p->cols[0];
    assert_int_equal(c->count, 8);
    assert_int_equal(c->nulls, 3);    /* one null, two NaNs */
    assert_int_equal(c->distinct, 4); /* -0 and 0 are one value */
    assert_close(c->min, 0, "min");
    assert_close(c->max, 3, "max");
    assert_close(c->mean, 1.2, "mean");
    assert_false(isnan(c->std));
    prof_free(p);
    tbl_free(t);
}

static void all_null_and_empty_columns(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_add_column(t, "f", TBL_F64, &err), ML_OK);
    assert_int_equal(tbl_resize(t, 3, &err), ML_OK);
    for (size_t r = 0; r < 3; r++)
        assert_int_equal(tbl_set_null(t, 0, r, &err), ML_OK);
    /* Added after the rows: every cell null. */
    assert_int_equal(tbl_add_column(t, "s", TBL_STR, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "b", TBL_BOOL, &err), ML_OK);
    assert_int_equal(tbl_add_column(t, "ts", TBL_TIMESTAMP, &err), ML_OK);
    prof_profile *p = compute(t);
    for (uint32_t i = 0; i < p->ncols; i++) {
        const prof_column *c = &p->cols[i];
        assert_int_equal(c->count, 3);
        assert_int_equal(c->nulls, 3);
        assert_int_equal(c->distinct, 0);
        assert_false(c->has_stats);
        assert_int_equal(c->hist_bins, 0);
        assert_int_equal(c->top_count, 0);
        assert_int_equal(c->other_count, 0);
    }
    prof_free(p);
    tbl_free(t);

    /* A float column of NaNs only is all null too. */
    double nans[] = {NAN, NAN};
    t = f64_table(nans, NULL, 2);
    p = compute(t);
    assert_int_equal(p->cols[0].nulls, 2);
    assert_false(p->cols[0].has_stats);
    prof_free(p);
    tbl_free(t);
}

static void empty_table(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = tbl_create();
    static const tbl_type types[] = {TBL_F64, TBL_I64, TBL_BOOL, TBL_STR, TBL_DATE, TBL_TIMESTAMP};
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        assert_int_equal(tbl_add_column(t, name, types[i], &err), ML_OK);
    }
    prof_profile *p = compute(t);
    assert_int_equal(p->rows, 0);
    assert_int_equal(p->ncols, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(p->cols[i].type, types[i]);
        assert_int_equal(p->cols[i].count, 0);
        assert_int_equal(p->cols[i].nulls, 0);
        assert_false(p->cols[i].has_stats);
        assert_int_equal(p->cols[i].top_count, 0);
    }
    uint8_t *buf;
    size_t len;
    assert_int_equal(prof_serialize(p, &buf, &len, &err), ML_OK);
    prof_profile *back;
    assert_int_equal(prof_deserialize(buf, len, &back, &err), ML_OK);
    assert_true(prof_equal(p, back));
    free(buf);
    prof_free(back);
    prof_free(p);
    tbl_free(t);

    /* No columns at all. */
    t = tbl_create();
    p = compute(t);
    assert_int_equal(p->ncols, 0);
    json_t *j = prof_to_json(p);
    assert_int_equal(prof_from_json(j, &back, &err), ML_OK);
    assert_true(prof_equal(p, back));
    json_decref(j);
    prof_free(back);
    prof_free(p);
    tbl_free(t);
}

static void histograms(void **state)
{
    (void)state;
    double five[] = {5, 5, 5, 5};
    tbl_table *t = f64_table(five, NULL, 4);
    prof_profile *p = compute(t);
    const prof_column *c = &p->cols[0];
    assert_int_equal(c->hist_bins, 1); /* a constant column: one bin */
    assert_close(c->hist_lo, 5, "lo");
    assert_close(c->hist_hi, 5, "hi");
    assert_int_equal(c->hist_counts[0], 4);
    assert_close(c->std, 0, "std");
    assert_close(c->mean, 5, "mean");
    for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
        assert_close(c->quantiles[q], 5, "quantile");
    prof_free(p);
    tbl_free(t);

    t = int_table(100, 1, 0); /* 0..99: five to a bin, the last bin closed */
    p = compute(t);
    c = &p->cols[0];
    assert_int_equal(c->hist_bins, PROF_HIST_BINS);
    assert_close(c->hist_lo, 0, "lo");
    assert_close(c->hist_hi, 99, "hi");
    uint64_t total = 0;
    for (int k = 0; k < PROF_HIST_BINS; k++)
        total += c->hist_counts[k];
    assert_int_equal(total, 100);
    assert_int_equal(c->hist_counts[PROF_HIST_BINS - 1], 5);
    assert_close(c->quantiles[3], 49.5, "p50");
    assert_close(c->quantiles[0], 0.99, "p1");
    prof_free(p);
    tbl_free(t);

    /* Infinite values: stats still computed, but no finite range to bin. */
    double inf[] = {1, INFINITY, 2};
    t = f64_table(inf, NULL, 3);
    p = compute(t);
    c = &p->cols[0];
    assert_true(c->has_stats);
    assert_true(isinf(c->max));
    assert_true(isinf(c->mean));
    assert_int_equal(c->hist_bins, 0);
    prof_free(p);
    tbl_free(t);

    /* One value: std is undefined. */
    double one[] = {7};
    t = f64_table(one, NULL, 1);
    p = compute(t);
    assert_true(isnan(p->cols[0].std));
    assert_close(p->cols[0].quantiles[6], 7, "p99");
    prof_free(p);
    tbl_free(t);
}

static void top_categories_break_ties_by_value(void **state)
{
    (void)state;
    const char *s[] = {"c", "a", "b", "c", "a", "b", "d", "c", "a", "b", NULL, "ab"};
    tbl_table *t = tbl_create();
    add_str_column(t, "s", s, 12);
    prof_profile *p = compute(t);
    const prof_column *c = &p->cols[0];
    assert_int_equal(c->distinct, 5);
    assert_int_equal(c->nulls, 1);
    assert_int_equal(c->top_count, 5);
    const char *order[] = {"a", "b", "c", "ab", "d"};
    for (int k = 0; k < 5; k++)
        assert_string_equal(c->top[k].value, order[k]);
    assert_int_equal(c->top[3].count, 1);
    assert_int_equal(c->other_count, 0);
    prof_free(p);
    tbl_free(t);

    /* Twelve values seen once each: the ten smallest, two left over. */
    const char *twelve[12] = {"l", "k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"};
    t = tbl_create();
    add_str_column(t, "s", twelve, 12);
    p = compute(t);
    c = &p->cols[0];
    assert_int_equal(c->top_count, PROF_TOP_MAX);
    assert_string_equal(c->top[0].value, "a");
    assert_string_equal(c->top[9].value, "j");
    assert_int_equal(c->other_count, 2);
    prof_free(p);
    tbl_free(t);

    /* Bools tie: false before true. */
    ml_error err = {0};
    t = tbl_create();
    assert_int_equal(tbl_add_column(t, "flag", TBL_BOOL, &err), ML_OK);
    assert_int_equal(tbl_resize(t, 4, &err), ML_OK);
    tbl_set_bool(t, 0, 0, true);
    tbl_set_bool(t, 0, 2, true);
    p = compute(t);
    c = &p->cols[0];
    assert_string_equal(c->top[0].value, "false");
    assert_string_equal(c->top[1].value, "true");
    assert_int_equal(c->top[0].count, 2);
    prof_free(p);
    tbl_free(t);
}

static void distinct_counts_only_codes_in_use(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_dict *d = tbl_dict_create();
    tbl_dict_intern(d, "x", 1);
    tbl_dict_intern(d, "unused", 6);
    tbl_dict_intern(d, "z", 1);
    int32_t *codes = malloc(3 * sizeof *codes);
    codes[0] = 0, codes[1] = 2, codes[2] = 2;
    tbl_table *t = tbl_create();
    assert_int_equal(tbl_adopt_column(t, "s", TBL_STR, codes, NULL, d, 3, &err), ML_OK);
    prof_profile *p = compute(t);
    assert_int_equal(p->cols[0].distinct, 2);
    assert_string_equal(p->cols[0].top[0].value, "z");
    prof_free(p);
    tbl_free(t);
}

static void distinct_switches_to_hyperloglog(void **state)
{
    (void)state;
    /* Exactly at the limit: exact. */
    tbl_table *t = int_table(PROF_EXACT_DISTINCT_LIMIT, 3, 0);
    prof_profile *p = compute(t);
    assert_int_equal(p->cols[0].distinct, PROF_EXACT_DISTINCT_LIMIT);
    assert_false(p->cols[0].distinct_estimated);
    prof_free(p);
    tbl_free(t);

    /* 300k distinct (a permutation of 0..299999): an estimate within 2%. */
    const size_t n = 300000;
    t = int_table(n, 7919, (int64_t)n);
    p = compute(t);
    const prof_column *c = &p->cols[0];
    assert_true(c->distinct_estimated);
    double rel = fabs((double)c->distinct - (double)n) / (double)n;
    if (rel > 0.02)
        fail_msg("estimate %" PRIu64 " is %.2f%% off %zu", c->distinct, 100 * rel, n);
    assert_close(c->min, 0, "min");
    assert_close(c->max, (double)(n - 1), "max");
    assert_close(c->mean, (double)(n - 1) / 2, "mean");

    /* The streamed path (sampled quantiles) gives the same estimate: the
     * sketch does not depend on order, and the same statistics. */
    ml_error err = {0};
    prof_options opts = {.sample_max = 20000};
    prof_profile *s = NULL;
    assert_int_equal(prof_compute_ex(t, &opts, &s, &err), ML_OK);
    const prof_column *sc = &s->cols[0];
    assert_true(sc->distinct_estimated);
    assert_int_equal(sc->distinct, c->distinct);
    assert_close(sc->min, c->min, "sampled min");
    assert_close(sc->max, c->max, "sampled max");
    assert_close(sc->mean, c->mean, "sampled mean");
    assert_close(sc->std, c->std, "sampled std");
    for (int k = 0; k < PROF_HIST_BINS; k++)
        assert_int_equal(sc->hist_counts[k], c->hist_counts[k]);
    for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
        if (fabs(sc->quantiles[q] - c->quantiles[q]) > 0.02 * (double)n)
            fail_msg("sampled p%g = %g, full %g", 100 * prof_quantile_levels[q], sc->quantiles[q],
                     c->quantiles[q]);
    prof_free(s);
    prof_free(p);
    tbl_free(t);

    /* Strings: 150k distinct texts. */
    const size_t ns = 150000;
    tbl_dict *d = tbl_dict_create();
    int32_t *codes = malloc(ns * sizeof *codes);
    char key[32];
    for (size_t i = 0; i < ns; i++) {
        int len = snprintf(key, sizeof key, "customer-%zu", i);
        codes[i] = tbl_dict_intern(d, key, (size_t)len);
    }
    t = tbl_create();
    assert_int_equal(tbl_adopt_column(t, "id", TBL_STR, codes, NULL, d, ns, &err), ML_OK);
    p = compute(t);
    c = &p->cols[0];
    assert_true(c->distinct_estimated);
    rel = fabs((double)c->distinct - (double)ns) / (double)ns;
    if (rel > 0.02)
        fail_msg("string estimate %" PRIu64 " is %.2f%% off %zu", c->distinct, 100 * rel, ns);
    assert_int_equal(c->top_count, PROF_TOP_MAX);
    assert_int_equal(c->other_count, ns - PROF_TOP_MAX);
    prof_free(p);
    tbl_free(t);
}

static void sampled_quantiles_keep_exact_stats(void **state)
{
    (void)state;
    ml_error err = {0};
    const size_t n = 50000;
    double *v = malloc(n * sizeof *v);
    uint8_t *nulls = calloc(n, 1);
    ml_rng rng;
    ml_rng_seed(&rng, 42);
    for (size_t i = 0; i < n; i++) {
        v[i] = ml_rng_normal(&rng) * 10 + 100;
        if (i % 10 == 0)
            nulls[i] = 1;
        if (i % 97 == 0)
            v[i] = NAN;
    }
    tbl_table *t = f64_table(v, nulls, n);
    prof_profile *full = compute(t), *sampled = NULL;
    prof_options opts = {.sample_max = 2000};
    assert_int_equal(prof_compute_ex(t, &opts, &sampled, &err), ML_OK);
    const prof_column *a = &full->cols[0], *b = &sampled->cols[0];
    assert_int_equal(a->nulls, b->nulls);
    assert_int_equal(a->distinct, b->distinct);
    assert_false(b->distinct_estimated);
    assert_close(b->min, a->min, "min");
    assert_close(b->max, a->max, "max");
    assert_close(b->mean, a->mean, "mean");
    assert_close(b->std, a->std, "std");
    for (int k = 0; k < PROF_HIST_BINS; k++)
        assert_int_equal(a->hist_counts[k], b->hist_counts[k]);
    for (int q = 0; q < PROF_QUANTILE_COUNT; q++)
        if (fabs(a->quantiles[q] - b->quantiles[q]) > 2.0)
            fail_msg("sampled quantile %d: %g vs %g", q, b->quantiles[q], a->quantiles[q]);
    /* Deterministic: the same sample twice. */
    prof_profile *again = NULL;
    assert_int_equal(prof_compute_ex(t, &opts, &again, &err), ML_OK);
    assert_true(prof_equal(sampled, again));
    prof_free(again);
    prof_free(sampled);
    prof_free(full);
    tbl_free(t);
    free(v);
    free(nulls);
}

static void row_order_does_not_matter(void **state)
{
    (void)state;
    const size_t n = 20000;
    double *v = malloc(n * sizeof *v), *r = malloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        v[i] = 1e15 + (double)(i * 7 % 1000) * 0.1 + 1.0 / (double)(i + 1);
    for (size_t i = 0; i < n; i++)
        r[i] = v[n - 1 - i];
    tbl_table *a = f64_table(v, NULL, n), *b = f64_table(r, NULL, n);
    prof_profile *pa = compute(a), *pb = compute(b);
    assert_true(prof_equal(pa, pb));
    prof_free(pa);
    prof_free(pb);
    tbl_free(a);
    tbl_free(b);
    free(v);
    free(r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's 'linear' quantile, written independently of profile.c. */
static double ref_quantile(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    if (h >= (double)(n - 1))
        return x[n - 1];
    double lo = floor(h), g = h - lo;
    size_t i = (size_t)lo;
    double d = x[i + 1] - x[i];
    return g >= 0.5 ? x[i + 1] - d * (1 - g) : x[i] + d * g;
}

/* The radix sort behind min, max, distinct and the quantiles, against qsort
 * on distributions that stress its digit choice: clusters far apart, values
 * differing only in their last bits, both signs with ±0 and ±infinity,
 * heavy duplicates, already sorted and reversed input, tiny columns. */
static void sorts_awkward_distributions(void **state)
{
    (void)state;
    enum { KINDS = 8 };
    const size_t sizes[KINDS] = {70000, 50000, 40000, 60000, 3, 33, 100000, 100000};
    ml_rng rng;
    ml_rng_seed(&rng, 42);
    for (int kind = 0; kind < KINDS; kind++) {
        size_t n = sizes[kind];
        double *v = malloc(n * sizeof *v), *ref = malloc(n * sizeof *ref);
        for (size_t i = 0; i < n; i++) {
            double u = ml_rng_uniform(&rng);
            switch (kind) {
            case 0: /* three clusters, one of them huge */
                v[i] = i % 3 == 0 ? 1e300 * u : i % 3 == 1 ? -5 + u * 1e-9 : 1e-300 * u;
                break;
            case 1: /* only the lowest mantissa bits differ */
                v[i] = 1.0 + (double)ml_rng_below(&rng, 64) * 0x1p-52;
                break;
            case 2: /* signs, zeros and infinities */
                v[i] = i % 7 == 0    ? -0.0
                       : i % 7 == 1  ? 0.0
                       : i % 11 == 0 ? (i % 2 ? INFINITY : -INFINITY)
                                     : (u - 0.5) * 1e6;
                break;
            case 3: /* heavy duplicates */
                v[i] = (double)ml_rng_below(&rng, 5) - 2;
                break;
            case 6: /* already sorted */
                v[i] = (double)i * 0.25;
                break;
            case 7: /* reversed */
                v[i] = -(double)i * 3;
                break;
            default:
                v[i] = ml_rng_normal(&rng);
                break;
            }
        }
        for (size_t i = 0; i < n; i++)
            ref[i] = v[i] == 0 ? 0.0 : v[i]; /* the profile folds -0 into +0 */
        qsort(ref, n, sizeof *ref, cmp_double);
        uint64_t distinct = 1;
        for (size_t i = 1; i < n; i++)
            distinct += ref[i] != ref[i - 1];
        tbl_table *t = f64_table(v, NULL, n);
        prof_profile *p = compute(t);
        const prof_column *c = &p->cols[0];
        char what[64];
        snprintf(what, sizeof what, "kind %d min", kind);
        assert_close(c->min, ref[0], what);
        snprintf(what, sizeof what, "kind %d max", kind);
        assert_close(c->max, ref[n - 1], what);
        assert_int_equal(c->distinct, distinct);
        assert_false(c->distinct_estimated);
        for (int q = 0; q < PROF_QUANTILE_COUNT; q++) {
            double want = ref_quantile(ref, n, prof_quantile_levels[q]);
            if (memcmp(&want, &c->quantiles[q], sizeof want) != 0 &&
                !(isnan(want) && isnan(c->quantiles[q])))
                fail_msg("kind %d p%g: got %.17g, want %.17g", kind, prof_quantile_levels[q] * 100,
                         c->quantiles[q], want);
        }
        prof_free(p);
        tbl_free(t);
        free(v);
        free(ref);
    }
}

/* ---- JSON ------------------------------------------------------------------------- */

static prof_profile *sample_profile(void)
{
    ml_error err = {0};
    tbl_table *t = NULL;
    assert_int_equal(synth_customers(2000, 7, &t, &err), ML_OK);
    tbl_table *e = every_type_table();
    double odd[] = {7, NAN, -INFINITY, 1e-300, -0.0, 3.141592653589793};
    tbl_table *o = f64_table(odd, NULL, 6);
    prof_profile *p = compute(t), *pe = compute(e), *po = compute(o);
    /* Splice the profiles together: realistic columns, every type, and the
     * non-finite values JSON cannot spell as numbers. */
    prof_profile *all = calloc(1, sizeof *all);
    all->rows = p->rows;
    all->ncols = p->ncols + pe->ncols + po->ncols;
    all->cols = calloc(all->ncols, sizeof *all->cols);
    memcpy(all->cols, p->cols, p->ncols * sizeof *p->cols);
    memcpy(all->cols + p->ncols, pe->cols, pe->ncols * sizeof *pe->cols);
    memcpy(all->cols + p->ncols + pe->ncols, po->cols, po->ncols * sizeof *po->cols);
    free(p->cols);
    free(pe->cols);
    free(po->cols);
    free(p);
    free(pe);
    free(po);
    tbl_free(t);
    tbl_free(e);
    tbl_free(o);
    return all;
}

static void json_round_trip(void **state)
{
    (void)state;
    ml_error err = {0};
    prof_profile *p = sample_profile();
    json_t *j = prof_to_json(p);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_REAL_PRECISION(17) | JSON_COMPACT);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"mean\":\"-inf\""));
    assert_non_null(strstr(text, "\"distinct_estimated\":false"));
    json_error_t jerr;
    json_t *back_json = json_loads(text, 0, &jerr);
    assert_non_null(back_json);
    prof_profile *back = NULL;
    int rc = prof_from_json(back_json, &back, &err);
    if (rc)
        fail_msg("prof_from_json: %s", err.message);
    assert_true(prof_equal(p, back));

    /* Equality is strict: one bit of one quantile is a difference. */
    back->cols[2].quantiles[3] = nextafter(back->cols[2].quantiles[3], INFINITY);
    assert_false(prof_equal(p, back));
    back->cols[2].quantiles[3] = p->cols[2].quantiles[3];
    assert_true(prof_equal(p, back));
    free(back->cols[3].top[0].value);
    back->cols[3].top[0].value = strdup("other");
    assert_false(prof_equal(p, back));

    free(text);
    json_decref(j);
    json_decref(back_json);
    prof_free(back);
    prof_free(p);
}

/* Loads the profile's JSON, lets edit break it, and checks the error. */
static void expect_json_error(const prof_profile *p, void (*edit)(json_t *), const char *needle)
{
    ml_error err = {0};
    json_t *j = prof_to_json(p);
    edit(j);
    prof_profile *back = NULL;
    int rc = prof_from_json(j, &back, &err);
    assert_error(rc, err, ML_EFORMAT, needle);
    assert_null(back);
    json_decref(j);
}

static json_t *column(json_t *j, size_t i)
{
    return json_array_get(json_object_get(j, "columns"), i);
}

static void edit_p50(json_t *j)
{
    json_object_set_new(json_object_get(column(j, 2), "quantiles"), "p50", json_string("x"));
}
static void edit_type(json_t *j)
{
    json_object_set_new(column(j, 1), "type", json_string("complex"));
}
static void edit_rows(json_t *j)
{
    json_object_del(j, "rows");
}
static void edit_nulls(json_t *j)
{
    json_object_set_new(column(j, 0), "nulls", json_integer(1000000));
}
static void edit_hist(json_t *j)
{
    json_t *counts = json_object_get(json_object_get(column(j, 0), "histogram"), "counts");
    while (json_array_size(counts) <= PROF_HIST_BINS)
        json_array_append_new(counts, json_integer(0));
}
static void edit_top(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(column(j, 3), "top"), 1), "count",
                        json_integer(-4));
}
static void edit_name(json_t *j)
{
    json_object_set_new(column(j, 5), "name", json_integer(3));
}
static void edit_estimated(json_t *j)
{
    json_object_del(column(j, 4), "distinct_estimated");
}
static void edit_std_missing(json_t *j)
{
    json_object_del(column(j, 0), "std");
}
static void edit_columns(json_t *j)
{
    json_object_set_new(j, "columns", json_object());
}
static void edit_value(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(column(j, 3), "top"), 0), "value",
                        json_null());
}

static void json_errors_name_the_field(void **state)
{
    (void)state;
    prof_profile *p = sample_profile(); /* 0 customer_id, 1 signup_date, 2 age, 3 plan */
    assert_int_equal(p->cols[2].type, TBL_I64);
    assert_int_equal(p->cols[3].type, TBL_STR);
    expect_json_error(p, edit_p50, "columns[2].quantiles.p50: expected a number");
    expect_json_error(p, edit_type, "columns[1].type: unknown type");
    expect_json_error(p, edit_rows, "rows: missing");
    expect_json_error(p, edit_nulls, "columns[0].nulls: exceeds count");
    expect_json_error(p, edit_name, "columns[5].name: expected a string");
    expect_json_error(p, edit_estimated, "columns[4].distinct_estimated: missing");
    expect_json_error(p, edit_columns, "columns: expected an array");
    expect_json_error(p, edit_value, "columns[3].top[0].value: expected a string");
    expect_json_error(p, edit_top, "columns[3].top[1].count: expected a non-negative integer");
    prof_free(p);

    /* Histogram and std checks need a numeric column first. */
    double v[] = {1, 2, 3};
    tbl_table *t = f64_table(v, NULL, 3);
    p = compute(t);
    expect_json_error(p, edit_hist, "columns[0].histogram.counts: expected 1 to 20 bins");
    expect_json_error(p, edit_std_missing, "columns[0].std: missing");
    prof_free(p);
    tbl_free(t);

    ml_error err = {0};
    prof_profile *back = NULL;
    json_t *arr = json_array();
    assert_error(prof_from_json(arr, &back, &err), err, ML_EFORMAT, "expected a JSON object");
    json_decref(arr);
}

/* ---- binary ------------------------------------------------------------------------ */

static void binary_round_trip(void **state)
{
    (void)state;
    ml_error err = {0};
    prof_profile *p = sample_profile();
    uint8_t *buf, *buf2;
    size_t len, len2;
    assert_int_equal(prof_serialize(p, &buf, &len, &err), ML_OK);
    assert_memory_equal(buf, "MLPROF\0\0\1\0\0\0", 12);
    prof_profile *back = NULL;
    int rc = prof_deserialize(buf, len, &back, &err);
    if (rc)
        fail_msg("prof_deserialize: %s", err.message);
    assert_true(prof_equal(p, back));
    /* Stable: the copy serializes to the same bytes. */
    assert_int_equal(prof_serialize(back, &buf2, &len2, &err), ML_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    free(buf);
    free(buf2);
    prof_free(back);
    prof_free(p);
}

static void every_truncation_fails_cleanly(void **state)
{
    (void)state;
    ml_error err = {0};
    prof_profile *p = sample_profile();
    uint8_t *buf;
    size_t len;
    assert_int_equal(prof_serialize(p, &buf, &len, &err), ML_OK);
    for (size_t cut = 0; cut < len; cut++) {
        /* An exact-size copy, so that reading one byte too far trips ASan. */
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, buf, cut);
        prof_profile *back = (prof_profile *)1;
        int rc = prof_deserialize(part, cut, &back, &err);
        if (rc != ML_EFORMAT)
            fail_msg("truncated to %zu of %zu bytes: rc %d", cut, len, rc);
        assert_null(back);
        free(part);
    }
    free(buf);
    prof_free(p);
}

static void random_byte_flips_never_crash(void **state)
{
    (void)state;
    ml_error err = {0};
    prof_profile *p = sample_profile();
    uint8_t *buf;
    size_t len;
    assert_int_equal(prof_serialize(p, &buf, &len, &err), ML_OK);
    ml_rng rng;
    ml_rng_seed(&rng, 1234);
    int loaded = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        int flips = 1 + (int)ml_rng_below(&rng, 3);
        for (int k = 0; k < flips; k++)
            copy[ml_rng_below(&rng, len)] ^= (uint8_t)(1 + ml_rng_below(&rng, 255));
        prof_profile *back = NULL;
        int rc = prof_deserialize(copy, len, &back, &err);
        if (rc == ML_OK) {
            loaded++;
            /* Whatever loaded must print and serialize without trouble. */
            uint8_t *again;
            size_t again_len;
            assert_int_equal(prof_serialize(back, &again, &again_len, &err), ML_OK);
            free(again);
            FILE *sink = fopen("/dev/null", "w");
            prof_print(back, "flipped", sink);
            fclose(sink);
            json_decref(prof_to_json(back));
            prof_free(back);
        } else {
            assert_int_equal(rc, ML_EFORMAT);
            assert_null(back);
        }
        free(copy);
    }
    assert_true(loaded > 0); /* most flips land in a double or a text */
    free(buf);
    prof_free(p);
}

static void put_u32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* Deserializes buf after edit and checks the message. */
static void expect_binary_error(const uint8_t *buf, size_t len, size_t at, uint32_t value,
                                const char *needle)
{
    ml_error err = {0};
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    put_u32(copy + at, value);
    prof_profile *back = NULL;
    int rc = prof_deserialize(copy, len, &back, &err);
    assert_error(rc, err, ML_EFORMAT, needle);
    assert_null(back);
    free(copy);
}

static void binary_errors_say_what_and_where(void **state)
{
    (void)state;
    ml_error err = {0};
    /* A hand-made profile with a known layout: one bool column "a". */
    prof_profile *p = calloc(1, sizeof *p);
    p->rows = 3;
    p->ncols = 1;
    p->cols = calloc(1, sizeof *p->cols);
    p->cols[0].name = strdup("a");
    p->cols[0].type = TBL_BOOL;
    p->cols[0].count = 3;
    p->cols[0].distinct = 1;
    p->cols[0].top_count = 1;
    p->cols[0].top[0].value = strdup("true");
    p->cols[0].top[0].count = 3;
    uint8_t *buf;
    size_t len;
    assert_int_equal(prof_serialize(p, &buf, &len, &err), ML_OK);
    /* magic 0, version 8, rows 12, ncols 20, name length 24, name 28,
     * type 29, count 33, nulls 41, distinct 49, estimated 57, has_stats 58,
     * hist_bins 59, top_count 63, top[0] length 67 */
    assert_int_equal(len, 67 + 4 + 4 + 8 + 8);

    uint8_t *bad = malloc(len + 1);
    memcpy(bad, buf, len);
    bad[1] = 'X';
    prof_profile *back = NULL;
    assert_error(prof_deserialize(bad, len, &back, &err), err, ML_EFORMAT, "bad magic at byte 0");
    assert_error(prof_deserialize(bad, 5, &back, &err), err, ML_EFORMAT,
                 "shorter than the 8-byte magic");
    memcpy(bad, buf, len);
    bad[len] = 0;
    assert_error(prof_deserialize(bad, len + 1, &back, &err), err, ML_EFORMAT,
                 "1 trailing byte at byte 91");
    memcpy(bad, buf, len);
    bad[57] = 2;
    assert_error(prof_deserialize(bad, len, &back, &err), err, ML_EFORMAT,
                 "columns[0].distinct_estimated at byte 57 is 2, expected 0 or 1");
    free(bad);

    expect_binary_error(buf, len, 8, 2, "unsupported profile format version 2 at byte 8");
    expect_binary_error(buf, len, 8, 0, "unsupported profile format version 0");
    expect_binary_error(buf, len, 20, 2000000,
                        "column count 2000000 at byte 20 exceeds the cap of 1000000");
    expect_binary_error(buf, len, 20, 1000, "truncated profile: 1000 columns at byte 24");
    expect_binary_error(buf, len, 24, 0x7fffffff,
                        "columns[0].name length 2147483647 at byte 24 exceeds the cap of 1048576");
    expect_binary_error(buf, len, 24, 500, "columns[0].name at byte 28 needs 500 bytes");
    expect_binary_error(buf, len, 29, 9, "columns[0].type 9 at byte 29 is not a known column type");
    expect_binary_error(buf, len, 41, 9, "columns[0].nulls 9 at byte 41 exceeds count 3");
    expect_binary_error(buf, len, 59, 21,
                        "columns[0].hist_bins 21 at byte 59 exceeds the cap of 20");
    expect_binary_error(buf, len, 63, 11,
                        "columns[0].top_count 11 at byte 63 exceeds the cap of 10");
    expect_binary_error(buf, len, 67, 21,
                        "columns[0].top[0].value at byte 71 needs 21 bytes, 20 left");

    /* A NUL inside a name. */
    bad = malloc(len);
    memcpy(bad, buf, len);
    bad[28] = 0;
    assert_error(prof_deserialize(bad, len, &back, &err), err, ML_EFORMAT,
                 "columns[0].name at byte 28 contains a NUL byte");
    free(bad);

    /* The writer refuses what the reader would refuse. */
    p->cols[0].top_count = PROF_TOP_MAX + 1;
    uint8_t *none;
    size_t none_len;
    assert_error(prof_serialize(p, &none, &none_len, &err), err, ML_EINVAL, "top_count");
    p->cols[0].top_count = 1;
    free(buf);
    prof_free(p);
}

/* ---- printing ---------------------------------------------------------------------- */

static char *print_to_string(const prof_profile *p, const char *source)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    prof_print(p, source, f);
    fclose(f);
    return text;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("output lacks '%s':\n%s", needle, text);
}

static void prints_a_readable_table(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = every_type_table();
    assert_int_equal(tbl_add_column(t, "a_rather_long_column_name_that_goes_on", TBL_I64, &err),
                     ML_OK);
    for (size_t r = 0; r < 4; r++)
        tbl_set_i64(t, 6, r, (int64_t)r * 1000);
    prof_profile *p = compute(t);
    p->cols[5].distinct = 123456; /* pretend the strings were many */
    p->cols[5].distinct_estimated = true;
    char *text = print_to_string(p, "src.csv");
    assert_contains(text, "src.csv: 4 rows, 7 columns\n");
    assert_contains(text, "column");
    assert_contains(text, "type");
    assert_contains(text, "nulls");
    assert_contains(text, "distinct");
    assert_contains(text, "mean");
    assert_contains(text, "timestamp");
    assert_contains(text, "1970-01-01");                          /* date min */
    assert_contains(text, "2022-01-08");                          /* date max */
    assert_contains(text, "1970-01-02T00:00:00");                 /* timestamp max */
    assert_contains(text, "~123456");                             /* estimated distinct */
    assert_contains(text, "1.16667");                             /* %.6g mean */
    assert_contains(text, "a_rather_long_column_na\xE2\x80\xA6"); /* 24 columns, ellipsis */
    assert_null(strstr(text, "a_rather_long_column_nam"));
    free(text);
    prof_free(p);
    tbl_free(t);
}

static void prints_quantiles_and_categories(void **state)
{
    (void)state;
    tbl_table *t = every_type_table();
    const char *city[] = {"oslo", "bergen", "oslo", "line\nbreak"};
    add_str_column(t, "city", city, 4);
    prof_profile *p = compute(t);
    char *text = print_to_string(p, "x.csv");
    assert_contains(text, "p1");
    assert_contains(text, "p50");
    assert_contains(text, "p99");
    assert_contains(text, "std");
    assert_contains(text, "top values");
    assert_contains(text, "oslo (2), bergen (1), line?break (1)");
    assert_contains(text, "true (2), false (1)");
    /* Every line fits a 120-column terminal. */
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t cols = 0;
        for (const char *c = line; c < end; c++)
            cols += ((unsigned char)*c & 0xC0) != 0x80;
        if (cols > 120)
            fail_msg("line wider than 120 columns:\n%.*s", (int)(end - line), line);
        if (end > line && end[-1] == ' ')
            fail_msg("trailing blanks:\n%.*s|", (int)(end - line), line);
        line = end + 1;
    }
    free(text);
    prof_free(p);
    tbl_free(t);

    /* Twelve categories: the ten first, then the rest as others. */
    const char *twelve[12] = {"l", "k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"};
    t = tbl_create();
    add_str_column(t, "letter", twelve, 12);
    p = compute(t);
    text = print_to_string(p, "letters");
    assert_contains(text, "letters: 12 rows, 1 column\n");
    assert_contains(text, "a (1), b (1)");
    assert_contains(text, "others (2)");
    free(text);
    prof_free(p);
    tbl_free(t);
}

static void prints_realistic_data(void **state)
{
    (void)state;
    ml_error err = {0};
    tbl_table *t = NULL;
    assert_int_equal(synth_customers(5000, 11, &t, &err), ML_OK);
    prof_profile *p = compute(t);
    char *text = print_to_string(p, "customers.csv");
    assert_contains(text, "customers.csv: 5000 rows, 12 columns\n");
    assert_contains(text, "last_login");
    assert_contains(text, "signup_date");
    assert_contains(text, "monthly_charges");
    if (getenv("MLOOP_TEST_VERBOSE"))
        fputs(text, stderr);
    free(text);
    prof_free(p);
    tbl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_numpy_reference),
        cmocka_unit_test(profiles_every_type),
        cmocka_unit_test(nan_counts_as_null),
        cmocka_unit_test(all_null_and_empty_columns),
        cmocka_unit_test(empty_table),
        cmocka_unit_test(histograms),
        cmocka_unit_test(top_categories_break_ties_by_value),
        cmocka_unit_test(distinct_counts_only_codes_in_use),
        cmocka_unit_test(distinct_switches_to_hyperloglog),
        cmocka_unit_test(sampled_quantiles_keep_exact_stats),
        cmocka_unit_test(row_order_does_not_matter),
        cmocka_unit_test(sorts_awkward_distributions),
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(json_errors_name_the_field),
        cmocka_unit_test(binary_round_trip),
        cmocka_unit_test(every_truncation_fails_cleanly),
        cmocka_unit_test(random_byte_flips_never_crash),
        cmocka_unit_test(binary_errors_say_what_and_where),
        cmocka_unit_test(prints_a_readable_table),
        cmocka_unit_test(prints_quantiles_and_categories),
        cmocka_unit_test(prints_realistic_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
