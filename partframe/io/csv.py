"""CSV through pandas and fsspec: ``read_csv`` and ``to_csv``.

Reading plans the files once, when the collection is built: it reads the
head of every file (the header must give the same columns everywhere, or an
error lists the difference), infers the dtypes from a sample of the first
file that has data rows (a header-only or empty file never decides them),
and cuts each uncompressed file into byte ranges of ``blocksize``.

Block boundaries never split a record, even when quoted fields hold
newlines: a block starts at the first newline after its nominal offset that
lies *outside* quotes. Whether an offset is inside quotes is the parity of
the number of quote characters before it; each block's quote count is a
cheap task of its own and the parities are chained, so blocks are still
parsed in parallel. A block's parse task gets the parities at both of its
ends and reads its bytes once (a local file is mapped and parsed from the
page cache without a copy). The first block of a file is parsed with the user's
header options, the others with ``header=None`` and the file's column names.
Every block is checked against the sampled dtypes (see
:func:`partframe.kernels.io.enforce_meta`). A file with the first file's
columns in another order is read by name and put in that order.

Blocks are parsed by :mod:`partframe.kernels.csv`, which also turns the
parser's block-relative line numbers into the file's in errors and
warnings.

Writing is in :mod:`partframe.io.csv_write`.
"""

from __future__ import annotations

import codecs
import csv as _csv
import functools
import io
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from fsspec.utils import infer_compression

from ..collection._core import new_collection
from ..expr.base import Expr
from ..kernels import csv as kcsv
from ..kernels import io as kio
from ..kernels.csv import CSVReadError
from ..kernels.partitions import parse_bytes
from ..tokenize import tokenize
from .nodes import _q, _Source
from .paths import expand_paths, get_fs
from .snapshot import plan_consistently

if TYPE_CHECKING:
    from ..collection import DataFrame

__all__ = ["CSVReadError", "CSVSplitWarning", "ReadCSV", "read_csv"]

_HEAD = 1 << 16
_UNSUPPORTED = ("nrows", "skipfooter", "iterator", "chunksize", "engine")


class CSVSplitWarning(UserWarning):
    """A CSV file is read as one block although a blocksize was given."""


def _ascii_compatible(encoding: str | None) -> bool:
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
        reason = None
        if blocksize is None:
            reason = ""
        elif not _ascii_compatible(encoding):
            reason = f"encoding {encoding!r} is not ASCII-compatible"
        elif kwargs.get("escapechar") is not None or not kwargs.get(
            "doublequote", True
        ):
            reason = "escapechar/doublequote=False make quotes ambiguous"
        elif kwargs.get("lineterminator") not in (None, "\n", "\r\n"):
            reason = "a custom lineterminator"
        elif kwargs.get("comment") is not None and self.quote is not None:
            reason = "comments may hold unbalanced quotes"
        elif not isinstance(kwargs.get("skiprows"), int | np.integer | type(None)):
            reason = "skiprows is a list or a function"
        self._read_heads(sample)
        self._check_columns()
        # blocks: (file number, start, end or None). A zero-byte file holds
        # no rows and gets no block (nor a path category), as in Dask.
        blocks = []
        for k, info in enumerate(infos):
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
                        stacklevel=4,
                    )
                blocks.append((k, 0, None))
        self.blocks = blocks or [(0, 0, None)]  # every file is empty
        self.meta = self._sample_meta()
        # on_short_lines="error": per file, (fields, separator, data start)
        self.short_lines: list | None = None
        if short_sep is not None:
            index = self.meta.index
            implicit = 0
            if kwargs.get("index_col") is None and not isinstance(index, pd.RangeIndex):
                implicit = index.nlevels  # pandas' index from extra leading fields
            self.short_lines = [
                (len(i.names) + implicit, short_sep, i.header_end or 0) for i in infos
            ]
        self.path_column = None
        self.path_values: list = []
        if path_column is not None:
            if path_column in self.meta.columns:
                raise ValueError(f"include_path_column: {path_column!r} is a column")
            self.path_values = [self.label(k) for k in range(len(infos))]
            if path_converter is not None:
                self.path_values = [path_converter(v) for v in self.path_values]
            cats = pd.Index(
                list(dict.fromkeys(self.path_values[k] for k, _, _ in blocks))
            )
            if all(isinstance(v, str) for v in cats):
                cats = cats.astype("str")
            dtype = pd.CategoricalDtype(cats)
            self.path_column = (path_column, dtype)
            self.meta[path_column] = pd.Series([], dtype=dtype, index=self.meta.index)
        self._token = tokenize(
            [(i.path, i.size) for i in infos],
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
            kio.add_read_note(e, f"the head of {info.path!r}")
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
                return self._in_first_order(df.iloc[:0])
        if first is not None:
            return self._in_first_order(first.iloc[:0])
        names = self.kwargs.get("names")
        if names is None:
            raise ValueError("read_csv: every file is empty and no names= are given")
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names}).iloc[:0]

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


