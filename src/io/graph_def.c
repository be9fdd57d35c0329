/* Graphs as GraphDef protocol buffers (schema: proto/graph.proto; public
 * API: include/tfc/graph_def.h).
 *
 * Writing builds a protobuf-c message whose strings and arrays mostly point
 * into the graph (names, attribute lists, little-endian tensor data), so a
 * graph serializes with few copies, then packs it.
 *
 * Importing validates the whole GraphDef first (op types, input references,
 * attribute kinds, a topological order, name clashes), then adds the nodes
 * through the public generic builder so each op's shape function checks it.
 * To be all-or-nothing without an undo in the graph engine, a non-empty
 * graph gets the nodes twice: into a scratch graph first (the shape
 * functions have the last word), and only when that succeeded into the
 * graph itself, which then cannot fail but for lack of memory.
 *
 * The helpers named tfci_pb_* and tfci_graph_def_* are shared with
 * saved_model.c (declared there). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../graph/graph_internal.h"
#include "atomic_file.h"
#include "graph.pb-c.h"
#include "tfc/graph_def.h"

tfc_code tfci_graph_add_variable(tfc_graph *g, tfc_op *op);

/* Versions of the GraphDef dialect: what this writer produces and the
 * newest min_consumer this reader accepts. */
#define GD_PRODUCER 1
#define GD_CONSUMER 1

/* A TensorProto with fewer values than elements repeats its last value
 * (TensorFlow's rule); such an expansion is capped so a few bytes of input
 * cannot demand gigabytes. */
#define GD_MAX_FILL_BYTES ((size_t)64 << 20)

/* Protocol buffers are limited to 2 GiB. */
#define GD_MAX_MESSAGE_BYTES ((size_t)INT32_MAX)

/* Graph files larger than this are refused before reading. */
#define GD_MAX_FILE_BYTES ((size_t)1 << 30)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define GD_BIG_ENDIAN 1
#else
#define GD_BIG_ENDIAN 0
#endif

typedef Tfcpb__Graph__GraphDef GraphDef;
typedef Tfcpb__Graph__NodeDef NodeDef;
typedef Tfcpb__Graph__NodeDef__AttrEntry AttrEntry;
typedef Tfcpb__Graph__AttrValue AttrValue;
typedef Tfcpb__Graph__AttrValue__ListValue ListValue;
typedef Tfcpb__Graph__TensorProto TensorProto;
typedef Tfcpb__Graph__TensorShapeProto ShapeProto;
typedef Tfcpb__Graph__TensorShapeProto__Dim DimProto;

/* ======================================================================
 * Buffers
 * ====================================================================== */

struct tfc_buffer {
    size_t size;
    unsigned char *data;
};

TFC_API const void *tfc_buffer_data(const tfc_buffer *b) { return b ? b->data : NULL; }
TFC_API size_t tfc_buffer_size(const tfc_buffer *b) { return b ? b->size : 0; }
TFC_API void tfc_buffer_free(tfc_buffer *b)
{
    if (!b) return;
    free(b->data);
    free(b);
}

/* ======================================================================
 * A bump pool for messages being written (freed in one go)
 * ====================================================================== */

typedef struct pool_block {
    struct pool_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} pool_block;

typedef struct tfci_pb_pool {
    pool_block *head;
} tfci_pb_pool;

tfci_pb_pool *tfci_pb_pool_new(void) { return calloc(1, sizeof(tfci_pb_pool)); }

void tfci_pb_pool_free(tfci_pb_pool *p)
{
    if (!p) return;
    for (pool_block *b = p->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(p);
}

/* Zeroed, 16-byte aligned; NULL when out of memory. */
void *tfci_pb_pool_alloc(tfci_pb_pool *p, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) return NULL;
    pool_block *b = p->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > 16384 ? need : 16384;
        if (b && b->size < (SIZE_MAX >> 2) && size < b->size * 2) size = b->size * 2;
        if (size > SIZE_MAX - sizeof *b) return NULL;
        b = malloc(sizeof *b + size);
        if (!b) return NULL;
        b->next = p->head;
        b->size = size;
        b->used = 0;
        p->head = b;
    }
    void *r = b->data + b->used;
    b->used += need;
    memset(r, 0, n);
    return r;
}

