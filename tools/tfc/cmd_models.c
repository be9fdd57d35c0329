/* tfc models / tfc versions: the registry of exported models. A version is
 * a copy of an export in $TFC_HOME/models/MODEL/VERSION/, checked to load
 * before it is recorded; a model's first version becomes its default (what
 * prediction jobs use when no version is named). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "registry.h"
#include "tfc/tfc.h"

#define NFLAGS(f) (int)(sizeof(f) / sizeof((f)[0]))

/* ---- Files ---------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[1 << 16];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc) break;
    }
    int e = errno;
    if (fsync(out)) rc = -1;
    if (close(out)) rc = -1;
    close(in);
    errno = rc ? e : 0;
    return rc;
}

/* Copies directory from into to (which must not exist), following symlinks;
 * on failure *bad names the path that failed. */
static int copy_tree(const char *from, const char *to, char *bad, size_t nbad)
{
    if (mkdir(to, 0755)) {
        snprintf(bad, nbad, "%s", to);
        return -1;
    }
    DIR *d = opendir(from);
    if (!d) {
        snprintf(bad, nbad, "%s", from);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char src[PATH_MAX], dst[PATH_MAX];
        if (snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= (int)sizeof dst) {
            errno = ENAMETOOLONG;
            snprintf(bad, nbad, "%s/%s", from, e->d_name);
            rc = -1;
            break;
        }
        struct stat st;
        if (stat(src, &st)) {
            snprintf(bad, nbad, "%s", src);
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = copy_tree(src, dst, bad, nbad);
        } else if (S_ISREG(st.st_mode)) {
            if ((rc = copy_file(src, dst, st.st_mode))) snprintf(bad, nbad, "%s", src);
        }
    }
    closedir(d);
    return rc;
}

static bool is_export(const char *dir)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/saved_model.pb", dir);
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The newest export (the largest numeric name) directly under base, into out. */
static bool newest_export(const char *base, char *out, size_t n)
{
    DIR *d = opendir(base);
    if (!d) return false;
    unsigned long long best = 0;
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (!*s || strspn(s, "0123456789") != strlen(s)) continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", base, s);
        unsigned long long v = strtoull(s, NULL, 10);
        if (is_export(p) && (!found || v > best)) {
            best = v;
            found = true;
            snprintf(out, n, "%s", p);
        }
    }
    closedir(d);
    return found;
}

/* An export directory, or a job or export-base directory whose newest export
 * is meant (what `tfc train` leaves in JOB_DIR/export/<timestamp>). */
static bool resolve_origin(const char *origin, char *out, size_t n)
{
    char abs[PATH_MAX];
    if (!realpath(origin, abs)) return false;
    if (is_export(abs)) {
        snprintf(out, n, "%s", abs);
        return true;
    }
    char sub[PATH_MAX + 8];
    snprintf(sub, sizeof sub, "%s/export", abs);
    return newest_export(sub, out, n) || newest_export(abs, out, n);
}

/* ---- models ---------------------------------------------------------------------- */

static int check_name(const char *cmd, const char *what, const char *name)
{
    if (reg_valid_name(name)) return TFC_EXIT_OK;
    return cli_fail(TFC_EXIT_USAGE,
                    "%s: bad %s name '%s': use a letter, then letters, digits or underscores (at most 128)", cmd, what,
                    name);
}

static int models_create(int argc, char **argv)
{
    const char *cmd = "models create";
    cli_flag flags[] = {
        {"--description", "TEXT", "", "what the model is for", NULL, false, false},
    };
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME [--description TEXT]",
                       "Registers a model: a named home for versions (tfc versions create V --model NAME --origin "
                       "EXPORT_DIR).",
                       flags, NFLAGS(flags), argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the model's NAME is missing", cmd);
    if ((rc = check_name(cmd, "model", pos[0]))) return rc;
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    rc = reg_model_create(db, cmd, pos[0], cli_get(flags, NFLAGS(flags), "--description"));
    reg_close(db);
    if (!rc) printf("created model %s\n", pos[0]);
    return rc;
}

