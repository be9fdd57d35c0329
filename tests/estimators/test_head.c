/* Estimator heads in the graph: losses (SUM_OVER_BATCH_SIZE, weights),
 * predictions under TensorFlow's keys, gradients of the loss with respect
 * to the logits (finite differences in float64), classes made in C, errors,
 * and a head feeding tfc_metrics. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tfc/head.h"

static const tfc_output NONE = {NULL, 0};

/* Evaluates o and copies up to n values as doubles; returns the element count. */
static int64_t eval_d(tfc_graph *g, tfc_output o, double *out, int64_t n)
{
    tfc_tensor *t = tfct_eval(g, o, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    int64_t k = tfc_tensor_num_elements(t);
    const void *d = tfc_tensor_data(t);
    for (int64_t i = 0; i < k && i < n; i++) {
        switch (tfc_tensor_dtype(t)) {
        case TFC_FLOAT: out[i] = ((const float *)d)[i]; break;
        case TFC_DOUBLE: out[i] = ((const double *)d)[i]; break;
        case TFC_INT64: out[i] = (double)((const int64_t *)d)[i]; break;
        case TFC_INT32: out[i] = ((const int32_t *)d)[i]; break;
        default: CU_FAIL("unexpected dtype");
        }
    }
    tfc_tensor_free(t);
    return k;
}

static double sig_xent(double x, double z) { return fmax(x, 0) - x * z + log1p(exp(-fabs(x))); }
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static const double BX[4] = {1.0, -2.0, 0.5, 0.0};
static const double BY[4] = {1, 0, 0, 1};

static void test_binary(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    float xf[4];
    for (int i = 0; i < 4; i++) xf[i] = (float)BX[i];
    int64_t d41[2] = {4, 1}, d4[1] = {4};
    static const int32_t yi[4] = {1, 0, 0, 1};
    tfc_output logits = tfc_const_array(g, TFC_FLOAT, d41, 2, xf, "logits");
    tfc_output labels = tfc_const_array(g, TFC_INT32, d4, 1, yi, "labels"); /* cast to float */
    TFCT_GRAPH_OK(g);
    tfc_head_outputs *h;
    TFCT_OK(tfc_head_build(g, TFC_HEAD_BINARY, 2, logits, labels, NONE, &h));

    CU_ASSERT_EQUAL(tfc_head_num_predictions(h), 4);
    static const char *keys[4] = {"logits", "logistic", "probabilities", "class_ids"};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_STRING_EQUAL(tfc_head_prediction_name(h, i), keys[i]);
        CU_ASSERT_PTR_EQUAL(tfc_head_prediction_output(h, i).op, tfc_head_prediction(h, keys[i]).op);
    }
    CU_ASSERT_PTR_NULL(tfc_head_prediction(h, "predictions").op);
    CU_ASSERT_PTR_NULL(tfc_head_prediction_name(h, 4));

    double v[8], want = 0;
    for (int i = 0; i < 4; i++) want += sig_xent(BX[i], BY[i]) / 4;
    CU_ASSERT_EQUAL(eval_d(g, tfc_head_loss(h), v, 1), 1);
    TFCT_NEAR(v[0], want, 1e-6);
    TFCT_NEAR(v[0], (0.31326169 + 0.12692801 + 0.97407698 + 0.69314718) / 4, 1e-6);
    CU_ASSERT_EQUAL(eval_d(g, tfc_head_example_loss(h), v, 4), 4);
    for (int i = 0; i < 4; i++) TFCT_NEAR(v[i], sig_xent(BX[i], BY[i]), 1e-6);
    eval_d(g, tfc_head_prediction(h, "logistic"), v, 4);
    for (int i = 0; i < 4; i++) TFCT_NEAR(v[i], sigmoid(BX[i]), 1e-6);
    CU_ASSERT_EQUAL(eval_d(g, tfc_head_prediction(h, "probabilities"), v, 8), 8);
    for (int i = 0; i < 4; i++) {
        TFCT_NEAR(v[2 * i], 1 - sigmoid(BX[i]), 1e-6);
        TFCT_NEAR(v[2 * i + 1], sigmoid(BX[i]), 1e-6);
    }
    tfc_output ids = tfc_head_prediction(h, "class_ids");
    CU_ASSERT_EQUAL(tfc_output_dtype(ids), TFC_INT64);
    int64_t sd[2] = {4, 1};
    tfct_expect_static_shape(g, ids, sd, 2);
    eval_d(g, ids, v, 4);
    /* logit 0 is class 0, as argmax([0, 0]) */
    CU_ASSERT_EQUAL(v[0], 1);
    CU_ASSERT_EQUAL(v[1], 0);
    CU_ASSERT_EQUAL(v[2], 1);
    CU_ASSERT_EQUAL(v[3], 0);
    eval_d(g, tfc_head_prediction(h, "logits"), v, 4);
    TFCT_NEAR(v[1], -2.0, 0);
    tfc_head_outputs_free(h);
    tfc_graph_free(g);
}

