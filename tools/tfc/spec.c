/* The tfc command's model spec (see spec.h and docs/tfc.md): a JSON file
 * checked with every error naming its JSON path, turned into a CSV schema,
 * feature columns and estimator options. The parsed JSON stays the spec's
 * representation, so what training resolves (statistics, absolute paths) is
 * written back with spec_write for evaluation, export and prediction. */
#include "spec.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { T_INT, T_FLOAT, T_STRING };
static const char *const type_names[] = {"int", "float", "string", NULL};

enum fc_kind {
    K_NUMERIC,
    K_BUCKETIZED,
    K_VOCABULARY_LIST,
    K_VOCABULARY_FILE,
    K_HASH_BUCKET,
    K_IDENTITY,
    K_CROSSED,
    K_EMBEDDING,
    K_INDICATOR,
    K_WEIGHTED
};
static const char *const kind_names[] = {"numeric",  "bucketized", "vocabulary_list", "vocabulary_file",
                                         "hash_bucket", "identity", "crossed",         "embedding",
                                         "indicator", "weighted",  NULL};
static const char *const model_names[] = {"linear", "dnn", "wide_deep", NULL};
static const tfc_estimator_model model_kinds[] = {TFC_MODEL_LINEAR, TFC_MODEL_DNN, TFC_MODEL_DNN_LINEAR_COMBINED};

typedef struct data_col {
    const char *name; /* lent from the JSON */
    int type;
    const char *default_text; /* NULL: required */
    char default_buf[64];
} data_col;

/* A column of $.feature_columns, built on first reference. */
typedef struct named_fc {
    const char *name;
    json_t *def;
    char path[48];
    int state; /* 0 not built, 1 being built (a reference back to it is a cycle), 2 built */
    tfc_feature_column *col;
    int kind;
} named_fc;

/* Welford's running mean and squared deviations of one numeric key. */
typedef struct stat_acc {
    const char *key;
    int col;
    double n, mean, m2;
} stat_acc;

struct spec {
    char *path;     /* as given, for messages */
    char *base_dir; /* relative vocabulary files are found here */
    json_t *root;
    data_col *cols;
    int ncols;
    int label;
    bool regressor;
    int n_classes;
    const char **vocab;
    int n_vocab;
    const char *weight_column;
    tfc_csv_schema *schema;
    /* $.model */
    bool has_kind;
    tfc_estimator_model kind;
    int64_t hidden[SPEC_MAX_LAYERS];
    int n_hidden;
    tfc_activation activation;
    double dropout;
    tfc_optimizer_config linear_opt, dnn_opt;
    /* statistics */
    json_t **stat_objs;
    int n_stat_objs;
    stat_acc *stats;
    int nstats;
    /* built */
    bool built;
    int64_t embedding_size;
    named_fc *fcs;
    int nfcs;
    tfc_feature_column **owned;
    int nowned, cap_owned;
    float **norms; /* normalizer arguments: {mean, stddev}, lent to the columns */
    int nnorms, cap_norms;
    const tfc_feature_column **wide, **deep, **linear;
    int nwide, ndeep, nlinear;
    tfc_estimator_model model;
};

/* ---- Messages and JSON paths ------------------------------------------------ */

static int bad(const spec *s, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(const spec *s, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cli_fail(TFC_EXIT_BAD_INPUT, "%s: %s: %s", s->path, path, msg);
}

/* A library call failed while building something at path. */
static int lib_fail(const spec *s, const char *path, tfc_code c)
{
    int code = cli_exit_code(c);
    return cli_fail(code == TFC_EXIT_OK ? TFC_EXIT_ERROR : code, "%s: %s: %s", s->path, path, tfc_last_error());
}

static const char *key_path(char *buf, size_t n, const char *path, const char *key)
{
    snprintf(buf, n, "%s.%s", path, key);
    return buf;
}

static const char *index_path(char *buf, size_t n, const char *path, size_t i)
{
    snprintf(buf, n, "%s[%zu]", path, i);
    return buf;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* Keys starting with '_' are comments, anywhere. */
static int check_keys(const spec *s, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (key[0] == '_') continue;
        bool ok = false;
        for (int i = 0; allowed[i] && !ok; i++) ok = !strcmp(key, allowed[i]);
        if (ok) continue;
        char list[512] = "", p[256];
        for (int i = 0; allowed[i]; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", allowed[i]);
        }
        return bad(s, key_path(p, sizeof p, path, key), "unknown key (expected one of %s)", list);
    }
    return TFC_EXIT_OK;
}

static int want_object(const spec *s, json_t *v, const char *path)
{
    return json_is_object(v) ? TFC_EXIT_OK : bad(s, path, "expected an object, got %s", json_kind(v));
}

static int get_string(const spec *s, json_t *obj, const char *key, const char *path, bool required,
                      const char **out)
{
    char p[256];
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) return required ? bad(s, path, "missing \"%s\"", key) : TFC_EXIT_OK;
    if (!json_is_string(v))
        return bad(s, key_path(p, sizeof p, path, key), "expected a string, got %s", json_kind(v));
    if (required && !json_string_length(v)) return bad(s, key_path(p, sizeof p, path, key), "must not be empty");
    *out = json_string_value(v);
    return TFC_EXIT_OK;
}

static int get_int(const spec *s, json_t *obj, const char *key, const char *path, bool required, int64_t def,
                   int64_t min, int64_t *out)
{
    char p[256];
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v || json_is_null(v)) return required ? bad(s, path, "missing \"%s\"", key) : TFC_EXIT_OK;
    key_path(p, sizeof p, path, key);
    if (!json_is_integer(v)) return bad(s, p, "expected an integer, got %s", json_kind(v));
    int64_t x = json_integer_value(v);
    if (x < min) return bad(s, p, "must be at least %lld, got %lld", (long long)min, (long long)x);
    *out = x;
    return TFC_EXIT_OK;
}

static int get_number(const spec *s, json_t *obj, const char *key, const char *path, double def, double *out)
{
    char p[256];
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v || json_is_null(v)) return TFC_EXIT_OK;
    if (!json_is_number(v))
        return bad(s, key_path(p, sizeof p, path, key), "expected a number, got %s", json_kind(v));
    *out = json_number_value(v);
    return TFC_EXIT_OK;
}

static int get_bool(const spec *s, json_t *obj, const char *key, const char *path, bool def, bool *out)
{
    char p[256];
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v || json_is_null(v)) return TFC_EXIT_OK;
    if (!json_is_boolean(v))
        return bad(s, key_path(p, sizeof p, path, key), "expected true or false, got %s", json_kind(v));
    *out = json_is_true(v);
    return TFC_EXIT_OK;
}

/* A string that must be one of names[]; *out its index (def when absent and
 * not required). */
