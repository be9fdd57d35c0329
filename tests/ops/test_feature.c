/* Tests of the 'feature' op family: Bucketize, StringToHashBucketFast,
 * LookupVocab, HashedCross, IdentityBuckets, StringToNumber. Hash values are
 * TensorFlow's own (string_to_hash_bucket_op_test.py, sparse_cross_op_test.py,
 * fingerprint_test.cc) or FarmHash's Fingerprint64 reference implementation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tfc/ops_feature.h"

static tfc_tensor *strings(const char *const *v, const size_t *lens, const int64_t *dims, int rank)
{
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_tensor_new_strings(dims, rank, v, lens, &t));
    return t;
}

static tfc_output const_strings(tfc_graph *g, const char *const *v, int64_t n)
{
    tfc_tensor *t = strings(v, NULL, &n, 1);
    tfc_output o = tfc_const(g, t, NULL);
    tfc_tensor_free(t);
    return o;
}

static tfc_output const_t(tfc_graph *g, tfc_tensor *t)
{
    tfc_output o = tfc_const(g, t, NULL);
    tfc_tensor_free(t);
    return o;
}

static tfc_graph *new_graph(void)
{
    tfc_graph *g = NULL;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

/* Runs fetch expecting failure; returns the code (the message is in tfc_last_error). */
static tfc_code run_fails(tfc_graph *g, tfc_output fetch, const tfc_output *feeds, tfc_tensor *const *values, int n)
{
    TFCT_GRAPH_OK(g);
    tfc_session *s = NULL;
    tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
    o.num_threads = 1;
    TFCT_OK(tfc_session_new(g, &o, &s));
    tfc_tensor *out = NULL;
    tfc_code c = tfc_session_run(s, feeds, values, n, &fetch, &out, 1, NULL, 0);
    if (out) tfc_tensor_free(out);
    tfc_session_free(s);
    CU_ASSERT_NOT_EQUAL(c, TFC_OK);
    return c;
}

/* Asserts the graph's sticky error contains text, then clears it. */
static void graph_err_has(tfc_graph *g, const char *text)
{
    CU_ASSERT_NOT_EQUAL(tfc_graph_status(g), TFC_OK);
    if (!strstr(tfc_graph_error_message(g), text))
        fprintf(stderr, "\nexpected '%s' in graph error: %s\n", text, tfc_graph_error_message(g));
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), text));
    tfc_graph_clear_error(g);
}

static void check_i64(const tfc_tensor *t, const int64_t *want, int64_t n)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_INT64);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    const int64_t *v = tfc_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        if (v[i] != want[i]) fprintf(stderr, "\nelement %lld: got %lld want %lld\n", (long long)i, (long long)v[i],
                                     (long long)want[i]);
        CU_ASSERT_EQUAL(v[i], want[i]);
    }
}

static void check_i32(const tfc_tensor *t, const int32_t *want, int64_t n)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_INT32);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    const int32_t *v = tfc_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        if (v[i] != want[i]) fprintf(stderr, "\nelement %lld: got %d want %d\n", (long long)i, v[i], want[i]);
        CU_ASSERT_EQUAL(v[i], want[i]);
    }
}

static void eval_check_i64(tfc_graph *g, tfc_output y, const int64_t *want, int64_t n)
{
    tfc_tensor *t = tfct_eval(g, y, NULL, NULL, 0);
    check_i64(t, want, n);
    tfc_tensor_free(t);
}

/* ---- Bucketize ---- */

static const float bounds[] = {0.f, 10.f, 100.f};

