/* tfc — exported models, like TensorFlow's SavedModel.
 *
 * An export directory holds
 *     <dir>/saved_model.pb            the graph (GraphDef), the signatures,
 *                                     the variable list and a format version
 *     <dir>/variables/variables.tfc   every variable's value (checkpoint format)
 * (schema: src/io/proto/saved_model.proto). Loading gives a ready session
 * whose variables hold the exported values, and named signatures: run one by
 * its input and output keys, with no knowledge of the graph's op names.
 *
 *     tfc_signature *sig;
 *     tfc_signature_new(TFC_SERVING_DEFAULT_SIGNATURE_KEY, TFC_PREDICT_METHOD_NAME, &sig);
 *     tfc_signature_add_input(sig, "x", x);
 *     tfc_signature_add_output(sig, "probabilities", probs);
 *     tfc_saved_model_export(session, graph, "export/1", &sig, 1, NULL);
 *     tfc_signature_free(sig);
 *     ...
 *     tfc_saved_model *m;
 *     tfc_saved_model_load("export/1", NULL, &m);
 *     tfc_saved_model_run(m, "serving_default", (const char *[]){"x"}, &x_value, 1,
 *                         (const char *[]){"probabilities"}, &p, 1);
 *
 * Thread safety: signatures are built by one thread. A loaded model is
 * immutable: its accessors and tfc_saved_model_run may be called from several
 * threads at once; tfc_saved_model_free may not race with them.
 */
#ifndef TFC_SAVED_MODEL_H
#define TFC_SAVED_MODEL_H

#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout version this library writes; it reads versions 1 to this. */
#define TFC_SAVED_MODEL_FORMAT_VERSION 1

/* TensorFlow Serving's names. */
#define TFC_SERVING_DEFAULT_SIGNATURE_KEY "serving_default"
#define TFC_PREDICT_METHOD_NAME "tensorflow/serving/predict"
#define TFC_CLASSIFY_METHOD_NAME "tensorflow/serving/classify"
#define TFC_REGRESS_METHOD_NAME "tensorflow/serving/regress"
/* Keys the classify and regress methods require, as TensorFlow's
 * signature_def_utils checks them: classify has the input "inputs" and the
 * outputs "classes" and/or "scores" (nothing else); regress has the input
 * "inputs" and the output "outputs". Predict takes any keys. */
#define TFC_SIGNATURE_INPUTS "inputs"
#define TFC_SIGNATURE_CLASSES "classes"
#define TFC_SIGNATURE_SCORES "scores"
#define TFC_SIGNATURE_OUTPUTS "outputs"

/* ---- Signatures ----------------------------------------------------------- */

/* A named set of input and output tensors and a method name. */
typedef struct tfc_signature tfc_signature;

/* A new, empty signature (free with tfc_signature_free). key names it in an
 * export ("serving_default", "predict", ...); method_name is one of the
 * TFC_*_METHOD_NAME strings or any non-empty string (strings are copied). */
TFC_API tfc_code tfc_signature_new(const char *key, const char *method_name, tfc_signature **out);
/* NULL is ignored, and so are signatures lent by a loaded model. */
TFC_API void tfc_signature_free(tfc_signature *sig);
/* Adds tensor under key (unique among the inputs, resp. outputs). The dtype
 * and static shape are taken from the graph now. All tensors of a signature
 * must be in one graph. */
TFC_API tfc_code tfc_signature_add_input(tfc_signature *sig, const char *key, tfc_output tensor);
TFC_API tfc_code tfc_signature_add_output(tfc_signature *sig, const char *key, tfc_output tensor);

/* Accessors; strings are lent while the signature lives. A loaded model's
 * signatures list their keys in sorted order. NULL / -1 / {NULL,0} on a bad
 * argument or index. */
TFC_API const char *tfc_signature_key(const tfc_signature *sig);
TFC_API const char *tfc_signature_method_name(const tfc_signature *sig);
TFC_API int tfc_signature_num_inputs(const tfc_signature *sig);
TFC_API int tfc_signature_num_outputs(const tfc_signature *sig);
TFC_API const char *tfc_signature_input_key(const tfc_signature *sig, int i);
TFC_API const char *tfc_signature_output_key(const tfc_signature *sig, int i);
/* The tensor behind input / output i (in the loaded model's graph for a
 * loaded signature). */
