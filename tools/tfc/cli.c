/* Flag parsing, help and errors for the tfc command (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tfc/tfc.h"

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tfc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_exit_code(int c)
{
    switch (c) {
    case TFC_OK: return TFC_EXIT_OK;
    case TFC_NOT_FOUND: return TFC_EXIT_NOT_FOUND;
    case TFC_INVALID_ARGUMENT:
    case TFC_DATA_LOSS:
    case TFC_OUT_OF_RANGE: return TFC_EXIT_BAD_INPUT;
    default: return TFC_EXIT_ERROR;
    }
}

void cli_help(FILE *f, const char *cmd, const char *synopsis, const char *summary, const cli_flag *flags, int nflags)
{
    fprintf(f, "usage: tfc %s %s\n", cmd, synopsis ? synopsis : "[FLAGS]");
    if (summary) fprintf(f, "\n%s\n", summary);
    if (nflags) fprintf(f, "\nflags:\n");
    for (int i = 0; i < nflags; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", flags[i].name, flags[i].metavar ? " " : "",
                 flags[i].metavar ? flags[i].metavar : "");
        fprintf(f, "  %-28s %s", left, flags[i].help ? flags[i].help : "");
        if (flags[i].def) fprintf(f, " (default: %s)", flags[i].def);
        else if (flags[i].metavar) fprintf(f, " (no default)");
        fputc('\n', f);
    }
    fprintf(f, "  %-28s %s\n", "--help", "show this help");
}

/* Joined values of repeated flags live as long as the process (like argv);
 * a value replaced by a longer join is freed at once. */
static char *joined[256];

static void keep_joined(const char *old, char *j)
{
    for (int i = 0; i < 256; i++)
        if (joined[i] && joined[i] == old) {
            free(joined[i]);
            joined[i] = j;
            return;
        }
    for (int i = 0; i < 256; i++)
        if (!joined[i]) {
            joined[i] = j;
            return;
        }
    /* more than 256 repeated flags at once: the value simply lives until exit */
}

static cli_flag *find(cli_flag *flags, int nflags, const char *name, size_t len)
{
    for (int i = 0; i < nflags; i++)
        if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len)) return &flags[i];
    return NULL;
}

int cli_parse(const char *cmd, const char *synopsis, const char *summary, cli_flag *flags, int nflags, int argc,
              char **argv, const char **positional, int max_positional, int *npositional, char ***rest, int *nrest)
{
    if (npositional) *npositional = 0;
    if (rest) *rest = NULL;
    if (nrest) *nrest = 0;
    for (int i = 0; i < nflags; i++) {
        flags[i].value = flags[i].def;
        flags[i].given = false;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli_help(stdout, cmd, synopsis, summary, flags, nflags);
            return -1;
        }
        if (!strcmp(a, "--")) {
            if (!rest) return cli_fail(TFC_EXIT_USAGE, "%s: unexpected '--'", cmd);
            *rest = argv + i + 1;
            *nrest = argc - i - 1;
            break;
        }
        if (!strncmp(a, "--", 2)) {
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            cli_flag *f = find(flags, nflags, a, len);
            if (!f) return cli_fail(TFC_EXIT_USAGE, "%s: unknown flag '%.*s' (tfc %s --help lists them)", cmd,
                                    (int)len, a, cmd);
            if (!f->metavar) {
                if (eq) return cli_fail(TFC_EXIT_USAGE, "%s: flag %s takes no value", cmd, f->name);
                f->value = "1";
                f->given = true;
                continue;
            }
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) return cli_fail(TFC_EXIT_USAGE, "%s: flag %s needs a value (%s)", cmd, f->name, f->metavar);
            if (f->given && f->repeatable) {
                /* joined with ',' in storage the flag keeps */
                size_t n = strlen(f->value) + strlen(v) + 2;
                char *j = malloc(n);
                if (!j) return cli_fail(TFC_EXIT_ERROR, "out of memory");
                snprintf(j, n, "%s,%s", f->value, v);
                keep_joined(f->value, j);
                f->value = j;
            } else {
                f->value = v;
            }
            f->given = true;
            continue;
        }
        if (!positional || !npositional || *npositional >= max_positional)
            return cli_fail(TFC_EXIT_USAGE, "%s: unexpected argument '%s' (tfc %s --help)", cmd, a, cmd);
        positional[(*npositional)++] = a;
    }
    return TFC_EXIT_OK;
}

const char *cli_get(const cli_flag *flags, int nflags, const char *name)
{
    for (int i = 0; i < nflags; i++)
        if (!strcmp(flags[i].name, name)) return flags[i].value;
    return NULL;
}

bool cli_given(const cli_flag *flags, int nflags, const char *name)
{
    for (int i = 0; i < nflags; i++)
        if (!strcmp(flags[i].name, name)) return flags[i].given;
    return false;
}

int cli_get_long(const char *cmd, const cli_flag *flags, int nflags, const char *name, long *out)
{
    const char *v = cli_get(flags, nflags, name);
    if (!v) return cli_fail(TFC_EXIT_USAGE, "%s: flag %s is required", cmd, name);
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end)
        return cli_fail(TFC_EXIT_USAGE, "%s: flag %s: '%s' is not an integer", cmd, name, v);
    *out = x;
    return TFC_EXIT_OK;
}

int cli_get_double(const char *cmd, const cli_flag *flags, int nflags, const char *name, double *out)
{
    const char *v = cli_get(flags, nflags, name);
    if (!v) return cli_fail(TFC_EXIT_USAGE, "%s: flag %s is required", cmd, name);
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x))
        return cli_fail(TFC_EXIT_USAGE, "%s: flag %s: '%s' is not a number", cmd, name, v);
    *out = x;
    return TFC_EXIT_OK;
}

int cli_dispatch(const char *cmd, const char *usage, const cli_subcommand *subs, int nsubs, int argc, char **argv)
{
    if (argc < 1) {
        fputs(usage, stderr);
        return TFC_EXIT_USAGE;
    }
    const char *sub = argv[0];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(usage, stdout);
        return TFC_EXIT_OK;
    }
    for (int i = 0; i < nsubs; i++)
        if (!strcmp(sub, subs[i].name)) return subs[i].run(argc - 1, argv + 1);
    return cli_fail(TFC_EXIT_USAGE, "%s: unknown subcommand '%s' (tfc %s --help lists them)", cmd, sub, cmd);
}
