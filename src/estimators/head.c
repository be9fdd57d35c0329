/* Estimator heads in the graph: logits and labels to the training loss
 * (SUM_OVER_BATCH_SIZE reduction, optional weight column) and the prediction
 * outputs under TensorFlow's keys (head/binary_class_head.py,
 * multi_class_head.py, regression_head.py). Built from existing typed ops
 * only, so gradients come for free. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "tfc/head.h"
#include "tfc/ops_array.h"
#include "tfc/ops_loss.h"
#include "tfc/ops_math.h"
#include "tfc/ops_nn.h"
#include "tfc/ops_reduce.h"
#include "tfc/ops_state.h"

#define MAX_PRED 4

struct tfc_head_outputs {
    tfc_output loss;
    tfc_output example_loss;
    int npred;
    const char *names[MAX_PRED];
    tfc_output preds[MAX_PRED];
};

static bool has(tfc_output o) { return o.op != NULL; }

static void add_pred(tfc_head_outputs *h, const char *name, tfc_output o)
{
    h->names[h->npred] = name;
    h->preds[h->npred] = o;
    h->npred++;
}

static tfc_output scalar(tfc_graph *g, tfc_dtype dt, double v, const char *name)
{
    return dt == TFC_DOUBLE ? tfc_const_double(g, v, name) : tfc_const_float(g, (float)v, name);
}

/* Casts x to dt unless it already has it. */
static tfc_output cast_to(tfc_graph *g, tfc_output x, tfc_dtype dt, const char *name)
{
    return tfc_output_dtype(x) == dt ? x : tfc_cast(g, x, dt, name);
}

/* Weighted SUM_OVER_BATCH_SIZE reduction: mean over all elements of w * loss. */
static tfc_output reduce_loss(tfc_graph *g, tfc_output example_loss, tfc_output weights, tfc_dtype dt)
{
    tfc_output l = example_loss;
    if (has(weights)) {
        static const int64_t col[2] = {-1, 1};
        tfc_output w = tfc_reshape(g, cast_to(g, weights, dt, "weights_cast"), col, 2, "weights_column");
        l = tfc_mul(g, l, w, "weighted_loss");
    }
    return tfc_reduce_mean(g, l, NULL, 0, false, "loss");
}

static tfc_code build(tfc_graph *g, tfc_head_kind kind, int n_classes, tfc_output logits, tfc_output labels,
                      tfc_output weights, tfc_head_outputs *h)
{
    tfc_dtype dt = tfc_output_dtype(logits);
    if (dt != TFC_FLOAT && dt != TFC_DOUBLE)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: logits must be float32 or float64, got %s",
                          tfc_dtype_name(dt));
    int64_t dims[TFC_MAX_RANK];
    int rank;
    tfc_code c = tfc_graph_output_shape(g, logits, dims, &rank);
    if (c != TFC_OK) return c;
    int64_t width;
    switch (kind) {
    case TFC_HEAD_BINARY:
        if (n_classes != 0 && n_classes != 2)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: binary head needs n_classes 2 (or 0), got %d",
                              n_classes);
        width = 1;
        break;
    case TFC_HEAD_MULTI_CLASS:
        if (n_classes < 2)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: multi-class head needs n_classes >= 2, got %d",
                              n_classes);
        width = n_classes;
        break;
    case TFC_HEAD_REGRESSION:
        if (n_classes < 1)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_head_build: regression head needs a label dimension >= 1, got %d", n_classes);
        width = n_classes;
        break;
    default: return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: unknown head kind %d", (int)kind);
    }
    if (rank >= 0 && (rank != 2 || (dims[1] >= 0 && dims[1] != width)))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: logits must have shape [batch, %" PRId64 "], got rank %d%s",
                          width, rank, rank == 2 ? " with another last dimension" : "");
    if (has(labels)) {
        tfc_dtype ld = tfc_output_dtype(labels);
        bool ok = kind == TFC_HEAD_MULTI_CLASS ? (ld == TFC_INT32 || ld == TFC_INT64)
                                               : (ld != TFC_STRING && ld != TFC_INVALID_DTYPE);
        if (!ok)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: labels must be %s, got %s",
                              kind == TFC_HEAD_MULTI_CLASS ? "int32 or int64 class ids" : "numeric",
                              tfc_dtype_name(ld));
    }
    if (has(weights)) {
        tfc_dtype wd = tfc_output_dtype(weights);
        if (wd == TFC_STRING || wd == TFC_BOOL || wd == TFC_INVALID_DTYPE)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: weights must be numeric, got %s",
                              tfc_dtype_name(wd));
    }

    add_pred(h, kind == TFC_HEAD_REGRESSION ? "predictions" : "logits", logits);
    const int64_t col[2] = {-1, 1};
    switch (kind) {
    case TFC_HEAD_BINARY: {
        tfc_output p = tfc_sigmoid(g, logits, "logistic");
        /* sigmoid(-x) rather than 1 - p: softmax([0, x])[0] without cancellation. */
        tfc_output q = tfc_sigmoid(g, tfc_neg(g, logits, "neg_logits"), "one_minus_logistic");
        tfc_output pq[2] = {q, p};
        add_pred(h, "logistic", p);
        add_pred(h, "probabilities", tfc_concat(g, pq, 2, 1, "probabilities"));
        /* argmax of [0, logit]: class 1 iff logit > 0 (ties go to class 0). */
        tfc_output pos = tfc_greater(g, logits, scalar(g, dt, 0.0, "zero"), "positive");
        add_pred(h, "class_ids", tfc_cast(g, pos, TFC_INT64, "class_ids"));
        if (has(labels)) {
            tfc_output y = tfc_reshape(g, cast_to(g, labels, dt, "labels_cast"), col, 2, "labels_column");
            h->example_loss = tfc_sigmoid_cross_entropy_with_logits(g, y, logits, "example_loss");
        }
        break;
    }
    case TFC_HEAD_MULTI_CLASS: {
        add_pred(h, "probabilities", tfc_softmax(g, logits, "probabilities"));
        tfc_output ids = tfc_argmax(g, logits, 1, "argmax");
        add_pred(h, "class_ids", tfc_reshape(g, ids, col, 2, "class_ids"));
        if (has(labels)) {
            const int64_t flat[1] = {-1};
            tfc_output y = tfc_reshape(g, labels, flat, 1, "labels_flat");
            tfc_output l = tfc_sparse_softmax_cross_entropy_with_logits(g, y, logits, "xent");
            h->example_loss = tfc_reshape(g, l, col, 2, "example_loss");
        }
        break;
    }
    case TFC_HEAD_REGRESSION:
        if (has(labels)) {
            const int64_t shape[2] = {-1, width};
            tfc_output y = tfc_reshape(g, cast_to(g, labels, dt, "labels_cast"), shape, 2, "labels_2d");
            h->example_loss = tfc_squared_difference(g, logits, y, "example_loss");
        }
        break;
    }
    if (has(labels)) h->loss = reduce_loss(g, h->example_loss, weights, dt);
    return TFC_OK;
}