char *tfci_pb_pool_strdup(tfci_pb_pool *p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = tfci_pb_pool_alloc(p, n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ======================================================================
 * Unpacking with a memory budget
 * ====================================================================== */

/* protobuf-c allocates up to a few dozen bytes per input byte (an empty
 * nested message is two bytes on the wire and a struct in memory); the
 * budget bounds that so hostile input cannot exhaust memory. */
typedef struct tfci_pb_msg {
    ProtobufCAllocator alloc;
    size_t left;
    bool exceeded;
    ProtobufCMessage *msg;
} tfci_pb_msg;

typedef struct {
    size_t size;
    size_t pad;
} budget_hdr;

static void *budget_alloc(void *ud, size_t n)
{
    tfci_pb_msg *m = ud;
    if (n > m->left || m->left - n < sizeof(budget_hdr)) {
        m->exceeded = true;
        return NULL;
    }
    budget_hdr *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    h->size = n;
    m->left -= n + sizeof *h;
    return h + 1;
}

static void budget_free(void *ud, void *p)
{
    if (!p) return;
    tfci_pb_msg *m = ud;
    budget_hdr *h = (budget_hdr *)p - 1;
    m->left += h->size + sizeof *h;
    free(h);
}

void tfci_pb_msg_free(tfci_pb_msg *m)
{
    if (!m) return;
    if (m->msg) protobuf_c_message_free_unpacked(m->msg, &m->alloc);
    free(m);
}

/* Unpacks data as desc's message. Failures are `code` (INVALID_ARGUMENT for
 * buffers, DATA_LOSS for files) with a message starting with `source`. */
tfc_code tfci_pb_unpack(const ProtobufCMessageDescriptor *desc, const void *data, size_t size, const char *source,
                        tfc_code code, tfci_pb_msg **out)
{
    *out = NULL;
    if (size > GD_MAX_MESSAGE_BYTES)
        return tfci_error(code, "%s: %zu bytes is more than a protocol buffer may hold (2 GiB)", source, size);
    if (size && !data) return tfci_error(TFC_INVALID_ARGUMENT, "%s: data is NULL", source);
    tfci_pb_msg *m = calloc(1, sizeof *m);
    if (!m) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", source);
    m->alloc.alloc = budget_alloc;
    m->alloc.free = budget_free;
    m->alloc.allocator_data = m;
    m->left = size * 16 + ((size_t)64 << 20);
    static const uint8_t empty[1];
    m->msg = protobuf_c_message_unpack(desc, &m->alloc, size, size ? data : empty);
    if (!m->msg) {
        bool big = m->exceeded;
        free(m);
        if (big)
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: decoding would need more memory than allowed for %zu bytes",
                              source, size);
        return tfci_error(code, "%s: not a valid %s protocol buffer (truncated or corrupt)", source, desc->name);
    }
    *out = m;
    return TFC_OK;
}

ProtobufCMessage *tfci_pb_msg_get(const tfci_pb_msg *m) { return m->msg; }

/* Reads a whole file of at most cap bytes (errors name path). */
tfc_code tfci_pb_read_file(const char *path, size_t cap, void **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return tfci_error(e == ENOENT || e == ENOTDIR ? TFC_NOT_FOUND
                          : e == EACCES               ? TFC_PERMISSION_DENIED
                                                      : TFC_UNAVAILABLE,
                          "'%s': cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tfci_error(TFC_INVALID_ARGUMENT, "'%s': not a regular file", path);
    }
    if ((uint64_t)st.st_size > cap) {
        close(fd);
        return tfci_error(TFC_INVALID_ARGUMENT, "'%s': %lld bytes is more than the %zu bytes allowed", path,
                          (long long)st.st_size, cap);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "'%s': out of memory for %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            free(buf);
            close(fd);
            return tfci_error(TFC_DATA_LOSS, "'%s': read failed after %zu of %zu bytes%s%s", path, got, n,
                              e ? ": " : " (file shrank)", e ? strerror(e) : "");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *size = n;
    return TFC_OK;
}

/* ======================================================================
 * Shapes, dtypes and tensors
 * ====================================================================== */

static bool dtype_supported(int d)
{
    switch (d) {
    case TFC_FLOAT:
    case TFC_DOUBLE:
    case TFC_INT32:
    case TFC_UINT8:
    case TFC_INT16:
    case TFC_INT8:
    case TFC_STRING:
    case TFC_INT64:
    case TFC_BOOL: return true;
    default: return false;
    }
}

/* A TensorShapeProto for s, from the pool; NULL when out of memory. */
ShapeProto *tfci_pb_shape(tfci_pb_pool *p, const tfci_shape *s)
{
    ShapeProto *sp = tfci_pb_pool_alloc(p, sizeof *sp);
    if (!sp) return NULL;
    tfcpb__graph__tensor_shape_proto__init(sp);
    if (s->rank < 0) {
        sp->unknown_rank = 1;
        return sp;
    }
    if (s->rank == 0) return sp;
    DimProto *dims = tfci_pb_pool_alloc(p, (size_t)s->rank * sizeof *dims);
    DimProto **ptrs = tfci_pb_pool_alloc(p, (size_t)s->rank * sizeof *ptrs);
    if (!dims || !ptrs) return NULL;
    for (int i = 0; i < s->rank; i++) {
        tfcpb__graph__tensor_shape_proto__dim__init(&dims[i]);
        dims[i].size = s->dims[i];
        ptrs[i] = &dims[i];
    }
    sp->n_dim = (size_t)s->rank;
    sp->dim = ptrs;
    return sp;
}

/* Reads a shape; a missing message is a scalar (as TensorFlow reads it).
 * On error returns false with *why set. */
bool tfci_pb_read_shape(const ShapeProto *sp, tfci_shape *out, const char **why)
{
    *out = tfci_shape_scalar();
    if (!sp) return true;
    if (sp->unknown_rank) {
        if (sp->n_dim) {
            *why = "unknown_rank is set but dimensions are given";
            return false;
        }
        *out = tfci_shape_unknown();
        return true;
    }
    if (sp->n_dim > TFC_MAX_RANK) {
        *why = "the shape has more than 8 dimensions";
        return false;
    }
    out->rank = (int)sp->n_dim;
    for (size_t i = 0; i < sp->n_dim; i++) {
        int64_t d = sp->dim[i]->size;
        if (d < -1) {
            *why = "a dimension is below -1";
            return false;
        }
        out->dims[i] = d;
    }
    return true;
}

static void copy_le(void *dst, const void *src, size_t bytes, size_t elem)
{
    if (!GD_BIG_ENDIAN || elem == 1) {
        if (bytes) memcpy(dst, src, bytes);
        return;
    }
    const unsigned char *s = src;
    unsigned char *d = dst;
    for (size_t i = 0; i < bytes; i += elem)
        for (size_t k = 0; k < elem; k++) d[i + k] = s[i + elem - 1 - k];
}

/* A TensorProto for t, from the pool (data shared with t where possible). */
static TensorProto *tensor_to_pb(tfci_pb_pool *p, const tfc_tensor *t)
{
    TensorProto *tp = tfci_pb_pool_alloc(p, sizeof *tp);
    if (!tp) return NULL;
    tfcpb__graph__tensor_proto__init(tp);
    tp->dtype = (Tfcpb__Graph__DataType)t->dtype;
    tfci_shape s = tfci_shape_make(t->dims, t->rank);
    if (!(tp->tensor_shape = tfci_pb_shape(p, &s))) return NULL;
    if (t->dtype == TFC_STRING) {
        if (t->n == 0) return tp;
        const tfci_tstring *el = t->data;
        tp->string_val = tfci_pb_pool_alloc(p, (size_t)t->n * sizeof *tp->string_val);
        if (!tp->string_val) return NULL;
        for (int64_t i = 0; i < t->n; i++) {
            tp->string_val[i].len = el[i].len;
            tp->string_val[i].data = (uint8_t *)el[i].ptr;
        }
        tp->n_string_val = (size_t)t->n;
        return tp;
    }
    tp->tensor_content.len = t->bytes;
    if (!GD_BIG_ENDIAN || tfc_dtype_size(t->dtype) == 1) {
        tp->tensor_content.data = t->bytes ? t->data : NULL;
    } else {
        if (!(tp->tensor_content.data = tfci_pb_pool_alloc(p, t->bytes))) return NULL;
        copy_le(tp->tensor_content.data, t->data, t->bytes, tfc_dtype_size(t->dtype));
    }
    return tp;
}

/* Converts a TensorProto; errors (TFC_INVALID_ARGUMENT) explain what is
 * wrong without context, which the caller prefixes. */
static tfc_code tensor_from_pb(const TensorProto *tp, tfc_tensor **out)
{
    *out = NULL;
    int dt = (int)tp->dtype;
    if (!dtype_supported(dt)) return tfci_error(TFC_INVALID_ARGUMENT, "tensor dtype %d is not supported", dt);
    tfci_shape s;
    const char *why = NULL;
    if (!tfci_pb_read_shape(tp->tensor_shape, &s, &why))
        return tfci_error(TFC_INVALID_ARGUMENT, "tensor shape: %s", why);
    if (!tfci_shape_fully_known(&s)) return tfci_error(TFC_INVALID_ARGUMENT, "a tensor's shape must be fully known");
    int64_t n;
    size_t bytes;
    tfc_code c = tfci_check_shape((tfc_dtype)dt, s.dims, s.rank, &n, &bytes);
    if (c) return c;
    /* Which value list the dtype may use; any other non-empty one is an error. */
    size_t counts[6] = {tp->n_float_val,  tp->n_double_val, tp->n_int_val,
                        tp->n_string_val, tp->n_int64_val,  tp->n_bool_val};
    static const char *const names[6] = {"float_val", "double_val", "int_val", "string_val", "int64_val", "bool_val"};
    int want;
    switch (dt) {
    case TFC_FLOAT: want = 0; break;
    case TFC_DOUBLE: want = 1; break;
    case TFC_STRING: want = 3; break;
    case TFC_INT64: want = 4; break;
    case TFC_BOOL: want = 5; break;
    default: want = 2; break;
    }
    for (int k = 0; k < 6; k++)
        if (k != want && counts[k])
            return tfci_error(TFC_INVALID_ARGUMENT, "a %s tensor has %s values", tfc_dtype_name((tfc_dtype)dt),
                              names[k]);
    size_t count = counts[want];
    if (count > (uint64_t)n)
        return tfci_error(TFC_INVALID_ARGUMENT, "%zu values in %s for a tensor of %lld elements", count, names[want],
                          (long long)n);

    if (dt == TFC_STRING) {
        if (tp->tensor_content.len)
            return tfci_error(TFC_INVALID_ARGUMENT, "string tensors must use string_val, not tensor_content");
        if (count < (uint64_t)n && (uint64_t)n * sizeof(tfci_tstring) > GD_MAX_FILL_BYTES)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "%lld string elements from %zu values: repeating values is limited to %zu bytes",
                              (long long)n, count, GD_MAX_FILL_BYTES);
        const char **strs = malloc((size_t)(n ? n : 1) * sizeof *strs);
        size_t *lens = malloc((size_t)(n ? n : 1) * sizeof *lens);
        if (!strs || !lens) {
            free(strs);
            free(lens);
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        }
        for (int64_t i = 0; i < n; i++) {
            if (count == 0) {
                strs[i] = "";
                lens[i] = 0;
            } else {
                const ProtobufCBinaryData *v = &tp->string_val[(size_t)i < count ? (size_t)i : count - 1];
                strs[i] = v->len ? (const char *)v->data : "";
                lens[i] = v->len;
            }
        }
        c = tfc_tensor_new_strings(s.dims, s.rank, strs, lens, out);
        free(strs);
        free(lens);
        return c;
    }

    size_t es = tfc_dtype_size((tfc_dtype)dt);
    if (tp->tensor_content.len) {
        if (count) return tfci_error(TFC_INVALID_ARGUMENT, "both tensor_content and %s are set", names[want]);
        if (tp->tensor_content.len != bytes)
            return tfci_error(TFC_INVALID_ARGUMENT, "tensor_content has %zu bytes; a %s tensor of shape %s needs %zu",
                              tp->tensor_content.len, tfc_dtype_name((tfc_dtype)dt),
                              tfci_shape_str(s.dims, s.rank, (char[160]){0}, 160), bytes);
    } else if (count < (uint64_t)n && bytes > GD_MAX_FILL_BYTES) {
        return tfci_error(
            TFC_INVALID_ARGUMENT,
            "%lld elements from %zu values: repeating values is limited to %zu bytes (use tensor_content)",
            (long long)n, count, GD_MAX_FILL_BYTES);
    }
    tfc_tensor *t;
    if ((c = tfci_tensor_alloc((tfc_dtype)dt, s.dims, s.rank, &t))) return c;
    unsigned char *d = t->data;
    if (tp->tensor_content.len) {
        copy_le(d, tp->tensor_content.data, bytes, es);
        if (dt == TFC_BOOL)
            for (size_t i = 0; i < bytes; i++) d[i] = d[i] != 0;
        *out = t;
        return TFC_OK;
    }
    if (count == 0) {
        if (bytes) memset(d, 0, bytes);
        *out = t;
        return TFC_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        size_t j = (size_t)i < count ? (size_t)i : count - 1;
        switch (dt) {
        case TFC_FLOAT: ((float *)d)[i] = tp->float_val[j]; break;
        case TFC_DOUBLE: ((double *)d)[i] = tp->double_val[j]; break;
        case TFC_INT64: ((int64_t *)d)[i] = tp->int64_val[j]; break;
        case TFC_BOOL: d[i] = tp->bool_val[j] != 0; break;
        case TFC_INT32: ((int32_t *)d)[i] = tp->int_val[j]; break;
        default: {
            int32_t v = tp->int_val[j];
            int32_t lo = dt == TFC_UINT8 ? 0 : dt == TFC_INT8 ? INT8_MIN : INT16_MIN;
            int32_t hi = dt == TFC_UINT8 ? UINT8_MAX : dt == TFC_INT8 ? INT8_MAX : INT16_MAX;
            if (v < lo || v > hi) {
                tfc_tensor_free(t);
                return tfci_error(TFC_INVALID_ARGUMENT, "int_val[%zu] = %d is out of range for %s", j, (int)v,
                                  tfc_dtype_name((tfc_dtype)dt));
            }
            if (dt == TFC_UINT8)
                ((uint8_t *)d)[i] = (uint8_t)v;
            else if (dt == TFC_INT8)
                ((int8_t *)d)[i] = (int8_t)v;
            else
                ((int16_t *)d)[i] = (int16_t)v;
        }
        }
    }
    *out = t;
    return TFC_OK;
}

/* ======================================================================
 * Writing
 * ====================================================================== */

static AttrValue *new_attr_value(tfci_pb_pool *p, Tfcpb__Graph__AttrValue__ValueCase vc)
{
    AttrValue *v = tfci_pb_pool_alloc(p, sizeof *v);
    if (!v) return NULL;
    tfcpb__graph__attr_value__init(v);
    v->value_case = vc;
    return v;
}

static AttrValue *attr_to_pb(tfci_pb_pool *p, const tfci_attr *a)
{
    AttrValue *v;
    ListValue *l;
    switch (a->kind) {
    case TFCI_ATTR_INT:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_I))) v->i = a->u.i;
        return v;
    case TFCI_ATTR_FLOAT:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_F))) v->f = a->u.f;
        return v;
    case TFCI_ATTR_BOOL:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_B))) v->b = a->u.b;
        return v;
    case TFCI_ATTR_TYPE:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_TYPE))) v->type = (Tfcpb__Graph__DataType)a->u.type;
        return v;
    case TFCI_ATTR_STRING:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_S))) {
            v->s.len = strlen(a->u.s);
            v->s.data = (uint8_t *)a->u.s;
        }
        return v;
    case TFCI_ATTR_SHAPE:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_SHAPE)) &&
            !(v->shape = tfci_pb_shape(p, &a->u.shape)))
            return NULL;
        return v;
    case TFCI_ATTR_TENSOR:
        if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_TENSOR)) &&
            !(v->tensor = tensor_to_pb(p, a->u.tensor)))
            return NULL;
        return v;
    default: break;
    }
    /* lists */
    if (!(v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_LIST))) return NULL;
    if (!(l = tfci_pb_pool_alloc(p, sizeof *l))) return NULL;
    tfcpb__graph__attr_value__list_value__init(l);
    v->list = l;
    size_t n = (size_t)a->u.list.n;
    if (n == 0) return v;
    switch (a->kind) {
    case TFCI_ATTR_INT_LIST:
        l->n_i = n;
        l->i = a->u.list.v;
        break;
    case TFCI_ATTR_FLOAT_LIST:
        l->n_f = n;
        l->f = a->u.list.v;
        break;
    case TFCI_ATTR_TYPE_LIST:
        if (!(l->type = tfci_pb_pool_alloc(p, n * sizeof *l->type))) return NULL;
        for (size_t i = 0; i < n; i++) l->type[i] = (Tfcpb__Graph__DataType)((const tfc_dtype *)a->u.list.v)[i];
        l->n_type = n;
        break;
    case TFCI_ATTR_STRING_LIST:
        if (!(l->s = tfci_pb_pool_alloc(p, n * sizeof *l->s))) return NULL;
        for (size_t i = 0; i < n; i++) {
            char *s = ((char **)a->u.list.v)[i];
            l->s[i].len = strlen(s);
            l->s[i].data = (uint8_t *)s;
        }
        l->n_s = n;
        break;
    default: return NULL;
    }
    return v;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp((*(AttrEntry *const *)a)->key, (*(AttrEntry *const *)b)->key);
}

