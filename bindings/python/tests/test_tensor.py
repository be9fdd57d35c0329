"""tfc.Tensor: every dtype from and to Python and NumPy, zero-copy NumPy
input, conversions that are refused, and feed/fetch round trips."""

import gc

import pytest

import tfc
from tfc import _tensor
from conftest import aslist

ALL = [tfc.float32, tfc.float64, tfc.int32, tfc.uint8, tfc.int16, tfc.int8, tfc.int64, tfc.bool, tfc.string]
SAMPLE = {
    "float32": [[1.5, -2.25], [0.0, 3.0]], "float64": [[1e-300, -2.5], [7.0, 8.125]],
    "int32": [[-2 ** 31, 5], [2 ** 31 - 1, 0]], "uint8": [[0, 255], [17, 3]], "int16": [[-32768, 7], [32767, 0]],
    "int8": [[-128, 127], [0, 1]], "int64": [[-2 ** 63, 2 ** 40], [2 ** 63 - 1, 0]],
    "bool": [[True, False], [False, True]], "string": [[b"a", b""], ["\u00e9t\u00e9".encode(), b"x\x00y"]],
}


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: d.name)
def test_list_round_trip(dtype):
    value = SAMPLE[dtype.name]
    t = tfc.Tensor(value, dtype)
    assert t.dtype == dtype and t.shape == (2, 2) and t.ndim == 2 and t.size == 4
    assert t.tolist() == [[v.encode() if isinstance(v, str) else v for v in row] for row in value]
    t.close()
    with pytest.raises(ValueError, match="after close"):
        t.dtype


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: d.name)
def test_feed_fetch_round_trip(dtype, graph):
    x = tfc.placeholder(dtype, [None, 2])
    y = tfc.identity(x)
    with tfc.Session() as s:
        got = s.run(y, {x: SAMPLE[dtype.name]})
        want = SAMPLE[dtype.name]
        if dtype == tfc.string:
            want = [[v.encode() if isinstance(v, str) else v for v in row] for row in want]
        assert aslist(got) == want


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: d.name)
def test_numpy_round_trip(dtype, graph):
    np = pytest.importorskip("numpy")
    a = np.array(SAMPLE[dtype.name], dtype=object if dtype == tfc.string else dtype.name)
    t = tfc.Tensor(a)
    assert t.dtype == dtype
    back = t.numpy()
    assert back.dtype == a.dtype and back.shape == a.shape and (back == a).all()
    x = tfc.placeholder(dtype, [2, 2])
    with tfc.Session() as s:
        got = s.run(tfc.identity(x), {x: a})
    assert got.dtype == a.dtype and (got == a).all()


def test_scalars_and_empty(graph):
    assert tfc.Tensor(3).dtype == tfc.int32
    assert tfc.Tensor(2 ** 40).dtype == tfc.int64
    assert tfc.Tensor(1.5).dtype == tfc.float32 and tfc.Tensor(1.5).tolist() == 1.5
    assert tfc.Tensor(True).dtype == tfc.bool
    assert tfc.Tensor("s").tolist() == b"s"
    e = tfc.Tensor([[], []], tfc.float32)
    assert e.shape == (2, 0) and e.tolist() == [[], []]
    assert tfc.Tensor([], tfc.int64).tolist() == []
    with tfc.Session() as s:
        v = s.run(tfc.constant(7.0) * 2)
        assert float(v) == 14.0


def test_refused_conversions():
    with pytest.raises(TypeError, match="fraction"):
        tfc.Tensor([1.5, 2.0], tfc.int32)
    with pytest.raises(TypeError, match="cannot convert the string"):
        tfc.Tensor(["a"], tfc.float32)
    with pytest.raises(TypeError, match="mix strings and numbers"):
        tfc.Tensor([1, "a"])
    with pytest.raises(ValueError, match="not rectangular"):
        tfc.Tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match="out of range for uint8"):
        tfc.Tensor([256], tfc.uint8)
    with pytest.raises(ValueError, match="out of range for int64"):
        tfc.Tensor([2 ** 63])
    with pytest.raises(TypeError, match="cannot convert dict"):
        tfc.Tensor({"a": 1})
    t = tfc.Tensor([1.0], tfc.float32)
    with pytest.raises(TypeError, match="float32 cannot be used as int64"):
        _tensor.convert_to_tensor_value(t, tfc.int64)
    with pytest.raises(TypeError, match="unknown dtype name"):
        tfc.Tensor([1], "float16")


def test_refused_numpy_conversions():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="without losing information"):
        tfc.Tensor(np.array([1.5]), tfc.int32)
    with pytest.raises(TypeError, match="array of strings"):
        tfc.Tensor(np.array(["a"]), tfc.float32)
    with pytest.raises(TypeError, match="no tfc dtype"):
        tfc.Tensor(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="no tfc dtype"):
        tfc.Tensor(np.array([1], dtype=np.float16))
    # float64 -> float32 and int64 -> int32 convert, as TensorFlow's feeds do
    assert tfc.Tensor(np.array([1.5]), tfc.float32).tolist() == [1.5]
    assert tfc.Tensor(np.array([3], dtype=np.int64), tfc.int32).tolist() == [3]


def test_numpy_zero_copy(graph):
    np = pytest.importorskip("numpy")
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = tfc.Tensor(a)
    assert t.data_ptr == a.ctypes.data  # the tensor borrows the array's buffer
    a[1, 2] = 100.0  # and sees later writes
    assert t.numpy()[1, 2] == 100.0
    x = tfc.placeholder(tfc.float32, [3, 4])
    y = tfc.reduce_sum(x)
    with tfc.Session() as s:
        assert s.run(y, {x: t}) == a.sum()
        a[0, 0] = 1000.0  # a fed NumPy array is borrowed too: the run reads its current values
        assert s.run(y, {x: a}) == a.sum()


def test_numpy_copies_when_layout_does_not_allow():
    np = pytest.importorskip("numpy")
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = tfc.Tensor(a.T)  # not C-contiguous
    assert t.data_ptr != a.ctypes.data and t.numpy().tolist() == a.T.tolist()
    b = np.arange(4, dtype=">i4")  # big-endian
    assert tfc.Tensor(b).tolist() == [0, 1, 2, 3]


def test_borrowed_arrays_are_released():
    np = pytest.importorskip("numpy")
    gc.collect()
    before = _tensor.borrowed_count()
    a = np.ones(1000, dtype=np.float64)
    t = tfc.Tensor(a)
    assert _tensor.borrowed_count() == before + 1
    copy = tfc.Tensor(t)  # a second reference to the same buffer
    t.close()
    assert _tensor.borrowed_count() == before + 1
    del copy
    assert _tensor.borrowed_count() == before


def test_list_without_numpy_path(monkeypatch):
    # the pure-Python paths, as on a machine without NumPy
    monkeypatch.setattr(_tensor, "_numpy", None)
    monkeypatch.setattr(_tensor, "_numpy_checked", True)
    big = [[float(i + j) for j in range(10)] for i in range(10)]
    t = tfc.Tensor(big)
    assert t.tolist() == big
    with pytest.raises(ImportError, match="needs NumPy"):
        t.numpy()
    with tfc.Graph():
        x = tfc.placeholder(tfc.float32, [None, 10])
        with tfc.Session() as s:
            out = s.run([tfc.reduce_sum(x), x], {x: big})
    assert out[0] == sum(map(sum, big)) and out[1] == big
