/* Symbolic differentiation: appends the gradient subgraph of sum(ys * dys)
 * with respect to xs, walking ops between them in reverse creation order
 * (creation order is topological, since inputs exist before their users). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

typedef struct contrib {
    tfc_gradient grad;
    int out_index;
    int next; /* next contribution to the same op, -1 at the end */
} contrib;

typedef struct gstate {
    tfc_graph *g;
    contrib *c;
    int n, cap;
    int *head; /* by op id */
} gstate;

static bool is_sparse(const tfc_gradient *gr) { return gr->dense.op == NULL && gr->values.op != NULL; }

static tfc_code add_contrib(gstate *st, tfc_op *op, int index, tfc_gradient gr)
{
    if (st->n == st->cap) {
        int ncap = st->cap ? st->cap * 2 : 64;
        contrib *nc = realloc(st->c, (size_t)ncap * sizeof *nc);
        if (!nc) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        st->c = nc;
        st->cap = ncap;
    }
    st->c[st->n] = (contrib){gr, index, st->head[op->id]};
    st->head[op->id] = st->n++;
    return TFC_OK;
}

/* A dense tensor like x from sparse rows: unsorted_segment_sum(values, indices, dim0(x)). */
static tfc_output densify(tfc_graph *g, tfc_output x, const tfc_gradient *gr)
{
    if (!is_sparse(gr)) return gr->dense;
    tfc_output shape = tfc_shape(g, x, TFC_INT64, NULL);
    tfc_output rows = tfc_gather(g, shape, tfc_const_int64(g, 0, NULL), 0, NULL);
    return tfc_unsorted_segment_sum(g, gr->values, gr->indices, rows, NULL);
}

/* Sum of the contributions to (op, index); sparse kept sparse when keep_sparse
 * and all parts are sparse. found=false when there are none. */
static tfc_code sum_contribs(gstate *st, tfc_op *op, int index, bool keep_sparse, tfc_gradient *out, bool *found)
{
    tfc_graph *g = st->g;
    int n = 0, nsparse = 0;
    for (int k = st->head[op->id]; k >= 0; k = st->c[k].next)
        if (st->c[k].out_index == index) {
            n++;
            nsparse += is_sparse(&st->c[k].grad);
        }
    memset(out, 0, sizeof *out);
    *found = n > 0;
    if (n == 0) return TFC_OK;
    tfc_output x = {op, index};
    if (n == 1) {
        for (int k = st->head[op->id]; k >= 0; k = st->c[k].next)
            if (st->c[k].out_index == index) *out = st->c[k].grad;
        if (is_sparse(out) && !keep_sparse) {
            out->dense = densify(g, x, out);
            out->indices = out->values = TFCI_NO_OUTPUT;
        }
        return tfc_graph_status(g);
    }
    tfc_output *parts = malloc((size_t)n * sizeof *parts);
    tfc_output *idx = malloc((size_t)n * sizeof *idx);
    if (!parts || !idx) {
        free(parts);
        free(idx);
        return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    }
    int m = 0;
    if (keep_sparse && nsparse == n) {
        for (int k = st->head[op->id]; k >= 0; k = st->c[k].next)
            if (st->c[k].out_index == index) {
                /* parts may mix int32 and int64 indices */
                idx[m] = tfc_output_dtype(st->c[k].grad.indices) == TFC_INT64
                             ? st->c[k].grad.indices
                             : tfc_cast(g, st->c[k].grad.indices, TFC_INT64, NULL);
                parts[m++] = st->c[k].grad.values;
            }
        out->indices = tfc_concat(g, idx, m, 0, NULL);
        out->values = tfc_concat(g, parts, m, 0, NULL);
    } else {
        for (int k = st->head[op->id]; k >= 0; k = st->c[k].next)
            if (st->c[k].out_index == index) parts[m++] = densify(g, x, &st->c[k].grad);
        out->dense = tfc_add_n(g, parts, m, NULL);
    }
    free(parts);
    free(idx);
    return tfc_graph_status(g);
}

