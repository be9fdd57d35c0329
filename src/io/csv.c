/* CSV reading driven by a schema: see include/tfc/input.h.
 *
 * A file is read whole into one buffer (a "chunk", gzip inflated) and parsed
 * in place: fields are (pointer, length) slices of it, quoted fields are
 * unescaped in place, numbers are converted straight into a row of values.
 * Rows that carry strings keep a reference on their chunk, so a chunk lives
 * while any buffered or batched row points into it; string tensors are made
 * with one allocation per column per batch. Nothing is allocated per field. */
#include <errno.h>
#include <glob.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "csv_internal.h"
#include "../core/core.h"
#include "tfc/input.h"

#define CSV_DEFAULT_MAX_LINE ((size_t)1 << 20)
/* Rows in one batch at most: bounds the batch buffers' sizes. */
#define CSV_MAX_BATCH ((int64_t)1 << 31)
#define CSV_MAX_FILE_BYTES ((uint64_t)1 << 34)

/* Internal interface shared with json_lines.c (declared there too). */
bool tfci_csv_schema_default(const tfc_csv_schema *s, int col, double *num, int64_t *inum, const char **str,
                             size_t *len);
int tfci_csv_schema_label_id(const tfc_csv_schema *s, int col, const char *str, size_t len, int64_t *id);

/* One converted field. */
typedef union csv_value {
    float f;
    double d;
    int32_t i32;
    int64_t i64;
    struct {
        const char *p;
        size_t n;
    } s;
} csv_value;

typedef struct csv_column {
    char *name;
    tfc_dtype dtype;
    bool has_default;
    csv_value def;     /* strings point into def_text */
    char *def_text;
    /* label vocabulary: open-addressing table of indices into labels */
    char **labels;
    size_t *label_lens;
    int nlabels;
    int *table;
    size_t table_mask;
    bool strip_period;
} csv_column;

struct tfc_csv_schema {
    atomic_int refs;
    tfc_csv_schema_options o;
    char *missing;
    size_t missing_len;
    char *comment;
    size_t comment_len;
    csv_column *cols;
    int ncols, cap;
};

/* ---- numbers ---- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void init_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

enum { NUM_OK = 0, NUM_BAD, NUM_RANGE, NUM_NONFINITE };

static int parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return NUM_BAD;
    uint64_t v = 0;
    bool over = false;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return NUM_BAD;
        if (v > (UINT64_MAX - d) / 10) over = true;
        else v = v * 10 + d;
    }
    if (over) return NUM_RANGE;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return NUM_RANGE;
        int64_t x = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        if (x < lo) return NUM_RANGE;
        *out = x;
    } else {
        if (v > (uint64_t)INT64_MAX || (int64_t)v > hi) return NUM_RANGE;
        *out = (int64_t)v;
    }
    return NUM_OK;
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses a decimal into *d (double) or *f (is_float). Plain decimals with few
 * digits are converted exactly by one division (correctly rounded); the rest
 * go to strtod_l/strtof_l in the C locale. */
static int parse_real(const char *s, size_t n, bool is_float, bool allow_nonfinite, double *d, float *f)
{
    if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' || s[0] == '\f')
        return NUM_BAD;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    uint64_t m = 0;
    int digits = 0, frac = 0;
    bool dot = false, fast = true, any = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any = true;
            if (dot) frac++;
            if (m == 0 && c == '0') continue; /* leading zeros are not significant */
            if (++digits > 15) {
                fast = false;
                break;
            }
            m = m * 10 + (uint64_t)(c - '0');
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            fast = false;
            break;
        }
    }
    if (fast && any && frac <= 22) {
        if (is_float && m <= (1u << 24) && frac <= 10) {
            float v = (float)m / (float)pow10_tab[frac];
            *f = neg ? -v : v;
            return NUM_OK;
        }
        if (!is_float) {
            double v = (double)m / pow10_tab[frac];
            *d = neg ? -v : v;
            return NUM_OK;
        }
    }
    char stack[128];
    char *buf = n < sizeof stack ? stack : malloc(n + 1);
    if (!buf) return NUM_BAD;
    memcpy(buf, s, n);
    buf[n] = 0;
    pthread_once(&c_locale_once, init_c_locale);
    char *end;
    errno = 0;
    double dv = 0;
    float fv = 0;
    if (c_locale) {
        if (is_float) fv = strtof_l(buf, &end, c_locale);
        else dv = strtod_l(buf, &end, c_locale);
    } else {
        if (is_float) fv = strtof(buf, &end);
        else dv = strtod(buf, &end);
    }
    int err = errno;
    bool whole = end == buf + n && end != buf;
    if (buf != stack) free(buf);
    if (!whole) return NUM_BAD;
    double v = is_float ? (double)fv : dv;
    if (isnan(v) || isinf(v)) {
        /* strtod says ERANGE for finite text that overflows; "inf" itself is not a range error. */
        if (err == ERANGE) return NUM_RANGE;
        if (!allow_nonfinite) return NUM_NONFINITE;
    }
    if (is_float) *f = fv;
    else *d = dv;
    return NUM_OK;
}

/* Converts text to a value of dtype; returns a NUM_* code. */
static int convert_number(tfc_dtype dt, const char *p, size_t n, bool allow_nonfinite, csv_value *v)
{
    int64_t x;
    int c;
    switch (dt) {
    case TFC_FLOAT: return parse_real(p, n, true, allow_nonfinite, NULL, &v->f);
    case TFC_DOUBLE: return parse_real(p, n, false, allow_nonfinite, &v->d, NULL);
    case TFC_INT32:
        c = parse_int(p, n, INT32_MIN, INT32_MAX, &x);
        if (c == NUM_OK) v->i32 = (int32_t)x;
        return c;
    case TFC_INT64: return parse_int(p, n, INT64_MIN, INT64_MAX, &v->i64);
    default: return NUM_BAD;
    }
}