static void test_binary_weighted_grad(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t d41[2] = {4, 1}, d4[1] = {4};
    static const double w[4] = {1, 2, 0, 1};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d41, 2, "x");
    tfc_output labels = tfc_const_array(g, TFC_DOUBLE, d41, 2, BY, "labels");
    tfc_output weights = tfc_const_array(g, TFC_DOUBLE, d4, 1, w, "weights");
    TFCT_GRAPH_OK(g);
    tfc_head_outputs *h;
    TFCT_OK(tfc_head_build(g, TFC_HEAD_BINARY, 0, x, labels, weights, &h));
    tfc_tensor *xv = tfct_f64(BX, d41, 2);
    tfc_tensor *t = tfct_eval(g, tfc_head_loss(h), &x, &xv, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    /* SUM_OVER_BATCH_SIZE: divided by the 4 examples, not by the weight sum. */
    double want = (sig_xent(1, 1) + 2 * sig_xent(-2, 0) + sig_xent(0, 1)) / 4;
    TFCT_NEAR(*(double *)tfc_tensor_data(t), want, 1e-12);
    tfc_tensor_free(t);
    /* d loss / d x_i = w_i (sigmoid(x_i) - y_i) / 4 */
    tfc_output dx;
    tfc_output loss = tfc_head_loss(h);
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &x, 1, NULL, &dx));
    t = tfct_eval(g, dx, &x, &xv, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (int i = 0; i < 4; i++)
        TFCT_NEAR(((double *)tfc_tensor_data(t))[i], w[i] * (sigmoid(BX[i]) - BY[i]) / 4, 1e-12);
    tfc_tensor_free(t);
    CU_ASSERT(tfct_grad_error(g, loss, x, xv, NULL, NULL, 0, 1e-6) < 1e-6);
    tfc_tensor_free(xv);
    tfc_head_outputs_free(h);
    tfc_graph_free(g);
}

