/* Training ops: the in-place update kernels of TensorFlow's training_ops.cc
 * (ApplyGradientDescent, ApplyMomentum, ApplyAdagrad, ApplyAdagradV2,
 * ApplyFtrl, ApplyFtrlV2, ApplyAdam) and their sparse row variants
 * (SparseApply*: grad holds rows of the variable, indices says which).
 *
 * How the kernels reach the variables. Input 0, the variable being trained,
 * is a ref input (TFCI_OP_REF_INPUT0): the session hands its state to the
 * kernel as k->ref_state. Only input 0 gets that, so the slot variables
 * (accumulators, FTRL's linear, Adam's m and v) are ordinary inputs whose
 * producer must be a VariableV2 (the shape function insists). The VariableV2
 * kernel aliases the variable's storage (state->value, allocated once and
 * never moved), so k->in[i]->data is the slot's own buffer, and writing
 * through it updates the slot in place, as TensorFlow's ref inputs do.
 * (Feeding a slot variable's output in the same run would redirect those
 * writes into the fed tensor; nothing in tfc does that.)
 *
 * Sparse variants: out-of-range indices are an error before anything is
 * written; duplicate indices are summed first (TensorFlow's
 * _apply_sparse_duplicate_indices) through a small hash table in arena
 * scratch, so only the touched rows are read and written, except
 * for SparseApplyGradientDescent, which subtracts each row as ScatterSub
 * does (duplicates add), and SparseApplyAdam (see its row function).
 *
 * Scalars (lr, l1, ...) are inputs of the variable's dtype; every op's
 * output 0 is the updated variable (an alias of its storage). */
#include <math.h>
#include <string.h>

#include "registry.h"

/* ---- layouts: the role of every input of every op ---- */

enum role {
    R_VAR, R_SLOT, R_GRAD, R_INDICES,
    /* scalars; also indices into tparams.v */
    R_LR, R_L1, R_L2, R_SHRINK, R_LRPOW, R_MOM, R_EPS, R_B1P, R_B2P, R_B1, R_B2,
    R_COUNT
};

enum kind { K_GD, K_MOMENTUM, K_ADAGRAD, K_ADAGRAD_V2, K_FTRL, K_FTRL_V2, K_ADAM };

#define MAX_TRAIN_INPUTS 11

typedef struct layout {
    const char *op;
    enum kind kind;
    bool sparse;
    int n;
    unsigned char role[MAX_TRAIN_INPUTS];
    const char *names[MAX_TRAIN_INPUTS];
} layout;

