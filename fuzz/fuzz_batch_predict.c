/* libFuzzer target for the JSON-lines instance parser of batch prediction
 * (tools/tfc/batch_predict.c: `tfc jobs submit prediction`), which reads
 * files users hand in. The first call exports a small model (a float feature
 * "x" and a string feature "s" in, "predictions" out) into a temporary
 * directory and loads it; every input is then predicted as a buffer of JSON
 * lines, results and per-instance errors written to /dev/null. Checked:
 * nothing crashes, leaks or hangs, and a run either succeeds or names its
 * failure.
 *
 * Seeds: TFC_FUZZ_WRITE_SEEDS=DIR writes a few (valid lines, lists, nulls,
 * a bad type, broken JSON) into DIR at start-up; fuzz/build.sh does it. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tools/tfc/batch_predict.c"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_batch_predict: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,       \
                    tfc_last_error());                                                                                 \
            __builtin_trap();                                                                                          \
        }                                                                                                              \
    } while (0)

static bp_model *model;
static FILE *sink;
static char model_dir[] = "/tmp/tfc_fuzz_bp_XXXXXX";

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (model) bp_model_free(model);
    if (sink) fclose(sink);
    nftw(model_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("TFC_FUZZ_WRITE_SEEDS");
    if (!dir) return 0;
    static const char *const seeds[] = {
        "{\"x\": 1.5, \"s\": \"a\"}\n{\"x\": -2, \"s\": \"bb\"}\n",
        "{\"x\": [2.25], \"s\": [\"c\"]}\n\n{\"s\": \"d\", \"x\": 1e3, \"extra\": true}\n",
        "{\"x\": null, \"s\": \"e\"}\n{\"x\": \"not a number\", \"s\": 1}\n",
        "{\"x\": 1, \"s\": \"\\u00e9\\n\"}\n{\"x\": 1,\n[1, 2]\n{}\n",
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/seed%zu.json", dir, i);
        FILE *f = fopen(path, "w");
        if (!f) continue;
        fputs(seeds[i], f);
        fclose(f);
    }
    return 0;
}

static void setup(void)
{
    tfc_graph *g;
    CHECK(tfc_graph_new(&g) == TFC_OK);
    int64_t batch[1] = {-1};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, batch, 1, "x");
    tfc_output s = tfc_placeholder(g, TFC_STRING, batch, 1, "s");
    tfc_output h = tfc_cast(g, tfc_string_to_hash_bucket_fast(g, s, 7, "hash"), TFC_FLOAT, "hash_float");
    int64_t col[2] = {-1, 1};
    tfc_output y = tfc_reshape(g, tfc_add(g, tfc_mul(g, x, tfc_const_float(g, 2, "two"), "twice"), h, "sum"), col, 2,
                               "predictions");
    CHECK(tfc_graph_status(g) == TFC_OK);
    tfc_signature *sig;
    CHECK(tfc_signature_new("serving_default", "tensorflow/serving/predict", &sig) == TFC_OK);
    CHECK(tfc_signature_add_input(sig, "x", x) == TFC_OK);
    CHECK(tfc_signature_add_input(sig, "s", s) == TFC_OK);
    CHECK(tfc_signature_add_output(sig, "predictions", y) == TFC_OK);
    tfc_session *sess;
    CHECK(tfc_session_new(g, NULL, &sess) == TFC_OK);
    CHECK(mkdtemp(model_dir) != NULL);
    atexit(cleanup);
    char path[64];
    snprintf(path, sizeof path, "%s/model", model_dir);
    CHECK(tfc_saved_model_export(sess, g, path, &sig, 1, NULL) == TFC_OK);
    tfc_signature_free(sig);
    tfc_session_free(sess);
    tfc_graph_free(g);
    bp_options o = BP_OPTIONS_INIT;
    o.threads = 1;
    o.batch_size = 16;
    char err[512];
    CHECK(bp_model_load(path, &o, &model, err, sizeof err) == TFC_OK);
    sink = fopen("/dev/null", "w");
    CHECK(sink != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) setup();
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    char err[512] = "";
    bp_counts counts = {0, 0};
    int c = bp_predict_buffer(model, buf, size, "fuzz.json", sink, sink, &counts, err, sizeof err);
    CHECK(c == TFC_OK || err[0]);
    free(buf);
    return 0;
}
