"""Rows of a Parquet piece that the filters above its reader rule out.

The optimizer pushes the terms ``(column, op, value)`` of a row filter into
the reader below it (``ReadParquet.pushed``). The filter stays in the plan
and decides which rows are kept, exactly as pandas does; the reader uses the
terms to read less: row groups whose statistics rule them out are skipped
(planning time), and inside the row groups it reads, rows that no term
combination can keep are dropped in Arrow before the conversion to pandas
(this module), so a selective filter converts and copies only the rows it
keeps.

A row is dropped only where Arrow's comparison is known to agree with
pandas': a term is used when the column's Arrow type and its pandas dtype
are of one kind (integer, float, bool, string, timestamp of one time zone)
and the value is a scalar of that kind; a null comparison keeps the row.
Any other term (categories, decimals, mixed kinds, missing values in the
term, a comparison Arrow refuses) keeps every row: the filter above still
drops them.

String columns that a file stores with a small dictionary (a few distinct
values: flags, modes, segments) are read as Arrow dictionary arrays: a term
is then compared once per distinct value and gathered by the codes, and only
the rows kept are decoded to strings (:func:`decode_dictionaries`, before
pandas sees the table, so dtypes are those of a plain read).
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COMPARISONS", "decode_dictionaries", "dictionary_columns", "rows_kept"]

# a dictionary page at most this large cannot be one a writer gave up on
# (pyarrow falls back to plain pages past 1 MiB): every page uses its codes;
# and one at most half the column's bytes holds few distinct values
_SMALL_DICTIONARY = 64 * 1024

_KINDS = {"i": "int", "u": "int", "f": "float", "b": "bool", "M": "time"}


def rows_kept(table: Any, dnf: list, meta: pd.DataFrame) -> np.ndarray | None:
    """Positions of the rows of ``table`` that may satisfy one conjunction
    of ``dnf`` (``None``: every row may).

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"x": [1.0, 5.0, 3.0, None]})
    >>> meta = pd.DataFrame({"x": pd.Series([], dtype="float64")})
    >>> rows_kept(t, [[("x", ">", 2)]], meta)
    array([1, 2, 3])
    >>> rows_kept(t, [[("x", ">", "a")]], meta) is None  # not comparable
    True
    """
    result = None
    for conj in dnf:
        mask = None
        for col, op, value in conj:
            m = _term_mask(table, meta, col, op, value)
            if m is not None:
                mask = m if mask is None else mask & m
        if mask is None:
            return None  # a conjunction that may keep every row
        result = mask if result is None else result | mask
    if result is None:
        return None
    kept = np.flatnonzero(result)
    return None if len(kept) == len(result) else kept


def dictionary_columns(pf: Any, row_groups: list | None, columns: list) -> list:
    """The string ``columns`` of the ``pyarrow.parquet.ParquetFile`` ``pf``
    that every row group read (None: all) stores with a small dictionary
    (few distinct values: reading their codes is cheaper than the strings)."""
    import pyarrow as pa

    schema = pf.schema_arrow
    md = pf.metadata
    paths = {md.schema.column(j).path: j for j in range(md.num_columns)}
    groups = range(md.num_row_groups) if row_groups is None else row_groups
    out = []
    for col in columns:
        if col not in paths or schema.get_field_index(col) < 0:
            continue
        typ = schema.field(col).type
        if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
            continue
        j = paths[col]
        for g in groups:
            chunk = md.row_group(g).column(j)
            start = chunk.dictionary_page_offset
            if not chunk.has_dictionary_page or start is None:
                break
            size = chunk.data_page_offset - start
            if size > _SMALL_DICTIONARY or 2 * size > chunk.total_compressed_size:
                break
        else:
            if groups:
                out.append(col)
    return out


def decode_dictionaries(table: Any, coded: list) -> Any:
    """``table`` with its columns ``coded`` (read as dictionaries by
    :func:`dictionary_columns`) decoded to strings again."""
    import pyarrow as pa

    fields = table.schema
    for col in coded:
        i = fields.get_field_index(col)
        f = fields.field(i)
        chunks = table.column(i).chunks
        decoded = [_decode_fixed_width(c) for c in chunks]
        if all(d is not None for d in decoded):
            column = pa.chunked_array(decoded, type=f.type.value_type)
        else:
            column = table.column(i).cast(f.type.value_type)
        table = table.set_column(i, f.with_type(f.type.value_type), column)
    return table


def _decode_fixed_width(arr: Any) -> Any:
    """A dictionary array of strings that all have one length (flags,
    status letters, codes), without nulls, decoded by numpy: the rows'
    bytes are the dictionary's bytes, as a matrix of one row per value,
    taken at the indices; ``None`` for any other array (Arrow's cast
    decodes it). Twice as fast as the cast, which builds the offsets and
    copies value by value."""
    import pyarrow as pa

    d = arr.dictionary
    if (
        arr.null_count
        or arr.offset
        or d.null_count
        or not pa.types.is_string(d.type)
        or not len(d)
        or not pa.types.is_integer(arr.indices.type)
    ):
        return None
    offsets = np.frombuffer(d.buffers()[1], dtype=np.int32)[
        d.offset : d.offset + len(d) + 1
    ]
    lengths = np.diff(offsets)
    width = int(lengths[0])
    n = len(arr)
    if not 0 < width <= 32 or (lengths != width).any() or width * (n + 1) >= 2**31:
        return None
    raw = np.frombuffer(d.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    values = raw[start : start + width * len(d)].reshape(len(d), width)
    index = arr.indices.to_numpy(zero_copy_only=True)
    data = values[index].ravel()
    row_offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(row_offsets), pa.py_buffer(data))


def _term_mask(
    table: Any, meta: pd.DataFrame, col: Any, op: str, value: Any
) -> np.ndarray | None:
    """Booleans, true where the row may satisfy ``col op value`` (null
    counted as true), or ``None`` when the term cannot be used."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if col not in table.column_names or col not in meta.columns:
        return None
    arr = table.column(col)
    if pa.types.is_dictionary(arr.type):
        return _coded_mask(arr, meta, col, op, value)
    kind = _kind(arr.type, meta[col].dtype)
    if kind is None:
        return None
    values = list(value) if op in ("in", "not in") else [value]
    if not values or not all(_fits(kind, v, arr.type) for v in values):
        return None
    try:
        if op in ("in", "not in"):
            scalars = pa.array([_scalar(kind, v, arr.type) for v in values])
            if scalars.type != arr.type:
                scalars = scalars.cast(arr.type)  # safe: raises on loss
            m = pc.is_in(arr, value_set=scalars)
            m = pc.invert(m) if op == "not in" else m
        else:
            if op not in COMPARISONS:
                return None
            fast = _numpy_mask(arr, kind, op, values[0])
            if fast is not None:
                return fast
            func = getattr(pc, COMPARISONS[op][1])
            m = func(arr, _scalar(kind, values[0], arr.type))
    except (
        pa.ArrowInvalid,
        pa.ArrowNotImplementedError,
        TypeError,
        ValueError,
        OverflowError,
    ):
        return None
    return np.asarray(pc.fill_null(m, True).to_numpy(zero_copy_only=False), bool)