static void test_multi_class(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    static const double lx[9] = {1, 2, 3, 0, 0, 0, 2, -1, 0.5};
    static const int64_t y[3] = {2, 1, 0};
    static const double w[3] = {0.5, 1, 2};
    int64_t d33[2] = {3, 3}, d31[2] = {3, 1}, d3[1] = {3};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d33, 2, "x");
    tfc_output labels = tfc_const_array(g, TFC_INT64, d31, 2, y, "labels");
    tfc_output weights = tfc_const_array(g, TFC_DOUBLE, d3, 1, w, "weights");
    TFCT_GRAPH_OK(g);
    tfc_head_outputs *h, *hw;
    TFCT_OK(tfc_head_build(g, TFC_HEAD_MULTI_CLASS, 3, x, labels, NONE, &h));
    TFCT_OK(tfc_head_build(g, TFC_HEAD_MULTI_CLASS, 3, x, labels, weights, &hw));
    CU_ASSERT_EQUAL(tfc_head_num_predictions(h), 3);
    CU_ASSERT_STRING_EQUAL(tfc_head_prediction_name(h, 0), "logits");
    CU_ASSERT_STRING_EQUAL(tfc_head_prediction_name(h, 1), "probabilities");
    CU_ASSERT_STRING_EQUAL(tfc_head_prediction_name(h, 2), "class_ids");
    CU_ASSERT_PTR_NULL(tfc_head_prediction(h, "logistic").op);

    double lse[3], ex[3], want = 0, want_w = 0;
    for (int r = 0; r < 3; r++) {
        double s = 0;
        for (int c = 0; c < 3; c++) s += exp(lx[3 * r + c]);
        lse[r] = log(s);
        ex[r] = lse[r] - lx[3 * r + y[r]];
        want += ex[r] / 3;
        want_w += w[r] * ex[r] / 3;
    }
    tfc_tensor *xv = tfct_f64(lx, d33, 2);
    tfc_output fetch[5] = {tfc_head_loss(h), tfc_head_loss(hw), tfc_head_example_loss(h),
                           tfc_head_prediction(h, "probabilities"), tfc_head_prediction(h, "class_ids")};
    tfc_tensor *t = tfct_eval(g, fetch[0], &x, &xv, 1);
    TFCT_NEAR(*(double *)tfc_tensor_data(t), want, 1e-12);
    tfc_tensor_free(t);
    t = tfct_eval(g, fetch[1], &x, &xv, 1);
    TFCT_NEAR(*(double *)tfc_tensor_data(t), want_w, 1e-12);
    tfc_tensor_free(t);
    t = tfct_eval(g, fetch[2], &x, &xv, 1);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 2);
    for (int r = 0; r < 3; r++) TFCT_NEAR(((double *)tfc_tensor_data(t))[r], ex[r], 1e-12);
    tfc_tensor_free(t);
    t = tfct_eval(g, fetch[3], &x, &xv, 1);
    for (int i = 0; i < 9; i++) TFCT_NEAR(((double *)tfc_tensor_data(t))[i], exp(lx[i] - lse[i / 3]), 1e-12);
    tfc_tensor_free(t);
    t = tfct_eval(g, fetch[4], &x, &xv, 1);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(t), TFC_INT64);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 2);
    const int64_t *ids = tfc_tensor_data(t);
    CU_ASSERT(ids[0] == 2 && ids[1] == 0 && ids[2] == 0); /* first of the ties */
    tfc_tensor_free(t);
    /* d loss / d x = w (softmax - onehot) / 3 */
    tfc_output dx, lw = tfc_head_loss(hw);
    TFCT_OK(tfc_graph_add_gradients(g, &lw, 1, &x, 1, NULL, &dx));
    t = tfct_eval(g, dx, &x, &xv, 1);
    for (int i = 0; i < 9; i++) {
        int r = i / 3;
        double gw = w[r] * (exp(lx[i] - lse[r]) - (i % 3 == y[r])) / 3;
        TFCT_NEAR(((double *)tfc_tensor_data(t))[i], gw, 1e-12);
    }
    tfc_tensor_free(t);
    CU_ASSERT(tfct_grad_error(g, lw, x, xv, NULL, NULL, 0, 1e-6) < 1e-6);
    CU_ASSERT(tfct_grad_error(g, tfc_head_loss(h), x, xv, NULL, NULL, 0, 1e-6) < 1e-6);
    tfc_tensor_free(xv);
    tfc_head_outputs_free(h);
    tfc_head_outputs_free(hw);
    tfc_graph_free(g);
}

