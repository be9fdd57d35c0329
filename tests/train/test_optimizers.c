/* Optimizers and training ops: every update rule, dense and sparse, against
 * reference formulas written here in double precision (TensorFlow's
 * training_ops.cc, Kingma & Ba for Adam, McMahan et al. 2013 for FTRL),
 * slots, the global step, graph structure, argument and run-time errors,
 * and minimize() on a least-squares problem and an embedding lookup. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tfc/train.h"

/* ---- helpers ---- */

static int64_t count(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/* A constant of dtype dt from doubles. */
static tfc_output cst(tfc_graph *g, tfc_dtype dt, const double *v, const int64_t *dims, int rank, const char *name)
{
    if (dt == TFC_DOUBLE) return tfc_const_array(g, dt, dims, rank, v, name);
    int64_t n = count(dims, rank);
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    tfc_output o = tfc_const_array(g, dt, dims, rank, f, name);
    free(f);
    return o;
}

static tfc_session *new_session(tfc_graph *g, int threads)
{
    tfc_session *s = NULL;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = threads;
    TFCT_OK(tfc_session_new(g, &o, &s));
    return s;
}

static void run_op(tfc_session *s, tfc_op *op) { TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &op, 1)); }

static void init_vars(tfc_session *s, tfc_graph *g)
{
    tfc_op *init = tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    run_op(s, init);
}

/* The variable's values as doubles (caller frees). */
static double *values_of(tfc_session *s, const tfc_op *var, int64_t n)
{
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_session_variable_value(s, var, &t));
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    double *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    for (int64_t i = 0; i < n; i++)
        d[i] = tfc_tensor_dtype(t) == TFC_DOUBLE ? ((double *)tfc_tensor_data(t))[i]
                                                 : (double)((float *)tfc_tensor_data(t))[i];
    tfc_tensor_free(t);
    return d;
}

/* |got - want| <= tol * (1 + |want|) everywhere; exact when exact_zero and want is 0. */
static void expect_values(tfc_session *s, const tfc_op *var, const double *want, int64_t n, double tol,
                          bool exact_zero, const char *what)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(var);
    double *got = values_of(s, var, n);
    for (int64_t i = 0; i < n; i++) {
        bool ok = exact_zero && want[i] == 0.0 ? got[i] == 0.0 : fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i]));
        if (!ok) fprintf(stderr, "\n%s[%lld]: got %.17g, want %.17g\n", what, (long long)i, got[i], want[i]);
        CU_ASSERT_TRUE(ok);
    }
    free(got);
}

static int64_t global_step_value(tfc_session *s, tfc_graph *g)
{
    tfc_output gs;
    TFCT_OK(tfc_train_global_step(g, &gs));
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_session_variable_value(s, gs.op, &t));
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_INT64);
    int64_t v = *(int64_t *)tfc_tensor_data(t);
    tfc_tensor_free(t);
    return v;
}

/* ---- reference update rules (double precision, from the published formulas) ---- */

enum { GD, MOMENTUM, ADAGRAD, FTRL, ADAM };

typedef struct cfg {
    int kind;
    double lr;
    double momentum;
    bool nesterov;
    double init_acc, eps;                  /* Adagrad (eps also Adam), FTRL's init_acc */
    double lr_power, l1, l2, shrink, beta; /* FTRL */
    double b1, b2;                         /* Adam */
} cfg;

typedef struct ref {
    int64_t n;
    double *w, *s0, *s1;
    int t; /* steps taken */
} ref;

static tfc_optimizer *make_opt(const cfg *c)
{
    tfc_optimizer *o = NULL;
    switch (c->kind) {
    case GD: TFCT_OK(tfc_optimizer_gradient_descent_new(c->lr, &o)); break;
    case MOMENTUM: TFCT_OK(tfc_optimizer_momentum_new(c->lr, c->momentum, c->nesterov, &o)); break;
    case ADAGRAD: TFCT_OK(tfc_optimizer_adagrad_new(c->lr, c->init_acc, c->eps, &o)); break;
    case FTRL: {
        tfc_ftrl_options fo = TFC_FTRL_OPTIONS_INIT;
        fo.learning_rate = c->lr;
        fo.learning_rate_power = c->lr_power;
        fo.initial_accumulator_value = c->init_acc;
        fo.l1_regularization_strength = c->l1;
        fo.l2_regularization_strength = c->l2;
        fo.l2_shrinkage_regularization_strength = c->shrink;
        fo.beta = c->beta;
        TFCT_OK(tfc_optimizer_ftrl_new(&fo, &o));
        break;
    }
    case ADAM: TFCT_OK(tfc_optimizer_adam_new(c->lr, c->b1, c->b2, c->eps, &o)); break;
    }
    return o;
}

static void ref_init(ref *r, const cfg *c, const double *w0, int64_t n)
{
    r->n = n;
    r->t = 0;
    r->w = malloc((size_t)n * sizeof(double));
    r->s0 = calloc((size_t)n, sizeof(double));
    r->s1 = calloc((size_t)n, sizeof(double));
    memcpy(r->w, w0, (size_t)n * sizeof(double));
    if (c->kind == ADAGRAD || c->kind == FTRL)
        for (int64_t i = 0; i < n; i++) r->s0[i] = c->init_acc;
}

static void ref_free(ref *r)
{
    free(r->w);
    free(r->s0);
    free(r->s1);
}

/* One step with the (duplicate-summed) gradient g; touched[i] false = element
 * of a row the sparse gradient does not mention. */
static void ref_step(const cfg *c, ref *r, const double *g, const bool *touched)
{
    r->t++;
    for (int64_t i = 0; i < r->n; i++) {
        double gi = g[i], *w = &r->w[i], *a = &r->s0[i], *z = &r->s1[i];
        if (c->kind != ADAM && touched && !touched[i]) continue;
        switch (c->kind) {
        case GD: *w -= c->lr * gi; break;
        case MOMENTUM: /* a = mu a + g; w -= lr a, Nesterov w -= lr (g + mu a) */
            *a = c->momentum * *a + gi;
            *w -= c->nesterov ? c->lr * (gi + c->momentum * *a) : c->lr * *a;
            break;
        case ADAGRAD: /* Duchi et al.: n += g^2; w -= lr g / sqrt(n) (+ eps, Keras) */
            *a += gi * gi;
            *w -= c->lr * gi / (sqrt(*a) + c->eps);
            break;
        case FTRL: {
            /* McMahan et al. 2013, Algorithm 1 with per-coordinate rate n^p / lr
             * (p = -lr_power; 0.5 in the paper), lambda2 = 2 l2 (TensorFlow's
             * convention), beta in the denominator, and TensorFlow's shrinkage
             * term 2 s w added to the gradient of z (FtrlV2). */
            double p = -c->lr_power, nn = *a + gi * gi;
            double sigma = (pow(nn, p) - pow(*a, p)) / c->lr;
            *z += gi + 2 * c->shrink * *w - sigma * *w;
            *a = nn;
            if (fabs(*z) <= c->l1)
                *w = 0;
            else
                *w = -(*z - (*z > 0 ? 1 : -1) * c->l1) / ((c->beta + pow(nn, p)) / c->lr + 2 * c->l2);
            break;
        }
        case ADAM: { /* Kingma & Ba with TensorFlow's epsilon placement (eps-hat) */
            double m = c->b1 * *a + (1 - c->b1) * gi, v = c->b2 * *z + (1 - c->b2) * gi * gi;
            double lr_t = c->lr * sqrt(1 - pow(c->b2, r->t)) / (1 - pow(c->b1, r->t));
            *a = m;
            *z = v;
            *w -= lr_t * m / (sqrt(v) + c->eps);
            break;
        }
        }
    }
}

