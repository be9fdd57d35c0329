/* The canned models' graphs (TensorFlow's linear, dnn, dnn_linear_combined
 * and baseline model_fns): raw-feature placeholders -> logits -> head, plus
 * the training op with one optimizer per part in train mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"
#include "tfc/ops_array.h"
#include "tfc/ops_math.h"
#include "tfc/ops_nn.h"
#include "tfc/ops_state.h"
#include "tfc/train.h"

static bool has(tfc_output o) { return o.op != NULL; }

tfc_head_kind tfci_model_head_kind(const tfc_estimator_options *o, int *head_n)
{
    if (o->regressor) {
        *head_n = o->label_dimension;
        return TFC_HEAD_REGRESSION;
    }
    *head_n = o->n_classes;
    return o->n_classes == 2 ? TFC_HEAD_BINARY : TFC_HEAD_MULTI_CLASS;
}

/* The graph's sticky error as this call's error. */
static tfc_code graph_failed(tfc_graph *g, const char *what)
{
    tfc_code c = tfc_graph_status(g);
    if (!c) c = TFC_INTERNAL;
    return tfci_error(c, "building the %s: %s", what, tfc_graph_error_message(g));
}

static tfc_output activate(tfc_graph *g, tfc_activation a, tfc_output x)
{
    switch (a) {
    case TFC_ACTIVATION_TANH: return tfc_tanh(g, x, "Tanh");
    case TFC_ACTIVATION_SIGMOID: return tfc_sigmoid(g, x, "Sigmoid");
    case TFC_ACTIVATION_ELU: return tfc_elu(g, x, "Elu");
    case TFC_ACTIVATION_RELU6: return tfc_relu6(g, x, "Relu6");
    case TFC_ACTIVATION_LEAKY_RELU: return tfc_leaky_relu(g, x, 0.2f, "LeakyRelu");
    default: return tfc_relu(g, x, "Relu");
    }
}

/* A dense layer in scope `scope`: kernel (Glorot uniform, as Keras' Dense)
 * and bias (zeros) named like TensorFlow's "dnn/hiddenlayer_0/kernel". */
static tfc_output dense_layer(tfc_graph *g, const char *scope, tfc_output x, int64_t in, int64_t units)
{
    if (tfc_graph_push_name_scope(g, scope)) return (tfc_output){NULL, 0};
    int64_t kdims[2] = {in, units};
    tfc_output kernel = tfc_variable(g, tfc_glorot_uniform(g, TFC_FLOAT, kdims, 2, 0, "kernel_init"), "kernel");
    tfc_output bias = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, &units, 1, "bias_init"), "bias");
    tfc_output y = tfc_bias_add(g, tfc_matmul(g, x, kernel, false, false, "MatMul"), bias, "BiasAdd");
    tfc_graph_pop_name_scope(g);
    return y;
}

/* The DNN logits: input layer, hidden layers with dropout in training, and
 * the output layer, under "dnn/". */
static tfc_code dnn_logits(const tfc_estimator_options *o, tfci_mode mode, tfci_model *m, int64_t units,
                           tfc_output *out)
{
    tfc_graph *g = m->g;
    tfc_code c = tfc_graph_push_name_scope(g, "dnn");
    if (c) return c;
    tfc_output x;
    c = tfc_input_layer(g, m->features, o->dnn_feature_columns, o->n_dnn_feature_columns, &x);
    if (!c) {
        int64_t dims[TFC_MAX_RANK];
        int rank;
        c = tfc_graph_output_shape(g, x, dims, &rank);
        int64_t in = rank == 2 ? dims[1] : -1;
        char scope[32];
        for (int i = 0; !c && i < o->n_hidden_units; i++) {
            snprintf(scope, sizeof scope, "hiddenlayer_%d", i);
            x = activate(g, o->activation, dense_layer(g, scope, x, in, o->hidden_units[i]));
            in = o->hidden_units[i];
            if (mode == TFCI_MODE_TRAIN && o->dropout > 0) x = tfc_dropout(g, x, (float)o->dropout, 0, "dropout");
        }
        if (!c) *out = dense_layer(g, "logits", x, in, units);
    }
    tfc_graph_pop_name_scope(g);
    if (!c && tfc_graph_status(g)) c = graph_failed(g, "DNN");
    return c;
}

