"""Op constructors: one Python function per typed constructor of include/tfc/ops_*.h.

Most are generated from _OPS, a table of (C function, Python names,
parameters in Python order, C order when it differs). Each generated
function takes TensorFlow's argument names plus name=None, finds the graph
from its Output arguments (else the default graph), turns Python and NumPy
values into constants of the matching dtype, calls the C constructor and
raises the graph's sticky error, if any, right there (then clears it).
The few whose arguments do not map one to one (constant, placeholder,
reshape, split, slice, strided_slice, pad, range, lookup_vocab, group,
dropout) are written out below the table.
"""

import ast
import builtins
import inspect
from ctypes import POINTER, c_bool, c_char_p, c_double, c_float, c_int, c_int64, c_uint64, c_void_p

from . import dtypes, errors
from ._graph import (Operation, Output, TensorShape, _shape_arg, convert_to_output, get_default_graph,
                     graph_of)
from ._lib import Output as COutput
from ._lib import cstr, declare, int64_array, str_array
from ._tensor import convert_to_tensor_value, numpy_or_none

DEFAULT_HASH_KEY = 0xDECAFCAFFE

# kind -> C argument types. x: an Output (Python values become constants of
# the dtype of the other Output arguments); xn: an Output (values keep their
# own dtype); xo: an optional Output; xs / xsn: lists of Outputs; dims: a
# shape; shape: a shape or None (unknown rank); axes: None, an int or ints;
# i64s / floats: lists; combiner: 'sum', 'mean' or 'sqrtn'.
_CTYPES = {
    "x": [COutput], "xn": [COutput], "xo": [COutput],
    "xs": [POINTER(COutput), c_int], "xsn": [POINTER(COutput), c_int],
    "dims": [POINTER(c_int64), c_int], "shape": [POINTER(c_int64), c_int], "axes": [POINTER(c_int64), c_int],
    "i64s": [POINTER(c_int64), c_int], "floats": [POINTER(c_float), c_int],
    "dtype": [c_int], "bool": [c_bool], "int": [c_int], "i64": [c_int64], "u64": [c_uint64],
    "float": [c_float], "double": [c_double], "str": [c_char_p], "combiner": [c_int],
}

_REQUIRED = inspect.Parameter.empty

