/* tfc — typed constructors: placeholders, constants, variables, assignment,
 * grouping, random tensors. See graph.h for the sticky-error convention; name
 * may be NULL for the op type's default name. Not thread-safe (graph building).
 */
#ifndef TFC_OPS_STATE_H
#define TFC_OPS_STATE_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A value fed at run time. rank -1 for unknown rank; dims[i] -1 for unknown. */
TFC_API tfc_output tfc_placeholder(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const char *name);
/* A placeholder that yields default_value when not fed ("PlaceholderWithDefault"). */
TFC_API tfc_output tfc_placeholder_with_default(tfc_graph *g, tfc_output default_value, const int64_t *dims, int rank,
                                                const char *name);

/* A constant holding a copy of value ("Const"). */
TFC_API tfc_output tfc_const(tfc_graph *g, const tfc_tensor *value, const char *name);
TFC_API tfc_output tfc_const_float(tfc_graph *g, float v, const char *name);
TFC_API tfc_output tfc_const_double(tfc_graph *g, double v, const char *name);
TFC_API tfc_output tfc_const_int32(tfc_graph *g, int32_t v, const char *name);
TFC_API tfc_output tfc_const_int64(tfc_graph *g, int64_t v, const char *name);
/* A constant of the given dtype and shape from a C array (copied). */
TFC_API tfc_output tfc_const_array(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const void *data,
                                   const char *name);

/* Filled constants of a fully known shape. */
TFC_API tfc_output tfc_zeros(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const char *name);
TFC_API tfc_output tfc_ones(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const char *name);

/* Random tensors of a fully known shape ("RandomUniform", "RandomStandardNormal",
 * "TruncatedNormal", scaled and shifted). A new draw on every run; seed 0
 * derives the seed from the graph seed (tfc_graph_set_seed) and the op. */
TFC_API tfc_output tfc_random_uniform(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double minval,
                                      double maxval, int64_t seed, const char *name);
TFC_API tfc_output tfc_random_normal(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double mean,
                                     double stddev, int64_t seed, const char *name);
/* Normal values more than two standard deviations from the mean are redrawn. */
TFC_API tfc_output tfc_truncated_normal(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double mean,
                                        double stddev, int64_t seed, const char *name);
/* Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)), fans as
 * Keras computes them (rank 2: dims[0], dims[1]; rank 1: dims[0] both). */
TFC_API tfc_output tfc_glorot_uniform(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, int64_t seed,
                                      const char *name);

/* A variable ("VariableV2") whose dtype and shape are initial_value's (the
 * shape must be fully known). Its initializer assigns initial_value; the
 * session holds its state. */
TFC_API tfc_output tfc_variable(tfc_graph *g, tfc_output initial_value, const char *name);
/* The Assign op that initializes variable; NULL if variable is not one. */
TFC_API tfc_op *tfc_variable_initializer(const tfc_op *variable);
TFC_API size_t tfc_graph_num_variables(const tfc_graph *g);
/* Variables in creation order; NULL past the end. */
TFC_API tfc_op *tfc_graph_variable(const tfc_graph *g, size_t i);
/* Trainable variables are what tfc_optimizer_minimize updates by default;
 * tfc_variable makes trainable ones, optimizers' slots and the global step are not. */
TFC_API bool tfc_variable_trainable(const tfc_op *variable);
TFC_API tfc_code tfc_variable_set_trainable(tfc_op *variable, bool trainable);
/* A NoOp ("init") that runs the initializer of every variable existing now:
 * make it after tfc_optimizer_minimize, which adds slots and the global step.
 * NULL on error (sticky). */
TFC_API tfc_op *tfc_global_variables_initializer(tfc_graph *g);

/* var = value, var += value, var -= value; the output is the updated variable. */
TFC_API tfc_output tfc_assign(tfc_graph *g, tfc_output var, tfc_output value, const char *name);
TFC_API tfc_output tfc_assign_add(tfc_graph *g, tfc_output var, tfc_output value, const char *name);
TFC_API tfc_output tfc_assign_sub(tfc_graph *g, tfc_output var, tfc_output value, const char *name);

TFC_API tfc_output tfc_identity(tfc_graph *g, tfc_output x, const char *name);
/* An op that does nothing; with control inputs it groups them. NULL on error. */
TFC_API tfc_op *tfc_no_op(tfc_graph *g, const char *name);
TFC_API tfc_op *tfc_group(tfc_graph *g, tfc_op *const *ops, int n, const char *name);

#ifdef __cplusplus
}
#endif
#endif
