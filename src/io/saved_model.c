/* Exported models (public API: include/tfc/saved_model.h; schema:
 * proto/saved_model.proto).
 *
 * Export writes everything into "<dir>.tmp-XXXXXX" (the checkpoint and the
 * model file each fsynced by their atomic writers), then renames that
 * directory to <dir> and fsyncs the parent: a crash leaves no export or a
 * whole one.
 *
 * Load checks the whole model file before making anything that outlives the
 * call: magic, format version, the graph (imported into a fresh graph whose
 * shape functions validate every node), the variable list against the
 * graph, every signature tensor's name, dtype and shape; then it restores
 * every variable from the checkpoint. Any failure frees it all. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../graph/graph_internal.h"
#include "atomic_file.h"
#include "checkpoint_internal.h"
#include "saved_model.pb-c.h"
#include "tfc/graph_def.h"
#include "tfc/saved_model.h"

/* ---- shared with graph_def.c (defined there) ---- */
typedef struct tfci_pb_pool tfci_pb_pool;
typedef struct tfci_pb_msg tfci_pb_msg;
tfci_pb_pool *tfci_pb_pool_new(void);
void *tfci_pb_pool_alloc(tfci_pb_pool *p, size_t n);
char *tfci_pb_pool_strdup(tfci_pb_pool *p, const char *s);
void tfci_pb_pool_free(tfci_pb_pool *p);
tfc_code tfci_pb_unpack(const ProtobufCMessageDescriptor *desc, const void *data, size_t size, const char *source,
                        tfc_code code, tfci_pb_msg **out);
ProtobufCMessage *tfci_pb_msg_get(const tfci_pb_msg *m);
void tfci_pb_msg_free(tfci_pb_msg *m);
tfc_code tfci_pb_read_file(const char *path, size_t cap, void **data, size_t *size);
tfc_code tfci_pb_pack(const ProtobufCMessage *m, const char *what, tfc_buffer **out);
Tfcpb__Graph__TensorShapeProto *tfci_pb_shape(tfci_pb_pool *p, const tfci_shape *s);
bool tfci_pb_read_shape(const Tfcpb__Graph__TensorShapeProto *sp, tfci_shape *out, const char **why);
tfc_code tfci_graph_def_build(const tfc_graph *g, tfci_pb_pool *pool, Tfcpb__Graph__GraphDef **out);
tfc_code tfci_graph_def_import_msg(tfc_graph *g, const Tfcpb__Graph__GraphDef *gd, const char *prefix,
                                   const char *source, bool atomic);

typedef Tfcpb__SavedModel__SavedModel SavedModel;
typedef Tfcpb__SavedModel__SignatureDef SignatureDef;
typedef Tfcpb__SavedModel__TensorInfo TensorInfo;
typedef Tfcpb__SavedModel__VariableInfo VariableInfo;
typedef Tfcpb__SavedModel__SavedModel__SignatureDefEntry SigEntry;
typedef Tfcpb__SavedModel__SignatureDef__InputsEntry TensorEntry; /* same layout as OutputsEntry */

#define SM_MAGIC "tfc.SavedModel"
#define SM_MAGIC_LEN 14
#define SM_MODEL_FILE "saved_model.pb"
#define SM_VARIABLES_DIR "variables"
#define SM_VARIABLES_FILE "variables/variables.tfc"
/* saved_model.pb files larger than this are refused before reading. */
#define SM_MAX_FILE_BYTES ((size_t)512 << 20)
/* The checksum field (15, fixed32) closes every file: tag byte + 4 bytes. */
#define SM_CRC_TAG 0x7d
#define SM_CRC_BYTES 5

static uint32_t crc32_of(const void *data, size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (size) {
        uInt n = size > (1u << 30) ? (1u << 30) : (uInt)size;
        crc = crc32(crc, p, n);
        p += n;
        size -= n;
    }
    return (uint32_t)crc;
}

#define NAME_FMT "%.256s"

/* ======================================================================
 * Signatures
 * ====================================================================== */

typedef struct sig_tensor {
    char *key;
    tfc_output t;
    tfc_dtype dtype;
    tfci_shape shape;
} sig_tensor;

