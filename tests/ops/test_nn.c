/* Tests of the nn family: MatMul, BiasAdd, activations, Softmax/LogSoftmax,
 * Dropout: values, static shapes, errors, and float64 finite-difference
 * gradients (first and second order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define EPS 1e-6
#define GTOL 1e-6

/* Asserts the graph's sticky error mentions text. */
#define GRAPH_ERR_HAS(g, text)                                                                                     \
    do {                                                                                                           \
        if (!strstr(tfc_graph_error_message(g), (text)))                                                           \
            fprintf(stderr, "\nexpected '%s' in: %s\n", (text), tfc_graph_error_message(g));                       \
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), (text)));                                        \
    } while (0)

static tfc_graph *new_graph(void)
{
    tfc_graph *g = NULL;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

/* Runs fetches in a session with the given thread count; outs must be freed. */
static void run_n(tfc_graph *g, int threads, const tfc_output *feeds, tfc_tensor *const *vals, int nfeeds,
                  const tfc_output *fetches, tfc_tensor **outs, int nfetches)
{
    TFCT_GRAPH_OK(g);
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = threads;
    tfc_session *s = NULL;
    TFCT_OK(tfc_session_new(g, &o, &s));
    TFCT_OK(tfc_session_run(s, feeds, vals, nfeeds, fetches, outs, nfetches, NULL, 0));
    tfc_session_free(s);
}

/* The run error of fetching y (static shapes passed, the kernel must object). */
static tfc_code run_err(tfc_graph *g, tfc_output y, const tfc_output *feeds, tfc_tensor *const *vals, int n)
{
    TFCT_GRAPH_OK(g);
    tfc_session *s = NULL;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *out = NULL;
    tfc_code c = tfc_session_run(s, feeds, vals, n, &y, &out, 1, NULL, 0);
    CU_ASSERT_PTR_NULL(out);
    tfc_session_free(s);
    return c;
}

static double val(const tfc_tensor *t, int64_t i)
{
    return tfc_tensor_dtype(t) == TFC_DOUBLE ? ((const double *)tfc_tensor_data(t))[i]
                                             : ((const float *)tfc_tensor_data(t))[i];
}

static void expect_values(const tfc_tensor *t, const double *want, int64_t n, double tol)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    for (int64_t i = 0; i < n; i++) {
        double got = val(t, i), w = want[i];
        double err = fabs(got - w) / (fabs(w) > 1 ? fabs(w) : 1);
        if (!(err <= tol)) fprintf(stderr, "\nelement %lld: got %.9g, want %.9g\n", (long long)i, got, w);
        CU_ASSERT(err <= tol);
    }
}

/* A tensor of dtype dt from double values. */
static tfc_tensor *mk(tfc_dtype dt, const double *v, const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    if (dt == TFC_DOUBLE) return tfct_f64(v, dims, rank);
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    tfc_tensor *t = tfct_f32(f, dims, rank);
    free(f);
    return t;
}

static tfc_output cnst(tfc_graph *g, tfc_dtype dt, const double *v, const int64_t *dims, int rank)
{
    tfc_tensor *t = mk(dt, v, dims, rank);
    tfc_output o = tfc_const(g, t, NULL);
    tfc_tensor_free(t);
    return o;
}

/* Deterministic test data in [-1, 1). */
static void fill(double *v, int64_t n, unsigned seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (double)(s >> 8) / 8388608.0 - 1.0;
    }
}

/* ---------------- MatMul ---------------- */

static void test_matmul_values(void)
{
    /* A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]: A B = [[58,64],[139,154]] */
    const double a[6] = {1, 2, 3, 4, 5, 6}, at[6] = {1, 4, 2, 5, 3, 6};
    const double b[6] = {7, 8, 9, 10, 11, 12}, bt[6] = {7, 9, 11, 8, 10, 12};
    const double want[4] = {58, 64, 139, 154};
    int64_t d23[2] = {2, 3}, d32[2] = {3, 2}, d22[2] = {2, 2};
    for (int dt = 0; dt < 2; dt++) {
        tfc_dtype type = dt ? TFC_DOUBLE : TFC_FLOAT;
        for (int mode = 0; mode < 4; mode++) {
            bool ta = mode & 1, tb = mode & 2;
            tfc_graph *g = new_graph();
            tfc_output A = cnst(g, type, ta ? at : a, ta ? d32 : d23, 2);
            tfc_output B = cnst(g, type, tb ? bt : b, tb ? d23 : d32, 2);
            tfc_output C = tfc_matmul(g, A, B, ta, tb, "C");
            TFCT_GRAPH_OK(g);
            CU_ASSERT_STRING_EQUAL(tfc_op_type(C.op), "MatMul");
            CU_ASSERT_EQUAL(tfc_output_dtype(C), type);
            tfct_expect_static_shape(g, C, d22, 2);
            bool attr;
            TFCT_OK(tfc_op_attr_bool(C.op, "transpose_a", &attr));
            CU_ASSERT_EQUAL(attr, ta);
            TFCT_OK(tfc_op_attr_bool(C.op, "transpose_b", &attr));
            CU_ASSERT_EQUAL(attr, tb);
            tfc_tensor *out = tfct_eval(g, C, NULL, NULL, 0);
            CU_ASSERT_EQUAL(tfc_tensor_dtype(out), type);
            expect_values(out, want, 4, 0);
            tfc_tensor_free(out);
            tfc_graph_free(g);
        }
    }
}

/* Every kernel path (tiny loop, gemv for one row / one column, gemm, k = 0,
 * empty) in all transpose modes, against a naive product. */
