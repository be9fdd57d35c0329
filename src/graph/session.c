/* Sessions: execution plans compiled once per (feeds, fetches, targets)
 * signature, run contexts with per-run arenas, variable state. */
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

typedef struct tfci_step {
    tfc_op *op;
    tfci_kernel_fn kernel;
    int nin;
    int in_offset; /* into the plan's input slot list */
    int out_base;
    int nout;
    bool has_fed_outputs;
    tfci_op_state *state, *ref_state;
} tfci_step;

typedef struct tfci_plan tfci_plan;

typedef struct tfci_run {
    tfci_plan *plan;
    tfc_session *session;
    tfc_tensor *slots;
    const tfc_tensor **inptrs;
    tfci_arena arena;
    struct tfci_run *next_free;
} tfci_run;

struct tfci_plan {
    int nfeeds, nfetches, ntargets;
    tfc_output *feeds, *fetches;
    tfc_op **targets;
    int nslots, nsteps, ninputs;
    tfci_step *steps;
    int *in_slots; /* -1: no tensor (ref input) */
    int *feed_slots, *fetch_slots;
    pthread_mutex_t mu;
    tfci_run *free_runs;
    tfci_plan *next;
};

struct tfc_session {
    tfc_graph *graph;
    int num_threads;
    tfci_pool *pool;
    pthread_mutex_t mu; /* plans and states */
    tfci_plan *plans;
    tfci_op_state **states; /* by op id */
    size_t nstates;
};

static const tfc_tensor empty_tensor;
static _Alignas(64) unsigned char empty_data[64];

/* ---- kernel context ---- */

tfc_tensor *tfci_kctx_output(tfci_kctx *k, int j, tfc_dtype dtype, const int64_t *dims, int rank)
{
    tfc_tensor *t = &k->out[j];
    int64_t n;
    size_t bytes;
    if ((k->err = tfci_check_shape(dtype, dims, rank, &n, &bytes)) != TFC_OK) {
        tfci_error_prefix("op '%s' (%s): output %d", k->op->name, k->op->def->name, j);
        return NULL;
    }
    tfci_tensor_init(t, dtype, dims, rank);
    if (bytes == 0) {
        t->data = empty_data;
        return t;
    }
    t->data = tfci_arena_alloc(&k->run->arena, bytes);
    if (!t->data) {
        k->err = tfci_kctx_error(k, TFC_RESOURCE_EXHAUSTED, "out of memory allocating %zu bytes for output %d",
                                 bytes, j);
        return NULL;
    }
    return t;
}

void tfci_kctx_alias(tfci_kctx *k, int j, const tfc_tensor *src)
{
    tfc_tensor *t = &k->out[j];
    memcpy(t, src, sizeof *t);
    t->flags = 0;
    t->dealloc = NULL;
}

void tfci_kctx_forward(tfci_kctx *k, int j, int i) { tfci_kctx_alias(k, j, k->in[i]); }

void *tfci_kctx_scratch(tfci_kctx *k, size_t bytes)
{
    void *p = tfci_arena_alloc(&k->run->arena, bytes ? bytes : 1);
    if (!p) tfci_kctx_error(k, TFC_RESOURCE_EXHAUSTED, "out of memory allocating %zu bytes of scratch", bytes);
    return p;
}

tfci_pool *tfci_kctx_pool(tfci_kctx *k) { return k->run->session->pool; }

tfc_code tfci_kctx_error(tfci_kctx *k, tfc_code code, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tfci_error(code, "op '%s' (%s): %s", k->op->name, k->op->def->name, msg);
}

uint64_t tfci_kctx_random_key(tfci_kctx *k)
{
    uint64_t draw = atomic_fetch_add_explicit(&k->state->counter, 1, memory_order_relaxed);
    return tfci_random_bits(k->op->seed_key, draw);
}

/* ---- variables ---- */

static pthread_mutex_t var_alloc_mu = PTHREAD_MUTEX_INITIALIZER;

static tfc_code var_check(const tfc_op *var, const tfc_tensor *t, const char *who)
{
    const tfci_shape *s = &var->out_shapes[0];
    if (t->dtype != var->out_dtypes[0] || !tfci_shape_compatible(s, t->dims, t->rank)) {
        char a[160], b[160];
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: variable '%s' is %s %s, the value is %s %s", who, var->name,
                          tfc_dtype_name(var->out_dtypes[0]), tfci_shape_to_str(s, a, sizeof a),
                          tfc_dtype_name(t->dtype), tfci_shape_str(t->dims, t->rank, b, sizeof b));
    }
    return TFC_OK;
}

