/* Op family 'loss': SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits,
 * SigmoidCrossEntropyWithLogits, L2Loss, and the internal ops of their gradients.
 *
 * The softmax losses follow TensorFlow's ops: inputs (features, labels),
 * outputs loss [batch] and backprop [batch, classes] (softmax - labels); the
 * constructors return output 0. TensorFlow builds the sigmoid loss from
 * several ops; here it is one op "SigmoidCrossEntropyWithLogits" with inputs
 * (logits, labels) of the same shape, computed as
 * max(x, 0) - x z + log(1 + exp(-|x|)), which never overflows.
 * All are computed in the input's precision (float32 or float64) with the
 * row maximum subtracted before exp, so logits of 1e4 are fine. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

/* Elements per parallel task; smaller jobs stay on the calling thread. */
#define PAR_GRAIN 16384
/* Block of L2Loss's sum: fixed, so the result does not depend on the thread count. */
#define SUM_BLOCK 16384

/* ---- shape helpers ---- */

static tfc_code expect_rank(tfc_op *op, int i, int rank, const char *what)
{
    const tfci_shape *s = tfci_in_shape(op, i);
    if (s->rank >= 0 && s->rank != rank) {
        char b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s (input %d, '%s') must have rank %d, got shape %s", what, i,
                             op->inputs[i].op->name, rank, tfci_shape_to_str(s, b, sizeof b));
    }
    return TFC_OK;
}

/* Merges two static shapes that must be equal; error naming both otherwise. */
static tfc_code merge_same(tfc_op *op, int i, int j, tfci_shape *out)
{
    const tfci_shape *a = tfci_in_shape(op, i), *b = tfci_in_shape(op, j);
    if (a->rank < 0 || b->rank < 0) {
        *out = a->rank >= 0 ? *a : *b;
        return TFC_OK;
    }
    bool ok = a->rank == b->rank;
    *out = *a;
    for (int d = 0; ok && d < a->rank; d++) {
        if (a->dims[d] >= 0 && b->dims[d] >= 0 && a->dims[d] != b->dims[d]) ok = false;
        if (a->dims[d] < 0) out->dims[d] = b->dims[d];
    }
    if (!ok) {
        char sa[128], sb[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "inputs '%s' %s and '%s' %s must have the same shape",
                             op->inputs[i].op->name, tfci_shape_to_str(a, sa, sizeof sa), op->inputs[j].op->name,
                             tfci_shape_to_str(b, sb, sizeof sb));
    }
    return TFC_OK;
}

static tfc_code check_same_dims(tfci_kctx *k, int i, int j)
{
    const tfc_tensor *a = k->in[i], *b = k->in[j];
    bool ok = a->rank == b->rank;
    for (int d = 0; ok && d < a->rank; d++) ok = a->dims[d] == b->dims[d];
    if (ok) return TFC_OK;
    char sa[128], sb[128];
    return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "inputs %d %s and %d %s must have the same shape", i,
                           tfci_shape_str(a->dims, a->rank, sa, sizeof sa), j,
                           tfci_shape_str(b->dims, b->rank, sb, sizeof sb));
}

static tfc_code check_rank(tfci_kctx *k, int i, int rank, const char *what)
{
    const tfc_tensor *t = k->in[i];
    if (t->rank == rank) return TFC_OK;
    char s[128];
    return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must have rank %d, got shape %s", what, rank,
                           tfci_shape_str(t->dims, t->rank, s, sizeof s));
}

/* ---- softmax cross-entropy ---- */

static tfc_code set_xent_outputs(tfc_op *op, const tfci_shape *bc)
{
    tfc_code c = tfci_op_set_num_outputs(op, 2);
    if (c) return c;
    tfci_shape loss = tfci_shape_unknown();
    loss.rank = 1;
    loss.dims[0] = bc->rank == 2 ? bc->dims[0] : -1;
    tfci_shape bp = *bc;
    if (bp.rank < 0) {
        bp.rank = 2;
        bp.dims[0] = bp.dims[1] = -1;
    }
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &loss);
    tfci_op_set_output(op, 1, tfci_in_dtype(op, 0), &bp);
    return TFC_OK;
}