static tfc_code linear_logits(const tfc_estimator_options *o, tfci_model *m, int64_t units, bool scoped,
                              tfc_output *out)
{
    tfc_graph *g = m->g;
    tfc_code c = scoped ? tfc_graph_push_name_scope(g, "linear") : TFC_OK;
    if (c) return c;
    c = tfc_linear_model(g, m->features, o->linear_feature_columns, o->n_linear_feature_columns, units, out);
    if (scoped) tfc_graph_pop_name_scope(g);
    return c;
}

/* Baseline: a bias per unit broadcast over the batch, whose size comes from
 * the rows_input placeholder (the model reads no features). */
static tfc_code baseline_logits(tfci_model *m, int64_t units, tfc_output *out)
{
    tfc_graph *g = m->g;
    int64_t dims[1] = {-1};
    m->rows_input = tfc_placeholder(g, TFC_FLOAT, dims, 1, "baseline_rows");
    tfc_graph_push_name_scope(g, "baseline");
    tfc_output bias = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, &units, 1, "bias_init"), "bias");
    tfc_output zeros = tfc_expand_dims(g, tfc_mul(g, m->rows_input, tfc_const_float(g, 0.0f, "zero"), "zeros"), 1,
                                       "zeros_column");
    *out = tfc_add(g, zeros, bias, "logits");
    tfc_graph_pop_name_scope(g);
    return tfc_graph_status(g) ? graph_failed(g, "baseline model") : TFC_OK;
}

static tfc_code make_optimizer(const tfc_optimizer_config *cfg, tfc_optimizer **out)
{
    switch (cfg->kind) {
    case TFC_OPTIMIZER_SGD: return tfc_optimizer_gradient_descent_new(cfg->learning_rate, out);
    case TFC_OPTIMIZER_ADAGRAD:
        return tfc_optimizer_adagrad_new(cfg->learning_rate, cfg->initial_accumulator_value, cfg->epsilon, out);
    case TFC_OPTIMIZER_FTRL: {
        tfc_ftrl_options f = TFC_FTRL_OPTIONS_INIT;
        f.learning_rate = cfg->learning_rate;
        f.initial_accumulator_value = cfg->initial_accumulator_value;
        f.l1_regularization_strength = cfg->l1_regularization_strength;
        f.l2_regularization_strength = cfg->l2_regularization_strength;
        return tfc_optimizer_ftrl_new(&f, out);
    }
    case TFC_OPTIMIZER_ADAM:
        return tfc_optimizer_adam_new(cfg->learning_rate, cfg->beta1, cfg->beta2, cfg->epsilon, out);
    case TFC_OPTIMIZER_MOMENTUM: return tfc_optimizer_momentum_new(cfg->learning_rate, cfg->momentum, false, out);
    default: return tfci_error(TFC_INVALID_ARGUMENT, "unknown optimizer kind %d", (int)cfg->kind);
    }
}

/* Gradients of the loss for every trainable variable, applied by the
 * linear-part optimizer to variables under "linear_model/", "linear/" and
 * "baseline/", and by the DNN optimizer to the rest; one global step. */
static tfc_code build_train_op(const tfc_estimator_options *o, tfci_model *m)
{
    tfc_graph *g = m->g;
    size_t nv = tfc_graph_num_variables(g);
    tfc_output *vars = malloc((nv ? nv : 1) * sizeof *vars);
    tfc_gradient *grads = malloc((nv ? nv : 1) * sizeof *grads);
    tfc_output *part_vars = malloc((nv ? nv : 1) * sizeof *part_vars);
    tfc_gradient *part_grads = malloc((nv ? nv : 1) * sizeof *part_grads);
    tfc_optimizer *opt[2] = {NULL, NULL};
    tfc_code c = TFC_OK;
    if (!vars || !grads || !part_vars || !part_grads) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory building the training op");
        goto done;
    }
    int n = 0;
    for (size_t i = 0; i < nv; i++) {
        tfc_op *v = tfc_graph_variable(g, i);
        if (tfc_variable_trainable(v)) vars[n++] = tfc_op_output(v, 0);
    }
    if (n == 0) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "the model has no trainable variables");
        goto done;
    }
    if ((c = tfc_graph_add_gradients_sparse(g, &m->loss, 1, vars, n, NULL, grads))) goto done;
    tfc_op *parts[2] = {NULL, NULL};
    for (int part = 0; part < 2 && !c; part++) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            const char *name = tfc_op_name(vars[i].op);
            bool linear = strncmp(name, "linear", 6) == 0 || strncmp(name, "baseline/", 9) == 0;
            if (linear == (part == 0)) {
                part_vars[k] = vars[i];
                part_grads[k] = grads[i];
                k++;
            }
        }
        if (k == 0) continue;
        if ((c = make_optimizer(part == 0 ? &o->linear_optimizer : &o->dnn_optimizer, &opt[part]))) break;
        c = tfc_optimizer_apply_gradients(opt[part], g, part_grads, part_vars, k, false, &parts[part]);
    }
    if (c) goto done;
    tfc_op *updates[3];
    int nu = 0;
    for (int part = 0; part < 2; part++)
        if (parts[part]) updates[nu++] = parts[part];
    /* The step counts once per training step, after both parts' updates. */
    tfc_graph_push_name_scope(g, "train");
    tfc_op *applied = tfc_group(g, updates, nu, "updates");
    tfc_op_builder *b = tfc_op_builder_new(g, "AssignAdd", "increment_global_step");
    tfc_op_builder_add_input(b, m->global_step);
    tfc_op_builder_add_input(b, tfc_const_int64(g, 1, "one"));
    tfc_op_builder_add_control_input(b, applied);
    tfc_op *inc = NULL;
    c = tfc_op_builder_finish(b, &inc);
    if (!c) m->train_op = tfc_group(g, &inc, 1, "train_op");
    tfc_graph_pop_name_scope(g);
    if (!c && tfc_graph_status(g)) c = graph_failed(g, "training op");