static tfc_code var_store(tfci_op_state *var, const tfc_tensor *t, int mode, const char *who)
{
    tfc_code c = var_check(var->op, t, who);
    if (c) return c;
    if (!atomic_load_explicit(&var->initialized, memory_order_acquire)) {
        if (mode != 0)
            return tfci_error(TFC_FAILED_PRECONDITION, "%s: variable '%s' is uninitialized", who, var->op->name);
        pthread_mutex_lock(&var_alloc_mu);
        if (!var->value) {
            c = tfci_tensor_copy_to_new(t, &var->value);
            if (c == TFC_OK) atomic_store_explicit(&var->initialized, true, memory_order_release);
            pthread_mutex_unlock(&var_alloc_mu);
            return c;
        }
        pthread_mutex_unlock(&var_alloc_mu);
    }
    tfc_tensor *v = var->value;
    if (mode == 0) {
        if (t->dtype == TFC_STRING) {
            /* strings may change length: build a new value (not safe against concurrent readers) */
            tfc_tensor *nv;
            c = tfci_tensor_copy_to_new(t, &nv);
            if (c) return c;
            var->value = nv;
            tfc_tensor_free(v);
        } else if (v->data != t->data) {
            memmove(v->data, t->data, t->bytes);
        }
        return TFC_OK;
    }
    float sign = mode > 0 ? 1.0f : -1.0f;
    switch (v->dtype) {
    case TFC_FLOAT: {
        float *d = v->data;
        const float *s = t->data;
        for (int64_t i = 0; i < v->n; i++) d[i] += sign * s[i];
        break;
    }
    case TFC_DOUBLE: {
        double *d = v->data;
        const double *s = t->data;
        for (int64_t i = 0; i < v->n; i++) d[i] += sign * s[i];
        break;
    }
    case TFC_INT32: {
        int32_t *d = v->data;
        const int32_t *s = t->data;
        for (int64_t i = 0; i < v->n; i++) d[i] = (int32_t)((uint32_t)d[i] + (uint32_t)(mode * s[i]));
        break;
    }
    case TFC_INT64: {
        int64_t *d = v->data;
        const int64_t *s = t->data;
        for (int64_t i = 0; i < v->n; i++) d[i] = (int64_t)((uint64_t)d[i] + (uint64_t)(mode * s[i]));
        break;
    }
    default:
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: variable '%s' of %s cannot be added to", who, var->op->name,
                          tfc_dtype_name(v->dtype));
    }
    return TFC_OK;
}

tfc_code tfci_var_assign(tfci_kctx *k, tfci_op_state *var, const tfc_tensor *t, int mode)
{
    tfc_code c = var_store(var, t, mode, k->op->name);
    if (c) tfci_error_prefix("op '%s' (%s)", k->op->name, k->op->def->name);
    return c;
}

/* ---- sessions ---- */

