/* tfc predict: JSON-lines instances through an exported model's
 * serving_default signature, one JSON object of predictions per instance
 * with the census sample's keys (see spec.h for the predictor). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "spec.h"

enum { FORMAT_CLASSIFIER, FORMAT_REGRESSOR, FORMAT_ALL };

#define MAX_OUTPUTS 16

struct predictor {
    char *export_dir;
    tfc_saved_model *m;
    const tfc_signature *sig;
    tfc_csv_schema *schema;
    int nin;
    const char **in_keys; /* lent by the signature */
    int *in_col;          /* each input's column in the schema */
    int nout;
    const char *out_keys[MAX_OUTPUTS]; /* what is fetched */
    const char *out_names[MAX_OUTPUTS]; /* what is printed */
    bool scalar[MAX_OUTPUTS];           /* printed as the row's one value ("classes") */
};

static bool is_export(const char *dir)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/saved_model.pb", dir) >= (int)sizeof p) return false;
    return access(p, F_OK) == 0;
}

/* The newest <dir>/export/<timestamp>/ holding a saved model, or NULL. */
static char *newest_export(const char *dir)
{
    char base[PATH_MAX];
    if (snprintf(base, sizeof base, "%s/export", dir) >= (int)sizeof base) return NULL;
    DIR *d = opendir(base);
    if (!d) return NULL;
    long long best = -1;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *s = ent->d_name;
        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18) continue;
        long long t = atoll(s);
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s/%s", base, s) < (int)sizeof p && t > best && is_export(p)) best = t;
    }
    closedir(d);
    if (best < 0) return NULL;
    char p[PATH_MAX];
    return snprintf(p, sizeof p, "%s/%lld", base, best) < (int)sizeof p ? strdup(p) : NULL;
}

static int find_output(const tfc_signature *sig, const char *key)
{
    for (int i = 0; i < tfc_signature_num_outputs(sig); i++)
        if (!strcmp(tfc_signature_output_key(sig, i), key)) return i;
    return -1;
}

static void add_output(predictor *p, const char *key, const char *name, bool scalar)
{
    if (p->nout == MAX_OUTPUTS) return;
    p->out_keys[p->nout] = key;
    p->out_names[p->nout] = name;
    p->scalar[p->nout++] = scalar;
}

