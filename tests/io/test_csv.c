/* CSV parsing (fields, quoting, numbers, defaults) and its error messages;
 * JSON-lines instances. The pipeline (files, gzip, globs, shuffle, epochs,
 * batches, labels, the census files) is tested in tests/estimators/test_input.c. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tfc/input.h"

/* Reads all of text through a buffer reader into one batch (at most 1000 rows). */
static tfc_code read_text(tfc_csv_schema *s, const char *text, tfc_tensor **cols, int64_t *rows)
{
    tfc_csv_reader *r;
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    o.batch_size = 1000;
    tfc_code c = tfc_csv_reader_new_from_buffer(s, text, strlen(text), "t.csv", &o, &r);
    if (c) return c;
    c = tfc_csv_reader_next_batch(r, 0, cols, rows);
    tfc_csv_reader_free(r);
    return c;
}

static void free_cols(tfc_tensor **cols, int n)
{
    for (int i = 0; i < n; i++) tfc_tensor_free(cols[i]);
}

static int str_eq(const tfc_tensor *t, int64_t i, const char *want)
{
    const char *p;
    size_t n;
    if (tfc_tensor_string(t, i, &p, &n) != TFC_OK) return 0;
    return n == strlen(want) && !memcmp(p, want, n);
}

static tfc_csv_schema *schema5(const tfc_csv_schema_options *o)
{
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(o, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "f", TFC_FLOAT, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "d", TFC_DOUBLE, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "i", TFC_INT32, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "l", TFC_INT64, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "s", TFC_STRING, NULL));
    return s;
}

static void test_basic_types(void)
{
    tfc_csv_schema *s = schema5(NULL);
    CU_ASSERT_EQUAL(tfc_csv_schema_num_columns(s), 5);
    CU_ASSERT_STRING_EQUAL(tfc_csv_schema_column_name(s, 3), "l");
    CU_ASSERT_EQUAL(tfc_csv_schema_column_dtype(s, 4), TFC_STRING);
    CU_ASSERT_PTR_NULL(tfc_csv_schema_column_name(s, 5));
    tfc_tensor *c[5];
    int64_t rows;
    TFCT_OK(read_text(s, "1.5,2.25,3,-4,abc\n-0.125, 1e3 ,+7,9223372036854775807,  x y  \n", c, &rows));
    CU_ASSERT_EQUAL(rows, 2);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(c[0]), TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(c[1]), TFC_DOUBLE);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(c[2]), TFC_INT32);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(c[3]), TFC_INT64);
    CU_ASSERT_EQUAL(tfc_tensor_dim(c[0], 0), 2);
    float *f = tfc_tensor_data(c[0]);
    double *d = tfc_tensor_data(c[1]);
    int32_t *i = tfc_tensor_data(c[2]);
    int64_t *l = tfc_tensor_data(c[3]);
    CU_ASSERT_EQUAL(f[0], 1.5f);
    CU_ASSERT_EQUAL(f[1], -0.125f);
    CU_ASSERT_EQUAL(d[0], 2.25);
    CU_ASSERT_EQUAL(d[1], 1000.0);
    CU_ASSERT_EQUAL(i[0], 3);
    CU_ASSERT_EQUAL(i[1], 7);
    CU_ASSERT_EQUAL(l[0], -4);
    CU_ASSERT_EQUAL(l[1], INT64_MAX);
    CU_ASSERT(str_eq(c[4], 0, "abc"));
    CU_ASSERT(str_eq(c[4], 1, "x y")); /* trimmed at both ends, inner space kept */
    free_cols(c, 5);
    tfc_csv_schema_free(s);
}

