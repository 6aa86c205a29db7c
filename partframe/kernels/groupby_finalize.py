"""The result of a groupby aggregation from its last partials.

Each output column is made from the partials as the plan says (a sum as
it is, a mean as sum / count, var/std/sem from the moments, nunique by
counting distinct pairs ...), sorted by key when ``sort=True``, then given
the exact dtypes, index names and labels of the meta, pandas' own result
on a stand-in frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .enforce import missing_widened
from .group_reduce import run_codes
from .groupby import GroupByPlan, distinct_pair_rows, groupby_chunk
from .groupby_combine import disjoint_ascending, groupby_combine
from .keys import (
    factorize_columns,
    group_ids,
    index_frame,
    index_sorted_positions,
)

__all__ = [
    "cast_index",
    "groupby_finalize",
    "reset_index_objects",
    "sort_order",
]


def _output(
    kind: str, args: tuple, main: pd.DataFrame, parts: dict, distinct: set
) -> Any:
    """One result column, an entry ``(kind, args)`` of the plan's
    ``outputs``, from the merged partials (``main`` is ``parts["main"]``,
    whose index holds every group; ``distinct``: the nunique columns whose
    pairs hold no repeated row)."""
    if kind == "col":
        return main[args[0]]
    if kind == "mean":
        s, c = main[args[0]], main[args[1]]
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / c
    if kind in ("var", "std", "sem"):
        return _spread(kind, main, *args)
    if kind == "nunique":
        col = args[0]
        return _nunique(parts[("nu", col)], main.index, col in distinct)
    if kind in ("idxmin", "idxmax"):
        df = parts[("idx", args[0])]
        res = df["i"].reindex(main.index)
        if res.isna().any() and len(df) < len(main):
            raise ValueError(
                f"{kind} with skipna=True encountered all NA values in a group."
            )
        return res
    if kind == "custom":
        pid, agg = args
        df = parts[("custom", pid)].reindex(main.index)
        cols = [df[j] for j in df.columns]
        if agg.finalize is None:
            return cols[0]
        return agg.finalize(*cols)
    raise ValueError(f"unknown output kind {kind!r}")


def _spread(kind: str, main: pd.DataFrame, pid: str, ddof: int) -> pd.Series:
    """var, std or sem (``kind``) from the merged ``(n, mean, M2)``
    moments of partial ``pid``."""
    n = main[pid + "n"].to_numpy(dtype="float64")
    m2 = main[pid + "v"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n - ddof > 0, m2 / (n - ddof), np.nan)
        var = np.where(var < 0, 0.0, var)
        if kind == "var":
            res = var
        elif kind == "std":
            res = np.sqrt(var)
        else:
            res = np.sqrt(var) / np.sqrt(n)
    return pd.Series(res, index=main.index)


def _nunique(pairs: pd.DataFrame, index: pd.Index, distinct: bool) -> pd.Series:
    """The number of distinct values of every group of ``index`` from the
    ``(keys..., "v")`` rows ``pairs`` (0 for a group without); ``distinct``:
    no row of ``pairs`` is repeated (one partial's pairs), else repeated
    rows (the same pair from several partials) count once."""
    keycols = list(range(len(pairs.columns) - 1))
    if distinct and len(keycols) == 1 and index.nlevels == 1:
        runs = run_codes(pairs[0].to_numpy())
        if runs is not None:  # keys in ascending order (sorted partials)
            codes, uniques = runs
            if index.equals(pd.Index(uniques)):
                return pd.Series(np.bincount(codes).astype("int64"), index=index)
    counts = _distinct_counts(pairs, index, distinct)
    if counts is not None:
        return pd.Series(counts, index=index)
    if not distinct:
        pairs = pairs.drop_duplicates(ignore_index=True)
    counts = pairs.groupby(
        keycols if len(keycols) > 1 else keycols[0],
        sort=False,
        dropna=False,
        observed=True,
    )["v"].size()
    if index.nlevels > 1:
        # MultiIndex.reindex does not match missing keys: number the
        # groups of both key sets together instead
        left = index_frame(index)
        right = index_frame(counts.index)
        both = pd.concat([left, right], ignore_index=True)
        codes = (
            both.groupby(list(both.columns), sort=False, dropna=False)
            .ngroup()
            .to_numpy()
        )
        total = np.zeros(codes.max() + 1 if len(codes) else 0, dtype="int64")
        total[codes[len(left) :]] = counts.to_numpy()
        return pd.Series(total[codes[: len(left)]], index=index)
    counts.index.names = index.names
    return counts.reindex(index, fill_value=0)


def _distinct_counts(
    pairs: pd.DataFrame, index: pd.Index, distinct: bool
) -> np.ndarray | None:
    """:func:`_nunique`'s counts, in the order of ``index``, with every key
    column factorized once: each key level of ``index`` and the pairs' key
    column of the same dtype end to end, so a group's codes are the same on
    both sides; the codes of a row are packed into one group id, and the
    pairs' ``(group id, value code)`` rows, made distinct, counted per
    group (:func:`~.groupby.distinct_pair_rows`). ``None`` when a level and
    its column differ in dtype (pandas' groupby then decides how they
    compare)."""
    nkeys = len(pairs.columns) - 1
    if index.nlevels != nkeys:
        return None
    n = len(index)
    levels = [index.get_level_values(i) for i in range(nkeys)]
    if any(lv.dtype != pairs[i].dtype for i, lv in enumerate(levels)):
        return None
    codes, sizes = [], []
    for i, lv in enumerate(levels):
        both = pd.concat([pd.Series(lv.array, copy=False), pairs[i]], ignore_index=True)
        (code,), _, (size,), _ = factorize_columns([both], False, dropna=False)
        codes.append(code)
        sizes.append(size)
    ids, _ = group_ids(codes, sizes)
    if float(np.prod(np.asarray(sizes, dtype="float64"))) > 4 * len(ids) + 1024:
        renumbered, uniques = pd.factorize(ids)
        ids = np.asarray(renumbered, dtype="int64")
        ngroups = len(uniques)
    else:
        ngroups = int(np.prod(sizes))
    left, right = ids[:n], ids[n:]
    if not distinct and len(right):
        right = right[distinct_pair_rows(right, pairs["v"])]
    total = np.bincount(right, minlength=ngroups)
    return total[left].astype("int64", copy=False)


def _cast(values: pd.Series, dtype: Any) -> pd.Series:
    if values.dtype == dtype or missing_widened(dtype, values.dtype):
        # ints that partitions hold widened by missing values (float64: a
        # transform's rows of missing keys) aggregate as pandas aggregates
        # the whole widened column
        return values
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values


def reset_index_objects(df: pd.DataFrame) -> pd.DataFrame:
    """``df.reset_index()``, keeping object index levels as objects
    (``reset_index`` infers ``str`` from objects; pandas' own groupby
    results keep the keys it left as objects)."""
    out = df.reset_index()
    index = df.index
    for i in range(index.nlevels):
        level = index.get_level_values(i)
        if _is_object(level.dtype) and not _is_object(out.dtypes.iloc[i]):
            out.isetitem(i, out.iloc[:, i].astype(object))
    return out


def groupby_finalize(
    partials: list, plan: GroupByPlan, meta: Any, presorted: bool = False
) -> Any:
    """Merge the last partials and compute the result (exact dtypes of
    ``meta``); ``presorted``: one partial whose groups are sorted already."""
    if len(partials) > 1:
        # nunique pairs are made distinct while counting them
        parts = groupby_combine(partials, plan, sort=plan.sort, distinct=False)
    else:
        parts = partials[0]
    main = parts["main"]
    distinct = {
        col
        for col in plan.nunique
        if len(partials) == 1 or disjoint_ascending([p[("nu", col)] for p in partials])
    }
    cols = [_output(kind, args, main, parts, distinct) for kind, args in plan.outputs]
    if plan.sort and not (presorted and len(partials) == 1):
        order = sort_order(main.index, unique=True)
        if order is not None:
            cols = [c.iloc[order] for c in cols]
    index = cols[0].index if cols else main.index
    drop = plan.drop_levels
    keyless = drop is not None and 0 < len(drop) == index.nlevels
    if keyless:  # every key's label is an output's: no key column
        index = pd.RangeIndex(len(index))
    else:
        if drop:
            index = index.droplevel(drop)
        index = _fix_index(index, plan, meta)
    return _result(cols, index, keyless, plan, meta)


def groupby_partition(df: Any, plan: GroupByPlan, meta: Any) -> Any:
    """The aggregation of one partition whose groups are whole (no other
    partition holds rows of them): its partial, finalized."""
    return groupby_finalize([groupby_chunk(df, plan)], plan, meta)


def _result(
    cols: list, index: pd.Index, keyless: bool, plan: GroupByPlan, meta: Any
) -> Any:
    """The output columns ``cols`` on the result's ``index``, in the
    meta's dtypes and labels, as the Series or DataFrame pandas gives;
    ``keyless``: no key becomes a column with ``as_index=False``."""
    skip = plan.nocast
    values = {}
    frame_meta = meta if isinstance(meta, pd.DataFrame) else None
    for j, c in enumerate(cols):
        c = pd.Series(
            c.to_numpy()
            if not isinstance(c.dtype, pd.api.extensions.ExtensionDtype)
            else c.array,
            index=index,
        )
        if j not in skip and plan.out_dtypes is not None:
            c = _cast(c, plan.out_dtypes[j])
        values[j] = c
    if frame_meta is None and not plan.as_frame:
        out = values[0]
        out.name = meta.name if meta is not None else None
        return out
    out = pd.DataFrame(values, index=index)
    if plan.as_index:
        if frame_meta is not None:
            out.columns = frame_meta.columns
        return out
    out.columns = plan.value_labels
    if plan.defer_reset:
        return out
    out = out.reset_index(drop=True) if keyless else reset_index_objects(out)
    if frame_meta is not None:
        out.columns = frame_meta.columns
    return out


def sort_order(
    index: pd.Index, nlevels: int | None = None, unique: bool = False
) -> np.ndarray | None:
    """Positions that sort ``index`` (its first ``nlevels`` levels) as groupby
    does: lexicographic, categories in category order, missing keys last;
    ``None`` when it is sorted already. ``unique``: the keys are distinct."""
    if len(index) < 2:
        return None
    if (
        index.nlevels == 1
        and isinstance(index.dtype, np.dtype)
        and index.dtype.kind in "iu"
        and index.is_monotonic_increasing
    ):
        return None
    # Distinct keys have no ties: numpy's unstable sort is exact (several
    # times faster than a stable one).
    order = index_sorted_positions(
        index, nlevels, stable=not (unique and nlevels is None)
    )
    if (order[1:] > order[:-1]).all():
        return None
    return order


def _fix_index(index: pd.Index, plan: GroupByPlan, meta: Any) -> pd.Index:
    names = plan.index_names
    dtypes = plan.index_dtypes
    on_level = plan.level_keys or [False] * len(dtypes)
    on_level = on_level + [False] * (len(dtypes) - len(on_level))
    if isinstance(index, pd.MultiIndex):
        if all(lvl.dtype == dt for lvl, dt in zip(index.levels, dtypes)):
            # levels and codes kept: no re-factorizing of every level
            if any(_is_object(dt) for dt in dtypes):  # see cast_index
                index = index.set_levels(
                    [
                        cast_index(lvl, dt, lv) if _is_object(dt) else lvl
                        for lvl, dt, lv in zip(index.levels, dtypes, on_level)
                    ]
                )
            return index.set_names(names)
        levels = [index.get_level_values(i) for i in range(index.nlevels)]
        levels = [
            cast_index(lvl, dt, lv) for lvl, dt, lv in zip(levels, dtypes, on_level)
        ]
        return pd.MultiIndex.from_arrays(levels, names=names)
    index = cast_index(index, dtypes[0], on_level[0])
    index.name = names[0]
    return index


def _is_object(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def cast_index(index: pd.Index, dtype: Any, level: bool = False) -> pd.Index:
    """Key values ``index`` in the meta's ``dtype`` (left as they are when
    the cast fails); where the meta says object, the dtype pandas infers
    from the keys. ``level``: the keys come from an index level. A named
    index comes back as a copy (callers rename the result)."""
    if _is_object(dtype):
        # object keys: pandas' result keeps the Python objects and infers
        # the dtype from them (ints -> int64, dates stay objects), so the
        # meta cannot know it; a string stand-in must not cast them to str.
        # Keys from an index level only become numbers (or bools).
        out = index.infer_objects() if index.dtype == object else index
        if level and not (
            pd.api.types.is_numeric_dtype(out.dtype)
            or pd.api.types.is_bool_dtype(out.dtype)
        ):
            out = out.astype(object)
        if out is index and index.name is not None:
            return index.copy()
        return out
    if index.dtype == dtype or missing_widened(dtype, index.dtype):
        # (keys of a column widened by missing values, alike in every
        # partition: pandas groups by the widened column and keeps its dtype)
        return index.copy() if index.name is not None else index
    try:
        return index.astype(dtype)
    except (TypeError, ValueError):
        return index
