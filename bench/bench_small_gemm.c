/* Small float32 products of the canned estimators' dense layers: cblas_sgemm
 * (OpenBLAS, one thread) against tfc's small-GEMM kernel on one thread and on
 * a pool of 2, and a MatMul through a session with 2 threads (what a training
 * step pays, whichever kernel k_matmul picks). Per shape: microseconds per
 * call (minimum over rounds; medians in the RESULT lines) and GFLOP/s.
 *   bench_small_gemm [--rounds N] [--isa 0|1|2] [--filter SUBSTRING] [--shape MxNxK[:NN|NT|TN|TT]]
 * Shapes: census DNN 71-100-70-49-34 at batch 40 and 256 (forward NN, input
 * gradient NT = dY Wt, weight gradient TN = Xt dY), Fashion-MNIST MLP
 * 784-256-128 at batch 100, and squares. */
#include <cblas.h>
#include <string.h>

#include "bench_util.h"
#include "core/core.h"
#include "ops/small_gemm.h"
#include "tfc/tfc.h"

void openblas_set_num_threads(int num_threads);

typedef struct shape {
    const char *name;
    int m, n, k;
    bool ta, tb;
} shape;

static const shape SHAPES[] = {
    {"census40 fwd 71->100", 40, 100, 71, false, false},
    {"census40 fwd 100->70", 40, 70, 100, false, false},
    {"census40 fwd 70->49", 40, 49, 70, false, false},
    {"census40 fwd 49->34", 40, 34, 49, false, false},
    {"census40 dX 100->71", 40, 71, 100, false, true},
    {"census40 dX 70->100", 40, 100, 70, false, true},
    {"census40 dX 49->70", 40, 70, 49, false, true},
    {"census40 dX 34->49", 40, 49, 34, false, true},
    {"census40 dW 71x100", 71, 100, 40, true, false},
    {"census40 dW 100x70", 100, 70, 40, true, false},
    {"census40 dW 70x49", 70, 49, 40, true, false},
    {"census40 dW 49x34", 49, 34, 40, true, false},
    {"census256 fwd 71->100", 256, 100, 71, false, false},
    {"census256 fwd 100->70", 256, 70, 100, false, false},
    {"census256 fwd 70->49", 256, 49, 70, false, false},
    {"census256 fwd 49->34", 256, 34, 49, false, false},
    {"census256 dX 100->71", 256, 71, 100, false, true},
    {"census256 dX 70->100", 256, 100, 70, false, true},
    {"census256 dX 49->70", 256, 70, 49, false, true},
    {"census256 dX 34->49", 256, 49, 34, false, true},
    {"census256 dW 71x100", 71, 100, 256, true, false},
    {"census256 dW 100x70", 100, 70, 256, true, false},
    {"census256 dW 70x49", 70, 49, 256, true, false},
    {"census256 dW 49x34", 49, 34, 256, true, false},
    {"fashion100 fwd 784->256", 100, 256, 784, false, false},
    {"fashion100 fwd 256->128", 100, 128, 256, false, false},
    {"fashion100 dX 128->256", 100, 256, 128, false, true},
    {"fashion100 dW 784x256", 784, 256, 100, true, false},
    {"fashion100 dW 256x128", 256, 128, 100, true, false},
    {"square 64", 64, 64, 64, false, false},
    {"square 128", 128, 128, 128, false, false},
    {"square 256", 256, 256, 256, false, false},
    {"square 512", 512, 512, 512, false, false},
    {"square 128 TT", 128, 128, 128, true, true},
};

enum { MAX_ROUNDS = 201, NCALLS = 4 };

typedef void (*call_fn)(void *ctx);

typedef struct ctx {
    const shape *s;
    const float *a, *b;
    float *c, *scratch;
    tfci_pool *pool;
    int isa;
    tfc_session *sess;
    tfc_output feeds[2], fetch;
    tfc_tensor *vals[2];
} ctx;

