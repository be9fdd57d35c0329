/* libFuzzer target for GraphDef import (tfc_graph_import_graph_def).
 *
 * Each input is imported twice: into a fresh graph, and with a prefix into a
 * graph that already has ops (the all-or-nothing path with its scratch pass).
 * Checked: a failure names the source and leaves the graph exactly as it was
 * (same op count, same serialization); a success serializes, and importing
 * that serialization gives a graph that serializes to the same bytes again.
 *
 * Seeds: run once with TFC_FUZZ_WRITE_SEEDS=DIR to write a few valid
 * GraphDefs (every attribute kind, control inputs, variables, random ops)
 * into DIR, e.g.
 *     TFC_FUZZ_WRITE_SEEDS=seeds ./fuzz_graph_def -runs=0 && ./fuzz_graph_def corpus seeds
 * Build (from the source tree; BUILD is a meson build directory, whose
 * BUILD/src/libtfc_objects.a.p holds the protoc-c output):
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DTFC_BUILDING_LIBRARY -Iinclude -Isrc
 *       -IBUILD/src/libtfc_objects.a.p LIBRARY_SOURCES GENERATED_PB_C_SOURCES fuzz/fuzz_graph_def.c
 *       -lopenblas -lz -lm -lpthread -lprotobuf-c -o fuzz_graph_def
 * where LIBRARY_SOURCES are the .c files of src/meson.build and src/io/meson.build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfc/graph_def.h"
#include "tfc/tfc.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_graph_def: check failed: %s (line %d), last error: %s\n", #cond, __LINE__,           \
                    tfc_last_error());                                                                                 \
            __builtin_trap();                                                                                          \
        }                                                                                                              \
    } while (0)

static tfc_buffer *serialize(const tfc_graph *g)
{
    tfc_buffer *b = NULL;
    CHECK(tfc_graph_to_graph_def(g, &b) == TFC_OK);
    return b;
}

static bool same(const tfc_buffer *a, const tfc_buffer *b)
{
    return tfc_buffer_size(a) == tfc_buffer_size(b) &&
           memcmp(tfc_buffer_data(a), tfc_buffer_data(b), tfc_buffer_size(a)) == 0;
}

/* ---- seeds ---- */

static void write_seed(const char *dir, const char *name, const tfc_graph *g)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tfc_graph_write_graph_def_file(g, path) != TFC_OK) fprintf(stderr, "seed %s: %s\n", path, tfc_last_error());
}

