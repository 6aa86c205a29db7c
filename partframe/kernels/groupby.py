"""Groupby kernels: module-level pandas -> pandas functions run as tasks.

A tree-reduced groupby-aggregation moves *partials* between tasks. A
partial is a dict:

- ``"main"``: a DataFrame with one row per group (index: the group keys,
  columns: partial ids ``"p0"``, ``"p1"`` ...) holding decomposable partial
  aggregates (sum, count, size, min, max, prod, first, last, any, all, and
  the ``(n, mean, M2)`` moments of var/std/sem);
- ``("idx", pid)``: value and index label of the min/max (idxmin/idxmax);
- ``("nu", column)``: distinct ``(keys..., value)`` rows (nunique);
- ``("custom", pid)``: the outputs of a user ``Aggregation``.

The *plan* (a plain dict made when the graph is built) says which partials
to compute and how to turn them into the result. ``chunk`` makes a partial
from a partition, ``combine`` merges a list of partials into one, ``split``
hash-partitions a partial by key for ``split_out``, and ``finalize`` merges
the last partials and computes the result with the exact dtypes of the
meta (which came from running pandas itself on a stand-in frame).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from .estimate import distinct_total
from .group_reduce import group_reduce
from .hashing import partitioning_index
from .keys import (
    assign_numeric,
    assign_ranges,
    boundary_rows,
    index_frame,
    index_sorted_positions,
    pack_columns,
    spaced_rows,
)
from .shuffle import split_by_partition

__all__ = [
    "GroupByPlan",
    "groupby_chunk",
    "groupby_combine",
    "groupby_finalize",
    "groupby_split",
]


@dataclasses.dataclass(frozen=True)
class GroupByPlan:
    """What a groupby aggregation computes, decided once when it is planned
    and handed to every task (frozen: tasks share it).

    The keys (``by`` column labels or ``level`` numbers) and pandas'
    options; ``main``: the partial aggregations ``(pid, column, op)`` every
    chunk computes (``op`` a pandas groupby reduction, or ``moments`` for
    var/std/sem); ``idx``: idxmin/idxmax partials; ``nunique``: columns
    whose distinct values are carried; ``custom``: user
    :class:`~partframe.Aggregation` partials; ``outputs``: how each result
    column is made from the partials ``(kind, args)``; ``nocast``: outputs
    whose dtype pandas decides from the data. The result's shape, from
    pandas' own result on the meta: ``out_dtypes``, ``index_names``,
    ``index_dtypes``, ``value_labels`` (column labels) and ``drop_levels``
    (key levels pandas drops with ``as_index=False``). ``defer_reset``:
    keys stay in the index until the outputs are sorted (split outputs with
    ``as_index=False``).
    """

    by: Any = None
    level: Any = None
    dropna: bool = True
    level_keys: Any = None
    observed: bool = False
    sort: bool = True
    as_index: bool = True
    as_frame: bool = True
    main: tuple[tuple[str, Any, str], ...] = ()
    idx: tuple[tuple[str, Any, str], ...] = ()
    nunique: tuple[Any, ...] = ()
    custom: tuple[tuple[str, Any, Any], ...] = ()
    outputs: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    nocast: tuple[int, ...] = ()
    out_dtypes: tuple[Any, ...] | None = None
    index_names: tuple[Any, ...] = ()
    index_dtypes: tuple[Any, ...] = ()
    value_labels: Any = None
    drop_levels: tuple[int, ...] | None = None
    defer_reset: bool = False


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


def _group_keys(df: pd.DataFrame | pd.Series, plan: GroupByPlan) -> dict:
    """Keyword arguments of ``groupby`` selecting the plan's keys in ``df``."""
    if plan.level is not None:
        return {"level": plan.level}
    by = plan.by
    if isinstance(df, pd.Series):
        raise TypeError("column keys need a DataFrame")
    return {"by": [df[k] for k in by] if len(by) > 1 else df[by[0]]}


def _gb(obj: Any, keys: dict, plan: GroupByPlan, sort: bool = False) -> Any:
    return obj.groupby(**keys, sort=sort, dropna=plan.dropna, observed=plan.observed)


def _as_float(s: pd.Series) -> pd.Series:
    if s.dtype == "float64":
        return s
    return pd.Series(
        s.to_numpy(dtype="float64", na_value=np.nan), index=s.index, name=s.name
    )


