/* Op family 'sparse': segment reductions and embedding lookups.
 *
 *   UnsortedSegmentSum(data, segment_ids, num_segments)
 *   SparseSegmentSum / SparseSegmentMean / SparseSegmentSqrtN(data, indices, segment_ids)
 *   SparseSegment{Sum,Mean,SqrtN}WithNumSegments(data, indices, segment_ids, num_segments)
 *   EmbeddingLookupSparse(params, ids, segment_ids, [weights,] num_segments), attr combiner
 *     (a tfc extension: TensorFlow builds it from Gather, Mul and SegmentSum in Python)
 *
 * and internal helpers for the gradients:
 *   _GatherRows(params, ids): params rows by ids, zero rows for id -1
 *   EmbeddingLookupSparseGrad(dy, segment_ids, [weights]), attr combiner: the rows of the
 *     sparse gradient, dy[segment_ids[k]] * weights[k] / denominator(segment)
 *   _EmbeddingLookupSparseWeightsGrad(dy, params, ids, segment_ids, weights, out), attr combiner
 *
 * Segment ids and indices are int32 or int64 (independently); values float32 or float64.
 * Gradients with respect to data/params are sparse rows for the SparseSegment family and
 * EmbeddingLookupSparse, so optimizers touch only the rows a batch used.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../graph/graph_internal.h"
#include "registry.h"

enum { COMB_SUM = 0, COMB_MEAN = 1, COMB_SQRTN = 2 };
static const char *const combiner_names[] = {"sum", "mean", "sqrtn"};

/* ---- shared helpers ---- */

/* An int32 or int64 index tensor, read without a dtype switch per element. */
typedef struct ids_view {
    const int32_t *i32;
    const int64_t *i64;
} ids_view;

static ids_view ids_of(const tfc_tensor *t)
{
    ids_view v = {NULL, NULL};
    if (t->dtype == TFC_INT64) v.i64 = t->data;
    else v.i32 = t->data;
    return v;
}

static inline int64_t id_get(ids_view v, int64_t k) { return v.i64 ? v.i64[k] : (int64_t)v.i32[k]; }

/* First k in [0, n) with seg[k] >= s (seg sorted ascending). */
static int64_t lower_bound(ids_view seg, int64_t n, int64_t s)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (id_get(seg, mid) < s) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* "[3]" or "[1,2]": flat position k of a tensor of the given shape, for error messages. */
static const char *pos_str(char *buf, size_t size, const int64_t *dims, int rank, int64_t k)
{
    if (rank <= 0) {
        buf[0] = '\0';
        return buf;
    }
    int64_t idx[TFC_MAX_RANK];
    for (int i = rank - 1; i >= 0; i--) {
        idx[i] = dims[i] ? k % dims[i] : 0;
        k = dims[i] ? k / dims[i] : 0;
    }
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < rank && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, i ? ",%lld" : "%lld", (long long)idx[i]);
    if (len + 2 <= size) {
        buf[len++] = ']';
        buf[len] = '\0';
    }
    buf[size - 1] = '\0';
    return buf;
}

static tfc_code expect_index(const tfc_op *op, int i, const char *what)
{
    tfc_dtype dt = tfci_in_dtype(op, i);
    if (dt == TFC_INT32 || dt == TFC_INT64) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s, '%s') must be int32 or int64, got %s", i, what,
                         op->inputs[i].op->name, tfc_dtype_name(dt));
}

static tfc_code expect_value_dtype(const tfc_op *op, int i, const char *what)
{
    tfc_dtype dt = tfci_in_dtype(op, i);
    if (tfci_dtype_is_float(dt)) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s, '%s') must be float32 or float64, got %s", i, what,
                         op->inputs[i].op->name, tfc_dtype_name(dt));
}

/* The input's static rank must be `rank` when known. */
static tfc_code expect_rank(const tfc_op *op, int i, const char *what, int rank)
{
    const tfci_shape *s = tfci_in_shape(op, i);
    if (s->rank < 0 || s->rank == rank) return TFC_OK;
    char b[128];
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s) must be %s, got shape %s", i, what,
                         rank == 0   ? "a scalar"
                         : rank == 1 ? "a vector"
                                     : "of another rank",
                         tfci_shape_to_str(s, b, sizeof b));
}

static tfc_code expect_min_rank(const tfc_op *op, int i, const char *what, int rank)
{
    const tfci_shape *s = tfci_in_shape(op, i);
    if (s->rank < 0 || s->rank >= rank) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "input %d (%s) must have rank at least %d, got a scalar", i, what,
                         rank);
}

/* Static length of vector input i, or -1. */
static int64_t static_len(const tfc_op *op, int i)
{
    const tfci_shape *s = tfci_in_shape(op, i);
    return s->rank == 1 ? s->dims[0] : -1;
}

/* Vector inputs i and j must have the same length when both are known. */
static tfc_code expect_same_len(const tfc_op *op, int i, const char *wi, int j, const char *wj)
{
    int64_t a = static_len(op, i), b = static_len(op, j);
    if (a < 0 || b < 0 || a == b) return TFC_OK;
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "%s has %lld elements but %s has %lld: they must match", wi,
                         (long long)a, wj, (long long)b);
}

/* num_segments input i: an int scalar; its value when constant (else -1) in *value. */
static tfc_code static_num_segments(const tfc_op *op, int i, int64_t *value)
{
    *value = -1;
    tfc_code c = expect_index(op, i, "num_segments");
    if (!c) c = expect_rank(op, i, "num_segments", 0);
    if (c) return c;
    const tfc_tensor *t = tfci_in_const(op, i);
    if (t && t->rank == 0) {
        *value = tfci_tensor_int(t, 0);
        if (*value < 0)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "num_segments must be >= 0, got %lld", (long long)*value);
    }
    return TFC_OK;
}

