/* tfc — TensorBoard event files: write scalars, histograms and the graph for
 * `tensorboard --logdir`, and read event files back.
 *
 * Files are "events.out.tfevents.<seconds>.<hostname><suffix>": TFRecord
 * records (length, masked CRC32C of the length, payload, masked CRC32C of the
 * payload) around Event protos with TensorFlow's field numbers (schema:
 * src/io/proto/event.proto). The first event is file_version "brain.Event:2".
 *
 * Ownership: tfc_summary_writer_new / tfc_event_reader_open give objects
 * released with their *_free (tfc_summary_writer_close also reports a failed
 * final flush). Strings and arrays from the reader's accessors are lent until
 * the next tfc_event_reader_next or tfc_event_reader_free.
 * Thread safety: a writer's add and flush calls may come from several
 * threads at once (the writer serialises them), but not concurrently with
 * its close or free; a reader is used by one thread at a time.
 */
#ifndef TFC_SUMMARY_H
#define TFC_SUMMARY_H

#include <stdbool.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- writing ---- */

typedef struct tfc_summary_writer tfc_summary_writer;

typedef struct tfc_summary_writer_options {
    size_t size;                 /* sizeof(tfc_summary_writer_options): lets the struct grow */
    const char *filename_suffix; /* appended to the file name (e.g. ".eval"), so several writers may start in
                                    the same second in one directory; NULL for none */
    double flush_secs;           /* buffered events are written out when an add finds this many seconds passed
                                    since the last flush; default 120 (TensorFlow's); 0 = only on flush/close */
} tfc_summary_writer_options;

#define TFC_SUMMARY_WRITER_OPTIONS_INIT {sizeof(tfc_summary_writer_options), NULL, 120.0}

/* Creates logdir (and missing parents) and a new event file in it, holding
 * the file_version event (written out at once). opts may be NULL for the
 * defaults. TFC_ALREADY_EXISTS if that file name is taken (another writer
 * started in the same second: give a filename_suffix). */
TFC_API tfc_code tfc_summary_writer_new(const char *logdir, const tfc_summary_writer_options *opts,
                                        tfc_summary_writer **out);
/* Path of the event file; lent while w lives. */
TFC_API const char *tfc_summary_writer_path(const tfc_summary_writer *w);

/* A scalar summary (Summary.Value.simple_value) at step, stamped with the
 * current wall-clock time. */
TFC_API tfc_code tfc_summary_writer_add_scalar(tfc_summary_writer *w, const char *tag, int64_t step, float value);
/* A histogram of values[0..n) with TensorFlow's default buckets (limits
 * +-1e-12 growing by 10% up to +-1e20, then +-DBL_MAX, and 0; runs of empty
 * buckets merged as TensorFlow does). Non-finite values are an error, as in
 * TensorFlow's HistogramSummary. */
TFC_API tfc_code tfc_summary_writer_add_histogram(tfc_summary_writer *w, const char *tag, int64_t step,
                                                  const float *values, size_t n);
/* A serialized GraphDef (Event.graph_def, step 0), shown by TensorBoard's
 * Graphs tab. The bytes are copied. */
TFC_API tfc_code tfc_summary_writer_add_graph(tfc_summary_writer *w, const void *graph_def, size_t size);
/* Writes buffered events to the file (visible to TensorBoard from then on). */
TFC_API tfc_code tfc_summary_writer_flush(tfc_summary_writer *w);
/* Flushes, fsyncs and closes the file, and frees w (whatever the outcome). */
TFC_API tfc_code tfc_summary_writer_close(tfc_summary_writer *w);
/* Same without the report: a failure goes to the log callback. NULL is ignored. */
TFC_API void tfc_summary_writer_free(tfc_summary_writer *w);

/* ---- reading ---- */

typedef struct tfc_event_reader tfc_event_reader;

typedef enum tfc_event_kind {
    TFC_EVENT_OTHER = 0,        /* log message, session log, run metadata, meta graph */
    TFC_EVENT_FILE_VERSION = 1, /* tfc_event_file_version */
    TFC_EVENT_GRAPH_DEF = 2,    /* tfc_event_graph_def */
    TFC_EVENT_SUMMARY = 3       /* tfc_event_num_values values */
} tfc_event_kind;

typedef enum tfc_summary_kind {
    TFC_SUMMARY_OTHER = 0,    /* image, audio, tensor, ... */
    TFC_SUMMARY_SCALAR = 1,   /* simple_value */
    TFC_SUMMARY_HISTOGRAM = 2 /* histo */
} tfc_summary_kind;

/* A histogram's statistics and buckets: bucket[i] counts the values in
 * [bucket_limit[i-1], bucket_limit[i]) (from -DBL_MAX for i = 0). Frozen. */
typedef struct tfc_histogram {
    double min, max, num, sum, sum_squares;
    size_t num_buckets;
    const double *bucket_limit; /* lent */
    const double *bucket;       /* lent */
} tfc_histogram;

/* Opens an event file (any TFRecord file of Events, TensorFlow's too). */
TFC_API tfc_code tfc_event_reader_open(const char *path, tfc_event_reader **out);
/* Same over memory (copied); source names it in messages ("<buffer>" if NULL). */
TFC_API tfc_code tfc_event_reader_open_buffer(const void *data, size_t size, const char *source,
                                              tfc_event_reader **out);
/* NULL is ignored. */
TFC_API void tfc_event_reader_free(tfc_event_reader *r);

/* Reads the next event, checking both CRCs of its record. Returns TFC_OK with
 * the event available through the accessors below; TFC_OUT_OF_RANGE at the
 * end of the data, where tfc_event_reader_truncated tells whether a partial
 * last record was left (a writer still writing, or one that crashed): calling
 * again later retries from that record, as TensorFlow's readers do;
 * TFC_DATA_LOSS for a damaged record (naming the file and byte offset), after
 * which every call fails the same way. */
TFC_API tfc_code tfc_event_reader_next(tfc_event_reader *r);
/* True when the last tfc_event_reader_next stopped at a partial record. */
TFC_API bool tfc_event_reader_truncated(const tfc_event_reader *r);
/* Byte offset of the next record to read. */
TFC_API uint64_t tfc_event_reader_offset(const tfc_event_reader *r);

/* The current event (after tfc_event_reader_next returned TFC_OK). */
TFC_API double tfc_event_wall_time(const tfc_event_reader *r);
TFC_API int64_t tfc_event_step(const tfc_event_reader *r);
TFC_API tfc_event_kind tfc_event_kind_of(const tfc_event_reader *r);
/* "brain.Event:2" for a file-version event, else NULL. */
TFC_API const char *tfc_event_file_version(const tfc_event_reader *r);
/* The serialized GraphDef of a graph event, else NULL (*size 0). */
TFC_API const void *tfc_event_graph_def(const tfc_event_reader *r, size_t *size);
/* Summary values of a summary event (0 for other events). */
TFC_API int tfc_event_num_values(const tfc_event_reader *r);
/* Tag of value i; NULL when out of range. */
TFC_API const char *tfc_event_value_tag(const tfc_event_reader *r, int i);
TFC_API tfc_summary_kind tfc_event_value_kind(const tfc_event_reader *r, int i);
/* TFC_INVALID_ARGUMENT when value i is out of range or not of that kind. */
TFC_API tfc_code tfc_event_value_scalar(const tfc_event_reader *r, int i, float *value);
TFC_API tfc_code tfc_event_value_histogram(const tfc_event_reader *r, int i, tfc_histogram *out);

#ifdef __cplusplus
}
#endif
#endif
