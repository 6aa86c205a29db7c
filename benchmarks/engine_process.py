"""Run one engine's part of a benchmark in a fresh Python process.

Engines sharing one process leave memory to each other (Dask's threads
keep freed memory in their malloc arenas, and the next engine pays for
fresh pages), so each benchmark script re-runs itself with
``--engine NAME`` and prints that engine's results as JSON on its last
line of output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run_engine_process(script: str, engine: str, args: list[str]) -> object:
    """``python script --engine engine *args``: its last line, parsed as JSON."""
    cmd = [sys.executable, os.path.abspath(script), "--engine", engine, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"{engine} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_engine_with_answers(
    script: str, engine: str, args: list[str], tmp: str
) -> tuple[object, object]:
    """Like :func:`run_engine_process`, for scripts whose engine process also
    pickles its answers to ``--out PATH``: returns (timings, answers)."""
    import pickle

    out = os.path.join(tmp, engine + ".pkl")
    timings = run_engine_process(script, engine, [*args, "--out", out])
    with open(out, "rb") as f:
        return timings, pickle.load(f)


def add_engine_arguments(parser: object, engines: list[str]) -> None:
    """``--engines`` (a comma list, default all) and the hidden ``--engine``
    and ``--out`` that :func:`run_engine_with_answers` passes to the engine
    process."""
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    parser.add_argument("--engines", default=",".join(engines))
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)


def engines_with_pandas(engines: str) -> list[str]:
    """The engines asked for, pandas first (every answer is checked
    against its)."""
    names = engines.split(",")
    return names if "pandas" in names else ["pandas", *names]