# (C function, "python_name[,alias...]", "param:kind[=default] ...", C order or None, result)
_UNARY = "x:x"
_BINARY = "x:x y:x"
_REDUCE = "input_tensor:x axis:axes=None keepdims:bool=False"
_OPS = [
    # ops_math.h
    ("tfc_add", "add", _BINARY),
    ("tfc_sub", "subtract,sub", _BINARY),
    ("tfc_mul", "multiply,mul", _BINARY),
    ("tfc_div", "divide,div,truediv", _BINARY),
    ("tfc_pow", "pow", _BINARY),
    ("tfc_maximum", "maximum", _BINARY),
    ("tfc_minimum", "minimum", _BINARY),
    ("tfc_squared_difference", "squared_difference", _BINARY),
    ("tfc_neg", "negative,neg", _UNARY),
    ("tfc_abs", "abs", _UNARY),
    ("tfc_sign", "sign", _UNARY),
    ("tfc_square", "square", _UNARY),
    ("tfc_sqrt", "sqrt", _UNARY),
    ("tfc_rsqrt", "rsqrt", _UNARY),
    ("tfc_exp", "exp", _UNARY),
    ("tfc_log", "log", _UNARY),
    ("tfc_log1p", "log1p", _UNARY),
    ("tfc_add_n", "add_n", "inputs:xs"),
    ("tfc_equal", "equal", _BINARY),
    ("tfc_not_equal", "not_equal", _BINARY),
    ("tfc_less", "less", _BINARY),
    ("tfc_less_equal", "less_equal", _BINARY),
    ("tfc_greater", "greater", _BINARY),
    ("tfc_greater_equal", "greater_equal", _BINARY),
    ("tfc_logical_and", "logical_and", _BINARY),
    ("tfc_logical_or", "logical_or", _BINARY),
    ("tfc_logical_not", "logical_not", _UNARY),
    ("tfc_select", "where,select", "condition:xn x:x y:x"),
    # ops_nn.h
    ("tfc_matmul", "matmul", "a:x b:x transpose_a:bool=False transpose_b:bool=False"),
    ("tfc_bias_add", "bias_add", "value:x bias:x"),
    ("tfc_sigmoid", "sigmoid", _UNARY),
    ("tfc_tanh", "tanh", _UNARY),
    ("tfc_relu", "relu", "features:x"),
    ("tfc_relu6", "relu6", "features:x"),
    ("tfc_elu", "elu", "features:x"),
    ("tfc_leaky_relu", "leaky_relu", "features:x alpha:float=0.2"),
    ("tfc_softplus", "softplus", "features:x"),
    ("tfc_softmax", "softmax", "logits:x"),
    ("tfc_log_softmax", "log_softmax", "logits:x"),
    ("tfc_dropout", "_dropout", "x:x rate:float seed:i64=None"),
    # ops_reduce.h
    ("tfc_reduce_sum", "reduce_sum", _REDUCE),
    ("tfc_reduce_mean", "reduce_mean", _REDUCE),
    ("tfc_reduce_max", "reduce_max", _REDUCE),
    ("tfc_reduce_min", "reduce_min", _REDUCE),
    ("tfc_reduce_prod", "reduce_prod", _REDUCE),
    ("tfc_argmax", "argmax", "input:xn axis:int=0"),
    ("tfc_argmin", "argmin", "input:xn axis:int=0"),
    # ops_array.h
    ("tfc_cast", "cast", "x:xn dtype:dtype"),
    ("tfc_reshape", "_reshape_dims", "tensor:xn shape:dims"),
    ("tfc_reshape_to", "_reshape_to", "tensor:xn shape:xn"),
    ("tfc_expand_dims", "expand_dims", "input:xn axis:int"),
    ("tfc_squeeze", "squeeze", "input:xn axis:axes=None"),
    ("tfc_transpose", "transpose", "a:xn perm:axes=None"),
    ("tfc_concat", "concat", "values:xs axis:int"),
    ("tfc_split", "_split", "value:xn axis:int num_split:int"),
    ("tfc_gather", "gather", "params:x indices:xn axis:int=0"),
    ("tfc_tile", "tile", "input:xn multiples:i64s"),
    ("tfc_shape", "shape", "input:xn out_type:dtype=int32"),
    ("tfc_size", "size", "input:xn out_type:dtype=int32"),
    ("tfc_fill", "fill", "dims:dims value:xn"),
    ("tfc_range", "_range", "start:x limit:x delta:x"),
    ("tfc_zeros_like", "zeros_like", "tensor:xn"),
    ("tfc_ones_like", "ones_like", "tensor:xn"),
    ("tfc_one_hot", "one_hot", "indices:xn depth:i64 on_value:float=1.0 off_value:float=0.0 dtype:dtype=float32"),
    # ops_loss.h
    ("tfc_softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits", "labels:x logits:x"),
    ("tfc_sparse_softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
     "labels:xn logits:x"),
    ("tfc_sigmoid_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits", "labels:x logits:x"),
    ("tfc_l2_loss", "l2_loss", "t:x"),
    # ops_sparse.h
    ("tfc_sparse_segment_sum", "sparse_segment_sum", "data:x indices:xn segment_ids:xn"),
    ("tfc_sparse_segment_mean", "sparse_segment_mean", "data:x indices:xn segment_ids:xn"),
    ("tfc_sparse_segment_sqrtn", "sparse_segment_sqrt_n", "data:x indices:xn segment_ids:xn"),
    ("tfc_unsorted_segment_sum", "unsorted_segment_sum", "data:x segment_ids:xn num_segments:xn"),
    ("tfc_embedding_lookup_sparse", "embedding_lookup_sparse",
     "params:x ids:xn segment_ids:xn num_segments:xn weights:xo=None combiner:combiner='mean'",
     "params ids segment_ids weights num_segments combiner"),
    # ops_feature.h
    ("tfc_bucketize", "bucketize", "input:xn boundaries:floats"),
    ("tfc_string_to_hash_bucket_fast", "string_to_hash_bucket_fast", "input:xn num_buckets:i64"),
    ("tfc_lookup_vocab_file", "lookup_vocab_file",
     "x:xn vocabulary_file:str num_oov_buckets:i64=0 default_value:i64=-1"),
    ("tfc_hashed_cross", "hashed_cross", "inputs:xsn num_buckets:i64 hash_key:u64=None"),
    ("tfc_identity_buckets", "identity_buckets", "input:xn num_buckets:i64 default_value:i64=-1"),
    ("tfc_string_to_number", "string_to_number", "string_tensor:xn out_type:dtype=float32"),
    # ops_state.h
    ("tfc_placeholder_with_default", "placeholder_with_default", "input:xn shape:shape"),
    ("tfc_zeros", "zeros", "shape:dims dtype:dtype=float32", "dtype shape"),
    ("tfc_ones", "ones", "shape:dims dtype:dtype=float32", "dtype shape"),
    ("tfc_random_uniform", "random_uniform",
     "shape:dims minval:double=0.0 maxval:double=1.0 dtype:dtype=float32 seed:i64=None",
     "dtype shape minval maxval seed"),
    ("tfc_random_normal", "random_normal",
     "shape:dims mean:double=0.0 stddev:double=1.0 dtype:dtype=float32 seed:i64=None",
     "dtype shape mean stddev seed"),
    ("tfc_truncated_normal", "truncated_normal",
     "shape:dims mean:double=0.0 stddev:double=1.0 dtype:dtype=float32 seed:i64=None",
     "dtype shape mean stddev seed"),
    ("tfc_glorot_uniform", "glorot_uniform", "shape:dims dtype:dtype=float32 seed:i64=None", "dtype shape seed"),
    ("tfc_assign", "assign", "ref:x value:x"),
    ("tfc_assign_add", "assign_add", "ref:x value:x"),
    ("tfc_assign_sub", "assign_sub", "ref:x value:x"),
    ("tfc_identity", "identity", "input:xn"),
    ("tfc_no_op", "no_op", "", None, "op"),
]

