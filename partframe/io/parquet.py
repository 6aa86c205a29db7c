"""Parquet through pyarrow and fsspec: ``read_parquet`` and ``to_parquet``.

Reading plans the dataset once, when the collection is built: it lists the
files (hidden ``_x``/``.x`` names skipped, hive ``key=value`` folders become
categorical columns), reads every footer (in parallel), checks that all
files share one schema (or unifies them on request), and splits the files
into pieces of whole row groups. Row-group statistics give divisions for a
sorted index and let filters skip row groups. The read node
(:class:`~partframe.io.nodes.ReadParquet`) takes the columns a query needs
and the filters the optimizer pushes into it.

Writing follows the output commit protocol of :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

import numpy as np
import pandas as pd

from ..collection._core import new_collection
from ..expr.meta import meta_nonempty
from ..kernels.io import ParquetReadError
from ..kernels.partitions import parse_bytes
from ..tokenize import tokenize
from .hive import infer_values, parse_path
from .paths import as_url, check_name_function, check_unique_names, expand_paths, get_fs
from .snapshot import plan_consistently

__all__ = ["ParquetDataset", "SchemaMismatchError", "read_parquet", "to_parquet"]


class SchemaMismatchError(ValueError):
    """Files of one dataset (or an append) have different schemas."""


def _read_footer(fs: Any, path: str) -> Any:
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


def _map_files(func: Any, paths: list) -> list:
    """``[func(p) for p in paths]``, in threads when there are several files
    (each call waits on the filesystem: a remote one answers in parallel)."""
    if len(paths) <= 1:
        return [func(p) for p in paths]
    with concurrent.futures.ThreadPoolExecutor(min(16, len(paths))) as pool:
        return list(pool.map(func, paths))


def _normalize_filters(filters: Any) -> list | None:
    if not filters:
        return None
    if (
        isinstance(filters[0], tuple | list)
        and filters[0]
        and isinstance(filters[0][0], str)
    ):
        filters = [filters]
    out = []
    for conj in filters:
        terms = []
        for term in conj:
            if len(term) != 3:
                raise ValueError(f"a filter is (column, op, value), got {term!r}")
            col, op, val = term
            if op not in ("==", "=", "!=", "<", "<=", ">", ">=", "in", "not in"):
                raise ValueError(f"unsupported filter operator {op!r} in {term!r}")
            if op in ("in", "not in"):
                val = tuple(val)
            terms.append((col, op, val))
        out.append(tuple(terms))
    return out


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
        import pyarrow as pa

        self.fs = fs
        self.files = files
        self.pins: list = [None] * len(files)
        self.footers = _map_files(lambda p: _read_footer(fs, p), files)
        schemas = [f.schema.to_arrow_schema() for f in self.footers]
        self.unified = None
        if isinstance(schema_mode, pa.Schema):
            self.unified = schema_mode
        elif schema_mode == "unify":
            self.unified = pa.unify_schemas(
                [s.remove_metadata() for s in schemas], promote_options="permissive"
            ).with_metadata(schemas[0].metadata)
        elif schema_mode not in (None, "infer"):
            raise ValueError(
                f"schema= takes None, 'unify' or a pyarrow Schema, got {schema_mode!r}"
            )
        else:
            _check_same_schema(files, schemas)
        self.schema = self.unified if self.unified is not None else schemas[0]
        # hive partitions: values in the order pyarrow discovers them
        # (texts, replaced below by the typed values)
        hive: list[dict[str, Any]] = [
            dict(parse_path(f, r)) for f, r in zip(files, roots)
        ]
        keys: list[str] = []
        for h in hive:
            for k in h:
                if k not in keys:
                    keys.append(k)
        in_files = [k for k in keys if k in self.schema.names]
        if in_files and len(in_files) < len(keys):
            # Which values win is ambiguous (pandas/pyarrow raise here too).
            raise ValueError(
                f"read_parquet: hive partition column(s) {in_files} of the "
                f"folders of {files[0]!r} are also columns in its files, and "
                f"{[k for k in keys if k not in in_files]} are not; rename the "
                "columns in the files or the key=value folders"
            )
        self.hive_values = hive
        self.hive_dtypes: dict[str, pd.CategoricalDtype] = {}
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
            self.hive_dtypes[k] = pd.CategoricalDtype(cats)
            for h in hive:
                h[k] = None if h[k] is None else value[h[k]]
        # index
        pandas_md = json.loads((self.schema.metadata or {}).get(b"pandas", b"{}"))
        md_index = [c for c in pandas_md.get("index_columns", []) if isinstance(c, str)]
        # A RangeIndex stored as metadata: one file gets its labels back, as
        # in pandas (a dataset of several files is numbered from 0).
        self.range_start, self.range_step = 0, 1
        for c in pandas_md.get("index_columns", []):
            if isinstance(c, dict) and c.get("kind") == "range" and len(files) == 1:
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
        # meta
        empty = self.schema.empty_table()
        meta = read_meta(empty, self.index, self.hive_dtypes, pandas_md)
        # An empty table has no dictionary: read the categories from the data
        # (partframe's categories are always known, and every piece is cast
        # to them).
        cats = dictionary_categories(fs, files, self.footers, self.schema)
        cats = {c: dt for c, dt in cats.items() if c in meta.columns}
        meta = meta.astype(cats) if cats else meta
        self.meta_full = _widened_by_nulls(meta, self.footers, fs, files)
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

    def pin_files(self, pin: Any) -> None:
        """Pin every file to the version planned on (``pin(path)``: a
        :class:`~partframe.io.snapshot.Pin` or None)."""
        self.pins = [pin(f) for f in self.files]
        self._token = tokenize(self._token, self.pins)

    def label_runs(self, runs: list) -> list:
        """Runs of row positions as runs of RangeIndex labels (see
        :func:`~partframe.kernels.io.runs_index`)."""
        start, step = self.range_start, self.range_step
        if (start, step) == (0, 1):
            return runs
        if step == 1:
            return [(start + a, start + b) for a, b in runs]
        return [(start + step * a, start + step * b, step) for a, b in runs]

    # -- statistics ---------------------------------------------------------
    def column_stats(self, file_no: int, rg: int, column: str) -> Any:
        """``(min, max, null_count, num_values)`` or None when unknown."""
        md = self.footers[file_no]
        names = md.schema.to_arrow_schema().names
        if column not in names:
            return None
        try:
            j = _leaf_index(md, column)
            col = md.row_group(rg).column(j)
            st = col.statistics
            if st is None:
                return None
            lo, hi = (st.min, st.max) if st.has_min_max else (None, None)
            return lo, hi, st.null_count, col.num_values
        except Exception:
            return None


def dictionary_categories(
    fs: Any, files: list, footers: list, schema: Any
) -> dict[str, pd.CategoricalDtype]:
    """The categories of the dictionary-encoded (pandas categorical) columns.

    The empty table the meta is built from has no dictionary, so the
    categories come from the data: the dictionary of the first row group of
    each file (one column chunk per file and column, read in parallel),
    united in file order as pandas unites them when it reads a folder.
    Pieces whose dictionary differs are cast to these categories when read
    (:func:`~partframe.kernels.io.read_parquet_piece`).
    """
    import pyarrow as pa

    columns = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    if not columns:
        return {}
    paths = [p for p, md in zip(files, footers) if md.num_row_groups]
    found = _map_files(lambda p: _first_dictionaries(fs, p, columns), paths)
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
    from ..kernels.io import open_parquet

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
    from ..kernels.io import open_parquet

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
    from ..kernels.io import strip_index_metadata

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


def read_parquet(
    path: str | list,
    columns: str | list | None = None,
    filters: list | None = None,
    index: str | list | bool | None = None,
    blocksize: int | str | None = "256MiB",
    split_row_groups: bool | int | str = "infer",
    calculate_divisions: bool = False,
    filesystem: Any = None,
    storage_options: dict | None = None,
    schema: Any = None,
    engine: str = "pyarrow",
) -> Any:
    """Read Parquet files (a file, a folder, a glob or a list) lazily.

    Parameters
    ----------
    path : str or list of str
        Any fsspec URL: local path, ``file://``, ``memory://``, ``s3://``...
        A folder is read recursively; hive ``key=value`` folders become
        categorical columns, decoded as ``pyarrow.dataset`` decodes them
        (URL-unescaped; ``__HIVE_DEFAULT_PARTITION__`` is null; int32
        categories when pyarrow casts every value to int32, else text);
        names starting with ``_`` or ``.`` are skipped. A folder without
        data files (empty, or only ``_SUCCESS``) reads as an empty frame
        without columns, as in pandas.
    columns : str or list, optional
        Columns to read (a str gives a Series). The optimizer also narrows
        this to the columns a query uses.
    filters : list of tuples or list of lists of tuples, optional
        ``(column, op, value)`` terms, ANDed within a list and ORed between
        lists, as in pandas and pyarrow. They skip row groups and files by
        statistics (and hive folders by their decoded values) and remove
        non-matching rows. A null matches no comparison (only ``in`` a list
        holding None, ``not in`` one without), as in pyarrow.
    index : str, list or False, optional
        Columns to use as the index. Default: the index that pandas stored;
        ``False``: none (a RangeIndex).
    blocksize : int or str, default "256MiB"
        Row groups of one file are grouped into partitions of about this
        many uncompressed bytes; small files are one partition each.
    split_row_groups : bool, int or "infer", default "infer"
        ``False``: one partition per file; ``True``: one per row group; an
        int: that many row groups per partition; "infer": by ``blocksize``.
    calculate_divisions : bool, default False
        Compute divisions from the index column's statistics (when sorted).
        Without an index column the divisions come from row counts.
    filesystem : fsspec or pyarrow filesystem, "fsspec", "arrow" or None
        The filesystem to use; inferred from the URL when None.
    storage_options : dict, optional
        Passed to fsspec (credentials, endpoint...).
    schema : None, "unify" or pyarrow.Schema
        Files whose schemas differ raise an error naming the file and
        column; "unify" reads them with a unified schema instead.
    engine : {"pyarrow", "auto"}, default "pyarrow"
        As in pandas; partframe reads and writes with pyarrow.

    Returns
    -------
    DataFrame or Series

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> pdf = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    >>> pdf.to_parquet("memory://doc/pq/part.0.parquet")
    >>> df = partframe.read_parquet("memory://doc/pq")
    >>> df[df.x > 1].y.compute().tolist()
    ['b', 'c']
    >>> len(df)
    3
    """
    from .nodes import ReadParquet

    _check_engine("read_parquet", engine)
    fs, paths = get_fs(path, storage_options, filesystem)
    if isinstance(blocksize, str):
        blocksize = parse_bytes(blocksize)

    def plan() -> ParquetDataset | None:
        files, roots = expand_paths(fs, paths, "Parquet file", empty_folders=True)
        if not files:
            return None
        return ParquetDataset(
            fs,
            files,
            roots,
            index,
            schema,
            blocksize,
            split_row_groups,
            calculate_divisions,
        )

    # one committed version of each folder, its files pinned to it
    dataset, pin = plan_consistently(
        fs, paths, plan, lambda ds: ds.files if ds is not None else []
    )
    if dataset is None:
        return _without_data_files(path, columns, filters)
    dataset.pin_files(pin)
    meta_cols = list(dataset.meta_full.columns)
    single = isinstance(columns, str)
    if columns is not None:
        wanted = [columns] if single else list(columns)
        missing = [c for c in wanted if c not in meta_cols]
        if missing:
            raise KeyError(
                f"column(s) {missing} not in the Parquet dataset; available: "
                f"{meta_cols}"
            )
        cols = wanted
    else:
        cols = meta_cols
    node = ReadParquet(dataset, cols, _normalize_filters(filters))
    out = new_collection(node)
    return out[columns] if single else out


def _without_data_files(path: Any, columns: Any, filters: Any) -> Any:
    """A dataset folder without data files (empty, or only the ``_SUCCESS``
    of a write of no rows), read as pandas and pyarrow read it: an empty
    frame without columns. A column asked for raises ``KeyError``."""
    from .memory import from_pandas

    asked = [columns] if isinstance(columns, str) else list(columns or [])
    for conj in _normalize_filters(filters) or []:
        asked += [term[0] for term in conj if term[0] not in asked]
    if asked:
        raise KeyError(
            f"column(s) {asked} not in the Parquet dataset {path!r}: it has no "
            "data files (the folder is empty or holds only hidden names such "
            "as _SUCCESS)"
        )
    empty = pd.DataFrame(index=pd.RangeIndex(0), columns=pd.Index([], dtype=object))
    return from_pandas(empty, npartitions=1)


# --- writing -------------------------------------------------------------------


def default_parquet_name(i: int) -> str:
    """The default file name of partition ``i``: ``part.<i>.parquet``."""
    return f"part.{i}.parquet"


def to_parquet(
    df: Any,
    path: str,
    partition_on: str | list | None = None,
    overwrite: bool = False,
    append: bool = False,
    compression: str | None = "snappy",
    write_index: bool | None = True,
    name_function: Any = None,
    compute: bool = True,
    storage_options: dict | None = None,
    filesystem: Any = None,
    scheduler: Any = None,
    compute_kwargs: dict | None = None,
    schema: Any = "infer",
    engine: str = "pyarrow",
    **kwargs: Any,
) -> Any:
    """Write a DataFrame as a folder of Parquet files, all or nothing.

    Each partition becomes one file (or one per hive folder with
    ``partition_on``), written into a hidden staging folder next to
    ``path``. Only when every partition succeeded are the files moved into
    place and ``_SUCCESS`` written; a failure leaves ``path`` as it was
    (a commit killed half-way is undone, or completed past its commit
    point, by the next reader or writer: see :mod:`partframe.io.commit`).
    ``_SUCCESS`` is a manifest of the files: partframe's readers read
    exactly the version they planned on, and ``overwrite=True`` keeps the
    replaced version hidden for a while for them (config
    ``retain_seconds``, ``retain_versions``; :mod:`partframe.io.snapshot`).
    ``overwrite=True`` refuses a folder holding files that no dataset
    write put there, naming them.

    Parameters
    ----------
    df : partframe.DataFrame
    path : str
        Destination folder (any fsspec URL).
    partition_on : str or list, optional
        Columns to split into hive ``col=value`` folders, encoded as
        ``pyarrow.dataset`` encodes them (see :mod:`partframe.io.hive`):
        the value as text, URL-escaped (``city=New%20York``,
        ``path=a%2Fb``), nulls as ``__HIVE_DEFAULT_PARTITION__``; the
        column name escaped too (and a leading ``_`` or ``.``). No value
        can name a folder outside ``path``; pyarrow, pandas and
        :func:`read_parquet` give the same values back (as text, or as
        integers when all are). Refused before anything is committed
        (``ValueError``): the text ``__HIVE_DEFAULT_PARTITION__`` (it would
        read back as null) and two values of one column with the same text
        (``1`` and ``"1"``).
    overwrite : bool, default False
        Replace the destination (after the new data is written; data the
        same graph reads is deleted only after it was read).
    append : bool, default False
        Add files to an existing dataset with the same schema; every schema
        difference is listed before anything is written.
    compression : str, default "snappy"
    write_index : bool, default True
        Store the index as column(s), an unnamed one as
        ``__index_level_0__`` (as pandas names it): :func:`read_parquet`,
        pandas and Dask give the labels back. ``False``: the reader numbers
        the rows from 0.
    name_function : callable, optional
        ``name_function(i) -> str``: file name of partition ``i``.
    compute : bool, default True
        Write now (returns None), or return a lazy Scalar that writes and
        commits when computed.
    storage_options, filesystem
        As in :func:`read_parquet`.
    scheduler
        The scheduler used when ``compute=True``.
    compute_kwargs : dict, optional
        Options of ``compute()`` used when ``compute=True`` (a scheduler
        may be given here or as ``scheduler=``, not both).
    schema : "infer", None, dict or pyarrow.Schema, default "infer"
        The Arrow schema every file is written with. "infer" (or None):
        from the dtypes, and for ``object`` columns (dates, Decimals,
        dicts, lists...: their dtype says nothing of the values) from the
        data, as pandas' ``to_parquet`` does: partitions are computed in
        order until each object column has a non-null value (**this
        computes those partitions once more**; give their types to avoid
        it). A dict ``{column: pyarrow type}`` sets the types of those
        columns (the others are inferred). A ``pyarrow.Schema`` is used as
        pandas uses it: exactly its fields are written (``partition_on``
        columns are dropped from it).
    engine : {"pyarrow", "auto"}, default "pyarrow"
        As in pandas; partframe writes with pyarrow.
    **kwargs
        Passed to ``pyarrow.parquet.write_table`` (``row_group_size``...).

    Examples
    --------
    >>> import pandas as pd, partframe
    >>> df = partframe.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)
    >>> partframe.to_parquet(df, "memory://doc/out")
    >>> sorted(p.rsplit("/", 1)[1] for p in __import__("fsspec").filesystem(
    ...     "memory").ls("/doc/out", detail=False))
    ['_SUCCESS', 'part.0.parquet', 'part.1.parquet']
    >>> partframe.read_parquet("memory://doc/out").x.sum().compute()
    np.int64(6)
    """
    from .commit import compute_options, new_job, run_write
    from .nodes import CommitWrite, WritePartitions

    _check_engine("to_parquet", engine)
    _check_writer_options(kwargs)
    options = compute_options("to_parquet", scheduler, compute_kwargs)
    fs, (dest,) = get_fs(as_url(path), storage_options, filesystem)
    partition_on = (
        [partition_on] if isinstance(partition_on, str) else list(partition_on or [])
    )
    meta = df._meta
    missing = [c for c in partition_on if c not in meta.columns]
    if missing:
        raise KeyError(f"partition_on column(s) {missing} not in the DataFrame")
    job = new_job(fs, dest, overwrite, append, suffixes=(".parquet", ".parq", ".pq"))
    data_meta = meta.drop(columns=partition_on) if partition_on else meta
    if write_index is None:
        # Every index is stored as column(s), an unnamed RangeIndex too (as
        # ``__index_level_0__``, Dask's choice): a partition's labels are not
        # the row numbers of the dataset (a partition of a stepped range, a
        # filtered frame), and pandas, pyarrow and Dask read them back from
        # the column.
        write_index = True
    _check_column_names(data_meta)
    check_name_function("to_parquet", name_function)
    schema = write_schema(df, data_meta, write_index, partition_on, schema, options)
    if any(_untyped(t) for t in schema.types):
        schema = None  # a column with no type at all: let each partition infer
    offset = 0
    if append:
        offset = _check_append(fs, dest, schema, data_meta, write_index, partition_on)
    name_function = name_function or default_parquet_name
    names = [str(name_function(i + offset)) for i in range(df.npartitions)]
    check_unique_names("to_parquet", names, offset)
    kw = {"compression": compression, **kwargs}
    writes = WritePartitions(
        df.expr, "parquet", job, names, (partition_on, write_index, schema, kw)
    )
    out = new_collection(CommitWrite(writes, job))
    if not compute:
        return out
    run_write(out, job, options)
    return None


def _check_engine(function: str, engine: Any) -> None:
    """pandas' ``engine=``: partframe has pyarrow only."""
    if engine not in ("auto", "pyarrow"):
        raise NotImplementedError(
            f"{function}: engine={engine!r} is not supported; partframe reads "
            "and writes Parquet with pyarrow (engine='pyarrow')"
        )