static tfc_code run_gradients(tfc_graph *g, const tfc_output *ys, int ny, const tfc_output *xs, int nx,
                              const tfc_output *dys, tfc_gradient *dxs, bool keep_sparse)
{
    size_t nops = g->nops;
    char *back = calloc(nops, 1), *fwd = calloc(nops, 1);
    int *stack = malloc(nops * sizeof *stack);
    gstate st = {g, NULL, 0, 0, malloc(nops * sizeof(int))};
    tfc_code c = TFC_OK;
    if (!back || !fwd || !stack || !st.head) {
        c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nops; i++) st.head[i] = -1;
    /* ops that ys depend on */
    int sp = 0;
    for (int i = 0; i < ny; i++)
        if (!back[ys[i].op->id]) {
            back[ys[i].op->id] = 1;
            stack[sp++] = ys[i].op->id;
        }
    while (sp > 0) {
        tfc_op *op = g->ops[stack[--sp]];
        for (int j = 0; j < op->ninputs; j++) {
            int id = op->inputs[j].op->id;
            if (!back[id]) {
                back[id] = 1;
                stack[sp++] = id;
            }
        }
    }
    /* ops that depend on xs, in creation order */
    for (int i = 0; i < nx; i++) fwd[xs[i].op->id] = 1;
    for (size_t i = 0; i < nops; i++) {
        tfc_op *op = g->ops[i];
        for (int j = 0; j < op->ninputs && !fwd[i]; j++)
            if (fwd[op->inputs[j].op->id]) fwd[i] = 1;
    }
    for (int i = 0; i < ny; i++) {
        tfc_gradient gr = {TFCI_NO_OUTPUT, TFCI_NO_OUTPUT, TFCI_NO_OUTPUT};
        if (!(back[ys[i].op->id] && fwd[ys[i].op->id])) continue;
        gr.dense = dys ? dys[i] : tfc_ones_like(g, ys[i], NULL);
        if ((c = tfc_graph_status(g))) goto done;
        if ((c = add_contrib(&st, ys[i].op, ys[i].index, gr))) goto done;
    }
    for (size_t id = nops; id-- > 0;) {
        if (!(back[id] && fwd[id]) || st.head[id] < 0) continue;
        tfc_op *op = g->ops[id];
        /* results for xs that are outputs of this op */
        for (int i = 0; i < nx; i++) {
            if (xs[i].op != op) continue;
            bool found;
            if ((c = sum_contribs(&st, op, xs[i].index, keep_sparse, &dxs[i], &found))) goto done;
        }
        bool any_input = false;
        for (int j = 0; j < op->ninputs; j++)
            if (back[op->inputs[j].op->id] && fwd[op->inputs[j].op->id]) any_input = true;
        if (!any_input || (op->def->flags & TFCI_OP_NOT_DIFFERENTIABLE)) continue;
        if (!op->def->grad) {
            c = tfci_error(TFC_INVALID_ARGUMENT,
                           "no gradient is defined for op '%s' (%s), which lies between the ys and the xs",
                           op->name, op->def->name);
            goto done;
        }
        tfc_output *dy = calloc((size_t)op->noutputs, sizeof *dy);
        tfc_gradient *dx = calloc(op->ninputs ? (size_t)op->ninputs : 1, sizeof *dx);
        if (!dy || !dx) {
            free(dy);
            free(dx);
            c = tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
            goto done;
        }
        for (int j = 0; j < op->noutputs && !c; j++) {
            tfc_gradient sum;
            bool found;
            c = sum_contribs(&st, op, j, false, &sum, &found);
            if (!c) dy[j] = found ? sum.dense : tfc_zeros_like(g, (tfc_output){op, j}, NULL);
            if (!c) c = tfc_graph_status(g);
        }
        if (!c) {
            tfci_grad_ctx gc = {g, op, dy, dx};
            c = op->def->grad(&gc);
            if (!c) c = tfc_graph_status(g);
            if (c) tfci_error_prefix("gradient of op '%s' (%s)", op->name, op->def->name);
        }
        for (int j = 0; j < op->ninputs && !c; j++) {
            tfc_output in = op->inputs[j];
            if (!(back[in.op->id] && fwd[in.op->id])) continue;
            if (!dx[j].dense.op && !dx[j].values.op) continue;
            if (!tfci_dtype_is_float(in.op->out_dtypes[in.index])) continue;
            c = add_contrib(&st, in.op, in.index, dx[j]);
        }
        free(dy);
        free(dx);
        if (c) goto done;
    }
done:
    free(back);
    free(fwd);
    free(stack);
    free(st.head);
    free(st.c);
    return c;
}

