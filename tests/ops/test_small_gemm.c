/* The small float32 GEMM (src/ops/small_gemm.c): every instruction-set level
 * this CPU runs (the baseline one included, which the sanitizer build also
 * gets), all four transpose modes, edge sizes that are not multiples of the
 * tile, one thread and a pool of two, against double-precision products; and
 * MatMul through sessions at the census and Fashion-MNIST layer shapes that
 * k_matmul sends to it. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "ops/small_gemm.h"
#include "testutil.h"

#define GUARD 64 /* floats after C and the scratch that must stay untouched */
#define GUARD_VALUE 12345.5f

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 33;
}

/* Small integers (exact float products and sums for k up to thousands) or
 * reals in [-1, 1). */
static void fill(float *x, int64_t n, bool integers)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = integers ? (float)((int)(rnd() % 9) - 4) : (float)((double)(rnd() % 2000000) / 1e6 - 1.0);
}

typedef struct product {
    int64_t m, n, k;
    float *a, *b, *at, *bt; /* op(A) [m][k] as a and as at = its transpose [k][m]; b, bt alike */
    double *want, *bound;   /* exact product and sum of |a||b| per element */
} product;

static void product_init(product *p, int64_t m, int64_t n, int64_t k, bool integers)
{
    p->m = m, p->n = n, p->k = k;
    p->a = malloc(sizeof(float) * (size_t)(m * k));
    p->at = malloc(sizeof(float) * (size_t)(m * k));
    p->b = malloc(sizeof(float) * (size_t)(k * n));
    p->bt = malloc(sizeof(float) * (size_t)(k * n));
    p->want = malloc(sizeof(double) * (size_t)(m * n));
    p->bound = malloc(sizeof(double) * (size_t)(m * n));
    CU_ASSERT_FATAL(p->a && p->at && p->b && p->bt && p->want && p->bound);
    fill(p->a, m * k, integers);
    fill(p->b, k * n, integers);
    for (int64_t i = 0; i < m; i++)
        for (int64_t q = 0; q < k; q++) p->at[q * m + i] = p->a[i * k + q];
    for (int64_t q = 0; q < k; q++)
        for (int64_t j = 0; j < n; j++) p->bt[j * k + q] = p->b[q * n + j];
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0, sa = 0;
            for (int64_t q = 0; q < k; q++) {
                double x = (double)p->a[i * k + q] * p->b[q * n + j];
                s += x, sa += fabs(x);
            }
            p->want[i * n + j] = s;
            p->bound[i * n + j] = sa;
        }
}

static void product_free(product *p)
{
    free(p->a), free(p->at), free(p->b), free(p->bt), free(p->want), free(p->bound);
}

static int failures_reported;

/* Runs one product at one level and checks C: exact for integer inputs, else
 * within float32's error bound for a k-term sum (2 k eps times sum |a b|),
 * and no write past C or the scratch it asked for. */
static void check_product(const product *p, int isa, tfci_pool *pool, bool ta, bool tb, bool exact)
{
    int64_t m = p->m, n = p->n, k = p->k;
    size_t ns = tfci_sgemm_small_scratch(ta, tb, m, n, k);
    float *c = malloc(sizeof(float) * (size_t)(m * n + GUARD));
    float *scratch = malloc(sizeof(float) * (ns + GUARD));
    CU_ASSERT_FATAL(c && scratch);
    for (int64_t i = 0; i < m * n + GUARD; i++) c[i] = NAN;
    for (int64_t i = m * n; i < m * n + GUARD; i++) c[i] = GUARD_VALUE;
    for (size_t i = 0; i < ns + GUARD; i++) scratch[i] = i < ns ? NAN : GUARD_VALUE;
    tfci_sgemm_small_at(isa, pool, ta, tb, m, n, k, ta ? p->at : p->a, tb ? p->bt : p->b, c, scratch);
    int64_t bad = -1;
    for (int64_t i = 0; i < m * n && bad < 0; i++) {
        double tol = exact ? 0 : 2.0 * (double)k * FLT_EPSILON * p->bound[i] + 1e-30;
        if (!(fabs((double)c[i] - p->want[i]) <= tol)) bad = i;
    }
    bool guards = true;
    for (int i = 0; i < GUARD; i++) guards = guards && c[m * n + i] == GUARD_VALUE && scratch[ns + i] == GUARD_VALUE;
    if ((bad >= 0 || !guards) && failures_reported++ < 10)
        fprintf(stderr, "\nisa %d %s m=%lld n=%lld k=%lld t%c%c: %s C[%lld,%lld] = %.9g, want %.9g\n", isa,
                pool ? "pool" : "serial", (long long)m, (long long)n, (long long)k, ta ? 'T' : 'N', tb ? 'T' : 'N',
                guards ? "" : "guard overwritten;", (long long)(bad < 0 ? 0 : bad / n),
                (long long)(bad < 0 ? 0 : bad % n), bad < 0 ? 0.0 : c[bad], bad < 0 ? 0.0 : p->want[bad]);
    CU_ASSERT_EQUAL(bad, -1);
    CU_ASSERT_TRUE(guards);
    free(c);
    free(scratch);
}

