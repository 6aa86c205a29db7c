"""Parquet through pyarrow and fsspec: ``read_parquet`` and ``to_parquet``.

``read_parquet`` normalises and checks its arguments, plans the dataset
once, when the collection is built (:class:`~partframe.io.parquet_plan.ParquetDataset`:
the files listed, hidden ``_x``/``.x`` names skipped, every footer read,
one schema, pieces of whole row groups), and builds the one read node
(:class:`~partframe.io.nodes.ReadParquet`), which takes the columns a
query needs and the filters the optimizer pushes into it.

Writing is in :mod:`partframe.io.parquet_write`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..collection._core import new_collection
from ..kernels.partitions import parse_bytes
from .parquet_plan import (
    ParquetDataset,
    SchemaMismatchError,
    check_engine,
    planned_dataset,
)
from .parquet_write import to_parquet
from .paths import expand_paths, get_fs
from .snapshot import plan_consistently

__all__ = ["ParquetDataset", "SchemaMismatchError", "read_parquet", "to_parquet"]


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
        holding None, ``not in`` one without), as in pyarrow. Without an
        index column the rows kept are numbered 0..n-1, as in pandas.
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

    check_engine("read_parquet", engine)
    fs, paths = get_fs(path, storage_options, filesystem)
    if isinstance(blocksize, str):
        blocksize = parse_bytes(blocksize)

    def plan() -> ParquetDataset | None:
        files, roots = expand_paths(fs, paths, "Parquet file", empty_folders=True)
        if not files:
            return None
        return planned_dataset(
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
    dnf = _normalize_filters(filters)
    out = new_collection(ReadParquet(dataset, cols, dnf))
    if dnf and not dataset.index:
        # pandas numbers the rows the filters keep 0..n-1 across the whole
        # result; a piece knows only its own count of them
        out = out._reset_index(True, None)
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
