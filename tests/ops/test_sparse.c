/* Tests of the sparse family: UnsortedSegmentSum, SparseSegment{Sum,Mean,SqrtN}
 * [WithNumSegments], EmbeddingLookupSparse, and their (sparse) gradients. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- helpers ---- */

#define NONE ((tfc_output){NULL, 0})

/* Non-NULL empty feed lists: the session memcpy's the feed list even when it is empty,
 * which UBSan reports for NULL (see the report; remove once session.c checks the count). */
static const tfc_output no_feeds[1];
static tfc_tensor *const no_values[1];

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
static tfc_output cf64(tfc_graph *g, const double *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_DOUBLE, dims, rank, v, NULL);
}
static tfc_output ci32(tfc_graph *g, const int32_t *v, int64_t n)
{
    return tfc_const_array(g, TFC_INT32, &n, 1, v, NULL);
}
static tfc_output ci64(tfc_graph *g, const int64_t *v, int64_t n)
{
    return tfc_const_array(g, TFC_INT64, &n, 1, v, NULL);
}

/* Asserts t's dtype, shape and values (tolerance tol). */
static void expect_tensor(const tfc_tensor *t, tfc_dtype dt, const int64_t *dims, int rank, const double *want,
                          double tol)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), dt);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL_FATAL(tfc_tensor_dim(t, i), dims[i]);
    int64_t n = tfc_tensor_num_elements(t);
    for (int64_t i = 0; i < n; i++) {
        double v = dt == TFC_FLOAT ? ((const float *)tfc_tensor_data(t))[i] : ((const double *)tfc_tensor_data(t))[i];
        if (fabs(v - want[i]) > tol) fprintf(stderr, "\nelement %lld: got %.9g, want %.9g\n", (long long)i, v, want[i]);
        CU_ASSERT_DOUBLE_EQUAL(v, want[i], tol);
    }
}

static void eval_expect(tfc_graph *g, tfc_output y, tfc_dtype dt, const int64_t *dims, int rank, const double *want,
                        double tol)
{
    tfc_tensor *t = tfct_eval(g, y, no_feeds, no_values, 0);
    expect_tensor(t, dt, dims, rank, want, tol);
    tfc_tensor_free(t);
}

/* Runs fetch and expects a run-time INVALID_ARGUMENT containing each of texts (NULL-terminated). */
static void run_fails(tfc_graph *g, tfc_output fetch, const tfc_output *feeds, tfc_tensor *const *values, int n,
                      const char *text1, const char *text2)
{
    TFCT_GRAPH_OK(g);
    tfc_session *s = NULL;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *out = NULL;
    CU_ASSERT_EQUAL(
        tfc_session_run(s, feeds ? feeds : no_feeds, values ? values : no_values, n, &fetch, &out, 1, NULL, 0),
        TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(out);
    if (text1) TFCT_ERR_HAS(text1);
    if (text2) TFCT_ERR_HAS(text2);
    tfc_tensor_free(out);
    tfc_session_free(s);
}

/* Expects the graph's sticky construction error to contain text; clears it. */
static void build_failed(tfc_graph *g, tfc_output o, const char *text)
{
    CU_ASSERT_PTR_NULL(o.op);
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_INVALID_ARGUMENT);
    if (!strstr(tfc_graph_error_message(g), text))
        fprintf(stderr, "\nexpected '%s' in: %s\n", text, tfc_graph_error_message(g));
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), text));
    tfc_graph_clear_error(g);
}

/* ======================= UnsortedSegmentSum ======================= */