TFC_API tfc_code tfc_session_new(tfc_graph *g, const tfc_session_options *opts, tfc_session **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_new: out is NULL");
    *out = NULL;
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_new: graph is NULL");
    int threads = 0;
    if (opts) {
        if (opts->size < offsetof(tfc_session_options, num_threads) + sizeof(int))
            return tfci_error(TFC_INVALID_ARGUMENT,
                              "tfc_session_new: options.size is %zu; initialise with TFC_SESSION_OPTIONS_INIT",
                              opts->size);
        threads = opts->num_threads;
        if (threads < 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_new: num_threads is negative (%d)", threads);
    }
    if (threads == 0) threads = tfci_num_cores();
    if (threads > 256) threads = 256;
    tfc_session *s = calloc(1, sizeof *s);
    if (!s) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    s->graph = g;
    s->num_threads = threads;
    s->pool = tfci_pool_new(threads);
    /* OpenBLAS runs single-threaded: MatMul splits big products across this
     * session's threads itself, so one pool, never two, competes for the cores
     * (two pools of spinning threads on two cores slow both by 2-3x). */
    openblas_set_num_threads(1);
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return TFC_OK;
}

static void plan_free(tfci_plan *p)
{
    tfci_run *r = p->free_runs;
    while (r) {
        tfci_run *n = r->next_free;
        tfci_arena_destroy(&r->arena);
        free(r->slots);
        free(r->inptrs);
        free(r);
        r = n;
    }
    pthread_mutex_destroy(&p->mu);
    free(p->feeds);
    free(p->fetches);
    free(p->targets);
    free(p->steps);
    free(p->in_slots);
    free(p->feed_slots);
    free(p->fetch_slots);
    free(p);
}

TFC_API void tfc_session_free(tfc_session *s)
{
    if (!s) return;
    tfci_plan *p = s->plans;
    while (p) {
        tfci_plan *n = p->next;
        plan_free(p);
        p = n;
    }
    for (size_t i = 0; i < s->nstates; i++)
        if (s->states[i]) {
            tfc_tensor_free(s->states[i]->value);
            free(s->states[i]);
        }
    free(s->states);
    tfci_pool_free(s->pool);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

TFC_API int tfc_session_num_threads(const tfc_session *s) { return s ? s->num_threads : 0; }

/* State of op (made on first use). Call with s->mu held. */
static tfci_op_state *get_state(tfc_session *s, tfc_op *op)
{
    size_t id = (size_t)op->id;
    if (id >= s->nstates) {
        size_t n = s->graph->nops > id + 1 ? s->graph->nops : id + 1;
        tfci_op_state **ns = realloc(s->states, n * sizeof *ns);
        if (!ns) return NULL;
        memset(ns + s->nstates, 0, (n - s->nstates) * sizeof *ns);
        s->states = ns;
        s->nstates = n;
    }
    if (!s->states[id]) {
        tfci_op_state *st = calloc(1, sizeof *st);
        if (!st) return NULL;
        st->op = op;
        atomic_init(&st->initialized, false);
        atomic_init(&st->counter, 0);
        s->states[id] = st;
    }
    return s->states[id];
}

static bool same_outputs(const tfc_output *a, const tfc_output *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].op != b[i].op || a[i].index != b[i].index) return false;
    return true;
}

static tfci_plan *find_plan(tfc_session *s, const tfc_output *feeds, int nfeeds, const tfc_output *fetches,
                            int nfetches, tfc_op *const *targets, int ntargets)
{
    for (tfci_plan *p = s->plans; p; p = p->next) {
        if (p->nfeeds != nfeeds || p->nfetches != nfetches || p->ntargets != ntargets) continue;
        if (!same_outputs(p->feeds, feeds, nfeeds) || !same_outputs(p->fetches, fetches, nfetches)) continue;
        bool ok = true;
        for (int i = 0; i < ntargets && ok; i++) ok = p->targets[i] == targets[i];
        if (ok) return p;
    }
    return NULL;
}

static int feed_index(const tfc_output *feeds, int nfeeds, tfc_op *op, int idx)
{
    for (int i = 0; i < nfeeds; i++)
        if (feeds[i].op == op && feeds[i].index == idx) return i;
    return -1;
}

/* Compiles a plan; s->mu held. */
static tfc_code compile_plan(tfc_session *s, const tfc_output *feeds, int nfeeds, const tfc_output *fetches,
                             int nfetches, tfc_op *const *targets, int ntargets, tfci_plan **out)
{
    tfc_graph *g = s->graph;
    size_t nops = g->nops;
    tfc_code c = TFC_OK;
    char *needed = calloc(nops ? nops : 1, 1);
    char *fed_any = calloc(nops ? nops : 1, 1);
    int *stack = malloc((nops ? nops : 1) * sizeof *stack);
    int *slot_base = malloc((nops ? nops : 1) * sizeof *slot_base);
    tfci_plan *p = calloc(1, sizeof *p);
    if (!needed || !fed_any || !stack || !slot_base || !p) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory compiling a plan");
        goto done;
    }
    pthread_mutex_init(&p->mu, NULL);
    for (int i = 0; i < nfeeds; i++) fed_any[feeds[i].op->id] = 1;
    int sp = 0;
