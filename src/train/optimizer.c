/* Optimizers (see train.h): TensorFlow 1.x's Optimizer.minimize /
 * apply_gradients, appending the training ops of src/ops/training.c.
 *
 * Graph layout of one apply_gradients call with optimizer "Adagrad":
 *   w/Adagrad                         slot variable (not trainable), with an
 *                                     initializer so tfc_global_variables_initializer
 *                                     covers it; made once per (optimizer, variable)
 *   Adagrad/gradients_done            NoOp, control inputs: every gradient op
 *   Adagrad/learning_rate, ...        Const scalars of the variables' dtype
 *   Adagrad/update_w/ApplyAdagrad     one update per variable, control input
 *                                     gradients_done (no variable changes before
 *                                     every gradient is computed)
 *   Adagrad/update_beta1_power, ...   Adam only: beta powers, after the updates
 *   Adagrad/increment_global_step     AssignAdd(global_step, 1) after all updates
 *   Adagrad                           the train op: NoOp grouping all of it
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfc/train.h"
#include "../graph/graph_internal.h"

typedef enum opt_kind { OPT_GD, OPT_MOMENTUM, OPT_ADAGRAD, OPT_FTRL, OPT_ADAM } opt_kind;

static const char *const kind_names[] = {"GradientDescent", "Momentum", "Adagrad", "Ftrl", "Adam"};

/* A remembered variable, trusted only after checking it against the live
 * graph (same op at the same id, same name): an optimizer may outlive a
 * graph, and a new graph may get the freed one's addresses. */
typedef struct op_ref {
    tfc_op *op;
    int id;
    char *name;
} op_ref;

typedef struct slot_entry {
    const tfc_graph *g;
    op_ref var;
    op_ref slot[2];
} slot_entry;

/* Adam's beta1_power / beta2_power: one pair per graph and dtype. */
typedef struct beta_entry {
    const tfc_graph *g;
    tfc_dtype dtype;
    op_ref power[2];
} beta_entry;

struct tfc_optimizer {
    opt_kind kind;
    double lr, momentum, init_acc, epsilon;
    double l1, l2, shrinkage, lr_power; /* l2 has FTRL's beta folded in */
    double beta1, beta2;
    bool nesterov;
    slot_entry *slots;
    size_t nslots, slots_cap;
    beta_entry *betas;
    size_t nbetas, betas_cap;
};

/* ---- construction and argument validation ---- */

static tfc_code new_opt(opt_kind kind, double lr, tfc_optimizer **out)
{
    const char *name = kind_names[kind];
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "%s optimizer: out is NULL", name);
    *out = NULL;
    if (!(lr > 0) || !isfinite(lr))
        return tfci_error(TFC_INVALID_ARGUMENT, "%s optimizer: learning_rate must be a finite number > 0, got %g", name,
                          lr);
    tfc_optimizer *o = calloc(1, sizeof *o);
    if (!o) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    o->kind = kind;
    o->lr = lr;
    *out = o;
    return TFC_OK;
}

/* ok is the parameter's condition (false for NaN); what says the expected range. */
static tfc_code check_param(opt_kind kind, const char *param, double v, bool ok, const char *what)
{
    if (ok && isfinite(v)) return TFC_OK;
    return tfci_error(TFC_INVALID_ARGUMENT, "%s optimizer: %s must be %s, got %g", kind_names[kind], param, what, v);
}

TFC_API tfc_code tfc_optimizer_gradient_descent_new(double learning_rate, tfc_optimizer **out)
{
    return new_opt(OPT_GD, learning_rate, out);
}

TFC_API tfc_code tfc_optimizer_momentum_new(double learning_rate, double momentum, bool use_nesterov,
                                            tfc_optimizer **out)
{
    if (out) *out = NULL;
    tfc_code c = check_param(OPT_MOMENTUM, "momentum", momentum, momentum >= 0, "a finite number >= 0");
    if (!c) c = new_opt(OPT_MOMENTUM, learning_rate, out);
    if (c) return c;
    (*out)->momentum = momentum;
    (*out)->nesterov = use_nesterov;
    return TFC_OK;
}

TFC_API tfc_code tfc_optimizer_adagrad_new(double learning_rate, double initial_accumulator_value, double epsilon,
                                           tfc_optimizer **out)
{
    if (out) *out = NULL;
    tfc_code c = check_param(OPT_ADAGRAD, "initial_accumulator_value", initial_accumulator_value,
                             initial_accumulator_value > 0, "a finite number > 0");
    if (!c) c = check_param(OPT_ADAGRAD, "epsilon", epsilon, epsilon >= 0, "a finite number >= 0");
    if (!c) c = new_opt(OPT_ADAGRAD, learning_rate, out);
    if (c) return c;
    (*out)->init_acc = initial_accumulator_value;
    (*out)->epsilon = epsilon;
    return TFC_OK;
}