static void test_bucketize_float(void)
{
    tfc_graph *g = new_graph();
    /* Values on a boundary go to the bucket it starts; NaN to the last one. */
    const float x[] = {-5.f, 0.f, 5.f, 10.f, 99.9f, 100.f, 1e6f, NAN, -INFINITY, INFINITY, -0.f, 9.999999f};
    const int64_t dims[] = {3, 4};
    tfc_output y = tfc_bucketize(g, const_t(g, tfct_f32(x, dims, 2)), bounds, 3, "b");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_output_dtype(y), TFC_INT32);
    int64_t sd[TFC_MAX_RANK];
    int sr;
    TFCT_OK(tfc_graph_output_shape(g, y, sd, &sr));
    CU_ASSERT_EQUAL(sr, 2);
    CU_ASSERT_EQUAL(sd[0], 3);
    CU_ASSERT_EQUAL(sd[1], 4);
    tfc_tensor *t = tfct_eval(g, y, NULL, NULL, 0);
    const int32_t want[] = {0, 1, 1, 2, 2, 3, 3, 3, 0, 3, 1, 1};
    check_i32(t, want, 12);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 2);
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_bucketize_other_dtypes(void)
{
    tfc_graph *g = new_graph();
    const double xd[] = {-1e-300, 0.0, 9.99999999, 10.0, 100.0, NAN};
    const int32_t xi[] = {-3, 0, 9, 10, 99, 100, 2147483647};
    const int64_t xl[] = {-3, 0, 9, 10, 99, 100, INT64_MAX};
    const int64_t nd = 6, ni = 7;
    tfc_output yd = tfc_bucketize(g, const_t(g, tfct_f64(xd, &nd, 1)), bounds, 3, NULL);
    tfc_output yi = tfc_bucketize(g, const_t(g, tfct_i32(xi, &ni, 1)), bounds, 3, NULL);
    tfc_output yl = tfc_bucketize(g, const_t(g, tfct_i64(xl, &ni, 1)), bounds, 3, NULL);
    /* One boundary: two buckets. */
    const float one = 0.5f;
    tfc_output y1 = tfc_bucketize(g, const_t(g, tfct_f64(xd, &nd, 1)), &one, 1, NULL);
    TFCT_GRAPH_OK(g);
    tfc_tensor *t = tfct_eval(g, yd, NULL, NULL, 0);
    const int32_t wd[] = {0, 1, 1, 2, 3, 3};
    check_i32(t, wd, 6);
    tfc_tensor_free(t);
    const int32_t wi[] = {0, 1, 1, 2, 2, 3, 3};
    t = tfct_eval(g, yi, NULL, NULL, 0);
    check_i32(t, wi, 7);
    tfc_tensor_free(t);
    t = tfct_eval(g, yl, NULL, NULL, 0);
    check_i32(t, wi, 7);
    tfc_tensor_free(t);
    const int32_t w1[] = {0, 0, 1, 1, 1, 1};
    t = tfct_eval(g, y1, NULL, NULL, 0);
    check_i32(t, w1, 6);
    tfc_tensor_free(t);

    /* Empty input and an unknown-shape placeholder. */
    const int64_t zero = 0;
    tfc_output ye = tfc_bucketize(g, const_t(g, tfct_f32(NULL, &zero, 1)), bounds, 3, NULL);
    tfc_output p = tfc_placeholder(g, TFC_FLOAT, NULL, -1, "p");
    tfc_output yp = tfc_bucketize(g, p, bounds, 3, NULL);
    TFCT_GRAPH_OK(g);
    t = tfct_eval(g, ye, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 0);
    tfc_tensor_free(t);
    const float px[] = {50.f};
    tfc_tensor *pv = tfct_f32(px, NULL, 0);
    t = tfct_eval(g, yp, &p, &pv, 1);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 0);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[0], 2);
    tfc_tensor_free(t);
    tfc_tensor_free(pv);
    tfc_graph_free(g);
}

static void test_bucketize_errors(void)
{
    tfc_graph *g = new_graph();
    const float x[] = {1.f};
    const int64_t n = 1;
    tfc_output c = const_t(g, tfct_f32(x, &n, 1));
    const float same[] = {0.f, 1.f, 1.f};
    tfc_bucketize(g, c, same, 3, "bz");
    graph_err_has(g, "strictly increasing");
    const float down[] = {2.f, 1.f};
    tfc_bucketize(g, c, down, 2, "bz");
    graph_err_has(g, "boundaries[1] = 1 after 2");
    const float nan[] = {0.f, NAN};
    tfc_bucketize(g, c, nan, 2, NULL);
    graph_err_has(g, "boundaries[1] is NaN");
    tfc_bucketize(g, c, bounds, 0, NULL);
    graph_err_has(g, "must not be empty");
    const char *s[] = {"a"};
    tfc_bucketize(g, const_strings(g, s, 1), bounds, 3, NULL);
    graph_err_has(g, "input must be float, double, int32 or int64, got");
    /* The op is named in construction errors. */
    tfc_bucketize(g, c, down, 2, "my_bucket");
    graph_err_has(g, "my_bucket");
    /* Generic builder without the attribute. */
    tfc_op_builder *b = tfc_op_builder_new(g, "Bucketize", NULL);
    tfc_op_builder_add_input(b, c);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("'boundaries'");
    tfc_graph_free(g);
}

/* Gradients stop at feature ops: they are marked not differentiable. */
static void test_not_differentiable(void)
{
    tfc_graph *g = new_graph();
    tfc_output x = tfc_placeholder(g, TFC_DOUBLE, NULL, -1, "x");
    tfc_output y = tfc_cast(g, tfc_bucketize(g, x, bounds, 3, NULL), TFC_DOUBLE, NULL);
    TFCT_GRAPH_OK(g);
    tfc_output dx = {NULL, 0};
    TFCT_OK(tfc_graph_add_gradients(g, &y, 1, &x, 1, NULL, &dx));
    CU_ASSERT_PTR_NULL(dx.op);
    tfc_graph_free(g);
}

/* ---- StringToHashBucketFast ---- */

static void test_hash_bucket_tf_values(void)
{
    tfc_graph *g = new_graph();
    const char *v[] = {"a", "b", "c", "d"};
    tfc_output x = const_strings(g, v, 4);
    /* string_to_hash_bucket_op_test.py: [9, 2, 2, 5] and all zero with 1 bucket. */
    tfc_output y10 = tfc_string_to_hash_bucket_fast(g, x, 10, NULL);
    tfc_output y1 = tfc_string_to_hash_bucket_fast(g, x, 1, NULL);
    /* Fingerprint64 itself: num_buckets INT64_MAX keeps values below 2^63. */
    tfc_output ybig = tfc_string_to_hash_bucket_fast(g, x, INT64_MAX, NULL);
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_output_dtype(y10), TFC_INT64);
    const int64_t w10[] = {9, 2, 2, 5}, w1[] = {0, 0, 0, 0};
    eval_check_i64(g, y10, w10, 4);
    eval_check_i64(g, y1, w1, 4);
    const uint64_t fp[] = {UINT64_C(12917804110809363939), UINT64_C(11795596070477164822),
                           UINT64_C(11430444447143000872), UINT64_C(4470636696479570465)};
    int64_t wbig[4];
    for (int i = 0; i < 4; i++) wbig[i] = (int64_t)(fp[i] % (uint64_t)INT64_MAX);
    eval_check_i64(g, ybig, wbig, 4);
    tfc_graph_free(g);
}

