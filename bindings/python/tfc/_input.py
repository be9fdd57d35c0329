"""Inputs of the canned estimators (tfc_input): CSV files, or in-memory
columns from NumPy arrays or Python lists.

An input function here is an object: calling it (the estimator does) gives
an `Input` holding the tfc_input handle, built on first use and reused, as
each train / evaluate / predict call starts a fresh pass over it in C.
"""

import ctypes
import glob
import numbers
import os

from . import dtypes
from ._lib import CsvReaderOptions, CsvSchemaOptions, TensorInputOptions, cstr, lib, str_array
from ._tensor import Tensor, convert_to_tensor_value, numpy_or_none

_LABEL_STRIP_TRAILING_PERIOD = 1


class Input:
    """A tfc_input handle and the Python objects its tensors borrow from."""

    def __init__(self, ptr, keepalive=()):
        self._ptr = ptr
        self._keepalive = keepalive

    def __del__(self, _free=lib.tfc_input_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    def close(self):
        p, self._ptr = self._ptr, None
        if p:
            lib.tfc_input_free(p)


class InputFn:
    """Base of the input functions. `input_fn()` gives the Input; an estimator
    calls `_make_input(label_vocabulary)` so string labels map to class ids."""

    endless = False  # True when the input never ends (num_epochs None)

    def __init__(self):
        self._made = {}

    def __call__(self):
        return self._make_input(None)

    def _make_input(self, label_vocabulary):
        key = None if label_vocabulary is None else tuple(label_vocabulary)
        inp = self._made.get(key)
        if inp is None or not inp._ptr:
            inp = self._made[key] = self._build(label_vocabulary)
        return inp

    def _build(self, label_vocabulary):
        raise NotImplementedError


# ---- in-memory columns ------------------------------------------------------------------


def _column_tensor(key, values):
    """A feature column as a tensor: NumPy arrays as they are (no copy when
    contiguous), lists with ints as int64 (TensorFlow's NumPy default), floats
    as float32 and strings as strings."""
    np = numpy_or_none()
    if isinstance(values, Tensor):
        return convert_to_tensor_value(values)
    if np is not None and isinstance(values, np.ndarray):
        if values.ndim == 0:
            raise ValueError("feature %r: a scalar, expected one value per example" % key)
        return convert_to_tensor_value(values)
    if isinstance(values, (list, tuple)):
        if not values:
            raise ValueError("feature %r has no values" % key)
        flat = values
        while flat and isinstance(flat[0], (list, tuple)):
            flat = flat[0]
        dtype = None
        if flat and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in flat):
            dtype = dtypes.int64
        try:
            return convert_to_tensor_value(values, dtype)
        except (TypeError, ValueError) as e:
            raise type(e)("feature %r: %s" % (key, e)) from None
    raise TypeError("feature %r: expected a NumPy array or a list, got %s" % (key, type(values).__name__))


def labels_to_ids(y, label_vocabulary):
    """Class ids for string labels with a vocabulary; other labels unchanged."""
    if label_vocabulary is None:
        return y
    np = numpy_or_none()
    vocab = {(v.decode() if isinstance(v, bytes) else v): i for i, v in enumerate(label_vocabulary)}
    flat = y.ravel().tolist() if np is not None and isinstance(y, np.ndarray) else list(y)
    if not flat or not isinstance(flat[0], (str, bytes)):
        return y
    ids = []
    for i, v in enumerate(flat):
        s = v.decode() if isinstance(v, bytes) else v
        if s not in vocab:
            raise ValueError("label %r of example %d is not in label_vocabulary %s" % (s, i, list(vocab)))
        ids.append(vocab[s])
    return ids if np is None else np.asarray(ids, dtype=np.int64)


