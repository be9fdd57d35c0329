/* Losses: softmax / sparse softmax / sigmoid cross-entropy, L2Loss, and their gradients. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tfc_graph *new_graph(void)
{
    tfc_graph *g = NULL;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

static void check_dims(const tfc_tensor *t, const int64_t *dims, int rank)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(tfc_tensor_dim(t, i), dims[i]);
}

static void expect_f32(tfc_graph *g, tfc_output y, const tfc_output *feeds, tfc_tensor *const *vals, int n,
                       const int64_t *dims, int rank, const float *want, double tol)
{
    tfc_tensor *t = tfct_eval(g, y, feeds, vals, n);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_FLOAT);
    check_dims(t, dims, rank);
    const float *v = tfc_tensor_data(t);
    for (int64_t i = 0; i < tfc_tensor_num_elements(t); i++) {
        CU_ASSERT_TRUE(isfinite(v[i]));
        TFCT_NEAR(v[i], want[i], tol);
    }
    tfc_tensor_free(t);
}

static void grad_check(tfc_graph *g, tfc_output y, tfc_output x, const tfc_tensor *xv, const tfc_output *feeds,
                       tfc_tensor *const *vals, int n)
{
    TFCT_GRAPH_OK(g);
    double err = tfct_grad_error(g, y, x, xv, feeds, vals, n, 1e-6);
    if (!(err < 1e-6)) fprintf(stderr, "\ngradient error %g of '%s' w.r.t. '%s'\n", err, tfc_op_name(y.op),
                               tfc_op_name(x.op));
    CU_ASSERT_TRUE(err < 1e-6);
}

static const int64_t D23[2] = {2, 3};
static const float LOGITS[6] = {1, 2, 3, 1, 1, 1};
static const float LABELS[6] = {0, 0, 1, 0.5f, 0.5f, 0};

static void test_softmax_xent_values(void)
{
    tfc_graph *g = new_graph();
    tfc_output logits = tfc_const_array(g, TFC_FLOAT, D23, 2, LOGITS, "logits");
    tfc_output labels = tfc_const_array(g, TFC_FLOAT, D23, 2, LABELS, "labels");
    tfc_output loss = tfc_softmax_cross_entropy_with_logits(g, labels, logits, "xent");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(loss.op), "SoftmaxCrossEntropyWithLogits");
    CU_ASSERT_EQUAL(tfc_op_num_outputs(loss.op), 2);
    CU_ASSERT_PTR_EQUAL(tfc_op_input(loss.op, 0).op, logits.op); /* TensorFlow's order: features, labels */
    tfct_expect_static_shape(g, loss, (int64_t[]){2}, 1);
    tfct_expect_static_shape(g, tfc_op_output(loss.op, 1), D23, 2);
    expect_f32(g, loss, NULL, NULL, 0, (int64_t[]){2}, 1, (float[]){0.40760596f, 1.09861229f}, 1e-6);
    expect_f32(g, tfc_op_output(loss.op, 1), NULL, NULL, 0, D23, 2,
               (float[]){0.09003057f, 0.24472847f, -0.33475904f, -1.0f / 6, -1.0f / 6, 1.0f / 3}, 1e-6);
    tfc_graph_free(g);
}

