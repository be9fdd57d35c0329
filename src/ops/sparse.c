/* Op family 'sparse': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_sparse_ops[] = {
    {"__placeholder_sparse", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_sparse_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_sparse_segment_sum(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                          const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sparse_segment_sum is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sparse_segment_mean(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                           const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sparse_segment_mean is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sparse_segment_sqrtn(tfc_graph *g, tfc_output data, tfc_output indices,
                                            tfc_output segment_ids, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sparse_segment_sqrtn is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_unsorted_segment_sum(tfc_graph *g, tfc_output data, tfc_output segment_ids,
                                            tfc_output num_segments, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_unsorted_segment_sum is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_embedding_lookup_sparse(tfc_graph *g, tfc_output params, tfc_output ids,
                                               tfc_output segment_ids, tfc_output weights, tfc_output num_segments,
                                               tfc_combiner combiner, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_embedding_lookup_sparse is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
