/* TensorFlow's classic beginner MNIST script, in C with tfc, on Fashion-MNIST:
 * softmax regression trained by gradient descent, mean test accuracy over
 * several seeds (a single SGD run at rate 0.5 is noisy).
 *
 *   mnist_softmax [--data DIR] [--steps N] [--seeds 0,1,2] [--threads N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mnist_data.h"
#include "common/softmax_recipe.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: mnist_softmax [--data DIR] [--steps N] [--seeds LIST] [--threads N]\n"
            "  --data DIR     Fashion-MNIST IDX files (default " MNIST_DEFAULT_DIR ")\n"
            "  --steps N      training steps of 100 examples (default 1000)\n"
            "  --seeds LIST   comma-separated shuffle seeds, accuracy averaged (default 0,1,2)\n"
            "  --threads N    threads, 0 = all cores (default 0)\n");
}

int main(int argc, char **argv)
{
    const char *dir = MNIST_DEFAULT_DIR, *seeds = "0,1,2";
    int steps = 1000, threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && strcmp(a, "--data") == 0) dir = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--steps") == 0) steps = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(a, "--seeds") == 0) seeds = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--threads") == 0) threads = atoi(argv[++i]);
        else {
            usage();
            return strcmp(a, "--help") == 0 ? 0 : 2;
        }
    }
    if (steps <= 0 || threads < 0) {
        usage();
        return 2;
    }
    mnist_split train, test;
    if (mnist_load(dir, "train", &train) || mnist_load(dir, "t10k", &test)) return 1;
    printf("Fashion-MNIST: %lld training and %lld test images from %s\n", (long long)train.n, (long long)test.n, dir);
    double sum = 0;
    int runs = 0;
    char *list = strdup(seeds);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        softmax_result r;
        unsigned long long seed = strtoull(tok, NULL, 10);
        if (softmax_recipe_run(&train, &test, steps, seed, threads, &r)) return 1;
        printf("seed %llu: %d steps in %.3f s, final batch loss %.4f, test accuracy %.4f\n", seed, steps,
               r.train_seconds, r.final_loss, r.accuracy);
        sum += r.accuracy;
        runs++;
    }
    free(list);
    if (runs > 1) printf("mean test accuracy over %d seeds: %.4f\n", runs, sum / runs);
    mnist_free(&train);
    mnist_free(&test);
    return 0;
}