static tfc_code shape_xent(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    if (!c) c = expect_rank(op, 0, 2, "logits");
    if (!c) c = expect_rank(op, 1, 2, "labels");
    tfci_shape bc;
    if (!c) c = merge_same(op, 0, 1, &bc);
    if (c) return c;
    return set_xent_outputs(op, &bc);
}

static tfc_code shape_sparse_xent(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (c) return c;
    tfc_dtype lt = tfci_in_dtype(op, 1);
    if (lt != TFC_INT32 && lt != TFC_INT64)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "labels (input 1, '%s') must be int32 or int64, got %s",
                             op->inputs[1].op->name, tfc_dtype_name(lt));
    if ((c = expect_rank(op, 0, 2, "logits")) || (c = expect_rank(op, 1, 1, "labels"))) return c;
    tfci_shape bc = *tfci_in_shape(op, 0);
    const tfci_shape *ls = tfci_in_shape(op, 1);
    if (ls->rank == 1 && ls->dims[0] >= 0) {
        if (bc.rank < 0) {
            bc.rank = 2;
            bc.dims[1] = -1;
            bc.dims[0] = ls->dims[0];
        } else if (bc.dims[0] < 0) {
            bc.dims[0] = ls->dims[0];
        } else if (bc.dims[0] != ls->dims[0]) {
            char sa[128], sb[128];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "logits %s and labels %s must have the same batch size (first dimension)",
                                 tfci_shape_to_str(&bc, sa, sizeof sa), tfci_shape_to_str(ls, sb, sizeof sb));
        }
    }
    return set_xent_outputs(op, &bc);
}

/* One row: loss = sum(z * (log(sum(exp(l - m))) - (l - m))), bp = softmax - z.
 * For the sparse op z is one-hot at `label` (z == NULL). */
#define DEFINE_XENT_ROWS(NAME, T, EXP, LOG)                                                                        \
    static void NAME(const T *restrict logits, const T *restrict labels, const int64_t *restrict sparse,          \
                     T *restrict loss, T *restrict bp, int64_t C, int64_t b0, int64_t b1)                          \
    {                                                                                                              \
        for (int64_t b = b0; b < b1; b++) {                                                                        \
            const T *l = logits + b * C;                                                                           \
            T *p = bp + b * C;                                                                                     \
            if (C == 0) {                                                                                          \
                loss[b] = 0;                                                                                       \
                continue;                                                                                          \
            }                                                                                                      \
            T m = l[0];                                                                                            \
            for (int64_t c = 1; c < C; c++) m = l[c] > m ? l[c] : m;                                               \
            T s = 0;                                                                                               \
            for (int64_t c = 0; c < C; c++) {                                                                      \
                p[c] = EXP(l[c] - m);                                                                              \
                s += p[c];                                                                                         \
            }                                                                                                      \
            T lse = LOG(s), inv = 1 / s;                                                                           \
            if (labels) {                                                                                          \
                const T *z = labels + b * C;                                                                       \
                T acc = 0;                                                                                         \
                for (int64_t c = 0; c < C; c++) {                                                                  \
                    acc += z[c] * (lse - (l[c] - m));                                                              \
                    p[c] = p[c] * inv - z[c];                                                                      \
                }                                                                                                  \
                loss[b] = acc;                                                                                     \
            } else {                                                                                               \
                int64_t y = sparse[b];                                                                             \
                for (int64_t c = 0; c < C; c++) p[c] *= inv;                                                       \
                p[y] -= 1;                                                                                         \
                loss[b] = lse - (l[y] - m);                                                                        \
            }                                                                                                      \
        }                                                                                                          \
    }
DEFINE_XENT_ROWS(xent_rows_f32, float, expf, logf)
DEFINE_XENT_ROWS(xent_rows_f64, double, exp, log)

typedef struct xent_job {
    const void *logits, *labels;
    const int64_t *sparse;
    void *loss, *bp;
    int64_t C;
    bool f64;
} xent_job;

static void xent_range(void *arg, int64_t b0, int64_t b1)
{
    const xent_job *j = arg;
    if (j->f64)
        xent_rows_f64(j->logits, j->labels, j->sparse, j->loss, j->bp, j->C, b0, b1);
    else
        xent_rows_f32(j->logits, j->labels, j->sparse, j->loss, j->bp, j->C, b0, b1);
}