static tfc_code runtime_num_segments(tfci_kctx *k, int i, int64_t *out)
{
    const tfc_tensor *t = k->in[i];
    if (t->rank != 0 || (t->dtype != TFC_INT32 && t->dtype != TFC_INT64)) {
        char b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "num_segments must be an int32 or int64 scalar, got %s %s",
                               tfc_dtype_name(t->dtype), tfci_shape_str(t->dims, t->rank, b, sizeof b));
    }
    *out = tfci_tensor_int(t, 0);
    if (*out < 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "num_segments must be >= 0, got %lld", (long long)*out);
    return TFC_OK;
}

static tfc_code runtime_vector(tfci_kctx *k, int i, const char *what, int64_t len)
{
    const tfc_tensor *t = k->in[i];
    if (t->rank == 1 && (len < 0 || t->dims[0] == len)) return TFC_OK;
    char b[128];
    if (len < 0)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be a vector, got shape %s", what,
                               tfci_shape_str(t->dims, t->rank, b, sizeof b));
    return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must be a vector of %lld elements, got shape %s", what,
                           (long long)len, tfci_shape_str(t->dims, t->rank, b, sizeof b));
}

/* Parses a combiner attribute ("sum", "mean", "sqrtn"). */
static tfc_code parse_combiner(const tfc_op *op, int *out)
{
    const tfci_attr *a = tfci_attr_find(op, "combiner");
    if (!a || a->kind != TFCI_ATTR_STRING)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "attribute 'combiner' (a string: \"sum\", \"mean\" or "
                             "\"sqrtn\") is %s",
                             a ? "not a string" : "missing");
    for (int i = 0; i < 3; i++)
        if (strcmp(a->u.s, combiner_names[i]) == 0) {
            *out = i;
            return TFC_OK;
        }
    return tfci_op_error(op, TFC_INVALID_ARGUMENT, "combiner must be \"sum\", \"mean\" or \"sqrtn\", got \"%s\"",
                         a->u.s);
}

/* Static shape [rows] + s[from:], or unknown rank. */
static tfci_shape rows_then(int64_t rows, const tfci_shape *s, int from)
{
    if (s->rank < 0) return tfci_shape_unknown();
    tfci_shape o = tfci_shape_scalar();
    o.rank = 1 + s->rank - from;
    o.dims[0] = rows;
    for (int i = from; i < s->rank; i++) o.dims[1 + i - from] = s->dims[i];
    return o;
}

/* Per-segment scale for the combiner: 1/sum(w) (mean) or 1/sqrt(sum(w^2)) (sqrtn), 0 for
 * an empty or zero-weight segment (TensorFlow's div_no_nan). seg already validated. */
static void segment_scales(ids_view seg, const void *weights, tfc_dtype dt, int64_t n, int combiner, double *scale,
                           int64_t nseg)
{
    for (int64_t s = 0; s < nseg; s++) scale[s] = 0;
    for (int64_t k = 0; k < n; k++) {
        double w = !weights ? 1.0 : dt == TFC_FLOAT ? ((const float *)weights)[k] : ((const double *)weights)[k];
        scale[id_get(seg, k)] += combiner == COMB_MEAN ? w : w * w;
    }
    for (int64_t s = 0; s < nseg; s++) {
        double den = combiner == COMB_MEAN ? scale[s] : sqrt(scale[s]);
        scale[s] = den != 0 ? 1.0 / den : 0.0;
    }
}

/* Segment ids (rank 1, length n) must lie in [0, nseg) (nseg < 0: unbounded). */
static tfc_code check_segments(tfci_kctx *k, ids_view seg, int64_t n, int64_t nseg, bool sorted)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t s = id_get(seg, i);
        if (s < 0)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "segment_ids[%lld] = %lld is negative", (long long)i,
                                   (long long)s);
        if (nseg >= 0 && s >= nseg)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "segment_ids[%lld] = %lld is out of range [0, %lld) (num_segments is %lld)",
                                   (long long)i, (long long)s, (long long)nseg, (long long)nseg);
        if (sorted && i > 0 && s < id_get(seg, i - 1))
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "segment_ids must be sorted ascending: segment_ids[%lld] = %lld follows "
                                   "segment_ids[%lld] = %lld",
                                   (long long)i, (long long)s, (long long)(i - 1), (long long)id_get(seg, i - 1));
    }
    return TFC_OK;
}

/* Row ids (length n) must lie in [0, rows). */
static tfc_code check_rows(tfci_kctx *k, ids_view ids, int64_t n, int64_t rows, const char *what, const char *table)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t v = id_get(ids, i);
        if (v < 0 || v >= rows)
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "%s[%lld] = %lld is out of range [0, %lld) (%s has %lld rows)", what, (long long)i,
                                   (long long)v, (long long)rows, table, (long long)rows);
    }
    return TFC_OK;
}

/* Elements per row of t (product of dims after the first rank0 ones); -1 on overflow. */
static int64_t inner_size(const tfc_tensor *t, int rank0)
{
    return tfci_num_elements(t->dims + rank0, t->rank - rank0);
}

/* Work units per parallel chunk: aim for ~16k element operations. */
static int64_t grain_for(int64_t work_per_item)
{
    int64_t g = 16384 / (work_per_item > 0 ? work_per_item : 1);
    return g > 0 ? g : 1;
}

/* ======================= UnsortedSegmentSum ======================= */

