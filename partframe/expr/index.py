"""Nodes on the index labels: ``set_index(sorted=True)`` and ``loc``.

- :class:`SetIndexSorted` sets a column as the index partition by
  partition, with the divisions given (or unknown).
- :class:`NewDivisions` is a frame whose index labels a partition-wise
  step moved (``shift(freq=)``), with the divisions moved alike.
- :class:`LocRows` selects rows by label, a slice or a list, partition by
  partition (narrowing the outer divisions to a slice's bounds);
  :class:`LocLabels` takes labels already sorted by partition;
  :class:`GatherLoc` gathers unsorted labels into one partition, in their
  order.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from ..graph import quote
from ..kernels import partitions as K
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed, plain_scalar
from .blockwise import Blockwise
from .partitions import _needs_through, _unknown, check_divisions

__all__ = ["GatherLoc", "LocLabels", "LocRows", "NewDivisions", "SetIndexSorted"]


class SetIndexSorted(Blockwise):
    """``set_index(column)`` partition by partition, with divisions given."""

    _parameters = ["frame", "column", "drop", "divisions_"]
    _keeps_rows = True
    _defaults = {"drop": True, "divisions_": None}
    frame: Expr
    column: Any
    drop: bool
    divisions_: tuple[Any, ...] | None
    operation = staticmethod(K.set_index_column)
    _preserves_partitioning = False

    def _validate(self) -> None:
        if self.divisions_ is not None:
            check_divisions(
                self.divisions_,
                f"set_index({self.column!r}, sorted=True, divisions=...)",
                self.frame.npartitions,
                self._meta.index,
            )

    def _args(self) -> list[Any]:
        return [self.frame, self.column, self.drop]

    def _divisions(self) -> Divisions:
        if self.divisions_ is not None:
            return tuple(self.divisions_)
        return _unknown(self.frame.npartitions)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        need = _needs_through(self.frame, needed)
        if need is not None:
            need.add(self.column)
        return [(self.frame, need)]

    def _operand_repr(self) -> str:
        return repr(self.column)


# -- loc -------------------------------------------------------------------------


class LocRows(Blockwise):
    """Rows selected by index, partition by partition: ``func(part, *args)``.

    A slice or a single label also bounds the index: the first and last
    divisions narrow to it (``loc[3:8]`` of ``(0, 5, 10)`` is ``(3, 5, 8)``).
    """

    _parameters = ["frame", "func", "args"]
    _defaults = {"args": ()}
    frame: Expr
    func: Callable[..., Any]
    args: Sequence[Any]

    @property
    def operation(self) -> Any:
        return self.func

    def _divisions(self) -> Divisions:
        d = self.frame.divisions
        if self.func is K.loc_slice:
            lo, hi = self.args
        elif self.func is K.loc_label:
            lo = hi = self.args[0]
        else:
            return d
        return _narrowed(d, lo, hi)

    @property
    def _funcname(self) -> str:
        return self.func.__name__.replace("_", "-")

    def _args(self) -> list[Any]:
        return [self.frame, *self.args]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _operand_repr(self) -> str:
        return f"{self.func.__name__}, {list(self.args)!r}"


def _narrowed(divisions: Divisions, lo: Any, hi: Any) -> Divisions:
    """``divisions`` with the ends moved inside ``[lo, hi]`` (None: open).

    Only a bound of the divisions' own type moves an end (a string bound
    on a datetime index does not), and only when the result stays sorted
    (a slice that selects nothing keeps the divisions as they are).
    """
    if divisions[0] is None:
        return divisions
    lo, hi = plain_scalar(lo), plain_scalar(hi)
    first, last = divisions[0], divisions[-1]
    try:
        if lo is not None and type(lo) is type(first):
            first = max(first, lo)
        if hi is not None and type(hi) is type(last):
            last = min(last, hi)
        out = (first, *divisions[1:-1], last)
        if any(a > b for a, b in itertools.pairwise(out)):
            return divisions
    except TypeError:  # e.g. tz-aware against tz-naive timestamps
        return divisions
    return out


class LocLabels(Blockwise):
    """``part.loc[labels[i]]`` on partition ``i`` (labels sorted by partition)."""

    _parameters = ["frame", "labels"]
    frame: Expr
    labels: Any
    operation = staticmethod(K.loc_labels)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _task(self, index: int) -> Any:
        return (
            K.loc_labels,
            (self.frame._name, index),
            quote(list(self.labels[index])),
        )

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _operand_repr(self) -> str:
        return f"{sum(len(x) for x in self.labels)} labels"


class GatherLoc(Expr):
    """One partition: ``concat(partitions).loc[labels]`` (labels in their order)."""

    _parameters = ["frame", "labels"]
    frame: Expr
    labels: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return (None, None)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        keys = [(self.frame._name, i) for i in range(self.frame.npartitions)]
        return {(self._name, 0): (K.loc_list_final, keys, quote(list(self.labels)))}

    def _operand_repr(self) -> str:
        return f"{len(self.labels)} labels"


class NewDivisions(Expr):
    """``frame``'s partitions with the divisions ``divisions_``: those of
    the index before a partition-wise step that moved every label by the
    same order-keeping map (``shift(freq=)`` by a fixed span). A
    partitioning of its own: the labels are not ``frame``'s inputs'."""

    _parameters = ["frame", "divisions_"]
    frame: Expr
    divisions_: tuple[Any, ...]

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return tuple(self.divisions_)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        src = self.frame._name
        return {(self._name, i): (src, i) for i in range(self.npartitions)}
