/* Feature columns (tf.feature_column) and their compilation into graph ops.
 *
 * Every example has one value per key, so a categorical column compiles to
 * one int64 id per row. Lookups of weight rows are Gather ops (their gradient
 * with respect to the table is sparse, as EmbeddingLookupSparse's): with one
 * id per row the sum, mean and sqrtn combiners reduce to a per-row factor
 * (w, w != 0, sign(w)), which avoids building row-index segment ids (the
 * graph has no Range op). */
#include "tfc/feature_column.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"
#include "tfc/ops_array.h"
#include "tfc/ops_feature.h"
#include "tfc/ops_math.h"
#include "tfc/ops_nn.h"
#include "tfc/ops_state.h"

typedef enum fc_kind {
    FC_NUMERIC,
    FC_BUCKETIZED,
    FC_VOCAB,
    FC_HASH,
    FC_IDENTITY,
    FC_CROSSED,
    FC_EMBEDDING,
    FC_INDICATOR,
    FC_WEIGHTED
} fc_kind;

struct tfc_feature_column {
    atomic_int refs;
    fc_kind kind;
    char *name;
    char *key; /* raw feature key: numeric, vocabulary, hash, identity */
    /* numeric */
    int64_t shape[TFC_MAX_RANK];
    int rank;
    int64_t size; /* prod(shape) */
    tfc_dtype dtype;
    float *default_value; /* size values or NULL */
    tfc_normalizer_fn normalizer;
    tfc_normalizer_out_fn normalizer_out;
    void *normalizer_arg;
    /* bucketized */
    float *boundaries;
    int nboundaries;
    /* vocabulary */
    char **vocab;
    int nvocab;
    int64_t num_oov, default_id;
    int64_t num_buckets;
    /* crossed: parts[i] NULL for the raw string key part_keys[i] */
    int nparts;
    char **part_keys;
    tfc_feature_column **parts;
    uint64_t hash_key;
    /* embedding, indicator, weighted, bucketized */
    tfc_feature_column *src;
    int64_t dimension;
    tfc_combiner combiner;
    double stddev;
    int64_t seed;
    char *weight_key;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static tfc_feature_column *retain(const tfc_feature_column *c)
{
    tfc_feature_column *m = (tfc_feature_column *)c; /* the count is the only mutable part */
    atomic_fetch_add(&m->refs, 1);
    return m;
}

tfc_feature_column *tfci_feature_column_retain(const tfc_feature_column *c) { return retain(c); }

void tfc_feature_column_free(tfc_feature_column *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    free(c->name);
    free(c->key);
    free(c->default_value);
    free(c->boundaries);
    for (int i = 0; i < c->nvocab; i++) free(c->vocab[i]);
    free(c->vocab);
    for (int i = 0; i < c->nparts; i++) {
        if (c->part_keys) free(c->part_keys[i]);
        if (c->parts) tfc_feature_column_free(c->parts[i]);
    }
    free(c->part_keys);
    free(c->parts);
    tfc_feature_column_free(c->src);
    free(c->weight_key);
    free(c);
}

const char *tfc_feature_column_name(const tfc_feature_column *c) { return c ? c->name : ""; }

int64_t tfc_feature_column_num_buckets(const tfc_feature_column *c) { return c ? c->num_buckets : 0; }

bool tfc_feature_column_is_dense(const tfc_feature_column *c)
{
    return c && (c->kind == FC_NUMERIC || c->kind == FC_BUCKETIZED || c->kind == FC_EMBEDDING ||
                 c->kind == FC_INDICATOR);
}

int64_t tfc_feature_column_dense_size(const tfc_feature_column *c)
{
    if (!c) return 0;
    switch (c->kind) {
    case FC_NUMERIC: return c->size;
    case FC_BUCKETIZED:
    case FC_INDICATOR: return c->num_buckets;
    case FC_EMBEDDING: return c->dimension;
    default: return 0;
    }
}

void tfc_feature_column_default_value(const tfc_feature_column *c, const float **values, int *n)
{
    bool has = c && c->kind == FC_NUMERIC && c->default_value;
    if (values) *values = has ? c->default_value : NULL;
    if (n) *n = has ? (int)c->size : 0;
}

static bool is_categorical(const tfc_feature_column *c)
{
    return c->kind == FC_BUCKETIZED || c->kind == FC_VOCAB || c->kind == FC_HASH || c->kind == FC_IDENTITY ||
           c->kind == FC_CROSSED || c->kind == FC_WEIGHTED;
}

/* A new column with one reference and its name (printf-style); NULL on OOM. */
static tfc_feature_column *new_column(fc_kind kind, const char *fmt, const char *a, const char *b)
{
    tfc_feature_column *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    atomic_init(&c->refs, 1);
    c->kind = kind;
    int len = snprintf(NULL, 0, fmt, a, b ? b : "");
    c->name = malloc((size_t)len + 1);
    if (!c->name) {
        free(c);
        return NULL;
    }
    snprintf(c->name, (size_t)len + 1, fmt, a, b ? b : "");
    return c;
}

static tfc_code oom(const char *what) { return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", what); }

static tfc_code check_key(const char *fn, const char *key, tfc_feature_column **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out must not be NULL", fn);
    *out = NULL;
    if (!key || !*key) return tfci_error(TFC_INVALID_ARGUMENT, "%s: key must be a non-empty string", fn);
    return TFC_OK;
}

/* A keyed column (numeric, vocabulary, hash, identity) named by its key. */
static tfc_feature_column *new_keyed(fc_kind kind, const char *key)
{
    tfc_feature_column *c = new_column(kind, "%s%s", key, NULL);
    if (c && !(c->key = dup_str(key))) {
        tfc_feature_column_free(c);
        return NULL;
    }
    return c;
}

static tfc_code numeric_column(const char *key, const int64_t *shape, int rank, const float *default_value,
                               tfc_dtype dtype, tfc_normalizer_fn normalizer, tfc_normalizer_out_fn normalizer_out,
                               void *arg, tfc_feature_column **out);

tfc_code tfc_numeric_column(const char *key, const int64_t *shape, int rank, const float *default_value,
                            tfc_dtype dtype, tfc_feature_column **out)
{
    return numeric_column(key, shape, rank, default_value, dtype, NULL, NULL, NULL, out);
}

static tfc_code numeric_column(const char *key, const int64_t *shape, int rank, const float *default_value,
                               tfc_dtype dtype, tfc_normalizer_fn normalizer, tfc_normalizer_out_fn normalizer_out,
                               void *arg, tfc_feature_column **out)
{
    tfc_code code = check_key("numeric_column", key, out);
    if (code) return code;
    if (dtype != TFC_FLOAT && dtype != TFC_DOUBLE && dtype != TFC_INT32 && dtype != TFC_INT64)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "numeric_column '%s': dtype must be float32, float64, int32 or int64, got %s", key,
                          tfc_dtype_name(dtype));
    int64_t one = 1;
    if (!shape || rank == 0) {
        shape = &one;
        rank = 1;
    }
    if (rank < 0 || rank >= TFC_MAX_RANK)
        return tfci_error(TFC_INVALID_ARGUMENT, "numeric_column '%s': shape rank must be in [1, %d], got %d", key,
                          TFC_MAX_RANK - 1, rank);
    int64_t size = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] <= 0 || shape[i] > (INT64_C(1) << 31) || size > INT64_MAX / shape[i])
            return tfci_error(TFC_INVALID_ARGUMENT, "numeric_column '%s': shape[%d] = %lld must be positive", key, i,
                              (long long)shape[i]);
        size *= shape[i];
    }
    if (size > (INT64_C(1) << 31))
        return tfci_error(TFC_INVALID_ARGUMENT, "numeric_column '%s': shape has too many elements", key);
    tfc_feature_column *c = new_keyed(FC_NUMERIC, key);
    if (!c) return oom("numeric_column");
    memcpy(c->shape, shape, (size_t)rank * sizeof *shape);
    c->rank = rank;
    c->size = size;
    c->dtype = dtype;
    c->normalizer = normalizer;
    c->normalizer_out = normalizer_out;
    c->normalizer_arg = arg;
    if (default_value) {
        c->default_value = malloc((size_t)size * sizeof(float));
        if (!c->default_value) {
            tfc_feature_column_free(c);
            return oom("numeric_column");
        }
        memcpy(c->default_value, default_value, (size_t)size * sizeof(float));
    }
    *out = c;
    return TFC_OK;
}

