/* tfc train, evaluate and export: the census trainer's workflow (flags with
 * its names and defaults) for any CSV data set a spec describes.
 *
 * The job directory holds what the estimator writes (checkpoints, event
 * files, eval/, export/<timestamp>/) and three files of the tool:
 *   tfc_spec.json    the spec with the training data's statistics and
 *                    absolute paths, so evaluate and export never need the
 *                    training files;
 *   tfc_train.json   the model's resolved shape (type, hidden units,
 *                    embedding size) and the flags in effect, which a
 *                    restarted train, evaluate and export reuse;
 *   tfc_result.json  the last train's final metrics and export path. */
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "spec.h"

#define SPEC_FILE "tfc_spec.json"
#define TRAIN_FILE "tfc_train.json"
#define RESULT_FILE "tfc_result.json"
/* Training files up to this size ($TFC_TRAIN_CACHE_MAX_BYTES if set) are
 * read into memory once (tf.data's cache()) and shuffled as a whole every
 * epoch; larger ones are streamed through a shuffle buffer. */
#define IN_MEMORY_MAX_BYTES ((off_t)1 << 30)
#define STREAM_SHUFFLE_BUFFER 10000

#define NFLAGS(f) (int)(sizeof f / sizeof f[0])

/* The library's message without the name of the function that failed
 * ("tfc_csv_reader_new: "), which means nothing to a user of the command. */
