/* Op family 'reduce': Sum, Mean, Max, Min, Prod over any set of axes, ArgMax
 * and ArgMin, and the internal ops their gradients use.
 *
 * Inputs and attributes follow TensorFlow: (input, reduction_indices) with the
 * bool attribute keep_dims; (input, dimension) with output_type for ArgMax.
 * Additions and choices where TensorFlow is silent or differs:
 *  - attribute "reduce_all" (bool, default false): reduce over every axis and
 *    ignore reduction_indices. The constructors set it only when axes == NULL
 *    and the input's rank is unknown; with a known rank they pass a Const of
 *    0..rank-1 as TensorFlow does, so those graphs stay plain TensorFlow.
 *  - duplicate axes (also 1 and -1 on a rank-2 input) are an error.
 *  - Max/Min propagate NaN as NumPy does; over an empty set they give -inf/+inf
 *    (the lowest/highest integer); Mean over an empty set is NaN (0/0).
 *  - integer Sum and Prod wrap around on overflow, as TensorFlow's CPU kernels.
 *  - ArgMax/ArgMin return the first index on ties; a NaN counts as the extreme
 *    (the first NaN wins), as NumPy.
 * Internal gradient ops (names start with '_'): _ReduceGradBroadcast (Sum and
 * Mean), _ReduceExtremumGrad (Max and Min), _ProdGrad (Prod, exact with zeros:
 * products of the elements before and after each one, no division). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

enum { RED_SUM, RED_PROD, RED_MAX, RED_MIN, RED_MEAN };

/* Elements per parallel task; smaller jobs stay on the calling thread. */
#define PAR_GRAIN 16384
/* Columns reduced together in the first-axis path, so the output block stays in L1. */
#define COLBLK 1024
/* Block of a full contiguous reduction: fixed, so the result does not depend on the thread count. */
#define FULL_BLOCK 16384

/* ---- axes ---- */

/* Sets mask[i] for each axis listed in t (an int32/int64 scalar or vector)
 * for an input of rank `rank`. On failure writes why into err. */
static bool axes_mask(const tfc_tensor *t, int rank, bool *mask, char *err, size_t errsz)
{
    for (int i = 0; i < TFC_MAX_RANK; i++) mask[i] = false;
    if (t->rank > 1) {
        snprintf(err, errsz, "reduction_indices must be a scalar or a vector, got rank %d", t->rank);
        return false;
    }
    for (int64_t i = 0; i < t->n; i++) {
        int64_t a = tfci_tensor_int(t, i);
        if (rank == 0) {
            snprintf(err, errsz, "reduction axis %lld is out of range: the input is a scalar and has no axes",
                     (long long)a);
            return false;
        }
        if (a < -rank || a >= rank) {
            snprintf(err, errsz,
                     "reduction axis %lld is out of range for an input of rank %d (expected %d <= axis < %d)",
                     (long long)a, rank, -rank, rank);
            return false;
        }
        int ax = (int)(a < 0 ? a + rank : a);
        if (mask[ax]) {
            snprintf(err, errsz, "reduction axis %lld repeats axis %d: each axis may be reduced only once",
                     (long long)a, ax);
            return false;
        }
        mask[ax] = true;
    }
    return true;
}

/* Runtime mask of a reduction kernel (axes input, or every axis with reduce_all). */
static tfc_code kernel_mask(tfci_kctx *k, int rank, const tfc_tensor *axes, bool reduce_all, bool *mask)
{
    if (reduce_all) {
        for (int i = 0; i < TFC_MAX_RANK; i++) mask[i] = i < rank;
        return TFC_OK;
    }
    char err[256];
    if (axes->dtype != TFC_INT32 && axes->dtype != TFC_INT64)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "reduction_indices must be int32 or int64, got %s",
                               tfc_dtype_name(axes->dtype));
    if (!axes_mask(axes, rank, mask, err, sizeof err)) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s", err);
    return TFC_OK;
}

/* Dimensions with size-1 axes dropped and neighbours of the same kind
 * (reduced / kept) merged: the layout every kernel here works on. */
typedef struct rplan {
    int G;
    int64_t d[TFC_MAX_RANK];
    bool red[TFC_MAX_RANK];
} rplan;

static void plan_groups(const int64_t *dims, int rank, const bool *mask, rplan *p)
{
    p->G = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 1) continue;
        if (p->G > 0 && p->red[p->G - 1] == mask[i]) {
            p->d[p->G - 1] *= dims[i];
        } else {
            p->d[p->G] = dims[i];
            p->red[p->G] = mask[i];
            p->G++;
        }
    }
}

static int64_t prod_range(const int64_t *d, int from, int to)
{
    int64_t n = 1;
    for (int i = from; i < to; i++) n *= d[i];
    return n;
}

/* map[i] = index in the reduced output of input element i (row-major); n > 0. */
static int64_t *reduce_index_map(tfci_kctx *k, const int64_t *dims, int rank, const bool *mask, int64_t n)
{
    rplan p;
    plan_groups(dims, rank, mask, &p);
    int64_t *map = tfci_kctx_scratch(k, (size_t)n * sizeof *map);
    if (!map) return NULL;
    if (p.G == 0) {
        map[0] = 0;
        return map;
    }
    int64_t os[TFC_MAX_RANK], idx[TFC_MAX_RANK] = {0}, stride = 1, off = 0;
    for (int g = p.G - 1; g >= 0; g--) {
        os[g] = p.red[g] ? 0 : stride;
        if (!p.red[g]) stride *= p.d[g];
    }
    int64_t last = p.d[p.G - 1], ls = os[p.G - 1];
    for (int64_t i = 0; i < n; i += last) {
        for (int64_t j = 0; j < last; j++) map[i + j] = off + j * ls;
        for (int g = p.G - 2; g >= 0; g--) {
            idx[g]++;
            off += os[g];
            if (idx[g] < p.d[g]) break;
            off -= os[g] * p.d[g];
            idx[g] = 0;
        }
    }
    return map;
}

