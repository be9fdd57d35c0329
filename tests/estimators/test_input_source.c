/* Estimator inputs (tfc_input): CSV files with a label column, and tensors
 * sliced into batches over epochs, with shuffling, through the internal pass
 * interface the estimator loop uses. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "estimators/estimator_internal.h"
#include "testutil.h"

/* ---- helpers ---- */

static char tmp_files[8][512];
static int n_tmp_files;

/* Writes text to a new temporary file; returns its path (removed at exit). */
static const char *write_tmp(const char *text)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0]) dir = "/tmp";
    CU_ASSERT_FATAL(n_tmp_files < 8);
    char *path = tmp_files[n_tmp_files];
    snprintf(path, sizeof tmp_files[0], "%s/tfc_input_source_XXXXXX", dir);
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    size_t len = strlen(text);
    CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
    close(fd);
    n_tmp_files++;
    return path;
}

static int str_is(const tfc_tensor *t, int64_t i, const char *want)
{
    const char *p;
    size_t n;
    if (tfc_tensor_string(t, i, &p, &n) != TFC_OK) return 0;
    return n == strlen(want) && !memcmp(p, want, n);
}

static const tfc_tensor *feature(const tfci_batch *b, const char *key)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->keys[i], key)) return b->features[i];
    return NULL;
}

/* Schema a (float), b (string), y (int64, the label), c (int32). */
static tfc_csv_schema *abyc_schema(void)
{
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_FLOAT, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "b", TFC_STRING, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "y", TFC_INT64, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "c", TFC_INT32, NULL));
    return s;
}

/* Row i: a = i + 0.5, b = "r<i>", y = i % 2, c = 100 + i. */
static const char *abyc_file(void)
{
    static const char *path;
    if (!path)
        path = write_tmp("0.5,r0,0,100\n"
                         "1.5,r1,1,101\n"
                         "2.5,r2,0,102\n"
                         "3.5,r3,1,103\n"
                         "4.5,r4,0,104\n");
    return path;
}

/* Checks a CSV batch's rows against the file's rows first, first + 1, ... (mod 5). */
static void check_abyc_batch(const tfci_batch *b, int64_t rows, int first)
{
    CU_ASSERT_EQUAL_FATAL(b->rows, rows);
    CU_ASSERT_EQUAL_FATAL(b->n, 3);
    CU_ASSERT_STRING_EQUAL(b->keys[0], "a");
    CU_ASSERT_STRING_EQUAL(b->keys[1], "b");
    CU_ASSERT_STRING_EQUAL(b->keys[2], "c");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->labels);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(b->labels), TFC_INT64);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(b->features[0]), TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(b->features[1]), TFC_STRING);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(b->features[2]), TFC_INT32);
    const float *a = tfc_tensor_data(b->features[0]);
    const int32_t *c = tfc_tensor_data(b->features[2]);
    const int64_t *y = tfc_tensor_data(b->labels);
    for (int64_t k = 0; k < rows; k++) {
        int i = (first + (int)k) % 5;
        char name[16];
        snprintf(name, sizeof name, "r%d", i);
        TFCT_NEAR(a[k], i + 0.5, 1e-6);
        CU_ASSERT(str_is(b->features[1], k, name));
        CU_ASSERT_EQUAL(c[k], 100 + i);
        CU_ASSERT_EQUAL(y[k], i % 2);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b->features[0], 0), rows);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b->labels, 0), rows);
    }
}

/* ---- CSV ---- */

static void test_csv_batches_and_epochs(void)
{
    tfc_csv_schema *s = abyc_schema();
    const char *pat[] = {abyc_file()};
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 2;
    ro.num_epochs = 2;
    tfc_input *in, *in2;
    TFCT_OK(tfc_input_from_csv(s, pat, 1, &ro, "y", &in));
    tfc_csv_schema_free(s); /* the input keeps its own reference */
    tfci_input_pass *p;
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    /* 10 rows over two epochs in batches of 2: batches span the epoch boundary. */
    for (int i = 0; i < 5; i++) {
        TFCT_OK(tfci_input_next(p, &b));
        check_abyc_batch(&b, 2, 2 * i);
    }
    /* The end of data leaves the thread's last error alone. */
    CU_ASSERT_EQUAL(tfc_input_from_csv(NULL, NULL, 0, NULL, NULL, &in2), TFC_INVALID_ARGUMENT);
    char before[256];
    snprintf(before, sizeof before, "%s", tfc_last_error());
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_OUT_OF_RANGE);
    CU_ASSERT_STRING_EQUAL(tfc_last_error(), before);
    CU_ASSERT_EQUAL(b.rows, 0);
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_OUT_OF_RANGE);
    tfci_input_close(p);
    tfc_input_free(in);
}

