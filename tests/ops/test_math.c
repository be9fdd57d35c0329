/* Math family: element-wise values for every op and dtype family, NumPy
 * broadcasting (fast paths and the general strided path, serial and split
 * across threads), error messages, and float64 finite-difference gradients. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef tfc_output (*binop)(tfc_graph *, tfc_output, tfc_output, const char *);
typedef tfc_output (*unop)(tfc_graph *, tfc_output, const char *);

#define GRAD_TOL 1e-6
#define EPS 1e-6

static tfc_graph *new_graph(void)
{
    tfc_graph *g = NULL;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

static int64_t count_of(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

static void check_dims(const tfc_tensor *t, const int64_t *dims, int rank)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(tfc_tensor_dim(t, i), dims[i]);
}

/* Compares t's values with want (same dtype), exactly for integers and bools. */
static void check_values(const tfc_tensor *t, tfc_dtype dt, const void *want, int64_t n)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), dt);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    const void *d = tfc_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case TFC_FLOAT: {
            float a = ((const float *)d)[i], b = ((const float *)want)[i];
            if (fabsf(a - b) > 1e-6f * (1 + fabsf(b))) fprintf(stderr, "\n[%lld] got %g want %g\n", (long long)i, a, b);
            TFCT_NEAR(a, b, 1e-6 * (1 + fabs(b)));
            break;
        }
        case TFC_DOUBLE: TFCT_NEAR(((const double *)d)[i], ((const double *)want)[i], 1e-12); break;
        case TFC_INT32: CU_ASSERT_EQUAL(((const int32_t *)d)[i], ((const int32_t *)want)[i]); break;
        case TFC_INT64: CU_ASSERT_EQUAL(((const int64_t *)d)[i], ((const int64_t *)want)[i]); break;
        case TFC_BOOL: CU_ASSERT_EQUAL(((const uint8_t *)d)[i], ((const uint8_t *)want)[i]); break;
        default: CU_FAIL("dtype");
        }
    }
}

