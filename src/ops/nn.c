/* Op family 'nn': MatMul, BiasAdd, activations, Softmax/LogSoftmax and
 * Dropout, with the internal gradient ops their gradients use (ReluGrad,
 * SigmoidGrad, SoftmaxGrad, ... as TensorFlow's nn_grad.py does). */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "registry.h"
#include "skinny_gemm.h"
#include "small_gemm.h"

/* Element-wise loops shorter than this stay on the calling thread. */
#define EW_GRAIN 16384
/* Transcendental loops cost more per element, so they split earlier. */
#define EW_GRAIN_HEAVY 4096


/* ---- shape helpers ---- */

/* The more specific of two static shapes that must describe the same tensor. */
static tfc_code merge_shapes(const tfc_op *op, const tfci_shape *a, const tfci_shape *b, tfci_shape *out)
{
    if (a->rank < 0 || b->rank < 0) {
        *out = a->rank < 0 ? *b : *a;
        return TFC_OK;
    }
    bool ok = a->rank == b->rank;
    tfci_shape s = *a;
    for (int i = 0; ok && i < a->rank; i++) {
        if (a->dims[i] >= 0 && b->dims[i] >= 0 && a->dims[i] != b->dims[i]) ok = false;
        if (s.dims[i] < 0) s.dims[i] = b->dims[i];
    }
    if (!ok) {
        char sa[128], sb[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "inputs must have the same shape, got %s and %s",
                             tfci_shape_to_str(a, sa, sizeof sa), tfci_shape_to_str(b, sb, sizeof sb));
    }
    *out = s;
    return TFC_OK;
}

static bool same_dims(const tfc_tensor *a, const tfc_tensor *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

/* ---- shape functions ---- */

static tfc_code shape_matmul(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    bool ta = false, tb = false;
    if (!c) c = tfci_attr_opt_bool(op, "transpose_a", false, &ta);
    if (!c) c = tfci_attr_opt_bool(op, "transpose_b", false, &tb);
    if (c) return c;
    const tfci_shape *a = tfci_in_shape(op, 0), *b = tfci_in_shape(op, 1);
    char sa[128], sb[128];
    for (int i = 0; i < 2; i++) {
        const tfci_shape *s = i ? b : a;
        if (s->rank >= 0 && s->rank != 2)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d ('%s') must be a matrix (rank 2), got shape %s", i,
                                 op->inputs[i].op->name, tfci_shape_to_str(s, sa, sizeof sa));
    }
    int64_t m = a->rank == 2 ? a->dims[ta ? 1 : 0] : -1, ka = a->rank == 2 ? a->dims[ta ? 0 : 1] : -1;
    int64_t kb = b->rank == 2 ? b->dims[tb ? 1 : 0] : -1, n = b->rank == 2 ? b->dims[tb ? 0 : 1] : -1;
    if (ka >= 0 && kb >= 0 && ka != kb)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "inner dimensions do not match: a %s%s has %lld columns, b %s%s has %lld rows",
                             tfci_shape_to_str(a, sa, sizeof sa), ta ? " (transposed)" : "", (long long)ka,
                             tfci_shape_to_str(b, sb, sizeof sb), tb ? " (transposed)" : "", (long long)kb);
    /* the kernel reads these instead of looking attributes up on every run */
    op->ci[0] = ta;
    op->ci[1] = tb;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    int64_t dims[2] = {m, n};
    tfci_shape s = tfci_shape_make(dims, 2);
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &s);
    return TFC_OK;
}

static tfc_code check_data_format(const tfc_op *op)
{
    const tfci_attr *a = tfci_attr_find(op, "data_format");
    if (a && (a->kind != TFCI_ATTR_STRING || strcmp(a->u.s, "NHWC") != 0))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'data_format' must be \"NHWC\" (channels last)");
    return TFC_OK;
}

static tfc_code shape_bias_add(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    if (!c) c = check_data_format(op);
    if (c) return c;
    const tfci_shape *v = tfci_in_shape(op, 0), *b = tfci_in_shape(op, 1);
    char sv[128], sb[128];
    if (v->rank == 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "value must have rank >= 1, got a scalar");
    if (b->rank >= 0 && b->rank != 1)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "bias must be a vector (rank 1), got shape %s",
                             tfci_shape_to_str(b, sb, sizeof sb));
    tfci_shape out = *v;
    if (v->rank > 0 && b->rank == 1) {
        int64_t cv = v->dims[v->rank - 1], cb = b->dims[0];
        if (cv >= 0 && cb >= 0 && cv != cb)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "bias size %lld does not match the last dimension of value %s (%lld)", (long long)cb,
                                 tfci_shape_to_str(v, sv, sizeof sv), (long long)cv);
        if (cv < 0) out.dims[v->rank - 1] = cb;
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

static tfc_code shape_bias_add_grad(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = check_data_format(op);
    if (c) return c;
    const tfci_shape *v = tfci_in_shape(op, 0);
    if (v->rank == 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "out_backprop must have rank >= 1, got a scalar");
    int64_t cdim = v->rank > 0 ? v->dims[v->rank - 1] : -1;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_shape s = tfci_shape_make(&cdim, 1);
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &s);
    return TFC_OK;
}

/* Activations: float in, same dtype and shape out. Softmax-like ones also need rank >= 1. */
static tfc_code shape_unary(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (c) return c;
    const char *t = op->def->name;
    if (strcmp(t, "LeakyRelu") == 0) {
        float alpha;
        if ((c = tfci_attr_opt_float(op, "alpha", 0.2f, &alpha))) return c;
        op->cf[0] = alpha;
    }
    if ((strcmp(t, "Softmax") == 0 || strcmp(t, "LogSoftmax") == 0) && tfci_in_shape(op, 0)->rank == 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "logits must have rank >= 1, got a scalar");
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
    return TFC_OK;
}

/* Gradient ops of two same-shaped float inputs (ReluGrad(dy, x), SigmoidGrad(y, dy), ...). */
static tfc_code shape_binary_same(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    if (c) return c;
    if (strcmp(op->def->name, "LeakyReluGrad") == 0) {
        float alpha;
        if ((c = tfci_attr_opt_float(op, "alpha", 0.2f, &alpha))) return c;
        op->cf[0] = alpha;
    }
    tfci_shape s;
    if ((c = merge_shapes(op, tfci_in_shape(op, 0), tfci_in_shape(op, 1), &s))) return c;
    if ((strcmp(op->def->name, "SoftmaxGrad") == 0 || strcmp(op->def->name, "LogSoftmaxGrad") == 0) && s.rank == 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "inputs must have rank >= 1, got scalars");
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &s);
    return TFC_OK;
}

