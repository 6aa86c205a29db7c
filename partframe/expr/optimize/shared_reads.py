"""Shared reads: sources of the same data used by several branches of a
plan are read once, when that reads fewer bytes.

The plan dedups nodes by name, so one source used by two branches is one
node, and the projection passes give it the columns of both. Sources that
differ only in their columns (``read_parquet(path, columns=...)`` called
per branch, or frames computed together by ``partframe.compute(a, b)``)
or in the data they skip for the filters above them (pushed terms) are
different nodes: each reads the file, and the columns they share are read
and decoded once per source.

Rule: the sources that declare the same ``Expr._read_key`` (same files,
same user ``filters=``: the same rows with the same labels) are grouped,
largest first (estimated bytes, :func:`~partframe.expr.statistics.estimate`:
rows of the row groups read times the in-memory width of the columns, from
the Parquet footers). A source joins the first group of its key whose
one read (``Expr._read_union``: the union of the columns, the row groups
any of them reads) saves bytes, and saves at least half of the smaller of
the two reads being put together::

    saved = bytes(group's read) + bytes(source) - bytes(union read)
    join when saved > 0 and saved >= 0.5 * min(bytes(group's read), bytes(source))

Otherwise it starts a group of its own. So two reads sharing most of the
columns and row groups of the smaller one become one, and a narrow read
that shares little with a wide one (mostly disjoint columns or row groups)
stays narrow: a shared read is a task of its own whose partitions stay in
memory until every branch has used them, while separate reads fuse into
each branch's tasks, so a merge that saves little costs more than it saves.

Each source of a group is then replaced by a column selection of the
shared read (or the read itself when it produces the same columns), which
fuses into the branch's first task. A source that skipped row groups for
a filter above it now sees the rows of the shared read's row groups; the
filter above it (which ``push_predicates`` requires for every use of a
source with pushed terms) drops them, as it drops the rows of the row
groups it did read.

Runs after the projection and predicate passes, when every source has its
final columns and pushed terms, and before fusion. Linear in the plan's
nodes; a group is built from its members only.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..base import Expr, _postorder, rewrite
from ..blockwise import Projection
from ..statistics import estimate

__all__ = ["share_reads"]

# A source joins a group when the shared read saves at least this fraction
# of the smaller of the two reads (see the module docstring).
MIN_SAVED_FRACTION = 0.5


def _bytes(node: Expr) -> float | None:
    return estimate(node).nbytes


def _groups(members: list[Expr]) -> list[tuple[list[Expr], Expr]]:
    """``members`` (sources of one key) grouped as the rule says, each group
    with its shared read."""
    sized = [(m, _bytes(m)) for m in members]
    known = sorted(
        ((m, b) for m, b in sized if b is not None), key=lambda mb: -float(mb[1] or 0)
    )
    groups: list[tuple[list[Expr], Expr, float]] = []
    for node, size in known:
        assert size is not None
        for i, (group, _, read_size) in enumerate(groups):
            union = group[0]._read_union([*group[1:], node])
            union_size = None if union is None else _bytes(union)
            if union is None or union_size is None:
                continue
            saved = read_size + size - union_size
            if saved > 0 and saved >= MIN_SAVED_FRACTION * min(read_size, size):
                groups[i] = ([*group, node], union, union_size)
                break
        else:
            groups.append(([node], node, size))
    return [(g, read) for g, read, _ in groups if len(g) > 1]


def _served(node: Expr, read: Expr) -> Expr:
    """``node``'s result from the shared ``read``: a selection of its columns."""
    columns = list(node._meta.columns)
    if columns == list(read._meta.columns):
        return read
    return Projection(read, columns)


def share_reads(expr: Expr) -> Expr:
    """Replace sources of the same data by selections of one shared read
    where the rule of this module says it reads fewer bytes."""
    by_key: dict[Any, list[Expr]] = {}
    for node in _postorder(expr):
        key = node._read_key()
        if key is not None and isinstance(node._meta, pd.DataFrame):
            by_key.setdefault(key, []).append(node)
    replace: dict[str, Expr] = {}
    for members in by_key.values():
        if len(members) < 2:
            continue
        for group, read in _groups(members):
            for node in group:
                replace[node._name] = _served(node, read)
    if not replace:
        return expr
    return rewrite(expr, lambda node: replace.get(node._name))
