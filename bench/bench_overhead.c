/* Engine overhead: the cost of one tfc_session_run on a 10-op graph of tiny
 * tensors, and MatMul throughput through a session against calling
 * cblas_sgemm directly on the same shapes (the ratio is our overhead).
 *   bench_overhead [--threads N] */
#include <cblas.h>
#include <string.h>

#include "bench_util.h"
#include "tfc/tfc.h"

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        if ((call) != TFC_OK) {                                                                                    \
            fprintf(stderr, "error: %s\n", tfc_last_error());                                                      \
            return 1;                                                                                              \
        }                                                                                                          \
    } while (0)

static int run_overhead(int threads)
{
    tfc_graph *g;
    CHECK(tfc_graph_new(&g));
    int64_t d[1] = {4};
    float v[4] = {1, 2, 3, 4};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, d, 1, "x");
    tfc_output c = tfc_const_array(g, TFC_FLOAT, d, 1, v, "c");
    /* 10 ops: placeholder, const, and 8 element-wise ops */
    tfc_output y = tfc_add(g, x, c, NULL);
    y = tfc_mul(g, y, c, NULL);
    y = tfc_sub(g, y, x, NULL);
    y = tfc_relu(g, y, NULL);
    y = tfc_square(g, y, NULL);
    y = tfc_add(g, y, c, NULL);
    y = tfc_neg(g, y, NULL);
    y = tfc_abs(g, y, NULL);
    if (tfc_graph_status(g)) {
        fprintf(stderr, "error: %s\n", tfc_graph_error_message(g));
        return 1;
    }
    tfc_session *s;
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = threads;
    CHECK(tfc_session_new(g, &so, &s));
    tfc_tensor *xv;
    CHECK(tfc_tensor_new(TFC_FLOAT, d, 1, v, sizeof v, &xv));
    enum { N = 200000, ROUNDS = 7 };
    double per[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now();
        for (int i = 0; i < N; i++) {
            tfc_tensor *out;
            if (tfc_session_run(s, &x, &xv, 1, &y, &out, 1, NULL, 0)) {
                fprintf(stderr, "error: %s\n", tfc_last_error());
                return 1;
            }
            tfc_tensor_free(out);
        }
        per[r] = (bench_now() - t0) / N * 1e6;
    }
    double med = bench_median(per, ROUNDS);
    printf("session run, 10-op graph of [4] tensors (feed 1, fetch 1): %.3f us per run (median of %d x %d)\n", med,
           ROUNDS, N);
    BENCH_RESULT("session_run_10op_us", med, "us");
    tfc_tensor_free(xv);
    tfc_session_free(s);
    tfc_graph_free(g);
    return 0;
}

static int run_matmul(int threads, int m, int k, int n)
{
    tfc_graph *g;
    CHECK(tfc_graph_new(&g));
    int64_t ad[2] = {m, k}, bd[2] = {k, n};
    tfc_output a = tfc_placeholder(g, TFC_FLOAT, ad, 2, "a");
    tfc_output b = tfc_placeholder(g, TFC_FLOAT, bd, 2, "b");
    tfc_output c = tfc_matmul(g, a, b, false, false, "c");
    if (tfc_graph_status(g)) {
        fprintf(stderr, "error: %s\n", tfc_graph_error_message(g));
        return 1;
    }
    tfc_session *s;
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = threads;
    CHECK(tfc_session_new(g, &so, &s));
    tfc_tensor *av, *bv;
    CHECK(tfc_tensor_new(TFC_FLOAT, ad, 2, NULL, 0, &av));
    CHECK(tfc_tensor_new(TFC_FLOAT, bd, 2, NULL, 0, &bv));
    float *ap = tfc_tensor_data(av), *bp = tfc_tensor_data(bv);
    for (int i = 0; i < m * k; i++) ap[i] = (float)((i * 7) % 13) / 13.0f;
    for (int i = 0; i < k * n; i++) bp[i] = (float)((i * 5) % 11) / 11.0f;
    float *cp = malloc((size_t)m * n * sizeof(float));
    double flops = 2.0 * m * n * k;
    int reps = (int)(2e9 / flops) + 1;
    if (reps > 200000) reps = 200000;
    tfc_output feeds[2] = {a, b};
    tfc_tensor *vals[2] = {av, bv};
    enum { ROUNDS = 5 };
    double tt[ROUNDS], tb[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now();
        for (int i = 0; i < reps; i++) {
            tfc_tensor *out;
            if (tfc_session_run(s, feeds, vals, 2, &c, &out, 1, NULL, 0)) {
                fprintf(stderr, "error: %s\n", tfc_last_error());
                return 1;
            }
            tfc_tensor_free(out);
        }
        tt[r] = (bench_now() - t0) / reps;
        t0 = bench_now();
        for (int i = 0; i < reps; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, ap, k, bp, n, 0.0f, cp, n);
        tb[r] = (bench_now() - t0) / reps;
    }
    double mt = bench_median(tt, ROUNDS), mb = bench_median(tb, ROUNDS);
    printf("matmul [%d,%d]x[%d,%d], %d thread%s: tfc %.2f GFLOP/s (%.2f us), cblas_sgemm (1 thread) %.2f GFLOP/s "
           "(%.2f us), time ratio %.2f\n",
           m, k, k, n, threads, threads > 1 ? "s" : "", flops / mt * 1e-9, mt * 1e6, flops / mb * 1e-9, mb * 1e6,
           mt / mb);
    char name[64];
    snprintf(name, sizeof name, "matmul_%dx%dx%d_t%d_ratio", m, k, n, threads);
    BENCH_RESULT(name, mt / mb, "x");
    free(cp);
    tfc_tensor_free(av);
    tfc_tensor_free(bv);
    tfc_session_free(s);
    tfc_graph_free(g);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 2;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    printf("recipe: tfc_session_run on fixed graphs, %d threads, medians of repeated rounds\n", threads);
    if (run_overhead(threads)) return 1;
    /* one thread: the ratio is tfc's overhead over the BLAS call; then the
     * session's threads, which tfc splits products across itself */
    static const int shapes[][3] = {{1, 784, 256}, {100, 784, 10}, {100, 784, 256}, {256, 256, 256}, {1024, 1024, 1024}};
    for (int t = 1; t <= threads; t += threads > 1 ? threads - 1 : 1)
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            if (run_matmul(t, shapes[i][0], shapes[i][1], shapes[i][2])) return 1;
    return 0;
}
