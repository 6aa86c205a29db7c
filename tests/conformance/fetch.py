"""Fetch and unpack the pinned Dask sdist into a cache outside the repository.

The sdist is downloaded with ``pip download`` (so pip's index configuration,
proxies and certificates apply) into ``$PARTFRAME_CONFORMANCE_CACHE``, by default
``~/.cache/partframe/conformance``, and unpacked once next to it. Concurrent
pytest-xdist workers share the cache: a file lock makes one of them do the work.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

__all__ = ["SdistUnavailable", "cache_dir", "ensure_sdist"]


class SdistUnavailable(RuntimeError):
    """The sdist could not be downloaded (no network, no index, pip failed)."""


def cache_dir() -> Path:
    """The cache folder: ``$PARTFRAME_CONFORMANCE_CACHE`` or the user cache."""
    env = os.environ.get("PARTFRAME_CONFORMANCE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "partframe" / "conformance"


def ensure_sdist(version: str, cache: Path | None = None) -> Path:
    """Return the unpacked source tree of ``dask==version``, fetching it if needed.

    Parameters
    ----------
    version : str
        The exact Dask release.
    cache : Path, optional
        Where to keep the archive and the unpacked tree (see :func:`cache_dir`).

    Raises
    ------
    SdistUnavailable
        When the archive is not cached and ``pip download`` cannot fetch it.
    """
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    root = cache / f"dask-{version}"
    done = root / ".unpacked"
    if done.exists():
        return root
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another xdist worker may be fetching
        if done.exists():
            return root
        archive = cache / f"dask-{version}.tar.gz"
        if not archive.exists():
            _download(version, cache)
        if root.exists():
            shutil.rmtree(root)  # a half-unpacked tree from an interrupted run
        with tarfile.open(archive) as tar:
            tar.extractall(cache, filter="data")
        done.touch()
    return root


def _download(version: str, cache: Path) -> None:
    # pip prepares the sdist's metadata after downloading it (about 30 s, in an
    # isolated build environment); that happens once per cache.
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(cache),
        f"dask=={version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not (cache / f"dask-{version}.tar.gz").exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SdistUnavailable(
            f"could not download the dask=={version} sdist with pip: "
            + " | ".join(tail)
        )
