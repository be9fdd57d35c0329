/* Exported models: export, load, run by signature keys, concurrent runs,
 * and every kind of damaged export refused with an error naming the file. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/checkpoint_internal.h"
#include "testutil.h"
#include "tfc/graph_def.h"
#include "tfc/saved_model.h"

/* defined in src/io/saved_model.c for the fuzz target */
tfc_code tfci_saved_model_parse_buffer(const void *data, size_t size, const char *source);

static char root[64];
static int counter;

/* A fresh path (not created) under the test's temporary root. */
static const char *fresh_path(char *buf, size_t size, const char *tag)
{
    snprintf(buf, size, "%s/%s_%d", root, tag, counter++);
    return buf;
}

static void rm_rf(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", path);
}

static char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    CU_ASSERT_EQUAL((long)fread(d, 1, (size_t)n, f), n);
    fclose(f);
    *size = (size_t)n;
    return d;
}

static void write_all(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(d, 1, n, f), n);
    fclose(f);
}

/* Recomputes the trailing checksum of a saved_model.pb image. */
static void fix_crc(unsigned char *d, size_t n)
{
    uLong crc = crc32(crc32(0L, Z_NULL, 0), d, (uInt)(n - 5));
    d[n - 5] = 0x7d;
    for (int k = 0; k < 4; k++) d[n - 4 + k] = (unsigned char)(crc >> (8 * k));
}

/* A small classifier: x [?,3] -> logits [?,4] -> probabilities, classes;
 * the variables hold values no initializer gives. */
typedef struct model {
    tfc_graph *g;
    tfc_session *s;
    tfc_output x, probs, classes, score, w, b, counter;
    tfc_op *bump;
} model;

