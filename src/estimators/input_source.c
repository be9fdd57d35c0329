/* Estimator inputs: recipes for streams of batches (TensorFlow's input_fn),
 * read from CSV files through a tfc_csv_reader or sliced from in-memory
 * tensors (numpy_input_fn). Each train / evaluate / predict call opens an
 * independent pass; an input may have several passes open at once. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"
#include "io/csv_internal.h"

typedef enum { INPUT_CSV = 1, INPUT_TENSORS = 2 } input_kind;

struct tfc_input {
    atomic_int refs; /* the caller's plus one per open pass, so freeing during a pass is safe */
    input_kind kind;
    int n;              /* features per batch */
    const char **keys;  /* feature keys in batch order */

    /* CSV */
    tfc_csv_schema *schema;
    char **patterns;
    int npatterns;
    tfc_csv_reader_options ropts;
    int ncols;
    int label_col;  /* -1: no labels */
    int *feat_cols; /* schema column of each feature */

    /* tensors */
    char **key_copies;
    tfc_tensor **features;
    tfc_tensor *labels;
    int64_t rows;
    tfc_tensor_input_options topts;
};

struct tfci_input_pass {
    tfc_input *in;
    tfc_tensor **features; /* the current batch, n entries */
    tfc_tensor *labels;

    /* CSV */
    tfc_csv_reader *reader;
    tfc_tensor **cols; /* the reader's batch, ncols entries */
    char saved_error[2048]; /* the thread's message before a read, put back at the end of data */

    /* tensors */
    int64_t epoch; /* epochs started so far */
    int64_t pos;   /* rows of the current epoch already produced; rows = none left */
    bool done;
    int64_t *perm; /* shuffle: the current epoch's order */
    int64_t *idx;  /* rows of the batch being built */
    int64_t idx_cap;
};

static void input_release(tfc_input *in)
{
    if (!in || atomic_fetch_sub(&in->refs, 1) != 1) return;
    for (int i = 0; in->patterns && i < in->npatterns; i++) free(in->patterns[i]);
    free(in->patterns);
    free(in->feat_cols);
    tfc_csv_schema_free(in->schema);
    for (int i = 0; in->key_copies && i < in->n; i++) free(in->key_copies[i]);
    free(in->key_copies);
    for (int i = 0; in->features && i < in->n; i++) tfc_tensor_free(in->features[i]);
    free(in->features);
    tfc_tensor_free(in->labels);
    free(in->keys);
    free(in);
}

TFC_API void tfc_input_free(tfc_input *in) { input_release(in); }

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The options structs may be older (smaller) than ours, never larger. */
static tfc_code check_opts_size(size_t size, size_t want, const char *fn, const char *init)
{
    if (size < sizeof(size_t) || size > want)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: options size %zu is not valid (expected %zu; use %s)", fn, size,
                          want, init);
    return TFC_OK;
}

/* ---- CSV ---------------------------------------------------------------------------- */

