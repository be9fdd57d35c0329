"""Exported models (tfc's SavedModel): export a session's graph with named
signatures, load an export and run its signatures by key.

    tfc.saved_model.simple_save(sess, "export/1", inputs={"x": x}, outputs={"y": y})
    model = tfc.saved_model.load("export/1")
    model.run({"x": [[1.0, 2.0]]})            # {"y": array(...)}
"""

import ctypes

from . import dtypes
from ._graph import Graph, Output, TensorShape
from ._lib import ExportOptions, SessionOptions, cstr, lib, str_array
from ._session import Session
from ._tensor import convert_to_tensor_value, to_python

SERVING_DEFAULT_SIGNATURE_KEY = "serving_default"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"


class TensorInfo:
    """dtype and static shape of a signature's input or output."""

    def __init__(self, key, dtype, shape):
        self.key, self.dtype, self.shape = key, dtype, shape

    def __repr__(self):
        return "TensorInfo(%r, %s, %s)" % (self.key, self.dtype.name, self.shape.dims)


class Signature:
    """A loaded model's signature: method_name, inputs and outputs (key -> TensorInfo)."""

    def __init__(self, ptr):
        self.key = lib.tfc_signature_key(ptr).decode()
        self.method_name = lib.tfc_signature_method_name(ptr).decode()
        self.inputs = {}
        self.outputs = {}
        for i in range(lib.tfc_signature_num_inputs(ptr)):
            k = lib.tfc_signature_input_key(ptr, i).decode()
            self.inputs[k] = TensorInfo(k, *_info(lib.tfc_signature_input_info, ptr, i))
        for i in range(lib.tfc_signature_num_outputs(ptr)):
            k = lib.tfc_signature_output_key(ptr, i).decode()
            self.outputs[k] = TensorInfo(k, *_info(lib.tfc_signature_output_info, ptr, i))

    def __repr__(self):
        return "<Signature %r inputs=%s outputs=%s>" % (self.key, sorted(self.inputs), sorted(self.outputs))


def _info(fn, ptr, i):
    dt = ctypes.c_int()
    dims = (ctypes.c_int64 * 8)()
    rank = ctypes.c_int()
    fn(ptr, i, ctypes.byref(dt), dims, ctypes.byref(rank))
    return dtypes.from_enum(dt.value), TensorShape(None if rank.value < 0 else dims[:rank.value])


class SavedModel:
    """A loaded export: signatures, run(), and the graph and session it lends."""

    def __init__(self, export_dir, num_threads=0):
        self._ptr = None
        opts = SessionOptions(ctypes.sizeof(SessionOptions), int(num_threads))
        out = ctypes.c_void_p()
        lib.tfc_saved_model_load(cstr(export_dir), ctypes.byref(opts), ctypes.byref(out))
        self._ptr = out.value
        self.export_dir = str(export_dir)
        self.signatures = {}
        for i in range(lib.tfc_saved_model_num_signatures(self._ptr)):
            sig = Signature(lib.tfc_saved_model_signature(self._ptr, i))
            self.signatures[sig.key] = sig

    # The graph and session are lent by the model: their wrappers keep the
    # model alive (not the other way round, so no reference cycle) and fail
    # once it is closed.
    @property
    def graph(self):
        return Graph(_ptr=lib.tfc_saved_model_graph(self._handle()), _owner=self)

    @property
    def session(self):
        g = self.graph
        return Session(graph=g, _ptr=lib.tfc_saved_model_session(self._handle()), _owner=self)

    def _handle(self):
        if not self._ptr:
            raise ValueError("the saved model was closed")
        return self._ptr

    def close(self):
        p, self._ptr = self._ptr, None
        if p:
            lib.tfc_saved_model_free(p)

    def __del__(self, _free=lib.tfc_saved_model_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def writer_version(self):
        return lib.tfc_saved_model_writer_version(self._handle()).decode()

    def run(self, inputs, signature_key=SERVING_DEFAULT_SIGNATURE_KEY, output_keys=None):
        """Runs a signature: inputs {key: value}; returns {output key: value}
        (every output of the signature unless output_keys names some)."""
        m = self._handle()
        sig = self.signatures.get(signature_key)
        if sig is None:
            # let the library name the valid keys
            lib.tfc_saved_model_run(m, cstr(signature_key), None, None, 0, None, None, 0)
        if output_keys is None:
            output_keys = list(sig.outputs)
        tensors = []
        try:
            for k, v in inputs.items():
                info = sig.inputs.get(k)
                try:
                    tensors.append(convert_to_tensor_value(v, info.dtype if info else None))
                except (TypeError, ValueError) as e:
                    raise type(e)("input %r: %s" % (k, e)) from None
            in_keys, nin = str_array(list(inputs))
            out_keys, nout = str_array(output_keys)
            in_vals = (ctypes.c_void_p * max(nin, 1))(*[t._handle() for t in tensors])
            out_vals = (ctypes.c_void_p * max(nout, 1))()
            lib.tfc_saved_model_run(m, cstr(signature_key), in_keys, in_vals, nin, out_keys, out_vals, nout)
        finally:
            for t in tensors:
                t.close()
        result = {}
        try:
            for i, k in enumerate(output_keys):
                result[k] = to_python(out_vals[i])
        finally:
            for i in range(nout):
                if out_vals[i]:
                    lib.tfc_tensor_free(out_vals[i])
        return result

    __call__ = run


def load(export_dir, num_threads=0):
    """Loads an export directory (from export() or an estimator's export_saved_model)."""
    return SavedModel(export_dir, num_threads)


def export(session, export_dir, signatures, main_op=None):
    """Writes session's graph, its variables' values and signatures to export_dir.

    signatures: {key: {"inputs": {name: Output}, "outputs": {name: Output},
    "method_name": PREDICT_METHOD_NAME (default)}}.
    """
    made = []
    try:
        for key, spec in signatures.items():
            sig = ctypes.c_void_p()
            lib.tfc_signature_new(cstr(key), cstr(spec.get("method_name", PREDICT_METHOD_NAME)), ctypes.byref(sig))
            made.append(sig.value)
            for k, out in spec.get("inputs", {}).items():
                _check_output(out, session, k)
                lib.tfc_signature_add_input(sig.value, cstr(k), out._c)
            for k, out in spec.get("outputs", {}).items():
                _check_output(out, session, k)
                lib.tfc_signature_add_output(sig.value, cstr(k), out._c)
        arr = (ctypes.c_void_p * max(len(made), 1))(*made)
        opts = ExportOptions(ctypes.sizeof(ExportOptions), main_op._ptr if main_op is not None else None)
        lib.tfc_saved_model_export(session._handle(), session.graph._handle(), cstr(export_dir), arr, len(made),
                                   ctypes.byref(opts))
    finally:
        for p in made:
            lib.tfc_signature_free(p)
    return str(export_dir)


def _check_output(out, session, key):
    if not isinstance(out, Output):
        raise TypeError("signature tensor %r must be a tfc.Output, got %r" % (key, out))
    if out.graph._ptr != session.graph._ptr:
        raise ValueError("signature tensor %r is not in the session's graph" % key)


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """tf.saved_model.simple_save: one "serving_default" predict signature."""
    return export(session, export_dir, {SERVING_DEFAULT_SIGNATURE_KEY: {"inputs": inputs, "outputs": outputs}},
                  main_op=legacy_init_op)
