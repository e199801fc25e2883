/*
 * cli.h — what every subcommand shares: the command table's entry shape,
 * the reader options every data-reading command accepts, and the way errors
 * reach the user (one line on stderr, "mloop: " first) and become exit codes
 * (0 ok, 1 runtime failure, 2 usage or input error, 3 a gate or check failed).
 */
#ifndef ML_CLI_H
#define ML_CLI_H

#include "core/error.h"
#include "data/source.h"

#include <stdbool.h>
#include <stdio.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_RUNTIME = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_CHECK = 3 };

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* full --help text */
} cli_command;

/* Subcommands: src/cli/<name>.c. */
int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
/* `mloop train WORKFLOW.yaml ...` (train_workflow.c). */
int cmd_train_workflow(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_version(int argc, char **argv);
extern const char cmd_data_usage[];
extern const char cmd_demo_usage[];
extern const char cmd_train_usage[];
extern const char cmd_predict_usage[];
extern const char cmd_tune_usage[];
extern const char cmd_eval_usage[];

/* The reader options shared by every command that reads data, as --help
 * text to paste into a usage string. */
#define CLI_READER_OPTIONS_HELP                                                                    \
    "Reader options:\n"                                                                            \
    "  --table T            database sources: read this table\n"                                   \
    "  --query Q            database sources: read the rows of this SELECT\n"                      \
    "  --no-header          the first line is data; columns are named c0..cN\n"                    \
    "  --delimiter C        field delimiter (default: detected among , TAB ; |); 'tab' for TAB\n"  \
    "  --null-values LIST   comma-separated null tokens (default: NA,N/A,NaN,null,NULL;\n"         \
    "                       empty and blank cells are always null)\n"                              \
    "  --bad-rows error|skip  a ragged row stops the read (default) or is skipped and counted\n"   \
    "  --coerce             keep mostly-numeric columns numeric; bad cells become null\n"          \
    "  --threads N          parser threads (default: every core)\n"

/* When argv[*i] is a reader option, consumes it (and its value), advances
 * *i past it and returns 1; returns 0 when it is not one; -1 (message
 * printed) when it is malformed. */
int cli_reader_option(int argc, char **argv, int *i, src_options *opts);

/* Prints "mloop: <message>" and returns the exit code for err's status. */
int cli_fail(const ml_error *err);
/* Prints "mloop: <formatted>" plus a hint to run --help; returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --if-exists fail|replace|append; -1 when v is none of them. */
int cli_parse_if_exists(const char *v, sink_if_exists *out);

/* A progress line on stderr, only when stderr is a terminal: "\r" + text,
 * cleared by cli_progress_done. */
bool cli_progress_enabled(void);
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);
double cli_now(void);

/* True for -h/--help. */
bool cli_is_help(const char *arg);

/* Sample weights (--weight COL): a numeric column, every value finite and
 * >= 0; errors name the column and the row.  The caller frees *out. */
int cli_read_weights(const tbl_table *t, const char *name, double **out, ml_error *err);

/* Reports what a read skipped or coerced on stderr (quiet when nothing). */
void cli_print_read_report(const char *uri, const src_report *report);

#endif
