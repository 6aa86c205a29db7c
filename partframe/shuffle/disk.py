"""Disk shuffle: inputs append to spill files, outputs read them.

Each input partition runs one task that splits itself by destination and
appends every non-empty piece (an Arrow IPC stream) to the spill file of
its output partition, in a private directory under
``config.get("temporary_directory")``. One small barrier task gathers the
inputs' attempt tokens; each output partition runs one task that reads its
file. The graph has ``inputs + outputs + 1`` tasks, and a worker holds at
most one input partition and its pieces, or one output partition, at a
time: peak memory stays at a few partitions whatever the data size.

Retries and recomputation. An input task appends under a fresh attempt
token and returns it; the barrier passes the kept tokens to the readers,
which ignore records of any other attempt (a retried or repeated input
task, a torn record of a failed one). Appends are therefore idempotent as
far as results go: an output never sees a piece twice.

Cleanup. An output removes its spill file once read (disk space is given
back while the shuffle runs). The directory belongs to a
:class:`SpillDirectory` object created with the graph (one per
``__dask_graph__`` call); a ``weakref.finalize`` removes the directory when
that graph is released, which also covers a failed run (note that a
traceback held on to keeps the graph, and so the directory, alive), and
at interpreter exit. Tasks carry a plain :class:`~partframe.shuffle.store.
DiskStore` of the same path, so worker processes never delete anything
behind the graph's back.

The directory is on the local file system: a distributed engine whose
workers do not share it must use ``method="tasks"`` (the default there).
"""

from __future__ import annotations

import functools
import os
import tempfile
import uuid
import weakref
from typing import Any

from .. import config
from ..expr.base import Expr
from ..graph import quote
from .store import DiskStore
from .tasks import assign_partitions, split_by_partition

__all__ = ["DiskShuffle", "SpillDirectory", "disk_read", "disk_split"]


class SpillDirectory(DiskStore):
    """A private spill directory removed when this object is released."""

    def __init__(self, root: str | None = None) -> None:
        root = root or config.get("temporary_directory") or tempfile.gettempdir()
        path = os.path.join(root, f"partframe-shuffle-{uuid.uuid4().hex}")
        super().__init__(path, remove_on_read=True)
        self._finalizer = weakref.finalize(self, DiskStore(path).drop)
        self._finalizer.atexit = True

    def __reduce__(self) -> tuple:
        # Copies (in tasks sent to worker processes) are plain stores.
        return (DiskStore, (self.path, self.remove_on_read))

    def cleanup(self) -> None:
        """Remove the directory now."""
        self._finalizer()


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


def disk_attempts(attempts: list) -> list:
    """The barrier: every input's kept attempt token, in input order."""
    return list(attempts)


def disk_read(store: DiskStore, attempts: list, output: int, meta: Any) -> Any:
    """Output partition ``output``: its pieces in input order."""
    return store.get(output, attempts, meta)


class DiskShuffle(Expr):
    """The physical disk shuffle (see the module docstring)."""

    _parameters = ["frame", "on", "npartitions_out", "how", "bounds", "meta"]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> tuple:
        return (None,) * (self.npartitions_out + 1)

    @property
    def npartitions(self) -> int:
        return self.npartitions_out

    def _layer(self) -> dict:
        store = SpillDirectory()
        name, src = self._name, self.frame._name
        if isinstance(self.bounds, Expr):
            bounds: Any = (self.bounds._name, 0)
        else:
            bounds = None if self.bounds is None else quote(self.bounds)
        graph: dict = {}
        on = quote(self.on) if isinstance(self.on, tuple | list) else self.on
        how = quote(self.how) if isinstance(self.how, tuple) else self.how
        splits = []
        for i in range(self.frame.npartitions):
            key = (name + "-split", i)
            graph[key] = (
                disk_split, (src, i), store, i, on, self.npartitions_out, how, bounds,
            )  # fmt: skip
            splits.append(key)
        barrier = (name + "-attempts", 0)
        graph[barrier] = (disk_attempts, splits)
        meta = quote(self.operand("meta"))
        for j in range(self.npartitions_out):
            graph[(name, j)] = (disk_read, store, barrier, j, meta)
        return graph

    def _operand_repr(self) -> str:
        return f"on={self.on!r}, npartitions_out={self.npartitions_out}"