static tfc_code shape_unsorted_segment_sum(tfc_op *op)
{
    tfc_code c = expect_value_dtype(op, 0, "data");
    if (!c) c = expect_index(op, 1, "segment_ids");
    int64_t nseg = -1;
    if (!c) c = static_num_segments(op, 2, &nseg);
    if (c) return c;
    const tfci_shape *d = tfci_in_shape(op, 0), *ids = tfci_in_shape(op, 1);
    if (d->rank >= 0 && ids->rank >= 0) {
        bool ok = ids->rank <= d->rank;
        for (int i = 0; ok && i < ids->rank; i++)
            if (ids->dims[i] >= 0 && d->dims[i] >= 0 && ids->dims[i] != d->dims[i]) ok = false;
        if (!ok) {
            char a[128], b[128];
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "segment_ids' shape %s must be a prefix of data's shape %s",
                                 tfci_shape_to_str(ids, a, sizeof a), tfci_shape_to_str(d, b, sizeof b));
        }
    }
    if (ids->rank == 0 && d->rank == TFC_MAX_RANK)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "a scalar segment id over data of rank %d would give rank %d",
                             TFC_MAX_RANK, TFC_MAX_RANK + 1);
    tfci_shape out = ids->rank >= 0 ? rows_then(nseg, d, ids->rank) : tfci_shape_unknown();
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

typedef struct uss_arg {
    const void *data;
    ids_view ids;
    void *out;
    int64_t nids, inner;
} uss_arg;

/* Columns [c0, c1) of every row: threads own disjoint columns, so no two write the same element. */
#define DEFINE_USS(T, NAME)                                                                                            \
    static void NAME(void *p, int64_t c0, int64_t c1)                                                                  \
    {                                                                                                                  \
        const uss_arg *a = p;                                                                                          \
        const T *x = a->data;                                                                                          \
        T *o = a->out;                                                                                                 \
        const int64_t inner = a->inner;                                                                                \
        for (int64_t k = 0; k < a->nids; k++) {                                                                        \
            int64_t s = id_get(a->ids, k);                                                                             \
            if (s < 0) continue;                                                                                       \
            const T *restrict src = x + k * inner;                                                                     \
            T *restrict dst = o + s * inner;                                                                           \
            for (int64_t c = c0; c < c1; c++) dst[c] += src[c];                                                        \
        }                                                                                                              \
    }
DEFINE_USS(float, uss_f32)
DEFINE_USS(double, uss_f64)

static tfc_code k_unsorted_segment_sum(tfci_kctx *k)
{
    const tfc_tensor *data = k->in[0], *ids = k->in[1];
    int64_t nseg = 0;
    tfc_code c = runtime_num_segments(k, 2, &nseg);
    if (c) return c;
    bool prefix = ids->rank <= data->rank;
    for (int i = 0; prefix && i < ids->rank; i++)
        if (ids->dims[i] != data->dims[i]) prefix = false;
    if (!prefix) {
        char a[128], b[128];
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "segment_ids' shape %s must be a prefix of data's shape %s",
                               tfci_shape_str(ids->dims, ids->rank, a, sizeof a),
                               tfci_shape_str(data->dims, data->rank, b, sizeof b));
    }
    if (ids->rank == 0 && data->rank == TFC_MAX_RANK)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "a scalar segment id over data of rank %d would give rank %d",
                               TFC_MAX_RANK, TFC_MAX_RANK + 1);
    int64_t inner = inner_size(data, ids->rank);
    if (inner < 0) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "data's shape overflows");
    ids_view iv = ids_of(ids);
    /* -1 marks an entry to drop (TensorFlow drops every negative id; anything else is a bug). */
    for (int64_t i = 0; i < ids->n; i++) {
        int64_t s = id_get(iv, i);
        if (s < -1 || s >= nseg) {
            char pb[160];
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT,
                                   "segment_ids%s = %lld is out of range [0, %lld) (num_segments is %lld; -1 drops "
                                   "an entry)",
                                   pos_str(pb, sizeof pb, ids->dims, ids->rank, i), (long long)s, (long long)nseg,
                                   (long long)nseg);
        }
    }
    int64_t dims[TFC_MAX_RANK];
    int orank = 1 + data->rank - ids->rank;
    dims[0] = nseg;
    for (int i = ids->rank; i < data->rank; i++) dims[1 + i - ids->rank] = data->dims[i];
    tfc_tensor *out = tfci_kctx_output(k, 0, data->dtype, dims, orank);
    if (!out) return TFC_RESOURCE_EXHAUSTED;
    if (out->bytes) memset(out->data, 0, out->bytes);
    uss_arg a = {data->data, iv, out->data, ids->n, inner};
    int64_t grain = grain_for(ids->n);
    if (grain < 64) grain = 64;
    tfci_parallel_for(tfci_kctx_pool(k), inner, grain, data->dtype == TFC_FLOAT ? uss_f32 : uss_f64, &a);
    return TFC_OK;
}

/* ======================= _GatherRows ======================= */
/* out[k] = params[ids[k]] (ids any shape; -1 gives a zero row): UnsortedSegmentSum's gradient. */

