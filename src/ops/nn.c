/* Op family 'nn': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_nn_ops[] = {
    {"__placeholder_nn", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_nn_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_matmul(tfc_graph *g, tfc_output a, tfc_output b, bool transpose_a, bool transpose_b,
                              const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_matmul is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_bias_add(tfc_graph *g, tfc_output value, tfc_output bias, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_bias_add is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sigmoid(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sigmoid is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_tanh(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_tanh is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_relu(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_relu is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_relu6(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_relu6 is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_elu(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_elu is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_leaky_relu(tfc_graph *g, tfc_output x, float alpha, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_leaky_relu is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_softplus(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_softplus is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_softmax(tfc_graph *g, tfc_output logits, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_softmax is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_log_softmax(tfc_graph *g, tfc_output logits, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_log_softmax is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_dropout(tfc_graph *g, tfc_output x, float rate, int64_t seed, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_dropout is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
