"""IO task kernels: read one block or row-group piece, write one partition.

Every function here runs inside a task: module-level, arguments are plain
picklable data (paths, fsspec/pyarrow filesystems, option dicts, pandas
metas). Errors name the file (and the byte range or row groups) they came
from.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import numpy as np
import pandas as pd

from ..io.commit import commit_output
from ..io.hive import folders, is_missing
from ..io.paths import to_pyarrow_fs
from ..io.snapshot import read_pinned as _read_pinned_version
from .estimate import distinct_total

__all__ = [
    "ParquetReadError",
    "add_read_note",
    "as_categories",
    "empty_frame",
    "is_missing",
    "read_parquet_piece",
    "write_csv_partition",
    "write_parquet_partition",
]

_CHUNK = 1 << 22  # bytes per read when quotes are counted
_TAIL = 1 << 16  # bytes read past a block's end to find its last record's end
_NONSPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")


class ParquetReadError(ValueError):
    """A Parquet file could not be read (corrupt, truncated, not Parquet)."""


# --- Parquet -----------------------------------------------------------------


def runs_index(runs: list, name: Any = None) -> pd.Index:
    """The RangeIndex labels ``[(start, stop), ...]`` of runs of rows, named
    ``name``; a run ``(start, stop, step)`` has labels ``range(start, stop,
    step)``.

    Examples
    --------
    >>> runs_index([(0, 3)])
    RangeIndex(start=0, stop=3, step=1)
    >>> runs_index([(0, 2), (5, 6)]).tolist()
    [0, 1, 5]
    >>> runs_index([(10, 16, 2)], "i")
    RangeIndex(start=10, stop=16, step=2, name='i')
    """
    if len(runs) == 1:
        return pd.RangeIndex(*runs[0], name=name)
    labels = np.concatenate([np.arange(*run) for run in runs])
    return pd.Index(labels, name=name)


def empty_frame(nrows: int, runs: list, meta: pd.DataFrame) -> pd.DataFrame:
    """A frame of ``nrows`` rows and no columns, from metadata alone.

    Used when a query needs no column of a Parquet file (``len(df)``).
    """
    out = pd.DataFrame(index=runs_index(runs, meta.index.name))
    out.columns = meta.columns
    return out


def open_parquet(fs: Any, path: str) -> Any:
    """A ``pyarrow.parquet.ParquetFile`` for ``path`` on ``fs``."""
    import pyarrow.parquet as pq
    from fsspec.implementations.local import LocalFileSystem

    try:
        if isinstance(fs, LocalFileSystem):
            return pq.ParquetFile(path)
        return pq.ParquetFile(path, filesystem=to_pyarrow_fs(fs))
    except Exception as e:
        raise ParquetReadError(
            f"cannot read Parquet file {path!r}: {type(e).__name__}: {e}"
        ) from e


def read_parquet_piece(
    fs: Any,
    path: str,
    row_groups: list | None,
    columns: list,
    row_filter: Any,
    index: list,
    partition_values: dict,
    runs: list | None,
    meta: pd.DataFrame,
    schema: Any = None,
) -> pd.DataFrame:
    """Read row groups of one Parquet file into a pandas partition.

    ``columns`` are the file columns to read (index columns included);
    ``row_filter`` a list of conjunctions of ``(column, op, value)`` applied
    to rows (or None); ``index`` the columns that become the index (``[]``:
    the RangeIndex labels of the row positions ``runs``, or from 0 when
    ``runs`` is None);
    ``partition_values`` the hive ``column -> category`` values of this
    file; ``schema`` a unified Arrow schema to cast to (or None). The result
    has ``meta``'s columns and dtypes.
    """
    import pyarrow as pa

    read_cols = list(columns)
    if row_filter:
        for conj in row_filter:
            for col, _, _ in conj:
                if col not in read_cols and col not in partition_values:
                    read_cols.append(col)
    try:
        pf = open_parquet(fs, path)
        if schema is not None:
            present = set(pf.schema_arrow.names)
            file_cols = [c for c in read_cols if c in present]
        else:
            file_cols = read_cols
        if row_groups is None:
            table = pf.read(columns=file_cols, use_pandas_metadata=False)
        else:
            table = pf.read_row_groups(
                row_groups, columns=file_cols, use_pandas_metadata=False
            )
    except ParquetReadError:
        raise
    except Exception as e:
        where = f" (row groups {row_groups})" if row_groups is not None else ""
        raise ParquetReadError(
            f"cannot read Parquet file {path!r}{where}: {type(e).__name__}: {e}"
        ) from e
    if schema is not None:
        arrays = []
        for c in read_cols:
            typ = schema.field(c).type
            if c in table.column_names:
                arrays.append(table.column(c).cast(typ))
            else:
                arrays.append(pa.nulls(table.num_rows, typ))
        table = pa.table(arrays, names=read_cols, metadata=table.schema.metadata)
    if row_filter:
        table = table.filter(_filter_expression(row_filter, table, partition_values))
        table = table.select(list(columns))
    nrows = table.num_rows
    # pandas metadata restores nullable and extension dtypes; the index is
    # set below, from ``index``, so it is the same for every piece.
    df = strip_index_metadata(table).to_pandas()
    if index:
        df = df.set_index(index if len(index) > 1 else index[0])
        df.index.names = meta.index.names
    else:
        if runs:
            df.index = runs_index(runs)
        df.index.name = meta.index.name
    for col, value in partition_values.items():
        if col in meta.columns:
            dtype = meta[col].dtype
            code = -1 if value is None else dtype.categories.get_loc(value)
            df[col] = pd.Categorical.from_codes(
                np.full(nrows, code, dtype="int32"), dtype=dtype
            )
    df = df[list(meta.columns)] if list(df.columns) != list(meta.columns) else df
    return _match_meta(df, meta, path)


def strip_index_metadata(table: Any) -> Any:
    """``table`` whose pandas metadata sets no index: every column stays one.

    The dtypes recorded by pandas (nullable integers, categoricals...) are
    still restored by ``to_pandas``; the index is chosen by the reader.
    """
    import json

    md = table.schema.metadata
    if not md or b"pandas" not in md:
        return table
    pandas_md = json.loads(md[b"pandas"])
    stored = {c for c in pandas_md.get("index_columns", []) if isinstance(c, str)}
    if not pandas_md.get("index_columns"):
        return table
    pandas_md["index_columns"] = []
    # pyarrow names a column by its pandas "name": an unnamed index level
    # would become a column labelled None. Keep its field name
    # (``__index_level_0__``): the reader sets the index from it.
    for col in pandas_md.get("columns", []):
        if col.get("field_name") in stored:
            col["name"] = col["field_name"]
    new = dict(md)
    new[b"pandas"] = json.dumps(pandas_md).encode()
    return table.replace_schema_metadata(new)


def _filter_expression(row_filter: list, table: Any, partition_values: dict) -> Any:
    """An Arrow boolean array: rows that satisfy the DNF ``row_filter``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    result = None
    for conj in row_filter:
        mask = pa.array(np.ones(table.num_rows, dtype=bool))
        for col, op, value in conj:
            if col in partition_values:
                ok = _compare_scalar(partition_values[col], op, value)
                m = pa.array(np.full(table.num_rows, ok, dtype=bool))
            else:
                m = _compare_array(table.column(col), op, value, pc)
            mask = pc.and_kleene(mask, m)
        result = mask if result is None else pc.or_kleene(result, mask)
    return pc.fill_null(result, False)


