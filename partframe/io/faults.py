"""A filesystem that fails on purpose, for testing what a failure leaves.

:class:`FaultyFileSystem` wraps any fsspec filesystem and makes chosen
calls fail: the *n*-th write (a disk that fills up after so many bytes),
a move, a delete, a listing, a read. Pass it as ``filesystem=`` to
``read_parquet``/``to_parquet`` (or call partframe's IO functions with it
directly) and check what is left afterwards: partframe's own reliability
suite (``tests/reliability``) does exactly that.

Examples
--------
>>> import errno, fsspec, pandas as pd, partframe
>>> from partframe.io.faults import Fault, FaultyFileSystem
>>> disk = fsspec.filesystem("memory")
>>> full = Fault("write", after_bytes=3_000, error=OSError(errno.ENOSPC, "disk full"))
>>> fs = FaultyFileSystem(disk, [full])
>>> df = partframe.from_pandas(pd.DataFrame({"x": range(1000)}), npartitions=4)
>>> try:
...     df.to_parquet("/doc/faulty", filesystem=fs, scheduler="sync")
... except OSError as e:
...     print(e.strerror)
disk full
>>> disk.exists("/doc/faulty")
False
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from fsspec.implementations.dirfs import DirFileSystem

__all__ = ["Fault", "FaultyFileSystem"]

OPERATIONS = ("write", "open", "read", "mv", "rm", "ls", "mkdir", "copy")


@dataclasses.dataclass
class Fault:
    """One way a filesystem call fails.

    Parameters
    ----------
    operation : str
        ``"write"`` (bytes written through ``open(..., "wb")`` or
        ``pipe_file``), ``"open"`` (any open for writing), ``"read"``
        (``open`` for reading, ``cat_file``), ``"mv"``, ``"rm"``, ``"ls"``
        (``ls``, ``find``), ``"mkdir"`` or ``"copy"``.
    nth : int, default 1
        The first call (counted from 1) that fails; for ``"write"`` with
        ``after_bytes``, ignored.
    times : int or None, default None
        How many calls fail from then on (None: every later one).
    after_bytes : int, optional
        ``"write"`` only: fail once this many bytes were written in total
        (a disk that fills up).
    path_contains : str, optional
        Only calls whose path contains this text count.
    error : BaseException or callable, default OSError(EIO)
        Raised, or (a callable) called: it may raise, or kill the process
        (``lambda: os._exit(9)`` stands for ``kill -9`` at that point).
    """

    operation: str
    nth: int = 1
    times: int | None = None
    after_bytes: int | None = None
    path_contains: str | None = None
    error: Any = None
    calls: int = dataclasses.field(default=0, init=False)
    failed: int = dataclasses.field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ValueError(
                f"Fault: operation must be one of {OPERATIONS}, got {self.operation!r}"
            )
        if self.after_bytes is not None and self.operation != "write":
            raise ValueError("Fault: after_bytes= applies to operation='write' only")

    def _fire(self, path: str) -> None:
        self.failed += 1
        error = self.error
        if error is None:
            import errno

            error = OSError(errno.EIO, f"injected fault: {self.operation} {path}")
        if isinstance(error, BaseException):
            raise error
        error()

    def _due(self) -> bool:
        return self.calls >= self.nth and (
            self.times is None or self.failed < self.times
        )


class FaultyFileSystem(DirFileSystem):
    """``fs`` with the :class:`Fault` s ``faults`` injected (thread-safe).

    Paths are passed through unchanged; ``written`` counts the bytes
    written so far.
    """

    protocol = "faulty"

    def __init__(
        self, fs: Any, faults: list[Fault] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(path="", fo="", fs=fs, **kwargs)
        self.path = ""  # paths pass through (a local "" would be the cwd)
        self.faults = list(faults or [])
        self.written = 0
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple:
        # pickled to worker processes with its faults and counts as they are
        return (_rebuild, (self.fs, self.faults, self.written))

    def _check(self, operation: str, path: Any, nbytes: int = 0) -> None:
        due = None
        with self._lock:
            if operation == "write":
                self.written += nbytes
            for f in self.faults:
                if f.operation != operation and not (
                    operation == "open_write" and f.operation == "open"
                ):
                    continue
                if f.path_contains is not None and f.path_contains not in str(path):
                    continue
                if f.operation == "write" and f.after_bytes is not None:
                    if self.written > f.after_bytes and (
                        f.times is None or f.failed < f.times
                    ):
                        due = f
                        break
                    continue
                if operation == "write" and nbytes == 0:
                    continue
                f.calls += 1
                if f._due():
                    due = f
                    break
        if due is not None:
            due._fire(str(path))

    # --- the intercepted calls ----------------------------------------------
    def open(self, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        writing = any(c in mode for c in "wax+")
        self._check("open_write" if writing else "read", path)
        f = super().open(path, mode, *args, **kwargs)
        if writing:
            return _CountingFile(f, lambda n: self._check("write", path, n))
        return f

    def pipe_file(self, path: str, value: bytes, *args: Any, **kwargs: Any) -> Any:
        self._check("open_write", path)
        self._check("write", path, len(value))
        return super().pipe_file(path, value, *args, **kwargs)

    def cat_file(self, path: str, *args: Any, **kwargs: Any) -> Any:
        self._check("read", path)
        return super().cat_file(path, *args, **kwargs)

    def mv(self, path1: str, path2: str, *args: Any, **kwargs: Any) -> Any:
        self._check("mv", path1)
        return super().mv(path1, path2, *args, **kwargs)

    def rm(self, path: Any, *args: Any, **kwargs: Any) -> Any:
        self._check("rm", path)
        return super().rm(path, *args, **kwargs)

    def rm_file(self, path: str, **kwargs: Any) -> Any:
        self._check("rm", path)
        return super().rm_file(path, **kwargs)

    def copy(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> Any:
        self._check("copy", path1)
        return super().copy(path1, path2, *args, **kwargs)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        self._check("ls", path)
        return super().ls(path, detail=detail, **kwargs)

    def find(self, path: str, *args: Any, **kwargs: Any) -> Any:
        self._check("ls", path)
        return super().find(path, *args, **kwargs)

    def mkdir(self, path: str, *args: Any, **kwargs: Any) -> Any:
        self._check("mkdir", path)
        return super().mkdir(path, *args, **kwargs)

    def makedirs(self, path: str, *args: Any, **kwargs: Any) -> Any:
        self._check("mkdir", path)
        return super().makedirs(path, *args, **kwargs)


def _rebuild(fs: Any, faults: list, written: int) -> FaultyFileSystem:
    out = FaultyFileSystem(fs, faults)
    out.written = written
    return out


class _CountingFile:
    """A writable file that reports every write's size before making it."""

    def __init__(self, f: Any, check: Callable[[int], None]) -> None:
        self._f = f
        self._check = check

    def write(self, data: Any) -> int:
        self._check(len(data))
        return self._f.write(data)

    def __enter__(self) -> _CountingFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._f.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __iter__(self) -> Any:
        return iter(self._f)
