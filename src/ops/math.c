/* Op family 'math': element-wise arithmetic with NumPy broadcasting, unary
 * functions, AddN, comparisons and logic, SelectV2, and the internal ops
 * _SumToShapeOf / _BroadcastToShapeOf that move gradients between a
 * broadcast shape and an input's run-time shape. Also implements the
 * broadcasting helpers declared in broadcast.h for the other families. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "broadcast.h"
#include "registry.h"

/* ======================================================================
 * Broadcasting: static shapes, run-time iteration
 * ====================================================================== */

/* Static NumPy broadcasting of n shapes (unknown rank gives unknown rank; a
 * dimension unknown against a known d > 1 is d, since it can only be 1 or d). */
static tfc_code bcast_static(const tfc_op *op, int n, const tfci_shape *const *s, tfci_shape *out)
{
    int r = 0;
    for (int i = 0; i < n; i++) {
        if (s[i]->rank < 0) {
            *out = tfci_shape_unknown();
            return TFC_OK;
        }
        if (s[i]->rank > r) r = s[i]->rank;
    }
    tfci_shape o = tfci_shape_scalar();
    o.rank = r;
    for (int d = 0; d < r; d++) {
        int64_t known = 1;
        bool unknown = false, bad = false;
        for (int i = 0; i < n; i++) {
            int pos = s[i]->rank - r + d;
            if (pos < 0) continue;
            int64_t v = s[i]->dims[pos];
            if (v < 0) unknown = true;
            else if (v != 1) {
                if (known != 1 && known != v) bad = true;
                known = v;
            }
        }
        if (bad) {
            char b[3][128];
            for (int i = 0; i < n; i++) tfci_shape_to_str(s[i], b[i], sizeof b[i]);
            if (n == 2)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "shapes %s and %s cannot be broadcast together", b[0],
                                     b[1]);
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "shapes %s, %s and %s cannot be broadcast together", b[0],
                                 b[1], b[2]);
        }
        o.dims[d] = known != 1 ? known : (unknown ? -1 : 1);
    }
    *out = o;
    return TFC_OK;
}

tfc_code tfci_bcast_init_dims(tfci_bcast *b, int nin, const int64_t *const *dims, const int *ranks)
{
    memset(b, 0, sizeof *b);
    b->nin = nin;
    int r = 0;
    for (int i = 0; i < nin; i++)
        if (ranks[i] > r) r = ranks[i];
    int64_t n = 1;
    for (int d = 0; d < r; d++) {
        int64_t v = 1;
        for (int i = 0; i < nin; i++) {
            int pos = ranks[i] - r + d;
            int64_t di = pos >= 0 ? dims[i][pos] : 1;
            if (di == 1) continue;
            if (v != 1 && v != di) {
                char s[3][128];
                for (int j = 0; j < nin; j++) tfci_shape_str(dims[j], ranks[j], s[j], sizeof s[j]);
                if (nin == 2)
                    return tfci_error(TFC_INVALID_ARGUMENT, "shapes %s and %s cannot be broadcast together", s[0],
                                      s[1]);
                return tfci_error(TFC_INVALID_ARGUMENT, "shapes %s, %s and %s cannot be broadcast together", s[0],
                                  s[1], s[2]);
            }
            v = di;
        }
        if (v > 0 && n > INT64_MAX / v)
            return tfci_error(TFC_INVALID_ARGUMENT, "the broadcast shape has too many elements");
        b->out_dims[d] = v;
        n *= v;
    }
    b->out_rank = r;
    b->n = n;

    /* Collapse: drop size-1 output dimensions, merge neighbours that every
     * input treats alike (broadcast in both, or in neither). */
    bool pat[TFC_MAX_RANK][TFCI_BCAST_MAX_IN];
    int cr = 0;
    for (int d = 0; d < r; d++) {
        if (b->out_dims[d] == 1) continue;
        bool cur[TFCI_BCAST_MAX_IN];
        for (int i = 0; i < nin; i++) {
            int pos = ranks[i] - r + d;
            cur[i] = (pos >= 0 ? dims[i][pos] : 1) == 1;
        }
        bool same = cr > 0;
        for (int i = 0; same && i < nin; i++)
            if (cur[i] != pat[cr - 1][i]) same = false;
        if (same) {
            b->dims[cr - 1] *= b->out_dims[d];
        } else {
            b->dims[cr] = b->out_dims[d];
            for (int i = 0; i < nin; i++) pat[cr][i] = cur[i];
            cr++;
        }
    }
    if (cr == 0) {
        cr = 1;
        b->dims[0] = 1;
        for (int i = 0; i < nin; i++) pat[0][i] = false;
    }
    b->rank = cr;
    for (int i = 0; i < nin; i++) {
        int64_t acc = 1;
        for (int j = cr - 1; j >= 0; j--) {
            if (pat[j][i]) {
                b->strides[i][j] = 0;
            } else {
                b->strides[i][j] = acc;
                acc *= b->dims[j];
            }
        }
    }
    return TFC_OK;
}

tfc_code tfci_bcast_init(tfci_kctx *k, tfci_bcast *b, const tfc_tensor *const *ins, int nin)
{
    const int64_t *dims[TFCI_BCAST_MAX_IN];
    int ranks[TFCI_BCAST_MAX_IN];
    for (int i = 0; i < nin; i++) {
        dims[i] = ins[i]->dims;
        ranks[i] = ins[i]->rank;
    }
    tfc_code c = tfci_bcast_init_dims(b, nin, dims, ranks);
    if (c) tfci_error_prefix("op '%s' (%s)", k->op->name, k->op->def->name);
    return c;
}