class ReadCSVParity(Expr):
    """Quote parities at the start and end of every block, one key per block.

    Key ``k`` holds ``(start, end)``: the parity (0 or 1) of the quotes
    before block ``k``'s first byte, and before its last byte's successor
    (None for the last block of a file). ``end`` is ``start`` plus the
    parity of the quotes in the block, counted by a task of its own, and
    is the next block's ``start``.
    """

    _parameters = ["dataset"]
    dataset: CSVDataset

    @functools.cached_property
    def _meta(self) -> Any:
        return 0

    def _divisions(self) -> tuple:
        return (None,) * (len(self.dataset.blocks) + 1)

    def _layer(self) -> dict:
        ds = self.dataset
        count = self._name + "-count"
        out: dict = {}
        prev_file = None
        for k, (file_no, start, end) in enumerate(ds.blocks):
            prev = 0 if file_no != prev_file else (self._name, k - 1)
            out[(self._name, k)] = (
                kio.parity_pair,
                prev,
                (count, k) if end is not None else None,
            )
            if end is not None:
                pin = ds.pins[file_no]
                out[(count, k)] = (
                    *((kio.read_pinned, _q(pin)) if pin else ()),
                    kio.count_quotes,
                    _q(ds.fs),
                    _q(ds.infos[file_no].path),
                    start,
                    end,
                    _q(ds.quote),
                )
            prev_file = file_no
        return out

    def _operand_repr(self) -> str:
        return f"{len(self.dataset.blocks)} blocks"


