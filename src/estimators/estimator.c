/* The estimator object: validated, resolved options (TensorFlow 1.x's
 * defaults filled in), the model directory, and one graph + session per mode
 * (train, eval, predict) built on first use. Checkpoints carry the state
 * between modes, as in TensorFlow. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "estimators/estimator_internal.h"
#include "io/atomic_file.h"
#include "tfc/ops_state.h"

static void resolve_optimizer(tfc_optimizer_config *c, tfc_optimizer_kind kind, double lr)
{
    if (c->kind == TFC_OPTIMIZER_DEFAULT) c->kind = kind;
    if (c->learning_rate <= 0) {
        switch (c->kind) {
        case TFC_OPTIMIZER_ADAM: c->learning_rate = 0.001; break;
        case TFC_OPTIMIZER_MOMENTUM:
        case TFC_OPTIMIZER_SGD: c->learning_rate = c->kind == kind ? lr : 0.01; break;
        default: c->learning_rate = c->kind == kind ? lr : (c->kind == TFC_OPTIMIZER_FTRL ? 0.2 : 0.05); break;
        }
    }
    if (c->initial_accumulator_value <= 0) c->initial_accumulator_value = 0.1;
    if (c->momentum <= 0) c->momentum = 0.9;
    if (c->kind == TFC_OPTIMIZER_ADAM) {
        if (c->beta1 <= 0) c->beta1 = 0.9;
        if (c->beta2 <= 0) c->beta2 = 0.999;
        if (c->epsilon <= 0) c->epsilon = 1e-8;
    }
}

static tfc_code check_optimizer(const tfc_optimizer_config *c, const char *part)
{
    if ((int)c->kind < TFC_OPTIMIZER_DEFAULT || (int)c->kind > TFC_OPTIMIZER_MOMENTUM)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: unknown optimizer kind %d", part, (int)c->kind);
    if (!isfinite(c->learning_rate) || c->learning_rate < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: learning_rate must be positive, got %g", part, c->learning_rate);
    return TFC_OK;
}

static tfc_code validate(const tfc_estimator_options *o)
{
    if (!o || o->size < sizeof(size_t) || o->size > sizeof *o)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_new: options missing or of unknown size "
                          "(initialize with TFC_ESTIMATOR_OPTIONS_INIT)");
    if ((int)o->model < TFC_MODEL_LINEAR || (int)o->model > TFC_MODEL_BASELINE)
        return tfci_error(TFC_INVALID_ARGUMENT, "unknown estimator model %d", (int)o->model);
    bool linear = o->model == TFC_MODEL_LINEAR || o->model == TFC_MODEL_DNN_LINEAR_COMBINED;
    bool dnn = o->model == TFC_MODEL_DNN || o->model == TFC_MODEL_DNN_LINEAR_COMBINED;
    if (o->n_linear_feature_columns < 0 || o->n_dnn_feature_columns < 0 || o->n_hidden_units < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "negative column or layer count");
    if ((o->n_linear_feature_columns && !o->linear_feature_columns) ||
        (o->n_dnn_feature_columns && !o->dnn_feature_columns) || (o->n_hidden_units && !o->hidden_units))
        return tfci_error(TFC_INVALID_ARGUMENT, "a column or hidden-unit count is given without its array");
    if (o->model == TFC_MODEL_LINEAR && o->n_linear_feature_columns == 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "a linear model needs linear_feature_columns");
    if (o->model == TFC_MODEL_DNN && o->n_dnn_feature_columns == 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "a DNN model needs dnn_feature_columns");
    if (o->model == TFC_MODEL_DNN_LINEAR_COMBINED && o->n_linear_feature_columns + o->n_dnn_feature_columns == 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "a wide & deep model needs linear_feature_columns or "
                          "dnn_feature_columns (or both)");
    for (int i = 0; linear && i < o->n_linear_feature_columns; i++)
        if (!o->linear_feature_columns[i])
            return tfci_error(TFC_INVALID_ARGUMENT, "linear_feature_columns[%d] is NULL", i);
    for (int i = 0; dnn && i < o->n_dnn_feature_columns; i++) {
        const tfc_feature_column *c = o->dnn_feature_columns[i];
        if (!c) return tfci_error(TFC_INVALID_ARGUMENT, "dnn_feature_columns[%d] is NULL", i);
        if (!tfc_feature_column_is_dense(c))
            return tfci_error(TFC_INVALID_ARGUMENT, "dnn_feature_columns[%d] '%s' is categorical: a DNN takes dense "
                              "columns (wrap it in an embedding or indicator column)", i, tfc_feature_column_name(c));
    }
    if (dnn && o->n_dnn_feature_columns > 0) {
        if (o->n_hidden_units == 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "a DNN needs hidden_units (e.g. {100, 70, 49, 34})");
        for (int i = 0; i < o->n_hidden_units; i++)
            if (o->hidden_units[i] < 1)
                return tfci_error(TFC_INVALID_ARGUMENT, "hidden_units[%d] is %" PRId64 ": layer widths must be >= 1",
                                  i, o->hidden_units[i]);
    }
    if (!(o->dropout >= 0 && o->dropout < 1))
        return tfci_error(TFC_INVALID_ARGUMENT, "dropout must be in [0, 1), got %g", o->dropout);
    if ((int)o->activation < TFC_ACTIVATION_RELU || (int)o->activation > TFC_ACTIVATION_LEAKY_RELU)
        return tfci_error(TFC_INVALID_ARGUMENT, "unknown activation %d", (int)o->activation);
    if (o->regressor) {
        if (o->label_dimension < 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "label_dimension must be >= 1, got %d", o->label_dimension);
        if (o->label_vocabulary)
            return tfci_error(TFC_INVALID_ARGUMENT, "a regressor takes no label_vocabulary");
    } else {
        if (o->n_classes == 1 || o->n_classes < 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "n_classes must be >= 2, got %d", o->n_classes);
        int n = o->n_classes ? o->n_classes : 2;
        if (o->label_vocabulary) {
            if (o->label_vocabulary_size != n)
                return tfci_error(TFC_INVALID_ARGUMENT, "label_vocabulary has %d entries but n_classes is %d",
                                  o->label_vocabulary_size, n);
            for (int i = 0; i < n; i++) {
                if (!o->label_vocabulary[i] || !o->label_vocabulary[i][0])
                    return tfci_error(TFC_INVALID_ARGUMENT, "label_vocabulary[%d] is empty", i);
                for (int j = 0; j < i; j++)
                    if (strcmp(o->label_vocabulary[i], o->label_vocabulary[j]) == 0)
                        return tfci_error(TFC_INVALID_ARGUMENT, "label_vocabulary has '%s' twice",
                                          o->label_vocabulary[i]);
            }
        }
    }
    if (o->weight_column && !o->weight_column[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "weight_column is empty");
    tfc_code c;
    if ((c = check_optimizer(&o->linear_optimizer, "linear_optimizer"))) return c;
    if ((c = check_optimizer(&o->dnn_optimizer, "dnn_optimizer"))) return c;
    const tfc_run_config *rc = &o->config;
    if (rc->save_checkpoints_steps < 0 || !(rc->save_checkpoints_secs >= 0) || rc->num_threads < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "run config: save_checkpoints_steps, save_checkpoints_secs and "
                          "num_threads must not be negative");
    if (rc->model_dir && !rc->model_dir[0]) return tfci_error(TFC_INVALID_ARGUMENT, "run config: model_dir is empty");
    return TFC_OK;
}

static tfc_feature_column **copy_columns(const tfc_feature_column *const *cols, int n)
{
    tfc_feature_column **c = calloc((size_t)(n ? n : 1), sizeof *c);
    if (c)
        for (int i = 0; i < n; i++) c[i] = tfci_feature_column_retain(cols[i]);
    return c;
}

static tfc_code resolve(tfc_estimator *e, const tfc_estimator_options *in)
{
    tfc_estimator_options *o = &e->o;
    memset(o, 0, sizeof *o);
    memcpy(o, in, in->size);
    o->size = sizeof *o;
    bool linear = o->model == TFC_MODEL_LINEAR || o->model == TFC_MODEL_DNN_LINEAR_COMBINED;
    bool dnn = o->model == TFC_MODEL_DNN || o->model == TFC_MODEL_DNN_LINEAR_COMBINED;
    if (!linear) o->n_linear_feature_columns = 0;
    if (!dnn) o->n_dnn_feature_columns = 0, o->n_hidden_units = 0;
    if (o->regressor) o->label_dimension = o->label_dimension ? o->label_dimension : 1;
    else o->n_classes = o->n_classes ? o->n_classes : 2;

    e->linear_columns = copy_columns(in->linear_feature_columns, o->n_linear_feature_columns);
    e->dnn_columns = copy_columns(in->dnn_feature_columns, o->n_dnn_feature_columns);
    e->hidden_units = malloc((size_t)(o->n_hidden_units + 1) * sizeof(int64_t));
    if (!e->linear_columns || !e->dnn_columns || !e->hidden_units) goto oom;
    if (o->n_hidden_units) memcpy(e->hidden_units, in->hidden_units, (size_t)o->n_hidden_units * sizeof(int64_t));
    o->linear_feature_columns = (const tfc_feature_column *const *)e->linear_columns;
    o->dnn_feature_columns = (const tfc_feature_column *const *)e->dnn_columns;
    o->hidden_units = e->hidden_units;
    if (in->weight_column) {
        if (!(e->weight_column = strdup(in->weight_column))) goto oom;
        o->weight_column = e->weight_column;
    }
    if (in->label_vocabulary && !o->regressor) {
        e->label_vocabulary = calloc((size_t)o->n_classes, sizeof(char *));
        if (!e->label_vocabulary) goto oom;
        for (int i = 0; i < o->n_classes; i++)
            if (!(e->label_vocabulary[i] = strdup(in->label_vocabulary[i]))) goto oom;
        o->label_vocabulary = (const char *const *)e->label_vocabulary;
    } else {
        o->label_vocabulary = NULL;
    }

    /* TensorFlow 1.x's defaults (linear.py, dnn.py, dnn_linear_combined.py, baseline.py). */
    switch (o->model) {
    case TFC_MODEL_LINEAR: resolve_optimizer(&o->linear_optimizer, TFC_OPTIMIZER_FTRL, 0.2); break;
    case TFC_MODEL_DNN: resolve_optimizer(&o->dnn_optimizer, TFC_OPTIMIZER_ADAGRAD, 0.05); break;
    case TFC_MODEL_DNN_LINEAR_COMBINED: {
        double n = o->n_linear_feature_columns ? o->n_linear_feature_columns : 1;
        resolve_optimizer(&o->linear_optimizer, TFC_OPTIMIZER_FTRL, fmin(0.005, 1.0 / sqrt(n)));
        resolve_optimizer(&o->dnn_optimizer, TFC_OPTIMIZER_ADAGRAD, 0.001);
        break;
    }
    default: resolve_optimizer(&o->linear_optimizer, TFC_OPTIMIZER_FTRL, 0.3); break;
    }
    /* The part a model lacks still gets a valid optimizer (never used). */
    resolve_optimizer(&o->linear_optimizer, TFC_OPTIMIZER_FTRL, 0.2);
    resolve_optimizer(&o->dnn_optimizer, TFC_OPTIMIZER_ADAGRAD, 0.05);

    tfc_run_config *rc = &o->config;
    if (rc->save_checkpoints_steps == 0 && rc->save_checkpoints_secs == 0) rc->save_checkpoints_secs = 600;
    if (rc->keep_checkpoint_max == 0) rc->keep_checkpoint_max = 5;
    if (rc->save_summary_steps == 0) rc->save_summary_steps = 100;
    if (rc->log_step_count_steps == 0) rc->log_step_count_steps = 100;
    if (rc->model_dir) {
        if (!(e->model_dir = strdup(rc->model_dir))) goto oom;
    } else {
        const char *tmp = getenv("TMPDIR");
        char buf[4096];
        snprintf(buf, sizeof buf, "%s/tfc_model_XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(buf))
            return tfci_error(TFC_PERMISSION_DENIED, "cannot create a temporary model directory '%s': %s", buf,
                              strerror(errno));
        if (!(e->model_dir = strdup(buf))) goto oom;
        tfci_log(TFC_LOG_WARNING, "Using temporary folder as model directory: %s", buf);
    }
    rc->model_dir = e->model_dir;
    tfc_code c = tfci_mkdir_p(e->model_dir);
    if (c) tfci_error_prefix("model directory");
    return c;
oom:
    return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory copying the estimator options");
}

