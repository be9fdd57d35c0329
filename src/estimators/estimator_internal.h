/* Internal interface between the estimator loop and its inputs and results.
 * A tfc_input is a recipe; each train / evaluate / predict call opens a pass
 * over it and pulls batches of raw features by key. */
#ifndef TFCI_ESTIMATOR_INTERNAL_H
#define TFCI_ESTIMATOR_INTERNAL_H

#include "tfc/estimator.h"
#include "tfc/head.h"
#include "tfc/saver.h"
#include "tfc/summary.h"

/* Another reference to a column (feature_column.c). */
tfc_feature_column *tfci_feature_column_retain(const tfc_feature_column *c);

typedef struct tfci_input_pass tfci_input_pass;

/* One batch: n features keys[i] -> features[i] (first dimension rows) and
 * labels (NULL when the input has none). Arrays and tensors belong to the
 * pass and stay valid until the next tfci_input_next or tfci_input_close. */
typedef struct tfci_batch {
    int n;
    const char *const *keys;
    tfc_tensor *const *features;
    tfc_tensor *labels;
    int64_t rows;
} tfci_batch;

/* Starts a fresh pass (a new reader; the same shuffle seed). */
tfc_code tfci_input_open(tfc_input *in, tfci_input_pass **out);
/* Next batch; TFC_OUT_OF_RANGE (without setting an error) at the end. Other
 * failures name the file, line, column or feature. */
tfc_code tfci_input_next(tfci_input_pass *p, tfci_batch *b);
void tfci_input_close(tfci_input_pass *p);



/* ---- results (results.c) ---- */
/* Empty results; tfci_eval_results_add copies the name. */
tfc_code tfci_eval_results_new(tfc_eval_results **out);
tfc_code tfci_eval_results_add(tfc_eval_results *r, const char *name, double value);
/* Predictions grow batch by batch: the first batch fixes the keys, later
 * batches are appended along the first dimension. tensors are lent. */
tfc_code tfci_predictions_new(tfc_predictions **out);
tfc_code tfci_predictions_append(tfc_predictions *p, const char *const *keys, tfc_tensor *const *tensors, int n,
                                 int64_t rows);
/* Makes the tensors final (contiguous) once every batch is in. */
tfc_code tfci_predictions_finish(tfc_predictions *p);

/* ---- model graphs (model_fn.c) ---- */
typedef enum tfci_mode { TFCI_MODE_TRAIN = 0, TFCI_MODE_EVAL = 1, TFCI_MODE_PREDICT = 2 } tfci_mode;

#define TFCI_MAX_PREDICTIONS 8

/* One mode's graph of a canned model, as TensorFlow's model_fn builds it. */
typedef struct tfci_model {
    tfc_graph *g;
    tfc_features *features;  /* raw-feature placeholders by key */
    tfc_output labels;       /* train/eval; {NULL,0} in predict */
    tfc_output weights;      /* the weight column's placeholder, if any */
    tfc_output rows_input;   /* baseline only: float [None] fed with zeros, gives the batch size */
    tfc_head_kind kind;
    int head_n;              /* n_classes, or label_dimension for regression */
    tfc_head_outputs *head;
    tfc_output loss, example_loss; /* train/eval */
    tfc_output metric_input; /* what tfc_metrics_update takes as predictions */
    tfc_op *train_op;        /* train */
    tfc_op *init_op;
    tfc_output global_step;
    int n_predictions;
    const char *prediction_names[TFCI_MAX_PREDICTIONS]; /* static strings */
    tfc_output predictions[TFCI_MAX_PREDICTIONS];
} tfci_model;

/* o is resolved: n_classes / label_dimension and optimizers filled in. */
tfc_code tfci_model_build(const tfc_estimator_options *o, tfci_mode mode, tfci_model *m);
void tfci_model_free(tfci_model *m);
/* The head kind and its n for the options. */
tfc_head_kind tfci_model_head_kind(const tfc_estimator_options *o, int *head_n);


/* ---- feeding batches to a model (feed.c) ---- */
typedef struct tfci_feeds {
    int n, cap, nowned;
    tfc_output *outs;
    tfc_tensor **vals;   /* lent from the batch or owned */
    tfc_tensor **owned;  /* converted copies, freed by tfci_feeds_clear */
} tfci_feeds;

tfc_code tfci_feeds_init(tfci_feeds *f, int cap);
void tfci_feeds_clear(tfci_feeds *f);
void tfci_feeds_free(tfci_feeds *f);
/* Matches the batch's features to the model's placeholders by key (a key
 * the model reads but the batch lacks is an error naming it), converting
 * numbers to the placeholder's dtype; with_labels feeds and checks the labels
 * (class ids in range, finite regression targets). */
tfc_code tfci_feeds_from_batch(const tfci_model *m, const tfci_batch *b, bool with_labels, tfci_feeds *f);

/* Runs fn on every non-empty batch of a fresh pass over input (at most
 * max_batches; 0: all), fed to m's placeholders; stops at fn's first error.
 * *examples (may be NULL) gets the rows seen. */
typedef tfc_code (*tfci_batch_fn)(const tfci_batch *b, const tfci_feeds *f, void *arg);
tfc_code tfci_for_each_batch(tfc_input *input, const tfci_model *m, bool with_labels, int64_t max_batches,
                             tfci_batch_fn fn, void *arg, int64_t *examples);

/* ---- the estimator (estimator.c) ---- */
typedef struct tfci_mode_state {
    bool built;
    tfci_model m;
    tfc_session *s;
    tfc_saver *saver;
} tfci_mode_state;

struct tfc_estimator {
    tfc_estimator_options o; /* resolved copy; the arrays below are its storage */
    char *model_dir;
    char *weight_column;
    char **label_vocabulary;
    tfc_feature_column **linear_columns, **dnn_columns;
    int64_t *hidden_units;
    tfci_mode_state modes[3];
    int64_t step;            /* the train session's global step */
    tfc_train_stats stats;   /* of the last train call */
    tfc_summary_writer *train_writer;
};

/* The mode's graph, session and saver, built on first use. The train mode's
 * session is initialized and restored from the newest checkpoint. */
tfc_code tfci_estimator_mode(tfc_estimator *e, tfci_mode mode, tfci_mode_state **out);
/* Restores the newest checkpoint into an eval/predict session; *step its
 * global step. TFC_FAILED_PRECONDITION when there is none. */
tfc_code tfci_estimator_restore_latest(tfc_estimator *e, tfci_mode_state *ms, int64_t *step);
/* Frees a mode's graph and session (after a failure left it unusable). */
void tfci_estimator_drop_mode(tfc_estimator *e, tfci_mode mode);

#endif
