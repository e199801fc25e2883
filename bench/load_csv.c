/*
 * load_csv.c — one timed table load, for bench/bench_csv.py.
 *
 *   bench_load_csv PATH [THREADS]
 *
 * Loads PATH with src_read_table (the path every command takes), THREADS
 * reader threads (0 or absent: every core), and prints one JSON line:
 *
 *   {"rows":…,"cols":…,"seconds":…,"peak_rss_kb":…,"baseline_rss_kb":…,
 *    "baseline_maxrss_kb":…}
 *
 * seconds is CLOCK_MONOTONIC around the call alone; baseline_rss_kb is VmRSS
 * just before it (baseline_maxrss_kb the ru_maxrss then, for reference),
 * peak_rss_kb the process's ru_maxrss just after, so peak - baseline is what
 * loading cost.  pandas_load.py prints the same for pandas.read_csv, so the
 * two processes are measured the same way.
 */
#include "data/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long vm_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PATH [THREADS]\n", argv[0]);
        return 2;
    }
    src_options opts = {0};
    if (argc == 3) {
        char *end;
        errno = 0;
        long n = strtol(argv[2], &end, 10);
        if (errno || *end || n < 0 || n > 4096) {
            fprintf(stderr, "%s: THREADS must be an integer from 0 to 4096, got '%s'\n", argv[0],
                    argv[2]);
            return 2;
        }
        opts.threads = (int)n;
    }

    long baseline = vm_rss_kb();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long baseline_max = (long)ru.ru_maxrss;
    tbl_table *t = NULL;
    src_report report;
    ml_error err = {0};
    double t0 = now_seconds();
    int rc = src_read_table(argv[1], &opts, &t, &report, &err);
    double seconds = now_seconds() - t0;
    getrusage(RUSAGE_SELF, &ru);
    if (rc) {
        fprintf(stderr, "%s: %s\n", argv[0], err.message);
        return 1;
    }
    printf("{\"rows\":%zu,\"cols\":%zu,\"seconds\":%.6f,\"peak_rss_kb\":%ld,"
           "\"baseline_rss_kb\":%ld,\"baseline_maxrss_kb\":%ld}\n",
           tbl_nrows(t), tbl_ncols(t), seconds, (long)ru.ru_maxrss, baseline, baseline_max);
    tbl_free(t);
    return 0;
}