static int get_enum(const spec *s, json_t *obj, const char *key, const char *path, bool required,
                    const char *const *names, int def, int *out)
{
    const char *v;
    int rc = get_string(s, obj, key, path, required, &v);
    if (rc) return rc;
    *out = def;
    if (!v) return TFC_EXIT_OK;
    char list[512] = "", p[256];
    for (int i = 0; names[i]; i++) {
        if (!strcmp(v, names[i])) {
            *out = i;
            return TFC_EXIT_OK;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
    }
    return bad(s, key_path(p, sizeof p, path, key), "expected one of %s, got '%s'", list, v);
}

static int find_col(const spec *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return i;
    return -1;
}

/* ---- The data part ------------------------------------------------------------ */

static int parse_csv_options(spec *s, tfc_csv_schema_options *so)
{
    json_t *csv = json_object_get(s->root, "csv");
    if (!csv) return TFC_EXIT_OK;
    static const char *const keys[] = {"delimiter",      "header_lines",  "comment_prefix",  "missing_value",
                                       "trim_whitespace", "quoted_fields", "allow_nonfinite", "skip_malformed",
                                       NULL};
    int rc;
    if ((rc = want_object(s, csv, "$.csv")) || (rc = check_keys(s, csv, "$.csv", keys))) return rc;
    const char *delim;
    if ((rc = get_string(s, csv, "delimiter", "$.csv", false, &delim))) return rc;
    if (delim) {
        if (strlen(delim) != 1 || delim[0] == '"' || delim[0] == '\n' || delim[0] == '\r')
            return bad(s, "$.csv.delimiter", "expected one character (not a quote or a newline), got '%s'", delim);
        so->delimiter = delim[0];
    }
    int64_t header;
    if ((rc = get_int(s, csv, "header_lines", "$.csv", false, 0, 0, &header))) return rc;
    if (header > INT_MAX) return bad(s, "$.csv.header_lines", "too large");
    so->header_lines = (int)header;
    if ((rc = get_string(s, csv, "comment_prefix", "$.csv", false, &so->comment_prefix)) ||
        (rc = get_string(s, csv, "missing_value", "$.csv", false, &so->missing_value)))
        return rc;
    bool b;
    if ((rc = get_bool(s, csv, "trim_whitespace", "$.csv", true, &b))) return rc;
    so->trim_whitespace = b;
    if ((rc = get_bool(s, csv, "quoted_fields", "$.csv", true, &b))) return rc;
    so->quoted_fields = b;
    if ((rc = get_bool(s, csv, "allow_nonfinite", "$.csv", false, &b))) return rc;
    so->allow_nonfinite = b;
    if ((rc = get_bool(s, csv, "skip_malformed", "$.csv", false, &b))) return rc;
    so->skip_malformed = b;
    return TFC_EXIT_OK;
}

static int parse_columns(spec *s)
{
    json_t *cols = json_object_get(s->root, "columns");
    if (!cols) return bad(s, "$", "missing \"columns\" (the CSV columns in file order)");
    if (!json_is_array(cols)) return bad(s, "$.columns", "expected an array, got %s", json_kind(cols));
    if (!json_array_size(cols)) return bad(s, "$.columns", "expected at least one column");
    s->ncols = (int)json_array_size(cols);
    s->cols = calloc((size_t)s->ncols, sizeof *s->cols);
    if (!s->cols) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    static const char *const keys[] = {"name", "type", "default", NULL};
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        char p[64], q[96];
        index_path(p, sizeof p, "$.columns", i);
        data_col *d = &s->cols[i];
        int rc;
        if ((rc = want_object(s, c, p)) || (rc = check_keys(s, c, p, keys)) ||
            (rc = get_string(s, c, "name", p, true, &d->name)) ||
            (rc = get_enum(s, c, "type", p, true, type_names, 0, &d->type)))
            return rc;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(s->cols[k].name, d->name))
                return bad(s, key_path(q, sizeof q, p, "name"), "'%s' is also the name of $.columns[%zu]", d->name,
                           k);
        json_t *def = json_object_get(c, "default");
        key_path(q, sizeof q, p, "default");
        if (!def || json_is_null(def)) {
            d->default_text = NULL;
        } else if (json_is_string(def)) {
            d->default_text = json_string_value(def);
        } else if (json_is_integer(def) && d->type != T_STRING) {
            snprintf(d->default_buf, sizeof d->default_buf, "%lld", (long long)json_integer_value(def));
            d->default_text = d->default_buf;
        } else if (json_is_real(def) && d->type == T_FLOAT) {
            snprintf(d->default_buf, sizeof d->default_buf, "%.9g", json_real_value(def));
            d->default_text = d->default_buf;
        } else {
            return bad(s, q, "expected %s, got %s",
                       d->type == T_STRING ? "a string"
                       : d->type == T_INT  ? "an integer (or its text)"
                                           : "a number (or its text)",
                       json_kind(def));
        }
    }
    return TFC_EXIT_OK;
}

static int parse_label_and_head(spec *s, unsigned *label_flags)
{
    int rc;
    json_t *label = json_object_get(s->root, "label");
    if (!label) return bad(s, "$", "missing \"label\" (the label column: {\"column\": NAME, ...})");
    static const char *const lkeys[] = {"column", "vocabulary", "strip_trailing_period", NULL};
    const char *name;
    if ((rc = want_object(s, label, "$.label")) || (rc = check_keys(s, label, "$.label", lkeys)) ||
        (rc = get_string(s, label, "column", "$.label", true, &name)))
        return rc;
    if ((s->label = find_col(s, name)) < 0) return bad(s, "$.label.column", "unknown column '%s'", name);
    json_t *vocab = json_object_get(label, "vocabulary");
    if (vocab && !json_is_null(vocab)) {
        if (!json_is_array(vocab) || json_array_size(vocab) < 2)
            return bad(s, "$.label.vocabulary", "expected an array of at least two class names, got %s",
                       json_is_array(vocab) ? "a shorter one" : json_kind(vocab));
        s->n_vocab = (int)json_array_size(vocab);
        s->vocab = calloc((size_t)s->n_vocab, sizeof *s->vocab);
        if (!s->vocab) return cli_fail(TFC_EXIT_ERROR, "out of memory");
        size_t i;
        json_t *v;
        json_array_foreach(vocab, i, v)
        {
            char p[64];
            index_path(p, sizeof p, "$.label.vocabulary", i);
            if (!json_is_string(v) || !json_string_length(v))
                return bad(s, p, "expected a non-empty string, got %s", json_kind(v));
            s->vocab[i] = json_string_value(v);
            for (size_t k = 0; k < i; k++)
                if (!strcmp(s->vocab[k], s->vocab[i])) return bad(s, p, "'%s' is listed twice", s->vocab[i]);
        }
    }
    bool strip;
    if ((rc = get_bool(s, label, "strip_trailing_period", "$.label", false, &strip))) return rc;
    *label_flags = strip ? TFC_LABEL_STRIP_TRAILING_PERIOD : 0;

    json_t *head = json_object_get(s->root, "head");
    static const char *const hkeys[] = {"type", "n_classes", NULL};
    static const char *const head_names[] = {"classifier", "regressor", NULL};
    int htype = 0;
    int64_t n_classes = 0;
    if (head) {
        if ((rc = want_object(s, head, "$.head")) || (rc = check_keys(s, head, "$.head", hkeys)) ||
            (rc = get_enum(s, head, "type", "$.head", false, head_names, 0, &htype)) ||
            (rc = get_int(s, head, "n_classes", "$.head", false, 0, 2, &n_classes)))
            return rc;
    }
    s->regressor = htype == 1;
    char p[64];
    index_path(p, sizeof p, "$.columns", (size_t)s->label);
    char tp[80];
    key_path(tp, sizeof tp, p, "type");
    if (s->cols[s->label].default_text)
        return bad(s, key_path(tp, sizeof tp, p, "default"), "the label column '%s' cannot have a default",
                   s->cols[s->label].name);
    if (s->regressor) {
        if (s->vocab) return bad(s, "$.label.vocabulary", "a regressor's label is a number: no vocabulary");
        if (n_classes) return bad(s, "$.head.n_classes", "a regressor has no classes");
        if (s->cols[s->label].type == T_STRING)
            return bad(s, tp, "a regressor's label column holds numbers: expected int or float, got 'string'");
        return TFC_EXIT_OK;
    }
    if (s->vocab) {
        if (n_classes && n_classes != s->n_vocab)
            return bad(s, "$.head.n_classes", "%lld classes, but $.label.vocabulary names %d", (long long)n_classes,
                       s->n_vocab);
        n_classes = s->n_vocab;
        if (s->cols[s->label].type != T_STRING)
            return bad(s, tp, "the label column's values are looked up in $.label.vocabulary: expected 'string', "
                              "got '%s'", type_names[s->cols[s->label].type]);
    } else {
        if (!n_classes) n_classes = 2;
        if (s->cols[s->label].type != T_INT)
            return bad(s, tp, "without $.label.vocabulary a classifier's label column holds class ids 0..%lld: "
                              "expected 'int', got '%s'", (long long)n_classes - 1,
                       type_names[s->cols[s->label].type]);
    }
    if (n_classes > 1000000) return bad(s, "$.head.n_classes", "too many classes (%lld)", (long long)n_classes);
    s->n_classes = (int)n_classes;
    return TFC_EXIT_OK;
}