static void test_unsorted_segment_sum_values(void)
{
    tfc_graph *g = new_graph();
    float d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t d42[2] = {4, 2};
    int32_t ids[4] = {0, 2, 0, -1}; /* -1 drops row 3 */
    tfc_output y = tfc_unsorted_segment_sum(g, cf32(g, d, d42, 2), ci32(g, ids, 4), tfc_const_int32(g, 3, NULL), "u");
    TFCT_GRAPH_OK(g);
    int64_t sd[TFC_MAX_RANK];
    int sr;
    TFCT_OK(tfc_graph_output_shape(g, y, sd, &sr));
    CU_ASSERT_EQUAL(sr, 2);
    CU_ASSERT_EQUAL(sd[0], 3);
    CU_ASSERT_EQUAL(sd[1], 2);
    int64_t o32[2] = {3, 2};
    double want[6] = {6, 8, 0, 0, 3, 4};
    eval_expect(g, y, TFC_FLOAT, o32, 2, want, 0);

    /* float64, rank-2 int64 ids over data [2,2,3], num_segments fed at run time */
    double e[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    int64_t d223[3] = {2, 2, 3}, d22[2] = {2, 2};
    int64_t ids2[4] = {1, 0, 1, 1};
    tfc_output ns = tfc_placeholder(g, TFC_INT64, NULL, 0, "ns");
    tfc_output y2 =
        tfc_unsorted_segment_sum(g, cf64(g, e, d223, 3), tfc_const_array(g, TFC_INT64, d22, 2, ids2, NULL), ns, NULL);
    TFCT_GRAPH_OK(g);
    TFCT_OK(tfc_graph_output_shape(g, y2, sd, &sr));
    CU_ASSERT_EQUAL(sr, 2);
    CU_ASSERT_EQUAL(sd[0], -1);
    CU_ASSERT_EQUAL(sd[1], 3);
    tfc_tensor *nv;
    TFCT_OK(tfc_tensor_new_scalar_int64(3, &nv));
    tfc_tensor *t = tfct_eval(g, y2, &ns, &nv, 1);
    int64_t o33[2] = {3, 3};
    double want2[9] = {4, 5, 6, 1 + 7 + 10, 2 + 8 + 11, 3 + 9 + 12, 0, 0, 0};
    expect_tensor(t, TFC_DOUBLE, o33, 2, want2, 0);
    tfc_tensor_free(t);
    tfc_tensor_free(nv);

    /* scalar segment id: the whole tensor goes to one row; zero segments: empty */
    float v3[3] = {1, 2, 3};
    int64_t d3[1] = {3};
    tfc_output y3 =
        tfc_unsorted_segment_sum(g, cf32(g, v3, d3, 1), tfc_const_int32(g, 1, NULL), tfc_const_int32(g, 2, NULL), NULL);
    int64_t o23[2] = {2, 3};
    double want3[6] = {0, 0, 0, 1, 2, 3};
    eval_expect(g, y3, TFC_FLOAT, o23, 2, want3, 0);
    int64_t d0[2] = {0, 2};
    tfc_output y4 =
        tfc_unsorted_segment_sum(g, cf32(g, NULL, d0, 2), ci32(g, NULL, 0), tfc_const_int64(g, 0, NULL), NULL);
    int64_t o02[2] = {0, 2};
    eval_expect(g, y4, TFC_FLOAT, o02, 2, NULL, 0);
    tfc_graph_free(g);
}

static void test_unsorted_segment_sum_errors(void)
{
    tfc_graph *g = new_graph();
    float d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t d42[2] = {4, 2}, d22[2] = {2, 2};
    tfc_output data = cf32(g, d, d42, 2);
    int32_t bad[4] = {0, 3, 0, 0};
    tfc_output y = tfc_unsorted_segment_sum(g, data, ci32(g, bad, 4), tfc_const_int32(g, 3, NULL), "u");
    run_fails(g, y, NULL, NULL, 0, "op 'u' (UnsortedSegmentSum)", "segment_ids[1] = 3 is out of range [0, 3)");
    int32_t neg[4] = {0, 1, -2, 0};
    y = tfc_unsorted_segment_sum(g, data, ci32(g, neg, 4), tfc_const_int32(g, 3, NULL), "u2");
    run_fails(g, y, NULL, NULL, 0, "op 'u2'", "segment_ids[2] = -2 is out of range");
    /* position of rank-2 ids */
    int32_t bad2[4] = {0, 1, 7, 0};
    y = tfc_unsorted_segment_sum(g, tfc_const_array(g, TFC_FLOAT, d22, 2, d, NULL),
                                 tfc_const_array(g, TFC_INT32, d22, 2, bad2, NULL), tfc_const_int32(g, 3, NULL), "u3");
    run_fails(g, y, NULL, NULL, 0, "segment_ids[1,0] = 7", NULL);
    /* num_segments negative at run time */
    tfc_output ns = tfc_placeholder(g, TFC_INT32, NULL, 0, "ns");
    int32_t ok[4] = {0, 0, 0, 0};
    y = tfc_unsorted_segment_sum(g, data, ci32(g, ok, 4), ns, "u4");
    tfc_tensor *nv;
    TFCT_OK(tfc_tensor_new_scalar_int32(-1, &nv));
    run_fails(g, y, &ns, &nv, 1, "op 'u4'", "num_segments must be >= 0, got -1");
    tfc_tensor_free(nv);
    /* run-time shape mismatch: ids fed with the wrong length */
    int64_t unk[1] = {-1};
    tfc_output idp = tfc_placeholder(g, TFC_INT32, unk, 1, "idp");
    y = tfc_unsorted_segment_sum(g, data, idp, tfc_const_int32(g, 3, NULL), "u5");
    int64_t three[1] = {3};
    tfc_tensor *iv = tfct_i32(ok, three, 1);
    run_fails(g, y, &idp, &iv, 1, "op 'u5'", "segment_ids' shape [3] must be a prefix of data's shape [4,2]");
    tfc_tensor_free(iv);

    /* construction errors */
    y = tfc_unsorted_segment_sum(g, data, ci32(g, ok, 3), tfc_const_int32(g, 3, NULL), "c1");
    build_failed(g, y, "segment_ids' shape [3] must be a prefix of data's shape [4,2]");
    int32_t di[2] = {1, 2};
    y = tfc_unsorted_segment_sum(g, ci32(g, di, 2), ci32(g, ok, 2), tfc_const_int32(g, 3, NULL), "c2");
    build_failed(g, y, "input 0 (data");
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "must be float32 or float64, got int32"));
    float f4[4] = {0, 0, 0, 0};
    int64_t four[1] = {4};
    y = tfc_unsorted_segment_sum(g, data, cf32(g, f4, four, 1), tfc_const_int32(g, 3, NULL), "c3");
    build_failed(g, y, "input 1 (segment_ids");
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "must be int32 or int64, got float32"));
    y = tfc_unsorted_segment_sum(g, data, ci32(g, ok, 4), ci32(g, ok, 2), "c4");
    build_failed(g, y, "input 2 (num_segments) must be a scalar, got shape [2]");
    y = tfc_unsorted_segment_sum(g, data, ci32(g, ok, 4), tfc_const_int32(g, -4, NULL), "c5");
    build_failed(g, y, "op 'c5' (UnsortedSegmentSum): num_segments must be >= 0, got -4");
    int64_t ones8[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    y = tfc_unsorted_segment_sum(g, cf32(g, d, ones8, 8), tfc_const_int32(g, 0, NULL), tfc_const_int32(g, 1, NULL),
                                 "c6");
    build_failed(g, y, "a scalar segment id over data of rank 8 would give rank 9");
    tfc_graph_free(g);
}

