/* Reductions (Sum, Mean, Max, Min, Prod), ArgMax/ArgMin and their gradients. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tfc_graph *new_graph(void)
{
    tfc_graph *g = NULL;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

static tfc_output cf32(tfc_graph *g, const float *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_FLOAT, dims, rank, v, NULL);
}

static void check_dims(const tfc_tensor *t, const int64_t *dims, int rank)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(tfc_tensor_dim(t, i), dims[i]);
}

/* Evaluates y and checks its dtype, shape and values (NaN matches NaN). */
static void expect_f32(tfc_graph *g, tfc_output y, const int64_t *dims, int rank, const float *want, double tol)
{
    tfc_tensor *t = tfct_eval(g, y, NULL, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_FLOAT);
    check_dims(t, dims, rank);
    const float *v = tfc_tensor_data(t);
    for (int64_t i = 0; i < tfc_tensor_num_elements(t); i++) {
        if (isnan(want[i])) {
            CU_ASSERT_TRUE(isnan(v[i]));
        } else if (isinf(want[i])) {
            CU_ASSERT_EQUAL(v[i], want[i]);
        } else {
            TFCT_NEAR(v[i], want[i], tol);
        }
    }
    tfc_tensor_free(t);
}

static void expect_i64(tfc_graph *g, tfc_output y, const tfc_output *feeds, tfc_tensor *const *vals, int n,
                       const int64_t *dims, int rank, const int64_t *want)
{
    tfc_tensor *t = tfct_eval(g, y, feeds, vals, n);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_INT64);
    check_dims(t, dims, rank);
    for (int64_t i = 0; i < tfc_tensor_num_elements(t); i++)
        CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(t))[i], want[i]);
    tfc_tensor_free(t);
}

static void grad_check(tfc_graph *g, tfc_output y, tfc_output x, const tfc_tensor *xv)
{
    TFCT_GRAPH_OK(g);
    double err = tfct_grad_error(g, y, x, xv, NULL, NULL, 0, 1e-6);
    if (!(err < 1e-6)) fprintf(stderr, "\ngradient error %g for '%s'\n", err, tfc_op_name(y.op));
    CU_ASSERT_TRUE(err < 1e-6);
}

static const float X23[6] = {1, 2, 3, 4, 5, 6};
static const int64_t D23[2] = {2, 3};

static void test_sum_2d(void)
{
    tfc_graph *g = new_graph();
    tfc_output x = cf32(g, X23, D23, 2);
    int64_t a0[1] = {0}, a1[1] = {1}, am1[1] = {-1}, a01[2] = {1, 0};
    tfc_output s0 = tfc_reduce_sum(g, x, a0, 1, false, "s0");
    tfc_output s1 = tfc_reduce_sum(g, x, a1, 1, false, NULL);
    tfc_output sm1 = tfc_reduce_sum(g, x, am1, 1, false, NULL);
    tfc_output sk = tfc_reduce_sum(g, x, a1, 1, true, NULL);
    tfc_output sall = tfc_reduce_sum(g, x, NULL, 0, false, NULL);
    tfc_output sallk = tfc_reduce_sum(g, x, NULL, 0, true, NULL);
    tfc_output s10 = tfc_reduce_sum(g, x, a01, 2, false, NULL);
    tfc_output snone = tfc_reduce_sum(g, x, a0, 0, false, NULL); /* an empty axes list reduces nothing */
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(s0.op), "Sum");
    CU_ASSERT_STRING_EQUAL(tfc_op_name(s0.op), "s0");
    CU_ASSERT_STRING_EQUAL(tfc_op_name(tfc_op_input(s0.op, 1).op), "s0/reduction_indices");
    CU_ASSERT_EQUAL(tfc_output_dtype(tfc_op_input(s0.op, 1)), TFC_INT32);
    bool kd = true;
    TFCT_OK(tfc_op_attr_bool(s0.op, "keep_dims", &kd));
    CU_ASSERT_FALSE(kd);
    int64_t d3[1] = {3}, d2[1] = {2}, d21[2] = {2, 1}, d11[2] = {1, 1};
    tfct_expect_static_shape(g, s0, d3, 1);
    tfct_expect_static_shape(g, sk, d21, 2);
    tfct_expect_static_shape(g, sall, NULL, 0);
    tfct_expect_static_shape(g, sallk, d11, 2);
    tfct_expect_static_shape(g, snone, D23, 2);
    expect_f32(g, s0, d3, 1, (float[]){5, 7, 9}, 0);
    expect_f32(g, s1, d2, 1, (float[]){6, 15}, 0);
    expect_f32(g, sm1, d2, 1, (float[]){6, 15}, 0);
    expect_f32(g, sk, d21, 2, (float[]){6, 15}, 0);
    expect_f32(g, sall, NULL, 0, (float[]){21}, 0);
    expect_f32(g, sallk, d11, 2, (float[]){21}, 0);
    expect_f32(g, s10, NULL, 0, (float[]){21}, 0);
    expect_f32(g, snone, D23, 2, X23, 0);
    tfc_graph_free(g);
}

