/* GraphDef serialization: a graph with every registered op type round-trips
 * (same bytes again, same outputs bit for bit, with and without a prefix),
 * TensorFlow's schema decodes it, and every malformed input is refused with
 * the graph left exactly as it was. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/registry.h"
#include "testutil.h"
#include "tfc/graph_def.h"

static tfc_graph *new_graph(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    return g;
}

static tfc_output cf(tfc_graph *g, const float *v, const int64_t *dims, int rank)
{
    return tfc_const_array(g, TFC_FLOAT, dims, rank, v, NULL);
}
static tfc_output ci32(tfc_graph *g, const int32_t *v, int64_t n)
{
    return tfc_const_array(g, TFC_INT32, &n, 1, v, NULL);
}

static tfc_output mean_all(tfc_graph *g, tfc_output x) { return tfc_reduce_mean(g, x, NULL, 0, false, NULL); }

/* Adds an op through the generic builder (for ops without a typed constructor). */
static tfc_output build_op(tfc_graph *g, const char *type, const char *name, const tfc_output *in, int n)
{
    tfc_op_builder *b = tfc_op_builder_new(g, type, name);
    tfc_op_builder_add_inputs(b, in, n);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    return tfc_op_output(op, 0);
}

/* ---------------------------------------------------------------------------
 * A graph with every registered op type
 * ------------------------------------------------------------------------ */

#define MAX_TRAIN 16
typedef struct every_graph {
    tfc_graph *g;
    const char *train[MAX_TRAIN]; /* names of the training targets */
    int ntrain;
} every_graph;