/* Every level up to the CPU's, every mode, one thread and two. */
static void check_all(const product *p, tfci_pool *pool, bool exact)
{
    for (int isa = TFCI_SGEMM_ISA_BASE; isa <= tfci_sgemm_small_isa(); isa++)
        for (int mode = 0; mode < 4; mode++) {
            check_product(p, isa, NULL, mode & 1, mode & 2, exact);
            check_product(p, isa, pool, mode & 1, mode & 2, exact);
        }
}

/* Every m and n from 1 to 35 (all tile remainders of every level: tiles are
 * 2, 6 or 12 rows and 16 or 32 columns) with a k that varies, exactly. */
static void test_edges_exact(void)
{
    static const int64_t ks[] = {1, 2, 3, 5, 8, 16, 17, 31, 40};
    tfci_pool *pool = tfci_pool_new(2);
    rng_state = 1;
    for (int64_t m = 1; m <= 35; m++)
        for (int64_t n = 1; n <= 35; n++) {
            product p;
            product_init(&p, m, n, ks[(m * 7 + n * 3) % 9], true);
            check_all(&p, pool, true);
            product_free(&p);
        }
    tfci_pool_free(pool);
}

/* Layer-sized and odd sizes up to 300, exactly, big enough to be split
 * across the pool's threads. */
static void test_sizes_exact(void)
{
    static const int64_t shapes[][3] = {
        {40, 100, 71},  {40, 70, 100},  {40, 49, 70},   {40, 34, 49},   {40, 71, 100},  {71, 100, 40},
        {256, 100, 71}, {256, 34, 49},  {49, 34, 256},  {100, 256, 128}, {100, 128, 256}, {256, 128, 100},
        {64, 64, 64},   {65, 63, 129},  {127, 129, 33}, {13, 300, 47},  {300, 13, 200}, {299, 301, 7},
        {200, 200, 200}, {37, 97, 300}, {300, 300, 300}, {1, 300, 300}, {300, 1, 300},  {300, 300, 1},
    };
    tfci_pool *pool = tfci_pool_new(2);
    rng_state = 2;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        product p;
        product_init(&p, shapes[s][0], shapes[s][1], shapes[s][2], true);
        check_all(&p, pool, true);
        product_free(&p);
    }
    tfci_pool_free(pool);
}

/* Real-valued inputs: within float32's error bound of the double product. */
static void test_rounding(void)
{
    static const int64_t shapes[][3] = {{40, 100, 71}, {71, 100, 40}, {33, 47, 300}, {256, 49, 34}, {7, 5, 3}};
    tfci_pool *pool = tfci_pool_new(2);
    rng_state = 3;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        product p;
        product_init(&p, shapes[s][0], shapes[s][1], shapes[s][2], false);
        check_all(&p, pool, false);
        product_free(&p);
    }
    tfci_pool_free(pool);
}

/* Infinities and NaNs reach exactly the outputs whose row and column they
 * are in: the zero padding of packed panels must not leak into real columns. */
static void test_non_finite(void)
{
    product p;
    rng_state = 4;
    product_init(&p, 20, 37, 9, true);
    p.a[3 * 9 + 2] = INFINITY; /* op(A)[3][2] */
    p.b[4 * 37 + 36] = NAN;    /* op(B)[4][36], the ragged last column */
    for (int64_t i = 0; i < 20; i++)
        for (int64_t q = 0; q < 9; q++) p.at[q * 20 + i] = p.a[i * 9 + q];
    for (int64_t q = 0; q < 9; q++)
        for (int64_t j = 0; j < 37; j++) p.bt[j * 9 + q] = p.b[q * 37 + j];
    for (int isa = TFCI_SGEMM_ISA_BASE; isa <= tfci_sgemm_small_isa(); isa++)
        for (int mode = 0; mode < 4; mode++) {
            bool ta = mode & 1, tb = mode & 2;
            float c[20 * 37], scratch[9 * 48 + 64];
            CU_ASSERT_FATAL(tfci_sgemm_small_scratch(ta, tb, 20, 37, 9) <= 9 * 48 + 64);
            tfci_sgemm_small_at(isa, NULL, ta, tb, 20, 37, 9, ta ? p.at : p.a, tb ? p.bt : p.b, c, scratch);
            for (int64_t i = 0; i < 20; i++)
                for (int64_t j = 0; j < 37; j++) {
                    float v = c[i * 37 + j];
                    double inf_term = p.b[2 * 37 + j]; /* multiplies the infinity */
                    bool ok;
                    if (j == 36) ok = isnan(v);
                    else if (i == 3 && inf_term != 0) ok = isinf(v) && (v > 0) == (inf_term > 0);
                    else if (i == 3) ok = isnan(v);
                    else ok = v == p.want[i * 37 + j];
                    CU_ASSERT_TRUE(ok);
                }
        }
    product_free(&p);
}

/* The dispatch predicate: only with the AVX-512 level (the one that beats
 * OpenBLAS), only within the measured range, no overflow. */