static model make_model(void)
{
    model m;
    TFCT_OK(tfc_graph_new(&m.g));
    tfc_graph *g = m.g;
    int64_t dx[2] = {-1, 3}, dw[2] = {3, 4}, db[1] = {4};
    m.x = tfc_placeholder(g, TFC_FLOAT, dx, 2, "x");
    m.w = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, dw, 2, NULL), "w");
    m.b = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, db, 1, NULL), "b");
    m.counter = tfc_variable(g, tfc_const_int64(g, 0, NULL), "counter");
    tfc_output logits = tfc_bias_add(g, tfc_matmul(g, m.x, m.w, false, false, NULL), m.b, "logits");
    m.probs = tfc_softmax(g, logits, "probs");
    m.classes = tfc_argmax(g, logits, 1, "classes");
    int64_t ax[1] = {1};
    m.score = tfc_reduce_sum(g, logits, ax, 1, false, "score");
    m.bump = tfc_assign_add(g, m.counter, tfc_const_int64(g, 1, NULL), "bump").op;
    tfc_op *init = tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    TFCT_OK(tfc_session_new(g, NULL, &m.s));
    TFCT_OK(tfc_session_run(m.s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
    float wv[12], bv[4] = {0.5f, -0.25f, 0.125f, 1};
    for (int i = 0; i < 12; i++) wv[i] = (float)(i % 5) * 0.3f - 0.6f;
    tfc_tensor *wt = tfct_f32(wv, dw, 2), *bt = tfct_f32(bv, db, 1);
    TFCT_OK(tfc_session_set_variable(m.s, m.w.op, wt));
    TFCT_OK(tfc_session_set_variable(m.s, m.b.op, bt));
    tfc_tensor_free(wt);
    tfc_tensor_free(bt);
    TFCT_OK(tfc_session_run(m.s, NULL, NULL, 0, NULL, NULL, 0, &m.bump, 1)); /* counter = 1 */
    return m;
}

static void free_model(model *m)
{
    tfc_session_free(m->s);
    tfc_graph_free(m->g);
}

/* serving_default (predict), classify and regress signatures. */
static int make_sigs(const model *m, tfc_signature **sigs)
{
    TFCT_OK(tfc_signature_new(TFC_SERVING_DEFAULT_SIGNATURE_KEY, TFC_PREDICT_METHOD_NAME, &sigs[0]));
    TFCT_OK(tfc_signature_add_input(sigs[0], "x", m->x));
    TFCT_OK(tfc_signature_add_output(sigs[0], "probabilities", m->probs));
    TFCT_OK(tfc_signature_add_output(sigs[0], "class_ids", m->classes));
    TFCT_OK(tfc_signature_new("classify", TFC_CLASSIFY_METHOD_NAME, &sigs[1]));
    TFCT_OK(tfc_signature_add_input(sigs[1], TFC_SIGNATURE_INPUTS, m->x));
    TFCT_OK(tfc_signature_add_output(sigs[1], TFC_SIGNATURE_SCORES, m->probs));
    TFCT_OK(tfc_signature_add_output(sigs[1], TFC_SIGNATURE_CLASSES, m->classes));
    TFCT_OK(tfc_signature_new("regress", TFC_REGRESS_METHOD_NAME, &sigs[2]));
    TFCT_OK(tfc_signature_add_input(sigs[2], TFC_SIGNATURE_INPUTS, m->x));
    TFCT_OK(tfc_signature_add_output(sigs[2], TFC_SIGNATURE_OUTPUTS, m->score));
    return 3;
}

static void free_sigs(tfc_signature **sigs, int n)
{
    for (int i = 0; i < n; i++) tfc_signature_free(sigs[i]);
}

/* Exports make_model() to a fresh directory; returns the path in buf. */
static const char *export_model(char *buf, size_t size, tfc_op *main_op)
{
    model m = make_model();
    tfc_signature *sigs[3];
    int n = make_sigs(&m, sigs);
    fresh_path(buf, size, "export");
    tfc_export_options eo = TFC_EXPORT_OPTIONS_INIT;
    eo.main_op = main_op ? m.bump : NULL;
    TFCT_OK(tfc_saved_model_export(m.s, m.g, buf, sigs, n, &eo));
    free_sigs(sigs, n);
    free_model(&m);
    return buf;
}

static tfc_tensor *batch(void)
{
    float xv[6] = {1, 2, 3, -1, 0.5f, 2};
    int64_t d[2] = {2, 3};
    return tfct_f32(xv, d, 2);
}

static bool same_tensor(const tfc_tensor *a, const tfc_tensor *b)
{
    return tfc_tensor_dtype(a) == tfc_tensor_dtype(b) && tfc_tensor_byte_size(a) == tfc_tensor_byte_size(b) &&
           tfc_tensor_rank(a) == tfc_tensor_rank(b) &&
           memcmp(tfc_tensor_data(a), tfc_tensor_data(b), tfc_tensor_byte_size(a)) == 0;
}

static void test_export_load_run(void)
{
    model m = make_model();
    tfc_signature *sigs[3];
    int n = make_sigs(&m, sigs);
    /* the builder records keys, dtypes and shapes */
    CU_ASSERT_STRING_EQUAL(tfc_signature_key(sigs[0]), "serving_default");
    CU_ASSERT_EQUAL(tfc_signature_num_outputs(sigs[0]), 2);
    char dir[256];
    fresh_path(dir, sizeof dir, "nested/deeper/export");
    TFCT_OK(tfc_saved_model_export(m.s, m.g, dir, sigs, n, NULL));
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/variables/variables.tfc", dir);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    /* no temporary directory is left beside it */
    char parent[256];
    snprintf(parent, sizeof parent, "%s", dir);
    *strrchr(parent, '/') = 0;
    DIR *dd = opendir(parent);
    int entries = 0;
    for (struct dirent *e; (e = readdir(dd));)
        if (e->d_name[0] != '.') entries++;
    closedir(dd);
    CU_ASSERT_EQUAL(entries, 1);

    /* expected outputs from the original session */
    tfc_tensor *xb = batch();
    tfc_output fetch[3] = {m.probs, m.classes, m.score};
    tfc_tensor *want[3];
    TFCT_OK(tfc_session_run(m.s, &m.x, &xb, 1, fetch, want, 3, NULL, 0));

    tfc_saved_model *sm = NULL;
    TFCT_OK(tfc_saved_model_load(dir, NULL, &sm));
    CU_ASSERT_STRING_EQUAL(tfc_saved_model_writer_version(sm), TFC_VERSION_STRING);
    CU_ASSERT_EQUAL(tfc_saved_model_num_signatures(sm), 3);
    const char *keys[3] = {"classify", "regress", "serving_default"}; /* sorted */
    for (int i = 0; i < 3; i++) CU_ASSERT_STRING_EQUAL(tfc_signature_key(tfc_saved_model_signature(sm, i)), keys[i]);
    CU_ASSERT_PTR_NULL(tfc_saved_model_signature(sm, 3));
    const tfc_signature *sd = tfc_saved_model_find_signature(sm, "serving_default");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sd);
    CU_ASSERT_PTR_NULL(tfc_saved_model_find_signature(sm, "nope"));
    CU_ASSERT_STRING_EQUAL(tfc_signature_method_name(sd), TFC_PREDICT_METHOD_NAME);
    CU_ASSERT_EQUAL(tfc_signature_num_inputs(sd), 1);
    CU_ASSERT_STRING_EQUAL(tfc_signature_input_key(sd, 0), "x");
    CU_ASSERT_STRING_EQUAL(tfc_signature_output_key(sd, 0), "class_ids");
    CU_ASSERT_STRING_EQUAL(tfc_signature_output_key(sd, 1), "probabilities");
    tfc_dtype dt;
    int64_t dims[8];
    int rank;
    TFCT_OK(tfc_signature_input_info(sd, 0, &dt, dims, &rank));
    CU_ASSERT_EQUAL(dt, TFC_FLOAT);
    CU_ASSERT_EQUAL(rank, 2);
    CU_ASSERT_EQUAL(dims[0], -1);
    CU_ASSERT_EQUAL(dims[1], 3);
    TFCT_OK(tfc_signature_output_info(sd, 0, &dt, NULL, &rank));
    CU_ASSERT_EQUAL(dt, TFC_INT64);
    CU_ASSERT_EQUAL(rank, 1);
    CU_ASSERT_EQUAL(tfc_signature_output_info(sd, 2, &dt, dims, &rank), TFC_OUT_OF_RANGE);
    /* the tensors live in the model's graph */
    tfc_output in0 = tfc_signature_input(sd, 0);
    CU_ASSERT_STRING_EQUAL(tfc_op_name(in0.op), "x");
    CU_ASSERT_PTR_EQUAL(in0.op, tfc_graph_op_by_name(tfc_saved_model_graph(sm), "x"));
    /* lent signatures are not freed, nor changed */
    tfc_signature_free((tfc_signature *)sd);
    CU_ASSERT_EQUAL(tfc_signature_add_input((tfc_signature *)sd, "y", in0), TFC_FAILED_PRECONDITION);

    /* variables were restored: no initializer run */
    tfc_tensor *cv;
    TFCT_OK(tfc_session_variable_value(tfc_saved_model_session(sm),
                                       tfc_graph_op_by_name(tfc_saved_model_graph(sm), "counter"), &cv));
    CU_ASSERT_EQUAL(*(int64_t *)tfc_tensor_data(cv), 1);
    tfc_tensor_free(cv);

    /* runs by key give the original's values bit for bit */
    const char *in_keys[1] = {"x"}, *out_keys[2] = {"probabilities", "class_ids"};
    tfc_tensor *got[2];
    TFCT_OK(tfc_saved_model_run(sm, "serving_default", in_keys, &xb, 1, out_keys, got, 2));
    CU_ASSERT_TRUE(same_tensor(got[0], want[0]));
    CU_ASSERT_TRUE(same_tensor(got[1], want[1]));
    tfc_tensor_free(got[0]);
    tfc_tensor_free(got[1]);
    /* NULL keys: the signature's order (class_ids, probabilities) */
    TFCT_OK(tfc_saved_model_run(sm, "serving_default", NULL, &xb, 1, NULL, got, 2));
    CU_ASSERT_TRUE(same_tensor(got[0], want[1]));
    CU_ASSERT_TRUE(same_tensor(got[1], want[0]));
    tfc_tensor_free(got[0]);
    tfc_tensor_free(got[1]);
    const char *ik[1] = {"inputs"}, *ok[1] = {"outputs"};
    TFCT_OK(tfc_saved_model_run(sm, "regress", ik, &xb, 1, ok, got, 1));
    CU_ASSERT_TRUE(same_tensor(got[0], want[2]));
    tfc_tensor_free(got[0]);
    const char *ck[1] = {"scores"};
    TFCT_OK(tfc_saved_model_run(sm, "classify", ik, &xb, 1, ck, got, 1));
    CU_ASSERT_TRUE(same_tensor(got[0], want[0]));
    tfc_tensor_free(got[0]);

    /* unknown keys list the valid ones; nothing is returned */
    got[0] = (tfc_tensor *)1;
    const char *bad_in[1] = {"X"}, *bad_out[1] = {"probs"};
    CU_ASSERT_EQUAL(tfc_saved_model_run(sm, "serving_default", bad_in, &xb, 1, out_keys, got, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("signature 'serving_default' has no input 'X'; its inputs are 'x'");
    CU_ASSERT_PTR_NULL(got[0]);
    CU_ASSERT_EQUAL(tfc_saved_model_run(sm, "serving_default", in_keys, &xb, 1, bad_out, got, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("has no output 'probs'; its outputs are 'class_ids', 'probabilities'");
    CU_ASSERT_EQUAL(tfc_saved_model_run(sm, "predict", in_keys, &xb, 1, out_keys, got, 1), TFC_NOT_FOUND);
    TFCT_ERR_HAS("no signature 'predict'; the model has 'classify', 'regress', 'serving_default'");
    CU_ASSERT_EQUAL(tfc_saved_model_run(sm, "serving_default", NULL, &xb, 1, NULL, got, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("has 2 outputs; 1 requested without keys");
    CU_ASSERT_EQUAL(tfc_saved_model_run(sm, "serving_default", NULL, NULL, 0, out_keys, got, 1), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("has 1 inputs; 0 given without keys");
    /* a missing feed is the session's error */
    CU_ASSERT_EQUAL(tfc_saved_model_run(sm, "serving_default", in_keys, &xb, 0, out_keys, got, 1),
                    TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("must be fed");
    CU_ASSERT_EQUAL(tfc_saved_model_run(NULL, "serving_default", in_keys, &xb, 1, out_keys, got, 1),
                    TFC_INVALID_ARGUMENT);

    /* the graph can grow: ops on top of the model's outputs */
    tfc_graph *lg = tfc_saved_model_graph(sm);
    tfc_output doubled = tfc_mul(lg, tfc_signature_output(sd, 1), tfc_const_float(lg, 2, NULL), "doubled");
    TFCT_GRAPH_OK(lg);
    tfc_output lx = tfc_signature_input(sd, 0);
    TFCT_OK(tfc_session_run(tfc_saved_model_session(sm), &lx, &xb, 1, &doubled, got, 1, NULL, 0));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(got[0]))[0], 2 * ((float *)tfc_tensor_data(want[0]))[0]);
    tfc_tensor_free(got[0]);

    tfc_saved_model_free(sm);
    tfc_saved_model_free(NULL);
    for (int i = 0; i < 3; i++) tfc_tensor_free(want[i]);
    tfc_tensor_free(xb);
    free_sigs(sigs, n);
    free_model(&m);
}

static void test_main_op_and_empty_models(void)
{
    char dir[256];
    export_model(dir, sizeof dir, (tfc_op *)1);
    tfc_saved_model *sm;
    TFCT_OK(tfc_saved_model_load(dir, NULL, &sm));
    /* the main op ran once after the restore: counter 1 + 1 */
    tfc_tensor *cv;
    TFCT_OK(tfc_session_variable_value(tfc_saved_model_session(sm),
                                       tfc_graph_op_by_name(tfc_saved_model_graph(sm), "counter"), &cv));
    CU_ASSERT_EQUAL(*(int64_t *)tfc_tensor_data(cv), 2);
    tfc_tensor_free(cv);
    tfc_saved_model_free(sm);

    /* no variables, no signatures; an existing empty directory; a trailing slash */
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_const_float(g, 3, "three");
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    char empty[256], slash[300];
    fresh_path(empty, sizeof empty, "empty");
    CU_ASSERT_EQUAL(mkdir(empty, 0777), 0);
    snprintf(slash, sizeof slash, "%s//", empty);
    TFCT_OK(tfc_saved_model_export(s, g, slash, NULL, 0, NULL));
    TFCT_OK(tfc_saved_model_load(empty, NULL, &sm));
    CU_ASSERT_EQUAL(tfc_saved_model_num_signatures(sm), 0);
    CU_ASSERT_EQUAL(tfc_graph_num_ops(tfc_saved_model_graph(sm)), 1);
    tfc_saved_model_free(sm);
    tfc_session_free(s);
    tfc_graph_free(g);
}

static void test_export_errors(void)
{
    model m = make_model();
    tfc_signature *sigs[3];
    int n = make_sigs(&m, sigs);
    char dir[256];
    fresh_path(dir, sizeof dir, "errs");
    /* a non-empty directory, a file */
    CU_ASSERT_EQUAL(mkdir(dir, 0777), 0);
    char f[300];
    snprintf(f, sizeof f, "%s/other", dir);
    write_all(f, "x", 1);
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, dir, sigs, n, NULL), TFC_ALREADY_EXISTS);
    TFCT_ERR_HAS("already exists and is not empty");
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, f, sigs, n, NULL), TFC_ALREADY_EXISTS);
    TFCT_ERR_HAS("is not a directory");
    /* two signatures with one key */
    tfc_signature *dup[2] = {sigs[0], sigs[0]};
    char d2[256];
    fresh_path(d2, sizeof d2, "dup");
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, dup, 2, NULL), TFC_ALREADY_EXISTS);
    TFCT_ERR_HAS("two signatures have the key 'serving_default'");
    /* method rules */
    tfc_signature *bad;
    TFCT_OK(tfc_signature_new("c", TFC_CLASSIFY_METHOD_NAME, &bad));
    TFCT_OK(tfc_signature_add_input(bad, "x", m.x));
    TFCT_OK(tfc_signature_add_output(bad, "scores", m.probs));
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, &bad, 1, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("the classify method needs exactly the input 'inputs'");
    tfc_signature_free(bad);
    TFCT_OK(tfc_signature_new("r", TFC_REGRESS_METHOD_NAME, &bad));
    TFCT_OK(tfc_signature_add_input(bad, "inputs", m.x));
    TFCT_OK(tfc_signature_add_output(bad, "scores", m.probs));
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, &bad, 1, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("the regress method needs");
    tfc_signature_free(bad);
    TFCT_OK(tfc_signature_new("p", TFC_PREDICT_METHOD_NAME, &bad));
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, &bad, 1, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("signature 'p' has no outputs");
    /* signature builder errors */
    CU_ASSERT_EQUAL(tfc_signature_add_input(bad, "", m.x), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_signature_add_input(bad, "x", (tfc_output){NULL, 0}), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("input 'x' is not a valid tensor");
    TFCT_OK(tfc_signature_add_input(bad, "x", m.x));
    CU_ASSERT_EQUAL(tfc_signature_add_input(bad, "x", m.x), TFC_ALREADY_EXISTS);
    TFCT_ERR_HAS("input 'x' is added twice");
    tfc_graph *other;
    TFCT_OK(tfc_graph_new(&other));
    tfc_output o = tfc_const_float(other, 1, "o");
    CU_ASSERT_EQUAL(tfc_signature_add_output(bad, "o", o), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("in another graph");
    tfc_signature_free(bad);
    tfc_signature *foreign;
    TFCT_OK(tfc_signature_new("f", TFC_PREDICT_METHOD_NAME, &foreign));
    TFCT_OK(tfc_signature_add_output(foreign, "o", o));
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, &foreign, 1, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("signature 'f' has tensors of another graph");
    tfc_signature_free(foreign);
    tfc_signature *sn = NULL;
    CU_ASSERT_EQUAL(tfc_signature_new("", TFC_PREDICT_METHOD_NAME, &sn), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_signature_new("k", "", &sn), TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(sn);
    /* main op of another graph, bad options */
    tfc_export_options eo = TFC_EXPORT_OPTIONS_INIT;
    eo.main_op = o.op;
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, sigs, n, &eo), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("main_op 'o' is not in the exported graph");
    eo.size = 1;
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, sigs, n, &eo), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_saved_model_export(NULL, m.g, d2, sigs, n, NULL), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, sigs, -1, NULL), TFC_INVALID_ARGUMENT);
    /* an uninitialized variable: nothing is written */
    int64_t d1[1] = {1};
    tfc_variable(m.g, tfc_zeros(m.g, TFC_FLOAT, d1, 1, NULL), "late");
    TFCT_GRAPH_OK(m.g);
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, sigs, n, NULL), TFC_FAILED_PRECONDITION);
    TFCT_ERR_HAS("variable 'late'");
    struct stat st;
    CU_ASSERT_NOT_EQUAL(stat(d2, &st), 0);
    /* nothing but the earlier directories exists under root (no temporaries) */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q tmp-", root);
    CU_ASSERT_NOT_EQUAL(system(cmd), 0);
    /* a graph with a sticky error */
    tfc_add(m.g, m.x, tfc_const_int32(m.g, 1, NULL), NULL);
    CU_ASSERT_EQUAL(tfc_saved_model_export(m.s, m.g, d2, sigs, n, NULL), TFC_FAILED_PRECONDITION);
    tfc_graph_free(other);
    free_sigs(sigs, n);
    free_model(&m);
}

