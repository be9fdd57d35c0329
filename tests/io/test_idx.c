/* IDX reader: every element type plain and gzip, from files and buffers, and
 * every malformed input it must reject with a clear error. */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

static char tmpdir[256];

/* ---- building files ---- */

typedef struct buf {
    unsigned char d[4096];
    size_t n;
} buf;

static void put8(buf *b, unsigned v) { b->d[b->n++] = (unsigned char)v; }
static void put16(buf *b, uint16_t v)
{
    put8(b, v >> 8);
    put8(b, v & 0xff);
}
static void put32(buf *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b, (uint16_t)(v & 0xffff));
}
static void put64(buf *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)(v & 0xffffffffu));
}
static void header(buf *b, unsigned type, int rank, const uint32_t *dims)
{
    b->n = 0;
    put8(b, 0);
    put8(b, 0);
    put8(b, type);
    put8(b, (unsigned)rank);
    for (int i = 0; i < rank; i++) put32(b, dims[i]);
}

static const char *path_of(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static const char *write_plain(const char *name, const void *data, size_t n)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (n) CU_ASSERT_EQUAL_FATAL(fwrite(data, 1, n, f), n);
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    return p;
}

static const char *write_gz(const char *name, const void *data, size_t n)
{
    const char *p = path_of(name);
    gzFile g = gzopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    if (n) CU_ASSERT_EQUAL_FATAL(gzwrite(g, data, (unsigned)n), (int)n);
    CU_ASSERT_EQUAL_FATAL(gzclose(g), Z_OK);
    return p;
}

