/* Batch prediction of JSON-lines instances through an export (see
 * batch_predict.h). The hot path is built for throughput: a small parser for
 * the flat objects nearly every instance is (jansson decides everything
 * else, with its error messages), instances batched into one model run, and
 * results formatted into one buffer per batch. Worker threads each take the
 * next batch of lines and commit their output in input order. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "batch_predict.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BP_MAX_FIELDS 16

typedef struct bp_input {
    const char *key; /* lent by the signature */
    size_t keylen;
    tfc_dtype dtype;
    int64_t width; /* values per instance: 1 for a [None] input, d for [None, d] */
    int rank;      /* 1 or 2 */
    /* The value of a missing or null feature, from the spec tfc train leaves
     * in the export (assets/spec.json: $.columns[].default), as tfc predict
     * takes it; only for one-value inputs. */
    bool has_default;
    int def_kind; /* 's' or 'n' */
    double def_num;
    char *def_str;
} bp_input;

typedef struct bp_field {
    const char *name; /* JSON key of the result */
    int fetch;        /* index into the fetched outputs */
    bool scalar;      /* one value, printed bare (the class id) */
} bp_field;

struct bp_model {
    tfc_saved_model *sm;
    char *sig_key;
    int nin;
    bp_input *in;
    const char **in_keys;
    int nfetch;
    const char *fetch[BP_MAX_FIELDS];
    int nfield;
    bp_field field[BP_MAX_FIELDS];
    int threads, batch;
};

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int find_output(const tfc_signature *sig, const char *key)
{
    for (int i = 0; i < tfc_signature_num_outputs(sig); i++)
        if (!strcmp(tfc_signature_output_key(sig, i), key)) return i;
    return -1;
}

static void add_field(bp_model *m, const char *name, const char *output, bool scalar)
{
    if (m->nfield >= BP_MAX_FIELDS || m->nfetch >= BP_MAX_FIELDS) return;
    m->fetch[m->nfetch] = output;
    m->field[m->nfield++] = (bp_field){name, m->nfetch++, scalar};
}

/* Defaults of the export's spec columns, for the inputs of the same name.
 * No spec (an export made by another program) means no defaults. */
static void load_defaults(bp_model *m, const char *export_dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/assets/spec.json", export_dir);
    json_t *spec = json_load_file(path, 0, NULL);
    json_t *cols = json_object_get(spec, "columns");
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *def = json_object_get(c, "default");
        if (!name || !def || json_is_null(def)) continue;
        for (int k = 0; k < m->nin; k++) {
            bp_input *in = &m->in[k];
            if (strcmp(in->key, name) || in->width != 1 || in->has_default) continue;
            if (in->dtype == TFC_STRING && json_is_string(def)) {
                in->def_str = strdup(json_string_value(def));
                in->def_kind = 's';
                in->has_default = in->def_str != NULL;
            } else if (in->dtype != TFC_STRING && in->dtype != TFC_BOOL) {
                /* a number, or its text */
                double v = json_number_value(def);
                char *end = NULL;
                if (json_is_string(def)) v = strtod(json_string_value(def), &end);
                if (json_is_number(def) || (end && end != json_string_value(def) && !*end)) {
                    in->def_num = v;
                    in->def_kind = 'n';
                    in->has_default = true;
                }
            }
        }
    }
    json_decref(spec);
}

int bp_model_load(const char *export_dir, const bp_options *opts, bp_model **out, char *err, size_t errlen)
{
    *out = NULL;
    bp_options o = BP_OPTIONS_INIT;
    if (opts) o = *opts;
    if (!o.signature_key) o.signature_key = TFC_SERVING_DEFAULT_SIGNATURE_KEY;
    if (o.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (int)(n < 64 ? n : 64) : 1;
    }
    if (o.batch_size <= 0) o.batch_size = 1024;
    bp_model *m = calloc(1, sizeof *m);
    if (!m) return fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory");
    m->threads = o.threads;
    m->batch = o.batch_size;
    /* Several workers each run a whole batch: one kernel thread per run keeps
     * the cores from being oversubscribed. */
    tfc_session_options so = TFC_SESSION_OPTIONS_INIT;
    so.num_threads = o.threads > 1 ? 1 : 0;
    tfc_code c = tfc_saved_model_load(export_dir, &so, &m->sm);
    if (c) {
        fail(err, errlen, c, "loading the export %s: %s", export_dir, tfc_last_error());
        free(m);
        return c;
    }
    const tfc_signature *sig = tfc_saved_model_find_signature(m->sm, o.signature_key);
    if (!sig) {
        char keys[512] = "";
        for (int i = 0; i < tfc_saved_model_num_signatures(m->sm); i++) {
            size_t l = strlen(keys);
            snprintf(keys + l, sizeof keys - l, "%s%s", i ? ", " : "",
                     tfc_signature_key(tfc_saved_model_signature(m->sm, i)));
        }
        fail(err, errlen, TFC_NOT_FOUND, "the export %s has no signature '%s' (it has: %s)", export_dir,
             o.signature_key, keys);
        bp_model_free(m);
        return TFC_NOT_FOUND;
    }
    m->sig_key = strdup(o.signature_key);
    m->nin = tfc_signature_num_inputs(sig);
    m->in = calloc((size_t)(m->nin > 0 ? m->nin : 1), sizeof *m->in);
    m->in_keys = calloc((size_t)(m->nin > 0 ? m->nin : 1), sizeof *m->in_keys);
    if (!m->sig_key || !m->in || !m->in_keys) {
        bp_model_free(m);
        return fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int i = 0; i < m->nin; i++) {
        bp_input *in = &m->in[i];
        int64_t dims[TFC_MAX_RANK];
        int rank = -1;
        in->key = m->in_keys[i] = tfc_signature_input_key(sig, i);
        in->keylen = strlen(in->key);
        tfc_signature_input_info(sig, i, &in->dtype, dims, &rank);
        in->rank = rank == 2 ? 2 : 1;
        in->width = rank == 2 && dims[1] > 0 ? dims[1] : 1;
        if (rank > 2 || (rank == 2 && dims[1] <= 0) ||
            !(in->dtype == TFC_FLOAT || in->dtype == TFC_DOUBLE || in->dtype == TFC_INT32 ||
              in->dtype == TFC_INT64 || in->dtype == TFC_BOOL || in->dtype == TFC_STRING)) {
            fail(err, errlen, TFC_UNIMPLEMENTED,
                 "signature '%s' input '%s' (%s, rank %d) cannot be read from JSON instances: inputs must be "
                 "[None] or [None, d] numbers, booleans or strings",
                 m->sig_key, in->key, tfc_dtype_name(in->dtype), rank);
            bp_model_free(m);
            return TFC_UNIMPLEMENTED;
        }
    }
    load_defaults(m, export_dir);
    /* The census sample's result keys: "classes" is the class id. */
    if (find_output(sig, "class_ids") >= 0 && find_output(sig, "probabilities") >= 0) {
        add_field(m, "probabilities", "probabilities", false);
        if (find_output(sig, "logits") >= 0) add_field(m, "logits", "logits", false);
        add_field(m, "classes", "class_ids", true);
        if (find_output(sig, "logistic") >= 0) add_field(m, "logistic", "logistic", false);
    } else if (find_output(sig, "predictions") >= 0) {
        add_field(m, "predictions", "predictions", false);
    } else {
        for (int i = 0; i < tfc_signature_num_outputs(sig); i++) {
            add_field(m, tfc_signature_output_key(sig, i), tfc_signature_output_key(sig, i), false);
        }
    }
    if (m->nfield == 0) {
        bp_model_free(m);
        return fail(err, errlen, TFC_INVALID_ARGUMENT, "signature '%s' of %s has no outputs", o.signature_key,
                    export_dir);
    }
    *out = m;
    return TFC_OK;
}