static void test_unsorted_segment_sum_gradient(void)
{
    /* direct: the gradient gathers dy rows, zero for dropped (-1) entries */
    tfc_graph *g = new_graph();
    int64_t d32[2] = {3, 2}, d22[2] = {2, 2};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d32, 2, "x");
    int64_t ids[3] = {1, -1, 1};
    tfc_output y = tfc_unsorted_segment_sum(g, x, ci64(g, ids, 3), tfc_const_int32(g, 2, NULL), "y");
    double dyv[4] = {10, 20, 30, 40};
    tfc_output dy = cf64(g, dyv, d22, 2);
    tfc_gradient gr;
    TFCT_OK(tfc_graph_add_gradients_sparse(g, &y, 1, &x, 1, &dy, &gr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.dense.op);
    CU_ASSERT_PTR_NULL(gr.values.op);
    double xv[6] = {1, 2, 3, 4, 5, 6};
    tfc_tensor *xt = tfct_f64(xv, d32, 2);
    tfc_tensor *t = tfct_eval(g, gr.dense, &x, &xt, 1);
    double want[6] = {30, 40, 0, 0, 30, 40};
    expect_tensor(t, TFC_DOUBLE, d32, 2, want, 0);
    tfc_tensor_free(t);

    /* finite differences (rank-1 and rank-2 ids) */
    double err = tfct_grad_error(g, y, x, xt, NULL, NULL, 0, 1e-6);
    CU_ASSERT(err < 1e-6);
    tfc_tensor_free(xt);
    tfc_graph_free(g);

    g = new_graph();
    int64_t d223[3] = {2, 2, 3};
    x = tfc_placeholder(g, TFC_DOUBLE, d223, 3, "x");
    int32_t ids2[4] = {2, 0, -1, 2};
    y = tfc_unsorted_segment_sum(g, x, tfc_const_array(g, TFC_INT32, d22, 2, ids2, NULL), tfc_const_int32(g, 3, NULL),
                                 "y");
    /* weight the sum so each row's gradient differs */
    double xv2[12];
    for (int i = 0; i < 12; i++) xv2[i] = 0.5 * i - 2;
    xt = tfct_f64(xv2, d223, 3);
    err = tfct_grad_error(g, y, x, xt, NULL, NULL, 0, 1e-6);
    CU_ASSERT(err < 1e-6);
    tfc_tensor_free(xt);
    tfc_graph_free(g);
}

/* ======================= SparseSegment{Sum,Mean,SqrtN} ======================= */

typedef tfc_output (*ss_fn)(tfc_graph *, tfc_output, tfc_output, tfc_output, const char *);

static void test_sparse_segment_values(void)
{
    static const ss_fn fns[3] = {tfc_sparse_segment_sum, tfc_sparse_segment_mean, tfc_sparse_segment_sqrtn};
    static const char *const with_n[3] = {"SparseSegmentSumWithNumSegments", "SparseSegmentMeanWithNumSegments",
                                          "SparseSegmentSqrtNWithNumSegments"};
    const double r3 = sqrt(3.0);
    /* data rows r0=[1,2] r1=[3,4] r2=[5,6]; segment 0 = r0+r2+r1 (indices 0,2,1), 1 empty, 2 = r2 (index 2) */
    const double want[3][8] = {
        {9, 12, 0, 0, 5, 6, 0, 0},
        {3, 4, 0, 0, 5, 6, 0, 0},
        {9 / r3, 12 / r3, 0, 0, 5, 6, 0, 0},
    };
    for (int f = 0; f < 3; f++) {
        for (int dt = 0; dt < 2; dt++) {
            tfc_graph *g = new_graph();
            float d[6] = {1, 2, 3, 4, 5, 6};
            double dd[6] = {1, 2, 3, 4, 5, 6};
            int64_t d32[2] = {3, 2};
            tfc_output data = dt ? cf64(g, dd, d32, 2) : cf32(g, d, d32, 2);
            int32_t idx[4] = {0, 2, 1, 2};
            int64_t seg[4] = {0, 0, 0, 2};
            tfc_output y = fns[f](g, data, ci32(g, idx, 4), ci64(g, seg, 4), "s");
            TFCT_GRAPH_OK(g);
            int64_t sd[TFC_MAX_RANK];
            int sr;
            TFCT_OK(tfc_graph_output_shape(g, y, sd, &sr));
            CU_ASSERT_EQUAL(sr, 2);
            CU_ASSERT_EQUAL(sd[0], 3); /* from the constant segment ids */
            int64_t o32[2] = {3, 2};
            tfc_dtype t = dt ? TFC_DOUBLE : TFC_FLOAT;
            eval_expect(g, y, t, o32, 2, want[f], 1e-6);

            /* WithNumSegments: 4 rows (a trailing empty one) */
            tfc_op_builder *b = tfc_op_builder_new(g, with_n[f], "sn");
            tfc_output ins[4] = {data, ci32(g, idx, 4), ci64(g, seg, 4), tfc_const_int32(g, 4, NULL)};
            tfc_op_builder_add_inputs(b, ins, 4);
            tfc_op *op;
            TFCT_OK(tfc_op_builder_finish(b, &op));
            int64_t o42[2] = {4, 2};
            eval_expect(g, tfc_op_output(op, 0), t, o42, 2, want[f], 1e-6);

            /* no ids: zero rows */
            tfc_output e = fns[f](g, data, ci32(g, NULL, 0), ci32(g, NULL, 0), NULL);
            int64_t o02[2] = {0, 2};
            eval_expect(g, e, t, o02, 2, NULL, 0);
            tfc_graph_free(g);
        }
    }
}

