"""Kernels of the elementwise methods: module-level, pandas in, pandas out.

Projection pushdown may hand a kernel a partition with *fewer* columns than
the plan's meta lists (only the columns a later step uses are read), so
kernels that take per-column arguments (``astype`` with a dict, renaming)
ignore the columns a partition does not hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .keys import range_offsets

__all__ = [
    "Whole",
    "accessor_attr",
    "accessor_call",
    "any_upcast",
    "apply_rows",
    "apply_values",
    "astype_columns",
    "call_nonempty",
    "cast_alike",
    "concat_whole",
    "distinct_chunk",
    "distinct_combine",
    "eval_frame",
    "fillna_whole",
    "frame_series_op",
    "isin_whole",
    "map_elements",
    "map_values",
    "query_frame",
    "rename_columns",
    "rename_index",
    "rename_series_index",
    "split_expand",
    "upcast_flags",
]


class Whole:
    """A whole (all partitions concatenated) pandas object, passed to every
    partition of another frame as one argument.

    Wrapping it keeps the partition-wise machinery from treating it as a
    partitioned input that must be aligned.

    Examples
    --------
    >>> Whole(pd.Series([1, 2])).value.tolist()
    [1, 2]
    """

    __slots__ = ("_lookup", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self._lookup: Any = None

    def __reduce__(self) -> tuple:
        return (Whole, (self.value,))

    def __repr__(self) -> str:
        return f"Whole({type(self.value).__name__}, len={len(self.value)})"


def concat_whole(parts: list) -> Whole:
    """Concatenate partitions into one object wrapped in :class:`Whole`.

    Examples
    --------
    >>> concat_whole([pd.Series([1]), pd.Series([2])]).value.tolist()
    [1, 2]
    """
    nonempty = [p for p in parts if len(p)]
    if not nonempty:
        return Whole(parts[0])
    return Whole(pd.concat(nonempty) if len(nonempty) > 1 else nonempty[0])


def fillna_whole(obj: Any, value: Whole, **kwargs: Any) -> Any:
    """``obj.fillna(value, **kwargs)`` where ``value`` is a whole pandas object.

    Examples
    --------
    >>> fillna_whole(pd.Series([1.0, None]), Whole(pd.Series([5.0, 6.0]))).tolist()
    [1.0, 6.0]
    """
    return obj.fillna(value.value, **kwargs)


def isin_whole(obj: Any, values: Whole) -> Any:
    """``obj.isin(values)`` where ``values`` is a whole Series.

    Integers are looked up in a table of flags over the values' range
    (built once per whole object and shared by the partitions that run in
    this process), when that range is small: a few times faster than
    pandas' hash table, and what every semi-join filter of integer keys
    asks.

    Examples
    --------
    >>> isin_whole(pd.Series([1, 5, 9]), Whole(pd.Series([5, 6]))).tolist()
    [False, True, False]
    """
    if isinstance(obj, pd.Series) and isinstance(obj.dtype, np.dtype):
        if obj.dtype.kind in "iu" and len(obj):
            lookup = values._lookup
            if lookup is None:
                lookup = values._lookup = _int_flags(values.value) or False
            if lookup:
                return pd.Series(
                    _flags_at(obj.to_numpy(), *lookup),
                    index=obj.index,
                    name=obj.name,
                    copy=False,
                )
    return obj.isin(values.value)


# the largest range of integer values looked up in a table of flags
_MAX_FLAGS = 1 << 26


def _int_flags(values: Any) -> tuple[int, np.ndarray] | None:
    """``(low, flags)``: ``flags[v - low]`` is True for each of the integer
    ``values``; None for other values or a range over :data:`_MAX_FLAGS`."""
    if not isinstance(values, pd.Series | pd.Index) or not len(values):
        return None
    v = values.to_numpy()
    if not isinstance(v, np.ndarray) or v.dtype.kind not in "iu":
        return None
    lo, hi = int(v.min()), int(v.max())
    if hi - lo >= _MAX_FLAGS or hi >= 2**63:
        return None
    flags = np.zeros(hi - lo + 1, dtype=bool)
    flags[v.astype("int64") - lo] = True
    return lo, flags


def _flags_at(x: np.ndarray, lo: int, flags: np.ndarray) -> np.ndarray:
    """Whether each integer of ``x`` is one whose flag is set."""
    offsets, inside = range_offsets(x, lo, lo + len(flags) - 1)
    out = flags[offsets]
    if inside is not None:
        out &= inside
    return out


def index_mask(index: pd.Index, method: str, *args: Any) -> pd.Index:
    """``index.<method>(*args)`` (``isna``, ``notna``, ``isin``: pandas gives
    a NumPy array) as a boolean Index, so that a partition of a lazy boolean
    array is a pandas object, partitioned as the index it comes from. A
    :class:`Whole` argument is passed as its value."""
    values = [a.value if isinstance(a, Whole) else a for a in args]
    return pd.Index(getattr(index, method)(*values), dtype=bool)


def index_str_mask(index: pd.Index, attr: str, args: tuple, kwargs: dict) -> pd.Index:
    """``index.str.<attr>(*args, **kwargs)`` where pandas gives a NumPy
    array of bools (``startswith``, ``contains``...), as a boolean Index
    (see :func:`index_mask`).

    Examples
    --------
    >>> index_str_mask(pd.Index(["ab", "b"]), "startswith", ("a",), {}).tolist()
    [True, False]
    """
    return pd.Index(getattr(index.str, attr)(*args, **kwargs), dtype=bool)


def frame_series_op(
    frame: pd.DataFrame, series: Whole, op: Any, reflect: bool, kwargs: dict
) -> pd.DataFrame:
    """``op(frame, series)`` where pandas aligns the whole ``series``' labels
    with the frame's columns; ``op`` is an operator or a method name.

    The plan's schema assumes the Series' labels are the frame's columns
    (as for a reduction of the frame: ``df - df.mean()``); other labels would
    add, drop or reorder the result's columns depending on values known only
    when the task runs, so they raise.

    Examples
    --------
    >>> import operator
    >>> df = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    >>> s = Whole(pd.Series({"x": 1, "y": 3}))
    >>> frame_series_op(df, s, operator.sub, False, {}).values.tolist()
    [[0, 0], [1, 1]]
    """
    s = series.value
    if not s.index.equals(frame.columns):
        raise ValueError(
            f"a partframe DataFrame with columns {list(frame.columns)} was combined "
            f"with a lazy Series whose labels are {list(s.index)[:20]}: pandas "
            "aligns the Series' labels with the columns, and partframe needs them "
            "to be the frame's columns (in order) to know the result's columns "
            "when the plan is built. Select the matching labels, or compute() the "
            "Series first"
        )
    if isinstance(op, str):
        return getattr(frame, op)(s, **kwargs)
    return op(s, frame) if reflect else op(frame, s)


def map_values(
    s: pd.Series, mapping: Any, na_action: str | None, dtype: Any = None
) -> pd.Series:
    """``s.map(mapping, na_action)``, cast to ``dtype`` when given.

    The cast makes every partition agree with the plan's meta: pandas' own
    result dtype depends on whether all keys were found.

    Examples
    --------
    >>> map_values(pd.Series([1, 2]), {1: 10}, None, "float64").tolist()
    [10.0, nan]
    """
    if isinstance(mapping, Whole):
        mapping = mapping.value
    out = s.map(mapping, na_action=na_action)
    if dtype is not None and out.dtype != dtype:
        out = out.astype(dtype)
    return out


# -- dtypes pandas decides from the values ----------------------------------
#
# pandas upcasts a column where a value it cannot hold is put in (``clip``
# to 2.5 on integers), and keeps the dtype where none is. Partitions made as
# pandas makes them may then differ; these kernels flag which watched
# columns some partition upcast and cast every partition alike, as pandas
# decides for the whole data. ``kept`` maps each watched column to the
# dtype pandas keeps, ``wide`` to the upcast one (one dtype for a Series).


def upcast_flags(part: Any, kept: Any) -> Any:
    """Which watched columns of ``part`` pandas upcast from ``kept``
    (a ``{column: bool}`` dict; a bool for a Series).

    Examples
    --------
    >>> part = pd.DataFrame({"a": [1.5], "b": [2]})
    >>> upcast_flags(part, {"a": "int64", "b": "int64"})
    {'a': True, 'b': False}
    """
    if not len(part):
        # no values: the dtype pandas gives empty input decides nothing
        return {} if isinstance(kept, dict) else False
    if isinstance(part, pd.Series):
        return bool(part.dtype != kept)
    flags: dict = {}
    for col, dtype in zip(part.columns, part.dtypes):
        if col in kept:
            flags[col] = flags.get(col, False) or bool(dtype != kept[col])
    return flags


def any_upcast(partials: list) -> Any:
    """The flags of :func:`upcast_flags` OR-ed over partitions.

    Examples
    --------
    >>> any_upcast([{"a": False}, {"a": True}]), any_upcast([False, False])
    ({'a': True}, False)
    """
    if not partials or not isinstance(partials[0], dict):
        return any(partials)
    out: dict = {}
    for flags in partials:
        for col, flag in flags.items():
            out[col] = out.get(col, False) or flag
    return out


def cast_alike(part: Any, flags: Any, wide: Any, kept: Any) -> Any:
    """``part`` with each watched column cast to ``wide`` where some
    partition upcast it (``flags``), else to ``kept``.

    Examples
    --------
    >>> part = pd.DataFrame({"a": [1], "b": [2]})
    >>> cast_alike(part, {"a": True}, {"a": "float64"}, {"a": "int64"}).dtypes.tolist()
    [dtype('float64'), dtype('int64')]
    """
    if isinstance(part, pd.Series):
        target = wide if flags else kept
        return part if part.dtype == target else part.astype(target)
    cast = {}
    for col, dtype in zip(part.columns, part.dtypes):
        if col in wide:
            target = wide[col] if flags.get(col) else kept[col]
            if dtype != target:
                cast[col] = target
    return part.astype(cast) if cast else part


def astype_columns(df: pd.DataFrame, dtypes: dict, errors: str) -> pd.DataFrame:
    """``df.astype(dtypes)`` for the keys of ``dtypes`` that ``df`` holds.

    Examples
    --------
    >>> astype_columns(pd.DataFrame({"a": [1]}), {"a": "float64", "b": "str"},
    ...                "raise").dtypes.tolist()
    [dtype('float64')]
    """
    present = {k: v for k, v in dtypes.items() if k in df.columns}
    return df.astype(present, errors=errors) if present else df


def rename_columns(df: pd.DataFrame, mapping: dict) -> pd.DataFrame:
    """``df.rename(columns=mapping)``; keys absent from ``df`` are ignored.

    Examples
    --------
    >>> rename_columns(pd.DataFrame({"a": [1]}), {"a": "b", "z": "y"}).columns.tolist()
    ['b']
    """
    return df.rename(columns=mapping)


def rename_index(df: pd.DataFrame, index: Any) -> pd.DataFrame:
    """``df.rename(index=index)`` with a mapping or function of the labels."""
    return df.rename(index=index)


def rename_series_index(s: pd.Series, index: Any) -> pd.Series:
    """``s.rename(index)`` with a mapping or function of the index labels."""
    return s.rename(index)


def query_frame(df: pd.DataFrame, expr: str, kwargs: dict) -> pd.DataFrame:
    """``df.query(expr, **kwargs)``.

    Examples
    --------
    >>> query_frame(pd.DataFrame({"a": [1, 2]}), "a > @v", {"local_dict": {"v": 1}})
       a
    1  2
    """
    return df.query(expr, **kwargs)


def eval_frame(df: pd.DataFrame, expr: str, kwargs: dict) -> Any:
    """``df.eval(expr, **kwargs)``.

    Examples
    --------
    >>> eval_frame(pd.DataFrame({"a": [1, 2]}), "b = a * 2", {}).b.tolist()
    [2, 4]
    """
    return df.eval(expr, **kwargs)


def apply_rows(df: pd.DataFrame, func: Any, args: tuple, options: dict) -> Any:
    """``df.apply(func, axis=1, args=args, **options)``.

    Examples
    --------
    >>> apply_rows(pd.DataFrame({"a": [1, 2]}), sum, (), {}).tolist()
    [1, 2]
    """
    return df.apply(func, axis=1, args=args, **options)


def apply_values(s: pd.Series, func: Any, args: tuple, options: dict) -> Any:
    """``s.apply(func, args=args, **options)``."""
    return s.apply(func, args=args, **options)


def map_elements(obj: Any, func: Any, na_action: str | None, kwargs: dict) -> Any:
    """``obj.map(func, na_action=na_action, **kwargs)`` (a function of each element)."""
    return obj.map(func, na_action=na_action, **kwargs)


def call_nonempty(func: Any, meta: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(obj, *args, **kwargs)``, or ``meta`` when ``obj`` is empty.

    On empty input pandas often guesses a different schema (no columns, an
    object dtype); the plan already knows the right one from a non-empty
    stand-in, so an empty partition returns it.

    Examples
    --------
    >>> meta = pd.Series([], dtype="int64")
    >>> call_nonempty(len, meta, pd.Series([], dtype="float64")).dtype
    dtype('int64')
    """
    if len(obj) == 0 and isinstance(meta, pd.DataFrame | pd.Series):
        out = meta.copy()
        if not isinstance(obj.index, pd.MultiIndex) or isinstance(
            meta.index, pd.MultiIndex
        ):
            out.index = obj.index
        return out
    # The result is checked against ``meta`` (renamed, cast where exact) by
    # :func:`partframe.kernels.enforce.check_partition`, which wraps this call.
    return func(obj, *args, **kwargs)


