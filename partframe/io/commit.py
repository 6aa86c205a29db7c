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

Modules
-------
This module is the commit task (:func:`commit_output`) and the protocol's
public names. The steps live in modules of their own:
:mod:`~partframe.io.commit_job` (the job, its staging folder and owner
record, the destination checks, :func:`abort`),
:mod:`~partframe.io.commit_journal` (the journal's planned moves, a move,
a state change), :mod:`~partframe.io.commit_recover` (roll forward, roll
back, :func:`recover`) and :mod:`~partframe.io.commit_lock` (the lock and
the journal file).
"""

from __future__ import annotations

import contextlib
import warnings

from .commit_job import OWNER, OutputJob, abort, check_destination, new_job
from .commit_journal import move, plan_journal, set_state
from .commit_lock import (
    CommitError,
    _acquire,
    _release,
    journal_path,
    lock_path,
    write_json,
)
from .commit_recover import (
    recover,
    recover_for_read,
    recover_locked,
    roll_back,
    roll_forward,
)
from .paths import join

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
            recover_locked(fs, job.dest)
        try:
            check_destination(job)
        except FileExistsError as e:
            raise FileExistsError(
                f"{e} (another writer committed to it while this one ran; "
                "nothing was written)"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            fs.rm(join(job.staging, OWNER))  # not part of the output
        journal = plan_journal(job, names)
        write_json(fs, job.journal, journal)
        try:
            if journal["aside"]:
                for src, dst in journal["aside"]:
                    move(fs, src, dst, journal["tree"])
                set_state(fs, journal, "in")
            for src, dst in journal["in"]:
                move(fs, src, dst, journal["tree"])
            set_state(fs, journal, "committed")
        except (Exception, KeyboardInterrupt) as e:
            try:
                roll_back(fs, journal)
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
            roll_forward(fs, journal)
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