static tfc_code shape_dropout(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    float rate;
    int64_t seed, seed2;
    if (!c && !tfci_attr_find(op, "rate"))
        c = tfci_op_error(op, TFC_INVALID_ARGUMENT, "missing attribute 'rate' (a float in [0, 1))");
    if (!c) c = tfci_attr_opt_float(op, "rate", 0, &rate);
    if (!c) c = tfci_attr_opt_int(op, "seed", 0, &seed);
    if (!c) c = tfci_attr_opt_int(op, "seed2", 0, &seed2);
    if (c) return c;
    if (!(rate >= 0.0f && rate < 1.0f))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "rate must be in [0, 1), got %g", (double)rate);
    op->cf[0] = rate;
    op->seed_key = tfci_op_seed_key(op, seed, seed2);
    /* output 1 is the per-element scale (0 or 1/(1-rate)) the gradient reuses */
    if ((c = tfci_op_set_num_outputs(op, 2))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
    tfci_op_set_output(op, 1, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
    return TFC_OK;
}

/* ---- fast float32 math ---- */

static inline uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Float32 selects decided by integer compares on the bits: under the default
 * -ftrapping-math GCC will not if-convert float compares, so loops with them
 * do not vectorize; integer compares and bit blends do. */
static inline int32_t fbits(float x) { return (int32_t)f2u(x); }
static inline bool fnan(float x) { return (f2u(x) & 0x7fffffffu) > 0x7f800000u; }
static inline float fsel(bool c, float a, float b)
{
    uint32_t m = 0u - (uint32_t)c;
    return u2f((f2u(a) & m) | (f2u(b) & ~m));
}

/* exp(x) in float32 without branches or libm calls, so loops over it
 * vectorize (glibc's expf does not without -ffast-math). Cephes' polynomial,
 * about 2 ulp, gradual underflow to exact 0 below -104; saturates at
 * FLT_MAX above ln(FLT_MAX); NaN propagates. */
static inline float fast_expf(float x)
{
    uint32_t u = f2u(x);
    float xc = fsel(u > 0xC2D00000u, -104.0f, x);                      /* x < -104, -inf */
    xc = fsel((int32_t)u > (int32_t)0x42B17217, 88.7228317f, xc);     /* x > ln(FLT_MAX), +inf */
    /* round(x / ln2) with the 1.5 * 2^23 trick: the low mantissa bits of kf hold it */
    float kf = xc * 1.44269504088896341f + 12582912.0f;
    float n = kf - 12582912.0f;
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    p = p * r2 + r + 1.0f;
    /* 2^n in two factors so n down to -150 (denormals) and up to 128 both work */
    int32_t ni = (int32_t)(f2u(kf) - 0x4B400000u);
    int32_t n1 = ni >> 1, n2 = ni - n1;
    float y = p * u2f((uint32_t)(n1 + 127) << 23) * u2f((uint32_t)(n2 + 127) << 23);
    return fsel(fnan(x), x, y);
}

/* Largest element; NaN wins. Compares order-preserving integer keys so it vectorizes. */
static inline int32_t fkey(float x)
{
    int32_t b = fbits(x);
    return b ^ ((b >> 31) & 0x7fffffff);
}
static inline float max_f32(const float *x, int64_t n)
{
    int32_t acc[16];
    for (int j = 0; j < 16; j++) acc[j] = fkey(x[0]);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) {
            int32_t kk = fkey(x[i + j]);
            acc[j] = kk > acc[j] ? kk : acc[j];
        }
    int32_t m = acc[0];
    for (int j = 1; j < 16; j++) m = acc[j] > m ? acc[j] : m;
    for (; i < n; i++) {
        int32_t kk = fkey(x[i]);
        m = kk > m ? kk : m;
    }
    return u2f((uint32_t)(m ^ ((m >> 31) & 0x7fffffff)));
}

/* Sum with several accumulators: vectorizes without -ffast-math. */
static inline float sum_f32(const float *x, int64_t n)
{
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += x[i + j];
    float s = 0;
    for (; i < n; i++) s += x[i];
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}
static inline float dot_f32(const float *restrict a, const float *restrict b, int64_t n)
{
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += a[i + j] * b[i + j];
    float s = 0;
    for (; i < n; i++) s += a[i] * b[i];
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}
static inline double sum_f64(const double *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}
static inline double dot_f64(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ---- element-wise loops ---- */

/* y = f(a[, b]) over n elements; p holds the op's stashed float attributes. */
typedef void (*ew_fn)(void *y, const void *a, const void *b, int64_t n, const double *p);

#define EW1(name, T, expr)                                                                                         \
    static void name(void *yv, const void *av, const void *bv, int64_t n, const double *p)                       \
    {                                                                                                              \
        T *restrict y = yv;                                                                                        \
        const T *restrict a = av;                                                                                  \
        (void)bv;                                                                                                  \
        (void)p;                                                                                                   \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            T x = a[i];                                                                                            \
            y[i] = (expr);                                                                                         \
        }                                                                                                          \
    }
#define EW2(name, T, expr)                                                                                         \
    static void name(void *yv, const void *av, const void *bv, int64_t n, const double *p)                       \
    {                                                                                                              \
        T *restrict y = yv;                                                                                        \
        const T *restrict a = av;                                                                                  \
        const T *restrict b = bv;                                                                                  \
        (void)p;                                                                                                   \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            T u = a[i], v = b[i];                                                                                  \
            y[i] = (expr);                                                                                         \
        }                                                                                                          \
    }

static inline float sigmoid_f32(float x)
{
    float e = fast_expf(-fabsf(x)); /* never overflows */
    float s = 1.0f / (1.0f + e);
    return s * fsel(fbits(x) >= 0, 1.0f, e);
}
static inline double sigmoid_f64(double x)
{
    double e = exp(-fabs(x));
    double s = 1.0 / (1.0 + e);
    return x >= 0.0 ? s : e * s;
}
/* tanh via exp(2|x|); a Taylor series near 0 keeps the relative error small there. */
static inline float tanh_f32(float x)
{
    float ax = fabsf(x);
    float e = fast_expf(2.0f * fsel(fbits(ax) > fbits(9.0f), 9.0f, ax));
    float big = 1.0f - 2.0f / (e + 1.0f);
    float t = ax * ax;
    float small = ax + ax * t * (-0.333333333f + t * (0.133333333f + t * (-0.0539682540f +
                                                                          t * (0.0218694885f - t * 0.00886323552f))));
    return fsel(fnan(x), x, copysignf(fsel(fbits(ax) < fbits(0.25f), small, big), x));
}
/* e^x - 1: a Taylor series near 0, where e^x - 1 would cancel */
static inline float expm1_f32(float x)
{
    float small =
        x + x * x * (0.5f + x * (0.166666667f + x * (0.0416666667f + x * (0.00833333333f + x * 0.00138888889f))));
    return fsel(fbits(fabsf(x)) < fbits(0.25f), small, fast_expf(x) - 1.0f);
}

EW1(relu_f32, float, x > 0.0f ? x : 0.0f)
EW1(relu_f64, double, x > 0.0 ? x : 0.0)
EW1(relu6_f32, float, x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f)
EW1(relu6_f64, double, x > 0.0 ? (x < 6.0 ? x : 6.0) : 0.0)
EW1(elu_f32, float, fsel(fbits(x) > 0, x, expm1_f32(x)))
EW1(elu_f64, double, x > 0.0 ? x : expm1(x))
EW1(leaky_f32, float, x * fsel(fbits(x) > 0, 1.0f, (float)p[0]))
EW1(leaky_f64, double, x > 0.0 ? x : p[0] * x)
EW1(sigmoid_f32v, float, sigmoid_f32(x))
EW1(sigmoid_f64v, double, sigmoid_f64(x))
EW1(tanh_f32v, float, tanh_f32(x))
EW1(tanh_f64v, double, tanh(x))
/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x */
EW1(softplus_f32, float, (x > 0.0f ? x : 0.0f) + log1pf(fast_expf(-fabsf(x))))
EW1(softplus_f64, double, (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x))))

