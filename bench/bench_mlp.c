/* MLP 784-256-128-10 (ReLU, Glorot uniform weights, zero biases), Adagrad 0.05
 * with initial accumulator 0.1, batch 100, 5 epochs of Fashion-MNIST:
 * training examples per second, test accuracy, and the latency of predicting
 * one example (median).
 *   bench_mlp [--threads N] [--epochs N] [--data DIR] */
#include <string.h>

#include "bench_util.h"
#include "common/mnist_data.h"
#include "tfc/tfc.h"

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        if ((call) != TFC_OK) {                                                                                    \
            fprintf(stderr, "error: %s\n", tfc_last_error());                                                      \
            return 1;                                                                                              \
        }                                                                                                          \
    } while (0)

static tfc_output dense(tfc_graph *g, tfc_output x, int64_t in, int64_t out, bool relu, int64_t seed,
                        const char *name)
{
    tfc_graph_push_name_scope(g, name);
    int64_t wd[2] = {in, out}, bd[1] = {out};
    tfc_output w = tfc_variable(g, tfc_glorot_uniform(g, TFC_FLOAT, wd, 2, seed, NULL), "kernel");
    tfc_output b = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, bd, 1, NULL), "bias");
    tfc_output y = tfc_bias_add(g, tfc_matmul(g, x, w, false, false, NULL), b, NULL);
    if (relu) y = tfc_relu(g, y, NULL);
    tfc_graph_pop_name_scope(g);
    return y;
}

