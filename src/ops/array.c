/* Op family 'array': casting, reshaping, slicing, joining, gathering,
 * padding, and their gradients (after TensorFlow's array_grad.py).
 *
 * Copying kernels are dtype-agnostic: they move elements by size, so string
 * tensors are copied shallowly (the bytes live in inputs that outlive the run).
 * Reshape, ExpandDims and Squeeze never copy: they alias their input.
 * Internal gradient ops (ConcatV2Grad, SliceGrad, StridedSliceGrad,
 * GatherV2Grad, TileGrad) are ours, not TensorFlow's. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "registry.h"

#define MAXR TFC_MAX_RANK
typedef long long ll;

/* ======================================================================
 * helpers
 * ====================================================================== */

static bool is_index_dtype(tfc_dtype dt) { return dt == TFC_INT32 || dt == TFC_INT64; }

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= d[i];
    return p;
}

static void strides_of(const int64_t *dims, int rank, int64_t *st)
{
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        st[d] = s;
        s *= dims[d];
    }
}

static const char *dims_str(const int64_t *dims, int rank, char *buf, size_t n)
{
    return tfci_shape_str(dims, rank, buf, n);
}

/* "[-1,5]": an int list as given (dims_str would print -1 as '?'). */
static const char *ints_str(const int64_t *v, int n, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    k += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < n && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, i ? ",%lld" : "%lld", (ll)v[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
    return buf;
}

/* memcpy that tolerates empty copies from possibly-NULL empty tensors. */
static inline void copy_bytes(void *dst, const void *src, size_t n)
{
    if (n) memcpy(dst, src, n);
}

/* Input i (a shape-like input) must be int32 or int64. */
static tfc_code expect_index(const tfc_op *op, int i, const char *what)
{
    tfc_dtype dt = tfci_in_dtype(op, i);
    if (is_index_dtype(dt)) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s (input %d, '%s') must be int32 or int64, got %s", what, i,
                         op->inputs[i].op->name, tfc_dtype_name(dt));
}

/* Input i must be a vector (when its rank is known). */
static tfc_code expect_vector(const tfc_op *op, int i, const char *what)
{
    tfc_code c = expect_index(op, i, what);
    if (c) return c;
    const tfci_shape *s = tfci_in_shape(op, i);
    if (s->rank >= 0 && s->rank != 1) {
        char b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s must be a vector, got shape %s", what,
                             tfci_shape_to_str(s, b, sizeof b));
    }
    return TFC_OK;
}

/* Input i must be a scalar (or a one-element vector) when its shape is known. */
static tfc_code expect_scalar_index(const tfc_op *op, int i, const char *what)
{
    tfc_code c = expect_index(op, i, what);
    if (c) return c;
    const tfci_shape *s = tfci_in_shape(op, i);
    if (s->rank > 1 || (s->rank == 1 && s->dims[0] >= 0 && s->dims[0] != 1)) {
        char b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s must be a scalar, got shape %s", what,
                             tfci_shape_to_str(s, b, sizeof b));
    }
    return TFC_OK;
}

/* Values of input i when it is an int Const of at most max elements. */
static bool const_ints(const tfc_op *op, int i, int64_t *v, int64_t max, int *n)
{
    const tfc_tensor *t = tfci_in_const(op, i);
    if (!t || !is_index_dtype(t->dtype) || t->rank > 2 || t->n > max) return false;
    for (int64_t j = 0; j < t->n; j++) v[j] = tfci_tensor_int(t, j);
    *n = (int)t->n;
    return true;
}

/* Static length of vector input i, or -1. */
static int64_t static_len(const tfc_op *op, int i)
{
    const tfci_shape *s = tfci_in_shape(op, i);
    return s->rank == 1 ? s->dims[0] : -1;
}

/* Run-time int vector input i into v (at most max entries). */
static tfc_code get_ints(tfci_kctx *k, int i, int64_t *v, int max, int *n, const char *what)
{
    const tfc_tensor *t = k->in[i];
    char b[128];
    *n = 0;
    if (!is_index_dtype(t->dtype))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be int32 or int64, got %s", what,
                               tfc_dtype_name(t->dtype));
    if (t->rank != 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be a vector, got shape %s", what,
                               dims_str(t->dims, t->rank, b, sizeof b));
    if (t->n > max)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s has %lld entries; at most %d are supported", what,
                               (ll)t->n, max);
    if (t->dtype == TFC_INT32)
        for (int64_t j = 0; j < t->n; j++) v[j] = ((const int32_t *)t->data)[j];
    else
        for (int64_t j = 0; j < t->n; j++) v[j] = ((const int64_t *)t->data)[j];
    *n = (int)t->n;
    return TFC_OK;
}

/* Run-time int scalar input i (a one-element vector is accepted too). */
static tfc_code get_scalar(tfci_kctx *k, int i, int64_t *v, const char *what)
{
    const tfc_tensor *t = k->in[i];
    char b[128];
    *v = 0;
    if (!is_index_dtype(t->dtype))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be int32 or int64, got %s", what,
                               tfc_dtype_name(t->dtype));
    if (t->n != 1 || t->rank > 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be a scalar, got shape %s", what,
                               dims_str(t->dims, t->rank, b, sizeof b));
    *v = tfci_tensor_int(t, 0);
    return TFC_OK;
}

/* Fills n elements of size es with the element at val. */
static void fill_elems(void *dst, int64_t n, const void *val, size_t es)
{
    char *d = dst;
    bool zero = true;
    for (size_t i = 0; i < es; i++)
        if (((const char *)val)[i]) zero = false;
    if (zero) {
        if (n) memset(d, 0, (size_t)n * es);
        return;
    }
    switch (es) {
    case 1: memset(d, *(const unsigned char *)val, (size_t)n); break;
    case 2: for (int64_t i = 0; i < n; i++) memcpy(d + i * 2, val, 2); break;
    case 4: for (int64_t i = 0; i < n; i++) memcpy(d + i * 4, val, 4); break;
    case 8: for (int64_t i = 0; i < n; i++) memcpy(d + i * 8, val, 8); break;
    default: for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * es, val, es); break;
    }
}

/* The value 1 of a numeric or bool dtype, into buf (8 bytes). */
static bool dtype_one(tfc_dtype dt, void *buf)
{
    switch (dt) {
    case TFC_FLOAT: *(float *)buf = 1.0f; return true;
    case TFC_DOUBLE: *(double *)buf = 1.0; return true;
    case TFC_INT32: *(int32_t *)buf = 1; return true;
    case TFC_INT64: *(int64_t *)buf = 1; return true;
    case TFC_INT16: *(int16_t *)buf = 1; return true;
    case TFC_INT8: *(int8_t *)buf = 1; return true;
    case TFC_UINT8:
    case TFC_BOOL: *(uint8_t *)buf = 1; return true;
    default: return false;
    }
}

/* Copies n elements with element steps ds / ss (may be negative). */
static void copy_run(char *d, int64_t ds, const char *s, int64_t ss, int64_t n, size_t es)
{
    if (ds == 1 && ss == 1) {
        copy_bytes(d, s, (size_t)n * es);
        return;
    }
#define RUN(ES)                                                                                                    \
    for (int64_t i = 0; i < n; i++) memcpy(d + i * ds * (ES), s + i * ss * (ES), (ES));
    switch (es) {
    case 1: RUN(1) break;
    case 2: RUN(2) break;
    case 4: RUN(4) break;
    case 8: RUN(8) break;
    case 16: RUN(16) break;
    default:
        for (int64_t i = 0; i < n; i++) memcpy(d + i * ds * (int64_t)es, s + i * ss * (int64_t)es, es);
        break;
    }
#undef RUN
}

/* Copies the block cnt[0..r) from src (element strides ss) to dst (strides
 * ds); strides may be negative. Dimensions contiguous in both are merged first,
 * so common slices become a few long memcpys. */
static void block_copy(char *dst, const int64_t *ds_in, const char *src, const int64_t *ss_in, const int64_t *cnt_in,
                       int r_in, size_t es)
{
    int64_t cnt[MAXR], ds[MAXR], ss[MAXR];
    int r = 0;
    for (int d = 0; d < r_in; d++) {
        if (cnt_in[d] == 0) return;
        if (cnt_in[d] == 1) continue;
        if (r > 0 && ds[r - 1] == ds_in[d] * cnt_in[d] && ss[r - 1] == ss_in[d] * cnt_in[d]) {
            cnt[r - 1] *= cnt_in[d];
            ds[r - 1] = ds_in[d];
            ss[r - 1] = ss_in[d];
            continue;
        }
        cnt[r] = cnt_in[d];
        ds[r] = ds_in[d];
        ss[r] = ss_in[d];
        r++;
    }
    if (r == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t n = cnt[r - 1], dl = ds[r - 1], sl = ss[r - 1], e = (int64_t)es;
    int64_t idx[MAXR] = {0};
    int64_t doff = 0, soff = 0; /* element offsets, so no pointer ever leaves its buffer */
    for (;;) {
        copy_run(dst + doff * e, dl, src + soff * e, sl, n, es);
        int d = r - 2;
        for (; d >= 0; d--) {
            doff += ds[d];
            soff += ss[d];
            if (++idx[d] < cnt[d]) break;
            doff -= ds[d] * cnt[d];
            soff -= ss[d] * cnt[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

static tfc_code set_one_output(tfc_op *op, tfc_dtype dt, const tfci_shape *s)
{
    tfc_code c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, dt, s);
    return TFC_OK;
}

/* Static shape of a vector output of length n (-1: unknown). */
static tfci_shape vec_shape(int64_t n)
{
    tfci_shape s = tfci_shape_scalar();
    s.rank = 1;
    s.dims[0] = n;
    return s;
}

/* ======================================================================
 * ZerosLike, OnesLike, Fill, Shape, Size
 * ====================================================================== */

static tfc_code shape_like(tfc_op *op)
{
    tfc_dtype dt = tfci_in_dtype(op, 0);
    if (dt == TFC_STRING)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input 0 ('%s') must be numeric or bool, got string",
                             op->inputs[0].op->name);
    return set_one_output(op, dt, tfci_in_shape(op, 0));
}

static tfc_code k_zeros_like(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (y->bytes) memset(y->data, 0, y->bytes);
    return TFC_OK;
}

static tfc_code k_ones_like(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    uint64_t one = 0;
    dtype_one(x->dtype, &one);
    if (x->dtype == TFC_FLOAT) { /* the common case, as a plain loop the compiler vectorizes */
        float *d = y->data;
        for (int64_t i = 0; i < y->n; i++) d[i] = 1.0f;
    } else {
        fill_elems(y->data, y->n, &one, tfc_dtype_size(x->dtype));
    }
    return TFC_OK;
}

static tfc_code shape_fill(tfc_op *op)
{
    tfc_code c = expect_vector(op, 0, "dims");
    if (c) return c;
    const tfci_shape *vs = tfci_in_shape(op, 1);
    if (vs->rank > 0) {
        char b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "value must be a scalar, got shape %s",
                             tfci_shape_to_str(vs, b, sizeof b));
    }
    int64_t v[MAXR + 1];
    int n;
    tfci_shape s = tfci_shape_unknown();
    if (const_ints(op, 0, v, MAXR + 1, &n)) {
        if (n > MAXR) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dims has %d entries; at most %d", n, MAXR);
        for (int i = 0; i < n; i++)
            if (v[i] < 0)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dims[%d] = %lld is negative", i, (ll)v[i]);
        s = tfci_shape_make(v, n);
    } else {
        int64_t len = static_len(op, 0);
        if (len > MAXR)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dims has %lld entries; at most %d", (ll)len, MAXR);
        if (len >= 0) {
            s.rank = (int)len;
            for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 1), &s);
}

static tfc_code k_fill(tfci_kctx *k)
{
    int64_t dims[MAXR];
    int n;
    tfc_code c = get_ints(k, 0, dims, MAXR, &n, "dims");
    if (c) return c;
    const tfc_tensor *v = k->in[1];
    if (v->rank != 0) {
        char b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "value must be a scalar, got shape %s",
                               dims_str(v->dims, v->rank, b, sizeof b));
    }
    for (int i = 0; i < n; i++)
        if (dims[i] < 0)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dims[%d] = %lld is negative", i, (ll)dims[i]);
    tfc_tensor *y = tfci_kctx_output(k, 0, v->dtype, dims, n);
    if (!y) return TFC_INVALID_ARGUMENT;
    if (v->dtype == TFC_FLOAT) {
        float f = *(const float *)v->data, *d = y->data;
        for (int64_t i = 0; i < y->n; i++) d[i] = f;
    } else {
        fill_elems(y->data, y->n, v->data, tfc_dtype_size(v->dtype));
    }
    return TFC_OK;
}

static tfc_code g_fill(tfci_grad_ctx *gc)
{
    gc->dx[1].dense = tfc_reduce_sum(gc->g, gc->dy[0], NULL, 0, false, NULL);
    return TFC_OK;
}

static tfc_code out_type_attr(tfc_op *op, tfc_dtype *dt)
{
    *dt = tfci_attr_type(op, "out_type", TFC_INT32);
    if (!is_index_dtype(*dt))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'out_type' must be int32 or int64, got %s",
                             tfc_dtype_name(*dt));
    op->ci[0] = *dt;
    return TFC_OK;
}

static tfc_code shape_shape(tfc_op *op)
{
    tfc_dtype dt;
    tfc_code c = out_type_attr(op, &dt);
    if (c) return c;
    tfci_shape s = vec_shape(tfci_in_shape(op, 0)->rank);
    if (s.dims[0] < 0) s.dims[0] = -1;
    return set_one_output(op, dt, &s);
}

