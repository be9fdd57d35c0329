/* Tests of the array ops: values against hand-computed results, errors at
 * construction and at run time, and float64 finite-difference gradients. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define EPS 1e-6
#define TOL 1e-6

static tfc_graph *new_graph(void)
{
    tfc_graph *g = NULL;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

static tfc_output cf64(tfc_graph *g, const double *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_DOUBLE, dims, rank, v, NULL);
}
static tfc_output cf32(tfc_graph *g, const float *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_FLOAT, dims, rank, v, NULL);
}
static tfc_output ci32(tfc_graph *g, const int32_t *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_INT32, dims, rank, v, NULL);
}
static tfc_output ci64(tfc_graph *g, const int64_t *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_INT64, dims, rank, v, NULL);
}

static int64_t nelem(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/* 0, 1, 2, ... as doubles. */
static double *iota(double *v, int n)
{
    for (int i = 0; i < n; i++) v[i] = i;
    return v;
}

static void check_dims(const tfc_tensor *t, const int64_t *dims, int rank)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(tfc_tensor_dim(t, i), dims[i]);
}

/* Compares any numeric tensor with expected values (as doubles). */
static void check_values(const tfc_tensor *t, const double *want, int64_t n)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    const void *d = tfc_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        double v = 0;
        switch (tfc_tensor_dtype(t)) {
        case TFC_FLOAT: v = ((const float *)d)[i]; break;
        case TFC_DOUBLE: v = ((const double *)d)[i]; break;
        case TFC_INT32: v = ((const int32_t *)d)[i]; break;
        case TFC_INT64: v = (double)((const int64_t *)d)[i]; break;
        case TFC_INT16: v = ((const int16_t *)d)[i]; break;
        case TFC_INT8: v = ((const int8_t *)d)[i]; break;
        case TFC_UINT8:
        case TFC_BOOL: v = ((const uint8_t *)d)[i]; break;
        default: CU_FAIL("unexpected dtype"); return;
        }
        bool same = v == want[i] || (isnan(v) && isnan(want[i]));
        if (!same) fprintf(stderr, "\nelement %lld: got %g, want %g\n", (long long)i, v, want[i]);
        CU_ASSERT(same);
    }
}

/* Evaluates y (no feeds), checks dtype, shape and values, frees. */
static void expect(tfc_graph *g, tfc_output y, tfc_dtype dt, const int64_t *dims, int rank, const double *want)
{
    tfc_tensor *t = tfct_eval(g, y, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(t), dt);
    check_dims(t, dims, rank);
    check_values(t, want, nelem(dims, rank));
    tfc_tensor_free(t);
}

static void static_shape_is(tfc_graph *g, tfc_output o, const int64_t *dims, int rank)
{
    int64_t d[TFC_MAX_RANK];
    int r;
    TFCT_OK(tfc_graph_output_shape(g, o, d, &r));
    CU_ASSERT_EQUAL_FATAL(r, rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(d[i], dims[i]);
}

/* sum(y * w) for a fixed weight w of y's shape (ydims, or y's static shape
 * when ydims is NULL), so that gradient checks tell the elements apart. */
static tfc_output weighted_as(tfc_graph *g, tfc_output y, const int64_t *ydims, int yrank)
{
    int64_t dims[TFC_MAX_RANK];
    int r = yrank;
    if (ydims) memcpy(dims, ydims, sizeof(int64_t) * (size_t)r);
    else TFCT_OK(tfc_graph_output_shape(g, y, dims, &r));
    CU_ASSERT_FATAL(r >= 0);
    int64_t n = 1;
    for (int i = 0; i < r; i++) {
        CU_ASSERT_FATAL(dims[i] >= 0);
        n *= dims[i];
    }
    double *w = malloc((size_t)(n ? n : 1) * sizeof *w);
    for (int64_t i = 0; i < n; i++) w[i] = 0.5 + 0.37 * (double)((i * 7) % 11);
    tfc_output wc = tfc_const_array(g, TFC_DOUBLE, dims, r, w, NULL);
    free(w);
    return tfc_mul(g, y, wc, NULL);
}

static tfc_output weighted(tfc_graph *g, tfc_output y) { return weighted_as(g, y, NULL, 0); }

static tfc_tensor *value_f64(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = 0.3 * (double)i - 0.1 * (double)((i * 5) % 7);
    tfc_tensor *t = tfct_f64(v, dims, rank);
    free(v);
    return t;
}

/* Checks d sum(w * f(x)) / dx by central differences; y = f(x) has the
 * shape ydims (NULL: its static shape); other placeholders fed as given. */
static void grad_check_ex(tfc_graph *g, tfc_output x, tfc_output y, const int64_t *xdims, int xrank,
                          const int64_t *ydims, int yrank, const tfc_output *feeds, tfc_tensor *const *vals, int n)
{
    TFCT_GRAPH_OK(g);
    tfc_output wy = weighted_as(g, y, ydims, yrank);
    TFCT_GRAPH_OK(g);
    tfc_tensor *xv = value_f64(xdims, xrank);
    double err = tfct_grad_error(g, wy, x, xv, feeds, vals, n, EPS);
    if (err > TOL) fprintf(stderr, "\ngradient error %g\n", err);
    CU_ASSERT(err < TOL);
    tfc_tensor_free(xv);
}

static void grad_check(tfc_graph *g, tfc_output x, tfc_output y, const int64_t *xdims, int xrank)
{
    grad_check_ex(g, x, y, xdims, xrank, NULL, 0, NULL, NULL, 0);
}

/* ---------------------------------------------------------------------- */

static void test_zeros_ones_like(void)
{
    tfc_graph *g = new_graph();
    int64_t d[2] = {2, 3};
    int32_t iv[6] = {1, 2, 3, 4, 5, 6};
    float fv[6] = {1, 2, 3, 4, 5, 6};
    double z[6] = {0}, o[6] = {1, 1, 1, 1, 1, 1};
    expect(g, tfc_zeros_like(g, ci32(g, iv, d, 2), NULL), TFC_INT32, d, 2, z);
    expect(g, tfc_ones_like(g, ci32(g, iv, d, 2), NULL), TFC_INT32, d, 2, o);
    expect(g, tfc_ones_like(g, cf32(g, fv, d, 2), NULL), TFC_FLOAT, d, 2, o);
    expect(g, tfc_zeros_like(g, cf32(g, fv, d, 2), NULL), TFC_FLOAT, d, 2, z);
    uint8_t bv[6] = {0, 1, 0, 1, 1, 0};
    expect(g, tfc_ones_like(g, tfc_const_array(g, TFC_BOOL, d, 2, bv, NULL), NULL), TFC_BOOL, d, 2, o);
    int16_t sv[6] = {0};
    expect(g, tfc_ones_like(g, tfc_const_array(g, TFC_INT16, d, 2, sv, NULL), NULL), TFC_INT16, d, 2, o);
    /* dynamic shape */
    int64_t unk[2] = {-1, 3};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, unk, 2, "p");
    tfc_output ol = tfc_ones_like(g, p, NULL);
    static_shape_is(g, ol, unk, 2);
    tfc_tensor *pv = value_f64(d, 2);
    tfc_tensor *t = tfct_eval(g, ol, &p, &pv, 1);
    check_dims(t, d, 2);
    check_values(t, o, 6);
    tfc_tensor_free(t);
    /* not differentiable: d(x + zeros_like(x) * ones_like(x))/dx is 1 */
    tfc_output y = tfc_add(g, p, tfc_mul(g, tfc_zeros_like(g, p, NULL), tfc_ones_like(g, p, NULL), NULL), NULL);
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &p, 1, NULL, &dx));
    t = tfct_eval(g, dx, &p, &pv, 1);
    check_values(t, o, 6);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_fill(void)
{
    tfc_graph *g = new_graph();
    int64_t d[2] = {2, 2};
    double want[4] = {2.5, 2.5, 2.5, 2.5};
    tfc_output f = tfc_fill(g, d, 2, tfc_const_double(g, 2.5, NULL), "f");
    static_shape_is(g, f, d, 2);
    expect(g, f, TFC_DOUBLE, d, 2, want);
    double w7[4] = {7, 7, 7, 7};
    expect(g, tfc_fill(g, d, 2, tfc_const_int64(g, 7, NULL), NULL), TFC_INT64, d, 2, w7);
    expect(g, tfc_fill(g, NULL, 0, tfc_const_float(g, 3, NULL), NULL), TFC_FLOAT, NULL, 0, (double[]){3});
    /* zeros/ones (state.c) are built on Fill */
    int64_t d3[1] = {3};
    expect(g, tfc_ones(g, TFC_FLOAT, d3, 1, NULL), TFC_FLOAT, d3, 1, (double[]){1, 1, 1});
    expect(g, tfc_zeros(g, TFC_INT32, d3, 1, NULL), TFC_INT32, d3, 1, (double[]){0, 0, 0});
    /* dims computed at run time */
    int64_t sd[1] = {-1};
    tfc_output dims = tfc_placeholder(g, TFC_INT32, sd, 1, "dims");
    tfc_op_builder *b = tfc_op_builder_new(g, "Fill", "fd");
    tfc_op_builder_add_input(b, dims);
    tfc_op_builder_add_input(b, tfc_const_float(g, 1.5f, NULL));
    tfc_op *fop;
    TFCT_OK(tfc_op_builder_finish(b, &fop));
    int32_t dv[3] = {1, 2, 1};
    int64_t three[1] = {3};
    tfc_tensor *dt = tfct_i32(dv, three, 1);
    tfc_tensor *t = tfct_eval(g, tfc_op_output(fop, 0), &dims, &dt, 1);
    check_dims(t, (int64_t[]){1, 2, 1}, 3);
    check_values(t, (double[]){1.5, 1.5}, 2);
    tfc_tensor_free(t);
    dv[1] = -2;
    tfc_tensor_free(dt);
    dt = tfct_i32(dv, three, 1);
    tfct_expect_run_error(g, tfc_op_output(fop, 0), &dims, &dt, 1, TFC_OK, "dims[1] = -2 is negative");
    tfc_tensor_free(dt);
    /* errors at construction */
    int64_t bad[1] = {-3};
    tfc_fill(g, bad, 1, tfc_const_float(g, 1, NULL), "bad");
    tfct_expect_graph_error(g, "is negative");
    tfc_fill(g, d, 2, cf64(g, want, d, 2), "nonscalar");
    tfct_expect_graph_error(g, "value must be a scalar");
    tfc_graph_free(g);
}