#: Each comparison of a term: numpy's function and Arrow's compute name.
COMPARISONS = {
    "==": (np.equal, "equal"),
    "=": (np.equal, "equal"),
    "!=": (np.not_equal, "not_equal"),
    "<": (np.less, "less"),
    "<=": (np.less_equal, "less_equal"),
    ">": (np.greater, "greater"),
    ">=": (np.greater_equal, "greater_equal"),
}


def _numpy_mask(arr: Any, kind: str, op: str, value: Any) -> np.ndarray | None:
    """A comparison of a column without nulls done by numpy on the Arrow
    buffers (no copy, no bitmap to unpack); ``None`` where Arrow must do it
    (nulls, time zones, a time not exact in the column's unit)."""
    if arr.null_count or kind not in ("int", "float", "time"):
        return None
    if kind == "time":
        if arr.type.tz is not None:
            return None
        try:
            value = pd.Timestamp(value).as_unit(arr.type.unit, round_ok=False)
        except (ValueError, OverflowError):
            return None
        value = value.to_datetime64()
    elif isinstance(value, np.generic):
        value = value.item()
    func = COMPARISONS[op][0]
    try:
        parts = [func(c.to_numpy(zero_copy_only=True), value) for c in arr.chunks]
    except (TypeError, ValueError, OverflowError):
        return None
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def _coded_mask(
    arr: Any, meta: pd.DataFrame, col: Any, op: str, value: Any
) -> np.ndarray | None:
    """The mask of a term on a dictionary column: the term on each chunk's
    dictionary, gathered by the chunk's codes (a null code keeps its row)."""
    import pyarrow as pa

    parts = []
    for chunk in arr.chunks:
        words = pa.table({col: chunk.dictionary})
        on_words = _term_mask(words, meta, col, op, value)
        if on_words is None:
            return None
        codes = chunk.indices
        if codes.null_count:
            filled = codes.fill_null(len(chunk.dictionary))
            on_words = np.append(on_words, True)
            codes = filled
        parts.append(on_words[codes.to_numpy()])
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def _kind(typ: Any, dtype: Any) -> str | None:
    """The kind shared by an Arrow type and a pandas dtype, else None."""
    import pyarrow as pa

    if isinstance(dtype, pd.CategoricalDtype):
        return None  # compared by the categories' order, not the values'
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        strings = isinstance(dtype, pd.StringDtype) or dtype.kind == "O"
        return "str" if strings else None
    if isinstance(dtype, pd.DatetimeTZDtype):
        ok = pa.types.is_timestamp(typ) and typ.tz is not None
        return "time" if ok and str(typ.tz) == str(dtype.tz) else None
    kind = _KINDS.get(getattr(dtype, "kind", ""))
    if kind is None:
        return None
    arrow = {
        "int": pa.types.is_integer,
        "float": pa.types.is_floating,
        "bool": pa.types.is_boolean,
        "time": lambda t: pa.types.is_timestamp(t) and t.tz is None,
    }[kind]
    return kind if arrow(typ) else None


def _fits(kind: str, value: Any, typ: Any) -> bool:
    """Is ``value`` a non-missing scalar that compares with a ``kind`` column
    in Arrow as in pandas?"""
    if isinstance(value, bool | np.bool_):
        return kind == "bool"
    if kind in ("int", "float"):
        ok = isinstance(value, int | float | np.integer | np.floating)
        return ok and not pd.isna(value)
    if kind == "str":
        return isinstance(value, str)
    if kind == "time":
        if not isinstance(value, pd.Timestamp | np.datetime64 | datetime.datetime):
            return False
        ts = pd.Timestamp(value)
        return not pd.isna(ts) and (ts.tz is None) == (typ.tz is None)
    return False


def _scalar(kind: str, value: Any, typ: Any) -> Any:
    import pyarrow as pa

    if kind == "time":
        # nanoseconds since the epoch in UTC, in the column's time zone:
        # the same instant, no precision lost
        nanos = pd.Timestamp(value).as_unit("ns").value
        return pa.scalar(nanos, type=pa.timestamp("ns", tz=typ.tz))
    if isinstance(value, np.generic):
        value = value.item()
    return pa.scalar(value)
