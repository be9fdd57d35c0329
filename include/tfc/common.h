/* tfc — common definitions: export macro, status codes, dtypes, errors, version.
 *
 * Thread safety: everything here is thread-safe. tfc_last_error() is per thread.
 */
#ifndef TFC_COMMON_H
#define TFC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TFC_BUILDING_LIBRARY) && defined(__GNUC__)
#define TFC_API __attribute__((visibility("default")))
#else
#define TFC_API
#endif

#define TFC_VERSION_MAJOR 0
#define TFC_VERSION_MINOR 1
#define TFC_VERSION_PATCH 0
#define TFC_VERSION_NUMBER (TFC_VERSION_MAJOR * 10000 + TFC_VERSION_MINOR * 100 + TFC_VERSION_PATCH)
#define TFC_VERSION_STRING "0.1.0"

/* The most dimensions a tensor or shape may have. */
#define TFC_MAX_RANK 8

/* Status codes: TensorFlow's canonical error codes, same numbers. */
typedef enum tfc_code {
    TFC_OK = 0,
    TFC_CANCELLED = 1,
    TFC_UNKNOWN = 2,
    TFC_INVALID_ARGUMENT = 3,
    TFC_DEADLINE_EXCEEDED = 4,
    TFC_NOT_FOUND = 5,
    TFC_ALREADY_EXISTS = 6,
    TFC_PERMISSION_DENIED = 7,
    TFC_RESOURCE_EXHAUSTED = 8,
    TFC_FAILED_PRECONDITION = 9,
    TFC_ABORTED = 10,
    TFC_OUT_OF_RANGE = 11,
    TFC_UNIMPLEMENTED = 12,
    TFC_INTERNAL = 13,
    TFC_UNAVAILABLE = 14,
    TFC_DATA_LOSS = 15,
    TFC_UNAUTHENTICATED = 16
} tfc_code;

/* Element types. Numbers follow TensorFlow's DataType enum. */
typedef enum tfc_dtype {
    TFC_INVALID_DTYPE = 0,
    TFC_FLOAT = 1,   /* float32 */
    TFC_DOUBLE = 2,  /* float64 */
    TFC_INT32 = 3,
    TFC_UINT8 = 4,
    TFC_INT16 = 5,
    TFC_INT8 = 6,
    TFC_STRING = 7,
    TFC_INT64 = 9,
    TFC_BOOL = 10
} tfc_dtype;

/* The library's version as "MAJOR.MINOR.PATCH"; static storage. */
TFC_API const char *tfc_version(void);
/* TFC_VERSION_NUMBER of the library actually loaded. */
TFC_API int tfc_version_number(void);

/* The calling thread's message for its last failed call: what was wrong, where,
 * and what was expected. Lent: valid until this thread's next tfc call. Never NULL. */
TFC_API const char *tfc_last_error(void);

/* "OK", "INVALID_ARGUMENT", ...; static storage. */
TFC_API const char *tfc_code_name(tfc_code code);

/* "float32", "int64", ...; static storage; "invalid" for unknown values. */
TFC_API const char *tfc_dtype_name(tfc_dtype dtype);
/* Bytes per element (the element struct for TFC_STRING); 0 for an invalid dtype. */
TFC_API size_t tfc_dtype_size(tfc_dtype dtype);

/* Releases a string the library returned as the caller's (saved checkpoint
 * paths and the like). NULL is ignored. */
TFC_API void tfc_string_free(char *s);

/* Logging: the library never prints. Messages go to this callback (NULL to
 * silence, the default). Process-wide; set it before other threads use tfc. */
typedef enum tfc_log_level { TFC_LOG_DEBUG = 0, TFC_LOG_INFO = 1, TFC_LOG_WARNING = 2, TFC_LOG_ERROR = 3 } tfc_log_level;
typedef void (*tfc_log_fn)(tfc_log_level level, const char *message, void *user_data);
TFC_API void tfc_set_log_callback(tfc_log_fn fn, void *user_data);

#ifdef __cplusplus
}
#endif
#endif