static void test_fill_grad(void)
{
    tfc_graph *g = new_graph();
    tfc_output v = tfc_placeholder(g, TFC_DOUBLE, NULL, 0, "v");
    int64_t d[2] = {2, 3};
    grad_check(g, v, tfc_fill(g, d, 2, v, NULL), NULL, 0);
    tfc_graph_free(g);
}

static void test_shape_size(void)
{
    tfc_graph *g = new_graph();
    int64_t d[3] = {2, 1, 3};
    double x[6];
    tfc_output c = cf64(g, iota(x, 6), d, 3);
    int64_t three[1] = {3};
    expect(g, tfc_shape(g, c, TFC_INT32, NULL), TFC_INT32, three, 1, (double[]){2, 1, 3});
    expect(g, tfc_shape(g, c, TFC_INT64, NULL), TFC_INT64, three, 1, (double[]){2, 1, 3});
    expect(g, tfc_size(g, c, TFC_INT32, NULL), TFC_INT32, NULL, 0, (double[]){6});
    expect(g, tfc_size(g, c, TFC_INT64, NULL), TFC_INT64, NULL, 0, (double[]){6});
    int64_t zero[1] = {0};
    expect(g, tfc_shape(g, tfc_const_double(g, 1, NULL), TFC_INT32, NULL), TFC_INT32, zero, 1, NULL);
    /* run-time shapes */
    int64_t unk[2] = {-1, -1};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, unk, 2, "p");
    tfc_output sh = tfc_shape(g, p, TFC_INT64, NULL);
    static_shape_is(g, sh, (int64_t[]){2}, 1);
    int64_t pd[2] = {4, 5};
    tfc_tensor *pv = value_f64(pd, 2);
    tfc_tensor *t = tfct_eval(g, sh, &p, &pv, 1);
    check_values(t, (double[]){4, 5}, 2);
    tfc_tensor_free(t);
    t = tfct_eval(g, tfc_size(g, p, TFC_INT32, NULL), &p, &pv, 1);
    check_values(t, (double[]){20}, 1);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    tfc_shape(g, c, TFC_FLOAT, "bad");
    tfct_expect_graph_error(g, "'out_type' must be int32 or int64");
    /* not differentiable: gradients stop there */
    tfc_output y = tfc_cast(g, tfc_shape(g, p, TFC_INT32, NULL), TFC_DOUBLE, NULL);
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &p, 1, NULL, &dx));
    CU_ASSERT_PTR_NULL(dx.op);
    tfc_graph_free(g);
}

static void test_gather(void)
{
    tfc_graph *g = new_graph();
    int64_t pd[2] = {4, 3};
    double p[12];
    tfc_output params = cf64(g, iota(p, 12), pd, 2);
    int32_t i1[3] = {3, 0, 3};
    int64_t d3[1] = {3};
    tfc_output y = tfc_gather(g, params, ci32(g, i1, d3, 1), 0, "g0");
    static_shape_is(g, y, (int64_t[]){3, 3}, 2);
    expect(g, y, TFC_DOUBLE, (int64_t[]){3, 3}, 2, (double[]){9, 10, 11, 0, 1, 2, 9, 10, 11});
    /* 2-D int64 indices along axis 1 (= -1) */
    int64_t i2[4] = {2, 0, 1, 1};
    int64_t d22[2] = {2, 2};
    y = tfc_gather(g, params, ci64(g, i2, d22, 2), -1, "g1");
    static_shape_is(g, y, (int64_t[]){4, 2, 2}, 3);
    expect(g, y, TFC_DOUBLE, (int64_t[]){4, 2, 2}, 3,
           (double[]){2, 0, 1, 1, 5, 3, 4, 4, 8, 6, 7, 7, 11, 9, 10, 10});
    /* scalar index: one row, rank drops */
    y = tfc_gather(g, params, tfc_const_int64(g, 2, NULL), 0, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){3}, 1, (double[]){6, 7, 8});
    /* float32 single elements (the 4-byte fast path) and int32 params */
    float fv[5] = {10, 11, 12, 13, 14};
    int64_t d5[1] = {5};
    expect(g, tfc_gather(g, cf32(g, fv, d5, 1), ci32(g, i1, d3, 1), 0, NULL), TFC_FLOAT, d3, 1,
           (double[]){13, 10, 13});
    int32_t iv[5] = {10, 11, 12, 13, 14};
    expect(g, tfc_gather(g, ci32(g, iv, d5, 1), ci32(g, i1, d3, 1), 0, NULL), TFC_INT32, d3, 1,
           (double[]){13, 10, 13});
    /* 3-D params along the middle axis */
    int64_t d3d[3] = {2, 3, 2};
    tfc_output p3 = cf64(g, p, d3d, 3);
    int32_t i3[2] = {2, 1};
    int64_t d2[1] = {2};
    expect(g, tfc_gather(g, p3, ci32(g, i3, d2, 1), 1, NULL), TFC_DOUBLE, (int64_t[]){2, 2, 2}, 3,
           (double[]){4, 5, 2, 3, 10, 11, 8, 9});
    /* empty indices */
    int64_t d0[1] = {0};
    expect(g, tfc_gather(g, params, ci32(g, NULL, d0, 1), 0, NULL), TFC_DOUBLE, (int64_t[]){0, 3}, 2, NULL);
    /* out of range at run time, naming the op and the index */
    int64_t u[1] = {-1};
    tfc_output ix = tfc_placeholder(g, TFC_INT32, u, 1, "ix");
    y = tfc_gather(g, params, ix, 0, "gather_rt");
    int32_t badv[3] = {1, 4, 0};
    tfc_tensor *bt = tfct_i32(badv, d3, 1);
    tfct_expect_run_error(g, y, &ix, &bt, 1, TFC_OK, "op 'gather_rt' (GatherV2): indices[1] = 4 is not in [0, 4)");
    tfc_tensor_free(bt);
    badv[1] = -1;
    bt = tfct_i32(badv, d3, 1);
    tfct_expect_run_error(g, y, &ix, &bt, 1, TFC_OK, "indices[1] = -1 is not in [0, 4)");
    tfc_tensor_free(bt);
    /* construction errors */
    tfc_gather(g, params, ci32(g, i1, d3, 1), 2, "badaxis");
    tfct_expect_graph_error(g, "axis 2 is out of range for params of rank 2");
    tfc_gather(g, params, tfc_const_double(g, 1, NULL), 0, "badidx");
    tfct_expect_graph_error(g, "indices (input 1");
    tfc_graph_free(g);
}

/* Strings are gathered and concatenated by shallow copies. */
static void test_strings(void)
{
    tfc_graph *g = new_graph();
    const char *words[4] = {"a", "bb", "ccc", "dddd"};
    int64_t d4[1] = {4}, d22[2] = {2, 2};
    tfc_tensor *st;
    TFCT_OK(tfc_tensor_new_strings(d4, 1, words, NULL, &st));
    tfc_output s = tfc_const(g, st, "s");
    tfc_tensor_free(st);
    int32_t idx[3] = {3, 0, 3};
    int64_t d3[1] = {3};
    tfc_output y = tfc_gather(g, s, ci32(g, idx, d3, 1), 0, NULL);
    tfc_output parts[2] = {y, s};
    tfc_output c = tfc_concat(g, parts, 2, 0, NULL);
    tfc_output r = tfc_reshape(g, tfc_slice(g, c, (int64_t[]){3}, (int64_t[]){4}, 1, NULL), d22, 2, NULL);
    tfc_tensor *t = tfct_eval(g, c, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 7);
    const char *want[7] = {"dddd", "a", "dddd", "a", "bb", "ccc", "dddd"};
    for (int i = 0; i < 7; i++) {
        size_t len;
        const char *p;
        TFCT_OK(tfc_tensor_string(t, i, &p, &len));
        CU_ASSERT(len == strlen(want[i]) && memcmp(p, want[i], len) == 0);
    }
    tfc_tensor_free(t);
    t = tfct_eval(g, r, NULL, NULL, 0);
    check_dims(t, d22, 2);
    size_t len;
    const char *p;
    TFCT_OK(tfc_tensor_string(t, 3, &p, &len));
    CU_ASSERT(len == 4 && memcmp(p, "dddd", 4) == 0);
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_gather_grad_dense(void)
{
    /* axis 1: a dense gradient scattered back */
    tfc_graph *g = new_graph();
    int64_t pd[3] = {2, 4, 3};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, pd, 3, "x");
    int32_t idx[5] = {3, 1, 3, 0, 3};
    int64_t d5[1] = {5};
    grad_check(g, x, tfc_gather(g, x, ci32(g, idx, d5, 1), 1, NULL), pd, 3);
    tfc_graph_free(g);
    /* axis 2 (= -1) with 2-D indices */
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, pd, 3, "x");
    int64_t idx2[4] = {2, 2, 0, 1};
    int64_t d22[2] = {2, 2};
    grad_check(g, x, tfc_gather(g, x, ci64(g, idx2, d22, 2), -1, NULL), pd, 3);
    tfc_graph_free(g);
}

