/* Estimator.export_saved_model with a raw-feature receiver (the census
 * sample's json_serving_input_fn): the predict graph, restored from the
 * newest checkpoint, written as "<base>/<unix seconds>" with TensorFlow's
 * signature keys. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"
#include "tfc/saved_model.h"

/* A signature taking every raw feature; outputs keys[i] -> outs[i]. */
static tfc_code make_signature(const tfci_model *m, const char *key, const char *method, const char *const *keys,
                               const tfc_output *outs, int n, tfc_signature **out)
{
    tfc_signature *sig;
    tfc_code c = tfc_signature_new(key, method, &sig);
    if (c) return c;
    for (int i = 0; i < tfc_features_count(m->features) && !c; i++) {
        const char *k = tfc_features_key(m->features, i);
        if (m->weights.op && tfc_features_get(m->features, k).op == m->weights.op) continue;
        c = tfc_signature_add_input(sig, k, tfc_features_get(m->features, k));
    }
    if (!c && m->rows_input.op) c = tfc_signature_add_input(sig, "baseline_rows", m->rows_input);
    for (int i = 0; i < n && !c; i++) c = tfc_signature_add_output(sig, keys[i], outs[i]);
    if (c) {
        tfc_signature_free(sig);
        return c;
    }
    *out = sig;
    return TFC_OK;
}

static tfc_output prediction(const tfci_model *m, const char *key)
{
    for (int i = 0; i < m->n_predictions; i++)
        if (strcmp(m->prediction_names[i], key) == 0) return m->predictions[i];
    return (tfc_output){NULL, 0};
}

static tfc_code make_signatures(const tfci_model *m, tfc_signature **sigs, int *nsigs)
{
    tfc_code c = make_signature(m, "serving_default", "tensorflow/serving/predict", m->prediction_names,
                                m->predictions, m->n_predictions, &sigs[0]);
    if (!c) c = make_signature(m, "predict", "tensorflow/serving/predict", m->prediction_names, m->predictions,
                               m->n_predictions, &sigs[1]);
    *nsigs = c ? 0 : 2;
    if (c) return c;
    if (m->kind != TFC_HEAD_REGRESSION) {
        const char *keys[2] = {"classes", "scores"};
        tfc_output outs[2] = {prediction(m, "classes"), prediction(m, "probabilities")};
        if ((c = make_signature(m, "classification", "tensorflow/serving/predict", keys, outs, 2, &sigs[2])))
            return c;
        (*nsigs)++;
    }
    if (m->kind != TFC_HEAD_MULTI_CLASS) {
        const char *keys[1] = {"outputs"};
        tfc_output outs[1] = {prediction(m, m->kind == TFC_HEAD_BINARY ? "logistic" : "predictions")};
        if ((c = make_signature(m, "regression", "tensorflow/serving/predict", keys, outs, 1, &sigs[*nsigs])))
            return c;
        (*nsigs)++;
    }
    return TFC_OK;
}

tfc_code tfc_estimator_export(tfc_estimator *e, const char *export_dir_base, char **export_path)
{
    if (export_path) *export_path = NULL;
    if (!e || !export_dir_base || !export_dir_base[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_export: estimator and export_dir_base are required");
    struct stat st;
    if (stat(export_dir_base, &st) == 0 && !S_ISDIR(st.st_mode))
        return tfci_error(TFC_INVALID_ARGUMENT, "export: '%s' exists and is not a directory", export_dir_base);
    tfci_mode_state *ms;
    tfc_code c = tfci_estimator_mode(e, TFCI_MODE_PREDICT, &ms);
    if (c) return c;
    int64_t step = 0;
    if ((c = tfci_estimator_restore_latest(e, ms, &step))) return c;
    tfc_signature *sigs[4] = {NULL, NULL, NULL, NULL};
    int nsigs = 0;
    if ((c = make_signatures(&ms->m, sigs, &nsigs))) goto done;
    size_t len = strlen(export_dir_base) + 32;
    char *dir = malloc(len);
    if (!dir) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    /* TensorFlow names exports by the second; the next free one if taken. */
    long long t = (long long)time(NULL);
    for (;; t++) {
        snprintf(dir, len, "%s/%lld", export_dir_base, t);
        if (stat(dir, &st) != 0) break;
    }
    c = tfc_saved_model_export(ms->s, ms->m.g, dir, sigs, nsigs, NULL);
    if (!c) {
        tfci_log(TFC_LOG_INFO, "Exported the model at global step %" PRId64 " to %s", step, dir);
        if (export_path) *export_path = dir;
        else free(dir);
    } else {
        free(dir);
    }
done:
    for (int i = 0; i < nsigs; i++) tfc_signature_free(sigs[i]);
    return c;
}