def accessor_attr(obj: Any, accessor: str, attr: str) -> Any:
    """``obj.<accessor>.<attr>``: a property such as ``s.dt.year``.

    Examples
    --------
    >>> accessor_attr(pd.Series(pd.to_datetime(["2024-05-01"])), "dt", "month").tolist()
    [5]
    """
    return getattr(getattr(obj, accessor), attr)


def accessor_call(obj: Any, accessor: str, attr: str, *args: Any, **kwargs: Any) -> Any:
    """``obj.<accessor>.<attr>(*args, **kwargs)``, e.g. ``s.str.upper()``.

    Examples
    --------
    >>> accessor_call(pd.Series(["ab"]), "str", "upper").tolist()
    ['AB']
    """
    return getattr(getattr(obj, accessor), attr)(*args, **kwargs)


def split_expand(s: pd.Series, method: str, kwargs: dict, meta: pd.DataFrame) -> Any:
    """``s.str.split(..., expand=True)`` with exactly the columns of ``meta``.

    A partition whose rows split into fewer pieces gets the missing columns
    as missing values, so all partitions agree.
    """
    out = getattr(s.str, method)(expand=True, **kwargs)
    out = out.reindex(columns=meta.columns)
    return out.astype(meta.dtypes.to_dict())


def distinct_chunk(obj: Any, columns: list | None) -> list:
    """Distinct non-missing values of each column (a Series: of itself), in
    order of appearance: one Series per column.

    Examples
    --------
    >>> [v.tolist() for v in distinct_chunk(pd.Series([2, None, 1, 2]), None)]
    [[2.0, 1.0]]
    """
    series = [obj] if columns is None else [obj[c] for c in columns]
    return [s.dropna().drop_duplicates() for s in series]


def distinct_combine(parts: list) -> list:
    """Merge :func:`distinct_chunk` results in order (first appearance kept).

    Examples
    --------
    >>> a, b = pd.Series([3, 1]), pd.Series([1, 2])
    >>> distinct_combine([[a], [b]])[0].tolist()
    [3, 1, 2]
    """
    out = []
    for j in range(len(parts[0])):
        pieces = [p[j] for p in parts]
        nonempty = [p for p in pieces if len(p)]
        if not nonempty:
            out.append(pieces[0])
        elif len(nonempty) == 1:
            out.append(nonempty[0])
        else:
            out.append(pd.concat(nonempty, ignore_index=True).drop_duplicates())
    return out