static void test_gather_grad_sparse(void)
{
    tfc_graph *g = new_graph();
    int64_t pd[3] = {5, 2, 2};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, pd, 3, "x");
    int32_t idx[4] = {3, 1, 3, 3};
    int64_t d22[2] = {2, 2};
    tfc_output y = tfc_gather(g, x, ci32(g, idx, d22, 2), 0, NULL);
    tfc_output wy = weighted(g, y);
    TFCT_GRAPH_OK(g);
    tfc_gradient gr;
    TFCT_OK(tfc_graph_add_gradients_sparse(g, &wy, 1, &x, 1, NULL, &gr));
    CU_ASSERT_PTR_NULL(gr.dense.op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.indices.op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.values.op);
    tfc_tensor *xv = value_f64(pd, 3);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_output fetch[2] = {gr.indices, gr.values};
    tfc_tensor *out[2];
    TFCT_OK(tfc_session_run(s, &x, &xv, 1, fetch, out, 2, NULL, 0));
    check_dims(out[0], (int64_t[]){4}, 1);
    check_values(out[0], (double[]){3, 1, 3, 3}, 4);
    check_dims(out[1], (int64_t[]){4, 2, 2}, 3);
    /* the values are the weights w (d(sum w*y)/dy), row by row */
    for (int i = 0; i < 16; i++) TFCT_NEAR(((double *)tfc_tensor_data(out[1]))[i], 0.5 + 0.37 * ((i * 7) % 11), 1e-12);
    tfc_tensor_free(out[0]);
    tfc_tensor_free(out[1]);
    tfc_session_free(s);
    /* the dense form sums duplicates */
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &wy, 1, &x, 1, NULL, &dx));
    tfc_tensor *dv = tfct_eval(g, dx, &x, &xv, 1);
    check_dims(dv, pd, 3);
    const double *d = tfc_tensor_data(dv);
    for (int r = 0; r < 5; r++)
        for (int j = 0; j < 4; j++) {
            double want = 0;
            for (int k = 0; k < 4; k++)
                if (idx[k] == r) want += 0.5 + 0.37 * (((k * 4 + j) * 7) % 11);
            TFCT_NEAR(d[r * 4 + j], want, 1e-12);
        }
    tfc_tensor_free(dv);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
    /* and the finite-difference check through the densified gradient */
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, pd, 3, "x");
    grad_check(g, x, tfc_gather(g, x, ci32(g, idx, d22, 2), 0, NULL), pd, 3);
    tfc_graph_free(g);
    /* unknown row dims: values reshaped at run time */
    g = new_graph();
    int64_t ud[3] = {5, -1, -1};
    x = tfc_placeholder(g, TFC_DOUBLE, ud, 3, "x");
    y = tfc_reduce_sum(g, tfc_gather(g, x, ci32(g, idx, d22, 2), 0, NULL), NULL, 0, false, NULL);
    TFCT_OK(tfc_graph_add_gradients_sparse(g, &y, 1, &x, 1, NULL, &gr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.values.op);
    xv = value_f64(pd, 3);
    dv = tfct_eval(g, gr.values, &x, &xv, 1);
    check_dims(dv, (int64_t[]){4, 2, 2}, 3);
    tfc_tensor_free(dv);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
}

static void test_concat(void)
{
    tfc_graph *g = new_graph();
    double a[6], b[4];
    iota(a, 6);
    for (int i = 0; i < 4; i++) b[i] = 10 + i;
    int64_t da[2] = {2, 3}, db[2] = {2, 2}, dc[2] = {1, 3};
    tfc_output ca = cf64(g, a, da, 2);
    tfc_output xs[2] = {ca, cf64(g, b, db, 2)};
    tfc_output y = tfc_concat(g, xs, 2, 1, NULL);
    static_shape_is(g, y, (int64_t[]){2, 5}, 2);
    expect(g, y, TFC_DOUBLE, (int64_t[]){2, 5}, 2, (double[]){0, 1, 2, 10, 11, 3, 4, 5, 12, 13});
    y = tfc_concat(g, xs, 2, -1, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){2, 5}, 2, (double[]){0, 1, 2, 10, 11, 3, 4, 5, 12, 13});
    /* axis 0 with three values */
    tfc_output ys[3] = {ca, cf64(g, b, dc, 2), ca};
    expect(g, tfc_concat(g, ys, 3, 0, NULL), TFC_DOUBLE, (int64_t[]){5, 3}, 2,
           (double[]){0, 1, 2, 3, 4, 5, 10, 11, 12, 0, 1, 2, 3, 4, 5});
    /* 3-D along the middle; float32 single-element chunks */
    float f1[4] = {1, 2, 3, 4}, f2[2] = {9, 8};
    int64_t d1[3] = {2, 2, 1}, d2[3] = {2, 1, 1};
    tfc_output fs[2] = {cf32(g, f1, d1, 3), cf32(g, f2, d2, 3)};
    expect(g, tfc_concat(g, fs, 2, 1, NULL), TFC_FLOAT, (int64_t[]){2, 3, 1}, 3, (double[]){1, 2, 9, 3, 4, 8});
    /* last axis of 2-D: one element each */
    int64_t d21[2] = {2, 1};
    tfc_output gs[2] = {cf32(g, f2, d21, 2), cf32(g, f2, d21, 2)};
    expect(g, tfc_concat(g, gs, 2, 1, NULL), TFC_FLOAT, (int64_t[]){2, 2}, 2, (double[]){9, 9, 8, 8});
    /* a single value */
    expect(g, tfc_concat(g, &ca, 1, 0, NULL), TFC_DOUBLE, da, 2, a);
    /* int64 vectors (used by the gradient engine for sparse indices) */
    int64_t iv[3] = {5, 6, 7};
    int64_t d3[1] = {3};
    tfc_output is[2] = {ci64(g, iv, d3, 1), ci64(g, iv, d3, 1)};
    expect(g, tfc_concat(g, is, 2, 0, NULL), TFC_INT64, (int64_t[]){6}, 1, (double[]){5, 6, 7, 5, 6, 7});
    /* run-time shapes: a dimension mismatch outside the axis */
    int64_t u[2] = {-1, 3};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, u, 2, "p");
    tfc_output ps[2] = {ca, p};
    y = tfc_concat(g, ps, 2, 1, "cat_rt");
    static_shape_is(g, y, (int64_t[]){2, 6}, 2);
    int64_t pd[2] = {3, 3};
    tfc_tensor *pv = value_f64(pd, 2);
    tfct_expect_run_error(g, y, &p, &pv, 1, TFC_OK, "op 'cat_rt' (ConcatV2): value 1 is float64 [3,3], which does not match");
    tfc_tensor_free(pv);
    /* construction errors */
    tfc_output bad[2] = {ca, cf64(g, b, db, 2)};
    tfc_concat(g, bad, 2, 0, "bad0");
    tfct_expect_graph_error(g, "differs from the others in dimension 1");
    tfc_output mixed[2] = {ca, cf32(g, f1, (int64_t[]){2, 2}, 2)};
    tfc_concat(g, mixed, 2, 1, "mixed");
    tfct_expect_graph_error(g, "must have the same dtype");
    tfc_concat(g, xs, 2, 2, "badaxis");
    tfct_expect_graph_error(g, "axis 2 is out of range for rank 2");
    tfc_output sc[2] = {tfc_const_double(g, 1, NULL), tfc_const_double(g, 2, NULL)};
    tfc_concat(g, sc, 2, 0, "scalars");
    tfct_expect_graph_error(g, "cannot concatenate scalars");
    tfc_graph_free(g);
}

static void test_concat_grad(void)
{
    tfc_graph *g = new_graph();
    int64_t da[3] = {2, 2, 3}, db[3] = {2, 1, 3};
    tfc_output a = tfc_placeholder(g, TFC_DOUBLE, da, 3, "a");
    tfc_output b = cf64(g, (double[]){1, 2, 3, 4, 5, 6}, db, 3);
    tfc_output xs[3] = {b, a, b};
    grad_check(g, a, tfc_concat(g, xs, 3, 1, NULL), da, 3);
    tfc_graph_free(g);
    /* last axis of 2-D */
    g = new_graph();
    int64_t dx[2] = {3, 2};
    a = tfc_placeholder(g, TFC_DOUBLE, dx, 2, "a");
    tfc_output c = cf64(g, (double[]){1, 2, 3}, (int64_t[]){3, 1}, 2);
    tfc_output ys[2] = {a, c};
    grad_check(g, a, tfc_concat(g, ys, 2, -1, NULL), dx, 2);
    tfc_graph_free(g);
}

