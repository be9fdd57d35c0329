"""tfc.Tensor: a value (tfc_tensor), and conversions from and to Python and NumPy.

NumPy is optional and imported lazily. A C-contiguous, aligned NumPy array of
a tfc dtype becomes a tensor without a copy: the tensor borrows the array's
buffer, and the array is kept alive in _BORROWED until tfc calls the
deallocator (when its last reference to the buffer goes, which may be after
the Python Tensor is gone, e.g. when an estimator input holds it).
"""

import ctypes
import itertools
import numbers

from . import dtypes
from ._lib import DEALLOCATOR, cstr, lib

_numpy = None
_numpy_checked = False


def numpy_or_none():
    """The numpy module, or None when it is not installed (checked once)."""
    global _numpy, _numpy_checked
    if not _numpy_checked:
        try:
            import numpy
            _numpy = numpy
        except ImportError:
            _numpy = None
        _numpy_checked = True
    return _numpy


# Arrays lent to tfc tensors, by key; the key is the deallocator's argument.
# No lock: dict operations are atomic under the GIL, and a lock could
# deadlock when a collection inside the insert frees another borrowed tensor.
_BORROWED = {}
_borrow_keys = itertools.count(1)


def _release_borrowed(data, nbytes, arg):
    try:
        _BORROWED.pop(arg, None)
    except Exception:  # interpreter shutdown: nothing left to release
        pass


_DEALLOC = DEALLOCATOR(_release_borrowed)


def borrowed_count():
    """Arrays currently lent to tfc tensors (for tests and leak checks)."""
    return len(_BORROWED)


class Tensor:
    """A tfc tensor: dtype, shape and a buffer (tfc_tensor), owned by this object.

    Tensor(value, dtype=None) makes one from a NumPy array (no copy when the
    layout allows), a nested list, a scalar or strings. `.numpy()` and
    `.tolist()` read it back; `.close()` (or collection) releases it.
    """

    __slots__ = ("_ptr", "__weakref__")

    def __init__(self, value=None, dtype=None):
        self._ptr = None
        if value is None and dtype is None:
            raise TypeError("Tensor(value, dtype=None): a value is required")
        t = convert_to_tensor_value(value, dtype)
        # take over the new tensor's reference
        self._ptr, t._ptr = t._ptr, None

    @classmethod
    def _wrap(cls, ptr):
        """Takes ownership of one reference to the tfc_tensor at ptr."""
        t = object.__new__(cls)
        t._ptr = ptr
        return t

    def _handle(self):
        if not self._ptr:
            raise ValueError("tfc.Tensor used after close()")
        return self._ptr

    def close(self):
        p, self._ptr = self._ptr, None
        if p:
            lib.tfc_tensor_free(p)

    def __del__(self, _free=lib.tfc_tensor_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def dtype(self):
        return dtypes.from_enum(lib.tfc_tensor_dtype(self._handle()))

    @property
    def shape(self):
        p = self._handle()
        return tuple(lib.tfc_tensor_dim(p, i) for i in range(lib.tfc_tensor_rank(p)))

    @property
    def ndim(self):
        return lib.tfc_tensor_rank(self._handle())

    @property
    def size(self):
        return lib.tfc_tensor_num_elements(self._handle())

    @property
    def nbytes(self):
        return lib.tfc_tensor_byte_size(self._handle())

    @property
    def data_ptr(self):
        """Address of the element buffer (for zero-copy checks)."""
        return lib.tfc_tensor_data(self._handle()) or 0

    def numpy(self):
        """A NumPy array holding a copy of the values (bytes objects for strings)."""
        np = numpy_or_none()
        if np is None:
            raise ImportError("tfc.Tensor.numpy() needs NumPy; use tolist() without it")
        return _to_numpy(self._handle(), np)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def tolist(self):
        """Nested lists of Python scalars (bytes for strings); a scalar for rank 0."""
        return _to_list(self._handle())

    def value(self):
        """numpy() when NumPy is installed, else tolist()."""
        return to_python(self._handle())

    def __len__(self):
        s = self.shape
        if not s:
            raise TypeError("len() of a scalar tensor")
        return s[0]

    def __repr__(self):
        if not self._ptr:
            return "<tfc.Tensor (closed)>"
        return "<tfc.Tensor shape=%s dtype=%s>" % (list(self.shape), self.dtype.name)


# ---- Python and NumPy -> tfc_tensor ----------------------------------------------


def _shape_of_nested(value):
    """Shape of a rectangular nested list/tuple; raises ValueError when ragged."""
    shape = []
    v = value
    while isinstance(v, (list, tuple)):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return shape


def _flatten(value, shape, depth, out):
    if depth == len(shape):
        if isinstance(value, (list, tuple)):
            raise ValueError("nested list is not rectangular (more nesting than its first element)")
        out.append(value)
        return
    if not isinstance(value, (list, tuple)) or len(value) != shape[depth]:
        raise ValueError("nested list is not rectangular: expected %d elements at depth %d, got %s" %
                         (shape[depth], depth, len(value) if isinstance(value, (list, tuple)) else "a scalar"))
    for v in value:
        _flatten(v, shape, depth + 1, out)


def _infer_dtype(flat):
    if not flat:
        return dtypes.float32
    kinds = set()
    for v in flat:
        if isinstance(v, bool):
            kinds.add("b")
        elif isinstance(v, numbers.Integral):
            kinds.add("i")
        elif isinstance(v, numbers.Real):
            kinds.add("f")
        elif isinstance(v, (str, bytes)):
            kinds.add("s")
        else:
            raise TypeError("cannot make a tensor of %s values" % type(v).__name__)
    if "s" in kinds:
        if kinds != {"s"}:
            raise TypeError("a tensor cannot mix strings and numbers")
        return dtypes.string
    if kinds == {"b"}:
        return dtypes.bool
    if "f" in kinds:
        return dtypes.float32
    # TensorFlow: Python ints are int32 unless a value needs 64 bits
    if all(-2 ** 31 <= v < 2 ** 31 for v in flat):
        return dtypes.int32
    return dtypes.int64


_INT_RANGES = {3: (-2 ** 31, 2 ** 31), 4: (0, 256), 5: (-2 ** 15, 2 ** 15), 6: (-128, 128), 9: (-2 ** 63, 2 ** 63)}


def _check_python_values(flat, dtype):
    """Rejects values that would change meaning when stored as dtype."""
    if dtype.is_string:
        for v in flat:
            if not isinstance(v, (str, bytes)):
                raise TypeError("expected strings for a string tensor, got %s" % type(v).__name__)
        return
    for v in flat:
        if isinstance(v, (str, bytes)):
            raise TypeError("cannot convert the string %r to %s" % (v, dtype.name))
        if not isinstance(v, numbers.Number):
            raise TypeError("cannot convert %s to %s" % (type(v).__name__, dtype.name))
    if dtype.is_integer:
        lo, hi = _INT_RANGES[dtype.enum]
        for v in flat:
            if isinstance(v, numbers.Integral):
                if not lo <= v < hi:
                    raise ValueError("%d is out of range for %s" % (v, dtype.name))
            elif not (isinstance(v, numbers.Real) and float(v).is_integer()):
                raise TypeError("cannot convert %r to %s without losing its fraction" % (v, dtype.name))


def _new_strings(shape, flat):
    n = len(flat)
    data = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in flat]
    strs = (ctypes.c_char_p * max(n, 1))(*data)
    lens = (ctypes.c_size_t * max(n, 1))(*[len(d) for d in data])
    dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    out = ctypes.c_void_p()
    lib.tfc_tensor_new_strings(dims, len(shape), strs, lens, ctypes.byref(out))
    return Tensor._wrap(out.value)