done:
    tfc_optimizer_free(opt[0]);
    tfc_optimizer_free(opt[1]);
    free(vars);
    free(grads);
    free(part_vars);
    free(part_grads);
    return c;
}

/* "classes", "all_class_ids" and "all_classes" in the graph (TensorFlow's
 * head makes them with a lookup table): names gathered from a constant. */
static tfc_code class_outputs(const tfc_estimator_options *o, tfci_model *m)
{
    tfc_graph *g = m->g;
    int n = m->kind == TFC_HEAD_BINARY ? 2 : m->head_n;
    char **names = calloc((size_t)n, sizeof *names);
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    if (!names || !ids) {
        free(names);
        free(ids);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory building the class outputs");
    }
    tfc_code c = TFC_OK;
    for (int i = 0; i < n && !c; i++) {
        ids[i] = i;
        char buf[16];
        snprintf(buf, sizeof buf, "%d", i);
        names[i] = strdup(o->label_vocabulary ? o->label_vocabulary[i] : buf);
        if (!names[i]) c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory building the class outputs");
    }
    tfc_tensor *vocab = NULL;
    int64_t nd = n;
    if (!c) c = tfc_tensor_new_strings(&nd, 1, (const char *const *)names, NULL, &vocab);
    if (!c) {
        tfc_graph_push_name_scope(g, "head");
        tfc_output class_ids = tfc_head_prediction(m->head, "class_ids");
        tfc_output table = tfc_const(g, vocab, "class_names");
        tfc_output classes = tfc_gather(g, table, class_ids, 0, "classes");
        int64_t row[2] = {1, n};
        tfc_output range = tfc_const_array(g, TFC_INT32, row, 2, ids, "class_range");
        tfc_output zero_col = tfc_cast(g, tfc_zeros_like(g, class_ids, "zero_ids"), TFC_INT32, "zero_ids_int32");
        tfc_output all_ids = tfc_add(g, zero_col, range, "all_class_ids");
        tfc_output all_classes = tfc_gather(g, table, all_ids, 0, "all_classes");
        tfc_graph_pop_name_scope(g);
        if (tfc_graph_status(g)) c = graph_failed(g, "class outputs");
        if (!c && m->n_predictions + 3 <= TFCI_MAX_PREDICTIONS) {
            m->prediction_names[m->n_predictions] = "classes";
            m->predictions[m->n_predictions++] = classes;
            m->prediction_names[m->n_predictions] = "all_class_ids";
            m->predictions[m->n_predictions++] = all_ids;
            m->prediction_names[m->n_predictions] = "all_classes";
            m->predictions[m->n_predictions++] = all_classes;
        }
    }
    tfc_tensor_free(vocab);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    free(ids);
    return c;
}

/* All feature columns of the model, linear then DNN (for the placeholders). */
static tfc_code all_columns(const tfc_estimator_options *o, const tfc_feature_column ***cols, int *n)
{
    int nl = o->model == TFC_MODEL_LINEAR || o->model == TFC_MODEL_DNN_LINEAR_COMBINED ? o->n_linear_feature_columns
                                                                                       : 0;
    int nd = o->model == TFC_MODEL_DNN || o->model == TFC_MODEL_DNN_LINEAR_COMBINED ? o->n_dnn_feature_columns : 0;
    *cols = malloc((size_t)(nl + nd + 1) * sizeof **cols);
    if (!*cols) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < nl; i++) (*cols)[i] = o->linear_feature_columns[i];
    for (int i = 0; i < nd; i++) (*cols)[nl + i] = o->dnn_feature_columns[i];
    *n = nl + nd;
    return TFC_OK;
}

