/* Tests of the random family: RandomUniform, RandomStandardNormal,
 * TruncatedNormal and tfc_glorot_uniform: ranges, moments on 100k draws,
 * reproducibility (op seed, graph seed, thread count), errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define N 100000

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

static double val(const tfc_tensor *t, int64_t i)
{
    return tfc_tensor_dtype(t) == TFC_DOUBLE ? ((const double *)tfc_tensor_data(t))[i]
                                             : ((const float *)tfc_tensor_data(t))[i];
}

typedef struct stats {
    double mean, sd, min, max;
    int64_t n;
} stats;

static stats stats_of(const tfc_tensor *t)
{
    stats s = {0, 0, INFINITY, -INFINITY, tfc_tensor_num_elements(t)};
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < s.n; i++) {
        double v = val(t, i);
        sum += v;
        sq += v * v;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
    }
    s.mean = sum / (double)s.n;
    s.sd = sqrt(sq / (double)s.n - s.mean * s.mean);
    return s;
}

/* Values of `runs` consecutive runs of y in one fresh session. */
static void run_times(tfc_graph *g, tfc_output y, int threads, tfc_tensor **out, int runs)
{
    TFCT_GRAPH_OK(g);
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = threads;
    tfc_session *s = NULL;
    TFCT_OK(tfc_session_new(g, &o, &s));
    for (int r = 0; r < runs; r++) TFCT_OK(tfc_session_run(s, NULL, NULL, 0, &y, &out[r], 1, NULL, 0));
    tfc_session_free(s);
}

static tfc_tensor *run_once(tfc_graph *g, tfc_output y, int threads)
{
    tfc_tensor *t;
    run_times(g, y, threads, &t, 1);
    return t;
}

static bool same_values(const tfc_tensor *a, const tfc_tensor *b)
{
    return tfc_tensor_dtype(a) == tfc_tensor_dtype(b) && tfc_tensor_byte_size(a) == tfc_tensor_byte_size(b) &&
           memcmp(tfc_tensor_data(a), tfc_tensor_data(b), tfc_tensor_byte_size(a)) == 0;
}

static void check_shape(tfc_graph *g, tfc_output o, const tfc_tensor *t, const int64_t *dims, int rank)
{
    int64_t d[TFC_MAX_RANK];
    int r;
    TFCT_OK(tfc_graph_output_shape(g, o, d, &r));
    CU_ASSERT_EQUAL_FATAL(r, rank);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), rank);
    for (int i = 0; i < rank; i++) {
        CU_ASSERT_EQUAL(d[i], dims[i]);
        CU_ASSERT_EQUAL(tfc_tensor_dim(t, i), dims[i]);
    }
}

/* The sample mean of N draws is within 5 standard errors. */
#define MEAN_TOL(sd) (5.0 * (sd) / sqrt((double)N))

static void test_uniform(void)
{
    int64_t dims[2] = {250, 400};
    for (int dt = 0; dt < 2; dt++) {
        tfc_dtype type = dt ? TFC_DOUBLE : TFC_FLOAT;
        tfc_graph *g = new_graph();
        tfc_output u01 = tfc_random_uniform(g, type, dims, 2, 0, 1, 17, "u01");
        tfc_output uab = tfc_random_uniform(g, type, dims, 2, -2, 3, 18, NULL);
        TFCT_GRAPH_OK(g);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(u01.op), "RandomUniform");
        CU_ASSERT_EQUAL(tfc_output_dtype(u01), type);
        tfc_tensor *t = run_once(g, u01, 2);
        check_shape(g, u01, t, dims, 2);
        stats s = stats_of(t);
        CU_ASSERT(s.min >= 0 && s.max < 1);
        CU_ASSERT(s.min < 1e-3 && s.max > 1 - 1e-3);
        CU_ASSERT(fabs(s.mean - 0.5) < MEAN_TOL(sqrt(1.0 / 12)));
        CU_ASSERT(fabs(s.sd - sqrt(1.0 / 12)) < 0.003);
        tfc_tensor_free(t);
        t = run_once(g, uab, 2);
        s = stats_of(t);
        CU_ASSERT(s.min >= -2 && s.max < 3);
        CU_ASSERT(fabs(s.mean - 0.5) < MEAN_TOL(5 * sqrt(1.0 / 12)));
        CU_ASSERT(fabs(s.sd - 5 * sqrt(1.0 / 12)) < 0.015);
        /* a tenth of the draws in each tenth of the range */
        int64_t bins[10] = {0};
        for (int64_t i = 0; i < N; i++) bins[(int)((val(t, i) + 2) * 2)]++;
        for (int b = 0; b < 10; b++) CU_ASSERT(llabs(bins[b] - N / 10) < 5 * 95);
        tfc_tensor_free(t);
        tfc_graph_free(g);
    }
}