/* x[i,j,k] = 12i + 4j + k, shape [2,3,4] */
static void test_sum_mean_3d(void)
{
    tfc_graph *g = new_graph();
    float v[24];
    for (int i = 0; i < 24; i++) v[i] = (float)i;
    int64_t dims[3] = {2, 3, 4};
    tfc_output x = cf32(g, v, dims, 3);
    int64_t a02[2] = {0, 2}, a1[1] = {1}, a01[2] = {0, 1}, a12[2] = {-1, -2};
    tfc_output s02 = tfc_reduce_sum(g, x, a02, 2, false, NULL);
    tfc_output s02k = tfc_reduce_sum(g, x, a02, 2, true, NULL);
    tfc_output s1 = tfc_reduce_sum(g, x, a1, 1, false, NULL);
    tfc_output s01 = tfc_reduce_sum(g, x, a01, 2, false, NULL);
    tfc_output s12 = tfc_reduce_sum(g, x, a12, 2, false, NULL);
    tfc_output m02 = tfc_reduce_mean(g, x, a02, 2, false, NULL);
    tfc_output m1k = tfc_reduce_mean(g, x, a1, 1, true, NULL);
    tfc_output mall = tfc_reduce_mean(g, x, NULL, 0, false, NULL);
    TFCT_GRAPH_OK(g);
    int64_t d3[1] = {3}, d131[3] = {1, 3, 1}, d24[2] = {2, 4}, d4[1] = {4}, d2[1] = {2}, d214[3] = {2, 1, 4};
    tfct_expect_static_shape(g, s02k, d131, 3);
    expect_f32(g, s02, d3, 1, (float[]){60, 92, 124}, 0);
    expect_f32(g, s02k, d131, 3, (float[]){60, 92, 124}, 0);
    expect_f32(g, s1, d24, 2, (float[]){12, 15, 18, 21, 48, 51, 54, 57}, 0);
    expect_f32(g, s01, d4, 1, (float[]){60, 66, 72, 78}, 0);
    expect_f32(g, s12, d2, 1, (float[]){66, 210}, 0);
    expect_f32(g, m02, d3, 1, (float[]){7.5f, 11.5f, 15.5f}, 1e-6);
    expect_f32(g, m1k, d214, 3, (float[]){4, 5, 6, 7, 16, 17, 18, 19}, 1e-6);
    expect_f32(g, mall, NULL, 0, (float[]){11.5f}, 1e-6);
    tfc_graph_free(g);
}

static void test_max_min_prod(void)
{
    tfc_graph *g = new_graph();
    const float v[6] = {1, 5, -2, 7, 0, 3};
    tfc_output x = cf32(g, v, D23, 2);
    int64_t a0[1] = {0}, a1[1] = {1};
    int64_t d2[1] = {2}, d3[1] = {3}, d13[2] = {1, 3};
    expect_f32(g, tfc_reduce_max(g, x, a1, 1, false, NULL), d2, 1, (float[]){5, 7}, 0);
    expect_f32(g, tfc_reduce_max(g, x, a0, 1, false, NULL), d3, 1, (float[]){7, 5, 3}, 0);
    expect_f32(g, tfc_reduce_max(g, x, NULL, 0, false, NULL), NULL, 0, (float[]){7}, 0);
    expect_f32(g, tfc_reduce_min(g, x, a1, 1, false, NULL), d2, 1, (float[]){-2, 0}, 0);
    expect_f32(g, tfc_reduce_min(g, x, a0, 1, true, NULL), d13, 2, (float[]){1, 0, -2}, 0);
    expect_f32(g, tfc_reduce_prod(g, x, a1, 1, false, NULL), d2, 1, (float[]){-10, 0}, 0);
    expect_f32(g, tfc_reduce_prod(g, x, a0, 1, false, NULL), d3, 1, (float[]){7, 0, -6}, 0);
    /* NaN propagates through Max and Min, as NumPy */
    const float nv[3] = {1, NAN, 5};
    int64_t d1x3[1] = {3};
    tfc_output xn = cf32(g, nv, d1x3, 1);
    expect_f32(g, tfc_reduce_max(g, xn, NULL, 0, false, NULL), NULL, 0, (float[]){NAN}, 0);
    expect_f32(g, tfc_reduce_min(g, xn, NULL, 0, false, NULL), NULL, 0, (float[]){NAN}, 0);
    tfc_graph_free(g);
}

