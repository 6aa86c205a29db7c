"""The plan of a Parquet read: files, footers, schema, pieces, hive values.

A :class:`ParquetDataset` is built once per ``read_parquet`` call, when the
collection is built: it reads every footer (in parallel on a remote
filesystem, where each read waits on the network), checks that all
files share one schema (or unifies them on request), decodes the hive
``key=value`` folders into categorical columns, builds the meta (with the
categories of dictionary columns and the dtypes pandas gives columns
holding nulls) and splits the files into pieces of whole row groups.
Row-group statistics give divisions for a sorted index and let filters
skip row groups (:meth:`ParquetDataset.column_stats`). Local files are
planned once while they keep their size and modification time
(:func:`planned_dataset`): a query that reads a table again skips the
footers, the schema checks and the meta. The read node
(:class:`~partframe.io.nodes.ReadParquet`) shares the dataset; the facade
is :mod:`partframe.io.parquet`.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import json
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..kernels.parquet import ParquetReadError
from ..tokenize import tokenize
from .hive import infer_values, parse_path

__all__ = [
    "ParquetDataset",
    "SchemaMismatchError",
    "check_engine",
    "planned_dataset",
    "read_footer",
    "read_meta",
    "schema_differences",
]


class SchemaMismatchError(ValueError):
    """Files of one dataset (or an append) have different schemas."""


def read_footer(fs: Any, path: str) -> Any:
    import pyarrow.parquet as pq
    from fsspec.implementations.local import LocalFileSystem

    try:
        if isinstance(fs, LocalFileSystem):
            return pq.read_metadata(path)
        with fs.open(path, "rb") as f:
            return pq.read_metadata(f)
    except Exception as e:
        raise ParquetReadError(
            f"cannot read Parquet file {path!r}: {type(e).__name__}: {e}"
        ) from e


def _is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _map_files(func: Any, paths: list, fs: Any = None) -> list:
    """``[func(p) for p in paths]``, in threads when there are several files
    on a remote filesystem (each call waits on it: it answers in parallel;
    a local file answers in less time than a thread takes to start)."""
    if len(paths) <= 1 or _is_local(fs):
        return [func(p) for p in paths]
    with concurrent.futures.ThreadPoolExecutor(min(16, len(paths))) as pool:
        return list(pool.map(func, paths))


#: Planned datasets of local files, most recently used last.
_PLANNED: collections.OrderedDict = collections.OrderedDict()
_PLANNED_LOCK = threading.Lock()
_PLANNED_MAX = 64


def planned_dataset(fs: Any, files: list[str], roots: list, *options: Any) -> Any:
    """``ParquetDataset(fs, files, roots, *options)``, planned once for
    local files: while each file keeps its size and modification time (in
    nanoseconds), a new read of the same files with the same options gets
    a copy of the plan (its own pins) without reading the footers again.
    Remote files are planned anew on each call (a file's identity there
    would cost a request per file)."""
    if not _is_local(fs):
        return ParquetDataset(fs, files, roots, *options)
    try:
        stats = [os.stat(f) for f in files]
    except OSError:  # gone since listed: the plan reports it
        return ParquetDataset(fs, files, roots, *options)
    key = tokenize(
        [(f, st.st_size, st.st_mtime_ns) for f, st in zip(files, stats)],
        list(roots),
        *options,
    )
    with _PLANNED_LOCK:
        planned = _PLANNED.get(key)
        if planned is not None:
            _PLANNED.move_to_end(key)
    if planned is None:
        planned = ParquetDataset(fs, files, roots, *options)
        with _PLANNED_LOCK:
            _PLANNED[key] = planned
            while len(_PLANNED) > _PLANNED_MAX:
                _PLANNED.popitem(last=False)
    return copy.copy(planned)


class ParquetDataset:
    """The planned dataset: files, footers, schema, hive partitions.

    Built once per ``read_parquet`` call and shared (not copied) by every
    read node rebuilt from it; its token is computed once.
    """

    def __init__(
        self,
        fs: Any,
        files: list[str],
        roots: list,
        index: Any,
        schema_mode: Any,
        blocksize: int | None,
        split_row_groups: Any,
        calculate_divisions: bool,
    ) -> None:
        self.fs = fs
        self.files = files
        self.pins: list = [None] * len(files)
        self.footers = _map_files(lambda p: read_footer(fs, p), files, fs)
        # measured column widths by row groups read (ReadParquet's
        # estimates), shared by the copies of a planned dataset
        self.widths_cache: dict = {}
        self.stats_cache: dict = {}
        self.leaves_cache: dict = {}
        schemas = [f.schema.to_arrow_schema() for f in self.footers]
        self.unified = _unified_schema(files, schemas, schema_mode)
        self.schema = self.unified if self.unified is not None else schemas[0]
        self.hive_values, self.hive_dtypes = _hive_partitions(
            files, roots, self.schema.names
        )
        pandas_md = json.loads((self.schema.metadata or {}).get(b"pandas", b"{}"))
        self._set_index(index, pandas_md)
        self.meta_full = self._plan_meta(pandas_md)
        # pieces: (file number, row groups or None, rows, bytes)
        self.pieces = _plan_pieces(self.footers, blocksize, split_row_groups)
        self.calculate_divisions = calculate_divisions
        self._token = tokenize(
            [
                (f, ft.num_rows, ft.serialized_size)
                for f, ft in zip(files, self.footers)
            ],
            self.index,
            str(self.unified),
            blocksize,
            split_row_groups,
            calculate_divisions,
            type(fs).__name__,
            getattr(fs, "protocol", None),
        )

    def __dask_tokenize__(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return f"<{len(self.files)} Parquet file(s)>"

    def _set_index(self, index: Any, pandas_md: dict) -> None:
        """The index columns (``index``: the user's, None: those pandas
        stored, False: none) and the labels of a stored RangeIndex."""
        md_index = [c for c in pandas_md.get("index_columns", []) if isinstance(c, str)]
        # A RangeIndex stored as metadata: one file gets its labels back, as
        # in pandas (a dataset of several files is numbered from 0).
        self.range_start, self.range_step = 0, 1
        for c in pandas_md.get("index_columns", []):
            if (
                isinstance(c, dict)
                and c.get("kind") == "range"
                and len(self.files) == 1
            ):
                self.range_start = int(c.get("start", 0))
                self.range_step = int(c.get("step", 1))
        if index is None:
            self.index = md_index
        elif index is False:
            self.index = []
        else:
            self.index = [index] if isinstance(index, str) else list(index)
        names = self.schema.names
        from_folders = [c for c in self.index if c in self.hive_dtypes]
        if from_folders and not set(from_folders) <= set(names):
            raise NotImplementedError(
                f"read_parquet(index={index!r}): the hive partition column(s) "
                f"{from_folders} (from the key=value folders) cannot be the "
                "index; read them as columns, then .set_index(...)"
            )
        missing = [c for c in self.index if c not in names]
        if missing:
            raise KeyError(f"index column(s) {missing} not in the Parquet schema")

    def _plan_meta(self, pandas_md: dict) -> pd.DataFrame:
        """The meta of the whole dataset, as every piece is read."""
        empty = self.schema.empty_table()
        meta = read_meta(empty, self.index, self.hive_dtypes, pandas_md)
        # An empty table has no dictionary: read the categories from the data
        # (partframe's categories are always known, and every piece is cast
        # to them).
        cats = dictionary_categories(self.fs, self.files, self.footers, self.schema)
        meta = _with_index_categories(meta, cats)
        cats = {c: dt for c, dt in cats.items() if c in meta.columns}
        meta = meta.astype(cats) if cats else meta
        return _widened_by_nulls(meta, self.footers, self.fs, self.files)

    def pin_files(self, pin: Any) -> None:
        """Pin every file to the version planned on (``pin(path)``: a
        :class:`~partframe.io.snapshot.Pin` or None)."""
        self.pins = [pin(f) for f in self.files]
        self._token = tokenize(self._token, self.pins)

    def label_runs(self, runs: list) -> list:
        """Runs of row positions as runs of RangeIndex labels (see
        :func:`~partframe.kernels.parquet.runs_index`)."""
        start, step = self.range_start, self.range_step
        if (start, step) == (0, 1):
            return runs
        if step == 1:
            return [(start + a, start + b) for a, b in runs]
        return [(start + step * a, start + step * b, step) for a, b in runs]

    # -- statistics ---------------------------------------------------------
    def column_stats(self, file_no: int, rg: int, column: str) -> Any:
        """``(min, max, null_count, num_values)`` or None when unknown
        (decoded once per row group and column: the copies of a planned
        dataset share the answers)."""
        key = (file_no, rg, column)
        try:
            return self.stats_cache[key]
        except KeyError:
            pass
        md = self.footers[file_no]
        cached = self.leaves_cache.get(file_no)
        if cached is None:
            schema = md.schema
            leaves = {schema.column(j).path: j for j in range(len(schema))}
            cached = (leaves, set(schema.to_arrow_schema().names))
            self.leaves_cache[file_no] = cached
        leaves, top_level = cached
        out = None
        if column in top_level and column in leaves:
            try:
                col = md.row_group(rg).column(leaves[column])
                st = col.statistics
                if st is not None:
                    lo, hi = (st.min, st.max) if st.has_min_max else (None, None)
                    out = lo, hi, st.null_count, col.num_values
            except Exception:
                out = None
        self.stats_cache[key] = out
        return out

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` (``None`` when it fails: a
        statistic that cannot be read is unknown), shared by the copies of
        a planned dataset."""
        try:
            return self.stats_cache[key]
        except KeyError:
            pass
        try:
            out = compute()
        except Exception:
            out = None
        self.stats_cache[key] = out
        return out

    def distinct_count(self, file_no: int, rg: int, column: str) -> int | None:
        """The distinct values of a string ``column`` in one row group that
        stores it with a small dictionary page (what its readers read as
        Arrow dictionaries: flags, modes, segments), from that dictionary;
        ``None`` for other columns or when it cannot be read. One read of
        one column of one row group, once per dataset and column."""
        from ..kernels.parquet import open_parquet
        from ..kernels.parquet_rows import dictionary_columns

        def compute() -> int | None:
            path = self.files[file_no]
            pf = open_parquet(self.fs, path, metadata=self.footers[file_no])
            if not dictionary_columns(pf, [rg], [column]):
                return None
            pf = open_parquet(
                self.fs, path, metadata=self.footers[file_no], read_dictionary=[column]
            )
            chunks = pf.read_row_group(rg, columns=[column]).column(0).chunks
            return max(1, max(len(c.dictionary) for c in chunks)) if chunks else None

        out: int | None = self._cached(("distinct", file_no, rg, column), compute)
        return out

    def head_rows(
        self, groups: tuple[tuple[int, int], ...], columns: tuple[str, ...], rows: int
    ) -> Any:
        """An Arrow table of the first ``rows`` rows of ``columns`` in each
        row group of ``groups`` (``(file, row group)`` pairs), or ``None``
        when they cannot be read: a sample read at planning, once per
        dataset, row groups and columns."""
        import pyarrow as pa

        from ..kernels.parquet import open_parquet

        def compute() -> Any:
            tables = []
            for file_no, rg in groups:
                # a buffered stream reads the first pages, not the chunks
                pf = open_parquet(
                    self.fs,
                    self.files[file_no],
                    metadata=self.footers[file_no],
                    pre_buffer=False,
                    buffer_size=2**16,
                )
                batches = pf.iter_batches(
                    batch_size=rows,
                    row_groups=[rg],
                    columns=list(columns),
                    use_pandas_metadata=False,
                )
                batch = next(iter(batches), None)
                if batch is not None:
                    tables.append(pa.Table.from_batches([batch]))
            if not tables:
                return None
            return pa.concat_tables(tables, promote_options="permissive")

        return self._cached(("head", groups, columns, rows), compute)