static void test_normal(void)
{
    int64_t dims[1] = {N + 1}; /* odd: the last Box-Muller pair is half used */
    for (int dt = 0; dt < 2; dt++) {
        tfc_graph *g = new_graph();
        tfc_output y = tfc_random_normal(g, dt ? TFC_DOUBLE : TFC_FLOAT, dims, 1, 1.0, 2.0, 5, NULL);
        TFCT_GRAPH_OK(g);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(y.op), "RandomStandardNormal");
        tfc_tensor *t = run_once(g, y, 2);
        check_shape(g, y, t, dims, 1);
        stats s = stats_of(t);
        CU_ASSERT(fabs(s.mean - 1) < MEAN_TOL(2));
        CU_ASSERT(fabs(s.sd - 2) < 0.03);
        int64_t within1 = 0, within2 = 0;
        for (int64_t i = 0; i <= N; i++) {
            double z = fabs(val(t, i) - 1) / 2;
            within1 += z < 1;
            within2 += z < 2;
        }
        CU_ASSERT(fabs((double)within1 / (N + 1) - 0.6827) < 0.0075);
        CU_ASSERT(fabs((double)within2 / (N + 1) - 0.9545) < 0.0035);
        CU_ASSERT(s.max > 1 + 2 * 3.5 && s.min < 1 - 2 * 3.5); /* tails exist */
        CU_ASSERT(isfinite(val(t, N)) && val(t, N) != 0);
        tfc_tensor_free(t);
        tfc_graph_free(g);
    }
}

static void test_truncated_normal(void)
{
    int64_t dims[2] = {1000, 100};
    /* variance of a standard normal truncated at +-2: 1 - 4 phi(2) / (2 Phi(2) - 1) */
    const double sd_trunc = sqrt(1 - 4 * 0.05399096651318806 / 0.9544997361036416);
    for (int dt = 0; dt < 2; dt++) {
        tfc_graph *g = new_graph();
        tfc_output y = tfc_truncated_normal(g, dt ? TFC_DOUBLE : TFC_FLOAT, dims, 2, -3.0, 0.5, 6, NULL);
        TFCT_GRAPH_OK(g);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(y.op), "TruncatedNormal");
        tfc_tensor *t = run_once(g, y, 2);
        stats s = stats_of(t);
        CU_ASSERT(s.min >= -3 - 2 * 0.5 && s.max <= -3 + 2 * 0.5);
        CU_ASSERT(s.min < -3.95 && s.max > -2.05);
        CU_ASSERT(fabs(s.mean + 3) < MEAN_TOL(0.5 * sd_trunc));
        CU_ASSERT(fabs(s.sd - 0.5 * sd_trunc) < 0.006);
        tfc_tensor_free(t);
        tfc_graph_free(g);
    }
}

