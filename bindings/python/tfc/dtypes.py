"""Element types (tfc_dtype), named like TensorFlow's tf.float32, tf.int64, ..."""

import ctypes


class DType:
    """An element type. Compares equal to itself and to its tfc_dtype number."""

    __slots__ = ("name", "enum", "size", "_ctype", "_np_name")

    def __init__(self, name, enum, size, ctype, np_name):
        self.name = name
        self.enum = enum
        self.size = size  # bytes per element; 0 for strings (no flat buffer)
        self._ctype = ctype
        self._np_name = np_name

    @property
    def as_numpy_dtype(self):
        import numpy as np
        return np.dtype(self._np_name).type

    @property
    def is_floating(self):
        return self.enum in (1, 2)

    @property
    def is_integer(self):
        return self.enum in (3, 4, 5, 6, 9)

    @property
    def is_bool(self):
        return self.enum == 10

    @property
    def is_string(self):
        return self.enum == 7

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.enum == other.enum
        if isinstance(other, int):
            return self.enum == other
        try:
            return self.enum == as_dtype(other).enum
        except (TypeError, ValueError):
            return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash(self.enum)

    def __repr__(self):
        return "tfc." + self.name

    def __int__(self):
        return self.enum


float32 = DType("float32", 1, 4, ctypes.c_float, "float32")
float64 = DType("float64", 2, 8, ctypes.c_double, "float64")
int32 = DType("int32", 3, 4, ctypes.c_int32, "int32")
uint8 = DType("uint8", 4, 1, ctypes.c_uint8, "uint8")
int16 = DType("int16", 5, 2, ctypes.c_int16, "int16")
int8 = DType("int8", 6, 1, ctypes.c_int8, "int8")
string = DType("string", 7, 0, None, "object")
int64 = DType("int64", 9, 8, ctypes.c_int64, "int64")
bool = DType("bool", 10, 1, ctypes.c_bool, "bool")  # noqa: A001 (TensorFlow's name)
float = float32  # noqa: A001
double = float64
half = None

_ALL = (float32, float64, int32, uint8, int16, int8, string, int64, bool)
_BY_ENUM = {d.enum: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "str": string, "bytes": string, "object": string})


def as_dtype(value):
    """A DType from a DType, a tfc_dtype number, a name ('float32'), a NumPy dtype or a
    Python type (float -> float32, int -> int64, str/bytes -> string, bool -> bool)."""
    if isinstance(value, DType):
        return value
    if isinstance(value, int) and not isinstance(value, type(True)):
        d = _BY_ENUM.get(value)
        if d is None:
            raise ValueError("%d is not a tfc dtype" % value)
        return d
    if isinstance(value, str):
        d = _BY_NAME.get(value)
        if d is None:
            raise TypeError("unknown dtype name %r (expected one of %s)" % (value, ", ".join(sorted(_BY_NAME))))
        return d
    import builtins
    if value is builtins.float:
        return float32
    if value is builtins.bool:
        return bool
    if value is builtins.int:
        return int64
    if value in (builtins.str, builtins.bytes):
        return string
    np_name = getattr(value, "name", None) if hasattr(value, "kind") else None
    if np_name is None and isinstance(value, type) and hasattr(value, "dtype"):
        try:
            import numpy as np
            np_name = np.dtype(value).name
        except TypeError:
            np_name = None
    if np_name is not None:
        kind = getattr(value, "kind", None)
        if kind in ("U", "S", "O"):
            return string
        if np_name in _BY_NAME:
            return _BY_NAME[np_name]
        raise TypeError("NumPy dtype %s has no tfc equivalent" % np_name)
    raise TypeError("cannot interpret %r as a tfc dtype" % (value,))


def from_enum(enum):
    d = _BY_ENUM.get(enum)
    if d is None:
        raise ValueError("tfc dtype %d is not known to this package" % enum)
    return d
