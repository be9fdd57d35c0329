/* Per-thread error messages, status names and the logging callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static _Thread_local char last_error[2048];
static tfc_log_fn log_fn;
static void *log_user_data;

TFC_API const char *tfc_last_error(void) { return last_error; }

tfc_code tfci_verror(tfc_code code, const char *fmt, va_list ap)
{
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    return code;
}

tfc_code tfci_error(tfc_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tfci_verror(code, fmt, ap);
    va_end(ap);
    return code;
}

void tfci_error_prefix(const char *fmt, ...)
{
    char prefix[512], old[sizeof last_error - sizeof prefix - 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old - 1);
    old[sizeof old - 1] = 0;
    snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
}

TFC_API void tfc_set_log_callback(tfc_log_fn fn, void *user_data)
{
    log_fn = fn;
    log_user_data = user_data;
}

void tfci_log(tfc_log_level level, const char *fmt, ...)
{
    if (!log_fn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_user_data);
}

TFC_API const char *tfc_code_name(tfc_code code)
{
    static const char *const names[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
        "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    if ((unsigned)code < sizeof names / sizeof names[0]) return names[code];
    return "UNKNOWN_CODE";
}

TFC_API const char *tfc_version(void) { return TFC_VERSION_STRING; }
TFC_API int tfc_version_number(void) { return TFC_VERSION_NUMBER; }

TFC_API void tfc_string_free(char *s) { free(s); }
