/* Evaluation metrics of the estimator heads, accumulated in C across
 * evaluation batches (TensorFlow keeps them in metric variables; here the
 * session returns values and we sum them). Keys and formulas follow
 * tf.estimator's heads and tf.keras.metrics (AUC with 200 thresholds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "tfc/head.h"

/* Keras AUC's default num_thresholds. */
#define NT 200

/* Per kind, the keys in tfc_metrics_name order (sorted, like TF's dict). */
enum {
    K_ACCURACY,
    K_ACCURACY_BASELINE,
    K_AUC,
    K_AUC_PR,
    K_AVERAGE_LOSS,
    K_LABEL_MEAN,
    K_LOSS,
    K_PRECISION,
    K_PREDICTION_MEAN,
    K_RECALL,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {"accuracy",       "accuracy_baseline", "auc",  "auc_precision_recall",
                                               "average_loss",   "label/mean",        "loss", "precision",
                                               "prediction/mean", "recall"};
static const int binary_keys[] = {K_ACCURACY,     K_ACCURACY_BASELINE, K_AUC,  K_AUC_PR,          K_AVERAGE_LOSS,
                                  K_LABEL_MEAN,   K_LOSS,              K_PRECISION, K_PREDICTION_MEAN, K_RECALL};
static const int multi_keys[] = {K_ACCURACY, K_AVERAGE_LOSS, K_LOSS};
static const int regression_keys[] = {K_AVERAGE_LOSS, K_LABEL_MEAN, K_LOSS, K_PREDICTION_MEAN};

struct tfc_metrics {
    tfc_head_kind kind;
    int n_classes; /* multi-class classes, regression label dimension */
    const int *keys;
    int nkeys;
    float thresholds[NT];
    /* Weighted sums. */
    double w_sum;       /* sum of weights over examples */
    double w_elems;     /* sum of weights over elements (regression: times dim) */
    double correct;     /* weighted correct predictions */
    double label_sum, pred_sum, loss_sum;
    double tp05, fp05, fn05;
    double pos_hist[NT + 1], neg_hist[NT + 1]; /* by number of thresholds below p */
    double batch_loss_sum;
    int64_t batches;
};

/* Keras: thresholds (i+1)/(nt-1) for i < nt-2, bracketed by -eps and 1+eps,
 * computed in double (Python floats) and rounded to float32 like Keras's tensor. */
static void init_thresholds(float *t)
{
    const double eps = 1e-7;
    t[0] = (float)(0.0 - eps);
    for (int i = 1; i < NT - 1; i++) t[i] = (float)((double)i * 1.0 / (double)(NT - 1));
    t[NT - 1] = (float)(1.0 + eps);
}

tfc_code tfc_metrics_new(tfc_head_kind kind, int n_classes, tfc_metrics **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_new: out is NULL");
    *out = NULL;
    const int *keys;
    int nkeys;
    switch (kind) {
    case TFC_HEAD_BINARY:
        if (n_classes != 0 && n_classes != 2)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_new: binary head needs n_classes 2 (or 0), got %d",
                              n_classes);
        n_classes = 2;
        keys = binary_keys;
        nkeys = (int)(sizeof binary_keys / sizeof *binary_keys);
        break;
    case TFC_HEAD_MULTI_CLASS:
        if (n_classes < 2)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_new: multi-class head needs n_classes >= 2, got %d",
                              n_classes);
        keys = multi_keys;
        nkeys = (int)(sizeof multi_keys / sizeof *multi_keys);
        break;
    case TFC_HEAD_REGRESSION:
        if (n_classes < 1)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_metrics_new: regression head needs a label dimension >= 1, got %d", n_classes);
        keys = regression_keys;
        nkeys = (int)(sizeof regression_keys / sizeof *regression_keys);
        break;
    default: return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_new: unknown head kind %d", (int)kind);
    }
    tfc_metrics *m = calloc(1, sizeof *m);
    if (!m) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_metrics_new: out of memory");
    m->kind = kind;
    m->n_classes = n_classes;
    m->keys = keys;
    m->nkeys = nkeys;
    init_thresholds(m->thresholds);
    *out = m;
    return TFC_OK;
}

void tfc_metrics_free(tfc_metrics *m) { free(m); }