static tfc_dtype data_dtype(const spec *s, int i)
{
    if (i == s->label) return s->regressor ? TFC_FLOAT : TFC_INT64;
    return s->cols[i].type == T_INT ? TFC_INT64 : s->cols[i].type == T_FLOAT ? TFC_FLOAT : TFC_STRING;
}

static int make_schema(spec *s, const tfc_csv_schema_options *so, unsigned label_flags)
{
    tfc_code c = tfc_csv_schema_new(so, &s->schema);
    if (c) return lib_fail(s, "$.csv", c);
    for (int i = 0; i < s->ncols; i++) {
        char p[64];
        index_path(p, sizeof p, "$.columns", (size_t)i);
        if ((c = tfc_csv_schema_add_column(s->schema, s->cols[i].name, data_dtype(s, i), s->cols[i].default_text)))
            return lib_fail(s, p, c);
    }
    if (s->vocab &&
        (c = tfc_csv_schema_set_label_vocabulary(s->schema, s->cols[s->label].name, s->vocab, s->n_vocab,
                                                 label_flags)))
        return lib_fail(s, "$.label", c);
    return TFC_EXIT_OK;
}

/* ---- $.model ------------------------------------------------------------------- */

static int parse_optimizer(spec *s, json_t *m, const char *key, tfc_optimizer_config *o)
{
    json_t *v = json_object_get(m, key);
    if (!v) return TFC_EXIT_OK;
    char p[64];
    key_path(p, sizeof p, "$.model", key);
    static const char *const keys[] = {"type",  "learning_rate", "initial_accumulator_value",
                                       "l1_regularization_strength", "l2_regularization_strength",
                                       "momentum", "beta1", "beta2", "epsilon", NULL};
    static const char *const names[] = {"sgd", "adagrad", "ftrl", "adam", "momentum", NULL};
    static const tfc_optimizer_kind kinds[] = {TFC_OPTIMIZER_SGD, TFC_OPTIMIZER_ADAGRAD, TFC_OPTIMIZER_FTRL,
                                               TFC_OPTIMIZER_ADAM, TFC_OPTIMIZER_MOMENTUM};
    int rc, kind;
    if ((rc = want_object(s, v, p)) || (rc = check_keys(s, v, p, keys)) ||
        (rc = get_enum(s, v, "type", p, true, names, 0, &kind)))
        return rc;
    o->kind = kinds[kind];
    struct {
        const char *key;
        double *field;
    } nums[] = {{"learning_rate", &o->learning_rate},
                {"initial_accumulator_value", &o->initial_accumulator_value},
                {"l1_regularization_strength", &o->l1_regularization_strength},
                {"l2_regularization_strength", &o->l2_regularization_strength},
                {"momentum", &o->momentum},
                {"beta1", &o->beta1},
                {"beta2", &o->beta2},
                {"epsilon", &o->epsilon}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if ((rc = get_number(s, v, nums[i].key, p, 0, nums[i].field))) return rc;
        char q[128];
        if (!(*nums[i].field >= 0) || !isfinite(*nums[i].field))
            return bad(s, key_path(q, sizeof q, p, nums[i].key), "must be a finite number >= 0");
    }
    return TFC_EXIT_OK;
}

static int parse_model(spec *s)
{
    json_t *m = json_object_get(s->root, "model");
    if (!m) return TFC_EXIT_OK;
    static const char *const keys[] = {"type",    "hidden_units",     "activation",
                                       "dropout", "linear_optimizer", "dnn_optimizer", NULL};
    static const char *const acts[] = {"relu", "tanh", "sigmoid", "elu", "relu6", "leaky_relu", NULL};
    int rc, kind = -1, act;
    if ((rc = want_object(s, m, "$.model")) || (rc = check_keys(s, m, "$.model", keys)) ||
        (rc = get_enum(s, m, "type", "$.model", false, model_names, -1, &kind)) ||
        (rc = get_enum(s, m, "activation", "$.model", false, acts, 0, &act)) ||
        (rc = get_number(s, m, "dropout", "$.model", 0, &s->dropout)))
        return rc;
    if (kind >= 0) {
        s->has_kind = true;
        s->kind = model_kinds[kind];
    }
    s->activation = (tfc_activation)act;
    if (!(s->dropout >= 0 && s->dropout < 1)) return bad(s, "$.model.dropout", "expected a probability in [0, 1)");
    json_t *h = json_object_get(m, "hidden_units");
    if (h) {
        if (!json_is_array(h) || !json_array_size(h) || json_array_size(h) > SPEC_MAX_LAYERS)
            return bad(s, "$.model.hidden_units", "expected an array of 1 to %d layer widths", SPEC_MAX_LAYERS);
        size_t i;
        json_t *v;
        json_array_foreach(h, i, v)
        {
            char p[64];
            index_path(p, sizeof p, "$.model.hidden_units", i);
            if (!json_is_integer(v))
                return bad(s, p, "expected a layer width (an integer from 1 to 1000000), got %s", json_kind(v));
            if (json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
                return bad(s, p, "expected a layer width from 1 to 1000000, got %lld",
                           (long long)json_integer_value(v));
            s->hidden[s->n_hidden++] = json_integer_value(v);
        }
    }
    if ((rc = parse_optimizer(s, m, "linear_optimizer", &s->linear_opt)) ||
        (rc = parse_optimizer(s, m, "dnn_optimizer", &s->dnn_opt)))
        return rc;
    return TFC_EXIT_OK;
}

/* ---- Statistics ------------------------------------------------------------------ */

/* Finds the standardized numeric columns without mean and stddev anywhere
 * under v (named, inline, nested). */
static int collect_stats(spec *s, json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            int rc = collect_stats(s, e);
            if (rc) return rc;
        }
        return TFC_EXIT_OK;
    }
    if (!json_is_object(v)) return TFC_EXIT_OK;
    const char *key;
    json_t *e;
    json_object_foreach(v, key, e)
    {
        int rc = collect_stats(s, e);
        if (rc) return rc;
    }
    json_t *type = json_object_get(v, "type"), *norm = json_object_get(v, "normalize");
    json_t *k = json_object_get(v, "key");
    if (!json_is_string(type) || strcmp(json_string_value(type), "numeric") != 0) return TFC_EXIT_OK;
    if (!json_is_string(norm) || strcmp(json_string_value(norm), "standardize") != 0) return TFC_EXIT_OK;
    if (json_object_get(v, "mean") || json_object_get(v, "stddev") || !json_is_string(k)) return TFC_EXIT_OK;
    int col = find_col(s, json_string_value(k));
    if (col < 0 || col == s->label || s->cols[col].type == T_STRING) return TFC_EXIT_OK; /* spec_build says why */
    json_t **objs = realloc(s->stat_objs, (size_t)(s->n_stat_objs + 1) * sizeof *objs);
    if (!objs) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    s->stat_objs = objs;
    s->stat_objs[s->n_stat_objs++] = v;
    for (int i = 0; i < s->nstats; i++)
        if (s->stats[i].col == col) return TFC_EXIT_OK;
    stat_acc *st = realloc(s->stats, (size_t)(s->nstats + 1) * sizeof *st);
    if (!st) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    s->stats = st;
    s->stats[s->nstats++] = (stat_acc){s->cols[col].name, col, 0, 0, 0};
    return TFC_EXIT_OK;
}