static void test_sparse_segment_errors(void)
{
    tfc_graph *g = new_graph();
    float d[6] = {1, 2, 3, 4, 5, 6};
    int64_t d32[2] = {3, 2};
    tfc_output data = cf32(g, d, d32, 2);
    int32_t idx[3] = {0, 1, 2}, unsorted[3] = {0, 1, 0}, negs[3] = {-1, 0, 0};
    tfc_output y = tfc_sparse_segment_sum(g, data, ci32(g, idx, 3), ci32(g, unsorted, 3), "ss");
    run_fails(g, y, NULL, NULL, 0, "op 'ss' (SparseSegmentSum)",
              "segment_ids must be sorted ascending: segment_ids[2] = 0 follows segment_ids[1] = 1");
    y = tfc_sparse_segment_mean(g, data, ci32(g, idx, 3), ci32(g, negs, 3), "sm");
    run_fails(g, y, NULL, NULL, 0, "op 'sm' (SparseSegmentMean)", "segment_ids[0] = -1 is negative");
    int64_t oob[3] = {0, 3, 1};
    int32_t seg[3] = {0, 0, 1};
    y = tfc_sparse_segment_sqrtn(g, data, ci64(g, oob, 3), ci32(g, seg, 3), "sq");
    run_fails(g, y, NULL, NULL, 0, "op 'sq' (SparseSegmentSqrtN)",
              "indices[1] = 3 is out of range [0, 3) (data has 3 rows)");
    /* WithNumSegments: ids beyond num_segments */
    tfc_op_builder *b = tfc_op_builder_new(g, "SparseSegmentSumWithNumSegments", "sn");
    tfc_output ins[4] = {data, ci32(g, idx, 3), ci32(g, seg, 3), tfc_const_int32(g, 1, NULL)};
    tfc_op_builder_add_inputs(b, ins, 4);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    run_fails(g, tfc_op_output(op, 0), NULL, NULL, 0, "op 'sn'", "segment_ids[2] = 1 is out of range [0, 1)");
    /* construction errors */
    y = tfc_sparse_segment_sum(g, data, ci32(g, idx, 3), ci32(g, seg, 2), "c1");
    build_failed(g, y, "indices has 3 elements but segment_ids has 2");
    int32_t di[3] = {1, 2, 3};
    y = tfc_sparse_segment_sum(g, ci32(g, di, 3), ci32(g, idx, 3), ci32(g, seg, 3), "c2");
    build_failed(g, y, "must be float32 or float64, got int32");
    float fi[3] = {0, 1, 2};
    int64_t three[1] = {3};
    y = tfc_sparse_segment_sum(g, data, cf32(g, fi, three, 1), ci32(g, seg, 3), "c3");
    build_failed(g, y, "input 1 (indices");
    y = tfc_sparse_segment_sum(g, data, ci32(g, idx, 3), cf32(g, fi, three, 1), "c4");
    build_failed(g, y, "input 2 (segment_ids");
    int64_t d13[2] = {1, 3};
    y = tfc_sparse_segment_sum(g, data, tfc_const_array(g, TFC_INT32, d13, 2, idx, NULL), ci32(g, seg, 3), "c5");
    build_failed(g, y, "input 1 (indices) must be a vector, got shape [1,3]");
    y = tfc_sparse_segment_sum(g, tfc_const_float(g, 1, NULL), ci32(g, idx, 3), ci32(g, seg, 3), "c6");
    build_failed(g, y, "input 0 (data) must have rank at least 1");
    b = tfc_op_builder_new(g, "SparseSegmentMeanWithNumSegments", "c7");
    tfc_output ins2[4] = {data, ci32(g, idx, 3), ci32(g, seg, 3), tfc_const_float(g, 2, NULL)};
    tfc_op_builder_add_inputs(b, ins2, 4);
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 3 (num_segments");
    tfc_graph_free(g);
}

static void test_sparse_segment_gradients(void)
{
    static const ss_fn fns[3] = {tfc_sparse_segment_sum, tfc_sparse_segment_mean, tfc_sparse_segment_sqrtn};
    const double r2 = sqrt(2.0);
    for (int f = 0; f < 3; f++) {
        tfc_graph *g = new_graph();
        int64_t d32[2] = {3, 2}, d42[2] = {4, 2};
        tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d32, 2, "x");
        /* duplicate index 2; segment 1 empty */
        int64_t idx[4] = {2, 0, 2, 1};
        int32_t seg[4] = {0, 0, 2, 3};
        tfc_output ix = ci64(g, idx, 4);
        tfc_output y = fns[f](g, x, ix, ci32(g, seg, 4), "y");
        double dyv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        tfc_output dy = cf64(g, dyv, d42, 2);
        tfc_gradient gr;
        TFCT_OK(tfc_graph_add_gradients_sparse(g, &y, 1, &x, 1, &dy, &gr));
        /* sparse: no dense [3,2] tensor, rows for the indices as given */
        CU_ASSERT_PTR_NULL(gr.dense.op);
        CU_ASSERT_PTR_EQUAL(gr.indices.op, ix.op);
        CU_ASSERT_EQUAL(gr.indices.index, ix.index);
        CU_ASSERT_PTR_NOT_NULL_FATAL(gr.values.op);
        double s0 = f == 0 ? 1 : f == 1 ? 0.5 : 1 / r2;
        double want[8] = {s0 * 1, s0 * 2, s0 * 1, s0 * 2, 5, 6, 7, 8};
        double xv[6] = {1, -2, 3, 0.5, 4, -1};
        tfc_tensor *xt = tfct_f64(xv, d32, 2);
        tfc_tensor *t = tfct_eval(g, gr.values, &x, &xt, 1);
        expect_tensor(t, TFC_DOUBLE, d42, 2, want, 1e-12);
        tfc_tensor_free(t);
        double err = tfct_grad_error(g, y, x, xt, NULL, NULL, 0, 1e-6);
        CU_ASSERT(err < 1e-6);
        tfc_tensor_free(xt);
        tfc_graph_free(g);
    }
}