void tfci_bcast_walk(const tfci_bcast *b, int64_t begin, int64_t end, tfci_bcast_row_fn fn, void *arg)
{
    if (begin >= end) return;
    const int last = b->rank - 1;
    int64_t idx[TFC_MAX_RANK], off[TFCI_BCAST_MAX_IN] = {0}, step[TFCI_BCAST_MAX_IN] = {0};
    int64_t rem = begin;
    for (int d = last; d >= 0; d--) {
        idx[d] = rem % b->dims[d];
        rem /= b->dims[d];
    }
    for (int i = 0; i < b->nin; i++) {
        for (int d = 0; d <= last; d++) off[i] += idx[d] * b->strides[i][d];
        step[i] = b->strides[i][last];
    }
    int64_t pos = begin;
    while (pos < end) {
        int64_t len = b->dims[last] - idx[last];
        if (len > end - pos) len = end - pos;
        fn(arg, pos, off, step, len);
        pos += len;
        if (pos >= end) break;
        for (int i = 0; i < b->nin; i++) off[i] += len * step[i];
        idx[last] += len;
        /* carry into outer dimensions */
        for (int d = last; d > 0 && idx[d] == b->dims[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
            for (int i = 0; i < b->nin; i++) off[i] += b->strides[i][d - 1] - b->dims[d] * b->strides[i][d];
        }
    }
}

typedef struct walk_job {
    const tfci_bcast *b;
    tfci_bcast_row_fn fn;
    void *arg;
} walk_job;

static void walk_range(void *p, int64_t begin, int64_t end)
{
    const walk_job *j = p;
    tfci_bcast_walk(j->b, begin, end, j->fn, j->arg);
}

void tfci_bcast_run(tfci_pool *pool, const tfci_bcast *b, tfci_bcast_row_fn fn, void *arg)
{
    walk_job j = {b, fn, arg};
    tfci_parallel_for(pool, b->n, TFCI_ELEMENTWISE_GRAIN, walk_range, &j);
}

/* Whether a tensor of shape src broadcasts to exactly dst. */
static bool broadcasts_to(const int64_t *src, int srank, const int64_t *dst, int drank)
{
    if (srank > drank) return false;
    for (int d = 0; d < srank; d++) {
        int64_t s = src[d], t = dst[drank - srank + d];
        if (s != 1 && s != t) return false;
    }
    return true;
}

/* ======================================================================
 * Dtypes
 * ====================================================================== */

enum { DT_F32, DT_F64, DT_I32, DT_I64, DT_BOOL, DT_COUNT };
static const tfc_dtype dt_of_index[DT_COUNT] = {TFC_FLOAT, TFC_DOUBLE, TFC_INT32, TFC_INT64, TFC_BOOL};

static int dt_index(tfc_dtype d)
{
    switch (d) {
    case TFC_FLOAT: return DT_F32;
    case TFC_DOUBLE: return DT_F64;
    case TFC_INT32: return DT_I32;
    case TFC_INT64: return DT_I64;
    case TFC_BOOL: return DT_BOOL;
    default: return -1;
    }
}

/* Input i's dtype must be in mask (bits by DT_ index); the error lists the allowed ones. */
static tfc_code check_dtype(const tfc_op *op, int i, unsigned mask)
{
    tfc_dtype got = tfci_in_dtype(op, i);
    int di = dt_index(got);
    if (di >= 0 && (mask >> di) & 1u) return TFC_OK;
    char allowed[96] = "";
    int count = 0, total = 0;
    for (int d = 0; d < DT_COUNT; d++) total += (mask >> d) & 1u;
    for (int d = 0; d < DT_COUNT; d++) {
        if (!((mask >> d) & 1u)) continue;
        count++;
        const char *sep = count == 1 ? "" : count == total ? " or " : ", ";
        size_t len = strlen(allowed);
        snprintf(allowed + len, sizeof allowed - len, "%s%s", sep, tfc_dtype_name(dt_of_index[d]));
    }
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d ('%s') must be %s, got %s", i, op->inputs[i].op->name,
                         allowed, tfc_dtype_name(got));
}

/* tfci_kctx_output failed: it has set the error already. */
static tfc_code output_failed(void) { return TFC_RESOURCE_EXHAUSTED; }

/* ======================================================================
 * Binary element-wise ops
 * ====================================================================== */

/* Operand layouts of one run: both vectors, scalar op vector, vector op scalar. */
enum { VV, SV, VS };

typedef void (*bin_fn)(void *restrict out, const void *restrict a, const void *restrict b, int64_t n, int mode);

/* One function per op and dtype, with a tight loop per layout so each vectorizes. */
#define BIN_FN(fname, T, TO, EXPR)                                                                                 \
    TFCI_SIMD_CLONES static void fname(void *restrict out_, const void *restrict a_, const void *restrict b_, int64_t n, int mode) \
    {                                                                                                              \
        TO *restrict o = out_;                                                                                     \
        const T *restrict pa = a_;                                                                                 \
        const T *restrict pb = b_;                                                                                 \
        if (mode == VV) {                                                                                          \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                const T x = pa[i], y = pb[i];                                                                      \
                o[i] = (TO)(EXPR);                                                                                 \
            }                                                                                                      \
        } else if (mode == SV) {                                                                                   \
            const T x = pa[0];                                                                                     \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                const T y = pb[i];                                                                                 \
                o[i] = (TO)(EXPR);                                                                                 \
            }                                                                                                      \
        } else {                                                                                                   \
            const T y = pb[0];                                                                                     \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                const T x = pa[i];                                                                                 \
                o[i] = (TO)(EXPR);                                                                                 \
            }                                                                                                      \
        }                                                                                                          \
    }