static void call_blas(void *p)
{
    ctx *x = p;
    const shape *s = x->s;
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->m, s->n,
                s->k, 1.0f, x->a, s->ta ? s->m : s->k, x->b, s->tb ? s->k : s->n, 0.0f, x->c, s->n);
}

static void call_small(void *p)
{
    ctx *x = p;
    const shape *s = x->s;
    tfci_sgemm_small_at(x->isa, x->pool, s->ta, s->tb, s->m, s->n, s->k, x->a, x->b, x->c, x->scratch);
}

static void call_session(void *p)
{
    ctx *x = p;
    tfc_tensor *out;
    if (tfc_session_run(x->sess, x->feeds, x->vals, 2, &x->fetch, &out, 1, NULL, 0) != TFC_OK) {
        fprintf(stderr, "error: %s\n", tfc_last_error());
        exit(1);
    }
    tfc_tensor_free(out);
}

/* Seconds per call of each of the calls: minimum and median over rounds of
 * about 1 ms each, the calls taking turns round by round so that a busy spell
 * of the machine hits them all alike. */
static void timeit(call_fn *fns, void **ctxs, int rounds, double *best, double *med)
{
    static double per[NCALLS][MAX_ROUNDS];
    int reps[NCALLS];
    for (int f = 0; f < NCALLS; f++) {
        fns[f](ctxs[f]);
        double t0 = bench_now();
        reps[f] = 0;
        while (bench_now() - t0 < 1e-3) fns[f](ctxs[f]), reps[f]++;
    }
    for (int r = 0; r < rounds; r++)
        for (int f = 0; f < NCALLS; f++) {
            double a = bench_now();
            for (int i = 0; i < reps[f]; i++) fns[f](ctxs[f]);
            per[f][r] = (bench_now() - a) / reps[f];
        }
    for (int f = 0; f < NCALLS; f++) {
        med[f] = bench_median(per[f], rounds); /* sorts: per[f][0] is then the minimum */
        best[f] = per[f][0];
    }
}

static float uniform(uint64_t *st)
{
    *st = *st * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(*st >> 40) / (float)(1 << 24) - 0.5f;
}

