/* Public tensors: creation, reference counting, accessors. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* Data after the header, 64-byte aligned for vector loads. */
#define TFCI_HEADER_SIZE ((sizeof(tfc_tensor) + 63) & ~(size_t)63)

void tfci_tensor_init(tfc_tensor *t, tfc_dtype dtype, const int64_t *dims, int rank)
{
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    for (int i = rank; i < TFC_MAX_RANK; i++) t->dims[i] = 0;
    t->n = tfci_num_elements(dims, rank);
    t->bytes = (size_t)t->n * tfc_dtype_size(dtype);
    t->data = NULL;
    atomic_init(&t->refcount, 0);
    t->flags = 0;
    t->dealloc = NULL;
    t->dealloc_arg = NULL;
}

static tfc_code alloc_with_extra(tfc_dtype dtype, const int64_t *dims, int rank, size_t extra, tfc_tensor **out)
{
    int64_t n;
    size_t bytes;
    tfc_code c = tfci_check_shape(dtype, dims, rank, &n, &bytes);
    if (c) return c;
    if (bytes > SIZE_MAX - TFCI_HEADER_SIZE - extra - 64)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tensor of %zu bytes is too large", bytes);
    void *mem = NULL;
    if (posix_memalign(&mem, 64, TFCI_HEADER_SIZE + bytes + extra) != 0 || !mem)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory allocating a tensor of %zu bytes", bytes);
    tfc_tensor *t = mem;
    tfci_tensor_init(t, dtype, dims, rank);
    t->data = (char *)mem + TFCI_HEADER_SIZE;
    t->flags = TFCI_TENSOR_HEAP;
    atomic_init(&t->refcount, 1);
    *out = t;
    return TFC_OK;
}

tfc_code tfci_tensor_alloc(tfc_dtype dtype, const int64_t *dims, int rank, tfc_tensor **out)
{
    return alloc_with_extra(dtype, dims, rank, 0, out);
}

TFC_API tfc_code tfc_tensor_new(tfc_dtype dtype, const int64_t *dims, int rank, const void *data, size_t bytes,
                                tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new: out is NULL");
    *out = NULL;
    if (dtype == TFC_STRING)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new: use tfc_tensor_new_strings for string tensors");
    tfc_tensor *t;
    tfc_code c = tfci_tensor_alloc(dtype, dims, rank, &t);
    if (c) {
        tfci_error_prefix("tfc_tensor_new");
        return c;
    }
    if (data) {
        if (bytes != t->bytes) {
            long long n = (long long)t->n;
            size_t want = t->bytes;
            free(t);
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_tensor_new: %zu bytes given for %lld elements of %s (%zu bytes expected)", bytes,
                              n, tfc_dtype_name(dtype), want);
        }
        memcpy(t->data, data, bytes);
    } else {
        memset(t->data, 0, t->bytes);
    }
    *out = t;
    return TFC_OK;
}

TFC_API tfc_code tfc_tensor_new_borrowed(tfc_dtype dtype, const int64_t *dims, int rank, void *data, size_t bytes,
                                         tfc_deallocator dealloc, void *dealloc_arg, tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new_borrowed: out is NULL");
    *out = NULL;
    if (dtype == TFC_STRING)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new_borrowed: string tensors cannot borrow a buffer");
    int64_t n;
    size_t need;
    tfc_code c = tfci_check_shape(dtype, dims, rank, &n, &need);
    if (c) {
        tfci_error_prefix("tfc_tensor_new_borrowed");
        return c;
    }
    if (!data && need > 0) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new_borrowed: data is NULL");
    if (bytes != need)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_tensor_new_borrowed: %zu bytes given for %lld elements of %s (%zu bytes expected)",
                          bytes, (long long)n, tfc_dtype_name(dtype), need);
    tfc_tensor *t = malloc(sizeof *t);
    if (!t) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    tfci_tensor_init(t, dtype, dims, rank);
    t->data = data;
    t->flags = TFCI_TENSOR_HEAP;
    t->dealloc = dealloc;
    t->dealloc_arg = dealloc_arg;
    atomic_init(&t->refcount, 1);
    *out = t;
    return TFC_OK;
}

TFC_API tfc_code tfc_tensor_new_strings(const int64_t *dims, int rank, const char *const *strs, const size_t *lens,
                                        tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new_strings: out is NULL");
    *out = NULL;
    int64_t n;
    tfc_code c = tfci_check_shape(TFC_STRING, dims, rank, &n, NULL);
    if (c) {
        tfci_error_prefix("tfc_tensor_new_strings");
        return c;
    }
    if (n > 0 && !strs) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new_strings: strs is NULL");
    size_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!strs[i] && (!lens || lens[i] > 0))
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_new_strings: string %lld is NULL", (long long)i);
        size_t len = lens ? lens[i] : strlen(strs[i]);
        if (len > SIZE_MAX / 2 - total) return tfci_error(TFC_INVALID_ARGUMENT, "strings too large");
        total += len;
    }
    tfc_tensor *t;
    c = alloc_with_extra(TFC_STRING, dims, rank, total, &t);
    if (c) return c;
    tfci_tstring *el = t->data;
    char *blob = (char *)t->data + t->bytes;
    for (int64_t i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : strlen(strs[i]);
        if (len) memcpy(blob, strs[i], len);
        el[i].ptr = blob;
        el[i].len = len;
        blob += len;
    }
    *out = t;
    return TFC_OK;
}

