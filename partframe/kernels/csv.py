"""Parse one block of a CSV file, and say where in the file a problem is.

:func:`read_csv_block` is the task kernel of :class:`~partframe.io.nodes.ReadCSV`.
pandas numbers lines from the first byte it is given, so the parser's own
messages give a block's line (``line 6655`` for the file's line 150,002).
Every error and warning of a block is rewritten here to say the line of the
whole file, the file and the block's byte range.

Line numbers
    pandas' "line" is one more than the number of line ends before a record
    that lie outside quotes (a quoted field's newline does not count; blank
    and comment lines do; ``\\r\\n`` counts once and a lone ``\\r`` once). A
    block starts at a record boundary, so the file's line is the block's
    line plus the line ends before the block, counted with the quote parity
    the block splitter uses (:func:`line_ends`). They are counted only when
    there is something to report, never on the success path: reading the
    file up to the block costs a pass over those bytes. The count assumes
    what the splitter assumes, that a quote character always opens or
    closes a quoted field (a lone quote inside an unquoted field, which
    pandas keeps as text, shifts both).

Bad lines (``on_bad_lines``)
    ``"error"``: pandas' :class:`~pandas.errors.ParserError`, its message
    rewritten. ``"warn"`` and ``"skip"``: a block is first parsed with
    ``"error"``; only a block that has bad lines is parsed again with
    ``"warn"`` while pandas' warnings are captured. That capture is
    process-wide in Python (``warnings.catch_warnings``), so such re-parses
    take a lock: clean blocks stay parallel. ``"warn"`` then warns
    (:class:`~pandas.errors.ParserWarning`) with the file's lines and the
    file's name; ``"skip"`` stays silent, as in pandas, and logs an INFO
    record on the ``partframe.io.csv`` logger with the file, the lines and
    their count (attributes ``path``, ``lines``, ``skipped``).

Short lines (``on_short_lines="error"``)
    pandas pads a record with too few fields with NaN whatever
    ``on_bad_lines`` says. The strict mode counts the fields of every
    record of the block outside quotes (:func:`_short_records`) after the
    parse, and raises for the first short one.

Compressed files are decompressed whole (one block each); a truncated or
corrupt one raises :class:`CSVReadError` naming the file and the codec.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import lzma
import re
import threading
import warnings
import zipfile
import zlib
from typing import Any

import numpy as np
import pandas as pd

from .csv_meta import enforce_meta, with_path
from .csv_records import NONSPACE, close_buffer, read_records, record_start
from .io import add_read_note

__all__ = ["CSVReadError", "line_ends", "read_compressed", "read_csv_block"]

_log = logging.getLogger("partframe.io.csv")
_CHUNK = 1 << 20  # bytes per step when line ends are counted
_EXPECTED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_ROW = re.compile(r"EOF inside string starting at row (\d+)")
_SKIPPING = re.compile(r"Skipping line (\d+): ([^\n]*)")
# Python's warning capture is process-wide: one capturing parse at a time.
_CAPTURE = threading.Lock()


class CSVReadError(ValueError):
    """A CSV file cannot be read: truncated or corrupt compressed data."""


def _codec_error(exc: BaseException) -> bool:
    """Did decompressing fail on the data itself (not on opening the file)?"""
    if isinstance(
        exc,
        EOFError | zlib.error | lzma.LZMAError | zipfile.BadZipFile | gzip.BadGzipFile,
    ):
        return True
    if type(exc).__module__.split(".")[0] in ("zstandard", "_bz2", "bz2", "lz4"):
        return True
    # bz2 and others raise a bare OSError without an errno; a missing file,
    # a permission or a network error has one
    return type(exc) is OSError and exc.errno is None


def read_compressed(
    fs: Any, path: str, compression: str, label: str, size: int = -1
) -> bytes:
    """The first ``size`` (all: -1) decompressed bytes of ``path``.

    A truncated or corrupt file raises :class:`CSVReadError` naming the
    file and the codec (the codec's own error, e.g. ``EOFError``, names
    neither).
    """
    try:
        with fs.open(path, "rb", compression=compression) as f:
            return f.read(size)
    except Exception as e:
        if not _codec_error(e):
            raise
        raise CSVReadError(
            f"read_csv: {label!r} is truncated or corrupt: it cannot be "
            f"decompressed as {compression} ({type(e).__name__}: {e}). Check "
            "the file (e.g. a download or copy that did not finish), or pass "
            "compression= if its name does not say its format."
        ) from e


def line_ends(chunks: Any, quote: bytes | None) -> int:
    """Line ends outside quotes in the concatenated byte ``chunks``.

    A ``\\n`` or a ``\\r`` ends a line, ``\\r\\n`` once, as pandas counts;
    a byte is inside quotes when an odd number of quote characters come
    before it (the parity the block splitter uses).

    Examples
    --------
    >>> line_ends([b'a,b\\n1,"x\\ny"\\r\\n', b'\\n2,3\\r4'], b'"')
    4
    """
    n = parity = 0
    cr_before = False  # the previous chunk ended with a \r outside quotes
    for chunk in chunks:
        a = np.frombuffer(chunk, np.uint8)
        if not len(a):
            continue
        if quote is not None:
            q = a == quote[0]
            outside = ((np.cumsum(q) - q + parity) & 1) == 0
            parity = (parity + int(np.count_nonzero(q))) & 1
            lf = (a == 10) & outside
            cr = (a == 13) & outside
        else:
            lf, cr = a == 10, a == 13
        n += int(np.count_nonzero(lf)) + int(np.count_nonzero(cr))
        n -= int(np.count_nonzero(cr[:-1] & lf[1:])) + (cr_before and bool(lf[0]))
        cr_before = bool(cr[-1])
    return n


def _file_chunks(fs: Any, path: str, stop: int, buf: Any) -> Any:
    """The bytes ``[0, stop)`` of ``path`` in chunks (from ``buf`` if it
    holds the file from its first byte)."""
    if buf is not None:
        for k in range(0, stop, _CHUNK):
            yield memoryview(buf)[k : min(k + _CHUNK, stop)]
        return
    with fs.open(path, "rb") as f:
        left = stop
        while left > 0:
            chunk = f.read(min(left, _CHUNK))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


class _Place:
    """Where a parsed piece of a file lies: it turns pandas' line numbers,
    counted from the piece's first byte, into the file's.

    ``start`` is the file offset of the piece's first record (a record
    boundary); ``buf`` holds the file from offset 0 when it is at hand (a
    mapped local file), else the bytes before ``start`` are read again.
    """

    def __init__(
        self,
        fs: Any,
        path: str,
        label: str,
        start: int,
        end: int,
        quote: bytes | None,
        buf: Any = None,
        unit: str = "bytes",
    ) -> None:
        self.fs, self.path, self.label = fs, path, label
        self.start, self.end, self.quote, self.buf = start, end, quote, buf
        self.unit = unit  # "decompressed bytes" for a compressed file
        self._before: int | None = 0 if start == 0 else None

    def __str__(self) -> str:
        return f"{self.label} ({self.unit} {self.start}-{self.end})"

    def at(self, start: int) -> _Place:
        """The same file from a later record boundary ``start``."""
        args = (self.label, start, self.end, self.quote, self.buf, self.unit)
        return _Place(self.fs, self.path, *args)

    def lines_before(self) -> int:
        """Lines of the file before the piece (counted once, when asked)."""
        if self._before is None:
            chunks = _file_chunks(self.fs, self.path, self.start, self.buf)
            self._before = line_ends(chunks, self.quote)
        return self._before

    def line(self, local: int) -> int:
        """The file's line number of the piece's line ``local`` (1-based)."""
        return self.lines_before() + local

    def block(self) -> str:
        return f"read in the block of {self.unit} {self.start}-{self.end}"

    def relocate(self, exc: BaseException) -> None:
        """Rewrite a pandas parser error's message with the file's line and
        the file's name (same exception, same type)."""
        text = str(exc).rstrip("\n")
        m = _EXPECTED.search(text)
        e = _EOF_ROW.search(text)
        if m is not None:
            line = self.line(int(m.group(2)))
            text = f"{text[: m.start(2)]}{line}{text[m.end(2) :]}"
            text += f" (in {self.label!r}, {self.block()})"
        elif e is not None:
            row = self.lines_before() + int(e.group(1))
            text = f"{text[: e.start(1)]}{row}{text[e.end(1) :]}"
            text += (
                f" (line {row + 1} of {self.label!r}, {self.block()}: a quoted "
                "field is never closed)"
            )
        else:
            text += f" (while reading {self})"
        exc.args = (text,)

    def skipped(self, message: str) -> tuple[str, list[int]]:
        """pandas' "Skipping line L: ..." warning text with the file's lines,
        and those lines."""
        lines: list[int] = []

        def fix(m: re.Match) -> str:
            lines.append(self.line(int(m.group(1))))
            return f"Skipping line {lines[-1]} of {self.label!r}: {m.group(2)}"

        return _SKIPPING.sub(fix, message.rstrip("\n")), lines


