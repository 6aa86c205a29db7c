"""Shuffle stores: where the pieces of a shuffle wait between split and read.

A :class:`ShuffleStore` asks its backends for three primitives, in the style
of fsspec's file systems:

- ``append(output, input, attempt, piece)``: add a piece for output
  partition ``output`` coming from input partition ``input``;
- ``get(output, attempts, meta)``: the pieces of ``output`` written by the
  attempts that count (``attempts[input]``), concatenated in input order;
- ``drop()``: forget everything.

Appends are keyed by ``(input, attempt)``. An input task that runs twice (a
retry after a lost worker, or the same graph computed again) appends under a
new attempt token; the read step is given the token of the attempt whose
result the scheduler kept, and ignores the others. So the side effects of a
shuffle graph are idempotent: what an output reads does not depend on how
often its inputs ran.

Two backends:

- :class:`MemoryStore`: pieces in a dict of this process (tests, and the
  sync/threads schedulers);
- :class:`DiskStore`: one spill file per output partition in a directory;
  every piece is one framed record holding an Arrow IPC stream (a pickle
  for the rare columns Arrow cannot hold). Concurrent appends from threads
  and processes are serialized with an ``fcntl`` lock on the file.

Examples
--------
>>> import pandas as pd
>>> store = MemoryStore("example")
>>> store.append(0, input=1, attempt="b", piece=pd.DataFrame({"x": [3]}))
>>> store.append(0, input=0, attempt="a", piece=pd.DataFrame({"x": [1, 2]}))
>>> store.get(0, {0: "a", 1: "b"}, pd.DataFrame({"x": []})).x.tolist()
[1, 2, 3]
>>> store.drop()
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import pickle
import shutil
import struct
import threading
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .enforce import conform

__all__ = [
    "DiskStore",
    "MemoryStore",
    "ShuffleStore",
    "from_ipc",
    "to_ipc",
]

try:  # POSIX only; elsewhere O_APPEND writes of one buffer are relied upon.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class ShuffleStore:
    """Base class: subclasses implement ``_append``, ``_records`` and ``drop``."""

    def append(self, output: int, input: int, attempt: str, piece: Any) -> None:
        """Add ``piece`` (a pandas object) for partition ``output``."""
        self._append(output, input, attempt, piece)

    def get(self, output: int, attempts: dict | list, meta: Any) -> Any:
        """The pieces of ``output`` from the attempts that count, in input order.

        ``attempts[input]`` is the attempt token of input ``input`` whose
        result the scheduler kept. ``meta`` (an empty pandas object) is
        returned, and fixes dtypes, when there are no rows.
        """
        if isinstance(attempts, list):
            attempts = dict(enumerate(attempts))
        chosen: dict[int, list] = {}
        for input, attempt, piece in self._records(output):
            if attempts.get(input) == attempt:
                chosen.setdefault(input, []).append(piece)
        pieces = [p for i in sorted(chosen) for p in chosen[i]]
        return _concat_pieces(pieces, meta)

    def _append(self, output: int, input: int, attempt: str, piece: Any) -> None:
        raise NotImplementedError

    def _records(self, output: int) -> list:
        """``(input, attempt, piece)`` triples stored for ``output``."""
        raise NotImplementedError

    def drop(self) -> None:
        """Remove everything this store holds."""
        raise NotImplementedError


# -- in memory ------------------------------------------------------------------

_MEMORY: dict[str, dict[int, list]] = {}
_MEMORY_LOCK = threading.Lock()


class MemoryStore(ShuffleStore):
    """Pieces held in a dict of this process, named by ``name``.

    Only schedulers that run every task in one process (sync, threads) can
    use it; the object itself pickles as its name.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> tuple:
        return (MemoryStore, (self.name,))

    def _append(self, output: int, input: int, attempt: str, piece: Any) -> None:
        with _MEMORY_LOCK:
            _MEMORY.setdefault(self.name, {}).setdefault(output, []).append(
                (input, attempt, piece)
            )

    def _records(self, output: int) -> list:
        with _MEMORY_LOCK:
            return list(_MEMORY.get(self.name, {}).get(output, []))

    def drop(self) -> None:
        with _MEMORY_LOCK:
            _MEMORY.pop(self.name, None)


