/* tfc — feature columns: TensorFlow's tf.feature_column, compiled into graph
 * ops so an exported model takes raw features (numbers and strings, one value
 * per example and key, as a CSV row or a JSON instance has them).
 *
 * Columns are immutable descriptions. Every constructor returns a new column
 * the caller releases with tfc_feature_column_free. Composing columns
 * (bucketized, crossed, embedding, indicator, weighted) take their own
 * reference to their inputs, so handles may be freed in any order. Columns
 * may be shared between threads and graphs once made (the reference count is
 * atomic); compiling them into a graph is graph building, hence not
 * thread-safe for one graph.
 *
 * Column names follow TensorFlow's: the key for numeric and categorical
 * columns, "<source>_bucketized", "<a>_X_<b>" (sorted) for crosses,
 * "<categorical>_embedding", "<categorical>_indicator",
 * "<categorical>_weighted_by_<weight key>".
 *
 * Limits of this version: one value per example and key (no multi-valent
 * features, as the census data has); categorical keys are strings, except the
 * identity column's (int64); numeric columns' default_value is recorded for
 * input readers, the graph never applies it (every feature must be fed).
 */
#ifndef TFC_FEATURE_COLUMN_H
#define TFC_FEATURE_COLUMN_H

#include <stdint.h>

#include "graph.h"
#include "ops_sparse.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_feature_column tfc_feature_column;

/* Releases the caller's reference; NULL is ignored. */
TFC_API void tfc_feature_column_free(tfc_feature_column *col);
/* The column's name (lent, valid while the column lives). */
TFC_API const char *tfc_feature_column_name(const tfc_feature_column *col);
/* Number of ids of a categorical column (vocabulary size + OOV buckets, hash
 * buckets, boundaries + 1, ...) or of the one a dense embedding / indicator /
 * weighted column wraps; 0 for a numeric column. */
TFC_API int64_t tfc_feature_column_num_buckets(const tfc_feature_column *col);
/* Width d of the column's dense [batch, d] tensor in tfc_input_layer; 0 for a
 * categorical column (which has none). */
TFC_API int64_t tfc_feature_column_dense_size(const tfc_feature_column *col);
/* True for columns tfc_input_layer accepts: numeric, bucketized, embedding,
 * indicator. */
TFC_API bool tfc_feature_column_is_dense(const tfc_feature_column *col);

/* numeric_column(key, shape=(1,), default_value=None, dtype=float32).
 * shape NULL (rank 0) means [1]; otherwise rank 1..TFC_MAX_RANK-1 positive
 * dims. default_value NULL means none, else prod(shape) values (see
 * tfc_feature_column_default_value). dtype: TFC_FLOAT, TFC_DOUBLE, TFC_INT32
 * or TFC_INT64 (the raw feature's type; the dense tensor is float). */
TFC_API tfc_code tfc_numeric_column(const char *key, const int64_t *shape, int rank, const float *default_value,
                                    tfc_dtype dtype, tfc_feature_column **out);
/* numeric_column with normalizer_fn: TensorFlow's normalizer is a Python
 * function applied to the feature's tensor; here normalizer(g, x, arg) is
 * called while compiling, with x the column's float [batch, prod(shape)]
 * tensor, and returns its replacement of the same shape (e.g. (x - mean) /
 * stddev built with tfc_sub and tfc_div), or {NULL, 0} after setting the
 * graph's error. arg is lent: it must outlive every compilation of the
 * column. normalizer NULL is tfc_numeric_column. */
typedef tfc_output (*tfc_normalizer_fn)(tfc_graph *g, tfc_output x, void *arg);
TFC_API tfc_code tfc_numeric_column_with_normalizer(const char *key, const int64_t *shape, int rank,
                                                    const float *default_value, tfc_dtype dtype,
                                                    tfc_normalizer_fn normalizer, void *arg,
                                                    tfc_feature_column **out);
/* The same with a normalizer that returns its output through *out and a
 * tfc_code, for bindings whose callbacks cannot return a struct by value
 * (Python's ctypes): TFC_OK with *out set, or an error code (the graph's
 * sticky error, if set, is reported instead). */
typedef tfc_code (*tfc_normalizer_out_fn)(tfc_graph *g, const tfc_output *x, void *arg, tfc_output *out);
TFC_API tfc_code tfc_numeric_column_with_normalizer_out(const char *key, const int64_t *shape, int rank,
                                                        const float *default_value, tfc_dtype dtype,
                                                        tfc_normalizer_out_fn normalizer, void *arg,
                                                        tfc_feature_column **out);
/* A numeric column's default (lent) and its length; *values NULL and *n 0
 * when it has none or the column is not numeric. */
TFC_API void tfc_feature_column_default_value(const tfc_feature_column *col, const float **values, int *n);

/* bucketized_column(source_column, boundaries): source a numeric column of
 * shape [1]; n > 0 strictly increasing boundaries give n + 1 buckets
 * (-inf,b0), [b0,b1), ..., [b(n-1),+inf). Dense (one-hot) in tfc_input_layer,
 * categorical in tfc_linear_model and crosses. */
TFC_API tfc_code tfc_bucketized_column(const tfc_feature_column *source, const float *boundaries, int n,
                                       tfc_feature_column **out);

/* categorical_column_with_vocabulary_list(key, vocabulary_list,
 * default_value=-1, num_oov_buckets=0): n > 0 distinct strings (copied).
 * Out-of-vocabulary strings get default_value when num_oov_buckets is 0
 * (-1: no id, the example contributes nothing, as TensorFlow drops it), else
 * n + Fingerprint64(s) % num_oov_buckets (default_value must then be -1). */
TFC_API tfc_code tfc_categorical_column_with_vocabulary_list(const char *key, const char *const *vocabulary, int n,
                                                             int64_t num_oov_buckets, int64_t default_value,
                                                             tfc_feature_column **out);
