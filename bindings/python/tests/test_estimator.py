"""Canned estimators: the census wide & deep model reaches the C example's
accuracy, every estimator trains / evaluates / predicts / exports on small
data, inputs from CSV, NumPy and lists, and the errors of each."""

import os
import runpy

import pytest

import tfc
from tfc import errors
from conftest import SOURCE_ROOT, aslist, shared_data_dir

fc = tfc.feature_column
est_mod = tfc.estimator


def test_census_wide_deep_reaches_the_c_accuracy(monkeypatch):
    pytest.importorskip("numpy")
    data = shared_data_dir("census")
    if data is None:
        pytest.skip("census data not found ($TFC_SHARED_DATA/census or ../shared/data/census)")
    monkeypatch.setenv("TFC_SHARED_DATA", os.path.dirname(data))
    result = runpy.run_path(os.path.join(SOURCE_ROOT, "examples", "python", "census_wide_deep.py"))
    metrics = result["metrics"]
    # examples/census_estimator.c: accuracy 0.860, AUC 0.912 (3000 steps of 40, FTRL 0.05, Adagrad 0.05)
    assert metrics["accuracy"] >= 0.85, metrics
    assert metrics["auc"] >= 0.905, metrics
    assert metrics["global_step"] == 3000


def _xor_data(n=400):
    """Two features; label 1 when both are on the same side of 0.5."""
    import random
    rnd = random.Random(7)
    a = [rnd.random() for _ in range(n)]
    b = [rnd.random() for _ in range(n)]
    return {"a": a, "b": b}, [int((x > 0.5) == (y > 0.5)) for x, y in zip(a, b)]


def test_dnn_classifier_with_python_lists(tmp_path):
    x, y = _xor_data()
    cols = [fc.numeric_column("a"), fc.numeric_column("b")]
    est = est_mod.DNNClassifier([16, 16], cols, model_dir=str(tmp_path / "m"), optimizer=tfc.train.AdamOptimizer(0.02),
                                config=est_mod.RunConfig(tf_random_seed=3, log_step_count_steps=None))
    train = est_mod.inputs.dict_input_fn(x, y, batch_size=50, num_epochs=None, shuffle=True)
    est.train(train, steps=600)
    assert est.global_step == 600 and est.train_stats["steps"] == 600
    m = est.evaluate(est_mod.inputs.dict_input_fn(x, y, batch_size=100))
    assert m["accuracy"] > 0.9 and m["global_step"] == 600
    assert set(m) >= {"accuracy", "auc", "loss", "average_loss", "precision", "recall", "label/mean"}
    est.train(train, max_steps=650)
    assert est.global_step == 650
    preds = list(est.predict(est_mod.inputs.dict_input_fn({"a": [0.1, 0.9], "b": [0.1, 0.1]})))
    assert len(preds) == 2 and [aslist(p["classes"]) for p in preds] == [[b"1"], [b"0"]]
    assert sorted(preds[0]) == ["all_class_ids", "all_classes", "class_ids", "classes", "logistic", "logits",
                                "probabilities"]
    only = next(est.predict(est_mod.inputs.dict_input_fn({"a": [0.1], "b": [0.1]}), predict_keys="class_ids"))
    assert list(only) == ["class_ids"]
    assert est.latest_checkpoint().endswith("model.ckpt-650.tfc")


