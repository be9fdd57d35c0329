/* The gradient engine: paths, accumulation, sparse gradients, errors. */
#include <string.h>

#include "testutil.h"

static double scalar(tfc_tensor *t)
{
    double v = tfc_tensor_dtype(t) == TFC_DOUBLE ? *(double *)tfc_tensor_data(t) : *(float *)tfc_tensor_data(t);
    tfc_tensor_free(t);
    return v;
}

static void test_chain_and_fan_out(void)
{
    /* y = x*x + 3x at x = 2: dy/dx = 2x + 3 = 7 (two paths into x summed) */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, NULL, 0, "x");
    tfc_output y = tfc_add(g, tfc_mul(g, x, x, NULL), tfc_mul(g, tfc_const_double(g, 3, NULL), x, NULL), "y");
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    CU_ASSERT_PTR_NOT_NULL_FATAL(dx.op);
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_op_name(dx.op), "gradients/"));
    double two = 2;
    tfc_tensor *xv = tfct_f64(&two, NULL, 0);
    TFCT_NEAR(scalar(tfct_eval(g, dx, &x, &xv, 1)), 7.0, 1e-12);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
}

static void test_multiple_ys_dys_and_unconnected(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, NULL, 0, "x");
    tfc_output z = tfc_placeholder(g, TFC_DOUBLE, NULL, 0, "z");
    tfc_output y1 = tfc_mul(g, x, x, "y1");             /* d/dx = 2x */
    tfc_output y2 = tfc_mul(g, tfc_const_double(g, 5, NULL), x, "y2"); /* d/dx = 5 */
    tfc_output ys[2] = {y1, y2}, xs[2] = {x, z}, dxs[2];
    tfc_output dys[2] = {tfc_const_double(g, 10, NULL), tfc_const_double(g, 1, NULL)};
    TFCT_OK(tfc_graph_add_gradients(g, ys, 2, xs, 2, dys, dxs));
    CU_ASSERT_PTR_NULL(dxs[1].op); /* z does not influence ys */
    double three = 3;
    tfc_tensor *xv = tfct_f64(&three, NULL, 0);
    TFCT_NEAR(scalar(tfct_eval(g, dxs[0], &x, &xv, 1)), 10 * 6 + 5, 1e-12);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
}

static void test_intermediate_x_and_stop(void)
{
    /* gradient w.r.t. an intermediate tensor h = 2x of y = h^2 is 2h */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, NULL, 0, "x");
    tfc_output h = tfc_mul(g, tfc_const_double(g, 2, NULL), x, "h");
    tfc_output y = tfc_square(g, h, "y");
    tfc_output dh;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &h, 1, NULL, &dh));
    double one = 1.5;
    tfc_tensor *xv = tfct_f64(&one, NULL, 0);
    TFCT_NEAR(scalar(tfct_eval(g, dh, &x, &xv, 1)), 2 * 3.0, 1e-12);
    /* through ArgMax (not differentiable) no gradient flows */
    int64_t d[1] = {3};
    tfc_output v = tfc_placeholder(g, TFC_DOUBLE, d, 1, "v");
    tfc_output am = tfc_cast(g, tfc_argmax(g, v, 0, NULL), TFC_DOUBLE, NULL);
    tfc_output dv;
    TFCT_OK(tfc_graph_add_gradients(g, &am, 1, &v, 1, NULL, &dv));
    CU_ASSERT_PTR_NULL(dv.op);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
}

static void test_sparse_accumulation(void)
{
    /* two gathers from one table: the sparse gradient keeps both parts */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    double tv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t td[2] = {4, 2}, id[1] = {2};
    int32_t i1[2] = {0, 3};
    int64_t i2[2] = {3, 3};
    tfc_output table = tfc_const_array(g, TFC_DOUBLE, td, 2, tv, "table");
    tfc_output a = tfc_gather(g, table, tfc_const_array(g, TFC_INT32, id, 1, i1, NULL), 0, NULL);
    tfc_output b = tfc_gather(g, table, tfc_const_array(g, TFC_INT64, id, 1, i2, NULL), 0, NULL);
    tfc_output y = tfc_add(g, tfc_reduce_sum(g, a, NULL, 0, false, NULL),
                           tfc_mul(g, tfc_const_double(g, 2, NULL), tfc_reduce_sum(g, b, NULL, 0, false, NULL), NULL),
                           "y");
    tfc_gradient gr;
    TFCT_OK(tfc_graph_add_gradients_sparse(g, &y, 1, &table, 1, NULL, &gr));
    CU_ASSERT_PTR_NULL(gr.dense.op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.indices.op);
    tfc_tensor *idx = tfct_eval(g, gr.indices, NULL, NULL, 0), *vals = tfct_eval(g, gr.values, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(idx), 4);
    CU_ASSERT_EQUAL(tfc_tensor_dim(vals, 0), 4);
    tfc_tensor_free(idx);
    tfc_tensor_free(vals);
    /* densified: row 0 gets 1, row 3 gets 1 + 2 + 2 = 5 per element */
    tfc_output dense;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &table, 1, NULL, &dense));
    tfc_tensor *dv = tfct_eval(g, dense, NULL, NULL, 0);
    const double *p = tfc_tensor_data(dv);
    double want[8] = {1, 1, 0, 0, 0, 0, 5, 5};
    for (int i = 0; i < 8; i++) TFCT_NEAR(p[i], want[i], 1e-12);
    tfc_tensor_free(dv);
    tfc_graph_free(g);
}

static void test_errors(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t d[1] = {3};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 1, "x");
    tfc_output l = tfc_l2_loss(g, x, "l");
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &l, 1, &x, 1, NULL, &dx));
    /* the gradient op of L2Loss has no gradient itself */
    tfc_output s = tfc_reduce_sum(g, dx, NULL, 0, false, NULL), ddx;
    CU_ASSERT_EQUAL(tfc_graph_add_gradients(g, &s, 1, &x, 1, NULL, &ddx), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("no gradient is defined for op");
    TFCT_ERR_HAS("_L2LossGrad");
    CU_ASSERT_PTR_NULL(ddx.op);
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_OK); /* reported, not left sticky */
    /* integer ys */
    tfc_output iy = tfc_argmax(g, x, 0, NULL);
    CU_ASSERT_EQUAL(tfc_graph_add_gradients(g, &iy, 1, &x, 1, NULL, &dx), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("not a float type");
    tfc_output bad = {NULL, 0};
    CU_ASSERT_EQUAL(tfc_graph_add_gradients(g, &bad, 1, &x, 1, NULL, &dx), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("ys[0] is not an output of this graph");
    CU_ASSERT_EQUAL(tfc_graph_add_gradients(g, &l, 1, &x, 1, NULL, NULL), TFC_INVALID_ARGUMENT);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"chain rule and fan-out", test_chain_and_fan_out},
        {"several ys, dys weights, unconnected xs", test_multiple_ys_dys_and_unconnected},
        {"intermediate xs and stopped paths", test_intermediate_x_and_stop},
        {"sparse gradients accumulate", test_sparse_accumulation},
        {"errors", test_errors},
        {NULL, NULL},
    };
    return tfct_main("gradients", cases);
}