/* The "_tfc_*" attributes recording the op's tfc-only state. */
enum { X_TRAINABLE, X_UNREGISTERED, X_INITIALIZER, X_GLOBAL_STEP, X_SEED_KEY, X_COUNT };
static const char *const xnames[X_COUNT] = {"_tfc_trainable", "_tfc_unregistered", "_tfc_initializer",
                                            "_tfc_global_step", "_tfc_seed_key"};

static int xattr_index(const char *name)
{
    if (strncmp(name, "_tfc_", 5) != 0) return -1;
    for (int i = 0; i < X_COUNT; i++)
        if (strcmp(name, xnames[i]) == 0) return i;
    return -1;
}

static NodeDef *node_to_pb(tfci_pb_pool *p, const tfc_graph *g, const tfc_op *op)
{
    NodeDef *nd = tfci_pb_pool_alloc(p, sizeof *nd);
    if (!nd) return NULL;
    tfcpb__graph__node_def__init(nd);
    nd->name = op->name;
    nd->op = (char *)op->def->name;
    size_t nin = (size_t)op->ninputs + (size_t)op->ncontrol;
    if (nin) {
        if (!(nd->input = tfci_pb_pool_alloc(p, nin * sizeof *nd->input))) return NULL;
        for (int i = 0; i < op->ninputs; i++) {
            const tfc_output *in = &op->inputs[i];
            if (in->index == 0) {
                nd->input[i] = in->op->name;
            } else {
                size_t len = strlen(in->op->name) + 16;
                if (!(nd->input[i] = tfci_pb_pool_alloc(p, len))) return NULL;
                snprintf(nd->input[i], len, "%s:%d", in->op->name, in->index);
            }
        }
        for (int i = 0; i < op->ncontrol; i++) {
            size_t len = strlen(op->control[i]->name) + 2;
            char *s = tfci_pb_pool_alloc(p, len);
            if (!s) return NULL;
            s[0] = '^';
            memcpy(s + 1, op->control[i]->name, len - 1);
            nd->input[op->ninputs + i] = s;
        }
        nd->n_input = nin;
    }

    bool is_var = strcmp(op->def->name, "VariableV2") == 0;
    bool has[X_COUNT] = {false};
    if (is_var && op->var_index >= 0) {
        has[X_TRAINABLE] = true;
        has[X_INITIALIZER] = op->initializer != NULL;
        has[X_GLOBAL_STEP] = g->global_step == op;
    }
    has[X_UNREGISTERED] = is_var && op->var_index < 0;
    has[X_SEED_KEY] = (op->def->flags & TFCI_OP_STATEFUL) && !is_var;
    size_t nx = 0;
    for (int i = 0; i < X_COUNT; i++) nx += has[i];

    size_t cap = (size_t)op->nattrs + nx;
    if (!cap) return nd;
    AttrEntry *entries = tfci_pb_pool_alloc(p, cap * sizeof *entries);
    if (!entries || !(nd->attr = tfci_pb_pool_alloc(p, cap * sizeof *nd->attr))) return NULL;
    size_t n = 0;
    for (int i = 0; i < op->nattrs; i++) {
        const tfci_attr *a = &op->attrs[i];
        int x = xattr_index(a->name);
        if (x >= 0 && has[x]) continue; /* the op's real state wins */
        AttrEntry *e = &entries[n];
        tfcpb__graph__node_def__attr_entry__init(e);
        e->key = a->name;
        if (!(e->value = attr_to_pb(p, a))) return NULL;
        nd->attr[n++] = e;
    }
    for (int x = 0; x < X_COUNT; x++) {
        if (!has[x]) continue;
        AttrEntry *e = &entries[n];
        tfcpb__graph__node_def__attr_entry__init(e);
        e->key = (char *)xnames[x];
        AttrValue *v;
        switch (x) {
        case X_INITIALIZER:
            if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_S))) {
                v->s.len = strlen(op->initializer->name);
                v->s.data = (uint8_t *)op->initializer->name;
            }
            break;
        case X_SEED_KEY:
            if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_I))) v->i = (int64_t)op->seed_key;
            break;
        default:
            if ((v = new_attr_value(p, TFCPB__GRAPH__ATTR_VALUE__VALUE_B)))
                v->b = x == X_TRAINABLE ? op->trainable : true;
            break;
        }
        if (!(e->value = v)) return NULL;
        nd->attr[n++] = e;
    }
    nd->n_attr = n;
    qsort(nd->attr, n, sizeof *nd->attr, cmp_entry);
    return nd;
}

