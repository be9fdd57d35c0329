/* dtype names and sizes, shape validation and formatting. */
#include <stdio.h>
#include <string.h>

#include "core.h"

TFC_API const char *tfc_dtype_name(tfc_dtype dtype)
{
    switch (dtype) {
    case TFC_FLOAT: return "float32";
    case TFC_DOUBLE: return "float64";
    case TFC_INT32: return "int32";
    case TFC_UINT8: return "uint8";
    case TFC_INT16: return "int16";
    case TFC_INT8: return "int8";
    case TFC_STRING: return "string";
    case TFC_INT64: return "int64";
    case TFC_BOOL: return "bool";
    default: return "invalid";
    }
}

TFC_API size_t tfc_dtype_size(tfc_dtype dtype)
{
    switch (dtype) {
    case TFC_FLOAT: return 4;
    case TFC_DOUBLE: return 8;
    case TFC_INT32: return 4;
    case TFC_UINT8: return 1;
    case TFC_INT16: return 2;
    case TFC_INT8: return 1;
    case TFC_STRING: return sizeof(tfci_tstring);
    case TFC_INT64: return 8;
    case TFC_BOOL: return 1;
    default: return 0;
    }
}

bool tfci_dtype_valid(tfc_dtype dtype) { return tfc_dtype_size(dtype) != 0; }
bool tfci_dtype_is_float(tfc_dtype d) { return d == TFC_FLOAT || d == TFC_DOUBLE; }
bool tfci_dtype_is_int(tfc_dtype d)
{
    return d == TFC_INT32 || d == TFC_INT64 || d == TFC_UINT8 || d == TFC_INT16 || d == TFC_INT8;
}

int64_t tfci_num_elements(const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return -1;
        if (dims[i] != 0 && n > INT64_MAX / dims[i]) return -1;
        n *= dims[i];
    }
    return n;
}

tfc_code tfci_check_shape(tfc_dtype dtype, const int64_t *dims, int rank, int64_t *n, size_t *bytes)
{
    if (!tfci_dtype_valid(dtype)) return tfci_error(TFC_INVALID_ARGUMENT, "invalid dtype %d", (int)dtype);
    if (rank < 0 || rank > TFC_MAX_RANK)
        return tfci_error(TFC_INVALID_ARGUMENT, "rank %d is out of range: a tensor has 0 to %d dimensions", rank,
                          TFC_MAX_RANK);
    if (rank > 0 && !dims) return tfci_error(TFC_INVALID_ARGUMENT, "dims is NULL for a tensor of rank %d", rank);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "dimension %d is negative (%lld)", i, (long long)dims[i]);
    int64_t count = tfci_num_elements(dims, rank);
    size_t es = tfc_dtype_size(dtype);
    if (count < 0 || (uint64_t)count > SIZE_MAX / es || (uint64_t)count * es > (uint64_t)INT64_MAX / 2) {
        char buf[160];
        return tfci_error(TFC_INVALID_ARGUMENT, "shape %s of %s overflows the element count or byte size",
                          tfci_shape_str(dims, rank, buf, sizeof buf), tfc_dtype_name(dtype));
    }
    if (n) *n = count;
    if (bytes) *bytes = (size_t)count * es;
    return TFC_OK;
}

const char *tfci_shape_str(const int64_t *dims, int rank, char *buf, size_t size)
{
    if (rank < 0) {
        snprintf(buf, size, "<unknown>");
        return buf;
    }
    size_t off = 0;
    off += (size_t)snprintf(buf + off, size - off, "[");
    for (int i = 0; i < rank && off < size; i++) {
        if (dims[i] < 0)
            off += (size_t)snprintf(buf + off, size - off, "%s?", i ? "," : "");
        else
            off += (size_t)snprintf(buf + off, size - off, "%s%lld", i ? "," : "", (long long)dims[i]);
    }
    if (off < size) snprintf(buf + off, size - off, "]");
    return buf;
}
