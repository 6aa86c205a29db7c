"""Parquet read kernels: row groups of one file into a pandas partition.

Every function here runs inside a task: module-level, arguments are plain
picklable data (paths, fsspec/pyarrow filesystems, filters, pandas metas).
A piece is read with only the columns a query needs, its rows filtered
(hive partition values compared with pyarrow's null semantics), its index
set and its dtypes made those of the dataset's meta. Errors name the file
(and the row groups) they came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..io.hive import is_missing
from ..io.paths import to_pyarrow_fs
from .parquet_rows import (
    COMPARISONS,
    decode_dictionaries,
    dictionary_columns,
    rows_kept,
)

__all__ = [
    "ParquetReadError",
    "as_categories",
    "compare_scalar",
    "empty_frame",
    "open_parquet",
    "read_parquet_piece",
    "runs_index",
    "strip_index_metadata",
]


class ParquetReadError(ValueError):
    """A Parquet file could not be read (corrupt, truncated, not Parquet)."""


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


def open_parquet(fs: Any, path: str, **options: Any) -> Any:
    """A ``pyarrow.parquet.ParquetFile`` for ``path`` on ``fs`` (``options``
    go to it: ``metadata``, ``read_dictionary``)."""
    import pyarrow.parquet as pq
    from fsspec.implementations.local import LocalFileSystem

    try:
        if isinstance(fs, LocalFileSystem):
            return pq.ParquetFile(path, **options)
        return pq.ParquetFile(path, filesystem=to_pyarrow_fs(fs), **options)
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
    keep: list | None = None,
) -> pd.DataFrame:
    """Read row groups of one Parquet file into a pandas partition.

    ``columns`` are the file columns to read (index columns included);
    ``row_filter`` a list of conjunctions of ``(column, op, value)`` applied
    to rows (or None); ``index`` the columns that become the index (``[]``:
    the RangeIndex labels of the row positions ``runs``, or from 0 when
    ``runs`` is None);
    ``partition_values`` the hive ``column -> category`` values of this
    file; ``schema`` a unified Arrow schema to cast to (or None); ``keep``
    the DNF of terms pushed from the filters above the reader: rows none of
    its conjunctions can satisfy are dropped, the others keep their labels
    (see :mod:`partframe.kernels.parquet_rows`). The result has ``meta``'s
    columns and dtypes.
    """
    read_cols = list(columns)
    if row_filter:
        for conj in row_filter:
            for col, _, _ in conj:
                if col not in read_cols and col not in partition_values:
                    read_cols.append(col)
    table, coded = _read_table(fs, path, row_groups, read_cols, schema)
    if row_filter:
        table, coded = decode_dictionaries(table, coded), []
        table = table.filter(_filter_expression(row_filter, table, partition_values))
        table = table.select(list(columns))
    positions = rows_kept(table, keep, meta) if keep else None
    if positions is not None:
        table = table.take(positions)
    table = decode_dictionaries(table, coded)
    df = _to_pandas(table, index, runs, partition_values, meta, positions)
    return _match_meta(df, meta, path)


def _read_table(
    fs: Any, path: str, row_groups: list | None, columns: list, schema: Any
) -> tuple[Any, list]:
    """The Arrow table of ``columns`` in ``row_groups`` (None: all) of
    ``path``, cast to the unified ``schema`` (None: as stored; with one, a
    column the file lacks is all null), and the string columns it holds as
    dictionaries (see :func:`~.parquet_rows.dictionary_columns`)."""
    import pyarrow as pa

    try:
        pf = open_parquet(fs, path)
        if schema is not None:
            present = set(pf.schema_arrow.names)
            file_cols = [c for c in columns if c in present]
        else:
            file_cols = columns
        coded = dictionary_columns(pf, row_groups, file_cols)
        if coded:
            # the footer is reused: no second read of it
            pf = open_parquet(fs, path, metadata=pf.metadata, read_dictionary=coded)
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
    if schema is None:
        return table, coded
    table = decode_dictionaries(table, coded)
    arrays = []
    for c in columns:
        typ = schema.field(c).type
        if c in table.column_names:
            arrays.append(table.column(c).cast(typ))
        else:
            arrays.append(pa.nulls(table.num_rows, typ))
    return pa.table(arrays, names=columns, metadata=table.schema.metadata), []


def _to_pandas(
    table: Any,
    index: list,
    runs: list | None,
    partition_values: dict,
    meta: Any,
    positions: np.ndarray | None = None,
) -> pd.DataFrame:
    """``table`` as a pandas frame with ``meta``'s index and columns (the
    hive partition columns added); the dtypes are matched afterwards.
    ``positions``: the rows of the piece that ``table`` holds (None: all),
    whose labels it keeps."""
    nrows = table.num_rows
    # pandas metadata restores nullable and extension dtypes; the index is
    # set below, from ``index``, so it is the same for every piece.
    df = strip_index_metadata(table).to_pandas()
    if index:
        df = df.set_index(index if len(index) > 1 else index[0])
        df.index.names = meta.index.names
    else:
        if runs:
            labels = runs_index(runs)
            df.index = labels if positions is None else labels[positions]
        elif positions is not None:
            df.index = pd.Index(positions)
        df.index.name = meta.index.name
    for col, value in partition_values.items():
        if col in meta.columns:
            dtype = meta[col].dtype
            code = -1 if value is None else dtype.categories.get_loc(value)
            df[col] = pd.Categorical.from_codes(
                np.full(nrows, code, dtype="int32"), dtype=dtype
            )
    return df[list(meta.columns)] if list(df.columns) != list(meta.columns) else df


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
                ok = compare_scalar(partition_values[col], op, value)
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
    import pyarrow as pa

    func = getattr(pc, COMPARISONS[op][1])
    return func(arr, pa.scalar(value, type=arr.type))


def compare_scalar(a: Any, op: str, b: Any) -> bool:
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

    A categorical column or index level gets exactly the meta's categories
    (a file's dictionary may hold fewer, or order them differently); a value
    outside them raises instead of becoming missing.
    """
    df = _match_index_categories(df, meta, path)
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


def _level_dtypes(index: pd.Index) -> list[Any]:
    return [index.get_level_values(i).dtype for i in range(index.nlevels)]


def _match_index_categories(
    df: pd.DataFrame, meta: pd.DataFrame, path: str
) -> pd.DataFrame:
    """``df`` with its categorical index levels set to the meta's categories."""
    want = _level_dtypes(meta.index)
    have = _level_dtypes(df.index)
    if len(have) != len(want):
        return df
    fix = [
        i
        for i, (a, b) in enumerate(zip(have, want))
        if a != b and isinstance(b, pd.CategoricalDtype)
    ]
    if not fix:
        return df
    levels = [df.index.get_level_values(i) for i in range(df.index.nlevels)]
    for i in fix:
        values = as_categories(pd.Series(levels[i]), want[i], path)
        levels[i] = pd.CategoricalIndex(values, name=levels[i].name)
    index = levels[0] if len(levels) == 1 else pd.MultiIndex.from_arrays(levels)
    return df.set_axis(index, axis=0)


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