tfc_code tfc_numeric_column_with_normalizer(const char *key, const int64_t *shape, int rank,
                                            const float *default_value, tfc_dtype dtype, tfc_normalizer_fn normalizer,
                                            void *arg, tfc_feature_column **out)
{
    return numeric_column(key, shape, rank, default_value, dtype, normalizer, NULL, arg, out);
}

tfc_code tfc_numeric_column_with_normalizer_out(const char *key, const int64_t *shape, int rank,
                                                const float *default_value, tfc_dtype dtype,
                                                tfc_normalizer_out_fn normalizer, void *arg, tfc_feature_column **out)
{
    return numeric_column(key, shape, rank, default_value, dtype, NULL, normalizer, arg, out);
}

tfc_code tfc_bucketized_column(const tfc_feature_column *source, const float *boundaries, int n,
                               tfc_feature_column **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "bucketized_column: out must not be NULL");
    *out = NULL;
    if (!source || source->kind != FC_NUMERIC)
        return tfci_error(TFC_INVALID_ARGUMENT, "bucketized_column: source_column must be a numeric column, got '%s'",
                          source ? source->name : "NULL");
    if (source->size != 1)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "bucketized_column '%s_bucketized': source column '%s' must have shape [1] (one value per "
                          "example)",
                          source->name, source->name);
    if (n <= 0 || !boundaries)
        return tfci_error(TFC_INVALID_ARGUMENT, "bucketized_column '%s_bucketized': boundaries must not be empty",
                          source->name);
    for (int i = 0; i < n; i++) {
        if (isnan(boundaries[i]) || (i > 0 && !(boundaries[i] > boundaries[i - 1])))
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "bucketized_column '%s_bucketized': boundaries must be strictly increasing numbers "
                              "(boundaries[%d] = %g)",
                              source->name, i, (double)boundaries[i]);
    }
    tfc_feature_column *c = new_column(FC_BUCKETIZED, "%s_bucketized%s", source->name, NULL);
    if (!c || !(c->boundaries = malloc((size_t)n * sizeof(float)))) {
        tfc_feature_column_free(c);
        return oom("bucketized_column");
    }
    memcpy(c->boundaries, boundaries, (size_t)n * sizeof(float));
    c->nboundaries = n;
    c->num_buckets = (int64_t)n + 1;
    c->src = retain(source);
    *out = c;
    return TFC_OK;
}

/* Shared checks of the vocabulary columns; takes ownership of vocab. */
static tfc_code make_vocab_column(const char *fn, const char *key, char **vocab, int n, int64_t num_oov,
                                  int64_t default_value, tfc_feature_column **out)
{
    tfc_code code = TFC_OK;
    if (n <= 0)
        code = tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': the vocabulary must not be empty", fn, key);
    else if (num_oov < 0)
        code = tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': num_oov_buckets must be >= 0, got %lld", fn, key,
                          (long long)num_oov);
    else if (num_oov > 0 && default_value != -1)
        code = tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': can't specify both default_value (%lld) and num_oov_buckets",
                          fn, key, (long long)default_value);
    else if (num_oov == 0 && (default_value < -1 || default_value >= n))
        code = tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': default_value %lld must be -1 or in [0, %d)", fn, key,
                          (long long)default_value, n);
    for (int i = 0; !code && i < n; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(vocab[i], vocab[j]) == 0) {
                code = tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': duplicate vocabulary entry '%s' (%d and %d)", fn, key,
                                  vocab[i], j, i);
                break;
            }
    tfc_feature_column *c = NULL;
    if (!code && !(c = new_keyed(FC_VOCAB, key))) code = oom(fn);
    if (code) {
        for (int i = 0; i < n; i++) free(vocab[i]);
        free(vocab);
        return code;
    }
    c->vocab = vocab;
    c->nvocab = n;
    c->num_oov = num_oov;
    c->default_id = default_value;
    c->num_buckets = (int64_t)n + num_oov;
    *out = c;
    return TFC_OK;
}

