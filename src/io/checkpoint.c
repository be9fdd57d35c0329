/* Checkpoint files (checkpoint_internal.h) and the public saver (tfc/saver.h).
 *
 * File format: see src/io/proto/checkpoint.proto. Writing streams the
 * TensorEntry messages (packed by protobuf-c) into an atomic temporary file,
 * a batch of tensors at a time, so memory holds one batch's compressed copies;
 * the header with the message size and CRC is patched in last. Reading checks
 * the header, parses the message in place, checks the CRC of every message
 * byte and then each entry's claims (dtype, shape, sizes) against each other
 * and against what the file can hold before anything is allocated from them.
 *
 * Both directions CRC each stored (uncompressed) tensor's bytes once: the
 * message CRC is assembled from the bytes around the data fields plus the
 * data fields' own CRCs (zlib's crc32_combine), and those are the per-tensor
 * CRCs the entries record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "le_bytes.h"
#include "../core/core.h"
#include "atomic_file.h"
#include "checkpoint.pb-c.h"
#include "checkpoint_internal.h"
#include "tfc/ops_state.h"
#include "tfc/saver.h"

#define CKPT_MAGIC "TFCCKPT" /* 8 bytes with its NUL */
#define CKPT_VERSION 1u
#define CKPT_HEADER_SIZE 32
/* Level 1: on float weights levels 1, 3 and 6 give the same ratio (about
 * 0.93) and on zeros or constant accumulators 1 is as good and fastest. */
#define CKPT_ZLIB_LEVEL 1
/* Compression must save at least this fraction, or the raw bytes are stored:
 * trained float weights save about 7% at 25 MB/s, not worth the time. */
#define CKPT_MIN_SAVING 0.10
/* Tensors over four times this size are first tried on a sample this big. */
#define CKPT_SAMPLE_BYTES ((size_t)16 << 10)
/* deflate cannot compress better than 1032:1: a bigger claim is a lie. */
#define CKPT_MAX_ZLIB_RATIO 1032u
/* Sane bound on one tensor's raw bytes (1 TiB). */
#define CKPT_MAX_TENSOR_BYTES ((uint64_t)1 << 40)
/* Largest block given to zlib at once (its counters are 32-bit). */
#define CKPT_ZLIB_CHUNK ((size_t)1 << 30)

static const char *src_name(const char *source) { return source ? source : "<buffer>"; }

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* Reverses each es-byte element of buf in place (big-endian hosts only). */
static void swap_elements(unsigned char *buf, size_t n, size_t es)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *e = buf + i * es;
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            unsigned char t = e[a];
            e[a] = e[b];
            e[b] = t;
        }
    }
}

static uLong crc_of(const void *data, size_t size)
{
    return crc32_z(crc32_z(0L, Z_NULL, 0), data, size);
}

/* ---- raw bytes of a tensor (see checkpoint.proto) ---- */

typedef struct raw_bytes {
    const unsigned char *data;
    size_t size;
    unsigned char *owned; /* set when data had to be built */
} raw_bytes;

static tfc_code tensor_raw(const tfc_tensor *t, raw_bytes *r, const char *path, const char *name)
{
    r->owned = NULL;
    if (t->dtype == TFC_STRING) {
        const tfci_tstring *el = t->data;
        uint64_t total = 8 * (uint64_t)t->n;
        for (int64_t i = 0; i < t->n; i++) total += el[i].len;
        if (total > CKPT_MAX_TENSOR_BYTES || total > SIZE_MAX / 2)
            return tfci_error(TFC_INVALID_ARGUMENT, "writing checkpoint '%s': string tensor '%s' is too large", path,
                              name);
        r->owned = malloc(total ? total : 1);
        if (!r->owned)
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "writing checkpoint '%s': out of memory for tensor '%s'", path,
                              name);
        unsigned char *lens = r->owned, *blob = r->owned + 8 * (size_t)t->n;
        for (int64_t i = 0; i < t->n; i++) {
            tfci_put_le64(lens + 8 * i, el[i].len);
            if (el[i].len) memcpy(blob, el[i].ptr, el[i].len);
            blob += el[i].len;
        }
        r->data = r->owned;
        r->size = (size_t)total;
        return TFC_OK;
    }
    size_t es = tfc_dtype_size(t->dtype);
    if (t->bytes > CKPT_MAX_TENSOR_BYTES)
        return tfci_error(TFC_INVALID_ARGUMENT, "writing checkpoint '%s': tensor '%s' is too large (%zu bytes)",
                          path, name, t->bytes);
    if (host_is_little_endian() || es == 1) {
        r->data = t->data;
        r->size = t->bytes;
        return TFC_OK;
    }
    r->owned = malloc(t->bytes ? t->bytes : 1);
    if (!r->owned)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "writing checkpoint '%s': out of memory for tensor '%s'", path,
                          name);
    memcpy(r->owned, t->data, t->bytes);
    swap_elements(r->owned, (size_t)t->n, es);
    r->data = r->owned;
    r->size = t->bytes;
    return TFC_OK;
}

/* ---- zlib ---- */

/* Deflates src into dst[0..cap). Returns 1 with *len set when it fit, 0 when
 * it did not (compression does not pay), -1 on a zlib failure. */
static int deflate_into(const unsigned char *src, size_t n, unsigned char *dst, size_t cap, size_t *len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit(&z, CKPT_ZLIB_LEVEL) != Z_OK) return -1;
    size_t in_left = n, out_left = cap;
    z.next_in = (Bytef *)src;
    z.next_out = dst;
    int rc;
    do {
        if (z.avail_in == 0 && in_left) {
            z.avail_in = (uInt)(in_left < CKPT_ZLIB_CHUNK ? in_left : CKPT_ZLIB_CHUNK);
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0) {
            if (!out_left) {
                deflateEnd(&z);
                return 0;
            }
            z.avail_out = (uInt)(out_left < CKPT_ZLIB_CHUNK ? out_left : CKPT_ZLIB_CHUNK);
            out_left -= z.avail_out;
        }
        rc = deflate(&z, in_left || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
        if (rc == Z_STREAM_ERROR) {
            deflateEnd(&z);
            return -1;
        }
    } while (rc != Z_STREAM_END);
    *len = (size_t)(z.next_out - dst);
    deflateEnd(&z);
    return 1;
}

/* Inflates exactly want bytes from src[0..n) into dst. Returns NULL or what
 * went wrong (for the caller's message). */
static const char *inflate_exact(const unsigned char *src, size_t n, unsigned char *dst, size_t want)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return "zlib could not start";
    size_t in_left = n, out_left = want;
    z.next_in = (Bytef *)src;
    z.next_out = dst;
    const char *err = NULL;
    for (;;) {
        if (z.avail_in == 0 && in_left) {
            z.avail_in = (uInt)(in_left < CKPT_ZLIB_CHUNK ? in_left : CKPT_ZLIB_CHUNK);
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left) {
            z.avail_out = (uInt)(out_left < CKPT_ZLIB_CHUNK ? out_left : CKPT_ZLIB_CHUNK);
            out_left -= z.avail_out;
        }
        /* A byte of slack would be needed to see a stream longer than want:
         * instead, a full output buffer with the stream not ended is an error. */
        int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (z.avail_in || in_left) err = "the compressed data has trailing bytes";
            else if (z.avail_out || out_left) err = "the compressed data inflates to fewer bytes than recorded";
            break;
        }
        if (rc == Z_OK) continue;
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && !in_left)
            err = "the compressed data is cut short";
        else if (rc == Z_BUF_ERROR && z.avail_out == 0 && !out_left)
            err = "the compressed data inflates to more bytes than recorded";
        else
            err = z.msg ? z.msg : "the compressed data is invalid";
        break;
    }
    inflateEnd(&z);
    return err;
}

/* Decides how to store raw: *out points at the zlib stream (owned, caller
 * frees) when compression saves at least CKPT_MIN_SAVING, else NULL. */
