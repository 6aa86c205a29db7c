"""The plan of a CSV read: files, heads, column names, blocks, sampled meta.

A :class:`CSVDataset` is built once per ``read_csv`` call, when the
collection is built: it reads the head of every file (the header must give
the same columns everywhere, or an error lists the difference; a file with
the first file's columns in another order is read by name and put in that
order), infers the dtypes from a sample of the first file that has data
rows (a header-only or empty file never decides them), and cuts each
uncompressed file into byte ranges of ``blocksize``. A block's first
record is found when it is read, from the quote parity at its start (see
:mod:`partframe.kernels.csv_records`); a file whose bytes cannot be cut
there (an encoding that is not ASCII-compatible, ambiguous quotes,
compression...) is one block. The read nodes
(:class:`~partframe.io.nodes.ReadCSV`,
:class:`~partframe.io.nodes.ReadCSVParity`) share the dataset; the
facade is :mod:`partframe.io.csv`.
"""

from __future__ import annotations

import codecs
import csv as _csv
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
from fsspec.utils import infer_compression

from ..kernels import csv as kcsv
from ..kernels.io import add_read_note
from ..tokenize import tokenize

__all__ = ["CSVDataset", "CSVSplitWarning", "ascii_compatible"]


_HEAD = 1 << 16


class CSVSplitWarning(UserWarning):
    """A CSV file is read as one block although a blocksize was given."""


def ascii_compatible(encoding: str | None) -> bool:
    """Do the ASCII bytes of newlines and quotes mean those characters
    wherever they are in the file (so that blocks can be cut there)?

    Decoding, not encoding, is checked: ``utf-8-sig`` encodes a BOM first
    but reads every later byte as UTF-8 does (a block without the BOM too).
    """
    enc = encoding or "utf-8"
    try:
        name = codecs.lookup(enc).name
        plain = b"\n\r,\"'".decode(enc) == "\n\r,\"'"
    except (LookupError, UnicodeError):
        return False
    # stateful encodings give ASCII bytes other meanings after an escape
    return plain and not name.startswith(("iso2022", "utf-7", "hz"))


def _header_lines(kwargs: dict) -> tuple[int, int]:
    """(raw lines skipped, header records) at the start of each file."""
    skiprows = kwargs.get("skiprows")
    nskip = int(skiprows) if isinstance(skiprows, int | np.integer) else 0
    header = kwargs.get("header", "infer")
    if header == "infer":
        nheader = 0 if kwargs.get("names") is not None else 1
    elif header is None:
        nheader = 0
    elif isinstance(header, int):
        nheader = header + 1
    else:
        nheader = max(header) + 1
    return nskip, nheader


def _records(buf: bytes, quote: bytes | None) -> np.ndarray:
    """Positions just after each newline that ends a record in ``buf``."""
    arr = np.frombuffer(buf, np.uint8)
    nl = np.flatnonzero(arr == 10)
    if quote is None or not len(nl):
        return nl + 1
    q = np.cumsum(arr == quote[0])
    return nl[(q[nl] % 2) == 0] + 1


def _header_end(head: bytes, quote: bytes | None, kwargs: dict) -> int | None:
    """Byte offset just after the header records (None: not in ``head``)."""
    nskip, nheader = _header_lines(kwargs)
    if nskip == 0 and nheader == 0:
        return 0
    ends = _records(head, quote)
    starts = np.concatenate([[0], ends])
    i = nskip
    if kwargs.get("skip_blank_lines", True):
        found = 0
        while found < nheader:
            if i >= len(ends):
                return None
            line = head[starts[i] : ends[i]].strip(b"\r\n \t\xef\xbb\xbf")
            i += 1
            if line:
                found += 1
    else:
        i += nheader
    if i > len(ends):
        return None
    return int(starts[i]) if i < len(starts) else None


def _has_record_after(head: bytes, start: int, quote: bytes | None) -> bool:
    """Does ``head`` hold a whole non-blank record after offset ``start``
    (a record boundary)?"""
    prev = start
    for end in _records(head[start:], quote):
        if head[prev : start + int(end)].strip(b"\r\n \t"):
            return True
        prev = start + int(end)
    return False