tfc_code tfc_categorical_column_with_vocabulary_list(const char *key, const char *const *vocabulary, int n,
                                                     int64_t num_oov_buckets, int64_t default_value,
                                                     tfc_feature_column **out)
{
    const char *fn = "categorical_column_with_vocabulary_list";
    tfc_code code = check_key(fn, key, out);
    if (code) return code;
    if (n > 0 && !vocabulary) return tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': vocabulary_list is NULL", fn, key);
    char **vocab = n > 0 ? calloc((size_t)n, sizeof *vocab) : NULL;
    if (n > 0 && !vocab) return oom(fn);
    for (int i = 0; i < n; i++) {
        if (!vocabulary[i] || !(vocab[i] = dup_str(vocabulary[i]))) {
            for (int j = 0; j < i; j++) free(vocab[j]);
            free(vocab);
            return vocabulary[i] ? oom(fn)
                                 : tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': vocabulary_list[%d] is NULL", fn, key, i);
        }
    }
    return make_vocab_column(fn, key, vocab, n, num_oov_buckets, default_value, out);
}

/* Reads the lines of path ("\n" or "\r\n"; a final newline ends the last line). */
static tfc_code read_lines(const char *fn, const char *key, const char *path, char ***lines, int *n)
{
    *lines = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tfci_error(TFC_NOT_FOUND, "%s '%s': can't open vocabulary_file '%s': %s", fn, key, path,
                          strerror(errno));
    size_t cap = 0, len = 0;
    char *buf = NULL;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            while (ncap < len + got + 1) ncap *= 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return oom(fn);
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return tfci_error(TFC_DATA_LOSS, "%s '%s': error reading vocabulary_file '%s'", fn, key, path);
    }
    if (memchr(buf ? buf : "", 0, len)) {
        free(buf);
        return tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': vocabulary_file '%s' contains a NUL byte", fn, key, path);
    }
    int count = 0, capl = 0;
    char **out = NULL;
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && buf[e] != '\n') e++;
        size_t l = e - i;
        if (l > 0 && buf[i + l - 1] == '\r') l--;
        if (count == INT32_MAX - 1) {
            for (int j = 0; j < count; j++) free(out[j]);
            free(out);
            free(buf);
            return tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': vocabulary_file '%s' has too many lines", fn, key, path);
        }
        if (count == capl) {
            int ncap = capl ? capl * 2 : 64;
            char **nl = realloc(out, (size_t)ncap * sizeof *nl);
            if (!nl) goto fail;
            out = nl;
            capl = ncap;
        }
        char *s = malloc(l + 1);
        if (!s) goto fail;
        memcpy(s, buf + i, l);
        s[l] = 0;
        out[count++] = s;
        i = e + 1;
    }
    free(buf);
    *lines = out;
    *n = count;
    return TFC_OK;
fail:
    for (int j = 0; j < count; j++) free(out[j]);
    free(out);
    free(buf);
    return oom(fn);
}

tfc_code tfc_categorical_column_with_vocabulary_file(const char *key, const char *path, int64_t num_oov_buckets,
                                                     int64_t default_value, tfc_feature_column **out)
{
    const char *fn = "categorical_column_with_vocabulary_file";
    tfc_code code = check_key(fn, key, out);
    if (code) return code;
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': vocabulary_file is NULL", fn, key);
    char **vocab;
    int n;
    if ((code = read_lines(fn, key, path, &vocab, &n))) return code;
    return make_vocab_column(fn, key, vocab, n, num_oov_buckets, default_value, out);
}

tfc_code tfc_categorical_column_with_hash_bucket(const char *key, int64_t hash_bucket_size, tfc_feature_column **out)
{
    tfc_code code = check_key("categorical_column_with_hash_bucket", key, out);
    if (code) return code;
    if (hash_bucket_size < 1)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "categorical_column_with_hash_bucket '%s': hash_bucket_size must be at least 1, got %lld",
                          key, (long long)hash_bucket_size);
    tfc_feature_column *c = new_keyed(FC_HASH, key);
    if (!c) return oom("categorical_column_with_hash_bucket");
    c->num_buckets = hash_bucket_size;
    *out = c;
    return TFC_OK;
}

tfc_code tfc_categorical_column_with_identity(const char *key, int64_t num_buckets, int64_t default_value,
                                              tfc_feature_column **out)
{
    tfc_code code = check_key("categorical_column_with_identity", key, out);
    if (code) return code;
    if (num_buckets < 1)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "categorical_column_with_identity '%s': num_buckets must be at least 1, got %lld", key,
                          (long long)num_buckets);
    if (default_value < -1 || default_value >= num_buckets)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "categorical_column_with_identity '%s': default_value %lld must be -1 (none) or in [0, %lld)",
                          key, (long long)default_value, (long long)num_buckets);
    tfc_feature_column *c = new_keyed(FC_IDENTITY, key);
    if (!c) return oom("categorical_column_with_identity");
    c->num_buckets = num_buckets;
    c->default_id = default_value;
    *out = c;
    return TFC_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