static tfc_code maybe_compress(const raw_bytes *raw, unsigned char **out, size_t *out_len, const char *path,
                               const char *name)
{
    *out = NULL;
    if (raw->size < 64) return TFC_OK;
    if (raw->size > 4 * CKPT_SAMPLE_BYTES) {
        /* Four windows spread over the tensor: one region (say zero-filled
         * first rows) does not decide for the rest. */
        unsigned char sample[CKPT_SAMPLE_BYTES], packed[CKPT_SAMPLE_BYTES];
        size_t w = CKPT_SAMPLE_BYTES / 4;
        for (int i = 0; i < 4; i++) memcpy(sample + i * w, raw->data + (raw->size - w) / 3 * (size_t)i, w);
        size_t len;
        int rc = deflate_into(sample, sizeof sample, packed, (size_t)(sizeof sample * (1 - CKPT_MIN_SAVING)), &len);
        if (rc <= 0) return TFC_OK; /* not worth it (or zlib trouble: store raw) */
    }
    size_t cap = (size_t)((double)raw->size * (1 - CKPT_MIN_SAVING));
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "writing checkpoint '%s': out of memory compressing tensor '%s'",
                          path, name);
    size_t len;
    if (deflate_into(raw->data, raw->size, buf, cap, &len) != 1) {
        free(buf);
        return TFC_OK;
    }
    *out = buf;
    *out_len = len;
    return TFC_OK;
}

/* ---- writing ---- */

/* protobuf-c output that streams into the atomic file and folds every byte
 * into the message CRC; the one data block whose CRC is already known is
 * combined instead of rescanned. */
typedef struct crc_sink {
    ProtobufCBuffer base;
    tfci_atomic_file *f;
    uLong crc;
    const unsigned char *known_data;
    size_t known_len;
    uLong known_crc;
} crc_sink;

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    crc_sink *s = (crc_sink *)b;
    if (len == 0) return;
    if (data == s->known_data && len == s->known_len) s->crc = crc32_combine(s->crc, s->known_crc, (z_off_t)len);
    else s->crc = crc32_z(s->crc, data, len);
    tfci_atomic_append(s->f, data, len);
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* One tensor made ready to write: raw bytes, maybe compressed, and the CRC
 * of the raw bytes. Prepared on worker threads for big checkpoints. */
typedef struct prepared {
    const char *path, *name;
    const tfc_tensor *t;
    raw_bytes raw;
    unsigned char *packed; /* zlib stream, or NULL: store raw */
    size_t packed_len;
    uLong raw_crc;
    tfc_code err;
    char *err_msg; /* the worker's message (errors are per thread) */
} prepared;

static void prepare(prepared *p)
{
    p->raw.owned = NULL;
    p->packed = NULL;
    p->err = tensor_raw(p->t, &p->raw, p->path, p->name);
    if (!p->err) p->err = maybe_compress(&p->raw, &p->packed, &p->packed_len, p->path, p->name);
    if (!p->err) p->raw_crc = crc_of(p->raw.data, p->raw.size);
    if (p->err) p->err_msg = strdup(tfc_last_error());
}

static void prepared_clear(prepared *p)
{
    free(p->packed);
    free(p->raw.owned);
    free(p->err_msg);
    p->packed = NULL;
    p->raw.owned = NULL;
    p->err_msg = NULL;
}

/* Workers take the next job until none is left (sizes vary a lot, so a
 * fixed split would leave threads idle). */
typedef struct batch {
    prepared *jobs;
    int n;
    atomic_int next;
} batch;

static void prepare_range(void *arg, int64_t begin, int64_t end)
{
    batch *b = arg;
    (void)begin, (void)end;
    for (int i; (i = atomic_fetch_add(&b->next, 1)) < b->n;) prepare(&b->jobs[i]);
}

static void emit_entry(crc_sink *sink, const prepared *p)
{
    const tfc_tensor *t = p->t;
    Tfcpb__Checkpoint__TensorEntry e = TFCPB__CHECKPOINT__TENSOR_ENTRY__INIT;
    e.name = (char *)p->name;
    e.dtype = (int32_t)t->dtype;
    e.n_dims = (size_t)t->rank;
    int64_t dims[TFC_MAX_RANK];
    for (int i = 0; i < t->rank; i++) dims[i] = t->dims[i];
    e.dims = dims;
    e.uncompressed_size = p->raw.size;
    e.crc32 = (uint32_t)p->raw_crc;
    if (p->packed) {
        e.compression = TFCPB__CHECKPOINT__COMPRESSION__COMPRESSION_ZLIB;
        e.data.data = p->packed;
        e.data.len = p->packed_len;
        sink->known_data = NULL;
    } else {
        e.compression = TFCPB__CHECKPOINT__COMPRESSION__COMPRESSION_NONE;
        e.data.data = (uint8_t *)p->raw.data;
        e.data.len = p->raw.size;
        sink->known_data = p->raw.data;
        sink->known_len = p->raw.size;
        sink->known_crc = p->raw_crc;
    }
    /* Checkpoint.tensors (field 1, length-delimited) framing, then the entry. */
    unsigned char head[16];
    size_t hn = 0;
    head[hn++] = (1 << 3) | 2;
    hn += put_varint(head + hn, tfcpb__checkpoint__tensor_entry__get_packed_size(&e));
    sink_append(&sink->base, hn, head);
    tfcpb__checkpoint__tensor_entry__pack_to_buffer(&e, &sink->base);
    sink->known_data = NULL;
}

static int cmp_str_ptr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Checkpoints smaller than this are prepared on the calling thread. */
#define CKPT_PARALLEL_BYTES ((size_t)8 << 20)
/* Raw bytes prepared per batch: bounds the compressed copies held at once. */
#define CKPT_BATCH_BYTES ((size_t)64 << 20)

tfc_code tfci_ckpt_write(const char *path, const char *const *names, const tfc_tensor *const *values, int n)
{
    if (!path || !*path) return tfci_error(TFC_INVALID_ARGUMENT, "writing a checkpoint: path is empty");
    if (n < 0 || (n > 0 && (!names || !values)))
        return tfci_error(TFC_INVALID_ARGUMENT, "writing checkpoint '%s': %d tensors with NULL names or values", path,
                          n);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (!names[i] || !*names[i])
            return tfci_error(TFC_INVALID_ARGUMENT, "writing checkpoint '%s': tensor %d has no name", path, i);
        if (!values[i] || !tfci_dtype_valid(values[i]->dtype))
            return tfci_error(TFC_INVALID_ARGUMENT, "writing checkpoint '%s': tensor '%s' is NULL or invalid", path,
                              names[i]);
        total += values[i]->bytes < SIZE_MAX - total ? values[i]->bytes : 0;
    }
    const char **sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    prepared *jobs = calloc((size_t)(n ? n : 1), sizeof *jobs);
    if (!sorted || !jobs) {
        free(sorted);
        free(jobs);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "writing checkpoint '%s': out of memory", path);
    }
    if (n) memcpy(sorted, names, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str_ptr);
    for (int i = 1; i < n; i++)
        if (!strcmp(sorted[i], sorted[i - 1])) {
            tfc_code c = tfci_error(TFC_INVALID_ARGUMENT, "writing checkpoint '%s': name '%s' is used twice", path,
                                    sorted[i]);
            free(sorted);
            free(jobs);
            return c;
        }
    free(sorted);

    tfci_atomic_file *f;
    tfc_code c = tfci_atomic_begin(path, &f);
    if (c) {
        free(jobs);
        return c;
    }
    unsigned char header[CKPT_HEADER_SIZE] = {0};
    tfci_atomic_append(f, header, sizeof header);
    crc_sink sink = {{NULL}, f, crc32_z(0L, Z_NULL, 0), NULL, 0, 0};
    sink.base.append = sink_append;
    /* Compression and CRCs run on all cores for big checkpoints; entries are
     * written in order as each batch completes. */
    int cores = tfci_num_cores();
    tfci_pool *pool = total >= CKPT_PARALLEL_BYTES && n > 1 && cores > 1 ? tfci_pool_new(cores < 8 ? cores : 8) : NULL;
    int batch_max = pool ? 2 * tfci_pool_size(pool) : 1;
    for (int first = 0; !c && first < n;) {
        int last = first;
        size_t bytes = 0;
        do {
            jobs[last] = (prepared){path, names[last], values[last], {NULL, 0, NULL}, NULL, 0, 0, TFC_OK, NULL};
            bytes += values[last]->bytes;
            last++;
        } while (last < n && last - first < batch_max && bytes < CKPT_BATCH_BYTES);
        batch b = {jobs + first, last - first, 0};
        if (pool && b.n > 1) tfci_parallel_for(pool, tfci_pool_size(pool), 1, prepare_range, &b);
        else prepare_range(&b, 0, 1);
        for (int i = first; i < last; i++) {
            if (!c && jobs[i].err) c = tfci_error(jobs[i].err, "%s", jobs[i].err_msg ? jobs[i].err_msg : "out of memory");
            if (!c) emit_entry(&sink, &jobs[i]);
            prepared_clear(&jobs[i]);
        }
        first = last;
    }
    tfci_pool_free(pool);
    free(jobs);
    if (c) {
        tfci_atomic_abort(f);
        return c;
    }
    memcpy(header, CKPT_MAGIC, 8);
    tfci_put_le32(header + 8, CKPT_VERSION);
    tfci_put_le32(header + 12, 0);
    tfci_put_le64(header + 16, tfci_atomic_size(f) - CKPT_HEADER_SIZE);
    tfci_put_le32(header + 24, (uint32_t)sink.crc);
    tfci_put_le32(header + 28, (uint32_t)crc_of(header, 28));
    c = tfci_atomic_pwrite(f, header, sizeof header, 0);
    if (c) {
        tfci_atomic_abort(f);
        return c;
    }
    return tfci_atomic_commit(f);
}