void bp_model_free(bp_model *m)
{
    if (!m) return;
    tfc_saved_model_free(m->sm);
    free(m->sig_key);
    for (int i = 0; m->in && i < m->nin; i++) free(m->in[i].def_str);
    free(m->in);
    free(m->in_keys);
    free(m);
}

tfc_saved_model *bp_model_saved_model(const bp_model *m) { return m->sm; }
const char *bp_model_signature_key(const bp_model *m) { return m->sig_key; }

int bp_model_fetch_keys(const bp_model *m, const char *const **keys)
{
    *keys = m->fetch;
    return m->nfetch;
}

/* ---- Formatting ------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static bool sb_reserve(sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (!b->p || b->len + (size_t)n + 1 > b->cap) {
        if (!sb_reserve(b, (size_t)n)) return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* A JSON string of s[0..n) at o (room for n * 6 + 2 bytes): escapes quotes,
 * backslashes and control characters; bytes of invalid UTF-8 become U+FFFD
 * so the line stays JSON. Returns the length written. */
static size_t json_string_to(char *o, const char *s, size_t n)
{
    char *o0 = o;
    *o++ = '"';
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c < 0x20) {
            o += sprintf(o, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            *o++ = (char)c;
            i++;
        } else {
            size_t k = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            bool ok = k && i + k <= n;
            for (size_t j = 1; ok && j < k; j++) ok = (u[i + j] & 0xc0) == 0x80;
            if (ok) {
                memcpy(o, u + i, k);
                o += k;
                i += k;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                i++;
            }
        }
    }
    *o++ = '"';
    return (size_t)(o - o0);
}

static void sb_json_string(sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n * 6 + 2)) return;
    b->len += json_string_to(b->p + b->len, s, n);
    b->p[b->len] = 0;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static size_t put_uint(char *o, uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) o[i] = t[n - 1 - i];
    return (size_t)n;
}

static size_t put_int(char *o, int64_t v)
{
    if (v < 0) {
        *o = '-';
        return 1 + put_uint(o + 1, (uint64_t)0 - (uint64_t)v);
    }
    return put_uint(o, (uint64_t)v);
}

/* printf's "%.6g", several times faster (formatting dominated the batch
 * profile). The six digits come from one correctly rounded multiplication
 * or division by an exact power of ten; values within a hair of a rounding
 * tie, and exponents beyond the exact powers, go to snprintf itself, so the
 * output is always printf's. */