int predictor_open(const char *dir, predictor **out)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0) return cli_fail(TFC_EXIT_NOT_FOUND, "predict: model directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return cli_fail(TFC_EXIT_NOT_FOUND, "predict: %s is not a directory", dir);
    predictor *p = calloc(1, sizeof *p);
    if (!p) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    int rc = TFC_EXIT_OK;
    p->export_dir = is_export(dir) ? strdup(dir) : newest_export(dir);
    if (!p->export_dir) {
        rc = cli_fail(TFC_EXIT_NOT_FOUND, "predict: %s is neither an export (no saved_model.pb) nor a job directory "
                                          "with exports (%s/export/<timestamp>/)", dir, dir);
        goto fail;
    }
    tfc_code c = tfc_saved_model_load(p->export_dir, NULL, &p->m);
    if (c) {
        rc = cli_fail(cli_exit_code(c), "predict: %s", tfc_last_error());
        goto fail;
    }
    p->sig = tfc_saved_model_find_signature(p->m, TFC_SERVING_DEFAULT_SIGNATURE_KEY);
    if (!p->sig) {
        rc = cli_fail(TFC_EXIT_BAD_INPUT, "predict: %s has no '%s' signature", p->export_dir,
                      TFC_SERVING_DEFAULT_SIGNATURE_KEY);
        goto fail;
    }
    /* The spec written with the export gives the instances' columns and defaults. */
    spec *sp = NULL;
    char spath[PATH_MAX];
    snprintf(spath, sizeof spath, "%s/assets/spec.json", p->export_dir);
    if (access(spath, F_OK) == 0 && (rc = spec_load(spath, &sp))) goto fail;
    rc = spec_instance_schema(sp, p->sig, &p->schema);
    spec_free(sp);
    if (rc) goto fail;
    p->nin = tfc_signature_num_inputs(p->sig);
    p->in_keys = calloc((size_t)p->nin + 1, sizeof *p->in_keys);
    p->in_col = calloc((size_t)p->nin + 1, sizeof *p->in_col);
    if (!p->in_keys || !p->in_col) {
        rc = cli_fail(TFC_EXIT_ERROR, "out of memory");
        goto fail;
    }
    for (int k = 0; k < p->nin; k++) {
        p->in_keys[k] = tfc_signature_input_key(p->sig, k);
        p->in_col[k] = -1;
        for (int i = 0; i < tfc_csv_schema_num_columns(p->schema); i++)
            if (!strcmp(tfc_csv_schema_column_name(p->schema, i), p->in_keys[k])) p->in_col[k] = i;
    }
    if (find_output(p->sig, "class_ids") >= 0 && find_output(p->sig, "probabilities") >= 0 &&
        find_output(p->sig, "logits") >= 0) {
        add_output(p, "probabilities", "probabilities", false);
        add_output(p, "logits", "logits", false);
        add_output(p, "class_ids", "classes", true);
        if (find_output(p->sig, "logistic") >= 0) add_output(p, "logistic", "logistic", false);
    } else if (find_output(p->sig, "predictions") >= 0) {
        add_output(p, "predictions", "predictions", false);
    } else {
        for (int i = 0; i < tfc_signature_num_outputs(p->sig); i++)
            add_output(p, tfc_signature_output_key(p->sig, i), tfc_signature_output_key(p->sig, i), false);
    }
    *out = p;
    return TFC_EXIT_OK;
fail:
    predictor_free(p);
    return rc;
}

void predictor_free(predictor *p)
{
    if (!p) return;
    tfc_saved_model_free(p->m);
    tfc_csv_schema_free(p->schema);
    free(p->in_keys);
    free(p->in_col);
    free(p->export_dir);
    free(p);
}

const char *predictor_export_dir(const predictor *p)
{
    return p->export_dir;
}

const tfc_csv_schema *predictor_schema(const predictor *p)
{
    return p->schema;
}

int predictor_num_outputs(const predictor *p)
{
    return p->nout;
}

int predictor_run(predictor *p, tfc_tensor *const *columns, int64_t rows, tfc_tensor **outputs)
{
    for (int i = 0; i < p->nout; i++) outputs[i] = NULL;
    tfc_tensor **in = calloc((size_t)p->nin + 1, sizeof *in);
    if (!in) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    for (int k = 0; k < p->nin; k++) in[k] = columns[p->in_col[k]];
    tfc_code c = tfc_saved_model_run(p->m, TFC_SERVING_DEFAULT_SIGNATURE_KEY, p->in_keys, in, p->nin, p->out_keys,
                                     outputs, p->nout);
    free(in);
    if (c) return cli_fail(cli_exit_code(c), "predict: %s", tfc_last_error());
    for (int i = 0; i < p->nout; i++) {
        if (tfc_tensor_rank(outputs[i]) < 1 || tfc_tensor_dim(outputs[i], 0) != rows) {
            for (int k = 0; k < p->nout; k++) {
                tfc_tensor_free(outputs[k]);
                outputs[k] = NULL;
            }
            return cli_fail(TFC_EXIT_ERROR, "predict: the model's output '%s' does not have one row per instance",
                            p->out_keys[i]);
        }
    }
    return TFC_EXIT_OK;
}

