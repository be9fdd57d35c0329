#include "testutil.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

int tfct_main(const char *suite_name, const tfct_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    for (const tfct_case *c = cases; c->name; c++) CU_add_test(suite, c->name, c->fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

static tfc_tensor *mk(tfc_dtype dt, const void *data, size_t es, const int64_t *dims, int rank)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    tfc_tensor *t = NULL;
    tfc_code c = tfc_tensor_new(dt, dims, rank, data, data ? (size_t)n * es : 0, &t);
    if (c) fprintf(stderr, "tensor: %s\n", tfc_last_error());
    CU_ASSERT_FATAL(c == TFC_OK);
    return t;
}
tfc_tensor *tfct_f32(const float *d, const int64_t *dims, int rank) { return mk(TFC_FLOAT, d, 4, dims, rank); }
tfc_tensor *tfct_f64(const double *d, const int64_t *dims, int rank) { return mk(TFC_DOUBLE, d, 8, dims, rank); }
tfc_tensor *tfct_i32(const int32_t *d, const int64_t *dims, int rank) { return mk(TFC_INT32, d, 4, dims, rank); }
tfc_tensor *tfct_i64(const int64_t *d, const int64_t *dims, int rank) { return mk(TFC_INT64, d, 8, dims, rank); }

tfc_tensor *tfct_eval(tfc_graph *g, tfc_output fetch, const tfc_output *feeds, tfc_tensor *const *values, int n)
{
    TFCT_GRAPH_OK(g);
    tfc_session *s = NULL;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = 1;
    TFCT_OK(tfc_session_new(g, &o, &s));
    tfc_tensor *out = NULL;
    tfc_code c = tfc_session_run(s, feeds, values, n, &fetch, &out, 1, NULL, 0);
    if (c) fprintf(stderr, "\neval: %s\n", tfc_last_error());
    tfc_session_free(s);
    CU_ASSERT_FATAL(c == TFC_OK);
    return out;
}

static double sum_of(const tfc_tensor *t)
{
    double s = 0;
    int64_t n = tfc_tensor_num_elements(t);
    if (tfc_tensor_dtype(t) == TFC_DOUBLE)
        for (int64_t i = 0; i < n; i++) s += ((const double *)tfc_tensor_data(t))[i];
    else
        for (int64_t i = 0; i < n; i++) s += ((const float *)tfc_tensor_data(t))[i];
    return s;
}

double tfct_grad_error(tfc_graph *g, tfc_output y, tfc_output x, const tfc_tensor *x_value, const tfc_output *feeds,
                       tfc_tensor *const *values, int n, double eps)
{
    tfc_output dx;
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    CU_ASSERT_PTR_NOT_NULL_FATAL(dx.op);
    tfc_session *s = NULL;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = 1;
    TFCT_OK(tfc_session_new(g, &o, &s));
    tfc_output *af = malloc((size_t)(n + 1) * sizeof *af);
    tfc_tensor **av = malloc((size_t)(n + 1) * sizeof *av);
    for (int i = 0; i < n; i++) {
        af[i] = feeds[i];
        av[i] = values[i];
    }
    tfc_tensor *xv = NULL;
    TFCT_OK(tfc_tensor_copy(x_value, &xv));
    af[n] = x;
    av[n] = xv;
    tfc_tensor *analytic = NULL;
    TFCT_OK(tfc_session_run(s, af, av, n + 1, &dx, &analytic, 1, NULL, 0));
    int64_t count = tfc_tensor_num_elements(xv);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(analytic), count);
    double worst = 0;
    bool is64 = tfc_tensor_dtype(xv) == TFC_DOUBLE;
    for (int64_t i = 0; i < count; i++) {
        double orig = is64 ? ((double *)tfc_tensor_data(xv))[i] : ((float *)tfc_tensor_data(xv))[i];
        double f[2];
        for (int k = 0; k < 2; k++) {
            double v = orig + (k ? -eps : eps);
            if (is64) ((double *)tfc_tensor_data(xv))[i] = v;
            else ((float *)tfc_tensor_data(xv))[i] = (float)v;
            tfc_tensor *yv = NULL;
            TFCT_OK(tfc_session_run(s, af, av, n + 1, &y, &yv, 1, NULL, 0));
            f[k] = sum_of(yv);
            tfc_tensor_free(yv);
        }
        if (is64) ((double *)tfc_tensor_data(xv))[i] = orig;
        else ((float *)tfc_tensor_data(xv))[i] = (float)orig;
        double num = (f[0] - f[1]) / (2 * eps);
        double ana = tfc_tensor_dtype(analytic) == TFC_DOUBLE ? ((double *)tfc_tensor_data(analytic))[i]
                                                              : ((float *)tfc_tensor_data(analytic))[i];
        double err = fabs(ana - num) / (fabs(num) > 1 ? fabs(num) : 1);
        if (err > worst) worst = err;
    }
    tfc_tensor_free(analytic);
    tfc_tensor_free(xv);
    free(af);
    free(av);
    tfc_session_free(s);
    return worst;
}

void tfct_expect_static_shape(tfc_graph *g, tfc_output o, const int64_t *dims, int rank)
{
    int64_t d[TFC_MAX_RANK];
    int r;
    TFCT_OK(tfc_graph_output_shape(g, o, d, &r));
    CU_ASSERT_EQUAL_FATAL(r, rank);
    for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(d[i], dims[i]);
}

void tfct_expect_graph_error(tfc_graph *g, const char *text)
{
    CU_ASSERT_NOT_EQUAL(tfc_graph_status(g), TFC_OK);
    const char *m = tfc_graph_error_message(g);
    if (!strstr(m, text)) fprintf(stderr, "\nexpected '%s' in graph error: %s\n", text, m);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, text));
    tfc_graph_clear_error(g);
}

void tfct_expect_run_error(tfc_graph *g, tfc_output y, const tfc_output *feeds, tfc_tensor *const *vals, int n,
                           tfc_code code, const char *text)
{
    TFCT_GRAPH_OK(g);
    tfc_session *s = NULL;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_tensor *out = NULL;
    tfc_code c = tfc_session_run(s, feeds, vals, n, &y, &out, 1, NULL, 0);
    if (code == TFC_OK) {
        CU_ASSERT_NOT_EQUAL(c, TFC_OK);
    } else {
        CU_ASSERT_EQUAL(c, code);
    }
    CU_ASSERT_PTR_NULL(out);
    TFCT_ERR_HAS(text);
    tfc_session_free(s);
}

static int tfct_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tfct_rm_rf(const char *dir) { nftw(dir, tfct_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

char *tfct_temp_dir(const char *prefix)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *d = malloc(strlen(base) + strlen(prefix) + 16);
    sprintf(d, "%s/%s_XXXXXX", base, prefix);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d));
    return d;
}
