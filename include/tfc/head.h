/* tfc — estimator heads: logits and labels to a loss, predictions and
 * evaluation metrics, with TensorFlow's keys (tf.estimator heads).
 *
 * Two parts:
 *  - tfc_head_build appends the loss and the prediction ops to a graph;
 *  - tfc_metrics accumulates evaluation metrics in C, outside the graph,
 *    across evaluation batches, from the values a session returned.
 *
 * Differences from TensorFlow (documented):
 *  - `classes` (strings) is not a graph output: it is made in C from
 *    `class_ids` with tfc_head_classes (tfc has no id-to-string op);
 *    `all_class_ids` / `all_classes` are the constant 0..n-1 and the
 *    vocabulary and are likewise left to the caller.
 *  - label vocabularies are applied by the input pipeline: the head's labels
 *    are already class ids (binary: 0/1).
 */
#ifndef TFC_HEAD_H
#define TFC_HEAD_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tfc_head_kind {
    TFC_HEAD_BINARY = 0,      /* sigmoid cross-entropy, logits [batch, 1] */
    TFC_HEAD_MULTI_CLASS = 1, /* sparse softmax cross-entropy, logits [batch, n_classes] */
    TFC_HEAD_REGRESSION = 2   /* squared error, logits [batch, label_dimension] */
} tfc_head_kind;

/* ---- Heads in the graph ---------------------------------------------------- */

typedef struct tfc_head_outputs tfc_head_outputs;

/* Appends a head to g. n_classes: multi-class >= 3 (2 is accepted too);
 * regression: the label dimension (>= 1); binary: ignored (use 2 or 0).
 * labels: {NULL,0} builds predictions only (serving). Binary labels are 0/1
 * of any real or integer dtype, shape [batch] or [batch, 1] (cast to the
 * logits' dtype); multi-class labels are int32/int64 ids, [batch] or
 * [batch, 1]; regression labels are real, [batch, dim] (or [batch] if dim 1).
 * weights: {NULL,0} for none, else a per-example weight [batch] or [batch, 1].
 * Loss reduction is SUM_OVER_BATCH_SIZE: sum(weight * loss) / #elements.
 * Logits must be float32 or float64. Label values are not checked in the
 * graph (TensorFlow asserts binary labels are 0/1; tfc_metrics_update does).
 * Ops are named under the scope "head". On failure *out is NULL and, when an
 * op constructor failed (e.g. shapes that cannot broadcast), the graph keeps
 * that sticky error (tfc_graph_clear_error to go on). */
TFC_API tfc_code tfc_head_build(tfc_graph *g, tfc_head_kind kind, int n_classes, tfc_output logits,
                                tfc_output labels, tfc_output weights, tfc_head_outputs **out);
TFC_API void tfc_head_outputs_free(tfc_head_outputs *h);

/* Scalar reduced (training) loss; {NULL,0} when built without labels. */
TFC_API tfc_output tfc_head_loss(const tfc_head_outputs *h);
/* Unweighted per-example loss ([batch, 1], regression [batch, dim]), to feed
 * tfc_metrics_update; {NULL,0} when built without labels. */
TFC_API tfc_output tfc_head_example_loss(const tfc_head_outputs *h);
/* Prediction outputs by TensorFlow key: binary "logits", "logistic",
 * "probabilities", "class_ids"; multi-class "logits", "probabilities",
 * "class_ids"; regression "predictions". class_ids are int64 [batch, 1].
 * Unknown key: {NULL,0}. */
TFC_API tfc_output tfc_head_prediction(const tfc_head_outputs *h, const char *key);
TFC_API int tfc_head_num_predictions(const tfc_head_outputs *h);
TFC_API const char *tfc_head_prediction_name(const tfc_head_outputs *h, int i);
TFC_API tfc_output tfc_head_prediction_output(const tfc_head_outputs *h, int i);

/* `classes` from `class_ids` (int32/int64 tensor): a string tensor of the same
 * shape holding vocabulary[id], or the decimal id when vocabulary is NULL.
 * An id outside [0, n_vocabulary) (with a vocabulary) or negative is an error. */
TFC_API tfc_code tfc_head_classes(const tfc_tensor *class_ids, const char *const *vocabulary, int n_vocabulary,
                                  tfc_tensor **out);

/* ---- Evaluation metrics (outside the graph) --------------------------------- */

typedef struct tfc_metrics tfc_metrics;

/* n_classes as for tfc_head_build. Keys, in this (sorted) order:
 *  binary:      accuracy, accuracy_baseline, auc, auc_precision_recall,
 *               average_loss, label/mean, loss, precision, prediction/mean, recall
 *  multi-class: accuracy, average_loss, loss
 *  regression:  average_loss, label/mean, loss, prediction/mean
 * auc / auc_precision_recall follow tf.keras.metrics.AUC(num_thresholds=200,
 * summation_method='interpolation'); precision, recall and accuracy use the
 * threshold 0.5 (positive when p > 0.5, compared in float32; TensorFlow's
 * accuracy uses class_ids, i.e. logit > 0: they differ only when the float32
 * logistic of a tiny positive logit rounds to exactly 0.5). */
TFC_API tfc_code tfc_metrics_new(tfc_head_kind kind, int n_classes, tfc_metrics **out);
TFC_API void tfc_metrics_free(tfc_metrics *m);
TFC_API void tfc_metrics_reset(tfc_metrics *m);

/* Adds one evaluation batch of n examples. Tensors of any real or integer
 * dtype, read in row-major order:
 *  predictions: binary the logistic [n] or [n,1] in [0,1]; multi-class the
 *               probabilities (or logits) [n, n_classes]; regression [n, dim];
 *  labels:      binary 0/1 [n]; multi-class ids in [0, n_classes) [n];
 *               regression [n, dim];
 *  weights:     NULL (all 1) or [n], non-negative;
 *  example_loss: the unweighted per-example loss, [n] (regression [n, dim]);
 *  batch_loss:  the batch's reduced loss (the "loss" metric averages it).
 * Nothing is accumulated when an argument is invalid. */
TFC_API tfc_code tfc_metrics_update(tfc_metrics *m, const tfc_tensor *predictions, const tfc_tensor *labels,
                                    const tfc_tensor *weights, const tfc_tensor *example_loss, double batch_loss);

/* Finalized values. With no examples (or zero total weight) the means are NaN
 * (documented choice; TensorFlow gives 0 for most of them); auc follows Keras
 * (0 when one class is absent). */
TFC_API int tfc_metrics_count(const tfc_metrics *m);
TFC_API const char *tfc_metrics_name(const tfc_metrics *m, int i);
TFC_API double tfc_metrics_value(const tfc_metrics *m, int i);
/* TFC_NOT_FOUND for a key this kind does not have. */
TFC_API tfc_code tfc_metrics_get(const tfc_metrics *m, const char *name, double *value);

/* Exact weighted ROC AUC by sorting (ties count one half): the probability
 * that a positive scores above a negative. labels: nonzero = positive;
 * weights may be NULL. NaN when either class has zero weight. For tests and
 * diagnostics. */
TFC_API tfc_code tfc_metrics_exact_auc(int64_t n, const double *scores, const double *labels, const double *weights,
                                       double *auc);

#ifdef __cplusplus
}
#endif
#endif