static size_t put_double(char *o, double v)
{
    if (!isfinite(v)) {
        memcpy(o, "null", 4);
        return 4;
    }
    if (v == 0) {
        if (signbit(v)) return (size_t)sprintf(o, "-0");
        *o = '0';
        return 1;
    }
    double a = fabs(v);
    int b2;
    frexp(a, &b2); /* a in [2^(b2-1), 2^b2): log10(a) is within one of this; the loop below corrects */
    int e = (int)floor((b2 - 1) * 0.30102999566398120);
    uint64_t d = 0;
    for (int tries = 0;; tries++) {
        int k = 5 - e;
        if (k > 22 || k < -22 || tries > 3) return (size_t)sprintf(o, "%.6g", v);
        double m = k >= 0 ? a * pow10_exact[k] : a / pow10_exact[-k];
        double f = m - floor(m);
        if (fabs(f - 0.5) < 1e-6) return (size_t)sprintf(o, "%.6g", v);
        d = (uint64_t)llrint(m);
        if (d >= 1000000) e++;
        else if (d < 100000) e--;
        else break;
    }
    char dig[6];
    for (int i = 5; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int nd = 6;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    char *p = o;
    if (v < 0) *p++ = '-';
    if (e < -4 || e >= 6) {
        *p++ = dig[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        int x = e < 0 ? -e : e;
        if (x >= 100) *p++ = (char)('0' + x / 100);
        *p++ = (char)('0' + x / 10 % 10);
        *p++ = (char)('0' + x % 10);
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++) *p++ = i < nd ? dig[i] : '0';
        if (nd > e + 1) {
            *p++ = '.';
            memcpy(p, dig + e + 1, (size_t)(nd - e - 1));
            p += nd - e - 1;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -e - 1; i++) *p++ = '0';
        memcpy(p, dig, (size_t)nd);
        p += nd;
    }
    return (size_t)(p - o);
}

/* Worst case of one number printed by put_double / as an integer. */
#define BP_NUM_MAX 32

static size_t put_value(char *o, const tfc_tensor *t, int64_t i)
{
    const void *d = tfc_tensor_data(t);
    switch (tfc_tensor_dtype(t)) {
    case TFC_FLOAT: return put_double(o, ((const float *)d)[i]);
    case TFC_DOUBLE: return put_double(o, ((const double *)d)[i]);
    case TFC_INT32: return put_int(o, ((const int32_t *)d)[i]);
    case TFC_INT64: return put_int(o, ((const int64_t *)d)[i]);
    case TFC_INT16: return put_int(o, ((const int16_t *)d)[i]);
    case TFC_INT8: return put_int(o, ((const int8_t *)d)[i]);
    case TFC_UINT8: return put_uint(o, ((const uint8_t *)d)[i]);
    case TFC_BOOL: {
        bool v = ((const bool *)d)[i];
        memcpy(o, v ? "true" : "false", v ? 4 : 5);
        return v ? 4 : 5;
    }
    default: memcpy(o, "null", 4); return 4;
    }
}

size_t bp_format_row(const bp_model *m, tfc_tensor *const *outputs, int64_t row, char *buf, size_t cap)
{
    for (int f = 0; f < m->nfield; f++) {
        const tfc_tensor *t = outputs[m->field[f].fetch];
        if (!t || tfc_tensor_rank(t) < 1 || row < 0 || row >= tfc_tensor_dim(t, 0)) {
            if (cap > 2) memcpy(buf, "{}", 3);
            return 2; /* not a row of these outputs */
        }
    }
    /* Sized first (cheap: numbers are bounded), then written. */
    size_t need = 2;
    for (int f = 0; f < m->nfield; f++) {
        const tfc_tensor *t = outputs[m->field[f].fetch];
        int64_t w = tfc_tensor_num_elements(t) / tfc_tensor_dim(t, 0);
        need += strlen(m->field[f].name) + 8;
        if (tfc_tensor_dtype(t) == TFC_STRING) {
            for (int64_t k = 0; k < w; k++) {
                const char *s;
                size_t n = 0;
                tfc_tensor_string(t, row * w + k, &s, &n);
                need += n * 6 + 4;
            }
        } else {
            need += (size_t)w * (BP_NUM_MAX + 2);
        }
    }
    if (need >= cap) return need + 1;
    char *o = buf;
    *o++ = '{';
    for (int f = 0; f < m->nfield; f++) {
        const bp_field *fd = &m->field[f];
        const tfc_tensor *t = outputs[fd->fetch];
        int64_t w = tfc_tensor_num_elements(t) / tfc_tensor_dim(t, 0);
        if (f) *o++ = ',', *o++ = ' ';
        *o++ = '"';
        size_t kl = strlen(fd->name);
        memcpy(o, fd->name, kl);
        o += kl;
        *o++ = '"', *o++ = ':', *o++ = ' ';
        bool bare = fd->scalar && w == 1;
        if (!bare) *o++ = '[';
        for (int64_t k = 0; k < w; k++) {
            if (k) *o++ = ',', *o++ = ' ';
            if (tfc_tensor_dtype(t) == TFC_STRING) {
                const char *s = "";
                size_t n = 0;
                tfc_tensor_string(t, row * w + k, &s, &n);
                o += json_string_to(o, s, n);
            } else {
                o += put_value(o, t, row * w + k);
            }
        }
        if (!bare) *o++ = ']';
    }
    *o++ = '}';
    *o = 0;
    return (size_t)(o - buf);
}

/* ---- Instances -------------------------------------------------------------- */

typedef struct bp_shared bp_shared;

/* One worker's batch: lines, the parsed values per input, output buffers. */
typedef struct bp_worker {
    bp_shared *sh;
    const bp_model *m;
    int cap;                 /* batch capacity (rows) */
    const char **line;       /* the batch's lines */
    size_t *line_len;
    int64_t *line_no;
    int nlines;
    int64_t *row_line;       /* line number of each good row */
    const char **row_text;
    size_t *row_len;
    void **num;              /* per input: cap * width values of its dtype (NULL for strings) */
    const char ***str;       /* per input: cap * width string pointers (NULL for numbers) */
    size_t **str_len;
    unsigned char *seen;     /* per input, for the row being parsed */
    tfc_tensor **ins;        /* per input, the batch's tensors */
    char *scratch;           /* decoded strings of the fallback parser */
    size_t scratch_len, scratch_cap;
    sbuf out, errs;
    char msg[1024];
    int64_t n_ok, n_err;
    char fatal[1024];
    int fatal_code;
} bp_worker;

struct bp_shared {
    const bp_model *m;
    const char *data, *end, *cursor;
    int64_t next_line;
    const char *source;
    FILE *results, *errors;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t next_batch, next_commit;
    int failed; /* a fatal error: later batches write nothing */
    int fatal_code;
    char fatal[1024];
    int64_t n_ok, n_err;
};

static void worker_free(bp_worker *w)
{
    if (!w) return;
    if (w->num)
        for (int i = 0; i < w->m->nin; i++) free(w->num[i]);
    if (w->str)
        for (int i = 0; i < w->m->nin; i++) {
            free(w->str[i]);
            free(w->str_len[i]);
        }
    free(w->num);
    free(w->str);
    free(w->str_len);
    free(w->line);
    free(w->line_len);
    free(w->line_no);
    free(w->row_line);
    free(w->row_text);
    free(w->row_len);
    free(w->seen);
    free(w->ins);
    free(w->scratch);
    free(w->out.p);
    free(w->errs.p);
    free(w);
}

static bp_worker *worker_new(const bp_model *m, bp_shared *sh)
{
    bp_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->m = m;
    w->sh = sh;
    w->cap = m->batch;
    size_t n = (size_t)w->cap, nin = (size_t)(m->nin > 0 ? m->nin : 1);
    w->line = malloc(n * sizeof *w->line);
    w->line_len = malloc(n * sizeof *w->line_len);
    w->line_no = malloc(n * sizeof *w->line_no);
    w->row_line = malloc(n * sizeof *w->row_line);
    w->row_text = malloc(n * sizeof *w->row_text);
    w->row_len = malloc(n * sizeof *w->row_len);
    w->num = calloc(nin, sizeof *w->num);
    w->str = calloc(nin, sizeof *w->str);
    w->str_len = calloc(nin, sizeof *w->str_len);
    w->seen = calloc(nin, 1);
    w->ins = calloc(nin, sizeof *w->ins);
    if (!w->ins || !w->line || !w->line_len || !w->line_no || !w->row_line || !w->row_text || !w->row_len || !w->num ||
        !w->str || !w->str_len || !w->seen) {
        worker_free(w);
        return NULL;
    }
    for (int i = 0; i < m->nin; i++) {
        size_t k = n * (size_t)m->in[i].width;
        if (m->in[i].dtype == TFC_STRING) {
            w->str[i] = malloc(k * sizeof *w->str[i]);
            w->str_len[i] = malloc(k * sizeof *w->str_len[i]);
            if (!w->str[i] || !w->str_len[i]) {
                worker_free(w);
                return NULL;
            }
        } else {
            w->num[i] = malloc(k * tfc_dtype_size(m->in[i].dtype));
            if (!w->num[i]) {
                worker_free(w);
                return NULL;
            }
        }
    }
    return w;
}

static const char *json_kind(int k)
{
    switch (k) {
    case 's': return "a string";
    case 'n': return "a number";
    case 'b': return "a boolean";
    case 'z': return "null";
    case 'a': return "a list";
    case 'o': return "an object";
    default: return "a value";
    }
}

static const char *wanted(tfc_dtype d)
{
    switch (d) {
    case TFC_STRING: return "a string";
    case TFC_BOOL: return "true or false";
    case TFC_INT32:
    case TFC_INT64: return "an integer";
    default: return "a number";
    }
}

/* Stores one value of input i for row r (element k). kind: 's' string, 'n'
 * number, 'b' boolean. Returns false when the dtype does not take it. */
static bool put(bp_worker *w, int i, int r, int64_t k, int kind, const char *s, size_t n, double v)
{
    const bp_input *in = &w->m->in[i];
    size_t at = (size_t)r * (size_t)in->width + (size_t)k;
    switch (in->dtype) {
    case TFC_STRING:
        if (kind != 's') return false;
        w->str[i][at] = s;
        w->str_len[i][at] = n;
        return true;
    case TFC_FLOAT:
        if (kind != 'n') return false;
        ((float *)w->num[i])[at] = (float)v;
        return true;
    case TFC_DOUBLE:
        if (kind != 'n') return false;
        ((double *)w->num[i])[at] = v;
        return true;
    case TFC_INT32:
        if (kind != 'n' || v != floor(v) || v < -2147483648.0 || v > 2147483647.0) return false;
        ((int32_t *)w->num[i])[at] = (int32_t)v;
        return true;
    case TFC_INT64:
        if (kind != 'n' || v != floor(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0) return false;
        ((int64_t *)w->num[i])[at] = (int64_t)v;
        return true;
    case TFC_BOOL:
        if (kind != 'b') return false;
        ((bool *)w->num[i])[at] = v != 0;
        return true;
    default: return false;
    }
}

static int find_input(const bp_model *m, const char *k, size_t n, int hint)
{
    if (hint >= 0 && hint < m->nin && m->in[hint].keylen == n && !memcmp(m->in[hint].key, k, n)) return hint;
    for (int i = 0; i < m->nin; i++)
        if (m->in[i].keylen == n && !memcmp(m->in[i].key, k, n)) return i;
    return -1;
}

static inline const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* A plain JSON string at p (just after the opening quote): no escapes,
 * control characters or non-ASCII bytes (jansson checks those). Returns the
 * closing quote or NULL. */
static inline const char *plain_string(const char *p, const char *e)
{
    for (; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p;
        if (c == '\\' || c < 0x20 || c >= 0x80) return NULL;
    }
    return NULL;
}

/* A JSON number at p (its grammar exactly); NULL if there is none. */
static inline const char *number(const char *p, const char *e, double *v)
{
    const char *s = p;
    bool neg = p < e && *p == '-';
    if (neg) p++;
    if (p >= e) return NULL;
    uint64_t iv = 0;
    int digits = 0;
    if (*p == '0') {
        p++;
        digits = 1;
    } else if (*p >= '1' && *p <= '9') {
        while (p < e && *p >= '0' && *p <= '9') {
            iv = iv * 10 + (uint64_t)(*p++ - '0');
            digits++;
        }
    } else {
        return NULL;
    }
    bool simple = digits <= 18;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9') return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
        simple = false;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
        simple = false;
    }
    if (simple) *v = neg ? -(double)iv : (double)iv;
    else *v = strtod(s, NULL); /* the grammar above is a prefix strtod reads the same way */
    return p;
}

/* Missing features (w->seen) take their defaults; false when one has none. */
static bool put_defaults(bp_worker *w, int r)
{
    const bp_model *m = w->m;
    for (int i = 0; i < m->nin; i++) {
        if (w->seen[i]) continue;
        const bp_input *in = &m->in[i];
        if (!in->has_default ||
            !put(w, i, r, 0, in->def_kind, in->def_str, in->def_str ? strlen(in->def_str) : 0, in->def_num))
            return false;
    }
    return true;
}

/* The fast path: a flat object of plain strings, numbers and booleans with
 * every input present and of the right type. Returns false for anything
 * else; the caller then asks jansson, which decides and explains. */
static bool parse_fast(bp_worker *w, const char *p, const char *e, int r)
{
    const bp_model *m = w->m;
    memset(w->seen, 0, (size_t)m->nin);
    int nseen = 0, hint = 0;
    p = skip_ws(p, e);
    if (p >= e || *p++ != '{') return false;
    p = skip_ws(p, e);
    if (p < e && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= e || *p != '"') return false;
            const char *k = p + 1, *ke = plain_string(k, e);
            if (!ke) return false;
            p = skip_ws(ke + 1, e);
            if (p >= e || *p++ != ':') return false;
            p = skip_ws(p, e);
            int i = find_input(m, k, (size_t)(ke - k), hint);
            if (p >= e) return false;
            if (*p == '"') {
                const char *s = p + 1, *se = plain_string(s, e);
                if (!se) return false;
                if (i >= 0 && (m->in[i].width != 1 || !put(w, i, r, 0, 's', s, (size_t)(se - s), 0))) return false;
                p = se + 1;
            } else if (*p == 't' || *p == 'f') {
                bool t = *p == 't';
                size_t n = t ? 4 : 5;
                if ((size_t)(e - p) < n || memcmp(p, t ? "true" : "false", n)) return false;
                if (i >= 0 && (m->in[i].width != 1 || !put(w, i, r, 0, 'b', NULL, 0, t))) return false;
                p += n;
            } else {
                double v;
                const char *ne = number(p, e, &v);
                if (!ne) return false;
                if (i >= 0 && (m->in[i].width != 1 || !put(w, i, r, 0, 'n', NULL, 0, v))) return false;
                p = ne;
            }
            if (i >= 0) {
                if (!w->seen[i]) nseen++;
                w->seen[i] = 1;
                hint = i + 1;
            }
            p = skip_ws(p, e);
            if (p < e && *p == ',') {
                p = skip_ws(p + 1, e);
                continue;
            }
            if (p < e && *p == '}') {
                p++;
                break;
            }
            return false;
        }
    }
    p = skip_ws(p, e);
    if (p != e) return false;
    if (nseen < m->nin && !put_defaults(w, r)) return false;
    return true;
}

