/* Op family 'random': RandomUniform, RandomStandardNormal, TruncatedNormal.
 *
 * Differences from TensorFlow, on purpose:
 *  - the output shape is the attribute "shape" (fully known), not an input;
 *  - float attributes "scale" and "offset" (default 1 and 0) map the draw to
 *    offset + scale * value inside the kernel, so tfc_random_uniform(min, max)
 *    and tfc_random_normal(mean, stddev) are one op rather than Mul and Add.
 *    They are float32 attributes, so float64 draws get a float32 scale/offset.
 * Values are counter-based (core/random.c): element i of a run's draw depends
 * only on the op's seed, the session's run count for the op, and i, so the
 * results do not depend on the number of threads. */
#include <math.h>
#include <string.h>

#include "registry.h"

#define RANDOM_GRAIN 8192


static tfc_code shape_random(tfc_op *op)
{
    tfc_dtype dt;
    tfci_shape s;
    int64_t seed, seed2;
    float scale, offset;
    tfc_code c = tfci_attr_req_type(op, "dtype", &dt);
    if (!c) c = tfci_attr_req_shape(op, "shape", &s);
    if (!c) c = tfci_attr_opt_int(op, "seed", 0, &seed);
    if (!c) c = tfci_attr_opt_int(op, "seed2", 0, &seed2);
    if (!c) c = tfci_attr_opt_float(op, "scale", 1.0f, &scale);
    if (!c) c = tfci_attr_opt_float(op, "offset", 0.0f, &offset);
    if (c) return c;
    if (dt != TFC_FLOAT && dt != TFC_DOUBLE)
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "dtype must be float32 or float64, got %s", tfc_dtype_name(dt));
    if (!tfci_shape_fully_known(&s)) {
        char b[128];
        return tfci_op_error(op, TFC_INVALID_ARGUMENT, "shape must be fully known, got %s",
                             tfci_shape_to_str(&s, b, sizeof b));
    }
    if (tfci_check_shape(dt, s.dims, s.rank, NULL, NULL)) {
        tfci_error_prefix("op '%s' (%s)", op->name, op->def->name);
        return TFC_INVALID_ARGUMENT;
    }
    if (!isfinite(scale) || scale < 0 || !isfinite(offset))
        return tfci_op_error(op, TFC_INVALID_ARGUMENT,
                             "scale must be finite and >= 0 and offset finite (maxval >= minval, stddev >= 0), "
                             "got scale %g, offset %g",
                             (double)scale, (double)offset);
    op->cf[0] = scale;
    op->cf[1] = offset;
    op->seed_key = tfci_op_seed_key(op, seed, seed2);
    if ((c = tfci_op_set_num_outputs(op, 1))) return c;
    tfci_op_set_output(op, 0, dt, &s);
    return TFC_OK;
}

/* ---- kernels ---- */

typedef struct rand_job {
    void *y;
    int64_t n;
    uint64_t key;
    double scale, offset;
    bool is32;
} rand_job;

/* [0, 1): 24 bits for float32 so the value never rounds up to 1, 53 for float64 */
static void uniform_range(void *arg, int64_t begin, int64_t end)
{
    const rand_job *j = arg;
    if (j->is32) {
        float *y = j->y, s = (float)j->scale, o = (float)j->offset;
        for (int64_t i = begin; i < end; i++)
            y[i] = o + s * ((float)(tfci_random_bits(j->key, (uint64_t)i) >> 40) * 0x1p-24f);
    } else {
        double *y = j->y;
        for (int64_t i = begin; i < end; i++) y[i] = j->offset + j->scale * tfci_random_uniform01(j->key, (uint64_t)i);
    }
}

static void store(const rand_job *j, int64_t i, double z)
{
    if (j->is32) ((float *)j->y)[i] = (float)(j->offset + j->scale * z);
    else ((double *)j->y)[i] = j->offset + j->scale * z;
}

/* Box-Muller over pairs: pair p gives elements 2p and 2p+1 (cos and sin). */
static void normal_range(void *arg, int64_t begin, int64_t end)
{
    const rand_job *j = arg;
    for (int64_t p = begin; p < end; p++) {
        double u1 = 1.0 - tfci_random_uniform01(j->key, 2 * (uint64_t)p); /* (0, 1]: log is finite */
        double u2 = tfci_random_uniform01(j->key, 2 * (uint64_t)p + 1);
        double r = sqrt(-2.0 * log(u1)), t = 6.283185307179586 * u2;
        store(j, 2 * p, r * cos(t));
        if (2 * p + 1 < j->n) store(j, 2 * p + 1, r * sin(t));
    }
}

/* Element i redraws (attempt a uses counter a * n + i) until |z| <= 2. Each
 * attempt fails with probability 4.6%, so the cap is never reached in practice;
 * should it be, the value is clamped to the boundary. */
static void truncated_range(void *arg, int64_t begin, int64_t end)
{
    const rand_job *j = arg;
    for (int64_t i = begin; i < end; i++) {
        double z = 0;
        for (uint64_t a = 0; a < 100; a++) {
            z = tfci_random_normal(j->key, a * (uint64_t)j->n + (uint64_t)i);
            if (fabs(z) <= 2.0) break;
        }
        if (z > 2.0) z = 2.0;
        if (z < -2.0) z = -2.0;
        store(j, i, z);
    }
}

