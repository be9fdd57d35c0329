/* tfc — canned estimators: TensorFlow's tf.estimator (LinearClassifier,
 * DNNClassifier, DNNLinearCombinedClassifier, BaselineClassifier and their
 * regressors) with train / evaluate / predict / export / train_and_evaluate,
 * checkpoints and TensorBoard event files in a model directory.
 *
 * An estimator is configured once (tfc_estimator_options: the model, its
 * feature columns, head, optimizers and run configuration) and then driven
 * by inputs (tfc_input: CSV files or in-memory tensors) as in TensorFlow:
 *
 *   tfc_estimator_options o = TFC_ESTIMATOR_OPTIONS_INIT;
 *   o.model = TFC_MODEL_DNN;
 *   o.dnn_feature_columns = cols; o.n_dnn_feature_columns = ncols;
 *   o.hidden_units = (int64_t[]){100, 70}; o.n_hidden_units = 2;
 *   o.config.model_dir = "census_model";
 *   tfc_estimator *e; tfc_estimator_new(&o, &e);
 *   tfc_estimator_train(e, train_input, 1000, 0);
 *   tfc_eval_results *r; tfc_estimator_evaluate(e, eval_input, 0, NULL, &r);
 *
 * The model directory holds what TensorFlow's does: checkpoints
 * ("model.ckpt-<step>.tfc" and the "checkpoint" state file; see saver.h),
 * training event files (loss, global_step/sec, the graph) and "eval/" event
 * files with the evaluation metrics. Training resumes from the newest
 * checkpoint there; evaluate, predict and export read the newest checkpoint,
 * so another process's training can be evaluated.
 *
 * Differences from TensorFlow, documented:
 *  - defaults follow TensorFlow 1.x's estimators (the census samples' API):
 *    DNN Adagrad learning rate 0.05; wide & deep's DNN part Adagrad 0.001 and
 *    linear part FTRL min(0.005, 1/sqrt(#linear columns)); linear FTRL
 *    min(0.2, 1/sqrt(#columns)); baseline FTRL 0.3; loss reduction
 *    SUM_OVER_BATCH_SIZE (TensorFlow 2's);
 *  - labels reach the estimator as class ids (CSV schemas map label strings
 *    with tfc_csv_schema_set_label_vocabulary); label_vocabulary here names
 *    the classes in `classes` / `all_classes` and must have n_classes entries;
 *  - no warm start, no partitioners, no batch norm, linear sparse_combiner
 *    'sum' only, one value per example and feature (see feature_column.h).
 *
 * Ownership: *_new give objects released with their *_free. The estimator
 * takes its own references to the feature columns and copies every string and
 * array of the options, so they may be freed after tfc_estimator_new.
 * Thread safety: an estimator is used by one thread at a time; separate
 * estimators (even on the same model directory, for evaluation while another
 * process trains) are independent.
 */
#ifndef TFC_ESTIMATOR_H
#define TFC_ESTIMATOR_H

#include "feature_column.h"
#include "input.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Inputs: where batches of raw features (and labels) come from ---------- */

/* An input is a recipe for a stream of batches (TensorFlow's input_fn): each
 * train / evaluate / predict call starts a fresh pass over it (a new reader,
 * the same shuffle seed), so one input may be used many times. */
typedef struct tfc_input tfc_input;

/* Batches read from CSV files by a tfc_csv_reader with these options (NULL:
 * TFC_CSV_READER_OPTIONS_INIT). Every schema column is a feature named like
 * the column, except label_column (NULL: none, e.g. for predict), whose
 * values are the labels. The schema is kept (referenced), patterns copied.
 * A pattern that matches nothing is reported when a pass starts. */
TFC_API tfc_code tfc_input_from_csv(tfc_csv_schema *schema, const char *const *patterns, int n,
                                    const tfc_csv_reader_options *opts, const char *label_column,
                                    tfc_input **out);

typedef struct tfc_tensor_input_options {
    size_t size;             /* sizeof(tfc_tensor_input_options) */
    int64_t batch_size;      /* rows per batch; default 128 (numpy_input_fn's) */
    int64_t num_epochs;      /* passes; 0 = forever; default 1 */
    int shuffle;             /* 1: every epoch is a new random permutation; default 0 */
    uint64_t seed;           /* the shuffle's seed */
    int partial_final_batch; /* 1 (default): the last batch may be short; 0: it is dropped */
} tfc_tensor_input_options;
#define TFC_TENSOR_INPUT_OPTIONS_INIT {sizeof(tfc_tensor_input_options), 128, 1, 0, 0, 1}

