/* Optimizers: see train.h. */
#include "../graph/graph_internal.h"
