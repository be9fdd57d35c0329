"""Reading data: CSV files (input functions for estimators, or whole files
into memory), JSON-lines instances and IDX files (MNIST's format).

    train_input = tfc.data.make_csv_input_fn("adult.data", COLUMNS, DEFAULTS, label_name="income_bracket",
                                             batch_size=40, num_epochs=None, shuffle=True)
"""

import ctypes

from . import errors
from ._input import _SCHEMA_ARGS, CsvInputFn, CsvSchema, _patterns, _reader_options
from ._lib import cstr, lib, str_array
from ._tensor import Tensor, to_python


def make_csv_input_fn(file_pattern, column_names, column_defaults=None, label_name=None, batch_size=32,
                      num_epochs=1, shuffle=False, shuffle_buffer_size=10000, shuffle_seed=0, column_dtypes=None,
                      label_vocabulary=None, label_strip_trailing_period=False, field_delim=",", header=False,
                      na_value=None, comment_prefix=None, trim_whitespace=True, use_quote_delim=True,
                      allow_nonfinite=False, skip_malformed=False, partial_final_batch=True):
    """An input_fn reading batches from CSV files (paths or glob patterns, plain or gzip).

    Like tf.data.experimental.make_csv_dataset: every column except
    label_name is a feature named like the column. column_defaults gives one
    entry per column: a value (0 -> int64, 0.0 -> float32, '' -> string,
    used for missing fields), [value] as TensorFlow writes it, or [] / None /
    a dtype for a required column (float32 unless column_dtypes says).
    num_epochs None reads forever; shuffle uses a buffer of
    shuffle_buffer_size rows. na_value marks a missing field ("?" in the
    census files); header skips that many lines of every file (True: one).
    label_vocabulary maps the label text to class ids (an estimator's
    label_vocabulary is used when this is None); label_strip_trailing_period
    maps ">50K." like ">50K" (the census test file).
    """
    args = dict(zip(_SCHEMA_ARGS, (column_defaults, column_dtypes, label_name, label_vocabulary,
                                   label_strip_trailing_period, field_delim, header, na_value, comment_prefix,
                                   trim_whitespace, use_quote_delim, allow_nonfinite, skip_malformed)))
    return CsvInputFn(file_pattern, column_names, batch_size, num_epochs, shuffle, shuffle_buffer_size, shuffle_seed,
                      partial_final_batch, args)


def read_csv(file_pattern, column_names, column_defaults=None, column_dtypes=None, label_name=None,
             label_vocabulary=None, label_strip_trailing_period=False, field_delim=",", header=False, na_value=None,
             comment_prefix=None, trim_whitespace=True, use_quote_delim=True, allow_nonfinite=False,
             skip_malformed=False):
    """Reads whole CSV files into memory: {column name: NumPy array (or list)}.
    With label_name, returns (features, labels) instead. Same arguments as
    make_csv_input_fn; the result feeds numpy_input_fn (tf.data's cache())."""
    schema = CsvSchema(column_names, column_defaults, column_dtypes, label_name, label_vocabulary,
                       label_strip_trailing_period, field_delim, header, na_value, comment_prefix, trim_whitespace,
                       use_quote_delim, allow_nonfinite, skip_malformed)
    arr, n = str_array(_patterns(file_pattern))
    opts = _reader_options(1 << 24, 1, False, 0, 0, True)
    reader = ctypes.c_void_p()
    lib.tfc_csv_reader_new(schema._ptr, arr, n, ctypes.byref(opts), ctypes.byref(reader))
    names = schema.column_names
    cols = {k: [] for k in names}
    try:
        while True:
            batch = (ctypes.c_void_p * len(names))()
            rows = ctypes.c_int64()
            code = lib.tfc_csv_reader_next_batch(reader, 0, batch, ctypes.byref(rows))
            if code == errors.OUT_OF_RANGE:
                break
            if code:
                raise errors.from_code(code, lib.tfc_last_error().decode("utf-8", "replace"))
            for k, p in zip(names, batch):
                cols[k].append(Tensor._wrap(p))
    finally:
        lib.tfc_csv_reader_free(reader)
    out = {k: _concat([t.value() for t in ts]) for k, ts in cols.items()}
    if label_name is not None:
        labels = out.pop(label_name)
        return out, labels
    return out


def _concat(parts):
    if not parts:
        return []
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], list):
        return [v for p in parts for v in p]
    import numpy as np
    return np.concatenate(parts)


def read_json_lines(path_or_text, column_names, column_defaults=None, column_dtypes=None, label_name=None,
                    label_vocabulary=None):
    """Reads JSON-lines instances (one object of feature -> value per line; a
    path, or the text as bytes) into {name: NumPy array (or list)}."""
    schema = CsvSchema(column_names, column_defaults, column_dtypes, label_name, label_vocabulary)
    names = schema.column_names
    batch = (ctypes.c_void_p * len(names))()
    rows = ctypes.c_int64()
    if isinstance(path_or_text, bytes):
        lib.tfc_json_lines_parse(schema._ptr, path_or_text, len(path_or_text), b"<bytes>", batch, ctypes.byref(rows))
    else:
        lib.tfc_json_lines_read(schema._ptr, cstr(path_or_text), batch, ctypes.byref(rows))
    return {k: Tensor._wrap(p).value() for k, p in zip(names, batch)}


def read_idx(path, as_tensor=False):
    """An IDX file (MNIST / Fashion-MNIST, plain or gzip) as a NumPy array of
    its element type (nested lists without NumPy; a tfc.Tensor with as_tensor)."""
    out = ctypes.c_void_p()
    lib.tfc_idx_read(cstr(path), ctypes.byref(out))
    t = Tensor._wrap(out.value)
    if as_tensor:
        return t
    try:
        return to_python(t._ptr)
    finally:
        t.close()


__all__ = ["make_csv_input_fn", "read_csv", "read_json_lines", "read_idx", "CsvSchema"]