def _from_python(value, dtype):
    shape = _shape_of_nested(value)
    flat = []
    _flatten(value, shape, 0, flat)
    if dtype is None:
        dtype = _infer_dtype(flat)
    _check_python_values(flat, dtype)
    if dtype.is_string:
        return _new_strings(shape, flat)
    np = numpy_or_none()
    if np is not None and len(flat) > 64:
        return _from_numpy(np.asarray(value, dtype=dtype._np_name), dtype, np)
    n = len(flat)
    if dtype.is_floating:
        flat = [float(v) for v in flat]
    elif dtype.is_bool:
        flat = [bool(v) for v in flat]
    else:
        flat = [int(v) for v in flat]
    buf = (dtype._ctype * max(n, 1))(*flat)
    dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    out = ctypes.c_void_p()
    lib.tfc_tensor_new(dtype.enum, dims, len(shape), buf, n * dtype.size, ctypes.byref(out))
    return Tensor._wrap(out.value)


_NUMPY_DTYPES = {}  # NumPy dtype -> DType, filled as arrays are seen (feeds are on the hot path)


def _numpy_dtype_to_tfc(a):
    d = _NUMPY_DTYPES.get(a.dtype)
    if d is not None:
        return d
    if a.dtype.kind in ("U", "S", "O"):
        d = dtypes.string
    else:
        try:
            d = dtypes.as_dtype(a.dtype)
        except TypeError:
            raise TypeError("NumPy arrays of %s have no tfc dtype (float32, float64, int8/16/32/64, uint8, bool or "
                            "strings)" % a.dtype) from None
    _NUMPY_DTYPES[a.dtype] = d
    return d


