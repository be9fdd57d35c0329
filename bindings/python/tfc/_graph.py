"""Graphs, operations and their outputs (TensorFlow 1.x's tf.Graph, tf.Operation, tf.Tensor).

The symbolic value of an operation is `tfc.Output` (TensorFlow calls it
tf.Tensor; here tfc.Tensor is a concrete value). Graphs nest as default
graphs per thread, as in TensorFlow: op constructors called without a graph
use the innermost `with graph:` (or `with graph.as_default():`), else a
process-wide default graph.
"""

import contextlib
import ctypes
import threading

from . import dtypes, errors
from ._lib import Output as COutput
from ._lib import cstr, int64_array, lib, str_array
from ._tensor import Tensor

MAX_RANK = 8


class TensorShape:
    """A static shape: a list of dimensions (None when unknown), or an unknown rank."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        if dims is None:
            self._dims = None
        else:
            self._dims = [None if (d is None or d < 0) else int(d) for d in dims]

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    @property
    def ndims(self):
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape")
        return list(self._dims)

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def __len__(self):
        if self._dims is None:
            raise ValueError("len() of a TensorShape of unknown rank")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("cannot iterate over a TensorShape of unknown rank")
        return iter(self._dims)

    def __getitem__(self, i):
        if self._dims is None:
            return None
        return self._dims[i]

    def __eq__(self, other):
        if isinstance(other, TensorShape):
            return self._dims == other._dims
        if isinstance(other, (list, tuple)):
            return self._dims is not None and self._dims == [None if d is None or d < 0 else d for d in other]
        return NotImplemented

    def __hash__(self):
        return hash(None if self._dims is None else tuple(self._dims))

    def __repr__(self):
        return "TensorShape(%s)" % (None if self._dims is None else self._dims)


def _shape_arg(shape):
    """(int64 array, rank) for a shape argument: None = unknown rank, None dims = -1."""
    if shape is None:
        return None, -1
    if isinstance(shape, TensorShape):
        if shape.ndims is None:
            return None, -1
        shape = shape.as_list()
    if isinstance(shape, int):
        shape = [shape]
    dims = [-1 if d is None else int(d) for d in shape]
    if len(dims) > MAX_RANK:
        raise ValueError("shape %s has more than %d dimensions" % (list(shape), MAX_RANK))
    arr, n = int64_array(dims)
    return arr, n


# ---- default graphs ------------------------------------------------------------------

_tls = threading.local()
_global_default = None
_global_lock = threading.Lock()


def _stack():
    s = getattr(_tls, "graphs", None)
    if s is None:
        s = _tls.graphs = []
    return s


def get_default_graph():
    """The innermost graph entered in this thread, else the process-wide default graph."""
    s = _stack()
    if s:
        return s[-1]
    global _global_default
    with _global_lock:
        if _global_default is None:
            _global_default = Graph()
        return _global_default


def reset_default_graph():
    """Replaces the process-wide default graph with a new, empty one."""
    if _stack():
        raise AssertionError("reset_default_graph() called inside a `with graph:` block")
    global _global_default
    with _global_lock:
        _global_default = None


class Graph:
    """A dataflow graph (tfc_graph). Use `with tfc.Graph() as g:` (or
    `g.as_default()`) to make it the default graph for op constructors."""

    def __init__(self, _ptr=None, _owner=None):
        self._ptr = None
        self._seed = None
        if _ptr is not None:
            # lent by _owner (a loaded saved model), which must outlive this object
            self._ptr, self._owned, self._owner = _ptr, False, _owner
            return
        out = ctypes.c_void_p()
        lib.tfc_graph_new(ctypes.byref(out))
        self._ptr, self._owned, self._owner = out.value, True, None

    def __del__(self, _free=lib.tfc_graph_free):
        p = getattr(self, "_ptr", None)
        if p and self._owned:
            self._ptr = None
            _free(p)

    def _handle(self):
        if not self._ptr or (self._owner is not None and not self._owner._ptr):
            raise ValueError("tfc.Graph used after it (or the saved model lending it) was freed")
        return self._ptr

    # -- default graph --
    @contextlib.contextmanager
    def as_default(self):
        _stack().append(self)
        try:
            yield self
        finally:
            _stack().pop()

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        s = _stack()
        if s and s[-1] is self:
            s.pop()

    # -- state --
    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = None if value is None else int(value)
        lib.tfc_graph_set_seed(self._handle(), self._seed or 0)

    def _check(self):
        """Raises the sticky error of the typed constructors, then clears it."""
        g = self._handle()
        code = lib.tfc_graph_status(g)
        if code:
            msg = lib.tfc_graph_error_message(g).decode("utf-8", "replace")
            lib.tfc_graph_clear_error(g)
            raise errors.from_code(code, msg)

    @contextlib.contextmanager
    def name_scope(self, name):
        lib.tfc_graph_push_name_scope(self._handle(), cstr(name))
        try:
            yield name
        finally:
            lib.tfc_graph_pop_name_scope(self._handle())

    # -- lookup --
    def get_operation_by_name(self, name):
        p = lib.tfc_graph_op_by_name(self._handle(), cstr(name))
        if not p:
            raise KeyError("the graph has no operation named %r" % name)
        return Operation(self, p)

    def get_tensor_by_name(self, name):
        op_name, sep, idx = name.rpartition(":")
        if not sep or not idx.isdigit():
            raise ValueError("%r is not a tensor name (\"<op name>:<output index>\")" % name)
        op = self.get_operation_by_name(op_name)
        i = int(idx)
        if i >= op.num_outputs:
            raise KeyError("operation %r has %d outputs, not %d" % (op_name, op.num_outputs, i + 1))
        return op.outputs[i]

    def as_graph_element(self, obj):
        """An Output or Operation from a name ("op" or "op:0") or itself."""
        if isinstance(obj, (Output, Operation)):
            return obj
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        raise TypeError("cannot interpret %r as a graph element" % (obj,))

    def get_operations(self):
        g = self._handle()
        pos = ctypes.c_size_t(0)
        out = []
        while True:
            p = lib.tfc_graph_next_op(g, ctypes.byref(pos))
            if not p:
                return out
            out.append(Operation(self, p))

    @property
    def num_ops(self):
        return lib.tfc_graph_num_ops(self._handle())

    def global_variables(self):
        g = self._handle()
        return [Variable._from_op(self, lib.tfc_graph_variable(g, i))
                for i in range(lib.tfc_graph_num_variables(g))]

    def trainable_variables(self):
        return [v for v in self.global_variables() if v.trainable]

    # -- GraphDef --
    def as_graph_def(self):
        """The graph as serialized GraphDef bytes."""
        buf = ctypes.c_void_p()
        lib.tfc_graph_to_graph_def(self._handle(), ctypes.byref(buf))
        try:
            return ctypes.string_at(lib.tfc_buffer_data(buf), lib.tfc_buffer_size(buf))
        finally:
            lib.tfc_buffer_free(buf)

    def import_graph_def(self, graph_def, name=None):
        """Adds the nodes of serialized GraphDef bytes (or a file path) under the prefix name."""
        if isinstance(graph_def, (bytes, bytearray)):
            data = bytes(graph_def)
            lib.tfc_graph_import_graph_def(self._handle(), data, len(data), cstr(name))
        else:
            lib.tfc_graph_import_graph_def_file(self._handle(), cstr(graph_def), cstr(name))

    def write_graph(self, path):
        lib.tfc_graph_write_graph_def_file(self._handle(), cstr(path))

    # -- generic op builder --
    def create_op(self, op_type, inputs=(), attrs=None, name=None, control_inputs=()):
        """Adds an op of any registered type: inputs are Outputs (a list for a
        list input), attrs a dict of Python values (int, float, bool, str,
        DType, TensorShape, tfc.Tensor, or lists of int/float/str/DType)."""
        g = self._handle()
        b = lib.tfc_op_builder_new(g, cstr(op_type), cstr(name))
        if not b:
            raise MemoryError("tfc_op_builder_new")
        try:
            for x in inputs:
                if isinstance(x, (list, tuple)):
                    outs = [convert_to_output(v, graph=self) for v in x]
                    arr = (COutput * max(len(outs), 1))(*[o._c for o in outs])
                    lib.tfc_op_builder_add_inputs(b, arr, len(outs))
                else:
                    lib.tfc_op_builder_add_input(b, convert_to_output(x, graph=self)._c)
            for op in control_inputs:
                op = op.op if isinstance(op, Output) else op
                lib.tfc_op_builder_add_control_input(b, op._ptr)
            for key, v in (attrs or {}).items():
                _set_attr(b, cstr(key), v)
        except BaseException:
            lib.tfc_op_builder_abandon(b)
            raise
        out = ctypes.c_void_p()
        lib.tfc_op_builder_finish(b, ctypes.byref(out))
        return Operation(self, out.value)

    def __repr__(self):
        return "<tfc.Graph %d ops>" % self.num_ops if self._ptr else "<tfc.Graph (freed)>"


def _set_attr(b, key, v):
    if isinstance(v, bool):
        lib.tfc_op_builder_set_attr_bool(b, key, v)
    elif isinstance(v, dtypes.DType):
        lib.tfc_op_builder_set_attr_type(b, key, v.enum)
    elif isinstance(v, int):
        lib.tfc_op_builder_set_attr_int(b, key, v)
    elif isinstance(v, float):
        lib.tfc_op_builder_set_attr_float(b, key, v)
    elif isinstance(v, (str, bytes)):
        lib.tfc_op_builder_set_attr_string(b, key, cstr(v))
    elif isinstance(v, TensorShape):
        arr, n = _shape_arg(v)
        lib.tfc_op_builder_set_attr_shape(b, key, arr, n)
    elif isinstance(v, Tensor):
        lib.tfc_op_builder_set_attr_tensor(b, key, v._handle())
    elif isinstance(v, (list, tuple)):
        if all(isinstance(x, dtypes.DType) for x in v) and v:
            arr = (ctypes.c_int * len(v))(*[x.enum for x in v])
            lib.tfc_op_builder_set_attr_type_list(b, key, arr, len(v))
        elif all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            arr, n = int64_array(v)
            lib.tfc_op_builder_set_attr_int_list(b, key, arr, n)
        elif all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            arr = (ctypes.c_float * len(v))(*v)
            lib.tfc_op_builder_set_attr_float_list(b, key, arr, len(v))
        elif all(isinstance(x, (str, bytes)) for x in v):
            arr, n = str_array(v)
            lib.tfc_op_builder_set_attr_string_list(b, key, arr, n)
        else:
            raise TypeError("attribute %r: a list of mixed or unsupported values" % key.decode())
    else:
        raise TypeError("attribute %r: unsupported value of type %s" % (key.decode(), type(v).__name__))


class Operation:
    """An operation of a graph (lent by the graph, which this object keeps alive)."""

    __slots__ = ("graph", "_ptr")

    def __init__(self, graph, ptr):
        if not ptr:
            raise ValueError("no operation")
        self.graph = graph
        self._ptr = ptr

    def _p(self):
        """The op pointer, once the graph lending it is known to be alive."""
        self.graph._handle()
        return self._ptr

    @property
    def name(self):
        return lib.tfc_op_name(self._p()).decode()

    @property
    def type(self):
        return lib.tfc_op_type(self._p()).decode()

    @property
    def num_outputs(self):
        return lib.tfc_op_num_outputs(self._p())

    @property
    def outputs(self):
        return [Output(self.graph, self._ptr, i) for i in range(self.num_outputs)]

    @property
    def inputs(self):
        out = []
        for i in range(lib.tfc_op_num_inputs(self._p())):
            o = lib.tfc_op_input(self._ptr, i)
            out.append(Output(self.graph, o.op, o.index))
        return out

    @property
    def control_inputs(self):
        return [Operation(self.graph, lib.tfc_op_control_input(self._ptr, i))
                for i in range(lib.tfc_op_num_control_inputs(self._p()))]

    def get_attr(self, name):
        """An attribute's value, whatever its type; ValueError when the op has none of that name."""
        key = cstr(name)
        p = self._p()
        getters = (
            (ctypes.c_int64, lib.tfc_op_attr_int, lambda v: v.value),
            (ctypes.c_float, lib.tfc_op_attr_float, lambda v: v.value),
            (ctypes.c_bool, lib.tfc_op_attr_bool, lambda v: v.value),
            (ctypes.c_int, lib.tfc_op_attr_type, lambda v: dtypes.from_enum(v.value)),
            (ctypes.c_char_p, lib.tfc_op_attr_string, lambda v: v.value.decode("utf-8", "replace")),
        )
        for ctype, fn, conv in getters:
            v = ctype()
            try:
                fn(p, key, ctypes.byref(v))
                return conv(v)
            except errors.NotFoundError:
                raise ValueError("operation %r has no attribute %r" % (self.name, name)) from None
            except errors.InvalidArgumentError:
                continue
        try:
            dims = (ctypes.c_int64 * MAX_RANK)()
            rank = ctypes.c_int()
            lib.tfc_op_attr_shape(p, key, dims, ctypes.byref(rank))
            return TensorShape(None if rank.value < 0 else dims[:rank.value])
        except errors.InvalidArgumentError:
            pass
        try:
            vals = ctypes.POINTER(ctypes.c_int64)()
            n = ctypes.c_int()
            lib.tfc_op_attr_int_list(p, key, ctypes.byref(vals), ctypes.byref(n))
            return [vals[i] for i in range(n.value)]
        except errors.InvalidArgumentError:
            pass
        t = ctypes.c_void_p()
        lib.tfc_op_attr_tensor(p, key, ctypes.byref(t))
        return Tensor._wrap(lib.tfc_tensor_retain(t.value))

    def run(self, feed_dict=None, session=None):
        """Runs this op in session (default: the default session)."""
        from ._session import _session_or_default
        _session_or_default(session).run(self, feed_dict)

    def __eq__(self, other):
        return isinstance(other, Operation) and other._ptr == self._ptr

    def __hash__(self):
        return hash(self._ptr)

    def __repr__(self):
        return "<tfc.Operation %r type=%s>" % (self.name, self.type)