static void test_reshape(void)
{
    tfc_graph *g = new_graph();
    double x[12];
    int64_t d34[2] = {3, 4};
    tfc_output c = cf64(g, iota(x, 12), d34, 2);
    int64_t want[3] = {2, 3, 2};
    tfc_output y = tfc_reshape(g, c, (int64_t[]){2, -1, 2}, 3, NULL);
    static_shape_is(g, y, want, 3);
    expect(g, y, TFC_DOUBLE, want, 3, x);
    expect(g, tfc_reshape(g, c, (int64_t[]){-1}, 1, NULL), TFC_DOUBLE, (int64_t[]){12}, 1, x);
    expect(g, tfc_reshape(g, tfc_const_double(g, 4, NULL), (int64_t[]){1, 1}, 2, NULL), TFC_DOUBLE,
           (int64_t[]){1, 1}, 2, (double[]){4});
    /* aliasing: the reshaped output of a fed tensor shares its buffer in the run;
     * a run-time shape with -1 */
    int64_t u[2] = {-1, 4};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, u, 2, "p");
    int64_t sd[1] = {2};
    tfc_output shp = tfc_placeholder(g, TFC_INT64, sd, 1, "shp");
    tfc_output r = tfc_reshape_to(g, p, shp, "rt");
    static_shape_is(g, r, (int64_t[]){-1, -1}, 2);
    tfc_tensor *pv = value_f64(d34, 2);
    int64_t sv[2] = {-1, 6};
    tfc_tensor *svt = tfct_i64(sv, sd, 1);
    tfc_output feeds[2] = {p, shp};
    tfc_tensor *vals[2] = {pv, svt};
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *out;
    TFCT_OK(tfc_session_run(s, feeds, vals, 2, &r, &out, 1, NULL, 0));
    check_dims(out, (int64_t[]){2, 6}, 2);
    CU_ASSERT_EQUAL(memcmp(tfc_tensor_data(out), tfc_tensor_data(pv), 96), 0);
    tfc_tensor_free(out);
    tfc_tensor_free(svt);
    sv[1] = 5;
    svt = tfct_i64(sv, sd, 1);
    vals[1] = svt;
    CU_ASSERT_EQUAL(tfc_session_run(s, feeds, vals, 2, &r, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'rt' (Reshape): cannot reshape a tensor of 12 elements into shape [-1,5]");
    tfc_tensor_free(svt);
    sv[0] = 3;
    sv[1] = 3;
    svt = tfct_i64(sv, sd, 1);
    vals[1] = svt;
    CU_ASSERT_EQUAL(tfc_session_run(s, feeds, vals, 2, &r, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("cannot reshape a tensor of 12 elements into shape [3,3] (9 elements)");
    tfc_tensor_free(svt);
    tfc_session_free(s);
    tfc_tensor_free(pv);
    /* static errors */
    tfc_reshape(g, c, (int64_t[]){5, 2}, 2, "bad");
    tfct_expect_graph_error(g, "cannot reshape a tensor of 12 elements into shape [5,2] (10 elements)");
    tfc_reshape(g, c, (int64_t[]){-1, -1}, 2, "bad2");
    tfct_expect_graph_error(g, "more than one -1");
    tfc_reshape(g, c, (int64_t[]){5, -1}, 2, "bad3");
    tfct_expect_graph_error(g, "cannot reshape a tensor of 12 elements into shape [5,-1]");
    tfc_reshape(g, c, (int64_t[]){-2, 6}, 2, "bad4");
    tfct_expect_graph_error(g, "shape[0] = -2 is negative");
    /* a partially known input keeps -1 unknown */
    y = tfc_reshape(g, p, (int64_t[]){-1, 2}, 2, NULL);
    static_shape_is(g, y, (int64_t[]){-1, 2}, 2);
    tfc_graph_free(g);
}

static void test_expand_squeeze(void)
{
    tfc_graph *g = new_graph();
    double x[6];
    int64_t d23[2] = {2, 3};
    tfc_output c = cf64(g, iota(x, 6), d23, 2);
    tfc_output e0 = tfc_expand_dims(g, c, 0, NULL);
    static_shape_is(g, e0, (int64_t[]){1, 2, 3}, 3);
    expect(g, e0, TFC_DOUBLE, (int64_t[]){1, 2, 3}, 3, x);
    expect(g, tfc_expand_dims(g, c, -1, NULL), TFC_DOUBLE, (int64_t[]){2, 3, 1}, 3, x);
    expect(g, tfc_expand_dims(g, c, 1, NULL), TFC_DOUBLE, (int64_t[]){2, 1, 3}, 3, x);
    expect(g, tfc_expand_dims(g, tfc_const_double(g, 2, NULL), 0, NULL), TFC_DOUBLE, (int64_t[]){1}, 1,
           (double[]){2});
    tfc_expand_dims(g, c, 3, "bad");
    tfct_expect_graph_error(g, "dim 3 is out of range [-3, 2]");
    /* squeeze */
    int64_t d[4] = {1, 2, 1, 3};
    tfc_output c4 = cf64(g, x, d, 4);
    tfc_output s = tfc_squeeze(g, c4, NULL, 0, NULL);
    static_shape_is(g, s, d23, 2);
    expect(g, s, TFC_DOUBLE, d23, 2, x);
    expect(g, tfc_squeeze(g, c4, (int64_t[]){-2}, 1, NULL), TFC_DOUBLE, (int64_t[]){1, 2, 3}, 3, x);
    expect(g, tfc_squeeze(g, c4, (int64_t[]){0, 2}, 2, NULL), TFC_DOUBLE, d23, 2, x);
    tfc_squeeze(g, c4, (int64_t[]){1}, 1, "bad");
    tfct_expect_graph_error(g, "cannot squeeze dimension 1 of size 2");
    tfc_squeeze(g, c4, (int64_t[]){4}, 1, "bad2");
    tfct_expect_graph_error(g, "squeeze_dims[0] = 4 is out of range for rank 4");
    /* unknown dims: decided at run time */
    int64_t u[3] = {-1, -1, 3};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, u, 3, "p");
    tfc_output sq = tfc_squeeze(g, p, NULL, 0, NULL);
    tfc_output sq1 = tfc_squeeze(g, p, (int64_t[]){1}, 1, "sq1");
    static_shape_is(g, sq1, (int64_t[]){-1, 3}, 2);
    int64_t pd[3] = {2, 1, 3};
    tfc_tensor *pv = value_f64(pd, 3);
    tfc_tensor *t = tfct_eval(g, sq, &p, &pv, 1);
    check_dims(t, d23, 2);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    int64_t pd2[3] = {1, 2, 3};
    pv = value_f64(pd2, 3);
    tfct_expect_run_error(g, sq1, &p, &pv, 1, TFC_OK, "op 'sq1' (Squeeze): cannot squeeze dimension 1 of size 2");
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_reshape_grads(void)
{
    int64_t d[2] = {2, 3};
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
    grad_check(g, x, tfc_reshape(g, x, (int64_t[]){3, 1, 2}, 3, NULL), d, 2);
    tfc_graph_free(g);
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
    grad_check(g, x, tfc_expand_dims(g, x, 1, NULL), d, 2);
    tfc_graph_free(g);
    int64_t d4[3] = {2, 1, 3};
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d4, 3, "x");
    grad_check(g, x, tfc_squeeze(g, x, NULL, 0, NULL), d4, 3);
    tfc_graph_free(g);
    /* unknown input shape: the gradient reshapes with the run-time shape */
    g = new_graph();
    int64_t u[2] = {-1, 3};
    x = tfc_placeholder(g, TFC_DOUBLE, u, 2, "x");
    tfc_output y = tfc_reshape(g, x, (int64_t[]){6}, 1, NULL);
    grad_check(g, x, y, d, 2);
    tfc_graph_free(g);
}

static void test_slice(void)
{
    tfc_graph *g = new_graph();
    double x[24];
    int64_t d[3] = {2, 3, 4};
    tfc_output c = cf64(g, iota(x, 24), d, 3);
    tfc_output y = tfc_slice(g, c, (int64_t[]){1, 0, 1}, (int64_t[]){1, 2, -1}, 3, NULL);
    static_shape_is(g, y, (int64_t[]){1, 2, 3}, 3);
    expect(g, y, TFC_DOUBLE, (int64_t[]){1, 2, 3}, 3, (double[]){13, 14, 15, 17, 18, 19});
    /* whole rows: one block */
    expect(g, tfc_slice(g, c, (int64_t[]){0, 1, 0}, (int64_t[]){2, 2, 4}, 3, NULL), TFC_DOUBLE,
           (int64_t[]){2, 2, 4}, 3, (double[]){4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23});
    /* empty */
    expect(g, tfc_slice(g, c, (int64_t[]){0, 3, 0}, (int64_t[]){2, 0, 4}, 3, NULL), TFC_DOUBLE,
           (int64_t[]){2, 0, 4}, 3, NULL);
    /* 1-D int32 */
    int32_t iv[5] = {1, 2, 3, 4, 5};
    expect(g, tfc_slice(g, ci32(g, iv, (int64_t[]){5}, 1), (int64_t[]){2}, (int64_t[]){-1}, 1, NULL), TFC_INT32,
           (int64_t[]){3}, 1, (double[]){3, 4, 5});
    /* errors */
    tfc_slice(g, c, (int64_t[]){0, 2, 0}, (int64_t[]){1, 2, 1}, 3, "bad");
    tfct_expect_graph_error(g, "slice [2, 4) of dimension 1 is out of range (size 3)");
    tfc_slice(g, c, (int64_t[]){0, 0}, (int64_t[]){1, 1}, 2, "bad2");
    tfct_expect_graph_error(g, "begin and size have 2 entries but the input has rank 3");
    tfc_slice(g, c, (int64_t[]){-1, 0, 0}, (int64_t[]){1, 1, 1}, 3, "bad3");
    tfct_expect_graph_error(g, "begin[0] = -1 is out of range");
    /* run time */
    int64_t u[2] = {-1, -1};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, u, 2, "p");
    y = tfc_slice(g, p, (int64_t[]){1, 1}, (int64_t[]){2, -1}, 2, "srt");
    int64_t pd[2] = {3, 3};
    tfc_tensor *pv = value_f64(pd, 2);
    tfc_tensor *t = tfct_eval(g, y, &p, &pv, 1);
    check_dims(t, (int64_t[]){2, 2}, 2);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    int64_t pd2[2] = {2, 3};
    pv = value_f64(pd2, 2);
    tfct_expect_run_error(g, y, &p, &pv, 1, TFC_OK, "op 'srt' (Slice): slice [1, 3) of dimension 0 is out of range (size 2)");
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_slice_grad(void)
{
    int64_t d[3] = {3, 4, 2};
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 3, "x");
    grad_check(g, x, tfc_slice(g, x, (int64_t[]){1, 1, 0}, (int64_t[]){2, -1, 1}, 3, NULL), d, 3);
    tfc_graph_free(g);
}

static void test_cast(void)
{
    tfc_graph *g = new_graph();
    int64_t d[1] = {8};
    float f[8] = {2.7f, -2.7f, NAN, INFINITY, -INFINITY, 1e10f, 0.0f, 300.5f};
    tfc_output cf = cf32(g, f, d, 1);
    expect(g, tfc_cast(g, cf, TFC_INT32, NULL), TFC_INT32, d, 1,
           (double[]){2, -2, 0, 2147483647.0, -2147483648.0, 2147483647.0, 0, 300});
    expect(g, tfc_cast(g, cf, TFC_INT64, NULL), TFC_INT64, d, 1,
           (double[]){2, -2, 0, 9223372036854775807.0, -9223372036854775808.0, 1e10, 0, 300});
    expect(g, tfc_cast(g, cf, TFC_UINT8, NULL), TFC_UINT8, d, 1, (double[]){2, 0, 0, 255, 0, 255, 0, 255});
    expect(g, tfc_cast(g, cf, TFC_INT8, NULL), TFC_INT8, d, 1, (double[]){2, -2, 0, 127, -128, 127, 0, 127});
    expect(g, tfc_cast(g, cf, TFC_INT16, NULL), TFC_INT16, d, 1,
           (double[]){2, -2, 0, 32767, -32768, 32767, 0, 300});
    expect(g, tfc_cast(g, cf, TFC_BOOL, NULL), TFC_BOOL, d, 1, (double[]){1, 1, 1, 1, 1, 1, 0, 1});
    /* integer narrowing wraps */
    int32_t iv[4] = {300, -129, 65537, -1};
    int64_t d4[1] = {4};
    tfc_output ci = ci32(g, iv, d4, 1);
    expect(g, tfc_cast(g, ci, TFC_INT8, NULL), TFC_INT8, d4, 1, (double[]){44, 127, 1, -1});
    expect(g, tfc_cast(g, ci, TFC_UINT8, NULL), TFC_UINT8, d4, 1, (double[]){44, 127, 1, 255});
    expect(g, tfc_cast(g, ci, TFC_INT16, NULL), TFC_INT16, d4, 1, (double[]){300, -129, 1, -1});
    expect(g, tfc_cast(g, ci, TFC_DOUBLE, NULL), TFC_DOUBLE, d4, 1, (double[]){300, -129, 65537, -1});
    expect(g, tfc_cast(g, ci, TFC_FLOAT, NULL), TFC_FLOAT, d4, 1, (double[]){300, -129, 65537, -1});
    expect(g, tfc_cast(g, ci, TFC_BOOL, NULL), TFC_BOOL, d4, 1, (double[]){1, 1, 1, 1});
    /* bool and uint8 sources */
    uint8_t bv[3] = {1, 0, 1};
    int64_t d3[1] = {3};
    tfc_output cb = tfc_const_array(g, TFC_BOOL, d3, 1, bv, NULL);
    expect(g, tfc_cast(g, cb, TFC_FLOAT, NULL), TFC_FLOAT, d3, 1, (double[]){1, 0, 1});
    expect(g, tfc_cast(g, cb, TFC_INT64, NULL), TFC_INT64, d3, 1, (double[]){1, 0, 1});
    uint8_t uv[3] = {200, 0, 7};
    tfc_output cu = tfc_const_array(g, TFC_UINT8, d3, 1, uv, NULL);
    expect(g, tfc_cast(g, cu, TFC_INT8, NULL), TFC_INT8, d3, 1, (double[]){-56, 0, 7});
    expect(g, tfc_cast(g, cu, TFC_DOUBLE, NULL), TFC_DOUBLE, d3, 1, (double[]){200, 0, 7});
    /* int64 and float64 */
    int64_t lv[2] = {(int64_t)1 << 40, -3};
    int64_t d2[1] = {2};
    expect(g, tfc_cast(g, ci64(g, lv, d2, 1), TFC_DOUBLE, NULL), TFC_DOUBLE, d2, 1, (double[]){1099511627776.0, -3});
    expect(g, tfc_cast(g, ci64(g, lv, d2, 1), TFC_INT32, NULL), TFC_INT32, d2, 1, (double[]){0, -3});
    expect(g, tfc_cast(g, cf64(g, (double[]){0.1, -1e300}, d2, 1), TFC_FLOAT, NULL), TFC_FLOAT, d2, 1,
           (double[]){0.1f, -INFINITY});
    /* same dtype: no copy, same values */
    expect(g, tfc_cast(g, cf, TFC_FLOAT, NULL), TFC_FLOAT, d, 1,
           (double[]){2.7f, -2.7f, NAN, INFINITY, -INFINITY, 1e10f, 0.0f, 300.5f});
    /* errors */
    const char *w[1] = {"x"};
    tfc_tensor *st;
    TFCT_OK(tfc_tensor_new_strings(NULL, 0, w, NULL, &st));
    tfc_output sc = tfc_const(g, st, NULL);
    tfc_tensor_free(st);
    tfc_cast(g, sc, TFC_FLOAT, "bad");
    tfct_expect_graph_error(g, "cannot cast from string");
    tfc_op_builder *b = tfc_op_builder_new(g, "Cast", "nodst");
    tfc_op_builder_add_input(b, cf);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("DstT");
    b = tfc_op_builder_new(g, "Cast", "badsrc");
    tfc_op_builder_add_input(b, cf);
    tfc_op_builder_set_attr_type(b, "DstT", TFC_INT32);
    tfc_op_builder_set_attr_type(b, "SrcT", TFC_DOUBLE);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("attribute 'SrcT' is float64 but the input is float32");
    tfc_graph_free(g);
}

static void test_cast_grad(void)
{
    tfc_graph *g = new_graph();
    int64_t d[1] = {3};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 1, "x");
    float w[3] = {2, -1, 0.5f};
    tfc_output y = tfc_mul(g, tfc_cast(g, x, TFC_FLOAT, NULL), cf32(g, w, d, 1), NULL);
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    CU_ASSERT_EQUAL(tfc_output_dtype(dx), TFC_DOUBLE);
    tfc_tensor *xv = value_f64(d, 1);
    tfc_tensor *t = tfct_eval(g, dx, &x, &xv, 1);
    check_values(t, (double[]){2, -1, 0.5}, 3);
    tfc_tensor_free(t);
    /* through an integer: no gradient */
    tfc_output z = tfc_cast(g, tfc_cast(g, x, TFC_INT32, NULL), TFC_DOUBLE, NULL);
    TFCT_OK(tfc_graph_add_gradients(g, &z, 1, &x, 1, NULL, &dx));
    CU_ASSERT_PTR_NULL(dx.op);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
    /* float64 -> float64 chain via finite differences */
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d, 1, "x");
    grad_check(g, x, tfc_cast(g, x, TFC_DOUBLE, NULL), d, 1);
    tfc_graph_free(g);
}

