/* Float32 GEMM for small products (the dense layers of canned estimators at
 * small batches), where OpenBLAS's packing and setup cost more than the
 * arithmetic: register-blocked tiles over B in place or packed into panels. */
#ifndef TFCI_SMALL_GEMM_H
#define TFCI_SMALL_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* Instruction-set levels of the kernels; tests and benchmarks pick one. */
enum {
    TFCI_SGEMM_ISA_BASE = 0,   /* plain vectors for the build's target (SSE2 on x86-64) */
    TFCI_SGEMM_ISA_AVX2 = 1,   /* AVX2 + FMA (x86-64-v3) */
    TFCI_SGEMM_ISA_AVX512 = 2, /* AVX-512F/VL/DQ/BW (x86-64-v4) */
};

/* Highest level this CPU runs (BASE off x86-64 or when built with TFC_NO_CLONES). */
int tfci_sgemm_small_isa(void);

/* Whether k_matmul should take this product from OpenBLAS: a fast kernel
 * exists for this CPU and the product is in the measured range where it wins. */
bool tfci_sgemm_small_wins(bool ta, bool tb, int64_t m, int64_t n, int64_t k);

/* Floats of scratch tfci_sgemm_small needs (0 when it needs none). */
size_t tfci_sgemm_small_scratch(bool ta, bool tb, int64_t m, int64_t n, int64_t k);

/* C[m,n] = op(A) op(B), row-major, op(A) [m,k], op(B) [k,n] (A stored [k][m]
 * when ta, B stored [n][k] when tb), C overwritten; m, n, k >= 1.
 * Tiles of C are split across pool's threads (NULL: the caller only) when the
 * product is big enough. scratch: tfci_sgemm_small_scratch floats, 64-byte
 * aligned for speed. */
void tfci_sgemm_small(tfci_pool *pool, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *A,
                      const float *B, float *C, float *scratch);

/* The same at a given level (clamped to what the CPU runs), on pool whatever
 * the product's size (NULL: one thread), for tests and benchmarks. */
void tfci_sgemm_small_at(int isa, tfci_pool *pool, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                         const float *A, const float *B, float *C, float *scratch);

#endif
