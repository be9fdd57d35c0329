/* Feature columns: construction errors, placeholders, and the values of every
 * column's compiled ops on small hand-checked batches. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tfc/feature_column.h"

/* A graph with the columns' placeholders; the session is made on first run
 * (after the caller built everything) and runs the variables' initializers. */
typedef struct fx {
    tfc_graph *g;
    tfc_features *f;
    tfc_session *s;
} fx;

static void fx_new(fx *x, const tfc_feature_column *const *cols, int n)
{
    memset(x, 0, sizeof *x);
    TFCT_OK(tfc_graph_new(&x->g));
    tfc_graph_set_seed(x->g, 7);
    TFCT_OK(tfc_feature_placeholders_new(x->g, cols, n, &x->f));
}

static void fx_free(fx *x)
{
    tfc_session_free(x->s);
    tfc_features_free(x->f);
    tfc_graph_free(x->g);
}

static tfc_session *fx_session(fx *x)
{
    if (!x->s) {
        TFCT_GRAPH_OK(x->g);
        tfc_op *init = tfc_global_variables_initializer(x->g);
        TFCT_GRAPH_OK(x->g);
        tfc_session_options o = TFC_SESSION_OPTIONS_INIT;
        o.num_threads = 1;
        TFCT_OK(tfc_session_new(x->g, &o, &x->s));
        TFCT_OK(tfc_session_run(x->s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
    }
    return x->s;
}

/* Feeds keys[i] = vals[i] (vals are freed) and fetches y. */
static tfc_tensor *fx_run(fx *x, tfc_output y, const char *const *keys, tfc_tensor **vals, int n)
{
    tfc_output feeds[8];
    for (int i = 0; i < n; i++) {
        feeds[i] = tfc_features_get(x->f, keys[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(feeds[i].op);
    }
    tfc_tensor *out = NULL;
    tfc_code c = tfc_session_run(fx_session(x), feeds, vals, n, &y, &out, 1, NULL, 0);
    if (c) fprintf(stderr, "\nrun: %s\n", tfc_last_error());
    for (int i = 0; i < n; i++) tfc_tensor_free(vals[i]);
    CU_ASSERT_EQUAL_FATAL(c, TFC_OK);
    return out;
}

static tfc_tensor *strs(const char *const *s, int64_t n)
{
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_tensor_new_strings(&n, 1, s, NULL, &t));
    return t;
}

static tfc_tensor *f32v(const float *v, int64_t n) { return tfct_f32(v, &n, 1); }
static tfc_tensor *i64v(const int64_t *v, int64_t n) { return tfct_i64(v, &n, 1); }

static void expect_shape(const tfc_tensor *t, int64_t d0, int64_t d1)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t), 2);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 0), d0);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 1), d1);
}

static void expect_f32(const tfc_tensor *t, const float *want, int64_t n)
{
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t), TFC_FLOAT);
    CU_ASSERT_EQUAL_FATAL(tfc_tensor_num_elements(t), n);
    const float *v = tfc_tensor_data(t);
    for (int64_t i = 0; i < n; i++) TFCT_NEAR(v[i], want[i], 1e-6);
}

/* Dense columns' ids through an indicator: the column of the 1 in each row (-1 for none). */
static void one_hot_ids(const tfc_tensor *t, int64_t *ids)
{
    int64_t b = tfc_tensor_dim(t, 0), d = tfc_tensor_dim(t, 1);
    const float *v = tfc_tensor_data(t);
    for (int64_t r = 0; r < b; r++) {
        ids[r] = -1;
        for (int64_t c = 0; c < d; c++) {
            if (v[r * d + c] == 1.0f) {
                CU_ASSERT_EQUAL(ids[r], -1);
                ids[r] = c;
            } else {
                CU_ASSERT_EQUAL(v[r * d + c], 0.0f);
            }
        }
    }
}

static const char *const KEYS1[] = {"x"};

/* ---- construction -------------------------------------------------------- */