static int type_index(tfc_dtype dt)
{
    switch (dt) {
    case TFC_FLOAT: return 0;
    case TFC_DOUBLE: return 1;
    case TFC_INT32: return 2;
    case TFC_INT64: return 3;
    default: return -1;
    }
}

/* ---- reduction passes ----
 * A pass reduces x viewed as [outer, R, inner] into y [outer, inner] (R >= 1).
 * inner == 1 (the last axes) reduces contiguous rows with LANES independent
 * accumulators (32: shorter blocks get fully unrolled and then not
 * vectorized by GCC, NaN-aware Max/Min included); inner > 1 (the first axes)
 * combines whole rows into y, column block by column block. Work units are
 * rows, or (outer, column block) pairs, so a pass splits across threads
 * without changing the order of the arithmetic. */
typedef void (*pass_fn)(const void *x, void *y, int64_t outer, int64_t R, int64_t inner, int64_t u0, int64_t u1);

#define LANES 32
#define C_ADD(a, b) ((a) + (b))
#define C_MUL(a, b) ((a) * (b))
/* Integers wrap around (unsigned arithmetic: no undefined overflow). */
#define C_ADD_I32(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define C_MUL_I32(a, b) ((int32_t)((uint32_t)(a) * (uint32_t)(b)))
#define C_ADD_I64(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))
#define C_MUL_I64(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))
/* A NaN, once seen, wins. */
#define C_MAXF(a, b) (((b) > (a) || (b) != (b)) ? (b) : (a))
#define C_MINF(a, b) (((b) < (a) || (b) != (b)) ? (b) : (a))
#define C_MAXI(a, b) ((b) > (a) ? (b) : (a))
#define C_MINI(a, b) ((b) < (a) ? (b) : (a))

#define DEFINE_PASS(NAME, T, ID, COMB)                                                                             \
    static void NAME(const void *xv, void *yv, int64_t outer, int64_t R, int64_t inner, int64_t u0, int64_t u1)   \
    {                                                                                                              \
        const T *restrict x = xv;                                                                                  \
        T *restrict y = yv;                                                                                        \
        if (inner == 1) {                                                                                          \
            for (int64_t o = u0; o < u1; o++) {                                                                    \
                const T *restrict row = x + o * R;                                                                 \
                T acc[LANES];                                                                                      \
                for (int j = 0; j < LANES; j++) acc[j] = (ID);                                                     \
                int64_t r = 0;                                                                                     \
                for (; r + LANES <= R; r += LANES)                                                                 \
                    for (int j = 0; j < LANES; j++) acc[j] = COMB(acc[j], row[r + j]);                             \
                T s = acc[0];                                                                                      \
                for (int j = 1; j < LANES; j++) s = COMB(s, acc[j]);                                               \
                for (; r < R; r++) s = COMB(s, row[r]);                                                            \
                y[o] = s;                                                                                          \
            }                                                                                                      \
            return;                                                                                                \
        }                                                                                                          \
        int64_t nblk = (inner + COLBLK - 1) / COLBLK;                                                              \
        for (int64_t u = u0; u < u1; u++) {                                                                        \
            int64_t o = u / nblk, c0 = (u % nblk) * COLBLK;                                                        \
            int64_t c1 = c0 + COLBLK < inner ? c0 + COLBLK : inner;                                                \
            const T *restrict xb = x + o * R * inner;                                                              \
            T *restrict yb = y + o * inner;                                                                        \
            for (int64_t c = c0; c < c1; c++) yb[c] = xb[c];                                                       \
            for (int64_t r = 1; r < R; r++) {                                                                      \
                const T *restrict xr = xb + r * inner;                                                             \
                for (int64_t c = c0; c < c1; c++) yb[c] = COMB(yb[c], xr[c]);                                      \
            }                                                                                                      \
        }                                                                                                          \
    }

DEFINE_PASS(pass_sum_f32, float, 0.0f, C_ADD)
DEFINE_PASS(pass_prod_f32, float, 1.0f, C_MUL)
DEFINE_PASS(pass_max_f32, float, -INFINITY, C_MAXF)
DEFINE_PASS(pass_min_f32, float, INFINITY, C_MINF)
DEFINE_PASS(pass_sum_f64, double, 0.0, C_ADD)
DEFINE_PASS(pass_prod_f64, double, 1.0, C_MUL)
DEFINE_PASS(pass_max_f64, double, -INFINITY, C_MAXF)
DEFINE_PASS(pass_min_f64, double, INFINITY, C_MINF)
DEFINE_PASS(pass_sum_i32, int32_t, 0, C_ADD_I32)
DEFINE_PASS(pass_prod_i32, int32_t, 1, C_MUL_I32)
DEFINE_PASS(pass_max_i32, int32_t, INT32_MIN, C_MAXI)
DEFINE_PASS(pass_min_i32, int32_t, INT32_MAX, C_MINI)
DEFINE_PASS(pass_sum_i64, int64_t, 0, C_ADD_I64)
DEFINE_PASS(pass_prod_i64, int64_t, 1, C_MUL_I64)
DEFINE_PASS(pass_max_i64, int64_t, INT64_MIN, C_MAXI)
DEFINE_PASS(pass_min_i64, int64_t, INT64_MAX, C_MINI)

/* [type_index][RED_SUM..RED_MIN] */
static const pass_fn pass_table[4][4] = {
    {pass_sum_f32, pass_prod_f32, pass_max_f32, pass_min_f32},
    {pass_sum_f64, pass_prod_f64, pass_max_f64, pass_min_f64},
    {pass_sum_i32, pass_prod_i32, pass_max_i32, pass_min_i32},
    {pass_sum_i64, pass_prod_i64, pass_max_i64, pass_min_i64},
};