class Output:
    """A symbolic output of an operation (TensorFlow 1.x's tf.Tensor): what op
    constructors take and return, what sessions fetch and feed."""

    __slots__ = ("graph", "_op", "_index")
    __array_priority__ = 100  # NumPy operands defer to our reflected operators

    def __init__(self, graph, op, index=0):
        if not op:
            raise ValueError("no operation")
        self.graph = graph
        self._op = op
        self._index = index

    @property
    def _c(self):
        return COutput(self._op, self._index)

    @property
    def op(self):
        return Operation(self.graph, self._op)

    @property
    def value_index(self):
        return self._index

    index = value_index

    @property
    def dtype(self):
        self.graph._handle()
        return dtypes.from_enum(lib.tfc_output_dtype(self._c))

    @property
    def shape(self):
        dims = (ctypes.c_int64 * MAX_RANK)()
        rank = ctypes.c_int()
        lib.tfc_graph_output_shape(self.graph._handle(), self._c, dims, ctypes.byref(rank))
        return TensorShape(None if rank.value < 0 else dims[:rank.value])

    def get_shape(self):
        return self.shape

    @property
    def name(self):
        self.graph._handle()
        return "%s:%d" % (lib.tfc_op_name(self._op).decode(), self._index)

    def eval(self, feed_dict=None, session=None):
        """This output's value in session (default: the default session)."""
        from ._session import _session_or_default
        return _session_or_default(session).run(self, feed_dict)

    def __eq__(self, other):
        return isinstance(other, Output) and other._op == self._op and other._index == self._index

    def __hash__(self):
        return hash((self._op, self._index))

    def __bool__(self):
        raise TypeError("using a tfc.Output as a Python bool is not allowed (it has no value until a session "
                        "runs it)")

    def __iter__(self):
        shape = self.shape
        if shape.ndims is None or not shape.ndims or shape[0] is None:
            raise TypeError("cannot iterate over an output whose first dimension is not known")
        return (self[i] for i in range(shape[0]))

    def __len__(self):
        raise TypeError("len() is not defined on a tfc.Output; use tfc.shape(x) or x.shape")

    def __repr__(self):
        return "<tfc.Output %r shape=%s dtype=%s>" % (self.name, self.shape.dims, self.dtype.name)