TFC_API tfc_code tfc_input_from_csv(tfc_csv_schema *schema, const char *const *patterns, int n,
                                    const tfc_csv_reader_options *opts, const char *label_column,
                                    tfc_input **out)
{
    static const char *fn = "tfc_input_from_csv";
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (!schema) return tfci_error(TFC_INVALID_ARGUMENT, "%s: schema is NULL", fn);
    int ncols = tfc_csv_schema_num_columns(schema);
    if (ncols <= 0) return tfci_error(TFC_INVALID_ARGUMENT, "%s: the schema has no columns", fn);
    if (n <= 0 || !patterns) return tfci_error(TFC_INVALID_ARGUMENT, "%s: no files given (%d patterns)", fn, n);
    for (int i = 0; i < n; i++)
        if (!patterns[i] || !patterns[i][0])
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: pattern %d is %s", fn, i, patterns[i] ? "empty" : "NULL");

    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    if (opts) {
        tfc_code c = check_opts_size(opts->size, sizeof ro, fn, "TFC_CSV_READER_OPTIONS_INIT");
        if (c) return c;
        memcpy(&ro, opts, opts->size);
        ro.size = sizeof ro;
    }
    if (ro.batch_size <= 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: batch_size is %lld, expected > 0", fn, (long long)ro.batch_size);
    if (ro.num_epochs < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: num_epochs is %lld, expected >= 0 (0 = forever)", fn,
                          (long long)ro.num_epochs);
    if (ro.shuffle_buffer_size < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: shuffle_buffer_size is %lld, expected >= 0", fn,
                          (long long)ro.shuffle_buffer_size);

    int label_col = -1;
    if (label_column) {
        for (int i = 0; i < ncols && label_col < 0; i++)
            if (!strcmp(tfc_csv_schema_column_name(schema, i), label_column)) label_col = i;
        if (label_col < 0) {
            char list[1024];
            size_t used = 0;
            list[0] = 0;
            for (int i = 0; i < ncols && used < sizeof list; i++) {
                int w = snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "",
                                 tfc_csv_schema_column_name(schema, i));
                if (w < 0) break;
                used += (size_t)w;
            }
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: label column '%s' is not a column of the schema (columns: %s)",
                              fn, label_column, list);
        }
    }

    tfc_input *in = calloc(1, sizeof *in);
    if (!in) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
    atomic_init(&in->refs, 1);
    in->kind = INPUT_CSV;
    in->schema = tfci_csv_schema_retain(schema); /* also freezes it: the keys below are lent by it */
    in->ropts = ro;
    in->ncols = ncols;
    in->label_col = label_col;
    in->n = label_col >= 0 ? ncols - 1 : ncols;
    in->patterns = calloc((size_t)n, sizeof *in->patterns);
    in->keys = calloc((size_t)ncols, sizeof *in->keys);
    in->feat_cols = calloc((size_t)ncols, sizeof *in->feat_cols);
    if (!in->patterns || !in->keys || !in->feat_cols) goto oom;
    in->npatterns = n;
    for (int i = 0; i < n; i++)
        if (!(in->patterns[i] = dup_str(patterns[i]))) goto oom;
    for (int i = 0, k = 0; i < ncols; i++) {
        if (i == label_col) continue;
        in->feat_cols[k] = i;
        in->keys[k++] = tfc_csv_schema_column_name(schema, i); /* lent by the schema we keep */
    }
    *out = in;
    return TFC_OK;
oom:
    input_release(in);
    return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
}

/* ---- interning --------------------------------------------------------------------- */

static void free_pool(void *data, size_t bytes, void *pool)
{
    (void)data;
    (void)bytes;
    free(pool);
}

static uint64_t str_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a: only needs to spread the bits */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* A copy of a string tensor whose equal values share one copy: a shuffled
 * batch then reads a few hot cache lines instead of strings scattered over
 * the whole column (census: 8 string columns, a few hundred distinct values).
 * NULL when the values are mostly distinct or memory is short: the caller
 * keeps the original. */