static const char *num_problem(tfc_dtype dt, int c)
{
    bool isint = dt == TFC_INT32 || dt == TFC_INT64;
    switch (c) {
    case NUM_RANGE: return dt == TFC_INT32 ? "is out of range for int32" : dt == TFC_INT64 ? "is out of range for int64"
                                           : dt == TFC_FLOAT                 ? "is out of range for float32"
                                                                             : "is out of range for float64";
    case NUM_NONFINITE: return "is not a finite number (allow_nonfinite is off)";
    default: return isint ? "is not an integer" : "is not a number";
    }
}

/* ---- schema ---- */

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static tfc_code copy_options(const void *in, size_t want, const char *what, void *dst)
{
    if (!in) return TFC_OK;
    size_t sz = *(const size_t *)in;
    if (sz < sizeof(size_t) || sz > want)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: options size %zu is not valid (expected %zu; use the _INIT macro)",
                          what, sz, want);
    memcpy(dst, in, sz);
    return TFC_OK;
}

TFC_API tfc_code tfc_csv_schema_new(const tfc_csv_schema_options *opts, tfc_csv_schema **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_schema_new: out is NULL");
    *out = NULL;
    tfc_csv_schema_options o = TFC_CSV_SCHEMA_OPTIONS_INIT;
    tfc_code c = copy_options(opts, sizeof o, "tfc_csv_schema_new", &o);
    if (c) return c;
    o.size = sizeof o;
    if (o.delimiter == '\n' || o.delimiter == '\r' || o.delimiter == '"' || o.delimiter == 0)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_csv_schema_new: delimiter 0x%02x is not usable (a newline, quote or NUL)",
                          (unsigned char)o.delimiter);
    if (o.header_lines < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_schema_new: header_lines is %d, expected >= 0",
                          o.header_lines);
    if (o.comment_prefix && !o.comment_prefix[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_schema_new: comment_prefix is empty (use NULL for none)");
    tfc_csv_schema *s = calloc(1, sizeof *s);
    if (!s) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_schema_new: out of memory");
    atomic_init(&s->refs, 1);
    if (o.missing_value && o.missing_value[0]) {
        s->missing_len = strlen(o.missing_value);
        s->missing = dup_n(o.missing_value, s->missing_len);
    }
    if (o.comment_prefix) {
        s->comment_len = strlen(o.comment_prefix);
        s->comment = dup_n(o.comment_prefix, s->comment_len);
    }
    if (o.max_line_bytes == 0) o.max_line_bytes = CSV_DEFAULT_MAX_LINE;
    o.missing_value = s->missing;
    o.comment_prefix = s->comment;
    s->o = o;
    if ((o.missing_value && !s->missing) || (o.comment_prefix && !s->comment)) {
        tfc_csv_schema_free(s);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_schema_new: out of memory");
    }
    *out = s;
    return TFC_OK;
}

tfc_csv_schema *tfci_csv_schema_retain(tfc_csv_schema *s)
{
    atomic_fetch_add(&s->refs, 1);
    return s;
}

TFC_API void tfc_csv_schema_free(tfc_csv_schema *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    for (int i = 0; i < s->ncols; i++) {
        csv_column *c = &s->cols[i];
        free(c->name);
        free(c->def_text);
        for (int j = 0; j < c->nlabels; j++) free(c->labels[j]);
        free(c->labels);
        free(c->label_lens);
        free(c->table);
    }
    free(s->cols);
    free(s->missing);
    free(s->comment);
    free(s);
}

static int find_column(const tfc_csv_schema *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return i;
    return -1;
}

TFC_API tfc_code tfc_csv_schema_add_column(tfc_csv_schema *s, const char *name, tfc_dtype dtype,
                                           const char *default_value)
{
    if (!s || !name || !name[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_schema_add_column: %s", !s ? "schema is NULL"
                                                                                  : "the column name is empty");
    if (dtype != TFC_FLOAT && dtype != TFC_DOUBLE && dtype != TFC_INT32 && dtype != TFC_INT64 && dtype != TFC_STRING)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_csv_schema_add_column: column '%s' has dtype %s, expected float32, float64, int32, "
                          "int64 or string",
                          name, tfc_dtype_name(dtype));
    if (find_column(s, name) >= 0)
        return tfci_error(TFC_ALREADY_EXISTS, "tfc_csv_schema_add_column: the schema already has a column '%s'",
                          name);
    if (atomic_load(&s->refs) > 1)
        return tfci_error(TFC_FAILED_PRECONDITION,
                          "tfc_csv_schema_add_column: the schema is in use by a reader and can no longer change");
    csv_column col = {0};
    col.dtype = dtype;
    if (default_value) {
        size_t n = strlen(default_value);
        col.has_default = true;
        if (dtype == TFC_STRING) {
            col.def_text = dup_n(default_value, n);
            if (!col.def_text) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_schema_add_column: out of memory");
            col.def.s.p = col.def_text;
            col.def.s.n = n;
        } else {
            int c = convert_number(dtype, default_value, n, true, &col.def);
            if (c != NUM_OK)
                return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_schema_add_column: column '%s': default '%s' %s",
                                  name, default_value, num_problem(dtype, c));
        }
    }
    if (s->ncols == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        csv_column *nc = realloc(s->cols, (size_t)cap * sizeof *nc);
        if (!nc) {
            free(col.def_text);
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_schema_add_column: out of memory");
        }
        s->cols = nc;
        s->cap = cap;
    }
    col.name = dup_n(name, strlen(name));
    if (!col.name) {
        free(col.def_text);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_schema_add_column: out of memory");
    }
    s->cols[s->ncols++] = col;
    return TFC_OK;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* Index of p[0..n) in the column's labels, or -1. */
static int label_find(const csv_column *c, const char *p, size_t n)
{
    if (c->strip_period && n > 0 && p[n - 1] == '.') n--;
    for (size_t h = hash_bytes(p, n) & c->table_mask;; h = (h + 1) & c->table_mask) {
        int k = c->table[h];
        if (k < 0) return -1;
        if (c->label_lens[k] == n && !memcmp(c->labels[k], p, n)) return k;
    }
}

TFC_API tfc_code tfc_csv_schema_set_label_vocabulary(tfc_csv_schema *s, const char *column,
                                                     const char *const *labels, int n, unsigned flags)
{
    static const char *fn = "tfc_csv_schema_set_label_vocabulary";
    if (!s || !column) return tfci_error(TFC_INVALID_ARGUMENT, "%s: schema or column is NULL", fn);
    int ci = find_column(s, column);
    if (ci < 0) return tfci_error(TFC_NOT_FOUND, "%s: the schema has no column '%s'", fn, column);
    csv_column *c = &s->cols[ci];
    if (c->dtype != TFC_INT32 && c->dtype != TFC_INT64)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: column '%s' is %s, expected int32 or int64 (the label ids)", fn,
                          column, tfc_dtype_name(c->dtype));
    if (c->has_default)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: column '%s' has a default; a label column may not", fn, column);
    if (c->nlabels) return tfci_error(TFC_ALREADY_EXISTS, "%s: column '%s' already has a vocabulary", fn, column);
    if (n <= 0 || !labels)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: column '%s': the vocabulary is empty (%d labels)", fn, column, n);
    if (flags & ~TFC_LABEL_STRIP_TRAILING_PERIOD)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn, flags);
    if (atomic_load(&s->refs) > 1)
        return tfci_error(TFC_FAILED_PRECONDITION, "%s: the schema is in use by a reader and can no longer change", fn);
    size_t tsize = 16;
    while (tsize < 2 * (size_t)n) tsize *= 2;
    csv_column t = *c;
    t.labels = calloc((size_t)n, sizeof *t.labels);
    t.label_lens = calloc((size_t)n, sizeof *t.label_lens);
    t.table = malloc(tsize * sizeof *t.table);
    t.table_mask = tsize - 1;
    t.strip_period = flags & TFC_LABEL_STRIP_TRAILING_PERIOD;
    tfc_code code = TFC_OK;
    if (!t.labels || !t.label_lens || !t.table) {
        code = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
        goto fail;
    }
    for (size_t i = 0; i < tsize; i++) t.table[i] = -1;
    for (int i = 0; i < n; i++) {
        if (!labels[i] || !labels[i][0]) {
            code = tfci_error(TFC_INVALID_ARGUMENT, "%s: column '%s': label %d is empty", fn, column, i);
            goto fail;
        }
        size_t len = strlen(labels[i]);
        bool saved = t.strip_period;
        t.strip_period = false;
        int dup = label_find(&t, labels[i], len);
        t.strip_period = saved;
        if (dup >= 0) {
            code = tfci_error(TFC_INVALID_ARGUMENT, "%s: column '%s': label '%s' appears twice (%d and %d)", fn,
                              column, labels[i], dup, i);
            goto fail;
        }
        t.labels[i] = dup_n(labels[i], len);
        if (!t.labels[i]) {
            code = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
            goto fail;
        }
        t.label_lens[i] = len;
        t.nlabels = i + 1;
        size_t h = hash_bytes(labels[i], len) & t.table_mask;
        while (t.table[h] >= 0) h = (h + 1) & t.table_mask;
        t.table[h] = i;
    }
    *c = t;
    return TFC_OK;
