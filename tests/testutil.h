/* Shared helpers for the CUnit tests: running suites, building tensors,
 * fetching values, and checking gradients against finite differences. */
#ifndef TFCT_TESTUTIL_H
#define TFCT_TESTUTIL_H

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>

#include "tfc/tfc.h"

typedef struct tfct_case {
    const char *name;
    void (*fn)(void);
} tfct_case;

/* Runs the cases as one suite; returns the process exit code (0 = all passed). */
int tfct_main(const char *suite, const tfct_case *cases);

/* Asserts a call returned TFC_OK, printing tfc_last_error() when not. */
#define TFCT_OK(expr)                                                                                              \
    do {                                                                                                           \
        tfc_code tfct_c_ = (expr);                                                                                 \
        if (tfct_c_ != TFC_OK)                                                                                     \
            fprintf(stderr, "\n%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #expr, tfc_code_name(tfct_c_),         \
                    tfc_last_error());                                                                             \
        CU_ASSERT_EQUAL_FATAL(tfct_c_, TFC_OK);                                                                    \
    } while (0)

/* Asserts the graph has no sticky error. */
#define TFCT_GRAPH_OK(g)                                                                                           \
    do {                                                                                                           \
        if (tfc_graph_status(g) != TFC_OK) fprintf(stderr, "\ngraph error: %s\n", tfc_graph_error_message(g));    \
        CU_ASSERT_EQUAL_FATAL(tfc_graph_status(g), TFC_OK);                                                        \
    } while (0)

/* Asserts the last error message contains text. */
#define TFCT_ERR_HAS(text)                                                                                         \
    do {                                                                                                           \
        if (!strstr(tfc_last_error(), (text)))                                                                     \
            fprintf(stderr, "\nexpected '%s' in error: %s\n", (text), tfc_last_error());                          \
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), (text)));                                                  \
    } while (0)

#define TFCT_NEAR(a, b, tol) CU_ASSERT_DOUBLE_EQUAL((double)(a), (double)(b), (tol))

/* Asserts an output's static shape. */
void tfct_expect_static_shape(tfc_graph *g, tfc_output o, const int64_t *dims, int rank);
/* Asserts the graph's sticky error contains text, then clears it. */
void tfct_expect_graph_error(tfc_graph *g, const char *text);
/* Runs y expecting a failure with code (TFC_OK: any code) whose message has text. */
void tfct_expect_run_error(tfc_graph *g, tfc_output y, const tfc_output *feeds, tfc_tensor *const *vals, int n,
                           tfc_code code, const char *text);

/* New tensors from C arrays (abort the test on failure). */
tfc_tensor *tfct_f32(const float *data, const int64_t *dims, int rank);
tfc_tensor *tfct_f64(const double *data, const int64_t *dims, int rank);
tfc_tensor *tfct_i32(const int32_t *data, const int64_t *dims, int rank);
tfc_tensor *tfct_i64(const int64_t *data, const int64_t *dims, int rank);

/* Runs one fetch with optional feeds in a new session; returns the value (caller frees). */
tfc_tensor *tfct_eval(tfc_graph *g, tfc_output fetch, const tfc_output *feeds, tfc_tensor *const *values, int n);

/* Max |analytic - numeric| / max(1, |numeric|) of d sum(y) / d x, where x is
 * fed with x_value (float64); other feeds as given. eps is the central step. */
double tfct_grad_error(tfc_graph *g, tfc_output y, tfc_output x, const tfc_tensor *x_value, const tfc_output *feeds,
                       tfc_tensor *const *values, int n, double eps);

/* A fresh directory "<prefix>_XXXXXX" under $TMPDIR (or /tmp); free() it. */
char *tfct_temp_dir(const char *prefix);
/* Removes a directory tree (rm -rf). */
void tfct_rm_rf(const char *dir);

#endif