def test_multiclass_numpy_zero_copy_and_export(tmp_path):
    np = pytest.importorskip("numpy")
    rnd = np.random.RandomState(0)
    x = rnd.rand(300, 3).astype(np.float32)
    y = np.argmax(x, axis=1).astype(np.int64)
    words = np.array(["a", "b", "c"], dtype=object)[y]
    cols = [fc.numeric_column("x", shape=(3,)), fc.indicator_column(
        fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"]))]
    est = est_mod.DNNClassifier([8], cols, n_classes=3, label_vocabulary=["first", "second", "third"],
                                model_dir=str(tmp_path / "m"), optimizer="Adam")
    labels = np.array(["first", "second", "third"])[y]  # string labels map through label_vocabulary
    est.train(est_mod.inputs.numpy_input_fn({"x": x, "w": words}, labels, batch_size=30, num_epochs=20,
                                            shuffle=True), steps=None)
    assert est.global_step == 200  # 20 epochs of 10 batches: the input ended
    m = est.evaluate(est_mod.inputs.numpy_input_fn({"x": x, "w": words}, y, batch_size=100, shuffle=False))
    assert m["accuracy"] > 0.9 and set(m) == {"accuracy", "average_loss", "loss", "global_step"}
    path = est.export_saved_model(str(tmp_path / "export"))
    assert os.path.isdir(path)
    model = tfc.saved_model.load(path)
    out = model.run({"x": x[:4], "w": list(words[:4])})
    assert out["classes"].ravel().tolist() == [[b"first", b"second", b"third"][i] for i in y[:4]]
    assert "classification" in model.signatures


def test_regressors_and_baselines(tmp_path):
    xs = [i / 10.0 for i in range(50)]
    ys = [2.0 * v + 1.0 for v in xs]
    lin = est_mod.LinearRegressor([fc.numeric_column("x")], model_dir=str(tmp_path / "lin"),
                                  optimizer=tfc.train.FtrlOptimizer(0.5))
    lin.train(est_mod.inputs.dict_input_fn({"x": xs}, ys, batch_size=10, num_epochs=None, shuffle=True), steps=500)
    m = lin.evaluate(est_mod.inputs.dict_input_fn({"x": xs}, ys, batch_size=50))
    assert m["average_loss"] < 0.05 and set(m) == {"average_loss", "label/mean", "loss", "prediction/mean",
                                                   "global_step"}
    p = next(lin.predict(est_mod.inputs.dict_input_fn({"x": [1.0]})))
    assert p["predictions"][0] == pytest.approx(3.0, abs=0.3)
    base = est_mod.BaselineRegressor(model_dir=str(tmp_path / "base"), optimizer="SGD")
    base.train(lambda: ({"x": xs}, ys), steps=200)  # a plain input_fn returning (features, labels)
    pred = next(base.predict(lambda: {"x": [0.0]}))["predictions"]
    assert float(pred[0]) == pytest.approx(sum(ys) / len(ys), abs=0.5)
    cls = est_mod.BaselineClassifier(model_dir=str(tmp_path / "basec"), n_classes=3)
    cls.train(lambda: ({"x": xs}, [0] * 40 + [1] * 5 + [2] * 5), steps=100)
    assert cls.evaluate(lambda: ({"x": xs}, [0] * 50))["accuracy"] == 1.0
    wd = est_mod.DNNLinearCombinedRegressor(linear_feature_columns=[fc.numeric_column("x")],
                                            dnn_feature_columns=[fc.numeric_column("x")], dnn_hidden_units=[4],
                                            model_dir=str(tmp_path / "wd"))
    spec = est_mod.TrainSpec(est_mod.inputs.dict_input_fn({"x": xs}, ys, batch_size=10, num_epochs=None,
                                                          shuffle=True), max_steps=100)
    final, exports = est_mod.train_and_evaluate(wd, spec, est_mod.EvalSpec(
        est_mod.inputs.dict_input_fn({"x": xs}, ys, batch_size=50), steps=None, throttle_secs=0))
    assert final["global_step"] == 100 and exports == []


def test_csv_input_and_its_errors(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("1.0,red,yes\n2.0,blue,no\n3.5,?,yes\n0.5,red,no\n")
    names = ["x", "color", "label"]
    kw = dict(column_defaults=[[0.0], ["?"], [""]], label_name="label", na_value="?")
    est = est_mod.LinearClassifier([fc.numeric_column("x"), fc.categorical_column_with_vocabulary_list(
        "color", ["red", "blue"])], model_dir=str(tmp_path / "m"), label_vocabulary=["no", "yes"])
    est.train(tfc.data.make_csv_input_fn(str(csv), names, batch_size=2, num_epochs=None, shuffle=True, **kw),
              steps=20)
    m = est.evaluate(tfc.data.make_csv_input_fn(str(csv), names, batch_size=4, **kw))
    assert m["global_step"] == 20 and 0.0 <= m["accuracy"] <= 1.0
    # a label outside the vocabulary names the file, the line and the value
    bad = tmp_path / "bad.csv"
    bad.write_text("1.0,red,yes\n2.0,blue,maybe\n")
    with pytest.raises(errors.InvalidArgumentError, match=r"bad.csv:2.*maybe"):
        est.evaluate(tfc.data.make_csv_input_fn(str(bad), names, **kw))
    bad.write_text("1.0,red,yes\nabc,blue,no\n")
    with pytest.raises(errors.InvalidArgumentError, match=r"bad.csv:2.*'x'"):
        est.evaluate(tfc.data.make_csv_input_fn(str(bad), names, **kw))
    with pytest.raises(errors.NotFoundError, match="nothing.csv"):
        tfc.data.make_csv_input_fn(str(tmp_path / "nothing.csv"), names, **kw)
    with pytest.raises(ValueError, match="label_name 'y' is not one of the columns"):
        tfc.data.make_csv_input_fn(str(csv), names, [[0.0], [""], [""]], label_name="y")
    with pytest.raises(ValueError, match="2 column_defaults for 3 column_names"):
        tfc.data.make_csv_input_fn(str(csv), names, [[0.0], [""]])
    feats, labels = tfc.data.read_csv(str(csv), names, label_vocabulary=["no", "yes"], **kw)
    assert aslist(labels) == [1, 0, 1, 0]
    assert aslist(feats["color"]) == [b"red", b"blue", b"?", b"red"]


def test_estimator_errors(tmp_path):
    cols = [fc.numeric_column("a")]
    d = str(tmp_path / "m")
    with pytest.raises(errors.InvalidArgumentError, match="hidden"):
        est_mod.DNNClassifier([], cols, model_dir=d)
    with pytest.raises(errors.InvalidArgumentError, match="gender"):
        est_mod.DNNClassifier([4], [fc.categorical_column_with_vocabulary_list("gender", ["F", "M"])], model_dir=d)
    with pytest.raises(ValueError, match="unsupported optimizer 'RMSProp'"):
        est_mod.LinearClassifier(cols, model_dir=d, optimizer="RMSProp")
    with pytest.raises(ValueError, match="activation_fn"):
        est_mod.DNNRegressor([4], cols, model_dir=d, activation_fn=tfc.nn.softmax)
    with pytest.raises(ValueError, match="differs from config.model_dir"):
        est_mod.LinearRegressor(cols, model_dir=d, config=est_mod.RunConfig(model_dir=d + "x"))
    with pytest.raises(errors.InvalidArgumentError, match="label_vocabulary"):
        est_mod.LinearClassifier(cols, model_dir=d, n_classes=3, label_vocabulary=["a", "b"])
    est = est_mod.LinearClassifier(cols, model_dir=d, optimizer=tfc.train.GradientDescentOptimizer(0.1))
    x = {"a": [1.0, 2.0]}
    with pytest.raises(errors.FailedPreconditionError):
        est.evaluate(est_mod.inputs.dict_input_fn(x, [0, 1]))  # no checkpoint yet
    with pytest.raises(ValueError, match="both steps and max_steps"):
        est.train(est_mod.inputs.dict_input_fn(x, [0, 1]), steps=1, max_steps=2)
    with pytest.raises(ValueError, match="steps > 0"):
        est.train(est_mod.inputs.dict_input_fn(x, [0, 1]), steps=0)
    with pytest.raises(errors.OpError, match="'a'"):
        est.train(est_mod.inputs.dict_input_fn({"b": [1.0]}, [0]), steps=1)  # the feature the model reads is absent
    with pytest.raises(errors.OpError, match="'a'"):
        est.train(est_mod.inputs.dict_input_fn({"a": ["x", "y"]}, [0, 1]), steps=1)  # wrong dtype
    with pytest.raises(errors.InvalidArgumentError):
        est.train(est_mod.inputs.dict_input_fn(x, [0, 5]), steps=1)  # label out of range
    with pytest.raises(ValueError, match="shuffle must be given"):
        est_mod.inputs.numpy_input_fn(x, [0, 1])
    with pytest.raises(TypeError, match="non-empty dict"):
        est_mod.inputs.dict_input_fn([1.0, 2.0], [0, 1])
    with pytest.raises(TypeError, match="input_fn must be callable"):
        est.train(42, steps=1)
    named = est_mod.LinearClassifier(cols, model_dir=str(tmp_path / "n"), label_vocabulary=["no", "yes"])
    with pytest.raises(ValueError, match="'maybe' of example 1 is not in label_vocabulary"):
        named.train(est_mod.inputs.dict_input_fn(x, ["no", "maybe"]), steps=1)
    endless = est_mod.inputs.dict_input_fn(x, [0, 1], num_epochs=None)
    est.train(endless, steps=2)
    with pytest.raises(ValueError, match="never ends"):
        est.evaluate(endless)
    with pytest.raises(ValueError, match="never ends"):
        est.predict(endless)
    assert est.evaluate(endless, steps=3)["global_step"] == 2
    with pytest.raises(NotImplementedError, match="hooks"):
        est.train(est_mod.inputs.dict_input_fn(x, [0, 1]), hooks=[object()])


def test_weight_column_and_run_config(tmp_path):
    x = {"a": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 0.0, 0.0, 0.0]}
    cfg = est_mod.RunConfig(model_dir=str(tmp_path / "m"), tf_random_seed=5, save_checkpoints_steps=2,
                            keep_checkpoint_max=1, save_summary_steps=None, num_threads=1)
    est = est_mod.LinearClassifier([fc.numeric_column("a")], weight_column=fc.numeric_column("w"), config=cfg)
    est.train(est_mod.inputs.dict_input_fn(x, [0, 1, 1, 1], batch_size=2, num_epochs=2), steps=None)
    assert est.global_step == 4 and est.config.model_dir == str(tmp_path / "m")
    assert sorted(f for f in os.listdir(est.model_dir) if f.endswith(".tfc")) == ["model.ckpt-4.tfc"]
    m = est.evaluate(est_mod.inputs.dict_input_fn(x, [0, 1, 1, 1]))
    assert m["label/mean"] == 0.0  # only the first example has weight
    with pytest.raises(ValueError, match="at most one of save_checkpoints_steps"):
        est_mod.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
