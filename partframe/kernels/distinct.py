"""Kernels of distinct-value reductions: value_counts, nunique, mode, unique.

Module-level pure functions (see :mod:`partframe.kernels.reductions` for the
chunk/combine/aggregate protocol). A partial is, per column, value counts
in order of first appearance, so memory is bounded by the number of
distinct values, not of rows, and results keep pandas' order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .enforce import missing_widened
from .group_call import PART, POS
from .reductions import _as_frame, _like, _live
from .selection import drop_columns

__all__ = [
    "mode_aggregate",
    "nunique_aggregate",
    "unique_aggregate",
    "unique_chunk",
    "unique_combine",
    "value_counts_aggregate",
    "vc_chunk",
    "vc_combine",
]


# -- distinct values: value_counts, nunique, mode, unique ---------------------
#
# A value-count partial is one Series per column: counts (int64) indexed by
# the distinct values, in pandas' own ``value_counts(sort=False)`` order of
# the partition. Merging keeps the first appearance of every value across
# partitions (partials arrive in partition order), so memory is bounded by
# the number of distinct values and the order is the data's order.


def _counts_of(s: pd.Series, dropna: bool) -> pd.Series:
    counts = s.value_counts(sort=False, dropna=dropna)
    return pd.Series(
        np.asarray(counts, dtype="int64"), index=counts.index, name=None, copy=False
    )


def vc_chunk(part: Any, dropna: bool = False) -> Any:
    """Value counts of each column of ``part``, in order of appearance.

    Examples
    --------
    >>> [p.to_dict() for p in vc_chunk(pd.Series(["b", "a", "b"]))]
    [{'b': 2, 'a': 1}]
    """
    df = _as_frame(part)
    if len(df) == 0:
        return None
    return [_counts_of(df.iloc[:, j], dropna) for j in range(df.shape[1])]


def _merge_counts(series: list) -> pd.Series:
    """Sum counts of equal values; keep the order of first appearance."""
    if len(series) == 1:
        return series[0]
    if all(s.index.dtype == object for s in series):
        return _merge_object_counts(series)
    both = pd.concat(series)
    codes, uniques = pd.factorize(both.index, use_na_sentinel=False)
    out = np.zeros(len(uniques), dtype="int64")
    np.add.at(out, codes, both.to_numpy())
    if not isinstance(uniques, pd.Index):
        uniques = pd.Index(uniques)
    return pd.Series(out, index=uniques.astype(both.index.dtype), copy=False)


def _merge_object_counts(series: list) -> pd.Series:
    """:func:`_merge_counts` of object-dtype values, as pandas keys them.

    pandas' value_counts keeps None, NaN and NA apart in object data (each
    is its own label) where ``factorize`` folds them into one NaN, and
    ``concat`` of object indexes infers a dtype ([2.5] and [None] become
    float64 [2.5, nan]): the labels are joined as objects and keyed by
    value_counts' own distinct values.
    """
    labels = pd.Index(
        np.concatenate([np.asarray(s.index, dtype=object) for s in series]),
        dtype=object,
    )
    uniques = pd.Series(labels).value_counts(sort=False, dropna=False).index
    out = np.zeros(len(uniques), dtype="int64")
    np.add.at(
        out, uniques.get_indexer(labels), np.concatenate([s.to_numpy() for s in series])
    )
    return pd.Series(out, index=pd.Index(uniques, dtype=object), copy=False)


def vc_combine(partials: list) -> Any:
    """Merge value-count partials column by column (partition order)."""
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    return [_merge_counts([p[j] for p in live]) for j in range(len(live[0]))]


def _pandas_order(counts: pd.Series, dtype: Any, name: Any, dropna: bool) -> pd.Series:
    """``counts`` in the order pandas' ``value_counts(sort=False)`` gives.

    pandas puts missing values at their first appearance for numpy and
    string data but last for nullable and categorical data; categorical
    data come in category order. Running pandas on the distinct values
    (each once) reproduces whichever order it uses.
    """
    values = pd.Series(counts.index, dtype=dtype, name=name)
    order = values.value_counts(sort=False, dropna=dropna)
    if len(order) == len(counts) and order.index.equals(counts.index):
        out = counts
    else:
        out = counts.iloc[counts.index.get_indexer(order.index)]
    out = out.set_axis(order.index)
    return out


def value_counts_aggregate(
    partials: list,
    empty: pd.Series,
    kwargs: dict,
    dtype: Any,
) -> pd.Series:
    """Finish ``Series.value_counts``: pandas' stable sort on merged counts.

    Examples
    --------
    >>> a, b = vc_chunk(pd.Series([1, 2])), vc_chunk(pd.Series([2, 3, 3]))
    >>> value_counts_aggregate([a, b], pd.Series([], dtype="int64"), {}, "int64")
    2    2
    3    2
    1    1
    Name: count, dtype: int64
    """
    merged = vc_combine(partials)
    if merged is None:
        return empty.value_counts(**kwargs)
    dropna = kwargs.get("dropna", True)
    values_dtype = empty.dtype
    if missing_widened(values_dtype, merged[0].index.dtype):
        # ints that a partition holds widened by missing values: pandas
        # counts the whole widened column
        values_dtype = merged[0].index.dtype
    counts = _pandas_order(merged[0], values_dtype, empty.name, dropna)
    result = pd.Series(
        counts.to_numpy(), index=counts.index, name="count", copy=False
    ).astype(dtype)
    result.index.name = empty.name
    if kwargs.get("sort", True):
        result = result.sort_values(
            ascending=kwargs.get("ascending", False), kind="stable"
        )
    if kwargs.get("normalize", False):
        result = result / result.sum()
        result.name = "proportion"
    return result


def _observed(counts: pd.Series, dropna: bool) -> pd.Series:
    """Values seen at least once (categories may carry zero counts)."""
    keep = counts.to_numpy() > 0
    if dropna:
        keep &= ~np.asarray(counts.index.isna())
    return counts[keep]


def nunique_aggregate(
    partials: list, empty: Any, dropna: bool = True, like: Any = None
) -> Any:
    """Finish ``nunique``: the number of distinct values seen per column.

    Examples
    --------
    >>> parts = [vc_chunk(pd.Series([1.0, None])), vc_chunk(pd.Series([1.0, 2.0]))]
    >>> nunique_aggregate(parts, pd.Series([], dtype="float64"))
    2
    """
    merged = vc_combine(partials)
    if merged is None:
        return empty.nunique(dropna=dropna)
    values = [len(_observed(c, dropna)) for c in merged]
    if isinstance(empty, pd.Series):
        return _like(values[0], like)
    return pd.Series(values, index=empty.columns, dtype="int64")


def _series_mode(counts: pd.Series, empty: pd.Series, dropna: bool) -> pd.Series:
    seen = _observed(counts, dropna)
    if len(seen) == 0:
        return empty.mode(dropna=dropna)
    top = seen[seen.to_numpy() == seen.to_numpy().max()]
    # Each modal value once: pandas' own mode returns them all, sorted and
    # typed exactly as it would on the full data.
    values = pd.Series(top.index, dtype=empty.dtype, name=empty.name)
    return values.mode(dropna=dropna)


def mode_aggregate(partials: list, empty: Any, dropna: bool = True) -> Any:
    """Finish ``mode`` from merged value counts (``dropna=False`` partials).

    Examples
    --------
    >>> parts = [vc_chunk(pd.Series([3, 1])), vc_chunk(pd.Series([1, 3, 2]))]
    >>> mode_aggregate(parts, pd.Series([], dtype="int64")).tolist()
    [1, 3]
    """
    merged = vc_combine(partials)
    if merged is None:
        return empty.mode(dropna=dropna)
    if isinstance(empty, pd.Series):
        return _series_mode(merged[0], empty, dropna)
    modes = {j: _series_mode(c, empty.iloc[:, j], dropna) for j, c in enumerate(merged)}
    # DataFrame.mode is ``apply(Series.mode)``: columns padded with NaN.
    out = pd.DataFrame(modes)
    out.columns = empty.columns
    return out


def unique_chunk(part: pd.Series) -> Any:
    """The distinct values of a partition, in order of first appearance."""
    if len(part) == 0:
        return None
    return part.drop_duplicates()


def unique_combine(partials: list) -> Any:
    """Distinct values of several partials, first appearance first."""
    live = _live(partials)
    if len(live) <= 1:
        return live[0] if live else None
    return pd.concat(live).drop_duplicates()


def unique_aggregate(partials: list, empty: pd.Series) -> Any:
    """Finish ``Series.unique``: pandas' own array type for the dtype.

    Examples
    --------
    >>> parts = [unique_chunk(pd.Series([2, 1, 2])), unique_chunk(pd.Series([3, 1]))]
    >>> unique_aggregate(parts, pd.Series([], dtype="int64"))
    array([2, 1, 3])
    """
    merged = unique_combine(partials)
    if merged is None:
        return empty.unique()
    return merged.unique()


def dedup_partition(df: pd.DataFrame, cols: list, keep: Any) -> pd.DataFrame:
    """Drop duplicates of one shuffled partition (rows are in input order)."""
    if len(df) < 2:
        return df
    order = df[[PART, POS]]
    if len(df) > 1:
        part, pos = order[PART].to_numpy(), order[POS].to_numpy()
        if not (
            (part[1:] > part[:-1]) | ((part[1:] == part[:-1]) & (pos[1:] > pos[:-1]))
        ).all():
            import numpy as np

            df = df.iloc[np.lexsort((pos, part))]
    return df.drop_duplicates(subset=cols, keep=keep)


def dedup_untagged(df: pd.DataFrame, cols: list, keep: Any) -> pd.DataFrame:
    """:func:`dedup_partition`, then without the tag columns (the rows stay
    in the partition of their key)."""
    return drop_columns(dedup_partition(df, cols, keep), [PART, POS])


def count_values(df: pd.DataFrame, name: Any, kw: dict) -> pd.Series:
    return df["__pf_value"].rename(name).value_counts(**kw)


def length_series(part: Any) -> pd.Series:
    return pd.Series([len(part)], dtype="int64")
