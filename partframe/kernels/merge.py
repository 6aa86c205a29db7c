"""Task functions of joins: one partition of a merge or join.

A partition of a join runs pandas' own ``merge``/``join`` on its two
inputs, or the unique-right join kernel (``kernels/join.py``) when it
applies, and casts the result to the plan's dtypes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .elementwise import cast_alike
from .enforce import conform
from .gather import RowGather, worth_gathering
from .join import unique_right_plan


def merge_partitions(
    left: Any,
    right: Any,
    op: str,
    kwargs: dict[str, Any],
    meta: Any,
    deferred: bool = False,
    cast: bool = True,
) -> Any:
    """One partition of a join, cast to ``meta``'s dtypes (unless not
    ``cast``: then as pandas makes it; ``meta`` names the columns).

    ``deferred``: when the join kernel applies, return its
    :class:`~partframe.kernels.gather.RowGather` (the partition not built
    yet; the final concat of a compute builds all of them at once) when it
    keeps enough of ``left`` to be worth holding it (``worth_gathering``).
    """
    if kwargs.get("how") == "leftsemi":
        out = _semi(left, right, kwargs)
    elif op == "merge" and cast and meta is not None and _no_rows(left, right, kwargs):
        return meta.iloc[:0].set_axis(pd.RangeIndex(0), axis=0)
    elif (
        op == "merge"
        and (plan := unique_right_plan(left, right, kwargs, _columns(meta))) is not None
    ):
        if deferred and worth_gathering(plan.nrows, len(left)):
            return _deferred(plan, meta if cast else None)
        out = plan.frame()
    elif op == "join":
        out = left.join(right, **kwargs)
    else:
        out = pd.merge(left, right, **kwargs)
    return _as_meta(out, meta) if cast else out


def _no_rows(left: Any, right: Any, kwargs: dict[str, Any]) -> bool:
    """Whether a merge on columns has no row: a side it keeps only matches
    of is empty. pandas then gives an empty frame with a ``RangeIndex``,
    which the cast makes ``meta``; building it through ``pandas.merge``
    costs milliseconds, on every empty partition of a filtered side."""
    if kwargs.get("left_index") or kwargs.get("right_index"):
        return False
    how = kwargs.get("how", "inner")
    return (not len(left) and how in ("inner", "left", "cross")) or (
        not len(right) and how in ("inner", "right", "cross")
    )


def _deferred(plan: Any, meta: Any) -> Any:
    """The join kernel's gather, its extension columns built, with
    ``meta``'s dtypes (cast at the source, or built and cast)."""
    plan = plan.numpy_deferred()
    if meta is None or plan.dtypes == list(meta.dtypes):
        return plan
    cast = plan.astype(list(meta.dtypes))
    return _as_meta(plan.frame(), meta) if cast is None else cast


def _as_meta(out: Any, meta: Any) -> Any:
    """``out`` cast to ``meta``'s dtypes when it has ``meta``'s columns."""
    if meta is not None and list(out.columns) == list(meta.columns):
        return conform(out, meta)
    return out


def _columns(meta: Any) -> Any:
    return None if meta is None else meta.columns


def _semi(left: Any, right: Any, kwargs: dict[str, Any]) -> Any:
    """Rows of ``left`` with a match in ``right``, each once, in order."""
    if not len(left) or not len(right):
        return left.iloc[:0]
    lkeys = _keys(left, kwargs.get("left_on"), kwargs.get("left_index"))
    rkeys = _keys(right, kwargs.get("right_on"), kwargs.get("right_index"))
    return left[_has_match(lkeys, rkeys)]


