/* Unit tests for src/features/stats.c: every statistic against numpy's and
 * scikit-learn's value on the columns of tests/fixtures/stats/reference.txt
 * (made by make_reference.py; its docstring gives the format), brute-force
 * cross-checks of the nearest-neighbour estimators on tied data, and the
 * edge cases (nothing left, all NaN, one value, adversarial orders). */
#include "test_util.h"

#include "features/stats.h"

#include <math.h>

/* ---- the fixture ----------------------------------------------------------- */

typedef struct dataset {
    char name[64];
    size_t n;
    double *x, *y; /* y only for pairs */
} dataset;

enum { MAX_SETS = 64 };
static dataset sets[MAX_SETS];
static size_t nsets;

/* Largest deviation seen per function, relative to max(|want|, 1e-300). */
typedef struct worst {
    const char *what;
    double dev;
    size_t n;
} worst;

static worst worsts[] = {{"quantile", 0, 0},    {"mode", 0, 0},         {"edges", 0, 0},
                         {"bin_index", 0, 0},   {"pearson", 0, 0},      {"mi_classif", 0, 0},
                         {"mi_discrete", 0, 0}, {"mi_regression", 0, 0}};

static void read_doubles(FILE *f, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        if (fscanf(f, "%lf", &out[i]) != 1)
            fail_msg("fixture: expected %zu numbers", n);
}

static const dataset *find_set(const char *name)
{
    for (size_t i = 0; i < nsets; i++)
        if (!strcmp(sets[i].name, name))
            return &sets[i];
    fail_msg("fixture: no column or pair named %s", name);
    return NULL;
}

/* 1e-9 relative, or 1e-14 absolute for values at 0. */
static void assert_close(int w, const char *ctx, double got, double want)
{
    worsts[w].n++;
    if (isnan(want) && isnan(got))
        return;
    if (isinf(want) && got == want)
        return;
    double d = fabs(got - want), rel = d / fmax(fabs(want), 1e-300);
    if (want == 0 && got == 0)
        rel = 0;
    if (rel > worsts[w].dev)
        worsts[w].dev = rel;
    if (!(d <= 1e-9 * fabs(want) + 1e-14))
        fail_msg("%s %s: got %.17g, reference %.17g", worsts[w].what, ctx, got, want);
}

static double *copy_of(const dataset *s)
{
    double *v = malloc((s->n ? s->n : 1) * sizeof *v);
    memcpy(v, s->x, s->n * sizeof *v);
    return v;
}

static int32_t *classes_of(const dataset *s, int *nclasses)
{
    int32_t *c = malloc(s->n * sizeof *c);
    *nclasses = 0;
    for (size_t i = 0; i < s->n; i++) {
        c[i] = (int32_t)s->y[i];
        if (c[i] + 1 > *nclasses)
            *nclasses = c[i] + 1;
    }
    return c;
}

