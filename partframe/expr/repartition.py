"""Re-splitting partitions: by index boundaries or by partition count.

- :class:`RepartitionDivisions` re-splits by index boundaries (the input's
  divisions, or computed per-partition bounds).
- :class:`RepartitionPieces` regroups whole partitions and row chunks of
  them.
- :func:`repartition_npartitions` picks one of them for a partition count.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..graph import quote
from ..kernels import partitions as K
from .base import ColumnNeeds, Divisions, Expr, Layer, Needed
from .partitions import _unknown, check_divisions

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = [
    "RepartitionDivisions",
    "RepartitionPieces",
    "gather_partitions",
    "repartition_npartitions",
]


# -- repartition -----------------------------------------------------------------


class RepartitionDivisions(Expr):
    """``frame`` re-split at the index boundaries ``new_divisions``.

    Input partition ``i`` covers ``[d_i, d_{i+1})`` of the input's divisions
    (the last one closed), or the closed interval ``bounds[i]`` when given
    (``set_index(sorted=True)`` uses the computed min/max). Each output
    partition concatenates, in input order, the slices of the inputs that
    overlap it, so row order is kept.
    """

    _parameters = ["frame", "new_divisions", "bounds"]
    _defaults = {"bounds": None}
    frame: Expr
    new_divisions: tuple[Any, ...]
    bounds: Any

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        return self._rows_of(rows, self.frame)

    def _validate(self) -> None:
        new = check_divisions(self.new_divisions, "repartition(divisions=...)")
        try:
            if self.bounds is None:
                if not self.frame.known_divisions:
                    raise ValueError(
                        "repartition(divisions=...) needs known divisions; this "
                        "frame's are unknown. Set a sorted index first "
                        "(set_index(col, sorted=True), or from_pandas(sort=True))."
                    )
                old = self.frame.divisions
                lo, hi = old[0], old[-1]
            else:
                pairs = [b for b in self.bounds if b is not None]
                lo = min(p[0] for p in pairs) if pairs else new[0]
                hi = max(p[1] for p in pairs) if pairs else new[-1]
            if new[0] > lo or new[-1] < hi:
                raise ValueError(
                    f"the new divisions [{new[0]!r} .. {new[-1]!r}] must cover the "
                    f"frame's index range [{lo!r} .. {hi!r}]"
                )
        except TypeError as exc:
            raise ValueError(
                f"divisions {new!r} cannot be compared with the frame's index: {exc}"
            ) from None

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        return tuple(self.new_divisions)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _old_ranges(self) -> list[Any]:
        """Per input partition ``(lo, hi, hi_closed)``, or None when empty."""
        if self.bounds is not None:
            return [None if b is None else (b[0], b[1], True) for b in self.bounds]
        d = self.frame.divisions
        n = len(d) - 1
        out = []
        for i in range(n):
            last = i == n - 1
            out.append(
                None if (d[i] == d[i + 1] and not last) else (d[i], d[i + 1], last)
            )
        return out

    def _layer(self) -> Layer:
        new = tuple(self.new_divisions)
        m = len(new) - 1
        old = self._old_ranges()
        fname = self.frame._name
        graph: Layer = {}
        for j in range(m):
            lo, hi, closed = new[j], new[j + 1], j == m - 1
            pieces: list[Any] = []
            for i, rng in enumerate(old):
                if rng is None:
                    continue
                olo, ohi, oclosed = rng
                if not (olo <= hi if closed else olo < hi):
                    continue
                if not (lo <= ohi if oclosed else lo < ohi):
                    continue
                inside = lo <= olo and (
                    ohi < hi or (ohi == hi and (closed or not oclosed))
                )
                key = (fname, i)
                pieces.append(key if inside else (K.slice_index, key, lo, hi, closed))
            if not pieces:
                graph[(self._name, j)] = (K.empty_like, quote(self.frame._meta))
            elif len(pieces) == 1:
                graph[(self._name, j)] = pieces[0]
            else:
                graph[(self._name, j)] = (K.concat_parts, pieces)
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions={len(self.new_divisions) - 1}"


class RepartitionPieces(Expr):
    """New partitions made of whole input partitions and row chunks of them.

    ``plan[j]`` lists the pieces of output partition ``j`` as ``(i, k,
    count)``: the ``k``-th of ``count`` row chunks of input partition ``i``
    (``count == 1``: the whole partition).
    """

    _parameters = ["frame", "plan", "divisions_"]
    _defaults = {"divisions_": None}
    frame: Expr
    plan: Any
    divisions_: tuple[Any, ...] | None

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # each output partition: pieces (input partition, piece, of pieces)
        frame = self._rows_of(rows, self.frame)
        if frame is None:
            return None
        covered = sum(1 / n for part in self.plan for _, _, n in part)
        return float(frame * covered / max(1, self.frame.npartitions))

    @functools.cached_property
    def _meta(self) -> Any:
        return self.frame._meta

    def _divisions(self) -> Divisions:
        if self.divisions_ is not None:
            return tuple(self.divisions_)
        return _unknown(len(self.plan))

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        return [(self.frame, needed)]

    def _layer(self) -> Layer:
        fname = self.frame._name
        graph: Layer = {}
        for j, pieces in enumerate(self.plan):
            tasks = [
                (fname, i) if count == 1 else (K.split_rows, (fname, i), k, count)
                for i, k, count in pieces
            ]
            if len(tasks) == 1:
                graph[(self._name, j)] = tasks[0]
            else:
                graph[(self._name, j)] = (K.concat_parts, tasks)
        return graph

    def _operand_repr(self) -> str:
        return f"npartitions={len(self.plan)}"


def gather_partitions(expr: Expr) -> Expr:
    """``expr`` as one partition (its partitions concatenated in order)."""
    if expr.npartitions == 1:
        return expr
    plan = (tuple((i, 0, 1) for i in range(expr.npartitions)),)
    return RepartitionPieces(expr, plan)


def repartition_npartitions(expr: Expr, m: Any) -> Expr:
    """``expr`` in ``m`` partitions, rows and their order kept.

    Fewer: neighbouring partitions are concatenated (known divisions stay
    known). More: each partition is split; with known divisions on a
    numeric or datetime index at interpolated boundaries (divisions stay
    known), otherwise into nearly equal row chunks (divisions unknown).
    """
    if not isinstance(m, int | np.integer) or isinstance(m, bool) or m < 1:
        raise ValueError(f"npartitions must be a positive integer, got {m!r}")
    n = expr.npartitions
    d = expr.divisions
    known = expr.known_divisions
    if m == n:
        return expr
    if m < n:
        bounds = [(j * n) // m for j in range(m + 1)]
        plan = tuple(
            tuple((i, 0, 1) for i in range(bounds[j], bounds[j + 1])) for j in range(m)
        )
        divs = tuple(d[b] for b in bounds) if known else None
        return RepartitionPieces(expr, plan, divs)
    counts = [m // n + (1 if i < m % n else 0) for i in range(n)]
    if known:
        divs = _interpolate(d, counts)
        if divs is not None:
            return RepartitionDivisions(expr, divs)
    plan = tuple(((i, k, c),) for i, c in enumerate(counts) for k in range(c))
    return RepartitionPieces(expr, plan)


def _interpolate(d: Divisions, counts: list[Any]) -> Divisions | None:
    """Divisions splitting each ``[d_i, d_{i+1})`` into ``counts[i]`` ranges."""

    def kind(v: Any) -> str | None:
        if isinstance(v, bool | np.bool_):
            return None
        if isinstance(v, int | np.integer):
            return "i"
        if isinstance(v, float | np.floating):
            return "f"
        if isinstance(v, pd.Timestamp):
            return "M"
        return None

    kinds = {kind(v) for v in d}
    if len(kinds) != 1 or None in kinds:
        return None
    integer = kinds == {"i"}
    out: list[Any] = []
    for i, c in enumerate(counts):
        a, b = d[i], d[i + 1]
        for t in range(c):
            out.append(a + (b - a) * t // c if integer else a + (b - a) * t / c)
    out.append(d[-1])
    if any(x >= y for x, y in itertools.pairwise(out)):
        return None
    return tuple(out)
