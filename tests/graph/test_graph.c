#include <string.h>

#include "testutil.h"

static void test_names_scopes_lookup(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    int64_t dims[2] = {-1, 3};
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, dims, 2, "x");
    tfc_output x1 = tfc_placeholder(g, TFC_FLOAT, dims, 2, "x");
    TFCT_OK(tfc_graph_push_name_scope(g, "layer"));
    tfc_output y = tfc_identity(g, x, NULL);
    tfc_output y1 = tfc_identity(g, x, NULL);
    TFCT_OK(tfc_graph_pop_name_scope(g));
    TFCT_GRAPH_OK(g);
    CU_ASSERT_STRING_EQUAL(tfc_op_name(x.op), "x");
    CU_ASSERT_STRING_EQUAL(tfc_op_name(x1.op), "x_1");
    CU_ASSERT_STRING_EQUAL(tfc_op_name(y.op), "layer/Identity");
    CU_ASSERT_STRING_EQUAL(tfc_op_name(y1.op), "layer/Identity_1");
    CU_ASSERT_STRING_EQUAL(tfc_op_type(y.op), "Identity");
    CU_ASSERT_PTR_EQUAL(tfc_graph_op_by_name(g, "layer/Identity_1"), y1.op);
    CU_ASSERT_PTR_NULL(tfc_graph_op_by_name(g, "nope"));
    CU_ASSERT_EQUAL(tfc_graph_num_ops(g), 4);
    size_t pos = 0;
    int n = 0;
    while (tfc_graph_next_op(g, &pos)) n++;
    CU_ASSERT_EQUAL(n, 4);
    int64_t d[TFC_MAX_RANK];
    int rank;
    TFCT_OK(tfc_graph_output_shape(g, y, d, &rank));
    CU_ASSERT_EQUAL(rank, 2);
    CU_ASSERT_EQUAL(d[0], -1);
    CU_ASSERT_EQUAL(d[1], 3);
    CU_ASSERT_EQUAL(tfc_output_dtype(y), TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_op_num_inputs(y.op), 1);
    CU_ASSERT_PTR_EQUAL(tfc_op_input(y.op, 0).op, x.op);
    CU_ASSERT_EQUAL(tfc_graph_pop_name_scope(g), TFC_FAILED_PRECONDITION);
    tfc_graph_free(g);
}

static void test_attrs_roundtrip(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_op_builder *b = tfc_op_builder_new(g, "Placeholder", "p");
    int64_t dims[1] = {5};
    int64_t list[3] = {1, 2, 3};
    tfc_op_builder_set_attr_type(b, "dtype", TFC_INT32);
    tfc_op_builder_set_attr_shape(b, "shape", dims, 1);
    tfc_op_builder_set_attr_int(b, "i", 7);
    tfc_op_builder_set_attr_float(b, "f", 0.5f);
    tfc_op_builder_set_attr_bool(b, "b", true);
    tfc_op_builder_set_attr_string(b, "s", "hello");
    tfc_op_builder_set_attr_int_list(b, "l", list, 3);
    tfc_op *op;
    TFCT_OK(tfc_op_builder_finish(b, &op));
    int64_t i;
    float f;
    bool bb;
    const char *s;
    const int64_t *l;
    int n;
    tfc_dtype dt;
    TFCT_OK(tfc_op_attr_int(op, "i", &i));
    CU_ASSERT_EQUAL(i, 7);
    TFCT_OK(tfc_op_attr_float(op, "f", &f));
    CU_ASSERT_EQUAL(f, 0.5f);
    TFCT_OK(tfc_op_attr_bool(op, "b", &bb));
    CU_ASSERT_TRUE(bb);
    TFCT_OK(tfc_op_attr_string(op, "s", &s));
    CU_ASSERT_STRING_EQUAL(s, "hello");
    TFCT_OK(tfc_op_attr_int_list(op, "l", &l, &n));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(l[2], 3);
    TFCT_OK(tfc_op_attr_type(op, "dtype", &dt));
    CU_ASSERT_EQUAL(dt, TFC_INT32);
    CU_ASSERT_EQUAL(tfc_op_attr_int(op, "missing", &i), TFC_NOT_FOUND);
    CU_ASSERT_EQUAL(tfc_op_attr_int(op, "f", &i), TFC_INVALID_ARGUMENT);
    tfc_graph_free(g);
}

static void test_construction_errors(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_op *op;
    CU_ASSERT_EQUAL(tfc_op_builder_finish(tfc_op_builder_new(g, "NoSuchOp", "z"), &op), TFC_NOT_FOUND);
    TFCT_ERR_HAS("unknown op type 'NoSuchOp'");
    tfc_op_builder *b = tfc_op_builder_new(g, "Placeholder", "p");
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("missing attribute 'dtype'");
    TFCT_ERR_HAS("op 'p' (Placeholder)");
    b = tfc_op_builder_new(g, "Identity", "id");
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("expected 1 inputs, got 0");
    b = tfc_op_builder_new(g, "Placeholder", "bad name!");
    tfc_op_builder_set_attr_type(b, "dtype", TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_op_builder_finish(b, &op), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("invalid name");
    /* a variable needs a known shape */
    int64_t dims[1] = {-1};
    tfc_output p = tfc_placeholder(g, TFC_FLOAT, dims, 1, "p");
    tfc_output v = tfc_variable(g, p, "v");
    CU_ASSERT_PTR_NULL(v.op);
    CU_ASSERT_EQUAL(tfc_graph_status(g), TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), "not fully known"));
    /* sticky: later constructors do nothing */
    CU_ASSERT_PTR_NULL(tfc_identity(g, p, "later").op);
    CU_ASSERT_PTR_NULL(tfc_graph_op_by_name(g, "later"));
    tfc_graph_clear_error(g);
    CU_ASSERT_PTR_NOT_NULL(tfc_identity(g, p, "later").op);
    /* Assign needs a variable */
    CU_ASSERT_PTR_NULL(tfc_assign(g, p, p, "a").op);
    CU_ASSERT_PTR_NOT_NULL(strstr(tfc_graph_error_message(g), "must be a variable"));
    tfc_graph_free(g);
}

static void test_control_inputs(void)
{
    tfc_graph *g;
    TFCT_OK(tfc_graph_new(&g));
    tfc_op *a = tfc_no_op(g, "a");
    tfc_op *b = tfc_no_op(g, "b");
    tfc_op *ops[2] = {a, b};
    tfc_op *grp = tfc_group(g, ops, 2, "grp");
    TFCT_GRAPH_OK(g);
    CU_ASSERT_EQUAL(tfc_op_num_control_inputs(grp), 2);
    CU_ASSERT_PTR_EQUAL(tfc_op_control_input(grp, 1), b);
    CU_ASSERT_EQUAL(tfc_op_num_outputs(grp), 0);
    tfc_graph_free(g);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"names, scopes and lookup", test_names_scopes_lookup},
        {"attributes round-trip", test_attrs_roundtrip},
        {"construction errors", test_construction_errors},
        {"control inputs", test_control_inputs},
        {NULL, NULL},
    };
    return tfct_main("graph", cases);
}
