/* tfc: the cloud ML workflow on one machine (train, evaluate, export,
 * predict, jobs, models and versions), on the public tfc C API only. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "tfc/tfc.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"train", cmd_train, "train a model from a spec and CSV files (resumes in the job directory)"},
    {"evaluate", cmd_evaluate, "evaluate a job directory's newest checkpoint on CSV files"},
    {"export", cmd_export, "export a job directory's newest checkpoint as a saved model"},
    {"predict", cmd_predict, "predict JSON-lines instances with an exported model"},
    {"jobs", cmd_jobs, "training and batch-prediction jobs in the background: submit, describe, list, "
                       "cancel, stream-logs"},
    {"models", cmd_models, "the model registry: create, list, describe, delete"},
    {"versions", cmd_versions, "model versions: create, list, describe, delete, set-default"},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: tfc COMMAND [FLAGS]   (tfc COMMAND --help for its flags)\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit codes: 0 ok, 1 failed while running, 2 usage error, 3 not found, 4 malformed input\n"
               "state: $TFC_HOME (default ~/.tfc) holds jobs, models and versions\n"
               "tfc %s\n", tfc_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TFC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return TFC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("tfc %s\n", tfc_version());
        return TFC_EXIT_OK;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 2, argv + 2);
    return cli_fail(TFC_EXIT_USAGE, "unknown command '%s' (tfc --help lists them)", argv[1]);
}