class TensorInputFn(InputFn):
    """Batches sliced from in-memory columns (numpy_input_fn, dict_input_fn)."""

    def __init__(self, x, y=None, batch_size=128, num_epochs=1, shuffle=None, seed=0, partial_final_batch=True):
        super().__init__()
        if shuffle is None:
            raise ValueError("shuffle must be given explicitly as True or False (as TensorFlow's numpy_input_fn "
                             "requires)")
        if not isinstance(x, dict) or not x:
            raise TypeError("x must be a non-empty dict of feature name -> values")
        if batch_size is None or int(batch_size) < 1:
            raise ValueError("batch_size must be >= 1, got %r" % (batch_size,))
        if num_epochs is not None and int(num_epochs) < 1:
            raise ValueError("num_epochs must be None (forever) or >= 1, got %r" % (num_epochs,))
        self.x, self.y = x, y
        self.batch_size, self.num_epochs = int(batch_size), num_epochs
        self.shuffle, self.seed, self.partial_final_batch = bool(shuffle), int(seed), bool(partial_final_batch)
        self.endless = num_epochs is None

    def _build(self, label_vocabulary):
        keys = list(self.x)
        tensors = [_column_tensor(k, self.x[k]) for k in keys]
        labels = None
        if self.y is not None:
            y = labels_to_ids(self.y, label_vocabulary)
            labels = _column_tensor("labels", y)
        opts = TensorInputOptions(ctypes.sizeof(TensorInputOptions), self.batch_size,
                                  0 if self.num_epochs is None else int(self.num_epochs), int(self.shuffle),
                                  self.seed, int(self.partial_final_batch))
        karr, n = str_array(keys)
        tarr = (ctypes.c_void_p * n)(*[t._handle() for t in tensors])
        out = ctypes.c_void_p()
        try:
            lib.tfc_input_from_tensors(karr, tarr, n, labels._handle() if labels is not None else None,
                                       ctypes.byref(opts), ctypes.byref(out))
        finally:
            # the input holds its own references (and borrowed arrays stay
            # alive until tfc releases them)
            for t in tensors:
                t.close()
            if labels is not None:
                labels.close()
        return Input(out.value)


# ---- CSV ----------------------------------------------------------------------------------


def _default_spec(name, default, dtype):
    """(tfc dtype, default text or None) of a CSV column."""
    if isinstance(default, (list, tuple)):
        if len(default) > 1:
            raise ValueError("column %r: a default is one value (or [] for none), got %r" % (name, default))
        default = default[0] if default else None
    if isinstance(default, dtypes.DType):
        return (dtype or default), None
    if default is None:
        return (dtype or dtypes.float32), None
    if isinstance(default, bool):
        raise TypeError("column %r: bool CSV columns are not supported" % name)
    if isinstance(default, numbers.Integral):
        return (dtype or dtypes.int64), str(int(default))
    if isinstance(default, numbers.Real):
        return (dtype or dtypes.float32), repr(float(default))
    if isinstance(default, (str, bytes)):
        return (dtype or dtypes.string), default.decode() if isinstance(default, bytes) else default
    raise TypeError("column %r: unsupported default %r" % (name, default))


class CsvSchema:
    """A CSV schema (tfc_csv_schema): the columns in file order and how the text is written."""

    def __init__(self, column_names, column_defaults=None, column_dtypes=None, label_name=None,
                 label_vocabulary=None, label_strip_trailing_period=False, field_delim=",", header=False,
                 na_value=None, comment_prefix=None, trim_whitespace=True, use_quote_delim=True,
                 allow_nonfinite=False, skip_malformed=False):
        self._ptr = None
        names = list(column_names)
        if not names:
            raise ValueError("column_names must name the CSV's columns")
        if len(set(names)) != len(names):
            raise ValueError("column_names has duplicates: %s" % names)
        if column_defaults is None:
            column_defaults = [None] * len(names)
        column_defaults = list(column_defaults)
        if len(column_defaults) != len(names):
            raise ValueError("%d column_defaults for %d column_names" % (len(column_defaults), len(names)))
        if isinstance(column_dtypes, dict):
            unknown = set(column_dtypes) - set(names)
            if unknown:
                raise ValueError("column_dtypes names unknown columns: %s" % sorted(unknown))
            dts = [column_dtypes.get(n) for n in names]
        elif column_dtypes is not None:
            dts = list(column_dtypes)
            if len(dts) != len(names):
                raise ValueError("%d column_dtypes for %d column_names" % (len(dts), len(names)))
        else:
            dts = [None] * len(names)
        if label_name is not None and label_name not in names:
            raise ValueError("label_name %r is not one of the columns %s" % (label_name, names))
        if not isinstance(field_delim, str) or len(field_delim) != 1:
            raise ValueError("field_delim must be one character, got %r" % (field_delim,))
        self.column_names = names
        self.label_name = label_name
        opts = CsvSchemaOptions(ctypes.sizeof(CsvSchemaOptions), field_delim.encode(), int(bool(trim_whitespace)),
                                cstr(na_value), int(header),
                                cstr(comment_prefix), int(bool(use_quote_delim)), int(bool(allow_nonfinite)),
                                int(bool(skip_malformed)), 0)
        out = ctypes.c_void_p()
        lib.tfc_csv_schema_new(ctypes.byref(opts), ctypes.byref(out))
        self._ptr = out.value
        for name, default, dt in zip(names, column_defaults, dts):
            dt = None if dt is None else dtypes.as_dtype(dt)
            if label_vocabulary is not None and name == label_name:
                # labels are looked up in the vocabulary; the column holds the class id
                dtype, text = dtypes.int64, None
            else:
                dtype, text = _default_spec(name, default, dt)
            lib.tfc_csv_schema_add_column(self._ptr, cstr(name), dtype.enum, cstr(text))
        if label_vocabulary is not None:
            if label_name is None:
                raise ValueError("label_vocabulary needs label_name")
            arr, n = str_array(list(label_vocabulary))
            lib.tfc_csv_schema_set_label_vocabulary(self._ptr, cstr(label_name), arr, n,
                                                    _LABEL_STRIP_TRAILING_PERIOD if label_strip_trailing_period
                                                    else 0)

    def __del__(self, _free=lib.tfc_csv_schema_free):
        p = getattr(self, "_ptr", None)
        if p:
            self._ptr = None
            _free(p)

    @property
    def columns(self):
        """[(name, dtype)] in file order."""
        return [(lib.tfc_csv_schema_column_name(self._ptr, i).decode(),
                 dtypes.from_enum(lib.tfc_csv_schema_column_dtype(self._ptr, i)))
                for i in range(lib.tfc_csv_schema_num_columns(self._ptr))]