static void test_matmul_paths(void)
{
    static const int shapes[][3] = {{2, 3, 4}, {1, 50, 40}, {1, 784, 256}, {30, 17, 1}, {1, 5, 1}, {7, 9, 11},
                                    {33, 65, 17}, {64, 128, 10}, {3, 0, 4}, {0, 3, 4}, {4, 3, 0}, {1, 1, 600},
                                    /* skinny blocks with edges, and products split across threads */
                                    {37, 100, 13}, {100, 784, 10}, {100, 300, 256}, {20, 300, 600}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        double *a = malloc(sizeof(double) * (size_t)(m * k + 1)), *b = malloc(sizeof(double) * (size_t)(k * n + 1));
        double *at = malloc(sizeof(double) * (size_t)(m * k + 1)), *bt = malloc(sizeof(double) * (size_t)(k * n + 1));
        double *want = malloc(sizeof(double) * (size_t)(m * n + 1));
        fill(a, m * k, (unsigned)s + 1);
        fill(b, k * n, (unsigned)s + 100);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < k; j++) at[j * m + i] = a[i * k + j];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) bt[j * k + i] = b[i * n + j];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += a[i * k + p] * b[p * n + j];
                want[i * n + j] = acc;
            }
        for (int dt = 0; dt < 2; dt++)
            for (int mode = 0; mode < 4; mode++) {
                bool ta = mode & 1, tb = mode & 2;
                tfc_dtype type = dt ? TFC_DOUBLE : TFC_FLOAT;
                tfc_graph *g = new_graph();
                int64_t da[2] = {ta ? k : m, ta ? m : k}, db[2] = {tb ? n : k, tb ? k : n};
                int64_t unknown[2] = {-1, -1};
                tfc_output A = tfc_placeholder(g, type, unknown, 2, "a");
                tfc_output B = tfc_placeholder(g, type, unknown, 2, "b");
                tfc_output C = tfc_matmul(g, A, B, ta, tb, NULL);
                tfc_tensor *vals[2] = {mk(type, ta ? at : a, da, 2), mk(type, tb ? bt : b, db, 2)};
                tfc_output feeds[2] = {A, B};
                tfc_tensor *out = NULL;
                run_n(g, 2, feeds, vals, 2, &C, &out, 1);
                CU_ASSERT_EQUAL(tfc_tensor_dim(out, 0), m);
                CU_ASSERT_EQUAL(tfc_tensor_dim(out, 1), n);
                expect_values(out, want, (int64_t)m * n, dt ? 1e-12 : 2e-5);
                tfc_tensor_free(out);
                tfc_tensor_free(vals[0]);
                tfc_tensor_free(vals[1]);
                tfc_graph_free(g);
            }
        free(a);
        free(b);
        free(at);
        free(bt);
        free(want);
    }
}

static void test_matmul_shapes(void)
{
    tfc_graph *g = new_graph();
    int64_t d1[2] = {-1, 3}, d2[2] = {3, -1}, d3[2] = {5, -1};
    tfc_output a = tfc_placeholder(g, TFC_FLOAT, d1, 2, "a");
    tfc_output b = tfc_placeholder(g, TFC_FLOAT, d2, 2, "b");
    tfc_output c = tfc_placeholder(g, TFC_FLOAT, d3, 2, "c");
    tfc_output u = tfc_placeholder(g, TFC_FLOAT, NULL, -1, "u");
    int64_t w1[2] = {-1, -1}, w2[2] = {3, 5}, w3[2] = {-1, -1}, w4[2] = {3, 3};
    tfct_expect_static_shape(g, tfc_matmul(g, a, b, false, false, NULL), w1, 2);
    tfct_expect_static_shape(g, tfc_matmul(g, a, c, true, true, NULL), w2, 2);
    tfct_expect_static_shape(g, tfc_matmul(g, u, u, false, false, NULL), w3, 2);
    tfct_expect_static_shape(g, tfc_matmul(g, a, a, true, false, NULL), w4, 2);
    int64_t w5[2] = {-1, 3};
    tfct_expect_static_shape(g, tfc_matmul(g, u, a, false, false, NULL), w5, 2);
    TFCT_GRAPH_OK(g);
    tfc_graph_free(g);
}