/* ---- damaged exports ---- */

static void expect_load_fails(const char *dir, tfc_code code, const char *text1, const char *text2)
{
    tfc_saved_model *sm = (tfc_saved_model *)1;
    tfc_code c = tfc_saved_model_load(dir, NULL, &sm);
    if (c != code)
        fprintf(stderr, "\nexpected %s, got %s: %s\n", tfc_code_name(code), tfc_code_name(c), tfc_last_error());
    CU_ASSERT_EQUAL(c, code);
    CU_ASSERT_PTR_NULL(sm);
    if (text1) TFCT_ERR_HAS(text1);
    if (text2) TFCT_ERR_HAS(text2);
    if (c == TFC_OK) tfc_saved_model_free(sm);
}

static void test_damaged_model_file(void)
{
    char dir[256], pb[300];
    export_model(dir, sizeof dir, NULL);
    snprintf(pb, sizeof pb, "%s/saved_model.pb", dir);
    size_t n;
    unsigned char *orig = (unsigned char *)read_all(pb, &n);
    unsigned char *d = malloc(n);
    /* truncated anywhere */
    size_t cuts[] = {0, 1, 10, 16, 17, 18, 40, n / 3, n / 2, n - 6, n - 5, n - 4, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_all(pb, orig, cuts[i]);
        expect_load_fails(dir, TFC_DATA_LOSS, pb, cuts[i] < 16 ? "truncated" : NULL);
    }
    /* every single bit flip is caught (magic: wrong magic; elsewhere: checksum) */
    for (size_t at = 0; at < n; at += (at < 40 || at > n - 8) ? 1 : 7) {
        memcpy(d, orig, n);
        d[at] ^= (unsigned char)(1u << (at % 8));
        write_all(pb, d, n);
        tfc_saved_model *sm = (tfc_saved_model *)1;
        tfc_code c = tfc_saved_model_load(dir, NULL, &sm);
        CU_ASSERT(c == TFC_DATA_LOSS || c == TFC_INVALID_ARGUMENT);
        CU_ASSERT_PTR_NULL(sm);
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), pb));
        if (at < 16) CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "wrong magic"));
    }
    /* a newer format version (with a valid checksum) */
    memcpy(d, orig, n);
    CU_ASSERT_EQUAL(d[16], 0x10); /* field 2, varint */
    CU_ASSERT_EQUAL(d[17], 1);
    d[17] = 2;
    fix_crc(d, n);
    write_all(pb, d, n);
    expect_load_fails(dir, TFC_UNIMPLEMENTED, "format version 2 is newer than this tfc", "versions 1 to 1");
    /* not a tfc export at all: TensorFlow's SavedModel starts with field 1 as a varint */
    write_all(pb, "\x08\x01\x12\x00", 4);
    expect_load_fails(dir, TFC_INVALID_ARGUMENT, pb, "wrong magic");
    memcpy(d, orig, n);
    memcpy(d + 2, "TFC", 3);
    write_all(pb, d, n);
    expect_load_fails(dir, TFC_INVALID_ARGUMENT, pb, "wrong magic");
    /* oversized: refused from its size alone (a sparse file) */
    int fd = open(pb, O_WRONLY | O_TRUNC);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(ftruncate(fd, ((off_t)512 << 20) + 1), 0);
    close(fd);
    expect_load_fails(dir, TFC_INVALID_ARGUMENT, pb, "more than the 536870912 bytes allowed");
    /* missing */
    unlink(pb);
    expect_load_fails(dir, TFC_NOT_FOUND, pb, "cannot open");
    char nodir[300];
    snprintf(nodir, sizeof nodir, "%s/none", root);
    expect_load_fails(nodir, TFC_NOT_FOUND, nodir, NULL);
    /* intact again: loads */
    write_all(pb, orig, n);
    tfc_saved_model *sm;
    TFCT_OK(tfc_saved_model_load(dir, NULL, &sm));
    tfc_saved_model_free(sm);
    free(d);
    free(orig);
}