# TensorFlow 1.x spellings of arguments that were renamed later.
_KW_ALIASES = {"keep_dims": "keepdims", "reduction_indices": "axis", "dimension": "axis"}
_COMBINERS = {"sum": 0, "mean": 1, "sqrtn": 2}


def _parse(spec):
    params = []
    for item in spec.split():
        pname, _, rest = item.partition(":")
        kind, eq, default = rest.partition("=")
        if not eq:
            value = _REQUIRED
        elif kind == "dtype":
            value = dtypes.as_dtype(default)
        else:
            value = ast.literal_eval(default)
        params.append((pname, kind, value))
    return params


def _check_result(graph, out):
    graph._check()
    if not out.op:
        raise errors.InternalError("op constructor returned no output and no error")
    return Output(graph, out.op, out.index)


def _call_output(graph, cfn, *args):
    """Calls a typed constructor returning tfc_output; raises the graph's sticky error."""
    return _check_result(graph, cfn(graph._handle(), *args))


def _outputs(values, graph, hint):
    outs = [convert_to_output(v, dtype=hint if not isinstance(v, Output) else None, graph=graph)
            for v in values]
    arr = (COutput * max(len(outs), 1))(*[o._c for o in outs])
    return [arr, len(outs)]


def _axes(v):
    if v is None:
        return [None, 0]
    if isinstance(v, int):
        v = [v]
    arr, n = int64_array(v)
    return [arr, n]


