/* IDX reader: see idx.h.
 *
 * Layout: 00 00 TYPE RANK, RANK big-endian uint32 dims, then the elements
 * big-endian in row-major order. Files come from outside, so every field is
 * checked and no buffer is sized from the header alone beyond what the file
 * actually delivers (gzip is read incrementally). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../core/core.h"
#include "tfc/idx.h"

/* Largest data section accepted: bigger claims are refused before any read. */
#define IDX_MAX_DATA_BYTES ((uint64_t)4 << 30)
/* First buffer size when the real data size is unknown (gzip). */
#define IDX_INITIAL_CHUNK ((size_t)1 << 20)
/* Largest single fread/gzread request (gzread takes an unsigned int). */
#define IDX_MAX_READ ((size_t)1 << 30)
/* Trailing garbage is counted up to this many bytes, then reported as "more than". */
#define IDX_TRAILING_COUNT_LIMIT ((uint64_t)1 << 16)

typedef struct idx_header {
    tfc_dtype dtype;
    int rank;
    int64_t dims[TFC_MAX_RANK];
    uint64_t data_bytes;
    size_t header_bytes;
} idx_header;

static const char *src_name(const char *source) { return source ? source : "<buffer>"; }

static tfc_dtype idx_dtype(uint8_t type)
{
    switch (type) {
    case 0x08: return TFC_UINT8;
    case 0x09: return TFC_INT8;
    case 0x0B: return TFC_INT16;
    case 0x0C: return TFC_INT32;
    case 0x0D: return TFC_FLOAT;
    case 0x0E: return TFC_DOUBLE;
    default: return TFC_INVALID_DTYPE;
    }
}

/* Checks the 4-byte prefix (magic, type, rank); got is how many bytes exist. */
static tfc_code check_prefix(const uint8_t *p, size_t got, const char *src, idx_header *h)
{
    if (got == 0) return tfci_error(TFC_DATA_LOSS, "idx file '%s': file is empty (expected an IDX header)", src);
    if (got < 4)
        return tfci_error(TFC_DATA_LOSS,
                          "idx file '%s': truncated header: %zu bytes, expected at least 4 (magic, type, rank)", src,
                          got);
    if (p[0] != 0 || p[1] != 0)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "idx file '%s': bad magic: first two bytes are 0x%02x 0x%02x, expected 0x00 0x00 "
                          "(not an IDX file?)",
                          src, p[0], p[1]);
    h->dtype = idx_dtype(p[2]);
    if (h->dtype == TFC_INVALID_DTYPE)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "idx file '%s': unknown element type 0x%02x (expected 0x08 ubyte, 0x09 byte, 0x0B short, "
                          "0x0C int, 0x0D float or 0x0E double)",
                          src, p[2]);
    if (p[3] < 1 || p[3] > TFC_MAX_RANK)
        return tfci_error(TFC_INVALID_ARGUMENT, "idx file '%s': rank %d is out of range (expected 1 to %d)", src, p[3],
                          TFC_MAX_RANK);
    h->rank = p[3];
    h->header_bytes = 4 + 4 * (size_t)h->rank;
    return TFC_OK;
}

/* Decodes the dims (4 * rank bytes at p, got of them present) and the data size. */
static tfc_code check_dims(const uint8_t *p, size_t got, const char *src, idx_header *h)
{
    if (got < 4 * (size_t)h->rank)
        return tfci_error(TFC_DATA_LOSS,
                          "idx file '%s': truncated header: %zu bytes, expected %zu (magic, type, rank and %d "
                          "dimensions)",
                          src, 4 + got, h->header_bytes, h->rank);
    bool overflow = false, empty = false;
    uint64_t bytes = tfc_dtype_size(h->dtype);
    for (int i = 0; i < h->rank; i++) {
        const uint8_t *d = p + 4 * i;
        uint32_t v = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
        h->dims[i] = v;
        if (v == 0) empty = true;
        if (!overflow && __builtin_mul_overflow(bytes, (uint64_t)v, &bytes)) overflow = true;
    }
    char shape[160];
    /* A zero dimension makes the product 0 whatever the others are. */
    if (empty) {
        bytes = 0;
    } else if (overflow) {
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "idx file '%s': dimensions %s overflow (the byte size does not fit in 64 bits)", src,
                          tfci_shape_str(h->dims, h->rank, shape, sizeof shape));
    }
    if (bytes > IDX_MAX_DATA_BYTES || bytes > SIZE_MAX / 2)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "idx file '%s': shape %s of %s claims %llu data bytes, more than the %llu-byte (4 GiB) "
                          "limit",
                          src, tfci_shape_str(h->dims, h->rank, shape, sizeof shape), tfc_dtype_name(h->dtype),
                          (unsigned long long)bytes, (unsigned long long)IDX_MAX_DATA_BYTES);
    h->data_bytes = bytes;
    return TFC_OK;
}