tfc_code tfc_estimator_new(const tfc_estimator_options *opts, tfc_estimator **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_new: out is NULL");
    *out = NULL;
    tfc_code c = validate(opts);
    if (c) return c;
    tfc_estimator *e = calloc(1, sizeof *e);
    if (!e) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for the estimator");
    if ((c = resolve(e, opts))) {
        tfc_estimator_free(e);
        return c;
    }
    *out = e;
    return TFC_OK;
}

void tfci_estimator_drop_mode(tfc_estimator *e, tfci_mode mode)
{
    tfci_mode_state *ms = &e->modes[mode];
    if (!ms->built) return;
    tfc_saver_free(ms->saver);
    tfc_session_free(ms->s);
    tfci_model_free(&ms->m);
    memset(ms, 0, sizeof *ms);
}

void tfc_estimator_free(tfc_estimator *e)
{
    if (!e) return;
    for (int i = 0; i < 3; i++) tfci_estimator_drop_mode(e, (tfci_mode)i);
    if (e->train_writer) tfc_summary_writer_free(e->train_writer);
    for (int i = 0; e->linear_columns && i < e->o.n_linear_feature_columns; i++)
        tfc_feature_column_free(e->linear_columns[i]);
    for (int i = 0; e->dnn_columns && i < e->o.n_dnn_feature_columns; i++) tfc_feature_column_free(e->dnn_columns[i]);
    free(e->linear_columns);
    free(e->dnn_columns);
    free(e->hidden_units);
    for (int i = 0; e->label_vocabulary && i < e->o.n_classes; i++) free(e->label_vocabulary[i]);
    free(e->label_vocabulary);
    free(e->weight_column);
    free(e->model_dir);
    free(e);
}