def _patterns(file_pattern):
    if isinstance(file_pattern, (str, bytes, os.PathLike)):
        return [os.fspath(file_pattern)]
    pats = [os.fspath(p) for p in file_pattern]
    if not pats:
        raise ValueError("file_pattern: no files given")
    return pats


def _reader_options(batch_size, num_epochs, shuffle, shuffle_buffer_size, shuffle_seed, partial_final_batch):
    if batch_size is None or int(batch_size) < 1:
        raise ValueError("batch_size must be >= 1, got %r" % (batch_size,))
    if num_epochs is not None and int(num_epochs) < 1:
        raise ValueError("num_epochs must be None (forever) or >= 1, got %r" % (num_epochs,))
    return CsvReaderOptions(ctypes.sizeof(CsvReaderOptions), int(batch_size),
                            0 if num_epochs is None else int(num_epochs),
                            int(shuffle_buffer_size) if shuffle else 0, int(shuffle_seed or 0),
                            int(bool(partial_final_batch)))


_SCHEMA_ARGS = ("column_defaults", "column_dtypes", "label_name", "label_vocabulary", "label_strip_trailing_period",
                "field_delim", "header", "na_value", "comment_prefix", "trim_whitespace", "use_quote_delim",
                "allow_nonfinite", "skip_malformed")


class CsvInputFn(InputFn):
    """Batches read from CSV files (tfc_input_from_csv); see tfc.data.make_csv_input_fn."""

    def __init__(self, file_pattern, column_names, batch_size, num_epochs, shuffle, shuffle_buffer_size,
                 shuffle_seed, partial_final_batch, schema_args):
        super().__init__()
        self.patterns = _patterns(file_pattern)
        self.column_names = list(column_names)
        self.schema_args = schema_args
        self.options = _reader_options(batch_size, num_epochs, shuffle, shuffle_buffer_size, shuffle_seed,
                                       partial_final_batch)
        self.endless = num_epochs is None
        # Fail now, naming the pattern, rather than when a pass starts.
        for p in self.patterns:
            if not glob.glob(p) and not os.path.exists(p):
                from . import errors
                raise errors.NotFoundError("make_csv_input_fn: no file matches %r" % p, errors.NOT_FOUND)
        CsvSchema(self.column_names, **schema_args)  # validates the schema now

    def _build(self, label_vocabulary):
        args = dict(self.schema_args)
        if label_vocabulary is not None and args.get("label_vocabulary") is None and args.get("label_name"):
            args["label_vocabulary"] = list(label_vocabulary)
        schema = CsvSchema(self.column_names, **args)
        arr, n = str_array(self.patterns)
        out = ctypes.c_void_p()
        lib.tfc_input_from_csv(schema._ptr, arr, n, ctypes.byref(self.options), cstr(args.get("label_name")),
                               ctypes.byref(out))
        return Input(out.value)
