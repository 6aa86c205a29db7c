"""The journal of a commit: which files move where, and the moves.

:func:`plan_journal` (called under the commit lock) decides every move of a
commit from its :class:`~partframe.io.commit_job.OutputJob` and what the
destination holds now: the old files moved aside into the backup, the new
ones moved in, the folders the moves make, the manifest the commit point
writes. :func:`move` is one step (a rename on a local disk, a copy and a
delete on an object store); :func:`set_state` records how far the moves
got. Part of the output commit protocol of :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, TypeAlias

from .commit_lock import JOURNAL_VERSION, CommitError, Journal, journal_path, write_json
from .manifest import read_manifest, retain_seconds, retain_versions
from .paths import is_local, join

if TYPE_CHECKING:
    from .commit_job import OutputJob

__all__ = ["move", "plan_journal", "set_state"]


def _is_local(fs: Any) -> bool:
    # pyarrow's local filesystem too: its move is a rename that needs the
    # target's folder, as os.rename does (an object store's does not)
    return is_local(fs)


def set_state(fs: Any, journal: Journal, state: str) -> None:
    new = {**journal, "state": state, "time": time.time()}
    write_json(fs, journal_path(journal["dest"]), new)
    journal["state"] = state


def move(fs: Any, src: str, dst: str, tree: bool = False) -> None:
    """Move file (or, with ``tree``, folder) ``src`` to ``dst``."""
    if _is_local(fs):
        parent = os.path.dirname(dst)
        if parent:
            os.makedirs(parent, exist_ok=True)
        os.rename(src, dst)  # atomic: readers see all files or none
    else:
        try:
            fs.mv(src, dst, recursive=tree)
        except FileNotFoundError:
            # a filesystem with real folders (a wrapped local disk) needs
            # the target's folder; object stores never get here
            if not fs.exists(src):
                raise
            fs.makedirs(dst.rsplit("/", 1)[0], exist_ok=True)
            fs.mv(src, dst, recursive=tree)


def _new_dirs(dest: str, names: list[str]) -> list[str]:
    """The local folders below ``dest`` that moving ``names`` into it makes
    (removed again on rollback), deepest last."""
    out: list[str] = []
    for n in names:
        d = os.path.dirname(join(dest, n))
        while d != dest and not os.path.exists(d) and d not in out:
            out.append(d)
            d = os.path.dirname(d)
    return out


#: A commit's moves: ``(aside, in, new_dirs, tree)`` (see :func:`plan_journal`).
_Moves: TypeAlias = tuple[list[list[str]], list[list[str]], list[str], bool]


def plan_journal(job: OutputJob, names: list[str]) -> Journal:
    """The journal of ``job``'s commit (called under the lock).

    ``aside`` moves the old files into the backup, ``in`` the new ones into
    place (``tree``: each move is a whole folder); ``new_dirs`` are the
    local folders the moves make, removed again on rollback.
    """
    fs = job.fs
    fs.invalidate_cache()
    moves: _Moves
    if job.single_file:
        moves = _single_file_moves(job)
        names = ["data"]
    elif job.mode == "files" and fs.exists(job.dest):
        moves = _named_file_moves(job, names)
    elif job.mode != "overwrite" and fs.exists(job.dest):
        moves = _into_folder_moves(job, names)
    else:
        moves = _whole_folder_moves(job, names)
    aside, moves_in, new_dirs, tree = moves
    _check_staged(job, names, _is_local(fs) and tree)
    manifest, retain = _manifest(job, names, bool(aside))
    return {
        "version": JOURNAL_VERSION,
        "dest": job.dest,
        "mode": job.mode,
        "token": job.token,
        "staging": job.staging,
        "backup": job.backup,
        "single_file": job.single_file,
        "marker": job.mode != "files",
        "manifest": manifest,
        "retain": retain,
        "tree": tree,
        # never now (an empty folder is kept); journals of earlier versions
        # may say True: their rollback remakes the removed folder
        "empty_dir": False,
        "new_dirs": new_dirs,
        "aside": aside,
        "in": moves_in,
        "state": "aside" if aside else "in",
        "time": time.time(),
    }


def _single_file_moves(job: OutputJob) -> _Moves:
    """One file: the staged ``data`` replaces (or, with ``clash="extend"``,
    extends) the destination file."""
    fs = job.fs
    aside: list[list[str]] = []
    if job.mode == "overwrite" and fs.exists(job.dest):
        if fs.isdir(job.dest):
            raise IsADirectoryError(
                f"single_file=True: the destination {job.dest!r} is a folder"
            )
        aside = [[job.dest, job.backup]]
    source = job.staged("data")
    if job.clash == "extend" and aside:
        source = _extended(fs, job.dest, source)
    return aside, [[source, job.dest]], [], False


def _named_file_moves(job: OutputJob, names: list[str]) -> _Moves:
    """Files added by name to an existing folder (mode ``"files"``): a file
    of the same name is refused, or moved aside and replaced or extended."""
    fs = job.fs
    clashing = {n for n in names if fs.exists(join(job.dest, n))}
    if clashing and job.clash == "refuse":
        raise FileExistsError(
            f"the files {sorted(clashing)[:5]} appeared in {job.dest!r} while "
            "this write ran (a concurrent writer?); nothing was written"
        )
    sources = {n: job.staged(n) for n in names}
    if job.clash == "extend":
        sources.update(
            {n: _extended(fs, join(job.dest, n), sources[n]) for n in clashing}
        )
    aside = [[join(job.dest, n), join(job.backup, n)] for n in sorted(clashing)]
    moves = [[sources[n], join(job.dest, n)] for n in names]
    return aside, moves, [], False


def _into_folder_moves(job: OutputJob, names: list[str]) -> _Moves:
    """An append, or a new write into an existing folder (empty: checked
    under the lock): the files move in one by one. The folder is kept: it
    may be someone's working folder, never ours to delete."""
    fs = job.fs
    if job.mode == "append":
        clashes = [n for n in names if fs.exists(join(job.dest, n))]
        if clashes:
            raise FileExistsError(
                f"append to {job.dest!r}: files {clashes[:5]} appeared "
                "while this write ran (a concurrent append?); nothing was "
                "written"
            )
    moves = [[job.staged(n), join(job.dest, n)] for n in names]
    # folders made by the moves, removed again on rollback
    new_dirs = _new_dirs(job.dest, names) if _is_local(fs) else []
    return [], moves, new_dirs, False