static const layout layouts[] = {
    {"ApplyGradientDescent", K_GD, false, 3, {R_VAR, R_LR, R_GRAD}, {"var", "alpha", "delta"}},
    {"SparseApplyGradientDescent", K_GD, true, 4, {R_VAR, R_LR, R_GRAD, R_INDICES},
     {"var", "alpha", "grad", "indices"}},
    {"ApplyMomentum", K_MOMENTUM, false, 5, {R_VAR, R_SLOT, R_LR, R_GRAD, R_MOM},
     {"var", "accum", "lr", "grad", "momentum"}},
    {"SparseApplyMomentum", K_MOMENTUM, true, 6, {R_VAR, R_SLOT, R_LR, R_GRAD, R_INDICES, R_MOM},
     {"var", "accum", "lr", "grad", "indices", "momentum"}},
    {"ApplyAdagrad", K_ADAGRAD, false, 4, {R_VAR, R_SLOT, R_LR, R_GRAD}, {"var", "accum", "lr", "grad"}},
    {"SparseApplyAdagrad", K_ADAGRAD, true, 5, {R_VAR, R_SLOT, R_LR, R_GRAD, R_INDICES},
     {"var", "accum", "lr", "grad", "indices"}},
    {"ApplyAdagradV2", K_ADAGRAD_V2, false, 5, {R_VAR, R_SLOT, R_LR, R_EPS, R_GRAD},
     {"var", "accum", "lr", "epsilon", "grad"}},
    {"SparseApplyAdagradV2", K_ADAGRAD_V2, true, 6, {R_VAR, R_SLOT, R_LR, R_EPS, R_GRAD, R_INDICES},
     {"var", "accum", "lr", "epsilon", "grad", "indices"}},
    {"ApplyFtrl", K_FTRL, false, 8, {R_VAR, R_SLOT, R_SLOT, R_GRAD, R_LR, R_L1, R_L2, R_LRPOW},
     {"var", "accum", "linear", "grad", "lr", "l1", "l2", "lr_power"}},
    {"SparseApplyFtrl", K_FTRL, true, 9, {R_VAR, R_SLOT, R_SLOT, R_GRAD, R_INDICES, R_LR, R_L1, R_L2, R_LRPOW},
     {"var", "accum", "linear", "grad", "indices", "lr", "l1", "l2", "lr_power"}},
    {"ApplyFtrlV2", K_FTRL_V2, false, 9, {R_VAR, R_SLOT, R_SLOT, R_GRAD, R_LR, R_L1, R_L2, R_SHRINK, R_LRPOW},
     {"var", "accum", "linear", "grad", "lr", "l1", "l2", "l2_shrinkage", "lr_power"}},
    {"SparseApplyFtrlV2", K_FTRL_V2, true, 10,
     {R_VAR, R_SLOT, R_SLOT, R_GRAD, R_INDICES, R_LR, R_L1, R_L2, R_SHRINK, R_LRPOW},
     {"var", "accum", "linear", "grad", "indices", "lr", "l1", "l2", "l2_shrinkage", "lr_power"}},
    {"ApplyAdam", K_ADAM, false, 10, {R_VAR, R_SLOT, R_SLOT, R_B1P, R_B2P, R_LR, R_B1, R_B2, R_EPS, R_GRAD},
     {"var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"}},
    {"SparseApplyAdam", K_ADAM, true, 11,
     {R_VAR, R_SLOT, R_SLOT, R_B1P, R_B2P, R_LR, R_B1, R_B2, R_EPS, R_GRAD, R_INDICES},
     {"var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad", "indices"}},
};
#define NUM_LAYOUTS ((int)(sizeof layouts / sizeof layouts[0]))

static const layout *layout_of(const tfc_op *op) { return &layouts[op->ci[0]]; }

/* ---- shape function (shared by every training op) ---- */

