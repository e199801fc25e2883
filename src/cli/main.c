/*
 * main.c — the command table and the dispatcher.  Each subcommand lives in
 * src/cli/<name>.c as cmd_<name>, with its usage text beside it; this file
 * only finds the entry, answers --help and turns statuses into exit codes.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const char version_usage[] = "usage: mloop version\n\nPrints mloop's version.\n";

static const cli_command commands[] = {
    {"data", cmd_data, "inspect data sources (profile)", cmd_data_usage},
    {"demo", cmd_demo, "run the loop on generated data", cmd_demo_usage},
    {"train", cmd_train, "train a model (gbdt, linear, forest) into a .mloop file",
     cmd_train_usage},
    {"eval", cmd_eval, "score labelled data with a model: metrics, curves, HTML report",
     cmd_eval_usage},
    {"tune", cmd_tune, "search a workflow's hyperparameters, refit the best", cmd_tune_usage},
    {"predict", cmd_predict, "score a data source with a model", cmd_predict_usage},
    {"version", cmd_version, "print the version", version_usage},
};

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("mloop %s\n", mloop_version());
    return CLI_EXIT_OK;
}

static void print_overview(FILE *out)
{
    fprintf(out, "usage: mloop <command> [options]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'mloop <command> --help' for a command's options.\n"
                 "Exit codes: 0 ok, 1 runtime failure, 2 usage or input error, 3 a check "
                 "failed.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const cli_command *c = &commands[i];
        if (strcmp(argv[1], c->name) != 0)
            continue;
        for (int a = 2; a < argc; a++) {
            if (cli_is_help(argv[a])) {
                fputs(c->usage, stdout);
                return CLI_EXIT_OK;
            }
        }
        return c->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "mloop: unknown command '%s'\n\n", argv[1]);
    print_overview(stderr);
    return CLI_EXIT_USAGE;
}