/* Fingerprint64 over every length class of FarmHash (0, 1-3, 4-7, 8-16,
 * 17-32, 33-64, > 64 bytes, several 64-byte blocks): "Hello"/"World" are
 * TensorFlow's fingerprint_test.cc values, the others FarmHash's reference
 * farmhashna::Hash64. Bucket count 2^63-1 exposes nearly the whole hash. */
static void test_fingerprint64_lengths(void)
{
    static const struct {
        const char *s;
        uint64_t fp;
    } cases[] = {
        {"", UINT64_C(11160318154034397263)},
        {"Hello", UINT64_C(15404698994557526151)},
        {"World", UINT64_C(18308117990299812472)},
        {"batch1-FC1-F1", UINT64_C(9500645273450923559)},
        {"abcdefghijklmnopq", UINT64_C(11394395984755135400)},
        {"The quick brown fox jumps", UINT64_C(1503448500679765431)},
        {"The quick brown fox jumps over the lazy dog", UINT64_C(12375473906752639284)},
        {"0123456789012345678901234567890123456789012345678901234567890123", UINT64_C(11636146988777055769)},
        {"The quick brown fox jumps over the lazy dog, then the lazy dog sleeps a lot",
         UINT64_C(4099378584730821162)},
        {"The quick brown fox jumps over the lazy dog, then the lazy dog sleeps, and the fox runs far away "
         "1234567890 and so on for ever and ever amen",
         UINT64_C(3616595014613942462)},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    const char *v[N];
    int64_t want[N];
    for (int i = 0; i < N; i++) {
        v[i] = cases[i].s;
        want[i] = (int64_t)(cases[i].fp % (uint64_t)INT64_MAX);
    }
    tfc_graph *g = new_graph();
    tfc_output y = tfc_string_to_hash_bucket_fast(g, const_strings(g, v, N), INT64_MAX, NULL);
    eval_check_i64(g, y, want, N);

    /* Unaligned data and embedded NUL bytes hash as bytes. */
    const char *emb[] = {"a\0b", "a"};
    const size_t lens[] = {3, 1};
    const int64_t two = 2;
    tfc_output y2 = tfc_string_to_hash_bucket_fast(g, const_t(g, strings(emb, lens, &two, 1)), INT64_MAX, NULL);
    tfc_tensor *t = tfct_eval(g, y2, NULL, NULL, 0);
    const int64_t *r = tfc_tensor_data(t);
    CU_ASSERT_NOT_EQUAL(r[0], r[1]);
    CU_ASSERT_EQUAL(r[1], (int64_t)(UINT64_C(12917804110809363939) % (uint64_t)INT64_MAX));
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_hash_bucket_errors(void)
{
    tfc_graph *g = new_graph();
    const char *v[] = {"a"};
    tfc_output x = const_strings(g, v, 1);
    tfc_string_to_hash_bucket_fast(g, x, 0, "h");
    graph_err_has(g, "num_buckets must be > 0, got 0");
    tfc_string_to_hash_bucket_fast(g, x, -3, "h");
    graph_err_has(g, "(StringToHashBucketFast)");
    const float f[] = {1.f};
    const int64_t n = 1;
    tfc_string_to_hash_bucket_fast(g, const_t(g, tfct_f32(f, &n, 1)), 10, NULL);
    graph_err_has(g, "input 0 must be a string tensor, got");
    tfc_graph_free(g);
}

/* ---- LookupVocab ---- */

static const char *const colors[] = {"red", "green", "blue", ""};

static void test_vocab_strings(void)
{
    tfc_graph *g = new_graph();
    const char *keys[] = {"green", "red", "purple", "", "blue", "Red", "gree", "greenn"};
    const int64_t dims[] = {2, 4};
    tfc_output x = const_t(g, strings(keys, NULL, dims, 2));
    tfc_output y = tfc_lookup_vocab(g, x, colors, 4, 0, -1, "v");
    tfc_output yd = tfc_lookup_vocab(g, x, colors, 4, 0, 7, NULL);
    TFCT_GRAPH_OK(g);
    int64_t sd[TFC_MAX_RANK];
    int sr;
    TFCT_OK(tfc_graph_output_shape(g, y, sd, &sr));
    CU_ASSERT_EQUAL(sr, 2);
    CU_ASSERT_EQUAL(tfc_output_dtype(y), TFC_INT64);
    const int64_t w[] = {1, 0, -1, 3, 2, -1, -1, -1};
    eval_check_i64(g, y, w, 8);
    const int64_t wd[] = {1, 0, 7, 3, 2, 7, 7, 7};
    eval_check_i64(g, yd, wd, 8);
    tfc_graph_free(g);
}

static void test_vocab_oov_buckets(void)
{
    tfc_graph *g = new_graph();
    /* Unknown keys: 4 + Fingerprint64(key) % 10 ("a" -> 9, "b" -> 2, "c" -> 2, "d" -> 5). */
    const char *keys[] = {"a", "blue", "b", "c", "d", "red"};
    tfc_output y = tfc_lookup_vocab(g, const_strings(g, keys, 6), colors, 4, 10, -1, NULL);
    const int64_t w[] = {13, 2, 6, 6, 9, 0};
    eval_check_i64(g, y, w, 6);
    tfc_output y1 = tfc_lookup_vocab(g, const_strings(g, keys, 6), colors, 4, 1, -1, NULL);
    const int64_t w1[] = {4, 2, 4, 4, 4, 0};
    eval_check_i64(g, y1, w1, 6);
    tfc_graph_free(g);
}

static void test_vocab_large(void)
{
    /* 1000 words: every one found at its index, misses return default. */
    enum { N = 1000 };
    static char buf[N][16];
    const char *voc[N], *keys[N + 2];
    int64_t want[N + 2];
    for (int i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "w%d", i * 7);
        voc[i] = buf[i];
        keys[N - 1 - i] = buf[i];
        want[N - 1 - i] = i;
    }
    keys[N] = "w1", want[N] = -2;
    keys[N + 1] = "w7000", want[N + 1] = -2;
    tfc_graph *g = new_graph();
    tfc_output y = tfc_lookup_vocab(g, const_strings(g, keys, N + 2), voc, N, 0, -2, NULL);
    eval_check_i64(g, y, want, N + 2);
    tfc_graph_free(g);
}

static void test_vocab_ints(void)
{
    tfc_graph *g = new_graph();
    const int64_t voc[] = {10, -5, 0, INT64_MAX, INT64_MIN};
    const int64_t keys[] = {0, 10, -5, 3, INT64_MIN, INT64_MAX, 11};
    const int32_t keys32[] = {0, 10, -5, 3};
    const int64_t n = 7, n32 = 4;
    tfc_output y = tfc_lookup_vocab_ints(g, const_t(g, tfct_i64(keys, &n, 1)), voc, 5, 0, -1, NULL);
    tfc_output y32 = tfc_lookup_vocab_ints(g, const_t(g, tfct_i32(keys32, &n32, 1)), voc, 5, 0, 99, NULL);
    TFCT_GRAPH_OK(g);
    const int64_t w[] = {2, 0, 1, -1, 4, 3, -1};
    eval_check_i64(g, y, w, 7);
    const int64_t w32[] = {2, 0, 1, 99};
    eval_check_i64(g, y32, w32, 4);

    /* OOV ints (vocabulary {10}) hash their decimal form: 3 -> Fingerprint64("3"), -17 -> "-17";
     * cross-checked with StringToHashBucketFast on the strings. */
    const int64_t oovk[] = {3, -17, 123456789, INT64_MIN};
    const char *oovs[] = {"3", "-17", "123456789", "-9223372036854775808"};
    const int64_t n4 = 4;
    tfc_output yo = tfc_lookup_vocab_ints(g, const_t(g, tfct_i64(oovk, &n4, 1)), voc, 1, 1000, -1, NULL);
    tfc_output hs = tfc_string_to_hash_bucket_fast(g, const_strings(g, oovs, 4), 1000, NULL);
    TFCT_GRAPH_OK(g);
    tfc_tensor *a = tfct_eval(g, yo, NULL, NULL, 0), *b = tfct_eval(g, hs, NULL, NULL, 0);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(a))[i], 1 + ((int64_t *)tfc_tensor_data(b))[i]);
    tfc_tensor_free(a);
    tfc_tensor_free(b);
    tfc_graph_free(g);
}