struct tfc_signature {
    char *key, *method;
    sig_tensor *in, *out;
    int nin, nout, in_cap, out_cap;
    const tfc_graph *graph; /* of the tensors; NULL until the first is added */
    bool lent;              /* owned by a loaded model */
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

TFC_API tfc_code tfc_signature_new(const char *key, const char *method_name, tfc_signature **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_signature_new: out is NULL");
    *out = NULL;
    if (!key || !key[0]) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_signature_new: the key is empty");
    if (!method_name || !method_name[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_signature_new: signature '" NAME_FMT "': the method name is empty",
                          key);
    tfc_signature *s = calloc(1, sizeof *s);
    if (!s || !(s->key = dup_str(key)) || !(s->method = dup_str(method_name))) {
        if (s) free(s->key);
        free(s);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "tfc_signature_new: out of memory");
    }
    *out = s;
    return TFC_OK;
}

static void sig_clear(tfc_signature *s)
{
    for (int i = 0; i < s->nin; i++) free(s->in[i].key);
    for (int i = 0; i < s->nout; i++) free(s->out[i].key);
    free(s->in);
    free(s->out);
    free(s->key);
    free(s->method);
}

TFC_API void tfc_signature_free(tfc_signature *sig)
{
    if (!sig || sig->lent) return;
    sig_clear(sig);
    free(sig);
}

static tfc_code sig_add(tfc_signature *s, bool input, const char *key, tfc_output t)
{
    const char *what = input ? "input" : "output";
    if (!s) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_signature_add_%s: signature is NULL", what);
    if (s->lent)
        return tfci_error(TFC_FAILED_PRECONDITION, "signature '" NAME_FMT "': a loaded model's signature is read-only",
                          s->key);
    if (!key || !key[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "signature '" NAME_FMT "': an %s key is empty", s->key, what);
    if (!tfci_output_valid(t))
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "signature '" NAME_FMT "': %s '" NAME_FMT "' is not a valid tensor "
                          "(did an earlier constructor fail?)",
                          s->key, what, key);
    if (s->graph && t.op->graph != s->graph)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "signature '" NAME_FMT "': %s '" NAME_FMT "' is in another graph than the earlier tensors",
                          s->key, what, key);
    sig_tensor **arr = input ? &s->in : &s->out;
    int *n = input ? &s->nin : &s->nout, *cap = input ? &s->in_cap : &s->out_cap;
    for (int i = 0; i < *n; i++)
        if (strcmp((*arr)[i].key, key) == 0)
            return tfci_error(TFC_ALREADY_EXISTS, "signature '" NAME_FMT "': %s '" NAME_FMT "' is added twice", s->key,
                              what, key);
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 4;
        sig_tensor *p = realloc(*arr, (size_t)ncap * sizeof *p);
        if (!p) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        *arr = p;
        *cap = ncap;
    }
    sig_tensor *e = &(*arr)[*n];
    if (!(e->key = dup_str(key))) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    e->t = t;
    e->dtype = t.op->out_dtypes[t.index];
    e->shape = t.op->out_shapes[t.index];
    (*n)++;
    s->graph = t.op->graph;
    return TFC_OK;
}

TFC_API tfc_code tfc_signature_add_input(tfc_signature *sig, const char *key, tfc_output tensor)
{
    return sig_add(sig, true, key, tensor);
}
TFC_API tfc_code tfc_signature_add_output(tfc_signature *sig, const char *key, tfc_output tensor)
{
    return sig_add(sig, false, key, tensor);
}

TFC_API const char *tfc_signature_key(const tfc_signature *sig) { return sig ? sig->key : NULL; }
TFC_API const char *tfc_signature_method_name(const tfc_signature *sig) { return sig ? sig->method : NULL; }
TFC_API int tfc_signature_num_inputs(const tfc_signature *sig) { return sig ? sig->nin : -1; }
TFC_API int tfc_signature_num_outputs(const tfc_signature *sig) { return sig ? sig->nout : -1; }

static const sig_tensor *sig_at(const tfc_signature *sig, bool input, int i)
{
    if (!sig) return NULL;
    int n = input ? sig->nin : sig->nout;
    if (i < 0 || i >= n) return NULL;
    return input ? &sig->in[i] : &sig->out[i];
}

TFC_API const char *tfc_signature_input_key(const tfc_signature *sig, int i)
{
    const sig_tensor *e = sig_at(sig, true, i);
    return e ? e->key : NULL;
}
TFC_API const char *tfc_signature_output_key(const tfc_signature *sig, int i)
{
    const sig_tensor *e = sig_at(sig, false, i);
    return e ? e->key : NULL;
}
TFC_API tfc_output tfc_signature_input(const tfc_signature *sig, int i)
{
    const sig_tensor *e = sig_at(sig, true, i);
    return e ? e->t : TFCI_NO_OUTPUT;
}
TFC_API tfc_output tfc_signature_output(const tfc_signature *sig, int i)
{
    const sig_tensor *e = sig_at(sig, false, i);
    return e ? e->t : TFCI_NO_OUTPUT;
}

static tfc_code sig_info(const tfc_signature *sig, bool input, int i, tfc_dtype *dtype, int64_t *dims, int *rank)
{
    const sig_tensor *e = sig_at(sig, input, i);
    if (!e)
        return tfci_error(TFC_OUT_OF_RANGE, "signature '" NAME_FMT "': no %s %d", sig ? sig->key : "(null)",
                          input ? "input" : "output", i);
    if (dtype) *dtype = e->dtype;
    if (rank) *rank = e->shape.rank;
    if (dims)
        for (int k = 0; k < e->shape.rank; k++) dims[k] = e->shape.dims[k];
    return TFC_OK;
}
TFC_API tfc_code tfc_signature_input_info(const tfc_signature *sig, int i, tfc_dtype *dtype, int64_t *dims, int *rank)
{
    return sig_info(sig, true, i, dtype, dims, rank);
}
TFC_API tfc_code tfc_signature_output_info(const tfc_signature *sig, int i, tfc_dtype *dtype, int64_t *dims, int *rank)
{
    return sig_info(sig, false, i, dtype, dims, rank);
}

static bool has_key(const sig_tensor *v, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0) return true;
    return false;
}

