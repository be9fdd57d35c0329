/* The MNIST softmax recipe (examples/common/softmax_recipe.c) on Fashion-MNIST:
 * wall time of the training loop for 1,000 and 10,000 steps, median of runs.
 *   bench_softmax [--threads N] [--runs N] [--data DIR] */
#include <string.h>

#include "bench_util.h"
#include "common/softmax_recipe.h"

int main(int argc, char **argv)
{
    int threads = 2, runs = 5;
    const char *dir = MNIST_DEFAULT_DIR;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data")) dir = argv[i + 1];
    }
    if (runs < 1) runs = 1;
    mnist_split train, test;
    if (mnist_load(dir, "train", &train) || mnist_load(dir, "t10k", &test)) return 1;
    printf("recipe: softmax regression 784->10, W and b zeros, mean softmax cross-entropy, GradientDescent 0.5,\n"
           "        batch 100 from a seeded shuffle of 60,000 Fashion-MNIST images; %d threads; median of %d runs\n",
           threads, runs);
    static const int steps[2] = {1000, 10000};
    for (int k = 0; k < 2; k++) {
        int nruns = k == 0 ? runs : (runs + 1) / 2;
        double t[64], acc = 0;
        if (nruns > 64) nruns = 64;
        for (int r = 0; r < nruns; r++) {
            softmax_result res;
            if (softmax_recipe_run(&train, &test, steps[k], (uint64_t)r, threads, &res)) return 1;
            t[r] = res.train_seconds;
            acc += res.accuracy;
        }
        double med = bench_median(t, nruns);
        printf("%5d steps: training loop %.4f s (median), %.1f us/step, mean test accuracy %.4f\n", steps[k], med,
               med / steps[k] * 1e6, acc / nruns);
        char name[64];
        snprintf(name, sizeof name, "softmax_%d_seconds", steps[k]);
        BENCH_RESULT(name, med, "s");
    }
    mnist_free(&train);
    mnist_free(&test);
    return 0;
}
