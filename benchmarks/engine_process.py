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