class ReadCSV(_Source):
    """Blocks of planned CSV files; ``columns`` are the output columns."""

    _parameters = ["dataset", "columns", "parity"]
    _defaults = {"parity": None}
    dataset: CSVDataset
    columns: Any
    parity: Expr | None

    @property
    def _funcname(self) -> str:
        return "read-csv"

    @functools.cached_property
    def _meta(self) -> Any:
        return self.dataset.meta[list(self.columns)]

    def _divisions(self) -> tuple:
        return (None,) * (len(self.dataset.blocks) + 1)

    def _usecols(self) -> list | None:
        ds = self.dataset
        meta = ds.meta
        if list(self.columns) == list(meta.columns):
            return None
        pc = ds.path_column[0] if ds.path_column else None
        cols = [c for c in self.columns if c != pc]
        index_names = [n for n in meta.index.names if n is not None]
        if ds.kwargs.get("index_col") not in (None, False):
            cols = cols + [n for n in index_names if n not in cols]
        return cols

    def _with_columns(self, columns: list) -> Expr | None:
        ds = self.dataset
        if ds.kwargs.get("index_col") not in (None, False) and (
            None in ds.meta.index.names
        ):
            return None  # an unnamed index column cannot be selected by name
        if ds.kwargs.get("usecols") is not None and callable(ds.kwargs["usecols"]):
            return None
        path = ds.path_column[0] if ds.path_column else None
        data = [c for c in ds.meta.columns if c != path]
        if (
            data
            and not any(c != path for c in columns)
            and ds.kwargs.get("index_col") in (None, False)
        ):
            # Rows are counted by parsing one column: without any (a row
            # count, the path column alone) pandas would give no rows.
            keep = {data[0], *columns}
            columns = [c for c in ds.meta.columns if c in keep]
        return ReadCSV(ds, list(columns), self.parity)

    def _task(self, index: int) -> Any:
        ds = self.dataset
        file_no, start, end = ds.blocks[index]
        info = ds.infos[file_no]
        usecols = self._usecols()
        kwargs = ds.block_kwargs(file_no, start == 0, usecols)
        meta = self._meta
        path_col = None
        if ds.path_column and ds.path_column[0] in self.columns:
            path_col = (ds.path_column[0], ds.path_column[1], ds.path_values[file_no])
            meta = meta.drop(columns=[ds.path_column[0]])
        parity = (self.parity._name, index) if self.parity is not None else 0
        strict = ds.short_lines[file_no] if ds.short_lines is not None else None
        pin = ds.pins[file_no]
        return (
            *((kio.read_pinned, _q(pin)) if pin else ()),
            kcsv.read_csv_block,
            _q(ds.fs),
            _q(info.path),
            start,
            end,
            parity,
            _q(ds.quote),
            _q(info.compression),
            _q(kwargs),
            _q(meta),
            _q(ds.label(file_no)),
            _q(path_col),
            file_no in ds.aligned,
            _q(strict),
        )

    def _operand_repr(self) -> str:
        ds = self.dataset
        cols = list(self.columns)
        return f"{len(ds.infos)} file(s), {len(ds.blocks)} blocks, columns={cols}"


