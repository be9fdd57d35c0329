/* The training loop (Estimator.train with TensorFlow's default hooks:
 * NaN loss check, step counter and loss logging, summaries, checkpoint
 * saving) and train_and_evaluate, which evaluates after checkpoint saves. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"
#include "tfc/graph_def.h"

/* Called after each checkpoint save; a failure stops training. */
typedef tfc_code (*after_save_fn)(tfc_estimator *e, int64_t step, bool final, void *arg);

static tfc_code open_train_writer(tfc_estimator *e, tfci_mode_state *ms)
{
    if (e->train_writer) return TFC_OK;
    tfc_summary_writer_options wo = TFC_SUMMARY_WRITER_OPTIONS_INIT;
    wo.flush_secs = 5; /* a killed trainer loses at most a few seconds of curves */
    tfc_code c = tfc_summary_writer_new(e->model_dir, &wo, &e->train_writer);
    /* Restarts within one second (a crash loop) find the name taken. */
    char suffix[32];
    for (int i = 1; c == TFC_ALREADY_EXISTS && i < 1000; i++) {
        snprintf(suffix, sizeof suffix, ".train.%d", i);
        wo.filename_suffix = suffix;
        c = tfc_summary_writer_new(e->model_dir, &wo, &e->train_writer);
    }
    if (c) return c;
    tfc_buffer *def = NULL;
    if (!tfc_graph_to_graph_def(ms->m.g, &def)) {
        c = tfc_summary_writer_add_graph(e->train_writer, tfc_buffer_data(def), tfc_buffer_size(def));
        tfc_buffer_free(def);
    } else {
        c = TFC_OK; /* the graph is a convenience for TensorBoard; training goes on without it */
    }
    return c;
}

static tfc_code save(tfc_estimator *e, tfci_mode_state *ms)
{
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s/model.ckpt", e->model_dir);
    char *path = NULL;
    tfc_code c = tfc_saver_save(ms->saver, ms->s, prefix, e->step, &path);
    if (!c) tfci_log(TFC_LOG_INFO, "Saving checkpoints for %" PRId64 " into %s", e->step, path);
    tfc_string_free(path);
    return c;
}

static tfc_code train_impl(tfc_estimator *e, tfc_input *input, int64_t steps, int64_t max_steps, after_save_fn hook,
                           void *hook_arg)
{
    if (!e || !input) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_train: NULL estimator or input");
    if (steps < 0 || max_steps < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "steps and max_steps must not be negative (0: no limit)");
    double t_call = tfci_now_seconds();
    e->stats = (tfc_train_stats){sizeof e->stats, 0, 0, e->step, 0, 0, NAN};
    tfci_mode_state *ms;
    tfc_code c = tfci_estimator_mode(e, TFCI_MODE_TRAIN, &ms);
    if (c) return c;
    e->stats.global_step = e->step;
    if (max_steps && e->step >= max_steps) {
        tfci_log(TFC_LOG_INFO, "Skipping training since max_steps has already saved (global step %" PRId64 ")",
                 e->step);
        return TFC_OK;
    }
    if ((c = open_train_writer(e, ms))) return c;
    tfci_input_pass *pass;
    if ((c = tfci_input_open(input, &pass))) return c;
    tfci_feeds feeds;
    if ((c = tfci_feeds_init(&feeds, tfc_features_count(ms->m.features) + 3))) {
        tfci_input_close(pass);
        return c;
    }
    const tfc_run_config *rc = &e->o.config;
    int64_t start = e->step, last_saved = e->step, last_log_step = e->step, last_sum_step = e->step;
    double t_log = tfci_now_seconds(), t_sum = t_log, t_save = t_log;
    int64_t examples = 0;
    bool diverged = false;
    double t_steps = tfci_now_seconds();
    for (;;) {
        if (steps && e->step - start >= steps) break;
        if (max_steps && e->step >= max_steps) break;
        tfci_batch b;
        c = tfci_input_next(pass, &b);
        if (c == TFC_OUT_OF_RANGE) {
            c = TFC_OK;
            break;
        }
        if (c) break;
        if (b.rows == 0) continue;
        if ((c = tfci_feeds_from_batch(&ms->m, &b, true, &feeds))) break;
        tfc_tensor *loss_t = NULL;
        c = tfc_session_run(ms->s, feeds.outs, feeds.vals, feeds.n, &ms->m.loss, &loss_t, 1, &ms->m.train_op, 1);
        if (c) break;
        double loss = tfc_output_dtype(ms->m.loss) == TFC_DOUBLE ? *(const double *)tfc_tensor_data(loss_t)
                                                                   : *(const float *)tfc_tensor_data(loss_t);
        tfc_tensor_free(loss_t);
        e->step++;
        examples += b.rows;
        e->stats.steps++;
        e->stats.examples += b.rows;
        e->stats.global_step = e->step;
        e->stats.last_loss = loss;
        if (!isfinite(loss)) {
            diverged = true;
            c = tfci_error(TFC_INVALID_ARGUMENT, "NaN loss during training (loss = %g at global step %" PRId64
                           "); the model was not saved from this state", loss, e->step);
            break;
        }
        if (rc->log_step_count_steps > 0 && (e->step - start) % rc->log_step_count_steps == 0) {
            double now = tfci_now_seconds();
            double dt = now - t_log;
            tfci_log(TFC_LOG_INFO, "loss = %.6g, step = %" PRId64 " (%.3f sec)", loss, e->step, dt);
            if (e->step > last_log_step && dt > 0)
                tfci_log(TFC_LOG_INFO, "global_step/sec: %.6g", (double)(e->step - last_log_step) / dt);
            t_log = now;
            last_log_step = e->step;
        }
        if (rc->save_summary_steps > 0 && e->step % rc->save_summary_steps == 0) {
            double now = tfci_now_seconds();
            if ((c = tfc_summary_writer_add_scalar(e->train_writer, "loss", e->step, (float)loss))) break;
            if (e->step > last_sum_step && now > t_sum &&
                (c = tfc_summary_writer_add_scalar(e->train_writer, "global_step/sec", e->step,
                                                   (float)((double)(e->step - last_sum_step) / (now - t_sum)))))
                break;
            t_sum = now;
            last_sum_step = e->step;
        }
        bool due = rc->save_checkpoints_steps > 0 ? e->step % rc->save_checkpoints_steps == 0
                                                  : tfci_now_seconds() - t_save >= rc->save_checkpoints_secs;
        if (due) {
            e->stats.step_seconds += tfci_now_seconds() - t_steps;
            t_steps = 0;
            if ((c = save(e, ms))) break;
            last_saved = e->step;
            t_save = tfci_now_seconds();
            if (hook && (c = hook(e, e->step, false, hook_arg))) break;
            t_steps = tfci_now_seconds();
        }
    }
    if (t_steps > 0) e->stats.step_seconds += tfci_now_seconds() - t_steps;
    tfci_feeds_free(&feeds);
    tfci_input_close(pass);
    if (diverged) {
        /* The session holds diverged values: the next call starts again from the checkpoint. */
        tfci_estimator_drop_mode(e, TFCI_MODE_TRAIN);
        return c;
    }
    if (c) {
        tfci_estimator_drop_mode(e, TFCI_MODE_TRAIN);
        return c;
    }
    if (e->step != last_saved || e->step == 0) {
        if ((c = save(e, ms))) return c;
    }
    e->stats.seconds = tfci_now_seconds() - t_call;
    tfci_log(TFC_LOG_INFO, "Training done: %" PRId64 " steps (%" PRId64 " examples), global step %" PRId64,
             e->step - start, examples, e->step);
    if ((c = tfc_summary_writer_flush(e->train_writer))) return c;
    if (hook) c = hook(e, e->step, true, hook_arg);
    return c;
}