def _compare_array(arr: Any, op: str, value: Any, pc: Any) -> Any:
    if op in ("in", "not in"):
        import pyarrow as pa

        m = pc.is_in(arr, value_set=pa.array(list(value), type=arr.type))
        return pc.invert(m) if op == "not in" else m
    funcs = {
        "==": pc.equal,
        "=": pc.equal,
        "!=": pc.not_equal,
        "<": pc.less,
        "<=": pc.less_equal,
        ">": pc.greater,
        ">=": pc.greater_equal,
    }
    import pyarrow as pa

    return funcs[op](arr, pa.scalar(value, type=arr.type))


def _compare_scalar(a: Any, op: str, b: Any) -> bool:
    """``a op b`` for a hive partition value ``a`` (None: null), with the
    semantics of :func:`_compare_array` on a column: a null matches only
    ``in`` a set holding a null (and ``not in`` one without)."""
    import operator as o

    if a is None:
        if op in ("in", "not in"):
            has_null = any(is_missing(v) for v in b)
            return has_null if op == "in" else not has_null
        return False
    if op == "in":
        return a in b
    if op == "not in":
        return a not in b
    if is_missing(b):
        return False  # a comparison with null is null: no row
    ops = {"==": o.eq, "=": o.eq, "!=": o.ne, "<": o.lt, "<=": o.le}
    ops.update({">": o.gt, ">=": o.ge})
    try:
        return bool(ops[op](a, b))
    except TypeError:
        return bool(ops[op](str(a), str(b)))