static tfc_code shape_training(tfc_op *op)
{
    int li = 0;
    while (li < NUM_LAYOUTS && strcmp(layouts[li].op, op->def->name) != 0) li++;
    if (li == NUM_LAYOUTS) return tfci_op_error(op, TFC_INTERNAL, "no input layout for this op");
    const layout *L = &layouts[li];
    op->ci[0] = li;
    char a[128], b[128];
    tfc_dtype dt = tfci_in_dtype(op, 0);
    if (dt != TFC_FLOAT && dt != TFC_DOUBLE)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "variable '%s' is %s; training ops update float32 or float64",
                             op->inputs[0].op->name, tfc_dtype_name(dt));
    const tfci_shape *vs = tfci_in_shape(op, 0);
    int grad = -1, indices = -1;
    for (int i = 1; i < L->n; i++) {
        tfc_output in = op->inputs[i];
        const tfci_shape *s = tfci_in_shape(op, i);
        tfc_dtype idt = tfci_in_dtype(op, i);
        if (L->role[i] == R_INDICES) {
            indices = i;
            if (idt != TFC_INT32 && idt != TFC_INT64)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (indices) must be int32 or int64, got %s", i,
                                     tfc_dtype_name(idt));
            if (s->rank >= 0 && s->rank != 1)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (indices) must be a vector, got shape %s", i,
                                     tfci_shape_to_str(s, a, sizeof a));
            continue;
        }
        if (idt != dt)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s, '%s') is %s; the variable is %s", i,
                                 L->names[i], in.op->name, tfc_dtype_name(idt), tfc_dtype_name(dt));
        if (L->role[i] == R_SLOT) {
            if (in.op->var_index < 0 || in.index != 0)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                     "input %d (%s) must be a variable (VariableV2) updated in place, got '%s' (%s)", i,
                                     L->names[i], in.op->name, in.op->def->name);
            for (int j = 0; j < i; j++)
                if (op->inputs[j].op == in.op)
                    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s) and input %d (%s) are the same variable '%s'",
                                         j, L->names[j], i, L->names[i], in.op->name);
            bool same = s->rank == vs->rank;
            for (int d = 0; same && d < vs->rank; d++) same = s->dims[d] == vs->dims[d];
            if (!same)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "slot %s ('%s') has shape %s, the variable has %s",
                                     L->names[i], in.op->name, tfci_shape_to_str(s, a, sizeof a),
                                     tfci_shape_to_str(vs, b, sizeof b));
        } else if (L->role[i] == R_GRAD) {
            grad = i;
        } else if (s->rank > 0) {
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s) must be a scalar, got shape %s", i,
                                 L->names[i], tfci_shape_to_str(s, a, sizeof a));
        }
    }
    const tfci_shape *gs = tfci_in_shape(op, grad);
    if (!L->sparse) {
        if (!tfci_shape_compatible(gs, vs->dims, vs->rank))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "grad has shape %s, the variable has %s",
                                 tfci_shape_to_str(gs, a, sizeof a), tfci_shape_to_str(vs, b, sizeof b));
    } else {
        if (vs->rank < 1)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "a sparse update needs a variable of rank >= 1, got a scalar");
        if (gs->rank >= 0) {
            bool ok = gs->rank == vs->rank;
            for (int d = 1; ok && d < vs->rank; d++) ok = gs->dims[d] < 0 || gs->dims[d] == vs->dims[d];
            if (!ok)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                     "grad has shape %s; rows of the variable %s need shape [k%s",
                                     tfci_shape_to_str(gs, a, sizeof a), tfci_shape_to_str(vs, b, sizeof b),
                                     strchr(b, ',') ? strchr(b, ',') : "]");
            const tfci_shape *is = tfci_in_shape(op, indices);
            if (is->rank == 1 && is->dims[0] >= 0 && gs->dims[0] >= 0 && is->dims[0] != gs->dims[0])
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "grad has %lld rows but indices has %lld entries",
                                     (long long)gs->dims[0], (long long)is->dims[0]);
        }
    }
    bool nesterov = false, update_slots = true, locking;
    tfc_code c = tfci_attr_opt_bool(op, "use_locking", false, &locking);
    if (!c && (L->kind == K_MOMENTUM || L->kind == K_ADAM)) c = tfci_attr_opt_bool(op, "use_nesterov", false, &nesterov);
    if (!c && (L->kind == K_ADAGRAD || L->kind == K_ADAGRAD_V2))
        c = tfci_attr_opt_bool(op, "update_slots", true, &update_slots);
    if (c) return c;
    op->ci[1] = nesterov;
    op->ci[2] = update_slots;
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, dt, vs);
    return TFC_OK;
}

/* ---- row updates: n contiguous elements of the variable and its slots ---- */

typedef struct tparams {
    double v[R_COUNT];
    double alpha; /* Adam's lr * sqrt(1 - beta2^t) / (1 - beta1^t) */
    bool nesterov, update_slots;
} tparams;

/* g NULL means a zero gradient (SparseApplyAdam's untouched rows). */
typedef void (*row_fn)(const tparams *p, void *w, void *s0, void *s1, const void *g, int64_t n);

/* Elementwise loops read g[i] before writing w[i], so a gradient that aliases
 * the variable is still correct; no restrict, the compiler versions the loop. */