static tfc_tensor *intern_strings(const tfc_tensor *src)
{
    int64_t n = src->n;
    if (n < 64) return NULL;
    const tfci_tstring *v = src->data;
    uint64_t cap = 64;
    while (cap < (uint64_t)n / 2) cap <<= 1;
    int64_t *slot = malloc(cap * sizeof *slot); /* index of the first element with that value, or -1 */
    size_t *off = malloc((size_t)n * sizeof *off);
    char *pool = NULL;
    size_t used = 0, pool_cap = 0;
    int64_t distinct = 0;
    tfc_tensor *t = NULL;
    if (!slot || !off) goto done;
    for (uint64_t i = 0; i < cap; i++) slot[i] = -1;
    for (int64_t i = 0; i < n; i++) {
        uint64_t h = str_hash(v[i].ptr, v[i].len) & (cap - 1);
        while (slot[h] >= 0 && !(v[slot[h]].len == v[i].len && !memcmp(v[slot[h]].ptr, v[i].ptr, v[i].len)))
            h = (h + 1) & (cap - 1);
        if (slot[h] >= 0) {
            off[i] = off[slot[h]];
            continue;
        }
        if (++distinct > (int64_t)(cap / 2) || distinct > n / 4) goto done; /* mostly distinct: no gain */
        slot[h] = i;
        if (used + v[i].len + 1 > pool_cap) {
            size_t nc = pool_cap ? 2 * pool_cap : 4096;
            while (nc < used + v[i].len + 1) nc *= 2;
            char *np = realloc(pool, nc);
            if (!np) goto done;
            pool = np;
            pool_cap = nc;
        }
        if (v[i].len) memcpy(pool + used, v[i].ptr, v[i].len);
        pool[used + v[i].len] = 0;
        off[i] = used;
        used += v[i].len + 1;
    }
    if (!pool || tfci_tensor_alloc(TFC_STRING, src->dims, src->rank, &t)) {
        t = NULL;
        goto done;
    }
    tfci_tstring *to = t->data;
    for (int64_t i = 0; i < n; i++) to[i] = (tfci_tstring){pool + off[i], v[i].len};
    t->dealloc = free_pool;
    t->dealloc_arg = pool;
    pool = NULL;
done:
    free(pool);
    free(slot);
    free(off);
    return t;
}

/* ---- tensors -------------------------------------------------------------------------- */

static const char *shape_of(const tfc_tensor *t, char *buf, size_t size)
{
    return tfci_shape_str(tfc_tensor_dims(t), tfc_tensor_rank(t), buf, size);
}

TFC_API tfc_code tfc_input_from_tensors(const char *const *keys, tfc_tensor *const *features, int n,
                                        tfc_tensor *labels, const tfc_tensor_input_options *opts,
                                        tfc_input **out)
{
    static const char *fn = "tfc_input_from_tensors";
    char s1[128], s2[128];
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (n < 1) return tfci_error(TFC_INVALID_ARGUMENT, "%s: n is %d, expected at least one feature", fn, n);
    if (!keys || !features)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: %s is NULL", fn, !keys ? "keys" : "features");
    for (int i = 0; i < n; i++) {
        if (!keys[i] || !keys[i][0])
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: key %d is %s, expected a feature name", fn, i,
                              keys[i] ? "empty" : "NULL");
        for (int j = 0; j < i; j++)
            if (!strcmp(keys[i], keys[j]))
                return tfci_error(TFC_INVALID_ARGUMENT, "%s: feature key '%s' appears twice (keys %d and %d)", fn,
                                  keys[i], j, i);
    }
    int64_t rows = 0;
    for (int i = 0; i < n; i++) {
        const tfc_tensor *t = features[i];
        if (!t) return tfci_error(TFC_INVALID_ARGUMENT, "%s: feature '%s': the tensor is NULL", fn, keys[i]);
        if (tfc_tensor_rank(t) < 1)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "%s: feature '%s' has shape %s, expected rank >= 1 with the rows first", fn, keys[i],
                              shape_of(t, s1, sizeof s1));
        if (tfc_tensor_dim(t, 0) < 1)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: feature '%s' has shape %s, expected at least one row", fn,
                              keys[i], shape_of(t, s1, sizeof s1));
        if (i == 0) rows = tfc_tensor_dim(t, 0);
        else if (tfc_tensor_dim(t, 0) != rows)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "%s: feature '%s' has shape %s but feature '%s' has shape %s: every feature needs "
                              "the same first dimension (rows)",
                              fn, keys[i], shape_of(t, s1, sizeof s1), keys[0], shape_of(features[0], s2, sizeof s2));
    }
    if (labels && (tfc_tensor_rank(labels) < 1 || tfc_tensor_dim(labels, 0) != rows))
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "%s: labels have shape %s but the features have %lld rows (feature '%s' has shape %s)", fn,
                          shape_of(labels, s1, sizeof s1), (long long)rows, keys[0],
                          shape_of(features[0], s2, sizeof s2));

    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    if (opts) {
        tfc_code c = check_opts_size(opts->size, sizeof o, fn, "TFC_TENSOR_INPUT_OPTIONS_INIT");
        if (c) return c;
        memcpy(&o, opts, opts->size);
        o.size = sizeof o;
    }
    if (o.batch_size < 1)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: batch_size is %lld, expected >= 1", fn, (long long)o.batch_size);
    if (o.num_epochs < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: num_epochs is %lld, expected >= 0 (0 = forever)", fn,
                          (long long)o.num_epochs);

    tfc_input *in = calloc(1, sizeof *in);
    if (!in) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
    atomic_init(&in->refs, 1);
    in->kind = INPUT_TENSORS;
    in->label_col = -1;
    in->rows = rows;
    in->topts = o;
    in->key_copies = calloc((size_t)n, sizeof *in->key_copies);
    in->keys = calloc((size_t)n, sizeof *in->keys);
    in->features = calloc((size_t)n, sizeof *in->features);
    if (!in->key_copies || !in->keys || !in->features) {
        free(in->key_copies);
        free(in->keys);
        free(in->features);
        free(in);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
    }
    in->n = n;
    for (int i = 0; i < n; i++) {
        in->features[i] = tfc_tensor_dtype(features[i]) == TFC_STRING ? intern_strings(features[i]) : NULL;
        if (!in->features[i]) in->features[i] = tfc_tensor_retain(features[i]);
        in->keys[i] = in->key_copies[i] = dup_str(keys[i]);
        if (!in->key_copies[i]) {
            input_release(in);
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
        }
    }
    in->labels = labels ? tfc_tensor_retain(labels) : NULL;
    *out = in;
    return TFC_OK;
}