static tfc_code shape_gather_rows(tfc_op *op)
{
    tfc_code c = expect_value_dtype(op, 0, "params");
    if (!c) c = expect_min_rank(op, 0, "params", 1);
    if (!c) c = expect_index(op, 1, "ids");
    if (c) return c;
    const tfci_shape *p = tfci_in_shape(op, 0), *ids = tfci_in_shape(op, 1);
    tfci_shape out = tfci_shape_unknown();
    if (p->rank >= 1 && ids->rank >= 0) {
        if (ids->rank + p->rank - 1 > TFC_MAX_RANK)
            return tfci_op_error(op, TFC_INVALID_ARGUMENT, "the result would have more than %d dimensions",
                                 TFC_MAX_RANK);
        out.rank = ids->rank + p->rank - 1;
        for (int i = 0; i < ids->rank; i++) out.dims[i] = ids->dims[i];
        for (int i = 1; i < p->rank; i++) out.dims[ids->rank + i - 1] = p->dims[i];
    }
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

typedef struct gather_arg {
    const char *params;
    ids_view ids;
    char *out;
    size_t row_bytes;
} gather_arg;

static void gather_range(void *p, int64_t k0, int64_t k1)
{
    const gather_arg *a = p;
    for (int64_t k = k0; k < k1; k++) {
        int64_t s = id_get(a->ids, k);
        if (s < 0) memset(a->out + (size_t)k * a->row_bytes, 0, a->row_bytes);
        else memcpy(a->out + (size_t)k * a->row_bytes, a->params + (size_t)s * a->row_bytes, a->row_bytes);
    }
}

static tfc_code k_gather_rows(tfci_kctx *k)
{
    const tfc_tensor *params = k->in[0], *ids = k->in[1];
    if (params->rank < 1) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "params must have rank at least 1");
    if (ids->rank + params->rank - 1 > TFC_MAX_RANK)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "the result would have more than %d dimensions", TFC_MAX_RANK);
    int64_t rows = params->dims[0], inner = inner_size(params, 1);
    ids_view iv = ids_of(ids);
    for (int64_t i = 0; i < ids->n; i++) {
        int64_t s = id_get(iv, i);
        if (s < -1 || s >= rows) {
            char pb[160];
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "ids%s = %lld is out of range [0, %lld)",
                                   pos_str(pb, sizeof pb, ids->dims, ids->rank, i), (long long)s, (long long)rows);
        }
    }
    int64_t dims[TFC_MAX_RANK];
    for (int i = 0; i < ids->rank; i++) dims[i] = ids->dims[i];
    for (int i = 1; i < params->rank; i++) dims[ids->rank + i - 1] = params->dims[i];
    tfc_tensor *out = tfci_kctx_output(k, 0, params->dtype, dims, ids->rank + params->rank - 1);
    if (!out) return TFC_RESOURCE_EXHAUSTED;
    size_t row_bytes = (size_t)inner * tfc_dtype_size(params->dtype);
    gather_arg a = {params->data, iv, out->data, row_bytes};
    tfci_parallel_for(tfci_kctx_pool(k), ids->n, grain_for(inner), gather_range, &a);
    return TFC_OK;
}

/* Linear in params: the gradient is params' rows by ids, kept sparse (ids rank 1 only). */
static tfc_code g_gather_rows(tfci_grad_ctx *gc)
{
    const tfci_shape *ids = tfci_in_shape(gc->op, 1);
    if (ids->rank != 1)
        return tfci_op_error(gc->op, TFC_UNIMPLEMENTED,
                             "the gradient of _GatherRows needs vector ids (static rank 1), got rank %d", ids->rank);
    gc->dx[0].indices = gc->op->inputs[1];
    gc->dx[0].values = gc->dy[0];
    return TFC_OK;
}

static tfc_code g_unsorted_segment_sum(tfci_grad_ctx *gc)
{
    gc->dx[0].dense = tfci_binary(gc->g, "_GatherRows", NULL, gc->dy[0], gc->op->inputs[1]);
    return tfc_graph_status(gc->g);
}

/* ============ SparseSegment{Sum,Mean,SqrtN} and EmbeddingLookupSparse ============ */
/* One kernel serves both: SparseSegmentX(data, indices, seg) is EmbeddingLookupSparse with
 * unit weights (mean divides by the count, sqrtn by its root). */

/* Rows are gathered at random from a table usually larger than L1: ask for a row a few ids
 * ahead so its lines arrive while the current one is summed (up to 4 lines; wider rows
 * stream well on their own). */
#define PREFETCH_AHEAD 4
static inline void prefetch_row(const void *base, ids_view ids, int64_t k, int64_t n, size_t row_bytes)
{
    if (k >= n) return;
    const char *c = (const char *)base + (size_t)id_get(ids, k) * row_bytes;
    size_t lim = row_bytes < 256 ? row_bytes : 256;
    for (size_t off = 0; off < lim; off += 64) __builtin_prefetch(c + off);
}

typedef struct combine_arg {
    const void *params;
    ids_view ids, seg;
    const void *weights; /* NULL: all ones */
    void *out;
    int64_t n, d;
    int combiner;
} combine_arg;

/* Output rows [s0, s1): zeroed, then each segment's run of sorted ids accumulated (axpy of
 * d-length rows) and scaled once. Rows belong to one thread, so no synchronisation. */
#define DEFINE_COMBINE(T, NAME)                                                                                        \
    static void NAME(void *p, int64_t s0, int64_t s1)                                                                  \
    {                                                                                                                  \
        const combine_arg *a = p;                                                                                      \
        const T *params = a->params, *w = a->weights;                                                                  \
        T *out = a->out;                                                                                               \
        const int64_t d = a->d, n = a->n;                                                                              \
        if (d == 0) return;                                                                                            \
        memset(out + s0 * d, 0, (size_t)((s1 - s0) * d) * sizeof(T));                                                  \
        for (int64_t k = lower_bound(a->seg, n, s0); k < n;) {                                                         \
            int64_t s = id_get(a->seg, k);                                                                             \
            if (s >= s1) break;                                                                                        \
            T *restrict row = out + s * d;                                                                             \
            double wsum = 0, wsq = 0;                                                                                  \
            if (w) {                                                                                                   \
                for (; k < n && id_get(a->seg, k) == s; k++) {                                                         \
                    prefetch_row(params, a->ids, k + PREFETCH_AHEAD, n, (size_t)d * sizeof(T));                        \
                    const T *restrict src = params + id_get(a->ids, k) * d;                                            \
                    const T wk = w[k];                                                                                 \
                    for (int64_t c = 0; c < d; c++) row[c] += wk * src[c];                                             \
                    wsum += wk;                                                                                        \
                    wsq += (double)wk * wk;                                                                            \
                }                                                                                                      \
            } else {                                                                                                   \
                for (; k < n && id_get(a->seg, k) == s; k++) {                                                         \
                    prefetch_row(params, a->ids, k + PREFETCH_AHEAD, n, (size_t)d * sizeof(T));                        \
                    const T *restrict src = params + id_get(a->ids, k) * d;                                            \
                    for (int64_t c = 0; c < d; c++) row[c] += src[c];                                                  \
                    wsum += 1;                                                                                         \
                }                                                                                                      \
                wsq = wsum;                                                                                            \
            }                                                                                                          \
            if (a->combiner != COMB_SUM) {                                                                             \
                double den = a->combiner == COMB_MEAN ? wsum : sqrt(wsq);                                              \
                const T f = den != 0 ? (T)(1.0 / den) : (T)0;                                                          \
                for (int64_t c = 0; c < d; c++) row[c] *= f;                                                           \
            }                                                                                                          \
        }                                                                                                              \
    }