/* Writes int values as int32 or int64, failing when int32 cannot hold them. */
static tfc_code put_ints(tfci_kctx *k, tfc_tensor *y, const int64_t *v, int64_t n)
{
    if (y->dtype == TFC_INT64) {
        copy_bytes(y->data, v, (size_t)n * sizeof *v);
        return TFC_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        if (v[i] > INT32_MAX)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "value %lld does not fit out_type int32; use int64",
                                   (ll)v[i]);
        ((int32_t *)y->data)[i] = (int32_t)v[i];
    }
    return TFC_OK;
}

static tfc_code k_shape(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int64_t r = x->rank;
    tfc_tensor *y = tfci_kctx_output(k, 0, (tfc_dtype)k->op->ci[0], &r, 1);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    return put_ints(k, y, x->dims, x->rank);
}

static tfc_code shape_size(tfc_op *op)
{
    tfc_dtype dt;
    tfc_code c = out_type_attr(op, &dt);
    if (c) return c;
    tfci_shape s = tfci_shape_scalar();
    return set_one_output(op, dt, &s);
}

static tfc_code k_size(tfci_kctx *k)
{
    tfc_tensor *y = tfci_kctx_output(k, 0, (tfc_dtype)k->op->ci[0], NULL, 0);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    return put_ints(k, y, &k->in[0]->n, 1);
}

/* ======================================================================
 * GatherV2
 * ====================================================================== */

/* Static axis of an op whose axis input is a Const; false otherwise. */
static bool const_axis(const tfc_op *op, int i, int64_t *axis)
{
    int64_t v[1];
    int n;
    const tfc_tensor *t = tfci_in_const(op, i);
    if (!t || t->n != 1 || t->rank > 1) return false;
    if (!const_ints(op, i, v, 1, &n)) return false;
    *axis = v[0];
    return true;
}

static tfc_code shape_gather(tfc_op *op)
{
    tfc_code c = expect_index(op, 1, "indices");
    if (!c) c = expect_scalar_index(op, 2, "axis");
    if (c) return c;
    if (tfci_attr_int(op, "batch_dims", 0) != 0)
        return tfci_op_error(op, TFC_UNIMPLEMENTED, "batch_dims other than 0 is not supported");
    const tfci_shape *p = tfci_in_shape(op, 0), *ix = tfci_in_shape(op, 1);
    if (p->rank == 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "params must have rank >= 1, got a scalar");
    int64_t axis;
    tfci_shape s = tfci_shape_unknown();
    if (const_axis(op, 2, &axis) && p->rank >= 0) {
        if (axis < -p->rank || axis >= p->rank)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "axis %lld is out of range for params of rank %d",
                                 (ll)axis, p->rank);
        if (axis < 0) axis += p->rank;
        if (ix->rank >= 0) {
            int r = p->rank - 1 + ix->rank;
            if (r > MAXR)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the result would have rank %d; at most %d", r, MAXR);
            s.rank = 0;
            for (int i = 0; i < axis; i++) s.dims[s.rank++] = p->dims[i];
            for (int i = 0; i < ix->rank; i++) s.dims[s.rank++] = ix->dims[i];
            for (int i = (int)axis + 1; i < p->rank; i++) s.dims[s.rank++] = p->dims[i];
        }
    } else if (p->rank >= 0 && ix->rank >= 0) {
        s.rank = p->rank - 1 + ix->rank;
        if (s.rank > MAXR)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the result would have rank %d; at most %d", s.rank, MAXR);
        for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

/* Index i of an int32/int64 tensor. */
static inline int64_t index_at(const tfc_tensor *t, int64_t i)
{
    return t->dtype == TFC_INT32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* All indices in [0, limit), or an error naming the first bad one. */
static tfc_code check_indices(tfci_kctx *k, const tfc_tensor *ix, int64_t limit)
{
    int64_t bad = -1;
    if (ix->dtype == TFC_INT32) {
        const int32_t *p = ix->data;
        for (int64_t i = 0; i < ix->n; i++)
            if (p[i] < 0 || p[i] >= limit) {
                bad = i;
                break;
            }
    } else {
        const int64_t *p = ix->data;
        for (int64_t i = 0; i < ix->n; i++)
            if (p[i] < 0 || p[i] >= limit) {
                bad = i;
                break;
            }
    }
    if (bad < 0) return TFC_OK;
    return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "indices[%lld] = %lld is not in [0, %lld)", (ll)bad,
                           (ll)index_at(ix, bad), (ll)limit);
}

/* Run-time geometry shared by GatherV2 and its gradient. */
typedef struct gather_geom {
    int axis;
    int64_t outer, n, inner; /* params viewed as [outer, n, inner] */
} gather_geom;

static tfc_code gather_setup(tfci_kctx *k, const tfc_tensor *p, const tfc_tensor *ix, int axis_input, gather_geom *gg)
{
    int64_t axis;
    tfc_code c = get_scalar(k, axis_input, &axis, "axis");
    if (c) return c;
    if (!is_index_dtype(ix->dtype))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "indices must be int32 or int64, got %s",
                               tfc_dtype_name(ix->dtype));
    if (p->rank < 1) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "params must have rank >= 1, got a scalar");
    if (axis < -p->rank || axis >= p->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "axis %lld is out of range for params of rank %d", (ll)axis,
                               p->rank);
    if (axis < 0) axis += p->rank;
    if (p->rank - 1 + ix->rank > MAXR)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "the result would have rank %d; at most %d",
                               p->rank - 1 + ix->rank, MAXR);
    gg->axis = (int)axis;
    gg->outer = prod(p->dims, 0, gg->axis);
    gg->n = p->dims[axis];
    gg->inner = prod(p->dims, gg->axis + 1, p->rank);
    return check_indices(k, ix, gg->n);
}

static tfc_code k_gather(tfci_kctx *k)
{
    const tfc_tensor *p = k->in[0], *ix = k->in[1];
    gather_geom gg;
    tfc_code c = gather_setup(k, p, ix, 2, &gg);
    if (c) return c;
    int64_t dims[MAXR];
    int r = 0;
    for (int i = 0; i < gg.axis; i++) dims[r++] = p->dims[i];
    for (int i = 0; i < ix->rank; i++) dims[r++] = ix->dims[i];
    for (int i = gg.axis + 1; i < p->rank; i++) dims[r++] = p->dims[i];
    tfc_tensor *y = tfci_kctx_output(k, 0, p->dtype, dims, r);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    size_t es = tfc_dtype_size(p->dtype), row = (size_t)gg.inner * es;
    int64_t m = ix->n;
    const char *src = p->data;
    char *dst = y->data;
    if (!row || !m) return TFC_OK;
    /* rows of params are contiguous: one memcpy per gathered row (a constant
     * size for single elements, so those become plain moves) */
#define GATHER_LOOP(IT, COPY)                                                                                      \
    do {                                                                                                           \
        const IT *id = ix->data;                                                                                   \
        for (int64_t o = 0; o < gg.outer; o++) {                                                                   \
            const char *base = src + (size_t)(o * gg.n) * row;                                                     \
            char *out = dst + (size_t)(o * m) * row;                                                               \
            for (int64_t i = 0; i < m; i++) COPY(out + (size_t)i * row, base + (size_t)id[i] * row);              \
        }                                                                                                          \
    } while (0)
#define COPY4(d, s) memcpy((d), (s), 4)
#define COPY8(d, s) memcpy((d), (s), 8)
#define COPYR(d, s) memcpy((d), (s), row)
    if (ix->dtype == TFC_INT32) {
        if (row == 4) GATHER_LOOP(int32_t, COPY4);
        else if (row == 8) GATHER_LOOP(int32_t, COPY8);
        else GATHER_LOOP(int32_t, COPYR);
    } else {
        if (row == 4) GATHER_LOOP(int64_t, COPY4);
        else if (row == 8) GATHER_LOOP(int64_t, COPY8);
        else GATHER_LOOP(int64_t, COPYR);
    }
#undef COPY4
#undef COPY8
#undef COPYR
#undef GATHER_LOOP
    return TFC_OK;
}

/* GatherV2Grad(dy, indices, params, axis): zeros shaped like params with the
 * rows of dy added back at their indices (the dense gradient, axis != 0). */
static tfc_code shape_gather_grad(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = expect_index(op, 1, "indices");
    if (!c) c = expect_scalar_index(op, 3, "axis");
    if (c) return c;
    return set_one_output(op, tfci_in_dtype(op, 0), tfci_in_shape(op, 2));
}

#define ADD_ROWS(T)                                                                                                \
    do {                                                                                                           \
        T *dst = y->data;                                                                                          \
        const T *src = dy->data;                                                                                   \
        for (int64_t o = 0; o < gg.outer; o++)                                                                     \
            for (int64_t i = 0; i < m; i++) {                                                                      \
                T *d = dst + (o * gg.n + index_at(ix, i)) * gg.inner;                                              \
                const T *s = src + (o * m + i) * gg.inner;                                                         \
                for (int64_t j = 0; j < gg.inner; j++) d[j] += s[j];                                               \
            }                                                                                                      \
    } while (0)

static tfc_code k_gather_grad(tfci_kctx *k)
{
    const tfc_tensor *dy = k->in[0], *ix = k->in[1], *p = k->in[2];
    gather_geom gg;
    tfc_code c = gather_setup(k, p, ix, 3, &gg);
    if (c) return c;
    int64_t m = ix->n;
    if (dy->n != gg.outer * m * gg.inner)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy has %lld elements, expected %lld", (ll)dy->n,
                               (ll)(gg.outer * m * gg.inner));
    tfc_tensor *y = tfci_kctx_output(k, 0, dy->dtype, p->dims, p->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (y->bytes) memset(y->data, 0, y->bytes);
    if (dy->dtype == TFC_FLOAT) ADD_ROWS(float);
    else ADD_ROWS(double);
    return TFC_OK;
}
#undef ADD_ROWS

static tfc_output reshape_const(tfc_graph *g, tfc_output x, const int64_t *dims, int rank);

static tfc_code g_gather(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_op *op = gc->op;
    tfc_output params = op->inputs[0], indices = op->inputs[1], axis_in = op->inputs[2];
    const tfci_shape *ps = &params.op->out_shapes[params.index];
    int64_t axis;
    bool known = const_axis(op, 2, &axis);
    if (known && axis < 0 && ps->rank >= 0) axis += ps->rank;
    if (known && axis == 0) {
        /* sparse: the gathered rows and where they go, as TensorFlow's IndexedSlices */
        int64_t minus1 = -1;
        tfc_output flat_idx = reshape_const(g, indices, &minus1, 1);
        tfc_output values;
        bool tail_known = ps->rank >= 1;
        for (int i = 1; i < ps->rank; i++)
            if (ps->dims[i] < 0) tail_known = false;
        if (tail_known) {
            int64_t dims[MAXR];
            dims[0] = -1;
            for (int i = 1; i < ps->rank; i++) dims[i] = ps->dims[i];
            values = reshape_const(g, gc->dy[0], dims, ps->rank);
        } else {
            /* [size(indices)] + shape(params)[1:], read at run time */
            int64_t one = 1, rest = -1;
            tfc_output count = tfc_expand_dims(g, tfc_size(g, indices, TFC_INT64, NULL), 0, NULL);
            tfc_output tail = tfc_slice(g, tfc_shape(g, params, TFC_INT64, NULL), &one, &rest, 1, NULL);
            tfc_output parts[2] = {count, tail};
            values = tfc_reshape_to(g, gc->dy[0], tfc_concat(g, parts, 2, 0, NULL), NULL);
        }
        gc->dx[0].indices = flat_idx;
        gc->dx[0].values = values;
        return TFC_OK;
    }
    tfc_op_builder *b = tfci_builder(g, "GatherV2Grad", NULL);
    if (!b) return tfc_graph_status(g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, indices);
    tfc_op_builder_add_input(b, params);
    tfc_op_builder_add_input(b, axis_in);
    gc->dx[0].dense = tfci_finish(g, b);
    return TFC_OK;
}

/* The gradient of the scatter is the gather of the incoming gradient. */
static tfc_code g_gather_grad(tfci_grad_ctx *gc)
{
    tfc_op_builder *b = tfci_builder(gc->g, "GatherV2", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[1]);
    tfc_op_builder_add_input(b, gc->op->inputs[3]);
    gc->dx[0].dense = tfci_finish(gc->g, b);
    return TFC_OK;
}

/* ======================================================================
 * ConcatV2 and its gradient
 * ====================================================================== */

static tfc_code shape_concat(tfc_op *op)
{
    int n = op->ninputs - 1;
    tfc_code c = expect_scalar_index(op, n, "axis");
    if (c) return c;
    int64_t nattr = tfci_attr_int(op, "N", n);
    if (nattr != n)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute N is %lld but %d values are given", (ll)nattr, n);
    for (int i = 1; i < n; i++)
        if ((c = tfci_expect_same_dtype(op, 0, i))) return c;
    int rank = -1;
    for (int i = 0; i < n; i++) {
        const tfci_shape *s = tfci_in_shape(op, i);
        if (s->rank < 0) continue;
        if (s->rank == 0)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "cannot concatenate scalars (input %d, '%s')", i,
                                 op->inputs[i].op->name);
        if (rank >= 0 && s->rank != rank)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "all values must have the same rank: input %d has rank %d, "
                                 "an earlier one rank %d", i, s->rank, rank);
        rank = s->rank;
    }
    tfci_shape out = tfci_shape_unknown();
    int64_t axis;
    if (rank >= 0) {
        out.rank = rank;
        for (int d = 0; d < rank; d++) out.dims[d] = -1;
        if (const_axis(op, n, &axis)) {
            if (axis < -rank || axis >= rank)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "axis %lld is out of range for rank %d", (ll)axis, rank);
            if (axis < 0) axis += rank;
            int64_t sum = 0;
            for (int i = 0; i < n; i++) {
                const tfci_shape *s = tfci_in_shape(op, i);
                if (s->rank < 0) {
                    sum = -1;
                    continue;
                }
                for (int d = 0; d < rank; d++) {
                    if (d == axis) continue;
                    if (s->dims[d] < 0) continue;
                    if (out.dims[d] >= 0 && out.dims[d] != s->dims[d]) {
                        char a[128];
                        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                             "input %d has shape %s, which differs from the others in dimension %d "
                                             "(%lld vs %lld); only dimension %lld may differ",
                                             i, tfci_shape_to_str(s, a, sizeof a), d, (ll)s->dims[d],
                                             (ll)out.dims[d], (ll)axis);
                    }
                    out.dims[d] = s->dims[d];
                }
                if (sum >= 0) sum = s->dims[axis] < 0 ? -1 : sum + s->dims[axis];
            }
            out.dims[axis] = sum;
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &out);
}