static void test_int_dtypes(void)
{
    tfc_graph *g = new_graph();
    const int32_t v[6] = {1, 5, -2, 7, 0, 3};
    tfc_output x = tfc_const_array(g, TFC_INT32, D23, 2, v, "x");
    int64_t a0[1] = {0}, a1[1] = {-1};
    tfc_output s = tfc_reduce_sum(g, x, a0, 1, false, NULL);
    tfc_output p = tfc_reduce_prod(g, x, a1, 1, false, NULL);
    tfc_output mx = tfc_reduce_max(g, x, NULL, 0, false, NULL);
    tfc_output mn = tfc_reduce_min(g, x, a1, 1, true, NULL);
    const int64_t w[4] = {INT64_MAX, 1, 3, -4};
    int64_t d22[2] = {2, 2};
    tfc_output x64 = tfc_const_array(g, TFC_INT64, d22, 2, w, "x64");
    tfc_output s64 = tfc_reduce_sum(g, x64, a0, 1, false, NULL); /* wraps around */
    tfc_output mx64 = tfc_reduce_max(g, x64, a1, 1, false, NULL);
    tfc_output p64 = tfc_reduce_prod(g, x64, a1, 1, false, NULL);
    const int32_t big[2] = {INT32_MAX, 1};
    int64_t d2[1] = {2};
    tfc_output sbig = tfc_reduce_sum(g, tfc_const_array(g, TFC_INT32, d2, 1, big, NULL), NULL, 0, false, NULL);
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_output_dtype(s), TFC_INT32);
    tfc_tensor *t = tfct_eval(g, s, NULL, NULL, 0);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[0], 8);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[1], 5);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[2], 1);
    tfc_tensor_free(t);
    t = tfct_eval(g, p, NULL, NULL, 0);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[0], -10);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[1], 0);
    tfc_tensor_free(t);
    t = tfct_eval(g, mx, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 0);
    CU_ASSERT_EQUAL(*(int32_t *)tfc_tensor_data(t), 7);
    tfc_tensor_free(t);
    t = tfct_eval(g, mn, NULL, NULL, 0);
    check_dims(t, (int64_t[]){2, 1}, 2);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[0], -2);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[1], 0);
    tfc_tensor_free(t);
    t = tfct_eval(g, sbig, NULL, NULL, 0);
    CU_ASSERT_EQUAL(*(int32_t *)tfc_tensor_data(t), INT32_MIN);
    tfc_tensor_free(t);
    expect_i64(g, s64, NULL, NULL, 0, d2, 1, (int64_t[]){INT64_MIN + 2, -3});
    expect_i64(g, mx64, NULL, NULL, 0, d2, 1, (int64_t[]){INT64_MAX, 3});
    expect_i64(g, p64, NULL, NULL, 0, d2, 1, (int64_t[]){INT64_MAX, -12});
    tfc_graph_free(g);
}

static void test_empty_reductions(void)
{
    tfc_graph *g = new_graph();
    int64_t d03[2] = {0, 3}, d3[1] = {3}, d0[1] = {0};
    tfc_output x = tfc_const_array(g, TFC_FLOAT, d03, 2, NULL, "empty");
    int64_t a0[1] = {0}, a1[1] = {1};
    expect_f32(g, tfc_reduce_mean(g, x, a0, 1, false, NULL), d3, 1, (float[]){NAN, NAN, NAN}, 0);
    expect_f32(g, tfc_reduce_mean(g, x, NULL, 0, false, NULL), NULL, 0, (float[]){NAN}, 0);
    expect_f32(g, tfc_reduce_sum(g, x, a0, 1, false, NULL), d3, 1, (float[]){0, 0, 0}, 0);
    expect_f32(g, tfc_reduce_prod(g, x, a0, 1, false, NULL), d3, 1, (float[]){1, 1, 1}, 0);
    expect_f32(g, tfc_reduce_max(g, x, a0, 1, false, NULL), d3, 1, (float[]){-INFINITY, -INFINITY, -INFINITY}, 0);
    expect_f32(g, tfc_reduce_min(g, x, a0, 1, false, NULL), d3, 1, (float[]){INFINITY, INFINITY, INFINITY}, 0);
    expect_f32(g, tfc_reduce_sum(g, x, a1, 1, false, NULL), d0, 1, NULL, 0);
    tfc_graph_free(g);
}