static const char *scratch_copy(bp_worker *w, const char *s, size_t n)
{
    /* Sized for the batch's lines: a decoded string is never longer than its
     * JSON text, so this never runs out. */
    if (w->scratch_len + n > w->scratch_cap) return NULL;
    char *d = w->scratch + w->scratch_len;
    memcpy(d, s, n);
    w->scratch_len += n;
    return d;
}

static int jkind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return 's';
    case JSON_INTEGER:
    case JSON_REAL: return 'n';
    case JSON_TRUE:
    case JSON_FALSE: return 'b';
    case JSON_NULL: return 'z';
    case JSON_ARRAY: return 'a';
    default: return 'o';
    }
}

static bool put_json(bp_worker *w, int i, int r, int64_t k, const json_t *v)
{
    int kind = jkind(v);
    if (kind == 's') {
        const char *s = scratch_copy(w, json_string_value(v), json_string_length(v));
        return s && put(w, i, r, k, 's', s, json_string_length(v), 0);
    }
    if (kind == 'n') return put(w, i, r, k, 'n', NULL, 0, json_number_value(v));
    if (kind == 'b') return put(w, i, r, k, 'b', NULL, 0, json_is_true(v));
    return false;
}

/* The general path: jansson parses the line; every problem gets a message. */
static bool parse_slow(bp_worker *w, const char *line, size_t len, int r)
{
    const bp_model *m = w->m;
    json_error_t je;
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY, &je);
    if (!root) {
        snprintf(w->msg, sizeof w->msg, "not valid JSON: %s (column %d)", je.text, je.column);
        return false;
    }
    bool ok = false;
    if (!json_is_object(root)) {
        snprintf(w->msg, sizeof w->msg, "an instance must be a JSON object of features, not %s",
                 json_kind(jkind(root)));
        goto done;
    }
    for (int i = 0; i < m->nin; i++) {
        const bp_input *in = &m->in[i];
        json_t *v = json_object_get(root, in->key);
        if ((!v || json_is_null(v)) && in->has_default) {
            put(w, i, r, 0, in->def_kind, in->def_str, in->def_str ? strlen(in->def_str) : 0, in->def_num);
            continue;
        }
        if (!v) {
            int l = snprintf(w->msg, sizeof w->msg, "missing feature '%s' (the model reads:", in->key);
            for (int j = 0; j < m->nin && l > 0 && (size_t)l < sizeof w->msg; j++)
                l += snprintf(w->msg + l, sizeof w->msg - (size_t)l, " %s", m->in[j].key);
            if (l > 0 && (size_t)l < sizeof w->msg) snprintf(w->msg + l, sizeof w->msg - (size_t)l, ")");
            goto done;
        }
        if (in->width == 1 && json_is_array(v) && json_array_size(v) == 1) v = json_array_get(v, 0);
        if (in->width == 1) {
            if (!put_json(w, i, r, 0, v)) {
                snprintf(w->msg, sizeof w->msg, "feature '%s' must be %s (%s), not %s", in->key, wanted(in->dtype),
                         tfc_dtype_name(in->dtype), json_kind(jkind(v)));
                goto done;
            }
            continue;
        }
        if (!json_is_array(v) || (int64_t)json_array_size(v) != in->width) {
            snprintf(w->msg, sizeof w->msg, "feature '%s' must be a list of %lld values (%s)", in->key,
                     (long long)in->width, tfc_dtype_name(in->dtype));
            goto done;
        }
        for (int64_t k = 0; k < in->width; k++) {
            json_t *x = json_array_get(v, (size_t)k);
            if (!put_json(w, i, r, k, x)) {
                snprintf(w->msg, sizeof w->msg, "feature '%s' value %lld must be %s (%s), not %s", in->key,
                         (long long)k, wanted(in->dtype), tfc_dtype_name(in->dtype), json_kind(jkind(x)));
                goto done;
            }
        }
    }
    ok = true;
