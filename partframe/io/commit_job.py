"""An output job: the plan of one write, and the checks made before it runs.

:class:`OutputJob` is the picklable description every write and commit task
gets: destination, mode, token, and the hidden staging and backup folders
derived from them. :func:`new_job` plans a write (repairing an interrupted
commit first, refusing a destination the mode may not write to, deleting
the staging folders of writers that died); the staging folder records the
planning process (``_pf_owner``) so that a later writer can tell a
leftover of a dead one. :func:`abort` cleans up after a failed write. Part
of the output commit protocol of :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
import uuid
from typing import Any

from .commit_lock import (
    _holder_state,
    _sibling,
    _whoami,
    journal_path,
    lock_path,
    read_journal,
)
from .commit_recover import recover
from .manifest import expire, read_manifest
from .paths import is_local, join, parent_and_name

__all__ = [
    "OWNER",
    "OutputJob",
    "abort",
    "check_destination",
    "compute_options",
    "foreign_files",
    "new_job",
    "run_write",
]


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
    if not is_local(fs):
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