/* ---- the generic check: a [rows, cols] variable trained by constant gradients ---- */

typedef struct problem {
    tfc_dtype dt;
    int64_t rows, cols; /* cols 0: a vector of rows elements */
    const double *w0;
    const double *grad;     /* dense [rows, cols] or sparse values [k, cols] */
    const int64_t *indices; /* NULL: dense */
    int k;
    bool int32_indices;
    int threads;
    int steps;
    /* optional second sparse gradient; steps alternate between the two */
    const int64_t *idx2;
    const double *grad2;
    int k2;
} problem;

/* A sparse or dense gradient of p as graph constants, with its densified
 * duplicate-summed reference (gsum) and touched mask (NULL when dense). */
static tfc_gradient make_grad(tfc_graph *g, const problem *p, const int64_t *indices, const double *grad, int k,
                              double *gsum, bool **touched)
{
    int rank = p->cols ? 2 : 1;
    int64_t rowlen = p->cols ? p->cols : 1, n = p->rows * rowlen;
    int64_t dims[2] = {p->rows, p->cols};
    tfc_gradient gr;
    memset(&gr, 0, sizeof gr);
    memset(gsum, 0, (size_t)n * sizeof *gsum);
    *touched = NULL;
    if (indices) {
        int64_t kd[1] = {k}, vd[2] = {k, p->cols};
        if (p->int32_indices) {
            int32_t *i32 = malloc((size_t)k * sizeof *i32);
            for (int i = 0; i < k; i++) i32[i] = (int32_t)indices[i];
            gr.indices = tfc_const_array(g, TFC_INT32, kd, 1, i32, "grad_indices");
            free(i32);
        } else {
            gr.indices = tfc_const_array(g, TFC_INT64, kd, 1, indices, "grad_indices");
        }
        gr.values = cst(g, p->dt, grad, vd, rank, "grad_values");
        *touched = calloc((size_t)n, sizeof **touched);
        for (int i = 0; i < k; i++)
            for (int64_t j = 0; j < rowlen; j++) {
                gsum[indices[i] * rowlen + j] += grad[i * rowlen + j];
                (*touched)[indices[i] * rowlen + j] = true;
            }
    } else {
        gr.dense = cst(g, p->dt, grad, dims, rank, "grad");
        memcpy(gsum, grad, (size_t)n * sizeof *gsum);
    }
    return gr;
}

static void check_optimizer(const cfg *c, const problem *p)
{
    int rank = p->cols ? 2 : 1;
    int64_t rowlen = p->cols ? p->cols : 1, n = p->rows * rowlen;
    int64_t dims[2] = {p->rows, p->cols};
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output w = tfc_variable(g, cst(g, p->dt, p->w0, dims, rank, "w0"), "w");
    double *gsum[2] = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double))};
    bool *touched[2] = {NULL, NULL};
    tfc_gradient gr[2];
    gr[0] = make_grad(g, p, p->indices, p->grad, p->k, gsum[0], &touched[0]);
    int ntrain = p->idx2 ? 2 : 1;
    if (p->idx2) gr[1] = make_grad(g, p, p->idx2, p->grad2, p->k2, gsum[1], &touched[1]);
    TFCT_GRAPH_OK(g);
    tfc_optimizer *opt = make_opt(c);
    tfc_op *train[2] = {NULL, NULL};
    for (int t = 0; t < ntrain; t++) {
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr[t], &w, 1, true, &train[t]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(train[t]);
    }
    CU_ASSERT_STRING_EQUAL(tfc_op_name(train[0]), tfc_optimizer_name(opt));
    tfc_session *s = new_session(g, p->threads ? p->threads : 1);
    init_vars(s, g);
    ref r;
    ref_init(&r, c, p->w0, n);
    double tol = p->dt == TFC_DOUBLE ? 1e-12 : 3e-6;
    const char *s0name = c->kind == MOMENTUM ? "momentum" : c->kind == ADAGRAD ? "accumulator" : c->kind == FTRL ? "accum" : "m";
    const char *s1name = c->kind == FTRL ? "linear" : "v";
    for (int step = 0; step < p->steps; step++) {
        /* alternate between the two gradients when there are two */
        int t = step % ntrain;
        run_op(s, train[t]);
        ref_step(c, &r, gsum[t], touched[t]);
        expect_values(s, w.op, r.w, n, tol, c->kind == FTRL, "w");
        if (c->kind != GD) expect_values(s, tfc_optimizer_slot(opt, w.op, s0name), r.s0, n, tol, false, s0name);
        if (c->kind == FTRL || c->kind == ADAM)
            expect_values(s, tfc_optimizer_slot(opt, w.op, s1name), r.s1, n, tol, false, s1name);
        if (c->kind == ADAM) {
            double b1p = pow(c->b1, step + 2), b2p = pow(c->b2, step + 2);
            expect_values(s, tfc_optimizer_slot(opt, w.op, "beta1_power"), &b1p, 1, tol, false, "beta1_power");
            expect_values(s, tfc_optimizer_slot(opt, w.op, "beta2_power"), &b2p, 1, tol, false, "beta2_power");
        }
    }
    CU_ASSERT_EQUAL(global_step_value(s, g), p->steps);
    ref_free(&r);
    for (int t = 0; t < 2; t++) {
        free(gsum[t]);
        free(touched[t]);
    }
    tfc_session_free(s);
    tfc_optimizer_free(opt);
    tfc_graph_free(g);
}

/* Shared data: a [4, 3] variable; sparse rows 2, 0, 2 (row 2 twice, rows 1 and 3 untouched). */
static const double W0[12] = {0.5, -0.3, 1.2, -0.8, 0.25, 0.1, 2.0, -1.5, 0.7, 0.05, -0.45, 0.9};
static const double G[12] = {0.1, -0.2, 0.3, 0.05, -0.4, 0.6, -0.25, 0.15, 0.35, -0.3, 0.2, -0.1};
static const int64_t IDX[3] = {2, 0, 2};
static const double GV[9] = {0.3, -0.1, 0.2, -0.5, 0.4, 0.15, 0.1, 0.25, -0.35};

