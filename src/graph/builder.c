/* The generic op builder: inputs, control inputs and attributes, then
 * validation by the op's shape function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

tfc_code tfci_graph_add_op(tfc_graph *g, tfc_op *op, const char *base);
void tfci_op_destroy(tfc_op *op);

struct tfc_op_builder {
    tfc_graph *g;
    char *type, *name;
    tfc_output *inputs;
    int ninputs, inputs_cap;
    tfc_op **control;
    int ncontrol, control_cap;
    tfci_attr *attrs;
    int nattrs, attrs_cap;
    tfc_code err; /* first error while building (out of memory, bad argument) */
    char errmsg[256];
};

static void builder_fail(tfc_op_builder *b, tfc_code c, const char *fmt, const char *arg)
{
    if (b->err) return;
    b->err = c;
    snprintf(b->errmsg, sizeof b->errmsg, fmt, arg);
}

TFC_API tfc_op_builder *tfc_op_builder_new(tfc_graph *g, const char *type, const char *name)
{
    tfc_op_builder *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->g = g;
    b->type = strdup(type ? type : "");
    b->name = name ? strdup(name) : NULL;
    if (!b->type || (name && !b->name)) builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
    return b;
}

static bool grow(void **arr, int *cap, int n, size_t elem)
{
    if (n < *cap) return true;
    int ncap = *cap ? *cap * 2 : 4;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p) return false;
    *arr = p;
    *cap = ncap;
    return true;
}

TFC_API void tfc_op_builder_add_input(tfc_op_builder *b, tfc_output in)
{
    if (!b) return;
    if (!grow((void **)&b->inputs, &b->inputs_cap, b->ninputs, sizeof *b->inputs)) {
        builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
        return;
    }
    b->inputs[b->ninputs++] = in;
}

TFC_API void tfc_op_builder_add_inputs(tfc_op_builder *b, const tfc_output *ins, int n)
{
    if (!b) return;
    if (n < 0 || (n > 0 && !ins)) {
        builder_fail(b, TFC_INVALID_ARGUMENT, "invalid input list%s", "");
        return;
    }
    for (int i = 0; i < n; i++) tfc_op_builder_add_input(b, ins[i]);
}

TFC_API void tfc_op_builder_add_control_input(tfc_op_builder *b, tfc_op *op)
{
    if (!b) return;
    if (!op) {
        builder_fail(b, TFC_INVALID_ARGUMENT, "a control input is NULL%s", "");
        return;
    }
    for (int i = 0; i < b->ncontrol; i++)
        if (b->control[i] == op) return;
    if (!grow((void **)&b->control, &b->control_cap, b->ncontrol, sizeof *b->control)) {
        builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
        return;
    }
    b->control[b->ncontrol++] = op;
}

/* Returns a fresh attribute slot named name (replacing an earlier one). */
static tfci_attr *new_attr(tfc_op_builder *b, const char *name, tfci_attr_kind kind)
{
    if (!b) return NULL;
    if (!name || !name[0]) {
        builder_fail(b, TFC_INVALID_ARGUMENT, "an attribute name is empty%s", "");
        return NULL;
    }
    for (int i = 0; i < b->nattrs; i++)
        if (strcmp(b->attrs[i].name, name) == 0) {
            builder_fail(b, TFC_INVALID_ARGUMENT, "attribute '%s' is set twice", name);
            return NULL;
        }
    if (!grow((void **)&b->attrs, &b->attrs_cap, b->nattrs, sizeof *b->attrs)) {
        builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
        return NULL;
    }
    tfci_attr *a = &b->attrs[b->nattrs];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    if (!a->name) {
        builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
        return NULL;
    }
    a->kind = kind;
    b->nattrs++;
    return a;
}