/* categorical_column_with_vocabulary_file: the same with the vocabulary read
 * now from path, one entry per line ("\n" or "\r\n"; a final newline ends the
 * last entry). */
TFC_API tfc_code tfc_categorical_column_with_vocabulary_file(const char *key, const char *path,
                                                             int64_t num_oov_buckets, int64_t default_value,
                                                             tfc_feature_column **out);
/* categorical_column_with_hash_bucket(key, hash_bucket_size): string ids
 * Fingerprint64(s) % hash_bucket_size; hash_bucket_size >= 1. */
TFC_API tfc_code tfc_categorical_column_with_hash_bucket(const char *key, int64_t hash_bucket_size,
                                                         tfc_feature_column **out);
/* categorical_column_with_identity(key, num_buckets, default_value=None): the
 * int64 feature is its own id; values outside [0, num_buckets) become
 * default_value, or (default_value -1, TensorFlow's None) a run-time error. */
TFC_API tfc_code tfc_categorical_column_with_identity(const char *key, int64_t num_buckets, int64_t default_value,
                                                      tfc_feature_column **out);

/* crossed_column(keys, hash_bucket_size, hash_key=None): n >= 2 keys; key i
 * is the raw string feature keys[i] when keys && keys[i], else the
 * categorical column columns[i] (vocabulary, identity, bucketized or crossed:
 * its ids are crossed; a crossed column contributes its own keys). Hash
 * bucket columns are rejected as in TensorFlow (hashing before crossing adds
 * collisions: cross the raw key instead). hash_bucket_size > 1; hash_key 0
 * means TFC_DEFAULT_HASH_KEY. */
TFC_API tfc_code tfc_crossed_column(const char *const *keys, const tfc_feature_column *const *columns, int n,
                                    int64_t hash_bucket_size, uint64_t hash_key, tfc_feature_column **out);

/* embedding_column(categorical_column, dimension, combiner='mean',
 * initializer=truncated_normal(0, 1/sqrt(dimension))): dimension >= 1;
 * initializer_stddev 0 means 1/sqrt(dimension); seed 0 derives it from the
 * graph seed. In tfc_input_layer it makes the variable
 * "input_layer/<name>/embedding_weights" [num_buckets, dimension]. */
TFC_API tfc_code tfc_embedding_column(const tfc_feature_column *categorical, int64_t dimension,
                                      tfc_combiner combiner, double initializer_stddev, int64_t seed,
                                      tfc_feature_column **out);
/* indicator_column(categorical_column): one-hot [batch, num_buckets] (the
 * weight instead of 1 for a weighted column). */
TFC_API tfc_code tfc_indicator_column(const tfc_feature_column *categorical, tfc_feature_column **out);
/* weighted_categorical_column(categorical_column, weight_feature_key): the
 * float feature weight_feature_key weights each example's id. */
TFC_API tfc_code tfc_weighted_categorical_column(const tfc_feature_column *categorical,
                                                 const char *weight_feature_key, tfc_feature_column **out);

/* ---- Compiling columns into a graph ------------------------------------- */

/* The raw features of a model: feature key -> graph output. */
typedef struct tfc_features tfc_features;

/* Makes one placeholder per raw feature key the columns read, named by the
 * key: [None] (or [None, shape...] for a numeric column of another shape
 * than [1]) of the raw dtype (string for categorical keys, int64 for identity
 * keys, the numeric column's dtype, float for weights). A key read with two
 * different dtypes or shapes is an error naming it. *out is freed with
 * tfc_features_free; the outputs belong to g. */
TFC_API tfc_code tfc_feature_placeholders_new(tfc_graph *g, const tfc_feature_column *const *columns, int n,
                                              tfc_features **out);
/* An empty map, to fill with tfc_features_set (features computed otherwise). */
TFC_API tfc_code tfc_features_new(tfc_features **out);
/* Adds or replaces key's output. */
TFC_API tfc_code tfc_features_set(tfc_features *f, const char *key, tfc_output value);
TFC_API void tfc_features_free(tfc_features *f);
/* key's output, {NULL, 0} when absent. */
TFC_API tfc_output tfc_features_get(const tfc_features *f, const char *key);
TFC_API int tfc_features_count(const tfc_features *f);
/* The i-th key (lent) in insertion order; NULL out of range. */
TFC_API const char *tfc_features_key(const tfc_features *f, int i);

/* input_layer(features, feature_columns): float [batch, sum of the columns'
 * dense sizes], the columns' dense tensors concatenated along axis 1 sorted
 * by column name (as TensorFlow orders them, whatever the order given),
 * under the name scope "input_layer". Categorical columns are an
 * error naming the column (DNNs need dense columns: wrap them in an
 * indicator or embedding column). */
TFC_API tfc_code tfc_input_layer(tfc_graph *g, const tfc_features *features, const tfc_feature_column *const *columns,
                                 int n, tfc_output *out);

/* linear_model(features, feature_columns, units, sparse_combiner='sum'):
 * float logits [batch, units] = sum over the columns + bias. A categorical
 * column looks up rows of "linear_model/<name>/weights" [num_buckets, units]
 * (zeros; its gradient is sparse: only the rows a batch touched); a dense
 * column multiplies its [batch, d] tensor by "linear_model/<name>/weights"
 * [d, units] (zeros); the bias is "linear_model/bias_weights" [units] (zeros).
 * Columns are processed sorted by name, as in TensorFlow. */
TFC_API tfc_code tfc_linear_model(tfc_graph *g, const tfc_features *features, const tfc_feature_column *const *columns,
                                  int n, int64_t units, tfc_output *logits);

#ifdef __cplusplus
}
#endif
#endif