bool spec_needs_stats(const spec *s)
{
    return s->nstats > 0;
}

void spec_stats_add(spec *s, tfc_tensor *const *columns, int64_t rows)
{
    for (int k = 0; k < s->nstats; k++) {
        stat_acc *a = &s->stats[k];
        const tfc_tensor *t = columns[a->col];
        const void *d = tfc_tensor_data(t);
        bool is_int = tfc_tensor_dtype(t) == TFC_INT64;
        /* Chan et al.'s merge of the batch's mean and squared deviations. */
        double sum = 0;
        for (int64_t i = 0; i < rows; i++) sum += is_int ? (double)((const int64_t *)d)[i] : ((const float *)d)[i];
        double bmean = rows ? sum / (double)rows : 0, bm2 = 0;
        for (int64_t i = 0; i < rows; i++) {
            double x = (is_int ? (double)((const int64_t *)d)[i] : ((const float *)d)[i]) - bmean;
            bm2 += x * x;
        }
        double n = a->n + (double)rows;
        if (n == 0) continue;
        double delta = bmean - a->mean;
        a->mean += delta * (double)rows / n;
        a->m2 += bm2 + delta * delta * a->n * (double)rows / n;
        a->n = n;
    }
}

int spec_stats_finish(spec *s)
{
    for (int k = 0; k < s->nstats; k++)
        if (s->stats[k].n == 0)
            return cli_fail(TFC_EXIT_BAD_INPUT, "the training files have no rows: cannot standardize '%s'",
                            s->stats[k].key);
    for (int j = 0; j < s->n_stat_objs; j++) {
        json_t *o = s->stat_objs[j];
        int col = find_col(s, json_string_value(json_object_get(o, "key")));
        for (int k = 0; k < s->nstats; k++) {
            if (s->stats[k].col != col) continue;
            double sd = sqrt(s->stats[k].m2 / s->stats[k].n);
            /* A constant feature stays 0 after centering. */
            if (!(sd > 0)) sd = 1;
            if (json_object_set_new(o, "mean", json_real(s->stats[k].mean)) ||
                json_object_set_new(o, "stddev", json_real(sd)))
                return cli_fail(TFC_EXIT_ERROR, "out of memory");
        }
    }
    s->n_stat_objs = 0;
    s->nstats = 0;
    return TFC_EXIT_OK;
}

/* ---- Loading --------------------------------------------------------------------- */

int spec_load(const char *path, spec **out)
{
    *out = NULL;
    spec *s = calloc(1, sizeof *s);
    if (!s) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    s->path = strdup(path);
    const char *slash = strrchr(path, '/');
    s->base_dir = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : strdup(".");
    if (!s->path || !s->base_dir) {
        spec_free(s);
        return cli_fail(TFC_EXIT_ERROR, "out of memory");
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        spec_free(s);
        return cli_fail(e == ENOENT ? TFC_EXIT_NOT_FOUND : TFC_EXIT_ERROR, "%s: cannot open the spec: %s", path,
                        strerror(e));
    }
    json_error_t err;
    s->root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (!s->root) {
        int rc = cli_fail(TFC_EXIT_BAD_INPUT, "%s:%d:%d: invalid JSON: %s", path, err.line, err.column, err.text);
        spec_free(s);
        return rc;
    }
    static const char *const keys[] = {"description", "csv",  "columns", "label", "head", "weight_column",
                                       "feature_columns", "wide", "deep",    "linear", "model", NULL};
    tfc_csv_schema_options so = TFC_CSV_SCHEMA_OPTIONS_INIT;
    unsigned label_flags = 0;
    int rc;
    if ((rc = want_object(s, s->root, "$")) || (rc = check_keys(s, s->root, "$", keys)) ||
        (rc = parse_csv_options(s, &so)) || (rc = parse_columns(s)) || (rc = parse_label_and_head(s, &label_flags)))
        goto fail;
    if ((rc = get_string(s, s->root, "weight_column", "$", false, &s->weight_column))) goto fail;
    if (s->weight_column) {
        int w = find_col(s, s->weight_column);
        if (w < 0) {
            rc = bad(s, "$.weight_column", "unknown column '%s'", s->weight_column);
            goto fail;
        }
        if (w == s->label || s->cols[w].type == T_STRING) {
            rc = bad(s, "$.weight_column", "'%s' must be a numeric column other than the label", s->weight_column);
            goto fail;
        }
    }
    if ((rc = make_schema(s, &so, label_flags)) || (rc = parse_model(s))) goto fail;
    static const char *const parts[] = {"feature_columns", "wide", "deep", "linear"};
    for (int i = 0; i < 4; i++)
        if ((rc = collect_stats(s, json_object_get(s->root, parts[i])))) goto fail;
    *out = s;
    return TFC_EXIT_OK;
fail:
    spec_free(s);
    return rc;
}

void spec_free(spec *s)
{
    if (!s) return;
    for (int i = 0; i < s->nowned; i++) tfc_feature_column_free(s->owned[i]);
    free(s->owned);
    for (int i = 0; i < s->nnorms; i++) free(s->norms[i]);
    free(s->norms);
    free(s->fcs);
    free(s->wide);
    free(s->deep);
    free(s->linear);
    free(s->stat_objs);
    free(s->stats);
    tfc_csv_schema_free(s->schema);
    free(s->vocab);
    free(s->cols);
    json_decref(s->root);
    free(s->path);
    free(s->base_dir);
    free(s);
}