fail:
    if (t.labels)
        for (int i = 0; i < n; i++) free(t.labels[i]);
    free(t.labels);
    free(t.label_lens);
    free(t.table);
    return code;
}

TFC_API int tfc_csv_schema_num_columns(const tfc_csv_schema *s) { return s ? s->ncols : 0; }

TFC_API const char *tfc_csv_schema_column_name(const tfc_csv_schema *s, int i)
{
    return s && i >= 0 && i < s->ncols ? s->cols[i].name : NULL;
}

TFC_API tfc_dtype tfc_csv_schema_column_dtype(const tfc_csv_schema *s, int i)
{
    return s && i >= 0 && i < s->ncols ? s->cols[i].dtype : TFC_INVALID_DTYPE;
}

bool tfci_csv_schema_default(const tfc_csv_schema *s, int col, double *num, int64_t *inum, const char **str,
                             size_t *len)
{
    const csv_column *c = &s->cols[col];
    if (!c->has_default) return false;
    switch (c->dtype) {
    case TFC_FLOAT: *num = c->def.f; break;
    case TFC_DOUBLE: *num = c->def.d; break;
    case TFC_INT32: *inum = c->def.i32; break;
    case TFC_INT64: *inum = c->def.i64; break;
    default:
        *str = c->def.s.p;
        *len = c->def.s.n;
        break;
    }
    return true;
}

/* -1: the column has no vocabulary; 0: found (*id); 1: not in the vocabulary. */
int tfci_csv_schema_label_id(const tfc_csv_schema *s, int col, const char *str, size_t len, int64_t *id)
{
    const csv_column *c = &s->cols[col];
    if (!c->nlabels) return -1;
    int k = label_find(c, str, len);
    if (k < 0) return 1;
    *id = k;
    return 0;
}

/* ---- reader ---- */

/* A file's bytes; rows holding strings keep a reference. */
typedef struct csv_chunk {
    char *data;
    size_t size;
    int refs;
} csv_chunk;

static void chunk_release(csv_chunk *c)
{
    if (c && --c->refs == 0) {
        free(c->data);
        free(c);
    }
}

typedef struct csv_field {
    const char *p;
    size_t n;
    bool quoted;
} csv_field;