static void test_csv_partial_batch_and_no_labels(void)
{
    tfc_csv_schema *s = abyc_schema();
    const char *pat[] = {abyc_file()};
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 3;
    tfc_input *in;
    TFCT_OK(tfc_input_from_csv(s, pat, 1, &ro, "y", &in));
    tfci_input_pass *p;
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    TFCT_OK(tfci_input_next(p, &b));
    check_abyc_batch(&b, 3, 0);
    TFCT_OK(tfci_input_next(p, &b));
    check_abyc_batch(&b, 2, 3);
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_OUT_OF_RANGE);
    tfci_input_close(p);
    tfc_input_free(in);

    /* No label column: every column is a feature, in schema order; default options (batch 32). */
    TFCT_OK(tfc_input_from_csv(s, pat, 1, NULL, NULL, &in));
    TFCT_OK(tfci_input_open(in, &p));
    TFCT_OK(tfci_input_next(p, &b));
    CU_ASSERT_EQUAL(b.rows, 5);
    CU_ASSERT_EQUAL_FATAL(b.n, 4);
    CU_ASSERT_PTR_NULL(b.labels);
    CU_ASSERT_STRING_EQUAL(b.keys[0], "a");
    CU_ASSERT_STRING_EQUAL(b.keys[1], "b");
    CU_ASSERT_STRING_EQUAL(b.keys[2], "y");
    CU_ASSERT_STRING_EQUAL(b.keys[3], "c");
    CU_ASSERT_EQUAL(((const int64_t *)tfc_tensor_data(feature(&b, "y")))[3], 1);
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_OUT_OF_RANGE);
    tfci_input_close(p);
    tfc_input_free(in);
    tfc_csv_schema_free(s);
}

static void test_csv_two_passes(void)
{
    tfc_csv_schema *s = abyc_schema();
    const char *pat[] = {abyc_file()};
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 2;
    ro.shuffle_buffer_size = 5;
    ro.seed = 7;
    tfc_input *in;
    TFCT_OK(tfc_input_from_csv(s, pat, 1, &ro, "y", &in));
    tfc_csv_schema_free(s);
    /* Two passes open at once, interleaved: each is a fresh reader with the same seed. */
    tfci_input_pass *p1, *p2;
    TFCT_OK(tfci_input_open(in, &p1));
    TFCT_OK(tfci_input_open(in, &p2));
    tfci_batch b1, b2;
    int seen[5] = {0};
    for (int i = 0; i < 3; i++) {
        TFCT_OK(tfci_input_next(p1, &b1));
        TFCT_OK(tfci_input_next(p2, &b2));
        CU_ASSERT_EQUAL_FATAL(b1.rows, i < 2 ? 2 : 1);
        CU_ASSERT_EQUAL_FATAL(b2.rows, b1.rows);
        const int32_t *c1 = tfc_tensor_data(feature(&b1, "c")), *c2 = tfc_tensor_data(feature(&b2, "c"));
        const int64_t *y1 = tfc_tensor_data(b1.labels);
        for (int64_t k = 0; k < b1.rows; k++) {
            CU_ASSERT_EQUAL(c1[k], c2[k]);
            CU_ASSERT_FATAL(c1[k] >= 100 && c1[k] < 105);
            CU_ASSERT_EQUAL(y1[k], (c1[k] - 100) % 2);
            seen[c1[k] - 100]++;
        }
    }
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(seen[i], 1);
    CU_ASSERT_EQUAL(tfci_input_next(p1, &b1), TFC_OUT_OF_RANGE);
    tfci_input_close(p1);
    tfci_input_close(p2); /* closed before its end */

    /* A later pass starts again from the first row. */
    TFCT_OK(tfci_input_open(in, &p1));
    TFCT_OK(tfci_input_next(p1, &b1));
    CU_ASSERT_EQUAL(b1.rows, 2);
    tfci_input_close(p1);
    tfc_input_free(in);
}