tfc_code tfc_crossed_column(const char *const *keys, const tfc_feature_column *const *columns, int n,
                            int64_t hash_bucket_size, uint64_t hash_key, tfc_feature_column **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "crossed_column: out must not be NULL");
    *out = NULL;
    if (n < 2) return tfci_error(TFC_INVALID_ARGUMENT, "crossed_column: keys must have at least 2 entries, got %d", n);
    const char *names[64];
    if (n > 64) return tfci_error(TFC_INVALID_ARGUMENT, "crossed_column: at most 64 keys, got %d", n);
    size_t len = 1;
    for (int i = 0; i < n; i++) {
        const char *k = keys ? keys[i] : NULL;
        const tfc_feature_column *c = columns ? columns[i] : NULL;
        if (k) {
            if (!*k) return tfci_error(TFC_INVALID_ARGUMENT, "crossed_column: keys[%d] is an empty string", i);
            names[i] = k;
        } else if (c) {
            if (c->kind == FC_HASH)
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "crossed_column: column '%s' is a categorical_column_with_hash_bucket, which is not "
                                  "supported for crossing (hashing before crossing increases collisions): use the "
                                  "feature key '%s' instead",
                                  c->name, c->key);
            if (c->kind != FC_VOCAB && c->kind != FC_IDENTITY && c->kind != FC_BUCKETIZED && c->kind != FC_CROSSED)
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "crossed_column: key %d ('%s') must be a string key or a vocabulary, identity, "
                                  "bucketized or crossed column",
                                  i, c->name);
            names[i] = c->name;
        } else {
            return tfci_error(TFC_INVALID_ARGUMENT, "crossed_column: key %d is neither a string nor a column", i);
        }
        len += strlen(names[i]) + 3;
    }
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    char *name = malloc(len);
    if (!name) return oom("crossed_column");
    name[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i) strcat(name, "_X_");
        strcat(name, names[i]);
    }
    if (hash_bucket_size <= 1) {
        tfc_code code = tfci_error(TFC_INVALID_ARGUMENT, "crossed_column '%s': hash_bucket_size must be > 1, got %lld",
                                   name, (long long)hash_bucket_size);
        free(name);
        return code;
    }
    tfc_feature_column *c = new_column(FC_CROSSED, "%s%s", name, NULL);
    free(name);
    if (!c || !(c->part_keys = calloc((size_t)n, sizeof *c->part_keys)) ||
        !(c->parts = calloc((size_t)n, sizeof *c->parts))) {
        tfc_feature_column_free(c);
        return oom("crossed_column");
    }
    c->nparts = n;
    for (int i = 0; i < n; i++) {
        if (keys && keys[i]) {
            if (!(c->part_keys[i] = dup_str(keys[i]))) {
                tfc_feature_column_free(c);
                return oom("crossed_column");
            }
        } else {
            c->parts[i] = retain(columns[i]);
        }
    }
    c->num_buckets = hash_bucket_size;
    c->hash_key = hash_key ? hash_key : TFC_DEFAULT_HASH_KEY;
    *out = c;
    return TFC_OK;
}

static tfc_code check_categorical(const char *fn, const tfc_feature_column *cat, tfc_feature_column **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out must not be NULL", fn);
    *out = NULL;
    if (!cat || !is_categorical(cat))
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: categorical_column must be a categorical column, got '%s'", fn,
                          cat ? cat->name : "NULL");
    return TFC_OK;
}

tfc_code tfc_embedding_column(const tfc_feature_column *categorical, int64_t dimension, tfc_combiner combiner,
                              double initializer_stddev, int64_t seed, tfc_feature_column **out)
{
    tfc_code code = check_categorical("embedding_column", categorical, out);
    if (code) return code;
    if (dimension < 1)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "embedding_column '%s_embedding': dimension must be at least 1, got %lld", categorical->name,
                          (long long)dimension);
    if (combiner != TFC_COMBINER_SUM && combiner != TFC_COMBINER_MEAN && combiner != TFC_COMBINER_SQRTN)
        return tfci_error(TFC_INVALID_ARGUMENT, "embedding_column '%s_embedding': unknown combiner %d",
                          categorical->name, (int)combiner);
    if (!(initializer_stddev >= 0) || isinf(initializer_stddev))
        return tfci_error(TFC_INVALID_ARGUMENT, "embedding_column '%s_embedding': initializer stddev must be >= 0",
                          categorical->name);
    tfc_feature_column *c = new_column(FC_EMBEDDING, "%s_embedding%s", categorical->name, NULL);
    if (!c) return oom("embedding_column");
    c->src = retain(categorical);
    c->dimension = dimension;
    c->combiner = combiner;
    c->stddev = initializer_stddev > 0 ? initializer_stddev : 1.0 / sqrt((double)dimension);
    c->seed = seed;
    c->num_buckets = categorical->num_buckets;
    *out = c;
    return TFC_OK;
}

tfc_code tfc_indicator_column(const tfc_feature_column *categorical, tfc_feature_column **out)
{
    tfc_code code = check_categorical("indicator_column", categorical, out);
    if (code) return code;
    tfc_feature_column *c = new_column(FC_INDICATOR, "%s_indicator%s", categorical->name, NULL);
    if (!c) return oom("indicator_column");
    c->src = retain(categorical);
    c->num_buckets = categorical->num_buckets;
    *out = c;
    return TFC_OK;
}

tfc_code tfc_weighted_categorical_column(const tfc_feature_column *categorical, const char *weight_feature_key,
                                         tfc_feature_column **out)
{
    tfc_code code = check_categorical("weighted_categorical_column", categorical, out);
    if (code) return code;
    if (categorical->kind == FC_WEIGHTED)
        return tfci_error(TFC_INVALID_ARGUMENT, "weighted_categorical_column: '%s' is already weighted",
                          categorical->name);
    if (!weight_feature_key || !*weight_feature_key)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "weighted_categorical_column '%s': weight_feature_key must be a non-empty string",
                          categorical->name);
    tfc_feature_column *c = new_column(FC_WEIGHTED, "%s_weighted_by_%s", categorical->name, weight_feature_key);
    if (!c || !(c->weight_key = dup_str(weight_feature_key))) {
        tfc_feature_column_free(c);
        return oom("weighted_categorical_column");
    }
    c->src = retain(categorical);
    c->num_buckets = categorical->num_buckets;
    *out = c;
    return TFC_OK;
}

/* ---- features map -------------------------------------------------------- */

typedef struct feature_entry {
    char *key;
    tfc_output value;
} feature_entry;

/* Ids a categorical column compiled to, so a column read by both the linear
 * and the DNN part of a model (or by several crosses) is looked up or hashed
 * once per step. */
