"""Task kernels every file reader shares.

Every function here runs inside a task: module-level, arguments are plain
picklable data. :func:`read_pinned` reads the version of a file a plan was
made on; :func:`add_read_note` says on an error what was being read. The
readers' own kernels are in :mod:`partframe.kernels.parquet`,
:mod:`partframe.kernels.csv`, :mod:`partframe.kernels.csv_records` and
:mod:`partframe.kernels.csv_meta`; the writers' in
:mod:`partframe.kernels.write`.
"""

from __future__ import annotations

from typing import Any

from ..io.snapshot import read_pinned as _read_pinned_version

__all__ = ["add_read_note", "read_pinned"]


def add_read_note(exc: BaseException, where: str) -> None:
    """Say on ``exc`` what was being read, and the fix for text in another
    encoding.

    A note, not a new exception: the reader's own exception keeps its type,
    arguments and message (rebuilding it with ``type(exc)(message)`` fails
    for exceptions such as ``UnicodeDecodeError`` whose constructor takes
    other arguments).

    Examples
    --------
    >>> e = UnicodeDecodeError("utf-8", b"\\xe9", 0, 1, "invalid byte")
    >>> add_read_note(e, "'a.csv'"); print("\\n".join(e.__notes__))
    ... # doctest: +ELLIPSIS
    partframe: while reading 'a.csv'
    partframe: the data is not valid utf-8 text: ... encoding='latin-1')
    """
    exc.add_note(f"partframe: while reading {where}")
    if isinstance(exc, UnicodeDecodeError):
        exc.add_note(
            f"partframe: the data is not valid {exc.encoding} text: pass the "
            "file's encoding, e.g. read_csv(..., encoding='latin-1')"
        )


def read_pinned(pin: Any, func: Any, fs: Any, path: str, *args: Any) -> Any:
    """``func(fs, path, *args)`` on the version of the file that the plan
    was made on (see :mod:`partframe.io.snapshot`)."""
    return _read_pinned_version(fs, pin, path, lambda p: func(fs, p, *args))