#define BIN_FLOAT(name, EXPR) BIN_FN(name##_f32, float, float, EXPR) BIN_FN(name##_f64, double, double, EXPR)
/* Integer arithmetic wraps around (computed unsigned) instead of overflowing into UB. */
#define BIN_INT_WRAP(name, OPER)                                                                                   \
    BIN_FN(name##_i32, int32_t, int32_t, (uint32_t)x OPER (uint32_t)y)                                            \
    BIN_FN(name##_i64, int64_t, int64_t, (uint64_t)x OPER (uint64_t)y)
#define BIN_INT(name, EXPR) BIN_FN(name##_i32, int32_t, int32_t, EXPR) BIN_FN(name##_i64, int64_t, int64_t, EXPR)
#define BIN_CMP(name, OPER)                                                                                        \
    BIN_FN(name##_f32, float, uint8_t, x OPER y)                                                                   \
    BIN_FN(name##_f64, double, uint8_t, x OPER y)                                                                  \
    BIN_FN(name##_i32, int32_t, uint8_t, x OPER y)                                                                 \
    BIN_FN(name##_i64, int64_t, uint8_t, x OPER y)

BIN_FLOAT(add, x + y)
BIN_INT_WRAP(add, +)
BIN_FLOAT(sub, x - y)
BIN_INT_WRAP(sub, -)
BIN_FLOAT(mul, x * y)
BIN_INT_WRAP(mul, *)
BIN_FLOAT(div, x / y)
/* Truncating; y == 0 is rejected before the loop; MIN / -1 wraps. */
BIN_FN(div_i32, int32_t, int32_t, y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y)
BIN_FN(div_i64, int64_t, int64_t, y == -1 ? (int64_t)(0u - (uint64_t)x) : x / y)
BIN_FN(pow_f32, float, float, powf(x, y))
BIN_FN(pow_f64, double, double, pow(x, y))
/* NaN in either operand gives NaN. */
BIN_FLOAT(maximum, (x > y || isnan(x)) ? x : y)
BIN_INT(maximum, x > y ? x : y)
BIN_FLOAT(minimum, (x < y || isnan(x)) ? x : y)
BIN_INT(minimum, x < y ? x : y)
BIN_FLOAT(sqdiff, (x - y) * (x - y))
BIN_CMP(equal, ==)
BIN_FN(equal_b, uint8_t, uint8_t, (x != 0) == (y != 0))
BIN_CMP(not_equal, !=)
BIN_FN(not_equal_b, uint8_t, uint8_t, (x != 0) != (y != 0))
BIN_CMP(less, <)
BIN_CMP(less_equal, <=)
BIN_CMP(greater, >)
BIN_CMP(greater_equal, >=)
BIN_FN(logical_and_b, uint8_t, uint8_t, (x != 0) & (y != 0))
BIN_FN(logical_or_b, uint8_t, uint8_t, (x != 0) | (y != 0))

typedef struct bin_impl {
    bin_fn fn[DT_COUNT]; /* NULL: dtype not supported */
    bool out_bool;
    bool int_div; /* integer division: zero divisors are an error */
} bin_impl;

#define NUM4(name) {name##_f32, name##_f64, name##_i32, name##_i64, NULL}
static const bin_impl impl_add = {NUM4(add), false, false};
static const bin_impl impl_sub = {NUM4(sub), false, false};
static const bin_impl impl_mul = {NUM4(mul), false, false};
static const bin_impl impl_div = {NUM4(div), false, true};
static const bin_impl impl_pow = {{pow_f32, pow_f64, NULL, NULL, NULL}, false, false};
static const bin_impl impl_maximum = {NUM4(maximum), false, false};
static const bin_impl impl_minimum = {NUM4(minimum), false, false};
static const bin_impl impl_sqdiff = {{sqdiff_f32, sqdiff_f64, NULL, NULL, NULL}, false, false};
static const bin_impl impl_equal = {{equal_f32, equal_f64, equal_i32, equal_i64, equal_b}, true, false};
static const bin_impl impl_not_equal = {{not_equal_f32, not_equal_f64, not_equal_i32, not_equal_i64, not_equal_b},
                                        true, false};
static const bin_impl impl_less = {NUM4(less), true, false};
static const bin_impl impl_less_equal = {NUM4(less_equal), true, false};
static const bin_impl impl_greater = {NUM4(greater), true, false};
static const bin_impl impl_greater_equal = {NUM4(greater_equal), true, false};
static const bin_impl impl_logical_and = {{NULL, NULL, NULL, NULL, logical_and_b}, true, false};
static const bin_impl impl_logical_or = {{NULL, NULL, NULL, NULL, logical_or_b}, true, false};

static unsigned bin_mask(const bin_impl *impl)
{
    unsigned m = 0;
    for (int d = 0; d < DT_COUNT; d++)
        if (impl->fn[d]) m |= 1u << d;
    return m;
}

static tfc_code shape_binary(tfc_op *op, const bin_impl *impl)
{
    tfc_code c = check_dtype(op, 0, bin_mask(impl));
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    if (c) return c;
    const tfci_shape *s[2] = {tfci_in_shape(op, 0), tfci_in_shape(op, 1)};
    tfci_shape out;
    if ((c = bcast_static(op, 2, s, &out))) return c;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, impl->out_bool ? TFC_BOOL : tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

typedef struct bin_job {
    bin_fn fn;
    char *o;
    const char *a, *b;
    size_t isz, osz;
} bin_job;

static void bin_row(void *arg, int64_t oo, const int64_t *io, const int64_t *st, int64_t len)
{
    const bin_job *j = arg;
    char *o = j->o + oo * (int64_t)j->osz;
    const char *a = j->a + io[0] * (int64_t)j->isz, *b = j->b + io[1] * (int64_t)j->isz;
    if (st[0] && st[1]) j->fn(o, a, b, len, VV);
    else if (st[1]) j->fn(o, a, b, len, SV);
    else if (st[0]) j->fn(o, a, b, len, VS);
    else
        for (int64_t i = 0; i < len; i++) j->fn(o + i * (int64_t)j->osz, a, b, 1, VV);
}

static tfc_code run_binary(tfci_kctx *k, const bin_impl *impl)
{
    const tfc_tensor *x = k->in[0], *y = k->in[1];
    int di = dt_index(x->dtype);
    if (x->dtype != y->dtype || di < 0 || !impl->fn[di])
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported dtypes %s and %s", tfc_dtype_name(x->dtype),
                               tfc_dtype_name(y->dtype));
    tfci_bcast b;
    tfc_code c = tfci_bcast_init(k, &b, k->in, 2);
    if (c) return c;
    if (impl->int_div && b.n > 0 && (di == DT_I32 || di == DT_I64)) {
        for (int64_t i = 0; i < y->n; i++) {
            int64_t v = di == DT_I32 ? ((const int32_t *)y->data)[i] : ((const int64_t *)y->data)[i];
            if (v == 0) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "integer division by zero");
        }
    }
    tfc_dtype odt = impl->out_bool ? TFC_BOOL : x->dtype;
    tfc_tensor *out = tfci_kctx_output(k, 0, odt, b.out_dims, b.out_rank);
    if (!out) return output_failed();
    bin_job j = {impl->fn[di], out->data, x->data, y->data, tfc_dtype_size(x->dtype), tfc_dtype_size(odt)};
    tfci_bcast_run(tfci_kctx_pool(k), &b, bin_row, &j);
    return TFC_OK;
}

#define BINARY_OP(name)                                                                                            \
    static tfc_code s_##name(tfc_op *op) { return shape_binary(op, &impl_##name); }                               \
    static tfc_code k_##name(tfci_kctx *k) { return run_binary(k, &impl_##name); }

BINARY_OP(add)
BINARY_OP(sub)
BINARY_OP(mul)
BINARY_OP(div)
BINARY_OP(pow)
BINARY_OP(maximum)
BINARY_OP(minimum)
BINARY_OP(sqdiff)
BINARY_OP(equal)
BINARY_OP(not_equal)
BINARY_OP(less)
BINARY_OP(less_equal)
BINARY_OP(greater)
BINARY_OP(greater_equal)
BINARY_OP(logical_and)
BINARY_OP(logical_or)

/* ======================================================================
 * Unary element-wise ops
 * ====================================================================== */

typedef void (*un_fn)(void *restrict out, const void *restrict a, int64_t n);

#define UN_FN(fname, T, TO, EXPR)                                                                                  \
    TFCI_SIMD_CLONES static void fname(void *restrict out_, const void *restrict a_, int64_t n)                                    \
    {                                                                                                              \
        TO *restrict o = out_;                                                                                     \
        const T *restrict pa = a_;                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            const T x = pa[i];                                                                                     \
            o[i] = (TO)(EXPR);                                                                                     \
        }                                                                                                          \
    }
#define UN_FLOAT(name, EXPR32, EXPR64) UN_FN(name##_f32, float, float, EXPR32) UN_FN(name##_f64, double, double, EXPR64)

UN_FLOAT(neg, -x, -x)
UN_FN(neg_i32, int32_t, int32_t, 0u - (uint32_t)x)
UN_FN(neg_i64, int64_t, int64_t, 0u - (uint64_t)x)
UN_FLOAT(abs, fabsf(x), fabs(x))
UN_FN(abs_i32, int32_t, int32_t, x < 0 ? 0u - (uint32_t)x : (uint32_t)x)
UN_FN(abs_i64, int64_t, int64_t, x < 0 ? 0u - (uint64_t)x : (uint64_t)x)
/* Zeros and NaN map to themselves. */
UN_FLOAT(sign, x > 0 ? 1.0f : x < 0 ? -1.0f : x, x > 0 ? 1.0 : x < 0 ? -1.0 : x)
UN_FN(sign_i32, int32_t, int32_t, (x > 0) - (x < 0))
UN_FN(sign_i64, int64_t, int64_t, (x > 0) - (x < 0))
UN_FLOAT(square, x * x, x * x)
UN_FN(square_i32, int32_t, int32_t, (uint32_t)x * (uint32_t)x)
UN_FN(square_i64, int64_t, int64_t, (uint64_t)x * (uint64_t)x)
UN_FLOAT(sqrt, sqrtf(x), sqrt(x))
UN_FLOAT(rsqrt, 1.0f / sqrtf(x), 1.0 / sqrt(x))
/* Bitwise select: unlike ?: on floats, GCC if-converts it, so fast_expf vectorizes. */
static inline float blend_f32(int take_a, float a, float b)
{
    uint32_t ua, ub, m = 0u - (uint32_t)take_a;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, 4);
    return f;
}

/* expf that vectorizes (glibc's does not without -ffast-math): Cephes'
 * reduction x = n ln2 + r and degree-7 polynomial, within 2 ulp of exp; the
 * 2^n scale is applied in two halves so overflow gives inf, underflow
 * subnormals or 0, and NaN stays NaN. */
static inline float fast_expf(float x)
{
    x = blend_f32(x < -104.0f, -104.0f, x); /* below: 0 anyway; keeps n in range */
    x = blend_f32(x > 89.0f, 89.0f, x);     /* above: inf anyway */
    const float magic = 12582912.0f;        /* 1.5 * 2^23: adding it rounds to an integer */
    float t = x * 1.44269504088896341f + magic;
    float n = t - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    uint32_t tb;
    memcpy(&tb, &t, 4);
    int32_t ni = (int32_t)(tb - 0x4b400000u); /* n as an integer, read from t's mantissa */
    int32_t n1 = ni >> 1;
    uint32_t b1 = ((uint32_t)n1 + 127u) << 23, b2 = ((uint32_t)ni - (uint32_t)n1 + 127u) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    return p * s1 * s2;
}

UN_FLOAT(exp, fast_expf(x), exp(x))
UN_FLOAT(log, logf(x), log(x))
UN_FLOAT(log1p, log1pf(x), log1p(x))
UN_FN(logical_not_b, uint8_t, uint8_t, x == 0)

typedef struct un_impl {
    un_fn fn[DT_COUNT];
} un_impl;

static const un_impl impl_neg = {NUM4(neg)};
static const un_impl impl_abs = {NUM4(abs)};
static const un_impl impl_sign = {NUM4(sign)};
static const un_impl impl_square = {NUM4(square)};
#define FLT2(name) {name##_f32, name##_f64, NULL, NULL, NULL}
static const un_impl impl_sqrt = {FLT2(sqrt)};
static const un_impl impl_rsqrt = {FLT2(rsqrt)};
static const un_impl impl_exp = {FLT2(exp)};
static const un_impl impl_log = {FLT2(log)};
static const un_impl impl_log1p = {FLT2(log1p)};
static const un_impl impl_logical_not = {{NULL, NULL, NULL, NULL, logical_not_b}};

static tfc_code shape_unary(tfc_op *op, const un_impl *impl)
{
    unsigned m = 0;
    for (int d = 0; d < DT_COUNT; d++)
        if (impl->fn[d]) m |= 1u << d;
    tfc_code c = check_dtype(op, 0, m);
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
    return TFC_OK;
}

typedef struct un_job {
    un_fn fn;
    char *o;
    const char *a;
    int64_t esz;
} un_job;

static void un_range(void *arg, int64_t begin, int64_t end)
{
    const un_job *j = arg;
    j->fn(j->o + begin * j->esz, j->a + begin * j->esz, end - begin);
}

static tfc_code run_unary(tfci_kctx *k, const un_impl *impl)
{
    const tfc_tensor *x = k->in[0];
    int di = dt_index(x->dtype);
    if (di < 0 || !impl->fn[di])
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported dtype %s", tfc_dtype_name(x->dtype));
    tfc_tensor *out = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!out) return output_failed();
    un_job j = {impl->fn[di], out->data, x->data, (int64_t)tfc_dtype_size(x->dtype)};
    tfci_parallel_for(tfci_kctx_pool(k), x->n, TFCI_ELEMENTWISE_GRAIN, un_range, &j);
    return TFC_OK;
}

#define UNARY_OP(name)                                                                                             \
    static tfc_code s_##name(tfc_op *op) { return shape_unary(op, &impl_##name); }                                \
    static tfc_code k_##name(tfci_kctx *k) { return run_unary(k, &impl_##name); }

UNARY_OP(neg)
UNARY_OP(abs)
UNARY_OP(sign)
UNARY_OP(square)
UNARY_OP(sqrt)
UNARY_OP(rsqrt)
UNARY_OP(exp)
UNARY_OP(log)
UNARY_OP(log1p)
UNARY_OP(logical_not)

/* ======================================================================
 * AddN
 * ====================================================================== */

/* o += a, element-wise */
#define ACC_FN(fname, T, EXPR)                                                                                     \
    static void fname(void *restrict out_, const void *restrict a_, int64_t n)                                    \
    {                                                                                                              \
        T *restrict o = out_;                                                                                      \
        const T *restrict pa = a_;                                                                                 \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            const T x = o[i], y = pa[i];                                                                           \
            o[i] = (T)(EXPR);                                                                                      \
        }                                                                                                          \
    }
ACC_FN(acc_f32, float, x + y)
ACC_FN(acc_f64, double, x + y)
ACC_FN(acc_i32, int32_t, (uint32_t)x + (uint32_t)y)
ACC_FN(acc_i64, int64_t, (uint64_t)x + (uint64_t)y)
static const un_fn acc_fns[DT_COUNT] = {acc_f32, acc_f64, acc_i32, acc_i64, NULL};

#define ADDN_MASK ((1u << DT_F32) | (1u << DT_F64) | (1u << DT_I32) | (1u << DT_I64))

static tfc_code shape_add_n(tfc_op *op)
{
    tfc_code c = check_dtype(op, 0, ADDN_MASK);
    if (c) return c;
    tfci_shape out = *tfci_in_shape(op, 0);
    for (int i = 1; i < op->ninputs; i++) {
        if ((c = tfci_expect_same_dtype(op, 0, i))) return c;
        const tfci_shape *s = tfci_in_shape(op, i);
        if (s->rank < 0) continue;
        bool ok = out.rank < 0 || out.rank == s->rank;
        for (int d = 0; ok && out.rank >= 0 && d < s->rank; d++)
            if (out.dims[d] >= 0 && s->dims[d] >= 0 && out.dims[d] != s->dims[d]) ok = false;
        if (!ok) {
            char a[128], b[128];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "input %d ('%s') has shape %s but the inputs before it have shape %s; AddN needs "
                                 "inputs of one shape",
                                 i, op->inputs[i].op->name, tfci_shape_to_str(s, a, sizeof a),
                                 tfci_shape_to_str(&out, b, sizeof b));
        }
        if (out.rank < 0) out = *s;
        for (int d = 0; d < s->rank; d++)
            if (out.dims[d] < 0) out.dims[d] = s->dims[d];
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

typedef struct add_n_job {
    bin_fn add;
    un_fn acc;
    char *o;
    const tfc_tensor *const *in;
    int nin;
    int64_t esz;
} add_n_job;

/* Cache-sized blocks: each block of the output is summed over all inputs while it is hot. */
static void add_n_range(void *arg, int64_t begin, int64_t end)
{
    const add_n_job *j = arg;
    const int64_t block = 4096;
    for (int64_t b = begin; b < end; b += block) {
        int64_t len = end - b < block ? end - b : block;
        char *o = j->o + b * j->esz;
        j->add(o, (const char *)j->in[0]->data + b * j->esz, (const char *)j->in[1]->data + b * j->esz, len, VV);
        for (int i = 2; i < j->nin; i++) j->acc(o, (const char *)j->in[i]->data + b * j->esz, len);
    }
}

static tfc_code k_add_n(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int di = dt_index(x->dtype);
    if (di < 0 || !((ADDN_MASK >> di) & 1u))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported dtype %s", tfc_dtype_name(x->dtype));
    for (int i = 1; i < k->nin; i++) {
        const tfc_tensor *t = k->in[i];
        bool ok = t->dtype == x->dtype && t->rank == x->rank;
        for (int d = 0; ok && d < x->rank; d++)
            if (t->dims[d] != x->dims[d]) ok = false;
        if (!ok) {
            char a[128], b[128];
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "input %d is %s %s but input 0 is %s %s; AddN needs inputs of one dtype and shape",
                                   i, tfc_dtype_name(t->dtype), tfci_shape_str(t->dims, t->rank, a, sizeof a),
                                   tfc_dtype_name(x->dtype), tfci_shape_str(x->dims, x->rank, b, sizeof b));
        }
    }
    if (k->nin == 1) {
        tfci_kctx_forward(k, 0, 0);
        return TFC_OK;
    }
    tfc_tensor *out = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!out) return output_failed();
    add_n_job j = {impl_add.fn[di], acc_fns[di], out->data, k->in, k->nin, (int64_t)tfc_dtype_size(x->dtype)};
    tfci_parallel_for(tfci_kctx_pool(k), x->n, TFCI_ELEMENTWISE_GRAIN, add_n_range, &j);
    return TFC_OK;
}