typedef struct ids_memo {
    const tfc_feature_column *col;
    tfc_graph *g;
    tfc_output ids, weights;
    bool may_drop;
} ids_memo;

struct tfc_features {
    feature_entry *e;
    int n, cap;
    ids_memo *memo;
    int nmemo, memocap;
};

tfc_code tfc_features_new(tfc_features **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_features_new: out must not be NULL");
    *out = calloc(1, sizeof **out);
    return *out ? TFC_OK : oom("tfc_features_new");
}

void tfc_features_free(tfc_features *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->e[i].key);
    free(f->e);
    free(f->memo);
    free(f);
}

static int find_key(const tfc_features *f, const char *key)
{
    for (int i = 0; f && key && i < f->n; i++)
        if (strcmp(f->e[i].key, key) == 0) return i;
    return -1;
}

tfc_code tfc_features_set(tfc_features *f, const char *key, tfc_output value)
{
    if (!f || !key || !*key || !value.op)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_features_set: needs a map, a non-empty key and an output");
    f->nmemo = 0; /* ids compiled from the old value are stale */
    int i = find_key(f, key);
    if (i >= 0) {
        f->e[i].value = value;
        return TFC_OK;
    }
    if (f->n == f->cap) {
        int ncap = f->cap ? f->cap * 2 : 8;
        feature_entry *ne = realloc(f->e, (size_t)ncap * sizeof *ne);
        if (!ne) return oom("tfc_features_set");
        f->e = ne;
        f->cap = ncap;
    }
    char *k = dup_str(key);
    if (!k) return oom("tfc_features_set");
    f->e[f->n].key = k;
    f->e[f->n].value = value;
    f->n++;
    return TFC_OK;
}

tfc_output tfc_features_get(const tfc_features *f, const char *key)
{
    int i = find_key(f, key);
    return i >= 0 ? f->e[i].value : (tfc_output){NULL, 0};
}

int tfc_features_count(const tfc_features *f) { return f ? f->n : 0; }

const char *tfc_features_key(const tfc_features *f, int i) { return f && i >= 0 && i < f->n ? f->e[i].key : NULL; }

/* ---- placeholders -------------------------------------------------------- */

typedef struct key_spec {
    const char *key;
    const char *column; /* the first column reading it, for messages */
    tfc_dtype dtype;
    int64_t dims[TFC_MAX_RANK];
    int rank;
} key_spec;

typedef struct spec_list {
    key_spec *s;
    int n, cap;
} spec_list;

static tfc_code add_spec(spec_list *l, const char *key, const char *column, tfc_dtype dtype, const int64_t *dims,
                         int rank)
{
    for (int i = 0; i < l->n; i++) {
        key_spec *s = &l->s[i];
        if (strcmp(s->key, key) != 0) continue;
        if (s->dtype != dtype || s->rank != rank || memcmp(s->dims, dims, (size_t)rank * sizeof *dims) != 0) {
            char a[64], b[64];
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "feature key '%s' is read as %s %s by column '%s' but as %s %s by column '%s'", key,
                              tfc_dtype_name(s->dtype), tfci_shape_str(s->dims, s->rank, a, sizeof a), s->column,
                              tfc_dtype_name(dtype), tfci_shape_str(dims, rank, b, sizeof b), column);
        }
        return TFC_OK;
    }
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 16;
        key_spec *ns = realloc(l->s, (size_t)ncap * sizeof *ns);
        if (!ns) return oom("feature placeholders");
        l->s = ns;
        l->cap = ncap;
    }
    key_spec *s = &l->s[l->n++];
    s->key = key;
    s->column = column;
    s->dtype = dtype;
    s->rank = rank;
    memcpy(s->dims, dims, (size_t)rank * sizeof *dims);
    return TFC_OK;
}

static const int64_t batch_dims[1] = {-1};

/* Records the raw keys (and their dtype and shape) column c reads. */
static tfc_code collect_specs(spec_list *l, const tfc_feature_column *c)
{
    tfc_code code = TFC_OK;
    switch (c->kind) {
    case FC_NUMERIC: {
        int64_t dims[TFC_MAX_RANK];
        dims[0] = -1;
        int rank = 1;
        if (c->size != 1 || c->rank != 1) {
            memcpy(dims + 1, c->shape, (size_t)c->rank * sizeof *dims);
            rank = c->rank + 1;
        }
        return add_spec(l, c->key, c->name, c->dtype, dims, rank);
    }
    case FC_VOCAB:
    case FC_HASH: return add_spec(l, c->key, c->name, TFC_STRING, batch_dims, 1);
    case FC_IDENTITY: return add_spec(l, c->key, c->name, TFC_INT64, batch_dims, 1);
    case FC_CROSSED:
        for (int i = 0; !code && i < c->nparts; i++)
            code = c->parts[i] ? collect_specs(l, c->parts[i])
                               : add_spec(l, c->part_keys[i], c->name, TFC_STRING, batch_dims, 1);
        return code;
    case FC_WEIGHTED:
        if ((code = collect_specs(l, c->src))) return code;
        return add_spec(l, c->weight_key, c->name, TFC_FLOAT, batch_dims, 1);
    default: return collect_specs(l, c->src);
    }
}

/* Turns the graph's sticky error into the thread's last error. */
static tfc_code graph_code(tfc_graph *g, const char *fn)
{
    tfc_code code = tfc_graph_status(g);
    if (code) return tfci_error(code, "%s: %s", fn, tfc_graph_error_message(g));
    return TFC_OK;
}