tfc_code tfc_head_build(tfc_graph *g, tfc_head_kind kind, int n_classes, tfc_output logits, tfc_output labels,
                        tfc_output weights, tfc_head_outputs **out)
{
    if (!g || !out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: graph or out is NULL");
    *out = NULL;
    if (!has(logits)) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_build: logits is missing");
    if (tfc_graph_status(g) != TFC_OK)
        return tfci_error(tfc_graph_status(g), "tfc_head_build: the graph already has an error: %s",
                          tfc_graph_error_message(g));
    tfc_head_outputs *h = calloc(1, sizeof *h);
    if (!h) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_head_build: out of memory");
    tfc_code c = tfc_graph_push_name_scope(g, "head");
    if (c != TFC_OK) {
        free(h);
        return c;
    }
    c = build(g, kind, n_classes, logits, labels, weights, h);
    tfc_graph_pop_name_scope(g);
    if (c == TFC_OK && tfc_graph_status(g) != TFC_OK)
        c = tfci_error(tfc_graph_status(g), "tfc_head_build: %s", tfc_graph_error_message(g));
    if (c != TFC_OK) {
        free(h);
        return c;
    }
    *out = h;
    return TFC_OK;
}

void tfc_head_outputs_free(tfc_head_outputs *h) { free(h); }

tfc_output tfc_head_loss(const tfc_head_outputs *h) { return h ? h->loss : (tfc_output){NULL, 0}; }

tfc_output tfc_head_example_loss(const tfc_head_outputs *h) { return h ? h->example_loss : (tfc_output){NULL, 0}; }

tfc_output tfc_head_prediction(const tfc_head_outputs *h, const char *key)
{
    if (h && key)
        for (int i = 0; i < h->npred; i++)
            if (strcmp(h->names[i], key) == 0) return h->preds[i];
    return (tfc_output){NULL, 0};
}

int tfc_head_num_predictions(const tfc_head_outputs *h) { return h ? h->npred : 0; }

const char *tfc_head_prediction_name(const tfc_head_outputs *h, int i)
{
    return h && i >= 0 && i < h->npred ? h->names[i] : NULL;
}

tfc_output tfc_head_prediction_output(const tfc_head_outputs *h, int i)
{
    return h && i >= 0 && i < h->npred ? h->preds[i] : (tfc_output){NULL, 0};
}

tfc_code tfc_head_classes(const tfc_tensor *class_ids, const char *const *vocabulary, int n_vocabulary,
                          tfc_tensor **out)
{
    if (!class_ids || !out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_classes: NULL argument");
    *out = NULL;
    tfc_dtype dt = tfc_tensor_dtype(class_ids);
    if (dt != TFC_INT32 && dt != TFC_INT64)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_classes: class_ids must be int32 or int64, got %s",
                          tfc_dtype_name(dt));
    if (vocabulary && n_vocabulary < 1)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_classes: empty vocabulary");
    int64_t n = tfc_tensor_num_elements(class_ids);
    const void *d = tfc_tensor_data(class_ids);
    /* One block: string pointers, lengths, then the decimal texts (21 bytes each). */
    size_t cnt = n > 0 ? (size_t)n : 1;
    char **strs = malloc(cnt * (sizeof(char *) + sizeof(size_t) + 21));
    if (!strs) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_head_classes: out of memory");
    size_t *lens = (size_t *)(strs + cnt);
    char *text = (char *)(lens + cnt);
    for (int64_t i = 0; i < n; i++) {
        int64_t id = dt == TFC_INT32 ? ((const int32_t *)d)[i] : ((const int64_t *)d)[i];
        if (id < 0 || (vocabulary && id >= n_vocabulary)) {
            free(strs);
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_head_classes: class id %" PRId64 " at %" PRId64
                                                    " is outside [0, %d)", id, i, vocabulary ? n_vocabulary : INT32_MAX);
        }
        if (vocabulary) {
            strs[i] = (char *)vocabulary[id];
        } else {
            strs[i] = text + 21 * i;
            snprintf(strs[i], 21, "%" PRId64, id);
        }
        lens[i] = strlen(strs[i]);
    }
    tfc_code c = tfc_tensor_new_strings(tfc_tensor_dims(class_ids), tfc_tensor_rank(class_ids),
                                        (const char *const *)strs, lens, out);
    free(strs);
    return c;
}