static void test_sparse_xent_values(void)
{
    tfc_graph *g = new_graph();
    tfc_output logits = tfc_const_array(g, TFC_FLOAT, D23, 2, LOGITS, "logits");
    int64_t d2[1] = {2};
    tfc_output l32 = tfc_const_array(g, TFC_INT32, d2, 1, (int32_t[]){2, 0}, "l32");
    tfc_output l64 = tfc_const_array(g, TFC_INT64, d2, 1, (int64_t[]){1, 2}, "l64");
    tfc_output a = tfc_sparse_softmax_cross_entropy_with_logits(g, l32, logits, "a");
    tfc_output b = tfc_sparse_softmax_cross_entropy_with_logits(g, l64, logits, "b");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(a.op), "SparseSoftmaxCrossEntropyWithLogits");
    expect_f32(g, a, NULL, NULL, 0, d2, 1, (float[]){0.40760596f, 1.09861229f}, 1e-6);
    expect_f32(g, b, NULL, NULL, 0, d2, 1, (float[]){1.40760596f, 1.09861229f}, 1e-6);
    expect_f32(g, tfc_op_output(a.op, 1), NULL, NULL, 0, D23, 2,
               (float[]){0.09003057f, 0.24472847f, -0.33475904f, -2.0f / 3, 1.0f / 3, 1.0f / 3}, 1e-6);

    /* labels out of range are a run-time error naming the op, the row and the value */
    tfc_output lp = tfc_placeholder(g, TFC_INT64, d2, 1, "lp");
    tfc_output c = tfc_sparse_softmax_cross_entropy_with_logits(g, lp, logits, "checked");
    tfc_tensor *bad = tfct_i64((int64_t[]){0, 3}, d2, 1);
    tfct_expect_run_error(g, c, &lp, &bad, 1, TFC_INVALID_ARGUMENT,
                     "op 'checked' (SparseSoftmaxCrossEntropyWithLogits): label 3 at row 1 is outside the valid "
                     "range [0, 3)");
    tfc_tensor_free(bad);
    bad = tfct_i64((int64_t[]){-1, 0}, d2, 1);
    tfct_expect_run_error(g, c, &lp, &bad, 1, TFC_INVALID_ARGUMENT, "label -1 at row 0 is outside the valid range [0, 3)");
    tfc_tensor_free(bad);
    tfc_graph_free(g);
}

static void test_large_logits_are_stable(void)
{
    tfc_graph *g = new_graph();
    int64_t d23[2] = {2, 3}, d2[1] = {2};
    const float big[6] = {1e4f, 0, -1e4f, 1e4f, 1e4f, -1e4f};
    const float lab[6] = {0, 1, 0, 1, 0, 0};
    tfc_output logits = tfc_const_array(g, TFC_FLOAT, d23, 2, big, NULL);
    tfc_output labels = tfc_const_array(g, TFC_FLOAT, d23, 2, lab, NULL);
    tfc_output loss = tfc_softmax_cross_entropy_with_logits(g, labels, logits, NULL);
    tfc_output sl = tfc_const_array(g, TFC_INT32, d2, 1, (int32_t[]){1, 2}, NULL);
    tfc_output sparse = tfc_sparse_softmax_cross_entropy_with_logits(g, sl, logits, NULL);
    TFCT_GRAPH_OK(g);
    expect_f32(g, loss, NULL, NULL, 0, d2, 1, (float[]){1e4f, 0.69314718f}, 1e-3);
    expect_f32(g, tfc_op_output(loss.op, 1), NULL, NULL, 0, d23, 2, (float[]){1, -1, 0, -0.5f, 0.5f, 0}, 1e-6);
    expect_f32(g, sparse, NULL, NULL, 0, d2, 1, (float[]){1e4f, 2e4f + 0.69314718f}, 4e-3);

    int64_t d7[1] = {7};
    const float x[7] = {0, 2, -3, 1e4f, -1e4f, 1e4f, -2};
    const float z[7] = {0.5f, 1, 0, 1, 0, 0, 0.25f};
    tfc_output sx = tfc_sigmoid_cross_entropy_with_logits(g, tfc_const_array(g, TFC_FLOAT, d7, 1, z, NULL),
                                                          tfc_const_array(g, TFC_FLOAT, d7, 1, x, NULL), "sig");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(sx.op), "SigmoidCrossEntropyWithLogits");
    expect_f32(g, sx, NULL, NULL, 0, d7, 1,
               (float[]){0.69314718f, 0.12692801f, 0.04858735f, 0, 0, 1e4f, 0.62692801f}, 1e-6);
    tfc_graph_free(g);
}

static void test_l2_loss(void)
{
    tfc_graph *g = new_graph();
    int64_t d22[2] = {2, 2};
    tfc_output t = tfc_const_array(g, TFC_FLOAT, d22, 2, (float[]){1, 2, 3, -4}, NULL);
    tfc_output l = tfc_l2_loss(g, t, "l2");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(l.op), "L2Loss");
    tfct_expect_static_shape(g, l, NULL, 0);
    expect_f32(g, l, NULL, NULL, 0, NULL, 0, (float[]){15}, 0);
    /* an empty tensor gives 0; a long one matches a double-precision sum */
    int64_t d0[1] = {0};
    expect_f32(g, tfc_l2_loss(g, tfc_const_array(g, TFC_FLOAT, d0, 1, NULL, NULL), NULL), NULL, NULL, 0, NULL, 0,
               (float[]){0}, 0);
    int64_t n = 100003;
    float *v = malloc((size_t)n * sizeof *v);
    double ref = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = (float)((i % 17) - 8) * 0.125f;
        ref += (double)v[i] * v[i];
    }
    tfc_output big = tfc_l2_loss(g, tfc_const_array(g, TFC_FLOAT, &n, 1, v, NULL), NULL);
    expect_f32(g, big, NULL, NULL, 0, NULL, 0, (float[]){(float)(ref / 2)}, ref * 1e-6);
    free(v);
    tfc_graph_free(g);
}