/* Reference transpose for checking the kernels' fast paths. */
static void naive_transpose(const double *x, const int64_t *dims, int r, const int64_t *perm, double *y)
{
    int64_t ist[8], odims[8], n = 1;
    for (int i = r - 1, s = 1; i >= 0; i--) {
        ist[i] = s;
        s *= (int)dims[i];
    }
    for (int i = 0; i < r; i++) {
        odims[i] = dims[perm[i]];
        n *= odims[i];
    }
    for (int64_t o = 0; o < n; o++) {
        int64_t rem = o, off = 0;
        for (int i = r - 1; i >= 0; i--) {
            off += (rem % odims[i]) * ist[perm[i]];
            rem /= odims[i];
        }
        y[o] = x[off];
    }
}

static void check_transpose(const int64_t *dims, int r, const int64_t *perm)
{
    tfc_graph *g = new_graph();
    int64_t n = nelem(dims, r), od[8];
    double *x = malloc((size_t)n * sizeof *x), *want = malloc((size_t)n * sizeof *want);
    iota(x, (int)n);
    naive_transpose(x, dims, r, perm, want);
    for (int i = 0; i < r; i++) od[i] = dims[perm[i]];
    tfc_output y = tfc_transpose(g, cf64(g, x, dims, r), perm, r, NULL);
    static_shape_is(g, y, od, r);
    expect(g, y, TFC_DOUBLE, od, r, want);
    /* the same through float32 (4-byte elements) and int8 */
    float *xf = malloc((size_t)n * sizeof *xf);
    int8_t *x8 = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        xf[i] = (float)x[i];
        x8[i] = (int8_t)(i % 100);
    }
    expect(g, tfc_transpose(g, cf32(g, xf, dims, r), perm, r, NULL), TFC_FLOAT, od, r, want);
    for (int64_t i = 0; i < n; i++) x[i] = (double)(i % 100);
    naive_transpose(x, dims, r, perm, want);
    expect(g, tfc_transpose(g, tfc_const_array(g, TFC_INT8, dims, r, x8, NULL), perm, r, NULL), TFC_INT8, od, r,
           want);
    free(x);
    free(want);
    free(xf);
    free(x8);
    tfc_graph_free(g);
}