#define DEFINE_ROWS(T, SFX, SQRT, POW)                                                                               \
    static void gd_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)             \
    {                                                                                                              \
        (void)s0v, (void)s1v;                                                                                      \
        T *w = wv;                                                                                                 \
        const T *g = gv, lr = (T)p->v[R_LR];                                                                       \
        for (int64_t i = 0; i < n; i++) w[i] -= lr * g[i];                                                         \
    }                                                                                                              \
    /* accum = accum * momentum + g; w -= lr * accum, or lr * (g + momentum * accum) (Nesterov). */              \
    static void momentum_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)       \
    {                                                                                                              \
        (void)s1v;                                                                                                 \
        T *w = wv, *acc = s0v;                                                                                     \
        const T *g = gv, lr = (T)p->v[R_LR], mom = (T)p->v[R_MOM];                                                 \
        if (p->nesterov) {                                                                                         \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                T gi = g[i], a = acc[i] * mom + gi;                                                                \
                acc[i] = a;                                                                                        \
                w[i] -= gi * lr + a * mom * lr;                                                                    \
            }                                                                                                      \
        } else {                                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                T a = acc[i] * mom + g[i];                                                                         \
                acc[i] = a;                                                                                        \
                w[i] -= a * lr;                                                                                    \
            }                                                                                                      \
        }                                                                                                          \
    }                                                                                                              \
    /* accum += g^2; w -= lr * g / sqrt(accum)  (V2: / (sqrt(accum) + epsilon)). */                               \
    static void adagrad_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)        \
    {                                                                                                              \
        (void)s1v;                                                                                                 \
        T *w = wv, *acc = s0v;                                                                                     \
        const T *g = gv, lr = (T)p->v[R_LR];                                                                       \
        if (!p->update_slots) {                                                                                    \
            for (int64_t i = 0; i < n; i++) w[i] -= g[i] * lr / SQRT(acc[i]);                                      \
            return;                                                                                                \
        }                                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            T gi = g[i], a = acc[i] + gi * gi;                                                                     \
            acc[i] = a;                                                                                            \
            w[i] -= gi * lr / SQRT(a);                                                                             \
        }                                                                                                          \
    }                                                                                                              \
    static void adagrad_v2_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)     \
    {                                                                                                              \
        (void)s1v;                                                                                                 \
        T *w = wv, *acc = s0v;                                                                                     \
        const T *g = gv, lr = (T)p->v[R_LR], eps = (T)p->v[R_EPS];                                                 \
        if (!p->update_slots) {                                                                                    \
            for (int64_t i = 0; i < n; i++) w[i] -= g[i] * lr / (SQRT(acc[i]) + eps);                             \
            return;                                                                                                \
        }                                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            T gi = g[i], a = acc[i] + gi * gi;                                                                     \
            acc[i] = a;                                                                                            \
            w[i] -= gi * lr / (SQRT(a) + eps);                                                                     \
        }                                                                                                          \
    }                                                                                                              \
    /* FTRL-Proximal as training_ops.cc: n' = n + g^2 (raw g, also in V2);                                        \
     * z += g' - (n'^p - n^p) / lr * w, g' = g + 2 * shrinkage * w (V2) else g;                                  \
     * w = (clip(z, -l1, l1) - z) / (n'^p / lr + 2 * l2), p = -lr_power: the sparse                              \
     * kernel's form, equal to the dense |z| > l1 ? (sign(z) l1 - z) / ... : 0 (exactly                           \
     * +0 when |z| <= l1) and branch-free, so the loop vectorizes. */                                              \
    static inline void ftrl_body_##SFX(const tparams *p, T *w, T *acc, T *z, const T *g, int64_t n, bool v2)       \
    {                                                                                                              \
        const T lr = (T)p->v[R_LR], l1 = (T)p->v[R_L1], l2x2 = (T)2 * (T)p->v[R_L2];                              \
        const T shr2 = (T)2 * (T)p->v[R_SHRINK], lrp = (T)p->v[R_LRPOW];                                          \
        if (lrp == (T)-0.5) {                                                                                      \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                T gi = g[i], wi = w[i], ni = acc[i];                                                               \
                T gs = v2 ? gi + shr2 * wi : gi;                                                                   \
                T nn = ni + gi * gi, sn = SQRT(nn);                                                                \
                T zi = z[i] + gs - (sn - SQRT(ni)) / lr * wi;                                                      \
                T c = zi < -l1 ? -l1 : (zi > l1 ? l1 : zi);                                                        \
                w[i] = (c - zi) / (sn / lr + l2x2);                                                                \
                z[i] = zi;                                                                                         \
                acc[i] = nn;                                                                                       \
            }                                                                                                      \
        } else {                                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                                      \
                T gi = g[i], wi = w[i], ni = acc[i];                                                               \
                T gs = v2 ? gi + shr2 * wi : gi;                                                                   \
                T nn = ni + gi * gi, pn = POW(nn, -lrp);                                                           \
                T zi = z[i] + gs - (pn - POW(ni, -lrp)) / lr * wi;                                                 \
                T c = zi < -l1 ? -l1 : (zi > l1 ? l1 : zi);                                                        \
                w[i] = (c - zi) / (pn / lr + l2x2);                                                                \
                z[i] = zi;                                                                                         \
                acc[i] = nn;                                                                                       \
            }                                                                                                      \
        }                                                                                                          \
    }                                                                                                              \
    static void ftrl_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)           \
    {                                                                                                              \
        ftrl_body_##SFX(p, wv, s0v, s1v, gv, n, false);                                                            \
    }                                                                                                              \
    static void ftrl_v2_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)        \
    {                                                                                                              \
        ftrl_body_##SFX(p, wv, s0v, s1v, gv, n, true);                                                             \
    }                                                                                                              \
    /* ApplyAdam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);                                                   \
     * w -= alpha * m / (sqrt(v) + eps), Nesterov: alpha * (g(1 - b1) + b1 m) / (sqrt(v) + eps). */               \
    static void adam_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)           \
    {                                                                                                              \
        T *w = wv, *m = s0v, *v = s1v;                                                                             \
        const T *g = gv, alpha = (T)p->alpha, b1 = (T)p->v[R_B1], b2 = (T)p->v[R_B2], eps = (T)p->v[R_EPS];       \
        const T c1 = (T)1 - b1, c2 = (T)1 - b2;                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            T gi = g[i];                                                                                           \
            T mi = m[i] + (gi - m[i]) * c1, vi = v[i] + (gi * gi - v[i]) * c2;                                     \
            m[i] = mi;                                                                                             \
            v[i] = vi;                                                                                             \
            T num = p->nesterov ? gi * c1 + b1 * mi : mi;                                                          \
            w[i] -= num * alpha / (SQRT(vi) + eps);                                                                \
        }                                                                                                          \
    }                                                                                                              \
    /* SparseApplyAdam follows TensorFlow 1.x AdamOptimizer._apply_sparse (not                                   \
     * LazyAdam): m = b1 m + (1 - b1) g and v = b2 v + (1 - b2) g^2 with g = 0 on                                 \
     * untouched rows, and every row of w moves by alpha * m / (sqrt(v) + eps).                                  \
     * So this op touches the whole variable; the others touch only indexed rows. */                             \
    static void adam_sparse_##SFX(const tparams *p, void *wv, void *s0v, void *s1v, const void *gv, int64_t n)    \
    {                                                                                                              \
        T *w = wv, *m = s0v, *v = s1v;                                                                             \
        const T *g = gv, alpha = (T)p->alpha, b1 = (T)p->v[R_B1], b2 = (T)p->v[R_B2], eps = (T)p->v[R_EPS];       \
        const T c1 = (T)1 - b1, c2 = (T)1 - b2;                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                                          \
            T gi = g ? g[i] : (T)0;                                                                                \
            T mi = m[i] * b1 + gi * c1, vi = v[i] * b2 + gi * gi * c2;                                             \
            m[i] = mi;                                                                                             \
            v[i] = vi;                                                                                             \
            T num = p->nesterov ? gi * c1 + b1 * mi : mi;                                                          \
            w[i] -= num * alpha / (SQRT(vi) + eps);                                                                \
        }                                                                                                          \
    }

