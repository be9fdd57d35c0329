"""tfc.Session: runs a graph and holds its variables (tfc_session)."""

import contextlib
import ctypes
import threading

from ._graph import Graph, Operation, Output, get_default_graph
from ._lib import Output as COutput
from ._lib import SessionOptions, lib
from ._tensor import Tensor, convert_to_tensor_value, to_python

_tls = threading.local()


def _session_stack():
    s = getattr(_tls, "sessions", None)
    if s is None:
        s = _tls.sessions = []
    return s


def get_default_session():
    s = _session_stack()
    return s[-1] if s else None


def _session_or_default(session):
    if session is not None:
        return session
    s = get_default_session()
    if s is None:
        raise ValueError("no session given and no default session: use `with tfc.Session() as sess:` or pass "
                         "session=")
    return s


class Session:
    """Session(graph=None, num_threads=0): runs graph (default: the default
    graph) and holds its variables' values. `with tfc.Session() as sess:`
    makes it the default session and closes it at the end."""

    def __init__(self, target="", graph=None, config=None, num_threads=0, _ptr=None, _owner=None):
        self._ptr = None
        if target not in ("", None):
            raise ValueError("tfc sessions are local: target must be ''")
        self.graph = graph if graph is not None else get_default_graph()
        if _ptr is not None:
            self._ptr, self._owned, self._owner = _ptr, False, _owner  # lent by a saved model
            return
        if isinstance(config, dict):
            num_threads = config.get("num_threads", num_threads)
        opts = SessionOptions(ctypes.sizeof(SessionOptions), int(num_threads))
        out = ctypes.c_void_p()
        lib.tfc_session_new(self.graph._handle(), ctypes.byref(opts), ctypes.byref(out))
        self._ptr, self._owned, self._owner = out.value, True, None

    def _handle(self):
        if not self._ptr or (self._owner is not None and not self._owner._ptr):
            raise RuntimeError("attempted to use a closed Session")
        return self._ptr

    def close(self):
        p, self._ptr = self._ptr, None
        if p and self._owned:
            lib.tfc_session_free(p)

    def __del__(self, _free=lib.tfc_session_free):
        p = getattr(self, "_ptr", None)
        if p and self._owned:
            self._ptr = None
            _free(p)

    @contextlib.contextmanager
    def as_default(self):
        _session_stack().append(self)
        try:
            yield self
        finally:
            _session_stack().pop()

    def __enter__(self):
        _session_stack().append(self)
        self.graph.__enter__()
        return self

    def __exit__(self, *exc):
        self.graph.__exit__(*exc)
        s = _session_stack()
        if s and s[-1] is self:
            s.pop()
        self.close()

    @property
    def num_threads(self):
        return lib.tfc_session_num_threads(self._handle())

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the graph. fetches: an Output, an Operation (run for its effect,
        giving None), a name ("op:0" or "op"), or lists / tuples / dicts of them.
        feed_dict maps Outputs (or names) to values (NumPy arrays, lists,
        scalars, tfc.Tensor). Returns the fetches' values in the same
        structure: NumPy arrays when NumPy is installed, else nested lists."""
        s = self._handle()
        fetch_list, target_list = [], []

        def collect(f):
            # the same structure with fetch indices (None for ops) at the leaves
            if isinstance(f, (list, tuple)):
                return _same_sequence(f, [collect(x) for x in f])
            if isinstance(f, dict):
                return {k: collect(v) for k, v in f.items()}
            el = self._element(f)
            if isinstance(el, Operation):
                target_list.append(el._ptr)
                return None
            fetch_list.append(el)
            return len(fetch_list) - 1

        structure = collect(fetches)
        feeds, keep = [], []
        for key, value in (feed_dict or {}).items():
            out = self._element(key)
            if isinstance(out, Operation):
                raise TypeError("cannot feed the operation %r; feed one of its outputs" % out.name)
            try:
                t = convert_to_tensor_value(value, out.dtype)
            except (TypeError, ValueError) as e:
                raise type(e)("feeding %s: %s" % (out.name, e)) from None
            keep.append(t)
            feeds.append((out, t))
        nf, nt, nfe = len(feeds), len(target_list), len(fetch_list)
        feed_outs = (COutput * max(nf, 1))(*[o._c for o, _ in feeds])
        feed_vals = (ctypes.c_void_p * max(nf, 1))(*[t._handle() for _, t in feeds])
        fetch_outs = (COutput * max(nfe, 1))(*[o._c for o in fetch_list])
        fetch_vals = (ctypes.c_void_p * max(nfe, 1))()
        targets = (ctypes.c_void_p * max(nt, 1))(*target_list)
        try:
            lib.tfc_session_run(s, feed_outs, feed_vals, nf, fetch_outs, fetch_vals, nfe, targets, nt)
        finally:
            for t in keep:
                t.close()
        values = []
        try:
            for i in range(nfe):
                values.append(to_python(fetch_vals[i]))
        finally:
            for i in range(nfe):
                if fetch_vals[i]:
                    lib.tfc_tensor_free(fetch_vals[i])

        def rebuild(st):
            if st is None:
                return None
            if isinstance(st, int):
                return values[st]
            if isinstance(st, dict):
                return {k: rebuild(v) for k, v in st.items()}
            return _same_sequence(st, [rebuild(x) for x in st])

        return rebuild(structure)

    def run_tensors(self, fetches, feed_dict=None):
        """Like run for a list of Outputs, but returns tfc.Tensor objects (no conversion)."""
        s = self._handle()
        fetch_list = [self._element(f) for f in fetches]
        feeds = [(self._element(k), convert_to_tensor_value(v, self._element(k).dtype))
                 for k, v in (feed_dict or {}).items()]
        nf, nfe = len(feeds), len(fetch_list)
        feed_outs = (COutput * max(nf, 1))(*[o._c for o, _ in feeds])
        feed_vals = (ctypes.c_void_p * max(nf, 1))(*[t._handle() for _, t in feeds])
        fetch_outs = (COutput * max(nfe, 1))(*[o._c for o in fetch_list])
        fetch_vals = (ctypes.c_void_p * max(nfe, 1))()
        try:
            lib.tfc_session_run(s, feed_outs, feed_vals, nf, fetch_outs, fetch_vals, nfe, None, 0)
        finally:
            for _, t in feeds:
                t.close()
        return [Tensor._wrap(fetch_vals[i]) for i in range(nfe)]

    def _element(self, f):
        if isinstance(f, str):
            return self.graph.as_graph_element(f)
        if isinstance(f, (Output, Operation)):
            if f.graph._ptr != self.graph._ptr:
                raise ValueError("%r is not an element of this session's graph" % (f,))
            return f
        if hasattr(f, "_as_graph_element"):
            return self._element(f._as_graph_element())
        raise TypeError("cannot fetch or feed %r: expected a tfc.Output, a tfc.Operation or a name" % (f,))

    def variable_value(self, variable):
        """A variable's current value (NumPy array or lists)."""
        out = ctypes.c_void_p()
        lib.tfc_session_variable_value(self._handle(), variable.op._ptr, ctypes.byref(out))
        try:
            return to_python(out.value)
        finally:
            lib.tfc_tensor_free(out.value)

    def set_variable(self, variable, value):
        t = convert_to_tensor_value(value, variable.dtype)
        try:
            lib.tfc_session_set_variable(self._handle(), variable.op._ptr, t._handle())
        finally:
            t.close()


def _same_sequence(like, items):
    """items as a sequence of like's type (list, tuple or namedtuple)."""
    if hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


class InteractiveSession(Session):
    """A Session that makes itself the default session when made (for scripts
    and notebooks: `op.run()` and `x.eval()` use it)."""

    def __init__(self, target="", graph=None, config=None, num_threads=0):
        super().__init__(target, graph, config, num_threads)
        _session_stack().append(self)

    def close(self):
        s = _session_stack()
        if self in s:
            s.remove(self)
        super().close()


__all__ = ["Session", "InteractiveSession", "get_default_session", "Graph"]