class Variable(Output):
    """tf.Variable: a VariableV2 op whose initializer assigns initial_value.

    Variable(initial_value, trainable=True, name=None, dtype=None):
    initial_value is an Output (tfc.zeros([784, 10]), tfc.random_normal(...))
    or a Python / NumPy value made a constant.
    """

    __slots__ = ()

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None):
        if initial_value is None:
            raise ValueError("Variable: initial_value is required")
        from ._ops import _call_output
        init = convert_to_output(initial_value, dtype=dtype)
        g = init.graph
        out = _call_output(g, lib.tfc_variable, init._c, cstr(name))
        Output.__init__(self, g, out._op, out._index)
        if not trainable:
            lib.tfc_variable_set_trainable(self._op, False)

    @classmethod
    def _from_op(cls, graph, op):
        v = object.__new__(cls)
        Output.__init__(v, graph, op, 0)
        return v

    @property
    def initializer(self):
        p = lib.tfc_variable_initializer(self._op)
        return Operation(self.graph, p)

    @property
    def initial_value(self):
        return self.initializer.inputs[1]

    @property
    def trainable(self):
        return bool(lib.tfc_variable_trainable(self._op))

    def assign(self, value, name=None):
        from ._ops import assign
        return assign(self, value, name=name)

    def assign_add(self, delta, name=None):
        from ._ops import assign_add
        return assign_add(self, delta, name=name)

    def assign_sub(self, delta, name=None):
        from ._ops import assign_sub
        return assign_sub(self, delta, name=name)

    def read_value(self):
        from ._ops import identity
        return identity(self)

    def value(self):
        return self

    def load(self, value, session=None):
        """Sets the variable's value in session (no op added to the graph)."""
        from ._session import _session_or_default
        _session_or_default(session).set_variable(self, value)

    def __repr__(self):
        return "<tfc.Variable %r shape=%s dtype=%s>" % (self.op.name, self.shape.dims, self.dtype.name)


