/* Small float32 GEMM: C tiles of MR rows x NV vectors held in registers (GCC
 * vector extensions), fed by broadcasts of op(A) and vector rows of op(B).
 * op(B) is read in place when its rows are contiguous; a transposed B, and
 * the ragged last column panel, are packed into zero-padded panels first.
 * Each instruction-set level (AVX-512, AVX2+FMA, baseline) gets its own
 * vector width and tile shape, compiled with target attributes and chosen at
 * run time from the CPU. */
#include "small_gemm.h"

#include <string.h>

/* The vector helpers are always inlined into functions built for their
 * width, so the compilers' note about passing vectors without AVX does not
 * apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__GNUC__) && !defined(__clang__)
/* -std=c11 turns off GCC's a*b+c contraction, which the tiles need to become
 * FMA instructions (clang contracts within an expression by default). */
#pragma GCC optimize("fp-contract=fast")
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(TFC_NO_CLONES)
#define SG_X86 1
#define SG_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,popcnt")))
#define SG_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,bmi,bmi2,popcnt")))
#endif

#define AI static inline __attribute__((always_inline))

/* Vector types of each level: a type wider than the level's registers is
 * split through memory by GCC, so each level keeps to its own width. */
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef float v4 __attribute__((vector_size(16), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* Two-vector shuffle with constant indices (GCC before 12 lacks clang's builtin). */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SG_SHUFFLE8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) __builtin_shufflevector(a, b, i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define SG_SHUFFLE8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) __builtin_shuffle(a, b, (v8i){i0, i1, i2, i3, i4, i5, i6, i7})
#endif

/* Tile shapes (rows x vectors): accumulators take about 3/4 of the vector
 * registers (AVX-512 24 of 32, AVX2 12 of 16, SSE 8 of 16), leaving room for
 * op(B)'s row and the broadcast. On AVX-512, 12x2 was a few percent ahead of
 * 8x2 and 10x2 and 15-30% ahead of 14x1 and 6x4 over the census and
 * Fashion-MNIST shapes; on AVX2, 6x2 and 4x3 were alike. */
#define MR512 12
#define NV512 2
#define MR256 6
#define NV256 2
#define MRBASE 4
#define NVBASE 2
enum { MAX_MR = 12, MAX_NV = 2, MAX_NR = 32 /* widest panel, floats */, PAD = 16 /* ragged panels pad to this */ };

/* C[MR][ncols] = sum_p op(A)(r,p) * b[p*bs + col]; b holds NV*W readable
 * floats per p. a is op(A)'s first row of the tile: A stored [k][m] when TA
 * (rows of the tile adjacent), else [m][k]. One definition per vector type. */
#define SG_DEFINE_TILE(NAME, VT, W)                                                                                \
    AI VT NAME##_ld(const float *p)                                                                                \
    {                                                                                                              \
        VT v;                                                                                                      \
        memcpy(&v, p, sizeof v);                                                                                   \
        return v;                                                                                                  \
    }                                                                                                              \
    AI void NAME##_st(float *p, const VT *v) { memcpy(p, v, sizeof *v); }                                          \
    AI void NAME(const int MR, const int NV, const bool TA, int64_t k, const float *a, int64_t lda,               \
                 const float *b, int64_t bs, float *c, int64_t ldc, int64_t ncols)                                 \
    {                                                                                                              \
        VT acc[MAX_MR][MAX_NV];                                                                                    \
        for (int r = 0; r < MR; r++)                                                                               \
            for (int v = 0; v < NV; v++) acc[r][v] = (VT){0};                                                      \
        const float *ar[MAX_MR];                                                                                   \
        for (int r = 0; r < MR; r++) ar[r] = TA ? a + r : a + r * lda;                                             \
        int64_t as = TA ? lda : 1;                                                                                 \
        _Pragma("GCC unroll 2") for (int64_t p = 0; p < k; p++)                                                    \
        {                                                                                                          \
            VT bv[MAX_NV];                                                                                         \
            for (int v = 0; v < NV; v++) bv[v] = NAME##_ld(b + p * bs + v * (W));                                 \
            for (int r = 0; r < MR; r++) {                                                                         \
                float x = ar[r][p * as];                                                                           \
                for (int v = 0; v < NV; v++) acc[r][v] += x * bv[v];                                               \
            }                                                                                                      \
        }                                                                                                          \
        if (ncols == NV * (W)) {                                                                                   \
            for (int r = 0; r < MR; r++)                                                                           \
                for (int v = 0; v < NV; v++) {                                                                     \
                    VT x_ = acc[r][v];                                                                             \
                    NAME##_st(c + r * ldc + v * (W), &x_);                                                         \
                }                                                                                                  \
        } else { /* through a buffer: the accumulators must not have their address taken */                        \
            for (int r = 0; r < MR; r++) {                                                                         \
                float t[MAX_NV * (W)];                                                                             \
                for (int v = 0; v < NV; v++) {                                                                     \
                    VT x_ = acc[r][v];                                                                             \
                    NAME##_st(t + v * (W), &x_);                                                                   \
                }                                                                                                  \
                memcpy(c + r * ldc, t, (size_t)ncols * sizeof(float));                                             \
            }                                                                                                      \
        }                                                                                                          \
    }
SG_DEFINE_TILE(tile16, v16, 16)
SG_DEFINE_TILE(tile8, v8, 8)
SG_DEFINE_TILE(tile4, v4, 4)

typedef struct sg_job {
    bool ta, tb;
    int64_t m, n, k, lda, ldb;
    const float *A, *B;
    float *pk; /* packed panels: all of them when tb, else the ragged last one */
    float *C;
    int isa, w, mr, nv;       /* the level's vector width, tile rows, vectors per panel */
    int64_t rowtiles, panels;
    bool by_rows; /* work items are row tiles, else panels */
} sg_job;

static void level_shape(sg_job *j)
{
    switch (j->isa) {
    case TFCI_SGEMM_ISA_AVX512: j->w = 16, j->mr = MR512, j->nv = NV512; break;
    case TFCI_SGEMM_ISA_AVX2: j->w = 8, j->mr = MR256, j->nv = NV256; break;
    default: j->w = 4, j->mr = MRBASE, j->nv = NVBASE; break;
    }
}

/* One tile with the level's vector type, A's layout as a constant. */
#define SG_TILE_T(MR, NV, TA)                                                                                      \
    do {                                                                                                           \
        const float *a_ = TA ? a + r0 : a + r0 * lda;                                                              \
        if (W == 16) tile16(MR, NV, TA, k, a_, lda, b, bs, c + r0 * n, n, ncols);                                  \
        else if (W == 8) tile8(MR, NV, TA, k, a_, lda, b, bs, c + r0 * n, n, ncols);                               \
        else tile4(MR, NV, TA, k, a_, lda, b, bs, c + r0 * n, n, ncols);                                           \
    } while (0)
#define SG_TILE(MR, NV)                                                                                            \
    do {                                                                                                           \
        if (j->ta) SG_TILE_T(MR, NV, true);                                                                        \
        else SG_TILE_T(MR, NV, false);                                                                             \
    } while (0)

/* A row tile of rows rows (<= MRX) by NV vectors: the full height in one
 * tile, a shorter one in tiles of 8, 4, 2, 1 rows; transposed A or not. */
#define SG_TILES(MRX, NV)                                                                                          \
    do {                                                                                                           \
        int64_t r0 = 0;                                                                                            \
        if (rows == (MRX)) {                                                                                       \
            SG_TILE(MRX, NV);                                                                                      \
            r0 = (MRX);                                                                                            \
        }                                                                                                          \
        if ((MRX) > 8 && rows - r0 >= 8) {                                                                         \
            SG_TILE(8, NV);                                                                                        \
            r0 += 8;                                                                                               \
        }                                                                                                          \
        if ((MRX) > 4 && rows - r0 >= 4) {                                                                         \
            SG_TILE(4, NV);                                                                                        \
            r0 += 4;                                                                                               \
        }                                                                                                          \
        if ((MRX) > 2 && rows - r0 >= 2) {                                                                         \
            SG_TILE(2, NV);                                                                                        \
            r0 += 2;                                                                                               \
        }                                                                                                          \
        if ((MRX) > 1 && rows - r0 >= 1) {                                                                         \
            SG_TILE(1, NV);                                                                                        \
            r0 += 1;                                                                                               \
        }                                                                                                          \
    } while (0)

AI v8 ld8(const float *p)
{
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* dst[c*ldd + r] = src[r*lds + c] for an 8x8 block: unpacks, then pairs of
 * 64-bit lanes, then 128-bit halves (shuffle patterns AVX has single
 * instructions for). */
AI void transpose8(const float *src, int64_t lds, float *dst, int64_t ldd)
{
    v8 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++) r[i] = ld8(src + i * lds);
    for (int i = 0; i < 8; i += 2) {
        t[i] = SG_SHUFFLE8(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = SG_SHUFFLE8(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; h++) {
            u[i + h] = SG_SHUFFLE8(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + h + 2] = SG_SHUFFLE8(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    /* u[0..3] hold columns 0,2,1,3 of rows 0-3 in their low halves and
     * columns 4,6,5,7 in their high halves; u[4..7] the same of rows 4-7 */
    static const int col[4] = {0, 2, 1, 3};
    for (int i = 0; i < 4; i++) {
        v8 lo = SG_SHUFFLE8(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        v8 hi = SG_SHUFFLE8(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
        memcpy(dst + col[i] * ldd, &lo, sizeof lo);
        memcpy(dst + (col[i] + 4) * ldd, &hi, sizeof hi);
    }
}

/* Panel j0 of a transposed B (stored [n][k]) into pk + j0*k as [k][width],
 * the width padded to a multiple of W with zeros (the padding lanes are never
 * stored, zeros just keep denormal garbage out of them): 8x8 blocks through
 * registers, the ragged edges (last rows of op(B), last columns) one float at
 * a time. */
AI void pack_panel_t(const sg_job *j, int64_t j0, const int W, const int NVX)
{
    int64_t n = j->n, k = j->k, nr = (int64_t)NVX * W, ldb = j->ldb;
    int64_t w = n - j0 < nr ? n - j0 : nr, pw = (w + W - 1) / W * W;
    float *dst = j->pk + j0 * k;
    int64_t w8 = w & ~(int64_t)7, k8 = k & ~(int64_t)7;
    for (int64_t jj = 0; jj < w8; jj += 8) {
        const float *src = j->B + (j0 + jj) * ldb;
        for (int64_t p = 0; p < k8; p += 8) transpose8(src + p, ldb, dst + p * pw + jj, pw);
        for (int64_t p = k8; p < k; p++)
            for (int t = 0; t < 8; t++) dst[p * pw + jj + t] = src[t * ldb + p];
    }
    for (int64_t p = 0; p < k; p++) {
        for (int64_t jj = w8; jj < w; jj++) dst[p * pw + jj] = j->B[(j0 + jj) * ldb + p];
        for (int64_t jj = w; jj < pw; jj++) dst[p * pw + jj] = 0;
    }
}

/* What must be packed before the work is split: a ragged last panel of B
 * in place (n not a multiple of W) into pk as [k][width padded to W]; the
 * panels of a transposed B when the work items are row tiles (which each
 * read every panel; items that are panels pack their own). */
AI void pack(const sg_job *j, const int W, const int NVX)
{
    int64_t n = j->n, k = j->k, nr = (int64_t)NVX * W, ldb = j->ldb;
    if (j->tb) {
        if (j->by_rows)
            for (int64_t j0 = 0; j0 < n; j0 += nr) pack_panel_t(j, j0, W, NVX);
        return;
    }
    int64_t j0 = (n - 1) / nr * nr, w = n - j0, pw = (w + W - 1) / W * W;
    if (w % W == 0) return; /* read in place */
    for (int64_t p = 0; p < k; p++) {
        memcpy(j->pk + p * pw, j->B + p * ldb + j0, (size_t)w * sizeof(float));
        memset(j->pk + p * pw + w, 0, (size_t)(pw - w) * sizeof(float));
    }
}

/* Row tiles [t0, t1) against panels [q0, q1) of op(B), panel by panel so
 * that one panel stays in cache while the row tiles pass over it. */
AI void run_block(const sg_job *j, int64_t t0, int64_t t1, int64_t q0, int64_t q1, const int W, const int MRX,
                  const int NVX)
{
    int64_t m = j->m, n = j->n, k = j->k, lda = j->lda;
    for (int64_t q = q0; q < q1; q++) {
        int64_t j0 = q * (NVX * W);
        if (j->tb && !j->by_rows) pack_panel_t(j, j0, W, NVX);
        int64_t ncols = n - j0 < NVX * W ? n - j0 : NVX * W;
        int nv = (int)((ncols + W - 1) / W);
        const float *b;
        int64_t bs;
        if (j->tb) b = j->pk + j0 * k, bs = nv * W;
        else if (ncols % W == 0) b = j->B + j0, bs = j->ldb;
        else b = j->pk, bs = nv * W;
        for (int64_t t = t0; t < t1; t++) {
            int64_t i0 = t * MRX;
            const float *a = j->ta ? j->A + i0 : j->A + i0 * lda;
            float *c = j->C + i0 * n + j0;
            int64_t rows = m - i0 < MRX ? m - i0 : MRX;
            if (nv == NVX) SG_TILES(MRX, NVX);
            else if (NVX > 1 && nv == 1) SG_TILES(MRX, 1);
        }
    }
}

/* Work items [u0, u1): row tiles (each with every panel) when the job is split
 * by rows, else panels (each with every row tile). Threads then write apart
 * in C, not into the same cache lines of every row. */
AI void run_units(const sg_job *j, int64_t u0, int64_t u1, const int W, const int MRX, const int NVX)
{
    if (j->by_rows) run_block(j, u0, u1, 0, j->panels, W, MRX, NVX);
    else run_block(j, 0, j->rowtiles, u0, u1, W, MRX, NVX);
}

static void run_base(const sg_job *j, int64_t u0, int64_t u1) { run_units(j, u0, u1, 4, MRBASE, NVBASE); }
static void pack_base(const sg_job *j) { pack(j, 4, NVBASE); }
#ifdef SG_X86
SG_TARGET_AVX2 static void run_avx2(const sg_job *j, int64_t u0, int64_t u1) { run_units(j, u0, u1, 8, MR256, NV256); }
SG_TARGET_AVX2 static void pack_avx2(const sg_job *j) { pack(j, 8, NV256); }
SG_TARGET_AVX512 static void run_avx512(const sg_job *j, int64_t u0, int64_t u1)
{
    run_units(j, u0, u1, 16, MR512, NV512);
}
SG_TARGET_AVX512 static void pack_avx512(const sg_job *j) { pack(j, 16, NV512); }
#endif

static void sg_range(void *arg, int64_t u0, int64_t u1)
{
    const sg_job *j = arg;
#ifdef SG_X86
    if (j->isa == TFCI_SGEMM_ISA_AVX512) run_avx512(j, u0, u1);
    else if (j->isa == TFCI_SGEMM_ISA_AVX2) run_avx2(j, u0, u1);
    else
#endif
        run_base(j, u0, u1);
}

int tfci_sgemm_small_isa(void)
{
#ifdef SG_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
        return TFCI_SGEMM_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return TFCI_SGEMM_ISA_AVX2;
#endif
    return TFCI_SGEMM_ISA_BASE;
}

size_t tfci_sgemm_small_scratch(bool ta, bool tb, int64_t m, int64_t n, int64_t k)
{
    (void)ta, (void)m;
    /* enough for every level: panels are multiples of the vector width, which divides PAD */
    if (tb) return (size_t)(k * ((n + PAD - 1) / PAD * PAD));
    return n % PAD ? (size_t)(k * MAX_NR) : 0;
}

/* Multiply-adds from which two threads beat one (bench_small_gemm: 64x64x64
 * 2.5 -> 1.9 us, 40x100x71 3.5 -> 2.5 us; below ~2^17 the hand-off eats the
 * gain, and a busy second core makes it a loss). */
#define SG_PAR_MIN (1 << 18)

void tfci_sgemm_small_at(int isa, tfci_pool *pool, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                         const float *A, const float *B, float *C, float *scratch)
{
    int best = tfci_sgemm_small_isa();
    if (isa > best) isa = best;
    if (isa < TFCI_SGEMM_ISA_BASE) isa = TFCI_SGEMM_ISA_BASE;
    sg_job j = {ta, tb, m, n, k, ta ? m : k, tb ? k : n, A, B, scratch, C, isa, 0, 0, 0, 0, 0, false};
    level_shape(&j);
    j.rowtiles = (m + j.mr - 1) / j.mr;
    j.panels = (n + j.nv * j.w - 1) / (j.nv * j.w);
    /* split by rows when there are enough row tiles (threads then write apart
     * in C); a transposed B by panels, each packed by the thread that uses it */
    int threads = tfci_pool_size(pool);
    j.by_rows = tb ? j.panels < threads : j.rowtiles >= threads || j.rowtiles >= j.panels;
#ifdef SG_X86
    if (isa == TFCI_SGEMM_ISA_AVX512) pack_avx512(&j);
    else if (isa == TFCI_SGEMM_ISA_AVX2) pack_avx2(&j);
    else
#endif
        pack_base(&j);
    tfci_parallel_for(pool, j.by_rows ? j.rowtiles : j.panels, 1, sg_range, &j);
}

void tfci_sgemm_small(tfci_pool *pool, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *A,
                      const float *B, float *C, float *scratch)
{
    if (m * n < SG_PAR_MIN / k) pool = NULL; /* m*n*k < SG_PAR_MIN without overflow */
    tfci_sgemm_small_at(TFCI_SGEMM_ISA_AVX512, pool, ta, tb, m, n, k, A, B, C, scratch);
}

/* Measured with bench_small_gemm against OpenBLAS 0.3.21 (its Haswell
 * kernels) on one thread and split over two: the AVX-512 tiles are 1.3-2x
 * faster from the smallest products up to 1024x1024x512, and lose where k or
 * C outgrow the caches (k = 2048-4096, C of 2048x2048), which they do not
 * block for. The AVX2 tiles reach 75-80% of OpenBLAS's AVX2 kernel there, so
 * OpenBLAS keeps those CPUs. */
bool tfci_sgemm_small_wins(bool ta, bool tb, int64_t m, int64_t n, int64_t k)
{
    (void)ta, (void)tb;
    if (tfci_sgemm_small_isa() < TFCI_SGEMM_ISA_AVX512) return false;
    if (m <= 0 || n <= 0 || k <= 0 || k > 1024 || m > (1 << 20) / n) return false; /* m*n <= 2^20 */
    return m * n * k <= ((int64_t)1 << 29);
}
