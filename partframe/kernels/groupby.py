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

The *plan* (a frozen :class:`GroupByPlan` made when the graph is built)
says which partials to compute and how to turn them into the result. This
module holds the plan, ``chunk`` (a partial from a partition) and ``split``
(a partial hash-partitioned by key for ``split_out``);
:mod:`.groupby_combine` merges a list of partials into one;
:mod:`.groupby_finalize` merges the last partials and computes the result
with the exact dtypes of the meta (which came from running pandas itself
on a stand-in frame); :mod:`.groupby_range` splits inputs by key ranges
for a sorted ``split_out``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from .group_reduce import group_reduce
from .hashing import partitioning_index
from .keys import (
    PACK_LIMIT,
    factorize_columns,
    group_ids,
    missing_rows,
    split_group_ids,
)
from .shuffle import split_by_partition

__all__ = [
    "GroupByPlan",
    "distinct_pair_rows",
    "group_key_frame",
    "groupby_chunk",
    "groupby_chunk_split",
    "groupby_split",
    "partial_frame",
    "side_by_side",
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


def group_key_frame(df: pd.DataFrame | pd.Series, plan: GroupByPlan) -> pd.DataFrame:
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


def side_by_side(series: list) -> pd.DataFrame:
    """Series with (usually) one index as the columns of one frame."""
    first = series[0]
    index = first.index
    if all(s.index is index or s.index.equals(index) for s in series[1:]):
        if len(series) == 1:
            return first.to_frame()
        return pd.DataFrame({s.name: s.array for s in series}, index=index)
    return pd.concat([s.reindex(index) for s in series], axis=1)


def _packed_keys(frame: pd.DataFrame, plan: GroupByPlan, sort: bool) -> tuple | None:
    """The plan's key columns as one group id per row
    (:func:`.keys.group_ids` of the columns' codes), or None.

    pandas groups by several columns by factorizing each, combining the
    codes and factorizing the combination again (``compress_group_index``:
    a third of a two-key chunk's time). When missing keys are dropped, the
    ids give the same groups in the same order (first appearance, or
    sorted with ``sort``), for any number of keys (ids are renumbered when
    the combinations of many keys would not fit one int64); the
    aggregation then groups one int64 column. :func:`_unpack_keys` turns the
    ids back into the key MultiIndex. Returns ``(valid rows or None, ids,
    levels, steps)``.
    """
    by = plan.by
    if (
        plan.level is not None
        or by is None
        or len(by) < 2
        or not plan.dropna
        or plan.idx
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
    first = factorize_columns(cols[:1], sort, dropna=True)
    dependent = _dependent_keys(cols, first[0][0], first[1][0])
    if dependent is not None:
        return dependent
    rest = factorize_columns(cols[1:], sort, dropna=True)
    codes, levels, sizes = first[0] + rest[0], first[1] + rest[1], first[2] + rest[2]
    missing = missing_rows(codes)
    ids, steps = group_ids(codes, sizes)
    return (None if missing is None else ~missing), ids, levels, steps


# rows compared before the whole column, when looking for keys that the
# first key determines (most keys that are not give themselves away here)
_DEPENDENT_PROBE = 1024


def _dependent_keys(cols: list, codes: np.ndarray, uniques: Any) -> tuple | None:
    """:func:`_packed_keys` when the first key (``codes`` and ``uniques``:
    its factorization) determines the others (a customer id with the
    customer's name, address and segment: every row of a group holds the
    same values), else None.

    Then the groups are those of the first key alone, in its order (the
    first key differs between groups, so it alone orders the key tuples):
    the other keys are not factorized at all, only compared with their
    value at the group's first row. No key may hold missing values.
    """
    ngroups = len(uniques)
    if ngroups == len(codes) or (codes < 0).any():
        return None  # (one row per group: nothing to save)
    starts = np.empty(ngroups, dtype="int64")
    starts[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first rows
    at_start = starts[codes]

    def determined(rows: np.ndarray) -> bool:
        """The other keys equal their group's first row on ``rows[:n]``."""
        for c in cols[1:]:
            values = c.array[: len(rows)]
            if not bool(np.asarray(values == c.array.take(rows)).all()):
                return False
        return True

    try:
        # the probe first: keys that are not determined usually show it
        # there, before the scans for missing values and the whole compare
        if not determined(at_start[:_DEPENDENT_PROBE]):
            return None
        if any(c.hasnans for c in cols[1:]) or not determined(at_start):
            return None
    except (TypeError, ValueError):  # values that do not compare
        return None
    per_group = [uniques] + [c.array.take(starts) for c in cols[1:]]
    return None, codes, per_group, None


def _unpack_keys(
    index: pd.Index, levels: list, steps: list | None, plan: GroupByPlan
) -> pd.Index:
    """The key MultiIndex of groups numbered by :func:`_packed_keys`."""
    ids = np.asarray(index, dtype="int64")
    if steps is None:  # groups of the first key, the others per group
        pairs = [pd.factorize(pd.Index(values).take(ids)) for values in levels]
        return pd.MultiIndex(
            levels=[pd.Index(uniques) for _, uniques in pairs],
            codes=[codes for codes, _ in pairs],
            names=list(plan.by),
            verify_integrity=False,
        )
    level_codes = split_group_ids(ids, steps)
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
    return partial_frame(out, pd.Index(uniques, name=name))


def partial_frame(columns: dict, index: pd.Index) -> pd.DataFrame:
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
        valid, combined, levels, steps = packed
        if valid is not None:
            frame, combined = frame[valid], combined[valid]
        keys = {"by": combined}
    else:
        keys = _group_keys(df, plan)
    main = None
    if isinstance(keys.get("by"), pd.Series | np.ndarray):
        main = _direct_main(frame, keys["by"], plan, sort)
    g: Any = None
    if (main is None and plan.main) or plan.custom:
        g = _gb(frame, keys, plan, sort)
    if main is None and plan.main:
        main = _grouped_main(frame, g, keys, plan, sort)
    parts: dict = {}
    if main is not None:
        if packed is not None:
            main.index = _unpack_keys(main.index, levels, steps, plan)
        parts["main"] = main
    for pid, col, op in plan.idx:
        parts[("idx", pid)] = _idx_partial(frame, col, op, plan, sort)
    ids = keys["by"] if packed is not None else None
    for col in plan.nunique:
        parts[("nu", col)] = _nunique_partial(frame, col, plan, ids)
    for pid, col, agg in plan.custom:
        out = agg.chunk(g[col])
        out = out if isinstance(out, tuple) else (out,)
        parts[("custom", pid)] = pd.concat(
            [s.rename(j) for j, s in enumerate(out)], axis=1
        )
    return parts


def _grouped_main(
    frame: pd.DataFrame, g: Any, keys: dict, plan: GroupByPlan, sort: bool
) -> pd.DataFrame:
    """The ``"main"`` partial by pandas' groupby ``g`` of ``frame``.

    One SeriesGroupBy per column: several times cheaper than a
    DataFrameGroupBy over a column subset, and they share the grouper's
    codes.
    """
    by_op: dict[str, list] = {}
    for pid, col, op in plan.main:
        by_op.setdefault(op, []).append((pid, col))
    main = []
    size = None
    for op, items in by_op.items():
        if op == "moments":
            for pid, col in items:
                main += _moments(frame[col], pid, keys, plan, sort)
            continue
        for pid, col in items:
            # a count without missing values is the group size, which
            # pandas has from the grouper without a pass
            if op == "size" or (op == "count" and not frame[col].hasnans):
                size = g.size() if size is None else size
                main.append(size.rename(pid))
            else:
                main.append(getattr(g[col], op)().rename(pid))
    return side_by_side(main)


def _moments(s: pd.Series, pid: str, keys: dict, plan: GroupByPlan, sort: bool) -> list:
    """The ``(n, mean, M2)`` partials of var/std/sem of ``s``, named
    ``pid`` + ``"n"``, ``"m"``, ``"v"``."""
    gx = _gb(_as_float(s), keys, plan, sort)
    n = gx.count()
    mean = gx.mean()
    m2 = gx.var(ddof=0) * n
    return [n.rename(pid + "n"), mean.rename(pid + "m"), m2.rename(pid + "v")]


def _idx_partial(
    frame: pd.DataFrame, col: Any, op: str, plan: GroupByPlan, sort: bool
) -> pd.DataFrame:
    """Per group, the min (``op`` idxmin) or max (idxmax) of ``col`` as
    ``"v"`` and its index label as ``"i"``; missing values are skipped."""
    valid = frame[col].notna().to_numpy()
    sub = frame[valid] if not valid.all() else frame
    gs = _gb(sub[col], _group_keys(sub, plan), plan, sort)
    label = getattr(gs, op)()
    value = gs.min() if op == "idxmin" else gs.max()
    return pd.DataFrame({"v": value, "i": label})


def _nunique_partial(
    frame: pd.DataFrame, col: Any, plan: GroupByPlan, ids: np.ndarray | None = None
) -> pd.DataFrame:
    """The distinct ``(keys..., value)`` rows of ``col`` (key columns
    ``0, 1, ...``, value column ``"v"``), missing values left out; ``ids``:
    the rows' group ids (:func:`_packed_keys`), when the keys are packed."""
    if ids is not None:
        pos = distinct_pair_rows(ids, frame[col])
        out: dict[Any, Any] = {
            i: frame[k].array.take(pos) for i, k in enumerate(plan.by)
        }
        out["v"] = frame[col].array.take(pos)
        return pd.DataFrame(out, copy=False)
    pairs = group_key_frame(frame, plan)
    pairs["v"] = (
        frame[col].to_numpy()
        if not isinstance(frame[col].dtype, pd.api.extensions.ExtensionDtype)
        else frame[col].array
    )
    if len(pairs.columns) == 2 and all(
        isinstance(d, np.dtype) for d in pairs.dtypes
    ):  # numpy ints only (no missing values; an extension dtype stays)
        packed = sorted_distinct_pairs(pairs[0].to_numpy(), pairs["v"].to_numpy())
        if packed is not None:
            return pd.DataFrame({0: packed[0], "v": packed[1]})
    pairs = pairs[frame[col].notna().to_numpy()]
    if plan.dropna:
        pairs = pairs.dropna(subset=list(range(len(pairs.columns) - 1)))
    return pairs.drop_duplicates(ignore_index=True)


def distinct_pair_rows(ids: np.ndarray, values: pd.Series) -> np.ndarray:
    """Positions of one row of each distinct ``(group id, value)`` pair
    (ids ``>= 0``), rows of missing values left out. Integer values pack
    with the id into one int64; other values are factorized first (missing
    ones coded -1). The packed pairs are sorted (no hash table) and the
    first row of each run kept."""
    ids = np.asarray(ids, dtype="int64")
    if not len(ids):
        return np.arange(0, dtype=np.intp)
    size = int(ids.max()) + 1
    v = values.to_numpy() if isinstance(values.dtype, np.dtype) else None
    packed = None
    if v is not None and v.dtype.kind in "iu":
        lo, hi = int(v.min()), int(v.max())
        span = hi - lo + 1
        if float(span) * float(size) < PACK_LIMIT and hi < 2**63:
            packed = ids * span
            packed += v.astype("int64") - lo
    rows = None
    if packed is None:
        (code,), _, (vsize,), missing = factorize_columns([values], False, True)
        if missing is not None:
            rows = np.flatnonzero(~missing)
            ids, code = ids[rows], code[rows]
        packed, _ = group_ids([ids, code], [size, vsize])
    order = packed.argsort()
    ordered = packed[order]
    keep = np.empty(len(ordered), dtype=bool)
    if len(keep):
        keep[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    pos = order[keep]
    return pos if rows is None else rows[pos]


def _int_bounds(a: np.ndarray) -> tuple[int, int] | None:
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "iu" or not len(a):
        return None
    return int(a.min()), int(a.max())


def sorted_distinct_pairs(
    keys: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct ``(key, value)`` pairs of two numpy integer arrays,
    sorted by key then value, or ``None`` for other dtypes (or spans too
    wide to pack). Each pair is packed into one int64 (key offset times the
    values' span plus the value offset), so one sort and a comparison
    of neighbours replace the hash of two columns of ``drop_duplicates``,
    several times faster; integers have no missing values to leave out."""
    kb, vb = _int_bounds(keys), _int_bounds(values)
    if kb is None or vb is None:
        return None
    vspan = vb[1] - vb[0] + 1
    if (kb[1] - kb[0] + 1) * vspan >= 2**63 or max(kb[1], vb[1]) >= 2**63:
        return None
    packed = keys.astype("int64") - kb[0]
    packed *= vspan
    packed += values.astype("int64") - vb[0]
    packed.sort()  # (equal ints need no stable order)
    keep = np.empty(len(packed), dtype=bool)
    keep[0] = True
    np.not_equal(packed[1:], packed[:-1], out=keep[1:])
    packed = packed[keep]
    k = (packed // vspan + kb[0]).astype(keys.dtype)
    v = (packed % vspan + vb[0]).astype(values.dtype)
    return k, v


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


def groupby_chunk_split(df: pd.DataFrame, plan: GroupByPlan, npartitions: int) -> list:
    """:func:`groupby_chunk` then :func:`groupby_split` (one task)."""
    return groupby_split(groupby_chunk(df, plan), plan, npartitions)