tfc_code tfc_feature_placeholders_new(tfc_graph *g, const tfc_feature_column *const *columns, int n,
                                      tfc_features **out)
{
    const char *fn = "tfc_feature_placeholders_new";
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out must not be NULL", fn);
    *out = NULL;
    if (!g || n < 0 || (n > 0 && !columns))
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: needs a graph and n >= 0 columns", fn);
    tfc_code code = graph_code(g, fn);
    spec_list l = {NULL, 0, 0};
    for (int i = 0; !code && i < n; i++)
        code = columns[i] ? collect_specs(&l, columns[i])
                          : tfci_error(TFC_INVALID_ARGUMENT, "%s: columns[%d] is NULL", fn, i);
    tfc_features *f = NULL;
    if (!code) code = tfc_features_new(&f);
    for (int i = 0; !code && i < l.n; i++) {
        tfc_output p = tfc_placeholder(g, l.s[i].dtype, l.s[i].dims, l.s[i].rank, l.s[i].key);
        if (!(code = graph_code(g, fn))) code = tfc_features_set(f, l.s[i].key, p);
    }
    free(l.s);
    if (code) {
        tfc_features_free(f);
        return code;
    }
    *out = f;
    return TFC_OK;
}

/* ---- compilation --------------------------------------------------------- */

static tfc_code get_feature(const tfc_features *f, const char *key, const tfc_feature_column *c, tfc_output *out)
{
    *out = tfc_features_get(f, key);
    if (!out->op)
        return tfci_error(TFC_INVALID_ARGUMENT, "feature key '%s' (read by column '%s') is not in the features", key,
                          c->name);
    return TFC_OK;
}

/* A one-value-per-example feature as a [batch] vector: features made by
 * tfc_feature_placeholders_new already are; others ([batch, 1]) are reshaped. */
static tfc_code get_flat_feature(tfc_graph *g, const tfc_features *f, const char *key, const tfc_feature_column *c,
                                 tfc_output *out)
{
    tfc_code code = get_feature(f, key, c, out);
    if (code) return code;
    int64_t dims[TFC_MAX_RANK];
    int rank = -1;
    if (tfc_graph_output_shape(g, *out, dims, &rank) != TFC_OK || rank != 1)
        *out = tfc_reshape(g, *out, batch_dims, 1, "flat");
    return TFC_OK;
}

/* The raw strings and ids a cross hashes: a nested cross contributes its own
 * keys, as TensorFlow's crossed_column collects leaf-level keys. *valid (bool
 * [batch], op NULL when every leaf always has an id) is false for rows where
 * a leaf has no id (vocabulary default -1): TensorFlow's sparse cross makes
 * no value for them. */
static tfc_code categorical_ids(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c, tfc_output *ids,
                                tfc_output *weights, bool *may_drop);

static tfc_code cross_leaves(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c, tfc_output *parts,
                             int *k, tfc_output *valid)
{
    tfc_code code = TFC_OK;
    for (int i = 0; !code && i < c->nparts; i++) {
        if (*k == 64) return tfci_error(TFC_INVALID_ARGUMENT, "crossed_column '%s': more than 64 keys", c->name);
        const tfc_feature_column *p = c->parts[i];
        if (p && p->kind == FC_CROSSED) {
            code = cross_leaves(g, f, p, parts, k, valid);
        } else if (p) {
            tfc_output w;
            bool drop;
            if ((code = categorical_ids(g, f, p, &parts[*k], &w, &drop))) break;
            if (drop) {
                tfc_output v = tfc_greater_equal(g, parts[*k], tfc_const_int64(g, 0, "zero"), "has_id");
                *valid = valid->op ? tfc_logical_and(g, *valid, v, "all_have_ids") : v;
            }
            (*k)++;
        } else if (!(code = get_flat_feature(g, f, c->part_keys[i], c, &parts[*k]))) {
            (*k)++;
        }
    }
    return code;
}

/* Numeric column: float [batch, size]. */
static tfc_code numeric_dense(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c, tfc_output *out)
{
    tfc_output x;
    tfc_code code = get_feature(f, c->key, c, &x);
    if (code) return code;
    if (tfc_output_dtype(x) != TFC_FLOAT) x = tfc_cast(g, x, TFC_FLOAT, "to_float");
    const int64_t dims[2] = {-1, c->size};
    *out = tfc_reshape(g, x, dims, 2, "reshape");
    if ((c->normalizer || c->normalizer_out) && tfc_graph_status(g) == TFC_OK) {
        tfc_output y = {NULL, 0};
        if (c->normalizer) {
            y = c->normalizer(g, *out, c->normalizer_arg);
        } else {
            tfc_code rc = c->normalizer_out(g, out, c->normalizer_arg, &y);
            if (rc && tfc_graph_status(g) == TFC_OK)
                return tfci_error(rc, "numeric_column '%s': normalizer_fn failed (%s)", c->name, tfc_code_name(rc));
        }
        if (tfc_graph_status(g) != TFC_OK) return graph_code(g, c->name);
        if (!y.op)
            return tfci_error(TFC_INVALID_ARGUMENT, "numeric_column '%s': normalizer_fn returned no output", c->name);
        int64_t d[TFC_MAX_RANK];
        int r = -1;
        if (tfc_output_dtype(y) != TFC_FLOAT || tfc_graph_output_shape(g, y, d, &r) != TFC_OK || r != 2 ||
            (d[1] != -1 && d[1] != c->size)) {
            char buf[64];
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "numeric_column '%s': normalizer_fn must return float32 [batch, %lld], got %s %s",
                              c->name, (long long)c->size, tfc_dtype_name(tfc_output_dtype(y)),
                              r >= 0 ? tfci_shape_str(d, r, buf, sizeof buf) : "of unknown rank");
        }
        *out = y;
    }
    return TFC_OK;
}

/* A categorical column's int64 ids [batch] and, for a weighted column, its
 * float weights [batch] (weights->op NULL otherwise). *may_drop: ids may be
 * -1 (no id: vocabulary default -1), which lookups must mask out. */
static tfc_code categorical_ids_build(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c,
                                      tfc_output *ids, tfc_output *weights, bool *may_drop);