typedef struct pass_job {
    pass_fn fn;
    const void *x;
    void *y;
    int64_t outer, R, inner;
} pass_job;

static void pass_range(void *arg, int64_t u0, int64_t u1)
{
    const pass_job *j = arg;
    j->fn(j->x, j->y, j->outer, j->R, j->inner, u0, u1);
}

static void run_pass(tfci_kctx *k, pass_fn fn, const void *x, void *y, int64_t outer, int64_t R, int64_t inner)
{
    pass_job job = {fn, x, y, outer, R, inner};
    int64_t units, unit_elems;
    if (inner == 1) {
        units = outer;
        unit_elems = R;
    } else {
        units = outer * ((inner + COLBLK - 1) / COLBLK);
        unit_elems = R * (inner < COLBLK ? inner : COLBLK);
    }
    int64_t grain = PAR_GRAIN / (unit_elems > 0 ? unit_elems : 1);
    tfci_parallel_for(tfci_kctx_pool(k), units, grain > 0 ? grain : 1, pass_range, &job);
}

/* One pass, with a long contiguous full reduction split into fixed blocks
 * (partial results, then their reduction) so it can use several threads. */
static tfc_code reduce_pass(tfci_kctx *k, pass_fn fn, const char *x, char *y, int64_t outer, int64_t R, int64_t inner,
                            size_t es)
{
    if (outer == 1 && inner == 1 && R > 2 * FULL_BLOCK) {
        int64_t nb = R / FULL_BLOCK, rem = R % FULL_BLOCK;
        char *part = tfci_kctx_scratch(k, (size_t)(nb + 1) * es);
        if (!part) return TFC_RESOURCE_EXHAUSTED;
        run_pass(k, fn, x, part, nb, FULL_BLOCK, 1);
        if (rem) fn(x + (size_t)(nb * FULL_BLOCK) * es, part + (size_t)nb * es, 1, rem, 1, 0, 1);
        fn(part, y, 1, nb + (rem > 0), 1, 0, 1);
        return TFC_OK;
    }
    run_pass(k, fn, x, y, outer, R, inner);
    return TFC_OK;
}

/* Identity of the reduction (or NaN for Mean) in every element of y. */
static void fill_identity(void *y, int ti, int64_t n, int kind)
{
    for (int64_t i = 0; i < n; i++) {
        switch (ti) {
        case 0:
            ((float *)y)[i] = kind == RED_SUM ? 0.0f : kind == RED_PROD ? 1.0f : kind == RED_MAX ? -INFINITY
                              : kind == RED_MIN ? INFINITY : NAN;
            break;
        case 1:
            ((double *)y)[i] = kind == RED_SUM ? 0.0 : kind == RED_PROD ? 1.0 : kind == RED_MAX ? -INFINITY
                               : kind == RED_MIN ? INFINITY : NAN;
            break;
        case 2:
            ((int32_t *)y)[i] = kind == RED_SUM ? 0 : kind == RED_PROD ? 1 : kind == RED_MAX ? INT32_MIN : INT32_MAX;
            break;
        default:
            ((int64_t *)y)[i] = kind == RED_SUM ? 0 : kind == RED_PROD ? 1 : kind == RED_MAX ? INT64_MIN : INT64_MAX;
            break;
        }
    }
}

static tfc_code k_reduce(tfci_kctx *k)
{
    const tfc_op *op = k->op;
    int kind = (int)op->ci[0];
    bool keep = op->ci[1] != 0, all = op->ci[2] != 0;
    const tfc_tensor *x = k->in[0];
    bool mask[TFC_MAX_RANK];
    tfc_code c = kernel_mask(k, x->rank, k->in[1], all, mask);
    if (c) return c;
    int64_t odims[TFC_MAX_RANK];
    int orank = 0;
    double count = 1;
    for (int i = 0; i < x->rank; i++) {
        if (mask[i]) {
            count *= (double)x->dims[i];
            if (keep) odims[orank++] = 1;
        } else {
            odims[orank++] = x->dims[i];
        }
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, odims, orank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    int ti = type_index(x->dtype);
    if (ti < 0) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported dtype %s", tfc_dtype_name(x->dtype));
    if (x->n == 0) {
        fill_identity(y->data, ti, y->n, kind);
        return TFC_OK;
    }
    size_t es = tfc_dtype_size(x->dtype);
    pass_fn fn = pass_table[ti][kind == RED_MEAN ? RED_SUM : kind];
    rplan p;
    plan_groups(x->dims, x->rank, mask, &p);
    int nred = 0;
    for (int g = 0; g < p.G; g++) nred += p.red[g];
    if (nred == 0) memcpy(y->data, x->data, x->bytes);
    const char *src = x->data;
    /* innermost reduced group first: each pass shrinks the data for the next */
    while (nred > 0) {
        int kg = p.G - 1;
        while (!p.red[kg]) kg--;
        int64_t outer = prod_range(p.d, 0, kg), R = p.d[kg], inner = prod_range(p.d, kg + 1, p.G);
        char *dst = nred == 1 ? y->data : tfci_kctx_scratch(k, (size_t)(outer * inner) * es);
        if (!dst) return TFC_RESOURCE_EXHAUSTED;
        if ((c = reduce_pass(k, fn, src, dst, outer, R, inner, es))) return c;
        for (int g = kg; g + 1 < p.G; g++) {
            p.d[g] = p.d[g + 1];
            p.red[g] = p.red[g + 1];
        }
        p.G--;
        src = dst;
        nred--;
    }
    if (kind == RED_MEAN) {
        if (ti == 0) {
            float *yf = y->data, cf = (float)count;
            for (int64_t i = 0; i < y->n; i++) yf[i] /= cf;
        } else {
            double *yd = y->data;
            for (int64_t i = 0; i < y->n; i++) yd[i] /= count;
        }
    }
    return TFC_OK;
}

/* ---- reduction shape functions ---- */

static tfc_code check_bool_attr(tfc_op *op, const char *name, int64_t *out)
{
    const tfci_attr *a = tfci_attr_find(op, name);
    if (a && a->kind != TFCI_ATTR_BOOL) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute '%s' must be a bool", name);
    *out = a ? a->u.b : false;
    return TFC_OK;
}

static tfc_code expect_index_dtype(tfc_op *op, int i, const char *what)
{
    tfc_dtype dt = tfci_in_dtype(op, i);
    if (dt == TFC_INT32 || dt == TFC_INT64) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s (input %d, '%s') must be int32 or int64, got %s", what, i,
                         op->inputs[i].op->name, tfc_dtype_name(dt));
}

