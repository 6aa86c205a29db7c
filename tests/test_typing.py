"""The package type-checks with mypy, as CI checks it.

The configuration is ``[tool.mypy]`` in ``pyproject.toml``: every module
checked; the plan (``expr``), graph, scheduler and commit modules strictly.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mypy_command() -> list[str]:
    # The mypy of this Python's environment (a venv that is not activated),
    # else one on PATH.
    if importlib.util.find_spec("mypy") is not None:
        return [sys.executable, "-m", "mypy"]
    on_path = shutil.which("mypy")
    if on_path is None:
        pytest.fail(
            "mypy is not installed: install the test extra (pip install -e '.[test]')"
        )
    return [on_path]


# Public methods whose result type is fixed say so: checked by mypy
# (assert_type, in test_mypy) and at run time (isinstance) on the same code.
_USAGE = """
from typing import assert_type

import pandas as pd

import partframe
from partframe import Array, DataFrame, Index, Scalar, Series
from partframe.groupby import DataFrameGroupBy, SeriesGroupBy
from partframe.methods.accessors import StringAccessor

pdf = pd.DataFrame({"x": [3.0, None, 1.0], "y": ["a", "b", "a"]})
df: DataFrame = partframe.from_pandas(pdf, npartitions=2)
s: Series = df["x"]
assert_type(df.fillna(0), DataFrame)
assert_type(s.fillna(0), Series)
assert_type(df.where(df.notna()), DataFrame)
assert_type(s.astype("float32"), Series)
assert_type(s.cumsum(), Series)
assert_type(df.repartition(npartitions=1), DataFrame)
assert_type(df.sort_values("x"), DataFrame)
assert_type(s.sort_values(), Series)
assert_type(df.merge(df, on="y"), DataFrame)
assert_type(df.drop(columns=["y"]), DataFrame)
assert_type(df.rename(columns={"x": "z"}), DataFrame)
assert_type(df.set_index("y"), DataFrame)
assert_type(df.dropna(), DataFrame)
assert_type(s.dropna(), Series)
assert_type(s.between(0, 2), Series)
assert_type(s.nunique(), Scalar)
assert_type(s.sum(), Scalar)
assert_type(s.std(ddof=0), Scalar)
assert_type(s.idxmax(), Scalar)
assert_type(s.count(), Scalar)
assert_type(s.memory_usage(), Scalar)
assert_type(s.quantile(0.5), Scalar | Series)
assert_type(s.value_counts(), Series)
assert_type(s.mode(), Series)
assert_type(s.describe(), Series)
assert_type(s.cummax(), Series)
assert_type(df.sum(), Series | Scalar)
assert_type(df.mean(axis=None, numeric_only=True), Series | Scalar)
assert_type(df.count(), Series)
assert_type(df.idxmax(numeric_only=True), Series)
assert_type(df.nunique(), Series)
assert_type(df.memory_usage(), Series)
assert_type(df.mode(), DataFrame)
assert_type(df.describe(), DataFrame)
assert_type(df.quantile([0.5], numeric_only=True), Series | DataFrame)
assert_type(df.index.max(), Scalar)
assert_type(df.copy(), DataFrame)
assert_type(partframe.merge(df, df, on="y"), DataFrame)
assert_type(partframe.from_dict({"a": [1, 2]}, npartitions=1), DataFrame)
labels: Series = df["y"]
assert_type(labels.str, StringAccessor)
assert_type(df.index, Index)
assert_type(df.index.isna(), Array)
assert_type(df.index.notna(), Array)
assert_type(df.index.isin([1, 2]), Array)
assert_type(df.index.isin([1, 2]).sum(), Scalar)
assert_type(df.index.isna() & df.index.notna(), Array)
assert_type(s + 1, Series)
assert_type(1 - s, Series)
assert_type(df[["x"]] * 2, DataFrame)
assert_type(s > 1, Series)
assert_type(-s, Series)
assert_type(df[["x"]].add(1), DataFrame)
assert_type(s.eq(1), Series)
assert_type(df["x"], Series)
assert_type(df.x, Series)
assert_type(df[["x"]], DataFrame)
assert_type(df[s > 1], DataFrame)
assert_type(s[s > 1], Series)
assert_type(df.head(2, compute=False), DataFrame)
assert_type(df.loc[1:2], DataFrame)
assert_type(s.loc[1:2], Series)
assert_type(df.loc[:, "x"], DataFrame | Series)
assert_type(df.iloc[0:2], DataFrame)
assert_type(df.partitions[0], DataFrame)
assert_type(df.get_partition(0), DataFrame)
assert_type(s.isin([1.0]), Series)
assert_type(df.isna(), DataFrame)
assert_type(s.notna(), Series)
assert_type(s.reset_index(), DataFrame)
assert_type(s.reset_index(drop=True), Series)
assert_type(partframe.concat([df, df]), DataFrame | Series)
assert_type(df.map_partitions(lambda p: p), DataFrame | Series | Index)
assert_type(df.pipe(lambda d: d.npartitions), int)
assert_type(labels.str.split(), Series | DataFrame)
assert_type(df.eval("x + 1"), DataFrame | Series)
assert_type(df.map(str), DataFrame)
gd = df.groupby("y")
assert isinstance(gd, DataFrameGroupBy)
assert_type(gd.sum(), DataFrame)
assert_type(gd.agg({"x": "max"}), DataFrame)
assert_type(gd.cumsum(), DataFrame)
assert_type(gd.cumcount(), Series)
assert_type(gd[["x"]], DataFrameGroupBy)
assert_type(gd.size(), Series | DataFrame)
gs = s.groupby(df["y"])
assert isinstance(gs, SeriesGroupBy)
assert_type(gs.mean(), Series | DataFrame)
assert_type(gs.median(), Series | DataFrame)
"""


def test_mypy(tmp_path):
    """The package, and the usage snippet against it, in one run."""
    usage = tmp_path / "usage.py"
    usage.write_text(_USAGE)
    res = subprocess.run(
        [*_mypy_command(), "partframe", str(usage)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_public_return_types_at_run_time():
    def assert_type(value, typ):
        assert isinstance(value, typ), (type(value), typ)
        return value

    code = _USAGE.replace("from typing import assert_type\n", "")
    exec(compile(code, "<usage>", "exec"), {"assert_type": assert_type})


def test_py_typed_is_shipped():
    """PEP 561: the marker is in the package and declared as package data."""
    assert (ROOT / "partframe" / "py.typed").exists()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["partframe"]