def _convert(kind, v, graph, hint, pname):
    if kind == "x":
        return [convert_to_output(v, dtype=None if isinstance(v, Output) else hint, graph=graph)._c]
    if kind == "xn":
        return [convert_to_output(v, graph=graph)._c]
    if kind == "xo":
        return [COutput(None, 0) if v is None else convert_to_output(v, dtype=hint, graph=graph)._c]
    if kind == "xs":
        return _outputs(v, graph, hint)
    if kind == "xsn":
        return _outputs(v, graph, None)
    if kind in ("dims", "shape"):
        if kind == "dims" and v is None:
            raise ValueError("%s: a shape is required" % pname)
        if isinstance(v, Output):
            raise TypeError("%s: a computed shape is not supported here; pass a list of ints" % pname)
        return list(_shape_arg(v))
    if kind == "axes":
        return _axes(v)
    if kind == "i64s":
        arr, n = int64_array(v)
        return [arr, n]
    if kind == "floats":
        v = list(v)
        return [(c_float * max(len(v), 1))(*v), len(v)]
    if kind == "dtype":
        return [dtypes.as_dtype(v).enum]
    if kind == "combiner":
        if v not in _COMBINERS:
            raise ValueError("%s must be one of 'sum', 'mean', 'sqrtn', not %r" % (pname, v))
        return [_COMBINERS[v]]
    if kind in ("i64", "u64"):
        if v is None:
            return [DEFAULT_HASH_KEY if pname == "hash_key" else 0]
        return [int(v)]
    if kind == "str":
        return [cstr(v)]
    return [v]


def _make(c_name, names, spec, c_order=None, result="out"):
    params = _parse(spec)
    kinds = {p: k for p, k, _ in params}
    order = c_order.split() if c_order else [p for p, _, _ in params]
    argtypes = [c_void_p]
    for p in order:
        argtypes.extend(_CTYPES[kinds[p]])
    argtypes.append(c_char_p)
    cfn = declare(c_name, COutput if result == "out" else c_void_p, argtypes)
    sig = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d) for p, _, d in params] +
        [inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)])
    tensor_params = [p for p, k, _ in params if k.startswith("x")]

    def op(*args, **kwargs):
        for old, new in _KW_ALIASES.items():
            if old in kwargs and new in kinds and new not in kwargs:
                kwargs[new] = kwargs.pop(old)
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        values = []
        for p in tensor_params:
            v = a[p]
            values.extend(v if isinstance(v, (list, tuple)) and kinds[p] in ("xs", "xsn") else [v])
        graph = graph_of(values)
        hint = None
        for p in tensor_params:
            if kinds[p] in ("x", "xs", "xo"):
                for v in (a[p] if kinds[p] == "xs" else [a[p]]):
                    if isinstance(v, Output):
                        hint = v.dtype
                        break
            if hint is not None:
                break
        cargs = []
        for p in order:
            cargs.extend(_convert(kinds[p], a[p], graph, hint, p))
        out = cfn(graph._handle(), *cargs, cstr(a["name"]))
        if result == "out":
            return _check_result(graph, out)
        graph._check()
        if not out:
            raise errors.InternalError("%s returned no operation and no error" % c_name)
        return Operation(graph, out)

    primary = names.split(",")[0]
    op.__name__ = op.__qualname__ = primary
    op.__signature__ = sig
    op.__doc__ = "%s%s: the graph op of %s() (include/tfc/ops_*.h)." % (primary, sig, c_name)
    return names.split(","), op


# Constructors taking one tensor, by their Python function: their C
# signature (graph, tfc_output, const char *name) is tfc_normalizer_fn's, so
# numeric_column can use them as normalizers directly.
UNARY_C_FUNCTIONS = {}