static tfc_code xent_run(tfci_kctx *k, const void *labels, const int64_t *sparse)
{
    const tfc_tensor *x = k->in[0];
    int64_t B = x->dims[0], C = x->dims[1];
    tfc_tensor *loss = tfci_kctx_output(k, 0, x->dtype, &B, 1);
    tfc_tensor *bp = loss ? tfci_kctx_output(k, 1, x->dtype, x->dims, 2) : NULL;
    if (!bp) return TFC_RESOURCE_EXHAUSTED;
    xent_job j = {x->data, labels, sparse, loss->data, bp->data, C, x->dtype == TFC_DOUBLE};
    int64_t grain = PAR_GRAIN / (C > 0 ? C : 1);
    tfci_parallel_for(tfci_kctx_pool(k), B, grain > 0 ? grain : 1, xent_range, &j);
    return TFC_OK;
}

static tfc_code k_xent(tfci_kctx *k)
{
    tfc_code c = check_rank(k, 0, 2, "logits");
    if (!c) c = check_same_dims(k, 0, 1);
    if (c) return c;
    return xent_run(k, k->in[1]->data, NULL);
}

static tfc_code k_sparse_xent(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0], *lab = k->in[1];
    tfc_code c = check_rank(k, 0, 2, "logits");
    if (!c) c = check_rank(k, 1, 1, "labels");
    if (c) return c;
    int64_t B = x->dims[0], C = x->dims[1];
    if (lab->dims[0] != B)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "logits have %lld rows but labels have %lld", (long long)B,
                               (long long)lab->dims[0]);
    /* labels are checked here, on the calling thread, so the error message stays on it */
    int64_t *idx = tfci_kctx_scratch(k, (size_t)B * sizeof *idx);
    if (!idx) return TFC_RESOURCE_EXHAUSTED;
    for (int64_t b = 0; b < B; b++) {
        int64_t y = tfci_tensor_int(lab, b);
        if (y < 0 || y >= C)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "label %lld at row %lld is outside the valid range [0, %lld) of the %lld classes",
                                   (long long)y, (long long)b, (long long)C, (long long)C);
        idx[b] = y;
    }
    return xent_run(k, NULL, idx);
}

/* _XentLogitsGrad (dy [b], backprop [b,c] [, dy_backprop [b,c], logits [b,c]]):
 * dy[:,None] * backprop, plus, when backprop itself receives a gradient g,
 * softmax * (g - sum(g * softmax)) (the softmax Jacobian, as TensorFlow). */
static tfc_code shape_xent_logits_grad(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    for (int i = 1; !c && i < op->ninputs; i++) c = tfci_expect_same_dtype(op, 0, i);
    if (!c) c = expect_rank(op, 0, 1, "dy");
    if (!c) c = expect_rank(op, 1, 2, "backprop");
    if (!c && op->ninputs == 3)
        c = tfci_op_error(op, TFC_INVALID_ARGUMENT, "expected 2 or 4 inputs (dy, backprop[, dy_backprop, logits])");
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 1));
    return TFC_OK;
}

/* _XentLabelsGrad (dy [b], logits [b,c] [, dy_backprop [b,c]]):
 * -dy[:,None] * log_softmax(logits) [- dy_backprop]. */
static tfc_code shape_xent_labels_grad(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    for (int i = 1; !c && i < op->ninputs; i++) c = tfci_expect_same_dtype(op, 0, i);
    if (!c) c = expect_rank(op, 0, 1, "dy");
    if (!c) c = expect_rank(op, 1, 2, "logits");
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 1));
    return TFC_OK;
}

/* Checks dy [B] and the [B, C] inputs from index 1 on; returns B and C. */
static tfc_code check_grad_inputs(tfci_kctx *k, int64_t *B, int64_t *C)
{
    tfc_code c = check_rank(k, 0, 1, "dy");
    if (!c) c = check_rank(k, 1, 2, "input 1");
    for (int i = 2; !c && i < k->nin; i++) c = check_same_dims(k, 1, i);
    if (c) return c;
    *B = k->in[1]->dims[0];
    *C = k->in[1]->dims[1];
    if (k->in[0]->dims[0] != *B)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy has %lld rows, expected %lld",
                               (long long)k->in[0]->dims[0], (long long)*B);
    return TFC_OK;
}

