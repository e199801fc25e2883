/*
 * predict_api.c — prediction speed through the public C API, for
 * bench_models.py:
 *
 *     bench_predict_api MODEL.mloop TEST.csv THREADS
 *
 * Loads the test rows into a row-major array (not timed), then reports as
 * JSON: batch prediction of every row on THREADS threads (best of 5), the
 * single-row latency distribution (p50/p99 over 20,000 calls, one row each,
 * after a warm-up) and the test AUC.
 */
#include "mloop.h"

#include "data/source.h"
#include "eval/metrics.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_predict_api MODEL TEST.csv THREADS\n");
        return 2;
    }
    mloop_error err = {0};
    mloop_model *model;
    if (mloop_model_load(argv[1], &model, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    src_options opts = {0};
    tbl_table *t;
    src_report report;
    if (src_read_table(argv[2], &opts, &t, &report, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    size_t n = tbl_nrows(t), m = mloop_model_num_inputs(model), k = mloop_model_num_outputs(model);
    double *rows = malloc(n * m * sizeof *rows), *out = malloc(n * k * sizeof *out);
    double *y = malloc(n * sizeof *y), *p1 = malloc(n * sizeof *p1);
    for (size_t j = 0; j < m; j++) {
        int c = tbl_find(t, mloop_model_input_name(model, j));
        if (c < 0 || tbl_col(t, (size_t)c)->type != TBL_F64) {
            fprintf(stderr, "input %s missing or not float\n", mloop_model_input_name(model, j));
            return 2;
        }
        for (size_t r = 0; r < n; r++)
            rows[r * m + j] = tbl_col(t, (size_t)c)->data.f64[r];
    }
    int yc = tbl_find(t, "y");
    for (size_t r = 0; r < n; r++)
        y[r] = yc >= 0 ? (double)tbl_col(t, (size_t)yc)->data.i64[r] : 0;
    omp_set_num_threads(atoi(argv[3]));
    double best = 1e300;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        if (mloop_predict(model, rows, n, out, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    for (size_t r = 0; r < n; r++)
        p1[r] = out[r * k + k - 1];
    double auc = met_auc(y, p1, NULL, n);
    enum { CALLS = 20000, WARMUP = 2000 };
    double *lat = malloc(CALLS * sizeof *lat);
    for (int i = 0; i < WARMUP + CALLS; i++) {
        size_t r = (size_t)i % n;
        double t0 = now();
        mloop_predict(model, rows + r * m, 1, out, &err);
        double dt = now() - t0;
        if (i >= WARMUP)
            lat[i - WARMUP] = dt;
    }
    qsort(lat, CALLS, sizeof *lat, compare_doubles);
    printf("{\"predict_s\": %.6f, \"predict_rows_per_s\": %.1f, \"single_p50_us\": %.3f, "
           "\"single_p99_us\": %.3f, \"auc\": %.6f}\n",
           best, (double)n / best, lat[CALLS / 2] * 1e6, lat[CALLS * 99 / 100] * 1e6, auc);
    mloop_model_free(model);
    tbl_free(t);
    free(rows);
    free(out);
    free(y);
    free(p1);
    free(lat);
    return 0;
}