/* The fast decimal path must agree with strtod/strtof bit for bit. */
static void test_number_precision(void)
{
    static const char *vals[] = {"0.1", "123.456", "-0.000123", "3.14159265358979", "16777217", "16777216",
                                 "0.3", "1e-5", "2.5E+10", "123456789012345678", "0.1000000000000000055511",
                                 "7.0", ".5", "5.", "-0", "340282346638528859811704183484516925440", "1e-320",
                                 "4.35", "99999999.99", "0.000000000000000000001"};
    int n = (int)(sizeof vals / sizeof vals[0]);
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "f", TFC_FLOAT, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "d", TFC_DOUBLE, NULL));
    char text[4096] = "";
    for (int k = 0; k < n; k++) {
        strcat(text, vals[k]);
        strcat(text, ",");
        strcat(text, vals[k]);
        strcat(text, "\n");
    }
    tfc_tensor *c[2];
    int64_t rows;
    TFCT_OK(read_text(s, text, c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, n);
    float *f = tfc_tensor_data(c[0]);
    double *d = tfc_tensor_data(c[1]);
    for (int k = 0; k < n; k++) {
        float wf = strtof(vals[k], NULL);
        double wd = strtod(vals[k], NULL);
        if (memcmp(&f[k], &wf, sizeof wf) || memcmp(&d[k], &wd, sizeof wd))
            fprintf(stderr, "\nvalue %s: got %.9g / %.17g, want %.9g / %.17g\n", vals[k], f[k], d[k], wf, wd);
        CU_ASSERT(!memcmp(&f[k], &wf, sizeof wf));
        CU_ASSERT(!memcmp(&d[k], &wd, sizeof wd));
    }
    free_cols(c, 2);
    tfc_csv_schema_free(s);
}

static void test_missing_and_defaults(void)
{
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.missing_value = "?";
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_FLOAT, "-1.5"));
    TFCT_OK(tfc_csv_schema_add_column(s, "b", TFC_INT64, "42"));
    TFCT_OK(tfc_csv_schema_add_column(s, "c", TFC_STRING, "none"));
    tfc_tensor *c[5];
    int64_t rows;
    TFCT_OK(read_text(s, "?, ?, ?\n,,\n2, 3 , \"?\"\n", c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, 3);
    float *a = tfc_tensor_data(c[0]);
    int64_t *b = tfc_tensor_data(c[1]);
    CU_ASSERT_EQUAL(a[0], -1.5f);
    CU_ASSERT_EQUAL(a[1], -1.5f);
    CU_ASSERT_EQUAL(a[2], 2.0f);
    CU_ASSERT_EQUAL(b[0], 42);
    CU_ASSERT_EQUAL(b[1], 42);
    CU_ASSERT_EQUAL(b[2], 3);
    CU_ASSERT(str_eq(c[2], 0, "none"));
    CU_ASSERT(str_eq(c[2], 1, "none"));
    CU_ASSERT(str_eq(c[2], 2, "?")); /* quoted: a value, never missing */
    free_cols(c, 3);

    /* A missing field of a column without a default. */
    tfc_csv_schema *s2 = schema5(&o);
    CU_ASSERT_EQUAL(read_text(s2, "1,2,3,4,x\n1,2,?,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:2: column 3 'i': the value is missing ('?') and the column has no default");
    CU_ASSERT_PTR_NULL(c[0]);
    CU_ASSERT_EQUAL(rows, 0);
    CU_ASSERT_EQUAL(read_text(s2, "1,2,3,4,\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 5 's': the value is missing ('') and the column has no default");
    tfc_csv_schema_free(s2);
    tfc_csv_schema_free(s);
}

static void test_header_comments_blank_crlf(void)
{
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.header_lines = 1;
    o.comment_prefix = "|";
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "x", TFC_INT32, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "y", TFC_STRING, NULL));
    tfc_tensor *c[2];
    int64_t rows;
    /* header, comment, CRLF rows, a blank line, whitespace-only line, no final newline */
    TFCT_OK(read_text(s, "x,y\r\n|1x3 Cross validator\r\n1,a\r\n\r\n   \n2,b\n|note\n3,c", c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, 3);
    int32_t *x = tfc_tensor_data(c[0]);
    CU_ASSERT_EQUAL(x[0], 1);
    CU_ASSERT_EQUAL(x[1], 2);
    CU_ASSERT_EQUAL(x[2], 3);
    CU_ASSERT(str_eq(c[1], 0, "a"));
    CU_ASSERT(str_eq(c[1], 1, "b"));
    CU_ASSERT(str_eq(c[1], 2, "c")); /* the last row has no newline */
    free_cols(c, 2);

    /* A UTF-8 byte-order mark is skipped. */
    TFCT_OK(read_text(s, "\xEF\xBB\xBFx,y\n7,a\n", c, &rows));
    CU_ASSERT_EQUAL(rows, 1);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(c[0]))[0], 7);
    free_cols(c, 2);

    /* Line numbers in errors count header and comment lines. */
    CU_ASSERT_EQUAL(read_text(s, "x,y\n|c\n1,a\n\nz,b\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:5: column 1 'x': 'z' is not an integer");
    tfc_csv_schema_free(s);

    /* Tab-separated without trimming: spaces are part of the values. */
    tfc_csv_schema_options t = TFC_CSV_SCHEMA_OPTIONS_INIT;
    t.delimiter = '\t';
    t.trim_whitespace = 0;
    TFCT_OK(tfc_csv_schema_new(&t, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_STRING, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "b", TFC_STRING, NULL));
    TFCT_OK(read_text(s, " p \t,q\n", c, &rows));
    CU_ASSERT(str_eq(c[0], 0, " p "));
    CU_ASSERT(str_eq(c[1], 0, ",q"));
    free_cols(c, 2);
    tfc_csv_schema_free(s);
}