DEFINE_ROWS(float, f32, sqrtf, powf)
DEFINE_ROWS(double, f64, sqrt, pow)

static row_fn row_for(enum kind kind, bool sparse, tfc_dtype dt)
{
    bool f = dt == TFC_FLOAT;
    switch (kind) {
    case K_GD: return f ? gd_f32 : gd_f64;
    case K_MOMENTUM: return f ? momentum_f32 : momentum_f64;
    case K_ADAGRAD: return f ? adagrad_f32 : adagrad_f64;
    case K_ADAGRAD_V2: return f ? adagrad_v2_f32 : adagrad_v2_f64;
    case K_FTRL: return f ? ftrl_f32 : ftrl_f64;
    case K_FTRL_V2: return f ? ftrl_v2_f32 : ftrl_v2_f64;
    case K_ADAM:
        if (sparse) return f ? adam_sparse_f32 : adam_sparse_f64;
        return f ? adam_f32 : adam_f64;
    }
    return NULL;
}

/* ---- drivers ---- */

#define GRAIN 16384

typedef struct job {
    const tparams *p;
    row_fn fn;
    char *w, *s0, *s1;
    const char *g;
    size_t es;      /* element size */
    int64_t rowlen; /* sparse: elements per row */
    const int64_t *rows;
    const char *const *grows;
} job;

static void dense_chunk(void *arg, int64_t b, int64_t e)
{
    const job *j = arg;
    size_t o = (size_t)b * j->es;
    j->fn(j->p, j->w + o, j->s0 ? j->s0 + o : NULL, j->s1 ? j->s1 + o : NULL, j->g + o, e - b);
}

