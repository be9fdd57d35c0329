/* Results of evaluate (metric name -> value) and predict (prediction key ->
 * tensor over every example), built batch by batch by the estimator. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"

struct tfc_eval_results {
    int n, cap;
    char **names;
    double *values;
};

tfc_code tfci_eval_results_new(tfc_eval_results **out) {
    *out = calloc(1, sizeof **out);
    return *out ? TFC_OK : tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for evaluation results");
}

/* Keeps the names sorted, as TensorFlow's result dict prints. */
tfc_code tfci_eval_results_add(tfc_eval_results *r, const char *name, double value) {
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->names[i], name) == 0) {
            r->values[i] = value;
            return TFC_OK;
        }
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        char **names = realloc(r->names, (size_t)cap * sizeof *names);
        if (!names) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for evaluation results");
        r->names = names;
        double *values = realloc(r->values, (size_t)cap * sizeof *values);
        if (!values) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for evaluation results");
        r->values = values;
        r->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for evaluation results");
    int at = r->n;
    while (at > 0 && strcmp(r->names[at - 1], name) > 0) {
        r->names[at] = r->names[at - 1];
        r->values[at] = r->values[at - 1];
        at--;
    }
    r->names[at] = copy;
    r->values[at] = value;
    r->n++;
    return TFC_OK;
}

void tfc_eval_results_free(tfc_eval_results *r) {
    if (!r) return;
    for (int i = 0; i < r->n; i++) free(r->names[i]);
    free(r->names);
    free(r->values);
    free(r);
}

int tfc_eval_results_count(const tfc_eval_results *r) { return r ? r->n : 0; }

const char *tfc_eval_results_name(const tfc_eval_results *r, int i) {
    return r && i >= 0 && i < r->n ? r->names[i] : NULL;
}

double tfc_eval_results_value(const tfc_eval_results *r, int i) {
    return r && i >= 0 && i < r->n ? r->values[i] : 0.0;
}

tfc_code tfc_eval_results_get(const tfc_eval_results *r, const char *name, double *value) {
    if (!r || !name || !value) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_eval_results_get: NULL argument");
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->names[i], name) == 0) {
            *value = r->values[i];
            return TFC_OK;
        }
    return tfci_error(TFC_NOT_FOUND, "evaluation results have no metric '%s'", name);
}

/* ---- predictions ---- */

typedef struct pred_key {
    char *name;
    tfc_tensor **parts; /* one per batch until finished, then parts[0] is the whole */
    int nparts, cap;
} pred_key;

struct tfc_predictions {
    pred_key *keys;
    int n;
    int64_t rows;
    bool finished;
};

tfc_code tfci_predictions_new(tfc_predictions **out) {
    *out = calloc(1, sizeof **out);
    return *out ? TFC_OK : tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for predictions");
}

tfc_code tfci_predictions_append(tfc_predictions *p, const char *const *keys, tfc_tensor *const *tensors, int n,
                                 int64_t rows) {
    if (!p->keys) {
        p->keys = calloc((size_t)n, sizeof *p->keys);
        if (!p->keys) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for predictions");
        for (int i = 0; i < n; i++) {
            p->keys[i].name = strdup(keys[i]);
            if (!p->keys[i].name) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for predictions");
            p->n++;
        }
    }
    if (n != p->n) return tfci_error(TFC_INTERNAL, "predictions: %d keys in a batch, %d before", n, p->n);
    for (int i = 0; i < n; i++) {
        pred_key *k = &p->keys[i];
        if (k->nparts == k->cap) {
            int cap = k->cap ? 2 * k->cap : 8;
            tfc_tensor **parts = realloc(k->parts, (size_t)cap * sizeof *parts);
            if (!parts) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for predictions");
            k->parts = parts;
            k->cap = cap;
        }
        k->parts[k->nparts++] = tfc_tensor_retain(tensors[i]);
    }
    p->rows += rows;
    return TFC_OK;
}

/* Concatenates parts along dimension 0 into one new tensor. */
static tfc_code concat_parts(tfc_tensor *const *parts, int nparts, tfc_tensor **out) {
    const tfc_tensor *first = parts[0];
    int64_t dims[TFC_MAX_RANK];
    memcpy(dims, first->dims, sizeof dims);
    dims[0] = 0;
    for (int i = 0; i < nparts; i++) dims[0] += parts[i]->dims[0];
    if (first->dtype != TFC_STRING) {
        tfc_tensor *t;
        tfc_code c = tfci_tensor_alloc(first->dtype, dims, first->rank, &t);
        if (c) return c;
        char *dst = t->data;
        for (int i = 0; i < nparts; i++) {
            memcpy(dst, parts[i]->data, parts[i]->bytes);
            dst += parts[i]->bytes;
        }
        *out = t;
        return TFC_OK;
    }
    int64_t total = tfci_num_elements(dims, first->rank);
    const char **strs = malloc((size_t)(total ? total : 1) * sizeof *strs);
    size_t *lens = malloc((size_t)(total ? total : 1) * sizeof *lens);
    if (!strs || !lens) {
        free(strs);
        free(lens);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for predictions");
    }
    int64_t at = 0;
    for (int i = 0; i < nparts; i++) {
        const tfci_tstring *s = parts[i]->data;
        for (int64_t j = 0; j < parts[i]->n; j++, at++) {
            strs[at] = s[j].ptr;
            lens[at] = s[j].len;
        }
    }
    tfc_code c = tfc_tensor_new_strings(dims, first->rank, strs, lens, out);
    free(strs);
    free(lens);
    return c;
}

tfc_code tfci_predictions_finish(tfc_predictions *p) {
    if (p->finished) return TFC_OK;
    for (int i = 0; i < p->n; i++) {
        pred_key *k = &p->keys[i];
        if (k->nparts <= 1) continue;
        tfc_tensor *whole;
        tfc_code c = concat_parts(k->parts, k->nparts, &whole);
        if (c) return c;
        for (int j = 0; j < k->nparts; j++) tfc_tensor_free(k->parts[j]);
        k->parts[0] = whole;
        k->nparts = 1;
    }
    p->finished = true;
    return TFC_OK;
}

void tfc_predictions_free(tfc_predictions *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        for (int j = 0; j < p->keys[i].nparts; j++) tfc_tensor_free(p->keys[i].parts[j]);
        free(p->keys[i].parts);
        free(p->keys[i].name);
    }
    free(p->keys);
    free(p);
}

int64_t tfc_predictions_rows(const tfc_predictions *p) { return p ? p->rows : 0; }
int tfc_predictions_count(const tfc_predictions *p) { return p ? p->n : 0; }

const char *tfc_predictions_name(const tfc_predictions *p, int i) {
    return p && i >= 0 && i < p->n ? p->keys[i].name : NULL;
}

const tfc_tensor *tfc_predictions_tensor(const tfc_predictions *p, int i) {
    return p && i >= 0 && i < p->n && p->keys[i].nparts ? p->keys[i].parts[0] : NULL;
}

const tfc_tensor *tfc_predictions_get(const tfc_predictions *p, const char *key) {
    if (!p || !key) return NULL;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->keys[i].name, key) == 0) return tfc_predictions_tensor(p, i);
    return NULL;
}