TFC_API void tfc_op_builder_set_attr_int(tfc_op_builder *b, const char *name, int64_t v)
{
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_INT);
    if (a) a->u.i = v;
}
TFC_API void tfc_op_builder_set_attr_float(tfc_op_builder *b, const char *name, float v)
{
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_FLOAT);
    if (a) a->u.f = v;
}
TFC_API void tfc_op_builder_set_attr_bool(tfc_op_builder *b, const char *name, bool v)
{
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_BOOL);
    if (a) a->u.b = v;
}
TFC_API void tfc_op_builder_set_attr_type(tfc_op_builder *b, const char *name, tfc_dtype v)
{
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_TYPE);
    if (a) a->u.type = v;
}
TFC_API void tfc_op_builder_set_attr_string(tfc_op_builder *b, const char *name, const char *v)
{
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_STRING);
    if (!a) return;
    a->u.s = strdup(v ? v : "");
    if (!a->u.s) builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
}
TFC_API void tfc_op_builder_set_attr_shape(tfc_op_builder *b, const char *name, const int64_t *dims, int rank)
{
    if (b && (rank < -1 || rank > TFC_MAX_RANK || (rank > 0 && !dims))) {
        builder_fail(b, TFC_INVALID_ARGUMENT, "attribute '%s': invalid shape (rank out of range or dims NULL)", name);
        return;
    }
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_SHAPE);
    if (!a) return;
    a->u.shape.rank = rank;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < -1) {
            builder_fail(b, TFC_INVALID_ARGUMENT, "attribute '%s': a dimension is below -1", name);
            return;
        }
        a->u.shape.dims[i] = dims[i];
    }
}
TFC_API void tfc_op_builder_set_attr_tensor(tfc_op_builder *b, const char *name, const tfc_tensor *t)
{
    if (b && !t) {
        builder_fail(b, TFC_INVALID_ARGUMENT, "attribute '%s': tensor is NULL", name);
        return;
    }
    tfci_attr *a = new_attr(b, name, TFCI_ATTR_TENSOR);
    if (!a) return;
    if (tfci_tensor_copy_to_new(t, &a->u.tensor) != TFC_OK)
        builder_fail(b, TFC_RESOURCE_EXHAUSTED, "attribute '%s': out of memory copying the tensor", name);
}

static void set_list(tfc_op_builder *b, const char *name, tfci_attr_kind kind, const void *v, int n, size_t elem)
{
    if (b && (n < 0 || (n > 0 && !v))) {
        builder_fail(b, TFC_INVALID_ARGUMENT, "attribute '%s': invalid list", name);
        return;
    }
    tfci_attr *a = new_attr(b, name, kind);
    if (!a) return;
    a->u.list.n = n;
    a->u.list.v = malloc(n ? (size_t)n * elem : 1);
    if (!a->u.list.v) {
        builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
        return;
    }
    if (n) memcpy(a->u.list.v, v, (size_t)n * elem);
}
TFC_API void tfc_op_builder_set_attr_int_list(tfc_op_builder *b, const char *name, const int64_t *v, int n)
{
    set_list(b, name, TFCI_ATTR_INT_LIST, v, n, sizeof *v);
}
TFC_API void tfc_op_builder_set_attr_float_list(tfc_op_builder *b, const char *name, const float *v, int n)
{
    set_list(b, name, TFCI_ATTR_FLOAT_LIST, v, n, sizeof *v);
}
TFC_API void tfc_op_builder_set_attr_type_list(tfc_op_builder *b, const char *name, const tfc_dtype *v, int n)
{
    set_list(b, name, TFCI_ATTR_TYPE_LIST, v, n, sizeof *v);
}
TFC_API void tfc_op_builder_set_attr_string_list(tfc_op_builder *b, const char *name, const char *const *v, int n)
{
    /* after an earlier error set_list keeps no copy: the caller's pointers must not be freed */
    if (!b || b->err) return;
    set_list(b, name, TFCI_ATTR_STRING_LIST, v, n, sizeof *v);
    if (!b || b->err || !b->nattrs) return;
    tfci_attr *a = &b->attrs[b->nattrs - 1];
    char **s = a->u.list.v;
    for (int i = 0; i < n; i++) {
        s[i] = strdup(v[i] ? v[i] : "");
        if (!s[i]) {
            for (int k = i + 1; k < n; k++) s[k] = NULL;
            builder_fail(b, TFC_RESOURCE_EXHAUSTED, "out of memory%s", "");
            return;
        }
    }
}

