/*
 * common.c — option parsing and error reporting shared by the subcommands,
 * so that `--delimiter` or an input error reads the same everywhere.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_fail(const ml_error *err)
{
    fprintf(stderr, "mloop: %s\n", err->message[0] ? err->message : mloop_strerror(err->code));
    return ml_exit_code(err->code);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mloop: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun 'mloop %s --help' for usage\n", command);
    return CLI_EXIT_USAGE;
}

static const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "mloop: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

static int parse_delimiter(const char *v, char *out)
{
    if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0 || strcmp(v, "\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (strlen(v) != 1 || v[0] == '"' || v[0] == '\n' || v[0] == '\r') {
        fprintf(stderr, "mloop: --delimiter: expected one character (or 'tab'), got '%s'\n", v);
        return -1;
    }
    *out = v[0];
    return 0;
}

int cli_reader_option(int argc, char **argv, int *i, src_options *opts)
{
    const char *arg = argv[*i];
    const char *v;
    if (strcmp(arg, "--no-header") == 0) {
        opts->no_header = true;
    } else if (strcmp(arg, "--coerce") == 0) {
        opts->coerce = true;
    } else if (strcmp(arg, "--delimiter") == 0) {
        if (!(v = option_value(argc, argv, i)) || parse_delimiter(v, &opts->delimiter) != 0)
            return -1;
    } else if (strcmp(arg, "--null-values") == 0) {
        if (!(v = option_value(argc, argv, i)))
            return -1;
        opts->null_values = v;
    } else if (strcmp(arg, "--bad-rows") == 0) {
        if (!(v = option_value(argc, argv, i)))
            return -1;
        if (strcmp(v, "error") == 0) {
            opts->bad_rows = SRC_BAD_ROWS_ERROR;
        } else if (strcmp(v, "skip") == 0) {
            opts->bad_rows = SRC_BAD_ROWS_SKIP;
        } else {
            fprintf(stderr, "mloop: --bad-rows: expected error or skip, got '%s'\n", v);
            return -1;
        }
    } else if (strcmp(arg, "--query") == 0) {
        if (!(v = option_value(argc, argv, i)))
            return -1;
        opts->query = v;
    } else if (strcmp(arg, "--table") == 0) {
        if (!(v = option_value(argc, argv, i)))
            return -1;
        opts->table = v;
    } else if (strcmp(arg, "--threads") == 0) {
        if (!(v = option_value(argc, argv, i)))
            return -1;
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || *end || n < 0 || n > 1024) {
            fprintf(stderr, "mloop: --threads: expected a number from 0 to 1024, got '%s'\n", v);
            return -1;
        }
        opts->threads = (int)n;
    } else {
        return 0;
    }
    *i += 1;
    return 1;
}

void cli_print_read_report(const char *uri, const src_report *report)
{
    if (report->rows_skipped) {
        fprintf(stderr, "mloop: %s: skipped %zu bad row%s (line%s", uri, report->rows_skipped,
                report->rows_skipped == 1 ? "" : "s", report->rows_skipped == 1 ? "" : "s");
        size_t shown =
            report->rows_skipped < SRC_REPORT_LINES ? report->rows_skipped : SRC_REPORT_LINES;
        for (size_t k = 0; k < shown; k++)
            fprintf(stderr, "%s%zu", k ? ", " : " ", report->skipped_lines[k]);
        fprintf(stderr, "%s)\n", report->rows_skipped > shown ? ", …" : "");
    }
    if (report->cells_coerced)
        fprintf(stderr, "mloop: %s: %zu unparseable cell%s became null (%s)\n", uri,
                report->cells_coerced, report->cells_coerced == 1 ? "" : "s",
                report->coerced_detail);
}

int cli_parse_if_exists(const char *v, sink_if_exists *out)
{
    if (strcmp(v, "fail") == 0)
        *out = SINK_FAIL;
    else if (strcmp(v, "replace") == 0)
        *out = SINK_REPLACE;
    else if (strcmp(v, "append") == 0)
        *out = SINK_APPEND;
    else
        return -1;
    return 0;
}

bool cli_progress_enabled(void)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = isatty(STDERR_FILENO) && !getenv("CI");
    return enabled;
}

static size_t progress_width;

void cli_progress(const char *fmt, ...)
{
    if (!cli_progress_enabled())
        return;
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    /* Pad over the previous line's tail. */
    fprintf(stderr, "\r%s%*s", line, progress_width > len ? (int)(progress_width - len) : 0, "");
    progress_width = len;
    fflush(stderr);
}

void cli_progress_done(void)
{
    if (!cli_progress_enabled() || !progress_width)
        return;
    fprintf(stderr, "\r%*s\r", (int)progress_width, "");
    progress_width = 0;
    fflush(stderr);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_read_weights(const tbl_table *t, const char *name, double **out, ml_error *err)
{
    *out = NULL;
    int j = tbl_find(t, name);
    if (j < 0)
        return ml_err(err, ML_EINVAL, "weight column '%s' not found in the data", name);
    const tbl_column *c = tbl_col(t, (size_t)j);
    if (c->type != TBL_F64 && c->type != TBL_I64)
        return ml_err(err, ML_EINVAL, "weight column '%s' is %s, not a number", name,
                      tbl_type_name(c->type));
    size_t n = tbl_nrows(t);
    double *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return ml_err(err, ML_ENOMEM, "out of memory reading weights");
    for (size_t r = 0; r < n; r++) {
        w[r] = c->type == TBL_F64 ? c->data.f64[r] : (double)c->data.i64[r];
        if (tbl_is_null(c, r) || !(w[r] >= 0) || !isfinite(w[r])) {
            free(w);
            return ml_err(err, ML_EINVAL,
                          "weight column '%s' row %zu: a weight must be a finite number >= 0", name,
                          r + 1);
        }
    }
    *out = w;
    return ML_OK;
}