static every_graph build_every_op(void)
{
    every_graph eg = {0};
    tfc_graph *g = eg.g = new_graph();
    tfc_graph_set_seed(g, 20240601);
    TFCT_OK(tfc_graph_push_name_scope(g, "model"));
    int64_t d43[2] = {4, 3}, d4[1] = {4}, d35[2] = {3, 5}, d5[1] = {5}, d45[2] = {4, 5}, d62[2] = {6, 2};
    int64_t d15[2] = {1, 5};

    tfc_output x = tfc_placeholder(g, TFC_FLOAT, d43, 2, "x");
    tfc_output labels = tfc_placeholder(g, TFC_INT32, d4, 1, "labels");
    tfc_output ids = tfc_placeholder(g, TFC_INT64, d4, 1, "ids");
    tfc_output w = tfc_variable(g, tfc_glorot_uniform(g, TFC_FLOAT, d35, 2, 7, NULL), "w");
    tfc_output b = tfc_variable(g, tfc_zeros(g, TFC_FLOAT, d5, 1, NULL), "b");
    /* seed 0: drawn from the graph seed and the op's position */
    tfc_output emb = tfc_variable(g, tfc_random_normal(g, TFC_FLOAT, d62, 2, 0, 0.5, 0, NULL), "emb");
    tfc_output emb2 = tfc_variable(g, tfc_truncated_normal(g, TFC_FLOAT, d62, 2, 0, 0.5, 0, NULL), "emb2");
    tfc_output emb3 = tfc_variable(g, tfc_random_uniform(g, TFC_FLOAT, d62, 2, -1, 1, 3, NULL), "emb3");
    tfc_output counter = tfc_variable(g, tfc_const_float(g, 0, NULL), "counter");
    TFCT_GRAPH_OK(g);
    TFCT_OK(tfc_variable_set_trainable(counter.op, false));

    TFCT_OK(tfc_graph_push_name_scope(g, "dense"));
    tfc_output h = tfc_bias_add(g, tfc_matmul(g, x, w, false, false, NULL), b, "h");
    tfc_output acts[7] = {
        tfc_relu(g, h, NULL),     tfc_relu6(g, h, NULL),   tfc_elu(g, h, NULL), tfc_leaky_relu(g, h, 0.2f, NULL),
        tfc_softplus(g, h, NULL), tfc_sigmoid(g, h, NULL), tfc_tanh(g, h, NULL)};
    tfc_output s = tfc_add_n(g, acts, 7, "s");
    TFCT_OK(tfc_graph_pop_name_scope(g));
    tfc_output sm = tfc_softmax(g, s, NULL), lsm = tfc_log_softmax(g, s, NULL);
    tfc_output drop0 = tfc_dropout(g, s, 0.25f, 0, "drop0"), drop1 = tfc_dropout(g, s, 0.5f, 99, "drop1");
    tfc_output u = tfc_random_uniform(g, TFC_FLOAT, d45, 2, -1, 1, 0, "u");

    /* element-wise math, with a broadcast row so gradients reduce */
    float row[5] = {1, 2, 3, 4, 5};
    tfc_output r = cf(g, row, d15, 2);
    tfc_output one = tfc_const_float(g, 1, NULL);
    tfc_output pos = tfc_add(g, tfc_abs(g, s, NULL), one, "pos");
    tfc_output math[] = {
        tfc_add(g, s, r, NULL),
        tfc_sub(g, s, u, NULL),
        tfc_mul(g, s, r, NULL),
        tfc_div(g, s, pos, NULL),
        tfc_pow(g, pos, tfc_const_float(g, 1.5f, NULL), NULL),
        tfc_maximum(g, s, u, NULL),
        tfc_minimum(g, s, u, NULL),
        tfc_squared_difference(g, s, u, NULL),
        tfc_neg(g, s, NULL),
        tfc_mul(g, tfc_sign(g, s, NULL), s, NULL),
        tfc_square(g, s, NULL),
        tfc_sqrt(g, pos, NULL),
        tfc_rsqrt(g, pos, NULL),
        tfc_exp(g, tfc_neg(g, tfc_square(g, s, NULL), NULL), NULL),
        tfc_log(g, pos, NULL),
        tfc_log1p(g, tfc_abs(g, s, NULL), NULL),
    };
    int nmath = (int)(sizeof math / sizeof math[0]);
    tfc_output cond =
        tfc_logical_or(g, tfc_logical_and(g, tfc_greater(g, s, u, NULL), tfc_not_equal(g, s, u, NULL), NULL),
                       tfc_logical_not(g,
                                       tfc_logical_or(g, tfc_less(g, s, r, NULL),
                                                      tfc_logical_or(g, tfc_less_equal(g, s, u, NULL),
                                                                     tfc_logical_or(g, tfc_greater_equal(g, u, r, NULL),
                                                                                    tfc_equal(g, s, u, NULL), NULL),
                                                                     NULL),
                                                      NULL),
                                       NULL),
                       "cond");
    tfc_output sel = tfc_select(g, cond, s, u, "sel");

    /* reductions */
    int64_t ax1[1] = {1}, ax0[1] = {0};
    tfc_output red[] = {tfc_reduce_sum(g, sel, ax1, 1, false, NULL), tfc_reduce_mean(g, s, NULL, 0, false, NULL),
                        tfc_reduce_max(g, s, ax1, 1, true, NULL), tfc_reduce_min(g, s, ax0, 1, false, NULL),
                        tfc_reduce_prod(g, tfc_sigmoid(g, s, NULL), ax1, 1, false, NULL)};
    tfc_output am = tfc_argmax(g, s, 1, "am"), an = tfc_argmin(g, s, 1, "an");

    /* arrays */
    tfc_output zl = tfc_zeros_like(g, s, NULL), ol = tfc_ones_like(g, s, NULL);
    tfc_output fill = tfc_fill(g, d45, 2, tfc_const_float(g, 0.5f, NULL), NULL);
    tfc_output shp = tfc_shape(g, s, TFC_INT32, NULL), sz = tfc_size(g, s, TFC_INT64, NULL);
    tfc_output gat = tfc_gather(g, emb, ids, 0, "gat");
    tfc_output cat_in[2] = {s, gat};
    tfc_output cat = tfc_concat(g, cat_in, 2, 1, "cat");
    int64_t d74[2] = {7, 4};
    tfc_output rs = tfc_reshape(g, cat, d74, 2, NULL);
    tfc_output ed = tfc_expand_dims(g, s, 0, NULL);
    tfc_output sq = tfc_squeeze(g, ed, ax0, 1, NULL);
    int64_t beg[2] = {0, 1}, size[2] = {3, -1};
    tfc_output sl = tfc_slice(g, cat, beg, size, 2, NULL);
    tfc_output cs = tfc_cast(g, tfc_add(g, am, an, NULL), TFC_FLOAT, NULL);
    int64_t perm[2] = {1, 0};
    tfc_output tr = tfc_transpose(g, s, perm, 2, NULL);
    tfc_output sp = tfc_split(g, s, 0, 2, "split");
    int64_t sb[2] = {0, 1}, se[2] = {4, 5}, ss_[2] = {2, 2};
    tfc_output ss = tfc_strided_slice(g, s, sb, se, ss_, 2, 0, 0, 0, NULL);
    int64_t mult[2] = {1, 3};
    tfc_output ti = tfc_tile(g, red[2], mult, 2, NULL);
    tfc_output oh = tfc_one_hot(g, labels, 5, 1, 0, TFC_FLOAT, "oh");
    int64_t pads[4] = {1, 0, 0, 2};
    tfc_output pd = tfc_pad(g, s, pads, 2, NULL);
    tfc_output rt = tfc_reshape_to(g, tr, shp, NULL);
    int32_t perm3[3] = {2, 0, 1};
    tfc_output inv_in = ci32(g, perm3, 3);
    tfc_output inv = build_op(g, "InvertPermutation", "inv", &inv_in, 1);
    tfc_output stop = build_op(g, "StopGradient", "stop", &s, 1);
    int32_t cols[2] = {0, 2};
    tfc_output gat1 = tfc_gather(g, w, ci32(g, cols, 2), 1, "gat1"); /* its dense gradient: GatherV2Grad */
    tfc_output bt_in[2] = {r, s};
    tfc_output bt = build_op(g, "_BroadcastToShapeOf", NULL, bt_in, 2);
    tfc_output pwd = tfc_placeholder_with_default(g, fill, d45, 2, "pwd");
    tfc_output idn = tfc_identity(g, pwd, NULL);

    /* losses; the labels depend on the weights so their gradients exist too */
    tfc_output soft_labels = tfc_softmax(g, tfc_mul(g, s, tfc_const_float(g, 0.5f, NULL), NULL), NULL);
    tfc_output losses[] = {tfc_softmax_cross_entropy_with_logits(g, soft_labels, s, NULL),
                           tfc_sparse_softmax_cross_entropy_with_logits(g, labels, s, NULL),
                           tfc_sigmoid_cross_entropy_with_logits(g, tfc_sigmoid(g, u, NULL), s, NULL),
                           tfc_sigmoid_cross_entropy_with_logits(g, tfc_sigmoid(g, s, NULL), u, NULL),
                           tfc_l2_loss(g, w, NULL)};

    /* sparse */
    int32_t seg4[4] = {0, 1, 0, 2}, idx4[4] = {0, 2, 3, 5}, sseg4[4] = {0, 0, 1, 2}, eseg[4] = {0, 0, 1, 3};
    tfc_output uss = tfc_unsorted_segment_sum(g, s, ci32(g, seg4, 4), tfc_const_int32(g, 3, NULL), NULL);
    tfc_output idx = ci32(g, idx4, 4), sseg = ci32(g, sseg4, 4);
    tfc_output sss[6] = {tfc_sparse_segment_sum(g, emb3, idx, sseg, NULL),
                         tfc_sparse_segment_mean(g, emb3, idx, sseg, NULL),
                         tfc_sparse_segment_sqrtn(g, emb3, idx, sseg, NULL)};
    tfc_output nseg = tfc_const_int32(g, 4, NULL);
    tfc_output ssw_in[4] = {emb3, idx, sseg, nseg};
    sss[3] = build_op(g, "SparseSegmentSumWithNumSegments", NULL, ssw_in, 4);
    sss[4] = build_op(g, "SparseSegmentMeanWithNumSegments", NULL, ssw_in, 4);
    sss[5] = build_op(g, "SparseSegmentSqrtNWithNumSegments", NULL, ssw_in, 4);
    int64_t first_col_b[2] = {0, 0}, first_col_s[2] = {4, 1};
    tfc_output weights =
        tfc_reshape(g, tfc_sigmoid(g, tfc_slice(g, x, first_col_b, first_col_s, 2, NULL), NULL), d4, 1, "weights");
    tfc_output els =
        tfc_embedding_lookup_sparse(g, emb2, ids, ci32(g, eseg, 4), weights, nseg, TFC_COMBINER_MEAN, "els");
    tfc_output els2 = tfc_embedding_lookup_sparse(g, emb2, ids, ci32(g, eseg, 4), (tfc_output){NULL, 0}, nseg,
                                                  TFC_COMBINER_SQRTN, "els2");
    TFCT_GRAPH_OK(g);

    /* the scalar objective over everything differentiable */
    tfc_output terms[96];
    int nt = 0;
    tfc_output parts[] = {
        sm, lsm, drop0, drop1, sel, cat, rs,  ed,   sq,  sl,   cs, tr, tfc_op_output(sp.op, 0), tfc_op_output(sp.op, 1),
        ss, ti,  oh,    pd,    rt,  idn, els, els2, uss, gat1, bt};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) terms[nt++] = mean_all(g, parts[i]);
    for (int i = 0; i < nmath; i++) terms[nt++] = mean_all(g, math[i]);
    for (size_t i = 0; i < sizeof red / sizeof red[0]; i++) terms[nt++] = mean_all(g, red[i]);
    for (size_t i = 0; i < sizeof losses / sizeof losses[0]; i++) terms[nt++] = mean_all(g, losses[i]);
    for (int i = 0; i < 6; i++) terms[nt++] = mean_all(g, sss[i]);
    terms[nt++] = mean_all(g, tfc_mul(g, stop, zl, NULL));
    terms[nt++] = mean_all(g, tfc_mul(g, s, ol, NULL));
    terms[nt++] = mean_all(g, tfc_range(g, tfc_const_float(g, 0, NULL), tfc_const_float(g, 1, NULL),
                                        tfc_const_float(g, 0.25f, NULL), "rng"));
    tfc_output loss = tfc_add_n(g, terms, nt, "loss");
    TFCT_GRAPH_OK(g);
    (void)sz;
    (void)inv;

    /* first- and second-order gradients: the internal gradient ops */
    tfc_output xs[6] = {w, b, emb, emb2, emb3, x};
    tfc_gradient gr[6];
    TFCT_OK(tfc_graph_add_gradients_sparse(g, &loss, 1, xs, 6, NULL, gr));

    /* every optimizer, dense (w, b) and sparse (emb: rows from Gather) */
    tfc_ftrl_options fo = TFC_FTRL_OPTIONS_INIT, fo2 = TFC_FTRL_OPTIONS_INIT;
    fo2.l2_shrinkage_regularization_strength = 0.01;
    tfc_optimizer *opts[7];
    TFCT_OK(tfc_optimizer_gradient_descent_new(0.1, &opts[0]));
    TFCT_OK(tfc_optimizer_momentum_new(0.1, 0.9, true, &opts[1]));
    TFCT_OK(tfc_optimizer_adagrad_new(0.1, 0.1, 0, &opts[2]));
    TFCT_OK(tfc_optimizer_adagrad_new(0.1, 0.1, 1e-7, &opts[3]));
    TFCT_OK(tfc_optimizer_ftrl_new(&fo, &opts[4]));
    TFCT_OK(tfc_optimizer_ftrl_new(&fo2, &opts[5]));
    TFCT_OK(tfc_optimizer_adam_new(0.01, 0.9, 0.999, 1e-8, &opts[6]));
    tfc_output vars[3] = {w, b, emb};
    tfc_gradient vgr[3] = {gr[0], gr[1], gr[2]};
    for (int i = 0; i < 7; i++) {
        tfc_op *train;
        TFCT_OK(tfc_optimizer_apply_gradients(opts[i], g, vgr, vars, 3, i == 0, &train));
        eg.train[eg.ntrain++] = tfc_op_name(train);
        tfc_optimizer_free(opts[i]);
    }
    /* minimize over emb3 and emb2 (sparse-segment and embedding-lookup rows) */
    tfc_optimizer *opt;
    TFCT_OK(tfc_optimizer_gradient_descent_new(0.05, &opt));
    tfc_output v23[2] = {emb2, emb3};
    tfc_op *train;
    TFCT_OK(tfc_optimizer_minimize(opt, g, loss, v23, 2, false, &train));
    eg.train[eg.ntrain++] = tfc_op_name(train);
    tfc_optimizer_free(opt);

    /* plain assignments and control dependencies */
    tfc_output ca = tfc_assign_add(g, counter, tfc_const_float(g, 1, NULL), "count");
    tfc_output csub = tfc_assign_sub(g, counter, tfc_const_float(g, 0.25f, NULL), "uncount");
    tfc_output cset = tfc_assign(g, counter, red[1], "reset");
    tfc_op_builder *bd = tfc_op_builder_new(g, "Identity", "after_count");
    tfc_op_builder_add_input(bd, loss);
    tfc_op_builder_add_control_input(bd, ca.op);
    TFCT_OK(tfc_op_builder_finish(bd, NULL));
    tfc_op *grp[2] = {csub.op, cset.op};
    tfc_op *updates = tfc_group(g, grp, 2, "updates");
    eg.train[eg.ntrain++] = tfc_op_name(updates);
    TFCT_OK(tfc_graph_pop_name_scope(g));
    tfc_global_variables_initializer(g);
    TFCT_GRAPH_OK(g);
    return eg;
}