/* Hand-made model files with valid checksums but inconsistent contents. */
typedef struct pbuf {
    unsigned char d[4096];
    size_t n;
} pbuf;
static void pv(pbuf *p, uint64_t v)
{
    while (v >= 0x80) {
        p->d[p->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p->d[p->n++] = (unsigned char)v;
}
static void pbytes(pbuf *p, int field, const void *s, size_t len)
{
    pv(p, (uint64_t)field << 3 | 2);
    pv(p, len);
    memcpy(p->d + p->n, s, len);
    p->n += len;
}
static void pstr(pbuf *p, int field, const char *s) { pbytes(p, field, s, strlen(s)); }
static void pmsg(pbuf *p, int field, const pbuf *m) { pbytes(p, field, m->d, m->n); }
static void pint(pbuf *p, int field, uint64_t v)
{
    pv(p, (uint64_t)field << 3);
    pv(p, v);
}

static void write_model(const char *dir, const pbuf *body)
{
    char path[300];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    unsigned char buf[4200];
    memcpy(buf, body->d, body->n);
    size_t n = body->n + 5;
    fix_crc(buf, n);
    write_all(path, buf, n);
}

static pbuf header(int version)
{
    pbuf p = {{0}, 0};
    pstr(&p, 1, "tfc.SavedModel");
    pint(&p, 2, (uint64_t)version);
    pstr(&p, 3, "9.9.9");
    return p;
}

/* GraphDef with a float placeholder "x" [2] and optionally a variable "v" [2]. */
static pbuf graph(bool with_var)
{
    pbuf gd = {{0}, 0}, nd = {{0}, 0}, e = {{0}, 0}, v = {{0}, 0}, e2 = {{0}, 0}, v2 = {{0}, 0}, sh = {{0}, 0},
         dim = {{0}, 0};
    pint(&dim, 1, 2);
    pmsg(&sh, 2, &dim);
    pstr(&nd, 1, "x");
    pstr(&nd, 2, "Placeholder");
    pstr(&e, 1, "dtype");
    pint(&v, 6, 1);
    pmsg(&e, 2, &v);
    pmsg(&nd, 5, &e);
    pstr(&e2, 1, "shape");
    pmsg(&v2, 7, &sh);
    pmsg(&e2, 2, &v2);
    pmsg(&nd, 5, &e2);
    pmsg(&gd, 1, &nd);
    if (with_var) {
        pbuf vn = {{0}, 0};
        pstr(&vn, 1, "v");
        pstr(&vn, 2, "VariableV2");
        pmsg(&vn, 5, &e);
        pmsg(&vn, 5, &e2);
        pmsg(&gd, 1, &vn);
    }
    return gd;
}

static pbuf var_info(const char *name, int dim0)
{
    pbuf vi = {{0}, 0}, sh = {{0}, 0}, dim = {{0}, 0};
    pint(&dim, 1, (uint64_t)dim0);
    pmsg(&sh, 2, &dim);
    pstr(&vi, 1, name);
    pint(&vi, 2, 1);
    pmsg(&vi, 3, &sh);
    return vi;
}

static pbuf signature(const char *key, const char *tensor, int dtype)
{
    pbuf se = {{0}, 0}, sd = {{0}, 0}, ie = {{0}, 0}, ti = {{0}, 0}, sh = {{0}, 0}, dim = {{0}, 0};
    pint(&dim, 1, 2);
    pmsg(&sh, 2, &dim);
    pstr(&ti, 1, tensor);
    pint(&ti, 2, (uint64_t)dtype);
    pmsg(&ti, 3, &sh);
    pstr(&ie, 1, "in");
    pmsg(&ie, 2, &ti);
    pmsg(&sd, 1, &ie);
    pmsg(&sd, 2, &ie);
    pstr(&sd, 3, TFC_PREDICT_METHOD_NAME);
    pstr(&se, 1, key);
    pmsg(&se, 2, &sd);
    return se;
}

static void test_inconsistent_model_files(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir, "handmade");
    pbuf p, g = graph(false), gv = graph(true);

    p = header(1);
    pmsg(&p, 4, &g);
    pbuf s = signature("serving_default", "x:0", 1);
    pmsg(&p, 5, &s);
    write_model(dir, &p);
    tfc_saved_model *sm;
    TFCT_OK(tfc_saved_model_load(dir, NULL, &sm)); /* the baseline is valid */
    CU_ASSERT_STRING_EQUAL(tfc_saved_model_writer_version(sm), "9.9.9");
    tfc_saved_model_free(sm);

    p = header(0);
    pmsg(&p, 4, &g);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "saved_model.pb", "no format version");

    p = header(1);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "saved_model.pb", "no graph");

    p = header(1);
    pbuf bad = {{0}, 0}, nd = {{0}, 0};
    pstr(&nd, 1, "n");
    pstr(&nd, 2, "Nope");
    pmsg(&bad, 1, &nd);
    pmsg(&p, 4, &bad);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_NOT_FOUND, "saved_model.pb", "node 'n' (Nope): unknown op type");

    /* variables listed but absent, absent but listed, of another shape */
    p = header(1);
    pmsg(&p, 4, &gv);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "saved_model.pb", "lists 0 variables but its graph has 1");
    p = header(1);
    pmsg(&p, 4, &gv);
    pbuf vi = var_info("x", 2);
    pmsg(&p, 7, &vi);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "variable 'x' is not a variable of the graph", NULL);
    p = header(1);
    pmsg(&p, 4, &gv);
    vi = var_info("v", 3);
    pmsg(&p, 7, &vi);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "variable 'v': dtype or shape differs", NULL);

    /* signatures naming missing tensors, wrong dtypes, duplicates, no method */
    const char *tensors[3] = {"y:0", "x:1", "x:"};
    for (int i = 0; i < 3; i++) {
        p = header(1);
        pmsg(&p, 4, &g);
        s = signature("sig", tensors[i], 1);
        pmsg(&p, 5, &s);
        write_model(dir, &p);
        expect_load_fails(dir, TFC_DATA_LOSS, "signature 'sig': input 'in' names tensor", "not in the graph");
    }
    p = header(1);
    pmsg(&p, 4, &g);
    s = signature("sig", "x:0", 3);
    pmsg(&p, 5, &s);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "is recorded as int32 [2] but tensor 'x:0' is float32 [2]", NULL);
    p = header(1);
    pmsg(&p, 4, &g);
    s = signature("sig", "x:0", 1);
    pmsg(&p, 5, &s);
    pmsg(&p, 5, &s);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "signature 'sig' appears twice", NULL);
    p = header(1);
    pmsg(&p, 4, &g);
    pbuf se = {{0}, 0}, sd = {{0}, 0};
    pstr(&se, 1, "nomethod");
    pmsg(&se, 2, &sd);
    pmsg(&p, 5, &se);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "signature 'nomethod' has no method name", NULL);
    p = header(1);
    pmsg(&p, 4, &g);
    pstr(&p, 6, "missing_op");
    write_model(dir, &p);
    expect_load_fails(dir, TFC_DATA_LOSS, "main op 'missing_op' is not in the graph", NULL);
    /* a bad magic inside a valid checksum */
    p = header(1);
    pstr(&p, 1, "tfc.Other");
    pmsg(&p, 4, &g);
    write_model(dir, &p);
    expect_load_fails(dir, TFC_INVALID_ARGUMENT, "wrong magic", NULL);
    /* the fuzz target's entry point says the same */
    CU_ASSERT_EQUAL(tfci_saved_model_parse_buffer("tfc", 3, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("saved_model.pb buffer");
}

static void test_damaged_variables(void)
{
    char dir[256], vf[300];
    export_model(dir, sizeof dir, NULL);
    snprintf(vf, sizeof vf, "%s/variables/variables.tfc", dir);
    size_t n;
    unsigned char *orig = (unsigned char *)read_all(vf, &n);
    unsigned char *d = malloc(n);
    /* missing */
    unlink(vf);
    expect_load_fails(dir, TFC_NOT_FOUND, vf, NULL);
    /* truncated, bit-flipped */
    size_t cuts[] = {0, 3, n / 2, n - 1};
    for (size_t i = 0; i < 4; i++) {
        write_all(vf, orig, cuts[i]);
        expect_load_fails(dir, TFC_DATA_LOSS, vf, NULL);
    }
    for (size_t at = 0; at < n; at += 5) {
        memcpy(d, orig, n);
        d[at] ^= 0x10;
        write_all(vf, d, n);
        tfc_saved_model *sm = (tfc_saved_model *)1;
        tfc_code c = tfc_saved_model_load(dir, NULL, &sm);
        CU_ASSERT_NOT_EQUAL(c, TFC_OK);
        CU_ASSERT_PTR_NULL(sm);
        CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), vf));
        if (c == TFC_OK) tfc_saved_model_free(sm);
    }
    /* a valid checkpoint lacking a variable, or with a wrong shape */
    int64_t d4[1] = {4}, d3[1] = {3}, d34[2] = {3, 4};
    float z[12] = {0};
    int64_t one = 1;
    tfc_tensor *w = tfct_f32(z, d34, 2), *b = tfct_f32(z, d4, 1), *b3 = tfct_f32(z, d3, 1),
               *c = tfct_i64(&one, NULL, 0);
    const char *names[2] = {"w", "b"};
    const tfc_tensor *vals[2] = {w, b};
    TFCT_OK(tfci_ckpt_write(vf, names, vals, 2));
    expect_load_fails(dir, TFC_DATA_LOSS, vf, "no value for variable 'counter'");
    const char *names3[3] = {"w", "b", "counter"};
    const tfc_tensor *vals3[3] = {w, b3, c};
    TFCT_OK(tfci_ckpt_write(vf, names3, vals3, 3));
    expect_load_fails(dir, TFC_DATA_LOSS, vf, "variable 'b'");
    vals3[1] = b;
    TFCT_OK(tfci_ckpt_write(vf, names3, vals3, 3));
    tfc_saved_model *sm;
    TFCT_OK(tfc_saved_model_load(dir, NULL, &sm));
    tfc_saved_model_free(sm);
    tfc_tensor_free(w);
    tfc_tensor_free(b);
    tfc_tensor_free(b3);
    tfc_tensor_free(c);
    free(d);
    free(orig);
}