/* ---- passes --------------------------------------------------------------------------- */

tfc_code tfci_input_open(tfc_input *in, tfci_input_pass **out)
{
    static const char *fn = "tfci_input_open";
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (!in) return tfci_error(TFC_INVALID_ARGUMENT, "%s: input is NULL", fn);
    tfci_input_pass *p = calloc(1, sizeof *p);
    if (!p) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
    atomic_fetch_add(&in->refs, 1);
    p->in = in;
    p->features = calloc((size_t)(in->n > 0 ? in->n : 1), sizeof *p->features);
    if (!p->features) goto oom;
    if (in->kind == INPUT_CSV) {
        p->cols = calloc((size_t)in->ncols, sizeof *p->cols);
        if (!p->cols) goto oom;
        tfc_code c = tfc_csv_reader_new(in->schema, (const char *const *)in->patterns, in->npatterns, &in->ropts,
                                        &p->reader);
        if (c) {
            tfci_input_close(p); /* the reader's message (naming the file) stays as it is */
            return c;
        }
    } else {
        /* A batch never holds more rows than the whole input, whatever batch_size says. */
        int64_t cap = in->topts.batch_size;
        int64_t e = in->topts.num_epochs;
        if (e > 0 && in->rows <= INT64_MAX / e && in->rows * e < cap) cap = in->rows * e;
        if ((uint64_t)cap > SIZE_MAX / sizeof *p->idx) goto oom;
        p->idx = malloc((size_t)cap * sizeof *p->idx);
        p->idx_cap = cap;
        if (!p->idx) goto oom;
        if (in->topts.shuffle) {
            p->perm = malloc((size_t)in->rows * sizeof *p->perm);
            if (!p->perm) goto oom;
        }
        p->pos = in->rows; /* no epoch started yet */
    }
    *out = p;
    return TFC_OK;
oom:
    tfci_input_close(p);
    return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
}

void tfci_input_close(tfci_input_pass *p)
{
    if (!p) return;
    tfc_input *in = p->in;
    if (in->kind == INPUT_CSV) {
        for (int i = 0; p->cols && i < in->ncols; i++) tfc_tensor_free(p->cols[i]);
        free(p->cols);
        tfc_csv_reader_free(p->reader);
    } else {
        for (int i = 0; p->features && i < in->n; i++) tfc_tensor_free(p->features[i]);
        tfc_tensor_free(p->labels);
    }
    free(p->features);
    free(p->perm);
    free(p->idx);
    free(p);
    input_release(in);
}