/* ======================================================================
 * SelectV2
 * ====================================================================== */

static tfc_code shape_select(tfc_op *op)
{
    tfc_code c = tfci_expect_dtype(op, 0, TFC_BOOL);
    if (!c) c = check_dtype(op, 1, (1u << DT_COUNT) - 1);
    if (!c) c = tfci_expect_same_dtype(op, 1, 2);
    if (c) return c;
    const tfci_shape *s[3] = {tfci_in_shape(op, 0), tfci_in_shape(op, 1), tfci_in_shape(op, 2)};
    tfci_shape out;
    if ((c = bcast_static(op, 3, s, &out))) return c;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 1), &out);
    return TFC_OK;
}

typedef struct sel_job {
    void *o;
    const uint8_t *c;
    const void *x, *y;
} sel_job;

#define SEL_ROW(fname, T)                                                                                          \
    static void fname(void *arg, int64_t oo, const int64_t *io, const int64_t *st, int64_t len)                    \
    {                                                                                                              \
        const sel_job *j = arg;                                                                                    \
        T *restrict o = (T *)j->o + oo;                                                                            \
        const uint8_t *restrict c = j->c + io[0];                                                                  \
        const T *restrict x = (const T *)j->x + io[1];                                                             \
        const T *restrict y = (const T *)j->y + io[2];                                                             \
        if (st[0] && st[1] && st[2]) {                                                                             \
            for (int64_t i = 0; i < len; i++) { /* both loaded: branch-free, so it vectorizes */                  \
                const T xv = x[i], yv = y[i];                                                                      \
                o[i] = c[i] ? xv : yv;                                                                             \
            }                                                                                                      \
        } else {                                                                                                   \
            const int64_t sc = st[0], sx = st[1], sy = st[2];                                                      \
            for (int64_t i = 0; i < len; i++) o[i] = c[i * sc] ? x[i * sx] : y[i * sy];                            \
        }                                                                                                          \
    }