/* f(x, y) of two constants; checks the static shape, the run-time shape and the values. */
static void check_bin(binop f, tfc_dtype dt, const void *x, const int64_t *dx, int rx, const void *y,
                      const int64_t *dy, int ry, tfc_dtype odt, const void *want, const int64_t *dw, int rw)
{
    tfc_graph *g = new_graph();
    tfc_output z = f(g, tfc_const_array(g, dt, dx, rx, x, "x"), tfc_const_array(g, dt, dy, ry, y, "y"), "z");
    TFCT_GRAPH_OK(g);
    int64_t sd[TFC_MAX_RANK];
    int sr;
    TFCT_OK(tfc_graph_output_shape(g, z, sd, &sr));
    CU_ASSERT_EQUAL(sr, rw);
    for (int i = 0; i < rw && i < sr; i++) CU_ASSERT_EQUAL(sd[i], dw[i]);
    tfc_tensor *t = tfct_eval(g, z, NULL, NULL, 0);
    check_dims(t, dw, rw);
    check_values(t, odt, want, count_of(dw, rw));
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void check_un(unop f, tfc_dtype dt, const void *x, const int64_t *dx, int rx, const void *want)
{
    tfc_graph *g = new_graph();
    tfc_output z = f(g, tfc_const_array(g, dt, dx, rx, x, "x"), "z");
    tfc_tensor *t = tfct_eval(g, z, NULL, NULL, 0);
    check_dims(t, dx, rx);
    check_values(t, dt, want, count_of(dx, rx));
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static const int64_t D23[2] = {2, 3}, D3[1] = {3}, D21[2] = {2, 1}, D13[2] = {1, 3};

/* ---- values ---- */

static void test_binary_float_values(void)
{
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const float y[6] = {0.5f, -1, 2, 4, 0.25f, -3};
    const float add[6] = {1.5f, 1, 5, 8, 5.25f, 3};
    const float sub[6] = {0.5f, 3, 1, 0, 4.75f, 9};
    const float mul[6] = {0.5f, -2, 6, 16, 1.25f, -18};
    const float div[6] = {2, -2, 1.5f, 1, 20, -2};
    const float max[6] = {1, 2, 3, 4, 5, 6};
    const float min[6] = {0.5f, -1, 2, 4, 0.25f, -3};
    const float sqd[6] = {0.25f, 9, 1, 0, 22.5625f, 81};
    check_bin(tfc_add, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, add, D23, 2);
    check_bin(tfc_sub, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, sub, D23, 2);
    check_bin(tfc_mul, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, mul, D23, 2);
    check_bin(tfc_div, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, div, D23, 2);
    check_bin(tfc_maximum, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, max, D23, 2);
    check_bin(tfc_minimum, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, min, D23, 2);
    check_bin(tfc_squared_difference, TFC_FLOAT, x, D23, 2, y, D23, 2, TFC_FLOAT, sqd, D23, 2);
    const float e[6] = {2, 0.5f, 3, 0, -1, 1.5f};
    const float pw[6] = {1, 1.41421356f, 27, 1, 0.2f, 14.6969385f};
    check_bin(tfc_pow, TFC_FLOAT, x, D23, 2, e, D23, 2, TFC_FLOAT, pw, D23, 2);

    /* float64 */
    const double xd[3] = {1.5, -2, 8}, yd[3] = {0.5, 4, -2};
    const double addd[3] = {2, 2, 6}, divd[3] = {3, -0.5, -4}, powd[3] = {1.224744871391589, 16, 0.015625};
    const double maxd[3] = {1.5, 4, 8}, sqdd[3] = {1, 36, 100};
    check_bin(tfc_add, TFC_DOUBLE, xd, D3, 1, yd, D3, 1, TFC_DOUBLE, addd, D3, 1);
    check_bin(tfc_div, TFC_DOUBLE, xd, D3, 1, yd, D3, 1, TFC_DOUBLE, divd, D3, 1);
    const double px[3] = {1.5, 2, 8}, py[3] = {0.5, 4, -2};
    check_bin(tfc_pow, TFC_DOUBLE, px, D3, 1, py, D3, 1, TFC_DOUBLE, powd, D3, 1);
    check_bin(tfc_maximum, TFC_DOUBLE, xd, D3, 1, yd, D3, 1, TFC_DOUBLE, maxd, D3, 1);
    check_bin(tfc_squared_difference, TFC_DOUBLE, xd, D3, 1, yd, D3, 1, TFC_DOUBLE, sqdd, D3, 1);

    /* NaN propagates through Maximum / Minimum from either side */
    const float nx[2] = {NAN, 1}, ny[2] = {1, NAN};
    tfc_graph *g = new_graph();
    int64_t d2[1] = {2};
    tfc_output a = tfc_const_array(g, TFC_FLOAT, d2, 1, nx, NULL), b = tfc_const_array(g, TFC_FLOAT, d2, 1, ny, NULL);
    tfc_tensor *t = tfct_eval(g, tfc_maximum(g, a, b, NULL), NULL, NULL, 0);
    CU_ASSERT_TRUE(isnan(((float *)tfc_tensor_data(t))[0]) && isnan(((float *)tfc_tensor_data(t))[1]));
    tfc_tensor_free(t);
    t = tfct_eval(g, tfc_minimum(g, a, b, NULL), NULL, NULL, 0);
    CU_ASSERT_TRUE(isnan(((float *)tfc_tensor_data(t))[0]) && isnan(((float *)tfc_tensor_data(t))[1]));
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_binary_int_values(void)
{
    const int64_t d5[1] = {5};
    const int32_t x[5] = {7, -7, 7, -7, INT32_MIN}, y[5] = {2, 2, -2, -2, -1};
    const int32_t div[5] = {3, -3, -3, 3, INT32_MIN}; /* truncating; MIN / -1 wraps */
    const int32_t add[5] = {9, -5, 5, -9, INT32_MAX};  /* MIN + -1 wraps */
    const int32_t sub[5] = {5, -9, 9, -5, INT32_MIN + 1};
    const int32_t mul[5] = {14, -14, -14, 14, INT32_MIN};
    const int32_t max[5] = {7, 2, 7, -2, -1}, min[5] = {2, -7, -2, -7, INT32_MIN};
    check_bin(tfc_div, TFC_INT32, x, d5, 1, y, d5, 1, TFC_INT32, div, d5, 1);
    check_bin(tfc_add, TFC_INT32, x, d5, 1, y, d5, 1, TFC_INT32, add, d5, 1);
    check_bin(tfc_sub, TFC_INT32, x, d5, 1, y, d5, 1, TFC_INT32, sub, d5, 1);
    check_bin(tfc_mul, TFC_INT32, x, d5, 1, y, d5, 1, TFC_INT32, mul, d5, 1);
    check_bin(tfc_maximum, TFC_INT32, x, d5, 1, y, d5, 1, TFC_INT32, max, d5, 1);
    check_bin(tfc_minimum, TFC_INT32, x, d5, 1, y, d5, 1, TFC_INT32, min, d5, 1);

    const int64_t xl[3] = {3, -4, 10000000000}, yl[3] = {5, 6, 3};
    const int64_t mull[3] = {15, -24, 30000000000}, divl[3] = {0, 0, 3333333333}, subl[3] = {-2, -10, 9999999997};
    const int64_t maxl[3] = {5, 6, 10000000000}, minl[3] = {3, -4, 3};
    check_bin(tfc_mul, TFC_INT64, xl, D3, 1, yl, D3, 1, TFC_INT64, mull, D3, 1);
    check_bin(tfc_div, TFC_INT64, xl, D3, 1, yl, D3, 1, TFC_INT64, divl, D3, 1);
    check_bin(tfc_sub, TFC_INT64, xl, D3, 1, yl, D3, 1, TFC_INT64, subl, D3, 1);
    check_bin(tfc_maximum, TFC_INT64, xl, D3, 1, yl, D3, 1, TFC_INT64, maxl, D3, 1);
    check_bin(tfc_minimum, TFC_INT64, xl, D3, 1, yl, D3, 1, TFC_INT64, minl, D3, 1);
    /* broadcasting integer division by a scalar */
    const int64_t s = -2, divs[3] = {-1, 2, -5000000000};
    check_bin(tfc_div, TFC_INT64, xl, D3, 1, &s, NULL, 0, TFC_INT64, divs, D3, 1);
}

static void test_broadcasting(void)
{
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const float row[3] = {10, 20, 30};
    const float r1[6] = {11, 22, 33, 14, 25, 36};
    check_bin(tfc_add, TFC_FLOAT, x, D23, 2, row, D3, 1, TFC_FLOAT, r1, D23, 2); /* [2,3] + [3] */
    const float r1b[6] = {9, 18, 27, 6, 15, 24};
    check_bin(tfc_sub, TFC_FLOAT, row, D3, 1, x, D23, 2, TFC_FLOAT, r1b, D23, 2); /* [3] - [2,3] */
    const float col[2] = {1, 2};
    const float r2[6] = {11, 21, 31, 12, 22, 32};
    check_bin(tfc_add, TFC_FLOAT, col, D21, 2, row, D13, 2, TFC_FLOAT, r2, D23, 2); /* [2,1] + [1,3] */
    const float c2[2] = {2, 3}, r3[6] = {2, 4, 6, 12, 15, 18};
    check_bin(tfc_mul, TFC_FLOAT, x, D23, 2, c2, D21, 2, TFC_FLOAT, r3, D23, 2); /* [2,3] * [2,1] */
    const float two = 2, r4[6] = {2, 4, 6, 8, 10, 12};
    check_bin(tfc_mul, TFC_FLOAT, &two, NULL, 0, x, D23, 2, TFC_FLOAT, r4, D23, 2); /* scalar * tensor */
    const float ten = 10, r5[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    check_bin(tfc_div, TFC_FLOAT, x, D23, 2, &ten, NULL, 0, TFC_FLOAT, r5, D23, 2); /* tensor / scalar */
    const float r6[6] = {9, 8, 7, 6, 5, 4};
    check_bin(tfc_sub, TFC_FLOAT, &ten, NULL, 0, x, D23, 2, TFC_FLOAT, r6, D23, 2);
    const float five = 5, r7 = 50;
    check_bin(tfc_mul, TFC_FLOAT, &five, NULL, 0, &ten, NULL, 0, TFC_FLOAT, &r7, NULL, 0); /* scalar, scalar */
    /* [1,3] against [3]: same elements, rank 2 */
    const float r8[3] = {20, 40, 60};
    check_bin(tfc_add, TFC_FLOAT, row, D13, 2, row, D3, 1, TFC_FLOAT, r8, D13, 2);
    /* the general strided path: [2,1,3] + [4,1] -> [2,4,3] */
    float a[6], b[4], want[24];
    for (int i = 0; i < 6; i++) a[i] = (float)(i + 1);
    for (int j = 0; j < 4; j++) b[j] = (float)(100 * (j + 1));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 3; k++) want[(i * 4 + j) * 3 + k] = a[i * 3 + k] + b[j];
    const int64_t da[3] = {2, 1, 3}, db[2] = {4, 1}, dw[3] = {2, 4, 3};
    check_bin(tfc_add, TFC_FLOAT, a, da, 3, b, db, 2, TFC_FLOAT, want, dw, 3);
    CU_ASSERT_EQUAL(want[5], 3 + 200); /* hand check: [0,1,2] = a[0,0,2] + b[1] */
    /* int32 row broadcast */
    const int32_t xi[6] = {1, 2, 3, 4, 5, 6}, ri[3] = {-1, 0, 1}, wi[6] = {-1, 0, 3, -4, 0, 6};
    check_bin(tfc_mul, TFC_INT32, xi, D23, 2, ri, D3, 1, TFC_INT32, wi, D23, 2);
    /* an empty dimension broadcasts with 1 */
    const int64_t d0[2] = {0, 3};
    check_bin(tfc_add, TFC_FLOAT, x, d0, 2, row, D3, 1, TFC_FLOAT, NULL, d0, 2);

    /* unknown batch dimension: static [?,3], run-time [2,3] */
    tfc_graph *g = new_graph();
    int64_t pd[2] = {-1, 3};
    tfc_output p = tfc_placeholder(g, TFC_FLOAT, pd, 2, "p");
    tfc_output z = tfc_add(g, p, tfc_const_array(g, TFC_FLOAT, D3, 1, row, "row"), "z");
    tfc_output u = tfc_mul(g, tfc_placeholder(g, TFC_FLOAT, NULL, -1, "unknown_rank"), p, "u");
    TFCT_GRAPH_OK(g);
    int64_t sd[TFC_MAX_RANK];
    int sr;
    TFCT_OK(tfc_graph_output_shape(g, z, sd, &sr));
    CU_ASSERT_EQUAL(sr, 2);
    CU_ASSERT_EQUAL(sd[0], -1);
    CU_ASSERT_EQUAL(sd[1], 3);
    TFCT_OK(tfc_graph_output_shape(g, u, sd, &sr));
    CU_ASSERT_EQUAL(sr, -1);
    tfc_tensor *pv = tfct_f32(x, D23, 2);
    tfc_tensor *t = tfct_eval(g, z, &p, &pv, 1);
    check_dims(t, D23, 2);
    check_values(t, TFC_FLOAT, r1, 6);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_unary_values(void)
{
    const int64_t d4[1] = {4};
    const float x[4] = {-2, -0.5f, 0, 1.5f};
    const float neg[4] = {2, 0.5f, 0, -1.5f}, abs_[4] = {2, 0.5f, 0, 1.5f}, sign[4] = {-1, -1, 0, 1};
    const float sq[4] = {4, 0.25f, 0, 2.25f};
    check_un(tfc_neg, TFC_FLOAT, x, d4, 1, neg);
    check_un(tfc_abs, TFC_FLOAT, x, d4, 1, abs_);
    check_un(tfc_sign, TFC_FLOAT, x, d4, 1, sign);
    check_un(tfc_square, TFC_FLOAT, x, d4, 1, sq);
    const float sx[4] = {0, 1, 4, 2.25f}, sqrt_[4] = {0, 1, 2, 1.5f};
    check_un(tfc_sqrt, TFC_FLOAT, sx, d4, 1, sqrt_);
    const float rx[3] = {1, 4, 0.25f}, rsqrt[3] = {1, 0.5f, 2};
    check_un(tfc_rsqrt, TFC_FLOAT, rx, D3, 1, rsqrt);
    const float ex[3] = {0, 1, -1}, exp_[3] = {1, 2.71828183f, 0.36787944f};
    check_un(tfc_exp, TFC_FLOAT, ex, D3, 1, exp_);
    const float lx[3] = {1, 2.71828183f, 0.5f}, log_[3] = {0, 1, -0.69314718f};
    check_un(tfc_log, TFC_FLOAT, lx, D3, 1, log_);
    const float l1x[3] = {0, 1.71828183f, -0.5f}, log1p_[3] = {0, 1, -0.69314718f};
    check_un(tfc_log1p, TFC_FLOAT, l1x, D3, 1, log1p_);

    /* float32 Exp is a vectorized polynomial: within 2 ulp over the whole range, exact at the edges */
    {
        enum { N = 20001 };
        float *ev = malloc(sizeof(float) * (N + 6));
        for (int i = 0; i < N; i++) ev[i] = -103.0f + 192.0f * (float)i / (N - 1);
        const float edge[6] = {-INFINITY, INFINITY, NAN, 89.0f, -110.0f, 0.0f};
        memcpy(ev + N, edge, sizeof edge);
        tfc_graph *g = new_graph();
        int64_t dn[1] = {N + 6};
        tfc_tensor *t = tfct_eval(g, tfc_exp(g, tfc_const_array(g, TFC_FLOAT, dn, 1, ev, NULL), NULL), NULL, NULL, 0);
        const float *o = tfc_tensor_data(t);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double want = exp((double)ev[i]);
            if (want > FLT_MAX) {
                CU_ASSERT_TRUE(isinf(o[i]) && o[i] > 0);
            } else if (want < FLT_MIN) { /* subnormal results: within two of their steps */
                CU_ASSERT_TRUE(fabs(o[i] - want) <= 2 * 1.4e-45);
            } else if (fabs(o[i] - want) / want > worst) {
                worst = fabs(o[i] - want) / want;
            }
        }
        CU_ASSERT_TRUE(worst < 2.4e-7);
        CU_ASSERT_EQUAL(o[N], 0.0f);
        CU_ASSERT_TRUE(isinf(o[N + 1]) && o[N + 1] > 0);
        CU_ASSERT_TRUE(isnan(o[N + 2]));
        CU_ASSERT_TRUE(isinf(o[N + 3]));
        CU_ASSERT_EQUAL(o[N + 4], 0.0f);
        CU_ASSERT_FALSE(signbit(o[N + 4]));
        CU_ASSERT_EQUAL(o[N + 5], 1.0f);
        tfc_tensor_free(t);
        tfc_graph_free(g);
        free(ev);
    }

    const double xd[3] = {4, 0.25, 9}, sqrtd[3] = {2, 0.5, 3}, rsqrtd[3] = {0.5, 2, 1.0 / 3};
    const double logd[3] = {1.3862943611198906, -1.3862943611198906, 2.1972245773362196};
    const double expd[3] = {54.598150033144236, 1.2840254166877414, 8103.083927575384};
    const double negd[3] = {-4, -0.25, -9}, sqd[3] = {16, 0.0625, 81};
    check_un(tfc_sqrt, TFC_DOUBLE, xd, D3, 1, sqrtd);
    check_un(tfc_rsqrt, TFC_DOUBLE, xd, D3, 1, rsqrtd);
    check_un(tfc_log, TFC_DOUBLE, xd, D3, 1, logd);
    check_un(tfc_exp, TFC_DOUBLE, xd, D3, 1, expd);
    check_un(tfc_neg, TFC_DOUBLE, xd, D3, 1, negd);
    check_un(tfc_square, TFC_DOUBLE, xd, D3, 1, sqd);
    const double l1d[3] = {1.6094379124341003, 0.22314355131420976, 2.302585092994046};
    check_un(tfc_log1p, TFC_DOUBLE, xd, D3, 1, l1d);

    const int32_t xi[4] = {-3, 0, 5, INT32_MIN};
    const int32_t negi[4] = {3, 0, -5, INT32_MIN}, absi[4] = {3, 0, 5, INT32_MIN}, signi[4] = {-1, 0, 1, -1};
    const int32_t sqi[4] = {9, 0, 25, 0};
    check_un(tfc_neg, TFC_INT32, xi, d4, 1, negi);
    check_un(tfc_abs, TFC_INT32, xi, d4, 1, absi);
    check_un(tfc_sign, TFC_INT32, xi, d4, 1, signi);
    check_un(tfc_square, TFC_INT32, xi, d4, 1, sqi);
    const int64_t xl[3] = {-3000000000, 0, 7};
    const int64_t negl[3] = {3000000000, 0, -7}, absl[3] = {3000000000, 0, 7}, signl[3] = {-1, 0, 1};
    const int64_t sql[3] = {9000000000000000000, 0, 49};
    check_un(tfc_neg, TFC_INT64, xl, D3, 1, negl);
    check_un(tfc_abs, TFC_INT64, xl, D3, 1, absl);
    check_un(tfc_sign, TFC_INT64, xl, D3, 1, signl);
    check_un(tfc_square, TFC_INT64, xl, D3, 1, sql);
}

static void test_add_n_values(void)
{
    tfc_graph *g = new_graph();
    const float a[3] = {1, 2, 3}, b[3] = {10, 20, 30}, c[3] = {100, 200, 300};
    tfc_output xs[3] = {tfc_const_array(g, TFC_FLOAT, D3, 1, a, "a"), tfc_const_array(g, TFC_FLOAT, D3, 1, b, "b"),
                        tfc_const_array(g, TFC_FLOAT, D3, 1, c, "c")};
    tfc_output s3 = tfc_add_n(g, xs, 3, "s3"), s2 = tfc_add_n(g, xs, 2, "s2"), s1 = tfc_add_n(g, xs, 1, "s1");
    const int32_t ia[2] = {1, 2}, ib[2] = {3, -4};
    int64_t d2[1] = {2};
    tfc_output is[2] = {tfc_const_array(g, TFC_INT32, d2, 1, ia, NULL), tfc_const_array(g, TFC_INT32, d2, 1, ib, NULL)};
    tfc_output si = tfc_add_n(g, is, 2, "si");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(s3.op), "AddN");
    const float w3[3] = {111, 222, 333}, w2[3] = {11, 22, 33};
    const int32_t wi[2] = {4, -2};
    tfc_tensor *t = tfct_eval(g, s3, NULL, NULL, 0);
    check_values(t, TFC_FLOAT, w3, 3);
    tfc_tensor_free(t);
    t = tfct_eval(g, s2, NULL, NULL, 0);
    check_values(t, TFC_FLOAT, w2, 3);
    tfc_tensor_free(t);
    t = tfct_eval(g, s1, NULL, NULL, 0);
    check_values(t, TFC_FLOAT, a, 3);
    tfc_tensor_free(t);
    t = tfct_eval(g, si, NULL, NULL, 0);
    check_values(t, TFC_INT32, wi, 2);
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_comparisons_and_logic(void)
{
    const float x[3] = {1, 2, 3}, y[3] = {3, 2, 1};
    const uint8_t eq[3] = {0, 1, 0}, ne[3] = {1, 0, 1}, lt[3] = {1, 0, 0}, le[3] = {1, 1, 0}, gt[3] = {0, 0, 1},
                  ge[3] = {0, 1, 1};
    check_bin(tfc_equal, TFC_FLOAT, x, D3, 1, y, D3, 1, TFC_BOOL, eq, D3, 1);
    check_bin(tfc_not_equal, TFC_FLOAT, x, D3, 1, y, D3, 1, TFC_BOOL, ne, D3, 1);
    check_bin(tfc_less, TFC_FLOAT, x, D3, 1, y, D3, 1, TFC_BOOL, lt, D3, 1);
    check_bin(tfc_less_equal, TFC_FLOAT, x, D3, 1, y, D3, 1, TFC_BOOL, le, D3, 1);
    check_bin(tfc_greater, TFC_FLOAT, x, D3, 1, y, D3, 1, TFC_BOOL, gt, D3, 1);
    check_bin(tfc_greater_equal, TFC_FLOAT, x, D3, 1, y, D3, 1, TFC_BOOL, ge, D3, 1);
    const double xd[3] = {1, 2, 3}, yd[3] = {3, 2, 1};
    check_bin(tfc_less, TFC_DOUBLE, xd, D3, 1, yd, D3, 1, TFC_BOOL, lt, D3, 1);
    check_bin(tfc_equal, TFC_DOUBLE, xd, D3, 1, yd, D3, 1, TFC_BOOL, eq, D3, 1);
    /* broadcasting int32 [2,3] against a scalar, int64 [2,1] against [3] */
    const int32_t xi[6] = {1, 2, 3, 4, 5, 6}, three = 3;
    const uint8_t lti[6] = {1, 1, 0, 0, 0, 0}, gei[6] = {0, 0, 1, 1, 1, 1}, nei[6] = {1, 1, 0, 1, 1, 1};
    check_bin(tfc_less, TFC_INT32, xi, D23, 2, &three, NULL, 0, TFC_BOOL, lti, D23, 2);
    check_bin(tfc_greater_equal, TFC_INT32, xi, D23, 2, &three, NULL, 0, TFC_BOOL, gei, D23, 2);
    check_bin(tfc_not_equal, TFC_INT32, xi, D23, 2, &three, NULL, 0, TFC_BOOL, nei, D23, 2);
    const int64_t cl[2] = {2, 5}, rl[3] = {1, 2, 5};
    const uint8_t gtl[6] = {1, 0, 0, 1, 1, 0}, eql[6] = {0, 1, 0, 0, 0, 1}, lel[6] = {0, 1, 1, 0, 0, 1};
    check_bin(tfc_greater, TFC_INT64, cl, D21, 2, rl, D3, 1, TFC_BOOL, gtl, D23, 2);
    check_bin(tfc_equal, TFC_INT64, cl, D21, 2, rl, D3, 1, TFC_BOOL, eql, D23, 2);
    check_bin(tfc_less_equal, TFC_INT64, cl, D21, 2, rl, D3, 1, TFC_BOOL, lel, D23, 2);
    /* bools */
    const int64_t d4[1] = {4};
    const uint8_t p[4] = {1, 0, 1, 0}, q[4] = {1, 1, 0, 0};
    const uint8_t peq[4] = {1, 0, 0, 1}, pne[4] = {0, 1, 1, 0}, pand[4] = {1, 0, 0, 0}, por[4] = {1, 1, 1, 0};
    check_bin(tfc_equal, TFC_BOOL, p, d4, 1, q, d4, 1, TFC_BOOL, peq, d4, 1);
    check_bin(tfc_not_equal, TFC_BOOL, p, d4, 1, q, d4, 1, TFC_BOOL, pne, d4, 1);
    check_bin(tfc_logical_and, TFC_BOOL, p, d4, 1, q, d4, 1, TFC_BOOL, pand, d4, 1);
    check_bin(tfc_logical_or, TFC_BOOL, p, d4, 1, q, d4, 1, TFC_BOOL, por, d4, 1);
    const int64_t d22[2] = {2, 2}, d2[1] = {2};
    const uint8_t m[2] = {1, 0}, mand[4] = {1, 0, 0, 0}, mor[4] = {1, 1, 1, 0};
    check_bin(tfc_logical_and, TFC_BOOL, q, d22, 2, m, d2, 1, TFC_BOOL, mand, d22, 2); /* [[1,1],[0,0]] & [1,0] */
    check_bin(tfc_logical_or, TFC_BOOL, q, d22, 2, m, d2, 1, TFC_BOOL, mor, d22, 2);
    const uint8_t np[4] = {0, 1, 0, 1};
    check_un(tfc_logical_not, TFC_BOOL, p, d4, 1, np);
}

static tfc_tensor *run_select(const uint8_t *c, const int64_t *dc, int rc, const float *x, const int64_t *dx, int rx,
                              const float *y, const int64_t *dy, int ry)
{
    tfc_graph *g = new_graph();
    tfc_output co = tfc_const_array(g, TFC_BOOL, dc, rc, c, "c");
    tfc_output xo = tfc_const_array(g, TFC_FLOAT, dx, rx, x, "x"), yo = tfc_const_array(g, TFC_FLOAT, dy, ry, y, "y");
    tfc_output z = tfc_select(g, co, xo, yo, "z");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_type(z.op), "SelectV2");
    tfc_tensor *t = tfct_eval(g, z, NULL, NULL, 0);
    tfc_graph_free(g);
    return t;
}

static void test_select_values(void)
{
    const float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {10, 20, 30, 40, 50, 60}, m1 = -1;
    const uint8_t c23[6] = {1, 0, 1, 0, 1, 0}, c3[3] = {1, 0, 1}, c21[2] = {1, 0}, t1 = 1;
    const float w1[6] = {1, -1, 3, -1, 5, -1};
    tfc_tensor *t = run_select(c23, D23, 2, x, D23, 2, &m1, NULL, 0); /* y scalar */
    check_dims(t, D23, 2);
    check_values(t, TFC_FLOAT, w1, 6);
    tfc_tensor_free(t);
    const float w2[6] = {1, 20, 3, 4, 50, 6};
    t = run_select(c3, D3, 1, x, D23, 2, y, D23, 2); /* cond a row */
    check_values(t, TFC_FLOAT, w2, 6);
    tfc_tensor_free(t);
    const float w3[6] = {1, 2, 3, -1, -1, -1};
    t = run_select(c21, D21, 2, x, D13, 2, &m1, NULL, 0); /* cond a column, x a row, y a scalar */
    check_dims(t, D23, 2);
    check_values(t, TFC_FLOAT, w3, 6);
    tfc_tensor_free(t);
    const float w4[6] = {1, 2, 3, 1, 2, 3};
    t = run_select(&t1, NULL, 0, x, D3, 1, y, D23, 2); /* cond a scalar */
    check_dims(t, D23, 2);
    check_values(t, TFC_FLOAT, w4, 6);
    tfc_tensor_free(t);

    tfc_graph *g = new_graph();
    const int64_t xl[3] = {1, 2, 3}, yl = 0, wl[3] = {1, 0, 3};
    tfc_output z = tfc_select(g, tfc_const_array(g, TFC_BOOL, D3, 1, c3, NULL),
                              tfc_const_array(g, TFC_INT64, D3, 1, xl, NULL), tfc_const_int64(g, yl, NULL), NULL);
    t = tfct_eval(g, z, NULL, NULL, 0);
    check_values(t, TFC_INT64, wl, 3);
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

/* ---- the internal gradient ops through the generic builder ---- */

static tfc_output internal_op(tfc_graph *g, const char *type, tfc_output a, tfc_output like)
{
    tfc_op_builder *b = tfc_op_builder_new(g, type, NULL);
    tfc_op_builder_add_input(b, a);
    tfc_op_builder_add_input(b, like);
    tfc_op *op = NULL;
    tfc_code c = tfc_op_builder_finish(b, &op);
    if (c) return (tfc_output){NULL, 0};
    return tfc_op_output(op, 0);
}

static void check_sum_to(const float *x, const int64_t *dx, int rx, const int64_t *dl, int rl, const float *want)
{
    tfc_graph *g = new_graph();
    float zeros[64] = {0};
    tfc_output like = tfc_const_array(g, TFC_FLOAT, dl, rl, zeros, "like");
    tfc_output z = internal_op(g, "_SumToShapeOf", tfc_const_array(g, TFC_FLOAT, dx, rx, x, "x"), like);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z.op);
    tfc_tensor *t = tfct_eval(g, z, NULL, NULL, 0);
    check_dims(t, dl, rl);
    check_values(t, TFC_FLOAT, want, count_of(dl, rl));
    tfc_tensor_free(t);
    /* and back: broadcasting the result to x's shape */
    tfc_output back = internal_op(g, "_BroadcastToShapeOf", z, tfc_const_array(g, TFC_FLOAT, dx, rx, x, NULL));
    CU_ASSERT_PTR_NOT_NULL_FATAL(back.op);
    t = tfct_eval(g, back, NULL, NULL, 0);
    check_dims(t, dx, rx);
    const float *v = tfc_tensor_data(t);
    /* element i of the broadcast equals the sum it came from */
    int64_t n = count_of(dx, rx), nl = count_of(dl, rl);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, li = 0, stride = 1;
        for (int d = rx - 1; d >= 0; d--) {
            int64_t idx = rem % dx[d];
            rem /= dx[d];
            int ld = d - (rx - rl);
            if (ld >= 0 && dl[ld] != 1) li += idx * stride;
            if (ld >= 0) stride *= dl[ld];
        }
        CU_ASSERT_TRUE(li < nl);
        TFCT_NEAR(v[i], want[li], 1e-6);
    }
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_sum_to_and_broadcast_to(void)
{
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const float cols[3] = {5, 7, 9}, rows[2] = {6, 15}, all = 21;
    check_sum_to(x, D23, 2, D3, 1, cols);      /* [2,3] -> [3] */
    check_sum_to(x, D23, 2, D13, 2, cols);     /* [2,3] -> [1,3] */
    check_sum_to(x, D23, 2, D21, 2, rows);     /* [2,3] -> [2,1] */
    check_sum_to(x, D23, 2, NULL, 0, &all);    /* [2,3] -> [] */
    check_sum_to(x, D23, 2, D23, 2, x);        /* nothing to sum */
    const int64_t d11[2] = {1, 1};
    check_sum_to(x, D23, 2, d11, 2, &all);
    /* general: [2,3,4] -> [3,1] sums over dims 0 and 2 */
    float x3[24], want[3] = {0, 0, 0};
    for (int i = 0; i < 24; i++) {
        x3[i] = (float)(i + 1);
        want[(i / 4) % 3] += x3[i];
    }
    const int64_t d234[3] = {2, 3, 4}, d31[2] = {3, 1};
    check_sum_to(x3, d234, 3, d31, 2, want);
    CU_ASSERT_EQUAL(want[0], 1 + 2 + 3 + 4 + 13 + 14 + 15 + 16);
    /* [2,3,4] -> [2,1,4] */
    float want2[8] = {0};
    for (int i = 0; i < 24; i++) want2[(i / 12) * 4 + i % 4] += x3[i];
    const int64_t d214[3] = {2, 1, 4};
    check_sum_to(x3, d234, 3, d214, 3, want2);

    /* incompatible shapes, statically and at run time */
    tfc_graph *g = new_graph();
    tfc_output z = internal_op(g, "_SumToShapeOf", tfc_const_array(g, TFC_FLOAT, D23, 2, x, NULL),
                               tfc_const_array(g, TFC_FLOAT, D21, 2, x, NULL));
    CU_ASSERT_PTR_NOT_NULL(z.op);
    z = internal_op(g, "_SumToShapeOf", tfc_const_array(g, TFC_FLOAT, D23, 2, x, NULL),
                    tfc_const_array(g, TFC_FLOAT, D13, 2, x, NULL));
    CU_ASSERT_PTR_NOT_NULL(z.op);
    const int64_t d4[1] = {4};
    float f4[4] = {0};
    z = internal_op(g, "_SumToShapeOf", tfc_const_array(g, TFC_FLOAT, D23, 2, x, NULL),
                    tfc_const_array(g, TFC_FLOAT, d4, 1, f4, NULL));
    CU_ASSERT_PTR_NULL(z.op);
    TFCT_ERR_HAS("cannot sum a gradient of shape [2,3] down to shape [4]");
    int64_t pd[1] = {-1};
    tfc_output p = tfc_placeholder(g, TFC_FLOAT, pd, 1, "p");
    z = internal_op(g, "_SumToShapeOf", tfc_const_array(g, TFC_FLOAT, D23, 2, x, NULL), p);
    tfc_output b = internal_op(g, "_BroadcastToShapeOf", p, tfc_const_array(g, TFC_FLOAT, D23, 2, x, NULL));
    TFCT_GRAPH_OK(g);
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *pv = tfct_f32(f4, d4, 1), *out = NULL;
    CU_ASSERT_EQUAL(tfc_session_run(s, &p, &pv, 1, &z, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("(_SumToShapeOf): cannot sum a gradient of shape [2,3] down to shape [4]");
    CU_ASSERT_EQUAL(tfc_session_run(s, &p, &pv, 1, &b, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("(_BroadcastToShapeOf): cannot broadcast shape [4] to shape [2,3]");
    tfc_tensor_free(pv);
    tfc_session_free(s);
    tfc_graph_free(g);
}

/* ---- large tensors: the parallel paths agree with the serial definitions ---- */

static tfc_tensor *eval_threads(tfc_graph *g, tfc_output fetch, int threads)
{
    TFCT_GRAPH_OK(g);
    tfc_session *s = NULL;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = threads;
    TFCT_OK(tfc_session_new(g, &o, &s));
    tfc_tensor *out = NULL;
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &fetch, &out, 1, NULL, 0));
    tfc_session_free(s);
    return out;
}

static void test_large_parallel(void)
{
    enum { R = 1000, K = 100, B = 10 };
    float *x = malloc(sizeof(float) * R * K), *row = malloc(sizeof(float) * K), *col = malloc(sizeof(float) * R);
    float *want = malloc(sizeof(float) * R * K);
    float *y3 = malloc(sizeof(float) * B * K);
    for (int i = 0; i < R * K; i++) x[i] = (float)(i % 13) - 6;
    for (int j = 0; j < K; j++) row[j] = (float)(j % 7);
    for (int i = 0; i < R; i++) col[i] = (float)(i % 5) + 1;
    for (int i = 0; i < B * K; i++) y3[i] = (float)(i % 11);
    const int64_t dx[2] = {R, K}, dr[1] = {K}, dc[2] = {R, 1}, d3[3] = {B, R / B, K}, dy3[3] = {B, 1, K};
    for (int threads = 1; threads <= 4; threads += 3) {
        tfc_graph *g = new_graph();
        tfc_output xo = tfc_const_array(g, TFC_FLOAT, dx, 2, x, "x");
        tfc_output same = tfc_add(g, xo, xo, NULL);
        tfc_output rowb = tfc_sub(g, xo, tfc_const_array(g, TFC_FLOAT, dr, 1, row, NULL), NULL);
        tfc_output colb = tfc_mul(g, xo, tfc_const_array(g, TFC_FLOAT, dc, 2, col, NULL), NULL);
        tfc_output x3 = tfc_const_array(g, TFC_FLOAT, d3, 3, x, "x3");
        tfc_output gen = tfc_add(g, x3, tfc_const_array(g, TFC_FLOAT, dy3, 3, y3, NULL), NULL);
        tfc_output sq = tfc_square(g, xo, NULL);
        tfc_output sum_rows = internal_op(g, "_SumToShapeOf", xo, tfc_const_array(g, TFC_FLOAT, dr, 1, row, NULL));
        tfc_output sum_cols = internal_op(g, "_SumToShapeOf", xo, tfc_const_array(g, TFC_FLOAT, dc, 2, col, NULL));
        tfc_output sum_gen = internal_op(g, "_SumToShapeOf", x3, tfc_const_array(g, TFC_FLOAT, dy3, 3, y3, NULL));
        tfc_output bc = internal_op(g, "_BroadcastToShapeOf", tfc_const_array(g, TFC_FLOAT, dy3, 3, y3, NULL), x3);
        tfc_output an = tfc_add_n(g, (tfc_output[]){xo, xo, xo}, 3, NULL);

        for (int i = 0; i < R * K; i++) want[i] = 2 * x[i];
        tfc_tensor *t = eval_threads(g, same, threads);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        for (int i = 0; i < R * K; i++) want[i] = 3 * x[i];
        t = eval_threads(g, an, threads);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        for (int i = 0; i < R * K; i++) want[i] = x[i] - row[i % K];
        t = eval_threads(g, rowb, threads);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        for (int i = 0; i < R * K; i++) want[i] = x[i] * col[i / K];
        t = eval_threads(g, colb, threads);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        for (int i = 0; i < R * K; i++) want[i] = x[i] + y3[(i / (R * K / B)) * K + i % K];
        t = eval_threads(g, gen, threads);
        check_dims(t, d3, 3);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        for (int i = 0; i < R * K; i++) want[i] = y3[(i / (R * K / B)) * K + i % K];
        t = eval_threads(g, bc, threads);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        for (int i = 0; i < R * K; i++) want[i] = x[i] * x[i];
        t = eval_threads(g, sq, threads);
        check_values(t, TFC_FLOAT, want, R * K);
        tfc_tensor_free(t);
        memset(want, 0, sizeof(float) * R * K);
        for (int i = 0; i < R * K; i++) want[i % K] += x[i];
        t = eval_threads(g, sum_rows, threads);
        check_values(t, TFC_FLOAT, want, K);
        tfc_tensor_free(t);
        memset(want, 0, sizeof(float) * R * K);
        for (int i = 0; i < R * K; i++) want[i / K] += x[i];
        t = eval_threads(g, sum_cols, threads);
        check_values(t, TFC_FLOAT, want, R);
        tfc_tensor_free(t);
        memset(want, 0, sizeof(float) * R * K);
        for (int i = 0; i < R * K; i++) want[(i / (R * K / B)) * K + i % K] += x[i];
        t = eval_threads(g, sum_gen, threads);
        check_dims(t, dy3, 3);
        check_values(t, TFC_FLOAT, want, B * K);
        tfc_tensor_free(t);
        tfc_graph_free(g);
    }
    free(x);
    free(row);
    free(col);
    free(want);
    free(y3);
}

/* ---- errors ---- */

static void test_build_errors(void)
{
    tfc_graph *g = new_graph();
    const float f6[6] = {0};
    const int32_t i6[6] = {0};
    const int64_t d4[1] = {4};
    tfc_output x = tfc_const_array(g, TFC_FLOAT, D23, 2, f6, "x");
    tfc_output v = tfc_const_array(g, TFC_FLOAT, d4, 1, f6, "v");
    tfc_output i = tfc_const_array(g, TFC_INT32, D23, 2, i6, "i");
    TFCT_GRAPH_OK(g);

    CU_ASSERT_PTR_NULL(tfc_add(g, x, v, "bad").op);
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'bad' (Add): shapes [2,3] and [4] cannot be broadcast together");
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), "shapes [2,3] and [4]"));
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_less(g, v, x, "cmp").op);
    TFCT_ERR_HAS("op 'cmp' (Less): shapes [4] and [2,3] cannot be broadcast together");
    tfc_graph_clear_error(g);

    CU_ASSERT_PTR_NULL(tfc_mul(g, x, i, "mix").op);
    TFCT_ERR_HAS("op 'mix' (Mul): inputs 0 ('x', float32) and 1 ('i', int32) must have the same dtype");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_pow(g, i, i, "p").op);
    TFCT_ERR_HAS("op 'p' (Pow): input 0 ('i') must be float32 or float64, got int32");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_sqrt(g, i, "s").op);
    TFCT_ERR_HAS("op 's' (Sqrt): input 0 ('i') must be float32 or float64, got int32");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_logical_and(g, x, x, "and").op);
    TFCT_ERR_HAS("op 'and' (LogicalAnd): input 0 ('x') must be bool, got float32");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_logical_not(g, i, "not").op);
    TFCT_ERR_HAS("input 0 ('i') must be bool, got int32");
    tfc_graph_clear_error(g);
    tfc_output bl = tfc_less(g, x, x, "bl");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_PTR_NULL(tfc_add(g, bl, bl, "addb").op);
    TFCT_ERR_HAS("op 'addb' (Add): input 0 ('bl') must be float32, float64, int32 or int64, got bool");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_neg(g, bl, "negb").op);
    TFCT_ERR_HAS("must be float32, float64, int32 or int64, got bool");
    tfc_graph_clear_error(g);

    /* AddN */
    tfc_output two[2] = {x, v};
    CU_ASSERT_PTR_NULL(tfc_add_n(g, two, 2, "sum").op);
    TFCT_ERR_HAS("op 'sum' (AddN): input 1 ('v') has shape [4] but the inputs before it have shape [2,3]");
    tfc_graph_clear_error(g);
    tfc_output mixed[2] = {x, i};
    CU_ASSERT_PTR_NULL(tfc_add_n(g, mixed, 2, "sum").op);
    TFCT_ERR_HAS("must have the same dtype");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_add_n(g, two, 0, "none").op);
    TFCT_ERR_HAS("op 'none' (AddN): needs at least one input, got 0");
    tfc_graph_clear_error(g);

    /* SelectV2 */
    CU_ASSERT_PTR_NULL(tfc_select(g, x, x, x, "sel").op);
    TFCT_ERR_HAS("op 'sel' (SelectV2): input 0 ('x') must be bool, got float32");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_select(g, bl, x, i, "sel").op);
    TFCT_ERR_HAS("must have the same dtype");
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NULL(tfc_select(g, bl, v, x, "sel").op);
    TFCT_ERR_HAS("op 'sel' (SelectV2): shapes [2,3], [4] and [2,3] cannot be broadcast together");
    tfc_graph_clear_error(g);

    /* sticky: a failed constructor's output makes the next one fail too */
    tfc_output bad = tfc_add(g, x, v, "first");
    CU_ASSERT_PTR_NULL(tfc_neg(g, bad, "second").op);
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), "first"));
    tfc_graph_clear_error(g);
    tfc_graph_free(g);
}