/* ---- reading ----
 *
 * The message is parsed here rather than by protobuf-c's unpack, which would
 * copy every tensor's bytes once more: entries point into the file buffer.
 * The rules are protobuf's: fields in any order, the last of a repeated
 * scalar wins, dims packed or not, unknown fields skipped, a known field
 * with the wrong wire type is malformed. */

/* One TensorEntry, pointing into the file buffer. */
typedef struct entry {
    char *name;
    int32_t dtype;
    int32_t compression;
    size_t n_dims; /* may exceed TFC_MAX_RANK: check_entry refuses it */
    int64_t dims[TFC_MAX_RANK];
    const unsigned char *data;
    size_t data_len;
    uint64_t uncompressed_size;
    uint32_t crc32;
    uint64_t offset;   /* of the entry's payload in the file */
    uint32_t data_crc; /* CRC32 of data, computed with the message CRC */
} entry;

typedef struct ckpt_index {
    const char *name;
    int entry;
} ckpt_index;

struct tfci_ckpt {
    char *source;
    unsigned char *buf; /* the whole file; entries point into it */
    entry *entries;
    size_t n;
    ckpt_index *sorted; /* by name, for lookups */
};

static int cmp_index(const void *a, const void *b)
{
    return strcmp(((const ckpt_index *)a)->name, ((const ckpt_index *)b)->name);
}

/* Reads a varint at *pos (< end); false when malformed or cut short. */
static bool read_varint(const unsigned char *buf, size_t end, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= end) return false;
        unsigned char b = buf[(*pos)++];
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* A field of buf[*pos..end): its number, wire type and value (varint or
 * fixed) or payload (length-delimited). false when malformed. */
typedef struct pb_field {
    uint64_t num;
    unsigned wt;
    uint64_t v;
    size_t at, len; /* payload */
} pb_field;

static bool read_field(const unsigned char *buf, size_t end, size_t *pos, pb_field *f)
{
    uint64_t key;
    if (!read_varint(buf, end, pos, &key) || (key >> 3) == 0) return false;
    f->num = key >> 3;
    f->wt = (unsigned)(key & 7);
    switch (f->wt) {
    case 0: return read_varint(buf, end, pos, &f->v);
    case 1:
        if (end - *pos < 8) return false;
        f->v = tfci_get_le64(buf + *pos);
        *pos += 8;
        return true;
    case 2:
        if (!read_varint(buf, end, pos, &f->v) || f->v > end - *pos) return false;
        f->at = *pos;
        f->len = (size_t)f->v;
        *pos += f->len;
        return true;
    case 5:
        if (end - *pos < 4) return false;
        f->v = tfci_get_le32(buf + *pos);
        *pos += 4;
        return true;
    default: return false; /* groups (3, 4) are not used by proto3 */
    }
}

static void add_dim(entry *e, uint64_t v)
{
    if (e->n_dims < TFC_MAX_RANK) e->dims[e->n_dims] = (int64_t)v;
    if (e->n_dims < SIZE_MAX) e->n_dims++;
}

/* Parses the TensorEntry at buf[start..end); false with *bad set to the
 * offset of the malformed field, or to SIZE_MAX when out of memory. */
static bool parse_entry(const unsigned char *buf, size_t start, size_t end, entry *e, size_t *bad)
{
    memset(e, 0, sizeof *e);
    e->offset = start;
    size_t pos = start;
    const unsigned char *name = (const unsigned char *)"";
    size_t name_len = 0;
    while (pos < end) {
        size_t at = pos;
        pb_field f;
        bool ok = read_field(buf, end, &pos, &f);
        if (ok) switch (f.num) {
            case 1:
                ok = f.wt == 2;
                name = buf + f.at;
                name_len = f.len;
                break;
            case 2:
                ok = f.wt == 0;
                e->dtype = (int32_t)(uint32_t)f.v; /* int32 takes the low 32 bits */
                break;
            case 3:
                if (f.wt == 0) {
                    add_dim(e, f.v);
                } else if (f.wt == 2) {
                    size_t p = f.at;
                    while (ok && p < f.at + f.len) {
                        uint64_t v;
                        ok = read_varint(buf, f.at + f.len, &p, &v);
                        if (ok) add_dim(e, v);
                    }
                } else {
                    ok = false;
                }
                break;
            case 4:
                ok = f.wt == 0;
                e->compression = (int32_t)(uint32_t)f.v;
                break;
            case 5:
                ok = f.wt == 2;
                e->data = buf + f.at;
                e->data_len = f.len;
                break;
            case 6:
                ok = f.wt == 0;
                e->uncompressed_size = f.v;
                break;
            case 7:
                ok = f.wt == 5;
                e->crc32 = (uint32_t)f.v;
                break;
            default: break; /* unknown: skipped */
            }
        if (!ok) {
            *bad = at;
            return false;
        }
    }
    e->name = malloc(name_len + 1);
    if (!e->name) {
        *bad = SIZE_MAX;
        return false;
    }
    if (name_len) memcpy(e->name, name, name_len);
    e->name[name_len] = 0;
    return true;
}

static void ckpt_free(tfci_ckpt *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) free(c->entries[i].name);
    free(c->entries);
    free(c->sorted);
    free(c->buf);
    free(c->source);
    free(c);
}

void tfci_ckpt_close(tfci_ckpt *c) { ckpt_free(c); }

/* Parses the Checkpoint message buf[start..end) into c->entries. */
static tfc_code parse_message(tfci_ckpt *c, size_t start, size_t end, const char *src)
{
    size_t cap = 0, pos = start;
    while (pos < end) {
        size_t at = pos;
        pb_field f;
        if (!read_field(c->buf, end, &pos, &f) || (f.num == 1 && f.wt != 2))
            return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': malformed data at byte offset %zu", src, at);
        if (f.num != 1) continue; /* an unknown field */
        if (c->n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            entry *ne = realloc(c->entries, nc * sizeof *ne);
            if (!ne) return tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory", src);
            c->entries = ne;
            cap = nc;
        }
        size_t bad = 0;
        if (!parse_entry(c->buf, f.at, f.at + f.len, &c->entries[c->n], &bad)) {
            if (bad == SIZE_MAX) return tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory", src);
            return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': malformed data at byte offset %zu", src, bad);
        }
        c->n++;
    }
    if (c->n > INT_MAX) return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': %zu tensors, too many", src, c->n);
    return TFC_OK;
}

/* The message CRC, scanning each entry's data once and keeping its CRC:
 * entries are in file order and their data does not overlap. */
