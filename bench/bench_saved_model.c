/* Exported-model load time and signature-run overhead on a census-sized
 * model: a DNN over 100 dense floats plus one categorical id embedded from
 * a [10000, 8] table, hidden layers 100-70-50-25, 2 classes (~103k
 * parameters), trained 20 Adagrad steps (so its accumulators are exported
 * too, as a trained model's would be), exported with a predict signature.
 * Measures tfc_saved_model_load + tfc_saved_model_free (median of 50) and a
 * one-row run through the signature against tfc_session_run on the same
 * tensors (the difference is what the key lookup costs).
 *   bench_saved_model [--threads N] [--dir PATH] */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "tfc/graph_def.h"
#include "tfc/saved_model.h"
#include "tfc/tfc.h"

#define CHECK(call)                                                                                                    \
    do {                                                                                                               \
        if ((call) != TFC_OK) {                                                                                        \
            fprintf(stderr, "error: %s (line %d)\n", tfc_last_error(), __LINE__);                                      \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

enum { DENSE = 100, VOCAB = 10000, EMB = 8, BATCH = 64 };

static tfc_output dense_layer(tfc_graph *g, tfc_output in, int64_t n_in, int64_t n_out, bool relu, const char *name,
                              int64_t seed, int64_t *params)
{
    int64_t wd[2] = {n_in, n_out}, bd[1] = {n_out};
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s/kernel", name);
    snprintf(bn, sizeof bn, "%s/bias", name);
    tfc_output w = tfc_variable(g, tfc_glorot_uniform(g, TFC_FLOAT, wd, 2, seed, NULL), wn);
    tfc_output b = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, bd, 1, NULL), bn);
    *params += n_in * n_out + n_out;
    tfc_output y = tfc_bias_add(g, tfc_matmul(g, in, w, false, false, NULL), b, name);
    return relu ? tfc_relu(g, y, NULL) : y;
}

/* The temporary directory, removed at exit (also after a failed CHECK). */
static char tmp_work[64];
static void remove_tmp_work(void)
{
    if (!tmp_work[0]) return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_work);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_work);
}

static double dir_bytes(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "du -sb '%s' 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    double v = 0;
    if (p) {
        if (fscanf(p, "%lf", &v) != 1) v = 0;
        pclose(p);
    }
    return v;
}