static void test_run_errors(void)
{
    tfc_graph *g = new_graph();
    int64_t pd[2] = {-1, 3};
    tfc_output a = tfc_placeholder(g, TFC_FLOAT, pd, 2, "a"), b = tfc_placeholder(g, TFC_FLOAT, pd, 2, "b");
    tfc_output z = tfc_mul(g, a, b, "z");
    tfc_output s = tfc_add_n(g, (tfc_output[]){a, b}, 2, "s");
    tfc_output c = tfc_placeholder(g, TFC_BOOL, NULL, -1, "c");
    tfc_output sel = tfc_select(g, c, a, b, "sel");
    int64_t id[1] = {-1};
    tfc_output n = tfc_placeholder(g, TFC_INT32, id, 1, "n"), dd = tfc_placeholder(g, TFC_INT32, id, 1, "dd");
    tfc_output q = tfc_div(g, n, dd, "q");
    tfc_output q64 = tfc_div(g, tfc_placeholder(g, TFC_INT64, id, 1, "n64"), tfc_const_int64(g, 0, NULL), "q64");
    TFCT_GRAPH_OK(g);
    tfc_session *ss;
    TFCT_OK(tfc_session_new(g, NULL, &ss));
    float f[12] = {0};
    const int64_t d23[2] = {2, 3}, d43[2] = {4, 3};
    tfc_tensor *av = tfct_f32(f, d23, 2), *bv = tfct_f32(f, d43, 2), *out = NULL;
    tfc_output feeds[2] = {a, b};
    tfc_tensor *vals[2] = {av, bv};
    CU_ASSERT_EQUAL(tfc_session_run(ss, feeds, vals, 2, &z, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'z' (Mul): shapes [2,3] and [4,3] cannot be broadcast together");
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(tfc_session_run(ss, feeds, vals, 2, &s, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 's' (AddN): input 1 is float32 [4,3] but input 0 is float32 [2,3]");
    uint8_t cb[2] = {1, 0};
    const int64_t d2[1] = {2};
    tfc_tensor *cv;
    TFCT_OK(tfc_tensor_new(TFC_BOOL, d2, 1, cb, 2, &cv));
    tfc_output f3[3] = {c, a, b};
    tfc_tensor *v3[3] = {cv, av, av};
    CU_ASSERT_EQUAL(tfc_session_run(ss, f3, v3, 3, &sel, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'sel' (SelectV2): shapes [2], [2,3] and [2,3] cannot be broadcast together");

    /* integer division by zero is a run-time error, not a crash */
    const int32_t nv[3] = {1, 2, 3}, dv[3] = {1, 0, 1}, dok[3] = {1, 2, -3};
    tfc_tensor *ntv = tfct_i32(nv, D3, 1), *dtv = tfct_i32(dv, D3, 1), *okv = tfct_i32(dok, D3, 1);
    tfc_output fq[2] = {n, dd};
    tfc_tensor *vq[2] = {ntv, dtv};
    CU_ASSERT_EQUAL(tfc_session_run(ss, fq, vq, 2, &q, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'q' (Div): integer division by zero");
    vq[1] = okv;
    TFCT_OK(tfc_session_run(ss, fq, vq, 2, &q, &out, 1, NULL, 0));
    const int32_t wq[3] = {1, 1, -1};
    check_values(out, TFC_INT32, wq, 3);
    tfc_tensor_free(out);
    const int64_t nl[2] = {5, 6};
    tfc_tensor *nlv = tfct_i64(nl, d2, 1);
    tfc_output n64 = tfc_op_input(q64.op, 0);
    CU_ASSERT_EQUAL(tfc_session_run(ss, &n64, &nlv, 1, &q64, &out, 1, NULL, 0), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("op 'q64' (Div): integer division by zero");
    tfc_tensor_free(nlv);
    tfc_tensor_free(ntv);
    tfc_tensor_free(dtv);
    tfc_tensor_free(okv);
    tfc_tensor_free(cv);
    tfc_tensor_free(av);
    tfc_tensor_free(bv);
    tfc_session_free(ss);
    tfc_graph_free(g);
}

/* ---- gradients ---- */

/* Broadcast shape of two shapes (the test's own, for weights). */
static int bshape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out)
{
    int r = ra > rb ? ra : rb;
    for (int d = 0; d < r; d++) {
        int ia = ra - r + d, ib = rb - r + d;
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        out[d] = da == 1 ? db : da;
    }
    return r;
}

/* A constant of distinct weights, so the gradient of sum(z * w) is not all ones. */
static tfc_output weights(tfc_graph *g, const int64_t *dims, int rank)
{
    double w[64];
    int64_t n = count_of(dims, rank);
    for (int64_t i = 0; i < n && i < 64; i++) w[i] = 0.5 + 0.25 * (double)(i % 7);
    return tfc_const_array(g, TFC_DOUBLE, dims, rank, w, "w");
}

/* Max finite-difference error of d sum(f(x, y) * w) / dx and / dy, with x and
 * y float64 placeholders of static shapes sx / sy (NULL: same as the value). */
static double bin_grad_err(binop f, const double *xv, const int64_t *dx, int rx, const int64_t *sx, const double *yv,
                           const int64_t *dy, int ry, const int64_t *sy)
{
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, sx ? sx : dx, rx, "x");
    tfc_output y = tfc_placeholder(g, TFC_DOUBLE, sy ? sy : dy, ry, "y");
    int64_t dw[TFC_MAX_RANK];
    int rw = bshape(dx, rx, dy, ry, dw);
    tfc_output loss = tfc_mul(g, f(g, x, y, "z"), weights(g, dw, rw), "loss");
    TFCT_GRAPH_OK(g);
    tfc_tensor *xt = tfct_f64(xv, dx, rx), *yt = tfct_f64(yv, dy, ry);
    double e1 = tfct_grad_error(g, loss, x, xt, &y, &yt, 1, EPS);
    double e2 = tfct_grad_error(g, loss, y, yt, &x, &xt, 1, EPS);
    tfc_tensor_free(xt);
    tfc_tensor_free(yt);
    tfc_graph_free(g);
    return e1 > e2 ? e1 : e2;
}

/* Every binary op over: same shapes, [2,3] with [3] (batch unknown statically),
 * [2,1] with [1,3] (all dims unknown statically), and a scalar. */
static void check_binary_grads(binop f, const char *what)
{
    const double x6[6] = {0.5, 1.2, 2.1, 0.7, 1.9, 1.4}, y6[6] = {1.3, 0.6, 1.7, 2.2, 0.4, 0.9};
    const double y3[3] = {1.0, 1.5, 0.8}, x2[2] = {0.9, 1.6}, ys = 1.1;
    const int64_t unk23[2] = {-1, 3}, unk2[2] = {-1, -1};
    double e[5];
    e[0] = bin_grad_err(f, x6, D23, 2, NULL, y6, D23, 2, NULL);
    e[1] = bin_grad_err(f, x6, D23, 2, unk23, y3, D3, 1, NULL);
    e[2] = bin_grad_err(f, x2, D21, 2, unk2, y3, D13, 2, unk2);
    e[3] = bin_grad_err(f, x6, D23, 2, NULL, &ys, NULL, 0, NULL);
    e[4] = bin_grad_err(f, y3, D3, 1, NULL, x6, D23, 2, unk23); /* the broadcast one first */
    for (int i = 0; i < 5; i++) {
        if (!(e[i] < GRAD_TOL)) fprintf(stderr, "\n%s gradient case %d: error %g\n", what, i, e[i]);
        CU_ASSERT_TRUE(e[i] < GRAD_TOL);
    }
}

static void test_binary_gradients(void)
{
    check_binary_grads(tfc_add, "Add");
    check_binary_grads(tfc_sub, "Sub");
    check_binary_grads(tfc_mul, "Mul");
    check_binary_grads(tfc_div, "Div");
    check_binary_grads(tfc_pow, "Pow");
    check_binary_grads(tfc_maximum, "Maximum");
    check_binary_grads(tfc_minimum, "Minimum");
    check_binary_grads(tfc_squared_difference, "SquaredDifference");
}

static double un_grad_err(unop f, const double *xv, int n)
{
    tfc_graph *g = new_graph();
    int64_t d[1] = {n};
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d, 1, "x");
    tfc_output loss = tfc_mul(g, f(g, x, "z"), weights(g, d, 1), "loss");
    tfc_tensor *xt = tfct_f64(xv, d, 1);
    double e = tfct_grad_error(g, loss, x, xt, NULL, NULL, 0, EPS);
    tfc_tensor_free(xt);
    tfc_graph_free(g);
    return e;
}

static void test_unary_gradients(void)
{
    const double mixed[5] = {-1.7, -0.4, 0.3, 0.9, 2.2}; /* away from 0 for Abs and Sign */
    const double pos[5] = {0.3, 0.8, 1.1, 1.9, 2.6};
    const double small[5] = {-0.6, -0.2, 0.1, 0.5, 1.3}; /* > -1 for Log1p */
    struct {
        unop f;
        const double *x;
        const char *name;
    } cases[] = {
        {tfc_neg, mixed, "Neg"},     {tfc_abs, mixed, "Abs"},     {tfc_sign, mixed, "Sign"},
        {tfc_square, mixed, "Square"}, {tfc_sqrt, pos, "Sqrt"},   {tfc_rsqrt, pos, "Rsqrt"},
        {tfc_exp, mixed, "Exp"},     {tfc_log, pos, "Log"},       {tfc_log1p, small, "Log1p"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double e = un_grad_err(cases[i].f, cases[i].x, 5);
        if (!(e < GRAD_TOL)) fprintf(stderr, "\n%s gradient: error %g\n", cases[i].name, e);
        CU_ASSERT_TRUE(e < GRAD_TOL);
    }
}

static void test_add_n_and_select_gradients(void)
{
    tfc_graph *g = new_graph();
    tfc_output a = tfc_placeholder(g, TFC_DOUBLE, D23, 2, "a"), b = tfc_placeholder(g, TFC_DOUBLE, D23, 2, "b");
    tfc_output loss = tfc_mul(g, tfc_add_n(g, (tfc_output[]){a, b, a}, 3, NULL), weights(g, D23, 2), NULL);
    const double av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {-1, 0.5, 2, 3, -2, 1};
    tfc_tensor *at = tfct_f64(av, D23, 2), *bt = tfct_f64(bv, D23, 2);
    CU_ASSERT_TRUE(tfct_grad_error(g, loss, a, at, &b, &bt, 1, EPS) < GRAD_TOL);
    CU_ASSERT_TRUE(tfct_grad_error(g, loss, b, bt, &a, &at, 1, EPS) < GRAD_TOL);
    /* the gradient of a is 2 w */
    tfc_output da;
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &a, 1, NULL, &da));
    tfc_output feeds[2] = {a, b};
    tfc_tensor *vals[2] = {at, bt};
    tfc_tensor *t = tfct_eval(g, da, feeds, vals, 2);
    const double w2[6] = {1, 1.5, 2, 2.5, 3, 3.5};
    check_values(t, TFC_DOUBLE, w2, 6);
    tfc_tensor_free(t);
    tfc_graph_free(g);

    /* SelectV2: x [2,3] (batch unknown), y [3] broadcast, cond [2,3] */
    g = new_graph();
    const uint8_t cv[6] = {1, 0, 0, 1, 1, 0};
    const int64_t unk23[2] = {-1, 3};
    tfc_output c = tfc_const_array(g, TFC_BOOL, D23, 2, cv, "c");
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, unk23, 2, "x"), y = tfc_placeholder(g, TFC_DOUBLE, D3, 1, "y");
    loss = tfc_mul(g, tfc_select(g, c, x, y, NULL), weights(g, D23, 2), NULL);
    const double yv[3] = {7, 8, 9};
    tfc_tensor *yt = tfct_f64(yv, D3, 1);
    CU_ASSERT_TRUE(tfct_grad_error(g, loss, x, at, &y, &yt, 1, EPS) < GRAD_TOL);
    CU_ASSERT_TRUE(tfct_grad_error(g, loss, y, yt, &x, &at, 1, EPS) < GRAD_TOL);
    /* y's gradient by hand: w = [.5,.75,1,1.25,1.5,1.75]; y wins at (0,1),(0,2),(1,2) */
    tfc_output dy;
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &y, 1, NULL, &dy));
    tfc_output fe[2] = {x, y};
    tfc_tensor *va[2] = {at, yt};
    t = tfct_eval(g, dy, fe, va, 2);
    check_dims(t, D3, 1);
    const double wy[3] = {0, 0.75, 1 + 1.75};
    check_values(t, TFC_DOUBLE, wy, 3);
    tfc_tensor_free(t);
    /* cond gets no gradient */
    tfc_output dc;
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &c, 1, NULL, &dc));
    CU_ASSERT_PTR_NULL(dc.op);
    tfc_tensor_free(yt);
    tfc_tensor_free(at);
    tfc_tensor_free(bt);
    tfc_graph_free(g);
}