/* TensorFlow's rules for the classify and regress methods (see the header). */
static tfc_code check_method(const tfc_signature *s, const char *who)
{
    if (strcmp(s->method, TFC_CLASSIFY_METHOD_NAME) == 0) {
        bool ok = s->nin == 1 && has_key(s->in, 1, TFC_SIGNATURE_INPUTS) && s->nout >= 1 && s->nout <= 2;
        for (int i = 0; ok && i < s->nout; i++)
            ok = strcmp(s->out[i].key, TFC_SIGNATURE_CLASSES) == 0 || strcmp(s->out[i].key, TFC_SIGNATURE_SCORES) == 0;
        if (!ok)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "%s: signature '" NAME_FMT "': the classify method needs exactly the input 'inputs' and "
                              "the outputs 'classes' and/or 'scores'",
                              who, s->key);
    } else if (strcmp(s->method, TFC_REGRESS_METHOD_NAME) == 0) {
        if (!(s->nin == 1 && has_key(s->in, 1, TFC_SIGNATURE_INPUTS) && s->nout == 1 &&
              has_key(s->out, 1, TFC_SIGNATURE_OUTPUTS)))
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "%s: signature '" NAME_FMT "': the regress method needs exactly the input 'inputs' and "
                              "the output 'outputs'",
                              who, s->key);
    }
    return TFC_OK;
}

/* ======================================================================
 * Export
 * ====================================================================== */

static int cmp_sig_entry(const void *a, const void *b)
{
    return strcmp((*(SigEntry *const *)a)->key, (*(SigEntry *const *)b)->key);
}
static int cmp_tensor_entry(const void *a, const void *b)
{
    return strcmp((*(TensorEntry *const *)a)->key, (*(TensorEntry *const *)b)->key);
}

static TensorEntry **tensor_entries(tfci_pb_pool *p, const sig_tensor *v, int n, bool input)
{
    TensorEntry **arr = tfci_pb_pool_alloc(p, (size_t)(n ? n : 1) * sizeof *arr);
    if (!arr) return NULL;
    for (int i = 0; i < n; i++) {
        TensorEntry *e = tfci_pb_pool_alloc(p, sizeof *e);
        TensorInfo *ti = tfci_pb_pool_alloc(p, sizeof *ti);
        size_t len = strlen(v[i].t.op->name) + 16;
        char *name = tfci_pb_pool_alloc(p, len);
        if (!e || !ti || !name) return NULL;
        if (input)
            tfcpb__saved_model__signature_def__inputs_entry__init(e);
        else
            tfcpb__saved_model__signature_def__outputs_entry__init((Tfcpb__SavedModel__SignatureDef__OutputsEntry *)e);
        tfcpb__saved_model__tensor_info__init(ti);
        snprintf(name, len, "%s:%d", v[i].t.op->name, v[i].t.index);
        ti->name = name;
        ti->dtype = (Tfcpb__Graph__DataType)v[i].dtype;
        if (!(ti->tensor_shape = tfci_pb_shape(p, &v[i].shape))) return NULL;
        e->key = v[i].key;
        e->value = ti;
        arr[i] = e;
    }
    qsort(arr, (size_t)n, sizeof *arr, cmp_tensor_entry);
    return arr;
}

/* The SavedModel message (from pool). */
static tfc_code build_model_msg(const tfc_graph *g, tfc_signature *const *sigs, int nsigs, const tfc_op *main_op,
                                tfci_pb_pool *p, SavedModel **out)
{
    SavedModel *m = tfci_pb_pool_alloc(p, sizeof *m);
    if (!m) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    tfcpb__saved_model__saved_model__init(m);
    m->magic = SM_MAGIC;
    m->format_version = TFC_SAVED_MODEL_FORMAT_VERSION;
    m->tfc_version = TFC_VERSION_STRING;
    tfc_code c = tfci_graph_def_build(g, p, &m->graph_def);
    if (c) return c;
    if (main_op) m->main_op = main_op->name;
    if (nsigs) {
        if (!(m->signature_def = tfci_pb_pool_alloc(p, (size_t)nsigs * sizeof *m->signature_def)))
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        for (int i = 0; i < nsigs; i++) {
            const tfc_signature *s = sigs[i];
            SigEntry *e = tfci_pb_pool_alloc(p, sizeof *e);
            SignatureDef *sd = tfci_pb_pool_alloc(p, sizeof *sd);
            if (!e || !sd) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            tfcpb__saved_model__saved_model__signature_def_entry__init(e);
            tfcpb__saved_model__signature_def__init(sd);
            sd->method_name = s->method;
            if (!(sd->inputs = tensor_entries(p, s->in, s->nin, true)) ||
                !(sd->outputs =
                      (Tfcpb__SavedModel__SignatureDef__OutputsEntry **)tensor_entries(p, s->out, s->nout, false)))
                return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            sd->n_inputs = (size_t)s->nin;
            sd->n_outputs = (size_t)s->nout;
            e->key = s->key;
            e->value = sd;
            m->signature_def[i] = e;
        }
        m->n_signature_def = (size_t)nsigs;
        qsort(m->signature_def, m->n_signature_def, sizeof *m->signature_def, cmp_sig_entry);
    }
    if (g->nvars) {
        if (!(m->variables = tfci_pb_pool_alloc(p, g->nvars * sizeof *m->variables)))
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t i = 0; i < g->nvars; i++) {
            const tfc_op *v = g->vars[i];
            VariableInfo *vi = tfci_pb_pool_alloc(p, sizeof *vi);
            if (!vi) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            tfcpb__saved_model__variable_info__init(vi);
            vi->name = v->name;
            vi->dtype = (Tfcpb__Graph__DataType)v->out_dtypes[0];
            if (!(vi->shape = tfci_pb_shape(p, &v->out_shapes[0])))
                return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            m->variables[i] = vi;
        }
        m->n_variables = g->nvars;
    }
    *out = m;
    return TFC_OK;
}

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

