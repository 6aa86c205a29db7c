"""A dataset's committed version: its ``_SUCCESS`` manifest and the old
versions an overwrite keeps.

The commit protocol (``io/commit.py``) writes a manifest as its last move
and keeps a replaced version hidden for ``retain_seconds``; the readers
(``io/snapshot.py``) plan on a manifest and find a pinned file in a kept
version. This module is what both share: the manifest's format, the
retention rules and their expiry.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from typing import Any

from .. import config
from .commit_lock import CommitError, journal_path, read_journal
from .paths import _GLOB, join, parent_and_name

SUCCESS = "_SUCCESS"


RETAINED = "_pf_retained"


MANIFEST_KEY = "partframe_manifest"


DEFAULT_RETAIN_SECONDS = 300.0


def manifest_bytes(stamp: str, files: dict) -> bytes:
    """The ``_SUCCESS`` manifest of a folder holding ``files``."""
    return json.dumps(
        {MANIFEST_KEY: 1, "stamp": stamp, "files": dict(sorted(files.items()))},
        indent=0,
    ).encode()


def read_manifest(fs: Any, folder: str) -> dict | None:
    """The manifest of ``folder``, or None (no ``_SUCCESS``, or an empty or
    foreign one)."""
    try:
        raw = fs.cat_file(join(folder, SUCCESS))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    if not raw:
        return None
    try:
        out = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(out, dict) or out.get(MANIFEST_KEY) != 1:
        return None
    if not isinstance(out.get("files"), dict) or not isinstance(out.get("stamp"), str):
        return None
    return out


def retain_seconds() -> float:
    value = config.get("retain_seconds")
    return DEFAULT_RETAIN_SECONDS if value is None else float(value)


def retain_versions() -> int:
    return int(config.get("retain_versions"))


def dataset_folders(paths: list[str]) -> list[str]:
    """The dataset folders of a reader's paths: a path itself, or a glob's
    fixed folder prefix."""
    out: list[str] = []
    for p in paths:
        m = _GLOB.search(p)
        d = p[: m.start()].rsplit("/", 1)[0] if m else p.rstrip("/")
        if d and d not in out:
            out.append(d)
    return out


def retained_versions(fs: Any, folder: str) -> list[str]:
    """The retained old versions of ``folder`` (hidden siblings)."""
    parent, name = parent_and_name(folder)
    prefix = f".{name}._old-"
    try:
        listed = fs.ls(parent or ".", detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        p.rstrip("/")
        for p in listed
        if parent_and_name(p.rstrip("/"))[1].startswith(prefix)
    )


def mark_retained(fs: Any, backup: str, when: float) -> None:
    """Record that ``backup`` is a retained old version since ``when``."""
    fs.pipe_file(join(backup, RETAINED), json.dumps({"time": when}).encode())


def _retained_since(fs: Any, old: str) -> float | None:
    try:
        return float(json.loads(fs.cat_file(join(old, RETAINED)))["time"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def expire(fs: Any, folder: str, older_than: float | None = None) -> list[str]:
    """Delete the retained versions of ``folder`` replaced more than
    ``older_than`` seconds ago (default ``retain_seconds``) or older than
    the newest ``retain_versions``, and old backups no commit journal
    refers to. Returns the deleted folders."""
    limit = retain_seconds() if older_than is None else older_than
    fs.invalidate_cache()
    try:
        journal = read_journal(fs, journal_path(folder))
    except CommitError:
        return []
    live = {journal["backup"]} if journal else set()
    kept: list[tuple[float, str]] = []
    out = []
    for old in retained_versions(fs, folder):
        if old in live:
            continue  # a commit running now (or interrupted) needs it
        since = _retained_since(fs, old)
        if since is None or time.time() - since >= limit:
            out.append(old)
        else:
            kept.append((since, old))
    # at most ``retain_versions`` old versions, the newest ones
    kept.sort(reverse=True)
    out.extend(old for _, old in kept[max(0, retain_versions()) :])
    for old in out:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(old, recursive=True)
    return out


def expire_later(fs: Any, folder: str, delay: float) -> None:
    """Run :func:`expire` after ``delay`` seconds in this process (a daemon
    timer: a process that exits first leaves it to the next write or to
    :func:`vacuum`)."""

    def run() -> None:
        with contextlib.suppress(Exception):
            expire(fs, folder)

    timer = threading.Timer(delay + 0.5, run)
    timer.daemon = True
    timer.start()


def restamp(fs: Any, folder: str) -> None:
    """Give the manifest of ``folder`` a new stamp (after a rollback put old
    files back: readers that read during the commit must check again)."""
    m = read_manifest(fs, folder)
    if m is not None:
        fs.pipe_file(
            join(folder, SUCCESS), manifest_bytes(uuid.uuid4().hex[:16], m["files"])
        )
