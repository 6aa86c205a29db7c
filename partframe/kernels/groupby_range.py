"""Groupby aggregation split by key ranges (``split_out`` with ``sort=True``).

Every input's group keys are sampled, the samples give the boundaries of
``npartitions`` key ranges, and every input is split by them once: output
``j`` gets the keys between boundaries ``j - 1`` and ``j``, so each output
is sorted on its own and the outputs are in order. An input whose groups
are about as many as its rows sends raw rows (grouping first would only
cost a pass); the others send partials.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .estimate import distinct_total
from .groupby import GroupByPlan, group_key_frame, groupby_chunk
from .groupby_combine import concat_nonempty
from .groupby_finalize import groupby_finalize
from .keys import (
    assign_numeric,
    assign_ranges,
    boundary_rows,
    index_frame,
    spaced_rows,
)
from .shuffle import split_by_partition

__all__ = [
    "groupby_bounds",
    "groupby_range_finalize",
    "groupby_range_prepare",
    "groupby_range_sample",
    "groupby_sample",
    "groupby_split_range",
    "range_split_rows",
    "row_ranges",
]


def _partial_keys(key: Any, df: pd.DataFrame) -> pd.DataFrame:
    """The group keys of one piece of a partial as columns ``0, 1, ...``."""
    if isinstance(key, tuple) and key[0] == "nu":
        keys = df.iloc[:, : len(df.columns) - 1].copy(deep=False)
        keys.columns = range(len(keys.columns))
        return keys.reset_index(drop=True)
    return index_frame(df.index)


def _raw_keys(df: pd.DataFrame, plan: GroupByPlan) -> pd.DataFrame:
    keys = group_key_frame(df, plan)
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


def row_ranges(keys: pd.DataFrame, bounds: pd.DataFrame) -> np.ndarray:
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


def groupby_range_prepare(
    df: pd.DataFrame, plan: GroupByPlan, size: int, columns: list | None = None
) -> tuple[pd.DataFrame, tuple[str, Any]]:
    """One input made ready for the range split: a sample of up to
    ``size`` evenly spaced group keys (for the boundaries) and the input
    as ``("raw", rows)`` when its groups are about as many as its rows
    (grouping it first would only cost time), else as ``("partial",
    dict)``, its partial aggregate.

    The split waits for the boundaries of every input; holding each
    input's partial instead of its rows meanwhile keeps the memory of an
    aggregation with few groups at the size of its partials.
    """
    sample = groupby_sample(df, plan, size)
    if columns is not None and isinstance(df, pd.DataFrame):
        if len(columns) < len(df.columns):
            df = df[columns]
    if not _reduces(df, plan):
        return sample, ("raw", df)
    return sample, ("partial", groupby_chunk(df, plan))


def groupby_range_sample(prepared: tuple) -> pd.DataFrame:
    """The sampled keys of a :func:`groupby_range_prepare` result."""
    return prepared[0]


def groupby_split_range(
    prepared: tuple,
    plan: GroupByPlan,
    bounds: pd.DataFrame,
    npartitions: int,
) -> list:
    """One prepared input (:func:`groupby_range_prepare`) split by key
    ranges: piece ``j`` holds the keys between boundaries ``j - 1`` and
    ``j``. Pieces are ``("raw", frame)`` or ``("partial", dict)``."""
    kind, data = prepared[1]
    if kind == "raw":
        parts = row_ranges(_raw_keys(data, plan), bounds)
        pieces = split_by_partition(data, parts, npartitions)
        return [("raw", p) for p in pieces]
    out: list[dict] = [{} for _ in range(npartitions)]
    for key, part in data.items():
        if len(part) and len(bounds):
            parts = row_ranges(_partial_keys(key, part), bounds)
        else:
            parts = np.zeros(len(part), dtype="int64")
        for j, piece in enumerate(split_by_partition(part, parts, npartitions)):
            out[j][key] = piece
    return [("partial", p) for p in out]


def range_split_rows(
    df: pd.DataFrame, on: list, bounds: pd.DataFrame, npartitions: int
) -> list:
    """Raw rows split by ranges of their ``on`` columns (order kept)."""
    keys = pd.DataFrame({i: df[c] for i, c in enumerate(on)}).reset_index(drop=True)
    parts = row_ranges(keys, bounds) if len(bounds) and len(df) else None
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
            partials.append(groupby_chunk(concat_nonempty(raw), plan))
            raw = []
        partials.append(piece)
    if raw and not partials and plan.sort:
        # raw rows only: pandas' sorted groupby costs less than grouping in
        # order of appearance and sorting the groups afterwards
        part = groupby_chunk(concat_nonempty(raw), plan, sort=True)
        return groupby_finalize([part], plan, meta, presorted=True)
    if raw:
        partials.append(groupby_chunk(concat_nonempty(raw), plan))
    if not partials:
        partials = [groupby_chunk(pieces[0][1], plan)]
    return groupby_finalize(partials, plan, meta)
