"""Cumulative operations across partitions: ``cumsum``, ``cumprod``, ...

``df.cumsum()`` is two steps. Each partition is cumulated on its own (a
partition-wise :class:`~partframe.expr.blockwise.MethodCall`, fused with the
operations before it); then :class:`CumulativeCarry` shifts partition ``i``
by the running value at the end of partitions ``0..i-1``. That running value
is carried in sequence: ``carry[i] = combine(carry[i-1], last[i-1])`` where
``last[j]`` is the final row of cumulated partition ``j`` (its last
non-missing row with ``skipna``). Only one row per partition travels; rows
and index stay in place, so divisions are kept.
"""

from __future__ import annotations

import functools
from typing import Any

from ..kernels.reductions import cum_apply, cum_carry, cum_last
from .base import Expr

__all__ = ["CumulativeCarry"]


class CumulativeCarry(Expr):
    """Finish a cumulative op: ``frame`` holds partition-wise cumulated data."""

    _parameters = ["frame", "method", "skipna"]
    _defaults = {"skipna": True}

    @property
    def _funcname(self) -> str:
        return str(self.method)

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> tuple:
        return self.frame.divisions

    @property
    def _partitioning(self) -> str:
        return self.frame._partitioning

    def _column_needs(self, needed: set | None) -> list:
        return [(self.frame, needed)]

    def _layer(self) -> dict:
        name, src = self._name, self.frame._name
        last, carry = f"{name}-last", f"{name}-carry"
        method, skipna = self.method, bool(self.skipna)
        n = self.npartitions
        graph: dict = {(name, 0): (src, 0)}
        for i in range(n - 1):
            graph[(last, i)] = (cum_last, (src, i), skipna)
        for i in range(1, n):
            prev = (carry, i - 1) if i > 1 else None
            graph[(carry, i)] = (cum_carry, prev, (last, i - 1), method, skipna)
            graph[(name, i)] = (cum_apply, (src, i), (carry, i), method, skipna)
        return graph

    def _operand_repr(self) -> str:
        return f"{self.method}, skipna={self.skipna}"
