"""tfc: Python bindings (ctypes) for the tfc C library, named like TensorFlow 1.x.

    import tfc
    x = tfc.placeholder(tfc.float32, [None, 784])
    W = tfc.Variable(tfc.zeros([784, 10]))
    b = tfc.Variable(tfc.zeros([10]))
    y = tfc.matmul(x, W) + b
    y_ = tfc.placeholder(tfc.float32, [None, 10])
    loss = tfc.reduce_mean(tfc.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
    train_step = tfc.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tfc.Session() as sess:
        sess.run(tfc.global_variables_initializer())
        sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})

The library is loaded from $TFC_LIBRARY, a build directory of the source
tree (build*/src/libtfc.so), or the system's library path. The C library
does the work; this package converts arguments and results, raises
tfc.errors.* exceptions carrying the library's messages, and frees C
handles when Python objects are collected (or closed).
"""

from . import errors
from ._lib import lib as _clib
from ._lib import path as library_path
from .dtypes import (DType, as_dtype, bool, double, float32, float64, int8, int16, int32, int64,  # noqa: A004
                     string, uint8)
from ._tensor import Tensor
from ._graph import (Graph, Operation, Output, TensorShape, Variable, get_default_graph, global_variables,
                     name_scope, reset_default_graph, trainable_variables)
from ._graph import convert_to_output as convert_to_tensor
from ._ops import *  # noqa: F401,F403 (every op constructor)
from ._ops import (constant, dropout, group, lookup_vocab, pad, placeholder, range, reshape, slice, split,  # noqa: A004
                   strided_slice)
from ._session import InteractiveSession, Session, get_default_session
from .train import gradients
from . import data, feature_column, logging, math, nn, saved_model, train  # noqa: E402
from . import estimator  # noqa: E402

__version__ = "0.1.0"
library_version = _clib.tfc_version().decode()

from ._ops import __all__ as _op_names  # noqa: E402

__all__ = sorted(set(_op_names) | {
    "DType", "as_dtype", "bool", "double", "float32", "float64", "int8", "int16", "int32", "int64", "string",
    "uint8", "Tensor", "Graph", "Operation", "Output", "TensorShape", "Variable", "get_default_graph",
    "global_variables", "name_scope", "reset_default_graph", "trainable_variables", "convert_to_tensor",
    "InteractiveSession", "Session", "get_default_session", "gradients", "data", "errors", "estimator",
    "feature_column", "logging", "math", "nn", "saved_model", "train", "global_variables_initializer",
    "variables_initializer", "variable", "library_path", "library_version"})


def global_variables_initializer(graph=None):
    """An op ("init") running the initializer of every variable of the default
    graph existing now: make it after the optimizer's minimize(), which adds
    slots and the global step."""
    g = graph or get_default_graph()
    p = _clib.tfc_global_variables_initializer(g._handle())
    g._check()
    if not p:
        raise errors.InternalError("tfc_global_variables_initializer returned no op")
    return Operation(g, p)


def variables_initializer(var_list, name="init"):
    """An op running the initializers of var_list."""
    var_list = list(var_list)
    if not var_list:
        return no_op(name=name)  # noqa: F405
    return group(*[v.initializer for v in var_list], name=name)


initialize_all_variables = global_variables_initializer
variable = Variable  # the C API's name (tfc_variable)