#define NEED(o)                                                                                                    \
    do {                                                                                                           \
        if (!needed[(o)->id]) {                                                                                    \
            needed[(o)->id] = 1;                                                                                   \
            stack[sp++] = (o)->id;                                                                                 \
        }                                                                                                          \
    } while (0)
    for (int i = 0; i < nfetches; i++)
        if (feed_index(feeds, nfeeds, fetches[i].op, fetches[i].index) < 0) NEED(fetches[i].op);
    for (int i = 0; i < ntargets; i++) NEED(targets[i]);
    while (sp > 0) {
        tfc_op *op = g->ops[stack[--sp]];
        for (int j = 0; j < op->ninputs; j++) {
            if (j == 0 && (op->def->flags & TFCI_OP_REF_INPUT0)) continue;
            tfc_output in = op->inputs[j];
            if (fed_any[in.op->id] && feed_index(feeds, nfeeds, in.op, in.index) >= 0) continue;
            NEED(in.op);
        }
        for (int j = 0; j < op->ncontrol; j++) NEED(op->control[j]);
    }
#undef NEED
    /* slots: every output of needed or fed ops; steps in creation (= topological) order */
    int nslots = 0, nsteps = 0, ninputs = 0;
    for (size_t i = 0; i < nops; i++) {
        slot_base[i] = -1;
        if (needed[i] || fed_any[i]) {
            slot_base[i] = nslots;
            nslots += g->ops[i]->noutputs;
        }
        if (needed[i]) {
            tfc_op *op = g->ops[i];
            if (strcmp(op->def->name, "Placeholder") == 0) {
                c = tfci_error(TFC_INVALID_ARGUMENT, "placeholder '%s' must be fed (%s %s)", op->name,
                               tfc_dtype_name(op->out_dtypes[0]), "value");
                goto done;
            }
            nsteps++;
            ninputs += op->ninputs;
        }
    }
    p->steps = calloc(nsteps ? (size_t)nsteps : 1, sizeof *p->steps);
    p->in_slots = malloc((ninputs ? (size_t)ninputs : 1) * sizeof *p->in_slots);
    p->feed_slots = malloc((nfeeds ? (size_t)nfeeds : 1) * sizeof *p->feed_slots);
    p->fetch_slots = malloc((nfetches ? (size_t)nfetches : 1) * sizeof *p->fetch_slots);
    p->feeds = malloc((nfeeds ? (size_t)nfeeds : 1) * sizeof *p->feeds);
    p->fetches = malloc((nfetches ? (size_t)nfetches : 1) * sizeof *p->fetches);
    p->targets = malloc((ntargets ? (size_t)ntargets : 1) * sizeof *p->targets);
    if (!p->steps || !p->in_slots || !p->feed_slots || !p->fetch_slots || !p->feeds || !p->fetches || !p->targets) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory compiling a plan");
        goto done;
    }
    int k = 0, in = 0;
    for (size_t i = 0; i < nops; i++) {
        if (!needed[i]) continue;
        tfc_op *op = g->ops[i];
        tfci_step *st = &p->steps[k++];
        st->op = op;
        st->kernel = op->def->kernel;
        st->nin = op->ninputs;
        st->in_offset = in;
        st->out_base = slot_base[i];
        st->nout = op->noutputs;
        st->has_fed_outputs = fed_any[i];
        for (int j = 0; j < op->ninputs; j++) {
            if (j == 0 && (op->def->flags & TFCI_OP_REF_INPUT0))
                p->in_slots[in++] = -1;
            else
                p->in_slots[in++] = slot_base[op->inputs[j].op->id] + op->inputs[j].index;
        }
        if (op->def->flags & TFCI_OP_STATEFUL) {
            st->state = get_state(s, op);
            if (!st->state) {
                c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
                goto done;
            }
        }
        if (op->def->flags & TFCI_OP_REF_INPUT0) {
            st->ref_state = get_state(s, op->inputs[0].op);
            if (!st->ref_state) {
                c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
                goto done;
            }
        }
        if (!st->kernel) {
            c = tfci_error(TFC_UNIMPLEMENTED, "op '%s' (%s) has no kernel", op->name, op->def->name);
            goto done;
        }
    }
    for (int i = 0; i < nfeeds; i++) p->feed_slots[i] = slot_base[feeds[i].op->id] + feeds[i].index;
    for (int i = 0; i < nfetches; i++) p->fetch_slots[i] = slot_base[fetches[i].op->id] + fetches[i].index;
    if (nfeeds) memcpy(p->feeds, feeds, (size_t)nfeeds * sizeof *feeds);
    if (nfetches) memcpy(p->fetches, fetches, (size_t)nfetches * sizeof *fetches);
    if (ntargets) memcpy(p->targets, targets, (size_t)ntargets * sizeof *targets);
    p->nfeeds = nfeeds;
    p->nfetches = nfetches;
    p->ntargets = ntargets;
    p->nslots = nslots;
    p->nsteps = nsteps;
    p->ninputs = ninputs;