struct tfc_csv_reader {
    tfc_csv_schema *s;
    tfc_csv_reader_options o;
    int ncols;
    bool has_strings;
    char **files;
    int nfiles;
    char *buf_data; /* tfc_csv_reader_new_from_buffer: the pristine copy */
    size_t buf_size;
    char *buf_source;

    /* source position */
    int file_idx;       /* next file to open */
    csv_chunk *chunk;   /* current file */
    const char *src;    /* its name */
    size_t pos;
    int64_t line;       /* 1-based number of the line at pos */
    int64_t file_rows;  /* data rows seen in the current file (including skipped ones) */
    bool epoch_src_done;
    int64_t epochs_done;
    int64_t epoch_rows;

    csv_field *fields;

    /* shuffle buffer: rows of ncols values plus their chunks */
    csv_value *sh_vals;
    csv_chunk **sh_chunks;
    int64_t sh_count, sh_cap;
    uint64_t rng_counter;

    /* the row being produced */
    csv_value *row;
    csv_chunk *row_chunk;

    /* batch assembly */
    int64_t bcap;
    void **bnum;          /* per numeric column: bcap elements */
    const char ***bstr;   /* per string column: pointers */
    size_t **blen;        /* per string column: lengths */
    csv_chunk **bchunks;  /* per row */

    int64_t malformed;
    char *reasons[TFC_CSV_MAX_MALFORMED_REASONS];
    tfc_code failed;
    char *failed_msg;
    bool finished;
};

static tfc_code reader_alloc(tfc_csv_schema *schema, const tfc_csv_reader_options *opts, const char *fn,
                             tfc_csv_reader **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (!schema) return tfci_error(TFC_INVALID_ARGUMENT, "%s: schema is NULL", fn);
    if (schema->ncols == 0) return tfci_error(TFC_INVALID_ARGUMENT, "%s: the schema has no columns", fn);
    tfc_csv_reader_options o = TFC_CSV_READER_OPTIONS_INIT;
    tfc_code c = copy_options(opts, sizeof o, fn, &o);
    if (c) return c;
    o.size = sizeof o;
    if (o.batch_size <= 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: batch_size is %lld, expected > 0", fn, (long long)o.batch_size);
    if (o.num_epochs < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: num_epochs is %lld, expected >= 0 (0 = forever)", fn,
                          (long long)o.num_epochs);
    if (o.shuffle_buffer_size < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: shuffle_buffer_size is %lld, expected >= 0", fn,
                          (long long)o.shuffle_buffer_size);
    tfc_csv_reader *r = calloc(1, sizeof *r);
    if (!r) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
    tfci_csv_schema_retain(schema);
    r->s = schema;
    r->o = o;
    r->ncols = schema->ncols;
    for (int i = 0; i < r->ncols; i++)
        if (schema->cols[i].dtype == TFC_STRING) r->has_strings = true;
    r->fields = calloc((size_t)r->ncols, sizeof *r->fields);
    r->row = calloc((size_t)r->ncols, sizeof *r->row);
    r->bnum = calloc((size_t)r->ncols, sizeof *r->bnum);
    r->bstr = calloc((size_t)r->ncols, sizeof *r->bstr);
    r->blen = calloc((size_t)r->ncols, sizeof *r->blen);
    *out = r;
    if (!r->fields || !r->row || !r->bnum || !r->bstr || !r->blen)
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
    return TFC_OK;
}

TFC_API void tfc_csv_reader_free(tfc_csv_reader *r)
{
    if (!r) return;
    chunk_release(r->chunk);
    for (int64_t i = 0; i < r->sh_count; i++) chunk_release(r->sh_chunks[i]);
    free(r->sh_vals);
    free(r->sh_chunks);
    for (int i = 0; r->files && i < r->nfiles; i++) free(r->files[i]);
    free(r->files);
    free(r->buf_data);
    free(r->buf_source);
    free(r->fields);
    free(r->row);
    if (r->bnum)
        for (int i = 0; i < r->ncols; i++) {
            free(r->bnum[i]);
            free(r->bstr[i]);
            free(r->blen[i]);
        }
    free(r->bnum);
    free(r->bstr);
    free(r->blen);
    free(r->bchunks);
    for (int i = 0; i < TFC_CSV_MAX_MALFORMED_REASONS; i++) free(r->reasons[i]);
    free(r->failed_msg);
    tfc_csv_schema_free(r->s);
    free(r);
}

static bool has_glob_chars(const char *p) { return strpbrk(p, "*?[") != NULL; }

static tfc_code add_file(tfc_csv_reader *r, const char *path, int *cap)
{
    if (r->nfiles == *cap) {
        int nc = *cap ? 2 * *cap : 8;
        char **f = realloc(r->files, (size_t)nc * sizeof *f);
        if (!f) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_reader_new: out of memory");
        r->files = f;
        *cap = nc;
    }
    r->files[r->nfiles] = dup_n(path, strlen(path));
    if (!r->files[r->nfiles]) return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_csv_reader_new: out of memory");
    r->nfiles++;
    return TFC_OK;
}

TFC_API tfc_code tfc_csv_reader_new(tfc_csv_schema *schema, const char *const *patterns, int n,
                                    const tfc_csv_reader_options *opts, tfc_csv_reader **out)
{
    static const char *fn = "tfc_csv_reader_new";
    if (out) *out = NULL;
    tfc_csv_reader *r = NULL;
    tfc_code c = reader_alloc(schema, opts, fn, &r);
    if (c) goto fail;
    if (n <= 0 || !patterns) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "%s: no files given (%d patterns)", fn, n);
        goto fail;
    }
    int cap = 0;
    for (int i = 0; i < n && !c; i++) {
        const char *p = patterns[i];
        if (!p || !p[0]) {
            c = tfci_error(TFC_INVALID_ARGUMENT, "%s: pattern %d is empty", fn, i);
        } else if (has_glob_chars(p)) {
            glob_t g;
            int gr = glob(p, 0, NULL, &g);
            if (gr == GLOB_NOMATCH) c = tfci_error(TFC_NOT_FOUND, "%s: pattern '%s' matches no files", fn, p);
            else if (gr != 0) c = tfci_error(TFC_UNKNOWN, "%s: pattern '%s': glob failed (%d)", fn, p, gr);
            for (size_t k = 0; gr == 0 && !c && k < g.gl_pathc; k++) c = add_file(r, g.gl_pathv[k], &cap);
            if (gr == 0 || gr == GLOB_NOMATCH) globfree(&g);
        } else {
            struct stat st;
            if (stat(p, &st) != 0)
                c = tfci_error(errno == ENOENT ? TFC_NOT_FOUND : TFC_PERMISSION_DENIED, "%s: '%s': %s", fn, p,
                               strerror(errno));
            else if (S_ISDIR(st.st_mode))
                c = tfci_error(TFC_INVALID_ARGUMENT, "%s: '%s' is a directory, expected a CSV file", fn, p);
            else
                c = add_file(r, p, &cap);
        }
    }
    if (c) goto fail;
    *out = r;
    return TFC_OK;