static void clear_batch(tfci_batch *b)
{
    b->n = 0;
    b->keys = NULL;
    b->features = NULL;
    b->labels = NULL;
    b->rows = 0;
}

static tfc_code csv_next(tfci_input_pass *p, tfci_batch *b)
{
    tfc_input *in = p->in;
    for (int i = 0; i < in->ncols; i++) {
        tfc_tensor_free(p->cols[i]);
        p->cols[i] = NULL;
    }
    int64_t rows = 0;
    /* The reader sets a message at the end of data; the pass interface promises
     * not to, so the caller's previous message survives a normal end. */
    snprintf(p->saved_error, sizeof p->saved_error, "%s", tfc_last_error());
    tfc_code c = tfc_csv_reader_next_batch(p->reader, 0, p->cols, &rows);
    if (c == TFC_OUT_OF_RANGE) return tfci_error(c, "%s", p->saved_error);
    if (c) return c; /* the reader names file, line and column */
    for (int k = 0; k < in->n; k++) p->features[k] = p->cols[in->feat_cols[k]];
    b->n = in->n;
    b->keys = in->keys;
    b->features = p->features;
    b->labels = in->label_col >= 0 ? p->cols[in->label_col] : NULL;
    b->rows = rows;
    return TFC_OK;
}

/* A fresh permutation per epoch from (seed, epoch) alone, so every pass (and
 * every epoch of it) is reproducible: Fisher-Yates over the identity. */
static void shuffle_epoch(tfci_input_pass *p)
{
    int64_t n = p->in->rows;
    uint64_t key = tfci_random_bits(p->in->topts.seed, (uint64_t)p->epoch);
    for (int64_t i = 0; i < n; i++) p->perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        /* The modulo bias is below n / 2^64: negligible for any row count that fits in memory. */
        int64_t j = (int64_t)(tfci_random_bits(key, (uint64_t)i) % (uint64_t)(i + 1));
        int64_t t = p->perm[i];
        p->perm[i] = p->perm[j];
        p->perm[j] = t;
    }
}

static void release_source(void *data, size_t bytes, void *src)
{
    (void)data;
    (void)bytes;
    tfc_tensor_free(src);
}

/* Copies rows idx[0..k) of src into a [k, dims[1..]] tensor in *slot, reusing
 * the previous batch's tensor when nobody else holds it and the shape fits. */
