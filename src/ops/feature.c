/* Op family 'feature': ops that turn raw features (numbers and strings) into
 * bucket / category ids, the graph form of TensorFlow's feature columns (see
 * ops_feature.h). Hashes reproduce TensorFlow's Fingerprint64 (FarmHash
 * farmhashna::Hash64) and FingerprintCat64 bit for bit, so ids match a
 * TensorFlow model. No kernel allocates except from the run arena. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "tfc/ops_feature.h"

/* ---- FarmHash Fingerprint64 (farmhashna::Hash64), written from the public
 * algorithm; little-endian loads via memcpy so unaligned input is fine. ---- */

static const uint64_t k0 = UINT64_C(0xc3a5c85c97cb3127);
static const uint64_t k1 = UINT64_C(0xb492b66fbe98f273);
static const uint64_t k2 = UINT64_C(0x9ae16a3b2f90404f);

static inline uint64_t fetch64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t fetch32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t rot64(uint64_t v, int s) { return s == 0 ? v : (v >> s) | (v << (64 - s)); }
static inline uint64_t shift_mix(uint64_t v) { return v ^ (v >> 47); }

static inline uint64_t hash_len16(uint64_t u, uint64_t v, uint64_t mul)
{
    uint64_t a = (u ^ v) * mul;
    a ^= a >> 47;
    uint64_t b = (v ^ a) * mul;
    b ^= b >> 47;
    return b * mul;
}

static uint64_t hash_len0to16(const char *s, size_t len)
{
    if (len >= 8) {
        uint64_t mul = k2 + len * 2;
        uint64_t a = fetch64(s) + k2;
        uint64_t b = fetch64(s + len - 8);
        uint64_t c = rot64(b, 37) * mul + a;
        uint64_t d = (rot64(a, 25) + b) * mul;
        return hash_len16(c, d, mul);
    }
    if (len >= 4) {
        uint64_t mul = k2 + len * 2;
        uint64_t a = fetch32(s);
        return hash_len16(len + (a << 3), fetch32(s + len - 4), mul);
    }
    if (len > 0) {
        uint8_t a = (uint8_t)s[0], b = (uint8_t)s[len >> 1], c = (uint8_t)s[len - 1];
        uint32_t y = (uint32_t)a + ((uint32_t)b << 8);
        uint32_t z = (uint32_t)len + ((uint32_t)c << 2);
        return shift_mix(y * k2 ^ z * k0) * k2;
    }
    return k2;
}

static uint64_t hash_len17to32(const char *s, size_t len)
{
    uint64_t mul = k2 + len * 2;
    uint64_t a = fetch64(s) * k1;
    uint64_t b = fetch64(s + 8);
    uint64_t c = fetch64(s + len - 8) * mul;
    uint64_t d = fetch64(s + len - 16) * k2;
    return hash_len16(rot64(a + b, 43) + rot64(c, 30) + d, a + rot64(b + k2, 18) + c, mul);
}

static uint64_t hash_len33to64(const char *s, size_t len)
{
    uint64_t mul = k2 + len * 2;
    uint64_t a = fetch64(s) * k2;
    uint64_t b = fetch64(s + 8);
    uint64_t c = fetch64(s + len - 8) * mul;
    uint64_t d = fetch64(s + len - 16) * k2;
    uint64_t y = rot64(a + b, 43) + rot64(c, 30) + d;
    uint64_t z = hash_len16(y, a + rot64(b + k2, 18) + c, mul);
    uint64_t e = fetch64(s + 16) * mul;
    uint64_t f = fetch64(s + 24);
    uint64_t g = (y + fetch64(s + len - 32)) * mul;
    uint64_t h = (z + fetch64(s + len - 24)) * mul;
    return hash_len16(rot64(e + f, 43) + rot64(g, 30) + h, e + rot64(f + a, 18) + g, mul);
}

typedef struct u128 {
    uint64_t first, second;
} u128;

static inline u128 weak_hash32_seeds(const char *s, uint64_t a, uint64_t b)
{
    uint64_t w = fetch64(s), x = fetch64(s + 8), y = fetch64(s + 16), z = fetch64(s + 24);
    a += w;
    b = rot64(b + a + z, 21);
    uint64_t c = a;
    a += x;
    a += y;
    b += rot64(a, 44);
    return (u128){a + z, b + c};
}

