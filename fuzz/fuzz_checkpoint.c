/* libFuzzer target for the checkpoint reader (src/io/checkpoint.c).
 *
 * Every input goes through tfci_ckpt_open_buffer; when it opens, every tensor
 * is read with tfci_ckpt_get. A failure must be a clean error naming the
 * source; a success must give tensors consistent with what tfci_ckpt_info
 * reported, and writing them back out and reading again must give the same
 * tensors (the format round-trips whatever it accepts). Any broken invariant
 * traps.
 *
 * The first input byte picks the mode. Odd: the rest is the file as is.
 * Even: the rest is the message, and a valid header (magic, version 1, size,
 * CRCs) is put in front of it, so mutations get past the checksums into the
 * message parser and the entry checks. Seeds: "\x01" + a checkpoint file,
 * "\x00" + a file without its 32-byte header.
 * Build: clang -fsanitize=fuzzer,address,undefined with the library sources
 * and the protoc-c generated pb-c.c files (see fuzz/build.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io/checkpoint_internal.h"
#include "tfc/tfc.h"

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz_checkpoint: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,      \
                    tfc_last_error());                                                                             \
            __builtin_trap();                                                                                      \
        }                                                                                                          \
    } while (0)

static int same(const tfc_tensor *a, const tfc_tensor *b)
{
    if (tfc_tensor_dtype(a) != tfc_tensor_dtype(b) || tfc_tensor_num_elements(a) != tfc_tensor_num_elements(b))
        return 0;
    if (tfc_tensor_dtype(a) != TFC_STRING)
        return tfc_tensor_byte_size(a) == tfc_tensor_byte_size(b) &&
               (!tfc_tensor_byte_size(a) || !memcmp(tfc_tensor_data(a), tfc_tensor_data(b), tfc_tensor_byte_size(a)));
    for (int64_t i = 0; i < tfc_tensor_num_elements(a); i++) {
        const char *x, *y;
        size_t lx, ly;
        if (tfc_tensor_string(a, i, &x, &lx) || tfc_tensor_string(b, i, &y, &ly)) return 0;
        if (lx != ly || (lx && memcmp(x, y, lx))) return 0;
    }
    return 1;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A valid header in front of msg[0..n). Caller frees. */
static uint8_t *with_header(const uint8_t *msg, size_t n)
{
    uint8_t *f = malloc(32 + n);
    memcpy(f, "TFCCKPT\0", 8);
    put32(f + 8, 1);
    put32(f + 12, 0);
    for (int i = 0; i < 8; i++) f[16 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    put32(f + 24, (uint32_t)crc32(0, msg, (uInt)n));
    put32(f + 28, (uint32_t)crc32(0, f, 28));
    if (n) memcpy(f + 32, msg, n);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t input_size)
{
    if (input_size == 0) return 0;
    uint8_t *made = NULL;
    const uint8_t *data = input + 1;
    size_t size = input_size - 1;
    if (input[0] % 2 == 0) {
        made = with_header(data, size);
        data = made;
        size += 32;
    }
    tfci_ckpt *c = NULL;
    tfc_code code = tfci_ckpt_open_buffer(data, size, "fuzz", &c);
    free(made);
    CHECK((code == TFC_OK) == (c != NULL));
    if (code) {
        CHECK(code == TFC_DATA_LOSS || code == TFC_INVALID_ARGUMENT || code == TFC_RESOURCE_EXHAUSTED);
        CHECK(strstr(tfc_last_error(), "checkpoint 'fuzz'") != NULL);
        return 0;
    }
    int n = tfci_ckpt_count(c);
    CHECK(n >= 0);
    tfc_tensor **got = calloc((size_t)n + 1, sizeof *got);
    const char **names = calloc((size_t)n + 1, sizeof *names);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        const char *name = tfci_ckpt_name(c, i);
        CHECK(name && *name);
        tfc_dtype dt;
        int64_t dims[TFC_MAX_RANK];
        int rank;
        CHECK(tfci_ckpt_info(c, name, &dt, dims, &rank) == TFC_OK);
        tfc_tensor *t = NULL;
        tfc_code gc = tfci_ckpt_get(c, name, &t);
        CHECK((gc == TFC_OK) == (t != NULL));
        if (gc) {
            CHECK(gc == TFC_DATA_LOSS || gc == TFC_RESOURCE_EXHAUSTED);
            CHECK(strstr(tfc_last_error(), "checkpoint 'fuzz'") != NULL);
            continue;
        }
        CHECK(tfc_tensor_dtype(t) == dt && tfc_tensor_rank(t) == rank);
        for (int d = 0; d < rank; d++) CHECK(tfc_tensor_dim(t, d) == dims[d]);
        /* Touch every byte so ASan sees a short buffer. */
        if (dt != TFC_STRING) {
            const volatile uint8_t *p = tfc_tensor_data(t);
            uint8_t acc = 0;
            for (size_t k = 0; k < tfc_tensor_byte_size(t); k++) acc ^= p[k];
            (void)acc;
        }
        names[ok] = name;
        got[ok++] = t;
    }
    /* What was accepted round-trips. */
    char path[64];
    /* tmpfs when there is one: the write fsyncs. */
    snprintf(path, sizeof path, "%s/fuzz_checkpoint.%d.tfc", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (int)getpid());
    if (tfci_ckpt_write(path, names, (const tfc_tensor *const *)got, ok) == TFC_OK) {
        tfci_ckpt *back = NULL;
        CHECK(tfci_ckpt_open(path, &back) == TFC_OK);
        CHECK(tfci_ckpt_count(back) == ok);
        for (int i = 0; i < ok; i++) {
            tfc_tensor *t = NULL;
            CHECK(tfci_ckpt_get(back, names[i], &t) == TFC_OK);
            CHECK(same(t, got[i]));
            tfc_tensor_free(t);
        }
        tfci_ckpt_close(back);
        unlink(path);
    }
    for (int i = 0; i < ok; i++) tfc_tensor_free(got[i]);
    free(got);
    free(names);
    tfci_ckpt_close(c);
    return 0;
}