/* Normalizes the run-time axis and checks every value against input 0. */
static tfc_code concat_check(tfci_kctx *k, const tfc_tensor *const *xs, int n, int axis_input, int *axis_out,
                             const char *what)
{
    int64_t axis;
    tfc_code c = get_scalar(k, axis_input, &axis, "axis");
    if (c) return c;
    const tfc_tensor *x0 = xs[0];
    if (x0->rank == 0) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "cannot concatenate scalars");
    if (axis < -x0->rank || axis >= x0->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "axis %lld is out of range for rank %d", (ll)axis, x0->rank);
    if (axis < 0) axis += x0->rank;
    for (int i = 1; i < n; i++) {
        const tfc_tensor *x = xs[i];
        bool ok = x->rank == x0->rank && x->dtype == x0->dtype;
        for (int d = 0; ok && d < x0->rank; d++)
            if (d != axis && x->dims[d] != x0->dims[d]) ok = false;
        if (!ok) {
            char a[128], b[128];
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "%s %d is %s %s, which does not match %s 0 (%s %s) outside dimension %lld", what, i,
                                   tfc_dtype_name(x->dtype), dims_str(x->dims, x->rank, a, sizeof a), what,
                                   tfc_dtype_name(x0->dtype), dims_str(x0->dims, x0->rank, b, sizeof b), (ll)axis);
        }
    }
    *axis_out = (int)axis;
    return TFC_OK;
}

static tfc_code k_concat(tfci_kctx *k)
{
    int n = k->nin - 1, axis;
    tfc_code c = concat_check(k, k->in, n, n, &axis, "value");
    if (c) return c;
    if (n == 1) {
        tfci_kctx_forward(k, 0, 0);
        return TFC_OK;
    }
    const tfc_tensor *x0 = k->in[0];
    int64_t dims[MAXR];
    memcpy(dims, x0->dims, sizeof(int64_t) * (size_t)x0->rank);
    dims[axis] = 0;
    for (int i = 0; i < n; i++) dims[axis] += k->in[i]->dims[axis];
    tfc_tensor *y = tfci_kctx_output(k, 0, x0->dtype, dims, x0->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    int64_t outer = prod(dims, 0, axis);
    size_t inner = (size_t)prod(dims, axis + 1, x0->rank) * tfc_dtype_size(x0->dtype);
    char *dst = y->data;
    if (outer == 1) { /* each value is one contiguous block */
        for (int i = 0; i < n; i++) {
            size_t chunk = (size_t)k->in[i]->dims[axis] * inner;
            copy_bytes(dst, k->in[i]->data, chunk);
            dst += chunk;
        }
        return TFC_OK;
    }
    /* row by row: for 2-D along the last axis, one memcpy per input row */
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < n; i++) {
            size_t chunk = (size_t)k->in[i]->dims[axis] * inner;
            const char *src = (const char *)k->in[i]->data + (size_t)o * chunk;
            if (chunk == 4) memcpy(dst, src, 4);
            else if (chunk == 8) memcpy(dst, src, 8);
            else copy_bytes(dst, src, chunk);
            dst += chunk;
        }
    return TFC_OK;
}

/* ConcatV2Grad(dy, axis, x_0..x_{n-1}): n outputs, output i the part of dy
 * that came from x_i (x_i is read for its run-time shape only). */
static tfc_code shape_concat_grad(tfc_op *op)
{
    int n = op->ninputs - 2;
    tfc_code c = expect_scalar_index(op, 1, "axis");
    if (c) return c;
    if ((c = tfci_op_set_num_outputs(op, n))) return c;
    for (int i = 0; i < n; i++) tfci_op_set_output(op, i, tfci_in_dtype(op, 0), tfci_in_shape(op, i + 2));
    return TFC_OK;
}

static tfc_code k_concat_grad(tfci_kctx *k)
{
    int n = k->nin - 2, axis;
    const tfc_tensor *dy = k->in[0], *const *xs = k->in + 2;
    tfc_code c = concat_check(k, xs, n, 1, &axis, "input");
    if (c) return c;
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += xs[i]->dims[axis];
    bool ok = dy->rank == xs[0]->rank;
    for (int d = 0; ok && d < dy->rank; d++)
        if (dy->dims[d] != (d == axis ? total : xs[0]->dims[d])) ok = false;
    if (!ok) {
        char a[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy has shape %s, which does not match the concatenation",
                               dims_str(dy->dims, dy->rank, a, sizeof a));
    }
    int64_t outer = prod(dy->dims, 0, axis);
    size_t inner = (size_t)prod(dy->dims, axis + 1, dy->rank) * tfc_dtype_size(dy->dtype);
    char *out[256];
    char **outs = n <= 256 ? out : tfci_kctx_scratch(k, (size_t)n * sizeof(char *));
    if (!outs) return TFC_RESOURCE_EXHAUSTED;
    for (int i = 0; i < n; i++) {
        tfc_tensor *y = tfci_kctx_output(k, i, dy->dtype, xs[i]->dims, xs[i]->rank);
        if (!y) return TFC_RESOURCE_EXHAUSTED;
        outs[i] = y->data;
    }
    const char *src = dy->data;
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < n; i++) {
            size_t chunk = (size_t)xs[i]->dims[axis] * inner;
            copy_bytes(outs[i] + (size_t)o * chunk, src, chunk);
            src += chunk;
        }
    return TFC_OK;
}

static tfc_output concat_along(tfc_graph *g, const tfc_output *xs, int n, tfc_output axis);

static tfc_code g_concat_grad(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = concat_along(gc->g, gc->dy, gc->op->noutputs, gc->op->inputs[1]);
    return TFC_OK;
}

static tfc_code g_concat(tfci_grad_ctx *gc)
{
    tfc_op *op = gc->op;
    int n = op->ninputs - 1;
    tfc_op_builder *b = tfci_builder(gc->g, "ConcatV2Grad", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, op->inputs[n]);
    tfc_op_builder_add_inputs(b, op->inputs, n);
    tfc_op *gop = tfci_finish_op(gc->g, b);
    if (!gop) return tfc_graph_status(gc->g);
    for (int i = 0; i < n; i++) gc->dx[i].dense = (tfc_output){gop, i};
    return TFC_OK;
}

/* ======================================================================
 * Reshape, ExpandDims, Squeeze: aliases of their input with new dims
 * ====================================================================== */

/* Resolves a requested shape (at most one -1) for n elements (n < 0: unknown,
 * the -1 stays unknown). Writes an error into err on failure. */
static bool resolve_shape(const int64_t *req, int r, int64_t n, int64_t *out, char *err, size_t errsz)
{
    int unknown = -1;
    int64_t known = 1;
    for (int i = 0; i < r; i++) {
        if (req[i] == -1) {
            if (unknown >= 0) {
                snprintf(err, errsz, "shape has more than one -1 (dimensions %d and %d)", unknown, i);
                return false;
            }
            unknown = i;
        } else if (req[i] < -1) {
            snprintf(err, errsz, "shape[%d] = %lld is negative", i, (ll)req[i]);
            return false;
        } else {
            if (req[i] && known > INT64_MAX / req[i]) {
                snprintf(err, errsz, "shape has too many elements");
                return false;
            }
            known *= req[i];
        }
        out[i] = req[i];
    }
    char a[128];
    if (n < 0) return true;
    if (unknown >= 0) {
        if (known == 0 || n % known != 0) {
            if (known == 0 && n == 0) {
                out[unknown] = 0;
                return true;
            }
            snprintf(err, errsz, "cannot reshape a tensor of %lld elements into shape %s", (ll)n,
                     ints_str(req, r, a, sizeof a));
            return false;
        }
        out[unknown] = n / known;
    } else if (known != n) {
        snprintf(err, errsz, "cannot reshape a tensor of %lld elements into shape %s (%lld elements)", (ll)n,
                 ints_str(req, r, a, sizeof a), (ll)known);
        return false;
    }
    return true;
}

static tfc_code shape_reshape(tfc_op *op)
{
    tfc_code c = expect_vector(op, 1, "shape");
    if (c) return c;
    const tfci_shape *in = tfci_in_shape(op, 0);
    int64_t req[MAXR + 1];
    int r;
    tfci_shape s = tfci_shape_unknown();
    if (const_ints(op, 1, req, MAXR + 1, &r)) {
        if (r > MAXR) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "shape has %d entries; at most %d", r, MAXR);
        int64_t n = tfci_shape_fully_known(in) ? prod(in->dims, 0, in->rank) : -1;
        char err[256];
        s.rank = r;
        if (!resolve_shape(req, r, n, s.dims, err, sizeof err))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
    } else {
        int64_t len = static_len(op, 1);
        if (len > MAXR)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "shape has %lld entries; at most %d", (ll)len, MAXR);
        if (len >= 0) {
            s.rank = (int)len;
            for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

/* Output 0 is input 0 with new dims: no copy. */
static void forward_as(tfci_kctx *k, const int64_t *dims, int rank)
{
    tfci_kctx_forward(k, 0, 0);
    tfc_tensor *y = &k->out[0];
    y->rank = rank;
    for (int i = 0; i < rank; i++) y->dims[i] = dims[i];
}

static tfc_code k_reshape(tfci_kctx *k)
{
    int64_t req[MAXR] = {0}, dims[MAXR];
    int r;
    tfc_code c = get_ints(k, 1, req, MAXR, &r, "shape");
    if (c) return c;
    char err[256];
    if (!resolve_shape(req, r, k->in[0]->n, dims, err, sizeof err))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    forward_as(k, dims, r);
    return TFC_OK;
}

/* dy reshaped to x's shape: static when fully known, else read at run time. */
static tfc_output reshape_like(tfc_graph *g, tfc_output dy, tfc_output x)
{
    const tfci_shape *s = &x.op->out_shapes[x.index];
    if (tfci_shape_fully_known(s)) return reshape_const(g, dy, s->dims, s->rank);
    return tfc_reshape_to(g, dy, tfc_shape(g, x, TFC_INT64, NULL), NULL);
}

static tfc_code g_reshape_back(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = reshape_like(gc->g, gc->dy[0], gc->op->inputs[0]);
    return TFC_OK;
}

static tfc_code shape_expand_dims(tfc_op *op)
{
    tfc_code c = expect_scalar_index(op, 1, "dim");
    if (c) return c;
    const tfci_shape *in = tfci_in_shape(op, 0);
    tfci_shape s = tfci_shape_unknown();
    if (in->rank >= MAXR)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input has rank %d; the result would exceed rank %d", in->rank,
                             MAXR);
    if (in->rank >= 0) {
        int64_t axis;
        s.rank = in->rank + 1;
        for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        if (const_axis(op, 1, &axis)) {
            if (axis < -s.rank || axis >= s.rank)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dim %lld is out of range [%d, %d]", (ll)axis,
                                     -s.rank, s.rank - 1);
            if (axis < 0) axis += s.rank;
            for (int i = 0, j = 0; i < s.rank; i++) s.dims[i] = i == axis ? 1 : in->dims[j++];
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

static tfc_code k_expand_dims(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int64_t axis, dims[MAXR];
    tfc_code c = get_scalar(k, 1, &axis, "dim");
    if (c) return c;
    int r = x->rank + 1;
    if (r > MAXR)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "input has rank %d; the result would exceed rank %d", x->rank,
                               MAXR);
    if (axis < -r || axis >= r)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dim %lld is out of range [%d, %d]", (ll)axis, -r, r - 1);
    if (axis < 0) axis += r;
    for (int i = 0, j = 0; i < r; i++) dims[i] = i == axis ? 1 : x->dims[j++];
    forward_as(k, dims, r);
    return TFC_OK;
}

/* Squeeze's squeeze_dims attribute: a bit mask of the dims to drop for rank
 * r (0 when the list is empty: every dim of size 1). */
static bool squeeze_mask(const tfc_op *op, int r, unsigned *mask, char *err, size_t errsz)
{
    const tfci_attr *a = tfci_attr_find(op, "squeeze_dims");
    *mask = 0;
    if (!a) return true;
    if (a->kind != TFCI_ATTR_INT_LIST) {
        snprintf(err, errsz, "attribute 'squeeze_dims' must be a list of ints");
        return false;
    }
    const int64_t *v = a->u.list.v;
    for (int i = 0; i < a->u.list.n; i++) {
        int64_t d = v[i];
        if (d < -r || d >= r) {
            snprintf(err, errsz, "squeeze_dims[%d] = %lld is out of range for rank %d", i, (ll)d, r);
            return false;
        }
        if (d < 0) d += r;
        *mask |= 1u << d;
    }
    return true;
}

static bool squeeze_listed(const tfc_op *op)
{
    const tfci_attr *a = tfci_attr_find(op, "squeeze_dims");
    return a && a->kind == TFCI_ATTR_INT_LIST && a->u.list.n > 0;
}

static tfc_code shape_squeeze(tfc_op *op)
{
    const tfci_shape *in = tfci_in_shape(op, 0);
    tfci_shape s = tfci_shape_unknown();
    const tfci_attr *a = tfci_attr_find(op, "squeeze_dims");
    if (a && a->kind != TFCI_ATTR_INT_LIST)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'squeeze_dims' must be a list of ints");
    if (in->rank >= 0) {
        unsigned mask;
        char err[256];
        if (!squeeze_mask(op, in->rank, &mask, err, sizeof err))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
        bool listed = squeeze_listed(op);
        s.rank = 0;
        for (int i = 0; i < in->rank; i++) {
            int64_t d = in->dims[i];
            if (listed) {
                if (!(mask & (1u << i))) s.dims[s.rank++] = d;
                else if (d >= 0 && d != 1)
                    return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                         "cannot squeeze dimension %d of size %lld (only size-1 dims)", i, (ll)d);
            } else if (d < 0) {
                s = tfci_shape_unknown(); /* whether it is squeezed is known only at run time */
                break;
            } else if (d != 1) {
                s.dims[s.rank++] = d;
            }
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

static tfc_code k_squeeze(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    unsigned mask;
    char err[256];
    if (!squeeze_mask(k->op, x->rank, &mask, err, sizeof err))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    bool listed = mask != 0 || squeeze_listed(k->op);
    int64_t dims[MAXR];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (listed && (mask & (1u << i))) {
            if (x->dims[i] != 1)
                return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                       "cannot squeeze dimension %d of size %lld (only size-1 dims)", i,
                                       (ll)x->dims[i]);
            continue;
        }
        if (!listed && x->dims[i] == 1) continue;
        dims[r++] = x->dims[i];
    }
    forward_as(k, dims, r);
    return TFC_OK;
}

/* ======================================================================
 * Slice and its gradient
 * ====================================================================== */

/* Checks begin/size against dims and resolves size -1; err on failure. */
static bool slice_resolve(const int64_t *dims, int rank, const int64_t *begin, const int64_t *size, int n,
                          int64_t *out_size, char *err, size_t errsz)
{
    if (n != rank) {
        snprintf(err, errsz, "begin and size have %d entries but the input has rank %d", n, rank);
        return false;
    }
    for (int i = 0; i < n; i++) {
        int64_t d = dims[i], b = begin[i], s = size[i];
        if (b < 0 || (d >= 0 && b > d)) {
            snprintf(err, errsz, "begin[%d] = %lld is out of range [0, %lld]", i, (ll)b, (ll)d);
            return false;
        }
        if (s < -1) {
            snprintf(err, errsz, "size[%d] = %lld is negative (only -1, meaning 'to the end', is allowed)", i, (ll)s);
            return false;
        }
        if (s == -1) s = d < 0 ? -1 : d - b;
        else if (d >= 0 && s > d - b) { /* b + s could overflow */
            snprintf(err, errsz, "slice [%lld, %llu) of dimension %d is out of range (size %lld)", (ll)b,
                     (unsigned long long)b + (unsigned long long)s, i, (ll)d);
            return false;
        }
        out_size[i] = s;
    }
    return true;
}

static tfc_code shape_slice(tfc_op *op)
{
    tfc_code c = expect_vector(op, 1, "begin");
    if (!c) c = expect_vector(op, 2, "size");
    if (c) return c;
    const tfci_shape *in = tfci_in_shape(op, 0);
    int64_t b[MAXR], sz[MAXR];
    int nb, ns;
    tfci_shape s = tfci_shape_unknown();
    if (in->rank >= 0) {
        s.rank = in->rank;
        for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        bool have_b = const_ints(op, 1, b, MAXR, &nb), have_s = const_ints(op, 2, sz, MAXR, &ns);
        if (have_b && have_s) {
            char err[256];
            if (nb != ns)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "begin has %d entries and size %d", nb, ns);
            if (!slice_resolve(in->dims, in->rank, b, sz, nb, s.dims, err, sizeof err))
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
        } else if (have_s && ns == in->rank) {
            for (int i = 0; i < ns; i++) s.dims[i] = sz[i] >= 0 ? sz[i] : -1;
        } else if ((have_b && nb != in->rank) || (have_s && ns != in->rank)) {
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "begin and size must have %d entries (the input's rank)",
                                 in->rank);
        }
    } else {
        int64_t len = static_len(op, 2);
        if (len >= 0 && len <= MAXR) {
            s.rank = (int)len;
            for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

/* Reads and checks begin (input bi) and size (input si, or the dims of
 * sized when si < 0) against x. */
static tfc_code slice_args(tfci_kctx *k, const tfc_tensor *x, int bi, int si, const tfc_tensor *sized,
                           int64_t *begin, int64_t *size)
{
    int nb, ns;
    int64_t req[MAXR];
    tfc_code c = get_ints(k, bi, begin, MAXR, &nb, "begin");
    if (c) return c;
    if (si >= 0) {
        if ((c = get_ints(k, si, req, MAXR, &ns, "size"))) return c;
        if (ns != nb) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "begin has %d entries and size %d", nb, ns);
    } else {
        ns = sized->rank;
        memcpy(req, sized->dims, sizeof(int64_t) * (size_t)ns);
        if (ns != nb)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "begin has %d entries but dy has rank %d", nb, ns);
    }
    char err[256];
    if (!slice_resolve(x->dims, x->rank, begin, req, nb, size, err, sizeof err))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    return TFC_OK;
}

