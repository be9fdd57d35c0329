/* placeholder: being written */
#include "cli.h"
#include "commands.h"
int cmd_models(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(TFC_EXIT_ERROR, "models: not built yet"); }
int cmd_versions(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(TFC_EXIT_ERROR, "versions: not built yet"); }
