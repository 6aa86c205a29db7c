"""Planning a groupby-aggregation: which partials every chunk computes, how
each output is made from them, and how many outputs there are.

:func:`plan_aggregation` turns the normalised ``agg`` arguments
(``[(column, func, kwargs)]``) into the frozen
:class:`~partframe.kernels.groupby.GroupByPlan` every task of a
:class:`~partframe.expr.groupby.GroupByAgg` reads, or ``None`` when a
function does not decompose (the call then runs pandas on whole groups,
:class:`~partframe.expr.groupby_shuffle.GroupByApply`).
:func:`resolve_split_out` is the rule for the number of outputs.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..aggregation import Aggregation
from ..kernels.groupby import GroupByPlan
from ..tokenize import normalize_token, register

__all__ = ["SPLIT_OUT_PARTITIONS_PER_KEY", "plan_aggregation", "resolve_split_out"]


@register(GroupByPlan)
def _normalize_plan(plan: GroupByPlan) -> Any:
    """A plan normalized once: every node of a groupby holds its plan and
    is tokenized again at each rebuild by an optimizer pass, and a plan
    never changes (frozen, its fields immutable values)."""
    out = plan.__dict__.get("_normalized")
    if out is None:
        fields = [
            (f.name, normalize_token(getattr(plan, f.name)))
            for f in dataclasses.fields(plan)
        ]
        out = ("GroupByPlan", *fields)
        plan.__dict__["_normalized"] = out
    return out


# The default split_out with several keys: one output per this many input
# partitions, per key beyond the first. Several keys usually mean many
# groups (their combinations), and the finalize task of a single output
# would hold every group; each output then merges the partials of about 16
# partitions, a task the size of a few inputs. One key keeps one output
# (few groups is the common case; high cardinality passes split_out).
SPLIT_OUT_PARTITIONS_PER_KEY = 16

# functions computed from partials merged along a tree
TREE_FUNCTIONS = frozenset(
    {
        "sum", "count", "size", "mean", "min", "max", "prod", "var", "std",
        "sem", "first", "last", "nunique", "any", "all", "idxmin", "idxmax",
    }
)  # fmt: skip
# those whose partial is the function itself, merged by the same function
_SIMPLE = frozenset(
    {"sum", "count", "min", "max", "prod", "first", "last", "any", "all"}
)
_NOT_FOR_DATETIMES = frozenset({"mean", "var", "std", "sem"})


def tree_reducible(func: Any, kw: dict[str, Any], dtype: Any) -> bool:
    """Whether ``func`` (with keywords ``kw``, on a column of ``dtype``;
    None for ``size``) is a tree reduction rather than a shuffle."""
    if not isinstance(func, str) or func not in TREE_FUNCTIONS:
        return False
    if dtype is not None and dtype.kind in "mM" and func in _NOT_FOR_DATETIMES:
        return False
    # var/std/sem read ddof; any other keyword is pandas' to apply
    return not kw or (func in ("var", "std", "sem") and set(kw) <= {"ddof"})


def resolve_split_out(
    split_out: Any, npartitions: int, nkeys: int, sort: bool = True
) -> int:
    """The number of outputs: ``True`` one per input partition, ``None`` or
    ``False`` the default rule (see :data:`SPLIT_OUT_PARTITIONS_PER_KEY`),
    rounded up to a multiple of the worker count so no worker idles at the
    end; an int as given.

    The default rule keeps one output without ``sort``: pandas gives the
    groups in order of first appearance, which one output keeps and
    outputs split by the keys' hashes would not (sorted outputs are split
    by key ranges, in order).
    """
    if split_out is True:
        return npartitions
    if split_out is None or split_out is False:
        if nkeys <= 1 or not sort:
            return 1
        k = math.ceil(npartitions * (nkeys - 1) / SPLIT_OUT_PARTITIONS_PER_KEY)
        if k > 1:
            from .. import config

            workers = config.get("num_workers") or os.cpu_count() or 1
            k = math.ceil(k / workers) * workers
        return max(1, min(npartitions, k))
    return max(1, int(split_out))


def _partials(specs: list[Any], dtypes: pd.Series) -> dict[str, list[Any]] | None:
    """The partials of ``specs`` and how each output is made from them, as
    lists; ``None`` when a function does not decompose."""
    main: dict[tuple[Any, str], str] = {}
    plan: dict[str, list[Any]] = {
        "main": [], "idx": [], "nunique": [], "custom": [], "outputs": [],
        "nocast": [],
    }  # fmt: skip

    def pid_of(col: Any, op: str) -> str:
        key = (col, op)
        if key not in main:
            main[key] = f"p{len(main)}"
            plan["main"].append((main[key], col, op))
        return main[key]

    for j, (col, func, kw) in enumerate(specs):
        outputs = plan["outputs"]
        if isinstance(func, Aggregation):
            pid = f"c{j}"
            plan["custom"].append((pid, col, func))
            outputs.append(("custom", (pid, func)))
            plan["nocast"].append(j)
        elif not tree_reducible(func, kw, dtypes[col] if col is not None else None):
            return None
        elif func in ("var", "std", "sem"):
            outputs.append((func, (pid_of(col, "moments"), kw.get("ddof", 1))))
        elif func in _SIMPLE:
            outputs.append(("col", (pid_of(col, func),)))
        elif func == "size":
            outputs.append(("col", (pid_of(None, "size"),)))
        elif func == "mean":
            outputs.append(("mean", (pid_of(col, "sum"), pid_of(col, "count"))))
        elif func == "nunique":
            if col not in plan["nunique"]:
                plan["nunique"].append(col)
            outputs.append(("nunique", (col,)))
        else:  # idxmin / idxmax
            pid = f"i{j}"
            plan["idx"].append((pid, col, func))
            outputs.append((func, (pid,)))
    if not plan["main"]:
        pid_of(None, "size")
    return plan


def _index_labels(index: pd.Index) -> dict[str, Any]:
    return {
        "index_names": tuple(index.names),
        "index_dtypes": tuple(
            index.get_level_values(i).dtype for i in range(index.nlevels)
        ),
    }


def _result_labels(
    meta: Any,
    nspecs: int,
    as_index: bool,
    key_names: Callable[[], list[Any]],
) -> dict[str, Any]:
    """The result's dtypes, key names and dtypes and value labels, from
    pandas' own result on a stand-in (``meta``)."""
    if not isinstance(meta, pd.DataFrame):
        return {"out_dtypes": (meta.dtype,), **_index_labels(meta.index)}
    if as_index:
        return {"out_dtypes": tuple(meta.dtypes), **_index_labels(meta.index)}
    nk = len(meta.columns) - nspecs
    out: dict[str, Any] = {
        "out_dtypes": tuple(meta.dtypes)[nk:],
        "index_names": tuple(meta.columns[:nk]),
        "index_dtypes": tuple(meta.dtypes)[:nk],
        "value_labels": list(meta.columns[nk:]),
    }
    names = key_names()
    if len(names) != nk:
        # pandas inserts no column for a key whose label an output already
        # has: that key level is dropped (``in`` on pandas' own columns: a
        # key is kept when no output has its label, the top level of a
        # MultiIndex label included, as pandas decides)
        kept = meta.columns[:nk]
        out["drop_levels"] = tuple(i for i, n in enumerate(names) if n not in kept)
    return out


