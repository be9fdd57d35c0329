/* Internal view of graphs, ops, op definitions, kernels and gradients.
 * Every op family in src/ops/ includes this to define its ops. */
#ifndef TFCI_GRAPH_INTERNAL_H
#define TFCI_GRAPH_INTERNAL_H

#include <stdatomic.h>

#include "../core/core.h"
#include "tfc/graph.h"
#include "tfc/ops_array.h"
#include "tfc/ops_math.h"
#include "tfc/ops_nn.h"
#include "tfc/ops_reduce.h"
#include "tfc/ops_sparse.h"
#include "tfc/ops_loss.h"
#include "tfc/ops_state.h"
#include "tfc/session.h"

typedef struct tfci_shape {
    int rank; /* -1: unknown rank */
    int64_t dims[TFC_MAX_RANK]; /* -1: unknown dimension */
} tfci_shape;

typedef enum tfci_attr_kind {
    TFCI_ATTR_INT, TFCI_ATTR_FLOAT, TFCI_ATTR_BOOL, TFCI_ATTR_TYPE, TFCI_ATTR_STRING, TFCI_ATTR_SHAPE,
    TFCI_ATTR_TENSOR, TFCI_ATTR_INT_LIST, TFCI_ATTR_FLOAT_LIST, TFCI_ATTR_TYPE_LIST, TFCI_ATTR_STRING_LIST
} tfci_attr_kind;

typedef struct tfci_attr {
    char *name;
    tfci_attr_kind kind;
    union {
        int64_t i;
        float f;
        bool b;
        tfc_dtype type;
        char *s;
        tfci_shape shape;
        tfc_tensor *tensor;
        struct {
            int n;
            void *v; /* int64_t[], float[], tfc_dtype[], char*[] */
        } list;
    } u;
} tfci_attr;

typedef struct tfci_op_def tfci_op_def;

struct tfc_op {
    tfc_graph *graph;
    const tfci_op_def *def;
    char *name;
    int id; /* creation index: also a topological order */
    int ninputs;
    tfc_output *inputs;
    int ncontrol;
    tfc_op **control;
    int nattrs;
    tfci_attr *attrs;
    int noutputs;
    tfc_dtype *out_dtypes;
    tfci_shape *out_shapes;
    /* variables */
    int var_index; /* -1 unless a variable */
    tfc_op *initializer;
    bool trainable;
    /* random ops: the effective seed */
    uint64_t seed_key;
    /* parsed attributes a shape function may stash for its kernel */
    int64_t ci[4];
    double cf[4];
};

struct tfc_graph {
    tfc_op **ops;
    size_t nops, cap;
    /* name -> op, open addressing */
    struct tfci_name_slot *names;
    size_t names_cap, names_used;
    char **scopes;
    int nscopes, scopes_cap;
    tfc_op **vars;
    size_t nvars, vars_cap;
    int64_t seed;
    tfc_code status;
    char *status_msg;
    tfc_op *global_step;
    int gradient_calls;
};

/* ---- kernels ---- */
typedef struct tfci_op_state {
    /* variables: value is allocated on first assignment and never moves */
    tfc_tensor *value;
    atomic_bool initialized;
    /* random ops: draws so far */
    atomic_uint_least64_t counter;
    tfc_op *op;
} tfci_op_state;

typedef struct tfci_kctx {
    const tfc_op *op;
    const tfc_tensor *const *in;
    int nin;
    tfc_tensor *out;  /* nout slots */
    int nout;
    tfci_op_state *state;     /* this op's session state (variables, random ops) */
    tfci_op_state *ref_state; /* input 0's variable, for ops with TFCI_OP_REF_INPUT0 */
    struct tfci_run *run;
    tfc_code err; /* the code of a failed tfci_kctx_output, which the run reports */
} tfci_kctx;

typedef tfc_code (*tfci_kernel_fn)(tfci_kctx *k);

/* Allocates output j's buffer from the run's arena; NULL with an error set on
 * failure (the run then reports that error's code, whatever the kernel returns). */
tfc_tensor *tfci_kctx_output(tfci_kctx *k, int j, tfc_dtype dtype, const int64_t *dims, int rank);
/* Output j is input i (no copy). */
void tfci_kctx_forward(tfci_kctx *k, int j, int i);
/* Output j aliases an existing tensor (no copy). */
void tfci_kctx_alias(tfci_kctx *k, int j, const tfc_tensor *t);
void *tfci_kctx_scratch(tfci_kctx *k, size_t bytes);
tfci_pool *tfci_kctx_pool(tfci_kctx *k);
/* Error prefixed with the op's name and type. */
tfc_code tfci_kctx_error(tfci_kctx *k, tfc_code code, const char *fmt, ...) TFCI_PRINTF(3, 4);
/* Sets a variable's value from t (allocating storage on first use; dtype and shape must match). */
tfc_code tfci_var_assign(tfci_kctx *k, tfci_op_state *var, const tfc_tensor *t, int mode /* 0 =, 1 +=, -1 -= */);

/* ---- gradients ---- */
typedef struct tfci_grad_ctx {
    tfc_graph *g;
    tfc_op *op;
    const tfc_output *dy; /* one per output; missing ones are zeros, never NULL ops */
    tfc_gradient *dx;     /* one per input; {NULL} = no gradient */
} tfci_grad_ctx;
typedef tfc_code (*tfci_grad_fn)(tfci_grad_ctx *gc);