/* ======================= EmbeddingLookupSparse ======================= */

/* params rows p0=[1,2] p1=[3,4] p2=[5,6] p3=[7,8]; ids 1,3,1 | - | 0 | 2 in segments 0,0,0,2,3 */
static const double P[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const int64_t IDS[5] = {1, 3, 1, 0, 2};
static const int32_t SEG[5] = {0, 0, 0, 2, 3};
static const double W[5] = {1, 2, 0.5, 3, -1};

static void els_expected(int combiner, bool weighted, double *out)
{
    double rows[4][2] = {{0}}, wsum[4] = {0}, wsq[4] = {0};
    for (int k = 0; k < 5; k++) {
        double w = weighted ? W[k] : 1;
        for (int c = 0; c < 2; c++) rows[SEG[k]][c] += w * P[IDS[k] * 2 + c];
        wsum[SEG[k]] += w;
        wsq[SEG[k]] += w * w;
    }
    for (int s = 0; s < 4; s++)
        for (int c = 0; c < 2; c++) {
            double den = combiner == 0 ? 1 : combiner == 1 ? wsum[s] : sqrt(wsq[s]);
            out[s * 2 + c] = den != 0 ? rows[s][c] / den : 0;
        }
}

static void test_embedding_lookup_sparse_values(void)
{
    /* hand-computed anchors for the table the loop below checks */
    double e[8];
    els_expected(0, true, e);
    CU_ASSERT_DOUBLE_EQUAL(e[0], 3 + 14 + 1.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(e[1], 4 + 16 + 2, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(e[6], -5, 1e-12);
    els_expected(1, true, e);
    CU_ASSERT_DOUBLE_EQUAL(e[0], 18.5 / 3.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(e[4], 1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(e[6], 5, 1e-12); /* -[5,6] / -1 */
    els_expected(2, false, e);
    CU_ASSERT_DOUBLE_EQUAL(e[0], 13 / sqrt(3.0), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(e[2], 0, 0);

    for (int comb = 0; comb < 3; comb++)
        for (int weighted = 0; weighted < 2; weighted++)
            for (int dt = 0; dt < 2; dt++) {
                tfc_graph *g = new_graph();
                int64_t d42[2] = {4, 2}, five[1] = {5};
                float pf[8], wf[5];
                for (int i = 0; i < 8; i++) pf[i] = (float)P[i];
                for (int i = 0; i < 5; i++) wf[i] = (float)W[i];
                tfc_output params = dt ? cf64(g, P, d42, 2) : cf32(g, pf, d42, 2);
                tfc_output w = !weighted ? NONE : dt ? cf64(g, W, five, 1) : cf32(g, wf, five, 1);
                tfc_output y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), ci32(g, SEG, 5), w,
                                                           tfc_const_int64(g, 4, NULL), (tfc_combiner)comb, "emb");
                TFCT_GRAPH_OK(g);
                const char *cs;
                TFCT_OK(tfc_op_attr_string(y.op, "combiner", &cs));
                CU_ASSERT_STRING_EQUAL(cs, comb == 0 ? "sum" : comb == 1 ? "mean" : "sqrtn");
                CU_ASSERT_EQUAL(tfc_op_num_inputs(y.op), weighted ? 5 : 4);
                double want[8];
                els_expected(comb, weighted, want);
                eval_expect(g, y, dt ? TFC_DOUBLE : TFC_FLOAT, d42, 2, want, dt ? 1e-12 : 1e-5);
                tfc_graph_free(g);
            }

    /* a zero-weight segment under mean gives zeros (div_no_nan), int32 ids, rank-1 params */
    tfc_graph *g = new_graph();
    double p1[3] = {2, 4, 8}, w2[3] = {1, -1, 2};
    int64_t three[1] = {3}, two[1] = {2};
    int32_t ids[3] = {0, 1, 2}, seg[3] = {0, 0, 1};
    tfc_output y =
        tfc_embedding_lookup_sparse(g, cf64(g, p1, three, 1), ci32(g, ids, 3), ci32(g, seg, 3), cf64(g, w2, three, 1),
                                    tfc_const_int32(g, 2, NULL), TFC_COMBINER_MEAN, NULL);
    double want[2] = {0, 8};
    eval_expect(g, y, TFC_DOUBLE, two, 1, want, 1e-12);
    /* no ids at all: zero rows of the requested count */
    int64_t d42[2] = {4, 2};
    y = tfc_embedding_lookup_sparse(g, cf64(g, P, d42, 2), ci32(g, NULL, 0), ci32(g, NULL, 0), NONE,
                                    tfc_const_int32(g, 3, NULL), TFC_COMBINER_SQRTN, NULL);
    int64_t d32[2] = {3, 2};
    double zeros[6] = {0};
    eval_expect(g, y, TFC_DOUBLE, d32, 2, zeros, 0);
    tfc_graph_free(g);
}

static void test_embedding_lookup_sparse_errors(void)
{
    tfc_graph *g = new_graph();
    int64_t d42[2] = {4, 2}, five[1] = {5};
    tfc_output params = cf64(g, P, d42, 2);
    tfc_output seg = ci32(g, SEG, 5), ns = tfc_const_int32(g, 4, NULL);
    int64_t bad_ids[5] = {1, 4, 1, 0, 2};
    tfc_output y = tfc_embedding_lookup_sparse(g, params, ci64(g, bad_ids, 5), seg, NONE, ns, TFC_COMBINER_SUM, "e1");
    run_fails(g, y, NULL, NULL, 0, "op 'e1' (EmbeddingLookupSparse)",
              "ids[1] = 4 is out of range [0, 4) (params has 4 rows)");
    int64_t neg_ids[5] = {1, 3, -1, 0, 2};
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, neg_ids, 5), seg, NONE, ns, TFC_COMBINER_SUM, "e2");
    run_fails(g, y, NULL, NULL, 0, "op 'e2'", "ids[2] = -1 is out of range [0, 4)");
    int32_t unsorted[5] = {0, 2, 1, 2, 3};
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), ci32(g, unsorted, 5), NONE, ns, TFC_COMBINER_MEAN,
                                    "e3");
    run_fails(g, y, NULL, NULL, 0, "op 'e3'", "segment_ids[2] = 1 follows segment_ids[1] = 2");
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), seg, NONE, tfc_const_int32(g, 3, NULL),
                                    TFC_COMBINER_MEAN, "e4");
    run_fails(g, y, NULL, NULL, 0, "op 'e4'", "segment_ids[4] = 3 is out of range [0, 3) (num_segments is 3)");
    /* weights fed with the wrong length at run time */
    int64_t unk[1] = {-1};
    tfc_output wp = tfc_placeholder(g, TFC_DOUBLE, unk, 1, "wp");
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), seg, wp, ns, TFC_COMBINER_SUM, "e5");
    double w3[3] = {1, 1, 1};
    int64_t three[1] = {3};
    tfc_tensor *wv = tfct_f64(w3, three, 1);
    run_fails(g, y, &wp, &wv, 1, "op 'e5'", "weights must be a vector of 5 elements, got shape [3]");
    tfc_tensor_free(wv);

    /* construction errors */
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), seg, NONE, ns, (tfc_combiner)7, "c1");
    build_failed(g, y, "op 'c1' (EmbeddingLookupSparse): invalid combiner 7");
    tfc_op_builder *b = tfc_op_builder_new(g, "EmbeddingLookupSparse", "c2");
    tfc_output ins[4] = {params, ci64(g, IDS, 5), seg, ns};
    tfc_op_builder_add_inputs(b, ins, 4);
    tfc_op_builder_set_attr_string(b, "combiner", "max");
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'c2' (EmbeddingLookupSparse): combiner must be \"sum\", \"mean\" or \"sqrtn\", got \"max\"");
    b = tfc_op_builder_new(g, "EmbeddingLookupSparse", "c3");
    tfc_op_builder_add_inputs(b, ins, 4);
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("attribute 'combiner'");
    float wf[5] = {1, 1, 1, 1, 1};
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), seg, cf32(g, wf, five, 1), ns, TFC_COMBINER_SUM, "c4");
    build_failed(g, y, "weights ('Const");
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "are float32 but params ('Const"));
    y = tfc_embedding_lookup_sparse(g, params, cf64(g, W, five, 1), seg, NONE, ns, TFC_COMBINER_SUM, "c5");
    build_failed(g, y, "input 1 (ids");
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 4), seg, NONE, ns, TFC_COMBINER_SUM, "c6");
    build_failed(g, y, "ids has 4 elements but segment_ids has 5");
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), seg, cf64(g, W, three, 1), ns, TFC_COMBINER_SUM, "c7");
    build_failed(g, y, "ids has 5 elements but weights has 3");
    y = tfc_embedding_lookup_sparse(g, params, ci64(g, IDS, 5), seg, NONE, tfc_const_double(g, 4, NULL),
                                    TFC_COMBINER_SUM, "c8");
    build_failed(g, y, "(num_segments");
    int32_t ip[8] = {0};
    y = tfc_embedding_lookup_sparse(g, tfc_const_array(g, TFC_INT32, d42, 2, ip, NULL), ci64(g, IDS, 5), seg, NONE, ns,
                                    TFC_COMBINER_SUM, "c9");
    build_failed(g, y, "input 0 (params");
    tfc_graph_free(g);
}

