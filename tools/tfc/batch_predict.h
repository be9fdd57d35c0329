/* JSON-lines prediction through an exported model, for `tfc jobs submit
 * prediction` and shareable with `tfc predict`: instances are flat JSON
 * objects keyed by the signature's input names (no spec needed), results are
 * one JSON object per instance with the keys of TensorFlow's census sample:
 *   binary classifier  {"probabilities": [0.996, 0.004], "logits": [-5.59], "classes": 0, "logistic": [0.004]}
 *   multi-class        {"probabilities": [...], "logits": [...], "classes": 2}
 *   regressor          {"predictions": [24.1]}
 *   anything else      every output of the signature by key
 * Numbers are printed with printf's %.6g (NaN and infinities as null).
 * A feature may be a one-element list of its value; a missing or null one
 * takes its column's default from the spec tfc train stores in the export
 * (assets/spec.json), as in tfc predict, and is an error without one. Keys
 * the model does not read are ignored. */
#ifndef TFC_TOOL_BATCH_PREDICT_H
#define TFC_TOOL_BATCH_PREDICT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tfc/tfc.h"

typedef struct bp_model bp_model;

typedef struct bp_options {
    const char *signature_key; /* NULL: "serving_default" */
    int threads;               /* worker threads of bp_predict_buffer; 0: the number of cores */
    int batch_size;            /* instances per model run; 0: 1024 */
} bp_options;
#define BP_OPTIONS_INIT {NULL, 0, 0}

/* Loads an export and prepares its signature (opts NULL: the defaults).
 * Returns a tfc_code; on failure *out is NULL and err holds one line. */
int bp_model_load(const char *export_dir, const bp_options *opts, bp_model **out, char *err, size_t errlen);
void bp_model_free(bp_model *m);
/* Lent while m lives. */
tfc_saved_model *bp_model_saved_model(const bp_model *m);
const char *bp_model_signature_key(const bp_model *m);

/* The outputs to fetch (lent) and, after running them on a batch, one
 * instance's result object (no newline, NUL-terminated) into buf: returns
 * its length, or when that does not fit in cap, a size that will (nothing
 * useful is written then). For code that runs the model itself (tfc
 * predict). A row that some output lacks gives "{}". */
int bp_model_fetch_keys(const bp_model *m, const char *const **keys);
size_t bp_format_row(const bp_model *m, tfc_tensor *const *outputs, int64_t row, char *buf, size_t cap);

typedef struct bp_counts {
    int64_t instances; /* predicted (written to results) */
    int64_t errors;    /* bad instances */
} bp_counts;

/* Predicts every JSON line of data[0..len) (data[len] must be '\0'; blank
 * lines are skipped), writing results in input order to results, one line
 * each. A bad instance (malformed JSON, a missing feature, a value of the
 * wrong type) never stops the others: it is written to errors as one JSON
 * line {"file": source, "line": N, "error": "...", "instance": "<the line>"}
 * and counted; with errors NULL the first bad instance is instead a failure
 * (TFC_INVALID_ARGUMENT, "source:N: ..." in err) and nothing after it is
 * written. Returns TFC_OK or the code of a failure (write error, memory),
 * counts added to *counts (may be NULL). */
int bp_predict_buffer(bp_model *m, const char *data, size_t len, const char *source, FILE *results, FILE *errors,
                      bp_counts *counts, char *err, size_t errlen);

/* Reads a whole file, NUL-terminated (free with free()). Returns a tfc_code
 * (TFC_NOT_FOUND for a missing file) with err set on failure. */
int bp_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen);

/* A batch-prediction job: every file the comma-separated glob patterns of
 * input_paths match (sorted) into output_dir/prediction.results-NNNNN-of-MMMMM
 * (one shard per input file, in order) and
 * output_dir/prediction.errors_stats-00000-of-00001 (the bad instances; empty
 * when there are none). Progress lines go to log (may be NULL). */
typedef struct bp_job {
    const char *export_dir;
    const char *input_paths;
    const char *output_dir;
    const char *data_format; /* "TEXT" (JSON lines); NULL means TEXT */
    bp_options options;
} bp_job;

typedef struct bp_job_stats {
    int64_t instances, errors;
    int files;
    double load_seconds;    /* loading the export */
    double predict_seconds; /* reading, parsing, running, formatting and writing */
} bp_job_stats;

int bp_run_job(const bp_job *job, FILE *log, bp_job_stats *stats, char *err, size_t errlen);

#endif