static void test_transpose(void)
{
    check_transpose((int64_t[]){2, 3}, 2, (int64_t[]){1, 0});
    check_transpose((int64_t[]){70, 45}, 2, (int64_t[]){1, 0}); /* several 32x32 tiles */
    check_transpose((int64_t[]){2, 3, 4}, 3, (int64_t[]){1, 0, 2});
    check_transpose((int64_t[]){2, 3, 4}, 3, (int64_t[]){2, 0, 1});
    check_transpose((int64_t[]){3, 5, 4}, 3, (int64_t[]){0, 2, 1}); /* batched 2-D */
    check_transpose((int64_t[]){2, 3, 4}, 3, (int64_t[]){0, 1, 2}); /* identity */
    check_transpose((int64_t[]){2, 1, 3}, 3, (int64_t[]){1, 0, 2}); /* identity after dropping the 1 */
    check_transpose((int64_t[]){2, 3, 2, 2}, 4, (int64_t[]){3, 1, 0, 2}); /* general */
    check_transpose((int64_t[]){2, 2, 3, 2, 2}, 5, (int64_t[]){4, 0, 3, 2, 1});
    check_transpose((int64_t[]){4}, 1, (int64_t[]){0});
    tfc_graph *g = new_graph();
    double x[6];
    int64_t d[2] = {2, 3};
    tfc_output c = cf64(g, iota(x, 6), d, 2);
    /* perm NULL: reversed */
    expect(g, tfc_transpose(g, c, NULL, 0, NULL), TFC_DOUBLE, (int64_t[]){3, 2}, 2, (double[]){0, 3, 1, 4, 2, 5});
    expect(g, tfc_transpose(g, tfc_const_double(g, 7, NULL), NULL, 0, NULL), TFC_DOUBLE, NULL, 0, (double[]){7});
    /* errors */
    tfc_transpose(g, c, (int64_t[]){0, 0}, 2, "dup");
    tfct_expect_graph_error(g, "perm is not a permutation: 0 appears twice");
    tfc_transpose(g, c, (int64_t[]){0, 2}, 2, "range");
    tfct_expect_graph_error(g, "perm[1] = 2 is out of range [0, 2)");
    tfc_transpose(g, c, (int64_t[]){0, 1, 2}, 3, "len");
    tfct_expect_graph_error(g, "perm has 3 entries but the input has rank 2");
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, NULL, -1, "p");
    tfc_transpose(g, p, NULL, 0, "norank");
    tfct_expect_graph_error(g, "needs x's rank to be known");
    /* run-time perm */
    int64_t two[1] = {2};
    tfc_output perm = tfc_placeholder(g, TFC_INT32, two, 1, "perm");
    tfc_op_builder *b = tfc_op_builder_new(g, "Transpose", "trt");
    tfc_op_builder_add_input(b, c);
    tfc_op_builder_add_input(b, perm);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    int32_t pv[2] = {1, 1};
    tfc_tensor *pt = tfct_i32(pv, two, 1);
    tfct_expect_run_error(g, tfc_op_output(op, 0), &perm, &pt, 1, TFC_OK, "op 'trt' (Transpose): perm is not a permutation");
    tfc_tensor_free(pt);
    pv[0] = 0;
    pv[1] = 1;
    pt = tfct_i32(pv, two, 1);
    tfc_tensor *t = tfct_eval(g, tfc_op_output(op, 0), &perm, &pt, 1);
    check_values(t, x, 6);
    tfc_tensor_free(t);
    tfc_tensor_free(pt);
    tfc_graph_free(g);
}

static void test_invert_permutation(void)
{
    tfc_graph *g = new_graph();
    int64_t d4[1] = {4};
    tfc_op_builder *b = tfc_op_builder_new(g, "InvertPermutation", "ip");
    tfc_output p = tfc_placeholder(g, TFC_INT32, d4, 1, "p");
    tfc_op_builder_add_input(b, p);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    int32_t v[4] = {2, 0, 3, 1};
    tfc_tensor *t = tfct_i32(v, d4, 1);
    tfc_tensor *out = tfct_eval(g, tfc_op_output(op, 0), &p, &t, 1);
    check_values(out, (double[]){1, 3, 0, 2}, 4);
    tfc_tensor_free(out);
    tfc_tensor_free(t);
    v[2] = 0;
    t = tfct_i32(v, d4, 1);
    tfct_expect_run_error(g, tfc_op_output(op, 0), &p, &t, 1, TFC_OK, "op 'ip' (InvertPermutation): x is not a permutation");
    tfc_tensor_free(t);
    v[2] = 4;
    t = tfct_i32(v, d4, 1);
    tfct_expect_run_error(g, tfc_op_output(op, 0), &p, &t, 1, TFC_OK, "x[2] = 4 is not in [0, 4)");
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_transpose_grad(void)
{
    int64_t d[3] = {2, 3, 4};
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 3, "x");
    grad_check(g, x, tfc_transpose(g, x, (int64_t[]){2, 0, 1}, 3, NULL), d, 3);
    tfc_graph_free(g);
    /* a perm computed at run time: the gradient inverts it with InvertPermutation */
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d, 3, "x");
    int64_t three[1] = {3};
    tfc_output perm = tfc_placeholder(g, TFC_INT64, three, 1, "perm");
    tfc_op_builder *b = tfc_op_builder_new(g, "Transpose", "trt");
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, perm);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    int64_t pv[3] = {1, 2, 0};
    tfc_tensor *pt = tfct_i64(pv, three, 1);
    grad_check_ex(g, x, tfc_op_output(op, 0), d, 3, (int64_t[]){3, 4, 2}, 3, &perm, &pt, 1);
    tfc_tensor_free(pt);
    tfc_graph_free(g);
}

static void test_split(void)
{
    tfc_graph *g = new_graph();
    double x[12];
    int64_t d[2] = {2, 6};
    tfc_output c = cf64(g, iota(x, 12), d, 2);
    tfc_output s = tfc_split(g, c, 1, 3, "s");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_op_num_outputs(s.op), 3);
    int64_t d22[2] = {2, 2};
    static_shape_is(g, tfc_op_output(s.op, 2), d22, 2);
    expect(g, tfc_op_output(s.op, 0), TFC_DOUBLE, d22, 2, (double[]){0, 1, 6, 7});
    expect(g, tfc_op_output(s.op, 1), TFC_DOUBLE, d22, 2, (double[]){2, 3, 8, 9});
    expect(g, tfc_op_output(s.op, 2), TFC_DOUBLE, d22, 2, (double[]){4, 5, 10, 11});
    s = tfc_split(g, c, -2, 2, NULL);
    expect(g, tfc_op_output(s.op, 1), TFC_DOUBLE, (int64_t[]){1, 6}, 2, (double[]){6, 7, 8, 9, 10, 11});
    s = tfc_split(g, c, 0, 1, NULL);
    expect(g, s, TFC_DOUBLE, d, 2, x);
    /* errors */
    tfc_split(g, c, 1, 4, "bad");
    tfct_expect_graph_error(g, "dimension 1 (size 6) cannot be split into 4 equal parts");
    tfc_split(g, c, 1, 0, "bad0");
    tfct_expect_graph_error(g, "num_split must be at least 1");
    tfc_split(g, c, 2, 2, "badaxis");
    tfct_expect_graph_error(g, "split_dim 2 is out of range for rank 2");
    int64_t u[1] = {-1};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, u, 1, "p");
    s = tfc_split(g, p, 0, 2, "srt");
    int64_t five[1] = {5};
    tfc_tensor *pv = value_f64(five, 1);
    tfct_expect_run_error(g, s, &p, &pv, 1, TFC_OK, "op 'srt' (Split): dimension 0 (size 5) cannot be split into 2 equal parts");
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_split_grad(void)
{
    int64_t d[3] = {2, 6, 2};
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 3, "x");
    tfc_output s = tfc_split(g, x, 1, 3, NULL);
    tfc_output parts[2] = {tfc_op_output(s.op, 2), tfc_op_output(s.op, 0)};
    grad_check(g, x, tfc_concat(g, parts, 2, 0, NULL), d, 3);
    tfc_graph_free(g);
    /* a single output used: the others' gradients are zeros */
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d, 3, "x");
    s = tfc_split(g, x, -1, 2, NULL);
    grad_check(g, x, tfc_op_output(s.op, 1), d, 3);
    tfc_graph_free(g);
}