static tfc_code run_random(tfci_kctx *k, tfci_range_fn fn, bool pairs)
{
    const tfci_shape *s = &k->op->out_shapes[0];
    tfc_dtype dt = k->op->out_dtypes[0];
    tfc_tensor *y = tfci_kctx_output(k, 0, dt, s->dims, s->rank);
    if (!y) return TFC_RESOURCE_EXHAUSTED;
    rand_job j = {y->data, y->n, tfci_kctx_random_key(k), k->op->cf[0], k->op->cf[1], dt == TFC_FLOAT};
    int64_t items = pairs ? (y->n + 1) / 2 : y->n;
    int64_t grain = pairs ? RANDOM_GRAIN / 2 : RANDOM_GRAIN;
    if (items < 2 * grain) fn(&j, 0, items);
    else tfci_parallel_for(tfci_kctx_pool(k), items, grain, fn, &j);
    return TFC_OK;
}

static tfc_code k_uniform(tfci_kctx *k) { return run_random(k, uniform_range, false); }
static tfc_code k_normal(tfci_kctx *k) { return run_random(k, normal_range, true); }
static tfc_code k_truncated(tfci_kctx *k) { return run_random(k, truncated_range, false); }

#define RANDOM_FLAGS (TFCI_OP_STATEFUL | TFCI_OP_NOT_DIFFERENTIABLE)
const tfci_op_def tfci_random_ops[] = {
    {"RandomUniform", 0, 0, shape_random, k_uniform, NULL, RANDOM_FLAGS},
    {"RandomStandardNormal", 0, 0, shape_random, k_normal, NULL, RANDOM_FLAGS},
    {"TruncatedNormal", 0, 0, shape_random, k_truncated, NULL, RANDOM_FLAGS},
};
const int tfci_random_ops_count = sizeof tfci_random_ops / sizeof tfci_random_ops[0];

/* ---- typed constructors ---- */

static tfc_output random_op(tfc_graph *g, const char *type, tfc_dtype dtype, const int64_t *dims, int rank,
                            double scale, double offset, int64_t seed, const char *name)
{
    tfc_op_builder *b = tfci_builder(g, type, name);
    if (!b) return TFCI_NO_OUTPUT;
    tfc_op_builder_set_attr_type(b, "dtype", dtype);
    tfc_op_builder_set_attr_shape(b, "shape", dims, rank);
    tfc_op_builder_set_attr_int(b, "seed", seed);
    tfc_op_builder_set_attr_int(b, "seed2", 0);
    tfc_op_builder_set_attr_float(b, "scale", (float)scale);
    tfc_op_builder_set_attr_float(b, "offset", (float)offset);
    return tfci_finish(g, b);
}

TFC_API tfc_output tfc_random_uniform(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double minval,
                                      double maxval, int64_t seed, const char *name)
{
    if (g && !g->status && !(minval <= maxval)) {
        tfci_graph_fail(g, tfci_error(TFC_INVALID_ARGUMENT, "%s: minval (%g) must not exceed maxval (%g)",
                                      name ? name : "RandomUniform", minval, maxval));
        return TFCI_NO_OUTPUT;
    }
    return random_op(g, "RandomUniform", dtype, dims, rank, maxval - minval, minval, seed, name);
}

TFC_API tfc_output tfc_random_normal(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double mean,
                                     double stddev, int64_t seed, const char *name)
{
    return random_op(g, "RandomStandardNormal", dtype, dims, rank, stddev, mean, seed, name);
}

TFC_API tfc_output tfc_truncated_normal(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, double mean,
                                        double stddev, int64_t seed, const char *name)
{
    return random_op(g, "TruncatedNormal", dtype, dims, rank, stddev, mean, seed, name);
}

TFC_API tfc_output tfc_glorot_uniform(tfc_graph *g, tfc_dtype dtype, const int64_t *dims, int rank, int64_t seed,
                                      const char *name)
{
    /* fans as Keras computes them; a bad shape is reported by the op itself */
    double fan_in = 1, fan_out = 1;
    if (rank == 1 && dims) {
        fan_in = fan_out = (double)dims[0];
    } else if (rank == 2 && dims) {
        fan_in = (double)dims[0];
        fan_out = (double)dims[1];
    } else if (rank > 2 && rank <= TFC_MAX_RANK && dims) {
        double receptive = 1;
        for (int i = 0; i < rank - 2; i++) receptive *= (double)dims[i];
        fan_in = (double)dims[rank - 2] * receptive;
        fan_out = (double)dims[rank - 1] * receptive;
    }
    /* Keras' VarianceScaling(1, fan_avg, uniform): limit = sqrt(3 / max(1, (fan_in + fan_out) / 2)) */
    double avg = (fan_in + fan_out) / 2;
    double limit = sqrt(3.0 / (avg > 1 ? avg : 1));
    return random_op(g, "RandomUniform", dtype, dims, rank, 2 * limit, -limit, seed,
                     name ? name : "glorot_uniform");
}
