"""The output commit protocol: a write either lands whole or not at all.

Writers (``to_parquet``, ``to_csv``) never write into the destination
directly. Every partition's task writes its file(s) into a *staging* folder,
a hidden sibling of the destination on the same filesystem
(``<parent>/.<name>._staging-<token>``), under a name that depends only on
the partition number, so a task that runs twice leaves one copy. A final
*commit* task runs only when every write task succeeded; it

1. takes an exclusive lock (``<parent>/.<name>.pf-lock``, created with an
   exclusive ``"xb"`` open, so two writers cannot commit at once); the lock
   records its token, the time, and the host and process of its holder,
2. repairs an earlier commit to the same destination that was interrupted
   (see *Recovery* below) and checks the destination again (another writer
   may have committed since the plan was built: a non-empty destination is
   refused unless ``overwrite`` or ``append``),
3. writes the *journal* (``<parent>/.<name>.pf-journal``, a small JSON
   write-ahead log): mode, token, staging and backup paths, every planned
   move and a ``state``,
4. moves the staged files into place: ``overwrite`` first moves the old
   data aside into ``<parent>/.<name>._old-<token>`` (state ``"aside"``),
   then the new data in (state ``"in"``); ``new`` and ``append`` only move
   the new data in. After the last move the journal's state becomes
   ``"committed"``: this is the commit point,
5. writes the ``_SUCCESS`` marker, deletes the old data and the staging
   folder, deletes the journal last, and releases the lock.

``to_csv`` also writes files by name into a folder that holds others
(mode ``"files"``: pandas' ``mode=``, or a ``*`` pattern in a non-empty
folder): an existing file of a written name is refused, or moved aside
like old data (``mode="w"``), or moved aside after a staged copy of it
followed by the new bytes was made (``mode="a"``); no ``_SUCCESS`` is
written there, the folder is not one dataset.

All hidden names (``.x``, ``_x``) are ignored by the readers, so neither
the journal, the lock, the staging folder nor the backup is ever read as
data. The commit task runs after every read of the same graph finished, so
``overwrite`` never deletes data the graph still has to read.

What is atomic
--------------
On a local filesystem a move is one ``rename``: a new destination is one
rename of the staging folder, ``overwrite`` two (old folder aside, staging
folder in), ``append`` one per file, and so is a write into an existing
empty folder (kept, never removed: it may be the working folder). On an object store (``s3://``,
``memory://``, any non-local fsspec filesystem) there are no folders to
rename: every file is moved by itself (copy, then delete), so a commit is
many steps. Each single step is atomic (a rename, an object PUT or COPY),
but a process killed between steps (``kill -9``, a lost machine, Ctrl-C at
the wrong moment) leaves a half-moved destination. The journal makes such
a commit recoverable on every filesystem, local ones included (an
interrupted local ``overwrite`` leaves no destination at all, and an
interrupted ``append`` half the new files).

Recovery
--------
:func:`recover` finishes or undoes an interrupted commit, idempotently
(every step checks what is already done, so recovery may itself be
interrupted and run again). It takes the commit lock, reads the journal and

* state ``"committed"``: rolls *forward*. Every move was done; it writes
  ``_SUCCESS`` and deletes the backup and staging folders and the journal.
  The result is exactly the new data.
* state ``"aside"``, ``"in"`` or ``"undo"``: rolls *back*. In ``"in"``,
  the new files already moved into the destination are deleted (they are
  never old data: every old file is in the backup by then, and ``append``
  refused names that existed) and the state becomes ``"undo"``, so that a
  rollback interrupted after moving old files back (which may have the
  same names) never deletes them. Then the old files in the backup are
  moved back (a file found both in place and in the backup was copied but
  not yet deleted: the backup copy is dropped), and the staging folder,
  the backup and the journal are deleted. The result is exactly the old
  data.

Rolling back before the commit point keeps the promise that a failed write
(an exception, a killed worker, Ctrl-C, a killed commit) leaves the
destination as it was, so rerunning the failed job is always safe: an
interrupted ``append`` rolled forward and then rerun would add its rows
twice. Old data is only ever deleted after the commit point. The same
rollback runs in the process when a move raises.

Who recovers: every writer (at planning time and again under the lock in
the commit task), every reader (``read_parquet``, ``read_csv``: before
listing the files of a path whose journal exists), and :func:`abort` for
the commit of its own job. Checking costs one ``exists`` call on the
journal per destination (one listing per parent folder when a reader is
given several paths). A reader that cannot recover (read-only credentials,
a live lock) raises :class:`CommitError` naming the destination and the
journal. Readers only check the destinations they are given (a folder, a
glob's fixed prefix, a file): reading one file inside a folder that is
being committed, or a parent folder of it, does not check.

Stale locks
-----------
A commit killed while holding the lock leaves the lock file. A waiting
writer or reader breaks it only when its holder is provably dead: the lock
was taken on the same host (same host name, same boot id and same process
namespace, where the system has them) by a process that no longer exists
(or whose pid now belongs to a process started later). Breaking is itself
guarded by an exclusive marker file, so two breakers cannot both succeed.
A lock held on another host is never broken automatically, however old: a
paused (not dead) holder that resumed after its lock was broken could undo
the recovery. The error then names the lock file, its holder and its age,
and says to delete it once no writer runs; the next reader or writer then
repairs the destination from the journal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
import uuid
import warnings
from typing import Any

from .commit_lock import (
    JOURNAL_VERSION,
    CommitError,
    Journal,
    _acquire,
    _display,
    _holder_state,
    _release,
    _sibling,
    _whoami,
    journal_path,
    lock_path,
    read_journal,
    write_json,
)
from .manifest import (
    dataset_folders,
    expire,
    expire_later,
    manifest_bytes,
    mark_retained,
    read_manifest,
    restamp,
    retain_seconds,
    retain_versions,
)
from .paths import is_local, join, parent_and_name

__all__ = [
    "CommitCleanupWarning",
    "CommitError",
    "OutputJob",
    "abort",
    "check_destination",
    "commit_output",
    "journal_path",
    "lock_path",
    "new_job",
    "recover",
    "recover_for_read",
]


class CommitCleanupWarning(UserWarning):
    """A write was committed, but deleting what it left aside failed."""


SUCCESS = "_SUCCESS"
OWNER = "_pf_owner"  # the writing process, in its staging folder
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".snappy", ".lz4")


@dataclasses.dataclass(frozen=True)
class OutputJob:
    """Everything a write or commit task needs to know (picklable).

    ``mode`` is ``"new"``, ``"overwrite"`` or ``"append"`` (of a dataset
    folder), or ``"files"``: the files ``names`` are added to the folder
    ``dest`` (which may hold other files), as pandas' ``to_csv`` writes
    each file by name. ``clash`` says what happens to a file of that name
    that exists: ``"refuse"`` (FileExistsError), ``"replace"`` or
    ``"extend"`` (the new bytes are appended to the old ones, as pandas'
    ``mode="a"``; with ``single_file`` and ``mode="overwrite"`` too).
    ``single_file``
    means ``dest`` is one file rather than a folder.
    """

    fs: Any
    dest: str
    token: str
    mode: str = "new"
    single_file: bool = False
    names: tuple[str, ...] = ()
    clash: str = "refuse"
    # how the data files of a dataset of this format end (see foreign_files)
    suffixes: tuple[str, ...] = ()
    # the planning process (JSON), recorded in the staging folder
    owner: str = ""

    @property
    def staging(self) -> str:
        return _sibling(self.dest, f"._staging-{self.token}")

    @property
    def lock(self) -> str:
        return lock_path(self.dest)

    @property
    def journal(self) -> str:
        return journal_path(self.dest)

    @property
    def backup(self) -> str:
        return _sibling(self.dest, f"._old-{self.token}")

    def staged(self, relname: str) -> str:
        """Where the file ``relname`` of the output is staged."""
        return join(self.staging, relname)

    def make_staging(self, target: str) -> None:
        """Make the folder of the staged file ``target``; the first time,
        record the planning process in the staging folder (``_pf_owner``)
        so that a later writer can tell a leftover of a dead one."""
        fs = self.fs
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        owner = join(self.staging, OWNER)
        if self.owner and not fs.exists(owner):
            fs.pipe_file(owner, self.owner.encode())

    def __repr__(self) -> str:
        return f"OutputJob({self.dest!r}, mode={self.mode!r})"


def new_job(
    fs: Any,
    dest: str,
    overwrite: bool,
    append: bool,
    single_file: bool = False,
    files: dict[str, Any] | None = None,
    suffixes: tuple[str, ...] = (),
) -> OutputJob:
    """Plan a write to ``dest``: check it now and pick a fresh staging token.

    An interrupted earlier commit to ``dest`` is repaired first (see
    :func:`recover`), the staging folders of writers to it that died are
    deleted, and so are its old versions kept longer than
    ``retain_seconds``. Nothing is written until the job's tasks run.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The destination's filesystem.
    dest : str
        The destination folder (or file, with ``single_file``), no protocol.
    overwrite, append : bool
        The write mode (at most one of them).
    single_file : bool, default False
        ``dest`` is one file.
    files : dict, optional
        ``names`` and ``clash`` of an :class:`OutputJob` of
        mode ``"files"`` (or ``clash`` alone with ``single_file``).
    suffixes : tuple of str, optional
        How data files of the format end (``".parquet"``): with
        ``overwrite``, other files in a folder without a manifest are
        refused as not written by a dataset write.

    Returns
    -------
    OutputJob

    Raises
    ------
    ValueError
        ``overwrite`` together with ``append``.
    FileExistsError
        A non-empty destination without either.
    """
    if overwrite and append:
        raise ValueError("overwrite=True and append=True cannot be combined")
    if overwrite:
        _check_not_working_folder(fs, dest)
    mode = "overwrite" if overwrite else "append" if append else "new"
    files = dict(files or {})
    if "names" in files:
        mode = "files"
        files["names"] = tuple(files["names"])
    job = OutputJob(
        fs,
        dest.rstrip("/"),
        uuid.uuid4().hex[:16],
        mode,
        single_file,
        suffixes=tuple(suffixes),
        owner=json.dumps(_whoami()),
        **files,
    )
    recover(fs, job.dest)
    check_destination(job)
    _remove_leftovers(fs, job.dest)
    return job


def _remove_leftovers(fs: Any, dest: str) -> None:
    """Delete the staging folders of ``dest``'s writers that provably died
    (their ``_pf_owner`` process is gone) and its expired old versions."""
    parent, name = parent_and_name(dest)
    prefix = f".{name}._staging-"
    try:
        listed = fs.ls(parent or ".", detail=False)
    except (FileNotFoundError, NotADirectoryError):
        listed = []
    for p in listed:
        p = p.rstrip("/")
        if not parent_and_name(p)[1].startswith(prefix):
            continue
        try:
            holder = json.loads(fs.cat_file(join(p, OWNER)))
        except (FileNotFoundError, ValueError):
            continue  # no record: cannot tell whether its writer runs
        if _holder_state(holder) == "dead":
            with contextlib.suppress(FileNotFoundError):
                fs.rm(p, recursive=True)
    with contextlib.suppress(Exception):  # best effort: a reader may not write
        expire(fs, dest)


def _check_not_working_folder(fs: Any, dest: str) -> None:
    """``overwrite=True`` replaces the whole destination: never the current
    working folder, the home folder, a folder that holds either (``"./"``,
    ``".."``) or a filesystem root, whose other files the path does not
    name."""
    if not _is_local(fs):
        return
    target = os.path.realpath(dest)
    cwd = os.path.realpath(os.getcwd())
    home = os.path.realpath(os.path.expanduser("~"))
    for what, folder in [("current working folder", cwd), ("home folder", home)]:
        if folder == target or folder.startswith(target.rstrip(os.sep) + os.sep):
            raise ValueError(
                f"overwrite=True would replace {dest!r}, which is or holds the "
                f"{what} {folder!r}, with the new files. Write into a folder "
                "of its own"
            )
    if os.path.dirname(target) == target:
        raise ValueError(
            f"overwrite=True would replace the filesystem root {dest!r}; "
            "write into a folder of its own"
        )


def _nonempty(fs: Any, path: str) -> bool:
    if not fs.exists(path):
        return False
    if not fs.isdir(path):
        return True
    return bool(fs.ls(path, detail=False))


def check_destination(job: OutputJob) -> None:
    """Refuse a non-empty destination unless overwriting or appending."""
    fs = job.fs
    fs.invalidate_cache()
    if job.mode == "new" and _nonempty(fs, job.dest):
        what = "file" if job.single_file or not fs.isdir(job.dest) else "folder"
        raise FileExistsError(
            f"the destination {job.dest!r} is a non-empty {what}; pass "
            "overwrite=True to replace it or append=True to add to it"
        )
    if job.mode == "append" and job.single_file:
        raise ValueError("append=True cannot write a single file")
    if job.mode == "overwrite" and not job.single_file and fs.isdir(job.dest):
        foreign = foreign_files(fs, job.dest, job.suffixes)
        if foreign:
            raise FileExistsError(
                f"overwrite=True replaces the dataset in {job.dest!r}, and it "
                f"holds files that no dataset write put there: {foreign[:5]}"
                f"{' ...' if len(foreign) > 5 else ''}; nothing was written. "
                "Move them elsewhere (or delete them), or write into another "
                "folder"
            )
    if job.mode == "files" and fs.exists(job.dest):
        if not fs.isdir(job.dest):
            raise NotADirectoryError(
                f"the destination folder {job.dest!r} is a file; the files "
                f"{list(job.names[:3])} cannot be written into it"
            )
        if job.clash == "refuse":
            clashes = [n for n in job.names if fs.exists(join(job.dest, n))]
            if clashes:
                raise FileExistsError(
                    f"the files {clashes[:5]} exist in {job.dest!r}; pass "
                    "mode='w' to replace them, mode='a' to append to them, or "
                    "overwrite=True to replace every file the path names"
                )


def foreign_files(fs: Any, dest: str, suffixes: tuple[str, ...]) -> list[str]:
    """The files in the folder ``dest`` that an overwrite would delete but
    no dataset write put there: those its manifest does not list or, without
    a manifest, those that do not end like data files (``suffixes``, maybe
    followed by a compression suffix). Hidden names are not counted."""
    manifest = read_manifest(fs, dest)
    out = []
    for f in fs.find(dest):
        rel = f[len(dest.rstrip("/")) + 1 :]
        if any(part.startswith(("_", ".")) for part in rel.split("/")):
            continue
        if manifest is not None:
            if rel not in manifest["files"]:
                out.append(rel)
            continue
        base = rel
        for c in _COMPRESSED:
            base = base.removesuffix(c)
        if suffixes and not base.endswith(tuple(suffixes)):
            out.append(rel)
    return sorted(out)


def abort(job: OutputJob, settle: float = 1.0, limit: float = 5.0) -> None:
    """Clean up after a failed write (never touching committed data).

    If the commit task of ``job`` itself was interrupted (its worker was
    killed mid-commit), its journal is still there: it is recovered first
    (which rolls the destination back, or forward if the commit point was
    passed) when the lock can be taken. Then the staging folder is removed.
    The schedulers do not wait for tasks still running when another one
    failed, so a straggler may write into the staging folder after it was
    removed: remove it until it stayed absent for ``settle`` seconds (at
    most ``limit`` seconds). A leftover is hidden, so it is never read.
    """
    with contextlib.suppress(Exception):  # cleanup must not hide the error
        journal = read_journal(job.fs, job.journal)
        if journal is not None and journal.get("token") == job.token:
            recover(job.fs, job.dest, timeout=min(limit, 2.0))
    deadline = time.monotonic() + limit
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        try:
            job.fs.invalidate_cache()
            if job.fs.exists(job.staging):
                job.fs.rm(job.staging, recursive=True)
                quiet_since = time.monotonic()
        except Exception:  # cleanup must not hide the original error
            pass
        if time.monotonic() - quiet_since >= settle:
            return
        time.sleep(0.05)


def compute_options(
    writer: str, scheduler: Any, compute_kwargs: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``compute()`` options of a writer called with ``scheduler=`` and
    ``compute_kwargs=`` (Dask's writers take both).

    Raises ValueError when both name a scheduler.

    Examples
    --------
    >>> compute_options("to_csv", "sync", {"optimize_graph": False})
    {'optimize_graph': False, 'scheduler': 'sync'}
    """
    options = dict(compute_kwargs or {})
    if scheduler is not None:
        if options.get("scheduler") is not None:
            raise ValueError(
                f"{writer}: the scheduler is given twice, as scheduler= and in "
                "compute_kwargs=; pass it once"
            )
        options["scheduler"] = scheduler
    return options