TFC_API tfc_output tfc_signature_input(const tfc_signature *sig, int i);
TFC_API tfc_output tfc_signature_output(const tfc_signature *sig, int i);
/* dtype and static shape of input / output i: *rank -1 when unknown, dims[k]
 * -1 for an unknown dimension; dims must hold TFC_MAX_RANK entries. Any out
 * pointer may be NULL. */
TFC_API tfc_code tfc_signature_input_info(const tfc_signature *sig, int i, tfc_dtype *dtype, int64_t *dims, int *rank);
TFC_API tfc_code tfc_signature_output_info(const tfc_signature *sig, int i, tfc_dtype *dtype, int64_t *dims, int *rank);

/* ---- Export ----------------------------------------------------------------- */

typedef struct tfc_export_options {
    size_t size;     /* sizeof(tfc_export_options): lets the struct grow */
    tfc_op *main_op; /* run once by the loader after restoring variables; NULL for none */
} tfc_export_options;

#define TFC_EXPORT_OPTIONS_INIT {sizeof(tfc_export_options), NULL}

/* Writes graph g, the current values of all of g's variables in session s
 * (every variable must be initialized) and the signatures (unique keys;
 * nsigs may be 0) to export_dir, which must not exist or be an empty
 * directory (TFC_ALREADY_EXISTS otherwise); missing parents are created.
 * Atomic: everything is written and fsynced under "<export_dir>.tmp-XXXXXX"
 * and the directory renamed into place, so a crash leaves either no export
 * or a complete one (plus, at worst, a stale ".tmp-" directory). opts may be
 * NULL. Must not race with runs that change variables. */
TFC_API tfc_code tfc_saved_model_export(tfc_session *s, const tfc_graph *g, const char *export_dir,
                                        tfc_signature *const *sigs, int nsigs, const tfc_export_options *opts);

/* ---- Load and run ------------------------------------------------------------ */

typedef struct tfc_saved_model tfc_saved_model;

/* Loads an export: imports the graph into a new graph, makes a session
 * (opts may be NULL), restores every variable (no initializer needs to run)
 * and runs the main op if any. Bad files (truncated, corrupt, a format
 * version this library does not read, not an export at all, too large, a
 * missing or damaged variables file) fail with an error naming the file:
 * TFC_DATA_LOSS for damage, TFC_UNIMPLEMENTED for a newer format version,
 * TFC_INVALID_ARGUMENT for something that is not a tfc export, TFC_NOT_FOUND
 * for a missing file. Nothing is returned on failure. */
TFC_API tfc_code tfc_saved_model_load(const char *export_dir, const tfc_session_options *opts, tfc_saved_model **out);
/* NULL is ignored. */
TFC_API void tfc_saved_model_free(tfc_saved_model *m);

/* Lent while the model lives. The graph may be extended (not while runs are
 * in flight), e.g. to add ops that use the model's outputs. */
TFC_API tfc_session *tfc_saved_model_session(const tfc_saved_model *m);
TFC_API tfc_graph *tfc_saved_model_graph(const tfc_saved_model *m);
/* The tfc version that wrote the export ("0.1.0"); lent. */
TFC_API const char *tfc_saved_model_writer_version(const tfc_saved_model *m);

/* Signatures in key order; lent (tfc_signature_free ignores them). */
TFC_API int tfc_saved_model_num_signatures(const tfc_saved_model *m);
TFC_API const tfc_signature *tfc_saved_model_signature(const tfc_saved_model *m, int i);
/* NULL when there is no signature of that key. */
TFC_API const tfc_signature *tfc_saved_model_find_signature(const tfc_saved_model *m, const char *key);

/* Runs a signature: feeds inputs[i] to the input input_keys[i] and returns
 * the value of output output_keys[j] in outputs[j] (owned by the caller:
 * tfc_tensor_free each). input_keys NULL means the signature's inputs in
 * order (nin must then equal their number); output_keys NULL likewise for
 * the outputs. Unknown keys fail with a message listing the valid ones.
 * On failure no outputs are set (all NULL). Thread-safe. */
TFC_API tfc_code tfc_saved_model_run(tfc_saved_model *m, const char *signature_key, const char *const *input_keys,
                                     tfc_tensor *const *inputs, int nin, const char *const *output_keys,
                                     tfc_tensor **outputs, int nout);

#ifdef __cplusplus
}
#endif
#endif
