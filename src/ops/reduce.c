/* Op family 'reduce': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_reduce_ops[] = {
    {"__placeholder_reduce", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_reduce_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_reduce_sum(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reduce_sum is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_reduce_mean(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                   const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reduce_mean is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_reduce_max(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reduce_max is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_reduce_min(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reduce_min is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_reduce_prod(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                   const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reduce_prod is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_argmax(tfc_graph *g, tfc_output x, int axis, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_argmax is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_argmin(tfc_graph *g, tfc_output x, int axis, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_argmin is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