done:
    free(needed);
    free(fed_any);
    free(stack);
    free(slot_base);
    if (c) {
        if (p) plan_free(p);
        return c;
    }
    *out = p;
    return TFC_OK;
}

static tfci_run *get_run(tfc_session *s, tfci_plan *p)
{
    pthread_mutex_lock(&p->mu);
    tfci_run *r = p->free_runs;
    if (r) p->free_runs = r->next_free;
    pthread_mutex_unlock(&p->mu);
    if (r) return r;
    r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->plan = p;
    r->session = s;
    r->slots = calloc(p->nslots ? (size_t)p->nslots : 1, sizeof *r->slots);
    r->inptrs = calloc(p->ninputs ? (size_t)p->ninputs : 1, sizeof *r->inptrs);
    if (!r->slots || !r->inptrs) {
        free(r->slots);
        free(r->inptrs);
        free(r);
        return NULL;
    }
    for (int i = 0; i < p->ninputs; i++)
        r->inptrs[i] = p->in_slots[i] >= 0 ? &r->slots[p->in_slots[i]] : &empty_tensor;
    return r;
}

static void put_run(tfci_plan *p, tfci_run *r)
{
    tfci_arena_reset(&r->arena);
    pthread_mutex_lock(&p->mu);
    r->next_free = p->free_runs;
    p->free_runs = r;
    pthread_mutex_unlock(&p->mu);
}

static void set_fed(tfc_tensor *slot, const tfc_tensor *v)
{
    memcpy(slot, v, sizeof *slot);
    slot->flags = 0;
    slot->dealloc = NULL;
}

static tfc_code check_outputs(tfc_session *s, const tfc_output *o, int n, const char *what)
{
    if (n < 0) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: negative number of %s", what);
    if (n > 0 && !o) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: %s array is NULL", what);
    for (int i = 0; i < n; i++) {
        if (!o[i].op)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: %s %d has no op (NULL)", what, i);
        if (o[i].op->graph != s->graph)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: %s %d ('%s') is from another graph", what, i,
                              o[i].op->name);
        if (o[i].index < 0 || o[i].index >= o[i].op->noutputs)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: %s %d: op '%s' has no output %d", what, i,
                              o[i].op->name, o[i].index);
    }
    return TFC_OK;
}