DEFINE_COMBINE(float, combine_f32)
DEFINE_COMBINE(double, combine_f64)

/* Validates and runs the shared forward. names: the ids input and the table, for messages.
 * nseg < 0: max(segment_ids) + 1. */
static tfc_code segment_combine(tfci_kctx *k, const tfc_tensor *params, const tfc_tensor *ids, const tfc_tensor *seg,
                                const tfc_tensor *weights, int64_t nseg, int combiner, const char *ids_name,
                                const char *table_name)
{
    if (params->rank < 1)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "%s must have rank at least 1, got a scalar", table_name);
    tfc_code c = runtime_vector(k, 1, ids_name, -1);
    if (!c) c = runtime_vector(k, 2, "segment_ids", ids->n);
    if (!c && weights) c = runtime_vector(k, 3, "weights", ids->n);
    if (c) return c;
    int64_t n = ids->n, rows = params->dims[0], d = inner_size(params, 1);
    ids_view iv = ids_of(ids), sv = ids_of(seg);
    if ((c = check_rows(k, iv, n, rows, ids_name, table_name))) return c;
    if ((c = check_segments(k, sv, n, nseg, true))) return c;
    if (nseg < 0) nseg = n ? id_get(sv, n - 1) + 1 : 0;
    int64_t dims[TFC_MAX_RANK];
    dims[0] = nseg;
    for (int i = 1; i < params->rank; i++) dims[i] = params->dims[i];
    tfc_tensor *out = tfci_kctx_output(k, 0, params->dtype, dims, params->rank);
    if (!out) return TFC_RESOURCE_EXHAUSTED;
    combine_arg a = {params->data, iv, sv, weights ? weights->data : NULL, out->data, n, d, combiner};
    int64_t per_seg = (nseg ? n / nseg : 0) + 1;
    tfci_parallel_for(tfci_kctx_pool(k), nseg, grain_for(per_seg * d),
                      params->dtype == TFC_FLOAT ? combine_f32 : combine_f64, &a);
    return TFC_OK;
}

/* ---- SparseSegmentSum / Mean / SqrtN [WithNumSegments] ---- */

static tfc_code shape_sparse_segment(tfc_op *op, int combiner)
{
    bool with_n = op->ninputs == 4;
    tfc_code c = expect_value_dtype(op, 0, "data");
    if (!c) c = expect_min_rank(op, 0, "data", 1);
    if (!c) c = expect_index(op, 1, "indices");
    if (!c) c = expect_rank(op, 1, "indices", 1);
    if (!c) c = expect_index(op, 2, "segment_ids");
    if (!c) c = expect_rank(op, 2, "segment_ids", 1);
    if (!c) c = expect_same_len(op, 1, "indices", 2, "segment_ids");
    int64_t nseg = -1;
    if (!c && with_n) c = static_num_segments(op, 3, &nseg);
    if (c) return c;
    if (!with_n) {
        /* constant segment ids fix the row count */
        const tfc_tensor *t = tfci_in_const(op, 2);
        if (t && t->rank == 1) nseg = t->n ? tfci_tensor_int(t, t->n - 1) + 1 : 0;
        if (nseg < 0) nseg = -1;
    }
    op->ci[0] = combiner;
    tfci_shape out = rows_then(nseg, tfci_in_shape(op, 0), 1);
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}
static tfc_code shape_ss_sum(tfc_op *op) { return shape_sparse_segment(op, COMB_SUM); }
static tfc_code shape_ss_mean(tfc_op *op) { return shape_sparse_segment(op, COMB_MEAN); }
static tfc_code shape_ss_sqrtn(tfc_op *op) { return shape_sparse_segment(op, COMB_SQRTN); }

static tfc_code k_sparse_segment(tfci_kctx *k)
{
    int64_t nseg = -1;
    if (k->nin == 4) {
        tfc_code c = runtime_num_segments(k, 3, &nseg);
        if (c) return c;
    }
    return segment_combine(k, k->in[0], k->in[1], k->in[2], NULL, nseg, (int)k->op->ci[0], "indices", "data");
}

/* Sparse: rows of dy by segment, scaled as the forward scaled them, belong to data[indices]. */
static tfc_code g_sparse_segment(tfci_grad_ctx *gc)
{
    tfc_op_builder *b = tfci_builder(gc->g, "EmbeddingLookupSparseGrad", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, gc->op->inputs[2]);
    tfc_op_builder_set_attr_string(b, "combiner", combiner_names[gc->op->ci[0]]);
    gc->dx[0].values = tfci_finish(gc->g, b);
    gc->dx[0].indices = gc->op->inputs[1];
    return tfc_graph_status(gc->g);
}

/* ---- EmbeddingLookupSparse ---- */
/* Inputs (params, ids, segment_ids, num_segments) or, weighted,
 * (params, ids, segment_ids, weights, num_segments). */

