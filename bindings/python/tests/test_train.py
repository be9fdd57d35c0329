"""Optimizers, the global step, checkpoints and exported models."""

import os

import pytest

import tfc
from tfc import errors
from conftest import aslist


def _quadratic():
    """loss = sum((w - [3, -1])^2), minimum at w = [3, -1]."""
    w = tfc.Variable([0.0, 0.0], name="w")
    loss = tfc.reduce_sum(tfc.square(w - tfc.constant([3.0, -1.0])))
    return w, loss


@pytest.mark.parametrize("make, steps", [
    (lambda: tfc.train.GradientDescentOptimizer(0.1), 100),
    (lambda: tfc.train.MomentumOptimizer(0.05, 0.9), 200),
    (lambda: tfc.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True), 200),
    (lambda: tfc.train.AdagradOptimizer(1.0), 300),
    (lambda: tfc.train.FtrlOptimizer(1.0), 300),
    (lambda: tfc.train.AdamOptimizer(0.1), 300),
], ids=["sgd", "momentum", "nesterov", "adagrad", "ftrl", "adam"])
def test_optimizers_minimize(make, steps, graph):
    w, loss = _quadratic()
    step = tfc.train.get_or_create_global_step()
    opt = make()
    train_op = opt.minimize(loss, global_step=step)
    with tfc.Session() as s:
        s.run(tfc.global_variables_initializer())
        for _ in range(steps):
            s.run(train_op)
        got = aslist(s.run(w))
        assert got == pytest.approx([3.0, -1.0], abs=0.05), opt.get_name()
        assert int(s.run(step)) == steps


def test_slots_compute_and_apply_gradients(graph):
    w, loss = _quadratic()
    opt = tfc.train.AdagradOptimizer(0.5, initial_accumulator_value=0.25)
    grads = opt.compute_gradients(loss)
    assert [v.op.name for _, v in grads] == ["w"]
    train_op = opt.apply_gradients(grads)
    acc = opt.get_slot(w, "accumulator")
    assert acc is not None and opt.get_slot(w, "nonexistent") is None
    with tfc.Session() as s:
        s.run(tfc.global_variables_initializer())
        s.run(train_op)
        # accum = 0.25 + g^2 with g = 2 * (0 - target)
        assert aslist(s.run(acc)) == pytest.approx([0.25 + 36.0, 0.25 + 4.0])
    with pytest.raises(ValueError, match="no gradients"):
        opt.apply_gradients([(None, w)])


def test_sparse_gradients_update_touched_rows(graph):
    params = tfc.Variable([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    ids = tfc.constant([2, 0], tfc.int64)
    seg = tfc.constant([0, 1], tfc.int64)
    emb = tfc.nn.embedding_lookup_sparse(params, ids, seg, tfc.constant(2, tfc.int64), combiner="sum")
    train_op = tfc.train.GradientDescentOptimizer(1.0).minimize(tfc.reduce_sum(emb))
    with tfc.Session() as s:
        s.run(tfc.global_variables_initializer())
        s.run(train_op)
        assert aslist(s.run(params)) == [[0.0, 0.0], [2.0, 2.0], [2.0, 2.0]]


def test_saver_save_restore_latest(tmp_path, graph):
    w, loss = _quadratic()
    step = tfc.train.get_or_create_global_step()
    train_op = tfc.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    saver = tfc.train.Saver(max_to_keep=2)
    assert tfc.train.latest_checkpoint(str(tmp_path)) is None
    with tfc.Session() as s:
        s.run(tfc.global_variables_initializer())
        paths = []
        for _ in range(3):
            s.run(train_op)
            paths.append(saver.save(s, str(tmp_path / "model.ckpt"), global_step=step))
        assert paths[-1].endswith("model.ckpt-3.tfc") and os.path.exists(paths[-1])
        assert not os.path.exists(paths[0])  # max_to_keep
        assert tfc.train.latest_checkpoint(str(tmp_path)) == paths[-1]
        saved = aslist(s.run(w))
        s.run(train_op)
        saver.restore(s, paths[-1])
        back = aslist(s.run(w))
        assert back == saved
        with pytest.raises(errors.NotFoundError):
            saver.restore(s, str(tmp_path / "missing.tfc"))
        with pytest.raises(ValueError, match="save_path is None"):
            saver.restore(s, None)
    # a saver for a renamed variable restores by checkpoint name
    with tfc.Graph():
        v = tfc.Variable([0.0, 0.0], name="renamed")
        with tfc.Session() as s:
            tfc.train.Saver({"w": v}).restore(s, paths[-1])
            assert aslist(s.run(v)) == saved
    # a variable of another shape: all or nothing, the message names it
    with tfc.Graph():
        tfc.Variable([0.0, 0.0, 0.0], name="w")
        with tfc.Session() as s:
            with pytest.raises(errors.InvalidArgumentError, match="w"):
                tfc.train.Saver().restore(s, paths[-1])


def test_saved_model_export_load_run(tmp_path, graph):
    x = tfc.placeholder(tfc.float32, [None, 2], name="x")
    w = tfc.Variable([[1.0], [2.0]])
    y = tfc.matmul(x, w, name="y")
    with tfc.Session() as s:
        s.run(tfc.global_variables_initializer())
        s.run(w.assign([[3.0], [4.0]]))
        path = tfc.saved_model.simple_save(s, str(tmp_path / "export"), {"x": x}, {"y": y})
        with pytest.raises(errors.AlreadyExistsError):
            tfc.saved_model.simple_save(s, path, {"x": x}, {"y": y})
    with tfc.saved_model.load(path) as m:
        sig = m.signatures["serving_default"]
        assert list(sig.inputs) == ["x"] and sig.inputs["x"].shape == [None, 2]
        assert sig.outputs["y"].dtype == tfc.float32
        out = m.run({"x": [[1.0, 1.0], [0.0, 1.0]]})
        assert aslist(out["y"]) == [[7.0], [4.0]]
        # the model's session and graph are usable directly
        assert aslist(m.session.run(m.graph.get_tensor_by_name("y:0"), {"x:0": [[1.0, 0.0]]})) == [[3.0]]
        with pytest.raises(errors.NotFoundError, match="serving_default"):
            m.run({"x": [[1.0, 1.0]]}, signature_key="nope")
        with pytest.raises(errors.OpError, match="x"):
            m.run({"nope": [[1.0, 1.0]]})
        g = m.graph
        y_op = g.get_operation_by_name("y")
    with pytest.raises(ValueError, match="freed"):
        g.get_operations()
    with pytest.raises(ValueError, match="freed"):
        y_op.name  # no use of the freed model's memory
    with pytest.raises(ValueError, match="freed"):
        y_op.outputs[0].dtype
    with pytest.raises(errors.NotFoundError):
        tfc.saved_model.load(str(tmp_path / "no_export"))