static uLong message_crc(tfci_ckpt *c, size_t start, size_t end)
{
    uLong crc = crc32_z(0L, Z_NULL, 0);
    size_t pos = start;
    for (size_t i = 0; i < c->n; i++) {
        entry *e = &c->entries[i];
        size_t off = e->data ? (size_t)(e->data - c->buf) : 0;
        if (!e->data_len || off < pos) {
            e->data_crc = e->data_len ? (uint32_t)crc_of(e->data, e->data_len) : 0;
            continue;
        }
        crc = crc32_z(crc, c->buf + pos, off - pos);
        uLong d = crc_of(e->data, e->data_len);
        e->data_crc = (uint32_t)d;
        crc = crc32_combine(crc, d, (z_off_t)e->data_len);
        pos = off + e->data_len;
    }
    return crc32_z(crc, c->buf + pos, end - pos);
}

/* Checks an entry's claims against each other and against what the file
 * can hold: name, dtype, rank, shape, raw size, compression, stored CRC. */
static tfc_code check_entry(const char *src, const entry *e)
{
    const char *name = e->name;
    unsigned long long at = (unsigned long long)e->offset;
    if (!*name) return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': entry at byte offset %llu has no name", src, at);
    tfc_dtype dt = (tfc_dtype)e->dtype;
    if (e->dtype <= 0 || !tfci_dtype_valid(dt))
        return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': tensor '%s' (byte offset %llu) has unknown dtype %d", src,
                          name, at, (int)e->dtype);
    if (e->n_dims > TFC_MAX_RANK)
        return tfci_error(TFC_DATA_LOSS,
                          "checkpoint '%s': tensor '%s' (byte offset %llu) has %zu dimensions, at most %d allowed", src,
                          name, at, e->n_dims, TFC_MAX_RANK);
    int64_t n;
    size_t mem;
    if (tfci_check_shape(dt, e->dims, (int)e->n_dims, &n, &mem)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", tfc_last_error());
        return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': tensor '%s' (byte offset %llu): %s", src, name, at, msg);
    }
    uint64_t raw = e->uncompressed_size;
    char shape[160];
    tfci_shape_str(e->dims, (int)e->n_dims, shape, sizeof shape);
    if (raw > CKPT_MAX_TENSOR_BYTES || raw > SIZE_MAX / 2)
        return tfci_error(TFC_DATA_LOSS,
                          "checkpoint '%s': tensor '%s' (byte offset %llu) claims %llu bytes, more than the %llu-byte "
                          "limit",
                          src, name, at, (unsigned long long)raw, (unsigned long long)CKPT_MAX_TENSOR_BYTES);
    if (dt == TFC_STRING) {
        if ((uint64_t)n > raw / 8)
            return tfci_error(TFC_DATA_LOSS,
                              "checkpoint '%s': string tensor '%s' %s (byte offset %llu) has %llu raw bytes, too few "
                              "for %lld lengths",
                              src, name, shape, at, (unsigned long long)raw, (long long)n);
    } else if (raw != (uint64_t)n * tfc_dtype_size(dt)) {
        return tfci_error(TFC_DATA_LOSS,
                          "checkpoint '%s': tensor '%s' (byte offset %llu) is %s %s (%llu bytes) but records %llu raw "
                          "bytes",
                          src, name, at, tfc_dtype_name(dt), shape, (unsigned long long)n * tfc_dtype_size(dt),
                          (unsigned long long)raw);
    }
    switch (e->compression) {
    case TFCPB__CHECKPOINT__COMPRESSION__COMPRESSION_NONE:
        if (e->data_len != raw)
            return tfci_error(TFC_DATA_LOSS,
                              "checkpoint '%s': tensor '%s' (byte offset %llu) stores %zu bytes, %llu recorded", src,
                              name, at, e->data_len, (unsigned long long)raw);
        /* Stored bytes: their CRC came with the message CRC. */
        if (e->data_crc != e->crc32)
            return tfci_error(TFC_DATA_LOSS,
                              "checkpoint '%s': tensor '%s' (byte offset %llu): CRC mismatch (recorded 0x%08x, data "
                              "0x%08x)",
                              src, name, at, e->crc32, e->data_crc);
        break;
    case TFCPB__CHECKPOINT__COMPRESSION__COMPRESSION_ZLIB:
        if (raw / CKPT_MAX_ZLIB_RATIO > e->data_len + 1)
            return tfci_error(TFC_DATA_LOSS,
                              "checkpoint '%s': tensor '%s' (byte offset %llu) claims %llu bytes from %zu compressed "
                              "bytes, beyond zlib's 1032:1 limit",
                              src, name, at, (unsigned long long)raw, e->data_len);
        break;
    default:
        return tfci_error(TFC_DATA_LOSS, "checkpoint '%s': tensor '%s' (byte offset %llu) has unknown compression %d",
                          src, name, at, (int)e->compression);
    }
    return TFC_OK;
}

/* Validates buf[0..size) and takes it over (freed on failure too). */
static tfc_code parse(unsigned char *buf, size_t size, const char *src, tfci_ckpt **out)
{
    *out = NULL;
    tfci_ckpt *c = calloc(1, sizeof *c);
    if (!c) {
        free(buf);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory", src);
    }
    c->buf = buf;
    c->source = strdup(src);
    tfc_code code = TFC_OK;
    if (!c->source) code = tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory", src);
    else if (size < CKPT_HEADER_SIZE && size >= 8 && memcmp(buf, CKPT_MAGIC, 8) != 0)
        code = tfci_error(TFC_DATA_LOSS, "checkpoint '%s': not a tfc checkpoint (bad magic at byte offset 0)", src);
    else if (size < CKPT_HEADER_SIZE)
        code = tfci_error(TFC_DATA_LOSS, "checkpoint '%s': truncated at byte offset %zu: the header alone is %d bytes",
                          src, size, CKPT_HEADER_SIZE);
    else if (memcmp(buf, CKPT_MAGIC, 8) != 0)
        code = tfci_error(TFC_DATA_LOSS,
                          "checkpoint '%s': not a tfc checkpoint (bad magic at byte offset 0, expected \"TFCCKPT\\0\")",
                          src);
    else if (tfci_get_le32(buf + 28) != (uint32_t)crc_of(buf, 28))
        code = tfci_error(TFC_DATA_LOSS, "checkpoint '%s': header checksum mismatch (bytes 0 to 31 are damaged)", src);
    else if (tfci_get_le32(buf + 8) != CKPT_VERSION)
        code = tfci_error(TFC_INVALID_ARGUMENT,
                          "checkpoint '%s': format version %u is not supported: this library reads version %u%s", src,
                          tfci_get_le32(buf + 8), CKPT_VERSION, tfci_get_le32(buf + 8) > CKPT_VERSION ? " (written by a newer tfc?)" : "");
    else if (tfci_get_le32(buf + 12) != 0)
        code = tfci_error(TFC_INVALID_ARGUMENT,
                          "checkpoint '%s': uses features this library does not know (flags 0x%08x at byte offset 12)",
                          src, tfci_get_le32(buf + 12));
    if (code) {
        ckpt_free(c);
        return code;
    }
    uint64_t msg_size = tfci_get_le64(buf + 16);
    if (msg_size > size - CKPT_HEADER_SIZE)
        code = tfci_error(TFC_DATA_LOSS,
                          "checkpoint '%s': truncated at byte offset %zu: the header announces %llu bytes of data "
                          "(file size %llu expected)",
                          src, size, (unsigned long long)msg_size, (unsigned long long)msg_size + CKPT_HEADER_SIZE);
    else if (msg_size < size - CKPT_HEADER_SIZE)
        code = tfci_error(TFC_DATA_LOSS, "checkpoint '%s': %llu unexpected bytes after byte offset %llu", src,
                          (unsigned long long)(size - CKPT_HEADER_SIZE - msg_size),
                          (unsigned long long)msg_size + CKPT_HEADER_SIZE);
    if (code) {
        ckpt_free(c);
        return code;
    }
    size_t end = size;
    code = parse_message(c, CKPT_HEADER_SIZE, end, src);
    /* A parse failure is most likely damage: the checksum says which. */
    if (code == TFC_DATA_LOSS) {
        for (size_t i = 0; i < c->n; i++) free(c->entries[i].name);
        c->n = 0;
    }
    if (code != TFC_RESOURCE_EXHAUSTED) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", tfc_last_error());
        if ((uint32_t)message_crc(c, CKPT_HEADER_SIZE, end) != tfci_get_le32(buf + 24))
            code = tfci_error(TFC_DATA_LOSS,
                              "checkpoint '%s': checksum mismatch: the data (byte offsets %d to %zu) is damaged", src,
                              CKPT_HEADER_SIZE, end - 1);
        else if (code)
            tfci_error(code, "%s", msg);
    }
    for (size_t i = 0; !code && i < c->n; i++) code = check_entry(src, &c->entries[i]);
    if (!code && !(c->sorted = malloc((c->n ? c->n : 1) * sizeof *c->sorted)))
        code = tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory", src);
    if (code) {
        ckpt_free(c);
        return code;
    }
    for (size_t i = 0; i < c->n; i++) {
        c->sorted[i].name = c->entries[i].name;
        c->sorted[i].entry = (int)i;
    }
    qsort(c->sorted, c->n, sizeof *c->sorted, cmp_index);
    for (size_t i = 1; i < c->n; i++)
        if (!strcmp(c->sorted[i].name, c->sorted[i - 1].name)) {
            int later = c->sorted[i].entry > c->sorted[i - 1].entry ? c->sorted[i].entry : c->sorted[i - 1].entry;
            code = tfci_error(TFC_DATA_LOSS, "checkpoint '%s': tensor name '%s' appears twice (byte offset %llu)", src,
                              c->sorted[i].name, (unsigned long long)c->entries[later].offset);
            ckpt_free(c);
            return code;
        }
    *out = c;
    return TFC_OK;
}

