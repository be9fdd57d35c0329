/* Op family 'feature': ops that turn raw features into ids (see ops_feature.h). */
#include "registry.h"

const tfci_op_def tfci_feature_ops[] = {
    {"__placeholder_feature", 0, 0, NULL, NULL, NULL, 0},
};
const int tfci_feature_ops_count = 0;