TFC_API tfc_code tfc_tensor_new_scalar_float(float v, tfc_tensor **out)
{
    return tfc_tensor_new(TFC_FLOAT, NULL, 0, &v, sizeof v, out);
}
TFC_API tfc_code tfc_tensor_new_scalar_int64(int64_t v, tfc_tensor **out)
{
    return tfc_tensor_new(TFC_INT64, NULL, 0, &v, sizeof v, out);
}
TFC_API tfc_code tfc_tensor_new_scalar_int32(int32_t v, tfc_tensor **out)
{
    return tfc_tensor_new(TFC_INT32, NULL, 0, &v, sizeof v, out);
}

TFC_API tfc_tensor *tfc_tensor_retain(tfc_tensor *t)
{
    if (t && (t->flags & TFCI_TENSOR_HEAP)) atomic_fetch_add_explicit(&t->refcount, 1, memory_order_relaxed);
    return t;
}

TFC_API void tfc_tensor_free(tfc_tensor *t)
{
    if (!t || !(t->flags & TFCI_TENSOR_HEAP)) return;
    if (atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel) != 1) return;
    if (t->dealloc) t->dealloc(t->data, t->bytes, t->dealloc_arg);
    free(t);
}

TFC_API tfc_dtype tfc_tensor_dtype(const tfc_tensor *t) { return t ? t->dtype : TFC_INVALID_DTYPE; }
TFC_API int tfc_tensor_rank(const tfc_tensor *t) { return t ? t->rank : -1; }
TFC_API int64_t tfc_tensor_dim(const tfc_tensor *t, int i)
{
    if (!t || i < 0 || i >= t->rank) return -1;
    return t->dims[i];
}
TFC_API const int64_t *tfc_tensor_dims(const tfc_tensor *t) { return t ? t->dims : NULL; }
TFC_API int64_t tfc_tensor_num_elements(const tfc_tensor *t) { return t ? t->n : 0; }
TFC_API size_t tfc_tensor_byte_size(const tfc_tensor *t) { return t ? t->bytes : 0; }
TFC_API void *tfc_tensor_data(const tfc_tensor *t) { return t ? t->data : NULL; }

TFC_API tfc_code tfc_tensor_string(const tfc_tensor *t, int64_t i, const char **str, size_t *len)
{
    if (!t || !str || !len) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_string: NULL argument");
    if (t->dtype != TFC_STRING)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_string: tensor is %s, not string",
                          tfc_dtype_name(t->dtype));
    if (i < 0 || i >= t->n)
        return tfci_error(TFC_OUT_OF_RANGE, "tfc_tensor_string: index %lld out of range [0, %lld)", (long long)i,
                          (long long)t->n);
    const tfci_tstring *el = t->data;
    *str = el[i].ptr ? el[i].ptr : "";
    *len = el[i].len;
    return TFC_OK;
}

tfc_code tfci_tensor_copy_to_new(const tfc_tensor *src, tfc_tensor **out)
{
    if (src->dtype == TFC_STRING) {
        const tfci_tstring *el = src->data;
        size_t total = 0;
        for (int64_t i = 0; i < src->n; i++) total += el[i].len;
        tfc_tensor *t;
        tfc_code c = alloc_with_extra(TFC_STRING, src->dims, src->rank, total, &t);
        if (c) return c;
        tfci_tstring *dst = t->data;
        char *blob = (char *)t->data + t->bytes;
        for (int64_t i = 0; i < src->n; i++) {
            if (el[i].len) memcpy(blob, el[i].ptr, el[i].len);
            dst[i].ptr = blob;
            dst[i].len = el[i].len;
            blob += el[i].len;
        }
        *out = t;
        return TFC_OK;
    }
    tfc_tensor *t;
    tfc_code c = tfci_tensor_alloc(src->dtype, src->dims, src->rank, &t);
    if (c) return c;
    if (src->bytes) memcpy(t->data, src->data, src->bytes);
    *out = t;
    return TFC_OK;
}

TFC_API tfc_code tfc_tensor_copy(const tfc_tensor *t, tfc_tensor **out)
{
    if (!t || !out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_tensor_copy: NULL argument");
    *out = NULL;
    return tfci_tensor_copy_to_new(t, out);
}

int64_t tfci_tensor_int(const tfc_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TFC_INT32: return ((const int32_t *)t->data)[i];
    case TFC_INT64: return ((const int64_t *)t->data)[i];
    case TFC_INT16: return ((const int16_t *)t->data)[i];
    case TFC_INT8: return ((const int8_t *)t->data)[i];
    case TFC_UINT8: return ((const uint8_t *)t->data)[i];
    case TFC_BOOL: return ((const uint8_t *)t->data)[i];
    case TFC_FLOAT: return (int64_t)((const float *)t->data)[i];
    case TFC_DOUBLE: return (int64_t)((const double *)t->data)[i];
    default: return 0;
    }
}

double tfci_tensor_double(const tfc_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TFC_FLOAT: return ((const float *)t->data)[i];
    case TFC_DOUBLE: return ((const double *)t->data)[i];
    default: return (double)tfci_tensor_int(t, i);
    }
}
