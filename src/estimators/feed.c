/* Turns an input batch into a model's feeds: features matched to the raw
 * placeholders by key, numbers converted to the placeholder's dtype (a CSV
 * integer column feeding a float numeric column), labels checked. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"

tfc_code tfci_feeds_init(tfci_feeds *f, int cap)
{
    memset(f, 0, sizeof *f);
    f->outs = malloc((size_t)cap * sizeof *f->outs);
    f->vals = malloc((size_t)cap * sizeof *f->vals);
    f->owned = malloc((size_t)cap * sizeof *f->owned);
    f->cap = cap;
    if (!f->outs || !f->vals || !f->owned) {
        tfci_feeds_free(f);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for feeds");
    }
    return TFC_OK;
}

void tfci_feeds_clear(tfci_feeds *f)
{
    for (int i = 0; i < f->nowned; i++) tfc_tensor_free(f->owned[i]);
    f->nowned = 0;
    f->n = 0;
}

void tfci_feeds_free(tfci_feeds *f)
{
    if (f->owned) tfci_feeds_clear(f);
    free(f->outs);
    free(f->vals);
    free(f->owned);
    memset(f, 0, sizeof *f);
}

static double get_real(const tfc_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TFC_FLOAT: return ((const float *)t->data)[i];
    case TFC_DOUBLE: return ((const double *)t->data)[i];
    case TFC_INT32: return ((const int32_t *)t->data)[i];
    case TFC_INT64: return (double)((const int64_t *)t->data)[i];
    case TFC_INT16: return ((const int16_t *)t->data)[i];
    case TFC_INT8: return ((const int8_t *)t->data)[i];
    case TFC_UINT8: return ((const uint8_t *)t->data)[i];
    case TFC_BOOL: return ((const bool *)t->data)[i];
    default: return NAN;
    }
}

static bool is_number(tfc_dtype dt)
{
    return dt == TFC_FLOAT || dt == TFC_DOUBLE || dt == TFC_INT32 || dt == TFC_INT64 || dt == TFC_INT16 ||
           dt == TFC_INT8 || dt == TFC_UINT8 || dt == TFC_BOOL;
}

/* A new tensor of dtype `to` and shape dims/rank holding t's values. */
static tfc_code convert(const tfc_tensor *t, tfc_dtype to, const int64_t *dims, int rank, tfc_tensor **out)
{
    tfc_tensor *c;
    tfc_code code = tfci_tensor_alloc(to, dims, rank, &c);
    if (code) return code;
    int64_t n = t->n;
    if (to == TFC_FLOAT) {
        float *d = c->data;
        if (t->dtype == TFC_INT64)
            for (int64_t i = 0; i < n; i++) d[i] = (float)((const int64_t *)t->data)[i];
        else if (t->dtype == TFC_INT32)
            for (int64_t i = 0; i < n; i++) d[i] = (float)((const int32_t *)t->data)[i];
        else
            for (int64_t i = 0; i < n; i++) d[i] = (float)get_real(t, i);
    } else if (to == TFC_DOUBLE) {
        double *d = c->data;
        for (int64_t i = 0; i < n; i++) d[i] = get_real(t, i);
    } else if (to == TFC_INT64) {
        int64_t *d = c->data;
        if (t->dtype == TFC_INT32)
            for (int64_t i = 0; i < n; i++) d[i] = ((const int32_t *)t->data)[i];
        else
            for (int64_t i = 0; i < n; i++) d[i] = (int64_t)get_real(t, i);
    } else if (to == TFC_INT32) {
        int32_t *d = c->data;
        for (int64_t i = 0; i < n; i++) d[i] = (int32_t)get_real(t, i);
    } else {
        tfc_tensor_free(c);
        return tfci_error(TFC_INTERNAL, "cannot convert to %s", tfc_dtype_name(to));
    }
    *out = c;
    return TFC_OK;
}

/* The same values viewed with another shape (no copy; valid while t lives). */
static tfc_code view(tfc_tensor *t, const int64_t *dims, int rank, tfc_tensor **out)
{
    if (t->dtype != TFC_STRING) return tfc_tensor_new_borrowed(t->dtype, dims, rank, t->data, t->bytes, NULL, NULL, out);
    /* Strings point into their tensor's storage: copy, then reshape the copy. */
    tfc_code c = tfci_tensor_copy_to_new(t, out);
    if (c) return c;
    (*out)->rank = rank;
    memcpy((*out)->dims, dims, (size_t)rank * sizeof *dims);
    return TFC_OK;
}

static tfc_code add_feed(tfci_feeds *f, tfc_output o, tfc_tensor *v, bool owned)
{
    if (f->n == f->cap) return tfci_error(TFC_INTERNAL, "too many feeds");
    f->outs[f->n] = o;
    f->vals[f->n++] = v;
    if (owned) f->owned[f->nowned++] = v;
    return TFC_OK;
}

/* Feeds value to placeholder o (what names it in errors), converting its
 * dtype and shape: the batch's [rows] or [rows, 1] or [rows, d...] to the
 * placeholder's [None] or [None, d...]. */