static void test_strided_slice(void)
{
    tfc_graph *g = new_graph();
    double x[24];
    int64_t d[2] = {3, 4};
    tfc_output c = cf64(g, iota(x, 12), d, 2);
    /* x[1:3, ::2] */
    tfc_output y = tfc_strided_slice(g, c, (int64_t[]){1, 0}, (int64_t[]){3, 4}, (int64_t[]){1, 2}, 2, 0, 0, 0, NULL);
    static_shape_is(g, y, (int64_t[]){2, 2}, 2);
    expect(g, y, TFC_DOUBLE, (int64_t[]){2, 2}, 2, (double[]){4, 6, 8, 10});
    /* x[::-1, -1] */
    y = tfc_strided_slice(g, c, (int64_t[]){0, -1}, (int64_t[]){0, 0}, (int64_t[]){-1, 1}, 2, 1, 1, 2, NULL);
    static_shape_is(g, y, (int64_t[]){3}, 1);
    expect(g, y, TFC_DOUBLE, (int64_t[]){3}, 1, (double[]){11, 7, 3});
    /* x[-2:, 3:0:-2] */
    y = tfc_strided_slice(g, c, (int64_t[]){-2, 3}, (int64_t[]){0, 0}, (int64_t[]){1, -2}, 2, 0, 1, 0, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){2, 2}, 2, (double[]){7, 5, 11, 9});
    /* x[1] (shrink), the rest of the dims whole */
    y = tfc_strided_slice(g, c, (int64_t[]){1}, (int64_t[]){2}, NULL, 1, 0, 0, 1, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){4}, 1, (double[]){4, 5, 6, 7});
    /* x[-1, 2]: a scalar */
    y = tfc_strided_slice(g, c, (int64_t[]){-1, 2}, (int64_t[]){0, 0}, NULL, 2, 0, 0, 3, NULL);
    expect(g, y, TFC_DOUBLE, NULL, 0, (double[]){10});
    /* out-of-range bounds clamp: x[0:100, -100:2] */
    y = tfc_strided_slice(g, c, (int64_t[]){0, -100}, (int64_t[]){100, 2}, NULL, 2, 0, 0, 0, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){3, 2}, 2, (double[]){0, 1, 4, 5, 8, 9});
    /* x[3:-6:-1] on a row: Python's clamping for negative steps */
    y = tfc_strided_slice(g, c, (int64_t[]){0, 3}, (int64_t[]){1, -6}, (int64_t[]){1, -1}, 2, 0, 0, 1, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){4}, 1, (double[]){3, 2, 1, 0});
    /* empty: x[2:1] */
    y = tfc_strided_slice(g, c, (int64_t[]){2}, (int64_t[]){1}, NULL, 1, 0, 0, 0, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){0, 4}, 2, NULL);
    /* 3-D: x[:, 1, ::-1] with begin/end masks */
    int64_t d3[3] = {2, 3, 4};
    tfc_output c3 = cf64(g, iota(x, 24), d3, 3);
    y = tfc_strided_slice(g, c3, (int64_t[]){5, 1, 7}, (int64_t[]){9, 2, 9}, (int64_t[]){1, 1, -1}, 3, 5, 5, 2, NULL);
    expect(g, y, TFC_DOUBLE, (int64_t[]){2, 4}, 2, (double[]){7, 6, 5, 4, 19, 18, 17, 16});
    /* int32 and int64 elements */
    int32_t iv[5] = {1, 2, 3, 4, 5};
    expect(g, tfc_strided_slice(g, ci32(g, iv, (int64_t[]){5}, 1), (int64_t[]){4}, (int64_t[]){0}, (int64_t[]){-2}, 1,
                                0, 1, 0, NULL),
           TFC_INT32, (int64_t[]){3}, 1, (double[]){5, 3, 1});
    /* errors */
    tfc_strided_slice(g, c, (int64_t[]){0, 0}, (int64_t[]){1, 1}, (int64_t[]){1, 0}, 2, 0, 0, 0, "zero");
    tfct_expect_graph_error(g, "strides[1] = 0 is not allowed");
    tfc_strided_slice(g, c, (int64_t[]){3}, (int64_t[]){4}, NULL, 1, 0, 0, 1, "shrink");
    tfct_expect_graph_error(g, "index 3 of dimension 0 is out of range (size 3)");
    tfc_strided_slice(g, c, (int64_t[]){0, 0, 0}, (int64_t[]){1, 1, 1}, NULL, 3, 0, 0, 0, "long");
    tfct_expect_graph_error(g, "begin, end and strides have 3 entries but the input has rank 2");
    tfc_op_builder *b = tfc_op_builder_new(g, "StridedSlice", "ell");
    tfc_op_builder_add_input(b, c);
    for (int i = 0; i < 3; i++) tfc_op_builder_add_input(b, ci64(g, (int64_t[]){1}, (int64_t[]){1}, 1));
    tfc_op_builder_set_attr_int(b, "ellipsis_mask", 1);
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_UNIMPLEMENTED);
    TFCT_ERR_HAS("ellipsis_mask is not supported");
    /* run time: an unknown shape, a shrink index past the end */
    int64_t u[2] = {-1, -1};
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, u, 2, "p");
    y = tfc_strided_slice(g, p, (int64_t[]){2, 0}, (int64_t[]){3, 0}, NULL, 2, 0, 2, 1, "ssrt");
    static_shape_is(g, y, (int64_t[]){-1}, 1);
    tfc_tensor *pv = value_f64(d, 2);
    tfc_tensor *t = tfct_eval(g, y, &p, &pv, 1);
    check_dims(t, (int64_t[]){4}, 1);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    int64_t d2[2] = {2, 2};
    pv = value_f64(d2, 2);
    tfct_expect_run_error(g, y, &p, &pv, 1, TFC_OK, "op 'ssrt' (StridedSlice): index 2 of dimension 0 is out of range (size 2)");
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_strided_slice_grad(void)
{
    int64_t d[3] = {3, 4, 5};
    struct {
        int64_t b[3], e[3], s[3];
        int n;
        int64_t bm, em, sm;
    } cases[] = {
        {{1, 0, 0}, {3, 4, 5}, {1, 2, 1}, 3, 0, 0, 0},
        {{0, -1, 4}, {0, 0, 0}, {-1, 1, -2}, 3, 1, 5, 2},
        {{1}, {2}, {1}, 1, 0, 0, 1},
        {{-2, 3, 1}, {0, 0, 4}, {1, -2, 2}, 3, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tfc_graph *g = new_graph();
        tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 3, "x");
        tfc_output y = tfc_strided_slice(g, x, cases[i].b, cases[i].e, cases[i].s, cases[i].n, cases[i].bm,
                                         cases[i].em, cases[i].sm, NULL);
        grad_check(g, x, y, d, 3);
        tfc_graph_free(g);
    }
}

