"""``to_parquet``: a DataFrame written as a folder of Parquet files.

The facade checks the arguments and the destination, decides the one Arrow
schema every file is written with (:func:`write_schema`), checks an
append against the existing dataset, and builds the write's two nodes
(:class:`~partframe.io.nodes.WritePartitions`,
:class:`~partframe.io.nodes.CommitWrite`). Writing follows the output
commit protocol of :mod:`partframe.io.commit`.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..collection._core import new_collection
from ..expr.meta import meta_nonempty
from .hive import parse_path
from .parquet_plan import (
    SchemaMismatchError,
    check_engine,
    read_footer,
    schema_differences,
)
from .paths import as_url, check_name_function, check_unique_names, expand_paths, get_fs

__all__ = ["to_parquet", "write_schema"]


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
    from .commit_job import compute_options, new_job, run_write
    from .nodes import CommitWrite, WritePartitions

    check_engine("to_parquet", engine)
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
    found, sampled = _object_types(df, todo, write_index, partition_on, options)
    entries.update(sampled)
    for name, typ in {**found, **given}.items():
        if name in partition_on:
            continue
        j = base.get_field_index(name)
        base = base.set(j, base.field(j).with_type(typ))
    if found and md:
        md = {**md, "columns": [entries[e["field_name"]] for e in md["columns"]]}
        base = base.with_metadata({**base.metadata, b"pandas": json.dumps(md).encode()})
    return base


def _object_types(
    df: Any, todo: list, write_index: bool, partition_on: list, options: dict
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Arrow types of the object columns ``todo`` as pandas infers them
    from the data, and their pandas metadata entries: partitions are
    computed in order (with the ``compute()`` ``options``) until each
    column has a value that is not null. A column null everywhere is
    left out."""
    import pyarrow as pa

    found: dict[str, Any] = {}
    entries: dict[str, Any] = {}
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
    return found, entries


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
    existing = read_footer(fs, files[0]).schema.to_arrow_schema()
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