static void test_errors(void)
{
    tfc_graph *g = new_graph();
    int64_t d24[2] = {2, 4}, d234[3] = {2, 3, 4}, d3[1] = {3};
    tfc_output a = tfc_const_array(g, TFC_FLOAT, D23, 2, LOGITS, "a");
    tfc_output b = tfc_zeros(g, TFC_FLOAT, d24, 2, "b");
    tfc_output r3 = tfc_zeros(g, TFC_FLOAT, d234, 3, "r3");
    tfc_output d = tfc_zeros(g, TFC_DOUBLE, D23, 2, "d");
    TFCT_GRAPH_OK(g);
    tfc_softmax_cross_entropy_with_logits(g, b, a, "x1");
    tfct_expect_graph_error(g, "op 'x1' (SoftmaxCrossEntropyWithLogits): inputs 'a' [2,3] and 'b' [2,4] must have the "
                          "same shape");
    tfc_softmax_cross_entropy_with_logits(g, r3, r3, "x2");
    tfct_expect_graph_error(g, "op 'x2' (SoftmaxCrossEntropyWithLogits): logits (input 0, 'r3') must have rank 2, got "
                          "shape [2,3,4]");
    tfc_softmax_cross_entropy_with_logits(g, d, a, "x3");
    tfct_expect_graph_error(g, "must have the same dtype");
    tfc_sparse_softmax_cross_entropy_with_logits(g, tfc_zeros(g, TFC_FLOAT, d3, 1, NULL), a, "s1");
    tfct_expect_graph_error(g, "op 's1' (SparseSoftmaxCrossEntropyWithLogits): labels (input 1, 'zeros') must be int32 "
                          "or int64, got float32");
    tfc_sparse_softmax_cross_entropy_with_logits(g, tfc_zeros(g, TFC_INT32, d3, 1, NULL), a, "s2");
    tfct_expect_graph_error(g, "logits [2,3] and labels [3] must have the same batch size");
    tfc_sigmoid_cross_entropy_with_logits(g, b, a, "g1");
    tfct_expect_graph_error(g, "op 'g1' (SigmoidCrossEntropyWithLogits): inputs 'a' [2,3] and 'b' [2,4] must have the "
                          "same shape");
    tfc_l2_loss(g, tfc_zeros(g, TFC_INT32, d3, 1, NULL), "l1");
    tfct_expect_graph_error(g, "op 'l1' (L2Loss): input 0 ('zeros_");
    tfc_l2_loss(g, tfc_zeros(g, TFC_INT32, d3, 1, "iz"), "l1");
    tfct_expect_graph_error(g, "op 'l1' (L2Loss): input 0 ('iz') must be float32 or float64, got int32");

    /* mismatches found at run time */
    int64_t u2[2] = {-1, -1}, u1[1] = {-1};
    tfc_output p = tfc_placeholder(g, TFC_FLOAT, u2, 2, "p");
    tfc_output q = tfc_placeholder(g, TFC_FLOAT, u2, 2, "q");
    tfc_output lab = tfc_placeholder(g, TFC_INT32, u1, 1, "lab");
    tfc_output x = tfc_softmax_cross_entropy_with_logits(g, q, p, "rx");
    tfc_output sg = tfc_sigmoid_cross_entropy_with_logits(g, q, p, "rs");
    tfc_output sp = tfc_sparse_softmax_cross_entropy_with_logits(g, lab, p, "rsp");
    tfc_tensor *pv = tfct_f32(LOGITS, D23, 2);
    tfc_tensor *qv = tfct_f32((float[]){0, 0, 0, 0, 0, 0, 0, 0}, d24, 2);
    tfc_tensor *lv = tfct_i32((int32_t[]){0, 1, 2}, d3, 1);
    tfc_output feeds[3] = {p, q, lab};
    tfc_tensor *vals[3] = {pv, qv, lv};
    tfct_expect_run_error(g, x, feeds, vals, 2, TFC_INVALID_ARGUMENT, "op 'rx' (SoftmaxCrossEntropyWithLogits): inputs 0 [2,3] and 1 [2,4] must "
                                           "have the same shape");
    tfct_expect_run_error(g, sg, feeds, vals, 2, TFC_INVALID_ARGUMENT, "op 'rs' (SigmoidCrossEntropyWithLogits): inputs 0 [2,3] and 1 [2,4]");
    tfc_output f2[2] = {p, lab};
    tfc_tensor *v2[2] = {pv, lv};
    tfct_expect_run_error(g, sp, f2, v2, 2, TFC_INVALID_ARGUMENT, "logits have 2 rows but labels have 3");
    tfc_tensor_free(pv);
    tfc_tensor_free(qv);
    tfc_tensor_free(lv);
    tfc_graph_free(g);
}

