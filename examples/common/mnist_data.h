/* Loading (Fashion-)MNIST through tfc's IDX reader for the examples and
 * benchmarks: images as float32 in [0, 1], labels as int32 and one-hot. */
#ifndef TFC_EXAMPLES_MNIST_DATA_H
#define TFC_EXAMPLES_MNIST_DATA_H

#include <stdint.h>

typedef struct mnist_split {
    int64_t n;       /* examples */
    uint8_t *pixels; /* n x 784, as stored */
    float *images;   /* n x 784, scaled to [0, 1] */
    int32_t *labels; /* n */
    float *onehot;   /* n x 10 */
} mnist_split;

/* The directory of Debian's dataset-fashion-mnist package. */
#define MNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* Loads "train" or "t10k" from dir; prints the library's error and returns
 * non-zero on failure. */
int mnist_load(const char *dir, const char *which, mnist_split *out);
void mnist_free(mnist_split *s);

/* Copies the rows order[from..from+count) of s into x (count x 784, scaled
 * from the bytes: 4x less memory traffic than copying floats) and y. */
void mnist_batch(const mnist_split *s, const int64_t *order, int64_t from, int64_t count, float *x, float *y_onehot,
                 int32_t *y_label);

/* The same with the images as bytes (count x 784), for graphs that scale them. */
void mnist_batch_bytes(const mnist_split *s, const int64_t *order, int64_t from, int64_t count, uint8_t *x,
                       float *y_onehot, int32_t *y_label);

/* Seeded Fisher-Yates shuffle of 0..n-1 (splitmix64). */
void mnist_shuffle(int64_t *order, int64_t n, uint64_t *state);
uint64_t mnist_rand(uint64_t *state);

#endif