void tfc_metrics_reset(tfc_metrics *m)
{
    if (!m) return;
    tfc_head_kind kind = m->kind;
    int n = m->n_classes;
    const int *keys = m->keys;
    int nkeys = m->nkeys;
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->n_classes = n;
    m->keys = keys;
    m->nkeys = nkeys;
    init_thresholds(m->thresholds);
}

/* Element i of a real or integer tensor as a double. */
static double elem(const tfc_tensor *t, int64_t i)
{
    const void *d = tfc_tensor_data(t);
    switch (tfc_tensor_dtype(t)) {
    case TFC_FLOAT: return ((const float *)d)[i];
    case TFC_DOUBLE: return ((const double *)d)[i];
    case TFC_INT32: return ((const int32_t *)d)[i];
    case TFC_INT64: return (double)((const int64_t *)d)[i];
    case TFC_INT16: return ((const int16_t *)d)[i];
    case TFC_INT8: return ((const int8_t *)d)[i];
    case TFC_UINT8: return ((const uint8_t *)d)[i];
    case TFC_BOOL: return ((const bool *)d)[i] ? 1.0 : 0.0;
    default: return NAN;
    }
}

static tfc_code check_tensor(const tfc_tensor *t, const char *what, int64_t want)
{
    if (!t) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: %s is NULL", what);
    tfc_dtype dt = tfc_tensor_dtype(t);
    if (dt == TFC_STRING || dt == TFC_INVALID_DTYPE)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: %s must be a real or integer tensor, got %s",
                          what, tfc_dtype_name(dt));
    if (tfc_tensor_num_elements(t) != want)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: %s has %lld elements, expected %lld", what,
                          (long long)tfc_tensor_num_elements(t), (long long)want);
    return TFC_OK;
}

/* Index of the first maximum of row r (NaN never wins), as argmax does. */
static int64_t row_argmax(const tfc_tensor *t, int64_t r, int64_t c)
{
    int64_t best = 0;
    double bv = elem(t, r * c);
    for (int64_t j = 1; j < c; j++) {
        double v = elem(t, r * c + j);
        if (v > bv || (isnan(bv) && !isnan(v))) {
            bv = v;
            best = j;
        }
    }
    return best;
}

