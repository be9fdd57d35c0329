/* Op family 'loss': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_loss_ops[] = {
    {"__placeholder_loss", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_loss_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_softmax_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                         const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_softmax_cross_entropy_with_logits is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sparse_softmax_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                                const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sparse_softmax_cross_entropy_with_logits is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sigmoid_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                         const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sigmoid_cross_entropy_with_logits is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_l2_loss(tfc_graph *g, tfc_output t, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_l2_loss is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