static void check_all_forms(const cfg *c)
{
    tfc_dtype dts[2] = {TFC_FLOAT, TFC_DOUBLE};
    for (int d = 0; d < 2; d++) {
        problem dense = {.dt = dts[d], .rows = 4, .cols = 3, .w0 = W0, .grad = G, .threads = 1, .steps = 3};
        check_optimizer(c, &dense);
        problem sparse = {.dt = dts[d], .rows = 4, .cols = 3, .w0 = W0, .grad = GV, .indices = IDX, .k = 3,
                          .int32_indices = d == 1, .threads = 1, .steps = 3};
        check_optimizer(c, &sparse);
    }
    /* a vector variable: rows of one element, indices with duplicates and gaps */
    static const int64_t vidx[4] = {5, 1, 5, 5};
    static const double vg[4] = {0.2, -0.3, 0.1, 0.4};
    static const double vw0[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    problem vec = {.dt = TFC_DOUBLE, .rows = 6, .w0 = vw0, .grad = vg, .indices = vidx, .k = 4, .int32_indices = true,
                   .threads = 1, .steps = 2};
    check_optimizer(c, &vec);
    /* rows touched by one step and not the next: momentum and Adam carry
     * state across; the sparse kernels of the others leave such rows alone */
    static const int64_t idx_a[2] = {0, 3}, idx_b[3] = {1, 3, 1};
    static const double ga[6] = {0.2, -0.1, 0.4, 0.3, 0.3, -0.2}, gb[9] = {-0.3, 0.1, 0.2, 0.5, -0.4, 0.1, 0.2, 0.2, 0.2};
    for (int d = 0; d < 2; d++) {
        problem alt = {.dt = dts[d], .rows = 4, .cols = 3, .w0 = W0, .grad = ga, .indices = idx_a, .k = 2,
                       .threads = 1, .steps = 5, .idx2 = idx_b, .grad2 = gb, .k2 = 3};
        check_optimizer(c, &alt);
    }
}

/* ---- per optimizer ---- */

static void test_gradient_descent(void)
{
    cfg c = {.kind = GD, .lr = 0.1};
    check_all_forms(&c);
}

static void test_momentum(void)
{
    cfg c = {.kind = MOMENTUM, .lr = 0.1, .momentum = 0.9};
    check_all_forms(&c);
}

static void test_momentum_nesterov(void)
{
    cfg c = {.kind = MOMENTUM, .lr = 0.05, .momentum = 0.8, .nesterov = true};
    check_all_forms(&c);
}

static void test_adagrad(void)
{
    cfg c = {.kind = ADAGRAD, .lr = 0.1, .init_acc = 0.1};
    check_all_forms(&c);
}

static void test_adagrad_epsilon(void)
{
    cfg c = {.kind = ADAGRAD, .lr = 0.2, .init_acc = 0.05, .eps = 0.1};
    check_all_forms(&c);
}

static void test_ftrl_plain(void)
{
    cfg c = {.kind = FTRL, .lr = 0.2, .lr_power = -0.5, .init_acc = 0.1};
    check_all_forms(&c);
}

static void test_ftrl_l1_l2(void)
{
    cfg c = {.kind = FTRL, .lr = 0.3, .lr_power = -0.5, .init_acc = 0.1, .l1 = 0.05, .l2 = 0.2};
    check_all_forms(&c);
}

static void test_ftrl_l1_zeroes(void)
{
    /* Small gradients keep |z| <= l1 on some coordinates: those weights are exactly 0. */
    static const double w0[4] = {0.0, 0.0, 0.3, -0.2};
    static const double g[4] = {0.01, -0.02, 0.5, -0.6};
    cfg c = {.kind = FTRL, .lr = 0.1, .lr_power = -0.5, .init_acc = 0.1, .l1 = 0.5};
    problem p = {.dt = TFC_FLOAT, .rows = 4, .w0 = w0, .grad = g, .threads = 1, .steps = 3};
    check_optimizer(&c, &p);
    p.dt = TFC_DOUBLE;
    check_optimizer(&c, &p);
    /* and the reference agrees: weights 0 and 1 are 0, 2 and 3 are not */
    ref r;
    ref_init(&r, &c, w0, 4);
    for (int i = 0; i < 3; i++) ref_step(&c, &r, g, NULL);
    CU_ASSERT_EQUAL(r.w[0], 0.0);
    CU_ASSERT_EQUAL(r.w[1], 0.0);
    CU_ASSERT_NOT_EQUAL(r.w[2], 0.0);
    CU_ASSERT_NOT_EQUAL(r.w[3], 0.0);
    ref_free(&r);
}

static void test_ftrl_beta_and_power(void)
{
    cfg c = {.kind = FTRL, .lr = 0.25, .lr_power = -0.7, .init_acc = 0.2, .l1 = 0.02, .l2 = 0.1, .beta = 0.5};
    check_all_forms(&c);
    cfg c0 = {.kind = FTRL, .lr = 0.25, .lr_power = 0.0, .init_acc = 0.2, .l2 = 0.1};
    check_all_forms(&c0);
}

static void test_ftrl_v2_shrinkage(void)
{
    cfg c = {.kind = FTRL, .lr = 0.2, .lr_power = -0.5, .init_acc = 0.1, .l1 = 0.01, .l2 = 0.05, .shrink = 0.3};
    check_all_forms(&c);
    cfg c2 = {.kind = FTRL, .lr = 0.2, .lr_power = -0.6, .init_acc = 0.1, .l2 = 0.05, .shrink = 0.1, .beta = 0.2};
    check_all_forms(&c2);
}

static void test_adam(void)
{
    cfg c = {.kind = ADAM, .lr = 0.01, .b1 = 0.9, .b2 = 0.999, .eps = 1e-8};
    check_all_forms(&c);
    cfg c2 = {.kind = ADAM, .lr = 0.1, .b1 = 0.5, .b2 = 0.7, .eps = 0.01};
    check_all_forms(&c2);
}

/* Large variables take the multithreaded paths of the kernels. */
static void test_large_threaded(void)
{
    int64_t rows = 9000, cols = 5, n = rows * cols;
    double *w0 = malloc((size_t)n * sizeof *w0), *g = malloc((size_t)n * sizeof *g);
    for (int64_t i = 0; i < n; i++) {
        w0[i] = sin((double)i * 0.37);
        g[i] = cos((double)i * 0.11) * 0.5;
    }
    int k = 7000;
    int64_t *idx = malloc((size_t)k * sizeof *idx);
    /* rows 6000.. untouched; i and i + 6000 hit the same row (duplicates) */
    for (int i = 0; i < k; i++) idx[i] = (int64_t)((i * 7919) % 6000);
    cfg cs[3] = {{.kind = ADAGRAD, .lr = 0.1, .init_acc = 0.1},
                 {.kind = FTRL, .lr = 0.2, .lr_power = -0.5, .init_acc = 0.1, .l1 = 0.1, .l2 = 0.01},
                 {.kind = ADAM, .lr = 0.01, .b1 = 0.9, .b2 = 0.999, .eps = 1e-8}};
    for (int i = 0; i < 3; i++) {
        problem dense = {.dt = TFC_FLOAT, .rows = rows, .cols = cols, .w0 = w0, .grad = g, .threads = 4, .steps = 2};
        check_optimizer(&cs[i], &dense);
        problem sparse = {.dt = TFC_FLOAT, .rows = rows, .cols = cols, .w0 = w0, .grad = g, .indices = idx, .k = k,
                          .threads = 4, .steps = 2};
        check_optimizer(&cs[i], &sparse);
    }
    free(w0);
    free(g);
    free(idx);
}

/* ---- graph structure, slots, global step ---- */

static void test_slots_and_structure(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    double w0[2] = {1, 2}, gv[2] = {0.5, -0.5};
    int64_t d[1] = {2};
    tfc_output w = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 1, NULL), "w");
    tfc_output grad = cst(g, TFC_FLOAT, gv, d, 1, "grad");
    TFCT_OK(tfc_graph_push_name_scope(g, "outer"));
    struct {
        cfg c;
        const char *s0, *s1, *n0, *n1, *update;
    } cases[] = {
        {{.kind = ADAGRAD, .lr = 0.1, .init_acc = 0.1}, "accumulator", NULL, "w/Adagrad", NULL, "ApplyAdagrad"},
        {{.kind = FTRL, .lr = 0.1, .lr_power = -0.5, .init_acc = 0.1}, "accum", "linear", "w/Ftrl", "w/Ftrl_1",
         "ApplyFtrl"},
        {{.kind = MOMENTUM, .lr = 0.1, .momentum = 0.5}, "momentum", NULL, "w/Momentum", NULL, "ApplyMomentum"},
        {{.kind = ADAM, .lr = 0.1, .b1 = 0.9, .b2 = 0.99, .eps = 1e-8}, "m", "v", "w/Adam", "w/Adam_1", "ApplyAdam"},
        {{.kind = ADAGRAD, .lr = 0.1, .init_acc = 0.1, .eps = 1e-7}, "accumulator", NULL, "w/Adagrad_1", NULL,
         "ApplyAdagradV2"},
        {{.kind = FTRL, .lr = 0.1, .lr_power = -0.5, .init_acc = 0.1, .shrink = 0.1}, "accum", "linear", "w/Ftrl_2",
         "w/Ftrl_3", "ApplyFtrlV2"},
    };
    tfc_gradient gr = {grad, {NULL, 0}, {NULL, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tfc_optimizer *opt = make_opt(&cases[i].c);
        tfc_op *train;
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, false, &train));
        tfc_op *s0 = tfc_optimizer_slot(opt, w.op, cases[i].s0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s0);
        CU_ASSERT_STRING_EQUAL(tfc_op_name(s0), cases[i].n0);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(s0), "VariableV2");
        CU_ASSERT_FALSE(tfc_variable_trainable(s0));
        CU_ASSERT_PTR_NOT_NULL(tfc_variable_initializer(s0));
        if (cases[i].s1) {
            tfc_op *s1 = tfc_optimizer_slot(opt, w.op, cases[i].s1);
            CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
            CU_ASSERT_STRING_EQUAL(tfc_op_name(s1), cases[i].n1);
            CU_ASSERT_FALSE(tfc_variable_trainable(s1));
        }
        CU_ASSERT_PTR_NULL(tfc_optimizer_slot(opt, w.op, "nonsense"));
        CU_ASSERT_PTR_NULL(tfc_optimizer_slot(opt, grad.op, cases[i].s0));
        /* train op -> update op -> gradients_done -> gradient op */
        const char *oname = tfc_optimizer_name(opt);
        char want[64];
        snprintf(want, sizeof want, "outer/%s", oname);
        if (i < 4) CU_ASSERT_STRING_EQUAL(tfc_op_name(train), want);
        CU_ASSERT_EQUAL(strncmp(tfc_op_name(train), want, strlen(want)), 0);
        tfc_op *update = NULL;
        for (int j = 0; j < tfc_op_num_control_inputs(train); j++)
            if (!strcmp(tfc_op_type(tfc_op_control_input(train, j)), cases[i].update))
                update = tfc_op_control_input(train, j);
        CU_ASSERT_PTR_NOT_NULL_FATAL(update);
        CU_ASSERT_PTR_EQUAL(tfc_op_input(update, 0).op, w.op);
        CU_ASSERT_EQUAL(tfc_op_num_control_inputs(update), 1);
        tfc_op *done = tfc_op_control_input(update, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(done);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(done), "NoOp");
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_op_name(done), "gradients_done"));
        CU_ASSERT_EQUAL(tfc_op_num_control_inputs(done), 1);
        CU_ASSERT_PTR_EQUAL(tfc_op_control_input(done, 0), grad.op);
        if (cases[i].c.kind == ADAM) {
            tfc_op *b1 = tfc_optimizer_slot(opt, w.op, "beta1_power");
            CU_ASSERT_PTR_NOT_NULL_FATAL(b1);
            CU_ASSERT_STRING_EQUAL(tfc_op_name(b1), "beta1_power");
            CU_ASSERT_STRING_EQUAL(tfc_op_name(tfc_optimizer_slot(opt, w.op, "beta2_power")), "beta2_power");
            /* the beta power updates run after the variable update */
            int assigns = 0;
            for (int j = 0; j < tfc_op_num_control_inputs(train); j++) {
                tfc_op *u = tfc_op_control_input(train, j);
                if (strcmp(tfc_op_type(u), "Assign") != 0) continue;
                assigns++;
                bool after = false;
                for (int k = 0; k < tfc_op_num_control_inputs(u); k++) after |= tfc_op_control_input(u, k) == update;
                CU_ASSERT_TRUE(after);
            }
            CU_ASSERT_EQUAL(assigns, 2);
        }
        /* slots are made once per variable */
        tfc_op *train2;
        size_t nvars = tfc_graph_num_variables(g);
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, false, &train2));
        CU_ASSERT_EQUAL(tfc_graph_num_variables(g), nvars);
        CU_ASSERT_PTR_EQUAL(tfc_optimizer_slot(opt, w.op, cases[i].s0), s0);
        tfc_optimizer_free(opt);
    }
    TFCT_OK(tfc_graph_pop_name_scope(g));
    /* only w is trainable */
    size_t trainable = 0;
    for (size_t i = 0; i < tfc_graph_num_variables(g); i++) trainable += tfc_variable_trainable(tfc_graph_variable(g, i));
    CU_ASSERT_EQUAL(trainable, 1);
    tfc_graph_free(g);
}

