/*
 * demo.c — `mloop demo`: the loop, as far as it exists, on generated data,
 * with nothing to install or configure.  Each step uses the same code paths
 * as the real commands (the CSV writer and reader, the SQLite sink and
 * source, the profiler, `mloop train`, `mloop predict` and `mloop eval`
 * themselves), so a green demo is evidence that they work together on this
 * machine.
 */
#include "cli/cli.h"

#include "data/profile.h"
#include "data/synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char cmd_demo_usage[] =
    "usage: mloop demo [--rows N] [--dir DIR] [--seed S]\n"
    "\n"
    "Generates a realistic customer-churn table (mixed types, missing values,\n"
    "outliers, an ID column, dates), writes it as CSV, reads it back with type\n"
    "inference, loads it into the embedded SQLite database, reads it from there,\n"
    "profiles it, trains a churn model, scores every customer into SQLite and\n"
    "evaluates the model on new customers with an HTML report (report.html).\n"
    "\n"
    "  --rows N   rows to generate (default 20000)\n"
    "  --dir DIR  where the files go (default $MLOOP_HOME/demo, else ./.mloop/demo)\n"
    "  --seed S   random seed (default 42)\n";

static int make_dirs(const char *path, ml_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ml_err(err, ML_EINVAL, "path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return ml_err(err, ML_EIO, "cannot create directory '%s': %s", buf,
                              strerror(errno));
            *p = saved;
            if (!saved)
                break;
        }
    }
    return ML_OK;
}

static bool parse_count(const char *v, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || !*v || v[0] == '-' || n > max)
        return false;
    *out = n;
    return true;
}

static void describe_types(const tbl_table *t)
{
    for (size_t c = 0; c < tbl_ncols(t); c++)
        printf("%s%s:%s", c ? ", " : "    ", tbl_col(t, c)->name,
               tbl_type_name(tbl_col(t, c)->type));
    printf("\n");
}