/* Validates the reduction attributes and axes (input axes_in) against the
 * input's static shape; fills the output's static shape. */
static tfc_code reduce_static(tfc_op *op, int axes_in, const tfci_shape *in, tfci_shape *out)
{
    tfc_code c;
    if ((c = check_bool_attr(op, "keep_dims", &op->ci[1])) || (c = check_bool_attr(op, "reduce_all", &op->ci[2])))
        return c;
    if ((c = expect_index_dtype(op, axes_in, "reduction_indices"))) return c;
    const tfci_shape *as = tfci_in_shape(op, axes_in);
    if (as->rank > 1)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "reduction_indices must be a scalar or a vector, got rank %d",
                             as->rank);
    bool keep = op->ci[1] != 0, all = op->ci[2] != 0;
    const tfc_tensor *ax = all ? NULL : tfci_in_const(op, axes_in);
    bool mask[TFC_MAX_RANK];
    char err[256];
    if (all) {
        for (int i = 0; i < TFC_MAX_RANK; i++) mask[i] = true;
    } else if (ax && in->rank >= 0) {
        if (!axes_mask(ax, in->rank, mask, err, sizeof err)) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s", err);
    } else if (ax) {
        /* rank unknown: the same value twice is already an error */
        for (int64_t i = 0; i < ax->n; i++)
            for (int64_t j = 0; j < i; j++)
                if (tfci_tensor_int(ax, i) == tfci_tensor_int(ax, j))
                    return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                         "reduction axis %lld appears twice: each axis may be reduced only once",
                                         (long long)tfci_tensor_int(ax, i));
    }
    *out = tfci_shape_unknown();
    if (in->rank < 0) {
        if (all && !keep) *out = tfci_shape_scalar();
        return TFC_OK;
    }
    if (all || ax) {
        out->rank = 0;
        for (int i = 0; i < in->rank; i++) {
            if (!mask[i]) out->dims[out->rank++] = in->dims[i];
            else if (keep) out->dims[out->rank++] = 1;
        }
        return TFC_OK;
    }
    /* axes computed at run time: the rank may still be known */
    if (keep) {
        out->rank = in->rank;
        for (int i = 0; i < in->rank; i++) out->dims[i] = in->dims[i] == 1 ? 1 : -1;
        return TFC_OK;
    }
    int64_t naxes = as->rank == 0 ? 1 : as->rank == 1 ? as->dims[0] : -1;
    if (naxes > in->rank)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "reduction_indices has %lld axes but the input has rank %d (axes may not repeat)",
                             (long long)naxes, in->rank);
    if (naxes >= 0) {
        out->rank = in->rank - (int)naxes;
        for (int i = 0; i < out->rank; i++) out->dims[i] = naxes == 0 ? in->dims[i] : -1;
    }
    return TFC_OK;
}

static tfc_code shape_reduce(tfc_op *op, int kind)
{
    tfc_dtype dt = tfci_in_dtype(op, 0);
    bool ok = dt == TFC_FLOAT || dt == TFC_DOUBLE || (kind != RED_MEAN && (dt == TFC_INT32 || dt == TFC_INT64));
    if (!ok)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input 0 ('%s') must be %s, got %s", op->inputs[0].op->name,
                             kind == RED_MEAN ? "float32 or float64" : "float32, float64, int32 or int64",
                             tfc_dtype_name(dt));
    op->ci[0] = kind;
    tfci_shape out;
    tfc_code c = reduce_static(op, 1, tfci_in_shape(op, 0), &out);
    if (c) return c;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, dt, &out);
    return TFC_OK;
}

static tfc_code shape_sum(tfc_op *op) { return shape_reduce(op, RED_SUM); }
static tfc_code shape_mean(tfc_op *op) { return shape_reduce(op, RED_MEAN); }
static tfc_code shape_max(tfc_op *op) { return shape_reduce(op, RED_MAX); }
static tfc_code shape_min(tfc_op *op) { return shape_reduce(op, RED_MIN); }
static tfc_code shape_prod(tfc_op *op) { return shape_reduce(op, RED_PROD); }

/* ---- ArgMax / ArgMin ---- */