static void test_csv_errors(void)
{
    tfc_csv_schema *s = abyc_schema();
    const char *pat[] = {abyc_file()};
    tfc_input *in = (tfc_input *)1;
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, pat, 1, NULL, "label", &in), TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(in);
    TFCT_ERR_HAS("label column 'label' is not a column of the schema");
    TFCT_ERR_HAS("'a', 'b', 'y', 'c'");

    CU_ASSERT_EQUAL(tfc_input_from_csv(NULL, pat, 1, NULL, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("schema is NULL");
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, pat, 0, NULL, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("no files given");
    const char *bad_pat[] = {""};
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, bad_pat, 1, NULL, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("pattern 0 is empty");
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.size = 3;
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, pat, 1, &ro, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("options size 3 is not valid");
    ro.size = sizeof ro + 8;
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, pat, 1, &ro, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("use TFC_CSV_READER_OPTIONS_INIT");
    ro.size = sizeof ro;
    ro.batch_size = 0;
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, pat, 1, &ro, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("batch_size is 0");
    ro.batch_size = 4;
    ro.num_epochs = -1;
    CU_ASSERT_EQUAL(tfc_input_from_csv(s, pat, 1, &ro, "y", &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("num_epochs is -1");

    tfc_csv_schema *empty;
    TFCT_OK(tfc_csv_schema_new(NULL, &empty));
    CU_ASSERT_EQUAL(tfc_input_from_csv(empty, pat, 1, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("the schema has no columns");
    tfc_csv_schema_free(empty);

    /* A missing file is reported when a pass starts, naming it. */
    const char *missing[] = {"/nonexistent-dir-tfc/train.csv"};
    TFCT_OK(tfc_input_from_csv(s, missing, 1, NULL, "y", &in));
    tfci_input_pass *p = (tfci_input_pass *)1;
    CU_ASSERT_EQUAL(tfci_input_open(in, &p), TFC_NOT_FOUND);
    CU_ASSERT_PTR_NULL(p);
    TFCT_ERR_HAS("/nonexistent-dir-tfc/train.csv");
    tfc_input_free(in);

    /* A malformed row: the reader's error (file and line) passes through, and stays. */
    const char *bad[] = {write_tmp("0.5,r0,0,100\nxyz,r1,1,101\n")};
    TFCT_OK(tfc_input_from_csv(s, bad, 1, NULL, "y", &in));
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS(bad[0]);
    TFCT_ERR_HAS(":2:");
    TFCT_ERR_HAS("'a'");
    CU_ASSERT_EQUAL(b.rows, 0);
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_INVALID_ARGUMENT);
    tfci_input_close(p);
    tfc_input_free(in);
    tfc_csv_schema_free(s);
}

/* ---- tensors ---- */

/* x float [7] = 0..6, labels int64 [7] = 10..16. */
static tfc_input *seven_rows(const tfc_tensor_input_options *o)
{
    float x[7];
    int64_t y[7];
    for (int i = 0; i < 7; i++) {
        x[i] = (float)i;
        y[i] = 10 + i;
    }
    int64_t d[] = {7};
    tfc_tensor *tx = tfct_f32(x, d, 1), *ty = tfct_i64(y, d, 1);
    const char *keys[] = {"x"};
    tfc_input *in = NULL;
    TFCT_OK(tfc_input_from_tensors(keys, &tx, 1, ty, o, &in));
    tfc_tensor_free(tx); /* the input holds references */
    tfc_tensor_free(ty);
    return in;
}

/* Reads every batch of a pass: their sizes into sizes[] and the x values in order into xs[]. */
static int read_all(tfc_input *in, int64_t *sizes, int max_batches, int *xs, int max_rows)
{
    tfci_input_pass *p;
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    int nb = 0, nr = 0;
    tfc_code c;
    while ((c = tfci_input_next(p, &b)) == TFC_OK) {
        CU_ASSERT_FATAL(nb < max_batches);
        CU_ASSERT_EQUAL_FATAL(b.n, 1);
        CU_ASSERT_STRING_EQUAL(b.keys[0], "x");
        CU_ASSERT_PTR_NOT_NULL_FATAL(b.labels);
        CU_ASSERT_EQUAL(tfc_tensor_rank(b.features[0]), 1);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.features[0], 0), b.rows);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.labels, 0), b.rows);
        const float *x = tfc_tensor_data(b.features[0]);
        const int64_t *y = tfc_tensor_data(b.labels);
        sizes[nb++] = b.rows;
        for (int64_t k = 0; k < b.rows; k++) {
            CU_ASSERT_FATAL(nr < max_rows);
            CU_ASSERT_EQUAL(y[k], 10 + (int64_t)x[k]); /* labels follow their rows */
            xs[nr++] = (int)x[k];
        }
    }
    CU_ASSERT_EQUAL(c, TFC_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(tfci_input_next(p, &b), TFC_OUT_OF_RANGE);
    tfci_input_close(p);
    return nb;
}

static void test_tensor_batches(void)
{
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = 3;
    tfc_input *in = seven_rows(&o);
    int64_t sizes[16];
    int xs[64];
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 64), 3);
    CU_ASSERT_EQUAL(sizes[0], 3);
    CU_ASSERT_EQUAL(sizes[1], 3);
    CU_ASSERT_EQUAL(sizes[2], 1);
    for (int i = 0; i < 7; i++) CU_ASSERT_EQUAL(xs[i], i);
    /* A second pass gives the same batches. */
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 64), 3);
    CU_ASSERT_EQUAL(sizes[2], 1);
    CU_ASSERT_EQUAL(xs[6], 6);
    tfc_input_free(in);

    o.partial_final_batch = 0;
    in = seven_rows(&o);
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 64), 2);
    CU_ASSERT_EQUAL(sizes[0], 3);
    CU_ASSERT_EQUAL(sizes[1], 3);
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(xs[i], i);
    tfc_input_free(in);

    /* Defaults: one epoch, batches of 128: the whole input at once. */
    in = seven_rows(NULL);
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 64), 1);
    CU_ASSERT_EQUAL(sizes[0], 7);
    tfc_input_free(in);

    /* A batch larger than all epochs together, without partial batches: nothing. */
    o.batch_size = 100;
    o.num_epochs = 2;
    in = seven_rows(&o);
    CU_ASSERT_EQUAL(read_all(in, sizes, 16, xs, 64), 0);
    tfc_input_free(in);
}

