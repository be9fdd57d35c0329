/* tfc — reading IDX files (the MNIST / Fashion-MNIST format), plain or gzip.
 * Thread-safe.
 */
#ifndef TFC_IDX_H
#define TFC_IDX_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the IDX file at path (gzip-compressed or not, detected by its magic)
 * into a new tensor of the file's element type (ubyte -> TFC_UINT8, byte ->
 * TFC_INT8, short -> TFC_INT16, int -> TFC_INT32, float -> TFC_FLOAT, double
 * -> TFC_DOUBLE) and shape. Truncated, oversized or wrongly typed files are
 * TFC_DATA_LOSS / TFC_INVALID_ARGUMENT with the path and what was wrong. */
TFC_API tfc_code tfc_idx_read(const char *path, tfc_tensor **out);

/* The same from a buffer holding an uncompressed IDX file; source names it in errors. */
TFC_API tfc_code tfc_idx_parse(const void *data, size_t size, const char *source, tfc_tensor **out);

#ifdef __cplusplus
}
#endif
#endif