const char *tfc_estimator_model_dir(const tfc_estimator *e) { return e ? e->model_dir : NULL; }

static tfc_code read_step(tfci_mode_state *ms, int64_t *step)
{
    tfc_tensor *t;
    tfc_code c = tfc_session_variable_value(ms->s, ms->m.global_step.op, &t);
    if (c) return c;
    *step = *(const int64_t *)tfc_tensor_data(t);
    tfc_tensor_free(t);
    return TFC_OK;
}

tfc_code tfci_estimator_restore_latest(tfc_estimator *e, tfci_mode_state *ms, int64_t *step)
{
    char *path = NULL;
    tfc_code c = tfc_saver_latest(e->model_dir, &path);
    if (c == TFC_NOT_FOUND)
        return tfci_error(TFC_FAILED_PRECONDITION, "no checkpoint in model directory '%s': train the model first",
                          e->model_dir);
    if (c) return c;
    c = tfc_saver_restore(ms->saver, ms->s, path);
    if (c) tfci_error_prefix("restoring checkpoint '%s' (does the model directory hold another model?)", path);
    tfc_string_free(path);
    return c ? c : read_step(ms, step);
}

tfc_code tfci_estimator_mode(tfc_estimator *e, tfci_mode mode, tfci_mode_state **out)
{
    tfci_mode_state *ms = &e->modes[mode];
    if (ms->built) {
        *out = ms;
        return TFC_OK;
    }
    tfc_code c = tfci_model_build(&e->o, mode, &ms->m);
    if (c) return c;
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    if (e->o.config.num_threads) so.num_threads = e->o.config.num_threads;
    if ((c = tfc_session_new(ms->m.g, &so, &ms->s))) goto fail;
    tfc_saver_options svo = TFC_SAVER_OPTIONS_INIT;
    svo.max_to_keep = e->o.config.keep_checkpoint_max < 0 ? 0 : e->o.config.keep_checkpoint_max;
    if ((c = tfc_saver_new(ms->m.g, NULL, 0, &svo, &ms->saver))) goto fail;
    if ((c = tfc_session_run(ms->s, NULL, NULL, 0, NULL, NULL, 0, &ms->m.init_op, 1))) goto fail;
    ms->built = true;
    if (mode == TFCI_MODE_TRAIN) {
        char *path = NULL;
        c = tfc_saver_latest(e->model_dir, &path);
        if (c == TFC_NOT_FOUND) {
            e->step = 0;
            c = TFC_OK;
        } else if (!c) {
            c = tfc_saver_restore(ms->saver, ms->s, path);
            if (c) tfci_error_prefix("resuming from checkpoint '%s' (does the model directory hold another model?)",
                                     path);
            else c = read_step(ms, &e->step);
            if (!c) tfci_log(TFC_LOG_INFO, "Restored from %s at global step %" PRId64, path, e->step);
        }
        tfc_string_free(path);
        if (c) {
            tfci_estimator_drop_mode(e, mode);
            return c;
        }
    }
    *out = ms;
    return TFC_OK;
fail:
    tfc_saver_free(ms->saver);
    tfc_session_free(ms->s);
    tfci_model_free(&ms->m);
    memset(ms, 0, sizeof *ms);
    return c;
}

tfc_code tfc_estimator_global_step(const tfc_estimator *e, int64_t *step)
{
    if (!e || !step) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_estimator_global_step: NULL argument");
    if (e->modes[TFCI_MODE_TRAIN].built) {
        *step = e->step;
        return TFC_OK;
    }
    char *path = NULL;
    tfc_code c = tfc_saver_latest(e->model_dir, &path);
    *step = 0;
    if (c == TFC_NOT_FOUND) return TFC_OK;
    if (c) return c;
    /* "<prefix>-<step>.tfc" */
    const char *dash = strrchr(path, '-');
    if (dash) *step = strtoll(dash + 1, NULL, 10);
    tfc_string_free(path);
    return TFC_OK;
}