static tfc_code shape_arg(tfc_op *op)
{
    tfc_dtype dt = tfci_in_dtype(op, 0);
    if (type_index(dt) < 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input 0 ('%s') must be float32, float64, int32 or int64, got %s",
                             op->inputs[0].op->name, tfc_dtype_name(dt));
    tfc_code c = expect_index_dtype(op, 1, "dimension");
    if (c) return c;
    const tfci_attr *a = tfci_attr_find(op, "output_type");
    tfc_dtype ot = TFC_INT64;
    if (a) {
        if (a->kind != TFCI_ATTR_TYPE || (a->u.type != TFC_INT32 && a->u.type != TFC_INT64))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'output_type' must be int32 or int64");
        ot = a->u.type;
    }
    const tfci_shape *in = tfci_in_shape(op, 0), *ds = tfci_in_shape(op, 1);
    if (ds->rank > 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dimension must be a scalar, got rank %d", ds->rank);
    const tfc_tensor *dim = tfci_in_const(op, 1);
    tfci_shape out = tfci_shape_unknown();
    if (in->rank == 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the input is a scalar: it has no dimension to search");
    if (in->rank > 0) {
        out.rank = in->rank - 1;
        for (int i = 0; i < out.rank; i++) out.dims[i] = -1;
        if (dim && dim->n == 1) {
            int64_t d = tfci_tensor_int(dim, 0);
            if (d < -in->rank || d >= in->rank)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                     "dimension %lld is out of range for an input of rank %d (expected %d <= dimension < %d)",
                                     (long long)d, in->rank, -in->rank, in->rank);
            if (d < 0) d += in->rank;
            if (in->dims[d] == 0)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dimension %lld of the input is empty (size 0)",
                                     (long long)d);
            for (int i = 0, j = 0; i < in->rank; i++)
                if (i != d) out.dims[j++] = in->dims[i];
        }
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, ot, &out);
    return TFC_OK;
}

/* A NaN counts as the extreme; the first one wins. */
#define BETTER_MAXF(v, b) ((v) > (b) || ((v) != (v) && (b) == (b)))
#define BETTER_MINF(v, b) ((v) < (b) || ((v) != (v) && (b) == (b)))
#define BETTER_MAXI(v, b) ((v) > (b))
#define BETTER_MINI(v, b) ((v) < (b))

/* Index of the extreme along R of x [outer, R, inner] into idx [outer, inner];
 * best is scratch for inner values. */
#define DEFINE_ARG(NAME, T, BETTER)                                                                                \
    static void NAME(const void *xv, int64_t *restrict idx, void *bestv, int64_t outer, int64_t R, int64_t inner) \
    {                                                                                                              \
        const T *restrict x = xv;                                                                                  \
        T *restrict best = bestv;                                                                                  \
        for (int64_t o = 0; o < outer; o++) {                                                                      \
            const T *xb = x + o * R * inner;                                                                       \
            int64_t *ib = idx + o * inner;                                                                         \
            if (inner == 1) {                                                                                      \
                T b = xb[0];                                                                                       \
                int64_t bi = 0;                                                                                    \
                for (int64_t r = 1; r < R; r++)                                                                    \
                    if (BETTER(xb[r], b)) {                                                                        \
                        b = xb[r];                                                                                 \
                        bi = r;                                                                                    \
                    }                                                                                              \
                ib[0] = bi;                                                                                        \
                continue;                                                                                          \
            }                                                                                                      \
            for (int64_t i = 0; i < inner; i++) {                                                                  \
                best[i] = xb[i];                                                                                   \
                ib[i] = 0;                                                                                         \
            }                                                                                                      \
            for (int64_t r = 1; r < R; r++) {                                                                      \
                const T *xr = xb + r * inner;                                                                      \
                for (int64_t i = 0; i < inner; i++)                                                                \
                    if (BETTER(xr[i], best[i])) {                                                                  \
                        best[i] = xr[i];                                                                           \
                        ib[i] = r;                                                                                 \
                    }                                                                                              \
            }                                                                                                      \
        }                                                                                                          \
    }

typedef void (*arg_fn)(const void *x, int64_t *idx, void *best, int64_t outer, int64_t R, int64_t inner);
DEFINE_ARG(argmax_f32, float, BETTER_MAXF)
DEFINE_ARG(argmin_f32, float, BETTER_MINF)
DEFINE_ARG(argmax_f64, double, BETTER_MAXF)
DEFINE_ARG(argmin_f64, double, BETTER_MINF)
DEFINE_ARG(argmax_i32, int32_t, BETTER_MAXI)
DEFINE_ARG(argmin_i32, int32_t, BETTER_MINI)
DEFINE_ARG(argmax_i64, int64_t, BETTER_MAXI)
DEFINE_ARG(argmin_i64, int64_t, BETTER_MINI)
static const arg_fn arg_table[4][2] = {
    {argmax_f32, argmin_f32}, {argmax_f64, argmin_f64}, {argmax_i32, argmin_i32}, {argmax_i64, argmin_i64}};

static tfc_code k_arg(tfci_kctx *k, int which)
{
    const tfc_tensor *x = k->in[0], *dim = k->in[1];
    if (dim->n != 1 || dim->rank > 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dimension must be a scalar, got %lld values",
                               (long long)dim->n);
    if (x->rank == 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "the input is a scalar: it has no dimension to search");
    int64_t d = tfci_tensor_int(dim, 0);
    if (d < -x->rank || d >= x->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                               "dimension %lld is out of range for an input of rank %d (expected %d <= dimension < %d)",
                               (long long)d, x->rank, -x->rank, x->rank);
    int ax = (int)(d < 0 ? d + x->rank : d);
    int64_t odims[TFC_MAX_RANK];
    for (int i = 0, j = 0; i < x->rank; i++)
        if (i != ax) odims[j++] = x->dims[i];
    tfc_dtype ot = k->op->out_dtypes[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, ot, odims, x->rank - 1);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (y->n == 0) return TFC_OK;
    int64_t R = x->dims[ax];
    if (R == 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dimension %d of the input is empty (size 0)", ax);
    int64_t outer = prod_range(x->dims, 0, ax), inner = prod_range(x->dims, ax + 1, x->rank);
    int64_t *idx = ot == TFC_INT64 ? y->data : tfci_kctx_scratch(k, (size_t)y->n * sizeof(int64_t));
    void *best = inner > 1 ? tfci_kctx_scratch(k, (size_t)inner * tfc_dtype_size(x->dtype)) : NULL;
    if (!idx || (inner > 1 && !best)) return TFC_RESOURCE_EXHAUSTED;
    arg_table[type_index(x->dtype)][which](x->data, idx, best, outer, R, inner);
    if (ot == TFC_INT32)
        for (int64_t i = 0; i < y->n; i++) ((int32_t *)y->data)[i] = (int32_t)idx[i];
    return TFC_OK;
}
static tfc_code k_argmax(tfci_kctx *k) { return k_arg(k, 0); }
static tfc_code k_argmin(tfci_kctx *k) { return k_arg(k, 1); }

/* ---- internal gradient ops ---- */

/* Shared checks: dy (input 0) float, input 1 of dy's dtype, axes at axes_in.
 * Output: dy's dtype with input 1's shape. */
static tfc_code shape_grad_common(tfc_op *op, int axes_in)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    tfci_shape ignored;
    if (!c) c = reduce_static(op, axes_in, tfci_in_shape(op, 1), &ignored);
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 1));
    return TFC_OK;
}