TFC_API tfc_code tfc_session_run(tfc_session *s, const tfc_output *feeds, tfc_tensor *const *feed_values, int nfeeds,
                                 const tfc_output *fetches, tfc_tensor **fetch_values, int nfetches,
                                 tfc_op *const *targets, int ntargets)
{
    if (!s) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: session is NULL");
    if (nfetches > 0 && !fetch_values)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: fetch_values is NULL");
    for (int i = 0; i < nfetches; i++) fetch_values[i] = NULL;
    if (nfeeds > 0 && !feed_values) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: feed_values is NULL");
    if (ntargets < 0 || (ntargets > 0 && !targets))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: invalid targets");
    if (nfetches == 0 && ntargets == 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: nothing to fetch or run");

    pthread_mutex_lock(&s->mu);
    tfci_plan *p = find_plan(s, feeds, nfeeds, fetches, nfetches, targets, ntargets);
    if (!p) {
        tfc_code c = check_outputs(s, feeds, nfeeds, "feed");
        if (!c) c = check_outputs(s, fetches, nfetches, "fetch");
        for (int i = 0; !c && i < ntargets; i++) {
            if (!targets[i]) c = tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: target %d is NULL", i);
            else if (targets[i]->graph != s->graph)
                c = tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: target '%s' is from another graph",
                               targets[i]->name);
        }
        for (int i = 0; !c && i < nfeeds; i++)
            if (feed_index(feeds, i, feeds[i].op, feeds[i].index) >= 0)
                c = tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: '%s:%d' is fed twice", feeds[i].op->name,
                               feeds[i].index);
        if (!c) c = compile_plan(s, feeds, nfeeds, fetches, nfetches, targets, ntargets, &p);
        if (c) {
            pthread_mutex_unlock(&s->mu);
            return c;
        }
        p->next = s->plans;
        s->plans = p;
    }
    pthread_mutex_unlock(&s->mu);

    for (int i = 0; i < nfeeds; i++) {
        const tfc_tensor *v = feed_values[i];
        tfc_output f = feeds[i];
        if (!v) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: value for feed '%s' is NULL", f.op->name);
        tfc_dtype want = f.op->out_dtypes[f.index];
        const tfci_shape *shape = &f.op->out_shapes[f.index];
        if (v->dtype != want || !tfci_shape_compatible(shape, v->dims, v->rank)) {
            char a[160], b[160];
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_run: feed '%s:%d' expects %s %s, got %s %s",
                              f.op->name, f.index, tfc_dtype_name(want), tfci_shape_to_str(shape, a, sizeof a),
                              tfc_dtype_name(v->dtype), tfci_shape_str(v->dims, v->rank, b, sizeof b));
        }
    }

    tfci_run *r = get_run(s, p);
    if (!r) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory for a run");
    for (int i = 0; i < nfeeds; i++) set_fed(&r->slots[p->feed_slots[i]], feed_values[i]);
    tfc_code c = TFC_OK;
    tfci_kctx k;
    k.run = r;
    for (int i = 0; i < p->nsteps; i++) {
        const tfci_step *st = &p->steps[i];
        k.op = st->op;
        k.in = r->inptrs + st->in_offset;
        k.nin = st->nin;
        k.out = r->slots + st->out_base;
        k.nout = st->nout;
        k.state = st->state;
        k.ref_state = st->ref_state;
        k.err = TFC_OK;
        c = st->kernel(&k);
        if (c) {
            if (k.err) c = k.err;
            break;
        }
        if (st->has_fed_outputs)
            for (int f = 0; f < nfeeds; f++)
                if (feeds[f].op == st->op) set_fed(&r->slots[p->feed_slots[f]], feed_values[f]);
    }
    for (int i = 0; !c && i < nfetches; i++) {
        c = tfci_tensor_copy_to_new(&r->slots[p->fetch_slots[i]], &fetch_values[i]);
        if (c) tfci_error_prefix("fetching '%s:%d'", fetches[i].op->name, fetches[i].index);
    }
    if (c)
        for (int i = 0; i < nfetches; i++) {
            tfc_tensor_free(fetch_values[i]);
            fetch_values[i] = NULL;
        }
    put_run(p, r);
    return c;
}

static tfc_code var_state_of(tfc_session *s, const tfc_op *v, const char *who, tfci_op_state **out)
{
    if (!s || !v) return tfci_error(TFC_INVALID_ARGUMENT, "%s: NULL argument", who);
    if (v->graph != s->graph || v->var_index < 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: '%s' is not a variable of the session's graph", who, v->name);
    pthread_mutex_lock(&s->mu);
    *out = get_state(s, (tfc_op *)v);
    pthread_mutex_unlock(&s->mu);
    if (!*out) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    return TFC_OK;
}

TFC_API tfc_code tfc_session_variable_value(tfc_session *s, const tfc_op *variable, tfc_tensor **out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_variable_value: out is NULL");
    *out = NULL;
    tfci_op_state *st;
    tfc_code c = var_state_of(s, variable, "tfc_session_variable_value", &st);
    if (c) return c;
    if (!atomic_load_explicit(&st->initialized, memory_order_acquire))
        return tfci_error(TFC_FAILED_PRECONDITION, "tfc_session_variable_value: variable '%s' is uninitialized",
                          variable->name);
    return tfci_tensor_copy_to_new(st->value, out);
}

TFC_API tfc_code tfc_session_set_variable(tfc_session *s, const tfc_op *variable, const tfc_tensor *value)
{
    tfci_op_state *st;
    tfc_code c = var_state_of(s, variable, "tfc_session_set_variable", &st);
    if (c) return c;
    if (!value) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_session_set_variable: value is NULL");
    return var_store(st, value, 0, "tfc_session_set_variable");
}