/* gradient ops: a and b in TensorFlow's input order */
EW2(relu_grad_f32, float, fsel(fbits(v) > 0, u, 0.0f)) /* (dy, y) */
EW2(relu_grad_f64, double, v > 0.0 ? u : 0.0)
EW2(relu6_grad_f32, float, fsel((fbits(v) > 0) & (fbits(v) < fbits(6.0f)), u, 0.0f)) /* (dy, y) */
EW2(relu6_grad_f64, double, (v > 0.0 && v < 6.0) ? u : 0.0)
EW2(elu_grad_f32, float, u * fsel(fbits(v) < 0, v + 1.0f, 1.0f)) /* (dy, y) */
EW2(elu_grad_f64, double, v < 0.0 ? u * (v + 1.0) : u)
EW2(leaky_grad_f32, float, u * fsel(fbits(v) > 0, 1.0f, (float)p[0])) /* (dy, x) */
EW2(leaky_grad_f64, double, v > 0.0 ? u : p[0] * u)
EW2(softplus_grad_f32, float, u * sigmoid_f32(v)) /* (dy, x) */
EW2(softplus_grad_f64, double, u * sigmoid_f64(v))
EW2(sigmoid_grad_f32, float, v * u * (1.0f - u)) /* (y, dy) */
EW2(sigmoid_grad_f64, double, v * u * (1.0 - u))
EW2(tanh_grad_f32, float, v * (1.0f - u * u)) /* (y, dy) */
EW2(tanh_grad_f64, double, v * (1.0 - u * u))

typedef struct ew_job {
    ew_fn fn;
    void *y;
    const void *a, *b;
    size_t es;
    const double *p;
} ew_job;

static void ew_range(void *arg, int64_t begin, int64_t end)
{
    const ew_job *j = arg;
    size_t off = (size_t)begin * j->es;
    j->fn((char *)j->y + off, (const char *)j->a + off, j->b ? (const char *)j->b + off : NULL, end - begin, j->p);
}

static void ew_run(tfci_kctx *k, ew_fn fn, void *y, const void *a, const void *b, int64_t n, size_t es,
                   int64_t grain)
{
    const double *p = k->op->cf;
    if (n < 2 * grain) {
        fn(y, a, b, n, p);
        return;
    }
    ew_job j = {fn, y, a, b, es, p};
    tfci_parallel_for(tfci_kctx_pool(k), n, grain, ew_range, &j);
}

static tfc_code unary_kernel(tfci_kctx *k, ew_fn f32, ew_fn f64, int64_t grain)
{
    const tfc_tensor *x = k->in[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    bool is32 = x->dtype == TFC_FLOAT;
    ew_run(k, is32 ? f32 : f64, y->data, x->data, NULL, x->n, is32 ? 4 : 8, grain);
    return TFC_OK;
}

static tfc_code binary_kernel(tfci_kctx *k, ew_fn f32, ew_fn f64, int64_t grain)
{
    const tfc_tensor *a = k->in[0], *b = k->in[1];
    if (!same_dims(a, b)) {
        char sa[128], sb[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "inputs must have the same shape, got %s and %s",
                               tfci_shape_str(a->dims, a->rank, sa, sizeof sa),
                               tfci_shape_str(b->dims, b->rank, sb, sizeof sb));
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, a->dtype, a->dims, a->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    bool is32 = a->dtype == TFC_FLOAT;
    ew_run(k, is32 ? f32 : f64, y->data, a->data, b->data, a->n, is32 ? 4 : 8, grain);
    return TFC_OK;
}

static tfc_code k_relu(tfci_kctx *k) { return unary_kernel(k, relu_f32, relu_f64, EW_GRAIN); }
static tfc_code k_relu6(tfci_kctx *k) { return unary_kernel(k, relu6_f32, relu6_f64, EW_GRAIN); }
static tfc_code k_elu(tfci_kctx *k) { return unary_kernel(k, elu_f32, elu_f64, EW_GRAIN_HEAVY); }
static tfc_code k_leaky_relu(tfci_kctx *k) { return unary_kernel(k, leaky_f32, leaky_f64, EW_GRAIN); }
static tfc_code k_sigmoid(tfci_kctx *k) { return unary_kernel(k, sigmoid_f32v, sigmoid_f64v, EW_GRAIN_HEAVY); }
static tfc_code k_tanh(tfci_kctx *k) { return unary_kernel(k, tanh_f32v, tanh_f64v, EW_GRAIN_HEAVY); }
static tfc_code k_softplus(tfci_kctx *k) { return unary_kernel(k, softplus_f32, softplus_f64, EW_GRAIN_HEAVY); }
static tfc_code k_relu_grad(tfci_kctx *k) { return binary_kernel(k, relu_grad_f32, relu_grad_f64, EW_GRAIN); }
static tfc_code k_relu6_grad(tfci_kctx *k) { return binary_kernel(k, relu6_grad_f32, relu6_grad_f64, EW_GRAIN); }
static tfc_code k_elu_grad(tfci_kctx *k) { return binary_kernel(k, elu_grad_f32, elu_grad_f64, EW_GRAIN); }
static tfc_code k_leaky_grad(tfci_kctx *k) { return binary_kernel(k, leaky_grad_f32, leaky_grad_f64, EW_GRAIN); }
static tfc_code k_softplus_grad(tfci_kctx *k)
{
    return binary_kernel(k, softplus_grad_f32, softplus_grad_f64, EW_GRAIN_HEAVY);
}
static tfc_code k_sigmoid_grad(tfci_kctx *k) { return binary_kernel(k, sigmoid_grad_f32, sigmoid_grad_f64, EW_GRAIN); }
static tfc_code k_tanh_grad(tfci_kctx *k) { return binary_kernel(k, tanh_grad_f32, tanh_grad_f64, EW_GRAIN); }

/* ---- row-wise kernels (softmax family, bias) ---- */

/* fn over rows [begin, end) of a [rows, c] view; a/b/y point at row 0. */
typedef void (*row_fn)(void *y, const void *a, const void *b, int64_t rows, int64_t c);

typedef struct row_job {
    row_fn fn;
    void *y;
    const void *a, *b;
    int64_t c;
    size_t es;
    bool b_is_row; /* b advances with the rows (else it is one shared vector) */
} row_job;

static void row_range(void *arg, int64_t begin, int64_t end)
{
    const row_job *j = arg;
    size_t off = (size_t)(begin * j->c) * j->es;
    const void *b = j->b && j->b_is_row ? (const char *)j->b + off : j->b;
    j->fn((char *)j->y + off, (const char *)j->a + off, b, end - begin, j->c);
}

static void row_run(tfci_kctx *k, row_fn fn, void *y, const void *a, const void *b, bool b_is_row, int64_t rows,
                    int64_t c, size_t es, int64_t grain)
{
    int64_t grain_rows = c > 0 ? (grain + c - 1) / c : rows;
    if (grain_rows < 1) grain_rows = 1;
    if (rows < 2 * grain_rows) {
        fn(y, a, b, rows, c);
        return;
    }
    row_job j = {fn, y, a, b, c, es, b_is_row};
    tfci_parallel_for(tfci_kctx_pool(k), rows, grain_rows, row_range, &j);
}

static void softmax_rows_f32(void *yv, const void *av, const void *bv, int64_t rows, int64_t c)
{
    (void)bv;
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict x = (const float *)av + r * c;
        float *restrict y = (float *)yv + r * c;
        float mx = max_f32(x, c);
        for (int64_t j = 0; j < c; j++) y[j] = fast_expf(x[j] - mx);
        float inv = 1.0f / sum_f32(y, c);
        for (int64_t j = 0; j < c; j++) y[j] *= inv;
    }
}
static void softmax_rows_f64(void *yv, const void *av, const void *bv, int64_t rows, int64_t c)
{
    (void)bv;
    for (int64_t r = 0; r < rows; r++) {
        const double *x = (const double *)av + r * c;
        double *y = (double *)yv + r * c;
        double mx = x[0];
        for (int64_t j = 1; j < c; j++) mx = x[j] > mx ? x[j] : mx;
        for (int64_t j = 0; j < c; j++) y[j] = exp(x[j] - mx);
        double inv = 1.0 / sum_f64(y, c);
        for (int64_t j = 0; j < c; j++) y[j] *= inv;
    }
}
static void log_softmax_rows_f32(void *yv, const void *av, const void *bv, int64_t rows, int64_t c)
{
    (void)bv;
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict x = (const float *)av + r * c;
        float *restrict y = (float *)yv + r * c;
        float mx = max_f32(x, c);
        for (int64_t j = 0; j < c; j++) y[j] = fast_expf(x[j] - mx);
        /* (x - max) - log(sum): adding max to the log first would lose its digits */
        float lse = logf(sum_f32(y, c));
        for (int64_t j = 0; j < c; j++) y[j] = (x[j] - mx) - lse;
    }
}
static void log_softmax_rows_f64(void *yv, const void *av, const void *bv, int64_t rows, int64_t c)
{
    (void)bv;
    for (int64_t r = 0; r < rows; r++) {
        const double *x = (const double *)av + r * c;
        double *y = (double *)yv + r * c;
        double mx = x[0];
        for (int64_t j = 1; j < c; j++) mx = x[j] > mx ? x[j] : mx;
        for (int64_t j = 0; j < c; j++) y[j] = exp(x[j] - mx);
        double lse = log(sum_f64(y, c));
        for (int64_t j = 0; j < c; j++) y[j] = (x[j] - mx) - lse;
    }
}
/* SoftmaxGrad(y, dy): (dy - sum(dy * y)) * y per row */
static void softmax_grad_rows_f32(void *dxv, const void *yv, const void *dyv, int64_t rows, int64_t c)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict y = (const float *)yv + r * c, *restrict dy = (const float *)dyv + r * c;
        float *restrict dx = (float *)dxv + r * c;
        float s = dot_f32(dy, y, c);
        for (int64_t j = 0; j < c; j++) dx[j] = (dy[j] - s) * y[j];
    }
}
static void softmax_grad_rows_f64(void *dxv, const void *yv, const void *dyv, int64_t rows, int64_t c)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *y = (const double *)yv + r * c, *dy = (const double *)dyv + r * c;
        double *dx = (double *)dxv + r * c;
        double s = dot_f64(dy, y, c);
        for (int64_t j = 0; j < c; j++) dx[j] = (dy[j] - s) * y[j];
    }
}
/* LogSoftmaxGrad(logp, dy): dy - exp(logp) * sum(dy) per row */
static void log_softmax_grad_rows_f32(void *dxv, const void *lv, const void *dyv, int64_t rows, int64_t c)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict l = (const float *)lv + r * c, *restrict dy = (const float *)dyv + r * c;
        float *restrict dx = (float *)dxv + r * c;
        float s = sum_f32(dy, c);
        for (int64_t j = 0; j < c; j++) dx[j] = dy[j] - fast_expf(l[j]) * s;
    }
}
static void log_softmax_grad_rows_f64(void *dxv, const void *lv, const void *dyv, int64_t rows, int64_t c)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *l = (const double *)lv + r * c, *dy = (const double *)dyv + r * c;
        double *dx = (double *)dxv + r * c;
        double s = sum_f64(dy, c);
        for (int64_t j = 0; j < c; j++) dx[j] = dy[j] - exp(l[j]) * s;
    }
}
static void bias_add_rows_f32(void *yv, const void *av, const void *bv, int64_t rows, int64_t c)
{
    const float *restrict bias = bv;
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict x = (const float *)av + r * c;
        float *restrict y = (float *)yv + r * c;
        for (int64_t j = 0; j < c; j++) y[j] = x[j] + bias[j];
    }
}
static void bias_add_rows_f64(void *yv, const void *av, const void *bv, int64_t rows, int64_t c)
{
    const double *restrict bias = bv;
    for (int64_t r = 0; r < rows; r++) {
        const double *restrict x = (const double *)av + r * c;
        double *restrict y = (double *)yv + r * c;
        for (int64_t j = 0; j < c; j++) y[j] = x[j] + bias[j];
    }
}

