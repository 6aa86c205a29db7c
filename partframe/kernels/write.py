"""Write kernels: one partition into its job's staging folder, and the commit.

Every function here runs inside a task of a write
(:class:`~partframe.io.nodes.WritePartitions`,
:class:`~partframe.io.nodes.CommitWrite`): a partition is written as
Parquet (one file, or one per hive folder) or CSV under a name that
depends only on the partition, so a task that runs twice leaves one copy;
:func:`concat_staged` joins staged CSV pieces into one file;
:func:`commit_task` moves the staged files into place
(:mod:`partframe.io.commit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..io.commit import commit_output
from ..io.hive import folders
from .estimate import distinct_total

__all__ = [
    "commit_task",
    "concat_staged",
    "dictionary_columns",
    "write_csv_partition",
    "write_parquet_partition",
]


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


def commit_task(job: Any, written: list) -> list[str]:
    return commit_output(job, written)