static const tfci_op_def *const *all_defs(int *n)
{
    static const tfci_op_def *defs[512];
    static int count;
    if (!count) {
        const tfci_op_def *fams[] = {tfci_state_ops, tfci_random_ops, tfci_math_ops,
                                     tfci_nn_ops,    tfci_reduce_ops, tfci_array_ops,
                                     tfci_loss_ops,  tfci_sparse_ops, tfci_training_ops};
        const int counts[] = {tfci_state_ops_count, tfci_random_ops_count, tfci_math_ops_count,
                              tfci_nn_ops_count,    tfci_reduce_ops_count, tfci_array_ops_count,
                              tfci_loss_ops_count,  tfci_sparse_ops_count, tfci_training_ops_count};
        for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++)
            for (int i = 0; i < counts[f] && count < 512; i++) defs[count++] = &fams[f][i];
    }
    *n = count;
    return defs;
}

static void test_graph_has_every_op_type(void)
{
    every_graph eg = build_every_op();
    int n;
    const tfci_op_def *const *defs = all_defs(&n);
    CU_ASSERT_TRUE(n > 100);
    int missing = 0;
    for (int i = 0; i < n; i++) {
        bool found = false;
        size_t pos = 0;
        for (tfc_op *op; !found && (op = tfc_graph_next_op(eg.g, &pos));)
            found = strcmp(tfc_op_type(op), defs[i]->name) == 0;
        if (!found) {
            fprintf(stderr, "\nop type %s is missing from the every-op graph\n", defs[i]->name);
            missing++;
        }
    }
    CU_ASSERT_EQUAL(missing, 0);
    tfc_graph_free(eg.g);
}

/* ---------------------------------------------------------------------------
 * Running two graphs side by side
 * ------------------------------------------------------------------------ */

static tfc_buffer *serialize(const tfc_graph *g)
{
    tfc_buffer *b;
    TFCT_OK(tfc_graph_to_graph_def(g, &b));
    return b;
}

static tfc_op *find_op(tfc_graph *g, const char *prefix, const char *name)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s%s", prefix ? prefix : "", prefix ? "/" : "", name);
    return tfc_graph_op_by_name(g, full);
}

static bool is_mutating(const char *type)
{
    return strncmp(type, "Apply", 5) == 0 || strncmp(type, "SparseApply", 11) == 0 || strncmp(type, "Assign", 6) == 0;
}

static bool same_tensor(const tfc_tensor *a, const tfc_tensor *b)
{
    if (tfc_tensor_dtype(a) != tfc_tensor_dtype(b) || tfc_tensor_rank(a) != tfc_tensor_rank(b)) return false;
    for (int i = 0; i < tfc_tensor_rank(a); i++)
        if (tfc_tensor_dim(a, i) != tfc_tensor_dim(b, i)) return false;
    if (tfc_tensor_dtype(a) == TFC_STRING) {
        for (int64_t i = 0; i < tfc_tensor_num_elements(a); i++) {
            const char *sa, *sb;
            size_t la, lb;
            tfc_tensor_string(a, i, &sa, &la);
            tfc_tensor_string(b, i, &sb, &lb);
            if (la != lb || memcmp(sa, sb, la)) return false;
        }
        return true;
    }
    return tfc_tensor_byte_size(a) == tfc_tensor_byte_size(b) &&
           memcmp(tfc_tensor_data(a), tfc_tensor_data(b), tfc_tensor_byte_size(a)) == 0;
}

/* Every value a run sequence produces, for comparison across graphs. */
typedef struct trace {
    int n;
    tfc_tensor **v;
    char **label;
} trace;

static void trace_add(trace *t, tfc_tensor *v, const char *label)
{
    t->v = realloc(t->v, (size_t)(t->n + 1) * sizeof *t->v);
    t->label = realloc(t->label, (size_t)(t->n + 1) * sizeof *t->label);
    t->v[t->n] = v;
    t->label[t->n] = strdup(label);
    t->n++;
}

static void trace_free(trace *t)
{
    for (int i = 0; i < t->n; i++) {
        tfc_tensor_free(t->v[i]);
        free(t->label[i]);
    }
    free(t->v);
    free(t->label);
}

/* Runs, on graph g whose ops are ref's names under prefix: the initializer,
 * two runs fetching every output of every op but the updates (some fetched
 * ops still run updates through control inputs, e.g. Adam's beta powers:
 * the same in every graph), each training target once, then reads every
 * variable. */