static void test_vocab_file(void)
{
    char path[] = "/tmp/tfc_vocab_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char text[] = "red\r\ngreen\nblue\n\nlast"; /* entries: red green blue "" last */
    CU_ASSERT_EQUAL_FATAL(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    tfc_graph *g = new_graph();
    const char *keys[] = {"last", "", "green", "red", "blue", "red\r", "nope"};
    tfc_output y = tfc_lookup_vocab_file(g, const_strings(g, keys, 7), path, 0, -1, NULL);
    const int64_t w[] = {4, 3, 1, 0, 2, -1, -1};
    eval_check_i64(g, y, w, 7);

    /* Duplicates, empty file, missing file. */
    FILE *f = fopen(path, "wb");
    fputs("a\nb\na\n", f);
    fclose(f);
    tfc_lookup_vocab_file(g, const_strings(g, keys, 1), path, 0, -1, NULL);
    graph_err_has(g, "duplicate vocabulary entry \"a\" (0 and 2)");
    f = fopen(path, "wb");
    fclose(f);
    tfc_lookup_vocab_file(g, const_strings(g, keys, 1), path, 0, -1, NULL);
    graph_err_has(g, "is empty");
    remove(path);
    tfc_lookup_vocab_file(g, const_strings(g, keys, 1), path, 0, -1, NULL);
    graph_err_has(g, "cannot open vocabulary file");
    tfc_graph_free(g);
}

static void test_vocab_errors(void)
{
    tfc_graph *g = new_graph();
    const char *k[] = {"a"};
    tfc_output x = const_strings(g, k, 1);
    const char *dup[] = {"x", "y", "x"};
    tfc_lookup_vocab(g, x, dup, 3, 0, -1, NULL);
    graph_err_has(g, "duplicate vocabulary entry \"x\" (0 and 2)");
    const int64_t idup[] = {4, 4};
    const int64_t one = 1;
    const int64_t iv[] = {1};
    tfc_output xi = const_t(g, tfct_i64(iv, &one, 1));
    tfc_lookup_vocab_ints(g, xi, idup, 2, 0, -1, NULL);
    graph_err_has(g, "duplicate vocabulary entry 4 (0 and 1)");
    tfc_lookup_vocab(g, x, colors, 0, 0, -1, NULL);
    graph_err_has(g, "vocabulary is empty");
    tfc_lookup_vocab(g, x, colors, 4, 2, 5, "lv");
    graph_err_has(g, "cannot have both default_value (5) and num_oov_buckets (2)");
    tfc_lookup_vocab(g, x, colors, 4, -1, -1, NULL);
    graph_err_has(g, "num_oov_buckets must be >= 0");
    /* Key dtype must match the vocabulary. */
    tfc_lookup_vocab(g, xi, colors, 4, 0, -1, NULL);
    graph_err_has(g, "keys must be strings");
    tfc_lookup_vocab_ints(g, x, iv, 1, 0, -1, NULL);
    graph_err_has(g, "keys must be int32 or int64");

    /* Generic builder: the table is required and checked against the vocabulary. */
    tfc_op_builder *b = tfc_op_builder_new(g, "LookupVocab", NULL);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_string_list(b, "vocabulary", colors, 4);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("'_table'");
    const int64_t cap = 8;
    tfc_tensor *bad = NULL;
    TFCT_OK(tfc_tensor_new(TFC_INT64, &cap, 1, NULL, 0, &bad)); /* all zeros: slot 0 -> index 0 everywhere */
    b = tfc_op_builder_new(g, "LookupVocab", NULL);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_string_list(b, "vocabulary", colors, 4);
    tfc_op_builder_set_attr_tensor(b, "_table", bad);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("'_table' holds 8 entries for 4 words");
    int64_t *d = tfc_tensor_data(bad);
    for (int i = 0; i < 8; i++) d[i] = -1;
    d[0] = 0, d[1] = 1, d[2] = 2, d[3] = 3; /* right count, wrong tags */
    b = tfc_op_builder_new(g, "LookupVocab", NULL);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_string_list(b, "vocabulary", colors, 4);
    tfc_op_builder_set_attr_tensor(b, "_table", bad);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("does not match");
    d[0] = 9; /* index out of range */
    b = tfc_op_builder_new(g, "LookupVocab", NULL);
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_string_list(b, "vocabulary", colors, 4);
    tfc_op_builder_set_attr_tensor(b, "_table", bad);
    CU_ASSERT_NOT_EQUAL(tfc_op_builder_finish(b, NULL), TFC_OK);
    TFCT_ERR_HAS("out-of-range slot 0");
    tfc_tensor_free(bad);
    tfc_graph_free(g);
}

/* ---- HashedCross ---- */

static void test_hashed_cross_tf_values(void)
{
    /* sparse_cross_op_test.py: crossing 'batch1-FC1-F1' x 'batch1-FC2-F1' x
     * 'batch1-FC3-F1' gives 1971693436396284976 (no buckets), 83 (100 buckets),
     * and with hash_key + 1: 4847552627144134031 and 31. */
    tfc_graph *g = new_graph();
    const char *c1[] = {"batch1-FC1-F1"}, *c2[] = {"batch1-FC2-F1"}, *c3[] = {"batch1-FC3-F1"};
    tfc_output cols[3] = {const_strings(g, c1, 1), const_strings(g, c2, 1), const_strings(g, c3, 1)};
    tfc_output y0 = tfc_hashed_cross(g, cols, 3, 0, TFC_DEFAULT_HASH_KEY, NULL);
    tfc_output y100 = tfc_hashed_cross(g, cols, 3, 100, TFC_DEFAULT_HASH_KEY, NULL);
    tfc_output k0 = tfc_hashed_cross(g, cols, 3, 0, TFC_DEFAULT_HASH_KEY + 1, NULL);
    tfc_output k100 = tfc_hashed_cross(g, cols, 3, 100, TFC_DEFAULT_HASH_KEY + 1, NULL);
    TFCT_GRAPH_OK(g);
    const int64_t w0[] = {INT64_C(1971693436396284976)}, w100[] = {83};
    const int64_t wk0[] = {INT64_C(4847552627144134031)}, wk100[] = {31};
    eval_check_i64(g, y0, w0, 1);
    eval_check_i64(g, y100, w100, 1);
    eval_check_i64(g, k0, wk0, 1);
    eval_check_i64(g, k100, wk100, 1);
    /* The default key is TensorFlow's when the attribute is absent. */
    tfc_op_builder *b = tfc_op_builder_new(g, "HashedCross", NULL);
    tfc_op_builder_add_inputs(b, cols, 3);
    tfc_op *op = NULL;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    eval_check_i64(g, tfc_op_output(op, 0), w0, 1);
    tfc_graph_free(g);
}

/* FingerprintCat64 chain computed by hand for integer columns. */
static uint64_t shift_mix(uint64_t v) { return v ^ (v >> 47); }
static uint64_t cat64(uint64_t a, uint64_t b)
{
    const uint64_t m = UINT64_C(0xc6a4a7935bd1e995);
    uint64_t r = a ^ m;
    r ^= shift_mix(b * m) * m;
    r *= m;
    r = shift_mix(r) * m;
    return shift_mix(r);
}

static void test_hashed_cross_mixed(void)
{
    tfc_graph *g = new_graph();
    /* Integer ids enter the cross as themselves (TensorFlow does not hash
     * them), strings by Fingerprint64; rows are independent; [batch,1] works. */
    const int64_t ids[] = {3, -1, 359, 359 + 1024};
    const int32_t ids32[] = {7, 0, 1, 1};
    const char *s[] = {"a", "b", "a", "a"};
    const int64_t n = 4, d2[] = {4, 1};
    tfc_output cols[3] = {const_t(g, tfct_i64(ids, &n, 1)), const_t(g, tfct_i32(ids32, d2, 2)),
                          const_strings(g, s, 4)};
    tfc_output y = tfc_hashed_cross(g, cols, 3, 1000, 42, NULL);
    TFCT_GRAPH_OK(g);
    int64_t sd[TFC_MAX_RANK];
    int sr;
    TFCT_OK(tfc_graph_output_shape(g, y, sd, &sr));
    CU_ASSERT_EQUAL(sr, 1);
    CU_ASSERT_EQUAL(sd[0], 4);
    const uint64_t fa = UINT64_C(12917804110809363939), fb = UINT64_C(11795596070477164822);
    const uint64_t fs[] = {fa, fb, fa, fa};
    int64_t want[4];
    for (int r = 0; r < 4; r++)
        want[r] = (int64_t)(cat64(cat64(cat64(42, (uint64_t)ids[r]), (uint64_t)(int64_t)ids32[r]), fs[r]) % 1000);
    eval_check_i64(g, y, want, 4);
    /* 359 and 359+1024 share their low 10 bits but do not collide (TF's no-collision test idea). */
    CU_ASSERT_NOT_EQUAL(want[2], want[3]);

    /* A single column and an empty batch. */
    tfc_output y1 = tfc_hashed_cross(g, cols, 1, 0, 5, NULL);
    int64_t w1[4];
    for (int r = 0; r < 4; r++) w1[r] = (int64_t)(cat64(5, (uint64_t)ids[r]) % (uint64_t)INT64_MAX);
    eval_check_i64(g, y1, w1, 4);
    const int64_t zero = 0;
    tfc_output ce = const_t(g, tfct_i64(NULL, &zero, 1));
    tfc_output ye = tfc_hashed_cross(g, &ce, 1, 10, 5, NULL);
    tfc_tensor *t = tfct_eval(g, ye, NULL, NULL, 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 0);
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

static void test_hashed_cross_errors(void)
{
    tfc_graph *g = new_graph();
    const int64_t a[] = {1, 2, 3}, n3 = 3, n2 = 2, d22[] = {1, 2};
    const float f[] = {1.f, 2.f, 3.f};
    tfc_output c3 = const_t(g, tfct_i64(a, &n3, 1)), c2 = const_t(g, tfct_i64(a, &n2, 1));
    tfc_output m = const_t(g, tfct_i64(a, d22, 2)), cf = const_t(g, tfct_f32(f, &n3, 1));
    tfc_output cols[2] = {c3, c2};
    tfc_hashed_cross(g, cols, 2, 10, 1, "hc");
    graph_err_has(g, "column 1 has 2 rows, an earlier column has 3");
    cols[1] = m;
    tfc_hashed_cross(g, cols, 2, 10, 1, "hc");
    graph_err_has(g, "multi-valent crosses are not supported");
    cols[1] = cf;
    tfc_hashed_cross(g, cols, 2, 10, 1, "hc");
    graph_err_has(g, "column 1 must be string, int32 or int64, got");
    tfc_hashed_cross(g, cols, 1, -1, 1, "hc");
    graph_err_has(g, "num_buckets must be >= 0");
    tfc_hashed_cross(g, cols, 0, 10, 1, "hc");
    CU_ASSERT_NOT_EQUAL(tfc_graph_status(g), TFC_OK);
    tfc_graph_clear_error(g);

    /* Batch sizes only known at run time. */
    tfc_output p1 = tfc_placeholder(g, TFC_INT64, NULL, -1, "p1");
    tfc_output p2 = tfc_placeholder(g, TFC_STRING, NULL, -1, "p2");
    tfc_output pc[2] = {p1, p2};
    tfc_output y = tfc_hashed_cross(g, pc, 2, 10, 1, "late");
    TFCT_GRAPH_OK(g);
    const char *s[] = {"x", "y"};
    tfc_tensor *v[2] = {tfct_i64(a, &n3, 1), strings(s, NULL, &n2, 1)};
    run_fails(g, y, pc, v, 2);
    TFCT_ERR_HAS("late");
    TFCT_ERR_HAS("column 1 has shape [2], expected [3] or [3,1]");
    tfc_tensor_free(v[1]);
    v[1] = strings(s, NULL, NULL, 0); /* a scalar */
    run_fails(g, y, pc, v, 2);
    TFCT_ERR_HAS("column 1 has shape [], expected [batch] or [batch,1]");
    tfc_tensor_free(v[0]);
    tfc_tensor_free(v[1]);
    tfc_graph_free(g);
}

/* ---- IdentityBuckets ---- */

static void test_identity_buckets(void)
{
    tfc_graph *g = new_graph();
    const int64_t x[] = {0, 4, 5, -1, 2, INT64_MAX};
    const int32_t x32[] = {0, 4, 5, -1};
    const int64_t n = 6, n4 = 4;
    tfc_output yd = tfc_identity_buckets(g, const_t(g, tfct_i64(x, &n, 1)), 5, 3, NULL);
    tfc_output y32 = tfc_identity_buckets(g, const_t(g, tfct_i32(x32, &n4, 1)), 5, 0, NULL);
    tfc_output ok = tfc_identity_buckets(g, const_t(g, tfct_i64(x, &n4, 1)), 6, -1, NULL);
    TFCT_GRAPH_OK(g);
    const int64_t wd[] = {0, 4, 3, 3, 2, 3}, w32[] = {0, 4, 0, 0};
    eval_check_i64(g, yd, wd, 6);
    eval_check_i64(g, y32, w32, 4);

    /* Without a default, out-of-range values are a run-time error naming op, element and value. */
    tfc_output p = tfc_placeholder(g, TFC_INT64, NULL, -1, "ids");
    tfc_output y = tfc_identity_buckets(g, p, 5, -1, "ident");
    TFCT_GRAPH_OK(g);
    tfc_tensor *v = tfct_i64(x, &n, 1);
    run_fails(g, y, &p, &v, 1);
    TFCT_ERR_HAS("ident");
    TFCT_ERR_HAS("element 2 is 5, expected a value in [0, 5)");
    tfc_tensor_free(v);
    const int64_t good[] = {4, 0, 1};
    const int64_t n3 = 3;
    v = tfct_i64(good, &n3, 1);
    tfc_tensor *t = tfct_eval(g, y, &p, &v, 1);
    check_i64(t, good, 3);
    tfc_tensor_free(t);
    tfc_tensor_free(v);
    run_fails(g, ok, NULL, NULL, 0);
    TFCT_ERR_HAS("element 3 is -1");

    tfc_identity_buckets(g, p, 0, -1, "ib");
    graph_err_has(g, "num_buckets must be > 0");
    tfc_identity_buckets(g, p, 5, 5, "ib");
    graph_err_has(g, "default_value 5 must be -1 (none) or in [0, 5)");
    const float f[] = {1.f};
    tfc_identity_buckets(g, const_t(g, tfct_f32(f, &n4, 0)), 5, -1, "ib");
    graph_err_has(g, "input must be int32 or int64, got");
    tfc_graph_free(g);
}

/* ---- StringToNumber ---- */

static void test_string_to_number(void)
{
    tfc_graph *g = new_graph();
    const char *fs[] = {"1.5", " -2 ", "3e2", "inf", "-0", "\t7\n", "1e40", "0.1"};
    tfc_output xf = const_strings(g, fs, 8);
    tfc_output yf = tfc_string_to_number(g, xf, TFC_FLOAT, NULL);
    tfc_output yd = tfc_string_to_number(g, xf, TFC_DOUBLE, NULL);
    const char *is[] = {"0", "-2147483648", "2147483647", "+12", " 42 ", "-0"};
    tfc_output xi = const_strings(g, is, 6);
    tfc_output yi = tfc_string_to_number(g, xi, TFC_INT32, NULL);
    const char *ls[] = {"9223372036854775807", "-9223372036854775808", "123"};
    tfc_output yl = tfc_string_to_number(g, const_strings(g, ls, 3), TFC_INT64, NULL);
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_output_dtype(yf), TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_output_dtype(yl), TFC_INT64);
    tfc_tensor *t = tfct_eval(g, yf, NULL, NULL, 0);
    const float *f = tfc_tensor_data(t);
    CU_ASSERT_EQUAL(f[0], 1.5f);
    CU_ASSERT_EQUAL(f[1], -2.f);
    CU_ASSERT_EQUAL(f[2], 300.f);
    CU_ASSERT_TRUE(isinf(f[3]) && f[3] > 0);
    CU_ASSERT_TRUE(f[4] == 0.f && signbit(f[4]));
    CU_ASSERT_EQUAL(f[5], 7.f);
    CU_ASSERT_TRUE(isinf(f[6]));
    CU_ASSERT_EQUAL(f[7], 0.1f);
    tfc_tensor_free(t);
    t = tfct_eval(g, yd, NULL, NULL, 0);
    const double *d = tfc_tensor_data(t);
    CU_ASSERT_EQUAL(d[0], 1.5);
    CU_ASSERT_EQUAL(d[6], 1e40);
    CU_ASSERT_EQUAL(d[7], 0.1);
    tfc_tensor_free(t);
    t = tfct_eval(g, yi, NULL, NULL, 0);
    const int32_t wi[] = {0, INT32_MIN, INT32_MAX, 12, 42, 0};
    check_i32(t, wi, 6);
    tfc_tensor_free(t);
    const int64_t wl[] = {INT64_MAX, INT64_MIN, 123};
    eval_check_i64(g, yl, wl, 3);
    tfc_graph_free(g);
}

static void test_string_to_number_errors(void)
{
    static const struct {
        const char *s;
        tfc_dtype t;
        const char *msg;
    } bad[] = {
        {"", TFC_FLOAT, "element 1 (\"\") is not a valid float"},
        {"   ", TFC_DOUBLE, "element 1 (\"   \") is not a valid"},
        {"1.5x", TFC_FLOAT, "element 1 (\"1.5x\")"},
        {"abc", TFC_DOUBLE, "element 1 (\"abc\")"},
        {"1.5", TFC_INT32, "element 1 (\"1.5\") is not a valid int32"},
        {"2147483648", TFC_INT32, "not a valid int32"},
        {"-2147483649", TFC_INT32, "not a valid int32"},
        {"9223372036854775808", TFC_INT64, "not a valid int64"},
        {"-9223372036854775809", TFC_INT64, "not a valid int64"},
        {"-", TFC_INT64, "element 1"},
        {"+", TFC_INT32, "element 1"},
        {"1 2", TFC_INT64, "element 1"},
        {"0x10", TFC_INT64, "element 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tfc_graph *g = new_graph();
        tfc_output p = tfc_placeholder(g, TFC_STRING, NULL, -1, "p");
        tfc_output y = tfc_string_to_number(g, p, bad[i].t, "parse");
        const char *v[] = {"1", bad[i].s};
        const int64_t n = 2;
        tfc_tensor *t = strings(v, NULL, &n, 1);
        run_fails(g, y, &p, &t, 1);
        TFCT_ERR_HAS("parse");
        TFCT_ERR_HAS(bad[i].msg);
        tfc_tensor_free(t);
        tfc_graph_free(g);
    }
    /* Embedded NUL and over-long strings. */
    tfc_graph *g = new_graph();
    tfc_output p = tfc_placeholder(g, TFC_STRING, NULL, -1, "p");
    tfc_output y = tfc_string_to_number(g, p, TFC_DOUBLE, "parse");
    char longs[300];
    memset(longs, '1', sizeof longs);
    const char *v[] = {"1\0002", longs};
    const size_t lens[] = {3, sizeof longs};
    const int64_t one = 1;
    tfc_tensor *t = strings(v, lens, &one, 1);
    run_fails(g, y, &p, &t, 1);
    TFCT_ERR_HAS("element 0");
    tfc_tensor_free(t);
    t = strings(v + 1, lens + 1, &one, 1);
    run_fails(g, y, &p, &t, 1);
    TFCT_ERR_HAS("element 0 (\"1111111111111111111111111111111111111111...\")");
    tfc_tensor_free(t);

    tfc_string_to_number(g, p, TFC_BOOL, "sn");
    graph_err_has(g, "out_type must be float, double, int32 or int64");
    const float f[] = {1.f};
    tfc_string_to_number(g, const_t(g, tfct_f32(f, &one, 1)), TFC_FLOAT, "sn");
    graph_err_has(g, "must be a string tensor");
    tfc_graph_free(g);
}

/* A census-like row end to end: parse, bucketize, look up, cross. */
static void test_pipeline(void)
{
    tfc_graph *g = new_graph();
    const char *age_s[] = {"17", "38", "90"};
    const char *edu_s[] = {"Bachelors", "HS-grad", "Doctorate"};
    tfc_output age = tfc_string_to_number(g, const_strings(g, age_s, 3), TFC_FLOAT, NULL);
    const float ab[] = {18, 25, 30, 35, 40, 45, 50, 55, 60, 65};
    tfc_output age_b = tfc_bucketize(g, age, ab, 10, NULL);
    const char *voc[] = {"Bachelors", "HS-grad", "Masters"};
    tfc_output edu = tfc_lookup_vocab(g, const_strings(g, edu_s, 3), voc, 3, 0, -1, NULL);
    tfc_output cols[2] = {age_b, const_strings(g, edu_s, 3)};
    tfc_output cross = tfc_hashed_cross(g, cols, 2, 1000, TFC_DEFAULT_HASH_KEY, NULL);
    TFCT_GRAPH_OK(g);
    tfc_tensor *t = tfct_eval(g, age_b, NULL, NULL, 0);
    const int32_t wa[] = {0, 4, 10};
    check_i32(t, wa, 3);
    tfc_tensor_free(t);
    const int64_t we[] = {0, 1, -1};
    eval_check_i64(g, edu, we, 3);
    t = tfct_eval(g, cross, NULL, NULL, 0);
    const int64_t *c = tfc_tensor_data(t);
    /* Fingerprint64 of the education strings (FarmHash reference values). */
    const uint64_t fe[] = {UINT64_C(16203445660475879456), UINT64_C(1120494822492465621),
                           UINT64_C(9973297410303420169)};
    for (int r = 0; r < 3; r++)
        CU_ASSERT_EQUAL(c[r], (int64_t)(cat64(cat64(TFC_DEFAULT_HASH_KEY, (uint64_t)wa[r]), fe[r]) % 1000));
    tfc_tensor_free(t);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"bucketize float", test_bucketize_float},
        {"bucketize other dtypes", test_bucketize_other_dtypes},
        {"bucketize errors", test_bucketize_errors},
        {"not differentiable", test_not_differentiable},
        {"hash bucket TF values", test_hash_bucket_tf_values},
        {"fingerprint64 lengths", test_fingerprint64_lengths},
        {"hash bucket errors", test_hash_bucket_errors},
        {"vocab strings", test_vocab_strings},
        {"vocab oov buckets", test_vocab_oov_buckets},
        {"vocab large", test_vocab_large},
        {"vocab ints", test_vocab_ints},
        {"vocab file", test_vocab_file},
        {"vocab errors", test_vocab_errors},
        {"hashed cross TF values", test_hashed_cross_tf_values},
        {"hashed cross mixed", test_hashed_cross_mixed},
        {"hashed cross errors", test_hashed_cross_errors},
        {"identity buckets", test_identity_buckets},
        {"string to number", test_string_to_number},
        {"string to number errors", test_string_to_number_errors},
        {"pipeline", test_pipeline},
        {NULL, NULL},
    };
    return tfct_main("feature", cases);
}