/* Batches sliced from in-memory tensors (numpy_input_fn): features[i] is
 * feature keys[i], all with the same first dimension N (rows), any dtype and
 * rank >= 1; labels (NULL: none) [N] or [N, d]. The tensors are referenced,
 * not copied (tfc_tensor_retain); keys are copied. opts NULL: the defaults. */
TFC_API tfc_code tfc_input_from_tensors(const char *const *keys, tfc_tensor *const *features, int n,
                                        tfc_tensor *labels, const tfc_tensor_input_options *opts,
                                        tfc_input **out);

/* NULL is ignored. */
TFC_API void tfc_input_free(tfc_input *in);

/* ---- Configuration ------------------------------------------------------------ */

typedef enum tfc_estimator_model {
    TFC_MODEL_LINEAR = 0,            /* LinearClassifier / LinearRegressor */
    TFC_MODEL_DNN = 1,               /* DNNClassifier / DNNRegressor */
    TFC_MODEL_DNN_LINEAR_COMBINED = 2, /* DNNLinearCombined*: wide & deep */
    TFC_MODEL_BASELINE = 3           /* BaselineClassifier / BaselineRegressor: a bias only */
} tfc_estimator_model;

typedef enum tfc_optimizer_kind {
    TFC_OPTIMIZER_DEFAULT = 0, /* the estimator's default for that part (see the top of this file) */
    TFC_OPTIMIZER_SGD = 1,
    TFC_OPTIMIZER_ADAGRAD = 2,
    TFC_OPTIMIZER_FTRL = 3,
    TFC_OPTIMIZER_ADAM = 4,
    TFC_OPTIMIZER_MOMENTUM = 5
} tfc_optimizer_kind;

/* An optimizer by name and parameters (train.h has the update rules); zero
 * fields take TensorFlow 1.x's defaults for the kind. */
typedef struct tfc_optimizer_config {
    tfc_optimizer_kind kind;
    double learning_rate;              /* 0: the estimator's default for the part */
    double initial_accumulator_value;  /* Adagrad, FTRL; 0: 0.1 */
    double l1_regularization_strength; /* FTRL */
    double l2_regularization_strength; /* FTRL */
    double momentum;                   /* Momentum; 0: 0.9 */
    double beta1, beta2, epsilon;      /* Adam; 0: 0.9, 0.999, 1e-8. Adagrad: epsilon 0 = ApplyAdagrad */
} tfc_optimizer_config;

typedef enum tfc_activation {
    TFC_ACTIVATION_RELU = 0, /* tf.nn.relu, the default */
    TFC_ACTIVATION_TANH = 1,
    TFC_ACTIVATION_SIGMOID = 2,
    TFC_ACTIVATION_ELU = 3,
    TFC_ACTIVATION_RELU6 = 4,
    TFC_ACTIVATION_LEAKY_RELU = 5 /* alpha 0.2 */
} tfc_activation;

/* tf.estimator.RunConfig. Zero fields take the defaults. */
typedef struct tfc_run_config {
    const char *model_dir;          /* NULL: a new directory under $TMPDIR (or /tmp), logged */
    int64_t tf_random_seed;         /* graph seed; 0: none (initial values differ from run to run) */
    int64_t save_checkpoints_steps; /* save every N steps; 0: by time */
    double save_checkpoints_secs;   /* save every N seconds when steps is 0; 0: 600 */
    int keep_checkpoint_max;        /* 0: 5; < 0: keep all */
    int64_t save_summary_steps;     /* loss and global_step/sec events every N steps; 0: 100; < 0: never */
    int64_t log_step_count_steps;   /* an INFO log line every N steps; 0: 100; < 0: never */
    int num_threads;                /* session threads; 0: the session's default */
} tfc_run_config;

