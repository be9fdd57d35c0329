/* libFuzzer target for the IDX reader (build and run with fuzz/build.sh).
 *
 * Every input goes through tfc_idx_parse; it is also written to an in-memory
 * file and read back with tfc_idx_read, which covers the gzip path (inputs
 * starting 1f 8b) and the incremental buffer, and for plain inputs must agree
 * exactly with tfc_idx_parse. Any disagreement or broken invariant traps. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tfc/idx.h"

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz_idx: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,             \
                    tfc_last_error());                                                                             \
            __builtin_trap();                                                                                      \
        }                                                                                                          \
    } while (0)

/* Checks a successfully read tensor against the header bytes it came from. */
static void check_tensor(const tfc_tensor *t, const uint8_t *data, size_t size, int plain)
{
    CHECK(t != NULL);
    int rank = tfc_tensor_rank(t);
    CHECK(rank >= 1 && rank <= 8);
    size_t es = tfc_dtype_size(tfc_tensor_dtype(t));
    CHECK(es == 1 || es == 2 || es == 4 || es == 8);
    CHECK(tfc_tensor_byte_size(t) == (size_t)tfc_tensor_num_elements(t) * es);
    if (!plain) return;
    CHECK(size == 4 + 4 * (size_t)rank + tfc_tensor_byte_size(t));
    CHECK(data[3] == rank);
    /* Touch every byte so ASan sees any short allocation. */
    const volatile uint8_t *p = tfc_tensor_data(t);
    uint8_t acc = 0;
    for (size_t i = 0; i < tfc_tensor_byte_size(t); i++) acc ^= p[i];
    (void)acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tfc_tensor *parsed = NULL;
    tfc_code pc = tfc_idx_parse(data, size, "fuzz", &parsed);
    CHECK((pc == TFC_OK) == (parsed != NULL));
    CHECK(pc == TFC_OK || strstr(tfc_last_error(), "idx file 'fuzz': ") == tfc_last_error());
    if (pc == TFC_OK) check_tensor(parsed, data, size, 1);

    int fd = memfd_create("fuzz_idx", 0);
    if (fd < 0) {
        tfc_tensor_free(parsed);
        return 0;
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    if (off == size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        tfc_tensor *read = NULL;
        tfc_code rc = tfc_idx_read(path, &read);
        CHECK((rc == TFC_OK) == (read != NULL));
        CHECK(rc == TFC_OK || strstr(tfc_last_error(), path) != NULL);
        int gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
        if (rc == TFC_OK) check_tensor(read, data, size, !gzip);
        if (!gzip) {
            /* Same bytes, same verdict and same values. */
            CHECK(rc == pc);
            if (rc == TFC_OK) {
                CHECK(tfc_tensor_dtype(read) == tfc_tensor_dtype(parsed));
                CHECK(tfc_tensor_byte_size(read) == tfc_tensor_byte_size(parsed));
                CHECK(memcmp(tfc_tensor_data(read), tfc_tensor_data(parsed), tfc_tensor_byte_size(read)) == 0);
            }
        }
        tfc_tensor_free(read);
    }
    close(fd);
    tfc_tensor_free(parsed);
    return 0;
}
