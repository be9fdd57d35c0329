/* tfc — optimizers. Each appends update ops to a graph, TensorFlow 1.x style:
 * tfc_optimizer_minimize(loss) adds the gradients, one update per variable and
 * an increment of the global step, grouped in one target op to run.
 * Update rules follow TensorFlow's kernels (training_ops.cc); sparse gradients
 * (embedding lookups, Gather) update only the touched rows, duplicates summed.
 * Thread safety: an optimizer object may be used by one graph-building thread.
 */
#ifndef TFC_TRAIN_H
#define TFC_TRAIN_H

#include <stdbool.h>
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_optimizer tfc_optimizer;

/* w -= lr * g */
TFC_API tfc_code tfc_optimizer_gradient_descent_new(double learning_rate, tfc_optimizer **out);
/* accum = momentum * accum + g; w -= lr * accum (Nesterov: w -= lr * (g + momentum * accum)). */
TFC_API tfc_code tfc_optimizer_momentum_new(double learning_rate, double momentum, bool use_nesterov,
                                            tfc_optimizer **out);
/* accum += g^2; w -= lr * g / sqrt(accum) (epsilon 0: TensorFlow 1.x ApplyAdagrad),
 * or lr * g / (sqrt(accum) + epsilon) (epsilon > 0: ApplyAdagradV2). accum starts
 * at initial_accumulator_value (TensorFlow's default 0.1). */
TFC_API tfc_code tfc_optimizer_adagrad_new(double learning_rate, double initial_accumulator_value, double epsilon,
                                           tfc_optimizer **out);

/* FTRL-Proximal (McMahan et al. 2013) with TensorFlow's parameters. */
typedef struct tfc_ftrl_options {
    size_t size;                        /* sizeof(tfc_ftrl_options) */
    double learning_rate;               /* default 0.2, the canned linear models' rate */
    double learning_rate_power;         /* default -0.5; must be <= 0 */
    double initial_accumulator_value;   /* default 0.1; must be > 0 */
    double l1_regularization_strength;  /* default 0 */
    double l2_regularization_strength;  /* default 0 */
    double l2_shrinkage_regularization_strength; /* default 0; > 0 uses FtrlV2 */
    double beta;                        /* default 0; folded into l2 as TensorFlow does */
} tfc_ftrl_options;
#define TFC_FTRL_OPTIONS_INIT {sizeof(tfc_ftrl_options), 0.2, -0.5, 0.1, 0.0, 0.0, 0.0, 0.0}
TFC_API tfc_code tfc_optimizer_ftrl_new(const tfc_ftrl_options *opts, tfc_optimizer **out);

/* Adam (Kingma and Ba) as TensorFlow's ApplyAdam: lr_t = lr * sqrt(1-b2^t)/(1-b1^t). */
TFC_API tfc_code tfc_optimizer_adam_new(double learning_rate, double beta1, double beta2, double epsilon,
                                        tfc_optimizer **out);

TFC_API void tfc_optimizer_free(tfc_optimizer *opt);
/* "GradientDescent", "Momentum", "Adagrad", "Ftrl", "Adam"; static storage. */
TFC_API const char *tfc_optimizer_name(const tfc_optimizer *opt);

/* The int64 scalar variable "global_step" (initial 0, not trainable), made on first use. */
TFC_API tfc_code tfc_train_global_step(tfc_graph *g, tfc_output *out);

/* Appends gradients of the scalar loss with respect to vars (n variable
 * outputs; vars NULL and n 0 for every trainable variable) and their updates.
 * *train_op runs all updates and then increments the global step (pass
 * increment_global_step false to leave it alone). Updates wait for every
 * gradient, so no variable changes before all gradients are computed. */
TFC_API tfc_code tfc_optimizer_minimize(tfc_optimizer *opt, tfc_graph *g, tfc_output loss, const tfc_output *vars,
                                        int n, bool increment_global_step, tfc_op **train_op);

/* Appends updates for given (possibly sparse) gradients: grads[i] for vars[i]. */
TFC_API tfc_code tfc_optimizer_apply_gradients(tfc_optimizer *opt, tfc_graph *g, const tfc_gradient *grads,
                                               const tfc_output *vars, int n, bool increment_global_step,
                                               tfc_op **train_op);

/* The slot variable an optimizer made for var: "accumulator" (Adagrad, and
 * FTRL's, also named "accum"), "linear" (FTRL), "momentum", "m", "v" (Adam);
 * Adam's "beta1_power" and "beta2_power" for any var of their dtype. NULL if
 * none. Lent from the graph. */
TFC_API tfc_op *tfc_optimizer_slot(const tfc_optimizer *opt, const tfc_op *var, const char *slot_name);

#ifdef __cplusplus
}
#endif
#endif