static tfc_code shape_els(tfc_op *op)
{
    bool weighted = op->ninputs == 5;
    int nseg_in = weighted ? 4 : 3;
    int combiner = 0;
    tfc_code c = parse_combiner(op, &combiner);
    if (!c) c = expect_value_dtype(op, 0, "params");
    if (!c) c = expect_min_rank(op, 0, "params", 1);
    if (!c) c = expect_index(op, 1, "ids");
    if (!c) c = expect_rank(op, 1, "ids", 1);
    if (!c) c = expect_index(op, 2, "segment_ids");
    if (!c) c = expect_rank(op, 2, "segment_ids", 1);
    if (!c) c = expect_same_len(op, 1, "ids", 2, "segment_ids");
    if (!c && weighted) {
        if (tfci_in_dtype(op, 3) != tfci_in_dtype(op, 0))
            c = tfci_op_error(op, TFC_INVALID_ARGUMENT,
                              "weights ('%s') are %s but params ('%s') are %s: they must match", op->inputs[3].op->name,
                              tfc_dtype_name(tfci_in_dtype(op, 3)), op->inputs[0].op->name,
                              tfc_dtype_name(tfci_in_dtype(op, 0)));
        if (!c) c = expect_rank(op, 3, "weights", 1);
        if (!c) c = expect_same_len(op, 1, "ids", 3, "weights");
    }
    int64_t nseg = -1;
    if (!c) c = static_num_segments(op, nseg_in, &nseg);
    if (c) return c;
    op->ci[0] = combiner;
    op->ci[1] = weighted;
    tfci_shape out = rows_then(nseg, tfci_in_shape(op, 0), 1);
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

static tfc_code k_els(tfci_kctx *k)
{
    bool weighted = k->nin == 5;
    int64_t nseg = 0;
    tfc_code c = runtime_num_segments(k, weighted ? 4 : 3, &nseg);
    if (c) return c;
    return segment_combine(k, k->in[0], k->in[1], k->in[2], weighted ? k->in[3] : NULL, nseg, (int)k->op->ci[0], "ids",
                           "params");
}

static tfc_code g_els(tfci_grad_ctx *gc)
{
    tfc_op *op = gc->op;
    bool weighted = op->ninputs == 5;
    const char *comb = combiner_names[op->ci[0]];
    tfc_op_builder *b = tfci_builder(gc->g, "EmbeddingLookupSparseGrad", NULL);
    if (!b) return tfc_graph_status(gc->g);
    tfc_op_builder_add_input(b, gc->dy[0]);
    tfc_op_builder_add_input(b, op->inputs[2]);
    if (weighted) tfc_op_builder_add_input(b, op->inputs[3]);
    tfc_op_builder_set_attr_string(b, "combiner", comb);
    gc->dx[0].values = tfci_finish(gc->g, b);
    gc->dx[0].indices = op->inputs[1];
    if (weighted) {
        /* a separate op, so a params-only gradient never reads params rows for dw */
        b = tfci_builder(gc->g, "_EmbeddingLookupSparseWeightsGrad", NULL);
        if (!b) return tfc_graph_status(gc->g);
        tfc_output ins[6] = {gc->dy[0], op->inputs[0], op->inputs[1], op->inputs[2], op->inputs[3], {op, 0}};
        tfc_op_builder_add_inputs(b, ins, 6);
        tfc_op_builder_set_attr_string(b, "combiner", comb);
        gc->dx[3].dense = tfci_finish(gc->g, b);
    }
    return tfc_graph_status(gc->g);
}

/* ---- EmbeddingLookupSparseGrad(dy, segment_ids, [weights]) ---- */
/* values[k] = dy[segment_ids[k]] * weights[k] * scale(segment): the rows of params' sparse
 * gradient, one pass over N rows of D. */

static tfc_code shape_els_grad(tfc_op *op)
{
    bool weighted = op->ninputs == 3;
    int combiner = 0;
    tfc_code c = parse_combiner(op, &combiner);
    if (!c) c = expect_value_dtype(op, 0, "dy");
    if (!c) c = expect_min_rank(op, 0, "dy", 1);
    if (!c) c = expect_index(op, 1, "segment_ids");
    if (!c) c = expect_rank(op, 1, "segment_ids", 1);
    if (!c && weighted) {
        c = tfci_expect_same_dtype(op, 0, 2);
        if (!c) c = expect_rank(op, 2, "weights", 1);
        if (!c) c = expect_same_len(op, 1, "segment_ids", 2, "weights");
    }
    if (c) return c;
    op->ci[0] = combiner;
    tfci_shape out = rows_then(static_len(op, 1), tfci_in_shape(op, 0), 1);
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

typedef struct els_grad_arg {
    const void *dy, *weights;
    ids_view seg;
    const double *scale; /* per segment; NULL for sum */
    void *out;
    int64_t d;
} els_grad_arg;

#define DEFINE_ELS_GRAD(T, NAME)                                                                                       \
    static void NAME(void *p, int64_t k0, int64_t k1)                                                                  \
    {                                                                                                                  \
        const els_grad_arg *a = p;                                                                                     \
        const T *dy = a->dy, *w = a->weights;                                                                          \
        T *out = a->out;                                                                                               \
        const int64_t d = a->d;                                                                                        \
        for (int64_t k = k0; k < k1; k++) {                                                                            \
            int64_t s = id_get(a->seg, k);                                                                             \
            const T f = (T)((w ? (double)w[k] : 1.0) * (a->scale ? a->scale[s] : 1.0));                                \
            const T *restrict src = dy + s * d;                                                                        \
            T *restrict dst = out + k * d;                                                                             \
            for (int64_t c = 0; c < d; c++) dst[c] = f * src[c];                                                       \
        }                                                                                                              \
    }
DEFINE_ELS_GRAD(float, els_grad_f32)
DEFINE_ELS_GRAD(double, els_grad_f64)

static tfc_code k_els_grad(tfci_kctx *k)
{
    const tfc_tensor *dy = k->in[0], *seg = k->in[1], *w = k->nin == 3 ? k->in[2] : NULL;
    if (dy->rank < 1) return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy must have rank at least 1");
    tfc_code c = runtime_vector(k, 1, "segment_ids", -1);
    if (!c && w) c = runtime_vector(k, 2, "weights", seg->n);
    if (c) return c;
    int64_t n = seg->n, nseg = dy->dims[0], d = inner_size(dy, 1);
    ids_view sv = ids_of(seg);
    if ((c = check_segments(k, sv, n, nseg, false))) return c;
    int combiner = (int)k->op->ci[0];
    double *scale = NULL;
    if (combiner != COMB_SUM) {
        scale = tfci_kctx_scratch(k, (size_t)nseg * sizeof *scale);
        if (!scale) return TFC_RESOURCE_EXHAUSTED;
        segment_scales(sv, w ? w->data : NULL, dy->dtype, n, combiner, scale, nseg);
    }
    int64_t dims[TFC_MAX_RANK];
    dims[0] = n;
    for (int i = 1; i < dy->rank; i++) dims[i] = dy->dims[i];
    tfc_tensor *out = tfci_kctx_output(k, 0, dy->dtype, dims, dy->rank);
    if (!out) return TFC_RESOURCE_EXHAUSTED;
    els_grad_arg a = {dy->data, w ? w->data : NULL, sv, scale, out->data, d};
    tfci_parallel_for(tfci_kctx_pool(k), n, grain_for(d), dy->dtype == TFC_FLOAT ? els_grad_f32 : els_grad_f64, &a);
    return TFC_OK;
}

/* ---- _EmbeddingLookupSparseWeightsGrad(dy, params, ids, segment_ids, weights, out) ---- */
/* d out[s] / d w[k], s = segment_ids[k], p = params[ids[k]]:
 *   sum:   p
 *   mean:  (p - out[s]) / sum(w)                      (out[s] = sum(w p) / sum(w))
 *   sqrtn: (p - out[s] w[k] / r) / r, r = sqrt(sum(w^2))
 * and 0 for a zero denominator, matching div_no_nan's gradient. */

static tfc_code shape_els_wgrad(tfc_op *op)
{
    int combiner = 0;
    tfc_code c = parse_combiner(op, &combiner);
    if (!c) c = expect_value_dtype(op, 0, "dy");
    if (!c) c = tfci_expect_same_dtype(op, 0, 1);
    if (!c) c = expect_index(op, 2, "ids");
    if (!c) c = expect_index(op, 3, "segment_ids");
    if (!c) c = tfci_expect_same_dtype(op, 0, 4);
    if (!c) c = tfci_expect_same_dtype(op, 0, 5);
    if (c) return c;
    op->ci[0] = combiner;
    tfci_shape out = tfci_shape_scalar();
    out.rank = 1;
    out.dims[0] = static_len(op, 4);
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, tfci_in_dtype(op, 0), &out);
    return TFC_OK;
}

typedef struct els_wgrad_arg {
    const void *dy, *params, *weights, *fwd;
    ids_view ids, seg;
    const double *scale;
    void *out;
    int64_t d;
    int combiner;
} els_wgrad_arg;

#define DEFINE_ELS_WGRAD(T, NAME)                                                                                      \
    static void NAME(void *p, int64_t k0, int64_t k1)                                                                  \
    {                                                                                                                  \
        const els_wgrad_arg *a = p;                                                                                    \
        const T *dy = a->dy, *params = a->params, *w = a->weights, *fwd = a->fwd;                                      \
        T *out = a->out;                                                                                               \
        const int64_t d = a->d;                                                                                        \
        for (int64_t k = k0; k < k1; k++) {                                                                            \
            int64_t s = id_get(a->seg, k);                                                                             \
            const T *g = dy + s * d, *row = params + id_get(a->ids, k) * d;                                            \
            double gp = 0;                                                                                             \
            for (int64_t c = 0; c < d; c++) gp += (double)g[c] * row[c];                                               \
            if (a->combiner == COMB_SUM) {                                                                             \
                out[k] = (T)gp;                                                                                        \
                continue;                                                                                              \
            }                                                                                                          \
            const T *o = fwd + s * d;                                                                                  \
            double go = 0;                                                                                             \
            for (int64_t c = 0; c < d; c++) go += (double)g[c] * o[c];                                                 \
            double sc = a->scale[s];                                                                                   \
            out[k] = (T)(a->combiner == COMB_MEAN ? (gp - go) * sc : (gp - go * (double)w[k] * sc) * sc);              \
        }                                                                                                              \
    }
DEFINE_ELS_WGRAD(float, els_wgrad_f32)
DEFINE_ELS_WGRAD(double, els_wgrad_f64)

static tfc_code k_els_wgrad(tfci_kctx *k)
{
    const tfc_tensor *dy = k->in[0], *params = k->in[1], *ids = k->in[2], *seg = k->in[3], *w = k->in[4],
                     *fwd = k->in[5];
    if (params->rank < 1 || dy->rank != params->rank || fwd->rank != dy->rank)
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy, params and the forward output must have one rank >= 1");
    for (int i = 1; i < dy->rank; i++)
        if (dy->dims[i] != params->dims[i] || fwd->dims[i] != params->dims[i])
            return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "rows of dy and params differ in shape");
    if (fwd->dims[0] != dy->dims[0])
        return tfci_kctx_error(k, TFC_INVALID_ARGUMENT, "dy and the forward output have different row counts");
    tfc_code c = runtime_vector(k, 2, "ids", -1);
    if (!c) c = runtime_vector(k, 3, "segment_ids", ids->n);
    if (!c) c = runtime_vector(k, 4, "weights", ids->n);
    if (c) return c;
    int64_t n = ids->n, nseg = dy->dims[0], d = inner_size(params, 1);
    ids_view iv = ids_of(ids), sv = ids_of(seg);
    if ((c = check_rows(k, iv, n, params->dims[0], "ids", "params"))) return c;
    if ((c = check_segments(k, sv, n, nseg, false))) return c;
    int combiner = (int)k->op->ci[0];
    double *scale = NULL;
    if (combiner != COMB_SUM) {
        scale = tfci_kctx_scratch(k, (size_t)nseg * sizeof *scale);
        if (!scale) return TFC_RESOURCE_EXHAUSTED;
        segment_scales(sv, w->data, w->dtype, n, combiner, scale, nseg);
    }
    tfc_tensor *out = tfci_kctx_output(k, 0, dy->dtype, &n, 1);
    if (!out) return TFC_RESOURCE_EXHAUSTED;
    els_wgrad_arg a = {dy->data, params->data, w->data, fwd->data, iv, sv, scale, out->data, d, combiner};
    tfci_parallel_for(tfci_kctx_pool(k), n, grain_for(2 * d), dy->dtype == TFC_FLOAT ? els_wgrad_f32 : els_wgrad_f64,
                      &a);
    return TFC_OK;
}