static uint64_t fingerprint64(const char *s, size_t len)
{
    if (len <= 16) return hash_len0to16(s, len);
    if (len <= 32) return hash_len17to32(s, len);
    if (len <= 64) return hash_len33to64(s, len);

    /* Over 64 bytes: 56 bytes of state (v, w, x, y, z) over 64-byte blocks. */
    const uint64_t seed = 81;
    uint64_t x = seed, y = seed * k1 + 113, z = shift_mix(y * k2 + 113) * k2, t;
    u128 v = {0, 0}, w = {0, 0};
    x = x * k2 + fetch64(s);
    const char *end = s + ((len - 1) / 64) * 64;
    const char *last64 = end + ((len - 1) & 63) - 63;
    do {
        x = rot64(x + y + v.first + fetch64(s + 8), 37) * k1;
        y = rot64(y + v.second + fetch64(s + 48), 42) * k1;
        x ^= w.second;
        y += v.first + fetch64(s + 40);
        z = rot64(z + w.first, 33) * k1;
        v = weak_hash32_seeds(s, v.second * k1, x + w.first);
        w = weak_hash32_seeds(s + 32, z + w.second, y + fetch64(s + 16));
        t = z, z = x, x = t;
        s += 64;
    } while (s != end);
    uint64_t mul = k1 + ((z & 0xff) << 1);
    s = last64;
    w.first += ((len - 1) & 63);
    v.first += w.first;
    w.first += v.first;
    x = rot64(x + y + v.first + fetch64(s + 8), 37) * mul;
    y = rot64(y + v.second + fetch64(s + 48), 42) * mul;
    x ^= w.second * 9;
    y += v.first * 9 + fetch64(s + 40);
    z = rot64(z + w.first, 33) * mul;
    v = weak_hash32_seeds(s, v.second * mul, x + w.first);
    w = weak_hash32_seeds(s + 32, z + w.second, y + fetch64(s + 16));
    t = z, z = x, x = t;
    return hash_len16(hash_len16(v.first, w.first, mul) + shift_mix(y) * k0 + z,
                      hash_len16(v.second, w.second, mul) + x, mul);
}

/* TensorFlow's FingerprintCat64 (tensorflow/core/platform/fingerprint.h). */
static inline uint64_t fingerprint_cat64(uint64_t fp1, uint64_t fp2)
{
    const uint64_t kmul = UINT64_C(0xc6a4a7935bd1e995);
    uint64_t r = fp1 ^ kmul;
    r ^= shift_mix(fp2 * kmul) * kmul;
    r *= kmul;
    r = shift_mix(r) * kmul;
    return shift_mix(r);
}

/* Fingerprint64 of v's decimal form (TensorFlow's as_string of an int key). */
static uint64_t fingerprint64_int(int64_t v)
{
    char buf[24];
    char *p = buf + sizeof buf;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return fingerprint64(p, (size_t)(buf + sizeof buf - p));
}

/* Hash of an integer vocabulary key for the lookup table (splitmix64 finaliser:
 * only needs to spread bits, it is not part of TensorFlow's semantics). */
static inline uint64_t int_key_hash(int64_t v)
{
    uint64_t z = (uint64_t)v + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static const tfci_tstring *in_strings(const tfc_tensor *t) { return (const tfci_tstring *)t->data; }

static tfc_code expect_string(const tfc_op *op, int i)
{
    tfc_dtype d = tfci_in_dtype(op, i);
    if (d != TFC_STRING)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d must be a string tensor, got %s", i,
                             tfc_dtype_name(d));
    return TFC_OK;
}

static bool is_int_dtype(tfc_dtype d) { return d == TFC_INT32 || d == TFC_INT64; }

static inline int64_t int_at(const tfc_tensor *t, int64_t i)
{
    return t->dtype == TFC_INT32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* ---- Bucketize ---- */

static tfc_code bucketize_shape(tfc_op *op)
{
    tfc_code c_;
    tfc_dtype d = tfci_in_dtype(op, 0);
    if (d != TFC_FLOAT && d != TFC_DOUBLE && !is_int_dtype(d))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input must be float, double, int32 or int64, got %s",
                             tfc_dtype_name(d));
    const tfci_attr *a = tfci_attr_find(op, "boundaries");
    if (!a || a->kind != TFCI_ATTR_FLOAT_LIST)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'boundaries' (a float list) is required");
    const float *b = a->u.list.v;
    int n = a->u.list.n;
    if (n <= 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "'boundaries' must not be empty");
    for (int i = 0; i < n; i++) {
        if (b[i] != b[i]) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "boundaries[%d] is NaN", i);
        if (i > 0 && !(b[i] > b[i - 1]))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "boundaries must be strictly increasing: boundaries[%d] = %g after %g", i,
                                 (double)b[i], (double)b[i - 1]);
    }
    if ((c_ = tfci_op_set_num_outputs(op, 1)) != TFC_OK) return c_;
    tfci_op_set_output(op, 0, TFC_INT32, tfci_in_shape(op, 0));
    return TFC_OK;
}

/* Number of boundaries <= x (std::upper_bound): NaN compares false, so it
 * lands in the last bucket as in TensorFlow. */