def _from_numpy(a, dtype, np):
    src = _numpy_dtype_to_tfc(a)
    if dtype is None:
        dtype = src
    if dtype.is_string:
        if not src.is_string:
            raise TypeError("cannot convert a NumPy array of %s to a string tensor" % a.dtype)
        flat = a.ravel().tolist()
        for v in flat:
            if not isinstance(v, (str, bytes)):
                raise TypeError("string tensors take str or bytes elements, got %s" % type(v).__name__)
        return _new_strings(list(a.shape), flat)
    if src.is_string:
        raise TypeError("cannot convert a NumPy array of strings (%s) to %s" % (a.dtype, dtype.name))
    if src != dtype:
        # TensorFlow's feed converts; refuse only conversions that change the kind of value
        target = np.dtype(dtype._np_name)
        if not np.can_cast(a.dtype, target, casting="same_kind"):
            raise TypeError("cannot convert a NumPy array of %s to %s without losing information" %
                            (a.dtype, dtype.name))
        a = a.astype(target)
    shape = a.shape
    dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    out = ctypes.c_void_p()
    flags = a.flags
    if a.size and flags.c_contiguous and flags.aligned and a.dtype.byteorder in ("=", "|"):
        # no copy: the tensor borrows the array's buffer until tfc releases it
        key = next(_borrow_keys)
        _BORROWED[key] = a
        try:
            lib.tfc_tensor_new_borrowed(dtype.enum, dims, len(shape), a.__array_interface__["data"][0], a.nbytes,
                                        _DEALLOC, key, ctypes.byref(out))
        except BaseException:
            _BORROWED.pop(key, None)  # on failure the deallocator is not called
            raise
        return Tensor._wrap(out.value)
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("=")) if a.size else a
    lib.tfc_tensor_new(dtype.enum, dims, len(shape), a.ctypes.data if a.size else None, a.nbytes,
                       ctypes.byref(out))
    return Tensor._wrap(out.value)


def convert_to_tensor_value(value, dtype=None):
    """A tfc.Tensor from a Tensor, NumPy array/scalar, nested list or scalar.

    dtype None infers it (Python floats float32, ints int32 or int64, as
    TensorFlow does; NumPy keeps the array's dtype). A Tensor of another
    dtype than asked is an error; NumPy arrays and lists are converted when
    no information is lost in kind (float64 -> float32 yes, float -> int no).
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtype:
            raise TypeError("a tfc.Tensor of %s cannot be used as %s" % (value.dtype.name, dtype.name))
        return Tensor._wrap(lib.tfc_tensor_retain(value._handle()))
    np = numpy_or_none()
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        return _from_numpy(np.asarray(value), dtype, np)
    if isinstance(value, (list, tuple, numbers.Number, str, bytes)):
        return _from_python(value, dtype)
    if np is not None and hasattr(value, "__array__"):
        return _from_numpy(np.asarray(value), dtype, np)
    raise TypeError("cannot convert %s to a tfc tensor" % type(value).__name__)


# ---- tfc_tensor -> Python and NumPy --------------------------------------------------


def _dims(p):
    return [lib.tfc_tensor_dim(p, i) for i in range(lib.tfc_tensor_rank(p))]


def _strings(p, n):
    out = []
    s = ctypes.c_void_p()
    ln = ctypes.c_size_t()
    for i in range(n):
        lib.tfc_tensor_string(p, i, ctypes.byref(s), ctypes.byref(ln))
        out.append(ctypes.string_at(s.value, ln.value) if ln.value else b"")
    return out


def _to_numpy(p, np):
    dt = dtypes.from_enum(lib.tfc_tensor_dtype(p))
    shape = _dims(p)
    n = lib.tfc_tensor_num_elements(p)
    if dt.is_string:
        a = np.empty(n, dtype=object)
        a[:] = _strings(p, n)
        return a.reshape(shape)
    a = np.empty(shape, dtype=dt._np_name)
    if a.nbytes:
        ctypes.memmove(a.ctypes.data, lib.tfc_tensor_data(p), a.nbytes)
    return a


def _nest(flat, shape):
    if len(shape) == 1:
        return list(flat)
    if shape[0] == 0:
        return []
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _to_list(p):
    dt = dtypes.from_enum(lib.tfc_tensor_dtype(p))
    shape = _dims(p)
    n = lib.tfc_tensor_num_elements(p)
    if dt.is_string:
        flat = _strings(p, n)
    elif n:
        flat = list((dt._ctype * n).from_address(lib.tfc_tensor_data(p)))
    else:
        flat = []
    if not shape:
        return flat[0]
    return _nest(flat, shape)


def to_python(p):
    """The value at tfc_tensor p: a NumPy array (NumPy scalar for rank 0) when
    NumPy is installed, else nested lists / a Python scalar."""
    np = numpy_or_none()
    if np is None:
        return _to_list(p)
    a = _to_numpy(p, np)
    return a[()] if a.ndim == 0 else a


def new_string_tensor(values):
    return convert_to_tensor_value(list(values), dtypes.string)


def cstr_list(values):
    return [cstr(v) for v in values]