def _key_frame(df: pd.DataFrame | pd.Series, plan: GroupByPlan) -> pd.DataFrame:
    """The key values of every row as columns ``0..nkeys-1``."""
    if plan.level is not None:
        idx = df.index
        cols = {
            i: idx.get_level_values(lvl).to_numpy()
            if not isinstance(idx.get_level_values(lvl).dtype, pd.CategoricalDtype)
            else idx.get_level_values(lvl)
            for i, lvl in enumerate(plan.level)
        }
        out = pd.DataFrame({i: pd.Series(v) for i, v in cols.items()})
        out.index = df.index
        return out
    out = pd.DataFrame({i: df[k] for i, k in enumerate(plan.by)})
    return out


def _side_by_side(series: list) -> pd.DataFrame:
    """Series with (usually) one index as the columns of one frame."""
    first = series[0]
    index = first.index
    if all(s.index is index or s.index.equals(index) for s in series[1:]):
        if len(series) == 1:
            return first.to_frame()
        return pd.DataFrame({s.name: s.array for s in series}, index=index)
    return pd.concat([s.reindex(index) for s in series], axis=1)


def _packed_keys(frame: pd.DataFrame, plan: GroupByPlan, sort: bool) -> tuple | None:
    """The plan's key columns packed by :func:`.keys.pack_columns`, or None.

    pandas groups by several columns by factorizing each, combining the
    codes and factorizing the combination again (``compress_group_index``:
    a third of a two-key chunk's time). When the combinations fit one int64
    and missing keys are dropped, the packed code gives the same groups in
    the same order (first appearance, or sorted codes with ``sort``);
    :func:`_unpack_keys` turns the codes back into the key MultiIndex.
    Returns ``(valid rows or None, codes, levels, sizes)``.
    """
    by = plan.by
    if (
        plan.level is not None
        or by is None
        or len(by) < 2
        or not plan.dropna
        or plan.idx
        or plan.nunique
        or plan.custom
        or len(frame) == 0
    ):
        return None
    cols = [frame[k] for k in by]
    if any(
        isinstance(c, pd.DataFrame) or isinstance(c.dtype, pd.CategoricalDtype)
        for c in cols
    ):
        return None
    packed = pack_columns(cols, sort, dropna=True)
    if packed is None:
        return None
    combined, levels, sizes, missing = packed
    return (None if missing is None else ~missing), combined, levels, sizes


def _unpack_keys(
    index: pd.Index, levels: list, sizes: list, plan: GroupByPlan
) -> pd.Index:
    """The key MultiIndex of groups numbered by :func:`_packed_keys`."""
    rest = np.asarray(index, dtype="int64")
    level_codes = []
    for n in reversed(sizes):
        level_codes.append(rest % n)
        rest = rest // n
    level_codes.reverse()
    return pd.MultiIndex(
        levels=[pd.Index(lv) for lv in levels],
        codes=level_codes,
        names=list(plan.by),
        verify_integrity=False,
    )


def _direct_main(frame: pd.DataFrame, keys: Any, plan: GroupByPlan, sort: bool) -> Any:
    """The ``"main"`` partial by :func:`group_reduce` (no pandas groupby
    object), or None when it cannot answer. ``keys``: a key column or the
    packed codes."""
    if not plan.dropna or plan.custom:
        return None
    name = None
    if isinstance(keys, pd.Series):
        dtype = keys.dtype
        if isinstance(dtype, np.dtype):
            name, keys = keys.name, keys.to_numpy()
        elif isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan:
            name, keys = keys.name, keys.array
        else:  # nullable numbers, categoricals, Arrow types: pandas' path
            return None
    columns = []
    for pid, col, op in plan.main:
        if op == "size":
            columns.append((pid, None, op))
            continue
        s = frame[col]
        if isinstance(s, pd.DataFrame) or not isinstance(s.dtype, np.dtype):
            return None
        columns.append((pid, s.to_numpy(), op))
    res = group_reduce(keys, columns, sort)
    if res is None:
        return None
    uniques, out = res
    return _partial_frame(out, pd.Index(uniques, name=name))


def _partial_frame(columns: dict, index: pd.Index) -> pd.DataFrame:
    """A ``"main"`` partial from named numpy arrays (one column: a 2-D
    block, which pandas builds in half the time of a dict)."""
    if len(columns) == 1:
        ((name, values),) = columns.items()
        labels = pd.Index([name], dtype=object)
        return pd.DataFrame(values.reshape(-1, 1), index=index, columns=labels)
    return pd.DataFrame(columns, index=index, copy=False)