tfc_csv_schema *spec_schema(const spec *s)
{
    return s->schema;
}

const char *spec_label(const spec *s)
{
    return s->cols[s->label].name;
}

bool spec_is_regressor(const spec *s)
{
    return s->regressor;
}

bool spec_model_kind(const spec *s, tfc_estimator_model *kind)
{
    if (s->has_kind) *kind = s->kind;
    return s->has_kind;
}

int spec_hidden_units(const spec *s, const int64_t **units)
{
    *units = s->hidden;
    return s->n_hidden;
}

/* ---- Feature columns ------------------------------------------------------------------ */

static bool is_categorical(int kind)
{
    return kind == K_VOCABULARY_LIST || kind == K_VOCABULARY_FILE || kind == K_HASH_BUCKET || kind == K_IDENTITY ||
           kind == K_BUCKETIZED || kind == K_CROSSED || kind == K_WEIGHTED;
}

static bool is_dense(int kind)
{
    return kind == K_NUMERIC || kind == K_BUCKETIZED || kind == K_EMBEDDING || kind == K_INDICATOR;
}

static int own(spec *s, tfc_feature_column *c)
{
    if (s->nowned == s->cap_owned) {
        int cap = s->cap_owned ? 2 * s->cap_owned : 32;
        tfc_feature_column **o = realloc(s->owned, (size_t)cap * sizeof *o);
        if (!o) {
            tfc_feature_column_free(c);
            return cli_fail(TFC_EXIT_ERROR, "out of memory");
        }
        s->owned = o;
        s->cap_owned = cap;
    }
    s->owned[s->nowned++] = c;
    return TFC_EXIT_OK;
}

static tfc_output standardize(tfc_graph *g, tfc_output x, void *arg)
{
    const float *ms = arg;
    tfc_output centered = tfc_sub(g, x, tfc_const_float(g, ms[0], "mean"), "centered");
    return tfc_div(g, centered, tfc_const_float(g, ms[1], "stddev"), "standardized");
}

/* The data column named by obj[field]: it must exist, not be the label, and
 * be a string column (want_string) or a numeric one. */
static int get_key(spec *s, json_t *obj, const char *field, const char *path, int want, int *col)
{
    const char *name;
    int rc = get_string(s, obj, field, path, true, &name);
    if (rc) return rc;
    char p[256];
    key_path(p, sizeof p, path, field);
    if ((*col = find_col(s, name)) < 0) return bad(s, p, "unknown column '%s' (not in $.columns)", name);
    if (*col == s->label) return bad(s, p, "'%s' is the label column, not a feature", name);
    int t = s->cols[*col].type;
    if (want == T_STRING && t != T_STRING)
        return bad(s, p, "column '%s' is '%s'; this feature column reads strings", name, type_names[t]);
    if (want == T_INT && t != T_INT)
        return bad(s, p, "column '%s' is '%s'; this feature column reads integers", name, type_names[t]);
    if (want == T_FLOAT && t == T_STRING)
        return bad(s, p, "column '%s' is 'string'; this feature column reads numbers", name);
    return TFC_EXIT_OK;
}

static int build_def(spec *s, json_t *def, const char *path, tfc_feature_column **out, int *kind);

/* A reference to a feature column: the name of one in $.feature_columns or
 * an inline definition. */
static int resolve(spec *s, json_t *ref, const char *path, tfc_feature_column **out, int *kind)
{
    if (json_is_object(ref)) return build_def(s, ref, path, out, kind);
    if (!json_is_string(ref))
        return bad(s, path, "expected the name of a feature column or a definition, got %s", json_kind(ref));
    const char *name = json_string_value(ref);
    for (int i = 0; i < s->nfcs; i++) {
        named_fc *n = &s->fcs[i];
        if (strcmp(n->name, name) != 0) continue;
        if (n->state == 1) return bad(s, path, "'%s' refers to itself (through %s)", name, n->path);
        if (n->state == 0) {
            n->state = 1;
            int rc = build_def(s, n->def, n->path, &n->col, &n->kind);
            if (rc) return rc;
            n->state = 2;
        }
        *out = n->col;
        *kind = n->kind;
        return TFC_EXIT_OK;
    }
    if (find_col(s, name) >= 0)
        return bad(s, path, "'%s' is a data column, not a feature column (define one in $.feature_columns, e.g. "
                            "{\"name\": \"%s\", \"type\": \"numeric\", \"key\": \"%s\"})", name, name, name);
    return bad(s, path, "unknown feature column '%s' (not in $.feature_columns)", name);
}

static int resolve_categorical(spec *s, json_t *obj, const char *field, const char *path, tfc_feature_column **out,
                               int *kind)
{
    char p[256];
    json_t *ref = json_object_get(obj, field);
    if (!ref) return bad(s, path, "missing \"%s\" (a categorical column)", field);
    key_path(p, sizeof p, path, field);
    int rc = resolve(s, ref, p, out, kind);
    if (rc) return rc;
    if (!is_categorical(*kind))
        return bad(s, p, "expected a categorical column (vocabulary, hash, identity, bucketized, crossed or "
                         "weighted), got a %s column", kind_names[*kind]);
    return TFC_EXIT_OK;
}

static int build_numeric(spec *s, json_t *def, const char *path, tfc_feature_column **out)
{
    static const char *const keys[] = {"name", "type", "key", "normalize", "mean", "stddev", NULL};
    static const char *const norms[] = {"none", "standardize", NULL};
    int rc, col, norm;
    if ((rc = check_keys(s, def, path, keys)) || (rc = get_key(s, def, "key", path, T_FLOAT, &col)) ||
        (rc = get_enum(s, def, "normalize", path, false, norms, 0, &norm)))
        return rc;
    json_t *mean = json_object_get(def, "mean"), *sd = json_object_get(def, "stddev");
    tfc_dtype dt = s->cols[col].type == T_INT ? TFC_INT64 : TFC_FLOAT;
    tfc_code c;
    char p[256];
    if (!mean && !sd) {
        if (norm == 1) return bad(s, path, "\"normalize\": \"standardize\" needs the training files' statistics "
                                           "(tfc train computes them) or an explicit mean and stddev");
        c = tfc_numeric_column(s->cols[col].name, NULL, 0, NULL, dt, out);
    } else {
        if (!mean || !sd) return bad(s, path, "give both \"mean\" and \"stddev\", or neither");
        if (!json_is_number(mean) || !isfinite(json_number_value(mean)))
            return bad(s, key_path(p, sizeof p, path, "mean"), "expected a finite number, got %s", json_kind(mean));
        if (!json_is_number(sd) || !(json_number_value(sd) > 0) || !isfinite(json_number_value(sd)))
            return bad(s, key_path(p, sizeof p, path, "stddev"), "expected a finite number > 0");
        if (s->nnorms == s->cap_norms) {
            int cap = s->cap_norms ? 2 * s->cap_norms : 16;
            float **n = realloc(s->norms, (size_t)cap * sizeof *n);
            if (!n) return cli_fail(TFC_EXIT_ERROR, "out of memory");
            s->norms = n;
            s->cap_norms = cap;
        }
        float *ms = malloc(2 * sizeof *ms);
        if (!ms) return cli_fail(TFC_EXIT_ERROR, "out of memory");
        ms[0] = (float)json_number_value(mean);
        ms[1] = (float)json_number_value(sd);
        s->norms[s->nnorms++] = ms;
        c = tfc_numeric_column_with_normalizer(s->cols[col].name, NULL, 0, NULL, dt, standardize, ms, out);
    }
    return c ? lib_fail(s, path, c) : TFC_EXIT_OK;
}