int main(int argc, char **argv)
{
    int threads = 2, epochs = 5, seed = 1;
    const char *dir = MNIST_DEFAULT_DIR;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--epochs")) epochs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data")) dir = argv[i + 1];
    }
    enum { BATCH = 100 };
    mnist_split train, test;
    if (mnist_load(dir, "train", &train) || mnist_load(dir, "t10k", &test)) return 1;
    printf("recipe: MLP 784-256-128-10, ReLU, Glorot uniform, Adagrad 0.05 (initial accumulator 0.1),\n"
           "        sparse softmax cross-entropy, batch %d, %d epochs of Fashion-MNIST; %d threads\n",
           BATCH, epochs, threads);

    tfc_graph *g;
    CHECK(tfc_graph_new(&g));
    tfc_graph_set_seed(g, seed);
    int64_t xd[2] = {-1, 784}, yd[1] = {-1};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, xd, 2, "x");
    tfc_output y = tfc_placeholder(g, TFC_INT32, yd, 1, "y");
    tfc_output h1 = dense(g, x, 784, 256, true, 0, "dense1");
    tfc_output h2 = dense(g, h1, 256, 128, true, 0, "dense2");
    tfc_output logits = dense(g, h2, 128, 10, false, 0, "logits");
    tfc_output probs = tfc_softmax(g, logits, "probabilities");
    tfc_output loss =
        tfc_reduce_mean(g, tfc_sparse_softmax_cross_entropy_with_logits(g, y, logits, NULL), NULL, 0, false, "loss");
    tfc_output correct = tfc_equal(g, tfc_cast(g, tfc_argmax(g, logits, 1, NULL), TFC_INT32, NULL), y, NULL);
    tfc_output accuracy = tfc_reduce_mean(g, tfc_cast(g, correct, TFC_FLOAT, NULL), NULL, 0, false, "accuracy");
    if (tfc_graph_status(g)) {
        fprintf(stderr, "error: %s\n", tfc_graph_error_message(g));
        return 1;
    }
    tfc_optimizer *opt;
    tfc_op *train_op;
    CHECK(tfc_optimizer_adagrad_new(0.05, 0.1, 0.0, &opt));
    CHECK(tfc_optimizer_minimize(opt, g, loss, NULL, 0, true, &train_op));
    tfc_op *init = tfc_global_variables_initializer(g); /* after minimize: covers the slots too */
    if (!init) return 1;
    tfc_session *s;
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = threads;
    CHECK(tfc_session_new(g, &so, &s));
    CHECK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));

    float *xb = malloc(BATCH * 784 * sizeof(float));
    int32_t *yb = malloc(BATCH * sizeof(int32_t));
    int64_t *order = malloc((size_t)train.n * sizeof *order);
    tfc_tensor *xt, *yt;
    int64_t bx[2] = {BATCH, 784}, by[1] = {BATCH};
    CHECK(tfc_tensor_new_borrowed(TFC_FLOAT, bx, 2, xb, BATCH * 784 * sizeof(float), NULL, NULL, &xt));
    CHECK(tfc_tensor_new_borrowed(TFC_INT32, by, 1, yb, BATCH * sizeof(int32_t), NULL, NULL, &yt));
    tfc_output feeds[2] = {x, y};
    tfc_tensor *vals[2] = {xt, yt};
    uint64_t rng = (uint64_t)seed;
    int64_t steps_per_epoch = train.n / BATCH;
    double t0 = bench_now();
    for (int e = 0; e < epochs; e++) {
        mnist_shuffle(order, train.n, &rng);
        for (int64_t st = 0; st < steps_per_epoch; st++) {
            mnist_batch(&train, order, st * BATCH, BATCH, xb, NULL, yb);
            CHECK(tfc_session_run(s, feeds, vals, 2, NULL, NULL, 0, &train_op, 1));
        }
    }
    double secs = bench_now() - t0;
    double eps = (double)epochs * steps_per_epoch * BATCH / secs;

    int64_t tx[2] = {test.n, 784}, ty[1] = {test.n};
    tfc_tensor *txt, *tyt, *acc;
    CHECK(tfc_tensor_new_borrowed(TFC_FLOAT, tx, 2, test.images, (size_t)test.n * 784 * sizeof(float), NULL, NULL,
                                  &txt));
    CHECK(tfc_tensor_new_borrowed(TFC_INT32, ty, 1, test.labels, (size_t)test.n * sizeof(int32_t), NULL, NULL, &tyt));
    tfc_tensor *tvals[2] = {txt, tyt};
    CHECK(tfc_session_run(s, feeds, tvals, 2, &accuracy, &acc, 1, NULL, 0));
    double test_acc = *(float *)tfc_tensor_data(acc);
    tfc_tensor_free(acc);

    /* single-example inference: one image in, 10 probabilities out */
    enum { REPS = 20000 };
    static double lat[REPS];
    int64_t one[2] = {1, 784};
    tfc_tensor *x1;
    CHECK(tfc_tensor_new_borrowed(TFC_FLOAT, one, 2, test.images, 784 * sizeof(float), NULL, NULL, &x1));
    for (int r = 0; r < REPS; r++) {
        tfc_tensor *p;
        double a = bench_now();
        CHECK(tfc_session_run(s, &x, &x1, 1, &probs, &p, 1, NULL, 0));
        lat[r] = bench_now() - a;
        tfc_tensor_free(p);
    }
    double med_us = bench_median(lat, REPS) * 1e6;
    printf("training: %.0f examples/s (%.2f s for %d epochs), test accuracy %.4f\n", eps, secs, epochs, test_acc);
    printf("single-example inference: %.2f us (median of %d)\n", med_us, REPS);
    BENCH_RESULT("mlp_train_examples_per_second", eps, "ex/s");
    BENCH_RESULT("mlp_test_accuracy", test_acc, "");
    BENCH_RESULT("mlp_predict_one_us", med_us, "us");
    tfc_tensor_free(x1);
    tfc_tensor_free(txt);
    tfc_tensor_free(tyt);
    tfc_tensor_free(xt);
    tfc_tensor_free(yt);
    free(xb);
    free(yb);
    free(order);
    tfc_session_free(s);
    tfc_optimizer_free(opt);
    tfc_graph_free(g);
    mnist_free(&train);
    mnist_free(&test);
    return 0;
}