SEL_ROW(sel_f32, float)
SEL_ROW(sel_f64, double)
SEL_ROW(sel_i32, int32_t)
SEL_ROW(sel_i64, int64_t)
SEL_ROW(sel_b, uint8_t)
static const tfci_bcast_row_fn sel_rows[DT_COUNT] = {sel_f32, sel_f64, sel_i32, sel_i64, sel_b};

static tfc_code k_select(tfci_kctx *k)
{
    const tfc_tensor *cond = k->in[0], *x = k->in[1], *y = k->in[2];
    int di = dt_index(x->dtype);
    if (cond->dtype != TFC_BOOL || x->dtype != y->dtype || di < 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported dtypes %s, %s and %s",
                               tfc_dtype_name(cond->dtype), tfc_dtype_name(x->dtype), tfc_dtype_name(y->dtype));
    tfci_bcast b;
    tfc_code c = tfci_bcast_init(k, &b, k->in, 3);
    if (c) return c;
    tfc_tensor *out = tfci_kctx_output(k, 0, x->dtype, b.out_dims, b.out_rank);
    if (!out) return output_failed();
    sel_job j = {out->data, cond->data, x->data, y->data};
    tfci_bcast_run(tfci_kctx_pool(k), &b, sel_rows[di], &j);
    return TFC_OK;
}

/* ======================================================================
 * _SumToShapeOf (grad, like) and _BroadcastToShapeOf (x, like)
 * ====================================================================== */

/* Whether static shape src can broadcast to static shape dst. */
static bool static_broadcasts_to(const tfci_shape *src, const tfci_shape *dst)
{
    if (src->rank < 0 || dst->rank < 0) return true;
    if (src->rank > dst->rank) return false;
    for (int d = 0; d < src->rank; d++) {
        int64_t s = src->dims[d], t = dst->dims[dst->rank - src->rank + d];
        if (s >= 0 && s != 1 && t >= 0 && s != t) return false;
    }
    return true;
}

static tfc_code shape_sum_to(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (c) return c;
    const tfci_shape *g = tfci_in_shape(op, 0), *like = tfci_in_shape(op, 1);
    if (!static_broadcasts_to(like, g)) {
        char a[128], b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "cannot sum a gradient of shape %s down to shape %s",
                             tfci_shape_to_str(g, a, sizeof a), tfci_shape_to_str(like, b, sizeof b));
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), like);
    return TFC_OK;
}

static tfc_code shape_bcast_to(tfc_op *op)
{
    const tfci_shape *x = tfci_in_shape(op, 0), *like = tfci_in_shape(op, 1);
    tfc_code c = check_dtype(op, 0, (1u << DT_COUNT) - 1);
    if (c) return c;
    if (!static_broadcasts_to(x, like)) {
        char a[128], b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "cannot broadcast shape %s to shape %s",
                             tfci_shape_to_str(x, a, sizeof a), tfci_shape_to_str(like, b, sizeof b));
    }
    tfci_shape out = *like;
    /* an unknown dimension of like facing a known x dimension > 1 must equal it */
    if (x->rank >= 0 && out.rank >= 0)
        for (int d = 0; d < x->rank; d++) {
            int64_t *t = &out.dims[out.rank - x->rank + d];
            if (*t < 0 && x->dims[d] > 1) *t = x->dims[d];
        }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

/* Output 0 is input i's data seen with dims (same element count). */
static void forward_reshaped(tfci_kctx *k, int i, const int64_t *dims, int rank)
{
    tfci_kctx_forward(k, 0, i);
    tfc_tensor *t = &k->out[0];
    t->rank = rank;
    for (int d = 0; d < TFC_MAX_RANK; d++) t->dims[d] = d < rank ? dims[d] : 0;
}

