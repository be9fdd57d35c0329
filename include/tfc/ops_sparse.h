/* tfc — typed constructors: segment reductions and embedding lookups, the
 * building blocks of embeddings and linear models over sparse features.
 * See graph.h for the sticky-error convention; name may be NULL.
 */
#ifndef TFC_OPS_SPARSE_H
#define TFC_OPS_SPARSE_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out[s] = reduction of data[indices[k]] over k with segment_ids[k] == s.
 * segment_ids sorted ascending; out has max(segment_ids)+1 rows. */
TFC_API tfc_output tfc_sparse_segment_sum(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                          const char *name);
TFC_API tfc_output tfc_sparse_segment_mean(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                           const char *name);
/* Sum divided by sqrt(count). */
TFC_API tfc_output tfc_sparse_segment_sqrtn(tfc_graph *g, tfc_output data, tfc_output indices,
                                            tfc_output segment_ids, const char *name);
/* out[segment_ids[k]] += data[k]; num_segments an int scalar. A segment id of
 * -1 drops that entry (as TensorFlow drops negatives); any other id outside
 * [0, num_segments) is an error naming the position. */
TFC_API tfc_output tfc_unsorted_segment_sum(tfc_graph *g, tfc_output data, tfc_output segment_ids,
                                            tfc_output num_segments, const char *name);

typedef enum tfc_combiner { TFC_COMBINER_SUM = 0, TFC_COMBINER_MEAN = 1, TFC_COMBINER_SQRTN = 2 } tfc_combiner;

/* Embedding lookup over a batch of id lists ("EmbeddingLookupSparse", a tfc
 * extension fusing TensorFlow's embedding_lookup_sparse into one op):
 * row s of the result combines params[ids[k]] (times weights[k] when weights.op
 * is not NULL) over k with segment_ids[k] == s; rows with no ids are zero.
 * num_segments (int scalar) gives the number of rows (the batch size).
 * mean divides by the sum of weights, sqrtn by the root of the sum of squared
 * weights. Its gradient with respect to params is sparse (touched rows only);
 * weights are differentiable for every combiner. */
TFC_API tfc_output tfc_embedding_lookup_sparse(tfc_graph *g, tfc_output params, tfc_output ids,
                                               tfc_output segment_ids, tfc_output weights, tfc_output num_segments,
                                               tfc_combiner combiner, const char *name);

#ifdef __cplusplus
}
#endif
#endif