/* rows x c view of a tensor whose last axis has c elements */
static tfc_code rows_of(tfci_kctx *k, const tfc_tensor *t, int64_t *rows, int64_t *c)
{
    if (t->rank < 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "input must have rank >= 1, got a scalar");
    *c = t->dims[t->rank - 1];
    *rows = *c > 0 ? t->n / *c : 0;
    return TFC_OK;
}

static tfc_code softmax_like(tfci_kctx *k, row_fn f32, row_fn f64)
{
    const tfc_tensor *x = k->in[0];
    int64_t rows = 0, c = 0;
    tfc_code code = rows_of(k, x, &rows, &c);
    if (code) return code;
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (rows == 0) return TFC_OK;
    bool is32 = x->dtype == TFC_FLOAT;
    row_run(k, is32 ? f32 : f64, y->data, x->data, NULL, false, rows, c, is32 ? 4 : 8, EW_GRAIN_HEAVY);
    return TFC_OK;
}
static tfc_code k_softmax(tfci_kctx *k) { return softmax_like(k, softmax_rows_f32, softmax_rows_f64); }
static tfc_code k_log_softmax(tfci_kctx *k) { return softmax_like(k, log_softmax_rows_f32, log_softmax_rows_f64); }

static tfc_code softmax_grad_like(tfci_kctx *k, row_fn f32, row_fn f64)
{
    const tfc_tensor *a = k->in[0], *b = k->in[1];
    if (!same_dims(a, b)) {
        char sa[128], sb[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "inputs must have the same shape, got %s and %s",
                               tfci_shape_str(a->dims, a->rank, sa, sizeof sa),
                               tfci_shape_str(b->dims, b->rank, sb, sizeof sb));
    }
    int64_t rows = 0, c = 0;
    tfc_code code = rows_of(k, a, &rows, &c);
    if (code) return code;
    tfc_tensor *y = tfci_kctx_output(k, 0, a->dtype, a->dims, a->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (rows == 0) return TFC_OK;
    bool is32 = a->dtype == TFC_FLOAT;
    row_run(k, is32 ? f32 : f64, y->data, a->data, b->data, true, rows, c, is32 ? 4 : 8, EW_GRAIN);
    return TFC_OK;
}
static tfc_code k_softmax_grad(tfci_kctx *k)
{
    return softmax_grad_like(k, softmax_grad_rows_f32, softmax_grad_rows_f64);
}
static tfc_code k_log_softmax_grad(tfci_kctx *k)
{
    return softmax_grad_like(k, log_softmax_grad_rows_f32, log_softmax_grad_rows_f64);
}

static tfc_code k_bias_add(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0], *b = k->in[1];
    int64_t rows = 0, c = 0;
    tfc_code code = rows_of(k, x, &rows, &c);
    if (code) return code;
    if (b->rank != 1 || b->dims[0] != c) {
        char sx[128], sb[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                               "bias of shape %s does not match the last dimension of value %s (%lld)",
                               tfci_shape_str(b->dims, b->rank, sb, sizeof sb),
                               tfci_shape_str(x->dims, x->rank, sx, sizeof sx), (long long)c);
    }
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    if (rows == 0) return TFC_OK;
    bool is32 = x->dtype == TFC_FLOAT;
    row_run(k, is32 ? bias_add_rows_f32 : bias_add_rows_f64, y->data, x->data, b->data, false, rows, c, is32 ? 4 : 8,
            EW_GRAIN);
    return TFC_OK;
}