#define BUCKET_SEARCH(x)                                                                                           \
    do {                                                                                                           \
        int lo_ = 0, hi_ = n;                                                                                      \
        while (lo_ < hi_) {                                                                                        \
            int mid_ = (lo_ + hi_) >> 1;                                                                           \
            if ((x) < b[mid_]) hi_ = mid_;                                                                         \
            else lo_ = mid_ + 1;                                                                                   \
        }                                                                                                          \
        out[i] = lo_;                                                                                              \
    } while (0)

static tfc_code bucketize_kernel(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    const tfci_attr *a = tfci_attr_find(k->op, "boundaries");
    const float *b = a->u.list.v;
    const int n = a->u.list.n;
    tfc_tensor *o = tfci_kctx_output(k, 0, TFC_INT32, x->dims, x->rank);
    if (!o) return TFC_RESOURCE_EXHAUSTED;
    int32_t *out = o->data;
    const int64_t cnt = x->n;
    switch (x->dtype) {
    case TFC_FLOAT: {
        const float *v = x->data;
        for (int64_t i = 0; i < cnt; i++) BUCKET_SEARCH(v[i]);
        break;
    }
    case TFC_DOUBLE: {
        const double *v = x->data;
        for (int64_t i = 0; i < cnt; i++) BUCKET_SEARCH(v[i]);
        break;
    }
    case TFC_INT32: {
        /* C++ compares int with float as float: so does TensorFlow's kernel. */
        const int32_t *v = x->data;
        for (int64_t i = 0; i < cnt; i++) BUCKET_SEARCH((float)v[i]);
        break;
    }
    case TFC_INT64: {
        const int64_t *v = x->data;
        for (int64_t i = 0; i < cnt; i++) BUCKET_SEARCH((float)v[i]);
        break;
    }
    default:
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "unsupported input dtype %s", tfc_dtype_name(x->dtype));
    }
    return TFC_OK;
}

/* ---- StringToHashBucketFast ---- */

static tfc_code hash_bucket_shape(tfc_op *op)
{
    tfc_code c_;
    if ((c_ = expect_string(op, 0)) != TFC_OK) return c_;
    int64_t nb;
    if ((c_ = tfci_attr_req_int(op, "num_buckets", &nb)) != TFC_OK) return c_;
    if (nb <= 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "num_buckets must be > 0, got %lld", (long long)nb);
    op->ci[0] = nb;
    if ((c_ = tfci_op_set_num_outputs(op, 1)) != TFC_OK) return c_;
    tfci_op_set_output(op, 0, TFC_INT64, tfci_in_shape(op, 0));
    return TFC_OK;
}

static tfc_code hash_bucket_kernel(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    if (x->dtype != TFC_STRING) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "input must be a string tensor");
    tfc_tensor *o = tfci_kctx_output(k, 0, TFC_INT64, x->dims, x->rank);
    if (!o) return TFC_RESOURCE_EXHAUSTED;
    const uint64_t nb = (uint64_t)k->op->ci[0];
    const tfci_tstring *s = in_strings(x);
    int64_t *out = o->data;
    for (int64_t i = 0; i < x->n; i++) out[i] = (int64_t)(fingerprint64(s[i].ptr, s[i].len) % nb);
    return TFC_OK;
}

/* ---- LookupVocab ----
 * The table ("_table", int64[cap], cap a power of two >= 2 * vocab size) is
 * open addressing with linear probing from hash & (cap - 1). A slot is -1
 * (empty) or (hash's high 32 bits << 32 | vocabulary index): the tag skips
 * most key comparisons. String keys hash with Fingerprint64, which is also
 * their out-of-vocabulary bucket hash, so each key is hashed once. */

#define VOCAB_EMPTY (-1)

static inline uint64_t slot_tag(uint64_t h) { return h >> 32; }

/* Whether the len bytes at p equal the NUL-terminated s (p may contain NULs). */
static inline bool str_eq(const char *p, size_t len, const char *s)
{
    for (size_t j = 0; j < len; j++)
        if (s[j] != p[j] || s[j] == '\0') return false;
    return s[len] == '\0';
}

static int64_t table_find_str(const int64_t *tab, uint64_t mask, char *const *vocab, const char *p, size_t len,
                              uint64_t h)
{
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        int64_t s = tab[i];
        if (s == VOCAB_EMPTY) return -1;
        int64_t idx = (int64_t)((uint64_t)s & 0xffffffffu);
        if (((uint64_t)s >> 32) == slot_tag(h) && str_eq(p, len, vocab[idx])) return idx;
    }
}

static int64_t table_find_int(const int64_t *tab, uint64_t mask, const int64_t *vocab, int64_t key, uint64_t h)
{
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        int64_t s = tab[i];
        if (s == VOCAB_EMPTY) return -1;
        int64_t idx = (int64_t)((uint64_t)s & 0xffffffffu);
        if (((uint64_t)s >> 32) == slot_tag(h) && vocab[idx] == key) return idx;
    }
}