/* ---- concurrent runs ---- */

typedef struct run_arg {
    tfc_saved_model *m;
    const tfc_tensor *want;
    int bad;
} run_arg;

static void *run_many(void *p)
{
    run_arg *a = p;
    tfc_tensor *xb = batch();
    const char *ik[1] = {"x"}, *ok[1] = {"probabilities"};
    for (int i = 0; i < 300; i++) {
        tfc_tensor *out = NULL;
        if (tfc_saved_model_run(a->m, "serving_default", ik, &xb, 1, ok, &out, 1) != TFC_OK ||
            !same_tensor(out, a->want))
            a->bad++;
        tfc_tensor_free(out);
    }
    tfc_tensor_free(xb);
    return NULL;
}

static void test_concurrent_runs(void)
{
    char dir[256];
    export_model(dir, sizeof dir, NULL);
    tfc_saved_model *sm;
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = 1;
    TFCT_OK(tfc_saved_model_load(dir, &so, &sm));
    CU_ASSERT_EQUAL(tfc_session_num_threads(tfc_saved_model_session(sm)), 1);
    tfc_tensor *xb = batch(), *want;
    const char *ik[1] = {"x"}, *ok[1] = {"probabilities"};
    TFCT_OK(tfc_saved_model_run(sm, "serving_default", ik, &xb, 1, ok, &want, 1));
    pthread_t th[4];
    run_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (run_arg){sm, want, 0};
        pthread_create(&th[i], NULL, run_many, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(args[i].bad, 0);
    }
    /* a second, independent load of the same export */
    tfc_saved_model *sm2;
    TFCT_OK(tfc_saved_model_load(dir, NULL, &sm2));
    tfc_tensor *out;
    TFCT_OK(tfc_saved_model_run(sm2, "serving_default", ik, &xb, 1, ok, &out, 1));
    CU_ASSERT_TRUE(same_tensor(out, want));
    tfc_tensor_free(out);
    tfc_saved_model_free(sm2);
    tfc_tensor_free(want);
    tfc_tensor_free(xb);
    tfc_saved_model_free(sm);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/tfc_saved_model_XXXXXX");
    if (!mkdtemp(root)) return 2;
    static const tfct_case cases[] = {
        {"export, load and run", test_export_load_run},
        {"main op and empty models", test_main_op_and_empty_models},
        {"export errors", test_export_errors},
        {"damaged model file", test_damaged_model_file},
        {"inconsistent model files", test_inconsistent_model_files},
        {"damaged variables", test_damaged_variables},
        {"concurrent runs", test_concurrent_runs},
        {NULL, NULL},
    };
    int rc = tfct_main("saved_model", cases);
    rm_rf(root);
    return rc;
}