static int build_bucketized(spec *s, json_t *def, const char *path, tfc_feature_column **out)
{
    static const char *const keys[] = {"name", "type", "source", "boundaries", NULL};
    int rc, kind;
    char p[256];
    if ((rc = check_keys(s, def, path, keys))) return rc;
    json_t *src = json_object_get(def, "source");
    if (!src) return bad(s, path, "missing \"source\" (a numeric column)");
    tfc_feature_column *source;
    if ((rc = resolve(s, src, key_path(p, sizeof p, path, "source"), &source, &kind))) return rc;
    if (kind != K_NUMERIC) return bad(s, p, "expected a numeric column, got a %s column", kind_names[kind]);
    json_t *b = json_object_get(def, "boundaries");
    key_path(p, sizeof p, path, "boundaries");
    if (!b) return bad(s, path, "missing \"boundaries\"");
    if (!json_is_array(b) || !json_array_size(b) || json_array_size(b) > 100000)
        return bad(s, p, "expected an array of increasing numbers, got %s", json_kind(b));
    size_t n = json_array_size(b), i;
    float *bounds = malloc(n * sizeof *bounds);
    if (!bounds) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    json_t *v;
    json_array_foreach(b, i, v)
    {
        char q[300];
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            free(bounds);
            return bad(s, index_path(q, sizeof q, p, i), "expected a number, got %s", json_kind(v));
        }
        bounds[i] = (float)json_number_value(v);
        if (i && !(bounds[i] > bounds[i - 1])) {
            double b = bounds[i], prev = bounds[i - 1];
            free(bounds);
            return bad(s, index_path(q, sizeof q, p, i), "boundaries must increase: %g follows %g", b, prev);
        }
    }
    tfc_code c = tfc_bucketized_column(source, bounds, (int)n, out);
    free(bounds);
    return c ? lib_fail(s, path, c) : TFC_EXIT_OK;
}

static int build_vocabulary(spec *s, json_t *def, const char *path, bool from_file, tfc_feature_column **out)
{
    static const char *const list_keys[] = {"name", "type", "key", "vocabulary", "num_oov_buckets",
                                            "default_value", NULL};
    static const char *const file_keys[] = {"name", "type", "key", "path", "num_oov_buckets", "default_value", NULL};
    int rc, col;
    int64_t oov, dflt;
    char p[256];
    if ((rc = check_keys(s, def, path, from_file ? file_keys : list_keys)) ||
        (rc = get_key(s, def, "key", path, T_STRING, &col)) ||
        (rc = get_int(s, def, "num_oov_buckets", path, false, 0, 0, &oov)) ||
        (rc = get_int(s, def, "default_value", path, false, -1, -1, &dflt)))
        return rc;
    if (oov && dflt != -1)
        return bad(s, key_path(p, sizeof p, path, "default_value"),
                   "out-of-vocabulary values go to the OOV buckets: give num_oov_buckets or default_value, not both");
    tfc_code c;
    if (from_file) {
        const char *file;
        if ((rc = get_string(s, def, "path", path, true, &file))) return rc;
        char full[PATH_MAX], resolved[PATH_MAX];
        if (file[0] == '/') snprintf(full, sizeof full, "%s", file);
        else snprintf(full, sizeof full, "%s/%s", s->base_dir, file);
        if (!realpath(full, resolved))
            return cli_fail(errno == ENOENT ? TFC_EXIT_NOT_FOUND : TFC_EXIT_ERROR, "%s: %s.path: %s: %s", s->path,
                            path, full, strerror(errno));
        /* Saved copies of the spec (job directory, export) find it from anywhere. */
        if (json_object_set_new(def, "path", json_string(resolved))) return cli_fail(TFC_EXIT_ERROR, "out of memory");
        c = tfc_categorical_column_with_vocabulary_file(s->cols[col].name, resolved, oov, dflt, out);
    } else {
        json_t *v = json_object_get(def, "vocabulary");
        key_path(p, sizeof p, path, "vocabulary");
        if (!v) return bad(s, path, "missing \"vocabulary\"");
        if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > INT_MAX)
            return bad(s, p, "expected a non-empty array of strings, got %s", json_kind(v));
        size_t n = json_array_size(v), i;
        const char **words = malloc(n * sizeof *words);
        if (!words) return cli_fail(TFC_EXIT_ERROR, "out of memory");
        json_t *w;
        json_array_foreach(v, i, w)
        {
            char q[300];
            if (!json_is_string(w)) {
                free(words);
                return bad(s, index_path(q, sizeof q, p, i), "expected a string, got %s", json_kind(w));
            }
            words[i] = json_string_value(w);
        }
        c = tfc_categorical_column_with_vocabulary_list(s->cols[col].name, words, (int)n, oov, dflt, out);
        free(words);
        if (c) return lib_fail(s, p, c);
    }
    return c ? lib_fail(s, path, c) : TFC_EXIT_OK;
}

static int build_crossed(spec *s, json_t *def, const char *path, tfc_feature_column **out)
{
    static const char *const keys[] = {"name", "type", "keys", "hash_bucket_size", "hash_key", NULL};
    int rc;
    int64_t buckets, hash_key;
    char p[256];
    if ((rc = check_keys(s, def, path, keys)) ||
        (rc = get_int(s, def, "hash_bucket_size", path, true, 0, 2, &buckets)) ||
        (rc = get_int(s, def, "hash_key", path, false, 0, 0, &hash_key)))
        return rc;
    json_t *k = json_object_get(def, "keys");
    key_path(p, sizeof p, path, "keys");
    if (!k) return bad(s, path, "missing \"keys\"");
    if (!json_is_array(k) || json_array_size(k) < 2 || json_array_size(k) > 64)
        return bad(s, p, "expected an array of 2 to 64 keys (string columns or categorical feature columns)");
    size_t n = json_array_size(k), i;
    const char *names[64];
    const tfc_feature_column *cols[64];
    json_t *v;
    json_array_foreach(k, i, v)
    {
        char q[300];
        index_path(q, sizeof q, p, i);
        names[i] = NULL;
        cols[i] = NULL;
        /* A string column's raw values first (as TensorFlow crosses keys), else a feature column. */
        int col = json_is_string(v) ? find_col(s, json_string_value(v)) : -1;
        bool named = false;
        for (int f = 0; json_is_string(v) && f < s->nfcs; f++) named |= !strcmp(s->fcs[f].name, json_string_value(v));
        if (col >= 0 && named && s->cols[col].type != T_STRING) col = -1;
        if (col >= 0) {
            if (col == s->label) return bad(s, q, "'%s' is the label column, not a feature", json_string_value(v));
            if (s->cols[col].type != T_STRING)
                return bad(s, q, "column '%s' is '%s': cross its raw strings, or a bucketized or identity column "
                                 "of it", json_string_value(v), type_names[s->cols[col].type]);
            names[i] = s->cols[col].name;
            continue;
        }
        tfc_feature_column *fc;
        int kind;
        if (json_is_string(v) && !named)
            return bad(s, q, "unknown column '%s' (neither a column of $.columns nor a feature column of "
                             "$.feature_columns)", json_string_value(v));
        if ((rc = resolve(s, v, q, &fc, &kind))) return rc;
        if (kind == K_HASH_BUCKET)
            return bad(s, q, "a hash bucket column cannot be crossed (hashing first adds collisions): cross its "
                             "key '%s' instead", tfc_feature_column_name(fc));
        if (!is_categorical(kind) || kind == K_WEIGHTED)
            return bad(s, q, "expected a string column or a vocabulary, identity, bucketized or crossed column, "
                             "got a %s column", kind_names[kind]);
        cols[i] = fc;
    }
    tfc_code c = tfc_crossed_column(names, cols, (int)n, buckets, (uint64_t)hash_key, out);
    return c ? lib_fail(s, path, c) : TFC_EXIT_OK;
}