/* The GraphDef message of g, allocated from pool (it also points into g,
 * so g must not change while the message is used). */
tfc_code tfci_graph_def_build(const tfc_graph *g, tfci_pb_pool *pool, GraphDef **out)
{
    *out = NULL;
    GraphDef *gd = tfci_pb_pool_alloc(pool, sizeof *gd);
    Tfcpb__Graph__VersionDef *ver = tfci_pb_pool_alloc(pool, sizeof *ver);
    if (!gd || !ver) return tfci_error(TFC_RESOURCE_EXHAUSTED, "graph_def: out of memory");
    tfcpb__graph__graph_def__init(gd);
    tfcpb__graph__version_def__init(ver);
    ver->producer = GD_PRODUCER;
    gd->versions = ver;
    gd->tfc_seed = g->seed;
    gd->tfc_gradient_calls = g->gradient_calls;
    if (g->nops) {
        if (!(gd->node = tfci_pb_pool_alloc(pool, g->nops * sizeof *gd->node)))
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "graph_def: out of memory");
        for (size_t i = 0; i < g->nops; i++)
            if (!(gd->node[i] = node_to_pb(pool, g, g->ops[i])))
                return tfci_error(TFC_RESOURCE_EXHAUSTED, "graph_def: out of memory at op '%s'", g->ops[i]->name);
        gd->n_node = g->nops;
    }
    *out = gd;
    return TFC_OK;
}