def _match_meta(df: pd.DataFrame, meta: pd.DataFrame, path: str) -> pd.DataFrame:
    """Cast columns whose dtype differs from the meta (e.g. all-null pieces).

    A categorical column gets exactly the meta's categories (a file's
    dictionary may hold fewer, or order them differently); a value outside
    them raises instead of becoming missing.
    """
    bad = [c for c, a, b in zip(meta.columns, df.dtypes, meta.dtypes) if a != b]
    if not bad:
        return df
    cats = [c for c in bad if isinstance(meta[c].dtype, pd.CategoricalDtype)]
    if cats:
        df = df.copy(deep=False)
        for c in cats:
            df[c] = as_categories(df[c], meta[c].dtype, path)
        bad = [c for c in bad if c not in cats]
        if not bad:
            return df
    try:
        return df.astype({c: meta[c].dtype for c in bad})
    except (TypeError, ValueError) as e:
        detail = ", ".join(f"{c!r}: {df[c].dtype} vs {meta[c].dtype}" for c in bad)
        raise TypeError(
            f"Parquet file {path!r} gives dtypes that differ from the dataset's "
            f"({detail}) and cannot be cast: {e}"
        ) from e


def as_categories(col: pd.Series, dtype: pd.CategoricalDtype, path: str) -> pd.Series:
    """``col`` with exactly the categories of ``dtype``, values unchanged.

    Raises ValueError naming the file and column when ``col`` holds a value
    that is not one of the categories (casting would make it missing).

    Examples
    --------
    >>> s = pd.Series(pd.Categorical(["a", "b"]))
    >>> as_categories(s, pd.CategoricalDtype(["b", "a", "c"]), "f").cat.codes.tolist()
    [1, 0]
    """
    used = col.cat.remove_unused_categories().cat.categories
    outside = used[~used.isin(dtype.categories)]
    if len(outside):
        values = sorted(str(v) for v in outside)[:5]
        raise ValueError(
            f"Parquet file {path!r}: column {col.name!r} holds {values}, not among "
            f"the categories {list(dtype.categories)} read from the first row "
            "group of each file. Write the files with the same categories "
            "(e.g. df[col].cat.set_categories(...)) before reading them together."
        )
    return col.cat.set_categories(dtype.categories, ordered=dtype.ordered)


#: pyarrow's default limit of a dictionary page, in bytes.
_DICTIONARY_PAGE = 1024 * 1024
_DICTIONARY_SAMPLE = 10_000