/* Removes the files of a temporary export directory (its own, flat layout:
 * files and the variables directory with files), then the directory. */
static void remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *p = path_join(dir, e->d_name);
            if (!p) continue;
            struct stat st;
            if (lstat(p, &st) == 0) {
                if (S_ISDIR(st.st_mode)) {
                    if (depth < 2) remove_tree(p, depth + 1);
                } else {
                    unlink(p);
                }
            }
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* TFC_OK when dir does not exist or is an empty directory. */
static tfc_code check_target(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT) return TFC_OK;
        return tfci_error(TFC_UNAVAILABLE, "cannot stat '%s': %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) return tfci_error(TFC_ALREADY_EXISTS, "'%s' exists and is not a directory", dir);
    DIR *d = opendir(dir);
    if (!d) return tfci_error(TFC_UNAVAILABLE, "cannot open '%s': %s", dir, strerror(errno));
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
    closedir(d);
    if (!empty) return tfci_error(TFC_ALREADY_EXISTS, "'%s' already exists and is not empty", dir);
    return TFC_OK;
}

static tfc_code check_export_args(tfc_session *s, const tfc_graph *g, const char *dir, tfc_signature *const *sigs,
                                  int nsigs, const tfc_export_options *opts, const tfc_op **main_op)
{
    *main_op = NULL;
    if (!s || !g || !dir || !dir[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_export: session, graph and export_dir are required");
    if (nsigs < 0 || (nsigs > 0 && !sigs))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_export: invalid signature list");
    if (g->status)
        return tfci_error(TFC_FAILED_PRECONDITION, "tfc_saved_model_export: the graph has an earlier error: %s",
                          g->status_msg ? g->status_msg : tfc_code_name(g->status));
    if (opts) {
        if (opts->size < sizeof(size_t) || opts->size > sizeof *opts)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_saved_model_export: opts->size is %zu; use "
                              "TFC_EXPORT_OPTIONS_INIT",
                              opts->size);
        if (opts->size >= offsetof(tfc_export_options, main_op) + sizeof opts->main_op && opts->main_op) {
            if (opts->main_op->graph != g)
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "tfc_saved_model_export: main_op '" NAME_FMT "' is not in the exported graph",
                                  opts->main_op->name);
            *main_op = opts->main_op;
        }
    }
    for (int i = 0; i < nsigs; i++) {
        const tfc_signature *si = sigs[i];
        if (!si) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_export: signature %d is NULL", i);
        for (int j = 0; j < i; j++)
            if (strcmp(sigs[j]->key, si->key) == 0)
                return tfci_error(TFC_ALREADY_EXISTS,
                                  "tfc_saved_model_export: two signatures have the key '" NAME_FMT "'", si->key);
        if (si->graph && si->graph != g)
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_saved_model_export: signature '" NAME_FMT "' has tensors of another graph", si->key);
        if (si->nout == 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_export: signature '" NAME_FMT "' has no outputs",
                              si->key);
        tfc_code c = check_method(si, "tfc_saved_model_export");
        if (c) return c;
    }
    return TFC_OK;
}

TFC_API tfc_code tfc_saved_model_export(tfc_session *s, const tfc_graph *g, const char *export_dir,
                                        tfc_signature *const *sigs, int nsigs, const tfc_export_options *opts)
{
    const tfc_op *main_op;
    tfc_code c = check_export_args(s, g, export_dir, sigs, nsigs, opts, &main_op);
    if (c) return c;

    /* "out/" and "out" are the same target; the temporary sits beside it. */
    size_t dlen = strlen(export_dir);
    while (dlen > 1 && export_dir[dlen - 1] == '/') dlen--;
    char *dir = malloc(dlen + 16);
    if (!dir) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    memcpy(dir, export_dir, dlen);
    dir[dlen] = 0;

    char *tmp = NULL, *vars_dir = NULL, *vars_file = NULL, *model_file = NULL;
    tfc_tensor **values = calloc(g->nvars ? g->nvars : 1, sizeof *values);
    const char **names = calloc(g->nvars ? g->nvars : 1, sizeof *names);
    tfci_pb_pool *pool = tfci_pb_pool_new();
    tfc_buffer *buf = NULL;
    unsigned char *file = NULL;
    bool made_tmp = false;
    if (!values || !names || !pool) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if ((c = check_target(dir))) goto fail;
    /* the parent must exist for the temporary directory beside the target */
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        c = tfci_mkdir_p(dir);
        *slash = '/';
        if (c) goto fail;
    }
    /* variable values first: an uninitialized variable fails before any write */
    for (size_t i = 0; i < g->nvars; i++) {
        names[i] = g->vars[i]->name;
        if ((c = tfc_session_variable_value(s, g->vars[i], &values[i]))) {
            tfci_error_prefix("variable '" NAME_FMT "'", g->vars[i]->name);
            goto fail;
        }
    }
    SavedModel *msg = NULL;
    if ((c = build_model_msg(g, sigs, nsigs, main_op, pool, &msg))) goto fail;
    if ((c = tfci_pb_pack(&msg->base, SM_MODEL_FILE, &buf))) goto fail;
    size_t fsize = tfc_buffer_size(buf) + SM_CRC_BYTES;
    if (!(file = malloc(fsize))) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    memcpy(file, tfc_buffer_data(buf), tfc_buffer_size(buf));
    uint32_t crc = crc32_of(file, tfc_buffer_size(buf));
    file[fsize - 5] = SM_CRC_TAG;
    for (int k = 0; k < 4; k++) file[fsize - 4 + k] = (unsigned char)(crc >> (8 * k));

    tmp = malloc(dlen + 16);
    if (!tmp) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    snprintf(tmp, dlen + 16, "%s.tmp-XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        c = tfci_error(TFC_UNAVAILABLE, "cannot create the temporary directory '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    made_tmp = true;
    if (!(vars_dir = path_join(tmp, SM_VARIABLES_DIR)) || !(vars_file = path_join(tmp, SM_VARIABLES_FILE)) ||
        !(model_file = path_join(tmp, SM_MODEL_FILE))) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    if (mkdir(vars_dir, 0777) != 0) {
        c = tfci_error(TFC_UNAVAILABLE, "cannot create '%s': %s", vars_dir, strerror(errno));
        goto fail;
    }
    if ((c = tfci_ckpt_write(vars_file, names, (const tfc_tensor *const *)values, (int)g->nvars))) goto fail;
    if ((c = tfci_atomic_write(model_file, file, fsize))) goto fail;
    if ((c = tfci_fsync_parent_dir(vars_dir))) goto fail;
    if (rename(tmp, dir) != 0) {
        int e = errno;
        c = tfci_error(e == ENOTEMPTY || e == EEXIST ? TFC_ALREADY_EXISTS : TFC_UNAVAILABLE,
                       "cannot rename '%s' to '%s': %s", tmp, dir, strerror(e));
        goto fail;
    }
    made_tmp = false;
    c = tfci_fsync_parent_dir(dir);
    if (c) goto fail;
    goto out;

fail:
    tfci_error_prefix("tfc_saved_model_export to '" NAME_FMT "'", dir);
out:
    if (made_tmp) remove_tree(tmp, 0);
    for (size_t i = 0; values && i < g->nvars; i++) tfc_tensor_free(values[i]);
    free(values);
    free(names);
    tfci_pb_pool_free(pool);
    tfc_buffer_free(buf);
    free(file);
    free(tmp);
    free(vars_dir);
    free(vars_file);
    free(model_file);
    free(dir);
    return c;
}