static void sparse_chunk(void *arg, int64_t b, int64_t e)
{
    const job *j = arg;
    for (int64_t u = b; u < e; u++) {
        size_t o = (size_t)(j->rows[u] * j->rowlen) * j->es;
        j->fn(j->p, j->w + o, j->s0 ? j->s0 + o : NULL, j->s1 ? j->s1 + o : NULL, j->grows[u], j->rowlen);
    }
}

/* Unique rows of a sparse gradient: an open-addressing table from row index
 * to group, in arena scratch (O(k), no dense temporary). Each group's
 * gradient row is the sum of its duplicates, added in position order; a row
 * seen once points into grad itself (no copy). */
typedef struct uniq {
    int64_t cap; /* power of two >= 2k */
    int64_t *keys; /* row index, -1 empty */
    int64_t *group;
    int64_t n;    /* groups */
    int64_t *rows;
    const char **grows;
} uniq;

static inline int64_t uniq_slot(const uniq *u, int64_t idx)
{
    uint64_t h = ((uint64_t)idx * 0x9E3779B97F4A7C15ull) >> 17;
    int64_t m = u->cap - 1, s = (int64_t)(h & (uint64_t)m);
    while (u->keys[s] >= 0 && u->keys[s] != idx) s = (s + 1) & m;
    return s;
}

/* Group of row idx, or -1 when the gradient does not touch it. */
static inline int64_t uniq_find(const uniq *u, int64_t idx)
{
    int64_t s = uniq_slot(u, idx);
    return u->keys[s] < 0 ? -1 : u->group[s];
}

static int64_t index_at(const tfc_tensor *ind, int64_t i)
{
    return ind->dtype == TFC_INT32 ? ((const int32_t *)ind->data)[i] : ((const int64_t *)ind->data)[i];
}

/* Range-checks every index first, so nothing has been written when this fails. */
static tfc_code check_indices(tfci_kctx *k, const tfc_tensor *ind, int64_t dim0)
{
    for (int64_t i = 0; i < ind->n; i++) {
        int64_t v = index_at(ind, i);
        if (v < 0 || v >= dim0)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "indices[%lld] = %lld is out of range [0, %lld) (rows of variable '%s')",
                                   (long long)i, (long long)v, (long long)dim0, k->op->inputs[0].op->name);
    }
    return TFC_OK;
}

static tfc_code unique_rows(tfci_kctx *k, const tfc_tensor *ind, const tfc_tensor *grad, int64_t rowlen, size_t es,
                            uniq *u)
{
    int64_t n = ind->n;
    u->cap = 16;
    while (u->cap < 2 * n) u->cap *= 2;
    u->keys = tfci_kctx_scratch(k, (size_t)u->cap * sizeof *u->keys);
    u->group = tfci_kctx_scratch(k, (size_t)u->cap * sizeof *u->group);
    int64_t *gid = tfci_kctx_scratch(k, (size_t)n * sizeof *gid);
    int64_t *cnt = tfci_kctx_scratch(k, (size_t)n * sizeof *cnt);
    u->rows = tfci_kctx_scratch(k, (size_t)n * sizeof *u->rows);
    u->grows = tfci_kctx_scratch(k, (size_t)n * sizeof *u->grows);
    if (!u->keys || !u->group || !gid || !cnt || !u->rows || !u->grows) return TFC_RESOURCE_EXHAUSTED;
    memset(u->keys, 0xff, (size_t)u->cap * sizeof *u->keys);
    /* pass 1: groups and their sizes */
    int64_t ng = 0, multi = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t idx = index_at(ind, i), s = uniq_slot(u, idx);
        if (u->keys[s] < 0) {
            u->keys[s] = idx;
            u->group[s] = ng;
            u->rows[ng] = idx;
            cnt[ng++] = 0;
        }
        gid[i] = u->group[s];
        if (++cnt[gid[i]] == 2) multi++;
    }
    u->n = ng;
    /* pass 2: gradient rows, summing duplicates into scratch */
    char *sums = multi ? tfci_kctx_scratch(k, (size_t)(multi * rowlen) * es) : NULL;
    if (multi && !sums) return TFC_RESOURCE_EXHAUSTED;
    const char *g = grad->data;
    size_t rb = (size_t)rowlen * es;
    for (int64_t i = 0; i < n; i++) {
        int64_t q = gid[i];
        const char *src = g + (size_t)i * rb;
        if (cnt[q] == 1) {
            u->grows[q] = src;
        } else if (cnt[q] > 1) { /* first of its group: claim a sum row */
            memcpy(sums, src, rb);
            u->grows[q] = sums;
            sums += rb;
            cnt[q] = -1;
        } else if (es == sizeof(float)) {
            float *d = (float *)u->grows[q];
            const float *sv = (const float *)src;
            for (int64_t j = 0; j < rowlen; j++) d[j] += sv[j];
        } else {
            double *d = (double *)u->grows[q];
            const double *sv = (const double *)src;
            for (int64_t j = 0; j < rowlen; j++) d[j] += sv[j];
        }
    }
    return TFC_OK;
}

