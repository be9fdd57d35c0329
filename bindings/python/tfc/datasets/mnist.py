"""MNIST / Fashion-MNIST for the tutorial script, like TensorFlow's
tensorflow.examples.tutorials.mnist.input_data (NumPy required):

    mnist = read_data_sets("/usr/share/datasets/fashion-mnist", one_hot=True)
    batch_xs, batch_ys = mnist.train.next_batch(100)

Files: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] in train_dir.
"""

import collections
import os

from ..data import read_idx

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class DataSet:
    """Images as float32 [n, 784] in [0, 1], labels as ids or one-hot float32 [n, 10]."""

    def __init__(self, images, labels, seed=None):
        import numpy as np
        self._images, self._labels = images, labels
        self._n = images.shape[0]
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(self._n)
        self._pos = self._n  # shuffle before the first batch
        self.epochs_completed = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._n

    def next_batch(self, batch_size, shuffle=True):
        """The next batch_size examples of a shuffled pass (reshuffled every epoch)."""
        if self._pos + batch_size > self._n:
            if self._pos < self._n:
                self.epochs_completed += 1
            self._order = self._rng.permutation(self._n) if shuffle else self._order
            self._pos = 0
        idx = self._order[self._pos:self._pos + batch_size]
        self._pos += batch_size
        return self._images[idx], self._labels[idx]


def _path(train_dir, name):
    for candidate in (name + ".gz", name):
        p = os.path.join(train_dir, candidate)
        if os.path.exists(p):
            return p
    return os.path.join(train_dir, name + ".gz")  # read_idx names it in the NotFoundError


def _load(train_dir, which, one_hot, dtype_float):
    import numpy as np
    images = read_idx(_path(train_dir, "%s-images-idx3-ubyte" % which))
    labels = read_idx(_path(train_dir, "%s-labels-idx1-ubyte" % which)).astype(np.int64)
    images = images.reshape(images.shape[0], -1)
    if dtype_float:
        images = images.astype(np.float32) * np.float32(1.0 / 255.0)
    if one_hot:
        oh = np.zeros((labels.shape[0], 10), dtype=np.float32)
        oh[np.arange(labels.shape[0]), labels] = 1.0
        labels = oh
    return images, labels


def read_data_sets(train_dir=DEFAULT_DIR, one_hot=False, dtype="float32", reshape=True, validation_size=5000,
                   seed=None):
    """Datasets(train, validation, test). dtype 'float32' scales pixels to [0, 1],
    'uint8' keeps bytes. The first validation_size training images are the
    validation set, as TensorFlow's helper does."""
    if not reshape:
        raise NotImplementedError("read_data_sets: reshape=False is not supported")
    dtype_float = str(dtype) in ("float32", "tfc.float32")
    ti, tl = _load(train_dir, "train", one_hot, dtype_float)
    test = DataSet(*_load(train_dir, "t10k", one_hot, dtype_float), seed=seed)
    if not 0 <= validation_size <= ti.shape[0]:
        raise ValueError("validation_size must be in [0, %d], got %d" % (ti.shape[0], validation_size))
    validation = DataSet(ti[:validation_size], tl[:validation_size], seed=seed)
    train = DataSet(ti[validation_size:], tl[validation_size:], seed=seed)
    return Datasets(train=train, validation=validation, test=test)
