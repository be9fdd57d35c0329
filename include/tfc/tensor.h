/* tfc — tensors: typed, shaped, reference-counted buffers.
 *
 * Ownership: tfc_tensor_new* give a tensor with one reference; tfc_tensor_free
 * drops one reference and frees the tensor at zero. tfc_tensor_retain adds one.
 * Accessors lend pointers valid while the tensor lives.
 * Thread safety: retain/free are atomic; a tensor's data may be read from
 * several threads at once, writing needs the caller's own synchronisation.
 */
#ifndef TFC_TENSOR_H
#define TFC_TENSOR_H

#include <stdbool.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_tensor tfc_tensor;

/* Called when a borrowed buffer is no longer needed by tfc. */
typedef void (*tfc_deallocator)(void *data, size_t bytes, void *arg);

/* New tensor of dtype and shape dims[0..rank). If data is not NULL, bytes must
 * equal the tensor's byte size and the data is copied; if NULL the tensor is
 * zero-filled. Not for TFC_STRING (use tfc_tensor_new_strings). */
TFC_API tfc_code tfc_tensor_new(tfc_dtype dtype, const int64_t *dims, int rank, const void *data, size_t bytes,
                                tfc_tensor **out);

/* New tensor that borrows the caller's buffer (no copy). dealloc(data, bytes,
 * arg) is called when the last reference goes (NULL: tfc never frees it).
 * data should be aligned to the element size. On failure dealloc is NOT called. */
TFC_API tfc_code tfc_tensor_new_borrowed(tfc_dtype dtype, const int64_t *dims, int rank, void *data, size_t bytes,
                                         tfc_deallocator dealloc, void *dealloc_arg, tfc_tensor **out);

/* New TFC_STRING tensor; copies strs[i] (lens[i] bytes each; lens NULL means
 * NUL-terminated) for every element in row-major order. */
TFC_API tfc_code tfc_tensor_new_strings(const int64_t *dims, int rank, const char *const *strs, const size_t *lens,
                                        tfc_tensor **out);

/* Scalars, for convenience. */
TFC_API tfc_code tfc_tensor_new_scalar_float(float v, tfc_tensor **out);
TFC_API tfc_code tfc_tensor_new_scalar_int64(int64_t v, tfc_tensor **out);
TFC_API tfc_code tfc_tensor_new_scalar_int32(int32_t v, tfc_tensor **out);

/* Adds a reference; returns t. */
TFC_API tfc_tensor *tfc_tensor_retain(tfc_tensor *t);
/* Drops a reference; NULL is ignored. */
TFC_API void tfc_tensor_free(tfc_tensor *t);

TFC_API tfc_dtype tfc_tensor_dtype(const tfc_tensor *t);
TFC_API int tfc_tensor_rank(const tfc_tensor *t);
/* Size of dimension i, or -1 if i is out of range. */
TFC_API int64_t tfc_tensor_dim(const tfc_tensor *t, int i);
/* Lends the dims array (tfc_tensor_rank entries). */
TFC_API const int64_t *tfc_tensor_dims(const tfc_tensor *t);
TFC_API int64_t tfc_tensor_num_elements(const tfc_tensor *t);
TFC_API size_t tfc_tensor_byte_size(const tfc_tensor *t);
/* Lends the element buffer (row-major). For TFC_STRING use tfc_tensor_string. */
TFC_API void *tfc_tensor_data(const tfc_tensor *t);

/* Element i of a TFC_STRING tensor: *str (not NUL-terminated) and *len. */
TFC_API tfc_code tfc_tensor_string(const tfc_tensor *t, int64_t i, const char **str, size_t *len);

/* Copy to a new tensor with its own buffer. */
TFC_API tfc_code tfc_tensor_copy(const tfc_tensor *t, tfc_tensor **out);

#ifdef __cplusplus
}
#endif
#endif