typedef struct tfc_estimator_options {
    size_t size;                  /* sizeof(tfc_estimator_options): lets the struct grow */
    tfc_estimator_model model;
    int regressor;                /* 0: a classifier, 1: a regressor */
    int n_classes;                /* classifiers: 0 means 2 (binary head); >= 3: multi-class head */
    int label_dimension;          /* regressors: 0 means 1 */
    const char *weight_column;    /* feature key of per-example weights (float); NULL: none */
    const char *const *label_vocabulary; /* classifiers: n_classes names of the classes; NULL: "0", "1", ... */
    int label_vocabulary_size;
    /* Linear part (LINEAR, DNN_LINEAR_COMBINED): categorical or dense columns. */
    const tfc_feature_column *const *linear_feature_columns;
    int n_linear_feature_columns;
    /* DNN part (DNN, DNN_LINEAR_COMBINED): dense columns (numeric, bucketized,
     * embedding, indicator). */
    const tfc_feature_column *const *dnn_feature_columns;
    int n_dnn_feature_columns;
    const int64_t *hidden_units;  /* DNN layer widths, input to output; required for the DNN part */
    int n_hidden_units;
    tfc_activation activation;
    double dropout;               /* probability of dropping a hidden unit in training; 0: none */
    tfc_optimizer_config linear_optimizer; /* LINEAR, BASELINE and the linear part */
    tfc_optimizer_config dnn_optimizer;    /* DNN and the DNN part */
    tfc_run_config config;
} tfc_estimator_options;
#define TFC_OPTIMIZER_CONFIG_INIT {TFC_OPTIMIZER_DEFAULT, 0, 0, 0, 0, 0, 0, 0, 0}
#define TFC_RUN_CONFIG_INIT {NULL, 0, 0, 0, 0, 0, 0, 0}
/* Every field zero: the defaults. */
#define TFC_ESTIMATOR_OPTIONS_INIT                                                                                  \
    {sizeof(tfc_estimator_options), TFC_MODEL_LINEAR, 0, 0, 0, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, 0,            \
     TFC_ACTIVATION_RELU, 0.0, TFC_OPTIMIZER_CONFIG_INIT, TFC_OPTIMIZER_CONFIG_INIT, TFC_RUN_CONFIG_INIT}

typedef struct tfc_estimator tfc_estimator;

/* Validates the options (every problem named: a DNN without hidden units, a
 * categorical column among the DNN columns, a vocabulary of the wrong size,
 * ...) and makes the model directory. Builds no graph yet. */
TFC_API tfc_code tfc_estimator_new(const tfc_estimator_options *opts, tfc_estimator **out);
TFC_API void tfc_estimator_free(tfc_estimator *e);
/* Lent, valid while e lives. */
TFC_API const char *tfc_estimator_model_dir(const tfc_estimator *e);
/* The global step of the newest checkpoint in the model directory (0 if none). */
TFC_API tfc_code tfc_estimator_global_step(const tfc_estimator *e, int64_t *step);

/* ---- Train ----------------------------------------------------------------------- */

/* Trains on batches of input: `steps` more steps (0: no limit), stopping
 * early when the global step reaches max_steps (0: no limit; already reached:
 * returns at once) or the input ends. Starts from the newest checkpoint of the
 * model directory, saves checkpoints per the run configuration and always at
 * the end, logs "loss = L, step = S (T sec)" and "global_step/sec: R" every
 * log_step_count_steps and writes "loss" and "global_step/sec" events every
 * save_summary_steps. A NaN or infinite loss stops training with
 * TFC_INVALID_ARGUMENT ("NaN loss during training") after nothing is saved
 * from the diverged state. */
TFC_API tfc_code tfc_estimator_train(tfc_estimator *e, tfc_input *input, int64_t steps, int64_t max_steps);

/* What the last tfc_estimator_train (or tfc_train_and_evaluate) call did,
 * for progress displays and benchmarks. */
typedef struct tfc_train_stats {
    size_t size;         /* sizeof(tfc_train_stats): set it before the call */
    int64_t steps;       /* training steps run */
    int64_t examples;    /* examples they consumed */
    int64_t global_step; /* the global step at the end */
    double seconds;      /* wall time of the whole call */
    double step_seconds; /* of which in training steps (reading batches and running them): without building
                            the graph, restoring, saving checkpoints or evaluating */
    double last_loss;    /* the loss of the last step (NaN before any) */
} tfc_train_stats;

/* Fills *out (up to out->size bytes); zeros and a NaN loss before any training. */
TFC_API tfc_code tfc_estimator_train_stats(const tfc_estimator *e, tfc_train_stats *out);

/* ---- Evaluate ---------------------------------------------------------------------- */

typedef struct tfc_eval_results tfc_eval_results;