/* Reads a whole file (for corrupting gzip files). */
static size_t slurp(const char *p, unsigned char *out, size_t cap)
{
    FILE *f = fopen(p, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(out, 1, cap, f);
    fclose(f);
    return n;
}

/* CPU seconds of this process: timing checks that do not flake under load. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Reads b as a plain file, as a gzip file and as a buffer; checks the three
 * agree on dtype and shape and returns the plain-file tensor. */
static tfc_tensor *read_all_ways(const char *name, const buf *b, tfc_dtype dtype, int rank, const int64_t *dims)
{
    char gzname[128];
    snprintf(gzname, sizeof gzname, "%s.gz", name);
    tfc_tensor *t[3] = {NULL, NULL, NULL};
    TFCT_OK(tfc_idx_read(write_plain(name, b->d, b->n), &t[0]));
    TFCT_OK(tfc_idx_read(write_gz(gzname, b->d, b->n), &t[1]));
    TFCT_OK(tfc_idx_parse(b->d, b->n, name, &t[2]));
    for (int k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL_FATAL(tfc_tensor_dtype(t[k]), dtype);
        CU_ASSERT_EQUAL_FATAL(tfc_tensor_rank(t[k]), rank);
        for (int i = 0; i < rank; i++) CU_ASSERT_EQUAL(tfc_tensor_dim(t[k], i), dims[i]);
        CU_ASSERT_EQUAL_FATAL(tfc_tensor_byte_size(t[k]), tfc_tensor_byte_size(t[0]));
        if (k) CU_ASSERT_EQUAL(memcmp(tfc_tensor_data(t[k]), tfc_tensor_data(t[0]), tfc_tensor_byte_size(t[0])), 0);
    }
    tfc_tensor_free(t[1]);
    tfc_tensor_free(t[2]);
    return t[0];
}

/* ---- valid files, one per element type ---- */

static void test_ubyte(void)
{
    buf b;
    uint32_t d[2] = {2, 3};
    header(&b, 0x08, 2, d);
    const unsigned char v[6] = {0, 1, 127, 128, 200, 255};
    for (int i = 0; i < 6; i++) put8(&b, v[i]);
    int64_t dims[2] = {2, 3};
    tfc_tensor *t = read_all_ways("ubyte.idx", &b, TFC_UINT8, 2, dims);
    const uint8_t *x = tfc_tensor_data(t);
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(x[i], v[i]);
    tfc_tensor_free(t);
}

static void test_byte(void)
{
    buf b;
    uint32_t d[1] = {4};
    header(&b, 0x09, 1, d);
    const int8_t v[4] = {-128, -1, 0, 127};
    for (int i = 0; i < 4; i++) put8(&b, (uint8_t)v[i]);
    int64_t dims[1] = {4};
    tfc_tensor *t = read_all_ways("byte.idx", &b, TFC_INT8, 1, dims);
    const int8_t *x = tfc_tensor_data(t);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(x[i], v[i]);
    tfc_tensor_free(t);
}

static void test_short(void)
{
    buf b;
    uint32_t d[2] = {2, 2};
    header(&b, 0x0B, 2, d);
    const int16_t v[4] = {-32768, -2, 258, 32767};
    for (int i = 0; i < 4; i++) put16(&b, (uint16_t)v[i]);
    /* 258 = 0x0102 is stored as 01 02: a byte-order mix-up would give 513. */
    CU_ASSERT_EQUAL(b.d[4 + 8 + 4], 0x01);
    int64_t dims[2] = {2, 2};
    tfc_tensor *t = read_all_ways("short.idx", &b, TFC_INT16, 2, dims);
    const int16_t *x = tfc_tensor_data(t);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(x[i], v[i]);
    tfc_tensor_free(t);
}

static void test_int(void)
{
    buf b;
    uint32_t d[1] = {3};
    header(&b, 0x0C, 1, d);
    const int32_t v[3] = {INT32_MIN, 0x01020304, -5};
    for (int i = 0; i < 3; i++) put32(&b, (uint32_t)v[i]);
    int64_t dims[1] = {3};
    tfc_tensor *t = read_all_ways("int.idx", &b, TFC_INT32, 1, dims);
    const int32_t *x = tfc_tensor_data(t);
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(x[i], v[i]);
    tfc_tensor_free(t);
}

static void test_float(void)
{
    buf b;
    uint32_t d[3] = {1, 2, 2};
    header(&b, 0x0D, 3, d);
    const float v[4] = {1.5f, -0.25f, 3.0e38f, 1e-40f /* subnormal */};
    for (int i = 0; i < 4; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        put32(&b, bits);
    }
    int64_t dims[3] = {1, 2, 2};
    tfc_tensor *t = read_all_ways("float.idx", &b, TFC_FLOAT, 3, dims);
    const float *x = tfc_tensor_data(t);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(memcmp(&x[i], &v[i], 4), 0);
    CU_ASSERT_EQUAL(x[0], 1.5f);
    tfc_tensor_free(t);
}

static void test_double(void)
{
    buf b;
    uint32_t d[2] = {2, 1};
    header(&b, 0x0E, 2, d);
    const double v[2] = {3.141592653589793, -1e300};
    for (int i = 0; i < 2; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        put64(&b, bits);
    }
    int64_t dims[2] = {2, 1};
    tfc_tensor *t = read_all_ways("double.idx", &b, TFC_DOUBLE, 2, dims);
    const double *x = tfc_tensor_data(t);
    CU_ASSERT_EQUAL(x[0], 3.141592653589793);
    CU_ASSERT_EQUAL(x[1], -1e300);
    tfc_tensor_free(t);
}

/* Rank 8 is the most allowed; a zero dimension is a valid empty tensor. */
static void test_rank8_and_empty(void)
{
    buf b;
    uint32_t d8[8] = {1, 1, 1, 1, 1, 1, 1, 2};
    header(&b, 0x0C, 8, d8);
    put32(&b, 7);
    put32(&b, 9);
    int64_t dims8[8] = {1, 1, 1, 1, 1, 1, 1, 2};
    tfc_tensor *t = read_all_ways("rank8.idx", &b, TFC_INT32, 8, dims8);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(t))[1], 9);
    tfc_tensor_free(t);

    /* The other dims do not matter once one is zero (no overflow either). */
    uint32_t d0[3] = {0xFFFFFFFFu, 0, 0xFFFFFFFFu};
    header(&b, 0x0D, 3, d0);
    int64_t dims0[3] = {0xFFFFFFFFll, 0, 0xFFFFFFFFll};
    t = read_all_ways("empty.idx", &b, TFC_FLOAT, 3, dims0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 0);
    tfc_tensor_free(t);
}