static void test_matmul_errors(void)
{
    int64_t d23[2] = {2, 3}, d45[2] = {4, 5}, d3[3] = {2, 3, 4};
    double z[24] = {0};
    /* inner mismatch names both shapes */
    tfc_graph *g = new_graph();
    tfc_matmul(g, cnst(g, TFC_FLOAT, z, d23, 2), cnst(g, TFC_FLOAT, z, d45, 2), false, false, "mm");
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_INVALID_ARGUMENT);
    GRAPH_ERR_HAS(g, "op 'mm' (MatMul)");
    GRAPH_ERR_HAS(g, "inner dimensions do not match");
    GRAPH_ERR_HAS(g, "[2,3]");
    GRAPH_ERR_HAS(g, "[4,5]");
    tfc_graph_free(g);
    /* transposes are taken into account: [2,3]^T x [2,3] is fine, [2,3] x [4,5]^T is not */
    g = new_graph();
    tfc_matmul(g, cnst(g, TFC_FLOAT, z, d23, 2), cnst(g, TFC_FLOAT, z, d23, 2), true, false, NULL);
    TFCT_GRAPH_OK(g);
    tfc_matmul(g, cnst(g, TFC_FLOAT, z, d23, 2), cnst(g, TFC_FLOAT, z, d45, 2), false, true, NULL);
    GRAPH_ERR_HAS(g, "(transposed)");
    tfc_graph_free(g);
    /* rank */
    g = new_graph();
    tfc_matmul(g, cnst(g, TFC_FLOAT, z, d3, 3), cnst(g, TFC_FLOAT, z, d45, 2), false, false, NULL);
    GRAPH_ERR_HAS(g, "must be a matrix (rank 2), got shape [2,3,4]");
    tfc_graph_free(g);
    /* dtypes */
    g = new_graph();
    int32_t iz[6] = {0};
    tfc_output i1 = tfc_const_array(g, TFC_INT32, d23, 2, iz, "ints");
    tfc_matmul(g, i1, i1, true, false, NULL);
    GRAPH_ERR_HAS(g, "must be float32 or float64, got int32");
    tfc_graph_free(g);
    g = new_graph();
    tfc_matmul(g, cnst(g, TFC_FLOAT, z, d23, 2), cnst(g, TFC_DOUBLE, z, d23, 2), true, false, NULL);
    GRAPH_ERR_HAS(g, "must have the same dtype");
    tfc_graph_free(g);
    /* attribute of the wrong kind */
    g = new_graph();
    tfc_op_builder *b = tfc_op_builder_new(g, "MatMul", NULL);
    tfc_output x = cnst(g, TFC_FLOAT, z, d23, 2);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_int(b, "transpose_a", 1);
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("attribute 'transpose_a' must be a bool");
    tfc_graph_free(g);
    /* run-time: unknown static shapes, mismatched values */
    g = new_graph();
    int64_t unk[2] = {-1, -1};
    tfc_output pa = tfc_placeholder(g, TFC_FLOAT, unk, 2, "pa");
    tfc_output pb = tfc_placeholder(g, TFC_FLOAT, NULL, -1, "pb");
    tfc_output y = tfc_matmul(g, pa, pb, false, false, "mm");
    tfc_tensor *vals[2] = {mk(TFC_FLOAT, z, d23, 2), mk(TFC_FLOAT, z, d45, 2)};
    tfc_output feeds[2] = {pa, pb};
    CU_ASSERT_EQUAL(run_err(g, y, feeds, vals, 2), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'mm' (MatMul): inner dimensions do not match: a [2,3] has 3 columns, b [4,5] has 4 rows");
    tfc_tensor_free(vals[1]);
    vals[1] = mk(TFC_FLOAT, z, d3, 3);
    CU_ASSERT_EQUAL(run_err(g, y, feeds, vals, 2), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("inputs must be matrices (rank 2), got shapes [2,3] and [2,3,4]");
    tfc_tensor_free(vals[0]);
    tfc_tensor_free(vals[1]);
    tfc_graph_free(g);
}

static void test_matmul_grad(void)
{
    for (int mode = 0; mode < 4; mode++) {
        bool ta = mode & 1, tb = mode & 2;
        int64_t da[2] = {ta ? 4 : 3, ta ? 3 : 4}, db[2] = {tb ? 2 : 4, tb ? 4 : 2};
        double av[12], bv[8];
        fill(av, 12, 7 + mode);
        fill(bv, 8, 11 + mode);
        for (int wrt = 0; wrt < 2; wrt++) {
            tfc_graph *g = new_graph();
            tfc_output A = tfc_placeholder(g, TFC_DOUBLE, da, 2, "a");
            tfc_output B = tfc_placeholder(g, TFC_DOUBLE, db, 2, "b");
            /* tanh makes sum(y)'s gradient depend on the product's values */
            tfc_output y = tfc_tanh(g, tfc_matmul(g, A, B, ta, tb, NULL), NULL);
            tfc_tensor *at = tfct_f64(av, da, 2), *bt = tfct_f64(bv, db, 2);
            double e = wrt ? tfct_grad_error(g, y, B, bt, &A, &at, 1, EPS)
                           : tfct_grad_error(g, y, A, at, &B, &bt, 1, EPS);
            if (e >= GTOL) fprintf(stderr, "\nmatmul mode %d wrt %d: %g\n", mode, wrt, e);
            CU_ASSERT(e < GTOL);
            tfc_tensor_free(at);
            tfc_tensor_free(bt);
            tfc_graph_free(g);
        }
    }
}

/* ---------------- BiasAdd ---------------- */

static void test_bias_add(void)
{
    for (int dt = 0; dt < 2; dt++) {
        tfc_dtype type = dt ? TFC_DOUBLE : TFC_FLOAT;
        tfc_graph *g = new_graph();
        const double v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, b[3] = {0.5, -1, 100};
        int64_t d223[3] = {2, 2, 3}, d3[1] = {3}, d43[2] = {4, 3};
        tfc_output y3 = tfc_bias_add(g, cnst(g, type, v, d223, 3), cnst(g, type, b, d3, 1), "ba");
        tfc_output y2 = tfc_bias_add(g, cnst(g, type, v, d43, 2), cnst(g, type, b, d3, 1), NULL);
        tfct_expect_static_shape(g, y3, d223, 3);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(y3.op), "BiasAdd");
        const double want[12] = {1.5, 1, 103, 4.5, 4, 106, 7.5, 7, 109, 10.5, 10, 112};
        tfc_tensor *out = tfct_eval(g, y3, NULL, NULL, 0);
        expect_values(out, want, 12, 0);
        tfc_tensor_free(out);
        out = tfct_eval(g, y2, NULL, NULL, 0);
        expect_values(out, want, 12, 0);
        tfc_tensor_free(out);
        tfc_graph_free(g);
    }
    /* a large value split across threads, and BiasAddGrad's blocked column sums */
    tfc_graph *g = new_graph();
    int64_t n = 5000, c = 7, dv[2] = {n, c}, db[1] = {c};
    double *v = malloc(sizeof(double) * (size_t)(n * c)), b[7], colsum[7] = {0};
    fill(v, n * c, 3);
    fill(b, c, 4);
    double *want = malloc(sizeof(double) * (size_t)(n * c));
    for (int64_t i = 0; i < n * c; i++) {
        want[i] = (double)(float)v[i] + (double)(float)b[i % c];
        colsum[i % c] += (double)(float)v[i];
    }
    tfc_output x = cnst(g, TFC_FLOAT, v, dv, 2);
    tfc_output y = tfc_bias_add(g, x, cnst(g, TFC_FLOAT, b, db, 1), NULL);
    tfc_op_builder *bld = tfc_op_builder_new(g, "BiasAddGrad", NULL);
    tfc_op_builder_add_input(bld, x);
    tfc_op *bg;
    TFCT_OK(tfc_op_builder_finish(bld, &bg));
    tfc_output fetches[2] = {y, {bg, 0}};
    tfc_tensor *outs[2];
    run_n(g, 2, NULL, NULL, 0, fetches, outs, 2);
    expect_values(outs[0], want, n * c, 1e-6);
    expect_values(outs[1], colsum, c, 1e-4);
    tfc_tensor_free(outs[0]);
    tfc_tensor_free(outs[1]);
    free(v);
    free(want);
    tfc_graph_free(g);
}