/* Number of thresholds strictly below p (p is positive for threshold t when p > t). */
static int bucket_of(const float *thr, float p)
{
    int lo = 0, hi = NT; /* answer in [lo, hi] */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (p > thr[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

tfc_code tfc_metrics_update(tfc_metrics *m, const tfc_tensor *predictions, const tfc_tensor *labels,
                            const tfc_tensor *weights, const tfc_tensor *example_loss, double batch_loss)
{
    if (!m) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: metrics is NULL");
    if (!labels) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: labels is NULL");
    int64_t per = (m->kind == TFC_HEAD_BINARY) ? 1 : m->n_classes; /* prediction values per example */
    int64_t lper = (m->kind == TFC_HEAD_REGRESSION) ? m->n_classes : 1;
    int64_t nl = tfc_tensor_num_elements(labels);
    if (nl % lper != 0)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_metrics_update: labels have %lld elements, not a multiple of the label dimension %lld",
                          (long long)nl, (long long)lper);
    int64_t n = nl / lper;
    tfc_code c;
    if ((c = check_tensor(labels, "labels", n * lper)) != TFC_OK) return c;
    if ((c = check_tensor(predictions, "predictions", n * per)) != TFC_OK) return c;
    if ((c = check_tensor(example_loss, "example_loss", n * lper)) != TFC_OK) return c;
    if (weights && (c = check_tensor(weights, "weights", n)) != TFC_OK) return c;
    if (!isfinite(batch_loss))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: batch_loss is not finite (%g)", batch_loss);

    /* Validate everything before accumulating, so a bad batch leaves m unchanged. */
    for (int64_t i = 0; i < n; i++) {
        double w = weights ? elem(weights, i) : 1.0;
        if (!(w >= 0.0) || isinf(w))
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_update: weight %lld is %g, expected finite >= 0",
                              (long long)i, w);
        if (m->kind == TFC_HEAD_BINARY) {
            double y = elem(labels, i), p = elem(predictions, i);
            if (y != 0.0 && y != 1.0)
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "tfc_metrics_update: binary label %lld is %g, expected 0 or 1", (long long)i, y);
            if (!(p >= 0.0 && p <= 1.0))
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "tfc_metrics_update: binary prediction %lld is %g, expected a probability in [0, 1]",
                                  (long long)i, p);
        } else if (m->kind == TFC_HEAD_MULTI_CLASS) {
            double y = elem(labels, i);
            if (!(y >= 0.0 && y < (double)m->n_classes) || y != floor(y))
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "tfc_metrics_update: class label %lld is %g, expected an id in [0, %d)",
                                  (long long)i, y, m->n_classes);
        }
    }

    for (int64_t i = 0; i < n; i++) {
        double w = weights ? elem(weights, i) : 1.0;
        m->w_sum += w;
        switch (m->kind) {
        case TFC_HEAD_BINARY: {
            double y = elem(labels, i);
            float p = (float)elem(predictions, i); /* Keras compares in float32 */
            bool pos = p > 0.5f;
            m->w_elems += w;
            m->label_sum += w * y;
            m->pred_sum += w * (double)p;
            m->loss_sum += w * elem(example_loss, i);
            if ((double)pos == y) m->correct += w;
            if (y != 0.0) {
                if (pos)
                    m->tp05 += w;
                else
                    m->fn05 += w;
                m->pos_hist[bucket_of(m->thresholds, p)] += w;
            } else {
                if (pos) m->fp05 += w;
                m->neg_hist[bucket_of(m->thresholds, p)] += w;
            }
            break;
        }
        case TFC_HEAD_MULTI_CLASS:
            m->w_elems += w;
            m->loss_sum += w * elem(example_loss, i);
            if ((double)row_argmax(predictions, i, per) == elem(labels, i)) m->correct += w;
            break;
        case TFC_HEAD_REGRESSION:
            for (int64_t j = 0; j < lper; j++) {
                m->w_elems += w;
                m->label_sum += w * elem(labels, i * lper + j);
                m->pred_sum += w * elem(predictions, i * lper + j);
                m->loss_sum += w * elem(example_loss, i * lper + j);
            }
            break;
        }
    }
    m->batch_loss_sum += batch_loss;
    m->batches++;
    return TFC_OK;
}

/* tf.math.divide_no_nan, as Keras uses for its ratios. */
static double div_no_nan(double a, double b) { return b == 0.0 ? 0.0 : a / b; }

/* Confusion counts at each threshold from the bucket histograms. */
static void confusion(const tfc_metrics *m, double *tp, double *fp, double *fn, double *tn)
{
    double wpos = 0, wneg = 0;
    for (int k = 0; k <= NT; k++) {
        wpos += m->pos_hist[k];
        wneg += m->neg_hist[k];
    }
    /* p is positive at threshold j iff bucket k > j. */
    double tpa = 0, fpa = 0;
    for (int j = NT - 1; j >= 0; j--) {
        tpa += m->pos_hist[j + 1];
        fpa += m->neg_hist[j + 1];
        tp[j] = tpa;
        fp[j] = fpa;
        fn[j] = wpos - tpa;
        tn[j] = wneg - fpa;
    }
}

/* Keras AUC(curve='ROC', summation_method='interpolation'). */
static double roc_auc(const double *tp, const double *fp, const double *fn, const double *tn)
{
    double s = 0;
    for (int i = 0; i < NT - 1; i++) {
        double x0 = div_no_nan(fp[i], fp[i] + tn[i]), x1 = div_no_nan(fp[i + 1], fp[i + 1] + tn[i + 1]);
        double y0 = div_no_nan(tp[i], tp[i] + fn[i]), y1 = div_no_nan(tp[i + 1], tp[i + 1] + fn[i + 1]);
        s += (x0 - x1) * (y0 + y1) / 2.0;
    }
    return s;
}