static void test_unknown_shapes(void)
{
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, NULL, -1, "x");
    tfc_output s = tfc_reduce_sum(g, x, NULL, 0, false, "s");
    tfc_output sk = tfc_reduce_max(g, x, NULL, 0, true, "sk");
    int64_t pd[2] = {-1, 3};
    tfc_output y = tfc_placeholder(g, TFC_FLOAT, pd, 2, "y");
    int64_t a0[1] = {0};
    tfc_output ys = tfc_reduce_sum(g, y, a0, 1, false, NULL);
    tfc_output yk = tfc_reduce_mean(g, y, NULL, 0, true, NULL);
    /* axes computed at run time */
    int64_t one[1] = {1};
    tfc_output axes = tfc_placeholder(g, TFC_INT32, one, 1, "axes");
    tfc_op_builder *b = tfc_op_builder_new(g, "Sum", "dyn");
    tfc_op_builder_add_input(b, y);
    tfc_op_builder_add_input(b, axes);
    tfc_op *dyn;
    TFCT_OK(tfc_op_builder_finish(b, &dyn));
    b = tfc_op_builder_new(g, "Sum", "dynk");
    tfc_op_builder_add_input(b, y);
    tfc_op_builder_add_input(b, axes);
    tfc_op_builder_set_attr_bool(b, "keep_dims", true);
    tfc_op *dynk;
    TFCT_OK(tfc_op_builder_finish(b, &dynk));
    TFCT_GRAPH_OK(g);
    bool all = false;
    TFCT_OK(tfc_op_attr_bool(s.op, "reduce_all", &all));
    CU_ASSERT_TRUE(all);
    CU_ASSERT_EQUAL(tfc_op_attr_bool(ys.op, "reduce_all", &all), TFC_NOT_FOUND); /* plain TensorFlow when rank known */
    tfct_expect_static_shape(g, s, NULL, 0);
    int64_t d[TFC_MAX_RANK];
    int r;
    TFCT_OK(tfc_graph_output_shape(g, sk, d, &r));
    CU_ASSERT_EQUAL(r, -1);
    tfct_expect_static_shape(g, ys, (int64_t[]){3}, 1);
    tfct_expect_static_shape(g, yk, (int64_t[]){1, 1}, 2);
    tfct_expect_static_shape(g, tfc_op_output(dyn, 0), (int64_t[]){-1}, 1);
    tfct_expect_static_shape(g, tfc_op_output(dynk, 0), (int64_t[]){-1, -1}, 2);

    int64_t d22[2] = {2, 2}, d23[2] = {2, 3};
    tfc_tensor *xv = tfct_f32((float[]){1, -2, 3, 4}, d22, 2);
    tfc_tensor *out = tfct_eval(g, s, &x, &xv, 1);
    CU_ASSERT_EQUAL(tfc_tensor_rank(out), 0);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(out), 6.0f);
    tfc_tensor_free(out);
    out = tfct_eval(g, sk, &x, &xv, 1);
    check_dims(out, (int64_t[]){1, 1}, 2);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(out), 4.0f);
    tfc_tensor_free(out);
    tfc_tensor *yv = tfct_f32(X23, d23, 2);
    tfc_tensor *av = tfct_i32((int32_t[]){-1}, one, 1);
    tfc_output feeds[2] = {y, axes};
    tfc_tensor *vals[2] = {yv, av};
    out = tfct_eval(g, tfc_op_output(dyn, 0), feeds, vals, 2);
    check_dims(out, (int64_t[]){2}, 1);
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(out))[1], 15.0f);
    tfc_tensor_free(out);
    out = tfct_eval(g, tfc_op_output(dynk, 0), feeds, vals, 2);
    check_dims(out, (int64_t[]){2, 1}, 2);
    tfc_tensor_free(out);
    /* an axis out of range, found at run time */
    tfc_tensor *bad = tfct_i32((int32_t[]){2}, one, 1);
    vals[1] = bad;
    tfct_expect_run_error(g, tfc_op_output(dyn, 0), feeds, vals, 2, TFC_INVALID_ARGUMENT,
                     "op 'dyn' (Sum): reduction axis 2 is out of range for an input of rank 2");
    tfc_tensor_free(bad);
    tfc_tensor_free(xv);
    tfc_tensor_free(yv);
    tfc_tensor_free(av);
    tfc_graph_free(g);
}