TFC_API tfc_code tfc_optimizer_ftrl_new(const tfc_ftrl_options *opts, tfc_optimizer **out)
{
    if (out) *out = NULL;
    if (!opts) return tfci_error(TFC_INVALID_ARGUMENT, "Ftrl optimizer: options are NULL (use TFC_FTRL_OPTIONS_INIT)");
    if (opts->size < sizeof(tfc_ftrl_options))
        return tfci_error(TFC_INVALID_ARGUMENT,
                          "Ftrl optimizer: options.size is %zu, expected %zu; initialise with TFC_FTRL_OPTIONS_INIT",
                          opts->size, sizeof(tfc_ftrl_options));
    tfc_code c = check_param(OPT_FTRL, "learning_rate_power", opts->learning_rate_power,
                             opts->learning_rate_power <= 0, "a finite number <= 0");
    if (!c)
        c = check_param(OPT_FTRL, "initial_accumulator_value", opts->initial_accumulator_value,
                        opts->initial_accumulator_value > 0, "a finite number > 0");
    if (!c)
        c = check_param(OPT_FTRL, "l1_regularization_strength", opts->l1_regularization_strength,
                        opts->l1_regularization_strength >= 0, "a finite number >= 0");
    if (!c)
        c = check_param(OPT_FTRL, "l2_regularization_strength", opts->l2_regularization_strength,
                        opts->l2_regularization_strength >= 0, "a finite number >= 0");
    if (!c)
        c = check_param(OPT_FTRL, "l2_shrinkage_regularization_strength", opts->l2_shrinkage_regularization_strength,
                        opts->l2_shrinkage_regularization_strength >= 0, "a finite number >= 0");
    if (!c) c = check_param(OPT_FTRL, "beta", opts->beta, opts->beta >= 0, "a finite number >= 0");
    if (!c) c = new_opt(OPT_FTRL, opts->learning_rate, out);
    if (c) return c;
    tfc_optimizer *o = *out;
    o->lr_power = opts->learning_rate_power;
    o->init_acc = opts->initial_accumulator_value;
    o->l1 = opts->l1_regularization_strength;
    /* ftrl.py: adjusted l2 = l2 + beta / (2 * max(lr, 1e-36)) */
    o->l2 = opts->l2_regularization_strength + opts->beta / (2.0 * fmax(opts->learning_rate, 1e-36));
    o->shrinkage = opts->l2_shrinkage_regularization_strength;
    return TFC_OK;
}