static void test_tile(void)
{
    tfc_graph *g = new_graph();
    double x[6];
    int64_t d[2] = {2, 3};
    tfc_output c = cf64(g, iota(x, 6), d, 2);
    tfc_output y = tfc_tile(g, c, (int64_t[]){2, 1}, 2, NULL);
    static_shape_is(g, y, (int64_t[]){4, 3}, 2);
    expect(g, y, TFC_DOUBLE, (int64_t[]){4, 3}, 2, (double[]){0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5});
    expect(g, tfc_tile(g, c, (int64_t[]){1, 2}, 2, NULL), TFC_DOUBLE, (int64_t[]){2, 6}, 2,
           (double[]){0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
    expect(g, tfc_tile(g, c, (int64_t[]){2, 3}, 2, NULL), TFC_DOUBLE, (int64_t[]){4, 9}, 2,
           (double[]){0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5,
                      0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5});
    expect(g, tfc_tile(g, c, (int64_t[]){0, 2}, 2, NULL), TFC_DOUBLE, (int64_t[]){0, 6}, 2, NULL);
    expect(g, tfc_tile(g, tfc_const_double(g, 3, NULL), NULL, 0, NULL), TFC_DOUBLE, NULL, 0, (double[]){3});
    /* 3-D int32, multiples on every axis */
    int32_t iv[4] = {1, 2, 3, 4};
    int64_t d3[3] = {2, 1, 2};
    expect(g, tfc_tile(g, ci32(g, iv, d3, 3), (int64_t[]){1, 2, 2}, 3, NULL), TFC_INT32, (int64_t[]){2, 2, 4}, 3,
           (double[]){1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4});
    tfc_tile(g, c, (int64_t[]){2}, 1, "len");
    tfct_expect_graph_error(g, "multiples has 1 entries but the input has rank 2");
    tfc_tile(g, c, (int64_t[]){2, -1}, 2, "neg");
    tfct_expect_graph_error(g, "multiples[1] = -1 is negative");
    tfc_graph_free(g);
}

static void test_tile_grad(void)
{
    int64_t d[2] = {2, 3};
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
    grad_check(g, x, tfc_tile(g, x, (int64_t[]){3, 2}, 2, NULL), d, 2);
    tfc_graph_free(g);
    int64_t d3[3] = {2, 1, 3};
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d3, 3, "x");
    grad_check(g, x, tfc_tile(g, x, (int64_t[]){1, 4, 2}, 3, NULL), d3, 3);
    tfc_graph_free(g);
}

static void test_one_hot(void)
{
    tfc_graph *g = new_graph();
    int32_t iv[4] = {0, 2, -1, 5};
    int64_t d4[1] = {4};
    tfc_output y = tfc_one_hot(g, ci32(g, iv, d4, 1), 3, 1, 0, TFC_FLOAT, NULL);
    static_shape_is(g, y, (int64_t[]){4, 3}, 2);
    expect(g, y, TFC_FLOAT, (int64_t[]){4, 3}, 2, (double[]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
    /* 2-D int64 indices, other values and dtypes */
    int64_t lv[4] = {1, 0, 1, 1};
    int64_t d22[2] = {2, 2};
    expect(g, tfc_one_hot(g, ci64(g, lv, d22, 2), 2, 5, -1, TFC_INT32, NULL), TFC_INT32, (int64_t[]){2, 2, 2}, 3,
           (double[]){-1, 5, 5, -1, -1, 5, -1, 5});
    expect(g, tfc_one_hot(g, ci64(g, lv, d22, 2), 2, 1, 0, TFC_DOUBLE, NULL), TFC_DOUBLE, (int64_t[]){2, 2, 2}, 3,
           (double[]){0, 1, 1, 0, 0, 1, 0, 1});
    expect(g, tfc_one_hot(g, ci64(g, lv, d22, 2), 2, 1, 0, TFC_BOOL, NULL), TFC_BOOL, (int64_t[]){2, 2, 2}, 3,
           (double[]){0, 1, 1, 0, 0, 1, 0, 1});
    /* axis 0 through the generic builder: [depth, n] */
    tfc_op_builder *b = tfc_op_builder_new(g, "OneHot", "oh0");
    tfc_op_builder_add_input(b, ci32(g, iv, d4, 1));
    tfc_op_builder_add_input(b, tfc_const_int32(g, 3, NULL));
    tfc_op_builder_add_input(b, tfc_const_float(g, 1, NULL));
    tfc_op_builder_add_input(b, tfc_const_float(g, 0, NULL));
    tfc_op_builder_set_attr_int(b, "axis", 0);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    expect(g, tfc_op_output(op, 0), TFC_FLOAT, (int64_t[]){3, 4}, 2, (double[]){1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0});
    /* depth 0 */
    expect(g, tfc_one_hot(g, ci32(g, iv, d4, 1), 0, 1, 0, TFC_FLOAT, NULL), TFC_FLOAT, (int64_t[]){4, 0}, 2, NULL);
    /* errors */
    tfc_one_hot(g, ci32(g, iv, d4, 1), -2, 1, 0, TFC_FLOAT, "neg");
    tfct_expect_graph_error(g, "depth must be non-negative, got -2");
    tfc_one_hot(g, cf32(g, (float[]){1}, (int64_t[]){1}, 1), 2, 1, 0, TFC_FLOAT, "fl");
    tfct_expect_graph_error(g, "indices must be uint8, int32 or int64, got float32");
    tfc_graph_free(g);
}

static void test_pad(void)
{
    tfc_graph *g = new_graph();
    double x[6];
    int64_t d[2] = {2, 3};
    tfc_output c = cf64(g, iota(x, 6), d, 2);
    tfc_output y = tfc_pad(g, c, (int64_t[]){1, 0, 0, 2}, 2, NULL);
    static_shape_is(g, y, (int64_t[]){3, 5}, 2);
    expect(g, y, TFC_DOUBLE, (int64_t[]){3, 5}, 2, (double[]){0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 5, 0, 0});
    int32_t iv[2] = {7, 8};
    expect(g, tfc_pad(g, ci32(g, iv, (int64_t[]){2}, 1), (int64_t[]){2, 1}, 1, NULL), TFC_INT32, (int64_t[]){5}, 1,
           (double[]){0, 0, 7, 8, 0});
    expect(g, tfc_pad(g, c, (int64_t[]){0, 0, 0, 0}, 2, NULL), TFC_DOUBLE, d, 2, x);
    /* 3-D, padding on every side */
    int64_t d3[3] = {1, 2, 1};
    expect(g, tfc_pad(g, cf64(g, (double[]){1, 2}, d3, 3), (int64_t[]){0, 1, 1, 0, 1, 1}, 3, NULL), TFC_DOUBLE,
           (int64_t[]){2, 3, 3}, 3, (double[]){0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    /* errors */
    tfc_pad(g, c, (int64_t[]){0, -1, 0, 0}, 2, "neg");
    tfct_expect_graph_error(g, "paddings must be non-negative, got (0, -1) for dimension 0");
    tfc_pad(g, c, (int64_t[]){0, 1}, 1, "short");
    tfct_expect_graph_error(g, "paddings must have shape [2,2]");
    int64_t pd[2] = {2, 2};
    tfc_output pads = tfc_placeholder(g, TFC_INT64, pd, 2, "pads");
    tfc_op_builder *b = tfc_op_builder_new(g, "Pad", "prt");
    tfc_op_builder_add_input(b, c);
    tfc_op_builder_add_input(b, pads);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    int64_t pv[4] = {0, 0, -2, 1};
    tfc_tensor *pt = tfct_i64(pv, pd, 2);
    tfct_expect_run_error(g, tfc_op_output(op, 0), &pads, &pt, 1, TFC_OK,
                     "op 'prt' (Pad): paddings must be non-negative, got (-2, 1) for dimension 1");
    tfc_tensor_free(pt);
    tfc_graph_free(g);
}

static void test_pad_grad(void)
{
    int64_t d[2] = {2, 3};
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
    grad_check(g, x, tfc_pad(g, x, (int64_t[]){1, 2, 0, 1}, 2, NULL), d, 2);
    tfc_graph_free(g);
    /* paddings computed at run time */
    g = new_graph();
    x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
    int64_t pd[2] = {2, 2};
    tfc_output pads = tfc_placeholder(g, TFC_INT32, pd, 2, "pads");
    tfc_op_builder *b = tfc_op_builder_new(g, "Pad", "prt");
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, pads);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    int32_t pv[4] = {2, 0, 1, 1};
    tfc_tensor *pt = tfct_i32(pv, pd, 2);
    grad_check_ex(g, x, tfc_op_output(op, 0), d, 2, (int64_t[]){4, 5}, 2, &pads, &pt, 1);
    tfc_tensor_free(pt);
    tfc_graph_free(g);
}

/* Second derivatives through the internal gradient ops: d/dx of
 * d sum(f(x)^2)/dx, which differentiates SliceGrad, StridedSliceGrad,
 * TileGrad, GatherV2Grad and ConcatV2Grad. */
static void test_second_order(void)
{
    int64_t d[2] = {3, 4};
    for (int kind = 0; kind < 5; kind++) {
        tfc_graph *g = new_graph();
        tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 2, "x");
        tfc_output y;
        switch (kind) {
        case 0: y = tfc_slice(g, x, (int64_t[]){1, 1}, (int64_t[]){2, -1}, 2, NULL); break;
        case 1:
            y = tfc_strided_slice(g, x, (int64_t[]){2, 0}, (int64_t[]){0, 4}, (int64_t[]){-1, 3}, 2, 1, 0, 0, NULL);
            break;
        case 2: y = tfc_tile(g, x, (int64_t[]){2, 1}, 2, NULL); break;
        case 3: y = tfc_gather(g, x, ci32(g, (int32_t[]){3, 0, 3}, (int64_t[]){3}, 1), 1, NULL); break;
        default: {
            tfc_output parts[2] = {x, cf64(g, (double[]){1, 2, 3}, (int64_t[]){3, 1}, 2)};
            y = tfc_concat(g, parts, 2, 1, NULL);
        }
        }
        tfc_output l = tfc_reduce_sum(g, tfc_mul(g, y, y, NULL), NULL, 0, false, NULL);
        tfc_output dx;
        TFCT_GRAPH_OK(g);
        TFCT_OK(tfc_graph_add_gradients(g, &l, 1, &x, 1, NULL, &dx));
        grad_check(g, x, dx, d, 2);
        tfc_graph_free(g);
    }
}

static void test_range(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    /* int64 0..5, static length */
    tfc_output r = tfc_range(g, tfc_const_int64(g, 0, NULL), tfc_const_int64(g, 5, NULL), tfc_const_int64(g, 1, NULL),
                             "r");
    int64_t d5[1] = {5};
    tfct_expect_static_shape(g, r, d5, 1);
    tfc_tensor *t = tfct_eval(g, r, NULL, NULL, 0);
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(t))[i], i);
    tfc_tensor_free(t);
    /* negative delta and an uneven span: 5, 3, 1 */
    tfc_output down = tfc_range(g, tfc_const_int32(g, 5, NULL), tfc_const_int32(g, 0, NULL),
                                tfc_const_int32(g, -2, NULL), NULL);
    t = tfct_eval(g, down, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 3);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[2], 1);
    tfc_tensor_free(t);
    /* floats: 0, 0.25, 0.5, 0.75 */
    tfc_output f = tfc_range(g, tfc_const_float(g, 0, NULL), tfc_const_float(g, 1, NULL), tfc_const_float(g, 0.25f, NULL),
                             NULL);
    t = tfct_eval(g, f, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 4);
    TFCT_NEAR(((float *)tfc_tensor_data(t))[3], 0.75, 1e-7);
    tfc_tensor_free(t);
    /* a limit known only at run time: row indices of a batch */
    int64_t xd[1] = {-1};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, xd, 1, "x");
    tfc_output rows = tfc_range(g, tfc_const_int64(g, 0, NULL), tfc_size(g, x, TFC_INT64, NULL),
                                tfc_const_int64(g, 1, NULL), "rows");
    float xv[3] = {1, 2, 3};
    int64_t d3[1] = {3};
    tfc_tensor *xt = tfct_f32(xv, d3, 1);
    t = tfct_eval(g, rows, &x, &xt, 1);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 3);
    CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(t))[2], 2);
    tfc_tensor_free(t);
    /* errors: zero delta at construction; wrong direction at run time */
    tfc_range(g, tfc_const_int64(g, 0, NULL), tfc_const_int64(g, 5, NULL), tfc_const_int64(g, 0, NULL), "bad");
    tfct_expect_graph_error(g, "delta must be non-zero");
    tfc_output back = tfc_range(g, tfc_size(g, x, TFC_INT64, NULL), tfc_const_int64(g, 0, NULL),
                                tfc_const_int64(g, 1, NULL), "back");
    tfct_expect_run_error(g, back, &x, &xt, 1, TFC_INVALID_ARGUMENT, "move start towards limit (start 3, limit 0");
    tfc_range(g, tfc_const_int64(g, 0, NULL), tfc_const_float(g, 5, NULL), tfc_const_int64(g, 1, NULL), "mixed");
    tfct_expect_graph_error(g, "must have the same dtype");
    tfc_tensor_free(xt);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"zeros_ones_like", test_zeros_ones_like},
        {"range", test_range},
        {"fill", test_fill},
        {"fill_grad", test_fill_grad},
        {"shape_size", test_shape_size},
        {"gather", test_gather},
        {"strings", test_strings},
        {"gather_grad_dense", test_gather_grad_dense},
        {"gather_grad_sparse", test_gather_grad_sparse},
        {"concat", test_concat},
        {"concat_grad", test_concat_grad},
        {"reshape", test_reshape},
        {"expand_squeeze", test_expand_squeeze},
        {"reshape_grads", test_reshape_grads},
        {"slice", test_slice},
        {"slice_grad", test_slice_grad},
        {"cast", test_cast},
        {"cast_grad", test_cast_grad},
        {"transpose", test_transpose},
        {"invert_permutation", test_invert_permutation},
        {"transpose_grad", test_transpose_grad},
        {"split", test_split},
        {"split_grad", test_split_grad},
        {"strided_slice", test_strided_slice},
        {"strided_slice_grad", test_strided_slice_grad},
        {"tile", test_tile},
        {"tile_grad", test_tile_grad},
        {"one_hot", test_one_hot},
        {"pad", test_pad},
        {"pad_grad", test_pad_grad},
        {"second_order", test_second_order},
        {NULL, NULL},
    };
    return tfct_main("test_array", cases);
}
