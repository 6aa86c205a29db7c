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
:func:`partframe.kernels.csv_meta.enforce_meta`). A file with the first file's
columns in another order is read by name and put in that order.

Blocks are parsed by :mod:`partframe.kernels.csv`, which also turns the
parser's block-relative line numbers into the file's in errors and
warnings.

Writing is in :mod:`partframe.io.csv_write`.
"""

from __future__ import annotations

import csv as _csv
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..collection._core import new_collection
from ..kernels.csv import CSVReadError
from ..kernels.csv_meta import is_text
from ..kernels.partitions import parse_bytes
from .csv_plan import CSVDataset, CSVSplitWarning, ascii_compatible
from .nodes import ReadCSV, ReadCSVParity
from .paths import expand_paths, get_fs
from .snapshot import plan_consistently

if TYPE_CHECKING:
    from ..collection import DataFrame

__all__ = ["CSVReadError", "CSVSplitWarning", "ReadCSV", "read_csv", "read_table"]


_UNSUPPORTED = ("nrows", "skipfooter", "iterator", "chunksize", "engine")


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


def read_table(urlpath: str | list, sep: str = "\t", **kwargs: Any) -> DataFrame:
    r"""Read delimited files, tab-separated unless ``sep`` says otherwise:
    :func:`read_csv` with pandas' ``read_table`` default.

    Examples
    --------
    >>> import pandas as pd, partframe, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.tsv")
    >>> _ = open(path, "w").write("a\tb\n1\t2\n")
    >>> partframe.read_table(path).compute().columns.tolist()
    ['a', 'b']
    """
    return read_csv(urlpath, sep=sep, **kwargs)


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
    elif not ascii_compatible(kwargs.get("encoding")):
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
            c: categorize for c in meta.columns if c != path and is_text(meta[c].dtype)
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