static void print_json_string(const char *s, size_t n, FILE *f)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void print_value(const tfc_tensor *t, int64_t k, FILE *f)
{
    const void *d = tfc_tensor_data(t);
    double v;
    switch (tfc_tensor_dtype(t)) {
    case TFC_FLOAT: v = ((const float *)d)[k]; break;
    case TFC_DOUBLE: v = ((const double *)d)[k]; break;
    case TFC_INT64: fprintf(f, "%lld", (long long)((const int64_t *)d)[k]); return;
    case TFC_INT32: fprintf(f, "%d", ((const int32_t *)d)[k]); return;
    case TFC_BOOL: fputs(((const bool *)d)[k] ? "true" : "false", f); return;
    case TFC_STRING: {
        const char *s;
        size_t n;
        if (tfc_tensor_string(t, k, &s, &n) == TFC_OK) print_json_string(s, n, f);
        else fputs("null", f);
        return;
    }
    default: fputs("null", f); return;
    }
    /* JSON has no NaN or infinity. */
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else fputs("null", f);
}

void predictor_print(const predictor *p, tfc_tensor *const *outputs, int64_t i, FILE *f)
{
    fputc('{', f);
    for (int o = 0; o < p->nout; o++) {
        const tfc_tensor *t = outputs[o];
        int64_t rows = tfc_tensor_dim(t, 0), per = rows ? tfc_tensor_num_elements(t) / rows : 0;
        fprintf(f, "%s\"%s\": ", o ? ", " : "", p->out_names[o]);
        if (p->scalar[o] && per >= 1) {
            print_value(t, i * per, f);
            continue;
        }
        fputc('[', f);
        for (int64_t k = 0; k < per; k++) {
            if (k) fputs(", ", f);
            print_value(t, i * per + k, f);
        }
        fputc(']', f);
    }
    fputs("}\n", f);
}

static cli_flag predict_flags[] = {
    {"--model-dir", "DIR", NULL, "an export directory, or a job directory (its newest export)", NULL, false, false},
    {"--json-instances", "FILE", NULL, "instances, one JSON object of feature values per line", NULL, false, false},
};

int cmd_predict(int argc, char **argv)
{
    const int n = (int)(sizeof predict_flags / sizeof predict_flags[0]);
    cli_flag *F = predict_flags;
    int rc = cli_parse("predict", "--model-dir DIR --json-instances FILE",
                       "Predicts JSON-lines instances with an exported model and prints one JSON object of\n"
                       "predictions per instance: classifiers {\"probabilities\", \"logits\", \"classes\",\n"
                       "\"logistic\"}, regressors {\"predictions\"}.",
                       F, n, argc, argv, NULL, 0, NULL, NULL, NULL);
    if (rc) return rc < 0 ? TFC_EXIT_OK : rc;
    const char *dir = cli_get(F, n, "--model-dir"), *file = cli_get(F, n, "--json-instances");
    if (!dir) return cli_fail(TFC_EXIT_USAGE, "predict: flag --model-dir is required");
    if (!file) return cli_fail(TFC_EXIT_USAGE, "predict: flag --json-instances is required");
    predictor *p;
    if ((rc = predictor_open(dir, &p))) return rc;
    const tfc_csv_schema *schema = predictor_schema(p);
    int ncols = tfc_csv_schema_num_columns(schema);
    tfc_tensor **cols = calloc((size_t)ncols, sizeof *cols);
    tfc_tensor *outs[MAX_OUTPUTS] = {NULL};
    if (!cols) {
        predictor_free(p);
        return cli_fail(TFC_EXIT_ERROR, "out of memory");
    }
    int64_t rows = 0;
    tfc_code c = tfc_json_lines_read(schema, file, cols, &rows);
    if (c) {
        rc = cli_fail(cli_exit_code(c), "predict: %s", tfc_last_error());
        goto out;
    }
    if ((rc = predictor_run(p, cols, rows, outs))) goto out;
    for (int64_t i = 0; i < rows; i++) predictor_print(p, outs, i, stdout);
    if (fflush(stdout) != 0) rc = cli_fail(TFC_EXIT_ERROR, "predict: writing the predictions: %s", strerror(errno));
out:
    for (int i = 0; i < MAX_OUTPUTS; i++) tfc_tensor_free(outs[i]);
    for (int i = 0; i < ncols; i++) tfc_tensor_free(cols[i]);
    free(cols);
    predictor_free(p);
    return rc;
}