static const char *lib_error(void)
{
    const char *m = tfc_last_error();
    size_t n = strspn(m, "abcdefghijklmnopqrstuvwxyz_");
    return !strncmp(m, "tfc_", 4) && !strncmp(m + n, ": ", 2) ? m + n + 2 : m;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- Logging and the progress line ------------------------------------------ */

typedef struct logstate {
    bool tty, verbose;
    bool shown; /* a progress line is on the terminal */
    int64_t target, step;
    double loss, rate, last_draw, last_t;
} logstate;

static logstate logs;

static void draw_progress(logstate *L)
{
    char eta[32] = "", bar[32] = "", frac[32] = "";
    if (L->target > 0) {
        double f = L->step >= L->target ? 1 : (double)L->step / (double)L->target;
        int filled = (int)(f * 20);
        for (int i = 0; i < 20; i++) bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
        bar[20] = 0;
        snprintf(frac, sizeof frac, "/%lld", (long long)L->target);
        if (L->rate > 0 && L->step < L->target) {
            double s = (double)(L->target - L->step) / L->rate;
            if (s < 60) snprintf(eta, sizeof eta, "  ETA %.0fs", s);
            else if (s < 3600) snprintf(eta, sizeof eta, "  ETA %dm%02ds", (int)s / 60, (int)s % 60);
            else snprintf(eta, sizeof eta, "  ETA %dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
        }
    }
    fprintf(stderr, "\r\033[Kstep %lld%s%s%s%s  loss %.4g  %.0f steps/s%s", (long long)L->step, frac,
            bar[0] ? " [" : "", bar, bar[0] ? "]" : "", L->loss, L->rate, eta);
    fflush(stderr);
    L->shown = true;
    L->last_draw = now_seconds();
}

static void end_progress(logstate *L)
{
    if (L->shown) {
        draw_progress(L);
        fputc('\n', stderr);
    }
    L->shown = false;
}

static void on_log(tfc_log_level level, const char *msg, void *arg)
{
    logstate *L = arg;
    if (level == TFC_LOG_DEBUG && !L->verbose) return;
    /* The export is made in a temporary directory; the command prints where it lands. */
    if (level == TFC_LOG_INFO && !strncmp(msg, "Exported the model at global step", 33)) return;
    if (L->tty && level == TFC_LOG_INFO) {
        double loss, dt;
        long long step;
        /* The library's "loss = L, step = S (T sec)" every log_step_count_steps. */
        if (sscanf(msg, "loss = %lf, step = %lld (%lf sec)", &loss, &step, &dt) == 3) {
            double now = now_seconds();
            int64_t n = step - L->step;
            /* The first interval is the library's (it excludes building the
             * graph); later ones the wall clock's, which has more digits. */
            if (L->last_t > 0) dt = now - L->last_t;
            if (n > 0 && dt > 0) {
                double r = (double)n / dt;
                L->rate = L->rate > 0 ? 0.8 * L->rate + 0.2 * r : r;
            }
            L->last_t = now;
            L->step = step;
            L->loss = loss;
            if (!L->shown || now - L->last_draw > 0.1 || step >= L->target) draw_progress(L);
            return;
        }
        if (!strncmp(msg, "global_step/sec", 15)) return;
        if (!strncmp(msg, "Training done", 13)) end_progress(L);
    }
    static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
    if (L->shown) fputs("\r\033[K", stderr);
    fprintf(stderr, "%s: %s\n", names[level <= TFC_LOG_ERROR ? level : TFC_LOG_ERROR], msg);
    if (L->shown) draw_progress(L);
    else fflush(stderr);
}

static void start_logging(bool verbose)
{
    logs = (logstate){0};
    logs.tty = isatty(STDERR_FILENO);
    logs.verbose = verbose;
    tfc_set_log_callback(on_log, &logs);
}

/* ---- Files ---------------------------------------------------------------------- */

static bool file_exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* "a,b" -> {"a", "b"}: the patterns of a --*-files flag (repeated flags are
 * joined with ','). Empty items are skipped. */
typedef struct patterns {
    char *buf;
    const char **p;
    int n;
} patterns;

static int split_patterns(const char *list, patterns *out)
{
    memset(out, 0, sizeof *out);
    if (!list) return TFC_EXIT_OK;
    out->buf = strdup(list);
    out->p = calloc(strlen(list) / 2 + 2, sizeof *out->p);
    if (!out->buf || !out->p) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    for (char *save = NULL, *t = strtok_r(out->buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        out->p[out->n++] = t;
    return TFC_EXIT_OK;
}

static void free_patterns(patterns *p)
{
    free(p->buf);
    free(p->p);
    memset(p, 0, sizeof *p);
}

/* Bytes of the files the patterns match (what the reader will read). */
static off_t total_bytes(const patterns *p)
{
    off_t total = 0;
    for (int i = 0; i < p->n; i++) {
        glob_t g;
        if (glob(p->p[i], 0, NULL, &g) != 0) continue;
        for (size_t k = 0; k < g.gl_pathc; k++) {
            struct stat st;
            if (stat(g.gl_pathv[k], &st) == 0) total += st.st_size;
        }
        globfree(&g);
    }
    return total;
}

/* ---- Flags -------------------------------------------------------------------------- */

static cli_flag train_flags[] = {
    {"--train-files", "PATTERNS", NULL, "training CSV files: paths, globs, gzip; comma-separated or repeated", NULL,
     false, true},
    {"--eval-files", "PATTERNS", NULL, "evaluation CSV files (as --train-files); none: no evaluation", NULL, false,
     true},
    {"--job-dir", "DIR", NULL, "checkpoints, event files and exports; training resumes from it", NULL, false, false},
    {"--spec", "FILE", "JOB_DIR/" SPEC_FILE, "the model spec (docs/tfc.md); required for a new job directory", NULL,
     false, false},
    {"--model", "TYPE", "wide_deep", "linear, dnn or wide_deep; the spec's $.model.type replaces the default", NULL,
     false, false},
    {"--train-steps", "N", NULL, "train until the global step is N", NULL, false, false},
    {"--num-epochs", "N", NULL, "passes over the training files (with --train-steps: whichever ends first)", NULL,
     false, false},
    {"--train-batch-size", "N", "40", "examples per training step", NULL, false, false},
    {"--eval-batch-size", "N", "40", "examples per evaluation batch", NULL, false, false},
    {"--eval-steps", "N", "100", "batches per evaluation; 0: the whole evaluation files", NULL, false, false},
    {"--embedding-size", "N", "8", "dimension of the spec's embedding columns that give none", NULL, false, false},
    {"--first-layer-size", "N", "100", "units of the first hidden layer", NULL, false, false},
    {"--num-layers", "N", "4", "hidden layers", NULL, false, false},
    {"--scale-factor", "X", "0.7", "layer i has max(2, int(first_layer_size * scale_factor**i)) units", NULL,
     false, false},
    {"--eval-delay-secs", "S", "10", "no evaluation before this much training time", NULL, false, false},
    {"--min-eval-frequency", "N", "1", "at least N steps between evaluations (each after a checkpoint)", NULL,
     false, false},
    {"--save-checkpoints-secs", "S", "600", "save a checkpoint every S seconds (and at the end)", NULL, false, false},
    {"--save-checkpoints-steps", "N", "0", "save a checkpoint every N steps instead; 0: by time", NULL, false,
     false},
    {"--seed", "N", "0", "seed of the initial values and of the shuffling", NULL, false, false},
    {"--threads", "N", "0", "threads of the session; 0: the library's default (all cores)", NULL, false, false},
    {"--verbose-logging", NULL, NULL, "log DEBUG lines too", NULL, false, false},
};

/* Flags a restarted train takes from tfc_train.json when not given. The
 * model's shape (--model, --embedding-size, the layer flags) is stored
 * resolved instead; --train-steps and --num-epochs only as a pair. */
static const char *const sticky_flags[] = {"--train-files",    "--eval-files",        "--train-batch-size",
                                           "--eval-batch-size", "--eval-steps",       "--eval-delay-secs",
                                           "--min-eval-frequency", "--save-checkpoints-secs",
                                           "--save-checkpoints-steps", "--seed",      "--threads", NULL};

static cli_flag *flag(cli_flag *flags, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(flags[i].name, name)) return &flags[i];
    return NULL;
}

/* Strings set as flag values from a stored file; freed when the command ends. */
static char *stored_values[64];
static int n_stored_values;

static void free_stored_values(void)
{
    for (int i = 0; i < n_stored_values; i++) free(stored_values[i]);
    n_stored_values = 0;
}

static void take_stored(cli_flag *f, json_t *stored_flags)
{
    json_t *v = json_object_get(stored_flags, f->name);
    if (!json_is_string(v) || n_stored_values == 64) return;
    char *copy = strdup(json_string_value(v));
    if (!copy) return;
    stored_values[n_stored_values++] = copy;
    f->value = copy;
}

static int get_long_min(const char *cmd, cli_flag *flags, int n, const char *name, long min, long *out)
{
    int rc = cli_get_long(cmd, flags, n, name, out);
    if (rc) return rc;
    if (*out < min) return cli_fail(TFC_EXIT_USAGE, "%s: flag %s: expected at least %ld, got %ld", cmd, name, min, *out);
    return TFC_EXIT_OK;
}

static int get_double_min(const char *cmd, cli_flag *flags, int n, const char *name, double min, double *out)
{
    int rc = cli_get_double(cmd, flags, n, name, out);
    if (rc) return rc;
    if (*out < min) return cli_fail(TFC_EXIT_USAGE, "%s: flag %s: expected at least %g, got %g", cmd, name, min, *out);
    return TFC_EXIT_OK;
}

/* ---- The model's shape ---------------------------------------------------------------- */

typedef struct shape {
    tfc_estimator_model model;
    int64_t hidden[SPEC_MAX_LAYERS];
    int n_hidden;
    int64_t embedding_size;
} shape;

static const char *model_name(tfc_estimator_model m)
{
    return m == TFC_MODEL_LINEAR ? "linear" : m == TFC_MODEL_DNN ? "dnn" : "wide_deep";
}

static int parse_model_name(const char *cmd, const char *v, tfc_estimator_model *m)
{
    if (!strcmp(v, "linear")) *m = TFC_MODEL_LINEAR;
    else if (!strcmp(v, "dnn")) *m = TFC_MODEL_DNN;
    else if (!strcmp(v, "wide_deep")) *m = TFC_MODEL_DNN_LINEAR_COMBINED;
    else return cli_fail(TFC_EXIT_USAGE, "%s: flag --model: expected linear, dnn or wide_deep, got '%s'", cmd, v);
    return TFC_EXIT_OK;
}

static void shape_text(const shape *s, char *buf, size_t n)
{
    size_t l = (size_t)snprintf(buf, n, "%s, hidden units [", model_name(s->model));
    for (int i = 0; i < s->n_hidden && l < n; i++)
        l += (size_t)snprintf(buf + l, n - l, "%s%lld", i ? ", " : "", (long long)s->hidden[i]);
    if (l < n) snprintf(buf + l, n - l, "], embedding size %lld", (long long)s->embedding_size);
}

static bool same_shape(const shape *a, const shape *b)
{
    if (a->model != b->model || a->embedding_size != b->embedding_size) return false;
    if (a->model == TFC_MODEL_LINEAR) return true;
    if (a->n_hidden != b->n_hidden) return false;
    for (int i = 0; i < a->n_hidden; i++)
        if (a->hidden[i] != b->hidden[i]) return false;
    return true;
}

static int shape_from_json(json_t *j, const char *path, shape *s)
{
    json_t *m = json_object_get(j, "model"), *h = json_object_get(j, "hidden_units");
    json_t *e = json_object_get(j, "embedding_size");
    memset(s, 0, sizeof *s);
    if (!json_is_string(m) || parse_model_name("job", json_string_value(m), &s->model) || !json_is_array(h) ||
        json_array_size(h) > SPEC_MAX_LAYERS || !json_is_integer(e))
        return cli_fail(TFC_EXIT_BAD_INPUT, "%s: not a tfc train options file (model, hidden_units, embedding_size)",
                        path);
    size_t i;
    json_t *v;
    json_array_foreach(h, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return cli_fail(TFC_EXIT_BAD_INPUT, "%s: $.hidden_units[%zu]: expected a positive integer", path, i);
        s->hidden[s->n_hidden++] = json_integer_value(v);
    }
    s->embedding_size = json_integer_value(e);
    return TFC_EXIT_OK;
}

/* The shape the flags and the spec ask for; stored (a job directory's,
 * may be NULL) fills what the command line does not give. */
static int shape_from_flags(const char *cmd, cli_flag *flags, int n, const spec *sp, const shape *stored, shape *s)
{
    *s = stored ? *stored : (shape){0};
    int rc;
    if (cli_given(flags, n, "--model") || !stored) {
        tfc_estimator_model kind;
        if (!cli_given(flags, n, "--model") && spec_model_kind(sp, &kind)) s->model = kind;
        else if ((rc = parse_model_name(cmd, cli_get(flags, n, "--model"), &s->model))) return rc;
    }
    long emb, first, layers;
    double scale;
    if ((rc = get_long_min(cmd, flags, n, "--embedding-size", 1, &emb)) ||
        (rc = get_long_min(cmd, flags, n, "--first-layer-size", 1, &first)) ||
        (rc = get_long_min(cmd, flags, n, "--num-layers", 1, &layers)) ||
        (rc = get_double_min(cmd, flags, n, "--scale-factor", 0, &scale)))
        return rc;
    if (layers > SPEC_MAX_LAYERS)
        return cli_fail(TFC_EXIT_USAGE, "%s: flag --num-layers: at most %d, got %ld", cmd, SPEC_MAX_LAYERS, layers);
    if (cli_given(flags, n, "--embedding-size") || !stored) s->embedding_size = emb;
    bool layer_flags = cli_given(flags, n, "--first-layer-size") || cli_given(flags, n, "--num-layers") ||
                       cli_given(flags, n, "--scale-factor");
    if (layer_flags || !stored) {
        const int64_t *units;
        int nu = spec_hidden_units(sp, &units);
        if (!layer_flags && nu > 0) {
            memcpy(s->hidden, units, (size_t)nu * sizeof *units);
            s->n_hidden = nu;
        } else {
            /* The census sample's layer sizes (Python's int() truncates). */
            s->n_hidden = (int)layers;
            for (int i = 0; i < s->n_hidden; i++) {
                double u = (double)first * pow(scale, i);
                s->hidden[i] = u < 2 ? 2 : u > 1e6 ? 1000000 : (int64_t)u;
            }
        }
    }
    return TFC_EXIT_OK;
}

/* ---- The estimator ------------------------------------------------------------------------ */

static int make_estimator(spec *sp, const shape *sh, const char *job_dir, long seed, long threads,
                          const tfc_run_config *extra, tfc_estimator **out)
{
    tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
    spec_estimator_options(sp, &o);
    o.hidden_units = sh->hidden;
    o.n_hidden_units = sh->model == TFC_MODEL_LINEAR ? 0 : sh->n_hidden;
    if (extra) o.config = *extra;
    o.config.model_dir = job_dir;
    o.config.tf_random_seed = seed + 1; /* 0 would mean "no seed" */
    o.config.num_threads = (int)threads;
    tfc_code c = tfc_estimator_new(&o, out);
    if (c) return cli_fail(cli_exit_code(c), "%s", lib_error());
    return TFC_EXIT_OK;
}

/* Builds the spec's columns and the estimator for a job directory's stored
 * model (evaluate, export). */
typedef struct job {
    spec *sp;
    json_t *train; /* tfc_train.json */
    shape sh;
} job;

static void job_free(job *j)
{
    spec_free(j->sp);
    json_decref(j->train);
    memset(j, 0, sizeof *j);
}

static int job_open(const char *cmd, const char *dir, job *j)
{
    memset(j, 0, sizeof *j);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: job directory %s: %s", cmd, dir,
                        stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, TRAIN_FILE);
    if (access(path, F_OK) != 0)
        return cli_fail(TFC_EXIT_NOT_FOUND, "%s: %s is not a tfc job directory (no %s: tfc train writes it)", cmd, dir,
                        TRAIN_FILE);
    json_error_t err;
    j->train = json_load_file(path, 0, &err);
    if (!j->train) return cli_fail(TFC_EXIT_BAD_INPUT, "%s:%d: invalid JSON: %s", path, err.line, err.text);
    int rc = shape_from_json(j->train, path, &j->sh);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/%s", dir, SPEC_FILE);
    if ((rc = spec_load(path, &j->sp))) return rc;
    if (spec_needs_stats(j->sp))
        return cli_fail(TFC_EXIT_BAD_INPUT, "%s: standardized columns without statistics (was it written by tfc "
                                            "train?)", path);
    return spec_build(j->sp, j->sh.model, j->sh.embedding_size);
}

static const char *stored_flag(const job *j, const char *name)
{
    json_t *v = json_object_get(json_object_get(j->train, "flags"), name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void print_metrics(const tfc_eval_results *r, const char *title)
{
    double step = NAN;
    tfc_eval_results_get(r, "global_step", &step);
    printf("%s at global step %.0f:\n", title, step);
    for (int i = 0; i < tfc_eval_results_count(r); i++) {
        const char *name = tfc_eval_results_name(r, i);
        if (strcmp(name, "global_step") != 0) printf("  %-22s %.6g\n", name, tfc_eval_results_value(r, i));
    }
    fflush(stdout);
}

static json_t *metrics_json(const tfc_eval_results *r)
{
    json_t *m = json_object();
    for (int i = 0; m && r && i < tfc_eval_results_count(r); i++) {
        double v = tfc_eval_results_value(r, i);
        json_object_set_new(m, tfc_eval_results_name(r, i), isfinite(v) ? json_real(v) : json_null());
    }
    return m;
}

/* Exports under <base>/<timestamp>/ with the spec as assets/spec.json (the
 * schema tfc predict reads instances with). Built in a hidden temporary
 * directory and renamed into place, so a listed export is always complete. */
static int export_model(tfc_estimator *e, const spec *sp, const char *base, char **out)
{
    *out = NULL;
    if (mkdir(base, 0777) != 0 && errno != EEXIST)
        return cli_fail(TFC_EXIT_ERROR, "export: cannot create %s: %s", base, strerror(errno));
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.tmp-export-XXXXXX", base);
    if (!mkdtemp(tmp)) return cli_fail(TFC_EXIT_ERROR, "export: cannot create a directory in %s: %s", base,
                                       strerror(errno));
    char *made = NULL;
    tfc_code c = tfc_estimator_export(e, tmp, &made);
    if (c) {
        int rc = cli_fail(cli_exit_code(c), "export: %s", lib_error());
        rm_tree(tmp);
        return rc;
    }
    char assets[PATH_MAX], path[PATH_MAX];
    int rc = TFC_EXIT_OK;
    if (snprintf(assets, sizeof assets, "%s/assets", made) >= (int)sizeof assets ||
        snprintf(path, sizeof path, "%s/spec.json", assets) >= (int)sizeof path)
        rc = cli_fail(TFC_EXIT_ERROR, "export: %s: path too long", made);
    else if (mkdir(assets, 0777) != 0 && errno != EEXIST)
        rc = cli_fail(TFC_EXIT_ERROR, "export: cannot create %s: %s", assets, strerror(errno));
    if (!rc) rc = spec_write(sp, path);
    if (!rc) {
        const char *ts = strrchr(made, '/') + 1;
        long long t = atoll(ts);
        char final[PATH_MAX];
        for (;; t++) {
            snprintf(final, sizeof final, "%s/%lld", base, t);
            if (rename(made, final) == 0) break;
            if (errno != EEXIST && errno != ENOTEMPTY) {
                rc = cli_fail(TFC_EXIT_ERROR, "export: cannot rename %s to %s: %s", made, final, strerror(errno));
                break;
            }
        }
        if (!rc && !(*out = strdup(final))) rc = cli_fail(TFC_EXIT_ERROR, "out of memory");
    }
    tfc_string_free(made);
    rm_tree(tmp);
    return rc;
}

/* ---- Inputs ---------------------------------------------------------------------------------- */

/* The training input: the files in memory (shuffled every epoch) when they
 * are small enough, else streamed through a shuffle buffer; feeds the
 * spec's statistics on the way. *rows: the number of rows, -1 unknown. */
static int open_train_input(spec *sp, const patterns *files, long batch, long epochs, long seed, bool want_rows,
                            tfc_input **out, int64_t *rows)
{
    tfc_csv_schema *schema = spec_schema(sp);
    int ncols = tfc_csv_schema_num_columns(schema);
    const char *label = spec_label(sp);
    *rows = -1;
    off_t limit = IN_MEMORY_MAX_BYTES;
    const char *env = getenv("TFC_TRAIN_CACHE_MAX_BYTES");
    if (env && *env) limit = (off_t)strtoll(env, NULL, 10);
    bool in_memory = total_bytes(files) <= limit;
    tfc_tensor **cols = calloc((size_t)ncols, sizeof *cols);
    const char **keys = calloc((size_t)ncols, sizeof *keys);
    tfc_tensor **feats = calloc((size_t)ncols, sizeof *feats);
    if (!cols || !keys || !feats) {
        free(cols);
        free(keys);
        free(feats);
        return cli_fail(TFC_EXIT_ERROR, "out of memory");
    }
    int rc = TFC_EXIT_OK;
    tfc_csv_reader *r = NULL;
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 4096;
    tfc_code c = TFC_OK;
    if (in_memory || spec_needs_stats(sp) || want_rows) c = tfc_csv_reader_new(schema, files->p, files->n, &ro, &r);
    if (c) {
        rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
        goto done;
    }
    if (in_memory) {
        int64_t n = 0;
        c = tfc_csv_reader_next_batch(r, (int64_t)1 << 30, cols, &n);
        if (c == TFC_OUT_OF_RANGE) {
            rc = cli_fail(TFC_EXIT_BAD_INPUT, "train: the training files have no rows");
            goto done;
        }
        if (c) {
            rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
            goto done;
        }
        spec_stats_add(sp, cols, n);
        *rows = n;
        int nf = 0, li = -1;
        for (int i = 0; i < ncols; i++) {
            if (!strcmp(tfc_csv_schema_column_name(schema, i), label)) {
                li = i;
                continue;
            }
            keys[nf] = tfc_csv_schema_column_name(schema, i);
            feats[nf++] = cols[i];
        }
        tfc_tensor_input_options to = TFC_TENSOR_INPUT_OPTIONS_INIT;
        to.batch_size = batch;
        to.num_epochs = epochs;
        to.shuffle = 1;
        to.seed = (uint64_t)seed;
        if ((c = tfc_input_from_tensors(keys, feats, nf, cols[li], &to, out)))
            rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
        goto done;
    }
    if (r) {
        int64_t n, total = 0;
        while ((c = tfc_csv_reader_next_batch(r, 0, cols, &n)) == TFC_OK) {
            spec_stats_add(sp, cols, n);
            total += n;
            for (int i = 0; i < ncols; i++) {
                tfc_tensor_free(cols[i]);
                cols[i] = NULL;
            }
        }
        if (c != TFC_OUT_OF_RANGE) {
            rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
            goto done;
        }
        *rows = total;
    }
    tfc_csv_reader_options so = TFC_CSV_READER_OPTIONS_INIT;
    so.batch_size = batch;
    so.num_epochs = epochs;
    so.shuffle_buffer_size = STREAM_SHUFFLE_BUFFER;
    so.seed = (uint64_t)seed;
    if ((c = tfc_input_from_csv(schema, files->p, files->n, &so, label, out)))
        rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
done:
    tfc_csv_reader_free(r);
    for (int i = 0; i < ncols; i++) tfc_tensor_free(cols[i]);
    free(cols);
    free(keys);
    free(feats);
    return rc;
}

/* An evaluation input over files; the files are opened once now, so a
 * missing one is reported before training starts. */
static int open_eval_input(const char *cmd, spec *sp, const patterns *files, long batch, tfc_input **out)
{
    tfc_csv_reader *r;
    tfc_code c = tfc_csv_reader_new(spec_schema(sp), files->p, files->n, NULL, &r);
    if (c) return cli_fail(cli_exit_code(c), "%s: %s", cmd, lib_error());
    tfc_csv_reader_free(r);
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = batch;
    if ((c = tfc_input_from_csv(spec_schema(sp), files->p, files->n, &ro, spec_label(sp), out)))
        return cli_fail(cli_exit_code(c), "%s: %s", cmd, lib_error());
    return TFC_EXIT_OK;
}

/* ---- tfc train ---------------------------------------------------------------------------------- */

static json_t *train_options_json(const shape *sh, cli_flag *flags, int n)
{
    json_t *j = json_object(), *h = json_array(), *f = json_object();
    if (!j || !h || !f) {
        json_decref(j);
        json_decref(h);
        json_decref(f);
        return NULL;
    }
    for (int i = 0; i < sh->n_hidden; i++) json_array_append_new(h, json_integer(sh->hidden[i]));
    json_object_set_new(j, "tfc_version", json_string(tfc_version()));
    json_object_set_new(j, "model", json_string(model_name(sh->model)));
    json_object_set_new(j, "hidden_units", h);
    json_object_set_new(j, "embedding_size", json_integer(sh->embedding_size));
    for (int i = 0; i < n; i++) {
        const char *name = flags[i].name;
        if (!flags[i].value || !flags[i].metavar || !strcmp(name, "--job-dir") || !strcmp(name, "--spec")) continue;
        json_object_set_new(f, name, json_string(flags[i].value));
    }
    json_object_set_new(j, "flags", f);
    return j;
}

static int save_job_files(const char *job_dir, const spec *sp, const shape *sh, cli_flag *flags, int n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", job_dir, SPEC_FILE);
    int rc = spec_write(sp, path);
    if (rc) return rc;
    json_t *j = train_options_json(sh, flags, n);
    if (!j) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    snprintf(path, sizeof path, "%s/%s", job_dir, TRAIN_FILE);
    rc = json_write_atomic(j, path);
    json_decref(j);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    const int n = NFLAGS(train_flags);
    cli_flag *F = train_flags;
    int rc = cli_parse("train", "--train-files PATTERNS --job-dir DIR (--train-steps N | --num-epochs N) [FLAGS]",
                       "Trains a model described by a spec on CSV files, evaluating it as it goes, and exports it\n"
                       "to JOB_DIR/export/<timestamp>/. Restarted on the same job directory, it resumes from the\n"
                       "newest checkpoint; flags not given are then taken from JOB_DIR/" TRAIN_FILE ".",
                       F, n, argc, argv, NULL, 0, NULL, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    spec *sp = NULL;
    json_t *stored = NULL;
    patterns train_files = {0}, eval_files = {0};
    tfc_input *train_in = NULL, *eval_in = NULL;
    tfc_estimator *e = NULL;
    tfc_eval_results *final = NULL;
    char *export_path = NULL;

    const char *job_dir = cli_get(F, n, "--job-dir");
    if (!job_dir || !job_dir[0]) return cli_fail(TFC_EXIT_USAGE, "train: flag --job-dir is required");
    char path[PATH_MAX];
    shape stored_shape, *have_stored = NULL;
    snprintf(path, sizeof path, "%s/%s", job_dir, TRAIN_FILE);
    if (access(path, F_OK) == 0) {
        json_error_t err;
        if (!(stored = json_load_file(path, 0, &err))) {
            rc = cli_fail(TFC_EXIT_BAD_INPUT, "%s:%d: invalid JSON: %s", path, err.line, err.text);
            goto out;
        }
        if ((rc = shape_from_json(stored, path, &stored_shape))) goto out;
        have_stored = &stored_shape;
        json_t *sf = json_object_get(stored, "flags");
        for (int i = 0; sticky_flags[i]; i++) {
            cli_flag *f = flag(F, n, sticky_flags[i]);
            if (!f->given) take_stored(f, sf);
        }
        if (!cli_given(F, n, "--train-steps") && !cli_given(F, n, "--num-epochs")) {
            take_stored(flag(F, n, "--train-steps"), sf);
            take_stored(flag(F, n, "--num-epochs"), sf);
        }
    }
    const char *spec_path = cli_given(F, n, "--spec") ? cli_get(F, n, "--spec") : NULL;
    if (!spec_path) {
        snprintf(path, sizeof path, "%s/%s", job_dir, SPEC_FILE);
        if (!have_stored || access(path, F_OK) != 0) {
            rc = cli_fail(TFC_EXIT_USAGE, "train: flag --spec is required (a new job directory has no %s)",
                          SPEC_FILE);
            goto out;
        }
        spec_path = path;
    }
    if (!cli_get(F, n, "--train-files")) {
        rc = cli_fail(TFC_EXIT_USAGE, "train: flag --train-files is required");
        goto out;
    }
    long train_steps = 0, epochs = 0, batch, eval_batch, eval_steps, min_freq, ckpt_steps, seed, threads;
    double delay, ckpt_secs;
    if (!cli_get(F, n, "--train-steps") && !cli_get(F, n, "--num-epochs")) {
        rc = cli_fail(TFC_EXIT_USAGE, "train: give --train-steps or --num-epochs (or training never ends)");
        goto out;
    }
    if ((cli_get(F, n, "--train-steps") && (rc = get_long_min("train", F, n, "--train-steps", 1, &train_steps))) ||
        (cli_get(F, n, "--num-epochs") && (rc = get_long_min("train", F, n, "--num-epochs", 1, &epochs))) ||
        (rc = get_long_min("train", F, n, "--train-batch-size", 1, &batch)) ||
        (rc = get_long_min("train", F, n, "--eval-batch-size", 1, &eval_batch)) ||
        (rc = get_long_min("train", F, n, "--eval-steps", 0, &eval_steps)) ||
        (rc = get_long_min("train", F, n, "--min-eval-frequency", 0, &min_freq)) ||
        (rc = get_long_min("train", F, n, "--save-checkpoints-steps", 0, &ckpt_steps)) ||
        (rc = get_long_min("train", F, n, "--seed", 0, &seed)) ||
        (rc = get_long_min("train", F, n, "--threads", 0, &threads)) ||
        (rc = get_double_min("train", F, n, "--eval-delay-secs", 0, &delay)) ||
        (rc = get_double_min("train", F, n, "--save-checkpoints-secs", 0, &ckpt_secs)))
        goto out;
    if (ckpt_secs <= 0 && ckpt_steps == 0) ckpt_secs = 600;
    if ((rc = spec_load(spec_path, &sp))) goto out;

    shape sh;
    if ((rc = shape_from_flags("train", F, n, sp, have_stored, &sh))) goto out;
    bool resuming = file_exists(job_dir, "checkpoint");
    if (resuming && have_stored && !same_shape(&sh, have_stored)) {
        char a[256], b[256];
        shape_text(have_stored, a, sizeof a);
        shape_text(&sh, b, sizeof b);
        rc = cli_fail(TFC_EXIT_USAGE, "train: %s holds a model of another shape (%s) than these flags give (%s): "
                                      "use a new --job-dir", job_dir, a, b);
        goto out;
    }

    if ((rc = split_patterns(cli_get(F, n, "--train-files"), &train_files)) ||
        (rc = split_patterns(cli_get(F, n, "--eval-files"), &eval_files)))
        goto out;
    if (!train_files.n) {
        rc = cli_fail(TFC_EXIT_USAGE, "train: flag --train-files: no file patterns");
        goto out;
    }
    if (eval_files.n && (rc = open_eval_input("train", sp, &eval_files, eval_batch, &eval_in))) goto out;
    start_logging(cli_given(F, n, "--verbose-logging"));
    int64_t rows;
    if ((rc = open_train_input(sp, &train_files, batch, epochs, seed, epochs > 0, &train_in, &rows))) goto out;
    if (spec_needs_stats(sp) && (rc = spec_stats_finish(sp))) goto out;
    if ((rc = spec_build(sp, sh.model, sh.embedding_size))) goto out;

    tfc_run_config cfg = TFC_RUN_CONFIG_INIT;
    cfg.save_checkpoints_steps = ckpt_steps;
    cfg.save_checkpoints_secs = ckpt_secs;
    /* A terminal's progress line wants frequent loss lines; a log file fewer. */
    cfg.log_step_count_steps = logs.tty ? 10 : 100;
    if ((rc = make_estimator(sp, &sh, job_dir, seed, threads, &cfg, &e))) goto out;
    /* A new job directory records its spec and options before training, so an
     * interrupted job can be resumed or evaluated; a resumed one after
     * training, so a failed restart never rewrites them. */
    if (!resuming && (rc = save_job_files(job_dir, sp, &sh, F, n))) goto out;

    int64_t start = 0;
    tfc_code c = tfc_estimator_global_step(e, &start);
    if (c) {
        rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
        goto out;
    }
    int64_t target = train_steps;
    if (epochs > 0 && rows >= 0) {
        /* Batches run across epoch boundaries: only the very last one is short. */
        int64_t t = start + (epochs * rows + batch - 1) / batch;
        if (!target || t < target) target = t;
    }
    logs.target = target;
    logs.step = start;
    if (eval_in) {
        tfc_train_spec ts = {sizeof ts, train_in, train_steps};
        tfc_eval_spec es = {sizeof es, eval_in, eval_steps, NULL, delay, 0, min_freq};
        c = tfc_train_and_evaluate(e, &ts, &es, &final);
    } else {
        c = tfc_estimator_train(e, train_in, 0, train_steps);
    }
    end_progress(&logs);
    if (c) {
        rc = cli_fail(cli_exit_code(c), "train: %s", lib_error());
        goto out;
    }
    if (resuming && (rc = save_job_files(job_dir, sp, &sh, F, n))) goto out;
    tfc_train_stats st = {sizeof st, 0, 0, 0, 0, 0, 0};
    tfc_estimator_train_stats(e, &st);
    if (st.steps > 0)
        printf("Trained %lld steps (%lld examples) in %.1f s, %.0f steps/s; global step %lld\n",
               (long long)st.steps, (long long)st.examples, st.seconds,
               st.step_seconds > 0 ? (double)st.steps / st.step_seconds : 0.0, (long long)st.global_step);
    else
        printf("Nothing to train: the global step is already %lld\n", (long long)st.global_step);
    if (final) print_metrics(final, "Final evaluation");
    snprintf(path, sizeof path, "%s/export", job_dir);
    if ((rc = export_model(e, sp, path, &export_path))) goto out;
    printf("Exported the model to %s\n", export_path);
    json_t *res = json_object();
    if (res) {
        int64_t step = 0;
        tfc_estimator_global_step(e, &step);
        json_object_set_new(res, "global_step", json_integer(step));
        if (final) json_object_set_new(res, "metrics", metrics_json(final));
        json_object_set_new(res, "export_path", json_string(export_path));
        snprintf(path, sizeof path, "%s/%s", job_dir, RESULT_FILE);
        rc = json_write_atomic(res, path);
        json_decref(res);
    }
out:
    tfc_set_log_callback(NULL, NULL);
    free(export_path);
    tfc_eval_results_free(final);
    tfc_estimator_free(e);
    tfc_input_free(train_in);
    tfc_input_free(eval_in);
    free_patterns(&train_files);
    free_patterns(&eval_files);
    spec_free(sp);
    json_decref(stored);
    free_stored_values();
    return rc;
}

/* ---- tfc evaluate --------------------------------------------------------------------------------- */

static cli_flag eval_flags[] = {
    {"--job-dir", "DIR", NULL, "a job directory written by tfc train", NULL, false, false},
    {"--eval-files", "PATTERNS", "the job's", "CSV files: paths, globs, gzip; comma-separated or repeated", NULL,
     false, true},
    {"--eval-batch-size", "N", "the job's, else 40", "examples per batch", NULL, false, false},
    {"--eval-steps", "N", "0", "batches to evaluate; 0: the whole files", NULL, false, false},
    {"--spec", "FILE", NULL, "read the files with this spec's columns and label (the model stays the job's)", NULL,
     false, false},
    {"--name", "NAME", NULL, "write the metrics' events to JOB_DIR/eval_NAME instead of JOB_DIR/eval", NULL, false,
     false},
    {"--threads", "N", "0", "threads; 0: the library's default", NULL, false, false},
    {"--verbose-logging", NULL, NULL, "log INFO and DEBUG lines", NULL, false, false},
};

int cmd_evaluate(int argc, char **argv)
{
    const int n = NFLAGS(eval_flags);
    cli_flag *F = eval_flags;
    int rc = cli_parse("evaluate", "--job-dir DIR [--eval-files PATTERNS] [FLAGS]",
                       "Evaluates the newest checkpoint of a job directory on CSV files and prints the metrics\n"
                       "(TensorBoard events in JOB_DIR/eval).",
                       F, n, argc, argv, NULL, 0, NULL, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    const char *dir = cli_get(F, n, "--job-dir");
    if (!dir) return cli_fail(TFC_EXIT_USAGE, "evaluate: flag --job-dir is required");
    job j;
    spec *data_spec = NULL;
    patterns files = {0};
    tfc_input *in = NULL;
    tfc_estimator *e = NULL;
    tfc_eval_results *r = NULL;
    long batch, steps, threads, seed = 0;
    if ((rc = job_open("evaluate", dir, &j))) goto out;
    if (!cli_given(F, n, "--eval-batch-size")) {
        flag(F, n, "--eval-batch-size")->value = "40";
        take_stored(flag(F, n, "--eval-batch-size"), json_object_get(j.train, "flags"));
    }
    const char *list = cli_given(F, n, "--eval-files") ? cli_get(F, n, "--eval-files") : stored_flag(&j, "--eval-files");
    if (!list) {
        rc = cli_fail(TFC_EXIT_USAGE, "evaluate: flag --eval-files is required (the job was trained without)");
        goto out;
    }
    if ((rc = get_long_min("evaluate", F, n, "--eval-batch-size", 1, &batch)) ||
        (rc = get_long_min("evaluate", F, n, "--eval-steps", 0, &steps)) ||
        (rc = get_long_min("evaluate", F, n, "--threads", 0, &threads)) || (rc = split_patterns(list, &files)))
        goto out;
    if (stored_flag(&j, "--seed")) seed = atol(stored_flag(&j, "--seed"));
    if (cli_get(F, n, "--spec") && (rc = spec_load(cli_get(F, n, "--spec"), &data_spec))) goto out;
    if (!files.n) {
        rc = cli_fail(TFC_EXIT_USAGE, "evaluate: flag --eval-files: no file patterns");
        goto out;
    }
    if ((rc = open_eval_input("evaluate", data_spec ? data_spec : j.sp, &files, batch, &in))) goto out;
    start_logging(cli_given(F, n, "--verbose-logging"));
    if (!logs.verbose) tfc_set_log_callback(NULL, NULL);
    if ((rc = make_estimator(j.sp, &j.sh, dir, seed, threads, NULL, &e))) goto out;
    tfc_code c = tfc_estimator_evaluate(e, in, steps, cli_get(F, n, "--name"), &r);
    if (c) {
        rc = cli_fail(c == TFC_FAILED_PRECONDITION ? TFC_EXIT_NOT_FOUND : cli_exit_code(c), "evaluate: %s",
                      lib_error());
        goto out;
    }
    print_metrics(r, "Evaluation");
out:
    tfc_set_log_callback(NULL, NULL);
    tfc_eval_results_free(r);
    tfc_estimator_free(e);
    tfc_input_free(in);
    free_patterns(&files);
    spec_free(data_spec);
    job_free(&j);
    free_stored_values();
    return rc;
}

/* ---- tfc export ----------------------------------------------------------------------------------- */

static cli_flag export_flags[] = {
    {"--job-dir", "DIR", NULL, "a job directory written by tfc train", NULL, false, false},
    {"--export-dir", "DIR", "JOB_DIR/export", "export under DIR/<timestamp>/", NULL, false, false},
    {"--verbose-logging", NULL, NULL, "log INFO and DEBUG lines", NULL, false, false},
};

int cmd_export(int argc, char **argv)
{
    const int n = NFLAGS(export_flags);
    cli_flag *F = export_flags;
    int rc = cli_parse("export", "--job-dir DIR [--export-dir DIR]",
                       "Exports the newest checkpoint of a job directory as a saved model (with the spec in\n"
                       "assets/spec.json) and prints its path.",
                       F, n, argc, argv, NULL, 0, NULL, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    const char *dir = cli_get(F, n, "--job-dir");
    if (!dir) return cli_fail(TFC_EXIT_USAGE, "export: flag --job-dir is required");
    job j;
    tfc_estimator *e = NULL;
    char *path = NULL;
    if ((rc = job_open("export", dir, &j))) goto out;
    if (!file_exists(dir, "checkpoint")) {
        rc = cli_fail(TFC_EXIT_NOT_FOUND, "export: %s has no checkpoint yet", dir);
        goto out;
    }
    start_logging(cli_given(F, n, "--verbose-logging"));
    if (!logs.verbose) tfc_set_log_callback(NULL, NULL);
    if ((rc = make_estimator(j.sp, &j.sh, dir, 0, 0, NULL, &e))) goto out;
    char base[PATH_MAX];
    if (cli_given(F, n, "--export-dir")) snprintf(base, sizeof base, "%s", cli_get(F, n, "--export-dir"));
    else snprintf(base, sizeof base, "%s/export", dir);
    if ((rc = export_model(e, j.sp, base, &path))) goto out;
    printf("%s\n", path);
out:
    tfc_set_log_callback(NULL, NULL);
    free(path);
    tfc_estimator_free(e);
    job_free(&j);
    return rc;
}