static void test_tensor_epochs(void)
{
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = 3;
    o.num_epochs = 2;
    tfc_input *in = seven_rows(&o);
    int64_t sizes[16];
    int xs[64];
    /* 14 rows: [0 1 2] [3 4 5] [6 0 1] [2 3 4] [5 6]: batches span the epoch boundary. */
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 64), 5);
    static const int64_t want_sizes[] = {3, 3, 3, 3, 2};
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(sizes[i], want_sizes[i]);
    for (int i = 0; i < 14; i++) CU_ASSERT_EQUAL(xs[i], i % 7);
    tfc_input_free(in);

    o.partial_final_batch = 0;
    in = seven_rows(&o);
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 64), 4);
    CU_ASSERT_EQUAL(xs[11], 4);
    tfc_input_free(in);

    /* num_epochs 0: forever. */
    o.num_epochs = 0;
    in = seven_rows(&o);
    tfci_input_pass *p;
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    for (int i = 0; i < 100; i++) {
        TFCT_OK(tfci_input_next(p, &b));
        CU_ASSERT_EQUAL(b.rows, 3);
        CU_ASSERT_EQUAL((int)((const float *)tfc_tensor_data(b.features[0]))[0], (3 * i) % 7);
    }
    tfci_input_close(p);
    tfc_input_free(in);
}

