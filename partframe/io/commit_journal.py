"""The journal of a commit: which files move where, and the moves.

:func:`_plan` (called under the commit lock) decides every move of a
commit from its :class:`~partframe.io.commit_job.OutputJob` and what the
destination holds now: the old files moved aside into the backup, the new
ones moved in, the folders the moves make, the manifest the commit point
writes. :func:`_move` is one step (a rename on a local disk, a copy and a
delete on an object store); :func:`_set_state` records how far the moves
got. Part of the output commit protocol of :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from .commit_lock import JOURNAL_VERSION, CommitError, Journal, journal_path, write_json
from .manifest import read_manifest, retain_seconds, retain_versions
from .paths import is_local, join

if TYPE_CHECKING:
    from .commit_job import OutputJob


def _is_local(fs: Any) -> bool:
    # pyarrow's local filesystem too: its move is a rename that needs the
    # target's folder, as os.rename does (an object store's does not)
    return is_local(fs)


def _set_state(fs: Any, journal: Journal, state: str) -> None:
    new = {**journal, "state": state, "time": time.time()}
    write_json(fs, journal_path(journal["dest"]), new)
    journal["state"] = state


def _move(fs: Any, src: str, dst: str, tree: bool = False) -> None:
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


def _plan(job: OutputJob, names: list[str]) -> Journal:
    """The journal of ``job``'s commit (called under the lock)."""
    fs = job.fs
    local = _is_local(fs)
    aside: list[list[str]] = []
    moves: list[list[str]] = []
    new_dirs: list[str] = []
    tree = False
    fs.invalidate_cache()
    if job.single_file:
        if job.mode == "overwrite" and fs.exists(job.dest):
            if fs.isdir(job.dest):
                raise IsADirectoryError(
                    f"single_file=True: the destination {job.dest!r} is a folder"
                )
            aside = [[job.dest, job.backup]]
        source = job.staged("data")
        if job.clash == "extend" and aside:
            source = _extended(fs, job.dest, source)
        moves = [[source, job.dest]]
        names = ["data"]
    elif job.mode == "files" and fs.exists(job.dest):
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
    elif job.mode == "append" and fs.exists(job.dest):
        clashes = [n for n in names if fs.exists(join(job.dest, n))]
        if clashes:
            raise FileExistsError(
                f"append to {job.dest!r}: files {clashes[:5]} appeared "
                "while this write ran (a concurrent append?); nothing was "
                "written"
            )
        moves = [[job.staged(n), join(job.dest, n)] for n in names]
        if local:  # folders made by the moves, removed again on rollback
            new_dirs = _new_dirs(job.dest, names)
    elif job.mode != "overwrite" and fs.exists(job.dest):
        # An empty folder (checked under the lock) is kept and the files move
        # into it: it may be someone's working folder, never ours to delete.
        moves = [[job.staged(n), join(job.dest, n)] for n in names]
        if local:
            new_dirs = _new_dirs(job.dest, names)
    else:
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
            moves = [[job.staging, job.dest]]
            tree = True
        else:
            moves = [[job.staged(n), join(job.dest, n)] for n in names]
    # the new data must be complete before anything is moved
    if names and not (local and tree):
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
    marker = job.mode != "files" and not job.single_file
    manifest: dict[str, Any] = {}
    retain = False
    if marker:
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
            bool(aside)
            and old_manifest is not None
            and retain_seconds() > 0
            and retain_versions() > 0
        )
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
        "in": moves,
        "state": "aside" if aside else "in",
        "time": time.time(),
    }


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