static tfc_code shape_grad_broadcast(tfc_op *op)
{
    tfc_code c = shape_grad_common(op, 2);
    if (!c) c = check_bool_attr(op, "mean", &op->ci[3]);
    return c;
}

static tfc_code shape_extremum_grad(tfc_op *op)
{
    tfc_code c = shape_grad_common(op, 3);
    if (!c) c = tfci_expect_same_dtype(op, 1, 2);
    return c;
}

static tfc_code shape_prod_grad(tfc_op *op) { return shape_grad_common(op, 2); }

/* Runtime part shared by the gradient kernels: the mask, the reduced element
 * count m (which dy and any reduced input must have), and the output dx. */
static tfc_code grad_setup(tfci_kctx *k, int axes_in, bool *mask, double *count, tfc_tensor **dx)
{
    const tfc_tensor *dy = k->in[0], *x = k->in[1];
    tfc_code c = kernel_mask(k, x->rank, k->in[axes_in], k->op->ci[2] != 0, mask);
    if (c) return c;
    int64_t m = 1;
    *count = 1;
    for (int i = 0; i < x->rank; i++) {
        if (mask[i]) *count *= (double)x->dims[i];
        else m *= x->dims[i];
    }
    for (int i = 0; i < axes_in; i++)
        if (i != 1 && k->in[i]->n != m)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "input %d has %lld elements, expected %lld (the reduced shape of the input)", i,
                                   (long long)k->in[i]->n, (long long)m);
    if (dy->dtype != x->dtype)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy is %s but the input is %s", tfc_dtype_name(dy->dtype),
                               tfc_dtype_name(x->dtype));
    *dx = tfci_kctx_output(k, 0, dy->dtype, x->dims, x->rank);
    return *dx ? TFC_OK : TFC_RESOURCE_EXHAUSTED;
}

/* dx = dy broadcast back over the reduced axes, times s. */
#define DEFINE_BCAST(NAME, T)                                                                                      \
    static tfc_code NAME(tfci_kctx *k, const void *dyv, void *dxv, const bool *mask, double scale)                 \
    {                                                                                                              \
        const T *restrict dy = dyv;                                                                                \
        T *restrict dx = dxv;                                                                                      \
        const tfc_tensor *x = k->in[1];                                                                            \
        T s = (T)scale;                                                                                            \
        rplan p;                                                                                                   \
        plan_groups(x->dims, x->rank, mask, &p);                                                                   \
        int nred = 0, kg = -1;                                                                                     \
        for (int g = 0; g < p.G; g++)                                                                              \
            if (p.red[g]) {                                                                                        \
                nred++;                                                                                            \
                kg = g;                                                                                            \
            }                                                                                                      \
        if (nred == 0) {                                                                                           \
            for (int64_t i = 0; i < x->n; i++) dx[i] = dy[i] * s;                                                  \
            return TFC_OK;                                                                                         \
        }                                                                                                          \
        if (nred == 1) {                                                                                           \
            int64_t outer = prod_range(p.d, 0, kg), R = p.d[kg], inner = prod_range(p.d, kg + 1, p.G);             \
            for (int64_t o = 0; o < outer; o++) {                                                                  \
                const T *dyo = dy + o * inner;                                                                     \
                T *dxo = dx + o * R * inner;                                                                       \
                if (inner == 1) {                                                                                  \
                    T v = dyo[0] * s;                                                                              \
                    for (int64_t r = 0; r < R; r++) dxo[r] = v;                                                    \
                } else {                                                                                           \
                    for (int64_t r = 0; r < R; r++)                                                                \
                        for (int64_t i = 0; i < inner; i++) dxo[r * inner + i] = dyo[i] * s;                       \
                }                                                                                                  \
            }                                                                                                      \
            return TFC_OK;                                                                                         \
        }                                                                                                          \
        const int64_t *map = reduce_index_map(k, x->dims, x->rank, mask, x->n);                                    \
        if (!map) return TFC_RESOURCE_EXHAUSTED;                                                                   \
        for (int64_t i = 0; i < x->n; i++) dx[i] = dy[map[i]] * s;                                                 \
        return TFC_OK;                                                                                             \
    }
DEFINE_BCAST(bcast_f32, float)
DEFINE_BCAST(bcast_f64, double)

static tfc_code k_reduce_grad_broadcast(tfci_kctx *k)
{
    bool mask[TFC_MAX_RANK];
    double count;
    tfc_tensor *dx = NULL;
    tfc_code c = grad_setup(k, 2, mask, &count, &dx);
    if (c || dx->n == 0) return c;
    double scale = k->op->ci[3] ? 1.0 / count : 1.0;
    if (dx->dtype == TFC_FLOAT) return bcast_f32(k, k->in[0]->data, dx->data, mask, scale);
    return bcast_f64(k, k->in[0]->data, dx->data, mask, scale);
}