tfc_code tfci_ckpt_open_buffer(const void *data, size_t size, const char *source, tfci_ckpt **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_open_buffer: out is NULL");
    *out = NULL;
    if (!data && size) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_open_buffer: data is NULL");
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy) return tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory", src_name(source));
    if (size) memcpy(copy, data, size);
    return parse(copy, size, src_name(source), out);
}

/* Reads the whole file: its size bounds the buffer. */
static tfc_code read_file(const char *path, const char *what, unsigned char **buf, size_t *size)
{
    *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tfci_error(errno == ENOENT ? TFC_NOT_FOUND : errno == EACCES ? TFC_PERMISSION_DENIED : TFC_UNKNOWN,
                          "%s '%s': %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tfci_error(TFC_INVALID_ARGUMENT, "%s '%s': not a regular file", what, path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        close(fd);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s '%s': too large (%lld bytes)", what, path,
                          (long long)st.st_size);
    }
    size_t want = (size_t)st.st_size, got = 0;
    unsigned char *b = malloc(want ? want : 1);
    if (!b) {
        close(fd);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s '%s': out of memory for %zu bytes", what, path, want);
    }
    while (got < want) {
        ssize_t r = read(fd, b + got, want - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            tfc_code c = tfci_error(TFC_DATA_LOSS, "%s '%s': read error at byte offset %zu: %s", what, path, got,
                                    strerror(errno));
            free(b);
            close(fd);
            return c;
        }
        if (r == 0) break; /* shrank meanwhile: the parser reports the truncation */
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *size = got;
    return TFC_OK;
}

tfc_code tfci_ckpt_open(const char *path, tfci_ckpt **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_open: out is NULL");
    *out = NULL;
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_open: path is NULL");
    unsigned char *buf;
    size_t size;
    tfc_code c = read_file(path, "checkpoint", &buf, &size);
    if (c) return c;
    return parse(buf, size, path, out);
}

int tfci_ckpt_count(const tfci_ckpt *c) { return c ? (int)c->n : 0; }

const char *tfci_ckpt_name(const tfci_ckpt *c, int i)
{
    if (!c || i < 0 || (size_t)i >= c->n) return NULL;
    return c->entries[i].name;
}

static int find(const tfci_ckpt *c, const char *name)
{
    ckpt_index key = {name, 0};
    const ckpt_index *hit = bsearch(&key, c->sorted, c->n, sizeof key, cmp_index);
    return hit ? hit->entry : -1;
}

tfc_code tfci_ckpt_info(const tfci_ckpt *c, const char *name, tfc_dtype *dtype, int64_t *dims, int *rank)
{
    if (!c || !name) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_info: NULL argument");
    int i = find(c, name);
    if (i < 0) return tfci_error(TFC_NOT_FOUND, "checkpoint '%s' has no tensor '%s'", c->source, name);
    const entry *e = &c->entries[i];
    if (dtype) *dtype = (tfc_dtype)e->dtype;
    if (rank) *rank = (int)e->n_dims;
    if (dims)
        for (size_t d = 0; d < e->n_dims; d++) dims[d] = e->dims[d];
    return TFC_OK;
}

/* Builds a string tensor from raw bytes (n lengths, then the bytes). */
static tfc_code strings_from_raw(const tfci_ckpt *c, const entry *e, const unsigned char *raw, size_t size,
                                 tfc_tensor **out)
{
    int64_t n = tfci_num_elements(e->dims, (int)e->n_dims);
    size_t blob = 8 * (size_t)n, need = 0;
    for (int64_t k = 0; k < n; k++) {
        uint64_t len = tfci_get_le64(raw + 8 * k);
        if (len > size - blob - need)
            return tfci_error(TFC_DATA_LOSS,
                              "checkpoint '%s': string tensor '%s' (byte offset %llu): string %lld claims %llu bytes, "
                              "past the end of its data",
                              c->source, e->name, (unsigned long long)e->offset, (long long)k,
                              (unsigned long long)len);
        need += (size_t)len;
    }
    if (need != size - blob)
        return tfci_error(TFC_DATA_LOSS,
                          "checkpoint '%s': string tensor '%s' (byte offset %llu): %zu bytes left over after its "
                          "strings",
                          c->source, e->name, (unsigned long long)e->offset, size - blob - need);
    const char **strs = malloc((size_t)(n ? n : 1) * sizeof *strs);
    size_t *lens = malloc((size_t)(n ? n : 1) * sizeof *lens);
    if (!strs || !lens) {
        free(strs);
        free(lens);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory for tensor '%s'", c->source,
                          e->name);
    }
    size_t at = blob;
    for (int64_t k = 0; k < n; k++) {
        lens[k] = (size_t)tfci_get_le64(raw + 8 * k);
        strs[k] = (const char *)raw + at;
        at += lens[k];
    }
    tfc_code code = tfc_tensor_new_strings(e->dims, (int)e->n_dims, strs, lens, out);
    free(strs);
    free(lens);
    return code;
}