#define DEFINE_XENT_GRADS(SUF, T, EXP, LOG)                                                                        \
    static void logits_grad_##SUF(const T *restrict dy, const T *restrict bp, const T *restrict g,                \
                                  const T *restrict logits, T *restrict dx, int64_t B, int64_t C)                  \
    {                                                                                                              \
        for (int64_t b = 0; b < B; b++) {                                                                          \
            const T *pb = bp + b * C;                                                                              \
            T *d = dx + b * C, v = dy[b];                                                                          \
            for (int64_t c = 0; c < C; c++) d[c] = v * pb[c];                                                      \
            if (!g || C == 0) continue;                                                                            \
            const T *l = logits + b * C, *gb = g + b * C;                                                          \
            T m = l[0], s = 0, dot = 0;                                                                            \
            for (int64_t c = 1; c < C; c++) m = l[c] > m ? l[c] : m;                                               \
            for (int64_t c = 0; c < C; c++) s += EXP(l[c] - m);                                                    \
            for (int64_t c = 0; c < C; c++) dot += gb[c] * (EXP(l[c] - m) / s);                                    \
            for (int64_t c = 0; c < C; c++) d[c] += (gb[c] - dot) * (EXP(l[c] - m) / s);                           \
        }                                                                                                          \
    }                                                                                                              \
    static void labels_grad_##SUF(const T *restrict dy, const T *restrict logits, const T *restrict g,            \
                                  T *restrict dx, int64_t B, int64_t C)                                            \
    {                                                                                                              \
        for (int64_t b = 0; b < B; b++) {                                                                          \
            const T *l = logits + b * C;                                                                           \
            T *d = dx + b * C, v = dy[b];                                                                          \
            if (C == 0) continue;                                                                                  \
            T m = l[0], s = 0;                                                                                     \
            for (int64_t c = 1; c < C; c++) m = l[c] > m ? l[c] : m;                                               \
            for (int64_t c = 0; c < C; c++) s += EXP(l[c] - m);                                                    \
            T lse = LOG(s);                                                                                        \
            for (int64_t c = 0; c < C; c++) d[c] = v * (lse - (l[c] - m));                                         \
            if (g)                                                                                                 \
                for (int64_t c = 0; c < C; c++) d[c] -= g[b * C + c];                                              \
        }                                                                                                          \
    }
DEFINE_XENT_GRADS(f32, float, expf, logf)
DEFINE_XENT_GRADS(f64, double, exp, log)

static tfc_code k_xent_logits_grad(tfci_kctx *k)
{
    int64_t B, C;
    tfc_code c = check_grad_inputs(k, &B, &C);
    if (c) return c;
    tfc_tensor *dx = tfci_kctx_output(k, 0, k->in[0]->dtype, k->in[1]->dims, 2);
    if (!dx) return TFC_RESOURCE_EXHAUSTED;
    bool second = k->nin == 4;
    const void *g = second ? k->in[2]->data : NULL, *logits = second ? k->in[3]->data : NULL;
    if (dx->dtype == TFC_FLOAT)
        logits_grad_f32(k->in[0]->data, k->in[1]->data, g, logits, dx->data, B, C);
    else
        logits_grad_f64(k->in[0]->data, k->in[1]->data, g, logits, dx->data, B, C);
    return TFC_OK;
}

static tfc_code k_xent_labels_grad(tfci_kctx *k)
{
    int64_t B, C;
    tfc_code c = check_grad_inputs(k, &B, &C);
    if (c) return c;
    tfc_tensor *dx = tfci_kctx_output(k, 0, k->in[0]->dtype, k->in[1]->dims, 2);
    if (!dx) return TFC_RESOURCE_EXHAUSTED;
    const void *g = k->nin == 3 ? k->in[2]->data : NULL;
    if (dx->dtype == TFC_FLOAT)
        labels_grad_f32(k->in[0]->data, k->in[1]->data, g, dx->data, B, C);
    else
        labels_grad_f64(k->in[0]->data, k->in[1]->data, g, dx->data, B, C);
    return TFC_OK;
}

/* The gradient flowing into backprop (output 1), or {NULL} when it is
 * known to be zero (the engine's ZerosLike for an unused output). */
static tfc_output backprop_grad(tfci_grad_ctx *gc)
{
    tfc_output g = gc->dy[1];
    if (g.op && strcmp(g.op->def->name, "ZerosLike") == 0) return TFCI_NO_OUTPUT;
    return g;
}

