/* Op family 'array': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_array_ops[] = {
    {"__placeholder_array", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_array_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_cast(tfc_graph *g, tfc_output x, tfc_dtype to, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_cast is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_reshape(tfc_graph *g, tfc_output x, const int64_t *dims, int rank, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reshape is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_reshape_to(tfc_graph *g, tfc_output x, tfc_output shape, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_reshape_to is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_expand_dims(tfc_graph *g, tfc_output x, int axis, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_expand_dims is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_squeeze(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_squeeze is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_transpose(tfc_graph *g, tfc_output x, const int64_t *perm, int n, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_transpose is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_concat(tfc_graph *g, const tfc_output *xs, int n, int axis, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_concat is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_split(tfc_graph *g, tfc_output x, int axis, int num_split, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_split is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_slice(tfc_graph *g, tfc_output x, const int64_t *begin, const int64_t *size, int n,
                             const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_slice is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_strided_slice(tfc_graph *g, tfc_output x, const int64_t *begin, const int64_t *end,
                                     const int64_t *strides, int n, int64_t begin_mask, int64_t end_mask,
                                     int64_t shrink_axis_mask, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_strided_slice is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_gather(tfc_graph *g, tfc_output params, tfc_output indices, int axis, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_gather is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_tile(tfc_graph *g, tfc_output x, const int64_t *multiples, int n, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_tile is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_shape(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_shape is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_size(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_size is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_fill(tfc_graph *g, const int64_t *dims, int rank, tfc_output value, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_fill is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_zeros_like(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_zeros_like is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_ones_like(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_ones_like is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_one_hot(tfc_graph *g, tfc_output indices, int64_t depth, float on_value, float off_value,
                               tfc_dtype dtype, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_one_hot is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_pad(tfc_graph *g, tfc_output x, const int64_t *paddings, int n, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_pad is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