static void test_regression(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    static const double px[4] = {1, 2, 3, 4}, y[4] = {2, 2, 3, 6}, w[2] = {1, 3};
    int64_t d22[2] = {2, 2}, d21[2] = {2, 1};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d22, 2, "x");
    tfc_output labels = tfc_const_array(g, TFC_DOUBLE, d22, 2, y, "labels");
    tfc_output weights = tfc_const_array(g, TFC_DOUBLE, d21, 2, w, "weights");
    TFCT_GRAPH_OK(g);
    tfc_head_outputs *h;
    TFCT_OK(tfc_head_build(g, TFC_HEAD_REGRESSION, 2, x, labels, weights, &h));
    CU_ASSERT_EQUAL(tfc_head_num_predictions(h), 1);
    CU_ASSERT_STRING_EQUAL(tfc_head_prediction_name(h, 0), "predictions");
    tfc_tensor *xv = tfct_f64(px, d22, 2);
    tfc_tensor *t = tfct_eval(g, tfc_head_loss(h), &x, &xv, 1);
    /* (1*(1 + 0) + 3*(0 + 4)) / 4 elements */
    TFCT_NEAR(*(double *)tfc_tensor_data(t), 13.0 / 4, 1e-12);
    tfc_tensor_free(t);
    t = tfct_eval(g, tfc_head_example_loss(h), &x, &xv, 1);
    static const double ex[4] = {1, 0, 0, 4};
    for (int i = 0; i < 4; i++) TFCT_NEAR(((double *)tfc_tensor_data(t))[i], ex[i], 1e-12);
    tfc_tensor_free(t);
    tfc_output dx, loss = tfc_head_loss(h);
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &x, 1, NULL, &dx));
    t = tfct_eval(g, dx, &x, &xv, 1);
    for (int i = 0; i < 4; i++)
        TFCT_NEAR(((double *)tfc_tensor_data(t))[i], w[i / 2] * 2 * (px[i] - y[i]) / 4, 1e-12);
    tfc_tensor_free(t);
    CU_ASSERT(tfct_grad_error(g, loss, x, xv, NULL, NULL, 0, 1e-6) < 1e-6);
    tfc_tensor_free(xv);
    tfc_head_outputs_free(h);

    /* float32, label dimension 1 with labels [batch] */
    static const float xf[3] = {1, 2, 3}, yf[3] = {0, 2, 5};
    int64_t d31[2] = {3, 1}, d3[1] = {3};
    tfc_output x1 = tfc_const_array(g, TFC_FLOAT, d31, 2, xf, "x1");
    tfc_output y1 = tfc_const_array(g, TFC_FLOAT, d3, 1, yf, "y1");
    TFCT_OK(tfc_head_build(g, TFC_HEAD_REGRESSION, 1, x1, y1, NONE, &h));
    double v;
    eval_d(g, tfc_head_loss(h), &v, 1);
    TFCT_NEAR(v, 5.0 / 3, 1e-6);
    tfc_head_outputs_free(h);
    tfc_graph_free(g);
}

