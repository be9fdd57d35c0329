/* The op registry: one static table per op family, joined in registry.c. */
#ifndef TFCI_REGISTRY_H
#define TFCI_REGISTRY_H

#include "../graph/graph_internal.h"

#define TFCI_FAMILY(fam)                                                                                           \
    extern const tfci_op_def tfci_##fam##_ops[];                                                                   \
    extern const int tfci_##fam##_ops_count;

TFCI_FAMILY(state)
TFCI_FAMILY(random)
TFCI_FAMILY(math)
TFCI_FAMILY(nn)
TFCI_FAMILY(reduce)
TFCI_FAMILY(array)
TFCI_FAMILY(loss)
TFCI_FAMILY(sparse)
TFCI_FAMILY(training)
TFCI_FAMILY(feature)

#endif