def read_csv(
    urlpath: str | list,
    blocksize: int | str | None = "64MiB",
    sample: int = 256_000,
    include_path_column: bool | str = False,
    storage_options: dict | None = None,
    sample_rows: int | None = None,
    on_short_lines: str = "pad",
    **kwargs: Any,
) -> DataFrame:
    """Read CSV files (a path, a glob or a list; any fsspec URL) lazily.

    Parameters
    ----------
    urlpath : str or list of str
        Local paths, ``file://``, ``memory://``, ``s3://``..., with globs.
        The files a glob or a folder matches are read in natural order
        (``2.part`` before ``10.part``, as Dask sorts them): the part files
        of :func:`to_csv` come back in the order they were written.
    blocksize : int, str or None, default "64MiB"
        Bytes per partition of an uncompressed file; None: one partition per
        file. Compressed files are always one partition each.
    sample : int, default 256000
        Bytes of the first file with data rows used to infer the dtypes. The
        sample always holds the header and one whole data record: a smaller
        value (0 included) reads that much.
    include_path_column : bool or str, default False
        Add a categorical column (``"path"`` or the given name) holding each
        row's file; its categories are the files that are not empty. A
        function in ``converters`` under that name is applied to the paths
        (``converters={"path": os.path.basename}``), as in Dask.
    storage_options : dict, optional
        Passed to fsspec.
    sample_rows : int, optional
        Infer the dtypes from at most this many data rows of the sample
        (default: every whole row in it).
    on_short_lines : {"pad", "error"}, default "pad"
        A record with fewer fields than the header: ``"pad"`` reads it with
        NaN in the missing fields, as pandas does whatever ``on_bad_lines``
        says; ``"error"`` (a strict mode, not a pandas option) raises
        :class:`pandas.errors.ParserError` naming the file and the line.
        Blank lines are not records. It needs a one-character ``sep`` and
        refuses ``comment=``, ``escapechar=``, ``skiprows`` as a list or a
        function and encodings that are not ASCII-compatible.
    **kwargs
        pandas.read_csv options: ``sep``, ``names``, ``header``,
        ``skiprows``, ``usecols``, ``dtype``, ``parse_dates``,
        ``na_values``, ``compression``, ``encoding``, ``on_bad_lines``...
        A ``"category"`` dtype (or a ``CategoricalDtype`` without
        categories) gives the categories of the whole column, as pandas
        does: **their distinct values are computed when read_csv is
        called** (one pass reading only those columns), as
        :meth:`DataFrame.astype` does. Pass
        ``pd.CategoricalDtype(categories)`` to compute nothing.

    Returns
    -------
    DataFrame

    Notes
    -----
    Each partition has its own RangeIndex starting at 0, as in Dask. Dtypes
    come from a sample; a block that disagrees raises an error naming the
    columns, the file and byte range, and the ``dtype=`` that fixes it.

    The files of one call must have the same columns. A file with the same
    names in another order is read by name and its columns are put in the
    first file's order, as Dask does (options that name columns by
    position, such as ``index_col=0``, are then refused); files with other
    columns raise an error naming both files, the difference and the fix
    (``usecols=`` the shared columns, or separate reads).

    **Errors and bad lines name the file and the line of the file**, as
    pandas numbers it when it reads the whole file (line ends outside
    quoted fields; blank and comment lines count), whichever block they
    are in: ``Expected 3 fields in line 150002, saw 4 (in 'big.csv', read
    in the block of bytes ...)``. Lines before a block are counted only
    when there is something to report, by reading the file up to the block
    again. Like block splitting, the count assumes that a quote character
    always opens or closes a quoted field.

    ``on_bad_lines`` (records with too many fields) works as in pandas:

    - ``"error"`` raises :class:`pandas.errors.ParserError` (when the bad
      line is in the sample, already when read_csv is called);
    - ``"warn"`` emits one :class:`pandas.errors.ParserWarning` per block
      as pandas does per read, ``Skipping line L of 'file': expected 3
      fields, saw 4``, when the data is computed;
    - ``"skip"`` is silent, as in pandas. The skipped lines are logged: an
      INFO record of the ``"partframe.io.csv"`` logger per block with bad
      lines, whose attributes ``path``, ``lines`` and ``skipped`` (their
      count) say what was dropped. ``logging.basicConfig(level="INFO")``
      shows them; with the ``processes`` scheduler or a cluster the records
      are made in the workers.

    A block with bad lines is parsed twice (pandas stops at the first bad
    line with ``"error"``, the fast path for clean blocks), and its second
    parse holds a process-wide lock while pandas' warnings are captured.

    A truncated or corrupt compressed file raises
    :class:`~partframe.io.kcsv.CSVReadError` naming the file and the
    codec.

    Examples
    --------
    >>> import fsspec, partframe
    >>> fsspec.filesystem("memory").pipe(
    ...     "/doc/a.csv", b'x,s\\n1,"a\\nb"\\n2,c\\n3,d\\n')
    >>> df = partframe.read_csv("memory://doc/a.csv", blocksize=6)
    >>> df.npartitions
    4
    >>> df.compute().s.tolist()
    ['a\\nb', 'c', 'd']
    """
    for k in _UNSUPPORTED:
        if k in kwargs:
            raise ValueError(
                f"read_csv does not support {k}=: read with pandas, or use "
                "head()/filtering on the partframe DataFrame"
            )
    if isinstance(blocksize, str):
        blocksize = parse_bytes(blocksize)
    if blocksize is not None and blocksize < 1:
        raise ValueError(f"blocksize must be positive or None, got {blocksize}")
    if not isinstance(sample, int | np.integer) or sample < 0:
        raise ValueError(
            f"sample must be a number of bytes >= 0, got {sample!r} (0 reads "
            "just the header and one data record)"
        )
    if sample_rows is not None and (
        not isinstance(sample_rows, int | np.integer)
        or isinstance(sample_rows, bool)
        or sample_rows < 1
    ):
        raise ValueError(
            f"sample_rows must be a number of rows >= 1 or None, got {sample_rows!r}"
        )
    if kwargs.get("lineterminator") == "\r\n":
        # pandas takes one character here, and its default already ends
        # records at "\r\n" (as at "\n" and "\r"): the same rows, as Dask
        # reads them.
        kwargs = {k: v for k, v in kwargs.items() if k != "lineterminator"}
    short_sep = _short_lines_separator(on_short_lines, kwargs)
    fs, paths = get_fs(urlpath, storage_options, argument="urlpath")
    ds, pin = plan_consistently(
        fs,
        paths,
        lambda: _plan_csv(
            fs,
            paths,
            blocksize,
            sample,
            kwargs,
            include_path_column,
            sample_rows,
            short_sep,
        ),
        lambda ds: [info.path for info in ds.infos],
    )
    ds.pin_files(pin)
    return new_collection(_read_expr(ds))