static int count_type(tfc_graph *g, const char *type)
{
    int n = 0;
    size_t pos = 0;
    for (tfc_op *op; (op = tfc_graph_next_op(g, &pos));) n += strcmp(tfc_op_type(op), type) == 0;
    return n;
}

static void test_gradient_reduction_is_skipped_without_broadcasting(void)
{
    tfc_graph *g = new_graph();
    const int64_t unk23[2] = {-1, 3}, unk2[2] = {-1, -1};
    tfc_output a = tfc_placeholder(g, TFC_DOUBLE, unk23, 2, "a"), b = tfc_placeholder(g, TFC_DOUBLE, D3, 1, "b");
    tfc_output c = tfc_placeholder(g, TFC_DOUBLE, D23, 2, "c"), d = tfc_placeholder(g, TFC_DOUBLE, D23, 2, "d");
    tfc_output e = tfc_placeholder(g, TFC_DOUBLE, unk2, 2, "e"), f = tfc_placeholder(g, TFC_DOUBLE, unk2, 2, "f");
    tfc_output s1 = tfc_add(g, c, d, NULL), s2 = tfc_mul(g, a, b, NULL), s3 = tfc_sub(g, e, f, NULL);
    TFCT_GRAPH_OK(g);
    tfc_output xs[2], dxs[2];
    xs[0] = c, xs[1] = d;
    TFCT_OK(tfc_graph_add_gradients(g, &s1, 1, xs, 2, NULL, dxs));
    CU_ASSERT_EQUAL(count_type(g, "_SumToShapeOf"), 0); /* same static shapes */
    xs[0] = a, xs[1] = b;
    TFCT_OK(tfc_graph_add_gradients(g, &s2, 1, xs, 2, NULL, dxs));
    CU_ASSERT_EQUAL(count_type(g, "_SumToShapeOf"), 1); /* only b: a's unknown batch can only match */
    xs[0] = e, xs[1] = f;
    TFCT_OK(tfc_graph_add_gradients(g, &s3, 1, xs, 2, NULL, dxs));
    CU_ASSERT_EQUAL(count_type(g, "_SumToShapeOf"), 3); /* either may be broadcast at run time */
    /* and at run time it sums e's [1,3] gradient down from [2,3] */
    const double ev[3] = {1, 2, 3}, fv[6] = {1, 2, 3, 4, 5, 6};
    tfc_tensor *et = tfct_f64(ev, D13, 2), *ft = tfct_f64(fv, D23, 2);
    tfc_output feeds[2] = {e, f};
    tfc_tensor *vals[2] = {et, ft};
    tfc_tensor *t = tfct_eval(g, dxs[0], feeds, vals, 2);
    check_dims(t, D13, 2);
    const double w[3] = {2, 2, 2};
    check_values(t, TFC_DOUBLE, w, 3);
    tfc_tensor_free(t);
    t = tfct_eval(g, dxs[1], feeds, vals, 2);
    check_dims(t, D23, 2);
    const double wf[6] = {-1, -1, -1, -1, -1, -1};
    check_values(t, TFC_DOUBLE, wf, 6);
    tfc_tensor_free(t);
    tfc_tensor_free(et);
    tfc_tensor_free(ft);
    tfc_graph_free(g);
}