static tfc_code k_slice(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int64_t begin[MAXR], size[MAXR], st[MAXR], ost[MAXR];
    tfc_code c = slice_args(k, x, 1, 2, NULL, begin, size);
    if (c) return c;
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, size, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (!y->n) return TFC_OK;
    strides_of(x->dims, x->rank, st);
    strides_of(size, x->rank, ost);
    int64_t off = 0;
    for (int i = 0; i < x->rank; i++) off += begin[i] * st[i];
    size_t es = tfc_dtype_size(x->dtype);
    block_copy(y->data, ost, (const char *)x->data + (size_t)off * es, st, size, x->rank, es);
    return TFC_OK;
}

/* SliceGrad(dy, x, begin): zeros shaped like x with dy placed at begin. */
static tfc_code shape_slice_grad(tfc_op *op)
{
    tfc_code c = expect_vector(op, 2, "begin");
    if (c) return c;
    return set_one_output(op, tfci_in_dtype(op, 0), tfci_in_shape(op, 1));
}

static tfc_code k_slice_grad(tfci_kctx *k)
{
    const tfc_tensor *dy = k->in[0], *x = k->in[1];
    int64_t begin[MAXR], size[MAXR], st[MAXR], dst_st[MAXR];
    tfc_code c = slice_args(k, x, 2, -1, dy, begin, size);
    if (c) return c;
    tfc_tensor *y = tfci_kctx_output(k, 0, dy->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (y->bytes) memset(y->data, 0, y->bytes);
    if (!dy->n) return TFC_OK;
    strides_of(x->dims, x->rank, st);
    strides_of(dy->dims, dy->rank, dst_st);
    int64_t off = 0;
    for (int i = 0; i < x->rank; i++) off += begin[i] * st[i];
    size_t es = tfc_dtype_size(dy->dtype);
    block_copy((char *)y->data + (size_t)off * es, st, dy->data, dst_st, size, x->rank, es);
    return TFC_OK;
}

/* SliceGrad is linear in dy: its gradient slices the incoming one again. */
static tfc_code g_slice_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output dy = gc->op->inputs[0];
    const tfci_shape *ds = &dy.op->out_shapes[dy.index];
    tfc_output size = tfci_shape_fully_known(ds) ? tfci_const_int64s(g, ds->dims, ds->rank, NULL)
                                                 : tfc_shape(g, dy, TFC_INT64, NULL);
    tfc_op_builder *b = tfci_builder(g, "Slice", NULL);
    if (!b) return tfc_graph_status(g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[2]);
    tfc_op_builder_add_input(b, size);
    gc->dx[0].dense = tfci_finish(g, b);
    return TFC_OK;
}

static tfc_code g_slice(tfci_grad_ctx *gc)
{
    tfc_op_builder *b = tfci_builder(gc->g, "SliceGrad", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[1]);
    gc->dx[0].dense = tfci_finish(gc->g, b);
    return TFC_OK;
}

/* ======================================================================
 * Cast
 * ====================================================================== */

static bool castable(tfc_dtype dt) { return dt != TFC_STRING && tfci_dtype_valid(dt); }

static tfc_code shape_cast(tfc_op *op)
{
    tfc_dtype dst, src = tfci_in_dtype(op, 0);
    tfc_code c = tfci_attr_req_type(op, "DstT", &dst);
    if (c) return c;
    if (tfci_attr_find(op, "SrcT")) {
        tfc_dtype a;
        if ((c = tfci_attr_req_type(op, "SrcT", &a))) return c;
        if (a != src)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'SrcT' is %s but the input is %s",
                                 tfc_dtype_name(a), tfc_dtype_name(src));
    }
    if (!castable(src))
        return tfci_op_error(op, TFC_UNIMPLEMENTED, "cannot cast from %s (only numeric types and bool)",
                             tfc_dtype_name(src));
    if (!castable(dst))
        return tfci_op_error(op, TFC_UNIMPLEMENTED, "cannot cast to %s (only numeric types and bool)",
                             tfc_dtype_name(dst));
    op->ci[0] = dst;
    return set_one_output(op, dst, tfci_in_shape(op, 0));
}

/* Float to int conversions truncate toward zero; NaN gives 0 and values
 * beyond the target's range saturate at its min/max (C leaves those
 * undefined; TensorFlow's result is platform-dependent). */
/* Written as selects (no early returns) so the loops vectorize; LO and HI
 * are exact in double for these types, so the final cast is in range. */
#define F2I(NAME, T, LO, HI)                                                                                       \
    static inline T NAME(double v)                                                                                 \
    {                                                                                                              \
        double c = v > (double)(LO) ? v : (double)(LO);                                                            \
        c = c < (double)(HI) ? c : (double)(HI);                                                                   \
        return v == v ? (T)c : (T)0;                                                                               \
    }
F2I(f_to_i8, int8_t, INT8_MIN, INT8_MAX)
F2I(f_to_u8, uint8_t, 0, UINT8_MAX)
F2I(f_to_i16, int16_t, INT16_MIN, INT16_MAX)
F2I(f_to_i32, int32_t, INT32_MIN, INT32_MAX)
/* 2^63 - 1 is not a double: saturate against 2^63 explicitly. */
static inline int64_t f_to_i64(double v)
{
    if (v != v) return 0;
    if (v >= 9223372036854775808.0) return INT64_MAX;
    if (v < -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}
#undef F2I

/* Integer narrowing wraps (two's complement), as in TensorFlow. */
#define CVT_INT(T, FN, v) _Generic((v), float: FN((double)(v)), double: FN((double)(v)), default: (T)(v))
#define CVT_F32(v) ((float)(v))
#define CVT_F64(v) ((double)(v))
#define CVT_I8(v) CVT_INT(int8_t, f_to_i8, v)
#define CVT_U8(v) CVT_INT(uint8_t, f_to_u8, v)
#define CVT_I16(v) CVT_INT(int16_t, f_to_i16, v)
#define CVT_I32(v) CVT_INT(int32_t, f_to_i32, v)
#define CVT_I64(v) CVT_INT(int64_t, f_to_i64, v)
#define CVT_BOOL(v) ((uint8_t)((v) != 0))
#define LD(v) (v)
#define LD_BOOL(v) ((uint8_t)((v) != 0))

#define CAST_LOOP(ST, DT, CVT, LOAD)                                                                               \
    do {                                                                                                           \
        const ST *s = (const ST *)j->x->data + b;                                                                  \
        DT *d = (DT *)j->y->data + b;                                                                              \
        for (int64_t i = 0; i < n; i++) d[i] = (DT)CVT(LOAD(s[i]));                                                \
    } while (0)

#define CAST_FROM(ST, LOAD)                                                                                        \
    switch (j->dst) {                                                                                              \
    case TFC_FLOAT: CAST_LOOP(ST, float, CVT_F32, LOAD); break;                                                   \
    case TFC_DOUBLE: CAST_LOOP(ST, double, CVT_F64, LOAD); break;                                                 \
    case TFC_INT8: CAST_LOOP(ST, int8_t, CVT_I8, LOAD); break;                                                    \
    case TFC_UINT8: CAST_LOOP(ST, uint8_t, CVT_U8, LOAD); break;                                                  \
    case TFC_INT16: CAST_LOOP(ST, int16_t, CVT_I16, LOAD); break;                                                 \
    case TFC_INT32: CAST_LOOP(ST, int32_t, CVT_I32, LOAD); break;                                                 \
    case TFC_INT64: CAST_LOOP(ST, int64_t, CVT_I64, LOAD); break;                                                 \
    case TFC_BOOL: CAST_LOOP(ST, uint8_t, CVT_BOOL, LOAD); break;                                                 \
    default: break;                                                                                                \
    }

typedef struct cast_job {
    const tfc_tensor *x;
    tfc_tensor *y;
    tfc_dtype dst;
} cast_job;

TFCI_SIMD_CLONES static void cast_range(void *arg, int64_t b, int64_t e)
{
    const cast_job *j = arg;
    int64_t n = e - b;
    switch (j->x->dtype) {
    case TFC_FLOAT: CAST_FROM(float, LD) break;
    case TFC_DOUBLE: CAST_FROM(double, LD) break;
    case TFC_INT8: CAST_FROM(int8_t, LD) break;
    case TFC_UINT8: CAST_FROM(uint8_t, LD) break;
    case TFC_INT16: CAST_FROM(int16_t, LD) break;
    case TFC_INT32: CAST_FROM(int32_t, LD) break;
    case TFC_INT64: CAST_FROM(int64_t, LD) break;
    case TFC_BOOL: CAST_FROM(uint8_t, LD_BOOL) break;
    default: break;
    }
}
#undef CAST_FROM
#undef CAST_LOOP

static tfc_code k_cast(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    tfc_dtype dst = (tfc_dtype)k->op->ci[0];
    if (x->dtype == dst) {
        tfci_kctx_forward(k, 0, 0);
        return TFC_OK;
    }
    if (!castable(x->dtype)) return tfci_kctx_error(k, TFC_UNIMPLEMENTED, "cannot cast from %s", tfc_dtype_name(x->dtype));
    if (!castable(dst)) return tfci_kctx_error(k, TFC_UNIMPLEMENTED, "cannot cast to %s", tfc_dtype_name(dst));
    tfc_tensor *y = tfci_kctx_output(k, 0, dst, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    cast_job job = {x, y, dst};
    tfci_parallel_for(tfci_kctx_pool(k), x->n, 32768, cast_range, &job);
    return TFC_OK;
}

static tfc_code g_cast(tfci_grad_ctx *gc)
{
    tfc_dtype src = tfci_in_dtype(gc->op, 0), dst = (tfc_dtype)gc->op->ci[0];
    if (tfci_dtype_is_float(src) && tfci_dtype_is_float(dst)) gc->dx[0].dense = tfc_cast(gc->g, gc->dy[0], src, NULL);
    return TFC_OK;
}

/* ======================================================================
 * Transpose, InvertPermutation
 * ====================================================================== */

static bool perm_ok(const int64_t *p, int n, char *err, size_t errsz)
{
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= n) {
            snprintf(err, errsz, "perm[%d] = %lld is out of range [0, %d)", i, (ll)p[i], n);
            return false;
        }
        if (seen & (1u << p[i])) {
            snprintf(err, errsz, "perm is not a permutation: %lld appears twice", (ll)p[i]);
            return false;
        }
        seen |= 1u << p[i];
    }
    return true;
}