def _check_writer_options(kwargs: dict) -> None:
    """The keywords passed on to ``pyarrow.parquet.write_table`` must be
    its own: an unknown one (Dask's ``write_metadata_file=``...) raises
    here, before anything runs, not in every write task."""
    import inspect

    import pyarrow.parquet as pq

    known = set(inspect.signature(pq.write_table).parameters) | set(
        inspect.signature(pq.ParquetWriter.__init__).parameters
    )
    known -= {"self", "table", "where", "schema", "filesystem", "kwargs", "options"}
    unknown = sorted(k for k in kwargs if k not in known)
    if unknown:
        raise TypeError(
            f"to_parquet() got an unexpected keyword argument {unknown[0]!r} "
            f"(unknown: {unknown}); keywords other than partframe's own are "
            "passed to pyarrow.parquet.write_table, which does not take it"
        )


def _check_column_names(meta: pd.DataFrame) -> None:
    """Parquet stores column names as strings: other names (pyarrow
    converts them with only a warning) would not read back as they were."""
    bad = [c for c in meta.columns if not isinstance(c, str)]
    if bad:
        raise ValueError(
            f"to_parquet: Parquet needs string column names; the DataFrame has "
            f"non-string column names {bad} (they would be read back as "
            "strings). Rename them first, e.g. "
            "df.columns = [str(c) for c in df.columns]"
        )