static tfc_code check_list(const tfc_graph *g, const tfc_output *o, int n, const char *what)
{
    if (n < 0 || (n > 0 && !o))
        return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_add_gradients: invalid %s list", what);
    for (int i = 0; i < n; i++) {
        if (!o[i].op || o[i].op->graph != g || o[i].index < 0 || o[i].index >= o[i].op->noutputs)
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_add_gradients: %s[%d] is not an output of this graph",
                              what, i);
    }
    return TFC_OK;
}

TFC_API tfc_code tfc_graph_add_gradients_sparse(tfc_graph *g, const tfc_output *ys, int ny, const tfc_output *xs,
                                                int nx, const tfc_output *dys, tfc_gradient *dxs)
{
    if (!g || !dxs) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_add_gradients: NULL argument");
    if (g->status)
        return tfci_error(g->status, "tfc_graph_add_gradients: the graph has an earlier error: %s", g->status_msg);
    tfc_code c = check_list(g, ys, ny, "ys");
    if (!c) c = check_list(g, xs, nx, "xs");
    if (!c && dys) c = check_list(g, dys, ny, "dys");
    if (c) return c;
    for (int i = 0; i < ny; i++)
        if (!tfci_dtype_is_float(ys[i].op->out_dtypes[ys[i].index]))
            return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_add_gradients: ys[%d] ('%s') is %s, not a float type", i,
                              ys[i].op->name, tfc_dtype_name(ys[i].op->out_dtypes[ys[i].index]));
    memset(dxs, 0, (size_t)nx * sizeof *dxs);
    char scope[32];
    snprintf(scope, sizeof scope, g->gradient_calls ? "gradients_%d" : "gradients", g->gradient_calls);
    g->gradient_calls++;
    if ((c = tfc_graph_push_name_scope(g, scope))) return c;
    c = run_gradients(g, ys, ny, xs, nx, dys, dxs, true);
    tfc_graph_pop_name_scope(g);
    if (c) {
        tfc_graph_clear_error(g); /* the failure is reported here, not left sticky */
        memset(dxs, 0, (size_t)nx * sizeof *dxs);
    }
    return c;
}

TFC_API tfc_code tfc_graph_add_gradients(tfc_graph *g, const tfc_output *ys, int ny, const tfc_output *xs, int nx,
                                         const tfc_output *dys, tfc_output *dxs)
{
    if (!dxs) return tfci_error(TFC_INVALID_ARGUMENT, "tfc_graph_add_gradients: dxs is NULL");
    tfc_gradient *tmp = calloc(nx > 0 ? (size_t)nx : 1, sizeof *tmp);
    if (!tmp) return tfci_error(TFC_RESOURCE_EXHAUSTED, "out of memory");
    tfc_code c = tfc_graph_add_gradients_sparse(g, ys, ny, xs, nx, dys, tmp);
    for (int i = 0; !c && i < nx; i++) {
        if (is_sparse(&tmp[i])) {
            char scope[32];
            snprintf(scope, sizeof scope, "gradients_dense");
            tfc_graph_push_name_scope(g, scope);
            dxs[i] = densify(g, xs[i], &tmp[i]);
            tfc_graph_pop_name_scope(g);
            c = tfc_graph_status(g);
            if (c) tfc_graph_clear_error(g);
        } else {
            dxs[i] = tmp[i].dense;
        }
    }
    if (c)
        for (int i = 0; i < nx; i++) dxs[i] = TFCI_NO_OUTPUT;
    free(tmp);
    return c;
}