def _unsplittable(kwargs: dict, quote: bytes | None) -> str | None:
    """Why the files of a read cannot be cut into blocks at record
    boundaries (None: they can)."""
    encoding = kwargs.get("encoding")
    if not ascii_compatible(encoding):
        return f"encoding {encoding!r} is not ASCII-compatible"
    if kwargs.get("escapechar") is not None or not kwargs.get("doublequote", True):
        return "escapechar/doublequote=False make quotes ambiguous"
    if kwargs.get("lineterminator") not in (None, "\n", "\r\n"):
        return "a custom lineterminator"
    if kwargs.get("comment") is not None and quote is not None:
        return "comments may hold unbalanced quotes"
    if not isinstance(kwargs.get("skiprows"), int | np.integer | type(None)):
        return "skiprows is a list or a function"
    return None


class _FileInfo:
    __slots__ = ("compression", "head", "header_end", "names", "path", "size")
    # ``names`` are the file's columns, in the file's order

    def __init__(self, path: str, size: int, compression: str | None) -> None:
        self.path = path
        self.size = size
        self.compression = compression
        self.head = b""
        self.header_end: int | None = None
        self.names: list = []


class CSVDataset:
    """The planned CSV files: blocks, column names, sampled meta."""

    def __init__(
        self,
        fs: Any,
        files: list[str],
        blocksize: int | None,
        sample: int,
        kwargs: dict,
        path_column: str | None,
        path_converter: Any = None,
        sample_rows: int | None = None,
        short_sep: bytes | None = None,
    ) -> None:
        self.fs = fs
        self.kwargs = kwargs
        self.sample_rows = sample_rows
        self.pins: list = [None] * len(files)
        encoding = kwargs.get("encoding")
        quoting = kwargs.get("quoting", _csv.QUOTE_MINIMAL)
        quotechar = kwargs.get("quotechar", '"')
        self.quote = (
            None
            if quoting == _csv.QUOTE_NONE
            else quotechar.encode(encoding or "utf-8")
        )
        compression = kwargs.get("compression", "infer")
        sizes = fs.sizes(files) if len(files) > 1 else [fs.size(files[0])]
        infos = []
        for f, size in zip(files, sizes):
            comp = infer_compression(f) if compression == "infer" else compression
            infos.append(_FileInfo(f, int(size or 0), comp))
        self.infos = infos
        # why a file must be one block (None: it can be split)
        reason = "" if blocksize is None else _unsplittable(kwargs, self.quote)
        self._read_heads(sample)
        self._check_columns()
        blocks = self._plan_blocks(blocksize, reason)
        self.blocks = blocks or [(0, 0, None)]  # every file is empty
        # rows of all files, from the sample (None: unknown)
        self.estimated_rows: float | None = None
        self.meta = self._sample_meta()
        self.short_lines = self._short_lines(short_sep)
        self._add_path_column(path_column, path_converter, blocks)
        # Path and size alone name a file rewritten in place with the same
        # size alike: the bytes read for the sample and the schema they gave
        # tell such rewrites apart (else the plan's cached meta is stale).
        self._token = tokenize(
            [(i.path, i.size, i.head) for i in infos],
            [(c, str(t)) for c, t in self.meta.dtypes.items()],
            self.blocks,
            kwargs,
            path_column,
            self.path_values,
            sample_rows,
            self.short_lines,
            type(fs).__name__,
            getattr(fs, "protocol", None),
        )

    def __dask_tokenize__(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return f"<{len(self.infos)} CSV file(s)>"

    def _plan_blocks(self, blocksize: int | None, reason: str | None) -> list:
        """``(file number, start, end or None)`` per block: files of more
        than ``blocksize`` bytes cut into equal blocks unless ``reason``
        says why they cannot be. A zero-byte file holds no rows and gets no
        block (nor a path category), as in Dask."""
        blocks = []
        for k, info in enumerate(self.infos):
            if info.size == 0:
                continue
            splittable = reason is None and info.compression is None
            if splittable and blocksize is not None and info.size > blocksize:
                hend = info.header_end or 0
                nblocks = -(-info.size // blocksize)
                step = -(-info.size // nblocks)  # equal blocks of <= blocksize
                offs = [0] + [o for o in range(step, info.size, step) if o > hend]
                for a, b in zip(offs, [*offs[1:], None]):
                    blocks.append((k, a, b))
            else:
                if reason and blocksize is not None and info.size > blocksize:
                    warnings.warn(
                        f"read_csv: {info.path!r} is read as one block: {reason}",
                        CSVSplitWarning,
                        stacklevel=5,
                    )
                blocks.append((k, 0, None))
        return blocks

    def _short_lines(self, short_sep: bytes | None) -> list | None:
        """For ``on_short_lines="error"`` (a ``short_sep``): per file, the
        number of fields a record has, the separator and where the data
        starts."""
        if short_sep is None:
            return None
        index = self.meta.index
        implicit = 0
        if self.kwargs.get("index_col") is None and not isinstance(
            index, pd.RangeIndex
        ):
            implicit = index.nlevels  # pandas' index from extra leading fields
        return [
            (len(i.names) + implicit, short_sep, i.header_end or 0) for i in self.infos
        ]

    def _add_path_column(
        self, path_column: str | None, path_converter: Any, blocks: list
    ) -> None:
        """The categorical column of each row's file (``include_path_column``):
        its categories are the files that have a block."""
        self.path_column = None
        self.path_values: list = []
        if path_column is None:
            return
        if path_column in self.meta.columns:
            raise ValueError(f"include_path_column: {path_column!r} is a column")
        self.path_values = [self.label(k) for k in range(len(self.infos))]
        if path_converter is not None:
            self.path_values = [path_converter(v) for v in self.path_values]
        cats = pd.Index(list(dict.fromkeys(self.path_values[k] for k, _, _ in blocks)))
        if all(isinstance(v, str) for v in cats):
            cats = cats.astype("str")
        dtype = pd.CategoricalDtype(cats)
        self.path_column = (path_column, dtype)
        self.meta[path_column] = pd.Series([], dtype=dtype, index=self.meta.index)

    def pin_files(self, pin: Any) -> None:
        """Pin every file to the version planned on (``pin(path)``: a
        :class:`~partframe.io.snapshot.Pin` or None)."""
        self.pins = [pin(info.path) for info in self.infos]
        self._token = tokenize(self._token, self.pins)

    def label(self, k: int) -> str:
        from fsspec.implementations.local import LocalFileSystem

        path = self.infos[k].path
        return (
            path
            if isinstance(self.fs, LocalFileSystem)
            else self.fs.unstrip_protocol(path)
        )

    def _read_heads(self, sample: int) -> None:
        fs = self.fs
        plain = [i for i in self.infos if i.compression is None]
        if plain:
            ends = [
                min(i.size, sample if n == 0 else _HEAD) for n, i in enumerate(plain)
            ]
            heads = fs.cat_ranges([i.path for i in plain], [0] * len(plain), ends)
            for info, head in zip(plain, heads):
                info.head = head
        for info in self.infos:
            if info.compression is not None:
                info.head = kcsv.read_compressed(
                    fs, info.path, info.compression, info.path, sample
                )
        for n, info in enumerate(self.infos):
            complete = info.compression is None and len(info.head) >= info.size
            size = max(len(info.head), 1)
            while True:
                info.header_end = _header_end(info.head, self.quote, self.kwargs)
                # The first file's head is the dtype sample: it needs a whole
                # data record after the header, or every dtype is inferred
                # from the header alone (strings); the others need the header.
                if info.header_end is not None and (
                    n > 0 or _has_record_after(info.head, info.header_end, self.quote)
                ):
                    break
                if complete:
                    break
                if info.compression is not None and len(info.head) < size:
                    break  # the whole decompressed file is in ``head``
                # Grow geometrically from at least 1 KiB: a sample of 0 bytes
                # must not read 0 bytes forever.
                size = max(len(info.head) * 4, 1 << 10)
                if info.compression is None:
                    with fs.open(info.path, "rb") as f:
                        info.head = f.read(size)
                else:
                    info.head = kcsv.read_compressed(
                        fs, info.path, info.compression, info.path, size
                    )
                complete = len(info.head) < size or (
                    info.compression is None and len(info.head) >= info.size
                )
            info.names = self._names_of(info)

    def _parse_head(self, info: _FileInfo, **override: Any) -> pd.DataFrame | None:
        head = info.head
        if not (info.compression is None and len(head) >= info.size):
            ends = _records(head, self.quote)
            head = head[: int(ends[-1])] if len(ends) else b""
        kw = {**self.kwargs, **override}
        kw.pop("compression", None)
        if kw.get("on_bad_lines") == "warn":
            kw["on_bad_lines"] = "skip"  # warned when the blocks are read
        try:
            return pd.read_csv(io.BytesIO(head), **kw)
        except pd.errors.EmptyDataError:
            return None
        except pd.errors.ParserError as e:
            # the head starts at the file's first byte: pandas' lines are
            # the file's
            place = kcsv._Place(self.fs, info.path, info.path, 0, len(head), None)
            place.relocate(e)
            raise
        except Exception as e:
            add_read_note(e, f"the head of {info.path!r}")
            raise

    def _names_of(self, info: _FileInfo) -> list:
        if self.kwargs.get("names") is not None:
            return list(self.kwargs["names"])
        df = self._parse_head(
            info,
            usecols=None,
            index_col=None if self.kwargs.get("index_col") is not False else False,
            parse_dates=None,
            dtype=object,
            converters=None,
            nrows=1,
        )
        return [] if df is None else list(df.columns)

    def _check_columns(self) -> None:
        """Every file has the first file's columns, maybe in another order
        (then ``aligned`` lists those files: their blocks are put in the
        first file's order by name, as Dask does)."""
        self.aligned: set[int] = set()
        nonempty = [k for k, i in enumerate(self.infos) if i.size > 0 and i.names]
        if not nonempty:
            return
        first = self.infos[nonempty[0]]
        for k in nonempty[1:]:
            info = self.infos[k]
            if info.names == first.names:
                continue
            missing = [c for c in first.names if c not in info.names]
            extra = [c for c in info.names if c not in first.names]
            if not missing and not extra and len(info.names) == len(first.names):
                self.aligned.add(k)
                continue
            raise ValueError(
                f"CSV file {info.path!r} has columns {info.names}, but "
                f"{first.path!r} has {first.names} (missing: {missing}, extra: "
                f"{extra}). Read only the columns every file has with "
                "usecols=[...], or read the files separately and concat them"
            )
        positional = _positional_options(self.kwargs)
        if self.aligned and positional:
            other = self.infos[min(self.aligned)]
            raise ValueError(
                f"CSV file {other.path!r} has the columns of {first.path!r} in "
                f"another order ({other.names} vs {first.names}), so the "
                f"positions in {', '.join(positional)} mean other columns in "
                "each file: name the columns instead (e.g. index_col='name', "
                "usecols=['a', 'b'])"
            )

    def _sample_meta(self) -> pd.DataFrame:
        first = None
        for info in self.infos:
            if info.size == 0:
                continue
            df = self._parse_head(info, nrows=self.sample_rows)
            if df is None:
                continue
            if first is None:
                first = df
            if len(df):
                self._measure_rows(info, len(df))
                return self._in_first_order(df.iloc[:0])
        if first is not None:
            return self._in_first_order(first.iloc[:0])
        names = self.kwargs.get("names")
        if names is None:
            raise ValueError("read_csv: every file is empty and no names= are given")
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names}).iloc[:0]

    def _measure_rows(self, info: _FileInfo, rows: int) -> None:
        """Estimate the rows of all files from the sample's bytes per row
        (uncompressed files whose head was parsed whole only)."""
        self.estimated_rows = None
        if self.sample_rows is not None or any(i.compression for i in self.infos):
            return
        head = min(len(info.head), info.size)
        if head and rows:
            self.estimated_rows = sum(i.size for i in self.infos) * rows / head

    def block_kwargs(self, file_no: int, first: bool, columns: list | None) -> dict:
        """pandas options for the first block of a file, or for the others."""
        kw = dict(self.kwargs)
        kw.pop("compression", None)
        if not first:
            kw["header"] = None
            kw["skiprows"] = None
            kw["names"] = self.infos[file_no].names or self._any_names()
        if columns is not None:
            kw["usecols"] = columns
            pd_ = kw.get("parse_dates")
            if isinstance(pd_, list) and all(not isinstance(x, list) for x in pd_):
                kw["parse_dates"] = [c for c in pd_ if c in columns] or None
        return kw

    def _in_first_order(self, meta: pd.DataFrame) -> pd.DataFrame:
        """``meta`` (sampled from any file) in the first file's column order."""
        if not self.aligned:
            return meta
        order = {c: k for k, c in enumerate(self._any_names())}
        cols = sorted(meta.columns, key=lambda c: order.get(c, len(order)))
        return meta[cols]

    def _any_names(self) -> list:
        for info in self.infos:
            if info.names:
                return info.names
        return list(self.meta.columns)


def _positional_options(kwargs: dict) -> list[str]:
    """The options of ``kwargs`` that name columns by position."""

    def ints(v: Any) -> bool:
        if isinstance(v, dict):
            return any(ints(x) for x in v.values())
        if isinstance(v, list | tuple):
            return any(ints(x) for x in v)
        return isinstance(v, int | np.integer) and not isinstance(v, bool)

    found = [k for k in ("index_col", "usecols", "parse_dates") if ints(kwargs.get(k))]
    for k in ("dtype", "converters", "na_values"):
        v = kwargs.get(k)
        if isinstance(v, dict) and ints(list(v)):
            found.append(k)
    return found
