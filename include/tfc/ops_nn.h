/* tfc — typed constructors: neural-network layers and activations.
 * See graph.h for the sticky-error convention; name may be NULL.
 */
#ifndef TFC_OPS_NN_H
#define TFC_OPS_NN_H

#include <stdbool.h>
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a [m,k] x b [k,n] (after optional transposes); float32 and float64 via BLAS. */
TFC_API tfc_output tfc_matmul(tfc_graph *g, tfc_output a, tfc_output b, bool transpose_a, bool transpose_b,
                              const char *name);
/* value [..., c] + bias [c]. */
TFC_API tfc_output tfc_bias_add(tfc_graph *g, tfc_output value, tfc_output bias, const char *name);
TFC_API tfc_output tfc_sigmoid(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_tanh(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_relu(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_relu6(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_elu(tfc_graph *g, tfc_output x, const char *name);
/* x > 0 ? x : alpha * x (TensorFlow's default alpha is 0.2). */
TFC_API tfc_output tfc_leaky_relu(tfc_graph *g, tfc_output x, float alpha, const char *name);
TFC_API tfc_output tfc_softplus(tfc_graph *g, tfc_output x, const char *name);
/* Over the last axis. */
TFC_API tfc_output tfc_softmax(tfc_graph *g, tfc_output logits, const char *name);
TFC_API tfc_output tfc_log_softmax(tfc_graph *g, tfc_output logits, const char *name);
/* tf.nn.dropout: keeps each element with probability 1 - rate and scales kept
 * ones by 1 / (1 - rate); a new mask every run; seed 0 derives from the graph. */
TFC_API tfc_output tfc_dropout(tfc_graph *g, tfc_output x, float rate, int64_t seed, const char *name);

#ifdef __cplusplus
}
#endif
#endif
