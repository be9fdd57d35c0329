/* tfc — dataflow graphs: operations, attributes, shapes, name scopes, gradients.
 *
 * A graph owns its operations; tfc_op pointers are lent and stay valid until
 * tfc_graph_free. Building a graph is NOT thread-safe: one thread at a time may
 * add operations, and not while a session on the graph is running.
 *
 * Two ways to add operations:
 *  - the generic builder (tfc_op_builder_*), which returns tfc_code like every
 *    fallible call, for any registered op type;
 *  - the typed constructors of ops_*.h (tfc_matmul, tfc_relu, ...), which
 *    return a tfc_output. They keep the graph's first error ("sticky"): after a
 *    failure they return {NULL, 0} and do nothing until tfc_graph_clear_error.
 *    Check tfc_graph_status() once after building.
 */
#ifndef TFC_GRAPH_H
#define TFC_GRAPH_H

#include <stdbool.h>
#include "common.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_graph tfc_graph;
typedef struct tfc_op tfc_op;
typedef struct tfc_op_builder tfc_op_builder;

/* One output of an operation. Frozen: passed by value across the ABI. */
typedef struct tfc_output {
    tfc_op *op;
    int index;
} tfc_output;

TFC_API tfc_code tfc_graph_new(tfc_graph **out);
TFC_API void tfc_graph_free(tfc_graph *g);

/* Sticky error of the typed constructors: TFC_OK, or the first failure's code.
 * tfc_graph_error_message lends its message ("" when OK). */
TFC_API tfc_code tfc_graph_status(const tfc_graph *g);
TFC_API const char *tfc_graph_error_message(const tfc_graph *g);
TFC_API void tfc_graph_clear_error(tfc_graph *g);

/* Graph-level random seed: ops whose seed attributes are 0 derive theirs from
 * it and their creation order, so a graph is reproducible. Default 0. */
TFC_API void tfc_graph_set_seed(tfc_graph *g, int64_t seed);

/* Name scopes: names of new ops are prefixed with "scope/". Scopes nest. */
TFC_API tfc_code tfc_graph_push_name_scope(tfc_graph *g, const char *scope);
TFC_API tfc_code tfc_graph_pop_name_scope(tfc_graph *g);

/* Lookup by full name; NULL if absent. */
TFC_API tfc_op *tfc_graph_op_by_name(const tfc_graph *g, const char *name);
/* Iteration in creation order: start *pos at 0; NULL at the end. */
TFC_API tfc_op *tfc_graph_next_op(const tfc_graph *g, size_t *pos);
TFC_API size_t tfc_graph_num_ops(const tfc_graph *g);

/* Static shape of an output: *rank = -1 when unknown; dims[i] = -1 for an
 * unknown dimension. dims must hold TFC_MAX_RANK entries. */
TFC_API tfc_code tfc_graph_output_shape(const tfc_graph *g, tfc_output o, int64_t *dims, int *rank);
TFC_API tfc_dtype tfc_output_dtype(tfc_output o);

/* Operation accessors (lent strings). */
TFC_API const char *tfc_op_name(const tfc_op *op);
TFC_API const char *tfc_op_type(const tfc_op *op);
TFC_API int tfc_op_num_inputs(const tfc_op *op);
TFC_API tfc_output tfc_op_input(const tfc_op *op, int i);
TFC_API int tfc_op_num_outputs(const tfc_op *op);
TFC_API int tfc_op_num_control_inputs(const tfc_op *op);
TFC_API tfc_op *tfc_op_control_input(const tfc_op *op, int i);
TFC_API tfc_output tfc_op_output(tfc_op *op, int i);

/* Attribute reading. TFC_NOT_FOUND when the op has no such attribute,
 * TFC_INVALID_ARGUMENT when it has another type. */
TFC_API tfc_code tfc_op_attr_int(const tfc_op *op, const char *name, int64_t *out);
TFC_API tfc_code tfc_op_attr_float(const tfc_op *op, const char *name, float *out);
TFC_API tfc_code tfc_op_attr_bool(const tfc_op *op, const char *name, bool *out);
TFC_API tfc_code tfc_op_attr_type(const tfc_op *op, const char *name, tfc_dtype *out);
/* Lends the string. */
TFC_API tfc_code tfc_op_attr_string(const tfc_op *op, const char *name, const char **out);
/* dims must hold TFC_MAX_RANK entries; *rank = -1 for an unknown-rank shape. */
TFC_API tfc_code tfc_op_attr_shape(const tfc_op *op, const char *name, int64_t *dims, int *rank);
/* Lends the tensor. */
TFC_API tfc_code tfc_op_attr_tensor(const tfc_op *op, const char *name, const tfc_tensor **out);
/* Lends the list. */
TFC_API tfc_code tfc_op_attr_int_list(const tfc_op *op, const char *name, const int64_t **values, int *n);

