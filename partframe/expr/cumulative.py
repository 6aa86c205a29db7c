"""Cumulative operations across partitions: ``cumsum``, ``cumprod``, ...

``df.cumsum()`` is the logical node :class:`Cumulative`, lowered to two
steps. Each partition is cumulated on its own (a partition-wise
:class:`~partframe.expr.blockwise.MethodCall`, fused with the operations
before it); then :class:`CumulativeCarry` shifts partition ``i``
by the running value at the end of partitions ``0..i-1``. That running value
is carried in sequence: ``carry[i] = combine(carry[i-1], last[i-1])`` where
``last[j]`` is the final row of cumulated partition ``j`` (its last
non-missing row with ``skipna``). Only one row per partition travels; rows
and index stay in place, so divisions are kept.

``expanding()`` aggregations (:class:`ExpandingCarry`) carry a summary
of every column (count, sum, min, max, mean, squared deviations: see
:mod:`partframe.kernels.expanding`) the same way.

``ffill``/``bfill`` (:class:`FillCarry`) follow the same pattern in their
fill direction (backward for ``bfill``: the carry runs from the last
partition to the first). What travels is, per column, the last non-missing
value and the number of missing rows after it, so ``limit=`` counts a run
of missing values across partition boundaries exactly as pandas does.
"""

from __future__ import annotations

import functools
from typing import Any

from ..graph import quote
from ..kernels.cumulative import cum_apply, cum_carry, cum_last
from ..kernels.expanding import expanding_apply, expanding_carry, expanding_summary
from ..kernels.fill import fill_apply, fill_carry, fill_summary
from .base import ColumnNeeds, Expr, Layer, Needed, RowsInPlace
from .blockwise import MethodCall

__all__ = ["Cumulative", "CumulativeCarry", "ExpandingCarry", "FillCarry"]


class _CarryAcross(RowsInPlace):
    """A ``method`` whose partitions keep the frame's rows, schema and
    divisions, finished with values carried from partition to partition."""

    # operands of every subclass
    frame: Expr
    method: str

    @property
    def _funcname(self) -> str:
        return str(self.method)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]


class _Cumulate(_CarryAcross):
    """The operands of a cumulative method: ``frame``, the method's name
    (``cumsum``, ``cumprod``, ``cummin``, ``cummax``) and ``skipna``."""

    _parameters = ["frame", "method", "skipna"]
    _defaults = {"skipna": True}
    frame: Expr
    method: str
    skipna: bool

    def _operand_repr(self) -> str:
        return f"{self.method}, skipna={self.skipna}"


class Cumulative(_Cumulate):
    """``frame.method(skipna=skipna)`` across partitions: a logical node,
    lowered to the partition-wise method and a :class:`CumulativeCarry`."""

    @functools.cached_property
    def _cumulated(self) -> Expr:
        """Each partition cumulated on its own."""
        return MethodCall(self.frame, self.method, (), {"skipna": self.skipna})

    @functools.cached_property
    def _meta(self) -> Any:
        return self._cumulated._meta

    def _lower(self) -> Expr:
        return CumulativeCarry(self._cumulated, self.method, self.skipna)

    def _layer(self) -> Layer:
        # Unlowered (the graph of the logical plan): alias the lowered one.
        lowered = self._lower()
        graph = lowered.__dask_graph__()
        for i in range(self.npartitions):
            graph[(self._name, i)] = (lowered._name, i)
        return graph


class CumulativeCarry(_Cumulate):
    """Finish a cumulative op: ``frame`` holds partition-wise cumulated data."""

    def _layer(self) -> Layer:
        name, src = self._name, self.frame._name
        last, carry = f"{name}-last", f"{name}-carry"
        method, skipna = self.method, bool(self.skipna)
        n = self.npartitions
        graph: Layer = {(name, 0): (src, 0)}
        for i in range(n - 1):
            graph[(last, i)] = (cum_last, (src, i), skipna)
        for i in range(1, n):
            prev = (carry, i - 1) if i > 1 else None
            graph[(carry, i)] = (cum_carry, prev, (last, i - 1), method, skipna)
            graph[(name, i)] = (cum_apply, (src, i), (carry, i), method, skipna)
        return graph


class FillCarry(_CarryAcross):
    """``frame.ffill(limit=)`` or ``frame.bfill(limit=)`` across partitions.

    ``frame`` holds the data before filling; each output partition is filled
    on its own and from the carry of the partitions before it (``ffill``) or
    after it (``bfill``).
    """

    _parameters = ["frame", "method", "limit"]
    _defaults = {"limit": None}
    frame: Expr
    method: str
    limit: int | None

    def _layer(self) -> Layer:
        name, src = self._name, self.frame._name
        summary, carry = f"{name}-summary", f"{name}-carry"
        method, limit = self.method, self.limit
        reverse = method == "bfill"
        n = self.npartitions
        # Partitions in fill direction: ffill 0, 1, ..., bfill n-1, ..., 0.
        order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
        graph: Layer = {}
        for k, i in enumerate(order):
            if k < n - 1:
                graph[(summary, i)] = (fill_summary, (src, i), reverse)
            if k == 0:
                graph[(name, i)] = (fill_apply, (src, i), None, method, limit)
                continue
            before = order[k - 1]
            prev = (carry, before) if k > 1 else None
            graph[(carry, i)] = (fill_carry, prev, (summary, before))
            graph[(name, i)] = (fill_apply, (src, i), (carry, i), method, limit)
        return graph

    def _operand_repr(self) -> str:
        return f"{self.method}, limit={self.limit}"


class ExpandingCarry(_CarryAcross):
    """``frame.expanding(min_periods).method(ddof=)`` across partitions:
    each partition finished from the summary of every row before it.
    ``meta``: the result's (pandas' on a stand-in)."""

    _parameters = ["frame", "method", "min_periods", "ddof", "meta"]
    _defaults = {"min_periods": 1, "ddof": 1}
    frame: Expr
    method: str
    min_periods: int
    ddof: int
    meta: Any

    @functools.cached_property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _layer(self) -> Layer:
        name, src = self._name, self.frame._name
        summary, carry = f"{name}-summary", f"{name}-carry"
        n = self.npartitions
        args = (self.method, self.min_periods, self.ddof, quote(self._meta))
        graph: Layer = {(name, 0): (expanding_apply, (src, 0), None, *args)}
        for i in range(n - 1):
            graph[(summary, i)] = (expanding_summary, (src, i))
        for i in range(1, n):
            prev = (carry, i - 1) if i > 1 else None
            graph[(carry, i)] = (expanding_carry, prev, (summary, i - 1))
            graph[(name, i)] = (expanding_apply, (src, i), (carry, i), *args)
        return graph

    def _operand_repr(self) -> str:
        return f"{self.method}, min_periods={self.min_periods}, ddof={self.ddof}"
