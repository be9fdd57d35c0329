/* tfc — typed constructors: casting and reshaping, slicing and joining.
 * Shape-like arguments become int64 constant inputs, as in TensorFlow, so the
 * ops also accept computed shapes through the generic builder.
 * See graph.h for the sticky-error convention; name may be NULL.
 */
#ifndef TFC_OPS_ARRAY_H
#define TFC_OPS_ARRAY_H

#include <stdbool.h>
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Float to int truncates toward zero; NaN gives 0; values out of range
 * (including +-inf) saturate at the target's min/max; integer narrowing wraps. */
TFC_API tfc_output tfc_cast(tfc_graph *g, tfc_output x, tfc_dtype to, const char *name);
/* At most one dims[i] may be -1 (inferred). */
TFC_API tfc_output tfc_reshape(tfc_graph *g, tfc_output x, const int64_t *dims, int rank, const char *name);
/* shape: an int32/int64 vector computed in the graph. */
TFC_API tfc_output tfc_reshape_to(tfc_graph *g, tfc_output x, tfc_output shape, const char *name);
TFC_API tfc_output tfc_expand_dims(tfc_graph *g, tfc_output x, int axis, const char *name);
/* axes NULL: every dimension of size 1. */
TFC_API tfc_output tfc_squeeze(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, const char *name);
/* perm NULL: reverse the dimensions. */
TFC_API tfc_output tfc_transpose(tfc_graph *g, tfc_output x, const int64_t *perm, int n, const char *name);
TFC_API tfc_output tfc_concat(tfc_graph *g, const tfc_output *xs, int n, int axis, const char *name);
/* num_split equal parts along axis; output i is tfc_op_output(result.op, i). */
TFC_API tfc_output tfc_split(tfc_graph *g, tfc_output x, int axis, int num_split, const char *name);
/* size[i] -1 means "to the end". */
TFC_API tfc_output tfc_slice(tfc_graph *g, tfc_output x, const int64_t *begin, const int64_t *size, int n,
                             const char *name);
/* Python's x[b:e:s] per dimension, with TensorFlow's begin/end/shrink_axis masks. */
TFC_API tfc_output tfc_strided_slice(tfc_graph *g, tfc_output x, const int64_t *begin, const int64_t *end,
                                     const int64_t *strides, int n, int64_t begin_mask, int64_t end_mask,
                                     int64_t shrink_axis_mask, const char *name);
/* params gathered along axis by integer indices ("GatherV2"). Out-of-range
 * indices are an error. Its gradient with respect to params is sparse. */
TFC_API tfc_output tfc_gather(tfc_graph *g, tfc_output params, tfc_output indices, int axis, const char *name);
TFC_API tfc_output tfc_tile(tfc_graph *g, tfc_output x, const int64_t *multiples, int n, const char *name);
/* Shape (int32 or int64 vector) and element count (int32 or int64 scalar). */
TFC_API tfc_output tfc_shape(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name);
TFC_API tfc_output tfc_size(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name);
/* A tensor of the given shape filled with the scalar value. */
TFC_API tfc_output tfc_fill(tfc_graph *g, const int64_t *dims, int rank, tfc_output value, const char *name);
/* start, start + delta, ... up to but excluding limit (scalars of one dtype:
 * int32, int64, float32 or float64; "Range"). delta must be non-zero and move
 * start towards limit (TensorFlow's rule). */
TFC_API tfc_output tfc_range(tfc_graph *g, tfc_output start, tfc_output limit, tfc_output delta, const char *name);
TFC_API tfc_output tfc_zeros_like(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_ones_like(tfc_graph *g, tfc_output x, const char *name);
/* One-hot along a new last axis (axis -1) of depth; indices out of [0, depth) give off_value rows. */
TFC_API tfc_output tfc_one_hot(tfc_graph *g, tfc_output indices, int64_t depth, float on_value, float off_value,
                               tfc_dtype dtype, const char *name);
/* paddings: n rows of (before, after); zero padding. */
TFC_API tfc_output tfc_pad(tfc_graph *g, tfc_output x, const int64_t *paddings, int n, const char *name);

#ifdef __cplusplus
}
#endif
#endif