static tfc_code shape_transpose(tfc_op *op)
{
    tfc_code c = expect_vector(op, 1, "perm");
    if (c) return c;
    const tfci_shape *in = tfci_in_shape(op, 0);
    int64_t p[MAXR + 1];
    int n;
    tfci_shape s = tfci_shape_unknown();
    if (const_ints(op, 1, p, MAXR + 1, &n)) {
        char err[256];
        if (in->rank >= 0 && n != in->rank)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "perm has %d entries but the input has rank %d", n,
                                 in->rank);
        if (n > MAXR) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "perm has %d entries; at most %d", n, MAXR);
        if (!perm_ok(p, n, err, sizeof err)) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
        s.rank = n;
        for (int i = 0; i < n; i++) s.dims[i] = in->rank >= 0 ? in->dims[p[i]] : -1;
    } else if (in->rank >= 0) {
        s.rank = in->rank;
        for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

/* dst[j][i] = src[i][j] for a rows x cols src, in 16x16 tiles written row by
 * row of dst (tiles that also avoid the cache-set conflicts of power-of-two
 * strides, which made larger tiles several times slower at 1024x1024). */
static void transpose2d(char *dst, const char *src, int64_t rows, int64_t cols, size_t es)
{
    enum { B = 16 };
    for (int64_t i0 = 0; i0 < rows; i0 += B) {
        int64_t i1 = i0 + B < rows ? i0 + B : rows;
        for (int64_t j0 = 0; j0 < cols; j0 += B) {
            int64_t j1 = j0 + B < cols ? j0 + B : cols;
#define TBLOCK(ES)                                                                                                 \
    for (int64_t j = j0; j < j1; j++)                                                                              \
        for (int64_t i = i0; i < i1; i++) memcpy(dst + (j * rows + i) * (ES), src + (i * cols + j) * (ES), (ES));
            switch (es) {
            case 1: TBLOCK(1) break;
            case 2: TBLOCK(2) break;
            case 4: TBLOCK(4) break;
            case 8: TBLOCK(8) break;
            case 16: TBLOCK(16) break;
            default:
                for (int64_t j = j0; j < j1; j++)
                    for (int64_t i = i0; i < i1; i++)
                        memcpy(dst + (size_t)(j * rows + i) * es, src + (size_t)(i * cols + j) * es, es);
            }
#undef TBLOCK
        }
    }
}

static tfc_code k_transpose(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int64_t p[MAXR], odims[MAXR];
    int n;
    char err[256];
    tfc_code c = get_ints(k, 1, p, MAXR, &n, "perm");
    if (c) return c;
    if (n != x->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "perm has %d entries but the input has rank %d", n, x->rank);
    if (!perm_ok(p, n, err, sizeof err)) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    for (int i = 0; i < n; i++) odims[i] = x->dims[p[i]];

    /* Simplify: drop size-1 axes, then merge runs of output axes that are
     * consecutive input axes; what is left is the real data movement. */
    int map[MAXR], q = 0, r2 = 0;
    int64_t d2[MAXR];
    int p2[MAXR];
    for (int a = 0; a < n; a++) {
        map[a] = x->dims[a] == 1 ? -1 : q;
        if (x->dims[a] != 1) d2[q++] = x->dims[a];
    }
    for (int i = 0; i < n; i++)
        if (map[p[i]] >= 0) p2[r2++] = map[p[i]];
    int gs[MAXR], ge[MAXR], ng = 0;
    for (int i = 0; i < r2; i++) {
        if (ng > 0 && p2[i] == ge[ng - 1] + 1) ge[ng - 1] = p2[i];
        else {
            gs[ng] = ge[ng] = p2[i];
            ng++;
        }
    }
    int perm3[MAXR];
    int64_t idim[MAXR];
    bool identity = true;
    for (int a = 0; a < ng; a++) {
        int pos = 0;
        for (int b = 0; b < ng; b++) pos += gs[b] < gs[a];
        perm3[a] = pos;
        idim[pos] = prod(d2, gs[a], ge[a] + 1);
        if (pos != a) identity = false;
    }
    if (identity) { /* same memory order: no copy */
        forward_as(k, odims, n);
        return TFC_OK;
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, odims, n);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    size_t es = tfc_dtype_size(x->dtype);
    if (ng == 2) {
        transpose2d(y->data, x->data, idim[0], idim[1], es);
    } else if (ng == 3 && perm3[0] == 0 && perm3[1] == 2) { /* batched 2-D */
        size_t mat = (size_t)(idim[1] * idim[2]) * es;
        for (int64_t b = 0; b < idim[0]; b++)
            transpose2d((char *)y->data + (size_t)b * mat, (const char *)x->data + (size_t)b * mat, idim[1], idim[2],
                        es);
    } else {
        int64_t ist[MAXR], ss[MAXR], cnt[MAXR], ds[MAXR];
        strides_of(idim, ng, ist);
        for (int a = 0; a < ng; a++) {
            ss[a] = ist[perm3[a]];
            cnt[a] = idim[perm3[a]];
        }
        strides_of(cnt, ng, ds);
        block_copy(y->data, ds, x->data, ss, cnt, ng, es);
    }
    return TFC_OK;
}

static tfc_code shape_invert_permutation(tfc_op *op)
{
    tfc_code c = expect_vector(op, 0, "x");
    if (c) return c;
    return set_one_output(op, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
}

static tfc_code k_invert_permutation(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    char b[128];
    if (!is_index_dtype(x->dtype) || x->rank != 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "x must be an int32 or int64 vector, got %s %s",
                               tfc_dtype_name(x->dtype), dims_str(x->dims, x->rank, b, sizeof b));
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, 1);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    int64_t n = x->n;
    for (int64_t i = 0; i < n; i++) {
        if (x->dtype == TFC_INT32) ((int32_t *)y->data)[i] = -1;
        else ((int64_t *)y->data)[i] = -1;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t v = index_at(x, i);
        if (v < 0 || v >= n)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "x[%lld] = %lld is not in [0, %lld)", (ll)i, (ll)v, (ll)n);
        if (index_at(y, v) != -1)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "x is not a permutation: %lld appears twice", (ll)v);
        if (x->dtype == TFC_INT32) ((int32_t *)y->data)[v] = (int32_t)i;
        else ((int64_t *)y->data)[v] = i;
    }
    return TFC_OK;
}

static tfc_code g_transpose(tfci_grad_ctx *gc)
{
    int64_t p[MAXR], inv[MAXR];
    int n;
    if (const_ints(gc->op, 1, p, MAXR, &n)) {
        for (int i = 0; i < n; i++) inv[p[i]] = i;
        gc->dx[0].dense = tfc_transpose(gc->g, gc->dy[0], inv, n, NULL);
    } else {
        tfc_output ip = tfci_unary(gc->g, "InvertPermutation", NULL, gc->op->inputs[1]);
        gc->dx[0].dense = tfci_binary(gc->g, "Transpose", NULL, gc->dy[0], ip);
    }
    return TFC_OK;
}

/* ======================================================================
 * Split
 * ====================================================================== */

static tfc_code shape_split(tfc_op *op)
{
    int64_t num;
    tfc_code c = tfci_attr_req_int(op, "num_split", &num);
    if (!c) c = expect_scalar_index(op, 0, "split_dim");
    if (c) return c;
    if (num < 1 || num > 1 << 20)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "num_split must be at least 1, got %lld", (ll)num);
    op->ci[0] = num;
    const tfci_shape *in = tfci_in_shape(op, 1);
    if (in->rank == 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "cannot split a scalar");
    tfci_shape s = *in;
    int64_t axis;
    if (in->rank > 0) {
        if (const_axis(op, 0, &axis)) {
            if (axis < -in->rank || axis >= in->rank)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "split_dim %lld is out of range for rank %d", (ll)axis,
                                     in->rank);
            if (axis < 0) axis += in->rank;
            int64_t d = in->dims[axis];
            if (d >= 0 && d % num != 0)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                     "dimension %lld (size %lld) cannot be split into %lld equal parts", (ll)axis,
                                     (ll)d, (ll)num);
            s.dims[axis] = d >= 0 ? d / num : -1;
        } else {
            for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        }
    }
    if ((c = tfci_op_set_num_outputs(op, (int)num))) return c;
    for (int j = 0; j < num; j++) tfci_op_set_output(op, j, tfci_in_dtype(op, 1), &s);
    return TFC_OK;
}

static tfc_code k_split(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[1];
    int64_t num = k->op->ci[0], axis;
    tfc_code c = get_scalar(k, 0, &axis, "split_dim");
    if (c) return c;
    if (x->rank == 0) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "cannot split a scalar");
    if (axis < -x->rank || axis >= x->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "split_dim %lld is out of range for rank %d", (ll)axis,
                               x->rank);
    if (axis < 0) axis += x->rank;
    int64_t d = x->dims[axis];
    if (d % num != 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                               "dimension %lld (size %lld) cannot be split into %lld equal parts", (ll)axis, (ll)d,
                               (ll)num);
    if (num == 1) {
        tfci_kctx_forward(k, 0, 1);
        return TFC_OK;
    }
    int64_t dims[MAXR];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    dims[axis] = d / num;
    int64_t outer = prod(x->dims, 0, (int)axis);
    size_t chunk = (size_t)(dims[axis] * prod(x->dims, (int)axis + 1, x->rank)) * tfc_dtype_size(x->dtype);
    for (int j = 0; j < num; j++) {
        tfc_tensor *y = tfci_kctx_output(k, j, x->dtype, dims, x->rank);
        if (!y) return TFC_RESOURCE_EXHAUSTED;
        const char *src = (const char *)x->data + (size_t)j * chunk;
        char *dst = y->data;
        for (int64_t o = 0; o < outer; o++) copy_bytes(dst + (size_t)o * chunk, src + (size_t)(o * num) * chunk, chunk);
    }
    return TFC_OK;
}

/* ConcatV2 of xs along the axis given by an existing output. */
static tfc_output concat_along(tfc_graph *g, const tfc_output *xs, int n, tfc_output axis)
{
    tfc_op_builder *b = tfci_builder(g, "ConcatV2", NULL);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_inputs(b, xs, n);
    tfc_op_builder_add_input(b, axis);
    tfc_op_builder_set_attr_int(b, "N", n);
    return tfci_finish(g, b);
}

static tfc_code g_split(tfci_grad_ctx *gc)
{
    gc->dx[1].dense = concat_along(gc->g, gc->dy, gc->op->noutputs, gc->op->inputs[0]);
    return TFC_OK;
}

/* ======================================================================
 * StridedSlice and its gradient
 * ====================================================================== */

typedef struct ss_spec {
    int64_t start[MAXR], step[MAXR], count[MAXR]; /* per input dim (count -1: unknown) */
    int out_rank;
    int64_t out_dims[MAXR];
} ss_spec;

/* Python's x[b:e:s] per dimension with TensorFlow's masks, for input dims
 * (-1: unknown). Dimensions past the n given are taken whole. */
static bool ss_canon(const int64_t *dims, int rank, const int64_t *b, const int64_t *e, const int64_t *st, int n,
                     int64_t bm, int64_t em, int64_t sm, ss_spec *sp, char *err, size_t errsz)
{
    if (n > rank) {
        snprintf(err, errsz, "begin, end and strides have %d entries but the input has rank %d", n, rank);
        return false;
    }
    sp->out_rank = 0;
    for (int d = 0; d < rank; d++) {
        int64_t D = dims[d];
        if (d >= n) {
            sp->start[d] = 0;
            sp->step[d] = 1;
            sp->count[d] = D;
            sp->out_dims[sp->out_rank++] = D;
            continue;
        }
        int64_t s = st[d];
        if (s == 0 || s == INT64_MIN) {
            snprintf(err, errsz, "strides[%d] = %lld is not allowed", d, (ll)s);
            return false;
        }
        if ((sm >> d) & 1) {
            int64_t i = b[d];
            if (D >= 0) {
                if (i < 0) i += D;
                if (i < 0 || i >= D) {
                    snprintf(err, errsz, "index %lld of dimension %d is out of range (size %lld)", (ll)b[d], d, (ll)D);
                    return false;
                }
            }
            sp->start[d] = i;
            sp->step[d] = 1;
            sp->count[d] = 1;
            continue;
        }
        sp->step[d] = s;
        if (D < 0) {
            sp->start[d] = 0;
            sp->count[d] = -1;
            sp->out_dims[sp->out_rank++] = -1;
            continue;
        }
        int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? D : D - 1;
        int64_t bb = b[d] < 0 ? b[d] + D : b[d], ee = e[d] < 0 ? e[d] + D : e[d];
        bb = bb < lo ? lo : bb > hi ? hi : bb;
        ee = ee < lo ? lo : ee > hi ? hi : ee;
        if ((bm >> d) & 1) bb = s > 0 ? 0 : D - 1;
        if ((em >> d) & 1) ee = s > 0 ? D : -1;
        int64_t cnt;
        if (s > 0) cnt = ee > bb ? (ee - bb - 1) / s + 1 : 0;
        else cnt = bb > ee ? (bb - ee - 1) / -s + 1 : 0;
        sp->start[d] = bb;
        sp->count[d] = cnt;
        sp->out_dims[sp->out_rank++] = cnt;
    }
    return true;
}

