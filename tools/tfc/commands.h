/* The tfc command's subcommands: each takes the arguments after its command
 * words (argv[0] is the first of them) and returns an exit code (cli.h). */
#ifndef TFC_TOOL_COMMANDS_H
#define TFC_TOOL_COMMANDS_H

/* train.c / evaluate / export / predict (cmd_train.c, cmd_predict.c) */
int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_predict(int argc, char **argv);

/* jobs (cmd_jobs.c) */
int cmd_jobs(int argc, char **argv);
/* models and versions (cmd_models.c) */
int cmd_models(int argc, char **argv);
int cmd_versions(int argc, char **argv);

#endif