static uint64_t vocab_hash(const tfci_attr *voc, int i)
{
    if (voc->kind == TFCI_ATTR_STRING_LIST) {
        const char *s = ((char *const *)voc->u.list.v)[i];
        return fingerprint64(s, strlen(s));
    }
    return int_key_hash(((const int64_t *)voc->u.list.v)[i]);
}

static int64_t vocab_find(const tfci_attr *voc, const int64_t *tab, uint64_t mask, int i, uint64_t h)
{
    if (voc->kind == TFCI_ATTR_STRING_LIST) {
        const char *s = ((char *const *)voc->u.list.v)[i];
        return table_find_str(tab, mask, voc->u.list.v, s, strlen(s), h);
    }
    return table_find_int(tab, mask, voc->u.list.v, ((const int64_t *)voc->u.list.v)[i], h);
}

static tfc_code lookup_vocab_shape(tfc_op *op)
{
    tfc_code c_;
    const tfci_attr *voc = tfci_attr_find(op, "vocabulary");
    if (!voc || (voc->kind != TFCI_ATTR_STRING_LIST && voc->kind != TFCI_ATTR_INT_LIST))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "attribute 'vocabulary' (a string or int list) is required");
    const bool strs = voc->kind == TFCI_ATTR_STRING_LIST;
    const int n = voc->u.list.n;
    if (n <= 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the vocabulary is empty");
    tfc_dtype d = tfci_in_dtype(op, 0);
    if (strs && d != TFC_STRING)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "keys must be strings for a string vocabulary, got %s",
                             tfc_dtype_name(d));
    if (!strs && !is_int_dtype(d))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "keys must be int32 or int64 for an integer vocabulary, got %s", tfc_dtype_name(d));
    int64_t oov, dflt;
    if ((c_ = tfci_attr_opt_int(op, "num_oov_buckets", 0, &oov)) != TFC_OK) return c_;
    if ((c_ = tfci_attr_opt_int(op, "default_value", -1, &dflt)) != TFC_OK) return c_;
    if (oov < 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "num_oov_buckets must be >= 0, got %lld", (long long)oov);
    if (oov > 0 && dflt != -1)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "cannot have both default_value (%lld) and num_oov_buckets (%lld)", (long long)dflt,
                             (long long)oov);

    /* The table comes from the typed constructor (or a serialized graph):
     * check it fully so the kernel can trust it (never loops or reads out of
     * bounds) and so it detects duplicate vocabulary entries. */
    const tfci_attr *ta = tfci_attr_find(op, "_table");
    const tfc_tensor *t = ta && ta->kind == TFCI_ATTR_TENSOR ? ta->u.tensor : NULL;
    if (!t || t->dtype != TFC_INT64 || t->rank != 1 || t->n < 2 * (int64_t)n || (t->n & (t->n - 1)) != 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "attribute '_table' (int64 vector, power-of-two size >= twice the vocabulary) is "
                             "missing or malformed: build this op with tfc_lookup_vocab");
    const int64_t *tab = t->data;
    const uint64_t mask = (uint64_t)t->n - 1;
    int64_t used = 0;
    for (int64_t i = 0; i < t->n; i++) {
        if (tab[i] == VOCAB_EMPTY) continue;
        if ((int64_t)((uint64_t)tab[i] & 0xffffffffu) >= n)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute '_table' has an out-of-range slot %lld",
                                 (long long)i);
        used++;
    }
    if (used != n)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute '_table' holds %lld entries for %d words",
                             (long long)used, n);
    for (int i = 0; i < n; i++) {
        if (vocab_find(voc, tab, mask, i, vocab_hash(voc, i)) != i)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "vocabulary entry %d is a duplicate (or attribute '_table' does not match)", i);
    }
    op->ci[0] = oov;
    op->ci[1] = dflt;
    if ((c_ = tfci_op_set_num_outputs(op, 1)) != TFC_OK) return c_;
    tfci_op_set_output(op, 0, TFC_INT64, tfci_in_shape(op, 0));
    return TFC_OK;
}

