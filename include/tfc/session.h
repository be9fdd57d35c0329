/* tfc — sessions: run a graph, hold its variables.
 *
 * A session lends its graph (the graph must outlive it). The graph may grow
 * after the session is made, but not while the session runs.
 * Thread safety: tfc_session_run may be called from several threads at once
 * on one session; tfc_session_new/free may not race with runs.
 */
#ifndef TFC_SESSION_H
#define TFC_SESSION_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_session tfc_session;

typedef struct tfc_session_options {
    size_t size;     /* sizeof(tfc_session_options): lets the struct grow */
    int num_threads; /* threads for one run's kernels; 0 = number of cores. tfc splits
                        matrix products across these threads itself and sets
                        OpenBLAS to one thread (process-wide) so the two pools
                        never oversubscribe the cores */
} tfc_session_options;

#define TFC_SESSION_OPTIONS_INIT {sizeof(tfc_session_options), 0}

/* opts may be NULL for the defaults. */
TFC_API tfc_code tfc_session_new(tfc_graph *g, const tfc_session_options *opts, tfc_session **out);
TFC_API void tfc_session_free(tfc_session *s);

/* Runs the graph: feeds[i] takes the value feed_values[i] (lent, not kept);
 * the values of fetches are returned in fetch_values[i] (owned by the caller:
 * tfc_tensor_free each); targets are run for their effects. The execution
 * plan for one (feeds, fetches, targets) signature is compiled once and cached.
 * On failure no fetch_values are set (all NULL). */
TFC_API tfc_code tfc_session_run(tfc_session *s, const tfc_output *feeds, tfc_tensor *const *feed_values, int nfeeds,
                                 const tfc_output *fetches, tfc_tensor **fetch_values, int nfetches,
                                 tfc_op *const *targets, int ntargets);

/* Current value of a variable op (a copy, owned by the caller). */
TFC_API tfc_code tfc_session_variable_value(tfc_session *s, const tfc_op *variable, tfc_tensor **out);
/* Sets a variable's value (copied); dtype and shape must match the variable. */
TFC_API tfc_code tfc_session_set_variable(tfc_session *s, const tfc_op *variable, const tfc_tensor *value);

/* Number of threads the session uses. */
TFC_API int tfc_session_num_threads(const tfc_session *s);

#ifdef __cplusplus
}
#endif
#endif
