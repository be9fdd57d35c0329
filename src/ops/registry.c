/* Finds an op definition by type name across the families' static tables. */
#include <string.h>

#include "registry.h"

typedef struct family {
    const tfci_op_def *defs;
    const int *count;
} family;

static const family families[] = {
    {tfci_state_ops, &tfci_state_ops_count},   {tfci_random_ops, &tfci_random_ops_count},
    {tfci_math_ops, &tfci_math_ops_count},     {tfci_nn_ops, &tfci_nn_ops_count},
    {tfci_reduce_ops, &tfci_reduce_ops_count}, {tfci_array_ops, &tfci_array_ops_count},
    {tfci_loss_ops, &tfci_loss_ops_count},     {tfci_sparse_ops, &tfci_sparse_ops_count},
    {tfci_training_ops, &tfci_training_ops_count}, {tfci_feature_ops, &tfci_feature_ops_count},
};

const tfci_op_def *tfci_op_def_lookup(const char *name)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (int i = 0; i < *families[f].count; i++)
            if (strcmp(families[f].defs[i].name, name) == 0) return &families[f].defs[i];
    return NULL;
}