tfc_code tfci_ckpt_get(const tfci_ckpt *c, const char *name, tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_get: out is NULL");
    *out = NULL;
    if (!c || !name) return tfci_error(TFC_INVALID_ARGUMENT, "tfci_ckpt_get: NULL argument");
    int i = find(c, name);
    if (i < 0) return tfci_error(TFC_NOT_FOUND, "checkpoint '%s' has no tensor '%s'", c->source, name);
    const entry *e = &c->entries[i];
    tfc_dtype dt = (tfc_dtype)e->dtype;
    size_t raw_size = (size_t)e->uncompressed_size;
    unsigned long long at = (unsigned long long)e->offset;
    bool zlib = e->compression == TFCPB__CHECKPOINT__COMPRESSION__COMPRESSION_ZLIB;

    /* Numbers inflate straight into the new tensor; strings need a scratch. */
    tfc_tensor *t = NULL;
    unsigned char *raw = NULL;
    const unsigned char *src = e->data;
    if (dt != TFC_STRING) {
        tfc_code code = tfci_tensor_alloc(dt, e->dims, (int)e->n_dims, &t);
        if (code) {
            tfci_error_prefix("checkpoint '%s': tensor '%s'", c->source, e->name);
            return code;
        }
        raw = t->data;
    } else if (zlib && !(raw = malloc(raw_size ? raw_size : 1))) {
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "checkpoint '%s': out of memory for tensor '%s' (%zu bytes)",
                          c->source, e->name, raw_size);
    }
    if (zlib) {
        const char *why = inflate_exact(e->data, e->data_len, raw, raw_size);
        if (!why && (uint32_t)crc_of(raw, raw_size) != e->crc32) why = "CRC mismatch after inflating";
        if (why) {
            tfc_code code = tfci_error(TFC_DATA_LOSS, "checkpoint '%s': tensor '%s' (byte offset %llu): %s",
                                       c->source, e->name, at, why);
            if (t) tfc_tensor_free(t);
            else free(raw);
            return code;
        }
        src = raw;
    } else if (t && raw_size) {
        /* Stored bytes were checked against their CRC when the file was opened. */
        memcpy(t->data, e->data, raw_size);
    }
    if (dt == TFC_STRING) {
        tfc_code code = strings_from_raw(c, e, src ? src : (const unsigned char *)"", raw_size, &t);
        if (zlib) free(raw);
        if (code) return code;
    } else if (!host_is_little_endian()) {
        swap_elements(t->data, (size_t)t->n, tfc_dtype_size(dt));
    }
    if (dt == TFC_BOOL) {
        /* bool must be 0 or 1 for the kernels' sake. */
        const unsigned char *b = t->data;
        for (int64_t k = 0; k < t->n; k++)
            if (b[k] > 1) {
                int v = b[k];
                tfc_tensor_free(t);
                return tfci_error(TFC_DATA_LOSS,
                                  "checkpoint '%s': bool tensor '%s' (byte offset %llu) holds the value %d at %lld",
                                  c->source, e->name, at, v, (long long)k);
            }
    }
    *out = t;
    return TFC_OK;
}

/* ==== the saver ==== */

#define STATE_FILE "checkpoint"
#define CKPT_SUFFIX ".tfc"

struct tfc_saver {
    tfc_graph *graph;
    int n;
    tfc_op **vars;
    char **keys; /* checkpoint names */
    int max_to_keep;
};



TFC_API void tfc_saver_free(tfc_saver *sv)
{
    if (!sv) return;
    for (int i = 0; i < sv->n; i++) free(sv->keys[i]);
    free(sv->keys);
    free(sv->vars);
    free(sv);
}

static bool is_variable(const tfc_graph *g, const tfc_op *op)
{
    size_t nv = tfc_graph_num_variables(g);
    for (size_t i = 0; i < nv; i++)
        if (tfc_graph_variable(g, i) == op) return true;
    return false;
}

TFC_API tfc_code tfc_saver_new(tfc_graph *g, tfc_op *const *variables, int n, const tfc_saver_options *opts,
                               tfc_saver **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: out is NULL");
    *out = NULL;
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: graph is NULL");
    if (n < 0 || (n > 0 && !variables))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: %d variables given with a NULL list", n);
    int max_to_keep = 5;
    if (opts) {
        if (opts->size < offsetof(tfc_saver_options, max_to_keep) + sizeof opts->max_to_keep)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: options size %zu is too small (use "
                                                    "TFC_SAVER_OPTIONS_INIT)",
                              opts->size);
        max_to_keep = opts->max_to_keep;
        if (max_to_keep < 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: max_to_keep is %d (expected >= 0; 0 keeps all)",
                              max_to_keep);
    }
    size_t count = variables ? (size_t)n : tfc_graph_num_variables(g);
    if (count > INT_MAX) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: too many variables");
    tfc_saver *sv = calloc(1, sizeof *sv);
    if (sv) {
        sv->vars = calloc(count ? count : 1, sizeof *sv->vars);
        sv->keys = calloc(count ? count : 1, sizeof *sv->keys);
    }
    if (!sv || !sv->vars || !sv->keys) {
        if (sv) {
            free(sv->vars);
            free(sv->keys);
            free(sv);
        }
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_saver_new: out of memory");
    }
    sv->graph = g;
    sv->max_to_keep = max_to_keep;
    for (size_t i = 0; i < count; i++) {
        tfc_op *op = variables ? variables[i] : tfc_graph_variable(g, i);
        tfc_code c = TFC_OK;
        if (!op) c = tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: variable %zu is NULL", i);
        else if (!is_variable(g, op))
            c = tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: '%s' (%s) is not a variable of the graph",
                           tfc_op_name(op), tfc_op_type(op));
        for (size_t j = 0; !c && j < i; j++)
            if (sv->vars[j] == op)
                c = tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_new: variable '%s' is listed twice", tfc_op_name(op));
        if (!c && !(sv->keys[i] = strdup(tfc_op_name(op))))
            c = tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_saver_new: out of memory");
        sv->vars[i] = op;
        sv->n = (int)i + 1;
        if (c) {
            tfc_saver_free(sv);
            return c;
        }
    }
    sv->n = (int)count;
    *out = sv;
    return TFC_OK;
}

TFC_API tfc_code tfc_saver_map_name(tfc_saver *sv, const char *variable_name, const char *checkpoint_name)
{
    if (!sv || !variable_name || !checkpoint_name)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_map_name: NULL argument");
    if (!*checkpoint_name) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_map_name: empty checkpoint name");
    for (int i = 0; i < sv->n; i++) {
        if (strcmp(tfc_op_name(sv->vars[i]), variable_name) != 0) continue;
        char *k = strdup(checkpoint_name);
        if (!k) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_saver_map_name: out of memory");
        free(sv->keys[i]);
        sv->keys[i] = k;
        return TFC_OK;
    }
    return tfci_error(TFC_NOT_FOUND, "tfc_saver_map_name: the saver has no variable '%s'", variable_name);
}