static void builder_free(tfc_op_builder *b, bool free_attrs)
{
    if (free_attrs)
        for (int i = 0; i < b->nattrs; i++) {
            tfci_attr *a = &b->attrs[i];
            free(a->name);
            if (a->kind == TFCI_ATTR_STRING) free(a->u.s);
            else if (a->kind == TFCI_ATTR_TENSOR) tfc_tensor_free(a->u.tensor);
            else if (a->kind >= TFCI_ATTR_INT_LIST) {
                if (a->kind == TFCI_ATTR_STRING_LIST && a->u.list.v)
                    for (int k = 0; k < a->u.list.n; k++) free(((char **)a->u.list.v)[k]);
                free(a->u.list.v);
            }
        }
    if (free_attrs) free(b->attrs);
    free(b->inputs);
    free(b->control);
    free(b->type);
    free(b->name);
    free(b);
}

TFC_API void tfc_op_builder_abandon(tfc_op_builder *b)
{
    if (b) builder_free(b, true);
}

static bool valid_name(const char *s)
{
    if (!s[0]) return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.' || c == '/'))
            return false;
    }
    return s[0] != '/' && s[strlen(s) - 1] != '/';
}

TFC_API tfc_code tfc_op_builder_finish(tfc_op_builder *b, tfc_op **out)
{
    if (out) *out = NULL;
    if (!b) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_op_builder_finish: builder is NULL (out of memory?)");
    tfc_graph *g = b->g;
    const char *label = b->name ? b->name : b->type;
    tfc_code c;
    if (!g) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s': graph is NULL", label);
        goto fail;
    }
    if (b->err) {
        c = tfci_error(b->err, "op '%s' (%s): %s", label, b->type, b->errmsg);
        goto fail;
    }
    const tfci_op_def *def = tfci_op_def_lookup(b->type);
    if (!def) {
        c = tfci_error(TFC_NOT_FOUND, "op '%s': unknown op type '%s'", label, b->type);
        goto fail;
    }
    if (b->name && !valid_name(b->name)) {
        c = tfci_error(TFC_INVALID_ARGUMENT,
                       "op '%s' (%s): invalid name (use letters, digits, '_', '-', '.', and '/' between parts)",
                       b->name, b->type);
        goto fail;
    }
    if (b->ninputs < def->min_inputs || (def->max_inputs >= 0 && b->ninputs > def->max_inputs)) {
        if (def->max_inputs == def->min_inputs)
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): expected %d inputs, got %d", label, b->type,
                           def->min_inputs, b->ninputs);
        else if (def->max_inputs < 0)
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): expected at least %d inputs, got %d", label,
                           b->type, def->min_inputs, b->ninputs);
        else
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): expected %d to %d inputs, got %d", label, b->type,
                           def->min_inputs, def->max_inputs, b->ninputs);
        goto fail;
    }
    for (int i = 0; i < b->ninputs; i++) {
        tfc_output in = b->inputs[i];
        if (!in.op) {
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): input %d is not set (did an earlier constructor fail?)",
                           label, b->type, i);
            goto fail;
        }
        if (in.op->graph != g) {
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): input %d ('%s') belongs to another graph", label,
                           b->type, i, in.op->name);
            goto fail;
        }
        if (in.index < 0 || in.index >= in.op->noutputs) {
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): input %d refers to output %d of '%s', which has %d",
                           label, b->type, i, in.index, in.op->name, in.op->noutputs);
            goto fail;
        }
    }
    for (int i = 0; i < b->ncontrol; i++)
        if (b->control[i]->graph != g) {
            c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): control input '%s' belongs to another graph", label,
                           b->type, b->control[i]->name);
            goto fail;
        }
    if ((def->flags & TFCI_OP_REF_INPUT0) && b->inputs[0].op->var_index < 0) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): input 0 must be a variable, got '%s' (%s)", label,
                       b->type, b->inputs[0].op->name, b->inputs[0].op->def->name);
        goto fail;
    }

    tfc_op *op = calloc(1, sizeof *op);
    if (!op) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    op->graph = g;
    op->def = def;
    op->var_index = -1;
    op->name = b->name ? b->name : b->type; /* provisional, for error messages */
    op->ninputs = b->ninputs;
    op->inputs = b->inputs;
    b->inputs = NULL;
    op->ncontrol = b->ncontrol;
    op->control = b->control;
    b->control = NULL;
    op->nattrs = b->nattrs;
    op->attrs = b->attrs;
    b->nattrs = 0;
    b->attrs = NULL;
    op->id = (int)g->nops;
    c = def->shape_fn(op);
    if (c == TFC_OK && op->noutputs > 0 && !op->out_dtypes)
        c = tfci_op_error(op, TFC_INTERNAL, "shape function set no outputs");
    if (c == TFC_OK) {
        const char *base = op->name;
        op->name = NULL;
        c = tfci_graph_add_op(g, op, base);
    }
    if (c != TFC_OK) {
        op->name = NULL;
        tfci_op_destroy(op);
        builder_free(b, true);
        return c;
    }
    builder_free(b, true);
    if (out) *out = op;
    return TFC_OK;