static void write_seeds(const char *dir)
{
    tfc_graph *g;
    int64_t d23[2] = {2, 3}, d3[1] = {3}, u[1] = {-1};
    float v[6] = {1, 2, 3, 4, 5, 6};

    /* a small network: placeholder, variables, matmul, activations, a loss, gradients, an optimizer */
    tfc_graph_new(&g);
    tfc_graph_set_seed(g, 3);
    tfc_output x = tfc_placeholder(g, TFC_FLOAT, d23, 2, "x");
    int64_t d32[2] = {3, 2};
    tfc_output w = tfc_variable(g, tfc_random_uniform(g, TFC_FLOAT, d32, 2, -1, 1, 0, NULL), "w");
    tfc_output y = tfc_relu(g, tfc_matmul(g, x, w, false, false, NULL), "y");
    tfc_output l = tfc_reduce_mean(g, tfc_dropout(g, y, 0.5f, 7, NULL), NULL, 0, false, "loss");
    tfc_optimizer *opt;
    tfc_optimizer_gradient_descent_new(0.1, &opt);
    tfc_op *train;
    tfc_optimizer_minimize(opt, g, l, NULL, 0, true, &train);
    tfc_optimizer_free(opt);
    tfc_global_variables_initializer(g);
    write_seed(dir, "network.pb", g);
    tfc_graph_free(g);

    /* every attribute kind and constant dtype */
    tfc_graph_new(&g);
    tfc_op_builder *b = tfc_op_builder_new(g, "NoOp", "attrs");
    int64_t il[2] = {1, -2};
    float fl[2] = {0.5f, 2};
    tfc_dtype tl[2] = {TFC_INT32, TFC_BOOL};
    const char *sl[2] = {"a", "bc"};
    tfc_op_builder_set_attr_int(b, "i", 5);
    tfc_op_builder_set_attr_float(b, "f", 1.5f);
    tfc_op_builder_set_attr_bool(b, "b", true);
    tfc_op_builder_set_attr_type(b, "t", TFC_DOUBLE);
    tfc_op_builder_set_attr_string(b, "s", "str");
    tfc_op_builder_set_attr_shape(b, "shape", u, 1);
    tfc_op_builder_set_attr_shape(b, "unknown", NULL, -1);
    tfc_op_builder_set_attr_int_list(b, "il", il, 2);
    tfc_op_builder_set_attr_float_list(b, "fl", fl, 2);
    tfc_op_builder_set_attr_type_list(b, "tl", tl, 2);
    tfc_op_builder_set_attr_string_list(b, "sl", sl, 2);
    tfc_op *attrs;
    tfc_op_builder_finish(b, &attrs);
    tfc_output c = tfc_const_array(g, TFC_FLOAT, d23, 2, v, "c");
    int32_t iv[3] = {1, -1, 7};
    tfc_const_array(g, TFC_INT32, d3, 1, iv, "ci");
    bool bv[3] = {true, false, true};
    tfc_const_array(g, TFC_BOOL, d3, 1, bv, "cb");
    tfc_tensor *st;
    const char *strs[3] = {"x", "", "yz"};
    tfc_tensor_new_strings(d3, 1, strs, NULL, &st);
    tfc_const(g, st, "cs");
    tfc_tensor_free(st);
    tfc_output sp = tfc_split(g, c, 1, 3, "split");
    tfc_op_builder *bb = tfc_op_builder_new(g, "AddN", "sum");
    tfc_op_builder_add_input(bb, sp);
    tfc_op_builder_add_input(bb, tfc_op_output(sp.op, 2));
    tfc_op_builder_add_control_input(bb, attrs);
    tfc_op_builder_finish(bb, NULL);
    write_seed(dir, "attrs.pb", g);
    tfc_graph_free(g);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("TFC_FUZZ_WRITE_SEEDS");
    if (dir && *dir) write_seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* into a fresh graph */
    tfc_graph *g;
    CHECK(tfc_graph_new(&g) == TFC_OK);
    tfc_code c = tfc_graph_import_graph_def(g, data, size, NULL);
    if (c != TFC_OK) {
        CHECK(strncmp(tfc_last_error(), "graph_def buffer", 16) == 0);
        CHECK(tfc_graph_num_ops(g) == 0);
        CHECK(tfc_graph_num_variables(g) == 0);
    } else {
        /* serialize(import(serialize(import(x)))) == serialize(import(x)) */
        tfc_buffer *b1 = serialize(g);
        tfc_graph *h;
        CHECK(tfc_graph_new(&h) == TFC_OK);
        CHECK(tfc_graph_import_graph_def(h, tfc_buffer_data(b1), tfc_buffer_size(b1), NULL) == TFC_OK);
        tfc_buffer *b2 = serialize(h);
        CHECK(same(b1, b2));
        CHECK(tfc_graph_num_ops(h) == tfc_graph_num_ops(g));
        tfc_buffer_free(b1);
        tfc_buffer_free(b2);
        tfc_graph_free(h);
    }
    tfc_graph_free(g);

    /* with a prefix into a graph that has ops: all or nothing */
    CHECK(tfc_graph_new(&g) == TFC_OK);
    tfc_const_float(g, 1, "existing");
    tfc_buffer *before = serialize(g);
    c = tfc_graph_import_graph_def(g, data, size, "p");
    if (c != TFC_OK) {
        tfc_buffer *after = serialize(g);
        CHECK(same(before, after));
        tfc_buffer_free(after);
    }
    tfc_buffer_free(before);
    tfc_graph_free(g);
    return 0;
}