/* Sums with 8 partial accumulators: vectorizes without -ffast-math and is
 * more accurate than one running sum. */
#define SUM_FNS(sfx, T)                                                                                            \
    static T sum_##sfx(const T *restrict g, int64_t n)                                                             \
    {                                                                                                              \
        T acc[8] = {0};                                                                                            \
        int64_t i = 0;                                                                                             \
        for (; i + 8 <= n; i += 8)                                                                                 \
            for (int l = 0; l < 8; l++) acc[l] += g[i + l];                                                        \
        T s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));                   \
        for (; i < n; i++) s += g[i];                                                                              \
        return s;                                                                                                  \
    }                                                                                                              \
    static void acc_row_##sfx(T *restrict o, const T *restrict g, int64_t n)                                       \
    {                                                                                                              \
        for (int64_t i = 0; i < n; i++) o[i] += g[i];                                                              \
    }                                                                                                              \
    /* run of the walk over grad's space; input 1 is the output (like) */                                          \
    static void sum_to_row_##sfx(void *arg, int64_t go, const int64_t *io, const int64_t *st, int64_t len)         \
    {                                                                                                              \
        const sum_to_job *j = arg;                                                                                 \
        const T *g = (const T *)j->g + go;                                                                         \
        T *o = (T *)j->o + io[1];                                                                                  \
        if (st[1]) acc_row_##sfx(o, g, len);                                                                       \
        else o[0] += sum_##sfx(g, len);                                                                            \
    }                                                                                                              \
    /* [R,K] summed to [K]: columns [begin,end) over all rows */                                                   \
    static void sum_cols_##sfx(void *arg, int64_t begin, int64_t end)                                              \
    {                                                                                                              \
        const sum_to_job *j = arg;                                                                                 \
        const T *g = j->g;                                                                                         \
        T *o = j->o;                                                                                               \
        for (int64_t r = 0; r < j->rows; r++) acc_row_##sfx(o + begin, g + r * j->cols + begin, end - begin);      \
    }                                                                                                              \
    /* [K,R] summed to [K]: rows [begin,end) */                                                                    \
    static void sum_rows_##sfx(void *arg, int64_t begin, int64_t end)                                              \
    {                                                                                                              \
        const sum_to_job *j = arg;                                                                                 \
        const T *g = j->g;                                                                                         \
        T *o = j->o;                                                                                               \
        for (int64_t r = begin; r < end; r++) o[r] = sum_##sfx(g + r * j->cols, j->cols);                          \
    }

typedef struct sum_to_job {
    const void *g;
    void *o;
    int64_t rows, cols;
} sum_to_job;

SUM_FNS(f32, float)
SUM_FNS(f64, double)

static tfc_code k_sum_to(tfci_kctx *k)
{
    const tfc_tensor *g = k->in[0], *like = k->in[1];
    if (g->dtype != TFC_FLOAT && g->dtype != TFC_DOUBLE)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported dtype %s", tfc_dtype_name(g->dtype));
    if (!broadcasts_to(like->dims, like->rank, g->dims, g->rank)) {
        char a[128], b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "cannot sum a gradient of shape %s down to shape %s",
                               tfci_shape_str(g->dims, g->rank, a, sizeof a),
                               tfci_shape_str(like->dims, like->rank, b, sizeof b));
    }
    if (like->n == g->n) { /* only leading or size-1 dimensions differ */
        forward_reshaped(k, 0, like->dims, like->rank);
        return TFC_OK;
    }
    tfc_tensor *out = tfci_kctx_output(k, 0, g->dtype, like->dims, like->rank);
    if (!out) return output_failed();
    memset(out->data, 0, out->bytes);
    if (g->n == 0) return TFC_OK;
    tfci_bcast b;
    const int64_t *dims[2] = {g->dims, like->dims};
    int ranks[2] = {g->rank, like->rank};
    tfc_code c = tfci_bcast_init_dims(&b, 2, dims, ranks);
    if (c) {
        tfci_error_prefix("op '%s' (%s)", k->op->name, k->op->def->name);
        return c;
    }
    bool f32 = g->dtype == TFC_FLOAT;
    sum_to_job j = {g->data, out->data, 0, 0};
    tfci_pool *pool = tfci_kctx_pool(k);
    if (b.rank == 1) { /* like has one element */
        if (f32) *(float *)out->data = sum_f32(g->data, g->n);
        else *(double *)out->data = sum_f64(g->data, g->n);
    } else if (b.rank == 2 && b.strides[1][0] == 0) { /* [R,K] -> [K]: the bias-gradient case */
        j.rows = b.dims[0];
        j.cols = b.dims[1];
        int64_t grain = TFCI_ELEMENTWISE_GRAIN / j.rows;
        tfci_parallel_for(pool, j.cols, grain < 64 ? 64 : grain, f32 ? sum_cols_f32 : sum_cols_f64, &j);
    } else if (b.rank == 2) { /* [K,R] -> [K,1] */
        j.rows = b.dims[0];
        j.cols = b.dims[1];
        int64_t grain = TFCI_ELEMENTWISE_GRAIN / j.cols;
        tfci_parallel_for(pool, j.rows, grain < 1 ? 1 : grain, f32 ? sum_rows_f32 : sum_rows_f64, &j);
    } else { /* several runs add into one output element: one thread */
        tfci_bcast_walk(&b, 0, b.n, f32 ? sum_to_row_f32 : sum_to_row_f64, &j);
    }
    return TFC_OK;
}

typedef struct copy_job {
    char *o;
    const char *x;
    size_t esz;
} copy_job;

static void copy_row(void *arg, int64_t oo, const int64_t *io, const int64_t *st, int64_t len)
{
    const copy_job *j = arg;
    char *o = j->o + oo * (int64_t)j->esz;
    const char *x = j->x + io[1] * (int64_t)j->esz;
    if (st[1]) {
        memcpy(o, x, (size_t)len * j->esz);
        return;
    }
    switch (j->esz) { /* constant sizes so the copies compile to plain moves */
    case 1: memset(o, *x, (size_t)len); break;
    case 4:
        for (int64_t i = 0; i < len; i++) memcpy(o + 4 * i, x, 4);
        break;
    default:
        for (int64_t i = 0; i < len; i++) memcpy(o + 8 * i, x, 8);
        break;
    }
}

static tfc_code k_bcast_to(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0], *like = k->in[1];
    if (!broadcasts_to(x->dims, x->rank, like->dims, like->rank)) {
        char a[128], b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "cannot broadcast shape %s to shape %s",
                               tfci_shape_str(x->dims, x->rank, a, sizeof a),
                               tfci_shape_str(like->dims, like->rank, b, sizeof b));
    }
    if (x->n == like->n) {
        forward_reshaped(k, 0, like->dims, like->rank);
        return TFC_OK;
    }
    tfc_tensor *out = tfci_kctx_output(k, 0, x->dtype, like->dims, like->rank);
    if (!out) return output_failed();
    tfci_bcast b;
    const int64_t *dims[2] = {like->dims, x->dims};
    int ranks[2] = {like->rank, x->rank};
    tfc_code c = tfci_bcast_init_dims(&b, 2, dims, ranks);
    if (c) {
        tfci_error_prefix("op '%s' (%s)", k->op->name, k->op->def->name);
        return c;
    }
    copy_job j = {out->data, x->data, tfc_dtype_size(x->dtype)};
    tfci_bcast_run(tfci_kctx_pool(k), &b, copy_row, &j);
    return TFC_OK;
}