/* Packs a message into a new tfc_buffer. */
tfc_code tfci_pb_pack(const ProtobufCMessage *m, const char *what, tfc_buffer **out)
{
    *out = NULL;
    size_t n = protobuf_c_message_get_packed_size(m);
    if (n > GD_MAX_MESSAGE_BYTES)
        return tfci_error(TFC_OUT_OF_RANGE, "%s: %zu bytes is more than a protocol buffer may hold (2 GiB)", what, n);
    tfc_buffer *b = malloc(sizeof *b);
    unsigned char *d = malloc(n ? n : 1);
    if (!b || !d) {
        free(b);
        free(d);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory for %zu bytes", what, n);
    }
    size_t w = protobuf_c_message_pack(m, d);
    if (w != n) {
        free(b);
        free(d);
        return tfci_error(TFC_INTERNAL, "%s: packed %zu bytes, expected %zu", what, w, n);
    }
    b->data = d;
    b->size = n;
    *out = b;
    return TFC_OK;
}

TFC_API tfc_code tfc_graph_to_graph_def(const tfc_graph *g, tfc_buffer **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_to_graph_def: out is NULL");
    *out = NULL;
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_to_graph_def: graph is NULL");
    if (g->status)
        return tfci_error(TFC_FAILED_PRECONDITION, "tfc_graph_to_graph_def: the graph has an earlier error: %s",
                          g->status_msg ? g->status_msg : tfc_code_name(g->status));
    tfci_pb_pool *pool = tfci_pb_pool_new();
    if (!pool) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_graph_to_graph_def: out of memory");
    GraphDef *gd;
    tfc_code c = tfci_graph_def_build(g, pool, &gd);
    if (!c) c = tfci_pb_pack(&gd->base, "graph_def", out);
    tfci_pb_pool_free(pool);
    return c;
}

TFC_API tfc_code tfc_graph_write_graph_def_file(const tfc_graph *g, const char *path)
{
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_write_graph_def_file: path is NULL");
    tfc_buffer *b;
    tfc_code c = tfc_graph_to_graph_def(g, &b);
    if (c) return c;
    c = tfci_atomic_write(path, b->data, b->size);
    tfc_buffer_free(b);
    return c;
}

/* ======================================================================
 * Importing
 * ====================================================================== */

typedef struct gd_node {
    const NodeDef *nd;
    const tfci_op_def *def;
    char *full;     /* name in the target graph */
    int first_edge; /* data inputs, then control inputs, in edges[] */
    int ndata, nctl;
    /* "_tfc_*" state */
    bool has_trainable, trainable, unregistered, global_step, has_seed_key;
    int64_t seed_key;
    int initializer; /* node index or -1 */
    /* build state */
    tfc_op *op;
} gd_node;

typedef struct gd_edge {
    int node;
    int index; /* output index; -1 for a control input */
} gd_edge;

typedef struct gd_import {
    const GraphDef *gd;
    const char *source;
    size_t n;
    gd_node *nodes;
    gd_edge *edges;
    int *order;
    int *table; /* name -> node index + 1, open addressing */
    size_t table_cap;
} gd_import;

/* Slot of name in the table: the node's index, or -1 (and *slot free). */
static int table_find(const gd_import *im, const char *name, size_t len, size_t *slot)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    size_t mask = im->table_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        int v = im->table[i];
        if (!v) {
            if (slot) *slot = i;
            return -1;
        }
        const char *nm = im->nodes[v - 1].nd->name;
        if (strncmp(nm, name, len) == 0 && nm[len] == 0) return v - 1;
    }
}

static void import_free(gd_import *im)
{
    if (im->nodes)
        for (size_t i = 0; i < im->n; i++) free(im->nodes[i].full);
    free(im->nodes);
    free(im->edges);
    free(im->order);
    free(im->table);
}

#define NAME_FMT "%.256s"

static tfc_code node_error(const gd_import *im, const gd_node *nd, tfc_code code, const char *fmt, ...)
    TFCI_PRINTF(4, 5);
static tfc_code node_error(const gd_import *im, const gd_node *nd, tfc_code code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tfci_error(code, "%s: node '" NAME_FMT "' (" NAME_FMT "): %s", im->source, nd->nd->name, nd->nd->op, msg);
}

/* Parses "name", "name:N" or "^name" into an edge. */
static tfc_code parse_input(gd_import *im, gd_node *nd, const char *s, bool *control, gd_edge *e)
{
    *control = s[0] == '^';
    const char *name = s + *control;
    size_t len = strlen(name);
    e->index = *control ? -1 : 0;
    const char *colon = strrchr(name, ':');
    if (colon && !*control) {
        const char *d = colon + 1;
        if (!*d) return node_error(im, nd, TFC_INVALID_ARGUMENT, "input '" NAME_FMT "' has an empty output index", s);
        long long v = 0;
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return node_error(im, nd, TFC_INVALID_ARGUMENT, "input '" NAME_FMT "': output index is not a number",
                                  s);
            v = v * 10 + (*d - '0');
            if (v > INT_MAX)
                return node_error(im, nd, TFC_INVALID_ARGUMENT, "input '" NAME_FMT "': output index is too large", s);
        }
        e->index = (int)v;
        len = (size_t)(colon - name);
    }
    if (len == 0) return node_error(im, nd, TFC_INVALID_ARGUMENT, "input '" NAME_FMT "' names no node", s);
    e->node = table_find(im, name, len, NULL);
    if (e->node < 0)
        return node_error(im, nd, TFC_INVALID_ARGUMENT, "input '" NAME_FMT "' refers to no node of the graph_def", s);
    return TFC_OK;
}

static const char *case_name(Tfcpb__Graph__AttrValue__ValueCase vc)
{
    switch (vc) {
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_S: return "a string";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_I: return "an int";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_F: return "a float";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_B: return "a bool";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_TYPE: return "a type";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_SHAPE: return "a shape";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_TENSOR: return "a tensor";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_LIST: return "a list";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_FUNC: return "a function";
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_PLACEHOLDER: return "a placeholder";
    default: return "no value";
    }
}