/* ======================================================================
 * Parsing and loading
 * ====================================================================== */

/* What a model file holds, checked against its own graph. */
typedef struct parsed_model {
    tfc_graph *graph;
    tfc_signature *sigs; /* sorted by key */
    int nsigs;
    tfc_op *main_op;
    char *writer_version;
} parsed_model;

static void parsed_free(parsed_model *p)
{
    for (int i = 0; i < p->nsigs; i++) sig_clear(&p->sigs[i]);
    free(p->sigs);
    tfc_graph_free(p->graph);
    free(p->writer_version);
    memset(p, 0, sizeof *p);
}

/* "op:N" (or "op") to an output of g. */
static bool resolve_tensor(const tfc_graph *g, const char *name, tfc_output *out)
{
    const char *colon = strrchr(name, ':');
    int index = 0;
    size_t len = strlen(name);
    if (colon) {
        const char *d = colon + 1;
        if (!*d) return false;
        long v = 0;
        for (; *d; d++) {
            if (*d < '0' || *d > '9' || v > 100000) return false;
            v = v * 10 + (*d - '0');
        }
        index = (int)v;
        len = (size_t)(colon - name);
    }
    char buf[512];
    if (len == 0 || len >= sizeof buf) return false;
    memcpy(buf, name, len);
    buf[len] = 0;
    tfc_op *op = tfc_graph_op_by_name(g, buf);
    if (!op || index >= op->noutputs) return false;
    *out = (tfc_output){op, index};
    return true;
}

static bool shape_equal(const tfci_shape *a, const tfci_shape *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

static tfc_code read_tensors(const char *source, const char *sig_key, const char *what, TensorEntry *const *ents,
                             size_t n, const tfc_graph *g, sig_tensor **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    if (n > 100000)
        return tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "' has too many %ss", source, sig_key, what);
    sig_tensor *v = calloc(n ? n : 1, sizeof *v);
    if (!v) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    tfc_code c = TFC_OK;
    size_t k = 0;
    for (; k < n && !c; k++) {
        const TensorEntry *e = ents[k];
        const TensorInfo *ti = e->value;
        if (!e->key[0]) {
            c = tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "' has an %s with an empty key", source, sig_key,
                           what);
            break;
        }
        if (has_key(v, (int)k, e->key)) {
            c = tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "' has the %s key '" NAME_FMT "' twice", source,
                           sig_key, what, e->key);
            break;
        }
        if (!ti) {
            c = tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "': %s '" NAME_FMT "' has no tensor info", source,
                           sig_key, what, e->key);
            break;
        }
        tfc_output t;
        if (!resolve_tensor(g, ti->name, &t)) {
            c = tfci_error(TFC_DATA_LOSS,
                           "%s: signature '" NAME_FMT "': %s '" NAME_FMT "' names tensor '" NAME_FMT
                           "', which is not in the graph",
                           source, sig_key, what, e->key, ti->name);
            break;
        }
        tfci_shape s;
        const char *why = NULL;
        if (!tfci_pb_read_shape(ti->tensor_shape, &s, &why)) {
            c = tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "': %s '" NAME_FMT "': %s", source, sig_key, what,
                           e->key, why);
            break;
        }
        if ((int)ti->dtype != (int)t.op->out_dtypes[t.index] || !shape_equal(&s, &t.op->out_shapes[t.index])) {
            char a[160], b[160];
            c = tfci_error(TFC_DATA_LOSS,
                           "%s: signature '" NAME_FMT "': %s '" NAME_FMT "' is recorded as %s %s but tensor '" NAME_FMT
                           "' is %s %s",
                           source, sig_key, what, e->key, tfc_dtype_name((tfc_dtype)ti->dtype),
                           tfci_shape_to_str(&s, a, sizeof a), ti->name, tfc_dtype_name(t.op->out_dtypes[t.index]),
                           tfci_shape_to_str(&t.op->out_shapes[t.index], b, sizeof b));
            break;
        }
        if (!(v[k].key = dup_str(e->key))) {
            c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        v[k].t = t;
        v[k].dtype = (tfc_dtype)ti->dtype;
        v[k].shape = s;
    }
    if (c) {
        for (size_t i = 0; i < n; i++) free(v[i].key);
        free(v);
        return c;
    }
    *out = v;
    *nout = (int)n;
    return TFC_OK;
}