static tfc_code truncated_data(const char *src, const idx_header *h, uint64_t got)
{
    char shape[160];
    return tfci_error(TFC_DATA_LOSS, "idx file '%s': truncated data: expected %llu bytes (shape %s of %s), got %llu",
                      src, (unsigned long long)h->data_bytes, tfci_shape_str(h->dims, h->rank, shape, sizeof shape),
                      tfc_dtype_name(h->dtype), (unsigned long long)got);
}

static tfc_code trailing_data(const char *src, const idx_header *h, uint64_t extra, bool more)
{
    return tfci_error(TFC_DATA_LOSS, "idx file '%s': %s%llu trailing bytes after the expected %llu data bytes", src,
                      more ? "more than " : "", (unsigned long long)extra, (unsigned long long)h->data_bytes);
}

/* Converts n big-endian elements of es bytes from src to host order in dst.
 * src may equal dst (in-place); neither needs to be aligned. */
static void from_big_endian(void *dst, const void *src, size_t n, size_t es)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (dst != src) memmove(dst, src, n * es);
#else
    unsigned char *d = dst;
    const unsigned char *s = src;
    switch (es) {
    case 1:
        if (d != s) memmove(d, s, n);
        break;
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, s + 2 * i, 2);
            v = __builtin_bswap16(v);
            memcpy(d + 2 * i, &v, 2);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, s + 4 * i, 4);
            v = __builtin_bswap32(v);
            memcpy(d + 4 * i, &v, 4);
        }
        break;
    case 8:
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, s + 8 * i, 8);
            v = __builtin_bswap64(v);
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    }
#endif
}

TFC_API tfc_code tfc_idx_parse(const void *data, size_t size, const char *source, tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_idx_parse: out is NULL");
    *out = NULL;
    if (!data && size > 0) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_idx_parse: data is NULL");
    const char *src = src_name(source);
    const uint8_t *p = data;
    idx_header h;
    tfc_code c = check_prefix(p, size < 4 ? size : 4, src, &h);
    if (c) return c;
    c = check_dims(p + 4, size - 4, src, &h);
    if (c) return c;
    uint64_t avail = size - h.header_bytes;
    if (avail < h.data_bytes) return truncated_data(src, &h, avail);
    if (avail > h.data_bytes) return trailing_data(src, &h, avail - h.data_bytes, false);
    tfc_tensor *t;
    c = tfci_tensor_alloc(h.dtype, h.dims, h.rank, &t);
    if (c) {
        tfci_error_prefix("idx file '%s'", src);
        return c;
    }
    from_big_endian(t->data, p + h.header_bytes, (size_t)t->n, tfc_dtype_size(h.dtype));
    *out = t;
    return TFC_OK;
}

/* ---- files: plain or gzip behind one read function ---- */

typedef struct idx_stream {
    FILE *f;
    gzFile gz;
    const char *path;
} idx_stream;

/* Reads up to n bytes; returns how many (fewer only at end of stream) or
 * sets the error and returns -1 on a read error or corrupt gzip data. */
static int64_t stream_read(idx_stream *s, void *buf, size_t n)
{
    size_t total = 0;
    while (total < n) {
        size_t want = n - total < IDX_MAX_READ ? n - total : IDX_MAX_READ;
        if (s->gz) {
            int got = gzread(s->gz, (char *)buf + total, (unsigned)want);
            int err = Z_OK;
            const char *msg = gzerror(s->gz, &err);
            /* Z_BUF_ERROR is a gzip stream cut short: zlib returns the bytes it
             * had and flags it, so it counts as corruption, not as plain EOF. */
            if (got < 0 || (err != Z_OK && err != Z_STREAM_END)) {
                if (err == Z_ERRNO)
                    tfci_error(TFC_DATA_LOSS, "idx file '%s': read error: %s", s->path, strerror(errno));
                else
                    tfci_error(TFC_DATA_LOSS, "idx file '%s': corrupt gzip data: %s", s->path,
                               msg && *msg ? msg : "unknown zlib error");
                return -1;
            }
            if (got == 0) break;
            total += (size_t)got;
        } else {
            size_t got = fread((char *)buf + total, 1, want, s->f);
            total += got;
            if (got < want) {
                if (ferror(s->f)) {
                    tfci_error(TFC_DATA_LOSS, "idx file '%s': read error: %s", s->path, strerror(errno));
                    return -1;
                }
                break;
            }
        }
    }
    return (int64_t)total;
}

static void free_buffer(void *data, size_t bytes, void *arg) { free(data); }

/* Reads the data section into a malloc'd buffer grown as bytes arrive, so a
 * header claiming far more than the file holds fails before a big allocation.
 * size_hint is what the file can hold at most (plain files), or 0 if unknown. */