def _unified_schema(files: list, schemas: list, schema_mode: Any) -> Any:
    """The schema every piece is cast to (``schema=``: a pyarrow Schema, or
    the files' schemas unified), or None when the files must share one."""
    import pyarrow as pa

    if isinstance(schema_mode, pa.Schema):
        return schema_mode
    if schema_mode == "unify":
        return pa.unify_schemas(
            [s.remove_metadata() for s in schemas], promote_options="permissive"
        ).with_metadata(schemas[0].metadata)
    if schema_mode not in (None, "infer"):
        raise ValueError(
            f"schema= takes None, 'unify' or a pyarrow Schema, got {schema_mode!r}"
        )
    _check_same_schema(files, schemas)
    return None


def _hive_partitions(
    files: list, roots: list, names: list
) -> tuple[list[dict[str, Any]], dict[str, pd.CategoricalDtype]]:
    """The hive ``key=value`` values of every file, typed as pyarrow types
    them (None: null), and the categorical dtype of each key (its values in
    the order pyarrow discovers them). ``names`` are the files' columns."""
    # texts first, replaced below by the typed values
    hive: list[dict[str, Any]] = [dict(parse_path(f, r)) for f, r in zip(files, roots)]
    keys: list[str] = []
    for h in hive:
        for k in h:
            if k not in keys:
                keys.append(k)
    in_files = [k for k in keys if k in names]
    if in_files and len(in_files) < len(keys):
        # Which values win is ambiguous (pandas/pyarrow raise here too).
        raise ValueError(
            f"read_parquet: hive partition column(s) {in_files} of the "
            f"folders of {files[0]!r} are also columns in its files, and "
            f"{[k for k in keys if k not in in_files]} are not; rename the "
            "columns in the files or the key=value folders"
        )
    dtypes: dict[str, pd.CategoricalDtype] = {}
    for k in keys:
        missing = [f for f, h in zip(files, hive) if k not in h]
        if missing:
            raise ValueError(
                f"hive partition column {k!r} is missing from the folders of "
                f"{missing[0]!r}"
            )
        # decoded texts (None: null), typed as pyarrow types them
        raw: list[str] = []
        for _f, h in sorted(zip(files, hive)):
            if h[k] is not None and h[k] not in raw:
                raw.append(h[k])
        ints = infer_values(raw)
        value = dict(zip(raw, ints if ints is not None else raw))
        cats = pd.Index(
            list(dict.fromkeys(value.values())),
            dtype="int32" if ints is not None else "str",
        )
        dtypes[k] = pd.CategoricalDtype(cats)
        for h in hive:
            h[k] = None if h[k] is None else value[h[k]]
    return hive, dtypes


