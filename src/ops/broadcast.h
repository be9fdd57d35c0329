/* NumPy broadcasting helpers shared by op families: run-time iteration for
 * kernels (math's element-wise ops, nn's BiasAdd, array's select-like ops)
 * and gradient reduction back to an input's shape. Implemented in math.c. */
#ifndef TFCI_BROADCAST_H
#define TFCI_BROADCAST_H

#include "../graph/graph_internal.h"

#define TFCI_BCAST_MAX_IN 3

/* Elements per parallel chunk: loops below twice this stay on one thread. */
#define TFCI_ELEMENTWISE_GRAIN 16384

/* Up to TFCI_BCAST_MAX_IN run-time shapes broadcast together, with adjacent
 * dimensions merged wherever every input is broadcast (or not) in both: same
 * shapes collapse to rank 1, [n,k] with [k] to rank 2, and so on. */
typedef struct tfci_bcast {
    int nin;
    int out_rank;                   /* the broadcast shape, uncollapsed */
    int64_t out_dims[TFC_MAX_RANK];
    int64_t n;                      /* its element count */
    int rank;                       /* collapsed rank, >= 1 */
    int64_t dims[TFC_MAX_RANK];
    int64_t strides[TFCI_BCAST_MAX_IN][TFC_MAX_RANK]; /* in elements; 0 where broadcast */
} tfci_bcast;

/* Broadcasts nin (1..3) shapes given as dims/ranks. On mismatch sets the
 * thread's error "shapes [2,3] and [4] cannot be broadcast together". */
tfc_code tfci_bcast_init_dims(tfci_bcast *b, int nin, const int64_t *const *dims, const int *ranks);
/* Same for tensors, the error prefixed with k's op. */
tfc_code tfci_bcast_init(tfci_kctx *k, tfci_bcast *b, const tfc_tensor *const *ins, int nin);

/* One run of len consecutive output elements starting at out_off; input i's
 * elements start at in_off[i] and advance by in_step[i] (0 or 1). */
typedef void (*tfci_bcast_row_fn)(void *arg, int64_t out_off, const int64_t *in_off, const int64_t *in_step,
                                  int64_t len);
/* Visits output elements [begin, end) run by run, in order. */
void tfci_bcast_walk(const tfci_bcast *b, int64_t begin, int64_t end, tfci_bcast_row_fn fn, void *arg);
/* Visits all output elements, split across pool when there are many
 * (fn must then be safe to call concurrently on disjoint ranges). */
void tfci_bcast_run(tfci_pool *pool, const tfci_bcast *b, tfci_bcast_row_fn fn, void *arg);

/* Gradients. Whether the static shapes prove input i of op is never
 * broadcast against the op's other inputs (its shape is the output's). */
bool tfci_input_not_broadcast(const tfc_op *op, int i);
/* grad (shaped like op's broadcast output) summed down to input i's
 * run-time shape; grad itself when the static shapes show no broadcasting. */
tfc_output tfci_sum_grad_to_input(tfc_graph *g, const tfc_op *op, int i, tfc_output grad);
/* grad summed over the dimensions where like was broadcast, so it has like's
 * run-time shape (op "_SumToShapeOf"). */
tfc_output tfci_sum_to_shape_of(tfc_graph *g, tfc_output grad, tfc_output like);
/* x broadcast to like's run-time shape (op "_BroadcastToShapeOf"). */
tfc_output tfci_broadcast_to_shape_of(tfc_graph *g, tfc_output x, tfc_output like);

#endif