static int bench_shape(const shape *s, int isa, int rounds, tfci_pool *pool)
{
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    size_t sbytes = tfci_sgemm_small_scratch(s->ta, s->tb, s->m, s->n, s->k) * sizeof(float);
    float *a = malloc(na * sizeof(float)), *b = malloc(nb * sizeof(float)), *c = malloc(nc * sizeof(float));
    float *scratch = aligned_alloc(64, (sbytes / 64 + 1) * 64);
    if (!a || !b || !c || !scratch) {
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    uint64_t st = 12345;
    for (size_t i = 0; i < na; i++) a[i] = uniform(&st);
    for (size_t i = 0; i < nb; i++) b[i] = uniform(&st);

    tfc_graph *g;
    if (tfc_graph_new(&g)) return 1;
    ctx x = {s, a, b, c, scratch, NULL, isa, NULL, {{0}}, {0}, {0}};
    int64_t ad[2] = {s->ta ? s->k : s->m, s->ta ? s->m : s->k}, bd[2] = {s->tb ? s->n : s->k, s->tb ? s->k : s->n};
    x.feeds[0] = tfc_placeholder(g, TFC_FLOAT, ad, 2, "a");
    x.feeds[1] = tfc_placeholder(g, TFC_FLOAT, bd, 2, "b");
    x.fetch = tfc_matmul(g, x.feeds[0], x.feeds[1], s->ta, s->tb, "c");
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = 2;
    if (tfc_graph_status(g) || tfc_session_new(g, &so, &x.sess) ||
        tfc_tensor_new_borrowed(TFC_FLOAT, ad, 2, a, na * sizeof(float), NULL, NULL, &x.vals[0]) ||
        tfc_tensor_new_borrowed(TFC_FLOAT, bd, 2, b, nb * sizeof(float), NULL, NULL, &x.vals[1])) {
        fprintf(stderr, "error: %s\n", tfc_last_error());
        return 1;
    }
    ctx x2 = x;
    x2.pool = pool;
    call_fn fns[NCALLS] = {call_blas, call_small, call_small, call_session};
    void *ctxs[NCALLS] = {&x, &x, &x2, &x};
    double best[NCALLS], med[NCALLS], flop = 2.0 * s->m * s->n * s->k;
    timeit(fns, ctxs, rounds, best, med);

    char op[3] = {s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', 0};
    printf("%-24s %4d %4d %4d %2s |", s->name, s->m, s->n, s->k, op);
    for (int f = 0; f < NCALLS; f++) printf(" %8.2f %6.1f |", best[f] * 1e6, flop / best[f] * 1e-9);
    printf(" %5.2f %5.2f\n", best[0] / best[1], best[0] / best[2]);
    static const char *names[NCALLS] = {"blas", "small", "pool2", "session2"};
    for (int f = 0; f < NCALLS; f++)
        printf("RESULT sgemm_%d_%d_%d_%s_%s_us %.4g us\n", s->m, s->n, s->k, op, names[f], med[f] * 1e6);
    tfc_tensor_free(x.vals[0]);
    tfc_tensor_free(x.vals[1]);
    tfc_session_free(x.sess);
    tfc_graph_free(g);
    free(a), free(b), free(c), free(scratch);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = 31, isa = tfci_sgemm_small_isa();
    const char *filter = NULL;
    shape custom = {"custom", 0, 0, 0, false, false};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--isa")) isa = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--filter")) filter = argv[i + 1];
        else if (!strcmp(argv[i], "--shape")) {
            char op[3] = "NN";
            if (sscanf(argv[i + 1], "%dx%dx%d:%2s", &custom.m, &custom.n, &custom.k, op) < 3 || custom.m < 1 ||
                custom.n < 1 || custom.k < 1) {
                fprintf(stderr, "--shape wants MxNxK[:op], e.g. 40x100x71:NT\n");
                return 2;
            }
            custom.ta = op[0] == 'T', custom.tb = op[1] == 'T';
        }
    }
    if (rounds < 1) rounds = 1;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    if (isa > tfci_sgemm_small_isa()) isa = tfci_sgemm_small_isa();
    if (isa < 0) isa = 0;
    openblas_set_num_threads(1);
    static const char *isa_names[] = {"baseline", "AVX2+FMA", "AVX-512"};
    printf("recipe: C = op(A) op(B), float32 row-major, uniform inputs; cblas_sgemm (OpenBLAS, 1 thread) vs\n"
           "        tfci_sgemm_small (%s) on 1 thread and on a pool of 2, and a session MatMul with 2\n"
           "        threads (feed A and B, fetch C; k_matmul's choice); %d rounds of ~1 ms each, taking turns;\n"
           "        us = minimum per call, x1/x2 = blas time / small time on 1 / 2 threads\n",
           isa_names[isa], rounds);
    printf("%-24s %4s %4s %4s %2s | %8s %6s | %8s %6s | %8s %6s | %8s %6s | %5s %5s\n", "shape", "m", "n", "k", "op",
           "blas us", "GF/s", "small us", "GF/s", "pool2 us", "GF/s", "sess us", "GF/s", "x1", "x2");
    tfci_pool *pool = tfci_pool_new(2);
    int rc = 0;
    if (custom.m) rc = bench_shape(&custom, isa, rounds, pool);
    for (size_t i = 0; !custom.m && !rc && i < sizeof SHAPES / sizeof *SHAPES; i++)
        if (!filter || strstr(SHAPES[i].name, filter)) rc = bench_shape(&SHAPES[i], isa, rounds, pool);
    tfci_pool_free(pool);
    return rc;
}
