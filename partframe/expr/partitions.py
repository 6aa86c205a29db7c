"""Selecting partitions, and the first or last rows of a frame.

- :class:`Partitions` selects some partitions (``df.partitions[i]``, loc
  pruning, head batches). When lowered it is pushed below partition-wise
  nodes, so the graph only holds tasks for the selected partitions.
- :class:`Head` / :class:`Tail`: the first / last ``n`` rows, taken from the
  partitions in order through a small combine tree (a correct lazy plan even
  when the first partitions are empty).
- :func:`check_divisions` checks index boundaries given by a user.

Re-splitting partitions is in :mod:`partframe.expr.repartition`,
concatenation and global row numbers in :mod:`partframe.expr.rows`,
``set_index(sorted=True)`` and ``loc`` in :mod:`partframe.expr.index`.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..kernels import partitions as K
from ..tokenize import tokenize
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed, map_operand_exprs
from .blockwise import Blockwise
from .meta import meta_nonempty
from .tree import combine_tree, split_every

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = [
    "Head",
    "Partitions",
    "Tail",
    "check_divisions",
    "select_partitions",
]


def _unknown(n: int) -> Divisions:
    return (None,) * (n + 1)


def check_divisions(
    divisions: Any,
    call: str,
    npartitions: int | None = None,
    index: pd.Index | None = None,
) -> tuple[Any, ...]:
    """Index boundaries given by a user, as a tuple, or a ``ValueError``.

    Known divisions are at least two boundaries (``npartitions + 1``, when
    ``npartitions`` is given), none missing, in increasing order; a
    repeated boundary is allowed (partition ``i`` holds ``[d_i, d_i+1)``,
    so ``[d, d)`` is an empty partition). With ``index`` (the meta of the
    index they divide) they must compare with its values. ``call`` names
    the user's call in the message.

    Examples
    --------
    >>> check_divisions([0, 5, 9], "repartition(divisions=...)")
    (0, 5, 9)
    >>> check_divisions([5, 0], "repartition(divisions=...)")
    Traceback (most recent call last):
    ...
    ValueError: repartition(divisions=...): divisions must be sorted, got (5, 0), ...
    """
    if isinstance(divisions, str | bytes | dict) or not np.iterable(divisions):
        raise ValueError(
            f"{call}: divisions must be a list or tuple of index boundaries, "
            f"got {divisions!r}"
        )
    new = tuple(divisions)
    if npartitions is not None and len(new) != npartitions + 1:
        raise ValueError(
            f"{call}: {len(new)} divisions given for {npartitions} partitions; "
            f"give npartitions + 1 = {npartitions + 1} boundaries"
        )
    if len(new) < 2:
        raise ValueError(
            f"{call}: divisions must hold at least two boundaries (the first "
            f"partition's lowest index value and the last's highest), got {new!r}"
        )
    if any(v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) for v in new):
        raise ValueError(
            f"{call}: divisions cannot hold missing values, got {new!r}; give "
            "known boundaries, or none at all"
        )
    _check_sorted(new, call)
    # object indexes may hold anything: only their data can tell
    if index is not None and index.nlevels == 1 and index.dtype != object:
        _check_comparable(new, index, call)
    return new


def _check_sorted(new: tuple[Any, ...], call: str) -> None:
    """Raise a ``ValueError`` naming the first boundary out of order."""
    try:
        unsorted = [(a, b) for a, b in itertools.pairwise(new) if a > b]
    except TypeError as exc:
        raise ValueError(
            f"{call}: the divisions {new!r} cannot be compared with each other: {exc}"
        ) from None
    if unsorted:
        a, b = unsorted[0]
        raise ValueError(
            f"{call}: divisions must be sorted, got {new!r}, where {a!r} is "
            f"greater than the next boundary {b!r}; give them in increasing order"
        )


def _check_comparable(new: tuple[Any, ...], index: pd.Index, call: str) -> None:
    """Raise a ``ValueError`` when the boundaries cannot be compared with
    the values of ``index`` (an index meta)."""
    value = meta_nonempty(index)[0]
    try:
        value < new[0]  # noqa: B015 (only whether it raises matters)
    except TypeError:
        raise ValueError(
            f"{call}: the divisions {new!r} cannot be compared with the "
            f"index values, of dtype {index.dtype}; give boundaries of that "
            "type"
        ) from None


def _needs_through(frame: Expr, needed: set[Any] | None) -> set[Any] | None:
    """The columns of ``frame`` among ``needed`` (None stays None)."""
    if needed is None or not isinstance(frame._meta, pd.DataFrame):
        return None
    return {c for c in frame._meta.columns if c in needed}


# -- selecting partitions -------------------------------------------------------


class Partitions(Expr):
    """Some partitions of ``frame``, in the order given."""

    _parameters = ["frame", "partitions"]
    frame: Expr
    partitions: list[int]

    def _validate(self) -> None:
        parts = list(self.partitions)
        n = self.frame.npartitions
        if not parts:
            raise ValueError("select at least one partition")
        bad = [p for p in parts if not 0 <= p < n]
        if bad:
            raise IndexError(
                f"partition(s) {bad} out of range for a frame of {n} partitions"
            )

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        parts = list(self.partitions)
        if not self.frame.known_divisions or any(
            a >= b for a, b in itertools.pairwise(parts)
        ):
            return _unknown(len(parts))
        d = self.frame.divisions
        return (*[d[p] for p in parts], d[parts[-1] + 1])

    @property
    def _partitioning(self) -> str:
        return "partitions-" + tokenize(self.frame._partitioning, list(self.partitions))

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        frame = self._rows_of(rows, self.frame)
        if frame is None:
            return None
        return frame * len(self.partitions) / max(1, self.frame.npartitions)

    def _layer(self) -> Layer:
        name = self.frame._name
        return {(self._name, j): (name, p) for j, p in enumerate(self.partitions)}

    def _lower(self) -> Expr | None:
        out = _push_partitions(self.frame, tuple(self.partitions), {})
        return None if out._name == self._name else out

    def _operand_repr(self) -> str:
        return f"partitions={list(self.partitions)!r}"


def select_partitions(expr: Expr, parts: Any) -> Expr:
    """``expr`` restricted to partitions ``parts`` (itself when all, in order)."""
    parts = [int(p) for p in parts]
    if parts == list(range(expr.npartitions)):
        return expr
    return Partitions(expr, parts)


def _pushable(expr: Expr) -> bool:
    # A partition-wise node whose task for partition i only reads partition i
    # of its inputs (no per-partition operands, no stated divisions) can be
    # rebuilt on selected inputs.
    cls = type(expr)
    return (
        isinstance(expr, Blockwise)
        and cls._task is Blockwise._task
        and cls._divisions is Blockwise._divisions
    )


def _push_partitions(expr: Expr, parts: tuple[Any, ...], memo: dict[Any, Expr]) -> Expr:
    """``Partitions(expr, parts)`` moved below partition-wise nodes."""
    if parts == tuple(range(expr.npartitions)):
        return expr
    key = (expr._name, parts)
    if key in memo:
        return memo[key]
    n = expr.npartitions
    if isinstance(expr, Partitions):
        inner = tuple(expr.partitions[p] for p in parts)
        out = _push_partitions(expr.frame, inner, memo)
    elif _pushable(expr) and n > 1:

        def convert(op: Expr) -> Expr:
            if op.npartitions == n:
                return _push_partitions(op, parts, memo)
            return op

        out = type(expr)(*[map_operand_exprs(op, convert) for op in expr.operands])
    else:
        out = Partitions(expr, list(parts))
    memo[key] = out
    return out


# -- head / tail --------------------------------------------------------------------


class Head(Expr):
    """The first ``n`` rows of ``frame``, scanning its partitions in order."""

    _parameters = ["frame", "n"]
    frame: Expr
    n: int
    _combine: ClassVar[Any] = staticmethod(K.head_concat)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        d = self.frame.divisions
        return (d[0], d[-1])

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        frame = self._rows_of(rows, self.frame)
        return None if frame is None else min(frame, abs(self.n))

    def _simplify(self) -> Expr | None:
        # the first n rows of a node that knows a cheaper way to give them
        # (sort_values(...).head(n): SortValues._first_rows)
        return self.frame._first_rows(self.n) if type(self) is Head else None

    def _layer(self) -> Layer:
        keys = [(self.frame._name, i) for i in range(self.frame.npartitions)]
        combine, n = self._combine, self.n
        graph: Layer = {}
        keys = combine_tree(
            graph,
            keys,
            lambda group: (combine, group, n),
            f"{self._name}-combine",
            split_every(),
        )
        graph[(self._name, 0)] = (combine, keys, n)
        return graph

    def _operand_repr(self) -> str:
        return f"n={self.n}"


class Tail(Head):
    """The last ``n`` rows of ``frame``."""

    _combine: ClassVar[Any] = staticmethod(K.tail_concat)