/* ---- paths ---- */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *dir_part(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static const char *base_part(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Resolves a state-file entry against dir (absolute entries stay). */
static char *resolve(const char *dir, const char *entry)
{
    return entry[0] == '/' ? strdup(entry) : path_join(dir, entry);
}

/* ---- the state file: TensorFlow's CheckpointState in text format ---- */

typedef struct ckpt_state {
    char *latest;
    char **all;
    int n, cap;
} ckpt_state;

static void state_clear(ckpt_state *st)
{
    free(st->latest);
    for (int i = 0; i < st->n; i++) free(st->all[i]);
    free(st->all);
    memset(st, 0, sizeof *st);
}

static bool state_push(ckpt_state *st, char *s)
{
    if (!s) return false;
    if (st->n == st->cap) {
        int nc = st->cap ? 2 * st->cap : 8;
        char **na = realloc(st->all, (size_t)nc * sizeof *na);
        if (!na) {
            free(s);
            return false;
        }
        st->all = na;
        st->cap = nc;
    }
    st->all[st->n++] = s;
    return true;
}

/* Parses a text-format string literal at *p ("..." or '...', C escapes). */
static char *parse_quoted(const char **p)
{
    const char *s = *p;
    char q = *s;
    if (q != '"' && q != '\'') return NULL;
    s++;
    size_t cap = 64, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    while (*s && *s != q && *s != '\n') {
        int ch = (unsigned char)*s++;
        if (ch == '\\') {
            ch = (unsigned char)*s++;
            switch (ch) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'x': {
                int v = 0, k = 0;
                while (k < 2 && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) {
                    v = v * 16 + (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
                    s++;
                    k++;
                }
                ch = v;
                break;
            }
            case 0: free(out); return NULL;
            default:
                if (ch >= '0' && ch <= '7') {
                    int v = ch - '0', k = 1;
                    while (k < 3 && *s >= '0' && *s <= '7') v = v * 8 + (*s++ - '0'), k++;
                    ch = v & 0xff;
                }
                break; /* \" \' \\ and others stand for themselves */
            }
        }
        if (n + 2 > cap) {
            char *nb = realloc(out, cap *= 2);
            if (!nb) {
                free(out);
                return NULL;
            }
            out = nb;
        }
        out[n++] = (char)ch;
    }
    if (*s != q) {
        free(out);
        return NULL;
    }
    out[n] = 0;
    *p = s + 1;
    return out;
}

/* Reads dir/checkpoint. TFC_NOT_FOUND when absent; malformed lines are skipped
 * (the file may come from a newer TensorFlow with more fields). */
static tfc_code state_read(const char *dir, ckpt_state *st)
{
    memset(st, 0, sizeof *st);
    char *path = path_join(dir, STATE_FILE);
    if (!path) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    unsigned char *buf;
    size_t size;
    tfc_code c = read_file(path, "checkpoint state file", &buf, &size);
    free(path);
    if (c) return c;
    char *text = realloc(buf, size + 1);
    if (!text) {
        free(buf);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    }
    text[size] = 0;
    for (const char *line = text; line && *line;) {
        const char *next = strchr(line, '\n');
        while (*line == ' ' || *line == '\t') line++;
        static const char k1[] = "model_checkpoint_path:", k2[] = "all_model_checkpoint_paths:";
        const char *v = NULL;
        int which = 0;
        if (!strncmp(line, k1, sizeof k1 - 1)) v = line + sizeof k1 - 1, which = 1;
        else if (!strncmp(line, k2, sizeof k2 - 1)) v = line + sizeof k2 - 1, which = 2;
        if (v) {
            while (*v == ' ' || *v == '\t') v++;
            char *s = parse_quoted(&v);
            if (s && *s) {
                if (which == 1) {
                    free(st->latest);
                    st->latest = s;
                } else if (!state_push(st, s)) {
                    free(text);
                    state_clear(st);
                    return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
                }
            } else {
                free(s);
            }
        }
        line = next ? next + 1 : NULL;
    }
    free(text);
    return TFC_OK;
}

/* Appends a text-format literal of s to buf (escaping what must be). */
static bool append_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + 4 * strlen(s) + 4;
    if (need > *cap) {
        size_t nc = need * 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return false;
        *buf = nb;
        *cap = nc;
    }
    char *o = *buf + *len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += sprintf(o, "\\%03o", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o++ = '\n';
    *len = (size_t)(o - *buf);
    return true;
}

static bool append_text(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return false;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    return true;
}

static tfc_code state_write(const char *dir, const ckpt_state *st)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = append_text(&buf, &len, &cap, "model_checkpoint_path: ") && append_quoted(&buf, &len, &cap, st->latest);
    for (int i = 0; ok && i < st->n; i++)
        ok = append_text(&buf, &len, &cap, "all_model_checkpoint_paths: ") &&
             append_quoted(&buf, &len, &cap, st->all[i]);
    char *path = ok ? path_join(dir, STATE_FILE) : NULL;
    tfc_code c = path ? tfci_atomic_write(path, buf, len) : tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    free(path);
    free(buf);
    return c;
}

/* ---- save ---- */

/* Step of "<name>-<digits>.tfc", or -1. */
static long long step_of(const char *name)
{
    size_t n = strlen(name), sl = strlen(CKPT_SUFFIX);
    if (n <= sl || strcmp(name + n - sl, CKPT_SUFFIX) != 0) return -1;
    size_t e = n - sl, b = e;
    while (b > 0 && name[b - 1] >= '0' && name[b - 1] <= '9') b--;
    if (b == e || b == 0 || name[b - 1] != '-' || e - b > 18) return -1;
    long long v = 0;
    for (size_t i = b; i < e; i++) v = v * 10 + (name[i] - '0');
    return v;
}

/* Step of name when it is "<base>-<digits>.tfc", else -1. */
static long long series_step(const char *name, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) != 0 || name[bl] != '-') return -1;
    long long step = step_of(name);
    /* step_of takes the last "-<digits>": it must be the one after base. */
    if (step < 0 || strspn(name + bl + 1, "0123456789") + bl + 1 + strlen(CKPT_SUFFIX) != strlen(name)) return -1;
    return step;
}

/* Deletes "<base>-<step>.tfc" files older than every kept one of the series
 * and not kept: left behind when a process died between writing the state
 * file and deleting them. */
static void remove_orphans(const char *dir, const char *base, char *const *kept, int nkept)
{
    long long oldest = -1;
    for (int i = 0; i < nkept; i++) {
        long long st = series_step(kept[i], base);
        if (st >= 0 && (oldest < 0 || st < oldest)) oldest = st;
    }
    if (oldest <= 0) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long long st = series_step(e->d_name, base);
        if (st < 0 || st >= oldest) continue;
        char *full = path_join(dir, e->d_name);
        if (full && unlink(full) != 0 && errno != ENOENT)
            tfci_log(TFC_LOG_WARNING, "tfc_saver_save: could not delete old checkpoint '%s': %s", full,
                     strerror(errno));
        free(full);
    }
    closedir(d);
}

typedef struct series_file {
    long long step;
    char *name;
} series_file;

static int cmp_series(const void *a, const void *b)
{
    long long x = ((const series_file *)a)->step, y = ((const series_file *)b)->step;
    return x < y ? -1 : x > y;
}

/* Fills st->all with the "<base>-<step>.tfc" files of dir, oldest step
 * first: the kept list when there is no usable state file. */
static void scan_series(const char *dir, const char *base, ckpt_state *st)
{
    DIR *d = opendir(dir);
    if (!d) return;
    series_file *f = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long long step = series_step(e->d_name, base);
        if (step < 0) continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            series_file *nf = realloc(f, nc * sizeof *nf);
            if (!nf) break;
            f = nf;
            cap = nc;
        }
        if (!(f[n].name = strdup(e->d_name))) break;
        f[n++].step = step;
    }
    closedir(d);
    if (n) qsort(f, n, sizeof *f, cmp_series);
    for (size_t i = 0; i < n; i++)
        if (!state_push(st, f[i].name)) { /* out of memory: keep what fits */
            for (size_t j = i + 1; j < n; j++) free(f[j].name);
            break;
        }
    free(f);
}

/* Writes the checkpoint file for the saver's variables. */
static tfc_code save_values(const tfc_saver *sv, tfc_session *s, const char *path)
{
    for (int i = 0; i < sv->n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(sv->keys[i], sv->keys[j]))
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "saving '%s': variables '%s' and '%s' both map to checkpoint name '%s'", path,
                                  tfc_op_name(sv->vars[j]), tfc_op_name(sv->vars[i]), sv->keys[i]);
    tfc_tensor **vals = calloc((size_t)(sv->n ? sv->n : 1), sizeof *vals);
    if (!vals) return tfci_error(TFC_RESOURCE_EXHAUSTED, "saving '%s': out of memory", path);
    tfc_code c = TFC_OK;
    for (int i = 0; !c && i < sv->n; i++) {
        c = tfc_session_variable_value(s, sv->vars[i], &vals[i]);
        if (c) tfci_error_prefix("saving '%s'", path);
    }
    if (!c) c = tfci_ckpt_write(path, (const char *const *)sv->keys, (const tfc_tensor *const *)vals, sv->n);
    for (int i = 0; i < sv->n; i++) tfc_tensor_free(vals[i]);
    free(vals);
    return c;
}

