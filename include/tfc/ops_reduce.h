/* tfc — typed constructors: reductions and arg-extrema.
 * axes == NULL reduces over all axes (when x's rank is unknown the op gets the
 * attribute reduce_all = true); negative axes count from the end.
 * See graph.h for the sticky-error convention; name may be NULL.
 */
#ifndef TFC_OPS_REDUCE_H
#define TFC_OPS_REDUCE_H

#include <stdbool.h>
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

TFC_API tfc_output tfc_reduce_sum(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name);
TFC_API tfc_output tfc_reduce_mean(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                   const char *name);
TFC_API tfc_output tfc_reduce_max(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name);
TFC_API tfc_output tfc_reduce_min(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name);
TFC_API tfc_output tfc_reduce_prod(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                   const char *name);
/* Index (TFC_INT64) of the largest / smallest value along axis; first on ties. */
TFC_API tfc_output tfc_argmax(tfc_graph *g, tfc_output x, int axis, const char *name);
TFC_API tfc_output tfc_argmin(tfc_graph *g, tfc_output x, int axis, const char *name);

#ifdef __cplusplus
}
#endif
#endif