static tfc_code categorical_ids(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c, tfc_output *ids,
                                tfc_output *weights, bool *may_drop)
{
    tfc_features *mf = (tfc_features *)f; /* the memo is a cache: logically const */
    for (int i = 0; i < mf->nmemo; i++)
        if (mf->memo[i].col == c && mf->memo[i].g == g) {
            *ids = mf->memo[i].ids;
            *weights = mf->memo[i].weights;
            *may_drop = mf->memo[i].may_drop;
            return TFC_OK;
        }
    tfc_code code = categorical_ids_build(g, f, c, ids, weights, may_drop);
    if (code || tfc_graph_status(g)) return code;
    if (mf->nmemo == mf->memocap) {
        int cap = mf->memocap ? 2 * mf->memocap : 16;
        ids_memo *m = realloc(mf->memo, (size_t)cap * sizeof *m);
        if (!m) return TFC_OK; /* no memo: the next use builds the ops again */
        mf->memo = m;
        mf->memocap = cap;
    }
    mf->memo[mf->nmemo++] = (ids_memo){c, g, *ids, *weights, *may_drop};
    return TFC_OK;
}

static tfc_code categorical_ids_build(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c,
                                      tfc_output *ids, tfc_output *weights, bool *may_drop)
{
    tfc_output x;
    tfc_code code;
    weights->op = NULL;
    weights->index = 0;
    *may_drop = false;
    switch (c->kind) {
    case FC_BUCKETIZED:
        if ((code = get_flat_feature(g, f, c->src->key, c, &x))) return code;
        *ids = tfc_cast(g, tfc_bucketize(g, x, c->boundaries, c->nboundaries, "bucketize"), TFC_INT64, "ids");
        return TFC_OK;
    case FC_VOCAB:
        if ((code = get_flat_feature(g, f, c->key, c, &x))) return code;
        *ids = tfc_lookup_vocab(g, x, (const char *const *)c->vocab, c->nvocab, c->num_oov, c->default_id, "lookup");
        *may_drop = c->num_oov == 0 && c->default_id == -1;
        return TFC_OK;
    case FC_HASH:
        if ((code = get_flat_feature(g, f, c->key, c, &x))) return code;
        *ids = tfc_string_to_hash_bucket_fast(g, x, c->num_buckets, "hash");
        return TFC_OK;
    case FC_IDENTITY:
        if ((code = get_flat_feature(g, f, c->key, c, &x))) return code;
        *ids = tfc_identity_buckets(g, x, c->num_buckets, c->default_id, "identity");
        return TFC_OK;
    case FC_CROSSED: {
        tfc_output parts[64], valid = {NULL, 0};
        int k = 0;
        if ((code = cross_leaves(g, f, c, parts, &k, &valid))) return code;
        *ids = tfc_hashed_cross(g, parts, k, c->num_buckets, c->hash_key, "cross");
        if (valid.op) {
            /* (id + 1) * valid - 1: -1 (no id) where a leaf had none. */
            tfc_output one = tfc_const_int64(g, 1, "one");
            tfc_output m = tfc_mul(g, tfc_add(g, *ids, one, "shift"), tfc_cast(g, valid, TFC_INT64, "valid"), "masked");
            *ids = tfc_sub(g, m, one, "cross_ids");
            *may_drop = true;
        }
        return TFC_OK;
    }
    case FC_WEIGHTED: {
        bool drop;
        tfc_output unused;
        if ((code = categorical_ids(g, f, c->src, ids, &unused, &drop))) return code;
        *may_drop = drop;
        tfc_output w;
        if ((code = get_flat_feature(g, f, c->weight_key, c, &w))) return code;
        *weights = tfc_output_dtype(w) == TFC_FLOAT ? w : tfc_cast(g, w, TFC_FLOAT, "weights");
        return TFC_OK;
    }
    default:
        return tfci_error(TFC_INVALID_ARGUMENT, "column '%s' is not categorical", c->name);
    }
}

/* Rows of table [buckets, d] for the ids of categorical column c, combined
 * with one id per row: the row times factor (weighted: w for sum, w != 0 for
 * mean, sign(w) for sqrtn), zero for a dropped id. Gather's gradient with
 * respect to table is sparse. */
static tfc_code lookup_rows(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c, tfc_output table,
                            tfc_combiner combiner, tfc_output *out)
{
    tfc_output ids, w;
    bool may_drop;
    tfc_code code = categorical_ids(g, f, c, &ids, &w, &may_drop);
    if (code) return code;
    tfc_output factor = {NULL, 0};
    if (may_drop) {
        tfc_output zero = tfc_const_int64(g, 0, "zero");
        factor = tfc_cast(g, tfc_greater_equal(g, ids, zero, "valid"), TFC_FLOAT, "mask");
        ids = tfc_maximum(g, ids, zero, "valid_ids");
    }
    if (w.op) {
        tfc_output fw = w;
        if (combiner == TFC_COMBINER_MEAN)
            fw = tfc_cast(g, tfc_not_equal(g, w, tfc_const_float(g, 0.0f, "zero_weight"), "nonzero"), TFC_FLOAT,
                          "mean_factor");
        else if (combiner == TFC_COMBINER_SQRTN)
            fw = tfc_sign(g, w, "sqrtn_factor");
        factor = factor.op ? tfc_mul(g, factor, fw, "factor") : fw;
    }
    tfc_output rows = tfc_gather(g, table, ids, 0, "lookup");
    if (factor.op) {
        const int64_t col[2] = {-1, 1};
        rows = tfc_mul(g, rows, tfc_reshape(g, factor, col, 2, "factor_col"), "combine");
    }
    *out = rows;
    return TFC_OK;
}