static tfc_code read_data(idx_stream *s, const idx_header *h, uint64_t size_hint, void **out)
{
    *out = NULL;
    size_t need = (size_t)h->data_bytes;
    size_t cap = need;
    if (size_hint) {
        if (size_hint < cap) cap = (size_t)size_hint;
    } else if (cap > IDX_INITIAL_CHUNK) {
        cap = IDX_INITIAL_CHUNK;
    }
    if (cap == 0) cap = 1;
    char *buf = malloc(cap);
    if (!buf)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "idx file '%s': out of memory allocating %zu bytes", s->path, cap);
    size_t have = 0;
    for (;;) {
        size_t want = (cap < need ? cap : need) - have;
        int64_t got = stream_read(s, buf + have, want);
        if (got < 0) {
            free(buf);
            return TFC_DATA_LOSS;
        }
        have += (size_t)got;
        if (have == need) break;
        if ((size_t)got < want) {
            free(buf);
            return truncated_data(s->path, h, have);
        }
        size_t grown = cap > need / 2 ? need : cap * 2;
        char *nb = realloc(buf, grown);
        if (!nb) {
            free(buf);
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "idx file '%s': out of memory growing a buffer to %zu bytes",
                              s->path, grown);
        }
        buf = nb;
        cap = grown;
    }
    /* The data must end the file: count (a bounded number of) trailing bytes. */
    char probe[4096];
    uint64_t extra = 0;
    for (;;) {
        int64_t got = stream_read(s, probe, sizeof probe);
        if (got < 0) {
            free(buf);
            return TFC_DATA_LOSS;
        }
        extra += (uint64_t)got;
        if ((size_t)got < sizeof probe || extra > IDX_TRAILING_COUNT_LIMIT) break;
    }
    if (extra) {
        free(buf);
        return trailing_data(s->path, h, extra > IDX_TRAILING_COUNT_LIMIT ? IDX_TRAILING_COUNT_LIMIT : extra,
                             extra > IDX_TRAILING_COUNT_LIMIT);
    }
    *out = buf;
    return TFC_OK;
}

static tfc_code open_error(const char *path, int err)
{
    tfc_code code = err == ENOENT ? TFC_NOT_FOUND : err == EACCES ? TFC_PERMISSION_DENIED : TFC_UNKNOWN;
    return tfci_error(code, "idx file '%s': cannot open: %s", path, strerror(err));
}

static tfc_code read_stream(idx_stream *s, uint64_t size_hint, tfc_tensor **out)
{
    uint8_t head[4 + 4 * TFC_MAX_RANK];
    idx_header h;
    int64_t got = stream_read(s, head, 4);
    if (got < 0) return TFC_DATA_LOSS;
    tfc_code c = check_prefix(head, (size_t)got, s->path, &h);
    if (c) return c;
    got = stream_read(s, head + 4, 4 * (size_t)h.rank);
    if (got < 0) return TFC_DATA_LOSS;
    c = check_dims(head + 4, (size_t)got, s->path, &h);
    if (c) return c;

    if (h.data_bytes == 0) {
        /* Still require the file to end here. */
        void *none;
        c = read_data(s, &h, 0, &none);
        if (c) return c;
        free(none);
        c = tfci_tensor_alloc(h.dtype, h.dims, h.rank, out);
        if (c) tfci_error_prefix("idx file '%s'", s->path);
        return c;
    }
    /* A plain file cannot hold more than its size minus the header; a file
     * shorter than the claim gets a buffer no larger than it, then fails. */
    uint64_t hint = 0;
    if (size_hint) hint = size_hint > h.header_bytes ? size_hint - h.header_bytes : 1;
    void *buf;
    c = read_data(s, &h, hint, &buf);
    if (c) return c;
    size_t es = tfc_dtype_size(h.dtype);
    from_big_endian(buf, buf, (size_t)(h.data_bytes / es), es);
    c = tfc_tensor_new_borrowed(h.dtype, h.dims, h.rank, buf, (size_t)h.data_bytes, free_buffer, NULL, out);
    if (c) {
        free(buf);
        tfci_error_prefix("idx file '%s'", s->path);
    }
    return c;
}

TFC_API tfc_code tfc_idx_read(const char *path, tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_idx_read: out is NULL");
    *out = NULL;
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_idx_read: path is NULL");
    idx_stream s = {NULL, NULL, path};
    s.f = fopen(path, "rb");
    if (!s.f) return open_error(path, errno);
    struct stat st;
    if (fstat(fileno(s.f), &st) != 0) {
        int err = errno;
        fclose(s.f);
        return open_error(path, err);
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(s.f);
        return tfci_error(TFC_INVALID_ARGUMENT, "idx file '%s': is a directory", path);
    }
    unsigned char magic[2];
    size_t nmagic = fread(magic, 1, 2, s.f);
    if (nmagic == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        fclose(s.f);
        s.f = NULL;
        s.gz = gzopen(path, "rb");
        if (!s.gz) return open_error(path, errno ? errno : ENOMEM);
        /* Bigger than zlib's 8 KiB default: fewer read calls on large files. */
        gzbuffer(s.gz, 256 * 1024);
        tfc_code c = read_stream(&s, 0, out);
        gzclose_r(s.gz);
        return c;
    }
    rewind(s.f);
    uint64_t size = S_ISREG(st.st_mode) && st.st_size > 0 ? (uint64_t)st.st_size : 0;
    tfc_code c = read_stream(&s, size, out);
    fclose(s.f);
    return c;
}