static tfc_code lookup_vocab_kernel(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    const tfci_attr *voc = tfci_attr_find(k->op, "vocabulary");
    const tfc_tensor *t = tfci_attr_find(k->op, "_table")->u.tensor;
    const bool strs = voc->kind == TFCI_ATTR_STRING_LIST;
    if (strs ? x->dtype != TFC_STRING : !is_int_dtype(x->dtype))
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "keys have dtype %s", tfc_dtype_name(x->dtype));
    tfc_tensor *o = tfci_kctx_output(k, 0, TFC_INT64, x->dims, x->rank);
    if (!o) return TFC_RESOURCE_EXHAUSTED;
    const int64_t *tab = t->data;
    const uint64_t mask = (uint64_t)t->n - 1;
    const int64_t nv = voc->u.list.n;
    const uint64_t oov = (uint64_t)k->op->ci[0];
    const int64_t dflt = k->op->ci[1];
    int64_t *out = o->data;
    if (strs) {
        char *const *vocab = voc->u.list.v;
        const tfci_tstring *s = in_strings(x);
        for (int64_t i = 0; i < x->n; i++) {
            uint64_t h = fingerprint64(s[i].ptr, s[i].len);
            int64_t id = table_find_str(tab, mask, vocab, s[i].ptr, s[i].len, h);
            out[i] = id >= 0 ? id : oov ? nv + (int64_t)(h % oov) : dflt;
        }
    } else {
        const int64_t *vocab = voc->u.list.v;
        for (int64_t i = 0; i < x->n; i++) {
            int64_t key = int_at(x, i);
            int64_t id = table_find_int(tab, mask, vocab, key, int_key_hash(key));
            out[i] = id >= 0 ? id : oov ? nv + (int64_t)(fingerprint64_int(key) % oov) : dflt;
        }
    }
    return TFC_OK;
}

/* ---- HashedCross ---- */

static tfc_code hashed_cross_shape(tfc_op *op)
{
    tfc_code c_;
    int64_t batch = -1;
    for (int i = 0; i < op->ninputs; i++) {
        tfc_dtype d = tfci_in_dtype(op, i);
        if (d != TFC_STRING && !is_int_dtype(d))
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "column %d must be string, int32 or int64, got %s", i,
                                 tfc_dtype_name(d));
        const tfci_shape *s = tfci_in_shape(op, i);
        if (s->rank < 0) continue;
        if (s->rank != 1 && !(s->rank == 2 && s->dims[1] <= 1 && s->dims[1] != 0)) {
            char buf[64];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                                 "column %d must have shape [batch] or [batch,1] (one value per row; multi-valent "
                                 "crosses are not supported), got %s",
                                 i, tfci_shape_to_str(s, buf, sizeof buf));
        }
        if (s->dims[0] >= 0) {
            if (batch >= 0 && s->dims[0] != batch)
                return tfci_op_error(op, TFC_INVALID_ARGUMENT, "column %d has %lld rows, an earlier column has %lld", i,
                                     (long long)s->dims[0], (long long)batch);
            batch = s->dims[0];
        }
    }
    int64_t nb, key;
    if ((c_ = tfci_attr_opt_int(op, "num_buckets", 0, &nb)) != TFC_OK) return c_;
    if ((c_ = tfci_attr_opt_int(op, "hash_key", (int64_t)TFC_DEFAULT_HASH_KEY, &key)) != TFC_OK) return c_;
    if (nb < 0) return tfci_op_error(op, TFC_INVALID_ARGUMENT, "num_buckets must be >= 0, got %lld", (long long)nb);
    op->ci[0] = nb;
    op->ci[1] = key;
    if ((c_ = tfci_op_set_num_outputs(op, 1)) != TFC_OK) return c_;
    tfci_shape out = tfci_shape_make(&batch, 1);
    tfci_op_set_output(op, 0, TFC_INT64, &out);
    return TFC_OK;
}

static tfc_code hashed_cross_kernel(tfci_kctx *k)
{
    int64_t batch = -1;
    for (int c = 0; c < k->nin; c++) {
        const tfc_tensor *x = k->in[c];
        char buf[64];
        if (!(x->rank == 1 || (x->rank == 2 && x->dims[1] == 1)))
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "column %d has shape %s, expected [batch] or [batch,1]",
                                   c, tfci_shape_str(x->dims, x->rank, buf, sizeof buf));
        if (c == 0) batch = x->dims[0];
        if (x->dims[0] != batch)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "column %d has shape %s, expected [%lld] or [%lld,1]",
                                   c, tfci_shape_str(x->dims, x->rank, buf, sizeof buf), (long long)batch,
                                   (long long)batch);
    }
    tfc_tensor *o = tfci_kctx_output(k, 0, TFC_INT64, &batch, 1);
    if (!o) return TFC_RESOURCE_EXHAUSTED;
    /* Column-major accumulation: one pass per column over contiguous data. */
    uint64_t *h = o->data;
    const uint64_t key = (uint64_t)k->op->ci[1];
    for (int64_t r = 0; r < batch; r++) h[r] = key;
    for (int c = 0; c < k->nin; c++) {
        const tfc_tensor *x = k->in[c];
        if (x->dtype == TFC_STRING) {
            const tfci_tstring *s = in_strings(x);
            for (int64_t r = 0; r < batch; r++) h[r] = fingerprint_cat64(h[r], fingerprint64(s[r].ptr, s[r].len));
        } else if (x->dtype == TFC_INT64) {
            const int64_t *v = x->data;
            for (int64_t r = 0; r < batch; r++) h[r] = fingerprint_cat64(h[r], (uint64_t)v[r]);
        } else {
            const int32_t *v = x->data;
            for (int64_t r = 0; r < batch; r++) h[r] = fingerprint_cat64(h[r], (uint64_t)(int64_t)v[r]);
        }
    }
    const uint64_t nb = k->op->ci[0] > 0 ? (uint64_t)k->op->ci[0] : (uint64_t)INT64_MAX;
    for (int64_t r = 0; r < batch; r++) h[r] %= nb;
    return TFC_OK;
}

