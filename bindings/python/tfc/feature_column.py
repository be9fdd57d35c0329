"""tf.feature_column in tfc: column descriptions the canned estimators compile
into graph ops (include/tfc/feature_column.h), with TensorFlow's names,
arguments and defaults.

Differences from TensorFlow: one value per example and feature; categorical
keys are strings (identity columns: integers); numeric_column's
normalizer_fn is any Python callable taking and returning a tfc Output
(`lambda x: (x - mean) / stddev`), called while the estimator builds its
graphs, or a tfc op that takes one tensor (tfc.log1p, tfc.tanh, ...).
"""

import ctypes

from . import _ops, dtypes
from ._graph import Output, graph_of
from ._lib import Output as COutput
from ._lib import cstr, int64_array, lib, str_array

_COMBINERS = {"sum": 0, "mean": 1, "sqrtn": 2}


class FeatureColumn:
    """A column (tfc_feature_column): immutable; `name`, `key` and `num_buckets`."""

    def __init__(self, ptr, deps=(), **info):
        self._ptr = ptr
        # keep what the C column refers to alive: input columns and normalizer callbacks
        self._deps = tuple(deps)
        self._info = info

    def __del__(self, _free=lib.tfc_feature_column_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    @property
    def name(self):
        return lib.tfc_feature_column_name(self._ptr).decode()

    @property
    def key(self):
        return self._info.get("key", self.name)

    @property
    def num_buckets(self):
        return lib.tfc_feature_column_num_buckets(self._ptr)

    @property
    def dimension(self):
        """Width of the column's dense tensor (0 for categorical columns)."""
        return lib.tfc_feature_column_dense_size(self._ptr)

    @property
    def is_dense(self):
        return bool(lib.tfc_feature_column_is_dense(self._ptr))

    @property
    def default_value(self):
        vals = ctypes.POINTER(ctypes.c_float)()
        n = ctypes.c_int()
        lib.tfc_feature_column_default_value(self._ptr, ctypes.byref(vals), ctypes.byref(n))
        return None if not vals else tuple(vals[i] for i in range(n.value))

    def _keepalive(self):
        """Every Python object the C column (and its inputs) rely on."""
        out = [self]
        for d in self._deps:
            out.extend(d._keepalive() if isinstance(d, FeatureColumn) else [d])
        return out

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.name)


class NumericColumn(FeatureColumn):
    pass


class BucketizedColumn(FeatureColumn):
    pass


class CategoricalColumn(FeatureColumn):
    pass


class CrossedColumn(CategoricalColumn):
    pass


class EmbeddingColumn(FeatureColumn):
    pass


class IndicatorColumn(FeatureColumn):
    pass


class WeightedCategoricalColumn(CategoricalColumn):
    pass


def _new(fn, *args):
    out = ctypes.c_void_p()
    fn(*args, ctypes.byref(out))
    return out.value


# tfc_normalizer_out_fn: (graph, const tfc_output *x, void *arg, tfc_output *out) -> tfc_code
_NORMALIZER_OUT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(COutput), ctypes.c_void_p,
                                   ctypes.POINTER(COutput))


def _python_normalizer(normalizer_fn, key):
    """A C callback running normalizer_fn on the column's float [batch, d]
    Output inside the graph being built; exceptions become an error code (and
    a log line with the Python message), never cross into C."""
    from ._graph import Graph
    import logging

    def callback(graph_ptr, x, arg, out):
        try:
            graph = Graph(_ptr=graph_ptr)  # lent by the library for this call
            with graph.as_default():
                y = normalizer_fn(Output(graph, x.contents.op, x.contents.index))
            if not isinstance(y, Output):
                raise TypeError("normalizer_fn returned %s, not a tfc Output" % type(y).__name__)
            out.contents.op, out.contents.index = y._op, y._index
            return 0
        except Exception as e:  # noqa: BLE001 - reported through the library's error code
            logging.getLogger("tfc").error("numeric_column %r: normalizer_fn raised %s: %s", key,
                                           type(e).__name__, e)
            return 3  # TFC_INVALID_ARGUMENT

    return _NORMALIZER_OUT(callback)


def _normalizer_pointer(normalizer_fn, key):
    """(C function, pointer, arg, objects to keep alive) for normalizer_fn."""
    cname = _ops.UNARY_C_FUNCTIONS.get(normalizer_fn)
    if cname is not None:
        # A one-tensor op constructor has the normalizer's C signature
        # (graph, tfc_output, const char *name): it is called with arg as the
        # name, NULL for the op's default name.
        return lib.tfc_numeric_column_with_normalizer, ctypes.cast(getattr(lib, cname), ctypes.c_void_p).value, None, ()
    cb = _python_normalizer(normalizer_fn, key)
    return (lib.tfc_numeric_column_with_normalizer_out, ctypes.cast(cb, ctypes.c_void_p).value, None,
            (cb, normalizer_fn))