static void test_quoted_fields(void)
{
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_STRING, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "n", TFC_DOUBLE, NULL));
    tfc_csv_schema_add_column(s, "b", TFC_STRING, NULL);
    tfc_tensor *c[3];
    int64_t rows;
    TFCT_OK(read_text(s, "\"x, \"\"y\"\"\", \"2.5\" ,\"two\nlines\"\n\"\",1,\" sp \"\r\nplain,3,z\n", c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, 3);
    CU_ASSERT(str_eq(c[0], 0, "x, \"y\""));
    CU_ASSERT(str_eq(c[2], 0, "two\nlines"));
    CU_ASSERT(str_eq(c[0], 1, ""));
    CU_ASSERT(str_eq(c[2], 1, " sp ")); /* quoted content is not trimmed */
    CU_ASSERT(str_eq(c[0], 2, "plain"));
    double *n = tfc_tensor_data(c[1]);
    CU_ASSERT_EQUAL(n[0], 2.5);
    CU_ASSERT_EQUAL(n[2], 3.0);
    free_cols(c, 3);

    CU_ASSERT_EQUAL(read_text(s, "a,1,b\n\"open,2,c\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:2: column 1: unterminated quoted field (a '\"' without its closing quote)");
    CU_ASSERT_EQUAL(read_text(s, "a,1,b\n\"q\"x,2,c\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:2: column 1: unexpected 'x' after a closing quote (expected ',' or the end of the line)");
    /* A row spanning lines reports the line it starts on; the next row's line is right too. */
    CU_ASSERT_EQUAL(read_text(s, "\"a\nb\",1,c\nd,e,f\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:3: column 2 'n': 'e' is not a number");
    tfc_csv_schema_free(s);

    /* Without quoting, quotes are ordinary characters. */
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.quoted_fields = 0;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_STRING, NULL));
    TFCT_OK(read_text(s, "\"q\"\"\n", c, &rows));
    CU_ASSERT(str_eq(c[0], 0, "\"q\"\""));
    free_cols(c, 1);
    tfc_csv_schema_free(s);
}

static void test_bad_numbers(void)
{
    tfc_csv_schema *s = schema5(NULL);
    tfc_tensor *c[5];
    int64_t rows;
    CU_ASSERT_EQUAL(read_text(s, "1,2,3,4,x\nabc,2,3,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:2: column 1 'f': 'abc' is not a number");
    CU_ASSERT_EQUAL(read_text(s, "1,2x,3,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 2 'd': '2x' is not a number");
    CU_ASSERT_EQUAL(read_text(s, "1,2,3.5,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 3 'i': '3.5' is not an integer");
    CU_ASSERT_EQUAL(read_text(s, "1,2,2147483648,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 3 'i': '2147483648' is out of range for int32");
    CU_ASSERT_EQUAL(read_text(s, "1,2,-2147483648,-9223372036854775809,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 4 'l': '-9223372036854775809' is out of range for int64");
    CU_ASSERT_EQUAL(read_text(s, "1e39,2,3,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 1 'f': '1e39' is out of range for float32");
    CU_ASSERT_EQUAL(read_text(s, "1,nan,3,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 2 'd': 'nan' is not a finite number (allow_nonfinite is off)");
    CU_ASSERT_EQUAL(read_text(s, "-inf,1,3,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 1 'f': '-inf' is not a finite number (allow_nonfinite is off)");
    CU_ASSERT_EQUAL(read_text(s, "-,1,3,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 1 'f': '-' is not a number");
    CU_ASSERT_EQUAL(read_text(s, "1,2,+,4,x\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: column 3 'i': '+' is not an integer");
    tfc_csv_schema_free(s);

    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.allow_nonfinite = 1;
    s = schema5(&o);
    TFCT_OK(read_text(s, "inf,NaN,1,2,x\n", c, &rows));
    CU_ASSERT(isinf(((float *)tfc_tensor_data(c[0]))[0]));
    CU_ASSERT(isnan(((double *)tfc_tensor_data(c[1]))[0]));
    free_cols(c, 5);
    tfc_csv_schema_free(s);
}

static void test_field_counts_and_lines(void)
{
    tfc_csv_schema *s = schema5(NULL);
    tfc_tensor *c[5];
    int64_t rows;
    CU_ASSERT_EQUAL(read_text(s, "1,2,3,4,x\n1,2,3,4\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:2: expected 5 fields, found 4 (column 5 's' is missing)");
    CU_ASSERT_EQUAL(read_text(s, "1,2,3,4,x,y\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: expected 5 fields, found 6");
    CU_ASSERT_EQUAL(read_text(s, "", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv: the file is empty (expected CSV rows)");
    CU_ASSERT_EQUAL(read_text(s, "\n\n  \n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv: no data rows (only blank lines); expected CSV rows");
    tfc_csv_schema_free(s);

    /* An enormous line: over max_line_bytes is an error naming the line. */
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.max_line_bytes = 64;
    o.header_lines = 1;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_STRING, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "b", TFC_STRING, NULL));
    char text[300];
    snprintf(text, sizeof text, "a,b\nok,1\n%0100d,2\n", 7);
    CU_ASSERT_EQUAL(read_text(s, text, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:3: the row is longer than 64 bytes (max_line_bytes)");
    CU_ASSERT_EQUAL(read_text(s, "a,b\n", c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv: no data rows (only header, comment or blank lines); expected CSV rows");
    tfc_csv_schema_free(s);

    /* The default cap is 1 MiB. */
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_STRING, NULL));
    size_t big = (1u << 20) + 10;
    char *huge = malloc(big + 2);
    memset(huge, 'z', big);
    huge[big] = '\n';
    huge[big + 1] = 0;
    CU_ASSERT_EQUAL(read_text(s, huge, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("t.csv:1: the row is longer than 1048576 bytes (max_line_bytes)");
    free(huge);
    tfc_csv_schema_free(s);
}

static int warnings;
static char last_warning[600];
static void count_warnings(tfc_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    if (level == TFC_LOG_WARNING) {
        warnings++;
        snprintf(last_warning, sizeof last_warning, "%s", message);
    }
}

static void test_skip_malformed(void)
{
    tfc_set_log_callback(count_warnings, NULL);
    warnings = 0;
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.skip_malformed = 1;
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(&o, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "n", TFC_INT32, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "t", TFC_STRING, NULL));
    const char *text = "1,a\nx,b\n2\n3,c\n\"u,d\n";
    tfc_csv_reader *r;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "m.csv", NULL, &r));
    tfc_tensor *c[2];
    int64_t rows;
    TFCT_OK(tfc_csv_reader_next_batch(r, 10, c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, 2);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(c[0]))[0], 1);
    CU_ASSERT_EQUAL(((int32_t *)tfc_tensor_data(c[0]))[1], 3);
    CU_ASSERT(str_eq(c[1], 1, "c"));
    free_cols(c, 2);
    CU_ASSERT_EQUAL(tfc_csv_reader_malformed_count(r), 3);
    CU_ASSERT_STRING_EQUAL(tfc_csv_reader_malformed_reason(r, 0), "m.csv:2: column 1 'n': 'x' is not an integer");
    CU_ASSERT_STRING_EQUAL(tfc_csv_reader_malformed_reason(r, 1),
                           "m.csv:3: expected 2 fields, found 1 (column 2 't' is missing)");
    CU_ASSERT_STRING_EQUAL(tfc_csv_reader_malformed_reason(r, 2),
                           "m.csv:5: column 1: unterminated quoted field (a '\"' without its closing quote)");
    CU_ASSERT_PTR_NULL(tfc_csv_reader_malformed_reason(r, 3));
    tfc_set_log_callback(NULL, NULL);
    CU_ASSERT_EQUAL(warnings, 3); /* each skipped row is logged */
    CU_ASSERT_STRING_EQUAL(last_warning, "skipped a malformed row: m.csv:5: column 1: unterminated quoted field "
                                         "(a '\"' without its closing quote)");
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 10, c, &rows), TFC_OUT_OF_RANGE);
    tfc_csv_reader_free(r);

    /* Every row malformed, forever: ends instead of looping. */
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.num_epochs = 0;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, "x,y\n", 4, "m.csv", &ro, &r));
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 10, c, &rows), TFC_OUT_OF_RANGE);
    CU_ASSERT_EQUAL(tfc_csv_reader_malformed_count(r), 1);
    tfc_csv_reader_free(r);
    tfc_csv_schema_free(s);
}

static void test_sticky_error_and_partial(void)
{
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "n", TFC_INT64, NULL));
    const char *text = "1\n2\n3\nbad\n5\n";
    tfc_csv_reader *r;
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, text, strlen(text), "e.csv", NULL, &r));
    tfc_csv_schema_free(s); /* the reader keeps its own reference */
    tfc_tensor *c[1];
    int64_t rows;
    TFCT_OK(tfc_csv_reader_next_batch(r, 2, c, &rows));
    CU_ASSERT_EQUAL(rows, 2);
    tfc_tensor_free(c[0]);
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 2, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("e.csv:4: column 1 'n': 'bad' is not an integer");
    CU_ASSERT_PTR_NULL(c[0]);
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, 2, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("e.csv:4: column 1 'n': 'bad' is not an integer");
    tfc_csv_reader_free(r);
}

static void test_api_errors(void)
{
    tfc_csv_schema *s;
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    o.delimiter = '"';
    CU_ASSERT_EQUAL(tfc_csv_schema_new(&o, &s), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("delimiter 0x22 is not usable");
    o.delimiter = ',';
    o.size = 3;
    CU_ASSERT_EQUAL(tfc_csv_schema_new(&o, &s), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("options size 3 is not valid");
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    CU_ASSERT_EQUAL(tfc_csv_schema_add_column(s, "b", TFC_BOOL, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("column 'b' has dtype bool, expected float32, float64, int32, int64 or string");
    CU_ASSERT_EQUAL(tfc_csv_schema_add_column(s, "", TFC_FLOAT, NULL), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_csv_schema_add_column(s, "a", TFC_INT32, "1.5"), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("column 'a': default '1.5' is not an integer");
    TFCT_OK(tfc_csv_schema_add_column(s, "a", TFC_INT32, "0"));
    CU_ASSERT_EQUAL(tfc_csv_schema_add_column(s, "a", TFC_FLOAT, NULL), TFC_ALREADY_EXISTS);
    tfc_csv_reader *r;
    tfc_csv_reader_options ro = TFC_CSV_READER_OPTIONS_INIT;
    ro.batch_size = 0;
    CU_ASSERT_EQUAL(tfc_csv_reader_new_from_buffer(s, "1\n", 2, NULL, &ro, &r), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("batch_size is 0, expected > 0");
    CU_ASSERT_PTR_NULL(r);
    const char *missing[] = {"/nonexistent/dir/x.csv"};
    CU_ASSERT_EQUAL(tfc_csv_reader_new(s, missing, 1, NULL, &r), TFC_NOT_FOUND);
    TFCT_ERR_HAS("'/nonexistent/dir/x.csv': No such file or directory");
    const char *noglob[] = {"/nonexistent/dir/*.csv"};
    CU_ASSERT_EQUAL(tfc_csv_reader_new(s, noglob, 1, NULL, &r), TFC_NOT_FOUND);
    TFCT_ERR_HAS("pattern '/nonexistent/dir/*.csv' matches no files");
    /* A schema in use by a reader is frozen. */
    TFCT_OK(tfc_csv_reader_new_from_buffer(s, "1\n", 2, NULL, NULL, &r));
    tfc_tensor *c[1];
    int64_t rows;
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, (int64_t)1 << 40, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("batch_size 1099511627776 is more than 2147483648 rows");
    CU_ASSERT_EQUAL(tfc_csv_reader_next_batch(r, -1, c, &rows), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_csv_schema_add_column(s, "z", TFC_FLOAT, NULL), TFC_FAILED_PRECONDITION);
    tfc_csv_reader_free(r);
    TFCT_OK(tfc_csv_schema_add_column(s, "z", TFC_FLOAT, NULL));
    tfc_csv_schema_free(s);
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    CU_ASSERT_EQUAL(tfc_csv_reader_new_from_buffer(s, "1\n", 2, NULL, NULL, &r), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("the schema has no columns");
    tfc_csv_schema_free(s);
}

/* ---- JSON lines ---- */

static tfc_csv_schema *json_schema(void)
{
    tfc_csv_schema *s;
    TFCT_OK(tfc_csv_schema_new(NULL, &s));
    TFCT_OK(tfc_csv_schema_add_column(s, "age", TFC_FLOAT, NULL));
    TFCT_OK(tfc_csv_schema_add_column(s, "hours", TFC_INT32, "40"));
    TFCT_OK(tfc_csv_schema_add_column(s, "job", TFC_STRING, NULL));
    return s;
}

static void test_json_lines(void)
{
    tfc_csv_schema *s = json_schema();
    const char *text = "{\"age\": 39, \"hours\": 13, \"job\": \"Adm-clerical\"}\n"
                       "\n"
                       "{\"age\": [50.5], \"job\": [\"Exec\"]}\r\n"
                       "{\"job\": \"x\", \"hours\": 7.0, \"age\": -1e2}";
    tfc_tensor *c[3];
    int64_t rows;
    TFCT_OK(tfc_json_lines_parse(s, text, strlen(text), "in.jsonl", c, &rows));
    CU_ASSERT_EQUAL_FATAL(rows, 3);
    float *age = tfc_tensor_data(c[0]);
    int32_t *hours = tfc_tensor_data(c[1]);
    CU_ASSERT_EQUAL(age[0], 39.0f);
    CU_ASSERT_EQUAL(age[1], 50.5f);
    CU_ASSERT_EQUAL(age[2], -100.0f);
    CU_ASSERT_EQUAL(hours[0], 13);
    CU_ASSERT_EQUAL(hours[1], 40); /* the default */
    CU_ASSERT_EQUAL(hours[2], 7);
    CU_ASSERT(str_eq(c[2], 0, "Adm-clerical"));
    CU_ASSERT(str_eq(c[2], 1, "Exec"));
    free_cols(c, 3);

    struct {
        const char *text, *err;
    } bad[] = {
        {"{\"age\": 1, \"job\": \"a\"}\n{\"age\": \"old\", \"job\": \"b\"}\n",
         "in.jsonl:2: $.age: expected a number, got a string"},
        {"{\"job\": \"a\"}\n", "in.jsonl:1: $.age: feature 'age' is missing and has no default"},
        {"{\"age\": null, \"job\": \"a\"}\n", "in.jsonl:1: $.age: feature 'age' is missing and has no default"},
        {"{\"age\": 1, \"job\": 5}\n", "in.jsonl:1: $.job: expected a string, got an integer"},
        {"{\"age\": 1, \"job\": \"a\", \"hours\": 1.5}\n", "in.jsonl:1: $.hours: expected an integer, got 1.5"},
        {"{\"age\": 1, \"job\": \"a\", \"hours\": 3000000000}\n",
         "in.jsonl:1: $.hours: 3000000000 is out of range for int32"},
        {"{\"age\": [1, 2], \"job\": \"a\"}\n",
         "in.jsonl:1: $.age: expected a value or a one-element list, got a list of 2"},
        {"{\"age\": [true], \"job\": \"a\"}\n", "in.jsonl:1: $.age[0]: expected a number, got a boolean"},
        {"{\"age\": {}, \"job\": \"a\"}\n", "in.jsonl:1: $.age: expected a number, got an object"},
        {"{\"age\": 1, \"job\": \"a\", \"wage\": 3}\n",
         "in.jsonl:1: $.wage: unknown feature (the schema has no such column)"},
        {"[1, 2]\n", "in.jsonl:1: expected a JSON object of features, got a list"},
        {"{\"age\": 1,\n", "in.jsonl:1: invalid JSON at column"},
        {"\n  \n", "in.jsonl: no instances (expected one JSON object per line)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        CU_ASSERT_EQUAL(tfc_json_lines_parse(s, bad[k].text, strlen(bad[k].text), "in.jsonl", c, &rows),
                        TFC_INVALID_ARGUMENT);
        TFCT_ERR_HAS(bad[k].err);
        CU_ASSERT_PTR_NULL(c[0]);
        CU_ASSERT_EQUAL(rows, 0);
    }
    CU_ASSERT_EQUAL(tfc_json_lines_read(s, "/nonexistent/in.jsonl", c, &rows), TFC_NOT_FOUND);
    TFCT_ERR_HAS("/nonexistent/in.jsonl: cannot open");

    /* From a file, with a label column. */
    tfc_csv_schema *ls;
    TFCT_OK(tfc_csv_schema_new(NULL, &ls));
    TFCT_OK(tfc_csv_schema_add_column(ls, "x", TFC_DOUBLE, NULL));
    TFCT_OK(tfc_csv_schema_add_column(ls, "label", TFC_INT64, NULL));
    const char *labels[] = {"<=50K", ">50K"};
    TFCT_OK(tfc_csv_schema_set_label_vocabulary(ls, "label", labels, 2, TFC_LABEL_STRIP_TRAILING_PERIOD));
    char path[] = "/tmp/tfc_jsonl_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"x\": 0.25, \"label\": \">50K.\"}\n{\"x\": 2, \"label\": \"<=50K\"}\n{\"x\": 3, \"label\": \"?\"}\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(tfc_json_lines_read(ls, path, c, &rows), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS(":3: $.label: label '?' is not in the label vocabulary");
    f = fopen(path, "w");
    fputs("{\"x\": 0.25, \"label\": \">50K.\"}\n{\"x\": 2, \"label\": \"<=50K\"}\n", f);
    fclose(f);
    TFCT_OK(tfc_json_lines_read(ls, path, c, &rows));
    CU_ASSERT_EQUAL(rows, 2);
    CU_ASSERT_EQUAL(((double *)tfc_tensor_data(c[0]))[0], 0.25);
    CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(c[1]))[0], 1);
    CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(c[1]))[1], 0);
    free_cols(c, 2);
    remove(path);
    tfc_csv_schema_free(ls);
    tfc_csv_schema_free(s);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"basic types", test_basic_types},
        {"number precision", test_number_precision},
        {"missing values and defaults", test_missing_and_defaults},
        {"header, comment, blank lines, CRLF", test_header_comments_blank_crlf},
        {"quoted fields", test_quoted_fields},
        {"bad numbers", test_bad_numbers},
        {"field counts, empty files, long lines", test_field_counts_and_lines},
        {"skip malformed rows", test_skip_malformed},
        {"sticky errors", test_sticky_error_and_partial},
        {"api errors", test_api_errors},
        {"json lines", test_json_lines},
        {NULL, NULL},
    };
    return tfct_main("csv", cases);
}
