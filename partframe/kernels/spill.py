"""The disk shuffle's runtime: inputs append to spill files, outputs read
them (the plan is :class:`partframe.expr.shuffle.DiskShuffle`).

Each input partition runs one task that splits itself by destination and
appends every non-empty piece (an Arrow IPC stream) to the spill file of
its output partition, in a private directory under
``config.get("temporary_directory")``. One small barrier task gathers the
inputs' attempt tokens; each output partition runs one task that reads its
file. The graph has ``inputs + outputs + 1`` tasks, and a worker holds at
most one input partition and its pieces, or one output partition, at a
time: peak memory stays at a few partitions whatever the data size.

Range shuffles (``sort_values``, ``set_index``) whose boundaries are
sampled in the graph (a :class:`~partframe.expr.sort.RangeBounds`) would
hold every input partition in memory until all of them were sampled.
Here each input runs one task that stages it in the spill folder and
returns its key sample; one task picks the boundaries; each input then
runs one task that reads its staged copy back and splits it. The data is
written twice, but memory stays at a few partitions.

Retries and recomputation. An input task appends under a fresh attempt
token and returns it; the barrier passes the kept tokens to the readers,
which ignore records of any other attempt (a retried or repeated input
task, a torn record of a failed one). Appends are therefore idempotent as
far as results go: an output never sees a piece twice.

Cleanup. An output removes its spill file once read (disk space is given
back while the shuffle runs). The folder belongs to a
:class:`SpillDirectory` object created with the graph (one per
``__dask_graph__`` call) and is removed on every exit path:

- when the run that built the graph ends, however it ends (results, a
  task's exception, Ctrl-C, a full disk), through
  :func:`partframe.resources.on_run_end`, without waiting for the graph
  to be garbage collected (a traceback kept by the caller keeps it);
- otherwise (a graph built for another engine, or never run) when the
  graph is released, or at interpreter exit (``weakref.finalize``).

Tasks still running when their computation was cancelled (helper threads
finish their current task) cannot bring the folder back: tasks carry a
plain :class:`~partframe.kernels.shuffle_store.DiskStore` of the same path that
never creates it, so their appends fail once it is gone, and the folder
is first renamed away, then emptied until it can be removed. Worker
processes never delete anything behind the graph's back.

Folders of dead processes (kill -9, a crash, the out-of-memory killer).
Every folder records its owner in ``owner.json``: host, boot, process
namespace, pid and process start time (the helpers of the commit lock,
:mod:`partframe.io.commit_lock`). Making a new spill folder removes the
folders under the same root whose owner is provably dead: same host, boot
and namespace, and the process is gone or its pid now belongs to a later
process. A folder of a live process, of another host, or without a
readable record is never touched.

The directory is on the local file system: a distributed engine whose
workers do not share it must use ``method="tasks"`` (the default there).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import time
import uuid
import weakref
from typing import Any

from .. import config
from ..io.commit_lock import _holder_state, _whoami
from ..resources import on_run_end
from .shuffle import assign_partitions, split_by_partition
from .shuffle_store import DiskStore
from .sorting import choose_boundaries, sample_sort_keys

__all__ = [
    "SpillDirectory",
    "disk_read",
    "disk_split",
    "remove_spill_folder",
    "remove_stale_spill_folders",
]


#: Spill folders are ``<root>/partframe-shuffle-<hex>``.
PREFIX = "partframe-shuffle-"
#: The owner record inside a spill folder.
OWNER_FILE = "owner.json"


def spill_root(root: str | None = None) -> str:
    """The folder that holds spill folders: ``root``, else the config's
    ``temporary_directory``, else the system's temporary directory."""
    return root or config.get("temporary_directory") or tempfile.gettempdir()


def make_spill_folder(root: str) -> str:
    """A new spill folder under ``root`` holding its owner record.

    The folder is made under a hidden name and renamed once the record is
    written, so a folder with the public name always says who owns it.
    """
    name = PREFIX + uuid.uuid4().hex
    path = os.path.join(root, name)
    hidden = os.path.join(root, "." + name)
    try:
        os.makedirs(root, exist_ok=True)
        os.mkdir(hidden, 0o700)
        try:
            with open(os.path.join(hidden, OWNER_FILE), "x") as f:
                json.dump({"time": time.time(), **_whoami()}, f)
            os.rename(hidden, path)
        except BaseException:
            remove_spill_folder(hidden)
            raise
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot make a disk-shuffle spill folder in {root!r}: "
            f"{exc.strerror or exc}. Point spill folders elsewhere with "
            "partframe.config.set(temporary_directory='/path/with/space')",
        ) from exc
    return path