/* Parses and checks a model file's bytes (source names it in errors). */
static tfc_code parse_model(const void *data, size_t size, const char *source, parsed_model *pm)
{
    memset(pm, 0, sizeof *pm);
    const unsigned char *d = data;
    static const unsigned char head[2 + SM_MAGIC_LEN] = {0x0a, SM_MAGIC_LEN, 't', 'f', 'c', '.', 'S', 'a',
                                                         'v',  'e',          'd', 'M', 'o', 'd', 'e', 'l'};
    if (size < sizeof head) {
        if (size == 0 || memcmp(d, head, size) == 0)
            return tfci_error(TFC_DATA_LOSS, "%s: truncated: %zu bytes", source, size);
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: not a tfc saved model (wrong magic)", source);
    }
    if (memcmp(d, head, sizeof head) != 0)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "%s: not a tfc saved model (wrong magic: the file does not start with "
                          "\"" SM_MAGIC "\")",
                          source);
    if (size < sizeof head + SM_CRC_BYTES || d[size - SM_CRC_BYTES] != SM_CRC_TAG)
        return tfci_error(TFC_DATA_LOSS, "%s: truncated or corrupt: the file does not end with its checksum", source);
    uint32_t want = 0;
    for (int k = 0; k < 4; k++) want |= (uint32_t)d[size - 4 + k] << (8 * k);
    uint32_t got = crc32_of(d, size - SM_CRC_BYTES);
    if (got != want)
        return tfci_error(TFC_DATA_LOSS, "%s: corrupt: checksum mismatch (CRC-32 of %zu bytes is %08x, recorded %08x)",
                          source, size - SM_CRC_BYTES, (unsigned)got, (unsigned)want);
    tfci_pb_msg *pmsg;
    tfc_code c = tfci_pb_unpack(&tfcpb__saved_model__saved_model__descriptor, data, size, source, TFC_DATA_LOSS, &pmsg);
    if (c) return c;
    const SavedModel *m = (const SavedModel *)tfci_pb_msg_get(pmsg);
    if (strcmp(m->magic, SM_MAGIC) != 0) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "%s: not a tfc saved model (wrong magic)", source);
        goto fail;
    }
    if (m->format_version == 0) {
        c = tfci_error(TFC_DATA_LOSS, "%s: no format version", source);
        goto fail;
    }
    if (m->format_version > TFC_SAVED_MODEL_FORMAT_VERSION) {
        c = tfci_error(TFC_UNIMPLEMENTED,
                       "%s: format version %u is newer than this tfc (%s) reads (versions 1 to %d); "
                       "load it with the tfc version that wrote it (%.64s) or newer",
                       source, (unsigned)m->format_version, TFC_VERSION_STRING, TFC_SAVED_MODEL_FORMAT_VERSION,
                       m->tfc_version);
        goto fail;
    }
    if (!m->graph_def) {
        c = tfci_error(TFC_DATA_LOSS, "%s: no graph", source);
        goto fail;
    }
    if (!(pm->writer_version = dup_str(m->tfc_version)) || (c = tfc_graph_new(&pm->graph))) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    if ((c = tfci_graph_def_import_msg(pm->graph, m->graph_def, NULL, source, false))) goto fail;
    tfc_graph *g = pm->graph;

    /* the variable list must be exactly the graph's variables */
    if (m->n_variables != g->nvars) {
        c = tfci_error(TFC_DATA_LOSS, "%s: lists %zu variables but its graph has %zu", source, m->n_variables,
                       g->nvars);
        goto fail;
    }
    for (size_t i = 0; i < m->n_variables; i++) {
        const VariableInfo *vi = m->variables[i];
        tfc_op *v = tfc_graph_op_by_name(g, vi->name);
        tfci_shape s;
        const char *why = NULL;
        if (!v || v->var_index < 0) {
            c = tfci_error(TFC_DATA_LOSS, "%s: variable '" NAME_FMT "' is not a variable of the graph", source,
                           vi->name);
            goto fail;
        }
        if (!tfci_pb_read_shape(vi->shape, &s, &why) || (int)vi->dtype != (int)v->out_dtypes[0] ||
            !shape_equal(&s, &v->out_shapes[0])) {
            c = tfci_error(TFC_DATA_LOSS, "%s: variable '" NAME_FMT "': dtype or shape differs from the graph's",
                           source, vi->name);
            goto fail;
        }
    }
    if (m->main_op[0] && !(pm->main_op = tfc_graph_op_by_name(g, m->main_op))) {
        c = tfci_error(TFC_DATA_LOSS, "%s: main op '" NAME_FMT "' is not in the graph", source, m->main_op);
        goto fail;
    }

    /* signatures, sorted by key */
    size_t ns = m->n_signature_def;
    if (ns > 100000) {
        c = tfci_error(TFC_DATA_LOSS, "%s: too many signatures", source);
        goto fail;
    }
    if (!(pm->sigs = calloc(ns ? ns : 1, sizeof *pm->sigs))) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    SigEntry **order = malloc((ns ? ns : 1) * sizeof *order);
    if (!order) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    if (ns) memcpy(order, m->signature_def, ns * sizeof *order);
    qsort(order, ns, sizeof *order, cmp_sig_entry);
    for (size_t i = 0; i < ns && !c; i++) {
        const SigEntry *e = order[i];
        const SignatureDef *sd = e->value;
        tfc_signature *s = &pm->sigs[i];
        if (!e->key[0])
            c = tfci_error(TFC_DATA_LOSS, "%s: a signature has an empty key", source);
        else if (i && strcmp(order[i - 1]->key, e->key) == 0)
            c = tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "' appears twice", source, e->key);
        else if (!sd || !sd->method_name[0])
            c = tfci_error(TFC_DATA_LOSS, "%s: signature '" NAME_FMT "' has no method name", source, e->key);
        if (c) break;
        if (!(s->key = dup_str(e->key)) || !(s->method = dup_str(sd->method_name))) {
            c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            pm->nsigs = (int)i + 1;
            break;
        }
        s->lent = true;
        s->graph = g;
        pm->nsigs = (int)i + 1;
        c = read_tensors(source, e->key, "input", sd->inputs, sd->n_inputs, g, &s->in, &s->nin);
        if (!c)
            c = read_tensors(source, e->key, "output", (TensorEntry *const *)sd->outputs, sd->n_outputs, g, &s->out,
                             &s->nout);
        s->in_cap = s->nin;
        s->out_cap = s->nout;
        if (!c && (c = check_method(s, source))) c = TFC_DATA_LOSS;
    }
    free(order);
    if (c) goto fail;
    tfci_pb_msg_free(pmsg);
    return TFC_OK;