def plan_aggregation(
    specs: list[Any],
    meta: Any,
    as_frame: bool,
    value_labels: Any,
    *,
    dtypes: pd.Series,
    by: Any,
    level: Any,
    level_keys: list[bool],
    dropna: bool,
    observed: bool,
    sort: bool,
    as_index: bool,
    key_names: Callable[[], list[Any]],
) -> GroupByPlan | None:
    """The plan of aggregating ``specs`` ``[(column, func, kwargs)]`` into
    ``meta`` (pandas' result on a stand-in), or ``None`` when one of the
    functions does not decompose into partials.

    ``by``: the key columns (``None`` when grouping by index ``level``);
    ``level_keys``: per key, whether it is an index level; ``key_names()``
    the names of the result's key levels (asked only for ``as_index=False``).
    """
    partials = _partials(specs, dtypes)
    if partials is None:
        return None
    labels = _result_labels(meta, len(specs), as_index, key_names)
    return GroupByPlan(
        by=by,
        level=level,
        dropna=dropna,
        level_keys=level_keys,
        observed=observed,
        sort=sort,
        as_index=as_index,
        as_frame=as_frame,
        main=tuple(partials["main"]),
        idx=tuple(partials["idx"]),
        nunique=tuple(partials["nunique"]),
        custom=tuple(partials["custom"]),
        outputs=tuple(partials["outputs"]),
        nocast=tuple(partials["nocast"]),
        out_dtypes=labels["out_dtypes"],
        index_names=labels["index_names"],
        index_dtypes=labels["index_dtypes"],
        value_labels=labels.get("value_labels", value_labels),
        drop_levels=labels.get("drop_levels"),
    )