/* ---- op definitions ---- */
enum {
    TFCI_OP_NOT_DIFFERENTIABLE = 1, /* gradients stop here (ArgMax, Shape, comparisons) */
    TFCI_OP_STATEFUL = 2,           /* has session state (variables, random ops) */
    TFCI_OP_REF_INPUT0 = 4,         /* input 0 must be a variable; it is updated, not read */
};

struct tfci_op_def {
    const char *name;
    int min_inputs, max_inputs; /* max -1: any number */
    /* Validates inputs and attributes and sets outputs (tfci_op_set_outputs). */
    tfc_code (*shape_fn)(tfc_op *op);
    tfci_kernel_fn kernel;
    tfci_grad_fn grad; /* NULL: no gradient (an error to ask for one) unless NOT_DIFFERENTIABLE */
    unsigned flags;
};

const tfci_op_def *tfci_op_def_lookup(const char *name);

/* ---- helpers for shape functions ---- */
tfc_code tfci_op_set_num_outputs(tfc_op *op, int n);
void tfci_op_set_output(tfc_op *op, int j, tfc_dtype dtype, const tfci_shape *shape);
tfc_dtype tfci_in_dtype(const tfc_op *op, int i);
const tfci_shape *tfci_in_shape(const tfc_op *op, int i);
/* Error prefixed with "op 'name' (Type): ". */
tfc_code tfci_op_error(const tfc_op *op, tfc_code code, const char *fmt, ...) TFCI_PRINTF(3, 4);
const tfci_attr *tfci_attr_find(const tfc_op *op, const char *name);
/* Attribute getters with defaults for absent attributes. */
int64_t tfci_attr_int(const tfc_op *op, const char *name, int64_t dflt);
float tfci_attr_float(const tfc_op *op, const char *name, float dflt);
bool tfci_attr_bool(const tfc_op *op, const char *name, bool dflt);
tfc_dtype tfci_attr_type(const tfc_op *op, const char *name, tfc_dtype dflt);
/* Optional attributes: dflt when absent, an error naming the op when of another kind. */
tfc_code tfci_attr_opt_bool(const tfc_op *op, const char *name, bool dflt, bool *out);
tfc_code tfci_attr_opt_float(const tfc_op *op, const char *name, float dflt, float *out);
tfc_code tfci_attr_opt_int(const tfc_op *op, const char *name, int64_t dflt, int64_t *out);
/* Required attributes: error naming the op and attribute when missing or mistyped. */
tfc_code tfci_attr_req_int(const tfc_op *op, const char *name, int64_t *out);
tfc_code tfci_attr_req_type(const tfc_op *op, const char *name, tfc_dtype *out);
tfc_code tfci_attr_req_shape(const tfc_op *op, const char *name, tfci_shape *out);
/* The value of input i when it is produced by a Const op, else NULL. */
const tfc_tensor *tfci_in_const(const tfc_op *op, int i);
/* Input i must have dtype d (or be one of the float types when d is TFC_INVALID_DTYPE). */
tfc_code tfci_expect_dtype(const tfc_op *op, int i, tfc_dtype d);
tfc_code tfci_expect_float(const tfc_op *op, int i);
tfc_code tfci_expect_same_dtype(const tfc_op *op, int i, int j);

/* Shapes */
tfci_shape tfci_shape_unknown(void);
tfci_shape tfci_shape_make(const int64_t *dims, int rank);
tfci_shape tfci_shape_scalar(void);
bool tfci_shape_fully_known(const tfci_shape *s);
/* NumPy broadcasting of two static shapes; error naming the op on mismatch. */
tfc_code tfci_broadcast_shapes(const tfc_op *op, const tfci_shape *a, const tfci_shape *b, tfci_shape *out);
/* "[2,?,3]" */
const char *tfci_shape_to_str(const tfci_shape *s, char *buf, size_t size);
/* Whether a runtime shape fits a static one. */
bool tfci_shape_compatible(const tfci_shape *s, const int64_t *dims, int rank);

/* ---- helpers for typed constructors and gradient functions ---- */
/* NULL when the graph already has a sticky error. */
tfc_op_builder *tfci_builder(tfc_graph *g, const char *type, const char *name);
/* Finishes b; on failure records the graph's sticky error; returns output 0 or {NULL,0}. */
tfc_output tfci_finish(tfc_graph *g, tfc_op_builder *b);
tfc_op *tfci_finish_op(tfc_graph *g, tfc_op_builder *b);
tfc_output tfci_unary(tfc_graph *g, const char *type, const char *name, tfc_output x);
tfc_output tfci_binary(tfc_graph *g, const char *type, const char *name, tfc_output x, tfc_output y);
/* An int64 vector constant. */
tfc_output tfci_const_int64s(tfc_graph *g, const int64_t *v, int n, const char *name);
/* A scalar constant of dtype (float/double/int) with value v. */
tfc_output tfci_const_scalar(tfc_graph *g, tfc_dtype dtype, double v, const char *name);
/* Records a sticky error from the thread's last error, if none yet. */
void tfci_graph_fail(tfc_graph *g, tfc_code code);
#define TFCI_NO_OUTPUT ((tfc_output){NULL, 0})

/* Key of a random op: from (seed, seed2) when either is set, else from the
 * graph seed and the op's creation index (TensorFlow's get_seed rule). */
uint64_t tfci_op_seed_key(const tfc_op *op, int64_t seed, int64_t seed2);

/* Whether (op, index) names a valid output. */
bool tfci_output_valid(tfc_output o);

#endif

/* Key for this run's draw of a random op: different every run, reproducible
 * from the op's seed. Element i of the draw uses tfci_random_*(key, i). */
uint64_t tfci_kctx_random_key(tfci_kctx *k);