static trace run_sequence(const every_graph *ref, tfc_graph *g, const char *prefix)
{
    trace t = {0};
    tfc_session *s;
    TFCT_OK(tfc_session_new(g, NULL, &s));
    tfc_op *init = find_op(g, prefix, "init");
    CU_ASSERT_PTR_NOT_NULL_FATAL(init);
    TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));

    float xv[12] = {0.5f, -1, 2, 0.25f, 3, -0.5f, -2, 1, 0.75f, 1.5f, -0.25f, 0};
    int32_t lv[4] = {0, 4, 2, 1};
    int64_t iv[4] = {1, 5, 1, 0}, d43[2] = {4, 3}, d4[1] = {4};
    tfc_tensor *feeds_v[3];
    TFCT_OK(tfc_tensor_new(TFC_FLOAT, d43, 2, xv, sizeof xv, &feeds_v[0]));
    TFCT_OK(tfc_tensor_new(TFC_INT32, d4, 1, lv, sizeof lv, &feeds_v[1]));
    TFCT_OK(tfc_tensor_new(TFC_INT64, d4, 1, iv, sizeof iv, &feeds_v[2]));
    tfc_output feeds[3] = {{find_op(g, prefix, "model/x"), 0},
                           {find_op(g, prefix, "model/labels"), 0},
                           {find_op(g, prefix, "model/ids"), 0}};
    for (int i = 0; i < 3; i++) CU_ASSERT_PTR_NOT_NULL_FATAL(feeds[i].op);

    size_t cap = 4096, nf = 0, pos = 0;
    tfc_output *fetches = malloc(cap * sizeof *fetches);
    char **labels = malloc(cap * sizeof *labels);
    for (tfc_op *rop; (rop = tfc_graph_next_op(ref->g, &pos));) {
        if (is_mutating(tfc_op_type(rop))) continue;
        tfc_op *op = find_op(g, prefix, tfc_op_name(rop));
        CU_ASSERT_PTR_NOT_NULL_FATAL(op);
        CU_ASSERT_STRING_EQUAL(tfc_op_type(op), tfc_op_type(rop));
        for (int k = 0; k < tfc_op_num_outputs(op) && nf < cap; k++) {
            fetches[nf] = tfc_op_output(op, k);
            labels[nf] = malloc(strlen(tfc_op_name(rop)) + 16);
            sprintf(labels[nf], "%s:%d", tfc_op_name(rop), k);
            nf++;
        }
    }
    tfc_tensor **vals = calloc(nf, sizeof *vals);
    for (int run = 0; run < 2; run++) {
        TFCT_OK(tfc_session_run(s, feeds, feeds_v, 3, fetches, vals, (int)nf, NULL, 0));
        for (size_t i = 0; i < nf; i++) trace_add(&t, vals[i], labels[i]);
    }
    for (int i = 0; i < ref->ntrain; i++) {
        tfc_op *target = find_op(g, prefix, ref->train[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(target);
        TFCT_OK(tfc_session_run(s, feeds, feeds_v, 3, NULL, NULL, 0, &target, 1));
    }
    for (size_t i = 0; i < tfc_graph_num_variables(ref->g); i++) {
        tfc_op *rv = tfc_graph_variable(ref->g, i);
        tfc_op *v = find_op(g, prefix, tfc_op_name(rv));
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        tfc_tensor *val;
        TFCT_OK(tfc_session_variable_value(s, v, &val));
        trace_add(&t, val, tfc_op_name(rv));
    }
    for (size_t i = 0; i < nf; i++) free(labels[i]);
    free(labels);
    free(vals);
    free(fetches);
    for (int i = 0; i < 3; i++) tfc_tensor_free(feeds_v[i]);
    tfc_session_free(s);
    return t;
}

static void expect_same_trace(const trace *a, const trace *b)
{
    CU_ASSERT_EQUAL_FATAL(a->n, b->n);
    int bad = 0;
    for (int i = 0; i < a->n; i++)
        if (!same_tensor(a->v[i], b->v[i])) {
            if (bad++ < 10) fprintf(stderr, "\nvalue %d (%s) differs after the round trip\n", i, a->label[i]);
        }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_every_op_round_trip(void)
{
    every_graph eg = build_every_op();
    tfc_buffer *b1 = serialize(eg.g);
    CU_ASSERT_TRUE(tfc_buffer_size(b1) > 1000);

    /* into a fresh graph, names as they are */
    tfc_graph *g2 = new_graph();
    TFCT_OK(tfc_graph_import_graph_def(g2, tfc_buffer_data(b1), tfc_buffer_size(b1), NULL));
    CU_ASSERT_EQUAL(tfc_graph_num_ops(g2), tfc_graph_num_ops(eg.g));
    CU_ASSERT_EQUAL(tfc_graph_num_variables(g2), tfc_graph_num_variables(eg.g));
    /* serialize(import(serialize(g))) == serialize(g) */
    tfc_buffer *b2 = serialize(g2);
    CU_ASSERT_EQUAL_FATAL(tfc_buffer_size(b2), tfc_buffer_size(b1));
    CU_ASSERT_EQUAL(memcmp(tfc_buffer_data(b1), tfc_buffer_data(b2), tfc_buffer_size(b1)), 0);

    /* with a prefix, into a graph that already has ops (other ids, other seed) */
    tfc_graph *g3 = new_graph();
    tfc_graph_set_seed(g3, 5);
    int64_t d3[1] = {3};
    for (int i = 0; i < 7; i++) tfc_random_uniform(g3, TFC_FLOAT, d3, 1, 0, 1, 0, NULL);
    TFCT_OK(tfc_graph_push_name_scope(g3, "ignored_scope"));
    size_t before = tfc_graph_num_ops(g3);
    TFCT_OK(tfc_graph_import_graph_def(g3, tfc_buffer_data(b1), tfc_buffer_size(b1), "imp"));
    TFCT_OK(tfc_graph_pop_name_scope(g3));
    CU_ASSERT_EQUAL(tfc_graph_num_ops(g3), before + tfc_graph_num_ops(eg.g));

    trace t1 = run_sequence(&eg, eg.g, NULL);
    trace t2 = run_sequence(&eg, g2, NULL);
    trace t3 = run_sequence(&eg, g3, "imp");
    expect_same_trace(&t1, &t2);
    expect_same_trace(&t1, &t3);
    /* the two forward runs differ where random ops and dropout are involved */
    int half = 0;
    while (half < t1.n && strcmp(t1.label[half], "model/u:0") != 0) half++;
    CU_ASSERT_TRUE_FATAL(half < t1.n);
    int nfetch = (t1.n - (int)tfc_graph_num_variables(eg.g)) / 2;

    CU_ASSERT_FALSE(same_tensor(t1.v[half], t1.v[half + nfetch]));
    trace_free(&t1);
    trace_free(&t2);
    trace_free(&t3);
    tfc_buffer_free(b1);
    tfc_buffer_free(b2);
    tfc_graph_free(eg.g);
    tfc_graph_free(g2);
    tfc_graph_free(g3);
}

/* Variables keep their registration, trainable flag, initializer and the
 * global step; the seed and gradient scopes carry over to a fresh graph. */
static void test_variable_state_round_trip(void)
{
    tfc_graph *g = new_graph();
    tfc_graph_set_seed(g, 77);
    int64_t d2[1] = {2};
    tfc_output a = tfc_variable(g, tfc_random_uniform(g, TFC_FLOAT, d2, 1, 0, 1, 0, NULL), "a");
    tfc_output frozen = tfc_variable(g, tfc_ones(g, TFC_FLOAT, d2, 1, NULL), "frozen");
    TFCT_OK(tfc_variable_set_trainable(frozen.op, false));
    tfc_output gs;
    TFCT_OK(tfc_train_global_step(g, &gs));
    tfc_output loss = tfc_reduce_sum(g, tfc_mul(g, a, frozen, NULL), NULL, 0, false, "loss");
    tfc_output da;
    TFCT_OK(tfc_graph_add_gradients(g, &loss, 1, &a, 1, NULL, &da));
    /* a VariableV2 made with the generic builder is not registered */
    tfc_op_builder *bld = tfc_op_builder_new(g, "VariableV2", "raw");
    tfc_op_builder_set_attr_type(bld, "dtype", TFC_FLOAT);
    tfc_op_builder_set_attr_shape(bld, "shape", d2, 1);
    TFCT_OK(tfc_op_builder_finish(bld, NULL));
    TFCT_GRAPH_OK(g);
    tfc_buffer *buf = serialize(g);

    for (int withp = 0; withp < 2; withp++) {
        tfc_graph *h = new_graph();
        if (withp) tfc_const_float(h, 1, "existing");
        const char *p = withp ? "copy" : NULL;
        TFCT_OK(tfc_graph_import_graph_def(h, tfc_buffer_data(buf), tfc_buffer_size(buf), p));
        CU_ASSERT_EQUAL(tfc_graph_num_variables(h), 3);
        tfc_op *ha = find_op(h, p, "a"), *hf = find_op(h, p, "frozen"), *hg = find_op(h, p, "global_step");
        tfc_op *raw = find_op(h, p, "raw");
        CU_ASSERT_PTR_EQUAL(tfc_graph_variable(h, 0), ha);
        CU_ASSERT_PTR_EQUAL(tfc_graph_variable(h, 1), hf);
        CU_ASSERT_PTR_EQUAL(tfc_graph_variable(h, 2), hg);
        CU_ASSERT_TRUE(tfc_variable_trainable(ha));
        CU_ASSERT_FALSE(tfc_variable_trainable(hf));
        CU_ASSERT_FALSE(tfc_variable_trainable(hg));
        CU_ASSERT_FALSE(tfc_variable_trainable(raw)); /* not a registered variable */
        CU_ASSERT_PTR_EQUAL(tfc_variable_initializer(ha), find_op(h, p, "a/Assign"));
        if (!withp) {
            /* the graph seed came along: a new seed-0 random op draws as in g
             * (checked before h grows: such a key depends on the position) */
            tfc_output r1 = tfc_random_uniform(g, TFC_FLOAT, d2, 1, 0, 1, 0, "late");
            tfc_output r2 = tfc_random_uniform(h, TFC_FLOAT, d2, 1, 0, 1, 0, "late");
            tfc_tensor *v1 = tfct_eval(g, r1, NULL, NULL, 0), *v2 = tfct_eval(h, r2, NULL, NULL, 0);
            CU_ASSERT_TRUE(same_tensor(v1, v2));
            tfc_tensor_free(v1);
            tfc_tensor_free(v2);
        }
        tfc_output hgs;
        TFCT_OK(tfc_train_global_step(h, &hgs));
        CU_ASSERT_PTR_EQUAL(hgs.op, hg);
        /* a new gradient call gets a fresh scope, as it would in g */
        tfc_output hl = {find_op(h, p, "loss"), 0}, hda;
        tfc_output hav = {ha, 0};
        TFCT_OK(tfc_graph_add_gradients(h, &hl, 1, &hav, 1, NULL, &hda));
        if (!withp)
            CU_ASSERT_PTR_NOT_NULL(tfc_graph_op_by_name(h, "gradients_1/loss_grad/_BroadcastToShapeOf") ||
                                   strncmp(tfc_op_name(hda.op), "gradients_1/", 12) == 0);
        /* the initializers work: init, then read */
        tfc_op *init = tfc_global_variables_initializer(h);
        TFCT_GRAPH_OK(h);
        tfc_session *s;
        TFCT_OK(tfc_session_new(h, NULL, &s));
        TFCT_OK(tfc_session_run(s, NULL, NULL, 0, NULL, NULL, 0, &init, 1));
        tfc_tensor *fv;
        TFCT_OK(tfc_session_variable_value(s, hf, &fv));
        CU_ASSERT_EQUAL(((float *)tfc_tensor_data(fv))[1], 1.0f);
        tfc_tensor_free(fv);
        tfc_session_free(s);
        tfc_graph_free(h);
    }
    tfc_buffer_free(buf);
    tfc_graph_free(g);
}

/* Attribute kinds and constant dtypes survive exactly. */
static void test_attr_and_tensor_kinds(void)
{
    tfc_graph *g = new_graph();
    tfc_op_builder *b = tfc_op_builder_new(g, "NoOp", "attrs");
    int64_t il[3] = {-1, 0, INT64_MAX};
    float fl[2] = {1.5f, -0.0f};
    tfc_dtype tl[2] = {TFC_INT8, TFC_STRING};
    const char *sl[2] = {"x", ""};
    int64_t shp[3] = {2, -1, 4};
    tfc_op_builder_set_attr_int(b, "i", -42);
    tfc_op_builder_set_attr_int(b, "zero", 0);
    tfc_op_builder_set_attr_float(b, "f", 0.1f);
    tfc_op_builder_set_attr_bool(b, "t", true);
    tfc_op_builder_set_attr_bool(b, "no", false);
    tfc_op_builder_set_attr_type(b, "ty", TFC_INT16);
    tfc_op_builder_set_attr_string(b, "s", "hello");
    tfc_op_builder_set_attr_shape(b, "shape", shp, 3);
    tfc_op_builder_set_attr_shape(b, "unknown", NULL, -1);
    tfc_op_builder_set_attr_shape(b, "scalar", NULL, 0);
    tfc_op_builder_set_attr_int_list(b, "il", il, 3);
    tfc_op_builder_set_attr_int_list(b, "empty", NULL, 0);
    tfc_op_builder_set_attr_float_list(b, "fl", fl, 2);
    tfc_op_builder_set_attr_type_list(b, "tl", tl, 2);
    tfc_op_builder_set_attr_string_list(b, "sl", sl, 2);
    TFCT_OK(tfc_op_builder_finish(b, NULL));
    /* constants of every dtype */
    int64_t d2[1] = {2}, d0[1] = {0};
    double dv[2] = {1e300, -2.5};
    int32_t i32[2] = {INT32_MIN, 7};
    uint8_t u8[2] = {0, 255};
    int16_t i16[2] = {-32768, 32767};
    int8_t i8[2] = {-128, 127};
    int64_t i64[2] = {INT64_MIN, 1};
    bool bv[2] = {true, false};
    tfc_const_array(g, TFC_DOUBLE, d2, 1, dv, "c_double");
    tfc_const_array(g, TFC_INT32, d2, 1, i32, "c_int32");
    tfc_const_array(g, TFC_UINT8, d2, 1, u8, "c_uint8");
    tfc_const_array(g, TFC_INT16, d2, 1, i16, "c_int16");
    tfc_const_array(g, TFC_INT8, d2, 1, i8, "c_int8");
    tfc_const_array(g, TFC_INT64, d2, 1, i64, "c_int64");
    tfc_const_array(g, TFC_BOOL, d2, 1, bv, "c_bool");
    tfc_const_array(g, TFC_FLOAT, d0, 1, NULL, "c_empty");
    const char *strs[2] = {"alpha", ""};
    size_t lens[2] = {5, 0};
    tfc_tensor *st;
    TFCT_OK(tfc_tensor_new_strings(d2, 1, strs, lens, &st));
    tfc_const(g, st, "c_string");
    TFCT_GRAPH_OK(g);
    tfc_buffer *buf = serialize(g);
    tfc_graph *h = new_graph();
    TFCT_OK(tfc_graph_import_graph_def(h, tfc_buffer_data(buf), tfc_buffer_size(buf), NULL));
    tfc_op *op = tfc_graph_op_by_name(h, "attrs");
    int64_t iv;
    float fv;
    bool bvv;
    tfc_dtype tv;
    const char *sv;
    int64_t dims[8];
    int rank;
    const int64_t *lv;
    int ln;
    TFCT_OK(tfc_op_attr_int(op, "i", &iv));
    CU_ASSERT_EQUAL(iv, -42);
    TFCT_OK(tfc_op_attr_int(op, "zero", &iv));
    CU_ASSERT_EQUAL(iv, 0);
    TFCT_OK(tfc_op_attr_float(op, "f", &fv));
    CU_ASSERT_EQUAL(fv, 0.1f);
    TFCT_OK(tfc_op_attr_bool(op, "t", &bvv));
    CU_ASSERT_TRUE(bvv);
    TFCT_OK(tfc_op_attr_bool(op, "no", &bvv));
    CU_ASSERT_FALSE(bvv);
    TFCT_OK(tfc_op_attr_type(op, "ty", &tv));
    CU_ASSERT_EQUAL(tv, TFC_INT16);
    TFCT_OK(tfc_op_attr_string(op, "s", &sv));
    CU_ASSERT_STRING_EQUAL(sv, "hello");
    TFCT_OK(tfc_op_attr_shape(op, "shape", dims, &rank));
    CU_ASSERT_EQUAL(rank, 3);
    CU_ASSERT_EQUAL(dims[1], -1);
    CU_ASSERT_EQUAL(dims[2], 4);
    TFCT_OK(tfc_op_attr_shape(op, "unknown", dims, &rank));
    CU_ASSERT_EQUAL(rank, -1);
    TFCT_OK(tfc_op_attr_shape(op, "scalar", dims, &rank));
    CU_ASSERT_EQUAL(rank, 0);
    TFCT_OK(tfc_op_attr_int_list(op, "il", &lv, &ln));
    CU_ASSERT_EQUAL(ln, 3);
    CU_ASSERT_EQUAL(lv[2], INT64_MAX);
    TFCT_OK(tfc_op_attr_int_list(op, "empty", &lv, &ln));
    CU_ASSERT_EQUAL(ln, 0);
    const char *cn[] = {"c_double", "c_int32", "c_uint8", "c_int16", "c_int8",
                        "c_int64",  "c_bool",  "c_empty", "c_string"};
    for (int i = 0; i < 9; i++) {
        const tfc_tensor *t1, *t2;
        TFCT_OK(tfc_op_attr_tensor(tfc_graph_op_by_name(g, cn[i]), "value", &t1));
        TFCT_OK(tfc_op_attr_tensor(tfc_graph_op_by_name(h, cn[i]), "value", &t2));
        CU_ASSERT_TRUE(same_tensor(t1, t2));
    }
    tfc_buffer *buf2 = serialize(h);
    CU_ASSERT_EQUAL_FATAL(tfc_buffer_size(buf2), tfc_buffer_size(buf));
    CU_ASSERT_EQUAL(memcmp(tfc_buffer_data(buf2), tfc_buffer_data(buf), tfc_buffer_size(buf)), 0);
    tfc_buffer_free(buf2);
    tfc_buffer_free(buf);
    tfc_tensor_free(st);
    tfc_graph_free(h);
    tfc_graph_free(g);
}

/* ---------------------------------------------------------------------------
 * Hand-encoded GraphDefs (a tiny protobuf writer), for orders and errors
 * ------------------------------------------------------------------------ */

typedef struct pb {
    unsigned char d[8192];
    size_t n;
} pb;

static void pb_byte(pb *p, unsigned v) { p->d[p->n++] = (unsigned char)v; }
static void pb_varint(pb *p, uint64_t v)
{
    while (v >= 0x80) {
        pb_byte(p, (unsigned)(v & 0x7f) | 0x80);
        v >>= 7;
    }
    pb_byte(p, (unsigned)v);
}
static void pb_bytes(pb *p, int field, const void *data, size_t len)
{
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, len);
    memcpy(p->d + p->n, data, len);
    p->n += len;
}
static void pb_str(pb *p, int field, const char *s) { pb_bytes(p, field, s, strlen(s)); }
static void pb_msg(pb *p, int field, const pb *m) { pb_bytes(p, field, m->d, m->n); }
static void pb_int(pb *p, int field, uint64_t v)
{
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

/* NodeDef with inputs and attributes given as (key, AttrValue) pairs. */
static void node(pb *gd, const char *name, const char *op, const char *const *inputs, int nin, const char *const *keys,
                 const pb *vals, int nattr)
{
    pb nd = {{0}, 0};
    pb_str(&nd, 1, name);
    pb_str(&nd, 2, op);
    for (int i = 0; i < nin; i++) pb_str(&nd, 3, inputs[i]);
    for (int i = 0; i < nattr; i++) {
        pb e = {{0}, 0};
        pb_str(&e, 1, keys[i]);
        pb_msg(&e, 2, &vals[i]);
        pb_msg(&nd, 5, &e);
    }
    pb_msg(gd, 1, &nd);
}

static pb attr_type(int dt)
{
    pb v = {{0}, 0};
    pb_int(&v, 6, (uint64_t)dt);
    return v;
}

/* AttrValue{tensor: TensorProto{dtype, shape [n] (or scalar if n < 0), fields...}} */
static pb attr_float_tensor(const float *vals, int nvals, int n)
{
    pb shape = {{0}, 0}, dim = {{0}, 0}, tp = {{0}, 0}, v = {{0}, 0};
    pb_int(&dim, 1, (uint64_t)n);
    if (n >= 0) pb_msg(&shape, 2, &dim);
    pb_int(&tp, 1, TFC_FLOAT);
    pb_msg(&tp, 2, &shape);
    if (nvals) pb_bytes(&tp, 5, vals, (size_t)nvals * 4);
    pb_msg(&v, 8, &tp);
    return v;
}

/* A float constant named name with values vals (n of them). */
static void const_node(pb *gd, const char *name, const float *vals, int n)
{
    const char *keys[2] = {"dtype", "value"};
    pb vals_[2] = {attr_type(TFC_FLOAT), attr_float_tensor(vals, n, n)};
    node(gd, name, "Const", NULL, 0, keys, vals_, 2);
}

static tfc_code import_pb(tfc_graph *g, const pb *p, const char *prefix)
{
    return tfc_graph_import_graph_def(g, p->d, p->n, prefix);
}

static void test_any_node_order(void)
{
    /* users before their inputs, control inputs, an output index */
    pb gd = {{0}, 0};
    const char *after_in[2] = {"sum", "^c"};
    node(&gd, "after", "Identity", after_in, 2, NULL, NULL, 0);
    const char *sum_in[3] = {"^c", "sp", "sp:1"}; /* a control input first is accepted too */
    node(&gd, "sum", "AddN", sum_in, 3, NULL, NULL, 0);
    const char *sp_in[2] = {"axis", "a"};
    pb attr_split = {{0}, 0};
    pb_int(&attr_split, 3, 2);
    const char *k_split[1] = {"num_split"};
    node(&gd, "sp", "Split", sp_in, 2, k_split, &attr_split, 1);
    float av[4] = {1, 2, 3, 4}, cv[1] = {9};
    const_node(&gd, "a", av, 4);
    const_node(&gd, "c", cv, 1);
    {
        const char *keys[2] = {"dtype", "value"};
        pb tp = {{0}, 0}, v = {{0}, 0};
        pb_int(&tp, 1, TFC_INT32);
        pb_bytes(&tp, 7, "\x00", 1); /* int_val: [0], packed */
        pb_msg(&v, 8, &tp);
        pb vals[2] = {attr_type(TFC_INT32), v};
        node(&gd, "axis", "Const", NULL, 0, keys, vals, 2);
    }
    for (int withp = 0; withp < 2; withp++) {
        const char *p = withp ? "outer/inner" : NULL;
        tfc_graph *g = new_graph();
        TFCT_OK(import_pb(g, &gd, p));
        CU_ASSERT_EQUAL(tfc_graph_num_ops(g), 6);
        tfc_op *sum = find_op(g, p, "sum"), *sp = find_op(g, p, "sp"), *c = find_op(g, p, "c");
        CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
        CU_ASSERT_EQUAL(tfc_op_num_inputs(sum), 2);
        CU_ASSERT_PTR_EQUAL(tfc_op_input(sum, 0).op, sp);
        CU_ASSERT_EQUAL(tfc_op_input(sum, 0).index, 0);
        CU_ASSERT_EQUAL(tfc_op_input(sum, 1).index, 1);
        CU_ASSERT_EQUAL(tfc_op_num_control_inputs(sum), 1);
        CU_ASSERT_PTR_EQUAL(tfc_op_control_input(sum, 0), c);
        tfc_tensor *v = tfct_eval(g, (tfc_output){find_op(g, p, "after"), 0}, NULL, NULL, 0);
        const float *f = tfc_tensor_data(v);
        CU_ASSERT_EQUAL(tfc_tensor_num_elements(v), 2);
        CU_ASSERT_EQUAL(f[0], 4.0f);
        CU_ASSERT_EQUAL(f[1], 6.0f);
        tfc_tensor_free(v);
        /* written back in dependency order */
        tfc_buffer *b = serialize(g);
        tfc_graph *h = new_graph();
        TFCT_OK(tfc_graph_import_graph_def(h, tfc_buffer_data(b), tfc_buffer_size(b), NULL));
        size_t pos = 0;
        CU_ASSERT_STRING_EQUAL(tfc_op_type(tfc_graph_next_op(h, &pos)), "Const");
        tfc_buffer_free(b);
        tfc_graph_free(h);
        tfc_graph_free(g);
    }
    /* a scalar from one float_val, a vector filled from one value, zeros from none */
    pb g2 = {{0}, 0};
    float one = 1.5f;
    const char *keys[1] = {"value"};
    pb v1 = attr_float_tensor(&one, 1, -1), v2 = attr_float_tensor(&one, 1, 3), v3 = attr_float_tensor(NULL, 0, 2);
    node(&g2, "s", "Const", NULL, 0, keys, &v1, 1);
    node(&g2, "f", "Const", NULL, 0, keys, &v2, 1);
    node(&g2, "z", "Const", NULL, 0, keys, &v3, 1);
    tfc_graph *g = new_graph();
    TFCT_OK(import_pb(g, &g2, NULL));
    const tfc_tensor *t;
    TFCT_OK(tfc_op_attr_tensor(tfc_graph_op_by_name(g, "s"), "value", &t));
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 0);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(t), 1.5f);
    TFCT_OK(tfc_op_attr_tensor(tfc_graph_op_by_name(g, "f"), "value", &t));
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 3);
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[2], 1.5f);
    TFCT_OK(tfc_op_attr_tensor(tfc_graph_op_by_name(g, "z"), "value", &t));
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[1], 0.0f);
    tfc_graph_free(g);
}