def write_schema(
    df: Any,
    meta: pd.DataFrame,
    write_index: bool,
    partition_on: list,
    schema: Any,
    options: dict,
) -> Any:
    """The Arrow schema ``to_parquet`` writes every partition with.

    The dtypes give the types of all columns but ``object`` ones (and
    object index levels), whose values can be anything (str, date,
    Decimal, dict, list...). Those types come from the user's ``schema``
    dict, or from the data as pandas infers them: partitions are computed
    in order until each such column has a value that is not null (a
    column null everywhere stays of type null, as in pandas). One schema
    for all files keeps the dataset readable as one table.
    """
    import pyarrow as pa

    if isinstance(schema, pa.Schema):
        # as pandas: exactly these fields (the hive columns are folder names)
        return pa.schema(
            [f for f in schema if f.name not in partition_on], schema.metadata
        )
    if schema is not None and schema != "infer" and not isinstance(schema, dict):
        raise TypeError(
            "to_parquet: schema= takes 'infer', None, a dict {column: pyarrow "
            f"type}} or a pyarrow.Schema; got {type(schema).__name__}"
        )
    given = dict(schema) if isinstance(schema, dict) else {}
    base = pa.Schema.from_pandas(meta_nonempty(meta), preserve_index=write_index)
    unknown = [c for c in given if c not in base.names and c not in partition_on]
    if unknown:
        raise KeyError(
            f"to_parquet: schema= names column(s) {unknown} that the DataFrame "
            f"does not have; its columns are {list(meta.columns)}"
        )
    md = base.pandas_metadata or {}
    entries = {e["field_name"]: e for e in md.get("columns", [])}
    todo = [
        name
        for name, e in entries.items()
        if e.get("numpy_type") == "object" and name not in given
    ]
    found: dict[str, Any] = {}
    for i in range(df.npartitions if todo else 0):
        part = df.get_partition(i).compute(**options)
        part = part.drop(columns=partition_on) if partition_on else part
        try:
            sample = pa.Schema.from_pandas(part, preserve_index=write_index)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            e.add_note(
                f"partframe: to_parquet infers the Arrow types of the object "
                f"columns {todo} from the data; partition {i} has values pyarrow "
                "cannot convert. Convert the column(s), or pass their types "
                "as schema={column: pyarrow type}"
            )
            raise
        sample_entries = {
            e["field_name"]: e for e in sample.pandas_metadata.get("columns", [])
        }
        for name in todo:
            typ = sample.field(name).type if name in sample.names else pa.null()
            if pa.types.is_decimal128(typ):
                # A sample's precision is that of its largest value, a bound
                # of the storage only (pandas reads Decimals back whatever it
                # is): the widest one keeps larger values of later partitions.
                typ = pa.decimal128(38, typ.scale)
            if not pa.types.is_null(typ):
                found[name] = typ
                entries[name] = sample_entries[name]
        todo = [n for n in todo if n not in found]
        if not todo:
            break
    for name, typ in {**found, **given}.items():
        if name in partition_on:
            continue
        j = base.get_field_index(name)
        base = base.set(j, base.field(j).with_type(typ))
    if found and md:
        md = {**md, "columns": [entries[e["field_name"]] for e in md["columns"]]}
        base = base.with_metadata({**base.metadata, b"pandas": json.dumps(md).encode()})
    return base


