/* TensorFlow's classic beginner MNIST script, with tfc's C API: the model
 * shared by examples/mnist_softmax.c and bench/bench_softmax.c. */
#ifndef TFC_EXAMPLES_SOFTMAX_RECIPE_H
#define TFC_EXAMPLES_SOFTMAX_RECIPE_H

#include "mnist_data.h"

typedef struct softmax_result {
    double accuracy;      /* on the test split */
    double train_seconds; /* the training loop alone: batching, feeding, steps */
    double final_loss;
} softmax_result;

/* x [None,784] (bytes fed, scaled to [0, 1] in the graph) -> softmax(xW + b), W [784,10] and b [10] zeros, mean
 * cross-entropy, gradient descent at 0.5, `steps` batches of 100 from a
 * shuffle of the training set seeded with `seed` (reshuffled every epoch).
 * threads 0 = all cores. Returns 0 on success. */
int softmax_recipe_run(const mnist_split *train, const mnist_split *test, int steps, uint64_t seed, int threads,
                       softmax_result *out);

#endif