static tfc_output xent_logits_grad(tfci_grad_ctx *gc)
{
    tfc_op_builder *b = tfci_builder(gc->g, "_XentLogitsGrad", NULL);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, (tfc_output){gc->op, 1});
    tfc_output g = backprop_grad(gc);
    if (g.op) {
        tfc_op_builder_add_input(b, g);
        tfc_op_builder_add_input(b, gc->op->inputs[0]);
    }
    return tfci_finish(gc->g, b);
}

static tfc_code g_xent(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = xent_logits_grad(gc);
    tfc_op_builder *b = tfci_builder(gc->g, "_XentLabelsGrad", NULL);
    if (b) {
        tfc_op_builder_add_input(b, gc->dy[0]);
        tfc_op_builder_add_input(b, gc->op->inputs[0]);
        tfc_output g = backprop_grad(gc);
        if (g.op) tfc_op_builder_add_input(b, g);
        gc->dx[1].dense = tfci_finish(gc->g, b);
    }
    return tfc_graph_status(gc->g);
}

static tfc_code g_sparse_xent(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = xent_logits_grad(gc);
    return tfc_graph_status(gc->g);
}

/* ---- sigmoid cross-entropy ---- */

static tfc_code shape_same2(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    for (int i = 1; !c && i < op->ninputs; i++) c = tfci_expect_same_dtype(op, 0, i);
    tfci_shape s = *tfci_in_shape(op, 0);
    for (int i = 1; !c && i < op->ninputs; i++) {
        tfci_shape m;
        c = merge_same(op, 0, i, &m);
        if (!c && s.rank < 0) s = m;
        else if (!c)
            for (int d = 0; d < s.rank; d++)
                if (s.dims[d] < 0) s.dims[d] = m.dims[d];
    }
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &s);
    return TFC_OK;
}

static tfc_code check_all_same_dims(tfci_kctx *k)
{
    for (int i = 1; i < k->nin; i++) {
        tfc_code c = check_same_dims(k, 0, i);
        if (c) return c;
    }
    return TFC_OK;
}

typedef struct ew_job {
    const void *a, *b, *c;
    void *out;
    bool f64;
    int which;
} ew_job;

enum { EW_SIGMOID_XENT, EW_SIGMOID_XENT_LOGITS_GRAD, EW_SIGMOID_XENT_LABELS_GRAD, EW_SCALE };

/* Element-wise kernels over [i0, i1). Sigmoid is computed from exp(-|x|) so it never overflows. */
#define DEFINE_EW(SUF, T, EXP, LOG1P)                                                                              \
    static void ew_##SUF(const ew_job *j, int64_t i0, int64_t i1)                                                  \
    {                                                                                                              \
        const T *restrict a = j->a, *restrict b = j->b, *restrict c = j->c;                                        \
        T *restrict o = j->out;                                                                                    \
        switch (j->which) {                                                                                        \
        case EW_SIGMOID_XENT: /* a logits, b labels */                                                             \
            for (int64_t i = i0; i < i1; i++) {                                                                    \
                T x = a[i];                                                                                        \
                o[i] = (x > 0 ? x : 0) - x * b[i] + LOG1P(EXP(-(x > 0 ? x : -x)));                                 \
            }                                                                                                      \
            break;                                                                                                 \
        case EW_SIGMOID_XENT_LOGITS_GRAD: /* a dy, b logits, c labels: dy * (sigmoid(x) - z) */                    \
            for (int64_t i = i0; i < i1; i++) {                                                                    \
                T x = b[i], e = EXP(-(x > 0 ? x : -x));                                                            \
                T sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);                                                        \
                o[i] = a[i] * (sig - c[i]);                                                                        \
            }                                                                                                      \
            break;                                                                                                 \
        case EW_SIGMOID_XENT_LABELS_GRAD: /* a dy, b logits: -dy * x */                                            \
            for (int64_t i = i0; i < i1; i++) o[i] = -a[i] * b[i];                                                 \
            break;                                                                                                 \
        default: /* a t, b scalar: t * b */                                                                        \
        {                                                                                                          \
            T s = b[0];                                                                                            \
            for (int64_t i = i0; i < i1; i++) o[i] = a[i] * s;                                                     \
        } break;                                                                                                   \
        }                                                                                                          \
    }