static tfc_code ss_attrs(tfc_op *op)
{
    if (tfci_attr_int(op, "ellipsis_mask", 0) != 0)
        return tfci_op_error(op, TFC_UNIMPLEMENTED, "ellipsis_mask is not supported; spell the dimensions out");
    if (tfci_attr_int(op, "new_axis_mask", 0) != 0)
        return tfci_op_error(op, TFC_UNIMPLEMENTED, "new_axis_mask is not supported; use ExpandDims");
    op->ci[0] = tfci_attr_int(op, "begin_mask", 0);
    op->ci[1] = tfci_attr_int(op, "end_mask", 0);
    op->ci[2] = tfci_attr_int(op, "shrink_axis_mask", 0);
    return TFC_OK;
}

/* Static output shape of a strided slice of an input with static shape in,
 * whose begin/end/strides are inputs bi..bi+2. */
static tfc_code ss_static(tfc_op *op, const tfci_shape *in, int bi, tfci_shape *out)
{
    static const char *names[3] = {"begin", "end", "strides"};
    tfc_code c;
    for (int i = 0; i < 3; i++)
        if ((c = expect_vector(op, bi + i, names[i]))) return c;
    if ((c = ss_attrs(op))) return c;
    *out = tfci_shape_unknown();
    int64_t v[3][MAXR + 1];
    int nv[3];
    bool known = true;
    for (int i = 0; i < 3; i++) known = known && const_ints(op, bi + i, v[i], MAXR + 1, &nv[i]);
    if (known) {
        if (nv[0] != nv[1] || nv[0] != nv[2])
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "begin, end and strides have %d, %d and %d entries",
                                 nv[0], nv[1], nv[2]);
        if (in->rank < 0) return TFC_OK;
        ss_spec sp;
        char err[256];
        if (!ss_canon(in->dims, in->rank, v[0], v[1], v[2], nv[0], op->ci[0], op->ci[1], op->ci[2], &sp, err,
                      sizeof err))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
        *out = tfci_shape_make(sp.out_dims, sp.out_rank);
        return TFC_OK;
    }
    int64_t n = static_len(op, bi);
    if (in->rank >= 0 && n >= 0 && n <= in->rank) {
        out->rank = in->rank;
        for (int d = 0; d < n; d++)
            if ((op->ci[2] >> d) & 1) out->rank--;
        for (int d = 0; d < out->rank; d++) out->dims[d] = -1;
    }
    return TFC_OK;
}

static tfc_code shape_strided_slice(tfc_op *op)
{
    tfci_shape s;
    tfc_code c = ss_static(op, tfci_in_shape(op, 0), 1, &s);
    if (c) return c;
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

/* Run-time spec of a strided slice of x with begin/end/strides at bi..bi+2. */
static tfc_code ss_runtime(tfci_kctx *k, const tfc_tensor *x, int bi, ss_spec *sp)
{
    int64_t v[3][MAXR];
    int nv[3];
    static const char *names[3] = {"begin", "end", "strides"};
    tfc_code c;
    for (int i = 0; i < 3; i++)
        if ((c = get_ints(k, bi + i, v[i], MAXR, &nv[i], names[i]))) return c;
    if (nv[0] != nv[1] || nv[0] != nv[2])
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "begin, end and strides have %d, %d and %d entries", nv[0],
                               nv[1], nv[2]);
    char err[256];
    if (!ss_canon(x->dims, x->rank, v[0], v[1], v[2], nv[0], k->op->ci[0], k->op->ci[1], k->op->ci[2], sp, err,
                  sizeof err))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    return TFC_OK;
}

static tfc_code k_strided_slice(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    ss_spec sp;
    tfc_code c = ss_runtime(k, x, 1, &sp);
    if (c) return c;
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, sp.out_dims, sp.out_rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (!y->n) return TFC_OK;
    int64_t ist[MAXR], ss[MAXR], ds[MAXR], off = 0;
    strides_of(x->dims, x->rank, ist);
    for (int d = 0; d < x->rank; d++) {
        off += sp.start[d] * ist[d];
        ss[d] = sp.step[d] * ist[d];
    }
    strides_of(sp.count, x->rank, ds);
    size_t es = tfc_dtype_size(x->dtype);
    block_copy(y->data, ds, (const char *)x->data + off * (int64_t)es, ss, sp.count, x->rank, es);
    return TFC_OK;
}

/* StridedSliceGrad(dy, x, begin, end, strides): zeros like x with dy
 * scattered back to the sliced positions (they are distinct). */
static tfc_code shape_strided_slice_grad(tfc_op *op)
{
    tfci_shape s;
    tfc_code c = ss_static(op, tfci_in_shape(op, 1), 2, &s);
    if (c) return c;
    return set_one_output(op, tfci_in_dtype(op, 0), tfci_in_shape(op, 1));
}

static tfc_code k_strided_slice_grad(tfci_kctx *k)
{
    const tfc_tensor *dy = k->in[0], *x = k->in[1];
    ss_spec sp;
    tfc_code c = ss_runtime(k, x, 2, &sp);
    if (c) return c;
    bool ok = dy->rank == sp.out_rank;
    for (int d = 0; ok && d < dy->rank; d++) ok = dy->dims[d] == sp.out_dims[d];
    if (!ok) {
        char a[128], b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy has shape %s, expected %s",
                               dims_str(dy->dims, dy->rank, a, sizeof a),
                               dims_str(sp.out_dims, sp.out_rank, b, sizeof b));
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, dy->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (y->bytes) memset(y->data, 0, y->bytes);
    if (!dy->n) return TFC_OK;
    int64_t xst[MAXR], ds[MAXR], ss[MAXR], off = 0;
    strides_of(x->dims, x->rank, xst);
    for (int d = 0; d < x->rank; d++) {
        off += sp.start[d] * xst[d];
        ds[d] = sp.step[d] * xst[d];
    }
    strides_of(sp.count, x->rank, ss);
    size_t es = tfc_dtype_size(dy->dtype);
    block_copy((char *)y->data + off * (int64_t)es, ds, dy->data, ss, sp.count, x->rank, es);
    return TFC_OK;
}

/* StridedSliceGrad (kind 1, inputs dy, x, begin, end, strides) differentiates
 * to StridedSlice (kind 0) and the other way round. */
static tfc_code ss_grad(tfci_grad_ctx *gc, bool of_grad)
{
    tfc_op *op = gc->op;
    tfc_op_builder *b = tfci_builder(gc->g, of_grad ? "StridedSlice" : "StridedSliceGrad", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    if (of_grad) tfc_op_builder_add_inputs(b, op->inputs + 2, 3);
    else tfc_op_builder_add_inputs(b, op->inputs, 4);
    tfc_op_builder_set_attr_int(b, "begin_mask", op->ci[0]);
    tfc_op_builder_set_attr_int(b, "end_mask", op->ci[1]);
    tfc_op_builder_set_attr_int(b, "shrink_axis_mask", op->ci[2]);
    gc->dx[0].dense = tfci_finish(gc->g, b);
    return TFC_OK;
}
static tfc_code g_strided_slice(tfci_grad_ctx *gc) { return ss_grad(gc, false); }
static tfc_code g_strided_slice_grad(tfci_grad_ctx *gc) { return ss_grad(gc, true); }

/* ======================================================================
 * Tile and its gradient
 * ====================================================================== */

static tfc_code shape_tile(tfc_op *op)
{
    tfc_code c = expect_vector(op, 1, "multiples");
    if (c) return c;
    const tfci_shape *in = tfci_in_shape(op, 0);
    int64_t m[MAXR + 1];
    int n;
    tfci_shape s = tfci_shape_unknown();
    if (const_ints(op, 1, m, MAXR + 1, &n)) {
        if (in->rank >= 0 && n != in->rank)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "multiples has %d entries but the input has rank %d", n,
                                 in->rank);
        if (n > MAXR) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "multiples has %d entries; at most %d", n, MAXR);
        for (int i = 0; i < n; i++) {
            if (m[i] < 0)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "multiples[%d] = %lld is negative", i, (ll)m[i]);
            if (in->rank >= 0 && m[i] && in->dims[i] > INT64_MAX / m[i])
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the result is too large");
        }
        s.rank = n;
        for (int i = 0; i < n; i++) s.dims[i] = in->rank >= 0 && in->dims[i] >= 0 ? in->dims[i] * m[i] : -1;
    } else if (in->rank >= 0) {
        s.rank = in->rank;
        for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

/* Writes the tiling of src's dims d.. into dst: the first in[d] rows are
 * filled recursively, then that block is replicated by doubling memcpys. */
static void tile_rec(char *dst, const char *src, const int64_t *in, const int64_t *mult, const int64_t *ost,
                     const int64_t *ist, int d, int r, size_t es)
{
    if (d == r - 1) copy_bytes(dst, src, (size_t)in[d] * es);
    else
        for (int64_t i = 0; i < in[d]; i++)
            tile_rec(dst + (size_t)(i * ost[d]) * es, src + (size_t)(i * ist[d]) * es, in, mult, ost, ist, d + 1, r,
                     es);
    size_t block = (size_t)(in[d] * ost[d]) * es;
    for (int64_t done = 1; done < mult[d];) {
        int64_t c = done < mult[d] - done ? done : mult[d] - done;
        memcpy(dst + (size_t)done * block, dst, (size_t)c * block);
        done += c;
    }
}

static tfc_code k_tile(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int64_t m[MAXR], dims[MAXR];
    int n;
    tfc_code c = get_ints(k, 1, m, MAXR, &n, "multiples");
    if (c) return c;
    if (n != x->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "multiples has %d entries but the input has rank %d", n,
                               x->rank);
    for (int i = 0; i < n; i++) {
        if (m[i] < 0)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "multiples[%d] = %lld is negative", i, (ll)m[i]);
        if (x->dims[i] && m[i] > INT64_MAX / x->dims[i])
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "the result is too large");
        dims[i] = x->dims[i] * m[i];
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, dims, n);
    if (!y) return TFC_INVALID_ARGUMENT;
    if (!y->n) return TFC_OK;
    size_t es = tfc_dtype_size(x->dtype);
    if (n == 0) {
        memcpy(y->data, x->data, es);
        return TFC_OK;
    }
    int64_t ost[MAXR], ist[MAXR];
    strides_of(dims, n, ost);
    strides_of(x->dims, n, ist);
    tile_rec(y->data, x->data, x->dims, m, ost, ist, 0, n, es);
    return TFC_OK;
}

/* TileGrad(dy, x, multiples): dy summed over the tiles, shaped like x. */
static tfc_code shape_tile_grad(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = expect_vector(op, 2, "multiples");
    if (c) return c;
    return set_one_output(op, tfci_in_dtype(op, 0), tfci_in_shape(op, 1));
}

#define TILE_GRAD(T)                                                                                               \
    static void tile_grad_##T(T *dst, const T *src, const int64_t *xd, const int64_t *m, const int64_t *xst,      \
                              const int64_t *yst, int d, int r)                                                    \
    {                                                                                                              \
        for (int64_t t = 0; t < m[d]; t++) {                                                                       \
            if (d == r - 1) {                                                                                      \
                const T *s = src + t * xd[d];                                                                      \
                for (int64_t i = 0; i < xd[d]; i++) dst[i] += s[i];                                                \
            } else {                                                                                               \
                for (int64_t i = 0; i < xd[d]; i++)                                                                \
                    tile_grad_##T(dst + i * xst[d], src + (t * xd[d] + i) * yst[d], xd, m, xst, yst, d + 1, r);   \
            }                                                                                                      \
        }                                                                                                          \
    }
TILE_GRAD(float)
TILE_GRAD(double)
#undef TILE_GRAD

static tfc_code k_tile_grad(tfci_kctx *k)
{
    const tfc_tensor *dy = k->in[0], *x = k->in[1];
    int64_t m[MAXR];
    int n;
    tfc_code c = get_ints(k, 2, m, MAXR, &n, "multiples");
    if (c) return c;
    bool ok = dy->rank == x->rank && n == x->rank;
    for (int d = 0; ok && d < x->rank; d++) ok = m[d] >= 0 && dy->dims[d] == x->dims[d] * m[d];
    if (!ok) {
        char a[128], b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy of shape %s is not a tiling of shape %s",
                               dims_str(dy->dims, dy->rank, a, sizeof a), dims_str(x->dims, x->rank, b, sizeof b));
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, dy->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (y->bytes) memset(y->data, 0, y->bytes);
    if (!y->n || !dy->n) return TFC_OK;
    if (x->rank == 0) {
        memcpy(y->data, dy->data, y->bytes);
        return TFC_OK;
    }
    int64_t xst[MAXR], yst[MAXR];
    strides_of(x->dims, x->rank, xst);
    strides_of(dy->dims, dy->rank, yst);
    if (dy->dtype == TFC_FLOAT) tile_grad_float(y->data, dy->data, x->dims, m, xst, yst, 0, x->rank);
    else tile_grad_double(y->data, dy->data, x->dims, m, xst, yst, 0, x->rank);
    return TFC_OK;
}