static void test_bias_add_errors(void)
{
    double z[12] = {0};
    int64_t d43[2] = {4, 3}, d4[1] = {4}, d22[2] = {2, 2};
    tfc_graph *g = new_graph();
    tfc_bias_add(g, cnst(g, TFC_FLOAT, z, d43, 2), cnst(g, TFC_FLOAT, z, d4, 1), "ba");
    GRAPH_ERR_HAS(g, "op 'ba' (BiasAdd): bias size 4 does not match the last dimension of value [4,3] (3)");
    tfc_graph_free(g);
    g = new_graph();
    tfc_bias_add(g, cnst(g, TFC_FLOAT, z, d43, 2), cnst(g, TFC_FLOAT, z, d22, 2), "ba");
    GRAPH_ERR_HAS(g, "bias must be a vector (rank 1), got shape [2,2]");
    tfc_graph_free(g);
    g = new_graph();
    tfc_bias_add(g, tfc_const_float(g, 1, NULL), cnst(g, TFC_FLOAT, z, d4, 1), "ba");
    GRAPH_ERR_HAS(g, "value must have rank >= 1");
    tfc_graph_free(g);
    g = new_graph();
    tfc_bias_add(g, cnst(g, TFC_FLOAT, z, d43, 2), cnst(g, TFC_DOUBLE, z, d4, 1), "ba");
    GRAPH_ERR_HAS(g, "must have the same dtype");
    tfc_graph_free(g);
    /* unknown static shapes: the kernel checks */
    g = new_graph();
    int64_t unk2[2] = {-1, -1}, unk1[1] = {-1};
    tfc_output v = tfc_placeholder(g, TFC_FLOAT, unk2, 2, "v");
    tfc_output b = tfc_placeholder(g, TFC_FLOAT, unk1, 1, "b");
    tfc_output y = tfc_bias_add(g, v, b, "ba");
    tfc_output feeds[2] = {v, b};
    tfc_tensor *vals[2] = {mk(TFC_FLOAT, z, d43, 2), mk(TFC_FLOAT, z, d4, 1)};
    CU_ASSERT_EQUAL(run_err(g, y, feeds, vals, 2), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'ba' (BiasAdd): bias of shape [4] does not match the last dimension of value [4,3] (3)");
    tfc_tensor_free(vals[0]);
    tfc_tensor_free(vals[1]);
    tfc_graph_free(g);
}

static void test_bias_add_grad(void)
{
    int64_t dv[3] = {2, 3, 4}, db[1] = {4}, dw[2] = {4, 2};
    double v[24], b[4], w[8];
    fill(v, 24, 21);
    fill(b, 4, 22);
    fill(w, 8, 23);
    for (int wrt = 0; wrt < 2; wrt++) {
        tfc_graph *g = new_graph();
        tfc_output V = tfc_placeholder(g, TFC_DOUBLE, dv, 3, "v");
        tfc_output B = tfc_placeholder(g, TFC_DOUBLE, db, 1, "b");
        tfc_output y = tfc_tanh(g, tfc_bias_add(g, V, B, NULL), NULL);
        tfc_tensor *vt = tfct_f64(v, dv, 3), *bt = tfct_f64(b, db, 1);
        double e = wrt ? tfct_grad_error(g, y, B, bt, &V, &vt, 1, EPS)
                       : tfct_grad_error(g, y, V, vt, &B, &bt, 1, EPS);
        CU_ASSERT(e < GTOL);
        tfc_tensor_free(vt);
        tfc_tensor_free(bt);
        tfc_graph_free(g);
    }
    /* second order: d BiasAddGrad / d dy, with dy = w-weighted ones */
    tfc_graph *g = new_graph();
    int64_t d2[2] = {3, 4};
    tfc_output V = tfc_placeholder(g, TFC_DOUBLE, d2, 2, "v");
    tfc_output B = tfc_placeholder(g, TFC_DOUBLE, db, 1, "b");
    tfc_output W = tfc_placeholder(g, TFC_DOUBLE, dw, 2, "w");
    tfc_output L = tfc_matmul(g, tfc_bias_add(g, V, B, NULL), W, false, false, NULL);
    tfc_output dB;
    TFCT_OK(tfc_graph_add_gradients(g, &L, 1, &B, 1, NULL, &dB));
    tfc_tensor *vals[2] = {tfct_f64(v, d2, 2), tfct_f64(b, db, 1)};
    tfc_output feeds[2] = {V, B};
    tfc_tensor *wt = tfct_f64(w, dw, 2);
    double e = tfct_grad_error(g, dB, W, wt, feeds, vals, 2, EPS);
    CU_ASSERT(e < GTOL);
    tfc_tensor_free(vals[0]);
    tfc_tensor_free(vals[1]);
    tfc_tensor_free(wt);
    tfc_graph_free(g);
}

/* ---------------- activations ---------------- */

typedef tfc_output (*unary_ctor)(tfc_graph *, tfc_output, const char *);
static tfc_output leaky025(tfc_graph *g, tfc_output x, const char *name) { return tfc_leaky_relu(g, x, 0.25f, name); }

static double ref_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double ref_relu(double x) { return x > 0 ? x : 0; }
static double ref_relu6(double x) { return x > 0 ? (x < 6 ? x : 6) : 0; }
static double ref_elu(double x) { return x > 0 ? x : expm1(x); }
static double ref_leaky025(double x) { return x > 0 ? x : 0.25 * x; }
static double ref_softplus(double x) { return x > 30 ? x : log1p(exp(x)); }

typedef struct act {
    const char *type;
    unary_ctor ctor;
    double (*ref)(double);
} act;

static const act acts[] = {
    {"Sigmoid", tfc_sigmoid, ref_sigmoid}, {"Tanh", tfc_tanh, tanh},          {"Relu", tfc_relu, ref_relu},
    {"Relu6", tfc_relu6, ref_relu6},       {"Elu", tfc_elu, ref_elu},         {"LeakyRelu", leaky025, ref_leaky025},
    {"Softplus", tfc_softplus, ref_softplus},
};
#define NACTS (int)(sizeof acts / sizeof acts[0])

static void test_activation_points(void)
{
    /* hand-computed values */
    const double x[9] = {-1000, -3, -1, -0.5, 0, 0.5, 1, 7, 1000};
    const double want[NACTS][9] = {
        {0, 0.04742587317756678, 0.2689414213699951, 0.3775406687981454, 0.5, 0.6224593312018546,
         0.7310585786300049, 0.9990889488055994, 1},
        {-1, -0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0, 0.46211715726000974,
         0.7615941559557649, 0.9999983369439447, 1},
        {0, 0, 0, 0, 0, 0.5, 1, 7, 1000},
        {0, 0, 0, 0, 0, 0.5, 1, 6, 6},
        {-1, -0.950212931632136, -0.6321205588285577, -0.3934693402873666, 0, 0.5, 1, 7, 1000},
        {-250, -0.75, -0.25, -0.125, 0, 0.5, 1, 7, 1000},
        {0, 0.04858735157374206, 0.31326168751822286, 0.47407698418010663, 0.6931471805599453, 0.9740769841801067,
         1.3132616875182228, 7.000911466453774, 1000},
    };
    int64_t d[1] = {9};
    for (int a = 0; a < NACTS; a++)
        for (int dt = 0; dt < 2; dt++) {
            tfc_dtype type = dt ? TFC_DOUBLE : TFC_FLOAT;
            tfc_graph *g = new_graph();
            tfc_output y = acts[a].ctor(g, cnst(g, type, x, d, 1), NULL);
            TFCT_GRAPH_OK(g);
            CU_ASSERT_STRING_EQUAL(tfc_op_type(y.op), acts[a].type);
            CU_ASSERT_EQUAL(tfc_output_dtype(y), type);
            tfct_expect_static_shape(g, y, d, 1);
            tfc_tensor *out = tfct_eval(g, y, NULL, NULL, 0);
            if (tfc_tensor_num_elements(out) == 9)
                for (int i = 0; i < 9; i++) {
                    double got = val(out, i), tol = dt ? 1e-14 : 2e-7;
                    double err = fabs(got - want[a][i]) / (fabs(want[a][i]) > 1 ? fabs(want[a][i]) : 1);
                    if (!(err <= tol))
                        fprintf(stderr, "\n%s(%g) %s: got %.10g, want %.10g\n", acts[a].type, x[i],
                                dt ? "f64" : "f32", got, want[a][i]);
                    CU_ASSERT(err <= tol);
                }
            tfc_tensor_free(out);
            tfc_graph_free(g);
        }
}

/* A dense sweep (vectorized float32 paths, thread split) against libm in double. */
static void test_activation_sweep(void)
{
    int64_t n = 100001, d[2] = {1, n};
    double *x = malloc(sizeof(double) * (size_t)n), *want = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = (double)(float)(-30.0 + 60.0 * (double)i / (double)(n - 1));
    x[n / 2] = 0;
    x[n / 2 + 1] = 1e-6;
    x[n / 2 - 1] = -1e-6;
    for (int a = 0; a < NACTS; a++) {
        for (int64_t i = 0; i < n; i++) want[i] = acts[a].ref(x[i]);
        for (int dt = 0; dt < 2; dt++) {
            tfc_graph *g = new_graph();
            tfc_output y = acts[a].ctor(g, cnst(g, dt ? TFC_DOUBLE : TFC_FLOAT, x, d, 2), NULL);
            tfc_tensor *out = NULL;
            run_n(g, 2, NULL, NULL, 0, &y, &out, 1);
            double worst = 0;
            for (int64_t i = 0; i < n; i++) {
                double w = want[i], got = val(out, i);
                /* relative where values are normal, absolute near zero */
                double err = fabs(got - w) / (fabs(w) > 1e-30 ? fabs(w) : 1);
                if (fabs(w) < 1e-30) err = fabs(got - w) * 1e30;
                if (err > worst) worst = err;
            }
            if (worst > (dt ? 1e-13 : 1e-6))
                fprintf(stderr, "\n%s sweep %s: worst %g\n", acts[a].type, dt ? "f64" : "f32", worst);
            CU_ASSERT(worst <= (dt ? 1e-13 : 1e-6));
            tfc_tensor_free(out);
            tfc_graph_free(g);
        }
    }
    free(x);
    free(want);
}

static void test_activation_errors_and_attrs(void)
{
    tfc_graph *g = new_graph();
    int32_t iv[2] = {1, 2};
    int64_t d[1] = {2};
    tfc_output xi = tfc_const_array(g, TFC_INT32, d, 1, iv, "xi");
    tfc_relu(g, xi, "r");
    GRAPH_ERR_HAS(g, "op 'r' (Relu): input 0 ('xi') must be float32 or float64, got int32");
    tfc_graph_free(g);
    g = new_graph();
    tfc_softmax(g, tfc_const_float(g, 1, NULL), "sm");
    GRAPH_ERR_HAS(g, "op 'sm' (Softmax): logits must have rank >= 1");
    tfc_graph_free(g);
    /* LeakyRelu: alpha attribute, TensorFlow's default 0.2 when absent */
    g = new_graph();
    double xv[2] = {-10, 10};
    tfc_output x = cnst(g, TFC_FLOAT, xv, d, 1);
    tfc_output y = tfc_leaky_relu(g, x, 0.1f, NULL);
    float alpha;
    TFCT_OK(tfc_op_attr_float(y.op, "alpha", &alpha));
    CU_ASSERT_EQUAL(alpha, 0.1f);
    tfc_op_builder *b = tfc_op_builder_new(g, "LeakyRelu", NULL);
    tfc_op_builder_add_input(b, x);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    const double w1[2] = {-1.0f, 10}, w2[2] = {-2.0f, 10};
    tfc_tensor *out = tfct_eval(g, y, NULL, NULL, 0);
    expect_values(out, w1, 2, 1e-7);
    tfc_tensor_free(out);
    out = tfct_eval(g, (tfc_output){op, 0}, NULL, NULL, 0);
    expect_values(out, w2, 2, 1e-7);
    tfc_tensor_free(out);
    tfc_graph_free(g);
}

/* ---------------- softmax ---------------- */

static void test_softmax_values(void)
{
    const double x[6] = {1, 2, 3, 1000, 0, -1000};
    const double sm[6] = {0.09003057317038046, 0.24472847105479764, 0.6652409557748219, 1, 0, 0};
    const double lsm[6] = {-2.40760596444438, -1.40760596444438, -0.40760596444438, 0, -1000, -2000};
    int64_t d[2] = {2, 3};
    for (int dt = 0; dt < 2; dt++) {
        tfc_dtype type = dt ? TFC_DOUBLE : TFC_FLOAT;
        tfc_graph *g = new_graph();
        tfc_output c = cnst(g, type, x, d, 2);
        tfc_output y = tfc_softmax(g, c, NULL), ly = tfc_log_softmax(g, c, NULL);
        tfct_expect_static_shape(g, y, d, 2);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(ly.op), "LogSoftmax");
        tfc_tensor *out = tfct_eval(g, y, NULL, NULL, 0);
        expect_values(out, sm, 6, dt ? 1e-15 : 2e-7);
        for (int i = 0; i < 6; i++) CU_ASSERT(isfinite(val(out, i)));
        tfc_tensor_free(out);
        out = tfct_eval(g, ly, NULL, NULL, 0);
        expect_values(out, lsm, 6, dt ? 1e-15 : 2e-7);
        tfc_tensor_free(out);
        tfc_graph_free(g);
    }
    /* large logits: log_softmax stays finite and exact */
    const double big[3] = {1e4, 1e4 + 1, -1e30};
    const double lbig[3] = {-1.3132616875182228, -0.31326168751822286, -1e30};
    const double sbig[3] = {0.2689414213699951, 0.7310585786300049, 0};
    int64_t d3[1] = {3};
    for (int dt = 0; dt < 2; dt++) {
        tfc_graph *g = new_graph();
        tfc_output c = cnst(g, dt ? TFC_DOUBLE : TFC_FLOAT, big, d3, 1);
        tfc_tensor *out = tfct_eval(g, tfc_log_softmax(g, c, NULL), NULL, NULL, 0);
        expect_values(out, lbig, 3, dt ? 1e-12 : 1e-6);
        tfc_tensor_free(out);
        out = tfct_eval(g, tfc_softmax(g, c, NULL), NULL, NULL, 0);
        expect_values(out, sbig, 3, dt ? 1e-12 : 1e-6);
        tfc_tensor_free(out);
        tfc_graph_free(g);
    }
    /* many rows of 37 classes across threads, against double */
    int64_t rows = 3000, cls = 37, dd[3] = {rows / 3, 3, cls};
    double *v = malloc(sizeof(double) * (size_t)(rows * cls)), *want = malloc(sizeof(double) * (size_t)(rows * cls));
    double *lwant = malloc(sizeof(double) * (size_t)(rows * cls));
    fill(v, rows * cls, 5);
    for (int64_t i = 0; i < rows * cls; i++) v[i] = (double)(float)(v[i] * 20);
    for (int64_t r = 0; r < rows; r++) {
        double mx = -INFINITY, s = 0;
        for (int64_t j = 0; j < cls; j++) mx = fmax(mx, v[r * cls + j]);
        for (int64_t j = 0; j < cls; j++) s += exp(v[r * cls + j] - mx);
        for (int64_t j = 0; j < cls; j++) {
            want[r * cls + j] = exp(v[r * cls + j] - mx) / s;
            lwant[r * cls + j] = v[r * cls + j] - mx - log(s);
        }
    }
    tfc_graph *g = new_graph();
    tfc_output c = cnst(g, TFC_FLOAT, v, dd, 3);
    tfc_output f[2] = {tfc_softmax(g, c, NULL), tfc_log_softmax(g, c, NULL)};
    tfc_tensor *outs[2];
    run_n(g, 2, NULL, NULL, 0, f, outs, 2);
    expect_values(outs[0], want, rows * cls, 1e-6);
    expect_values(outs[1], lwant, rows * cls, 2e-6);
    tfc_tensor_free(outs[0]);
    tfc_tensor_free(outs[1]);
    free(v);
    free(want);
    free(lwant);
    tfc_graph_free(g);
}