fail:
    tfc_csv_reader_free(r);
    return c;
}

TFC_API tfc_code tfc_csv_reader_new_from_buffer(tfc_csv_schema *schema, const void *data, size_t size,
                                                const char *source, const tfc_csv_reader_options *opts,
                                                tfc_csv_reader **out)
{
    static const char *fn = "tfc_csv_reader_new_from_buffer";
    if (out) *out = NULL;
    tfc_csv_reader *r = NULL;
    tfc_code c = reader_alloc(schema, opts, fn, &r);
    if (c) goto fail;
    if (!data && size) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "%s: data is NULL", fn);
        goto fail;
    }
    if (!source) source = "<buffer>";
    r->buf_data = malloc(size ? size : 1);
    r->buf_source = dup_n(source, strlen(source));
    if (!r->buf_data || !r->buf_source) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", fn);
        goto fail;
    }
    if (size) memcpy(r->buf_data, data, size);
    r->buf_size = size;
    r->nfiles = 1;
    *out = r;
    return TFC_OK;
fail:
    tfc_csv_reader_free(r);
    return c;
}

/* Reads a whole file (gzip inflated) into a new chunk. */
static tfc_code load_file(const char *path, csv_chunk **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tfci_error(errno == ENOENT ? TFC_NOT_FOUND : TFC_PERMISSION_DENIED, "%s: cannot open: %s", path,
                          strerror(errno));
    unsigned char magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    bool gz = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    char *buf = NULL;
    size_t size = 0;
    tfc_code c = TFC_OK;
    if (!gz) {
        struct stat st;
        if (fstat(fileno(f), &st) != 0 || (uint64_t)st.st_size > CSV_MAX_FILE_BYTES) {
            fclose(f);
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: cannot size the file or it is larger than 16 GiB", path);
        }
        size_t want = (size_t)st.st_size;
        buf = malloc(want + 1);
        if (!buf) {
            fclose(f);
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory reading %zu bytes", path, want);
        }
        rewind(f);
        size = fread(buf, 1, want, f);
        if (ferror(f)) c = tfci_error(TFC_DATA_LOSS, "%s: read error: %s", path, strerror(errno));
        fclose(f);
    } else {
        fclose(f);
        gzFile g = gzopen(path, "rb");
        if (!g) return tfci_error(TFC_NOT_FOUND, "%s: cannot open", path);
        gzbuffer(g, 1 << 17);
        size_t cap = 1 << 20;
        buf = malloc(cap + 1);
        while (buf) {
            if (size == cap) {
                if (cap >= CSV_MAX_FILE_BYTES) {
                    c = tfci_error(TFC_INVALID_ARGUMENT, "%s: inflates to more than 16 GiB", path);
                    break;
                }
                char *nb = realloc(buf, 2 * cap + 1);
                if (!nb) break;
                buf = nb;
                cap *= 2;
            }
            size_t ask = cap - size < (1u << 30) ? cap - size : (1u << 30);
            int k = gzread(g, buf + size, (unsigned)ask);
            if (k < 0) {
                int zerr;
                const char *m = gzerror(g, &zerr);
                c = tfci_error(TFC_DATA_LOSS, "%s: gzip data is corrupt: %s", path, m ? m : "unknown error");
                break;
            }
            if (k == 0) {
                /* gzread returns 0 both at the end and on a truncated stream. */
                int zerr;
                const char *m = gzerror(g, &zerr);
                if (zerr != Z_OK && zerr != Z_STREAM_END)
                    c = tfci_error(TFC_DATA_LOSS, "%s: gzip data is corrupt: %s", path, m ? m : "unknown error");
                break;
            }
            size += (size_t)k;
        }
        gzclose(g);
        if (!buf && !c) c = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    if (!c && size == 0) c = tfci_error(TFC_INVALID_ARGUMENT, "%s: the file is empty (expected CSV rows)", path);
    csv_chunk *ch = c ? NULL : malloc(sizeof *ch);
    if (!c && !ch) c = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    if (c) {
        free(buf);
        return c;
    }
    buf[size] = 0;
    ch->data = buf;
    ch->size = size;
    ch->refs = 1;
    *out = ch;
    return TFC_OK;
}

/* Sets the reader's sticky error from the thread's last error. */
static tfc_code fail_sticky(tfc_csv_reader *r, tfc_code c)
{
    r->failed = c;
    free(r->failed_msg);
    r->failed_msg = dup_n(tfc_last_error(), strlen(tfc_last_error()));
    return c;
}

enum { ROW_OK = 0, ROW_SKIP = -1 };

/* A malformed row: an error, or with skip_malformed a count and a warning. */
static int TFCI_PRINTF(2, 3) row_error(tfc_csv_reader *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!r->s->o.skip_malformed) return (int)tfci_error(TFC_INVALID_ARGUMENT, "%s", msg);
    if (r->malformed < TFC_CSV_MAX_MALFORMED_REASONS) r->reasons[r->malformed] = dup_n(msg, strlen(msg));
    r->malformed++;
    tfci_log(TFC_LOG_WARNING, "skipped a malformed row: %s", msg);
    return ROW_SKIP;
}