/* A larger file, to cover the incremental gzip buffer growth (> 1 MiB). */
static void test_large_gzip(void)
{
    const uint32_t n = 3u << 19; /* 1.5 Mi ints = 6 MiB of data */
    size_t bytes = 16 + (size_t)n * 4;
    unsigned char *data = malloc(bytes);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    buf b;
    uint32_t d[2] = {n / 4, 4};
    header(&b, 0x0C, 2, d);
    memcpy(data, b.d, 12);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = i * 2654435761u;
        unsigned char *p = data + 12 + 4 * (size_t)i;
        p[0] = v >> 24, p[1] = (v >> 16) & 0xff, p[2] = (v >> 8) & 0xff, p[3] = v & 0xff;
    }
    bytes = 12 + (size_t)n * 4;
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_idx_read(write_gz("large.idx.gz", data, bytes), &t));
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 0), n / 4);
    const uint32_t *x = tfc_tensor_data(t);
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) bad += x[i] != i * 2654435761u;
    CU_ASSERT_EQUAL(bad, 0);
    tfc_tensor_free(t);
    TFCT_OK(tfc_idx_read(write_plain("large.idx", data, bytes), &t));
    CU_ASSERT_EQUAL(((uint32_t *)tfc_tensor_data(t))[n - 1], (n - 1) * 2654435761u);
    tfc_tensor_free(t);
    free(data);
}

/* ---- malformed input ---- */

/* Expects b to be rejected with code and text, as a plain file, a gzip file
 * and a buffer; the file errors must name the file. */
static void expect_bad(const char *name, const buf *b, tfc_code code, const char *text)
{
    char gzname[128];
    snprintf(gzname, sizeof gzname, "%s.gz", name);
    tfc_tensor *t = (tfc_tensor *)1;
    const char *p = write_plain(name, b->d, b->n);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), code);
    TFCT_ERR_HAS(text);
    TFCT_ERR_HAS(p);
    TFCT_ERR_HAS("idx file '");
    CU_ASSERT_PTR_NULL(t);
    t = (tfc_tensor *)1;
    p = write_gz(gzname, b->d, b->n);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), code);
    TFCT_ERR_HAS(text);
    TFCT_ERR_HAS(p);
    CU_ASSERT_PTR_NULL(t);
    t = (tfc_tensor *)1;
    CU_ASSERT_EQUAL(tfc_idx_parse(b->d, b->n, "mem.idx", &t), code);
    TFCT_ERR_HAS(text);
    TFCT_ERR_HAS("idx file 'mem.idx'");
    CU_ASSERT_PTR_NULL(t);
}