/* ---- IdentityBuckets ---- */

static tfc_code identity_buckets_shape(tfc_op *op)
{
    tfc_code c_;
    tfc_dtype d = tfci_in_dtype(op, 0);
    if (!is_int_dtype(d))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input must be int32 or int64, got %s", tfc_dtype_name(d));
    int64_t nb, dflt;
    if ((c_ = tfci_attr_req_int(op, "num_buckets", &nb)) != TFC_OK) return c_;
    if ((c_ = tfci_attr_opt_int(op, "default_value", -1, &dflt)) != TFC_OK) return c_;
    if (nb <= 0)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "num_buckets must be > 0, got %lld", (long long)nb);
    if (dflt != -1 && (dflt < 0 || dflt >= nb))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "default_value %lld must be -1 (none) or in [0, %lld)",
                             (long long)dflt, (long long)nb);
    op->ci[0] = nb;
    op->ci[1] = dflt;
    if ((c_ = tfci_op_set_num_outputs(op, 1)) != TFC_OK) return c_;
    tfci_op_set_output(op, 0, TFC_INT64, tfci_in_shape(op, 0));
    return TFC_OK;
}

static tfc_code identity_buckets_kernel(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    if (!is_int_dtype(x->dtype)) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "input must be int32 or int64");
    tfc_tensor *o = tfci_kctx_output(k, 0, TFC_INT64, x->dims, x->rank);
    if (!o) return TFC_RESOURCE_EXHAUSTED;
    const int64_t nb = k->op->ci[0], dflt = k->op->ci[1];
    int64_t *out = o->data;
    for (int64_t i = 0; i < x->n; i++) {
        int64_t v = int_at(x, i);
        if (v < 0 || v >= nb) {
            if (dflt < 0)
                return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "element %lld is %lld, expected a value in [0, %lld)",
                                       (long long)i, (long long)v, (long long)nb);
            v = dflt;
        }
        out[i] = v;
    }
    return TFC_OK;
}

/* ---- StringToNumber ---- */

static tfc_code string_to_number_shape(tfc_op *op)
{
    tfc_code c_;
    if ((c_ = expect_string(op, 0)) != TFC_OK) return c_;
    tfc_dtype t;
    const tfci_attr *a = tfci_attr_find(op, "out_type");
    if (a && a->kind != TFCI_ATTR_TYPE)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "attribute 'out_type' must be a type");
    t = a ? a->u.type : TFC_FLOAT;
    if (t != TFC_FLOAT && t != TFC_DOUBLE && !is_int_dtype(t))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "out_type must be float, double, int32 or int64, got %s",
                             tfc_dtype_name(t));
    op->ci[0] = t;
    if ((c_ = tfci_op_set_num_outputs(op, 1)) != TFC_OK) return c_;
    tfci_op_set_output(op, 0, t, tfci_in_shape(op, 0));
    return TFC_OK;
}

static inline bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Decimal integer with optional sign, within [lo, hi]. */
static bool parse_int(const char *p, size_t len, int64_t lo, int64_t hi, int64_t *out)
{
    size_t j = 0;
    bool neg = false;
    if (j < len && (p[j] == '+' || p[j] == '-')) neg = p[j++] == '-';
    if (j == len) return false;
    const uint64_t limit = neg ? (uint64_t)0 - (uint64_t)lo : (uint64_t)hi;
    uint64_t v = 0;
    for (; j < len; j++) {
        unsigned dgt = (unsigned)(unsigned char)p[j] - '0';
        if (dgt > 9 || v > (limit - dgt) / 10) return false;
        v = v * 10 + dgt;
    }
    *out = neg ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
    return true;
}