fail:
    builder_free(b, true);
    return c;
}

/* ---- attribute reading ---- */

const tfci_attr *tfci_attr_find(const tfc_op *op, const char *name)
{
    for (int i = 0; i < op->nattrs; i++)
        if (strcmp(op->attrs[i].name, name) == 0) return &op->attrs[i];
    return NULL;
}

static tfc_code get_attr(const tfc_op *op, const char *name, tfci_attr_kind kind, const tfci_attr **out)
{
    if (!op || !name) return tfci_error(TFC_INVALID_ARGUMENT, "attribute lookup: NULL argument");
    const tfci_attr *a = tfci_attr_find(op, name);
    if (!a) return tfci_error(TFC_NOT_FOUND, "op '%s' (%s) has no attribute '%s'", op->name, op->def->name, name);
    if (a->kind != kind)
        return tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): attribute '%s' has another type", op->name,
                          op->def->name, name);
    *out = a;
    return TFC_OK;
}

#define ATTR_GETTER(fn, kind, type, field)                                                                          \
    TFC_API tfc_code fn(const tfc_op *op, const char *name, type *out)                                            \
    {                                                                                                              \
        const tfci_attr *a;                                                                                        \
        tfc_code c = get_attr(op, name, kind, &a);                                                                 \
        if (c) return c;                                                                                           \
        if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "attribute '%s': out is NULL", name);                   \
        *out = a->u.field;                                                                                         \
        return TFC_OK;                                                                                             \
    }
ATTR_GETTER(tfc_op_attr_int, TFCI_ATTR_INT, int64_t, i)
ATTR_GETTER(tfc_op_attr_float, TFCI_ATTR_FLOAT, float, f)
ATTR_GETTER(tfc_op_attr_bool, TFCI_ATTR_BOOL, bool, b)
ATTR_GETTER(tfc_op_attr_type, TFCI_ATTR_TYPE, tfc_dtype, type)

TFC_API tfc_code tfc_op_attr_string(const tfc_op *op, const char *name, const char **out)
{
    const tfci_attr *a;
    tfc_code c = get_attr(op, name, TFCI_ATTR_STRING, &a);
    if (c) return c;
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "attribute '%s': out is NULL", name);
    *out = a->u.s;
    return TFC_OK;
}

TFC_API tfc_code tfc_op_attr_shape(const tfc_op *op, const char *name, int64_t *dims, int *rank)
{
    const tfci_attr *a;
    tfc_code c = get_attr(op, name, TFCI_ATTR_SHAPE, &a);
    if (c) return c;
    if (!dims || !rank) return tfci_error(TFC_INVALID_ARGUMENT, "attribute '%s': out is NULL", name);
    *rank = a->u.shape.rank;
    for (int i = 0; i < a->u.shape.rank; i++) dims[i] = a->u.shape.dims[i];
    return TFC_OK;
}