static void test_internal_op_gradients(void)
{
    /* _SumToShapeOf's gradient is _BroadcastToShapeOf and back */
    tfc_graph *g = new_graph();
    const int64_t d234[3] = {2, 3, 4}, d31[2] = {3, 1};
    double xv[24], zeros[24] = {0};
    for (int i = 0; i < 24; i++) xv[i] = 0.1 * i - 1;
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, d234, 3, "x");
    tfc_output s = internal_op(g, "_SumToShapeOf", x, tfc_const_array(g, TFC_DOUBLE, d31, 2, zeros, "like"));
    tfc_output loss = tfc_mul(g, s, weights(g, d31, 2), NULL);
    tfc_tensor *xt = tfct_f64(xv, d234, 3);
    CU_ASSERT_TRUE(tfct_grad_error(g, loss, x, xt, NULL, NULL, 0, EPS) < GRAD_TOL);
    tfc_output p = tfc_placeholder(g, TFC_DOUBLE, d31, 2, "p");
    tfc_output bc = internal_op(g, "_BroadcastToShapeOf", p, x);
    loss = tfc_mul(g, tfc_square(g, bc, NULL), weights(g, d234, 3), NULL);
    const double pv[3] = {0.5, -1, 2};
    tfc_tensor *pt = tfct_f64(pv, d31, 2);
    CU_ASSERT_TRUE(tfct_grad_error(g, loss, p, pt, &x, &xt, 1, EPS) < GRAD_TOL);
    tfc_tensor_free(xt);
    tfc_tensor_free(pt);
    tfc_graph_free(g);

    /* second derivatives through a broadcast: d/dx sum(d/db sum(w * (x + b)^3)) */
    g = new_graph();
    const int64_t unk23[2] = {-1, 3};
    x = tfc_placeholder(g, TFC_DOUBLE, unk23, 2, "x");
    tfc_output b = tfc_placeholder(g, TFC_DOUBLE, D3, 1, "b");
    tfc_output xb = tfc_add(g, x, b, NULL);
    tfc_output cube = tfc_mul(g, tfc_square(g, xb, NULL), xb, NULL);
    loss = tfc_mul(g, cube, weights(g, D23, 2), NULL);
    tfc_output db;
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &b, 1, NULL, &db));
    const double x6[6] = {0.5, 1.2, -2.1, 0.7, 1.9, 1.4}, bv[3] = {0.3, -0.2, 0.6};
    tfc_tensor *x6t = tfct_f64(x6, D23, 2), *bt = tfct_f64(bv, D3, 1);
    double e = tfct_grad_error(g, db, x, x6t, &b, &bt, 1, EPS);
    if (!(e < GRAD_TOL)) fprintf(stderr, "\nsecond derivative error %g\n", e);
    CU_ASSERT_TRUE(e < GRAD_TOL);
    tfc_tensor_free(x6t);
    tfc_tensor_free(bt);
    tfc_graph_free(g);
}