def _with_index_categories(
    meta: pd.DataFrame, cats: dict[str, pd.CategoricalDtype]
) -> pd.DataFrame:
    """``meta`` with the categories of its dictionary-encoded index levels."""
    index = meta.index
    if not any(name in cats for name in index.names):
        return meta
    levels = [
        index.get_level_values(i).astype(cats[name]) if name in cats else
        index.get_level_values(i)
        for i, name in enumerate(index.names)
    ]  # fmt: skip
    new = levels[0] if len(levels) == 1 else pd.MultiIndex.from_arrays(levels)
    return meta.set_axis(new, axis=0)


def dictionary_categories(
    fs: Any, files: list, footers: list, schema: Any
) -> dict[str, pd.CategoricalDtype]:
    """The categories of the dictionary-encoded (pandas categorical) columns.

    The empty table the meta is built from has no dictionary, so the
    categories come from the data: the dictionary of the first row group of
    each file (one column chunk per file and column, read in parallel),
    united in file order as pandas unites them when it reads a folder.
    Pieces whose dictionary differs are cast to these categories when read
    (:func:`~partframe.kernels.parquet.read_parquet_piece`).
    """
    import pyarrow as pa

    columns = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    if not columns:
        return {}
    paths = [p for p, md in zip(files, footers) if md.num_row_groups]
    found = _map_files(lambda p: _first_dictionaries(fs, p, columns), paths, fs)
    out = {}
    for c in columns:
        dtypes = [d[c] for d in found if c in d]
        if not dtypes:
            continue
        cats = dtypes[0].categories
        for dt in dtypes[1:]:
            cats = cats.append(dt.categories[~dt.categories.isin(cats)])
        out[c] = pd.CategoricalDtype(cats, ordered=dtypes[0].ordered)
    return out