static void expect_import_fails(const pb *p, const char *prefix, tfc_code code, const char *msg1, const char *msg2)
{
    tfc_graph *g = new_graph();
    tfc_const_float(g, 1, "keep");
    tfc_buffer *before = serialize(g);
    tfc_code c = import_pb(g, p, prefix);
    if (c != code)
        fprintf(stderr, "\nexpected %s, got %s: %s\n", tfc_code_name(code), tfc_code_name(c), tfc_last_error());
    CU_ASSERT_EQUAL(c, code);
    TFCT_ERR_HAS("graph_def buffer");
    if (msg1) TFCT_ERR_HAS(msg1);
    if (msg2) TFCT_ERR_HAS(msg2);
    /* all or nothing: the graph is exactly as it was */
    tfc_buffer *after = serialize(g);
    CU_ASSERT_EQUAL(tfc_buffer_size(after), tfc_buffer_size(before));
    CU_ASSERT_EQUAL(memcmp(tfc_buffer_data(after), tfc_buffer_data(before), tfc_buffer_size(before)), 0);
    CU_ASSERT_EQUAL(tfc_graph_num_ops(g), 1);
    tfc_buffer_free(before);
    tfc_buffer_free(after);
    tfc_graph_free(g);
}

static void test_import_errors(void)
{
    float v2[2] = {1, 2}, v3[3] = {1, 2, 3};
    /* a missing input */
    {
        pb gd = {{0}, 0};
        const char *in[1] = {"nowhere"};
        node(&gd, "n", "Identity", in, 1, NULL, NULL, 0);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'n' (Identity)",
                            "input 'nowhere' refers to no node");
    }
    /* a cycle */
    {
        pb gd = {{0}, 0};
        const char *ia[1] = {"b"}, *ib[1] = {"a"};
        node(&gd, "a", "Identity", ia, 1, NULL, NULL, 0);
        node(&gd, "b", "Identity", ib, 1, NULL, NULL, 0);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "cycle", "node 'b' (Identity)");
    }
    /* a control cycle through itself */
    {
        pb gd = {{0}, 0};
        const char *ia[1] = {"^a"};
        node(&gd, "a", "NoOp", ia, 1, NULL, NULL, 0);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "cycle", "node 'a' (NoOp)");
    }
    /* an unknown op type */
    {
        pb gd = {{0}, 0};
        node(&gd, "q", "FancyOp", NULL, 0, NULL, NULL, 0);
        expect_import_fails(&gd, NULL, TFC_NOT_FOUND, "node 'q' (FancyOp)", "unknown op type 'FancyOp'");
    }
    /* duplicate names */
    {
        pb gd = {{0}, 0};
        const_node(&gd, "c", v2, 2);
        const_node(&gd, "c", v2, 2);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'c' (Const)", "appears twice");
    }
    /* a name the graph already has, without and with a prefix that clashes */
    {
        pb gd = {{0}, 0};
        const_node(&gd, "keep", v2, 2);
        expect_import_fails(&gd, NULL, TFC_ALREADY_EXISTS, "'keep'", "import with a prefix");
    }
    /* a bad output index, and one past the op's outputs (the builder says so) */
    {
        pb gd = {{0}, 0};
        const_node(&gd, "c", v2, 2);
        const char *in[1] = {"c:x"};
        node(&gd, "n", "Identity", in, 1, NULL, NULL, 0);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'n'", "not a number");
        pb gd2 = {{0}, 0};
        const_node(&gd2, "c", v2, 2);
        const char *in2[1] = {"c:3"};
        node(&gd2, "n", "Identity", in2, 1, NULL, NULL, 0);
        expect_import_fails(&gd2, NULL, TFC_INVALID_ARGUMENT, "op 'n' (Identity)", "refers to output 3 of 'c'");
    }
    /* shape functions check everything: AddN of different shapes */
    {
        pb gd = {{0}, 0};
        const_node(&gd, "a", v2, 2);
        const_node(&gd, "b", v3, 3);
        const char *in[2] = {"a", "b"};
        node(&gd, "sum", "AddN", in, 2, NULL, NULL, 0);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "op 'sum' (AddN)", NULL);
    }
    /* tensor_content of the wrong size */
    {
        pb gd = {{0}, 0};
        pb shape = {{0}, 0}, dim = {{0}, 0}, tp = {{0}, 0}, v = {{0}, 0};
        pb_int(&dim, 1, 3);
        pb_msg(&shape, 2, &dim);
        pb_int(&tp, 1, TFC_FLOAT);
        pb_msg(&tp, 2, &shape);
        pb_bytes(&tp, 4, "\0\0\0\0\0\0\0\0", 8);
        pb_msg(&v, 8, &tp);
        const char *keys[1] = {"value"};
        node(&gd, "c", "Const", NULL, 0, keys, &v, 1);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'c' (Const): attribute 'value'",
                            "tensor_content has 8 bytes");
    }
    /* a huge constant from one value is refused, not allocated */
    {
        pb gd = {{0}, 0};
        float one = 1;
        const char *keys[1] = {"value"};
        pb v = attr_float_tensor(&one, 1, 1 << 30);
        node(&gd, "big", "Const", NULL, 0, keys, &v, 1);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'big'", "repeating values is limited");
    }
    /* values of another dtype's field */
    {
        pb gd = {{0}, 0};
        pb tp = {{0}, 0}, v = {{0}, 0};
        pb_int(&tp, 1, TFC_INT32);
        pb_bytes(&tp, 5, "\0\0\x80\x3f", 4);
        pb_msg(&v, 8, &tp);
        const char *keys[1] = {"value"};
        node(&gd, "c", "Const", NULL, 0, keys, &v, 1);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "attribute 'value'", "int32 tensor has float_val");
    }
    /* unsupported dtypes, shapes beyond rank 8, -2 dims, functions */
    {
        pb gd = {{0}, 0};
        pb v = attr_type(19);
        const char *keys[2] = {"dtype", "shape"};
        node(&gd, "p", "Placeholder", NULL, 0, keys, &v, 1);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'p' (Placeholder): attribute 'dtype'",
                            "dtype 19 is not supported");
        pb gd2 = {{0}, 0}, shape = {{0}, 0}, sv = {{0}, 0};
        for (int i = 0; i < 9; i++) {
            pb dim = {{0}, 0};
            pb_int(&dim, 1, 1);
            pb_msg(&shape, 2, &dim);
        }
        pb_msg(&sv, 7, &shape);
        pb vals[2] = {attr_type(TFC_FLOAT), sv};
        node(&gd2, "p", "Placeholder", NULL, 0, keys, vals, 2);
        expect_import_fails(&gd2, NULL, TFC_INVALID_ARGUMENT, "attribute 'shape'", "more than 8 dimensions");
        pb gd3 = {{0}, 0}, shape3 = {{0}, 0}, dim3 = {{0}, 0}, sv3 = {{0}, 0};
        pb_int(&dim3, 1, (uint64_t)-2);
        pb_msg(&shape3, 2, &dim3);
        pb_msg(&sv3, 7, &shape3);
        pb vals3[2] = {attr_type(TFC_FLOAT), sv3};
        node(&gd3, "p", "Placeholder", NULL, 0, keys, vals3, 2);
        expect_import_fails(&gd3, NULL, TFC_INVALID_ARGUMENT, "attribute 'shape'", "below -1");
        pb gd4 = {{0}, 0}, fv = {{0}, 0}, fn = {{0}, 0};
        pb_str(&fn, 1, "f");
        pb_msg(&fv, 10, &fn);
        const char *fk[1] = {"fn"};
        node(&gd4, "n", "NoOp", NULL, 0, fk, &fv, 1);
        expect_import_fails(&gd4, NULL, TFC_UNIMPLEMENTED, "attribute 'fn'", "a function value is not supported");
        pb gd5 = {{0}, 0};
        pb_bytes(&gd5, 2, "\x0a\x00", 2); /* library with an empty function */
        expect_import_fails(&gd5, NULL, TFC_UNIMPLEMENTED, "function library", NULL);
    }
    /* a newer dialect */
    {
        pb gd = {{0}, 0}, ver = {{0}, 0};
        pb_int(&ver, 1, 5);
        pb_int(&ver, 2, 2);
        pb_msg(&gd, 4, &ver);
        expect_import_fails(&gd, NULL, TFC_UNIMPLEMENTED, "reader of version 2 or newer", NULL);
    }
    /* tfc attributes of the wrong kind or in the wrong place */
    {
        pb gd = {{0}, 0}, bv = {{0}, 0};
        pb_int(&bv, 3, 1);
        const char *keys[1] = {"_tfc_trainable"};
        node(&gd, "n", "NoOp", NULL, 0, keys, &bv, 1);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "attribute '_tfc_trainable' must be a bool, got an int",
                            NULL);
        pb gd2 = {{0}, 0}, bv2 = {{0}, 0};
        pb_int(&bv2, 5, 1);
        node(&gd2, "n", "NoOp", NULL, 0, keys, &bv2, 1);
        expect_import_fails(&gd2, NULL, TFC_INVALID_ARGUMENT, "'_tfc_trainable' belongs on a VariableV2", NULL);
        pb gd3 = {{0}, 0}, sv = {{0}, 0};
        pb_str(&sv, 2, "missing");
        const char *k3[1] = {"_tfc_initializer"};
        node(&gd3, "n", "NoOp", NULL, 0, k3, &sv, 1);
        expect_import_fails(&gd3, NULL, TFC_INVALID_ARGUMENT, "_tfc_initializer", NULL);
    }
    /* attribute names repeated or empty */
    {
        pb gd = {{0}, 0};
        const char *keys[3] = {"dtype", "value", "dtype"};
        pb vals[3] = {attr_type(TFC_FLOAT), attr_float_tensor(v2, 2, 2), attr_type(TFC_INT32)};
        node(&gd, "c", "Const", NULL, 0, keys, vals, 3);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 'c' (Const)", "attribute 'dtype' appears twice");
        pb gd2 = {{0}, 0};
        const char *k2[2] = {"value", ""};
        node(&gd2, "c", "Const", NULL, 0, k2, vals, 2);
        expect_import_fails(&gd2, NULL, TFC_INVALID_ARGUMENT, "node 'c' (Const)", "an attribute has an empty name");
    }
    /* lists of shapes: unsupported, but dropped when optional ("_output_shapes") */
    {
        pb shapes = {{0}, 0}, lst = {{0}, 0}, sh = {{0}, 0};
        pb_msg(&lst, 7, &sh);
        pb_msg(&shapes, 1, &lst);
        pb gd = {{0}, 0};
        const char *keys[3] = {"dtype", "value", "shapes"};
        pb vals[3] = {attr_type(TFC_FLOAT), attr_float_tensor(v2, 2, 2), shapes};
        node(&gd, "c", "Const", NULL, 0, keys, vals, 3);
        expect_import_fails(&gd, NULL, TFC_UNIMPLEMENTED, "attribute 'shapes'", "lists of bools, shapes");
        pb gd2 = {{0}, 0};
        const char *k2[3] = {"dtype", "value", "_output_shapes"};
        node(&gd2, "c", "Const", NULL, 0, k2, vals, 3);
        tfc_graph *g = new_graph();
        TFCT_OK(import_pb(g, &gd2, NULL));
        const tfc_tensor *t;
        TFCT_OK(tfc_op_attr_tensor(tfc_graph_op_by_name(g, "c"), "value", &t));
        CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[1], 2.0f);
        tfc_graph_free(g);
    }
    /* a few bytes asking for millions of outputs */
    {
        pb gd = {{0}, 0}, num = {{0}, 0}, shp = {{0}, 0}, dim = {{0}, 0}, sv = {{0}, 0};
        pb_int(&dim, 1, (uint64_t)-1);
        pb_msg(&shp, 2, &dim);
        pb_msg(&sv, 7, &shp);
        const char *pk[2] = {"dtype", "shape"};
        pb pvals[2] = {attr_type(TFC_FLOAT), sv};
        node(&gd, "x", "Placeholder", NULL, 0, pk, pvals, 2);
        {
            const char *keys[2] = {"dtype", "value"};
            pb tp = {{0}, 0}, v = {{0}, 0};
            pb_int(&tp, 1, TFC_INT32);
            pb_msg(&v, 8, &tp);
            pb vals[2] = {attr_type(TFC_INT32), v};
            node(&gd, "axis", "Const", NULL, 0, keys, vals, 2);
        }
        pb_int(&num, 3, 600000);
        const char *in[2] = {"axis", "x"}, *k[1] = {"num_split"};
        node(&gd, "s1", "Split", in, 2, k, &num, 1);
        node(&gd, "s2", "Split", in, 2, k, &num, 1);
        expect_import_fails(&gd, NULL, TFC_INVALID_ARGUMENT, "node 's2'", "outputs in all");
    }
    /* invalid prefix and invalid names */
    {
        pb gd = {{0}, 0};
        const_node(&gd, "c", v2, 2);
        expect_import_fails(&gd, "bad/", TFC_INVALID_ARGUMENT, "invalid prefix 'bad/'", NULL);
        expect_import_fails(&gd, "a b", TFC_INVALID_ARGUMENT, "invalid prefix", NULL);
        pb gd2 = {{0}, 0};
        const_node(&gd2, "has space", v2, 2);
        expect_import_fails(&gd2, NULL, TFC_INVALID_ARGUMENT, "invalid name", NULL);
        pb gd3 = {{0}, 0};
        const_node(&gd3, "", v2, 2);
        expect_import_fails(&gd3, NULL, TFC_INVALID_ARGUMENT, "has no name", NULL);
    }
    /* the scratch pass catches errors late in the file: nothing is added */
    {
        pb gd = {{0}, 0};
        const_node(&gd, "ok1", v2, 2);
        const_node(&gd, "ok2", v3, 3);
        const char *in[2] = {"ok1", "ok2"};
        node(&gd, "bad", "Add", in, 2, NULL, NULL, 0);
        expect_import_fails(&gd, "pre", TFC_INVALID_ARGUMENT, "op 'pre/bad' (Add)", NULL);
    }
}