def _build_table():
    made = {}
    for entry in _OPS:
        c_name, names, spec = entry[:3]
        c_order = entry[3] if len(entry) > 3 else None
        result = entry[4] if len(entry) > 4 else "out"
        aliases, fn = _make(c_name, names, spec, c_order, result)
        for n in aliases:
            made[n] = fn
        params = _parse(spec)
        if result == "out" and len(params) == 1 and params[0][1] in ("x", "xn"):
            UNARY_C_FUNCTIONS[fn] = c_name
    return made


_op = _build_table()
globals().update({k: v for k, v in _op.items() if not k.startswith("_")})

_const = declare("tfc_const", COutput, [c_void_p, c_void_p, c_char_p])
_placeholder = declare("tfc_placeholder", COutput, [c_void_p, c_int, POINTER(c_int64), c_int, c_char_p])
declare("tfc_variable", COutput, [c_void_p, COutput, c_char_p])
_slice = declare("tfc_slice", COutput, [c_void_p, COutput, POINTER(c_int64), POINTER(c_int64), c_int, c_char_p])
_strided_slice = declare("tfc_strided_slice", COutput,
                         [c_void_p, COutput, POINTER(c_int64), POINTER(c_int64), POINTER(c_int64), c_int, c_int64,
                          c_int64, c_int64, c_char_p])
_pad = declare("tfc_pad", COutput, [c_void_p, COutput, POINTER(c_int64), c_int, c_char_p])
_lookup_vocab = declare("tfc_lookup_vocab", COutput,
                        [c_void_p, COutput, POINTER(c_char_p), c_int, c_int64, c_int64, c_char_p])
_lookup_vocab_ints = declare("tfc_lookup_vocab_ints", COutput,
                             [c_void_p, COutput, POINTER(c_int64), c_int, c_int64, c_int64, c_char_p])
_group = declare("tfc_group", c_void_p, [c_void_p, POINTER(c_void_p), c_int, c_char_p])


# ---- hand-written constructors ---------------------------------------------------------


def constant(value, dtype=None, shape=None, name=None, graph=None):
    """tf.constant: a Const op holding value (a copy). A scalar value with a
    shape fills that shape; otherwise the shape must match the value's size."""
    g = graph if graph is not None else get_default_graph()
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    t = convert_to_tensor_value(value, dtype)
    if shape is not None:
        shape = [int(d) for d in (shape.as_list() if isinstance(shape, TensorShape) else shape)]
        t = _reshape_value(t, shape)
    try:
        return _call_output(g, _const, t._handle(), cstr(name))
    finally:
        t.close()


def _reshape_value(t, shape):
    n = 1
    for d in shape:
        n *= d
    if t.size == n:
        if list(t.shape) == shape:
            return t
        flat = _flat_values(t)
    elif t.size == 1:
        flat = _flat_values(t) * n
    else:
        raise ValueError("constant: a value of %d elements cannot have the shape %s" % (t.size, shape))
    dt = t.dtype
    np = numpy_or_none()
    if np is not None and not dt.is_string:
        return convert_to_tensor_value(np.asarray(flat, dtype=dt._np_name).reshape(shape), dt)
    nested = flat
    for d in reversed(shape[1:]):
        nested = [nested[i:i + d] for i in range(0, len(nested), d)]
    if not shape:
        nested = flat[0]
    return convert_to_tensor_value(nested, dt)


def _flat_values(t):
    v = t.tolist()
    out = []

    def walk(x):
        if isinstance(x, list):
            for y in x:
                walk(y)
        else:
            out.append(x)
    walk(v)
    return out


def placeholder(dtype, shape=None, name=None):
    """tf.placeholder: a value fed at run time; shape None is an unknown rank,
    None dimensions are unknown ([None, 784])."""
    g = get_default_graph()
    arr, n = _shape_arg(shape)
    return _call_output(g, _placeholder, dtypes.as_dtype(dtype).enum, arr, n, cstr(name))


