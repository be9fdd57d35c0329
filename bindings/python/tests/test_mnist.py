"""The seed's MNIST softmax script, ported to tfc's Python bindings, reaches
the C example's accuracy on Fashion-MNIST."""

import os
import runpy

import pytest

from conftest import SOURCE_ROOT

DATA = os.environ.get("TFC_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def test_mnist_softmax_script_reaches_the_c_accuracy():
    pytest.importorskip("numpy")
    if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
        pytest.skip("Fashion-MNIST not found in %s (apt-get install dataset-fashion-mnist)" % DATA)
    script = runpy.run_path(os.path.join(SOURCE_ROOT, "examples", "python", "mnist_softmax.py"))
    # examples/mnist_softmax.c: 0.82 to 0.83 after 1000 steps of 100 at rate 0.5
    accuracy = script["main"](DATA, steps=1000, seed=0)
    assert accuracy >= 0.80


def test_mnist_reader_errors(tmp_path):
    pytest.importorskip("numpy")
    import tfc
    from tfc.datasets import mnist
    with pytest.raises(tfc.errors.NotFoundError, match="train-images-idx3-ubyte"):
        mnist.read_data_sets(str(tmp_path))
    (tmp_path / "bad").write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x05")  # claims 5 images, has none
    with pytest.raises(tfc.errors.OpError, match="bad"):
        tfc.data.read_idx(str(tmp_path / "bad"))