/* Reads the "_tfc_*" attributes of node i (type-checked). */
static tfc_code read_xattrs(gd_import *im, gd_node *nd)
{
    nd->initializer = -1;
    bool is_var = strcmp(nd->nd->op, "VariableV2") == 0;
    for (size_t k = 0; k < nd->nd->n_attr; k++) {
        const AttrEntry *e = nd->nd->attr[k];
        int x = xattr_index(e->key);
        if (x < 0) continue;
        const AttrValue *v = e->value;
        Tfcpb__Graph__AttrValue__ValueCase want = x == X_INITIALIZER ? TFCPB__GRAPH__ATTR_VALUE__VALUE_S
                                                  : x == X_SEED_KEY  ? TFCPB__GRAPH__ATTR_VALUE__VALUE_I
                                                                     : TFCPB__GRAPH__ATTR_VALUE__VALUE_B;
        Tfcpb__Graph__AttrValue__ValueCase got = v ? v->value_case : TFCPB__GRAPH__ATTR_VALUE__VALUE__NOT_SET;
        if (got != want)
            return node_error(im, nd, TFC_INVALID_ARGUMENT, "attribute '%s' must be %s, got %s", e->key,
                              case_name(want), case_name(got));
        if (x != X_SEED_KEY && !is_var)
            return node_error(im, nd, TFC_INVALID_ARGUMENT, "attribute '%s' belongs on a VariableV2", e->key);
        switch (x) {
        case X_TRAINABLE:
            nd->has_trainable = true;
            nd->trainable = v->b;
            break;
        case X_UNREGISTERED: nd->unregistered = v->b; break;
        case X_GLOBAL_STEP: nd->global_step = v->b; break;
        case X_SEED_KEY:
            nd->has_seed_key = true;
            nd->seed_key = v->i;
            break;
        case X_INITIALIZER: {
            if (v->s.len == 0 || memchr(v->s.data, 0, v->s.len))
                return node_error(im, nd, TFC_INVALID_ARGUMENT, "attribute '_tfc_initializer' is not a node name");
            int j = table_find(im, (const char *)v->s.data, v->s.len, NULL);
            if (j < 0)
                return node_error(im, nd, TFC_INVALID_ARGUMENT,
                                  "attribute '_tfc_initializer' names '%.*s', which is no node of the graph_def",
                                  (int)(v->s.len > 256 ? 256 : v->s.len), (const char *)v->s.data);
            nd->initializer = j;
            break;
        }
        }
    }
    if (nd->unregistered && (nd->has_trainable || nd->global_step || nd->initializer >= 0))
        return node_error(im, nd, TFC_INVALID_ARGUMENT,
                          "an unregistered variable cannot have '_tfc_trainable', "
                          "'_tfc_global_step' or '_tfc_initializer'");
    return TFC_OK;
}

static int cmp_str_ptr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Attribute names must be non-empty and unique (a map on the wire may
 * repeat a key). */
static tfc_code check_attr_names(gd_import *im, gd_node *nd)
{
    size_t n = nd->nd->n_attr;
    if (n == 1 && !nd->nd->attr[0]->key[0])
        return node_error(im, nd, TFC_INVALID_ARGUMENT, "an attribute has an empty name");
    if (n < 2) return TFC_OK;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", im->source);
    for (size_t i = 0; i < n; i++) keys[i] = nd->nd->attr[i]->key;
    qsort(keys, n, sizeof *keys, cmp_str_ptr);
    tfc_code c = TFC_OK;
    if (!keys[0][0]) c = node_error(im, nd, TFC_INVALID_ARGUMENT, "an attribute has an empty name");
    for (size_t i = 1; i < n && !c; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            c = node_error(im, nd, TFC_INVALID_ARGUMENT, "attribute '" NAME_FMT "' appears twice", keys[i]);
    free(keys);
    return c;
}

static bool valid_prefix(const char *p)
{
    if (!p[0] || p[0] == '/' || p[strlen(p) - 1] == '/') return false;
    for (const char *s = p; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.' || ch == '/'))
            return false;
        if (ch == '/' && s[1] == '/') return false;
    }
    return true;
}

/* Everything that can be checked without the op definitions' shape
 * functions: structure, names, references, order. */
static tfc_code import_prepare(gd_import *im, const tfc_graph *g, const char *prefix)
{
    const GraphDef *gd = im->gd;
    if (gd->versions) {
        const Tfcpb__Graph__VersionDef *v = gd->versions;
        if (v->min_consumer > GD_CONSUMER)
            return tfci_error(TFC_UNIMPLEMENTED,
                              "%s: needs a GraphDef reader of version %d or newer; this tfc (%s) reads version %d",
                              im->source, (int)v->min_consumer, TFC_VERSION_STRING, GD_CONSUMER);
        for (size_t i = 0; i < v->n_bad_consumers; i++)
            if (v->bad_consumers[i] == GD_CONSUMER)
                return tfci_error(TFC_UNIMPLEMENTED, "%s: marked unreadable by GraphDef reader version %d", im->source,
                                  GD_CONSUMER);
    }
    if (gd->library.len)
        return tfci_error(TFC_UNIMPLEMENTED, "%s: has a function library; tfc graphs have no functions", im->source);
    if (prefix && !valid_prefix(prefix))
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "%s: invalid prefix '" NAME_FMT
                          "' (use letters, digits, '_', '-', '.', and '/' between parts)",
                          im->source, prefix);
    size_t n = im->n = gd->n_node;
    if (n > (size_t)INT_MAX / 4) return tfci_error(TFC_INVALID_ARGUMENT, "%s: too many nodes (%zu)", im->source, n);
    size_t nedges = 0;
    for (size_t i = 0; i < n; i++) nedges += gd->node[i]->n_input;
    if (nedges > (size_t)INT_MAX) return tfci_error(TFC_INVALID_ARGUMENT, "%s: too many inputs", im->source);
    im->table_cap = 16;
    while (im->table_cap < 2 * n) im->table_cap *= 2;
    im->nodes = calloc(n ? n : 1, sizeof *im->nodes);
    im->edges = malloc((nedges ? nedges : 1) * sizeof *im->edges);
    im->order = malloc((n ? n : 1) * sizeof *im->order);
    im->table = calloc(im->table_cap, sizeof *im->table);
    if (!im->nodes || !im->edges || !im->order || !im->table)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", im->source);

    /* names */
    size_t plen = prefix ? strlen(prefix) : 0;
    for (size_t i = 0; i < n; i++) {
        gd_node *nd = &im->nodes[i];
        nd->nd = gd->node[i];
        nd->initializer = -1;
        const char *name = nd->nd->name;
        if (!name[0]) return tfci_error(TFC_INVALID_ARGUMENT, "%s: node %zu has no name", im->source, i);
        size_t slot = 0;
        if (table_find(im, name, strlen(name), &slot) >= 0)
            return node_error(im, nd, TFC_INVALID_ARGUMENT, "a node of this name appears twice");
        im->table[slot] = (int)i + 1;
        size_t len = strlen(name);
        if (!(nd->full = malloc(plen + len + 2)))
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", im->source);
        if (plen) {
            memcpy(nd->full, prefix, plen);
            nd->full[plen] = '/';
            memcpy(nd->full + plen + 1, name, len + 1);
        } else {
            memcpy(nd->full, name, len + 1);
        }
        if (tfc_graph_op_by_name(g, nd->full))
            return tfci_error(TFC_ALREADY_EXISTS,
                              "%s: node '" NAME_FMT "': the graph already has an op named '" NAME_FMT
                              "' (import with a prefix)",
                              im->source, name, nd->full);
    }
    /* op types, inputs and tfc attributes */
    size_t e = 0;
    int nglobal = 0;
    for (size_t i = 0; i < n; i++) {
        gd_node *nd = &im->nodes[i];
        if (!(nd->def = tfci_op_def_lookup(nd->nd->op)))
            return node_error(im, nd, TFC_NOT_FOUND, "unknown op type '" NAME_FMT "'", nd->nd->op);
        nd->first_edge = (int)e;
        /* data inputs keep their order; control inputs go after them */
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < nd->nd->n_input; k++) {
                const char *s = nd->nd->input[k];
                if ((s[0] == '^') != (pass == 1)) continue;
                bool control;
                tfc_code c = parse_input(im, nd, s, &control, &im->edges[e]);
                if (c) return c;
                e++;
                if (control)
                    nd->nctl++;
                else
                    nd->ndata++;
            }
        tfc_code c = check_attr_names(im, nd);
        if (!c) c = read_xattrs(im, nd);
        if (c) return c;
        nglobal += nd->global_step;
        if (nd->initializer == (int)i)
            return node_error(im, nd, TFC_INVALID_ARGUMENT, "a variable cannot be its own initializer");
    }
    if (nglobal > 1)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: %d variables are marked as the global step", im->source, nglobal);

    /* Topological order: iterative depth-first search from each node in file
     * order, so a file already in order keeps it. state 0 new, 1 open, 2 done. */
    unsigned char *state = calloc(n ? n : 1, 1);
    int *stack = malloc((n ? n : 1) * sizeof *stack), *pos = malloc((n ? n : 1) * sizeof *pos);
    if (!state || !stack || !pos) {
        free(state);
        free(stack);
        free(pos);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", im->source);
    }
    size_t norder = 0;
    tfc_code c = TFC_OK;
    for (size_t root = 0; root < n && !c; root++) {
        if (state[root]) continue;
        int sp = 0;
        stack[0] = (int)root;
        pos[0] = 0;
        state[root] = 1;
        while (sp >= 0) {
            int v = stack[sp];
            gd_node *nd = &im->nodes[v];
            if (pos[sp] < nd->ndata + nd->nctl) {
                const gd_edge *ed = &im->edges[nd->first_edge + pos[sp]++];
                int u = ed->node;
                if (state[u] == 1) {
                    c = node_error(im, nd, TFC_INVALID_ARGUMENT, "cycle: input '" NAME_FMT "' depends on this node",
                                   im->nodes[u].nd->name);
                    break;
                }
                if (state[u] == 0) {
                    state[u] = 1;
                    stack[++sp] = u;
                    pos[sp] = 0;
                }
            } else {
                state[v] = 2;
                im->order[norder++] = v;
                sp--;
            }
        }
    }
    free(state);
    free(stack);
    free(pos);
    return c;
}