TFC_API tfc_code tfc_saver_save(const tfc_saver *sv, tfc_session *s, const char *prefix, int64_t global_step,
                                char **saved_path)
{
    if (saved_path) *saved_path = NULL;
    if (!sv || !s || !prefix || !*prefix) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_save: NULL argument");
    struct stat st;
    bool is_dir = stat(prefix, &st) == 0 && S_ISDIR(st.st_mode);
    char *pre = is_dir ? path_join(prefix, "model.ckpt") : strdup(prefix);
    if (!pre) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_saver_save: out of memory");
    size_t n = strlen(pre) + 40;
    char *path = malloc(n);
    char *dir = dir_part(pre);
    if (!path || !dir) {
        free(pre);
        free(path);
        free(dir);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_saver_save: out of memory");
    }
    if (global_step >= 0) snprintf(path, n, "%s-%lld%s", pre, (long long)global_step, CKPT_SUFFIX);
    else snprintf(path, n, "%s%s", pre, CKPT_SUFFIX);

    tfc_code c = tfci_mkdir_p(dir);
    if (!c) {
        /* Leftovers of processes killed mid-write or mid-cleanup. */
        tfci_atomic_remove_stale(dir, base_part(pre));
        tfci_atomic_remove_stale(dir, STATE_FILE ".tmp.");
        ckpt_state old;
        if (sv->max_to_keep > 0 && state_read(dir, &old) == TFC_OK) {
            remove_orphans(dir, base_part(pre), old.all, old.n);
            state_clear(&old);
        }
        c = save_values(sv, s, path);
    }
    ckpt_state state;
    char **doomed = NULL;
    int ndoomed = 0;
    if (!c) {
        /* The kept list continues the state file's, minus files gone and
         * minus this name (saved again: it moves to the end). */
        if (state_read(dir, &state) != TFC_OK) memset(&state, 0, sizeof state);
        if (state.n == 0) scan_series(dir, base_part(pre), &state);
        const char *me = base_part(path);
        int k = 0;
        for (int i = 0; i < state.n; i++) {
            char *full = resolve(dir, state.all[i]);
            bool keep = full && strcmp(state.all[i], me) != 0 && strcmp(full, path) != 0 && file_exists(full);
            free(full);
            if (keep) state.all[k++] = state.all[i];
            else free(state.all[i]);
        }
        state.n = k;
        free(state.latest);
        state.latest = strdup(me);
        if (!state.latest || !state_push(&state, strdup(me))) {
            c = tfci_error(TFC_RESOURCE_EXHAUSTED, "saving '%s': out of memory", path);
        } else {
            int drop = sv->max_to_keep > 0 && state.n > sv->max_to_keep ? state.n - sv->max_to_keep : 0;
            doomed = state.all;
            ndoomed = drop;
            state.all += drop;
            state.n -= drop;
            c = state_write(dir, &state);
            state.all -= drop;
            state.n += drop;
        }
        if (!c) {
            /* After the state file stops naming them: a crash before this
             * point leaves extra files, never a state naming a missing one. */
            for (int i = 0; i < ndoomed; i++) {
                char *full = resolve(dir, doomed[i]);
                if (full && unlink(full) != 0 && errno != ENOENT)
                    tfci_log(TFC_LOG_WARNING, "tfc_saver_save: could not delete old checkpoint '%s': %s", full,
                             strerror(errno));
                free(full);
            }
            if (sv->max_to_keep > 0) remove_orphans(dir, base_part(pre), state.all + ndoomed, state.n - ndoomed);
            if (ndoomed) tfci_fsync_parent_dir(path);
        } else {
            tfci_error_prefix("saving '%s': updating the state file", path);
        }
        state_clear(&state);
    }
    if (!c && saved_path) {
        *saved_path = path;
        path = NULL;
    }
    free(path);
    free(pre);
    free(dir);
    return c;
}

/* ---- latest ---- */

TFC_API tfc_code tfc_saver_latest(const char *dir, char **path)
{
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_latest: path is NULL");
    *path = NULL;
    if (!dir || !*dir) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_latest: dir is empty");
    ckpt_state st;
    if (state_read(dir, &st) == TFC_OK) {
        char *full = st.latest ? resolve(dir, st.latest) : NULL;
        state_clear(&st);
        if (full && file_exists(full)) {
            *path = full;
            return TFC_OK;
        }
        free(full);
    }
    /* No usable state file: the highest step wins. */
    DIR *d = opendir(dir);
    if (!d)
        return tfci_error(errno == ENOENT ? TFC_NOT_FOUND : TFC_UNKNOWN, "tfc_saver_latest: directory '%s': %s", dir,
                          strerror(errno));
    char *best = NULL;
    long long best_step = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long long step = step_of(e->d_name);
        if (step < 0 || step < best_step) continue;
        if (step == best_step && best && strcmp(e->d_name, best) < 0) continue;
        char *full = path_join(dir, e->d_name);
        if (!full || !file_exists(full)) {
            free(full);
            continue;
        }
        free(full);
        char *copy = strdup(e->d_name);
        if (!copy) continue;
        free(best);
        best = copy;
        best_step = step;
    }
    closedir(d);
    if (!best) return tfci_error(TFC_NOT_FOUND, "tfc_saver_latest: no checkpoint in '%s'", dir);
    *path = path_join(dir, best);
    free(best);
    return *path ? TFC_OK : tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
}

/* ---- restore ---- */

/* Growing message listing restore problems, cut before the error buffer's
 * size with a count of the ones left out. */
typedef struct problems {
    char text[1700];
    size_t len;
    int count, shown, missing;
} problems;

static void problem(problems *p, bool missing, const char *fmt, ...) TFCI_PRINTF(3, 4);
static void problem(problems *p, bool missing, const char *fmt, ...)
{
    p->count++;
    if (missing) p->missing++;
    char one[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(one, sizeof one, fmt, ap);
    va_end(ap);
    size_t n = strlen(one);
    if (p->len + n + 3 >= sizeof p->text) return;
    if (p->shown++) {
        memcpy(p->text + p->len, "; ", 2);
        p->len += 2;
    }
    memcpy(p->text + p->len, one, n + 1);
    p->len += n;
}

TFC_API tfc_code tfc_saver_restore(const tfc_saver *sv, tfc_session *s, const char *path)
{
    if (!sv || !s || !path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saver_restore: NULL argument");
    tfci_ckpt *ck;
    tfc_code c = tfci_ckpt_open(path, &ck);
    if (c) {
        tfci_error_prefix("restoring");
        return c;
    }
    problems pr;
    memset(&pr, 0, sizeof pr);
    for (int i = 0; i < sv->n; i++) {
        const tfc_op *op = sv->vars[i];
        const char *vname = tfc_op_name(op), *key = sv->keys[i];
        char alias[300] = "";
        if (strcmp(vname, key) != 0) snprintf(alias, sizeof alias, " (checkpoint name '%s')", key);
        tfc_dtype fdt;
        int64_t fdims[TFC_MAX_RANK], vdims[TFC_MAX_RANK];
        int frank, vrank;
        if (tfci_ckpt_info(ck, key, &fdt, fdims, &frank) != TFC_OK) {
            problem(&pr, true, "variable '%s'%s is not in the checkpoint", vname, alias);
            continue;
        }
        tfc_output o = tfc_op_output((tfc_op *)op, 0);
        tfc_dtype vdt = tfc_output_dtype(o);
        if (tfc_graph_output_shape(sv->graph, o, vdims, &vrank) != TFC_OK) vrank = -1;
        bool same = fdt == vdt && (vrank < 0 || vrank == frank);
        for (int d = 0; same && vrank > 0 && d < vrank; d++)
            if (vdims[d] >= 0 && vdims[d] != fdims[d]) same = false;
        if (!same) {
            char a[160], b[160];
            problem(&pr, false, "variable '%s'%s is %s %s, the checkpoint has %s %s", vname, alias,
                    tfc_dtype_name(vdt), vrank < 0 ? "<unknown>" : tfci_shape_str(vdims, vrank, a, sizeof a),
                    tfc_dtype_name(fdt), tfci_shape_str(fdims, frank, b, sizeof b));
        }
    }
    if (pr.count) {
        tfci_ckpt_close(ck);
        char more[64] = "";
        if (pr.shown < pr.count) snprintf(more, sizeof more, "; and %d more", pr.count - pr.shown);
        return tfci_error(pr.missing == pr.count ? TFC_NOT_FOUND : TFC_INVALID_ARGUMENT,
                          "restoring '%s': %d of %d variables do not match the checkpoint: %s%s", path, pr.count,
                          sv->n, pr.text, more);
    }
    /* Every tensor is read and verified before any variable changes. */
    tfc_tensor **vals = calloc((size_t)(sv->n ? sv->n : 1), sizeof *vals);
    if (!vals) {
        tfci_ckpt_close(ck);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "restoring '%s': out of memory", path);
    }
    for (int i = 0; !c && i < sv->n; i++) {
        c = tfci_ckpt_get(ck, sv->keys[i], &vals[i]);
        if (c) tfci_error_prefix("restoring variable '%s'", tfc_op_name(sv->vars[i]));
    }
    tfci_ckpt_close(ck);
    /* Checked above, so only running out of memory (a string variable's
     * copy) can fail here. */
    for (int i = 0; !c && i < sv->n; i++) c = tfc_session_set_variable(s, sv->vars[i], vals[i]);
    for (int i = 0; i < sv->n; i++) tfc_tensor_free(vals[i]);
    free(vals);
    return c;
}