/* BiasAddGrad: column sums. Rows are cut into a fixed number of blocks whose
 * partial sums land in scratch, so the threads never share an accumulator. */
typedef struct colsum_job {
    const void *x;
    void *part; /* [nblocks, c] */
    int64_t rows, c, block;
    bool is32;
} colsum_job;

static void colsum_block(const colsum_job *j, int64_t blk)
{
    int64_t r0 = blk * j->block, r1 = r0 + j->block < j->rows ? r0 + j->block : j->rows;
    int64_t c = j->c;
    if (j->is32) {
        float *restrict acc = (float *)j->part + blk * c;
        const float *x = j->x;
        for (int64_t i = 0; i < c; i++) acc[i] = 0;
        for (int64_t r = r0; r < r1; r++) {
            const float *restrict row = x + r * c;
            for (int64_t i = 0; i < c; i++) acc[i] += row[i];
        }
    } else {
        double *restrict acc = (double *)j->part + blk * c;
        const double *x = j->x;
        for (int64_t i = 0; i < c; i++) acc[i] = 0;
        for (int64_t r = r0; r < r1; r++) {
            const double *restrict row = x + r * c;
            for (int64_t i = 0; i < c; i++) acc[i] += row[i];
        }
    }
}
static void colsum_range(void *arg, int64_t begin, int64_t end)
{
    for (int64_t b = begin; b < end; b++) colsum_block(arg, b);
}

static tfc_code k_bias_add_grad(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    int64_t rows = 0, c = 0;
    tfc_code code = rows_of(k, x, &rows, &c);
    if (code) return code;
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, &c, 1);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    bool is32 = x->dtype == TFC_FLOAT;
    size_t es = is32 ? 4 : 8;
    if (c == 0) return TFC_OK;
    int64_t nblocks = x->n >= 2 * EW_GRAIN ? x->n / EW_GRAIN : 1;
    if (nblocks > 64) nblocks = 64;
    if (nblocks > rows) nblocks = rows > 0 ? rows : 1;
    colsum_job j = {x->data, y->data, rows, c, rows > 0 ? (rows + nblocks - 1) / nblocks : 0, is32};
    if (nblocks == 1) {
        colsum_block(&j, 0);
        return TFC_OK;
    }
    j.part = tfci_kctx_scratch(k, (size_t)(nblocks * c) * es);
    if (!j.part) return TFC_RESOURCE_EXHAUSTED;
    nblocks = (rows + j.block - 1) / j.block;
    tfci_parallel_for(tfci_kctx_pool(k), nblocks, 1, colsum_range, &j);
    if (is32) {
        float *out = y->data;
        const float *part = j.part;
        memcpy(out, part, (size_t)c * es);
        for (int64_t b = 1; b < nblocks; b++)
            for (int64_t i = 0; i < c; i++) out[i] += part[b * c + i];
    } else {
        double *out = y->data;
        const double *part = j.part;
        memcpy(out, part, (size_t)c * es);
        for (int64_t b = 1; b < nblocks; b++)
            for (int64_t i = 0; i < c; i++) out[i] += part[b * c + i];
    }
    return TFC_OK;
}

/* ---- MatMul ---- */

/* Tiny products: a plain loop beats BLAS's call and dispatch overhead
 * (measured: below ~512 multiply-adds, up to 3x faster). */
#define MATMUL_TINY 512

#define TINY_MATMUL(name, T)                                                                                       \
    static void name(const T *A, const T *B, T *restrict C, int64_t m, int64_t n, int64_t K, bool ta, bool tb)    \
    {                                                                                                              \
        int64_t sai = ta ? 1 : K, sak = ta ? m : 1, sbk = tb ? 1 : n, sbj = tb ? K : 1;                           \
        for (int64_t i = 0; i < m; i++)                                                                            \
            for (int64_t j = 0; j < n; j++) {                                                                      \
                T s = 0;                                                                                           \
                for (int64_t kk = 0; kk < K; kk++) s += A[i * sai + kk * sak] * B[kk * sbk + j * sbj];             \
                C[i * n + j] = s;                                                                                  \
            }                                                                                                      \
    }
TINY_MATMUL(tiny_matmul_f32, float)
TINY_MATMUL(tiny_matmul_f64, double)

/* Multiply-adds below which a product is not worth splitting across threads. */
#define GEMM_MIN_WORK (1 << 18)

typedef struct gemm_job {
    bool is32, ta, tb;
    int m, n, k, lda, ldb;
    const void *a, *b;
    void *c;
    bool by_rows;
    int block; /* rows (or columns) of C per work item */
} gemm_job;

/* C[rows or columns b*block .. e*block) by one BLAS call. */
static void gemm_range(void *arg, int64_t b, int64_t e)
{
    const gemm_job *j = arg;
    int lim = j->by_rows ? j->m : j->n;
    int64_t lo64 = b * j->block, hi64 = e * j->block;
    int lo = (int)lo64, hi = hi64 < lim ? (int)hi64 : lim;
    int cnt = hi - lo;
    enum CBLAS_TRANSPOSE tra = j->ta ? CblasTrans : CblasNoTrans, trb = j->tb ? CblasTrans : CblasNoTrans;
    size_t es = j->is32 ? sizeof(float) : sizeof(double);
    const char *a = j->a, *bb = j->b;
    char *c = j->c;
    int m = j->m, n = j->n;
    if (j->by_rows) { /* rows lo..hi of op(a) and of C */
        a += (size_t)lo * (j->ta ? 1 : (size_t)j->lda) * es;
        c += (size_t)lo * (size_t)j->n * es;
        m = cnt;
    } else { /* columns lo..hi of op(b) and of C */
        bb += (size_t)lo * (j->tb ? (size_t)j->ldb : 1) * es;
        c += (size_t)lo * es;
        n = cnt;
    }
    if (j->is32)
        cblas_sgemm(CblasRowMajor, tra, trb, m, n, j->k, 1.0f, (const float *)a, j->lda, (const float *)bb, j->ldb,
                    0.0f, (float *)c, j->n);
    else
        cblas_dgemm(CblasRowMajor, tra, trb, m, n, j->k, 1.0, (const double *)a, j->lda, (const double *)bb, j->ldb,
                    0.0, (double *)c, j->n);
}

/* A single row times a matrix: worth two threads from this many multiply-adds
 * (one example through a 784x256 layer: 7 us alone). */
#define GEMV_MIN_WORK (1 << 17)