static int build_def(spec *s, json_t *def, const char *path, tfc_feature_column **out, int *kind)
{
    int rc;
    *out = NULL;
    if ((rc = want_object(s, def, path)) || (rc = get_enum(s, def, "type", path, true, kind_names, 0, kind)))
        return rc;
    tfc_feature_column *cat = NULL;
    int cat_kind;
    int64_t n, dflt;
    tfc_code c = TFC_OK;
    char p[256];
    switch (*kind) {
    case K_NUMERIC: rc = build_numeric(s, def, path, out); break;
    case K_BUCKETIZED: rc = build_bucketized(s, def, path, out); break;
    case K_VOCABULARY_LIST:
    case K_VOCABULARY_FILE: rc = build_vocabulary(s, def, path, *kind == K_VOCABULARY_FILE, out); break;
    case K_HASH_BUCKET: {
        static const char *const keys[] = {"name", "type", "key", "hash_bucket_size", NULL};
        int col;
        if ((rc = check_keys(s, def, path, keys)) || (rc = get_key(s, def, "key", path, T_STRING, &col)) ||
            (rc = get_int(s, def, "hash_bucket_size", path, true, 0, 1, &n)))
            break;
        if ((c = tfc_categorical_column_with_hash_bucket(s->cols[col].name, n, out))) rc = lib_fail(s, path, c);
        break;
    }
    case K_IDENTITY: {
        static const char *const keys[] = {"name", "type", "key", "num_buckets", "default_value", NULL};
        int col;
        if ((rc = check_keys(s, def, path, keys)) || (rc = get_key(s, def, "key", path, T_INT, &col)) ||
            (rc = get_int(s, def, "num_buckets", path, true, 0, 1, &n)) ||
            (rc = get_int(s, def, "default_value", path, false, -1, -1, &dflt)))
            break;
        if (dflt >= n) {
            rc = bad(s, key_path(p, sizeof p, path, "default_value"), "must be below num_buckets (%lld)",
                     (long long)n);
            break;
        }
        if ((c = tfc_categorical_column_with_identity(s->cols[col].name, n, dflt, out))) rc = lib_fail(s, path, c);
        break;
    }
    case K_CROSSED: rc = build_crossed(s, def, path, out); break;
    case K_EMBEDDING: {
        static const char *const keys[] = {"name", "type", "categorical", "dimension", "combiner",
                                           "initializer_stddev", NULL};
        static const char *const combiners[] = {"sum", "mean", "sqrtn", NULL};
        int comb;
        double stddev;
        if ((rc = check_keys(s, def, path, keys)) ||
            (rc = resolve_categorical(s, def, "categorical", path, &cat, &cat_kind)) ||
            (rc = get_int(s, def, "dimension", path, false, s->embedding_size, 1, &n)) ||
            (rc = get_enum(s, def, "combiner", path, false, combiners, TFC_COMBINER_MEAN, &comb)) ||
            (rc = get_number(s, def, "initializer_stddev", path, 0, &stddev)))
            break;
        if (!(stddev >= 0)) {
            rc = bad(s, key_path(p, sizeof p, path, "initializer_stddev"), "must be >= 0 (0: 1/sqrt(dimension))");
            break;
        }
        if ((c = tfc_embedding_column(cat, n, (tfc_combiner)comb, stddev, 0, out))) rc = lib_fail(s, path, c);
        break;
    }
    case K_INDICATOR: {
        static const char *const keys[] = {"name", "type", "categorical", NULL};
        if ((rc = check_keys(s, def, path, keys)) ||
            (rc = resolve_categorical(s, def, "categorical", path, &cat, &cat_kind)))
            break;
        if ((c = tfc_indicator_column(cat, out))) rc = lib_fail(s, path, c);
        break;
    }
    case K_WEIGHTED: {
        static const char *const keys[] = {"name", "type", "categorical", "weight_key", NULL};
        int col;
        if ((rc = check_keys(s, def, path, keys)) ||
            (rc = resolve_categorical(s, def, "categorical", path, &cat, &cat_kind)) ||
            (rc = get_key(s, def, "weight_key", path, T_FLOAT, &col)))
            break;
        if (cat_kind == K_WEIGHTED) {
            rc = bad(s, key_path(p, sizeof p, path, "categorical"), "a weighted column cannot be weighted again");
            break;
        }
        if ((c = tfc_weighted_categorical_column(cat, s->cols[col].name, out))) rc = lib_fail(s, path, c);
        break;
    }
    }
    if (rc) {
        tfc_feature_column_free(*out);
        *out = NULL;
        return rc;
    }
    return own(s, *out);
}

/* $.<part>: a list of feature column references. */
static int build_part(spec *s, const char *part, const tfc_feature_column ***out, int *n)
{
    char path[32];
    snprintf(path, sizeof path, "$.%s", part);
    json_t *list = json_object_get(s->root, part);
    *n = 0;
    if (!list) return TFC_EXIT_OK;
    if (!json_is_array(list))
        return bad(s, path, "expected an array of feature columns (names or definitions), got %s", json_kind(list));
    if (!json_array_size(list)) return TFC_EXIT_OK;
    *out = calloc(json_array_size(list), sizeof **out);
    if (!*out) return cli_fail(TFC_EXIT_ERROR, "out of memory");
    size_t i;
    json_t *ref;
    json_array_foreach(list, i, ref)
    {
        char p[64];
        index_path(p, sizeof p, path, i);
        tfc_feature_column *fc;
        int kind, rc;
        if ((rc = resolve(s, ref, p, &fc, &kind))) return rc;
        if (!strcmp(part, "deep") && !is_dense(kind))
            return bad(s, p, "'%s' is a %s column; the deep part needs dense columns (numeric, bucketized, "
                             "embedding, indicator): wrap it in an indicator or embedding column",
                       tfc_feature_column_name(fc), kind_names[kind]);
        for (int k = 0; k < *n; k++)
            if ((*out)[k] == fc) return bad(s, p, "'%s' is listed twice", tfc_feature_column_name(fc));
        (*out)[(*n)++] = fc;
    }
    return TFC_EXIT_OK;
}