static void test_predict_only(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t d[2] = {-1, 1};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, d, 2, "x");
    tfc_head_outputs *h;
    TFCT_OK(tfc_head_build(g, TFC_HEAD_BINARY, 2, x, NONE, NONE, &h));
    CU_ASSERT_PTR_NULL(tfc_head_loss(h).op);
    CU_ASSERT_PTR_NULL(tfc_head_example_loss(h).op);
    CU_ASSERT_EQUAL(tfc_head_num_predictions(h), 4);
    static const float xv[2] = {3, -3};
    int64_t d21[2] = {2, 1};
    tfc_tensor *t = tfct_f32(xv, d21, 2);
    tfc_tensor *p = tfct_eval(g, tfc_head_prediction(h, "probabilities"), &x, &t, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(tfc_tensor_dim(p, 0), 2);
    CU_ASSERT_EQUAL(tfc_tensor_dim(p, 1), 2);
    TFCT_NEAR(((float *)tfc_tensor_data(p))[1], sigmoid(3), 1e-6);
    TFCT_NEAR(((float *)tfc_tensor_data(p))[2], 1 - sigmoid(-3), 1e-6);
    tfc_tensor_free(p);
    tfc_tensor_free(t);
    /* Large logits: both columns keep their precision (no 1 - p cancellation). */
    static const float big[2] = {30, -30};
    t = tfct_f32(big, d21, 2);
    p = tfct_eval(g, tfc_head_prediction(h, "probabilities"), &x, &t, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const float *pv = tfc_tensor_data(p);
    CU_ASSERT_DOUBLE_EQUAL(pv[0] / sigmoid(-30), 1.0, 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(pv[3] / sigmoid(-30), 1.0, 1e-5);
    TFCT_NEAR(pv[1], 1.0, 0);
    tfc_tensor_free(p);
    tfc_tensor_free(t);
    tfc_head_outputs_free(h);
    tfc_graph_free(g);
}

static void test_errors(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t d42[2] = {4, 2}, d4[1] = {4}, d41[2] = {4, 1};
    tfc_output x2 = tfc_placeholder(g, TFC_FLOAT, d42, 2, "x2");
    tfc_output x1 = tfc_placeholder(g, TFC_FLOAT, d41, 2, "x1");
    tfc_output xi = tfc_placeholder(g, TFC_INT32, d41, 2, "xi");
    tfc_output yf = tfc_placeholder(g, TFC_FLOAT, d4, 1, "yf");
    tfc_output ys = tfc_placeholder(g, TFC_STRING, d4, 1, "ys");
    TFCT_GRAPH_OK(g);
    tfc_head_outputs *h = (tfc_head_outputs *)&h;
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_BINARY, 2, x2, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("logits must have shape [batch, 1]");
    CU_ASSERT_PTR_NULL(h);
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_MULTI_CLASS, 3, x2, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("[batch, 3]");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_MULTI_CLASS, 2, x2, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("labels must be int32 or int64 class ids, got");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_MULTI_CLASS, 1, x1, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("n_classes >= 2");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_BINARY, 2, x1, ys, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("labels must be numeric");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_BINARY, 2, xi, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("logits must be float32 or float64");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_BINARY, 2, x1, yf, ys, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("weights must be numeric");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_REGRESSION, 0, x1, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_head_build(g, (tfc_head_kind)7, 2, x1, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("unknown head kind");
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_BINARY, 2, NONE, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_GRAPH_OK(g);
    /* Regression labels whose size does not match [batch, dim]: caught from the
     * static shapes (the graph keeps the sticky error), else at run time. */
    CU_ASSERT_EQUAL(tfc_head_build(g, TFC_HEAD_REGRESSION, 2, x2, yf, NONE, &h), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("cannot be broadcast");
    tfct_expect_graph_error(g, "SquaredDifference");
    int64_t du2[2] = {-1, 2}, du[1] = {-1};
    tfc_output xu = tfc_placeholder(g, TFC_FLOAT, du2, 2, "xu");
    tfc_output yu = tfc_placeholder(g, TFC_FLOAT, du, 1, "yu");
    TFCT_OK(tfc_head_build(g, TFC_HEAD_REGRESSION, 2, xu, yu, NONE, &h));
    float xv[8] = {0}, yv[4] = {0};
    tfc_tensor *tx = tfct_f32(xv, d42, 2), *ty = tfct_f32(yv, d4, 1);
    tfc_output feeds[2] = {xu, yu};
    tfc_tensor *vals[2] = {tx, ty};
    tfct_expect_run_error(g, tfc_head_loss(h), feeds, vals, 2, TFC_OK, "SquaredDifference");
    tfc_tensor_free(tx);
    tfc_tensor_free(ty);
    tfc_head_outputs_free(h);
    tfc_graph_free(g);
}

static void test_classes(void)
{
    static const int64_t ids[4] = {1, 0, 0, 12};
    int64_t d41[2] = {4, 1}, d3[1] = {3};
    tfc_tensor *t = tfct_i64(ids, d41, 2), *out;
    TFCT_OK(tfc_head_classes(t, NULL, 0, &out));
    CU_ASSERT_EQUAL(tfc_tensor_dtype(out), TFC_STRING);
    CU_ASSERT_EQUAL(tfc_tensor_rank(out), 2);
    static const char *want[4] = {"1", "0", "0", "12"};
    for (int i = 0; i < 4; i++) {
        const char *s;
        size_t len;
        TFCT_OK(tfc_tensor_string(out, i, &s, &len));
        CU_ASSERT_EQUAL(len, strlen(want[i]));
        CU_ASSERT_NSTRING_EQUAL(s, want[i], len);
    }
    tfc_tensor_free(out);
    static const char *vocab[2] = {"<=50K", ">50K"};
    CU_ASSERT_EQUAL(tfc_head_classes(t, vocab, 2, &out), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("class id 12 at 3 is outside [0, 2)");
    CU_ASSERT_PTR_NULL(out);
    tfc_tensor_free(t);
    static const int32_t ids32[3] = {1, 0, 1};
    t = tfct_i32(ids32, d3, 1);
    TFCT_OK(tfc_head_classes(t, vocab, 2, &out));
    const char *s;
    size_t len;
    TFCT_OK(tfc_tensor_string(out, 0, &s, &len));
    CU_ASSERT(len == 4 && memcmp(s, ">50K", 4) == 0);
    TFCT_OK(tfc_tensor_string(out, 1, &s, &len));
    CU_ASSERT(len == 5 && memcmp(s, "<=50K", 5) == 0);
    tfc_tensor_free(out);
    tfc_tensor_free(t);
    static const float f[1] = {1};
    int64_t d1[1] = {1};
    t = tfct_f32(f, d1, 1);
    CU_ASSERT_EQUAL(tfc_head_classes(t, NULL, 0, &out), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("int32 or int64");
    tfc_tensor_free(t);
}

/* A head's session outputs feed tfc_metrics, as evaluate() will. */
static void test_head_to_metrics(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t d41[2] = {-1, 1}, d4[1] = {-1};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, d41, 2, "x");
    tfc_output y = tfc_placeholder(g, TFC_FLOAT, d4, 1, "y");
    tfc_head_outputs *h;
    TFCT_OK(tfc_head_build(g, TFC_HEAD_BINARY, 2, x, y, NONE, &h));
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_metrics *m;
    TFCT_OK(tfc_metrics_new(TFC_HEAD_BINARY, 2, &m));
    double loss_sum = 0, ex_sum = 0;
    for (int b = 0; b < 2; b++) {
        float xv[2] = {(float)BX[2 * b], (float)BX[2 * b + 1]}, yv[2] = {(float)BY[2 * b], (float)BY[2 * b + 1]};
        int64_t dx[2] = {2, 1}, dy[1] = {2};
        tfc_tensor *in[2] = {tfct_f32(xv, dx, 2), tfct_f32(yv, dy, 1)};
        tfc_output feeds[2] = {x, y};
        tfc_output fetch[3] = {tfc_head_prediction(h, "logistic"), tfc_head_example_loss(h), tfc_head_loss(h)};
        tfc_tensor *out[3] = {NULL, NULL, NULL};
        TFCT_OK(tfc_session_run(s, feeds, in, 2, fetch, out, 3, NULL, 0));
        double bl = *(float *)tfc_tensor_data(out[2]);
        TFCT_OK(tfc_metrics_update(m, out[0], in[1], NULL, out[1], bl));
        loss_sum += bl;
        for (int i = 0; i < 2; i++) ex_sum += sig_xent(BX[2 * b + i], BY[2 * b + i]);
        for (int i = 0; i < 3; i++) tfc_tensor_free(out[i]);
        tfc_tensor_free(in[0]);
        tfc_tensor_free(in[1]);
    }
    double v;
    TFCT_OK(tfc_metrics_get(m, "loss", &v));
    TFCT_NEAR(v, loss_sum / 2, 1e-12);
    TFCT_OK(tfc_metrics_get(m, "average_loss", &v));
    TFCT_NEAR(v, ex_sum / 4, 1e-6);
    TFCT_OK(tfc_metrics_get(m, "accuracy", &v));
    TFCT_NEAR(v, 0.5, 1e-12); /* predicted 1 0 1 0 vs 1 0 0 1 */
    TFCT_OK(tfc_metrics_get(m, "auc", &v));
    TFCT_NEAR(v, 0.75, 1e-9); /* positives {1, 0} vs negatives {-2, 0.5} */
    tfc_metrics_free(m);
    tfc_session_free(s);
    tfc_head_outputs_free(h);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"binary", test_binary},
        {"binary weighted + gradient", test_binary_weighted_grad},
        {"multi-class", test_multi_class},
        {"regression", test_regression},
        {"predict only", test_predict_only},
        {"errors", test_errors},
        {"classes", test_classes},
        {"head to metrics", test_head_to_metrics},
        {NULL, NULL},
    };
    return tfct_main("estimators_head", cases);
}
