"""The ctypes mirrors of the C structs passed by value or pointer have the C
layout (size and every field's offset), checked against the headers with the
C compiler when there is one."""

import ctypes
import os
import shutil
import subprocess

import pytest

from conftest import SOURCE_ROOT
from tfc import _lib

STRUCTS = {
    "tfc_output": _lib.Output, "tfc_gradient": _lib.Gradient, "tfc_session_options": _lib.SessionOptions,
    "tfc_saver_options": _lib.SaverOptions, "tfc_export_options": _lib.ExportOptions,
    "tfc_ftrl_options": _lib.FtrlOptions, "tfc_csv_schema_options": _lib.CsvSchemaOptions,
    "tfc_csv_reader_options": _lib.CsvReaderOptions, "tfc_tensor_input_options": _lib.TensorInputOptions,
    "tfc_optimizer_config": _lib.OptimizerConfig, "tfc_run_config": _lib.RunConfig,
    "tfc_estimator_options": _lib.EstimatorOptions, "tfc_train_stats": _lib.TrainStats,
    "tfc_train_spec": _lib.TrainSpec, "tfc_eval_spec": _lib.EvalSpec,
}


def test_struct_layouts_match_the_headers(tmp_path):
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to read the headers' layouts")
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "tfc/tfc.h"', "int main(void) {"]
    for cname, cls in STRUCTS.items():
        lines.append('printf("%s size %%zu\\n", sizeof(%s));' % (cname, cname))
        for field, _ in cls._fields_:
            lines.append('printf("%s.%s %%zu\\n", offsetof(%s, %s));' % (cname, field, cname, field))
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    r = subprocess.run([cc, "-std=c11", "-I", os.path.join(SOURCE_ROOT, "include"), str(src), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr  # a field the header lacks fails here, naming it
    c_values = dict(line.rsplit(" ", 1) for line in subprocess.check_output([str(exe)], text=True).splitlines())
    for cname, cls in STRUCTS.items():
        assert int(c_values[cname + " size"]) == ctypes.sizeof(cls), cname
        for field, _ in cls._fields_:
            assert int(c_values["%s.%s" % (cname, field)]) == getattr(cls, field).offset, (cname, field)