static tfc_code slice_rows(tfci_input_pass *p, const tfc_tensor *src, const int64_t *idx, int64_t k,
                           tfc_tensor **slot)
{
    int rank = tfc_tensor_rank(src);
    int64_t dims[TFC_MAX_RANK];
    memcpy(dims, tfc_tensor_dims(src), (size_t)rank * sizeof *dims);
    int64_t per_row = tfc_tensor_num_elements(src) / dims[0];
    dims[0] = k;
    tfc_dtype dt = tfc_tensor_dtype(src);

    if (dt == TFC_STRING) {
        /* Zero copy: the batch's elements point into src's strings, and the
         * batch holds a reference to src until it is freed. */
        tfc_tensor *t = *slot;
        if (!t || atomic_load(&t->refcount) != 1 || tfc_tensor_dim(t, 0) != k || t->dealloc_arg != src) {
            tfc_tensor_free(t);
            *slot = NULL;
            tfc_code c = tfci_tensor_alloc(TFC_STRING, dims, rank, &t);
            if (c) {
                tfci_error_prefix("tfci_input_next");
                return c;
            }
            t->dealloc = release_source;
            t->dealloc_arg = tfc_tensor_retain((tfc_tensor *)src);
            *slot = t;
        }
        const tfci_tstring *from = src->data;
        tfci_tstring *to = t->data;
        for (int64_t r = 0, o = 0; r < k; r++)
            for (int64_t j = 0; j < per_row; j++, o++) to[o] = from[idx[r] * per_row + j];
        return TFC_OK;
    }

    tfc_tensor *t = *slot;
    if (!t || atomic_load(&t->refcount) != 1 || tfc_tensor_dim(t, 0) != k) {
        tfc_tensor_free(t);
        *slot = NULL;
        tfc_code c = tfci_tensor_alloc(dt, dims, rank, &t);
        if (c) {
            tfci_error_prefix("tfci_input_next");
            return c;
        }
        *slot = t;
    }
    size_t rb = (size_t)per_row * tfc_dtype_size(dt);
    const char *s = tfc_tensor_data(src);
    char *d = tfc_tensor_data(t);
    if (rb == 4) {
        const uint32_t *s4 = (const uint32_t *)s;
        uint32_t *d4 = (uint32_t *)d;
        for (int64_t r = 0; r < k; r++) d4[r] = s4[idx[r]];
    } else if (rb == 8) {
        const uint64_t *s8 = (const uint64_t *)s;
        uint64_t *d8 = (uint64_t *)d;
        for (int64_t r = 0; r < k; r++) d8[r] = s8[idx[r]];
    } else if (rb > 0) {
        /* Runs of consecutive rows (the unshuffled case) go in one memcpy. */
        for (int64_t r = 0; r < k;) {
            int64_t e = r + 1;
            while (e < k && idx[e] == idx[e - 1] + 1) e++;
            memcpy(d + (size_t)r * rb, s + (size_t)idx[r] * rb, (size_t)(e - r) * rb);
            r = e;
        }
    }
    return TFC_OK;
}

/* At the end the last batch's tensors go at once rather than at close. */
static tfc_code tensors_end(tfci_input_pass *p)
{
    p->done = true;
    for (int i = 0; i < p->in->n; i++) {
        tfc_tensor_free(p->features[i]);
        p->features[i] = NULL;
    }
    tfc_tensor_free(p->labels);
    p->labels = NULL;
    return TFC_OUT_OF_RANGE;
}

static tfc_code tensors_next(tfci_input_pass *p, tfci_batch *b)
{
    tfc_input *in = p->in;
    const tfc_tensor_input_options *o = &in->topts;
    if (p->done) return tensors_end(p);
    /* Batches run across epoch boundaries (tf.data's repeat().batch()). */
    int64_t k = 0;
    while (k < p->idx_cap) {
        if (p->pos == in->rows) {
            if (o->num_epochs > 0 && p->epoch >= o->num_epochs) break;
            if (p->perm) shuffle_epoch(p);
            p->epoch++;
            p->pos = 0;
        }
        int64_t take = in->rows - p->pos;
        if (take > p->idx_cap - k) take = p->idx_cap - k;
        for (int64_t i = 0; i < take; i++) p->idx[k + i] = p->perm ? p->perm[p->pos + i] : p->pos + i;
        k += take;
        p->pos += take;
    }
    if (k < p->idx_cap) p->done = true; /* the data ran out */
    if (k == 0 || (k < o->batch_size && !o->partial_final_batch)) return tensors_end(p);
    for (int i = 0; i < in->n; i++) {
        tfc_code c = slice_rows(p, in->features[i], p->idx, k, &p->features[i]);
        if (c) {
            tfci_error_prefix("feature '%s'", in->keys[i]);
            return c;
        }
    }
    if (in->labels) {
        tfc_code c = slice_rows(p, in->labels, p->idx, k, &p->labels);
        if (c) {
            tfci_error_prefix("labels");
            return c;
        }
    }
    b->n = in->n;
    b->keys = in->keys;
    b->features = p->features;
    b->labels = p->labels;
    b->rows = k;
    return TFC_OK;
}

tfc_code tfci_input_next(tfci_input_pass *p, tfci_batch *b)
{
    if (!p || !b) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_input_next: pass or batch is NULL");
    clear_batch(b);
    return p->in->kind == INPUT_CSV ? csv_next(p, b) : tensors_next(p, b);
}