TFC_API tfc_code tfc_optimizer_adam_new(double learning_rate, double beta1, double beta2, double epsilon,
                                        tfc_optimizer **out)
{
    if (out) *out = NULL;
    tfc_code c = check_param(OPT_ADAM, "beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
    if (!c) c = check_param(OPT_ADAM, "beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
    if (!c) c = check_param(OPT_ADAM, "epsilon", epsilon, epsilon >= 0, "a finite number >= 0");
    if (!c) c = new_opt(OPT_ADAM, learning_rate, out);
    if (c) return c;
    (*out)->beta1 = beta1;
    (*out)->beta2 = beta2;
    (*out)->epsilon = epsilon;
    return TFC_OK;
}

TFC_API void tfc_optimizer_free(tfc_optimizer *opt)
{
    if (!opt) return;
    for (size_t i = 0; i < opt->nslots; i++) {
        free(opt->slots[i].var.name);
        free(opt->slots[i].slot[0].name);
        free(opt->slots[i].slot[1].name);
    }
    for (size_t i = 0; i < opt->nbetas; i++) {
        free(opt->betas[i].power[0].name);
        free(opt->betas[i].power[1].name);
    }
    free(opt->slots);
    free(opt->betas);
    free(opt);
}

TFC_API const char *tfc_optimizer_name(const tfc_optimizer *opt) { return opt ? kind_names[opt->kind] : NULL; }

/* ---- slots ---- */

static int num_slots(opt_kind kind)
{
    switch (kind) {
    case OPT_MOMENTUM:
    case OPT_ADAGRAD: return 1;
    case OPT_FTRL:
    case OPT_ADAM: return 2;
    default: return 0;
    }
}

static bool ref_live(const tfc_graph *g, const op_ref *r)
{
    return r->op && r->id >= 0 && (size_t)r->id < g->nops && g->ops[r->id] == r->op && r->op->var_index >= 0 &&
           strcmp(r->op->name, r->name) == 0;
}

static bool ref_set(op_ref *r, tfc_op *op)
{
    r->op = op;
    r->id = op->id;
    r->name = strdup(op->name);
    return r->name != NULL;
}

/* Entries that fail the check are stale (another graph's) and skipped. */
static slot_entry *find_slots(const tfc_optimizer *opt, const tfc_op *var)
{
    const tfc_graph *g = var->graph;
    for (size_t i = 0; i < opt->nslots; i++) {
        slot_entry *e = &opt->slots[i];
        if (e->g != g || e->var.op != var || !ref_live(g, &e->var)) continue;
        bool ok = true;
        for (int k = 0; k < num_slots(opt->kind); k++) ok = ok && ref_live(g, &e->slot[k]);
        if (ok) return e;
    }
    return NULL;
}

static beta_entry *find_betas(const tfc_optimizer *opt, const tfc_graph *g, tfc_dtype dt)
{
    for (size_t i = 0; i < opt->nbetas; i++) {
        beta_entry *e = &opt->betas[i];
        if (e->g == g && e->dtype == dt && ref_live(g, &e->power[0]) && ref_live(g, &e->power[1])) return e;
    }
    return NULL;
}

TFC_API tfc_op *tfc_optimizer_slot(const tfc_optimizer *opt, const tfc_op *var, const char *slot_name)
{
    if (!opt || !var || !slot_name) return NULL;
    if (opt->kind == OPT_ADAM && (!strcmp(slot_name, "beta1_power") || !strcmp(slot_name, "beta2_power"))) {
        /* Adam's step-count powers are per graph and dtype; reachable through any variable */
        const beta_entry *b = find_betas(opt, var->graph, var->noutputs > 0 ? var->out_dtypes[0] : TFC_FLOAT);
        return b ? b->power[slot_name[4] == '2'].op : NULL;
    }
    const slot_entry *e = find_slots(opt, var);
    if (!e) return NULL;
    switch (opt->kind) {
    case OPT_MOMENTUM: return !strcmp(slot_name, "momentum") ? e->slot[0].op : NULL;
    case OPT_ADAGRAD: return !strcmp(slot_name, "accumulator") ? e->slot[0].op : NULL;
    case OPT_FTRL:
        if (!strcmp(slot_name, "accum") || !strcmp(slot_name, "accumulator")) return e->slot[0].op;
        return !strcmp(slot_name, "linear") ? e->slot[1].op : NULL;
    case OPT_ADAM:
        if (!strcmp(slot_name, "m")) return e->slot[0].op;
        return !strcmp(slot_name, "v") ? e->slot[1].op : NULL;
    default: return NULL;
    }
}

/* Runs with the name scopes cleared, so slot names are absolute as in
 * TensorFlow ("w/Adagrad" whatever scope the caller is in). Scopes are
 * only hidden, not popped: nothing pushes while they are. */
typedef struct scope_save {
    int n;
} scope_save;
static scope_save hide_scopes(tfc_graph *g)
{
    scope_save s = {g->nscopes};
    g->nscopes = 0;
    return s;
}
static void restore_scopes(tfc_graph *g, scope_save s) { g->nscopes = s.n; }

/* A non-trainable variable like var, filled with init, named "<var>/<Opt>"
 * (made unique by the graph: the second is "<var>/<Opt>_1", as TensorFlow). */
static tfc_op *make_slot(tfc_graph *g, const tfc_op *var, const char *opt_name, double init)
{
    tfc_dtype dt = var->out_dtypes[0];
    const tfci_shape *s = &var->out_shapes[0];
    size_t len = strlen(var->name) + strlen(opt_name) + 32;
    char *base = malloc(len), *iname = malloc(len + 32);
    if (!base || !iname) {
        free(base);
        free(iname);
        tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
        return NULL;
    }
    snprintf(base, len, "%s/%s", var->name, opt_name);
    scope_save saved = hide_scopes(g);
    snprintf(iname, len + 32, "%s/Initializer/value", base);
    tfc_output v = tfci_const_scalar(g, dt, init, iname);
    if (s->rank > 0) {
        snprintf(iname, len + 32, "%s/Initializer/fill", base);
        v = tfc_fill(g, s->dims, s->rank, v, iname);
    }
    tfc_output slot = tfc_variable(g, v, base);
    restore_scopes(g, saved);
    free(base);
    free(iname);
    if (!slot.op) return NULL;
    slot.op->trainable = false;
    return slot.op;
}

static slot_entry *get_slots(tfc_optimizer *opt, tfc_graph *g, tfc_op *var)
{
    slot_entry *e = find_slots(opt, var);
    if (e) return e;
    if (opt->nslots == opt->slots_cap) {
        size_t ncap = opt->slots_cap ? opt->slots_cap * 2 : 8;
        slot_entry *n = realloc(opt->slots, ncap * sizeof *n);
        if (!n) {
            tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
            return NULL;
        }
        opt->slots = n;
        opt->slots_cap = ncap;
    }
    tfc_op *sl[2] = {NULL, NULL};
    const char *name = kind_names[opt->kind];
    switch (opt->kind) {
    case OPT_MOMENTUM: sl[0] = make_slot(g, var, name, 0.0); break;
    case OPT_ADAGRAD: sl[0] = make_slot(g, var, name, opt->init_acc); break;
    case OPT_FTRL:
        sl[0] = make_slot(g, var, name, opt->init_acc);
        sl[1] = make_slot(g, var, name, 0.0);
        break;
    case OPT_ADAM:
        sl[0] = make_slot(g, var, name, 0.0);
        sl[1] = make_slot(g, var, name, 0.0);
        break;
    default: break;
    }
    int ns = num_slots(opt->kind);
    for (int i = 0; i < ns; i++)
        if (!sl[i]) return NULL;
    slot_entry *ne = &opt->slots[opt->nslots];
    memset(ne, 0, sizeof *ne);
    ne->g = g;
    bool ok = ref_set(&ne->var, var);
    for (int i = 0; i < ns; i++) ok = ref_set(&ne->slot[i], sl[i]) && ok;
    opt->nslots++; /* counted even on failure, so tfc_optimizer_free releases the names */
    if (!ok) {
        ne->g = NULL;
        tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
        return NULL;
    }
    return ne;
}

static beta_entry *get_betas(tfc_optimizer *opt, tfc_graph *g, tfc_dtype dt)
{
    beta_entry *e = find_betas(opt, g, dt);
    if (e) return e;
    if (opt->nbetas == opt->betas_cap) {
        size_t ncap = opt->betas_cap ? opt->betas_cap * 2 : 2;
        beta_entry *n = realloc(opt->betas, ncap * sizeof *n);
        if (!n) {
            tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
            return NULL;
        }
        opt->betas = n;
        opt->betas_cap = ncap;
    }
    scope_save saved = hide_scopes(g);
    /* TensorFlow starts them at beta (not 1): the first step uses beta^1 */
    tfc_output b1 = tfc_variable(g, tfci_const_scalar(g, dt, opt->beta1, "beta1_power/initial_value"), "beta1_power");
    tfc_output b2 = tfc_variable(g, tfci_const_scalar(g, dt, opt->beta2, "beta2_power/initial_value"), "beta2_power");
    restore_scopes(g, saved);
    if (!b1.op || !b2.op) return NULL;
    b1.op->trainable = b2.op->trainable = false;
    beta_entry *ne = &opt->betas[opt->nbetas++];
    memset(ne, 0, sizeof *ne);
    ne->g = g;
    ne->dtype = dt;
    bool ok = ref_set(&ne->power[0], b1.op);
    ok = ref_set(&ne->power[1], b2.op) && ok; /* both tried, so free() sees both names */
    if (!ok) {
        ne->g = NULL;
        tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
        return NULL;
    }
    return ne;
}

/* ---- global step ---- */

/* Turns the graph's sticky error into this call's error (the graph stays usable). */
static tfc_code take_graph_error(tfc_graph *g, const char *who)
{
    tfc_code c = g->status;
    if (!c) return TFC_OK;
    tfci_error(c, "%s: %s", who, g->status_msg ? g->status_msg : "graph error");
    tfc_graph_clear_error(g);
    return c;
}

TFC_API tfc_code tfc_train_global_step(tfc_graph *g, tfc_output *out)
{
    if (!out) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_train_global_step: out is NULL");
    *out = TFCI_NO_OUTPUT;
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_train_global_step: graph is NULL");
    if (g->global_step) {
        *out = (tfc_output){g->global_step, 0};
        return TFC_OK;
    }
    if (g->status)
        return tfci_error(g->status, "tfc_train_global_step: the graph has an earlier error: %s", g->status_msg);
    scope_save saved = hide_scopes(g);
    tfc_output v = tfc_variable(g, tfc_const_int64(g, 0, "global_step/Initializer/zeros"), "global_step");
    restore_scopes(g, saved);
    if (!v.op) return take_graph_error(g, "tfc_train_global_step");
    v.op->trainable = false;
    g->global_step = v.op;
    *out = v;
    return TFC_OK;
}

/* ---- apply_gradients ---- */

/* Hyperparameter constants of one dtype, made on first use in one call. */
typedef struct hyper {
    bool made;
    tfc_output lr, mom, eps, l1, l2, shrink, lr_power, beta1, beta2;
} hyper;

static hyper *get_hyper(tfc_optimizer *opt, tfc_graph *g, hyper *h, tfc_dtype dt)
{
    hyper *x = &h[dt == TFC_DOUBLE];
    if (x->made) return x;
    x->made = true;
    x->lr = tfci_const_scalar(g, dt, opt->lr, "learning_rate");
    switch (opt->kind) {
    case OPT_MOMENTUM: x->mom = tfci_const_scalar(g, dt, opt->momentum, "momentum"); break;
    case OPT_ADAGRAD:
        if (opt->epsilon > 0) x->eps = tfci_const_scalar(g, dt, opt->epsilon, "epsilon");
        break;
    case OPT_FTRL:
        x->l1 = tfci_const_scalar(g, dt, opt->l1, "l1_regularization_strength");
        x->l2 = tfci_const_scalar(g, dt, opt->l2, "l2_regularization_strength");
        if (opt->shrinkage > 0)
            x->shrink = tfci_const_scalar(g, dt, opt->shrinkage, "l2_shrinkage_regularization_strength");
        x->lr_power = tfci_const_scalar(g, dt, opt->lr_power, "learning_rate_power");
        break;
    case OPT_ADAM:
        x->beta1 = tfci_const_scalar(g, dt, opt->beta1, "beta1");
        x->beta2 = tfci_const_scalar(g, dt, opt->beta2, "beta2");
        x->eps = tfci_const_scalar(g, dt, opt->epsilon, "epsilon");
        break;
    default: break;
    }
    return x;
}

static bool is_sparse(const tfc_gradient *gr) { return !gr->dense.op && gr->values.op; }

static bool output_in_graph(const tfc_graph *g, tfc_output o)
{
    return o.op && o.op->graph == g && o.index >= 0 && o.index < o.op->noutputs;
}

static const char *update_type(const tfc_optimizer *opt, bool sparse)
{
    switch (opt->kind) {
    case OPT_GD: return sparse ? "SparseApplyGradientDescent" : "ApplyGradientDescent";
    case OPT_MOMENTUM: return sparse ? "SparseApplyMomentum" : "ApplyMomentum";
    case OPT_ADAGRAD:
        if (opt->epsilon > 0) return sparse ? "SparseApplyAdagradV2" : "ApplyAdagradV2";
        return sparse ? "SparseApplyAdagrad" : "ApplyAdagrad";
    case OPT_FTRL:
        if (opt->shrinkage > 0) return sparse ? "SparseApplyFtrlV2" : "ApplyFtrlV2";
        return sparse ? "SparseApplyFtrl" : "ApplyFtrl";
    case OPT_ADAM: return sparse ? "SparseApplyAdam" : "ApplyAdam";
    }
    return NULL;
}

/* One update op for var; inputs in the op's order (training.c layouts). */
static tfc_op *add_update(tfc_optimizer *opt, tfc_graph *g, hyper *hy, tfc_op *var, const tfc_gradient *gr,
                          tfc_op *gradients_done)
{
    tfc_dtype dt = var->out_dtypes[0];
    bool sparse = is_sparse(gr);
    hyper *h = get_hyper(opt, g, hy, dt);
    const slot_entry *se = find_slots(opt, var);
    const char *type = update_type(opt, sparse);
    size_t len = strlen(var->name) + strlen(type) + 16;
    char *name = malloc(len);
    if (!name) {
        tfci_graph_fail(g, tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory"));
        return NULL;
    }
    snprintf(name, len, "update_%s/%s", var->name, type);
    tfc_op_builder *b = tfci_builder(g, type, name);
    free(name);
    if (!b) return NULL;
    tfc_output v = {var, 0};
    tfc_output s0 = se && se->slot[0].op ? (tfc_output){se->slot[0].op, 0} : TFCI_NO_OUTPUT;
    tfc_output s1 = se && se->slot[1].op ? (tfc_output){se->slot[1].op, 0} : TFCI_NO_OUTPUT;
    tfc_output grad = sparse ? gr->values : gr->dense;
    tfc_op_builder_add_input(b, v);
    switch (opt->kind) {
    case OPT_GD:
        tfc_op_builder_add_input(b, h->lr);
        tfc_op_builder_add_input(b, grad);
        if (sparse) tfc_op_builder_add_input(b, gr->indices);
        break;
    case OPT_MOMENTUM:
        tfc_op_builder_add_input(b, s0);
        tfc_op_builder_add_input(b, h->lr);
        tfc_op_builder_add_input(b, grad);
        if (sparse) tfc_op_builder_add_input(b, gr->indices);
        tfc_op_builder_add_input(b, h->mom);
        tfc_op_builder_set_attr_bool(b, "use_nesterov", opt->nesterov);
        break;
    case OPT_ADAGRAD:
        tfc_op_builder_add_input(b, s0);
        tfc_op_builder_add_input(b, h->lr);
        if (opt->epsilon > 0) tfc_op_builder_add_input(b, h->eps);
        tfc_op_builder_add_input(b, grad);
        if (sparse) tfc_op_builder_add_input(b, gr->indices);
        break;
    case OPT_FTRL:
        tfc_op_builder_add_input(b, s0);
        tfc_op_builder_add_input(b, s1);
        tfc_op_builder_add_input(b, grad);
        if (sparse) tfc_op_builder_add_input(b, gr->indices);
        tfc_op_builder_add_input(b, h->lr);
        tfc_op_builder_add_input(b, h->l1);
        tfc_op_builder_add_input(b, h->l2);
        if (opt->shrinkage > 0) tfc_op_builder_add_input(b, h->shrink);
        tfc_op_builder_add_input(b, h->lr_power);
        break;
    case OPT_ADAM: {
        beta_entry *be = find_betas(opt, g, dt);
        tfc_op_builder_add_input(b, s0);
        tfc_op_builder_add_input(b, s1);
        tfc_op_builder_add_input(b, (tfc_output){be->power[0].op, 0});
        tfc_op_builder_add_input(b, (tfc_output){be->power[1].op, 0});
        tfc_op_builder_add_input(b, h->lr);
        tfc_op_builder_add_input(b, h->beta1);
        tfc_op_builder_add_input(b, h->beta2);
        tfc_op_builder_add_input(b, h->eps);
        tfc_op_builder_add_input(b, grad);
        if (sparse) tfc_op_builder_add_input(b, gr->indices);
        break;
    }
    }
    tfc_op_builder_add_control_input(b, gradients_done);
    return tfci_finish_op(g, b);
}

/* Checks the lists; *used gets the indices of variables that have a gradient. */
static tfc_code check_apply_args(const tfc_optimizer *opt, const tfc_graph *g, const tfc_gradient *grads,
                                 const tfc_output *vars, int n, int *used, int *nused)
{
    const char *who = kind_names[opt->kind];
    *nused = 0;
    for (int i = 0; i < n; i++) {
        tfc_output v = vars[i];
        if (!output_in_graph(g, v) || v.op->var_index < 0 || v.index != 0)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: vars[%d] ('%s') is not a variable of this graph", who, i,
                              v.op ? v.op->name : "NULL");
        tfc_dtype dt = v.op->out_dtypes[0];
        if (dt != TFC_FLOAT && dt != TFC_DOUBLE)
            return tfci_error(TFC_INVALID_ARGUMENT, "%s: variable '%s' is %s; optimizers update float32 or float64",
                              who, v.op->name, tfc_dtype_name(dt));
        for (int j = 0; j < i; j++)
            if (vars[j].op == v.op)
                return tfci_error(TFC_INVALID_ARGUMENT, "%s: variable '%s' appears twice (vars[%d] and vars[%d])", who,
                                  v.op->name, j, i);
        const tfc_gradient *gr = &grads[i];
        if (gr->dense.op) {
            if (!output_in_graph(g, gr->dense))
                return tfci_error(TFC_INVALID_ARGUMENT, "%s: the gradient of '%s' is not an output of this graph", who,
                                  v.op->name);
        } else if (gr->values.op || gr->indices.op) {
            if (!output_in_graph(g, gr->values) || !output_in_graph(g, gr->indices))
                return tfci_error(TFC_INVALID_ARGUMENT,
                                  "%s: the sparse gradient of '%s' needs both values and indices of this graph", who,
                                  v.op->name);
        } else {
            continue; /* no gradient: skipped, as TensorFlow skips None */
        }
        used[(*nused)++] = i;
    }
    if (*nused == 0)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: no gradient provided for any of the %d variables", who, n);
    return TFC_OK;
}

static tfc_code apply(tfc_optimizer *opt, tfc_graph *g, const tfc_gradient *grads, const tfc_output *vars, int n,
                      bool increment_global_step, tfc_op **train_op)
{
    const char *who = kind_names[opt->kind];
    int *used = malloc((size_t)n * sizeof *used);
    tfc_op **updates = malloc(((size_t)n + 4) * sizeof *updates);
    if (!used || !updates) {
        free(used);
        free(updates);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    }
    int nused = 0, nupd = 0;
    tfc_code c = check_apply_args(opt, g, grads, vars, n, used, &nused);
    if (c) goto out;

    /* slots (and Adam's beta powers) first, outside any scope */
    for (int u = 0; u < nused && !g->status; u++) {
        tfc_op *var = vars[used[u]].op;
        get_slots(opt, g, var);
        if (opt->kind == OPT_ADAM) get_betas(opt, g, var->out_dtypes[0]);
    }
    if ((c = take_graph_error(g, who))) goto out;
    tfc_output gstep = TFCI_NO_OUTPUT;
    if (increment_global_step && (c = tfc_train_global_step(g, &gstep))) goto out;

    if ((c = tfc_graph_push_name_scope(g, who))) goto out;
    /* every update waits for every gradient */
    tfc_op_builder *b = tfci_builder(g, "NoOp", "gradients_done");
    for (int u = 0; b && u < nused; u++) {
        const tfc_gradient *gr = &grads[used[u]];
        if (gr->dense.op) tfc_op_builder_add_control_input(b, gr->dense.op);
        if (gr->values.op) tfc_op_builder_add_control_input(b, gr->values.op);
        if (gr->indices.op) tfc_op_builder_add_control_input(b, gr->indices.op);
    }
    tfc_op *done = tfci_finish_op(g, b);
    hyper hy[2];
    memset(hy, 0, sizeof hy);
    for (int u = 0; done && u < nused; u++) {
        const tfc_gradient *gr = &grads[used[u]];
        tfc_op *up = add_update(opt, g, hy, vars[used[u]].op, gr, done);
        if (!up) break;
        updates[nupd++] = up;
    }
    if (!g->status && opt->kind == OPT_ADAM) {
        /* beta powers advance after every variable update has read them (Adam._finish) */
        int nvar_updates = nupd;
        for (int d = 0; d < 2; d++) {
            beta_entry *be = find_betas(opt, g, d ? TFC_DOUBLE : TFC_FLOAT);
            hyper *h = &hy[d];
            if (!be || !h->made) continue;
            for (int k = 0; k < 2; k++) {
                const char *nm = k ? "update_beta2_power" : "update_beta1_power";
                tfc_graph_push_name_scope(g, nm);
                tfc_op_builder *mb = tfci_builder(g, "Mul", "mul");
                if (mb) {
                    tfc_op_builder_add_input(mb, (tfc_output){be->power[k].op, 0});
                    tfc_op_builder_add_input(mb, k ? h->beta2 : h->beta1);
                    for (int j = 0; j < nvar_updates; j++) tfc_op_builder_add_control_input(mb, updates[j]);
                }
                tfc_output prod = tfci_finish(g, mb);
                tfc_op_builder *ab = tfci_builder(g, "Assign", "Assign");
                if (ab) {
                    tfc_op_builder_add_input(ab, (tfc_output){be->power[k].op, 0});
                    tfc_op_builder_add_input(ab, prod);
                    for (int j = 0; j < nvar_updates; j++) tfc_op_builder_add_control_input(ab, updates[j]);
                }
                tfc_op *as = tfci_finish_op(g, ab);
                tfc_graph_pop_name_scope(g);
                if (!as) break;
                updates[nupd++] = as;
            }
        }
    }
    tfc_op *inc = NULL;
    if (!g->status && increment_global_step) {
        tfc_op_builder *ib = tfci_builder(g, "AssignAdd", "increment_global_step");
        if (ib) {
            tfc_op_builder_add_input(ib, gstep);
            tfc_op_builder_add_input(ib, tfc_const_int64(g, 1, "one"));
            for (int j = 0; j < nupd; j++) tfc_op_builder_add_control_input(ib, updates[j]);
        }
        inc = tfci_finish_op(g, ib);
    }
    tfc_graph_pop_name_scope(g);
    tfc_op_builder *tb = tfci_builder(g, "NoOp", who);
    for (int j = 0; tb && j < nupd; j++) tfc_op_builder_add_control_input(tb, updates[j]);
    if (tb && inc) tfc_op_builder_add_control_input(tb, inc);
    tfc_op *t = tfci_finish_op(g, tb);
    if ((c = take_graph_error(g, who))) goto out;
    *train_op = t;
out:
    free(used);
    free(updates);
    return c;
}

static tfc_code check_common(const tfc_optimizer *opt, const tfc_graph *g, int n, tfc_op **train_op,
                             const char *fn)
{
    if (train_op) *train_op = NULL;
    if (!opt) return tfci_error(TFC_INVALID_ARGUMENT, "%s: optimizer is NULL", fn);
    if (!g) return tfci_error(TFC_INVALID_ARGUMENT, "%s: graph is NULL", fn);
    if (!train_op) return tfci_error(TFC_INVALID_ARGUMENT, "%s: train_op is NULL", fn);
    if (n < 0) return tfci_error(TFC_INVALID_ARGUMENT, "%s: negative number of variables (%d)", fn, n);
    if (g->status)
        return tfci_error(g->status, "%s (%s): the graph has an earlier error: %s", fn, kind_names[opt->kind],
                          g->status_msg);
    return TFC_OK;
}

TFC_API tfc_code tfc_optimizer_apply_gradients(tfc_optimizer *opt, tfc_graph *g, const tfc_gradient *grads,
                                               const tfc_output *vars, int n, bool increment_global_step,
                                               tfc_op **train_op)
{
    tfc_code c = check_common(opt, g, n, train_op, "tfc_optimizer_apply_gradients");
    if (c) return c;
    if (n == 0 || !grads || !vars)
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: apply_gradients needs n > 0 gradients and variables",
                          kind_names[opt->kind]);
    return apply(opt, g, grads, vars, n, increment_global_step, train_op);
}

TFC_API tfc_code tfc_optimizer_minimize(tfc_optimizer *opt, tfc_graph *g, tfc_output loss, const tfc_output *vars,
                                        int n, bool increment_global_step, tfc_op **train_op)
{
    tfc_code c = check_common(opt, g, n, train_op, "tfc_optimizer_minimize");
    if (c) return c;
    const char *who = kind_names[opt->kind];
    if (!output_in_graph(g, loss))
        return tfci_error(TFC_INVALID_ARGUMENT, "%s: the loss is not an output of this graph", who);
    if (n > 0 && !vars) return tfci_error(TFC_INVALID_ARGUMENT, "%s: vars is NULL but n is %d", who, n);
    int nx = n;
    if (n == 0)
        for (size_t i = 0; i < g->nvars; i++) nx += g->vars[i]->trainable;
    if (nx == 0) return tfci_error(TFC_INVALID_ARGUMENT, "%s: the graph has no trainable variables to minimize over", who);
    tfc_output *xs = malloc((size_t)nx * sizeof *xs);
    tfc_gradient *grads = calloc((size_t)nx, sizeof *grads);
    tfc_gradient *cg = calloc((size_t)nx, sizeof *cg);
    tfc_output *cv = malloc((size_t)nx * sizeof *cv);
    if (!xs || !grads || !cg || !cv) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (n > 0) {
        for (int i = 0; i < n; i++) {
            if (!output_in_graph(g, vars[i]) || vars[i].op->var_index < 0 || vars[i].index != 0) {
                c = tfci_error(TFC_INVALID_ARGUMENT, "%s: vars[%d] ('%s') is not a variable of this graph", who, i,
                               vars[i].op ? vars[i].op->name : "NULL");
                goto out;
            }
            xs[i] = vars[i];
        }
    } else {
        int k = 0;
        for (size_t i = 0; i < g->nvars; i++)
            if (g->vars[i]->trainable) xs[k++] = (tfc_output){g->vars[i], 0};
    }
    if ((c = tfc_graph_add_gradients_sparse(g, &loss, 1, xs, nx, NULL, grads))) {
        tfci_error_prefix("%s: computing gradients of '%s'", who, loss.op->name);
        goto out;
    }
    /* variables the loss does not depend on are skipped */
    int m = 0;
    for (int i = 0; i < nx; i++)
        if (grads[i].dense.op || grads[i].values.op) {
            cg[m] = grads[i];
            cv[m++] = xs[i];
        }
    if (m == 0) {
        c = tfci_error(TFC_INVALID_ARGUMENT, "%s: none of the %d variables is connected to the loss '%s'", who, nx,
                       loss.op->name);
        goto out;
    }
    c = apply(opt, g, cg, cv, m, increment_global_step, train_op);
out:
    free(xs);
    free(grads);
    free(cg);
    free(cv);
    return c;
}
