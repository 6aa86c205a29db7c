"""Recovery of an interrupted commit: forward past its commit point, back
before it.

:func:`roll_forward` completes a commit whose journal says ``"committed"``
(``_SUCCESS`` with the manifest, the backup kept for readers or deleted,
the staging folder and the journal deleted); :func:`roll_back` undoes any
other one. Both check what is already done, so they may be interrupted and
run again. :func:`recover` runs one of them under the commit lock, and
:func:`recover_for_read` does so for the paths a reader is given. See
*Recovery* in :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Any

from .commit_journal import move, set_state
from .commit_lock import (
    CommitError,
    Journal,
    _acquire,
    _display,
    _release,
    journal_path,
    read_journal,
)
from .manifest import (
    dataset_folders,
    expire,
    expire_later,
    manifest_bytes,
    mark_retained,
    restamp,
    retain_seconds,
)
from .paths import join, parent_and_name

__all__ = [
    "SUCCESS",
    "recover",
    "recover_for_read",
    "recover_locked",
    "roll_back",
    "roll_forward",
]


SUCCESS = "_SUCCESS"


def _rm_if_exists(fs: Any, path: str) -> None:
    if fs.exists(path):
        with contextlib.suppress(FileNotFoundError):
            fs.rm(path, recursive=True)


def roll_forward(fs: Any, journal: Journal) -> None:
    """Roll forward from the commit point (idempotent)."""
    dest = journal["dest"]
    # files added to a folder by name do not make it a dataset of one write
    if not journal["single_file"] and journal.get("marker", True):
        files = journal.get("manifest", {})
        fs.pipe_file(join(dest, SUCCESS), manifest_bytes(journal["token"], files))
    retain = journal.get("retain", False) and fs.exists(journal["backup"])
    if retain:  # readers that planned on the old version find it there
        mark_retained(fs, journal["backup"], journal["time"])
    else:
        _rm_if_exists(fs, journal["backup"])
    _rm_if_exists(fs, journal["staging"])
    with contextlib.suppress(FileNotFoundError):
        fs.rm(journal_path(dest))
    with contextlib.suppress(Exception):  # best effort, never fails a commit
        expire(fs, dest)
        if retain:
            expire_later(fs, dest, retain_seconds())


def roll_back(fs: Any, journal: Journal) -> None:
    """Undo a commit that did not reach its commit point (idempotent)."""
    fs.invalidate_cache()
    tree = journal["tree"]
    if journal["state"] == "in":
        # Every old file is in the backup by now, and append refused names
        # that existed: whatever sits at a move's target is new data.
        for _src, dst in reversed(journal["in"]):
            _rm_if_exists(fs, dst)
        # Old files moved back next may have the same names: a rollback
        # that is interrupted and rerun must not delete them as new data.
        set_state(fs, journal, "undo")
    for src, dst in reversed(journal["aside"]):
        src_there, dst_there = fs.exists(src), fs.exists(dst)
        if dst_there and src_there:
            if tree:  # renames are atomic: both cannot be there
                raise CommitError(
                    f"rollback of {journal['dest']!r}: both {src!r} and "
                    f"{dst!r} exist; resolve by hand (the latter is the old data)"
                )
            fs.rm(dst)  # copied but not yet deleted: the source is intact
        elif dst_there:
            move(fs, dst, src, tree)
        elif not src_there:
            raise CommitError(
                f"rollback of {journal['dest']!r}: the old file {src!r} is "
                f"neither in place nor in the backup {dst!r}"
            )
    for d in sorted(journal["new_dirs"], key=len, reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(d)
    if journal["empty_dir"] and not fs.exists(journal["dest"]):
        with contextlib.suppress(Exception):
            fs.mkdir(journal["dest"], create_parents=True)
    if journal["aside"] and journal.get("marker", True):
        # readers may have read new files before they were taken out again
        restamp(fs, journal["dest"])
    _rm_if_exists(fs, journal["staging"])
    _rm_if_exists(fs, journal["backup"])
    with contextlib.suppress(FileNotFoundError):
        fs.rm(journal_path(journal["dest"]))


def recover_locked(fs: Any, dest: str) -> str | None:
    journal = read_journal(fs, journal_path(dest))
    if journal is None:
        return None
    if journal["state"] == "committed":
        roll_forward(fs, journal)
        return "rolled forward"
    roll_back(fs, journal)
    return "rolled back"


def recover(fs: Any, dest: str, timeout: float | None = None) -> str | None:
    """Finish or undo an interrupted commit to ``dest``, if there is one.

    Costs one ``exists`` call when nothing is pending. Otherwise takes the
    commit lock (waiting up to ``timeout`` seconds for a running commit;
    a lock whose holder is provably dead is broken) and follows the
    journal: a commit past its commit point is completed, any other one is
    rolled back, so ``dest`` ends up holding exactly the new or exactly
    the old data. Safe to run again after an interruption.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The destination's filesystem (with write access).
    dest : str
        The destination, without protocol (as ``fsspec.url_to_fs`` gives).
    timeout : float, optional
        Seconds to wait for the commit lock (default ``LOCK_TIMEOUT``, 10).

    Returns
    -------
    str or None
        None if no commit was pending, else ``"rolled forward"`` or
        ``"rolled back"``.

    Raises
    ------
    CommitError
        The lock is held by a writer that may still run, or the journal
        cannot be followed.

    Examples
    --------
    >>> import fsspec
    >>> recover(fsspec.filesystem("memory"), "/doc/nothing-pending") is None
    True
    """
    dest = dest.rstrip("/")
    if not fs.exists(journal_path(dest)):
        return None
    token = uuid.uuid4().hex[:16]
    _acquire(fs, dest, token, timeout)
    try:
        return recover_locked(fs, dest)
    finally:
        _release(fs, dest, token)


def _journal_dests(fs: Any, dests: list[str]) -> list[str]:
    """Those of ``dests`` that have a journal (one call per parent folder)."""
    if len(dests) == 1:
        return [d for d in dests if fs.exists(journal_path(d))]
    by_parent: dict[str, list[str]] = {}
    for d in dests:
        by_parent.setdefault(parent_and_name(d)[0], []).append(d)
    out: list[str] = []
    for parent, group in by_parent.items():
        if not parent:  # relative names: no folder to list
            out.extend(d for d in group if fs.exists(journal_path(d)))
            continue
        try:
            listed = {p.rstrip("/") for p in fs.ls(parent, detail=False)}
        except (FileNotFoundError, NotADirectoryError):
            continue
        out.extend(d for d in group if journal_path(d) in listed)
    return out


def recover_for_read(fs: Any, paths: list[str]) -> None:
    """Repair interrupted commits to the destinations a reader is given.

    A path is a destination itself (a folder or a single file); a glob's
    destination is its fixed folder prefix. Nothing is done, beyond one
    ``exists`` call per path, unless a journal is found.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
    paths : list of str
        The reader's paths, without protocol.

    Raises
    ------
    CommitError
        A commit to one of them was interrupted and cannot be repaired from
        here (no write access, or a lock held by a writer that may run).
    """
    dests = dataset_folders(paths)
    if not dests:
        return
    fs.invalidate_cache()
    for dest in _journal_dests(fs, dests):
        try:
            recover(fs, dest)
        except Exception as e:
            journal = _display(fs, journal_path(dest))
            raise CommitError(
                f"cannot read {_display(fs, dest)!r}: a commit to it was "
                f"interrupted (journal {journal!r}) and repairing it failed: "
                f"{type(e).__name__}: {e}. Until it is repaired the folder may "
                "hold part of the old and part of the new data. Run "
                f"partframe.io.commit.recover(fs, {dest!r}) with write access "
                "(or any partframe read or write of it with write access)"
            ) from e
