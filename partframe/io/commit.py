"""The output commit protocol: a write either lands whole or not at all.

Writers (``to_parquet``, ``to_csv``) never write into the destination
directly. Every partition's task writes its file(s) into a *staging* folder,
a hidden sibling of the destination on the same filesystem
(``<parent>/.<name>._staging-<token>``), under a name that depends only on
the partition number, so a task that runs twice leaves one copy. A final
*commit* task runs only when every write task succeeded; it

1. takes an exclusive lock (``<parent>/.<name>.pf-lock``, created with an
   exclusive ``"xb"`` open, so two writers cannot commit at once),
2. checks the destination again (another writer may have committed since
   the plan was built: a non-empty destination is refused unless
   ``overwrite`` or ``append``),
3. moves the staged files into place: a new destination is one rename of
   the staging folder (atomic on local filesystems); ``overwrite`` renames
   the old destination aside, renames the staging folder into place and
   deletes the old data only after that succeeded (stage and swap: the data
   that the same graph read is deleted only after every read finished);
   ``append`` moves each new file in,
4. writes the ``_SUCCESS`` marker last, and releases the lock.

If a task fails (an exception, a killed worker, Ctrl-C), the commit never
runs and the destination is untouched, byte for byte; the staging folder is
removed by :func:`abort` (``compute=True`` does this itself). Hidden names
are ignored by the readers, so a leftover staging folder is never read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import uuid
from typing import Any

from .paths import join, parent_and_name

__all__ = [
    "CommitError",
    "OutputJob",
    "abort",
    "check_destination",
    "commit_output",
    "new_job",
]

SUCCESS = "_SUCCESS"


class CommitError(RuntimeError):
    """The staged output could not be moved into place."""


@dataclasses.dataclass(frozen=True)
class OutputJob:
    """Everything a write or commit task needs to know (picklable).

    ``mode`` is ``"new"``, ``"overwrite"`` or ``"append"``; ``single_file``
    means ``dest`` is one file rather than a folder.
    """

    fs: Any
    dest: str
    token: str
    mode: str = "new"
    single_file: bool = False

    @property
    def staging(self) -> str:
        parent, name = parent_and_name(self.dest)
        return join(parent or ".", f".{name}._staging-{self.token}")

    @property
    def lock(self) -> str:
        parent, name = parent_and_name(self.dest)
        return join(parent or ".", f".{name}.pf-lock")

    @property
    def backup(self) -> str:
        parent, name = parent_and_name(self.dest)
        return join(parent or ".", f".{name}._old-{self.token}")

    def staged(self, relname: str) -> str:
        """Where the file ``relname`` of the output is staged."""
        return join(self.staging, relname)

    def __repr__(self) -> str:
        return f"OutputJob({self.dest!r}, mode={self.mode!r})"


def new_job(
    fs: Any, dest: str, overwrite: bool, append: bool, single_file: bool = False
) -> OutputJob:
    """Plan a write to ``dest``: check it now and pick a fresh staging token.

    Raises ``ValueError`` for ``overwrite`` together with ``append`` and
    ``FileExistsError`` for a non-empty destination without either.
    """
    if overwrite and append:
        raise ValueError("overwrite=True and append=True cannot be combined")
    mode = "overwrite" if overwrite else "append" if append else "new"
    job = OutputJob(fs, dest.rstrip("/"), uuid.uuid4().hex[:16], mode, single_file)
    check_destination(job)
    return job


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


def abort(job: OutputJob, settle: float = 1.0, limit: float = 5.0) -> None:
    """Remove the staging folder of a failed write (never the destination).

    The schedulers do not wait for tasks still running when another one
    failed, so a straggler may write into the staging folder after it was
    removed: remove it until it stayed absent for ``settle`` seconds (at
    most ``limit`` seconds). A leftover is hidden, so it is never read.
    """
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


def _acquire(job: OutputJob, timeout: float = 10.0) -> None:
    fs = job.fs
    deadline = time.monotonic() + timeout
    while True:
        try:
            with fs.open(job.lock, "xb") as f:
                f.write(job.token.encode())
            return
        except FileExistsError:
            if time.monotonic() > deadline:
                raise CommitError(
                    f"another writer holds the commit lock {job.lock!r} of "
                    f"{job.dest!r}; if no writer is running, delete that file"
                ) from None
            time.sleep(0.05)
            fs.invalidate_cache()
        except (ValueError, NotImplementedError):
            # A filesystem without exclusive create: best effort.
            fs.invalidate_cache()
            if fs.exists(job.lock):
                raise CommitError(
                    f"another writer holds the commit lock {job.lock!r}"
                ) from None
            fs.pipe(job.lock, job.token.encode())
            return


def _release(job: OutputJob) -> None:
    with contextlib.suppress(FileNotFoundError):
        job.fs.rm(job.lock)


def _move_tree(fs: Any, src: str, dst: str) -> None:
    """Move folder ``src`` to (not yet existing) ``dst``."""
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        import os

        parent = os.path.dirname(dst)
        if parent:
            os.makedirs(parent, exist_ok=True)
        os.rename(src, dst)  # atomic: readers see all files or none
        return
    for f in fs.find(src):
        fs.mv(f, dst + f[len(src) :])
    if fs.exists(src):
        fs.rm(src, recursive=True)


def commit_output(job: OutputJob, written: list) -> list[str]:
    """Move the staged files of ``job`` into place (the last task of a write).

    ``written`` holds each write task's list of relative file names (they
    run first: the graph makes this task depend on all of them). Returns
    the committed files' full paths.
    """
    fs = job.fs
    names = sorted({n for part in written for n in part})
    _acquire(job)
    try:
        try:
            check_destination(job)
        except FileExistsError as e:
            raise FileExistsError(
                f"{e} (another writer committed to it while this one ran; "
                "nothing was written)"
            ) from None
        if job.single_file:
            _commit_file(job)
            return [job.dest]
        fs.invalidate_cache()
        if job.mode == "append" and fs.exists(job.dest):
            clashes = [n for n in names if fs.exists(join(job.dest, n))]
            if clashes:
                raise FileExistsError(
                    f"append to {job.dest!r}: files {clashes[:5]} appeared "
                    "while this write ran (a concurrent append?); nothing was "
                    "written"
                )
            for n in names:
                fs.mv(job.staged(n), join(job.dest, n))
            fs.rm(job.staging, recursive=True)
        elif job.mode == "overwrite" and fs.exists(job.dest):
            _move_tree(fs, job.dest, job.backup)
            try:
                _move_tree(fs, job.staging, job.dest)
            except BaseException:
                if fs.exists(job.dest):
                    fs.rm(job.dest, recursive=True)
                _move_tree(fs, job.backup, job.dest)
                raise
            fs.rm(job.backup, recursive=True)
        else:
            if fs.exists(job.dest):  # an empty folder
                fs.rm(job.dest, recursive=True)
            if not fs.exists(job.staging):
                fs.mkdir(job.staging, create_parents=True)
            _move_tree(fs, job.staging, job.dest)
        fs.pipe(join(job.dest, SUCCESS), b"")
    finally:
        _release(job)
    return [join(job.dest, n) for n in names]


def _commit_file(job: OutputJob) -> None:
    fs = job.fs
    staged = job.staged("data")
    if job.mode == "overwrite" and fs.exists(job.dest):
        if fs.isdir(job.dest):
            raise IsADirectoryError(
                f"single_file=True: the destination {job.dest!r} is a folder"
            )
        fs.mv(job.dest, job.backup)
        try:
            fs.mv(staged, job.dest)
        except BaseException:
            fs.mv(job.backup, job.dest)
            raise
        fs.rm(job.backup)
    else:
        fs.mv(staged, job.dest)
    fs.rm(job.staging, recursive=True)