def global_variables(graph=None):
    return (graph or get_default_graph()).global_variables()


def trainable_variables(graph=None):
    return (graph or get_default_graph()).trainable_variables()


def name_scope(name):
    """Prefixes the names of ops made in the default graph with "name/"."""
    return get_default_graph().name_scope(name)


def graph_of(values, graph=None):
    """The graph the Outputs among values belong to (all the same), else graph or the default."""
    found = graph
    for v in values:
        if isinstance(v, (Output, Operation)):
            if found is None:
                found = v.graph
            elif v.graph is not found and v.graph._ptr != found._ptr:
                raise ValueError("%r is from another graph than the other arguments" % (v,))
    return found if found is not None else get_default_graph()


def convert_to_output(value, dtype=None, graph=None, name=None):
    """An Output from an Output (checked against dtype), a Variable, or a
    Python / NumPy / tfc.Tensor value made a constant in graph."""
    if isinstance(value, Output):
        if graph is not None and value.graph._ptr != graph._ptr:
            raise ValueError("%r is from another graph" % (value,))
        if dtype is not None and value.dtype != dtypes.as_dtype(dtype):
            raise TypeError("expected a %s output, got %r" % (dtypes.as_dtype(dtype).name, value))
        return value
    if isinstance(value, Operation):
        raise TypeError("expected a tensor, got the operation %r (use op.outputs[i])" % value.name)
    from ._ops import constant
    return constant(value, dtype=dtype, name=name, graph=graph)
