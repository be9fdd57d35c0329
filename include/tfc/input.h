/* tfc — input pipelines: CSV files and JSON-lines instances read into
 * column-major batches, driven by a schema.
 *
 * A schema lists the columns in file order (name, dtype, optional default) and
 * how the text is written (delimiter, trimming, missing-value marker, header and
 * comment lines, quoting). A CSV reader reads files (paths or glob(3) patterns,
 * plain or gzip, detected by magic) into batches: one rank-1 tensor per column
 * ([rows] of the column's dtype) plus the row count, with an optional shuffle
 * buffer, epochs and a final partial batch. JSON-lines instances (one object
 * of feature name -> value per line) are read into the same batches.
 *
 * Errors name the file, the 1-based line (where the row starts) and column, the
 * column's name and what was expected, e.g.
 *   "adult.data:17: column 5 'education_num': 'abc' is not an integer".
 *
 * Rules for a field (CSV):
 *   - blank lines (only whitespace) are skipped; the first header_lines lines
 *     of every file are skipped, and so are lines starting with comment_prefix;
 *   - CRLF line ends are accepted; the last line needs no newline; a UTF-8
 *     byte-order mark at the start of a file is ignored;
 *   - with trim_whitespace, spaces and tabs around a field are removed (the
 *     census files separate fields with ", ");
 *   - a field is missing when it is empty or equals missing_value; a missing
 *     field takes the column's default, and is an error for a column without
 *     one. A quoted field ("...", with "" for a quote, RFC 4180) is never missing;
 *   - numbers are decimal (as strtod/strtoll in the C locale, whatever the
 *     process's locale); NaN and infinities are errors unless allow_nonfinite.
 *
 * Ownership: *_new give an object released with its *_free. A reader keeps its
 * own reference to the schema, so the schema may be freed right after. Batch
 * tensors are the caller's (tfc_tensor_free each).
 * Thread safety: a schema must not be changed while readers are made from it;
 * once complete it may be shared by readers in several threads. A reader is
 * used by one thread at a time; different readers are independent.
 */
#ifndef TFC_INPUT_H
#define TFC_INPUT_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tfc_csv_schema tfc_csv_schema;
typedef struct tfc_csv_reader tfc_csv_reader;

typedef struct tfc_csv_schema_options {
    size_t size;                /* sizeof(tfc_csv_schema_options): lets the struct grow */
    char delimiter;             /* field separator; default ',' */
    int trim_whitespace;        /* remove spaces and tabs around fields; default 1 */
    const char *missing_value;  /* marker of a missing field besides the empty one ("?"); NULL: none. Copied */
    int header_lines;           /* lines skipped at the start of every file; default 0 */
    const char *comment_prefix; /* lines starting with it are skipped ("|", "#"); NULL: none. Copied */
    int quoted_fields;          /* RFC 4180 double-quoted fields; default 1 */
    int allow_nonfinite;        /* accept nan/inf in float and double columns; default 0 (an error) */
    int skip_malformed;         /* 0 (default): a malformed row is an error; 1: it is skipped, counted
                                   (tfc_csv_reader_malformed_count) and logged as a warning */
    size_t max_line_bytes;      /* longest row accepted; 0 = 1 MiB */
} tfc_csv_schema_options;

#define TFC_CSV_SCHEMA_OPTIONS_INIT {sizeof(tfc_csv_schema_options), ',', 1, NULL, 0, NULL, 1, 0, 0, 0}

/* New schema without columns; opts NULL for the defaults. */
TFC_API tfc_code tfc_csv_schema_new(const tfc_csv_schema_options *opts, tfc_csv_schema **out);
/* Drops the caller's reference; readers keep their own. NULL is ignored. */
TFC_API void tfc_csv_schema_free(tfc_csv_schema *s);

/* Appends a column (file order). dtype: TFC_FLOAT, TFC_DOUBLE, TFC_INT32,
 * TFC_INT64 or TFC_STRING. default_value: text used when the field is
 * missing, parsed now as the column's dtype (NULL: the column is required).
 * Names must be unique and non-empty. */
TFC_API tfc_code tfc_csv_schema_add_column(tfc_csv_schema *s, const char *name, tfc_dtype dtype,
                                           const char *default_value);

/* Flags of tfc_csv_schema_set_label_vocabulary. */
#define TFC_LABEL_STRIP_TRAILING_PERIOD 1u /* drop one trailing '.' from a value before the lookup, so the
                                              census test file's ">50K." maps like ">50K" */