def _first_dictionaries(fs: Any, path: str, columns: list) -> dict:
    """``column -> CategoricalDtype`` of the first row group of ``path``."""
    from ..kernels.parquet import open_parquet

    pf = open_parquet(fs, path)
    present = [c for c in columns if c in pf.schema_arrow.names]
    try:
        table = pf.read_row_group(0, columns=present, use_pandas_metadata=False)
    except Exception as e:
        raise ParquetReadError(
            f"cannot read Parquet file {path!r} (row group 0): {type(e).__name__}: {e}"
        ) from e
    table = table.unify_dictionaries()
    out = {}
    for c in present:
        col = table.column(c)
        if col.num_chunks and len(col.chunk(0).dictionary):
            out[c] = _empty_categorical(col.chunk(0)).dtype
    return out


def _empty_categorical(chunk: Any) -> Any:
    """The pandas dtype of a dictionary array, from its dictionary alone."""
    import pyarrow as pa

    typ = chunk.type
    empty = pa.DictionaryArray.from_arrays(
        pa.array([], typ.index_type), chunk.dictionary, ordered=typ.ordered
    )
    return empty.to_pandas()


def _widened_by_nulls(
    meta: pd.DataFrame, footers: list, fs: Any, files: list
) -> pd.DataFrame:
    """``meta`` with the dtypes pandas gives columns holding nulls.

    A non-nullable pandas dtype read from an Arrow type (bool, integers:
    files of pyarrow, Spark, DuckDB) cannot hold a null: pandas reads such a
    column as object (bool) or float64 (integers) when the table holds a
    null. The footers' row-group statistics count the nulls of every file
    without reading data, so the whole dataset gets pandas' dtype (pieces
    without nulls are cast to it). A row group of a nullable column without
    a null count (statistics not written) has that column read to count.
    """
    widen = {}
    for c, dtype in meta.dtypes.items():
        if not isinstance(c, str) or not (
            isinstance(dtype, np.dtype) and dtype.kind in "biu"
        ):
            continue
        for md, path in zip(footers, files):
            try:
                j = _leaf_index(md, c)
            except KeyError:
                continue
            if any(
                _null_count(md, g, j, fs, path, c) for g in range(md.num_row_groups)
            ):
                widen[c] = (
                    np.dtype(object) if dtype.kind == "b" else np.dtype("float64")
                )
                break
    return meta.astype(widen) if widen else meta