static void test_errors(void)
{
    tfc_graph *g = new_graph();
    tfc_output x = cf32(g, X23, D23, 2);
    TFCT_GRAPH_OK(g);
    tfc_reduce_sum(g, x, (int64_t[]){2}, 1, false, "bad_axis");
    tfct_expect_graph_error(g, "op 'bad_axis' (Sum): reduction axis 2 is out of range for an input of rank 2 "
                          "(expected -2 <= axis < 2)");
    tfc_reduce_max(g, x, (int64_t[]){-3}, 1, false, "neg");
    tfct_expect_graph_error(g, "op 'neg' (Max): reduction axis -3 is out of range");
    tfc_reduce_mean(g, x, (int64_t[]){1, -1}, 2, false, "dup");
    tfct_expect_graph_error(g, "op 'dup' (Mean): reduction axis -1 repeats axis 1");
    tfc_reduce_min(g, x, (int64_t[]){0, 5000000000LL}, 2, false, "huge");
    tfct_expect_graph_error(g, "reduction axis 5000000000 is out of range");
    tfc_reduce_sum(g, x, (int64_t[]){0}, -1, false, "negn");
    tfct_expect_graph_error(g, "naxes is negative");
    tfc_reduce_sum(g, x, (int64_t[9]){0}, 9, false, "many");
    tfct_expect_graph_error(g, "op 'many' (Sum): 9 axes, but a tensor has at most 8");
    tfc_output xi = tfc_const_int32(g, 3, NULL);
    tfc_reduce_mean(g, xi, NULL, 0, false, "imean");
    tfct_expect_graph_error(g, "op 'imean' (Mean): input 0 ('Const_1') must be float32 or float64, got int32");
    tfc_reduce_sum(g, tfc_const_float(g, 1.0f, NULL), (int64_t[]){0}, 1, false, "scalar");
    tfct_expect_graph_error(g, "the input is a scalar and has no axes");
    /* reduction_indices must be integers */
    tfc_op_builder *b = tfc_op_builder_new(g, "Sum", "float_axes");
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, tfc_const_float(g, 0.0f, NULL));
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'float_axes' (Sum): reduction_indices (input 1");
    TFCT_ERR_HAS("must be int32 or int64, got float32");
    b = tfc_op_builder_new(g, "Sum", "kd");
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, tfc_const_int32(g, 0, NULL));
    tfc_op_builder_set_attr_int(b, "keep_dims", 1);
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("attribute 'keep_dims' must be a bool");
    /* ArgMax */
    tfc_argmax(g, x, 2, "am");
    tfct_expect_graph_error(g, "op 'am' (ArgMax): dimension 2 is out of range for an input of rank 2");
    tfc_argmin(g, tfc_const_float(g, 1.0f, NULL), 0, "am0");
    tfct_expect_graph_error(g, "op 'am0' (ArgMin): the input is a scalar");
    int64_t d20[2] = {2, 0};
    tfc_argmax(g, tfc_const_array(g, TFC_FLOAT, d20, 2, NULL, NULL), 1, "amempty");
    tfct_expect_graph_error(g, "dimension 1 of the input is empty");
    tfc_graph_free(g);
}