def _plan_csv(
    fs: Any,
    paths: list,
    blocksize: Any,
    sample: int,
    kwargs: dict,
    include_path_column: Any,
    sample_rows: int | None,
    short_sep: Any,
) -> CSVDataset:
    """List the files of ``paths`` and plan their blocks and meta."""
    files, _ = expand_paths(fs, paths, "CSV file")
    path_column = path_converter = None
    if include_path_column:
        path_column = "path" if include_path_column is True else include_path_column
        converters = kwargs.get("converters")
        if isinstance(converters, dict) and path_column in converters:
            converters = dict(converters)
            path_converter = converters.pop(path_column)
            kwargs = {**kwargs, "converters": converters or None}
    kwargs, categorize = _split_unknown_categories(kwargs)
    args = (fs, files, blocksize, sample)
    extra = (path_column, path_converter, sample_rows, short_sep)
    ds = CSVDataset(*args, kwargs, *extra)
    if categorize is not None:
        known = _known_categories(ds, categorize)
        if known:
            dtype = kwargs["dtype"] if isinstance(kwargs["dtype"], dict) else {}
            ds = CSVDataset(*args, {**kwargs, "dtype": {**dtype, **known}}, *extra)
    return ds


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


def _short_lines_separator(on_short_lines: str, kwargs: dict) -> bytes | None:
    """The field separator to count fields with for ``on_short_lines="error"``
    (None: ``"pad"``), or a clear error for options it cannot check."""
    if on_short_lines not in ("pad", "error"):
        raise ValueError(
            f"on_short_lines must be 'pad' (pandas' behaviour: too few fields "
            f"are padded with NaN) or 'error', got {on_short_lines!r}"
        )
    if on_short_lines == "pad":
        return None
    sep: Any = kwargs.get("sep", kwargs.get("delimiter"))
    sep = "," if sep is None and "sep" not in kwargs else sep
    refused = None
    if not isinstance(sep, str) or len(sep) != 1 or sep in "\r\n":
        refused = f"sep={sep!r} (only a one-character separator)"
    elif kwargs.get("delim_whitespace"):
        refused = "delim_whitespace=True"
    elif kwargs.get("comment") is not None:
        refused = "comment= (a comment ends a record early)"
    elif kwargs.get("escapechar") is not None or not kwargs.get("doublequote", True):
        refused = "escapechar=/doublequote=False"
    elif kwargs.get("lineterminator") not in (None, "\n", "\r\n"):
        refused = "a custom lineterminator"
    elif not isinstance(kwargs.get("skiprows"), int | np.integer | type(None)):
        refused = "skiprows as a list or a function"
    elif not _ascii_compatible(kwargs.get("encoding")):
        refused = f"encoding={kwargs.get('encoding')!r}"
    if refused is not None:
        raise ValueError(
            f"read_csv: on_short_lines='error' cannot count fields with {refused}; "
            "use on_short_lines='pad' and check for missing values instead"
        )
    return sep.encode(kwargs.get("encoding") or "utf-8")