/* Keras interpolate_pr_auc (Davis & Goadrich careful interpolation). */
static double pr_auc(const double *tp, const double *fp, const double *fn)
{
    double s = 0;
    for (int i = 0; i < NT - 1; i++) {
        double dtp = tp[i] - tp[i + 1];
        double p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
        double dp = p0 - p1;
        double slope = div_no_nan(dtp, dp > 0 ? dp : 0);
        double intercept = tp[i + 1] - slope * p1;
        double ratio = (p0 > 0 && p1 > 0) ? div_no_nan(p0, p1) : 1.0;
        double denom = tp[i + 1] + fn[i + 1];
        s += div_no_nan(slope * (dtp + intercept * log(ratio)), denom > 0 ? denom : 0);
    }
    return s;
}

int tfc_metrics_count(const tfc_metrics *m) { return m ? m->nkeys : 0; }

const char *tfc_metrics_name(const tfc_metrics *m, int i)
{
    if (!m || i < 0 || i >= m->nkeys) return NULL;
    return key_names[m->keys[i]];
}

static double key_value(const tfc_metrics *m, int key)
{
    double mean_div = m->w_elems > 0 ? m->w_elems : NAN;
    switch (key) {
    case K_ACCURACY: return m->w_sum > 0 ? m->correct / m->w_sum : NAN;
    case K_ACCURACY_BASELINE: {
        double lm = m->label_sum / mean_div;
        return lm > 1.0 - lm ? lm : 1.0 - lm;
    }
    case K_AUC:
    case K_AUC_PR: {
        double tp[NT], fp[NT], fn[NT], tn[NT];
        confusion(m, tp, fp, fn, tn);
        return key == K_AUC ? roc_auc(tp, fp, fn, tn) : pr_auc(tp, fp, fn);
    }
    case K_AVERAGE_LOSS: return m->loss_sum / mean_div;
    case K_LABEL_MEAN: return m->label_sum / mean_div;
    case K_LOSS: return m->batches > 0 ? m->batch_loss_sum / (double)m->batches : NAN;
    case K_PRECISION: return div_no_nan(m->tp05, m->tp05 + m->fp05);
    case K_PREDICTION_MEAN: return m->pred_sum / mean_div;
    case K_RECALL: return div_no_nan(m->tp05, m->tp05 + m->fn05);
    default: return NAN;
    }
}

double tfc_metrics_value(const tfc_metrics *m, int i)
{
    if (!m || i < 0 || i >= m->nkeys) return NAN;
    return key_value(m, m->keys[i]);
}

tfc_code tfc_metrics_get(const tfc_metrics *m, const char *name, double *value)
{
    if (!m || !name || !value) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_get: NULL argument");
    for (int i = 0; i < m->nkeys; i++) {
        if (strcmp(key_names[m->keys[i]], name) == 0) {
            *value = key_value(m, m->keys[i]);
            return TFC_OK;
        }
    }
    return tfci_error(TFC_NOT_FOUND, "tfc_metrics_get: no metric '%s' for this head", name);
}

typedef struct scored {
    double s, w;
    bool pos;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

tfc_code tfc_metrics_exact_auc(int64_t n, const double *scores, const double *labels, const double *weights,
                               double *auc)
{
    if (!auc || n < 0 || (n > 0 && (!scores || !labels)))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_exact_auc: bad arguments");
    *auc = NAN;
    if (n == 0) return TFC_OK;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(scores[i])) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_exact_auc: score %lld is NaN", (long long)i);
        if (weights && !(weights[i] >= 0))
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_metrics_exact_auc: weight %lld is negative or NaN",
                              (long long)i);
    }
    scored *v = malloc((size_t)n * sizeof *v);
    if (!v) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_metrics_exact_auc: out of memory");
    for (int64_t i = 0; i < n; i++) v[i] = (scored){scores[i], weights ? weights[i] : 1.0, labels[i] != 0};
    qsort(v, (size_t)n, sizeof *v, cmp_scored);
    /* Ascending scores: each positive beats the negatives below it; ties count one half. */
    double neg_below = 0, wpos = 0, sum = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        double gp = 0, gn = 0;
        while (j < n && v[j].s == v[i].s) {
            if (v[j].pos)
                gp += v[j].w;
            else
                gn += v[j].w;
            j++;
        }
        sum += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        wpos += gp;
        i = j;
    }
    free(v);
    if (wpos > 0 && neg_below > 0) *auc = sum / (wpos * neg_below);
    return TFC_OK;
}
