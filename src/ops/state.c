/* State and constants: Placeholder, PlaceholderWithDefault, Const,
 * VariableV2, Assign, AssignAdd, AssignSub, Identity, NoOp. */
#include <stdlib.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "registry.h"

tfc_code tfci_graph_add_variable(tfc_graph *g, tfc_op *op);

/* ---- shape functions ---- */

static tfc_code shape_placeholder(tfc_op *op)
{
    tfc_dtype dt;
    tfc_code c = tfci_attr_req_type(op, "dtype", &dt);
    if (c) return c;
    tfci_shape s = tfci_shape_unknown();
    if (tfci_attr_find(op, "shape") && (c = tfci_attr_req_shape(op, "shape", &s))) return c;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, dt, &s);
    return TFC_OK;
}

static tfc_code shape_placeholder_with_default(tfc_op *op)
{
    const tfci_shape *in = tfci_in_shape(op, 0);
    tfci_shape s = *in;
    tfc_code c;
    if (tfci_attr_find(op, "shape")) {
        if ((c = tfci_attr_req_shape(op, "shape", &s))) return c;
        if (in->rank >= 0 && s.rank >= 0) {
            bool ok = in->rank == s.rank;
            for (int i = 0; ok && i < s.rank; i++)
                if (s.dims[i] >= 0 && in->dims[i] >= 0 && s.dims[i] != in->dims[i]) ok = false;
            if (!ok) {
                char a[128], b[128];
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "default value of shape %s does not fit shape %s",
                                     tfci_shape_to_str(in, a, sizeof a), tfci_shape_to_str(&s, b, sizeof b));
            }
        }
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &s);
    return TFC_OK;
}

static tfc_code shape_const(tfc_op *op)
{
    const tfci_attr *a = tfci_attr_find(op, "value");
    if (!a || a->kind != TFCI_ATTR_TENSOR)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "missing attribute 'value' (a tensor)");
    const tfc_tensor *t = a->u.tensor;
    tfc_dtype dt = tfci_attr_type(op, "dtype", t->dtype);
    if (dt != t->dtype)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'dtype' is %s but the value is %s",
                             tfc_dtype_name(dt), tfc_dtype_name(t->dtype));
    tfc_code c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_shape s = tfci_shape_make(t->dims, t->rank);
    tfci_op_set_output(op, 0, t->dtype, &s);
    return TFC_OK;
}

static tfc_code shape_variable(tfc_op *op)
{
    tfc_dtype dt;
    tfci_shape s;
    tfc_code c = tfci_attr_req_type(op, "dtype", &dt);
    if (!c) c = tfci_attr_req_shape(op, "shape", &s);
    if (c) return c;
    if (!tfci_shape_fully_known(&s)) {
        char b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "a variable needs a fully known shape, got %s",
                             tfci_shape_to_str(&s, b, sizeof b));
    }
    if (tfci_check_shape(dt, s.dims, s.rank, NULL, NULL)) {
        tfci_error_prefix("op '%s' (VariableV2)", op->name);
        return TFC_INVALID_ARGUMENT;
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, dt, &s);
    op->trainable = true;
    return TFC_OK;
}

static tfc_code shape_assign(tfc_op *op)
{
    tfc_code c = tfci_expect_same_dtype(op, 0, 1);
    if (c) return c;
    const tfci_shape *v = tfci_in_shape(op, 0), *x = tfci_in_shape(op, 1);
    if (x->rank >= 0) {
        bool ok = x->rank == v->rank;
        for (int i = 0; ok && i < v->rank; i++)
            if (x->dims[i] >= 0 && x->dims[i] != v->dims[i]) ok = false;
        if (!ok) {
            char a[128], b[128];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "variable '%s' has shape %s, the value has shape %s",
                                 op->inputs[0].op->name, tfci_shape_to_str(v, a, sizeof a),
                                 tfci_shape_to_str(x, b, sizeof b));
        }
    }
    if (strcmp(op->def->name, "Assign") != 0) {
        tfc_dtype dt = tfci_in_dtype(op, 0);
        if (dt != TFC_FLOAT && dt != TFC_DOUBLE && dt != TFC_INT32 && dt != TFC_INT64)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "cannot add to a variable of %s", tfc_dtype_name(dt));
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), v);
    return TFC_OK;
}

static tfc_code shape_identity(tfc_op *op)
{
    tfc_code c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
    return TFC_OK;
}

static tfc_code shape_noop(tfc_op *op) { return tfci_op_set_num_outputs(op, 0); }

/* ---- kernels ---- */

static tfc_code k_placeholder(tfci_kctx *k)
{
    return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "placeholder must be fed");
}

static tfc_code k_forward(tfci_kctx *k)
{
    tfci_kctx_forward(k, 0, 0);
    return TFC_OK;
}

static tfc_code k_const(tfci_kctx *k)
{
    tfci_kctx_alias(k, 0, tfci_attr_find(k->op, "value")->u.tensor);
    return TFC_OK;
}