done:
    json_decref(root);
    return ok;
}

static void add_error(bp_worker *w, int64_t line_no, const char *text, size_t len, const char *msg)
{
    w->n_err++;
    sb_add(&w->errs, "{\"file\": ", 9);
    sb_json_string(&w->errs, w->sh->source, strlen(w->sh->source));
    sb_printf(&w->errs, ", \"line\": %lld, \"error\": ", (long long)line_no);
    sb_json_string(&w->errs, msg, strlen(msg));
    sb_add(&w->errs, ", \"instance\": ", 14);
    size_t n = len > 1000 ? 1000 : len; /* enough to recognize it */
    while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == '\n')) n--;
    sb_json_string(&w->errs, text, n);
    sb_add(&w->errs, "}\n", 2);
    if (!w->sh->errors && !w->fatal_code) {
        w->fatal_code = TFC_INVALID_ARGUMENT;
        snprintf(w->fatal, sizeof w->fatal, "%s:%lld: %s", w->sh->source, (long long)line_no, msg);
    }
}

/* Runs rows [first, first + n) of the parsed batch; outputs on success. */
static tfc_code run_rows(bp_worker *w, int first, int n, tfc_tensor **outs)
{
    const bp_model *m = w->m;
    tfc_tensor **ins = w->ins;
    tfc_code c = TFC_OK;
    int made = 0;
    for (int i = 0; i < m->nin && !c; i++, made++) {
        const bp_input *in = &m->in[i];
        int64_t dims[2] = {n, in->width};
        size_t off = (size_t)first * (size_t)in->width;
        if (in->dtype == TFC_STRING)
            c = tfc_tensor_new_strings(dims, in->rank, w->str[i] + off, w->str_len[i] + off, &ins[i]);
        else
            c = tfc_tensor_new(in->dtype, dims, in->rank, (char *)w->num[i] + off * tfc_dtype_size(in->dtype),
                               (size_t)n * (size_t)in->width * tfc_dtype_size(in->dtype), &ins[i]);
        if (c) ins[i] = NULL;
    }
    if (!c)
        c = tfc_saved_model_run(m->sm, m->sig_key, m->in_keys, ins, m->nin, m->fetch, outs, m->nfetch);
    for (int i = 0; i < made; i++) tfc_tensor_free(ins[i]);
    /* Formatting reads row r of every output: a model whose outputs are not
     * one row per instance cannot be served this way at all. */
    for (int f = 0; !c && f < m->nfetch; f++) {
        if (tfc_tensor_rank(outs[f]) < 1 || tfc_tensor_dim(outs[f], 0) != n) {
            w->fatal_code = TFC_INVALID_ARGUMENT;
            snprintf(w->fatal, sizeof w->fatal, "the output '%s' of signature '%s' does not have one row per instance",
                     m->fetch[f], m->sig_key);
            for (int k = 0; k < m->nfetch; k++) {
                tfc_tensor_free(outs[k]);
                outs[k] = NULL;
            }
            c = TFC_INVALID_ARGUMENT;
        }
    }
    return c;
}

