/* Internal core: the tensor struct, error reporting, arenas, random bits.
 * Internal names start with tfci_ so the static library does not clash with
 * user symbols; nothing here is exported from the shared library. */
#ifndef TFCI_CORE_H
#define TFCI_CORE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "tfc/common.h"
#include "tfc/tensor.h"

#define TFCI_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Element of a TFC_STRING tensor. */
typedef struct tfci_tstring {
    const char *ptr;
    size_t len;
} tfci_tstring;

enum {
    TFCI_TENSOR_HEAP = 1,   /* malloc'd struct, refcounted: a public tensor */
    TFCI_TENSOR_OWNS = 2,   /* data freed with the tensor (same allocation or free()) */
};

struct tfc_tensor {
    tfc_dtype dtype;
    int rank;
    int64_t dims[TFC_MAX_RANK];
    int64_t n;      /* element count */
    size_t bytes;   /* byte size of data */
    void *data;
    atomic_int refcount;
    int flags;
    tfc_deallocator dealloc;
    void *dealloc_arg;
};

/* Hot loops compiled for AVX-512, AVX2+FMA and baseline x86-64, picked at load
 * time (GCC's function multi-versioning); elsewhere, and under sanitizers,
 * one build for the target. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(TFC_NO_CLONES)
#define TFCI_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TFCI_SIMD_CLONES
#endif

/* ---- errors ---- */
/* Sets the calling thread's last error and returns code. */
tfc_code tfci_error(tfc_code code, const char *fmt, ...) TFCI_PRINTF(2, 3);
tfc_code tfci_verror(tfc_code code, const char *fmt, va_list ap);
/* Prepends "prefix: " to the thread's last error message. */
void tfci_error_prefix(const char *fmt, ...) TFCI_PRINTF(1, 2);
void tfci_log(tfc_log_level level, const char *fmt, ...) TFCI_PRINTF(2, 3);

/* ---- time ---- */
/* Seconds on the monotonic clock (for intervals, not dates). */
double tfci_now_seconds(void);

/* ---- shapes ---- */
/* Element count of dims, or -1 on overflow / negative dims. */
int64_t tfci_num_elements(const int64_t *dims, int rank);
/* Validates dims (rank 0..8, dims >= 0, no overflow) and fills n and bytes. */
tfc_code tfci_check_shape(tfc_dtype dtype, const int64_t *dims, int rank, int64_t *n, size_t *bytes);
/* "[2,3,?]" into buf. */
const char *tfci_shape_str(const int64_t *dims, int rank, char *buf, size_t size);
bool tfci_dtype_valid(tfc_dtype dtype);
bool tfci_dtype_is_float(tfc_dtype dtype);
bool tfci_dtype_is_int(tfc_dtype dtype);

/* ---- tensors ---- */
/* Initialises the header of a stack/arena tensor (no data, not refcounted). */
void tfci_tensor_init(tfc_tensor *t, tfc_dtype dtype, const int64_t *dims, int rank);
/* New heap tensor whose data follows the struct (one malloc), uninitialised data. */
tfc_code tfci_tensor_alloc(tfc_dtype dtype, const int64_t *dims, int rank, tfc_tensor **out);
/* Deep copy of src's values into dst (same dtype and count); strings are copied into
 * storage owned by dst when dst is a heap tensor. */
tfc_code tfci_tensor_copy_to_new(const tfc_tensor *src, tfc_tensor **out);
/* Value of element 0 of an int32/int64 tensor as int64 (for shape inputs). */
int64_t tfci_tensor_int(const tfc_tensor *t, int64_t i);
double tfci_tensor_double(const tfc_tensor *t, int64_t i);

/* ---- arena: bump allocation reset per run ---- */
typedef struct tfci_arena_block tfci_arena_block;
typedef struct tfci_arena {
    tfci_arena_block *head;
    size_t used_total;
    size_t capacity_total;
} tfci_arena;
void *tfci_arena_alloc(tfci_arena *a, size_t bytes);
/* Frees everything allocated since the last reset, keeping one block large
 * enough for all of it, so the next run allocates nothing. */
void tfci_arena_reset(tfci_arena *a);
void tfci_arena_destroy(tfci_arena *a);

/* ---- random: counter-based, reproducible, parallel-safe ---- */
/* 64 random bits for (key, counter): a stateless hash (splitmix64 rounds). */
uint64_t tfci_random_bits(uint64_t key, uint64_t counter);
/* Uniform in [0, 1). */
double tfci_random_uniform01(uint64_t key, uint64_t counter);
/* Standard normal (Box-Muller from two counters 2c, 2c+1). */
double tfci_random_normal(uint64_t key, uint64_t counter);

/* ---- thread pool ---- */
typedef struct tfci_pool tfci_pool;
typedef void (*tfci_range_fn)(void *arg, int64_t begin, int64_t end);
tfci_pool *tfci_pool_new(int nthreads);
void tfci_pool_free(tfci_pool *p);
int tfci_pool_size(const tfci_pool *p);
/* Runs fn over [0, n) split in chunks of at least grain items across the pool
 * (the caller's thread takes a share). Serial when p is NULL or n small. */
void tfci_parallel_for(tfci_pool *p, int64_t n, int64_t grain, tfci_range_fn fn, void *arg);

/* Cores available to this process. */
int tfci_num_cores(void);

#endif