static int models_list(int argc, char **argv)
{
    const char *cmd = "models list";
    int rc = cli_parse(cmd, "", "Lists the registered models.", NULL, 0, argc, argv, NULL, 0, NULL, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_model *m;
    int n;
    rc = reg_model_list(db, cmd, &m, &n);
    reg_close(db);
    if (rc) return rc;
    printf("%-32s %-24s %-8s %s\n", "NAME", "DEFAULT_VERSION_NAME", "VERSIONS", "DESCRIPTION");
    for (int i = 0; i < n; i++)
        printf("%-32s %-24s %-8d %s\n", m[i].name, m[i].default_version ? m[i].default_version : "-",
               m[i].num_versions, m[i].description ? m[i].description : "");
    reg_model_list_free(m, n);
    return TFC_EXIT_OK;
}

static int models_describe(int argc, char **argv)
{
    const char *cmd = "models describe";
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME", "Shows a model: description, default version, creation time, versions.", NULL,
                       0, argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the model's NAME is missing", cmd);
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_model m;
    reg_version *v = NULL;
    int n = 0;
    rc = reg_model_get(db, cmd, pos[0], &m);
    if (!rc) rc = reg_version_list(db, cmd, pos[0], &v, &n);
    reg_close(db);
    if (!rc) {
        char t[32];
        printf("name: %s\n", m.name);
        printf("description: %s\n", m.description ? m.description : "");
        printf("defaultVersion: %s\n", m.default_version ? m.default_version : "-");
        printf("createTime: %s\n", reg_time_str(m.create_time, t, sizeof t));
        printf("versions:");
        for (int i = 0; i < n; i++) printf(" %s", v[i].name);
        printf("%s\n", n ? "" : " none");
    }
    reg_version_list_free(v, n);
    reg_model_clear(&m);
    return rc;
}

static int models_delete(int argc, char **argv)
{
    const char *cmd = "models delete";
    cli_flag flags[] = {
        {"--force", NULL, NULL, "also delete the model's versions (and their files)", NULL, false, false},
    };
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, "NAME [--force]",
                       "Deletes a model. A model with versions is kept unless --force is given.", flags,
                       NFLAGS(flags), argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the model's NAME is missing", cmd);
    if (!reg_valid_name(pos[0]))
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: there is no model '%s' (tfc models list shows them)", cmd, pos[0]);
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    char dir[PATH_MAX], doomed[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/models/%s", reg_home(), pos[0]);
    snprintf(doomed, sizeof doomed, "%s/models/.deleted-%s-%ld", reg_home(), pos[0], (long)getpid());
    rc = reg_begin(db, cmd);
    if (!rc) rc = reg_model_delete(db, cmd, pos[0], cli_given(flags, NFLAGS(flags), "--force"));
    /* Files move aside inside the transaction, and go once it commits. */
    bool moved = !rc && rename(dir, doomed) == 0;
    if (!rc) rc = reg_commit(db, cmd);
    if (rc) {
        reg_rollback(db);
        if (moved) rename(doomed, dir);
    } else if (moved) {
        remove_tree(doomed);
    }
    reg_close(db);
    if (!rc) printf("deleted model %s\n", pos[0]);
    return rc;
}

int cmd_models(int argc, char **argv)
{
    static const char usage[] = "usage: tfc models SUBCOMMAND ...   (tfc models SUBCOMMAND --help for its flags)\n\n"
                                "subcommands:\n"
                                "  create NAME [--description TEXT]   register a model\n"
                                "  list                               the registered models\n"
                                "  describe NAME                      a model and its versions\n"
                                "  delete NAME [--force]              delete a model (--force: with its versions)\n";
    static const cli_subcommand subs[] = {
        {"create", models_create}, {"list", models_list}, {"describe", models_describe}, {"delete", models_delete}};
    return cli_dispatch("models", usage, subs, 4, argc, argv);
}

/* ---- versions --------------------------------------------------------------------- */

/* Parses "VERSION --model M [flags]"; returns -1 after --help. */
static int version_args(const char *cmd, const char *synopsis, const char *summary, cli_flag *flags, int nflags,
                        int argc, char **argv, const char **version, const char **model)
{
    const char *pos[1];
    int npos = 0;
    int rc = cli_parse(cmd, synopsis, summary, flags, nflags, argc, argv, pos, 1, &npos, NULL, NULL);
    if (rc) return rc;
    *model = cli_get(flags, nflags, "--model");
    if (!*model || !**model) return cli_fail(TFC_EXIT_USAGE, "%s: flag --model is required", cmd);
    if (version) {
        if (npos < 1) return cli_fail(TFC_EXIT_USAGE, "%s: the VERSION name is missing", cmd);
        *version = pos[0];
    }
    return TFC_EXIT_OK;
}

#define MODEL_FLAG {"--model", "MODEL", NULL, "the model (tfc models list); required", NULL, false, false}

static int versions_create(int argc, char **argv)
{
    const char *cmd = "versions create";
    cli_flag flags[] = {
        MODEL_FLAG,
        {"--origin", "EXPORT_DIR", NULL,
         "the export to copy (a directory with saved_model.pb; a job directory means its newest export); required",
         NULL, false, false},
    };
    const char *version = NULL, *model = NULL;
    int rc = version_args(cmd, "VERSION --model MODEL --origin EXPORT_DIR",
                          "Copies an export into the registry ($TFC_HOME/models/MODEL/VERSION) after checking that "
                          "it loads, and records it as a version of MODEL (the first one becomes the default).",
                          flags, NFLAGS(flags), argc, argv, &version, &model);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    const char *origin = cli_get(flags, NFLAGS(flags), "--origin");
    if (!origin || !*origin) return cli_fail(TFC_EXIT_USAGE, "%s: flag --origin is required", cmd);
    if ((rc = check_name(cmd, "version", version))) return rc;
    if (!reg_valid_name(model))
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: there is no model '%s' (tfc models list shows them)", cmd, model);

    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    /* Cheap checks first, so a typo does not copy a large export. */
    reg_model m;
    rc = reg_model_get(db, cmd, model, &m);
    reg_model_clear(&m);
    if (!rc && reg_version_exists(db, model, version))
        rc = cli_fail(TFC_EXIT_ERROR, "%s: model '%s' already has a version '%s'", cmd, model, version);
    reg_close(db);
    if (rc) return rc;
    char src[PATH_MAX];
    if (!resolve_origin(origin, src, sizeof src)) {
        struct stat st;
        if (stat(origin, &st))
            return cli_fail(TFC_EXIT_NOT_FOUND, "%s: --origin %s: %s", cmd, origin, strerror(errno));
        return cli_fail(TFC_EXIT_NOT_FOUND,
                        "%s: --origin %s is not an export (no saved_model.pb in it, nor in a numbered export under "
                        "it or its export/ directory)",
                        cmd, origin);
    }

    char mdir[PATH_MAX], dst[PATH_MAX + 160], tmp[PATH_MAX + 200], bad[PATH_MAX] = "";
    snprintf(mdir, sizeof mdir, "%s/models/%s", reg_home(), model);
    snprintf(dst, sizeof dst, "%s/%s", mdir, version);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld", mdir, version, (long)getpid());
    if (reg_mkdirs(mdir)) return cli_fail(TFC_EXIT_ERROR, "%s: cannot make %s: %s", cmd, mdir, strerror(errno));
    remove_tree(tmp);
    if (copy_tree(src, tmp, bad, sizeof bad)) {
        int e = errno;
        remove_tree(tmp);
        return cli_fail(TFC_EXIT_ERROR, "%s: copying %s into the registry failed at %s: %s", cmd, src, bad,
                        strerror(e));
    }
    /* The copy, not the origin, is what predictions will load. */
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = 1;
    tfc_saved_model *sm = NULL;
    tfc_code c = tfc_saved_model_load(tmp, &so, &sm);
    if (c) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", tfc_last_error());
        remove_tree(tmp);
        return cli_fail(cli_exit_code(c) == TFC_EXIT_NOT_FOUND ? TFC_EXIT_BAD_INPUT : cli_exit_code(c),
                        "%s: --origin %s does not load as an export: %s", cmd, src, msg);
    }
    tfc_saved_model_free(sm);

    if (!(db = reg_open(cmd))) {
        remove_tree(tmp);
        return TFC_EXIT_ERROR;
    }
    reg_version v = {0};
    v.model = (char *)model;
    v.name = (char *)version;
    v.origin = src;
    v.path = dst;
    rc = reg_begin(db, cmd);
    if (!rc) rc = reg_version_create(db, cmd, &v);
    bool moved = false;
    if (!rc) {
        remove_tree(dst); /* a leftover of an interrupted delete: the registry says the name is free */
        if (rename(tmp, dst))
            rc = cli_fail(TFC_EXIT_ERROR, "%s: cannot move the copy to %s: %s", cmd, dst, strerror(errno));
        else
            moved = true;
    }
    if (!rc) rc = reg_commit(db, cmd);
    if (rc) {
        reg_rollback(db);
        if (moved) remove_tree(dst);
        remove_tree(tmp);
    }
    reg_model mm = {0};
    if (!rc) rc = reg_model_get(db, cmd, model, &mm);
    reg_close(db);
    if (!rc)
        printf("created version %s of model %s from %s%s\n", version, model, src,
               mm.default_version && !strcmp(mm.default_version, version) ? " (the default)" : "");
    reg_model_clear(&mm);
    return rc;
}

static int versions_list(int argc, char **argv)
{
    const char *cmd = "versions list";
    cli_flag flags[] = {MODEL_FLAG};
    const char *model = NULL;
    int rc = version_args(cmd, "--model MODEL", "Lists a model's versions, oldest first.", flags, NFLAGS(flags),
                          argc, argv, NULL, &model);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_version *v;
    int n;
    rc = reg_version_list(db, cmd, model, &v, &n);
    reg_close(db);
    if (rc) return rc;
    printf("%-24s %-7s %-7s %-20s %s\n", "NAME", "STATE", "DEFAULT", "CREATED", "ORIGIN");
    for (int i = 0; i < n; i++) {
        char t[32];
        printf("%-24s %-7s %-7s %-20s %s\n", v[i].name, v[i].state, v[i].is_default ? "yes" : "", 
               reg_time_str(v[i].create_time, t, sizeof t), v[i].origin ? v[i].origin : "-");
    }
    reg_version_list_free(v, n);
    return TFC_EXIT_OK;
}

static void print_signature(const tfc_signature *sig)
{
    printf("signature %s (%s):\n", tfc_signature_key(sig), tfc_signature_method_name(sig));
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? tfc_signature_num_outputs(sig) : tfc_signature_num_inputs(sig);
        for (int i = 0; i < n; i++) {
            tfc_dtype dt = TFC_INVALID_DTYPE;
            int64_t dims[TFC_MAX_RANK];
            int rank = -1;
            if (pass) tfc_signature_output_info(sig, i, &dt, dims, &rank);
            else tfc_signature_input_info(sig, i, &dt, dims, &rank);
            char shape[160] = "?";
            if (rank >= 0) {
                int l = snprintf(shape, sizeof shape, "[");
                for (int k = 0; k < rank && l < (int)sizeof shape - 24; k++) {
                    if (dims[k] < 0) l += snprintf(shape + l, sizeof shape - (size_t)l, "%sNone", k ? ", " : "");
                    else l += snprintf(shape + l, sizeof shape - (size_t)l, "%s%lld", k ? ", " : "", (long long)dims[k]);
                }
                snprintf(shape + l, sizeof shape - (size_t)l, "]");
            }
            printf("  %s %s: %s %s\n", pass ? "output" : "input", pass ? tfc_signature_output_key(sig, i)
                                                                      : tfc_signature_input_key(sig, i),
                   tfc_dtype_name(dt), shape);
        }
    }
}