static void test_non_differentiable(void)
{
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, D3, 1, "x");
    tfc_output m = tfc_less(g, x, tfc_const_double(g, 1, NULL), NULL);
    tfc_output y = tfc_select(g, m, tfc_const_double(g, 2, NULL), tfc_const_double(g, 3, NULL), NULL);
    TFCT_GRAPH_OK(g);
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    CU_ASSERT_PTR_NULL(dx.op); /* the comparison stops the gradient */
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"binary float values", test_binary_float_values},
        {"binary int values", test_binary_int_values},
        {"broadcasting", test_broadcasting},
        {"unary values", test_unary_values},
        {"AddN values", test_add_n_values},
        {"comparisons and logic", test_comparisons_and_logic},
        {"SelectV2 values", test_select_values},
        {"_SumToShapeOf and _BroadcastToShapeOf", test_sum_to_and_broadcast_to},
        {"large tensors across threads", test_large_parallel},
        {"build errors", test_build_errors},
        {"run errors", test_run_errors},
        {"binary gradients", test_binary_gradients},
        {"unary gradients", test_unary_gradients},
        {"AddN and SelectV2 gradients", test_add_n_and_select_gradients},
        {"gradient reduction skipped without broadcasting", test_gradient_reduction_is_skipped_without_broadcasting},
        {"internal op gradients and second derivatives", test_internal_op_gradients},
        {"non-differentiable ops", test_non_differentiable},
        {NULL, NULL},
    };
    return tfct_main("math", cases);
}