/* Makes the existing TFC_INT32 or TFC_INT64 column `column` a label column:
 * its text is looked up in labels[0..n) (copied; unique, non-empty) and the
 * column holds the index. A value not in the list is an error naming the file,
 * line and value. The column must not have a default. */
TFC_API tfc_code tfc_csv_schema_set_label_vocabulary(tfc_csv_schema *s, const char *column,
                                                     const char *const *labels, int n, unsigned flags);

TFC_API int tfc_csv_schema_num_columns(const tfc_csv_schema *s);
/* Lent (valid while the schema lives); NULL when i is out of range. */
TFC_API const char *tfc_csv_schema_column_name(const tfc_csv_schema *s, int i);
/* TFC_INVALID_DTYPE when i is out of range. */
TFC_API tfc_dtype tfc_csv_schema_column_dtype(const tfc_csv_schema *s, int i);

typedef struct tfc_csv_reader_options {
    size_t size;                 /* sizeof(tfc_csv_reader_options) */
    int64_t batch_size;          /* rows per batch when next_batch is given 0; default 32 */
    int64_t num_epochs;          /* passes over the files; 0 = forever; default 1 */
    int64_t shuffle_buffer_size; /* 0 or 1: file order. N: like tf.data's shuffle, a buffer of N rows
                                    from which a random one is output and refilled; the buffer is
                                    drained at the end of each epoch, so every epoch is a permutation
                                    of the rows when N >= their count */
    uint64_t seed;               /* the shuffle's seed: the same seed gives the same order */
    int partial_final_batch;     /* 1 (default): the last batch may hold fewer rows; 0: it is dropped */
} tfc_csv_reader_options;

#define TFC_CSV_READER_OPTIONS_INIT {sizeof(tfc_csv_reader_options), 32, 1, 0, 0, 1}

/* New reader over the files matching patterns[0..n) in that order (each a path
 * or a glob(3) pattern, whose matches are taken in sorted order). A pattern that
 * matches nothing, or a path that does not exist, is TFC_NOT_FOUND. Batches
 * run across file and epoch boundaries. opts NULL for the defaults. */
TFC_API tfc_code tfc_csv_reader_new(tfc_csv_schema *schema, const char *const *patterns, int n,
                                    const tfc_csv_reader_options *opts, tfc_csv_reader **out);
/* The same over a copy of data[0..size) (uncompressed CSV text); source names it in errors. */
TFC_API tfc_code tfc_csv_reader_new_from_buffer(tfc_csv_schema *schema, const void *data, size_t size,
                                                const char *source, const tfc_csv_reader_options *opts,
                                                tfc_csv_reader **out);
TFC_API void tfc_csv_reader_free(tfc_csv_reader *r);

/* Reads the next batch of at most batch_size rows (0: the options' batch size)
 * into columns[0..num_columns): new [rows] tensors, the caller's. At the end
 * of the data returns TFC_OUT_OF_RANGE with columns NULL and *rows 0. An error
 * is sticky: later calls return it again. */
TFC_API tfc_code tfc_csv_reader_next_batch(tfc_csv_reader *r, int64_t batch_size, tfc_tensor **columns,
                                           int64_t *rows);

/* Rows skipped as malformed so far (skip_malformed). */
TFC_API int64_t tfc_csv_reader_malformed_count(const tfc_csv_reader *r);
/* Why the i-th skipped row was skipped, for the first TFC_CSV_MAX_MALFORMED_REASONS;
 * lent, valid while the reader lives; NULL when i is out of range. */
#define TFC_CSV_MAX_MALFORMED_REASONS 8
TFC_API const char *tfc_csv_reader_malformed_reason(const tfc_csv_reader *r, int64_t i);

/* JSON lines: every non-blank line is a JSON object of feature name -> value,
 * where a value is a number, a string or a one-element list of one, for the
 * schema's columns (by name; the schema's text options do not apply). A
 * missing or null feature takes the column's default, and is an error naming
 * it and the line otherwise; a feature the schema lacks, a wrong type
 * ("instances.jsonl:3: $.age: expected a number, got a string") or invalid JSON
 * is an error. Integer columns take JSON integers (or reals with an integral
 * value); label columns take strings. Reads all instances into one batch.
 * A file (or buffer) without instances is an error. */
TFC_API tfc_code tfc_json_lines_read(const tfc_csv_schema *schema, const char *path, tfc_tensor **columns,
                                     int64_t *rows);
/* The same from data[0..size); source names it in errors. */
TFC_API tfc_code tfc_json_lines_parse(const tfc_csv_schema *schema, const void *data, size_t size,
                                      const char *source, tfc_tensor **columns, int64_t *rows);

#ifdef __cplusplus
}
#endif
#endif