static bool same_dims(const tfc_tensor *a, const tfc_tensor *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

/* Checks that scalars make sense where TensorFlow's kernels check them (FTRL). */
static tfc_code check_params(tfci_kctx *k, enum kind kind, const tparams *p)
{
    if (kind != K_FTRL && kind != K_FTRL_V2) return TFC_OK;
    if (!(p->v[R_LR] > 0))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "lr must be a positive scalar, got %g", p->v[R_LR]);
    if (!(p->v[R_L1] >= 0))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "l1 regularization strength must be >= 0, got %g", p->v[R_L1]);
    if (!(p->v[R_L2] >= 0))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "l2 regularization strength must be >= 0, got %g", p->v[R_L2]);
    if (kind == K_FTRL_V2 && !(p->v[R_SHRINK] >= 0))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "l2 shrinkage regularization strength must be >= 0, got %g",
                               p->v[R_SHRINK]);
    if (!(p->v[R_LRPOW] <= 0))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "lr_power must be <= 0, got %g", p->v[R_LRPOW]);
    return TFC_OK;
}

static tfc_code k_training(tfci_kctx *k)
{
    const layout *L = layout_of(k->op);
    tfci_op_state *vs = k->ref_state;
    if (!vs || !atomic_load_explicit(&vs->initialized, memory_order_acquire))
        return tfci_kctx_error(k, TFC_FAILED_PRECONDITION, "variable '%s' is uninitialized: run its initializer first",
                               k->op->inputs[0].op->name);
    tfc_tensor *var = vs->value;
    tfc_dtype dt = var->dtype;
    size_t es = dt == TFC_FLOAT ? sizeof(float) : sizeof(double);
    tparams p;
    memset(&p, 0, sizeof p);
    p.nesterov = k->op->ci[1] != 0;
    p.update_slots = k->op->ci[2] != 0;
    char *slot[2] = {NULL, NULL};
    int nslots = 0;
    const tfc_tensor *grad = NULL, *ind = NULL;
    char a[128], b[128], v[128];
    for (int i = 1; i < L->n; i++) {
        const tfc_tensor *t = k->in[i];
        switch (L->role[i]) {
        case R_SLOT:
            if (t->dtype != dt || !same_dims(t, var))
                return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "slot %s is %s %s, the variable is %s %s",
                                       L->names[i], tfc_dtype_name(t->dtype), tfci_shape_str(t->dims, t->rank, a, sizeof a),
                                       tfc_dtype_name(dt), tfci_shape_str(var->dims, var->rank, b, sizeof b));
            /* the slot variable's own storage, aliased by its VariableV2 kernel (see the top) */
            slot[nslots++] = t->data;
            break;
        case R_GRAD: grad = t; break;
        case R_INDICES: ind = t; break;
        default:
            if (t->n != 1 || t->rank != 0)
                return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be a scalar, got shape %s", L->names[i],
                                       tfci_shape_str(t->dims, t->rank, a, sizeof a));
            p.v[L->role[i]] = dt == TFC_FLOAT ? (double)*(const float *)t->data : *(const double *)t->data;
            break;
        }
    }
    tfc_code c = check_params(k, L->kind, &p);
    if (c) return c;
    if (L->kind == K_ADAM) {
        if (dt == TFC_FLOAT)
            p.alpha = (float)p.v[R_LR] * sqrtf(1.0f - (float)p.v[R_B2P]) / (1.0f - (float)p.v[R_B1P]);
        else
            p.alpha = p.v[R_LR] * sqrt(1.0 - p.v[R_B2P]) / (1.0 - p.v[R_B1P]);
    }
    job j = {&p, row_for(L->kind, L->sparse, dt), var->data, slot[0], slot[1], grad->data, es, 0, NULL, NULL};

    if (!L->sparse) {
        if (!same_dims(grad, var))
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "grad has shape %s, the variable '%s' has %s",
                                   tfci_shape_str(grad->dims, grad->rank, a, sizeof a), k->op->inputs[0].op->name,
                                   tfci_shape_str(var->dims, var->rank, b, sizeof b));
        tfci_parallel_for(tfci_kctx_pool(k), var->n, GRAIN, dense_chunk, &j);
        tfci_kctx_alias(k, 0, var);
        return TFC_OK;
    }

    /* sparse: grad is [k, var dims 1..], indices [k] */
    bool ok = ind->rank == 1 && grad->rank == var->rank && grad->dims[0] == ind->dims[0];
    for (int d = 1; ok && d < var->rank; d++) ok = grad->dims[d] == var->dims[d];
    if (!ok)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                               "grad has shape %s and indices %s; for variable '%s' of shape %s they must be "
                               "[k, row dims...] and [k]",
                               tfci_shape_str(grad->dims, grad->rank, a, sizeof a),
                               tfci_shape_str(ind->dims, ind->rank, b, sizeof b), k->op->inputs[0].op->name,
                               tfci_shape_str(var->dims, var->rank, v, sizeof v));
    int64_t dim0 = var->dims[0], nidx = ind->n;
    int64_t rowlen = dim0 > 0 ? var->n / dim0 : 0;
    if ((c = check_indices(k, ind, dim0))) return c;
    j.rowlen = rowlen;
    if (L->kind == K_GD) {
        /* ScatterSub: each row subtracted as it comes, duplicates add (serial: rows may repeat). */
        for (int64_t i = 0; i < nidx; i++)
            j.fn(&p, j.w + (size_t)(index_at(ind, i) * rowlen) * es, NULL, NULL, j.g + (size_t)(i * rowlen) * es,
                 rowlen);
        tfci_kctx_alias(k, 0, var);
        return TFC_OK;
    }
    uniq u;
    if ((c = unique_rows(k, ind, grad, rowlen, es, &u))) return c;
    if (L->kind == K_ADAM) {
        /* every row moves (see adam_sparse); touched ones also take their gradient row */
        for (int64_t r = 0; r < dim0; r++) {
            int64_t q = nidx ? uniq_find(&u, r) : -1;
            size_t o = (size_t)(r * rowlen) * es;
            j.fn(&p, j.w + o, j.s0 + o, j.s1 + o, q >= 0 ? u.grows[q] : NULL, rowlen);
        }
        tfci_kctx_alias(k, 0, var);
        return TFC_OK;
    }
    j.rows = u.rows;
    j.grows = u.grows;
    int64_t grain = rowlen > 0 ? GRAIN / rowlen : GRAIN;
    tfci_parallel_for(tfci_kctx_pool(k), u.n, grain > 0 ? grain : 1, sparse_chunk, &j);
    tfci_kctx_alias(k, 0, var);
    return TFC_OK;
}

#define TRAIN_OP(name, n) {name, n, n, shape_training, k_training, NULL, TFCI_OP_REF_INPUT0 | TFCI_OP_NOT_DIFFERENTIABLE}

const tfci_op_def tfci_training_ops[] = {
    TRAIN_OP("ApplyGradientDescent", 3), TRAIN_OP("SparseApplyGradientDescent", 4),
    TRAIN_OP("ApplyMomentum", 5),        TRAIN_OP("SparseApplyMomentum", 6),
    TRAIN_OP("ApplyAdagrad", 4),         TRAIN_OP("SparseApplyAdagrad", 5),
    TRAIN_OP("ApplyAdagradV2", 5),       TRAIN_OP("SparseApplyAdagradV2", 6),
    TRAIN_OP("ApplyFtrl", 8),            TRAIN_OP("SparseApplyFtrl", 9),
    TRAIN_OP("ApplyFtrlV2", 9),          TRAIN_OP("SparseApplyFtrlV2", 10),
    TRAIN_OP("ApplyAdam", 10),           TRAIN_OP("SparseApplyAdam", 11),
};
const int tfci_training_ops_count = sizeof tfci_training_ops / sizeof tfci_training_ops[0];