def remove_spill_folder(path: str) -> None:
    """Remove a spill folder, even while late tasks still append to it.

    The folder is renamed first (atomic: no new path lookup reaches it,
    and one of several removers wins), then its files are deleted, the
    owner record last (a remover killed half way leaves a folder the next
    sweep still recognizes), and the empty folder removed; an append that
    had already looked the folder up may still create a file in it, so
    emptying is retried until the folder is gone.
    """
    gone = f"{path}-removed-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(path, gone)
    except FileNotFoundError:
        return
    except OSError:
        gone = path  # (e.g. a read-only parent: delete in place)
    for _ in range(200):
        try:
            names = sorted(os.listdir(gone), key=lambda n: n == OWNER_FILE)
        except FileNotFoundError:
            return
        for name in names:
            entry = os.path.join(gone, name)
            with contextlib.suppress(FileNotFoundError):
                if os.path.isdir(entry) and not os.path.islink(entry):
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    os.remove(entry)
        try:
            os.rmdir(gone)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY:
                raise
        time.sleep(0.005)


def _owner(path: str) -> dict | None:
    try:
        with open(os.path.join(path, OWNER_FILE)) as f:
            owner = json.load(f)
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def remove_stale_spill_folders(root: str) -> list[str]:
    """Remove the spill folders under ``root`` whose owner is provably dead.

    Returns the paths removed. Folders of live processes, of other hosts
    and without a readable owner record are kept.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name.lstrip(".")
        if not name.startswith(PREFIX):
            continue
        with contextlib.suppress(OSError):
            if not entry.is_dir(follow_symlinks=False):
                continue
            if _holder_state(_owner(entry.path)) == "dead":
                remove_spill_folder(entry.path)
                removed.append(entry.path)
    return removed


class SpillDirectory(DiskStore):
    """A private spill folder, removed when the run that built it ends (or
    when this object is released); see the module docstring."""

    def __init__(self, root: str | None = None) -> None:
        root = spill_root(root)
        remove_stale_spill_folders(root)
        path = make_spill_folder(root)
        super().__init__(path, remove_on_read=True, create=False)
        self._finalizer = weakref.finalize(self, remove_spill_folder, path)
        self._finalizer.atexit = True
        on_run_end(self.cleanup)

    def __reduce__(self) -> tuple:
        # Copies (in tasks sent to worker processes) are plain stores.
        return (DiskStore, (self.path, self.remove_on_read, False))

    def cleanup(self) -> None:
        """Remove the folder now."""
        self._finalizer()

    def drop(self) -> None:
        self.cleanup()


def disk_split(
    df: Any,
    store: DiskStore,
    input: int,
    on: Any,
    npartitions: int,
    how: Any,
    bounds: Any = None,
) -> str:
    """Split input partition ``input`` and append its pieces; return the attempt."""
    attempt = uuid.uuid4().hex[:16]
    if npartitions == 1:
        pieces = [df]
    else:
        parts = assign_partitions(df, on, npartitions, how, bounds)
        pieces = split_by_partition(df, parts, npartitions)
    for j, piece in enumerate(pieces):
        if len(piece):
            store.append(j, input, attempt, piece)
    return attempt


def disk_stage(df: Any, store: DiskStore, input: int, on: Any, size: int) -> tuple:
    """Stage input ``input`` on disk; return ``(attempt, sample of its keys)``."""
    attempt = uuid.uuid4().hex[:16]
    if len(df):
        store.stage(input, attempt, df)
    return attempt, sample_sort_keys(df, on, size)


def disk_stage_bounds(
    stages: list, npartitions: int, ascending: list, na_position: str
) -> Any:
    """The range boundaries from the samples of every staged input."""
    samples = [s[1] for s in stages]
    return choose_boundaries(samples, npartitions, ascending, na_position)


def disk_split_staged(
    stage: tuple,
    store: DiskStore,
    input: int,
    on: Any,
    npartitions: int,
    how: Any,
    bounds: Any,
    meta: Any,
) -> str:
    """Split a staged input by the boundaries; return the attempt."""
    df = store.unstage(input, stage[0], meta)
    return disk_split(df, store, input, on, npartitions, how, bounds)


def disk_attempts(attempts: list) -> list:
    """The barrier: every input's kept attempt token, in input order."""
    return list(attempts)


def disk_read(store: DiskStore, attempts: list, output: int, meta: Any) -> Any:
    """Output partition ``output``: its pieces in input order."""
    return store.get(output, attempts, meta)
