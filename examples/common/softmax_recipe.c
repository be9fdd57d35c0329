#include "softmax_recipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tfc/tfc.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        if ((call) != TFC_OK) {                                                                                    \
            fprintf(stderr, "error: %s\n", tfc_last_error());                                                      \
            goto fail;                                                                                             \
        }                                                                                                          \
    } while (0)

int softmax_recipe_run(const mnist_split *train, const mnist_split *test, int steps, uint64_t seed, int threads,
                       softmax_result *out)
{
    enum { BATCH = 100 };
    int rc = 1;
    tfc_graph *g = NULL;
    tfc_session *s = NULL;
    tfc_optimizer *opt = NULL;
    tfc_tensor *xb = NULL, *yb = NULL, *xt = NULL, *yt = NULL;
    uint8_t *xbuf = malloc(BATCH * 784);
    float *ybuf = malloc(BATCH * 10 * sizeof(float));
    int64_t *order = malloc((size_t)train->n * sizeof *order);
    if (!xbuf || !ybuf || !order) goto fail;

    CHECK(tfc_graph_new(&g));
    int64_t xdims[2] = {-1, 784}, ydims[2] = {-1, 10}, wdims[2] = {784, 10}, bdims[1] = {10};
    /* images are fed as bytes and scaled to [0, 1] in the graph */
    tfc_output pixels = tfc_placeholder(g, TFC_UINT8, xdims, 2, "pixels");
    tfc_output x = tfc_mul(g, tfc_cast(g, pixels, TFC_FLOAT, NULL), tfc_const_float(g, 1.0f / 255.0f, NULL), "x");
    tfc_output y_ = tfc_placeholder(g, TFC_FLOAT, ydims, 2, "y_");
    tfc_output W = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, wdims, 2, NULL), "W");
    tfc_output b = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, bdims, 1, NULL), "b");
    tfc_output logits = tfc_add(g, tfc_matmul(g, x, W, false, false, NULL), b, "logits");
    tfc_output xent = tfc_reduce_mean(g, tfc_softmax_cross_entropy_with_logits(g, y_, logits, NULL), NULL, 0, false,
                                      "cross_entropy");
    tfc_output correct = tfc_equal(g, tfc_argmax(g, logits, 1, NULL), tfc_argmax(g, y_, 1, NULL), NULL);
    tfc_output accuracy = tfc_reduce_mean(g, tfc_cast(g, correct, TFC_FLOAT, NULL), NULL, 0, false, "accuracy");
    if (tfc_graph_status(g)) {
        fprintf(stderr, "error: %s\n", tfc_graph_error_message(g));
        goto fail;
    }
    tfc_op *train_op;
    CHECK(tfc_optimizer_gradient_descent_new(0.5, &opt));
    CHECK(tfc_optimizer_minimize(opt, g, xent, NULL, 0, true, &train_op));
    tfc_op *init = tfc_global_variables_initializer(g); /* after minimize: covers the global step too */
    if (!init) goto fail;

    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = threads;
    CHECK(tfc_session_new(g, &so, &s));
    CHECK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));

    int64_t bx[2] = {BATCH, 784}, by[2] = {BATCH, 10};
    CHECK(tfc_tensor_new_borrowed(TFC_UINT8, bx, 2, xbuf, BATCH * 784, NULL, NULL, &xb));
    CHECK(tfc_tensor_new_borrowed(TFC_FLOAT, by, 2, ybuf, BATCH * 10 * sizeof(float), NULL, NULL, &yb));
    tfc_output feeds[2] = {pixels, y_};
    tfc_tensor *vals[2] = {xb, yb};
    uint64_t rng = seed;
    int64_t pos = train->n; /* forces a shuffle before the first batch */
    double t0 = now();
    for (int step = 0; step < steps; step++) {
        if (pos + BATCH > train->n) {
            mnist_shuffle(order, train->n, &rng);
            pos = 0;
        }
        mnist_batch_bytes(train, order, pos, BATCH, xbuf, ybuf, NULL);
        pos += BATCH;
        CHECK(tfc_session_run(s, feeds, vals, 2, NULL, NULL, 0, &train_op, 1));
    }
    out->train_seconds = now() - t0;

    tfc_tensor *loss = NULL;
    CHECK(tfc_session_run(s, feeds, vals, 2, &xent, &loss, 1, NULL, 0));
    out->final_loss = *(float *)tfc_tensor_data(loss);
    tfc_tensor_free(loss);

    int64_t tx[2] = {test->n, 784}, ty[2] = {test->n, 10};
    CHECK(tfc_tensor_new_borrowed(TFC_UINT8, tx, 2, test->pixels, (size_t)test->n * 784, NULL, NULL, &xt));
    CHECK(tfc_tensor_new_borrowed(TFC_FLOAT, ty, 2, test->onehot, (size_t)test->n * 10 * sizeof(float), NULL, NULL,
                                  &yt));
    tfc_tensor *tvals[2] = {xt, yt}, *acc = NULL;
    CHECK(tfc_session_run(s, feeds, tvals, 2, &accuracy, &acc, 1, NULL, 0));
    out->accuracy = *(float *)tfc_tensor_data(acc);
    tfc_tensor_free(acc);
    rc = 0;
fail:
    tfc_tensor_free(xb);
    tfc_tensor_free(yb);
    tfc_tensor_free(xt);
    tfc_tensor_free(yt);
    tfc_session_free(s);
    tfc_optimizer_free(opt);
    tfc_graph_free(g);
    free(xbuf);
    free(ybuf);
    free(order);
    return rc;
}