static void test_names_and_errors(void)
{
    tfc_feature_column *age, *b, *occ, *edu, *h, *id, *cr, *emb, *ind, *w;
    const float bounds[] = {18, 25, 30};
    const char *vocab[] = {"Bachelors", "HS-grad", "Masters"};
    TFCT_OK(tfc_numeric_column("age", NULL, 0, NULL, TFC_FLOAT, &age));
    TFCT_OK(tfc_bucketized_column(age, bounds, 3, &b));
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("education", vocab, 3, 0, -1, &edu));
    TFCT_OK(tfc_categorical_column_with_hash_bucket("occupation", 100, &occ));
    TFCT_OK(tfc_categorical_column_with_identity("id", 5, 0, &id));
    const char *ck[] = {NULL, "occupation"};
    const tfc_feature_column *cc[] = {edu, NULL};
    TFCT_OK(tfc_crossed_column(ck, cc, 2, 1000, 0, &cr));
    TFCT_OK(tfc_embedding_column(occ, 8, TFC_COMBINER_MEAN, 0, 0, &emb));
    TFCT_OK(tfc_indicator_column(edu, &ind));
    TFCT_OK(tfc_weighted_categorical_column(edu, "edu_w", &w));
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(age), "age");
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(b), "age_bucketized");
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(cr), "education_X_occupation");
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(emb), "occupation_embedding");
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(ind), "education_indicator");
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(w), "education_weighted_by_edu_w");
    CU_ASSERT_EQUAL(tfc_feature_column_num_buckets(b), 4);
    CU_ASSERT_EQUAL(tfc_feature_column_num_buckets(edu), 3);
    CU_ASSERT_EQUAL(tfc_feature_column_num_buckets(cr), 1000);
    CU_ASSERT_EQUAL(tfc_feature_column_dense_size(emb), 8);
    CU_ASSERT_EQUAL(tfc_feature_column_dense_size(ind), 3);
    CU_ASSERT_EQUAL(tfc_feature_column_dense_size(b), 4);
    CU_ASSERT_EQUAL(tfc_feature_column_dense_size(edu), 0);
    CU_ASSERT(tfc_feature_column_is_dense(b));
    CU_ASSERT(!tfc_feature_column_is_dense(edu));

    tfc_feature_column *bad = (tfc_feature_column *)1;
    CU_ASSERT_EQUAL(tfc_categorical_column_with_hash_bucket("occ2", 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("occ2");
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_EQUAL(tfc_categorical_column_with_vocabulary_list("edu2", vocab, 0, 0, -1, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("edu2");
    TFCT_ERR_HAS("empty");
    const char *dup[] = {"a", "b", "a"};
    CU_ASSERT_EQUAL(tfc_categorical_column_with_vocabulary_list("d", dup, 3, 0, -1, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("duplicate");
    CU_ASSERT_EQUAL(tfc_categorical_column_with_vocabulary_list("d", vocab, 3, 2, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("both");
    CU_ASSERT_EQUAL(tfc_categorical_column_with_identity("ident", 0, -1, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("ident");
    CU_ASSERT_EQUAL(tfc_categorical_column_with_identity("ident", 4, 4, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("default_value");
    CU_ASSERT_EQUAL(tfc_embedding_column(occ, 0, TFC_COMBINER_MEAN, 0, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("occupation_embedding");
    CU_ASSERT_EQUAL(tfc_embedding_column(age, 4, TFC_COMBINER_MEAN, 0, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("categorical");
    CU_ASSERT_EQUAL(tfc_indicator_column(emb, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("occupation_embedding");
    CU_ASSERT_EQUAL(tfc_crossed_column(ck, cc, 2, 0, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("education_X_occupation");
    const tfc_feature_column *hc[] = {occ, edu};
    CU_ASSERT_EQUAL(tfc_crossed_column(NULL, hc, 2, 10, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("hash_bucket");
    CU_ASSERT_EQUAL(tfc_crossed_column(ck, cc, 1, 10, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("at least 2");
    const float unsorted[] = {3, 2};
    CU_ASSERT_EQUAL(tfc_bucketized_column(age, unsorted, 2, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("age_bucketized");
    CU_ASSERT_EQUAL(tfc_bucketized_column(age, bounds, 0, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("age_bucketized");
    CU_ASSERT_EQUAL(tfc_bucketized_column(edu, bounds, 3, &bad), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_numeric_column("s", NULL, 0, NULL, TFC_STRING, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("'s'");
    const int64_t zero_shape[] = {0};
    CU_ASSERT_EQUAL(tfc_numeric_column("z", zero_shape, 1, NULL, TFC_FLOAT, &bad), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("'z'");
    CU_ASSERT_EQUAL(tfc_categorical_column_with_vocabulary_file("vf", "/nonexistent/vocab.txt", 0, -1, &bad),
                    TFC_NOT_FOUND);
    TFCT_ERR_HAS("vf");

    /* Composed columns hold their inputs: free the inputs first. */
    tfc_feature_column_free(age);
    tfc_feature_column_free(edu);
    tfc_feature_column_free(occ);
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(b), "age_bucketized");
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(cr), "education_X_occupation");
    tfc_feature_column_free(b);
    tfc_feature_column_free(h = NULL);
    tfc_feature_column_free(id);
    tfc_feature_column_free(cr);
    tfc_feature_column_free(emb);
    tfc_feature_column_free(ind);
    tfc_feature_column_free(w);
}

static void test_placeholders(void)
{
    tfc_feature_column *age, *v, *pix, *age_int, *id;
    const int64_t shape[] = {2, 3};
    const float def[] = {1, 2, 3, 4, 5, 6};
    TFCT_OK(tfc_numeric_column("age", NULL, 0, NULL, TFC_FLOAT, &age));
    TFCT_OK(tfc_numeric_column("pix", shape, 2, def, TFC_DOUBLE, &pix));
    TFCT_OK(tfc_categorical_column_with_hash_bucket("occ", 10, &v));
    TFCT_OK(tfc_categorical_column_with_identity("id", 10, -1, &id));
    const float *dv;
    int dn;
    tfc_feature_column_default_value(pix, &dv, &dn);
    CU_ASSERT_EQUAL(dn, 6);
    CU_ASSERT_EQUAL(dv[5], 6.0f);
    tfc_feature_column_default_value(age, &dv, &dn);
    CU_ASSERT_PTR_NULL(dv);
    CU_ASSERT_EQUAL(dn, 0);
    const tfc_feature_column *cols[] = {age, pix, v, age, id};
    fx x;
    fx_new(&x, cols, 5);
    CU_ASSERT_EQUAL(tfc_features_count(x.f), 4);
    CU_ASSERT_STRING_EQUAL(tfc_features_key(x.f, 0), "age");
    CU_ASSERT_STRING_EQUAL(tfc_features_key(x.f, 2), "occ");
    CU_ASSERT_PTR_NULL(tfc_features_key(x.f, 4));
    CU_ASSERT_PTR_NULL(tfc_features_get(x.f, "nope").op);
    tfc_output a = tfc_features_get(x.f, "age"), p = tfc_features_get(x.f, "pix"), o = tfc_features_get(x.f, "occ");
    CU_ASSERT_STRING_EQUAL(tfc_op_name(a.op), "age");
    CU_ASSERT_STRING_EQUAL(tfc_op_type(a.op), "Placeholder");
    CU_ASSERT_EQUAL(tfc_output_dtype(a), TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_output_dtype(p), TFC_DOUBLE);
    CU_ASSERT_EQUAL(tfc_output_dtype(o), TFC_STRING);
    CU_ASSERT_EQUAL(tfc_output_dtype(tfc_features_get(x.f, "id")), TFC_INT64);
    tfct_expect_static_shape(x.g, a, (const int64_t[]){-1}, 1);
    tfct_expect_static_shape(x.g, p, (const int64_t[]){-1, 2, 3}, 3);

    /* The same key as two dtypes. */
    TFCT_OK(tfc_numeric_column("occ", NULL, 0, NULL, TFC_INT32, &age_int));
    const tfc_feature_column *clash[] = {v, age_int};
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_features *f = (tfc_features *)1;
    CU_ASSERT_EQUAL(tfc_feature_placeholders_new(g, clash, 2, &f), TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(f);
    TFCT_ERR_HAS("'occ'");
    tfc_graph_free(g);
    fx_free(&x);
    tfc_feature_column_free(age);
    tfc_feature_column_free(pix);
    tfc_feature_column_free(v);
    tfc_feature_column_free(id);
    tfc_feature_column_free(age_int);
}

/* ---- dense values -------------------------------------------------------- */

static void test_numeric(void)
{
    tfc_feature_column *a, *p;
    const int64_t shape[] = {2};
    TFCT_OK(tfc_numeric_column("a", NULL, 0, NULL, TFC_INT64, &a));
    TFCT_OK(tfc_numeric_column("p", shape, 1, NULL, TFC_FLOAT, &p));
    /* Concatenated by name ("a" before "p"), as TensorFlow sorts them. */
    const tfc_feature_column *cols[] = {p, a};
    fx x;
    fx_new(&x, cols, 2);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 2, &y));
    const int64_t av[] = {3, -4, 5};
    const float pv[] = {1.5f, 2, 3, 4, 5, 6};
    int64_t pd[] = {3, 2};
    const char *keys[] = {"a", "p"};
    tfc_tensor *vals[] = {i64v(av, 3), tfct_f32(pv, pd, 2)};
    tfc_tensor *t = fx_run(&x, y, keys, vals, 2);
    expect_shape(t, 3, 3);
    const float want[] = {3, 1.5f, 2, -4, 3, 4, 5, 5, 6};
    expect_f32(t, want, 9);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column_free(a);
    tfc_feature_column_free(p);
}

/* (x - mean) / stddev with arg = {mean, stddev}. */
static tfc_output zscore(tfc_graph *g, tfc_output x, void *arg)
{
    const float *ms = arg;
    return tfc_div(g, tfc_sub(g, x, tfc_const_float(g, ms[0], "mean"), "center"), tfc_const_float(g, ms[1], "std"),
                   "zscore");
}

static tfc_output bad_normalizer(tfc_graph *g, tfc_output x, void *arg)
{
    (void)arg;
    return tfc_cast(g, x, TFC_DOUBLE, NULL);
}

/* zscore through an out parameter; arg NULL fails with a code. */
static tfc_code zscore_out(tfc_graph *g, const tfc_output *x, void *arg, tfc_output *out)
{
    if (!arg) return TFC_UNIMPLEMENTED;
    *out = zscore(g, *x, arg);
    return TFC_OK;
}

static void test_normalizer_out(void)
{
    float ms[2] = {10, 4};
    tfc_feature_column *a, *failing;
    TFCT_OK(tfc_numeric_column_with_normalizer_out("x", NULL, 0, NULL, TFC_INT32, zscore_out, ms, &a));
    const tfc_feature_column *cols[] = {a};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    const int32_t v[] = {10, 18, 0};
    const int64_t n = 3;
    tfc_tensor *vals[] = {tfct_i32(v, &n, 1)};
    tfc_tensor *t = fx_run(&x, y, KEYS1, vals, 1);
    const float want[] = {0, 2, -2.5f};
    expect_f32(t, want, 3);
    tfc_tensor_free(t);
    TFCT_OK(tfc_numeric_column_with_normalizer_out("x", NULL, 0, NULL, TFC_INT32, zscore_out, NULL, &failing));
    const tfc_feature_column *fc[] = {failing};
    CU_ASSERT_EQUAL(tfc_input_layer(x.g, x.f, fc, 1, &y), TFC_UNIMPLEMENTED);
    TFCT_ERR_HAS("numeric_column 'x': normalizer_fn failed");
    fx_free(&x);
    tfc_feature_column_free(a);
    tfc_feature_column_free(failing);
}

static void test_normalizer(void)
{
    float ms[2] = {10, 4};
    tfc_feature_column *a, *bad;
    TFCT_OK(tfc_numeric_column_with_normalizer("x", NULL, 0, NULL, TFC_INT32, zscore, ms, &a));
    const tfc_feature_column *cols[] = {a};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    const int32_t v[] = {10, 18, 0};
    const int64_t n = 3;
    tfc_tensor *vals[] = {tfct_i32(v, &n, 1)};
    tfc_tensor *t = fx_run(&x, y, KEYS1, vals, 1);
    expect_shape(t, 3, 1);
    const float want[] = {0, 2, -2.5f};
    expect_f32(t, want, 3);
    tfc_tensor_free(t);

    TFCT_OK(tfc_numeric_column_with_normalizer("x", NULL, 0, NULL, TFC_INT32, bad_normalizer, NULL, &bad));
    const tfc_feature_column *bc[] = {bad};
    CU_ASSERT_EQUAL(tfc_input_layer(x.g, x.f, bc, 1, &y), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("normalizer_fn");
    fx_free(&x);
    tfc_feature_column_free(a);
    tfc_feature_column_free(bad);
}

static void test_bucketized(void)
{
    tfc_feature_column *age, *b;
    const float bounds[] = {18, 25, 30};
    TFCT_OK(tfc_numeric_column("x", NULL, 0, NULL, TFC_FLOAT, &age));
    TFCT_OK(tfc_bucketized_column(age, bounds, 3, &b));
    tfc_feature_column_free(age);
    const tfc_feature_column *cols[] = {b};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    const float v[] = {17, 18, 24.9f, 25, 40};
    tfc_tensor *vals[] = {f32v(v, 5)};
    tfc_tensor *t = fx_run(&x, y, KEYS1, vals, 1);
    expect_shape(t, 5, 4);
    int64_t ids[5];
    one_hot_ids(t, ids);
    const int64_t want[] = {0, 1, 1, 2, 3};
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(ids[i], want[i]);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column_free(b);
}

/* Builds indicator(cat) over key "x" and returns the ids per row for the fed value. */
static void indicator_ids(const tfc_feature_column *cat, tfc_tensor *value, int64_t *ids, int64_t n)
{
    tfc_feature_column *ind;
    TFCT_OK(tfc_indicator_column(cat, &ind));
    const tfc_feature_column *cols[] = {ind};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    tfc_tensor *vals[] = {value};
    tfc_tensor *t = fx_run(&x, y, KEYS1, vals, 1);
    expect_shape(t, n, tfc_feature_column_num_buckets(cat));
    one_hot_ids(t, ids);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column_free(ind);
}

static const char *const BATCH[] = {"HS-grad", "Masters", "Doctorate", "Bachelors", "", "HS-grad"};

static void test_vocabulary_list(void)
{
    const char *vocab[] = {"Bachelors", "HS-grad", "Masters"};
    tfc_feature_column *c;
    int64_t ids[6];
    /* default -1 and no OOV buckets: no id (an all-zero indicator row). */
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("x", vocab, 3, 0, -1, &c));
    indicator_ids(c, strs(BATCH, 6), ids, 6);
    const int64_t want1[] = {1, 2, -1, 0, -1, 1};
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(ids[i], want1[i]);
    tfc_feature_column_free(c);
    /* default_value 0. */
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("x", vocab, 3, 0, 0, &c));
    indicator_ids(c, strs(BATCH, 6), ids, 6);
    const int64_t want2[] = {1, 2, 0, 0, 0, 1};
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(ids[i], want2[i]);
    tfc_feature_column_free(c);
    /* OOV buckets: 3 + Fingerprint64(s) % 2, checked against a bucket op. */
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("x", vocab, 3, 2, -1, &c));
    CU_ASSERT_EQUAL(tfc_feature_column_num_buckets(c), 5);
    indicator_ids(c, strs(BATCH, 6), ids, 6);
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    const int64_t two = 2;
    tfc_output h = tfc_string_to_hash_bucket_fast(
        g, tfc_placeholder(g, TFC_STRING, &two, 1, "s"), 2, NULL);
    tfc_tensor *sv = strs((const char *const[]){"Doctorate", ""}, 2);
    tfc_output feed = tfc_op_output(tfc_graph_op_by_name(g, "s"), 0);
    tfc_tensor *ht = tfct_eval(g, h, &feed, &sv, 1);
    const int64_t *hv = tfc_tensor_data(ht);
    CU_ASSERT_EQUAL(ids[0], 1);
    CU_ASSERT_EQUAL(ids[1], 2);
    CU_ASSERT_EQUAL(ids[2], 3 + hv[0]);
    CU_ASSERT_EQUAL(ids[3], 0);
    CU_ASSERT_EQUAL(ids[4], 3 + hv[1]);
    tfc_tensor_free(ht);
    tfc_tensor_free(sv);
    tfc_graph_free(g);
    tfc_feature_column_free(c);
}

static void test_vocabulary_file(void)
{
    char path[] = "/tmp/tfc_fc_vocabXXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("Bachelors\r\nHS-grad\nMasters\n", fp);
    fclose(fp);
    tfc_feature_column *c;
    TFCT_OK(tfc_categorical_column_with_vocabulary_file("x", path, 0, 2, &c));
    CU_ASSERT_EQUAL(tfc_feature_column_num_buckets(c), 3);
    int64_t ids[6];
    indicator_ids(c, strs(BATCH, 6), ids, 6);
    const int64_t want[] = {1, 2, 2, 0, 2, 1};
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(ids[i], want[i]);
    tfc_feature_column_free(c);
    fp = fopen(path, "w");
    fclose(fp);
    tfc_feature_column *bad = NULL;
    CU_ASSERT_EQUAL(tfc_categorical_column_with_vocabulary_file("empty_vocab", path, 0, -1, &bad),
                    TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("empty_vocab");
    remove(path);
}

static void test_hash_bucket(void)
{
    tfc_feature_column *c;
    TFCT_OK(tfc_categorical_column_with_hash_bucket("x", 7, &c));
    int64_t ids[6];
    indicator_ids(c, strs(BATCH, 6), ids, 6);
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    const int64_t six = 6;
    tfc_output s = tfc_placeholder(g, TFC_STRING, &six, 1, "s");
    tfc_output h = tfc_string_to_hash_bucket_fast(g, s, 7, NULL);
    tfc_tensor *sv = strs(BATCH, 6);
    tfc_tensor *ht = tfct_eval(g, h, &s, &sv, 1);
    const int64_t *hv = tfc_tensor_data(ht);
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(ids[i], hv[i]);
    CU_ASSERT_EQUAL(ids[0], ids[5]);
    tfc_tensor_free(ht);
    tfc_tensor_free(sv);
    tfc_graph_free(g);
    tfc_feature_column_free(c);
}

static void test_identity(void)
{
    tfc_feature_column *c;
    TFCT_OK(tfc_categorical_column_with_identity("x", 4, 0, &c));
    int64_t ids[5];
    const int64_t v[] = {3, 0, 9, -2, 1};
    indicator_ids(c, i64v(v, 5), ids, 5);
    const int64_t want[] = {3, 0, 0, 0, 1};
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(ids[i], want[i]);
    tfc_feature_column_free(c);

    /* No default: out-of-range ids are a run-time error. */
    TFCT_OK(tfc_categorical_column_with_identity("x", 4, -1, &c));
    tfc_feature_column *ind;
    TFCT_OK(tfc_indicator_column(c, &ind));
    const tfc_feature_column *cols[] = {ind};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    tfc_tensor *val = i64v(v, 5);
    tfc_output feed = tfc_features_get(x.f, "x");
    tfct_expect_run_error(x.g, y, &feed, &val, 1, TFC_OK, "9");
    tfc_tensor_free(val);
    fx_free(&x);
    tfc_feature_column_free(ind);
    tfc_feature_column_free(c);
}

static void test_crossed(void)
{
    const char *vocab[] = {"Bachelors", "HS-grad", "Masters"};
    tfc_feature_column *edu, *cr, *age, *b, *cr3;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("edu", vocab, 3, 0, 0, &edu));
    TFCT_OK(tfc_numeric_column("age", NULL, 0, NULL, TFC_FLOAT, &age));
    const float bounds[] = {30};
    TFCT_OK(tfc_bucketized_column(age, bounds, 1, &b));
    const char *keys[] = {NULL, "occ", NULL};
    const tfc_feature_column *cc[] = {edu, NULL, b};
    TFCT_OK(tfc_crossed_column(keys, cc, 3, 1000, 0, &cr));
    CU_ASSERT_STRING_EQUAL(tfc_feature_column_name(cr), "age_bucketized_X_edu_X_occ");
    /* A cross of a cross collects the leaf keys: the same ids. */
    tfc_feature_column *cr2;
    const tfc_feature_column *c2[] = {edu, NULL};
    const char *k2[] = {NULL, "occ"};
    TFCT_OK(tfc_crossed_column(k2, c2, 2, 1000, 0, &cr2));
    const tfc_feature_column *c3[] = {cr2, b};
    TFCT_OK(tfc_crossed_column(NULL, c3, 2, 1000, 0, &cr3));
    tfc_feature_column *i1, *i3;
    TFCT_OK(tfc_indicator_column(cr, &i1));
    TFCT_OK(tfc_indicator_column(cr3, &i3));
    const tfc_feature_column *cols[] = {i1, i3};
    fx x;
    fx_new(&x, cols, 2);
    tfc_output y1, y3;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y1));
    TFCT_OK(tfc_input_layer(x.g, x.f, cols + 1, 1, &y3));
    /* Expected: HashedCross over (edu ids, raw occ, bucket ids) built directly. */
    const int64_t eid[] = {1, 2, 0};
    const int64_t bid[] = {0, 1, 1};
    tfc_output parts[3] = {tfc_const_array(x.g, TFC_INT64, (const int64_t[]){3}, 1, eid, NULL),
                           tfc_features_get(x.f, "occ"),
                           tfc_const_array(x.g, TFC_INT64, (const int64_t[]){3}, 1, bid, NULL)};
    tfc_output want = tfc_hashed_cross(x.g, parts, 3, 1000, TFC_DEFAULT_HASH_KEY, NULL);
    const char *ev[] = {"HS-grad", "Masters", "Bachelors"};
    const char *ov[] = {"Sales", "Tech", "Sales"};
    const float av[] = {20, 30, 45};
    const char *fk[] = {"edu", "occ", "age"};
    int64_t ids1[3], ids3[3];
    tfc_tensor *v1[] = {strs(ev, 3), strs(ov, 3), f32v(av, 3)};
    tfc_tensor *t = fx_run(&x, y1, fk, v1, 3);
    expect_shape(t, 3, 1000);
    one_hot_ids(t, ids1);
    tfc_tensor_free(t);
    tfc_tensor *v3[] = {strs(ev, 3), strs(ov, 3), f32v(av, 3)};
    t = fx_run(&x, y3, fk, v3, 3);
    one_hot_ids(t, ids3);
    tfc_tensor_free(t);
    tfc_tensor *v4[] = {strs(ov, 3)};
    t = fx_run(&x, want, fk + 1, v4, 1);
    const int64_t *wv = tfc_tensor_data(t);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(ids1[i], wv[i]);
        CU_ASSERT_EQUAL(ids3[i], wv[i]);
    }
    CU_ASSERT(wv[0] != wv[1] || wv[1] != wv[2]);
    tfc_tensor_free(t);
    fx_free(&x);

    /* A leaf with no id (vocabulary default -1) gives the cross no id. */
    tfc_feature_column *edu_drop, *crd, *id;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("edu", vocab, 3, 0, -1, &edu_drop));
    const tfc_feature_column *cd[] = {edu_drop, NULL};
    TFCT_OK(tfc_crossed_column(k2, cd, 2, 50, 0, &crd));
    TFCT_OK(tfc_indicator_column(crd, &id));
    const tfc_feature_column *dcols[] = {id};
    fx_new(&x, dcols, 1);
    TFCT_OK(tfc_input_layer(x.g, x.f, dcols, 1, &y1));
    const char *ev2[] = {"HS-grad", "PhD", "Bachelors"};
    tfc_tensor *v5[] = {strs(ev2, 3), strs(ov, 3)};
    t = fx_run(&x, y1, fk, v5, 2);
    one_hot_ids(t, ids1);
    CU_ASSERT(ids1[0] >= 0);
    CU_ASSERT_EQUAL(ids1[1], -1);
    CU_ASSERT(ids1[2] >= 0);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column *all[] = {edu, cr, age, b, cr2, cr3, i1, i3, edu_drop, crd, id};
    for (int i = 0; i < 11; i++) tfc_feature_column_free(all[i]);
}

static void test_weighted_indicator(void)
{
    const char *vocab[] = {"a", "b", "c"};
    tfc_feature_column *c, *w, *ind;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("x", vocab, 3, 0, -1, &c));
    TFCT_OK(tfc_weighted_categorical_column(c, "wt", &w));
    TFCT_OK(tfc_indicator_column(w, &ind));
    const tfc_feature_column *cols[] = {ind};
    fx x;
    fx_new(&x, cols, 1);
    CU_ASSERT_EQUAL(tfc_output_dtype(tfc_features_get(x.f, "wt")), TFC_FLOAT);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    const char *xv[] = {"c", "zzz", "a"};
    const float wv[] = {2.5f, 3, -1};
    const char *keys[] = {"x", "wt"};
    tfc_tensor *vals[] = {strs(xv, 3), f32v(wv, 3)};
    tfc_tensor *t = fx_run(&x, y, keys, vals, 2);
    expect_shape(t, 3, 3);
    const float want[] = {0, 0, 2.5f, 0, 0, 0, -1, 0, 0};
    expect_f32(t, want, 9);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column_free(c);
    tfc_feature_column_free(w);
    tfc_feature_column_free(ind);
}

/* Embedding rows for the ids, from the variable's value, times factor per row. */
static void check_embedding(tfc_combiner comb, bool weighted)
{
    const char *vocab[] = {"a", "b", "c", "d"};
    tfc_feature_column *c, *w = NULL, *e;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("x", vocab, 4, 0, -1, &c));
    if (weighted) TFCT_OK(tfc_weighted_categorical_column(c, "wt", &w));
    TFCT_OK(tfc_embedding_column(weighted ? w : c, 3, comb, 0, 0, &e));
    const tfc_feature_column *cols[] = {e};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_input_layer(x.g, x.f, cols, 1, &y));
    tfc_op *var = tfc_graph_op_by_name(x.g, "input_layer/x_embedding/embedding_weights");
    if (weighted) var = tfc_graph_op_by_name(x.g, "input_layer/x_weighted_by_wt_embedding/embedding_weights");
    CU_ASSERT_PTR_NOT_NULL_FATAL(var);
    const char *xv[] = {"d", "a", "nope", "d"};
    const float wv[] = {2, -0.5f, 4, 0};
    const char *keys[] = {"x", "wt"};
    tfc_tensor *vals[] = {strs(xv, 4), f32v(wv, 4)};
    if (!weighted) tfc_tensor_free(vals[1]);
    tfc_tensor *t = fx_run(&x, y, keys, vals, weighted ? 2 : 1);
    expect_shape(t, 4, 3);
    tfc_tensor *table = NULL;
    TFCT_OK(tfc_session_variable_value(x.s, var, &table));
    CU_ASSERT_EQUAL(tfc_tensor_dim(table, 0), 4);
    CU_ASSERT_EQUAL(tfc_tensor_dim(table, 1), 3);
    const float *tv = tfc_tensor_data(table), *ov = tfc_tensor_data(t);
    /* truncated_normal(0, 1/sqrt(3)): within two standard deviations, not all zero. */
    double ss = 0;
    for (int i = 0; i < 12; i++) {
        CU_ASSERT(fabsf(tv[i]) <= 2.0f / sqrtf(3.0f) + 1e-6f);
        ss += tv[i] * tv[i];
    }
    CU_ASSERT(ss > 0);
    const int rows[] = {3, 0, -1, 3};
    for (int r = 0; r < 4; r++) {
        double f = rows[r] < 0 ? 0 : 1;
        if (weighted && rows[r] >= 0) {
            if (comb == TFC_COMBINER_SUM) f = wv[r];
            if (comb == TFC_COMBINER_MEAN) f = wv[r] != 0 ? 1 : 0;
            if (comb == TFC_COMBINER_SQRTN) f = wv[r] > 0 ? 1 : wv[r] < 0 ? -1 : 0;
        }
        for (int d = 0; d < 3; d++) {
            double want = rows[r] < 0 ? 0 : f * tv[rows[r] * 3 + d];
            TFCT_NEAR(ov[r * 3 + d], want, 1e-6);
        }
    }
    tfc_tensor_free(table);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column_free(c);
    tfc_feature_column_free(w);
    tfc_feature_column_free(e);
}

static void test_embedding(void)
{
    check_embedding(TFC_COMBINER_MEAN, false);
    check_embedding(TFC_COMBINER_SUM, true);
    check_embedding(TFC_COMBINER_MEAN, true);
    check_embedding(TFC_COMBINER_SQRTN, true);
}

static void set_var(fx *x, const char *name, const float *v, int64_t d0, int64_t d1)
{
    tfc_op *var = tfc_graph_op_by_name(x->g, name);
    if (!var) fprintf(stderr, "\nno variable %s\n", name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(var);
    int64_t dims[2] = {d0, d1};
    tfc_tensor *t = tfct_f32(v, dims, d1 ? 2 : 1);
    TFCT_OK(tfc_session_set_variable(fx_session(x), var, t));
    tfc_tensor_free(t);
}

static void test_linear_model(void)
{
    const char *vocab[] = {"a", "b", "c"};
    tfc_feature_column *edu, *age, *b, *num, *h, *w;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("edu", vocab, 3, 0, -1, &edu));
    TFCT_OK(tfc_numeric_column("age", NULL, 0, NULL, TFC_FLOAT, &age));
    const float bounds[] = {30, 50};
    TFCT_OK(tfc_bucketized_column(age, bounds, 2, &b));
    const int64_t shape2[] = {2};
    TFCT_OK(tfc_numeric_column("num", shape2, 1, NULL, TFC_FLOAT, &num));
    TFCT_OK(tfc_categorical_column_with_hash_bucket("occ", 4, &h));
    TFCT_OK(tfc_weighted_categorical_column(h, "occ_w", &w));
    const tfc_feature_column *cols[] = {edu, b, num, w};
    fx x;
    fx_new(&x, cols, 4);
    tfc_output logits;
    TFCT_OK(tfc_linear_model(x.g, x.f, cols, 4, 2, &logits));
    tfct_expect_static_shape(x.g, logits, (const int64_t[]){-1, 2}, 2);
    /* Gradient w.r.t. a categorical column's weights is sparse. */
    tfc_op *ew = tfc_graph_op_by_name(x.g, "linear_model/edu/weights");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ew);
    tfc_output ewo = tfc_op_output(ew, 0);
    tfc_gradient gr;
    TFCT_OK(tfc_graph_add_gradients_sparse(x.g, &logits, 1, &ewo, 1, NULL, &gr));
    CU_ASSERT_PTR_NULL(gr.dense.op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.indices.op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gr.values.op);

    const float edu_w[] = {1, 10, 2, 20, 3, 30};
    const float age_w[] = {0.1f, 0.01f, 0.2f, 0.02f, 0.3f, 0.03f};
    const float num_w[] = {1, -1, 2, -2};
    const float occ_w[] = {100, 1000, 200, 2000, 300, 3000, 400, 4000};
    const float bias[] = {0.5f, -0.5f};
    set_var(&x, "linear_model/edu/weights", edu_w, 3, 2);
    set_var(&x, "linear_model/age_bucketized/weights", age_w, 3, 2);
    set_var(&x, "linear_model/num/weights", num_w, 2, 2);
    set_var(&x, "linear_model/occ_weighted_by_occ_w/weights", occ_w, 4, 2);
    set_var(&x, "linear_model/bias_weights", bias, 2, 0);

    const char *ev[] = {"b", "zz", "c"};
    const float av[] = {20, 50, 31};
    const float nv[] = {1, 2, 0, -1, 0.5f, 0.5f};
    const char *ov[] = {"Sales", "Tech", "Sales"};
    const float owv[] = {1, 0.5f, 2};
    int64_t nd[] = {3, 2};
    const char *keys[] = {"edu", "age", "num", "occ", "occ_w"};
    tfc_tensor *vals[] = {strs(ev, 3), f32v(av, 3), tfct_f32(nv, nd, 2), strs(ov, 3), f32v(owv, 3)};
    tfc_tensor *t = fx_run(&x, logits, keys, vals, 5);
    expect_shape(t, 3, 2);

    /* occ ids from the hash op directly. */
    tfc_output oid = tfc_string_to_hash_bucket_fast(x.g, tfc_features_get(x.f, "occ"), 4, NULL);
    tfc_tensor *v2[] = {strs(ov, 3)};
    tfc_tensor *it = fx_run(&x, oid, keys + 3, v2, 1);
    const int64_t *oi = tfc_tensor_data(it);
    const int eid[] = {1, -1, 2}, bid[] = {0, 2, 1};
    float want[6];
    for (int r = 0; r < 3; r++)
        for (int u = 0; u < 2; u++) {
            float s = bias[u];
            if (eid[r] >= 0) s += edu_w[eid[r] * 2 + u];
            s += age_w[bid[r] * 2 + u];
            s += nv[r * 2] * num_w[u] + nv[r * 2 + 1] * num_w[2 + u];
            s += owv[r] * occ_w[oi[r] * 2 + u];
            want[r * 2 + u] = s;
        }
    const float *lv = tfc_tensor_data(t);
    for (int i = 0; i < 6; i++) TFCT_NEAR(lv[i], want[i], 1e-3);

    /* The sparse gradient's rows: the edu ids of the batch ("zz" has none). */
    tfc_tensor *v3[] = {strs(ev, 3), f32v(av, 3), tfct_f32(nv, nd, 2), strs(ov, 3), f32v(owv, 3)};
    tfc_tensor *gi = fx_run(&x, gr.indices, keys, v3, 5);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(gi), 3);
    tfc_tensor *v4[] = {strs(ev, 3), f32v(av, 3), tfct_f32(nv, nd, 2), strs(ov, 3), f32v(owv, 3)};
    tfc_tensor *gv = fx_run(&x, gr.values, keys, v4, 5);
    const float *gvv = tfc_tensor_data(gv);
    /* Row 1 ("zz") is masked: its gradient row is zero; the others are ones. */
    const float gwant[] = {1, 1, 0, 0, 1, 1};
    expect_f32(gv, gwant, 6);
    (void)gvv;
    tfc_tensor_free(gi);
    tfc_tensor_free(gv);
    tfc_tensor_free(it);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column *all[] = {edu, age, b, num, h, w};
    for (int i = 0; i < 6; i++) tfc_feature_column_free(all[i]);
}

/* Dense columns in the linear model multiply their [batch, d] tensor. */
static void test_linear_model_dense(void)
{
    const char *vocab[] = {"a", "b"};
    tfc_feature_column *c, *ind;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("x", vocab, 2, 1, -1, &c));
    TFCT_OK(tfc_indicator_column(c, &ind));
    const tfc_feature_column *cols[] = {ind};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_linear_model(x.g, x.f, cols, 1, 1, &y));
    const float w[] = {1, 2, 3}, bias[] = {0.25f};
    set_var(&x, "linear_model/x_indicator/weights", w, 3, 1);
    set_var(&x, "linear_model/bias_weights", bias, 1, 0);
    const char *xv[] = {"b", "a", "other"};
    tfc_tensor *vals[] = {strs(xv, 3)};
    tfc_tensor *t = fx_run(&x, y, KEYS1, vals, 1);
    const float want[] = {2.25f, 1.25f, 3.25f};
    expect_f32(t, want, 3);
    tfc_tensor_free(t);
    fx_free(&x);
    tfc_feature_column_free(c);
    tfc_feature_column_free(ind);
}

/* FTRL on the linear model's loss updates only the rows the batch touched. */
static void test_linear_model_ftrl(void)
{
    tfc_feature_column *h;
    TFCT_OK(tfc_categorical_column_with_identity("x", 6, -1, &h));
    const tfc_feature_column *cols[] = {h};
    fx x;
    fx_new(&x, cols, 1);
    tfc_output y;
    TFCT_OK(tfc_linear_model(x.g, x.f, cols, 1, 1, &y));
    tfc_output loss = tfc_reduce_sum(x.g, tfc_square(x.g, tfc_sub(x.g, y, tfc_const_float(x.g, 1, NULL), NULL), NULL),
                                     NULL, 0, false, NULL);
    tfc_optimizer *opt;
    tfc_ftrl_options o = TFC_FTRL_OPTIONS_INIT;
    TFCT_OK(tfc_optimizer_ftrl_new(&o, &opt));
    tfc_op *train;
    TFCT_OK(tfc_optimizer_minimize(opt, x.g, loss, NULL, 0, true, &train));
    const int64_t v[] = {4, 1, 4};
    const int64_t n = 3;
    tfc_tensor *val = i64v(v, n);
    tfc_output feed = tfc_features_get(x.f, "x");
    TFCT_OK(tfc_session_run(fx_session(&x), &feed, &val, 1, NULL, NULL, 0, &train, 1));
    tfc_tensor_free(val);
    tfc_tensor *w = NULL;
    TFCT_OK(tfc_session_variable_value(x.s, tfc_graph_op_by_name(x.g, "linear_model/x/weights"), &w));
    const float *wv = tfc_tensor_data(w);
    for (int i = 0; i < 6; i++) {
        if (i == 1 || i == 4) {
            CU_ASSERT(wv[i] > 0.0f);
        } else {
            CU_ASSERT_EQUAL(wv[i], 0.0f);
        }
    }
    tfc_tensor_free(w);
    tfc_optimizer_free(opt);
    fx_free(&x);
    tfc_feature_column_free(h);
}

static void test_compile_errors(void)
{
    const char *vocab[] = {"a", "b"};
    tfc_feature_column *c, *n;
    TFCT_OK(tfc_categorical_column_with_vocabulary_list("workclass", vocab, 2, 0, -1, &c));
    TFCT_OK(tfc_numeric_column("hours", NULL, 0, NULL, TFC_FLOAT, &n));
    const tfc_feature_column *cols[] = {n, c};
    fx x;
    fx_new(&x, cols, 2);
    tfc_output y = {(tfc_op *)1, 3};
    CU_ASSERT_EQUAL(tfc_input_layer(x.g, x.f, cols, 2, &y), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("workclass");
    TFCT_ERR_HAS("dense");
    CU_ASSERT_PTR_NULL(y.op);
    TFCT_GRAPH_OK(x.g);
    CU_ASSERT_EQUAL(tfc_linear_model(x.g, x.f, cols, 2, 0, &y), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("units");

    /* A key missing from the features map. */
    tfc_features *empty;
    TFCT_OK(tfc_features_new(&empty));
    CU_ASSERT_EQUAL(tfc_linear_model(x.g, empty, cols, 2, 1, &y), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("'hours'");
    tfc_features_free(empty);

    /* Feeding nothing: the placeholder error names the key. */
    TFCT_OK(tfc_linear_model(x.g, x.f, cols, 2, 1, &y));
    const float hv[] = {1, 2};
    tfc_tensor *val = f32v(hv, 2);
    tfc_output feed = tfc_features_get(x.f, "hours");
    tfct_expect_run_error(x.g, y, &feed, &val, 1, TFC_INVALID_ARGUMENT, "workclass");
    tfc_tensor_free(val);
    fx_free(&x);
    tfc_feature_column_free(c);
    tfc_feature_column_free(n);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"names and construction errors", test_names_and_errors},
        {"placeholders", test_placeholders},
        {"numeric", test_numeric},
        {"normalizer through an out parameter", test_normalizer_out},
        {"normalizer", test_normalizer},
        {"bucketized", test_bucketized},
        {"vocabulary list", test_vocabulary_list},
        {"vocabulary file", test_vocabulary_file},
        {"hash bucket", test_hash_bucket},
        {"identity", test_identity},
        {"crossed", test_crossed},
        {"weighted indicator", test_weighted_indicator},
        {"embedding", test_embedding},
        {"linear model", test_linear_model},
        {"linear model over dense columns", test_linear_model_dense},
        {"linear model with FTRL", test_linear_model_ftrl},
        {"compile errors", test_compile_errors},
        {NULL, NULL},
    };
    return tfct_main("feature_column", cases);
}
