/*
 * data.c — `mloop data`: look at a data source before training on it.
 *
 *   mloop data profile SRC [reader options] [--json]
 *   mloop data copy SRC DST [reader options] [--to-table T] [--if-exists fail|replace|append]
 *
 * Both go through src_read_table / sink_write_table, the same paths every
 * other command uses, so what the profile shows is what training will see.
 */
#include "cli/cli.h"

#include "data/profile.h"

#include <string.h>

const char cmd_data_usage[] =
    "usage: mloop data profile SRC [reader options] [--json]\n"
    "       mloop data copy SRC DST [reader options] [--to-table T]\n"
    "                       [--if-exists fail|replace|append]\n"
    "\n"
    "profile  per column: type, count, nulls, distinct, min/max/mean/std, quantiles\n"
    "         (p1 p5 p25 p50 p75 p95 p99), top categories and a histogram\n"
    "copy     read SRC and write it to DST atomically (a temp file renamed, or one\n"
    "         transaction); --to-table names the table for sqlite:/postgresql:// targets\n"
    "\n"
    "SRC/DST: file.csv, file.tsv, file.csv.gz, file.svm (LIBSVM), sqlite:PATH,\n"
    "         postgresql://USER@HOST:PORT/DB (any libpq URI)\n"
    "\n" CLI_READER_OPTIONS_HELP "\n"
    "  --json               machine-readable output (profile)\n";

static int data_profile(int argc, char **argv)
{
    src_options opts = {0};
    const char *src = NULL;
    bool json = false;
    for (int i = 1; i < argc;) {
        int r = cli_reader_option(argc, argv, &i, &opts);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("data", "data profile: unknown option '%s'", argv[i]);
        else if (!src)
            src = argv[i];
        else
            return cli_usage_error("data", "data profile: unexpected argument '%s'", argv[i]);
        i++;
    }
    if (!src)
        return cli_usage_error("data", "data profile: missing SRC");

    ml_error err = {0};
    src_report report;
    tbl_table *t = NULL;
    prof_profile *p = NULL;
    int rc = src_read_table(src, &opts, &t, &report, &err);
    if (!rc) {
        cli_print_read_report(src, &report);
        rc = prof_compute(t, &p, &err);
    }
    tbl_free(t);
    if (rc)
        return cli_fail(&err);
    if (json) {
        json_t *j = prof_to_json(p);
        if (j) {
            json_object_set_new(j, "source", json_string(src));
            json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
            fputc('\n', stdout);
            json_decref(j);
        } else {
            rc = ml_err(&err, ML_ENOMEM, "out of memory writing the profile as JSON");
        }
    } else {
        prof_print(p, src, stdout);
    }
    prof_free(p);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}

static int data_copy(int argc, char **argv)
{
    src_options opts = {0};
    sink_options sink = {0};
    const char *src = NULL, *dst = NULL;
    for (int i = 1; i < argc;) {
        int r = cli_reader_option(argc, argv, &i, &opts);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--to-table") == 0 && i + 1 < argc) {
            sink.table = argv[++i];
        } else if (strcmp(argv[i], "--if-exists") == 0 && i + 1 < argc) {
            if (cli_parse_if_exists(argv[++i], &sink.if_exists) != 0)
                return cli_usage_error(
                    "data", "--if-exists: expected fail, replace or append, got '%s'", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("data", "data copy: unknown option or missing value '%s'",
                                   argv[i]);
        } else if (!src) {
            src = argv[i];
        } else if (!dst) {
            dst = argv[i];
        } else {
            return cli_usage_error("data", "data copy: unexpected argument '%s'", argv[i]);
        }
        i++;
    }
    if (!src || !dst)
        return cli_usage_error("data", "data copy: needs SRC and DST");

    ml_error err = {0};
    src_report report;
    tbl_table *t = NULL;
    int rc = src_read_table(src, &opts, &t, &report, &err);
    if (!rc) {
        cli_print_read_report(src, &report);
        rc = sink_write_table(dst, &sink, t, &err);
    }
    if (!rc) {
        char shown[512];
        src_display_uri(dst, shown, sizeof shown);
        fprintf(stderr, "mloop: copied %zu rows × %zu columns to %s\n", tbl_nrows(t), tbl_ncols(t),
                shown);
    }
    tbl_free(t);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("data", "data: expected a subcommand (profile, copy)");
    if (strcmp(argv[1], "profile") == 0)
        return data_profile(argc - 1, argv + 1);
    if (strcmp(argv[1], "copy") == 0)
        return data_copy(argc - 1, argv + 1);
    return cli_usage_error("data", "data: unknown subcommand '%s' (expected profile or copy)",
                           argv[1]);
}