def _null_count(md: Any, g: int, j: int, fs: Any, path: str, column: str) -> int:
    """The nulls of leaf column ``j`` in row group ``g``: from its statistics,
    else (a nullable column without them) by reading it."""
    st = md.row_group(g).column(j).statistics
    if st is not None and st.has_null_count:
        return st.null_count
    if md.schema.column(j).max_definition_level == 0:
        return 0  # a required column holds no nulls
    from ..kernels.parquet import open_parquet

    table = open_parquet(fs, path).read_row_group(g, columns=[column])
    return table.column(0).null_count


def _leaf_index(md: Any, column: str) -> int:
    schema = md.schema
    for j in range(len(schema)):
        if schema.column(j).path == column:
            return j
    raise KeyError(column)


def read_meta(
    table: Any, index: list, hive_dtypes: dict, pandas_md: dict | None = None
) -> pd.DataFrame:
    """The pandas meta of an (empty) Arrow table, as the pieces will read it."""
    from ..kernels.parquet import strip_index_metadata

    df = strip_index_metadata(table).to_pandas()
    if index:
        df = df.set_index(index if len(index) > 1 else index[0])
        df.index.names = [None if str(n).startswith("__index_level_") else n
                          for n in df.index.names]  # fmt: skip
    elif pandas_md and pandas_md.get("index_columns"):
        rng = [c for c in pandas_md["index_columns"] if isinstance(c, dict)]
        if rng and rng[0].get("name") is not None:
            df.index.name = rng[0]["name"]
        # index=False: the stored index comes first, as reset_index() puts it
        stored = [
            c for c in pandas_md["index_columns"] if isinstance(c, str) and c in df
        ]
        if stored:
            df = df[stored + [c for c in df.columns if c not in stored]]
    for k, dtype in hive_dtypes.items():
        df[k] = pd.Series([], dtype=dtype, index=df.index)
    return df


