#include <pthread.h>
#include <string.h>

#include "testutil.h"

static void test_feed_fetch_identity(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t dims[1] = {-1};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, dims, 1, "x");
    tfc_output y = tfc_identity(g, x, "y");
    float d[3] = {1, 2, 3};
    int64_t three[1] = {3};
    tfc_tensor *xv = tfct_f32(d, three, 1);
    tfc_tensor *out = tfct_eval(g, y, &x, &xv, 1);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(out), 3);
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(out))[2], 3.0f);
    CU_ASSERT_PTR_NOT_EQUAL(tfc_tensor_data(out), tfc_tensor_data(xv));
    tfc_tensor_free(out);
    tfc_tensor_free(xv);
    tfc_graph_free(g);
}

static void test_variables(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    float init[2] = {1, 2}, delta[2] = {10, 20};
    int64_t dims[1] = {2};
    tfc_output v = tfc_variable(g, tfc_const_array(g, TFC_FLOAT, dims, 1, init, "init_value"), "v");
    tfc_output add = tfc_assign_add(g, v, tfc_const_array(g, TFC_FLOAT, dims, 1, delta, NULL), "add");
    tfc_op *initop = tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_graph_num_variables(g), 1);
    CU_ASSERT_PTR_EQUAL(tfc_graph_variable(g, 0), v.op);
    CU_ASSERT_STRING_EQUAL(tfc_op_name(tfc_variable_initializer(v.op)), "v/Assign");
    CU_ASSERT_TRUE(tfc_variable_trainable(v.op));

    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *out = NULL;
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, &v, &out, 1, NULL, 0), TFC_FAILED_PRECONDITION);
    TFCT_ERR_HAS("variable 'v' is uninitialized");
    CU_ASSERT_PTR_NULL(out);
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &initop, 1));
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &add, &out, 1, NULL, 0));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(out))[1], 22.0f);
    tfc_tensor_free(out);
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &add, &out, 1, NULL, 0));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(out))[0], 21.0f);
    tfc_tensor_free(out);
    TFCT_OK(tfc_session_variable_value(s, v.op, &out));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(out))[1], 42.0f);
    tfc_tensor_free(out);
    /* set_variable checks dtype and shape */
    float three[3] = {0, 0, 0};
    int64_t d3[1] = {3};
    tfc_tensor *bad = tfct_f32(three, d3, 1);
    CU_ASSERT_EQUAL(tfc_session_set_variable(s, v.op, bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("variable 'v' is float32 [2]");
    tfc_tensor_free(bad);
    tfc_session_free(s);
    tfc_graph_free(g);
}

static void test_run_errors(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t dims[2] = {-1, 2};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, dims, 2, "x");
    tfc_output y = tfc_identity(g, x, "y");
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *out = NULL;
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, &y, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("placeholder 'x' must be fed");
    int32_t i[2] = {1, 2};
    int64_t d12[2] = {1, 2};
    tfc_tensor *wrong_type = tfct_i32(i, d12, 2);
    CU_ASSERT_EQUAL(tfc_session_run(s, &x, &wrong_type, 1, &y, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feed 'x:0' expects float32 [?,2], got int32 [1,2]");
    float f[3] = {1, 2, 3};
    int64_t d3[1] = {3};
    tfc_tensor *wrong_shape = tfct_f32(f, d3, 1);
    CU_ASSERT_EQUAL(tfc_session_run(s, &x, &wrong_shape, 1, &y, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("got float32 [3]");
    tfc_output bad = {y.op, 3};
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, &bad, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("has no output 3");
    CU_ASSERT_EQUAL(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, NULL, 0), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_session_run(NULL, NULL, NULL, 0, &y, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    tfc_tensor_free(wrong_type);
    tfc_tensor_free(wrong_shape);
    tfc_session_free(s);
    tfc_session_options o = {4, 1};
    CU_ASSERT_EQUAL(tfc_session_new(g, &o, &s), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("TFC_SESSION_OPTIONS_INIT");
    tfc_graph_free(g);
}

static void test_placeholder_with_default_and_feeding_any_output(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output d = tfc_const_float(g, 5.0f, "d");
    tfc_output p = tfc_placeholder_with_default(g, d, NULL, 0, "p");
    tfc_output y = tfc_identity(g, p, "y");
    tfc_tensor *out = tfct_eval(g, y, NULL, NULL, 0);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(out), 5.0f);
    tfc_tensor_free(out);
    tfc_tensor *v;
    TFCT_OK(tfc_tensor_new_scalar_float(7.0f, &v));
    out = tfct_eval(g, y, &p, &v, 1);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(out), 7.0f);
    tfc_tensor_free(out);
    /* feeding the constant itself overrides it */
    out = tfct_eval(g, y, &d, &v, 1);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(out), 7.0f);
    tfc_tensor_free(out);
    tfc_tensor_free(v);
    tfc_graph_free(g);
}

/* An output shape that overflows at run time is the caller's mistake
 * (INVALID_ARGUMENT), whatever code the kernel returns. */
static void test_output_overflow_code(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t dd[2] = {1, 1 << 20};
    tfc_output data = tfc_zeros(g, TFC_FLOAT, dd, 2, "data");
    int64_t one[1] = {1};
    int64_t zero = 0;
    tfc_output ids = tfc_const_array(g, TFC_INT64, one, 1, &zero, "ids");
    tfc_output nseg = tfc_placeholder(g, TFC_INT64, NULL, 0, "nseg");
    tfc_output y = tfc_unsorted_segment_sum(g, data, ids, nseg, "y");
    /* [2^50, 2^20] floats overflows the byte size */
    tfc_tensor *nv;
    TFCT_OK(tfc_tensor_new_scalar_int64(INT64_C(1) << 50, &nv));
    tfct_expect_run_error(g, y, &nseg, &nv, 1, TFC_INVALID_ARGUMENT, "overflows");
    tfc_tensor_free(nv);
    tfc_graph_free(g);
}

typedef struct {
    tfc_session *s;
    tfc_output x, y;
    int id;
    int ok;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    a->ok = 1;
    for (int it = 0; it < 200; it++) {
        float v = (float)(a->id * 1000 + it);
        tfc_tensor *xv, *out = NULL;
        if (tfc_tensor_new_scalar_float(v, &xv)) {
            a->ok = 0;
            return NULL;
        }
        if (tfc_session_run(a->s, &a->x, &xv, 1, &a->y, &out, 1, NULL, 0) || *(float *)tfc_tensor_data(out) != v)
            a->ok = 0;
        tfc_tensor_free(out);
        tfc_tensor_free(xv);
    }
    return NULL;
}

static void test_concurrent_runs(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, NULL, 0, "x");
    tfc_output y = x;
    for (int i = 0; i < 10; i++) y = tfc_identity(g, y, NULL);
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    pthread_t th[8];
    worker_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (worker_arg){s, x, y, i, 0};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_TRUE(args[i].ok);
    }
    tfc_session_free(s);
    tfc_graph_free(g);
}

/* A small MLP run from 8 threads at once must give exactly the sequential results. */
typedef struct {
    tfc_session *s;
    tfc_output x, y;
    const float *expected; /* 16 inputs x 3 outputs */
    int ok;
} mlp_arg;

static void fill_input(float *v, int i)
{
    for (int k = 0; k < 64; k++) v[k] = (float)((i * 31 + k * 7) % 17) / 17.0f - 0.5f;
}

static void *mlp_worker(void *p)
{
    mlp_arg *a = p;
    a->ok = 1;
    for (int rep = 0; rep < 50; rep++)
        for (int i = 0; i < 16; i++) {
            float in[64];
            fill_input(in, i);
            int64_t d[2] = {1, 64};
            tfc_tensor *xv = NULL, *out = NULL;
            if (tfc_tensor_new(TFC_FLOAT, d, 2, in, sizeof in, &xv) ||
                tfc_session_run(a->s, &a->x, &xv, 1, &a->y, &out, 1, NULL, 0) ||
                memcmp(tfc_tensor_data(out), a->expected + i * 3, 3 * sizeof(float)) != 0)
                a->ok = 0;
            tfc_tensor_free(out);
            tfc_tensor_free(xv);
        }
    return NULL;
}

static void test_concurrent_mlp_matches_sequential(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_graph_set_seed(g, 7);
    int64_t xd[2] = {-1, 64}, w1[2] = {64, 32}, b1[1] = {32}, w2[2] = {32, 3};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, xd, 2, "x");
    tfc_output W1 = tfc_variable(g, tfc_glorot_uniform(g, TFC_FLOAT, w1, 2, 0, NULL), "W1");
    tfc_output B1 = tfc_variable(g, tfc_random_normal(g, TFC_FLOAT, b1, 1, 0.0, 0.1, 0, NULL), "B1");
    tfc_output W2 = tfc_variable(g, tfc_glorot_uniform(g, TFC_FLOAT, w2, 2, 0, NULL), "W2");
    tfc_output h = tfc_relu(g, tfc_bias_add(g, tfc_matmul(g, x, W1, false, false, NULL), B1, NULL), NULL);
    tfc_output y = tfc_softmax(g, tfc_matmul(g, h, W2, false, false, NULL), "y");
    tfc_op *init = tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
    float expected[16 * 3];
    for (int i = 0; i < 16; i++) {
        float in[64];
        fill_input(in, i);
        int64_t d[2] = {1, 64};
        tfc_tensor *xv = tfct_f32(in, d, 2), *out = NULL;
        TFCT_OK(tfc_session_run(s, &x, &xv, 1, &y, &out, 1, NULL, 0));
        memcpy(expected + i * 3, tfc_tensor_data(out), 3 * sizeof(float));
        TFCT_NEAR(expected[i * 3] + expected[i * 3 + 1] + expected[i * 3 + 2], 1.0, 1e-5);
        tfc_tensor_free(out);
        tfc_tensor_free(xv);
    }
    pthread_t th[8];
    mlp_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (mlp_arg){s, x, y, expected, 0};
        pthread_create(&th[i], NULL, mlp_worker, &args[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_TRUE(args[i].ok);
    }
    tfc_session_free(s);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"feed and fetch", test_feed_fetch_identity},
        {"variables", test_variables},
        {"run errors", test_run_errors},
        {"output overflow reports INVALID_ARGUMENT", test_output_overflow_code},
        {"placeholder with default, feeding any output", test_placeholder_with_default_and_feeding_any_output},
        {"concurrent runs", test_concurrent_runs},
        {"8 threads running an MLP match sequential runs", test_concurrent_mlp_matches_sequential},
        {NULL, NULL},
    };
    return tfct_main("session", cases);
}