/* Expected sparse gradient rows: dy[seg[k]] * w[k] / den(seg[k]). */
static void els_grad_expected(int combiner, bool weighted, const double *dy, double *vals)
{
    double wsum[4] = {0}, wsq[4] = {0};
    for (int k = 0; k < 5; k++) {
        double w = weighted ? W[k] : 1;
        wsum[SEG[k]] += w;
        wsq[SEG[k]] += w * w;
    }
    for (int k = 0; k < 5; k++) {
        int s = SEG[k];
        double den = combiner == 0 ? 1 : combiner == 1 ? wsum[s] : sqrt(wsq[s]);
        double f = (weighted ? W[k] : 1) / den;
        for (int c = 0; c < 2; c++) vals[k * 2 + c] = dy[s * 2 + c] * f;
    }
}

static void test_embedding_lookup_sparse_gradients(void)
{
    const double dyv[8] = {1, -2, 0.5, 3, 2, 1, -1, 4};
    /* anchor: weighted mean, k = 1: dy[0] * 2 / 3.5 */
    double anchor[10];
    els_grad_expected(1, true, dyv, anchor);
    CU_ASSERT_DOUBLE_EQUAL(anchor[2], 2 / 3.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(anchor[3], -4 / 3.5, 1e-12);
    /* k = 4 alone in segment 3 with w = -1: dy[3] * (-1) / (-1) */
    CU_ASSERT_DOUBLE_EQUAL(anchor[8], -1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(anchor[9], 4, 1e-12);
    for (int comb = 0; comb < 3; comb++)
        for (int weighted = 0; weighted < 2; weighted++) {
            tfc_graph *g = new_graph();
            int64_t d42[2] = {4, 2}, d52[2] = {5, 2}, five[1] = {5};
            tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d42, 2, "params");
            tfc_output wp = tfc_placeholder(g, TFC_DOUBLE, five, 1, "w");
            tfc_output ids = ci64(g, IDS, 5);
            tfc_output y = tfc_embedding_lookup_sparse(g, x, ids, ci32(g, SEG, 5), weighted ? wp : NONE,
                                                       tfc_const_int32(g, 4, NULL), (tfc_combiner)comb, "emb");
            tfc_output dy = cf64(g, dyv, d42, 2);
            tfc_gradient gr;
            TFCT_OK(tfc_graph_add_gradients_sparse(g, &y, 1, &x, 1, &dy, &gr));
            CU_ASSERT_PTR_NULL(gr.dense.op);
            CU_ASSERT_PTR_EQUAL(gr.indices.op, ids.op);
            CU_ASSERT_PTR_NOT_NULL_FATAL(gr.values.op);
            CU_ASSERT_STRING_EQUAL(tfc_op_type(gr.values.op), "EmbeddingLookupSparseGrad");
            tfc_tensor *pt = tfct_f64(P, d42, 2), *wt = tfct_f64(W, five, 1);
            tfc_output feeds[2] = {x, wp};
            tfc_tensor *vals[2] = {pt, wt};
            tfc_tensor *t = tfct_eval(g, gr.values, feeds, vals, 2);
            double want[10];
            els_grad_expected(comb, weighted, dyv, want);
            expect_tensor(t, TFC_DOUBLE, d52, 2, want, 1e-12);
            tfc_tensor_free(t);

            /* finite differences through the densified gradient, params then weights */
            double pv[8] = {0.3, -1.2, 2.5, 0.7, -0.4, 1.1, 3.0, -2.2};
            tfc_tensor *px = tfct_f64(pv, d42, 2);
            double err = tfct_grad_error(g, y, x, px, &wp, &wt, 1, 1e-6);
            if (err >= 1e-6) fprintf(stderr, "\nparams: combiner %d weighted %d err %g\n", comb, weighted, err);
            CU_ASSERT(err < 1e-6);
            if (weighted) {
                err = tfct_grad_error(g, y, wp, wt, &x, &px, 1, 1e-6);
                if (err >= 1e-6) fprintf(stderr, "\nweights: combiner %d err %g\n", comb, err);
                CU_ASSERT(err < 1e-6);
            }
            tfc_tensor_free(px);
            tfc_tensor_free(pt);
            tfc_tensor_free(wt);
            tfc_graph_free(g);
        }
}

/* Weights gradient anchors, computed by hand for segment 0 (ids 1,3,1; w 1,2,0.5; dy [1,-2]). */
static void test_embedding_lookup_sparse_weights_gradient_values(void)
{
    const double dyv[8] = {1, -2, 0.5, 3, 2, 1, -1, 4};
    const double wantk0[3] = {
        1 * 3 - 2 * 4, /* sum: dot(dy0, p1) = -5 */
        /* mean: (dot(dy0, p1) - dot(dy0, out0)) / 3.5, out0 = [18.5, 22] / 3.5 */
        (-5 - (18.5 - 44) / 3.5) / 3.5,
        /* sqrtn: (dot(dy0, p1) - w0 dot(dy0, out0) / r) / r, r = sqrt(5.25), out0 = [18.5, 22] / r */
        (-5 - 1 * ((18.5 - 44) / sqrt(5.25)) / sqrt(5.25)) / sqrt(5.25),
    };
    for (int comb = 0; comb < 3; comb++) {
        tfc_graph *g = new_graph();
        int64_t d42[2] = {4, 2}, five[1] = {5};
        tfc_output wp = tfc_placeholder(g, TFC_DOUBLE, five, 1, "w");
        tfc_output y = tfc_embedding_lookup_sparse(g, cf64(g, P, d42, 2), ci64(g, IDS, 5), ci32(g, SEG, 5), wp,
                                                   tfc_const_int32(g, 4, NULL), (tfc_combiner)comb, NULL);
        tfc_output dy = cf64(g, dyv, d42, 2);
        tfc_gradient gr;
        TFCT_OK(tfc_graph_add_gradients_sparse(g, &y, 1, &wp, 1, &dy, &gr));
        CU_ASSERT_PTR_NOT_NULL_FATAL(gr.dense.op);
        tfc_tensor *wt = tfct_f64(W, five, 1);
        tfc_tensor *t = tfct_eval(g, gr.dense, &wp, &wt, 1);
        CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 5);
        CU_ASSERT_DOUBLE_EQUAL(((double *)tfc_tensor_data(t))[0], wantk0[comb], 1e-12);
        if (comb == 0) /* k = 3: dot(dy2, p0) = 2 + 2 */
            CU_ASSERT_DOUBLE_EQUAL(((double *)tfc_tensor_data(t))[3], 4, 1e-12);
        tfc_tensor_free(t);
        tfc_tensor_free(wt);
        tfc_graph_free(g);
    }
}