TFC_API tfc_code tfc_op_attr_tensor(const tfc_op *op, const char *name, const tfc_tensor **out)
{
    const tfci_attr *a;
    tfc_code c = get_attr(op, name, TFCI_ATTR_TENSOR, &a);
    if (c) return c;
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "attribute '%s': out is NULL", name);
    *out = a->u.tensor;
    return TFC_OK;
}

TFC_API tfc_code tfc_op_attr_int_list(const tfc_op *op, const char *name, const int64_t **values, int *n)
{
    const tfci_attr *a;
    tfc_code c = get_attr(op, name, TFCI_ATTR_INT_LIST, &a);
    if (c) return c;
    if (!values || !n) return tfci_error(TFC_INVALID_ARGUMENT, "attribute '%s': out is NULL", name);
    *values = a->u.list.v;
    *n = a->u.list.n;
    return TFC_OK;
}

int64_t tfci_attr_int(const tfc_op *op, const char *name, int64_t dflt)
{
    const tfci_attr *a = tfci_attr_find(op, name);
    return a && a->kind == TFCI_ATTR_INT ? a->u.i : dflt;
}
float tfci_attr_float(const tfc_op *op, const char *name, float dflt)
{
    const tfci_attr *a = tfci_attr_find(op, name);
    return a && a->kind == TFCI_ATTR_FLOAT ? a->u.f : dflt;
}
bool tfci_attr_bool(const tfc_op *op, const char *name, bool dflt)
{
    const tfci_attr *a = tfci_attr_find(op, name);
    return a && a->kind == TFCI_ATTR_BOOL ? a->u.b : dflt;
}
tfc_dtype tfci_attr_type(const tfc_op *op, const char *name, tfc_dtype dflt)
{
    const tfci_attr *a = tfci_attr_find(op, name);
    return a && a->kind == TFCI_ATTR_TYPE ? a->u.type : dflt;
}

static tfc_code req(const tfc_op *op, const char *name, tfci_attr_kind kind, const char *what, const tfci_attr **out)
{
    *out = NULL;
    const tfci_attr *a = tfci_attr_find(op, name);
    if (!a) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "missing attribute '%s' (%s)", name, what);
    if (a->kind != kind) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute '%s' must be %s", name, what);
    *out = a;
    return TFC_OK;
}
tfc_code tfci_attr_req_int(const tfc_op *op, const char *name, int64_t *out)
{
    const tfci_attr *a = NULL;
    tfc_code c = req(op, name, TFCI_ATTR_INT, "an int", &a);
    if (!c) *out = a->u.i;
    return c;
}
tfc_code tfci_attr_req_type(const tfc_op *op, const char *name, tfc_dtype *out)
{
    const tfci_attr *a = NULL;
    tfc_code c = req(op, name, TFCI_ATTR_TYPE, "a dtype", &a);
    if (c) return c;
    if (!tfci_dtype_valid(a->u.type))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute '%s' is an invalid dtype (%d)", name,
                             (int)a->u.type);
    *out = a->u.type;
    return TFC_OK;
}
tfc_code tfci_attr_req_shape(const tfc_op *op, const char *name, tfci_shape *out)
{
    const tfci_attr *a = NULL;
    tfc_code c = req(op, name, TFCI_ATTR_SHAPE, "a shape", &a);
    if (!c) *out = a->u.shape;
    return c;
}

#define OPT_GETTER(fn, T, KIND, field, what)                                                                       \
    tfc_code fn(const tfc_op *op, const char *name, T dflt, T *out)                                              \
    {                                                                                                              \
        const tfci_attr *a = tfci_attr_find(op, name);                                                             \
        *out = dflt;                                                                                               \
        if (!a) return TFC_OK;                                                                                     \
        if (a->kind != KIND) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute '%s' must be " what, name); \
        *out = a->u.field;                                                                                         \
        return TFC_OK;                                                                                             \
    }
OPT_GETTER(tfci_attr_opt_bool, bool, TFCI_ATTR_BOOL, b, "a bool")
OPT_GETTER(tfci_attr_opt_float, float, TFCI_ATTR_FLOAT, f, "a float")
OPT_GETTER(tfci_attr_opt_int, int64_t, TFCI_ATTR_INT, i, "an int")