const tfci_op_def tfci_sparse_ops[] = {
    {"UnsortedSegmentSum", 3, 3, shape_unsorted_segment_sum, k_unsorted_segment_sum, g_unsorted_segment_sum, 0},
    {"SparseSegmentSum", 3, 3, shape_ss_sum, k_sparse_segment, g_sparse_segment, 0},
    {"SparseSegmentMean", 3, 3, shape_ss_mean, k_sparse_segment, g_sparse_segment, 0},
    {"SparseSegmentSqrtN", 3, 3, shape_ss_sqrtn, k_sparse_segment, g_sparse_segment, 0},
    {"SparseSegmentSumWithNumSegments", 4, 4, shape_ss_sum, k_sparse_segment, g_sparse_segment, 0},
    {"SparseSegmentMeanWithNumSegments", 4, 4, shape_ss_mean, k_sparse_segment, g_sparse_segment, 0},
    {"SparseSegmentSqrtNWithNumSegments", 4, 4, shape_ss_sqrtn, k_sparse_segment, g_sparse_segment, 0},
    {"EmbeddingLookupSparse", 4, 5, shape_els, k_els, g_els, 0},
    {"EmbeddingLookupSparseGrad", 2, 3, shape_els_grad, k_els_grad, NULL, 0},
    {"_EmbeddingLookupSparseWeightsGrad", 6, 6, shape_els_wgrad, k_els_wgrad, NULL, 0},
    {"_GatherRows", 2, 2, shape_gather_rows, k_gather_rows, g_gather_rows, 0},
};
const int tfci_sparse_ops_count = sizeof tfci_sparse_ops / sizeof tfci_sparse_ops[0];

