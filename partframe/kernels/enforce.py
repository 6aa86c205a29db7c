"""Partitions made by user functions, checked against the plan's meta.

A node that runs a user function (``map_partitions``, ``apply(axis=1)``,
``map``) declares its result's schema up front: the ``meta=`` the user gave,
or what the function returned on a small stand-in. Everything downstream
(projections, merges, the final concat) trusts that schema, so a partition
that disagrees must be caught where it is made, not as a ``KeyError`` in
another task or as a column of the wrong dtype in the result.

:func:`check_partition` runs on every such partition. The common case, the
schema matches, costs two comparisons: the column Index (identity, then
``equals``) and the list of dtypes. Differences that lose nothing are
repaired, the rest raise:

- a Series with another name is renamed (as Dask does);
- the meta's columns in another order are put in the meta's order;
- a dtype that differs is cast to the meta's only when the cast is exact
  (casting back gives the same values: ``int64`` to ``float64`` below 2**53,
  anything to ``object``, ``datetime64[us]`` to ``[ns]``); a lossy or
  impossible cast (``NaN`` into ``int64``, ``1.5`` into ``int64``, a
  string into a number) raises, except that
- where the meta was inferred (from a stand-in without missing values),
  int or bool values that hold missing values as ``float64`` or ``object``
  (pandas' own widening: ``str.len()`` over missing strings), or that were
  widened alike with partitions holding them (their values cast back
  exactly), are kept: the final concat widens the whole result exactly as
  pandas does for the whole data;
- an empty partition is the meta itself (pandas often guesses another
  schema on empty input, and there are no values to lose);
- other columns, or a Series where the meta is a DataFrame, raise a
  ``ValueError``/``TypeError`` naming the function, the partition, the
  differences, and the ``meta=`` that describes what the function returned.

Examples
--------
>>> meta = pd.DataFrame({"a": pd.Series([], dtype="float64")})
>>> check = MetaCheck(meta, "map_partitions(f)")
>>> check_partition(check, 0, pd.DataFrame({"a": [1, 2]})).dtypes.tolist()
[dtype('float64')]
>>> check_partition(check, 1, pd.DataFrame({"b": [1.0]}))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: map_partitions(f) returned columns ... missing ['a'], extra ['b']. ...
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
from pandas.core.dtypes.dtypes import BaseMaskedDtype

__all__ = [
    "MetaCheck",
    "check_partition",
    "conform",
    "frame_dtypes",
    "masked_widened",
    "missing_widened",
    "widened_by_missing",
]


def missing_widened(narrow: Any, wide: Any) -> bool:
    """Whether pandas makes ``wide`` of ``narrow`` values when some are
    missing: numpy ints to ``float64``, bools to ``object`` (or float64).

    Examples
    --------
    >>> missing_widened(np.dtype("int64"), np.dtype("float64"))
    True
    >>> missing_widened(np.dtype("float64"), np.dtype("int64"))
    False
    """
    if not isinstance(narrow, np.dtype) or not isinstance(wide, np.dtype):
        return False
    if narrow.kind in "iu":
        return wide == np.float64
    return narrow.kind == "b" and wide.kind in "Of"


def masked_widened(narrow: Any, wide: Any) -> bool:
    """Whether ``wide`` is a masked float dtype that a masked int ``narrow``
    becomes where pandas combines it with floats (a group function that
    gives ``Int64`` on a group of missing values and ``Float64`` on others).

    Examples
    --------
    >>> masked_widened(pd.Int64Dtype(), pd.Float64Dtype())
    True
    >>> masked_widened(pd.Float64Dtype(), pd.Int64Dtype())
    False
    """
    return (
        isinstance(narrow, BaseMaskedDtype)
        and isinstance(wide, BaseMaskedDtype)
        and narrow.kind in "iu"
        and wide.kind == "f"
    )


def _pandas_widened(values: Any, want: Any, exact: Any) -> bool:
    """Whether ``values`` hold what missing values make of ``want``'s:
    missing values here, or values that cast back exactly (``exact``, not
    None) in a partition widened alike with others that hold them (an
    accessor pandas decides for the whole column). Kept widened."""
    if not missing_widened(want, values.dtype) or not len(values):
        return False
    return exact is not None or bool(values.isna().any())


def widened_by_missing(values: Any, want: Any) -> bool:
    """Whether ``values`` hold what missing values make of ``want``'s dtype
    (:func:`missing_widened`): missing values here, or values that cast
    back exactly (a column widened alike with partitions holding them).
    Such values keep their dtype: pandas gives it to the whole data.

    Examples
    --------
    >>> widened_by_missing(pd.Series([1.0, None]), np.dtype("int64"))
    True
    >>> widened_by_missing(pd.Series([1.5]), np.dtype("int64"))
    False
    """
    return _pandas_widened(values, want, _exact_cast(values, want))


def conform(part: Any, meta: Any) -> Any:
    """``part`` with the columns, dtypes, name and index dtype of ``meta``,
    for partitions that partframe made itself (concat of differing frames,
    shuffle pieces read back from Arrow, join results).

    Missing columns are added as missing values and dtypes are cast, as
    ``pandas.concat`` does when inputs differ. Ints or bools that pandas
    widened because some values are missing (:func:`missing_widened`) stay
    widened: the final concat widens the whole column as pandas does for
    the whole data, where casting back would fail (``NaN`` into ``int64``).
    An index that cannot be cast keeps its dtype. Partitions made by user
    functions are checked by :func:`check_partition` instead.

    Examples
    --------
    >>> meta = pd.DataFrame({"x": pd.Series([], dtype=float),
    ...                      "y": pd.Series([], dtype=object)})
    >>> conform(pd.DataFrame({"x": [1]}), meta).dtypes.tolist()
    [dtype('float64'), dtype('O')]
    >>> conform(pd.Series([1.0, None]), pd.Series([], dtype="int64")).dtype
    dtype('float64')
    """
    if isinstance(meta, pd.DataFrame):
        if isinstance(part, pd.Series):
            part = part.to_frame(0 if part.name is None else part.name)
        if not part.columns.equals(meta.columns):
            part = part.reindex(columns=meta.columns)
        want = frame_dtypes(meta)
        bad = [i for i, (a, b) in enumerate(zip(frame_dtypes(part), want)) if a != b]
        if bad:
            part = part.copy(deep=False)
            for i in bad:
                part.isetitem(i, _cast_unless_widened(part.iloc[:, i], want[i]))
    else:
        if part.dtype != meta.dtype:
            part = _cast_unless_widened(part, meta.dtype)
        if part.name != meta.name:
            part = part.rename(meta.name)
    if part.index.nlevels == 1 and part.index.dtype != meta.index.dtype:
        with contextlib.suppress(TypeError, ValueError):
            part = part.set_axis(part.index.astype(meta.index.dtype), axis=0)
    return part


def _cast_unless_widened(values: pd.Series, dtype: Any) -> pd.Series:
    if missing_widened(dtype, values.dtype) and values.hasnans:
        return values
    return values.astype(dtype)


# ``DataFrame.dtypes`` builds a Series on every call; the block manager's
# ``get_dtypes`` answers the same list as a plain array, many times faster.
# It is not public API: if it is missing or answers something else, the
# check switches to ``DataFrame.dtypes`` for good.
_FAST_DTYPES = True


def frame_dtypes(df: pd.DataFrame) -> list:
    """The dtypes of ``df``'s columns, in order, as a list.

    Examples
    --------
    >>> frame_dtypes(pd.DataFrame({"a": [1], "b": ["x"]}))[0]
    dtype('int64')
    """
    global _FAST_DTYPES
    if _FAST_DTYPES:
        try:
            out = df._mgr.get_dtypes()
            if isinstance(out, np.ndarray) and len(out) == df.shape[1]:
                return out.tolist()
        except Exception:
            pass
        _FAST_DTYPES = False
    return list(df.dtypes)


class MetaCheck:
    """What :func:`check_partition` compares a partition with, built once per node.

    ``meta`` is the node's empty pandas object and ``label`` says which user
    function made the partition (``"map_partitions(normalize)"``). The
    meta's dtypes are listed here once, not in every task. ``inferred``:
    the meta comes from calling the function on a stand-in without missing
    values (not from the user's ``meta=``), so ints and bools that pandas
    widens where values are missing are kept widened.
    """

    __slots__ = ("dtypes", "inferred", "label", "meta")

    def __init__(self, meta: Any, label: str, inferred: bool = False) -> None:
        self.meta = meta
        self.label = label
        self.inferred = inferred
        if isinstance(meta, pd.DataFrame):
            self.dtypes: Any = frame_dtypes(meta)
        elif isinstance(meta, pd.Series | pd.Index):
            self.dtypes = meta.dtype
        else:
            self.dtypes = None

    def __reduce__(self) -> tuple:
        return (MetaCheck, (self.meta, self.label, self.inferred))

    def __repr__(self) -> str:
        return f"MetaCheck({self.label})"


def check_partition(check: MetaCheck, partition: int, out: Any) -> Any:
    """``out``, the ``partition``-th result of a user function, made to match
    ``check.meta`` where that is exact; otherwise a clear error.

    Examples
    --------
    >>> check = MetaCheck(pd.Series([], dtype="int64", name="n"), "map(f)")
    >>> check_partition(check, 0, pd.Series([1, 2], name="m")).name
    'n'
    """
    meta = check.meta
    if isinstance(meta, pd.DataFrame):
        if not isinstance(out, pd.DataFrame):
            return _wrong_kind(check, partition, out)
        if out.columns is not meta.columns and not out.columns.equals(meta.columns):
            if len(out) == 0:
                return _empty_like(meta, out)
            out = _reorder_columns(check, partition, out)
        if frame_dtypes(out) != check.dtypes:
            out = _cast_columns(check, partition, out)
        return out
    if isinstance(meta, pd.Series | pd.Index):
        if not isinstance(out, pd.Series if isinstance(meta, pd.Series) else pd.Index):
            return _wrong_kind(check, partition, out)
        if out.dtype != check.dtypes:
            out = _cast_values(check, partition, out)
        if isinstance(out, pd.Series) and out.name != meta.name:
            out = out.rename(meta.name)
    return out


def _empty_like(meta: Any, out: Any) -> Any:
    """The meta as an empty partition, keeping ``out``'s (empty) index."""
    result = meta.copy()
    index = getattr(out, "index", None)
    if isinstance(index, pd.Index) and len(index) == 0:
        if not isinstance(index, pd.MultiIndex) or isinstance(
            meta.index, pd.MultiIndex
        ):
            result.index = index
    return result


def _kind(x: Any) -> str:
    if isinstance(x, pd.DataFrame):
        return f"a DataFrame with columns {list(x.columns)}"
    if isinstance(x, pd.Series):
        return f"a Series of dtype {x.dtype}"
    if isinstance(x, pd.Index):
        return f"an Index of dtype {x.dtype}"
    return f"a {type(x).__name__}"


def _meta_hint(out: Any) -> str:
    """A ``meta=`` describing ``out``, to paste into the user's call."""
    if isinstance(out, pd.DataFrame):
        desc = {c: str(t) for c, t in zip(out.columns, frame_dtypes(out))}
        text = repr(desc)
        return text if len(text) <= 200 else text[:197] + "...}"
    if isinstance(out, pd.Series):
        return repr((out.name, str(out.dtype)))
    return "an empty pandas object of the right type"


def _fix(out: Any) -> str:
    return (
        f"Pass meta= describing what the function returns (here meta="
        f"{_meta_hint(out)}), or make the function return the meta's schema"
    )


def _wrong_kind(check: MetaCheck, partition: int, out: Any) -> Any:
    if isinstance(out, pd.DataFrame | pd.Series | pd.Index) and len(out) == 0:
        return _empty_like(check.meta, out)
    raise TypeError(
        f"{check.label} returned {_kind(out)} in partition {partition}, but its "
        f"meta is {_kind(check.meta)}. {_fix(out)}"
    )


def _reorder_columns(check: MetaCheck, partition: int, out: pd.DataFrame) -> Any:
    meta_cols = check.meta.columns
    if (
        meta_cols.is_unique
        and out.columns.is_unique
        and len(out.columns) == len(meta_cols)
        and out.columns.isin(meta_cols).all()
    ):
        # The same labels in another order: selecting by label is exact.
        return out[meta_cols]
    missing = [c for c in meta_cols if c not in out.columns]
    extra = [c for c in out.columns if c not in meta_cols]
    detail = (
        f"missing {missing}, extra {extra}"
        if missing or extra
        else f"{list(out.columns)} where the meta has {list(meta_cols)}"
    )
    raise ValueError(
        f"{check.label} returned columns that differ from the meta in partition "
        f"{partition}: {detail}. {_fix(out)}"
    )


def _exact_cast(values: Any, dtype: Any) -> Any:
    """``values.astype(dtype)`` when casting back gives the same values, else
    ``None``."""
    try:
        with np.errstate(all="ignore"):
            cast = values.astype(dtype)
            back = cast.astype(values.dtype)
    except Exception:
        return None
    if len(values) == 0 or back.equals(values):
        return cast
    return None


def _cast_columns(check: MetaCheck, partition: int, out: pd.DataFrame) -> Any:
    have = frame_dtypes(out)
    cast: dict = {}
    bad = []
    for i, (col, got, want) in enumerate(zip(out.columns, have, check.dtypes)):
        if got == want:
            continue
        values = _exact_cast(out.iloc[:, i], want)
        if check.inferred and _pandas_widened(out.iloc[:, i], want, values):
            continue
        if values is None:
            bad.append(f"{col!r}: {got} (meta: {want})")
        else:
            cast[i] = values
    if bad:
        raise ValueError(
            f"{check.label} returned dtypes that differ from the meta in partition "
            f"{partition} and cannot be cast exactly: {', '.join(bad)}. {_fix(out)}"
        )
    out = out.copy(deep=False)
    for i, values in cast.items():
        out.isetitem(i, values)
    return out


def _cast_values(check: MetaCheck, partition: int, out: Any) -> Any:
    values = _exact_cast(out, check.dtypes)
    if check.inferred and _pandas_widened(out, check.dtypes, values):
        return out
    if values is None:
        raise ValueError(
            f"{check.label} returned dtype {out.dtype} in partition {partition}, "
            f"which cannot be cast exactly to the meta's {check.dtypes}. {_fix(out)}"
        )
    return values