static void test_global_step(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    TFCT_OK(tfc_graph_push_name_scope(g, "scope"));
    tfc_output gs, gs2;
    TFCT_OK(tfc_train_global_step(g, &gs));
    TFCT_OK(tfc_train_global_step(g, &gs2));
    TFCT_OK(tfc_graph_pop_name_scope(g));
    CU_ASSERT_PTR_EQUAL(gs.op, gs2.op);
    CU_ASSERT_STRING_EQUAL(tfc_op_name(gs.op), "global_step");
    CU_ASSERT_EQUAL(tfc_output_dtype(gs), TFC_INT64);
    CU_ASSERT_FALSE(tfc_variable_trainable(gs.op));
    int64_t dims[TFC_MAX_RANK];
    int rank;
    TFCT_OK(tfc_graph_output_shape(g, gs, dims, &rank));
    CU_ASSERT_EQUAL(rank, 0);

    double w0[1] = {1}, gv[1] = {1};
    int64_t d[1] = {1};
    tfc_output w = tfc_variable(g, cst(g, TFC_DOUBLE, w0, d, 1, NULL), "w");
    tfc_gradient gr = {cst(g, TFC_DOUBLE, gv, d, 1, NULL), {NULL, 0}, {NULL, 0}};
    tfc_optimizer *opt;
    TFCT_OK(tfc_optimizer_gradient_descent_new(0.5, &opt));
    tfc_op *with, *without;
    TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, true, &with));
    TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, false, &without));
    tfc_session *s = new_session(g, 1);
    init_vars(s, g);
    CU_ASSERT_EQUAL(global_step_value(s, g), 0);
    for (int i = 0; i < 3; i++) run_op(s, with);
    CU_ASSERT_EQUAL(global_step_value(s, g), 3);
    run_op(s, without);
    CU_ASSERT_EQUAL(global_step_value(s, g), 3);
    double want = 1 - 4 * 0.5;
    expect_values(s, w.op, &want, 1, 1e-15, false, "w");
    /* the increment runs after the update */
    tfc_op *inc = NULL;
    for (int j = 0; j < tfc_op_num_control_inputs(with); j++)
        if (!strcmp(tfc_op_type(tfc_op_control_input(with, j)), "AssignAdd")) inc = tfc_op_control_input(with, j);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inc);
    CU_ASSERT_PTR_EQUAL(tfc_op_input(inc, 0).op, gs.op);
    CU_ASSERT_EQUAL(tfc_op_num_control_inputs(inc), 1);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(tfc_op_control_input(inc, 0)), "ApplyGradientDescent");
    tfc_session_free(s);
    tfc_optimizer_free(opt);

    CU_ASSERT_EQUAL(tfc_train_global_step(NULL, &gs), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_train_global_step(g, NULL), TFC_INVALID_ARGUMENT);
    tfc_graph_free(g);
}

/* One optimizer object across graphs built one after the other (the second
 * may reuse the first's addresses) and two live graphs at once. */