def report_bad_lines(place: _Place, policy: str, lines: list[int], text: str) -> None:
    """Warn (``"warn"``) or log (``"skip"``) the bad ``lines`` of a piece."""
    if not lines:
        return
    if policy == "warn":
        warnings.warn(text, pd.errors.ParserWarning, stacklevel=3)
        return
    _log.info(
        "read_csv: skipped %d bad line(s) of %r (on_bad_lines='skip'): lines %s",
        len(lines),
        place.label,
        ", ".join(map(str, lines)),
        extra={"path": place.label, "lines": lines, "skipped": len(lines)},
    )


@contextlib.contextmanager
def _captured_warnings() -> Any:
    """Record every warning of the block (see the module docstring); those
    that are not pandas' bad-line warnings are emitted again afterwards."""
    with _CAPTURE, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def parse(source: Any, kwargs: dict, place: _Place) -> pd.DataFrame | None:
    """``pd.read_csv(source(), **kwargs)`` with errors and bad lines told
    in the file's terms (None: no data, pandas' ``EmptyDataError``)."""
    policy = kwargs.get("on_bad_lines", "error")
    try:
        if policy not in ("warn", "skip"):
            return _read(source, kwargs, place)
        try:
            return _read(source, {**kwargs, "on_bad_lines": "error"}, place)
        except pd.errors.ParserError as e:
            if _EXPECTED.search(str(e)) is None:
                raise
        with _captured_warnings() as caught:
            df = _read(source, {**kwargs, "on_bad_lines": "warn"}, place)
    except pd.errors.ParserError as e:
        place.relocate(e)
        raise
    for w in caught:
        if issubclass(w.category, pd.errors.ParserWarning) and _SKIPPING.search(
            str(w.message)
        ):
            text, lines = place.skipped(str(w.message))
            report_bad_lines(place, policy, lines, text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return df


def _read(source: Any, kwargs: dict, place: _Place) -> pd.DataFrame | None:
    src = source()
    try:
        return pd.read_csv(src, **kwargs)
    except pd.errors.EmptyDataError:
        return None
    except pd.errors.ParserError:
        raise
    except Exception as e:
        add_read_note(e, str(place))
        raise
    finally:
        src.close()


def read_csv_block(
    fs: Any,
    path: str,
    start: int,
    end: int | None,
    parity: int | tuple[int, int | None],
    quote: bytes | None,
    compression: str | None,
    kwargs: dict,
    meta: pd.DataFrame,
    label: str,
    path_column: tuple | None,
    align: bool = False,
    strict: tuple | None = None,
) -> pd.DataFrame:
    """Parse one block of a CSV file: records starting in ``[start, end)``.

    ``start == 0`` is the file's first block (read with the user's header
    options); other blocks start at the first record boundary at or after
    ``start`` (found with the quote ``parity`` at ``start``) and are read
    with ``header=None`` and the file's column names. A block ends at the
    first boundary at or after ``end``; ``end=None`` reads to the end of
    the file. ``parity`` is the parity at ``start``, or the ``(start,
    end)`` pair of :func:`~partframe.kernels.csv_records.parity_pair`.

    The bytes are read once (a local file is mapped, and pandas parses the
    block straight from the page cache). ``align``: the file has the
    columns of ``meta`` in another order; they are put in ``meta``'s.
    ``strict``: ``(fields, sep, data_start)`` of :func:`_short_records`
    (``on_short_lines="error"``). Columns are checked against ``meta``: a
    safe difference (int in a float column, all-missing values) is cast, a
    numeric block of a text column is parsed again as text, anything else
    raises :class:`~partframe.kernels.csv_meta.CSVDtypeError` naming the column,
    file and byte range. Parser errors and bad lines give the file's line
    (see the module docstring).
    """
    parity, parity_end = parity if isinstance(parity, tuple) else (parity, None)
    if compression is not None:
        buf = read_compressed(fs, path, compression, label)
        i, j, base = 0, len(buf), 0
    else:
        buf, i, j, base = read_records(fs, path, start, end, parity, parity_end, quote)
    try:
        # a mapped file holds the file from offset 0: lines are counted there
        whole = buf if base == 0 and compression is None else None
        unit = "bytes" if compression is None else "decompressed bytes"
        place = _Place(fs, path, label, base + i, base + j, quote, whole, unit)
        body = i + 3 if buf[i : i + 3] == b"\xef\xbb\xbf" else i
        if NONSPACE.search(buf, body, j) is None:
            return with_path(meta.copy(), path_column)
        first = i
        df = parse(_source(buf, i, j), kwargs, place)
        if df is None:
            return with_path(meta.copy(), path_column)
        if start > 0 and kwargs.get("index_col") is None:
            df, i = _drop_implicit_index(df, buf, i, j, kwargs, quote, place)
        if strict is not None:
            _check_short(buf, first, j, strict, quote, kwargs, place, start == 0)
        if align:
            df = _in_order(df, meta)
        after = kwargs
        if kwargs.get("on_bad_lines") in ("warn", "skip"):
            after = {**kwargs, "on_bad_lines": "skip"}  # told once already
        df = enforce_meta(df, meta, str(place), lambda: buf[i:j], after)
        if align:
            df = _in_order(df, meta)
        return with_path(df, path_column)
    finally:
        close_buffer(buf)


def _source(buf: Any, i: int, j: int) -> Any:
    """A function opening ``buf[i:j]`` for pandas (no copy of a mapped file)."""
    if isinstance(buf, bytes):
        data = buf if (i, j) == (0, len(buf)) else buf[i:j]
        return lambda: io.BytesIO(data)
    import pyarrow as pa

    return lambda: pa.BufferReader(pa.py_buffer(buf).slice(i, j - i))


def _in_order(df: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """``df``'s columns in ``meta``'s order (same names: see ``align``)."""
    cols = list(meta.columns)
    if list(df.columns) != cols and set(df.columns) == set(cols):
        return df[cols]
    return df


def _drop_implicit_index(
    df: pd.DataFrame,
    buf: Any,
    i: int,
    j: int,
    kwargs: dict,
    quote: bytes | None,
    place: _Place,
) -> tuple[pd.DataFrame, int]:
    """Treat a block's first record with one field too many as a bad line.

    pandas reads a first data row with one extra field as an index column;
    in the whole file that row was not first, so it is a bad line there.
    The block is ``buf[i:j]``; returns the frame and where its rows start.
    """
    pos = record_start(buf, i + 1, 0, quote, j) or j
    keys = ("sep", "delimiter", "quotechar", "quoting", "encoding", "doublequote")
    first_kw = {k: kwargs[k] for k in keys if k in kwargs}
    try:
        first = pd.read_csv(io.BytesIO(buf[i:pos]), header=None, dtype=str, **first_kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return df, i
    names = kwargs.get("names") or ()
    if first.shape[1] <= len(names):
        return df, i
    policy = kwargs.get("on_bad_lines", "error")
    line = place.line(1)
    if policy == "error":
        raise pd.errors.ParserError(
            f"Expected {len(names)} fields in line {line}, saw {first.shape[1]} "
            f"(in {place.label!r}, {place.block()})"
        )
    report_bad_lines(
        place,
        policy,
        [line],
        f"Skipping line {line} of {place.label!r}: expected {len(names)} fields, "
        f"saw {first.shape[1]}",
    )
    if NONSPACE.search(buf, pos, j) is None:
        return df.iloc[:0].reset_index(drop=True), pos
    rest = parse(_source(buf, pos, j), kwargs, place.at(place.start + pos - i))
    return (df.iloc[:0].reset_index(drop=True) if rest is None else rest), pos


def _check_short(
    buf: Any,
    i: int,
    j: int,
    strict: tuple,
    quote: bytes | None,
    kwargs: dict,
    place: _Place,
    first_block: bool,
) -> None:
    """Raise for the first record of ``buf[i:j]`` with too few fields."""
    fields, sep, data_start = strict
    skip_blank = kwargs.get("skip_blank_lines", True)
    start = data_start if first_block else i
    found = _short_records(buf, i, j, start, fields, sep, quote)
    if found is None:
        return
    local, saw = found
    line = place.line(local)
    blank = "" if skip_blank else " (blank lines are rows of NaN, not checked)"
    raise pd.errors.ParserError(
        f"Expected {fields} fields in line {line}, saw {saw} (in {place.label!r}, "
        f"{place.block()}): on_short_lines='error' refuses records with too few "
        "fields, which pandas pads with NaN. Fix the file, or pass "
        f"on_short_lines='pad' to read them as pandas does{blank}"
    )


def _short_records(
    buf: Any,
    i: int,
    j: int,
    data_start: int,
    fields: int,
    sep: bytes,
    quote: bytes | None,
) -> tuple[int, int] | None:
    """``(line in the piece, fields)`` of the first record of ``buf[i:j]``
    starting at or after index ``data_start`` with fewer than ``fields``
    fields (None: none). Blank records (only spaces and tabs that are not
    the separator) are not data, as pandas' ``skip_blank_lines`` has it.

    Fields are counted as separators outside quotes plus one, records end
    at line ends outside quotes (as :func:`line_ends` counts them).
    """
    a = np.frombuffer(buf, np.uint8, count=j - i, offset=i)
    if quote is not None:
        q = a == quote[0]
        outside = ((np.cumsum(q) - q) & 1) == 0
    else:
        outside = np.ones(len(a), bool)
    lf = (a == 10) & outside
    cr = (a == 13) & outside
    cr &= ~np.concatenate([lf[1:], [False]])  # \r\n ends a line once, at \n
    ends = np.flatnonzero(lf | cr)
    if not len(ends) or ends[-1] != len(a) - 1:
        ends = np.append(ends, len(a))  # the last record has no line end
    starts = np.concatenate([[0], ends[:-1] + 1])
    seps = np.cumsum((a == sep[0]) & outside)
    seps = np.concatenate([[0], seps])
    count = seps[ends] - seps[starts] + 1
    # a separator is a field boundary even when it is a tab or a space
    space = (((a == 32) | (a == 9)) & (a != sep[0])) | (a == 13) | (a == 10)
    nonspace = np.concatenate([[0], np.cumsum(~space)])
    blank = nonspace[ends] == nonspace[starts]
    bad = (count < fields) & ~blank & (starts >= data_start - i)
    hits = np.flatnonzero(bad)
    if not len(hits):
        return None
    k = int(hits[0])
    return k + 1, int(count[k])