def reshape(tensor, shape, name=None):
    """tf.reshape: shape a list of ints (one may be -1) or an int vector Output."""
    if isinstance(shape, Output):
        return _op["_reshape_to"](tensor, shape, name=name)
    return _op["_reshape_dims"](tensor, [-1 if d is None else d for d in shape], name=name)


def split(value, num_or_size_splits, axis=0, name=None):
    """tf.split into num_or_size_splits equal parts (sizes lists are not supported): a list of Outputs."""
    if not isinstance(num_or_size_splits, int):
        raise NotImplementedError("split: only an equal number of parts is supported, not sizes %r" %
                                  (num_or_size_splits,))
    first = _op["_split"](value, axis, num_or_size_splits, name=name)
    return first.op.outputs


def slice(input_, begin, size, name=None):  # noqa: A001 (TensorFlow's name)
    """tf.slice: begin and size per dimension (size -1: to the end)."""
    x = convert_to_output(input_)
    if len(begin) != len(size):
        raise ValueError("slice: begin has %d entries, size %d" % (len(begin), len(size)))
    b, n = int64_array(begin)
    s, _ = int64_array(size)
    return _call_output(x.graph, _slice, x._c, b, s, n, cstr(name))


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, shrink_axis_mask=0, name=None):
    """tf.strided_slice (without ellipsis and new-axis masks)."""
    x = convert_to_output(input_)
    n = len(begin)
    if strides is None:
        strides = [1] * n
    if not len(end) == len(strides) == n:
        raise ValueError("strided_slice: begin, end and strides must have one entry per sliced dimension")
    b, _ = int64_array(begin)
    e, _ = int64_array(end)
    s, _ = int64_array(strides)
    return _call_output(x.graph, _strided_slice, x._c, b, e, s, n, begin_mask, end_mask, shrink_axis_mask,
                        cstr(name))


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """tf.pad with zeros: paddings one [before, after] pair per dimension."""
    if mode.upper() != "CONSTANT" or constant_values != 0:
        raise NotImplementedError("pad: only mode='CONSTANT' with zeros is supported")
    x = convert_to_output(tensor)
    flat = [int(v) for pair in paddings for v in pair]
    if len(flat) != 2 * len(paddings):
        raise ValueError("pad: paddings must be pairs [before, after]")
    arr, _ = int64_array(flat)
    return _call_output(x.graph, _pad, x._c, arr, len(paddings), cstr(name))


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 (TensorFlow's name)
    """tf.range(start, limit, delta) or tf.range(limit)."""
    if limit is None:
        start, limit = 0, start
    vals = (start, limit, delta)
    if dtype is None:
        outs = [v for v in vals if isinstance(v, Output)]
        if outs:
            dtype = outs[0].dtype
        elif any(isinstance(v, float) for v in vals):
            dtype = dtypes.float32
        else:
            dtype = dtypes.int32
    g = graph_of(vals)
    start, limit, delta = [convert_to_output(v, dtype=None if isinstance(v, Output) else dtype, graph=g)
                           for v in vals]
    return _op["_range"](start, limit, delta, name=name)


def lookup_vocab(x, vocabulary_list, num_oov_buckets=0, default_value=-1, name=None):
    """tfc's LookupVocab: int64 ids of x in vocabulary_list (strings, or ints for an int x)."""
    x = convert_to_output(x)
    vocab = list(vocabulary_list)
    if vocab and all(isinstance(v, int) and not isinstance(v, bool) for v in vocab):
        arr, n = int64_array(vocab)
        return _call_output(x.graph, _lookup_vocab_ints, x._c, arr, n, num_oov_buckets, default_value, cstr(name))
    arr, n = str_array(vocab)
    return _call_output(x.graph, _lookup_vocab, x._c, arr, n, num_oov_buckets, default_value, cstr(name))


def group(*inputs, **kwargs):
    """tf.group: an op that runs all inputs (ops or outputs)."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("group: unexpected arguments %s" % ", ".join(kwargs))
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = inputs[0]
    ops = [i.op if isinstance(i, Output) else i for i in inputs]
    for o in ops:
        if not isinstance(o, Operation):
            raise TypeError("group: expected ops or outputs, got %r" % (o,))
    g = graph_of(ops)
    arr = (c_void_p * max(len(ops), 1))(*[o._ptr for o in ops])
    p = _group(g._handle(), arr, len(ops), cstr(name))
    g._check()
    return Operation(g, p)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """tf.nn.dropout: keeps each element with probability 1 - rate (or keep_prob),
    scaling kept ones by 1 / (1 - rate)."""
    if noise_shape is not None:
        raise NotImplementedError("dropout: noise_shape is not supported")
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: give exactly one of keep_prob and rate")
    if rate is None:
        rate = 1.0 - keep_prob
    return _op["_dropout"](x, rate, seed, name=name)


# ---- operators on Output ------------------------------------------------------------------


def _getitem(x, key):
    """x[...] with ints, slices and one ..., as a StridedSlice."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):
        rank = x.shape.ndims
        if rank is None:
            raise ValueError("indexing with ... needs a known rank")
        i = key.index(Ellipsis)
        key = key[:i] + (builtins.slice(None),) * (rank - (len(key) - 1)) + key[i + 1:]
    begin, end, strides = [], [], []
    bmask = emask = smask = 0
    for i, k in enumerate(key):
        if isinstance(k, builtins.slice):
            begin.append(0 if k.start is None else k.start)
            end.append(0 if k.stop is None else k.stop)
            strides.append(1 if k.step is None else k.step)
            if k.start is None:
                bmask |= 1 << i
            if k.stop is None:
                emask |= 1 << i
        elif isinstance(k, int):
            begin.append(k)
            end.append(k + 1)
            strides.append(1)
            smask |= 1 << i
            if k == -1:
                emask |= 1 << i  # x[-1]: to the end
        else:
            raise TypeError("tfc.Output indices must be ints, slices or ..., not %s" % type(k).__name__)
    return strided_slice(x, begin, end, strides, bmask, emask, smask)


def _binary(fn, reflected=False):
    if reflected:
        return lambda a, b: fn(b, a)
    return lambda a, b: fn(a, b)


Output.__add__ = _binary(_op["add"])
Output.__radd__ = _binary(_op["add"], True)
Output.__sub__ = _binary(_op["subtract"])
Output.__rsub__ = _binary(_op["subtract"], True)
Output.__mul__ = _binary(_op["multiply"])
Output.__rmul__ = _binary(_op["multiply"], True)
Output.__truediv__ = _binary(_op["divide"])
Output.__rtruediv__ = _binary(_op["divide"], True)
Output.__pow__ = _binary(_op["pow"])
Output.__rpow__ = _binary(_op["pow"], True)
Output.__matmul__ = _binary(_op["matmul"])
Output.__rmatmul__ = _binary(_op["matmul"], True)
Output.__lt__ = _binary(_op["less"])
Output.__le__ = _binary(_op["less_equal"])
Output.__gt__ = _binary(_op["greater"])
Output.__ge__ = _binary(_op["greater_equal"])
Output.__and__ = _binary(_op["logical_and"])
Output.__rand__ = _binary(_op["logical_and"], True)
Output.__or__ = _binary(_op["logical_or"])
Output.__ror__ = _binary(_op["logical_or"], True)
Output.__neg__ = _op["negative"]
Output.__abs__ = _op["abs"]
Output.__invert__ = _op["logical_not"]
Output.__getitem__ = _getitem


__all__ = sorted({n for _, names, *_rest in _OPS for n in names.split(",") if not n.startswith("_")} |
                 {"constant", "placeholder", "reshape", "split", "slice", "strided_slice", "pad", "range",
                  "lookup_vocab", "group", "dropout"})