/* Larger float32 problems on a multi-threaded session against a naive reference,
 * so the parallel paths (segment chunks, column chunks) are exercised. */
static void test_large_multithreaded(void)
{
    enum { V = 300, D = 48, N = 6000, S = 700 };
    float *params = malloc(sizeof(float) * V * D), *w = malloc(sizeof(float) * N);
    int64_t *ids = malloc(sizeof(int64_t) * N);
    int32_t *seg = malloc(sizeof(int32_t) * N);
    double *ref = calloc((size_t)S * D, sizeof(double)), *wsum = calloc(S, sizeof(double));
    uint32_t r = 12345;
    for (int i = 0; i < V * D; i++) {
        r = r * 1664525u + 1013904223u;
        params[i] = (float)((r >> 8) % 1000) / 500.0f - 1.0f;
    }
    for (int k = 0; k < N; k++) {
        r = r * 1664525u + 1013904223u;
        ids[k] = (r >> 8) % V;
        w[k] = (float)((r >> 4) % 7 + 1) * 0.25f;
        seg[k] = (int32_t)((int64_t)k * (S - 50) / N); /* sorted; the last 50 segments empty */
    }
    for (int k = 0; k < N; k++) {
        for (int c = 0; c < D; c++) ref[seg[k] * D + c] += (double)w[k] * params[ids[k] * D + c];
        wsum[seg[k]] += w[k];
    }
    tfc_graph *g = new_graph();
    int64_t pd[2] = {V, D}, nd[1] = {N};
    tfc_output y =
        tfc_embedding_lookup_sparse(g, cf32(g, params, pd, 2), tfc_const_array(g, TFC_INT64, nd, 1, ids, NULL),
                                    tfc_const_array(g, TFC_INT32, nd, 1, seg, NULL), cf32(g, w, nd, 1),
                                    tfc_const_int32(g, S, NULL), TFC_COMBINER_MEAN, NULL);
    /* UnsortedSegmentSum with reversed ids over wide rows: column-parallel */
    int64_t ud[2] = {64, 4096};
    float *ux = malloc(sizeof(float) * 64 * 4096);
    int32_t uids[64];
    for (int i = 0; i < 64 * 4096; i++) ux[i] = (float)(i % 97) - 48.0f;
    for (int i = 0; i < 64; i++) uids[i] = (63 - i) % 5;
    tfc_output u =
        tfc_unsorted_segment_sum(g, cf32(g, ux, ud, 2), ci32(g, uids, 64), tfc_const_int32(g, 5, NULL), NULL);
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = 4;
    TFCT_OK(tfc_session_new(g, &o, &s));
    tfc_output fetches[2] = {y, u};
    tfc_tensor *outs[2] = {NULL, NULL};
    for (int rep = 0; rep < 3; rep++) {
        TFCT_OK(tfc_session_run(s, no_feeds, no_values, 0, fetches, outs, 2, NULL, 0));
        const float *ov = tfc_tensor_data(outs[0]);
        CU_ASSERT_EQUAL(tfc_tensor_dim(outs[0], 0), S);
        int bad = 0;
        for (int i = 0; i < S * D; i++) {
            double want = wsum[i / D] != 0 ? ref[i] / wsum[i / D] : 0;
            if (fabs(ov[i] - want) > 1e-4 * (1 + fabs(want))) bad++;
        }
        CU_ASSERT_EQUAL(bad, 0);
        const float *uv = tfc_tensor_data(outs[1]);
        int ubad = 0;
        for (int sg = 0; sg < 5; sg++)
            for (int c = 0; c < 4096; c++) {
                double want = 0;
                for (int i = 0; i < 64; i++)
                    if (uids[i] == sg) want += ux[i * 4096 + c];
                if (uv[sg * 4096 + c] != (float)want) ubad++;
            }
        CU_ASSERT_EQUAL(ubad, 0);
        tfc_tensor_free(outs[0]);
        tfc_tensor_free(outs[1]);
    }
    tfc_session_free(s);
    tfc_graph_free(g);
    free(params);
    free(w);
    free(ids);
    free(seg);
    free(ref);
    free(wsum);
    free(ux);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"UnsortedSegmentSum values", test_unsorted_segment_sum_values},
        {"UnsortedSegmentSum errors", test_unsorted_segment_sum_errors},
        {"UnsortedSegmentSum gradient", test_unsorted_segment_sum_gradient},
        {"SparseSegment* values", test_sparse_segment_values},
        {"SparseSegment* errors", test_sparse_segment_errors},
        {"SparseSegment* sparse gradients", test_sparse_segment_gradients},
        {"EmbeddingLookupSparse values", test_embedding_lookup_sparse_values},
        {"EmbeddingLookupSparse errors", test_embedding_lookup_sparse_errors},
        {"EmbeddingLookupSparse gradients", test_embedding_lookup_sparse_gradients},
        {"EmbeddingLookupSparse weights gradient values", test_embedding_lookup_sparse_weights_gradient_values},
        {"large problems, multi-threaded", test_large_multithreaded},
        {NULL, NULL},
    };
    return tfct_main("sparse", cases);
}