/* ======================================================================
 * Gradients (TensorFlow's math_grad.py)
 * ====================================================================== */

bool tfci_input_not_broadcast(const tfc_op *op, int i)
{
    const tfci_shape *x = tfci_in_shape(op, i);
    if (x->rank < 0) return false;
    for (int j = 0; j < op->ninputs; j++) {
        const tfci_shape *o = tfci_in_shape(op, j);
        if (j != i && (o->rank < 0 || o->rank > x->rank)) return false;
    }
    for (int d = 0; d < x->rank; d++) {
        int64_t xd = x->dims[d];
        if (xd > 1) continue; /* the output has this size here too */
        for (int j = 0; j < op->ninputs; j++) {
            if (j == i) continue;
            const tfci_shape *o = tfci_in_shape(op, j);
            int pos = d - (x->rank - o->rank);
            if (pos < 0) continue;
            int64_t od = o->dims[pos];
            /* x of size 1 (or unknown, possibly 1) meets a dimension that may be larger */
            if (xd != 0 && od != 1) return false;
        }
    }
    return true;
}

tfc_output tfci_sum_to_shape_of(tfc_graph *g, tfc_output grad, tfc_output like)
{
    return tfci_binary(g, "_SumToShapeOf", "SumToShapeOf", grad, like);
}

tfc_output tfci_broadcast_to_shape_of(tfc_graph *g, tfc_output x, tfc_output like)
{
    return tfci_binary(g, "_BroadcastToShapeOf", "BroadcastToShapeOf", x, like);
}

tfc_output tfci_sum_grad_to_input(tfc_graph *g, const tfc_op *op, int i, tfc_output grad)
{
    if (tfci_input_not_broadcast(op, i)) return grad;
    return tfci_sum_to_shape_of(g, grad, op->inputs[i]);
}

/* A scalar constant of the op's input-0 dtype (broadcasts against anything). */
static tfc_output scalar(tfci_grad_ctx *gc, double v)
{
    return tfci_const_scalar(gc->g, tfci_in_dtype(gc->op, 0), v, NULL);
}

#define IN(i) (gc->op->inputs[(i)])
#define OUT ((tfc_output){gc->op, 0})
#define DY (gc->dy[0])
#define TO_INPUT(i, t) tfci_sum_grad_to_input(gc->g, gc->op, (i), (t))

static tfc_code g_add(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = TO_INPUT(0, DY);
    gc->dx[1].dense = TO_INPUT(1, DY);
    return TFC_OK;
}

static tfc_code g_sub(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = TO_INPUT(0, DY);
    gc->dx[1].dense = tfc_neg(gc->g, TO_INPUT(1, DY), NULL);
    return TFC_OK;
}

static tfc_code g_mul(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    gc->dx[0].dense = TO_INPUT(0, tfc_mul(g, DY, IN(1), NULL));
    gc->dx[1].dense = TO_INPUT(1, tfc_mul(g, IN(0), DY, NULL));
    return TFC_OK;
}

static tfc_code g_div(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output x = IN(0), y = IN(1);
    gc->dx[0].dense = TO_INPUT(0, tfc_div(g, DY, y, NULL));
    tfc_output q = tfc_div(g, tfc_div(g, tfc_neg(g, x, NULL), y, NULL), y, NULL);
    gc->dx[1].dense = TO_INPUT(1, tfc_mul(g, DY, q, NULL));
    return TFC_OK;
}

static tfc_code g_pow(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output x = IN(0), y = IN(1);
    tfc_output dz_dx = tfc_mul(g, y, tfc_pow(g, x, tfc_sub(g, y, scalar(gc, 1), NULL), NULL), NULL);
    gc->dx[0].dense = TO_INPUT(0, tfc_mul(g, DY, dz_dx, NULL));
    /* log(x) where x > 0, else 0 (log(1)): keeps the unused branch finite */
    tfc_output safe_x = tfc_select(g, tfc_greater(g, x, scalar(gc, 0), NULL), x, scalar(gc, 1), NULL);
    tfc_output dz_dy = tfc_mul(g, OUT, tfc_log(g, safe_x, NULL), NULL);
    gc->dx[1].dense = TO_INPUT(1, tfc_mul(g, DY, dz_dy, NULL));
    return TFC_OK;
}

/* Maximum/Minimum: dy goes to x where x wins (ties to x), else to y. */
static tfc_code route_by_mask(tfci_grad_ctx *gc, tfc_output x_wins)
{
    tfc_graph *g = gc->g;
    tfc_output zero = scalar(gc, 0);
    gc->dx[0].dense = TO_INPUT(0, tfc_select(g, x_wins, DY, zero, NULL));
    gc->dx[1].dense = TO_INPUT(1, tfc_select(g, x_wins, zero, DY, NULL));
    return TFC_OK;
}
static tfc_code g_maximum(tfci_grad_ctx *gc) { return route_by_mask(gc, tfc_greater_equal(gc->g, IN(0), IN(1), NULL)); }
static tfc_code g_minimum(tfci_grad_ctx *gc) { return route_by_mask(gc, tfc_less_equal(gc->g, IN(0), IN(1), NULL)); }

static tfc_code g_sqdiff(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output d = tfc_mul(g, tfc_mul(g, DY, scalar(gc, 2), NULL), tfc_sub(g, IN(0), IN(1), NULL), NULL);
    gc->dx[0].dense = TO_INPUT(0, d);
    gc->dx[1].dense = tfc_neg(g, TO_INPUT(1, d), NULL);
    return TFC_OK;
}

static tfc_code g_select(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output zero = tfci_const_scalar(g, tfci_in_dtype(gc->op, 1), 0, NULL);
    gc->dx[1].dense = TO_INPUT(1, tfc_select(g, IN(0), DY, zero, NULL));
    gc->dx[2].dense = TO_INPUT(2, tfc_select(g, IN(0), zero, DY, NULL));
    return TFC_OK;
}

static tfc_code g_add_n(tfci_grad_ctx *gc)
{
    for (int i = 0; i < gc->op->ninputs; i++) gc->dx[i].dense = DY;
    return TFC_OK;
}

static tfc_code g_neg(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfc_neg(gc->g, DY, NULL);
    return TFC_OK;
}

static tfc_code g_abs(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfc_mul(gc->g, DY, tfc_sign(gc->g, IN(0), NULL), NULL);
    return TFC_OK;
}

static tfc_code g_sign(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfc_zeros_like(gc->g, IN(0), NULL);
    return TFC_OK;
}

static tfc_code g_square(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    gc->dx[0].dense = tfc_mul(g, DY, tfc_mul(g, IN(0), scalar(gc, 2), NULL), NULL);
    return TFC_OK;
}