int spec_build(spec *s, tfc_estimator_model model, int64_t embedding_size)
{
    if (s->built) return cli_fail(TFC_EXIT_ERROR, "internal error: the spec is already built");
    s->built = true;
    s->model = model;
    s->embedding_size = embedding_size;
    json_t *fcs = json_object_get(s->root, "feature_columns");
    int rc;
    if (fcs) {
        if (!json_is_array(fcs))
            return bad(s, "$.feature_columns", "expected an array of named feature columns, got %s", json_kind(fcs));
        s->fcs = calloc(json_array_size(fcs) + 1, sizeof *s->fcs);
        if (!s->fcs) return cli_fail(TFC_EXIT_ERROR, "out of memory");
        size_t i;
        json_t *def;
        json_array_foreach(fcs, i, def)
        {
            named_fc *n = &s->fcs[i];
            index_path(n->path, sizeof n->path, "$.feature_columns", i);
            n->def = def;
            if ((rc = want_object(s, def, n->path)) || (rc = get_string(s, def, "name", n->path, false, &n->name)))
                return rc;
            if (!n->name) {
                /* Columns of one key are named by it, as in TensorFlow. */
                json_t *key = json_object_get(def, "key");
                if (!json_is_string(key))
                    return bad(s, n->path, "missing \"name\" (the name other columns and the parts refer to)");
                n->name = json_string_value(key);
            }
            for (size_t k = 0; k < i; k++)
                if (!strcmp(s->fcs[k].name, n->name))
                    return bad(s, n->path, "the name '%s' is also used by %s (give one a distinct \"name\")",
                               n->name, s->fcs[k].path);
            s->nfcs++;
        }
        for (int k = 0; k < s->nfcs; k++) {
            named_fc *n = &s->fcs[k];
            if (n->state) continue;
            n->state = 1;
            if ((rc = build_def(s, n->def, n->path, &n->col, &n->kind))) return rc;
            n->state = 2;
        }
    }
    if ((rc = build_part(s, "wide", &s->wide, &s->nwide)) || (rc = build_part(s, "deep", &s->deep, &s->ndeep)) ||
        (rc = build_part(s, "linear", &s->linear, &s->nlinear)))
        return rc;
    if (!s->nlinear && s->nwide) {
        /* The linear model reads the wide columns unless $.linear says otherwise. */
        s->linear = malloc((size_t)s->nwide * sizeof *s->linear);
        if (!s->linear) return cli_fail(TFC_EXIT_ERROR, "out of memory");
        memcpy(s->linear, s->wide, (size_t)s->nwide * sizeof *s->linear);
        s->nlinear = s->nwide;
    }
    if (model == TFC_MODEL_LINEAR && !s->nlinear)
        return bad(s, "$", "the linear model needs feature columns in \"linear\" or \"wide\"");
    if (model == TFC_MODEL_DNN && !s->ndeep) return bad(s, "$", "the dnn model needs feature columns in \"deep\"");
    if (model == TFC_MODEL_DNN_LINEAR_COMBINED && (!s->nwide || !s->ndeep))
        return bad(s, "$", "the wide_deep model needs feature columns in both \"wide\" and \"deep\" (--model "
                           "linear or dnn uses one part)");
    return TFC_EXIT_OK;
}

void spec_estimator_options(const spec *s, tfc_estimator_options *o)
{
    o->model = s->model;
    o->regressor = s->regressor;
    o->n_classes = s->regressor ? 0 : s->n_classes;
    o->weight_column = s->weight_column;
    o->label_vocabulary = s->vocab;
    o->label_vocabulary_size = s->vocab ? s->n_vocab : 0;
    o->linear_feature_columns = NULL;
    o->n_linear_feature_columns = 0;
    o->dnn_feature_columns = NULL;
    o->n_dnn_feature_columns = 0;
    if (s->model == TFC_MODEL_LINEAR) {
        o->linear_feature_columns = s->linear;
        o->n_linear_feature_columns = s->nlinear;
    } else if (s->model == TFC_MODEL_DNN_LINEAR_COMBINED) {
        o->linear_feature_columns = s->wide;
        o->n_linear_feature_columns = s->nwide;
    }
    if (s->model != TFC_MODEL_LINEAR) {
        o->dnn_feature_columns = s->deep;
        o->n_dnn_feature_columns = s->ndeep;
    }
    o->activation = s->activation;
    o->dropout = s->dropout;
    o->linear_optimizer = s->linear_opt;
    o->dnn_optimizer = s->dnn_opt;
}

int spec_write(const spec *s, const char *path) { return json_write_atomic(s->root, path); }

int json_write_atomic(json_t *j, const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return cli_fail(TFC_EXIT_ERROR, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return cli_fail(TFC_EXIT_ERROR, "%s: cannot write: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return cli_fail(TFC_EXIT_ERROR, "%s: cannot write: %s", path, strerror(errno));
    }
    int bad_write = json_dumpf(j, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF || fflush(f) != 0 ||
                    fsync(fileno(f)) != 0;
    bad_write |= fclose(f) != 0;
    if (bad_write || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_fail(TFC_EXIT_ERROR, "%s: cannot write: %s", path, strerror(e));
    }
    return TFC_EXIT_OK;
}

/* ---- JSON instances --------------------------------------------------------------- */

int spec_instance_schema(const spec *s, const tfc_signature *sig, tfc_csv_schema **out)
{
    *out = NULL;
    tfc_csv_schema *schema;
    tfc_code c = tfc_csv_schema_new(NULL, &schema);
    if (c) return cli_fail(cli_exit_code(c), "%s", tfc_last_error());
    int nin = tfc_signature_num_inputs(sig);
    for (int i = 0; s && i < s->ncols && !c; i++) {
        const char *name = s->cols[i].name;
        tfc_dtype dt = data_dtype(s, i);
        const char *def = s->cols[i].default_text;
        if (i == s->label) dt = s->vocab ? TFC_STRING : dt;
        bool input = false;
        for (int k = 0; k < nin; k++)
            if (!strcmp(tfc_signature_input_key(sig, k), name)) {
                tfc_signature_input_info(sig, k, &dt, NULL, NULL);
                input = true;
            }
        /* Instances may carry columns the model does not read (the label, an
         * unused column, a weight), as a file's rows do: they are optional
         * and ignored. */
        if (!input) def = dt == TFC_STRING ? "" : "0";
        c = tfc_csv_schema_add_column(schema, name, dt, def);
    }
    for (int k = 0; k < nin && !c; k++) {
        const char *key = tfc_signature_input_key(sig, k);
        if (s && find_col(s, key) >= 0) continue;
        tfc_dtype dt;
        int64_t dims[TFC_MAX_RANK];
        int rank;
        if ((c = tfc_signature_input_info(sig, k, &dt, dims, &rank))) break;
        if (rank > 1) {
            tfc_csv_schema_free(schema);
            return cli_fail(TFC_EXIT_BAD_INPUT, "the model's input '%s' has rank %d: JSON instances give one value "
                                                "per feature", key, rank);
        }
        c = tfc_csv_schema_add_column(schema, key, dt, NULL);
    }
    if (c) {
        tfc_csv_schema_free(schema);
        return cli_fail(cli_exit_code(c), "the model's inputs: %s", tfc_last_error());
    }
    *out = schema;
    return TFC_EXIT_OK;
}
