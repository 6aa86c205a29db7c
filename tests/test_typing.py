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


def test_mypy():
    res = subprocess.run(
        _mypy_command(), cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_py_typed_is_shipped():
    """PEP 561: the marker is in the package and declared as package data."""
    assert (ROOT / "partframe" / "py.typed").exists()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["partframe"]