fail:
    tfci_pb_msg_free(pmsg);
    parsed_free(pm);
    return c;
}

/* For the fuzz target: parses and checks a saved_model.pb image. */
tfc_code tfci_saved_model_parse_buffer(const void *data, size_t size, const char *source)
{
    parsed_model pm;
    tfc_code c = parse_model(data, size, source ? source : "saved_model.pb buffer", &pm);
    if (!c) parsed_free(&pm);
    return c;
}

struct tfc_saved_model {
    parsed_model pm;
    tfc_session *session;
};

/* Restores every variable from the checkpoint into the session. (The
 * checkpoint reader's own messages name the file.) */
static tfc_code restore_variables(const char *dir, const char *path, tfc_graph *g, tfc_session *s)
{
    if (g->nvars == 0) return TFC_OK;
    tfci_ckpt *ck;
    tfc_code c = tfci_ckpt_open(path, &ck);
    if (c) {
        tfci_error_prefix("saved model '%s'", dir);
        return c;
    }
    for (size_t i = 0; i < g->nvars && !c; i++) {
        tfc_op *v = g->vars[i];
        tfc_tensor *t;
        if ((c = tfci_ckpt_get(ck, v->name, &t))) {
            if (c == TFC_NOT_FOUND)
                c = tfci_error(TFC_DATA_LOSS, "variables file '%s': no value for variable '" NAME_FMT "'", path,
                               v->name);
            else
                tfci_error_prefix("saved model '%s': variable '" NAME_FMT "'", dir, v->name);
            break;
        }
        if ((c = tfc_session_set_variable(s, v, t))) {
            c = TFC_DATA_LOSS;
            tfci_error_prefix("variables file '%s'", path);
        }
        tfc_tensor_free(t);
    }
    tfci_ckpt_close(ck);
    return c;
}

TFC_API tfc_code tfc_saved_model_load(const char *export_dir, const tfc_session_options *opts, tfc_saved_model **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_load: out is NULL");
    *out = NULL;
    if (!export_dir || !export_dir[0])
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_load: export_dir is empty");
    char *model_path = path_join(export_dir, SM_MODEL_FILE);
    char *vars_path = path_join(export_dir, SM_VARIABLES_FILE);
    char *source = model_path ? malloc(strlen(model_path) + 32) : NULL;
    tfc_saved_model *m = calloc(1, sizeof *m);
    void *data = NULL;
    size_t size = 0;
    tfc_code c;
    if (!model_path || !vars_path || !source || !m) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    snprintf(source, strlen(model_path) + 32, "saved model '%s'", model_path);
    if ((c = tfci_pb_read_file(model_path, SM_MAX_FILE_BYTES, &data, &size))) {
        tfci_error_prefix("saved model");
        goto fail;
    }
    if ((c = parse_model(data, size, source, &m->pm))) goto fail;
    free(data);
    data = NULL;
    if ((c = tfc_session_new(m->pm.graph, opts, &m->session))) goto fail;
    if ((c = restore_variables(export_dir, vars_path, m->pm.graph, m->session))) goto fail;
    if (m->pm.main_op &&
        (c = tfc_session_run(m->session, NULL, NULL, 0, NULL, NULL, 0, (tfc_op *const *)&m->pm.main_op, 1))) {
        tfci_error_prefix("%s: main op", source);
        goto fail;
    }
    free(model_path);
    free(vars_path);
    free(source);
    *out = m;
    return TFC_OK;

fail:
    free(data);
    if (m) {
        tfc_session_free(m->session);
        parsed_free(&m->pm);
        free(m);
    }
    free(model_path);
    free(vars_path);
    free(source);
    return c;
}