static void test_argmax_argmin(void)
{
    tfc_graph *g = new_graph();
    const float v[8] = {1, 3, 3, 0, 2, 2, -1, -1};
    int64_t d24[2] = {2, 4}, d2[1] = {2}, d4[1] = {4};
    tfc_output x = cf32(g, v, d24, 2);
    tfc_output mx1 = tfc_argmax(g, x, 1, "mx1");
    tfc_output mn1 = tfc_argmin(g, x, -1, NULL);
    tfc_output mx0 = tfc_argmax(g, x, 0, NULL);
    tfc_output mn0 = tfc_argmin(g, x, 0, NULL);
    const float nv[4] = {1, NAN, 5, NAN};
    tfc_output xn = cf32(g, nv, d4, 1);
    tfc_output mxn = tfc_argmax(g, xn, 0, NULL);
    const int32_t iv[6] = {4, 9, 9, 9, 1, 1};
    tfc_output xi = tfc_const_array(g, TFC_INT32, D23, 2, iv, NULL);
    tfc_output mxi = tfc_argmax(g, xi, 1, NULL);
    tfc_output mni = tfc_argmin(g, xi, 0, NULL);
    /* output_type int32 through the generic builder */
    tfc_op_builder *b = tfc_op_builder_new(g, "ArgMax", "am32");
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, tfc_const_int64(g, 1, NULL));
    tfc_op_builder_set_attr_type(b, "output_type", TFC_INT32);
    tfc_op *am32;
    TFCT_OK(tfc_op_builder_finish(b, &am32));
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_output_dtype(mx1), TFC_INT64);
    tfct_expect_static_shape(g, mx1, d2, 1);
    tfct_expect_static_shape(g, mx0, d4, 1);
    expect_i64(g, mx1, NULL, NULL, 0, d2, 1, (int64_t[]){1, 0});
    expect_i64(g, mn1, NULL, NULL, 0, d2, 1, (int64_t[]){3, 2});
    expect_i64(g, mx0, NULL, NULL, 0, d4, 1, (int64_t[]){1, 0, 0, 0});
    expect_i64(g, mn0, NULL, NULL, 0, d4, 1, (int64_t[]){0, 1, 1, 1});
    expect_i64(g, mxn, NULL, NULL, 0, NULL, 0, (int64_t[]){1});
    expect_i64(g, mxi, NULL, NULL, 0, d2, 1, (int64_t[]){1, 0});
    expect_i64(g, mni, NULL, NULL, 0, (int64_t[]){3}, 1, (int64_t[]){0, 1, 1});
    tfc_tensor *t = tfct_eval(g, tfc_op_output(am32, 0), NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(t), TFC_INT32);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[0], 1);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[1], 0);
    tfc_tensor_free(t);
    /* 3-D, middle axis: x[i,j,k] = (j == 2 - k) ? 10 : j */
    float v3[2 * 3 * 3];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) v3[i * 9 + j * 3 + k] = j == 2 - k ? 10.0f : (float)j;
    tfc_output x3 = cf32(g, v3, (int64_t[]){2, 3, 3}, 3);
    expect_i64(g, tfc_argmax(g, x3, 1, NULL), NULL, NULL, 0, (int64_t[]){2, 3}, 2, (int64_t[]){2, 1, 0, 2, 1, 0});
    /* a dimension out of range at run time */
    tfc_output dim = tfc_placeholder(g, TFC_INT32, NULL, 0, "dim");
    b = tfc_op_builder_new(g, "ArgMin", "dyn");
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_add_input(b, dim);
    tfc_op *dyn;
    TFCT_OK(tfc_op_builder_finish(b, &dyn));
    tfc_tensor *dv;
    TFCT_OK(tfc_tensor_new_scalar_int32(-3, &dv));
    tfct_expect_run_error(g, tfc_op_output(dyn, 0), &dim, &dv, 1, TFC_INVALID_ARGUMENT, "op 'dyn' (ArgMin): dimension -3 is out of range");
    tfc_tensor_free(dv);
    tfc_graph_free(g);
}

/* ---- the fast paths against a naive reference ---- */

static uint64_t lcg_state = 12345;
static double lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0 * 2 - 1;
}

static tfc_tensor *run_threads(tfc_graph *g, tfc_output y, int threads)
{
    tfc_session *s = NULL;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = threads;
    TFCT_OK(tfc_session_new(g, &o, &s));
    tfc_tensor *out = NULL;
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &y, &out, 1, NULL, 0));
    tfc_session_free(s);
    return out;
}

/* Reduces x (float, dims) over mask with op 0 sum, 1 max, 2 mean into ref (double). */
static void naive(const float *x, const int64_t *dims, int rank, const bool *mask, int op, double *ref, int64_t m)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    double *cnt = calloc((size_t)m, sizeof *cnt);
    for (int64_t o = 0; o < m; o++) ref[o] = op == 1 ? -INFINITY : 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, o = 0, stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t idx = rem % dims[d];
            rem /= dims[d];
            if (!mask[d]) {
                o += idx * stride;
                stride *= dims[d];
            }
        }
        if (op == 1) ref[o] = x[i] > ref[o] ? x[i] : ref[o];
        else ref[o] += x[i];
        cnt[o]++;
    }
    if (op == 2)
        for (int64_t o = 0; o < m; o++) ref[o] /= cnt[o];
    free(cnt);
}