static inline bool is_ws(char c, char delim) { return (c == ' ' || c == '\t') && c != delim; }

/* Shows a field in an error: at most 40 bytes. */
static int show_len(size_t n) { return n > 40 ? 40 : (int)n; }

static int open_next_source(tfc_csv_reader *r)
{
    const char *path = r->buf_data ? r->buf_source : r->files[r->file_idx];
    csv_chunk *ch = NULL;
    if (r->buf_data) {
        if (r->buf_size == 0)
            return (int)tfci_error(TFC_INVALID_ARGUMENT, "%s: the file is empty (expected CSV rows)", path);
        ch = malloc(sizeof *ch);
        char *d = malloc(r->buf_size + 1);
        if (!ch || !d) {
            free(ch);
            free(d);
            return (int)tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", path);
        }
        memcpy(d, r->buf_data, r->buf_size); /* parsing unescapes quotes in place */
        d[r->buf_size] = 0;
        ch->data = d;
        ch->size = r->buf_size;
        ch->refs = 1;
    } else {
        tfc_code c = load_file(path, &ch);
        if (c) return (int)c;
    }
    r->chunk = ch;
    r->src = path;
    /* A UTF-8 byte-order mark (spreadsheet exports) is not part of the first field. */
    r->pos = ch->size >= 3 && !memcmp(ch->data, "\xEF\xBB\xBF", 3) ? 3 : 0;
    r->line = 1;
    r->file_rows = 0;
    r->file_idx++;
    return ROW_OK;
}

/* Splits the record at r->pos into r->fields (the first ncols fields; *nf is
 * how many there were) and moves past it. Returns ROW_OK, ROW_SKIP for a
 * malformed row being skipped, or an error code. */