int main(int argc, char **argv)
{
    int threads = 0;
    const char *base = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            base = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--threads N] [--dir PATH]\n", argv[0]);
            return 2;
        }
    }
    char work[1024];
    if (base) {
        snprintf(work, sizeof work, "%s", base);
    } else {
        snprintf(tmp_work, sizeof tmp_work, "/tmp/tfc_bench_saved_model_XXXXXX");
        if (!mkdtemp(tmp_work)) return 1;
        atexit(remove_tmp_work);
        snprintf(work, sizeof work, "%s", tmp_work);
    }
    char export_dir[1100];
    snprintf(export_dir, sizeof export_dir, "%s/export", work);

    /* ---- the model ---- */
    tfc_graph *g;
    CHECK(tfc_graph_new(&g));
    tfc_graph_set_seed(g, 1);
    int64_t xd[2] = {-1, DENSE}, idd[1] = {-1}, ld[1] = {-1}, ed[2] = {VOCAB, EMB};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, xd, 2, "dense_features");
    tfc_output ids = tfc_placeholder(g, TFC_INT64, idd, 1, "category_id");
    tfc_output labels = tfc_placeholder(g, TFC_INT64, ld, 1, "labels");
    int64_t params = (int64_t)VOCAB * EMB;
    tfc_output emb = tfc_variable(g, tfc_truncated_normal(g, TFC_FLOAT, ed, 2, 0, 0.35, 2, NULL), "embedding");
    tfc_output parts[2] = {x, tfc_gather(g, emb, ids, 0, "embedded")};
    tfc_output h = tfc_concat(g, parts, 2, 1, "input_layer");
    h = dense_layer(g, h, DENSE + EMB, 100, true, "hidden0", 3, &params);
    h = dense_layer(g, h, 100, 70, true, "hidden1", 4, &params);
    h = dense_layer(g, h, 70, 50, true, "hidden2", 5, &params);
    h = dense_layer(g, h, 50, 25, true, "hidden3", 6, &params);
    tfc_output logits = dense_layer(g, h, 25, 2, false, "logits", 7, &params);
    tfc_output probs = tfc_softmax(g, logits, "probabilities");
    tfc_output classes = tfc_argmax(g, logits, 1, "class_ids");
    tfc_output loss = tfc_reduce_mean(g, tfc_sparse_softmax_cross_entropy_with_logits(g, labels, logits, NULL), NULL, 0,
                                      false, "loss");
    tfc_optimizer *opt;
    CHECK(tfc_optimizer_adagrad_new(0.05, 0.1, 0, &opt));
    tfc_op *train;
    CHECK(tfc_optimizer_minimize(opt, g, loss, NULL, 0, true, &train));
    tfc_op *init = tfc_global_variables_initializer(g);
    if (tfc_graph_status(g)) {
        fprintf(stderr, "error: %s\n", tfc_graph_error_message(g));
        return 1;
    }
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = threads;
    tfc_session *s;
    CHECK(tfc_session_new(g, &so, &s));
    CHECK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
    /* a few training steps on synthetic rows */
    float *xv = malloc(sizeof(float) * BATCH * DENSE);
    int64_t iv[BATCH], lv[BATCH];
    uint64_t r = 88172645463325252ULL;
    for (int i = 0; i < BATCH * DENSE; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        xv[i] = (float)((r >> 40) % 2001) / 1000.0f - 1.0f;
    }
    for (int i = 0; i < BATCH; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        iv[i] = (int64_t)(r % VOCAB);
        lv[i] = xv[i * DENSE] > 0;
    }
    int64_t bxd[2] = {BATCH, DENSE}, bd[1] = {BATCH};
    tfc_tensor *fv[3];
    CHECK(tfc_tensor_new(TFC_FLOAT, bxd, 2, xv, sizeof(float) * BATCH * DENSE, &fv[0]));
    CHECK(tfc_tensor_new(TFC_INT64, bd, 1, iv, sizeof iv, &fv[1]));
    CHECK(tfc_tensor_new(TFC_INT64, bd, 1, lv, sizeof lv, &fv[2]));
    tfc_output feeds[3] = {x, ids, labels};
    for (int step = 0; step < 20; step++) CHECK(tfc_session_run(s, feeds, fv, 3, NULL, NULL, 0, &train, 1));

    tfc_signature *sig;
    CHECK(tfc_signature_new(TFC_SERVING_DEFAULT_SIGNATURE_KEY, TFC_PREDICT_METHOD_NAME, &sig));
    CHECK(tfc_signature_add_input(sig, "dense_features", x));
    CHECK(tfc_signature_add_input(sig, "category_id", ids));
    CHECK(tfc_signature_add_output(sig, "probabilities", probs));
    CHECK(tfc_signature_add_output(sig, "class_ids", classes));
    double t0 = bench_now();
    CHECK(tfc_saved_model_export(s, g, export_dir, &sig, 1, NULL));
    double export_ms = (bench_now() - t0) * 1e3;
    size_t nvars = tfc_graph_num_variables(g), nops = tfc_graph_num_ops(g);

    /* ---- load + free ---- */
    enum { LOADS = 50 };
    double load_ms[LOADS];
    for (int i = 0; i < LOADS; i++) {
        tfc_saved_model *m;
        double a = bench_now();
        CHECK(tfc_saved_model_load(export_dir, &so, &m));
        tfc_saved_model_free(m);
        load_ms[i] = (bench_now() - a) * 1e3;
    }
    double load_med = bench_median(load_ms, LOADS);

    /* ---- one-row runs: through the signature and straight through the session ---- */
    tfc_saved_model *m;
    CHECK(tfc_saved_model_load(export_dir, &so, &m));
    int64_t rxd[2] = {1, DENSE}, rd[1] = {1};
    tfc_tensor *row[2];
    CHECK(tfc_tensor_new(TFC_FLOAT, rxd, 2, xv, sizeof(float) * DENSE, &row[0]));
    CHECK(tfc_tensor_new(TFC_INT64, rd, 1, iv, sizeof iv[0], &row[1]));
    const char *in_keys[2] = {"dense_features", "category_id"}, *out_keys[2] = {"probabilities", "class_ids"};
    const tfc_signature *ls = tfc_saved_model_find_signature(m, TFC_SERVING_DEFAULT_SIGNATURE_KEY);
    /* a loaded signature lists keys sorted: category_id, dense_features; class_ids, probabilities */
    tfc_output lfeeds[2] = {tfc_signature_input(ls, 1), tfc_signature_input(ls, 0)};
    tfc_output lfetch[2] = {tfc_signature_output(ls, 1), tfc_signature_output(ls, 0)};
    tfc_session *ms = tfc_saved_model_session(m);
    enum { N = 20000, ROUNDS = 9 };
    double sig_us[ROUNDS], raw_us[ROUNDS];
    for (int rr = 0; rr < ROUNDS; rr++) {
        /* interleaved so drift affects both alike */
        double a = bench_now();
        for (int i = 0; i < N; i++) {
            tfc_tensor *out[2];
            CHECK(tfc_saved_model_run(m, TFC_SERVING_DEFAULT_SIGNATURE_KEY, in_keys, row, 2, out_keys, out, 2));
            tfc_tensor_free(out[0]);
            tfc_tensor_free(out[1]);
        }
        sig_us[rr] = (bench_now() - a) / N * 1e6;
        a = bench_now();
        for (int i = 0; i < N; i++) {
            tfc_tensor *out[2];
            CHECK(tfc_session_run(ms, lfeeds, row, 2, lfetch, out, 2, NULL, 0));
            tfc_tensor_free(out[0]);
            tfc_tensor_free(out[1]);
        }
        raw_us[rr] = (bench_now() - a) / N * 1e6;
    }
    double sig_med = bench_median(sig_us, ROUNDS), raw_med = bench_median(raw_us, ROUNDS);

    printf("recipe: DNN census-like model: %d dense floats + 1 id embedded from [%d,%d]; hidden 100-70-50-25; 2 "
           "classes;\n        %lld model parameters; Adagrad (accumulators exported too): %zu variables, %zu ops;\n"
           "        export dir %.1f KiB; session threads %d\n",
           DENSE, VOCAB, EMB, (long long)params, nvars, nops, dir_bytes(export_dir) / 1024.0,
           tfc_session_num_threads(ms));
    printf("export: %.2f ms\n", export_ms);
    printf("load + free: %.3f ms median of %d (min %.3f, max %.3f)\n", load_med, LOADS, load_ms[0], load_ms[LOADS - 1]);
    printf("one-row run: signature %.3f us, session_run %.3f us, difference %.3f us (medians of %d x %d)\n", sig_med,
           raw_med, sig_med - raw_med, ROUNDS, N);
    BENCH_RESULT("saved_model_params", params, "params");
    BENCH_RESULT("saved_model_load_ms", load_med, "ms");
    BENCH_RESULT("saved_model_run_1row_us", sig_med, "us");
    BENCH_RESULT("saved_model_run_overhead_us", sig_med - raw_med, "us");

    tfc_tensor_free(row[0]);
    tfc_tensor_free(row[1]);
    tfc_saved_model_free(m);
    for (int i = 0; i < 3; i++) tfc_tensor_free(fv[i]);
    free(xv);
    tfc_signature_free(sig);
    tfc_optimizer_free(opt);
    tfc_session_free(s);
    tfc_graph_free(g);
    return 0;
}
