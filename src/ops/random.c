/* Op family 'random': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_random_ops[] = {
    {"__placeholder_random", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_random_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_random_uniform(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double minval,
                                      double maxval, int64_t seed, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_random_uniform is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_random_normal(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double mean,
                                     double stddev, int64_t seed, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_random_normal is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_truncated_normal(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double mean,
                                        double stddev, int64_t seed, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_truncated_normal is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_glorot_uniform(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, int64_t seed,
                                      const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_glorot_uniform is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
