/* tfc — an embeddable machine-learning core: the umbrella header. */
#ifndef TFC_TFC_H
#define TFC_TFC_H

#include "common.h"
#include "tensor.h"
#include "graph.h"
#include "session.h"
#include "ops_state.h"
#include "ops_math.h"
#include "ops_nn.h"
#include "ops_reduce.h"
#include "ops_array.h"
#include "ops_loss.h"
#include "ops_sparse.h"
#include "ops_feature.h"
#include "train.h"
#include "idx.h"
#include "input.h"
#include "head.h"
#include "feature_column.h"
#include "graph_def.h"
#include "saved_model.h"
#include "saver.h"
#include "summary.h"
#include "estimator.h"

#endif
