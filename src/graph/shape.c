/* Helpers for shape functions: static shapes, broadcasting, dtype checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

tfci_shape tfci_shape_unknown(void)
{
    tfci_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

tfci_shape tfci_shape_make(const int64_t *dims, int rank)
{
    tfci_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank && i < TFC_MAX_RANK; i++) s.dims[i] = dims[i];
    return s;
}

tfci_shape tfci_shape_scalar(void)
{
    tfci_shape s;
    memset(&s, 0, sizeof s);
    return s;
}

bool tfci_shape_fully_known(const tfci_shape *s)
{
    if (s->rank < 0) return false;
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] < 0) return false;
    return true;
}

const char *tfci_shape_to_str(const tfci_shape *s, char *buf, size_t size)
{
    return tfci_shape_str(s->dims, s->rank, buf, size);
}

bool tfci_shape_compatible(const tfci_shape *s, const int64_t *dims, int rank)
{
    if (s->rank < 0) return true;
    if (s->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (s->dims[i] >= 0 && s->dims[i] != dims[i]) return false;
    return true;
}

tfc_code tfci_broadcast_shapes(const tfc_op *op, const tfci_shape *a, const tfci_shape *b, tfci_shape *out)
{
    if (a->rank < 0 || b->rank < 0) {
        *out = tfci_shape_unknown();
        return TFC_OK;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    tfci_shape s = tfci_shape_scalar();
    s.rank = r;
    for (int i = 0; i < r; i++) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        int64_t d;
        if (da == 1) d = db;
        else if (db == 1) d = da;
        else if (da < 0) d = db;
        else if (db < 0) d = da;
        else if (da == db) d = da;
        else {
            char sa[128], sb[128];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "shapes %s and %s cannot be broadcast together",
                                 tfci_shape_to_str(a, sa, sizeof sa), tfci_shape_to_str(b, sb, sizeof sb));
        }
        /* an unknown dim against 1 stays unknown */
        s.dims[i] = d;
    }
    *out = s;
    return TFC_OK;
}

tfc_code tfci_op_error(const tfc_op *op, tfc_code code, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tfci_error(code, "op '%s' (%s): %s", op->name ? op->name : "?", op->def->name, msg);
}

tfc_code tfci_op_set_num_outputs(tfc_op *op, int n)
{
    free(op->out_dtypes);
    free(op->out_shapes);
    op->out_dtypes = calloc(n ? (size_t)n : 1, sizeof *op->out_dtypes);
    op->out_shapes = calloc(n ? (size_t)n : 1, sizeof *op->out_shapes);
    if (!op->out_dtypes || !op->out_shapes) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    op->noutputs = n;
    return TFC_OK;
}

void tfci_op_set_output(tfc_op *op, int j, tfc_dtype dtype, const tfci_shape *shape)
{
    op->out_dtypes[j] = dtype;
    op->out_shapes[j] = shape ? *shape : tfci_shape_unknown();
}

tfc_dtype tfci_in_dtype(const tfc_op *op, int i) { return op->inputs[i].op->out_dtypes[op->inputs[i].index]; }
const tfci_shape *tfci_in_shape(const tfc_op *op, int i)
{
    return &op->inputs[i].op->out_shapes[op->inputs[i].index];
}

const tfc_tensor *tfci_in_const(const tfc_op *op, int i)
{
    tfc_op *src = op->inputs[i].op;
    if (strcmp(src->def->name, "Const") != 0) return NULL;
    const tfci_attr *a = tfci_attr_find(src, "value");
    return a && a->kind == TFCI_ATTR_TENSOR ? a->u.tensor : NULL;
}

tfc_code tfci_expect_dtype(const tfc_op *op, int i, tfc_dtype d)
{
    tfc_dtype got = tfci_in_dtype(op, i);
    if (got == d) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d ('%s') must be %s, got %s", i, op->inputs[i].op->name,
                         tfc_dtype_name(d), tfc_dtype_name(got));
}

tfc_code tfci_expect_float(const tfc_op *op, int i)
{
    tfc_dtype got = tfci_in_dtype(op, i);
    if (tfci_dtype_is_float(got)) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d ('%s') must be float32 or float64, got %s", i,
                         op->inputs[i].op->name, tfc_dtype_name(got));
}

tfc_code tfci_expect_same_dtype(const tfc_op *op, int i, int j)
{
    tfc_dtype a = tfci_in_dtype(op, i), b = tfci_in_dtype(op, j);
    if (a == b) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "inputs %d ('%s', %s) and %d ('%s', %s) must have the same dtype",
                         i, op->inputs[i].op->name, tfc_dtype_name(a), j, op->inputs[j].op->name, tfc_dtype_name(b));
}

/* ---- construction helpers ---- */

tfc_op_builder *tfci_builder(tfc_graph *g, const char *type, const char *name)
{
    if (!g) {
        tfci_error(TFC_INVALID_ARGUMENT, "%s: graph is NULL", type);
        return NULL;
    }
    if (g->status != TFC_OK) return NULL;
    tfc_op_builder *b = tfc_op_builder_new(g, type, name);
    if (!b) {
        tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        tfci_graph_fail(g, TFC_RESOURCE_EXHAUSTED);
    }
    return b;
}

tfc_op *tfci_finish_op(tfc_graph *g, tfc_op_builder *b)
{
    if (!b) return NULL;
    tfc_op *op;
    tfc_code c = tfc_op_builder_finish(b, &op);
    if (c) {
        tfci_graph_fail(g, c);
        return NULL;
    }
    return op;
}

tfc_output tfci_finish(tfc_graph *g, tfc_op_builder *b)
{
    tfc_op *op = tfci_finish_op(g, b);
    if (!op) return TFCI_NO_OUTPUT;
    return (tfc_output){op, 0};
}

tfc_output tfci_unary(tfc_graph *g, const char *type, const char *name, tfc_output x)
{
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    return tfci_finish(g, b);
}

tfc_output tfci_binary(tfc_graph *g, const char *type, const char *name, tfc_output x, tfc_output y)
{
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, y);
    return tfci_finish(g, b);
}

tfc_output tfci_const_int64s(tfc_graph *g, const int64_t *v, int n, const char *name)
{
    int64_t dims[1] = {n};
    return tfc_const_array(g, TFC_INT64, dims, 1, v, name);
}

tfc_output tfci_const_scalar(tfc_graph *g, tfc_dtype dtype, double v, const char *name)
{
    union {
        float f;
        double d;
        int32_t i32;
        int64_t i64;
        int16_t i16;
        int8_t i8;
        uint8_t u8;
    } u;
    switch (dtype) {
    case TFC_FLOAT: u.f = (float)v; break;
    case TFC_DOUBLE: u.d = v; break;
    case TFC_INT32: u.i32 = (int32_t)v; break;
    case TFC_INT64: u.i64 = (int64_t)v; break;
    case TFC_INT16: u.i16 = (int16_t)v; break;
    case TFC_INT8: u.i8 = (int8_t)v; break;
    case TFC_BOOL:
    case TFC_UINT8: u.u8 = (uint8_t)v; break;
    default:
        tfci_error(TFC_INVALID_ARGUMENT, "scalar constant of dtype %s is not supported", tfc_dtype_name(dtype));
        tfci_graph_fail(g, TFC_INVALID_ARGUMENT);
        return TFCI_NO_OUTPUT;
    }
    return tfc_const_array(g, dtype, NULL, 0, &u, name);
}
