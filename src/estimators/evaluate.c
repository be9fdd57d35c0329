/* Estimator.evaluate and Estimator.predict: the newest checkpoint restored
 * into the eval / predict graph, then the input streamed through it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"

static tfc_code write_eval_events(tfc_estimator *e, const char *name, const tfc_eval_results *r, int64_t step)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s%s%s", e->model_dir, "eval", name ? "_" : "", name ? name : "");
    tfc_summary_writer_options wo = TFC_SUMMARY_WRITER_OPTIONS_INIT;
    tfc_summary_writer *w = NULL;
    tfc_code c = tfc_summary_writer_new(dir, &wo, &w);
    /* Two evaluations within one second share a file name: tell them apart. */
    char suffix[32];
    for (int i = 1; c == TFC_ALREADY_EXISTS && i < 1000; i++) {
        snprintf(suffix, sizeof suffix, ".%d", i);
        wo.filename_suffix = suffix;
        c = tfc_summary_writer_new(dir, &wo, &w);
    }
    if (c) return c;
    for (int i = 0; i < tfc_eval_results_count(r) && !c; i++)
        if (strcmp(tfc_eval_results_name(r, i), "global_step") != 0)
            c = tfc_summary_writer_add_scalar(w, tfc_eval_results_name(r, i), step,
                                              (float)tfc_eval_results_value(r, i));
    tfc_code cc = tfc_summary_writer_close(w); /* frees w */
    return c ? c : cc;
}

static void log_results(const tfc_eval_results *r, int64_t step)
{
    char line[2048];
    size_t at = 0;
    for (int i = 0; i < tfc_eval_results_count(r) && at + 64 < sizeof line; i++)
        at += (size_t)snprintf(line + at, sizeof line - at, "%s%s = %.6g", i ? ", " : "", tfc_eval_results_name(r, i),
                               tfc_eval_results_value(r, i));
    tfci_log(TFC_LOG_INFO, "Saving dict for global step %" PRId64 ": %s", step, line);
}

typedef struct eval_state {
    tfci_mode_state *ms;
    tfc_metrics *metrics;
} eval_state;

/* One evaluation batch: the head's predictions and losses into the metrics. */
static tfc_code eval_batch(const tfci_batch *b, const tfci_feeds *feeds, void *arg)
{
    (void)b;
    eval_state *st = arg;
    const tfci_model *m = &st->ms->m;
    tfc_output fetches[3] = {m->metric_input, m->example_loss, m->loss};
    tfc_tensor *vals[3] = {NULL, NULL, NULL};
    tfc_code c = tfc_session_run(st->ms->s, feeds->outs, feeds->vals, feeds->n, fetches, vals, 3, NULL, 0);
    if (c) return c;
    double loss = tfc_tensor_dtype(vals[2]) == TFC_DOUBLE ? *(const double *)tfc_tensor_data(vals[2])
                                                           : *(const float *)tfc_tensor_data(vals[2]);
    /* The fed labels and weights are the converted ones the graph saw. */
    const tfc_tensor *labels = feeds->vals[feeds->n - 1];
    const tfc_tensor *weights = NULL;
    for (int i = 0; m->weights.op && i < feeds->n; i++)
        if (feeds->outs[i].op == m->weights.op) weights = feeds->vals[i];
    c = tfc_metrics_update(st->metrics, vals[0], labels, weights, vals[1], loss);
    for (int i = 0; i < 3; i++) tfc_tensor_free(vals[i]);
    return c;
}

tfc_code tfc_estimator_evaluate(tfc_estimator *e, tfc_input *input, int64_t steps, const char *name,
                                tfc_eval_results **out)
{
    if (out) *out = NULL;
    if (!e || !input || !out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_evaluate: NULL argument");
    if (steps < 0) return tfci_error(TFC_INVALID_ARGUMENT, "evaluate: steps must not be negative (0: whole input)");
    if (name && (!name[0] || strchr(name, '/')))
        return tfci_error(TFC_INVALID_ARGUMENT, "evaluate: name '%s' must be non-empty without '/'", name);
    tfci_mode_state *ms;
    tfc_code c = tfci_estimator_mode(e, TFCI_MODE_EVAL, &ms);
    if (c) return c;
    int64_t step = 0;
    if ((c = tfci_estimator_restore_latest(e, ms, &step))) return c;
    tfci_model *m = &ms->m;
    eval_state st = {ms, NULL};
    if ((c = tfc_metrics_new(m->kind, m->kind == TFC_HEAD_BINARY ? 2 : m->head_n, &st.metrics))) return c;
    int64_t examples = 0;
    c = tfci_for_each_batch(input, m, true, steps, eval_batch, &st, &examples);
    if (!c && examples == 0) c = tfci_error(TFC_INVALID_ARGUMENT, "evaluate: the input gave no examples");
    tfc_eval_results *r = NULL;
    if (!c && !(c = tfci_eval_results_new(&r))) {
        for (int i = 0; i < tfc_metrics_count(st.metrics) && !c; i++)
            c = tfci_eval_results_add(r, tfc_metrics_name(st.metrics, i), tfc_metrics_value(st.metrics, i));
        if (!c) c = tfci_eval_results_add(r, "global_step", (double)step);
        if (!c) c = write_eval_events(e, name, r, step);
        if (c) tfc_eval_results_free(r);
        else {
            log_results(r, step);
            *out = r;
        }
    }
    tfc_metrics_free(st.metrics);
    return c;
}

typedef struct predict_state {
    tfci_mode_state *ms;
    tfc_predictions *p;
} predict_state;

/* One prediction batch: every prediction key appended to the results. */
static tfc_code predict_batch(const tfci_batch *b, const tfci_feeds *feeds, void *arg)
{
    predict_state *st = arg;
    const tfci_model *m = &st->ms->m;
    tfc_tensor *vals[TFCI_MAX_PREDICTIONS];
    tfc_code c = tfc_session_run(st->ms->s, feeds->outs, feeds->vals, feeds->n, m->predictions, vals,
                                 m->n_predictions, NULL, 0);
    if (c) return c;
    c = tfci_predictions_append(st->p, m->prediction_names, vals, m->n_predictions, b->rows);
    for (int i = 0; i < m->n_predictions; i++) tfc_tensor_free(vals[i]);
    return c;
}

tfc_code tfc_estimator_predict(tfc_estimator *e, tfc_input *input, tfc_predictions **out)
{
    if (out) *out = NULL;
    if (!e || !input || !out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_predict: NULL argument");
    tfci_mode_state *ms;
    tfc_code c = tfci_estimator_mode(e, TFCI_MODE_PREDICT, &ms);
    if (c) return c;
    int64_t step = 0;
    if ((c = tfci_estimator_restore_latest(e, ms, &step))) return c;
    predict_state st = {ms, NULL};
    if ((c = tfci_predictions_new(&st.p))) return c;
    c = tfci_for_each_batch(input, &ms->m, false, 0, predict_batch, &st, NULL);
    if (!c) c = tfci_predictions_finish(st.p);
    if (c) tfc_predictions_free(st.p);
    else *out = st.p;
    return c;
}
