"""Snapshot reads: a reader sees exactly one committed version of a dataset.

Every dataset folder that partframe writes holds a *manifest*: its
``_SUCCESS`` file is a small JSON record

``{"partframe_manifest": 1, "stamp": S, "files": {relative name: writer}}``

written by the commit (see :mod:`partframe.io.commit`) after the last data
file moved into place. ``stamp`` is new on every change of the folder (each
commit, and the rollback of an interrupted overwrite); ``writer`` is the
token of the commit that wrote the file (an append keeps the writers of the
files it did not touch). Other tools see an ordinary ``_SUCCESS`` marker;
Spark and Hadoop ignore its content.

Readers
-------
``read_parquet`` and ``read_csv`` plan a folder that has a manifest
*consistently*: no commit journal before and after listing the files and
reading the footers, and the same stamp both times (else they plan again,
waiting for a running commit). Every planned file of the folder is then
*pinned*: ``(folder, stamp, name, writer)`` travels with its read task.

A read task reads the file, then checks that no commit is running (no
journal) and that the stamp is still the planned one: then no commit
touched the file since planning, because every commit writes its journal
before it moves anything and a new stamp before it deletes its journal.
Otherwise the task finds the file as the plan saw it: in place, if the
current manifest still names the same writer for it (after an append; read
again under the same check), or in a *retained* old version, and raises
:class:`DatasetChangedError` when neither has it any more. A running commit
is waited for (as long as a commit lock is waited for).

Retained versions
-----------------
An ``overwrite`` moves the old data aside into a hidden sibling folder
(``.<name>._old-<token>``) before moving the new data in. When the old data
had a manifest (so readers may have pinned it), that folder is kept, with
the old manifest inside and a ``_pf_retained`` record of when it was
replaced, for ``retain_seconds`` seconds (config, default 300; at most the
newest ``retain_versions``, default 2), so that plans made before the
overwrite and reads running during it still read the old version whole.
It is deleted by a timer in the writing process when that time has
passed, else by the next write to the destination or by
:func:`vacuum`. A plan computed after its version was deleted raises
:class:`DatasetChangedError` instead of mixing versions.

Files without a manifest (written by other tools, or ``to_csv`` into a
shared folder) are read as they are found, without these guarantees.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from .commit_lock import LOCK_TIMEOUT, CommitError, journal_path
from .commit_recover import recover, recover_for_read
from .manifest import (
    SUCCESS,
    dataset_folders,
    expire,
    read_manifest,
    retain_seconds,
    retain_versions,
    retained_versions,
)
from .paths import join

__all__ = ["DatasetChangedError", "Pin", "read_pinned", "vacuum"]


class DatasetChangedError(CommitError):
    """A dataset was replaced after the plan reading it was made, and the
    version the plan was made on is gone."""


def _stamp_if_quiet(fs: Any, folder: str) -> tuple[bool, dict | None]:
    """``(no commit running, manifest)``, in that order: a commit that ended
    after the journal check wrote its stamp before deleting its journal."""
    fs.invalidate_cache()
    quiet = not fs.exists(journal_path(folder))
    return quiet, read_manifest(fs, folder)


# --- planning -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Pin:
    """The version of one file a read task must read (picklable)."""

    folder: str
    stamp: str
    name: str
    writer: str


def plan_consistently(
    fs: Any, paths: list[str], make: Callable[[], Any], files_of: Callable
) -> tuple[Any, Callable[[str], Pin | None]]:
    """Run ``make()`` (list the files, read their footers) on one committed
    version of every dataset folder in ``paths``.

    Returns ``(make(), pin)``: ``pin(path)`` is the :class:`Pin` of a
    planned file of a folder with a manifest, else None. ``files_of(result)``
    gives the listed files, to check the manifest's files are all there.
    """
    folders = dataset_folders(paths)
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        recover_for_read(fs, paths)  # an interrupted commit: finish or undo it
        before = [_stamp_if_quiet(fs, d) for d in folders]
        if all(q for q, _ in before):
            try:
                result = make()
            except Exception:
                # a file listed, then moved away by a commit: plan again
                if [_stamp_if_quiet(fs, d) for d in folders] == before:
                    raise
            else:
                if [_stamp_if_quiet(fs, d) for d in folders] == before:
                    break
        if time.monotonic() > deadline:
            raise CommitError(
                f"cannot plan a read of {paths[:3]}: the dataset changed while "
                f"it was planned, for {LOCK_TIMEOUT:.0f} s (a writer "
                "overwriting it again and again?)"
            )
        time.sleep(0.02)
    manifests = {d: m for d, (_, m) in zip(folders, before) if m is not None}
    if not manifests:
        return result, lambda path: None
    listed = set(files_of(result))
    for d, m in manifests.items():
        if d not in paths and d.rstrip("/") not in [p.rstrip("/") for p in paths]:
            continue  # a glob reads part of the folder
        missing = [n for n in m["files"] if join(d, n) not in listed]
        missing = [n for n in missing if not _hidden_name(n)]
        if missing:
            raise FileNotFoundError(
                f"the dataset {d!r} is incomplete: the files {missing[:5]} "
                f"that its {SUCCESS} manifest lists are missing (deleted by "
                "hand?). Write the dataset again, or delete its "
                f"{SUCCESS} file to read the files that are left"
            )

    def pin(path: str) -> Pin | None:
        for d, m in manifests.items():
            if path.startswith(d.rstrip("/") + "/"):
                name = path[len(d.rstrip("/")) + 1 :]
                writer = m["files"].get(name)
                if writer is not None:
                    return Pin(d, m["stamp"], name, writer)
        return None

    return result, pin


def _hidden_name(name: str) -> bool:
    return any(p.startswith(("_", ".")) for p in name.split("/"))


# --- reading --------------------------------------------------------------------


def read_pinned(fs: Any, pin: Pin | None, path: str, read: Callable[[str], Any]) -> Any:
    """``read(path)`` of the version of the file the plan was made on.

    Without a pin, just ``read(path)``. See the module docstring for how
    the version is checked and found.
    """
    if pin is None:
        return read(path)
    try:
        out = read(path)
    except Exception:
        pass
    else:
        quiet, m = _stamp_if_quiet(fs, pin.folder)
        if quiet and m is not None and m["stamp"] == pin.stamp:
            return out
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        quiet, m = _stamp_if_quiet(fs, pin.folder)
        if quiet and m is not None and m["files"].get(pin.name) == pin.writer:
            # still in place (an append changed the stamp): read it again
            try:
                out = read(path)
            except Exception:
                if _stamp_if_quiet(fs, pin.folder) == (quiet, m):
                    raise  # nothing changed: a real read error
            else:
                if _stamp_if_quiet(fs, pin.folder) == (quiet, m):
                    return out
            time.sleep(0.01)
            continue
        for old in retained_versions(fs, pin.folder):
            om = read_manifest(fs, old)
            if om is not None and om["files"].get(pin.name) == pin.writer:
                try:
                    return read(join(old, pin.name))  # retained files never change
                except Exception:
                    if fs.exists(join(old, pin.name)):
                        raise
        if quiet:  # no commit runs: neither place will have it later
            now = m["stamp"] if m is not None else "none (no manifest)"
            raise DatasetChangedError(
                f"the dataset {pin.folder!r} changed since the plan reading it "
                f"was made: its file {pin.name!r} of version {pin.stamp} is "
                f"gone (current version: {now}; overwrites keep replaced "
                f"versions for retain_seconds = {retain_seconds():.0f} s, at "
                f"most retain_versions = {retain_versions()} of them). Read "
                "the dataset again to plan on its current version"
            )
        if time.monotonic() > deadline:
            recover(fs, pin.folder)  # raises CommitError naming the lock
        time.sleep(0.02)


# --- retention ------------------------------------------------------------------


def vacuum(
    path: str,
    older_than: float = 0.0,
    storage_options: dict | None = None,
    filesystem: Any = None,
) -> list[str]:
    """Delete the old versions of a dataset that an overwrite kept.

    ``overwrite=True`` keeps the replaced version, hidden, for
    ``retain_seconds`` so that reads planned before the overwrite still
    see one whole version. This deletes those replaced more than
    ``older_than`` seconds ago now (plans made on them then raise
    :class:`DatasetChangedError` when computed).

    Parameters
    ----------
    path : str
        The dataset folder, any fsspec URL.
    older_than : float, default 0
        Keep versions replaced less than this many seconds ago.
    storage_options : dict, optional
        Passed to fsspec.
    filesystem : fsspec filesystem, optional
        The filesystem to use; inferred from the URL when None.

    Returns
    -------
    list of str
        The deleted folders.

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)
    >>> df.to_parquet("memory://doc/vacuum")
    >>> (df + 1).to_parquet("memory://doc/vacuum", overwrite=True)
    >>> len(partframe.io.vacuum("memory://doc/vacuum"))
    1
    """
    from .paths import get_fs

    fs, paths = get_fs(path, storage_options, filesystem)
    out = []
    for p in paths:
        out.extend(expire(fs, p.rstrip("/"), older_than))
    return out
