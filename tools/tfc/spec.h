/* The tfc command's model spec and exported-model helpers, on the public
 * tfc API only.
 *
 * A spec is a JSON file (docs/tfc.md has the format) that describes a CSV
 * data set (its columns in file order, the label, how the text is written)
 * and the feature columns of a wide & deep model (the wide or linear part,
 * the deep part, model defaults). It becomes the public API's objects: a CSV
 * schema, feature columns and estimator options.
 *
 * Errors are printed as one line naming the file and the JSON path
 * ("tfc: spec.json: $.columns[3].type: expected one of int, float, string,
 * got 'str'") and the functions return the command's exit code (cli.h):
 * TFC_EXIT_OK, or TFC_EXIT_BAD_INPUT for a malformed spec, TFC_EXIT_NOT_FOUND
 * for a missing file, TFC_EXIT_ERROR otherwise.
 */
#ifndef TFC_TOOL_SPEC_H
#define TFC_TOOL_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <stdio.h>

#include "tfc/tfc.h"

#define SPEC_MAX_LAYERS 32

typedef struct spec spec;

/* Reads and checks a spec's data part ($.csv, $.columns, $.label, $.head,
 * $.weight_column) and its model defaults ($.model) and makes the CSV
 * schema. Feature columns are checked by spec_build. */
int spec_load(const char *path, spec **out);
void spec_free(spec *s);

/* The CSV schema of the data files (lent): every column of $.columns; the
 * label column holds class ids (a label vocabulary maps its strings) or, for
 * a regressor, float values. */
tfc_csv_schema *spec_schema(const spec *s);
const char *spec_label(const spec *s);
bool spec_is_regressor(const spec *s);

/* $.model: the model type when given (else false), the hidden units
 * (0 when not given; *units lent). */
bool spec_model_kind(const spec *s, tfc_estimator_model *kind);
int spec_hidden_units(const spec *s, const int64_t **units);

/* Standardized numeric columns without an explicit mean and stddev need
 * statistics of the training data: spec_stats_add takes every batch of the
 * training files (columns in schema order), spec_stats_finish writes the
 * mean and population standard deviation into the spec (spec_write then
 * saves them, so evaluation and export never read the training files). */
bool spec_needs_stats(const spec *s);
void spec_stats_add(spec *s, tfc_tensor *const *columns, int64_t rows);
int spec_stats_finish(spec *s);

/* Builds every feature column of $.feature_columns, $.wide, $.deep and
 * $.linear (checking references, types and values) for a model of the given
 * type; embedding columns without a dimension take embedding_size. Resolves
 * vocabulary files to absolute paths. Once per spec. */
int spec_build(spec *s, tfc_estimator_model model, int64_t embedding_size);

/* Fills what the spec decides in o (after spec_build): model type, head,
 * label vocabulary, weight column, the parts' columns, activation, dropout,
 * optimizers. Hidden units and the run configuration are the caller's. The
 * options point into s: they are valid while s lives. */
void spec_estimator_options(const spec *s, tfc_estimator_options *o);

/* Writes the spec (with the statistics and resolved paths) as JSON to path,
 * atomically (a temporary file renamed into place). */
int spec_write(const spec *s, const char *path);
/* Writes j (indented) to path atomically: a temporary file, fsync, rename.
 * Returns an exit code after one error line. */
int json_write_atomic(json_t *j, const char *path);

/* The schema of JSON instances for an exported model's signature: the
 * spec's columns (s may be NULL: then only the signature's inputs) with
 * their defaults, each typed as the signature's input of that key; the
 * label may be present and is ignored. *out is the caller's
 * (tfc_csv_schema_free). */
int spec_instance_schema(const spec *s, const tfc_signature *sig, tfc_csv_schema **out);

/* ---- Exported models (implemented in cmd_predict.c) ---------------------- */

/* An export opened for prediction: the loaded model, its serving_default
 * signature, the schema of its JSON instances (from <export>/assets/spec.json
 * when present, else from the signature's inputs) and how its outputs are
 * printed (the census sample's keys: classifiers "probabilities", "logits",
 * "classes" (the class id), "logistic" (binary); regressors "predictions";
 * other models every output by key). */
typedef struct predictor predictor;

/* dir: an export directory (with saved_model.pb) or a job directory, whose
 * newest export (<dir>/export/<timestamp>/) is used. */
int predictor_open(const char *dir, predictor **out);
void predictor_free(predictor *p);
/* Lent while p lives. */
const char *predictor_export_dir(const predictor *p);
const tfc_csv_schema *predictor_schema(const predictor *p);
/* Runs the signature on rows instances (columns in schema order, as
 * tfc_json_lines_read returns them); outputs[] gets predictor_num_outputs
 * new tensors (the caller frees each with tfc_tensor_free). */
int predictor_num_outputs(const predictor *p);
int predictor_run(predictor *p, tfc_tensor *const *columns, int64_t rows, tfc_tensor **outputs);
/* Writes instance i's JSON object and a newline to f. */
void predictor_print(const predictor *p, tfc_tensor *const *outputs, int64_t i, FILE *f);

#endif