/* ---- gradients (float64, central differences) ---- */

static tfc_tensor *f64_of(const float *v, const int64_t *dims, int rank, int64_t n)
{
    double *d = malloc((size_t)n * sizeof *d);
    for (int64_t i = 0; i < n; i++) d[i] = v[i];
    tfc_tensor *t = tfct_f64(d, dims, rank);
    free(d);
    return t;
}

static void test_softmax_xent_gradients(void)
{
    const float lv[12] = {-0.5f, 4, 2.5f, 0, 1, -1, 0.25f, 3, 2, 2, -2, 0.5f};
    const float zv[12] = {0.1f, 0.6f, 0.3f, 0, 0, 0, 1, 0, 0.25f, 0.25f, 0.25f, 0.25f};
    int64_t d34[2] = {3, 4}, u[2] = {-1, 4};
    for (int which = 0; which < 2; which++) { /* through the loss, then through backprop */
        for (int wrt = 0; wrt < 2; wrt++) {
            tfc_graph *g = new_graph();
            tfc_output logits = tfc_placeholder(g, TFC_DOUBLE, u, 2, "logits");
            tfc_output labels = tfc_placeholder(g, TFC_DOUBLE, u, 2, "labels");
            tfc_output loss = tfc_softmax_cross_entropy_with_logits(g, labels, logits, "xent");
            tfc_output y = tfc_op_output(loss.op, which);
            tfc_tensor *l = f64_of(lv, d34, 2, 12), *z = f64_of(zv, d34, 2, 12);
            tfc_output other = wrt ? logits : labels;
            tfc_tensor *ov = wrt ? l : z;
            grad_check(g, y, wrt ? labels : logits, wrt ? z : l, &other, &ov, 1);
            /* backprop's own gradient is used only when it is not the engine's zeros */
            size_t pos = 0;
            for (tfc_op *op; (op = tfc_graph_next_op(g, &pos));)
                if (strcmp(tfc_op_type(op), "_XentLogitsGrad") == 0) CU_ASSERT_EQUAL(tfc_op_num_inputs(op), which ? 4 : 2);
            tfc_tensor_free(l);
            tfc_tensor_free(z);
            tfc_graph_free(g);
        }
    }
    /* the analytic values: d loss / d logits = softmax - labels, d / d labels = -log_softmax */
    tfc_graph *g = new_graph();
    int64_t d14[2] = {1, 4};
    tfc_output logits = tfc_const_array(g, TFC_DOUBLE, d14, 2, (double[]){-0.5, 4, 2.5, 0}, NULL);
    tfc_output labels = tfc_const_array(g, TFC_DOUBLE, d14, 2, (double[]){0, 1, 0, 0}, NULL);
    tfc_output loss = tfc_softmax_cross_entropy_with_logits(g, labels, logits, NULL);
    tfc_output xs[2] = {logits, labels}, dx[2];
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, xs, 2, NULL, dx));
    tfc_tensor *t = tfct_eval(g, dx[0], NULL, NULL, 0);
    const double sm[4] = {0.008869070301342775, 0.7983682658295311, 0.17814003901196748, 0.014622624857158628};
    for (int i = 0; i < 4; i++) TFCT_NEAR(((double *)tfc_tensor_data(t))[i], sm[i] - (i == 1), 1e-12);
    tfc_tensor_free(t);
    t = tfct_eval(g, dx[1], NULL, NULL, 0);
    for (int i = 0; i < 4; i++) TFCT_NEAR(((double *)tfc_tensor_data(t))[i], -log(sm[i]), 1e-12);
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_sparse_xent_gradients(void)
{
    const float lv[12] = {-0.5f, 4, 2.5f, 0, 1, -1, 0.25f, 3, 2, 2, -2, 0.5f};
    int64_t d34[2] = {3, 4}, d3[1] = {3}, u[2] = {-1, -1};
    for (int which = 0; which < 2; which++) {
        tfc_graph *g = new_graph();
        tfc_output logits = tfc_placeholder(g, TFC_DOUBLE, u, 2, "logits");
        tfc_output labels = tfc_const_array(g, TFC_INT64, d3, 1, (int64_t[]){1, 3, 0}, "labels");
        tfc_output loss = tfc_sparse_softmax_cross_entropy_with_logits(g, labels, logits, "xent");
        tfc_tensor *l = f64_of(lv, d34, 2, 12);
        grad_check(g, tfc_op_output(loss.op, which), logits, l, NULL, NULL, 0);
        tfc_tensor_free(l);
        tfc_graph_free(g);
    }
}

