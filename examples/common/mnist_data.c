#include "mnist_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfc/tfc.h"

static int read_idx(const char *dir, const char *name, tfc_tensor **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tfc_idx_read(path, out) != TFC_OK) {
        fprintf(stderr, "error: %s\n", tfc_last_error());
        if (strstr(tfc_last_error(), "No such file"))
            fprintf(stderr, "hint: apt-get install dataset-fashion-mnist, or pass the data directory\n");
        return 1;
    }
    return 0;
}

int mnist_load(const char *dir, const char *which, mnist_split *out)
{
    memset(out, 0, sizeof *out);
    char iname[256], lname[256];
    snprintf(iname, sizeof iname, "%s-images-idx3-ubyte.gz", which);
    snprintf(lname, sizeof lname, "%s-labels-idx1-ubyte.gz", which);
    tfc_tensor *img = NULL, *lab = NULL;
    if (read_idx(dir, iname, &img) || read_idx(dir, lname, &lab)) {
        tfc_tensor_free(img);
        return 1;
    }
    int64_t n = tfc_tensor_dim(img, 0);
    if (tfc_tensor_dtype(img) != TFC_UINT8 || tfc_tensor_rank(img) != 3 || tfc_tensor_dim(img, 1) != 28 ||
        tfc_tensor_dim(img, 2) != 28 || tfc_tensor_dtype(lab) != TFC_UINT8 || tfc_tensor_dim(lab, 0) != n) {
        fprintf(stderr, "error: %s/%s is not a set of 28x28 images with one label each\n", dir, iname);
        tfc_tensor_free(img);
        tfc_tensor_free(lab);
        return 1;
    }
    out->n = n;
    out->images = malloc((size_t)n * 784 * sizeof(float));
    out->pixels = malloc((size_t)n * 784);
    out->labels = malloc((size_t)n * sizeof(int32_t));
    out->onehot = calloc((size_t)n * 10, sizeof(float));
    const uint8_t *px = tfc_tensor_data(img), *lb = tfc_tensor_data(lab);
    memcpy(out->pixels, px, (size_t)n * 784);
    for (int64_t i = 0; i < n * 784; i++) out->images[i] = px[i] * (1.0f / 255.0f);
    for (int64_t i = 0; i < n; i++) {
        out->labels[i] = lb[i] < 10 ? lb[i] : 0;
        out->onehot[i * 10 + out->labels[i]] = 1.0f;
    }
    tfc_tensor_free(img);
    tfc_tensor_free(lab);
    return 0;
}

void mnist_free(mnist_split *s)
{
    free(s->images);
    free(s->pixels);
    free(s->labels);
    free(s->onehot);
    memset(s, 0, sizeof *s);
}

void mnist_batch(const mnist_split *s, const int64_t *order, int64_t from, int64_t count, float *x, float *y_onehot,
                 int32_t *y_label)
{
    for (int64_t i = 0; i < count; i++) {
        int64_t r = order[(from + i) % s->n];
        if (i + 4 < count) { /* rows are scattered over 47 MB: fetch ahead */
            const uint8_t *next = s->pixels + order[(from + i + 4) % s->n] * 784;
            for (int line = 0; line < 784; line += 64) __builtin_prefetch(next + line);
        }
        const uint8_t *px = s->pixels + r * 784;
        float *xi = x + i * 784;
        for (int k = 0; k < 784; k++) xi[k] = px[k] * (1.0f / 255.0f);
        if (y_onehot) memcpy(y_onehot + i * 10, s->onehot + r * 10, 10 * sizeof(float));
        if (y_label) y_label[i] = s->labels[r];
    }
}

void mnist_batch_bytes(const mnist_split *s, const int64_t *order, int64_t from, int64_t count, uint8_t *x,
                       float *y_onehot, int32_t *y_label)
{
    for (int64_t i = 0; i < count; i++) {
        int64_t r = order[(from + i) % s->n];
        if (i + 4 < count) { /* rows are scattered over 47 MB: fetch ahead */
            const uint8_t *next = s->pixels + order[(from + i + 4) % s->n] * 784;
            for (int line = 0; line < 784; line += 64) __builtin_prefetch(next + line);
        }
        memcpy(x + i * 784, s->pixels + r * 784, 784);
        if (y_onehot) memcpy(y_onehot + i * 10, s->onehot + r * 10, 10 * sizeof(float));
        if (y_label) y_label[i] = s->labels[r];
    }
}

uint64_t mnist_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void mnist_shuffle(int64_t *order, int64_t n, uint64_t *state)
{
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(mnist_rand(state) % (uint64_t)(i + 1));
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}