/* ---- Generic builder ---------------------------------------------------- */

/* Starts an operation of a registered type. name may be NULL (the type is
 * used); names are made unique by suffixes "_1", "_2", ... Never returns NULL
 * unless out of memory; errors surface in tfc_op_builder_finish. */
TFC_API tfc_op_builder *tfc_op_builder_new(tfc_graph *g, const char *type, const char *name);
TFC_API void tfc_op_builder_add_input(tfc_op_builder *b, tfc_output in);
TFC_API void tfc_op_builder_add_inputs(tfc_op_builder *b, const tfc_output *ins, int n);
TFC_API void tfc_op_builder_add_control_input(tfc_op_builder *b, tfc_op *op);
TFC_API void tfc_op_builder_set_attr_int(tfc_op_builder *b, const char *name, int64_t v);
TFC_API void tfc_op_builder_set_attr_float(tfc_op_builder *b, const char *name, float v);
TFC_API void tfc_op_builder_set_attr_bool(tfc_op_builder *b, const char *name, bool v);
TFC_API void tfc_op_builder_set_attr_type(tfc_op_builder *b, const char *name, tfc_dtype v);
TFC_API void tfc_op_builder_set_attr_string(tfc_op_builder *b, const char *name, const char *v);
/* rank -1 for unknown rank; dims[i] -1 for an unknown dimension. */
TFC_API void tfc_op_builder_set_attr_shape(tfc_op_builder *b, const char *name, const int64_t *dims, int rank);
/* The tensor is copied. */
TFC_API void tfc_op_builder_set_attr_tensor(tfc_op_builder *b, const char *name, const tfc_tensor *t);
TFC_API void tfc_op_builder_set_attr_int_list(tfc_op_builder *b, const char *name, const int64_t *v, int n);
TFC_API void tfc_op_builder_set_attr_float_list(tfc_op_builder *b, const char *name, const float *v, int n);
TFC_API void tfc_op_builder_set_attr_type_list(tfc_op_builder *b, const char *name, const tfc_dtype *v, int n);
TFC_API void tfc_op_builder_set_attr_string_list(tfc_op_builder *b, const char *name, const char *const *v, int n);
/* Validates (input count and dtypes, attributes, shapes), adds the op and
 * frees the builder whatever the outcome. *out may be NULL. */
TFC_API tfc_code tfc_op_builder_finish(tfc_op_builder *b, tfc_op **out);
/* Frees an unfinished builder. */
TFC_API void tfc_op_builder_abandon(tfc_op_builder *b);

/* ---- Automatic differentiation -------------------------------------------- */

/* Appends to g the symbolic gradients of sum(ys) (weighted by dys, or by ones
 * when dys is NULL) with respect to xs, as TensorFlow's TF_AddGradients does.
 * dxs[i].op is NULL when xs[i] does not influence ys. Sparse gradients are
 * made dense here (see tfc_graph_add_gradients_sparse). Gradients through an
 * op with no gradient function fail, naming that op. */
TFC_API tfc_code tfc_graph_add_gradients(tfc_graph *g, const tfc_output *ys, int ny, const tfc_output *xs, int nx,
                                         const tfc_output *dys, tfc_output *dxs);

/* A gradient that may be sparse. Frozen. Dense: dense set, indices/values
 * {NULL,0}. Sparse (embedding lookups, Gather): rows values[k] belong to row
 * indices[k] of x (indices may repeat); dense {NULL,0}. All {NULL,0}: no path. */
typedef struct tfc_gradient {
    tfc_output dense;
    tfc_output indices;
    tfc_output values;
} tfc_gradient;

TFC_API tfc_code tfc_graph_add_gradients_sparse(tfc_graph *g, const tfc_output *ys, int ny, const tfc_output *xs,
                                                int nx, const tfc_output *dys, tfc_gradient *dxs);

#ifdef __cplusplus
}
#endif
#endif