static void test_optimizer_across_graphs(void)
{
    tfc_optimizer *opt;
    TFCT_OK(tfc_optimizer_adam_new(0.1, 0.9, 0.99, 1e-8, &opt));
    cfg c = {.kind = ADAM, .lr = 0.1, .b1 = 0.9, .b2 = 0.99, .eps = 1e-8};
    tfc_graph *keep = NULL;
    for (int round = 0; round < 3; round++) {
        tfc_graph *g;
        TFCT_OK(tfc_graph_new(&g));
        double w0[3] = {1, 2, 3}, gv[3] = {0.5, -1, 2};
        int64_t d[1] = {3};
        tfc_output w = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 1, NULL), "w");
        tfc_gradient gr = {cst(g, TFC_FLOAT, gv, d, 1, "grad"), {NULL, 0}, {NULL, 0}};
        tfc_op *train;
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, false, &train));
        CU_ASSERT_STRING_EQUAL(tfc_op_name(tfc_optimizer_slot(opt, w.op, "m")), "w/Adam");
        CU_ASSERT_STRING_EQUAL(tfc_op_name(tfc_optimizer_slot(opt, w.op, "beta1_power")), "beta1_power");
        tfc_session *s = new_session(g, 1);
        init_vars(s, g);
        run_op(s, train);
        ref r;
        ref_init(&r, &c, w0, 3);
        ref_step(&c, &r, gv, NULL);
        expect_values(s, w.op, r.w, 3, 3e-6, false, "w");
        expect_values(s, tfc_optimizer_slot(opt, w.op, "v"), r.s1, 3, 3e-6, false, "v");
        ref_free(&r);
        tfc_session_free(s);
        if (round == 0)
            keep = g;
        else
            tfc_graph_free(g);
    }
    tfc_graph_free(keep);
    tfc_optimizer_free(opt);
}

/* One call updating a float32 and a float64 variable (Adam keeps beta powers per dtype). */
static void test_mixed_dtypes(void)
{
    cfg cs[3] = {{.kind = ADAM, .lr = 0.1, .b1 = 0.9, .b2 = 0.99, .eps = 1e-8},
                 {.kind = FTRL, .lr = 0.2, .lr_power = -0.5, .init_acc = 0.1, .l1 = 0.01},
                 {.kind = MOMENTUM, .lr = 0.1, .momentum = 0.9}};
    for (int ci = 0; ci < 3; ci++) {
        tfc_graph *g;
        TFCT_OK(tfc_graph_new(&g));
        double w0[3] = {1, 2, 3}, gv[3] = {0.5, -1, 2};
        int64_t d[1] = {3};
        tfc_output v[2] = {tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 1, NULL), "wf"),
                           tfc_variable(g, cst(g, TFC_DOUBLE, w0, d, 1, NULL), "wd")};
        tfc_gradient gr[2] = {{cst(g, TFC_FLOAT, gv, d, 1, NULL), {NULL, 0}, {NULL, 0}},
                              {cst(g, TFC_DOUBLE, gv, d, 1, NULL), {NULL, 0}, {NULL, 0}}};
        tfc_optimizer *opt = make_opt(&cs[ci]);
        tfc_op *train;
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, gr, v, 2, true, &train));
        tfc_session *s = new_session(g, 1);
        init_vars(s, g);
        ref r;
        ref_init(&r, &cs[ci], w0, 3);
        for (int step = 0; step < 3; step++) {
            run_op(s, train);
            ref_step(&cs[ci], &r, gv, NULL);
            expect_values(s, v[0].op, r.w, 3, 3e-6, false, "wf");
            expect_values(s, v[1].op, r.w, 3, 1e-12, false, "wd");
        }
        if (cs[ci].kind == ADAM) {
            tfc_op *bf = tfc_optimizer_slot(opt, v[0].op, "beta1_power"), *bd = tfc_optimizer_slot(opt, v[1].op, "beta1_power");
            CU_ASSERT_PTR_NOT_NULL_FATAL(bf);
            CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
            CU_ASSERT_PTR_NOT_EQUAL(bf, bd);
            CU_ASSERT_EQUAL(tfc_output_dtype((tfc_output){bd, 0}), TFC_DOUBLE);
        }
        CU_ASSERT_EQUAL(global_step_value(s, g), 3);
        ref_free(&r);
        tfc_session_free(s);
        tfc_optimizer_free(opt);
        tfc_graph_free(g);
    }
}

/* ---- errors ---- */