def _untyped(typ: Any) -> bool:
    """Does an Arrow type say nothing of its values (null, or a dictionary of
    nulls: a categorical without categories)?"""
    import pyarrow as pa

    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    return bool(pa.types.is_null(typ))


def _check_append(
    fs: Any, dest: str, schema: Any, meta: Any, write_index: Any, partition_on: list
) -> int:
    """Compare the new data with the existing dataset; return the name offset."""
    import pyarrow as pa

    if not fs.exists(dest):
        return 0
    try:
        files, _ = expand_paths(fs, [dest])
    except FileNotFoundError:
        return 0
    if not files:
        return 0
    existing = _read_footer(fs, files[0]).schema.to_arrow_schema()
    new = schema or pa.Schema.from_pandas(meta, preserve_index=write_index)
    diffs = schema_differences(
        existing.remove_metadata(), new.remove_metadata(), ("existing data", "new data")
    )
    old_parts = [name for name, _ in parse_path(files[0], dest)]
    if old_parts != list(partition_on):
        diffs.append(f"partition_on is {partition_on} but the data has {old_parts}")
    if diffs:
        raise SchemaMismatchError(
            f"append=True: the new data does not match {dest!r}: "
            + "; ".join(diffs)
            + ". Nothing was written."
        )
    nums = []
    for f in files:
        name = f.rsplit("/", 1)[-1]
        parts = name.split(".")
        if len(parts) >= 3 and parts[0] == "part" and parts[1].isdigit():
            nums.append(int(parts[1]))
    return max(nums) + 1 if nums else len(files)
