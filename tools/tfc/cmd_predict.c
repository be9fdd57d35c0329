/* placeholder: being written */
#include "cli.h"
#include "commands.h"
int cmd_predict(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(TFC_EXIT_ERROR, "predict: not built yet"); }