static void check_record(FILE *f, const char *kind)
{
    char name[64], ctx[160];
    ml_error err = {0};
    if (fscanf(f, "%63s", name) != 1)
        fail_msg("fixture: %s without a name", kind);
    if (!strcmp(kind, "col") || !strcmp(kind, "pair")) {
        assert_true(nsets < MAX_SETS);
        dataset *s = &sets[nsets++];
        snprintf(s->name, sizeof s->name, "%s", name);
        if (fscanf(f, "%zu", &s->n) != 1)
            fail_msg("fixture: %s %s without a size", kind, name);
        s->x = malloc((s->n ? s->n : 1) * sizeof *s->x);
        read_doubles(f, s->n, s->x);
        s->y = NULL;
        if (!strcmp(kind, "pair")) {
            s->y = malloc((s->n ? s->n : 1) * sizeof *s->y);
            read_doubles(f, s->n, s->y);
        }
        return;
    }
    const dataset *s = find_set(name);
    if (!strcmp(kind, "q")) {
        double q, want, got;
        read_doubles(f, 1, &q);
        read_doubles(f, 1, &want);
        double *v = copy_of(s);
        fs_quantiles(v, s->n, &q, 1, &got);
        snprintf(ctx, sizeof ctx, "%s q=%g", name, q);
        assert_close(0, ctx, got, want);
        free(v);
    } else if (!strcmp(kind, "mode")) {
        double want;
        read_doubles(f, 1, &want);
        double *v = copy_of(s);
        assert_close(1, name, fs_mode(v, s->n), want);
        free(v);
    } else if (!strcmp(kind, "edges") || !strcmp(kind, "bins")) {
        char strategy[16];
        int nbins;
        size_t ne;
        if (fscanf(f, "%15s %d %zu", strategy, &nbins, &ne) != 3)
            fail_msg("fixture: bad %s record for %s", kind, name);
        double *v = copy_of(s), edges[64];
        int quantile = !strcmp(strategy, "quantile");
        size_t got_ne = quantile ? fs_bin_edges_quantile(v, s->n, nbins, edges)
                                 : fs_bin_edges_uniform(v, s->n, nbins, edges);
        snprintf(ctx, sizeof ctx, "%s %s nbins=%d", name, strategy, nbins);
        if (!strcmp(kind, "edges")) {
            if (got_ne != ne)
                fail_msg("edges %s: %zu edges, scikit-learn %zu", ctx, got_ne, ne);
            for (size_t i = 0; i < ne; i++) {
                double want;
                read_doubles(f, 1, &want);
                assert_close(2, ctx, edges[i], want);
            }
        } else {
            for (size_t i = 0; i < ne; i++) { /* ne is the number of probes here */
                double xb[2];
                read_doubles(f, 2, xb);
                double got = fs_bin_index(edges, got_ne, xb[0]);
                char pctx[200];
                snprintf(pctx, sizeof pctx, "%s x=%.17g", ctx, xb[0]);
                assert_close(3, pctx, got, xb[1]);
            }
        }
        free(v);
    } else if (!strcmp(kind, "pearson")) {
        double want;
        read_doubles(f, 1, &want);
        assert_close(4, name, fs_pearson(s->x, s->y, s->n), want);
    } else if (!strcmp(kind, "mi_classif") || !strcmp(kind, "mi_regression")) {
        int k;
        double want, got = -1;
        if (fscanf(f, "%d", &k) != 1)
            fail_msg("fixture: %s %s without k", kind, name);
        read_doubles(f, 1, &want);
        if (!strcmp(kind, "mi_classif")) {
            int nc;
            int32_t *c = classes_of(s, &nc);
            assert_int_equal(fs_mutual_info_classif(s->x, c, s->n, nc, k, &got, &err), ML_OK);
            free(c);
            assert_close(5, name, got, want);
        } else {
            assert_int_equal(fs_mutual_info_regression(s->x, s->y, s->n, k, &got, &err), ML_OK);
            assert_close(7, name, got, want);
        }
    } else if (!strcmp(kind, "mi_discrete")) {
        double want, got = -1;
        read_doubles(f, 1, &want);
        int nc;
        int32_t *c = classes_of(s, &nc);
        assert_int_equal(fs_mutual_info_discrete(s->x, c, s->n, nc, &got, &err), ML_OK);
        free(c);
        assert_close(6, name, got, want);
    } else {
        fail_msg("fixture: unknown record %s", kind);
    }
}