static int split_record(tfc_csv_reader *r, int *nf)
{
    const tfc_csv_schema_options *o = &r->s->o;
    char *d = r->chunk->data;
    size_t end = r->chunk->size, p = r->pos, start = p;
    int64_t line0 = r->line;
    char delim = o->delimiter;
    int n = 0;
    for (;;) {
        while (p < end && is_ws(d[p], delim) && o->trim_whitespace) p++;
        size_t fs, fe;
        bool quoted = false;
        if (o->quoted_fields && p < end && d[p] == '"') {
            quoted = true;
            size_t w = ++p;
            fs = w;
            for (;;) {
                if (p >= end) {
                    r->pos = end;
                    return row_error(r, "%s:%lld: column %d: unterminated quoted field (a '\"' without its closing "
                                        "quote)",
                                     r->src, (long long)line0, n + 1);
                }
                char ch = d[p];
                if (ch == '"') {
                    if (p + 1 < end && d[p + 1] == '"') {
                        d[w++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (ch == '\n') r->line++;
                d[w++] = ch;
                p++;
            }
            fe = w;
            while (p < end && is_ws(d[p], delim)) p++;
            if (p < end && d[p] == '\r' && (p + 1 == end || d[p + 1] == '\n')) p++;
            if (p < end && d[p] != delim && d[p] != '\n') {
                /* Skip to the end of the line to resynchronise. */
                char *nl = memchr(d + p, '\n', end - p);
                r->pos = nl ? (size_t)(nl - d) + 1 : end;
                r->line++;
                return row_error(r, "%s:%lld: column %d: unexpected '%c' after a closing quote (expected '%c' or "
                                    "the end of the line)",
                                 r->src, (long long)line0, n + 1, d[p], delim);
            }
        } else {
            fs = p;
            while (p < end && d[p] != delim && d[p] != '\n') p++;
            fe = p;
            if (fe > fs && d[fe - 1] == '\r' && (p == end || d[p] == '\n')) fe--;
            if (o->trim_whitespace)
                while (fe > fs && is_ws(d[fe - 1], delim)) fe--;
        }
        if (n < r->ncols) r->fields[n] = (csv_field){d + fs, fe - fs, quoted};
        n++;
        if (p - start > o->max_line_bytes) {
            char *nl = memchr(d + p, '\n', end - p);
            r->pos = nl ? (size_t)(nl - d) + 1 : end;
            r->line++;
            return row_error(r, "%s:%lld: the row is longer than %zu bytes (max_line_bytes)", r->src,
                             (long long)line0, o->max_line_bytes);
        }
        if (p < end && d[p] == delim) {
            p++;
            continue;
        }
        break;
    }
    if (p < end) p++; /* the newline */
    r->line++;
    r->pos = p;
    *nf = n;
    return ROW_OK;
}

/* Converts the fields into r->row. */
static int convert_row(tfc_csv_reader *r, int64_t line0)
{
    const tfc_csv_schema *s = r->s;
    for (int i = 0; i < r->ncols; i++) {
        const csv_column *col = &s->cols[i];
        const csv_field *f = &r->fields[i];
        csv_value *v = &r->row[i];
        bool missing = !f->quoted && (f->n == 0 || (s->missing && f->n == s->missing_len &&
                                                    !memcmp(f->p, s->missing, f->n)));
        if (missing) {
            if (!col->has_default)
                return row_error(r, "%s:%lld: column %d '%s': the value is missing ('%.*s') and the column has no "
                                    "default",
                                 r->src, (long long)line0, i + 1, col->name, show_len(f->n), f->p);
            *v = col->def;
            continue;
        }
        if (col->nlabels) {
            int k = label_find(col, f->p, f->n);
            if (k < 0)
                return row_error(r, "%s:%lld: column %d '%s': label '%.*s' is not in the label vocabulary (%d labels)",
                                 r->src, (long long)line0, i + 1, col->name, show_len(f->n), f->p, col->nlabels);
            if (col->dtype == TFC_INT32) v->i32 = k;
            else v->i64 = k;
            continue;
        }
        if (col->dtype == TFC_STRING) {
            v->s.p = f->p;
            v->s.n = f->n;
            continue;
        }
        int c = convert_number(col->dtype, f->p, f->n, s->o.allow_nonfinite, v);
        if (c != NUM_OK)
            return row_error(r, "%s:%lld: column %d '%s': '%.*s%s' %s", r->src, (long long)line0, i + 1, col->name,
                             show_len(f->n), f->p, f->n > 40 ? "..." : "", num_problem(col->dtype, c));
    }
    return ROW_OK;
}

/* Next row of the current epoch into r->row / r->row_chunk (a reference).
 * Returns ROW_OK, TFC_OUT_OF_RANGE at the end of the epoch's files, or an error. */
static int source_next(tfc_csv_reader *r)
{
    const tfc_csv_schema_options *o = &r->s->o;
    for (;;) {
        if (!r->chunk) {
            if (r->file_idx >= r->nfiles) {
                r->file_idx = 0;
                return TFC_OUT_OF_RANGE;
            }
            int c = open_next_source(r);
            if (c) return c;
        }
        const char *d = r->chunk->data;
        size_t end = r->chunk->size;
        if (r->pos >= end) {
            if (r->file_rows == 0) {
                tfc_code c = tfci_error(TFC_INVALID_ARGUMENT,
                                        "%s: no data rows (only %s lines); expected CSV rows", r->src,
                                        o->header_lines || o->comment_prefix ? "header, comment or blank" : "blank");
                return (int)c;
            }
            chunk_release(r->chunk);
            r->chunk = NULL;
            continue;
        }
        size_t p = r->pos;
        /* Header, comment and blank lines. */
        bool skip = r->line <= o->header_lines;
        if (!skip && r->s->comment && end - p >= r->s->comment_len && !memcmp(d + p, r->s->comment, r->s->comment_len))
            skip = true;
        if (!skip) {
            size_t q = p;
            while (q < end && (d[q] == ' ' || d[q] == '\t' || d[q] == '\r')) q++;
            skip = q == end || d[q] == '\n';
        }
        if (skip) {
            const char *nl = memchr(d + p, '\n', end - p);
            r->pos = nl ? (size_t)(nl - d) + 1 : end;
            r->line++;
            continue;
        }
        int64_t line0 = r->line;
        r->file_rows++;
        int nf = 0;
        int c = split_record(r, &nf);
        if (c == ROW_SKIP) continue;
        if (c) return c;
        if (nf != r->ncols) {
            if (nf < r->ncols)
                c = row_error(r, "%s:%lld: expected %d fields, found %d (column %d '%s' is missing)", r->src,
                              (long long)line0, r->ncols, nf, nf + 1, r->s->cols[nf].name);
            else
                c = row_error(r, "%s:%lld: expected %d fields, found %d", r->src, (long long)line0, r->ncols, nf);
            if (c == ROW_SKIP) continue;
            return c;
        }
        c = convert_row(r, line0);
        if (c == ROW_SKIP) continue;
        if (c) return c;
        r->row_chunk = NULL;
        if (r->has_strings) {
            r->row_chunk = r->chunk;
            r->chunk->refs++;
        }
        return ROW_OK;
    }
}

/* Next row after the shuffle buffer; TFC_OUT_OF_RANGE at the end of the epoch. */
static int shuffled_next(tfc_csv_reader *r)
{
    int64_t cap = r->o.shuffle_buffer_size;
    if (cap <= 1) return source_next(r);
    size_t rowb = (size_t)r->ncols * sizeof(csv_value);
    while (!r->epoch_src_done && r->sh_count < cap) {
        int c = source_next(r);
        if (c == TFC_OUT_OF_RANGE) {
            r->epoch_src_done = true;
            break;
        }
        if (c) return c;
        if (r->sh_count == r->sh_cap) {
            int64_t nc = r->sh_cap ? 2 * r->sh_cap : 1024;
            if (nc > cap) nc = cap;
            csv_value *nv = realloc(r->sh_vals, (size_t)nc * rowb);
            if (nv) r->sh_vals = nv;
            csv_chunk **nch = nv ? realloc(r->sh_chunks, (size_t)nc * sizeof *nch) : NULL;
            if (nch) r->sh_chunks = nch;
            if (!nv || !nch) {
                chunk_release(r->row_chunk);
                return (int)tfci_error(TFC_RESOURCE_EXHAUSTED, "csv reader: out of memory for the shuffle buffer");
            }
            r->sh_cap = nc;
        }
        memcpy(r->sh_vals + r->sh_count * r->ncols, r->row, rowb);
        r->sh_chunks[r->sh_count++] = r->row_chunk;
    }
    if (r->sh_count == 0) {
        r->epoch_src_done = false;
        return TFC_OUT_OF_RANGE;
    }
    int64_t j = (int64_t)(tfci_random_bits(r->o.seed, r->rng_counter++) % (uint64_t)r->sh_count);
    memcpy(r->row, r->sh_vals + j * r->ncols, rowb);
    r->row_chunk = r->sh_chunks[j];
    int64_t last = --r->sh_count;
    if (j != last) {
        memcpy(r->sh_vals + j * r->ncols, r->sh_vals + last * r->ncols, rowb);
        r->sh_chunks[j] = r->sh_chunks[last];
    }
    return ROW_OK;
}

/* Next row across epochs; TFC_OUT_OF_RANGE at the end of the data. */
static int pipeline_next(tfc_csv_reader *r)
{
    for (;;) {
        if (r->finished) return TFC_OUT_OF_RANGE;
        int c = shuffled_next(r);
        if (c != TFC_OUT_OF_RANGE) {
            if (c == ROW_OK) r->epoch_rows++;
            return c;
        }
        r->epochs_done++;
        /* An epoch without rows (all skipped) would repeat forever. */
        if ((r->o.num_epochs && r->epochs_done >= r->o.num_epochs) || r->epoch_rows == 0) {
            r->finished = true;
            return TFC_OUT_OF_RANGE;
        }
        r->epoch_rows = 0;
    }
}

static tfc_code ensure_batch(tfc_csv_reader *r, int64_t n)
{
    if (n <= r->bcap) return TFC_OK;
    for (int i = 0; i < r->ncols; i++) {
        tfc_dtype dt = r->s->cols[i].dtype;
        if (dt == TFC_STRING) {
            const char **p = realloc(r->bstr[i], (size_t)n * sizeof *p);
            if (p) r->bstr[i] = p;
            size_t *l = p ? realloc(r->blen[i], (size_t)n * sizeof *l) : NULL;
            if (l) r->blen[i] = l;
            if (!p || !l) return tfci_error(TFC_RESOURCE_EXHAUSTED, "csv reader: out of memory for a batch");
        } else {
            void *b = realloc(r->bnum[i], (size_t)n * tfc_dtype_size(dt));
            if (!b) return tfci_error(TFC_RESOURCE_EXHAUSTED, "csv reader: out of memory for a batch");
            r->bnum[i] = b;
        }
    }
    csv_chunk **bc = realloc(r->bchunks, (size_t)n * sizeof *bc);
    if (!bc) return tfci_error(TFC_RESOURCE_EXHAUSTED, "csv reader: out of memory for a batch");
    r->bchunks = bc;
    r->bcap = n;
    return TFC_OK;
}

static void put_row(tfc_csv_reader *r, int64_t k)
{
    for (int i = 0; i < r->ncols; i++) {
        const csv_value *v = &r->row[i];
        switch (r->s->cols[i].dtype) {
        case TFC_FLOAT: ((float *)r->bnum[i])[k] = v->f; break;
        case TFC_DOUBLE: ((double *)r->bnum[i])[k] = v->d; break;
        case TFC_INT32: ((int32_t *)r->bnum[i])[k] = v->i32; break;
        case TFC_INT64: ((int64_t *)r->bnum[i])[k] = v->i64; break;
        default:
            r->bstr[i][k] = v->s.p;
            r->blen[i][k] = v->s.n;
            break;
        }
    }
    r->bchunks[k] = r->row_chunk;
}

TFC_API tfc_code tfc_csv_reader_next_batch(tfc_csv_reader *r, int64_t batch_size, tfc_tensor **columns,
                                           int64_t *rows)
{
    if (rows) *rows = 0;
    if (!r || !columns || !rows)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_reader_next_batch: reader, columns or rows is NULL");
    for (int i = 0; i < r->ncols; i++) columns[i] = NULL;
    if (batch_size < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_reader_next_batch: batch_size is %lld, expected >= 0",
                          (long long)batch_size);
    if (r->failed) return tfci_error(r->failed, "%s", r->failed_msg ? r->failed_msg : "csv reader failed earlier");
    if (batch_size == 0) batch_size = r->o.batch_size;
    if (batch_size > CSV_MAX_BATCH)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_csv_reader_next_batch: batch_size %lld is more than %lld rows",
                          (long long)batch_size, (long long)CSV_MAX_BATCH);
    /* Buffers grow with the rows read, so "everything in one batch" costs
     * what the data needs, not what batch_size could hold. */
    tfc_code c = ensure_batch(r, batch_size < 1024 ? batch_size : 1024);
    if (c) return c;
    int64_t k = 0;
    int rc = ROW_OK;
    while (k < batch_size) {
        rc = pipeline_next(r);
        if (rc != ROW_OK) break;
        if (k == r->bcap && (c = ensure_batch(r, r->bcap * 2 < batch_size ? r->bcap * 2 : batch_size))) {
            chunk_release(r->row_chunk);
            for (int64_t i = 0; i < k; i++) chunk_release(r->bchunks[i]);
            return c;
        }
        put_row(r, k++);
    }
    if (rc != ROW_OK && rc != TFC_OUT_OF_RANGE) {
        for (int64_t i = 0; i < k; i++) chunk_release(r->bchunks[i]);
        return fail_sticky(r, (tfc_code)rc);
    }
    if (k == 0 || (k < batch_size && !r->o.partial_final_batch)) {
        for (int64_t i = 0; i < k; i++) chunk_release(r->bchunks[i]);
        return tfci_error(TFC_OUT_OF_RANGE, "csv reader: end of data");
    }
    int64_t dims[1] = {k};
    for (int i = 0; i < r->ncols && !c; i++) {
        tfc_dtype dt = r->s->cols[i].dtype;
        if (dt == TFC_STRING)
            c = tfc_tensor_new_strings(dims, 1, r->bstr[i], r->blen[i], &columns[i]);
        else
            c = tfc_tensor_new(dt, dims, 1, r->bnum[i], (size_t)k * tfc_dtype_size(dt), &columns[i]);
    }
    for (int64_t i = 0; i < k; i++) chunk_release(r->bchunks[i]);
    if (c) {
        for (int i = 0; i < r->ncols; i++) {
            tfc_tensor_free(columns[i]);
            columns[i] = NULL;
        }
        return c;
    }
    *rows = k;
    return TFC_OK;
}

TFC_API int64_t tfc_csv_reader_malformed_count(const tfc_csv_reader *r) { return r ? r->malformed : 0; }

TFC_API const char *tfc_csv_reader_malformed_reason(const tfc_csv_reader *r, int64_t i)
{
    if (!r || i < 0 || i >= r->malformed || i >= TFC_CSV_MAX_MALFORMED_REASONS) return NULL;
    return r->reasons[i];
}
