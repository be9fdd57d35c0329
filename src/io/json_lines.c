/* JSON-lines instances: see include/tfc/input.h.
 *
 * Each line is parsed by jansson; the parsed documents are kept until the
 * batch is built so string features are copied once, into the tensor. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "csv_internal.h"
#include "tfc/input.h"


#define JSONL_MAX_FILE_BYTES ((uint64_t)1 << 32)

typedef struct jl_state {
    const tfc_csv_schema *s;
    const char *src;
    int ncols;
    int64_t rows, cap;
    void **num;          /* per non-string column */
    const char ***str;   /* per string column */
    size_t **len;
    json_t **docs;       /* kept alive for the strings */
    int64_t ndocs;
} jl_state;

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static tfc_code grow(jl_state *st)
{
    int64_t nc = st->cap ? 2 * st->cap : 64;
    for (int i = 0; i < st->ncols; i++) {
        tfc_dtype dt = tfc_csv_schema_column_dtype(st->s, i);
        if (dt == TFC_STRING) {
            const char **p = realloc(st->str[i], (size_t)nc * sizeof *p);
            if (p) st->str[i] = p;
            size_t *l = p ? realloc(st->len[i], (size_t)nc * sizeof *l) : NULL;
            if (l) st->len[i] = l;
            if (!p || !l) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", st->src);
        } else {
            void *b = realloc(st->num[i], (size_t)nc * tfc_dtype_size(dt));
            if (!b) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", st->src);
            st->num[i] = b;
        }
    }
    json_t **d = realloc(st->docs, (size_t)nc * sizeof *d);
    if (!d) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", st->src);
    st->docs = d;
    st->cap = nc;
    return TFC_OK;
}

/* Stores value v (NULL: missing) of column i in row k. */
static tfc_code put_value(jl_state *st, int64_t line, int i, const json_t *v, const char *path)
{
    const char *name = tfc_csv_schema_column_name(st->s, i);
    tfc_dtype dt = tfc_csv_schema_column_dtype(st->s, i);
    int64_t k = st->rows;
    double num = 0;
    int64_t inum = 0;
    const char *sp = NULL;
    size_t sl = 0;
    if (!v || json_is_null(v)) {
        if (!tfci_csv_schema_default(st->s, i, &num, &inum, &sp, &sl))
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: feature '%s' is missing and has no default",
                              st->src, (long long)line, path, name);
    } else if (dt == TFC_STRING) {
        if (!json_is_string(v))
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: expected a string, got %s", st->src,
                              (long long)line, path, json_type_name(v));
        sp = json_string_value(v);
        sl = json_string_length(v);
    } else if (json_is_string(v)) {
        int rc = tfci_csv_schema_label_id(st->s, i, json_string_value(v), json_string_length(v), &inum);
        if (rc < 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: expected %s, got a string", st->src,
                              (long long)line, path,
                              dt == TFC_FLOAT || dt == TFC_DOUBLE ? "a number" : "an integer");
        if (rc > 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: label '%.40s' is not in the label vocabulary",
                              st->src, (long long)line, path, json_string_value(v));
    } else if (!json_is_number(v)) {
        return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: expected %s, got %s", st->src, (long long)line, path,
                          dt == TFC_FLOAT || dt == TFC_DOUBLE ? "a number" : "an integer", json_type_name(v));
    } else if (dt == TFC_FLOAT || dt == TFC_DOUBLE) {
        num = json_number_value(v);
        if (dt == TFC_FLOAT && fabs(num) > 3.4028234663852886e38)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: %g is out of range for float32", st->src,
                              (long long)line, path, num);
    } else {
        if (json_is_integer(v)) {
            inum = (int64_t)json_integer_value(v);
        } else {
            double x = json_real_value(v);
            if (x != floor(x) || !(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
                return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: expected an integer, got %g", st->src,
                                  (long long)line, path, x);
            inum = (int64_t)x;
        }
        if (dt == TFC_INT32 && (inum < INT32_MIN || inum > INT32_MAX))
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: %lld is out of range for int32", st->src,
                              (long long)line, path, (long long)inum);
    }
    switch (dt) {
    case TFC_FLOAT: ((float *)st->num[i])[k] = (float)num; break;
    case TFC_DOUBLE: ((double *)st->num[i])[k] = num; break;
    case TFC_INT32: ((int32_t *)st->num[i])[k] = (int32_t)inum; break;
    case TFC_INT64: ((int64_t *)st->num[i])[k] = inum; break;
    default:
        st->str[i][k] = sp;
        st->len[i][k] = sl;
        break;
    }
    return TFC_OK;
}