static void test_against_reference(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/stats/reference.txt",
             getenv("MLOOP_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char kind[64];
    while (fscanf(f, "%63s", kind) == 1) {
        if (kind[0] == '#') {
            int c;
            while ((c = fgetc(f)) != '\n' && c != EOF)
                ;
            continue;
        }
        check_record(f, kind);
    }
    fclose(f);
    for (size_t i = 0; i < sizeof worsts / sizeof *worsts; i++) {
        fprintf(stderr, "%-14s %5zu checks, max relative deviation %.3g\n", worsts[i].what,
                worsts[i].n, worsts[i].dev);
        assert_true(worsts[i].n >= 3);
    }
    for (size_t i = 0; i < nsets; i++) {
        free(sets[i].x);
        free(sets[i].y);
    }
}

/* ---- quantiles: edge cases and adversarial orders -------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's linear quantile of sorted s[0..m), written out directly. */
static double reference_quantile(const double *s, size_t m, double q)
{
    double h = (double)(m - 1) * q;
    size_t lo = h >= (double)(m - 1) ? m - 1 : (size_t)floor(h);
    size_t hi = lo + 1 < m ? lo + 1 : lo;
    double t = h >= (double)(m - 1) ? h + 1 : h - floor(h);
    double a = s[lo], b = s[hi], d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

static void check_quantiles_on(double *v, size_t m, const double *qs, size_t nq)
{
    double *s = malloc(m * sizeof *s), *out = malloc(nq * sizeof *out);
    memcpy(s, v, m * sizeof *s);
    qsort(s, m, sizeof *s, cmp_double);
    fs_quantiles(v, m, qs, nq, out);
    for (size_t i = 0; i < nq; i++)
        if (out[i] != reference_quantile(s, m, qs[i]))
            fail_msg("q=%g of %zu values: got %.17g, want %.17g", qs[i], m, out[i],
                     reference_quantile(s, m, qs[i]));
    /* The values are only reordered. */
    qsort(v, m, sizeof *v, cmp_double);
    assert_memory_equal(v, s, m * sizeof *v);
    free(s);
    free(out);
}

static void test_quantile_edges(void **state)
{
    (void)state;
    double out[3], qs[3] = {0, 0.5, 1};
    fs_quantiles(NULL, 0, qs, 3, out);
    assert_true(isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
    double nan3[] = {NAN, NAN, NAN};
    fs_quantiles(nan3, 3, qs, 3, out);
    assert_true(isnan(out[0]) && isnan(out[2]));
    double one[] = {4.5};
    fs_quantiles(one, 1, qs, 3, out);
    assert_true(out[0] == 4.5 && out[1] == 4.5 && out[2] == 4.5);
    /* NaN is ignored. */
    double mixed[] = {NAN, 3, 1, NAN, 2};
    fs_quantiles(mixed, 5, qs, 3, out);
    assert_true(out[0] == 1 && out[1] == 2 && out[2] == 3);
    /* Unordered and repeated probabilities, and more than one chunk of them. */
    double v[257], many[200];
    for (int i = 0; i < 257; i++)
        v[i] = (double)((i * 89) % 257) * 0.37 - 20;
    for (int i = 0; i < 200; i++)
        many[i] = (double)((i * 73) % 101) / 100;
    check_quantiles_on(v, 257, many, 200);
    double dup[] = {0.3, 0.3, 0.99, 0, 0.3};
    check_quantiles_on(v, 257, dup, 5);
    /* fs_finite */
    double src[] = {1, NAN, 2, NAN}, dst[4];
    assert_int_equal(fs_finite(src, 4, dst), 2);
    assert_true(dst[0] == 1 && dst[1] == 2);
}

static void test_quantile_orders(void **state)
{
    (void)state;
    size_t m = 1000000;
    double *v = malloc(m * sizeof *v);
    const double qs[] = {0.99, 0.01, 0.5, 0.25, 0.75, 0, 1, 0.123456};
    for (int shape = 0; shape < 6; shape++) {
        for (size_t i = 0; i < m; i++) {
            switch (shape) {
            case 0:
                v[i] = (double)i;
                break; /* sorted */
            case 1:
                v[i] = (double)(m - i);
                break; /* reversed */
            case 2:
                v[i] = 7.0;
                break; /* constant */
            case 3:
                v[i] = (double)(i % 3);
                break; /* three values */
            case 4:
                v[i] = (double)(i < m / 2 ? i : m - i);
                break; /* organ pipe */
            default:
                v[i] = (double)((i * 2654435761u) % 1000003u);
                break;
            }
        }
        check_quantiles_on(v, m, qs, sizeof qs / sizeof *qs);
    }
    free(v);
}

/* ---- mode, bins, Pearson ---------------------------------------------------- */

static void test_mode_bins_pearson_edges(void **state)
{
    (void)state;
    double tie[] = {3, 1, 3, NAN, 1, 2};
    assert_true(fs_mode(tie, 6) == 1); /* 1 and 3 twice each: the smaller */
    double nan2[] = {NAN, NAN};
    assert_true(isnan(fs_mode(nan2, 2)));
    assert_true(isnan(fs_mode(NULL, 0)));
    double single[] = {-2};
    assert_true(fs_mode(single, 1) == -2);

    double edges[11];
    assert_int_equal(fs_bin_edges_quantile(NULL, 0, 5, edges), 2);
    assert_true(isinf(edges[0]) && edges[0] < 0 && isinf(edges[1]) && edges[1] > 0);
    assert_int_equal(fs_bin_edges_uniform(nan2, 2, 5, edges), 2);
    assert_true(isinf(edges[0]) && isinf(edges[1]));
    double v[] = {0, NAN, 1, 2, 3, 4};
    assert_int_equal(fs_bin_edges_quantile(v, 6, 0, edges), 0);
    assert_int_equal(fs_bin_edges_uniform(v, 6, 4, edges), 5);
    assert_true(edges[0] == 0 && edges[4] == 4 && edges[2] == 2);
    assert_int_equal(fs_bin_edges_quantile(v, 6, 4, edges), 5);
    assert_true(edges[1] == 1 && edges[3] == 3);
    assert_true(fs_bin_index(edges, 5, -10) == 0);
    assert_true(fs_bin_index(edges, 5, 1) == 1); /* side="right" */
    assert_true(fs_bin_index(edges, 5, 3.5) == 3);
    assert_true(fs_bin_index(edges, 5, 99) == 3);
    assert_true(isnan(fs_bin_index(edges, 5, NAN)));
    double inf_edges[] = {-INFINITY, INFINITY};
    assert_true(fs_bin_index(inf_edges, 2, 5) == 0);
    assert_true(fs_bin_index(inf_edges, 1, 5) == 0);

    double x[] = {1, 2, 3, NAN, 5}, y[] = {2, 4, 6, 1, NAN}, c[] = {0.1, 0.1, 0.1, 0.1, 0.1};
    assert_true(fabs(fs_pearson(x, y, 5) - 1) < 1e-15);
    assert_true(fs_pearson(x, c, 5) == 0); /* constant side */
    assert_true(fs_pearson(x, y, 1) == 0); /* fewer than two rows */
    double yneg[] = {-1, -2, -3, 0, 0};
    assert_true(fabs(fs_pearson(x, yneg, 3) + 1) < 1e-15);
}

/* ---- mutual information: brute-force references on tied data --------------- */

/* digamma at a positive integer: the harmonic number H(n-1) less Euler's
 * constant, independent of the series stats.c uses. */
static double psi(double x)
{
    double h = 0;
    for (int i = (int)x - 1; i >= 1; i--)
        h += 1.0 / i;
    return h - 0.57721566490153286061;
}

static double kth_smallest(double *d, size_t n, size_t k)
{
    qsort(d, n, sizeof *d, cmp_double);
    return d[k - 1];
}

/* _compute_mi_cd written out in O(n^2): x finite, classes 0..nc-1. */
static double brute_classif(const double *x, const int32_t *y, size_t n, int nc, int k)
{
    size_t *cnt = calloc((size_t)nc, sizeof *cnt), m = 0;
    double *d = malloc(n * sizeof *d), sk = 0, sl = 0, sm = 0;
    for (size_t i = 0; i < n; i++)
        cnt[y[i]]++;
    for (size_t i = 0; i < n; i++)
        m += cnt[y[i]] > 1;
    for (size_t i = 0; i < n; i++) {
        if (cnt[y[i]] < 2)
            continue;
        size_t kk = (size_t)k < cnt[y[i]] - 1 ? (size_t)k : cnt[y[i]] - 1, nd = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i && y[j] == y[i])
                d[nd++] = fabs(x[i] - x[j]);
        double r = nextafter(kth_smallest(d, nd, kk), 0);
        size_t within = 0;
        for (size_t j = 0; j < n; j++)
            within += cnt[y[j]] > 1 && fabs(x[i] - x[j]) <= r;
        sk += psi((double)kk);
        sl += psi((double)cnt[y[i]]);
        sm += psi((double)within);
    }
    free(cnt);
    free(d);
    double mi = psi((double)m) + (sk - sl - sm) / (double)m;
    return mi > 0 ? mi : 0;
}

/* _compute_mi_cc written out in O(n^2) on already scaled x, y. */
static double brute_regression(const double *x, const double *y, size_t n, int k)
{
    double *d = malloc(n * sizeof *d), s = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nd = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i)
                d[nd++] = fmax(fabs(x[i] - x[j]), fabs(y[i] - y[j]));
        double r = nextafter(kth_smallest(d, nd, (size_t)k), 0);
        size_t cx = 0, cy = 0;
        for (size_t j = 0; j < n; j++) {
            cx += fabs(x[i] - x[j]) <= r;
            cy += fabs(y[i] - y[j]) <= r;
        }
        s += psi((double)cx) + psi((double)cy);
    }
    free(d);
    double mi = psi((double)n) + psi(k) - s / (double)n;
    return mi > 0 ? mi : 0;
}

