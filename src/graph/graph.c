/* Graphs: ops, unique names, name scopes, lookup, iteration, sticky errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

struct tfci_name_slot {
    char *name; /* NULL: empty */
    tfc_op *op;
    int next_suffix;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct tfci_name_slot *name_find(const tfc_graph *g, const char *name)
{
    if (!g->names_cap) return NULL;
    size_t mask = g->names_cap - 1, i = hash_str(name) & mask;
    for (;;) {
        struct tfci_name_slot *s = &g->names[i];
        if (!s->name || strcmp(s->name, name) == 0) return s;
        i = (i + 1) & mask;
    }
}

static tfc_code name_insert(tfc_graph *g, char *name, tfc_op *op)
{
    if ((g->names_used + 1) * 2 > g->names_cap) {
        size_t ncap = g->names_cap ? g->names_cap * 2 : 64;
        struct tfci_name_slot *old = g->names;
        size_t ocap = g->names_cap;
        g->names = calloc(ncap, sizeof *g->names);
        if (!g->names) {
            g->names = old;
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        }
        g->names_cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].name) *name_find(g, old[i].name) = old[i];
        free(old);
    }
    struct tfci_name_slot *s = name_find(g, name);
    s->name = name;
    s->op = op;
    s->next_suffix = 1;
    g->names_used++;
    return TFC_OK;
}

TFC_API tfc_code tfc_graph_new(tfc_graph **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_new: out is NULL");
    tfc_graph *g = calloc(1, sizeof *g);
    if (!g) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    *out = g;
    return TFC_OK;
}

static void free_attr(tfci_attr *a)
{
    free(a->name);
    switch (a->kind) {
    case TFCI_ATTR_STRING: free(a->u.s); break;
    case TFCI_ATTR_TENSOR: tfc_tensor_free(a->u.tensor); break;
    case TFCI_ATTR_STRING_LIST:
        for (int i = 0; i < a->u.list.n; i++) free(((char **)a->u.list.v)[i]);
        free(a->u.list.v);
        break;
    case TFCI_ATTR_INT_LIST:
    case TFCI_ATTR_FLOAT_LIST:
    case TFCI_ATTR_TYPE_LIST: free(a->u.list.v); break;
    default: break;
    }
}

void tfci_op_destroy(tfc_op *op)
{
    if (!op) return;
    for (int i = 0; i < op->nattrs; i++) free_attr(&op->attrs[i]);
    free(op->attrs);
    free(op->inputs);
    free(op->control);
    free(op->out_dtypes);
    free(op->out_shapes);
    free(op->name);
    free(op);
}

TFC_API void tfc_graph_free(tfc_graph *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->nops; i++) tfci_op_destroy(g->ops[i]);
    free(g->ops);
    free(g->names);
    for (int i = 0; i < g->nscopes; i++) free(g->scopes[i]);
    free(g->scopes);
    free(g->vars);
    free(g->status_msg);
    free(g);
}

TFC_API tfc_code tfc_graph_status(const tfc_graph *g) { return g ? g->status : TFC_INVALID_ARGUMENT; }
TFC_API const char *tfc_graph_error_message(const tfc_graph *g)
{
    if (!g) return "graph is NULL";
    return g->status_msg ? g->status_msg : "";
}
TFC_API void tfc_graph_clear_error(tfc_graph *g)
{
    if (!g) return;
    g->status = TFC_OK;
    free(g->status_msg);
    g->status_msg = NULL;
}

void tfci_graph_fail(tfc_graph *g, tfc_code code)
{
    if (!g || g->status != TFC_OK || code == TFC_OK) return;
    g->status = code;
    g->status_msg = strdup(tfc_last_error());
}

TFC_API void tfc_graph_set_seed(tfc_graph *g, int64_t seed)
{
    if (g) g->seed = seed;
}

TFC_API tfc_code tfc_graph_push_name_scope(tfc_graph *g, const char *scope)
{
    if (!g || !scope) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_push_name_scope: NULL argument");
    if (!scope[0] || strchr(scope, '/') == scope || scope[strlen(scope) - 1] == '/')
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_push_name_scope: invalid scope name '%s'", scope);
    if (g->nscopes == g->scopes_cap) {
        int ncap = g->scopes_cap ? g->scopes_cap * 2 : 8;
        char **n = realloc(g->scopes, (size_t)ncap * sizeof *n);
        if (!n) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        g->scopes = n;
        g->scopes_cap = ncap;
    }
    g->scopes[g->nscopes] = strdup(scope);
    if (!g->scopes[g->nscopes]) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    g->nscopes++;
    return TFC_OK;
}

TFC_API tfc_code tfc_graph_pop_name_scope(tfc_graph *g)
{
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_pop_name_scope: graph is NULL");
    if (g->nscopes == 0) return tfci_error(TFC_FAILED_PRECONDITION, "tfc_graph_pop_name_scope: no scope to pop");
    free(g->scopes[--g->nscopes]);
    return TFC_OK;
}

TFC_API tfc_op *tfc_graph_op_by_name(const tfc_graph *g, const char *name)
{
    if (!g || !name) return NULL;
    struct tfci_name_slot *s = name_find(g, name);
    return s && s->name ? s->op : NULL;
}

TFC_API tfc_op *tfc_graph_next_op(const tfc_graph *g, size_t *pos)
{
    if (!g || !pos || *pos >= g->nops) return NULL;
    return g->ops[(*pos)++];
}

