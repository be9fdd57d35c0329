/* placeholder: being written */
#include "cli.h"
#include "commands.h"
int cmd_train(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(TFC_EXIT_ERROR, "train: not built yet"); }
int cmd_evaluate(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(TFC_EXIT_ERROR, "evaluate: not built yet"); }
int cmd_export(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(TFC_EXIT_ERROR, "export: not built yet"); }