/* 20 rows, batch 6, 3 epochs: the x values in stream order (60 of them). */
static void shuffled(uint64_t seed, int *xs)
{
    float x[20];
    int64_t y[20];
    for (int i = 0; i < 20; i++) {
        x[i] = (float)i;
        y[i] = 10 + i;
    }
    int64_t d[] = {20};
    tfc_tensor *tx = tfct_f32(x, d, 1), *ty = tfct_i64(y, d, 1);
    const char *keys[] = {"x"};
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = 6;
    o.num_epochs = 3;
    o.shuffle = 1;
    o.seed = seed;
    tfc_input *in;
    TFCT_OK(tfc_input_from_tensors(keys, &tx, 1, ty, &o, &in));
    tfc_tensor_free(tx);
    tfc_tensor_free(ty);
    int64_t sizes[16];
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, xs, 60), 10);
    int again[60];
    CU_ASSERT_EQUAL_FATAL(read_all(in, sizes, 16, again, 60), 10);
    CU_ASSERT_EQUAL(memcmp(xs, again, sizeof again), 0); /* every pass: the same order */
    tfc_input_free(in);
}

static void test_tensor_shuffle(void)
{
    int a[60], a2[60], c[60];
    shuffled(42, a);
    for (int e = 0; e < 3; e++) {
        int seen[20] = {0};
        int in_order = 1;
        for (int i = 0; i < 20; i++) {
            CU_ASSERT_FATAL(a[20 * e + i] >= 0 && a[20 * e + i] < 20);
            seen[a[20 * e + i]]++;
            if (a[20 * e + i] != i) in_order = 0;
        }
        for (int i = 0; i < 20; i++) CU_ASSERT_EQUAL(seen[i], 1); /* each row once per epoch */
        CU_ASSERT_FALSE(in_order);
    }
    /* Each epoch is a new permutation. */
    CU_ASSERT_NOT_EQUAL(memcmp(a, a + 20, 20 * sizeof *a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a + 20, a + 40, 20 * sizeof *a), 0);
    shuffled(42, a2);
    CU_ASSERT_EQUAL(memcmp(a, a2, sizeof a), 0);
    shuffled(43, c);
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof a), 0);
}

/* Features of many dtypes and shapes, row r holding values derived from r,
 * checked row by row through an id feature; shuffled and in order. */