int cmd_demo(int argc, char **argv)
{
    unsigned long long rows = 20000, seed = 42;
    const char *dir = NULL;
    char default_dir[4096];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], 100000000ULL, &rows) || rows < 10)
                return cli_usage_error("demo", "--rows: expected 10 to 100000000, got '%s'",
                                       argv[i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_count(argv[++i], UINT64_MAX, &seed))
                return cli_usage_error("demo", "--seed: expected a non-negative integer, got '%s'",
                                       argv[i]);
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            return cli_usage_error("demo", "demo: unknown option or missing value '%s'", argv[i]);
        }
    }
    if (!dir) {
        const char *home = getenv("MLOOP_HOME");
        snprintf(default_dir, sizeof default_dir, "%s/demo", home && *home ? home : ".mloop");
        dir = default_dir;
    }

    ml_error err = {0};
    tbl_table *generated = NULL, *from_csv = NULL, *from_sqlite = NULL;
    prof_profile *profile = NULL;
    char csv_path[4200], db_uri[4200];
    snprintf(csv_path, sizeof csv_path, "%s/customers.csv", dir);
    snprintf(db_uri, sizeof db_uri, "sqlite:%s/demo.db", dir);

    int rc = make_dirs(dir, &err);
    if (!rc) {
        printf("==> generating %llu customers (seed %llu)\n", rows, seed);
        rc = synth_customers((size_t)rows, seed, &generated, &err);
    }
    if (!rc) {
        printf("==> writing %s\n", csv_path);
        sink_options replace = {.if_exists = SINK_REPLACE};
        rc = sink_write_table(csv_path, &replace, generated, &err);
    }
    src_report report;
    if (!rc) {
        printf("==> reading it back, inferring every column's type from every cell\n");
        rc = src_read_table(csv_path, NULL, &from_csv, &report, &err);
    }
    if (!rc) {
        describe_types(from_csv);
        char why[512];
        if (!tbl_equal(generated, from_csv, why, sizeof why))
            rc = ml_err(&err, ML_EINTERNAL, "CSV round trip changed the data: %s", why);
    }
    if (!rc) {
        printf("==> loading into %s (table customers, one transaction)\n", db_uri);
        sink_options sink = {.table = "customers", .if_exists = SINK_REPLACE};
        rc = sink_write_table(db_uri, &sink, from_csv, &err);
    }
    if (!rc) {
        printf("==> reading from SQLite\n");
        src_options opts = {.table = "customers"};
        rc = src_read_table(db_uri, &opts, &from_sqlite, &report, &err);
    }
    if (!rc) {
        char why[512];
        if (!tbl_equal(from_csv, from_sqlite, why, sizeof why))
            rc = ml_err(&err, ML_EINTERNAL, "SQLite round trip changed the data: %s", why);
    }
    if (!rc) {
        printf("==> profiling\n\n");
        rc = prof_compute(from_sqlite, &profile, &err);
    }
    if (!rc)
        prof_print(profile, db_uri, stdout);
    prof_free(profile);
    profile = NULL;
    char model_path[4200];
    snprintf(model_path, sizeof model_path, "%s/churn.mloop", dir);
    int code = rc ? cli_fail(&err) : CLI_EXIT_OK;
    if (code == CLI_EXIT_OK) {
        /* The real commands, so the demo proves them end to end. */
        printf("\n==> training gradient-boosted trees on 80%% of the rows (20%% held out)\n");
        fflush(stdout);
        char *train_argv[] = {"train",
                              "--data",
                              csv_path,
                              "--target",
                              "churned",
                              "--drop",
                              "customer_id",
                              "--valid-fraction",
                              "0.2",
                              "--out",
                              model_path,
                              "--param",
                              "early_stopping=20",
                              "--param",
                              "n_estimators=300",
                              NULL};
        code = cmd_train((int)(sizeof train_argv / sizeof *train_argv) - 1, train_argv);
    }
    if (code == CLI_EXIT_OK) {
        printf("\n==> scoring every customer into %s (table predictions)\n", db_uri);
        fflush(stdout);
        char *predict_argv[] = {"predict",     model_path,   "--data",      csv_path, "--out",
                                db_uri,        "--to-table", "predictions", "--id",   "customer_id",
                                "--if-exists", "replace",    NULL};
        code = cmd_predict((int)(sizeof predict_argv / sizeof *predict_argv) - 1, predict_argv);
    }
    char new_path[4200], report_path[4200];
    snprintf(new_path, sizeof new_path, "%s/new_customers.csv", dir);
    snprintf(report_path, sizeof report_path, "%s/report.html", dir);
    if (code == CLI_EXIT_OK) {
        /* Honest evaluation: customers the model never saw (another seed). */
        printf("\n==> evaluating on %llu new customers, with an HTML report\n", rows / 4 + 1);
        fflush(stdout);
        tbl_table *fresh = NULL;
        sink_options replace = {.if_exists = SINK_REPLACE};
        if ((rc = synth_customers((size_t)(rows / 4 + 1), seed + 1, &fresh, &err)) ||
            (rc = sink_write_table(new_path, &replace, fresh, &err)))
            code = cli_fail(&err);
        tbl_free(fresh);
    }
    if (code == CLI_EXIT_OK) {
        char *eval_argv[] = {"eval", model_path, "--data", new_path, "--report", report_path, NULL};
        code = cmd_eval((int)(sizeof eval_argv / sizeof *eval_argv) - 1, eval_argv);
    }
    if (code == CLI_EXIT_OK)
        printf("\nThe files are in %s (open report.html in a browser). Next: `mloop predict %s "
               "--data %s --out scores.csv`,\n"
               "`mloop data profile %s --table predictions`.\n",
               dir, model_path, csv_path, db_uri);
    tbl_free(generated);
    tbl_free(from_csv);
    tbl_free(from_sqlite);
    return code;
}
