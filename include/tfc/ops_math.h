/* tfc — typed constructors: element-wise math, comparison and logic.
 * Binary ops broadcast as NumPy does. See graph.h for the sticky-error
 * convention; name may be NULL. Not thread-safe (graph building).
 */
#ifndef TFC_OPS_MATH_H
#define TFC_OPS_MATH_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

TFC_API tfc_output tfc_add(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_sub(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_mul(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
/* Real division for floats; truncating for integers, division by zero is an error. */
TFC_API tfc_output tfc_div(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_pow(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_maximum(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_minimum(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
/* (x - y)^2 */
TFC_API tfc_output tfc_squared_difference(tfc_graph *g, tfc_output x, tfc_output y, const char *name);

TFC_API tfc_output tfc_neg(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_abs(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_sign(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_square(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_sqrt(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_rsqrt(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_exp(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_log(tfc_graph *g, tfc_output x, const char *name);
TFC_API tfc_output tfc_log1p(tfc_graph *g, tfc_output x, const char *name);

/* Sum of n tensors of one dtype and shape (no broadcasting). */
TFC_API tfc_output tfc_add_n(tfc_graph *g, const tfc_output *xs, int n, const char *name);

/* Comparisons give TFC_BOOL. */
TFC_API tfc_output tfc_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_not_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_less(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_less_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_greater(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_greater_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_logical_and(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_logical_or(tfc_graph *g, tfc_output x, tfc_output y, const char *name);
TFC_API tfc_output tfc_logical_not(tfc_graph *g, tfc_output x, const char *name);
/* cond ? x : y element-wise, broadcasting all three ("SelectV2"). */
TFC_API tfc_output tfc_select(tfc_graph *g, tfc_output cond, tfc_output x, tfc_output y, const char *name);

#ifdef __cplusplus
}
#endif
#endif