static void format_rows(bp_worker *w, int n, tfc_tensor **outs)
{
    sbuf *b = &w->out;
    for (int r = 0; r < n && !b->oom; r++) {
        size_t avail = b->p ? b->cap - b->len : 0;
        size_t len = bp_format_row(w->m, outs, r, b->p ? b->p + b->len : NULL, avail);
        if (len >= avail) {
            if (!sb_reserve(b, len + 1)) break;
            len = bp_format_row(w->m, outs, r, b->p + b->len, b->cap - b->len);
        }
        b->len += len;
        sb_add(b, "\n", 1);
        w->n_ok++;
    }
}

static void process_batch(bp_worker *w)
{
    const bp_model *m = w->m;
    w->out.len = 0;
    w->errs.len = 0;
    w->n_ok = w->n_err = 0;
    size_t total = 0;
    for (int l = 0; l < w->nlines; l++) total += w->line_len[l];
    if (total + 1 > w->scratch_cap) {
        free(w->scratch);
        w->scratch_cap = total + 1;
        w->scratch = malloc(w->scratch_cap);
        if (!w->scratch) {
            w->scratch_cap = 0;
            w->fatal_code = TFC_RESOURCE_EXHAUSTED;
            snprintf(w->fatal, sizeof w->fatal, "out of memory");
            return;
        }
    }
    w->scratch_len = 0;
    int rows = 0;
    for (int l = 0; l < w->nlines && !w->fatal_code; l++) {
        const char *s = w->line[l], *e = s + w->line_len[l];
        if (skip_ws(s, e) == e) continue; /* blank line */
        if (parse_fast(w, s, e, rows) || parse_slow(w, s, w->line_len[l], rows)) {
            w->row_line[rows] = w->line_no[l];
            w->row_text[rows] = s;
            w->row_len[rows] = w->line_len[l];
            rows++;
        } else {
            add_error(w, w->line_no[l], s, w->line_len[l], w->msg);
        }
    }
    if (w->fatal_code || rows == 0) return;
    tfc_tensor *outs[BP_MAX_FIELDS] = {0};
    if (run_rows(w, 0, rows, outs) == TFC_OK) {
        format_rows(w, rows, outs);
        for (int f = 0; f < m->nfetch; f++) tfc_tensor_free(outs[f]);
    } else if (!w->fatal_code) {
        /* Something in the batch broke the run: find which instances, so
         * the others still get their predictions. */
        for (int r = 0; r < rows && !w->fatal_code; r++) {
            if (run_rows(w, r, 1, outs) == TFC_OK) {
                format_rows(w, 1, outs);
                for (int f = 0; f < m->nfetch; f++) tfc_tensor_free(outs[f]);
            } else {
                add_error(w, w->row_line[r], w->row_text[r], w->row_len[r], tfc_last_error());
            }
        }
    }
    if (w->out.oom || w->errs.oom) {
        w->fatal_code = TFC_RESOURCE_EXHAUSTED;
        snprintf(w->fatal, sizeof w->fatal, "out of memory formatting the results");
    }
}