TFC_API size_t tfc_graph_num_ops(const tfc_graph *g) { return g ? g->nops : 0; }

bool tfci_output_valid(tfc_output o) { return o.op && o.index >= 0 && o.index < o.op->noutputs; }

TFC_API tfc_code tfc_graph_output_shape(const tfc_graph *g, tfc_output o, int64_t *dims, int *rank)
{
    if (!g || !dims || !rank) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_output_shape: NULL argument");
    if (!tfci_output_valid(o) || o.op->graph != g)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_output_shape: not an output of this graph");
    const tfci_shape *s = &o.op->out_shapes[o.index];
    *rank = s->rank;
    for (int i = 0; i < s->rank; i++) dims[i] = s->dims[i];
    return TFC_OK;
}

TFC_API tfc_dtype tfc_output_dtype(tfc_output o)
{
    return tfci_output_valid(o) ? o.op->out_dtypes[o.index] : TFC_INVALID_DTYPE;
}

TFC_API const char *tfc_op_name(const tfc_op *op) { return op ? op->name : NULL; }
TFC_API const char *tfc_op_type(const tfc_op *op) { return op ? op->def->name : NULL; }
TFC_API int tfc_op_num_inputs(const tfc_op *op) { return op ? op->ninputs : 0; }
TFC_API tfc_output tfc_op_input(const tfc_op *op, int i)
{
    if (!op || i < 0 || i >= op->ninputs) return TFCI_NO_OUTPUT;
    return op->inputs[i];
}
TFC_API int tfc_op_num_outputs(const tfc_op *op) { return op ? op->noutputs : 0; }
TFC_API int tfc_op_num_control_inputs(const tfc_op *op) { return op ? op->ncontrol : 0; }
TFC_API tfc_op *tfc_op_control_input(const tfc_op *op, int i)
{
    if (!op || i < 0 || i >= op->ncontrol) return NULL;
    return op->control[i];
}
TFC_API tfc_output tfc_op_output(tfc_op *op, int i)
{
    if (!op || i < 0 || i >= op->noutputs) return TFCI_NO_OUTPUT;
    return (tfc_output){op, i};
}

/* ---- op creation (used by the builder) ---- */

/* Makes the op's full name unique ("scope/name", then "_1", "_2", ...) and registers it. */
tfc_code tfci_graph_add_op(tfc_graph *g, tfc_op *op, const char *base)
{
    size_t len = strlen(base) + 1;
    for (int i = 0; i < g->nscopes; i++) len += strlen(g->scopes[i]) + 1;
    char *full = malloc(len + 24);
    if (!full) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    full[0] = 0;
    for (int i = 0; i < g->nscopes; i++) {
        strcat(full, g->scopes[i]);
        strcat(full, "/");
    }
    strcat(full, base);
    struct tfci_name_slot *s = name_find(g, full);
    if (s && s->name) {
        size_t flen = strlen(full);
        for (int k = s->next_suffix;; k++) {
            snprintf(full + flen, 24, "_%d", k);
            struct tfci_name_slot *t = name_find(g, full);
            if (!t || !t->name) {
                s->next_suffix = k + 1;
                break;
            }
        }
    }
    if (g->nops == g->cap) {
        size_t ncap = g->cap ? g->cap * 2 : 64;
        tfc_op **n = realloc(g->ops, ncap * sizeof *n);
        if (!n) {
            free(full);
            return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        }
        g->ops = n;
        g->cap = ncap;
    }
    tfc_code c = name_insert(g, full, op);
    if (c) {
        free(full);
        return c;
    }
    op->name = full;
    op->id = (int)g->nops;
    g->ops[g->nops++] = op;
    return TFC_OK;
}

tfc_code tfci_graph_add_variable(tfc_graph *g, tfc_op *op)
{
    if (g->nvars == g->vars_cap) {
        size_t ncap = g->vars_cap ? g->vars_cap * 2 : 16;
        tfc_op **n = realloc(g->vars, ncap * sizeof *n);
        if (!n) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        g->vars = n;
        g->vars_cap = ncap;
    }
    op->var_index = (int)g->nvars;
    g->vars[g->nvars++] = op;
    return TFC_OK;
}

TFC_API size_t tfc_graph_num_variables(const tfc_graph *g) { return g ? g->nvars : 0; }
TFC_API tfc_op *tfc_graph_variable(const tfc_graph *g, size_t i) { return g && i < g->nvars ? g->vars[i] : NULL; }
TFC_API tfc_op *tfc_variable_initializer(const tfc_op *v) { return v && v->var_index >= 0 ? v->initializer : NULL; }
TFC_API bool tfc_variable_trainable(const tfc_op *v) { return v && v->var_index >= 0 && v->trainable; }
TFC_API tfc_code tfc_variable_set_trainable(tfc_op *v, bool trainable)
{
    if (!v || v->var_index < 0) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_variable_set_trainable: not a variable");
    v->trainable = trainable;
    return TFC_OK;
}

uint64_t tfci_op_seed_key(const tfc_op *op, int64_t seed, int64_t seed2)
{
    if (seed == 0 && seed2 == 0)
        return tfci_random_bits((uint64_t)op->graph->seed ^ 0x6a09e667f3bcc908ULL, (uint64_t)op->id);
    return tfci_random_bits((uint64_t)seed, (uint64_t)seed2 ^ 0xbb67ae8584caa73bULL);
}