static void check_against_naive(const int64_t *dims, int rank, const int64_t *axes, int naxes)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (float)lcg();
    bool mask[TFC_MAX_RANK] = {false};
    int64_t m = 1;
    for (int i = 0; i < (axes ? naxes : rank); i++) mask[!axes ? i : axes[i] < 0 ? axes[i] + rank : axes[i]] = true;
    for (int i = 0; i < rank; i++)
        if (!mask[i]) m *= dims[i];
    double *ref = malloc((size_t)m * sizeof *ref);
    tfc_graph *g = new_graph();
    tfc_output xc = tfc_const_array(g, TFC_FLOAT, dims, rank, x, "x");
    for (int op = 0; op < 3; op++) {
        tfc_output y = op == 0   ? tfc_reduce_sum(g, xc, axes, naxes, false, NULL)
                       : op == 1 ? tfc_reduce_max(g, xc, axes, naxes, false, NULL)
                                 : tfc_reduce_mean(g, xc, axes, naxes, false, NULL);
        TFCT_GRAPH_OK(g);
        naive(x, dims, rank, mask, op, ref, m);
        tfc_tensor *t1 = run_threads(g, y, 1), *t4 = run_threads(g, y, 4);
        CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t1), m);
        const float *v = tfc_tensor_data(t1);
        double worst = 0;
        for (int64_t o = 0; o < m; o++) {
            double scale = op == 0 ? 1 + sqrt((double)(n / m)) : 1;
            double e = fabs(v[o] - ref[o]) / scale;
            if (e > worst) worst = e;
        }
        if (worst > 1e-5) fprintf(stderr, "\nop %d rank %d naxes %d: error %g\n", op, rank, naxes, worst);
        CU_ASSERT_TRUE(worst <= 1e-5);
        /* same answer, bit for bit, whatever the number of threads */
        CU_ASSERT_EQUAL(memcmp(tfc_tensor_data(t1), tfc_tensor_data(t4), (size_t)m * sizeof(float)), 0);
        tfc_tensor_free(t1);
        tfc_tensor_free(t4);
    }
    tfc_graph_free(g);
    free(ref);
    free(x);
}

static void test_fast_paths_match_naive(void)
{
    check_against_naive((int64_t[]){300, 200}, 2, (int64_t[]){0}, 1);       /* mean over the batch */
    check_against_naive((int64_t[]){300, 200}, 2, (int64_t[]){1}, 1);       /* sum over classes */
    check_against_naive((int64_t[]){7, 3001}, 2, (int64_t[]){-1}, 1);       /* long rows */
    check_against_naive((int64_t[]){100003}, 1, NULL, 0);                   /* blocked full reduction */
    check_against_naive((int64_t[]){5, 1, 40, 3, 7}, 5, (int64_t[]){0, 2, 4}, 3); /* general */
    check_against_naive((int64_t[]){6, 50, 9}, 3, (int64_t[]){1}, 1);      /* middle axis */
    check_against_naive((int64_t[]){4, 9, 1, 33}, 4, (int64_t[]){1, 2, 3}, 3);
    check_against_naive((int64_t[]){40, 5000}, 2, (int64_t[]){0}, 1);      /* many columns, parallel */
}

/* ---- gradients ---- */

static tfc_tensor *rand_f64(const int64_t *dims, int rank, double lo, double hi)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (lcg() + 1) / 2;
    tfc_tensor *t = tfct_f64(v, dims, rank);
    free(v);
    return t;
}

typedef tfc_output (*reduce_ctor)(tfc_graph *, tfc_output, const int64_t *, int, bool, const char *);

static void grad_case(reduce_ctor f, const int64_t *dims, int rank, const int64_t *axes, int naxes, bool keep,
                      bool unknown_shape, double lo, double hi)
{
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, dims, unknown_shape ? -1 : rank, "x");
    tfc_output y = f(g, x, axes, naxes, keep, "y");
    tfc_tensor *xv = rand_f64(dims, rank, lo, hi);
    grad_check(g, y, x, xv);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
}

static void test_gradients(void)
{
    const reduce_ctor fs[5] = {tfc_reduce_sum, tfc_reduce_mean, tfc_reduce_max, tfc_reduce_min, tfc_reduce_prod};
    int64_t d234[3] = {2, 3, 4};
    for (int i = 0; i < 5; i++) {
        /* Max/Min: random values have no ties; Prod: away from zero only for variety below */
        grad_case(fs[i], d234, 3, (int64_t[]){1}, 1, false, false, -2, 2);
        grad_case(fs[i], d234, 3, (int64_t[]){0}, 1, true, false, -2, 2);
        grad_case(fs[i], d234, 3, (int64_t[]){-1}, 1, false, false, -2, 2);
        grad_case(fs[i], d234, 3, (int64_t[]){0, 2}, 2, false, false, -2, 2);
        grad_case(fs[i], d234, 3, (int64_t[]){2, 0}, 2, true, false, -2, 2);
        grad_case(fs[i], d234, 3, NULL, 0, false, false, -2, 2);
        grad_case(fs[i], d234, 3, NULL, 0, true, true, -2, 2); /* unknown rank: reduce_all */
        grad_case(fs[i], d234, 3, (int64_t[]){1}, 1, false, true, -2, 2);
    }
}