static tfc_code parse_instance(jl_state *st, int64_t line, const char *p, size_t n)
{
    json_error_t err;
    json_t *doc = json_loadb(p, n, JSON_DECODE_ANY, &err);
    if (!doc)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: invalid JSON at column %d: %s", st->src, (long long)line,
                          err.column, err.text);
    if (st->rows == st->cap) {
        tfc_code c = grow(st);
        if (c) {
            json_decref(doc);
            return c;
        }
    }
    st->docs[st->ndocs++] = doc;
    if (!json_is_object(doc))
        return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: expected a JSON object of features, got %s", st->src,
                          (long long)line, json_type_name(doc));
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        int found = 0;
        for (int i = 0; i < st->ncols && !found; i++) found = !strcmp(tfc_csv_schema_column_name(st->s, i), key);
        if (!found)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: $.%s: unknown feature (the schema has no such column)",
                              st->src, (long long)line, key);
    }
    for (int i = 0; i < st->ncols; i++) {
        const char *name = tfc_csv_schema_column_name(st->s, i);
        char path[300];
        snprintf(path, sizeof path, "$.%s", name);
        v = json_object_get(doc, name);
        if (v && json_is_array(v)) {
            if (json_array_size(v) != 1)
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "%s:%lld: %s: expected a value or a one-element list, got a list of %zu", st->src,
                                  (long long)line, path, json_array_size(v));
            v = json_array_get(v, 0);
            snprintf(path, sizeof path, "$.%s[0]", name);
            if (json_is_null(v))
                return tfci_error(TFC_INVALID_ARGUMENT, "%s:%lld: %s: expected a value, got null", st->src,
                                  (long long)line, path);
        }
        tfc_code c = put_value(st, line, i, v, path);
        if (c) return c;
    }
    st->rows++;
    return TFC_OK;
}

static tfc_code build(jl_state *st, tfc_tensor **columns)
{
    int64_t dims[1] = {st->rows};
    tfc_code c = TFC_OK;
    for (int i = 0; i < st->ncols && !c; i++) {
        tfc_dtype dt = tfc_csv_schema_column_dtype(st->s, i);
        if (dt == TFC_STRING)
            c = tfc_tensor_new_strings(dims, 1, st->str[i], st->len[i], &columns[i]);
        else
            c = tfc_tensor_new(dt, dims, 1, st->num[i], (size_t)st->rows * tfc_dtype_size(dt), &columns[i]);
    }
    if (c)
        for (int i = 0; i < st->ncols; i++) {
            tfc_tensor_free(columns[i]);
            columns[i] = NULL;
        }
    return c;
}

TFC_API tfc_code tfc_json_lines_parse(const tfc_csv_schema *schema, const void *data, size_t size,
                                      const char *source, tfc_tensor **columns, int64_t *rows)
{
    if (rows) *rows = 0;
    if (!schema || !columns || !rows || (!data && size))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_json_lines_parse: schema, data, columns or rows is NULL");
    int ncols = tfc_csv_schema_num_columns(schema);
    for (int i = 0; i < ncols; i++) columns[i] = NULL;
    if (ncols == 0) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_json_lines_parse: the schema has no columns");
    jl_state st = {.s = schema, .src = source ? source : "<buffer>", .ncols = ncols};
    st.num = calloc((size_t)ncols, sizeof *st.num);
    st.str = calloc((size_t)ncols, sizeof *st.str);
    st.len = calloc((size_t)ncols, sizeof *st.len);
    tfc_code c = TFC_OK;
    if (!st.num || !st.str || !st.len) c = tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", st.src);
    const char *d = data;
    size_t pos = 0;
    int64_t line = 0;
    while (!c && pos < size) {
        line++;
        const char *nl = memchr(d + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - d) : size;
        size_t q = pos;
        while (q < end && (d[q] == ' ' || d[q] == '\t' || d[q] == '\r')) q++;
        if (q < end) c = parse_instance(&st, line, d + pos, end - pos);
        pos = nl ? end + 1 : size;
    }
    if (!c && st.rows == 0)
        c = tfci_error(TFC_INVALID_ARGUMENT, "%s: no instances (expected one JSON object per line)", st.src);
    if (!c) c = build(&st, columns);
    if (!c) *rows = st.rows;
    for (int64_t i = 0; i < st.ndocs; i++) json_decref(st.docs[i]);
    free(st.docs);
    for (int i = 0; i < ncols; i++) {
        if (st.num) free(st.num[i]);
        if (st.str) free(st.str[i]);
        if (st.len) free(st.len[i]);
    }
    free(st.num);
    free(st.str);
    free(st.len);
    return c;
}

TFC_API tfc_code tfc_json_lines_read(const tfc_csv_schema *schema, const char *path, tfc_tensor **columns,
                                     int64_t *rows)
{
    if (rows) *rows = 0;
    if (!path) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_json_lines_read: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return tfci_error(errno == ENOENT ? TFC_NOT_FOUND : TFC_PERMISSION_DENIED, "%s: cannot open: %s", path,
                          strerror(errno));
    size_t cap = 1 << 16, size = 0;
    char *buf = malloc(cap);
    tfc_code c = TFC_OK;
    while (buf) {
        if (size == cap) {
            if (cap >= JSONL_MAX_FILE_BYTES) {
                c = tfci_error(TFC_INVALID_ARGUMENT, "%s: larger than 4 GiB", path);
                break;
            }
            char *nb = realloc(buf, 2 * cap);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + size, 1, cap - size, f);
        size += k;
        if (k == 0) {
            if (ferror(f)) c = tfci_error(TFC_DATA_LOSS, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (!buf) return tfci_error(TFC_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    if (!c) c = tfc_json_lines_parse(schema, buf, size, path, columns, rows);
    free(buf);
    return c;
}