typedef struct gemv_job {
    bool is32, tb;
    int n, k, ldb;
    const void *a, *b;
    void *c;
    int block; /* output columns per work item */
} gemv_job;

static void gemv_range(void *arg, int64_t lo_blk, int64_t hi_blk)
{
    const gemv_job *j = arg;
    int64_t lo = lo_blk * j->block, hi = hi_blk * j->block < j->n ? hi_blk * j->block : j->n;
    int cnt = (int)(hi - lo);
    size_t es = j->is32 ? sizeof(float) : sizeof(double);
    /* columns lo..hi of op(b): rows of b when transposed, else a column band */
    const char *b = (const char *)j->b + (size_t)lo * (j->tb ? (size_t)j->ldb : 1) * es;
    char *c = (char *)j->c + (size_t)lo * es;
    enum CBLAS_TRANSPOSE t = j->tb ? CblasNoTrans : CblasTrans;
    int rows = j->tb ? cnt : j->k, cols = j->tb ? j->k : cnt;
    if (j->is32) cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, (const float *)b, j->ldb, j->a, 1, 0.0f, (float *)c, 1);
    else cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, (const double *)b, j->ldb, j->a, 1, 0.0, (double *)c, 1);
}

static tfc_code k_matmul(tfci_kctx *k)
{
    const tfc_tensor *a = k->in[0], *b = k->in[1];
    bool ta = k->op->ci[0], tb = k->op->ci[1];
    char sa[128], sb[128];
    if (a->rank != 2 || b->rank != 2)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "inputs must be matrices (rank 2), got shapes %s and %s",
                               tfci_shape_str(a->dims, a->rank, sa, sizeof sa),
                               tfci_shape_str(b->dims, b->rank, sb, sizeof sb));
    int64_t m = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1];
    int64_t kb = b->dims[tb ? 1 : 0], n = b->dims[tb ? 0 : 1];
    if (K != kb)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                               "inner dimensions do not match: a %s%s has %lld columns, b %s%s has %lld rows",
                               tfci_shape_str(a->dims, 2, sa, sizeof sa), ta ? " (transposed)" : "", (long long)K,
                               tfci_shape_str(b->dims, 2, sb, sizeof sb), tb ? " (transposed)" : "", (long long)kb);
    if (m > INT_MAX || n > INT_MAX || K > INT_MAX)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dimensions above %d are not supported by BLAS", INT_MAX);
    int64_t dims[2] = {m, n};
    tfc_tensor *c = tfci_kctx_output(k, 0, a->dtype, dims, 2);
    if (!c) return TFC_RESOURCE_EXHAUSTED;
    bool is32 = a->dtype == TFC_FLOAT;
    if (m == 0 || n == 0) return TFC_OK;
    if (K == 0) {
        memset(c->data, 0, c->bytes);
        return TFC_OK;
    }
    int im = (int)m, in = (int)n, ik = (int)K;
    int lda = ta ? im : ik, ldb = tb ? ik : in;
    if (m * n <= MATMUL_TINY / K) { /* m * n * K <= MATMUL_TINY without overflow */
        if (is32) tiny_matmul_f32(a->data, b->data, c->data, m, n, K, ta, tb);
        else tiny_matmul_f64(a->data, b->data, c->data, m, n, K, ta, tb);
    } else if (m == 1) {
        /* a row times op(b): gemv is 3-5x faster than gemm here (measured);
         * a big one (one example through a wide layer) is split by columns */
        gemv_job job = {is32, tb, in, ik, ldb, a->data, b->data, c->data, in};
        tfci_pool *pool = tfci_kctx_pool(k);
        if (n * K >= GEMV_MIN_WORK && n >= 16) job.block = (int)(((n + tfci_pool_size(pool) - 1) / tfci_pool_size(pool) + 7) & ~7);
        else pool = NULL;
        tfci_parallel_for(pool, (n + job.block - 1) / job.block, 1, gemv_range, &job);
    } else if (is32 && n <= TFCI_SKINNY_MAX_N) {
        /* few output columns (softmax layers and their gradients): our blocked
         * loops beat OpenBLAS's packing by 3-5x here */
        float *scratch = NULL;
        if (!ta && !tb && !(scratch = tfci_kctx_scratch(k, (size_t)(n * K) * sizeof(float))))
            return TFC_RESOURCE_EXHAUSTED;
        tfci_sgemm_skinny(tfci_kctx_pool(k), ta, tb, m, n, K, a->data, b->data, c->data, scratch);
    } else if (is32 && tfci_sgemm_small_wins(ta, tb, m, n, K)) {
        /* dense layers up to ~1024x1024x512 on AVX-512 CPUs: our register
         * tiles skip OpenBLAS's setup and packing and use the wider vectors,
         * 1.3-2x faster (bench_small_gemm); split across the pool inside */
        size_t need = tfci_sgemm_small_scratch(ta, tb, m, n, K);
        float *scratch = NULL;
        if (need && !(scratch = tfci_kctx_scratch(k, need * sizeof(float)))) return TFC_RESOURCE_EXHAUSTED;
        tfci_sgemm_small(tfci_kctx_pool(k), ta, tb, m, n, K, a->data, b->data, c->data, scratch);
    } else if (n == 1) {
        /* op(a) times a column: a and b's single column/row are contiguous */
        enum CBLAS_TRANSPOSE t = ta ? CblasTrans : CblasNoTrans;
        int rows = ta ? ik : im, cols = ta ? im : ik;
        if (is32) cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, a->data, lda, b->data, 1, 0.0f, c->data, 1);
        else cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, a->data, lda, b->data, 1, 0.0, c->data, 1);
    } else {
        /* OpenBLAS runs single-threaded (see session.c); a big product is split
         * into equal bands of C's rows (or columns), one per thread, rounded to
         * 8 so the BLAS micro-kernels keep full tiles */
        tfci_pool *pool = tfci_kctx_pool(k);
        int64_t parts = m * n * K >= 2 * GEMM_MIN_WORK ? tfci_pool_size(pool) : 1;
        int64_t span = m >= n ? m : n;
        int64_t block = (span + parts - 1) / parts;
        block = (block + 7) & ~(int64_t)7;
        gemm_job job = {is32, ta, tb, im, in, ik, lda, ldb, a->data, b->data, c->data, m >= n, (int)block};
        tfci_parallel_for(parts > 1 ? pool : NULL, (span + block - 1) / block, 1, gemm_range, &job);
    }
    return TFC_OK;
}

/* ---- Dropout ---- */

typedef struct dropout_job {
    const void *x;
    void *y, *mask;
    uint64_t key, threshold;
    double scale;
    bool is32;
} dropout_job;

/* Element i is kept when its 64 random bits reach rate * 2^64: exact, no float compare. */
static void dropout_range(void *arg, int64_t begin, int64_t end)
{
    const dropout_job *j = arg;
    if (j->is32) {
        const float *x = j->x;
        float *restrict y = j->y, *restrict m = j->mask;
        float s = (float)j->scale;
        for (int64_t i = begin; i < end; i++) {
            float keep = tfci_random_bits(j->key, (uint64_t)i) >= j->threshold ? s : 0.0f;
            m[i] = keep;
            y[i] = x[i] * keep;
        }
    } else {
        const double *x = j->x;
        double *restrict y = j->y, *restrict m = j->mask;
        for (int64_t i = begin; i < end; i++) {
            double keep = tfci_random_bits(j->key, (uint64_t)i) >= j->threshold ? j->scale : 0.0;
            m[i] = keep;
            y[i] = x[i] * keep;
        }
    }
}