static void test_glorot(void)
{
    struct {
        int64_t dims[4];
        int rank;
        double limit;
    } cases[] = {
        {{400, 250}, 2, sqrt(6.0 / 650)},           /* fan_in 400, fan_out 250 */
        {{30000}, 1, sqrt(6.0 / 60000)},            /* both fans dims[0] */
        {{3, 3, 160, 32}, 4, sqrt(6.0 / (9 * 192))}, /* receptive field 3x3 */
        {{0}, 0, sqrt(3.0)},                        /* scalar: fans 1 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int dt = 0; dt < 2; dt++) {
            tfc_graph *g = new_graph();
            tfc_output y = tfc_glorot_uniform(g, dt ? TFC_DOUBLE : TFC_FLOAT, cases[c].dims, cases[c].rank, 3, NULL);
            TFCT_GRAPH_OK(g);
            CU_ASSERT_STRING_EQUAL(tfc_op_type(y.op), "RandomUniform");
            CU_ASSERT_STRING_EQUAL(tfc_op_name(y.op), "glorot_uniform");
            tfc_tensor *t = run_once(g, y, 1);
            check_shape(g, y, t, cases[c].dims, cases[c].rank);
            stats s = stats_of(t);
            double l = cases[c].limit;
            CU_ASSERT(s.min >= -l * (1 + 1e-6) && s.max <= l * (1 + 1e-6));
            if (s.n > 1000) {
                CU_ASSERT(s.min < -0.99 * l && s.max > 0.99 * l);
                CU_ASSERT(fabs(s.mean) < 5 * l / sqrt(3.0 * (double)s.n));
                CU_ASSERT(fabs(s.sd - l / sqrt(3.0)) < 0.02 * l);
            }
            tfc_tensor_free(t);
            tfc_graph_free(g);
        }
}

static void test_reproducible(void)
{
    int64_t dims[1] = {300000};
    /* a fixed seed: the same sequence in two sessions; every run new values;
     * the same values with one thread or two */
    tfc_graph *g = new_graph();
    tfc_output ops[3] = {tfc_random_uniform(g, TFC_FLOAT, dims, 1, 0, 1, 99, NULL),
                         tfc_random_normal(g, TFC_FLOAT, dims, 1, 0, 1, 99, NULL),
                         tfc_truncated_normal(g, TFC_DOUBLE, dims, 1, 0, 1, 99, NULL)};
    for (int k = 0; k < 3; k++) {
        tfc_tensor *a[2], *b[2];
        run_times(g, ops[k], 1, a, 2);
        run_times(g, ops[k], 2, b, 2);
        CU_ASSERT(same_values(a[0], b[0]));
        CU_ASSERT(same_values(a[1], b[1]));
        CU_ASSERT(!same_values(a[0], a[1]));
        for (int r = 0; r < 2; r++) {
            tfc_tensor_free(a[r]);
            tfc_tensor_free(b[r]);
        }
    }
    /* the same op seed in another graph gives the same values; another seed does not */
    tfc_graph *g2 = new_graph();
    tfc_output same = tfc_random_uniform(g2, TFC_FLOAT, dims, 1, 0, 1, 99, NULL);
    tfc_output other = tfc_random_uniform(g2, TFC_FLOAT, dims, 1, 0, 1, 100, NULL);
    tfc_tensor *a = run_once(g, ops[0], 1), *b = run_once(g2, same, 1), *c = run_once(g2, other, 1);
    CU_ASSERT(same_values(a, b));
    CU_ASSERT(!same_values(a, c));
    tfc_tensor_free(a);
    tfc_tensor_free(b);
    tfc_tensor_free(c);
    tfc_graph_free(g);
    tfc_graph_free(g2);
}

static void test_graph_seed(void)
{
    int64_t dims[2] = {10, 10};
    tfc_graph *g[3];
    tfc_tensor *v[3][2];
    for (int i = 0; i < 3; i++) {
        g[i] = new_graph();
        tfc_graph_set_seed(g[i], i < 2 ? 2024 : 2025);
        tfc_output first = tfc_random_normal(g[i], TFC_FLOAT, dims, 2, 0, 1, 0, NULL);
        tfc_output second = tfc_random_normal(g[i], TFC_FLOAT, dims, 2, 0, 1, 0, NULL);
        v[i][0] = run_once(g[i], first, 1);
        v[i][1] = run_once(g[i], second, 1);
    }
    CU_ASSERT(same_values(v[0][0], v[1][0]));  /* same graph seed, same op position */
    CU_ASSERT(same_values(v[0][1], v[1][1]));
    CU_ASSERT(!same_values(v[0][0], v[0][1])); /* two ops of one graph differ */
    CU_ASSERT(!same_values(v[0][0], v[2][0])); /* another graph seed */
    for (int i = 0; i < 3; i++) {
        tfc_tensor_free(v[i][0]);
        tfc_tensor_free(v[i][1]);
        tfc_graph_free(g[i]);
    }
}

static void test_errors(void)
{
    int64_t dims[2] = {2, 3}, unknown[2] = {2, -1};
    tfc_graph *g = new_graph();
    tfc_random_uniform(g, TFC_INT32, dims, 2, 0, 1, 0, "r");
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_INVALID_ARGUMENT);
    GRAPH_ERR_HAS(g, "op 'r' (RandomUniform): dtype must be float32 or float64, got int32");
    tfc_graph_free(g);
    g = new_graph();
    tfc_random_normal(g, TFC_FLOAT, unknown, 2, 0, 1, 0, "r");
    GRAPH_ERR_HAS(g, "op 'r' (RandomStandardNormal): shape must be fully known, got [2,?]");
    tfc_graph_free(g);
    g = new_graph();
    tfc_random_uniform(g, TFC_FLOAT, dims, 2, 1, 0, 0, "r");
    GRAPH_ERR_HAS(g, "r: minval (1) must not exceed maxval (0)");
    tfc_graph_free(g);
    g = new_graph();
    tfc_truncated_normal(g, TFC_FLOAT, dims, 2, 0, -1, 0, "r");
    GRAPH_ERR_HAS(g, "op 'r' (TruncatedNormal): scale must be finite and >= 0");
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"uniform", test_uniform},
        {"normal", test_normal},
        {"truncated_normal", test_truncated_normal},
        {"glorot", test_glorot},
        {"reproducible", test_reproducible},
        {"graph_seed", test_graph_seed},
        {"errors", test_errors},
        {NULL, NULL},
    };
    return tfct_main("test_random", cases);
}