static double pop_sd(const double *v, size_t n)
{
    double mean = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        mean += v[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        q += (v[i] - mean) * (v[i] - mean);
    return sqrt(q / (double)n);
}

static void test_mi_brute_force(void **state)
{
    (void)state;
    ml_error err = {0};
    enum { N = 600 };
    double x[N], y[N], xs[N], ys[N], got;
    int32_t c[N];
    for (int shape = 0; shape < 3; shape++) {
        unsigned r = 12345u + (unsigned)shape;
        for (int i = 0; i < N; i++) {
            r = r * 1103515245u + 12345u;
            c[i] = (int32_t)((r >> 16) % 3);
            if (shape == 0) { /* few distinct values, many ties */
                x[i] = (double)((r >> 8) % 5) + c[i];
                y[i] = (double)((r >> 4) % 7) + 0.5 * x[i];
            } else if (shape == 1) { /* continuous */
                x[i] = (double)(r >> 8) / 65536.0 + 40.0 * c[i];
                y[i] = sin(x[i] / 50) + (double)((r >> 3) % 1000) / 4000;
            } else { /* a tied block inside continuous values */
                x[i] = i % 4 == 0 ? 2.0 : (double)(r >> 9) / 8192.0;
                y[i] = i % 8 == 0 ? 1.0 : x[i] * 0.3 + (double)((r >> 5) % 777) / 50;
            }
        }
        if (shape == 2)
            c[5] = 3; /* a class of one */
        int nc = shape == 2 ? 4 : 3;
        for (int k = 1; k <= 5; k += 2) {
            assert_int_equal(fs_mutual_info_classif(x, c, N, nc, k, &got, &err), ML_OK);
            double want = brute_classif(x, c, N, nc, k);
            if (!(fabs(got - want) <= 1e-11))
                fail_msg("classif shape %d k=%d: got %.17g, brute force %.17g", shape, k, got,
                         want);
            double sx = pop_sd(x, N), sy = pop_sd(y, N);
            for (int i = 0; i < N; i++) {
                xs[i] = x[i] / sx;
                ys[i] = y[i] / sy;
            }
            assert_int_equal(fs_mutual_info_regression(x, y, N, k, &got, &err), ML_OK);
            want = brute_regression(xs, ys, N, k);
            if (!(fabs(got - want) <= 1e-11))
                fail_msg("regression shape %d k=%d: got %.17g, brute force %.17g", shape, k, got,
                         want);
        }
    }
}

static void test_mi_edges(void **state)
{
    (void)state;
    ml_error err = {0};
    double got = -1;
    double x[] = {0.5, 1.5, NAN, 2.5, 0.7, 1.1, 3.0, 2.2};
    double y[] = {1.0, 2.0, 3.0, NAN, 0.1, 0.9, 2.8, 2.0};
    int32_t c[] = {0, 1, 1, 0, 0, 1, 1, 0};
    assert_int_equal(fs_mutual_info_classif(x, c, 0, 2, 3, &got, &err), ML_OK);
    assert_true(got == 0);
    double allnan[] = {NAN, NAN, NAN};
    assert_int_equal(fs_mutual_info_classif(allnan, c, 3, 2, 3, &got, &err), ML_OK);
    assert_true(got == 0);
    assert_int_equal(fs_mutual_info_regression(allnan, y, 3, 3, &got, &err), ML_OK);
    assert_true(got == 0);
    assert_int_equal(fs_mutual_info_discrete(allnan, c, 3, 2, &got, &err), ML_OK);
    assert_true(got == 0);
    /* Rows with NaN give what the rows without them give. */
    double xk[] = {0.5, 1.5, 0.7, 1.1, 3.0, 2.2}, yk[] = {1.0, 2.0, 0.1, 0.9, 2.8, 2.0};
    int32_t cx[] = {0, 1, 1, 0, 0, 1, 1, 0};
    double a, b;
    int32_t c2[] = {0, 1, 0, 0, 0, 1, 1, 0};
    double xk2[] = {0.5, 1.5, 2.5, 0.7, 1.1, 3.0, 2.2};
    int32_t ck2[] = {0, 1, 0, 0, 1, 1, 0};
    assert_int_equal(fs_mutual_info_classif(x, c2, 8, 2, 2, &a, &err), ML_OK);
    assert_int_equal(fs_mutual_info_classif(xk2, ck2, 7, 2, 2, &b, &err), ML_OK);
    assert_true(a == b);
    assert_int_equal(fs_mutual_info_regression(x, y, 8, 2, &a, &err), ML_OK);
    assert_int_equal(fs_mutual_info_regression(xk, yk, 6, 2, &b, &err), ML_OK);
    assert_true(a == b);
    assert_int_equal(fs_mutual_info_discrete(x, cx, 8, 2, &a, &err), ML_OK);
    double xd[] = {0.5, 1.5, 2.5, 0.7, 1.1, 3.0, 2.2};
    int32_t cd[] = {0, 1, 0, 0, 1, 1, 0};
    assert_int_equal(fs_mutual_info_discrete(xd, cd, 7, 2, &b, &err), ML_OK);
    assert_true(fabs(a - b) < 1e-15);
    /* One class, or one distinct value: nothing to learn. */
    int32_t same[] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(fs_mutual_info_discrete(x, same, 8, 2, &got, &err), ML_OK);
    assert_true(got == 0);
    double cst[] = {2, 2, 2, 2, 2, 2, 2, 2};
    assert_int_equal(fs_mutual_info_discrete(cst, c, 8, 2, &got, &err), ML_OK);
    assert_true(got == 0);
    /* Perfectly informative discrete feature: MI = H(y) = log 2. */
    double lab[] = {0, 1, 0, 1};
    int32_t cl[] = {0, 1, 0, 1};
    assert_int_equal(fs_mutual_info_discrete(lab, cl, 4, 2, &got, &err), ML_OK);
    assert_true(fabs(got - log(2)) < 1e-15);
    /* Too few rows for k neighbours. */
    assert_int_equal(fs_mutual_info_regression(xk, yk, 3, 3, &got, &err), ML_OK);
    assert_true(got == 0);
    /* Labels outside 0..nclasses-1 are skipped. */
    int32_t bad[] = {0, 1, -1, 7, 0, 1, 1, 0};
    assert_int_equal(fs_mutual_info_classif(x, bad, 8, 2, 2, &got, &err), ML_OK);
    assert_true(got >= 0);
    assert_error(fs_mutual_info_classif(x, c, 8, 2, 0, &got, &err), err, ML_EINVAL,
                 "k (0) and the number of classes (2) must be positive");
    assert_error(fs_mutual_info_regression(x, y, 8, -1, &got, &err), err, ML_EINVAL,
                 "k (-1) must be positive");
    assert_error(fs_mutual_info_discrete(x, c, 8, 0, &got, &err), err, ML_EINVAL,
                 "the number of classes (0) must be positive");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference), cmocka_unit_test(test_quantile_edges),
        cmocka_unit_test(test_quantile_orders),   cmocka_unit_test(test_mode_bins_pearson_edges),
        cmocka_unit_test(test_mi_brute_force),    cmocka_unit_test(test_mi_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