/* ---------------- gradients ---------------- */

static tfc_output softmax_ctor(tfc_graph *g, tfc_output x, const char *n) { return tfc_softmax(g, x, n); }
static tfc_output log_softmax_ctor(tfc_graph *g, tfc_output x, const char *n) { return tfc_log_softmax(g, x, n); }

/* d sum(f(x) W) / dx, W a fixed [n, 2] matrix (so softmax's gradient is not trivially 0). */
static double grad_error_of(unary_ctor f, const double *x, int n)
{
    tfc_graph *g = new_graph();
    int64_t dx[2] = {2, n / 2}, dw[2] = {n / 2, 2};
    double w[64];
    fill(w, n, 99);
    tfc_output X = tfc_placeholder(g, TFC_DOUBLE, dx, 2, "x");
    tfc_output y = tfc_matmul(g, f(g, X, NULL), cnst(g, TFC_DOUBLE, w, dw, 2), false, false, NULL);
    tfc_tensor *xt = tfct_f64(x, dx, 2);
    double e = tfct_grad_error(g, y, X, xt, NULL, NULL, 0, EPS);
    tfc_tensor_free(xt);
    tfc_graph_free(g);
    return e;
}

/* Second order. L = f(x) v (x [1,n], v [n,1]); gx = dL/dx depends on x through
 * the grad op's y/features input and on v through its dy input. */