static tfc_code string_to_number_kernel(tfci_kctx *k)
{
    const tfc_tensor *x = k->in[0];
    if (x->dtype != TFC_STRING) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "input must be a string tensor");
    const tfc_dtype t = (tfc_dtype)k->op->ci[0];
    tfc_tensor *o = tfci_kctx_output(k, 0, t, x->dims, x->rank);
    if (!o) return TFC_RESOURCE_EXHAUSTED;
    const tfci_tstring *s = in_strings(x);
    char buf[256];
    for (int64_t i = 0; i < x->n; i++) {
        const char *p = s[i].ptr;
        size_t len = s[i].len;
        while (len && is_space(*p)) p++, len--;
        while (len && is_space(p[len - 1])) len--;
        bool ok = len > 0 && len < sizeof buf;
        if (ok && is_int_dtype(t)) {
            int64_t v = 0;
            if (t == TFC_INT32) {
                ok = parse_int(p, len, INT32_MIN, INT32_MAX, &v);
                ((int32_t *)o->data)[i] = (int32_t)v;
            } else {
                ok = parse_int(p, len, INT64_MIN, INT64_MAX, &v);
                ((int64_t *)o->data)[i] = v;
            }
        } else if (ok) {
            /* strtod needs a NUL-terminated copy; an embedded NUL stops it early
             * and so fails the end check. */
            memcpy(buf, p, len);
            buf[len] = '\0';
            char *end;
            if (t == TFC_FLOAT) ((float *)o->data)[i] = strtof(buf, &end);
            else ((double *)o->data)[i] = strtod(buf, &end);
            ok = end == buf + len;
        }
        if (!ok) {
            int shown = s[i].len > 40 ? 40 : (int)s[i].len;
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "element %lld (\"%.*s%s\") is not a valid %s",
                                   (long long)i, shown, s[i].ptr, s[i].len > 40 ? "..." : "", tfc_dtype_name(t));
        }
    }
    return TFC_OK;
}

