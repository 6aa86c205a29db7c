"""The tree stays ruff-clean (lint and format), as CI checks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    # Next to this Python (a venv that is not activated), else on PATH.
    local = Path(sys.executable).parent / "ruff"
    exe = str(local) if local.exists() else shutil.which("ruff")
    if exe is None:
        pytest.fail(
            "ruff is not installed: install the test extra (pip install -e '.[test]')"
        )
    return [exe]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff(args):
    res = subprocess.run(
        [*_ruff(), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_import_is_light():
    """``import partframe`` pulls in no optional engine."""
    code = (
        "import sys, partframe; "
        "bad = [m for m in ('dask', 'distributed', 'ray', 'graphviz', 's3fs', 'moto') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