/* Max/Min: dy goes to the elements equal to the result, split evenly among ties. */
#define DEFINE_EXTREMUM_GRAD(NAME, T)                                                                              \
    static tfc_code NAME(tfci_kctx *k, const int64_t *map, T *restrict dx)                                        \
    {                                                                                                              \
        const T *dy = k->in[0]->data, *x = k->in[1]->data, *y = k->in[2]->data;                                   \
        int64_t n = k->in[1]->n, m = k->in[2]->n;                                                                  \
        T *cnt = tfci_kctx_scratch(k, (size_t)m * sizeof(T));                                                      \
        if (!cnt) return TFC_RESOURCE_EXHAUSTED;                                                                   \
        for (int64_t o = 0; o < m; o++) cnt[o] = 0;                                                                \
        for (int64_t i = 0; i < n; i++) cnt[map[i]] += x[i] == y[map[i]];                                          \
        for (int64_t o = 0; o < m; o++) cnt[o] = cnt[o] > 0 ? dy[o] / cnt[o] : 0;                                  \
        for (int64_t i = 0; i < n; i++) dx[i] = x[i] == y[map[i]] ? cnt[map[i]] : 0;                               \
        return TFC_OK;                                                                                             \
    }
DEFINE_EXTREMUM_GRAD(extremum_grad_f32, float)
DEFINE_EXTREMUM_GRAD(extremum_grad_f64, double)

static tfc_code k_extremum_grad(tfci_kctx *k)
{
    bool mask[TFC_MAX_RANK];
    double count;
    tfc_tensor *dx = NULL;
    tfc_code c = grad_setup(k, 3, mask, &count, &dx);
    if (c || dx->n == 0) return c;
    const int64_t *map = reduce_index_map(k, dx->dims, dx->rank, mask, dx->n);
    if (!map) return TFC_RESOURCE_EXHAUSTED;
    if (dx->dtype == TFC_FLOAT) return extremum_grad_f32(k, map, dx->data);
    return extremum_grad_f64(k, map, dx->data);
}

/* Prod: dx[i] = dy * (product of the other elements of its group), as the
 * product of the elements before i times the product of those after it, so
 * zeros are handled exactly. */
#define DEFINE_PROD_GRAD(NAME, T)                                                                                  \
    static tfc_code NAME(tfci_kctx *k, const int64_t *map, T *restrict dx)                                        \
    {                                                                                                              \
        const T *dy = k->in[0]->data, *x = k->in[1]->data;                                                         \
        int64_t n = k->in[1]->n, m = k->in[0]->n;                                                                  \
        T *run = tfci_kctx_scratch(k, (size_t)m * sizeof(T));                                                      \
        if (!run) return TFC_RESOURCE_EXHAUSTED;                                                                   \
        for (int64_t o = 0; o < m; o++) run[o] = 1;                                                                \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            dx[i] = run[map[i]];                                                                                   \
            run[map[i]] *= x[i];                                                                                   \
        }                                                                                                          \
        for (int64_t o = 0; o < m; o++) run[o] = dy[o];                                                            \
        for (int64_t i = n; i-- > 0;) {                                                                            \
            dx[i] *= run[map[i]];                                                                                  \
            run[map[i]] *= x[i];                                                                                   \
        }                                                                                                          \
        return TFC_OK;                                                                                             \
    }
DEFINE_PROD_GRAD(prod_grad_f32, float)
DEFINE_PROD_GRAD(prod_grad_f64, double)

static tfc_code k_prod_grad(tfci_kctx *k)
{
    bool mask[TFC_MAX_RANK];
    double count;
    tfc_tensor *dx = NULL;
    tfc_code c = grad_setup(k, 2, mask, &count, &dx);
    if (c || dx->n == 0) return c;
    const int64_t *map = reduce_index_map(k, dx->dims, dx->rank, mask, dx->n);
    if (!map) return TFC_RESOURCE_EXHAUSTED;
    if (dx->dtype == TFC_FLOAT) return prod_grad_f32(k, map, dx->data);
    return prod_grad_f64(k, map, dx->data);
}

/* ---- gradients ---- */

static tfc_output build_reduce(tfc_graph *g, const char *type, tfc_output x, tfc_output axes, bool keep_dims,
                               bool reduce_all, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, axes);
    tfc_op_builder_set_attr_bool(b, "keep_dims", keep_dims);
    if (reduce_all) tfc_op_builder_set_attr_bool(b, "reduce_all", true);
    return tfci_finish(g, b);
}

/* An internal gradient op of forward op f: inputs dy, f's input, extra..., f's axes. */
static tfc_output grad_op(tfci_grad_ctx *gc, const char *type, const tfc_output *extra, int nextra, int mean)
{
    const tfc_op *f = gc->op;
    tfc_op_builder *b = tfci_builder(gc->g, type, NULL);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, f->inputs[0]);
    for (int i = 0; i < nextra; i++) tfc_op_builder_add_input(b, extra[i]);
    tfc_op_builder_add_input(b, f->inputs[1]);
    tfc_op_builder_set_attr_bool(b, "keep_dims", f->ci[1] != 0);
    if (f->ci[2]) tfc_op_builder_set_attr_bool(b, "reduce_all", true);
    if (mean >= 0) tfc_op_builder_set_attr_bool(b, "mean", mean != 0);
    return tfci_finish(gc->g, b);
}

static tfc_code g_sum(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op(gc, "_ReduceGradBroadcast", NULL, 0, 0);
    return tfc_graph_status(gc->g);
}

static tfc_code g_mean(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op(gc, "_ReduceGradBroadcast", NULL, 0, 1);
    return tfc_graph_status(gc->g);
}

static tfc_code g_extremum(tfci_grad_ctx *gc)
{
    tfc_output y = {gc->op, 0};
    gc->dx[0].dense = grad_op(gc, "_ReduceExtremumGrad", &y, 1, -1);
    return tfc_graph_status(gc->g);
}