static tfc_code g_tile(tfci_grad_ctx *gc)
{
    tfc_op_builder *b = tfci_builder(gc->g, "TileGrad", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[1]);
    gc->dx[0].dense = tfci_finish(gc->g, b);
    return TFC_OK;
}

static tfc_code g_tile_grad(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfci_binary(gc->g, "Tile", NULL, gc->dy[0], gc->op->inputs[2]);
    return TFC_OK;
}

/* ======================================================================
 * OneHot
 * ====================================================================== */

static tfc_code shape_one_hot(tfc_op *op)
{
    tfc_dtype it = tfci_in_dtype(op, 0);
    if (it != TFC_INT32 && it != TFC_INT64 && it != TFC_UINT8)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "indices must be uint8, int32 or int64, got %s",
                             tfc_dtype_name(it));
    tfc_code c = expect_scalar_index(op, 1, "depth");
    if (!c) c = tfci_expect_same_dtype(op, 2, 3);
    if (c) return c;
    for (int i = 2; i < 4; i++) {
        const tfci_shape *s = tfci_in_shape(op, i);
        if (s->rank > 0) {
            char b[128];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s must be a scalar, got shape %s",
                                 i == 2 ? "on_value" : "off_value", tfci_shape_to_str(s, b, sizeof b));
        }
    }
    tfc_dtype dt = tfci_in_dtype(op, 2);
    if (tfci_attr_find(op, "T") && tfci_attr_type(op, "T", dt) != dt)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'T' does not match on_value's dtype %s",
                             tfc_dtype_name(dt));
    int64_t axis = tfci_attr_int(op, "axis", -1);
    op->ci[0] = axis;
    const tfci_shape *in = tfci_in_shape(op, 0);
    tfci_shape s = tfci_shape_unknown();
    if (axis < -1) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "axis %lld must be -1 or in [0, rank]", (ll)axis);
    if (in->rank >= 0) {
        if (axis > in->rank)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "axis %lld is out of range [-1, %d]", (ll)axis, in->rank);
        if (in->rank + 1 > MAXR)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the result would exceed rank %d", MAXR);
        int a = axis < 0 ? in->rank : (int)axis;
        int64_t depth = -1;
        if (const_axis(op, 1, &depth) && depth < 0)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "depth must be non-negative, got %lld", (ll)depth);
        s.rank = in->rank + 1;
        for (int i = 0, j = 0; i < s.rank; i++) s.dims[i] = i == a ? depth : in->dims[j++];
    }
    return set_one_output(op, dt, &s);
}

static tfc_code k_one_hot(tfci_kctx *k)
{
    const tfc_tensor *ix = k->in[0], *on = k->in[2], *off = k->in[3];
    int64_t depth, dims[MAXR];
    tfc_code c = get_scalar(k, 1, &depth, "depth");
    if (c) return c;
    if (depth < 0) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "depth must be non-negative, got %lld", (ll)depth);
    if (on->rank != 0 || off->rank != 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "on_value and off_value must be scalars");
    int r = ix->rank + 1;
    if (r > MAXR) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "the result would exceed rank %d", MAXR);
    int a = k->op->ci[0] < 0 ? ix->rank : (int)k->op->ci[0];
    if (a > ix->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "axis %d is out of range [-1, %d]", a, ix->rank);
    for (int i = 0, j = 0; i < r; i++) dims[i] = i == a ? depth : ix->dims[j++];
    tfc_tensor *y = tfci_kctx_output(k, 0, on->dtype, dims, r);
    if (!y) return TFC_INVALID_ARGUMENT;
    size_t es = tfc_dtype_size(on->dtype);
    fill_elems(y->data, y->n, off->data, es);
    if (!y->n) return TFC_OK;
    /* out viewed as [outer, depth, inner]; index (o, i) sets (o, idx, i) */
    int64_t outer = prod(ix->dims, 0, a), inner = prod(ix->dims, a, ix->rank);
    char *d = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t p = o * inner + i, v;
            if (ix->dtype == TFC_INT32) v = ((const int32_t *)ix->data)[p];
            else if (ix->dtype == TFC_INT64) v = ((const int64_t *)ix->data)[p];
            else v = ((const uint8_t *)ix->data)[p];
            if (v >= 0 && v < depth) memcpy(d + (size_t)((o * depth + v) * inner + i) * es, on->data, es);
        }
    return TFC_OK;
}

/* ======================================================================
 * Pad
 * ====================================================================== */

static bool pads_ok(const int64_t *p, int n, char *err, size_t errsz)
{
    for (int i = 0; i < n; i++) {
        if (p[2 * i] < 0 || p[2 * i + 1] < 0) {
            snprintf(err, errsz, "paddings must be non-negative, got (%lld, %lld) for dimension %d", (ll)p[2 * i],
                     (ll)p[2 * i + 1], i);
            return false;
        }
        /* bounded so that dim + before + after cannot overflow */
        if (p[2 * i] > INT64_MAX / 4 || p[2 * i + 1] > INT64_MAX / 4) {
            snprintf(err, errsz, "paddings for dimension %d are too large", i);
            return false;
        }
    }
    return true;
}

static tfc_code shape_pad(tfc_op *op)
{
    tfc_code c = expect_index(op, 1, "paddings");
    if (c) return c;
    if (tfci_in_dtype(op, 0) == TFC_STRING)
        return tfci_op_error(op, TFC_UNIMPLEMENTED, "cannot pad strings (zero padding needs a numeric type)");
    const tfci_shape *in = tfci_in_shape(op, 0), *ps = tfci_in_shape(op, 1);
    char b[128];
    if (ps->rank >= 0 && (ps->rank != 2 || (ps->dims[1] >= 0 && ps->dims[1] != 2) ||
                          (in->rank >= 0 && ps->dims[0] >= 0 && ps->dims[0] != in->rank)))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "paddings must have shape [%d,2] (rank, 2), got %s", in->rank,
                             tfci_shape_to_str(ps, b, sizeof b));
    int64_t p[2 * MAXR + 2];
    int n;
    tfci_shape s = tfci_shape_unknown();
    if (in->rank >= 0) {
        s.rank = in->rank;
        for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
        if (const_ints(op, 1, p, 2 * MAXR, &n)) {
            char err[256];
            if (n != 2 * in->rank)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "paddings must have shape [%d,2]", in->rank);
            if (!pads_ok(p, in->rank, err, sizeof err)) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
            for (int i = 0; i < s.rank; i++) s.dims[i] = in->dims[i] >= 0 ? in->dims[i] + p[2 * i] + p[2 * i + 1] : -1;
        }
    }
    return set_one_output(op, tfci_in_dtype(op, 0), &s);
}

static tfc_code k_pad(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0], *pt = k->in[1];
    char b[128], err[256];
    if (!is_index_dtype(pt->dtype) || pt->rank != 2 || pt->dims[0] != x->rank || pt->dims[1] != 2)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "paddings must be int32/int64 of shape [%d,2], got %s %s",
                               x->rank, tfc_dtype_name(pt->dtype), dims_str(pt->dims, pt->rank, b, sizeof b));
    int64_t p[2 * MAXR], dims[MAXR];
    for (int i = 0; i < 2 * x->rank; i++) p[i] = index_at(pt, i);
    if (!pads_ok(p, x->rank, err, sizeof err)) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    for (int i = 0; i < x->rank; i++) dims[i] = x->dims[i] + p[2 * i] + p[2 * i + 1];
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, dims, x->rank);
    if (!y) return TFC_INVALID_ARGUMENT;
    if (y->bytes) memset(y->data, 0, y->bytes);
    if (!x->n) return TFC_OK;
    int64_t ost[MAXR], ist[MAXR], off = 0;
    strides_of(dims, x->rank, ost);
    strides_of(x->dims, x->rank, ist);
    for (int i = 0; i < x->rank; i++) off += p[2 * i] * ost[i];
    size_t es = tfc_dtype_size(x->dtype);
    block_copy((char *)y->data + (size_t)off * es, ost, x->data, ist, x->dims, x->rank, es);
    return TFC_OK;
}

static tfc_code g_pad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output x = gc->op->inputs[0], pads = gc->op->inputs[1];
    int64_t p[2 * MAXR], begin[MAXR];
    int n;
    tfc_output bo, so;
    if (const_ints(gc->op, 1, p, 2 * MAXR, &n)) {
        for (int i = 0; i < n / 2; i++) begin[i] = p[2 * i];
        bo = tfci_const_int64s(g, begin, n / 2, NULL);
    } else { /* paddings[:, 0] at run time */
        int64_t zz[2] = {0, 0}, sz[2] = {-1, 1}, flat = -1;
        bo = tfc_reshape(g, tfc_slice(g, pads, zz, sz, 2, NULL), &flat, 1, NULL);
    }
    const tfci_shape *xs = &x.op->out_shapes[x.index];
    so = tfci_shape_fully_known(xs) ? tfci_const_int64s(g, xs->dims, xs->rank, NULL)
                                    : tfc_shape(g, x, TFC_INT64, NULL);
    tfc_op_builder *b = tfci_builder(g, "Slice", NULL);
    if (!b) return tfc_graph_status(g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, bo);
    tfc_op_builder_add_input(b, so);
    gc->dx[0].dense = tfci_finish(g, b);
    return TFC_OK;
}

/* ======================================================================
 * the op table
 * ====================================================================== */

/* ======================================================================
 * Range
 * ====================================================================== */

/* Elements of range(start, limit, delta), or -1 when the arguments are invalid. */
static int64_t range_count_int(int64_t start, int64_t limit, int64_t delta)
{
    if (delta == 0 || (delta > 0 && start > limit) || (delta < 0 && start < limit)) return -1;
    uint64_t span = delta > 0 ? (uint64_t)limit - (uint64_t)start : (uint64_t)start - (uint64_t)limit;
    uint64_t step = delta > 0 ? (uint64_t)delta : 0 - (uint64_t)delta;
    uint64_t n = span / step + (span % step != 0);
    return n > (uint64_t)INT64_MAX ? -1 : (int64_t)n;
}

static int64_t range_count_float(double start, double limit, double delta)
{
    if (delta == 0 || delta != delta || start != start || limit != limit) return -1;
    if ((delta > 0 && start > limit) || (delta < 0 && start < limit)) return -1;
    double n = ceil((limit - start) / delta);
    return n >= 0 && n < 9.2e18 ? (int64_t)n : -1;
}

static bool range_is_int(tfc_dtype dt) { return dt == TFC_INT32 || dt == TFC_INT64; }

static int64_t range_count(const tfc_tensor *a, const tfc_tensor *b, const tfc_tensor *c)
{
    if (range_is_int(a->dtype))
        return range_count_int(tfci_tensor_int(a, 0), tfci_tensor_int(b, 0), tfci_tensor_int(c, 0));
    return range_count_float(tfci_tensor_double(a, 0), tfci_tensor_double(b, 0), tfci_tensor_double(c, 0));
}

static tfc_code shape_range(tfc_op *op)
{
    tfc_dtype dt = tfci_in_dtype(op, 0);
    if (!range_is_int(dt) && !tfci_dtype_is_float(dt))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "start must be int32, int64, float32 or float64, got %s",
                             tfc_dtype_name(dt));
    tfc_code c = tfci_expect_same_dtype(op, 0, 1);
    if (!c) c = tfci_expect_same_dtype(op, 0, 2);
    if (c) return c;
    static const char *const names[3] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++)
        if (tfci_in_shape(op, i)->rank > 0)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s must be a scalar", names[i]);
    tfci_shape s = tfci_shape_scalar();
    s.rank = 1;
    s.dims[0] = -1;
    const tfc_tensor *a = tfci_in_const(op, 0), *b = tfci_in_const(op, 1), *d = tfci_in_const(op, 2);
    if (a && b && d && a->n == 1 && b->n == 1 && d->n == 1) {
        s.dims[0] = range_count(a, b, d);
        if (s.dims[0] < 0)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "delta must be non-zero and move start towards limit (start %g, limit %g, delta %g)",
                                 tfci_tensor_double(a, 0), tfci_tensor_double(b, 0), tfci_tensor_double(d, 0));
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, dt, &s);
    return TFC_OK;
}

static tfc_code k_range(tfci_kctx *k)
{
    const tfc_tensor *a = k->in[0], *b = k->in[1], *d = k->in[2];
    if (a->n != 1 || b->n != 1 || d->n != 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "start, limit and delta must be scalars");
    int64_t n = range_count(a, b, d);
    if (n < 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                               "delta must be non-zero and move start towards limit (start %g, limit %g, delta %g)",
                               tfci_tensor_double(a, 0), tfci_tensor_double(b, 0), tfci_tensor_double(d, 0));
    tfc_tensor *y = tfci_kctx_output(k, 0, a->dtype, &n, 1);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    switch (a->dtype) {
    case TFC_INT32: {
        int32_t v = *(const int32_t *)a->data, st = *(const int32_t *)d->data, *o = y->data;
        for (int64_t i = 0; i < n; i++) o[i] = (int32_t)((uint32_t)v + (uint32_t)i * (uint32_t)st);
        break;
    }
    case TFC_INT64: {
        int64_t v = *(const int64_t *)a->data, st = *(const int64_t *)d->data, *o = y->data;
        for (int64_t i = 0; i < n; i++) o[i] = (int64_t)((uint64_t)v + (uint64_t)i * (uint64_t)st);
        break;
    }
    case TFC_FLOAT: {
        float v = *(const float *)a->data, st = *(const float *)d->data, *o = y->data;
        for (int64_t i = 0; i < n; i++) o[i] = v + (float)i * st;
        break;
    }
    default: {
        double v = *(const double *)a->data, st = *(const double *)d->data, *o = y->data;
        for (int64_t i = 0; i < n; i++) o[i] = v + (double)i * st;
        break;
    }
    }
    return TFC_OK;
}