def _has_match(keys: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """Which rows of ``keys`` equal some row of ``other`` (key frames with
    columns ``0, 1, ...``; a missing key meets a missing key, as in
    ``pandas.merge``)."""
    if not len(keys) or not len(other):
        return np.zeros(len(keys), dtype=bool)
    a = pd.MultiIndex.from_frame(keys) if keys.shape[1] > 1 else pd.Index(keys[0])
    b = pd.MultiIndex.from_frame(other) if other.shape[1] > 1 else pd.Index(other[0])
    return np.asarray(a.isin(b.set_names(a.names)), dtype=bool)


def broadcast_matches(
    big: Any, small: Any, big_on: list[Any], small_on: list[Any]
) -> Any:
    """Which rows of the broadcast ``small`` side have a match in ``big``
    (one partition of the other side)."""
    return _has_match(_keys(small, small_on, False), _keys(big, big_on, False))


def unmatched_rows(
    masks: list[Any], small: Any, big: Any, kwargs: dict[str, Any], meta: Any, side: str
) -> Any:
    """The rows of the broadcast side ``small`` that no partition matched
    (``masks``: one per partition), joined with the empty ``big`` as
    ``pandas.merge`` does for rows without a match, cast to ``meta``."""
    rows = small[~any_matched(masks)] if masks else small
    out = (
        pd.merge(big, rows, **kwargs)
        if side == "right"
        else pd.merge(rows, big, **kwargs)
    )
    return _as_meta(out, meta)


def any_matched(masks: list[Any]) -> Any:
    """The rows matched by any of ``masks``."""
    return np.logical_or.reduce(masks)


def _keys(df: Any, on: Any, index: bool | None) -> pd.DataFrame:
    if index:
        idx = df.index
        return pd.DataFrame(
            {i: idx.get_level_values(i) for i in range(idx.nlevels)},
            index=pd.RangeIndex(len(df)),
        )
    cols = on if isinstance(on, list) else [on]
    return pd.DataFrame(
        {i: df[c].array for i, c in enumerate(cols)}, index=pd.RangeIndex(len(df))
    )


def missing_flags(part: Any, columns: list[Any], index: bool) -> np.ndarray:
    """Which of ``columns`` (positions), then the index when ``index``, have
    a missing value in ``part`` (a frame, or a join kernel's
    :class:`~partframe.kernels.gather.RowGather` not built yet: its own
    columns have none, so only rows it fills are missing)."""
    if isinstance(part, RowGather):
        flags = [part.columns[j].fill for j in columns]
        return np.array(flags + [False] * index, dtype=bool)
    flags = [bool(part.iloc[:, j].isna().any()) for j in columns]
    if index:
        flags.append(bool(part.index.isna().any()))
    return np.array(flags, dtype=bool)


def narrow_if_complete(
    part: Any,
    flags: np.ndarray,
    columns: list[Any],
    index: bool,
    meta: Any,
    complete: Any,
) -> Any:
    """``part`` cast to ``meta``, except the ``columns`` (and the index) in
    which no partition has a missing value (``flags``: any partition's),
    cast to ``complete``'s dtypes."""
    target = list(meta.dtypes)
    for j, missing in zip(columns, flags):
        if not missing:
            target[j] = complete.dtypes.iloc[j]
    if isinstance(part, RowGather):
        if part.dtypes == target:
            return part
        cast = part.astype(target)
        if cast is not None:
            return cast
        part = part.frame()
    shape = meta.iloc[:0].astype(dict(zip(meta.columns, target)))
    if index and not flags[-1]:
        shape.index = shape.index.astype(complete.index.dtype)
    return conform(part, shape)


def cast_joined_alike(
    part: Any, left_flags: Any, right_flags: Any, sources: dict, wide: dict, kept: dict
) -> Any:
    """A join's partition with each watched column cast to ``wide`` where
    some input column it comes from (``sources``: ``{column: [(side,
    input column), ...]}``, side 0 left, 1 right) was widened in some
    input partition (the sides' :func:`~.elementwise.upcast_flags`), else
    to ``kept``: the decision pandas makes for the whole inputs, which an
    inner join's partitions, having lost the rows with missing values,
    cannot make.

    Examples
    --------
    >>> part = pd.DataFrame({"k": [1], "v": [2]})
    >>> cast_joined_alike(part, {"k": True}, {}, {"k": [(0, "k")]},
    ...                   {"k": "float64"}, {"k": "int64"}).dtypes.tolist()
    [dtype('float64'), dtype('int64')]
    """
    sides = (left_flags, right_flags)
    flags = {
        col: any(sides[side].get(c, False) for side, c in inputs)
        for col, inputs in sources.items()
    }
    return cast_alike(part, flags, wide, kept)