DEFINE_EW(f32, float, expf, log1pf)
DEFINE_EW(f64, double, exp, log1p)

static void ew_range(void *arg, int64_t i0, int64_t i1)
{
    const ew_job *j = arg;
    if (j->f64) ew_f64(j, i0, i1);
    else ew_f32(j, i0, i1);
}

/* Runs element-wise kernel `which` over inputs (in[0], in[1][, in[2]]) into a
 * new output shaped like in[shape_of]. */
static tfc_code ew_run(tfci_kctx *k, int which, int shape_of)
{
    const tfc_tensor *s = k->in[shape_of];
    tfc_tensor *out = tfci_kctx_output(k, 0, s->dtype, s->dims, s->rank);
    if (!out) return TFC_RESOURCE_EXHAUSTED;
    ew_job j = {k->in[0]->data, k->in[1]->data, k->nin > 2 ? k->in[2]->data : NULL, out->data,
                s->dtype == TFC_DOUBLE, which};
    tfci_parallel_for(tfci_kctx_pool(k), out->n, PAR_GRAIN, ew_range, &j);
    return TFC_OK;
}

static tfc_code k_sigmoid_xent(tfci_kctx *k)
{
    tfc_code c = check_all_same_dims(k);
    return c ? c : ew_run(k, EW_SIGMOID_XENT, 0);
}

static tfc_code k_sigmoid_xent_logits_grad(tfci_kctx *k)
{
    tfc_code c = check_all_same_dims(k);
    return c ? c : ew_run(k, EW_SIGMOID_XENT_LOGITS_GRAD, 1);
}

static tfc_code k_sigmoid_xent_labels_grad(tfci_kctx *k)
{
    tfc_code c = check_all_same_dims(k);
    return c ? c : ew_run(k, EW_SIGMOID_XENT_LABELS_GRAD, 1);
}

static tfc_output internal_op(tfc_graph *g, const char *type, const tfc_output *in, int n)
{
    tfc_op_builder *b = tfci_builder(g, type, NULL);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_inputs(b, in, n);
    return tfci_finish(g, b);
}

static tfc_code g_sigmoid_xent(tfci_grad_ctx *gc)
{
    tfc_output in[3] = {gc->dy[0], gc->op->inputs[0], gc->op->inputs[1]};
    gc->dx[0].dense = internal_op(gc->g, "_SigmoidXentLogitsGrad", in, 3);
    gc->dx[1].dense = internal_op(gc->g, "_SigmoidXentLabelsGrad", in, 2);
    return tfc_graph_status(gc->g);
}

/* ---- L2Loss ---- */

static tfc_code shape_l2(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_shape s = tfci_shape_scalar();
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &s);
    return TFC_OK;
}

/* Sum of squares of blocks [b0, b1) of SUM_BLOCK elements into part[], with
 * 8 independent accumulators the compiler vectorizes. */
#define DEFINE_SUMSQ(NAME, T)                                                                                      \
    static void NAME(const T *restrict x, int64_t n, T *restrict part, int64_t b0, int64_t b1)                    \
    {                                                                                                              \
        for (int64_t b = b0; b < b1; b++) {                                                                        \
            int64_t i = b * SUM_BLOCK, e = i + SUM_BLOCK < n ? i + SUM_BLOCK : n;                                  \
            T acc[8] = {0};                                                                                        \
            for (; i + 8 <= e; i += 8)                                                                             \
                for (int j = 0; j < 8; j++) acc[j] += x[i + j] * x[i + j];                                         \
            T s = 0;                                                                                               \
            for (int j = 0; j < 8; j++) s += acc[j];                                                               \
            for (; i < e; i++) s += x[i] * x[i];                                                                   \
            part[b] = s;                                                                                           \
        }                                                                                                          \
    }
DEFINE_SUMSQ(sumsq_f32, float)
DEFINE_SUMSQ(sumsq_f64, double)

typedef struct sumsq_job {
    const void *x;
    int64_t n;
    void *part;
    bool f64;
} sumsq_job;

static void sumsq_range(void *arg, int64_t b0, int64_t b1)
{
    const sumsq_job *j = arg;
    if (j->f64) sumsq_f64(j->x, j->n, j->part, b0, b1);
    else sumsq_f32(j->x, j->n, j->part, b0, b1);
}

