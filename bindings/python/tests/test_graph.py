"""Graphs, op constructors, sessions and their errors."""

import pytest

import tfc
from tfc import _lib, _ops, errors
from conftest import aslist


def run(fetches, feed=None):
    with tfc.Session() as s:
        v = s.run(fetches, feed)
    return v


def test_every_c_constructor_has_a_wrapper():
    import re
    import glob
    from conftest import SOURCE_ROOT
    declared = set()
    for h in glob.glob(SOURCE_ROOT + "/include/tfc/ops_*.h"):
        declared |= set(re.findall(r"TFC_API tfc_(?:output|op \*)\s*(tfc_\w+)\(", open(h).read()))
    wrapped = {e[0] for e in _ops._OPS} | {"tfc_const", "tfc_placeholder", "tfc_variable", "tfc_slice",
                                           "tfc_strided_slice", "tfc_pad", "tfc_lookup_vocab",
                                           "tfc_lookup_vocab_ints", "tfc_group", "tfc_const_float",
                                           "tfc_const_double", "tfc_const_int32", "tfc_const_int64",
                                           "tfc_const_array"} | set(_lib._PROTOTYPES)
    assert declared, "no constructors found in include/tfc/ops_*.h"
    assert declared - wrapped == set()


def test_math_and_operators(graph):
    x = tfc.constant([[1.0, 2.0], [3.0, 4.0]])
    y = tfc.constant([[2.0, 0.5], [1.0, -1.0]])
    got = run([x + y, x - 1, 2 * x, x / y, -x, abs(-x), x ** 2, x @ y, x > 2.5, x[1], x[:, 0], x[..., -1],
               tfc.maximum(x, y), tfc.squared_difference(x, y), tfc.add_n([x, y, x]),
               tfc.where(x > 2, x, y), tfc.sqrt(x), tfc.log1p(x), tfc.sign(-x)])
    got = aslist(got)
    assert got[0] == [[3, 2.5], [4, 3]]
    assert got[1] == [[0, 1], [2, 3]]
    assert got[2] == [[2, 4], [6, 8]]
    assert got[3] == [[0.5, 4], [3, -4]]
    assert got[4] == [[-1, -2], [-3, -4]] and got[5] == [[1, 2], [3, 4]]
    assert got[6] == [[1, 4], [9, 16]]
    assert got[7] == [[4, -1.5], [10, -2.5]]
    assert got[8] == [[False, False], [True, True]]
    assert got[9] == [3, 4] and got[10] == [1, 3] and got[11] == [2, 4]
    assert got[12] == [[2, 2], [3, 4]] and got[13] == [[1, 2.25], [4, 25]]
    assert got[14] == [[4, 4.5], [7, 7]] and got[15] == [[2, 0.5], [3, 4]]
    assert abs(got[16][1][1] - 2.0) < 1e-6 and abs(got[17][0][0] - 0.6931472) < 1e-6
    assert got[18] == [[-1, -1], [-1, -1]]