def _read_expr(ds: CSVDataset) -> ReadCSV:
    """The expression reading every column of ``ds``."""
    parity = None
    if ds.quote is not None and any(end is not None for _, _, end in ds.blocks):
        parity = ReadCSVParity(ds)
    return ReadCSV(ds, list(ds.meta.columns), parity)


def _split_unknown_categories(kwargs: dict) -> tuple[dict, Any]:
    """``(kwargs to plan with, the dtype= entries that need categories)``.

    pandas gives a column read as ``"category"`` (or as a
    ``CategoricalDtype`` without categories) the categories of all its
    values; a block sees only some of them, and each block would get its
    own. Such columns are first read as text (pandas parses category values
    as strings too) to find their categories (see :func:`_known_categories`).
    Returns ``(kwargs, None)`` when no dtype asks for that.
    """
    from ..methods.casting import _unknown_categories

    dtype = kwargs.get("dtype")
    if isinstance(dtype, dict):
        unknown = {c: t for c, t in dtype.items() if _unknown_categories(t)}
        if not unknown:
            return kwargs, None
        return {**kwargs, "dtype": {**dtype, **dict.fromkeys(unknown, "str")}}, unknown
    if dtype is not None and _unknown_categories(dtype):
        return {**kwargs, "dtype": "str"}, dtype
    return kwargs, None


def _known_categories(ds: CSVDataset, categorize: Any) -> dict:
    """``{column: CategoricalDtype}`` for the columns of ``categorize`` (see
    :func:`_split_unknown_categories`) that ``ds`` holds, as text.

    **Computes** the distinct values of those columns over every file, then
    lets pandas turn them into categories (see :func:`_pandas_categories`).
    """
    from ..methods.casting import distinct_values

    targets = _category_targets(ds, categorize)
    if not targets:
        return {}
    frame = new_collection(_read_expr(ds))
    values = distinct_values(frame, list(targets))
    return {
        c: _pandas_categories(v, t, ds.kwargs)
        for (c, t), v in zip(targets.items(), values)
    }


def _pandas_categories(values: pd.Series, target: Any, kwargs: dict) -> Any:
    """The dtype pandas gives a ``target`` (``"category"``...) column holding
    the text ``values``: pandas parses them itself, so its rules apply (all
    numbers or booleans become numeric or boolean categories, sorted)."""
    keys = ("true_values", "false_values", "thousands", "decimal", "engine")
    options = {k: kwargs[k] for k in keys if kwargs.get(k) is not None}
    text = values.rename("c").to_frame().to_csv(index=False, quoting=_csv.QUOTE_ALL)
    parsed = pd.read_csv(
        io.StringIO(text), dtype={"c": target}, na_filter=False, **options
    )
    return parsed["c"].dtype


def _category_targets(ds: CSVDataset, categorize: Any) -> dict:
    """The columns of :func:`_split_unknown_categories` that the frame
    holds, and their targets (a scalar ``"category"``: every text column)."""
    meta = ds.meta
    path = ds.path_column[0] if ds.path_column else None
    if isinstance(categorize, dict):
        index = [c for c in categorize if c in meta.index.names]
        targets = {c: t for c, t in categorize.items() if c in meta.columns}
    else:
        index = [n for n in meta.index.names if n is not None]
        if ds.kwargs.get("index_col") in (None, False):
            index = []
        targets = {
            c: categorize
            for c in meta.columns
            if c != path and kio.is_text(meta[c].dtype)
        }
    if index:
        raise NotImplementedError(
            f"read_csv: dtype 'category' without categories for the index "
            f"column(s) {index} is not supported (their categories would have "
            "to be computed before the index is built). Pass "
            "pd.CategoricalDtype(categories) for them, or read them as "
            "columns and call set_index afterwards."
        )
    return targets
