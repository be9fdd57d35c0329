"""Feature columns: TensorFlow's constructors, names, sizes, errors, and
compiling them into a graph (input_layer, linear_model)."""

import pytest

import tfc
from tfc import errors

fc = tfc.feature_column


def test_columns_names_and_sizes(tmp_path):
    age = fc.numeric_column("age")
    assert age.name == "age" and age.dimension == 1 and age.is_dense and age.default_value is None
    vec = fc.numeric_column("v", shape=(2, 3), default_value=0.5, dtype=tfc.int64)
    assert vec.dimension == 6 and vec.default_value == (0.5,) * 6
    b = fc.bucketized_column(age, [18, 30, 65])
    assert b.name == "age_bucketized" and b.num_buckets == 4 and b.dimension == 4
    g = fc.categorical_column_with_vocabulary_list("gender", ["F", "M"], num_oov_buckets=2)
    assert g.num_buckets == 4 and not g.is_dense and g.dimension == 0
    vocab_file = tmp_path / "v.txt"
    vocab_file.write_text("a\nb\nc\n")
    vf = fc.categorical_column_with_vocabulary_file("letter", str(vocab_file))
    assert vf.num_buckets == 3
    assert fc.categorical_column_with_vocabulary_file("letter", str(vocab_file), vocabulary_size=2).num_buckets == 2
    h = fc.categorical_column_with_hash_bucket("occupation", 100)
    ident = fc.categorical_column_with_identity("id", 10, default_value=0)
    x = fc.crossed_column([b, "occupation"], 1000)
    assert x.name == "age_bucketized_X_occupation" and x.num_buckets == 1000
    e = fc.embedding_column(h, 8, combiner="sqrtn", initializer=tfc.feature_column.truncated_normal_initializer(
        stddev=0.1, seed=3))
    assert e.name == "occupation_embedding" and e.dimension == 8
    i = fc.indicator_column(g)
    assert i.name == "gender_indicator" and i.dimension == 4
    w = fc.weighted_categorical_column(ident, "weight")
    assert w.name == "id_weighted_by_weight" and w.num_buckets == 10
    del age, g, h  # composed columns keep their inputs alive
    assert b.num_buckets == 4 and e.dimension == 8 and i.dimension == 4


def test_column_errors(tmp_path):
    with pytest.raises(errors.InvalidArgumentError, match="'bad'"):
        fc.numeric_column("bad", shape=(0,))
    with pytest.raises(ValueError, match="default_value has 2 values"):
        fc.numeric_column("v", shape=(3,), default_value=[1.0, 2.0])
    with pytest.raises(errors.InvalidArgumentError, match="increasing"):
        fc.bucketized_column(fc.numeric_column("age"), [30, 18])
    with pytest.raises(errors.InvalidArgumentError, match="gender"):
        fc.categorical_column_with_vocabulary_list("gender", [])
    with pytest.raises(errors.InvalidArgumentError):
        fc.categorical_column_with_vocabulary_list("gender", ["a", "a"])
    with pytest.raises(TypeError, match="take strings"):
        fc.categorical_column_with_vocabulary_list("n", [1, 2])
    with pytest.raises(errors.InvalidArgumentError, match="occupation"):
        fc.categorical_column_with_hash_bucket("occupation", 0)
    with pytest.raises(errors.NotFoundError, match="missing.txt"):
        fc.categorical_column_with_vocabulary_file("k", str(tmp_path / "missing.txt"))
    with pytest.raises(errors.InvalidArgumentError, match="hash"):
        fc.crossed_column([fc.categorical_column_with_hash_bucket("a", 10), "b"], 100)
    with pytest.raises(TypeError, match="must be a feature column"):
        fc.indicator_column("gender")
    with pytest.raises(ValueError, match="combiner"):
        fc.embedding_column(fc.categorical_column_with_hash_bucket("a", 10), 4, combiner="max")

def test_python_normalizer(graph):
    np = pytest.importorskip("numpy")
    age = fc.numeric_column("age", normalizer_fn=lambda x: (x - 40.0) / 10.0)
    features = fc.make_placeholders([age])
    dense = fc.input_layer(features, [age])
    with tfc.Session() as s:
        d = s.run(dense, {features["age"]: [20.0, 45.0]})
    assert d[:, 0] == pytest.approx(np.array([-2.0, 0.5]))
    # An exception in the normalizer is an error of the call that compiles the column.
    bad = fc.numeric_column("age", normalizer_fn=lambda x: 1 / 0)
    with pytest.raises(errors.InvalidArgumentError, match="normalizer_fn failed"):
        fc.input_layer(features, [bad])


def test_input_layer_and_linear_model(graph):
    np = pytest.importorskip("numpy")
    age = fc.numeric_column("age", normalizer_fn=tfc.log1p)  # a tfc op as normalizer, in the graph
    gender = fc.categorical_column_with_vocabulary_list("gender", ["F", "M"])
    cols = [fc.indicator_column(gender), age, fc.bucketized_column(fc.numeric_column("age"), [30.0])]
    features = fc.make_placeholders(cols)
    assert sorted(features) == ["age", "gender"] and features["gender"].dtype == tfc.string
    dense = fc.input_layer(features, cols)
    logits = fc.linear_model(features, [gender, fc.numeric_column("age")], units=1)
    with tfc.Session() as s:
        s.run(tfc.global_variables_initializer())
        d, l = s.run([dense, logits], {features["age"]: [20.0, 40.0], features["gender"]: ["M", "F"]})
    # columns sorted by name: age, age_bucketized, gender_indicator
    assert d.shape == (2, 5)
    assert d[:, 0] == pytest.approx(np.log1p([20.0, 40.0]))
    assert d[:, 1:].tolist() == [[1, 0, 0, 1], [0, 1, 1, 0]]
    assert l.tolist() == [[0.0], [0.0]]  # zero-initialized weights
    with pytest.raises(errors.InvalidArgumentError, match="gender"):
        fc.input_layer(features, [gender])  # a categorical column in a dense input
    with pytest.raises(errors.OpError, match="occupation"):
        fc.input_layer(features, [fc.indicator_column(fc.categorical_column_with_hash_bucket("occupation", 5))])
