/* Float32 products with few output columns (n <= 16), where OpenBLAS's
 * packing costs more than the arithmetic: softmax layers, their gradients. */
#ifndef TFCI_SKINNY_GEMM_H
#define TFCI_SKINNY_GEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/core.h"

#define TFCI_SKINNY_MAX_N 16

/* C[m,n] = op(A) op(B) with op(A) [m,k], op(B) [k,n], row-major, n <= 16.
 * Rows of C are split across pool's threads when big enough.
 * scratch must hold n*k floats when !ta && !tb (B is transposed into it). */
void tfci_sgemm_skinny(tfci_pool *pool, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *A,
                       const float *B, float *C, float *scratch);

#endif
