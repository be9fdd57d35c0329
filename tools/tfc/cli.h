/* Command-line plumbing shared by the tfc command's subcommands: flags with
 * defaults and help, one-line errors, exit codes. Public tfc API only. */
#ifndef TFC_TOOL_CLI_H
#define TFC_TOOL_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes (documented in docs/tfc.md). */
enum {
    TFC_EXIT_OK = 0,
    TFC_EXIT_ERROR = 1,     /* the command failed while running (training diverged, disk full, ...) */
    TFC_EXIT_USAGE = 2,     /* unknown command or flag, missing or malformed flag value */
    TFC_EXIT_NOT_FOUND = 3, /* a file, job, model or version that does not exist */
    TFC_EXIT_BAD_INPUT = 4  /* a spec, data file or instance that is malformed */
};

typedef struct cli_flag {
    const char *name;    /* "--train-files" */
    const char *metavar; /* "PATTERN"; NULL for a boolean flag */
    const char *def;     /* default shown in --help and returned when unset; NULL: none */
    const char *help;
    const char *value;   /* set by cli_parse (argv-owned), else def */
    bool given;
    bool repeatable;     /* values joined with ',' when given several times */
} cli_flag;

/* Parses argv[0..argc) (argv[0] is the first argument after the command
 * words) into flags; non-flag arguments are collected into positional
 * (at most max_positional; more is a usage error); "--" ends the flags and
 * the rest goes to *rest (NULL if none). Returns TFC_EXIT_OK, TFC_EXIT_USAGE
 * after printing one line "tfc CMD: ..." to stderr, or -1 after printing
 * the help for --help (the caller exits 0). */
int cli_parse(const char *cmd, const char *synopsis, const char *summary, cli_flag *flags, int nflags, int argc,
              char **argv, const char **positional, int max_positional, int *npositional, char ***rest,
              int *nrest);
/* The flag's value (or default), NULL when neither. */
const char *cli_get(const cli_flag *flags, int nflags, const char *name);
bool cli_given(const cli_flag *flags, int nflags, const char *name);
/* Integer / real values: TFC_EXIT_USAGE with a message when malformed. */
int cli_get_long(const char *cmd, const cli_flag *flags, int nflags, const char *name, long *out);
int cli_get_double(const char *cmd, const cli_flag *flags, int nflags, const char *name, double *out);
void cli_help(FILE *f, const char *cmd, const char *synopsis, const char *summary, const cli_flag *flags, int nflags);
/* A command with subcommands ("tfc jobs describe ..."). */
typedef struct cli_subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the first argument after the subcommand */
} cli_subcommand;
/* Runs the subcommand named by argv[0]; with none, prints usage to stderr
 * (TFC_EXIT_USAGE); with --help, -h or help, to stdout (TFC_EXIT_OK); an
 * unknown one is a usage error naming it. */
int cli_dispatch(const char *cmd, const char *usage, const cli_subcommand *subs, int nsubs, int argc, char **argv);
/* Prints "tfc: <message>" (one line) to stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for a library failure (TFC_NOT_FOUND -> TFC_EXIT_NOT_FOUND, ...). */
int cli_exit_code(int tfc_code);

#endif