static void grad2_errors(unary_ctor f, const double *x, int n, bool through_x, double *ex, double *ev)
{
    tfc_graph *g = new_graph();
    int64_t dx[2] = {1, n}, dv[2] = {n, 1};
    double v[64];
    fill(v, n, 77);
    tfc_output X = tfc_placeholder(g, TFC_DOUBLE, dx, 2, "x");
    tfc_output V = tfc_placeholder(g, TFC_DOUBLE, dv, 2, "v");
    tfc_output L = tfc_matmul(g, f(g, X, NULL), V, false, false, NULL);
    tfc_output gx;
    TFCT_OK(tfc_graph_add_gradients(g, &L, 1, &X, 1, NULL, &gx));
    tfc_tensor *xt = tfct_f64(x, dx, 2), *vt = tfct_f64(v, dv, 2);
    *ex = through_x ? tfct_grad_error(g, gx, X, xt, &V, &vt, 1, EPS) : 0;
    *ev = tfct_grad_error(g, gx, V, vt, &X, &xt, 1, EPS);
    tfc_tensor_free(xt);
    tfc_tensor_free(vt);
    tfc_graph_free(g);
}

static void test_activation_grads(void)
{
    /* away from the kinks at 0 and 6 */
    const double x[8] = {-2.5, -0.7, -0.1, 0.3, 0.9, 2.2, 5.5, 7.1};
    const act all[] = {
        {"Sigmoid", tfc_sigmoid, NULL},  {"Tanh", tfc_tanh, NULL},   {"Relu", tfc_relu, NULL},
        {"Relu6", tfc_relu6, NULL},      {"Elu", tfc_elu, NULL},     {"LeakyRelu", leaky025, NULL},
        {"Softplus", tfc_softplus, NULL}, {"Softmax", softmax_ctor, NULL}, {"LogSoftmax", log_softmax_ctor, NULL},
    };
    for (size_t a = 0; a < sizeof all / sizeof all[0]; a++) {
        double e = grad_error_of(all[a].ctor, x, 8);
        if (e >= GTOL) fprintf(stderr, "\n%s gradient error %g\n", all[a].type, e);
        CU_ASSERT(e < GTOL);
    }
}

