/* Op family 'math': definitions, kernels, gradients and typed constructors. */
#include "registry.h"

const tfci_op_def tfci_math_ops[] = {
    {"__placeholder_math", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_math_ops_count = 0;

/* ---- typed constructors (stubs until implemented) ---- */

TFC_API tfc_output tfc_add(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_add is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sub(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sub is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_mul(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_mul is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_div(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_div is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_pow(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_pow is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_maximum(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_maximum is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_minimum(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_minimum is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_squared_difference(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_squared_difference is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_neg(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_neg is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_abs(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_abs is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sign(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sign is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_square(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_square is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_sqrt(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_sqrt is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_rsqrt(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_rsqrt is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_exp(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_exp is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_log(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_log is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_log1p(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_log1p is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_add_n(tfc_graph *g, const tfc_output *xs, int n, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_add_n is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_equal is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_not_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_not_equal is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_less(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_less is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_less_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_less_equal is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_greater(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_greater is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_greater_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_greater_equal is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_logical_and(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_logical_and is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_logical_or(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_logical_or is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_logical_not(tfc_graph *g, tfc_output x, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_logical_not is not implemented yet"));
    return TFCI_NO_OUTPUT;
}

TFC_API tfc_output tfc_select(tfc_graph *g, tfc_output cond, tfc_output x, tfc_output y, const char *name)
{
    tfci_graph_fail(g, tfci_error(TFC_UNIMPLEMENTED, "tfc_select is not implemented yet"));
    return TFCI_NO_OUTPUT;
}