tfc_code tfc_estimator_train_stats(const tfc_estimator *e, tfc_train_stats *out)
{
    if (!e || !out || out->size < sizeof(size_t))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_train_stats: NULL argument or size not set");
    size_t n = out->size < sizeof e->stats ? out->size : sizeof e->stats;
    tfc_train_stats s = e->stats;
    if (s.size == 0) s = (tfc_train_stats){sizeof s, 0, 0, e->step, 0, 0, NAN};
    s.size = n;
    memcpy(out, &s, n);
    return TFC_OK;
}

tfc_code tfc_estimator_train(tfc_estimator *e, tfc_input *input, int64_t steps, int64_t max_steps)
{
    return train_impl(e, input, steps, max_steps, NULL, NULL);
}

typedef struct tae_state {
    const tfc_eval_spec *spec;
    double start, last_eval_time;
    int64_t last_eval_step;
    tfc_eval_results *last;
} tae_state;

static tfc_code evaluate_now(tfc_estimator *e, tae_state *st, int64_t step)
{
    tfc_eval_results *r = NULL;
    tfc_code c = tfc_estimator_evaluate(e, st->spec->input, st->spec->steps, st->spec->name, &r);
    if (c) return c;
    tfc_eval_results_free(st->last);
    st->last = r;
    st->last_eval_time = tfci_now_seconds();
    st->last_eval_step = step;
    return TFC_OK;
}

static tfc_code after_save(tfc_estimator *e, int64_t step, bool final, void *arg)
{
    tae_state *st = arg;
    if (final) return step == st->last_eval_step && st->last ? TFC_OK : evaluate_now(e, st, step);
    double now = tfci_now_seconds();
    if (now - st->start < st->spec->start_delay_secs) return TFC_OK;
    if (st->last && now - st->last_eval_time < st->spec->throttle_secs) return TFC_OK;
    if (st->last && step - st->last_eval_step < st->spec->min_step_interval) return TFC_OK;
    return evaluate_now(e, st, step);
}

tfc_code tfc_train_and_evaluate(tfc_estimator *e, const tfc_train_spec *train, const tfc_eval_spec *eval,
                                tfc_eval_results **final)
{
    if (final) *final = NULL;
    if (!e || !train || !eval || !train->input || !eval->input)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_train_and_evaluate: estimator, specs and inputs are required");
    if (train->size < sizeof(size_t) || train->size > sizeof *train || eval->size < sizeof(size_t) ||
        eval->size > sizeof *eval)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_train_and_evaluate: set the specs' size fields (sizeof)");
    if (!(eval->start_delay_secs >= 0) || !(eval->throttle_secs >= 0) || eval->min_step_interval < 0 ||
        eval->steps < 0 || train->max_steps < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_train_and_evaluate: delays, intervals and steps must not be "
                          "negative");
    tae_state st = {eval, tfci_now_seconds(), 0, -1, NULL};
    tfc_code c = train_impl(e, train->input, 0, train->max_steps, after_save, &st);
    if (!c && !st.last) {
        /* max_steps was already reached: evaluate what is there. */
        int64_t step = 0;
        if (!(c = tfc_estimator_global_step(e, &step))) c = evaluate_now(e, &st, step);
    }
    if (c) {
        tfc_eval_results_free(st.last);
        return c;
    }
    if (final) *final = st.last;
    else tfc_eval_results_free(st.last);
    return TFC_OK;
}