static tfc_code feed_one(const tfci_model *m, tfci_feeds *f, tfc_output o, tfc_tensor *v, int64_t rows,
                         const char *what)
{
    int64_t pd[TFC_MAX_RANK];
    int pr;
    tfc_code c = tfc_graph_output_shape(m->g, o, pd, &pr);
    if (c) return c;
    tfc_dtype want = tfc_output_dtype(o);
    if (v->rank < 1 || v->dims[0] != rows)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: %" PRId64 " rows expected, the input gives a tensor of rank %d%s",
                          what, rows, v->rank, v->rank >= 1 ? " with another row count" : "");
    int64_t dims[TFC_MAX_RANK];
    dims[0] = rows;
    int64_t per_row = v->n / (rows ? rows : 1);
    int64_t want_per_row = 1;
    for (int i = 1; i < pr; i++) {
        dims[i] = pd[i] >= 0 ? pd[i] : (pr == 2 ? per_row : pd[i]);
        want_per_row *= dims[i];
    }
    if (rows && per_row != want_per_row) {
        char b1[64], b2[64];
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: the model expects shape %s, the input gives %s", what,
                          tfci_shape_str(pd, pr, b1, sizeof b1), tfci_shape_str(v->dims, v->rank, b2, sizeof b2));
    }
    bool same_shape = v->rank == pr;
    for (int i = 1; same_shape && i < pr; i++) same_shape = v->dims[i] == dims[i];
    if (v->dtype == want) {
        if (same_shape) return add_feed(f, o, v, false);
        tfc_tensor *w = NULL;
        if ((c = view(v, dims, pr, &w))) return c;
        return add_feed(f, o, w, true);
    }
    if (want == TFC_STRING || v->dtype == TFC_STRING || !is_number(v->dtype))
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: the model expects %s values, the input gives %s", what,
                          tfc_dtype_name(want), tfc_dtype_name(v->dtype));
    tfc_tensor *w = NULL;
    if ((c = convert(v, want, dims, pr, &w))) return c;
    return add_feed(f, o, w, true);
}

static tfc_code check_labels(const tfci_model *m, const tfc_tensor *l)
{
    for (int64_t i = 0; i < l->n; i++) {
        double v = get_real(l, i);
        if (!isfinite(v))
            return tfci_error(TFC_INVALID_ARGUMENT, "label of example %" PRId64 " in the batch is %g: labels must be "
                              "finite", i, v);
        if (m->kind == TFC_HEAD_REGRESSION) continue;
        int n = m->kind == TFC_HEAD_BINARY ? 2 : m->head_n;
        if (v != floor(v) || v < 0 || v >= n)
            return tfci_error(TFC_INVALID_ARGUMENT, "label %g of example %" PRId64 " in the batch is not a class id "
                              "in [0, %d)", v, i, n);
    }
    return TFC_OK;
}

tfc_code tfci_feeds_from_batch(const tfci_model *m, const tfci_batch *b, bool with_labels, tfci_feeds *f)
{
    tfci_feeds_clear(f);
    tfc_code c = TFC_OK;
    char what[300];
    int nf = tfc_features_count(m->features);
    for (int i = 0; i < nf && !c; i++) {
        const char *key = tfc_features_key(m->features, i);
        int j = 0;
        while (j < b->n && strcmp(b->keys[j], key) != 0) j++;
        if (j == b->n) {
            /* A weight column is only needed where there are labels. */
            if (!with_labels && m->weights.op && tfc_features_get(m->features, key).op == m->weights.op) continue;
            char have[512];
            size_t at = 0;
            have[0] = 0;
            for (int k = 0; k < b->n && at + 4 < sizeof have; k++)
                at += (size_t)snprintf(have + at, sizeof have - at, "%s%s", k ? ", " : "", b->keys[k]);
            return tfci_error(TFC_INVALID_ARGUMENT, "feature '%s' is read by the model but the input has no such "
                              "feature (it has: %s)", key, b->n ? have : "none");
        }
        snprintf(what, sizeof what, "feature '%s'", key);
        c = feed_one(m, f, tfc_features_get(m->features, key), b->features[j], b->rows, what);
    }
    if (!c && m->rows_input.op) {
        tfc_tensor *z;
        int64_t d = b->rows;
        if (!(c = tfc_tensor_new(TFC_FLOAT, &d, 1, NULL, 0, &z))) c = add_feed(f, m->rows_input, z, true);
    }
    if (!c && with_labels) {
        if (!b->labels)
            return tfci_error(TFC_INVALID_ARGUMENT, "the input has no labels (give a label column) but training and "
                              "evaluation need them");
        if ((c = check_labels(m, b->labels))) return c;
        c = feed_one(m, f, m->labels, b->labels, b->rows, "labels");
    }
    return c;
}

tfc_code tfci_for_each_batch(tfc_input *input, const tfci_model *m, bool with_labels, int64_t max_batches,
                             tfci_batch_fn fn, void *arg, int64_t *examples)
{
    if (examples) *examples = 0;
    tfci_input_pass *pass = NULL;
    tfci_feeds feeds = {0};
    tfc_code c = tfci_input_open(input, &pass);
    if (!c) c = tfci_feeds_init(&feeds, tfc_features_count(m->features) + 3);
    for (int64_t batches = 0; !c && (!max_batches || batches < max_batches);) {
        tfci_batch b;
        c = tfci_input_next(pass, &b);
        if (c == TFC_OUT_OF_RANGE) {
            c = TFC_OK;
            break;
        }
        if (c || b.rows == 0) continue;
        if ((c = tfci_feeds_from_batch(m, &b, with_labels, &feeds)) || (c = fn(&b, &feeds, arg))) break;
        batches++;
        if (examples) *examples += b.rows;
    }
    tfci_feeds_free(&feeds);
    if (pass) tfci_input_close(pass);
    return c;
}