static void test_malformed_bytes(void)
{
    every_graph eg = build_every_op();
    tfc_buffer *b = serialize(eg.g);
    const unsigned char *d = tfc_buffer_data(b);
    size_t n = tfc_buffer_size(b);
    unsigned char *copy = malloc(n);
    tfc_graph *g = new_graph();
    tfc_const_float(g, 1, "keep");
    /* truncations: an error naming the source, or (cut between nodes) a smaller valid graph */
    int errors = 0, oks = 0;
    for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
        tfc_graph *h = new_graph();
        tfc_code c = tfc_graph_import_graph_def(h, d, cut, "t");
        if (c) {
            errors++;
            CU_ASSERT_PTR_NOT_NULL(strstr(tfc_last_error(), "graph_def buffer"));
            CU_ASSERT_EQUAL(tfc_graph_num_ops(h), 0);
        } else {
            oks++;
        }
        tfc_graph_free(h);
    }
    CU_ASSERT_TRUE(errors > 80);
    /* bit flips never crash; failures leave the graph alone */
    for (int k = 0; k < 300; k++) {
        memcpy(copy, d, n);
        size_t at = (size_t)(((uint64_t)k * 2654435761u) % n);
        copy[at] ^= (unsigned char)(1u << (k % 8));
        if (tfc_graph_import_graph_def(g, copy, n, "flip") != TFC_OK) {
            CU_ASSERT_EQUAL(tfc_graph_num_ops(g), 1);
        } else {
            tfc_graph_free(g);
            g = new_graph();
            tfc_const_float(g, 1, "keep");
        }
    }
    /* garbage, empty input, oversized sizes */
    CU_ASSERT_EQUAL(tfc_graph_import_graph_def(g, "\xff\xff\xff", 3, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("graph_def buffer: not a valid tfcpb.graph.GraphDef protocol buffer");
    CU_ASSERT_EQUAL(tfc_graph_import_graph_def(g, d, (size_t)1 << 31, NULL), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("more than a protocol buffer may hold");
    TFCT_OK(tfc_graph_import_graph_def(g, "", 0, NULL)); /* an empty GraphDef has no nodes */
    CU_ASSERT_EQUAL(tfc_graph_num_ops(g), 1);
    CU_ASSERT_EQUAL(tfc_graph_import_graph_def(NULL, d, n, NULL), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_graph_to_graph_def(g, NULL), TFC_INVALID_ARGUMENT);
    /* a graph with a sticky error is not serialized */
    tfc_add(g, tfc_const_float(g, 1, NULL), tfc_const_int32(g, 1, NULL), NULL);
    tfc_buffer *none = NULL;
    CU_ASSERT_EQUAL(tfc_graph_to_graph_def(g, &none), TFC_FAILED_PRECONDITION);
    CU_ASSERT_PTR_NULL(none);
    free(copy);
    tfc_buffer_free(b);
    tfc_graph_free(g);
    tfc_graph_free(eg.g);
}

static void test_files(void)
{
    char dir[] = "/tmp/tfc_graph_def_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[256], missing[256];
    snprintf(path, sizeof path, "%s/g.pb", dir);
    snprintf(missing, sizeof missing, "%s/none.pb", dir);
    tfc_graph *g = new_graph();
    tfc_output a = tfc_const_float(g, 2, "a");
    tfc_square(g, a, "sq");
    TFCT_OK(tfc_graph_write_graph_def_file(g, path));
    tfc_graph *h = new_graph();
    TFCT_OK(tfc_graph_import_graph_def_file(h, path, NULL));
    tfc_tensor *v = tfct_eval(h, (tfc_output){tfc_graph_op_by_name(h, "sq"), 0}, NULL, NULL, 0);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(v), 4.0f);
    tfc_tensor_free(v);
    CU_ASSERT_EQUAL(tfc_graph_import_graph_def_file(h, missing, "x"), TFC_NOT_FOUND);
    TFCT_ERR_HAS(missing);
    /* a corrupt file: DATA_LOSS naming the file */
    FILE *f = fopen(path, "wb");
    fwrite("\x0a\xff\x01", 1, 3, f);
    fclose(f);
    CU_ASSERT_EQUAL(tfc_graph_import_graph_def_file(h, path, "y"), TFC_DATA_LOSS);
    TFCT_ERR_HAS(path);
    CU_ASSERT_EQUAL(tfc_graph_num_ops(h), 2);
    unlink(path);
    rmdir(dir);
    tfc_graph_free(g);
    tfc_graph_free(h);
}

/* TensorFlow's schema (a copy with its field numbers) decodes our bytes. */
static void test_protoc_decode_with_tensorflow_schema(void)
{
    if (system("command -v protoc >/dev/null 2>&1") != 0) {
        fprintf(stderr, "\nSKIPPED: protoc not installed (Debian: protobuf-compiler)\n");
        return;
    }
    char datadir[1024];
    snprintf(datadir, sizeof datadir, "%s", __FILE__);
    char *slash = strrchr(datadir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(datadir, sizeof datadir, ".");
    strncat(datadir, "/data", sizeof datadir - strlen(datadir) - 1);
    char schema[1100];
    snprintf(schema, sizeof schema, "%s/tf_graph_subset.proto", datadir);
    if (access(schema, R_OK) != 0) {
        fprintf(stderr, "\nSKIPPED: %s not found from the working directory\n", schema);
        return;
    }
    every_graph eg = build_every_op();
    tfc_buffer *b = serialize(eg.g);
    char in[] = "/tmp/tfc_gd_in_XXXXXX";
    int fd = mkstemp(in);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL((size_t)write(fd, tfc_buffer_data(b), tfc_buffer_size(b)), tfc_buffer_size(b));
    close(fd);
    char out[] = "/tmp/tfc_gd_out_XXXXXX";
    fd = mkstemp(out);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "protoc --proto_path='%s' --decode=tensorflow.GraphDef tf_graph_subset.proto <'%s' >'%s'",
             datadir, in, out);
    CU_ASSERT_EQUAL(system(cmd), 0);
    FILE *f = fopen(out, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char text[8 << 20];
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = 0;
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "name: \"model/dense/h\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "op: \"BiasAdd\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "input: \"model/split:1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "input: \"^model/count\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "type: DT_FLOAT"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "key: \"_tfc_trainable\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "producer: 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "unknown_rank: true") || strstr(text, "dim {"));
    unlink(in);
    unlink(out);
    tfc_buffer_free(b);
    tfc_graph_free(eg.g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"graph has every op type", test_graph_has_every_op_type},
        {"every op round trip", test_every_op_round_trip},
        {"variable state round trip", test_variable_state_round_trip},
        {"attribute and tensor kinds", test_attr_and_tensor_kinds},
        {"any node order", test_any_node_order},
        {"import errors", test_import_errors},
        {"malformed bytes", test_malformed_bytes},
        {"files", test_files},
        {"protoc decode with TensorFlow's schema", test_protoc_decode_with_tensorflow_schema},
        {NULL, NULL},
    };
    return tfct_main("graph_def", cases);
}