static int versions_describe(int argc, char **argv)
{
    const char *cmd = "versions describe";
    cli_flag flags[] = {MODEL_FLAG};
    const char *version = NULL, *model = NULL;
    int rc = version_args(cmd, "VERSION --model MODEL",
                          "Shows a version: state, origin, where the registry keeps it, whether it is the default, "
                          "and its serving_default signature (the keys of a JSON instance).",
                          flags, NFLAGS(flags), argc, argv, &version, &model);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_version v;
    rc = reg_version_get(db, cmd, model, version, &v);
    reg_close(db);
    if (rc) return rc;
    char t[32];
    printf("name: %s\n", v.name);
    printf("model: %s\n", v.model);
    printf("state: %s\n", v.state);
    printf("isDefault: %s\n", v.is_default ? "true" : "false");
    printf("createTime: %s\n", reg_time_str(v.create_time, t, sizeof t));
    printf("origin: %s\n", v.origin ? v.origin : "-");
    printf("path: %s\n", v.path);
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = 1;
    tfc_saved_model *sm = NULL;
    if (tfc_saved_model_load(v.path, &so, &sm)) {
        printf("loads: no (%s)\n", tfc_last_error());
    } else {
        printf("writerVersion: %s\n", tfc_saved_model_writer_version(sm));
        const tfc_signature *sig = tfc_saved_model_find_signature(sm, TFC_SERVING_DEFAULT_SIGNATURE_KEY);
        if (sig) print_signature(sig);
        tfc_saved_model_free(sm);
    }
    reg_version_clear(&v);
    return TFC_EXIT_OK;
}