tfc_code tfci_model_build(const tfc_estimator_options *o, tfci_mode mode, tfci_model *m)
{
    memset(m, 0, sizeof *m);
    tfc_code c = tfc_graph_new(&m->g);
    if (c) return c;
    tfc_graph *g = m->g;
    if (o->config.tf_random_seed) tfc_graph_set_seed(g, o->config.tf_random_seed);
    m->kind = tfci_model_head_kind(o, &m->head_n);
    int64_t units = m->kind == TFC_HEAD_BINARY ? 1 : m->head_n;

    const tfc_feature_column **cols = NULL;
    int ncols = 0;
    if ((c = all_columns(o, &cols, &ncols))) goto fail;
    c = ncols ? tfc_feature_placeholders_new(g, cols, ncols, &m->features) : tfc_features_new(&m->features);
    free(cols);
    if (c) goto fail;
    if (o->weight_column) {
        tfc_output w = tfc_features_get(m->features, o->weight_column);
        if (!has(w)) {
            int64_t dims[1] = {-1};
            w = tfc_placeholder(g, TFC_FLOAT, dims, 1, o->weight_column);
            if ((c = tfc_features_set(m->features, o->weight_column, w))) goto fail;
        }
        m->weights = w;
    }
    if (mode != TFCI_MODE_PREDICT) {
        int64_t dims[2] = {-1, m->head_n};
        if (m->kind == TFC_HEAD_REGRESSION)
            m->labels = tfc_placeholder(g, TFC_FLOAT, dims, m->head_n == 1 ? 1 : 2, "labels");
        else
            m->labels = tfc_placeholder(g, TFC_INT64, dims, 1, "labels");
    }
    if ((c = tfc_train_global_step(g, &m->global_step))) goto fail;

    tfc_output logits = {NULL, 0};
    switch (o->model) {
    case TFC_MODEL_LINEAR: c = linear_logits(o, m, units, false, &logits); break;
    case TFC_MODEL_DNN: c = dnn_logits(o, mode, m, units, &logits); break;
    case TFC_MODEL_DNN_LINEAR_COMBINED: {
        tfc_output wide, deep;
        if ((c = linear_logits(o, m, units, true, &wide))) break;
        if ((c = dnn_logits(o, mode, m, units, &deep))) break;
        logits = tfc_add(g, wide, deep, "add_logits");
        break;
    }
    default: c = baseline_logits(m, units, &logits); break;
    }
    if (c) goto fail;
    if (tfc_graph_status(g)) {
        c = graph_failed(g, "model");
        goto fail;
    }
    if ((c = tfc_head_build(g, m->kind, m->kind == TFC_HEAD_BINARY ? 2 : m->head_n, logits, m->labels, m->weights,
                            &m->head))) {
        if (tfc_graph_status(g)) c = graph_failed(g, "head");
        goto fail;
    }
    m->loss = tfc_head_loss(m->head);
    m->example_loss = tfc_head_example_loss(m->head);
    for (int i = 0; i < tfc_head_num_predictions(m->head) && i < TFCI_MAX_PREDICTIONS; i++) {
        m->prediction_names[i] = tfc_head_prediction_name(m->head, i);
        m->predictions[i] = tfc_head_prediction_output(m->head, i);
        m->n_predictions++;
    }
    m->metric_input = tfc_head_prediction(m->head, m->kind == TFC_HEAD_BINARY        ? "logistic"
                                                   : m->kind == TFC_HEAD_MULTI_CLASS ? "probabilities"
                                                                                     : "predictions");
    if (m->kind != TFC_HEAD_REGRESSION && (c = class_outputs(o, m))) goto fail;
    if (mode == TFCI_MODE_TRAIN && (c = build_train_op(o, m))) goto fail;
    m->init_op = tfc_global_variables_initializer(g);
    if (tfc_graph_status(g)) {
        c = graph_failed(g, "model");
        goto fail;
    }
    return TFC_OK;
fail:
    tfci_model_free(m);
    return c;
}

void tfci_model_free(tfci_model *m)
{
    tfc_head_outputs_free(m->head);
    tfc_features_free(m->features);
    tfc_graph_free(m->g);
    memset(m, 0, sizeof *m);
}