static void test_activation_second_order(void)
{
    const double x[8] = {-2.5, -0.7, -0.1, 0.3, 0.9, 2.2, 5.5, 7.1};
    /* piecewise-linear ones have no second derivative through x (TensorFlow returns none too) */
    const struct {
        const char *type;
        unary_ctor f;
        bool through_x;
    } all[] = {
        {"Sigmoid", tfc_sigmoid, true}, {"Tanh", tfc_tanh, true},      {"Relu", tfc_relu, false},
        {"Relu6", tfc_relu6, false},    {"Elu", tfc_elu, true},        {"LeakyRelu", leaky025, false},
        {"Softplus", tfc_softplus, true}, {"Softmax", softmax_ctor, true}, {"LogSoftmax", log_softmax_ctor, true},
    };
    for (size_t a = 0; a < sizeof all / sizeof all[0]; a++) {
        double ex, ev;
        grad2_errors(all[a].f, x, 8, all[a].through_x, &ex, &ev);
        if (ex >= GTOL || ev >= GTOL) fprintf(stderr, "\n%s second order: x %g, v %g\n", all[a].type, ex, ev);
        CU_ASSERT(ex < GTOL);
        CU_ASSERT(ev < GTOL);
    }
}

/* ---------------- Dropout ---------------- */

static void test_dropout_statistics(void)
{
    int64_t n = 100000, d[1] = {n};
    double *ones = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) ones[i] = 1;
    for (int dt = 0; dt < 2; dt++) {
        tfc_graph *g = new_graph();
        tfc_output y = tfc_dropout(g, cnst(g, dt ? TFC_DOUBLE : TFC_FLOAT, ones, d, 1), 0.3f, 42, "drop");
        CU_ASSERT_STRING_EQUAL(tfc_op_type(y.op), "Dropout");
        CU_ASSERT_EQUAL(tfc_op_num_outputs(y.op), 2);
        tfct_expect_static_shape(g, y, d, 1);
        tfc_output f[2] = {y, {y.op, 1}};
        tfc_tensor *outs[2];
        run_n(g, 2, NULL, NULL, 0, f, outs, 2);
        int64_t kept = 0;
        double scale = dt ? 1.0 / (1.0 - (double)0.3f) : (double)(float)(1.0 / (1.0 - (double)0.3f));
        bool values_ok = true;
        for (int64_t i = 0; i < n; i++) {
            double v = val(outs[0], i);
            if (v != 0) kept++;
            if (!(v == 0 || v == scale) || v != val(outs[1], i)) values_ok = false;
        }
        CU_ASSERT(values_ok);
        double frac = (double)kept / (double)n;
        if (fabs(frac - 0.7) > 0.006) fprintf(stderr, "\nkept fraction %g\n", frac);
        CU_ASSERT(fabs(frac - 0.7) < 0.006); /* 4 standard deviations */
        tfc_tensor_free(outs[0]);
        tfc_tensor_free(outs[1]);
        tfc_graph_free(g);
    }
    /* rate 0 keeps everything unscaled */
    tfc_graph *g = new_graph();
    double xv[3] = {1.5, -2, 3};
    int64_t d3[1] = {3};
    tfc_tensor *out = tfct_eval(g, tfc_dropout(g, cnst(g, TFC_FLOAT, xv, d3, 1), 0.0f, 0, NULL), NULL, NULL, 0);
    expect_values(out, xv, 3, 0);
    tfc_tensor_free(out);
    tfc_graph_free(g);
    free(ones);
}

/* Masks of three consecutive runs of a fresh session. */
static void dropout_masks(tfc_graph *g, tfc_output y, tfc_tensor **masks)
{
    tfc_session *s = NULL;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_output m = {y.op, 1};
    for (int r = 0; r < 3; r++) TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &m, &masks[r], 1, NULL, 0));
    tfc_session_free(s);
}