static tfc_code k_l2(tfci_kctx *k)
{
    const tfc_tensor *t = k->in[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, t->dtype, NULL, 0);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    int64_t nb = (t->n + SUM_BLOCK - 1) / SUM_BLOCK;
    bool f64 = t->dtype == TFC_DOUBLE;
    size_t es = f64 ? sizeof(double) : sizeof(float);
    void *part = tfci_kctx_scratch(k, (size_t)(nb > 0 ? nb : 1) * es);
    if (!part) return TFC_RESOURCE_EXHAUSTED;
    sumsq_job j = {t->data, t->n, part, f64};
    tfci_parallel_for(tfci_kctx_pool(k), nb, 1, sumsq_range, &j);
    double s = 0;
    for (int64_t b = 0; b < nb; b++) s += f64 ? ((double *)part)[b] : ((float *)part)[b];
    if (f64) *(double *)y->data = s / 2;
    else *(float *)y->data = (float)(s / 2);
    return TFC_OK;
}

/* _L2LossGrad (t, dy scalar): t * dy. */
static tfc_code shape_l2_grad(tfc_op *op)
{
    tfc_code c = tfci_expect_float(op, 0);
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    if (!c) c = expect_rank(op, 1, 0, "dy");
    if (!c) c = tfci_op_set_num_outputs(op, 1);
    if (c) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), tfci_in_shape(op, 0));
    return TFC_OK;
}

static tfc_code k_l2_grad(tfci_kctx *k)
{
    if (k->in[1]->n != 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy must be a scalar, got %lld elements",
                               (long long)k->in[1]->n);
    return ew_run(k, EW_SCALE, 0);
}

static tfc_code g_l2(tfci_grad_ctx *gc)
{
    tfc_output in[2] = {gc->op->inputs[0], gc->dy[0]};
    gc->dx[0].dense = internal_op(gc->g, "_L2LossGrad", in, 2);
    return tfc_graph_status(gc->g);
}

const tfci_op_def tfci_loss_ops[] = {
    {"SoftmaxCrossEntropyWithLogits", 2, 2, shape_xent, k_xent, g_xent, 0},
    {"SparseSoftmaxCrossEntropyWithLogits", 2, 2, shape_sparse_xent, k_sparse_xent, g_sparse_xent, 0},
    {"SigmoidCrossEntropyWithLogits", 2, 2, shape_same2, k_sigmoid_xent, g_sigmoid_xent, 0},
    {"L2Loss", 1, 1, shape_l2, k_l2, g_l2, 0},
    {"_XentLogitsGrad", 2, 4, shape_xent_logits_grad, k_xent_logits_grad, NULL, 0},
    {"_XentLabelsGrad", 2, 3, shape_xent_labels_grad, k_xent_labels_grad, NULL, 0},
    /* (dy, logits, labels) */
    {"_SigmoidXentLogitsGrad", 3, 3, shape_same2, k_sigmoid_xent_logits_grad, NULL, 0},
    /* (dy, logits) */
    {"_SigmoidXentLabelsGrad", 2, 2, shape_same2, k_sigmoid_xent_labels_grad, NULL, 0},
    {"_L2LossGrad", 2, 2, shape_l2_grad, k_l2_grad, NULL, 0},
};
const int tfci_loss_ops_count = sizeof tfci_loss_ops / sizeof tfci_loss_ops[0];

/* ---- typed constructors ---- */

static tfc_output loss_ctor(tfc_graph *g, const char *type, tfc_output labels, tfc_output logits, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, logits);
    tfc_op_builder_add_input(b, labels);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_softmax_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                         const char *name)
{
    return loss_ctor(g, "SoftmaxCrossEntropyWithLogits", labels, logits, name);
}

TFC_API tfc_output tfc_sparse_softmax_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                                const char *name)
{
    return loss_ctor(g, "SparseSoftmaxCrossEntropyWithLogits", labels, logits, name);
}

TFC_API tfc_output tfc_sigmoid_cross_entropy_with_logits(tfc_graph *g, tfc_output labels, tfc_output logits,
                                                         const char *name)
{
    return loss_ctor(g, "SigmoidCrossEntropyWithLogits", labels, logits, name);
}

TFC_API tfc_output tfc_l2_loss(tfc_graph *g, tfc_output t, const char *name)
{
    return tfci_unary(g, "L2Loss", name, t);
}