# -- on disk --------------------------------------------------------------------

_HEADER = struct.Struct("<4sq16sBq")  # magic, input, attempt, kind, length
_MAGIC = b"PFSH"
_ARROW, _PICKLE = 0, 1


class DiskStore(ShuffleStore):
    """One spill file per output partition, in directory ``path``.

    ``remove_on_read`` makes :meth:`get` delete an output's file once it
    has been read (disk space is given back as the outputs are consumed).
    With ``create`` the directory is made by the first append; without it
    (the spill folders of :mod:`partframe.kernels.spill`, made and removed
    by their owner) an append to a directory that is gone fails: a task
    still running after its computation was cancelled must not bring back
    a folder that was just removed.

    An append that fails half way (a full disk) is cut off, so the file
    holds only whole records and later appends stay readable; the error
    names the file.
    """

    def __init__(
        self, path: str, remove_on_read: bool = False, create: bool = True
    ) -> None:
        self.path = str(path)
        self.remove_on_read = remove_on_read
        self.create = create

    def __reduce__(self) -> tuple:
        return (DiskStore, (self.path, self.remove_on_read, self.create))

    def file(self, output: int) -> str:
        """The spill file of partition ``output``."""
        return os.path.join(self.path, f"part-{output}.arrows")

    def staged_file(self, input: int) -> str:
        """The file holding input partition ``input`` (see :meth:`stage`)."""
        return os.path.join(self.path, f"input-{input}.arrows")

    def stage(self, input: int, attempt: str, piece: Any) -> None:
        """Keep input partition ``input`` on disk until :meth:`unstage`.

        For a range shuffle whose boundaries are sampled in the graph: the
        inputs wait on disk, not in memory, until the boundaries are known.
        """
        self._write(self.staged_file(input), input, attempt, piece)

    def unstage(self, input: int, attempt: str, meta: Any) -> Any:
        """Input partition ``input`` as staged by ``attempt``."""
        path = self.staged_file(input)
        payloads = [p for _, a, p in self._read(path) if a == attempt]
        result = _read_payloads(payloads, meta)
        if self.remove_on_read:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        return result

    def _append(self, output: int, input: int, attempt: str, piece: Any) -> None:
        self._write(self.file(output), input, attempt, piece)

    def _write(self, path: str, input: int, attempt: str, piece: Any) -> None:
        kind, payload = to_ipc(piece)
        token = attempt.encode()[:16].ljust(16, b"\0")
        record = _HEADER.pack(_MAGIC, input, token, kind, len(payload)) + payload
        if self.create:
            os.makedirs(self.path, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:
            if os.path.isdir(self.path):
                raise
            raise FileNotFoundError(
                errno.ENOENT,
                f"the shuffle folder {self.path!r} is gone: its computation "
                "ended (another task failed, or it was interrupted) or the "
                "folder was deleted while the shuffle ran",
            ) from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                view = memoryview(record)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            except OSError as exc:
                # Cut the torn record off: readers stop at the first one,
                # which would hide every record appended after it.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, start)
                raise _write_error(exc, path, self.path) from exc
        finally:
            os.close(fd)  # closing releases the lock

    def _records(self, output: int) -> list:
        return self._read(self.file(output))

    def _read(self, path: str) -> list:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        out = []
        pos, size = 0, len(data)
        while pos + _HEADER.size <= size:
            magic, input, token, kind, length = _HEADER.unpack_from(data, pos)
            pos += _HEADER.size
            if magic != _MAGIC or pos + length > size:
                break  # a torn write of a failed attempt: nothing after counts
            payload = memoryview(data)[pos : pos + length]
            pos += length
            out.append((input, token.rstrip(b"\0").decode(), (kind, payload)))
        return out

    def get(self, output: int, attempts: dict | list, meta: Any) -> Any:
        if isinstance(attempts, list):
            attempts = dict(enumerate(attempts))
        chosen: dict[int, list] = {}
        for input, attempt, payload in self._records(output):
            if attempts.get(input) == attempt:
                chosen.setdefault(input, []).append(payload)
        payloads = [p for i in sorted(chosen) for p in chosen[i]]
        result = _read_payloads(payloads, meta)
        if self.remove_on_read:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.file(output))
        return result

    def drop(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _write_error(exc: OSError, file: str, folder: str) -> OSError:
    """``exc`` (a failed spill write) with the file, folder and the fix."""
    what = exc.strerror or str(exc)
    message = f"{what} while writing the spill file {file!r} of a disk shuffle"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        root = os.path.dirname(os.path.abspath(folder))
        message += (
            f": the disk holding {root!r} is full. Free space there, or put "
            "spill folders on a larger disk with "
            "partframe.config.set(temporary_directory='/path/with/space') "
            "(or shuffle with method='tasks', in memory)"
        )
    return OSError(exc.errno, message)


# -- serialization ----------------------------------------------------------------


def _as_frame(obj: Any) -> pd.DataFrame:
    """A copy-free DataFrame with positional string labels (Arrow needs them)."""
    if isinstance(obj, pd.Series):
        frame = obj.to_frame(name="c0")
    else:
        frame = obj.copy(deep=False)
        frame.columns = [f"c{i}" for i in range(len(obj.columns))]
    frame.index = frame.index.copy()
    frame.index.names = [f"__i{k}" for k in range(frame.index.nlevels)]
    return frame


def _has_object(obj: Any) -> bool:
    dtypes = [obj.dtype] if isinstance(obj, pd.Series) else list(obj.dtypes)
    index = obj.index
    dtypes += [index.get_level_values(i).dtype for i in range(index.nlevels)]
    return any(isinstance(d, np.dtype) and d.kind == "O" for d in dtypes)


def to_ipc(obj: Any) -> tuple[int, bytes]:
    """Serialize a pandas piece: ``(kind, bytes)``, Arrow IPC when possible.

    Examples
    --------
    >>> import pandas as pd
    >>> kind, data = to_ipc(pd.DataFrame({"x": [1, 2]}))
    >>> from_ipc([(kind, data)], pd.DataFrame({"x": pd.Series([], dtype="int64")}))
       x
    0  1
    1  2
    """
    if _has_object(obj):
        # Arrow would coerce mixed Python objects (bytes and str become
        # binary): only pickle keeps them exact.
        return _PICKLE, pickle.dumps(obj, protocol=5)
    try:
        table = pa.Table.from_pandas(_as_frame(obj), preserve_index=True)
    except (pa.ArrowException, TypeError, ValueError):
        return _PICKLE, pickle.dumps(obj, protocol=5)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return _ARROW, sink.getvalue().to_pybytes()


def from_ipc(payloads: list, meta: Any) -> Any:
    """Deserialize and concatenate ``(kind, bytes)`` pieces like ``meta``."""
    return _read_payloads(payloads, meta)


def _read_payloads(payloads: list, meta: Any) -> Any:
    tables, objs = [], []
    for kind, data in payloads:
        if kind == _ARROW:
            tables.append(pa.ipc.open_stream(pa.py_buffer(data)).read_all())
        else:
            objs.append(pickle.load(io.BytesIO(data)))
    pieces: list = []
    if tables:
        try:
            pieces.append(_from_table(pa.concat_tables(tables), meta))
        except (pa.ArrowException, ValueError, TypeError):
            pieces.extend(_from_table(t, meta) for t in tables)
    pieces.extend(objs)
    return _concat_pieces(pieces, meta)


def _from_table(table: pa.Table, meta: Any) -> Any:
    frame = table.to_pandas()
    index = frame.index
    index.names = list(meta.index.names)
    if isinstance(meta, pd.Series):
        out: Any = frame.iloc[:, 0].rename(meta.name)
    else:
        frame.columns = meta.columns
        out = frame
    return conform(out, meta)


def _concat_pieces(pieces: list, meta: Any) -> Any:
    nonempty = [p for p in pieces if len(p)]
    if not nonempty:
        return meta.copy()
    if len(nonempty) == 1:
        return nonempty[0]
    return pd.concat(nonempty)