TFC_API void tfc_saved_model_free(tfc_saved_model *m)
{
    if (!m) return;
    tfc_session_free(m->session);
    parsed_free(&m->pm);
    free(m);
}

TFC_API tfc_session *tfc_saved_model_session(const tfc_saved_model *m) { return m ? m->session : NULL; }
TFC_API tfc_graph *tfc_saved_model_graph(const tfc_saved_model *m) { return m ? m->pm.graph : NULL; }
TFC_API const char *tfc_saved_model_writer_version(const tfc_saved_model *m) { return m ? m->pm.writer_version : NULL; }
TFC_API int tfc_saved_model_num_signatures(const tfc_saved_model *m) { return m ? m->pm.nsigs : 0; }
TFC_API const tfc_signature *tfc_saved_model_signature(const tfc_saved_model *m, int i)
{
    return m && i >= 0 && i < m->pm.nsigs ? &m->pm.sigs[i] : NULL;
}
TFC_API const tfc_signature *tfc_saved_model_find_signature(const tfc_saved_model *m, const char *key)
{
    if (!m || !key) return NULL;
    for (int i = 0; i < m->pm.nsigs; i++)
        if (strcmp(m->pm.sigs[i].key, key) == 0) return &m->pm.sigs[i];
    return NULL;
}

/* "'a', 'b', 'c'" into buf (truncated with "..." when long). */
static const char *list_keys(const sig_tensor *v, int n, const tfc_signature *sigs, int nsigs, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    int count = v ? n : nsigs;
    if (count == 0) return "(none)";
    for (int i = 0; i < count; i++) {
        const char *k = v ? v[i].key : sigs[i].key;
        int w = snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "", k);
        if (w < 0 || (size_t)w >= size - used) {
            if (size > 4) strcpy(buf + size - 4, "...");
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

/* Index of key among v, or -1 with an error listing the valid keys. */
static int find_key(const tfc_signature *s, bool input, const char *key)
{
    const sig_tensor *v = input ? s->in : s->out;
    int n = input ? s->nin : s->nout;
    if (key)
        for (int i = 0; i < n; i++)
            if (strcmp(v[i].key, key) == 0) return i;
    char buf[768];
    tfci_error(TFC_INVALID_ARGUMENT, "signature '" NAME_FMT "' has no %s '" NAME_FMT "'; its %ss are %s", s->key,
               input ? "input" : "output", key ? key : "(null)", input ? "input" : "output",
               list_keys(v, n, NULL, 0, buf, sizeof buf));
    return -1;
}

TFC_API tfc_code tfc_saved_model_run(tfc_saved_model *m, const char *signature_key, const char *const *input_keys,
                                     tfc_tensor *const *inputs, int nin, const char *const *output_keys,
                                     tfc_tensor **outputs, int nout)
{
    if (outputs)
        for (int i = 0; i < nout; i++) outputs[i] = NULL;
    if (!m || !signature_key) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_run: NULL argument");
    if (nin < 0 || nout < 0 || (nin && !inputs) || (nout && !outputs))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_saved_model_run: invalid input or output list");
    const tfc_signature *s = tfc_saved_model_find_signature(m, signature_key);
    if (!s) {
        char buf[768];
        return tfci_error(TFC_NOT_FOUND, "tfc_saved_model_run: no signature '" NAME_FMT "'; the model has %s",
                          signature_key, list_keys(NULL, 0, m->pm.sigs, m->pm.nsigs, buf, sizeof buf));
    }
    if (!input_keys && nin != s->nin)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_saved_model_run: signature '" NAME_FMT "' has %d inputs; %d given without keys", s->key,
                          s->nin, nin);
    if (!output_keys && nout != s->nout)
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "tfc_saved_model_run: signature '" NAME_FMT "' has %d outputs; %d requested without keys",
                          s->key, s->nout, nout);
    /* The tensors were resolved at load time; only the keys are matched here. */
    tfc_output feeds_small[16], fetches_small[16];
    tfc_output *feeds = nin <= 16 ? feeds_small : malloc((size_t)nin * sizeof *feeds);
    tfc_output *fetches = nout <= 16 ? fetches_small : malloc((size_t)nout * sizeof *fetches);
    tfc_code c = TFC_OK;
    if (!feeds || !fetches) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (int i = 0; i < nin; i++) {
        int j = input_keys ? find_key(s, true, input_keys[i]) : i;
        if (j < 0) {
            c = TFC_INVALID_ARGUMENT;
            goto out;
        }
        feeds[i] = s->in[j].t;
    }
    for (int i = 0; i < nout; i++) {
        int j = output_keys ? find_key(s, false, output_keys[i]) : i;
        if (j < 0) {
            c = TFC_INVALID_ARGUMENT;
            goto out;
        }
        fetches[i] = s->out[j].t;
    }
    c = tfc_session_run(m->session, feeds, inputs, nin, fetches, outputs, nout, NULL, 0);
out:
    if (feeds != feeds_small) free(feeds);
    if (fetches != fetches_small) free(fetches);
    return c;
}