def _check_same_schema(files: list, schemas: list) -> None:
    first = schemas[0]
    for path, s in zip(files[1:], schemas[1:]):
        if s.remove_metadata().equals(first.remove_metadata()):
            continue
        diffs = schema_differences(first, s)
        if not diffs:
            continue
        raise SchemaMismatchError(
            f"Parquet file {path!r} has a different schema from {files[0]!r}: "
            + "; ".join(diffs)
            + ". Pass schema='unify' to read them with one unified schema "
            "(missing columns become null, types are widened)."
        )


def _plain(typ: Any) -> Any:
    """``typ`` with large strings/binaries/lists as their 32-bit-offset
    forms (pandas reads both the same; writers choose either)."""
    import pyarrow as pa

    if pa.types.is_dictionary(typ):
        return pa.dictionary(typ.index_type, _plain(typ.value_type), typ.ordered)
    if pa.types.is_large_string(typ):
        return pa.string()
    if pa.types.is_large_binary(typ):
        return pa.binary()
    if pa.types.is_large_list(typ):
        return pa.list_(_plain(typ.value_type))
    return typ


def _same_pandas_type(a: Any, b: Any) -> bool:
    """Do two Arrow types read as one pandas dtype (string = large_string)?"""
    return a.equals(b) or _plain(a).equals(_plain(b))


def schema_differences(a: Any, b: Any, names: tuple = ("first", "other")) -> list:
    """Human-readable differences between two Arrow schemas."""
    out = []
    for f in a:
        if f.name not in b.names:
            out.append(f"column {f.name!r} ({f.type}) is missing in the {names[1]}")
        elif not _same_pandas_type(b.field(f.name).type, f.type):
            out.append(
                f"column {f.name!r} is {f.type} in the {names[0]} and "
                f"{b.field(f.name).type} in the {names[1]}"
            )
    for f in b:
        if f.name not in a.names:
            out.append(f"column {f.name!r} ({f.type}) is extra in the {names[1]}")
    return out


def _plan_pieces(footers: list, blocksize: int | None, split: Any) -> list:
    pieces: list[tuple[int, list[int] | None, int]] = []
    for i, md in enumerate(footers):
        n = md.num_row_groups
        if n == 0:
            pieces.append((i, None, 0))
            continue
        rows = [md.row_group(j).num_rows for j in range(n)]
        if split is False or (split in ("infer", "adaptive", None) and not blocksize):
            pieces.append((i, None, md.num_rows))
            continue
        if split is True or (isinstance(split, int) and not isinstance(split, bool)):
            step = 1 if split is True else int(split)
            for j in range(0, n, step):
                rgs = list(range(j, min(n, j + step)))
                pieces.append((i, rgs, sum(rows[k] for k in rgs)))
            continue
        sizes = [md.row_group(j).total_byte_size for j in range(n)]
        if sum(sizes) <= blocksize:
            pieces.append((i, None, md.num_rows))
            continue
        cur: list[int] = []
        acc = 0
        for j in range(n):
            cur.append(j)
            acc += sizes[j]
            if acc >= blocksize:
                pieces.append((i, cur, sum(rows[k] for k in cur)))
                cur, acc = [], 0
        if cur:
            pieces.append((i, cur, sum(rows[k] for k in cur)))
    return pieces


def check_engine(function: str, engine: Any) -> None:
    """pandas' ``engine=``: partframe has pyarrow only."""
    if engine not in ("auto", "pyarrow"):
        raise NotImplementedError(
            f"{function}: engine={engine!r} is not supported; partframe reads "
            "and writes Parquet with pyarrow (engine='pyarrow')"
        )