static tfc_code k_dropout(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, x->dtype, x->dims, x->rank);
    tfc_tensor *mask = y ? tfci_kctx_output(k, 1, x->dtype, x->dims, x->rank) : NULL;
    if (!mask) return TFC_RESOURCE_EXHAUSTED;
    double rate = k->op->cf[0];
    /* rate < 1 is a float, so rate * 2^64 <= 2^64 - 2^40 fits */
    dropout_job j = {x->data, y->data, mask->data, tfci_kctx_random_key(k),
                     (uint64_t)(rate * 18446744073709551616.0), 1.0 / (1.0 - rate), x->dtype == TFC_FLOAT};
    if (x->n < 2 * EW_GRAIN_HEAVY) dropout_range(&j, 0, x->n);
    else tfci_parallel_for(tfci_kctx_pool(k), x->n, EW_GRAIN_HEAVY, dropout_range, &j);
    return TFC_OK;
}

/* ---- gradients (TensorFlow's nn_grad.py / math_grad.py) ---- */

static tfc_output op_in(const tfci_grad_ctx *gc, int i) { return gc->op->inputs[i]; }
static tfc_output op_out(const tfci_grad_ctx *gc, int j) { return (tfc_output){gc->op, j}; }

static tfc_output grad_op2(tfc_graph *g, const char *type, tfc_output a, tfc_output b, const tfc_op *like)
{
    tfc_op_builder *bld = tfci_builder(g, type, NULL);
    if (!bld) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(bld, a);
    tfc_op_builder_add_input(bld, b);
    if (like && strncmp(like->def->name, "LeakyRelu", 9) == 0)
        tfc_op_builder_set_attr_float(bld, "alpha", (float)like->cf[0]);
    return tfci_finish(g, bld);
}

static tfc_code g_matmul(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output a = op_in(gc, 0), b = op_in(gc, 1), dy = gc->dy[0];
    bool ta = gc->op->ci[0], tb = gc->op->ci[1];
    if (!ta && !tb) {
        gc->dx[0].dense = tfc_matmul(g, dy, b, false, true, NULL);
        gc->dx[1].dense = tfc_matmul(g, a, dy, true, false, NULL);
    } else if (!ta && tb) {
        gc->dx[0].dense = tfc_matmul(g, dy, b, false, false, NULL);
        gc->dx[1].dense = tfc_matmul(g, dy, a, true, false, NULL);
    } else if (ta && !tb) {
        gc->dx[0].dense = tfc_matmul(g, b, dy, false, true, NULL);
        gc->dx[1].dense = tfc_matmul(g, a, dy, false, false, NULL);
    } else {
        gc->dx[0].dense = tfc_matmul(g, b, dy, true, true, NULL);
        gc->dx[1].dense = tfc_matmul(g, dy, a, true, true, NULL);
    }
    return tfc_graph_status(g);
}

static tfc_code g_bias_add(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = gc->dy[0];
    gc->dx[1].dense = tfci_unary(gc->g, "BiasAddGrad", NULL, gc->dy[0]);
    return tfc_graph_status(gc->g);
}

/* d BiasAddGrad(dy) / d dy broadcasts the incoming [c] gradient over dy's shape. */
static tfc_code g_bias_add_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    gc->dx[0].dense = tfc_bias_add(g, tfc_zeros_like(g, op_in(gc, 0), NULL), gc->dy[0], NULL);
    return tfc_graph_status(g);
}

static tfc_code g_relu(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "ReluGrad", gc->dy[0], op_out(gc, 0), NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_relu6(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "Relu6Grad", gc->dy[0], op_out(gc, 0), NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_elu(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "EluGrad", gc->dy[0], op_out(gc, 0), NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_leaky_relu(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "LeakyReluGrad", gc->dy[0], op_in(gc, 0), gc->op);
    return tfc_graph_status(gc->g);
}
static tfc_code g_softplus(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "SoftplusGrad", gc->dy[0], op_in(gc, 0), NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_sigmoid(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "SigmoidGrad", op_out(gc, 0), gc->dy[0], NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_tanh(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "TanhGrad", op_out(gc, 0), gc->dy[0], NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_softmax(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "SoftmaxGrad", op_out(gc, 0), gc->dy[0], NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_log_softmax(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, "LogSoftmaxGrad", op_out(gc, 0), gc->dy[0], NULL);
    return tfc_graph_status(gc->g);
}
static tfc_code g_dropout(tfci_grad_ctx *gc)
{
    /* the same run's mask: output 1 holds 0 or 1/(1-rate) per element */
    gc->dx[0].dense = tfc_mul(gc->g, gc->dy[0], op_out(gc, 1), NULL);
    return tfc_graph_status(gc->g);
}

/* Second-order gradients (TensorFlow's _ReluGradGrad, _SigmoidGradGrad, ...).
 * Inputs whose influence is piecewise constant (the features of ReluGrad) get none. */
static tfc_code g_relu_grad(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = grad_op2(gc->g, gc->op->def->name, gc->dy[0], op_in(gc, 1), gc->op);
    return tfc_graph_status(gc->g);
}

static tfc_code g_elu_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output h = gc->dy[0], dy = op_in(gc, 0), y = op_in(gc, 1);
    gc->dx[0].dense = grad_op2(g, "EluGrad", h, y, NULL);
    /* where(y < 0, h * dy, 0), written as ReluGrad(h * dy, -y) */
    gc->dx[1].dense = grad_op2(g, "ReluGrad", tfc_mul(g, h, dy, NULL), tfc_neg(g, y, NULL), NULL);
    return tfc_graph_status(g);
}

static tfc_code g_softplus_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output h = gc->dy[0], dy = op_in(gc, 0), x = op_in(gc, 1);
    gc->dx[0].dense = grad_op2(g, "SoftplusGrad", h, x, NULL);
    /* h * dy * sigmoid'(x) = SigmoidGrad(sigmoid(x), h * dy) */
    gc->dx[1].dense = grad_op2(g, "SigmoidGrad", tfc_sigmoid(g, x, NULL), tfc_mul(g, h, dy, NULL), NULL);
    return tfc_graph_status(g);
}

static tfc_code g_sigmoid_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output h = gc->dy[0], y = op_in(gc, 0), dy = op_in(gc, 1);
    tfc_dtype dt = tfc_output_dtype(y);
    /* d/dy: h * dy * (1 - 2y); d/d(dy): SigmoidGrad(y, h) */
    tfc_output hd = tfc_mul(g, h, dy, NULL);
    tfc_output two_y = tfc_mul(g, y, tfci_const_scalar(g, dt, 2.0, NULL), NULL);
    gc->dx[0].dense = tfc_sub(g, hd, tfc_mul(g, hd, two_y, NULL), NULL);
    gc->dx[1].dense = grad_op2(g, "SigmoidGrad", y, h, NULL);
    return tfc_graph_status(g);
}

static tfc_code g_tanh_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output h = gc->dy[0], y = op_in(gc, 0), dy = op_in(gc, 1);
    tfc_dtype dt = tfc_output_dtype(y);
    /* d/dy: -2 * h * dy * y; d/d(dy): TanhGrad(y, h) */
    tfc_output hd = tfc_mul(g, h, dy, NULL);
    gc->dx[0].dense = tfc_mul(g, tfc_mul(g, hd, y, NULL), tfci_const_scalar(g, dt, -2.0, NULL), NULL);
    gc->dx[1].dense = grad_op2(g, "TanhGrad", y, h, NULL);
    return tfc_graph_status(g);
}

static tfc_code g_softmax_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output h = gc->dy[0], y = op_in(gc, 0), dy = op_in(gc, 1);
    const int64_t last = -1;
    /* dx = y * (dy - s), s = sum(dy * y): d/dy = h * (dy - s) - sum(h * y) * dy; d/d(dy) = SoftmaxGrad(y, h) */
    tfc_output s = tfc_reduce_sum(g, tfc_mul(g, dy, y, NULL), &last, 1, true, NULL);
    tfc_output hy = tfc_reduce_sum(g, tfc_mul(g, h, y, NULL), &last, 1, true, NULL);
    gc->dx[0].dense =
        tfc_sub(g, tfc_mul(g, h, tfc_sub(g, dy, s, NULL), NULL), tfc_mul(g, hy, dy, NULL), NULL);
    gc->dx[1].dense = grad_op2(g, "SoftmaxGrad", y, h, NULL);
    return tfc_graph_status(g);
}