static tfc_code g_prod(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op(gc, "_ProdGrad", NULL, 0, -1);
    return tfc_graph_status(gc->g);
}

/* _ReduceGradBroadcast is linear in dy: its gradient is the reduction itself. */
static tfc_code g_grad_broadcast(tfci_grad_ctx *gc)
{
    const tfc_op *f = gc->op;
    gc->dx[0].dense = build_reduce(gc->g, f->ci[3] ? "Mean" : "Sum", gc->dy[0], f->inputs[2], f->ci[1] != 0,
                                   f->ci[2] != 0, NULL);
    return tfc_graph_status(gc->g);
}

const tfci_op_def tfci_reduce_ops[] = {
    {"Sum", 2, 2, shape_sum, k_reduce, g_sum, 0},
    {"Mean", 2, 2, shape_mean, k_reduce, g_mean, 0},
    {"Max", 2, 2, shape_max, k_reduce, g_extremum, 0},
    {"Min", 2, 2, shape_min, k_reduce, g_extremum, 0},
    {"Prod", 2, 2, shape_prod, k_reduce, g_prod, 0},
    {"ArgMax", 2, 2, shape_arg, k_argmax, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"ArgMin", 2, 2, shape_arg, k_argmin, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    /* (dy, input, reduction_indices) -> dy broadcast to input's shape (/ count when mean) */
    {"_ReduceGradBroadcast", 3, 3, shape_grad_broadcast, k_reduce_grad_broadcast, g_grad_broadcast, 0},
    /* (dy, input, max_or_min_output, reduction_indices) */
    {"_ReduceExtremumGrad", 4, 4, shape_extremum_grad, k_extremum_grad, NULL, 0},
    /* (dy, input, reduction_indices) */
    {"_ProdGrad", 3, 3, shape_prod_grad, k_prod_grad, NULL, 0},
};
const int tfci_reduce_ops_count = sizeof tfci_reduce_ops / sizeof tfci_reduce_ops[0];

/* ---- typed constructors ---- */

/* "name/suffix" (or "Type/suffix") for a helper constant; NULL if too long. */
static const char *sub_name(char *buf, size_t size, const char *name, const char *type, const char *suffix)
{
    int n = snprintf(buf, size, "%s/%s", name ? name : type, suffix);
    return n > 0 && (size_t)n < size ? buf : NULL;
}

static tfc_output reduce_ctor(tfc_graph *g, const char *type, tfc_output x, const int64_t *axes, int naxes,
                              bool keep_dims, const char *name)
{
    if (!g || g->status) return tfci_finish(g, tfci_builder(g, type, name));
    if (axes && naxes < 0) {
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): naxes is negative (%d)",
                                      name ? name : type, type, naxes));
        return TFCI_NO_OUTPUT;
    }
    if (axes && naxes > TFC_MAX_RANK) {
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (%s): %d axes, but a tensor has at most %d",
                                      name ? name : type, type, naxes, TFC_MAX_RANK));
        return TFCI_NO_OUTPUT;
    }
    int rank = tfci_output_valid(x) ? x.op->out_shapes[x.index].rank : 0;
    bool reduce_all = !axes && rank < 0;
    int32_t v32[TFC_MAX_RANK];
    int n = axes ? naxes : rank < 0 ? 0 : rank;
    bool fits = true;
    for (int i = 0; i < n; i++) {
        int64_t a = axes ? axes[i] : i;
        if (a < INT32_MIN || a > INT32_MAX) fits = false;
        v32[i] = (int32_t)a;
    }
    char buf[256];
    int64_t dims[1] = {n};
    /* int32 as TensorFlow; int64 only when a (bad) axis does not fit, so the error shows it */
    tfc_output ax = fits ? tfc_const_array(g, TFC_INT32, dims, 1, v32, sub_name(buf, sizeof buf, name, type,
                                                                                  "reduction_indices"))
                         : tfci_const_int64s(g, axes, n, sub_name(buf, sizeof buf, name, type, "reduction_indices"));
    return build_reduce(g, type, x, ax, keep_dims, reduce_all, name);
}

TFC_API tfc_output tfc_reduce_sum(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name)
{
    return reduce_ctor(g, "Sum", x, axes, naxes, keep_dims, name);
}

TFC_API tfc_output tfc_reduce_mean(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                   const char *name)
{
    return reduce_ctor(g, "Mean", x, axes, naxes, keep_dims, name);
}

TFC_API tfc_output tfc_reduce_max(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name)
{
    return reduce_ctor(g, "Max", x, axes, naxes, keep_dims, name);
}

TFC_API tfc_output tfc_reduce_min(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                  const char *name)
{
    return reduce_ctor(g, "Min", x, axes, naxes, keep_dims, name);
}

TFC_API tfc_output tfc_reduce_prod(tfc_graph *g, tfc_output x, const int64_t *axes, int naxes, bool keep_dims,
                                   const char *name)
{
    return reduce_ctor(g, "Prod", x, axes, naxes, keep_dims, name);
}

static tfc_output arg_ctor(tfc_graph *g, const char *type, tfc_output x, int axis, const char *name)
{
    char buf[256];
    tfc_output dim = tfc_const_int32(g, axis, sub_name(buf, sizeof buf, name, type, "dimension"));
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, dim);
    tfc_op_builder_set_attr_type(b, "output_type", TFC_INT64);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_argmax(tfc_graph *g, tfc_output x, int axis, const char *name)
{
    return arg_ctor(g, "ArgMax", x, axis, name);
}

TFC_API tfc_output tfc_argmin(tfc_graph *g, tfc_output x, int axis, const char *name)
{
    return arg_ctor(g, "ArgMin", x, axis, name);
}