def dictionary_columns(table: Any, page_limit: int | None = None) -> list | None:
    """The columns of ``table`` worth dictionary encoding, or None for
    pyarrow's default (every column).

    pyarrow dictionary-encodes every column and falls back to plain
    encoding when a column chunk's dictionary outgrows its page (1 MiB): on
    a float column of distinct values that attempt is wasted work, and a
    large share of the time of writing it. Strings and other
    variable-width or boolean columns keep the dictionary; a fixed-width
    column keeps it when an evenly spaced sample of its values predicts
    that all its distinct values fit in one dictionary page. Only how the
    file is encoded changes, never what it holds.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"s": ["a", "b"] * 50_000, "f": [i / 7 for i in range(100_000)],
    ...               "k": [i % 10 for i in range(100_000)]})
    >>> dictionary_columns(t)
    ['s', 'k']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    limit = page_limit or _DICTIONARY_PAGE
    n = table.num_rows
    names = table.schema.names
    if len(set(names)) != len(names):
        return None
    keep = []
    for name, column in zip(names, table.columns):
        typ = column.type
        if pa.types.is_nested(typ):
            return None
        fixed = (
            pa.types.is_integer(typ)
            or pa.types.is_floating(typ)
            or pa.types.is_temporal(typ)
            or pa.types.is_decimal(typ)
        )
        width = typ.bit_width // 8 if fixed else 0
        if not width or n <= _DICTIONARY_SAMPLE:
            keep.append(name)
            continue
        positions = np.linspace(0, n - 1, _DICTIONARY_SAMPLE).astype("int64")
        sample = column.take(pa.array(positions))
        distinct = pc.count_distinct(sample, mode="all").as_py()
        if distinct_total(distinct, _DICTIONARY_SAMPLE) * width <= limit:
            keep.append(name)
    return keep


def write_parquet_partition(
    df: pd.DataFrame,
    relname: str,
    job: Any,
    partition_on: list,
    write_index: bool | None,
    schema: Any,
    kwargs: dict,
) -> list[str]:
    """Write one partition into the job's staging folder; return its names.

    With ``partition_on`` the rows are split into hive folders
    (``col=value/relname``, encoded by :mod:`partframe.io.hive`; every
    folder name is checked before a file is written). File names depend
    only on the partition, so running the task twice overwrites its own
    files.
    """
    import pyarrow.parquet as pq
    from fsspec.implementations.local import LocalFileSystem

    fs = job.fs
    pieces: list[tuple[str, pd.DataFrame]] = []
    if partition_on:
        if len(df):
            keys = partition_on if len(partition_on) > 1 else partition_on[0]
            groups = list(df.groupby(keys, sort=True, dropna=False, observed=True))
            names = folders(partition_on, [key for key, _ in groups])
            for folder, (_, group) in zip(names, groups):
                pieces.append((f"{folder}/{relname}", group.drop(columns=partition_on)))
    else:
        pieces.append((relname, df))
    out = []
    for name, part in pieces:
        table = _to_arrow(part, schema, write_index, name)
        options = kwargs
        if "use_dictionary" not in kwargs:  # chosen per file, from its own data
            chosen = dictionary_columns(table, kwargs.get("dictionary_pagesize_limit"))
            if chosen is not None:
                options = {**kwargs, "use_dictionary": chosen}
        target = job.staged(name)
        job.make_staging(target)
        if isinstance(fs, LocalFileSystem):
            pq.write_table(table, target, **options)  # native IO, no GIL
        else:
            with fs.open(target, "wb") as f:
                pq.write_table(table, f, **options)
        out.append(name)
    return out


def _to_arrow(part: pd.DataFrame, schema: Any, write_index: Any, name: str) -> Any:
    """``part`` as an Arrow table of ``schema`` (the meta's), or an error
    that names the file and says how the partition differs from the meta.

    pyarrow takes the index columns the schema names: a partition with
    other index levels than the meta's would lose labels without a word.
    """
    import json

    import pyarrow as pa

    if schema is not None and write_index:
        stored = json.loads((schema.metadata or {}).get(b"pandas", b"{}"))
        want = len(stored.get("index_columns", []))
        if want and part.index.nlevels != want:
            raise ValueError(
                f"to_parquet: the partition written to {name!r} has "
                f"{part.index.nlevels} index level(s) {list(part.index.names)}, "
                f"the frame's meta has {want}: the meta is wrong (the function "
                "that made the frame returns another index; pass a meta= that "
                "matches it)"
            )
    if schema is not None:
        _check_object_columns(part, schema, name)
    try:
        return pa.Table.from_pandas(part, schema=schema, preserve_index=write_index)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        if schema is not None:
            e.add_note(
                f"partframe: while writing {name!r}, whose dtypes "
                f"{part.dtypes.astype(str).to_dict()} must match the frame's "
                f"schema ({', '.join(f'{f.name}: {f.type}' for f in schema)})"
            )
        raise


def _check_object_columns(part: pd.DataFrame, schema: Any, name: str) -> None:
    """Can the values of the object columns of ``part`` take the schema's
    types without loss?

    Their types were inferred from other partitions (or given by the user),
    and pyarrow converts Python values into a given type unchecked: a float
    4.5 into ``int64`` gives 4, without a word. The values are converted
    with their own inferred type, then cast safely (an error on any loss).
    """
    import pyarrow as pa

    for c in part.columns:
        if part[c].dtype != object or c not in schema.names:
            continue
        want = schema.field(c).type
        try:
            own = pa.array(part[c], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            continue  # no type of their own: the conversion to ``want`` decides
        if own.type.equals(want) or pa.types.is_null(own.type):
            continue
        try:
            own.cast(want, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise ValueError(
                f"to_parquet: the values of column {c!r} written to {name!r} are "
                f"{own.type} and do not fit the dataset's type {want} (taken from "
                f"an earlier partition or from schema=): {e}. Pass the type "
                f"that holds every partition's values as schema={{{c!r}: "
                f"<pyarrow type>}} (here at least {own.type}), or convert the "
                "column first"
            ) from e


# --- CSV ---------------------------------------------------------------------


def write_csv_partition(
    df: pd.DataFrame, relname: str, job: Any, header: bool | list, kwargs: dict
) -> list[str]:
    """Write one partition as CSV into the job's staging folder.

    ``header`` is pandas' ``header=`` for this partition: False (none), True
    (the column names) or a list of aliases.
    """
    fs = job.fs
    target = job.staged(relname)
    job.make_staging(target)
    compression = kwargs.get("compression")
    kwargs = {k: v for k, v in kwargs.items() if k != "compression"}
    text = df.to_csv(None, header=header, **kwargs)
    encoding = kwargs.get("encoding") or "utf-8"
    with fs.open(target, "wb", compression=compression) as f:
        f.write(text.encode(encoding))
    return [relname]


def concat_staged(job: Any, written: list) -> list[str]:
    """Concatenate staged CSV pieces into one staged file ``data``."""
    fs = job.fs
    names = [n for part in written for n in part]
    with fs.open(job.staged("data"), "wb") as out:
        for n in names:
            with fs.open(job.staged(n), "rb") as f:
                while chunk := f.read(1 << 24):
                    out.write(chunk)
            fs.rm(job.staged(n))
    return ["data"]


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


def _record_start(
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


def _close(buf: Any) -> None:
    if not isinstance(buf, bytes):
        # still referenced (BufferError): freed with its last reference
        with contextlib.suppress(BufferError):
            buf.close()


def _read_records(
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
            first = _record_start(buf, start - base, parity, quote, stop)
            if first is None:
                return buf, len(buf), len(buf), base
            i = first
        if end is None:
            return buf, i, len(buf), base
        e = end - base
        if parity_end is None:
            parity_end = (_count(buf, quote, i, e) & 1) if quote is not None else 0
        while True:
            j = _record_start(buf, e, parity_end, quote)
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


class CSVDtypeError(ValueError):
    """A block of a CSV file has a column type that differs from the sample's."""


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


def _with_path(df: pd.DataFrame, path_column: tuple | None) -> pd.DataFrame:
    if path_column is None:
        return df
    name, dtype, value = path_column
    # a file without rows (no block of its own) may not be a category
    code = dtype.categories.get_loc(value) if len(df) else -1
    df = df.copy(deep=False) if len(df.columns) else df.copy()
    df[name] = pd.Categorical.from_codes(np.full(len(df), code, "int32"), dtype=dtype)
    return df


def is_text(dtype: Any) -> bool:
    """Is ``dtype`` a text dtype (``str`` or object, not categorical)?"""
    return pd.api.types.is_string_dtype(dtype) and not isinstance(
        dtype, pd.CategoricalDtype
    )


def enforce_meta(
    df: pd.DataFrame, meta: pd.DataFrame, where: str, data: Any, kwargs: dict
) -> pd.DataFrame:
    """Make a parsed block match ``meta`` exactly, or explain why it cannot.

    ``data`` is the block's bytes, or a function that returns them (called
    only when a column must be parsed again).
    """
    import io

    cols = [c for c in meta.columns if c in df.columns]
    if list(df.columns) != cols or len(cols) != len(meta.columns):
        missing = [c for c in meta.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in meta.columns]
        raise ValueError(
            f"{where} has columns {list(df.columns)}, expected "
            f"{list(meta.columns)} (missing: {missing}, extra: {extra})"
        )
    if len(df) == 0:
        return meta.copy()
    cast: dict = {}
    reparse: dict = {}
    wrong: list = []  # (column, found, expected)
    for c in meta.columns:
        want, got = meta[c].dtype, df[c].dtype
        if want == got:
            continue
        col = df[c]
        all_missing = bool(col.isna().all())
        if (
            pd.api.types.is_float_dtype(want)
            and (pd.api.types.is_integer_dtype(got) or all_missing)
        ) or (is_text(want) and all_missing):
            cast[c] = want
        elif is_text(want):
            reparse[c] = want
        elif all_missing and (
            pd.api.types.is_datetime64_any_dtype(want) or want == np.dtype(object)
        ):
            cast[c] = want
        else:
            wrong.append((c, got, want))
    if wrong:
        raise CSVDtypeError(_mismatch_message(wrong, where))
    if reparse:
        dtype = kwargs.get("dtype")
        dtype = dict(dtype) if isinstance(dtype, dict) else {}
        dtype.update(reparse)
        raw = data() if callable(data) else data
        df = pd.read_csv(io.BytesIO(raw), **{**kwargs, "dtype": dtype})
    if cast:
        df = df.astype(cast)
    return df


def _mismatch_message(wrong: list, where: str) -> str:
    """Every column of a block whose dtype differs from the sampled one, and
    the ``dtype=`` that reads them all (one error, not one per rerun)."""
    fix = ", ".join(f"{c!r}: {_widen(want, got)!r}" for c, got, want in wrong)
    if len(wrong) == 1:
        ((c, got, want),) = wrong
        msg = (
            f"column {c!r} is {got} in {where}, but {want} was inferred from "
            "a sample of the data. Set its type for every block: "
        )
    else:
        found = ", ".join(f"{c!r} ({got}, sampled as {want})" for c, got, want in wrong)
        msg = (
            f"columns {found} in {where} differ from the dtypes inferred from "
            "a sample of the data. Set their types for every block: "
        )
    msg += f"read_csv(..., dtype={{{fix}}})"
    dates = [c for c, _, want in wrong if pd.api.types.is_datetime64_any_dtype(want)]
    if dates:
        msg += (
            f"; or drop {dates} from parse_dates and convert them later with "
            "to_datetime (a value there is not a date)"
        )
    return msg


def _widen(want: Any, got: Any) -> str:
    numeric = pd.api.types.is_numeric_dtype
    if (
        numeric(want)
        and numeric(got)
        and not (pd.api.types.is_bool_dtype(want) or pd.api.types.is_bool_dtype(got))
    ):
        return "float64"
    if is_text(got) or is_text(want):
        return "str"
    return "object"


def read_pinned(pin: Any, func: Any, fs: Any, path: str, *args: Any) -> Any:
    """``func(fs, path, *args)`` on the version of the file that the plan
    was made on (see :mod:`partframe.io.snapshot`)."""
    return _read_pinned_version(fs, pin, path, lambda p: func(fs, p, *args))


def commit_task(job: Any, written: list) -> list[str]:
    return commit_output(job, written)