/* Evaluates the newest checkpoint on input (steps batches; 0: until the input
 * ends), returning TensorFlow's metric keys (head.h) plus "global_step", and
 * writing them as events to "<model_dir>/eval" ("eval_<name>" when name is
 * not NULL). TFC_FAILED_PRECONDITION when the directory has no checkpoint. */
TFC_API tfc_code tfc_estimator_evaluate(tfc_estimator *e, tfc_input *input, int64_t steps, const char *name,
                                        tfc_eval_results **out);
TFC_API void tfc_eval_results_free(tfc_eval_results *r);
/* Metrics in key order. Names lent while r lives. */
TFC_API int tfc_eval_results_count(const tfc_eval_results *r);
TFC_API const char *tfc_eval_results_name(const tfc_eval_results *r, int i);
TFC_API double tfc_eval_results_value(const tfc_eval_results *r, int i);
/* TFC_NOT_FOUND for a key the results lack. */
TFC_API tfc_code tfc_eval_results_get(const tfc_eval_results *r, const char *name, double *value);

/* ---- Predict ------------------------------------------------------------------------ */

typedef struct tfc_predictions tfc_predictions;

/* Predicts every example of input (its labels, if any, are ignored) with the
 * newest checkpoint. Keys (TensorFlow's): classifiers "logits", "logistic"
 * (binary only), "probabilities", "class_ids" (int64 [N,1]), "classes"
 * (string [N,1]), "all_class_ids" (int32 [N,n_classes]), "all_classes"
 * (string [N,n_classes]); regressors "predictions" ([N,label_dimension]).
 * A feature the model reads but the input lacks is an error naming it. */
TFC_API tfc_code tfc_estimator_predict(tfc_estimator *e, tfc_input *input, tfc_predictions **out);
TFC_API void tfc_predictions_free(tfc_predictions *p);
TFC_API int64_t tfc_predictions_rows(const tfc_predictions *p);
TFC_API int tfc_predictions_count(const tfc_predictions *p);
/* Lent while p lives. */
TFC_API const char *tfc_predictions_name(const tfc_predictions *p, int i);
TFC_API const tfc_tensor *tfc_predictions_tensor(const tfc_predictions *p, int i);
/* NULL for a key p lacks. */
TFC_API const tfc_tensor *tfc_predictions_get(const tfc_predictions *p, const char *key);

/* ---- Export ---------------------------------------------------------------------------- */

/* Exports the newest checkpoint as "<export_dir_base>/<unix seconds>" (the
 * next free second if taken), a saved model (saved_model.h) whose
 * signatures take the raw features by key ([None] tensors, as a CSV row or
 * JSON instance has them; numeric columns of shape [d]: [None, d]):
 * "serving_default" and "predict" give every prediction key above;
 * classifiers add "classification" ("classes", "scores" = probabilities),
 * regressors (and binary classifiers) "regression" ("outputs").
 * *export_path (may be NULL) is the caller's (tfc_string_free). */
TFC_API tfc_code tfc_estimator_export(tfc_estimator *e, const char *export_dir_base, char **export_path);

/* ---- Train and evaluate ---------------------------------------------------------------- */

typedef struct tfc_train_spec {
    size_t size;       /* sizeof(tfc_train_spec) */
    tfc_input *input;
    int64_t max_steps; /* 0: until the input ends */
} tfc_train_spec;

typedef struct tfc_eval_spec {
    size_t size;                 /* sizeof(tfc_eval_spec) */
    tfc_input *input;
    int64_t steps;               /* batches per evaluation; 0: the whole input */
    const char *name;            /* NULL: "eval" */
    double start_delay_secs;     /* no evaluation before this much training time */
    double throttle_secs;        /* at least this long between evaluations */
    int64_t min_step_interval;   /* at least this many steps between evaluations (census min_eval_frequency) */
} tfc_eval_spec;

/* tf.estimator.train_and_evaluate on one machine: trains to train->max_steps,
 * evaluating after each checkpoint save that the delay, throttle and step
 * interval allow, and once more at the end. *final (may be NULL) gets the
 * last evaluation. */
TFC_API tfc_code tfc_train_and_evaluate(tfc_estimator *e, const tfc_train_spec *train, const tfc_eval_spec *eval,
                                        tfc_eval_results **final);

#ifdef __cplusplus
}
#endif
#endif