static tfc_code attr_error(const gd_import *im, const gd_node *nd, const char *key, tfc_code code, const char *fmt, ...)
    TFCI_PRINTF(5, 6);
static tfc_code attr_error(const gd_import *im, const gd_node *nd, const char *key, tfc_code code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return node_error(im, nd, code, "attribute '" NAME_FMT "': %s", key, msg);
}

/* Copies one attribute into the builder. */
static tfc_code set_attr(const gd_import *im, const gd_node *nd, tfc_op_builder *b, const AttrEntry *e)
{
    const char *key = e->key;
    const AttrValue *v = e->value;
    if (!key[0]) return node_error(im, nd, TFC_INVALID_ARGUMENT, "an attribute has an empty name");
    if (!v) return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "no value");
    switch (v->value_case) {
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_S:
        if (v->s.len && memchr(v->s.data, 0, v->s.len))
            return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "a string holds a NUL byte");
        {
            char *s = malloc(v->s.len + 1);
            if (!s) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            if (v->s.len) memcpy(s, v->s.data, v->s.len);
            s[v->s.len] = 0;
            tfc_op_builder_set_attr_string(b, key, s);
            free(s);
        }
        return TFC_OK;
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_I: tfc_op_builder_set_attr_int(b, key, v->i); return TFC_OK;
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_F: tfc_op_builder_set_attr_float(b, key, v->f); return TFC_OK;
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_B: tfc_op_builder_set_attr_bool(b, key, v->b != 0); return TFC_OK;
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_TYPE:
        if (!dtype_supported((int)v->type))
            return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "dtype %d is not supported", (int)v->type);
        tfc_op_builder_set_attr_type(b, key, (tfc_dtype)v->type);
        return TFC_OK;
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_SHAPE: {
        tfci_shape s;
        const char *why = NULL;
        if (!tfci_pb_read_shape(v->shape, &s, &why)) return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "%s", why);
        tfc_op_builder_set_attr_shape(b, key, s.dims, s.rank);
        return TFC_OK;
    }
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_TENSOR: {
        tfc_tensor *t;
        tfc_code c = tensor_from_pb(v->tensor, &t);
        if (c) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", tfc_last_error());
            return attr_error(im, nd, key, c, "%s", msg);
        }
        tfc_op_builder_set_attr_tensor(b, key, t);
        tfc_tensor_free(t);
        return TFC_OK;
    }
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_LIST: {
        const ListValue *l = v->list;
        int kinds = (l->n_s > 0) + (l->n_i > 0) + (l->n_f > 0) + (l->n_type > 0);
        if (l->n_b || l->n_shape || l->n_tensor || l->n_func) {
            if (key[0] == '_') return TFC_OK; /* optional by convention: dropped */
            return attr_error(im, nd, key, TFC_UNIMPLEMENTED,
                              "lists of bools, shapes, tensors or functions are not supported");
        }
        if (kinds > 1) return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "a list mixes several element types");
        size_t n = l->n_s + l->n_i + l->n_f + l->n_type;
        if (n > INT_MAX) return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "list too long");
        if (l->n_f) {
            tfc_op_builder_set_attr_float_list(b, key, l->f, (int)n);
        } else if (l->n_type) {
            tfc_dtype *t = malloc(n * sizeof *t);
            if (!t) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            for (size_t i = 0; i < n; i++) {
                if (!dtype_supported((int)l->type[i])) {
                    free(t);
                    return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "element %zu: dtype %d is not supported", i,
                                      (int)l->type[i]);
                }
                t[i] = (tfc_dtype)l->type[i];
            }
            tfc_op_builder_set_attr_type_list(b, key, t, (int)n);
            free(t);
        } else if (l->n_s) {
            char **s = calloc(n, sizeof *s);
            if (!s) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            tfc_code c = TFC_OK;
            for (size_t i = 0; i < n && !c; i++) {
                if (l->s[i].len && memchr(l->s[i].data, 0, l->s[i].len))
                    c = attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "element %zu holds a NUL byte", i);
                else if (!(s[i] = malloc(l->s[i].len + 1)))
                    c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
                else {
                    if (l->s[i].len) memcpy(s[i], l->s[i].data, l->s[i].len);
                    s[i][l->s[i].len] = 0;
                }
            }
            if (!c) tfc_op_builder_set_attr_string_list(b, key, (const char *const *)s, (int)n);
            for (size_t i = 0; i < n; i++) free(s[i]);
            free(s);
            if (c) return c;
        } else {
            /* ints, or an empty list of unknown element type */
            tfc_op_builder_set_attr_int_list(b, key, l->i, (int)n);
        }
        return TFC_OK;
    }
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_FUNC:
    case TFCPB__GRAPH__ATTR_VALUE__VALUE_PLACEHOLDER:
        if (key[0] == '_') return TFC_OK; /* optional by convention: dropped */
        return attr_error(im, nd, key, TFC_UNIMPLEMENTED, "%s value is not supported (tfc has no functions)",
                          case_name(v->value_case));
    default: return attr_error(im, nd, key, TFC_INVALID_ARGUMENT, "no value");
    }
}