static tfc_code g_log_softmax_grad(tfci_grad_ctx *gc)
{
    tfc_graph *g = gc->g;
    tfc_output h = gc->dy[0], l = op_in(gc, 0), dy = op_in(gc, 1);
    const int64_t last = -1;
    /* dx = dy - p * sum(dy), p = exp(l): d/dl = -sum(dy) * h * p; d/d(dy) = h - sum(h * p) */
    tfc_output p = tfc_exp(g, l, NULL);
    tfc_output hp = tfc_mul(g, h, p, NULL);
    tfc_output sdy = tfc_reduce_sum(g, dy, &last, 1, true, NULL);
    gc->dx[0].dense = tfc_neg(g, tfc_mul(g, sdy, hp, NULL), NULL);
    gc->dx[1].dense = tfc_sub(g, h, tfc_reduce_sum(g, hp, &last, 1, true, NULL), NULL);
    return tfc_graph_status(g);
}

const tfci_op_def tfci_nn_ops[] = {
    {"MatMul", 2, 2, shape_matmul, k_matmul, g_matmul, 0},
    {"BiasAdd", 2, 2, shape_bias_add, k_bias_add, g_bias_add, 0},
    {"BiasAddGrad", 1, 1, shape_bias_add_grad, k_bias_add_grad, g_bias_add_grad, 0},
    {"Relu", 1, 1, shape_unary, k_relu, g_relu, 0},
    {"Relu6", 1, 1, shape_unary, k_relu6, g_relu6, 0},
    {"Elu", 1, 1, shape_unary, k_elu, g_elu, 0},
    {"LeakyRelu", 1, 1, shape_unary, k_leaky_relu, g_leaky_relu, 0},
    {"Softplus", 1, 1, shape_unary, k_softplus, g_softplus, 0},
    {"Sigmoid", 1, 1, shape_unary, k_sigmoid, g_sigmoid, 0},
    {"Tanh", 1, 1, shape_unary, k_tanh, g_tanh, 0},
    {"Softmax", 1, 1, shape_unary, k_softmax, g_softmax, 0},
    {"LogSoftmax", 1, 1, shape_unary, k_log_softmax, g_log_softmax, 0},
    {"Dropout", 1, 1, shape_dropout, k_dropout, g_dropout, TFCI_OP_STATEFUL},
    /* gradient ops, TensorFlow's input order */
    {"ReluGrad", 2, 2, shape_binary_same, k_relu_grad, g_relu_grad, 0},           /* (gradients, features) */
    {"Relu6Grad", 2, 2, shape_binary_same, k_relu6_grad, g_relu_grad, 0},         /* (gradients, features) */
    {"EluGrad", 2, 2, shape_binary_same, k_elu_grad, g_elu_grad, 0},              /* (gradients, outputs) */
    {"LeakyReluGrad", 2, 2, shape_binary_same, k_leaky_grad, g_relu_grad, 0},     /* (gradients, features) */
    {"SoftplusGrad", 2, 2, shape_binary_same, k_softplus_grad, g_softplus_grad, 0}, /* (gradients, features) */
    {"SigmoidGrad", 2, 2, shape_binary_same, k_sigmoid_grad, g_sigmoid_grad, 0},  /* (y, dy) */
    {"TanhGrad", 2, 2, shape_binary_same, k_tanh_grad, g_tanh_grad, 0},           /* (y, dy) */
    /* not TensorFlow ops: its softmax gradients are composites; these fuse them */
    {"SoftmaxGrad", 2, 2, shape_binary_same, k_softmax_grad, g_softmax_grad, 0},         /* (softmax, dy) */
    {"LogSoftmaxGrad", 2, 2, shape_binary_same, k_log_softmax_grad, g_log_softmax_grad, 0}, /* (log_softmax, dy) */
};
const int tfci_nn_ops_count = sizeof tfci_nn_ops / sizeof tfci_nn_ops[0];

/* ---- typed constructors ---- */

TFC_API tfc_output tfc_matmul(tfc_graph *g, tfc_output a, tfc_output b, bool transpose_a, bool transpose_b,
                              const char *name)
{
    tfc_op_builder *bld = tfci_builder(g, "MatMul", name);
    if (!bld) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(bld, a);
    tfc_op_builder_add_input(bld, b);
    tfc_op_builder_set_attr_bool(bld, "transpose_a", transpose_a);
    tfc_op_builder_set_attr_bool(bld, "transpose_b", transpose_b);
    return tfci_finish(g, bld);
}

TFC_API tfc_output tfc_bias_add(tfc_graph *g, tfc_output value, tfc_output bias, const char *name)
{
    return tfci_binary(g, "BiasAdd", name, value, bias);
}

TFC_API tfc_output tfc_sigmoid(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "Sigmoid", name, x);
}

TFC_API tfc_output tfc_tanh(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Tanh", name, x); }

TFC_API tfc_output tfc_relu(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Relu", name, x); }

TFC_API tfc_output tfc_relu6(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Relu6", name, x); }

TFC_API tfc_output tfc_elu(tfc_graph *g, tfc_output x, const char *name) { return tfci_unary(g, "Elu", name, x); }

TFC_API tfc_output tfc_leaky_relu(tfc_graph *g, tfc_output x, float alpha, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "LeakyRelu", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_float(b, "alpha", alpha);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_softplus(tfc_graph *g, tfc_output x, const char *name)
{
    return tfci_unary(g, "Softplus", name, x);
}

TFC_API tfc_output tfc_softmax(tfc_graph *g, tfc_output logits, const char *name)
{
    return tfci_unary(g, "Softmax", name, logits);
}

TFC_API tfc_output tfc_log_softmax(tfc_graph *g, tfc_output logits, const char *name)
{
    return tfci_unary(g, "LogSoftmax", name, logits);
}

TFC_API tfc_output tfc_dropout(tfc_graph *g, tfc_output x, float rate, int64_t seed, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "Dropout", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_float(b, "rate", rate);
    tfc_op_builder_set_attr_int(b, "seed", seed);
    tfc_op_builder_set_attr_int(b, "seed2", 0);
    return tfci_finish(g, b);
}