def numeric_column(key, shape=(1,), default_value=None, dtype=dtypes.float32, normalizer_fn=None):
    """A dense feature of shape `shape` (float in the model, any numeric dtype on input)."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = [int(d) for d in shape]
    dims, rank = int64_array(shape)
    size = 1
    for d in shape:
        size *= d
    dv = None
    if default_value is not None:
        flat = list(default_value) if isinstance(default_value, (list, tuple)) else [default_value] * size
        flat = [float(v) for v in _flatten(flat)]
        if len(flat) != size:
            raise ValueError("numeric_column %r: default_value has %d values for shape %s" % (key, len(flat), shape))
        dv = (ctypes.c_float * size)(*flat)
    dt = dtypes.as_dtype(dtype).enum
    if normalizer_fn is None:
        return NumericColumn(_new(lib.tfc_numeric_column, cstr(key), dims, rank, dv, dt), key=key)
    if not callable(normalizer_fn):
        raise TypeError("numeric_column %r: normalizer_fn must be callable" % key)
    make, fnp, arg, keep = _normalizer_pointer(normalizer_fn, key)
    ptr = _new(make, cstr(key), dims, rank, dv, dt, fnp, arg)
    return NumericColumn(ptr, deps=keep, key=key, normalizer_fn=normalizer_fn)


def _flatten(v):
    for x in v:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


def _column(c, what, arg="source_column"):
    if not isinstance(c, FeatureColumn):
        raise TypeError("%s: %s must be a feature column, got %r" % (what, arg, c))
    return c


def bucketized_column(source_column, boundaries):
    """Buckets (-inf, b0), [b0, b1), ..., [bn, +inf) of a numeric column of shape [1]."""
    _column(source_column, "bucketized_column")
    b = [float(x) for x in boundaries]
    arr = (ctypes.c_float * max(len(b), 1))(*b)
    return BucketizedColumn(_new(lib.tfc_bucketized_column, source_column._ptr, arr, len(b)),
                            deps=[source_column], key=source_column.key)


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0):
    vocab = list(vocabulary_list)
    if any(not isinstance(v, (str, bytes)) for v in vocab):
        raise TypeError("categorical_column_with_vocabulary_list %r: tfc's vocabulary columns take strings; use "
                        "categorical_column_with_identity for integer ids" % key)
    if dtype is not None and dtypes.as_dtype(dtype) != dtypes.string:
        raise TypeError("categorical_column_with_vocabulary_list %r: dtype must be string" % key)
    arr, n = str_array(vocab)
    return CategoricalColumn(_new(lib.tfc_categorical_column_with_vocabulary_list, cstr(key), arr, n,
                                  int(num_oov_buckets), int(-1 if default_value is None else default_value)),
                             key=key)


def categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0,
                                            default_value=None, dtype=dtypes.string):
    """Vocabulary read from a file, one entry per line. vocabulary_size (when
    given) keeps the first that many entries, as TensorFlow does."""
    if dtypes.as_dtype(dtype) != dtypes.string:
        raise TypeError("categorical_column_with_vocabulary_file %r: dtype must be string" % key)
    dv = -1 if default_value is None else int(default_value)
    if vocabulary_size is not None:
        with open(vocabulary_file, "rb") as f:
            lines = f.read().splitlines()
        if vocabulary_size <= 0 or vocabulary_size > len(lines):
            raise ValueError("categorical_column_with_vocabulary_file %r: vocabulary_size %d, but %s has %d lines" %
                             (key, vocabulary_size, vocabulary_file, len(lines)))
        if vocabulary_size < len(lines):
            return categorical_column_with_vocabulary_list(key, lines[:vocabulary_size], None, dv, num_oov_buckets)
    return CategoricalColumn(_new(lib.tfc_categorical_column_with_vocabulary_file, cstr(key), cstr(vocabulary_file),
                                  int(num_oov_buckets), dv), key=key)


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    if dtypes.as_dtype(dtype) != dtypes.string:
        raise TypeError("categorical_column_with_hash_bucket %r: tfc hashes string features only" % key)
    return CategoricalColumn(_new(lib.tfc_categorical_column_with_hash_bucket, cstr(key), int(hash_bucket_size)),
                             key=key)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    return CategoricalColumn(_new(lib.tfc_categorical_column_with_identity, cstr(key), int(num_buckets),
                                  -1 if default_value is None else int(default_value)), key=key)


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """Crosses raw string features (by key) and categorical columns."""
    keys = list(keys)
    names = (ctypes.c_char_p * max(len(keys), 1))()
    cols = (ctypes.c_void_p * max(len(keys), 1))()
    deps = []
    for i, k in enumerate(keys):
        if isinstance(k, FeatureColumn):
            cols[i] = k._ptr
            deps.append(k)
        elif isinstance(k, str):
            names[i] = cstr(k)
        else:
            raise TypeError("crossed_column: keys must be feature keys (strings) or categorical columns, got %r" % k)
    ptr = _new(lib.tfc_crossed_column, names, cols, len(keys), int(hash_bucket_size), int(hash_key or 0))
    return CrossedColumn(ptr, deps=deps)


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None, ckpt_to_load_from=None,
                     tensor_name_in_ckpt=None, max_norm=None, trainable=True):
    """A dense [batch, dimension] embedding of a categorical column. initializer:
    None (truncated normal, stddev 1/sqrt(dimension)) or
    tfc.truncated_normal_initializer(mean=0.0, stddev=..., seed=...)."""
    _column(categorical_column, "embedding_column", "categorical_column")
    if ckpt_to_load_from is not None or tensor_name_in_ckpt is not None or max_norm is not None or not trainable:
        raise NotImplementedError("embedding_column: ckpt_to_load_from, tensor_name_in_ckpt, max_norm and "
                                  "trainable=False are not supported")
    if combiner not in _COMBINERS:
        raise ValueError("embedding_column: combiner must be 'mean', 'sqrtn' or 'sum', not %r" % (combiner,))
    stddev, seed = 0.0, 0
    if initializer is not None:
        if not isinstance(initializer, TruncatedNormalInitializer) or initializer.mean != 0.0:
            raise NotImplementedError("embedding_column: initializer must be "
                                      "tfc.truncated_normal_initializer(mean=0.0, stddev=..., seed=...)")
        stddev, seed = initializer.stddev, initializer.seed or 0
    ptr = _new(lib.tfc_embedding_column, categorical_column._ptr, int(dimension), _COMBINERS[combiner],
               float(stddev), int(seed))
    return EmbeddingColumn(ptr, deps=[categorical_column])


def indicator_column(categorical_column):
    _column(categorical_column, "indicator_column", "categorical_column")
    return IndicatorColumn(_new(lib.tfc_indicator_column, categorical_column._ptr), deps=[categorical_column])


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=dtypes.float32):
    _column(categorical_column, "weighted_categorical_column", "categorical_column")
    if dtypes.as_dtype(dtype) != dtypes.float32:
        raise TypeError("weighted_categorical_column: weights are float32")
    ptr = _new(lib.tfc_weighted_categorical_column, categorical_column._ptr, cstr(weight_feature_key))
    return WeightedCategoricalColumn(ptr, deps=[categorical_column])


class TruncatedNormalInitializer:
    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed


def truncated_normal_initializer(mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
    return TruncatedNormalInitializer(mean, stddev, seed, dtype)


def _column_array(columns):
    columns = list(columns)
    for c in columns:
        _column(c, "feature_columns", "every entry")
    return (ctypes.c_void_p * max(len(columns), 1))(*[c._ptr for c in columns]), len(columns)


class _Features:
    """A tfc_features map from a dict {key: Output}."""

    def __init__(self, features):
        self._ptr = None
        out = ctypes.c_void_p()
        lib.tfc_features_new(ctypes.byref(out))
        self._ptr = out.value
        for k, v in features.items():
            if not isinstance(v, Output):
                raise TypeError("features[%r] must be a tfc.Output" % k)
            lib.tfc_features_set(self._ptr, cstr(k), v._c)

    def __del__(self, _free=lib.tfc_features_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)


def make_placeholders(feature_columns, graph=None):
    """{feature key: placeholder} for every raw feature the columns read ([None] of the raw dtype)."""
    from ._graph import get_default_graph
    g = graph or get_default_graph()
    arr, n = _column_array(feature_columns)
    out = ctypes.c_void_p()
    lib.tfc_feature_placeholders_new(g._handle(), arr, n, ctypes.byref(out))
    f = out.value
    try:
        res = {}
        for i in range(lib.tfc_features_count(f)):
            k = lib.tfc_features_key(f, i)
            o = lib.tfc_features_get(f, k)
            res[k.decode()] = Output(g, o.op, o.index)
        return res
    finally:
        lib.tfc_features_free(f)


def input_layer(features, feature_columns):
    """tf.feature_column.input_layer: float [batch, sum of dense sizes] from {key: Output}."""
    g = graph_of(list(features.values()))
    fs = _Features(features)
    arr, n = _column_array(feature_columns)
    out = COutput()
    try:
        lib.tfc_input_layer(g._handle(), fs._ptr, arr, n, ctypes.byref(out))
    finally:
        g._check()
    return Output(g, out.op, out.index)


def linear_model(features, feature_columns, units=1):
    """tf.feature_column.linear_model: float logits [batch, units] (weights are new variables)."""
    g = graph_of(list(features.values()))
    fs = _Features(features)
    arr, n = _column_array(feature_columns)
    out = COutput()
    try:
        lib.tfc_linear_model(g._handle(), fs._ptr, arr, n, int(units), ctypes.byref(out))
    finally:
        g._check()
    return Output(g, out.op, out.index)


__all__ = ["numeric_column", "bucketized_column", "categorical_column_with_vocabulary_list",
           "categorical_column_with_vocabulary_file", "categorical_column_with_hash_bucket",
           "categorical_column_with_identity", "crossed_column", "embedding_column", "indicator_column",
           "weighted_categorical_column", "input_layer", "linear_model", "make_placeholders"]