static void check_mixed(int shuffle)
{
    enum { N = 5 };
    int64_t id[N];
    float f[N * 3];
    double dd[N * 2];
    int32_t i32[N];
    uint8_t u8[N];
    const char *s[N], *s2[N * 2];
    char sbuf[N][8], s2buf[N * 2][8];
    float lab[N * 2];
    for (int r = 0; r < N; r++) {
        id[r] = r;
        for (int j = 0; j < 3; j++) f[r * 3 + j] = (float)(r * 10 + j);
        for (int j = 0; j < 2; j++) dd[r * 2 + j] = r * 100.0 + j;
        i32[r] = -r;
        u8[r] = (uint8_t)(200 + r);
        snprintf(sbuf[r], sizeof sbuf[r], "s%d", r);
        s[r] = sbuf[r];
        for (int j = 0; j < 2; j++) {
            snprintf(s2buf[r * 2 + j], sizeof s2buf[0], "t%d.%d", r, j);
            s2[r * 2 + j] = s2buf[r * 2 + j];
            lab[r * 2 + j] = (float)r + 0.25f * (float)j;
        }
    }
    int64_t d1[] = {N}, d2[] = {N, 2}, d3[] = {N, 3}, d13[] = {N, 1, 3};
    tfc_tensor *t[8];
    t[0] = tfct_i64(id, d1, 1);
    t[1] = tfct_f32(f, d3, 2);
    t[2] = tfct_f64(dd, d2, 2);
    t[3] = tfct_i32(i32, d1, 1);
    TFCT_OK(tfc_tensor_new(TFC_UINT8, d1, 1, u8, sizeof u8, &t[4]));
    TFCT_OK(tfc_tensor_new_strings(d1, 1, s, NULL, &t[5]));
    TFCT_OK(tfc_tensor_new_strings(d2, 2, s2, NULL, &t[6]));
    t[7] = tfct_f32(f, d13, 3);
    tfc_tensor *labels = tfct_f32(lab, d2, 2);
    const char *keys[] = {"id", "f3", "d2", "i32", "u8", "s", "s2", "f13"};
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = 2;
    o.shuffle = shuffle;
    o.seed = 5;
    tfc_input *in;
    TFCT_OK(tfc_input_from_tensors(keys, t, 8, labels, &o, &in));
    for (int i = 0; i < 8; i++) tfc_tensor_free(t[i]);
    tfc_tensor_free(labels);

    tfci_input_pass *p;
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    int seen[N] = {0}, nbatches = 0, order_kept = 1, pos = 0;
    while (tfci_input_next(p, &b) == TFC_OK) {
        nbatches++;
        CU_ASSERT_EQUAL_FATAL(b.n, 8);
        for (int i = 0; i < 8; i++) CU_ASSERT_STRING_EQUAL(b.keys[i], keys[i]);
        CU_ASSERT_EQUAL(b.rows, nbatches < 3 ? 2 : 1);
        CU_ASSERT_EQUAL(tfc_tensor_rank(b.features[1]), 2);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.features[1], 1), 3);
        CU_ASSERT_EQUAL(tfc_tensor_rank(b.features[7]), 3);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.features[7], 0), b.rows);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.features[7], 1), 1);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.features[7], 2), 3);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.features[6], 1), 2);
        CU_ASSERT_EQUAL(tfc_tensor_dim(b.labels, 1), 2);
        const int64_t *bid = tfc_tensor_data(b.features[0]);
        const float *bf = tfc_tensor_data(b.features[1]), *bf13 = tfc_tensor_data(b.features[7]);
        const double *bd = tfc_tensor_data(b.features[2]);
        const int32_t *bi = tfc_tensor_data(b.features[3]);
        const uint8_t *bu = tfc_tensor_data(b.features[4]);
        const float *bl = tfc_tensor_data(b.labels);
        for (int64_t k = 0; k < b.rows; k++) {
            int r = (int)bid[k];
            CU_ASSERT_FATAL(r >= 0 && r < N);
            seen[r]++;
            if (r != pos++) order_kept = 0;
            for (int j = 0; j < 3; j++) {
                CU_ASSERT_EQUAL(bf[k * 3 + j], (float)(r * 10 + j));
                CU_ASSERT_EQUAL(bf13[k * 3 + j], (float)(r * 10 + j));
            }
            for (int j = 0; j < 2; j++) {
                CU_ASSERT_EQUAL(bd[k * 2 + j], r * 100.0 + j);
                char want[8];
                snprintf(want, sizeof want, "t%d.%d", r, j);
                CU_ASSERT(str_is(b.features[6], k * 2 + j, want));
                CU_ASSERT_EQUAL(bl[k * 2 + j], (float)r + 0.25f * (float)j);
            }
            CU_ASSERT_EQUAL(bi[k], -r);
            CU_ASSERT_EQUAL(bu[k], 200 + r);
            CU_ASSERT(str_is(b.features[5], k, sbuf[r]));
        }
    }
    CU_ASSERT_EQUAL(nbatches, 3);
    for (int r = 0; r < N; r++) CU_ASSERT_EQUAL(seen[r], 1);
    if (!shuffle) CU_ASSERT_TRUE(order_kept);
    tfci_input_close(p);
    tfc_input_free(in);
}

static void test_tensor_dtypes_and_shapes(void)
{
    check_mixed(0);
    check_mixed(1);
}