def groupby_chunk(
    df: pd.DataFrame | pd.Series, plan: GroupByPlan, sort: bool = False
) -> dict:
    """The partial of one partition (groups in order of appearance, or
    sorted with ``sort``)."""
    frame = df.to_frame() if isinstance(df, pd.Series) else df
    packed = _packed_keys(frame, plan, sort)
    if packed is not None:
        valid, combined, levels, sizes = packed
        if valid is not None:
            frame, combined = frame[valid], combined[valid]
        keys = {"by": combined}
    else:
        keys = _group_keys(df, plan)
    parts: dict = {}
    direct = None
    if "by" in keys and isinstance(keys["by"], pd.Series | np.ndarray):
        direct = _direct_main(frame, keys["by"], plan, sort)
    if direct is not None:
        parts["main"] = direct
        if packed is not None:
            direct.index = _unpack_keys(direct.index, levels, sizes, plan)
        plan = dataclasses.replace(plan, main=())
    if plan.main or plan.custom:
        g = _gb(frame, keys, plan, sort)
    main = []
    by_op: dict[str, list] = {}
    for pid, col, op in plan.main:
        by_op.setdefault(op, []).append((pid, col))
    size = None
    for op, items in by_op.items():
        if op == "size":
            size = g.size() if size is None else size
            for pid, _ in items:
                main.append(size.rename(pid))
        elif op == "moments":
            for pid, col in items:
                x = _as_float(frame[col])
                gx = _gb(x, keys, plan, sort)
                n = gx.count()
                mean = gx.mean()
                m2 = gx.var(ddof=0) * n
                main += [
                    n.rename(pid + "n"),
                    mean.rename(pid + "m"),
                    m2.rename(pid + "v"),
                ]
        else:
            # one SeriesGroupBy per column: several times cheaper than a
            # DataFrameGroupBy over a column subset, and they share the
            # grouper's codes
            for pid, col in items:
                if op == "count" and not frame[col].hasnans:
                    # no missing values: the count is the group size,
                    # which pandas has from the grouper without a pass
                    size = g.size() if size is None else size
                    main.append(size.rename(pid))
                    continue
                main.append(getattr(g[col], op)().rename(pid))
    if main:
        parts["main"] = _side_by_side(main)
        if packed is not None:
            parts["main"].index = _unpack_keys(parts["main"].index, levels, sizes, plan)
    for pid, col, op in plan.idx:
        s = frame[col]
        valid = s.notna().to_numpy()
        sub = frame[valid] if not valid.all() else frame
        gs = _gb(sub[col], _group_keys(sub, plan), plan, sort)
        label = getattr(gs, op)()
        value = gs.min() if op == "idxmin" else gs.max()
        parts[("idx", pid)] = pd.DataFrame({"v": value, "i": label})
    for col in plan.nunique:
        pairs = _key_frame(frame, plan)
        pairs["v"] = (
            frame[col].to_numpy()
            if not isinstance(frame[col].dtype, pd.api.extensions.ExtensionDtype)
            else frame[col].array
        )
        pairs = pairs[frame[col].notna().to_numpy()]
        if plan.dropna:
            pairs = pairs.dropna(subset=list(range(len(pairs.columns) - 1)))
        parts[("nu", col)] = pairs.drop_duplicates(ignore_index=True)
    for pid, col, agg in plan.custom:
        out = agg.chunk(g[col])
        out = out if isinstance(out, tuple) else (out,)
        parts[("custom", pid)] = pd.concat(
            [s.rename(j) for j, s in enumerate(out)], axis=1
        )
    return parts


def _concat(frames: list) -> pd.DataFrame:
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
    flats = []
    for f in nonempty:
        flat = f.reset_index(drop=True)
        for i, k in enumerate(keys):
            flat[k] = f.index.get_level_values(i)
        flats.append(flat)
    df = flats[0] if len(flats) == 1 else pd.concat(flats, ignore_index=True)
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
        res = _side_by_side([getattr(g[pid], cop)() for pid in pids])
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
    return _partial_frame(out, pd.Index(uniques, name=index.name))