static void *worker_main(void *arg)
{
    bp_worker *w = arg;
    bp_shared *sh = w->sh;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        if (sh->cursor >= sh->end || sh->failed) {
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        int64_t id = sh->next_batch++;
        w->nlines = 0;
        const char *p = sh->cursor;
        while (w->nlines < w->cap && p < sh->end) {
            const char *nl = memchr(p, '\n', (size_t)(sh->end - p));
            const char *le = nl ? nl : sh->end;
            w->line[w->nlines] = p;
            w->line_len[w->nlines] = (size_t)(le - p);
            w->line_no[w->nlines] = ++sh->next_line;
            w->nlines++;
            p = nl ? nl + 1 : sh->end;
        }
        sh->cursor = p;
        pthread_mutex_unlock(&sh->mu);

        w->fatal_code = 0;
        process_batch(w);

        pthread_mutex_lock(&sh->mu);
        while (sh->next_commit != id) pthread_cond_wait(&sh->cv, &sh->mu);
        if (!sh->failed) {
            /* With errors NULL a bad instance fails the call: the good rows
             * before it in this batch are dropped too (simple and rare). */
            if (w->fatal_code) {
                sh->failed = 1;
                sh->fatal_code = w->fatal_code;
                snprintf(sh->fatal, sizeof sh->fatal, "%s", w->fatal);
            } else {
                if ((w->out.len && fwrite(w->out.p, 1, w->out.len, sh->results) != w->out.len) ||
                    (w->errs.len && sh->errors && fwrite(w->errs.p, 1, w->errs.len, sh->errors) != w->errs.len)) {
                    sh->failed = 1;
                    sh->fatal_code = TFC_DATA_LOSS;
                    snprintf(sh->fatal, sizeof sh->fatal, "writing the results: %s", strerror(errno));
                }
                sh->n_ok += w->n_ok;
                sh->n_err += w->n_err;
            }
        }
        sh->next_commit++;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

int bp_predict_buffer(bp_model *m, const char *data, size_t len, const char *source, FILE *results, FILE *errors,
                      bp_counts *counts, char *err, size_t errlen)
{
    bp_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.m = m;
    sh.data = sh.cursor = data;
    sh.end = data + len;
    sh.source = source ? source : "<input>";
    sh.results = results;
    sh.errors = errors;
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    /* No more workers than batches. */
    int64_t approx_batches = (int64_t)(len / 64 / (size_t)m->batch) + 1;
    int nw = m->threads < approx_batches ? m->threads : (int)approx_batches;
    if (nw < 1) nw = 1;
    bp_worker *w[64] = {0};
    pthread_t tid[64];
    bool started[64] = {0};
    int code = TFC_OK;
    for (int i = 0; i < nw; i++) {
        w[i] = worker_new(m, &sh);
        if (!w[i]) {
            code = fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory for %d instances per batch", m->batch);
            goto out;
        }
    }
    for (int i = 1; i < nw; i++) started[i] = pthread_create(&tid[i], NULL, worker_main, w[i]) == 0;
    worker_main(w[0]);
    for (int i = 1; i < nw; i++)
        if (started[i]) pthread_join(tid[i], NULL);
    if (sh.failed) code = fail(err, errlen, sh.fatal_code, "%s", sh.fatal);
    if (counts) {
        counts->instances += sh.n_ok;
        counts->errors += sh.n_err;
    }
out:
    for (int i = 0; i < nw; i++) worker_free(w[i]);
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.cv);
    return code;
}

int bp_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, errno == ENOENT ? TFC_NOT_FOUND : TFC_PERMISSION_DENIED, "cannot open %s: %s",
                    path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, TFC_INVALID_ARGUMENT, "%s is not a regular file", path);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *p = malloc(cap);
    if (!p) {
        close(fd);
        return fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    for (;;) {
        if (n + 1 >= cap) { /* the file grew */
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                close(fd);
                return fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
            }
            p = q;
            cap *= 2;
        }
        ssize_t r = read(fd, p + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(p);
            close(fd);
            return fail(err, errlen, TFC_DATA_LOSS, "reading %s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    p[n] = 0;
    *data = p;
    *len = n;
    return TFC_OK;
}

/* ---- Jobs ---------------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every file the comma-separated patterns match, sorted, without duplicates. */
static int expand_inputs(const char *patterns, char ***out, int *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    char *copy = strdup(patterns);
    if (!copy) return fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory");
    char **files = NULL;
    int nf = 0, code = TFC_OK;
    char *save = NULL;
    for (char *pat = strtok_r(copy, ",", &save); pat && !code; pat = strtok_r(NULL, ",", &save)) {
        if (!*pat) continue;
        glob_t g;
        int rc = glob(pat, 0, NULL, &g);
        if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
            code = fail(err, errlen, TFC_NOT_FOUND, "--input-paths: '%s' matches no file", pat);
        } else if (rc) {
            code = fail(err, errlen, TFC_INVALID_ARGUMENT, "--input-paths: cannot expand '%s'", pat);
        } else {
            char **nfiles = realloc(files, (size_t)(nf + (int)g.gl_pathc) * sizeof *files);
            if (!nfiles) {
                code = fail(err, errlen, TFC_RESOURCE_EXHAUSTED, "out of memory");
            } else {
                files = nfiles;
                for (size_t i = 0; i < g.gl_pathc; i++) {
                    struct stat st;
                    if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue;
                    files[nf] = strdup(g.gl_pathv[i]);
                    if (files[nf]) nf++;
                }
            }
        }
        if (rc == 0) globfree(&g);
    }
    free(copy);
    if (!code && nf == 0) code = fail(err, errlen, TFC_NOT_FOUND, "--input-paths: '%s' matches no file", patterns);
    if (code) {
        for (int i = 0; i < nf; i++) free(files[i]);
        free(files);
        return code;
    }
    qsort(files, (size_t)nf, sizeof *files, cmp_str);
    int k = 0;
    for (int i = 0; i < nf; i++) {
        if (k && !strcmp(files[k - 1], files[i])) {
            free(files[i]);
            continue;
        }
        files[k++] = files[i];
    }
    *out = files;
    *n = k;
    return TFC_OK;
}

/* Earlier runs' shards would mix with this run's (their MMMMM may differ). */
static void remove_old_shards(const char *dir)
{
    char pat[4200];
    const char *kinds[2] = {"results", "errors_stats"};
    for (int k = 0; k < 2; k++) {
        snprintf(pat, sizeof pat, "%s/prediction.%s-*-of-*", dir, kinds[k]);
        glob_t g;
        if (glob(pat, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
            globfree(&g);
        }
    }
}

static FILE *open_out(const char *path, char *err, size_t errlen, int *code)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        *code = fail(err, errlen, TFC_PERMISSION_DENIED, "cannot write %s: %s", path, strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

int bp_run_job(const bp_job *job, FILE *log, bp_job_stats *stats, char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    if (job->data_format && strcmp(job->data_format, "TEXT") && strcmp(job->data_format, "text") &&
        strcmp(job->data_format, "JSON") && strcmp(job->data_format, "json"))
        return fail(err, errlen, TFC_UNIMPLEMENTED,
                    "--data-format %s is not supported (TEXT: JSON lines, one instance per line)", job->data_format);
    char **files = NULL;
    int nfiles = 0;
    int code = expand_inputs(job->input_paths, &files, &nfiles, err, errlen);
    if (code) return code;
    bp_model *m = NULL;
    FILE *errors = NULL;
    char path[4200];
    if (mkdir_p(job->output_dir)) {
        code = fail(err, errlen, TFC_PERMISSION_DENIED, "--output-path: cannot make the directory %s: %s",
                    job->output_dir, strerror(errno));
        goto out;
    }
    double t0 = now_seconds();
    code = bp_model_load(job->export_dir, &job->options, &m, err, errlen);
    if (code) goto out;
    stats->load_seconds = now_seconds() - t0;
    if (log)
        fprintf(log, "loaded %s (signature %s) in %.3f s; %d input file(s)\n", job->export_dir,
                bp_model_signature_key(m), stats->load_seconds, nfiles), fflush(log);
    t0 = now_seconds();
    remove_old_shards(job->output_dir);
    snprintf(path, sizeof path, "%s/prediction.errors_stats-00000-of-00001", job->output_dir);
    errors = open_out(path, err, errlen, &code);
    if (!errors) goto out;
    bp_counts total = {0, 0};
    for (int i = 0; i < nfiles && !code; i++) {
        char *data;
        size_t len;
        code = bp_read_file(files[i], &data, &len, err, errlen);
        if (code) break;
        snprintf(path, sizeof path, "%s/prediction.results-%05d-of-%05d", job->output_dir, i, nfiles);
        FILE *results = open_out(path, err, errlen, &code);
        if (results) {
            bp_counts c = {0, 0};
            code = bp_predict_buffer(m, data, len, files[i], results, errors, &c, err, errlen);
            if (fclose(results) && !code)
                code = fail(err, errlen, TFC_DATA_LOSS, "writing %s: %s", path, strerror(errno));
            total.instances += c.instances;
            total.errors += c.errors;
            if (log && !code)
                fprintf(log, "%s: %lld instance(s) predicted, %lld bad\n", files[i], (long long)c.instances,
                        (long long)c.errors), fflush(log);
        }
        free(data);
    }
    if (fclose(errors) && !code)
        code = fail(err, errlen, TFC_DATA_LOSS, "writing the errors_stats file: %s", strerror(errno));
    errors = NULL;
    stats->instances = total.instances;
    stats->errors = total.errors;
    stats->files = nfiles;
    stats->predict_seconds = now_seconds() - t0;
out:
    if (errors) fclose(errors);
    bp_model_free(m);
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    return code;
}