static void test_tensor_lifetimes(void)
{
    tfc_input_free(NULL);
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = 3;
    o.num_epochs = 2;
    tfc_input *in = seven_rows(&o);
    tfci_input_pass *p, *q;
    TFCT_OK(tfci_input_open(in, &p));
    TFCT_OK(tfci_input_open(in, &q));
    tfc_input_free(in); /* open passes keep the input alive */
    tfci_batch b, c;
    TFCT_OK(tfci_input_next(p, &b));
    /* A batch tensor the caller retains keeps its values after the next batch. */
    tfc_tensor *kept = tfc_tensor_retain(b.features[0]);
    TFCT_OK(tfci_input_next(p, &b));
    CU_ASSERT_PTR_NOT_EQUAL(b.features[0], kept);
    CU_ASSERT_EQUAL(((const float *)tfc_tensor_data(kept))[0], 0.0f);
    CU_ASSERT_EQUAL(((const float *)tfc_tensor_data(b.features[0]))[0], 3.0f);
    tfc_tensor_free(kept);
    TFCT_OK(tfci_input_next(p, &b));
    CU_ASSERT_EQUAL(((const float *)tfc_tensor_data(b.features[0]))[0], 6.0f);
    /* The other pass is independent. */
    TFCT_OK(tfci_input_next(q, &c));
    CU_ASSERT_EQUAL(((const float *)tfc_tensor_data(c.features[0]))[0], 0.0f);
    CU_ASSERT_EQUAL(((const float *)tfc_tensor_data(b.features[0]))[2], 1.0f);
    tfci_input_close(q);

    /* The end of data leaves the thread's last error alone. */
    CU_ASSERT_EQUAL(tfc_input_from_tensors(NULL, NULL, 0, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    char before[256];
    snprintf(before, sizeof before, "%s", tfc_last_error());
    while (tfci_input_next(p, &b) == TFC_OK) {
    }
    CU_ASSERT_STRING_EQUAL(tfc_last_error(), before);
    tfci_input_close(p);
}

/* A low-cardinality string column (interned inside the input) and a
 * high-cardinality one (kept as is) come out exactly as given, shuffled. */
static void test_tensor_repeated_strings(void)
{
    enum { NR = 300 };
    static const char *const words[3] = {"Private", "", "Self-emp-not-inc"};
    const char *low[NR], *high[NR];
    char buf[NR][16];
    int64_t ids[NR];
    for (int i = 0; i < NR; i++) {
        low[i] = words[(i * 7) % 3];
        snprintf(buf[i], sizeof buf[i], "id-%d", i);
        high[i] = buf[i];
        ids[i] = i;
    }
    int64_t dims[1] = {NR};
    tfc_tensor *tl, *th;
    TFCT_OK(tfc_tensor_new_strings(dims, 1, low, NULL, &tl));
    TFCT_OK(tfc_tensor_new_strings(dims, 1, high, NULL, &th));
    tfc_tensor *ti = tfct_i64(ids, dims, 1);
    const char *keys[3] = {"low", "high", "id"};
    tfc_tensor *feats[3] = {tl, th, ti};
    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.batch_size = 64;
    o.shuffle = 1;
    o.seed = 3;
    tfc_input *in;
    TFCT_OK(tfc_input_from_tensors(keys, feats, 3, NULL, &o, &in));
    tfc_tensor_free(tl); /* the input keeps what it needs */
    tfc_tensor_free(th);
    tfc_tensor_free(ti);
    tfci_input_pass *p;
    TFCT_OK(tfci_input_open(in, &p));
    tfci_batch b;
    int seen = 0;
    while (tfci_input_next(p, &b) == TFC_OK) {
        const int64_t *id = tfc_tensor_data(b.features[2]);
        for (int64_t r = 0; r < b.rows; r++, seen++) {
            const char *s;
            size_t len;
            TFCT_OK(tfc_tensor_string(b.features[0], r, &s, &len));
            CU_ASSERT(len == strlen(low[id[r]]) && !memcmp(s, low[id[r]], len));
            TFCT_OK(tfc_tensor_string(b.features[1], r, &s, &len));
            CU_ASSERT(len == strlen(high[id[r]]) && !memcmp(s, high[id[r]], len));
        }
    }
    CU_ASSERT_EQUAL(seen, NR);
    tfci_input_close(p);
    tfc_input_free(in);
}

static void test_tensor_errors(void)
{
    float x[6] = {0, 1, 2, 3, 4, 5};
    int64_t d6[] = {6}, d32[] = {3, 2}, d0[] = {0}, d5[] = {5};
    tfc_tensor *a = tfct_f32(x, d6, 1), *b = tfct_f32(x, d32, 2), *s = tfct_f32(x, NULL, 0);
    tfc_tensor *z = tfct_f32(NULL, d0, 1), *c = tfct_f32(x, d5, 1);
    tfc_input *in = (tfc_input *)1;
    const char *k2[] = {"a", "b"};
    tfc_tensor *ab[] = {a, b};

    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, ab, 0, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(in);
    TFCT_ERR_HAS("n is 0, expected at least one feature");
    CU_ASSERT_EQUAL(tfc_input_from_tensors(NULL, ab, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("keys is NULL");
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, NULL, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("features is NULL");
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, ab, 2, NULL, NULL, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("out is NULL");

    const char *knull[] = {"a", NULL}, *kempty[] = {"", "b"}, *kdup[] = {"a", "a"};
    CU_ASSERT_EQUAL(tfc_input_from_tensors(knull, ab, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("key 1 is NULL");
    CU_ASSERT_EQUAL(tfc_input_from_tensors(kempty, ab, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("key 0 is empty");
    tfc_tensor *aa[] = {a, a};
    CU_ASSERT_EQUAL(tfc_input_from_tensors(kdup, aa, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature key 'a' appears twice");

    tfc_tensor *anull[] = {a, NULL};
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, anull, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'b': the tensor is NULL");
    tfc_tensor *as[] = {a, s};
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, as, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'b' has shape [], expected rank >= 1");
    tfc_tensor *zz[] = {z};
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, zz, 1, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'a' has shape [0], expected at least one row");
    tfc_tensor *ac[] = {a, c};
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, ac, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'b' has shape [5] but feature 'a' has shape [6]");
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, ab, 2, NULL, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("feature 'b' has shape [3,2] but feature 'a' has shape [6]");

    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, &a, 1, c, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("labels have shape [5] but the features have 6 rows (feature 'a' has shape [6])");
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, &a, 1, s, NULL, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("labels have shape []");

    tfc_tensor_input_options o = TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.size = 0;
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, &a, 1, NULL, &o, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("options size 0 is not valid");
    o.size = sizeof o + 1;
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, &a, 1, NULL, &o, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("use TFC_TENSOR_INPUT_OPTIONS_INIT");
    o.size = sizeof o;
    o.batch_size = 0;
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, &a, 1, NULL, &o, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("batch_size is 0, expected >= 1");
    o.batch_size = 2;
    o.num_epochs = -3;
    CU_ASSERT_EQUAL(tfc_input_from_tensors(k2, &a, 1, NULL, &o, &in), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("num_epochs is -3, expected >= 0");
    CU_ASSERT_PTR_NULL(in);

    /* An older, smaller options struct takes the defaults for the fields it lacks. */
    o = (tfc_tensor_input_options)TFC_TENSOR_INPUT_OPTIONS_INIT;
    o.size = offsetof(tfc_tensor_input_options, shuffle);
    o.batch_size = 4;
    o.shuffle = 1; /* beyond size: ignored */
    TFCT_OK(tfc_input_from_tensors(k2, &a, 1, NULL, &o, &in));
    tfci_input_pass *p;
    tfci_batch bt;
    TFCT_OK(tfci_input_open(in, &p));
    TFCT_OK(tfci_input_next(p, &bt));
    CU_ASSERT_EQUAL(bt.rows, 4);
    CU_ASSERT_PTR_NULL(bt.labels);
    CU_ASSERT_EQUAL(((const float *)tfc_tensor_data(bt.features[0]))[3], 3.0f);
    TFCT_OK(tfci_input_next(p, &bt));
    CU_ASSERT_EQUAL(bt.rows, 2);
    tfci_input_close(p);
    tfc_input_free(in);

    CU_ASSERT_EQUAL(tfci_input_open(NULL, &p), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input is NULL");

    tfc_tensor *all[] = {a, b, s, z, c};
    for (int i = 0; i < 5; i++) tfc_tensor_free(all[i]);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"csv: batches, labels, epochs", test_csv_batches_and_epochs},
        {"csv: partial batch, no labels", test_csv_partial_batch_and_no_labels},
        {"csv: two passes", test_csv_two_passes},
        {"csv: errors", test_csv_errors},
        {"tensors: batches", test_tensor_batches},
        {"tensors: epochs", test_tensor_epochs},
        {"tensors: shuffle", test_tensor_shuffle},
        {"tensors: dtypes and shapes", test_tensor_dtypes_and_shapes},
        {"tensors: lifetimes", test_tensor_lifetimes},
        {"tensors: errors", test_tensor_errors},
        {"tensors: repeated strings", test_tensor_repeated_strings},
        {NULL, NULL},
    };
    int rc = tfct_main("input_source", cases);
    for (int i = 0; i < n_tmp_files; i++) remove(tmp_files[i]);
    return rc;
}
