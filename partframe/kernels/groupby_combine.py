"""Merging groupby partials (see :mod:`.groupby` for what a partial holds).

A combine task concatenates the partials of several tasks and groups them
again by their key index: decomposable aggregates by their combine op
(sums of sums and counts, min of mins ...), ``(n, mean, M2)`` moments by
Chan's parallel formula, idxmin/idxmax by the row holding the extreme
value, distinct ``(keys, value)`` rows by dropping duplicates, and a user
``Aggregation`` by its ``combine``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from .group_reduce import group_reduce
from .groupby import GroupByPlan, partial_frame, side_by_side

__all__ = ["concat_nonempty", "disjoint_ascending", "groupby_combine"]

# chunk op -> how partials of it combine
COMBINE_OP = {
    "sum": "sum",
    "count": "sum",
    "size": "sum",
    "min": "min",
    "max": "max",
    "prod": "prod",
    "first": "first",
    "last": "last",
    "any": "any",
    "all": "all",
}


def concat_nonempty(frames: list) -> pd.DataFrame:
    """``frames`` end to end, empty ones left out (the first when all are
    empty, so the columns and dtypes stay)."""
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0]
    if len(nonempty) == 1:
        return nonempty[0]
    return pd.concat(nonempty)


def _level_gb(df: pd.DataFrame | pd.Series, plan: GroupByPlan) -> Any:
    nlevels = df.index.nlevels
    return df.groupby(
        level=list(range(nlevels)) if nlevels > 1 else 0,
        sort=False,
        dropna=plan.dropna,
        observed=True,
    )


def _chan(df: pd.DataFrame, g: Any, pid: str) -> pd.DataFrame:
    """Merge (n, mean, M2) partials with Chan et al.'s parallel formula."""
    codes = g.ngroup().to_numpy()
    ngroups = g.ngroups
    n = df[pid + "n"].to_numpy(dtype="float64")
    mean = df[pid + "m"].to_numpy(dtype="float64")
    m2 = df[pid + "v"].to_numpy(dtype="float64")
    has = n > 0
    mean0 = np.where(has, mean, 0.0)
    n_tot = np.bincount(codes, weights=n, minlength=ngroups)
    s = np.bincount(codes, weights=n * mean0, minlength=ngroups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_tot = s / n_tot
    dev = np.where(has, mean0 - mean_tot[codes], 0.0)
    m2_tot = np.bincount(
        codes, weights=np.where(has, m2 + n * dev * dev, 0.0), minlength=ngroups
    )
    return pd.DataFrame({pid + "n": n_tot, pid + "m": mean_tot, pid + "v": m2_tot})


def _flat_concat(frames: list) -> tuple[pd.DataFrame, Any, list]:
    """Concatenate frames with a MultiIndex as flat key columns.

    Appending MultiIndexes is slow (it re-factorizes level by level through
    tuples); concatenating plain columns and grouping by them is what pandas
    does on raw data, and several times faster.
    """
    nonempty = [f for f in frames if len(f)] or frames[:1]
    names = list(nonempty[0].index.names)
    keys = [f"__pf_key{i}" for i in range(len(names))]
    # the columns end to end (``ignore_index``: no MultiIndex is appended),
    # the key columns level by level, then one frame of both: partials
    # are often tiny, and adding columns one by one costs more than the data
    if len(nonempty) == 1:
        values = nonempty[0].reset_index(drop=True)
    else:
        values = pd.concat(nonempty, ignore_index=True)
    data: dict = {}
    for i, k in enumerate(keys):
        levels = [f.index.get_level_values(i) for f in nonempty]
        if all(lv.dtype == levels[0].dtype for lv in levels[1:]):
            data[k] = _cat([lv.array for lv in levels])
        else:  # pandas' rules for mixed dtypes
            data[k] = pd.concat(
                [lv.to_series(index=None) for lv in levels], ignore_index=True
            ).array
    for col, series in values.items():
        data[col] = series.array
    df = pd.DataFrame(data, index=values.index, copy=False)
    return df, keys, names


def _combine_main(main: Any, plan: GroupByPlan) -> pd.DataFrame:
    names = None
    if isinstance(main, list):  # partials with a MultiIndex: flat columns
        main, keys, names = _flat_concat(main)
        g = main.groupby(keys, sort=False, dropna=plan.dropna, observed=True)
    elif len(plan.main) == 1 and plan.main[0][2] != "moments":
        # one Series: grouping it skips pandas' DataFrame grouper set-up
        g = _level_gb(main[plan.main[0][0]], plan)
        res = getattr(g, COMBINE_OP[plan.main[0][2]])()
        return res.to_frame()
    else:
        g = _level_gb(main, plan)
    by_op: dict[str, list] = {}
    for pid, _, op in plan.main:
        by_op.setdefault(op, []).append(pid)
    out = []
    index = None
    for op, pids in by_op.items():
        if op == "moments":
            for pid in pids:
                out.append(_chan(main, g, pid))
            continue
        cop = COMBINE_OP[op]
        res = side_by_side([getattr(g[pid], cop)() for pid in pids])
        index = res.index
        out.append(res)
    if index is None:
        index = g.size().index
    frames = []
    for f in out:
        if isinstance(f.index, pd.RangeIndex) and not isinstance(index, pd.RangeIndex):
            f.index = index
        frames.append(f)
    res = pd.concat(frames, axis=1) if len(frames) > 1 else frames[0]
    if names is not None:
        res.index = res.index.set_names(names)
    return res


def _combine_idx(df: pd.DataFrame, plan: GroupByPlan, op: str) -> pd.DataFrame:
    if not len(df):
        return df
    g = _level_gb(df["v"], plan)
    codes = g.ngroup().to_numpy()
    values = pd.Series(df["v"].to_numpy(), index=np.arange(len(df)))
    pos = getattr(values.groupby(codes, sort=False), op)().to_numpy()
    return df.iloc[pos]


def _direct_combine(frames: list, plan: GroupByPlan, sort: bool) -> pd.DataFrame | None:
    """:func:`_combine_main` by :func:`group_reduce` for partials with one
    numpy key level and numpy columns of equal dtypes, or None."""
    if not plan.dropna:
        return None
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return None
    first = nonempty[0]
    index = first.index
    if index.nlevels > 1 or any(f.index.dtype != index.dtype for f in nonempty):
        return None
    columns = []
    for pid, _, op in plan.main:
        if op == "moments":
            return None
        parts = [f[pid] for f in nonempty]
        dtype = parts[0].dtype
        if any(p.dtype != dtype for p in parts):
            return None
        values = _cat([p.to_numpy() for p in parts])
        columns.append((pid, values, COMBINE_OP[op]))
    res = group_reduce(_cat([f.index.array for f in nonempty]), columns, sort)
    if res is None:
        return None
    uniques, out = res
    return partial_frame(out, pd.Index(uniques, name=index.name))


def _cat(arrays: list) -> Any:
    """numpy arrays (or pandas extension arrays of one type) end to end."""
    if isinstance(arrays[0], pd.arrays.NumpyExtensionArray):
        arrays = [a.to_numpy() for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    if isinstance(arrays[0], np.ndarray):
        return np.concatenate(arrays)
    return type(arrays[0])._concat_same_type(arrays)


def disjoint_ascending(frames: list) -> bool:
    """Whether distinct ``(key, "v")`` partials (one numpy key column ``0``)
    hold keys in ascending order, each partial's keys above the previous
    one's: then no pair is in two of them, and their concatenation is
    already distinct (partials of a table stored in key order, made by
    :func:`~partframe.kernels.groupby.sorted_distinct_pairs`)."""
    nonempty = [f for f in frames if len(f)]
    if len(nonempty) < 2 or any(list(f.columns) != [0, "v"] for f in nonempty):
        return len(nonempty) < 2
    keys = [f[0].to_numpy() for f in nonempty]
    if any(not isinstance(k, np.ndarray) or k.dtype.kind not in "iu" for k in keys):
        return False
    for a, b in itertools.pairwise(keys):
        if not a[-1] < b[0]:
            return False
    return all(bool((k[1:] >= k[:-1]).all()) for k in keys)


def groupby_combine(
    partials: list, plan: GroupByPlan, sort: bool = False, distinct: bool = True
) -> dict:
    """Merge several partials into one (groups sorted with ``sort`` when
    that comes at no cost; the caller checks); ``distinct=False`` leaves
    the nunique pairs that several partials hold repeated (their count
    makes them distinct)."""
    out: dict = {}
    for key in partials[0]:
        frames = [p[key] for p in partials]
        if key == "main":
            direct = _direct_combine(frames, plan, sort)
            if direct is not None:
                out[key] = direct
                continue
        if key == "main" and frames[0].index.nlevels > 1 and len(frames) > 1:
            out[key] = _combine_main(frames, plan)
            continue
        df = concat_nonempty(frames)
        if key == "main":
            out[key] = _combine_main(df, plan)
        elif key[0] == "idx":
            op = next(op for pid, _, op in plan.idx if pid == key[1])
            out[key] = _combine_idx(df, plan, "idxmin" if op == "idxmin" else "idxmax")
        elif key[0] == "nu":
            if distinct and not disjoint_ascending(frames):
                df = df.drop_duplicates(ignore_index=True)
            out[key] = df
        else:
            agg = next(a for pid, _, a in plan.custom if pid == key[1])
            g = _level_gb(df, plan)
            res = agg.combine(*(g[j] for j in df.columns))
            res = res if isinstance(res, tuple) else (res,)
            out[key] = pd.concat([s.rename(j) for j, s in enumerate(res)], axis=1)
    return out
