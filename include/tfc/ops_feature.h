/* tfc — typed constructors: feature transformations, the ops that feature
 * columns compile to so an exported model takes raw features (numbers and
 * strings) and turns them into bucket / category ids.
 * See graph.h for the sticky-error convention; name may be NULL.
 *
 * Hashes are TensorFlow's: Fingerprint64 (FarmHash's farmhashna::Hash64) for
 * strings and FingerprintCat64 for crosses, so ids match a TensorFlow model
 * trained on the same columns. None of these ops is differentiable.
 */
#ifndef TFC_OPS_FEATURE_H
#define TFC_OPS_FEATURE_H

#include <stdint.h>

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "Bucketize" (bucketized_column): int32 bucket ids, same shape as x (float,
 * double, int32 or int64). boundaries (n > 0 values, strictly increasing, no
 * NaN) define buckets (-inf,b0), [b0,b1), ..., [b(n-1),+inf) with ids 0..n;
 * a value equal to a boundary goes to the bucket that boundary starts. As in
 * TensorFlow, values are compared as float against the float boundaries
 * (double inputs as double) and NaN goes to the last bucket (id n). */
TFC_API tfc_output tfc_bucketize(tfc_graph *g, tfc_output x, const float *boundaries, int n, const char *name);

/* "StringToHashBucketFast" (categorical_column_with_hash_bucket): int64 ids
 * Fingerprint64(s) % num_buckets for every string of x (any shape);
 * num_buckets > 0. */
TFC_API tfc_output tfc_string_to_hash_bucket_fast(tfc_graph *g, tfc_output x, int64_t num_buckets,
                                                  const char *name);

/* "LookupVocab", a tfc extension standing for TensorFlow's HashTable +
 * LookupTableFind (+ hash buckets) of categorical_column_with_vocabulary_list,
 * with the vocabulary baked into the graph: int64 ids, same shape as the
 * string tensor x: the key's index in vocab (n > 0 distinct NUL-terminated
 * strings). A key not in vocab maps to default_value when num_oov_buckets is 0,
 * else to n + Fingerprint64(key) % num_oov_buckets (default_value must then be
 * -1, as TensorFlow forbids both). The constructor builds the hash table once
 * and stores it in the op's attribute "_table" (int64 tensor); the op's shape
 * function checks it against the vocabulary. Empty vocabulary and duplicate
 * entries are errors. */
TFC_API tfc_output tfc_lookup_vocab(tfc_graph *g, tfc_output x, const char *const *vocab, int n,
                                    int64_t num_oov_buckets, int64_t default_value, const char *name);
/* The same over an integer vocabulary: x int32 or int64. Out-of-vocabulary
 * keys hash their decimal string form (as TensorFlow's as_string). */
TFC_API tfc_output tfc_lookup_vocab_ints(tfc_graph *g, tfc_output x, const int64_t *vocab, int n,
                                         int64_t num_oov_buckets, int64_t default_value, const char *name);
/* categorical_column_with_vocabulary_file: the vocabulary is read now from
 * path, one entry per line ("\n" or "\r\n"; a final newline ends the last
 * entry; lines may not contain NUL bytes). Builds the same op as
 * tfc_lookup_vocab. */
TFC_API tfc_output tfc_lookup_vocab_file(tfc_graph *g, tfc_output x, const char *path, int64_t num_oov_buckets,
                                         int64_t default_value, const char *name);

/* TensorFlow's default hash_key of crossed columns / SparseCross. */
#define TFC_DEFAULT_HASH_KEY UINT64_C(0xDECAFCAFFE)

/* "HashedCross" (crossed_column; TensorFlow's SparseCross with hashed_output):
 * k >= 1 columns, each a [batch] (or [batch,1]) tensor of strings, int64 or
 * int32 ids, one value per row. Output int64 [batch]:
 *   h = hash_key; for each column c: h = FingerprintCat64(h, v_c)
 * with v_c = Fingerprint64(string) or the integer itself, then h % num_buckets
 * (num_buckets 0: h % INT64_MAX, as TensorFlow). Multi-valent crosses
 * (several values per row, the cartesian product) are not supported yet. */
TFC_API tfc_output tfc_hashed_cross(tfc_graph *g, const tfc_output *columns, int k, int64_t num_buckets,
                                    uint64_t hash_key, const char *name);

/* "IdentityBuckets" (categorical_column_with_identity): int64 copy of the
 * int32/int64 ids x. Values outside [0, num_buckets) become default_value
 * when it is in [0, num_buckets); default_value -1 makes them a run-time
 * error naming the op, the element and the value. (TensorFlow drops -1 as a
 * missing value of a sparse input; dense inputs here have no missing values.) */
TFC_API tfc_output tfc_identity_buckets(tfc_graph *g, tfc_output x, int64_t num_buckets, int64_t default_value,
                                        const char *name);

/* "StringToNumber": parses every string of x as out_type (TFC_FLOAT,
 * TFC_DOUBLE, TFC_INT32 or TFC_INT64). Leading and trailing ASCII whitespace
 * is ignored; integers are decimal with an optional sign and must fit;
 * floats accept what strtod accepts in the C locale (including "inf", "nan"),
 * out-of-range floats become +-inf or 0. Anything else (empty, trailing
 * characters, longer than 255 bytes) is a run-time error naming the op and
 * the element index. */
TFC_API tfc_output tfc_string_to_number(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name);

#ifdef __cplusplus
}
#endif
#endif