static int versions_delete(int argc, char **argv)
{
    const char *cmd = "versions delete";
    cli_flag flags[] = {MODEL_FLAG};
    const char *version = NULL, *model = NULL;
    int rc = version_args(cmd, "VERSION --model MODEL",
                          "Deletes a version and its copy of the export. The default version can only go when it "
                          "is the model's last.",
                          flags, NFLAGS(flags), argc, argv, &version, &model);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    reg_version v = {0};
    char doomed[PATH_MAX + 200] = "";
    rc = reg_begin(db, cmd);
    if (!rc) rc = reg_version_get(db, cmd, model, version, &v);
    if (!rc) rc = reg_version_delete(db, cmd, model, version);
    bool moved = false;
    if (!rc) {
        snprintf(doomed, sizeof doomed, "%s/models/%s/.deleted-%s-%ld", reg_home(), model, version, (long)getpid());
        moved = rename(v.path, doomed) == 0;
    }
    if (!rc) rc = reg_commit(db, cmd);
    if (rc) {
        reg_rollback(db);
        if (moved) rename(doomed, v.path);
    } else if (moved) {
        remove_tree(doomed);
    }
    reg_close(db);
    reg_version_clear(&v);
    if (!rc) printf("deleted version %s of model %s\n", version, model);
    return rc;
}