static void test_wins(void)
{
    bool fast = tfci_sgemm_small_isa() >= TFCI_SGEMM_ISA_AVX512;
    CU_ASSERT_EQUAL(tfci_sgemm_small_wins(false, false, 40, 100, 71), fast);
    CU_ASSERT_EQUAL(tfci_sgemm_small_wins(true, false, 71, 100, 40), fast);
    CU_ASSERT_EQUAL(tfci_sgemm_small_wins(false, true, 40, 71, 100), fast);
    CU_ASSERT_EQUAL(tfci_sgemm_small_wins(false, false, 100, 256, 784), fast);
    CU_ASSERT_EQUAL(tfci_sgemm_small_wins(false, false, 1024, 1024, 512), fast);
    CU_ASSERT_FALSE(tfci_sgemm_small_wins(false, false, 1024, 1024, 1024)); /* 2^30 multiply-adds */
    CU_ASSERT_FALSE(tfci_sgemm_small_wins(false, false, 100, 1024, 4096)); /* k past the caches */
    CU_ASSERT_FALSE(tfci_sgemm_small_wins(false, false, 2048, 2048, 64));  /* C past the caches */
    CU_ASSERT_FALSE(tfci_sgemm_small_wins(false, false, (int64_t)1 << 40, (int64_t)1 << 40, 8)); /* no overflow */
    CU_ASSERT_FALSE(tfci_sgemm_small_wins(false, false, 0, 5, 5));
    CU_ASSERT_EQUAL(tfci_sgemm_small_scratch(false, false, 40, 96, 71), 0);
    CU_ASSERT_EQUAL(tfci_sgemm_small_scratch(false, false, 40, 100, 71), 71 * 32);
    CU_ASSERT_EQUAL(tfci_sgemm_small_scratch(false, true, 40, 100, 71), 71 * 112);
}

/* MatMul through sessions (1 and 2 threads) at the shapes k_matmul gives this
 * kernel, all modes, exactly against the double product. */
static void test_session_matmul(void)
{
    static const int64_t shapes[][3] = {{40, 100, 71}, {71, 100, 40}, {40, 71, 100}, {256, 70, 100},
                                        {100, 256, 128}, {70, 49, 256}, {3, 17, 5}, {17, 33, 2}, {300, 200, 500}};
    rng_state = 5;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        product p;
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        product_init(&p, m, n, k, true);
        for (int mode = 0; mode < 4; mode++)
            for (int threads = 1; threads <= 2; threads++) {
                bool ta = mode & 1, tb = mode & 2;
                tfc_graph *g = NULL;
                TFCT_OK(tfc_graph_new(&g));
                int64_t unknown[2] = {-1, -1};
                int64_t da[2] = {ta ? k : m, ta ? m : k}, db[2] = {tb ? n : k, tb ? k : n};
                tfc_output feeds[2] = {tfc_placeholder(g, TFC_FLOAT, unknown, 2, "a"),
                                       tfc_placeholder(g, TFC_FLOAT, unknown, 2, "b")};
                tfc_output y = tfc_matmul(g, feeds[0], feeds[1], ta, tb, "c");
                TFCT_GRAPH_OK(g);
                tfc_tensor *vals[2] = {tfct_f32(ta ? p.at : p.a, da, 2), tfct_f32(tb ? p.bt : p.b, db, 2)};
                tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
                o.num_threads = threads;
                tfc_session *sess = NULL;
                TFCT_OK(tfc_session_new(g, &o, &sess));
                for (int rep = 0; rep < 2; rep++) { /* the second run reuses the arena's scratch */
                    tfc_tensor *out = NULL;
                    TFCT_OK(tfc_session_run(sess, feeds, vals, 2, &y, &out, 1, NULL, 0));
                    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dim(out, 0), m);
                    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dim(out, 1), n);
                    const float *c = tfc_tensor_data(out);
                    int64_t bad = -1;
                    for (int64_t i = 0; i < m * n && bad < 0; i++)
                        if (c[i] != p.want[i]) bad = i;
                    if (bad >= 0)
                        fprintf(stderr, "\nsession %d threads m=%lld n=%lld k=%lld t%c%c: C[%lld] = %g, want %g\n",
                                threads, (long long)m, (long long)n, (long long)k, ta ? 'T' : 'N', tb ? 'T' : 'N',
                                (long long)bad, c[bad], p.want[bad]);
                    CU_ASSERT_EQUAL(bad, -1);
                    tfc_tensor_free(out);
                }
                tfc_tensor_free(vals[0]);
                tfc_tensor_free(vals[1]);
                tfc_session_free(sess);
                tfc_graph_free(g);
            }
        product_free(&p);
    }
}

int main(void)
{
    static const tfct_case cases[] = {
        {"edges_exact", test_edges_exact},
        {"sizes_exact", test_sizes_exact},
        {"rounding", test_rounding},
        {"non_finite", test_non_finite},
        {"wins", test_wins},
        {"session_matmul", test_session_matmul},
        {NULL, NULL},
    };
    return tfct_main("test_small_gemm", cases);
}
