"""Record boundaries of CSV byte ranges.

A block of a CSV file is a nominal byte range; its records are those that
start in it. Whether a newline ends a record is the parity of the quote
characters before it: :func:`count_quotes` counts one block's (a task of
its own), :func:`parity_pair` chains the counts, and
:func:`find_record_start` / :func:`read_records` find the first record
boundary at or after an offset. A local file is mapped
(:func:`_map_file`) and its blocks parsed from the page cache without a
copy; another is read with one ranged read per block.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

__all__ = [
    "NONSPACE",
    "close_buffer",
    "count_quotes",
    "find_record_start",
    "parity_pair",
    "read_bytes",
    "read_records",
    "record_start",
]


_CHUNK = 1 << 22  # bytes per read when quotes are counted


_TAIL = 1 << 16  # bytes read past a block's end to find its last record's end


NONSPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")


def read_bytes(fs: Any, path: str, start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of ``path``."""
    with fs.open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start)


def count_quotes(fs: Any, path: str, start: int, end: int, quote: bytes) -> int:
    """Parity (0 or 1) of the number of ``quote`` bytes in ``[start, end)``.

    The range is read in chunks into one reused buffer; a chunk without any
    quote (a fast ``find``) is not counted.
    """
    parity = 0
    buf = bytearray(min(_CHUNK, max(end - start, 1)))
    view = memoryview(buf)
    with fs.open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            n = f.readinto(view[: min(left, len(buf))])
            if not n:
                break
            if buf.find(quote, 0, n) >= 0:
                parity ^= buf.count(quote, 0, n) & 1
            left -= n
    return parity


def parity_pair(prev: int | tuple, count: int | None) -> tuple:
    """``(start, end)`` quote parities of a block.

    ``prev`` is the previous block's pair (its ``end`` is this block's
    ``start``), or the parity at the block's start; ``count`` the parity
    of the block's quotes (None: the file's last block, no ``end``).
    """
    start = prev[1] if isinstance(prev, tuple) else prev
    return (start, None if count is None else (start ^ count) & 1)


def find_record_start(
    f: Any, offset: int, parity: int, quote: bytes | None
) -> int | None:
    """The first record boundary at or after ``offset`` (None: end of file).

    A boundary is the position after a newline that lies outside quotes:
    ``parity`` says whether ``offset`` is inside a quoted field (an odd
    number of quote characters before it). With standard CSV quoting (a
    quote inside a field is doubled) the parity of the quotes counted from
    there tells, at each newline, whether it ends a record.
    """
    if offset <= 0:
        return 0
    f.seek(offset - 1)
    base = offset - 1
    counted = 1  # the byte before ``offset`` is not part of the count
    while True:
        buf = f.read(1 << 16)
        if not buf:
            return None
        i = 0
        while True:
            j = buf.find(b"\n", i)
            if j < 0:
                break
            if quote is not None and j > counted:
                parity ^= buf.count(quote, counted, j) & 1
                counted = j
            if parity == 0:
                return base + j + 1
            i = j + 1
        if quote is not None and len(buf) > counted:
            parity ^= buf.count(quote, counted) & 1
        base += len(buf)
        counted = 0


def _count(buf: Any, sub: bytes, i: int, j: int) -> int:
    """``sub`` bytes in ``buf[i:j]`` (``buf``: bytes or an mmap)."""
    if isinstance(buf, bytes):
        return buf.count(sub, i, j)
    return buf[i:j].count(sub)


def record_start(
    buf: Any, i: int, parity: int, quote: bytes | None, stop: int | None = None
) -> int | None:
    """The first record boundary at or after index ``i >= 1`` of ``buf``.

    Like :func:`find_record_start` within a buffer (bytes or an mmap):
    ``parity`` is the quote parity at ``i``; only newlines before index
    ``stop`` are considered. None: no boundary there.
    """
    stop = len(buf) if stop is None else stop
    counted = i
    j = buf.find(b"\n", i - 1, stop)
    while j >= 0:
        if quote is not None and j > counted:
            parity ^= _count(buf, quote, counted, j) & 1
            counted = j
        if parity == 0:
            return j + 1
        j = buf.find(b"\n", j + 1, stop)
    return None


def _map_file(fs: Any, path: str) -> Any:
    """A read-only mmap of a local file (None: not local, or empty).

    Blocks are then parsed from the page cache without copying; the task
    closes the map before it returns (nothing parsed refers to it).
    """
    from fsspec.implementations.local import LocalFileSystem

    if not isinstance(fs, LocalFileSystem):
        return None
    import mmap

    with open(fs._strip_protocol(path), "rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):
            return None  # an empty file, or a file that cannot be mapped


def close_buffer(buf: Any) -> None:
    """Close the map of a file that :func:`read_records` returned (read
    bytes need nothing)."""
    if not isinstance(buf, bytes):
        # still referenced (BufferError): freed with its last reference
        with contextlib.suppress(BufferError):
            buf.close()


def read_records(
    fs: Any,
    path: str,
    start: int,
    end: int | None,
    parity: int,
    parity_end: int | None,
    quote: bytes | None,
) -> tuple[Any, int, int, int]:
    """``(buf, i, j, base)``: the records that start in ``[start, end)``.

    They are ``buf[i:j]``, and ``buf[0]`` is the byte at file offset
    ``base``. ``buf`` maps a whole local file (see :func:`_map_file`);
    otherwise one ranged read covers the block and ``_TAIL`` bytes after
    it, where its last record almost always ends (a longer record reads
    on). ``parity_end`` is the quote parity at ``end`` (None: count it).
    """
    buf = _map_file(fs, path)
    f = None
    if buf is not None:
        base, eof = 0, True
    else:
        base = max(start - 1, 0)
        f = fs.open(path, "rb")
        f.seek(base)
        if end is None:
            buf = f.read()
            eof = True
        else:
            want = end - base + _TAIL
            buf = f.read(want)
            eof = len(buf) < want
    try:
        i = 0
        if start > 0:
            stop = len(buf) if end is None else min(end - base - 1, len(buf))
            first = record_start(buf, start - base, parity, quote, stop)
            if first is None:
                return buf, len(buf), len(buf), base
            i = first
        if end is None:
            return buf, i, len(buf), base
        e = end - base
        if parity_end is None:
            parity_end = (_count(buf, quote, i, e) & 1) if quote is not None else 0
        while True:
            j = record_start(buf, e, parity_end, quote)
            if j is not None:
                return buf, i, j, base
            if eof:
                return buf, i, len(buf), base
            more = max(len(buf) // 4, 1 << 20)
            assert f is not None  # a mapped file is whole: eof above
            chunk = f.read(more)
            eof = len(chunk) < more
            buf += chunk
    finally:
        if f is not None:
            f.close()