/* A dense column's float [batch, d]. */
static tfc_code dense_tensor(tfc_graph *g, const tfc_features *f, const tfc_feature_column *c, tfc_output *out)
{
    switch (c->kind) {
    case FC_NUMERIC: return numeric_dense(g, f, c, out);
    case FC_BUCKETIZED:
    case FC_INDICATOR: {
        const tfc_feature_column *cat = c->kind == FC_INDICATOR ? c->src : c;
        tfc_output ids, w;
        bool may_drop;
        tfc_code code = categorical_ids(g, f, cat, &ids, &w, &may_drop);
        if (code) return code;
        /* A -1 id (dropped) gives an all-zero row, as TensorFlow's indicator. */
        tfc_output oh = tfc_one_hot(g, ids, cat->num_buckets, 1.0f, 0.0f, TFC_FLOAT, "one_hot");
        if (w.op) {
            const int64_t col[2] = {-1, 1};
            oh = tfc_mul(g, oh, tfc_reshape(g, w, col, 2, "weight_col"), "weighted");
        }
        *out = oh;
        return TFC_OK;
    }
    case FC_EMBEDDING: {
        const int64_t dims[2] = {c->src->num_buckets, c->dimension};
        tfc_output init = tfc_truncated_normal(g, TFC_FLOAT, dims, 2, 0.0, c->stddev, c->seed, "initializer");
        tfc_output table = tfc_variable(g, init, "embedding_weights");
        return lookup_rows(g, f, c->src, table, c->combiner, out);
    }
    default:
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "column '%s' is categorical; DNN inputs need dense columns: wrap it in an indicator_column "
                          "or embedding_column",
                          c->name);
    }
}

static int cmp_column_name(const void *a, const void *b)
{
    return strcmp((*(const tfc_feature_column *const *)a)->name, (*(const tfc_feature_column *const *)b)->name);
}

/* A copy of cols sorted by name: TensorFlow's input_layer and linear_model
 * process columns in that order, which fixes the layout of the input layer
 * (and so of the first hidden layer's weights). NULL on OOM. */
static const tfc_feature_column **sorted_columns(const tfc_feature_column *const *cols, int n)
{
    const tfc_feature_column **s = malloc((size_t)n * sizeof *s);
    if (!s) return NULL;
    memcpy(s, cols, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_column_name);
    return s;
}

static tfc_code check_inputs(const char *fn, tfc_graph *g, const tfc_features *f, const tfc_feature_column *const *cols,
                             int n, const void *out)
{
    if (!g || !f || !out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: graph, features and out must not be NULL", fn);
    if (n <= 0 || !cols) return tfci_error(TFC_INVALID_ARGUMENT, "%s: feature_columns must not be empty", fn);
    for (int i = 0; i < n; i++)
        if (!cols[i]) return tfci_error(TFC_INVALID_ARGUMENT, "%s: feature_columns[%d] is NULL", fn, i);
    return graph_code(g, fn);
}

tfc_code tfc_input_layer(tfc_graph *g, const tfc_features *features, const tfc_feature_column *const *columns, int n,
                         tfc_output *out)
{
    const char *fn = "input_layer";
    tfc_code code = check_inputs(fn, g, features, columns, n, out);
    if (code) return code;
    out->op = NULL;
    out->index = 0;
    for (int i = 0; i < n; i++)
        if (!tfc_feature_column_is_dense(columns[i]))
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "input_layer: column '%s' is categorical; DNN inputs need dense columns: wrap it in an "
                              "indicator_column or embedding_column",
                              columns[i]->name);
    tfc_output *parts = malloc((size_t)n * sizeof *parts);
    const tfc_feature_column **sorted = sorted_columns(columns, n);
    if (!parts || !sorted) {
        free(parts);
        free(sorted);
        return oom(fn);
    }
    columns = sorted;
    if ((code = tfc_graph_push_name_scope(g, "input_layer"))) {
        free(parts);
        free(sorted);
        return code;
    }
    for (int i = 0; !code && i < n; i++) {
        if ((code = tfc_graph_push_name_scope(g, columns[i]->name))) break;
        code = dense_tensor(g, features, columns[i], &parts[i]);
        tfc_graph_pop_name_scope(g);
    }
    tfc_output y = {NULL, 0};
    if (!code) y = n == 1 ? parts[0] : tfc_concat(g, parts, n, 1, "concat");
    tfc_graph_pop_name_scope(g);
    free(parts);
    free(sorted);
    if (!code) code = graph_code(g, fn);
    if (!code) *out = y;
    return code;
}

tfc_code tfc_linear_model(tfc_graph *g, const tfc_features *features, const tfc_feature_column *const *columns, int n,
                          int64_t units, tfc_output *logits)
{
    const char *fn = "linear_model";
    tfc_code code = check_inputs(fn, g, features, columns, n, logits);
    if (code) return code;
    logits->op = NULL;
    logits->index = 0;
    if (units < 1)
        return tfci_error(TFC_INVALID_ARGUMENT, "linear_model: units must be at least 1, got %lld", (long long)units);
    tfc_output *terms = malloc(((size_t)n + 1) * sizeof *terms);
    const tfc_feature_column **sorted = sorted_columns(columns, n);
    if (!terms || !sorted) {
        free(terms);
        free(sorted);
        return oom(fn);
    }
    columns = sorted;
    if ((code = tfc_graph_push_name_scope(g, "linear_model"))) {
        free(terms);
        free(sorted);
        return code;
    }
    for (int i = 0; !code && i < n; i++) {
        const tfc_feature_column *c = columns[i];
        if ((code = tfc_graph_push_name_scope(g, c->name))) break;
        bool cat = is_categorical(c);
        const int64_t dims[2] = {cat ? c->num_buckets : tfc_feature_column_dense_size(c), units};
        tfc_output w = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, dims, 2, "zeros"), "weights");
        if (cat) {
            code = lookup_rows(g, features, c, w, TFC_COMBINER_SUM, &terms[i]);
        } else {
            tfc_output x;
            if (!(code = dense_tensor(g, features, c, &x))) terms[i] = tfc_matmul(g, x, w, false, false, "matmul");
        }
        tfc_graph_pop_name_scope(g);
    }
    tfc_output y = {NULL, 0};
    if (!code) {
        const int64_t bdims[1] = {units};
        tfc_output bias = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, bdims, 1, "zeros"), "bias_weights");
        tfc_output sum = n == 1 ? terms[0] : tfc_add_n(g, terms, n, "weighted_sum");
        y = tfc_add(g, sum, bias, "logits");
    }
    tfc_graph_pop_name_scope(g);
    free(terms);
    free(sorted);
    if (!code) code = graph_code(g, fn);
    if (!code) *logits = y;
    return code;
}
