"""Objects free their C handles: 10,000 create / run / free cycles keep the
process's memory flat."""

import gc
import os

import tfc
from tfc import _tensor


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cycle(i, np):
    g = tfc.Graph()
    with g:
        x = tfc.placeholder(tfc.float32, [None, 4], name="x")
        w = tfc.Variable(tfc.ones([4, 2]))
        y = tfc.nn.softmax(tfc.matmul(x, w) + float(i % 7))
        loss = tfc.reduce_mean(y)
        train_op = tfc.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = tfc.global_variables_initializer()
        try:
            tfc.matmul(x, x)  # an error path: the exception and the graph's error are released too
        except tfc.errors.InvalidArgumentError:
            pass
    col = tfc.feature_column.indicator_column(
        tfc.feature_column.categorical_column_with_vocabulary_list("k", ["a", "b", "c"]))
    feed = np.full((8, 4), i % 5, dtype=np.float32) if np is not None else [[float(i % 5)] * 4] * 8
    t = tfc.Tensor(feed)
    with tfc.Session(graph=g) as s:
        s.run(init)
        out = s.run([y, train_op, loss], {x: t})
        s.run(train_op, {x: [[1.0, 2.0, 3.0, 4.0]]})
    assert out[0].shape[0] == 8 if np is not None else len(out[0]) == 8
    del col, t


def test_create_run_free_cycles_keep_memory_flat():
    try:
        import numpy as np
    except ImportError:
        np = None
    gc.collect()
    borrowed = _tensor.borrowed_count()
    rss = {}
    for i in range(1, 10001):
        _cycle(i, np)
        if i in (1000, 10000):
            gc.collect()
            rss[i] = _rss_bytes()
    growth = rss[10000] - rss[1000]
    assert growth < 3 * 1024 * 1024, "RSS grew by %.1f MB between cycles 1,000 and 10,000" % (growth / 2 ** 20)
    assert _tensor.borrowed_count() == borrowed  # every array lent to tfc was released
    assert gc.collect() == 0  # no reference cycles left to collect