def run_write(out: Any, job: OutputJob, options: dict[str, Any]) -> Any:
    """Compute ``out``, the commit of ``job``, with the ``compute()``
    ``options``; a failure cleans up the staged files (the commit node's
    ``_on_failure`` calls :func:`abort`, for lazy writes too)."""
    return out.compute(**options)


# --- the journal ---------------------------------------------------------------


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


def _rm_if_exists(fs: Any, path: str) -> None:
    if fs.exists(path):
        with contextlib.suppress(FileNotFoundError):
            fs.rm(path, recursive=True)


def _finish(fs: Any, journal: Journal) -> None:
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


def _rollback(fs: Any, journal: Journal) -> None:
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
        _set_state(fs, journal, "undo")
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
            _move(fs, dst, src, tree)
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


def _recover_locked(fs: Any, dest: str) -> str | None:
    journal = read_journal(fs, journal_path(dest))
    if journal is None:
        return None
    if journal["state"] == "committed":
        _finish(fs, journal)
        return "rolled forward"
    _rollback(fs, journal)
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
        return _recover_locked(fs, dest)
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


# --- the commit ----------------------------------------------------------------


def commit_output(job: OutputJob, written: list[list[str]]) -> list[str]:
    """Move the staged files of ``job`` into place (the last task of a write).

    Parameters
    ----------
    job : OutputJob
    written : list of list of str
        Each write task's relative file names (they run first: the graph
        makes this task depend on all of them).

    Returns
    -------
    list of str
        The committed files' full paths.
    """
    fs = job.fs
    names = sorted({n for part in written for n in part})
    _acquire(fs, job.dest, job.token)
    try:
        fs.invalidate_cache()
        if fs.exists(job.journal):
            _recover_locked(fs, job.dest)
        try:
            check_destination(job)
        except FileExistsError as e:
            raise FileExistsError(
                f"{e} (another writer committed to it while this one ran; "
                "nothing was written)"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            fs.rm(join(job.staging, OWNER))  # not part of the output
        journal = _plan(job, names)
        write_json(fs, job.journal, journal)
        try:
            if journal["aside"]:
                for src, dst in journal["aside"]:
                    _move(fs, src, dst, journal["tree"])
                _set_state(fs, journal, "in")
            for src, dst in journal["in"]:
                _move(fs, src, dst, journal["tree"])
            _set_state(fs, journal, "committed")
        except (Exception, KeyboardInterrupt) as e:
            try:
                _rollback(fs, journal)
            except Exception as again:
                e.add_note(
                    f"rolling back the commit to {job.dest!r} failed too "
                    f"({type(again).__name__}: {again}); its journal "
                    f"{job.journal!r} stays, and the next reader or writer "
                    "of it (or partframe.io.commit.recover) completes the "
                    "rollback"
                )
            raise
        try:
            _finish(fs, journal)
        except Exception as e:
            # past the commit point the data is written: a failed clean-up
            # must not report the write as failed (rerunning it would
            # write twice); the journal stays and recovery finishes it
            warnings.warn(
                f"{job.dest!r} was written, but finishing its commit failed "
                f"({type(e).__name__}: {e}); its journal {job.journal!r} "
                "stays, and the next reader or writer of it (or "
                "partframe.io.commit.recover) completes the clean-up",
                CommitCleanupWarning,
                stacklevel=2,
            )
    finally:
        _release(fs, job.dest, job.token)
    if job.single_file:
        return [job.dest]
    return [join(job.dest, n) for n in names]