static int versions_set_default(int argc, char **argv)
{
    const char *cmd = "versions set-default";
    cli_flag flags[] = {MODEL_FLAG};
    const char *version = NULL, *model = NULL;
    int rc = version_args(cmd, "VERSION --model MODEL",
                          "Makes VERSION the model's default (used by prediction jobs that name no version).", flags,
                          NFLAGS(flags), argc, argv, &version, &model);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    sqlite3 *db = reg_open(cmd);
    if (!db) return TFC_EXIT_ERROR;
    rc = reg_version_set_default(db, cmd, model, version);
    reg_close(db);
    if (!rc) printf("version %s is the default of model %s\n", version, model);
    return rc;
}

int cmd_versions(int argc, char **argv)
{
    static const char usage[] =
        "usage: tfc versions SUBCOMMAND ...   (tfc versions SUBCOMMAND --help for its flags)\n\n"
        "subcommands:\n"
        "  create VERSION --model M --origin EXPORT_DIR   copy an export into the registry\n"
        "  list --model M                                 a model's versions\n"
        "  describe VERSION --model M                     a version and its signature\n"
        "  delete VERSION --model M                       delete a version\n"
        "  set-default VERSION --model M                  make VERSION the model's default\n";
    static const cli_subcommand subs[] = {{"create", versions_create},
                                           {"list", versions_list},
                                           {"describe", versions_describe},
                                           {"delete", versions_delete},
                                           {"set-default", versions_set_default}};
    return cli_dispatch("versions", usage, subs, 5, argc, argv);
}