static bool same_values(const tfc_tensor *a, const tfc_tensor *b)
{
    return tfc_tensor_byte_size(a) == tfc_tensor_byte_size(b) &&
           memcmp(tfc_tensor_data(a), tfc_tensor_data(b), tfc_tensor_byte_size(a)) == 0;
}

static tfc_output dropout_graph(tfc_graph *g, int64_t seed)
{
    int64_t d[1] = {1000};
    double ones[1000];
    for (int i = 0; i < 1000; i++) ones[i] = 1;
    return tfc_dropout(g, cnst(g, TFC_FLOAT, ones, d, 1), 0.5f, seed, NULL);
}

static void test_dropout_reproducible(void)
{
    /* same seed: the same sequence of masks in two sessions; each run a new mask */
    tfc_graph *g = new_graph();
    tfc_output y = dropout_graph(g, 1234);
    TFCT_GRAPH_OK(g);
    tfc_tensor *a[3], *b[3];
    dropout_masks(g, y, a);
    dropout_masks(g, y, b);
    for (int r = 0; r < 3; r++) CU_ASSERT(same_values(a[r], b[r]));
    CU_ASSERT(!same_values(a[0], a[1]));
    CU_ASSERT(!same_values(a[1], a[2]));
    /* another graph, same op seed: same masks; another seed: different ones */
    tfc_graph *g2 = new_graph(), *g3 = new_graph();
    tfc_output y2 = dropout_graph(g2, 1234), y3 = dropout_graph(g3, 999);
    tfc_tensor *c[3], *e[3];
    dropout_masks(g2, y2, c);
    dropout_masks(g3, y3, e);
    CU_ASSERT(same_values(a[0], c[0]));
    CU_ASSERT(!same_values(a[0], e[0]));
    for (int r = 0; r < 3; r++) {
        tfc_tensor_free(a[r]);
        tfc_tensor_free(b[r]);
        tfc_tensor_free(c[r]);
        tfc_tensor_free(e[r]);
    }
    tfc_graph_free(g);
    tfc_graph_free(g2);
    tfc_graph_free(g3);
    /* seed 0: derived from the graph seed */
    tfc_graph *h[3];
    tfc_tensor *m[3][3];
    for (int i = 0; i < 3; i++) {
        h[i] = new_graph();
        tfc_graph_set_seed(h[i], i < 2 ? 77 : 78);
        dropout_masks(h[i], dropout_graph(h[i], 0), m[i]);
    }
    CU_ASSERT(same_values(m[0][0], m[1][0]));
    CU_ASSERT(same_values(m[0][2], m[1][2]));
    CU_ASSERT(!same_values(m[0][0], m[2][0]));
    for (int i = 0; i < 3; i++) {
        for (int r = 0; r < 3; r++) tfc_tensor_free(m[i][r]);
        tfc_graph_free(h[i]);
    }
}

static void test_dropout_grad_and_errors(void)
{
    /* the gradient reuses this run's mask */
    tfc_graph *g = new_graph();
    int64_t d[2] = {50, 40};
    double xv[2000];
    fill(xv, 2000, 9);
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
    tfc_output y = tfc_dropout(g, x, 0.4f, 5, NULL);
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *xt = tfct_f64(xv, d, 2);
    tfc_output f[3] = {y, {y.op, 1}, dx};
    for (int r = 0; r < 2; r++) {
        tfc_tensor *o[3];
        TFCT_OK(tfc_session_run(s, &x, &xt, 1, f, o, 3, NULL, 0));
        bool ok = true;
        for (int i = 0; i < 2000; i++) {
            double mk_ = val(o[1], i);
            if (val(o[2], i) != mk_ || val(o[0], i) != xv[i] * mk_ || !(mk_ == 0 || fabs(mk_ - 1 / 0.6) < 1e-6))
                ok = false;
        }
        CU_ASSERT(ok);
        for (int j = 0; j < 3; j++) tfc_tensor_free(o[j]);
    }
    tfc_tensor_free(xt);
    tfc_session_free(s);
    tfc_graph_free(g);
    /* rate outside [0, 1) */
    const float bad[3] = {1.0f, -0.1f, NAN};
    for (int i = 0; i < 3; i++) {
        g = new_graph();
        tfc_dropout(g, tfc_const_float(g, 1, NULL), bad[i], 0, "drop");
        CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_INVALID_ARGUMENT);
        GRAPH_ERR_HAS(g, "op 'drop' (Dropout): rate must be in [0, 1)");
        tfc_graph_free(g);
    }
    g = new_graph();
    tfc_op_builder *b = tfc_op_builder_new(g, "Dropout", "drop");
    tfc_op_builder_add_input(b, tfc_const_float(g, 1, NULL));
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'drop' (Dropout): missing attribute 'rate'");
    tfc_graph_free(g);
    g = new_graph();
    tfc_dropout(g, tfc_const_int32(g, 1, "i"), 0.5f, 0, "drop");
    GRAPH_ERR_HAS(g, "must be float32 or float64, got int32");
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"matmul_values", test_matmul_values},
        {"matmul_paths", test_matmul_paths},
        {"matmul_shapes", test_matmul_shapes},
        {"matmul_errors", test_matmul_errors},
        {"matmul_grad", test_matmul_grad},
        {"bias_add", test_bias_add},
        {"bias_add_errors", test_bias_add_errors},
        {"bias_add_grad", test_bias_add_grad},
        {"activation_points", test_activation_points},
        {"activation_sweep", test_activation_sweep},
        {"activation_errors_and_attrs", test_activation_errors_and_attrs},
        {"softmax_values", test_softmax_values},
        {"activation_grads", test_activation_grads},
        {"activation_second_order", test_activation_second_order},
        {"dropout_statistics", test_dropout_statistics},
        {"dropout_reproducible", test_dropout_reproducible},
        {"dropout_grad_and_errors", test_dropout_grad_and_errors},
        {NULL, NULL},
    };
    return tfct_main("test_nn", cases);
}