static void test_sigmoid_xent_gradients(void)
{
    const float xv[6] = {-3, -0.5f, 0.1f, 0.7f, 2, 5};
    const float zv[6] = {0, 0.3f, 1, 0.5f, 1, 0.9f};
    int64_t d23[2] = {2, 3};
    for (int wrt = 0; wrt < 2; wrt++) {
        tfc_graph *g = new_graph();
        tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d23, 2, "x");
        tfc_output z = tfc_placeholder(g, TFC_DOUBLE, NULL, -1, "z");
        tfc_output y = tfc_sigmoid_cross_entropy_with_logits(g, z, x, "sig");
        tfc_tensor *xt = f64_of(xv, d23, 2, 6), *zt = f64_of(zv, d23, 2, 6);
        tfc_output other = wrt ? x : z;
        tfc_tensor *ov = wrt ? xt : zt;
        grad_check(g, y, wrt ? z : x, wrt ? zt : xt, &other, &ov, 1);
        tfc_tensor_free(xt);
        tfc_tensor_free(zt);
        tfc_graph_free(g);
    }
    /* the gradient stays finite and exact for huge logits: sigmoid(x) - z */
    tfc_graph *g = new_graph();
    int64_t d2[1] = {2};
    tfc_output x = tfc_const_array(g, TFC_FLOAT, d2, 1, (float[]){1e4f, -1e4f}, NULL);
    tfc_output z = tfc_const_array(g, TFC_FLOAT, d2, 1, (float[]){0.25f, 0.5f}, NULL);
    tfc_output y = tfc_sigmoid_cross_entropy_with_logits(g, z, x, NULL);
    tfc_output xs[2] = {x, z}, dx[2];
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, xs, 2, NULL, dx));
    expect_f32(g, dx[0], NULL, NULL, 0, d2, 1, (float[]){0.75f, -0.5f}, 0);
    expect_f32(g, dx[1], NULL, NULL, 0, d2, 1, (float[]){-1e4f, 1e4f}, 0);
    tfc_graph_free(g);
}

static void test_l2_loss_gradient(void)
{
    tfc_graph *g = new_graph();
    int64_t d23[2] = {2, 3};
    tfc_output t = tfc_placeholder(g, TFC_DOUBLE, NULL, -1, "t");
    tfc_output l = tfc_l2_loss(g, t, "l2");
    tfc_tensor *tv = tfct_f64((double[]){1, -2, 0.5, 3, 0, -0.25}, d23, 2);
    grad_check(g, l, t, tv, NULL, NULL, 0);
    tfc_tensor_free(tv);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"softmax_xent_values", test_softmax_xent_values},
        {"sparse_xent_values", test_sparse_xent_values},
        {"large_logits_are_stable", test_large_logits_are_stable},
        {"l2_loss", test_l2_loss},
        {"errors", test_errors},
        {"softmax_xent_gradients", test_softmax_xent_gradients},
        {"sparse_xent_gradients", test_sparse_xent_gradients},
        {"sigmoid_xent_gradients", test_sigmoid_xent_gradients},
        {"l2_loss_gradient", test_l2_loss_gradient},
        {NULL, NULL},
    };
    return tfct_main("test_loss", cases);
}