static tfc_code g_sqrt(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    gc->dx[0].dense = tfc_div(g, tfc_mul(g, DY, scalar(gc, 0.5), NULL), OUT, NULL);
    return TFC_OK;
}

static tfc_code g_rsqrt(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output y3 = tfc_mul(g, OUT, tfc_square(g, OUT, NULL), NULL);
    gc->dx[0].dense = tfc_mul(g, DY, tfc_mul(g, y3, scalar(gc, -0.5), NULL), NULL);
    return TFC_OK;
}

static tfc_code g_exp(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfc_mul(gc->g, DY, OUT, NULL);
    return TFC_OK;
}

static tfc_code g_log(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfc_div(gc->g, DY, IN(0), NULL);
    return TFC_OK;
}

static tfc_code g_log1p(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    gc->dx[0].dense = tfc_div(g, DY, tfc_add(g, IN(0), scalar(gc, 1), NULL), NULL);
    return TFC_OK;
}

static tfc_code g_sum_to(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfci_broadcast_to_shape_of(gc->g, DY, IN(0));
    return TFC_OK;
}

static tfc_code g_bcast_to(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfci_sum_to_shape_of(gc->g, DY, IN(0));
    return TFC_OK;
}

#undef IN
#undef OUT
#undef DY
#undef TO_INPUT

/* ======================================================================
 * Op table
 * ====================================================================== */

#define ND TFCI_OP_NOT_DIFFERENTIABLE
const tfci_op_def tfci_math_ops[] = {
    {"Add", 2, 2, s_add, k_add, g_add, 0},
    {"Sub", 2, 2, s_sub, k_sub, g_sub, 0},
    {"Mul", 2, 2, s_mul, k_mul, g_mul, 0},
    {"Div", 2, 2, s_div, k_div, g_div, 0},
    {"Pow", 2, 2, s_pow, k_pow, g_pow, 0},
    {"Maximum", 2, 2, s_maximum, k_maximum, g_maximum, 0},
    {"Minimum", 2, 2, s_minimum, k_minimum, g_minimum, 0},
    {"SquaredDifference", 2, 2, s_sqdiff, k_sqdiff, g_sqdiff, 0},
    {"Neg", 1, 1, s_neg, k_neg, g_neg, 0},
    {"Abs", 1, 1, s_abs, k_abs, g_abs, 0},
    {"Sign", 1, 1, s_sign, k_sign, g_sign, 0},
    {"Square", 1, 1, s_square, k_square, g_square, 0},
    {"Sqrt", 1, 1, s_sqrt, k_sqrt, g_sqrt, 0},
    {"Rsqrt", 1, 1, s_rsqrt, k_rsqrt, g_rsqrt, 0},
    {"Exp", 1, 1, s_exp, k_exp, g_exp, 0},
    {"Log", 1, 1, s_log, k_log, g_log, 0},
    {"Log1p", 1, 1, s_log1p, k_log1p, g_log1p, 0},
    {"AddN", 1, -1, shape_add_n, k_add_n, g_add_n, 0},
    {"Equal", 2, 2, s_equal, k_equal, NULL, ND},
    {"NotEqual", 2, 2, s_not_equal, k_not_equal, NULL, ND},
    {"Less", 2, 2, s_less, k_less, NULL, ND},
    {"LessEqual", 2, 2, s_less_equal, k_less_equal, NULL, ND},
    {"Greater", 2, 2, s_greater, k_greater, NULL, ND},
    {"GreaterEqual", 2, 2, s_greater_equal, k_greater_equal, NULL, ND},
    {"LogicalAnd", 2, 2, s_logical_and, k_logical_and, NULL, ND},
    {"LogicalOr", 2, 2, s_logical_or, k_logical_or, NULL, ND},
    {"LogicalNot", 1, 1, s_logical_not, k_logical_not, NULL, ND},
    {"SelectV2", 3, 3, shape_select, k_select, g_select, 0},
    {"_SumToShapeOf", 2, 2, shape_sum_to, k_sum_to, g_sum_to, 0},
    {"_BroadcastToShapeOf", 2, 2, shape_bcast_to, k_bcast_to, g_bcast_to, 0},
};
#undef ND
const int tfci_math_ops_count = sizeof tfci_math_ops / sizeof tfci_math_ops[0];

/* ======================================================================
 * Typed constructors
 * ====================================================================== */

TFC_API tfc_output tfc_add(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Add", name, x, y);
}
TFC_API tfc_output tfc_sub(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Sub", name, x, y);
}
TFC_API tfc_output tfc_mul(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Mul", name, x, y);
}
TFC_API tfc_output tfc_div(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Div", name, x, y);
}
TFC_API tfc_output tfc_pow(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Pow", name, x, y);
}
TFC_API tfc_output tfc_maximum(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Maximum", name, x, y);
}
TFC_API tfc_output tfc_minimum(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Minimum", name, x, y);
}
TFC_API tfc_output tfc_squared_difference(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "SquaredDifference", name, x, y);
}

TFC_API tfc_output tfc_neg(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Neg", name, x); }
TFC_API tfc_output tfc_abs(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Abs", name, x); }
TFC_API tfc_output tfc_sign(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Sign", name, x); }
TFC_API tfc_output tfc_square(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "Square", name, x);
}
TFC_API tfc_output tfc_sqrt(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Sqrt", name, x); }
TFC_API tfc_output tfc_rsqrt(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "Rsqrt", name, x);
}
TFC_API tfc_output tfc_exp(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Exp", name, x); }
TFC_API tfc_output tfc_log(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Log", name, x); }
TFC_API tfc_output tfc_log1p(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "Log1p", name, x);
}

TFC_API tfc_output tfc_add_n(tfc_graph *g, const tfc_output *xs, int n, const char *name)
{
    if (!g) {
        tfci_error(TFC_INVALID_ARGUMENT, "AddN: graph is NULL");
        return TFCI_NO_OUTPUT;
    }
    if (g->status) return TFCI_NO_OUTPUT;
    if (n < 1 || !xs) {
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, "op '%s' (AddN): needs at least one input, got %d",
                                      name ? name : "AddN", xs ? n : 0));
        return TFCI_NO_OUTPUT;
    }
    tfc_op_builder *b = tfci_builder(g, "AddN", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_inputs(b, xs, n);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Equal", name, x, y);
}
TFC_API tfc_output tfc_not_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "NotEqual", name, x, y);
}
TFC_API tfc_output tfc_less(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Less", name, x, y);
}
TFC_API tfc_output tfc_less_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "LessEqual", name, x, y);
}
TFC_API tfc_output tfc_greater(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "Greater", name, x, y);
}
TFC_API tfc_output tfc_greater_equal(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "GreaterEqual", name, x, y);
}
TFC_API tfc_output tfc_logical_and(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "LogicalAnd", name, x, y);
}
TFC_API tfc_output tfc_logical_or(tfc_graph *g, tfc_output x, tfc_output y, const char *name)
{
    return tfci_binary(g, "LogicalOr", name, x, y);
}
TFC_API tfc_output tfc_logical_not(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "LogicalNot", name, x);
}

TFC_API tfc_output tfc_select(tfc_graph *g, tfc_output cond, tfc_output x, tfc_output y, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "SelectV2", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, cond);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, y);
    return tfci_finish(g, b);
}