/* ---- typed constructors ---- */

static tfc_output ternary(tfc_graph *g, const char *type, const char *name, tfc_output a, tfc_output b, tfc_output c)
{
    tfc_op_builder *bl = tfci_builder(g, type, name);
    if (!bl) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(bl, a);
    tfc_op_builder_add_input(bl, b);
    tfc_op_builder_add_input(bl, c);
    return tfci_finish(g, bl);
}

TFC_API tfc_output tfc_sparse_segment_sum(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                          const char *name)
{
    return ternary(g, "SparseSegmentSum", name, data, indices, segment_ids);
}

TFC_API tfc_output tfc_sparse_segment_mean(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                           const char *name)
{
    return ternary(g, "SparseSegmentMean", name, data, indices, segment_ids);
}

TFC_API tfc_output tfc_sparse_segment_sqrtn(tfc_graph *g, tfc_output data, tfc_output indices, tfc_output segment_ids,
                                            const char *name)
{
    return ternary(g, "SparseSegmentSqrtN", name, data, indices, segment_ids);
}

TFC_API tfc_output tfc_unsorted_segment_sum(tfc_graph *g, tfc_output data, tfc_output segment_ids,
                                            tfc_output num_segments, const char *name)
{
    return ternary(g, "UnsortedSegmentSum", name, data, segment_ids, num_segments);
}

TFC_API tfc_output tfc_embedding_lookup_sparse(tfc_graph *g, tfc_output params, tfc_output ids, tfc_output segment_ids,
                                               tfc_output weights, tfc_output num_segments, tfc_combiner combiner,
                                               const char *name)
{
    if (g && !g->status && (combiner < TFC_COMBINER_SUM || combiner > TFC_COMBINER_SQRTN)) {
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT,
                                      "op '%s' (EmbeddingLookupSparse): invalid combiner %d (expected "
                                      "TFC_COMBINER_SUM, TFC_COMBINER_MEAN or TFC_COMBINER_SQRTN)",
                                      name ? name : "EmbeddingLookupSparse", (int)combiner));
        return TFCI_NO_OUTPUT;
    }
    tfc_op_builder *b = tfci_builder(g, "EmbeddingLookupSparse", name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_add_input(b, params);
    tfc_op_builder_add_input(b, ids);
    tfc_op_builder_add_input(b, segment_ids);
    if (weights.op) tfc_op_builder_add_input(b, weights);
    tfc_op_builder_add_input(b, num_segments);
    tfc_op_builder_set_attr_string(b, "combiner", combiner_names[combiner]);
    return tfci_finish(g, b);
}
