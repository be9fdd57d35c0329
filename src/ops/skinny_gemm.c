/* Skinny float32 GEMM: register-blocked loops written with GCC vector
 * extensions, compiled for AVX2/AVX-512 and baseline x86-64 (dispatched at
 * load time by the dynamic linker), plain vectors elsewhere. */
#include "skinny_gemm.h"

#include <string.h>

/* The vector helpers below are always inlined into the per-ISA clones, so the
 * ABI note GCC gives about passing vectors without AVX does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8sf __attribute__((vector_size(32), aligned(4)));

#define TFCI_CLONES TFCI_SIMD_CLONES

static inline __attribute__((always_inline)) v8sf load8(const float *p)
{
    v8sf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) float hsum8(v8sf v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/* Dot form: C[i,j] = sum_p A[i,p] * Bt[j,p], rows of A and Bt contiguous in p.
 * Blocks of 2 rows x 4 columns; indices past the edge are clamped (computed
 * twice, stored once) so every block runs the same unrolled code. */
TFCI_CLONES
static void dot_form(int64_t m, int64_t n, int64_t k, const float *A, const float *Bt, float *C, int64_t ib,
                     int64_t ie)
{
    int64_t k8 = k & ~(int64_t)7;
    for (int64_t i0 = ib; i0 < ie; i0 += 2) {
        const float *a0 = A + i0 * k, *a1 = A + (i0 + 1 < ie ? i0 + 1 : i0) * k;
        for (int64_t j0 = 0; j0 < n; j0 += 4) {
            const float *b[4];
            for (int q = 0; q < 4; q++) b[q] = Bt + (j0 + q < n ? j0 + q : n - 1) * k;
            v8sf s00 = {0}, s01 = {0}, s02 = {0}, s03 = {0}, s10 = {0}, s11 = {0}, s12 = {0}, s13 = {0};
            for (int64_t p = 0; p < k8; p += 8) {
                v8sf x0 = load8(a0 + p), x1 = load8(a1 + p);
                v8sf y0 = load8(b[0] + p), y1 = load8(b[1] + p), y2 = load8(b[2] + p), y3 = load8(b[3] + p);
                s00 += x0 * y0, s01 += x0 * y1, s02 += x0 * y2, s03 += x0 * y3;
                s10 += x1 * y0, s11 += x1 * y1, s12 += x1 * y2, s13 += x1 * y3;
            }
            float r[2][4] = {{hsum8(s00), hsum8(s01), hsum8(s02), hsum8(s03)},
                             {hsum8(s10), hsum8(s11), hsum8(s12), hsum8(s13)}};
            for (int64_t p = k8; p < k; p++)
                for (int q = 0; q < 4; q++) {
                    r[0][q] += a0[p] * b[q][p];
                    r[1][q] += a1[p] * b[q][p];
                }
            for (int q = 0; q < 4 && j0 + q < n; q++) {
                C[i0 * n + j0 + q] = r[0][q];
                if (i0 + 1 < ie) C[(i0 + 1) * n + j0 + q] = r[1][q];
            }
        }
    }
}

/* Axpy form for a transposed A (stored [k][m]): for 16 consecutive i and 4
 * columns, C[i,j] += A[p,i] * B(p,j) over p, vectorized over i. */
TFCI_CLONES
static void axpy_form(bool tb, int64_t m, int64_t n, int64_t k, const float *A, const float *B, float *C, int64_t ib,
                      int64_t ie)
{
    int64_t sbp = tb ? 1 : n, sbj = tb ? k : 1;
    int64_t m16 = ib + ((ie - ib) & ~(int64_t)15);
    for (int64_t i0 = ib; i0 < m16; i0 += 16) {
        for (int64_t j0 = 0; j0 < n; j0 += 4) {
            int64_t jj[4];
            for (int q = 0; q < 4; q++) jj[q] = (j0 + q < n ? j0 + q : n - 1) * sbj;
            v8sf s00 = {0}, s01 = {0}, s02 = {0}, s03 = {0}, s10 = {0}, s11 = {0}, s12 = {0}, s13 = {0};
            for (int64_t p = 0; p < k; p++) {
                const float *ap = A + p * m + i0, *bp = B + p * sbp;
                v8sf x0 = load8(ap), x1 = load8(ap + 8);
                float y0 = bp[jj[0]], y1 = bp[jj[1]], y2 = bp[jj[2]], y3 = bp[jj[3]];
                s00 += x0 * y0, s01 += x0 * y1, s02 += x0 * y2, s03 += x0 * y3;
                s10 += x1 * y0, s11 += x1 * y1, s12 += x1 * y2, s13 += x1 * y3;
            }
            v8sf lo[4] = {s00, s01, s02, s03}, hi[4] = {s10, s11, s12, s13};
            for (int q = 0; q < 4 && j0 + q < n; q++)
                for (int l = 0; l < 8; l++) {
                    C[(i0 + l) * n + j0 + q] = lo[q][l];
                    C[(i0 + 8 + l) * n + j0 + q] = hi[q][l];
                }
        }
    }
    for (int64_t i = m16; i < ie; i++)
        for (int64_t j = 0; j < n; j++) {
            float s = 0;
            for (int64_t p = 0; p < k; p++) s += A[p * m + i] * B[p * sbp + j * sbj];
            C[i * n + j] = s;
        }
}

typedef struct skinny_job {
    bool ta, tb;
    int64_t m, n, k;
    const float *A, *B;
    float *C;
} skinny_job;

/* Work items are the forms' register blocks of rows of C (2 rows for the dot
 * form, 16 for the axpy form), so thread splits keep the blocking and stay even. */
static int64_t unit_rows(const skinny_job *j) { return j->ta ? 16 : 2; }

static void skinny_range(void *arg, int64_t b, int64_t e)
{
    const skinny_job *j = arg;
    int64_t u = unit_rows(j);
    int64_t ib = b * u, ie = e * u < j->m ? e * u : j->m;
    if (j->ta) axpy_form(j->tb, j->m, j->n, j->k, j->A, j->B, j->C, ib, ie);
    else dot_form(j->m, j->n, j->k, j->A, j->B, j->C, ib, ie);
}

/* B [k][n] to [n][k] in tiles, so both sides stay in cache lines. */
static void transpose_b(int64_t k, int64_t n, const float *B, float *Bt)
{
    for (int64_t p0 = 0; p0 < k; p0 += 64) {
        int64_t p1 = p0 + 64 < k ? p0 + 64 : k;
        for (int64_t j = 0; j < n; j++)
            for (int64_t p = p0; p < p1; p++) Bt[j * k + p] = B[p * n + j];
    }
}

void tfci_sgemm_skinny(tfci_pool *pool, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *A,
                       const float *B, float *C, float *scratch)
{
    const float *Bt = B;
    if (!ta && !tb) { /* B is [k][n]: transpose to [n][k] so columns are contiguous */
        transpose_b(k, n, B, scratch);
        Bt = scratch;
    }
    skinny_job job = {ta, tb, m, n, k, A, Bt, C};
    /* about 64k multiply-adds per thread before splitting pays for the hand-off */
    int64_t u = unit_rows(&job), units = (m + u - 1) / u, per_unit = u * n * k;
    int64_t grain = per_unit >= 65536 ? 1 : 65536 / (per_unit ? per_unit : 1);
    tfci_parallel_for(pool, units, grain, skinny_range, &job);
}