const tfci_op_def tfci_feature_ops[] = {
    {"Bucketize", 1, 1, bucketize_shape, bucketize_kernel, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"StringToHashBucketFast", 1, 1, hash_bucket_shape, hash_bucket_kernel, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"LookupVocab", 1, 1, lookup_vocab_shape, lookup_vocab_kernel, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"HashedCross", 1, -1, hashed_cross_shape, hashed_cross_kernel, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"IdentityBuckets", 1, 1, identity_buckets_shape, identity_buckets_kernel, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
    {"StringToNumber", 1, 1, string_to_number_shape, string_to_number_kernel, NULL, TFCI_OP_NOT_DIFFERENTIABLE},
};
const int tfci_feature_ops_count = sizeof tfci_feature_ops / sizeof tfci_feature_ops[0];

/* ---- typed constructors ---- */

TFC_API tfc_output tfc_bucketize(tfc_graph *g, tfc_output x, const float *boundaries, int n, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "Bucketize", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_float_list(b, "boundaries", boundaries, n);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_string_to_hash_bucket_fast(tfc_graph *g, tfc_output x, int64_t num_buckets,
                                                  const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "StringToHashBucketFast", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_int(b, "num_buckets", num_buckets);
    return tfci_finish(g, b);
}

/* A constructor-time failure: abandons b and records the sticky error. */
static tfc_output ctor_fail(tfc_graph *g, tfc_op_builder *b, tfc_code code)
{
    if (b) tfc_op_builder_abandon(b);
    tfci_graph_fail(g, code);
    return TFCI_NO_OUTPUT;
}

/* Builds the "_table" attribute for n keys (strings when svocab, else ivocab)
 * and finishes b. Duplicates are reported with both positions. */
static tfc_output finish_vocab(tfc_graph *g, tfc_op_builder *b, const char *const *svocab, const int64_t *ivocab,
                               int n, int64_t num_oov_buckets, int64_t default_value)
{
    if (n <= 0 || (!svocab && !ivocab))
        return ctor_fail(g, b, tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: the vocabulary is empty"));
    if (n > INT32_MAX / 4)
        return ctor_fail(g, b, tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: vocabulary too large (%d)", n));
    int64_t cap = 8;
    while (cap < 2 * (int64_t)n) cap *= 2;
    tfc_tensor *t = NULL;
    tfc_code c = tfc_tensor_new(TFC_INT64, &cap, 1, NULL, 0, &t);
    if (c != TFC_OK) return ctor_fail(g, b, c);
    int64_t *tab = tfc_tensor_data(t);
    for (int64_t i = 0; i < cap; i++) tab[i] = VOCAB_EMPTY;
    const uint64_t mask = (uint64_t)cap - 1;
    for (int i = 0; i < n; i++) {
        if (svocab && !svocab[i]) {
            tfc_tensor_free(t);
            return ctor_fail(g, b, tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: vocabulary entry %d is NULL", i));
        }
        uint64_t h = svocab ? fingerprint64(svocab[i], strlen(svocab[i])) : int_key_hash(ivocab[i]);
        int64_t dup = svocab ? table_find_str(tab, mask, (char *const *)svocab, svocab[i], strlen(svocab[i]), h)
                             : table_find_int(tab, mask, ivocab, ivocab[i], h);
        if (dup >= 0) {
            tfc_tensor_free(t);
            if (svocab)
                c = tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: duplicate vocabulary entry \"%s\" (%lld and %d)",
                               svocab[i], (long long)dup, i);
            else
                c = tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: duplicate vocabulary entry %lld (%lld and %d)",
                               (long long)ivocab[i], (long long)dup, i);
            return ctor_fail(g, b, c);
        }
        uint64_t j = h & mask;
        while (tab[j] != VOCAB_EMPTY) j = (j + 1) & mask;
        tab[j] = (int64_t)((slot_tag(h) << 32) | (uint64_t)i);
    }
    if (svocab) tfc_op_builder_set_attr_string_list(b, "vocabulary", svocab, n);
    else tfc_op_builder_set_attr_int_list(b, "vocabulary", ivocab, n);
    tfc_op_builder_set_attr_int(b, "num_oov_buckets", num_oov_buckets);
    tfc_op_builder_set_attr_int(b, "default_value", default_value);
    tfc_op_builder_set_attr_tensor(b, "_table", t);
    tfc_tensor_free(t);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_lookup_vocab(tfc_graph *g, tfc_output x, const char *const *vocab, int n,
                                    int64_t num_oov_buckets, int64_t default_value, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "LookupVocab", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    return finish_vocab(g, b, vocab, NULL, n, num_oov_buckets, default_value);
}

TFC_API tfc_output tfc_lookup_vocab_ints(tfc_graph *g, tfc_output x, const int64_t *vocab, int n,
                                         int64_t num_oov_buckets, int64_t default_value, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "LookupVocab", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    return finish_vocab(g, b, NULL, vocab, n, num_oov_buckets, default_value);
}

TFC_API tfc_output tfc_lookup_vocab_file(tfc_graph *g, tfc_output x, const char *path, int64_t num_oov_buckets,
                                         int64_t default_value, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "LookupVocab", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f)
        return ctor_fail(g, b, tfci_error(TFC_NOT_FOUND, "LookupVocab: cannot open vocabulary file '%s': %s",
                                          path ? path : "(null)", strerror(errno)));
    char *data = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nd = realloc(data, ncap);
            if (!nd) {
                free(data);
                fclose(f);
                return ctor_fail(g, b, tfci_error(TFC_RESOURCE_EXHAUSTED, "LookupVocab: out of memory"));
            }
            data = nd, cap = ncap;
        }
        size_t got = fread(data + size, 1, cap - size - 1, f);
        size += got;
        if (got == 0) break;
    }
    bool read_err = ferror(f) != 0;
    fclose(f);
    if (read_err) {
        free(data);
        return ctor_fail(g, b, tfci_error(TFC_UNAVAILABLE, "LookupVocab: error reading '%s'", path));
    }
    if (memchr(data, '\0', size)) {
        free(data);
        return ctor_fail(g, b, tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: '%s' contains a NUL byte", path));
    }
    data[size] = '\0';
    /* Split into lines in place; a final newline does not start a new entry. */
    size_t nlines = 0;
    for (size_t i = 0; i < size; i++) nlines += data[i] == '\n';
    if (size && data[size - 1] != '\n') nlines++;
    if (nlines > (size_t)INT32_MAX / 4) {
        free(data);
        return ctor_fail(g, b, tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: '%s' has too many lines", path));
    }
    const char **lines = malloc((nlines ? nlines : 1) * sizeof *lines);
    if (!lines) {
        free(data);
        return ctor_fail(g, b, tfci_error(TFC_RESOURCE_EXHAUSTED, "LookupVocab: out of memory"));
    }
    size_t nl = 0;
    for (char *p = data; p < data + size;) {
        char *e = memchr(p, '\n', (size_t)(data + size - p));
        if (!e) e = data + size;
        *e = '\0';
        if (e > p && e[-1] == '\r') e[-1] = '\0';
        lines[nl++] = p;
        p = e + 1;
    }
    if (nl == 0) {
        free(lines);
        free(data);
        return ctor_fail(g, b, tfci_error(TFC_INVALID_ARGUMENT, "LookupVocab: vocabulary file '%s' is empty", path));
    }
    tfc_output out = finish_vocab(g, b, lines, NULL, (int)nl, num_oov_buckets, default_value);
    free(lines);
    free(data);
    return out;
}

TFC_API tfc_output tfc_hashed_cross(tfc_graph *g, const tfc_output *columns, int k, int64_t num_buckets,
                                    uint64_t hash_key, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "HashedCross", name);
    if (!b) return TFCI_NO_OUTPUT;
    if (k > 0 && columns) tfc_op_builder_add_inputs(b, columns, k);
    tfc_op_builder_set_attr_int(b, "num_buckets", num_buckets);
    tfc_op_builder_set_attr_int(b, "hash_key", (int64_t)hash_key);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_identity_buckets(tfc_graph *g, tfc_output x, int64_t num_buckets, int64_t default_value,
                                        const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "IdentityBuckets", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_int(b, "num_buckets", num_buckets);
    tfc_op_builder_set_attr_int(b, "default_value", default_value);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_string_to_number(tfc_graph *g, tfc_output x, tfc_dtype out_type, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, "StringToNumber", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, x);
    tfc_op_builder_set_attr_type(b, "out_type", out_type);
    return tfci_finish(g, b);
}