static tfc_code k_variable(tfci_kctx *k)
{
    if (!atomic_load_explicit(&k->state->initialized, memory_order_acquire))
        return tfci_error(TFC_FAILED_PRECONDITION,
                          "variable '%s' is uninitialized: run its initializer (tfc_global_variables_initializer) "
                          "or restore it first",
                          k->op->name);
    tfci_kctx_alias(k, 0, k->state->value);
    return TFC_OK;
}

static tfc_code assign_mode(tfci_kctx *k, int mode)
{
    tfc_code c = tfci_var_assign(k, k->ref_state, k->in[1], mode);
    if (c) return c;
    tfci_kctx_alias(k, 0, k->ref_state->value);
    return TFC_OK;
}
static tfc_code k_assign(tfci_kctx *k) { return assign_mode(k, 0); }
static tfc_code k_assign_add(tfci_kctx *k) { return assign_mode(k, 1); }
static tfc_code k_assign_sub(tfci_kctx *k) { return assign_mode(k, -1); }
static tfc_code k_noop(tfci_kctx *k)
{
    (void)k;
    return TFC_OK;
}

/* ---- gradients ---- */

static tfc_code g_identity(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = gc->dy[0];
    return TFC_OK;
}

const tfci_op_def tfci_state_ops[] = {
    {"Placeholder", 0, 0, shape_placeholder, k_placeholder, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"PlaceholderWithDefault", 1, 1, shape_placeholder_with_default, k_forward, g_identity, 0},
    {"Const", 0, 0, shape_const, k_const, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"VariableV2", 0, 0, shape_variable, k_variable, NULL, TFCI_OP_STATEFUL},
    {"Assign", 2, 2, shape_assign, k_assign, NULL, TFCI_OP_REF_INPUT0 | TFCI_OP_NOT_DIFFERENTIABLE},
    {"AssignAdd", 2, 2, shape_assign, k_assign_add, NULL, TFCI_OP_REF_INPUT0 | TFCI_OP_NOT_DIFFERENTIABLE},
    {"AssignSub", 2, 2, shape_assign, k_assign_sub, NULL, TFCI_OP_REF_INPUT0 | TFCI_OP_NOT_DIFFERENTIABLE},
    {"Identity", 1, 1, shape_identity, k_forward, g_identity, 0},
    {"StopGradient", 1, 1, shape_identity, k_forward, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"NoOp", 0, 0, shape_noop, k_noop, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
};
const int tfci_state_ops_count = sizeof tfci_state_ops / sizeof tfci_state_ops[0];

/* ---- typed constructors ---- */

TFC_API tfc_output tfc_placeholder(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "Placeholder", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_set_attr_type(b, "dtype", dtype);
    tfc_op_builder_set_attr_shape(b, "shape", dims, rank);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_placeholder_with_default(tfc_graph *g, tfc_output default_value, const int64_t *dims, int rank,
                                                const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "PlaceholderWithDefault", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, default_value);
    tfc_op_builder_set_attr_shape(b, "shape", dims, rank);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_const(tfc_graph *g, const tfc_tensor *value, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "Const", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_set_attr_tensor(b, "value", value);
    if (value) tfc_op_builder_set_attr_type(b, "dtype", value->dtype);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_const_array(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const void *data,
                                   const char *name)
{
    if (!g || g->status) return TFCI_NO_OUTPUT;
    tfc_tensor *t;
    int64_t n;
    size_t bytes;
    tfc_code c = tfci_check_shape(dtype, dims, rank, &n, &bytes);
    if (!c && !data && bytes) c = tfci_error(TFC_INVALID_ARGUMENT, "data is NULL");
    if (!c) c = tfc_tensor_new(dtype, dims, rank, data, bytes, &t);
    if (c) {
        tfci_error_prefix("constant '%s'", name ? name : "Const");
        tfci_graph_fail(g, c);
        return TFCI_NO_OUTPUT;
    }
    tfc_output o = tfc_const(g, t, name);
    tfc_tensor_free(t);
    return o;
}

TFC_API tfc_output tfc_const_float(tfc_graph *g, float v, const char *name)
{
    return tfc_const_array(g, TFC_FLOAT, NULL, 0, &v, name);
}
TFC_API tfc_output tfc_const_double(tfc_graph *g, double v, const char *name)
{
    return tfc_const_array(g, TFC_DOUBLE, NULL, 0, &v, name);
}
TFC_API tfc_output tfc_const_int32(tfc_graph *g, int32_t v, const char *name)
{
    return tfc_const_array(g, TFC_INT32, NULL, 0, &v, name);
}
TFC_API tfc_output tfc_const_int64(tfc_graph *g, int64_t v, const char *name)
{
    return tfc_const_array(g, TFC_INT64, NULL, 0, &v, name);
}

static tfc_output filled(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double v, const char *name)
{
    if (!g || g->status) return TFCI_NO_OUTPUT;
    tfc_code c = tfci_check_shape(dtype, dims, rank, NULL, NULL);
    if (c) {
        tfci_error_prefix("%s", name ? name : "filled constant");
        tfci_graph_fail(g, c);
        return TFCI_NO_OUTPUT;
    }
    return tfc_fill(g, dims, rank, tfci_const_scalar(g, dtype, v, NULL), name);
}
TFC_API tfc_output tfc_zeros(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const char *name)
{
    return filled(g, dtype, dims, rank, 0.0, name ? name : "zeros");
}
TFC_API tfc_output tfc_ones(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, const char *name)
{
    return filled(g, dtype, dims, rank, 1.0, name ? name : "ones");
}

/* Builds an op whose name is absolute (ignores the current name scopes). */
static tfc_op_builder *absolute_builder(tfc_graph *g, const char *type, const char *name, int *saved)
{
    *saved = g->nscopes;
    g->nscopes = 0;
    return tfci_builder(g, type, name);
}

TFC_API tfc_output tfc_variable(tfc_graph *g, tfc_output initial_value, const char *name)
{
    if (!g || g->status) return TFCI_NO_OUTPUT;
    if (!tfci_output_valid(initial_value)) {
        tfci_error(TFC_INVALID_ARGUMENT, "variable '%s': initial value is not set (did an earlier constructor fail?)",
                   name ? name : "Variable");
        tfci_graph_fail(g, TFC_INVALID_ARGUMENT);
        return TFCI_NO_OUTPUT;
    }
    const tfci_shape *s = &initial_value.op->out_shapes[initial_value.index];
    if (!tfci_shape_fully_known(s)) {
        char buf[128];
        tfci_error(TFC_INVALID_ARGUMENT, "variable '%s': the initial value's shape %s is not fully known",
                   name ? name : "Variable", tfci_shape_to_str(s, buf, sizeof buf));
        tfci_graph_fail(g, TFC_INVALID_ARGUMENT);
        return TFCI_NO_OUTPUT;
    }
    tfc_op_builder *b = tfci_builder(g, "VariableV2", name ? name : "Variable");
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_set_attr_type(b, "dtype", initial_value.op->out_dtypes[initial_value.index]);
    tfc_op_builder_set_attr_shape(b, "shape", s->dims, s->rank);
    tfc_op *var = tfci_finish_op(g, b);
    if (!var) return TFCI_NO_OUTPUT;
    tfc_code c = tfci_graph_add_variable(g, var);
    if (c) {
        tfci_graph_fail(g, c);
        return TFCI_NO_OUTPUT;
    }
    size_t len = strlen(var->name) + 8;
    char *aname = malloc(len);
    if (!aname) {
        tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
        return TFCI_NO_OUTPUT;
    }
    strcpy(aname, var->name);
    strcat(aname, "/Assign");
    int saved;
    b = absolute_builder(g, "Assign", aname, &saved);
    free(aname);
    tfc_output var_out = {var, 0};
    if (b) {
        tfc_op_builder_add_input(b, var_out);
        tfc_op_builder_add_input(b, initial_value);
    }
    tfc_op *assign = tfci_finish_op(g, b);
    g->nscopes = saved;
    if (!assign) return TFCI_NO_OUTPUT;
    var->initializer = assign;
    return var_out;
}

TFC_API tfc_op *tfc_global_variables_initializer(tfc_graph *g)
{
    tfc_op_builder *b = tfci_builder(g, "NoOp", "init");
    if (!b) return NULL;
    for (size_t i = 0; i < g->nvars; i++)
        if (g->vars[i]->initializer) tfc_op_builder_add_control_input(b, g->vars[i]->initializer);
    return tfci_finish_op(g, b);
}

TFC_API tfc_output tfc_assign(tfc_graph *g, tfc_output var, tfc_output value, const char *name)
{
    return tfci_binary(g, "Assign", name, var, value);
}
TFC_API tfc_output tfc_assign_add(tfc_graph *g, tfc_output var, tfc_output value, const char *name)
{
    return tfci_binary(g, "AssignAdd", name, var, value);
}
TFC_API tfc_output tfc_assign_sub(tfc_graph *g, tfc_output var, tfc_output value, const char *name)
{
    return tfci_binary(g, "AssignSub", name, var, value);
}
TFC_API tfc_output tfc_identity(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "Identity", name, x);
}
TFC_API tfc_op *tfc_no_op(tfc_graph *g, const char *name) { return tfci_finish_op(g, tfci_builder(g, "NoOp", name)); }
TFC_API tfc_op *tfc_group(tfc_graph *g, tfc_op *const *ops, int n, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "NoOp", name ? name : "group");
    if (!b) return NULL;
    if (n < 0 || (n > 0 && !ops)) {
        tfc_op_builder_abandon(b);
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, "tfc_group: invalid op list"));
        return NULL;
    }
    for (int i = 0; i < n; i++) tfc_op_builder_add_control_input(b, ops[i]);
    return tfci_finish_op(g, b);
}