def _cat(arrays: list) -> Any:
    """numpy arrays (or pandas extension arrays of one type) end to end."""
    if isinstance(arrays[0], pd.arrays.NumpyExtensionArray):
        arrays = [a.to_numpy() for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    if isinstance(arrays[0], np.ndarray):
        return np.concatenate(arrays)
    return type(arrays[0])._concat_same_type(arrays)


def groupby_combine(partials: list, plan: GroupByPlan, sort: bool = False) -> dict:
    """Merge several partials into one (groups sorted with ``sort`` when
    that comes at no cost; the caller checks)."""
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
        df = _concat(frames)
        if key == "main":
            out[key] = _combine_main(df, plan)
        elif key[0] == "idx":
            op = next(op for pid, _, op in plan.idx if pid == key[1])
            out[key] = _combine_idx(df, plan, "idxmin" if op == "idxmin" else "idxmax")
        elif key[0] == "nu":
            out[key] = df.drop_duplicates(ignore_index=True)
        else:
            agg = next(a for pid, _, a in plan.custom if pid == key[1])
            g = _level_gb(df, plan)
            res = agg.combine(*(g[j] for j in df.columns))
            res = res if isinstance(res, tuple) else (res,)
            out[key] = pd.concat([s.rename(j) for j, s in enumerate(res)], axis=1)
    return out


def groupby_split(partial: dict, plan: GroupByPlan, npartitions: int) -> list:
    """Hash-partition one partial by key into ``npartitions`` partials."""
    out: list[dict] = [{} for _ in range(npartitions)]
    for key, df in partial.items():
        if isinstance(key, tuple) and key[0] == "nu":
            on = list(range(len(df.columns) - 1))
            parts = partitioning_index(df, on, npartitions)
        else:
            parts = partitioning_index(df, "__index__", npartitions)
        pieces = split_by_partition(df, parts, npartitions)
        for j, piece in enumerate(pieces):
            out[j][key] = piece
    return out


def _partial_keys(key: Any, df: pd.DataFrame) -> pd.DataFrame:
    """The group keys of one piece of a partial as columns ``0, 1, ...``."""
    if isinstance(key, tuple) and key[0] == "nu":
        keys = df.iloc[:, : len(df.columns) - 1].copy(deep=False)
        keys.columns = range(len(keys.columns))
        return keys.reset_index(drop=True)
    return index_frame(df.index)


def _raw_keys(df: pd.DataFrame, plan: GroupByPlan) -> pd.DataFrame:
    keys = _key_frame(df, plan)
    return keys.reset_index(drop=True)


def groupby_sample(df: pd.DataFrame, plan: GroupByPlan, size: int) -> pd.DataFrame:
    """Up to ``size`` evenly spaced group keys of a partition's rows."""
    return _raw_keys(spaced_rows(df, size), plan)


def groupby_bounds(samples: list, npartitions: int) -> tuple:
    """Key boundaries for ``npartitions`` ranges from the sampled keys, and
    the shortest key prefix that tells the same ranges apart."""
    nonempty = [s for s in samples if len(s)] or samples[:1]
    bounds = boundary_rows(nonempty, npartitions, mixed=True)
    bounds = bounds.drop_duplicates(ignore_index=True)
    nb = len(bounds)
    for p in range(1, len(bounds.columns)):
        prefix = bounds.iloc[:, :p].drop_duplicates(ignore_index=True)
        if len(prefix) == nb:
            return prefix
    return bounds


def _assign(keys: pd.DataFrame, bounds: pd.DataFrame) -> np.ndarray:
    """The range of every key row: how many boundaries sort at or before it
    (compared on the boundaries' key prefix)."""
    keys = keys.iloc[:, : len(bounds.columns)]
    if len(bounds.columns) == 1 and len(keys) > 4 * len(bounds):
        # one column: assign its distinct values, then every row by its code
        codes, uniques = pd.factorize(keys.iloc[:, 0], use_na_sentinel=True)
        ucodes = pd.DataFrame({0: pd.Series(uniques)})
        where = None
        if len(uniques) and len(bounds):
            where = assign_numeric(ucodes[0], bounds.iloc[:, 0])
        if where is None:
            where = (
                assign_ranges(ucodes, bounds, mixed=True)
                if len(uniques)
                else ucodes.index
            )
        where = np.append(np.asarray(where, dtype="int64"), len(bounds))
        return where[codes]  # missing keys (-1) go last, as they sort
    return assign_ranges(keys, bounds, mixed=True)


# Rows sampled to estimate the number of groups of a partition: enough for
# the estimate to tell "about as many groups as rows" from "at least twice
# fewer" (all :func:`_reduces` asks), few enough to cost a fraction of
# grouping the partition; partitions under twice this are grouped anyway.
REDUCES_SAMPLE_ROWS = 4000


def _reduces(
    df: pd.DataFrame, plan: GroupByPlan, sample: int = REDUCES_SAMPLE_ROWS
) -> bool:
    """Whether grouping ``df`` is likely to shrink it at least twofold,
    estimated from the distinct keys of an evenly spaced sample of rows."""
    n = len(df)
    if n <= 2 * sample or plan.level is not None or not plan.observed:
        return True
    sub = spaced_rows(df, sample)
    by = plan.by
    d = sub.groupby(by if len(by) > 1 else by[0], sort=False, dropna=False).ngroups
    groups = distinct_total(d, sample)
    expected = n if groups == float("inf") else groups * -np.expm1(-n / groups)
    return expected < 0.5 * n


def groupby_split_range(
    df: pd.DataFrame,
    plan: GroupByPlan,
    bounds: pd.DataFrame,
    npartitions: int,
    columns: list | None = None,
) -> list:
    """One input split by key ranges: piece ``j`` holds the keys between
    boundaries ``j - 1`` and ``j``. A partition whose groups are about as
    many as its rows is split as raw rows (grouping it first would only cost
    time); otherwise its partial is split. Pieces are ``("raw", frame)`` or
    ``("partial", dict)``."""
    from .shuffle import split_by_partition

    if columns is not None and isinstance(df, pd.DataFrame):
        if len(columns) < len(df.columns):
            df = df[columns]
    if not _reduces(df, plan):
        parts = _assign(_raw_keys(df, plan), bounds)
        pieces = split_by_partition(df, parts, npartitions)
        return [("raw", p) for p in pieces]
    partial = groupby_chunk(df, plan)
    out: list[dict] = [{} for _ in range(npartitions)]
    for key, part in partial.items():
        if len(part) and len(bounds):
            parts = _assign(_partial_keys(key, part), bounds)
        else:
            parts = np.zeros(len(part), dtype="int64")
        for j, piece in enumerate(split_by_partition(part, parts, npartitions)):
            out[j][key] = piece
    return [("partial", p) for p in out]


def range_split_rows(
    df: pd.DataFrame, on: list, bounds: pd.DataFrame, npartitions: int
) -> list:
    """Raw rows split by ranges of their ``on`` columns (order kept)."""
    from .shuffle import split_by_partition

    keys = pd.DataFrame({i: df[c] for i, c in enumerate(on)}).reset_index(drop=True)
    parts = _assign(keys, bounds) if len(bounds) and len(df) else None
    if parts is None:
        parts = np.zeros(len(df), dtype="int64")
    return split_by_partition(df, parts, npartitions)


def groupby_range_finalize(pieces: list, plan: GroupByPlan, meta: Any) -> Any:
    """One output of a range-split aggregation: runs of raw pieces are
    grouped once, together, and merged with the partial pieces in input
    order (first/last and idxmin/idxmax ties depend on it); the result is
    sorted."""
    partials: list = []
    raw: list = []
    for kind, piece in pieces:
        if kind == "raw":
            if len(piece):
                raw.append(piece)
            continue
        if raw:
            partials.append(groupby_chunk(_concat(raw), plan))
            raw = []
        partials.append(piece)
    if raw and not partials and plan.sort:
        # raw rows only: pandas' sorted groupby costs less than grouping in
        # order of appearance and sorting the groups afterwards
        part = groupby_chunk(_concat(raw), plan, sort=True)
        return groupby_finalize([part], plan, meta, presorted=True)
    if raw:
        partials.append(groupby_chunk(_concat(raw), plan))
    if not partials:
        partials = [groupby_chunk(pieces[0][1], plan)]
    return groupby_finalize(partials, plan, meta)


def groupby_chunk_split(df: pd.DataFrame, plan: GroupByPlan, npartitions: int) -> list:
    """:func:`groupby_chunk` then :func:`groupby_split` (one task)."""
    return groupby_split(groupby_chunk(df, plan), plan, npartitions)


def _output(
    kind: str, args: tuple, main: pd.DataFrame, parts: dict, plan: GroupByPlan
) -> Any:
    if kind == "col":
        return main[args[0]]
    if kind == "mean":
        s, c = main[args[0]], main[args[1]]
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / c
    if kind in ("var", "std", "sem"):
        pid, ddof = args
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
    if kind == "nunique":
        pairs = parts[("nu", args[0])]
        keycols = list(range(len(pairs.columns) - 1))
        counts = pairs.groupby(
            keycols if len(keycols) > 1 else keycols[0],
            sort=False,
            dropna=False,
            observed=True,
        )["v"].size()
        if main.index.nlevels > 1:
            # MultiIndex.reindex does not match missing keys: number the
            # groups of both key sets together instead
            left = index_frame(main.index)
            right = index_frame(counts.index)
            both = pd.concat([left, right], ignore_index=True)
            codes = (
                both.groupby(list(both.columns), sort=False, dropna=False)
                .ngroup()
                .to_numpy()
            )
            total = np.zeros(codes.max() + 1 if len(codes) else 0, dtype="int64")
            total[codes[len(left) :]] = counts.to_numpy()
            return pd.Series(total[codes[: len(left)]], index=main.index)
        counts.index.names = main.index.names
        return counts.reindex(main.index, fill_value=0)
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


def _cast(values: pd.Series, dtype: Any) -> pd.Series:
    if values.dtype == dtype:
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
        parts = groupby_combine(partials, plan, sort=plan.sort)
    else:
        parts = partials[0]
    main = parts["main"]
    cols = [_output(kind, args, main, parts, plan) for kind, args in plan.outputs]
    if plan.sort and not (presorted and len(partials) == 1):
        order = _sort_order(main.index, unique=True)
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


def _sort_order(
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
            if any(_is_object(dt) for dt in dtypes):  # see _cast_index
                index = index.set_levels(
                    [
                        _cast_index(lvl, dt, lv) if _is_object(dt) else lvl
                        for lvl, dt, lv in zip(index.levels, dtypes, on_level)
                    ]
                )
            return index.set_names(names)
        levels = [index.get_level_values(i) for i in range(index.nlevels)]
        levels = [
            _cast_index(lvl, dt, lv) for lvl, dt, lv in zip(levels, dtypes, on_level)
        ]
        return pd.MultiIndex.from_arrays(levels, names=names)
    index = _cast_index(index, dtypes[0], on_level[0])
    index.name = names[0]
    return index


def _is_object(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def _cast_index(index: pd.Index, dtype: Any, level: bool = False) -> pd.Index:
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
    if index.dtype == dtype:
        return index.copy() if index.name is not None else index
    try:
        return index.astype(dtype)
    except (TypeError, ValueError):
        return index


# -- kernels of the shuffle-based path ----------------------------------------


def call_groupby(
    df: pd.DataFrame,
    gb_kwargs: dict,
    selection: Any,
    method: str,
    args: tuple,
    kwargs: dict,
) -> Any:
    """``df.groupby(**gb_kwargs)[selection].method(*args, **kwargs)``."""
    g = df.groupby(**gb_kwargs)
    if selection is not None:
        g = g[selection]
    return getattr(g, method)(*args, **kwargs)


def check_result(out: Any, meta: Any, what: str) -> Any:
    """``out``, a user function's result, if it matches the ``meta=`` the
    user gave (type, columns, dtypes); a Series takes the meta's name (the
    label the user chose). ``what`` names the call in the error.

    Examples
    --------
    >>> check_result(pd.Series([1.0]), pd.Series([], dtype="f8", name="v"), "f")
    0    1.0
    Name: v, dtype: float64
    >>> check_result(pd.Series([1]), pd.Series([], dtype="f8", name="v"), "f")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: f: a group's result has dtype int64, meta= says float64; pass ...
    """
    fix = "pass meta= with the dtype the function returns (or omit meta= to infer it)"
    if isinstance(meta, pd.Series) and isinstance(out, pd.Series):
        if out.dtype != meta.dtype:
            raise ValueError(
                f"{what}: a group's result has dtype {out.dtype}, meta= says "
                f"{meta.dtype}; {fix}"
            )
        return out if out.name == meta.name else out.rename(meta.name)
    if isinstance(meta, pd.DataFrame) and isinstance(out, pd.DataFrame):
        if list(out.columns) != list(meta.columns):
            raise ValueError(
                f"{what}: a group's result has columns {list(out.columns)}, "
                f"meta= says {list(meta.columns)}; pass meta= with the columns "
                "the function returns (or omit meta= to infer it)"
            )
        bad = [
            f"{c!r}: {a} (meta= says {b})"
            for c, a, b in zip(meta.columns, out.dtypes, meta.dtypes)
            if a != b
        ]
        if bad:
            raise ValueError(f"{what}: a group's result has dtypes {bad}; {fix}")
        return out
    raise TypeError(
        f"{what}: a group's result is a {type(out).__name__}, meta= says "
        f"{type(meta).__name__}; pass meta= of the kind the function returns"
    )


def sort_result(obj: Any) -> Any:
    """Sort a per-partition groupby result by its index (NaN last)."""
    order = _sort_order(obj.index)
    return obj if order is None else obj.iloc[order]