/* Adds every node to tg in topological order. On failure tg may hold some
 * of them: callers use a scratch graph or discard tg. */
static tfc_code import_build(gd_import *im, tfc_graph *tg, bool graph_was_empty)
{
    const GraphDef *gd = im->gd;
    int saved_scopes = tg->nscopes;
    tg->nscopes = 0; /* names are absolute: the prefix is the only scope */
    if (graph_was_empty && gd->tfc_seed) tg->seed = gd->tfc_seed;
    tfc_code c = TFC_OK;
    size_t outputs = 0, max_outputs = im->n * 64 > ((size_t)1 << 20) ? im->n * 64 : ((size_t)1 << 20);
    for (size_t k = 0; k < im->n && !c; k++) {
        gd_node *nd = &im->nodes[im->order[k]];
        tfc_op_builder *b = tfc_op_builder_new(tg, nd->nd->op, nd->full);
        if (!b) {
            c = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", im->source);
            break;
        }
        const gd_edge *ed = &im->edges[nd->first_edge];
        for (int i = 0; i < nd->ndata; i++)
            tfc_op_builder_add_input(b, (tfc_output){im->nodes[ed[i].node].op, ed[i].index});
        for (int i = 0; i < nd->nctl; i++) tfc_op_builder_add_control_input(b, im->nodes[ed[nd->ndata + i].node].op);
        for (size_t i = 0; i < nd->nd->n_attr && !c; i++)
            if (xattr_index(nd->nd->attr[i]->key) < 0) c = set_attr(im, nd, b, nd->nd->attr[i]);
        if (c) {
            tfc_op_builder_abandon(b);
            break;
        }
        if ((c = tfc_op_builder_finish(b, &nd->op))) {
            tfci_error_prefix("%s", im->source);
            break;
        }
        tfc_op *op = nd->op;
        /* Some ops size their outputs from an attribute (Split's num_split):
         * bound what a small input can make the graph allocate. */
        outputs += (size_t)op->noutputs;
        if (outputs > max_outputs) {
            c = tfci_error(TFC_INVALID_ARGUMENT,
                           "%s: node '" NAME_FMT "': the graph_def's %zu nodes have more than %zu "
                           "outputs in all",
                           im->source, nd->nd->name, im->n, max_outputs);
            break;
        }
        if (nd->has_seed_key) op->seed_key = (uint64_t)nd->seed_key;
        if (op->def == tfci_op_def_lookup("VariableV2") && !nd->unregistered) {
            if ((c = tfci_graph_add_variable(tg, op))) break;
            op->trainable = nd->has_trainable ? nd->trainable : true;
        }
    }
    if (!c)
        for (size_t i = 0; i < im->n; i++) {
            gd_node *nd = &im->nodes[i];
            if (nd->initializer >= 0 && nd->op->var_index >= 0) nd->op->initializer = im->nodes[nd->initializer].op;
            if (nd->global_step && !tg->global_step && nd->op->var_index >= 0) tg->global_step = nd->op;
        }
    if (!c && gd->tfc_gradient_calls > tg->gradient_calls) tg->gradient_calls = gd->tfc_gradient_calls;
    tg->nscopes = saved_scopes;
    return c;
}

/* Imports an unpacked GraphDef. With atomic false there is no scratch pass:
 * the caller made g for this import and discards it on failure. */
tfc_code tfci_graph_def_import_msg(tfc_graph *g, const GraphDef *gd, const char *prefix, const char *source,
                                   bool atomic)
{
    if (prefix && !prefix[0]) prefix = NULL;
    gd_import im = {.gd = gd, .source = source};
    tfc_code c = import_prepare(&im, g, prefix);
    bool was_empty = g->nops == 0;
    if (!c && atomic) {
        tfc_graph *scratch;
        if (!(c = tfc_graph_new(&scratch))) {
            scratch->seed = g->seed;
            c = import_build(&im, scratch, was_empty);
            tfc_graph_free(scratch);
            for (size_t i = 0; i < im.n; i++) im.nodes[i].op = NULL;
        }
    }
    /* After a successful scratch pass only lack of memory can fail here. */
    if (!c) c = import_build(&im, g, was_empty);
    import_free(&im);
    return c;
}

TFC_API tfc_code tfc_graph_import_graph_def(tfc_graph *g, const void *data, size_t size, const char *prefix)
{
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_import_graph_def: graph is NULL");
    const char *source = "graph_def buffer";
    tfci_pb_msg *m;
    tfc_code c = tfci_pb_unpack(&tfcpb__graph__graph_def__descriptor, data, size, source, TFC_INVALID_ARGUMENT, &m);
    if (c) return c;
    c = tfci_graph_def_import_msg(g, (const GraphDef *)m->msg, prefix, source, true);
    tfci_pb_msg_free(m);
    return c;
}

TFC_API tfc_code tfc_graph_import_graph_def_file(tfc_graph *g, const char *path, const char *prefix)
{
    if (!g || !path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_import_graph_def_file: NULL argument");
    void *data;
    size_t size;
    tfc_code c = tfci_pb_read_file(path, GD_MAX_FILE_BYTES, &data, &size);
    if (c) {
        tfci_error_prefix("graph_def file");
        return c;
    }
    size_t slen = strlen(path) + 32;
    char *source = malloc(slen);
    if (!source) {
        free(data);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    }
    snprintf(source, slen, "graph_def file '%s'", path);
    tfci_pb_msg *m;
    c = tfci_pb_unpack(&tfcpb__graph__graph_def__descriptor, data, size, source, TFC_DATA_LOSS, &m);
    if (!c) {
        c = tfci_graph_def_import_msg(g, (const GraphDef *)m->msg, prefix, source, true);
        tfci_pb_msg_free(m);
    }
    free(source);
    free(data);
    return c;
}