const tfci_op_def tfci_array_ops[] = {
    {"Range", 3, 3, shape_range, k_range, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"ZerosLike", 1, 1, shape_like, k_zeros_like, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"OnesLike", 1, 1, shape_like, k_ones_like, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"Fill", 2, 2, shape_fill, k_fill, g_fill, 0},
    {"Shape", 1, 1, shape_shape, k_shape, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"Size", 1, 1, shape_size, k_size, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"GatherV2", 3, 3, shape_gather, k_gather, g_gather, 0},
    {"GatherV2Grad", 4, 4, shape_gather_grad, k_gather_grad, g_gather_grad, 0},
    {"ConcatV2", 2, -1, shape_concat, k_concat, g_concat, 0},
    {"ConcatV2Grad", 3, -1, shape_concat_grad, k_concat_grad, g_concat_grad, 0},
    {"Reshape", 2, 2, shape_reshape, k_reshape, g_reshape_back, 0},
    {"ExpandDims", 2, 2, shape_expand_dims, k_expand_dims, g_reshape_back, 0},
    {"Squeeze", 1, 1, shape_squeeze, k_squeeze, g_reshape_back, 0},
    {"Slice", 3, 3, shape_slice, k_slice, g_slice, 0},
    {"SliceGrad", 3, 3, shape_slice_grad, k_slice_grad, g_slice_grad, 0},
    {"Cast", 1, 1, shape_cast, k_cast, g_cast, 0},
    {"Transpose", 2, 2, shape_transpose, k_transpose, g_transpose, 0},
    {"InvertPermutation", 1, 1, shape_invert_permutation, k_invert_permutation, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"Split", 2, 2, shape_split, k_split, g_split, 0},
    {"StridedSlice", 4, 4, shape_strided_slice, k_strided_slice, g_strided_slice, 0},
    {"StridedSliceGrad", 5, 5, shape_strided_slice_grad, k_strided_slice_grad, g_strided_slice_grad, 0},
    {"Tile", 2, 2, shape_tile, k_tile, g_tile, 0},
    {"TileGrad", 3, 3, shape_tile_grad, k_tile_grad, g_tile_grad, 0},
    {"OneHot", 4, 4, shape_one_hot, k_one_hot, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"Pad", 2, 2, shape_pad, k_pad, g_pad, 0},
};
const int tfci_array_ops_count = sizeof tfci_array_ops / sizeof tfci_array_ops[0];

/* ======================================================================
 * typed constructors
 * ====================================================================== */

/* Records a constructor argument error as the graph's sticky error. */
static tfc_output fail_arg(tfc_graph *g, const char *fmt, const char *fn)
{
    if (g && !g->status) tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, fmt, fn));
    else if (!g) tfci_error(TFC_INVALID_ARGUMENT, "%s: graph is NULL", fn);
    return TFCI_NO_OUTPUT;
}

static bool usable(tfc_graph *g, const char *fn)
{
    if (!g) {
        tfci_error(TFC_INVALID_ARGUMENT, "%s: graph is NULL", fn);
        return false;
    }
    return g->status == TFC_OK;
}

static tfc_output int32_scalar(tfc_graph *g, int64_t v) { return tfci_const_scalar(g, TFC_INT32, (double)v, NULL); }

static tfc_output reshape_const(tfc_graph *g, tfc_output x, const int64_t *dims, int rank)
{
    return tfc_reshape(g, x, dims, rank, NULL);
}

TFC_API tfc_output tfc_reshape(tfc_graph *g, tfc_output x, const int64_t *dims, int rank, const char *name)
{
    if (!usable(g, "tfc_reshape")) return TFCI_NO_OUTPUT;
    if (rank < 0 || rank > MAXR || (rank > 0 && !dims))
        return fail_arg(g, "%s: rank must be in [0, 8] and dims not NULL", "tfc_reshape");
    return tfci_binary(g, "Reshape", name, x, tfci_const_int64s(g, dims, rank, NULL));
}

TFC_API tfc_output tfc_reshape_to(tfc_graph *g, tfc_output x, tfc_output shape, const char *name)
{
    return tfci_binary(g, "Reshape", name, x, shape);
}

TFC_API tfc_output tfc_expand_dims(tfc_graph *g, tfc_output x, int axis, const char *name)
{
    if (!usable(g, "tfc_expand_dims")) return TFCI_NO_OUTPUT;
    return tfci_binary(g, "ExpandDims", name, x, int32_scalar(g, axis));
}

TFC_API tfc_output tfc_squeeze(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, const char *name)
{
    if (!usable(g, "tfc_squeeze")) return TFCI_NO_OUTPUT;
    if (naxes < 0 || (naxes > 0 && !axes)) return fail_arg(g, "%s: invalid axes list", "tfc_squeeze");
    tfc_op_builder *b = tfci_builder(g, "Squeeze", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_int_list(b, "squeeze_dims", axes, axes ? naxes : 0);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_concat(tfc_graph *g, const tfc_output *xs, int n, int axis, const char *name)
{
    if (!usable(g, "tfc_concat")) return TFCI_NO_OUTPUT;
    if (n < 1 || !xs) return fail_arg(g, "%s: needs at least one value", "tfc_concat");
    tfc_output ax = int32_scalar(g, axis);
    tfc_op_builder *b = tfci_builder(g, "ConcatV2", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_inputs(b, xs, n);
    tfc_op_builder_add_input(b, ax);
    tfc_op_builder_set_attr_int(b, "N", n);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_slice(tfc_graph *g, tfc_output x, const int64_t *begin, const int64_t *size, int n,
                             const char *name)
{
    if (!usable(g, "tfc_slice")) return TFCI_NO_OUTPUT;
    if (n < 0 || n > MAXR || (n > 0 && (!begin || !size)))
        return fail_arg(g, "%s: begin and size must hold n (0..8) entries", "tfc_slice");
    tfc_output bo = tfci_const_int64s(g, begin, n, NULL), so = tfci_const_int64s(g, size, n, NULL);
    tfc_op_builder *b = tfci_builder(g, "Slice", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, bo);
    tfc_op_builder_add_input(b, so);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_gather(tfc_graph *g, tfc_output params, tfc_output indices, int axis, const char *name)
{
    if (!usable(g, "tfc_gather")) return TFCI_NO_OUTPUT;
    tfc_output ax = int32_scalar(g, axis);
    tfc_op_builder *b = tfci_builder(g, "GatherV2", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, params);
    tfc_op_builder_add_input(b, indices);
    tfc_op_builder_add_input(b, ax);
    return tfci_finish(g, b);
}

static tfc_output typed_unary(tfc_graph *g, const char *type, tfc_output x, const char *attr, tfc_dtype dt,
                              const char *name)
{
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_type(b, attr, dt);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_shape(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name)
{
    return typed_unary(g, "Shape", x, "out_type", out_type, name);
}

TFC_API tfc_output tfc_size(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name)
{
    return typed_unary(g, "Size", x, "out_type", out_type, name);
}

TFC_API tfc_output tfc_fill(tfc_graph *g, const int64_t *dims, int rank, tfc_output value, const char *name)
{
    if (!usable(g, "tfc_fill")) return TFCI_NO_OUTPUT;
    if (rank < 0 || rank > MAXR || (rank > 0 && !dims))
        return fail_arg(g, "%s: rank must be in [0, 8] and dims not NULL", "tfc_fill");
    return tfci_binary(g, "Fill", name, tfci_const_int64s(g, dims, rank, NULL), value);
}

TFC_API tfc_output tfc_range(tfc_graph *g, tfc_output start, tfc_output limit, tfc_output delta, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "Range", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, start);
    tfc_op_builder_add_input(b, limit);
    tfc_op_builder_add_input(b, delta);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_zeros_like(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "ZerosLike", name, x);
}

TFC_API tfc_output tfc_ones_like(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "OnesLike", name, x);
}


TFC_API tfc_output tfc_cast(tfc_graph *g, tfc_output x, tfc_dtype to, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "Cast", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_type(b, "DstT", to);
    if (tfci_output_valid(x)) tfc_op_builder_set_attr_type(b, "SrcT", tfc_output_dtype(x));
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_transpose(tfc_graph *g, tfc_output x, const int64_t *perm, int n, const char *name)
{
    if (!usable(g, "tfc_transpose")) return TFCI_NO_OUTPUT;
    int64_t rev[MAXR];
    if (!perm) { /* reverse the dimensions: needs the static rank */
        if (!tfci_output_valid(x))
            return fail_arg(g, "%s: x is not set (did an earlier constructor fail?)", "tfc_transpose");
        n = x.op->out_shapes[x.index].rank;
        if (n < 0) return fail_arg(g, "%s: perm NULL (reverse) needs x's rank to be known; pass perm", "tfc_transpose");
        for (int i = 0; i < n; i++) rev[i] = n - 1 - i;
        perm = rev;
    }
    if (n < 0 || n > MAXR) return fail_arg(g, "%s: perm must have 0..8 entries", "tfc_transpose");
    return tfci_binary(g, "Transpose", name, x, tfci_const_int64s(g, perm, n, NULL));
}

TFC_API tfc_output tfc_split(tfc_graph *g, tfc_output x, int axis, int num_split, const char *name)
{
    if (!usable(g, "tfc_split")) return TFCI_NO_OUTPUT;
    tfc_output ax = int32_scalar(g, axis);
    tfc_op_builder *b = tfci_builder(g, "Split", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, ax);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_int(b, "num_split", num_split);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_strided_slice(tfc_graph *g, tfc_output x, const int64_t *begin, const int64_t *end,
                                     const int64_t *strides, int n, int64_t begin_mask, int64_t end_mask,
                                     int64_t shrink_axis_mask, const char *name)
{
    if (!usable(g, "tfc_strided_slice")) return TFCI_NO_OUTPUT;
    if (n < 0 || n > MAXR || (n > 0 && (!begin || !end)))
        return fail_arg(g, "%s: begin and end must hold n (0..8) entries", "tfc_strided_slice");
    int64_t ones[MAXR];
    for (int i = 0; i < n; i++) ones[i] = 1;
    tfc_output bo = tfci_const_int64s(g, begin, n, NULL), eo = tfci_const_int64s(g, end, n, NULL);
    tfc_output so = tfci_const_int64s(g, strides ? strides : ones, n, NULL);
    tfc_op_builder *b = tfci_builder(g, "StridedSlice", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, bo);
    tfc_op_builder_add_input(b, eo);
    tfc_op_builder_add_input(b, so);
    tfc_op_builder_set_attr_int(b, "begin_mask", begin_mask);
    tfc_op_builder_set_attr_int(b, "end_mask", end_mask);
    tfc_op_builder_set_attr_int(b, "ellipsis_mask", 0);
    tfc_op_builder_set_attr_int(b, "new_axis_mask", 0);
    tfc_op_builder_set_attr_int(b, "shrink_axis_mask", shrink_axis_mask);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_tile(tfc_graph *g, tfc_output x, const int64_t *multiples, int n, const char *name)
{
    if (!usable(g, "tfc_tile")) return TFCI_NO_OUTPUT;
    if (n < 0 || n > MAXR || (n > 0 && !multiples))
        return fail_arg(g, "%s: multiples must hold n (0..8) entries", "tfc_tile");
    return tfci_binary(g, "Tile", name, x, tfci_const_int64s(g, multiples, n, NULL));
}

/* A scalar constant of any numeric dtype or bool. */
static tfc_output scalar_of(tfc_graph *g, tfc_dtype dt, double v)
{
    union {
        float f;
        double d;
        int8_t i8;
        uint8_t u8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
    } u;
    switch (dt) {
    case TFC_FLOAT: u.f = (float)v; break;
    case TFC_DOUBLE: u.d = v; break;
    case TFC_INT8: u.i8 = f_to_i8(v); break;
    case TFC_UINT8: u.u8 = f_to_u8(v); break;
    case TFC_BOOL: u.u8 = v != 0; break;
    case TFC_INT16: u.i16 = f_to_i16(v); break;
    case TFC_INT32: u.i32 = f_to_i32(v); break;
    case TFC_INT64: u.i64 = f_to_i64(v); break;
    default:
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, "tfc_one_hot: dtype %s is not numeric or bool",
                                      tfc_dtype_name(dt)));
        return TFCI_NO_OUTPUT;
    }
    return tfc_const_array(g, dt, NULL, 0, &u, NULL);
}

TFC_API tfc_output tfc_one_hot(tfc_graph *g, tfc_output indices, int64_t depth, float on_value, float off_value,
                               tfc_dtype dtype, const char *name)
{
    if (!usable(g, "tfc_one_hot")) return TFCI_NO_OUTPUT;
    tfc_output d = depth >= INT32_MIN && depth <= INT32_MAX ? int32_scalar(g, depth) : tfc_const_int64(g, depth, NULL);
    tfc_output on = scalar_of(g, dtype, on_value), off = scalar_of(g, dtype, off_value);
    tfc_op_builder *b = tfci_builder(g, "OneHot", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, indices);
    tfc_op_builder_add_input(b, d);
    tfc_op_builder_add_input(b, on);
    tfc_op_builder_add_input(b, off);
    tfc_op_builder_set_attr_int(b, "axis", -1);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_pad(tfc_graph *g, tfc_output x, const int64_t *paddings, int n, const char *name)
{
    if (!usable(g, "tfc_pad")) return TFCI_NO_OUTPUT;
    if (n < 0 || n > MAXR || (n > 0 && !paddings))
        return fail_arg(g, "%s: paddings must hold n (0..8) rows of (before, after)", "tfc_pad");
    int64_t dims[2] = {n, 2};
    return tfci_binary(g, "Pad", name, x, tfc_const_array(g, TFC_INT64, dims, 2, paddings, NULL));
}