static void test_argument_validation(void)
{
    tfc_optimizer *o = (tfc_optimizer *)1;
    CU_ASSERT_EQUAL(tfc_optimizer_gradient_descent_new(0, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("GradientDescent optimizer: learning_rate must be");
    CU_ASSERT_PTR_NULL(o);
    CU_ASSERT_EQUAL(tfc_optimizer_gradient_descent_new(NAN, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("learning_rate");
    CU_ASSERT_EQUAL(tfc_optimizer_gradient_descent_new(0.1, NULL), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_optimizer_momentum_new(-1, 0.9, false, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Momentum optimizer: learning_rate");
    CU_ASSERT_EQUAL(tfc_optimizer_momentum_new(0.1, -0.5, false, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Momentum optimizer: momentum must be a finite number >= 0, got -0.5");
    CU_ASSERT_EQUAL(tfc_optimizer_adagrad_new(0.1, 0, 0, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adagrad optimizer: initial_accumulator_value must be a finite number > 0");
    CU_ASSERT_EQUAL(tfc_optimizer_adagrad_new(0.1, 0.1, -1e-7, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adagrad optimizer: epsilon");
    CU_ASSERT_EQUAL(tfc_optimizer_adagrad_new(-0.1, 0.1, 0, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adagrad optimizer: learning_rate");

    struct {
        size_t off;
        double v;
        const char *msg;
    } ftrl[] = {
        {offsetof(tfc_ftrl_options, learning_rate), 0, "Ftrl optimizer: learning_rate"},
        {offsetof(tfc_ftrl_options, learning_rate_power), 0.5, "Ftrl optimizer: learning_rate_power must be a finite number <= 0"},
        {offsetof(tfc_ftrl_options, initial_accumulator_value), 0, "Ftrl optimizer: initial_accumulator_value"},
        {offsetof(tfc_ftrl_options, l1_regularization_strength), -1, "Ftrl optimizer: l1_regularization_strength"},
        {offsetof(tfc_ftrl_options, l2_regularization_strength), -1, "Ftrl optimizer: l2_regularization_strength"},
        {offsetof(tfc_ftrl_options, l2_shrinkage_regularization_strength), -0.1,
         "Ftrl optimizer: l2_shrinkage_regularization_strength"},
        {offsetof(tfc_ftrl_options, beta), -2, "Ftrl optimizer: beta"},
    };
    for (size_t i = 0; i < sizeof ftrl / sizeof ftrl[0]; i++) {
        tfc_ftrl_options fo = TFC_FTRL_OPTIONS_INIT;
        memcpy((char *)&fo + ftrl[i].off, &ftrl[i].v, sizeof(double));
        CU_ASSERT_EQUAL(tfc_optimizer_ftrl_new(&fo, &o), TFC_INVALID_ARGUMENT);
        TFCT_ERR_HAS(ftrl[i].msg);
    }
    tfc_ftrl_options fo = TFC_FTRL_OPTIONS_INIT;
    fo.size = 8;
    CU_ASSERT_EQUAL(tfc_optimizer_ftrl_new(&fo, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("TFC_FTRL_OPTIONS_INIT");
    CU_ASSERT_EQUAL(tfc_optimizer_ftrl_new(NULL, &o), TFC_INVALID_ARGUMENT);

    CU_ASSERT_EQUAL(tfc_optimizer_adam_new(0.1, 1.0, 0.999, 1e-8, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adam optimizer: beta1 must be in [0, 1), got 1");
    CU_ASSERT_EQUAL(tfc_optimizer_adam_new(0.1, 0.9, -0.1, 1e-8, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adam optimizer: beta2");
    CU_ASSERT_EQUAL(tfc_optimizer_adam_new(0.1, 0.9, 0.999, -1, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adam optimizer: epsilon");
    CU_ASSERT_EQUAL(tfc_optimizer_adam_new(0, 0.9, 0.999, 1e-8, &o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adam optimizer: learning_rate");

    /* defaults are accepted; names */
    tfc_ftrl_options good = TFC_FTRL_OPTIONS_INIT;
    TFCT_OK(tfc_optimizer_ftrl_new(&good, &o));
    CU_ASSERT_STRING_EQUAL(tfc_optimizer_name(o), "Ftrl");
    tfc_optimizer_free(o);
    TFCT_OK(tfc_optimizer_adam_new(0.001, 0.9, 0.999, 0, &o));
    CU_ASSERT_STRING_EQUAL(tfc_optimizer_name(o), "Adam");
    tfc_optimizer_free(o);
    TFCT_OK(tfc_optimizer_momentum_new(0.1, 0, true, &o));
    CU_ASSERT_STRING_EQUAL(tfc_optimizer_name(o), "Momentum");
    tfc_optimizer_free(o);
    TFCT_OK(tfc_optimizer_gradient_descent_new(0.1, &o));
    CU_ASSERT_STRING_EQUAL(tfc_optimizer_name(o), "GradientDescent");
    tfc_optimizer_free(o);
    CU_ASSERT_PTR_NULL(tfc_optimizer_name(NULL));
    tfc_optimizer_free(NULL);
}

static void test_apply_errors(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    double w0[2] = {1, 2}, gv[2] = {0.5, -0.5};
    int64_t d[1] = {2};
    tfc_output w = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 1, NULL), "w");
    tfc_output u = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 1, NULL), "u");
    int32_t iv[2] = {1, 2};
    tfc_output iw = tfc_variable(g, tfc_const_array(g, TFC_INT32, d, 1, iv, NULL), "iw");
    tfc_output grad = cst(g, TFC_FLOAT, gv, d, 1, "grad");
    tfc_output grad64 = cst(g, TFC_DOUBLE, gv, d, 1, "grad64");
    TFCT_GRAPH_OK(g);
    tfc_optimizer *opt;
    TFCT_OK(tfc_optimizer_adagrad_new(0.1, 0.1, 0, &opt));
    tfc_op *train = (tfc_op *)1;
    tfc_gradient gr = {grad, {NULL, 0}, {NULL, 0}};
    tfc_gradient none = {{NULL, 0}, {NULL, 0}, {NULL, 0}};

    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &gr, &grad, 1, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adagrad: vars[0] ('grad') is not a variable");
    CU_ASSERT_PTR_NULL(train);
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &gr, &iw, 1, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("variable 'iw' is int32");
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &none, &w, 1, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("Adagrad: no gradient provided for any of the 1 variables");
    tfc_output two[2] = {w, w};
    tfc_gradient grs[2] = {gr, gr};
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, grs, two, 2, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("variable 'w' appears twice");
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 0, false, &train), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(NULL, g, &gr, &w, 1, false, &train), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, false, NULL), TFC_INVALID_ARGUMENT);
    tfc_gradient half = {{NULL, 0}, {NULL, 0}, grad};
    CU_ASSERT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &half, &w, 1, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("needs both values and indices");
    /* a gradient of the wrong dtype fails in the update op, naming it; the graph stays usable */
    tfc_gradient bad = {grad64, {NULL, 0}, {NULL, 0}};
    CU_ASSERT_NOT_EQUAL(tfc_optimizer_apply_gradients(opt, g, &bad, &w, 1, false, &train), TFC_OK);
    TFCT_ERR_HAS("ApplyAdagrad");
    TFCT_ERR_HAS("float64");
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_OK);

    /* a variable without a gradient is skipped */
    tfc_output wu[2] = {w, u};
    tfc_gradient gu[2] = {gr, none};
    TFCT_OK(tfc_optimizer_apply_gradients(opt, g, gu, wu, 2, false, &train));
    CU_ASSERT_PTR_NOT_NULL(tfc_optimizer_slot(opt, w.op, "accumulator"));
    CU_ASSERT_PTR_NULL(tfc_optimizer_slot(opt, u.op, "accumulator"));

    /* minimize errors */
    CU_ASSERT_EQUAL(tfc_optimizer_minimize(opt, g, grad, &grad, 1, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("is not a variable");
    CU_ASSERT_EQUAL(tfc_optimizer_minimize(opt, g, grad, &w, 1, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("none of the 1 variables is connected to the loss 'grad'");
    CU_ASSERT_EQUAL(tfc_optimizer_minimize(opt, g, (tfc_output){NULL, 0}, NULL, 0, false, &train),
                    TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("loss");
    tfc_graph *empty;
    TFCT_OK(tfc_graph_new(&empty));
    tfc_output c = tfc_const_float(empty, 1, "c");
    CU_ASSERT_EQUAL(tfc_optimizer_minimize(opt, empty, c, NULL, 0, false, &train), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("no trainable variables");
    tfc_graph_free(empty);
    tfc_optimizer_free(opt);
    tfc_graph_free(g);
}

static void test_sparse_index_out_of_range(void)
{
    int kinds[5] = {GD, MOMENTUM, ADAGRAD, FTRL, ADAM};
    for (int kk = 0; kk < 5; kk++) {
        tfc_graph *g;
        TFCT_OK(tfc_graph_new(&g));
        int64_t d[2] = {3, 2}, kd[1] = {2}, vd[2] = {2, 2};
        double w0[6] = {1, 2, 3, 4, 5, 6}, gv[4] = {1, 1, 1, 1};
        int64_t idx[2] = {1, 7};
        tfc_output w = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 2, NULL), "w");
        tfc_gradient gr = {{NULL, 0}, tfc_const_array(g, TFC_INT64, kd, 1, idx, "idx"), cst(g, TFC_FLOAT, gv, vd, 2, "v")};
        int64_t nidx[2] = {0, -1};
        tfc_gradient grn = {{NULL, 0}, tfc_const_array(g, TFC_INT64, kd, 1, nidx, "nidx"), gr.values};
        cfg c = {.kind = kinds[kk], .lr = 0.1, .momentum = 0.5, .init_acc = 0.1, .lr_power = -0.5, .b1 = 0.9,
                 .b2 = 0.99, .eps = 1e-8};
        tfc_optimizer *opt = make_opt(&c);
        tfc_op *train, *train_neg;
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &gr, &w, 1, true, &train));
        TFCT_OK(tfc_optimizer_apply_gradients(opt, g, &grn, &w, 1, true, &train_neg));
        tfc_session *s = new_session(g, 1);
        init_vars(s, g);
        CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &train, 1), TFC_INVALID_ARGUMENT);
        TFCT_ERR_HAS("update_w/SparseApply");
        TFCT_ERR_HAS("indices[1] = 7 is out of range [0, 3)");
        CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &train_neg, 1), TFC_INVALID_ARGUMENT);
        TFCT_ERR_HAS("indices[1] = -1 is out of range [0, 3)");
        /* nothing was written */
        expect_values(s, w.op, w0, 6, 0, false, "w");
        CU_ASSERT_EQUAL(global_step_value(s, g), 0);
        tfc_session_free(s);
        tfc_optimizer_free(opt);
        tfc_graph_free(g);
    }
}

/* The training ops built directly: shape-function errors, run-time checks. */
static tfc_code build_op(tfc_graph *g, const char *type, const tfc_output *in, int n, tfc_op **out)
{
    tfc_op_builder *b = tfc_op_builder_new(g, type, NULL);
    tfc_op_builder_add_inputs(b, in, n);
    return tfc_op_builder_finish(b, out);
}

static void test_training_op_errors(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    double w0[4] = {1, 2, 3, 4};
    int64_t d[2] = {2, 2}, d3[1] = {3};
    tfc_output w = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 2, NULL), "w");
    tfc_output acc = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 2, NULL), "acc");
    tfc_output wd = tfc_variable(g, cst(g, TFC_DOUBLE, w0, d, 2, NULL), "wd");
    tfc_output small = tfc_variable(g, cst(g, TFC_FLOAT, w0, d3, 1, NULL), "small");
    tfc_output ws = tfc_variable(g, tfc_const_float(g, 1, NULL), "scalar_var");
    tfc_output lr = tfc_const_float(g, 0.1f, "lr");
    tfc_output lrd = tfc_const_double(g, 0.1, "lrd");
    tfc_output grad = cst(g, TFC_FLOAT, w0, d, 2, "grad");
    tfc_output vec = cst(g, TFC_FLOAT, w0, d3, 1, "vec");
    tfc_output idx = tfc_const_int64(g, 0, "idx0");
    tfc_output a0[4] = {w, lr, grad, idx};
    TFCT_GRAPH_OK(g);
    tfc_op *op;

    CU_ASSERT_EQUAL(build_op(g, "SparseApplyGradientDescent", a0, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 3 (indices) must be a vector, got shape []");
    tfc_output a1[4] = {w, grad, lr, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a1, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 1 (accum) must be a variable (VariableV2) updated in place, got 'grad' (Const)");
    tfc_output a2[4] = {grad, acc, lr, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a2, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 0 must be a variable");
    tfc_output a3[4] = {w, acc, vec, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a3, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 2 (lr) must be a scalar, got shape [3]");
    tfc_output a4[4] = {w, acc, lrd, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a4, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 2 (lr, 'lrd') is float64; the variable is float32");
    tfc_output a5[4] = {w, small, lr, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a5, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("slot accum ('small') has shape [3], the variable has [2,2]");
    tfc_output a6[4] = {w, acc, lr, vec};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a6, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("grad has shape [3], the variable has [2,2]");
    tfc_output a7[4] = {w, w, lr, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyAdagrad", a7, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("are the same variable 'w'");
    int64_t two[2] = {0, 1};
    tfc_output i2 = tfc_const_array(g, TFC_INT64, (int64_t[1]){2}, 1, two, "two");
    tfc_output a8[4] = {ws, lr, lr, i2};
    CU_ASSERT_EQUAL(build_op(g, "SparseApplyGradientDescent", a8, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("rank >= 1");
    tfc_output a9[4] = {w, lr, grad, lr};
    CU_ASSERT_EQUAL(build_op(g, "SparseApplyGradientDescent", a9, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 3 (indices) must be int32 or int64, got float32");
    tfc_output a10[4] = {w, lr, vec, i2};
    CU_ASSERT_EQUAL(build_op(g, "SparseApplyGradientDescent", a10, 4, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("grad has shape [3]");
    tfc_output a11[3] = {wd, lrd, grad};
    CU_ASSERT_EQUAL(build_op(g, "ApplyGradientDescent", a11, 3, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 2 (delta, 'grad') is float32; the variable is float64");
    tfc_output a12[2] = {w, lr};
    CU_ASSERT_EQUAL(build_op(g, "ApplyGradientDescent", a12, 2, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("expected 3 inputs, got 2");

    /* run time: FTRL's scalars are checked like TensorFlow's kernel does; an
     * uninitialized variable is an error, not a crash */
    tfc_output lin = tfc_variable(g, cst(g, TFC_FLOAT, w0, d, 2, NULL), "lin");
    tfc_output neg = tfc_const_float(g, -0.1f, "neg");
    tfc_output zero = tfc_const_float(g, 0, "zero");
    tfc_output half = tfc_const_float(g, -0.5f, "mhalf");
    tfc_output f1[8] = {w, acc, lin, grad, neg, zero, zero, half};
    tfc_op *ftrl_bad_lr;
    TFCT_OK(build_op(g, "ApplyFtrl", f1, 8, &ftrl_bad_lr));
    tfc_output f2[8] = {w, acc, lin, grad, lr, neg, zero, half};
    tfc_op *ftrl_bad_l1;
    TFCT_OK(build_op(g, "ApplyFtrl", f2, 8, &ftrl_bad_l1));
    tfc_output f3[8] = {w, acc, lin, grad, lr, zero, zero, lr};
    tfc_op *ftrl_bad_pow;
    TFCT_OK(build_op(g, "ApplyFtrl", f3, 8, &ftrl_bad_pow));
    tfc_output gd_in[3] = {w, lr, grad};
    tfc_op *gd;
    TFCT_OK(build_op(g, "ApplyGradientDescent", gd_in, 3, &gd));
    CU_ASSERT_STRING_EQUAL(tfc_op_type(gd), "ApplyGradientDescent");
    CU_ASSERT_EQUAL(tfc_op_num_outputs(gd), 1);
    tfc_session *s = new_session(g, 1);
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &gd, 1), TFC_FAILED_PRECONDITION);
    TFCT_ERR_HAS("variable 'w' is uninitialized");
    init_vars(s, g);
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &ftrl_bad_lr, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("(ApplyFtrl): lr must be a positive scalar, got -0.1");
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &ftrl_bad_l1, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("l1 regularization strength must be >= 0");
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &ftrl_bad_pow, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("lr_power must be <= 0");
    /* output 0 is the updated variable itself */
    tfc_tensor *out = NULL;
    tfc_output gdo = {gd, 0};
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &gdo, &out, 1, NULL, 0));
    CU_ASSERT_DOUBLE_EQUAL(((float *)tfc_tensor_data(out))[3], 4 - 0.1 * 4, 1e-6);
    tfc_tensor_free(out);
    double after[4] = {1 - 0.1, 2 - 0.2, 3 - 0.3, 4 - 0.4};
    expect_values(s, w.op, after, 4, 1e-6, false, "w");
    tfc_session_free(s);
    tfc_graph_free(g);
}

/* ---- minimize ---- */

static void least_squares(tfc_optimizer *opt, int steps, double tol)
{
    /* loss = sum((w x + b - y)^2); the normal equations give the solution */
    static const double x[5] = {1, 2, 3, 4, 5}, y[5] = {2.9, 5.2, 6.8, 9.1, 11.2};
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < 5; i++) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
    }
    double w_star = (5 * sxy - sx * sy) / (5 * sxx - sx * sx), b_star = (sy - w_star * sx) / 5;
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t d[1] = {5};
    tfc_output w = tfc_variable(g, tfc_const_double(g, 0, NULL), "w");
    tfc_output b = tfc_variable(g, tfc_const_double(g, 0, NULL), "b");
    /* trainable but not in the loss: minimize skips it */
    tfc_output unused = tfc_variable(g, tfc_const_double(g, 5, NULL), "unused");
    tfc_output xs = tfc_const_array(g, TFC_DOUBLE, d, 1, x, "x");
    tfc_output ys = tfc_const_array(g, TFC_DOUBLE, d, 1, y, "y");
    tfc_output pred = tfc_add(g, tfc_mul(g, w, xs, NULL), b, "pred");
    tfc_output loss = tfc_reduce_sum(g, tfc_square(g, tfc_sub(g, pred, ys, NULL), NULL), NULL, 0, false, "loss");
    TFCT_GRAPH_OK(g);
    tfc_op *train;
    TFCT_OK(tfc_optimizer_minimize(opt, g, loss, NULL, 0, true, &train));
    tfc_session *s = new_session(g, 1);
    init_vars(s, g);
    for (int i = 0; i < steps; i++) run_op(s, train);
    expect_values(s, w.op, &w_star, 1, tol, false, "w");
    expect_values(s, b.op, &b_star, 1, tol, false, "b");
    double five = 5;
    expect_values(s, unused.op, &five, 1, 0, false, "unused");
    CU_ASSERT_PTR_NULL(tfc_optimizer_slot(opt, unused.op, "m"));
    CU_ASSERT_PTR_NULL(tfc_optimizer_slot(opt, unused.op, "accumulator"));
    CU_ASSERT_EQUAL(global_step_value(s, g), steps);
    tfc_session_free(s);
    tfc_graph_free(g);
}

static bool family_ready(void)
{
    /* math/reduce/sparse families are written concurrently; skip cleanly until they exist */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output a = tfc_const_double(g, 2, NULL);
    tfc_output r = tfc_reduce_sum(g, tfc_square(g, tfc_sub(g, tfc_add(g, tfc_mul(g, a, a, NULL), a, NULL), a, NULL), NULL),
                                  NULL, 0, false, NULL);
    bool ok = tfc_graph_status(g) == TFC_OK && r.op;
    tfc_graph_free(g);
    return ok;
}

static void test_minimize_least_squares(void)
{
    if (!family_ready()) {
        CU_FAIL("math/reduce ops are not implemented yet");
        return;
    }
    tfc_optimizer *opt;
    TFCT_OK(tfc_optimizer_gradient_descent_new(0.01, &opt));
    least_squares(opt, 3000, 1e-9);
    tfc_optimizer_free(opt);
    TFCT_OK(tfc_optimizer_momentum_new(0.005, 0.9, false, &opt));
    least_squares(opt, 1500, 1e-9);
    tfc_optimizer_free(opt);
    TFCT_OK(tfc_optimizer_momentum_new(0.005, 0.9, true, &opt));
    least_squares(opt, 1500, 1e-9);
    tfc_optimizer_free(opt);
    TFCT_OK(tfc_optimizer_adam_new(0.05, 0.9, 0.999, 1e-8, &opt));
    least_squares(opt, 3000, 1e-4);
    tfc_optimizer_free(opt);
    TFCT_OK(tfc_optimizer_adagrad_new(1.0, 0.1, 0, &opt));
    least_squares(opt, 4000, 1e-6);
    tfc_optimizer_free(opt);
}

/* minimize through an embedding lookup: the gradient is sparse, so rows the
 * batch does not touch keep their values and slots (FTRL's dense update
 * would set them to 0; Adagrad's accumulator rows stay at the initial value). */
static void test_minimize_embedding_sparse(void)
{
    if (!family_ready()) {
        CU_FAIL("math/reduce ops are not implemented yet");
        return;
    }
    int kinds[3] = {GD, ADAGRAD, FTRL};
    const char *types[3] = {"SparseApplyGradientDescent", "SparseApplyAdagrad", "SparseApplyFtrl"};
    for (int kk = 0; kk < 3; kk++) {
        tfc_graph *g;
        TFCT_OK(tfc_graph_new(&g));
        int64_t pd[2] = {5, 2}, kd[1] = {3}, cd[2] = {2, 2};
        double p0[10] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
        double cv[4] = {1.0, -2.0, 0.5, 3.0};
        int64_t ids[3] = {1, 3, 1}, seg[3] = {0, 0, 1};
        tfc_output params = tfc_variable(g, tfc_const_array(g, TFC_DOUBLE, pd, 2, p0, NULL), "emb");
        tfc_output e = tfc_embedding_lookup_sparse(g, params, tfc_const_array(g, TFC_INT64, kd, 1, ids, "ids"),
                                                   tfc_const_array(g, TFC_INT64, kd, 1, seg, "seg"),
                                                   (tfc_output){NULL, 0}, tfc_const_int64(g, 2, "n"),
                                                   TFC_COMBINER_SUM, "lookup");
        tfc_output loss =
            tfc_reduce_sum(g, tfc_mul(g, e, tfc_const_array(g, TFC_DOUBLE, cd, 2, cv, "c"), NULL), NULL, 0, false, "loss");
        if (tfc_graph_status(g) != TFC_OK) {
            fprintf(stderr, "\nembedding graph: %s\n", tfc_graph_error_message(g));
            CU_FAIL("embedding lookup unavailable");
            tfc_graph_free(g);
            return;
        }
        cfg c = {.kind = kinds[kk], .lr = 0.1, .init_acc = 0.1, .lr_power = -0.5, .l1 = 0.0, .l2 = 0.0};
        tfc_optimizer *opt = make_opt(&c);
        tfc_op *train;
        TFCT_OK(tfc_optimizer_minimize(opt, g, loss, &params, 1, true, &train));
        tfc_op *update = NULL;
        for (int j = 0; j < tfc_op_num_control_inputs(train); j++)
            if (!strncmp(tfc_op_type(tfc_op_control_input(train, j)), "SparseApply", 11))
                update = tfc_op_control_input(train, j);
        CU_ASSERT_PTR_NOT_NULL_FATAL(update);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(update), types[kk]);
        tfc_session *s = new_session(g, 1);
        init_vars(s, g);
        /* d loss / d row1 = c[0] + c[1] (ids 1 in both segments), d / d row3 = c[0] */
        double gsum[10] = {0};
        bool touched[10] = {false};
        for (int j = 0; j < 2; j++) {
            gsum[2 + j] = cv[j] + cv[2 + j];
            gsum[6 + j] = cv[j];
            touched[2 + j] = touched[6 + j] = true;
        }
        ref r;
        ref_init(&r, &c, p0, 10);
        for (int step = 0; step < 3; step++) {
            run_op(s, train);
            ref_step(&c, &r, gsum, touched);
            expect_values(s, params.op, r.w, 10, 1e-12, false, "emb");
            if (kinds[kk] != GD)
                expect_values(s, tfc_optimizer_slot(opt, params.op, kinds[kk] == FTRL ? "accum" : "accumulator"),
                              r.s0, 10, 1e-12, false, "accumulator");
        }
        /* untouched rows 0, 2, 4 are exactly their initial values */
        double *got = values_of(s, params.op, 10);
        for (int i = 0; i < 10; i++)
            if (!touched[i]) CU_ASSERT_EQUAL(got[i], p0[i]);
        free(got);
        ref_free(&r);
        tfc_session_free(s);
        tfc_optimizer_free(opt);
        tfc_graph_free(g);
    }
}

int main(void)
{
    static const tfct_case cases[] = {
        {"gradient_descent", test_gradient_descent},
        {"momentum", test_momentum},
        {"momentum_nesterov", test_momentum_nesterov},
        {"adagrad", test_adagrad},
        {"adagrad_epsilon", test_adagrad_epsilon},
        {"ftrl_plain", test_ftrl_plain},
        {"ftrl_l1_l2", test_ftrl_l1_l2},
        {"ftrl_l1_zeroes", test_ftrl_l1_zeroes},
        {"ftrl_beta_and_power", test_ftrl_beta_and_power},
        {"ftrl_v2_shrinkage", test_ftrl_v2_shrinkage},
        {"adam", test_adam},
        {"large_threaded", test_large_threaded},
        {"slots_and_structure", test_slots_and_structure},
        {"global_step", test_global_step},
        {"optimizer_across_graphs", test_optimizer_across_graphs},
        {"mixed_dtypes", test_mixed_dtypes},
        {"argument_validation", test_argument_validation},
        {"apply_errors", test_apply_errors},
        {"sparse_index_out_of_range", test_sparse_index_out_of_range},
        {"training_op_errors", test_training_op_errors},
        {"minimize_least_squares", test_minimize_least_squares},
        {"minimize_embedding_sparse", test_minimize_embedding_sparse},
        {NULL, NULL},
    };
    return tfct_main("test_optimizers", cases);
}