def test_nn_reduce_array_ops(graph):
    logits = tfc.constant([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    labels = tfc.constant([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    sm = tfc.nn.softmax(logits)
    xent = tfc.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    sxent = tfc.nn.sparse_softmax_cross_entropy_with_logits(labels=tfc.constant([2, 0], tfc.int64), logits=logits)
    got = aslist(run([sm, xent, sxent, tfc.reduce_sum(logits, axis=1), tfc.reduce_mean(logits, keep_dims=True),
                      tfc.argmax(logits, 1), tfc.cast(tfc.argmax(logits, 1), tfc.int32), tfc.reshape(logits, [-1]),
                      tfc.transpose(logits), tfc.concat([logits, labels], 0), tfc.expand_dims(logits, 0),
                      tfc.one_hot(tfc.constant([0, 2]), 3), tfc.shape(logits), tfc.tile(tfc.constant([1, 2]), [2]),
                      tfc.gather(logits, tfc.constant([1]), axis=0), tfc.slice(logits, [0, 1], [2, -1]),
                      tfc.pad(tfc.constant([[1]]), [[1, 0], [0, 1]]), tfc.range(5), tfc.zeros_like(logits),
                      tfc.nn.relu(logits - 2), tfc.nn.leaky_relu(logits - 2), tfc.nn.l2_loss(labels)]))
    assert abs(sum(got[0][0]) - 1) < 1e-6 and got[0][1] == pytest.approx([1 / 3] * 3)
    assert got[1] == pytest.approx([0.4076059, 1.0986123]) and got[2] == pytest.approx(got[1])
    assert got[3] == [6, 3] and got[4] == [[1.5]] and got[5] == [2, 0] and got[6] == [2, 0]
    assert got[7] == [1, 2, 3, 1, 1, 1] and got[8] == [[1, 1], [2, 1], [3, 1]]
    assert len(got[9]) == 4 and got[10] == [[[1, 2, 3], [1, 1, 1]]]
    assert got[11] == [[1, 0, 0], [0, 0, 1]] and got[12] == [2, 3] and got[13] == [1, 2, 1, 2]
    assert got[14] == [[1, 1, 1]] and got[15] == [[2, 3], [1, 1]] and got[16] == [[0, 0], [1, 0]]
    assert got[17] == [0, 1, 2, 3, 4] and got[18] == [[0] * 3] * 2
    assert got[19] == [[0, 0, 1], [0, 0, 0]] and got[20][0] + got[20][1] == pytest.approx([-0.2, 0, 1, -0.2, -0.2, -0.2])
    assert got[21] == 1.0
    parts = tfc.split(tfc.constant([1, 2, 3, 4]), 2)
    assert len(parts) == 2 and aslist(run(parts)) == [[1, 2], [3, 4]]


def test_feature_ops(graph):
    s = tfc.constant(["b", "zz", "a"])
    got = aslist(run([tfc.lookup_vocab(s, ["a", "b"], default_value=7), tfc.bucketize(tfc.constant([0.5, 2.0]), [1.0]),
                      tfc.string_to_number(tfc.constant(["1.5", " 2"])), tfc.string_to_hash_bucket_fast(s, 10),
                      tfc.identity_buckets(tfc.constant([1, 9], tfc.int64), 5, 0),
                      tfc.hashed_cross([s, s], 100)]))
    assert got[0] == [1, 7, 0] and got[1] == [0, 1] and got[2] == [1.5, 2.0]
    assert all(0 <= v < 10 for v in got[3]) and got[4] == [1, 0] and all(0 <= v < 100 for v in got[5])


def test_placeholder_feed_and_names(graph):
    x = tfc.placeholder(tfc.float32, [None, 2], name="x")
    with tfc.name_scope("layer"):
        y = tfc.multiply(x, 3.0, name="y")
    assert y.name == "layer/y:0" and x.name == "x:0"
    assert x.shape == [None, 2] and y.shape.as_list() == [None, 2] and x.dtype == tfc.float32
    assert graph.get_tensor_by_name("layer/y:0") == y
    assert graph.get_operation_by_name("x").type == "Placeholder"
    assert graph.get_operation_by_name("layer/y").inputs[0] == x
    with tfc.Session() as s:
        assert aslist(s.run("layer/y:0", {"x:0": [[1, 2]]})) == [[3, 6]]
    assert tfc.placeholder(tfc.float32).shape.ndims is None
    with pytest.raises(KeyError, match="no operation named 'nope'"):
        graph.get_operation_by_name("nope")
    with pytest.raises(ValueError, match="not a tensor name"):
        graph.get_tensor_by_name("x")


def test_bad_shapes_raise_at_the_constructor(graph):
    a = tfc.constant([[1.0, 2.0, 3.0]])
    with pytest.raises(errors.InvalidArgumentError) as e:
        tfc.matmul(a, a)
    assert "MatMul" in str(e.value) and "3" in str(e.value)
    # the sticky error was cleared: the graph goes on
    assert aslist(run(tfc.matmul(a, a, transpose_b=True))) == [[14.0]]
    with pytest.raises(errors.InvalidArgumentError):
        tfc.add(tfc.constant([1.0, 2.0]), tfc.constant([1.0, 2.0, 3.0]))
    with pytest.raises(errors.InvalidArgumentError):
        tfc.reshape(a, [2, 2])
    with pytest.raises(errors.InvalidArgumentError, match="must have the same dtype"):
        tfc.add(tfc.constant([1.0]), tfc.constant([1], tfc.int32))
    with pytest.raises(TypeError, match="unexpected keyword"):
        tfc.matmul(a, a, transposed=True)


def test_run_time_errors(graph):
    x = tfc.placeholder(tfc.float32, [None, 2], name="x")
    y = x * 2.0
    i = tfc.placeholder(tfc.int32, [None], name="i")
    with tfc.Session() as s:
        with pytest.raises(errors.InvalidArgumentError, match="x"):
            s.run(y, {x: [[1.0, 2.0, 3.0]]})  # wrong shape
        with pytest.raises(errors.OpError) as e:
            s.run(y)  # not fed
        assert "x" in str(e.value)
        with pytest.raises(TypeError, match="feeding i:0"):
            s.run(i, {i: [1.5]})  # wrong dtype
        with pytest.raises(TypeError, match="feeding x:0"):
            s.run(y, {x: [["a", "b"]]})
        with pytest.raises(errors.InvalidArgumentError):
            s.run(tfc.gather(tfc.constant([1, 2]), tfc.constant([5])))  # index out of range
        with pytest.raises(TypeError, match="cannot fetch"):
            s.run(42)
        with pytest.raises(KeyError):
            s.run("nope:0")
    with pytest.raises(RuntimeError, match="closed Session"):
        s.run(y, {x: [[1.0, 2.0]]})
    with tfc.Graph():
        other = tfc.constant(1.0)
    with pytest.raises(ValueError, match="another graph"):
        tfc.add(x, other)
    with pytest.raises(ValueError, match="not an element of this session's graph"):
        tfc.Session().run(other)


def test_variables_gradients_and_initializers(graph):
    w = tfc.Variable([[1.0, 2.0]], name="w")
    b = tfc.Variable(0.5, trainable=False)
    x = tfc.placeholder(tfc.float32, [2, 1])
    y = tfc.reduce_sum(tfc.matmul(w, x) + b)
    dw, db, none = tfc.gradients(y, [w, b, tfc.constant(1.0)])
    assert none is None
    assert [v.op.name for v in tfc.global_variables()] == ["w", b.op.name]
    assert [v.op.name for v in tfc.trainable_variables()] == ["w"]
    init = tfc.global_variables_initializer()
    with tfc.Session() as s:
        with pytest.raises(errors.OpError):
            s.run(y, {x: [[1.0], [1.0]]})  # not initialized
        init.run()
        assert aslist(s.run([dw, db], {x: [[3.0], [4.0]]})) == [[[3.0, 4.0]], 1.0]
        s.run(w.assign([[2.0, 2.0]]))
        assert aslist(w.eval()) == [[2.0, 2.0]]
        w.load([[0.0, 1.0]])
        assert aslist(s.variable_value(w)) == [[0.0, 1.0]]
        s.run(b.assign_add(1.0))
        assert float(s.run(b)) == 1.5
        with pytest.raises(errors.InvalidArgumentError):
            w.load([[1.0, 2.0, 3.0]])


def test_create_op_and_attrs(graph):
    a = tfc.constant([1.0, 4.0])
    op = graph.create_op("Sqrt", [a], name="root")
    assert op.name == "root" and aslist(run(op.outputs[0])) == [1.0, 2.0]
    ph = tfc.placeholder(tfc.int64, [3, None], name="p")
    assert ph.op.get_attr("dtype") == tfc.int64
    assert ph.op.get_attr("shape") == [3, None]
    with pytest.raises(ValueError, match="no attribute"):
        ph.op.get_attr("nonexistent")
    with pytest.raises(errors.NotFoundError, match="NoSuchOp"):
        graph.create_op("NoSuchOp", [a])


def test_graph_def_round_trip(tmp_path, graph):
    x = tfc.placeholder(tfc.float32, [None], name="x")
    tfc.multiply(x, 2.0, name="y")
    data = graph.as_graph_def()
    graph.write_graph(str(tmp_path / "g.pb"))
    with tfc.Graph() as g2:
        g2.import_graph_def(data, name="imported")
        g2.import_graph_def(str(tmp_path / "g.pb"), name="again")
        with tfc.Session() as s:
            assert aslist(s.run("imported/y:0", {"imported/x:0": [1.0, 2.0]})) == [2.0, 4.0]
    with pytest.raises(errors.InvalidArgumentError):
        tfc.Graph().import_graph_def(b"\xff\xff garbage")


def test_default_graph_and_sessions():
    tfc.reset_default_graph()
    g = tfc.get_default_graph()
    c = tfc.constant(3)
    assert c.graph is g
    with tfc.Graph() as inner:
        assert tfc.get_default_graph() is inner
        with pytest.raises(AssertionError):
            tfc.reset_default_graph()
    assert tfc.get_default_graph() is g
    with pytest.raises(ValueError, match="no default session"):
        c.eval()
    sess = tfc.InteractiveSession()
    assert int(c.eval()) == 3 and tfc.get_default_session() is sess
    sess.close()
    assert tfc.get_default_session() is None
    with pytest.raises(TypeError, match="Python bool"):
        bool(c)
    tfc.reset_default_graph()
    assert tfc.get_default_graph() is not g
