/* tfc — typed constructors: losses. Each returns the per-example loss;
 * reduce it (tfc_reduce_mean) for a scalar objective.
 * See graph.h for the sticky-error convention; name may be NULL.
 */
#ifndef TFC_OPS_LOSS_H
#define TFC_OPS_LOSS_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* labels and logits [batch, classes]; labels are distributions. Result [batch]. */
TFC_API tfc_output tfc_softmax_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                         const char *name);
/* labels int32/int64 [batch] in [0, classes); out of range is an error. Result [batch]. */
TFC_API tfc_output tfc_sparse_softmax_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                                const char *name);
/* Element-wise, numerically stable: max(x,0) - x*z + log(1 + exp(-|x|)). */
TFC_API tfc_output tfc_sigmoid_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                         const char *name);
/* sum(t^2) / 2, a scalar. */
TFC_API tfc_output tfc_l2_loss(tfc_graph *g, tfc_output t, const char *name);

#ifdef __cplusplus
}
#endif
#endif