static void test_missing_file(void)
{
    tfc_tensor *t = NULL;
    const char *p = path_of("does-not-exist.idx");
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), TFC_NOT_FOUND);
    TFCT_ERR_HAS(p);
    TFCT_ERR_HAS("cannot open");
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_EQUAL(tfc_idx_read(tmpdir, &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("is a directory");
    CU_ASSERT_EQUAL(tfc_idx_read(NULL, &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("path is NULL");
    CU_ASSERT_EQUAL(tfc_idx_read(p, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("out is NULL");
    CU_ASSERT_EQUAL(tfc_idx_parse(NULL, 4, "x", &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("data is NULL");
}

static void test_empty_file(void)
{
    buf b;
    b.n = 0;
    expect_bad("empty-file.idx", &b, TFC_DATA_LOSS, "file is empty");
    tfc_tensor *t = NULL;
    CU_ASSERT_EQUAL(tfc_idx_parse(NULL, 0, NULL, &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("idx file '<buffer>': file is empty");
}

static void test_bad_magic(void)
{
    buf b;
    uint32_t d[1] = {1};
    header(&b, 0x08, 1, d);
    put8(&b, 5);
    b.d[1] = 0x01;
    expect_bad("magic.idx", &b, TFC_INVALID_ARGUMENT, "bad magic: first two bytes are 0x00 0x01, expected 0x00 0x00");
    b.d[0] = 0x50, b.d[1] = 0x4b; /* a zip file */
    expect_bad("magic2.idx", &b, TFC_INVALID_ARGUMENT, "bad magic: first two bytes are 0x50 0x4b");
}

static void test_unknown_type(void)
{
    buf b;
    uint32_t d[1] = {1};
    header(&b, 0x0A, 1, d);
    put8(&b, 5);
    expect_bad("type.idx", &b, TFC_INVALID_ARGUMENT, "unknown element type 0x0a (expected 0x08 ubyte");
    b.d[2] = 0xFF;
    expect_bad("type2.idx", &b, TFC_INVALID_ARGUMENT, "unknown element type 0xff");
}

static void test_rank0(void)
{
    buf b;
    header(&b, 0x08, 0, NULL);
    put8(&b, 5);
    expect_bad("rank0.idx", &b, TFC_INVALID_ARGUMENT, "rank 0 is out of range (expected 1 to 8)");
}

static void test_rank9(void)
{
    buf b;
    uint32_t d[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    header(&b, 0x08, 9, d);
    put8(&b, 5);
    expect_bad("rank9.idx", &b, TFC_INVALID_ARGUMENT, "rank 9 is out of range (expected 1 to 8)");
}

static void test_truncated_header(void)
{
    buf b;
    uint32_t d[3] = {2, 3, 4};
    header(&b, 0x08, 3, d);
    b.n = 10; /* magic, type, rank, one full dim and half of the next */
    expect_bad("header.idx", &b, TFC_DATA_LOSS, "truncated header: 10 bytes, expected 16");
    b.n = 3;
    expect_bad("header2.idx", &b, TFC_DATA_LOSS, "truncated header: 3 bytes, expected at least 4");
}

static void test_truncated_data(void)
{
    buf b;
    uint32_t d[2] = {3, 2};
    header(&b, 0x0B, 2, d);
    for (int i = 0; i < 5; i++) put16(&b, (uint16_t)i);
    expect_bad("trunc.idx", &b, TFC_DATA_LOSS, "truncated data: expected 12 bytes (shape [3,2] of int16), got 10");
    header(&b, 0x0B, 2, d);
    expect_bad("trunc0.idx", &b, TFC_DATA_LOSS, "truncated data: expected 12 bytes (shape [3,2] of int16), got 0");
}

static void test_trailing_bytes(void)
{
    buf b;
    uint32_t d[1] = {2};
    header(&b, 0x0C, 1, d);
    put32(&b, 1);
    put32(&b, 2);
    put8(&b, 0);
    put8(&b, 0);
    put8(&b, 0);
    expect_bad("trailing.idx", &b, TFC_DATA_LOSS, "3 trailing bytes after the expected 8 data bytes");
    /* Lots of trailing garbage: counted up to a bound. */
    header(&b, 0x08, 1, d);
    put8(&b, 1);
    put8(&b, 2);
    static unsigned char big[100000];
    memcpy(big, b.d, b.n);
    memset(big + b.n, 0xAB, sizeof big - b.n);
    tfc_tensor *t = NULL;
    CU_ASSERT_EQUAL(tfc_idx_read(write_gz("trailing-big.idx.gz", big, sizeof big), &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("more than 65536 trailing bytes");
    CU_ASSERT_EQUAL(tfc_idx_parse(big, sizeof big, "big", &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("99990 trailing bytes");
}

static void test_huge_dims(void)
{
    buf b;
    /* 2^64 * 4 bytes: the byte count overflows 64 bits. */
    uint32_t d4[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 2, 3};
    header(&b, 0x0D, 4, d4);
    put32(&b, 0);
    expect_bad("overflow.idx", &b, TFC_INVALID_ARGUMENT, "dimensions [4294967295,4294967295,2,3] overflow");

    /* Over the 4 GiB cap. */
    uint32_t d2[2] = {65536, 65537};
    header(&b, 0x08, 2, d2);
    put8(&b, 0);
    expect_bad("cap.idx", &b, TFC_INVALID_ARGUMENT, "more than the 4294967296-byte (4 GiB) limit");
    uint32_t d1[1] = {0x40000001u};
    header(&b, 0x0C, 1, d1);
    expect_bad("cap2.idx", &b, TFC_INVALID_ARGUMENT, "claims 4294967300 data bytes");

    /* Exactly 2^32 elements (4 GiB, at the cap) in a tiny file: must fail
     * fast as truncated, without allocating the claimed size. */
    header(&b, 0x08, 2, (uint32_t[]){65536, 65536});
    for (int i = 0; i < 18; i++) put8(&b, (unsigned)i);
    CU_ASSERT_EQUAL(b.n, 30);
    double t0 = now();
    expect_bad("claim.idx", &b, TFC_DATA_LOSS, "truncated data: expected 4294967296 bytes (shape [65536,65536] of uint8), got 18");
    double dt = now() - t0;
    CU_ASSERT(dt < 0.5);
    if (dt >= 0.5) fprintf(stderr, "\nhuge claim took %.3f s\n", dt);
}

static void test_corrupt_gzip(void)
{
    buf b;
    uint32_t d[1] = {1000};
    header(&b, 0x0C, 1, d);
    for (int i = 0; i < 1000; i++) put32(&b, (uint32_t)(i * 7919u));
    const char *p = write_gz("corrupt.idx.gz", b.d, b.n);
    unsigned char gz[8192];
    size_t n = slurp(p, gz, sizeof gz);
    CU_ASSERT_FATAL(n > 40 && n < sizeof gz);
    tfc_tensor *t = (tfc_tensor *)1;

    /* Garbage in the deflate stream. */
    unsigned char bad[8192];
    memcpy(bad, gz, n);
    for (size_t i = 12; i < n - 8 && i < 40; i++) bad[i] ^= 0x5A;
    p = write_plain("corrupt1.idx.gz", bad, n);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS(p);
    TFCT_ERR_HAS("corrupt gzip data");
    CU_ASSERT_PTR_NULL(t);

    /* Wrong CRC in the trailer: the data inflates fine but does not check. */
    memcpy(bad, gz, n);
    bad[n - 8] ^= 0xFF;
    p = write_plain("corrupt2.idx.gz", bad, n);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("corrupt gzip data");
    TFCT_ERR_HAS("incorrect data check");

    /* The gzip stream cut short (its trailer missing). */
    p = write_plain("corrupt3.idx.gz", gz, n - 6);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS("corrupt gzip data");
    p = write_plain("corrupt4.idx.gz", gz, n / 2);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS(p);

    /* Only the gzip magic. */
    p = write_plain("corrupt5.idx.gz", "\x1f\x8b\x08", 3);
    CU_ASSERT_EQUAL(tfc_idx_read(p, &t), TFC_DATA_LOSS);
    TFCT_ERR_HAS(p);
    CU_ASSERT_PTR_NULL(t);
}

/* ---- the real Fashion-MNIST files, when installed ---- */

#define FMNIST "/usr/share/datasets/fashion-mnist"

static void test_fashion_mnist(void)
{
    struct stat st;
    if (stat(FMNIST "/train-labels-idx1-ubyte.gz", &st) != 0 || stat(FMNIST "/train-images-idx3-ubyte.gz", &st) != 0) {
        printf("\n  note: %s not installed, skipping the Fashion-MNIST checks\n", FMNIST);
        return;
    }
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_idx_read(FMNIST "/train-labels-idx1-ubyte.gz", &t));
    CU_ASSERT_EQUAL(tfc_tensor_dtype(t), TFC_UINT8);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 1);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 0), 60000);
    const uint8_t *lab = tfc_tensor_data(t);
    int bad = 0, count[10] = {0};
    for (int i = 0; i < 60000; i++) {
        if (lab[i] >= 10)
            bad++;
        else
            count[lab[i]]++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* Fashion-MNIST's training set is balanced: 6000 of each class. */
    for (int k = 0; k < 10; k++) CU_ASSERT_EQUAL(count[k], 6000);
    tfc_tensor_free(t);

    double t0 = now();
    TFCT_OK(tfc_idx_read(FMNIST "/train-images-idx3-ubyte.gz", &t));
    double dt = now() - t0;
    printf("\n  train images read in %.3f s of CPU\n", dt);
    CU_ASSERT(dt < 1.0);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(t), TFC_UINT8);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 3);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 0), 60000);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 1), 28);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 2), 28);
    CU_ASSERT_EQUAL(tfc_tensor_byte_size(t), (size_t)60000 * 28 * 28);
    /* Not all zero: real pixels were decoded. */
    const uint8_t *px = tfc_tensor_data(t);
    long sum = 0;
    for (int i = 0; i < 28 * 28; i++) sum += px[i];
    CU_ASSERT(sum > 0);
    tfc_tensor_free(t);
}

/* ---- setup ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/tfc-idx-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp(%s): %s\n", tmpdir, strerror(errno));
        return 1;
    }
    static const tfct_case cases[] = {
        {"ubyte", test_ubyte},
        {"byte", test_byte},
        {"short", test_short},
        {"int", test_int},
        {"float", test_float},
        {"double", test_double},
        {"rank 8 and empty", test_rank8_and_empty},
        {"large gzip", test_large_gzip},
        {"missing file", test_missing_file},
        {"empty file", test_empty_file},
        {"bad magic", test_bad_magic},
        {"unknown type", test_unknown_type},
        {"rank 0", test_rank0},
        {"rank 9", test_rank9},
        {"truncated header", test_truncated_header},
        {"truncated data", test_truncated_data},
        {"trailing bytes", test_trailing_bytes},
        {"huge claimed dims", test_huge_dims},
        {"corrupt gzip", test_corrupt_gzip},
        {"fashion-mnist", test_fashion_mnist},
        {NULL, NULL},
    };
    int rc = tfct_main("test_idx", cases);
    if (nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
