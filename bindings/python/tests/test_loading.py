"""Loading libtfc: $TFC_LIBRARY, build directories, the system path, and the
error listing every place tried."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import PACKAGE_DIR

import tfc
from tfc import _lib


def _run_import(tmp_path, env_lib):
    """Imports a copy of the package from tmp_path (no build directory above it)."""
    shutil.copytree(os.path.join(PACKAGE_DIR, "tfc"), str(tmp_path / "tfc"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ)
    env["TFC_LIBRARY"] = env_lib
    env.pop("LD_LIBRARY_PATH", None)
    code = "import tfc, sys; sys.stdout.write(tfc.library_path)"
    return subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True)


def test_loaded_from_tfc_library():
    want = os.environ.get("TFC_LIBRARY")
    if want:
        assert tfc.library_path == want
    assert tfc.library_version.count(".") == 2
    assert _lib.lib.tfc_version_number() >= 100


def test_library_not_found_lists_every_place(tmp_path):
    bogus = str(tmp_path / "nowhere" / "libtfc.so")
    r = _run_import(tmp_path, bogus)
    if r.returncode == 0:
        pytest.skip("a libtfc was found elsewhere (%s)" % r.stdout)
    err = r.stderr
    assert "ImportError" in err
    assert "could not load the tfc C library" in err
    assert "$TFC_LIBRARY: " + bogus in err
    # no build directory above the copy (unless one sits in a parent such as /tmp)
    assert ("build directory: no build*/src/libtfc.so in " + str(tmp_path / "tfc") in err or
            "build directory: /" in err)
    assert "system library path: libtfc.so.0" in err
    assert "Set TFC_LIBRARY" in err


def test_bad_tfc_library_falls_back_with_a_warning(tmp_path):
    good = os.environ.get("TFC_LIBRARY") or tfc.library_path
    lib_dir = tmp_path / "build-x" / "src"
    lib_dir.mkdir(parents=True)
    os.symlink(good, str(lib_dir / "libtfc.so"))
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    r = _run_import(pkg, str(tmp_path / "missing.so"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == str(lib_dir / "libtfc.so")
    assert "could not be loaded; using" in r.stderr


def test_build_directories_with_sanitizers_are_skipped(tmp_path):
    for name, san in (("build-asan", "address,undefined"), ("build-plain", "none")):
        d = tmp_path / name
        (d / "src").mkdir(parents=True)
        (d / "src" / "libtfc.so").write_bytes(b"")
        (d / "meson-info").mkdir()
        (d / "meson-info" / "intro-buildoptions.json").write_text(json.dumps([{"name": "b_sanitize", "value": san}]))
    found = _lib._build_libraries(str(tmp_path / "x" / "y"))
    assert str(tmp_path / "build-asan" / "src" / "libtfc.so") in found
    assert _lib._sanitized(str(tmp_path / "build-asan"))
    assert not _lib._sanitized(str(tmp_path / "build-plain"))
    assert not _lib._sanitized(str(tmp_path / "no-such-build"))


def test_error_codes_map_to_tensorflow_exceptions():
    from tfc import errors
    assert errors.from_code(3, "m").__class__ is errors.InvalidArgumentError
    assert errors.from_code(5, "m").__class__ is errors.NotFoundError
    assert errors.from_code(11, "m").__class__ is errors.OutOfRangeError
    e = errors.from_code(99, "strange")
    assert isinstance(e, errors.UnknownError) and "99" in str(e)
    for code in range(1, 17):
        cls = errors.exception_type_from_error_code(code)
        assert issubclass(cls, errors.OpError) and cls.error_code == code
        name = _lib.lib.tfc_code_name(code).decode()  # "INVALID_ARGUMENT" -> InvalidArgumentError
        assert cls.__name__ == "".join(w.capitalize() for w in name.split("_")) + "Error"