static void test_gradient_special_cases(void)
{
    /* Max with ties splits the gradient evenly, as TensorFlow */
    tfc_graph *g = new_graph();
    int64_t d3[1] = {3};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d3, 1, "x");
    tfc_output y = tfc_reduce_max(g, x, NULL, 0, false, "y");
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    tfc_tensor *xv = tfct_f64((double[]){1, 3, 3}, d3, 1);
    tfc_tensor *t = tfct_eval(g, dx, &x, &xv, 1);
    const double *v = tfc_tensor_data(t);
    CU_ASSERT_EQUAL(v[0], 0.0);
    CU_ASSERT_EQUAL(v[1], 0.5);
    CU_ASSERT_EQUAL(v[2], 0.5);
    tfc_tensor_free(t);
    tfc_tensor_free(xv);
    tfc_graph_free(g);

    /* Prod with zeros: exact (no division) */
    g = new_graph();
    int64_t d23[2] = {2, 3};
    x = tfc_placeholder(g, TFC_DOUBLE, d23, 2, "x");
    y = tfc_reduce_prod(g, x, (int64_t[]){1}, 1, false, "y");
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    xv = tfct_f64((double[]){2, 0, 5, 0, 3, 0}, d23, 2);
    t = tfct_eval(g, dx, &x, &xv, 1);
    v = tfc_tensor_data(t);
    const double want[6] = {0, 10, 0, 0, 0, 0};
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(v[i], want[i]);
    tfc_tensor_free(t);
    grad_check(g, y, x, xv);
    tfc_tensor_free(xv);
    tfc_graph_free(g);

    /* Mean's gradient divides by the count known only at run time */
    g = new_graph();
    int64_t du[2] = {-1, 2};
    x = tfc_placeholder(g, TFC_DOUBLE, du, 2, "x");
    y = tfc_reduce_mean(g, x, (int64_t[]){0}, 1, false, "y");
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    int64_t d42[2] = {4, 2};
    xv = rand_f64(d42, 2, -1, 1);
    t = tfct_eval(g, dx, &x, &xv, 1);
    check_dims(t, d42, 2);
    for (int i = 0; i < 8; i++) CU_ASSERT_EQUAL(((double *)tfc_tensor_data(t))[i], 0.25);
    tfc_tensor_free(t);
    tfc_tensor_free(xv);
    tfc_graph_free(g);

    /* second order: the gradient of Sum's gradient with respect to dy */
    g = new_graph();
    int64_t d234[3] = {2, 3, 4};
    x = tfc_placeholder(g, TFC_DOUBLE, d234, 3, "x");
    y = tfc_reduce_mean(g, x, (int64_t[]){0, 2}, 2, true, "y");
    int64_t d131[3] = {1, 3, 1};
    tfc_output dy = tfc_placeholder(g, TFC_DOUBLE, d131, 3, "dy");
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, &dy, &dx));
    xv = rand_f64(d234, 3, -1, 1);
    tfc_tensor *dyv = rand_f64(d131, 3, -1, 1);
    double err = tfct_grad_error(g, dx, dy, dyv, &x, &xv, 1, 1e-6);
    CU_ASSERT_TRUE(err < 1e-6);
    tfc_tensor_free(xv);
    tfc_tensor_free(dyv);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"sum_2d", test_sum_2d},
        {"sum_mean_3d", test_sum_mean_3d},
        {"max_min_prod", test_max_min_prod},
        {"int_dtypes", test_int_dtypes},
        {"empty_reductions", test_empty_reductions},
        {"unknown_shapes", test_unknown_shapes},
        {"errors", test_errors},
        {"argmax_argmin", test_argmax_argmin},
        {"fast_paths_match_naive", test_fast_paths_match_naive},
        {"gradients", test_gradients},
        {"gradient_special_cases", test_gradient_special_cases},
        {NULL, NULL},
    };
    return tfct_main("test_reduce", cases);
}
