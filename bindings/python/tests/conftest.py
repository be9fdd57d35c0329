"""Test setup: the package of this source tree (not an installed one), the
repository root and the shared data directory."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)  # bindings/python
SOURCE_ROOT = os.environ.get("TFC_SOURCE_ROOT") or os.path.dirname(os.path.dirname(PACKAGE_DIR))
sys.path.insert(0, PACKAGE_DIR)


def shared_data_dir(name):
    """$TFC_SHARED_DATA/name, else <source root>/../shared/data/name; None when absent."""
    env = os.environ.get("TFC_SHARED_DATA")
    base = env if env else os.path.join(SOURCE_ROOT, "..", "shared", "data")
    d = os.path.join(base, name)
    return d if os.path.isdir(d) else None


@pytest.fixture
def graph():
    import tfc
    with tfc.Graph() as g:
        yield g


def aslist(v):
    """A fetched value as nested lists (NumPy arrays or, without NumPy, lists already)."""
    if isinstance(v, (list, tuple)):
        return [aslist(x) for x in v]
    return v.tolist() if hasattr(v, "tolist") else v