def _whole_folder_moves(job: OutputJob, names: list[str]) -> _Moves:
    """A new destination, or an overwrite: on a local disk the old folder
    is renamed aside and the staging folder renamed into place; elsewhere
    every file is moved by itself."""
    fs = job.fs
    local = _is_local(fs)
    aside: list[list[str]] = []
    tree = False
    if job.mode == "overwrite" and fs.exists(job.dest):
        if local:
            aside = [[job.dest, job.backup]]
            tree = True
        else:
            old = fs.find(job.dest) if fs.isdir(job.dest) else [job.dest]
            aside = [[f, job.backup + f[len(job.dest) :]] for f in old]
    if local:
        if not fs.exists(job.staging):
            fs.mkdir(job.staging, create_parents=True)
        return aside, [[job.staging, job.dest]], [], True
    moves = [[job.staged(n), join(job.dest, n)] for n in names]
    return aside, moves, [], tree


def _check_staged(job: OutputJob, names: list[str], whole_folder: bool) -> None:
    """The new data must be complete before anything is moved (a staged
    file is missing when an earlier run of the commit task moved it)."""
    fs = job.fs
    if names and not whole_folder:
        staged = set(fs.find(job.staging)) if fs.exists(job.staging) else set()
        missing = [n for n in names if job.staged(n) not in staged]
    else:
        missing = [n for n in names if not fs.exists(job.staged(n))]
    if missing:
        raise CommitError(
            f"staged files {missing[:5]} of {job.dest!r} are missing (was this "
            "commit already done by an earlier run of the task?); nothing was "
            "moved"
        )


def _manifest(
    job: OutputJob, names: list[str], aside: bool
) -> tuple[dict[str, Any], bool]:
    """The manifest of the committed version (``{file: token}``, written
    with ``_SUCCESS``), and whether the replaced version is kept for the
    readers that pinned it. A folder of files added by name (mode
    ``"files"``) and a single file have neither."""
    fs = job.fs
    manifest: dict[str, Any] = {}
    if job.mode == "files" or job.single_file:
        return manifest, False
    old_manifest = read_manifest(fs, job.dest) if fs.exists(job.dest) else None
    if job.mode == "append" and fs.exists(job.dest):
        if old_manifest is not None:
            manifest.update(old_manifest["files"])
        else:  # the files found there become part of this version
            base = job.dest.rstrip("/")
            for f in fs.find(job.dest):
                rel = f[len(base) + 1 :]
                if not any(q.startswith(("_", ".")) for q in rel.split("/")):
                    manifest[rel] = job.token
    manifest.update({n: job.token for n in names})
    # readers may have pinned the old version: keep it for a while
    retain = (
        aside
        and old_manifest is not None
        and retain_seconds() > 0
        and retain_versions() > 0
    )
    return manifest, retain


def _extended(fs: Any, old: str, staged: str) -> str:
    """A staged copy of the file ``old`` followed by the staged ``staged``
    (pandas' ``mode="a"``); returns its path.

    Written next to ``staged`` under another name, from the untouched
    staged file, so that a commit planned again rebuilds it the same way.
    """
    out = staged + ".extended"
    with fs.open(out, "wb") as f:
        for src in (old, staged):
            with fs.open(src, "rb") as g:
                while chunk := g.read(1 << 24):
                    f.write(chunk)
    return out
